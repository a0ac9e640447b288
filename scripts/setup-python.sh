#!/usr/bin/env bash
# Installs the Python side's dependencies from Debian if any is missing (PyPI is not used).
# libopenblas0-pthread matters: without it Debian's torch does fp32 matmul ~40x slower.
set -euo pipefail
PY="${COVE_PYTHON:-/usr/bin/python3}"
PKGS="python3-torch python3-opencv python3-numpy python3-pil python3-pytest libopenblas0-pthread"
if [ -x "$PY" ] && "$PY" -c "import torch, cv2, numpy, PIL, pytest" 2>/dev/null \
   && dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  exit 0
fi
echo "setup: installing Debian packages: $PKGS" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $PKGS >/dev/null
"$PY" -c "import torch, cv2, numpy, PIL, pytest" || { echo "setup: $PY still lacks torch/cv2/numpy/PIL/pytest" >&2; exit 1; }
