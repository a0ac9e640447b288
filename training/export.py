"""TorchScript model bundles: the contract between training (Python) and the engine (Java).

A bundle is a folder with bundle.json and one TorchScript file per sub-network. Signatures
(N = 1, H and W multiples of size_multiple, h = H / 4, w = W / 4, C = feature_channels):
  encoder.pt  forward(image [N,3,H,W] RGB in [0,1]) -> features [N,C,h,w]
  decoder.pt  forward(features [N,C,h,w]) -> image [N,3,H,W] RGB in [0,1]
  flow.pt     forward(previous [N,3,H,W], current [N,3,H,W]) -> flow [N,2,h,w] (backward, feature pixels)
  warp.pt     forward(source [N,C,h,w], flow [N,2,h,w]) -> warped [N,C,h,w]
              (bilinear, or bicubic when architecture.warp says so)
  mask.pt     forward(features [N,C,h,w], warped [N,C,h,w]) -> mask [N,1,h,w] in [0,1]
              or, with architecture.mask_evidence "image", forward(features, warped,
              previous_image [N,3,H,W], image [N,3,H,W], flow [N,2,h,w]); the engine tells the two
              apart by the length of modules.mask.inputs
The composition F^o = (1 - M) F + M F' is done by the caller. DIS bundles (flow_source "dis") also
carry dis_downscale and, where DIS departs from its MEDIUM preset, dis_finest_scale and
dis_refinement_iterations (classical.DisSettings).
"""
import copy
import json
import os
import shlex
import sys
from typing import Dict, Optional

import torch
from torch import nn

from . import classical, flops, networks

FORMAT_VERSION = 1
MODULES = ("encoder", "decoder", "flow", "warp", "mask")   # every bundle has these
# and, where architecture.texture_blend is set, "texture" (networks.TextureBlend)
# Reduced-precision variants, used when a job asks for them (precision: bfloat16 | float16).
# flow and warp stay float32: the flow sub-network in bf16 lost all the coherence gain
# (e_stab ratio 1.02 vs 0.88, docs/BENCHMARKS.md); encoder, decoder and mask keep it.
VARIANTS = {"bfloat16": torch.bfloat16, "float16": torch.float16}
VARIANT_MODULES = ("encoder", "decoder", "mask")

SIGNATURES = {
    "encoder": {"inputs": ["image[N,3,H,W]"], "outputs": ["features[N,C,h,w]"]},
    "decoder": {"inputs": ["features[N,C,h,w]"], "outputs": ["image[N,3,H,W]"]},
    "flow": {"inputs": ["previous[N,3,H,W]", "current[N,3,H,W]"], "outputs": ["flow[N,2,h,w]"]},
    "warp": {"inputs": ["source[N,C,h,w]", "flow[N,2,h,w]"], "outputs": ["warped[N,C,h,w]"]},
    "mask": {"inputs": ["features[N,C,h,w]", "warped[N,C,h,w]"], "outputs": ["mask[N,1,h,w]"]},
    "texture": {"inputs": ["composite[N,C,h,w]", "mask[N,1,h,w]", "features[N,C,h,w]"], "outputs": ["features[N,C,h,w]"]},
}


def architecture_of(channels=(16, 32, 64), residual_blocks=5, flow_width=16, mask_width=16,
                    style_network="johnson-half", split="r1/4(E)", mask_evidence="features",
                    warp="bilinear") -> Dict:
    arch = {"style_network": style_network, "channels": list(channels), "residual_blocks": residual_blocks,
            "split": split, "flow_network": "flownets-small", "flow_width": flow_width,
            "mask_width": mask_width}
    if mask_evidence != "features":
        arch["mask_evidence"] = mask_evidence   # absent: the paper's mask (feature difference only)
    if warp != "bilinear":
        arch["warp"] = warp                     # absent: the paper's bilinear warp
    return arch


def mask_signature(arch: Dict) -> Dict:
    """bundle.json modules.mask: the inputs the mask module takes, in order (the engine reads them)."""
    if arch.get("mask_evidence", "features") == "image":
        return {"inputs": ["features[N,C,h,w]", "warped[N,C,h,w]", "previous_image[N,3,H,W]", "image[N,3,H,W]",
                           "flow[N,2,h,w]"], "outputs": ["mask[N,1,h,w]"]}
    return SIGNATURES["mask"]


def split_shape(arch: Dict):
    """(feature stride, feature channels) of an architecture's split point."""
    c1, c2, c3 = arch["channels"]
    stride = networks.SPLITS[arch.get("split", "r1/4(E)")]
    return stride, {4: c3, 2: c2, 1: c1}[stride]


def build_from_architecture(arch: Dict) -> networks.CoherentNet:
    net = _build(arch)
    net.warp_mode = networks.Warp(arch.get("warp", "bilinear")).mode
    net.texture = networks.texture_of(arch)
    return net


def _build(arch: Dict) -> networks.CoherentNet:
    stride, channels = split_shape(arch)
    if stride != 4:
        base = networks.build(tuple(arch["channels"]), arch["residual_blocks"], arch["flow_width"], arch["mask_width"])
        enc, dec, _, _ = networks.split_style_network(base.encoder, base.decoder, arch["split"])
        return networks.CoherentNet(enc, dec, networks.FlowAtStride(base.flow, stride),
                                    networks.mask_network(channels, arch["mask_width"], stride,
                                                          arch.get("mask_evidence", "features")))
    if arch["style_network"] == "transformernet":
        from . import byo
        encoder, decoder = byo.TransformerEncoder(), byo.TransformerDecoder()
        return networks.CoherentNet(encoder, decoder, networks.FlowNet(arch["flow_width"]),
                                    networks.MaskNet(arch["channels"][2], arch["mask_width"]))
    return networks.build(tuple(arch["channels"]), arch["residual_blocks"], arch["flow_width"],
                          arch["mask_width"])


class ReducedConv(nn.Module):
    """A convolution computed in a reduced precision between float32 tensors: like autocast, the
    convolutions (nearly all the FLOPs) run in bf16/fp16 while normalisation and activations stay
    float32 (instance norm statistics in bf16 lose too much)."""

    def __init__(self, conv: nn.Conv2d, dtype: torch.dtype):
        super().__init__()
        self.dtype = dtype
        self.conv = copy.deepcopy(conv).to(dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x.to(self.dtype)).float()


class Contiguous(nn.Module):
    """Returns a standard-layout tensor: reduced-precision oneDNN convolutions may hand back
    channels-last strides, which a caller reading raw memory would scramble."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x).contiguous()


class ContiguousPair(nn.Module):
    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.module(a, b).contiguous()


class ContiguousEvidence(nn.Module):
    """ContiguousPair for EvidenceMaskNet's five inputs."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, features: torch.Tensor, warped: torch.Tensor, previous_image: torch.Tensor,
                image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        return self.module(features, warped, previous_image, image, flow).contiguous()


def replace_modules(module: nn.Module, kind: type, make) -> nn.Module:
    """Replaces, in place, every submodule of type `kind` by make(submodule); returns module."""
    for child in list(module.modules()):
        for key, sub in list(child._modules.items()):
            if isinstance(sub, kind):
                child._modules[key] = make(sub)
    return module


def reduced_copy(module: nn.Module, dtype: torch.dtype) -> nn.Module:
    """A copy of module whose every Conv2d runs in dtype."""
    return replace_modules(copy.deepcopy(module), nn.Conv2d, lambda conv: ReducedConv(conv, dtype))


def write_variant(net: networks.CoherentNet, out_dir: str, variant: str, keys=VARIANT_MODULES) -> Dict[str, str]:
    """Scripts the reduced-precision copies of a bundle's sub-networks (those in keys); returns module -> file."""
    dtype = VARIANTS[variant]
    files = {}
    for key in keys:
        files[key] = f"{key}.{variant}.pt"
        reduced = reduced_copy(networks.inference_form(getattr(net, key)), dtype)
        if key == "mask":
            wrapped = ContiguousEvidence(reduced) if isinstance(reduced, networks.EvidenceMaskNet) else ContiguousPair(reduced)
        else:
            wrapped = Contiguous(reduced)
        torch.jit.save(torch.jit.script(wrapped.eval()), os.path.join(out_dir, files[key]))
    return files


def export_bundle(net: networks.CoherentNet, out_dir: str, name: str, style: str, arch: Dict,
                  made_by: Dict, flow_source: str = "network", metrics: Optional[Dict] = None,
                  variants=("bfloat16",), dis: Optional[classical.DisSettings] = None) -> str:
    """Scripts every sub-network (float32, plus the given reduced-precision variants) into out_dir
    and writes bundle.json; returns the bundle.json path."""
    os.makedirs(out_dir, exist_ok=True)
    net = net.eval()
    modules = {"encoder": net.encoder, "decoder": net.decoder, "flow": net.flow, "warp": networks.Warp(net.warp_mode),
               "mask": net.mask}
    if net.texture is not None:
        modules["texture"] = net.texture
        arch = dict(arch, **networks.texture_architecture(net.texture))
    for key, module in modules.items():
        torch.jit.save(torch.jit.script(networks.inference_form(module)), os.path.join(out_dir, key + ".pt"))
    meta = {
        "format": FORMAT_VERSION,
        "name": name,
        "style": style,
        "architecture": arch,
        "feature_channels": split_shape(arch)[1],
        "feature_stride": split_shape(arch)[0],
        "size_multiple": networks.SIZE_MULTIPLE,
        "input_range": [0.0, 1.0],
        "flow_source": flow_source,
        **((dis or classical.DisSettings()).bundle_fields() if flow_source == "dis" else {}),
        "modules": {key: dict(file=key + ".pt", **(mask_signature(arch) if key == "mask" else SIGNATURES[key]))
                    for key in modules},
        "variants": {v: write_variant(net, out_dir, v) for v in variants},
        "gflops": flops.net_gflops(net),
        "made_by": made_by,
        "metrics": metrics or {},
    }
    return write_meta(out_dir, meta)


def command_line(module: str, argv=None) -> str:
    """The command that ran a training module, quoted so that it can be pasted into a shell
    (arguments such as --split "r1/2(D)" hold shell characters)."""
    return f"python3 -m training.{module} " + shlex.join(sys.argv[1:] if argv is None else argv)


def read_meta(bundle_dir: str) -> Dict:
    with open(os.path.join(bundle_dir, "bundle.json")) as f:
        return json.load(f)


def write_meta(bundle_dir: str, meta: Dict) -> str:
    """Writes bundle.json (2-space indent, trailing newline); returns its path."""
    path = os.path.join(bundle_dir, "bundle.json")
    with open(path, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return path


def load_bundle(bundle_dir: str) -> networks.CoherentNet:
    """Eager networks with the bundle's weights (TorchScript files keep eager parameter names; the
    inference form's derived `phases` weights are left out, as inference_form re-derives them)."""
    meta = read_meta(bundle_dir)
    net = build_from_architecture(meta["architecture"])
    for key in ("encoder", "decoder", "flow", "mask"):
        scripted = torch.jit.load(os.path.join(bundle_dir, key + ".pt"), map_location="cpu")
        weights = {k: v for k, v in scripted.state_dict().items() if ".phases." not in k}
        getattr(net, key).load_state_dict(weights)
    return net.eval()
