import ModelGraph

/// What a checkpoint's `preprocessor_config.json` asks for, read the way Hugging Face's
/// `CLIPImageProcessor` and `SiglipImageProcessor` read it (transformers 4.x and 5.x spellings).
public struct ImageProcessorConfig: Sendable, Equatable {
    public enum ResizeTarget: Sendable, Equatable {
        /// Shorter side to this length, aspect ratio kept (CLIP).
        case shortestEdge(Int)
        /// Exactly height × width (SigLIP).
        case exact(height: Int, width: Int)
    }

    public var processorType: String
    public var doResize: Bool
    public var size: ResizeTarget
    public var resample: ResampleFilter
    public var doCenterCrop: Bool
    /// (height, width); present for CLIP-style processors.
    public var cropSize: (height: Int, width: Int)?
    public var doRescale: Bool
    public var rescaleFactor: Double
    public var doNormalize: Bool
    public var imageMean: [Double]
    public var imageStd: [Double]

    public static func == (a: Self, b: Self) -> Bool {
        a.processorType == b.processorType && a.doResize == b.doResize && a.size == b.size && a.resample == b.resample
            && a.doCenterCrop == b.doCenterCrop && a.cropSize?.height == b.cropSize?.height && a.cropSize?.width == b.cropSize?.width
            && a.doRescale == b.doRescale && a.rescaleFactor == b.rescaleFactor && a.doNormalize == b.doNormalize
            && a.imageMean == b.imageMean && a.imageStd == b.imageStd
    }

    public static let clipMean = [0.48145466, 0.4578275, 0.40821073]
    public static let clipStd = [0.26862954, 0.26130258, 0.27577711]

    /// The processor a vision tower implies when a checkpoint ships no preprocessor_config.json:
    /// the defaults of CLIPImageProcessor / SiglipImageProcessor at the tower's image size.
    public static func defaults(for vision: VisionConfig) -> ImageProcessorConfig {
        let s = vision.imageSize
        if vision.kind == .intern { return intern(size: s) }
        if vision.kind == .siglip {
            return ImageProcessorConfig(processorType: "SiglipImageProcessor", doResize: true, size: .exact(height: s, width: s),
                                        resample: .bicubic, doCenterCrop: false, cropSize: nil, doRescale: true,
                                        rescaleFactor: 1.0 / 255.0, doNormalize: true, imageMean: [0.5, 0.5, 0.5], imageStd: [0.5, 0.5, 0.5])
        }
        return ImageProcessorConfig(processorType: "CLIPImageProcessor", doResize: true, size: .shortestEdge(s), resample: .bicubic,
                                    doCenterCrop: true, cropSize: (s, s), doRescale: true, rescaleFactor: 1.0 / 255.0,
                                    doNormalize: true, imageMean: clipMean, imageStd: clipStd)
    }

    public static let imageNetMean = [0.485, 0.456, 0.406]
    public static let imageNetStd = [0.229, 0.224, 0.225]

    /// VILA's InternVisionPreprocessor (llava/model/multimodal_encoder/intern_encoder.py): torchvision's
    /// `Resize((s, s), BICUBIC)` on the PIL image (Pillow's bicubic resize), `ToTensor` (÷255) and
    /// `Normalize` with ImageNet's mean and std. ÷255 in float equals transformers' ×(1/255) rounded
    /// to float for all 256 byte values, so the shared rescale step computes it exactly.
    public static func intern(size s: Int) -> ImageProcessorConfig {
        ImageProcessorConfig(processorType: "InternVisionPreprocessor", doResize: true, size: .exact(height: s, width: s),
                             resample: .bicubic, doCenterCrop: false, cropSize: nil, doRescale: true, rescaleFactor: 1.0 / 255.0,
                             doNormalize: true, imageMean: imageNetMean, imageStd: imageNetStd)
    }

    /// VILA's InternVisionPreprocessor saves only its `resize_size`; anything else is read as usual.
    public static func read(_ c: ConfigObject, vision: VisionConfig) throws -> ImageProcessorConfig {
        if vision.kind == .intern, let type = try c.string("image_processor_type"), type.contains("Intern") {
            return intern(size: try c.positiveInt("resize_size", default: vision.imageSize))
        }
        return try ImageProcessorConfig(c)
    }

    public init(processorType: String, doResize: Bool, size: ResizeTarget, resample: ResampleFilter, doCenterCrop: Bool,
                cropSize: (height: Int, width: Int)?, doRescale: Bool, rescaleFactor: Double, doNormalize: Bool,
                imageMean: [Double], imageStd: [Double]) {
        self.processorType = processorType
        self.doResize = doResize
        self.size = size
        self.resample = resample
        self.doCenterCrop = doCenterCrop
        self.cropSize = cropSize
        self.doRescale = doRescale
        self.rescaleFactor = rescaleFactor
        self.doNormalize = doNormalize
        self.imageMean = imageMean
        self.imageStd = imageStd
    }

    /// Reads a preprocessor_config.json. Keys left out take the defaults of the class it names
    /// (CLIP or SigLIP); other classes must spell out size, mean and std.
    public init(_ c: ConfigObject) throws {
        let type = try c.string("image_processor_type") ?? "unknown"
        let siglip = type.lowercased().contains("siglip")
        let clip = !siglip && type.lowercased().contains("clip")
        processorType = type
        doResize = try c.bool("do_resize", default: true)
        doCenterCrop = try c.bool("do_center_crop", default: clip)
        doRescale = try c.bool("do_rescale", default: true)
        doNormalize = try c.bool("do_normalize", default: true)
        rescaleFactor = try c.positiveDouble("rescale_factor", default: 1.0 / 255.0)

        let resampleID = try c.int("resample", default: ResampleFilter.bicubic.rawValue)
        guard let filter = ResampleFilter(rawValue: resampleID) else {
            throw ConfigError.invalidValue(file: c.file, key: "resample", detail: "must be a Pillow filter number 0…5, found \(resampleID)")
        }
        guard filter != .nearest else {
            throw ConfigError.unsupported(file: c.file, detail: "resample 0 (nearest) is not supported; only Pillow's convolution filters (1…5)")
        }
        resample = filter

        // size: {"shortest_edge": n} | {"height": h, "width": w} | n (old spelling: CLIP reads it as the shortest edge).
        if let s = try c.object("size") {
            if let e = try s.int("shortest_edge") {
                guard e > 0 else { throw ConfigError.invalidValue(file: c.file, key: "size.shortest_edge", detail: "must be positive, found \(e)") }
                size = .shortestEdge(e)
            } else if s.has("height") || s.has("width") {
                size = .exact(height: try s.positiveInt("height"), width: try s.positiveInt("width"))
            } else {
                throw ConfigError.unsupported(file: c.file, detail: "\"size\" must hold shortest_edge or height and width, found \(s.json.serialized)")
            }
        } else if c.has("size") {
            let n = try c.positiveInt("size")
            size = siglip || !clip ? .exact(height: n, width: n) : .shortestEdge(n)
        } else if doResize {
            throw ConfigError.missingKey(file: c.file, key: "size")
        } else {
            size = .exact(height: 0, width: 0)
        }

        if let s = try c.object("crop_size") {
            cropSize = (try s.positiveInt("height"), try s.positiveInt("width"))
        } else if c.has("crop_size") {
            let n = try c.positiveInt("crop_size")
            cropSize = (n, n)
        } else {
            cropSize = nil
        }
        if doCenterCrop && cropSize == nil { throw ConfigError.missingKey(file: c.file, key: "crop_size") }

        let defaultMean = siglip ? [0.5, 0.5, 0.5] : clip ? Self.clipMean : nil
        let defaultStd = siglip ? [0.5, 0.5, 0.5] : clip ? Self.clipStd : nil
        imageMean = try Self.triple(c, "image_mean", default: defaultMean)
        imageStd = try Self.triple(c, "image_std", default: defaultStd)
        if doNormalize, let zero = imageStd.firstIndex(of: 0) {
            throw ConfigError.invalidValue(file: c.file, key: "image_std", detail: "has 0 for channel \(zero): normalising would divide by zero")
        }
        if let zero = imageStd.firstIndex(where: { $0 == 0 }) {
            throw ConfigError.invalidValue(file: c.file, key: "image_std", detail: "channel \(zero) is zero")
        }
    }

    /// A number or a list of three numbers.
    static func triple(_ c: ConfigObject, _ key: String, default d: [Double]?) throws -> [Double] {
        guard let v = c.value(key) else {
            guard let d else { throw ConfigError.missingKey(file: c.file, key: key) }
            return d
        }
        if let x = v.doubleValue, x.isFinite { return [x, x, x] }
        if let items = v.arrayValue, items.count == 3, case let values = items.compactMap(\.doubleValue), values.count == 3,
           values.allSatisfy(\.isFinite) {
            return values
        }
        throw ConfigError.wrongType(file: c.file, key: key, expected: "a number or a list of 3 numbers", found: v.serialized)
    }
}

extension ImageProcessorConfig {
    /// The same processor producing `side`×`side` pixels: what NVlabs VILA's VisionTowerS2 does
    /// to the processor (CLIP: shortest_edge and crop_size; SigLIP: size).
    public func resized(to side: Int) -> ImageProcessorConfig {
        var c = self
        switch size {
        case .shortestEdge: c.size = .shortestEdge(side)
        case .exact: c.size = .exact(height: side, width: side)
        }
        if c.cropSize != nil { c.cropSize = (side, side) }
        return c
    }
}
