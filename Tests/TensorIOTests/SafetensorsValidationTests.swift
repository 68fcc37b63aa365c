import TestSupport
import Testing
@testable import TensorIO

/// Each crafted bad file must fail with a typed error whose message names the file and the problem.
@Suite struct SafetensorsValidationTests {
    func error(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> String {
        let path = TestFiles.safetensors(header: header, data: data, declaredLength: declaredLength)
        do {
            _ = try SafetensorsFile(path: path)
            return "no error"
        } catch let e as SafetensorsError {
            let message = e.description
            #expect(message.hasPrefix(path), "message must name the file: \(message)")
            return message
        } catch {
            return "untyped error: \(error)"
        }
    }

    let ok = #"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#

    @Test func acceptsAWellFormedFile() throws {
        let path = TestFiles.safetensors(header: ok, data: [UInt8](repeating: 0, count: 8))
        let f = try SafetensorsFile(path: path)
        #expect(f.tensorNames == ["w"])
        #expect(try f.float32("w").data == [0, 0])
    }

    @Test func fileShorterThanTheLengthField() {
        let dir = TestFiles.tempDir()
        TestFiles.write([1, 2, 3], to: dir + "/short.safetensors")
        #expect(throws: SafetensorsError.fileTooSmall(file: dir + "/short.safetensors", size: 3)) {
            try SafetensorsFile(path: dir + "/short.safetensors")
        }
    }

    @Test func headerLengthOverTheLimit() {
        #expect(error(header: ok, declaredLength: 100_000_001).contains("exceeds the limit of 100000000 bytes"))
        #expect(error(header: ok, declaredLength: UInt64.max).contains("exceeds the limit"))
    }

    @Test func headerLengthPastEndOfFile() {
        #expect(error(header: ok, declaredLength: 5000).contains("header length 5000 runs past the end of the file"))
    }

    @Test func headerThatIsNotJSON() {
        #expect(error(header: #"{"w": {"dtype": "F32",,}}"#).contains("header is not valid JSON"))
        #expect(error(header: "[1, 2]").contains("header must be a JSON object"))
        #expect(error(header: String(repeating: "[", count: 10_000)).contains("header is not valid JSON"))
    }

    @Test func unknownDType() {
        #expect(error(header: #"{"w": {"dtype": "F12", "shape": [1], "data_offsets": [0, 2]}}"#, data: [0, 0])
            .contains("tensor 'w': unknown dtype \"F12\""))
    }

    @Test func negativeOrOverflowingShape() {
        #expect(error(header: #"{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}"#)
            .contains("tensor 'w': bad shape: dimension -1"))
        #expect(error(header: #"{"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}}"#)
            .contains("tensor 'w': bad shape"))
        #expect(error(header: #"{"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 0]}}"#)
            .contains("tensor 'w': bad shape"))
    }

    @Test func sizeDisagreesWithByteRange() {
        #expect(error(header: #"{"w": {"dtype": "F16", "shape": [3], "data_offsets": [0, 8]}}"#, data: [UInt8](repeating: 0, count: 8))
            .contains("tensor 'w': F16 [3] needs 6 bytes but its data_offsets span 8"))
    }

    @Test func offsetsOutOfBoundsOrReversed() {
        #expect(error(header: #"{"w": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}}"#, data: [0, 0])
            .contains("data_offsets [0, 4] are outside the data section of 2 bytes"))
        #expect(error(header: #"{"w": {"dtype": "U8", "shape": [0], "data_offsets": [2, 0]}}"#, data: [0, 0])
            .contains("are reversed"))
        #expect(error(header: #"{"w": {"dtype": "U8", "shape": [0], "data_offsets": [0, 18446744073709551615]}}"#)
            .contains("outside the data section"))
    }

    @Test func overlappingRanges() {
        let h = #"{"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}, "b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}}"#
        #expect(error(header: h, data: [UInt8](repeating: 0, count: 6)).contains("tensor 'b' overlaps tensor 'a'"))
    }

    @Test func gapBetweenTensorsAndUncoveredTail() {
        let gap = #"{"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}, "b": {"dtype": "U8", "shape": [2], "data_offsets": [4, 6]}}"#
        #expect(error(header: gap, data: [UInt8](repeating: 0, count: 6)).contains("tensor 'b' starts at data offset 4, expected 2"))
        #expect(error(header: ok, data: [UInt8](repeating: 0, count: 9)).contains("tensors cover 8 bytes of a 9-byte data section"))
        #expect(error(header: #"{"a": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}"#, data: [0, 0, 0, 0])
            .contains("starts at data offset 2, expected 0"))
    }

    @Test func duplicateTensorNames() {
        let h = #"{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, "a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}"#
        #expect(error(header: h, data: [0, 0]).contains("tensor 'a' is listed twice in the header"))
    }

    @Test func metadataMustMapStringsToStrings() {
        #expect(error(header: #"{"__metadata__": {"n": 1}}"#).contains("__metadata__ value of \"n\" must be a string, found integer"))
        #expect(error(header: #"{"__metadata__": [1]}"#).contains("__metadata__ must be an object of strings"))
    }

    @Test func malformedEntries() {
        #expect(error(header: #"{"w": 3}"#).contains("tensor 'w': entry must be an object"))
        #expect(error(header: #"{"w": {"shape": [], "data_offsets": [0, 0]}}"#).contains("missing string field \"dtype\""))
        #expect(error(header: #"{"w": {"dtype": "F32", "data_offsets": [0, 0]}}"#).contains("missing array field \"shape\""))
        #expect(error(header: #"{"w": {"dtype": "F32", "shape": [], "data_offsets": [0]}}"#).contains("\"data_offsets\" must be an array of two integers"))
    }

    @Test func acceptsZeroSizedTensorsAndHeaderPadding() throws {
        let h = #"{"e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [0, 0]}, "w": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}     "#
        let f = try SafetensorsFile(path: TestFiles.safetensors(header: h, data: [9]))
        #expect(f.info("e")?.shape.dims == [0, 3])
        #expect(try f.withBytes("w") { $0.first } == 9)
    }
}
