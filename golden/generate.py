#!/usr/bin/env python3
"""Builds VLMKit's golden fixtures with PyTorch and transformers (never with VLMKit itself).

Run from the repository root:
    python3 -m venv .venv-golden && .venv-golden/bin/pip install -r golden/requirements.txt
    .venv-golden/bin/python golden/generate.py

Writes, under golden/:
  models/<name>/          tiny seeded VILA-style checkpoints in the VILA 1.5 and LLaVA-HF layouts
  interop/python-written.safetensors   a file written by the `safetensors` package (read by Swift tests)
Everything is deterministic for a given requirements.txt.
"""
import json
import os
import shutil
import sys

import torch
import transformers
import safetensors
from safetensors.torch import save_file
from transformers import (CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel, LlamaConfig,
                          LlamaForCausalLM, LlavaConfig, LlavaForConditionalGeneration,
                          SiglipImageProcessor, SiglipVisionConfig, SiglipVisionModel)

ROOT = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(ROOT, "models")
DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
GENERATOR = f"golden/generate.py (torch {torch.__version__}, transformers {transformers.__version__}, safetensors {safetensors.__version__})"


# ---------------------------------------------------------------- weights
def reinit(module: torch.nn.Module, seed: int) -> None:
    """Replaces transformers' tiny init (std 0.02) with weights that give logits a real spread,
    so that golden comparisons (top-1, KL) discriminate."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(module.named_parameters()):
            if p.dim() == 1 and ("norm" in name or "layrnorm" in name) and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.05 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel() if p.dim() > 1 else p.numel()
                p.copy_(torch.randn(p.shape, generator=g) / (fan_in ** 0.5))


def llama_config(*, kv_heads=4, rope=None, tied=False, vocab=512):
    kw = dict(vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=kv_heads, max_position_embeddings=256,
              rms_norm_eps=1e-5, tie_word_embeddings=tied, bos_token_id=1, eos_token_id=2)
    if rope is not None:
        kw["rope_scaling"] = rope
    return LlamaConfig(**kw)


def clip_config():
    return CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=2,
                            image_size=56, patch_size=14, hidden_act="quick_gelu", layer_norm_eps=1e-5)


def siglip_config():
    # 70 / 14 = a 5×5 grid: odd, so mlp_downsample pads it to 6×6 → 9 tokens.
    return SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=2,
                              image_size=70, patch_size=14, layer_norm_eps=1e-6)


LLAMA3_ROPE = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
               "original_max_position_embeddings": 64, "rope_theta": 50000.0}


# ---------------------------------------------------------------- projectors (VILA semantics)
def vila_projector(kind: str, dv: int, d: int, seed: int) -> torch.nn.Module:
    """The parameter layout of VILA's MultimodalProjector (`layers` = nn.Linear or nn.Sequential)."""
    torch.manual_seed(seed)
    if kind == "linear":
        layers = torch.nn.Linear(dv, d)
    elif kind == "mlp2x_gelu":
        layers = torch.nn.Sequential(torch.nn.Linear(dv, d), torch.nn.GELU(), torch.nn.Linear(d, d))
    elif kind == "mlp_downsample":
        # layers.0 is DownSampleBlock (no parameters).
        layers = torch.nn.Sequential(torch.nn.Identity(), torch.nn.LayerNorm(4 * dv), torch.nn.Linear(4 * dv, d),
                                     torch.nn.GELU(), torch.nn.Linear(d, d))
    else:
        raise ValueError(kind)
    m = torch.nn.Module()
    m.layers = layers
    reinit(m, seed)
    return m


# ---------------------------------------------------------------- writing helpers
def to_dtype_state(module: torch.nn.Module, dtype) -> dict:
    return {k: v.detach().to(dtype).contiguous() for k, v in module.state_dict().items()}


def write_weights(folder: str, tensors: dict, shards: int = 1) -> None:
    """model.safetensors, or model-0000i-of-0000n.safetensors + model.safetensors.index.json as
    transformers' save_pretrained writes them."""
    os.makedirs(folder, exist_ok=True)
    names = sorted(tensors)
    meta = {"format": "pt"}
    if shards == 1:
        save_file({k: tensors[k] for k in names}, os.path.join(folder, "model.safetensors"), metadata=meta)
        return
    weight_map, total = {}, 0
    per = (len(names) + shards - 1) // shards
    for i in range(shards):
        part = names[i * per:(i + 1) * per]
        fname = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        save_file({k: tensors[k] for k in part}, os.path.join(folder, fname), metadata=meta)
        for k in part:
            weight_map[k] = fname
            total += tensors[k].numel() * tensors[k].element_size()
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)


def write_json(path: str, obj: dict) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def as_v4_config(cfg: dict) -> dict:
    """Rewrites a transformers 5.x config dict in the 4.x spelling (rope_theta/rope_scaling,
    torch_dtype), as checkpoints saved by older transformers carry it."""
    cfg = dict(cfg)
    if "dtype" in cfg:
        cfg["torch_dtype"] = cfg.pop("dtype")
    rp = cfg.pop("rope_parameters", None)
    if rp is not None:
        rp = dict(rp)
        cfg["rope_theta"] = rp.pop("rope_theta", 10000.0)
        rtype = rp.pop("rope_type", "default")
        cfg["rope_scaling"] = None if rtype == "default" else {"rope_type": rtype, **rp}
    for key in ("text_config", "llm_cfg"):
        if isinstance(cfg.get(key), dict):
            cfg[key] = as_v4_config(cfg[key])
    return cfg


def config_dict(cfg, dtype_name: str) -> dict:
    d = cfg.to_dict()
    d["dtype"] = {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}[dtype_name]
    d["transformers_version"] = transformers.__version__
    return d


def preprocessor(vision_cfg):
    size = vision_cfg.image_size
    if isinstance(vision_cfg, SiglipVisionConfig):
        return SiglipImageProcessor(size={"height": size, "width": size})
    return CLIPImageProcessor(size={"shortest_edge": size}, crop_size={"height": size, "width": size})


# ---------------------------------------------------------------- layouts
def build_vila(name, *, vision_kind, projector, dtype, llm_cfg, select_feature, shards=1,
               config_style="v5", vision_prefix="", subfolder_configs=True, seed=0):
    out = os.path.join(MODELS, name)
    shutil.rmtree(out, ignore_errors=True)
    torch.manual_seed(seed)
    llm = LlamaForCausalLM(llm_cfg)
    reinit(llm, seed + 1)
    vcfg = clip_config() if vision_kind == "clip" else siglip_config()
    vision = CLIPVisionModel(vcfg) if vision_kind == "clip" else SiglipVisionModel(vcfg)
    reinit(vision, seed + 2)
    proj = vila_projector(projector, vcfg.hidden_size, llm_cfg.hidden_size, seed + 3)

    llm_state = to_dtype_state(llm, DTYPES[dtype])
    if llm_cfg.tie_word_embeddings:
        llm_state.pop("lm_head.weight", None)
    write_weights(os.path.join(out, "llm"), llm_state, shards)
    vis_state = {vision_prefix + k: v for k, v in to_dtype_state(vision, DTYPES[dtype]).items()}
    write_weights(os.path.join(out, "vision_tower"), vis_state)
    write_weights(os.path.join(out, "mm_projector"), to_dtype_state(proj, DTYPES[dtype]))

    llm_json = config_dict(llm_cfg, dtype)
    llm_json["architectures"] = ["LlamaForCausalLM"]
    vis_json = config_dict(vcfg, dtype)
    vis_json["architectures"] = ["CLIPVisionModel" if vision_kind == "clip" else "SiglipVisionModel"]
    proj_json = {"architectures": ["MultimodalProjector"], "mm_projector_type": projector, "model_type": "v2l_projector"}
    top = {
        "architectures": ["LlavaLlamaModel"], "model_type": "llava_llama",
        "llm_cfg": llm_json, "vision_tower_cfg": vis_json, "mm_projector_cfg": proj_json,
        "mm_vision_select_layer": -2, "mm_vision_select_feature": select_feature,
        "image_aspect_ratio": "resize", "mm_hidden_size": vcfg.hidden_size, "hidden_size": llm_cfg.hidden_size,
        "dtype": llm_json["dtype"], "transformers_version": transformers.__version__,
    }
    if config_style == "v4":
        llm_json, top = as_v4_config(llm_json), as_v4_config(top)
    write_json(os.path.join(out, "config.json"), top)
    if subfolder_configs:
        write_json(os.path.join(out, "llm", "config.json"), llm_json)
        write_json(os.path.join(out, "vision_tower", "config.json"), vis_json)
        write_json(os.path.join(out, "mm_projector", "config.json"), proj_json)
    preprocessor(vcfg).save_pretrained(os.path.join(out, "vision_tower"))
    return out


LLAVA_NESTED = [("language_model.model.", "model.language_model."), ("language_model.lm_head.", "lm_head."),
                ("vision_tower.", "model.vision_tower.vision_model."),
                ("multi_modal_projector.", "model.multi_modal_projector.")]


def build_llava(name, *, dtype, llm_cfg, shards=1, naming="saved", config_style="v5", seed=0):
    """LlavaForConditionalGeneration saved by transformers; `naming="nested"` renames the keys the
    way transformers 4.52–4.57 saved them (model.language_model.*, lm_head.*, …)."""
    out = os.path.join(MODELS, name)
    shutil.rmtree(out, ignore_errors=True)
    torch.manual_seed(seed)
    vcfg = clip_config()
    cfg = LlavaConfig(text_config=llm_cfg, vision_config=vcfg, vision_feature_layer=-2,
                      vision_feature_select_strategy="default", image_token_index=llm_cfg.vocab_size - 1,
                      projector_hidden_act="gelu")
    model = LlavaForConditionalGeneration(cfg)
    reinit(model, seed + 1)
    model.to(DTYPES[dtype]).save_pretrained(out)  # legacy key names (language_model.model.*, vision_tower.*)
    from safetensors.torch import load_file
    state = load_file(os.path.join(out, "model.safetensors"))
    os.remove(os.path.join(out, "model.safetensors"))
    if naming == "nested":
        renamed = {}
        for k, v in state.items():
            for old, new in LLAVA_NESTED:
                if k.startswith(old):
                    k = new + k[len(old):]
                    break
            renamed[k] = v
        state = renamed
    write_weights(out, state, shards)
    with open(os.path.join(out, "config.json")) as f:
        cfg_json = json.load(f)
    if config_style == "v4":
        cfg_json = as_v4_config(cfg_json)
    write_json(os.path.join(out, "config.json"), cfg_json)
    preprocessor(vcfg).save_pretrained(out)
    return out


# ---------------------------------------------------------------- interop
def write_interop():
    folder = os.path.join(ROOT, "interop")
    os.makedirs(folder, exist_ok=True)
    g = torch.Generator().manual_seed(7)
    x = torch.randn(3, 5, generator=g)
    tensors = {
        "f32": x, "f16": x.to(torch.float16), "bf16": x.to(torch.bfloat16),
        "i8": torch.tensor([-128, -1, 0, 1, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 1, 255], dtype=torch.uint8),
        "i32": torch.tensor([[-2147483648, 7], [0, 2147483647]], dtype=torch.int32),
        "i64": torch.tensor([-200, 0, 9007199254740993], dtype=torch.int64),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 4),
        "f16_special": torch.tensor([65504.0, 6.1e-5, 5.96e-8, float("inf"), -0.0], dtype=torch.float16),
    }
    save_file(tensors, os.path.join(folder, "python-written.safetensors"),
              metadata={"format": "pt", "note": "written by safetensors.torch.save_file", "ünïcode": "✓"})
    # Expected f32 values, for the Swift test to compare against exactly.
    expected = {k: v.to(torch.float32).flatten().tolist() for k, v in tensors.items()
                if v.dtype in (torch.float32, torch.float16, torch.bfloat16)}
    write_json(os.path.join(folder, "python-written.expected.json"),
               {"generator": GENERATOR, "float32_values": expected})


def main():
    os.makedirs(MODELS, exist_ok=True)
    build_vila("vila-clip-linear-f16", vision_kind="clip", projector="linear", dtype="f16",
               llm_cfg=llama_config(), select_feature="patch", config_style="v4", seed=10)
    build_vila("vila-clip-mlp2x-bf16-sharded", vision_kind="clip", projector="mlp2x_gelu", dtype="bf16",
               llm_cfg=llama_config(kv_heads=2, rope=LLAMA3_ROPE), select_feature="patch", shards=3,
               vision_prefix="vision_model.", seed=20)
    build_vila("vila-siglip-downsample-f32", vision_kind="siglip", projector="mlp_downsample", dtype="f32",
               llm_cfg=llama_config(tied=True), select_feature="cls_patch", subfolder_configs=False,
               vision_prefix="vision_model.", seed=30)
    build_llava("llava-hf-f16", dtype="f16", llm_cfg=llama_config(kv_heads=2), seed=40)
    build_llava("llava-hf-nested-bf16-sharded", dtype="bf16", llm_cfg=llama_config(rope=LLAMA3_ROPE),
                shards=2, naming="nested", config_style="v4", seed=50)
    write_interop()
    print("golden fixtures written under", ROOT, file=sys.stderr)


if __name__ == "__main__":
    main()
