#!/usr/bin/env python3
"""Interop check of `vlmkit export --format autoawq` (run outside CI; needs golden/requirements*.txt):

    vlmkit quantize golden/models/vila-llama-outliers-f16 --scheme int4 -o /tmp/q
    vlmkit export /tmp/q --format autoawq -o /tmp/awq
    python golden/check_autoawq_export.py /tmp/awq /tmp/awq.golden.safetensors
    vlmkit verify /tmp/q --golden /tmp/awq.golden.safetensors --exact

This reads the exported llm/ the way an AutoAWQ consumer does — quantization_config from config.json, every
Linear's qweight/qzeros/scales unpacked by AutoAWQ's own dequantize_gemm (golden/autoawq_pack.py loads it) —
builds the transformers model on those weights in float32, and writes its logits and greedy tokens for a
prompt as a golden file. `vlmkit verify` of the quantized folder against it passes at float32 tolerances
when the export holds exactly the model VLMKit runs.
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoConfig, AutoModelForCausalLM

import autoawq_pack
from generate import greedy


def main(folder, out):
    llm = os.path.join(folder, "llm") if os.path.isdir(os.path.join(folder, "llm")) else folder
    cfg = json.load(open(os.path.join(llm, "config.json")))
    qc = cfg.pop("quantization_config")
    assert qc["quant_method"] == "awq" and qc["version"] == "gemm" and qc["bits"] == 4 and qc["zero_point"], qc
    group = qc["group_size"]
    config = AutoConfig.for_model(**cfg)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    _, dequantize_gemm = autoawq_pack.load_autoawq()
    stored = load_file(os.path.join(llm, "model.safetensors"))
    state = {}
    for name, t in stored.items():
        if name.endswith(".qweight"):
            p = name[: -len(".qweight")]
            state[p + ".weight"] = dequantize_gemm(t, stored[p + ".qzeros"], stored[p + ".scales"].float(), 4, group).t()
        elif not name.endswith((".qzeros", ".scales")):
            state[name] = t.float()
    if config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(m == "lm_head.weight" for m in missing), (missing, unexpected)
    g = torch.Generator().manual_seed(7)
    prompt = [1] + torch.randint(3, 479, (63,), generator=g).tolist()
    with torch.no_grad():
        embeds = model.get_input_embeddings()(torch.tensor(prompt))
        golden = {"input.token_ids": torch.tensor(prompt, dtype=torch.int64),
                  "expected.logits": model(inputs_embeds=embeds[None]).logits[0],
                  "expected.generated_ids": torch.tensor(greedy(model, embeds, 6), dtype=torch.int64)}
    save_file({k: v.contiguous() for k, v in golden.items()}, out,
              metadata={"format": "vlmkit-golden", "version": "1", "generator": "golden/check_autoawq_export.py (AutoAWQ dequantize_gemm)",
                        "model": folder, "regenerate": "see the script's docstring"})
    print(f"wrote {out}: {len(stored)} tensors read with AutoAWQ's dequantization, group size {group}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
