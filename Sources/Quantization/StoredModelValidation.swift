import ModelGraph
import TensorCore
import TensorIO

/// Checks a stored model (quantized folder or bundle) against the shapes its config implies,
/// so that nothing later trusts a size the file merely claims: every slot present with the
/// right shape — float, or as qweight/scales/zeros of the declared scheme — and nothing else.
public enum StoredModelValidation {
    /// - Parameter declared: the manifest's per-tensor entries (`{"scheme"|"dtype", "shape"?}`);
    ///   a shape written there must be the one the config implies.
    public static func check(store: any TensorStore, config: VLMConfig, schemes: [String: QuantScheme],
                             declared: JSONValue? = nil) throws {
        var problems = CoverageError()
        var expectedNames = Set<String>()
        func expect(_ name: String, _ shape: [Int], float: Bool, dtype: DType? = nil) {
            expectedNames.insert(name)
            guard let info = store.info(name) else {
                problems.missing.append("'\(name)' in \(store.location)")
                return
            }
            if info.shape.dims != shape {
                problems.mismatched.append("'\(name)' in \(store.location) has shape \(info.shape), expected \(Shape(shape))")
            } else if let dtype, info.dtype != dtype {
                problems.mismatched.append("'\(name)' in \(store.location) is \(info.dtype.rawValue), expected \(dtype.rawValue) (formats/quantization.md)")
            } else if float && !info.dtype.isFloatingPoint {
                problems.mismatched.append("'\(name)' in \(store.location) is \(info.dtype.rawValue), expected a float type")
            }
        }
        let expected = ModelDescription(config).shapes(config)
        for (key, entry) in declared?.objectValue ?? [] {
            guard let dims = entry["shape"] else { continue }
            let slot = key.hasSuffix(".weight") || expected[key] != nil ? key : key + ".weight"
            let values = dims.arrayValue?.compactMap { $0.intValue } ?? []
            guard values.count == dims.arrayValue?.count ?? -1, let want = expected[slot] else {
                problems.mismatched.append("manifest entry '\(key)' has shape \(dims.serialized), which is not a shape of a tensor the config has")
                continue
            }
            if values != want {
                problems.mismatched.append("manifest entry '\(key)' says shape \(Shape(values)), but the config implies \(Shape(want))")
            }
        }
        for (slot, shape) in expected.sorted(by: { $0.key < $1.key }) {
            let prefix = slot.hasSuffix(".weight") ? String(slot.dropLast(".weight".count)) : nil
            guard let prefix, let scheme = schemes[prefix] else {
                expect(slot, shape, float: true)
                continue
            }
            let (rows, cols) = (shape[0], shape[1])
            if let g = scheme.groupSize, cols % g != 0 {
                problems.mismatched.append("'\(slot)' is declared \(scheme) but its \(cols) columns are not a multiple of \(g)")
                continue
            }
            let stored = QuantizedModelFormat.storedTensors(prefix, rows: rows, cols: cols, scheme: scheme)
            // qweight: shape here, its integer dtype below; scales and zeros: shape and dtype.
            expect(stored[0].name, stored[0].shape.dims, float: false)
            for t in stored.dropFirst() { expect(t.name, t.shape.dims, float: t.dtype == .f16, dtype: t.dtype) }
            if let q = store.info(stored[0].name), q.dtype != stored[0].dtype {
                problems.mismatched.append("'\(q.name)' is \(q.dtype.rawValue), expected \(stored[0].dtype.rawValue)")
            }
        }
        for name in store.tensorNames where !expectedNames.contains(name) {
            problems.unused.append("'\(name)' in \(store.location)")
        }
        for prefix in schemes.keys.sorted() where expected[prefix + ".weight"] == nil {
            problems.unused.append("quantization entry for '\(prefix)', which the config has no Linear layer for")
        }
        guard problems.isEmpty else { throw problems }
    }
}
