import COpenBLAS
import Foundation
import ModelGraph
import TensorCore
import TensorIO

/// Timings of the runner on one model, with OpenBLAS sgemm alone on the same matrix shapes as the
/// anchor for the compute-bound stages (vision, prefill). Random inputs; nothing is checked.
public struct RuntimeBenchmark: Encodable, Sendable {
    public var threads: Int
    /// The float kernels in use: "avx2" (AVX2+FMA+F16C) or "portable".
    public var kernels: String = ComputeContext.current.kernelName
    /// What quantized layers multiply: "float" (exact), "int8" or "auto" (int8 for int4 layers).
    public var activations: String = ComputeContext.current.activations.rawValue
    /// The integer-dot kernels ("avx2", "neon-dotprod", "neon", "portable") of layers that round activations.
    public var integerKernels: String = ComputeContext.current.integerKernelName
    public var images: Int
    /// Tower inputs per image: 1, or with S2 every tile of every scale (dynamic S2: the grid of a
    /// 1920×1080 image, NVILA-8B's 3×4 → 17 tiles).
    public var tilesPerImage: Int = 1
    public var visionMsPerImage: Double
    /// Linear-layer FLOPs of one image through the tower (all its tiles), and sgemm's time for them.
    public var visionGflops: Double
    public var visionSgemmMs: Double
    public var promptTokens: Int
    public var prefillSeconds: Double
    public var prefillGflops: Double
    public var prefillSgemmSeconds: Double
    public var decodeTokens: Int
    public var decodeSeconds: Double
    /// The process's memory right after decoding, before the sgemm anchor allocates its
    /// buffers: anonymous (activations, KV cache, work buffers — and any weight copied onto the
    /// heap) and file-backed (weights used in place from mapped files).
    public var memory: ProcessMemory

    public var prefillTokensPerSecond: Double { Double(promptTokens) / prefillSeconds }
    public var decodeTokensPerSecond: Double { Double(decodeTokens) / decodeSeconds }

    /// (M, N, K) of every Linear layer of the language model for `tokens` rows, lm_head on the last row only.
    public static func llmShapes(_ c: LlamaConfig, tokens: Int) -> [(Int, Int, Int)] {
        let h = c.hiddenSize, kv = c.numKVHeads * c.headDim, q = c.numHeads * c.headDim
        let layer = [(tokens, q, h), (tokens, kv, h), (tokens, kv, h), (tokens, h, q),
                     (tokens, c.intermediateSize, h), (tokens, c.intermediateSize, h), (tokens, h, c.intermediateSize)]
        return Array(repeating: layer, count: c.numLayers).flatMap { $0 } + [(1, c.vocabSize, h)]
    }

    /// The vision tower's matrix products for one image: per layer q, k, v, o, fc1, fc2 and, per
    /// head, attention's scores Q·Kᵀ [n, n] and weighted values P·V [n, headDim]; and the patch
    /// embedding as a matrix product.
    public static func visionShapes(_ v: VisionConfig, layersUsed: Int) -> [(Int, Int, Int)] {
        let n = v.numPositions, h = v.hiddenSize, hd = v.headDim
        let attention = Array(repeating: [(n, n, hd), (n, hd, n)], count: v.numHeads).flatMap { $0 }
        let layer = [(n, h, h), (n, h, h), (n, h, h), (n, h, h), (n, v.intermediateSize, h), (n, h, v.intermediateSize)] + attention
        return [(v.numPatches, h, v.numChannels * v.patchSize * v.patchSize)] + Array(repeating: layer, count: layersUsed).flatMap { $0 }
    }

    public static func flops(_ shapes: [(Int, Int, Int)]) -> Double {
        shapes.reduce(0) { $0 + 2 * Double($1.0) * Double($1.1) * Double($1.2) }
    }

    /// Seconds for sgemm to run every shape once (best of `repeats`).
    public static func sgemmSeconds(_ shapes: [(Int, Int, Int)], repeats: Int = 3) -> Double {
        // Buffers allocated before timing, one set per distinct shape; the timed loop only calls sgemm.
        typealias Buffers = (a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>)
        var byShape: [String: Buffers] = [:]
        var plan: [(m: Int, n: Int, k: Int, buffers: Buffers)] = []
        for (m, n, k) in shapes {
            let key = "\(m),\(n),\(k)"
            if byShape[key] == nil {
                let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k), b = UnsafeMutablePointer<Float>.allocate(capacity: n * k)
                let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
                a.initialize(repeating: 0.01, count: m * k)
                b.initialize(repeating: 0.02, count: n * k)
                c.initialize(repeating: 0, count: m * n)
                byShape[key] = (a, b, c)
            }
            plan.append((m, n, k, byShape[key]!))
        }
        defer { for buffers in byShape.values { buffers.a.deallocate(); buffers.b.deallocate(); buffers.c.deallocate() } }
        // The anchor is OpenBLAS on its own threads, as a user calling it directly would run it.
        openblas_set_num_threads(Int32(Parallel.threads))
        defer { openblas_set_num_threads(1) }
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = Date()
            for p in plan {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(p.m), Int32(p.n), Int32(p.k), 1, p.buffers.a, Int32(p.k),
                            p.buffers.b, Int32(p.k), 0, p.buffers.c, Int32(p.n))
            }
            best = min(best, Date().timeIntervalSince(start))
        }
        return best
    }

    /// Runs `images` random images through vision + projector, a prompt of `promptTokens` random
    /// ids, then `decodeTokens` steps of decoding through the KV cache.
    public static func run(_ runner: VLMRunner, images: Int, promptTokens: Int, decodeTokens: Int) throws -> RuntimeBenchmark {
        let c = runner.config
        var rng = SystemRandomNumberGenerator()
        let perImage = c.vision.numChannels * c.vision.imageSize * c.vision.imageSize
        let pixels = (0..<perImage).map { _ in Float.random(in: -1...1, using: &rng) }
        var visionTime = 0.0
        var tiles = 1
        if c.dynamicS2 != nil || c.multiScaleS2 != nil {
            // S2: the whole image path (every tile through the tower, the multi-scale merge, the projector).
            let grid = c.grid(width: 1920, height: 1080)
            tiles = c.multiScaleS2.map { $0.splits.reduce(0) { $0 + $1 * $1 } } ?? c.tileCount(grid)
            let side = c.inputImageSize, count = c.multiScaleS2 == nil ? tiles : 1
            let px = (0..<(count * c.vision.numChannels * side * side)).map { _ in Float.random(in: -1...1, using: &rng) }
            let inputs = RunInputs(tokenIDs: [RunInputs.imageToken], pixelValues: Tensor(shape: [count, c.vision.numChannels, side, side], data: px),
                                   grids: c.dynamicS2 == nil ? nil : [grid])
            for _ in 0..<images {
                let t = Date()
                _ = try runner.spliceEmbeddings(inputs)
                visionTime += Date().timeIntervalSince(t)
            }
        } else {
            for _ in 0..<images {
                let t = Date()
                let f = runner.vision.forward(pixels: pixels[...])
                _ = runner.projector.forward(f, tokens: runner.vision.outputTokens)
                visionTime += Date().timeIntervalSince(t)
            }
        }
        let vShapes = Array(repeating: visionShapes(c.vision, layersUsed: c.visionLayersUsed), count: tiles).flatMap { $0 }

        let ids = (0..<promptTokens).map { _ in Int.random(in: 0..<c.llm.vocabSize, using: &rng) }
        var embeddings: [Float] = []
        embeddings = try runner.llm.embeddings(of: ids)
        var cache = runner.llm.makeCache()
        let t0 = Date()
        var logits = runner.llm.forward(embeddings, tokens: promptTokens, cache: &cache, allLogits: false)
        let prefill = Date().timeIntervalSince(t0)
        let t1 = Date()
        for _ in 0..<decodeTokens {
            let next = Kernels.argmax(logits[...])
            logits = runner.llm.forward(try runner.llm.embedding(of: next), tokens: 1, cache: &cache, allLogits: false)
        }
        let decode = Date().timeIntervalSince(t1)
        let memory = ProcessMemory.current()
        let pShapes = llmShapes(c.llm, tokens: promptTokens)
        return RuntimeBenchmark(
            threads: Parallel.threads, images: images, tilesPerImage: tiles, visionMsPerImage: images == 0 ? 0 : visionTime * 1000 / Double(images),
            visionGflops: flops(vShapes) / 1e9, visionSgemmMs: images == 0 ? 0 : sgemmSeconds(vShapes) * 1000,
            promptTokens: promptTokens, prefillSeconds: prefill, prefillGflops: flops(pShapes) / 1e9,
            prefillSgemmSeconds: sgemmSeconds(pShapes), decodeTokens: decodeTokens, decodeSeconds: decode, memory: memory)
    }
}
