"""Counts multiply-add FLOPs (2 per MAC) of convolutions and linear layers with forward hooks."""
from typing import Callable

import torch
from torch import nn


def count(fn: Callable[[], object], module: nn.Module) -> int:
    """FLOPs of the conv/linear layers of `module` while `fn()` runs (elementwise ops are ignored)."""
    total = [0]

    def conv_hook(m, inputs, out):
        k = m.kernel_size[0] * m.kernel_size[1]
        total[0] += 2 * (m.in_channels // m.groups) * k * out.numel()

    def linear_hook(m, inputs, out):
        total[0] += 2 * m.in_features * out.numel()

    handles = []
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    try:
        with torch.no_grad():
            fn()
    finally:
        for h in handles:
            h.remove()
    return total[0]


def net_gflops(net, height: int = 368, width: int = 640):
    """GFLOPs of Net0 and Net1 on one padded frame (640x360 pads to 640x368)."""
    x = torch.rand(1, 3, height, width)
    with torch.no_grad():
        feats = net.encoder(x)
    net0 = count(lambda: net.net0(x), net)
    net1 = count(lambda: net.net1(x, x, feats), net)
    return {"net0": round(net0 / 1e9, 3), "net1": round(net1 / 1e9, 3), "at": f"{width}x{height}"}
