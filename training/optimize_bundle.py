"""Fast-path experiment: writes a copy of a bundle whose TorchScript modules are frozen
(torch.jit.freeze: weights inlined as constants, conv+bias folded, dead code removed).

    python3 -m training.optimize_bundle models/candy /tmp/candy-frozen

Measure with `cove bench --style <copy> --no-pipeline` against the original (docs/BENCHMARKS.md).
"""
import json
import os
import shutil
import sys

import torch

from . import export


def main(argv=None):
    src, dst = (argv if argv is not None else sys.argv[1:])[:2]
    os.makedirs(dst, exist_ok=True)
    for key in export.MODULES:
        module = torch.jit.load(os.path.join(src, key + ".pt"), map_location="cpu").eval()
        torch.jit.save(torch.jit.freeze(module), os.path.join(dst, key + ".pt"))
    meta = export.read_meta(src)
    meta["name"] = os.path.basename(os.path.normpath(dst))
    meta.setdefault("made_by", {})["optimized"] = "torch.jit.freeze of " + src
    with open(os.path.join(dst, "bundle.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote frozen copy of {src} to {dst}")


if __name__ == "__main__":
    main()
