#!/usr/bin/env bash
# Rescaling with keyed state on a real Flink session cluster (cove cluster). The job runs at
# parallelism 2 on 2 TaskManagers over the first third of 8 videos, is stopped with a savepoint,
# resumed from it at parallelism 3 on a third TaskManager for the second third, stopped with a
# savepoint again, and resumed at parallelism 1 for the rest. Each third is ingested once the job
# runs (cove ingest --from-frame continues the videos), so every stop lands mid-stream on any machine.
# The F^o state of every video must follow its key groups to the new subtasks: every (video, seq) exactly once and in order in
# read_committed output, and at both rescales the pair across the stop as stable as its neighbours
# (cove check --boundary: e_stab <= 1.5x the median; a restart with Net0 would not pass). A stop that
# did not land mid-stream for every video, or a parallelism-3 job not spread over 3 TaskManagers, fails.
# Failures while frames are in flight are cluster-failover.sh's part.
#
#   scripts/cluster-rescale.sh [--frames 30] [--size 320x180] [--style candy-imagenet] [--rate max]
#                              [--port 29192] [--rest-port 18081] [--metrics-port 19249]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/harness.sh"
FRAMES=30 RATE=max
parse_options "$@"
setup_work cove-cluster-rescale cluster

# submits the job at parallelism $1 (from savepoint $2 when given)
submit() {
  "$COVE" run --jobmanager "localhost:$REST" --bootstrap "$B" --checkpoints "$CLUSTER/checkpoints" --style "$STYLE" \
      --checkpoint-interval-ms 1000 --parallelism "$1" ${2:+--from-savepoint "$2"} | grep -v '^resuming'
}

# busy slots across the cluster's TaskManagers, as "<TaskManagers with a busy slot> <busy slots>"
busy() {
  http_get "http://localhost:$REST/taskmanagers" | "$PY" -c \
      'import json,sys; t=json.load(sys.stdin)["taskmanagers"]; b=[x["slotsNumber"]-x["freeSlots"] for x in t]; print(sum(1 for x in b if x), sum(b))'
}

"$COVE" broker start --dir "$WORK/broker" --port "$PORT"
"$COVE" cluster start --dir "$CLUSTER" --taskmanagers 2 --port "$REST" --metrics-port "$METRICS"
submit 2
await_subtasks_loaded 2
PART=$((FRAMES / 3))
log "parallelism 2: frames 0-$((PART - 1)) of $VIDEOS videos"
ingest_frames 0 "$PART"
wait_all_committed $((VIDEOS * PART))
SAVEPOINT_2=$("$COVE" cluster stop-job --dir "$CLUSTER")
require_mid_stream "$WORK/cut-2to3.json" "stop with a savepoint at parallelism 2 ($SAVEPOINT_2)"

"$COVE" cluster add-taskmanager --dir "$CLUSTER"
submit 3 "$SAVEPOINT_2"
await_subtasks_loaded 5
read -r tms slots <<< "$(busy)"
log "parallelism 3: $slots busy slots on $tms TaskManagers; frames $PART-$((2 * PART - 1))"
[ "$tms" -eq 3 ] || { echo "the parallelism-3 job is not spread over 3 TaskManagers" >&2; exit 1; }
ingest_frames "$PART" "$PART"
wait_all_committed $((VIDEOS * 2 * PART))
SAVEPOINT_3=$("$COVE" cluster stop-job --dir "$CLUSTER")
require_mid_stream "$WORK/cut-3to1.json" "stop with a savepoint at parallelism 3 ($SAVEPOINT_3)" "$WORK/cut-2to3.json"

submit 1 "$SAVEPOINT_3"
log "parallelism 1: frames $((2 * PART))-$((FRAMES - 1))"
ingest_frames $((2 * PART)) $((FRAMES - 2 * PART))
wait_all_committed
log "== across the rescale 2 -> 3"
"$COVE" check --bootstrap "$B" --boundary "$WORK/cut-2to3.json"
log "== across the rescale 3 -> 1"
"$COVE" check --bootstrap "$B" --boundary "$WORK/cut-3to1.json"
