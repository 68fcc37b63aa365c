import Foundation
import Imaging
import TensorCore
import ModelGraph
import ReferenceRuntime
import Tokenizer

/// Preprocessed images: the tower inputs, dynamic S2 grids, and how many prompt images (markers)
/// each file became — more than one only for NVILA-Lite's dynamic tiles.
public struct ImageInputs {
    public var pixels: TensorCore.Tensor?
    public var grids: [TileGrid]?
    public var tilesPerImage: [Int]
}

/// What turns a person's image and question into model inputs: the checkpoint's tokenizer,
/// image preprocessor and conversation template.
public struct ModelAssets: Sendable {
    public let config: VLMConfig
    public let tokenizer: TextTokenizer
    /// The model's config, tokenizer and preprocessor files.
    public let files: any ConfigSource
    /// Things worth telling the user (e.g. a missing preprocessor_config.json).
    public private(set) var warnings: [String] = []
    /// The checkpoint's chat template, if its files have one.
    public let chat: TemplatedChat?
    /// The ids the model's code puts around each image's features (NVILA's image encoder).
    public let media: MediaTokens

    public init(files: any ConfigSource, config: VLMConfig) throws {
        self.config = config
        self.files = files
        tokenizer = try Self.loadTokenizer(files: files, layout: config.layout)
        chat = try TemplatedChat.load(files: files, config: config)
        let tok = tokenizer
        media = config.imageEncoder.map { e in
            MediaTokens(start: e.startTokens.map { tok.encode($0, addSpecialTokens: true).map(Int64.init) } ?? [],
                        end: e.endTokens.map { tok.encode($0, addSpecialTokens: true).map(Int64.init) } ?? [])
        } ?? .none
        let path = preprocessorPath
        // InternViT's processor is code in VILA (no file to miss).
        if !files.exists(path) && config.vision.kind != .intern {
            warnings.append("no \(files.label(path)); using \(config.vision.kind.rawValue) processor defaults at \(config.vision.imageSize) px")
        }
    }

    /// llm/tokenizer.model or llm/tokenizer.json (VILA), tokenizer.* (LLaVA-HF).
    public static func loadTokenizer(files: any ConfigSource, layout: LayoutKind) throws -> TextTokenizer {
        let dir = layout.tokenizerFolder
        let sp = files.exists(dir + "tokenizer.model") ? try files.bytes(dir + "tokenizer.model") : nil
        let json = files.exists(dir + "tokenizer.json") ? try files.read(dir + "tokenizer.json").json : nil
        return try TextTokenizer.load(sentencePieceModel: sp, tokenizerJSON: json, file: files.label(dir))
    }

    var preprocessorPath: String { config.layout.folderPrefix(.vision) + "preprocessor_config.json" }

    /// vision_tower/preprocessor_config.json (VILA) or preprocessor_config.json (LLaVA-HF); when
    /// the checkpoint has none, the defaults of the tower's processor class, with a warning.
    public func preprocessor(aspectOverride: AspectMode?) throws -> ImagePreprocessor {
        let path = preprocessorPath
        var processor = files.exists(path) ? try ImageProcessorConfig.read(files.read(path), vision: config.vision) : ImageProcessorConfig.defaults(for: config.vision)
        if let s2 = config.multiScaleS2 {
            // VILA's CLIP/SigLIP VisionTowerS2 set the processor's size (and crop) to the largest scale.
            processor = processor.resized(to: s2.scales.last!)
        }
        let aspect = aspectOverride ?? AspectMode(config: config.imageAspectRatio)
        return ImagePreprocessor(config: processor, aspect: aspect, alpha: config.layout == .llavaHF ? .compositeOnWhite : .drop)
    }

    /// The tower inputs for image files: pixels, with dynamic S2 each image's tile grid, and how
    /// many prompt images each file became (NVILA-Lite's dynamic tiles: one per tile).
    public func pixelValues(_ images: [String], aspectOverride: AspectMode?) throws -> ImageInputs {
        guard !images.isEmpty else { return ImageInputs(pixels: nil, grids: nil, tilesPerImage: []) }
        if config.dynamicS2 != nil || config.dynamicTiling != nil, let a = aspectOverride {
            throw PreprocessError(message: "--image-aspect-ratio \(a.rawValue) does not apply: the model tiles images itself (image_aspect_ratio \(config.imageAspectRatio ?? "?"))")
        }
        if let s2 = config.dynamicS2 {
            let (px, grids) = try preprocessor(aspectOverride: .processor).dynamicS2PixelValues(paths: images, s2: s2)
            return ImageInputs(pixels: px, grids: grids, tilesPerImage: images.map { _ in 1 })
        }
        if let tiling = config.dynamicTiling {
            let (px, counts) = try preprocessor(aspectOverride: .processor).dynamicPixelValues(paths: images, tiling: tiling)
            return ImageInputs(pixels: px, grids: nil, tilesPerImage: counts)
        }
        let px = try preprocessor(aspectOverride: aspectOverride).pixelValues(paths: images, expectedSize: config.inputImageSize)
        return ImageInputs(pixels: px, grids: nil, tilesPerImage: images.map { _ in 1 })
    }

    /// VILA's CONVERSATION_MODE_MAPPING (by model name); then the checkpoint's chat template
    /// (NVILA's "auto" conversation); then the tokenizer's special tokens (llama_3, hermes-2);
    /// then vicuna_v1 (VILA 1.5's Llama-2 models).
    public func chooseTemplate(model: String) throws -> (ConversationTemplate, String) {
        let name = model.lowercased()
        let byName: [(String, String)] = [("vila1.5-3b", "vicuna_v1"), ("vila1.5-8b", "llama_3"), ("vila1.5-13b", "vicuna_v1"),
                                          ("vila1.5-40b", "hermes-2"), ("llama-3", "llama_3"), ("llama3", "llama_3")]
        for (key, template) in byName where name.contains(key) {
            return (ConversationTemplate.all[template]!, "the model path contains \"\(key)\"")
        }
        // The NVILA release's prompting; LLaVA-HF templates take content lists with image parts,
        // which vlmkit does not build, so those keep the built-in templates.
        if let chat, config.layout == .vila { return (try templated(chat), "the chat template of \(chat.origin)") }
        if tokenizer.tokenID("<|start_header_id|>") != nil && tokenizer.tokenID("<|eot_id|>") != nil {
            return (.llama3, "the tokenizer has Llama 3 header tokens")
        }
        if tokenizer.tokenID("<|im_start|>") != nil { return (.hermes2, "the tokenizer has <|im_start|>") }
        return (.vicunaV1, "default for Llama 2 style models")
    }

    /// The template by `--template` name: a built-in one, or "chat_template" for the checkpoint's own.
    public func template(named name: String) throws -> ConversationTemplate {
        if name == ConversationTemplate.chatTemplateName {
            guard let chat else { throw PromptError(message: "--template chat_template: the checkpoint has no chat template (tokenizer_config.json chat_template, chat_template.jinja, or config.json chat_template)") }
            guard config.layout == .vila else {
                throw PromptError(message: "--template chat_template: LLaVA-HF chat templates take messages whose content is a list of text and image parts, which vlmkit does not build; use plain, vicuna_v1, llama_3 or hermes-2")
            }
            return try templated(chat)
        }
        guard let t = ConversationTemplate.all[name] else { throw PromptError(message: "no conversation template \"\(name)\"") }
        return t
    }

    /// The chat template with its stop token, found as NVILA's `infer_stop_tokens` does: render
    /// a conversation whose answers are a sentinel and take the token right after each answer.
    public func templated(_ chat: TemplatedChat) throws -> ConversationTemplate {
        let stops = try inferredStops(chat)
        let eos = chat.specialTokens["eos_token"]
        let stop = stops.first { $0 != eos } ?? eos ?? stops.first ?? ""
        return .templated(chat, stop: stop)
    }

    /// The decoded first tokens after each assistant message of a 10-turn dummy conversation.
    func inferredStops(_ chat: TemplatedChat) throws -> [String] {
        let sentinel = "<vila/sentinel>"
        let turns = (0..<10).flatMap { _ in [(role: "user", content: "question"), (role: "assistant", content: sentinel)] }
        let text: String
        do { text = try chat.render(turns, generation: false) } catch {
            throw PromptError(message: "\(chat.origin): \(error)")
        }
        var out: [String] = []
        for part in text.components(separatedBy: sentinel).dropFirst() {
            guard let first = tokenizer.encode(part, addSpecialTokens: false).first else { continue }
            let s = tokenizer.decode([first])
            if !out.contains(s) { out.append(s) }
        }
        return out
    }

    /// Token ids that end an answer: the model's EOS ids, and the template's stop string when
    /// the vocabulary has it as one token (llama_3 stops at <|eot_id|> and <|end_of_text|>).
    public func stopIDs(template: ConversationTemplate) -> Set<Int> {
        var ids = Set(config.llm.eosTokenIDs)
        if let e = tokenizer.eosID { ids.insert(e) }
        for s in [template.stopString] + (template.sep2.map { [$0] } ?? []) {
            if let id = tokenizer.tokenID(s) { ids.insert(id) }
        }
        return ids
    }
}
