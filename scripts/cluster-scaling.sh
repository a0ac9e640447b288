#!/usr/bin/env bash
# Throughput scaling on a real Flink session cluster (cove cluster): the same frames (8 videos x 60
# frames of 320x180, all in Kafka before the job starts) through the job on 1 TaskManager and then on
# 2 (1 slot and 1 libtorch thread each, parallelism = TaskManagers). Throughput is the stylize
# operator's framesOut (read from the TaskManagers' Prometheus endpoints once a second, a light probe)
# from 10% to 100% of the frames, which leaves out job submission and model loading. Prints a
# Markdown table and the ratio, and the CPU per frame of each process (broker, JobManager,
# TaskManagers and their stylize threads, from /proc) over the same window.
#
#   scripts/cluster-scaling.sh [--frames 60] [--size 320x180] [--style candy-imagenet]
#                              [--port 29192] [--rest-port 18081] [--metrics-port 19249]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/harness.sh"
FRAMES=60 RATE=max BALANCE=2 # the 2-TaskManager run must split the videos evenly
parse_options "$@"
setup_work cove-cluster-scaling cluster

declare -A FPS CPU
for n in 1 2; do
  CLUSTER="$WORK/cluster-$n"
  "$COVE" broker start --dir "$WORK/broker-$n" --port "$PORT" > /dev/null
  ingest_frames 0 "$FRAMES"
  "$COVE" cluster start --dir "$CLUSTER" --taskmanagers "$n" --port "$REST" --metrics-port "$METRICS" > /dev/null
  "$COVE" run --jobmanager "localhost:$REST" --bootstrap "$B" --checkpoints "$CLUSTER/checkpoints" --style "$STYLE" \
      --parallelism "$n" > /dev/null
  total=$((VIDEOS * FRAMES)) start="" committed=0 deadline=$((SECONDS + 900))
  while [ "$committed" -lt "$total" ]; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "timed out: $committed of $total frames stylized" >&2; exit 1; }
    sleep 1
    committed=$(frames_out "$n")
    now=$(date +%s.%N)
    if [ -z "$start" ] && [ $((committed * 10)) -ge "$total" ]; then
      start=$now from=$committed
      cpu_ticks > "$WORK/cpu-$n-start"
    fi
  done
  cpu_ticks > "$WORK/cpu-$n-end"
  secs=$(awk -v a="$start" -v b="$now" 'BEGIN {print b - a}')
  CPU[$n]=$(cpu_table "$WORK/cpu-$n-start" "$WORK/cpu-$n-end" $((total - from)) "$secs")
  FPS[$n]=$(awk -v s="$secs" -v f="$from" -v t="$total" 'BEGIN {printf "%.2f", (t - f) / s}')
  log "$n TaskManager(s): frames $from..$total stylized in $(awk -v s="$secs" 'BEGIN {printf "%.1f", s}') s: ${FPS[$n]} fps"
  "$COVE" cluster stop --dir "$CLUSTER" > /dev/null
  "$COVE" broker stop --dir "$WORK/broker-$n" --port "$PORT" > /dev/null
done
echo "| TaskManagers | frames/s |"
echo "|---|---|"
for n in 1 2; do echo "| $n | ${FPS[$n]} |"; done
echo "2 vs 1 TaskManager: $(awk -v a="${FPS[1]}" -v b="${FPS[2]}" 'BEGIN {printf "%.2f", b / a}')x"
echo
echo "CPU in the measured window, by process (the TaskManagers' stylize threads are part of their row):"
for n in 1 2; do
  echo
  echo "$n TaskManager(s):"
  echo
  echo "| process | CPU ms per frame | share of the machine |"
  echo "|---|---|---|"
  echo "${CPU[$n]}"
done
