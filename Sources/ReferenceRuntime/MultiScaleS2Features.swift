import ModelGraph

/// VILA 1.5's multi-scale S2 between the tower and the projector (s2wrapper's `forward`,
/// github.com/bfshi/scaling_on_scales core.py, as NVlabs/VILA's VisionTowerS2 calls it).
public enum MultiScaleS2Features {
    /// One image's pixels [3, S, S] at the largest scale → the multi-scale feature map
    /// [G·G, scales·C] (G the grid of scale `resizeOutputTo`), computing each tile's features with `tower`.
    public static func features(pixels: ArraySlice<Float>, s2: MultiScaleS2Config, channels: Int,
                                tower: (ArraySlice<Float>) -> [Float], towerGrid g: Int, width c: Int) -> [Float] {
        let size = s2.scales.last!
        let input = Array(pixels)
        var maps: [(map: [Float], side: Int)] = []
        for (scale, n) in zip(s2.scales, s2.splits) {
            let x = Bicubic.resize(input, channels: channels, from: size, to: scale)
            let tile = s2.maxSplitSize
            var parts: [[Float]] = []
            for i in 0..<n {
                for j in 0..<n {
                    var t = [Float](repeating: 0, count: channels * tile * tile)
                    for ch in 0..<channels {
                        for y in 0..<tile {
                            let from = (ch * scale + i * tile + y) * scale + j * tile
                            let to = (ch * tile + y) * tile
                            for e in 0..<tile { t[to + e] = x[from + e] }
                        }
                    }
                    parts.append(tower(t[...]))
                }
            }
            maps.append((DynamicS2Features.chessboard(parts, rows: n, cols: n, partHeight: g, partWidth: g, width: c), n * g))
        }
        let side = maps[s2.resizeOutputTo].side
        let s = maps.count
        var out = [Float](repeating: 0, count: side * side * s * c)
        for (k, m) in maps.enumerated() {
            let r = DynamicS2Features.areaResize(m.map, height: m.side, width: m.side, width: c, toHeight: side, toWidth: side)
            for p in 0..<(side * side) { for e in 0..<c { out[(p * s + k) * c + e] = r[p * c + e] } }
        }
        return out
    }
}

/// PyTorch's `F.interpolate(mode="bicubic", align_corners=False)` without antialiasing, on
/// channel-first square images: cubic convolution (A = −0.75) over 4×4 source pixels with
/// clamped indices, source coordinate (dst + 0.5)·in/out − 0.5, rows interpolated along x first
/// and the four results along y (upsample_bicubic2d's order).
public enum Bicubic {
    public static func resize(_ x: [Float], channels: Int, from n: Int, to m: Int) -> [Float] {
        if n == m { return x }
        let scale = Float(n) / Float(m)
        func taps(_ d: Int) -> (Int, [Float]) {
            let real = scale * (Float(d) + 0.5) - 0.5
            let i = Int(real.rounded(.down))
            return (i, weights(real - Float(i)))
        }
        let t = (0..<m).map(taps)
        var out = [Float](repeating: 0, count: channels * m * m)
        for ch in 0..<channels {
            let base = ch * n * n
            for oy in 0..<m {
                let (iy, wy) = t[oy]
                for ox in 0..<m {
                    let (ix, wx) = t[ox]
                    func row(_ k: Int) -> Float {
                        let r = base + min(max(iy - 1 + k, 0), n - 1) * n
                        var v: Float = 0
                        for l in 0..<4 { v += x[r + min(max(ix - 1 + l, 0), n - 1)] * wx[l] }
                        return v
                    }
                    let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3)
                    out[(ch * m + oy) * m + ox] = r0 * wy[0] + r1 * wy[1] + r2 * wy[2] + r3 * wy[3]
                }
            }
        }
        return out
    }

    /// The four cubic-convolution weights for fractional offset t.
    static func weights(_ t: Float) -> [Float] {
        let a: Float = -0.75
        func near(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
        func far(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        return [far(t + 1), near(t), near(1 - t), far(2 - t)]
    }
}
