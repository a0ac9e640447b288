#!/usr/bin/env bash
# TaskManager loss on a real Flink session cluster (cove cluster: a JobManager and 2 TaskManager
# processes). 8 videos arrive paced into a standalone broker, the job runs at parallelism 2 across the
# 2 TaskManagers; a third of the way through the input (once every video has 3 frames committed) one
# TaskManager process is killed with SIGKILL and a new one is started. The job must recover from its
# last checkpoint by itself: every (video, seq) exactly once and in order in read_committed output, and for every video the pair
# across the failure as stable as its neighbours (cove check --boundary: e_stab <= 1.5x the median).
# A run in which the kill did not land mid-stream, or after which the job did not restart, fails.
#
#   scripts/cluster-failover.sh [--frames 30] [--size 320x180] [--style candy-imagenet] [--rate 0.5]
#                               [--port 29192] [--rest-port 18081] [--metrics-port 19249]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/harness.sh"
FRAMES=30 RATE=0.5
parse_options "$@"
setup_work cove-cluster-failover cluster

"$COVE" broker start --dir "$WORK/broker" --port "$PORT"
"$COVE" cluster start --dir "$CLUSTER" --taskmanagers 2 --port "$REST" --metrics-port "$METRICS"
"$COVE" run --jobmanager "localhost:$REST" --bootstrap "$B" --checkpoints "$CLUSTER/checkpoints" --style "$STYLE" \
    --checkpoint-interval-ms 1000 --parallelism 2
JOB=$(running_job)
await_subtasks_loaded 2
start_ingests
log "job $JOB running on 2 TaskManagers; $VIDEOS videos x $FRAMES frames arriving at $RATE fps each"

wait_mid_stream 1/3 "$WORK/progress.json"
VICTIM=$(cat "$CLUSTER/pids/taskmanager-1.pid")
# Freeze the TaskManager first: no checkpoint can complete without its acknowledgement, so committed
# output stops moving, and the snapshot taken now is the point the job will recover to.
kill -STOP "$VICTIM"
sleep 2 # lets commits of an already completed checkpoint reach the broker
require_mid_stream "$WORK/cut.json" "kill of taskmanager-1 (SIGKILL, pid $VICTIM)"
kill -9 "$VICTIM"
for _ in $(seq 1 20); do kill -0 "$VICTIM" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$VICTIM" 2>/dev/null; then echo "taskmanager-1 (pid $VICTIM) survived SIGKILL" >&2; exit 1; fi
"$COVE" cluster add-taskmanager --dir "$CLUSTER"
wait "$INGEST"
log "ingest finished"
wait_all_committed
RESTARTS=$(job_restarts "$JOB")
log "job $JOB $(job_state "$JOB") after $RESTARTS restart(s)"
[ "$RESTARTS" -ge 1 ] || { echo "the job never restarted: the TaskManager loss was not tested" >&2; exit 1; }
"$COVE" check --bootstrap "$B" --boundary "$WORK/cut.json"
