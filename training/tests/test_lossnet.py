"""Parity of the converted nsfwjs networks with the package's own runtime (TensorFlow.js, pure-JS CPU
backend): intermediate activations and final probabilities on a few images.

Tolerance: the largest absolute difference per layer must be below 1e-4 of that layer's largest
absolute activation (measured: ~1.5e-6 with BatchNorm folded), probabilities within 1e-5. Label
agreement alone would not catch BGR input, padding counted in a pooling average or a swapped
kernel axis; the activations do, and the negative controls below prove that they would.
"""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest
import torch

from training.lossnet import convert, fetch

pytestmark = pytest.mark.skipif(shutil.which("npm") is None or shutil.which("node") is None,
                                reason="npm/node absent: the loss-network parity test needs them to fetch nsfwjs "
                                       "and to run the TensorFlow.js reference")

TOLERANCE = 1e-4
PROB_TOLERANCE = 1e-5
CASES = {
    "inception_v3": (299, ["activation_3", "mixed0", "mixed2", "mixed5", "dense_3"]),
    "mobilenet_v2": (224, ["Conv1_relu", "block_2_add", "block_6_expand_relu", "block_9_add", "dense_3"]),
}


def _images(size: int) -> np.ndarray:
    """Three NHWC float images in [0, 1] with colour and edges in every corner: a photo-like blend
    of gradients, a checkerboard with coloured blocks, and noise; no shared data needed."""
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:size, 0:size] / size
    smooth = np.stack([xx, yy, 0.5 + 0.5 * np.sin(6 * xx * yy * np.pi)], axis=2)
    checker = ((np.floor(xx * 9) + np.floor(yy * 7)) % 2)[..., None] * np.array([0.9, 0.2, 0.1]) + \
        (1 - ((np.floor(xx * 9) + np.floor(yy * 7)) % 2))[..., None] * np.array([0.1, 0.4, 0.95])
    noise = rng.random((size, size, 3))
    return np.stack([smooth, checker, noise]).astype(np.float32)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """model -> (images, {(image index, layer): NHWC array}) from TensorFlow.js."""
    modules = fetch.reference_runtime()
    out = {}
    for model, (size, layers) in CASES.items():
        folder = tmp_path_factory.mktemp(model)
        images = _images(size)
        inputs = []
        for i, img in enumerate(images):
            path = str(folder / f"in{i}.bin")
            img[None].tofile(path)
            inputs.append({"file": path, "shape": [1, size, size, 3]})
        request = folder / "request.json"
        request.write_text(json.dumps({"inputs": inputs, "layers": layers, "out": str(folder)}))
        subprocess.run(["node", os.path.join(fetch.HERE, "reference.js"), fetch.model_dir(model), str(request)],
                       check=True, env={**os.environ, "NODE_PATH": modules}, stderr=subprocess.DEVNULL)
        shapes = json.loads((folder / "outputs.json").read_text())
        out[model] = (images, {(i, l): np.fromfile(str(folder / f"{i}_{l}.bin"), np.float32).reshape(
            shapes[f"{i}_{l}.bin"]) for i in range(len(images)) for l in layers})
    return out


def _converted(model: str, images: np.ndarray, layers, transform=lambda x: x, traced_at=None):
    """The converted network's outputs (NHWC) for nsfwjs-range images, fed as the --loss-net
    contract says: ImageNet-normalised RGB."""
    net = convert.build(model, layers, input_range="nsfwjs")
    module = convert.script(net, traced_at or images.shape[1:3])
    x = torch.from_numpy(images).permute(0, 3, 1, 2)
    mean = torch.tensor(convert.IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(convert.IMAGENET_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        ys = module((transform(x) - mean) / std)
    return [y.permute(0, 2, 3, 1).numpy() if y.dim() == 4 else y.numpy() for y in ys]


def _relative_errors(ours, ref, layers):
    errors = {}
    for j, layer in enumerate(layers):
        worst = 0.0
        for i in range(ours[j].shape[0]):
            r = ref[(i, layer)]
            worst = max(worst, float(np.abs(ours[j][i:i + 1] - r).max() / np.abs(r).max()))
        errors[layer] = worst
    return errors


@pytest.mark.parametrize("model", sorted(CASES))
def test_every_probed_layer_matches_tensorflow_js(reference, model):
    images, ref = reference[model]
    layers = CASES[model][1]
    ours = _converted(model, images, layers)
    errors = _relative_errors(ours, ref, layers)
    assert all(e < TOLERANCE for e in errors.values()), errors
    probs = ours[-1]
    for i in range(len(images)):
        assert np.abs(probs[i] - ref[(i, "dense_3")][0]).max() < PROB_TOLERANCE
        assert probs[i].sum() == pytest.approx(1.0, abs=1e-5)


def test_a_feature_network_traced_at_one_size_runs_at_another(reference):
    images, ref = reference["inception_v3"]
    layers = ["activation_3", "mixed0", "mixed2", "mixed5"]
    ours = _converted("inception_v3", images, layers, traced_at=(256, 256))  # run at 299
    errors = _relative_errors(ours, ref, layers)
    assert all(e < TOLERANCE for e in errors.values()), errors


def test_the_comparison_catches_bgr_input(reference):
    images, ref = reference["inception_v3"]
    layers = ["activation_3", "mixed2"]
    ours = _converted("inception_v3", images, layers, transform=lambda x: x.flip(1))
    errors = _relative_errors(ours, ref, layers)
    assert all(e > 100 * TOLERANCE for e in errors.values()), errors


def test_the_comparison_catches_padding_counted_in_the_average_pool(reference, monkeypatch):
    images, ref = reference["inception_v3"]
    from training.lossnet import keras

    def counting_pool(self, x):  # PyTorch's default: zeros of the padding count in the mean
        if self.average_pad is not None:
            return torch.nn.functional.avg_pool2d(self.average_pad(x), self.kernel, self.stride)
        return original(self, x)

    original = keras.Pool.forward
    monkeypatch.setattr(keras.Pool, "forward", counting_pool)
    ours = _converted("inception_v3", images, ["mixed0"])
    errors = _relative_errors(ours, ref, ["mixed0"])
    assert errors["mixed0"] > 10 * TOLERANCE, errors


def test_converting_a_layer_past_the_frozen_part_needs_a_flag(tmp_path):
    with pytest.raises(SystemExit, match="last layer with ImageNet weights"):
        convert.main(["--model", "inception_v3", "--layers", "mixed6", "--out", str(tmp_path / "x.pt")])


def test_a_corrupted_package_is_refused(tmp_path):
    tgz = tmp_path / "nsfwjs-4.4.0.tgz"
    tgz.write_bytes(b"not the package")
    with pytest.raises(SystemExit, match="integrity"):
        fetch.fetch_package(str(tmp_path))
    assert not tgz.exists()
