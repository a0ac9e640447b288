#!/usr/bin/env bash
# Keyed state at scale, heap against RocksDB, on a real Flink session cluster (cove cluster, 2
# TaskManagers): 32 videos stream through the job at parallelism 2, once with checkpoint.state_backend
# hashmap (full checkpoints) and once with rocksdb (incremental). Prints a Markdown table per
# backend: F^o bytes per stream (the operator's stateBytes gauge), and the checkpoints of the run from
# Flink's REST API: count, full state size, bytes written per checkpoint, end-to-end duration.
#
#   scripts/state-backends.sh [--videos 32] [--frames 20] [--size 320x180] [--rate 0.25]
#                             [--port 29192] [--rest-port 18081] [--metrics-port 19249]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/harness.sh"
VIDEOS=32 FRAMES=20 RATE=0.25
parse_options "$@"
setup_work cove-state-backends cluster

"$COVE" broker start --dir "$WORK/broker" --port "$PORT"
"$COVE" cluster start --dir "$CLUSTER" --taskmanagers 2 --port "$REST" --metrics-port "$METRICS"
echo "| backend | F^o state per stream | checkpoints | full state | written per checkpoint (mean) | duration mean / max |"
echo "|---|---|---|---|---|---|"
for backend in hashmap rocksdb; do
  topic="frames-$backend"
  "$COVE" run --jobmanager "localhost:$REST" --bootstrap "$B" --checkpoints "$CLUSTER/checkpoints" --style "$STYLE" \
      --checkpoint-interval-ms 2000 --parallelism 2 --state-backend "$backend" --input-topic "$topic" \
      --output-topic "stylized-$backend" > "$WORK/run-$backend.log"
  JOB=$(running_job)
  "$COVE" ingest --bootstrap "$B" --topic "$topic" --video-id "$backend" --videos "$VIDEOS" \
      --generate "${SIZE}x${FRAMES}" --rate "$RATE" > "$WORK/ingest-$backend.log" 2>&1
  sleep 10 # the last frames drain and one more checkpoint completes with every stream's state
  STATE=$(http_get "http://localhost:$((METRICS + 1))/metrics" | awk '/^flink_taskmanager_job_task_operator_stateBytes/ {print int($NF); exit}')
  http_get "http://localhost:$REST/jobs/$JOB/checkpoints" | "$PY" -c '
import json, sys
c = json.load(sys.stdin); s = c["summary"]; mb = lambda b: "%.1f MB" % (b / 1e6)
print("| %s | %.0f KB | %d | %s | %s | %d / %d ms |" % (sys.argv[1], int(sys.argv[2]) / 1024, c["counts"]["completed"],
      mb(c["latest"]["completed"]["state_size"]), mb(s["checkpointed_size"]["avg"]),
      s["end_to_end_duration"]["avg"], s["end_to_end_duration"]["max"]))' "$backend" "$STATE"
  "$COVE" cluster stop-job --dir "$CLUSTER" > /dev/null
done
