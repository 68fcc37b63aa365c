/// Fills the typed graph from a binder, with the shapes the config implies.
enum GraphBuilder {
    static func build(path: String, config: VLMConfig, parts: [LayoutPart]) throws -> VLMGraph {
        // A config that asks for more layers than the checkpoint has tensors cannot match; say so
        // before enumerating millions of missing slots.
        var seen = Set<ObjectIdentifier>()
        let tensorCount = parts.filter { seen.insert(ObjectIdentifier($0.store)).inserted }.reduce(0) { $0 + $1.store.tensorNames.count }
        for (what, layers) in [("language model", config.llm.numLayers), ("vision tower", config.vision.numLayers)]
        where layers > max(tensorCount, 4096) {
            throw CoverageError(mismatched: ["the config gives the \(what) \(layers) layers but the checkpoint holds only \(tensorCount) tensors"])
        }
        let binder = SlotBinder(parts: parts)
        let vision = visionTower(config.vision, binder)
        let projector = projector(config.projector, binder)
        let llm = languageModel(config.llm, binder)
        let tensors = try binder.finish()
        // finish() throws whenever a required slot is empty, so every optional below is set.
        guard let vision, let projector, let llm else {
            throw CoverageError(missing: ["(internal) a required slot was not filled"])
        }
        return VLMGraph(path: path, config: config, vision: vision, projector: projector, llm: llm,
                        tensors: tensors, ignored: binder.ignored)
    }

    private static func affine(_ b: SlotBinder, _ name: String, _ shape: [Int], bias: Bool) -> Affine? {
        let w = b.take(name + ".weight", shape)
        let bs = bias ? b.take(name + ".bias", [shape[0]]) : nil
        guard let w, !bias || bs != nil else { return nil }
        return Affine(weight: w, bias: bs)
    }

    static func visionTower(_ c: VisionConfig, _ b: SlotBinder) -> VisionTower? {
        let d = c.hiddenSize, i = c.intermediateSize
        let patch = affine(b, "vision.patch_embed", [d, c.numChannels, c.patchSize, c.patchSize], bias: c.kind == .siglip)
        let cls = c.kind == .clip ? b.take("vision.class_embed", [d]) : nil
        let pos = b.take("vision.pos_embed", [c.numPositions, d])
        let pre = c.kind == .clip ? affine(b, "vision.pre_norm", [d], bias: true) : nil
        var layers: [VisionLayer] = []
        var complete = true
        for l in 0..<c.numLayers {
            let p = "vision.layers.\(l)"
            let parts = (affine(b, p + ".norm1", [d], bias: true),
                         affine(b, p + ".attn.q", [d, d], bias: true), affine(b, p + ".attn.k", [d, d], bias: true),
                         affine(b, p + ".attn.v", [d, d], bias: true), affine(b, p + ".attn.o", [d, d], bias: true),
                         affine(b, p + ".norm2", [d], bias: true),
                         affine(b, p + ".mlp.fc1", [i, d], bias: true), affine(b, p + ".mlp.fc2", [d, i], bias: true))
            if let n1 = parts.0, let q = parts.1, let k = parts.2, let v = parts.3, let o = parts.4,
               let n2 = parts.5, let f1 = parts.6, let f2 = parts.7 {
                layers.append(VisionLayer(norm1: n1, q: q, k: k, v: v, o: o, norm2: n2, fc1: f1, fc2: f2))
            } else {
                complete = false
            }
        }
        guard complete, let patch, let pos, c.kind == .siglip || (cls != nil && pre != nil) else { return nil }
        return VisionTower(config: c, patchEmbed: patch, classEmbed: cls, positionEmbed: pos, preNorm: pre, layers: layers)
    }

    static func projector(_ c: ProjectorConfig, _ b: SlotBinder) -> Projector? {
        let dv = c.inputSize, d = c.textHiddenSize
        let weights: ProjectorWeights?
        switch c.type {
        case .linear:
            weights = affine(b, "projector.linear", [d, dv], bias: c.hasBias).map { .linear($0) }
        case .mlp2xGelu:
            let f1 = affine(b, "projector.fc1", [d, dv], bias: c.hasBias)
            let f2 = affine(b, "projector.fc2", [d, d], bias: c.hasBias)
            if let f1, let f2 { weights = .mlp2xGelu(fc1: f1, fc2: f2) } else { weights = nil }
        case .mlpDownsample:
            let n = affine(b, "projector.norm", [dv], bias: true)
            let f1 = affine(b, "projector.fc1", [d, dv], bias: c.hasBias)
            let f2 = affine(b, "projector.fc2", [d, d], bias: c.hasBias)
            if let n, let f1, let f2 { weights = .mlpDownsample(norm: n, fc1: f1, fc2: f2) } else { weights = nil }
        }
        return weights.map { Projector(config: c, weights: $0) }
    }

    static func languageModel(_ c: LlamaConfig, _ b: SlotBinder) -> LanguageModel? {
        let h = c.hiddenSize, i = c.intermediateSize
        let qd = c.numHeads * c.headDim, kvd = c.numKVHeads * c.headDim
        let embed = b.take("llm.embed_tokens.weight", [c.vocabSize, h])
        var layers: [DecoderLayer] = []
        var complete = true
        for l in 0..<c.numLayers {
            let p = "llm.layers.\(l)"
            let an = b.take(p + ".attn_norm.weight", [h])
            let q = affine(b, p + ".attn.q", [qd, h], bias: c.attentionBias)
            let k = affine(b, p + ".attn.k", [kvd, h], bias: c.attentionBias)
            let v = affine(b, p + ".attn.v", [kvd, h], bias: c.attentionBias)
            let o = affine(b, p + ".attn.o", [h, qd], bias: c.attentionBias)
            let mn = b.take(p + ".mlp_norm.weight", [h])
            let g = affine(b, p + ".mlp.gate", [i, h], bias: c.mlpBias)
            let u = affine(b, p + ".mlp.up", [i, h], bias: c.mlpBias)
            let dn = affine(b, p + ".mlp.down", [h, i], bias: c.mlpBias)
            if let an, let q, let k, let v, let o, let mn, let g, let u, let dn {
                layers.append(DecoderLayer(attnNorm: an, q: q, k: k, v: v, o: o, mlpNorm: mn, gate: g, up: u, down: dn))
            } else {
                complete = false
            }
        }
        let norm = b.take("llm.norm.weight", [h])
        let head: TensorRef?
        if c.tieWordEmbeddings {
            b.drop("llm.lm_head.weight", reason: "tie_word_embeddings is true: the output layer reuses embed_tokens (transformers discards this copy)")
            head = nil
        } else {
            head = b.take("llm.lm_head.weight", [c.vocabSize, h])
            if head == nil { complete = false }
        }
        guard complete, let embed, let norm else { return nil }
        return LanguageModel(config: c, embedTokens: embed, layers: layers, norm: norm, lmHead: head)
    }
}
