import ArgumentParser
import Pipeline
import Chat
import Imaging
import TensorCore
import TensorIO

struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Decode and preprocess images exactly as `run` feeds them; write input.pixel_values.",
        discussion: """
        Writes a safetensors file with `input.pixel_values` (F32 [N, 3, H, W]): the images decoded \
        (PNG, JPEG; as Pillow's convert("RGB")), then VILA's image_aspect_ratio step (resize or pad) \
        and the checkpoint's preprocessor_config.json (CLIPImageProcessor: resize shortest side, \
        centre crop; SigLIP: resize to square; then rescale and normalise). The result can serve as, \
        or be compared with, a golden file's input. Bit-identical to Pillow + transformers on \
        golden/images (formats/images.md).

        Example:
          vlmkit preprocess golden/models/vila-clip-linear-f16 golden/images/files/scene-97x61.jpg -o /tmp/pixels.safetensors
        """
    )

    @Argument(help: "Checkpoint folder, quantized model folder or bundle.")
    var model: String

    @Argument(help: "Image files (PNG or JPEG).")
    var images: [String]

    @Option(name: .shortAndLong, help: "Output safetensors file.")
    var output: String

    @Option(help: "Override the checkpoint's image_aspect_ratio: processor, resize or pad.")
    var imageAspectRatio: AspectMode?

    @Flag(help: "Print one JSON object (output, shape, processor, image_aspect_ratio).")
    var json = false

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
    }

    func run() throws {
        let config = try ModelSource.open(model).config
        let assets = try ModelAssets(files: ModelTokenizer.configFiles(model), config: config)
        for w in assets.warnings { FileHandleOutput.stderr("vlmkit: warning: " + w) }
        try FileSystem.requireDistinct(output: output, inputs: [model] + images)
        let aspect = imageAspectRatio
        let preprocessor = try assets.preprocessor(aspectOverride: aspect)
        let prepared = try assets.pixelValues(images, aspectOverride: aspect)
        let (pixels, grids) = (prepared.pixels!, prepared.grids)
        let aspectName = config.dynamicS2 != nil ? "dynamic_s2" : config.dynamicTiling != nil ? "dynamic" : preprocessor.aspect.rawValue
        var writer = SafetensorsWriter(metadata: [
            "format": "vlmkit-pixels", "model": model, "images": JSONValue.array(images.map { .string($0) }).serialized,
            "image_aspect_ratio": aspectName, "processor": preprocessor.config.processorType,
        ])
        try writer.add("input.pixel_values", tensor: pixels)
        if let grids {
            try writer.add("input.grids", int64: grids.flatMap { [Int64($0.rows), Int64($0.cols)] }, shape: [grids.count, 2])
        }
        _ = try writer.write(to: output)
        if json {
            struct Written: Encodable { let output: String; let shape: [Int]; let processor: String; let imageAspectRatio: String }
            print(try JSONOutput.encode(Written(output: output, shape: pixels.shape.dims, processor: preprocessor.config.processorType,
                                                imageAspectRatio: aspectName)))
        } else {
            var tiling = grids.map { " and input.grids (last-scale tiles per image: \($0.map(\.description).joined(separator: ", ")))" } ?? ""
            if prepared.tilesPerImage.contains(where: { $0 != 1 }) {
                // NVILA-Lite: each tile is an image of its own, so the prompt needs one marker per tile.
                tiling = " (tiles per image: \(prepared.tilesPerImage.map(String.init).joined(separator: ", ")); each tile is one image in the prompt: one -200 per tile)"
            }
            print("wrote \(output): input.pixel_values \(pixels.shape)\(tiling) (\(preprocessor.config.processorType), image_aspect_ratio \(aspectName))")
        }
    }
}
