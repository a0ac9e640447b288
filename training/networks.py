"""Network definitions of Chen et al. 2017, "Coherent Online Video Style Transfer".

Images are float tensors [N, 3, H, W] with RGB values in [0, 1]. Features live at 1/4 resolution.
Flow is backward flow at feature resolution in feature pixels: W_t(p) points from p in frame t to
its position in frame t-1, so the warped previous features are F'_t(p) = F^o_{t-1}(p + W_t(p)).
"""
import math
import copy
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

# The style network downsamples twice (features at 1/4) and the flow network four times (1/16).
SIZE_MULTIPLE = 16
FEATURE_STRIDE = 4


class ConvLayer(nn.Module):
    """Reflection padding + convolution, as in Johnson et al."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1):
        super().__init__()
        self.pad = nn.ReflectionPad2d(kernel // 2)
        self.conv = nn.Conv2d(cin, cout, kernel, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pad(x))


class ConvNormRelu(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, upsample: bool = False):
        super().__init__()
        self.upsample = upsample
        self.conv = ConvLayer(cin, cout, kernel, stride)
        self.norm = nn.InstanceNorm2d(cout, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return F.relu(self.norm(self.conv(x)))


class UpsampleConv3x3(nn.Module):
    """Inference form of nearest 2x upsampling + reflection padding by 1 + 3x3 convolution (the
    decoder's upsampling layers), computed at the input's resolution: one convolution whose 4 x cout
    output channels are the four output phases, then pixel_shuffle. The padded upsampled image is the
    replicate-padded input upsampled, so output row phase a sees input rows (offsets 0, 1, 2) with the
    kernel rows merged as PHASE_TAPS[a] says (phase 0: w0, w1 + w2, 0; phase 1: 0, w0 + w1, w2), and
    likewise for columns. The same multiply-adds, without writing and padding the 4x larger upsampled
    input (two memory-bound passes at the output's resolution). `conv` keeps the trained weights, so
    the state_dict reads like the training layer's plus the derived `phases`."""

    PHASE_TAPS = [[[1., 0., 0.], [0., 1., 1.], [0., 0., 0.]], [[0., 0., 0.], [1., 1., 0.], [0., 0., 1.]]]

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        if conv.kernel_size != (3, 3) or conv.stride != (1, 1) or conv.bias is None:
            raise ValueError(f"expects a 3x3 stride-1 convolution with bias, got {conv}")
        cout, cin = conv.weight.shape[:2]
        self.conv = conv
        self.phases = nn.Conv2d(cin, 4 * cout, 3)
        taps = torch.tensor(self.PHASE_TAPS, dtype=conv.weight.dtype)
        with torch.no_grad():
            # [cout, a, b, cin, p, q] = sum_de taps[a, p, d] taps[b, q, e] w[cout, cin, d, e];
            # pixel_shuffle reads channel cout * 4 + a * 2 + b as phase (a, b) of output channel cout.
            merged = torch.einsum("apd,bqe,oide->oabipq", taps, taps, conv.weight)
            self.phases.weight.copy_(merged.reshape(4 * cout, cin, 3, 3))
            self.phases.bias.copy_(conv.bias.repeat_interleave(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(self.phases(F.pad(x, [1, 1, 1, 1], mode="replicate")), 2)


class InferenceUpsampleLayer(nn.Module):
    """An upsampling ConvNormRelu with its convolution in the UpsampleConv3x3 form."""

    def __init__(self, layer: ConvNormRelu):
        super().__init__()
        self.conv = UpsampleConv3x3(layer.conv.conv)
        self.norm = layer.norm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.norm(self.conv(x)))


class SpaceToDepthConv(nn.Module):
    """Inference form of a reflection-padded k x k stride-1 convolution with few output channels (the
    decoder's 9x9 RGB layer, which oneDNN runs at a fifth of its usual speed: with 3 output channels
    it is bound by reading the input, whatever the channel count). The padded input is split into its
    2x2 phases (pixel_unshuffle: 4 x cin channels at half resolution), convolved with a ceil(k/2)-tap
    kernel giving the 4 output phases as channels, and put back with pixel_shuffle. Output phase a
    reads input phase r at low-res tap j with the original tap 2j + r - a (when 0 <= it < k). ~20%
    more multiply-adds (zero taps), about half the time. `conv` keeps the trained weights."""

    def __init__(self, layer: ConvLayer):
        super().__init__()
        conv = layer.conv
        k = conv.kernel_size[0]
        if conv.kernel_size != (k, k) or conv.stride != (1, 1) or conv.bias is None or k % 2 == 0:
            raise ValueError(f"expects an odd square stride-1 convolution with bias, got {conv}")
        cout, cin = conv.weight.shape[:2]
        taps = (k + 1) // 2
        self.pad = layer.pad
        self.conv = conv
        self.phases = nn.Conv2d(4 * cin, 4 * cout, taps)
        # select[a, r, j, d] = 1 where original tap d = 2j + r - a
        select = torch.zeros(2, 2, taps, k, dtype=conv.weight.dtype)
        for a in range(2):
            for r in range(2):
                for j in range(taps):
                    if 0 <= 2 * j + r - a < k:
                        select[a, r, j, 2 * j + r - a] = 1.0
        with torch.no_grad():
            # pixel_unshuffle channel ci * 4 + r * 2 + s is input phase (r, s); pixel_shuffle reads
            # channel co * 4 + a * 2 + b as output phase (a, b)
            merged = torch.einsum("arjd,bsle,oide->oabirsjl", select, select, conv.weight)
            self.phases.weight.copy_(merged.reshape(4 * cout, 4 * cin, taps, taps))
            self.phases.bias.copy_(conv.bias.repeat_interleave(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(self.phases(F.pixel_unshuffle(self.pad(x), 2)), 2)


def _inference_layer(module: nn.Module) -> nn.Module:
    if isinstance(module, ConvNormRelu) and module.upsample:
        return InferenceUpsampleLayer(module)
    if isinstance(module, ConvLayer) and module.conv.out_channels <= 4 and module.conv.kernel_size[0] >= 5:
        return SpaceToDepthConv(module)
    return module


def inference_form(module: nn.Module) -> nn.Module:
    """A deep copy of module with the layers that have a faster equivalent replaced (upsampling
    layers by InferenceUpsampleLayer, the RGB output layer by SpaceToDepthConv): what bundles
    script. Training keeps the plain layers; the replacements derive their weights from them."""
    module = _inference_layer(copy.deepcopy(module))
    for child in list(module.modules()):
        for key, sub in list(child._modules.items()):
            child._modules[key] = _inference_layer(sub)
    return module


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, 3)
        self.norm1 = nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, 3)
        self.norm2 = nn.InstanceNorm2d(channels, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.norm1(self.conv1(x)))
        return x + self.norm2(self.conv2(y))


class StyleEncoder(nn.Module):
    """Johnson et al. encoder (half channels by default) up to r1/4(E): after the residual blocks."""

    def __init__(self, channels: Tuple[int, int, int] = (16, 32, 64), residual_blocks: int = 5):
        super().__init__()
        c1, c2, c3 = channels
        self.down = nn.Sequential(
            ConvNormRelu(3, c1, 9), ConvNormRelu(c1, c2, 3, stride=2), ConvNormRelu(c2, c3, 3, stride=2))
        self.res = nn.Sequential(*[ResidualBlock(c3) for _ in range(residual_blocks)])

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.res(self.down(image))


class StyleDecoder(nn.Module):
    """Nearest-upsample + conv decoder back to full resolution; sigmoid keeps RGB in [0, 1]."""

    def __init__(self, channels: Tuple[int, int, int] = (16, 32, 64)):
        super().__init__()
        c1, c2, c3 = channels
        self.up = nn.Sequential(ConvNormRelu(c3, c2, 3, upsample=True), ConvNormRelu(c2, c1, 3, upsample=True))
        self.out = ConvLayer(c1, 3, 9)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.out(self.up(features)))


SPLITS = {"r1/4(E)": 4, "r1/2(D)": 2, "r1(D)": 1}


class DecoderTail(nn.Module):
    """The decoder layers after a later split point (the ablation of Chen et al. Table 3)."""

    def __init__(self, up: nn.Module, out: nn.Module):
        super().__init__()
        self.up = up
        self.out = out

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.out(self.up(features)))


def split_style_network(encoder: StyleEncoder, decoder: StyleDecoder, split: str):
    """Re-partitions a trained encoder/decoder at `split`; returns (encoder, decoder, stride, channels).
    r1/4(E): after the residual blocks (default); r1/2(D): after the first upsampling layer;
    r1(D): after the second, at full resolution. The weights are shared, not retrained."""
    if split == "r1/4(E)":
        return encoder, decoder, 4, decoder.up[0].conv.conv.in_channels
    if split == "r1/2(D)":
        return (nn.Sequential(encoder, decoder.up[0]), DecoderTail(nn.Sequential(*decoder.up[1:]), decoder.out), 2,
                decoder.up[0].conv.conv.out_channels)
    if split == "r1(D)":
        return (nn.Sequential(encoder, decoder.up), DecoderTail(nn.Identity(), decoder.out), 1,
                decoder.up[1].conv.conv.out_channels)
    raise ValueError(f"unknown split {split}: one of {list(SPLITS)}")


class FlowAtStride(nn.Module):
    """The 1/4-resolution flow sub-network's output resampled to another feature stride."""

    def __init__(self, flow: nn.Module, stride: int):
        super().__init__()
        self.flow = flow
        self.factor = 4.0 / stride

    def pyramid(self, previous: torch.Tensor, current: torch.Tensor) -> List[torch.Tensor]:
        return self.flow.pyramid(previous, current)

    def resample(self, f: torch.Tensor) -> torch.Tensor:
        if self.factor == 1.0:
            return f
        return self.factor * F.interpolate(f, scale_factor=self.factor, mode="bilinear", align_corners=False)

    def forward(self, previous: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
        return self.resample(self.flow(previous, current))


def _conv(cin: int, cout: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, kernel // 2), nn.LeakyReLU(0.1))


class FlowNet(nn.Module):
    """FlowNetS-style flow sub-network with reduced channels.

    Input: the previous and current frame. Output: backward flow at 1/4 resolution (feature
    pixels). Coarse-to-fine: predictions at 1/16 and 1/8 are upsampled and refined; in training
    the coarse predictions are returned too, for the multi-scale flow loss.
    """

    def __init__(self, width: int = 16):
        super().__init__()
        w = width
        self.conv1 = _conv(6, w, 7, 2)            # 1/2
        self.conv2 = _conv(w, 2 * w, 5, 2)        # 1/4
        self.conv3 = _conv(2 * w, 4 * w, 3, 2)    # 1/8
        self.conv3_1 = _conv(4 * w, 4 * w, 3)
        self.conv4 = _conv(4 * w, 6 * w, 3, 2)    # 1/16
        self.conv4_1 = _conv(6 * w, 6 * w, 3)
        self.flow4 = nn.Conv2d(6 * w, 2, 3, 1, 1)
        self.up3 = _conv(6 * w, 2 * w, 3)
        self.flow3 = nn.Conv2d(6 * w + 2, 2, 3, 1, 1)
        self.up2 = _conv(6 * w + 2, w, 3)
        self.flow2 = nn.Conv2d(3 * w + 2, 2, 3, 1, 1)

    def pyramid(self, previous: torch.Tensor, current: torch.Tensor) -> List[torch.Tensor]:
        """Flows at 1/4, 1/8, 1/16, each in pixels of its own resolution."""
        x = torch.cat([previous, current], dim=1) - 0.5
        c2 = self.conv2(self.conv1(x))
        c3 = self.conv3_1(self.conv3(c2))
        c4 = self.conv4_1(self.conv4(c3))
        flow4 = self.flow4(c4)
        up4 = F.interpolate(c4, scale_factor=2.0, mode="nearest")
        flow4_up = 2.0 * F.interpolate(flow4, scale_factor=2.0, mode="bilinear", align_corners=False)
        x3 = torch.cat([self.up3(up4), c3, flow4_up], dim=1)
        flow3 = flow4_up + self.flow3(x3)
        up3 = F.interpolate(x3, scale_factor=2.0, mode="nearest")
        flow3_up = 2.0 * F.interpolate(flow3, scale_factor=2.0, mode="bilinear", align_corners=False)
        x2 = torch.cat([self.up2(up3), c2, flow3_up], dim=1)
        flow2 = flow3_up + self.flow2(x2)
        return [flow2, flow3, flow4]

    def forward(self, previous: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
        return self.pyramid(previous, current)[0]


class MaskNet(nn.Module):
    """Three stride-1 convolutions on |F_t - F'_t| giving the composition mask M in [0, 1]."""

    def __init__(self, channels: int = 64, width: int = 16):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, width, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(width, width // 2, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(width // 2, 1, 3, 1, 1))

    def forward(self, features: torch.Tensor, warped: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.body(torch.abs(features - warped)))


class EvidenceMaskNet(nn.Module):
    """The mask sub-network with evidence about the flow: besides |F_t - F'_t| it sees how well the
    flow explains the input, |I_t - warp(I_{t-1})| per RGB channel at feature resolution.

    The feature difference alone mixes the style network's own flicker (which the mask should
    remove, M -> 1) with misalignment from a wrong flow (which it must not carry, M -> 0); measured
    on judo (flow right) and a generated animation (flow wrong) the paper's mask sat at the same
    ~0.58 on both (docs/EVAL.md, training.diagnose_motion). The image difference tells them apart.
    """

    def __init__(self, channels: int = 64, width: int = 16, stride: int = 4):
        super().__init__()
        self.stride = stride
        self.body = nn.Sequential(
            nn.Conv2d(channels + 3, width, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(width, width // 2, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(width // 2, 1, 3, 1, 1))

    def forward(self, features: torch.Tensor, warped: torch.Tensor, previous_image: torch.Tensor,
                image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        previous_small = F.avg_pool2d(previous_image, self.stride)
        small = F.avg_pool2d(image, self.stride)
        # x8 brings a visible misalignment (~0.1 in [0,1]) to the scale of the feature differences
        misaligned = 8.0 * torch.abs(small - warp(previous_small, flow))
        return torch.sigmoid(self.body(torch.cat([torch.abs(features - warped), misaligned], 1)))


def mask_network(channels: int, width: int, stride: int, evidence: str = "features") -> nn.Module:
    """The mask sub-network of an architecture: "features" (the paper's) or "image" (EvidenceMaskNet)."""
    if evidence == "image":
        return EvidenceMaskNet(channels, width, stride)
    if evidence != "features":
        raise ValueError(f"mask evidence must be features or image, got {evidence}")
    return MaskNet(channels, width)


def mask_of(mask: nn.Module, features: torch.Tensor, warped: torch.Tensor, previous_image: torch.Tensor,
            image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """M for either mask sub-network: the paper's (feature difference only) or EvidenceMaskNet."""
    if isinstance(mask, EvidenceMaskNet):
        return mask(features, warped, previous_image, image, flow)
    return mask(features, warped)


WARP_MODES = ("bilinear", "bicubic", "lanczos3")


class Warp(nn.Module):
    """Backward warp: out(p) = source(p + flow(p)); outside the image it clamps to the border.

    bicubic keeps the carried features sharp: every frame re-samples F^o at sub-pixel offsets, and
    bilinear interpolation low-passes it each time (docs/EVAL.md: high-frequency energy 84% of
    per-frame after 60 frames of bedroom with bilinear, 94% with bicubic, at the same e_stab)."""

    def __init__(self, mode: str = "bilinear"):
        super().__init__()
        if mode not in WARP_MODES:
            raise ValueError(f"warp mode must be one of {WARP_MODES}, got {mode}")
        self.mode = mode

    def forward(self, source: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        return warp(source, flow, self.mode)


def _lanczos3(t: torch.Tensor) -> torch.Tensor:
    """The Lanczos kernel with a = 3 at offsets t (|t| < 3 inside the support)."""
    t = t.abs().clamp(min=1e-6)
    pt = math.pi * t
    k = 3.0 * torch.sin(pt) * torch.sin(pt / 3.0) / (pt * pt)
    return torch.where(t < 3.0, k, torch.zeros_like(k))


def warp_lanczos3(source: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Backward warp with a 6x6 Lanczos-3 kernel (weights normalised per axis, border clamped).

    Every frame re-samples F^o at sub-pixel offsets and the texture a style paints sits near the
    feature map's Nyquist frequency; Lanczos-3 passes more of it per re-sampling than bicubic
    (whose response falls off well below Nyquist), so less of it is lost over a long carry."""
    n, c, h, w = source.shape
    ys = torch.arange(h, dtype=source.dtype, device=source.device).view(1, h, 1)
    xs = torch.arange(w, dtype=source.dtype, device=source.device).view(1, 1, w)
    x = xs + flow[:, 0]
    y = ys + flow[:, 1]
    x0 = torch.floor(x)
    y0 = torch.floor(y)
    fx = x - x0
    fy = y - y0
    taps = [-2, -1, 0, 1, 2, 3]
    wx = [_lanczos3(fx - float(i)) for i in taps]
    wy = [_lanczos3(fy - float(j)) for j in taps]
    sx = wx[0] + wx[1] + wx[2] + wx[3] + wx[4] + wx[5]
    sy = wy[0] + wy[1] + wy[2] + wy[3] + wy[4] + wy[5]
    flat = source.reshape(n, c, h * w)
    out = torch.zeros_like(source)
    for j in range(6):
        row = (y0 + float(taps[j])).clamp(0, h - 1).long() * w
        acc = torch.zeros_like(source)
        for i in range(6):
            col = (x0 + float(taps[i])).clamp(0, w - 1).long()
            idx = (row + col).reshape(n, 1, h * w).expand(n, c, h * w)
            acc = acc + flat.gather(2, idx).reshape(n, c, h, w) * (wx[i] / sx).unsqueeze(1)
        out = out + acc * (wy[j] / sy).unsqueeze(1)
    return out


def warp(source: torch.Tensor, flow: torch.Tensor, mode: str = "bilinear") -> torch.Tensor:
    if mode == "lanczos3":
        return warp_lanczos3(source, flow)
    n, _, h, w = source.shape
    ys = torch.arange(h, dtype=source.dtype, device=source.device).view(1, h, 1).expand(n, h, w)
    xs = torch.arange(w, dtype=source.dtype, device=source.device).view(1, 1, w).expand(n, h, w)
    x = xs + flow[:, 0]
    y = ys + flow[:, 1]
    # align_corners=True maps -1 and 1 to the centres of the first and last pixel.
    gx = 2.0 * x / max(w - 1, 1) - 1.0
    gy = 2.0 * y / max(h - 1, 1) - 1.0
    grid = torch.stack([gx, gy], dim=3)
    # ATen's CPU grid_sample shares out the batch, not the pixels, among threads: one frame's warp
    # ran on one core (the bicubic warp of a 640x360 frame's F^o: 32 ms on one core of two, 17 ms in
    # row chunks on both)
    chunks = 4
    if n == 1 and not source.is_cuda and h >= 2 * chunks:
        return _grid_sample_row_chunks(source, grid, mode, chunks)
    return F.grid_sample(source, grid, mode=mode, padding_mode="border", align_corners=True)


def _grid_sample_row_chunks(source: torch.Tensor, grid: torch.Tensor, mode: str, chunks: int) -> torch.Tensor:
    """grid_sample of one image with its grid's rows cut into `chunks` batch entries that all sample
    the same (expanded, not copied) source: the same output, computed on every intra-op thread."""
    _, c, h, w = source.shape
    rows = (h + chunks - 1) // chunks
    pad = rows * chunks - h
    if pad > 0:
        grid = torch.cat([grid, grid[:, -1:].expand(1, pad, w, 2)], dim=1)
    out = F.grid_sample(source.expand(chunks, c, h, w), grid.reshape(chunks, rows, w, 2),
                        mode=mode, padding_mode="border", align_corners=True)
    return out.transpose(0, 1).reshape(1, c, rows * chunks, w)[:, :, :h].contiguous()


def compose(features: torch.Tensor, warped: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Eq. 3: F^o_t = (1 - M) * F_t + M * F'_t."""
    return (1.0 - mask) * features + mask * warped


class TextureBlend(nn.Module):
    """What the decoder sees of F^o_t: the composite with the texture contrast of the current frame's
    own painting restored where the composition took it away.

    Eq. 3 averages two paintings whose fine strokes do not line up (an average of uncorrelated
    textures keeps (1 - M)^2 + M^2 of their variance), and the warp that carries F'_t re-samples it
    at sub-pixel offsets every frame; the decoder shows both as a soft picture. Here the composite's
    deviation from its local mean (3x3 at feature resolution) is scaled so that its local energy
    (3x3, summed over channels) matches that of E(I_t)'s own deviation, by a gain between 1 and the
    variance-preserving blend's ((1 - M)^2 + M^2)^(-strength/2) (Heitz and Neyret, "High-Performance
    By-Example Noise using a Histogram-Preserving Blending Operator", HPG 2018). Never more
    contrast than per-frame output has, none added where nothing was blended (M = 0 or 1), and only
    the display changes: F^o_t is carried on unscaled, so the gain does not compound.

    fine=True restores the finest band once more, in a second pass of the same rule on the deviation
    from a 3x3 binomial mean: the sub-pixel re-sampling of every frame attenuates most near the feature
    map's Nyquist frequency, which the 3x3 box deviation mixes with coarser detail."""

    def __init__(self, strength: float = 1.0, fine: bool = False):
        super().__init__()
        if not 0.0 <= strength <= 4.0:
            raise ValueError(f"texture blend strength must be in [0, 4], got {strength}")
        self.strength = strength
        self.fine = fine

    def forward(self, composite: torch.Tensor, mask: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        cap = ((1.0 - mask) ** 2 + mask ** 2) ** (-0.5 * self.strength)
        shown = _restore_band(composite, features, cap, False)
        return _restore_band(shown, features, cap, True) if self.fine else shown


def _restore_band(x: torch.Tensor, features: torch.Tensor, cap: torch.Tensor, fine: bool) -> torch.Tensor:
    """x with its deviation from a local mean (3x3 box, or 3x3 binomial when fine) scaled toward the
    local energy of the same band of the current frame's features, by a gain in [1, cap]."""
    detail = _detail3(x, fine)
    fresh = _detail3(features, fine)
    restore = torch.sqrt((_energy(fresh) + 1e-6) / (_energy(detail) + 1e-6))
    # local + gain * detail, written as x + (gain - 1) * detail: the local mean is never materialised
    return torch.addcmul(x, torch.minimum(restore, cap).clamp(min=1.0) - 1.0, detail)


TEXTURE_KEYS = ("texture_blend", "texture_fine")


def texture_blend(strength: float, fine: bool = False) -> Optional[TextureBlend]:
    """The texture module of a strength, or None for 0 (the decoder then sees F^o_t itself)."""
    return TextureBlend(strength, fine) if strength > 0 else None


def texture_architecture(texture: TextureBlend) -> Dict:
    """A texture module's bundle.json architecture entries (TEXTURE_KEYS; read back by texture_of)."""
    return {"texture_blend": texture.strength, **({"texture_fine": True} if texture.fine else {})}


def texture_of(arch: Dict) -> Optional[TextureBlend]:
    """The texture module a bundle's architecture entries describe (texture_architecture), or None."""
    return TextureBlend(arch["texture_blend"], arch.get("texture_fine", False)) if "texture_blend" in arch else None


def _box3(x: torch.Tensor) -> torch.Tensor:
    """3x3 local mean, edges replicated; a depthwise convolution (ATen's CPU avg_pool2d took 4x as
    long on a 32-channel 640x360 frame's features)."""
    return _local_conv3(x, _mean_kernel3(False, x))


def _detail3(x: torch.Tensor, fine: bool) -> torch.Tensor:
    """x's deviation from its 3x3 local mean (box, or binomial when fine: the finest band), edges
    replicated: one depthwise convolution with the kernel identity - mean, not a mean and then a
    subtraction over every channel."""
    kernel = -_mean_kernel3(fine, x)
    kernel[1, 1] += 1.0
    return _local_conv3(x, kernel)


def _mean_kernel3(binomial: bool, like: torch.Tensor) -> torch.Tensor:
    """The 3x3 box kernel, or the binomial one ([1, 2, 1] / 4 each way)."""
    if binomial:
        k = torch.tensor([0.25, 0.5, 0.25], dtype=like.dtype, device=like.device)
        return k[:, None] * k[None, :]
    return torch.full([3, 3], 1.0 / 9.0, dtype=like.dtype, device=like.device)


def _local_conv3(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Every channel of x convolved with one 3x3 kernel, edges replicated."""
    weight = kernel.expand(x.shape[1], 1, 3, 3).contiguous()
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), weight, groups=x.shape[1])


def _energy(detail: torch.Tensor) -> torch.Tensor:
    """Local energy of a deviation: its square summed over channels, 3x3 mean."""
    return _box3(detail.square().sum(1, keepdim=True))


class CoherentNet(nn.Module):
    """Net0 / Net1 in one eager module, for training and as the reference the Java step must match."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, flow: nn.Module, mask: nn.Module,
                 warp_mode: str = "bilinear"):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.flow = flow
        self.mask = mask
        self.warp_mode = Warp(warp_mode).mode
        self.texture: Optional[nn.Module] = None   # TextureBlend, or None: the decoder sees F^o_t itself

    def display(self, composite: torch.Tensor, mask: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """The features the decoder turns into O_t (F^o_t, or it through the texture blend)."""
        return composite if self.texture is None else self.texture(composite, mask, features)

    def net0(self, image: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        features = self.encoder(image)
        return self.decoder(features), features

    def net1(self, previous_image: torch.Tensor, image: torch.Tensor, previous_composite: torch.Tensor):
        """Returns (O_t, F^o_t, M, W_t)."""
        features = self.encoder(image)
        flow = self.flow(previous_image, image)
        warped = warp(previous_composite, flow, self.warp_mode)
        mask = mask_of(self.mask, features, warped, previous_image, image, flow)
        composite = compose(features, warped, mask)
        return self.decoder(self.display(composite, mask, features)), composite, mask, flow


def style_network(net: "CoherentNet") -> nn.Sequential:
    """Encoder then decoder as one module: the form train_style trains and saves in a style run's
    checkpoint.pt ("model"), so a checkpoint loads into any network of the same width."""
    return nn.Sequential(net.encoder, net.decoder)


def build(channels=(16, 32, 64), residual_blocks=5, flow_width=16, mask_width=16) -> CoherentNet:
    return CoherentNet(StyleEncoder(channels, residual_blocks), StyleDecoder(channels),
                       FlowNet(flow_width), MaskNet(channels[2], mask_width))
