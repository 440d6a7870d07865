#!/usr/bin/env bash
# Benchmark the events scan on a Ballista cluster: 1 executor against 2.
#
#   bench/cluster.sh [--bin PATH] [--runs N] [--kpi IDS] DATA_DIR
#
# DATA_DIR is a data directory whose events are partitioned by day
# (events/date=YYYY-MM-DD/*.parquet, e.g. bench/incremental.sh's
# DATA_DIR-incremental/data). The binary must be built with the cluster
# feature (cargo build --release -p okapi --features cluster).
#
# The script starts a scheduler on loopback, then times, --runs times
# (default 3, best kept), `okapi kpi --data DATA_DIR --cluster …` for the
# KPIs --kpi (default: the events KPIs) with
#
#   local:        no cluster (the single-machine scan, every core);
#   1 executor:   one executor of one core, the scan in 2 tasks;
#   2 executors:  two executors of one core each, the scan in 2 tasks;
#
# checks that every run printed the same KPIs as the local one, and prints
# a markdown table of wall times, of the scan job's time on the cluster
# (from the scheduler's log: job queued to job finished) and of the
# events it scanned per second.
# On one machine, two executors of one core each measure how the scan
# scales with executors; they share its memory bandwidth and disk.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
bin="${OKAPI_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/okapi}"
runs=3
kpis="dau_mau,active_users,user_retention,arpu,inactive_accounts,health_score,onboarding_completion_rate,referral_rate,app_installs"
data=""

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --kpi) kpis="$2"; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "unknown option $1" >&2; usage 2 ;;
    *) data="$1"; shift ;;
  esac
done
[ -n "$data" ] || usage 2
[ -x "$bin" ] || { echo "no okapi binary at $bin" >&2; exit 2; }
[ -d "$data/events" ] || { echo "$data/events/ (partitioned by day) is missing" >&2; exit 2; }
data="$(cd "$data" && pwd)"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sched="127.0.0.1:$(free_port)"
OKAPI_LOG=ballista_scheduler=info "$bin" cluster scheduler --bind "$sched" 2> "$work/scheduler.log" & pids+=($!)
sleep 1

start_executor() { # index
  local dir="$work/exec-$1"; mkdir -p "$dir"
  "$bin" cluster executor --scheduler "$sched" --port "$(free_port)" --grpc-port "$(free_port)" \
    --cores 1 --work-dir "$dir" 2> "$work/executor-$1.log" &
  pids+=($!)
}

rows="$(python3 -c "
import duckdb; print(duckdb.connect().execute(\"SELECT count(*) FROM read_parquet('$data/events/*/*.parquet')\").fetchall()[0][0])" 2>/dev/null || echo 0)"

# The shortest job of the scheduler's log since line $1: from "Job queued"
# to "Job finished", the scan alone (no listing, no KPIs on the client).
shortest_job() {
  tail -n +"$1" "$work/scheduler.log" | sed 's/\x1b\[[0-9;]*m//g' | python3 -c '
import sys, re, datetime
q = {}; best = None
for line in sys.stdin:
    m = re.match(r"(\S+Z).*Job (queued|finished successfully): \[(\w+)\]", line)
    if not m: continue
    t = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
    if m.group(2) == "queued": q[m.group(3)] = t
    elif m.group(3) in q:
        d = (t - q[m.group(3)]).total_seconds()
        best = d if best is None else min(best, d)
print("%.2f" % best if best is not None else "-")'
}

best() { # label, args... → best seconds; output kept in $work/label.csv
  local label="$1"; shift
  local b=""
  for _ in $(seq 1 "$runs"); do
    /usr/bin/time -f "%e" -o "$work/.time" "$bin" kpi --data "$data" --kpi "$kpis" --format csv "$@" > "$work/$label.csv"
    local s; s="$(cat "$work/.time")"
    if [ -z "$b" ] || awk -v a="$s" -v b="$b" 'BEGIN{exit !(a<b)}'; then b="$s"; fi
  done
  echo "$b"
}

local_s="$(best local)"
start_executor 1; sleep 2
mark=$(($(wc -l < "$work/scheduler.log") + 1))
one_s="$(best one --cluster "$sched" --cluster-tasks 2)"
one_job="$(shortest_job "$mark")"
start_executor 2; sleep 2
mark=$(($(wc -l < "$work/scheduler.log") + 1))
two_s="$(best two --cluster "$sched" --cluster-tasks 2)"
two_job="$(shortest_job "$mark")"
for l in one two; do
  cmp -s "$work/local.csv" "$work/$l.csv" || { echo "the cluster's KPIs ($l) differ from the local ones" >&2; exit 1; }
done

rate() { awk -v r="$rows" -v s="$1" 'BEGIN{ if (s+0>0 && r>0) printf "%.1f M", r/s/1e6; else print "-" }'; }
echo "| run | wall (s) | scan job (s) | events per second of scan job |"
echo "|---|---:|---:|---:|"
echo "| local (one process, every core) | $local_s | - | - |"
echo "| cluster, 1 executor × 1 core | $one_s | $one_job | $(rate "$one_job") |"
echo "| cluster, 2 executors × 1 core | $two_s | $two_job | $(rate "$two_job") |"
echo
echo "$rows events; KPIs: $kpis; every cluster run printed exactly the local KPIs."
