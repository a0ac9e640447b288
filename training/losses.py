"""Losses: style/content losses on a frozen random loss network, and the temporal losses (Eq. 4-7)."""
import os
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import nn

from .networks import warp

IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


class RandomMultiScaleNet(nn.Module):
    """Frozen random features: one ReLU conv layer of `filters` He-normal filters per kernel size,
    applied at several image scales. Random filters carry texture statistics (Ustyuzhaninov et al.
    2017), which stands in for VGG since no pretrained weights can be downloaded here."""

    def __init__(self, kernels=(3, 5, 7, 11), filters=32, scales=(1.0, 0.5, 0.25), seed=0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.scales = scales
        self.convs = nn.ModuleList()
        for k in kernels:
            conv = nn.Conv2d(3, filters, k, padding=k // 2, padding_mode="reflect")
            # He-normal, drawn from our own generator so the loss network is reproducible.
            conv.weight.data.copy_(torch.randn(conv.weight.shape, generator=gen) * (2.0 / (3 * k * k)) ** 0.5)
            conv.bias.data.zero_()
            self.convs.append(conv)
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, image: torch.Tensor) -> List[torch.Tensor]:
        x = (image - IMAGENET_MEAN.to(image)) / IMAGENET_STD.to(image)
        out = []
        for s in self.scales:
            xs = x if s == 1.0 else F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)
            out.append(torch.cat([F.relu(c(xs)) for c in self.convs], dim=1))
        return out


class TorchScriptFeatureNet(nn.Module):
    """A user-supplied TorchScript feature network (e.g. VGG) returning a list of feature maps
    from an ImageNet-normalised image."""

    def __init__(self, path: str):
        super().__init__()
        if not os.path.isfile(path):
            raise SystemExit(f"loss network {path} not found: pass --loss-net a TorchScript file "
                             "(torch.jit.save of a module returning a list of feature maps)")
        self.net = torch.jit.load(path, map_location="cpu").eval()
        for p in self.net.parameters():
            p.requires_grad_(False)

    def forward(self, image: torch.Tensor) -> List[torch.Tensor]:
        x = (image - IMAGENET_MEAN.to(image)) / IMAGENET_STD.to(image)
        out = self.net(x)
        return list(out) if isinstance(out, (list, tuple)) else [out]


def centred_gram(f: torch.Tensor) -> torch.Tensor:
    n, c, h, w = f.shape
    x = f.reshape(n, c, h * w)
    x = x - x.mean(dim=2, keepdim=True)
    return torch.bmm(x, x.transpose(1, 2)) / (h * w)


def mean_std(f: torch.Tensor):
    x = f.flatten(2)
    return x.mean(dim=2), x.std(dim=2)


class StyleLoss(nn.Module):
    """Centred Gram + mean/std + RGB colour Gram, each layer normalised by its value for the
    identity output so that weights mean the same for every style; relative content loss; TV.

    `style_layers` and `content_layers` index the loss network's outputs (default: all of them).
    `edge_pad` reflect-pads both images before the loss network and `max_shift` moves the crop by a
    random 0..max_shift pixels per step: a network whose first layer is a 'valid' stride-2 conv
    (InceptionV3) otherwise gives border pixels little gradient, which leaves coloured stripes
    along the bottom/right edges."""

    def __init__(self, loss_net: nn.Module, style_image: torch.Tensor, weights: Dict[str, float],
                 calibration_images: torch.Tensor, style_layers: Optional[List[int]] = None,
                 content_layers: Optional[List[int]] = None, edge_pad: int = 0, max_shift: int = 0,
                 seed: int = 0):
        super().__init__()
        self.net = loss_net
        self.weights = weights
        self.edge_pad, self.max_shift = edge_pad, max_shift
        self.shift_rng = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            feats = self.net(style_image)
            self.style_layers = list(range(len(feats))) if style_layers is None else list(style_layers)
            self.content_layers = list(range(len(feats))) if content_layers is None else list(content_layers)
            feats = [feats[i] for i in self.style_layers]
            self.grams = [centred_gram(f) for f in feats]
            self.stats = [mean_std(f) for f in feats]
            self.colour = centred_gram(style_image)
            self.colour_mean = style_image.mean(dim=(2, 3))
            self.norms = None
            self.norms = self._raw_terms(calibration_images, self._style_feats(self.net(calibration_images)))

    def _style_feats(self, feats: List[torch.Tensor]) -> List[torch.Tensor]:
        return [feats[i] for i in self.style_layers]

    def _raw_terms(self, y: torch.Tensor, fy: List[torch.Tensor]) -> Dict[str, List[torch.Tensor]]:
        gram = [F.mse_loss(centred_gram(f), g.expand(f.shape[0], -1, -1)) for f, g in zip(fy, self.grams)]
        ms = []
        for f, (m, s) in zip(fy, self.stats):
            fm, fs = mean_std(f)
            ms.append(F.mse_loss(fm, m.expand_as(fm)) + F.mse_loss(fs, s.expand_as(fs)))
        colour = [F.mse_loss(centred_gram(y), self.colour.expand(y.shape[0], -1, -1))
                  + F.mse_loss(y.mean(dim=(2, 3)), self.colour_mean.expand(y.shape[0], -1))]
        return {"style": gram, "meanstd": ms, "colour": colour}

    def _loss_view(self, image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
        """The image as the loss network sees it: edge-padded and shifted."""
        if not self.edge_pad:
            return image
        p = self.edge_pad
        padded = F.pad(image, [p, p, p, p], mode="reflect")
        h, w = image.shape[-2:]
        return padded[:, :, dy:dy + h + 2 * p - self.max_shift, dx:dx + w + 2 * p - self.max_shift]

    def forward(self, output: torch.Tensor, content: torch.Tensor) -> Dict[str, torch.Tensor]:
        dy, dx = (torch.randint(0, self.max_shift + 1, (2,), generator=self.shift_rng).tolist()
                  if self.max_shift else (0, 0))
        fy = self.net(self._loss_view(output, dy, dx))
        with torch.no_grad():
            fx = self.net(self._loss_view(content, dy, dx))
        # Under bf16 autocast the networks run in bf16; the statistics need float32.
        with torch.autocast("cpu", enabled=False):
            return self._terms(output.float(), [f.float() for f in fy], [f.float() for f in fx])

    def _terms(self, output: torch.Tensor, fy: List[torch.Tensor], fx: List[torch.Tensor]) -> Dict[str, torch.Tensor]:
        raw = self._raw_terms(output, self._style_feats(fy))
        terms = {k: sum(v / n.clamp_min(1e-12) for v, n in zip(vals, self.norms[k])) / len(vals)
                 for k, vals in raw.items()}
        content_pairs = [(fy[i], fx[i]) for i in self.content_layers]
        terms["content"] = sum(((a - b) ** 2).sum() / (b ** 2).sum().clamp_min(1e-12)
                               for a, b in content_pairs) / len(content_pairs)
        terms["tv"] = ((output[:, :, 1:] - output[:, :, :-1]).abs().mean()
                       + (output[:, :, :, 1:] - output[:, :, :, :-1]).abs().mean())
        terms["total"] = sum(self.weights[k] * terms[k] for k in ("style", "meanstd", "colour", "content", "tv"))
        return terms


def downsample_flow(flow: torch.Tensor, factor: int) -> torch.Tensor:
    """Full-resolution flow (pixels) -> flow at 1/factor resolution in that resolution's pixels."""
    return F.avg_pool2d(flow, factor) / factor


def downsample_mask(mask: torch.Tensor, factor: int) -> torch.Tensor:
    """A pixel at low resolution is traceable only if every pixel it covers is."""
    return -F.max_pool2d(-mask, factor)


def coherence_loss(output: torch.Tensor, previous_output: torch.Tensor, gt_flow: torch.Tensor,
                   traceable: torch.Tensor) -> torch.Tensor:
    """Eq. 4: traceable pixels of O_t must equal O_{t-1} warped by the ground-truth flow. Like Eq. 5
    it is a squared norm over the whole frame (divided by its size), not a mean over the masked
    pixels: the weights 1e5 : 2e4 then make a traceable pixel count 5x an occluded one. Per-mask
    means gave both about equal weight and trained masks near 0.5 that left most flicker in."""
    target = warp(previous_output, gt_flow)
    return (traceable * (output - target) ** 2).sum() / output.numel()


def occlusion_loss(output: torch.Tensor, per_frame: torch.Tensor, traceable: torch.Tensor) -> torch.Tensor:
    """Eq. 5: untraceable (occluded, motion-boundary) pixels must equal the per-frame stylization;
    normalised by the frame size like Eq. 4."""
    untraceable = 1.0 - traceable
    return (untraceable * (output - per_frame) ** 2).sum() / output.numel()


def flow_loss(pyramid: List[torch.Tensor], gt_flow: torch.Tensor, valid: Optional[torch.Tensor] = None,
              weights=(1.0, 0.5, 0.25)) -> torch.Tensor:
    """Eq. 6: multi-scale end-point error against ground truth, in each scale's own pixels
    (FlowNet's multi-scale training), scales at 1/4, 1/8, 1/16."""
    total = gt_flow.new_zeros(())
    for level, (pred, w) in enumerate(zip(pyramid, weights)):
        factor = 4 * 2 ** level
        target = downsample_flow(gt_flow, factor)
        epe = torch.sqrt(((pred - target) ** 2).sum(dim=1, keepdim=True) + 1e-8)
        if valid is not None:
            m = downsample_mask(valid, factor)
            total = total + w * (m * epe).sum() / m.sum().clamp_min(1.0)
        else:
            total = total + w * epe.mean()
    return total


TEMPORAL_WEIGHTS = {"cohe": 1e5, "occ": 2e4, "flow": 20.0}  # Eq. 7 (paper)
