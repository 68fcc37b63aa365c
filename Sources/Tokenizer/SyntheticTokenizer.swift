import TensorIO

/// A byte-level BPE tokenizer.json of any vocabulary size, for synthetic checkpoints (benchmarks):
/// the 256 byte symbols, then two- and three-letter alphanumeric tokens each with its merge rule,
/// then <|begin_of_text|> and <|end_of_text|>. Real enough for llama.cpp and our readers to load
/// and to round-trip text; the token statistics mean nothing.
public enum SyntheticTokenizer {
    public static func json(vocabSize: Int) -> JSONValue {
        precondition(vocabSize >= 260, "a byte-level vocabulary needs at least 256 byte tokens and the specials")
        var vocab: [(String, JSONValue)] = []
        var merges: [JSONValue] = []
        for b in 0..<256 { vocab.append((String(ByteLevelAlphabet.byteToScalar[b]), .int(Int64(b)))) }
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789").map(String.init)
        let filler = vocabSize - 2 - 256
        var made = 0
        outer: for a in letters {
            for b in letters {
                if made == filler { break outer }
                vocab.append((a + b, .int(Int64(256 + made))))
                merges.append(.string(a + " " + b))
                made += 1
            }
        }
        outer3: for a in letters {
            for b in letters {
                for c in letters {
                    if made == filler { break outer3 }
                    vocab.append((a + b + c, .int(Int64(256 + made))))
                    merges.append(.string(a + b + " " + c))
                    made += 1
                }
            }
        }
        let bos = vocabSize - 2, eos = vocabSize - 1
        func added(_ s: String, _ id: Int) -> JSONValue {
            .object([("id", .int(Int64(id))), ("content", .string(s)), ("single_word", .bool(false)), ("lstrip", .bool(false)),
                     ("rstrip", .bool(false)), ("normalized", .bool(false)), ("special", .bool(true))])
        }
        let pattern = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
        return .object([
            ("version", .string("1.0")),
            ("added_tokens", .array([added("<|begin_of_text|>", bos), added("<|end_of_text|>", eos)])),
            ("normalizer", .null),
            ("pre_tokenizer", .object([("type", .string("Sequence")), ("pretokenizers", .array([
                .object([("type", .string("Split")), ("pattern", .object([("Regex", .string(pattern))])), ("behavior", .string("Isolated")), ("invert", .bool(false))]),
                .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)), ("trim_offsets", .bool(true)), ("use_regex", .bool(false))]),
            ]))])),
            ("post_processor", .object([("type", .string("TemplateProcessing")),
                                        ("single", .array([.object([("SpecialToken", .object([("id", .string("<|begin_of_text|>")), ("type_id", .int(0))]))]),
                                                           .object([("Sequence", .object([("id", .string("A")), ("type_id", .int(0))]))])])),
                                        ("special_tokens", .object([("<|begin_of_text|>", .object([("id", .string("<|begin_of_text|>")), ("ids", .array([.int(Int64(bos))])), ("tokens", .array([.string("<|begin_of_text|>")]))]))]))])),
            ("decoder", .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(true)), ("trim_offsets", .bool(true)), ("use_regex", .bool(true))])),
            ("model", .object([("type", .string("BPE")), ("dropout", .null), ("unk_token", .null), ("byte_fallback", .bool(false)),
                               ("ignore_merges", .bool(false)), ("vocab", .object(vocab)), ("merges", .array(merges))])),
        ])
    }

    public static func config(vocabSize: Int) -> JSONValue {
        .object([("bos_token", .string("<|begin_of_text|>")), ("eos_token", .string("<|end_of_text|>")), ("add_bos_token", .bool(true)),
                 ("model_max_length", .int(4096)), ("tokenizer_class", .string("PreTrainedTokenizerFast"))])
    }
}
