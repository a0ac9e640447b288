#!/usr/bin/env bash
# Bounded state under a flood of video ids. Against a standalone local broker: 10,000 one-frame
# videos (generated, --size) go into the stream job at parallelism 2 with limits.max_active_videos
# set to --cap per subtask. Reports how many videos were admitted and refused, the job's largest
# retained checkpoint against the bound (cap x subtasks x one video's F^o), and runs cove check: every
# input record is either stylized exactly once or a dead letter (reason "capacity"), none lost.
#
#   scripts/flood.sh [--videos 10000] [--cap 64] [--size 64x64] [--style candy-imagenet] [--port 29192]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/harness.sh"
VIDEOS=10000 SIZE=64x64 CAP=64
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in --cap) CAP=$2; shift 2 ;; *) ARGS+=("$1" "$2"); shift 2 ;; esac
done
parse_options "${ARGS[@]+"${ARGS[@]}"}"
setup_work cove-flood
cleanup() { "$COVE" broker stop --dir "$WORK/broker" --port "$PORT" >/dev/null 2>&1 || true; }
trap cleanup EXIT

cat > "$WORK/flood.yaml" <<YAML
bootstrap: $B
limits:
  max_active_videos: $CAP
YAML
"$COVE" broker start --dir "$WORK/broker" --port "$PORT"
# frame 0 of two-frame clips: no end-of-stream, so every admitted video keeps its state
"$COVE" ingest --config "$WORK/flood.yaml" --video-id flood --videos "$VIDEOS" --generate "${SIZE}x2" --max-frames 1 \
    > "$WORK/ingest.log" 2>&1
tail -1 "$WORK/ingest.log"
"$COVE" run --config "$WORK/flood.yaml" --checkpoints "$WORK/cp" --style "$STYLE" --parallelism 2 \
    --checkpoint-interval-ms 1000 --until-idle 8 > "$WORK/run.log" 2>&1
"$COVE" check --config "$WORK/flood.yaml" | tee "$WORK/check.log"
largest=$(find "$WORK/cp" -type f -printf '%s %h\n' | awk '{s[$2]+=$1} END {m=0; for (d in s) if (s[d]>m) m=s[d]; print m}')
echo "videos: $VIDEOS one-frame videos of ${SIZE}; cap: $CAP active videos per subtask, 2 subtasks"
echo "largest retained checkpoint: $largest bytes"
grep -q "CHECK PASSED" "$WORK/check.log"
