"""Convert an nsfwjs Keras model into a frozen float32 TorchScript feature network for
`train_style --loss-net` and for the style-distance metric of `cove eval`.

    python3 -m training.lossnet.convert --model inception_v3 \
        --layers activation_3,activation_5,mixed0,mixed2,mixed5 --out .cache/lossnet/inception_v3.pt

The saved module follows the --loss-net contract (losses.TorchScriptFeatureNet): it takes an
ImageNet-normalised RGB image [N,3,H,W] and returns the listed layers' activations (NCHW) in that
order. Inside, it undoes the ImageNet normalisation and feeds the network the range it expects:
`--input-range inception` ([-1, 1], the Keras ImageNet training convention of these frozen layers)
or `nsfwjs` ([0, 1], what nsfwjs feeds its classifier). BatchNormalization is folded into the
convolutions. Any input size works: the converted layers have no size-dependent padding.
"""
import argparse
import json
import os
from typing import List, Sequence

import torch
from torch import nn

from .. import export
from . import fetch, keras

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
INPUT_RANGES = {"inception": (2.0, -1.0), "nsfwjs": (1.0, 0.0)}  # x -> a * x + b for x in [0, 1]
# Layers whose weights nsfwjs left frozen (trainable: false), i.e. the original ImageNet weights.
LAST_FROZEN = {"inception_v3": "conv2d_55", "mobilenet_v2": "block_10_project_BN"}


class FeatureNet(nn.Module):
    def __init__(self, graph: keras.KerasGraph, input_range: str):
        super().__init__()
        self.graph = graph
        a, b = INPUT_RANGES[input_range]
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        # a * (x * std + mean) + b as one affine map of the normalised input
        self.register_buffer("scale", a * std)
        self.register_buffer("shift", a * mean + b)

    def forward(self, normalised: torch.Tensor) -> List[torch.Tensor]:
        return self.graph(normalised * self.scale + self.shift)


def build(model: str, layers: Sequence[str], input_range: str = "inception", cache: str = fetch.DEFAULT_CACHE,
          fold: bool = True) -> FeatureNet:
    topology, weights = keras.load_dump(fetch.model_dir(model, cache))
    graph = keras.KerasGraph(topology, weights, layers).eval()
    if fold:
        graph.fold_batchnorm()
    return FeatureNet(graph, input_range).eval()


def frozen_layers(model: str, cache: str = fetch.DEFAULT_CACHE) -> List[str]:
    """Layer names in graph order up to the last one nsfwjs kept frozen."""
    topology, _ = keras.load_dump(fetch.model_dir(model, cache))
    names = [l["name"] for l in topology["modelTopology"]["model_config"]["config"]["layers"]]
    return names[:names.index(LAST_FROZEN[model]) + 1]


def script(net: FeatureNet, probe_size=(256, 256)) -> torch.jit.ScriptModule:
    dependent = net.graph.size_dependent()
    if dependent:
        raise SystemExit(f"layers {dependent} pad by the input size: they cannot be traced for every size")
    with torch.no_grad():
        return torch.jit.trace(net, torch.zeros(1, 3, *probe_size), check_trace=False, strict=False)


def provenance_path(module_path: str) -> str:
    return module_path + ".json"


def provenance(module_path: str):
    """How a converted loss network was made ({"command", "package", "integrity"}), or None for a
    TorchScript file this converter did not write."""
    path = provenance_path(module_path)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="inception_v3", choices=fetch.MODELS)
    p.add_argument("--layers", required=True, help="comma-separated layer names to return, in order")
    p.add_argument("--input-range", default="inception", choices=sorted(INPUT_RANGES))
    p.add_argument("--out", required=True)
    p.add_argument("--cache", default=fetch.DEFAULT_CACHE)
    p.add_argument("--allow-trainable", action="store_true",
                   help="allow layers that nsfwjs fine-tuned (not the original ImageNet weights)")
    args = p.parse_args(argv)
    layers = args.layers.split(",")
    frozen = set(frozen_layers(args.model, args.cache))
    outside = [l for l in layers if l not in frozen]
    if outside and not args.allow_trainable:
        raise SystemExit(f"{outside} come after {LAST_FROZEN[args.model]}, the last layer with ImageNet weights; "
                         "pass --allow-trainable to use them anyway")
    module = script(build(args.model, layers, args.input_range, args.cache))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    module.save(args.out)
    with open(provenance_path(args.out), "w") as f:  # read by train_style, so that recipes start here
        json.dump({"command": export.command_line("lossnet.convert", argv), "package": fetch.PACKAGE,
                   "integrity": fetch.INTEGRITY}, f, indent=2)
    print(f"{args.model} [{', '.join(layers)}] ({args.input_range} input) -> {args.out}")


if __name__ == "__main__":
    main()
