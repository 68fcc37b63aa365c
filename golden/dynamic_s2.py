#!/usr/bin/env python3
"""NVILA's dynamic S2, transcribed from NVlabs/VILA at commit 36f6adcd11a10be1580caeb7e647e1b6f8517f89
(the NVILA release), for golden data only:

  llava/mm_utils.py         find_closest_aspect_ratio, dynamic_s2_preprocess, process_image (its dynamic_s2 branch)
  llava/model/llava_arch.py merge_chessboard, split_chessboard, merge_features_for_dynamic_s2, encode_images

Called by generate.py. Writes under golden/images/:
  dynamic-s2-grids.json            (rows, cols) that dynamic_s2_preprocess picks, per config and image size
  dynamic-s2.golden.safetensors    tiles.<image> F32 [T, 3, S, S] and grid.<image> I64 [2], through
                                   Pillow and transformers' SiglipImageProcessorPil
and returns the reference encode_images for the tiny NVILA model's golden case.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.numpy import save_file

ROOT = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- llava/mm_utils.py
def find_closest_aspect_ratio(aspect_ratio, target_ratios, width, height, image_size):
    best_ratio_diff = float("inf")
    best_ratio = (1, 1)
    area = width * height
    for ratio in target_ratios:
        target_aspect_ratio = ratio[0] / ratio[1]
        ratio_diff = abs(aspect_ratio - target_aspect_ratio)
        if ratio_diff < best_ratio_diff:
            best_ratio_diff = ratio_diff
            best_ratio = ratio
        elif ratio_diff == best_ratio_diff:
            if area > 0.5 * image_size * image_size * ratio[0] * ratio[1]:
                best_ratio = ratio
    return best_ratio


def target_ratios(s2_scales, max_num):
    min_num = (s2_scales[-1] // s2_scales[0]) ** 2
    ratios = {(i, j) for n in range(min_num, max_num + 1) for i in range(1, n + 1) for j in range(1, n + 1)
              if i * j <= max_num and i * j >= min_num}
    return sorted(ratios, key=lambda x: x[0] * x[1])


def dynamic_preprocess(image, min_num, max_num, image_size, use_thumbnail=True):
    """NVILA-Lite's image_aspect_ratio "dynamic" (llava/mm_utils.py dynamic_preprocess): tiles plus a thumbnail."""
    orig_width, orig_height = image.size
    ratios = target_ratios_between(min_num, max_num)
    ratio = find_closest_aspect_ratio(orig_width / orig_height, ratios, orig_width, orig_height, image_size)
    target_width, target_height = image_size * ratio[0], image_size * ratio[1]
    blocks = ratio[0] * ratio[1]
    resized_img = image.resize((target_width, target_height))
    processed_images = []
    for i in range(blocks):
        box = ((i % (target_width // image_size)) * image_size, (i // (target_width // image_size)) * image_size,
               ((i % (target_width // image_size)) + 1) * image_size, ((i // (target_width // image_size)) + 1) * image_size)
        processed_images.append(resized_img.crop(box))
    if use_thumbnail and len(processed_images) != 1:
        processed_images.append(image.resize((image_size, image_size)))
    return processed_images


def target_ratios_between(min_num, max_num):
    ratios = {(i, j) for n in range(min_num, max_num + 1) for i in range(1, n + 1) for j in range(1, n + 1)
              if i * j <= max_num and i * j >= min_num}
    return sorted(ratios, key=lambda x: x[0] * x[1])


def dynamic_s2_preprocess(image, s2_scales, max_num, image_size):
    orig_width, orig_height = image.size
    aspect_ratio = orig_width / orig_height
    processed_images = []
    for scale in s2_scales[:-1]:
        target_width = image_size * (scale // s2_scales[0])
        target_height = image_size * (scale // s2_scales[0])
        blocks = (scale // s2_scales[0]) ** 2
        resized_img = image.resize((target_width, target_height))
        for i in range(blocks):
            box = ((i % (target_width // image_size)) * image_size, (i // (target_width // image_size)) * image_size,
                   ((i % (target_width // image_size)) + 1) * image_size, ((i // (target_width // image_size)) + 1) * image_size)
            processed_images.append(resized_img.crop(box))
    ratio = find_closest_aspect_ratio(aspect_ratio, target_ratios(s2_scales, max_num), orig_width, orig_height, image_size)
    target_width = image_size * ratio[0]
    target_height = image_size * ratio[1]
    blocks = ratio[0] * ratio[1]
    resized_img = image.resize((target_width, target_height))
    for i in range(blocks):
        box = ((i % (target_width // image_size)) * image_size, (i // (target_width // image_size)) * image_size,
               ((i % (target_width // image_size)) + 1) * image_size, ((i // (target_width // image_size)) + 1) * image_size)
        processed_images.append(resized_img.crop(box))
    return processed_images, (ratio[1], ratio[0])


# ---------------------------------------------------------------- llava/model/llava_arch.py
def merge_chessboard(x, num_split_h, num_split_w):
    B = x.shape[0]
    if x.dim() == 3:
        N = x.shape[1]
        side = int(N ** 0.5)
        x = x.reshape(B, side, side, -1).permute(0, 3, 1, 2)  # rearrange "b (h w) c -> b c h w"
    b = B // (num_split_h * num_split_w)
    return torch.cat([torch.cat([x[(i * num_split_w + j) * b:(i * num_split_w + j + 1) * b] for j in range(num_split_w)],
                                dim=-1) for i in range(num_split_h)], dim=-2)


def split_chessboard(x, num_split_h, num_split_w):
    B, C, H, W = x.shape
    h, w = H // num_split_h, W // num_split_w
    return torch.cat([x[:, :, i * h:(i + 1) * h, j * w:(j + 1) * w] for i in range(num_split_h) for j in range(num_split_w)],
                     dim=0)


def merge_features_for_dynamic_s2(image_features, block_sizes, scales, resize_output_to_scale_idx):
    image_features_each_image, new_block_sizes, block_cnt = [], [], 0
    for block_size_each_image in block_sizes:
        if block_size_each_image is None:  # an image that was not tiled (generate_content with several images)
            cur_features = image_features[block_cnt:block_cnt + 1]
            side = int(cur_features.shape[1] ** 0.5)
            cur_features = cur_features.reshape(1, side, side, -1).permute(0, 3, 1, 2)  # "1 (h w) c -> 1 c h w"
            image_features_each_image.append(cur_features.repeat(1, len(scales), 1, 1))
            new_block_sizes.append((1, 1))
            block_cnt += 1
            continue
        cur_features_each_scale = []
        for scale in scales[:-1]:
            num_blocks_this_scale = (scale // scales[0]) ** 2
            cur_features_each_scale.append(merge_chessboard(image_features[block_cnt:block_cnt + num_blocks_this_scale],
                                                            num_split_h=scale // scales[0], num_split_w=scale // scales[0]))
            block_cnt += num_blocks_this_scale
        num_blocks_last_scale = block_size_each_image[0] * block_size_each_image[1]
        cur_features_each_scale.append(merge_chessboard(image_features[block_cnt:block_cnt + num_blocks_last_scale],
                                                        num_split_h=block_size_each_image[0], num_split_w=block_size_each_image[1]))
        block_cnt += num_blocks_last_scale
        output_size = cur_features_each_scale[resize_output_to_scale_idx].shape[-2:]
        cur_features = torch.cat([F.interpolate(cur_features_each_scale[i].to(torch.float32), size=output_size, mode="area")
                                  for i in range(len(cur_features_each_scale))], dim=1)
        image_features_each_image.append(cur_features)
        if resize_output_to_scale_idx == len(scales) - 1 or resize_output_to_scale_idx == -1:
            new_block_sizes.append(block_size_each_image)
        else:
            side = scales[resize_output_to_scale_idx] // scales[0]
            new_block_sizes.append((side, side))
    assert block_cnt == len(image_features)
    return image_features_each_image, new_block_sizes


def encode_images(tile_features, block_sizes, scales, resize_idx, project):
    """encode_images with dynamic_s2: tile features [T, N, C] → (multi-scale maps, projected tokens) per image."""
    maps, new_block_sizes = merge_features_for_dynamic_s2(tile_features, block_sizes, scales, resize_idx)
    blocks = [split_chessboard(x, b[0], b[1]) for x, b in zip(maps, new_block_sizes)]
    blocks = torch.cat([x.flatten(2).transpose(1, 2) for x in blocks], dim=0)  # "b c h w -> b (h w) c"
    projected = project(blocks)
    projected = list(projected.split([b[0] * b[1] for b in new_block_sizes], dim=0))
    projected = [merge_chessboard(x, b[0], b[1]) for x, b in zip(projected, new_block_sizes)]
    projected = [x[0].flatten(1).transpose(0, 1) for x in projected]  # "1 c h w -> (h w) c"
    flat_maps = [x[0].flatten(1).transpose(0, 1) for x in maps]
    return flat_maps, projected


# ---------------------------------------------------------------- golden files
GRID_CONFIGS = {"nvila-8b": ([448, 896, 1344], 12), "tiny": ([28, 56, 84], 12), "two-scales-max-6": ([32, 64], 6)}
SIZES = [(w, h) for w in (1, 7, 28, 100, 320, 448, 640, 1000, 1344, 1920, 4000) for h in (1, 9, 28, 70, 240, 448, 480, 1080, 3000)]
SIZES += [(896, 672), (672, 896), (1344, 1008), (1280, 720), (720, 1280), (1024, 1024), (3, 1), (1, 3), (5, 2), (2, 5)]


def write_grids():
    out = {"generator": "golden/dynamic_s2.py: dynamic_s2_preprocess's choice (llava/mm_utils.py, NVlabs/VILA 36f6adc)",
           "configs": {}}
    for name, (scales, max_num) in GRID_CONFIGS.items():
        size = scales[0]
        ratios = target_ratios(scales, max_num)
        rows = []
        for w, h in SIZES:
            r = find_closest_aspect_ratio(w / h, ratios, w, h, size)
            rows.append({"width": w, "height": h, "rows": r[1], "cols": r[0]})
        out["configs"][name] = {"s2_scales": scales, "max_tiles": max_num, "grids": rows}
    with open(os.path.join(ROOT, "images", "dynamic-s2-grids.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


DYNAMIC_CONFIGS = {"nvila-lite": (448, 1, 12), "tiny": (98, 1, 6), "min-4": (64, 4, 9)}


def write_dynamic_grids():
    """NVILA-Lite's dynamic_preprocess grid choice (min_tiles..max_tiles) for the same image sizes."""
    out = {"generator": "golden/dynamic_s2.py: dynamic_preprocess's choice (llava/mm_utils.py, NVlabs/VILA 36f6adc)",
           "configs": {}}
    for name, (size, lo, hi) in DYNAMIC_CONFIGS.items():
        ratios = target_ratios_between(lo, hi)
        rows = []
        for w, h in SIZES:
            r = find_closest_aspect_ratio(w / h, ratios, w, h, size)
            rows.append({"width": w, "height": h, "rows": r[1], "cols": r[0]})
        out["configs"][name] = {"tile_size": size, "min_tiles": lo, "max_tiles": hi, "grids": rows}
    with open(os.path.join(ROOT, "images", "dynamic-grids.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


def write_tiles(processor_folder, files):
    from transformers import SiglipImageProcessorPil
    proc = SiglipImageProcessorPil.from_pretrained(processor_folder)
    size = proc.size["height"]
    scales, max_num = GRID_CONFIGS["tiny"]
    assert scales[0] == size
    tensors = {}
    for name in files:
        image = Image.open(os.path.join(ROOT, "images", "files", name)).convert("RGB")
        tiles, grid = dynamic_s2_preprocess(image, scales, max_num, size)
        px = np.stack([proc(t, return_tensors="np")["pixel_values"][0] for t in tiles])
        tensors[f"tiles.{name}"] = np.ascontiguousarray(px.astype(np.float32))
        tensors[f"grid.{name}"] = np.array(grid, dtype=np.int64)
    meta = {"format": "vlmkit-golden-images", "version": "1", "processor": os.path.relpath(processor_folder, ROOT),
            "s2_scales": ",".join(map(str, scales)), "max_tiles": str(max_num),
            "regenerate": "python golden/generate.py (see golden/requirements.txt)",
            "generator": f"golden/dynamic_s2.py (Pillow {Image.__version__})"}
    save_file(tensors, os.path.join(ROOT, "images", "dynamic-s2.golden.safetensors"), metadata=meta)


# ---------------------------------------------------------------- s2wrapper (VILA 1.5's "s2": true)
# github.com/bfshi/scaling_on_scales at 9c008a37540e761f53574b488979db6e49a64312, s2wrapper/core.py forward and
# s2wrapper/utils.py split_chessboard / merge_chessboard (einops' rearrange written as reshape + permute).
def s2_split_chessboard(x, num_split):
    B, C, H, W = x.shape
    h, w = H // num_split, W // num_split
    x = x.reshape(B, C, num_split, h, num_split, w).permute(2, 4, 0, 1, 3, 5)  # 'b c (nh h) (nw w) -> (nh nw b) c h w'
    return x.reshape(num_split * num_split * B, C, h, w)


def s2_merge_chessboard(x, num_split):
    B, C, H, W = x.shape
    b = B // (num_split ** 2)
    x = x.reshape(num_split, num_split, b, C, H, W).permute(2, 3, 0, 4, 1, 5)  # '(nh nw b) c h w -> b c (nh h) (nw w)'
    return x.reshape(b, C, num_split * H, num_split * W)


def s2_forward(model, input, img_sizes, max_split_size, resize_output_to_idx=0):
    """s2wrapper.forward with output_shape 'bnc' and no prefix tokens, as VILA's VisionTowerS2 calls it."""
    import math
    num_splits = [math.ceil(size / max_split_size) for size in img_sizes]
    input_multiscale = []
    for size, num_split in zip(img_sizes, num_splits):
        x = F.interpolate(input.to(torch.float32), size=size, mode='bicubic').to(input.dtype)
        input_multiscale.append(s2_split_chessboard(x, num_split=num_split))
    outs_multiscale = [model(x) for x in input_multiscale]
    outs_multiscale = [out.reshape(out.shape[0], int(out.shape[1] ** 0.5), int(out.shape[1] ** 0.5), -1).permute(0, 3, 1, 2)
                       for out in outs_multiscale]  # 'b (h w) c -> b c h w'
    outs_multiscale = [s2_merge_chessboard(out, num_split=n) for n, out in zip(num_splits, outs_multiscale)]
    output_size = outs_multiscale[resize_output_to_idx].shape[-2]
    out = torch.cat([F.interpolate(outs_multiscale[i].to(torch.float32), size=output_size, mode='area').to(outs_multiscale[i].dtype)
                     for i in range(len(outs_multiscale))], dim=1)
    return out.flatten(2).transpose(1, 2).contiguous()  # 'b c h w -> b (h w) c'
