#!/usr/bin/env python3
"""Builds VLMKit's golden fixtures with PyTorch and transformers (never with VLMKit itself).

Run from the repository root:
    python3 -m venv .venv-golden && .venv-golden/bin/pip install -r golden/requirements.txt
    .venv-golden/bin/pip install --no-deps -r golden/requirements-packers.txt
    .venv-golden/bin/python golden/generate.py

Writes, under golden/:
  models/<name>/          tiny seeded VILA-style checkpoints in the VILA 1.5 and LLaVA-HF layouts
  cases/<name>.golden.safetensors      inputs and expected outputs computed by PyTorch (formats/golden.md)
  calibration/random-ids-4096.txt      calibration token ids for AWQ tests
  interop/python-written.safetensors   a file written by the `safetensors` package (read by Swift tests)
  images/                              test images and their preprocessing (golden/images.py)
  e2e/<case>.golden.safetensors        image + question → prompt ids → greedy ids (golden/e2e.py)
  templates/cases.json                 chat templates rendered by transformers (golden/chat_templates.py)
  torch/*.pt                           torch.save files with safetensors copies (golden/torch_pt.py)
  quantized/autoawq-gemm.golden.safetensors   AutoAWQ's GEMM packing and dequantization (golden/autoawq_pack.py)
  quantized/gptq.golden.safetensors   AutoGPTQ's packing (v1, v2 zeros) and dequantization (golden/gptq_pack.py)
  quantized/llm-awq.golden.safetensors   llm-awq's real-quant packing (golden/llm_awq_pack.py)
  imported/<case>/ and <case>.golden.safetensors   checkpoints packed by AutoAWQ, AutoGPTQ and llm-awq's packer,
                                       with transformers on their dequantized weights (golden/imported_models.py)
Everything is deterministic for a given requirements.txt.
"""
import copy
import json
import os
import shutil
import sys

import torch
import transformers
import safetensors
from safetensors.torch import save_file
from transformers import (CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel, LlamaConfig,
                          LlamaForCausalLM, LlavaConfig, LlavaForConditionalGeneration, Qwen2Config, Qwen2ForCausalLM,
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


def llama_config(*, kv_heads=4, rope=None, tied=False, vocab=512, hidden=64, intermediate=128, heads=4, biases=False):
    kw = dict(vocab_size=vocab, hidden_size=hidden, intermediate_size=intermediate, num_hidden_layers=2,
              num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=512,
              rms_norm_eps=1e-5, tie_word_embeddings=tied, bos_token_id=1, eos_token_id=2,
              attention_bias=biases, mlp_bias=biases)
    if rope is not None:
        kw["rope_scaling"] = rope
    return LlamaConfig(**kw)


def qwen2_config(*, kv_heads=2, vocab=512, hidden=64, intermediate=128, heads=4):
    """NVILA's LLM in miniature: Qwen2 (q/k/v biases, o without), GQA, rope θ 1e6, eps 1e-6."""
    return Qwen2Config(vocab_size=vocab, hidden_size=hidden, intermediate_size=intermediate, num_hidden_layers=2,
                       num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=512,
                       rms_norm_eps=1e-6, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
                       tie_word_embeddings=False, use_sliding_window=False, bos_token_id=1, eos_token_id=2)


def strong_attention_biases(llm: torch.nn.Module, seed: int) -> None:
    """Qwen2's q/k/v biases are large in trained models; at reinit's 0.05 a runner that dropped
    them would still pass a golden, so they are redrawn at the weights' scale."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(llm.named_parameters()):
            if name.endswith(("q_proj.bias", "k_proj.bias", "v_proj.bias", "o_proj.bias", "gate_proj.bias",
                              "up_proj.bias", "down_proj.bias")):
                p.copy_(torch.randn(p.shape, generator=g))


def clip_config():
    return CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=2,
                            image_size=56, patch_size=14, hidden_act="quick_gelu", layer_norm_eps=1e-5)


def siglip_config(image_size=70):
    # 70 / 14 = a 5×5 grid: odd, so mlp_downsample pads it to 6×6 → 9 tokens.
    # 98 / 14 = 7×7: mlp_downsample_3x3_fix pads it to 9×9 → 9 tokens.
    return SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=2,
                              image_size=image_size, patch_size=14, layer_norm_eps=1e-6)


LLAMA3_ROPE = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
               "original_max_position_embeddings": 64, "rope_theta": 50000.0}


# ---------------------------------------------------------------- tokenizers
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")

TRAINING_TEXT = [
    "The quick brown fox jumps over the lazy dog. A picture of a cat sitting on a red sofa.",
    "What is in this image? Describe the scene in detail, including colors and objects.",
    "USER: <image> What is shown here? ASSISTANT: A small boat on a calm lake at sunset.",
    "def forward(self, x):\n    return self.proj(x) + 1\n\nfor i in range(10):\n    print(i * 2)",
    "Numbers: 0 1 2 3 12 123 1234 3.14159 2026-11-25 100% $42.50",
    "Über café naïve résumé — “quotes” and ‘single’ … ellipsis",
    "東京は日本の首都です。猫が好きです。 中文测试 한국어 텍스트",
    "Emoji 😀🐱🚀 and symbols ★ ✓ → ∑ ∞",
    "Whitespace    runs\t\ttabs\n\nnew lines   end ",
    "Vision language models answer questions about images on edge devices.",
] * 20


def byte_level_tokenizer(vocab_size: int):
    """A tiny Llama-3-style tokenizer (byte-level BPE with the Llama-3 regex), trained offline."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False, trim_offsets=False),
    ])
    tok.decoder = decoders.ByteLevel()
    specials = ["<unk>", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(TRAINING_TEXT, trainer)
    tok.post_processor = processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A $B",
                                                       special_tokens=[("<|begin_of_text|>", 1)])
    return tok


def write_sentencepiece_tokenizer(folder: str, vocab_size: int) -> None:
    """A tiny Llama-2-style tokenizer: SentencePiece BPE with byte fallback, as tokenizer.model
    (the file VILA 1.5's Llama-2-based checkpoints ship), trained offline."""
    import io
    import sentencepiece as spm
    os.makedirs(folder, exist_ok=True)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(TRAINING_TEXT), model_writer=model, model_type="bpe",
                                   vocab_size=vocab_size, byte_fallback=True, character_coverage=1.0, split_digits=True,
                                   unk_id=0, bos_id=1, eos_id=2, pad_id=-1, add_dummy_prefix=True,
                                   remove_extra_whitespaces=False, normalization_rule_name="identity",
                                   allow_whitespace_only_pieces=True, num_threads=1, minloglevel=2)
    with open(os.path.join(folder, "tokenizer.model"), "wb") as f:
        f.write(model.getvalue())
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "add_bos_token": True, "add_eos_token": False,
        "legacy": False, "model_max_length": 256, "tokenizer_class": "LlamaTokenizer",
    })


def write_tokenizer(folder: str, vocab_size: int) -> None:
    os.makedirs(folder, exist_ok=True)
    tok = byte_level_tokenizer(vocab_size)
    tok.save(os.path.join(folder, "tokenizer.json"))
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        "bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>", "unk_token": "<unk>",
        "add_bos_token": True, "model_max_length": 256, "tokenizer_class": "PreTrainedTokenizerFast",
    })


def nvila_chat_template() -> str:
    """NVILA's qwen2 chat template (golden/templates/nvila-qwen2.jinja, NVlabs/VILA @ 36f6adc) in the form its
    builder sets on the tokenizer (llava/model/language_model/builder.py: 4-space runs and newlines removed)."""
    with open(os.path.join(ROOT, "templates", "nvila-qwen2.jinja")) as f:
        return f.read().replace("    ", "").replace("\n", "")


def write_qwen2_tokenizer(folder: str, vocab_size: int, chat_template: str = None) -> None:
    """Qwen2's tokenizer in miniature: NFC, Qwen2's split regex, byte-level BPE, ChatML specials, no BOS."""
    import tokenizer_components
    os.makedirs(folder, exist_ok=True)
    tokenizer_components.qwen2_tokenizer(vocab_size, TRAINING_TEXT).save(os.path.join(folder, "tokenizer.json"))
    cfg = {"bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "add_bos_token": False,
           "model_max_length": 256, "tokenizer_class": "Qwen2TokenizerFast"}
    if chat_template:
        cfg["chat_template"] = chat_template
    write_json(os.path.join(folder, "tokenizer_config.json"), cfg)


# ---------------------------------------------------------------- projectors (VILA semantics)
def vila_projector(kind: str, dv: int, d: int, seed: int) -> torch.nn.Module:
    """The parameter layout of VILA's MultimodalProjector (`layers` = nn.Linear or nn.Sequential)."""
    torch.manual_seed(seed)
    if kind == "linear":
        layers = torch.nn.Linear(dv, d)
    elif kind == "mlp2x_gelu":
        layers = torch.nn.Sequential(torch.nn.Linear(dv, d), torch.nn.GELU(), torch.nn.Linear(d, d))
    elif kind in ("mlp_downsample", "mlp_downsample_2x2_fix"):
        # layers.0 is DownSampleBlock (no parameters).
        layers = torch.nn.Sequential(torch.nn.Identity(), torch.nn.LayerNorm(4 * dv), torch.nn.Linear(4 * dv, d),
                                     torch.nn.GELU(), torch.nn.Linear(d, d))
    elif kind == "mlp_downsample_3x3_fix":
        # MultimodalProjector in base_projector.py at NVlabs/VILA 36f6adc; layers.0 is DownSample3x3BlockFix.
        layers = torch.nn.Sequential(torch.nn.Identity(), torch.nn.LayerNorm(9 * dv), torch.nn.Linear(9 * dv, 3 * dv),
                                     torch.nn.GELU(), torch.nn.LayerNorm(3 * dv), torch.nn.Linear(3 * dv, d),
                                     torch.nn.GELU(), torch.nn.Linear(d, d))
    else:
        raise ValueError(kind)
    m = torch.nn.Module()
    m.layers = layers
    reinit(m, seed)
    return m


def stored_f32(module: torch.nn.Module, dtype: str) -> torch.nn.Module:
    """The module with every parameter rounded to the stored dtype, computed in float32.
    Buffers (rotary inv_freq) are left in float32, as from_pretrained recomputes them."""
    with torch.no_grad():
        for p in module.parameters():
            p.data = p.data.to(DTYPES[dtype]).to(torch.float32)
    return module.eval()


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
def add_outliers(llm: torch.nn.Module, channels: int, factor: float, seed: int) -> None:
    """Scales a few channels of every RMSNorm weight feeding a Linear layer, so that those
    channels of the activations are `factor` times larger: the activation outliers of real
    LLMs that AWQ is designed for."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in llm.named_parameters():
            if name.endswith("input_layernorm.weight") or name.endswith("post_attention_layernorm.weight"):
                idx = torch.randperm(p.numel(), generator=g)[:channels]
                p[idx] *= factor


# Fields the NVILA release's LlavaConfig writes (llava/model/configuration_llava.py at NVlabs/VILA
# 36f6adc), with the values NVILA-8B's published config has for a model without dynamic S2.
NVILA_TOP_FIELDS = {"dynamic_s2": False, "fps": 0.0, "num_time_tokens": 0, "time_token_format": "<t{t}>",
                    "s2_resize_output_to_scale_idx": 0, "chat_template": None}


def build_vila(name, *, vision_kind, projector, dtype, llm_cfg, select_feature, shards=1,
               config_style="v5", vision_prefix="", subfolder_configs=True, seed=0, outliers=None,
               tokenizer="byte-level", vision_cfg=None, nvila=False, top_extra=None, scales=1):
    out = os.path.join(MODELS, name)
    shutil.rmtree(out, ignore_errors=True)
    torch.manual_seed(seed)
    qwen2 = isinstance(llm_cfg, Qwen2Config)
    llm = (Qwen2ForCausalLM if qwen2 else LlamaForCausalLM)(llm_cfg)
    reinit(llm, seed + 1)
    if qwen2 or getattr(llm_cfg, "attention_bias", False):
        strong_attention_biases(llm, seed + 5)
    if outliers:
        add_outliers(llm, *outliers, seed=seed + 4)
    vcfg = vision_cfg or (clip_config() if vision_kind == "clip" else siglip_config())
    if vision_kind == "intern":
        import intern_vit  # InternViT transcribed from NVlabs/VILA (golden/intern_vit.py)
        vision = intern_vit.InternVisionModel(vcfg)
    else:
        vision = CLIPVisionModel(vcfg) if vision_kind == "clip" else SiglipVisionModel(vcfg)
    reinit(vision, seed + 2)
    # With dynamic S2 the projector takes every scale's features concatenated (mm_hidden_size).
    proj = vila_projector(projector, scales * vcfg.hidden_size, llm_cfg.hidden_size, seed + 3)

    llm_state = to_dtype_state(llm, DTYPES[dtype])
    if llm_cfg.tie_word_embeddings:
        llm_state.pop("lm_head.weight", None)
    write_weights(os.path.join(out, "llm"), llm_state, shards)
    vis_state = {vision_prefix + k: v for k, v in to_dtype_state(vision, DTYPES[dtype]).items()}
    write_weights(os.path.join(out, "vision_tower"), vis_state)
    write_weights(os.path.join(out, "mm_projector"), to_dtype_state(proj, DTYPES[dtype]))

    llm_json = config_dict(llm_cfg, dtype)
    llm_json["architectures"] = ["Qwen2ForCausalLM" if qwen2 else "LlamaForCausalLM"]
    vis_json = config_dict(vcfg, dtype)
    vis_json["architectures"] = [{"clip": "CLIPVisionModel", "siglip": "SiglipVisionModel", "intern": "InternVisionModel"}[vision_kind]]
    proj_json = {"architectures": ["MultimodalProjector"], "mm_projector_type": projector, "model_type": "v2l_projector"}
    top = {
        "architectures": ["LlavaLlamaModel"], "model_type": "llava_llama",
        "llm_cfg": llm_json, "vision_tower_cfg": vis_json, "mm_projector_cfg": proj_json,
        "mm_vision_select_layer": -2, "mm_vision_select_feature": select_feature,
        "image_aspect_ratio": "resize", "mm_hidden_size": scales * vcfg.hidden_size, "hidden_size": llm_cfg.hidden_size,
        "dtype": llm_json["dtype"], "transformers_version": transformers.__version__,
    }
    if nvila:
        top.update(NVILA_TOP_FIELDS)
    top.update(top_extra or {})
    if config_style == "v4":
        llm_json, top = as_v4_config(llm_json), as_v4_config(top)
    write_json(os.path.join(out, "config.json"), top)
    if subfolder_configs:
        write_json(os.path.join(out, "llm", "config.json"), llm_json)
        write_json(os.path.join(out, "vision_tower", "config.json"), vis_json)
        write_json(os.path.join(out, "mm_projector", "config.json"), proj_json)
    if vision_kind == "intern":
        write_json(os.path.join(out, "vision_tower", "preprocessor_config.json"), intern_vit.preprocessor_config(vcfg.image_size))
    else:
        preprocessor(vcfg).save_pretrained(os.path.join(out, "vision_tower"))
    if tokenizer == "sentencepiece":
        write_sentencepiece_tokenizer(os.path.join(out, "llm"), 480)
    elif tokenizer == "qwen2":
        # NVILA checkpoints carry the chat template their training set on the tokenizer.
        write_qwen2_tokenizer(os.path.join(out, "llm"), 480, chat_template=nvila_chat_template() if nvila else None)
    else:
        write_tokenizer(os.path.join(out, "llm"), 480)
    # The reference computes in float32 from the stored values (rounded to the stored dtype).
    ref = dict(llm=stored_f32(llm, dtype), vision=stored_f32(vision, dtype), projector=stored_f32(proj, dtype),
               projector_kind=projector, projector_order="nvila" if nvila or projector.endswith("_fix") else "vila1.5",
               select_layer=-2, select_feature=select_feature, top=top)
    return out, ref


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
    copy.deepcopy(model).to(DTYPES[dtype]).save_pretrained(out)  # legacy key names (language_model.model.*, vision_tower.*)
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
    write_tokenizer(out, 480)
    return out, stored_f32(model, dtype)


# ---------------------------------------------------------------- golden outputs
IMAGE_TOKEN = -200  # VILA's IMAGE_TOKEN_INDEX


# The token merges of NVlabs VILA's llava/model/multimodal_projector/base_projector.py, transcribed.
# VILA 1.5: DownSampleBlock.flat_square at 1c88211d779fc46e58640637034a6d68d0a43f08 (unchanged in the
# LongVILA commit 54c970676ce96a5f7df372b5d25b2b98057716c2). NVILA: flat_square and flat_square_3x3 at
# 36f6adcd11a10be1580caeb7e647e1b6f8517f89, which end with one more permute(0, 2, 1, 3).
def flat_square(x: torch.Tensor) -> torch.Tensor:
    """VILA 1.5 DownSampleBlock.flat_square: [n, w, h, c] → [n, h/2, w/2, 4c], zero-padding odd sizes."""
    n, w, h, c = x.size()
    if w % 2 == 1:
        x = torch.concat([x, torch.zeros((n, 1, h, c), dtype=x.dtype)], dim=1).contiguous()
        n, w, h, c = x.size()
    if h % 2 == 1:
        x = torch.concat([x, torch.zeros((n, w, 1, c), dtype=x.dtype)], dim=2).contiguous()
        n, w, h, c = x.size()
    x = x.view(n, w, int(h / 2), int(c * 2))
    x = x.permute(0, 2, 1, 3).contiguous()
    x = x.view(n, int(h / 2), int(w / 2), int(c * 4))
    return x


def flat_square_nvila(x: torch.Tensor) -> torch.Tensor:
    """NVILA's DownSampleBlock.flat_square (and flat_square_2x2): 36f6adc adds, after VILA 1.5's steps (and a
    no-op .contiguous()), one line: x = x.permute(0, 2, 1, 3).contiguous()."""
    return flat_square(x).permute(0, 2, 1, 3).contiguous()


def flat_square_3x3(x: torch.Tensor) -> torch.Tensor:
    """NVILA's flat_square_3x3: [n, w, h, c] → [n, w/3, h/3, 9c], zero-padding to a multiple of 3."""
    n, w, h, c = x.size()
    if w % 3 != 0:
        x = torch.concat([x, torch.zeros((n, 3 - (w % 3), h, c), dtype=x.dtype)], dim=1).contiguous()
        n, w, h, c = x.size()
    x = x.contiguous()
    if h % 3 != 0:
        x = torch.concat([x, torch.zeros((n, w, 3 - (h % 3), c), dtype=x.dtype)], dim=2).contiguous()
        n, w, h, c = x.size()
    x = x.view(n, w, int(h / 3), int(c * 3))
    x = x.permute(0, 2, 1, 3).contiguous()
    x = x.view(n, int(h / 3), int(w / 3), int(c * 9))
    x = x.permute(0, 2, 1, 3).contiguous()
    return x


def vila_project(kind: str, proj: torch.nn.Module, feats: torch.Tensor, order: str = "vila1.5") -> torch.Tensor:
    """MultimodalProjector.forward: the merge (DownSampleBlock.forward's reshapes), then the rest of `layers`."""
    layers = proj.layers
    if kind in ("mlp_downsample", "mlp_downsample_2x2_fix", "mlp_downsample_3x3_fix"):
        side = int(feats.shape[1] ** 0.5)
        merge = flat_square_3x3 if kind.endswith("3x3_fix") else flat_square_nvila if order == "nvila" else flat_square
        x = merge(feats.reshape(feats.shape[0], side, side, -1))
        x = x.reshape(x.shape[0], -1, x.shape[-1])
        for i in range(1, len(layers)):
            x = layers[i](x)
        return x
    return layers(feats)


def splice(embed: torch.nn.Module, ids: list, images: torch.Tensor) -> torch.Tensor:
    """Token embeddings with each IMAGE_TOKEN replaced, in order, by all tokens of the next image."""
    parts, k = [], 0
    for t in ids:
        if t == IMAGE_TOKEN:
            parts.append(images[k])
            k += 1
        else:
            parts.append(embed(torch.tensor([t])))
    assert k == len(images), "one image per IMAGE_TOKEN"
    return torch.cat(parts, dim=0)


def greedy(llm, embeds: torch.Tensor, steps: int) -> list:
    """Greedy continuation by full recomputation (no KV cache), so it is independent of one."""
    out = []
    for _ in range(steps):
        logits = llm(inputs_embeds=embeds[None]).logits[0, -1]
        nxt = int(torch.argmax(logits))
        out.append(nxt)
        embeds = torch.cat([embeds, llm.get_input_embeddings()(torch.tensor([nxt]))], dim=0)
    return out


def pixels(n: int, size: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, size, size, generator=g)


def golden_vila(ref: dict, ids: list, n_images: int, steps: int, seed: int, order: str = None) -> dict:
    vision = ref["vision"]
    size = vision.config.image_size
    pix = pixels(n_images, size, seed) if n_images else None
    with torch.no_grad():
        tensors = {"input.token_ids": torch.tensor(ids, dtype=torch.int64)}
        if n_images:
            hs = vision(pixel_values=pix, output_hidden_states=True).hidden_states[ref["select_layer"]]
            feats = hs[:, 1:] if ref["select_feature"] == "patch" else hs
            projected = vila_project(ref["projector_kind"], ref["projector"], feats, order or ref["projector_order"])
            tensors.update({"input.pixel_values": pix, "expected.vision_features": feats,
                            "expected.projected": projected})
        else:
            projected = torch.zeros(0)
        llm = ref["llm"]
        embeds = splice(llm.get_input_embeddings(), ids, projected)
        tensors["expected.logits"] = llm(inputs_embeds=embeds[None]).logits[0]
        if steps:
            tensors["expected.generated_ids"] = torch.tensor(greedy(llm, embeds, steps), dtype=torch.int64)
    return tensors


def golden_dynamic_s2(ref: dict, ids: list, grids: list, steps: int, seed: int) -> dict:
    """NVILA's encode_images with dynamic S2 (golden/dynamic_s2.py, transcribed) on random tiles."""
    import dynamic_s2
    top = ref["top"]
    scales = sorted(int(x) for x in top["s2_scales"].split(","))
    resize_idx = top["s2_resize_output_to_scale_idx"]
    vision = ref["vision"]
    fixed = sum((sc // scales[0]) ** 2 for sc in scales[:-1])
    tiles = sum(fixed + r * c for r, c in grids)
    pix = pixels(tiles, vision.config.image_size, seed)
    with torch.no_grad():
        hs = vision(pixel_values=pix, output_hidden_states=True).hidden_states[ref["select_layer"]]
        feats = hs[:, 1:] if ref["select_feature"] == "patch" else hs
        maps, projected = dynamic_s2.encode_images(
            feats, grids, scales, resize_idx,
            lambda x: vila_project(ref["projector_kind"], ref["projector"], x, ref["projector_order"]))
        llm = ref["llm"]
        embeds = splice(llm.get_input_embeddings(), ids, projected)
        tensors = {"input.token_ids": torch.tensor(ids, dtype=torch.int64), "input.pixel_values": pix,
                   "input.grids": torch.tensor(grids, dtype=torch.int64),
                   "expected.vision_features": torch.stack(maps), "expected.projected": torch.stack(projected),
                   "expected.logits": llm(inputs_embeds=embeds[None]).logits[0]}
        if steps:
            tensors["expected.generated_ids"] = torch.tensor(greedy(llm, embeds, steps), dtype=torch.int64)
    return tensors


def golden_multiscale_s2(ref: dict, ids: list, n_images: int, steps: int, seed: int) -> dict:
    """VILA 1.5's VisionTowerS2 (s2wrapper.forward, transcribed in golden/dynamic_s2.py) on random pixels at the
    largest scale, then the projector on the whole multi-scale map."""
    import dynamic_s2
    top = ref["top"]
    scales = sorted(int(x) for x in top["s2_scales"].split(","))
    vision = ref["vision"]
    pix = pixels(n_images, scales[-1], seed)

    def tower(x):
        hs = vision(pixel_values=x, output_hidden_states=True).hidden_states[ref["select_layer"]]
        return hs[:, 1:] if ref["select_feature"] == "patch" else hs

    with torch.no_grad():
        feats = dynamic_s2.s2_forward(tower, pix, scales, top["s2_max_split_size"], top.get("s2_resize_output_to_scale_idx", 0))
        projected = vila_project(ref["projector_kind"], ref["projector"], feats, ref["projector_order"])
        llm = ref["llm"]
        embeds = splice(llm.get_input_embeddings(), ids, projected)
        tensors = {"input.token_ids": torch.tensor(ids, dtype=torch.int64), "input.pixel_values": pix,
                   "expected.vision_features": feats, "expected.projected": projected,
                   "expected.logits": llm(inputs_embeds=embeds[None]).logits[0]}
        if steps:
            tensors["expected.generated_ids"] = torch.tensor(greedy(llm, embeds, steps), dtype=torch.int64)
    return tensors


def golden_llava(model, ids: list, n_images: int, steps: int, seed: int) -> dict:
    """Through LlavaForConditionalGeneration itself: each −200 becomes image_token_index repeated
    once per image token, as the HF processor would expand it."""
    cfg = model.config
    pix = pixels(n_images, cfg.vision_config.image_size, seed)
    with torch.no_grad():
        feats_out = model.model.vision_tower(pix, output_hidden_states=True)
        hs = feats_out.hidden_states[cfg.vision_feature_layer]
        feats = hs[:, 1:] if cfg.vision_feature_select_strategy == "default" else hs
        projected = model.model.multi_modal_projector(feats)
        per_image = projected.shape[1]
        expanded = []
        for t in ids:
            expanded += [cfg.image_token_index] * per_image if t == IMAGE_TOKEN else [t]
        input_ids = torch.tensor([expanded])
        logits = model(input_ids=input_ids, pixel_values=pix).logits[0]
        gen = []
        cur = input_ids
        for _ in range(steps):
            nxt = int(torch.argmax(model(input_ids=cur, pixel_values=pix).logits[0, -1]))
            gen.append(nxt)
            cur = torch.cat([cur, torch.tensor([[nxt]])], dim=1)
    tensors = {"input.token_ids": torch.tensor(ids, dtype=torch.int64), "input.pixel_values": pix,
               "expected.vision_features": feats, "expected.projected": projected, "expected.logits": logits}
    if steps:
        tensors["expected.generated_ids"] = torch.tensor(gen, dtype=torch.int64)
    return tensors


def write_intern_pixels(files: list, sizes: list) -> None:
    """InternViT's preprocessing (golden/intern_vit.py: VILA's build_transform through torchvision's PIL path)."""
    import intern_vit
    from PIL import Image
    import numpy as np
    tensors = {}
    for name in files:
        image = Image.open(os.path.join(ROOT, "images", "files", name))
        for size in sizes:
            tensors[f"pixels.{size}.{name}"] = torch.from_numpy(np.ascontiguousarray(intern_vit.transform(image, size)))
    meta = {"format": "vlmkit-golden-images", "version": "1", "sizes": ",".join(map(str, sizes)),
            "generator": GENERATOR + ", golden/intern_vit.py transform", "regenerate": "python golden/generate.py"}
    save_file(tensors, os.path.join(ROOT, "images", "intern-pixels.golden.safetensors"), metadata=meta)


def write_golden(name: str, model_name: str, tensors: dict, note: str) -> None:
    folder = os.path.join(ROOT, "cases")
    os.makedirs(folder, exist_ok=True)
    meta = {"format": "vlmkit-golden", "version": "1", "generator": GENERATOR, "model": f"models/{model_name}",
            "note": note, "regenerate": "python golden/generate.py (see golden/requirements.txt)"}
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, os.path.join(folder, name + ".golden.safetensors"),
              metadata=meta)


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
    # ggml block formats as gguf-py (bit-exact to ggml's reference quantizers) encodes them.
    import gguf.quants
    import numpy as np
    x = (torch.randn(8, 64, generator=g) * torch.tensor([0.01, 1.0, 30.0, 0.2]).repeat(16)).numpy().astype(np.float32)
    x[3, :32] = 0.0          # an all-zero block
    x[5, 32:] = 0.25         # a constant block
    blocks = {"input": torch.from_numpy(x)}
    for name, qt in [("q8_0", gguf.GGMLQuantizationType.Q8_0), ("q4_0", gguf.GGMLQuantizationType.Q4_0),
                     ("q4_1", gguf.GGMLQuantizationType.Q4_1), ("f16", gguf.GGMLQuantizationType.F16)]:
        blocks[name] = torch.from_numpy(np.ascontiguousarray(gguf.quants.quantize(x, qt)).view(np.uint8).reshape(-1).copy())
    save_file(blocks, os.path.join(folder, "ggml-blocks.safetensors"), metadata={"generator": "gguf-py 0.19.0 (gguf.quants.quantize)"})
    save_file(tensors, os.path.join(folder, "python-written.safetensors"),
              metadata={"format": "pt", "note": "written by safetensors.torch.save_file", "ünïcode": "✓"})
    # Expected f32 values, for the Swift test to compare against exactly.
    expected = {k: v.to(torch.float32).flatten().tolist() for k, v in tensors.items()
                if v.dtype in (torch.float32, torch.float16, torch.bfloat16)}
    write_json(os.path.join(folder, "python-written.expected.json"),
               {"generator": GENERATOR, "float32_values": expected})


TOKENIZER_TEXTS = [
    "Hello world", "What is in this image?", "  leading spaces", "trailing spaces   ", "tabs\tand\nnew lines\r\n\nend",
    "Über café naïve résumé", "東京は日本の首都です。", "中文测试 한국어", "emoji 😀🐱🚀 mixed 👩‍👩‍👧", "digits 1234567 3.14159 2026-11-25",
    "def forward(self, x):\n    return self.proj(x) + 1", "it's they're we've I'm you'll he'd IT'S", "multiple     spaces  here",
    "\n\n\n", " ", "", "a", "<|begin_of_text|>Hello<|eot_id|>", "x=>y; a!=b && c<=d", "Ω≈ç√∫˜µ≤≥÷", "\u00a0non-breaking\u2003em space",
    "CAPS LOCK SHOUTING", "snake_case and camelCase", "¿Qué tal? ¡Bien!", "ﬁ ligature and combining é",
]


def write_tokenizer_corpus() -> None:
    """Token ids for TOKENIZER_TEXTS from the reference libraries: `tokenizers` for the byte-level BPE
    fixture, `sentencepiece` for the SentencePiece one. Swift tests must reproduce them exactly."""
    from tokenizers import Tokenizer
    import sentencepiece as spm
    bl = Tokenizer.from_file(os.path.join(MODELS, "vila-clip-linear-f16", "llm", "tokenizer.json"))
    sp = spm.SentencePieceProcessor(model_file=os.path.join(MODELS, "vila-siglip-downsample-f32", "llm", "tokenizer.model"))
    corpus = {
        "generator": GENERATOR + ", tokenizers, sentencepiece",
        "texts": TOKENIZER_TEXTS,
        "byte_level": {"model": "models/vila-clip-linear-f16/llm/tokenizer.json",
                       "ids": [bl.encode(t, add_special_tokens=False).ids for t in TOKENIZER_TEXTS],
                       "ids_with_special": [bl.encode(t).ids for t in TOKENIZER_TEXTS],
                       "decoded": [bl.decode(bl.encode(t, add_special_tokens=False).ids, skip_special_tokens=False) for t in TOKENIZER_TEXTS]},
        "sentencepiece": {"model": "models/vila-siglip-downsample-f32/llm/tokenizer.model",
                          "ids": [sp.encode(t) for t in TOKENIZER_TEXTS],
                          "decoded": [sp.decode(sp.encode(t)) for t in TOKENIZER_TEXTS]},
    }
    write_json(os.path.join(ROOT, "tokenizer", "corpus.json"), corpus)


def metaspace_tokenizer(sp_model: str, legacy: bool):
    """A Llama-2-style tokenizer.json built from a SentencePiece model the way Hugging Face's
    converter does: the vocabulary with scores' order, merges for every split of every piece
    (ordered by the merged piece's id, then the parts' ids), byte fallback, and either the 2023
    normalizer (Prepend ▁ + Replace) or the later Metaspace pre-tokenizer (prepend_scheme first)."""
    import sentencepiece as spm
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    sp = spm.SentencePieceProcessor(model_file=sp_model)
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    merges = []
    for piece, pid in sorted(vocab.items(), key=lambda kv: kv[1]):
        if sp.is_control(pid) or sp.is_unknown(pid) or sp.is_byte(pid):
            continue
        local = [(piece[:i], piece[i:]) for i in range(1, len(piece)) if piece[:i] in vocab and piece[i:] in vocab]
        merges += sorted(local, key=lambda lr: (vocab[lr[0]], vocab[lr[1]]))
    tok = Tokenizer(models.BPE(vocab, merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.add_special_tokens([AddedToken("<unk>", normalized=False, special=True), AddedToken("<s>", normalized=False, special=True),
                            AddedToken("</s>", normalized=False, special=True)])
    if legacy:
        tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    else:
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=False)
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(content=" ", left=1, right=0)])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    return tok


def write_metaspace_corpus() -> None:
    """Llama-2-style tokenizer.json files (both spellings) and their ids from `tokenizers`."""
    sp_model = os.path.join(MODELS, "vila-siglip-downsample-f32", "llm", "tokenizer.model")
    texts = TOKENIZER_TEXTS + ["USER: hi</s>ASSISTANT: ok</s>", "<s>starts special", "  two leading spaces", "\n", "tab\tend"]
    out = {"generator": GENERATOR + ", tokenizers", "texts": texts, "tokenizers": {}}
    for name, legacy in [("llama2-legacy", True), ("llama2-metaspace", False)]:
        tok = metaspace_tokenizer(sp_model, legacy)
        folder = os.path.join(ROOT, "tokenizer", name)
        os.makedirs(folder, exist_ok=True)
        tok.save(os.path.join(folder, "tokenizer.json"))
        out["tokenizers"][name] = {
            "file": f"tokenizer/{name}/tokenizer.json",
            "ids_with_special": [tok.encode(t).ids for t in texts],
            "decoded": [tok.decode(tok.encode(t, add_special_tokens=False).ids, skip_special_tokens=False) for t in texts],
            "decoded_skip_special": [tok.decode(tok.encode(t).ids, skip_special_tokens=True) for t in texts]}
    write_json(os.path.join(ROOT, "tokenizer", "metaspace-corpus.json"), out)


def main():
    torch.set_num_threads(1)
    os.makedirs(MODELS, exist_ok=True)
    shutil.rmtree(os.path.join(ROOT, "cases"), ignore_errors=True)
    _, ref = build_vila("vila-clip-linear-f16", vision_kind="clip", projector="linear", dtype="f16",
                        llm_cfg=llama_config(), select_feature="patch", config_style="v4", seed=10)
    write_golden("vila-clip-linear-f16", "vila-clip-linear-f16",
                 golden_vila(ref, [1, 5, 7, IMAGE_TOKEN, 9, 11, 13], 1, 6, seed=100), "CLIP + linear, one image")
    write_golden("vila-clip-linear-f16.text-only", "vila-clip-linear-f16",
                 golden_vila(ref, [1, 17, 300, 42, 7, 99, 3, 250], 0, 6, seed=101), "no image")

    _, ref = build_vila("vila-clip-mlp2x-bf16-sharded", vision_kind="clip", projector="mlp2x_gelu", dtype="bf16",
                        llm_cfg=llama_config(kv_heads=2, rope=LLAMA3_ROPE), select_feature="patch", shards=3,
                        vision_prefix="vision_model.", seed=20)
    write_golden("vila-clip-mlp2x-bf16-sharded", "vila-clip-mlp2x-bf16-sharded",
                 golden_vila(ref, [1, 3, IMAGE_TOKEN, 20, 21, IMAGE_TOKEN, 30, 31, 32], 2, 6, seed=102),
                 "CLIP + mlp2x_gelu, GQA, llama3 rope, two images interleaved with text, bf16 shards")

    _, ref = build_vila("vila-siglip-downsample-f32", vision_kind="siglip", projector="mlp_downsample", dtype="f32",
                        llm_cfg=llama_config(tied=True), select_feature="cls_patch", subfolder_configs=False,
                        vision_prefix="vision_model.", seed=30, tokenizer="sentencepiece")
    write_golden("vila-siglip-downsample-f32", "vila-siglip-downsample-f32",
                 golden_vila(ref, [1, IMAGE_TOKEN, 40, IMAGE_TOKEN, 41, 42], 2, 6, seed=103),
                 "SigLIP + mlp_downsample on an odd 5x5 grid, tied embeddings, two images")

    # The same checkpoint as if trained with NVILA's flat_square: vlmkit verify --projector-order nvila.
    write_golden("vila-siglip-downsample-f32.nvila-order", "vila-siglip-downsample-f32",
                 golden_vila(ref, [1, IMAGE_TOKEN, 40, IMAGE_TOKEN, 41, 42], 2, 6, seed=103, order="nvila"),
                 "vila-siglip-downsample-f32 with NVILA's flat_square (row-major merged tokens); "
                 "verify with --projector-order nvila")

    # NVILA-Lite's projector: 3x3 merge of a 7x7 SigLIP grid (padded to 9x9), NVILA fields in config.json.
    _, ref = build_vila("nvila-siglip-3x3-qwen2-f16", vision_kind="siglip", projector="mlp_downsample_3x3_fix",
                        dtype="f16", llm_cfg=qwen2_config(), select_feature="cls_patch", vision_prefix="vision_model.",
                        seed=80, tokenizer="qwen2", vision_cfg=siglip_config(98), nvila=True,
                        top_extra={"image_aspect_ratio": "dynamic", "min_tiles": 1, "max_tiles": 6})  # NVILA-Lite's tiles
    write_golden("nvila-siglip-3x3-qwen2-f16", "nvila-siglip-3x3-qwen2-f16",
                 golden_vila(ref, [1, 5, IMAGE_TOKEN, 9, 10, IMAGE_TOKEN, 11], 2, 6, seed=109),
                 "SigLIP 7x7 + mlp_downsample_3x3_fix (NVILA order) + Qwen2, two images")

    # VILA1.5-40B in miniature: InternViT (RMSNorm, fused qkv without bias, q/k norms, layer scales, class
    # token) at 28 px / patch 7, patch features (4x4) into mlp_downsample (VILA 1.5 order), a Llama LLM.
    import intern_vit
    _, ref = build_vila("vila-intern-llama-f16", vision_kind="intern", projector="mlp_downsample", dtype="f16",
                        llm_cfg=llama_config(), select_feature="patch", seed=120,
                        vision_cfg=intern_vit.InternVisionConfig(hidden_size=32, num_attention_heads=2, intermediate_size=64,
                                                                 num_hidden_layers=3, image_size=28, patch_size=7))
    write_golden("vila-intern-llama-f16", "vila-intern-llama-f16",
                 golden_vila(ref, [1, 5, IMAGE_TOKEN, 9, IMAGE_TOKEN, 10, 11], 2, 6, seed=121),
                 "InternViT (VILA1.5-40B's tower) + mlp_downsample + Llama, two images")
    write_intern_pixels(["photo-320x240.jpg", "tall-gray-33x70.png", "tiny-7x5.png"], [28, 448])

    # NVILA-8B in miniature: dynamic S2 over 28/56/84 px (tiles of a 28 px SigLIP with a 4x4 grid), features
    # resized to the last scale (s2_resize_output_to_scale_idx -1), mlp_downsample per 4x4 block, Qwen2.
    _, ref = build_vila("nvila-s2-siglip-qwen2-f16", vision_kind="siglip", projector="mlp_downsample", dtype="f16",
                        llm_cfg=qwen2_config(), select_feature="cls_patch", vision_prefix="vision_model.", seed=90,
                        tokenizer="qwen2", nvila=True, scales=3,
                        vision_cfg=SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                                                      num_attention_heads=2, image_size=28, patch_size=7,
                                                      layer_norm_eps=1e-6),
                        top_extra={"image_aspect_ratio": "dynamic_s2", "dynamic_s2": True, "s2": False,
                                   "s2_scales": "28,56,84", "s2_max_split_size": 28,
                                   "s2_resize_output_to_scale_idx": -1})
    write_golden("nvila-s2-siglip-qwen2-f16", "nvila-s2-siglip-qwen2-f16",
                 golden_dynamic_s2(ref, [1, 5, IMAGE_TOKEN, 9, 10], [(3, 4)], 6, seed=110),
                 "dynamic S2, one wide image (3 rows x 4 cols at the last scale: 17 tiles, 48 tokens)")
    write_golden("nvila-s2-siglip-qwen2-f16.two-images", "nvila-s2-siglip-qwen2-f16",
                 golden_dynamic_s2(ref, [1, IMAGE_TOKEN, 7, IMAGE_TOKEN, 8], [(4, 3), (4, 3)], 6, seed=111),
                 "dynamic S2, two tall images (4 rows x 3 cols)")

    # VILA1.5-3b-s2 in miniature: "s2": true over 28/56/84 (SigLIP 28/7 tiles), features resized to the smallest
    # scale (s2wrapper's default), mlp_downsample in VILA 1.5's order, Llama.
    _, ref = build_vila("vila-s2-siglip-f16", vision_kind="siglip", projector="mlp_downsample", dtype="f16",
                        llm_cfg=llama_config(kv_heads=2), select_feature="cls_patch", vision_prefix="vision_model.",
                        seed=130, scales=3,
                        vision_cfg=SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                                                      num_attention_heads=2, image_size=28, patch_size=7,
                                                      layer_norm_eps=1e-6),
                        top_extra={"s2": True, "s2_scales": "28,56,84", "s2_max_split_size": 28})
    write_golden("vila-s2-siglip-f16", "vila-s2-siglip-f16",
                 golden_multiscale_s2(ref, [1, 5, IMAGE_TOKEN, 9, IMAGE_TOKEN, 10], 2, 6, seed=131),
                 "multi-scale S2 (s2: true), two images at 84 px")

    # NVILA's language model: Qwen2 behind a SigLIP tower (the projector is VILA 1.5's mlp2x_gelu).
    _, ref = build_vila("vila-siglip-qwen2-f16", vision_kind="siglip", projector="mlp2x_gelu", dtype="f16",
                        llm_cfg=qwen2_config(), select_feature="cls_patch", vision_prefix="vision_model.", seed=70,
                        tokenizer="qwen2")
    write_golden("vila-siglip-qwen2-f16", "vila-siglip-qwen2-f16",
                 golden_vila(ref, [1, 5, IMAGE_TOKEN, 9, 10, 11, 12], 1, 6, seed=107),
                 "SigLIP + mlp2x_gelu + Qwen2 (q/k/v biases, GQA, rope theta 1e6), one image")
    write_golden("vila-siglip-qwen2-f16.text-only", "vila-siglip-qwen2-f16",
                 golden_vila(ref, [1, 33, 250, 7, 480, 99, 3, 12, 44], 0, 6, seed=108), "Qwen2, no image")

    # Llama with attention_bias and mlp_bias (q/k/v/o and gate/up/down biases at unit scale), for the GGUF
    # export's biased llama path (scripts/check_gguf.py) and the runner.
    _, ref = build_vila("vila-llama-biases-f16", vision_kind="clip", projector="linear", dtype="f16",
                        llm_cfg=llama_config(kv_heads=2, biases=True), select_feature="patch", seed=120)
    write_golden("vila-llama-biases-f16.text-only", "vila-llama-biases-f16",
                 golden_vila(ref, [1, 44, 310, 7, 99, 250, 3, 12], 0, 6, seed=121),
                 "Llama with attention and MLP biases, no image")

    _, model = build_llava("llava-hf-f16", dtype="f16", llm_cfg=llama_config(kv_heads=2), seed=40)
    write_golden("llava-hf-f16", "llava-hf-f16", golden_llava(model, [1, 8, IMAGE_TOKEN, 77, 78], 1, 6, seed=104),
                 "LLaVA-HF through LlavaForConditionalGeneration")

    _, model = build_llava("llava-hf-nested-bf16-sharded", dtype="bf16", llm_cfg=llama_config(rope=LLAMA3_ROPE),
                           shards=2, naming="nested", config_style="v4", seed=50)
    write_golden("llava-hf-nested-bf16-sharded", "llava-hf-nested-bf16-sharded",
                 golden_llava(model, [1, IMAGE_TOKEN, 5, 6, 7, IMAGE_TOKEN, 8], 2, 6, seed=105),
                 "LLaVA-HF, llama3 rope, two images")
    # AWQ's test bed: 256-wide Llama whose norms create activation outliers in 4 channels (×25).
    _, ref = build_vila("vila-llama-outliers-f16", vision_kind="clip", projector="linear", dtype="f16",
                        llm_cfg=llama_config(hidden=256, intermediate=512, heads=8), select_feature="patch",
                        seed=60, outliers=(4, 25.0))
    g = torch.Generator().manual_seed(61)
    prompt = [1] + torch.randint(3, 511, (95,), generator=g).tolist()
    write_golden("vila-llama-outliers-f16.text", "vila-llama-outliers-f16", golden_vila(ref, prompt, 0, 6, seed=106),
                 "activation outliers; for quantization quality (AWQ vs RTN)")
    calib = torch.randint(3, 511, (4096,), generator=g).tolist()
    os.makedirs(os.path.join(ROOT, "calibration"), exist_ok=True)
    with open(os.path.join(ROOT, "calibration", "random-ids-4096.txt"), "w") as f:
        f.write(" ".join(map(str, calib)) + "\n")
    write_interop()
    write_tokenizer_corpus()
    write_metaspace_corpus()
    import tokenizer_components  # golden/tokenizer_components.py: one tokenizer per pre-tokenizer component
    tokenizer_components.write(ROOT, TRAINING_TEXT, TOKENIZER_TEXTS)
    import images  # golden/images.py: image files and their preprocessing by Pillow + transformers
    images.main()
    import dynamic_s2  # golden/dynamic_s2.py: NVILA's tiling, transcribed from NVlabs/VILA
    dynamic_s2.write_grids()
    dynamic_s2.write_dynamic_grids()
    dynamic_s2.write_tiles(os.path.join(MODELS, "nvila-s2-siglip-qwen2-f16", "vision_tower"),
                           ["photo-320x240.jpg", "tall-gray-33x70.png", "wide-80x45.png", "tiny-7x5.png"])
    import torch_pt  # golden/torch_pt.py: torch.save files beside safetensors copies
    torch_pt.main()
    import autoawq_pack  # golden/autoawq_pack.py: AutoAWQ's own GEMM packing
    autoawq_pack.main()
    import gptq_pack  # golden/gptq_pack.py: AutoGPTQ's own packing (v1) and the v2 zeros
    gptq_pack.main()
    import llm_awq_pack  # golden/llm_awq_pack.py: llm-awq's real-quant packing, transcribed
    llm_awq_pack.main()
    import mmproj_models  # golden/mmproj_models.py: towers llama.cpp has projectors for
    mmproj_models.main()
    import imported_models  # golden/imported_models.py: tiny checkpoints packed by AutoAWQ, AutoGPTQ, llm-awq
    imported_models.main()
    import chat_templates  # golden/chat_templates.py: chat templates rendered by transformers
    chat_templates.main()
    import e2e  # golden/e2e.py: image file + question → greedy ids through the whole Python pipeline
    e2e.main()
    print("golden fixtures written under", ROOT, file=sys.stderr)


if __name__ == "__main__":
    main()
