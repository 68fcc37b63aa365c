#!/usr/bin/env python3
"""Already-quantized checkpoints for `vlmkit import`, packed by the tools' own code, and what PyTorch computes
on the tools' dequantized weights. Never made by VLMKit.

Each case takes a tiny VILA checkpoint of golden/models/, packs every decoder Linear of its LLM with a real
packer and writes golden/imported/<case>/ (top config, vision_tower/ and mm_projector/ copied; llm/ holding the
packed weights, the LLM config with the tool's quantization_config, the tokenizer):
  autoawq-llama-g128     AutoAWQ 0.2.9 WQLinear_GEMM.from_linear (golden/autoawq_pack.py loads it by path);
                         reference weights: AutoAWQ's dequantize_gemm with the scales in float32
  gptq-qwen2-g32         AutoGPTQ 0.7.1 QuantLinear.pack, v1 zeros (z - 1), Qwen2 with q/k/v biases;
                         reference: the same QuantLinear's forward on an identity input, in float32
  gptq-v2-actorder-g128  AutoGPTQ's pack (qlinear_cuda, which follows g_idx) with act-order groups (g_idx from a permutation, as desc_act gives),
                         zeros converted to v2 (+0x11111111, GPTQModel's conversion); VLMKit re-rounds these
  llm-awq-llama-g128     llm-awq's WQLinear.from_linear transcription (golden/llm_awq_pack.py, commit cited
                         there), saved with torch.save as llm/tiny-w4-g128-awq-v2.pt (no llm safetensors);
                         reference: q * s + scaled_zero in float32
and golden/imported/<case>.golden.safetensors: a 96-token prompt's logits and 6 greedy tokens of the LLM run by
transformers in float32 on the reference weights (formats/golden.md).

Regenerate: python golden/imported_models.py (with golden/requirements.txt and requirements-packers.txt).
"""
import json
import os
import shutil

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM

import autoawq_pack
import gptq_pack
import llm_awq_pack
from generate import GENERATOR, greedy

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ROOT, "imported")
LINEARS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
           "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]


_packers = {}


def packer(name, load):
    """Each tool's module loaded once (loading registers it in sys.modules)."""
    if name not in _packers:
        _packers[name] = load()
    return _packers[name]


def awq_fake_quantized(w, group):
    """The weight as both AWQ tools hand it to from_linear: replaced by its pseudo-quantization first
    ((clamp(round(w / s) + z, 0, 15) - z) * s in the weight's dtype: AutoAWQ AwqQuantizer._apply_quant, llm-awq
    real_quantize_model_weight), with the scales and zeros."""
    scales, zeros = autoawq_pack.pseudo_quantize(w, group)
    n, k = w.shape
    x = w.reshape(n, k // group, group)
    s, z = scales.to(w.dtype)[..., None], zeros.to(w.dtype)[..., None]
    fake = ((torch.clamp(torch.round(x / s) + z, 0, 15) - z) * s).reshape(n, k)
    return fake, scales, zeros


def pack_autoawq(w, group):
    WQLinear_GEMM, dequantize_gemm = packer("autoawq", autoawq_pack.load_autoawq)
    w, scales, zeros = awq_fake_quantized(w, group)
    lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=False).half()
    with torch.no_grad():
        lin.weight.copy_(w)
    q = WQLinear_GEMM.from_linear(lin, 4, group, scales=scales.t().contiguous(), zeros=zeros.t().contiguous())
    ref = dequantize_gemm(q.qweight, q.qzeros, q.scales.float(), 4, group).t()  # [N, K] float32
    return {"qweight": q.qweight, "qzeros": q.qzeros, "scales": q.scales}, ref


def pack_gptq(w, group, perm=None, v2=False):
    # AutoGPTQ's qlinear_cuda_old packs consecutive groups whatever g_idx says; qlinear_cuda follows g_idx.
    module = "qlinear_cuda" if perm is not None else "qlinear_cuda_old"
    QuantLinear = packer(module, lambda: gptq_pack.load_quant_linear(module))
    n, k = w.shape
    lin = torch.nn.Linear(k, n, bias=False).half()
    with torch.no_grad():
        lin.weight.copy_(w)
    # Act-order: GPTQ quantizes the inputs in `perm` order, so group i holds inputs perm[i*G:(i+1)*G].
    order = perm if perm is not None else torch.arange(k)
    scale, zero = gptq_pack.find_params(w[:, order], group)
    assert int(zero.min()) >= 1, "GPTQ v1 cannot store z = 0 (z - 1 wraps): draw other weights"
    g_idx = torch.empty(k, dtype=torch.int32)
    g_idx[order] = torch.arange(k, dtype=torch.int32) // group
    q = QuantLinear(4, group, k, n, False, weight_dtype=torch.float16)
    q.pack(lin, scale.half(), zero.half(), g_idx)
    with torch.no_grad():
        q.scales = q.scales.float()
        ref = q(torch.eye(k, dtype=torch.float32)).t()  # row k of the forward on eye is input k's weights
    tensors = {"qweight": q.qweight, "qzeros": q.qzeros, "scales": q.scales.half(), "g_idx": q.g_idx}
    if v2:
        tensors["qzeros"] = q.qzeros.view(torch.int32) + 0x11111111
    return tensors, ref.contiguous()


def pack_llm_awq(w, group):
    w, scales, zeros = awq_fake_quantized(w, group)
    qweight, qscales, qzeros, intweight = llm_awq_pack.from_linear(w, group, scales, zeros)
    assert 0 <= int(intweight.min()) and int(intweight.max()) <= 15
    groups = w.shape[1] // group
    rep = lambda t: t.repeat_interleave(group, dim=1)
    ref = intweight.float() * rep(qscales[:groups].t().float()) + rep(qzeros[:groups].t().float())
    return {"qweight": qweight, "scales": qscales, "scaled_zeros": qzeros}, ref


def build(case, source, pack, quant_config, prompt_seed, pt_name=None):
    src = os.path.join(ROOT, "models", source)
    out = os.path.join(OUT, case)
    shutil.rmtree(out, ignore_errors=True)
    for sub in ["vision_tower", "mm_projector"]:
        shutil.copytree(os.path.join(src, sub), os.path.join(out, sub))
    shutil.copy(os.path.join(src, "config.json"), out)
    os.makedirs(os.path.join(out, "llm"))
    for name in os.listdir(os.path.join(src, "llm")):
        if not name.endswith(".safetensors") and name != "config.json":
            shutil.copy(os.path.join(src, "llm", name), os.path.join(out, "llm"))
    cfg = json.load(open(os.path.join(src, "llm", "config.json")))
    if quant_config:
        cfg["quantization_config"] = quant_config
    with open(os.path.join(out, "llm", "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)

    stored = load_file(os.path.join(src, "llm", "model.safetensors"))
    model = AutoModelForCausalLM.from_pretrained(os.path.join(src, "llm"), dtype=torch.float32)
    params = dict(model.named_parameters())
    tensors = {}
    for name, t in stored.items():
        prefix = name[: -len(".weight")]
        if name.endswith(".weight") and any(prefix.endswith(l) for l in LINEARS):
            packed, ref = pack(prefix, t)
            tensors.update({f"{prefix}.{k}": v.contiguous() for k, v in packed.items()})
            with torch.no_grad():
                params[name].copy_(ref)
        else:
            tensors[name] = t
    if pt_name:
        torch.save(tensors, os.path.join(out, "llm", pt_name))
    else:
        save_file(tensors, os.path.join(out, "llm", "model.safetensors"), metadata={"format": "pt"})

    g = torch.Generator().manual_seed(prompt_seed)
    prompt = [1] + torch.randint(3, 479, (95,), generator=g).tolist()
    with torch.no_grad():
        embeds = model.get_input_embeddings()(torch.tensor(prompt))
        golden = {"input.token_ids": torch.tensor(prompt, dtype=torch.int64),
                  "expected.logits": model(inputs_embeds=embeds[None]).logits[0],
                  "expected.generated_ids": torch.tensor(greedy(model, embeds, 6), dtype=torch.int64)}
    meta = {"format": "vlmkit-golden", "version": "1", "generator": GENERATOR + ", golden/imported_models.py",
            "model": f"imported/{case}", "note": f"transformers on the packer's dequantized weights ({case})",
            "regenerate": "python golden/imported_models.py"}
    save_file({k: v.detach().contiguous() for k, v in golden.items()}, os.path.join(OUT, case + ".golden.safetensors"), metadata=meta)
    print(f"wrote {out} and its golden")


def main():
    torch.manual_seed(0)
    build("autoawq-llama-g128", "vila-llama-outliers-f16", lambda p, w: pack_autoawq(w, 128),
          {"quant_method": "awq", "version": "gemm", "bits": 4, "group_size": 128, "zero_point": True}, 201)
    build("gptq-qwen2-g32", "vila-siglip-qwen2-f16", lambda p, w: pack_gptq(w, 32),
          {"quant_method": "gptq", "bits": 4, "group_size": 32, "desc_act": False, "sym": False,
           "checkpoint_format": "gptq"}, 202)
    perms = torch.Generator().manual_seed(203)
    build("gptq-v2-actorder-g128", "vila-llama-outliers-f16",
          lambda p, w: pack_gptq(w, 128, perm=torch.randperm(w.shape[1], generator=perms), v2=True),
          {"quant_method": "gptq", "bits": 4, "group_size": 128, "desc_act": True, "sym": False,
           "checkpoint_format": "gptq_v2"}, 204)
    build("llm-awq-llama-g128", "vila-llama-outliers-f16", lambda p, w: pack_llm_awq(w, 128), None, 205,
          pt_name="tiny-w4-g128-awq-v2.pt")


if __name__ == "__main__":
    main()
