#!/usr/bin/env python3
"""Independent DuckDB implementation of okapi's KPI catalog, UTC.

    python3 bench/duckdb_kpis.py --data DIR [--grain month|quarter|year]
        [--from YYYY-MM-DD --to YYYY-MM-DD] [--out FILE]

Reads `<table>.parquet` (or `<table>.csv` when there is no Parquet file) from
DIR and writes CSV `kpi,period_start,value` (value empty when absent), sorted by
kpi then period_start. Definitions: the KPI specification, plus the
readings of okapi's docs/kpis.md (the default period range = earliest to
latest day over the tables the KPIs use, subscriptions counting
`end_date - 1`; arpu not left out when its 30 days reach back before the
events data). Grains: month (default), quarter, year.

Defaults: gross margin 0.8, inactivity window 14 days, every event is
activity, event names onboarding_completed / referral_sent / app_installed,
TTV start milestone contract_signed (fallback accounts.created_at), first
value milestone first_value.

The elapsed seconds of the computation (after Python start-up and imports) are
printed to stderr.
"""

import argparse
import datetime as dt
import decimal
import os
import sys
import time

T0 = None  # set in main() once imports are done

import duckdb  # noqa: E402

GROSS_MARGIN = 0.8
INACTIVE_WINDOW = 14
ONBOARDING_EVENT = "onboarding_completed"
REFERRAL_EVENT = "referral_sent"
INSTALL_EVENT = "app_installed"
TTV_START = "contract_signed"
TTV_FIRST_VALUE = "first_value"
ONBOARDING_DAYS = 14

# column kinds per table (only the columns the KPIs use)
TABLES = {
    "subscriptions": {"account_id": "id", "mrr": "money", "start_date": "date", "end_date": "date"},
    "accounts": {"account_id": "id", "created_at": "ts"},
    "events": {"ts": "ts", "user_id": "id", "account_id": "id", "event": "str"},
    "visits": {"ts": "ts", "visitor_id": "id"},
    "leads": {"lead_id": "id", "created_at": "ts", "signup_at": "ts", "mql_at": "ts",
              "pql_at": "ts", "customer_at": "ts", "lost_at": "ts", "account_id": "id"},
    "deals": {"deal_id": "id", "kind": "str", "created_at": "ts", "closed_at": "ts",
              "status": "str", "amount": "money"},
    "spend": {"month": "str", "category": "str", "amount": "money"},
    "surveys": {"responded_at": "ts", "kind": "str", "score": "int"},
    "milestones": {"account_id": "id", "milestone": "str", "at": "ts"},
}

ALIAS = {"at": "at_ts"}  # `at` is an SQL keyword

KPIS = [
    "mrr", "arr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
    "reactivation_mrr", "net_new_mrr", "customers", "new_customers", "churned_customers",
    "customer_churn_rate", "revenue_churn_rate", "mrr_expansion_rate",
    "net_revenue_retention", "gross_revenue_retention", "quick_ratio", "arpa", "ltv",
    "ltv_cac", "visitors", "signups", "visitor_to_signup_rate", "leads", "mqls", "pqls",
    "signup_to_pql_rate", "time_to_pql", "pql_to_customer_rate", "average_deal_size",
    "sales_cycle_length", "lead_conversion_rate", "cac", "cac_payback", "revenue_per_lead",
    "sales_efficiency", "dau_mau", "active_users", "inactive_accounts", "nps", "csat",
    "time_to_value", "trial_to_paid_time", "onboarding_completion_rate", "referral_rate",
    "app_installs", "upgraded_accounts", "renewal_rate", "arpu",
]

REVENUE = ["mrr", "arr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
           "reactivation_mrr", "net_new_mrr", "customers", "new_customers",
           "churned_customers", "customer_churn_rate", "revenue_churn_rate",
           "mrr_expansion_rate", "net_revenue_retention", "gross_revenue_retention",
           "quick_ratio", "arpa", "ltv", "upgraded_accounts"]

# tables each KPI needs; a KPI with a missing table is absent everywhere
NEEDS = {k: {"subscriptions"} for k in REVENUE}
NEEDS.update({
    "ltv_cac": {"subscriptions", "spend"},
    "visitors": {"visits"}, "signups": {"leads"}, "visitor_to_signup_rate": {"visits", "leads"},
    "leads": {"leads"}, "mqls": {"leads"}, "pqls": {"leads"}, "signup_to_pql_rate": {"leads"},
    "time_to_pql": {"leads"}, "lead_conversion_rate": {"leads"}, "trial_to_paid_time": {"leads"},
    "pql_to_customer_rate": {"leads"},
    "average_deal_size": {"deals"}, "sales_cycle_length": {"deals"}, "renewal_rate": {"deals"},
    "cac": {"subscriptions", "spend"}, "cac_payback": {"subscriptions", "spend"},
    "revenue_per_lead": {"subscriptions", "leads"},
    "sales_efficiency": {"subscriptions", "spend"},
    "dau_mau": {"events"}, "active_users": {"events"}, "onboarding_completion_rate": {"events"},
    "referral_rate": {"events"}, "app_installs": {"events"},
    "inactive_accounts": {"events", "subscriptions"}, "arpu": {"events", "subscriptions"},
    "nps": {"surveys"}, "csat": {"surveys"},
    "time_to_value": {"milestones"},
})


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def col_expr(name, dtype, kind):
    """Normalise one column: timestamps to TIMESTAMP in UTC, ids to text, money to decimal."""
    c = '"' + name + '"'
    t = dtype.upper()
    if kind == "ts":
        # epoch arithmetic: the same instant, and much cheaper than ICU's timezone()
        if "WITH TIME ZONE" in t:
            return f"make_timestamp(epoch_us({c}))"
        if t.startswith("TIMESTAMP"):
            return f"CAST({c} AS TIMESTAMP)"
        if t == "DATE":
            return f"CAST({c} AS TIMESTAMP)"
        # text: an offset is honoured, no offset means UTC (session TimeZone is UTC)
        return f"make_timestamp(epoch_us(CAST({c} AS TIMESTAMPTZ)))"
    if kind == "date":
        if t == "DATE":
            return c
        if "WITH TIME ZONE" in t:
            return f"CAST(make_timestamp(epoch_us({c})) AS DATE)"
        return f"CAST({c} AS DATE)"
    if kind == "money":
        return f"CAST({c} AS DECIMAL(38,10))"
    if kind == "int":
        return f"CAST({c} AS BIGINT)"
    if kind in ("id", "str"):
        return c if t == "VARCHAR" else f"CAST({c} AS VARCHAR)"
    raise ValueError(kind)


def setup_tables(con, data_dir):
    present = set()
    for table, cols in TABLES.items():
        pq = os.path.join(data_dir, table + ".parquet")
        cv = os.path.join(data_dir, table + ".csv")
        if os.path.exists(pq):
            src = f"read_parquet({sql_str(pq)})"
        elif os.path.exists(cv):
            src = f"read_csv({sql_str(cv)}, header=true, all_varchar=true)"
        else:
            continue
        schema = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
        exprs = []
        for name, kind in cols.items():
            if name in schema:
                exprs.append(f"{col_expr(name, schema[name], kind)} AS {ALIAS.get(name, name)}")
            else:  # optional column missing: NULL of the right type
                ty = {"ts": "TIMESTAMP", "date": "DATE", "money": "DECIMAL(38,10)",
                      "int": "BIGINT"}.get(kind, "VARCHAR")
                exprs.append(f"CAST(NULL AS {ty}) AS {ALIAS.get(name, name)}")
        con.execute(f"CREATE VIEW {table} AS SELECT {', '.join(exprs)} FROM {src}")
        present.add(table)
    return present


GRAIN_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def period_start(d, months):
    """First day of the period of `months` months (1, 3 or 12) containing d."""
    return dt.date(d.year, (d.month - 1) // months * months + 1, 1)


def main():
    global T0
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--grain", choices=sorted(GRAIN_MONTHS), default="month")
    ap.add_argument("--from", dest="from_", default=None)
    ap.add_argument("--to", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--verbose", action="store_true", help="print the time of each step to stderr")
    args = ap.parse_args()
    T0 = time.perf_counter()
    grain = args.grain
    n_months = GRAIN_MONTHS[grain]

    def trunc(x):
        """The start of the period containing timestamp or date x."""
        return f"CAST(date_trunc('{grain}', {x}) AS DATE)"

    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    last = [time.perf_counter()]

    def run(q):
        r = con.execute(q)
        if args.verbose:
            now = time.perf_counter()
            print(f"  {now - last[0]:7.3f} s  {' '.join(q.split())[:100]}", file=sys.stderr)
            last[0] = now
        return r
    if args.threads:
        run(f"SET threads={args.threads}")
    present = setup_tables(con, args.data)
    if "subscriptions" not in present:
        sys.exit("subscriptions table is required")

    # ---------------------------------------------------------------- events
    # One scan of the big table: one row per (user, account, UTC day), then a
    # monthly roll-up of it, one row per (user, account, month).
    if "events" in present:
        run(f"""
            CREATE TEMP TABLE ev AS
            SELECT user_id, account_id, CAST(ts AS DATE) AS d,
                   min(ts) AS first_ts, max(ts) AS last_ts,
                   min(ts) FILTER (WHERE event = {sql_str(ONBOARDING_EVENT)}) AS onb_ts,
                   bool_or(event = {sql_str(REFERRAL_EVENT)}) AS referred,
                   count(*) FILTER (WHERE event = {sql_str(INSTALL_EVENT)}) AS installs
            FROM events
            GROUP BY ALL
        """)
        # where the events data begins and ends (every row, NULL users too)
        run("""
            CREATE TEMP TABLE ev_bounds AS
            SELECT min(first_ts) AS first_ts_min, max(last_ts) AS last_ts_max FROM ev
        """)
        run("""
            CREATE TEMP TABLE evm AS
            SELECT user_id, account_id, CAST(date_trunc('month', d) AS DATE) AS p0,
                   min(d) AS min_d, max(d) AS max_d,
                   min(first_ts) AS first_ts, min(onb_ts) AS onb_ts,
                   bool_or(referred) AS referred, sum(installs) AS installs
            FROM ev
            GROUP BY ALL
        """)

    # ---------------------------------------------------------- period range
    if args.from_ and args.to:
        lo = dt.date.fromisoformat(args.from_)
        hi = dt.date.fromisoformat(args.to)
    else:
        parts = ["SELECT min(start_date) AS lo, max(greatest(start_date, end_date - 1)) AS hi "
                 "FROM subscriptions"]
        # docs/kpis.md: earliest to latest day over every table the KPIs use (all of
        # their timestamps and dates; for subscriptions end_date - 1, the last day
        # paid; an open row adds only its start_date)
        ts_cols = {
            "accounts": ["created_at"], "visits": ["ts"],
            "leads": ["created_at", "signup_at", "mql_at", "pql_at", "customer_at", "lost_at"],
            "deals": ["created_at", "closed_at"], "surveys": ["responded_at"],
            "milestones": ["at_ts"],
        }
        for t, cols in ts_cols.items():
            if t in present:
                for c in cols:
                    parts.append(f"SELECT CAST(min({c}) AS DATE), CAST(max({c}) AS DATE) FROM {t}")
        if "events" in present:
            parts.append("SELECT min(min_d), max(max_d) FROM evm")
        if "spend" in present:
            parts.append("SELECT min(strptime(month || '-01', '%Y-%m-%d'))::DATE, "
                         "last_day(max(strptime(month || '-01', '%Y-%m-%d')))::DATE FROM spend")
        dlo, dhi = run(f"SELECT min(lo), max(hi) FROM ({' UNION ALL '.join(parts)}) t(lo, hi)").fetchone()
        lo = dt.date.fromisoformat(args.from_) if args.from_ else dlo
        hi = dt.date.fromisoformat(args.to) if args.to else dhi
        if lo is None or hi is None:
            sys.exit("no dated rows in the data: pass --from and --to")
    lo, hi = period_start(lo, n_months), period_start(hi, n_months)
    # one row per period (the table keeps its historical name)
    run(f"""
        CREATE TEMP TABLE months AS
        SELECT CAST(p AS DATE) AS p_start,
               CAST(p + INTERVAL {n_months} MONTH AS DATE) AS p_end,
               CAST(p - INTERVAL 1 DAY AS DATE) AS s,
               CAST(p + INTERVAL {n_months} MONTH - INTERVAL 1 DAY AS DATE) AS e
        FROM generate_series(DATE '{lo}', DATE '{hi}', INTERVAL {n_months} MONTH) g(p)
    """)

    results = {}  # kpi -> {period_start: value}

    def collect(sql, cols):
        cur = run(sql)
        for row in cur.fetchall():
            p = row[0]
            for k, v in zip(cols, row[1:]):
                results.setdefault(k, {})[p] = v

    # ------------------------------------------------------------- revenue
    run("""
        CREATE TEMP TABLE subs AS
        SELECT account_id, mrr, start_date, end_date FROM subscriptions
        WHERE mrr > 0 AND (end_date IS NULL OR end_date > start_date)
    """)
    run("""
        CREATE TEMP TABLE acct_mrr AS
        WITH pts AS (SELECT s AS d FROM months UNION SELECT e FROM months)
        SELECT pts.d, x.account_id, sum(x.mrr) AS m
        FROM pts JOIN subs x ON x.start_date <= pts.d AND (x.end_date IS NULL OR pts.d < x.end_date)
        GROUP BY ALL
    """)
    run("""
        CREATE TEMP TABLE bridge AS
        WITH first_paid AS (SELECT account_id, min(start_date) AS fp FROM subs GROUP BY 1),
        cand AS (
            SELECT DISTINCT mo.p_start, a.account_id
            FROM months mo JOIN acct_mrr a ON a.d = mo.s OR a.d = mo.e
        )
        SELECT c.p_start, c.account_id,
               coalesce(ms.m, 0) AS ms, coalesce(me.m, 0) AS me, fp.fp < c.p_start AS paid_before
        FROM cand c
        JOIN months mo USING (p_start)
        LEFT JOIN acct_mrr ms ON ms.account_id = c.account_id AND ms.d = mo.s
        LEFT JOIN acct_mrr me ON me.account_id = c.account_id AND me.d = mo.e
        JOIN first_paid fp ON fp.account_id = c.account_id
    """)
    run(f"""
        CREATE TEMP TABLE rev AS
        WITH agg AS (
            SELECT p_start,
                sum(ms) AS mrr_s, sum(me) AS mrr_e,
                sum(me) FILTER (WHERE ms = 0 AND me > 0 AND NOT paid_before) AS new_mrr,
                sum(me) FILTER (WHERE ms = 0 AND me > 0 AND paid_before) AS react_mrr,
                sum(me - ms) FILTER (WHERE ms > 0 AND me > ms) AS exp_mrr,
                sum(ms - me) FILTER (WHERE me > 0 AND me < ms) AS con_mrr,
                sum(ms) FILTER (WHERE ms > 0 AND me = 0) AS churn_mrr,
                count(*) FILTER (WHERE me > 0) AS customers,
                count(*) FILTER (WHERE ms > 0) AS customers_s,
                count(*) FILTER (WHERE ms = 0 AND me > 0 AND NOT paid_before) AS new_customers,
                count(*) FILTER (WHERE ms > 0 AND me = 0) AS churned_customers,
                count(*) FILTER (WHERE ms > 0 AND me > ms) AS upgraded
            FROM bridge GROUP BY 1
        )
        SELECT mo.p_start,
            coalesce(mrr_s, 0)::DECIMAL(38,10) AS mrr_s,
            coalesce(mrr_e, 0)::DECIMAL(38,10) AS mrr_e,
            coalesce(new_mrr, 0)::DECIMAL(38,10) AS new_mrr,
            coalesce(react_mrr, 0)::DECIMAL(38,10) AS react_mrr,
            coalesce(exp_mrr, 0)::DECIMAL(38,10) AS exp_mrr,
            coalesce(con_mrr, 0)::DECIMAL(38,10) AS con_mrr,
            coalesce(churn_mrr, 0)::DECIMAL(38,10) AS churn_mrr,
            coalesce(customers, 0) AS customers,
            coalesce(customers_s, 0) AS customers_s,
            coalesce(new_customers, 0) AS new_customers,
            coalesce(churned_customers, 0) AS churned_customers,
            coalesce(upgraded, 0) AS upgraded
        FROM months mo LEFT JOIN agg USING (p_start)
    """)
    collect(f"""
        SELECT p_start, mrr_e, 12 * mrr_e, new_mrr, exp_mrr, con_mrr, churn_mrr, react_mrr,
            mrr_e - mrr_s,
            customers, new_customers, churned_customers,
            CASE WHEN customers_s > 0 THEN churned_customers * 100.0 / customers_s END,
            CASE WHEN mrr_s > 0 THEN (churn_mrr + con_mrr)::DOUBLE * 100 / mrr_s::DOUBLE END,
            CASE WHEN mrr_s > 0 THEN exp_mrr::DOUBLE * 100 / mrr_s::DOUBLE END,
            CASE WHEN mrr_s > 0 THEN (mrr_s + exp_mrr - con_mrr - churn_mrr)::DOUBLE * 100 / mrr_s::DOUBLE END,
            CASE WHEN mrr_s > 0 THEN (mrr_s - con_mrr - churn_mrr)::DOUBLE * 100 / mrr_s::DOUBLE END,
            CASE WHEN con_mrr + churn_mrr > 0
                 THEN (new_mrr + react_mrr + exp_mrr)::DOUBLE / (con_mrr + churn_mrr)::DOUBLE END,
            CASE WHEN customers > 0 THEN mrr_e::DOUBLE / customers END,
            CASE WHEN customers > 0 AND customers_s > 0 AND churned_customers > 0
                 THEN (mrr_e::DOUBLE / customers) * {GROSS_MARGIN}
                      / (churned_customers::DOUBLE / customers_s / {n_months}) END,
            upgraded
        FROM rev ORDER BY p_start
    """, ["mrr", "arr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
          "reactivation_mrr", "net_new_mrr", "customers", "new_customers",
          "churned_customers", "customer_churn_rate", "revenue_churn_rate",
          "mrr_expansion_rate", "net_revenue_retention", "gross_revenue_retention",
          "quick_ratio", "arpa", "ltv", "upgraded_accounts"])

    # ---------------------------------------------------- spend-based efficiency
    if "spend" in present:
        # spend of a period: the months inside it; the previous period of the
        # same grain for sales_efficiency
        month_of = "CAST(strptime(month || '-01', '%Y-%m-%d') AS DATE)"
        collect(f"""
            WITH sp AS (
                SELECT {trunc(month_of)} AS p_start, sum(amount) AS amount
                FROM spend WHERE category IN ('sales', 'marketing') GROUP BY 1
            ),
            x AS (
                SELECT r.*, coalesce(cur.amount, 0) AS spend,
                       coalesce(prev.amount, 0) AS prev_spend
                FROM rev r
                LEFT JOIN sp cur ON cur.p_start = r.p_start
                LEFT JOIN sp prev ON prev.p_start = CAST(r.p_start - INTERVAL {n_months} MONTH AS DATE)
            ),
            y AS (
                SELECT *,
                    CASE WHEN new_customers > 0 THEN spend::DOUBLE / new_customers END AS cac,
                    CASE WHEN customers_s > 0 AND churned_customers > 0 AND customers > 0
                         THEN (mrr_e::DOUBLE / customers) * {GROSS_MARGIN}
                              / (churned_customers::DOUBLE / customers_s / {n_months}) END AS ltv
                FROM x
            )
            SELECT p_start,
                CASE WHEN cac > 0 THEN ltv / cac END,
                cac,
                CASE WHEN new_customers > 0 AND new_mrr > 0
                     THEN cac / ((new_mrr::DOUBLE / new_customers) * {GROSS_MARGIN}) END,
                CASE WHEN prev_spend > 0
                     THEN (mrr_e - mrr_s)::DOUBLE * 12 / prev_spend::DOUBLE END
            FROM y ORDER BY p_start
        """, ["ltv_cac", "cac", "cac_payback", "sales_efficiency"])

    # -------------------------------------------------------------- funnel
    if "visits" in present:
        collect(f"""
            WITH v AS (SELECT {trunc('ts')} AS p,
                              count(DISTINCT visitor_id) AS n FROM visits GROUP BY 1)
            SELECT mo.p_start, coalesce(v.n, 0)
            FROM months mo LEFT JOIN v ON v.p = mo.p_start ORDER BY 1
        """, ["visitors"])
    if "leads" in present:
        collect(f"""
            WITH l AS (
                SELECT {trunc('created_at')} AS p, 1 AS kind, NULL::DOUBLE AS days FROM leads
                UNION ALL SELECT {trunc('signup_at')}, 2, NULL FROM leads WHERE signup_at IS NOT NULL
                UNION ALL SELECT {trunc('mql_at')}, 3, NULL FROM leads WHERE mql_at IS NOT NULL
                UNION ALL SELECT {trunc('pql_at')}, 4,
                    (epoch_us(pql_at) - epoch_us(signup_at)) / 86400000000.0 FROM leads WHERE pql_at IS NOT NULL
                UNION ALL SELECT {trunc('customer_at')}, 5,
                    (epoch_us(customer_at) - epoch_us(signup_at)) / 86400000000.0 FROM leads WHERE customer_at IS NOT NULL
                -- customers who came through the product: a PQL on or before paying
                UNION ALL SELECT {trunc('customer_at')}, 6, NULL FROM leads
                    WHERE customer_at IS NOT NULL AND pql_at IS NOT NULL AND pql_at <= customer_at
            ),
            a AS (
                SELECT p,
                    count(*) FILTER (WHERE kind = 1) AS leads,
                    count(*) FILTER (WHERE kind = 2) AS signups,
                    count(*) FILTER (WHERE kind = 3) AS mqls,
                    count(*) FILTER (WHERE kind = 4) AS pqls,
                    avg(days) FILTER (WHERE kind = 4) AS ttp,
                    count(*) FILTER (WHERE kind = 5) AS customers_l,
                    avg(days) FILTER (WHERE kind = 5) AS t2p,
                    count(*) FILTER (WHERE kind = 6) AS pql_customers
                FROM l GROUP BY 1
            )
            SELECT mo.p_start, coalesce(leads, 0), coalesce(signups, 0), coalesce(mqls, 0),
                coalesce(pqls, 0),
                CASE WHEN signups > 0 THEN coalesce(pqls, 0) * 100.0 / signups END,
                ttp,
                CASE WHEN leads > 0 THEN coalesce(customers_l, 0) * 100.0 / leads END,
                t2p,
                CASE WHEN pqls > 0 THEN coalesce(pql_customers, 0) * 100.0 / pqls END,
                CASE WHEN leads > 0 THEN 12 * r.new_mrr::DOUBLE / leads END
            FROM months mo LEFT JOIN a ON a.p = mo.p_start JOIN rev r ON r.p_start = mo.p_start
            ORDER BY 1
        """, ["leads", "signups", "mqls", "pqls", "signup_to_pql_rate", "time_to_pql",
              "lead_conversion_rate", "trial_to_paid_time", "pql_to_customer_rate",
              "revenue_per_lead"])
        if "visits" in present:
            collect(f"""
                WITH v AS (SELECT {trunc('ts')} AS p,
                                  count(DISTINCT visitor_id) AS n FROM visits GROUP BY 1),
                     s AS (SELECT {trunc('signup_at')} AS p, count(*) AS n
                           FROM leads WHERE signup_at IS NOT NULL GROUP BY 1)
                SELECT mo.p_start, CASE WHEN v.n > 0 THEN coalesce(s.n, 0) * 100.0 / v.n END
                FROM months mo LEFT JOIN v ON v.p = mo.p_start LEFT JOIN s ON s.p = mo.p_start
                ORDER BY 1
            """, ["visitor_to_signup_rate"])

    # --------------------------------------------------------------- deals
    if "deals" in present:
        # deal size and cycle: new business won only
        collect(f"""
            WITH a AS (
                SELECT {trunc('closed_at')} AS p,
                    sum(amount) FILTER (WHERE kind = 'new' AND status = 'won') AS won_amount,
                    count(*) FILTER (WHERE kind = 'new' AND status = 'won') AS won,
                    avg((epoch_us(closed_at) - epoch_us(created_at)) / 86400000000.0)
                        FILTER (WHERE kind = 'new' AND status = 'won') AS cycle,
                    count(*) FILTER (WHERE kind = 'renewal' AND status = 'won') AS ren_won,
                    count(*) FILTER (WHERE kind = 'renewal' AND status = 'lost') AS ren_lost
                FROM deals WHERE closed_at IS NOT NULL GROUP BY 1
            )
            SELECT mo.p_start,
                CASE WHEN won > 0 THEN won_amount::DOUBLE / won END,
                CASE WHEN won > 0 THEN cycle END,
                CASE WHEN ren_won + ren_lost > 0 THEN ren_won * 100.0 / (ren_won + ren_lost) END
            FROM months mo LEFT JOIN a ON a.p = mo.p_start ORDER BY 1
        """, ["average_deal_size", "sales_cycle_length", "renewal_rate"])

    # ------------------------------------------------------------- surveys
    if "surveys" in present:
        collect(f"""
            WITH a AS (
                SELECT {trunc('responded_at')} AS p,
                    count(*) FILTER (WHERE kind = 'nps') AS nps_n,
                    count(*) FILTER (WHERE kind = 'nps' AND score >= 9) AS promoters,
                    count(*) FILTER (WHERE kind = 'nps' AND score <= 6) AS detractors,
                    count(*) FILTER (WHERE kind = 'csat') AS csat_n,
                    count(*) FILTER (WHERE kind = 'csat' AND score >= 4) AS satisfied
                FROM surveys GROUP BY 1
            )
            SELECT mo.p_start,
                CASE WHEN nps_n > 0 THEN (promoters - detractors) * 100.0 / nps_n END,
                CASE WHEN csat_n > 0 THEN satisfied * 100.0 / csat_n END
            FROM months mo LEFT JOIN a ON a.p = mo.p_start ORDER BY 1
        """, ["nps", "csat"])

    # ------------------------------------------------------- time to value
    if "milestones" in present:
        created = ("LEFT JOIN (SELECT account_id, min(created_at) AS created_at FROM accounts GROUP BY 1) ac "
                   "USING (account_id)") if "accounts" in present else \
                  "LEFT JOIN (SELECT NULL::VARCHAR AS account_id, NULL::TIMESTAMP AS created_at) ac USING (account_id)"
        collect(f"""
            WITH m AS (
                SELECT account_id,
                    min(at_ts) FILTER (WHERE milestone = {sql_str(TTV_FIRST_VALUE)}) AS fv,
                    min(at_ts) FILTER (WHERE milestone = {sql_str(TTV_START)}) AS st
                FROM milestones GROUP BY 1
            ),
            t AS (
                SELECT {trunc('fv')} AS p,
                    (epoch_us(fv) - epoch_us(coalesce(st, ac.created_at))) / 86400000000.0 AS days
                FROM m {created}
                WHERE fv IS NOT NULL AND coalesce(st, ac.created_at) IS NOT NULL
            )
            SELECT mo.p_start, avg(t.days)
            FROM months mo LEFT JOIN t ON t.p = mo.p_start GROUP BY 1 ORDER BY 1
        """, ["time_to_value"])

    # -------------------------------------------------------------- events
    if "events" in present:
        # monthly counts: active users, referrals, installs (NULL users' events count
        # as installs, not as users)
        collect(f"""
            WITH a AS (
                SELECT {trunc('p0')} AS p,
                    count(DISTINCT user_id) AS active,
                    count(DISTINCT user_id) FILTER (WHERE referred) AS referrers,
                    sum(installs) AS installs
                FROM evm GROUP BY 1
            )
            SELECT mo.p_start, coalesce(active, 0),
                CASE WHEN active > 0 THEN referrers * 100.0 / active END,
                coalesce(installs, 0)
            FROM months mo LEFT JOIN a ON a.p = mo.p_start
            ORDER BY 1
        """, ["active_users", "referral_rate", "app_installs"])

        # onboarding completion: cohort of users by the period of their first
        # event, leaving out users whose 14 days end after the last event of
        # the data (NULL users' events included in "the data")
        collect(f"""
            WITH u AS (
                SELECT user_id, min(first_ts) AS first_ts, min(onb_ts) AS onb_ts
                FROM evm WHERE user_id IS NOT NULL GROUP BY 1
            ),
            a AS (
                SELECT {trunc('first_ts')} AS p, count(*) AS n,
                    count(*) FILTER (WHERE onb_ts <= first_ts + INTERVAL {ONBOARDING_DAYS} DAY) AS done
                FROM u
                WHERE first_ts + INTERVAL {ONBOARDING_DAYS} DAY <= (SELECT last_ts_max FROM ev_bounds)
                GROUP BY 1
            )
            SELECT mo.p_start, CASE WHEN n > 0 THEN done * 100.0 / n END
            FROM months mo LEFT JOIN a ON a.p = mo.p_start ORDER BY 1
        """, ["onboarding_completion_rate"])

        # dau / mau30. Each active (user, day) x covers the days [x, min(next active
        # day, x + 30)) of mau30; the covering intervals of a user are disjoint, so
        # mau30 is a running sum of +1 / -1 deltas. ev may hold a (user, day) more
        # than once (one per account): the copies get next day = x, an empty
        # interval, and are left out.
        collect("""
            WITH iv AS (
                SELECT d, least(coalesce(lead(d) OVER (PARTITION BY user_id ORDER BY d), d + 30), d + 30) AS until
                FROM ev WHERE user_id IS NOT NULL
            ),
            delta AS (
                SELECT day, sum(c) AS c, sum(dau) AS dau FROM (
                    SELECT d AS day, count(*) AS c, count(*) AS dau FROM iv WHERE until > d GROUP BY 1
                    UNION ALL SELECT until, -count(*), 0 FROM iv WHERE until > d GROUP BY 1
                ) GROUP BY 1
            ),
            days AS (
                SELECT CAST(g AS DATE) AS day FROM generate_series(
                    (SELECT least(min(day), (SELECT min(p_start) FROM months)) FROM delta)::TIMESTAMP,
                    (SELECT max(e) FROM months)::TIMESTAMP, INTERVAL 1 DAY) t(g)
            ),
            daily AS (
                SELECT days.day, coalesce(delta.dau, 0) AS dau,
                    sum(coalesce(delta.c, 0)) OVER (ORDER BY days.day) AS mau
                FROM days LEFT JOIN delta USING (day)
            )
            -- only the days whose 30-day window starts on or after the first
            -- day of the events data
            SELECT mo.p_start, avg(dau * 100.0 / mau) FILTER (WHERE mau > 0)
            FROM months mo LEFT JOIN daily ON daily.day >= mo.p_start AND daily.day < mo.p_end
                AND daily.day - 29 >= (SELECT CAST(first_ts_min AS DATE) FROM ev_bounds)
            GROUP BY 1 ORDER BY 1
        """, ["dau_mau"])

        # customers at e (from the MRR bridge's per-account table)
        run("""
            CREATE TEMP TABLE cust_e AS
            SELECT mo.p_start, mo.e, a.account_id, a.m
            FROM months mo JOIN acct_mrr a ON a.d = mo.e
        """)
        # inactive paying accounts: the window of N <= 28 days ending on e lies
        # inside e's month, so an account is active on e when its last event
        # day in e's month is >= e - (N - 1).
        assert INACTIVE_WINDOW <= 28
        collect(f"""
            WITH act AS (
                SELECT DISTINCT c.p_start, c.account_id
                FROM cust_e c JOIN evm ON evm.account_id = c.account_id
                    AND evm.p0 = CAST(date_trunc('month', c.e) AS DATE)
                    AND evm.max_d >= c.e - {INACTIVE_WINDOW - 1}
            ),
            a AS (
                SELECT p_start, count(*) AS n
                FROM cust_e c ANTI JOIN act USING (account_id, p_start)
                GROUP BY 1
            )
            SELECT mo.p_start, coalesce(a.n, 0) FROM months mo LEFT JOIN a USING (p_start) ORDER BY 1
        """, ["inactive_accounts"])
        # arpu: MRR over every user (paying or not) active in the 30 days
        # ending on e. They reach back into the previous month at most, so a
        # (user, account, month) row of e's month or the one before counts
        # when its last day is late enough.
        collect("""
            WITH u AS (
                SELECT mo.p_start, count(DISTINCT evm.user_id) AS users
                FROM months mo JOIN evm
                    ON evm.p0 IN (CAST(date_trunc('month', mo.e) AS DATE),
                                  CAST(date_trunc('month', mo.e) - INTERVAL 1 MONTH AS DATE))
                    AND evm.max_d >= mo.e - 29
                WHERE evm.user_id IS NOT NULL
                GROUP BY 1
            )
            SELECT r.p_start, CASE WHEN u.users > 0 THEN r.mrr_e::DOUBLE / u.users END
            FROM rev r LEFT JOIN u USING (p_start) ORDER BY 1
        """, ["arpu"])

    periods = [r[0] for r in run("SELECT p_start FROM months ORDER BY 1").fetchall()]
    lines = ["kpi,period_start,value\n"]
    for k in sorted(KPIS):
        avail = NEEDS[k] <= present
        vals = results.get(k, {})
        for p in periods:
            v = vals.get(p) if avail else None
            lines.append(f"{k},{p.isoformat()},{fmt(v)}\n")
    out = open(args.out, "w") if args.out else sys.stdout
    out.writelines(lines)
    if args.out:
        out.close()
    else:
        out.flush()
    print(f"duckdb_kpis: {time.perf_counter() - T0:.3f} s (duckdb {duckdb.__version__}, "
          f"{len(periods)} {grain}s)", file=sys.stderr)


def fmt(v):
    if v is None:
        return ""
    if isinstance(v, decimal.Decimal):
        s = format(v.normalize(), "f")
        return "0" if s in ("-0", "") else s
    if isinstance(v, float):
        return repr(v)
    return str(v)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # e.g. piped into head
        sys.stderr.close()
        sys.exit(1)
