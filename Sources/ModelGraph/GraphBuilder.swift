/// Fills the typed graph from a binder: every tensor the description declares for the config
/// is taken with its shape (or dropped, when the config does not use it), then the families
/// bind the filled slots to typed layers.
enum GraphBuilder {
    static func build(path: String, config: VLMConfig, description: ModelDescription, parts: [LayoutPart]) throws -> VLMGraph {
        // A config that asks for more layers than the checkpoint has tensors cannot match; say so
        // before enumerating millions of missing slots.
        var seen = Set<ObjectIdentifier>()
        let tensorCount = parts.filter { seen.insert(ObjectIdentifier($0.store)).inserted }.reduce(0) { $0 + $1.store.tensorNames.count }
        for family in description.families where family.layers(config) > max(tensorCount, 4096) {
            throw CoverageError(mismatched: ["the config gives the \(family.label) \(family.layers(config)) layers but the checkpoint holds only \(tensorCount) tensors"])
        }
        let binder = SlotBinder(parts: parts)
        let declared = description.tensors(config)
        var linears: [(prefix: String, ref: TensorRef)] = []
        for t in declared {
            if let reason = t.dropReason {
                binder.drop(t.slot, reason: reason)
                continue
            }
            let ref = binder.take(t.slot, t.shape)
            if let ref, t.isQuantizable { linears.append((String(t.slot.dropLast(".weight".count)), ref)) }
        }
        let tensors = try binder.finish()
        let bound = BoundSlots(bySlot: Dictionary(uniqueKeysWithValues: tensors.map { ($0.slot, $0) }))
        return VLMGraph(path: path, config: config, description: description,
                        vision: try VisionTowerFamilies.bind(bound, kind: config.vision.kind, layers: config.vision.numLayers, config: config),
                        projector: try description.projector.bind(bound),
                        llm: try LlamaDecoderFamily.bind(bound, config),
                        tensors: tensors, linears: linears, ignored: binder.ignored)
    }
}
