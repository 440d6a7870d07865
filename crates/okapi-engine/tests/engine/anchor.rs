//! The public mrr-playbook seed (subscription periods of a fictional
//! company, written outside this project) through the whole engine,
//! checked against a brute-force reading of its rows and against totals
//! computed separately from the CSV (MRR on 2018-12-31: 585, 2019-06-30:
//! 1135, 2019-11-30: 1840, 2019-12-31: 1255).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::NaiveDate;
use okapi_core::data_model::Table;
use okapi_core::period::{Grain, periods_between};
use okapi_core::settings::Settings;
use okapi_engine::compute::Engine;
use okapi_engine::source::DataDir;
use rust_decimal::Decimal;

struct Row {
    customer: String,
    start: NaiveDate,
    end: NaiveDate,
    amount: Decimal,
}

fn anchor_rows() -> Vec<Row> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mrr-playbook/subscription_periods.csv");
    let mut rdr = csv::Reader::from_path(&path).expect("the mrr-playbook fixture");
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            Row {
                customer: r[1].to_string(),
                start: NaiveDate::parse_from_str(&r[2], "%Y-%m-%d").unwrap(),
                end: NaiveDate::parse_from_str(&r[3], "%Y-%m-%d").unwrap(),
                amount: r[4].parse().unwrap(),
            }
        })
        .collect()
}

fn mrr_of(rows: &[Row], customer: Option<&str>, day: NaiveDate) -> Decimal {
    rows.iter()
        .filter(|r| customer.is_none_or(|c| r.customer == c) && r.start <= day && day < r.end)
        .map(|r| r.amount)
        .sum()
}

#[test]
fn mrr_playbook_bridges_match_brute_force() {
    let rows = anchor_rows();
    let dir = tempfile::tempdir().unwrap();
    let mut w = csv::Writer::from_path(dir.path().join("subscriptions.csv")).unwrap();
    w.write_record([
        "subscription_id",
        "account_id",
        "plan",
        "mrr",
        "start_date",
        "end_date",
    ])
    .unwrap();
    for (i, r) in rows.iter().enumerate() {
        w.write_record([
            i.to_string(),
            r.customer.clone(),
            String::new(),
            r.amount.to_string(),
            r.start.to_string(),
            r.end.to_string(),
        ])
        .unwrap();
    }
    w.flush().unwrap();
    let data = DataDir::open(dir.path()).unwrap();
    let engine = Engine::open(&data, &Settings::default(), &[Table::Subscriptions], None).unwrap();
    let periods = engine.periods(Grain::Month, None, None).unwrap();
    assert_eq!(
        periods.first().unwrap().start,
        NaiveDate::from_ymd_opt(2017, 9, 1).unwrap()
    );
    // The last end date is 2020-02-01 (exclusive): the data ends on 31 January.
    assert_eq!(
        periods.last().unwrap().start,
        NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()
    );
    let (bridges, _) = engine.mrr(&periods, false).unwrap();

    let by_month: BTreeMap<String, Decimal> = periods
        .iter()
        .zip(&bridges)
        .map(|(p, b)| (p.to_string(), b.end_mrr))
        .collect();
    for (month, total) in [
        ("2018-12-01", 585),
        ("2019-06-01", 1135),
        ("2019-11-01", 1840),
        ("2019-12-01", 1255),
    ] {
        assert_eq!(by_month[month], Decimal::from(total), "{month}");
    }

    let customers: BTreeSet<&str> = rows.iter().map(|r| r.customer.as_str()).collect();
    for (p, b) in periods.iter().zip(&bridges) {
        let (s, e) = (p.day_before(), p.last_day());
        let (mut new, mut react, mut exp, mut contr, mut churn) = (
            Decimal::ZERO,
            Decimal::ZERO,
            Decimal::ZERO,
            Decimal::ZERO,
            Decimal::ZERO,
        );
        for c in &customers {
            let (ms, me) = (mrr_of(&rows, Some(c), s), mrr_of(&rows, Some(c), e));
            // Paid on any day before the period: some row with an amount
            // started before it (rows are never empty here).
            let paid_before = rows.iter().any(|r| {
                r.customer == *c && r.amount > Decimal::ZERO && r.start < p.start && r.start < r.end
            });
            if ms.is_zero() && me > Decimal::ZERO {
                if paid_before { react += me } else { new += me }
            } else if ms > Decimal::ZERO && me.is_zero() {
                churn += ms;
            } else if ms > Decimal::ZERO && me > ms {
                exp += me - ms;
            } else if me > Decimal::ZERO && me < ms {
                contr += ms - me;
            }
        }
        assert_eq!(b.start_mrr, mrr_of(&rows, None, s), "{p} start");
        assert_eq!(b.end_mrr, mrr_of(&rows, None, e), "{p} end");
        assert_eq!(
            (b.new, b.reactivation, b.expansion, b.contraction, b.churn),
            (new, react, exp, contr, churn),
            "{p}"
        );
        assert_eq!(b.end_mrr - b.start_mrr, b.net_new(), "{p} reconciles");
    }
    // Q4 2019 ends where December ends, and its net new MRR is the sum of
    // October, November and December's.
    let q = periods_between(
        Grain::Quarter,
        periods[0].start,
        periods.last().unwrap().start,
    )
    .unwrap();
    let (qb, _) = engine.mrr(&q, false).unwrap();
    let q4 = q
        .iter()
        .position(|p| p.to_string() == "2019-10-01")
        .unwrap();
    assert_eq!(qb[q4].end_mrr, by_month["2019-12-01"]);
    let months: Decimal = ["2019-10-01", "2019-11-01", "2019-12-01"]
        .iter()
        .map(|m| bridges[periods.iter().position(|p| p.to_string() == *m).unwrap()].net_new())
        .sum();
    assert_eq!(qb[q4].net_new(), months);
}
