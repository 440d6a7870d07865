#!/usr/bin/env bash
# Where the catalog's time goes: each KPI computed alone, slowest first.
#
#   bench/per_kpi.sh [--bin PATH] [--runs N] DIR
#
# Times `okapi kpi --data DIR --grain month --kpi ID` for every KPI of
# `okapi kpi --list` (best of N runs, default 3), then the whole catalog, and
# prints a markdown table: each KPI's time alone and its share of the sum.
# A KPI alone pays for loading what it reads (the events' columns for the
# events KPIs), so the sum is far above the catalog's time: the difference is
# what one shared pass saves.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
bin="${OKAPI_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/okapi}"
runs=3
while [ $# -gt 1 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -eq 1 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
dir="$1"
[ -x "$bin" ] || { echo "okapi binary not found: $bin" >&2; exit 1; }

# best SECONDS of `okapi kpi ... "$@"` over $runs runs
best() {
  local b="" i s e t
  for i in $(seq "$runs"); do
    s=$(date +%s.%N)
    "$bin" kpi --data "$dir" --grain month --format csv "$@" > /dev/null
    e=$(date +%s.%N)
    t=$(awk -v s="$s" -v e="$e" 'BEGIN{printf "%.3f", e - s}')
    if [ -z "$b" ] || awk -v a="$t" -v b="$b" 'BEGIN{exit !(a<b)}'; then b="$t"; fi
  done
  echo "$b"
}

ids=$("$bin" kpi --list --format csv | tail -n +2 | cut -d, -f1)
rows=""
for id in $ids; do
  t=$(best --kpi "$id")
  echo "  $id: $t s" >&2
  rows+="$t $id"$'\n'
done
all=$(best)
sum=$(printf '%s' "$rows" | awk '{s += $1} END {printf "%.3f", s}')
echo "## Each KPI alone ($(basename "$dir"))"
echo
echo "Whole catalog: **$all s**; the KPIs one by one add up to $sum s."
echo
echo "| KPI | alone s | share of the sum |"
echo "| --- | ---: | ---: |"
printf '%s' "$rows" | sort -rg | awk -v sum="$sum" 'NF == 2 {printf "| %s | %.3f | %.0f %% |\n", $2, $1, (sum > 0 ? 100 * $1 / sum : 0)}'
