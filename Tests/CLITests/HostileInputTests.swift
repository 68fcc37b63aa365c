import Foundation
import Testing
import TestSupport

/// Round two of hostile and careless inputs (issue 13): each case failed before its fix.
/// Every refusal is exit 2 with one line on stderr naming the problem.
enum Expect {
    static func refused(_ r: CLIRunner.Result, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 2, "exit \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.split(separator: "\n").count == 1, "not one line: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(text), "expected '\(text)' in: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, "stdout: \(r.stdout)", sourceLocation: sourceLocation)
    }
}

@Suite struct HostileRuntimeInputTests {
    static let model = TestFiles.golden("models/vila-clip-linear-f16")
    static let golden = TestFiles.golden("cases/vila-clip-linear-f16.golden.safetensors")

    /// An added token beyond the model's embedding rows, met by eval-ppl's tokenizer: refused at
    /// the one place ids enter the LLM (it crashed with SIGILL).
    @Test func evalPPLRefusesAnAddedTokenBeyondTheVocabulary() throws {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        FixtureEditing.editJSON(dir + "/llm/tokenizer.json") { t in
            var added = t["added_tokens"] as! [[String: Any]]
            added.append(["id": 600, "content": "<far>", "special": false, "single_word": false, "lstrip": false,
                          "rstrip": false, "normalized": false])
            t["added_tokens"] = added
        }
        let text = dir + "/text.txt"
        try "a b <far> c d e f".write(toFile: text, atomically: true, encoding: .utf8)
        Expect.refused(try CLIRunner.run(["eval-ppl", dir, "--text", text]), "token id 600 at position")
    }

    @Test func threadsAboveTheCoresAreLoweredWithANote() throws {
        let out = TestFiles.tempDir("thr") + "/d.safetensors"
        let r = try CLIRunner.run(["run", Self.model, "--inputs", Self.golden, "--dump", out, "--threads", "100000"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("--threads 100000 is more than the"), "\(r.stderr)")
        Expect.refused(try CLIRunner.run(["run", Self.model, "--inputs", Self.golden, "--dump", out, "--threads", "-1"]),
                       "--threads must be 0 (every core) or a positive count, not -1")
    }

    /// A huge --threads under a 4 GiB address-space limit spun in OpenBLAS's allocator: the count
    /// is clamped to the cores and OpenBLAS always runs single-threaded from our threads.
    @Test func hugeThreadCountUnderAnAddressSpaceLimitFinishes() throws {
        let r = try CLIRunner.runShell(#"ulimit -v 4194304; exec timeout 120 "$0" "$@""#,
                                       ["eval-ppl", Self.model, "--ids", TestFiles.golden("calibration/random-ids-4096.txt"),
                                        "--context", "128", "--max-tokens", "512", "--threads", "64"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("perplexity"))
    }

    /// Negative numbers are values, not flags, and a bad value is one line naming the option.
    @Test func argumentErrorsAreOneLineNamingTheOption() throws {
        Expect.refused(try CLIRunner.run(["run", Self.model, "--prompt", "hi", "--max-new-tokens", "-1"]),
                       "--max-new-tokens must be 0 or more, not -1")
        Expect.refused(try CLIRunner.run(["run", Self.model, "--prompt", "hi", "--temperature", "-1"]),
                       "--temperature must be a finite number, 0 or more, not -1.0")
        Expect.refused(try CLIRunner.run(["run", Self.model, "--prompt", "hi", "--bogus"]), "Unknown option '--bogus'")
        Expect.refused(try CLIRunner.run(["quantize", Self.model, "-o", "/tmp/x"]), "Missing expected argument '--scheme <scheme>'")
    }

    @Test func contextBeyondTheModelIsRefused() throws {
        Expect.refused(try CLIRunner.run(["eval-ppl", Self.model, "--ids", TestFiles.golden("calibration/random-ids-4096.txt"),
                                          "--context", "4096"]),
                       "--context 4096 is beyond the model's context of 512 positions")
        Expect.refused(try CLIRunner.run(["quantize", TestFiles.golden("models/vila-llama-outliers-f16"), "-o", TestFiles.tempDir("q") + "/q",
                                          "--scheme", "int4", "--method", "awq", "--calibration",
                                          TestFiles.golden("calibration/random-ids-4096.txt"), "--sequence-length", "4096"]),
                       "--sequence-length 4096 is beyond the model's context of")
    }

    @Test func flagsThatDoNotApplyAreRefused() throws {
        let dir = TestFiles.tempDir("flags")
        Expect.refused(try CLIRunner.run(["quantize", Self.model, "-o", dir + "/q", "--scheme", "int8", "-g", "32"]),
                       "--group-size applies to --scheme int4 only")
        Expect.refused(try CLIRunner.run(["quantize", Self.model, "-o", dir + "/q", "--scheme", "int4", "--calibration",
                                          TestFiles.golden("calibration/random-ids-4096.txt")]),
                       "--calibration applies to --method awq only")
        Expect.refused(try CLIRunner.run(["quantize", Self.model, "-o", dir + "/q", "--scheme", "int4", "--sequence-length", "64"]),
                       "--sequence-length applies to --method awq only")
        Expect.refused(try CLIRunner.run(["run", Self.model, "--prompt", "hi", "--seed", "3"]), "--seed applies to sampling only")
        Expect.refused(try CLIRunner.run(["run", Self.model, "--inputs", Self.golden, "--dump", dir + "/d", "--template", "plain"]),
                       "--template does not apply to --inputs")
        Expect.refused(try CLIRunner.run(["tokenize", Self.model, "--decode", "1", "2", "--no-bos"]), "--no-bos applies to encoding, not --decode")
        Expect.refused(try CLIRunner.run(["export", Self.model, "-o", dir + "/m.vlmb", "--type", "q4_0"]),
                       "--type applies to --format gguf and mmproj only")
        Expect.refused(try CLIRunner.run(["export", Self.model, "-o", dir + "/m.gguf", "--format", "gguf", "--zstd", "3"]),
                       "--zstd applies to --format bundle only")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func textFilesThatCannotBeReadAreNamed() throws {
        let dir = TestFiles.tempDir("txt")
        Expect.refused(try CLIRunner.run(["tokenize", Self.model, "--file", "/dev/zero"]), "/dev/zero: cannot open: not a regular file")
        Expect.refused(try CLIRunner.run(["eval-ppl", Self.model, "--ids", "/dev/zero"]), "/dev/zero: cannot open: not a regular file")
        Expect.refused(try CLIRunner.run(["tokenize", Self.model, "--file", dir + "/missing.txt"]),
                       dir + "/missing.txt: cannot open: No such file or directory")
        let latin1 = dir + "/latin1.txt"
        TestFiles.write(Array("caf".utf8) + [0xE9, 0x0A], to: latin1)
        Expect.refused(try CLIRunner.run(["tokenize", Self.model, "--file", latin1]), latin1 + ": not UTF-8 text (invalid byte sequence at byte 3)")
        Expect.refused(try CLIRunner.run(["eval-ppl", Self.model, "--text", latin1]), latin1 + ": not UTF-8 text")
    }

    @Test func decodingAnIdWithoutATokenIsAnError() throws {
        Expect.refused(try CLIRunner.run(["tokenize", Self.model, "--decode", "99999999999"]),
                       "token id 99999999999 has no token in this tokenizer (ids with a token: 0..<480)")
        let ok = try CLIRunner.run(["tokenize", Self.model, "--decode", "1", "300"])
        #expect(ok.status == 0)
    }

    /// LLaVA-1.5 pads its embedding to more rows than the tokenizer has; inspect says so.
    @Test func inspectReportsTokenizerCoverage() throws {
        let r = try CLIRunner.run(["inspect", TestFiles.golden("models/llava-hf-f16")])
        #expect(r.status == 0)
        #expect(r.stdout.contains("tokenizer       480 ids with a token for 512 embedding rows: 32 embedding rows have no token — padding rows, normal"))
    }

    @Test func synthesizeTakesShardMiBAsDocumented() throws {
        let out = TestFiles.tempDir("syn") + "/m"
        let r = try CLIRunner.run(["synthesize", "--preset", "tiny", "-o", out, "--shard-mib", "1"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// Every command that reports something has --json for scripts.
    @Test func everyReportingCommandTakesJSON() throws {
        for command in ["inspect", "verify", "run", "bench", "eval-ppl", "quantize", "export", "verify-bundle", "tokenize", "preprocess"] {
            let r = try CLIRunner.run([command, "--help"])
            #expect(r.stdout.contains("--json"), "\(command)")
        }
        let out = TestFiles.tempDir("pj") + "/p.safetensors"
        let r = try CLIRunner.run(["preprocess", Self.model, TestFiles.golden("images/files/tiny-7x5.png"), "-o", out, "--json"])
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(o?["shape"] as? [Int] == [1, 3, 56, 56] && o?["image_aspect_ratio"] as? String == "resize", "\(r.stdout)")
    }

    /// --allow-nonfinite exists wherever weights are read to compute (its advice is followable).
    @Test func everyComputingCommandTakesAllowNonfinite() throws {
        for command in ["run", "verify", "bench", "eval-ppl", "export", "quantize", "verify-bundle"] {
            let r = try CLIRunner.run([command, "--help"])
            #expect(r.stdout.contains("--allow-nonfinite"), "\(command)")
        }
    }
}

@Suite struct HostileVerificationTests {
    static let model = TestFiles.golden("models/vila-clip-linear-f16")
    static let golden = TestFiles.golden("cases/vila-clip-linear-f16.golden.safetensors")

    /// A NaN tolerance would make every comparison false and the verdict PASSED.
    @Test func nanTolerancesAreUsageErrors() throws {
        for flag in ["--min-top1", "--max-rel", "--max-kl"] {
            Expect.refused(try CLIRunner.run(["verify", Self.model, "--golden", Self.golden, flag, "nan"]), "\(flag) nan is not allowed")
        }
        Expect.refused(try CLIRunner.run(["verify", Self.model, "--golden", Self.golden, "--min-top1", "1.5"]), "--min-top1 1.5 is not allowed; it must be 0…1")
    }

    @Test func nanToleranceInAGoldenFileIsBadInput() throws {
        let dir = TestFiles.tempDir("gold")
        for (value, expect) in [("nan", "tolerance max_rel is nan"), ("abc", "metadata tolerance.max_rel is \"abc\", not a number")] {
            let path = dir + "/g-\(value).safetensors"
            try FileManager.default.copyItem(atPath: Self.golden, toPath: path)
            let meta = try GoldenMetadata.read(path)
            FixtureEditing.editTensors(path, metadata: meta.merging(["tolerance.max_rel": value]) { $1 })
            Expect.refused(try CLIRunner.run(["verify", Self.model, "--golden", path]), expect)
        }
    }

    /// A NaN in a golden file's expected values (or inputs) would fail every comparison: bad input.
    @Test func nonFiniteGoldenValuesAreBadInput() throws {
        let path = TestFiles.tempDir("gnan") + "/g.safetensors"
        try FileManager.default.copyItem(atPath: Self.golden, toPath: path)
        FixtureEditing.editTensors(path) { name, dtype, shape, bytes in
            guard name == "expected.projected" else { return nil }
            var b = bytes
            withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { for i in 0..<4 { b[40 + i] = $0[i] } }
            return (dtype, shape, b)
        }
        Expect.refused(try CLIRunner.run(["verify", Self.model, "--golden", path]),
                       "tensor 'expected.projected': holds nan at element 10; a golden value must be finite")
    }

    /// A golden file made for another model does not fit: bad input, not a failed verification.
    @Test func goldenOfAnotherModelIsExitTwo() throws {
        let path = TestFiles.tempDir("gshape") + "/g.safetensors"
        try FileManager.default.copyItem(atPath: Self.golden, toPath: path)
        // Logits of a 256-token vocabulary: what a golden of another model holds.
        FixtureEditing.editTensors(path) { name, dtype, _, bytes in
            name == "expected.logits" ? (dtype, [44, 256], bytes) : nil
        }
        Expect.refused(try CLIRunner.run(["verify", Self.model, "--golden", path]),
                       "its logits have shape [44, 256] but this model gives [22, 512]; the golden file was made for another model")
    }
}

enum GoldenMetadata {
    static func read(_ path: String) throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as! [String: Any]
        return header["__metadata__"] as? [String: String] ?? [:]
    }
}

/// Non-finite values: one rule for checkpoints, quantized folders and bundles, on every command.
@Suite struct NonFiniteEverywhereTests {
    static let golden = TestFiles.golden("cases/vila-clip-linear-f16.golden.safetensors")

    @Test func nanCheckpointIsNotExportedAndANanBundleIsNotOK() throws {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        FixtureEditing.setF16(dir + "/mm_projector/model.safetensors", tensor: "layers.weight", index: 5, to: .nan)
        let out = TestFiles.tempDir("nanb")
        Expect.refused(try CLIRunner.run(["export", dir, "-o", out + "/m.vlmb"]),
                       "mm_projector/model.safetensors: tensor 'layers.weight' holds nan at element 5")
        Expect.refused(try CLIRunner.run(["quantize", dir, "-o", out + "/q", "--scheme", "int8"]), "holds nan at element 5")
        // Allowed on purpose: the bundle is written, and then every reader refuses it unless allowed too.
        let bundle = out + "/m.vlmb"
        #expect(try CLIRunner.run(["export", dir, "-o", bundle, "--allow-nonfinite"]).status == 0)
        Expect.refused(try CLIRunner.run(["verify-bundle", bundle, "--full"]), "m.vlmb: tensor 'projector.linear.weight' holds nan at element 5")
        #expect(try CLIRunner.run(["verify-bundle", bundle, "--full", "--allow-nonfinite"]).status == 0)
        Expect.refused(try CLIRunner.run(["run", bundle, "--inputs", Self.golden, "--dump", out + "/d.safetensors"]), "holds nan")
        Expect.refused(try CLIRunner.run(["verify", bundle, "--golden", Self.golden]), "holds nan")
        Expect.refused(try CLIRunner.run(["bench", bundle, "--decode-tokens", "1", "--prompt-tokens", "2"]), "holds nan")
    }

    /// A NaN in a layer that is quantized (packed straight from its stored bytes) is named as in a
    /// kept one, for every scheme; an infinity too.
    @Test func nanInAQuantizedLayerIsNamed() throws {
        for (value, word) in [(Float.nan, "nan"), (.infinity, "inf")] {
            let dir = FixtureEditing.copy("vila-clip-linear-f16")
            FixtureEditing.setF16(dir + "/llm/model.safetensors", tensor: "model.layers.1.mlp.up_proj.weight", index: 7, to: value)
            for scheme in [["--scheme", "int8"], ["--scheme", "int4", "-g", "32"]] {
                let out = TestFiles.tempDir("nanq") + "/q"
                Expect.refused(try CLIRunner.run(["quantize", dir, "-o", out] + scheme),
                               "tensor 'model.layers.1.mlp.up_proj.weight' holds \(word) at element 7")
                #expect(!FileManager.default.fileExists(atPath: out))
            }
        }
    }

    /// GGUF holds the language model: a NaN there is refused (one in the projector is not read).
    @Test func nanLanguageModelIsNotExportedToGGUF() throws {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        FixtureEditing.setF16(dir + "/llm/model.safetensors", tensor: "model.layers.1.mlp.up_proj.weight", index: 7, to: -.infinity)
        Expect.refused(try CLIRunner.run(["export", dir, "-o", TestFiles.tempDir("nang") + "/m.gguf", "--format", "gguf"]),
                       "tensor 'model.layers.1.mlp.up_proj.weight' holds -inf at element 7")
    }

    /// NaN or +Inf in an int8 or int4 scale was run as [0,0,0,0] (exit 0) or reported as a failed
    /// verification (exit 1): it is bad input.
    @Test(arguments: [("int8", Float.nan), ("int8", Float.infinity), ("int4", Float.nan)])
    func nonFiniteScaleIsBadInput(_ c: (String, Float)) throws {
        let out = TestFiles.tempDir("nans")
        let q = out + "/q"
        #expect(try CLIRunner.run(["quantize", TestFiles.golden("models/vila-clip-linear-f16"), "-o", q, "--scheme", c.0]
                                  + (c.0 == "int4" ? ["-g", "32"] : [])).status == 0)
        FixtureEditing.setF16(q + "/model.safetensors", tensor: "llm.layers.0.mlp.up.scales", index: 2, to: c.1)
        let name = "tensor 'llm.layers.0.mlp.up.scales' holds \(c.1)"
        Expect.refused(try CLIRunner.run(["verify", q, "--golden", Self.golden]), name)
        Expect.refused(try CLIRunner.run(["run", q, "--inputs", Self.golden, "--dump", out + "/d.safetensors", "--max-new-tokens", "4"]), name)
        Expect.refused(try CLIRunner.run(["export", q, "-o", out + "/q.vlmb"]), name)
        let allowed = try CLIRunner.run(["verify", q, "--golden", Self.golden, "--allow-nonfinite"])
        #expect(allowed.status == 1, "\(allowed.stderr)")
    }
}

/// The portable kernels (what an ARM device runs), forced on x86 for a whole process or chosen
/// with `--kernels`, verify a quantized model as the native ones do: same verdict, same ids.
@Suite struct PortableKernelCLITests {
    @Test func portableKernelsVerifyAnInt4Model() throws {
        let q = TestFiles.tempDir("port") + "/q"
        #expect(try CLIRunner.run(["quantize", TestFiles.golden("models/vila-clip-linear-f16"), "-o", q, "--scheme", "int4", "-g", "32"]).status == 0)
        let golden = TestFiles.golden("cases/vila-clip-linear-f16.golden.safetensors")
        let args = ["verify", q, "--golden", golden, "--max-rel", "0.5", "--max-kl", "0.5", "--min-top1", "0", "--ignore-generated", "--json"]
        let native = try CLIRunner.run(args)
        let portable = try CLIRunner.runShell(#"VLMKIT_KERNELS=portable exec "$0" "$@""#, args)
        #expect(native.status == 0 && portable.status == 0, "\(native.stderr) \(portable.stderr)")
        func generated(_ r: CLIRunner.Result) throws -> [Int] {
            let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            return o["generated_actual"] as? [Int] ?? []
        }
        #expect(try generated(native) == (try generated(portable)) && !(try generated(native)).isEmpty)
        let option = try CLIRunner.run(args + ["--kernels", "portable", "--threads", "2"])
        #expect(option.status == 0, "\(option.stderr)")
        #expect(try generated(option) == (try generated(native)))
        Expect.refused(try CLIRunner.run(args + ["--kernels", "neon"]), "'neon'")
        let chosen = try CLIRunner.run(["bench", q, "--prompt-tokens", "2", "--decode-tokens", "1", "--images", "0", "--kernels", "portable"])
        #expect(chosen.stdout.contains("portable kernels"), "\(chosen.stdout)")
        // The switch really switches.
        let bench = try CLIRunner.runShell(#"VLMKIT_KERNELS=portable exec "$0" "$@""#,
                                           ["bench", q, "--prompt-tokens", "2", "--decode-tokens", "1", "--images", "0"])
        #expect(bench.stdout.contains("portable kernels"), "\(bench.stdout)")
    }
}

/// Quantized folders that contradict formats/quantization.md.
@Suite struct HostileQuantizedFolderTests {
    static func quantized(_ scheme: String) throws -> String {
        let q = TestFiles.tempDir("hq") + "/q"
        #expect(try CLIRunner.run(["quantize", TestFiles.golden("models/vila-clip-linear-f16"), "-o", q, "--scheme", scheme]
                                  + (scheme == "int4" ? ["-g", "32"] : [])).status == 0)
        return q
    }

    @Test func zeroPointsOutsideZeroToFifteenAreRefused() throws {
        let q = try Self.quantized("int4")
        FixtureEditing.editTensors(q + "/model.safetensors") { name, dtype, shape, bytes in
            guard name == "llm.layers.1.attn.v.zeros" else { return nil }
            var b = bytes
            b[3] = 16
            return (dtype, shape, b)
        }
        Expect.refused(try CLIRunner.run(["verify", q, "--golden", NonFiniteEverywhereTests.golden]),
                       "zero-point 16 at element 3 is outside 0…15")
    }

    @Test func f32ScalesAreRefused() throws {
        let q = try Self.quantized("int8")
        FixtureEditing.editTensors(q + "/model.safetensors") { name, _, shape, bytes in
            guard name == "llm.layers.0.attn.q.scales" else { return nil }
            var wide: [UInt8] = []
            for i in 0..<(bytes.count / 2) {
                let f = Float16(bitPattern: UInt16(bytes[2 * i]) | UInt16(bytes[2 * i + 1]) << 8)
                withUnsafeBytes(of: Float(f).bitPattern.littleEndian) { wide += $0 }
            }
            return (.f32, shape, wide)
        }
        Expect.refused(try CLIRunner.run(["inspect", q]), "'llm.layers.0.attn.q.scales' in \(q)/model.safetensors is F32, expected F16")
    }

    @Test func manifestShapeContradictingTheTensorsIsRefused() throws {
        let q = try Self.quantized("int8")
        FixtureEditing.editJSON(q + "/quantization.json") { m in
            var tensors = m["tensors"] as! [String: Any]
            var e = tensors["llm.layers.0.mlp.down.weight"] as! [String: Any]
            e["shape"] = [64, 256]
            tensors["llm.layers.0.mlp.down.weight"] = e
            m["tensors"] = tensors
        }
        Expect.refused(try CLIRunner.run(["inspect", q]), "manifest entry 'llm.layers.0.mlp.down.weight' says shape [64, 256], but the config implies [64, 128]")
    }
}
