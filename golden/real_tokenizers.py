#!/usr/bin/env python3
"""Rebuilds real tokenizer files from real vocabularies and records the ids the reference libraries
give for test texts: golden/tokenizer/real/ (issue 13: real tokenizer files, not toy ones).

Source of the vocabularies: llama.cpp's vocab-only GGUF files, shipped in the llama-cpp-python 0.3.36
sdist on PyPI (vendor/llama.cpp/models/ggml-vocab-llama-spm.gguf: Llama 2's 32000 SentencePiece
pieces; ggml-vocab-llama-bpe.gguf: Llama 3's 128256 byte-level tokens and 280147 merges), each with
`.inp` test texts and `.out` ids that llama.cpp recorded from Hugging Face's tokenizer.

What is written, and how it is checked:
- llama2/tokenizer.model: a SentencePiece ModelProto (sentencepiece_model_pb2) with the pieces,
  scores and types as published (BPE, add_dummy_prefix, identity normalizer, byte fallback).
- llama2/tokenizer.json: the layout of meta-llama/Llama-2-7b-hf's tokenizer.json (BPE with byte
  fallback, Prepend/Replace normalizer, TemplateProcessing "<s> $A"); merges extracted from the
  vocabulary the way transformers' SentencePieceExtractor does (every split of a piece into two
  pieces, by the merged piece's score, highest first; splits of one piece by left, then right id).
- llama3/tokenizer.json: the layout of meta-llama/Meta-Llama-3-8B's tokenizer.json (Split with the
  Llama 3 regex + ByteLevel, a Sequence post-processor of ByteLevel then TemplateProcessing with
  <|begin_of_text|>, ByteLevel decoder, the 256 special tokens as added tokens).
- qwen2/tokenizer.json: the layout of Qwen/Qwen2-7B-Instruct's tokenizer.json (NFC normalizer, Split with
  Qwen2's regex — single digits — + ByteLevel, ByteLevel post-processor and decoder, the control tokens
  <|endoftext|>, <|im_start|>, <|im_end|> as added tokens), from ggml-vocab-qwen2.gguf (151643 tokens and
  their merges; llama.cpp's [PAD…] entries left out).
- expected.json: for every text, the ids `sentencepiece` gives for the .model and `tokenizers` gives
  for each .json (with and without special tokens); the script asserts they equal llama.cpp's
  recorded Hugging Face ids on its texts, and adds texts with the characters that Swift's String
  equality conflates (ί U+03AF / U+1F77, ά U+03AC / U+1F71, the Kelvin, Ohm and Angstrom signs).

Run: python3 -m pip install -r golden/requirements.txt; pip download llama-cpp-python==0.3.36
--no-deps --no-binary :all: (stop it once the sdist is downloaded), unpack it, then
    python3 golden/real_tokenizers.py PATH/TO/vendor/llama.cpp/models
"""
import json
import os
import sys

import gguf
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb
import tokenizers

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ROOT, "tokenizer", "real")

EXTRA_TEXTS = [
    "\u03af \u1f77 \u03ac \u1f71",          # ί ί ά ά: tonos and oxia spellings, both in Llama 2's vocabulary
    "\u212a \u2126 \u212b vs K \u03a9 \u00c5",  # Kelvin, Ohm, Angstrom signs vs the letters they equal canonically
    "cafe\u0301 caf\u00e9",                 # combining accent vs precomposed
    "\u1f77\u1f77\u03af",
    "<s> text </s> after",
]


def field(r, name):
    f = r.fields[name]
    if len(f.data) == 1 and f.types[0] == gguf.GGUFValueType.STRING:
        return bytes(f.parts[f.data[0]]).decode("utf-8")
    if f.types[0] == gguf.GGUFValueType.ARRAY:
        if f.types[1] == gguf.GGUFValueType.STRING:
            return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        return [f.parts[i].tolist()[0] for i in f.data]
    return f.parts[f.data[0]].tolist()[0]


def tests(models, name):
    texts = open(os.path.join(models, name + ".inp"), encoding="utf-8").read().split("\n__ggml_vocab_test__\n")
    outs = open(os.path.join(models, name + ".out"), encoding="utf-8").read().split("\n")
    texts, outs = texts[:-1], outs[:-1]
    assert len(texts) == len(outs), (len(texts), len(outs))
    return texts, [[int(x) for x in line.split()] for line in outs]


def llama2(models):
    r = gguf.GGUFReader(os.path.join(models, "ggml-vocab-llama-spm.gguf"))
    tokens, scores, types = field(r, "tokenizer.ggml.tokens"), field(r, "tokenizer.ggml.scores"), field(r, "tokenizer.ggml.token_type")
    m = pb.ModelProto()
    for t, s, ty in zip(tokens, scores, types):
        p = m.pieces.add()
        p.piece, p.score, p.type = t, s, ty
    m.trainer_spec.model_type = pb.TrainerSpec.BPE
    m.trainer_spec.vocab_size = len(tokens)
    m.trainer_spec.byte_fallback = True
    m.trainer_spec.unk_id, m.trainer_spec.bos_id, m.trainer_spec.eos_id, m.trainer_spec.pad_id = 0, 1, 2, -1
    m.trainer_spec.split_digits = True
    m.normalizer_spec.name = "identity"
    m.normalizer_spec.add_dummy_prefix = True
    m.normalizer_spec.remove_extra_whitespaces = False
    m.normalizer_spec.escape_whitespaces = True
    d = os.path.join(OUT, "llama2")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "tokenizer.model"), "wb") as f:
        f.write(m.SerializeToString())

    vocab = {t: i for i, t in enumerate(tokens)}
    merges = []
    for piece, pid in vocab.items():
        local = []
        for k in range(1, len(piece)):
            a, b = piece[:k], piece[k:]
            if a in vocab and b in vocab:
                local.append((vocab[a], vocab[b], a, b))
        local.sort()
        merges += [(scores[pid], va, vb, a, b) for va, vb, a, b in local]
    merges.sort(key=lambda m: -m[0])  # stable: by merged piece score, highest first
    added = [{"id": i, "content": tokens[i], "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i in (0, 1, 2)]
    tj = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                                                           {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                                                     {"type": "ByteFallback"}, {"type": "Fuse"},
                                                     {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True,
                  "vocab": vocab, "merges": [a + " " + b for _, _, _, a, b in merges]},
    }
    with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False)

    texts, hf = tests(models, "ggml-vocab-llama-spm.gguf")
    sp = spm.SentencePieceProcessor(model_file=os.path.join(d, "tokenizer.model"))
    fast = tokenizers.Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
    for i, (t, want) in enumerate(zip(texts, hf)):
        assert fast.encode(t, add_special_tokens=False).ids == want, ("tokenizer.json", i, t)
        if sp.encode(t) != want:
            print(f"llama2 text {i} {t!r}: sentencepiece differs from Hugging Face's ids (recorded as sentencepiece gives)")
    all_texts = texts + EXTRA_TEXTS
    return {
        "source": "llama-cpp-python 0.3.36 sdist: vendor/llama.cpp/models/ggml-vocab-llama-spm.gguf",
        "texts": all_texts,
        "llama.cpp_hf_ids": hf,
        "sentencepiece_ids": [sp.encode(t) for t in all_texts],
        "tokenizers_ids": [fast.encode(t, add_special_tokens=False).ids for t in all_texts],
        "tokenizers_ids_with_special": [fast.encode(t).ids for t in all_texts],
        "tokenizers_decoded": [fast.decode(fast.encode(t, add_special_tokens=False).ids) for t in all_texts],
    }


def write_and_check(name, tj, models, gguf_name, extra_texts):
    """Writes `tj` as name/tokenizer.json, asserts `tokenizers` gives llama.cpp's recorded Hugging Face
    ids on its test texts, and returns the expected ids for those texts plus the extra ones."""
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False)
    texts, hf = tests(models, gguf_name)
    fast = tokenizers.Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
    for i, (t, want) in enumerate(zip(texts, hf)):
        assert fast.encode(t, add_special_tokens=False).ids == want, (name, i, t)
    all_texts = texts + extra_texts
    return {
        "source": f"llama-cpp-python 0.3.36 sdist: vendor/llama.cpp/models/{gguf_name}",
        "texts": all_texts,
        "llama.cpp_hf_ids": hf,
        "tokenizers_ids": [fast.encode(t, add_special_tokens=False).ids for t in all_texts],
        "tokenizers_ids_with_special": [fast.encode(t).ids for t in all_texts],
        "tokenizers_decoded": [fast.decode(fast.encode(t, add_special_tokens=False).ids) for t in all_texts],
    }


LLAMA3_SPLIT = ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")


def llama3(models):
    r = gguf.GGUFReader(os.path.join(models, "ggml-vocab-llama-bpe.gguf"))
    tokens, types, merges = field(r, "tokenizer.ggml.tokens"), field(r, "tokenizer.ggml.token_type"), field(r, "tokenizer.ggml.merges")
    special = [i for i, ty in enumerate(types) if ty == 3]
    vocab = {t: i for i, t in enumerate(tokens) if i not in set(special)}
    added = [{"id": i, "content": tokens[i], "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i in special]
    tj = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_SPLIT}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                      {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [128000], "tokens": ["<|begin_of_text|>"]}}}]},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": vocab, "merges": merges},
    }
    return write_and_check("llama3", tj, models, "ggml-vocab-llama-bpe.gguf", EXTRA_TEXTS)


QWEN2_SPLIT = ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
               "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")


def qwen2(models):
    """Qwen2's tokenizer.json (the layout of Qwen/Qwen2-7B-Instruct's: NFC normalizer, Split with Qwen2's
    regex + ByteLevel, ByteLevel post-processor and decoder, the control tokens as added tokens);
    the vocabulary's padding entries ([PAD…], not in Hugging Face's file) are left out."""
    r = gguf.GGUFReader(os.path.join(models, "ggml-vocab-qwen2.gguf"))
    tokens, types, merges = field(r, "tokenizer.ggml.tokens"), field(r, "tokenizer.ggml.token_type"), field(r, "tokenizer.ggml.merges")
    special = [i for i, ty in enumerate(types) if ty == 3]
    vocab = {t: i for i, t in enumerate(tokens) if types[i] == 1}
    added = [{"id": i, "content": tokens[i], "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i in special]
    tj = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }
    return write_and_check("qwen2", tj, models, "ggml-vocab-qwen2.gguf", EXTRA_TEXTS + ["1234567890 12.5", "I'LL DON'T", "<|im_start|>user\nhi<|im_end|>"])


def main():
    models = sys.argv[1]
    expected = {"format": "vlmkit-tokenizer-golden", "version": 1,
                "generator": f"golden/real_tokenizers.py (tokenizers {tokenizers.__version__}, sentencepiece {spm.__version__}, gguf-py)",
                "llama2": llama2(models), "llama3": llama3(models), "qwen2": qwen2(models)}
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
