import ModelGraph

/// Whether a llama.cpp multimodal projector computes exactly what a model's vision tower and
/// projector compute. llama.cpp's LLaVA graph (tools/mtmd, the version llama-cpp-python 0.3.36
/// vendors) was read for this; formats/gguf-export.md has the details.
public enum MMProjMapping {
    /// Why no mmproj GGUF is written for this model, or nil when an exact mapping exists.
    public static func refusal(_ c: VLMConfig) -> String? {
        switch c.projector.type {
        case .linear:
            return "projector 'linear' has no llama.cpp counterpart (every llama.cpp projector has an activation between two layers)"
        case .mlp2xGelu:
            return "projector 'mlp2x_gelu' uses the exact (erf) GELU, but llama.cpp's 'mlp' projector applies ggml_gelu, the tanh approximation (up to 4.7e-4 apart per activation): exporting would compute a different function"
        case .mlpDownsample, .mlpDownsample2x2Fix, .mlpDownsample3x3Fix:
            let k = c.projector.type.mergeFactor ?? 2
            let order = c.projector.mergeOrder == .vila15 ? "emits tokens column-major (the block grid transposed) and " : ""
            return "projector '\(c.projector.type.rawValue)' has no exact llama.cpp counterpart: VILA's \(k)×\(k) merge \(order)zero-pads grids to a multiple of \(k) (27×27 for SigLIP-384), and its LayerNorm-first MLP is none of llama.cpp's projector graphs"
        }
    }
}
