#!/usr/bin/env bash
# Benchmark okapi against the DuckDB implementation (bench/duckdb_kpis.py).
#
#   bench/run.sh [options] [SIZE ...]
#
# SIZE is the number of events of a generated demo company: 20m, 100m, or any
# <N>m / <N>k (default: 20m). Each is generated once, if missing, into
# <data-root>/events-<SIZE> with
#   okapi demo --profile b2b --accounts 20000 --events <N> --months 36
#              --end 2026-10-31 --seed 7 --quiet --out ...
#
# With --shape spread (or both), each size is also (or instead) benchmarked
# on a second shape, <data-root>/events-<SIZE>-spread: the same company with
# its events rewritten by bench/reshape_events.py (12 users per account,
# instants uniform over the 36 months), so that neither shape can be tuned
# for alone.
#
# Options:
#   --shape S         demo (default), spread, or both
#   --bin PATH        okapi binary (default $OKAPI_BIN, else $CARGO_TARGET_DIR/release/okapi,
#                     else target/release/okapi; build it with
#                     cargo build --release -p okapi)
#   --data DIR        benchmark an existing data directory (repeatable; no generation)
#   --data-root DIR   where generated datasets live (default: <repo>/bench-data)
#   --runs N          runs per measurement, best wall time kept (default 3)
#   --accounts N      accounts of generated datasets (default 20000)
#   --threads N       DuckDB threads (default: DuckDB's own, = nproc)
#   --no-duckdb       time okapi only
#   --no-check        skip the cross-check of okapi's output against DuckDB's
#
# For every dataset it times, with /usr/bin/time -v (wall time and peak RSS):
#   okapi kpi --data DIR --grain month --format csv > /dev/null
#   python3 bench/duckdb_kpis.py --data DIR --out FILE
#   okapi kpi --data DIR --grain month --format csv --kpi dau_mau,active_users > /dev/null
# and prints a markdown table. Wall time is the best of the runs; peak RSS is
# the largest of the runs. Unless --no-check, okapi's output (one extra
# untimed run) is compared with DuckDB's by bench/compare.py.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
bin="${OKAPI_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/okapi}"
data_root="$repo/bench-data"
runs=3
accounts=20000
threads=""
duck=1
check=1
shape=demo
sizes=()
dirs=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --shape) shape="$2"; shift 2 ;;
    --data) dirs+=("$2"); shift 2 ;;
    --data-root) data_root="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --accounts) accounts="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --no-duckdb) duck=0; shift ;;
    --no-check) check=0; shift ;;
    -h|--help) usage 0 ;;
    -*) echo "unknown option $1" >&2; usage 2 ;;
    *) sizes+=("$1"); shift ;;
  esac
done
if [ ${#sizes[@]} -eq 0 ] && [ ${#dirs[@]} -eq 0 ]; then sizes=(20m); fi

events_of() {  # 20m -> 20000000, 500k -> 500000, 1234 -> 1234
  local s="${1,,}" mult=1
  case "$s" in
    *m) mult=1000000; s="${s%m}" ;;
    *k) mult=1000; s="${s%k}" ;;
  esac
  case "$s" in
    ""|*[!0-9]*) echo "bad size: $1 (expected e.g. 20m, 100m, 500k)" >&2; return 1 ;;
  esac
  echo $(( 10#$s * mult ))
}

for s in "${sizes[@]}"; do events_of "$s" >/dev/null || exit 2; done
case "$shape" in demo|spread|both) ;; *) echo "bad --shape: $shape (demo, spread or both)" >&2; exit 2 ;; esac
[ -x "$bin" ] || { echo "okapi binary not found: $bin (build it, or pass --bin)" >&2; exit 1; }
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (/usr/bin/time)" >&2
  apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi
if { [ "$duck" = 1 ] || [ "$shape" != demo ]; } && ! python3 -c 'import duckdb' 2>/dev/null; then
  echo "installing duckdb (pip)" >&2
  pip install --quiet duckdb
fi


for s in "${sizes[@]}"; do
  n="$(events_of "$s")"
  d="$data_root/events-${s,,}"
  if [ ! -f "$d/subscriptions.parquet" ] || [ ! -f "$d/.complete" ]; then
    echo "generating $d ($n events) ..." >&2
    rm -rf "$d.partial"
    mkdir -p "$data_root"
    "$bin" demo --profile b2b --accounts "$accounts" --events "$n" --months 36 \
      --end 2026-10-31 --seed 7 --quiet --out "$d.partial"
    touch "$d.partial/.complete"
    rm -rf "$d"
    mv "$d.partial" "$d"
  fi
  if [ "$shape" != spread ]; then dirs+=("$d"); fi
  if [ "$shape" != demo ]; then
    sd="$d-spread"
    if [ ! -f "$sd/.complete" ]; then
      echo "reshaping $d into $sd ..." >&2
      rm -rf "$sd.partial"
      python3 "$here/reshape_events.py" "$d" "$sd.partial"
      touch "$sd.partial/.complete"
      rm -rf "$sd"
      mv "$sd.partial" "$sd"
    fi
    dirs+=("$sd")
  fi
done

work="$(mktemp -d /tmp/okapi-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# measure NAME CMD... : runs CMD $runs times under /usr/bin/time -v (stdout
# as the caller redirects it inside CMD); sets best_wall (s) and peak_rss (KiB)
measure() {
  local name="$1"; shift
  best_wall=""; peak_rss=0
  local i
  for i in $(seq "$runs"); do
    local tf="$work/time.$name.$i"
    if ! /usr/bin/time -v -o "$tf" bash -c "$*" 2>"$work/stderr.$name.$i"; then
      echo "FAILED: $* (see below)" >&2
      tail -5 "$work/stderr.$name.$i" >&2
      best_wall="fail"; return 0
    fi
    local wall rss
    wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {
              n = split($2, a, ":"); s = 0;
              for (j = 1; j <= n; j++) s = s * 60 + a[j];
              printf "%.3f", s }' "$tf")"
    rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tf")"
    echo "  $name run $i: ${wall} s, $(( rss / 1024 )) MiB" >&2
    if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN{exit !(a<b)}'; then
      best_wall="$wall"
    fi
    if [ "$rss" -gt "$peak_rss" ]; then peak_rss="$rss"; fi
  done
  return 0
}

mib() { awk -v k="$1" 'BEGIN{printf "%.0f MiB", k/1024}'; }
q() { printf '%q' "$1"; }

rows=()
checks=()
for d in "${dirs[@]}"; do
  [ -d "$d" ] || { echo "no such data directory: $d" >&2; exit 1; }
  name="$(basename "$d")"
  nev="$(python3 -c 'import duckdb, sys
print(duckdb.connect().execute("select sum(num_rows) from parquet_file_metadata(?)", [sys.argv[1]]).fetchone()[0])' "$d/events.parquet" 2>/dev/null || echo "?")"
  echo "== $name ($nev events)" >&2

  measure okapi "$(q "$bin") kpi --data $(q "$d") --grain month --format csv > /dev/null"
  ok_wall="$best_wall"; ok_rss="$peak_rss"

  measure okapi_dau "$(q "$bin") kpi --data $(q "$d") --grain month --format csv --kpi dau_mau,active_users > /dev/null"
  dau_wall="$best_wall"; dau_rss="$peak_rss"

  dk_wall="-"; dk_rss="-"; dk_inner="-"; ratio="-"
  if [ "$duck" = 1 ]; then
    targs=""; [ -n "$threads" ] && targs="--threads $threads"
    measure duckdb "python3 $(q "$here/duckdb_kpis.py") --data $(q "$d") --out $(q "$work/duck.$name.csv") $targs"
    dk_wall="$best_wall"; dk_rss="$(mib "$peak_rss")"
    dk_inner="$(for f in "$work"/stderr.duckdb.*; do sed -n 's/^duckdb_kpis: \([0-9.]*\) s.*/\1/p' "$f"; done | sort -g | head -1)"
    if [ "$ok_wall" != fail ] && [ "$dk_wall" != fail ]; then
      ratio="$(awk -v a="$dk_wall" -v b="$ok_wall" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "-" }')"
    fi
    if [ "$check" = 1 ] && [ "$dk_wall" != fail ] && [ "$ok_wall" != fail ]; then
      "$bin" kpi --data "$d" --grain month --format csv > "$work/okapi.$name.csv"
      if python3 "$here/compare.py" "$work/okapi.$name.csv" "$work/duck.$name.csv" > "$work/cmp.$name.txt"; then
        checks+=("- $name: okapi and DuckDB agree ($(tail -1 "$work/cmp.$name.txt"))")
      else
        checks+=("- $name: **$(tail -1 "$work/cmp.$name.txt")**")
        echo "differences for $name:" >&2
        head -40 "$work/cmp.$name.txt" >&2
      fi
    fi
  fi
  rows+=("| $name | $nev | $ok_wall | $dk_wall | $ratio | $(mib "$ok_rss") | $dk_rss | $dau_wall | $(mib "$dau_rss") | $dk_inner |")
done

duck_version="$(python3 -c 'import duckdb; print(duckdb.__version__)' 2>/dev/null || echo "n/a")"
cpu="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
echo
echo "## okapi vs DuckDB, monthly KPIs"
echo
echo "- okapi: \`$bin\` ($("$bin" --version 2>/dev/null || echo "version n/a"))"
echo "- DuckDB $duck_version (Python $(python3 -c 'import platform; print(platform.python_version())'))"
echo "- CPU: $cpu, nproc $(nproc), memory $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "- wall time: best of $runs runs; peak RSS: largest of the runs; ratio = DuckDB s / okapi s"
echo
echo "| dataset | events | okapi s | DuckDB s | ratio | okapi peak RSS | DuckDB peak RSS | okapi dau_mau,active_users s | its peak RSS | DuckDB in-script s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
if [ ${#checks[@]} -gt 0 ]; then
  echo
  echo "Cross-check (bench/compare.py, relative tolerance 1e-6):"
  printf '%s\n' "${checks[@]}"
fi
