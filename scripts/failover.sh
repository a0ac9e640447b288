#!/usr/bin/env bash
# Failover harness (issue: reliability). Against a standalone local broker: 8 videos ingested
# concurrently, the job killed with SIGKILL mid-stream, restarted with --resume, then verified:
# every (video, seq) exactly once and in order in read_committed output, and the frame pair across
# the failure as stable as its neighbours (e_stab <= 1.5x the median pair: F^o came back from the
# checkpoint instead of restarting with Net0).
#
#   scripts/failover.sh [--frames 60] [--size 320x180] [--style candy] [--port 29092]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRAMES=60 SIZE=320x180 STYLE=candy PORT=29092 VIDEOS=8
while [ $# -gt 0 ]; do
  case "$1" in
    --frames) FRAMES=$2; shift 2 ;; --size) SIZE=$2; shift 2 ;; --style) STYLE=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;; *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
WORK=$(mktemp -d /tmp/cove-failover.XXXXXX)
COVE="$ROOT/cove"
B="localhost:$PORT"
cleanup() { pkill -9 -f "cove.cli.Main run .*$WORK" 2>/dev/null || true; "$COVE" broker stop --dir "$WORK/broker" --port "$PORT" >/dev/null 2>&1 || true; }
trap cleanup EXIT

"$COVE" broker start --dir "$WORK/broker" --port "$PORT"
for i in $(seq 0 $((VIDEOS - 1))); do
  "$COVE" ingest --bootstrap "$B" --video-id "video-$i" --generate "${SIZE}x${FRAMES}" --seed "$i" > "$WORK/ingest-$i.log" 2>&1 &
done
wait
echo "ingested $VIDEOS videos x $FRAMES frames"

"$COVE" run --bootstrap "$B" --checkpoints "$WORK/cp" --style "$STYLE" --checkpoint-interval-ms 1000 \
    --parallelism 2 > "$WORK/run-1.log" 2>&1 &
RUN_PID=$!
TOTAL=$((VIDEOS * FRAMES))
# wait until about a third of the frames are committed, then kill -9 the job process
for _ in $(seq 1 600); do
  sleep 1
  n=$( ("$COVE" check --bootstrap "$B" --snapshot "$WORK/cut.json" 2>/dev/null || true) | { grep -o '=[0-9]*' || true; } | tr -d '=' | awk '{s+=$1+1} END {print s+0}')
  [ "$n" -ge $((TOTAL / 3)) ] && break
done
kill -9 "$RUN_PID"
"$COVE" check --bootstrap "$B" --snapshot "$WORK/cut.json"
echo "killed the job (SIGKILL) after $n committed frames; resuming"

"$COVE" run --bootstrap "$B" --checkpoints "$WORK/cp" --style "$STYLE" --checkpoint-interval-ms 1000 \
    --parallelism 2 --resume --until-idle 8 > "$WORK/run-2.log" 2>&1
"$COVE" check --bootstrap "$B" --boundary "$WORK/cut.json"
