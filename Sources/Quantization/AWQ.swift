import Foundation
import ModelGraph
import ReferenceRuntime
import TensorCore

/// Activation-aware weight quantization (Lin et al., MLSys 2024) on the CPU, block by block
/// over the language model, as llm-awq does it (formats/quantization.md):
///
/// 1. calibration prompts run through the float model; each decoder layer's inputs are kept;
/// 2. per layer and per group of Linear layers that share an input — (q, k, v) after
///    input_layernorm; o after v (only without GQA); (gate, up) after post_attention_layernorm;
///    down after up — s = mean|x|^α (normalised by √(max·min)) is tried for α = 0, 1/20, …,
///    19/20, scoring each by the MSE of the group's block output with fake-quantized W·s and
///    inputs x/s; α = 0 is plain RTN, so the choice is never worse than RTN on that score;
/// 3. 1/s is folded into the preceding norm or Linear, s into the group's weights;
/// 4. a clipping range is searched per output row and group (shrinking max|w| by up to 50 %
///    over 10 of 20 grid steps; q and k are not clipped);
/// 5. the next layer's inputs come from the float layer, as in llm-awq.
///
/// The result is a set of replacement float weights; `ModelQuantizer` then rounds them with RTN.
/// `search` keeps every layer's in memory (small models, tests); `AWQRun` streams: one layer's
/// float weights at a time, each layer encoded and written as soon as its search ends.
public enum AWQ {
    public static let grid = 20
    public static let maxShrink = 0.5

    /// Where a search is: layer `layer` (0-based) of `layers`, in `group` ("forward": the float
    /// forward over every calibration token, then each searched group, then "clip"), or finished
    /// with that layer (`group` nil).
    public struct Step: Sendable {
        public let layer: Int
        public let layers: Int
        public let group: String?
    }

    public struct Result: Sendable {
        public let overrides: [String: [Float]]
        public let summary: AWQSummary
    }

    public struct Settings: Sendable {
        /// Calibration tokens used to score candidate scales (whole sequences, from the start);
        /// the per-channel statistics mean|x| always use every calibration token.
        public var searchTokens = 512
        /// Tokens used to score clipping ranges.
        public var clipTokens = 512
        /// Whether to search clipping ranges (off only to test that scale folding is exact).
        public var clip = true
        public init() {}
    }

    /// Every layer's search in memory; the overrides hold each layer's rewritten float weights.
    public static func search(graph: VLMGraph, recipe: QuantRecipe, calibration: CalibrationData, threads: Int,
                              settings: Settings = Settings(),
                              progress: @escaping (Step) -> Void = { _ in }) throws -> Result {
        let start = Date()
        let weights = GraphWeights(graph)
        var cal = try Calibrated(weights: weights, calibration: calibration, settings: settings)
        var x = cal.takeInputs()
        var overrides: [String: [Float]] = [:]
        var summary = AWQSummary()
        summary.calibrationTokens = cal.all.tokens
        let layers = graph.config.llm.numLayers
        for l in 0..<layers {
            let outcome = try searchLayer(l, inputs: &x, weights: weights, recipe: recipe, calibrated: cal, settings: settings,
                                          threads: threads) { progress(Step(layer: l, layers: layers, group: $0)) }
            for (slot, value) in zip(try LlamaDecoderFamily.layer(l, SlotNames()).all, outcome.rewritten.all) { overrides[slot] = value }
            summary.choices += outcome.choices
            summary.clippedTensors += outcome.clipped
            progress(Step(layer: l, layers: layers, group: nil))
        }
        summary.seconds = Date().timeIntervalSince(start)
        return Result(overrides: overrides, summary: summary)
    }

    /// What one layer's search produced.
    public struct LayerOutcome: Sendable {
        /// The layer's weights with scales folded in and clipping applied (norms rescaled).
        public let rewritten: LlamaLayerWeights<[Float], [Float]>
        public let choices: [AWQSummary.Choice]
        public let clipped: Int
    }

    /// Searches decoder layer `l` on `inputs` (the layer's inputs over the whole calibration
    /// set), replacing them with the float layer's outputs: the next layer's inputs. Only this
    /// layer's weights are read (as f32, from the mapped checkpoint) and they are released on return.
    public static func searchLayer(_ l: Int, inputs x: inout [Float], weights: any WeightSource, recipe: QuantRecipe,
                                   calibrated cal: Calibrated, settings: Settings, threads: Int,
                                   group: (String) -> Void = { _ in }) throws -> LayerOutcome {
        group("forward")
        let c = weights.config.llm
        let fam = LlamaDecoderFamily.self
        func bias(_ m: ModuleDecl) throws -> [Float]? { m.bias(weights.config) ? try weights.required(m.biasSlot(l)) : nil }
        let biases = AWQBlocks.Biases(q: try bias(fam.q), k: try bias(fam.k), v: try bias(fam.v), o: try bias(fam.o),
                                      gate: try bias(fam.gate), up: try bias(fam.up), down: try bias(fam.down))
        var all = cal.all, sub = cal.sub
        all.biases = biases
        sub.biases = biases
        let h = c.hiddenSize, inter = c.intermediateSize
        let qd = c.numHeads * c.headDim, kvd = c.numKVHeads * c.headDim
        var clippedCount = 0
        let layer = try fam.layer(l, WeightValues(weights))
        var attnNorm = layer.attnNorm, mlpNorm = layer.mlpNorm
        var q = layer.q, k = layer.k, v = layer.v, o = layer.o, gate = layer.gate, up = layer.up, down = layer.down
        let scheme = { (m: ModuleDecl) in recipe.scheme(for: m.slotPrefix(l)) }
        let eps = Float(c.rmsNormEps)

        // Float forward of the whole calibration set: the next layer's inputs.
        func layerForward(_ xin: [Float], _ blocks: AWQBlocks) -> (xn1: [Float], ctx: [Float], attnOut: [Float],
                                                                     xn2: [Float], inter: [Float], out: [Float]) {
            let t = blocks.tokens
            let xn1 = Kernels.rmsNorm(xin, width: h, weight: attnNorm, eps: eps)
            let ctx = blocks.attentionContext(xn: xn1, q: q, k: k, v: v)
            let attnOut = AWQBlocks.linear(o, ctx, rows: t, out: h, inF: qd, bias: biases.o)
            var hid = xin
            Kernels.add(&hid, attnOut)
            let xn2 = Kernels.rmsNorm(hid, width: h, weight: mlpNorm, eps: eps)
            let mid = blocks.mlpIntermediate(xn: xn2, gate: gate, up: up)
            let mlpOut = AWQBlocks.linear(down, mid, rows: t, out: h, inF: inter, bias: biases.down)
            Kernels.add(&hid, mlpOut)
            return (xn1, ctx, attnOut, xn2, mid, hid)
        }
        // One float forward over every calibration token: the next layer's inputs, the
        // statistics of each group's input, and (its first rows) the scoring subset.
        let full = layerForward(x, all)
        let t = sub.tokens
        func head(_ v: [Float], _ width: Int) -> [Float] { Array(v[0..<(t * width)]) }
        let xs = head(x, h)
        let f = (xn1: head(full.xn1, h), ctx: head(full.ctx, qd), attnOut: head(full.attnOut, h),
                 xn2: head(full.xn2, h), inter: head(full.inter, inter), out: head(full.out, h))
        let mlpOut: [Float] = zip(f.out, f.attnOut).enumerated().map { $0.element.0 - $0.element.1 - xs[$0.offset] }
        let stats = (xn1: ScaleSearch.meanAbs(full.xn1, width: h), ctx: ScaleSearch.meanAbs(full.ctx, width: qd),
                     xn2: ScaleSearch.meanAbs(full.xn2, width: h), inter: ScaleSearch.meanAbs(full.inter, width: inter))
        x = full.out

        var choices: [AWQSummary.Choice] = []
        func record(_ name: String, _ r: ScaleSearch.Outcome) {
            choices.append(.init(layer: l, group: name, alpha: r.alpha, rtnLoss: r.rtnLoss, bestLoss: r.bestLoss))
        }

        // (q, k, v) after input_layernorm, scored on the attention output.
        var sQKV: [Float]? = nil
        if [scheme(fam.q), scheme(fam.k), scheme(fam.v)].contains(where: { $0 != nil }) {
            group("qkv")
            let r = try ScaleSearch.run(meanAbs: stats.xn1, width: h,
                                        fcs: [(q, qd, scheme(fam.q)), (k, kvd, scheme(fam.k)), (v, kvd, scheme(fam.v))],
                                        target: f.attnOut, threads: threads) { w in
                AWQBlocks.linear(o, sub.attentionContext(xn: f.xn1, q: w[0], k: w[1], v: w[2]), rows: t, out: h, inF: qd, bias: biases.o)
            }
            record("qkv", r); sQKV = r.scales
        }
        // o after v, only when their shapes match (no GQA) and v has no bias (its bias would have
        // to be divided with its rows; not done, so the group is not searched).
        var sO: [Float]? = nil
        if c.numKVHeads == c.numHeads, biases.v == nil, scheme(fam.o) != nil {
            group("o")
            let r = try ScaleSearch.run(meanAbs: stats.ctx, width: qd, fcs: [(o, h, scheme(fam.o))],
                                        target: f.attnOut, threads: threads) { w in
                AWQBlocks.linear(w[0], f.ctx, rows: t, out: h, inF: qd, bias: biases.o)
            }
            record("o", r); sO = r.scales
        }
        // (gate, up) after post_attention_layernorm, scored on the MLP output.
        var sGU: [Float]? = nil
        if scheme(fam.gate) != nil || scheme(fam.up) != nil {
            group("gate_up")
            let r = try ScaleSearch.run(meanAbs: stats.xn2, width: h,
                                        fcs: [(gate, inter, scheme(fam.gate)), (up, inter, scheme(fam.up))],
                                        target: mlpOut, threads: threads) { w in
                AWQBlocks.linear(down, sub.mlpIntermediate(xn: f.xn2, gate: w[0], up: w[1]), rows: t, out: h, inF: inter, bias: biases.down)
            }
            record("gate_up", r); sGU = r.scales
        }
        // down after up (unless up has a bias, which would have to be divided with its rows).
        var sD: [Float]? = nil
        if biases.up == nil, scheme(fam.down) != nil {
            group("down")
            let r = try ScaleSearch.run(meanAbs: stats.inter, width: inter, fcs: [(down, h, scheme(fam.down))],
                                        target: mlpOut, threads: threads) { w in
                AWQBlocks.linear(w[0], f.inter, rows: t, out: h, inF: inter, bias: biases.down)
            }
            record("down", r); sD = r.scales
        }

        // Fold the scales: previous op ÷ s, the group's input columns × s.
        var xn1 = f.xn1, ctx = f.ctx, xn2 = f.xn2, mid = f.inter
        if let s = sQKV {
            Scaling.divide(&attnNorm, by: s)
            Scaling.multiplyColumns(&q, by: s)
            Scaling.multiplyColumns(&k, by: s)
            Scaling.multiplyColumns(&v, by: s)
            Scaling.divideColumns(&xn1, by: s)
        }
        if let s = sO {
            Scaling.divideRows(&v, by: s)
            Scaling.multiplyColumns(&o, by: s)
            Scaling.divideColumns(&ctx, by: s)
        }
        if let s = sGU {
            Scaling.divide(&mlpNorm, by: s)
            Scaling.multiplyColumns(&gate, by: s)
            Scaling.multiplyColumns(&up, by: s)
            Scaling.divideColumns(&xn2, by: s)
        }
        if let s = sD {
            Scaling.divideRows(&up, by: s)
            Scaling.multiplyColumns(&down, by: s)
            Scaling.divideColumns(&mid, by: s)
        }

        group("clip")
        // Clipping, on the scaled weights and inputs (q and k are not clipped).
        let n = min(settings.clipTokens, t)
        func clip(_ w: inout [Float], _ m: ModuleDecl, rows: Int, inputs: [Float], width: Int) throws {
            guard settings.clip, let sch = scheme(m) else { return }
            try ClipSearch.run(&w, rows: rows, cols: width, x: Array(inputs[0..<(n * width)]), tokens: n, scheme: sch, threads: threads)
            clippedCount += 1
        }
        try clip(&v, fam.v, rows: kvd, inputs: xn1, width: h)
        try clip(&o, fam.o, rows: h, inputs: ctx, width: qd)
        try clip(&gate, fam.gate, rows: inter, inputs: xn2, width: h)
        try clip(&up, fam.up, rows: inter, inputs: xn2, width: h)
        try clip(&down, fam.down, rows: h, inputs: mid, width: inter)

        let rewritten = LlamaLayerWeights(attnNorm: attnNorm, q: q, k: k, v: v, o: o, mlpNorm: mlpNorm, gate: gate, up: up, down: down)
        return LayerOutcome(rewritten: rewritten, choices: choices, clipped: clippedCount)
    }
}
