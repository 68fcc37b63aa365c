#!/usr/bin/env python3
"""Checks that Python's `safetensors` loads the file VLMKit's writer produced
(golden/interop/vlmkit-written.safetensors) with the values VLMKit meant to write.
Run outside CI:  .venv-golden/bin/python golden/check_interop.py"""
import os
import torch
from safetensors import safe_open

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "interop", "vlmkit-written.safetensors")
values = [0, 1, -2.5, 3.25, 1e-8, -65504]
with safe_open(path, "pt") as f:
    assert f.metadata() == {"format": "pt", "writer": "vlmkit", "ünïcode": "✓"}, f.metadata()
    ref = torch.tensor(values, dtype=torch.float32).reshape(2, 3)
    assert torch.equal(f.get_tensor("f32"), ref)
    assert torch.equal(f.get_tensor("f16"), ref.to(torch.float16)), "f16 rounding differs from torch"
    assert torch.equal(f.get_tensor("bf16"), ref.to(torch.bfloat16)), "bf16 rounding differs from torch"
    assert f.get_tensor("ids").tolist() == [-200, 1, 9007199254740993]
    assert f.get_tensor("i8").tolist() == [-128, -1, 0, 127]
    assert tuple(f.get_tensor("empty").shape) == (0, 2)
    assert sorted(f.keys()) == ["bf16", "empty", "f16", "f32", "i8", "ids"]
print("OK: python safetensors reads", path)
