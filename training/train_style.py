"""Train the feed-forward style network (encoder + decoder) for one style image.

    python3 -m training.train_style --style ../shared/data/styles/candy.jpg \
        --content ../shared/data/content --run training/runs/candy --minutes 20

Checkpoints go to <run>/checkpoint.pt every --save-every steps; --resume continues from it.
The loss network is a frozen random multi-scale conv net unless --loss-net gives a TorchScript
feature network (e.g. VGG) returning a list of feature maps.
"""
import argparse
import glob
import json
import os
import signal
import sys
import time

import cv2
import numpy as np
import torch

from . import export, imageops, losses, networks
from .lossnet import convert
from .progress import Progress

WEIGHTS = {"style": 4.0, "meanstd": 1.0, "colour": 1.0, "content": 2.0, "tv": 0.0}


def list_images(folder: str):
    files = sorted(glob.glob(os.path.join(folder, "**", "*.*"), recursive=True))
    files = [f for f in files if f.lower().endswith((".jpg", ".jpeg", ".png", ".ppm"))]
    if not files:
        raise SystemExit(f"no images under {folder}: pass --content with a folder of photos")
    return files


class CropSampler:
    """Random square crops (scaled so the short side is at least the crop) with horizontal flips."""

    def __init__(self, files, size: int, seed: int):
        self.images = [imageops.read_rgb(f) for f in files]
        self.size = size
        self.rng = np.random.default_rng(seed)

    def sample(self, batch: int) -> torch.Tensor:
        out = []
        for _ in range(batch):
            img = self.images[self.rng.integers(len(self.images))]
            h, w = img.shape[:2]
            scale = self.size / min(h, w) * self.rng.uniform(1.0, 1.6)
            img = cv2.resize(img, (max(self.size, round(w * scale)), max(self.size, round(h * scale))),
                             interpolation=cv2.INTER_AREA)
            y = self.rng.integers(img.shape[0] - self.size + 1)
            x = self.rng.integers(img.shape[1] - self.size + 1)
            crop = img[y:y + self.size, x:x + self.size]
            if self.rng.random() < 0.5:
                crop = crop[:, ::-1]
            out.append(imageops.to_tensor(crop))
        return torch.cat(out)


def load_style(path: str, short_side: int) -> torch.Tensor:
    img = imageops.read_rgb(path)
    h, w = img.shape[:2]
    s = short_side / min(h, w)
    return imageops.to_tensor(cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA))


def _indices(text):
    return [int(i) for i in text.split(",")] if text else None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--style", required=True, help="style image")
    p.add_argument("--content", required=True, help="folder of training photos")
    p.add_argument("--run", required=True, help="run folder for checkpoints and logs")
    p.add_argument("--steps", type=int, default=100000)
    p.add_argument("--minutes", type=float, default=0, help="stop after this wall time (0: no limit)")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--style-short-side", type=int, default=320)
    p.add_argument("--loss-net", help="TorchScript feature network to use instead of random features")
    p.add_argument("--weights", default=json.dumps(WEIGHTS), help="JSON loss weights")
    p.add_argument("--style-layers", help="comma-separated indices of the loss network's outputs for the style "
                   "terms (default: all)")
    p.add_argument("--content-layers", help="comma-separated indices for the content term (default: all)")
    p.add_argument("--edge-pad", type=int, default=0, help="reflect-pad images by this many pixels before the "
                   "loss network (against edge stripes from 'valid' stride-2 first layers)")
    p.add_argument("--max-shift", type=int, default=0, help="random 0..N pixel shift of the padded images per step")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save-every", type=int, default=100)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--init-bundle", help="start from this bundle's style network (warm start: a trained network "
                   "already preserves content, so a new style converges in fewer steps)")
    p.add_argument("--bf16", action="store_true",
                   help="bfloat16 autocast for the networks (~2x faster on CPUs with AVX512_BF16/AMX)")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.run, exist_ok=True)
    net = networks.build()
    style_net = networks.style_network(net)
    if args.init_bundle and not (args.resume and os.path.exists(os.path.join(args.run, "checkpoint.pt"))):
        arch = export.read_meta(args.init_bundle)["architecture"]
        if arch.get("split", "r1/4(E)") != "r1/4(E)" or arch["style_network"] != "johnson-half":
            raise SystemExit(f"--init-bundle needs a johnson-half bundle split at r1/4(E), {args.init_bundle} is "
                             f"{arch['style_network']} at {arch.get('split')}")
        init = export.load_bundle(args.init_bundle)
        net.encoder.load_state_dict(init.encoder.state_dict())
        net.decoder.load_state_dict(init.decoder.state_dict())
        print(f"warm start from {args.init_bundle}")
    opt = torch.optim.Adam(style_net.parameters(), lr=args.lr)
    sampler = CropSampler(list_images(args.content), args.size, args.seed)
    loss_net = losses.TorchScriptFeatureNet(args.loss_net) if args.loss_net else losses.RandomMultiScaleNet()
    criterion = losses.StyleLoss(loss_net, load_style(args.style, args.style_short_side), json.loads(args.weights),
                                 sampler.sample(8), _indices(args.style_layers), _indices(args.content_layers),
                                 args.edge_pad, args.max_shift, args.seed)
    ckpt_path = os.path.join(args.run, "checkpoint.pt")
    step, elapsed, commands = 0, 0.0, []
    if args.resume and os.path.exists(ckpt_path):
        ckpt = torch.load(ckpt_path)
        style_net.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        step, elapsed, commands = ckpt["step"], ckpt["seconds"], ckpt.get("commands", [])
        # The crop sequence continues where it stopped: a resumed run equals an uninterrupted one.
        if "crop_rng" in ckpt:
            sampler.rng.bit_generator.state = ckpt["crop_rng"]
        else:  # checkpoints written before the crop state was saved
            sampler.rng = np.random.default_rng(args.seed + step)
        if "shift_rng" in ckpt:
            criterion.shift_rng.set_state(ckpt["shift_rng"])
        print(f"resumed at step {step}")
    # every invocation that trained this run, so that bundle.json can replay a resumed run
    made_loss_net = convert.provenance(args.loss_net) if args.loss_net else None
    if made_loss_net and not any(c["command"] == made_loss_net["command"] for c in commands):
        commands.insert(0, {"command": made_loss_net["command"], "from_step": 0,
                            "note": f"the loss network, converted from npm {made_loss_net['package']}"})
    commands.append({"command": export.command_line("train_style", argv), "from_step": step})

    def save():
        torch.save({"model": style_net.state_dict(), "optimizer": opt.state_dict(), "step": step,
                    "seconds": elapsed, "crop_rng": sampler.rng.bit_generator.state,
                    "shift_rng": criterion.shift_rng.get_state(), "args": vars(args),
                    "argv": sys.argv, "commands": commands}, ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)  # a run killed mid-save keeps its last checkpoint

    start = time.time() - elapsed
    progress = Progress(args.steps, "style", initial=step)
    stop = []  # SIGTERM ends the run after the current step, with a checkpoint (e.g. at a session's end)
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    with open(os.path.join(args.run, "log.jsonl"), "a") as log:
        while step < args.steps and not stop and not (args.minutes and time.time() - start > args.minutes * 60):
            content = sampler.sample(args.batch)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                terms = criterion(style_net(content), content)
            opt.zero_grad()
            terms["total"].backward()
            opt.step()
            step += 1
            elapsed = time.time() - start
            record = {k: round(float(v), 5) for k, v in terms.items()}
            progress.update(step, record)
            log.write(json.dumps({"step": step, "seconds": round(elapsed, 1), **record}) + "\n")
            log.flush()
            if step % args.save_every == 0:
                save()
    save()
    progress.close()
    print(f"done: {step} steps in {elapsed / 60:.1f} min -> {ckpt_path}")


if __name__ == "__main__":
    main()
