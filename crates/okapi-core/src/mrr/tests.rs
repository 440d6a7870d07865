//! Hand-worked MRR bridges and a property test of the reconciliation.

use super::*;
use crate::period::{Grain, periods_between};
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn d(s: &str) -> DayNum {
    day_num(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

fn money(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn row(account: u32, mrr: &str, start: &str, end: Option<&str>) -> SubscriptionRow {
    SubscriptionRow {
        account,
        mrr: money(mrr),
        start: d(start),
        end: end.map(d),
    }
}

/// Six accounts covering overlaps, upgrades, churn then reactivation, a
/// join-and-leave inside one month, a zero-MRR plan, an annual plan and a
/// row that is never active. Worked out by hand in the comments below.
fn fixture() -> Vec<SubscriptionRow> {
    vec![
        // A: 100 from December, +50 overlapping from 10 Jan, 100 → 150 on 15 Feb.
        row(0, "100", "2023-12-01", Some("2024-02-15")),
        row(0, "50", "2024-01-10", None),
        row(0, "150", "2024-02-15", None),
        // B: new in January, end date on the first of March (exclusive), back on 20 April.
        row(1, "80", "2024-01-01", Some("2024-03-01")),
        row(1, "90", "2024-04-20", None),
        // C: joins and leaves inside February, comes back in March.
        row(2, "40", "2024-02-05", Some("2024-02-20")),
        row(2, "60", "2024-03-10", None),
        // D: a free plan, then paid from February.
        row(3, "0", "2024-01-01", None),
        row(3, "30", "2024-02-01", None),
        // E: annual plan 1200/12 = 100, downgraded to 75 on 15 March.
        row(4, "100", "2023-11-01", Some("2024-03-15")),
        row(4, "75", "2024-03-15", Some("2024-11-01")),
        // F: end_date = start_date: never active.
        row(5, "500", "2024-01-05", Some("2024-01-05")),
    ]
}

fn bridges() -> Vec<MrrBridge> {
    let periods = periods_between(
        Grain::Month,
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2024, 4, 30).unwrap(),
    )
    .unwrap();
    mrr_bridges(&timelines(&fixture(), 6).unwrap(), &periods, false)
        .unwrap()
        .0
}

#[test]
fn january_new_and_overlapping_expansion() {
    // s = 31 Dec: A 100, E 100 → 200. e = 31 Jan: A 150, B 80, E 100 → 330.
    let b = &bridges()[0];
    assert_eq!(b.start_mrr, money("200"));
    assert_eq!(b.end_mrr, money("330"));
    assert_eq!(b.new, money("80"));
    assert_eq!(b.expansion, money("50"));
    assert_eq!(b.reactivation + b.contraction + b.churn, Decimal::ZERO);
    assert_eq!(
        (b.customers_start, b.customers_end, b.new_customers),
        (2, 3, 1)
    );
}

#[test]
fn february_free_plan_turning_paid_is_new_and_join_and_leave_counts_nowhere() {
    // A 150 → 200 (expansion 50); D 0 → 30 is new (never paid before);
    // C paid 5–19 Feb only: zero on both s and e, in no class.
    let b = &bridges()[1];
    assert_eq!((b.start_mrr, b.end_mrr), (money("330"), money("410")));
    assert_eq!(b.new, money("30"));
    assert_eq!(b.expansion, money("50"));
    assert_eq!(b.new_customers, 1);
    assert_eq!(b.reactivated_customers, 0);
    assert_eq!(b.customers_end, 4);
}

#[test]
fn march_churn_on_first_of_month_reactivation_and_downgrade() {
    // B's end date 1 March: paid on 29 Feb (s), not on 31 March → churn 80.
    // C paid in February, so coming back is reactivation (60), never new.
    // E downgrades 100 → 75: contraction 25.
    let b = &bridges()[2];
    assert_eq!((b.start_mrr, b.end_mrr), (money("410"), money("365")));
    assert_eq!(b.churn, money("80"));
    assert_eq!(b.reactivation, money("60"));
    assert_eq!(b.contraction, money("25"));
    assert_eq!(b.new, Decimal::ZERO);
    assert_eq!((b.churned_customers, b.reactivated_customers), (1, 1));
    assert_eq!(b.customers_start, 4);
    assert_eq!(b.net_new(), money("-45"));
}

#[test]
fn april_reactivation_after_a_gap() {
    let b = &bridges()[3];
    assert_eq!(b.reactivation, money("90"));
    assert_eq!((b.start_mrr, b.end_mrr), (money("365"), money("455")));
}

#[test]
fn account_detail_lists_every_movement() {
    let periods = periods_between(
        Grain::Month,
        NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
        NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
    )
    .unwrap();
    let (_, details) = mrr_bridges(&timelines(&fixture(), 6).unwrap(), &periods, true).unwrap();
    let got: Vec<_> = details[0]
        .iter()
        .map(|m| (m.account, m.movement, m.amount))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, Movement::Churn, money("80")),
            (2, Movement::Reactivation, money("60")),
            (4, Movement::Contraction, money("25")),
        ]
    );
}

#[test]
fn last_paid_day_looks_back_across_gaps() {
    let tls = timelines(&fixture(), 6).unwrap();
    // B paid until 29 Feb, then from 20 April.
    assert_eq!(
        tls[1].last_paid_on_or_before(d("2024-04-01")),
        Some(d("2024-02-29"))
    );
    assert_eq!(
        tls[1].last_paid_on_or_before(d("2024-04-25")),
        Some(d("2024-04-25"))
    );
    assert_eq!(tls[1].last_paid_on_or_before(d("2023-06-01")), None);
    assert_eq!(tls[5].first_paid(), None);
}

#[test]
fn sums_beyond_a_decimal_are_an_error_not_a_panic() {
    // Two overlapping rows of half of Decimal::MAX (rounded up) each: their
    // level on 2 January is more than Decimal::MAX, so no timeline.
    let half = Decimal::MAX / Decimal::TWO + Decimal::ONE;
    let rows = vec![
        SubscriptionRow {
            account: 0,
            mrr: half,
            start: d("2024-01-01"),
            end: None,
        },
        SubscriptionRow {
            account: 0,
            mrr: half,
            start: d("2024-01-02"),
            end: None,
        },
    ];
    assert_eq!(timelines(&rows, 1).unwrap_err(), MoneyOverflow);
    // The same amounts on two accounts make valid timelines, but their sum
    // in the bridge overflows.
    let rows = vec![
        SubscriptionRow {
            account: 1,
            ..rows[1].clone()
        },
        rows[0].clone(),
    ];
    let tls = timelines(&rows, 2).unwrap();
    let jan = periods_between(
        Grain::Month,
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
    )
    .unwrap();
    assert_eq!(mrr_bridges(&tls, &jan, false).unwrap_err(), MoneyOverflow);
}

/// Brute force: MRR of an account on a day straight from the rows.
fn mrr_brute(rows: &[SubscriptionRow], account: u32, day: DayNum) -> Decimal {
    rows.iter()
        .filter(|r| r.account == account && r.start <= day && r.end.is_none_or(|e| day < e))
        .map(|r| r.mrr)
        .sum()
}

fn arb_rows() -> impl Strategy<Value = Vec<SubscriptionRow>> {
    let base = d("2024-01-01");
    prop::collection::vec(
        (0u32..8, 0i64..5000, 0i32..400, prop::option::of(0i32..200)),
        0..40,
    )
    .prop_map(move |v| {
        v.into_iter()
            .map(|(account, cents, start, len)| SubscriptionRow {
                account,
                mrr: Decimal::new(cents, 2),
                start: base + start,
                end: len.map(|l| base + start + l),
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn bridges_reconcile_with_brute_force(rows in arb_rows(), grain_i in 0usize..5) {
        let grain = Grain::ALL[grain_i];
        let periods = periods_between(
            grain,
            NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
        )
        .unwrap();
        let periods = &periods[..periods.len().min(60)];
        let (bridges, _) = mrr_bridges(&timelines(&rows, 8).unwrap(), periods, false).unwrap();
        for (p, b) in periods.iter().zip(&bridges) {
            let s = day_num(p.day_before());
            let e = day_num(p.last_day());
            let start: Decimal = (0..8).map(|a| mrr_brute(&rows, a, s)).sum();
            let end: Decimal = (0..8).map(|a| mrr_brute(&rows, a, e)).sum();
            prop_assert_eq!(b.start_mrr, start);
            prop_assert_eq!(b.end_mrr, end);
            prop_assert_eq!(end - start, b.net_new());
            let cs = (0..8).filter(|&a| mrr_brute(&rows, a, s) > Decimal::ZERO).count() as i64;
            let ce = (0..8).filter(|&a| mrr_brute(&rows, a, e) > Decimal::ZERO).count() as i64;
            prop_assert_eq!(b.customers_start as i64, cs);
            prop_assert_eq!(b.customers_end as i64, ce);
            prop_assert_eq!(
                ce - cs,
                b.new_customers as i64 + b.reactivated_customers as i64 - b.churned_customers as i64
            );
        }
    }
}
