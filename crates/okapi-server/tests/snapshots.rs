//! One JSON snapshot per API route, so that any change of what the API
//! answers shows as a changed file under `tests/snapshots/` in review.
//!
//! The workspace is fixed: six accounts' subscriptions from January to
//! March 2026 (the browser test's, whose numbers it works out by hand), a
//! past cycle (2025-Q4, so its status is read on its last day whatever the
//! day the test runs), two objectives and two key results. Times, secrets,
//! fingerprints and durations differ on every run and are replaced by
//! `[redacted]` before the snapshot is compared.
//!
//! After a deliberate change: `INSTA_UPDATE=always cargo test --workspace
//! --test snapshots`, then review the changed `.snap` files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests

use std::net::SocketAddr;

use chrono::{NaiveDate, Utc};
use okapi_app::accounts;
use okapi_app::cycles::{self, NewCycle};
use okapi_app::objectives::{self, ObjectiveFields};
use okapi_app::people::{self, TeamChange, UserChange};
use okapi_app::workspace::Workspace;
use okapi_core::okr::KrKind;
use okapi_core::review::Level;
use okapi_store::{Access, KeyResult};
use serde_json::Value;

mod support;

const SUBSCRIPTIONS: &str = "\
subscription_id,account_id,plan,mrr,start_date,end_date
s1,a1,basic,100,2026-01-01,
s2,a2,basic,200,2026-01-01,2026-02-10
s3,a3,pro,300,2026-01-01,
s4,a4,pro,400,2026-02-05,
s5,a5,basic,100,2026-01-01,2026-03-20
s6,a6,basic,50,2026-01-01,2026-03-15
";

const PASSWORD: &str = "correct horse battery";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn workspace() -> (tempfile::TempDir, Workspace, String) {
    let (dir, ws) = support::new_workspace(Some("acme"), "").await;
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("subscriptions.csv"), SUBSCRIPTIONS).unwrap();
    cycles::create(&ws, NewCycle::default(), d("2025-11-10"))
        .await
        .unwrap();
    cycles::activate(&ws, "2025-Q4").await.unwrap();
    people::save_team(
        &ws,
        TeamChange {
            key: "sales".into(),
            name: Some("Sales".into()),
            mission: Some("Every account renews".into()),
        },
    )
    .await
    .unwrap();
    for (title, team, level, parent) in [
        ("Customers stay with us", None, None, None),
        (
            "Sales renews every account",
            Some("sales"),
            Some(Level::Team),
            Some("O-1"),
        ),
    ] {
        objectives::add(
            &ws,
            "2025-Q4",
            None,
            ObjectiveFields {
                title: Some(title.into()),
                team: team.map(String::from),
                level,
                parent: parent.map(String::from),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let mut s = ws.session().await.unwrap();
    for (key, objective, title) in [
        ("KR-1", "O-1", "Renewals signed"),
        ("KR-2", "O-2", "Renewal calls held"),
    ] {
        let mut kr = KeyResult::new(key, objective, title, KrKind::Metric);
        kr.baseline = Some(0.0);
        kr.target = Some(10.0);
        kr.unit = Some("renewals".into());
        s.create_key_result(&kr).await.unwrap();
    }
    s.commit().await.unwrap();
    people::save_user(
        &ws,
        UserChange {
            key: "carl".into(),
            name: Some("Carl Admin".into()),
            email: Some("carl@acme.test".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    accounts::set_login(&ws, "carl", Access::Admin, Some(PASSWORD.into()))
        .await
        .unwrap();
    okapi_app::refresh::refresh_workspace(&ws, true)
        .await
        .unwrap();
    let session = accounts::login(&ws, "carl", PASSWORD.into(), Utc::now())
        .await
        .unwrap();
    (dir, ws, format!("okapi_session={}", session.secret))
}

/// One request as the admin (from this server's pages), read to its end:
/// the status and the body (JSON, or the text of a download).
async fn call(
    addr: SocketAddr,
    cookie: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, Value) {
    let (status, value, _) = call_full(addr, cookie, method, path, body).await;
    (status, value)
}

/// [`call`], with the session cookie the answer sets, if any.
async fn call_full(
    addr: SocketAddr,
    cookie: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, Value, Option<String>) {
    let headers = [("Cookie", cookie), ("Sec-Fetch-Site", "same-origin")];
    // Every request says its body is JSON, even an empty one.
    let a = support::request(addr, method, path, &headers, Some(body.unwrap_or(""))).await;
    let set_cookie = a
        .header("set-cookie")
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    let value = serde_json::from_str(&a.text).unwrap_or_else(|_| Value::String(a.text.clone()));
    (a.status, value, set_cookie)
}

/// Replaces what differs from run to run: times, secrets, fingerprints,
/// durations and the token ids' numbering stays (it is deterministic).
fn redact(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let varies = k.ends_with("_at")
                    || matches!(
                        k.as_str(),
                        "secret"
                            | "fingerprint"
                            | "definitions"
                            | "duration_ms"
                            | "on"
                            | "first_seen"
                            | "last_seen"
                    );
                if varies && !v.is_null() {
                    *v = Value::String("[redacted]".into());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_as_its_snapshot() {
    let (_dir, ws, cookie) = workspace().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(okapi_server::serve(listener, ws.clone()));

    // In order: the writes come after the reads they would change.
    let routes: &[(&str, &str, &str, Option<&str>)] = &[
        ("workspace", "GET", "/api/v1/workspace", None),
        ("home", "GET", "/api/v1/home", None),
        ("journey", "GET", "/api/v1/journey", None),
        ("catalog", "GET", "/api/v1/catalog", None),
        ("kpis_month", "GET", "/api/v1/kpis?grain=month", None),
        (
            "kpi_churn_series",
            "GET",
            "/api/v1/kpis/customer_churn_rate?grain=month",
            None,
        ),
        ("kpi_unknown", "GET", "/api/v1/kpis/no_such_kpi", None),
        ("refresh_last", "GET", "/api/v1/refresh", None),
        ("refresh_now", "POST", "/api/v1/refresh", None),
        (
            "okrs",
            "GET",
            "/api/v1/okrs?cycle=2025-Q4&at=2025-11-15",
            None,
        ),
        ("okrs_tree", "GET", "/api/v1/okrs/tree?cycle=2025-Q4", None),
        ("key_result", "GET", "/api/v1/key-results/KR-1", None),
        ("checkins", "GET", "/api/v1/key-results/KR-1/checkins", None),
        (
            "check_in",
            "POST",
            "/api/v1/key-results/KR-1/checkins",
            Some(
                r#"{"value": 4, "confidence": "at_risk", "note": "four so far", "at": "2025-11-15"}"#,
            ),
        ),
        (
            "check_in_invalid",
            "POST",
            "/api/v1/key-results/KR-1/checkins",
            Some(r#"{"value": "four"}"#),
        ),
        (
            "report_markdown",
            "GET",
            "/api/v1/report?cycle=2025-Q4",
            None,
        ),
        ("teams", "GET", "/api/v1/teams", None),
        (
            "team_save",
            "PUT",
            "/api/v1/teams/marketing",
            Some(r#"{"name": "Marketing", "mission": "People hear of us"}"#),
        ),
        ("users", "GET", "/api/v1/users", None),
        (
            "user_save",
            "PUT",
            "/api/v1/users/mia",
            Some(r#"{"name": "Mia", "team": "marketing", "access": "editor"}"#),
        ),
        (
            "vision",
            "PUT",
            "/api/v1/vision",
            Some(r#"{"vision": "Every SaaS team runs on numbers it trusts"}"#),
        ),
        (
            "token_create",
            "POST",
            "/api/v1/tokens",
            Some(r#"{"name": "wall-screen", "access": "read"}"#),
        ),
        ("tokens", "GET", "/api/v1/tokens", None),
        ("token_revoke", "DELETE", "/api/v1/tokens/T-1", None),
        ("insights", "GET", "/api/v1/insights?at=2025-12-31", None),
        ("findings", "GET", "/api/v1/findings", None),
        (
            "weekly_report",
            "GET",
            "/api/v1/report/weekly?at=2026-03-31&format=json",
            None,
        ),
        ("alert_deliveries", "GET", "/api/v1/alerts/deliveries", None),
        ("no_route", "GET", "/api/v1/no-such-route", None),
        ("wrong_method", "DELETE", "/api/v1/okrs", None),
    ];
    for (name, method, path, body) in routes {
        let (status, mut value) = call(addr, &cookie, method, path, *body).await;
        redact(&mut value);
        let answer = serde_json::json!({ "status": status, "body": value });
        insta::assert_json_snapshot!(*name, answer);
    }
    // A login of its own (the answer names the session's secret), then its
    // logout; a wrong password first.
    let (status, mut value) = call(
        addr,
        "",
        "POST",
        "/api/v1/login",
        Some(r#"{"user": "carl@acme.test", "password": "not it"}"#),
    )
    .await;
    redact(&mut value);
    insta::assert_json_snapshot!(
        "login_refused",
        serde_json::json!({ "status": status, "body": value })
    );
    let body = format!(r#"{{"user": "carl@acme.test", "password": "{PASSWORD}"}}"#);
    let (status, mut value, own) = call_full(addr, "", "POST", "/api/v1/login", Some(&body)).await;
    let own = own.expect("a login sets the session cookie");
    assert!(
        !value
            .to_string()
            .contains(own.trim_start_matches("okapi_session=")),
        "the secret is only in the cookie"
    );
    redact(&mut value);
    insta::assert_json_snapshot!(
        "login",
        serde_json::json!({ "status": status, "body": value })
    );
    let (status, value) = call(addr, &own, "POST", "/api/v1/logout", None).await;
    insta::assert_json_snapshot!(
        "logout",
        serde_json::json!({ "status": status, "body": value })
    );
    let (status, _) = call(addr, &own, "GET", "/api/v1/workspace", None).await;
    assert_eq!(status, 401, "a session logged out opens nothing");

    // An upload, last: it replaces the data the rest was read from.
    let upload =
        "subscription_id,account_id,plan,mrr,start_date,end_date\ns1,a1,pro,100,2026-01-01,\n";
    let length = upload.len().to_string();
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Sec-Fetch-Site", "same-origin"),
        ("Content-Type", "text/csv"),
        ("Content-Length", length.as_str()),
    ];
    let a = support::send(addr, "PUT", "/api/v1/data/subscriptions", &headers, upload).await;
    let mut value: Value = serde_json::from_str(&a.text).unwrap();
    redact(&mut value);
    let status = a.status;
    insta::assert_json_snapshot!(
        "upload",
        serde_json::json!({ "status": status, "body": value })
    );
}
