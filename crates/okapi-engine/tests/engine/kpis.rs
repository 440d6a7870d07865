//! Every KPI on a small hand-made company (`tests/fixtures/company`), with
//! each expected number worked out by hand in the comments.
//!
//! The company, January to March 2024 (monthly grain):
//! - subscriptions: A 100 from Dec 2023, down to 80 from 1 Mar (fewer
//!   seats); B 50 from 15 Jan to 1 Mar (end on the first of the month,
//!   exclusive); C 100 (an annual plan, 1200/12) from 1 Feb; D 30 from Nov
//!   2023 to 1 Jan 2024.
//! - MRR: s(Jan) = A 100 + D 30 = 130, e(Jan) = A 100 + B 50 = 150
//!   (new B 50, churn D 30); e(Feb) = 250 (new C 100); e(Mar) = A 80 +
//!   C 100 = 180 (churn B 50, contraction A 20).
//! - spend: Dec 2023 600, Jan 1000 + 500.50, Feb 800, March none.

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
        vec![money("150"), money("250"), money("180")]
    );
    assert_eq!(
        monthly("arr"),
        vec![money("1800"), money("3000"), money("2160")]
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
        monthly("contraction_mrr"),
        vec![money("0"), money("0"), money("20")]
    );
    // Mar: 180 − 250 = 0 new − 20 contraction − 50 churn.
    assert_eq!(
        monthly("net_new_mrr"),
        vec![money("20"), money("100"), money("-70")]
    );
    assert_eq!(monthly("customers"), vec![count(2), count(3), count(2)]);
    assert_eq!(monthly("new_customers"), vec![count(1), count(1), count(0)]);
    assert_eq!(
        monthly("churned_customers"),
        vec![count(1), count(0), count(1)]
    );
    // Jan: 1 of 2 paying on 31 Dec churned; Mar: 1 of 3 (A shrank but stayed).
    assert_numbers(
        "customer_churn_rate",
        &[Some(50.0), Some(0.0), Some(100.0 / 3.0)],
    );
    // Churned and contraction MRR over MRR at the start. Jan: 30 / 130;
    // Mar: (50 churn + 20 contraction) / 250 = 28 %, not 50 / 250 = 20 %.
    assert_numbers(
        "revenue_churn_rate",
        &[Some(3000.0 / 130.0), Some(0.0), Some(28.0)],
    );
    // Jan: (130 − 30) / 130; Mar: (250 − 20 − 50) / 250 = 72.
    assert_numbers(
        "net_revenue_retention",
        &[Some(10000.0 / 130.0), Some(100.0), Some(72.0)],
    );
    // No expansion anywhere: the same as NRR, and 100 − revenue churn.
    assert_numbers(
        "gross_revenue_retention",
        &[Some(100.0 - 3000.0 / 130.0), Some(100.0), Some(72.0)],
    );
    // Jan: 50 / 30; Feb: nothing lost → absent; Mar: 0 / (20 + 50).
    assert_numbers("quick_ratio", &[Some(50.0 / 30.0), None, Some(0.0)]);
    // Mar: 180 / 2.
    assert_numbers("arpa", &[Some(75.0), Some(250.0 / 3.0), Some(90.0)]);
}

#[test]
fn ltv_cac_and_payback() {
    // Jan: arpa 75 × 0.8 / 0.5 = 120; Feb: no churn → absent;
    // Mar: arpa 90 × 0.8 / (1/3) = 216.
    assert_eq!(monthly("ltv"), vec![money("120"), None, money("216")]);
    assert_eq!(notes("ltv")[1].as_deref(), Some("no churn in the period"));
    // Spend: Jan 1000 + 500.50 = 1500.50; Feb 800; Mar 0 (no rows, table present).
    assert_eq!(monthly("cac"), vec![money("1500.5"), money("800"), None]);
    assert_eq!(notes("cac")[2].as_deref(), Some("no new customers"));
    // Jan: 1500.5 / (50 × 0.8) = 37.5125; Feb: 800 / (100 × 0.8) = 10.
    assert_numbers("cac_payback", &[Some(37.5125), Some(10.0), None]);
    assert_numbers("ltv_cac", &[Some(120.0 / 1500.5), None, None]);
    // Magic number: net new MRR × 12 / the previous month's spend, no
    // other factor. Jan: 20 × 12 / 600 (December) = 0.4; Feb: 100 × 12 /
    // 1500.5 = 0.7997…; Mar: −70 × 12 / 800 = −1.05.
    assert_numbers(
        "sales_efficiency",
        &[Some(0.4), Some(1200.0 / 1500.5), Some(-1.05)],
    );
}

#[test]
fn sales_efficiency_has_no_factor_at_other_grains() {
    let e = engine_with(&Settings::default(), None);
    // Q1 2024: net new = e(31 Mar) 180 − s(31 Dec) 130 = 50; the previous
    // quarter's spend is December's 600: 50 × 12 / 600 = 1.
    let r = report(&e, Grain::Quarter, &["sales_efficiency"]);
    let q1 = r.rows[0].value.value.unwrap().as_f64();
    assert!((q1 - 1.0).abs() < 1e-12, "{q1}");
    // Week of Mon 29 Jan – Sun 4 Feb: s = 28 Jan (A 100, B 50), e = 4 Feb
    // (+ C 100): net new 100. The week before, 22–28 Jan, spent 7 of
    // January's 31 days of 1500.5: 100 × 12 / (1500.5 × 7 / 31).
    let periods = e
        .periods(Grain::Week, Some(d("2024-01-29")), Some(d("2024-01-29")))
        .unwrap();
    let r = e
        .kpis(&["sales_efficiency".to_string()], &periods, Grain::Week)
        .unwrap();
    let w = r.rows[0].value.value.unwrap().as_f64();
    assert!((w - 1200.0 * 31.0 / (1500.5 * 7.0)).abs() < 1e-9, "{w}");
    // The week of 1 January: the week before (25–31 Dec) spent 7/31 of
    // December's 600; e = 7 Jan (A 100), s = 31 Dec (A 100, D 30): net new
    // −30 → −30 × 12 / (600 × 7 / 31) = −2.6571…
    let periods = e
        .periods(Grain::Week, Some(d("2024-01-01")), Some(d("2024-01-01")))
        .unwrap();
    let r = e
        .kpis(&["sales_efficiency".to_string()], &periods, Grain::Week)
        .unwrap();
    let w = r.rows[0].value.value.unwrap().as_f64();
    assert!((w + 360.0 * 31.0 / (600.0 * 7.0)).abs() < 1e-9, "{w}");
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
    // Created: Jan L1, L2, L5; Feb L3, L4, L6.
    assert_eq!(monthly("leads"), vec![count(3), count(3), count(0)]);
    // Jan L5; Feb L2, L3.
    assert_eq!(monthly("mqls"), vec![count(1), count(2), count(0)]);
    // L2's pql_at 01:30+02:00 on 1 Feb is 23:30Z on 31 Jan: January.
    // Jan L1, L2; Feb L3, L6.
    assert_eq!(monthly("pqls"), vec![count(2), count(2), count(0)]);
    // Feb: 2 PQLs over L4's signup (L3 and L6 had none): 200 %.
    assert_numbers("signup_to_pql_rate", &[Some(100.0), Some(200.0), None]);
    // Jan: L1 2.5 days (10:00 on 6th to 22:00 on 8th), L2 0 days → 1.25.
    // Feb: L3 and L6 reached PQL without a signup → left out → absent.
    assert_numbers("time_to_pql", &[Some(1.25), None, None]);
    // Customers through the product (customer_at in P, pql_at on or before
    // it) over PQLs. Jan: nobody became a customer, 0 of 2 PQLs. Feb: of
    // L1, L5, L6 (customers in Feb), only L1 (PQL 8 Jan) counts: L5 was
    // sales-led (no pql_at) and L6 became a PQL on 25 Feb, after paying on
    // the 20th: 1 / 2 PQLs.
    assert_numbers("pql_to_customer_rate", &[Some(0.0), Some(50.0), None]);
    // Leads with customer_at in P / leads created in P: Feb L1, L5, L6 → 3/3.
    assert_numbers("lead_conversion_rate", &[Some(0.0), Some(100.0), None]);
    // 12 × new MRR / leads: Jan 12 × 50 / 3, Feb 12 × 100 / 3.
    assert_eq!(
        monthly("revenue_per_lead"),
        vec![money("200"), money("400"), None]
    );
    // Of Feb's customers only L1 had a signup (L5 and L6 none):
    // signup 10:00 on 6 Jan to customer 00:00 on 10 Feb = 34 days 14 h.
    assert_numbers(
        "trial_to_paid_time",
        &[None, Some(34.0 + 14.0 / 24.0), None],
    );
}

#[test]
fn deals() {
    // New business won only. Jan: D1 1200 (30.5 days) and D2 0 (10 days);
    // D3 lost, and D7 (an expansion won in 2 days, 900) does not count:
    // (1200 + 0) / 2 = 600 and (30.5 + 10) / 2 = 20.25 days. Feb: D8 1200
    // (15 Jan → 1 Feb, 17 days); D4 is a renewal.
    assert_eq!(
        monthly("average_deal_size"),
        vec![money("600"), money("1200"), None]
    );
    assert_numbers("sales_cycle_length", &[Some(20.25), Some(17.0), None]);
    assert_eq!(
        notes("sales_cycle_length")[2].as_deref(),
        Some("no new deals won")
    );
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
    // Active days (UTC): u1 1, 2 Jan, 20 Feb; u2 1 Jan, 21 Feb; u3 31 Jan;
    // u4 31 Jan (22:30Z); u5 10, 24 Feb; u6 15 Feb. The data begins on
    // 1 Jan and ends at 08:00 on 24 Feb.
    //
    // DAU/MAU30 counts the days d with d − 29 on or after 1 Jan: from 30 Jan.
    // Jan: 30th 0 % (u1, u2 in 1–30 Jan, nobody that day); 31st 2 of u1, u3,
    //      u4 (2–31 Jan) = 66.67 % → (0 + 66.67) / 2.
    // Feb (every day): 10th 1 of 3 (u3, u4, u5); 15th 1 of 4 (+ u6); 20th
    //      1 of 5 (+ u1); 21st 1 of 6 (+ u2); 24th 1 of 6; 0 on the 24
    //      other days → (33.33 + 25 + 20 + 16.67 + 16.67) / 29.
    // Mar: 0 on each of the 24 days with users in the trailing 30 days
    //      (u5's 24 Feb reaches 24 Mar).
    assert_numbers(
        "dau_mau",
        &[
            Some((0.0 + 200.0 / 3.0) / 2.0),
            Some((100.0 / 3.0 + 25.0 + 20.0 + 100.0 / 6.0 + 100.0 / 6.0) / 29.0),
            Some(0.0),
        ],
    );
    assert_eq!(monthly("active_users"), vec![count(4), count(4), count(0)]);
    // u4's install at 00:30+02:00 on 1 Feb is 22:30Z on 31 Jan.
    assert_eq!(monthly("app_installs"), vec![count(1), count(0), count(0)]);
    // Feb: u1 referred, of 4 active users.
    assert_numbers("referral_rate", &[Some(0.0), Some(25.0), None]);
    // Jan: 4 new users, none onboarded within 14 days (u2 on 21 Feb).
    // Feb: u5 first seen 08:00 on 10 Feb, onboarded 08:00 on 24 Feb,
    // exactly 14 × 24 h later: counts, and its 14 days end at the data's
    // last event, not after. u6 (first seen 15 Feb) is left out: its 14
    // days end on 29 Feb, after the data. 1 of 1, not 1 of 2.
    assert_numbers(
        "onboarding_completion_rate",
        &[Some(0.0), Some(100.0), None],
    );
    // Cohorts by first event: Jan u1, u2, u3, u4 — u1 and u2 back in Feb
    // (50 %). Feb u5, u6, but the events end on 24 Feb, before March
    // begins: absent, as is March (no new users, and April is beyond the
    // data).
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
    // arpu: MRR over every user active in the 30 days ending on e, paying
    // or not. Jan: 150 / 3 (u1, u3, u4 in 2–31 Jan; u4 has no account);
    // Feb: 250 / 6 (everyone in 31 Jan – 29 Feb); Mar: nobody in 2–31 Mar.
    assert_numbers("arpu", &[Some(50.0), Some(250.0 / 6.0), None]);
}

#[test]
fn engagement_at_the_edges_of_the_data() {
    let e = engine_with(&Settings::default(), None);
    let weeks = |from: &str, to: &str, id: &str| {
        let periods = e.periods(Grain::Week, Some(d(from)), Some(d(to))).unwrap();
        let r = e.kpis(&[id.to_string()], &periods, Grain::Week).unwrap();
        r.rows.into_iter().map(|r| r.value).collect::<Vec<_>>()
    };
    // The weeks of 1 Jan (1–7) and 22 Jan (22–28) end before 30 Jan, the
    // first day whose 30-day window lies in the data: absent. The week of
    // 29 Jan counts 30 Jan (0 %), 31 Jan (66.67 %), then 1–4 Feb (0 of u3,
    // u4): 66.67 / 6.
    let v = weeks("2024-01-01", "2024-01-29", "dau_mau");
    assert_eq!(v.len(), 5);
    assert_eq!(v[0].value, None);
    assert_eq!(
        v[0].note.as_deref(),
        Some("every day's 30-day window starts before the first day of the events data")
    );
    assert_eq!(v[3].value, None);
    let w = v[4].value.unwrap().as_f64();
    assert!((w - 200.0 / 3.0 / 6.0).abs() < 1e-9, "{w}");
    // The week of 12 Feb: its only new user, u6, is still inside its 14
    // days when the data ends: absent.
    let v = weeks("2024-02-12", "2024-02-12", "onboarding_completion_rate");
    assert_eq!(v[0].value, None);
    assert_eq!(
        v[0].note.as_deref(),
        Some("no new users whose 14 days end within the events data")
    );
}

#[test]
fn the_events_history_is_the_whole_table_under_a_segment() {
    // smb is B (and D, without events): u3 on 31 Jan, u5 on 10 and 24 Feb.
    // The data still begins on 1 Jan (u1, an enterprise user), so the days
    // from 30 Jan count. Jan: 30th has nobody in its window (left out),
    // 31st 1 of 1 = 100 %. Feb: 10th and 24th 1 of 2 (u3, u5), 0 on the 27
    // other days (u3's 31 Jan covers all of February) → 100 / 29.
    // Mar: 0 on the 24 days u5's 24 Feb covers.
    let seg: Segment = "segment=smb".parse().unwrap();
    let e = engine_with(&Settings::default(), Some(seg));
    let r = report(&e, Grain::Month, &["dau_mau"]);
    let v: Vec<_> = r
        .rows
        .iter()
        .map(|r| r.value.value.map(|v| v.as_f64()))
        .collect();
    assert_eq!(v.len(), 3);
    assert!((v[0].unwrap() - 100.0).abs() < 1e-9, "{v:?}");
    assert!((v[1].unwrap() - 100.0 / 29.0).abs() < 1e-9, "{v:?}");
    assert_eq!(v[2], Some(0.0));
}

#[test]
fn a_cohort_s_next_period_is_within_the_whole_table_s_events_under_a_segment() {
    // A (pro) has u1's only event on 5 January; B (basic) u2's on 3 March.
    // Under plan=pro, January's cohort is u1, who did not come back in
    // February: 0 %. February has begun within the events (the table's
    // last event is in March), though not within the segment's own.
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("subscriptions.csv"),
        "subscription_id,account_id,plan,mrr,start_date,end_date\n\
         s1,A,pro,100,2024-01-01,\n\
         s2,B,basic,50,2024-01-01,\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("events.csv"),
        "ts,user_id,account_id,event\n\
         2024-01-05T10:00:00Z,u1,A,login\n\
         2024-03-03T10:00:00Z,u2,B,login\n",
    )
    .unwrap();
    let data = DataDir::open(dir.path()).unwrap();
    let seg: Segment = "plan=pro".parse().unwrap();
    let e = Engine::open(&data, &Settings::default(), &Table::ALL, Some(seg)).unwrap();
    let r = report(&e, Grain::Month, &["user_retention"]);
    let jan = &r.rows[0];
    assert_eq!(jan.period.start, d("2024-01-01"));
    assert_eq!(
        jan.value.value.map(|v| v.as_f64()),
        Some(0.0),
        "{:?}",
        jan.value
    );
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
    // Largest MRR first: C 100, then A 80. A last active 21 Feb: 39 days
    // before 31 Mar; C never.
    assert_eq!(
        got,
        vec![
            ("C", "100".to_string(), None),
            ("A", "80".to_string(), Some(39)),
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
        &[
            "mrr",
            "new_mrr",
            "cac",
            "customer_churn_rate",
            "revenue_churn_rate",
        ],
    );
    let v: Vec<_> = r.rows.iter().map(|r| r.value.value).collect();
    // Q1: s = 31 Dec (A 100, D 30), e = 31 Mar (A 80, C 100).
    // New: C 100 (B joined and left inside the quarter: in no class).
    assert_eq!(v[0], money("180"));
    assert_eq!(v[1], money("100"));
    // Spend 1500.5 + 800 (+ nothing in March) over 1 new customer.
    assert_eq!(v[2], money("2300.5"));
    // D churned of A, D paying on 31 Dec.
    assert!((v[3].unwrap().as_f64() - 50.0).abs() < 1e-12);
    // D's 30 churned and A's 20 contraction of 130: 50 / 130.
    assert!((v[4].unwrap().as_f64() - 5000.0 / 130.0).abs() < 1e-9);
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
    // Enterprise: A and C. MRR Jan 100, Feb 200, Mar 80 + 100.
    assert_eq!(&v[0..3], &[money("100"), money("200"), money("180")]);
    // Leads of enterprise accounts: L1 (A) and L5 (C), both in January.
    assert_eq!(&v[3..6], &[count(2), count(0), count(0)]);
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
    // Won deals of every kind: D1, D2, D7 in Jan; D4, D8 in Feb; no row
    // for March.
    assert_eq!(&v[3..6], &[Some(3.0), Some(2.0), None]);
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
