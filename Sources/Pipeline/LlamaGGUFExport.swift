import Chat
import Foundation
import ModelGraph
import Tokenizer
import Quantization
import GGUF
import ReferenceRuntime
import TensorIO

/// Exports the language model of any VLMKit model source as a GGUF v3 file llama.cpp loads
/// (architecture `llama` or `qwen2`; formats/gguf-export.md).
public enum LlamaGGUFExport {
    public struct Summary: Sendable, Encodable {
        public let path: String
        public let bytes: Int
        public let tensors: Int
        public let type: String
    }

    public enum ExportError: Error, CustomStringConvertible {
        case unsupported(String)
        public var description: String {
            switch self { case .unsupported(let d): return "cannot export to GGUF: \(d)" }
        }
    }

    /// f32 values of a slot, dequantizing quantized layers (exact for float sources).
    static func floats(_ source: any WeightSource, _ slot: String) throws -> [Float] {
        // A quantized folder (QuantizedModel) and a bundle (QuantizedWeights) both hold QuantizedWeights.
        if let q = (source as? QuantizedModel)?.weights ?? source as? QuantizedWeights, slot.hasSuffix(".weight") {
            let prefix = String(slot.dropLast(".weight".count))
            if let scheme = q.schemes[prefix] { return try q.matrix(prefix, scheme: scheme).dequantized() }
        }
        return try source.required(slot)
    }

    /// Rows of a q or k projection reordered from Hugging Face's rotate-half layout to
    /// llama.cpp's interleaved one: within each head, row j·(hd/2) + i moves to i·2 + j.
    public static func permuteForRope(_ w: [Float], heads: Int, headDim hd: Int) -> [Float] {
        let cols = w.count / (heads * hd)
        var out = [Float](repeating: 0, count: w.count)
        for h in 0..<heads {
            for j in 0..<2 {
                for i in 0..<(hd / 2) {
                    let src = (h * hd + j * (hd / 2) + i) * cols, dst = (h * hd + i * 2 + j) * cols
                    for c in 0..<cols { out[dst + c] = w[src + c] }
                }
            }
        }
        return out
    }

    /// The head count whose rows are reordered for llama.cpp's rope (q and k), nil for other modules.
    static func ropeHeads(_ m: ModuleDecl, _ c: LlamaConfig) -> Int? {
        switch m.slot {
        case LlamaDecoderFamily.q.slot: return c.numHeads
        case LlamaDecoderFamily.k.slot: return c.numKVHeads
        default: return nil
        }
    }

    /// llama.cpp's `rope_freqs` factors for Llama 3.1 scaling: each frequency is divided by its factor.
    public static func llama3RopeFactors(headDim: Int, theta: Double, factor: Double, low: Double, high: Double, original: Int) -> [Float] {
        (0..<(headDim / 2)).map { i in
            let freq = 1 / Float(pow(theta, Double(Float(2 * i) / Float(headDim))))
            let wavelen = 2 * Double.pi / Double(freq)
            if wavelen < Double(original) / high { return 1 }
            if wavelen > Double(original) / low { return Float(factor) }
            let smooth = (Double(original) / wavelen - low) / (high - low)
            return Float(1 / ((1 - smooth) / factor + smooth))
        }
    }

    public static func export(source: any WeightSource, files: any ConfigSource, to path: String, type: GGMLType,
                              name: String, progress: @escaping (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        let c = source.config.llm
        // llama.cpp's `qwen2` architecture: the same tensors plus q/k/v biases, rotary in the
        // rotate-half layout Hugging Face stores (no row reordering); `llama`: interleaved rotary.
        let arch = c.architecture == .qwen2 ? "qwen2" : "llama"
        let reorderForRope = c.architecture == .llama
        // Biases (Llama's attention_bias / mlp_bias, Qwen2's q/k/v) are written as llama.cpp's optional
        // `blk.N.*.bias` tensors; for `llama`, q and k biases are reordered like their weights' rows.
        // llama.cpp's qwen2 graph has no MLP or output biases.
        guard c.architecture == .llama || (!c.mlpBias && !c.outputBias) else {
            throw ExportError.unsupported("a Qwen2 language model with \(c.mlpBias ? "MLP" : "output") biases has no llama.cpp counterpart (its qwen2 graph adds q/k/v biases only)")
        }
        let dir = source.config.layout.tokenizerFolder
        var tokConfig: ConfigObject? = nil
        if files.exists(dir + "tokenizer_config.json") { tokConfig = try files.read(dir + "tokenizer_config.json") }
        let tokenizer: TokenizerMetadata
        if files.exists(dir + "tokenizer.model") {
            let sp = try SentencePieceModel(bytes: try files.bytes(dir + "tokenizer.model"), file: files.label(dir + "tokenizer.model"))
            tokenizer = try .sentencePiece(sp, vocabSize: c.vocabSize, config: tokConfig, file: files.label(dir + "tokenizer.model"))
        } else if files.exists(dir + "tokenizer.json") {
            let json = try files.read(dir + "tokenizer.json")
            if json.json["model"]?["byte_fallback"]?.boolValue == true {
                // Llama 2 style (BPE with byte fallback over ▁): llama.cpp's SentencePiece tokenizer.
                let vocab = try MetaspaceGGUFVocab(json, vocabSize: c.vocabSize)
                tokenizer = try .metaspaceBPE(vocab, config: tokConfig, fallbackBOS: c.bosTokenID, fallbackEOS: c.eosTokenIDs.first)
            } else {
                let vocab = try HFTokenizerVocab(json, vocabSize: c.vocabSize)
                tokenizer = try .byteLevel(vocab, config: tokConfig, fallbackBOS: c.bosTokenID, fallbackEOS: c.eosTokenIDs.first)
            }
        } else {
            throw ExportError.unsupported("\(files.label(dir + "tokenizer.json")) is missing; GGUF needs the tokenizer (tokenizer.json or tokenizer.model)")
        }

        var w = GGUFWriter()
        try w.set("general.architecture", .string(arch))
        try w.set("general.name", .string(name))
        try w.set("general.file_type", .uint32(type.fileType))
        let hyper: [(String, GGUFValue)] = [
            ("context_length", .uint32(UInt32(c.maxPositionEmbeddings))), ("embedding_length", .uint32(UInt32(c.hiddenSize))),
            ("block_count", .uint32(UInt32(c.numLayers))), ("feed_forward_length", .uint32(UInt32(c.intermediateSize))),
            ("rope.dimension_count", .uint32(UInt32(c.headDim))), ("attention.head_count", .uint32(UInt32(c.numHeads))),
            ("attention.head_count_kv", .uint32(UInt32(c.numKVHeads))), ("attention.key_length", .uint32(UInt32(c.headDim))),
            ("attention.value_length", .uint32(UInt32(c.headDim))),
            ("attention.layer_norm_rms_epsilon", .float32(Float(c.rmsNormEps))), ("rope.freq_base", .float32(Float(c.ropeTheta))),
            ("vocab_size", .uint32(UInt32(c.vocabSize))),
        ]
        for (key, value) in hyper { try w.set(arch + "." + key, value) }
        if case let .linear(f)? = c.ropeScaling {
            try w.set(arch + ".rope.scaling.type", .string("linear"))
            try w.set(arch + ".rope.scaling.factor", .float32(Float(f)))
        }
        for (key, value) in tokenizer.entries { try w.set(key, value) }
        // The checkpoint's chat template, which llama.cpp's chat front-ends read (tokenizer.chat_template).
        if let chat = try TemplatedChat.load(files: files, config: source.config) {
            try w.set("tokenizer.chat_template", .string(chat.template.source))
        }

        // Every tensor of the decoder family that llama.cpp names, in declared order; matrices
        // quantize to `type` when their rows split into 32-wide blocks, vectors stay f32.
        let ropeFactors: [Float]?
        if case let .llama3(f, lo, hi, orig)? = c.ropeScaling {
            ropeFactors = llama3RopeFactors(headDim: c.headDim, theta: c.ropeTheta, factor: f, low: lo, high: hi, original: orig)
        } else {
            ropeFactors = nil
        }
        for t in source.model.llm.tensors(source.config) where t.present {
            guard let name = t.ggufName else { throw ExportError.unsupported("\(t.slot) has no llama.cpp tensor name") }
            let slot = t.slot
            let heads = reorderForRope ? ropeHeads(t.module, c) : nil
            if t.shape.count == 1 {
                // Vectors stay f32; a q or k bias is reordered like its weight's rows.
                try w.add(.init(name: name, dims: t.shape, type: .f32) {
                    let v = try floats(source, slot)
                    return GGMLQuants.encode(heads.map { permuteForRope(v, heads: $0, headDim: c.headDim) } ?? v, as: .f32)
                })
            } else {
                let rows = t.shape[0], cols = t.shape[1]
                let tt: GGMLType = cols % 32 == 0 ? type : .f16
                try w.add(.init(name: name, dims: [cols, rows], type: tt) {
                    let v = try floats(source, slot)
                    return GGMLQuants.encode(heads.map { permuteForRope(v, heads: $0, headDim: c.headDim) } ?? v, as: tt)
                })
            }
            if t.module.slot == LlamaDecoderFamily.embed.slot, let factors = ropeFactors {
                try w.add(.init(name: "rope_freqs.weight", dims: [factors.count], type: .f32) { GGMLQuants.encode(factors, as: .f32) })
            }
        }
        let n = w.tensorCount
        let bytes = try w.write(to: path) { done, _ in progress(done, n) }
        return Summary(path: path, bytes: bytes, tensors: n, type: type.name)
    }
}
