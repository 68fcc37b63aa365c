/// An 8-bit RGB image, rows top to bottom, pixels interleaved (R, G, B): what Pillow's
/// `Image.open(path).convert("RGB")` holds.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// width × height × 3 bytes.
    public var pixels: [UInt8]
    /// The colour Pillow keeps in `info["transparency"]` (a PNG tRNS colour, raw sample values),
    /// which survives `resize` but not `paste` into a new image.
    public var transparentColor: [Int]? = nil
    /// The file's alpha channel (width × height bytes), when it has one. Only layouts whose
    /// reference pipeline composites it read it (formats/images.md); geometry steps drop it.
    public var alpha: [UInt8]? = nil

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3, "RGBImage: \(pixels.count) bytes for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A width × height image filled with one colour.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8)) {
        var p = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            p[3 * i] = fill.0
            p[3 * i + 1] = fill.1
            p[3 * i + 2] = fill.2
        }
        self.init(width: width, height: height, pixels: p)
    }

    /// transformers 5's `convert_to_rgb`: an image with a transparency colour is composited onto
    /// white, so pixels of exactly that colour become (255, 255, 255). transformers 4.x returned
    /// RGB images unchanged.
    public func compositedOnWhite() -> RGBImage {
        if alpha != nil { return alphaCompositedOnWhite() }
        guard let t = transparentColor else { return self }
        var out = self
        out.transparentColor = nil
        for i in 0..<(width * height) where Int(pixels[3 * i]) == t[0] && Int(pixels[3 * i + 1]) == t[1] && Int(pixels[3 * i + 2]) == t[2] {
            out.pixels[3 * i] = 255
            out.pixels[3 * i + 1] = 255
            out.pixels[3 * i + 2] = 255
        }
        return out
    }

    /// transformers' `convert_to_rgb` on an image with an alpha channel: `convert("RGBA")`, then
    /// Pillow's `Image.alpha_composite` over opaque white, in Pillow's integer arithmetic
    /// (libImaging/AlphaComposite.c: 7 extra bits, divisions by 255 rounded by shifts).
    public func alphaCompositedOnWhite() -> RGBImage {
        guard let alpha else { return self }
        var out = self
        out.alpha = nil
        out.transparentColor = nil
        func shiftDiv255(_ a: UInt32) -> UInt32 { ((a >> 8) + a) >> 8 }
        let precision: UInt32 = 7
        for i in 0..<(width * height) {
            let a = UInt32(alpha[i])
            if a == 0 {
                out.pixels[3 * i] = 255; out.pixels[3 * i + 1] = 255; out.pixels[3 * i + 2] = 255
                continue
            }
            let blend = 255 * (255 - a)             // destination alpha 255
            let outA255 = a * 255 + blend
            let coef1 = a * 255 * 255 * (1 << precision) / outA255
            let coef2 = 255 * (1 << precision) - coef1
            for c in 0..<3 {
                let tmp = UInt32(pixels[3 * i + c]) * coef1 + 255 * coef2
                out.pixels[3 * i + c] = UInt8(shiftDiv255(tmp + (0x80 << precision)) >> precision)
            }
        }
        return out
    }

    /// Copies `image` into this one with its top-left corner at (x, y); parts outside are cut off
    /// (Pillow's `Image.paste` with a position).
    public mutating func paste(_ image: RGBImage, x: Int, y: Int) {
        for row in 0..<image.height {
            let ty = y + row
            guard ty >= 0 && ty < height else { continue }
            for col in 0..<image.width {
                let tx = x + col
                guard tx >= 0 && tx < width else { continue }
                let s = (row * image.width + col) * 3, d = (ty * width + tx) * 3
                pixels[d] = image.pixels[s]
                pixels[d + 1] = image.pixels[s + 1]
                pixels[d + 2] = image.pixels[s + 2]
            }
        }
    }

    /// VILA's `expand2square`: the image centred on a square of `background`, the shorter side
    /// padded (offset `(long − short) / 2`, rounded down); square images are returned as they are.
    public func expandedToSquare(background: (UInt8, UInt8, UInt8)) -> RGBImage {
        if width == height { return self }
        let side = max(width, height)
        var out = RGBImage(width: side, height: side, fill: background)
        if width > height {
            out.paste(self, x: 0, y: (width - height) / 2)
        } else {
            out.paste(self, x: (height - width) / 2, y: 0)
        }
        return out
    }

    /// The rectangle [top, top+h) × [left, left+w), as HF's `center_crop` takes it: parts outside
    /// the image are zero.
    public func cropped(top: Int, left: Int, height h: Int, width w: Int) -> RGBImage {
        var out = RGBImage(width: w, height: h, fill: (0, 0, 0))
        out.paste(self, x: -left, y: -top)
        return out
    }
}
