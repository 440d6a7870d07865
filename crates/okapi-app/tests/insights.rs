//! Insights on the demo company: the stories the generator planted (it
//! says where, in its own words) are found where it put them, from the
//! values a refresh stored.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests

use std::sync::Arc;

use chrono::NaiveDate;
use okapi_app::demo::{self, DemoRequest};
use okapi_app::insights::{OkrRiskKind, insights};
use okapi_app::workspace::Workspace;
use okapi_app::{Location, refresh};
use okapi_core::period::Grain;
use okapi_core::settings::Profile;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The date after `marker` in the story that starts with it.
fn story_date(stories: &[String], marker: &str) -> NaiveDate {
    let story = stories
        .iter()
        .find(|s| s.contains(marker))
        .unwrap_or_else(|| panic!("no story with {marker:?}: {stories:?}"));
    let at = story.find(marker).unwrap() + marker.len();
    d(&story[at..at + 10])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_companys_churn_spike_and_signup_surge_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let end = d("2026-10-31");
    let made = demo::create(
        DemoRequest {
            profile: Profile::B2b,
            out: out.clone(),
            accounts: 2000,
            events: 200_000,
            months: 24,
            seed: 7,
            end,
        },
        Arc::new(|_| {}),
    )
    .await
    .unwrap();
    let spike_week = story_date(&made.data.stories, "churn spike in the week of ");
    let loc = Location {
        dir: out,
        config: None,
        database_url: None,
    };
    refresh::refresh(&loc, false).await.unwrap();
    let ws = Workspace::open(&loc).await.unwrap();
    let found = insights(&ws, end).await.unwrap();
    assert_eq!(found.data_through, Some(end));

    // The churn spike: churned customers in its week, far above usual, as
    // bad news; its days folded into that one finding.
    let spike = found
        .anomalies
        .iter()
        .find(|a| a.kpi == "churned_customers" && a.grain == Grain::Week)
        .unwrap_or_else(|| panic!("no weekly churn anomaly: {:#?}", found.anomalies));
    assert_eq!(spike.period, spike_week);
    assert!(spike.score > 4.0 && spike.value > spike.high, "{spike:?}");
    assert!(!spike.good);
    assert!(spike.sentence.contains("bad news"), "{}", spike.sentence);
    assert!(
        !found.anomalies.iter().any(|a| a.kpi == "churned_customers"
            && a.grain == Grain::Day
            && a.period >= spike_week
            && a.period < spike_week + chrono::Days::new(7)),
        "the spike's days are folded into its week"
    );
    // Only real-time KPIs are judged.
    for a in &found.anomalies {
        assert_eq!(
            okapi_core::insights::cadence(&a.kpi),
            okapi_core::insights::Cadence::RealTime,
            "{a:?}"
        );
    }

    // The sign-up surge: the month before the last, more visitors signing
    // up while fewer sign-ups become PQLs; marketing and product should
    // talk.
    let surge = found
        .dissonances
        .iter()
        .find(|x| x.first == "visitor_to_signup_rate" && x.next == "signup_to_pql_rate")
        .unwrap_or_else(|| panic!("no sign-up dissonance: {:#?}", found.dissonances));
    assert_eq!(surge.period, d("2026-09-01"));
    assert!(
        surge.first_move.change > 0.2 && surge.next_move.change < -0.2,
        "{surge:?}"
    );
    assert_eq!(surge.teams, vec!["marketing", "product"]);
    assert!(surge.sentence.contains("should talk"), "{}", surge.sentence);
    assert_eq!(found.dissonances.len(), 1, "{:#?}", found.dissonances);

    // The demo's current cycle has key results behind pace.
    assert_eq!(found.cycle.as_deref(), Some("2026-Q4"));
    assert!(
        found
            .okr_risks
            .iter()
            .any(|r| r.kind == OkrRiskKind::BehindPace),
        "{:#?}",
        found.okr_risks
    );
}
