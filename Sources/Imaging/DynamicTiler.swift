import ModelGraph
import TensorCore

/// NVILA-Lite's `dynamic_preprocess` (llava/mm_utils.py, NVlabs/VILA 36f6adc): the image resized
/// (Pillow's default, bicubic) to cols·S × rows·S and cut into tiles row by row, then — when that
/// makes more than one tile — the whole image resized to S × S as a thumbnail. Each tile then
/// goes through the processor alone (formats/images.md).
extension ImagePreprocessor {
    public func dynamicTiles(_ input: RGBImage, tiling: DynamicTilingConfig) throws -> [RGBImage] {
        let image = try tilingInput(input)
        let s = tiling.tileSize
        let g = tiling.grid(width: image.width, height: image.height)
        try checkSize(s * g.cols, s * g.rows, "dynamic tiling to \(g.cols)×\(g.rows) tiles")
        let resized = PILResampler.resize(image, width: s * g.cols, height: s * g.rows, filter: .bicubic)
        var tiles = (0..<(g.rows * g.cols)).map { i in
            resized.cropped(top: (i / g.cols) * s, left: (i % g.cols) * s, height: s, width: s)
        }
        if tiles.count > 1 { tiles.append(PILResampler.resize(image, width: s, height: s, filter: .bicubic)) }
        return tiles
    }

    /// Decodes image files into tower inputs [tiles, 3, S, S] and how many each image became. As
    /// NVILA's `generate_content`: one image is tiled; several are each preprocessed whole.
    public func dynamicPixelValues(paths: [String], tiling: DynamicTilingConfig) throws -> (pixels: Tensor, tilesPerImage: [Int]) {
        var data: [Float] = [], counts: [Int] = []
        let s = tiling.tileSize
        for path in paths {
            let image = try ImageDecoder.decode(path: path)
            let tiles = paths.count == 1 ? try dynamicTiles(image, tiling: tiling) : [image]
            for tile in tiles {
                let (values, h, w) = try pixels(tile)
                guard h == s && w == s else {
                    throw PreprocessError(message: "\(path): the processor (\(config.processorType)) turns a tile into \(w)x\(h) pixels; the tower takes \(s)x\(s)")
                }
                data += values
            }
            counts.append(tiles.count)
        }
        return (Tensor(shape: [counts.reduce(0, +), 3, s, s], data: data), counts)
    }
}
