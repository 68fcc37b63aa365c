import Foundation
import Testing
import TestSupport
import TensorCore
import TensorIO
import ModelGraph
@testable import ReferenceRuntime

/// A family added by writing one description (ToyProjectorFamily.swift) loads, binds and runs;
/// the shipped families refuse its tensors.
@Suite struct ToyFamilyTests {
    /// vila-clip-linear-f16 with its projector replaced by random toy weights.
    static func toyCheckpoint() throws -> (folder: String, config: VLMConfig, weights: [String: [Float]]) {
        let folder = FixtureEditing.copy("vila-clip-linear-f16")
        let config = try ConfigLoader.readVILA(folder: folder)
        var rng = SplitMix(seed: 14)
        var w = SafetensorsWriter()
        var values: [String: [Float]] = [:]
        for t in ToyProjectorFamily.mlp2xRelu.description.tensors(config) {
            let v = (0..<t.shape.reduce(1, *)).map { _ in rng.nextFloat() * 0.5 }
            values[t.checkpointName(.vila)!] = v
            try w.add(t.checkpointName(.vila)!, tensor: Tensor(shape: Shape(t.shape), data: v))
        }
        try w.write(to: folder + "/mm_projector/model.safetensors")
        return (folder, config, values)
    }

    @Test func toyProjectorLoadsBindsAndRuns() throws {
        let (folder, config, stored) = try Self.toyCheckpoint()
        let graph = try ModelLoader.load(folder, description: ToyProjectorFamily.model(config))
        #expect(graph.tensors.filter { $0.slot.hasPrefix("projector.") }.map(\.slot).sorted()
                == ["projector.down.bias", "projector.down.weight", "projector.up.bias", "projector.up.weight"])
        // The toy's Linears are quantizable like any declared Linear.
        #expect(graph.linears.map(\.prefix).contains("projector.up"))

        // The runner executes the declared steps: down · relu(up · x + b0) + b1, computed here by hand.
        let runner = try ProjectorRunner(GraphWeights(graph))
        let din = config.projector.inputSize, d = config.projector.textHiddenSize
        let tokens = 3
        var rng = SplitMix(seed: 7)
        let x = (0..<(tokens * din)).map { _ in rng.nextFloat() }
        let got = runner.forward(x, tokens: tokens)
        let (w0, b0, w1, b1) = (stored["proj.0.weight"]!, stored["proj.0.bias"]!, stored["proj.1.weight"]!, stored["proj.1.bias"]!)
        #expect(got.count == tokens * d)
        for t in 0..<tokens {
            let hidden = (0..<(2 * d)).map { j in
                max(0, b0[j] + (0..<din).reduce(Float(0)) { $0 + w0[j * din + $1] * x[t * din + $1] })
            }
            for i in 0..<d {
                let want = b1[i] + (0..<(2 * d)).reduce(Float(0)) { $0 + w1[i * 2 * d + $1] * hidden[$1] }
                #expect(abs(got[t * d + i] - want) <= 1e-4 * max(1, abs(want)))
            }
        }

        // And the whole model runs with it: an image marker becomes the toy's projected tokens.
        let vlm = try VLMRunner(graph)
        let v = config.vision
        let px = Tensor(shape: [1, v.numChannels, v.imageSize, v.imageSize],
                        data: (0..<(v.numChannels * v.imageSize * v.imageSize)).map { _ in rng.nextFloat() })
        let spliced = try vlm.spliceEmbeddings(RunInputs(tokenIDs: [1, RunInputs.imageToken, 5], pixelValues: px))
        #expect(spliced.projected[0] == runner.forward(spliced.features[0], tokens: vlm.vision.outputTokens))
    }

    /// Loading fails on unused keys: the family the config names (linear) does not know proj.*,
    /// and it misses its own layers.*.
    @Test func shippedFamilyRefusesToyTensors() throws {
        let (folder, _, _) = try Self.toyCheckpoint()
        #expect {
            try ModelLoader.load(folder)
        } throws: { error in
            let text = "\(error)"
            return text.contains("proj.0.weight") && text.contains("layers.weight")
        }
    }
}
