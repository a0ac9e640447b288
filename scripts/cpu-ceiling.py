"""How much two independent single-threaded workers get out of this machine's cores together: the
same 3x3 convolution (64 -> 64 channels, 128x128) in one process, then in two processes at once.
The ratio bounds what N single-threaded TaskManagers can gain over one (docs/BENCHMARKS.md).

    /usr/bin/python3 scripts/cpu-ceiling.py [--workers 2] [--seconds 8]
"""
import argparse
import multiprocessing as mp
import time

import torch


def convs_per_second(seconds: float) -> float:
    torch.set_num_threads(1)
    x = torch.randn(1, 64, 128, 128)
    conv = torch.nn.Conv2d(64, 64, 3, padding=1)
    with torch.no_grad():
        for _ in range(3):
            conv(x)
        start, n = time.time(), 0
        while time.time() - start < seconds:
            conv(x)
            n += 1
    return n / (time.time() - start)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seconds", type=float, default=8.0)
    args = p.parse_args()
    one = convs_per_second(args.seconds)
    with mp.get_context("spawn").Pool(args.workers) as pool:
        many = pool.map(convs_per_second, [args.seconds] * args.workers)
    print(f"1 worker: {one:.2f} conv/s; {args.workers} at once: {' + '.join(f'{r:.2f}' for r in many)} "
          f"= {sum(many):.2f} conv/s: {sum(many) / one:.2f}x")


if __name__ == "__main__":
    main()
