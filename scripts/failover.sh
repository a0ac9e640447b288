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
source "$ROOT/scripts/lib/harness.sh"
FRAMES=60 RATE=2 PORT=29092
parse_options "$@"
setup_work cove-failover
cleanup() { pkill -9 -f "cove.cli.Main run .*$WORK" 2>/dev/null || true; "$COVE" broker stop --dir "$WORK/broker" --port "$PORT" >/dev/null 2>&1 || true; }
trap cleanup EXIT

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
start_ingests
echo "job started; $VIDEOS videos x $FRAMES frames arriving at $RATE fps each"
# once about a third of the frames and a few of every video are committed, kill -9 the job
wait_mid_stream 1/3 "$WORK/progress.json"
kill -9 "$RUN_PID"
require_mid_stream "$WORK/cut.json" "kill of the job (SIGKILL)"
wait "$INGEST"
echo "ingest finished; resuming"

"$COVE" run --bootstrap "$B" --checkpoints "$WORK/cp" --style "$STYLE" --checkpoint-interval-ms 1000 \
    --parallelism 2 --resume --until-idle 8 > "$WORK/run-2.log" 2>&1
"$COVE" check --bootstrap "$B" --boundary "$WORK/cut.json"
