#!/usr/bin/env python3
"""Rewrite a data directory's events into a second shape, unlike the demo's.

    python3 bench/reshape_events.py SRC_DIR OUT_DIR [--users-per-account 12] [--seed 7]

The demo's events follow its customers: few users per account, activity that
grows with the company and stops when an account churns, more of it on
weekdays. This shape keeps every event's account and name but gives it

- one of `--users-per-account` users of its account (user ids
  `<account>-u<k>`, spread evenly), so an account has many users;
- an instant drawn uniformly over the whole span of the original events, so
  activity is spread evenly over the years (every month and weekday alike).

Events without an account keep their user and get a uniform instant too.
Every other table is copied as it is. The result is a valid data directory
(same tables, same columns) whose events are shaped differently: a benchmark
run on both shapes cannot be tuned to one alone.
"""

import argparse
import os
import shutil
import sys

import duckdb


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("src")
    p.add_argument("out")
    p.add_argument("--users-per-account", type=int, default=12)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    if a.users_per_account < 1:
        print("--users-per-account must be at least 1", file=sys.stderr)
        return 2
    src_events = os.path.join(a.src, "events.parquet")
    if not os.path.isfile(src_events):
        print(f"{src_events}: no events.parquet to reshape", file=sys.stderr)
        return 2
    os.makedirs(a.out, exist_ok=True)
    for name in os.listdir(a.src):
        if name == "events.parquet" or not name.endswith((".parquet", ".csv", ".jsonl")):
            continue
        path = os.path.join(a.src, name)
        if os.path.isfile(path):
            shutil.copyfile(path, os.path.join(a.out, name))

    con = duckdb.connect()
    con.execute("SELECT setseed(?)", [((a.seed % 1000) / 1000.0)])
    lo, hi = con.execute(
        "SELECT epoch_us(min(ts)), epoch_us(max(ts)) FROM read_parquet(?)", [src_events]
    ).fetchone()
    tmp = os.path.join(a.out, ".events.parquet.partial")
    # hash() of the row number and the old user spreads users evenly over
    # the account's k users; random() places the instant uniformly.
    con.execute(
        f"""
        COPY (
          SELECT
            make_timestamp(CAST({lo} + floor(random() * ({hi} - {lo} + 1)) AS BIGINT)) AS ts,
            CASE WHEN account_id IS NULL THEN user_id
                 ELSE account_id || '-u' || CAST(hash(user_id, rn) % {a.users_per_account} AS VARCHAR)
            END AS user_id,
            account_id,
            event
          FROM (SELECT *, row_number() OVER () AS rn FROM read_parquet(?))
          ORDER BY ts
        ) TO '{tmp}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)
        """,
        [src_events],
    )
    os.replace(tmp, os.path.join(a.out, "events.parquet"))
    n, users, accounts = con.execute(
        "SELECT count(*), count(DISTINCT user_id), count(DISTINCT account_id) FROM read_parquet(?)",
        [os.path.join(a.out, "events.parquet")],
    ).fetchone()
    print(
        f"reshaped {n} events: {users} users over {accounts} accounts, uniform over the span",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
