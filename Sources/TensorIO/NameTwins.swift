/// Names that Swift's `String` equality (canonical equivalence) would take for one but whose bytes
/// differ ("é" as U+00E9 and as U+0065 U+0301). File formats compare names as bytes, so such
/// names are two tensors there; everything downstream here looks names up as `String`, so a file
/// holding both is refused as ambiguous instead of one of them being silently lost (or a crash).
public enum NameTwins {
    /// The first pair of names in `names` that are canonically equal but not byte-equal.
    public static func first<S: Sequence>(in names: S) -> (String, String)? where S.Element == String {
        var seen: [String: String] = [:]
        for name in names {
            if let prior = seen[name] {
                if !prior.utf8.elementsEqual(name.utf8) { return (prior, name) }
            } else {
                seen[name] = name
            }
        }
        return nil
    }

    /// "U+00E9" vs "U+0065 U+0301", for messages.
    public static func spelled(_ s: String) -> String {
        s.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true).leftPadded(to: 4) }.joined(separator: " ")
    }

    public static func describe(_ pair: (String, String), what: String) -> String {
        "\(what) names \"\(pair.0)\" (\(spelled(pair.0))) and \"\(pair.1)\" (\(spelled(pair.1))) differ only in Unicode normalization; such ambiguous names are refused"
    }
}

extension String {
    func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
