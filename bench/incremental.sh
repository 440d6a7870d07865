#!/usr/bin/env bash
# Benchmark an incremental refresh against a full one.
#
#   bench/incremental.sh [--bin PATH] [--runs N] [--work DIR] DATA_DIR
#
# DATA_DIR is a data directory with events.parquet (e.g. one made by
# bench/run.sh: bench-data/events-100m). The script builds a workspace in
# --work (default: DATA_DIR-incremental) whose data holds the same tables
# with the events partitioned by day (events/date=YYYY-MM-DD/, written by
# DuckDB), and times, --runs times (default 3, best kept):
#
#   full:     the last day removed, `okapi refresh --force` (every events
#             file scanned, every KPI at every grain computed and stored);
#   appended: the last day put back, `okapi refresh` (only its file
#             scanned, folded into the saved state; at every grain, the
#             periods it can reach computed again and stored, the earlier
#             values kept).
#
# and prints a markdown table with wall times, peak RSS and the ratio,
# and the `events` line of each refresh report.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
bin="${OKAPI_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/okapi}"
runs=3
work=""
data=""

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "unknown option $1" >&2; usage 2 ;;
    *) data="$1"; shift ;;
  esac
done
[ -n "$data" ] || usage 2
[ -x "$bin" ] || { echo "no okapi binary at $bin (cargo build --release -p okapi)" >&2; exit 2; }
[ -f "$data/events.parquet" ] || { echo "$data/events.parquet is missing" >&2; exit 2; }
python3 -c 'import duckdb' 2>/dev/null || { echo "needs DuckDB's Python package: pip install duckdb" >&2; exit 2; }
data="$(cd "$data" && pwd)"
work="${work:-$data-incremental}"

if [ ! -f "$work/okapi.toml" ]; then
  rm -rf "$work"
  "$bin" init "$work" --name Bench >/dev/null
  for f in "$data"/*; do
    case "$(basename "$f")" in events.parquet) ;; *) cp "$f" "$work/data/" ;; esac
  done
  echo "partitioning $data/events.parquet by day into $work/data/events/ ..." >&2
  python3 - "$data/events.parquet" "$work/data/events" <<'PY'
import sys, duckdb
src, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(f"""
  COPY (SELECT *, strftime(ts, '%Y-%m-%d') AS date FROM read_parquet('{src}') ORDER BY ts)
  TO '{out}' (FORMAT PARQUET, PARTITION_BY (date), ROW_GROUP_SIZE 1000000)
""")
PY
fi
last="$(ls -d "$work/data/events/date="* | sort | tail -1)"
held="$work/held-$(basename "$last")"

timed() { # label, command... → "seconds peak_kib" on stdout; report to $work/$label.json
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$work/.time" "$@" > "$work/$label.json"
  cat "$work/.time"
}

best_full=""; best_app=""; rss_full=0; rss_app=0
for i in $(seq 1 "$runs"); do
  [ -d "$last" ] && mv "$last" "$held"
  read -r s kib < <(timed full "$bin" --workspace "$work" refresh --force --format json)
  [ -z "$best_full" ] || awk -v a="$s" -v b="$best_full" 'BEGIN{exit !(a<b)}' && best_full="$s"
  [ "$kib" -gt "$rss_full" ] && rss_full="$kib"
  mv "$held" "$last"
  read -r s kib < <(timed appended "$bin" --workspace "$work" refresh --format json)
  [ -z "$best_app" ] || awk -v a="$s" -v b="$best_app" 'BEGIN{exit !(a<b)}' && best_app="$s"
  [ "$kib" -gt "$rss_app" ] && rss_app="$kib"
  echo "run $i: full ${best_full}s, appended ${best_app}s (best so far)" >&2
done

events() { python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["events"]; print("%s: %s of %s files, %s of %s rows" % (e["mode"], e["files_scanned"], e["files"], e["rows_scanned"], e["rows"]))' "$1"; }
echo
echo "| refresh | wall (best of $runs) | peak RSS | events |"
echo "|---|---:|---:|---|"
echo "| full (\`--force\`, last day absent) | ${best_full} s | $((rss_full / 1024)) MiB | $(events "$work/full.json") |"
echo "| appended (last day added) | ${best_app} s | $((rss_app / 1024)) MiB | $(events "$work/appended.json") |"
awk -v f="$best_full" -v a="$best_app" 'BEGIN{printf "\nfull / appended: %.1f×\n", f/a}'
python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
done = sum(s["computed"] for s in r["sets"]); held = sum(s["values"] for s in r["sets"])
print("appended: %d of %d values computed again (%s)" % (done, held, ", ".join("%s from %s" % (s["grain"], s["from"] or "the first period") for s in r["sets"])))' "$work/appended.json"
