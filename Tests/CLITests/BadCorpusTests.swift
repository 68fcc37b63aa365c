import Foundation
import Testing
import TestSupport

/// Every crafted hostile input under Tests/Fixtures/bad (written by scripts/make_bad_corpus.py) gives
/// exit code 2 and one line on stderr naming the problem — never a crash, a hang or output — and
/// its peak memory stays within the input's size plus a small constant over a run that fails at once.
@Suite struct BadCorpusTests {
    static let root = TestFiles.repoRoot + "/Tests/Fixtures/bad"

    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        let name: String
        let args: [String]
        let expect: String
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        struct File: Decodable { let cases: [Case] }
        let data = try! Data(contentsOf: URL(fileURLWithPath: root + "/expected.json"))
        return try! JSONDecoder().decode(File.self, from: data).cases
    }()

    /// Peak RSS of a run that fails before reading anything (process start-up, libraries).
    static let baselineKiB: Int = {
        (try? CLIRunner.run(["inspect", "/nonexistent/model"]).maxRSSKiB) ?? 0
    }()

    /// Allowed above the baseline besides the input's own bytes.
    static let slackKiB = 8 * 1024

    @Test func corpusIsLargeEnough() {
        #expect(Self.cases.count >= 40)
    }

    @Test(arguments: cases)
    func badInputFailsCleanly(_ c: Case) throws {
        let args = c.args.enumerated().map { i, a -> String in
            if a == "@model" { return TestFiles.golden("models/vila-clip-linear-f16") }
            return i == 0 || a.hasPrefix("--") ? a : Self.root + "/" + a
        }
        let r = try CLIRunner.run(args)
        #expect(r.status == 2, "\(c.name): exit \(r.status), stderr \(r.stderr)")
        #expect(r.stdout.isEmpty, "\(c.name): stdout \(r.stdout)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(c.name): \(r.stderr)")
        #expect(r.stderr.contains(c.expect), "\(c.name): expected '\(c.expect)' in \(r.stderr)")
        // Memory: whatever the file claims, no more than its size plus a constant.
        let inputKiB = args.dropFirst().reduce(0) { total, a in
            total + ((try? FileManager.default.attributesOfItem(atPath: a)[.size] as? Int) ?? 0) / 1024
        }
        #expect(Self.baselineKiB > 0)
        #expect(r.maxRSSKiB <= Self.baselineKiB + inputKiB + Self.slackKiB,
                "\(c.name): peak RSS \(r.maxRSSKiB) KiB, baseline \(Self.baselineKiB) KiB, input \(inputKiB) KiB")
    }
}
