import ModelGraph
import TensorCore

/// NVILA's `dynamic_s2_preprocess` (llava/mm_utils.py, NVlabs/VILA 36f6adc): every scale but the
/// last resizes the image to a k×k square of tiles, the last to the rows×cols grid its aspect ratio
/// picks; each resize is Pillow's default (bicubic), tiles are cropped row by row, and each tile
/// then goes through the processor alone (formats/images.md).
extension ImagePreprocessor {
    /// The tiles of one image, in the tower's order, and the grid of its last scale.
    public func dynamicS2Tiles(_ input: RGBImage, s2: DynamicS2Config) throws -> (tiles: [RGBImage], grid: TileGrid) {
        let image = try tilingInput(input)
        let size = s2.tileSize
        let grid = s2.grid(width: image.width, height: image.height)
        var tiles: [RGBImage] = []
        for (rows, cols) in s2.fixedSides.map({ ($0, $0) }) + [(grid.rows, grid.cols)] {
            try checkSize(size * cols, size * rows, "dynamic S2 resizing to \(cols)×\(rows) tiles")
            let resized = PILResampler.resize(image, width: size * cols, height: size * rows, filter: .bicubic)
            for i in 0..<(rows * cols) {
                tiles.append(resized.cropped(top: (i / cols) * size, left: (i % cols) * size, height: size, width: size))
            }
        }
        return (tiles, grid)
    }

    /// The image as VILA tiles it: opened with `.convert("RGB")` (alpha per the layout's rule, a
    /// transparency colour composited on white).
    func tilingInput(_ input: RGBImage) throws -> RGBImage {
        guard input.width > 0 && input.height > 0 else { throw PreprocessError(message: "the image has no pixels") }
        var image = input
        if alpha == .drop { image.alpha = nil }
        return image.compositedOnWhite()
    }

    /// Decodes image files and tiles them: [tiles, 3, S, S] for all images in order, and each
    /// image's grid (what `RunInputs.grids` takes). As NVILA's `generate_content` does: one image is
    /// tiled; several are each preprocessed whole (`process_images`, no tiling) and marked untiled,
    /// which the model then treats as one tile seen at every scale.
    public func dynamicS2PixelValues(paths: [String], s2: DynamicS2Config) throws -> (pixels: Tensor, grids: [TileGrid]) {
        var data: [Float] = [], grids: [TileGrid] = []
        var count = 0
        let size = s2.tileSize
        for path in paths {
            let image = try ImageDecoder.decode(path: path)
            let (tiles, grid) = paths.count == 1 ? try dynamicS2Tiles(image, s2: s2) : ([image], TileGrid.untiled)
            for tile in tiles {
                let (values, h, w) = try pixels(tile)
                guard h == size && w == size else {
                    throw PreprocessError(message: "\(path): the processor (\(config.processorType)) turns a \(size)×\(size) dynamic S2 tile into \(w)x\(h) pixels; the tower takes \(size)x\(size)")
                }
                data += values
            }
            count += tiles.count
            grids.append(grid)
        }
        return (Tensor(shape: [count, 3, size, size], data: data), grids)
    }
}
