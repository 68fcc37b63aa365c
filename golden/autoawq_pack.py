#!/usr/bin/env python3
"""AutoAWQ GEMM packing goldens, made by AutoAWQ's own code (autoawq 0.2.9 from PyPI, CPU):
awq/modules/linear/gemm.py WQLinear_GEMM.from_linear packs qweight/qzeros, and
awq/utils/packing_utils.py dequantize_gemm is the reference dequantization. The package's __init__ pulls in
its model zoo (transformers, accelerate), so the two modules are loaded by path with the one helper they need
(get_best_device) stubbed to "cpu". Scales and zero-points come from AwqQuantizer.pseudo_quantize_tensor's
zero-point branch (awq/quantize/quantizer.py), transcribed below, in the weight's float16.
Writes golden/quantized/autoawq-gemm.golden.safetensors.
"""
import importlib.util
import os
import sys
import types

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def load_autoawq():
    if "awq.modules.linear.gemm" in sys.modules:  # loaded already in this process
        return sys.modules["awq.modules.linear.gemm"].WQLinear_GEMM, sys.modules["awq.utils.packing_utils"].dequantize_gemm
    spec = importlib.util.find_spec("awq")
    root = os.path.dirname(spec.origin)
    for name in ["awq", "awq.utils", "awq.modules", "awq.modules.linear"]:
        m = types.ModuleType(name)
        m.__path__ = [os.path.join(root, *name.split(".")[1:])]
        sys.modules[name] = m
    utils = types.ModuleType("awq.utils.utils")
    utils.get_best_device = lambda: "cpu"
    sys.modules["awq.utils.utils"] = utils

    def by_path(name, rel):
        s = importlib.util.spec_from_file_location(name, os.path.join(root, rel))
        mod = importlib.util.module_from_spec(s)
        sys.modules[name] = mod
        s.loader.exec_module(mod)
        return mod
    by_path("awq.utils.module", "utils/module.py")
    packing = by_path("awq.utils.packing_utils", "utils/packing_utils.py")
    gemm = by_path("awq.modules.linear.gemm", "modules/linear/gemm.py")
    return gemm.WQLinear_GEMM, packing.dequantize_gemm


def pseudo_quantize(w: torch.Tensor, group_size: int, w_bit: int = 4):
    """AwqQuantizer.pseudo_quantize_tensor, zero_point=True: scales and zeros per group, [rows, groups]."""
    shape = w.shape
    w = w.reshape(-1, group_size)
    max_val, min_val = w.amax(dim=1, keepdim=True), w.amin(dim=1, keepdim=True)
    max_int = 2 ** w_bit - 1
    scales = (max_val - min_val).clamp(min=1e-5) / max_int
    zeros = (-torch.round(min_val / scales)).clamp_(0, max_int)
    return scales.view(shape[0], -1), zeros.view(shape[0], -1)


def main():
    WQLinear_GEMM, dequantize_gemm = load_autoawq()
    g = torch.Generator().manual_seed(11)
    tensors = {}
    # (out N, in K, group): AutoAWQ sizes qweight as N // 32 * 4 columns, so N is a multiple of 32; K of the group.
    for tag, (n, k, group) in {"g128": (64, 256, 128), "g64": (32, 192, 64), "g32": (96, 96, 32)}.items():
        lin = torch.nn.Linear(k, n, bias=True)
        with torch.no_grad():
            lin.weight.copy_(torch.randn(n, k, generator=g) * torch.linspace(0.2, 3.0, k))
            lin.bias.copy_(torch.randn(n, generator=g))
        lin = lin.half()
        scales, zeros = pseudo_quantize(lin.weight.data, group)
        q = WQLinear_GEMM.from_linear(lin, 4, group, scales=scales.t().contiguous(), zeros=zeros.t().contiguous())
        tensors[f"{tag}.qweight"] = q.qweight.contiguous()
        tensors[f"{tag}.qzeros"] = q.qzeros.contiguous()
        tensors[f"{tag}.scales"] = q.scales.contiguous()
        tensors[f"{tag}.bias"] = q.bias.contiguous()
        # The reference dequantization, [K, N] fp16 (AutoAWQ computes (q - z) * s in float16), as [N, K].
        tensors[f"{tag}.expected.weight"] = dequantize_gemm(q.qweight, q.qzeros, q.scales, 4, group).t().contiguous()
        tensors[f"{tag}.expected.zeros"] = zeros.to(torch.uint8).contiguous()
    meta = {"format": "vlmkit-golden-quantized", "version": "1", "packer": "autoawq 0.2.9 WQLinear_GEMM.from_linear",
            "regenerate": "python golden/autoawq_pack.py (pip install --no-deps autoawq==0.2.9)"}
    out = os.path.join(HERE, "quantized", "autoawq-gemm.golden.safetensors")
    save_file(tensors, out, metadata=meta)
    print(f"wrote {out}: {len(tensors)} tensors")


if __name__ == "__main__":
    main()
