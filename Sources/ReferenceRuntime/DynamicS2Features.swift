import ModelGraph

/// NVILA's dynamic S2 between the tower and the language model (NVlabs/VILA llava_arch.py at
/// 36f6adc: `merge_features_for_dynamic_s2`, `merge_chessboard`, `split_chessboard`,
/// `encode_images`). Feature maps here are channels-last [h, w, c], row-major.
public enum DynamicS2Features {
    /// One image's tile features (each [g², C], a g×g grid row-major; the tiles in the order the
    /// tiler made them) → the multi-scale map [Ho, Wo, S·C]: per scale the tiles put back together,
    /// area-resized to the grid of scale `resizeOutputTo`, concatenated on channels in scale order.
    public static func merge(tiles: [[Float]], s2: DynamicS2Config, grid: TileGrid, tileGrid g: Int, width c: Int)
        -> (map: [Float], height: Int, width: Int) {
        precondition(tiles.count == s2.tileCount(grid))
        if grid.isUntiled {
            // block size None: the one tile's features repeated for every scale (`repeat(1, S, 1, 1)`).
            let s = s2.scales.count
            var out = [Float](repeating: 0, count: g * g * s * c)
            for p in 0..<(g * g) { for k in 0..<s { for e in 0..<c { out[(p * s + k) * c + e] = tiles[0][p * c + e] } } }
            return (out, g, g)
        }
        var scales: [(map: [Float], h: Int, w: Int)] = []
        var next = 0
        for (r, q) in s2.fixedSides.map({ ($0, $0) }) + [(grid.rows, grid.cols)] {
            let parts = Array(tiles[next..<(next + r * q)])
            next += r * q
            scales.append((chessboard(parts, rows: r, cols: q, partHeight: g, partWidth: g, width: c), r * g, q * g))
        }
        let target = scales[s2.resizeOutputTo]
        let (ho, wo) = (target.h, target.w)
        let s = scales.count
        var out = [Float](repeating: 0, count: ho * wo * s * c)
        for (k, scale) in scales.enumerated() {
            let resized = areaResize(scale.map, height: scale.h, width: scale.w, width: c, toHeight: ho, toWidth: wo)
            for p in 0..<(ho * wo) {
                for e in 0..<c { out[(p * s + k) * c + e] = resized[p * c + e] }
            }
        }
        return (out, ho, wo)
    }

    /// `merge_chessboard`: rows×cols parts of [ph, pw, C], row-major, as one [rows·ph, cols·pw, C] map.
    public static func chessboard(_ parts: [[Float]], rows: Int, cols: Int, partHeight ph: Int, partWidth pw: Int, width c: Int) -> [Float] {
        precondition(parts.count == rows * cols && parts.allSatisfy { $0.count == ph * pw * c })
        let w = cols * pw
        var out = [Float](repeating: 0, count: rows * ph * w * c)
        for i in 0..<rows {
            for j in 0..<cols {
                let part = parts[i * cols + j]
                for y in 0..<ph {
                    let to = ((i * ph + y) * w + j * pw) * c
                    for e in 0..<(pw * c) { out[to + e] = part[y * pw * c + e] }
                }
            }
        }
        return out
    }

    /// `split_chessboard`: a [rows·ph, cols·pw, C] map cut into rows×cols parts, row-major.
    public static func split(_ map: [Float], rows: Int, cols: Int, partHeight ph: Int, partWidth pw: Int, width c: Int) -> [[Float]] {
        let w = cols * pw
        precondition(map.count == rows * ph * w * c)
        var parts: [[Float]] = []
        for i in 0..<rows {
            for j in 0..<cols {
                var part = [Float](repeating: 0, count: ph * pw * c)
                for y in 0..<ph {
                    let from = ((i * ph + y) * w + j * pw) * c
                    for e in 0..<(pw * c) { part[y * pw * c + e] = map[from + e] }
                }
                parts.append(part)
            }
        }
        return parts
    }

    /// PyTorch's `F.interpolate(mode="area")` (adaptive average pooling): output cell (y, x)
    /// averages input rows ⌊y·H/Ho⌋ ..< ⌈(y+1)·H/Ho⌉ and the columns alike.
    public static func areaResize(_ x: [Float], height h: Int, width w: Int, width c: Int, toHeight ho: Int, toWidth wo: Int) -> [Float] {
        if h == ho && w == wo { return x }
        var out = [Float](repeating: 0, count: ho * wo * c)
        var sum = [Float](repeating: 0, count: c)
        for oy in 0..<ho {
            let y0 = oy * h / ho, y1 = ((oy + 1) * h + ho - 1) / ho
            for ox in 0..<wo {
                let x0 = ox * w / wo, x1 = ((ox + 1) * w + wo - 1) / wo
                for e in 0..<c { sum[e] = 0 }
                for y in y0..<y1 {
                    for xx in x0..<x1 {
                        let base = (y * w + xx) * c
                        for e in 0..<c { sum[e] += x[base + e] }
                    }
                }
                let n = Float((y1 - y0) * (x1 - x0))
                let o = (oy * wo + ox) * c
                for e in 0..<c { out[o + e] = sum[e] / n }
            }
        }
        return out
    }
}
