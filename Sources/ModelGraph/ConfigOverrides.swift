import TensorIO

/// Settings the user imposes over what a checkpoint's config implies (`--projector-order`).
/// They travel with the model: `quantize` and `export` write them to `vlmkit-overrides.json`
/// beside the copied configs, which the loader reads back (formats/checkpoint-layouts.md).
public struct ConfigOverrides: Equatable, Sendable, Encodable {
    public static let fileName = "vlmkit-overrides.json"

    public var projectorOrder: TokenMergeOrder?

    public init(projectorOrder: TokenMergeOrder? = nil) {
        self.projectorOrder = projectorOrder
    }

    public static let none = ConfigOverrides()
    public var isEmpty: Bool { projectorOrder == nil }

    /// `self` where set, else `stored`.
    public func over(_ stored: ConfigOverrides) -> ConfigOverrides {
        ConfigOverrides(projectorOrder: projectorOrder ?? stored.projectorOrder)
    }

    /// The overrides stored beside a model's configs, or none when the file is absent.
    public static func stored(in files: any ConfigSource) throws -> ConfigOverrides {
        guard files.exists(fileName) else { return .none }
        let o = try files.read(fileName)
        var out = ConfigOverrides()
        if let name = try o.string("projector_order") {
            guard let order = TokenMergeOrder(rawValue: name) else {
                throw ConfigError.invalidValue(file: o.file, key: "projector_order",
                                               detail: "must be one of \(TokenMergeOrder.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), found \"\(name)\"")
            }
            out.projectorOrder = order
        }
        return out
    }

    /// The file's JSON text (what `stored(in:)` reads).
    public var json: JSONValue {
        var members: [(String, JSONValue)] = []
        if let p = projectorOrder { members.append(("projector_order", .string(p.rawValue))) }
        return .object(members)
    }
}

/// Which `flat_square` a VILA checkpoint was trained with. Nothing in the file names it, so the
/// fields each release's `LlavaConfig` writes decide: the NVILA release (NVlabs/VILA 36f6adc)
/// added the ones below and the `_fix` projectors; VILA 1.5 (1c88211) and LongVILA (54c9706)
/// configs have none of them.
enum MergeOrderRule {
    static let nvilaFields = ["dynamic_s2", "s2_resize_output_to_scale_idx", "min_tiles", "max_tiles",
                              "num_time_tokens", "time_token_format", "image_encoder", "video_encoder", "vision_tower_lr"]

    static func decide(top: ConfigObject, type: ProjectorType, override: TokenMergeOrder?, overrideSource: String) -> (TokenMergeOrder, String) {
        if let o = override { return (o, overrideSource) }
        if let why = nvilaRelease(top: top, type: type) { return (.nvila, why) }
        return (.vila15, "config.json has no field of the NVILA release")
    }

    /// Why the config comes from the NVILA release, or nil when nothing says so (VILA 1.5).
    static func nvilaRelease(top: ConfigObject, type: ProjectorType) -> String? {
        if type == .mlpDownsample2x2Fix || type == .mlpDownsample3x3Fix {
            return "mm_projector_type \(type.rawValue) exists only since the NVILA release"
        }
        if let field = nvilaFields.first(where: { top.value($0) != nil }) {
            return "config.json has \(field), a field of the NVILA release"
        }
        return nil
    }
}
