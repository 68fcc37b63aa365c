/// The checkpoint and the graph its config describes do not match exactly.
public struct CoverageError: Error, CustomStringConvertible, Equatable {
    /// Graph slots with no tensor: "'model.layers.3.mlp.up_proj.weight' in llm/model.safetensors".
    public var missing: [String] = []
    /// Checkpoint tensors that fill no slot.
    public var unused: [String] = []
    /// Tensors of the wrong shape or dtype, with expected and found.
    public var mismatched: [String] = []
    /// Two checkpoint tensors that map to one slot.
    public var conflicts: [String] = []

    public init(missing: [String] = [], unused: [String] = [], mismatched: [String] = [], conflicts: [String] = []) {
        self.missing = missing
        self.unused = unused
        self.mismatched = mismatched
        self.conflicts = conflicts
    }

    public var isEmpty: Bool { missing.isEmpty && unused.isEmpty && mismatched.isEmpty && conflicts.isEmpty }

    /// One line: counts, then the first few problems of each kind.
    public var description: String {
        var parts: [String] = []
        func add(_ label: String, _ items: [String]) {
            guard !items.isEmpty else { return }
            let shown = items.prefix(3).joined(separator: "; ")
            let more = items.count > 3 ? " … and \(items.count - 3) more" : ""
            parts.append("\(items.count) \(label): \(shown)\(more)")
        }
        add("mismatched", mismatched)
        add("missing", missing)
        add("unused", unused)
        add("conflicting", conflicts)
        return "checkpoint does not match its config: " + parts.joined(separator: " | ")
    }
}
