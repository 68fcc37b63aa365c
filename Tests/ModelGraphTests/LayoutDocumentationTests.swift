import TestSupport
import Foundation
import Testing
@testable import ModelGraph

/// formats/checkpoint-layouts.md must list every rule of every name table.
@Suite struct LayoutDocumentationTests {
    @Test func everyNameRuleIsDocumented() throws {
        let doc = try String(contentsOfFile: TestFiles.repoRoot + "/formats/checkpoint-layouts.md", encoding: .utf8)
        let tables = NameTables.all(.vila) + NameTables.all(.llavaHF)
        for table in tables {
            for rule in table.rules {
                #expect(doc.contains("`\(rule.source)` | `\(rule.slot)`"), "\(table.name): \(rule.source) → \(rule.slot)")
            }
            for rule in table.ignored {
                #expect(doc.contains("`\(rule.source)`") || doc.contains("`\(rule.source.replacingOccurrences(of: ".weight", with: ".*"))`"), "\(table.name): ignored \(rule.source)")
            }
        }
    }
}
