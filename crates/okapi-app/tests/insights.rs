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
use okapi_app::findings;
use okapi_app::insights::{CustomerRiskKind, OkrRiskKind, insights};
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

    // The quiet paying accounts the generator lists are inactive customers
    // at risk, with their MRR.
    let quiet = story_after(&made.data.stories, "have had no event for 30+ days: ");
    // `ID (MRR/month, no event for N days), …`
    let ids: Vec<&str> = quiet
        .split("), ")
        .map(|x| x.split(' ').next().unwrap())
        .collect();
    assert!(ids.len() >= 3, "{quiet}");
    for id in &ids {
        let risk = found
            .customer_risks
            .iter()
            .find(|r| r.kind == CustomerRiskKind::InactiveAccount && r.account == *id)
            .unwrap_or_else(|| panic!("{id} is not among the inactive accounts"));
        assert!(
            risk.mrr.unwrap() > 0.0 && risk.days.unwrap() >= 30.0,
            "{risk:?}"
        );
    }

    // The slow onboarding phase the generator planted, with its mean as
    // the generator measured it (to a tenth of a day's rounding and the
    // milestones of accounts that have not reached first value yet).
    let slow = found.slow_phase.as_ref().expect("a slowest phase");
    assert_eq!(
        (slow.from.as_str(), slow.to.as_str()),
        ("access_granted", "integration_live")
    );
    let story = story_after(
        &made.data.stories,
        "access_granted -> integration_live takes ",
    );
    let planted: f64 = story.split(' ').next().unwrap().parse().unwrap();
    assert!(
        (slow.mean_days - planted).abs() / planted < 0.05,
        "{slow:?} vs {planted}"
    );
    assert!(
        slow.sentence.contains("access_granted to integration_live"),
        "{}",
        slow.sentence
    );
    // Onboardings stuck there are named with how long they have waited.
    for s in found
        .customer_risks
        .iter()
        .filter(|r| r.kind == CustomerRiskKind::StuckOnboarding)
    {
        assert!(s.sentence.contains("has waited"), "{}", s.sentence);
    }
}

/// The text after `marker` in the story that holds it.
fn story_after<'a>(stories: &'a [String], marker: &str) -> &'a str {
    let story = stories
        .iter()
        .find(|s| s.contains(marker))
        .unwrap_or_else(|| panic!("no story with {marker:?}: {stories:?}"));
    &story[story.find(marker).unwrap() + marker.len()..]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_are_kept_across_refreshes_with_their_first_sight_and_acknowledgement() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let end = d("2026-10-31");
    demo::create(
        DemoRequest {
            profile: Profile::B2b,
            out: out.clone(),
            accounts: 600,
            events: 60_000,
            months: 12,
            seed: 11,
            end,
        },
        Arc::new(|_| {}),
    )
    .await
    .unwrap();
    let loc = Location {
        dir: out,
        config: None,
        database_url: None,
    };
    // The refresh records what it finds.
    let r = refresh::refresh(&loc, false).await.unwrap();
    assert!(r.findings.current > 0);
    assert_eq!(
        r.findings.new.len() as u64,
        r.findings.current,
        "{:#?}",
        r.findings.new.iter().map(|f| &f.id).collect::<Vec<_>>()
    );
    let ws = Workspace::open(&loc).await.unwrap();

    let t1 = chrono::DateTime::parse_from_rfc3339("2026-11-02T08:00:00Z")
        .unwrap()
        .to_utc();
    let t2 = chrono::DateTime::parse_from_rfc3339("2026-11-03T08:00:00Z")
        .unwrap()
        .to_utc();
    let (ins, first) = findings::record(&ws, end, t1).await.unwrap();
    let flat = findings::flatten(&ins);
    assert_eq!(first.current as usize, flat.len(), "{flat:#?}");
    let list = findings::list(&ws, false).await.unwrap();
    assert_eq!(list.ran_at, Some(t1));
    let mut listed: Vec<&str> = list.findings.iter().map(|f| f.id.as_str()).collect();
    let mut wanted: Vec<&str> = flat.iter().map(|f| f.id.as_str()).collect();
    listed.sort_unstable();
    wanted.sort_unstable();
    assert_eq!(listed, wanted);

    // Acknowledged, then found again a day later: the same finding, first
    // seen at the first refresh, last seen at the second, still
    // acknowledged; nothing new.
    let some = flat[0].id.clone();
    let first_seen = list
        .findings
        .iter()
        .find(|f| f.id == some)
        .unwrap()
        .first_seen;
    let acked = findings::acknowledge(&ws, &some, "ana", Some("  on it  ".into()), t1)
        .await
        .unwrap();
    assert_eq!(
        acked.acknowledged.as_ref().unwrap().note.as_deref(),
        Some("on it")
    );
    let (again, second) = findings::record(&ws, end, t2).await.unwrap();
    assert!(second.new.is_empty(), "{:?}", second.new);
    assert_eq!(second.current, first.current);
    let now = findings::list(&ws, false).await.unwrap();
    let f = now.findings.iter().find(|f| f.id == some).unwrap();
    assert_eq!((f.first_seen, f.last_seen), (first_seen, t2));
    assert_eq!(f.acknowledged.as_ref().unwrap().by, "ana");
    // The insights show it.
    let annotated = insights(&ws, end).await.unwrap();
    let seen_ack = findings::flatten(&annotated).len() == flat.len()
        && annotated
            .anomalies
            .iter()
            .map(|a| (&a.id, &a.seen))
            .chain(annotated.customer_risks.iter().map(|c| (&c.id, &c.seen)))
            .chain(annotated.okr_risks.iter().map(|c| (&c.id, &c.seen)))
            .chain(annotated.dissonances.iter().map(|c| (&c.id, &c.seen)))
            .chain(annotated.slow_phase.iter().map(|c| (&c.id, &c.seen)))
            .any(|(id, seen)| *id == some && seen.as_ref().unwrap().acknowledged.is_some());
    assert!(seen_ack);
    drop(again);

    // A finding no longer found leaves the current list but stays in the
    // history: record a run that finds nothing at all.
    let t3 = chrono::DateTime::parse_from_rfc3339("2026-11-04T08:00:00Z")
        .unwrap()
        .to_utc();
    let mut s = ws.session().await.unwrap();
    s.record_findings(&[], t3).await.unwrap();
    s.commit().await.unwrap();
    assert!(
        findings::list(&ws, false)
            .await
            .unwrap()
            .findings
            .is_empty()
    );
    // Every finding ever recorded: the refresh's (read on today's date)
    // and the runs' (read on the data's last day).
    let mut ever: Vec<&str> = r
        .findings
        .new
        .iter()
        .map(|f| f.id.as_str())
        .chain(flat.iter().map(|f| f.id.as_str()))
        .collect();
    ever.sort_unstable();
    ever.dedup();
    let mut history: Vec<String> = findings::list(&ws, true)
        .await
        .unwrap()
        .findings
        .into_iter()
        .map(|f| f.id)
        .collect();
    history.sort_unstable();
    assert_eq!(history, ever);

    // An unknown id is refused by name.
    let err = findings::acknowledge(&ws, "anomaly:nope", "ana", None, t3)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("anomaly:nope"), "{err}");
}
