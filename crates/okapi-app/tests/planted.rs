//! Insights on a company written here, not by the demo generator: a
//! steady company in which nothing should be found, and the same company
//! with events planted by hand (a churn spike, a sign-up surge of sign-ups
//! who never become PQLs, paying accounts gone quiet, onboardings stuck in
//! the integration phase, a key result behind pace), each of which should
//! be found where it was put, and nothing else.
//!
//! The company, from 2025-11-01 to 2026-10-31 (UTC):
//!
//! - **visits**: 300 a weekday, 150 a weekend day.
//! - **leads**: 12 sign-ups a weekday, 6 a weekend day. Of the sign-ups of
//!   a day, numbered from 0: every second is an MQL a day later; those
//!   numbered 0 and 1 modulo 5 are PQLs 3 days later; those numbered 0
//!   modulo 5 become customers 7 days after that (an account of their
//!   own, 100 a month).
//! - **accounts paying before the data**: 400, at 200 a month. 180 of them
//!   churn evenly over the year; the others stay.
//! - **new customers**: one in 8 churns 90 days after starting.
//! - **events**: every paying account's one user logs in each weekday,
//!   and on its first day.
//! - **onboarding**: contract signed when becoming a customer, access a
//!   day later, integration live 4 to 6 days after that, trained 2 days
//!   later, first value a day later.
//!
//! The planted events:
//!
//! - the week of Monday 2026-10-05: 25 more old accounts churn;
//! - September 2026: 2.5 times the sign-ups (the extra ones are neither
//!   MQLs nor PQLs);
//! - from 2026-08-15: 4 old paying accounts stop using the product;
//! - the first 3 customers from 2026-09-10 on never get integrated;
//! - a key result at 5 % of its target a third into the quarter.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests

use std::fmt::Write as _;
use std::path::Path;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use okapi_app::insights::{CustomerRiskKind, Insights, OkrRiskKind, insights};
use okapi_app::workspace::{self, InitRequest, Workspace};
use okapi_app::{Location, refresh};
use okapi_core::period::Grain;
use okapi_core::settings::Profile;

const FIRST: &str = "2025-11-01";
const LAST: &str = "2026-10-31";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

fn ts(day: NaiveDate, hour: u32) -> String {
    format!("{day}T{hour:02}:00:00Z")
}

fn plus(day: NaiveDate, n: u64) -> NaiveDate {
    day + Days::new(n)
}

/// One paying account: id, MRR, start, end (exclusive), and the last day
/// its user is active (exclusive) when it goes quiet before its end.
struct Account {
    id: String,
    mrr: u32,
    start: NaiveDate,
    end: Option<NaiveDate>,
    quiet_from: Option<NaiveDate>,
}

/// Writes the company's data files into `dir`.
fn write_company(dir: &Path, planted: bool) {
    let first = d(FIRST);
    let last = d(LAST);
    let days: Vec<NaiveDate> = first.iter_days().take_while(|x| *x <= last).collect();
    let year = days.len() as u64;

    // Visits.
    let mut visits = String::from("ts,visitor_id,channel\n");
    for day in &days {
        let n = if weekend(*day) { 150 } else { 300 };
        for i in 0..n {
            writeln!(visits, "{},v{day}-{i},organic", ts(*day, 8 + (i % 10))).unwrap();
        }
    }

    // Accounts paying before the data.
    let mut accounts: Vec<Account> = (0..400)
        .map(|j| Account {
            id: format!("b{j:03}"),
            mrr: 200,
            start: d("2024-06-01"),
            end: None,
            quiet_from: None,
        })
        .collect();
    for (j, a) in accounts.iter_mut().enumerate().take(180) {
        a.end = Some(plus(first, 2 + j as u64 * (year - 4) / 180));
    }
    if planted {
        for (k, a) in accounts[180..205].iter_mut().enumerate() {
            a.end = Some(plus(d("2026-10-05"), k as u64 % 5));
        }
        for a in &mut accounts[390..394] {
            a.quiet_from = Some(d("2026-08-15"));
        }
    }

    // Leads, and the customers they become.
    let mut leads = String::from(
        "lead_id,created_at,source,signup_at,mql_at,pql_at,customer_at,lost_at,account_id\n",
    );
    let mut milestones = String::from("account_id,milestone,at\n");
    let mut stuck_left = if planted { 3 } else { 0 };
    let mut customers = 0u64;
    for day in &days {
        let usual = if weekend(*day) { 6 } else { 12 };
        let surge = planted && day.year() == 2026 && day.month() == 9;
        let n = if surge { usual * 5 / 2 } else { usual };
        for i in 0..n {
            let id = format!("l{day}-{i}");
            let extra = i >= usual;
            let created = ts(*day, 9);
            let mql = (!extra && i % 2 == 0 && plus(*day, 1) <= last).then(|| ts(plus(*day, 1), 9));
            let pql_day = (!extra && i % 5 <= 1).then(|| plus(*day, 3));
            let customer_day = pql_day.filter(|_| i % 5 == 0).map(|p| plus(p, 7));
            let customer_day = customer_day.filter(|c| *c <= last);
            let account = customer_day.map(|_| format!("c{id}"));
            writeln!(
                leads,
                "{id},{created},web,{created},{},{},{},,{}",
                mql.unwrap_or_default(),
                pql_day
                    .filter(|p| *p <= last)
                    .map(|p| ts(p, 9))
                    .unwrap_or_default(),
                customer_day.map(|c| ts(c, 9)).unwrap_or_default(),
                account.clone().unwrap_or_default()
            )
            .unwrap();
            if let (Some(c), Some(acc)) = (customer_day, account) {
                customers += 1;
                let end = customers
                    .is_multiple_of(8)
                    .then(|| plus(c, 90))
                    .filter(|e| *e <= last);
                // Onboarding.
                let integ = plus(c, 1 + 4 + customers % 3);
                let steps = [
                    ("contract_signed", c),
                    ("access_granted", plus(c, 1)),
                    ("integration_live", integ),
                    ("trained", plus(integ, 2)),
                    ("first_value", plus(integ, 3)),
                ];
                let stuck = stuck_left > 0 && c >= d("2026-09-10");
                if stuck {
                    stuck_left -= 1;
                }
                for (k, (m, at)) in steps.iter().enumerate() {
                    if *at > last || (stuck && k >= 2) {
                        break;
                    }
                    writeln!(milestones, "{acc},{m},{}", ts(*at, 11)).unwrap();
                }
                accounts.push(Account {
                    id: acc,
                    mrr: 100,
                    start: c,
                    end,
                    quiet_from: None,
                });
            }
        }
    }

    // Subscriptions, accounts and events.
    let mut subs = String::from("subscription_id,account_id,plan,mrr,start_date,end_date\n");
    let mut accts = String::from("account_id,name,created_at,segment\n");
    let mut events = String::from("ts,user_id,account_id,event\n");
    for a in &accounts {
        writeln!(
            subs,
            "s-{},{},pro,{}.00,{},{}",
            a.id,
            a.id,
            a.mrr,
            a.start,
            a.end.map(|e| e.to_string()).unwrap_or_default()
        )
        .unwrap();
        writeln!(accts, "{},{},{},smb", a.id, a.id, ts(a.start, 9)).unwrap();
        let stop = [a.end, a.quiet_from, Some(plus(last, 1))]
            .into_iter()
            .flatten()
            .min()
            .unwrap();
        let mut day = a.start.max(first);
        while day < stop {
            // Weekdays, and the first day (a customer starting on a Saturday
            // logs in at once).
            if !weekend(day) || day == a.start {
                writeln!(events, "{},u-{},{},login", ts(day, 10), a.id, a.id).unwrap();
            }
            day = day.succ_opt().unwrap();
        }
    }

    for (name, text) in [
        ("visits.csv", visits),
        ("leads.csv", leads),
        ("milestones.csv", milestones),
        ("subscriptions.csv", subs),
        ("accounts.csv", accts),
        ("events.csv", events),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// A workspace over the company, refreshed, with a quarter whose one key
/// result is checked in at `value` of 100 on 2026-10-31.
async fn company(planted: bool, value: f64) -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    workspace::init(InitRequest {
        dir: dir.path().to_path_buf(),
        database_url: None,
        profile: Profile::B2b,
        name: Some("Steady".into()),
        id: None,
    })
    .await
    .unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    write_company(&data, planted);
    let loc = Location {
        dir: dir.path().to_path_buf(),
        config: None,
        database_url: None,
    };
    let settings = dir.path().join("okapi.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    if !text.contains("data =") {
        std::fs::write(
            &settings,
            text.replace("[workspace]", "[workspace]\ndata = \"data\""),
        )
        .unwrap();
    }
    let ws = Workspace::open(&loc).await.unwrap();
    let today = d(LAST);
    okapi_app::cycles::create(&ws, okapi_app::cycles::NewCycle::default(), today)
        .await
        .unwrap();
    okapi_app::cycles::activate(&ws, "2026-Q4").await.unwrap();
    okapi_app::objectives::add(
        &ws,
        "2026-Q4",
        None,
        okapi_app::objectives::ObjectiveFields {
            title: Some("Customers find value fast".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut kr = okapi_store::KeyResult::new(
        "KR-1",
        "O-1",
        "Onboard 100 accounts in a week",
        okapi_core::okr::KrKind::Metric,
    );
    kr.baseline = Some(0.0);
    kr.target = Some(100.0);
    let mut s = ws.session().await.unwrap();
    s.create_key_result(&kr).await.unwrap();
    s.commit().await.unwrap();
    okapi_app::checkins::check_in(
        &ws,
        okapi_app::checkins::CheckInRequest {
            kr: "KR-1".into(),
            value: Some(value),
            confidence: None,
            note: None,
            author: None,
            at: Some(today),
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    refresh::refresh(&loc, false).await.unwrap();
    (dir, ws)
}

async fn found(planted: bool, value: f64) -> Insights {
    let (_dir, ws) = company(planted, value).await;
    insights(&ws, d(LAST)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steady_company_on_pace_raises_nothing() {
    let f = found(false, 34.0).await;
    assert_eq!(f.data_through, Some(d(LAST)));
    assert!(f.anomalies.is_empty(), "{:#?}", f.anomalies);
    assert!(f.dissonances.is_empty(), "{:#?}", f.dissonances);
    assert!(f.okr_risks.is_empty(), "{:#?}", f.okr_risks);
    assert!(f.customer_risks.is_empty(), "{:#?}", f.customer_risks);
    // The slowest phase is still named (integration: 5 days on average,
    // against 1, 2 and 1), with nobody stuck in it.
    let slow = f.slow_phase.unwrap();
    assert_eq!(
        (slow.from.as_str(), slow.to.as_str()),
        ("access_granted", "integration_live")
    );
    assert!((slow.mean_days - 5.0).abs() < 0.1, "{slow:?}");
    assert_eq!(slow.stuck, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_planted_event_is_found_where_it_was_put_and_nothing_else() {
    let f = found(true, 5.0).await;

    // The churn spike: in its week, bad news.
    let spike = f
        .anomalies
        .iter()
        .find(|a| a.kpi == "churned_customers" && a.grain == Grain::Week)
        .unwrap_or_else(|| panic!("{:#?}", f.anomalies));
    assert_eq!(spike.period, d("2026-10-05"));
    assert!(!spike.good && spike.value >= 25.0, "{spike:?}");
    // Every anomaly is one of the planted events showing: churn in the
    // spike week, the surge's sign-ups in September, the quiet accounts
    // turning inactive.
    for a in &f.anomalies {
        let churn = ["churned_customers", "churned_mrr", "customer_churn_rate"]
            .contains(&a.kpi.as_str())
            && a.period == d("2026-10-05");
        let surge = [
            "signups",
            "leads",
            "visitor_to_signup_rate",
            "signup_to_pql_rate",
        ]
        .contains(&a.kpi.as_str())
            && a.period >= d("2026-08-31")
            && a.period < d("2026-10-01");
        let quiet = a.kpi == "inactive_accounts";
        assert!(churn || surge || quiet, "unexpected: {a:#?}");
    }

    // The surge: one dissonance, in September, marketing and product.
    assert_eq!(f.dissonances.len(), 1, "{:#?}", f.dissonances);
    let x = &f.dissonances[0];
    assert_eq!(
        (x.first.as_str(), x.next.as_str(), x.period),
        (
            "visitor_to_signup_rate",
            "signup_to_pql_rate",
            d("2026-09-01")
        )
    );
    // Sign-ups 2.5 times their usual against the same visits: the rate
    // rises by about 150 %; PQLs stay, so their share falls by about 60 %.
    assert!((x.first_move.change - 1.5).abs() < 0.15, "{x:?}");
    assert!((x.next_move.change + 0.6).abs() < 0.06, "{x:?}");
    assert_eq!(x.teams, vec!["marketing", "product"]);

    // The quiet accounts, and no other account, are inactive.
    let mut inactive: Vec<&str> = f
        .customer_risks
        .iter()
        .filter(|r| r.kind == CustomerRiskKind::InactiveAccount)
        .map(|r| r.account.as_str())
        .collect();
    inactive.sort_unstable();
    assert_eq!(inactive, vec!["b390", "b391", "b392", "b393"]);
    for r in f
        .customer_risks
        .iter()
        .filter(|r| r.kind == CustomerRiskKind::InactiveAccount)
    {
        // Last active Friday 2026-08-14: 78 days before 2026-10-31.
        assert_eq!((r.mrr, r.days), (Some(200.0), Some(78.0)), "{r:?}");
    }
    // Health drops, if any, are the quiet accounts'.
    for r in f
        .customer_risks
        .iter()
        .filter(|r| r.kind == CustomerRiskKind::HealthDrop)
    {
        assert!(inactive.contains(&r.account.as_str()), "{r:?}");
    }

    // The three onboardings stuck at access since September.
    let stuck: Vec<&okapi_app::insights::CustomerRisk> = f
        .customer_risks
        .iter()
        .filter(|r| r.kind == CustomerRiskKind::StuckOnboarding)
        .collect();
    assert_eq!(stuck.len(), 3, "{stuck:#?}");
    for s in &stuck {
        assert!(s.id.ends_with(":access_granted"), "{s:?}");
        assert!(s.days.unwrap() > 40.0, "{s:?}");
        assert!(
            s.sentence.contains("for integration_live"),
            "{}",
            s.sentence
        );
    }
    let slow = f.slow_phase.as_ref().unwrap();
    assert_eq!((slow.from.as_str(), slow.stuck), ("access_granted", 3));

    // The key result at 5 % a third into the quarter is behind pace.
    assert_eq!(f.okr_risks.len(), 1, "{:#?}", f.okr_risks);
    assert_eq!(
        (f.okr_risks[0].kind, f.okr_risks[0].key.as_str()),
        (OkrRiskKind::BehindPace, "KR-1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_report_says_what_the_engine_and_the_store_say() {
    let (_dir, ws) = company(true, 5.0).await;
    let r = okapi_app::weekly::report(&ws, None, d("2026-11-30"))
        .await
        .unwrap();
    // The week ends on the data's last day.
    assert_eq!((r.from, r.to), (d("2026-10-25"), d(LAST)));

    // Each executive KPI is October's value, as the engine computes it
    // straight from the files, and September's before it.
    let ids: Vec<String> = r.kpis.iter().map(|k| k.kpi.clone()).collect();
    assert_eq!(ids.len(), 10);
    let src = okapi_app::data::DataSource::new((*ws.settings).clone(), ws.data_dir().unwrap());
    let engine = okapi_app::data::kpis(
        &src,
        okapi_app::data::KpiQuery {
            kpis: okapi_app::inputs::KpiSelection::new(&ws.settings, ids).unwrap(),
            grain: Grain::Month,
            range: okapi_app::inputs::DateRange::new(Some(d("2026-09-01")), Some(d(LAST))).unwrap(),
            segment: None,
        },
    )
    .await
    .unwrap();
    let computed = |kpi: &str, month: &str| {
        engine
            .rows
            .iter()
            .find(|row| row.kpi.id == kpi && row.period.start == d(month))
            .and_then(|row| row.value.value.as_ref().map(|v| v.as_f64()))
    };
    for k in &r.kpis {
        assert_eq!(
            k.month.map(|m| m.to_string()).as_deref(),
            Some("2026-10-01"),
            "{k:?}"
        );
        let (now, before) = (
            computed(&k.kpi, "2026-10-01"),
            computed(&k.kpi, "2026-09-01"),
        );
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
            (a, b) => a.is_none() && b.is_none(),
        };
        assert!(close(k.value, now), "{}: {:?} vs {now:?}", k.kpi, k.value);
        assert!(
            close(k.previous, before),
            "{}: {:?} vs {before:?}",
            k.kpi,
            k.previous
        );
        assert!(k.series.len() <= 12 && k.series.last().map(|s| s.0) == k.month);
    }

    // The quiet accounts with their MRR; the week's one check-in.
    let mut inactive: Vec<(String, Option<f64>, Option<f64>)> = r
        .inactive
        .iter()
        .map(|a| (a.account.clone(), a.mrr, a.days_inactive))
        .collect();
    inactive.sort_by(|a, b| a.0.cmp(&b.0));
    let want: Vec<(String, Option<f64>, Option<f64>)> = ["b390", "b391", "b392", "b393"]
        .iter()
        .map(|a| (a.to_string(), Some(200.0), Some(78.0)))
        .collect();
    assert_eq!(inactive, want);
    assert_eq!(r.checkins.len(), 1);
    assert_eq!(
        (
            r.checkins[0].key_result.as_str(),
            r.checkins[0].day,
            r.checkins[0].value
        ),
        ("KR-1", d(LAST), Some(5.0))
    );
    assert_eq!(r.insights.okr_risks.len(), 1);

    // Both writings say the same.
    let md = okapi_app::weekly::markdown(&r);
    assert!(md.contains("| b390 | 200.00 | 78 |"), "{md}");
    assert!(
        md.contains("KR-1 Onboard 100 accounts in a week: 5"),
        "{md}"
    );
    assert!(
        md.contains("churn spike") || md.contains("Churned customers was"),
        "{md}"
    );
    let html = okapi_app::weekly::html(&r);
    assert!(html.starts_with("<!doctype html>") && !html.contains("<script"));
    assert!(html.contains("<td>b390</td><td class=\"n\">200.00</td><td class=\"n\">78</td>"));
}
