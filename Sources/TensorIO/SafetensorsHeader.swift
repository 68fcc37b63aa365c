import TensorCore

/// The parsed and validated header of one safetensors file.
///
/// Validation follows the reference implementation (the `safetensors` Rust crate) and is
/// documented in formats/safetensors.md: the data ranges must tile the data section exactly,
/// in any order, with no gap, overlap or trailing byte.
public struct SafetensorsHeader: Sendable {
    /// Headers larger than this are refused (the reference implementation's limit).
    public static let maxHeaderLength = 100_000_000

    /// Tensors sorted by name, with absolute byte ranges.
    public let tensors: [TensorInfo]
    public let metadata: [String: String]
    /// Absolute offset of the data section (8 + header length).
    public let dataStart: Int

    /// Parses and validates the header found at the start of `bytes` (a whole file).
    public init(fileBytes bytes: UnsafeRawBufferPointer, file: String) throws {
        guard bytes.count >= 8 else { throw SafetensorsError.fileTooSmall(file: file, size: bytes.count) }
        let length = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard length <= UInt64(Self.maxHeaderLength) else {
            throw SafetensorsError.headerTooLarge(file: file, length: length, limit: Self.maxHeaderLength)
        }
        guard Int(length) <= bytes.count - 8 else {
            throw SafetensorsError.headerPastEnd(file: file, length: length, fileSize: bytes.count)
        }
        let headerLength = Int(length)
        let json: JSONValue
        do {
            json = try JSONParser.parse(UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)]))
        } catch let e as JSONParseError {
            if let dup = e.duplicateKey { throw SafetensorsError.duplicateTensor(file: file, tensor: dup) }
            throw SafetensorsError.invalidJSON(file: file, detail: e.description)
        }
        guard case .object(let members) = json else { throw SafetensorsError.headerNotObject(file: file) }

        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [(info: TensorInfo, begin: Int, end: Int)] = []
        entries.reserveCapacity(members.count)
        for (name, value) in members {
            if name == "__metadata__" {
                metadata = try Self.parseMetadata(value, file: file)
                continue
            }
            let (info, begin, end) = try Self.parseEntry(name: name, value: value, file: file,
                                                         dataStart: dataStart, dataLength: dataLength)
            entries.append((info, begin, end))
        }
        if let twins = NameTwins.first(in: entries.map(\.info.name)) {
            throw SafetensorsError.ambiguousNames(file: file, detail: NameTwins.describe(twins, what: "tensor"))
        }
        try Self.checkTiling(entries.map { ($0.info.name, $0.begin, $0.end) }, file: file, dataLength: dataLength)
        self.tensors = entries.map(\.info).sorted { $0.name < $1.name }
        self.metadata = metadata
        self.dataStart = dataStart
    }

    static func parseMetadata(_ value: JSONValue, file: String) throws -> [String: String] {
        if case .null = value { return [:] }
        guard case .object(let members) = value else {
            throw SafetensorsError.badMetadata(file: file, detail: "must be an object of strings, found \(value.typeName)")
        }
        var out: [String: String] = [:]
        for (k, v) in members {
            guard case .string(let s) = v else {
                throw SafetensorsError.badMetadata(file: file, detail: "value of \"\(k)\" must be a string, found \(v.typeName)")
            }
            out[k] = s
        }
        return out
    }

    static func parseEntry(name: String, value: JSONValue, file: String,
                           dataStart: Int, dataLength: Int) throws -> (TensorInfo, Int, Int) {
        guard case .object = value else {
            throw SafetensorsError.badEntry(file: file, tensor: name, detail: "entry must be an object, found \(value.typeName)")
        }
        guard let dtypeName = value["dtype"]?.stringValue else {
            throw SafetensorsError.badEntry(file: file, tensor: name, detail: "missing string field \"dtype\"")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw SafetensorsError.unknownDType(file: file, tensor: name, dtype: dtypeName)
        }
        guard let shapeItems = value["shape"]?.arrayValue else {
            throw SafetensorsError.badEntry(file: file, tensor: name, detail: "missing array field \"shape\"")
        }
        var dims: [Int] = []
        for item in shapeItems {
            guard let d = item.intValue, d >= 0 else {
                throw SafetensorsError.badShape(file: file, tensor: name, detail: "dimension \(item.serialized) is not a non-negative integer")
            }
            dims.append(d)
        }
        let shape = Shape(dims)
        guard let expectedBytes = shape.checkedByteCount(dtype) else {
            throw SafetensorsError.badShape(file: file, tensor: name, detail: "\(shape) × \(dtype.byteSize) bytes overflows")
        }
        guard let offsets = value["data_offsets"]?.arrayValue, offsets.count == 2 else {
            throw SafetensorsError.badEntry(file: file, tensor: name, detail: "\"data_offsets\" must be an array of two integers")
        }
        let rawOffsets: [UInt64] = try offsets.map {
            switch $0 {
            case .int(let v) where v >= 0: return UInt64(v)
            case .uint(let v): return v
            default:
                throw SafetensorsError.badEntry(file: file, tensor: name, detail: "data offset \($0.serialized) is not a non-negative integer")
            }
        }
        let (b, e) = (rawOffsets[0], rawOffsets[1])
        guard b <= e else {
            throw SafetensorsError.badEntry(file: file, tensor: name, detail: "data_offsets [\(b), \(e)] are reversed")
        }
        guard e <= UInt64(dataLength) else {
            throw SafetensorsError.offsetsOutOfBounds(file: file, tensor: name, begin: b, end: e, dataLength: dataLength)
        }
        let begin = Int(b), end = Int(e)
        guard end - begin == expectedBytes else {
            throw SafetensorsError.sizeMismatch(file: file, tensor: name, dtype: dtype.rawValue, shape: dims,
                                                expectedBytes: expectedBytes, rangeBytes: end - begin)
        }
        let info = TensorInfo(name: name, dtype: dtype, shape: shape,
                              byteRange: (dataStart + begin)..<(dataStart + end), file: file)
        return (info, begin, end)
    }

    /// The ranges, sorted, must start at 0, follow each other without gap or overlap, and end
    /// exactly at the end of the data section.
    static func checkTiling(_ ranges: [(name: String, begin: Int, end: Int)], file: String, dataLength: Int) throws {
        let sorted = ranges.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expected = 0
        var previous = ""
        for r in sorted {
            if r.begin < expected {
                throw SafetensorsError.overlappingRanges(file: file, tensor: r.name, other: previous)
            }
            if r.begin > expected {
                throw SafetensorsError.gapInData(file: file, tensor: r.name, expectedBegin: expected, foundBegin: r.begin)
            }
            expected = r.end
            previous = r.name
        }
        if expected != dataLength {
            throw SafetensorsError.trailingBytes(file: file, covered: expected, dataLength: dataLength)
        }
    }
}
