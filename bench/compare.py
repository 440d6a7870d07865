#!/usr/bin/env python3
"""Compare two KPI CSVs (`kpi,period_start,value[,...]`).

    python3 bench/compare.py A.csv B.csv [--rel 1e-6] [--kpi ID,...]

Extra columns (okapi's unit,note) are ignored. Reports every (kpi, period)
whose values differ by more than the relative tolerance (default 1e-6, with
an absolute floor of 1e-9 for values near 0), or that is present in one file
and absent (empty value or missing row) in the other. Exit status 1 if any
difference is found, 0 otherwise.
"""

import argparse
import csv
import sys
from decimal import Decimal, InvalidOperation


def load(path):
    rows = {}
    notes = {}
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        for need in ("kpi", "period_start", "value"):
            if need not in (r.fieldnames or []):
                sys.exit(f"{path}: no column {need!r}")
        for row in r:
            key = (row["kpi"], row["period_start"])
            v = (row["value"] or "").strip()
            rows[key] = v
            if row.get("note"):
                notes[key] = row["note"]
    return rows, notes


def num(s):
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rel", type=float, default=1e-6)
    ap.add_argument("--kpi", default=None, help="only these KPIs (comma-separated)")
    args = ap.parse_args()

    a, an = load(args.a)
    b, bn = load(args.b)
    only = set(args.kpi.split(",")) if args.kpi else None
    # KPIs that only one side computes are listed, not compared.
    kpis_a, kpis_b = {k[0] for k in a}, {k[0] for k in b}
    for name, extra in ((args.a, kpis_a - kpis_b), (args.b, kpis_b - kpis_a)):
        if extra:
            print(f"note: only {name} has {', '.join(sorted(extra))}; not compared")
    if only is None:
        only = kpis_a & kpis_b
    rel = Decimal(repr(args.rel))
    diffs = []
    for key in sorted(set(a) | set(b)):
        if only and key[0] not in only:
            continue
        va, vb = a.get(key, ""), b.get(key, "")
        if va == "" and vb == "":
            continue
        if va == "" or vb == "":
            diffs.append((key, va or "(absent)", vb or "(absent)", "absent vs present",
                          an.get(key) or bn.get(key) or ""))
            continue
        na, nb = num(va), num(vb)
        if na is None or nb is None:
            if va != vb:
                diffs.append((key, va, vb, "text differs", ""))
            continue
        d = abs(na - nb)
        scale = max(abs(na), abs(nb))
        if d > rel * scale and d > Decimal("1e-9"):
            r = d / scale if scale else Decimal(0)
            diffs.append((key, va, vb, f"diff {d:.6g} (rel {r:.3g})", ""))

    missing_a = sorted(k for k in set(b) - set(a) if not only or k[0] in only)
    missing_b = sorted(k for k in set(a) - set(b) if not only or k[0] in only)
    for name, miss in ((args.a, missing_a), (args.b, missing_b)):
        if miss:
            print(f"note: {len(miss)} (kpi, period) rows missing from {name} "
                  f"(e.g. {miss[0][0]} {miss[0][1]})")

    if diffs:
        w = max(len(k[0]) for k, *_ in diffs)
        print(f"{'kpi':<{w}}  period      {'A':>22}  {'B':>22}  what")
        for (kpi, p), va, vb, what, note in diffs:
            extra = f"  [{note}]" if note else ""
            print(f"{kpi:<{w}}  {p}  {va:>22}  {vb:>22}  {what}{extra}")
        kpis = sorted({k[0] for k, *_ in diffs})
        print(f"\n{len(diffs)} difference(s) in {len(kpis)} KPI(s): {', '.join(kpis)}")
        return 1
    n = sum(1 for k in set(a) & set(b) if not only or k[0] in only)
    print(f"no differences ({n} values compared, rel tolerance {args.rel:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
