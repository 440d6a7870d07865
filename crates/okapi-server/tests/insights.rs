//! The insight routes: reading the findings and the alert log is anyone's
//! with a valid credential of the workspace; acknowledging is for those
//! who may change things, recorded under their name; nothing crosses
//! workspaces.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests

mod support;

use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use okapi_app::tokens;
use okapi_store::{AlertDelivery, NewFinding, TokenAccess};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

async fn get(addr: SocketAddr, path: &str, token: &str) -> support::Answer {
    let auth = format!("Bearer {token}");
    support::request(addr, "GET", path, &[("Authorization", &auth)], None).await
}

async fn post(addr: SocketAddr, path: &str, token: &str, body: &str) -> support::Answer {
    let auth = format!("Bearer {token}");
    support::request(addr, "POST", path, &[("Authorization", &auth)], Some(body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_are_read_by_anyone_and_acknowledged_by_writers_only() {
    let (_dir, ws) = support::new_workspace(Some("acme"), "").await;
    let (_other_dir, other) = support::new_workspace(Some("globex"), "").await;
    let addr = support::serve(&ws).await;
    let id = "inactive_account:a1:2026-09-30";
    let mut s = ws.session().await.unwrap();
    s.record_findings(
        &[NewFinding {
            id: id.into(),
            kind: "inactive_account".into(),
            subject: "a1".into(),
            period: None,
            good: false,
            sentence: "a1 pays 100.00 a month and nobody has used the product for 31 days.".into(),
        }],
        t("2026-11-01T06:00:00Z"),
    )
    .await
    .unwrap();
    s.record_alert_delivery(&AlertDelivery {
        rule: "quiet".into(),
        finding_id: id.into(),
        webhook: "ops".into(),
        sentence: "a1 pays 100.00 a month …".into(),
        status: "failed".into(),
        attempts: 4,
        http_status: Some(503),
        error: Some("answered HTTP 503".into()),
        first_try_at: t("2026-11-01T06:00:01Z"),
        last_try_at: t("2026-11-01T06:00:09Z"),
    })
    .await
    .unwrap();
    s.commit().await.unwrap();

    let reader = tokens::create(&ws, "wall", TokenAccess::Read, Utc::now())
        .await
        .unwrap();
    let writer = tokens::create(&ws, "ana", TokenAccess::Write, Utc::now())
        .await
        .unwrap();
    let stranger = tokens::create(&other, "ana", TokenAccess::Write, Utc::now())
        .await
        .unwrap();

    let r = get(addr, "/api/v1/findings", &reader.secret).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(body["ran_at"], "2026-11-01T06:00:00Z");
    assert_eq!(body["findings"][0]["id"], id);
    assert_eq!(body["findings"][0]["first_seen"], "2026-11-01T06:00:00Z");
    assert!(body["findings"][0]["acknowledged"].is_null());

    // `>` and `:` travel percent-encoded in the path.
    let path = "/api/v1/findings/inactive_account%3Aa1%3A2026-09-30/ack";
    let r = post(addr, path, &reader.secret, r#"{"note": "seen"}"#).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (403, Some("forbidden"))
    );
    let r = post(addr, path, &stranger.secret, r#"{"note": "seen"}"#).await;
    assert_eq!(r.status, 401);
    let r = post(addr, path, &writer.secret, r#"{"nothing": 1}"#).await;
    assert_eq!(r.status, 400);
    let r = post(addr, path, &writer.secret, r#"{"note": "called them"}"#).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["acknowledged"]["by"], "ana");
    assert_eq!(r.json()["acknowledged"]["note"], "called them");
    let r = post(addr, "/api/v1/findings/nope/ack", &writer.secret, "{}").await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (404, Some("not_found"))
    );

    // The acknowledgement is kept: the reader sees it.
    let r = get(addr, "/api/v1/findings?all=true", &reader.secret).await;
    assert_eq!(r.json()["findings"][0]["acknowledged"]["by"], "ana");

    // The alert log names the webhook, never its address.
    let r = get(addr, "/api/v1/alerts/deliveries", &reader.secret).await;
    assert_eq!(r.status, 200);
    let log = r.json();
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(
        (
            log[0]["webhook"].as_str(),
            log[0]["attempts"].as_i64(),
            log[0]["status"].as_str()
        ),
        (Some("ops"), Some(4), Some("failed"))
    );
    let r = get(addr, "/api/v1/alerts/deliveries?limit=x", &reader.secret).await;
    assert_eq!(r.status, 400);

    // Insights before any refresh: nothing stored to judge, no crash.
    let r = get(addr, "/api/v1/insights", &reader.secret).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json()["data_through"].is_null());
    assert_eq!(r.json()["anomalies"].as_array().map(Vec::len), Some(0));
}
