"""Writes the Java engine's test fixture: a tiny random-weight bundle, three odd-sized frames with
motion, and the eager PyTorch outputs of both modes (so Java tests need no Python).

    python3 -m training.make_fixture [--out engine/src/test/resources/fixture]
"""
import argparse
import json
import os

import numpy as np
import torch

from . import export, imageops, networks

TINY = dict(channels=(4, 8, 16), residual_blocks=1, flow_width=4, mask_width=4)
SIZE = (37, 53)  # deliberately not a multiple of 16


def frames(n=3):
    """Smooth colour ramps with a disc that moves, so flow and mask have something to do."""
    h, w = SIZE
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    out = []
    for t in range(n):
        r = 0.5 + 0.5 * np.sin(xs / 7.0 + t * 0.3)
        g = 0.5 + 0.5 * np.cos(ys / 5.0)
        b = ((xs + ys) / (h + w)).astype(np.float32)
        disc = (xs - 15 - 3 * t) ** 2 + (ys - 18 - t) ** 2 < 60
        img = np.stack([r, g, b], -1)
        img[disc] = [0.9, 0.1, 0.2]
        out.append(np.round(img * 255).astype(np.uint8))
    return out


def run_modes(net: networks.CoherentNet, images, multiple: int):
    """Eager reference for both modes with the engine's padding; returns outputs and mean masks."""
    per_frame, coherent, masks = [], [], []
    prev_image = composite = None
    with torch.no_grad():
        for rgb in images:
            x, (h, w) = imageops.pad_to_multiple(imageops.to_tensor(rgb), multiple)
            out0, features = net.net0(x)
            per_frame.append(imageops.to_uint8(out0[..., :h, :w]))
            if composite is None:
                out, composite = out0, features
            else:
                out, composite, mask, _ = net.net1(prev_image, x, composite)
                masks.append(float(mask.mean()))
            coherent.append(imageops.to_uint8(out[..., :h, :w]))
            prev_image = x
    return per_frame, coherent, masks


def write_evidence_bundle(net: networks.CoherentNet, images, out: str):
    """The same tiny network with the mask that also sees the images (EvidenceMaskNet) and the bicubic
    warp: tiny-evidence-bundle and its coherent outputs (coherent_evidence_N.png)."""
    arch = export.architecture_of(**TINY, mask_evidence="image", warp="bicubic")
    evidence = networks.CoherentNet(net.encoder, net.decoder, net.flow,
                                    networks.mask_network(TINY["channels"][2], TINY["mask_width"], 4, "image"),
                                    warp_mode="bicubic").eval()
    export.export_bundle(evidence, os.path.join(out, "tiny-evidence-bundle"), "tiny-evidence", "random", arch,
                         {"command": "python3 -m training.make_fixture", "note": "random weights, test only"})
    _, coherent, masks = run_modes(evidence, images, networks.SIZE_MULTIPLE)
    for i, img in enumerate(coherent):
        imageops.write_rgb(os.path.join(out, f"coherent_evidence_{i}.png"), img)
    return masks


def write_texture_bundle(net: networks.CoherentNet, images, out: str) -> None:
    """The same tiny network whose decoder sees the texture blend: tiny-texture-bundle and its coherent
    outputs (coherent_texture_N.png); F^o and the masks are those of tiny-bundle."""
    textured = networks.CoherentNet(net.encoder, net.decoder, net.flow, net.mask).eval()
    textured.texture = networks.TextureBlend(1.0)
    export.export_bundle(textured, os.path.join(out, "tiny-texture-bundle"), "tiny-texture", "random",
                         export.architecture_of(**TINY),
                         {"command": "python3 -m training.make_fixture", "note": "random weights, test only"})
    _, coherent, _ = run_modes(textured, images, networks.SIZE_MULTIPLE)
    for i, img in enumerate(coherent):
        imageops.write_rgb(os.path.join(out, f"coherent_texture_{i}.png"), img)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="engine/src/test/resources/fixture")
    args = p.parse_args(argv)
    torch.manual_seed(7)
    net = networks.build(**TINY).eval()
    for m in net.modules():  # random affine norms so instance norm is not an identity
        if isinstance(m, torch.nn.InstanceNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    bundle = os.path.join(args.out, "tiny-bundle")
    arch = export.architecture_of(**TINY)
    export.export_bundle(net, bundle, "tiny", "random", arch,
                         {"command": "python3 -m training.make_fixture", "note": "random weights, test only"})
    images = frames()
    per_frame, coherent, masks = run_modes(net, images, networks.SIZE_MULTIPLE)
    for i, (img, a, b) in enumerate(zip(images, per_frame, coherent)):
        imageops.write_rgb(os.path.join(args.out, f"input_{i}.png"), img)
        imageops.write_rgb(os.path.join(args.out, f"per_frame_{i}.png"), a)
        imageops.write_rgb(os.path.join(args.out, f"coherent_{i}.png"), b)
    evidence_masks = write_evidence_bundle(net, images, args.out)
    write_texture_bundle(net, images, args.out)
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump({"frames": len(images), "height": SIZE[0], "width": SIZE[1], "coherent_mean_mask": masks,
                   "evidence_coherent_mean_mask": evidence_masks}, f, indent=2)
    print(f"fixture written to {args.out}")


if __name__ == "__main__":
    main()
