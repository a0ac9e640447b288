#!/usr/bin/env bash
# Validation of model bundles on footage that no training or selection step used (docs/EVAL.md):
# handheld and slow-camera clips, fast motion (juggling, judo, a car), and a generated cel-shaded
# animation with exact flow (training.animation). Every clip is judged on its own: cove eval's
# table gives the mean and the worst clip over all pairs and over each clip's first 6 frames
# (short sequences, little history for the recurrence), and the share of frame pairs improved.
#
#   scripts/validate.sh OUT BUNDLE[,BUNDLE...] [more cove eval options, e.g. --style-net ...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ $# -lt 2 ]; then
  echo "usage: scripts/validate.sh OUT BUNDLE[,BUNDLE...] [cove eval options]" >&2
  exit 2
fi
OUT=$1 BUNDLES=$2
shift 2
V=${COVE_DATA:-../shared/data}/video
if [ ! -d "$V" ]; then
  echo "validation clips not found in $V: set COVE_DATA to the development data folder (../shared/data)" >&2
  exit 1
fi
ANIMATION=.cache/clips/animation
[ -d "$ANIMATION/flow" ] || /usr/bin/python3 -m training.animation --out "$ANIMATION" --frames 48
CLIPS=$V/bedroom,$V/test-sample1.mp4,$V/schoolgirls.mp4,$V/05_default_juggle.mp4,$V/cat.mp4,$V/running_car.mp4
CLIPS=$CLIPS,$V/judo,$ANIMATION
./cove eval --clips "$CLIPS" --styles "$BUNDLES" --max-frames 20 --out "$OUT" "$@"
