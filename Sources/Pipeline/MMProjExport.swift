import Foundation
import GGUF
import Imaging
import ModelGraph
import ReferenceRuntime
import TensorIO

/// `vlmkit export --format mmproj`: the vision tower and projector as the mmproj GGUF llama.cpp's
/// tools/mtmd loads (`general.architecture: clip`), where `MMProjMapping` finds a llama.cpp
/// projector that computes them (formats/gguf-export.md). Tensor names come from the families'
/// `gguf` names; matrices are written in `type` (f32 or f16), vectors and the patch embedding in f32.
public enum MMProjExport {
    public struct Summary: Sendable, Encodable {
        public let path: String
        public let bytes: Int
        public let tensors: Int
        public let projectorType: String
        public let approximations: [String]
    }

    public static func export(source: any WeightSource, files: any ConfigSource, to path: String, type: GGMLType,
                              allowApproximate: Bool, name: String,
                              progress: @escaping (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        let c = source.config, v = c.vision
        let plan: MMProjMapping.Plan
        switch MMProjMapping.decide(c) {
        case .refuse(let reason):
            throw LlamaGGUFExport.ExportError.unsupported("no mmproj written: \(reason); the .vlmb bundle keeps the vision tower and projector exactly")
        case .write(let p): plan = p
        }
        var approximations = plan.approximations
        if v.hiddenAct == "gelu" {
            approximations.append("the tower's GELU: exact (erf) in the checkpoint, the tanh approximation in llama.cpp")
        }
        if !approximations.isEmpty && !allowApproximate {
            throw LlamaGGUFExport.ExportError.unsupported("llama.cpp's '\(plan.projectorType)' projector computes this model only approximately — \(approximations.joined(separator: "; ")); pass --allow-approximate to write it anyway (formats/gguf-export.md gives the error measured in llama.cpp)")
        }
        guard type == .f32 || type == .f16 else {
            throw LlamaGGUFExport.ExportError.unsupported("mmproj tensors are written as f32 or f16 (--type), not \(type.name)")
        }
        let processorPath = c.layout.folderPrefix(.vision) + "preprocessor_config.json"
        let processor = files.exists(processorPath) ? try ImageProcessorConfig.read(files.read(processorPath), vision: v)
            : ImageProcessorConfig.defaults(for: v)

        var w = GGUFWriter()
        try w.set("general.architecture", .string("clip"))
        try w.set("general.name", .string(name))
        try w.set("general.file_type", .uint32(type.fileType))
        try w.set("clip.has_vision_encoder", .bool(true))
        try w.set("clip.projector_type", .string(plan.projectorType))
        if plan.projectorType == "mlp" { try w.set("clip.has_llava_projector", .bool(true)) }
        // llama.cpp's tower activation: use_gelu → ggml_gelu (tanh), neither → quick GELU (CLIP's).
        try w.set("clip.use_gelu", .bool(v.hiddenAct != "quick_gelu"))
        let hyper: [(String, GGUFValue)] = [
            ("image_size", .uint32(UInt32(v.imageSize))), ("patch_size", .uint32(UInt32(v.patchSize))),
            ("embedding_length", .uint32(UInt32(v.hiddenSize))), ("feed_forward_length", .uint32(UInt32(v.intermediateSize))),
            ("projection_dim", .uint32(UInt32(c.projector.textHiddenSize))), ("attention.head_count", .uint32(UInt32(v.numHeads))),
            ("attention.layer_norm_epsilon", .float32(Float(v.layerNormEps))), ("block_count", .uint32(UInt32(plan.blockCount))),
            ("image_mean", .arrayFloat32(processor.imageMean.map(Float.init))), ("image_std", .arrayFloat32(processor.imageStd.map(Float.init))),
        ]
        for (key, value) in hyper { try w.set("clip.vision." + key, value) }
        if let m = plan.mergeFactor { try w.set("clip.vision.projector.scale_factor", .uint32(UInt32(m))) }

        let model = source.model
        let tensors = (model.vision.tensors(c) + model.projector.description.tensors(c)).filter(\.present)
        for t in tensors where (t.layer ?? 0) < plan.blockCount {
            guard let gguf = t.ggufName else { throw LlamaGGUFExport.ExportError.unsupported("\(t.slot) has no mmproj tensor name") }
            let slot = t.slot
            let matrix = t.shape.count == 2 && t.module.kind == .linear
            let tt: GGMLType = matrix ? type : .f32
            try w.add(.init(name: gguf, dims: t.shape.reversed(), type: tt) {
                GGMLQuants.encode(try LlamaGGUFExport.floats(source, slot), as: tt)
            })
        }
        let n = w.tensorCount
        let bytes = try w.write(to: path) { done, _ in progress(done, n) }
        return Summary(path: path, bytes: bytes, tensors: n, projectorType: plan.projectorType, approximations: approximations)
    }
}
