/// Checkpoint tensor names → graph slot names, as plain data derived from the family
/// descriptions (Families/).
///
/// A rule's `source` is relative to the prefix the layout gives its part (for example
/// `model.` inside `llm/`, `language_model.model.` inside a LLaVA-HF folder); `{L}` stands for
/// a layer number. Slot names are VLMKit's own and are the same for every layout, so the
/// rest of the toolchain never sees a layout's spelling. formats/checkpoint-layouts.md prints
/// these tables.
public struct NameRule: Sendable {
    public let source: String
    public let slot: String
}

/// A source name that is known and deliberately not loaded, with the reason.
public struct IgnoreRule: Sendable {
    public let source: String
    public let reason: String
}

public struct NameTable: Sendable {
    public let name: String
    public let rules: [NameRule]
    public let ignored: [IgnoreRule]
}

/// Every table of every family VLMKit reads, per layout (for documentation and its test).
public enum NameTables {
    public static func all(_ layout: LayoutKind) -> [NameTable] {
        let families = [LlamaDecoderFamily.description] + VisionTowerKind.allCases.map(VisionTowerFamilies.description)
            + ProjectorType.allCases.map { ProjectorFamilies.family($0).description }
        return families.flatMap(\.parts).map { $0.table(layout) }.filter { !$0.rules.isEmpty }
    }
}
