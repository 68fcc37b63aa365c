import TensorIO

/// The two checkpoint layouts VLMKit reads (formats/checkpoint-layouts.md).
public enum LayoutKind: String, Sendable, Encodable {
    /// NVlabs VILA 1.5: top-level config.json and sub-folders llm/, vision_tower/, mm_projector/.
    case vila
    /// transformers' `LlavaForConditionalGeneration` in one folder.
    case llavaHF = "llava-hf"
}

/// Everything the graph needs to know about a vision-language model, gathered from whichever
/// config files the layout has.
public struct VLMConfig: Sendable, Encodable {
    public var layout: LayoutKind
    public var llm: LlamaConfig
    public var vision: VisionConfig
    public var projector: ProjectorConfig
    /// Index into the vision tower's hidden states, Hugging Face style: 0 is the embedding
    /// output, −1 the last layer's output.
    public var selectLayer: Int
    public var selectFeature: FeatureSelection
    /// VILA's `image_aspect_ratio` (`resize`, `pad`, `dynamic_s2`, …) when given.
    public var imageAspectRatio: String?
    /// NVILA's dynamic S2 tiling, when `image_aspect_ratio` is `dynamic_s2`.
    public var dynamicS2: DynamicS2Config?
    /// VILA 1.5's multi-scale S2, when `"s2": true`.
    public var multiScaleS2: MultiScaleS2Config?
    /// NVILA-Lite's dynamic tiles (`image_aspect_ratio: dynamic`).
    public var dynamicTiling: DynamicTilingConfig?
    /// The tokens VILA's code embeds around each image's features (NVILA release); nil when
    /// the features alone replace the image token (VILA 1.5, LLaVA-HF).
    public var imageEncoder: ImageEncoderConfig?
    /// VILA's top-level `chat_template`: the name of a template shipped with NVILA's code
    /// (llava/model/language_model/chat_templates/<name>.jinja), which replaces the tokenizer's.
    public var chatTemplateName: String?

    /// Side of the pixels one image enters with: the largest S2 scale, else the tower's size.
    public var inputImageSize: Int { multiScaleS2?.scales.last ?? vision.imageSize }
    /// Token id that stands for an image in LLaVA-HF prompts; VILA prompts use −200.
    public var imageTokenIndex: Int?
    /// Things worth telling the user that do not stop loading.
    public var warnings: [String] = []
    /// What the user imposed over the config files (travels into quantized models and bundles).
    public var overrides: ConfigOverrides = .none

    /// Encoder layers that must run to produce the selected hidden state.
    public var visionLayersUsed: Int {
        selectLayer >= 0 ? selectLayer : vision.numLayers + 1 + selectLayer
    }

    /// Feature tokens the projector takes per call: the tower's after feature selection, or with
    /// multi-scale S2 those of the grid features are resized to.
    public var featureTokens: Int {
        let tower = vision.numPositions - (selectFeature == .patch ? 1 : 0)
        guard let s2 = multiScaleS2 else { return tower }
        let g = Int(Double(tower).squareRoot().rounded())
        let side = g * s2.splits[s2.resizeOutputTo]
        return side * side
    }

    /// Feature tokens of one tower run (one tile).
    public var towerTokens: Int { vision.numPositions - (selectFeature == .patch ? 1 : 0) }

    /// Tokens one projector call yields (per image, or per block with dynamic S2), or why there is
    /// no valid count.
    public var imageTokens: Result<Int, ProjectorShapeError> {
        projector.outputTokens(featureTokens: featureTokens)
    }

    /// Tokens per image when every image gets the same number (no dynamic S2).
    public var fixedImageTokens: Int? {
        dynamicS2 == nil ? try? imageTokens.get() : nil
    }

    /// Tokens an image whose last S2 scale is `grid` gives the language model.
    public func imageTokens(_ grid: TileGrid) -> Int {
        let perCall = (try? imageTokens.get()) ?? 0
        guard let s2 = dynamicS2 else { return perCall }
        let b = s2.outputBlocks(grid)
        return b.rows * b.cols * perCall
    }

    /// The grid of an image's last S2 scale (1×1 without dynamic S2).
    public func grid(width: Int, height: Int) -> TileGrid {
        dynamicS2?.grid(width: width, height: height) ?? TileGrid(rows: 1, cols: 1)
    }

    /// Tower inputs (tiles) for an image whose last S2 scale is `grid`.
    public func tileCount(_ grid: TileGrid) -> Int { dynamicS2?.tileCount(grid) ?? 1 }

    /// Checks the relations between the parts (select layer in range, token grid for the projector).
    mutating func validate(file: String, selectLayerKey: String) throws {
        let n = vision.numLayers
        guard selectLayer >= -(n + 1) && selectLayer <= n else {
            throw ConfigError.invalidValue(file: file, key: selectLayerKey,
                                           detail: "(\(selectLayer)) is outside the \(n + 1) hidden states of a \(n)-layer vision tower (valid: \(-(n + 1))…\(n))")
        }
        if dynamicS2 != nil || multiScaleS2 != nil {
            let g = Int(Double(towerTokens).squareRoot().rounded())
            guard g * g == towerTokens else {
                throw ConfigError.invalidValue(file: file, key: "s2_scales", detail: "S2 puts tiles' features back together on a grid, but the tower yields \(towerTokens) tokens, not a square (mm_vision_select_feature \"patch\" drops CLIP's class token)")
            }
        }
        if case .failure(let e) = imageTokens {
            throw ConfigError.invalidValue(file: file, key: "projector", detail: e.description)
        }
        if vision.kind == .siglip && selectFeature == .patch {
            warnings.append("SigLIP has no class token, yet mm_vision_select_feature is \"patch\": the first patch token is dropped (as VILA does)")
        }
    }
}

/// Lists the fields on which two values of the same struct differ, for config conflict messages.
func differingFields<T>(_ a: T, _ b: T) -> [String] {
    let ma = Mirror(reflecting: a), mb = Mirror(reflecting: b)
    var out: [String] = []
    for (ca, cb) in zip(ma.children, mb.children) {
        let va = String(describing: ca.value), vb = String(describing: cb.value)
        if va != vb, let label = ca.label { out.append("\(label) \(va) vs \(vb)") }
    }
    return out
}
