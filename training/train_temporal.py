"""Train the flow and mask sub-networks with the style network fixed, then export a bundle.

    python3 -m training.train_temporal --style-run training/runs/candy --style-name candy \
        --content ../shared/data/content --flow-steps 600 --joint-steps 600 --out models/candy

Phase 1 pre-trains the flow sub-network on synthetic ground truth only (L_flow; exact flow, as
the paper pre-trains on Flying Chairs). Phase 2 trains flow and mask end to end with
L = 1e5 L_cohe + 2e4 L_occ + 20 L_flow (Eq. 4-7) on two-frame samples, synthetic and real:
O_{t-1}, F_{t-1} from Net0 and O_t from Net1. --freeze-flow keeps the pre-trained flow fixed in
phase 2 (the paper's fixed-flow variant, with --reset-flow to pre-train it from scratch when
starting from a bundle). Adam 1e-4, decayed by 0.8 every --decay-every steps.
"""
import argparse
import glob
import json
import os
import time

import numpy as np
import torch

from . import classical, data, export, imageops, losses, networks
from .progress import Progress


def batch_of(pairs):
    t = lambda xs: torch.cat(xs)
    return (t([imageops.to_tensor(p.previous) for p in pairs]), t([imageops.to_tensor(p.current) for p in pairs]),
            t([torch.from_numpy(p.flow).permute(2, 0, 1)[None] for p in pairs]),
            t([torch.from_numpy(p.traceable)[None, None] for p in pairs]))


class PairSource:
    """Synthetic pairs made on the fly, mixed with cached real DeepFlow pairs when clips are given.
    `clips` holds the real pairs per clip, in order (sequences are consecutive pairs of one clip)."""

    def __init__(self, photos, clips, size, seed, real_fraction):
        self.photos, self.clips, self.size = photos, clips, size
        self.real = [pair for clip in clips for pair in clip]
        self.rng = np.random.default_rng(seed)
        self.real_fraction = real_fraction if self.real else 0.0

    def sample_sequence(self, batch, length):
        """`length` consecutive real pairs per batch element, one crop window per element:
        a list of batches, step by step (step j's current frame is step j+1's previous)."""
        clips = [c for c in self.clips if len(c) >= length]
        if not clips:
            raise SystemExit(f"no clip has {length} consecutive pairs for --sequence {length}")
        picks = []
        for _ in range(batch):
            clip = clips[self.rng.integers(len(clips))]
            start = self.rng.integers(len(clip) - length + 1)
            window = self._window(clip[start].flow.shape)
            picks.append([self._crop(clip[start + j], window) for j in range(length)])
        return [batch_of([pick[j] for pick in picks]) for j in range(length)]

    def sample(self, batch, synthetic_only=False):
        out = []
        for _ in range(batch):
            if not synthetic_only and self.rng.random() < self.real_fraction:
                p = self.real[self.rng.integers(len(self.real))]
                out.append(self._crop(p, self._window(p.flow.shape)))
            else:
                out.append(data.synthetic_pair(self.rng, self.photos, self.size))
        return batch_of(out)

    def _window(self, shape):
        h, w = self.size
        y = self.rng.integers(shape[0] - h + 1)
        x = self.rng.integers(shape[1] - w + 1)
        return np.s_[y:y + h, x:x + w]

    @staticmethod
    def _crop(p, s):
        return data.Pair(p.previous[s], p.current[s], p.flow[s], p.traceable[s])


def temporal_terms(net: networks.CoherentNet, prev, cur, gt_flow, traceable, flow_source: str = "network",
                   dis: classical.DisSettings = classical.DisSettings()):
    """Eq. 4-7 on a two-frame sample. With the classical (DIS) flow source only the mask learns."""
    return net1_terms(net, prev, cur, gt_flow, traceable, flow_source, dis=dis)[0]


def sequence_terms(net: networks.CoherentNet, steps, flow_source: str = "network", dis: classical.DisSettings = classical.DisSettings()):
    """Eq. 4-7 averaged over an unrolled sequence of consecutive pairs: F^o is carried from step to
    step as in inference, while the targets stay the per-frame stylizations (for L_cohe the warped
    per-frame O_{t-1}). Two-frame samples never show the mask the blur that builds up when warped
    features are carried over several frames; here it costs coherence loss. One step is Eq. 4-7."""
    composite, totals = None, {}
    for prev, cur, gt_flow, traceable in steps:
        terms, composite = net1_terms(net, prev, cur, gt_flow, traceable, flow_source, composite, dis)
        for k, v in terms.items():
            totals[k] = totals.get(k, 0.0) + v / len(steps)
    return totals


def net1_terms(net: networks.CoherentNet, prev, cur, gt_flow, traceable, flow_source: str = "network",
               previous_composite=None, dis: classical.DisSettings = classical.DisSettings()):
    """One Net1 step from F^o_{t-1} (by default F_{t-1} of Net0): Eq. 4-7 terms and F^o_t."""
    with torch.no_grad():
        prev_out, prev_feat = net.net0(prev)
        per_frame, features = net.net0(cur)
    if previous_composite is not None:
        prev_feat = previous_composite
    stride = cur.shape[-1] // features.shape[-1]
    if flow_source == "dis":
        flow = classical.dis_flow_batch(prev, cur, stride, dis)
        flow_term = gt_flow.new_zeros(())
    else:
        pyramid = net.flow.pyramid(prev, cur)
        flow = net.flow.resample(pyramid[0]) if hasattr(net.flow, "resample") else pyramid[0]
        flow_term = losses.flow_loss(pyramid, gt_flow, traceable)
    warped = networks.warp(prev_feat, flow, net.warp_mode)
    mask = networks.mask_of(net.mask, features, warped, prev, cur, flow)
    composite = networks.compose(features, warped, mask)
    out = net.decoder(net.display(composite, mask, features))
    terms = {"cohe": losses.coherence_loss(out, prev_out, gt_flow, traceable),
             "occ": losses.occlusion_loss(out, per_frame, traceable),
             "flow": flow_term,
             "mask": mask.mean()}
    terms["total"] = sum(losses.TEMPORAL_WEIGHTS[k] * terms[k] for k in losses.TEMPORAL_WEIGHTS)
    return terms, composite


def load_style_network(net: networks.CoherentNet, style_run: str = None, init_bundle: str = None):
    if init_bundle:
        source = export.load_bundle(init_bundle)
        net.load_state_dict(source.state_dict())
    else:
        state = torch.load(os.path.join(style_run, "checkpoint.pt"))["model"]
        networks.style_network(net).load_state_dict(state)
    for p in list(net.encoder.parameters()) + list(net.decoder.parameters()):
        p.requires_grad_(False)


def run_phase(label, steps, params, step_fn, lr, decay_every, log, after_step=None):
    if steps <= 0:
        return
    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, decay_every, gamma=0.8)
    progress = Progress(steps, label)
    for step in range(1, steps + 1):
        terms = step_fn()
        opt.zero_grad()
        terms["total"].backward()
        opt.step()
        sched.step()
        record = {k: float(v) for k, v in terms.items()}
        progress.update(step, record)
        log.write(json.dumps({"phase": label, "step": step, **{k: round(v, 6) for k, v in record.items()}}) + "\n")
        if after_step:
            after_step(step)
    progress.close()


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--style-run", help="train_style run folder (checkpoint.pt)")
    src.add_argument("--init", help="existing bundle to start from (style, flow and mask weights)")
    p.add_argument("--style-name", required=True, help="style label for bundle.json")
    p.add_argument("--content", required=True, help="photos for synthetic pairs")
    p.add_argument("--clips", nargs="*", default=[], help="real clips for DeepFlow ground truth")
    p.add_argument("--clip-size", default="180x320", help="HxW real clips are resized to")
    p.add_argument("--cache", default="training/cache", help="DeepFlow cache folder")
    p.add_argument("--real-fraction", type=float, default=0.5)
    p.add_argument("--out", required=True, help="bundle folder to export")
    p.add_argument("--flow-steps", type=int, default=500)
    p.add_argument("--joint-steps", type=int, default=500)
    p.add_argument("--freeze-flow", action="store_true", help="fixed-flow variant: phase 2 trains the mask only")
    p.add_argument("--reset-flow", action="store_true",
                   help="re-initialise the flow sub-network before phase 1 (pre-train it from scratch)")
    p.add_argument("--split", choices=list(networks.SPLITS), default="r1/4(E)",
                   help="layer where features are composed (Table 3 ablation); the style network is re-partitioned")
    p.add_argument("--mask-evidence", choices=["features", "image"],
                   help="what the mask sees: features (the paper: |F_t - F'_t|) or image (also how well the flow "
                        "explains the input, |I_t - warp(I_{t-1})|; networks.EvidenceMaskNet); default: the --init "
                        "bundle's, else features. A change starts the mask from scratch")
    p.add_argument("--warp", choices=list(networks.WARP_MODES),
                   help="interpolation of the feature warp (default: the --init bundle's, else bilinear as in the "
                        "paper); bicubic keeps carried features sharp")
    p.add_argument("--flow-source", choices=["network", "dis"], default="network",
                   help="dis: classical DIS flow (OpenCV) instead of the flow sub-network; only the mask is trained")
    p.add_argument("--dis-downscale", type=int,
                   help="with --flow-source dis: run DIS on frames shrunk by this divisor of the feature stride "
                        "(default: the --init bundle's dis_downscale, else 1)")
    p.add_argument("--dis-finest-scale", type=int,
                   help="with --flow-source dis: finest DIS pyramid level (MEDIUM stops at 1; 0 follows large "
                        "motion better); default: the --init bundle's, else MEDIUM's")
    p.add_argument("--dis-refinement-iterations", type=int,
                   help="with --flow-source dis: DIS variational refinement iterations (MEDIUM: 5)")
    p.add_argument("--texture-blend", type=float, metavar="S",
                   help="train with the decoder seeing the texture blend of strength S (networks.TextureBlend; "
                        "0: none); default: as the --init bundle has it, none from a style run")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--flow-lr", type=float, default=1e-3, help="phase 1 learning rate")
    p.add_argument("--decay-every", type=int, default=5000)
    p.add_argument("--sequence", type=int, default=1,
                   help="real samples as K consecutive pairs with F^o carried through them (default 1: the "
                        "paper's two-frame samples); synthetic samples stay pairs")
    p.add_argument("--snapshot-every", type=int, default=0,
                   help="also export the bundle every N joint steps to OUT/snapshots/joint-NNNNN (for "
                        "choosing a step count with training.select_snapshot)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    tuned = args.dis_downscale or args.dis_finest_scale is not None or args.dis_refinement_iterations is not None
    if tuned and args.flow_source != "dis":
        raise SystemExit("--dis-downscale, --dis-finest-scale and --dis-refinement-iterations set how DIS runs: "
                         "use them with --flow-source dis")
    if args.reset_flow and args.flow_source == "dis":
        raise SystemExit("--reset-flow trains the flow sub-network: not with --flow-source dis")
    return args


def dis_settings(args, init_meta: dict) -> classical.DisSettings:
    """How DIS runs: each setting from the command line, else the --init bundle's, else MEDIUM's."""
    bundle = classical.DisSettings.of_bundle(init_meta)
    pick = lambda given, inherited: inherited if given is None else given
    return classical.DisSettings(args.dis_downscale or bundle.downscale,
                                 pick(args.dis_finest_scale, bundle.finest_scale),
                                 pick(args.dis_refinement_iterations, bundle.refinement_iterations))


def mask_evidence(args, init_meta: dict) -> str:
    """What the mask sees: --mask-evidence, else the --init bundle's, else the paper's (features)."""
    return args.mask_evidence or init_meta.get("architecture", {}).get("mask_evidence", "features")


def build_network(args, init_meta: dict) -> networks.CoherentNet:
    """The network to train: the --init bundle (at its own split) or a style run's network, with
    flow and mask re-partitioned at --split, and the flow sub-network reset if asked."""
    if args.init and init_meta["architecture"].get("split", "r1/4(E)") != "r1/4(E)":
        # an already partitioned bundle continues at its own split
        split = init_meta["architecture"]["split"]
        if split != args.split:
            raise SystemExit(f"{args.init} is composed at {split}: pass --split \"{split}\"")
        net = export.load_bundle(args.init)
        for p_ in list(net.encoder.parameters()) + list(net.decoder.parameters()):
            p_.requires_grad_(False)
    else:
        net = networks.build()
        load_style_network(net, args.style_run, args.init)
    if args.split != "r1/4(E)" and not isinstance(net.flow, networks.FlowAtStride):
        enc, dec, stride, channels = networks.split_style_network(net.encoder, net.decoder, args.split)
        net = networks.CoherentNet(enc, dec, networks.FlowAtStride(net.flow, stride), networks.MaskNet(channels))
    evidence = mask_evidence(args, init_meta)
    if isinstance(net.mask, networks.EvidenceMaskNet) != (evidence == "image"):
        # a mask that sees other inputs starts from scratch
        stride, channels = export.split_shape(export.architecture_of(split=args.split))
        net.mask = networks.mask_network(channels, 16, stride, evidence)
    net.warp_mode = args.warp or init_meta.get("architecture", {}).get("warp", "bilinear")
    if args.texture_blend is not None:   # the mask then learns under what the decoder will see
        net.texture = networks.texture_blend(args.texture_blend)
    if args.reset_flow:
        for m in net.flow.modules():
            if m is not net.flow and hasattr(m, "reset_parameters"):
                m.reset_parameters()
    return net


def training_data(args):
    """(photos, real clip pairs, PairSource) for the run."""
    photos = [imageops.read_rgb(f) for f in sorted(glob.glob(os.path.join(args.content, "**", "*.jpg"), recursive=True))]
    if not photos:
        raise SystemExit(f"no .jpg photos under {args.content}")
    ch, cw = (int(v) for v in args.clip_size.split("x"))
    real_clips = [data.cached_real_pairs(clip, (ch, cw), args.cache, limit=60) for clip in args.clips]
    return photos, real_clips, PairSource(photos, real_clips, (args.size, args.size), args.seed, args.real_fraction)


def flow_step(net, pairs, args) -> dict:
    """Phase 1: the flow sub-network alone on synthetic ground truth (Eq. 6)."""
    prev, cur, gt, tr = pairs.sample(args.batch, synthetic_only=True)
    loss = losses.flow_loss(net.flow.pyramid(prev, cur), gt)
    return {"flow": loss, "total": loss}


def joint_step(net, pairs, args, dis: classical.DisSettings) -> dict:
    """Phase 2: flow and mask (or the mask alone) on Eq. 4-7, on pairs or unrolled sequences."""
    if args.sequence > 1 and pairs.rng.random() < pairs.real_fraction:
        return sequence_terms(net, pairs.sample_sequence(args.batch, args.sequence), args.flow_source, dis)
    return temporal_terms(net, *pairs.sample(args.batch, synthetic_only=args.sequence > 1),
                          flow_source=args.flow_source, dis=dis)


def provenance(args, argv, init_meta: dict, started: float) -> dict:
    """bundle.json "made_by": the command, data, step counts and the --init lineage."""
    made_by = {"command": export.command_line("train_temporal", argv),
               "style_run_command": _style_command(args.style_run),
               "data": {"content": args.content, "clips": args.clips},
               "steps": {"flow": args.flow_steps, "joint": args.joint_steps, "batch": args.batch, "size": args.size},
               "temporal_wall_seconds": round(time.time() - started),
               "date": time.strftime("%Y-%m-%d"), "torch": torch.__version__}
    if args.init:
        # the lineage: how the bundle this run started from was made, recursively
        made_by["init"] = {"bundle": args.init, "made_by": init_meta.get("made_by", {})}
    return made_by


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    started = time.time()
    init_meta = export.read_meta(args.init) if args.init else {}
    dis = dis_settings(args, init_meta)
    net = build_network(args, init_meta)
    photos, real_clips, pairs = training_data(args)
    os.makedirs(args.out, exist_ok=True)
    classical_flow = args.flow_source == "dis"
    made_by = provenance(args, argv, init_meta, started)
    arch = export.architecture_of(split=args.split, mask_evidence=mask_evidence(args, init_meta), warp=net.warp_mode)
    name = os.path.basename(os.path.normpath(args.out))

    def snapshot(step):
        if args.snapshot_every and step % args.snapshot_every == 0 and step < args.joint_steps:
            folder = os.path.join(args.out, "snapshots", f"joint-{step:05d}")
            meta = dict(made_by, steps=dict(made_by["steps"], joint=step), snapshot_of=args.out,
                        temporal_wall_seconds=round(time.time() - started))
            export.export_bundle(net, folder, f"{name}@{step}", args.style_name, arch, meta,
                                 flow_source=args.flow_source, dis=dis, variants=())

    with open(os.path.join(args.out, "train_log.jsonl"), "w") as log:
        if not classical_flow:
            run_phase("flow", args.flow_steps, net.flow.parameters(), lambda: flow_step(net, pairs, args),
                      args.flow_lr, args.decay_every, log)
        params = list(net.mask.parameters()) + ([] if args.freeze_flow or classical_flow else list(net.flow.parameters()))
        run_phase("joint", args.joint_steps, params, lambda: joint_step(net, pairs, args, dis), args.lr,
                  args.decay_every, log, snapshot)
    made_by["temporal_wall_seconds"] = round(time.time() - started)
    net.eval()
    # Export before validating, so that a failing validation never loses the trained weights.
    path = export.export_bundle(net, args.out, name, args.style_name, arch, made_by, flow_source=args.flow_source,
                                dis=dis)
    with torch.no_grad():
        sample = PairSource(photos, real_clips, (args.size, args.size), 12345, 0.5).sample(8)
        val = {k: float(v) for k, v in temporal_terms(net, *sample, flow_source=args.flow_source,
                                                      dis=dis).items()}
    export.export_bundle(net, args.out, name, args.style_name, arch, made_by, flow_source=args.flow_source,
                         dis=dis, metrics={"fresh_sample_terms": val})
    print(f"exported {path}; terms on freshly sampled pairs (not a held-out clip set) {val}")


def _style_command(style_run):
    if not style_run:
        return None
    ckpt = torch.load(os.path.join(style_run, "checkpoint.pt"))
    return {"argv": " ".join(ckpt.get("argv", [])), "commands": ckpt.get("commands", []), "steps": ckpt["step"],
            "wall_seconds": round(ckpt["seconds"])}


if __name__ == "__main__":
    main()
