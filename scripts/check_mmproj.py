#!/usr/bin/env python3
"""Measures, in llama.cpp, how far a `vlmkit export --format mmproj` file is from PyTorch (outside CI).

    python scripts/check_mmproj.py                      # both tiny cases, exported by the vlmkit in .build/release

For each case — golden/models/nvila-siglip-224-f32 (→ llama.cpp's 'lfm2' projector) and siglip-mlp2x-224-f32
(→ 'mlp'), made by golden/mmproj_models.py — `vlmkit export --format mmproj --allow-approximate --type f32` and `--format gguf --type f32` (the text
model mtmd needs), then a seeded random RGB image at the tower's size encoded by llama.cpp (llama-cpp-python's
mtmd: mtmd_tokenize + mtmd_encode_chunk + mtmd_get_output_embd) and by PyTorch (transformers' CLIP/SigLIP vision
model, hidden_states[select_layer], VILA's projector with the exact GELU, as golden/generate.py computes it). Prints
max abs error, max error relative to max |expected| and the mean cosine of the image tokens.
"""
import ctypes
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors.torch import load_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "golden"))
import generate  # noqa: E402  (golden/generate.py: build_vila, vila_project)
from transformers import CLIPVisionModel, SiglipVisionModel  # noqa: E402
import llama_cpp  # noqa: E402
from llama_cpp import mtmd_cpp  # noqa: E402

VLMKIT = os.environ.get("VLMKIT", os.path.join(ROOT, ".build", "release", "vlmkit"))


def reference(model_dir, image_u8):
    top = json.load(open(os.path.join(model_dir, "config.json")))
    vis_cfg = json.load(open(os.path.join(model_dir, "vision_tower", "config.json")))
    kind = "clip" if vis_cfg["model_type"].startswith("clip") else "siglip"
    tower = (CLIPVisionModel if kind == "clip" else SiglipVisionModel).from_pretrained(
        os.path.join(model_dir, "vision_tower"), dtype=torch.float32).eval()
    pre = json.load(open(os.path.join(model_dir, "vision_tower", "preprocessor_config.json")))
    mean, std = torch.tensor(pre["image_mean"]), torch.tensor(pre["image_std"])
    pix = ((torch.from_numpy(image_u8).float() / 255 - mean) / std).permute(2, 0, 1)[None]
    state = load_file(os.path.join(model_dir, "mm_projector", "model.safetensors"))
    kind_p = top["mm_projector_cfg"]["mm_projector_type"]
    proj = generate.vila_projector(kind_p, top["mm_hidden_size"], top["hidden_size"], 0)
    proj.load_state_dict({k: v.float() for k, v in state.items()})
    with torch.no_grad():
        hs = tower(pixel_values=pix, output_hidden_states=True).hidden_states[top["mm_vision_select_layer"]]
        feats = hs[:, 1:] if top["mm_vision_select_feature"] == "patch" else hs
        order = "nvila" if top.get("dynamic_s2") is not None or "fps" in top else "vila1.5"
        return generate.vila_project(kind_p, proj, feats.contiguous(), order)[0].numpy()


def llama_cpp_embeddings(mmproj, llm_gguf, image_u8):
    llm = llama_cpp.Llama(model_path=llm_gguf, n_ctx=512, verbose=False, n_threads=2)
    params = mtmd_cpp.mtmd_context_params_default()
    params.use_gpu = False
    params.n_threads = 2
    params.print_timings = False
    params.warmup = False
    params.image_min_tokens = 1  # our tiny towers' images are below the preprocessors' defaults
    ctx = mtmd_cpp.mtmd_init_from_file(mmproj.encode(), llm.model, params)
    assert ctx, "llama.cpp did not load the mmproj"
    h, w, _ = image_u8.shape
    data = (ctypes.c_uint8 * image_u8.size).from_buffer_copy(np.ascontiguousarray(image_u8).tobytes())
    bitmap = mtmd_cpp.mtmd_bitmap_init(w, h, data)
    chunks = mtmd_cpp.mtmd_input_chunks_init()
    marker = mtmd_cpp.mtmd_default_marker()
    text = mtmd_cpp.mtmd_input_text(text=marker, text_len=len(marker), add_special=False, parse_special=True)
    bitmaps = (mtmd_cpp.mtmd_bitmap_p_ctypes * 1)(bitmap)
    assert mtmd_cpp.mtmd_tokenize(ctx, chunks, ctypes.byref(text), bitmaps, 1) == 0
    for i in range(mtmd_cpp.mtmd_input_chunks_size(chunks)):
        chunk = mtmd_cpp.mtmd_input_chunks_get(chunks, i)
        if mtmd_cpp.mtmd_input_chunk_get_type(chunk) == mtmd_cpp.MTMD_INPUT_CHUNK_TYPE_IMAGE:
            n = mtmd_cpp.mtmd_input_chunk_get_n_tokens(chunk)
            assert mtmd_cpp.mtmd_encode_chunk(ctx, chunk) == 0
            out = mtmd_cpp.mtmd_get_output_embd(ctx)
            d = llama_cpp.llama_model_n_embd(llm.model)
            return np.ctypeslib.as_array(out, shape=(n * d,)).reshape(n, d).copy()
    raise AssertionError("no image chunk")


def check(name, model_dir, work):
    mmproj, llm_gguf = os.path.join(work, name + ".mmproj.gguf"), os.path.join(work, name + ".gguf")
    subprocess.run([VLMKIT, "export", model_dir, "--format", "mmproj", "--allow-approximate", "--type", "f32", "-o", mmproj], check=True)
    subprocess.run([VLMKIT, "export", model_dir, "--format", "gguf", "--type", "f32", "-o", llm_gguf], check=True)
    size = json.load(open(os.path.join(model_dir, "vision_tower", "config.json")))["image_size"]
    image = np.random.default_rng(5).integers(0, 256, (size, size, 3), dtype=np.uint8)
    expected, got = reference(model_dir, image), llama_cpp_embeddings(mmproj, llm_gguf, image)
    assert expected.shape == got.shape, (expected.shape, got.shape)
    err = np.abs(expected - got)
    cos = np.mean(np.sum(expected * got, 1) / (np.linalg.norm(expected, axis=1) * np.linalg.norm(got, axis=1)))
    print(f"{name}: {expected.shape[0]} image tokens × {expected.shape[1]}: max abs {err.max():.3e}, "
          f"max rel {err.max() / np.abs(expected).max():.3e}, mean cosine {cos:.8f}")


def main():
    with tempfile.TemporaryDirectory() as work:
        models = os.path.join(ROOT, "golden", "models")
        check("lfm2 (nvila-siglip-224-f32: NVILA-order mlp_downsample, SigLIP 16x16)", os.path.join(models, "nvila-siglip-224-f32"), work)
        check("mlp (siglip-mlp2x-224-f32: mlp2x_gelu, SigLIP 16x16)", os.path.join(models, "siglip-mlp2x-224-f32"), work)

if __name__ == "__main__":
    main()
