"""Byte-level BPE tokenizers whose normalizer and pre-tokenizer are each built from the components
the model families' tokenizer.json files use (Qwen2's NFC + Split regex, GPT-2's ByteLevel split,
Digits, the five Split behaviors, inverted splits, literal patterns), trained offline by the
`tokenizers` library on generate.py's TRAINING_TEXT; and the ids `tokenizers` gives for a corpus.
VLMKit must reproduce them exactly (Tests/TokenizerTests/ComponentTokenizerTests.swift).
Run through golden/generate.py."""
import json
import os

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

# Qwen2's pattern as its tokenizer.json writes it: Llama 3's but for single digits.
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def byte_level(add_prefix_space=False, use_regex=False):
    return pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space, use_regex=use_regex, trim_offsets=False)


CASES = {
    # NVILA / Qwen2: NFC, then Qwen2's split, then bytes.
    "qwen2": (normalizers.NFC(), pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False), byte_level()])),
    # GPT-2: ByteLevel alone, with its own regex and a prefix space.
    "gpt2": (None, byte_level(add_prefix_space=True, use_regex=True)),
    # Digits one by one, white space merged into the next word, NFKC + lowercase.
    "digits-merged-next": (normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()]), pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.Split(Regex(r"\s+"), behavior="merged_with_next", invert=False), byte_level()])),
    # Literal dashes merged into the previous piece, punctuation runs contiguous, 'q' removed,
    # digit runs kept whole (Digits contiguous), NFD.
    "split-behaviors": (normalizers.NFD(), pre_tokenizers.Sequence([
        pre_tokenizers.Split("-", behavior="merged_with_previous", invert=False),
        pre_tokenizers.Split(Regex(r"[.,!?;:]"), behavior="contiguous", invert=False),
        pre_tokenizers.Split(Regex(r"q"), behavior="removed", invert=False),
        pre_tokenizers.Digits(individual_digits=False), byte_level(add_prefix_space=True)])),
    # Inverted: the pattern names what to keep (words, with lazy and bounded repeats), gaps isolated.
    "inverted-lookahead": (None, pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\p{L}{1,4}?(?=\p{L})|\p{L}+|[^\p{L}\s]+"), behavior="isolated", invert=True),
        pre_tokenizers.Split(Regex(r"(?i)th|\s(?!\s)"), behavior="isolated", invert=False), byte_level()])),
}

EXTRA_TEXTS = [
    "e\u0301cole A\u030a \u212b vs \u00c5", "ﬁ ﬀ ① ² ½ Ⅻ", "1234567890 ١٢٣ 12.50", "I'LL DON'T it'S", "x--y...z!! q-quick, quiet?",
    "THE thin theme", "tab\t\tstop\n  indented", "end with spaces   ", "  ", "mixed 😀 emoji-dash",
]


def write(root: str, training_text: list, texts: list) -> None:
    out = os.path.join(root, "tokenizer", "components")
    os.makedirs(out, exist_ok=True)
    corpus = {"generator": "golden/tokenizer_components.py (tokenizers)", "texts": texts + EXTRA_TEXTS, "cases": {}}
    for name, (normalizer, pre) in CASES.items():
        tok = tokenizer(normalizer, pre, 400, training_text)
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        tok.save(os.path.join(folder, "tokenizer.json"))
        corpus["cases"][name] = {
            "ids": [tok.encode(t, add_special_tokens=False).ids for t in corpus["texts"]],
            "pieces": [[p for p, _ in tok.pre_tokenizer.pre_tokenize_str(tok.normalizer.normalize_str(t) if tok.normalizer else t)]
                       for t in corpus["texts"]],
        }
    with open(os.path.join(out, "corpus.json"), "w") as f:
        json.dump(corpus, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")


def tokenizer(normalizer, pre, vocab_size: int, training_text: list, specials=("<unk>", "<|endoftext|>")):
    tok = Tokenizer(models.BPE())
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(specials), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(training_text, trainer)
    return tok


def qwen2_tokenizer(vocab_size: int, training_text: list):
    """The Qwen2-style tokenizer of generate.py's Qwen2 model (no BOS, ChatML specials)."""
    normalizer, pre = CASES["qwen2"]
    return tokenizer(normalizer, pre, vocab_size, training_text, specials=("<|endoftext|>", "<|im_start|>", "<|im_end|>"))
