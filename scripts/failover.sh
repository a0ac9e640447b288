#!/usr/bin/env bash
# Failover harness. Against a standalone local broker: the job runs while 8 videos arrive paced
# (--rate frames per second each), the job process is killed with SIGKILL once about a third of the
# frames are committed, restarted with --resume, then verified: every (video, seq) exactly once
# and in order in read_committed output, and for every video the frame pair across the failure as
# stable as its neighbours (e_stab <= 1.5x the median pair: F^o came back from the checkpoint
# instead of restarting with Net0). A run in which the kill did not land mid-stream (nothing or
# everything committed at the kill) is invalid and exits non-zero, as does a check that had
# nothing to compare.
#
#   scripts/failover.sh [--frames 60] [--size 320x180] [--style candy-imagenet] [--rate 2] [--port 29092]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRAMES=60 SIZE=320x180 STYLE=candy-imagenet RATE=2 PORT=29092 VIDEOS=8
while [ $# -gt 0 ]; do
  case "$1" in
    --frames) FRAMES=$2; shift 2 ;; --size) SIZE=$2; shift 2 ;; --style) STYLE=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;; --port) PORT=$2; shift 2 ;; *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
WORK=$(mktemp -d /tmp/cove-failover.XXXXXX)
COVE="$ROOT/cove"
B="localhost:$PORT"
cleanup() { pkill -9 -f "cove.cli.Main run .*$WORK" 2>/dev/null || true; "$COVE" broker stop --dir "$WORK/broker" --port "$PORT" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# "<frames committed> <videos with a committed frame> <fewest> <most committed of one video>" per a snapshot
progress() { "$COVE" check --bootstrap "$B" --snapshot "$1" 2>/dev/null | { grep -o '=[0-9]*' || true; } | tr -d '=' \
    | awk 'BEGIN {m = -1} {c = $1 + 1; s += c; n++; if (m < 0 || c < m) m = c; if (c > x) x = c}
           END {print s + 0, n + 0, m < 0 ? 0 : m, x + 0}'; }

"$COVE" broker start --dir "$WORK/broker" --port "$PORT"
"$COVE" run --bootstrap "$B" --checkpoints "$WORK/cp" --style "$STYLE" --checkpoint-interval-ms 1000 \
    --parallelism 2 > "$WORK/run-1.log" 2>&1 &
RUN_PID=$!
# the videos start arriving once both subtasks have loaded the model: paced input then bounds the
# job's progress, so the kill below lands mid-stream however fast the machine is
for _ in $(seq 1 300); do
  [ "$(grep -c 'stylizes on' "$WORK/run-1.log" 2>/dev/null || true)" -ge 2 ] && break
  kill -0 "$RUN_PID" 2>/dev/null || { echo "the job exited; see $WORK/run-1.log" >&2; exit 1; }
  sleep 1
done
INGESTS=()
for i in $(seq 0 $((VIDEOS - 1))); do
  "$COVE" ingest --bootstrap "$B" --video-id "video-$i" --generate "${SIZE}x${FRAMES}" --seed "$i" --rate "$RATE" \
      > "$WORK/ingest-$i.log" 2>&1 &
  INGESTS+=($!)
done
TOTAL=$((VIDEOS * FRAMES))
echo "job started; $VIDEOS videos x $FRAMES frames arriving at $RATE fps each"
# wait until about a third of the frames, and a few of every video, are committed; then kill -9 the job
for _ in $(seq 1 600); do
  sleep 1
  read -r n videos fewest most <<< "$(progress "$WORK/progress.json")"
  [ "$n" -ge $((TOTAL / 3)) ] && [ "$videos" -eq "$VIDEOS" ] && [ "$fewest" -ge 3 ] && break
done
kill -9 "$RUN_PID"
read -r n videos fewest most <<< "$(progress "$WORK/cut.json")"
if [ "$videos" -lt "$VIDEOS" ] || [ "$most" -ge "$FRAMES" ]; then
  echo "INVALID RUN: at the kill $n of $TOTAL frames were committed, $videos of $VIDEOS videos had started and the" \
      "most advanced had $most of $FRAMES frames; the failure must land mid-stream for every video" >&2
  exit 1
fi
echo "killed the job (SIGKILL) after $n of $TOTAL committed frames: $(cat "$WORK/cut.json" | tr -d '\n ')"
wait "${INGESTS[@]}"
echo "ingest finished; resuming"

"$COVE" run --bootstrap "$B" --checkpoints "$WORK/cp" --style "$STYLE" --checkpoint-interval-ms 1000 \
    --parallelism 2 --resume --until-idle 8 > "$WORK/run-2.log" 2>&1
"$COVE" check --bootstrap "$B" --boundary "$WORK/cut.json"
