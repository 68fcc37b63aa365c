import Testing
@testable import TensorIO

@Suite struct JSONParserTests {
    @Test func parsesObjectsInOrderWithIntegersKeptApartFromDoubles() throws {
        let v = try JSONParser.parse(#"{"b": 1, "a": [1.5, "x", true, null], "c": 18446744073709551615}"#)
        #expect(v.objectValue?.map(\.key) == ["b", "a", "c"])
        #expect(v["b"] == .int(1))
        #expect(v["a"] == .array([.double(1.5), .string("x"), .bool(true), .null]))
        #expect(v["c"] == .uint(UInt64.max))
    }

    @Test func rejectsRepeatedKeysEvenWhenSpelledWithEscapes() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"a": 1, "a": 2}"#) }
        do {
            _ = try JSONParser.parse(#"{"x": {"ab": 1, "\u0061b": 2}}"#)
            Issue.record("expected an error")
        } catch let e as JSONParseError {
            #expect(e.duplicateKey == "ab")
        } catch { Issue.record("wrong error \(error)") }
        // The same key in sibling objects is fine.
        #expect((try? JSONParser.parse(#"[{"a": 1}, {"a": 2}]"#)) != nil)
    }

    @Test func rejectsDeepNestingWithoutCrashing() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect { try JSONParser.parse(deep) } throws: { ($0 as? JSONParseError)?.message.contains("nesting") == true }
    }

    @Test func rejectsTrailingBytesTruncationAndBadUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"a": 1} x"#) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"a": 1"#) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{'a': 1}"#) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("") }
    }

    @Test func serializesStringsWithEscapes() throws {
        let v = JSONValue.object([("k\"\n", .string("tab\there\u{1}"))])
        #expect(try JSONParser.parse(v.serialized) == v)
    }
}

@Suite struct JSONLeniencyTests {
    /// Lenient parsers (json-c in strict mode among them) accept these; VLMKit does not, as neither RFC 8259 nor Python's
    /// json or serde_json (which the safetensors reference uses) does.
    @Test(arguments: [#"{'a': 1}"#, "[NaN]", "[Infinity]", "[-Infinity]", "[1.]", "[\"a\u{01}\"]", "[1,]", "[01]", "[tru]"])
    func rejectsWhatIsNotJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func acceptsNaNAndInfinityOnlyWhenAskedTo() throws {
        let v = try JSONParser.parse("[NaN, Infinity, -Infinity]", allowNonFinite: true)
        #expect(v.arrayValue?.map { $0.doubleValue?.isFinite } == [false, false, false])
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[Nope]", allowNonFinite: true) }
    }

    @Test(arguments: ["[1.5e-3]", "[-0]", "[true, false, null]", #"{"a\"b": "c\\d\n"}"#, "[1E+5]"])
    func acceptsJSON(_ text: String) throws {
        _ = try JSONParser.parse(text)
    }
}
