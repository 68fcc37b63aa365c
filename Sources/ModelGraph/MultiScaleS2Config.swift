/// VILA 1.5's (non-dynamic) S2, `"s2": true` (VILA1.5-3b-s2): the processor makes the image at the
/// largest scale; for each scale the pixels are resized (bicubic), cut into squares of
/// `s2_max_split_size`, and each square runs through the tower; per scale the squares' features are
/// put back together, area-resized to the grid of scale `resizeOutputTo`, and concatenated on
/// channels (s2wrapper's `forward`, github.com/bfshi/scaling_on_scales, called by NVlabs/VILA's
/// VisionTowerS2). The projector then takes the whole map.
public struct MultiScaleS2Config: Equatable, Sendable, Encodable {
    /// Ascending, in pixels; the image enters at the last.
    public var scales: [Int]
    /// Side of each square the tower sees (the tower's image size).
    public var maxSplitSize: Int
    public var resizeOutputTo: Int

    public init(scales: [Int], maxSplitSize: Int, resizeOutputTo: Int) {
        self.scales = scales
        self.maxSplitSize = maxSplitSize
        self.resizeOutputTo = resizeOutputTo
    }

    /// Squares per side at each scale (⌈scale / max split⌉).
    public var splits: [Int] { scales.map { ($0 + maxSplitSize - 1) / maxSplitSize } }

    static func read(_ top: ConfigObject, file: String, tileSize: Int) throws -> MultiScaleS2Config {
        let (scales, text) = try S2ConfigFields.scales(top, file: file, example: "384,768,1152")
        let split = try top.int("s2_max_split_size", default: tileSize)
        guard split == tileSize else {
            throw ConfigError.invalidValue(file: file, key: "s2_max_split_size", detail: "is \(split) but the vision tower takes \(tileSize) px; each split must be the tower's input")
        }
        guard scales.allSatisfy({ $0 % split == 0 }) else {
            throw ConfigError.invalidValue(file: file, key: "s2_scales", detail: "\"\(text)\" must be multiples of s2_max_split_size \(split) (s2wrapper splits each scale into equal squares)")
        }
        return MultiScaleS2Config(scales: scales, maxSplitSize: split,
                                  resizeOutputTo: try S2ConfigFields.resizeIndex(top, file: file, scales: scales.count))
    }
}

/// The fields both S2 variants read from VILA's top-level config.
enum S2ConfigFields {
    /// `s2_scales` ("448,896,1344"), sorted ascending, and the text as written.
    static func scales(_ top: ConfigObject, file: String, example: String) throws -> ([Int], String) {
        guard let text = try top.string("s2_scales") else { throw ConfigError.missingKey(file: file, key: "s2_scales") }
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ConfigError.invalidValue(file: file, key: "s2_scales", detail: "must list positive sizes such as \"\(example)\", found \"\(text)\"")
        }
        return (parts.map { $0! }.sorted(), text)
    }

    /// `s2_resize_output_to_scale_idx` (default 0, negative from the end) as an index into the scales.
    static func resizeIndex(_ top: ConfigObject, file: String, scales count: Int) throws -> Int {
        var index = try top.int("s2_resize_output_to_scale_idx", default: 0)
        if index < 0 { index += count }
        guard (0..<count).contains(index) else {
            throw ConfigError.invalidValue(file: file, key: "s2_resize_output_to_scale_idx", detail: "is outside the \(count) scales")
        }
        return index
    }
}
