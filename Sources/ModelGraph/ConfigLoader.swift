import TensorIO

/// Reads a VLMConfig from a checkpoint folder in either layout.
public enum ConfigLoader {
    /// Reads the config of either layout; `overrides` (the command line) win over the ones
    /// stored beside the configs (`vlmkit-overrides.json`).
    public static func read(_ files: any ConfigSource, layout: LayoutKind, overrides: ConfigOverrides = .none) throws -> VLMConfig {
        let stored = try ConfigOverrides.stored(in: files)
        let effective = overrides.over(stored)
        var config = layout == .vila ? try readVILA(files, overrides: effective, storedOverrides: stored)
                                     : try readLlavaHF(files)
        if layout == .llavaHF && effective.projectorOrder != nil {
            throw ConfigError.unsupported(file: files.label("config.json"), detail: "--projector-order applies to VILA's merging projectors; LLaVA-HF's projector merges no tokens")
        }
        config.overrides = effective
        return config
    }

    /// VILA (1.5 and NVILA): the top-level config.json holds the selection settings and, often, copies of
    /// the sub-configs (`llm_cfg`, `vision_tower_cfg`, `mm_projector_cfg`). A sub-folder's own
    /// config.json wins when both exist; a disagreement is reported as a warning.
    public static func readVILA(folder: String) throws -> VLMConfig {
        try read(FolderConfigSource(folder), layout: .vila)
    }

    static func readVILA(_ files: any ConfigSource, overrides: ConfigOverrides, storedOverrides: ConfigOverrides) throws -> VLMConfig {
        let topPath = files.label("config.json")
        guard files.exists("config.json") else {
            throw ConfigError.unreadable(file: topPath, detail: "missing: a VILA checkpoint needs a top-level config.json")
        }
        let top = try files.read("config.json")
        var warnings: [String] = []
        if let type = try top.string("model_type"), type != "llava_llama" {
            warnings.append("\(topPath): model_type is \"\(type)\", expected \"llava_llama\"; reading it as VILA")
        }

        func subConfig(_ sub: String, _ key: String) throws -> (own: ConfigObject?, embedded: ConfigObject?) {
            let p = sub + "/config.json"
            let own = files.exists(p) ? try files.read(p) : nil
            // Some VILA versions store a path string under *_cfg instead of an object.
            let embedded = (top.value(key)?.objectValue != nil) ? try top.object(key) : nil
            return (own, embedded)
        }

        let llmSources = try subConfig("llm", "llm_cfg")
        let llm: LlamaConfig = try pick(llmSources, missing: "llm/config.json or llm_cfg in \(topPath)",
                                        warnings: &warnings, what: "llm", LlamaConfig.init)
        let visionSources = try subConfig("vision_tower", "vision_tower_cfg")
        let vision: VisionConfig = try pick(visionSources, missing: "vision_tower/config.json or vision_tower_cfg in \(topPath)",
                                            warnings: &warnings, what: "vision tower", VisionConfig.init)

        let projSources = try subConfig("mm_projector", "mm_projector_cfg")
        let typeName: String
        let typeFile: String
        if let own = projSources.own, let t = try own.string("mm_projector_type") {
            (typeName, typeFile) = (t, own.file)
        } else if let emb = projSources.embedded, let t = try emb.string("mm_projector_type") {
            (typeName, typeFile) = (t, emb.file)
        } else if let t = try top.string("mm_projector_type") {
            (typeName, typeFile) = (t, topPath)
        } else {
            throw ConfigError.missingKey(file: files.label("mm_projector/config.json"), key: "mm_projector_type")
        }
        let ptype = try ProjectorConfig.parseType(typeName, file: typeFile, key: "mm_projector_type")

        let selectLayer = try top.int("mm_vision_select_layer", default: -2)
        let featureName = try top.string("mm_vision_select_feature") ?? "patch"
        guard let feature = FeatureSelection(rawValue: featureName) else {
            throw ConfigError.invalidValue(file: topPath, key: "mm_vision_select_feature", detail: "must be \"patch\" or \"cls_patch\", found \"\(featureName)\"")
        }
        let dynamicS2 = try readTiling(top, file: topPath, vision: vision)
        let multiScale = try top.bool("s2", default: false) ? try MultiScaleS2Config.read(top, file: topPath, tileSize: vision.imageSize) : nil
        if multiScale != nil && dynamicS2 != nil {
            throw ConfigError.invalidValue(file: topPath, key: "s2", detail: "is true together with dynamic S2; VILA runs one or the other")
        }
        let scaleCount = dynamicS2?.scales.count ?? multiScale?.scales.count ?? 1
        try refuseUnimplementedVILAFields(top, file: topPath, visionHidden: vision.hiddenSize * scaleCount)
        let overrideSource = storedOverrides.projectorOrder == overrides.projectorOrder
            ? files.label(ConfigOverrides.fileName) : "--projector-order"
        let (order, orderReason) = MergeOrderRule.decide(top: top, type: ptype, override: overrides.projectorOrder,
                                                         overrideSource: overrideSource)
        var config = VLMConfig(layout: .vila, llm: llm, vision: vision,
                               projector: ProjectorConfig(type: ptype, visionHiddenSize: vision.hiddenSize * scaleCount,
                                                          textHiddenSize: llm.hiddenSize, mergeOrder: order, mergeOrderReason: orderReason),
                               selectLayer: selectLayer, selectFeature: feature,
                               imageAspectRatio: try top.string("image_aspect_ratio"), imageTokenIndex: nil, warnings: warnings)
        config.dynamicS2 = dynamicS2
        config.multiScaleS2 = multiScale
        if try top.string("image_aspect_ratio") == "dynamic" {
            guard multiScale == nil else {
                throw ConfigError.invalidValue(file: topPath, key: "s2", detail: "is true together with image_aspect_ratio \"dynamic\"; VILA runs one or the other")
            }
            config.dynamicTiling = try DynamicTilingConfig.read(top, file: topPath, tileSize: vision.imageSize)
        }
        config.chatTemplateName = try top.string("chat_template")
        config.imageEncoder = try ImageEncoderConfig.read(top, file: topPath, nvilaRelease: MergeOrderRule.nvilaRelease(top: top, type: ptype))
        try config.validate(file: topPath, selectLayerKey: "mm_vision_select_layer")
        return config
    }

    /// NVILA's dynamic S2 when `image_aspect_ratio` says `dynamic_s2`; `dynamic_s2` must agree,
    /// since VILA tiles by the one and merges by the other.
    static func readTiling(_ top: ConfigObject, file: String, vision: VisionConfig) throws -> DynamicS2Config? {
        let aspect = try top.string("image_aspect_ratio")
        let flag = try top.bool("dynamic_s2", default: false)
        guard aspect == "dynamic_s2" else {
            if flag {
                throw ConfigError.invalidValue(file: file, key: "dynamic_s2", detail: "is true but image_aspect_ratio is \(aspect.map { "\"\($0)\"" } ?? "absent"); VILA would merge S2 features of images it never tiled")
            }
            return nil
        }
        guard flag else {
            throw ConfigError.invalidValue(file: file, key: "dynamic_s2", detail: "must be true when image_aspect_ratio is \"dynamic_s2\" (VILA tiles by the one and merges the tiles' features by the other)")
        }
        return try DynamicS2Config.read(top, file: file, tileSize: vision.imageSize)
    }

    /// Fields of VILA's top-level config that change what is computed and that vlmkit does not
    /// implement yet: refused by name, never read past (a plain processor path with multi-scale
    /// weights would fail later with a misleading shape error, or silently compute another model).
    static func refuseUnimplementedVILAFields(_ top: ConfigObject, file: String, visionHidden: Int) throws {
        if try top.bool("mm_use_im_start_end", default: false) {
            throw ConfigError.unsupported(file: file, detail: "\"mm_use_im_start_end\": true (image features wrapped in <im_start>/<im_end> tokens) is not supported yet")
        }
        if let mm = try top.int("mm_hidden_size"), mm != visionHidden {
            throw ConfigError.invalidValue(file: file, key: "mm_hidden_size",
                                           detail: "is \(mm) but the vision tower gives \(visionHidden)-wide features (its hidden size times the number of dynamic S2 scales); the projector would not take them")
        }
    }

    private static func pick<T: Equatable>(_ sources: (own: ConfigObject?, embedded: ConfigObject?), missing: String,
                                           warnings: inout [String], what: String,
                                           _ make: (ConfigObject) throws -> T) throws -> T {
        switch (sources.own, sources.embedded) {
        case let (own?, embedded?):
            let a = try make(own)
            if let b = try? make(embedded), b != a {
                let diff = differingFields(a, b).prefix(4).joined(separator: ", ")
                warnings.append("\(what) config in \(own.file) differs from \(embedded.keyPath) in \(embedded.file) (\(diff)); using \(own.file)")
            }
            return a
        case let (own?, nil): return try make(own)
        case let (nil, embedded?): return try make(embedded)
        case (nil, nil): throw ConfigError.unreadable(file: missing, detail: "no configuration found")
        }
    }

    /// LLaVA-HF: one config.json with `text_config` and `vision_config` (either may be partial
    /// or absent, in which case LlavaConfig's defaults apply).
    public static func readLlavaHF(folder: String) throws -> VLMConfig {
        try read(FolderConfigSource(folder), layout: .llavaHF)
    }

    static func readLlavaHF(_ files: any ConfigSource) throws -> VLMConfig {
        let path = files.label("config.json")
        let c = try files.read("config.json")
        let text = try c.object("text_config") ?? ConfigObject(json: .object([]), file: path, keyPath: "text_config")
        var llm = try LlamaConfig(text)
        if llm.storedDType == nil { llm.storedDType = try c.string("dtype") ?? c.string("torch_dtype") }
        let visionJSON: JSONValue
        if let v = c.value("vision_config") {
            // LlavaConfig treats a vision_config without model_type as CLIP.
            if case .object(var members) = v, v["model_type"] == nil {
                members.append(("model_type", .string("clip_vision_model")))
                visionJSON = .object(members)
            } else {
                visionJSON = v
            }
        } else {
            visionJSON = .object([("model_type", .string("clip_vision_model")), ("hidden_size", .int(1024)),
                                  ("intermediate_size", .int(4096)), ("patch_size", .int(14)), ("image_size", .int(336)),
                                  ("num_hidden_layers", .int(24)), ("num_attention_heads", .int(16))])
        }
        let vision = try VisionConfig(ConfigObject(json: visionJSON, file: path, keyPath: "vision_config"))

        if let layers = c.value("vision_feature_layer"), layers.arrayValue != nil {
            throw ConfigError.unsupported(file: path, detail: "\"vision_feature_layer\" lists several layers (\(layers.serialized)); VLMKit supports one")
        }
        let selectLayer = try c.int("vision_feature_layer", default: -2)
        let strategy = try c.string("vision_feature_select_strategy") ?? "default"
        let feature: FeatureSelection
        switch strategy {
        case "default": feature = .patch
        case "full": feature = .clsPatch
        default:
            throw ConfigError.invalidValue(file: path, key: "vision_feature_select_strategy", detail: "must be \"default\" or \"full\", found \"\(strategy)\"")
        }
        let act = try c.string("projector_hidden_act") ?? "gelu"
        guard act == "gelu" else {
            throw ConfigError.unsupported(file: path, detail: "\"projector_hidden_act\" \"\(act)\" is not supported (supported: gelu)")
        }
        let bias = try c.bool("multimodal_projector_bias", default: true)
        let imageToken = try c.int("image_token_index") ?? c.int("image_token_id") ?? 32000
        var config = VLMConfig(layout: .llavaHF, llm: llm, vision: vision,
                               projector: ProjectorConfig(type: .mlp2xGelu, visionHiddenSize: vision.hiddenSize,
                                                          textHiddenSize: llm.hiddenSize, hasBias: bias),
                               selectLayer: selectLayer, selectFeature: feature,
                               imageAspectRatio: nil, imageTokenIndex: imageToken)
        try config.validate(file: path, selectLayerKey: "vision_feature_layer")
        return config
    }
}
