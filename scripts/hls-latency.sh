#!/usr/bin/env bash
# Ingest-to-playable latency of a live HLS output. Against a standalone local broker: the stream job
# (cove run, after a warm-up video) stylizes a generated clip that cove ingest sends at --rate frames
# per second (a live feed's pace), while cove export --follow writes it as an HLS playlist with
# --segment seconds per segment. Reports, over the segments, the median time from the ingest of a
# segment's first and last frame to the segment being listed in the playlist.
#
#   scripts/hls-latency.sh [--frames 200] [--size 320x180] [--rate 10] [--segment 2] [--delivery exactly_once]
#                          [--checkpoint-ms 1000] [--style candy-imagenet] [--port 29192]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/harness.sh"
FRAMES=200 SIZE=320x180 RATE=10 SEGMENT=2 DELIVERY=exactly_once CHECKPOINT_MS=1000
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --segment) SEGMENT=$2 ;; --delivery) DELIVERY=$2 ;; --checkpoint-ms) CHECKPOINT_MS=$2 ;;
    *) ARGS+=("$1" "$2") ;;
  esac
  shift 2
done
parse_options "${ARGS[@]+"${ARGS[@]}"}"
setup_work cove-hls
cleanup() {
  [ -n "${RUN_PID:-}" ] && kill "$RUN_PID" 2>/dev/null && wait "$RUN_PID" 2>/dev/null || true
  "$COVE" broker stop --dir "$WORK/broker" --port "$PORT" >/dev/null 2>&1 || true
}
trap cleanup EXIT

cat > "$WORK/hls.yaml" <<YAML
bootstrap: $B
delivery: $DELIVERY
checkpoint:
  interval_ms: $CHECKPOINT_MS
YAML
"$COVE" broker start --dir "$WORK/broker" --port "$PORT"
"$COVE" run --config "$WORK/hls.yaml" --checkpoints "$WORK/cp" --style "$STYLE" --until-idle 15 > "$WORK/run.log" 2>&1 &
RUN_PID=$!
# the job is up once a warm-up video comes out
"$COVE" ingest --config "$WORK/hls.yaml" --video-id warm-up --generate "${SIZE}x2" > /dev/null 2>&1
until "$COVE" export --config "$WORK/hls.yaml" --video-id warm-up --frames "$WORK/warm-up" > /dev/null 2>&1; do sleep 1; done
log "job warm; following into $WORK/hls/live.m3u8"
"$COVE" export --config "$WORK/hls.yaml" --video-id live --follow --output "$WORK/hls/live.m3u8" \
    --segment-seconds "$SEGMENT" --report "$WORK/latency.json" > "$WORK/export.log" 2>&1 &
EXPORT_PID=$!
"$COVE" ingest --config "$WORK/hls.yaml" --video-id live --generate "${SIZE}x${FRAMES}" --rate "$RATE" > "$WORK/ingest.log" 2>&1
wait "$EXPORT_PID"
log "$FRAMES frames of $SIZE at $RATE fps, $DELIVERY (checkpoints every $CHECKPOINT_MS ms), HLS segments of $SEGMENT s:"
grep "ingest to playable" "$WORK/export.log"
