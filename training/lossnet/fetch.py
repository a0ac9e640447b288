"""Set-up step: fetch the pinned npm package nsfwjs and dump its Keras models for keras.py.

    python3 -m training.lossnet.fetch [--cache .cache/lossnet] [--reference-runtime]

`npm pack nsfwjs@4.4.0` into the cache, checked against the pinned integrity hash, unpacked, and each
model written as <cache>/<model>/model.json + weights.bin by dump_model.js. With
--reference-runtime it also installs the pure-JS TensorFlow.js runtime from this folder's
package-lock.json (`npm ci`, integrity-checked) for the converter's parity test. Never run at
training or inference time: converted networks are TorchScript files (convert.py).
"""
import argparse
import base64
import hashlib
import os
import shutil
import subprocess
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CACHE = os.path.join(ROOT, ".cache", "lossnet")
PACKAGE = "nsfwjs@4.4.0"
# sha512 of nsfwjs-4.4.0.tgz as the npm registry publishes it (npm view nsfwjs@4.4.0 dist.integrity)
INTEGRITY = "sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA=="
MODELS = ("inception_v3", "mobilenet_v2")


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise SystemExit(f"{tool} not found: install Node.js and npm (Debian: apt-get install nodejs npm) "
                         "to fetch the ImageNet loss network")
    return path


def integrity_of(path: str) -> str:
    with open(path, "rb") as f:
        return "sha512-" + base64.b64encode(hashlib.sha512(f.read()).digest()).decode()


def fetch_package(cache: str) -> str:
    """The unpacked package folder, fetching and verifying the tarball on first use."""
    unpacked = os.path.join(cache, "nsfwjs-4.4.0")
    if os.path.isfile(os.path.join(unpacked, "package", "package.json")):
        return os.path.join(unpacked, "package")
    os.makedirs(cache, exist_ok=True)
    tgz = os.path.join(cache, "nsfwjs-4.4.0.tgz")
    if not os.path.isfile(tgz):
        subprocess.run([_need("npm"), "pack", PACKAGE, "--pack-destination", cache, "--silent"],
                       check=True, stdout=subprocess.DEVNULL)
    actual = integrity_of(tgz)
    if actual != INTEGRITY:
        os.remove(tgz)
        raise SystemExit(f"{tgz}: integrity {actual} is not the pinned {INTEGRITY}; deleted, not used")
    tmp = unpacked + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    with tarfile.open(tgz) as tar:
        tar.extractall(tmp)
    os.replace(tmp, unpacked)
    return os.path.join(unpacked, "package")


def model_dir(name: str, cache: str = DEFAULT_CACHE) -> str:
    """<cache>/<name> with model.json and weights.bin, made on first use."""
    if name not in MODELS:
        raise SystemExit(f"unknown model {name}: choose one of {', '.join(MODELS)}")
    out = os.path.join(cache, name)
    if not os.path.isfile(os.path.join(out, "weights.bin")):
        package = fetch_package(cache)
        subprocess.run([_need("node"), os.path.join(HERE, "dump_model.js"), package, name, out], check=True,
                       stdout=subprocess.DEVNULL)
    return out


def reference_runtime(cache: str = DEFAULT_CACHE) -> str:
    """node_modules of the pinned TensorFlow.js CPU runtime (for the parity test)."""
    folder = os.path.join(cache, "node")
    modules = os.path.join(folder, "node_modules")
    lock = os.path.join(HERE, "package-lock.json")
    stamp = os.path.join(folder, "package-lock.json")
    if os.path.isdir(modules) and os.path.isfile(stamp) and open(stamp).read() == open(lock).read():
        return modules
    os.makedirs(folder, exist_ok=True)
    for f in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(HERE, f), folder)
    subprocess.run([_need("npm"), "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"], cwd=folder,
                   check=True)
    return modules


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cache", default=DEFAULT_CACHE)
    p.add_argument("--reference-runtime", action="store_true")
    args = p.parse_args(argv)
    for name in MODELS:
        print(model_dir(name, args.cache))
    if args.reference_runtime:
        print(reference_runtime(args.cache))


if __name__ == "__main__":
    main()
