import ModelGraph

/// A projector family VLMKit does not ship, written the way a new one is added: one
/// description, nothing else. A two-layer MLP with ReLU and a hidden width of twice the
/// language model's, stored as `proj.0` and `proj.1` in `mm_projector/`. Everything the
/// toolchain needs — name table, coverage check, expected shapes, graph binding, the runner's
/// steps — is derived from this value (ARCHITECTURE.md, "Adding a family").
enum ToyProjectorFamily {
    static func d(_ c: VLMConfig) -> Int { c.projector.textHiddenSize }

    static let mlp2xRelu = ProjectorFamily("projector-mlp2x_relu", steps: [
        .linear(.linear("projector.up", "proj.0", bias: { _ in true }) { [2 * d($0), $0.projector.inputSize] }),
        .activation(.relu),
        .linear(.linear("projector.down", "proj.1", bias: { _ in true }) { [d($0), 2 * d($0)] }),
    ])

    /// A model with the toy projector between the families a config names.
    static func model(_ config: VLMConfig) -> ModelDescription {
        let named = ModelDescription(config)
        return ModelDescription(vision: named.vision, projector: mlp2xRelu, llm: named.llm)
    }
}
