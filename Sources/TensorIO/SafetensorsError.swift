/// Everything that can be wrong with a safetensors file or a sharded checkpoint.
/// Each case names the file and, where there is one, the tensor.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    case fileTooSmall(file: String, size: Int)
    case headerTooLarge(file: String, length: UInt64, limit: Int)
    case headerPastEnd(file: String, length: UInt64, fileSize: Int)
    case invalidJSON(file: String, detail: String)
    case headerNotObject(file: String)
    case duplicateTensor(file: String, tensor: String)
    case ambiguousNames(file: String, detail: String)
    case badEntry(file: String, tensor: String, detail: String)
    case unknownDType(file: String, tensor: String, dtype: String)
    case badShape(file: String, tensor: String, detail: String)
    case sizeMismatch(file: String, tensor: String, dtype: DTypeName, shape: [Int], expectedBytes: Int, rangeBytes: Int)
    case offsetsOutOfBounds(file: String, tensor: String, begin: UInt64, end: UInt64, dataLength: Int)
    case overlappingRanges(file: String, tensor: String, other: String)
    case gapInData(file: String, tensor: String, expectedBegin: Int, foundBegin: Int)
    case trailingBytes(file: String, covered: Int, dataLength: Int)
    case badMetadata(file: String, detail: String)
    case tensorNotFound(file: String, tensor: String)
    case badIndex(file: String, detail: String)
    case shardMissing(index: String, shard: String, tensor: String)
    case tensorNotInShard(index: String, shard: String, tensor: String)
    case tensorNotInIndex(index: String, shard: String, tensor: String)
    case wrongDType(file: String, tensor: String, expected: String, found: String)

    public typealias DTypeName = String

    public var description: String {
        switch self {
        case let .fileTooSmall(file, size):
            return "\(file): not a safetensors file: \(size) bytes, need at least 8 for the header length"
        case let .headerTooLarge(file, length, limit):
            return "\(file): header length \(length) exceeds the limit of \(limit) bytes"
        case let .headerPastEnd(file, length, size):
            return "\(file): header length \(length) runs past the end of the file (\(size) bytes)"
        case let .invalidJSON(file, detail):
            return "\(file): header is not valid JSON: \(detail)"
        case let .headerNotObject(file):
            return "\(file): header must be a JSON object of tensor entries"
        case let .ambiguousNames(file, detail):
            return "\(file): \(detail)"
        case let .duplicateTensor(file, tensor):
            return "\(file): tensor '\(tensor)' is listed twice in the header"
        case let .badEntry(file, tensor, detail):
            return "\(file): tensor '\(tensor)': \(detail)"
        case let .unknownDType(file, tensor, dtype):
            return "\(file): tensor '\(tensor)': unknown dtype \"\(dtype)\""
        case let .badShape(file, tensor, detail):
            return "\(file): tensor '\(tensor)': bad shape: \(detail)"
        case let .sizeMismatch(file, tensor, dtype, shape, expected, range):
            return "\(file): tensor '\(tensor)': \(dtype) \(shape) needs \(expected) bytes but its data_offsets span \(range)"
        case let .offsetsOutOfBounds(file, tensor, begin, end, length):
            return "\(file): tensor '\(tensor)': data_offsets [\(begin), \(end)] are outside the data section of \(length) bytes"
        case let .overlappingRanges(file, tensor, other):
            return "\(file): tensor '\(tensor)' overlaps tensor '\(other)'"
        case let .gapInData(file, tensor, expected, found):
            return "\(file): tensor '\(tensor)' starts at data offset \(found), expected \(expected): unused bytes between tensors"
        case let .trailingBytes(file, covered, length):
            return "\(file): tensors cover \(covered) bytes of a \(length)-byte data section: unused bytes at the end"
        case let .badMetadata(file, detail):
            return "\(file): __metadata__ \(detail)"
        case let .tensorNotFound(file, tensor):
            return "\(file): no tensor named '\(tensor)'"
        case let .badIndex(file, detail):
            return "\(file): \(detail)"
        case let .shardMissing(index, shard, tensor):
            return "\(index): shard file '\(shard)' (for tensor '\(tensor)') does not exist"
        case let .tensorNotInShard(index, shard, tensor):
            return "\(index): tensor '\(tensor)' is mapped to '\(shard)' but that shard does not contain it"
        case let .tensorNotInIndex(index, shard, tensor):
            return "\(index): shard '\(shard)' contains tensor '\(tensor)' which the index does not list"
        case let .wrongDType(file, tensor, expected, found):
            return "\(file): tensor '\(tensor)': expected \(expected), found \(found)"
        }
    }
}

import TensorCore
