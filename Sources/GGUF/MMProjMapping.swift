import ModelGraph

/// Which llama.cpp multimodal projector (tools/mtmd) computes a model's vision tower and projector,
/// and how closely. Read from llama.cpp's graphs (models/llava.cpp, siglip.cpp, internvl.cpp) and
/// its loader (clip.cpp); formats/gguf-export.md gives the reasoning and the errors measured in
/// llama.cpp (scripts/check_mmproj.py).
public enum MMProjMapping {
    public struct Plan: Sendable, Equatable {
        /// `clip.projector_type`: `mlp` (LLaVA) or `lfm2` (pixel unshuffle, LayerNorm, MLP).
        public let projectorType: String
        /// The tower's encoder layers written: llama.cpp's LLaVA graph runs all but the last of
        /// them (features from the second-to-last layer); its SigLIP graph runs all.
        public let blockCount: Int
        /// `clip.vision.projector.scale_factor` (the 2×2 merge), when there is one.
        public let mergeFactor: Int?
        /// Where llama.cpp computes something else than PyTorch (nothing when exact).
        public let approximations: [String]
    }

    public enum Decision: Sendable, Equatable {
        case write(Plan)
        case refuse(String)
    }

    static let tanhGELU = "the projector's GELU: VILA uses PyTorch's exact (erf) GELU, llama.cpp's graph ggml_gelu (the tanh approximation, up to 4.7e-4 apart per activation)"

    public static func decide(_ c: VLMConfig) -> Decision {
        if c.multiScaleS2 != nil || c.dynamicS2 != nil {
            return .refuse("the model uses S2 multi-scale features (the projector takes every scale's features concatenated); llama.cpp has no S2 path")
        }
        if c.dynamicTiling != nil {
            return .refuse("NVILA-Lite's dynamic tiles are VILA's own tiling, which no llama.cpp preprocessor reproduces")
        }
        let v = c.vision
        guard v.kind != .intern else {
            return .refuse("InternViT towers go with llama.cpp's internvl projector only; VILA1.5-40B's mlp_downsample merges in VILA 1.5's token order, which that projector does not (see below), and llama.cpp picks InternViT-6B's RMSNorm from its 45-layer shape")
        }
        let used = c.visionLayersUsed
        switch c.projector.type {
        case .linear:
            return .refuse("projector 'linear' has no llama.cpp counterpart (every llama.cpp projector over patch features has an activation or a merge)")
        case .mlp2xGelu:
            // llama.cpp's LLaVA graph: patch tokens without the class token, features from the
            // second-to-last of the layers it is given, mm.0 → GELU → mm.2.
            guard used == v.numLayers - 1 else {
                return .refuse("features from encoder layer \(used) of \(v.numLayers); llama.cpp's LLaVA graph takes the second-to-last")
            }
            if v.kind == .clip {
                return .refuse("a CLIP tower: llama.cpp's LLaVA graph (llama-cpp-python 0.3.36) appends the class token after the patches and then takes tokens 1…N, so its image tokens come out shifted by one patch, with other positions — measured on golden/models/vila-clip-mlp2x-bf16-sharded before this refusal: mean cosine 0.48 against PyTorch")
            }
            if v.kind == .siglip && c.selectFeature == .patch {
                return .refuse("SigLIP features without their first token (select_feature patch drops a patch, SigLIP has no class token); llama.cpp keeps every patch")
            }
            return .write(Plan(projectorType: "mlp", blockCount: v.numLayers, mergeFactor: nil, approximations: [tanhGELU]))
        case .mlpDownsample, .mlpDownsample2x2Fix:
            guard c.projector.mergeOrder == .nvila else {
                return .refuse("projector '\(c.projector.type.rawValue)' in VILA 1.5's token order: its 2×2 merge emits the block grid transposed (column-pair-major), and no llama.cpp projector reorders tokens (each patch's pixels fix its position; --projector-order says which order a checkpoint has)")
            }
            guard v.gridSize % 2 == 0 else {
                return .refuse("a \(v.gridSize)×\(v.gridSize) patch grid: VILA's merge zero-pads odd grids in feature space, llama.cpp's pixel unshuffle needs even ones")
            }
            guard v.kind == .siglip else {
                return .refuse("llama.cpp's pixel-unshuffle projector with a LayerNorm-first MLP (lfm2) runs on a SigLIP tower; a \(v.kind.rawValue) tower with it is no llama.cpp model")
            }
            if c.selectFeature == .patch {
                return .refuse("SigLIP features without their first token (select_feature patch); llama.cpp keeps every patch")
            }
            // NVILA's flat_square (36f6adc) and LFM2-VL's pixel_unshuffle are the same reshapes and
            // permutes: the same tokens and channel order on even grids. llama.cpp's SigLIP graph runs
            // every layer it is given, so the unused last layers are not written.
            return .write(Plan(projectorType: "lfm2", blockCount: used, mergeFactor: 2, approximations: [
                tanhGELU,
                "llama.cpp's lfm2 preprocessing resizes images itself (bilinear, to 64…256 tokens); exact only for images already at the tower's size",
            ]))
        case .mlpDownsample3x3Fix:
            return .refuse("projector 'mlp_downsample_3x3_fix' (3×3 merge, two LayerNorms, three Linears) is none of llama.cpp's projector graphs")
        }
    }

    /// Why no mmproj GGUF is written for this model, or nil when one is.
    public static func refusal(_ c: VLMConfig) -> String? {
        if case let .refuse(reason) = decide(c) { return reason }
        return nil
    }
}
