"""Fast-path tools for an existing bundle.

Add a reduced-precision variant in place (the engine picks bfloat16 on CPUs with AVX512_BF16/AMX,
float16 only when asked; measure with `cove bench --style B --precision float32 --versus B`):

    python3 -m training.optimize_bundle models/candy --add-variant bfloat16

Experiments that write a transformed copy, to compare with `cove bench --style A --versus COPY`:

    python3 -m training.optimize_bundle models/candy --copy-to /tmp/candy-frozen --freeze
    python3 -m training.optimize_bundle models/candy --copy-to /tmp/candy-cl --channels-last

--freeze         torch.jit.freeze every module (weights inlined as constants, conv+bias folded).
--channels-last  encoder and decoder in channels-last memory format.
--cat-pad        reflection padding by concatenating flipped edge slices (bit-identical output).
--rescript       re-script encoder and decoder in place in the inference form (upsampling layers
                 as one convolution at the input's resolution + pixel_shuffle, networks.UpsampleConv3x3).
--rescript-warp  re-script warp.pt in place from the current networks.warp (it holds no weights; the
                 one-frame warp runs in row chunks on every intra-op thread, the same output).
--mask-bias B    add B to the mask sub-network's output logit, M = sigmoid(logit + B): a point on the
                 stability / sharpness trade-off (B < 0 keeps more of the current frame), chosen per
                 style on selection clips with training.select_snapshot.
--mask-gain K    scale the mask's output logit by K before the bias, M = sigmoid(K * logit + B): K > 1
                 pushes M toward 0 or 1, so fewer pixels average two different paintings of a stroke.
--texture-blend S  the decoder sees the composite through networks.TextureBlend of strength S (the
                 texture contrast of the current frame's painting restored where composition lost it,
                 by at most the gain of a variance-preserving blend of strength S; 0 is Eq. 3
                 itself). With --copy-to in the copy, else in place, together with --mask-bias (the
                 stronger mask it makes affordable), recorded in bundle.json made_by.texture_blend:

    python3 -m training.optimize_bundle models/candy-imagenet --copy-to /tmp/candy-tex --texture-blend 1 --mask-bias 0.5
    python3 -m training.optimize_bundle models/candy-imagenet --texture-blend 1 --mask-bias 0.5
--texture-fine   with --texture-blend: a second pass restores the finest band (the deviation from a 3x3
                 binomial mean), which the sub-pixel re-sampling attenuates most (TextureBlend fine).
--dis-downscale N  in place, DIS bundles: DIS runs on frames shrunk N times (N divides the feature
                 stride; the r1/2(D) bundles use 2: same stability, ~4x cheaper DIS).
--dis-tuning L I in place, DIS bundles: DIS computes down to pyramid level L (MEDIUM: 1) with I
                 variational refinement iterations (MEDIUM: 5).
"""
import argparse
import os
import shutil
from typing import NamedTuple, Optional

import torch
from torch import nn

from . import classical, export, networks


class ChannelsLast(nn.Module):
    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x.contiguous(memory_format=torch.channels_last)).contiguous()


class CatReflectionPad(nn.Module):
    """Reflection padding as two concatenations of flipped edge slices: the same values as
    nn.ReflectionPad2d, which libtorch computes with a slow per-element index kernel."""

    def __init__(self, pad: int):
        super().__init__()
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.pad
        if p == 0:
            return x
        x = torch.cat([x[..., 1:p + 1].flip(-1), x, x[..., -p - 1:-1].flip(-1)], -1)
        return torch.cat([x[..., 1:p + 1, :].flip(-2), x, x[..., -p - 1:-1, :].flip(-2)], -2)


def add_variant(bundle_dir: str, variant: str) -> None:
    if variant not in export.VARIANTS:
        raise SystemExit(f"unknown variant {variant!r}: choose from {sorted(export.VARIANTS)}")
    meta = export.read_meta(bundle_dir)
    meta.setdefault("variants", {})[variant] = export.write_variant(export.load_bundle(bundle_dir), bundle_dir, variant)
    meta.setdefault("made_by", {})[f"{variant}_variant"] = f"python3 -m training.optimize_bundle {bundle_dir} --add-variant {variant}"
    export.write_meta(bundle_dir, meta)


def rescript(bundle_dir: str) -> None:
    """Re-scripts a bundle's encoder and decoder (and their reduced-precision variants) in place from
    its weights with the current inference form (networks.inference_form)."""
    bundle_dir = os.path.normpath(bundle_dir)
    net = export.load_bundle(bundle_dir)
    for key in ("encoder", "decoder"):
        scripted = torch.jit.script(networks.inference_form(getattr(net, key)).eval())
        torch.jit.save(scripted, os.path.join(bundle_dir, key + ".pt"))
    meta = export.read_meta(bundle_dir)
    for variant in meta.get("variants", {}):
        meta["variants"][variant] = export.write_variant(net, bundle_dir, variant)
    meta.setdefault("made_by", {})["rescripted"] = f"python3 -m training.optimize_bundle {bundle_dir} --rescript"
    export.write_meta(bundle_dir, meta)


def rescript_warp(bundle_dir: str) -> None:
    """Re-scripts a bundle's warp.pt in place from networks.warp in the bundle's warp mode."""
    bundle_dir = os.path.normpath(bundle_dir)
    meta = export.read_meta(bundle_dir)
    warp = networks.Warp(meta.get("architecture", {}).get("warp", "bilinear"))
    torch.jit.save(torch.jit.script(warp), os.path.join(bundle_dir, "warp.pt"))
    meta.setdefault("made_by", {})["rescripted_warp"] = f"python3 -m training.optimize_bundle {bundle_dir} --rescript-warp"
    export.write_meta(bundle_dir, meta)


class Texture(NamedTuple):
    """A texture module to set: strength S (0 takes the module out) and whether it has the fine pass."""
    strength: float
    fine: bool = False

    def label(self) -> str:
        return f"texture blend {self.strength:g}" + (" fine" if self.fine else "")


def _retune(net: networks.CoherentNet, mask_bias: float, mask_gain: float, texture: Optional[Texture]) -> None:
    """Shifts and scales the mask's output logit and sets the texture module (None: as it is), on the eager
    networks."""
    if mask_bias != 0.0 or mask_gain != 1.0:
        with torch.no_grad():
            last = net.mask.body[-1]
            last.weight *= mask_gain
            last.bias.mul_(mask_gain).add_(mask_bias)
    if texture is not None:
        net.texture = networks.texture_blend(texture.strength, texture.fine)


def _write_texture(net: networks.CoherentNet, bundle_dir: str, meta: dict) -> None:
    """texture.pt and its bundle.json entries as net says (removed when it has no texture blend)."""
    path = os.path.join(bundle_dir, "texture.pt")
    for key in networks.TEXTURE_KEYS:
        meta["architecture"].pop(key, None)
    if net.texture is None:
        meta["modules"].pop("texture", None)
        if os.path.exists(path):
            os.remove(path)
        return
    torch.jit.save(torch.jit.script(net.texture), path)
    meta["architecture"].update(networks.texture_architecture(net.texture))
    meta["modules"]["texture"] = dict(file="texture.pt", **export.SIGNATURES["texture"])


def texture_blend_in_place(bundle_dir: str, texture: Texture, mask_bias: float, argv=None) -> None:
    """Sets a bundle's texture blend and shifts its mask's bias, in place (variants included)."""
    bundle_dir = os.path.normpath(bundle_dir)
    net = export.load_bundle(bundle_dir)
    _retune(net, mask_bias, 1.0, texture)
    meta = export.read_meta(bundle_dir)
    _write_texture(net, bundle_dir, meta)
    if mask_bias != 0.0:   # the mask and its variants are the only other files that change
        torch.jit.save(torch.jit.script(networks.inference_form(net.mask).eval()), os.path.join(bundle_dir, "mask.pt"))
        for variant in meta.get("variants", {}):
            meta["variants"][variant].update(export.write_variant(net, bundle_dir, variant, keys=("mask",)))
    made_by = meta.setdefault("made_by", {})
    command = export.command_line("optimize_bundle", argv)
    # mask bias shifts add up over calls, so the recipe keeps every one of them, in order
    made_by["texture_blend"] = f"{made_by['texture_blend']}; {command}" if made_by.get("texture_blend") else command
    export.write_meta(bundle_dir, meta)


def _dis_meta(bundle_dir: str) -> dict:
    """bundle.json of a bundle whose flow is DIS (the settings below mean nothing to the others)."""
    meta = export.read_meta(bundle_dir)
    if meta.get("flow_source") != "dis":
        raise SystemExit(f"{bundle_dir} does not use DIS flow (flow_source {meta.get('flow_source')!r})")
    return meta


def set_dis_downscale(bundle_dir: str, downscale: int) -> None:
    """DIS of a dis bundle runs on frames shrunk by `downscale` (engine DisFlow, classical.py): the
    flow DIS finds at 1/2 size is as good for the r1/2(D) masks and costs ~4x less (docs/EVAL.md)."""
    meta = _dis_meta(bundle_dir)
    try:
        classical.check_downscale(meta["feature_stride"], downscale)
    except ValueError as e:
        raise SystemExit(f"--dis-downscale: {e}") from e
    meta["dis_downscale"] = downscale
    meta.setdefault("made_by", {})["dis_downscale"] = \
        f"python3 -m training.optimize_bundle {bundle_dir} --dis-downscale {downscale}"
    export.write_meta(bundle_dir, meta)


def set_dis_tuning(bundle_dir: str, finest_scale: int, refinement_iterations: int) -> None:
    """DIS of a dis bundle departs from the MEDIUM preset (classical.DisSettings, engine DisFlow.Tuning)."""
    meta = _dis_meta(bundle_dir)
    meta.update(dis_finest_scale=finest_scale, dis_refinement_iterations=refinement_iterations)
    meta.setdefault("made_by", {})["dis_tuning"] = (f"python3 -m training.optimize_bundle {bundle_dir} "
                                                    f"--dis-tuning {finest_scale} {refinement_iterations}")
    export.write_meta(bundle_dir, meta)


def copy_transformed(src: str, dst: str, freeze: bool, channels_last: bool, cat_pad: bool = False,
                     mask_bias: float = 0.0, mask_gain: float = 1.0, texture: Optional[Texture] = None) -> str:
    os.makedirs(dst, exist_ok=True)
    net = export.load_bundle(src)
    mask_changed = mask_bias != 0.0 or mask_gain != 1.0
    _retune(net, mask_bias, mask_gain, texture)
    modules = {"encoder": net.encoder, "decoder": net.decoder, "flow": net.flow, "warp": networks.Warp(net.warp_mode),
               "mask": net.mask}
    for key, module in modules.items():
        if not (freeze or cat_pad or (channels_last and key in ("encoder", "decoder"))
                or (mask_changed and key == "mask")):
            # unchanged files stay byte-identical, so cove eval can tell copies share a style network
            shutil.copyfile(os.path.join(src, key + ".pt"), os.path.join(dst, key + ".pt"))
            continue
        module = networks.inference_form(module)
        if cat_pad:
            module = export.replace_modules(module, nn.ReflectionPad2d, lambda p: CatReflectionPad(int(p.padding[0])))
        if channels_last and key in ("encoder", "decoder"):
            module = ChannelsLast(module)
        scripted = torch.jit.script(module.eval())
        torch.jit.save(torch.jit.freeze(scripted) if freeze else scripted, os.path.join(dst, key + ".pt"))
    steps = [s for s, on in (("torch.jit.freeze", freeze), ("channels-last encoder+decoder", channels_last),
                             ("reflection padding by concatenation", cat_pad),
                             (f"mask output gain {mask_gain:g}", mask_gain != 1.0),
                             (f"mask output bias {mask_bias:+g}", mask_bias != 0.0),
                             (texture.label() if texture else "", texture is not None)) if on]
    meta = export.read_meta(src)
    _write_texture(net, dst, meta)
    meta["name"] = os.path.basename(os.path.normpath(dst))
    meta.pop("variants", None)  # the copy is float32 only
    meta.setdefault("made_by", {})["optimized"] = ", ".join(steps or ["re-scripted"]) + " of " + src
    export.write_meta(dst, meta)
    return meta["made_by"]["optimized"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundle", help="bundle folder")
    p.add_argument("--add-variant", choices=sorted(export.VARIANTS), help="add a reduced-precision variant in place")
    p.add_argument("--copy-to", help="write a transformed float32 copy here")
    p.add_argument("--rescript", action="store_true",
                   help="re-script encoder and decoder in place in the current inference form")
    p.add_argument("--rescript-warp", action="store_true", help="re-script warp.pt in place from the current code")
    p.add_argument("--freeze", action="store_true")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--cat-pad", action="store_true")
    p.add_argument("--mask-bias", type=float, default=0.0)
    p.add_argument("--mask-gain", type=float, default=1.0)
    p.add_argument("--texture-blend", type=float, metavar="S",
                   help="texture blend strength (0 removes it); in place unless --copy-to")
    p.add_argument("--texture-fine", action="store_true",
                   help="with --texture-blend: restore the finest band in a second pass (TextureBlend fine)")
    p.add_argument("--dis-downscale", type=int, help="in place: DIS runs on frames shrunk by this factor")
    p.add_argument("--dis-tuning", type=int, nargs=2, metavar=("FINEST_SCALE", "ITERATIONS"),
                   help="in place: DIS's finest pyramid level and variational refinement iterations")
    args = p.parse_args(argv)
    if not (args.add_variant or args.copy_to or args.rescript or args.rescript_warp or args.dis_downscale
            or args.dis_tuning or args.texture_blend is not None):
        p.error("give --add-variant, --copy-to, --rescript, --rescript-warp, --dis-downscale, --dis-tuning "
                "or --texture-blend")
    if args.texture_fine and args.texture_blend is None:
        p.error("--texture-fine goes with --texture-blend S")
    if not args.copy_to and args.mask_gain != 1.0:
        p.error("--mask-gain needs --copy-to")
    if not args.copy_to and args.mask_bias != 0.0 and args.texture_blend is None:
        p.error("--mask-bias needs --copy-to, or --texture-blend to change the bundle in place")
    if args.dis_tuning:
        set_dis_tuning(args.bundle, *args.dis_tuning)
        print(f"DIS of {args.bundle} runs to pyramid level {args.dis_tuning[0]} with {args.dis_tuning[1]} "
              "refinement iterations")
    if args.dis_downscale:
        set_dis_downscale(args.bundle, args.dis_downscale)
        print(f"DIS of {args.bundle} runs on frames shrunk {args.dis_downscale}x")
    if args.rescript:
        rescript(args.bundle)
        print(f"re-scripted the encoder and decoder of {args.bundle}")
    if args.rescript_warp:
        rescript_warp(args.bundle)
        print(f"re-scripted the warp of {args.bundle}")
    texture = Texture(args.texture_blend, args.texture_fine) if args.texture_blend is not None else None
    if texture and not args.copy_to:
        texture_blend_in_place(args.bundle, texture, args.mask_bias, argv)
        print(f"{args.bundle}: {texture.label()}, mask bias shifted by {args.mask_bias:+g}")
    if args.add_variant:
        add_variant(args.bundle, args.add_variant)
        print(f"added the {args.add_variant} variant to {args.bundle}")
    if args.copy_to:
        done = copy_transformed(args.bundle, args.copy_to, args.freeze, args.channels_last, args.cat_pad, args.mask_bias,
                                args.mask_gain, texture)
        meta = export.read_meta(args.copy_to)
        meta["made_by"]["optimize_command"] = export.command_line("optimize_bundle", argv)
        export.write_meta(args.copy_to, meta)
        print("wrote", done, "->", args.copy_to)


if __name__ == "__main__":
    main()
