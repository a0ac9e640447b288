"""Bring your own style network: pytorch/examples fast_neural_style TransformerNet -> cove bundle.

The TransformerNet (32/64/128 channels, inputs and outputs in 0..255) is split after its residual
blocks (r1/4(E)) into an encoder and a decoder that speak the bundle's [0,1] RGB convention, and
paired with the flow and mask sub-networks of an existing cove bundle (or fresh ones, for tests).
The mask sub-network expects feature statistics of the network it was trained with: retrain it
(training.train_temporal --init <new bundle>) for best stability.

    python3 -m training.byo --state-dict candy.pth --temporal-from models/candy --out models/my-candy
"""
import argparse
import os
import time

import torch
from torch import nn

from . import export, networks


class _ConvLayer(nn.Module):
    def __init__(self, cin, cout, kernel, stride):
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(kernel // 2)
        self.conv2d = nn.Conv2d(cin, cout, kernel, stride)

    def forward(self, x):
        return self.conv2d(self.reflection_pad(x))


class _Residual(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = _ConvLayer(channels, channels, 3, 1)
        self.in1 = nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = _ConvLayer(channels, channels, 3, 1)
        self.in2 = nn.InstanceNorm2d(channels, affine=True)

    def forward(self, x):
        return x + self.in2(self.conv2(torch.relu(self.in1(self.conv1(x)))))


class _UpsampleConv(nn.Module):
    def __init__(self, cin, cout, kernel, stride, upsample: float):
        super().__init__()
        self.upsample = upsample
        self.reflection_pad = nn.ReflectionPad2d(kernel // 2)
        self.conv2d = nn.Conv2d(cin, cout, kernel, stride)

    def forward(self, x):
        if self.upsample > 1.0:
            x = nn.functional.interpolate(x, mode="nearest", scale_factor=self.upsample)
        return self.conv2d(self.reflection_pad(x))


class TransformerEncoder(nn.Module):
    """conv1..res5 of TransformerNet; state_dict keys match the original's."""

    def __init__(self):
        super().__init__()
        self.conv1 = _ConvLayer(3, 32, 9, 1)
        self.in1 = nn.InstanceNorm2d(32, affine=True)
        self.conv2 = _ConvLayer(32, 64, 3, 2)
        self.in2 = nn.InstanceNorm2d(64, affine=True)
        self.conv3 = _ConvLayer(64, 128, 3, 2)
        self.in3 = nn.InstanceNorm2d(128, affine=True)
        self.res1, self.res2, self.res3, self.res4, self.res5 = [_Residual(128) for _ in range(5)]

    def forward(self, image):
        x = image * 255.0
        x = torch.relu(self.in1(self.conv1(x)))
        x = torch.relu(self.in2(self.conv2(x)))
        x = torch.relu(self.in3(self.conv3(x)))
        return self.res5(self.res4(self.res3(self.res2(self.res1(x)))))


class TransformerDecoder(nn.Module):
    """deconv1..deconv3 of TransformerNet, output rescaled from 0..255 to [0,1] and clamped."""

    def __init__(self):
        super().__init__()
        self.deconv1 = _UpsampleConv(128, 64, 3, 1, 2.0)
        self.in4 = nn.InstanceNorm2d(64, affine=True)
        self.deconv2 = _UpsampleConv(64, 32, 3, 1, 2.0)
        self.in5 = nn.InstanceNorm2d(32, affine=True)
        self.deconv3 = _UpsampleConv(32, 3, 9, 1, 1.0)

    def forward(self, features):
        x = torch.relu(self.in4(self.deconv1(features)))
        x = torch.relu(self.in5(self.deconv2(x)))
        return torch.clamp(self.deconv3(x) / 255.0, 0.0, 1.0)


ENCODER_PREFIXES = ("conv1.", "in1.", "conv2.", "in2.", "conv3.", "in3.", "res")


def split_state_dict(state):
    """Splits a TransformerNet state_dict into encoder and decoder parts (drops InstanceNorm running stats)."""
    state = {k: v for k, v in state.items() if not k.endswith(("running_mean", "running_var"))}
    enc = {k: v for k, v in state.items() if k.startswith(ENCODER_PREFIXES)}
    dec = {k: v for k, v in state.items() if not k.startswith(ENCODER_PREFIXES)}
    return enc, dec


def convert(state, temporal_from: str = None, seed: int = 0) -> networks.CoherentNet:
    enc_state, dec_state = split_state_dict(state)
    encoder, decoder = TransformerEncoder(), TransformerDecoder()
    encoder.load_state_dict(enc_state)
    decoder.load_state_dict(dec_state)
    if temporal_from:
        source = export.load_bundle(temporal_from)
        flow = source.flow
        if export.read_meta(temporal_from)["feature_channels"] != 128:
            torch.manual_seed(seed)
            mask = networks.MaskNet(128)  # features differ in width: mask must be retrained
        else:
            mask = source.mask
    else:
        torch.manual_seed(seed)
        flow, mask = networks.FlowNet(), networks.MaskNet(128)
    return networks.CoherentNet(encoder, decoder, flow, mask)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--state-dict", required=True, help="TransformerNet .pth state_dict (pytorch/examples)")
    p.add_argument("--temporal-from", help="bundle whose flow (and mask, if widths match) sub-networks to reuse")
    p.add_argument("--out", required=True, help="output bundle folder")
    p.add_argument("--name", help="bundle name (default: output folder name)")
    p.add_argument("--style", default="custom", help="style label recorded in bundle.json")
    args = p.parse_args(argv)
    state = torch.load(args.state_dict, map_location="cpu")
    net = convert(state, args.temporal_from)
    arch = export.architecture_of((32, 64, 128), 5, net.flow.conv1[0].out_channels,
                                  net.mask.body[0].out_channels, style_network="transformernet")
    made_by = {"command": export.command_line("byo", argv),
               "source_state_dict": os.path.basename(args.state_dict),
               "temporal_from": args.temporal_from, "date": time.strftime("%Y-%m-%d")}
    path = export.export_bundle(net, args.out, args.name or os.path.basename(os.path.normpath(args.out)),
                                args.style, arch, made_by)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
