import ModelGraph
import TensorCore

/// VILA's `image_aspect_ratio`: what happens to an image before the Hugging Face processor.
public enum AspectMode: String, Sendable, CaseIterable {
    /// Straight to the processor (CLIP: resize shorter side + centre crop; SigLIP: squash to square).
    case processor
    /// Squash to the processor's crop size (or size) with Pillow's default bicubic first.
    case resize
    /// Pad to a square with the mean colour first, the image centred.
    case pad

    /// From a config's `image_aspect_ratio`; absent or unknown values mean the processor's default,
    /// as in VILA's `process_image`.
    public init(config value: String?) {
        self = value.flatMap(AspectMode.init(rawValue:)) ?? .processor
    }
}

/// What happens to an alpha channel, as the layout's reference pipeline does it.
public enum AlphaRule: String, Sendable {
    /// VILA's loader (`Image.open(f).convert("RGB")`, llava/mm_utils.py): alpha dropped.
    case drop
    /// transformers' processors given the opened image (LLaVA-HF): `convert_to_rgb` composites
    /// it onto white.
    case compositeOnWhite
}

public struct PreprocessError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

/// Turns a decoded image into the `pixel_values` a vision tower takes, as VILA's `process_image`
/// followed by the Hugging Face processor (formats/images.md).
public struct ImagePreprocessor: Sendable {
    public let config: ImageProcessorConfig
    public let aspect: AspectMode
    /// No intermediate image may exceed this many pixels: padding a 100000×1 image to a square,
    /// or resizing its short side up, would otherwise allocate gigabytes (Pillow would try).
    public var maxPixels = ImageDecoder.defaultMaxPixels

    public var alpha: AlphaRule

    public init(config: ImageProcessorConfig, aspect: AspectMode, alpha: AlphaRule = .drop) {
        self.config = config
        self.aspect = aspect
        self.alpha = alpha
    }

    func checkSize(_ w: Int, _ h: Int, _ step: String) throws {
        let (p, overflow) = w.multipliedReportingOverflow(by: h)
        guard !overflow, p <= maxPixels else {
            throw PreprocessError(message: "\(step) gives a \(w)x\(h) image, more than the limit of \(maxPixels) pixels")
        }
    }

    /// The 8-bit image after every geometric step (aspect handling, resize, crop), before
    /// rescaling and normalisation.
    public func geometry(_ input: RGBImage) throws -> RGBImage {
        var image = input
        guard image.width > 0 && image.height > 0 else { throw PreprocessError(message: "the image has no pixels") }
        if alpha == .drop { image.alpha = nil }
        switch aspect {
        case .processor: break
        case .resize:
            // VILA: image.resize((crop_size["height"], crop_size["width"])), Pillow's default filter (bicubic).
            let target: (height: Int, width: Int)
            if let crop = config.cropSize {
                target = crop
            } else if case let .exact(h, w) = config.size {
                target = (h, w)
            } else {
                throw PreprocessError(message: "image_aspect_ratio 'resize' needs crop_size or a height/width size in \(config.processorType)'s config")
            }
            image = PILResampler.resize(image, width: target.height, height: target.width, filter: .bicubic)
        case .pad:
            let side = max(image.width, image.height)
            try checkSize(side, side, "padding \(image.width)x\(image.height) to a square (image_aspect_ratio pad)")
            let bg = config.imageMean.map { UInt8(clamping: Int($0 * 255)) }
            image = image.expandedToSquare(background: (bg[0], bg[1], bg[2]))
        }
        // transformers 5's convert_to_rgb (the processor's first step).
        image = image.compositedOnWhite()
        if config.doResize {
            let (h, w) = outputSize(height: image.height, width: image.width)
            guard h > 0 && w > 0 else { throw PreprocessError(message: "resizing \(image.width)x\(image.height) gives an empty image") }
            try checkSize(w, h, "resizing \(image.width)x\(image.height)")
            image = PILResampler.resize(image, width: w, height: h, filter: config.resample)
        }
        if config.doCenterCrop, let crop = config.cropSize {
            // transformers' center_crop: offsets rounded down, zero padding when the crop is larger.
            let top = (image.height - crop.height).floorDiv2, left = (image.width - crop.width).floorDiv2
            try checkSize(max(crop.width, image.width), max(crop.height, image.height), "center crop")
            if top >= 0 && left >= 0 {
                image = image.cropped(top: top, left: left, height: crop.height, width: crop.width)
            } else {
                let ph = max(crop.height, image.height), pw = max(crop.width, image.width)
                let topPad = (ph - image.height + 1) / 2, leftPad = (pw - image.width + 1) / 2
                var padded = RGBImage(width: pw, height: ph, fill: (0, 0, 0))
                padded.paste(image, x: leftPad, y: topPad)
                let t = (image.height - crop.height).floorDiv2 + topPad, l = (image.width - crop.width).floorDiv2 + leftPad
                let t0 = max(0, t), l0 = max(0, l)
                let b = min(ph, t + crop.height), r = min(pw, l + crop.width)
                image = padded.cropped(top: t0, left: l0, height: b - t0, width: r - l0)
            }
        }
        return image
    }

    /// HF's output size for the resize step, as (height, width).
    public func outputSize(height: Int, width: Int) -> (Int, Int) {
        switch config.size {
        case let .exact(h, w): return (h, w)
        case let .shortestEdge(s):
            let short = min(height, width), long = max(height, width)
            let newLong = Int(min(Double(s) * Double(long) / Double(short), Double(Int32.max)))
            return width <= height ? (newLong, s) : (s, newLong)
        }
    }

    /// Channel-first float pixels [3, H, W]: rescaled in double then rounded to float, normalised
    /// in float, as transformers' `rescale` and `normalize` compute them.
    public func pixels(_ input: RGBImage) throws -> (values: [Float], height: Int, width: Int) {
        let image = try geometry(input)
        let plane = image.width * image.height
        var out = [Float](repeating: 0, count: 3 * plane)
        let mean = config.imageMean.map { Float($0) }, std = config.imageStd.map { Float($0) }
        for i in 0..<plane {
            for c in 0..<3 {
                var v = Float(image.pixels[3 * i + c])
                if config.doRescale { v = Float(Double(image.pixels[3 * i + c]) * config.rescaleFactor) }
                if config.doNormalize { v = (v - mean[c]) / std[c] }
                out[c * plane + i] = v
            }
        }
        return (out, image.height, image.width)
    }

    /// Decodes and preprocesses image files into one [N, 3, H, W] tensor; every image must come
    /// out at `expectedSize` × `expectedSize` (the vision tower's input).
    public func pixelValues(paths: [String], expectedSize: Int) throws -> Tensor {
        var data: [Float] = []
        for path in paths {
            let image = try ImageDecoder.decode(path: path)
            let (values, h, w) = try pixels(image)
            guard h == expectedSize && w == expectedSize else {
                throw PreprocessError(message: "\(path): preprocessing (\(config.processorType), image_aspect_ratio \(aspect.rawValue)) gives \(w)x\(h) pixels but the vision tower takes \(expectedSize)x\(expectedSize)")
            }
            data += values
        }
        return Tensor(shape: [paths.count, 3, expectedSize, expectedSize], data: data)
    }
}

extension Int {
    /// Python's `//` by 2 (rounds toward −∞).
    var floorDiv2: Int { self >= 0 ? self / 2 : -((-self + 1) / 2) }
}
