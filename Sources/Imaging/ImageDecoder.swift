import CImageCodecs
import TensorIO

public enum ImageError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case unknownFormat(path: String)
    case corrupt(path: String, format: String, detail: String)
    case truncated(path: String, format: String)
    case tooLarge(path: String, detail: String)
    case unsupported(path: String, detail: String)
    /// A video container given where an image was expected.
    case video(path: String, container: String)

    public var description: String {
        switch self {
        case let .unreadable(p, r): return "\(p): cannot read the image: \(r)"
        case let .unknownFormat(p): return "\(p): not a PNG or JPEG file (unrecognised signature)"
        case let .corrupt(p, f, d): return "\(p): corrupt \(f): \(d)"
        case let .truncated(p, f): return "\(p): truncated \(f): the file ends before the image data does"
        case let .tooLarge(p, d): return "\(p): image too large: \(d)"
        case let .unsupported(p, d): return "\(p): unsupported image: \(d)"
        case let .video(p, c):
            return "\(p): a video (\(c)); vlmkit runs images only — NVILA's video input (frames sampled by num_video_frames and fps, time tokens, the video encoder) is not implemented"
        }
    }
}

/// Decodes PNG and JPEG files (libpng, libjpeg-turbo) into RGB as Pillow's `convert("RGB")` does.
public enum ImageDecoder {
    /// Pillow refuses images above twice its MAX_IMAGE_PIXELS (a decompression-bomb guard); so do we.
    public static let defaultMaxPixels = 178_956_970

    public enum Format: String, Sendable { case png = "PNG", jpeg = "JPEG" }

    public static func format(of bytes: UnsafeRawBufferPointer) -> Format? {
        if bytes.count >= 8 && Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF { return .jpeg }
        return nil
    }

    public static func decode(path: String, maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch let e as IOError {
            // IOError already names the path; say only what it could not do.
            guard case let .cannotOpen(_, reason) = e else { throw e }
            throw ImageError.unreadable(path: path, reason: reason)
        }
        return try decode(bytes: file.bytes, label: path, maxPixels: maxPixels)
    }

    /// The container of a video file, by its signature: ISO base media (MP4, MOV: "ftyp" at byte
    /// 4), Matroska/WebM (EBML magic), AVI (RIFF … "AVI ").
    public static func videoContainer(of bytes: UnsafeRawBufferPointer) -> String? {
        if bytes.count >= 8 && Array(bytes[4..<8]) == Array("ftyp".utf8) { return "ISO base media: MP4/MOV" }
        if bytes.count >= 4 && Array(bytes.prefix(4)) == [0x1A, 0x45, 0xDF, 0xA3] { return "Matroska/WebM" }
        if bytes.count >= 12 && Array(bytes.prefix(4)) == Array("RIFF".utf8) && Array(bytes[8..<12]) == Array("AVI ".utf8) { return "AVI" }
        return nil
    }

    public static func decode(bytes: UnsafeRawBufferPointer, label: String, maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        guard let format = format(of: bytes) else {
            if let c = videoContainer(of: bytes) { throw ImageError.video(path: label, container: c) }
            throw ImageError.unknownFormat(path: label)
        }
        var image = vlm_image()
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let status = format == .png
            ? vlm_decode_png(base, bytes.count, UInt64(maxPixels), &image)
            : vlm_decode_jpeg(base, bytes.count, UInt64(maxPixels), &image)
        defer { vlm_image_free(&image) }
        let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        switch Int(status) {
        case Int(VLM_IMAGE_OK): break
        case Int(VLM_IMAGE_TRUNCATED): throw ImageError.truncated(path: label, format: format.rawValue)
        case Int(VLM_IMAGE_TOO_LARGE): throw ImageError.tooLarge(path: label, detail: message)
        case Int(VLM_IMAGE_UNSUPPORTED): throw ImageError.unsupported(path: label, detail: message)
        case Int(VLM_IMAGE_NO_MEMORY): throw ImageError.tooLarge(path: label, detail: "out of memory: " + message)
        default: throw ImageError.corrupt(path: label, format: format.rawValue, detail: message.isEmpty ? "rejected by the decoder" : message)
        }
        let w = Int(image.width), h = Int(image.height)
        let pixels = [UInt8](UnsafeBufferPointer(start: image.pixels, count: w * h * 3))
        var out = RGBImage(width: w, height: h, pixels: pixels)
        if let a = image.alpha { out.alpha = [UInt8](UnsafeBufferPointer(start: a, count: w * h)) }
        if image.has_transparent_color != 0 {
            let t = image.transparent_color
            out.transparentColor = [Int(t.0), Int(t.1), Int(t.2)]
        }
        return out
    }
}
