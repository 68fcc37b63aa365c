import Foundation
import Testing
import TensorIO
import TestSupport
@testable import ChatTemplate

/// Every golden in golden/templates/cases.json: the template rendered by transformers
/// (golden/chat_templates.py) over a conversation; VLMKit's text must be identical, and where
/// transformers raised, VLMKit must refuse too.
@Suite struct ChatTemplateGoldenTests {
    static let goldens: JSONValue = {
        let path = TestFiles.golden("templates/cases.json")
        return try! JSONParser.parse(String(contentsOfFile: path, encoding: .utf8))
    }()

    static func source(_ name: String) throws -> String {
        if name.hasPrefix("inline:") { return goldens["inline_templates"]![name]!.stringValue! }
        let file = name.components(separatedBy: "#")[0]
        let text = try String(contentsOfFile: TestFiles.golden("templates/" + file), encoding: .utf8)
        // The NVILA builder's form of its template (golden/chat_templates.py).
        return name.hasSuffix("#builder") ? text.replacingOccurrences(of: "    ", with: "").replacingOccurrences(of: "\n", with: "") : text
    }

    @Test func everyCaseRendersAsTransformers() throws {
        let g = Self.goldens
        guard case let .array(cases)? = g["cases"], let conversations = g["conversations"], let special = g["special_tokens"] else {
            Issue.record("cases.json lacks cases")
            return
        }
        #expect(cases.count >= 110)
        var compiled: [String: ChatTemplate] = [:]
        for c in cases {
            let name = c["template"]!.stringValue!
            let conv = c["conversation"]!.stringValue!
            if compiled[name] == nil { compiled[name] = try ChatTemplate(try Self.source(name)) }
            var vars: [String: TemplateValue] = [
                "messages": TemplateValue(json: conversations[conv]!),
                "add_generation_prompt": .bool(c["add_generation_prompt"]!.boolValue!),
                "tools": c["tools"].map(TemplateValue.init(json:)) ?? .none,
                "documents": .none,
            ]
            if case let .object(pairs) = special { for (k, v) in pairs { vars[k] = TemplateValue(json: v) } }
            let label = "\(name) / \(conv) / generation \(c["add_generation_prompt"]!.boolValue!)"
            if let expected = c["expected"]?.stringValue {
                let got = try compiled[name]!.render(vars)
                #expect(got == expected, "\(label)\n--- got ---\n\(got)\n--- expected ---\n\(expected)")
            } else {
                #expect(throws: TemplateError.self, "\(label) should refuse as transformers did") { try compiled[name]!.render(vars) }
            }
        }
    }
}
