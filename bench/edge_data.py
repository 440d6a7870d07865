#!/usr/bin/env python3
"""Write a tiny hand-made company full of edge cases, as Parquet, for cross-checks.

    python3 bench/edge_data.py OUT_DIR [--csv] [--extra]

Exercises the "Exact readings" of the spec: reactivation after a join-and-leave
episode, overlapping rows, rows with end_date = start_date, zero-MRR rows,
churn on the last day of a month, 10-decimal money, integer ids in one table
and text ids in another ('7' vs '0007'), timestamps as text with offsets
that cross a month boundary, naive timestamps, NULL user/account ids, the
14-day onboarding bound (exactly 14 days vs 14 days + 1 µs), the inactivity
window bound (e-13 vs e-14, events after e), dau_mau days with mau30 = 0,
PQLs without signup, won deals with amount 0, renewal lost/open, months
without spend, NPS passives, several first_value / contract_signed rows,
and the created_at fallback of time to value.
"""

import os
import sys

import duckdb

SQL = r"""
CREATE TABLE subscriptions AS SELECT
  subscription_id, CAST(account_id AS BIGINT) AS account_id, plan,
  CAST(mrr AS DECIMAL(20,10)) AS mrr, CAST(start_date AS DATE) AS start_date,
  CAST(end_date AS DATE) AS end_date
FROM (VALUES
  ('s01', 1, 'a', '100', '2024-01-10', '2024-01-20'),
  ('s02', 1, 'a', '120', '2024-03-05', NULL),
  ('s03', 2, 'a', '100', '2024-01-01', NULL),
  ('s04', 2, 'b', '50',  '2024-02-15', '2024-04-01'),
  ('s05', 3, 'a', '500', '2024-02-01', '2024-02-01'),
  ('s06', 3, 'a', '40',  '2024-05-10', NULL),
  ('s07', 4, 'free', '0', '2024-01-01', '2024-03-01'),
  ('s08', 4, 'a', '30',  '2024-03-01', NULL),
  ('s09', 5, 'a', '60',  '2023-12-15', '2024-03-31'),
  ('s10', 6, 'a', '70',  '2024-04-01', '2024-05-01'),
  ('s11', 7, 'a', '33.3333333333', '2024-01-01', NULL),
  ('s12', 7, 'b', '16.6666666667', '2024-01-01', NULL),
  ('s13', 8, 'a', '200', '2023-11-01', '2024-02-10'),
  ('s14', 8, 'a', '150', '2024-02-10', NULL),
  ('s15', 9, 'a', '80',  '2024-02-03', '2024-02-20'),
  ('s16', 9, 'a', '80',  '2024-04-15', NULL),
  ('s17', 10, 'a', '90', '2024-06-30', '2024-08-01'),
  ('s18', 11, 'a', '100', '2024-01-01', '2024-03-15'),
  ('s19', 11, 'a', '100', '2024-03-15', NULL),
  ('s20', 12, 'a', '25', '2024-01-01', NULL),
  ('s21', 12, 'free', '0', '2024-02-01', '2024-05-01'),
  ('s22', 13, 'a', '45', '2024-01-01', '2024-04-10'),
  ('s23', 13, 'a', '45', '2024-04-20', NULL),
  ('s24', 14, 'a', '55', '2023-12-01', '2024-01-31')
) t(subscription_id, account_id, plan, mrr, start_date, end_date);

CREATE TABLE accounts AS SELECT account_id, name, CAST(created_at AS TIMESTAMPTZ) AS created_at, segment
FROM (VALUES
  ('1', 'One', '2024-01-05T09:00:00Z', 'smb'),
  ('2', 'Two', '2023-12-28T00:00:00Z', 'smb'),
  ('3', 'Three', '2024-01-20T00:00:00Z', 'smb'),
  ('4', 'Four', '2023-12-20T12:00:00Z', 'mid-market'),
  ('5', 'Five', '2023-12-01T00:00:00Z', 'smb'),
  ('6', 'Six', '2024-03-25T00:00:00Z', 'smb'),
  ('7', 'Seven', '2023-12-30T00:00:00Z', 'enterprise'),
  ('8', 'Eight', '2023-10-30T00:00:00Z', 'smb'),
  ('9', 'Nine', '2024-02-01T00:00:00Z', 'smb'),
  ('10', 'Ten', '2024-06-01T00:00:00Z', 'smb'),
  ('11', 'Eleven', '2023-12-01T00:00:00Z', 'smb'),
  ('12', 'Twelve', '2023-12-01T00:00:00Z', 'smb'),
  ('13', 'Thirteen', '2023-12-01T00:00:00Z', 'smb'),
  ('14', 'Fourteen', '2023-11-20T00:00:00Z', 'smb')
) t(account_id, name, created_at, segment);

-- events: ts as TEXT (offsets and naive), ids as text
CREATE TABLE events AS SELECT ts, user_id, account_id, event FROM (VALUES
  ('2024-01-05T10:00:00Z', 'u2', '2', 'login'),
  ('2024-01-19T10:00:00.000001Z', 'u2', '2', 'onboarding_completed'),
  ('2024-01-12T08:00:00Z', 'u1', '1', 'login'),
  ('2024-01-26T08:00:00Z', 'u1', '1', 'onboarding_completed'),
  ('2024-01-15 12:00:00', 'u3', NULL, 'login'),
  ('2024-02-02T12:00:00Z', 'u3', NULL, 'referral_sent'),
  ('2024-02-03T12:00:00Z', 'u3', NULL, 'app_installed'),
  ('2024-01-28T12:00:00Z', 'u5', '2', 'login'),
  ('2024-01-29T12:00:00Z', 'u5', '7', 'login'),
  ('2024-01-30T12:00:00Z', 'u6', '9', 'login'),
  ('2024-01-31T23:59:59.999999Z', 'u7', '0007', 'login'),
  ('2024-03-01T01:30:00+02:00', 'u4', '12', 'login'),
  ('2024-03-01T00:10:00', 'u4', '12', 'app_installed'),
  ('2024-03-18T00:00:00Z', 'u2', '2', 'login'),
  ('2024-03-17T23:59:59Z', 'u8', '11', 'login'),
  ('2024-04-02T09:00:00Z', 'u8', '11', 'login'),
  ('2024-03-20T10:00:00Z', NULL, '8', 'api_call'),
  ('2024-03-21T10:00:00Z', NULL, '7', 'api_call'),
  ('2024-02-10T10:00:00Z', 'u9', '13', 'login'),
  ('2024-02-20T10:00:00Z', 'u9', '13', 'onboarding_completed'),
  ('2024-04-10T10:00:00-05:00', 'u1', '1', 'referral_sent'),
  ('2024-04-10T11:00:00Z', 'u10', '4', 'login'),
  ('2024-06-20T10:00:00Z', 'u11', '10', 'login'),
  ('2024-06-25T10:00:00Z', 'u11', NULL, 'app_installed')
) t(ts, user_id, account_id, event);

CREATE TABLE visits AS SELECT CAST(ts AS TIMESTAMP) AS ts, visitor_id, channel FROM (VALUES
  ('2024-01-01 00:00:00', 'v1', 'organic'),
  ('2024-01-02 00:00:00', 'v1', 'organic'),
  ('2024-01-31 23:59:59', 'v2', 'paid'),
  ('2024-02-01 00:00:00', 'v2', 'paid'),
  ('2024-02-15 00:00:00', 'v3', NULL),
  ('2024-04-15 00:00:00', 'v4', 'email')
) t(ts, visitor_id, channel);

CREATE TABLE leads AS SELECT lead_id,
  CAST(created_at AS TIMESTAMPTZ) AS created_at, source,
  CAST(signup_at AS TIMESTAMPTZ) AS signup_at, CAST(mql_at AS TIMESTAMPTZ) AS mql_at,
  CAST(pql_at AS TIMESTAMPTZ) AS pql_at, CAST(customer_at AS TIMESTAMPTZ) AS customer_at,
  CAST(lost_at AS TIMESTAMPTZ) AS lost_at, account_id
FROM (VALUES
  ('L1', '2024-01-03T00:00:00Z', 'organic', '2024-01-04T00:00:00Z', NULL, '2024-02-01T12:00:00Z', '2024-03-05T00:00:00Z', NULL, '1'),
  ('L2', '2024-01-10T00:00:00Z', 'paid', NULL, '2024-01-20T00:00:00Z', '2024-02-10T00:00:00Z', NULL, NULL, NULL),
  ('L3', '2024-01-31T23:30:00-01:00', 'paid', '2024-01-31T23:30:00-01:00', '2024-02-05T00:00:00Z', NULL, NULL, NULL, NULL),
  ('L4', '2024-02-01T00:00:00Z', 'email', NULL, NULL, NULL, '2024-03-20T00:00:00Z', NULL, '4'),
  ('L5', '2024-03-01T00:00:00Z', 'organic', '2024-03-02T00:00:00Z', NULL, '2024-03-02T06:00:00Z', '2024-04-01T00:00:00Z', NULL, '6'),
  ('L6', '2024-03-03T00:00:00Z', 'organic', NULL, NULL, NULL, NULL, '2024-03-10T00:00:00Z', NULL)
) t(lead_id, created_at, source, signup_at, mql_at, pql_at, customer_at, lost_at, account_id);

-- deals: timestamps as text
CREATE TABLE deals AS SELECT deal_id, account_id, kind, created_at, closed_at, status,
  CAST(amount AS DECIMAL(18,2)) AS amount
FROM (VALUES
  ('D1', '2', 'new', '2024-01-01T00:00:00Z', '2024-01-31T12:00:00Z', 'won', '0'),
  ('D2', '8', 'expansion', '2024-01-15T00:00:00Z', '2024-02-15T00:00:00Z', 'won', '1200'),
  ('D3', '2', 'renewal', '2024-02-01T00:00:00Z', '2024-02-20T00:00:00Z', 'won', '600'),
  ('D4', '13', 'renewal', '2024-02-01T00:00:00Z', '2024-02-21T00:00:00Z', 'lost', '600'),
  ('D5', '12', 'renewal', '2024-02-01T00:00:00Z', NULL, 'open', '300'),
  ('D6', NULL, 'new', '2024-02-01T00:00:00Z', '2024-03-10T00:00:00Z', 'lost', '999'),
  ('D7', '6', 'new', '2024-03-01T00:00:00Z', '2024-04-01T00:30:00+01:00', 'won', '840')
) t(deal_id, account_id, kind, created_at, closed_at, status, amount);

CREATE TABLE spend AS SELECT month, category, channel, CAST(amount AS DECIMAL(18,2)) AS amount
FROM (VALUES
  ('2023-12', 'sales', NULL, '50'),
  ('2024-01', 'sales', NULL, '1000'),
  ('2024-01', 'marketing', 'paid', '500'),
  ('2024-03', 'marketing', 'paid', '300'),
  ('2024-04', 'sales', NULL, '100'),
  ('2024-06', 'marketing', 'social', '10')
) t(month, category, channel, amount);

CREATE TABLE surveys AS SELECT CAST(responded_at AS TIMESTAMP) AS responded_at, kind,
  CAST(score AS INTEGER) AS score, account_id, user_id, comment
FROM (VALUES
  ('2024-01-05 00:00:00', 'nps', 9, '2', 'u2', NULL),
  ('2024-01-06 00:00:00', 'nps', 10, '2', 'u2', 'great'),
  ('2024-01-07 00:00:00', 'nps', 7, '7', NULL, NULL),
  ('2024-01-08 00:00:00', 'nps', 8, '7', NULL, NULL),
  ('2024-01-09 00:00:00', 'nps', 3, '8', NULL, 'meh'),
  ('2024-02-01 00:00:00', 'csat', 4, '8', NULL, NULL),
  ('2024-02-02 00:00:00', 'csat', 5, '8', NULL, NULL),
  ('2024-02-03 00:00:00', 'csat', 3, '8', NULL, NULL),
  ('2024-03-03 00:00:00', 'nps', 6, '8', NULL, NULL)
) t(responded_at, kind, score, account_id, user_id, comment);

CREATE TABLE milestones AS SELECT account_id, milestone, CAST("at" AS TIMESTAMPTZ) AS "at"
FROM (VALUES
  ('2', 'contract_signed', '2024-01-02T00:00:00Z'),
  ('2', 'contract_signed', '2024-01-01T00:00:00Z'),
  ('2', 'first_value', '2024-01-25T00:00:00Z'),
  ('2', 'first_value', '2024-01-20T00:00:00Z'),
  ('4', 'access_granted', '2024-01-10T00:00:00Z'),
  ('4', 'first_value', '2024-02-03T00:00:00Z'),
  ('99', 'first_value', '2024-02-05T00:00:00Z'),
  ('8', 'contract_signed', '2024-02-25T00:00:00Z'),
  ('8', 'first_value', '2024-03-01T06:00:00+08:00')
) t(account_id, milestone, "at");

CREATE TABLE support_tickets AS SELECT ticket_id, account_id,
  CAST(opened_at AS TIMESTAMPTZ) AS opened_at, CAST(first_response_at AS TIMESTAMPTZ) AS first_response_at,
  CAST(closed_at AS TIMESTAMPTZ) AS closed_at
FROM (VALUES
  ('t1', '2', '2024-02-01T00:00:00Z', '2024-02-01T01:00:00Z', '2024-02-02T00:00:00Z')
) t(ticket_id, account_id, opened_at, first_response_at, closed_at);
"""

# second set of edge cases (--extra): negative durations,
# a user whose first event is the onboarding event, a referral as the only
# event, one user on two accounts the same day, users only on the first or the
# last day of a month (arpu's 30-day window), a support ticket far outside the other tables' dates (does it widen
# the default range?), events at midnight and at 23:59:59.999999 of e.
EXTRA = r"""
INSERT INTO events VALUES
  ('2024-05-31T23:59:59.999999Z', 'u12', '3', 'onboarding_completed'),
  ('2024-06-01T00:00:00Z', 'u13', '2', 'referral_sent'),
  ('2024-02-29T23:59:59.999999+00:00', 'u14', NULL, 'login'),
  ('2024-03-01T00:00:00+00:00', 'u14', NULL, 'login'),
  ('2024-01-29T15:00:00Z', 'u5', '2', 'login'),
  ('2024-01-31T10:00:00Z', 'u15', '12', 'login'),
  ('2024-03-01T12:00:00Z', 'u16', '13', 'login');
INSERT INTO leads VALUES
  ('L7', CAST('2024-04-01T00:00:00Z' AS TIMESTAMPTZ), 'organic', CAST('2024-04-10T00:00:00Z' AS TIMESTAMPTZ), NULL,
   CAST('2024-04-05T00:00:00Z' AS TIMESTAMPTZ), CAST('2024-04-08T00:00:00Z' AS TIMESTAMPTZ), NULL, NULL);
INSERT INTO milestones VALUES
  ('13', 'contract_signed', CAST('2024-04-20T00:00:00Z' AS TIMESTAMPTZ)),
  ('13', 'first_value', CAST('2024-04-10T00:00:00Z' AS TIMESTAMPTZ));
INSERT INTO support_tickets VALUES
  ('t2', '2', CAST('2023-01-15T00:00:00Z' AS TIMESTAMPTZ), NULL, CAST('2025-03-01T00:00:00Z' AS TIMESTAMPTZ));
"""

TABLES = ["subscriptions", "accounts", "events", "visits", "leads", "deals", "spend",
          "surveys", "milestones", "support_tickets"]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    as_csv = "--csv" in sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute(SQL)
    if "--extra" in sys.argv[2:]:
        con.execute(EXTRA)
    for t in TABLES:
        if as_csv:
            con.execute(f"COPY {t} TO '{out}/{t}.csv' "
                        "(HEADER, DELIMITER ',', TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S.%fZ')")
        else:
            con.execute(f"COPY {t} TO '{out}/{t}.parquet' (FORMAT parquet)")
    print(f"edge-case company written to {out}")


if __name__ == "__main__":
    main()
