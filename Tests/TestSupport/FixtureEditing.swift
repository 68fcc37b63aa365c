import Foundation
import TensorCore
import TensorIO

/// Copies golden fixtures to temp folders and edits them to make bad checkpoints.
public enum FixtureEditing {
    public static func copy(_ name: String) -> String {
        let dst = TestFiles.tempDir("fx") + "/" + name
        try! FileManager.default.copyItem(atPath: TestFiles.golden("models/" + name), toPath: dst)
        return dst
    }

    /// Rewrites a JSON file through Foundation (independent of our parser).
    public static func editJSON(_ path: String, _ edit: (inout [String: Any]) -> Void) {
        var obj = try! JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        edit(&obj)
        try! JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
    }

    /// Rewrites a safetensors file: drop tensors, add tensors, keep the rest byte for byte.
    /// `metadata` replaces the file's metadata; `replace` may give a tensor new dtype, shape and bytes.
    public static func editTensors(_ path: String, drop: Set<String> = [], add: [(String, DType, Shape, [UInt8])] = [],
                                   metadata: [String: String]? = nil,
                                   replace: (String, DType, Shape, [UInt8]) -> (DType, Shape, [UInt8])? = { _, _, _, _ in nil }) {
        let f = try! SafetensorsFile(path: path)
        var w = SafetensorsWriter(metadata: metadata ?? f.metadata)
        for info in f.tensors where !drop.contains(info.name) {
            let bytes = try! f.withBytes(info.name) { Array($0) }
            let (dtype, shape, data) = replace(info.name, info.dtype, info.shape, bytes) ?? (info.dtype, info.shape, bytes)
            try! w.add(info.name, dtype: dtype, shape: shape, bytes: data)
        }
        for (name, dtype, shape, bytes) in add { try! w.add(name, dtype: dtype, shape: shape, bytes: bytes) }
        try! w.write(to: path)
    }

    /// Sets element `index` of one f16 tensor of a safetensors file to `value`.
    public static func setF16(_ path: String, tensor: String, index: Int, to value: Float) {
        editTensors(path) { name, dtype, shape, bytes in
            guard name == tensor else { return nil }
            precondition(dtype == .f16)
            var b = bytes
            let h = FloatConversion.f32ToF16(value)
            b[2 * index] = UInt8(h & 0xFF)
            b[2 * index + 1] = UInt8(h >> 8)
            return (dtype, shape, b)
        }
    }

    /// Adds `delta` to element `index` of one f16 tensor of a safetensors file, in place.
    public static func perturbF16(_ path: String, tensor: String, index: Int, delta: Float) {
        let f = try! SafetensorsFile(path: path)
        var w = SafetensorsWriter(metadata: f.metadata)
        for info in f.tensors {
            var bytes = try! f.withBytes(info.name) { Array($0) }
            if info.name == tensor {
                precondition(info.dtype == .f16)
                let old = FloatConversion.f16ToF32(UInt16(bytes[2 * index]) | UInt16(bytes[2 * index + 1]) << 8)
                let new = FloatConversion.f32ToF16(old + delta)
                bytes[2 * index] = UInt8(new & 0xFF)
                bytes[2 * index + 1] = UInt8(new >> 8)
            }
            try! w.add(info.name, dtype: info.dtype, shape: info.shape, bytes: bytes)
        }
        try! w.write(to: path)
    }
}
