"""The speed side of the style network's width: Net0 (encoder + decoder in their inference form) at
Johnson et al.'s full width (32, 64, 128 channels) against the half width cove ships (16, 32, 64),
float32 and bfloat16 autocast, timed in interleaved rounds in one process (weights do not change
the time, so both are untrained).

    python3 -m training.width_speed --size 640x368 --threads 2

This is the Debian torch (the training side), not the libtorch that cove's Java side loads; the
ratio between the widths is what carries over (docs/EVAL.md "How the shipped bundles are made").
"""
import argparse
import time
from typing import Dict, List

import torch

from training import networks

WIDTHS = {"half": (16, 32, 64), "full": (32, 64, 128)}


def style_networks() -> Dict[str, torch.nn.Module]:
    """Net0 of each width (eager, untrained)."""
    return {name: networks.style_network(networks.build(channels)) for name, channels in WIDTHS.items()}


def scripted(net: torch.nn.Module) -> torch.jit.ScriptModule:
    """Net0 scripted and frozen in its inference form, as a bundle's modules run."""
    return torch.jit.freeze(torch.jit.script(networks.inference_form(net).eval()))


def parameters(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def time_rounds(nets: Dict[str, torch.jit.ScriptModule], x: torch.Tensor, rounds: int, calls: int) -> Dict[str, List[float]]:
    """ms per call of every (width, precision), the widths and precisions alternating in each round."""
    def run(net, bf16: bool):
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            return net(x)
    for name, net in nets.items():
        for bf16 in (False, True):
            run(net, bf16)   # first calls profile and compile
            run(net, bf16)
    times: Dict[str, List[float]] = {}
    for _ in range(rounds):
        for bf16 in (False, True):
            for name, net in nets.items():
                start = time.perf_counter()
                for _ in range(calls):
                    run(net, bf16)
                times.setdefault(f"{name} {'bfloat16' if bf16 else 'float32'}", []).append(
                    (time.perf_counter() - start) / calls * 1e3)
    return times


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", default="640x368", help="WxH of the input (a multiple of 16)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--calls", type=int, default=5, help="calls per width and precision in each round")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    w, h = (int(v) for v in args.size.split("x"))
    nets = style_networks()
    times = time_rounds({name: scripted(net) for name, net in nets.items()}, torch.rand(1, 3, h, w),
                        args.rounds, args.calls)
    median = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    print(f"Net0 at {w}x{h}, {args.threads} threads, torch {torch.__version__}, median of {args.rounds} rounds; "
          f"parameters half {parameters(nets['half'])}, full {parameters(nets['full'])}")
    print("| width | float32 ms | bfloat16 ms |\n|---|---|---|")
    for name in WIDTHS:
        print(f"| {name} | {median[name + ' float32']:.1f} | {median[name + ' bfloat16']:.1f} |")
    for precision in ("float32", "bfloat16"):
        print(f"full / half, {precision}: {median['full ' + precision] / median['half ' + precision]:.2f}")


if __name__ == "__main__":
    main()
