import TensorCore
import TensorIO

/// Maps every tensor of a checkpoint to a slot through the layout's tables, then hands slots
/// to the graph builder one by one, checking shape and dtype. `finish()` fails on anything
/// left over: a tensor no slot took is an error, as is a slot with no tensor.
final class SlotBinder {
    private let parts: [LayoutPart]
    private var bound: [String: TensorRef] = [:]
    private var taken: [TensorRef] = []
    private var takenSlots: Set<String> = []
    private(set) var ignored: [IgnoredTensor] = []
    private var problems = CoverageError()

    init(parts: [LayoutPart]) {
        self.parts = parts
        var seen = Set<ObjectIdentifier>()
        for part in parts where seen.insert(ObjectIdentifier(part.store)).inserted {
            let store = part.store
            let mine = parts.filter { $0.store === store }
            for name in store.tensorNames {
                classify(name, in: store, parts: mine)
            }
        }
    }

    private func classify(_ name: String, in store: any TensorStore, parts: [LayoutPart]) {
        let info = store.info(name)!
        for part in parts where name.hasPrefix(part.prefix) {
            let rest = name.dropFirst(part.prefix.count)
            for rule in part.table.rules {
                guard let layer = NamePattern(rule.source).match(rest) else { continue }
                let slot = NamePattern(rule.slot).fill(layer)
                if let other = bound[slot] {
                    problems.conflicts.append("'\(name)' and '\(other.source)' both map to \(slot)")
                } else {
                    bound[slot] = TensorRef(slot: slot, source: name, info: info, store: store)
                }
                return
            }
            for rule in part.table.ignored where NamePattern(rule.source).match(rest) != nil {
                ignored.append(IgnoredTensor(name: name, file: info.file, reason: rule.reason, bytes: info.byteCount))
                return
            }
        }
        problems.unused.append("'\(name)' in \(info.file) (no layout rule names it)")
    }

    /// Where the tensor for `slot` would have been: its checkpoint name and store.
    private func expectedSource(of slot: String) -> String {
        for part in parts {
            for rule in part.table.rules {
                if let layer = NamePattern(rule.slot).match(Substring(slot)) {
                    return "'\(part.prefix)\(NamePattern(rule.source).fill(layer))' in \(part.store.location)"
                }
            }
        }
        return "slot \(slot)"
    }

    /// The tensor for a required slot, checked against `shape`; nil (with the problem recorded)
    /// when missing or mismatched.
    func take(_ slot: String, _ shape: [Int]) -> TensorRef? {
        guard let ref = bound[slot] else {
            problems.missing.append(expectedSource(of: slot))
            return nil
        }
        return check(ref, shape)
    }

    /// The tensor for an optional slot, or nil when the checkpoint has none.
    func takeIfPresent(_ slot: String, _ shape: [Int]) -> TensorRef? {
        guard let ref = bound[slot] else { return nil }
        return check(ref, shape)
    }

    /// Declares that a slot, if present, is deliberately dropped (e.g. lm_head with tied embeddings).
    func drop(_ slot: String, reason: String) {
        guard let ref = bound[slot] else { return }
        takenSlots.insert(slot)
        ignored.append(IgnoredTensor(name: ref.source, file: ref.info.file, reason: reason, bytes: ref.info.byteCount))
    }

    private func check(_ ref: TensorRef, _ shape: [Int]) -> TensorRef? {
        takenSlots.insert(ref.slot)
        guard ref.dtype.isFloatingPoint else {
            problems.mismatched.append("'\(ref.source)' in \(ref.info.file) is \(ref.dtype.rawValue), expected a float type")
            return nil
        }
        guard ref.shape.dims == shape else {
            problems.mismatched.append("'\(ref.source)' in \(ref.info.file) has shape \(ref.shape), expected \(Shape(shape)) for \(ref.slot)")
            return nil
        }
        taken.append(ref)
        return ref
    }

    /// Every tensor taken, in the order taken; throws when anything is missing, left over or wrong.
    func finish() throws -> [TensorRef] {
        for (slot, ref) in bound.sorted(by: { $0.key < $1.key }) where !takenSlots.contains(slot) {
            problems.unused.append("'\(ref.source)' in \(ref.info.file) (\(slot) is not part of the configured model)")
        }
        guard problems.isEmpty else { throw problems }
        return taken
    }
}
