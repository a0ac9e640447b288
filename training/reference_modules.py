"""The reduced-precision reference kernels of `cove bench`, as TorchScript.

    python3 -m training.reference_modules --out engine/src/main/resources/ai/cove/engine/eval

The bench compares the model with a plain 3x3 convolution (64 -> 64 channels at 160x90) and a
2048^2 matmul in the model's number format. DJL 0.36 cannot create bfloat16 tensors from Java (the
JVM aborts), so for reduced precisions the reference runs inside TorchScript: float32 in and out,
the work in bfloat16 or float16, as the bundles' reduced-precision variants do it.
"""
import argparse
import os

import torch
import torch.nn.functional as F
from torch import nn

DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16}


class ReferenceConv(nn.Module):
    def __init__(self, dtype: torch.dtype):
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.dtype = dtype
        self.register_buffer("weight", torch.randn(64, 64, 3, 3, generator=gen).to(dtype))
        self.register_buffer("bias", torch.zeros(64).to(dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x.to(self.dtype), self.weight, self.bias, 1, 1).float()


class ReferenceMatmul(nn.Module):
    def __init__(self, dtype: torch.dtype):
        super().__init__()
        self.dtype = dtype

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        b = a.to(self.dtype)
        return torch.matmul(b, b).float()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name, dtype in DTYPES.items():
        torch.jit.save(torch.jit.script(ReferenceConv(dtype).eval()), os.path.join(args.out, f"reference-conv-{name}.pt"))
        torch.jit.save(torch.jit.script(ReferenceMatmul(dtype).eval()), os.path.join(args.out, f"reference-matmul-{name}.pt"))
        print(f"{name}: reference-conv-{name}.pt, reference-matmul-{name}.pt -> {args.out}")


if __name__ == "__main__":
    main()
