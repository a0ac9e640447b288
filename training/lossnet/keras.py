"""A Keras 2 functional model (TensorFlow.js "layers" JSON + weights) as a PyTorch module.

Only the layers needed for the requested outputs are built. Tensors are NCHW inside; the Keras
semantics that differ from PyTorch's defaults are kept:
- kernels are HWIO (depthwise: HW C M) and become OIHW;
- 'same' padding puts the odd pixel at the bottom/right (TensorFlow), and a 'same' average pool
  does not count the padding;
- BatchNormalization takes its epsilon from the layer config and may lack gamma (scale=False) or
  beta (center=False);
- Concatenate follows the order of the layer's inbound nodes; Flatten reads NHWC order.
"""
import json
import os
from typing import Dict, List, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

QUANTIZED_BYTES = {"uint8": (1, np.uint8), "uint16": (2, np.uint16)}


def read_weights(model: dict, data: bytes) -> Dict[str, np.ndarray]:
    """The manifest's tensors, dequantized (value = min + scale * q) to float32."""
    out, offset = {}, 0
    for group in model["weightsManifest"]:
        for spec in group["weights"]:
            count = int(np.prod(spec["shape"])) if spec["shape"] else 1
            q = spec.get("quantization")
            if q:
                if q["dtype"] not in QUANTIZED_BYTES:
                    raise ValueError(f"{spec['name']}: unsupported quantization {q['dtype']}")
                size, dtype = QUANTIZED_BYTES[q["dtype"]]
                raw = np.frombuffer(data, dtype, count, offset).astype(np.float64)
                values = (q["min"] + q["scale"] * raw).astype(np.float32)
                offset += count * size
            elif spec["dtype"] == "float32":
                values = np.frombuffer(data, np.float32, count, offset).copy()
                offset += count * 4
            else:
                raise ValueError(f"{spec['name']}: unsupported dtype {spec['dtype']}")
            out[spec["name"]] = values.reshape(spec["shape"])
    if offset != len(data):
        raise ValueError(f"weights: manifest covers {offset} bytes, data has {len(data)}")
    return out


def load_dump(folder: str):
    """model.json and weights.bin as written by dump_model.js."""
    with open(os.path.join(folder, "model.json")) as f:
        model = json.load(f)
    with open(os.path.join(folder, "weights.bin"), "rb") as f:
        weights = read_weights(model, f.read())
    return model, weights


def _same_pads(size: int, kernel: int, stride: int):
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class KerasPad(nn.Module):
    """TensorFlow 'same' padding (extra pixel bottom/right) or ZeroPadding2D's explicit pads."""

    def __init__(self, kernel: Sequence[int], stride: Sequence[int], value: float = 0.0, fixed=None):
        super().__init__()
        self.kernel, self.stride, self.value = list(kernel), list(stride), value
        if fixed is None and all(s == 1 for s in stride):  # stride 1: the pads do not depend on the size
            fixed = [*_same_pads(1, kernel[1], 1), *_same_pads(1, kernel[0], 1)]
        self.fixed = fixed

    def pads(self, h: int, w: int) -> List[int]:
        if self.fixed is not None:
            return self.fixed
        top, bottom = _same_pads(h, self.kernel[0], self.stride[0])
        left, right = _same_pads(w, self.kernel[1], self.stride[1])
        return [left, right, top, bottom]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, self.pads(x.shape[2], x.shape[3]), value=self.value)

    def size_dependent(self) -> bool:
        """'same' padding with a stride > 1 depends on the input size: a traced module would keep
        the pads of the size it was traced at."""
        return self.fixed is None and any(s > 1 for s in self.stride)


def _activation(name: str, x: torch.Tensor) -> torch.Tensor:
    if name == "linear":
        return x
    if name == "relu":
        return F.relu(x)
    if name == "relu6":
        return F.relu6(x)
    if name == "softmax":
        return F.softmax(x, dim=1)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "tanh":
        return torch.tanh(x)
    raise ValueError(f"unsupported activation {name}")


class Conv(nn.Module):
    def __init__(self, cfg: dict, w: Dict[str, np.ndarray], name: str, depthwise: bool):
        super().__init__()
        kernel = torch.from_numpy(w[f"{name}/depthwise_kernel" if depthwise else f"{name}/kernel"])
        if depthwise:  # H, W, C, M -> C*M, 1, H, W
            h, wd, c, m = kernel.shape
            weight, groups = kernel.permute(2, 3, 0, 1).reshape(c * m, 1, h, wd), c
        else:  # H, W, I, O -> O, I, H, W
            weight, groups = kernel.permute(3, 2, 0, 1), 1
        bias = torch.from_numpy(w[f"{name}/bias"]) if cfg.get("use_bias") else None
        if cfg.get("dilation_rate", [1, 1]) != [1, 1]:
            raise ValueError(f"{name}: dilation is not supported")
        self.conv = nn.Conv2d(weight.shape[1] * groups, weight.shape[0], tuple(weight.shape[2:]),
                              tuple(cfg["strides"]), groups=groups, bias=bias is not None)
        with torch.no_grad():
            self.conv.weight.copy_(weight)
            if bias is not None:
                self.conv.bias.copy_(bias)
        self.pad = KerasPad(cfg["kernel_size"], cfg["strides"]) if cfg["padding"] == "same" else None
        self.activation = cfg.get("activation", "linear")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad is not None:
            x = self.pad(x)
        return _activation(self.activation, self.conv(x))


class BatchNorm(nn.Module):
    """Inference BatchNormalization as a per-channel affine map (scale, shift)."""

    def __init__(self, cfg: dict, w: Dict[str, np.ndarray], name: str):
        super().__init__()
        if cfg.get("axis") not in (3, -1):
            raise ValueError(f"{name}: only channel-last BatchNormalization is supported")
        mean = torch.from_numpy(w[f"{name}/moving_mean"]).double()
        var = torch.from_numpy(w[f"{name}/moving_variance"]).double()
        gamma = torch.from_numpy(w[f"{name}/gamma"]).double() if cfg.get("scale", True) else torch.ones_like(mean)
        beta = torch.from_numpy(w[f"{name}/beta"]).double() if cfg.get("center", True) else torch.zeros_like(mean)
        scale = gamma / torch.sqrt(var + cfg["epsilon"])
        self.register_buffer("scale", scale.float().view(1, -1, 1, 1))
        self.register_buffer("shift", (beta - mean * scale).float().view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.shift


class Pool(nn.Module):
    def __init__(self, cfg: dict, average: bool):
        super().__init__()
        self.kernel, self.stride, self.average = tuple(cfg["pool_size"]), tuple(cfg["strides"]), average
        same = cfg["padding"] == "same"
        # 'same' max pooling pads with -inf; 'same' average pooling averages the real pixels only
        self.pad = KerasPad(self.kernel, self.stride, value=float("-inf")) if same and not average else None
        self.average_pad = KerasPad(self.kernel, self.stride) if same and average else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.average_pad is not None:
            total = F.avg_pool2d(self.average_pad(x), self.kernel, self.stride)
            count = F.avg_pool2d(self.average_pad(torch.ones_like(x[:, :1])), self.kernel, self.stride)
            return total / count
        if self.pad is not None:
            x = self.pad(x)
        return F.avg_pool2d(x, self.kernel, self.stride) if self.average else F.max_pool2d(x, self.kernel, self.stride)


class Dense(nn.Module):
    def __init__(self, cfg: dict, w: Dict[str, np.ndarray], name: str):
        super().__init__()
        kernel = torch.from_numpy(w[f"{name}/kernel"])
        self.linear = nn.Linear(kernel.shape[0], kernel.shape[1], bias=cfg.get("use_bias", True))
        with torch.no_grad():
            self.linear.weight.copy_(kernel.t())
            if cfg.get("use_bias", True):
                self.linear.bias.copy_(torch.from_numpy(w[f"{name}/bias"]))
        self.activation = cfg.get("activation", "linear")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _activation(self.activation, self.linear(x))


class Activation(nn.Module):
    def __init__(self, name: str, max_value=None, negative_slope: float = 0.0, threshold: float = 0.0):
        super().__init__()
        self.name, self.max_value, self.negative_slope = name, max_value, negative_slope
        if threshold != 0.0:
            raise ValueError("ReLU with a threshold is not supported")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.name != "relu_layer":
            return _activation(self.name, x)
        y = F.leaky_relu(x, self.negative_slope) if self.negative_slope else F.relu(x)
        return y.clamp_max(self.max_value) if self.max_value is not None else y


class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


def build_layer(layer: dict, w: Dict[str, np.ndarray]) -> nn.Module:
    kind, cfg, name = layer["class_name"], layer["config"], layer["name"]
    if kind in ("Conv2D", "DepthwiseConv2D"):
        return Conv(cfg, w, name, depthwise=kind == "DepthwiseConv2D")
    if kind == "BatchNormalization":
        return BatchNorm(cfg, w, name)
    if kind == "Activation":
        return Activation(cfg["activation"])
    if kind == "ReLU":
        return Activation("relu_layer", cfg.get("max_value"), cfg.get("negative_slope", 0.0), cfg.get("threshold", 0.0))
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return Pool(cfg, average=kind == "AveragePooling2D")
    if kind == "ZeroPadding2D":
        (top, bottom), (left, right) = cfg["padding"]
        return KerasPad([1, 1], [1, 1], fixed=[left, right, top, bottom])
    if kind == "Dense":
        return Dense(cfg, w, name)
    if kind == "Flatten":  # Keras flattens channels-last
        return Lambda(lambda x: x.permute(0, 2, 3, 1).flatten(1))
    if kind == "Dropout":
        return nn.Identity()
    raise ValueError(f"{name}: unsupported layer type {kind}")


MERGE_LAYERS = ("Concatenate", "Add")


class KerasGraph(nn.Module):
    """The sub-graph of a Keras functional model that computes `outputs` (layer names) from an
    NCHW image in the model's own input range. forward returns the outputs in the order given."""

    def __init__(self, model: dict, weights: Dict[str, np.ndarray], outputs: Sequence[str]):
        super().__init__()
        config = model["modelTopology"]["model_config"]["config"]
        layers = {l["name"]: l for l in config["layers"]}
        missing = [o for o in outputs if o not in layers]
        if missing:
            raise ValueError(f"unknown layers {missing}")
        self.order = self._topological(layers, outputs)
        self.inputs_of = {n: [src[0] for src in layers[n]["inbound_nodes"][0]] if layers[n]["inbound_nodes"] else []
                          for n in self.order}
        self.kinds = {n: layers[n]["class_name"] for n in self.order}
        self.concat_axis = {n: layers[n]["config"]["axis"] for n in self.order if self.kinds[n] == "Concatenate"}
        if any(a not in (3, -1) for a in self.concat_axis.values()):
            raise ValueError("only channel-axis concatenation is supported")
        self.layers = nn.ModuleDict({n: build_layer(layers[n], weights) for n in self.order
                                     if self.kinds[n] not in MERGE_LAYERS + ("InputLayer",)})
        self.outputs = list(outputs)
        for p in self.parameters():
            p.requires_grad_(False)

    @staticmethod
    def _topological(layers: dict, outputs: Sequence[str]) -> List[str]:
        order, seen = [], set()

        def visit(name: str):
            if name in seen:
                return
            seen.add(name)
            nodes = layers[name]["inbound_nodes"]
            if len(nodes) > 1:
                raise ValueError(f"{name}: shared layers are not supported")
            for src in (nodes[0] if nodes else []):
                visit(src[0])
            order.append(name)

        for o in outputs:
            visit(o)
        return order

    def fold_batchnorm(self) -> int:
        """Folds each BatchNormalization into the linear convolution that feeds only it (the
        inference form: one convolution instead of a convolution and an affine pass). Returns the
        number folded."""
        consumers: Dict[str, List[str]] = {}
        for n, srcs in self.inputs_of.items():
            for s in srcs:
                consumers.setdefault(s, []).append(n)
        folded = 0
        for name in self.order:
            if self.kinds[name] != "BatchNormalization":
                continue
            src = self.inputs_of[name][0]
            conv = self.layers[src] if src in self.layers else None
            if not isinstance(conv, Conv) or conv.activation != "linear" or consumers[src] != [name] or src in self.outputs:
                continue
            bn, c = self.layers[name], conv.conv
            with torch.no_grad():
                scale = bn.scale.view(-1)
                bias = c.bias if c.bias is not None else torch.zeros_like(scale)
                folded_bias = bias * scale + bn.shift.view(-1)
                c.weight.mul_(scale.view(-1, 1, 1, 1))
                c.bias = nn.Parameter(folded_bias, requires_grad=False)
            self.layers[name] = nn.Identity()
            folded += 1
        return folded

    def size_dependent(self) -> List[str]:
        return [n for n, m in self.layers.items()
                if any(isinstance(s, KerasPad) and s.size_dependent() for s in m.modules())]

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        values: Dict[str, torch.Tensor] = {}
        for name in self.order:
            kind, srcs = self.kinds[name], self.inputs_of[name]
            if kind == "InputLayer":
                values[name] = x
            elif kind == "Concatenate":
                values[name] = torch.cat([values[s] for s in srcs], dim=1)
            elif kind == "Add":
                values[name] = sum(values[s] for s in srcs)
            else:
                values[name] = self.layers[name](values[srcs[0]])
        return [values[o] for o in self.outputs]
