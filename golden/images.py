#!/usr/bin/env python3
"""Image fixtures and their preprocessing as Pillow + transformers compute it (never VLMKit).

Called by generate.py; also runs alone (`python golden/images.py`) once golden/models exists.
Writes under golden/images/:
  files/*.png, files/*.jpg          small test images of every kind the decoders must handle
  processors/*/preprocessor_config.json   real-size CLIP (336) and SigLIP (384) processors
  preprocess.golden.safetensors     per image, processor and image_aspect_ratio:
      geometry.<image>.<processor>.<aspect>      U8 [H, W, 3]: after resize / pad / crop
      pixel_values.<image>.<processor>.<aspect>  F32 [3, H, W]: after rescale and normalise (subset)
The pipeline is VILA's `process_image` (llava/mm_utils.py) with transformers' Pillow-backend
CLIPImageProcessor / SiglipImageProcessor (torchvision is not installed, so no "fast" processor).
"""
import io
import json
import os
import struct
import zlib

import numpy as np
from PIL import Image
from safetensors.numpy import save_file
from transformers import CLIPImageProcessor, CLIPImageProcessorPil, SiglipImageProcessor, SiglipImageProcessorPil

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ROOT, "images")
FILES = os.path.join(OUT, "files")


def scene(width: int, height: int, seed: int) -> np.ndarray:
    """Smooth gradients, hard edges and a little noise: exercises every resampling tap."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 255 * x / max(width - 1, 1)
    g = 255 * y / max(height - 1, 1)
    b = 128 + 100 * np.sin(x / 5.0) * np.cos(y / 7.0)
    img = np.stack([r, g, b], axis=-1)
    cx, cy, rad = width * 0.6, height * 0.4, min(width, height) * 0.3
    disc = (x - cx) ** 2 + (y - cy) ** 2 < rad ** 2
    img[disc] = [250, 30, 60]
    img[(x.astype(int) // 6 + y.astype(int) // 6) % 2 == 0] *= 0.85
    img += rng.normal(0, 6, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_rgb16_png(path: str, rgb16: np.ndarray) -> None:
    """Pillow cannot write 16-bit RGB PNGs; a minimal writer (filter 0 on every row)."""
    h, w, _ = rgb16.shape
    raw = b"".join(b"\x00" + rgb16[row].astype(">u2").tobytes() for row in range(h))
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
    data += png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def write_files() -> list:
    os.makedirs(FILES, exist_ok=True)
    made = []

    def save(name, image, **kw):
        image.save(os.path.join(FILES, name), **kw)
        made.append(name)

    save("scene-97x61.jpg", Image.fromarray(scene(97, 61, 1)), quality=90)
    save("scene-61x97-progressive-444.jpg", Image.fromarray(scene(61, 97, 2)), quality=85, progressive=True, subsampling=0)
    save("gray-45x45.jpg", Image.fromarray(scene(45, 45, 3)).convert("L"), quality=92)
    save("cmyk-40x30.jpg", Image.fromarray(scene(40, 30, 4)).convert("CMYK"), quality=95)
    save("photo-320x240.jpg", Image.fromarray(scene(320, 240, 5)), quality=88)
    save("wide-80x45.png", Image.fromarray(scene(80, 45, 6)))
    save("tall-gray-33x70.png", Image.fromarray(scene(33, 70, 7)).convert("L"))
    pal = Image.fromarray(scene(40, 40, 8)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    save("palette-40x40.png", pal, transparency=3)
    rgba = Image.fromarray(scene(50, 30, 9)).convert("RGBA")
    a = np.array(rgba)
    a[..., 3] = np.linspace(0, 255, 50, dtype=np.uint8)[None, :]
    save("rgba-50x30.png", Image.fromarray(a))
    save("tiny-7x5.png", Image.fromarray(scene(7, 5, 10)))
    g16 = (np.arange(24 * 18, dtype=np.uint16).reshape(18, 24) * 3)
    save("gray16-24x18.png", Image.fromarray(g16))
    rgb16 = (scene(26, 14, 11).astype(np.uint16) * 257 + np.arange(26, dtype=np.uint16)[None, :, None])
    write_rgb16_png(os.path.join(FILES, "rgb16-26x14.png"), rgb16)
    made.append("rgb16-26x14.png")
    return made


def write_processors() -> dict:
    """Real-size processors as VILA 1.5 ships them (CLIP ViT-L/14-336, SigLIP so400m 384)."""
    folders = {}
    for name, proc in [("clip-336", CLIPImageProcessor(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336})),
                       ("siglip-384", SiglipImageProcessor(size={"height": 384, "width": 384}))]:
        folder = os.path.join(OUT, "processors", name)
        proc.save_pretrained(folder)
        folders[name] = folder
    return folders


def pil_processor(folder: str):
    with open(os.path.join(folder, "preprocessor_config.json")) as f:
        kind = json.load(f)["image_processor_type"]
    cls = SiglipImageProcessorPil if "Siglip" in kind else CLIPImageProcessorPil
    return cls.from_pretrained(folder)


def vila_process(image: Image.Image, processor, aspect: str, **overrides) -> np.ndarray:
    """llava/mm_utils.py process_image, with the processor's own crop_size / size."""
    if aspect == "resize":
        crop = processor.crop_size if getattr(processor, "crop_size", None) is not None else processor.size
        image = image.resize((crop["height"], crop["width"]))
    if aspect == "pad":
        background = tuple(int(x * 255) for x in processor.image_mean)
        w, h = image.size
        if w != h:
            side = max(w, h)
            square = Image.new(image.mode, (side, side), background)
            square.paste(image, (0, (w - h) // 2) if w > h else ((h - w) // 2, 0))
            image = square
    return processor(image, return_tensors="np", **overrides)["pixel_values"][0]


def main() -> None:
    files = write_files()
    procs = {"clip56": os.path.join(ROOT, "models", "vila-clip-linear-f16", "vision_tower"),
             "siglip70": os.path.join(ROOT, "models", "vila-siglip-downsample-f32", "vision_tower")}
    procs.update(write_processors())
    tensors = {}
    full_pixels = {"scene-97x61.jpg", "tall-gray-33x70.png", "wide-80x45.png"}
    for name in files:
        image = Image.open(os.path.join(FILES, name)).convert("RGB")
        for pname, folder in procs.items():
            proc = pil_processor(folder)
            real_size = pname in ("clip-336", "siglip-384")
            if real_size and name != "photo-320x240.jpg":
                continue
            # Real-size outputs are large: one aspect mode each (CLIP crops, SigLIP pads).
            aspects = (["processor"] if pname == "clip-336" else ["pad"]) if real_size else ["processor", "resize", "pad"]
            for aspect in aspects:
                geo = vila_process(image, proc, aspect, do_rescale=False, do_normalize=False)
                assert np.all(geo == np.round(geo)), "geometry must be whole numbers"
                tensors[f"geometry.{name}.{pname}.{aspect}"] = np.ascontiguousarray(geo.transpose(1, 2, 0).astype(np.uint8))
                if name in full_pixels and not real_size:
                    px = vila_process(image, proc, aspect)
                    tensors[f"pixel_values.{name}.{pname}.{aspect}"] = np.ascontiguousarray(px.astype(np.float32))
    meta = {"format": "vlmkit-golden-images", "version": "1",
            "processors": json.dumps({k: os.path.relpath(v, ROOT) for k, v in procs.items()}),
            "regenerate": "python golden/generate.py (see golden/requirements.txt)",
            "generator": f"golden/images.py (Pillow {Image.__version__}, numpy {np.__version__})"}
    save_file(tensors, os.path.join(OUT, "preprocess.golden.safetensors"), metadata=meta)
    print(f"wrote {len(tensors)} tensors for {len(files)} images")


def write_alpha_files() -> list:
    """Images with alpha of every kind a PNG carries: RGBA, gray + alpha, a palette whose tRNS has
    several alpha levels, and (already above) a palette with one transparent entry."""
    made = []
    rgba = np.array(Image.fromarray(scene(37, 29, 12)).convert("RGBA"))
    rgba[..., 3] = (np.arange(37 * 29).reshape(29, 37) * 7 % 256).astype(np.uint8)
    Image.fromarray(rgba).save(os.path.join(FILES, "rgba-steps-37x29.png"))
    la = Image.fromarray(scene(30, 20, 13)).convert("LA")
    a = np.array(la)
    a[..., 1] = np.linspace(255, 0, 30, dtype=np.uint8)[None, :]
    Image.fromarray(a, mode="LA").save(os.path.join(FILES, "gray-alpha-30x20.png"))
    pal = Image.fromarray(scene(24, 24, 14)).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    pal.save(os.path.join(FILES, "palette-alpha-24x24.png"), transparency=bytes([0, 64, 128, 200, 255, 255, 30, 255]))
    made += ["rgba-steps-37x29.png", "gray-alpha-30x20.png", "palette-alpha-24x24.png"]
    return made


def alpha_main() -> None:
    """golden/images/alpha.golden.safetensors: images with alpha through each layout's reference
    pipeline. VILA (llava/mm_utils.py, process_image): Image.open(f).convert("RGB") — alpha dropped —
    then the processor. LLaVA-HF (transformers' LlavaProcessor is given the opened image): the
    processor's convert_to_rgb composites alpha onto white."""
    files = write_alpha_files() + ["rgba-50x30.png", "palette-40x40.png"]
    procs = {"vila-clip56": os.path.join(ROOT, "models", "vila-clip-linear-f16", "vision_tower"),
             "llava-hf-clip56": os.path.join(ROOT, "models", "llava-hf-f16")}
    tensors = {}
    for name in files:
        for pname, folder in procs.items():
            proc = pil_processor(folder)
            opened = Image.open(os.path.join(FILES, name))
            image = opened.convert("RGB") if pname.startswith("vila") else opened
            geo = proc(image, return_tensors="np", do_rescale=False, do_normalize=False)["pixel_values"][0]
            assert np.all(geo == np.round(geo))
            tensors[f"geometry.{name}.{pname}"] = np.ascontiguousarray(geo.transpose(1, 2, 0).astype(np.uint8))
            px = proc(image, return_tensors="np")["pixel_values"][0]
            tensors[f"pixel_values.{name}.{pname}"] = np.ascontiguousarray(px.astype(np.float32))
    meta = {"format": "vlmkit-golden-images", "version": "1",
            "processors": json.dumps({k: os.path.relpath(v, ROOT) for k, v in procs.items()}),
            "regenerate": "python golden/images.py --alpha (see golden/requirements.txt)",
            "generator": f"golden/images.py alpha_main (Pillow {Image.__version__}, numpy {np.__version__})"}
    save_file(tensors, os.path.join(OUT, "alpha.golden.safetensors"), metadata=meta)
    print(f"wrote {len(tensors)} alpha tensors for {len(files)} images")


if __name__ == "__main__":
    import sys
    if "--alpha" in sys.argv:
        alpha_main()
    else:
        main()
        alpha_main()
