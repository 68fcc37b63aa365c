#!/usr/bin/env python3
"""Interop check of VLMKit's GGUF export, run outside CI (needs Python packages from PyPI):

    .venv-golden/bin/pip install -r golden/requirements.txt llama-cpp-python
    .venv-golden/bin/python scripts/check_gguf.py [path/to/vlmkit]

For each golden text-only case and each --type, exports the language model with vlmkit, reads the file
back with gguf-py (metadata and tensor table), and — when llama_cpp is importable — evaluates the golden
prompt with llama.cpp, comparing its logits and greedy tokens with the ones PyTorch computed.
Prints one line per (case, type) and exits 1 if any check fails.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from safetensors.numpy import load_file
import gguf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VLMKIT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "vlmkit")
# Largest max |Δlogit| / max |logit| accepted per case and type; None = report only. The outlier model
# (activations ×25 in a few channels) is a stress test: llama.cpp rounds activations to f16 in f16/q8_0/q4_0
# matmuls, so only its f32 export is held to a tolerance.
CASES = [("vila-clip-linear-f16", "vila-clip-linear-f16.text-only", {"f32": 1e-4, "f16": 5e-3, "q8_0": 0.1, "q4_0": None}),
         ("vila-llama-outliers-f16", "vila-llama-outliers-f16.text", {"f32": 1e-4, "f16": None, "q8_0": None, "q4_0": None}),
         # Qwen2 (llama.cpp's qwen2 architecture: q/k/v biases, rotate-half rotary, no BOS).
         ("vila-siglip-qwen2-f16", "vila-siglip-qwen2-f16.text-only", {"f32": 1e-4, "f16": 5e-3, "q8_0": 0.1, "q4_0": None}),
         # Llama with attention_bias and mlp_bias (llama.cpp's optional llama biases; q/k biases permuted like rows).
         ("vila-llama-biases-f16", "vila-llama-biases-f16.text-only", {"f32": 1e-4, "f16": 5e-3, "q8_0": 0.1, "q4_0": None})]
ARCH = {"vila-siglip-qwen2-f16": "qwen2"}

try:
    import llama_cpp
except ImportError:
    llama_cpp = None

failures = 0
with tempfile.TemporaryDirectory() as tmp:
    for model, case, TOLERANCE in CASES:
        golden = load_file(os.path.join(ROOT, "golden", "cases", case + ".golden.safetensors"))
        ids = [int(t) for t in golden["input.token_ids"]]
        expected = golden["expected.logits"]
        want_gen = [int(t) for t in golden["expected.generated_ids"]]
        for qtype in TOLERANCE:
            out = os.path.join(tmp, f"{model}-{qtype}.gguf")
            subprocess.run([VLMKIT, "export", os.path.join(ROOT, "golden", "models", model), "--format", "gguf",
                            "--type", qtype, "-o", out], check=True, capture_output=True)
            reader = gguf.GGUFReader(out)
            arch = reader.fields["general.architecture"].contents()
            names = {t.name for t in reader.tensors}
            ok = arch == ARCH.get(model, "llama") and "token_embd.weight" in names and "blk.0.attn_q.weight" in names
            if arch == "qwen2":
                ok = ok and "blk.0.attn_q.bias" in names and "blk.0.attn_output.bias" not in names
            if model == "vila-llama-biases-f16":
                ok = ok and all(f"blk.1.{t}.bias" in names for t in ("attn_q", "attn_k", "attn_v", "attn_output",
                                                                      "ffn_gate", "ffn_up", "ffn_down"))
            line = f"{model:26s} {qtype:5s} gguf-py: {'ok' if ok else 'FAIL'} ({len(names)} tensors)"
            if llama_cpp is not None:
                # f32 KV cache: llama.cpp defaults to f16, which alone moves logits by ~1e-3 (more with outliers)
                llm = llama_cpp.Llama(model_path=out, n_ctx=256, logits_all=True, verbose=False, n_threads=2, n_batch=256,
                                      type_k=0, type_v=0)
                llm.eval(ids)
                got = np.array(llm.scores[:len(ids)], dtype=np.float32)
                rel = float(np.abs(got - expected).max() / np.abs(expected).max())
                top1 = float((got.argmax(-1) == expected.argmax(-1)).mean())
                gen = []
                for _ in range(len(want_gen)):
                    nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
                    gen.append(nxt)
                    llm.eval([nxt])
                same = gen == want_gen
                tol = TOLERANCE[qtype]
                ok = ok and (tol is None or (rel <= tol and (same or qtype != "f32")))
                line += f" | llama.cpp: max rel logit err {rel:.2e}, top-1 {top1:.3f}, greedy {'same' if same else 'differs'}"
            print(line + ("" if ok else "  <-- FAIL"))
            failures += 0 if ok else 1
# Tokenization: llama.cpp with the exported vocabulary against the reference tokenizer library.
TEXTS = ["What is in this image?", "Über café 東京 😀 and 12345", "  two  spaces\tand tab\n", "def f(x):\n    return x*2",
         "USER: <image> Describe it. ASSISTANT:", "ünïcödé ★ ✓ → ∑ 中文测试"]
if llama_cpp is not None:
    import shutil
    with tempfile.TemporaryDirectory() as tmp:
        # A Llama-2-style tokenizer.json without tokenizer.model (as LLaVA-HF and many fine-tunes ship it):
        # the SentencePiece model's own tokenizer.json (golden/tokenizer/llama2-legacy) in its place.
        swapped = os.path.join(tmp, "llama2-tokenizer-json-only")
        shutil.copytree(os.path.join(ROOT, "golden", "models", "vila-siglip-downsample-f32"), swapped)
        os.remove(os.path.join(swapped, "llm", "tokenizer.model"))
        shutil.copy(os.path.join(ROOT, "golden", "tokenizer", "llama2-legacy", "tokenizer.json"), os.path.join(swapped, "llm"))
        for model, kind in [("vila-clip-linear-f16", "byte-level BPE"), ("vila-siglip-downsample-f32", "SentencePiece"),
                            ("vila-siglip-qwen2-f16", "byte-level BPE, Qwen2 split"),
                            (swapped, "BPE with byte fallback, tokenizer.json only")]:
            out = os.path.join(tmp, os.path.basename(model) + ".gguf")
            path = model if os.path.isabs(model) else os.path.join(ROOT, "golden", "models", model)
            subprocess.run([VLMKIT, "export", path, "--format", "gguf", "--type", "f16", "-o", out], check=True, capture_output=True)
            llm = llama_cpp.Llama(model_path=out, n_ctx=64, verbose=False)
            folder = os.path.join(path, "llm")
            model = os.path.basename(model)
            if kind == "SentencePiece":
                import sentencepiece as spm
                sp = spm.SentencePieceProcessor(model_file=os.path.join(folder, "tokenizer.model"))
                reference = sp.encode
            else:
                from tokenizers import Tokenizer
                tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
                reference = lambda t: tok.encode(t, add_special_tokens=False).ids
            same = sum(llm.tokenize(t.encode(), add_bos=False, special=False) == reference(t) for t in TEXTS)
            ok = same == len(TEXTS)
            print(f"{model:26s} {kind}: llama.cpp tokenization identical on {same}/{len(TEXTS)} texts" + ("" if ok else "  <-- FAIL"))
            failures += 0 if ok else 1
if llama_cpp is None:
    print("llama_cpp not installed: only the gguf-py checks ran")
sys.exit(1 if failures else 0)
