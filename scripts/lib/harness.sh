# Shared parts of the harnesses (failover.sh and the cluster-*.sh / state-backends.sh scripts):
# options, paced ingest of generated videos, progress read from committed output, the mid-stream
# rule, and the session cluster's REST and Prometheus endpoints. A script sets its defaults (any of
# VIDEOS FRAMES SIZE STYLE RATE PORT REST METRICS), then calls parse_options "$@" and setup_work.

# the options every harness takes; each overrides the script's default
parse_options() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --videos) VIDEOS=$2 ;; --frames) FRAMES=$2 ;; --size) SIZE=$2 ;; --style) STYLE=$2 ;; --rate) RATE=$2 ;;
      --port) PORT=$2 ;; --rest-port) REST=$2 ;; --metrics-port) METRICS=$2 ;;
      *) echo "unknown option $1 (options: --videos --frames --size --style --rate --port --rest-port --metrics-port)" >&2
         exit 2 ;;
    esac
    shift 2
  done
}

# a fresh work folder /tmp/$1.XXXXXX in WORK, and COVE, B, CLUSTER; with "cluster" as $2, stops the
# cluster and the broker on exit and fails if any of their processes is left
setup_work() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  COVE="$ROOT/cove"
  B="localhost:$PORT"
  CLUSTER="$WORK/cluster"
  if [ "${2:-}" = cluster ]; then trap 'cluster_cleanup' EXIT; fi
}

VIDEOS=8 FRAMES=30 SIZE=320x180 STYLE=candy-imagenet RATE=0.5 PORT=29192 REST=18081 METRICS=19249
PY=${COVE_PYTHON:-/usr/bin/python3}

# a line of the harness's report, with the time (and the seconds since the paced input started)
log() { echo "$(date +%T)${INGEST_START:+ (+$(( $(date +%s) - INGEST_START )) s)} $*"; }

# "<frames committed> <videos with a committed frame> <fewest> <most committed of one video>
# <fewest committed since snapshot $2>"; the snapshot (last committed seq per video) is written to $1
progress() {
  "$COVE" check --bootstrap "$B" --snapshot "$1" > /dev/null 2>&1 || { echo "0 0 0 0 0"; return; }
  "$PY" - "$1" "${2:-}" <<'PY'
import json, sys
now = json.load(open(sys.argv[1]))
base = json.load(open(sys.argv[2])) if sys.argv[2] else {}
done = [s + 1 for s in now.values()]
since = [now.get(v, -1) - base.get(v, -1) for v in set(now) | set(base)]
print(sum(done), len(done), min(done, default=0), max(done, default=0), min(since, default=0))
PY
}

# cove ingest of the VIDEOS generated videos (video-0 .., or ids spread over BALANCE subtasks when set)
# at RATE, with more options in "$@"
ingest() { "$COVE" ingest --bootstrap "$B" --video-id video --videos "$VIDEOS" --generate "${SIZE}x${FRAMES}" --rate "$RATE" ${BALANCE:+--balance-subtasks "$BALANCE"} "$@"; }

# starts the paced ingest of VIDEOS generated videos (video-0 ..) in the background, its pid in INGEST,
# and returns once it sends: INGEST_START is when the first frames went out
start_ingests() {
  ingest > "$WORK/ingest.log" 2>&1 &
  INGEST=$!
  for _ in $(seq 1 600); do
    grep -q '^sending' "$WORK/ingest.log" 2>/dev/null && { INGEST_START=$(date +%s); return 0; }
    kill -0 "$INGEST" 2>/dev/null || { echo "ingest failed; see $WORK/ingest.log" >&2; return 1; }
    sleep 0.2
  done
  echo "ingest did not start; see $WORK/ingest.log" >&2
  return 1
}

# Waits for the point to inject a failure: $1 (a fraction such as 1/3) of the input still to come has
# arrived, so input is still arriving and no video can be complete, and every video has at least 3
# frames committed (3 more than in snapshot $3, when given), so every video has frames on both sides.
# On a slow machine the second condition delays the failure; the job then lags its input and the
# failure still lands mid-stream. The snapshot at that moment is written to $2.
wait_mid_stream() {
  local num=${1%/*} den=${1#*/} now at
  now=$(date +%s)
  at=$(awk -v s="$INGEST_START" -v f="$FRAMES" -v r="$RATE" -v t="$now" -v n="$num" -v d="$den" \
      'BEGIN {end = s + f / r; printf "%d", t + (end - t) * n / d}')
  while [ "$(date +%s)" -lt "$at" ]; do sleep 1; done
  for _ in $(seq 1 900); do
    read -r _ videos fewest _ advanced <<< "$(progress "$2" "${3:-}")"
    [ "$videos" -eq "$VIDEOS" ] && [ "$fewest" -ge 3 ] && [ "$advanced" -ge 3 ] && return 0
    sleep 2
  done
  echo "timed out waiting for every video to have 3 more committed frames" >&2
  return 1
}

# sends frames [$1, $1 + $2) of the VIDEOS generated videos (video-0 ..) and returns when they are sent
ingest_frames() {
  ingest --from-frame "$1" --max-frames "$2" > "$WORK/ingest-$1.log" 2>&1 || { echo "ingest failed; see $WORK/ingest-$1.log" >&2; return 1; }
}

# waits until $1 frames (default: every frame of every video) are committed
wait_all_committed() {
  local total=${1:-$((VIDEOS * FRAMES))} n=0
  for _ in $(seq 1 900); do
    read -r n _ _ _ _ <<< "$(progress "$WORK/progress.json")"
    [ "$n" -ge "$total" ] && return 0
    sleep 1
  done
  echo "timed out: $n of $total frames committed" >&2
  return 1
}

# fails the run unless, in snapshot $1 taken right after a failure, every video had started and none had
# finished (and each had advanced by 3 frames since snapshot $3, when given): the failure must land
# mid-stream for every video, or the check across it proves nothing
require_mid_stream() {
  read -r n videos fewest most advanced <<< "$(progress "$1" "${3:-}")"
  if [ "$videos" -lt "$VIDEOS" ] || [ "$most" -ge "$FRAMES" ] || [ "$advanced" -lt 1 ]; then
    echo "INVALID RUN: at the $2 $n of $((VIDEOS * FRAMES)) frames were committed, $videos of $VIDEOS videos had" \
        "started, the most advanced had $most of $FRAMES frames and the least advanced had moved $advanced" \
        "frames since the previous failure; the failure must land mid-stream for every video" >&2
    exit 1
  fi
  log "$2 after $n of $((VIDEOS * FRAMES)) committed frames: $(tr -d '\n ' < "$1")"
}

# --- the session cluster (CLUSTER, REST, METRICS set by the caller) ---

# the body of an HTTP GET (the cluster's REST API and Prometheus endpoints)
http_get() { "$PY" -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$1"; }

# the id of the one running job
running_job() {
  http_get "http://localhost:$REST/jobs/overview" | "$PY" -c \
      'import json,sys; r=[j["jid"] for j in json.load(sys.stdin)["jobs"] if j["state"]=="RUNNING"]; assert len(r)==1, r; print(r[0])'
}

job_state() { http_get "http://localhost:$REST/jobs/$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }

# how often the job restarted: Flink's numRestarts gauge, from the JobManager's Prometheus endpoint
job_restarts() {
  http_get "http://localhost:$METRICS/metrics" | awk -v j="job_id=\"$1\"" \
      '/^flink_jobmanager_job_numRestarts/ && index($0, j) {print int($NF); found = 1} END {if (!found) exit 1}'
}

# frames the stylize operator has emitted, summed over taskmanager-1..$1 (their Prometheus endpoints)
frames_out() {
  local sum=0 n
  for i in $(seq 1 "$1"); do
    n=$(http_get "http://localhost:$((METRICS + i))/metrics" 2>/dev/null \
        | awk '/^flink_taskmanager_job_task_operator_framesOut/ {s += $NF} END {print int(s)}') || n=0
    sum=$((sum + ${n:-0}))
  done
  echo "$sum"
}

# waits until $1 subtasks have loaded the model: paced input then bounds the job's progress, so a
# failure injected later lands mid-stream however fast the machine is
await_subtasks_loaded() {
  for _ in $(seq 1 300); do
    [ "$(cat "$CLUSTER"/log/taskmanager-*.log 2>/dev/null | grep -c 'stylizes on' || true)" -ge "$1" ] && return 0
    sleep 1
  done
  echo "the job's subtasks did not start; see $CLUSTER/log" >&2
  return 1
}

# stops the cluster and the broker, and fails if any of their processes is left
cluster_cleanup() {
  local rc=$?
  for c in "$WORK"/cluster*; do [ -d "$c" ] && { "$COVE" cluster stop --dir "$c" >/dev/null 2>&1 || true; }; done
  for b in "$WORK"/broker*; do [ -d "$b" ] && { "$COVE" broker stop --dir "$b" --port "$PORT" >/dev/null 2>&1 || true; }; done
  local left
  left=$(pgrep -f -- "-Dcove.cluster=$WORK/" || true)
  if [ -n "$left" ]; then
    echo "cluster processes left after cove cluster stop: $(echo "$left" | tr '\n' ' ')" >&2
    rc=1
  fi
  exit $rc
}

# "<role> <CPU ticks>" for each process of this run (broker, jobmanager, taskmanager) and the
# TaskManagers' stylize threads (role stylize-threads), from /proc (utime + stime)
cpu_ticks() {
  local pid cmd role
  for pid in $(pgrep -f -- "$WORK"); do
    cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || continue
    case "$cmd" in
      *java*StandaloneSessionClusterEntrypoint*) role=jobmanager ;;
      *java*TaskManagerRunner*) role=taskmanager ;;
      *java*broker*) role=broker ;;
      *) continue ;;
    esac
    echo "$role $(ticks_of "/proc/$pid/stat")"
    if [ "$role" = taskmanager ]; then
      for task in /proc/"$pid"/task/*; do
        case "$(cat "$task/comm" 2>/dev/null)" in stylize*) echo "stylize-threads $(ticks_of "$task/stat")" ;; esac
      done
    fi
  done
}

# utime + stime of a /proc stat file (fields after the command name, which may hold spaces)
ticks_of() { sed 's/.*) //' "$1" 2>/dev/null | awk '{print $12 + $13}'; }

# Markdown rows "| role | CPU ms per frame | share of the machine |" between two cpu_ticks outputs ($1, $2 files)
# over $3 frames and $4 seconds
cpu_table() {
  awk -v frames="$3" -v secs="$4" -v hz="$(getconf CLK_TCK)" -v cores="$(nproc)" '
    FNR == NR { before[$1] += $2; next }
    { after[$1] += $2 }
    END {
      n = split("broker jobmanager taskmanager stylize-threads", roles, " ")
      for (i = 1; i <= n; i++) {
        r = roles[i]; d = (after[r] - before[r]) / hz
        printf "| %s | %.0f | %.0f%% |\n", r, 1000 * d / frames, 100 * d / (secs * cores)
      }
    }' "$1" "$2"
}
