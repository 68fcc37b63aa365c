/// Matching a checkpoint name against a table template: `{L}` matches a layer number (digits,
/// no leading zero), a trailing `*` matches any rest.
struct NamePattern: Sendable {
    let template: String
    private let head: String
    private let tail: String
    private let kind: Kind

    private enum Kind { case exact, layer, wildcard }

    init(_ template: String) {
        self.template = template
        if let r = template.firstRange(of: "{L}") {
            head = String(template[..<r.lowerBound])
            tail = String(template[r.upperBound...])
            kind = .layer
        } else if template.hasSuffix("*") {
            head = String(template.dropLast())
            tail = ""
            kind = .wildcard
        } else {
            head = template
            tail = ""
            kind = .exact
        }
    }

    /// The layer number if `name` matches (0 for templates without `{L}`), else nil.
    func match(_ name: Substring) -> Int? {
        switch kind {
        case .exact: return name == head ? 0 : nil
        case .wildcard: return name.hasPrefix(head) ? 0 : nil
        case .layer:
            guard name.count > head.count + tail.count, name.hasPrefix(head), name.hasSuffix(tail) else { return nil }
            let digits = name.dropFirst(head.count).dropLast(tail.count)
            guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.count <= 6,
                  digits.count == 1 || digits.first != "0" else { return nil }
            return Int(digits)
        }
    }

    /// The template with `{L}` replaced by `layer`.
    func fill(_ layer: Int) -> String {
        kind == .layer ? head + String(layer) + tail : template
    }
}
