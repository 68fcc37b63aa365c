import ModelGraph

/// The human-readable form of `vlmkit inspect`.
enum InspectText {
    static func render(_ s: ModelSummary, verbose: Bool) -> String {
        var out: [String] = []
        let layoutName = s.layout.hasPrefix("vila") ? "VILA layout" + s.layout.dropFirst(4) : "LLaVA-HF layout" + s.layout.dropFirst(8)
        out.append("\(s.path)  (\(layoutName))")
        out.append("")
        let v = s.vision
        out.append("vision tower    \(["clip": "CLIP", "siglip": "SigLIP", "intern": "Intern"][v.kind] ?? v.kind) ViT: \(v.imageSize) px, patch \(v.patchSize) (\(v.gridSize)×\(v.gridSize) grid), hidden \(v.hiddenSize), MLP \(v.intermediateSize), \(v.layers) layers, \(v.heads) heads, \(v.hiddenAct)")
        out.append("                features from hidden state \(v.selectLayer) (runs \(v.layersRun) of \(v.layers) layers), \(v.selectFeature) → \(v.featureTokens) tokens")
        let p = s.projector
        let t = s.tiling
        out.append("projector       \(p.type): \(p.inputSize) → \(p.outputSize)\(p.bias ? "" : " (no bias)"); \(p.imageTokens) image tokens per \(t.mode == "dynamic_s2" ? "block" : "image")")
        if let merge = p.merge, let order = p.mergeOrder.flatMap(TokenMergeOrder.init(rawValue:)) {
            out.append("                \(merge) merge, tokens \(order.summary) — \(p.mergeOrderReason ?? "")")
        }
        if let scales = t.scales, let lo = t.minTiles, let hi = t.maxTiles {
            let scaleText = scales.map(String.init).joined(separator: ", ")
            out.append("image tiling    dynamic S2: scales \(scaleText) px (tiles of \(scales[0])); the last scale's grid has \(lo)…\(hi) tiles chosen by aspect ratio")
            out.append("                features resized to scale \(scales[t.resizeOutputTo ?? 0]); \(t.tokensPerBlock) tokens per block → tokens per image vary (inspect --image-size WxH)")
            out.append("                several images in one prompt are not tiled (NVILA's generate_content): 1 tower input and \(t.tokensPerBlock) tokens each")
        }
        if t.mode == "dynamic", let lo = t.minTiles, let hi = t.maxTiles {
            out.append("image tiling    dynamic tiles (NVILA-Lite): a grid of \(lo)…\(hi) tower-sized tiles chosen by aspect ratio, plus a thumbnail when there are several; each tile is an image of its own (\(t.tokensPerBlock) tokens)")
            out.append("                several images in one prompt are not tiled (NVILA's generate_content)")
        }
        if t.mode == "multi_scale_s2", let scales = t.scales {
            out.append("image tiling    multi-scale S2: the image at \(scales.last!) px, resized to \(scales.map(String.init).joined(separator: ", ")) px and cut into \(scales[0]) px squares; features resized to scale \(scales[t.resizeOutputTo ?? 0]) and concatenated")
        }
        for i in t.images {
            out.append("                \(i.width)×\(i.height) image: grid \(i.grid), \(i.tiles) tower \(i.tiles == 1 ? "input" : "inputs"), \(i.tokens) image tokens")
        }
        let l = s.llm
        let attention = l.gqaRatio == 1 ? "MHA" : "GQA \(l.gqaRatio):1"
        out.append("language model  \(l.architecture == "qwen2" ? "Qwen2" : "Llama"): hidden \(l.hiddenSize), MLP \(l.intermediateSize), \(l.layers) layers, \(l.heads) heads / \(l.kvHeads) KV heads (\(attention)), head dim \(l.headDim), vocab \(l.vocabSize), biases: \(l.biases)")
        out.append("                rope θ \(format(l.ropeTheta)), scaling \(l.ropeScaling); RMSNorm eps \(format(l.rmsNormEps)); \(l.tieWordEmbeddings ? "tied embeddings" : "separate lm_head"); max positions \(l.maxPositionEmbeddings)")
        if let t = s.tokenizer {
            out.append("tokenizer       \(t.ids) ids with a token for \(t.embeddingRows) embedding rows: \(t.note)")
        }
        let pf = s.prompt
        var promptLines: [String] = []
        if let template = pf.template {
            promptLines.append("template \(template) — \(pf.reason ?? ""); stops at \((pf.stop ?? "").debugDescription)")
        } else {
            promptLines.append("template chosen once a tokenizer is present (none was found)")
        }
        if let why = pf.imageEncoderReason {
            func show(_ t: String?) -> String { t.map { $0.debugDescription } ?? "nothing" }
            promptLines.append("each image: \(show(pf.imageStartTokens)) before its features, \(show(pf.imageEndTokens)) after — \(why)")
        }
        for (i, line) in promptLines.enumerated() { out.append((i == 0 ? "prompt          " : "                ") + line) }
        out.append("")
        if s.total.tensors == 0 {
            out.append("weights         none: a config without tensors (parameter counts need the checkpoint)")
        } else {
            out.append(pad("component", 12) + pad("tensors", 9, right: true) + pad("parameters", 15, right: true) + pad("bytes", 15, right: true) + "  dtypes")
        }
        for c in s.components + [s.total] where s.total.tensors > 0 {
            let dtypes = c.byDtype.sorted { $0.key < $1.key }.map { "\($0.key) \(group($0.value.parameters))" }.joined(separator: ", ")
            out.append(pad(c.name, 12) + pad(String(c.tensors), 9, right: true) + pad(group(c.parameters), 15, right: true)
                       + pad(bytes(c.bytes), 15, right: true) + "  " + dtypes)
        }
        if !s.ignored.isEmpty {
            let total = s.ignored.reduce(0) { $0 + $1.bytes }
            out.append("")
            out.append("ignored         \(s.ignored.count) tensors (\(bytes(total))) the layout knows and does not use\(verbose ? ":" : "; --verbose lists them")")
            if verbose {
                for t in s.ignored { out.append("  \(t.name)  (\(t.file)): \(t.reason)") }
            }
        }
        out.append("")
        if s.problems.isEmpty {
            out.append("problems        none")
        } else {
            out.append("problems        \(s.problems.count)")
            for p in s.problems { out.append("  - \(p)") }
        }
        return out.joined(separator: "\n")
    }

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }

    /// 1234567 → "1,234,567".
    static func group(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }

    static func bytes(_ n: Int) -> String {
        if n < 1024 { return "\(n) B" }
        if n < 1 << 20 { return format(Double(n) / 1024, digits: 1) + " KiB" }
        if n < 1 << 30 { return format(Double(n) / Double(1 << 20), digits: 1) + " MiB" }
        return format(Double(n) / Double(1 << 30), digits: 2) + " GiB"
    }

    static func format(_ x: Double, digits: Int? = nil) -> String {
        if let digits {
            var p = 1.0
            for _ in 0..<digits { p *= 10 }
            let r = (x * p).rounded() / p
            return "\(r)"
        }
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }
}
