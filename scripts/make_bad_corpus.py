#!/usr/bin/env python3
"""Writes Tests/Fixtures/bad/: crafted hostile inputs, each with the command to run and the exact
error expected (expected.json). Standard library only. Re-run after adding a case:
    python3 scripts/make_bad_corpus.py
Tests/CLITests/BadCorpusTests.swift runs every case: exit code 2, one line on stderr containing the
expected text, nothing on stdout."""
import hashlib
import json
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "bad")
cases = []


def st(name, header, data=b"", length=None, expect="", raw=None):
    """A safetensors file from a header (str or dict) and data."""
    h = header if isinstance(header, (bytes, str)) else json.dumps(header, separators=(",", ":"))
    hb = h.encode("utf-8") if isinstance(h, str) else h
    body = raw if raw is not None else struct.pack("<Q", len(hb) if length is None else length) + hb + data
    path = os.path.join(OUT, "safetensors", name + ".safetensors")
    with open(path, "wb") as f:
        f.write(body)
    cases.append({"name": "safetensors/" + name, "args": ["inspect", "safetensors/" + name + ".safetensors"], "expect": expect})


def f32(n):
    return {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}


def checkpoint(name, top, llm=None, expect="", weights=True):
    """A VILA-layout folder whose weight files are empty (valid, no tensors) and whose configs are given."""
    d = os.path.join(OUT, "configs", name)
    for sub in ("llm", "vision_tower", "mm_projector"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
        if weights:
            with open(os.path.join(d, sub, "model.safetensors"), "wb") as f:
                f.write(struct.pack("<Q", 2) + b"{}")
    with open(os.path.join(d, "config.json"), "w") as f:
        f.write(top if isinstance(top, str) else json.dumps(top))
    if llm is not None:
        with open(os.path.join(d, "llm", "config.json"), "w") as f:
            f.write(llm if isinstance(llm, str) else json.dumps(llm))
    cases.append({"name": "configs/" + name, "args": ["inspect", "configs/" + name], "expect": expect})


def blob(dirname, name, content, args, expect, ext):
    path = os.path.join(OUT, dirname, name + ext)
    with open(path, "wb") as f:
        f.write(content)
    cases.append({"name": f"{dirname}/{name}", "args": [a.replace("FILE", f"{dirname}/{name}{ext}") for a in args], "expect": expect})


def pt(name, pickle_bytes, expect, extra=None, compress=False, args=("inspect", "FILE")):
    """A torch.save-shaped ZIP (archive/data.pkl + archive/data/<key> entries) around a crafted pickle."""
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/byteorder", "little")
        for k, v in (extra or {}).items():
            z.writestr("archive/data/" + k, v)
    blob("torch", name, buf.getvalue(), list(args), expect, ".pt")


def tensor_pickle(storage="HalfStorage", key="0", numel=4, offset=0, size=(2, 2), stride=(2, 1), name="w"):
    """The pickle torch.save writes for {"w": tensor}, by hand (protocol 2)."""
    def s(x):
        b = x.encode()
        return b"X" + struct.pack("<I", len(b)) + b
    def i(x):
        return b"J" + struct.pack("<i", x)
    tup = lambda xs: b"(" + b"".join(i(x) for x in xs) + b"t"
    return (b"\x80\x02}(" + s(name) + b"ctorch._utils\n_rebuild_tensor_v2\n(" + b"(" + s("storage") + b"ctorch\n" + storage.encode()
            + b"\n" + s(key) + s("cpu") + i(numel) + b"tQ" + i(offset) + tup(size) + tup(stride) + b"\x89ccollections\nOrderedDict\n)Rtu."
            .replace(b"tu.", b"tRu."))


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    for sub in ("safetensors", "configs", "bundles", "gguf", "golden", "tokenizers", "torch"):
        os.makedirs(os.path.join(OUT, sub))

    # ---- safetensors
    ok = {"w": f32(2)}
    st("empty-file", "", raw=b"", expect="not a safetensors file: 0 bytes")
    st("truncated-length", "", raw=b"\x10\x00\x00", expect="need at least 8 for the header length")
    st("header-past-eof", ok, length=4096, data=bytes(8), expect="runs past the end of the file")
    st("header-huge", ok, length=1 << 40, data=bytes(8), expect="exceeds the limit of 100000000 bytes")
    st("header-max-u64", ok, length=(1 << 64) - 1, data=bytes(8), expect="exceeds the limit")
    st("header-not-json", "this is not json", expect="header is not valid JSON")
    st("header-truncated-json", '{"w": {"dtype": "F32", "sha', expect="header is not valid JSON")
    st("header-array", "[1, 2, 3]", expect="header must be a JSON object")
    st("nested-10000", "[" * 10000 + "]" * 10000, expect="nesting deeper than 64")
    st("non-utf8", b'{"\xff\xfe": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}', expect="header is not valid JSON")
    st("single-quotes", "{'w': 1}", expect="single-quoted strings are not JSON")
    st("nan-in-header", '{"w": {"dtype": "F32", "shape": [NaN], "data_offsets": [0, 0]}}', expect="NaN and Infinity are not JSON")
    st("unknown-dtype", {"w": {"dtype": "F12", "shape": [1], "data_offsets": [0, 2]}}, bytes(2), expect='unknown dtype "F12"')
    st("negative-shape", {"w": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 0]}}, expect="bad shape: dimension -4")
    st("shape-overflow", {"w": {"dtype": "F32", "shape": [1 << 32, 1 << 32], "data_offsets": [0, 0]}}, expect="overflows")
    st("shape-float", {"w": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 0]}}, expect="bad shape")
    st("size-mismatch", {"w": {"dtype": "F16", "shape": [3], "data_offsets": [0, 8]}}, bytes(8), expect="needs 6 bytes but its data_offsets span 8")
    st("offsets-reversed", {"w": {"dtype": "U8", "shape": [0], "data_offsets": [4, 0]}}, bytes(4), expect="are reversed")
    st("offsets-out-of-bounds", {"w": {"dtype": "U8", "shape": [16], "data_offsets": [0, 16]}}, bytes(4), expect="outside the data section of 4 bytes")
    st("offsets-overflow", {"w": {"dtype": "U8", "shape": [0], "data_offsets": [0, (1 << 64) - 1]}}, expect="outside the data section")
    st("overlap", {"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}, "b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}}, bytes(6), expect="overlaps tensor")
    st("gap", {"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}, "b": {"dtype": "U8", "shape": [2], "data_offsets": [4, 6]}}, bytes(6), expect="unused bytes between tensors")
    st("trailing-data", ok, bytes(12), expect="unused bytes at the end")
    st("duplicate-names", '{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, "a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}', bytes(2), expect="tensor 'a' is listed twice")
    st("metadata-not-strings", {"__metadata__": {"n": 1}}, expect="__metadata__ value of \"n\" must be a string")
    st("entry-not-object", {"w": 7}, expect="entry must be an object")
    st("missing-dtype", {"w": {"shape": [0], "data_offsets": [0, 0]}}, expect="missing string field \"dtype\"")
    # Canonically equal but byte-different names: two tensors in safetensors, one String in Swift.
    st("name-twins", '{"\u00e9": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, "e\u0301": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}',
       bytes(2), expect="differ only in Unicode normalization")
    st("offsets-wrong-arity", {"w": {"dtype": "F32", "shape": [0], "data_offsets": [0]}}, expect="must be an array of two integers")

    # sharded index problems
    d = os.path.join(OUT, "safetensors", "shards-missing")
    os.makedirs(d)
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"weight_map": {"w": "model-00001-of-00002.safetensors"}}, f)
    cases.append({"name": "safetensors/shards-missing", "args": ["inspect", "safetensors/shards-missing/model.safetensors.index.json"], "expect": "does not exist"})
    d = os.path.join(OUT, "safetensors", "shards-escape")
    os.makedirs(d)
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"weight_map": {"w": "../../etc/passwd"}}, f)
    d = os.path.join(OUT, "safetensors", "shards-twins")
    os.makedirs(d)
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"weight_map": {"\u00e9": "a.safetensors", "e\u0301": "b.safetensors"}}, f)
    cases.append({"name": "safetensors/shards-twins", "args": ["inspect", "safetensors/shards-twins/model.safetensors.index.json"],
                  "expect": "weight_map tensor names"})
    cases.append({"name": "safetensors/shards-escape", "args": ["inspect", "safetensors/shards-escape/model.safetensors.index.json"], "expect": "must be a file name in the same folder"})

    # ---- configs (VILA folders with empty weight files)
    base_llm = {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                "num_attention_heads": 4, "vocab_size": 512}
    vis = {"model_type": "clip_vision_model", "hidden_size": 32, "num_attention_heads": 2, "image_size": 56, "patch_size": 14,
           "num_hidden_layers": 3, "intermediate_size": 64}
    top = {"model_type": "llava_llama", "vision_tower_cfg": vis, "mm_projector_cfg": {"mm_projector_type": "linear"}}
    checkpoint("config-not-json", "{not json", expect="config.json: invalid JSON")
    checkpoint("heads-not-dividing", top, dict(base_llm, num_attention_heads=5), expect="\"num_attention_heads\" (5) must divide hidden_size (64)")
    checkpoint("gqa-not-integral", top, dict(base_llm, num_key_value_heads=3), expect="\"num_key_value_heads\" (3) must divide num_attention_heads (4)")
    checkpoint("zero-hidden", top, dict(base_llm, hidden_size=0), expect="\"hidden_size\" must be at least 1, found 0")
    checkpoint("wrong-type", top, dict(base_llm, vocab_size="many"), expect="\"vocab_size\" must be an integer, found \"many\"")
    checkpoint("unknown-rope", top, dict(base_llm, rope_scaling={"type": "yarn", "factor": 4}), expect="rope scaling type \"yarn\"")
    checkpoint("unknown-projector", dict(top, mm_projector_cfg={"mm_projector_type": "qformer"}), base_llm, expect="\"qformer\" is not supported")
    checkpoint("select-layer-out-of-range", dict(top, mm_vision_select_layer=-9), base_llm, expect="is outside the 4 hidden states of a 3-layer vision tower")
    checkpoint("unknown-vision", dict(top, vision_tower_cfg={"model_type": "radio"}), base_llm, expect="\"radio\" is not supported")
    checkpoint("intern-layer-norm", dict(top, vision_tower_cfg={"model_type": "intern_vit_6b", "norm_type": "layer_norm"}), base_llm,
               expect="\"layer_norm\" is not supported: VILA's InternViT (modeling_intern_vit.py) normalizes with RMSNorm only")
    checkpoint("image-encoder-unknown", dict(top, image_encoder='{"_target_": "llava.model.encoders.TSPImageEncoder"}'), base_llm,
               expect="image_encoder \"llava.model.encoders.TSPImageEncoder\" is not supported")
    checkpoint("image-encoder-not-json", dict(top, image_encoder="{_target_: basic"), base_llm,
               expect="\"image_encoder\" is a string that is not JSON")
    checkpoint("absurd-layers", top, dict(base_llm, num_hidden_layers=1000000000), expect="1000000000 layers but the checkpoint holds only 0 tensors")
    checkpoint("missing-tensors", top, base_llm, expect="missing: 'vision_model.embeddings.patch_embedding.weight'")
    checkpoint("missing-projector-type", dict(top, mm_projector_cfg={"model_type": "v2l_projector"}), base_llm,
               expect="missing key \"mm_projector_type\"")
    checkpoint("vocab-mismatch", top, base_llm, expect="has shape [100, 64], expected [512, 64]")
    # Fields that change the computation are read or refused, never ignored (issue 13).
    checkpoint("rope-llama3-missing-factor", top, dict(base_llm, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                                                          "high_freq_factor": 4.0}),
               expect="missing key \"rope_scaling.original_max_position_embeddings\"")
    checkpoint("aspect-dynamic-s2", dict(top, image_aspect_ratio="dynamic_s2", s2_scales="448,896,1344"), base_llm,
               expect="\"dynamic_s2\" must be true when image_aspect_ratio is \"dynamic_s2\"")
    checkpoint("aspect-dynamic", dict(top, image_aspect_ratio="dynamic", max_tiles=0), base_llm,
               expect="min_tiles (1) and max_tiles (0) must satisfy 1 ≤ min_tiles ≤ max_tiles ≤ 64")
    checkpoint("s2-multiscale", dict(top, s2=True, s2_scales="384,768", mm_hidden_size=96), base_llm,
               expect="\"s2_scales\" \"384,768\" must be multiples of s2_max_split_size 56")
    checkpoint("im-start-end", dict(top, mm_use_im_start_end=True), base_llm, expect="\"mm_use_im_start_end\": true")
    checkpoint("mm-hidden-size-mismatch", dict(top, mm_hidden_size=96), base_llm,
               expect="\"mm_hidden_size\" is 96 but the vision tower gives 32-wide features")
    header = json.dumps({"model.embed_tokens.weight": {"dtype": "F16", "shape": [100, 64], "data_offsets": [0, 12800]}}).encode()
    with open(os.path.join(OUT, "configs", "vocab-mismatch", "llm", "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + bytes(12800))
    os.makedirs(os.path.join(OUT, "configs", "missing-subfolder", "llm"))
    with open(os.path.join(OUT, "configs", "missing-subfolder", "llm", "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 2) + b"{}")
    cases.append({"name": "configs/missing-subfolder", "args": ["inspect", "configs/missing-subfolder"], "expect": "VILA checkpoint is missing its vision_tower/ folder"})

    # ---- bundles (header-level damage)
    hdr = bytearray(128)
    hdr[0:8] = b"VLMKBNDL"
    struct.pack_into("<IIQQQI", hdr, 8, 1, 0, 128, 0, 128, 64)
    # torch.save files: the reader runs no pickle code and refuses what a state dict does not need.
    pt("global-os-system", b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.", "names the global os.system")
    pt("stack-global-eval", b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x041+1\x85R.", "names the global builtins.eval")
    pt("inst-opcode", b"\x80\x02(ios\nsystem\n.", "opcode 0x69")
    pt("huge-long", b"\x80\x02\x8a\x40" + b"\x01" * 64 + b".", "64-byte integer")
    pt("not-a-dict", b"\x80\x02]q\x00.", "holds no dict of tensors")
    pt("storage-missing", tensor_pickle(), "refers to storage 0, which the archive does not hold")
    pt("storage-short", tensor_pickle(numel=4), "should hold 4 × 2 bytes but its entry has 6", extra={"0": b"\x00" * 6})
    pt("past-storage", tensor_pickle(numel=4, offset=2), "runs past its storage of 4", extra={"0": b"\x00" * 8})
    pt("transposed", tensor_pickle(stride=(1, 2)), "is not contiguous", extra={"0": b"\x00" * 8})
    pt("bad-storage-type", tensor_pickle(storage="ComplexFloatStorage"), "names the global torch.ComplexFloatStorage", extra={"0": b"\x00" * 8})
    pt("compressed", tensor_pickle(), "is compressed (method 8)", extra={"0": b"\x00" * 8}, compress=True)
    pt("truncated-pickle", tensor_pickle()[:40], "ends inside an opcode's argument", extra={"0": b"\x00" * 8})
    # ... and `vlmkit import` reads llm-awq .pt files with the same reader, then checks the packing.
    imp = ("import", "@model", "--weights", "FILE", "--group-size=128", "--output", "torch/never-written")
    pt("import-global-os-system", b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.", "names the global os.system", args=imp)
    pt("import-f16-qweight", tensor_pickle(name="model.layers.0.self_attn.q_proj.qweight"),
       "llm-awq stores a 2-D i16 qweight", extra={"0": b"\x00" * 8}, args=imp)
    pt("import-no-scales", tensor_pickle(storage="ShortStorage", numel=512, size=(4, 128), stride=(128, 1),
                                         name="model.layers.0.self_attn.q_proj.qweight"),
       "has no model.layers.0.self_attn.q_proj.scales", extra={"0": b"\x00" * 1024}, args=imp)
    blob("torch", "legacy", b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19.", ["inspect", "FILE"], "legacy torch.save file", ".pt")
    blob("torch", "no-central-directory", b"PK\x03\x04" + b"\x00" * 40, ["inspect", "FILE"], "no ZIP end-of-central-directory record", ".pt")

    blob("bundles", "truncated", bytes(hdr[:100]), ["verify-bundle", "FILE"], "shorter than the 128-byte header", ".vlmb")
    bad = bytearray(hdr); bad[0:8] = b"NOTABNDL"
    blob("bundles", "bad-magic", bytes(bad), ["verify-bundle", "FILE"], "not a VLMKit bundle (bad magic)", ".vlmb")
    fut = bytearray(hdr); struct.pack_into("<I", fut, 8, 99)
    blob("bundles", "future-version", bytes(fut), ["verify-bundle", "FILE"], "bundle format version 99 is not supported", ".vlmb")
    lie = bytearray(hdr); struct.pack_into("<Q", lie, 32, 1 << 40)
    blob("bundles", "length-lie", bytes(lie), ["verify-bundle", "FILE"], "header records 1099511627776 bytes but the file has 128", ".vlmb")
    mf = bytearray(hdr); struct.pack_into("<QQ", mf, 16, 128, 1 << 50)
    blob("bundles", "manifest-out-of-range", bytes(mf), ["verify-bundle", "FILE"], "lies outside the file", ".vlmb")
    cs = bytearray(hdr) + b"{}"; struct.pack_into("<QQQ", cs, 16, 128, 2, 130)
    blob("bundles", "manifest-checksum", bytes(cs), ["verify-bundle", "FILE"], "manifest checksum mismatch", ".vlmb")

    def header_with(**fields):
        h = bytearray(hdr) + b"{}" + bytes(62)
        struct.pack_into("<QQQ", h, 16, 128, 2, len(h))
        h[48:80] = hashlib.sha256(b"{}").digest()
        for offset, value in fields.items():
            h[int(offset[1:])] = value
        return bytes(h)
    blob("bundles", "reserved-bytes", header_with(o100=7), ["verify-bundle", "FILE"], "reserved bytes 80…127 are not zero", ".vlmb")
    blob("bundles", "unknown-flags", header_with(o12=0x84), ["verify-bundle", "FILE"], "unknown flag bits 0x84 are set", ".vlmb")
    unaligned = bytearray(hdr) + bytes(8) + b"{}"
    struct.pack_into("<QQQ", unaligned, 16, 136, 2, len(unaligned))
    unaligned[48:80] = hashlib.sha256(b"{}").digest()
    blob("bundles", "manifest-unaligned", bytes(unaligned), ["verify-bundle", "FILE"], "manifest offset 136 is not a multiple of the alignment 64", ".vlmb")

    # ---- tokenizer files in an otherwise good model (weights are links to golden/models/vila-clip-linear-f16)
    good = os.path.join(ROOT, "golden", "models", "vila-clip-linear-f16")
    def tokenizer_case(name, edit, expect, spm=None):
        d = os.path.join(OUT, "tokenizers", name)
        for sub in ("", "llm", "vision_tower", "mm_projector"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
            for f in os.listdir(os.path.join(good, sub)):
                src = os.path.join(good, sub, f)
                if os.path.isdir(src):
                    continue
                dst = os.path.join(d, sub, f)
                if f.endswith(".safetensors"):
                    os.symlink(os.path.relpath(src, os.path.dirname(dst)), dst)
                elif f != "tokenizer.json":
                    shutil.copy(src, dst)
        if spm is not None:
            with open(os.path.join(d, "llm", "tokenizer.model"), "wb") as f:
                f.write(spm)
        else:
            t = json.load(open(os.path.join(good, "llm", "tokenizer.json"), encoding="utf-8"))
            edit(t)
            with open(os.path.join(d, "llm", "tokenizer.json"), "w", encoding="utf-8") as f:
                json.dump(t, f, ensure_ascii=False)
        cases.append({"name": "tokenizers/" + name, "args": ["tokenize", "tokenizers/" + name, "--text=hello"], "expect": expect})
    def vocab_array(t): t["model"]["vocab"] = [[k, v] for k, v in t["model"]["vocab"].items()]
    def merge_unknown(t): t["model"]["merges"].append("qqqz a")
    def id_huge(t): t["model"]["vocab"]["zzq"] = 1 << 31
    def bert_post(t): t["post_processor"] = {"type": "BertProcessing", "sep": ["</s>", 2], "cls": ["<s>", 1]}
    tokenizer_case("vocab-array", vocab_array, "model.vocab is an array")
    tokenizer_case("merge-unknown-token", merge_unknown, "names \"qqqz\", which is not in the vocabulary")
    tokenizer_case("id-beyond-2-31", id_huge, "has id 2147483648, outside 0..<2^31")
    tokenizer_case("post-processor-bert", bert_post, "post_processor type \"BertProcessing\" is not supported")
    real = open(os.path.join(ROOT, "golden", "tokenizer", "real", "llama2", "tokenizer.model"), "rb").read()
    assert real[0] == 0x0A
    tokenizer_case("spm-piece-wire-type", None, "pieces (field 1) has wire type 5, expected 2", spm=b"\x0d" + real[1:])

    # ---- golden files
    def golden_file(name, meta, expect):
        header = json.dumps({"__metadata__": meta, "input.token_ids": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}).encode()
        body = struct.pack("<Q", len(header)) + header + struct.pack("<q", 1)
        path = os.path.join(OUT, "golden", name + ".safetensors")
        with open(path, "wb") as f:
            f.write(body)
        cases.append({"name": "golden/" + name, "args": ["verify", "@model", "--golden", "golden/" + name + ".safetensors"], "expect": expect})
    golden_file("not-golden", {"format": "pt"}, "not a golden file")
    golden_file("future-version", {"format": "vlmkit-golden", "version": "7"}, "golden format version \"7\" is not supported")
    golden_file("no-logits", {"format": "vlmkit-golden", "version": "1"}, "missing tensor 'expected.logits'")

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"note": "written by scripts/make_bad_corpus.py; each case: exit 2, one stderr line containing 'expect'",
                   "cases": cases}, f, indent=1, ensure_ascii=False)
    print(f"{len(cases)} cases in {OUT}")


main()
