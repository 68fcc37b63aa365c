#!/usr/bin/env python3
"""GPTQ packing goldens, made by AutoGPTQ's own code (auto-gptq 0.7.1 from PyPI, CPU):
auto_gptq/nn_modules/qlinear/qlinear_cuda_old.py QuantLinear.pack packs qweight/qzeros (the v1 format, zeros
stored as z − 1) and the same QuantLinear's CPU forward is the reference dequantization (run on an identity
input). The module is loaded by path (the package's __init__ imports its model zoo). Scales and zero-points
follow GPTQ's Quantizer.find_params (auto_gptq/quantization/quantizer.py; asymmetric, per output row and
group, min and max taken with 0), transcribed below. The v2 format (`checkpoint_format: gptq_v2`, zeros stored
as z) is v1's qzeros with 1 added to every 4-bit value, as GPTQModel's v1 → v2 conversion does
(convert_gptq_v1_to_v2_format: qzeros + 0x11111111 for 4 bits).
Writes golden/quantized/gptq.golden.safetensors.
"""
import importlib.util
import os
import sys

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def load_quant_linear(module="qlinear_cuda_old"):
    """qlinear_cuda_old packs groups of consecutive inputs (it ignores g_idx); qlinear_cuda follows g_idx (act-order)."""
    root = os.path.dirname(importlib.util.find_spec("auto_gptq").origin)
    spec = importlib.util.spec_from_file_location(module, os.path.join(root, "nn_modules", "qlinear", module + ".py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[module] = mod
    spec.loader.exec_module(mod)
    return mod.QuantLinear


def find_params(w: torch.Tensor, group: int, maxq: int = 15):
    """Quantizer.find_params (asymmetric) per row of each group: scales and zeros [N, groups]."""
    n, k = w.shape
    x = w.float().reshape(n, k // group, group)
    xmin = torch.minimum(x.amin(-1), torch.zeros(()))
    xmax = torch.maximum(x.amax(-1), torch.zeros(()))
    both = (xmin == 0) & (xmax == 0)
    xmin[both], xmax[both] = -1, 1
    scale = (xmax - xmin) / maxq
    zero = torch.round(-xmin / scale)
    return scale, zero


def main():
    QuantLinear = load_quant_linear()
    g = torch.Generator().manual_seed(23)
    tensors = {}
    for tag, (n, k, group) in {"g128": (64, 256, 128), "g64": (32, 192, 64)}.items():
        lin = torch.nn.Linear(k, n, bias=False)
        with torch.no_grad():
            lin.weight.copy_(torch.randn(n, k, generator=g) * torch.linspace(0.3, 2.0, k))
        lin = lin.half()
        scale, zero = find_params(lin.weight.data, group)
        assert int(zero.min()) >= 1, "GPTQ v1 cannot store z = 0 (z - 1 wraps): draw other weights"
        q = QuantLinear(4, group, k, n, False, weight_dtype=torch.float16)
        q.pack(lin, scale.half(), zero.half(), torch.tensor([i // group for i in range(k)], dtype=torch.int32))
        with torch.no_grad():
            reference = q(torch.eye(k, dtype=torch.float16))  # [K, N]: row k is input k's weights
        tensors[f"{tag}.qweight"] = q.qweight.contiguous()
        tensors[f"{tag}.qzeros"] = q.qzeros.contiguous()
        tensors[f"{tag}.qzeros_v2"] = (q.qzeros.view(torch.int32) + 0x11111111).contiguous()
        tensors[f"{tag}.scales"] = q.scales.contiguous()
        tensors[f"{tag}.g_idx"] = q.g_idx.contiguous()
        tensors[f"{tag}.expected.weight"] = reference.t().contiguous()
        tensors[f"{tag}.expected.zeros"] = zero.to(torch.uint8).contiguous()
    meta = {"format": "vlmkit-golden-quantized", "version": "1", "packer": "auto-gptq 0.7.1 qlinear_cuda_old.QuantLinear.pack",
            "regenerate": "python golden/gptq_pack.py (pip install --no-deps -r golden/requirements-packers.txt)"}
    out = os.path.join(HERE, "quantized", "gptq.golden.safetensors")
    save_file(tensors, out, metadata=meta)
    print(f"wrote {out}: {len(tensors)} tensors")


if __name__ == "__main__":
    main()
