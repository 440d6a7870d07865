//! Every KPI on a small hand-made company (`tests/fixtures/company`), with
//! each expected number worked out by hand in the comments.
//!
//! The company, January to March 2024 (monthly grain):
//! - subscriptions: A 100 from Dec 2023 (open); B 50 from 15 Jan to 1 Mar
//!   (end on the first of the month, exclusive); C 100 (an annual plan,
//!   1200/12) from 1 Feb; D 30 from Nov 2023 to 1 Jan 2024.
//! - MRR: s(Jan) = A 100 + D 30 = 130, e(Jan) = A 100 + B 50 = 150
//!   (new B 50, churn D 30); e(Feb) = 250 (new C 100); e(Mar) = 200
//!   (churn B 50).

use std::path::PathBuf;

use chrono::NaiveDate;
use okapi_core::data_model::Table;
use okapi_core::formulas::Value;
use okapi_core::period::Grain;
use okapi_core::settings::Settings;
use okapi_engine::compute::{Engine, KpiReport, Segment};
use okapi_engine::source::DataDir;
use rust_decimal::Decimal;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/company")
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn engine_with(settings: &Settings, segment: Option<Segment>) -> Engine {
    let dir = DataDir::open(&fixture()).unwrap();
    Engine::open(&dir, settings, &Table::ALL, segment).unwrap()
}

fn report(engine: &Engine, grain: Grain, ids: &[&str]) -> KpiReport {
    let periods = engine
        .periods(grain, Some(d("2024-01-01")), Some(d("2024-03-31")))
        .unwrap();
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    engine.kpis(&ids, &periods, grain).unwrap()
}

/// Values of one KPI for January, February and March.
fn monthly(id: &str) -> Vec<Option<Value>> {
    let e = engine_with(&Settings::default(), None);
    let r = report(&e, Grain::Month, &[id]);
    r.rows.iter().map(|r| r.value.value).collect()
}

fn notes(id: &str) -> Vec<Option<String>> {
    let e = engine_with(&Settings::default(), None);
    let r = report(&e, Grain::Month, &[id]);
    r.rows.iter().map(|r| r.value.note.clone()).collect()
}

fn money(s: &str) -> Option<Value> {
    Some(Value::Money(s.parse::<Decimal>().unwrap()))
}

fn count(n: u64) -> Option<Value> {
    Some(Value::Count(n))
}

/// Asserts floats to 1e-9 and absent as absent.
fn assert_numbers(id: &str, expected: &[Option<f64>]) {
    let got = monthly(id);
    assert_eq!(got.len(), expected.len(), "{id}");
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        match (g, e) {
            (None, None) => {}
            (Some(g), Some(e)) => assert!(
                (g.as_f64() - e).abs() < 1e-9,
                "{id} month {i}: got {g:?}, expected {e}"
            ),
            _ => panic!("{id} month {i}: got {g:?}, expected {e:?}"),
        }
    }
}

#[test]
fn revenue_bridge() {
    assert_eq!(
        monthly("mrr"),
        vec![money("150"), money("250"), money("200")]
    );
    assert_eq!(
        monthly("arr"),
        vec![money("1800"), money("3000"), money("2400")]
    );
    assert_eq!(
        monthly("new_mrr"),
        vec![money("50"), money("100"), money("0")]
    );
    assert_eq!(
        monthly("churned_mrr"),
        vec![money("30"), money("0"), money("50")]
    );
    assert_eq!(
        monthly("net_new_mrr"),
        vec![money("20"), money("100"), money("-50")]
    );
    assert_eq!(monthly("customers"), vec![count(2), count(3), count(2)]);
    assert_eq!(monthly("new_customers"), vec![count(1), count(1), count(0)]);
    assert_eq!(
        monthly("churned_customers"),
        vec![count(1), count(0), count(1)]
    );
    // Jan: 1 of 2 paying on 31 Dec churned; Mar: 1 of 3.
    assert_numbers(
        "customer_churn_rate",
        &[Some(50.0), Some(0.0), Some(100.0 / 3.0)],
    );
    // Jan: 30 / 130; Mar: 50 / 250.
    assert_numbers(
        "revenue_churn_rate",
        &[Some(3000.0 / 130.0), Some(0.0), Some(20.0)],
    );
    assert_numbers(
        "net_revenue_retention",
        &[Some(10000.0 / 130.0), Some(100.0), Some(80.0)],
    );
    // Jan: 50 / 30; Feb: nothing lost → absent; Mar: 0 / 50.
    assert_numbers("quick_ratio", &[Some(50.0 / 30.0), None, Some(0.0)]);
    assert_numbers("arpa", &[Some(75.0), Some(250.0 / 3.0), Some(100.0)]);
}

#[test]
fn ltv_cac_and_payback() {
    // Jan: arpa 75 × 0.8 / 0.5 = 120; Feb: no churn → absent; Mar: 100 × 0.8 × 3 = 240.
    assert_eq!(monthly("ltv"), vec![money("120"), None, money("240")]);
    assert_eq!(notes("ltv")[1].as_deref(), Some("no churn in the period"));
    // Spend: Jan 1000 + 500.50 = 1500.50; Feb 800; Mar 0 (no rows, table present).
    assert_eq!(monthly("cac"), vec![money("1500.5"), money("800"), None]);
    assert_eq!(notes("cac")[2].as_deref(), Some("no new customers"));
    // Jan: 1500.5 / (50 × 0.8) = 37.5125; Feb: 800 / (100 × 0.8) = 10.
    assert_numbers("cac_payback", &[Some(37.5125), Some(10.0), None]);
    assert_numbers("ltv_cac", &[Some(120.0 / 1500.5), None, None]);
    // Magic number at monthly grain: 12 × net new × 12 / previous month's spend.
    // Jan: December spend is 0 → absent; Feb: 12 × 100 × 12 / 1500.5; Mar: 12 × −50 × 12 / 800.
    assert_numbers(
        "sales_efficiency",
        &[None, Some(14400.0 / 1500.5), Some(-9.0)],
    );
}

#[test]
fn awareness_and_funnel() {
    // v3's visit at 00:30+01:00 on 1 Feb is 23:30Z on 31 Jan: January.
    assert_eq!(monthly("visitors"), vec![count(3), count(1), count(0)]);
    // L2 signed up 23:30Z on 31 Jan.
    assert_eq!(monthly("signups"), vec![count(2), count(1), count(0)]);
    assert_numbers(
        "visitor_to_signup_rate",
        &[Some(200.0 / 3.0), Some(100.0), None],
    );
    assert_eq!(monthly("leads"), vec![count(2), count(2), count(0)]);
    assert_eq!(monthly("mqls"), vec![count(0), count(2), count(0)]);
    // L2's pql_at 01:30+02:00 on 1 Feb is 23:30Z on 31 Jan: January.
    assert_eq!(monthly("pqls"), vec![count(2), count(1), count(0)]);
    assert_numbers("signup_to_pql_rate", &[Some(100.0), Some(100.0), None]);
    // Jan: L1 2.5 days (10:00 on 6th to 22:00 on 8th), L2 0 days → 1.25.
    // Feb: L3 reached PQL without a signup → left out → absent.
    assert_numbers("time_to_pql", &[Some(1.25), None, None]);
    // new_customers / pqls: Jan 1/2, Feb 1/1.
    assert_numbers("pql_to_customer_rate", &[Some(50.0), Some(100.0), None]);
    // Leads with customer_at in P / leads created in P: Feb L1 → 1/2.
    assert_numbers("lead_conversion_rate", &[Some(0.0), Some(50.0), None]);
    // 12 × new MRR / leads: Jan 12 × 50 / 2, Feb 12 × 100 / 2.
    assert_eq!(
        monthly("revenue_per_lead"),
        vec![money("300"), money("600"), None]
    );
    // L1: signup 10:00 on 6 Jan to customer 00:00 on 10 Feb = 34 days 14 h.
    assert_numbers(
        "trial_to_paid_time",
        &[None, Some(34.0 + 14.0 / 24.0), None],
    );
}

#[test]
fn deals() {
    // Jan: D1 1200 (30.5 days) and D2 0 (10 days) won; D3 lost.
    assert_eq!(
        monthly("average_deal_size"),
        vec![money("600"), money("1300.5"), None]
    );
    assert_numbers("sales_cycle_length", &[Some(20.25), Some(45.0), None]);
    // Renewals closed: Feb D4 won, D5 lost.
    assert_numbers("renewal_rate", &[None, Some(50.0), None]);
}

#[test]
fn surveys() {
    // Jan NPS: 10, 9, 7, 3 → 50 % promoters − 25 % detractors = 25.
    assert_numbers("nps", &[Some(25.0), None, None]);
    assert_eq!(notes("nps")[1].as_deref(), Some("no NPS responses"));
    assert_numbers("csat", &[Some(50.0), Some(100.0), None]);
}

#[test]
fn engagement() {
    // DAU/MAU30 per day, worked out in the module notes of this test:
    // Jan: 100 (1st), 50 (2nd), 0 × 28, 66.67 (31st: 2 of u1, u3, u4) over 31 days.
    // Feb: 33.33 (10th), 25 (20th), 20 (21st), 20 (24th), 0 on the 25 other days.
    // Mar: 0 on each of the 24 days with users in the trailing 30 days.
    assert_numbers(
        "dau_mau",
        &[
            Some((100.0 + 50.0 + 200.0 / 3.0) / 31.0),
            Some((100.0 / 3.0 + 25.0 + 20.0 + 20.0) / 29.0),
            Some(0.0),
        ],
    );
    assert_eq!(monthly("active_users"), vec![count(4), count(3), count(0)]);
    // u4's install at 00:30+02:00 on 1 Feb is 22:30Z on 31 Jan.
    assert_eq!(monthly("app_installs"), vec![count(1), count(0), count(0)]);
    // Feb: u1 referred, of 3 active users.
    assert_numbers("referral_rate", &[Some(0.0), Some(100.0 / 3.0), None]);
    // Jan: 4 new users, none onboarded within 14 days; Feb: u5 exactly 14 days.
    assert_numbers(
        "onboarding_completion_rate",
        &[Some(0.0), Some(100.0), None],
    );
    // Cohorts by first event: Jan u1, u2, u3, u4 — u1 and u2 back in Feb
    // (50 %). Feb u5, but the events end on 24 Feb, before March begins:
    // absent, as is March (no new users, and April is beyond the data).
    assert_numbers("user_retention", &[Some(50.0), None, None]);
    assert_eq!(
        notes("user_retention")[1].as_deref(),
        Some("the next period is beyond the data")
    );
    // Inactive (14 days): Jan A (last 2 Jan); Feb C (never); Mar A and C.
    assert_eq!(
        monthly("inactive_accounts"),
        vec![count(1), count(1), count(2)]
    );
    // arpu: Jan 150 / 2 (u1, u3 in 2–31 Jan); Feb 250 / 4; Mar nobody active.
    assert_eq!(monthly("arpu"), vec![money("75"), money("62.5"), None]);
}

#[test]
fn inactive_list_is_ordered_and_dated() {
    let e = engine_with(&Settings::default(), None);
    let list = e.inactive(d("2024-03-31"), 14).unwrap();
    let got: Vec<_> = list
        .iter()
        .map(|a| {
            (
                a.account_id.as_str(),
                a.mrr.to_string(),
                a.days_since_last_activity,
            )
        })
        .collect();
    // A and C both 100: by id. A last active 21 Feb: 39 days before 31 Mar.
    assert_eq!(
        got,
        vec![
            ("A", "100".to_string(), Some(39)),
            ("C", "100".to_string(), None)
        ]
    );
}

#[test]
fn time_to_value() {
    // A: 1 Jan → 16 Jan 12:00 = 15.5 days (January). B: no contract
    // milestone, created 10 Jan → 5 Feb = 26 days; C: 10 days (February).
    assert_numbers("time_to_value", &[Some(15.5), Some(18.0), None]);
    let e = engine_with(&Settings::default(), None);
    let (accounts, phases) = e.ttv().unwrap();
    assert_eq!(accounts.len(), 3);
    // Phases: A signed → live 10 days, live → value 5.5; B created → value 26;
    // C signed → value 10. Slowest first.
    let got: Vec<_> = phases
        .iter()
        .map(|p| (p.from.as_str(), p.to.as_str(), p.mean_days))
        .collect();
    assert_eq!(
        got,
        vec![
            ("created_at", "first_value", 26.0),
            // Ties in length go by phase name.
            ("contract_signed", "first_value", 10.0),
            ("contract_signed", "integration_live", 10.0),
            ("integration_live", "first_value", 5.5),
        ]
    );
}

#[test]
fn quarterly_grain_and_week_spend() {
    let e = engine_with(&Settings::default(), None);
    let r = report(
        &e,
        Grain::Quarter,
        &["mrr", "new_mrr", "cac", "customer_churn_rate"],
    );
    let v: Vec<_> = r.rows.iter().map(|r| r.value.value).collect();
    // Q1: s = 31 Dec (A 100, D 30), e = 31 Mar (A 100, C 100).
    // New: C 100 (B joined and left inside the quarter: in no class).
    assert_eq!(v[0], money("200"));
    assert_eq!(v[1], money("100"));
    // Spend 1500.5 + 800 over 1 new customer.
    assert_eq!(v[2], money("2300.5"));
    // D churned of A, D paying on 31 Dec.
    assert!((v[3].unwrap().as_f64() - 50.0).abs() < 1e-12);
    // Week of Mon 29 Jan – Sun 4 Feb: 3 January days (1500.5 × 3/31) and 4
    // February days (800 × 4/29) of spend; one new customer (C on 1 Feb).
    let periods = e
        .periods(Grain::Week, Some(d("2024-01-29")), Some(d("2024-01-29")))
        .unwrap();
    let r = e.kpis(&["cac".to_string()], &periods, Grain::Week).unwrap();
    let cac = r.rows[0].value.value.unwrap().as_f64();
    assert!(
        (cac - (1500.5 * 3.0 / 31.0 + 800.0 * 4.0 / 29.0)).abs() < 1e-9,
        "{cac}"
    );
}

#[test]
fn segments_restrict_accounts() {
    let seg: Segment = "segment=enterprise".parse().unwrap();
    let e = engine_with(&Settings::default(), Some(seg));
    let r = report(
        &e,
        Grain::Month,
        &["mrr", "leads", "visitors", "active_users"],
    );
    let v: Vec<_> = r.rows.iter().map(|r| r.value.value).collect();
    // Enterprise: A and C. MRR Jan 100, Feb 200, Mar 200.
    assert_eq!(&v[0..3], &[money("100"), money("200"), money("200")]);
    // Leads of enterprise accounts: L1 (A) only.
    assert_eq!(&v[3..6], &[count(1), count(0), count(0)]);
    // Visits have no account: absent, with the reason.
    assert_eq!(v[6], None);
    assert!(r.rows[6].value.note.as_deref().unwrap().contains("segment"));
    // Users of A: u1, u2 in Jan and Feb.
    assert_eq!(&v[9..12], &[count(2), count(2), count(0)]);
    let plan: Segment = "plan=basic".parse().unwrap();
    let e = engine_with(&Settings::default(), Some(plan));
    let r = report(&e, Grain::Month, &["mrr"]);
    // Basic: B 50 in Jan and Feb, nothing in March.
    let v: Vec<_> = r.rows.iter().map(|r| r.value.value).collect();
    assert_eq!(v, vec![money("50"), money("50"), money("0")]);
}

#[test]
fn custom_kpis_formula_and_sql() {
    let settings = Settings::from_toml(
        r#"
[[kpi]]
id = "ltv_to_cac"
formula = "ltv / cac"
unit = "ratio"
[[kpi]]
id = "won_deals"
sql = "SELECT okapi_period(closed_at) AS period_start, COUNT(*) AS value FROM deals WHERE status = 'won' GROUP BY 1"
unit = "count"
status = "trial"
"#,
    )
    .unwrap();
    let e = engine_with(&settings, None);
    let r = report(&e, Grain::Month, &["ltv_to_cac", "won_deals"]);
    let v: Vec<_> = r
        .rows
        .iter()
        .map(|r| r.value.value.map(|x| x.as_f64()))
        .collect();
    assert!((v[0].unwrap() - 120.0 / 1500.5).abs() < 1e-12);
    assert_eq!(v[1], None);
    assert!(
        r.rows[1]
            .value
            .note
            .as_deref()
            .unwrap()
            .contains("ltv absent")
    );
    // Won deals: D1, D2 in Jan; D4 in Feb; no row for March.
    assert_eq!(&v[3..6], &[Some(2.0), Some(1.0), None]);
}

#[test]
fn default_range_covers_every_date_column() {
    let e = engine_with(&Settings::default(), None);
    // Earliest: Delta's accounts.created_at (1 Oct 2023). Latest: L3's
    // lost_at and C's second first_value row, both 1 March 2024 — later
    // than any created_at, event or last day paid (B: 29 February).
    assert_eq!(e.data_range(), Some((d("2023-10-01"), d("2024-03-01"))));
    let months: Vec<String> = e
        .periods(Grain::Month, None, None)
        .unwrap()
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(months.first().map(String::as_str), Some("2023-10-01"));
    assert_eq!(months.last().map(String::as_str), Some("2024-03-01"));
    // A bound given alone beyond the data still selects its own period.
    let after = e
        .periods(Grain::Month, Some(d("2024-06-15")), None)
        .unwrap();
    assert_eq!(
        after.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        vec!["2024-06-01"]
    );
}

#[test]
fn narrow_scans_give_the_same_values() {
    // Asking for one events KPI reads only the columns its kernel needs;
    // the value must not change.
    let full = engine_with(&Settings::default(), None);
    let dir = DataDir::open(&fixture()).unwrap();
    for id in [
        "dau_mau",
        "active_users",
        "inactive_accounts",
        "onboarding_completion_rate",
        "referral_rate",
        "app_installs",
        "arpu",
        "user_retention",
        "health_score",
    ] {
        let ids = vec![id.to_string()];
        let narrow = Engine::for_kpis(&dir, &Settings::default(), &ids, None).unwrap();
        let periods = full
            .periods(Grain::Month, Some(d("2024-01-01")), Some(d("2024-03-31")))
            .unwrap();
        let a = full.kpis(&ids, &periods, Grain::Month).unwrap();
        let b = narrow.kpis(&ids, &periods, Grain::Month).unwrap();
        let values = |r: &KpiReport| r.rows.iter().map(|r| r.value.clone()).collect::<Vec<_>>();
        assert_eq!(values(&a), values(&b), "{id}");
    }
}

#[test]
fn health_scores() {
    // On 31 Jan, default weights (0.25 trend, 0.2 users, 0.25 recency,
    // 0.15 NPS, 0.15 support); no support_tickets table: nothing open.
    // A: active 2 Jan (recent window 2–31 Jan) and 1 Jan (the 30 days
    //    before): trend 1/2; users u1, u2, one active in the window: 1/2;
    //    last active 29 days ago: 1/30; latest NPS 3 (8 Jan): 0.3.
    //    100 × (0.125 + 0.1 + 0.25/30 + 0.045 + 0.15) = 42.8333…
    // B: active 31 Jan only: trend 1; u3 its only user so far, active: 1;
    //    recency 1; NPS 9: 0.9. 100 × (0.25 + 0.2 + 0.25 + 0.135 + 0.15) = 98.5.
    let e = engine_with(&Settings::default(), None);
    let h = e.health(d("2024-01-31")).unwrap();
    let got: Vec<_> = h.iter().map(|a| (a.account_id.as_str(), a.score)).collect();
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].0, got[1].0), ("A", "B"));
    let a = 100.0 * (0.125 + 0.1 + 0.25 / 30.0 + 0.045 + 0.15);
    assert!((got[0].1 - a).abs() < 1e-9, "{}", got[0].1);
    assert!((got[1].1 - 98.5).abs() < 1e-9, "{}", got[1].1);
    let jan = monthly("health_score")[0].unwrap().as_f64();
    assert!((jan - (a + 98.5) / 2.0).abs() < 1e-9, "{jan}");
}
