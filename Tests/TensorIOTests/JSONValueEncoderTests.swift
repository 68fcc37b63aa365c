import Foundation
import Testing
import TensorIO

/// Our Encodable → JSONValue encoder against Foundation's JSONEncoder (convertToSnakeCase): the
/// same JSON, so `--json` reports kept their keys and values when they moved to our writer.
@Suite struct JSONValueEncoderTests {
    struct Inner: Encodable { let maxAbsError: Double; let nmse: Double?; let top1Agreement: Double? }
    struct Report: Encodable {
        let generatedIDs: [Int64]
        let promptIds: [Int]
        let myURLProperty: String
        let visionMsPerImage: Double
        let prefillGFLOPs: Float
        let stages: [Inner]
        let byDtype: [String: Int]
        let absent: String?
        let passed: Bool
        let kind: Kind
        enum Kind: String, Encodable { case quantized }
    }

    static let sample = Report(generatedIDs: [1, 2, -3], promptIds: [], myURLProperty: "a/b \"q\" \u{1}",
                               visionMsPerImage: 4061.9, prefillGFLOPs: 0.1,
                               stages: [Inner(maxAbsError: 1.5e-7, nmse: nil, top1Agreement: 0.9545)],
                               byDtype: ["f16": 3, "int4-g32": 14], absent: nil, passed: true, kind: .quantized)

    @Test func sameJSONAsFoundation() throws {
        let foundation = JSONEncoder()
        foundation.keyEncodingStrategy = .convertToSnakeCase
        let theirs = try JSONSerialization.jsonObject(with: foundation.encode(Self.sample)) as! NSDictionary
        let text = try JSONValueEncoder(snakeCaseKeys: true).encode(Self.sample).pretty()
        let ours = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! NSDictionary
        #expect(ours == theirs, "\(text)")
    }

    @Test(arguments: ["generatedIDs", "myURLProperty", "visionMsPerImage", "prefillGFLOPs", "a", "URL", "ids", "top1Agreement", "x2Y"])
    func snakeCaseMatchesFoundation(_ key: String) throws {
        struct One: Encodable {
            let key: String
            func encode(to encoder: any Encoder) throws {
                struct K: CodingKey { var stringValue: String; var intValue: Int? { nil }; init(stringValue: String) { self.stringValue = stringValue }; init?(intValue: Int) { nil } }
                var c = encoder.container(keyedBy: K.self)
                try c.encode(1, forKey: K(stringValue: key))
            }
        }
        let foundation = JSONEncoder()
        foundation.keyEncodingStrategy = .convertToSnakeCase
        let theirs = (try JSONSerialization.jsonObject(with: foundation.encode(One(key: key))) as! [String: Any]).keys.first!
        #expect(JSONValueEncoder.snakeCase(key) == theirs)
    }
}
