#!/usr/bin/env python3
"""llm-awq / TinyChat real-quant packing goldens. llm-awq's module imports its CUDA extension at the top
(awq_inference_engine), so its packing is transcribed here, line for line, from mit-han-lab/llm-awq at
5f06dbbed109f05b4a8e50556fbcf5115652ed85, awq/quantize/qmodule.py: calculate_zeros_width, pack_intweight and
WQLinear.from_linear (scales padded to calculate_zeros_width × 8 groups and transposed, scaled_zeros =
−(scales · zeros) in float16, qweight int16 [N/4, K] with interleave 4 and kstride 64). Scales and zeros are
AWQ's zero-point pseudo-quantization (awq/quantize/quantizer.py pseudo_quantize_tensor, same formula as
AutoAWQ's). The reference dequantization is what TinyChat's kernels compute per weight, q · s + scaled_zero in
float16. Writes golden/quantized/llm-awq.golden.safetensors.
"""
import os

import numpy as np
import torch
from safetensors.torch import save_file

# llm-awq's pseudo_quantize_tensor (zero point) is the same formula as AutoAWQ's, transcribed there.
from autoawq_pack import pseudo_quantize

HERE = os.path.dirname(os.path.abspath(__file__))


def make_divisible(c, divisor):
    return (c + divisor - 1) // divisor


def calculate_zeros_width(in_features, group_size=128, pack_num=8):
    if group_size >= 128:
        size_multiplier = 1
    elif group_size == 64:
        size_multiplier = 2
    elif group_size == 32:
        size_multiplier = 4
    else:
        raise NotImplementedError
    base_width = make_divisible(in_features // group_size, pack_num)
    base_width = make_divisible(base_width, size_multiplier) * size_multiplier
    return base_width


def pack_intweight(unpacked_qweight, interleave, kstride):
    N, K = unpacked_qweight.shape
    Packed_Kernel = unpacked_qweight.cpu().numpy().reshape(N, K // 32, 32)
    Packed_Kernel = Packed_Kernel.reshape(N, K // 32, 4, 4, 2).transpose(0, 1, 3, 2, 4)
    Packed_Kernel = Packed_Kernel.reshape(N, K // 32, 32)
    Packed_Kernel = Packed_Kernel.reshape(N, K // 32, 4, 8)
    Packed_Kernel = Packed_Kernel.reshape(N, K // 32, 4, 4, 2).transpose(0, 1, 2, 4, 3)
    Packed_Kernel = Packed_Kernel.reshape(N, K)
    Packed_Kernel = Packed_Kernel.reshape(N // interleave, interleave, K // kstride, kstride)
    Packed_Kernel = Packed_Kernel.transpose(0, 2, 1, 3)
    Packed_Kernel = Packed_Kernel.reshape(N // interleave, K // kstride, kstride, interleave)
    Packed_Kernel = (Packed_Kernel[..., 0] | (Packed_Kernel[..., 1] << 4) | (Packed_Kernel[..., 2] << 8)
                     | (Packed_Kernel[..., 3] << 12))
    Packed_Kernel = Packed_Kernel.reshape(N // interleave, K)
    return torch.tensor(Packed_Kernel.astype("int16")).contiguous()


def from_linear(weight, group_size, scales, zeros):
    """WQLinear.from_linear's tensors: qweight, scales [G_pad, N], scaled_zeros [G_pad, N]."""
    out_features, in_features = weight.shape
    scale_zeros = zeros * scales
    pack_num = 8
    qscales = torch.zeros((scales.shape[0], calculate_zeros_width(in_features, group_size) * pack_num), dtype=torch.float16)
    qscales[:, : scales.shape[1]] = scales
    intweight = []
    for idx in range(in_features):
        intweight.append(torch.round((weight[:, idx] + scale_zeros[:, idx // group_size]) / qscales[:, idx // group_size]).to(torch.int)[:, None])
    intweight = torch.cat(intweight, dim=1).to(dtype=torch.int32)
    qweight = pack_intweight(intweight.contiguous(), interleave=4, kstride=64)
    zeros = zeros.to(dtype=torch.int32)
    scaled_zeros = torch.zeros_like(qscales)
    scaled_zeros[:, : scales.shape[1]] = -(qscales[:, : scales.shape[1]] * (zeros.to(torch.float32))).to(torch.float16)
    return qweight, qscales.transpose(1, 0).contiguous(), scaled_zeros.transpose(1, 0).contiguous(), intweight


def main():
    g = torch.Generator().manual_seed(31)
    tensors = {}
    for tag, (n, k, group) in {"g128": (16, 384, 128), "g64": (8, 128, 64)}.items():
        w = (torch.randn(n, k, generator=g) * torch.linspace(0.2, 2.5, k)).half()
        scales, zeros = pseudo_quantize(w, group)
        qweight, qscales, qzeros, intweight = from_linear(w, group, scales, zeros)
        assert 0 <= int(intweight.min()) and int(intweight.max()) <= 15, "pack_intweight does not mask: draw other weights"
        groups = k // group
        s = qscales[:groups].t().float()            # [N, groups]
        sz = qzeros[:groups].t().float()
        rep = lambda t: t.repeat_interleave(group, dim=1)
        reference = (intweight.float() * rep(s) + rep(sz)).half()  # TinyChat: q * s + scaled_zero, in float16
        tensors.update({f"{tag}.qweight": qweight, f"{tag}.scales": qscales, f"{tag}.scaled_zeros": qzeros,
                        f"{tag}.expected.q": intweight.to(torch.uint8).contiguous(),
                        f"{tag}.expected.zeros": zeros.to(torch.uint8).contiguous(),
                        f"{tag}.expected.weight": reference.contiguous()})
    meta = {"format": "vlmkit-golden-quantized", "version": "1",
            "packer": "llm-awq 5f06dbbed109f05b4a8e50556fbcf5115652ed85 awq/quantize/qmodule.py, transcribed",
            "regenerate": "python golden/llm_awq_pack.py"}
    out = os.path.join(HERE, "quantized", "llm-awq.golden.safetensors")
    save_file(tensors, out, metadata=meta)
    print(f"wrote {out}: {len(tensors)} tensors")


if __name__ == "__main__":
    main()
