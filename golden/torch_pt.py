#!/usr/bin/env python3
"""Goldens for VLMKit's restricted torch.save reader: .pt files written by torch.save itself, each beside a
safetensors file (written by the safetensors package) with the same tensors, plus hostile .pt files for
the bad corpus are in scripts/make_bad_corpus.py. Writes golden/torch/.
"""
import os

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "torch")


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(7)
    # 1. A plain dict of every dtype the reader maps, incl. a 0-dim tensor and an empty one.
    plain = {
        "f16": torch.randn(3, 5, generator=g).half(), "f32": torch.randn(4, generator=g), "bf16": torch.randn(2, 3, generator=g).bfloat16(),
        "i16": torch.randint(-30000, 30000, (6, 2), generator=g, dtype=torch.int16),
        "i32": torch.randint(-2**31, 2**31 - 1, (5,), generator=g, dtype=torch.int32),
        "i64": torch.arange(7, dtype=torch.int64) * 10**12, "u8": torch.arange(9, dtype=torch.uint8),
        "i8": torch.arange(-4, 4, dtype=torch.int8), "bool": torch.tensor([True, False, True]),
        "f64": torch.randn(2, 2, generator=g, dtype=torch.float64), "scalar": torch.tensor(3.5), "empty": torch.zeros(0, 4),
    }
    torch.save(plain, os.path.join(OUT, "plain.pt"))
    save_file({k: v.contiguous() for k, v in plain.items()}, os.path.join(OUT, "plain.expected.safetensors"))
    # 2. A module's state_dict (an OrderedDict with _metadata, set by BUILD) with views sharing one storage.
    lin = torch.nn.Linear(6, 4)
    torch.nn.init.normal_(lin.weight, generator=g)
    base = torch.randn(10, 8, generator=g).half()
    sd = lin.state_dict()  # keeps its _metadata attribute (pickled with BUILD)
    sd["rows"] = base[2:5]          # a contiguous view into base's storage, offset 16
    sd["base"] = base
    torch.save(sd, os.path.join(OUT, "state-dict.pt"))
    save_file({k: v.contiguous().clone() for k, v in sd.items()}, os.path.join(OUT, "state-dict.expected.safetensors"))
    # 3. Parameters (saved through _rebuild_parameter).
    params = {"w": torch.nn.Parameter(torch.randn(3, 3, generator=g)), "b": torch.nn.Parameter(torch.zeros(3), requires_grad=False)}
    torch.save(params, os.path.join(OUT, "parameters.pt"))
    save_file({k: v.detach().contiguous() for k, v in params.items()}, os.path.join(OUT, "parameters.expected.safetensors"))
    # 4. Not contiguous: a transposed view is refused (the reader reads row-major tensors only).
    torch.save({"t": torch.randn(3, 4, generator=g).t()}, os.path.join(OUT, "transposed.pt"))
    print("golden/torch written")


if __name__ == "__main__":
    main()
