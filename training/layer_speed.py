"""Where the style network runs below the machine's convolution peak: each operator of Net0 (the
bundle's encoder and decoder in their inference form, float32) at a frame size, its time per frame
and, for convolutions, GFLOP/s against a 3x3 conv 64->64 at 160x90 timed in the same run.

    python3 -m training.layer_speed models/candy-imagenet --size 640x368 --threads 2

This is the Debian torch (the training side), not the libtorch that cove's Java side loads: the
operators and their shapes are the same, their speeds are indicative.
"""
import argparse
import time
from collections import defaultdict

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

from training import export, networks


def style_network(bundle: str) -> torch.nn.Module:
    return networks.inference_form(networks.style_network(export.load_bundle(bundle))).eval()


def reference_gflops(repeats: int) -> float:
    """GFLOP/s of the bench's reference: a 3x3 conv 64->64 on a 160x90 map (padding 1)."""
    x, w = torch.rand(1, 64, 90, 160), torch.rand(64, 64, 3, 3)
    for _ in range(3):
        F.conv2d(x, w, padding=1)
    t0 = time.perf_counter()
    for _ in range(repeats):
        F.conv2d(x, w, padding=1)
    return 2 * 64 * 64 * 9 * 90 * 160 * repeats / (time.perf_counter() - t0) / 1e9


def operator_times(model: torch.nn.Module, x: torch.Tensor, frames: int):
    """Per (operator, input shapes): calls per frame, ms per frame, GFLOP per frame (convolutions)."""
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True, with_flops=True) as prof:
        for _ in range(frames):
            model(x)
    rows = defaultdict(lambda: [0, 0.0, 0.0])
    for e in prof.key_averages(group_by_input_shape=True):
        if e.key.startswith("aten::") and e.key not in NESTED:
            r = rows[(e.key, str(e.input_shapes))]
            r[0] += e.count / frames
            r[1] += e.self_cpu_time_total / 1e3 / frames if e.key not in CONV else e.cpu_time_total / 1e3 / frames
            r[2] += (e.flops or 0) / 1e9 / frames
    return rows


# convolution is timed with its children (mkldnn_convolution etc.), whose own rows are left out
CONV = {"aten::conv2d"}
NESTED = {"aten::convolution", "aten::_convolution", "aten::mkldnn_convolution", "aten::thnn_conv2d",
          "aten::_slow_conv2d_forward", "aten::empty", "aten::as_strided", "aten::resize_", "aten::view",
          "aten::contiguous", "aten::to", "aten::_to_copy", "aten::empty_strided", "aten::expand",
          "aten::reshape", "aten::_reshape_alias", "aten::unsqueeze", "aten::squeeze", "aten::t",
          "aten::transpose", "aten::permute", "aten::slice", "aten::select", "aten::detach", "aten::lift_fresh",
          "aten::zeros", "aten::fill_", "aten::zero_"}


def _rate_cells(gflop: float, ms: float, ref: float) -> str:
    """The GFLOP/s and vs-reference cells of a row that did gflop GFLOP in ms milliseconds."""
    rate = gflop / ms * 1e3
    return f"{rate:.0f} | {100 * rate / ref:.0f}% |"


def table(rows, ref: float) -> str:
    total = sum(r[1] for r in rows.values())
    out = ["| operator | input shapes | calls per frame | ms per frame | share | GFLOP/s | vs reference conv |",
           "|---|---|---|---|---|---|---|"]
    for (op, shapes), (calls, ms, gflop) in sorted(rows.items(), key=lambda kv: -kv[1][1]):
        if ms < 0.05 * total / 100:
            continue
        out.append(f"| {op} | {shapes} | {calls:g} | {ms:.1f} | {100 * ms / total:.1f}% | "
                   + (_rate_cells(gflop, ms, ref) if gflop > 0 else "- | - |"))
    flops = sum(r[2] for r in rows.values())
    out.append(f"| **all** | | | **{total:.1f}** | | " + _rate_cells(flops, total, ref))
    conv_ms = sum(ms for (op, _), (_, ms, _) in rows.items() if op in CONV)
    conv_flops = sum(gflop for (op, _), (_, _, gflop) in rows.items() if op in CONV)
    # the ceiling for this network: its rate if every pass outside the convolutions took no time
    out.append(f"| **convolutions alone** | | | **{conv_ms:.1f}** | {100 * conv_ms / total:.1f}% | "
               + _rate_cells(conv_flops, conv_ms, ref))
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundle")
    p.add_argument("--size", default="640x368", help="WxH of the input (a multiple of 16)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--frames", type=int, default=5)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    w, h = (int(v) for v in args.size.split("x"))
    model = style_network(args.bundle)
    x = torch.rand(1, 3, h, w)
    with torch.no_grad():
        for _ in range(2):
            model(x)
        ref_before = reference_gflops(20)
        rows = operator_times(model, x, args.frames)
        ref = (ref_before + reference_gflops(20)) / 2
    print(f"Net0 of {args.bundle} at {w}x{h}, float32, {args.threads} threads, torch {torch.__version__}; reference "
          f"3x3 conv 64->64 at 160x90: {ref:.0f} GFLOP/s (mean of before and after)\n")
    print(table(rows, ref))


if __name__ == "__main__":
    main()
