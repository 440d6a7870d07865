//! Alerts sent to webhooks on loopback: one that answers, one that fails
//! twice then recovers, one that never answers and one that is gone. Each
//! alert is delivered once, signed; the failures are bounded and logged,
//! and the rest is still delivered.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::NaiveDate;
use hmac::{KeyInit, Mac};
use okapi_app::demo::{self, DemoRequest};
use okapi_app::workspace::Workspace;
use okapi_app::{Location, alerts, findings, refresh};
use okapi_core::settings::Profile;

/// What a receiver got: headers and body of every POST, per path.
#[derive(Default)]
struct Inbox {
    got: Mutex<Vec<(String, HeaderMap, String)>>,
    flaky_failures: Mutex<u32>,
}

async fn ok(State(inbox): State<Arc<Inbox>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let body = String::from_utf8(body.to_vec()).unwrap();
    inbox.got.lock().unwrap().push(("ok".into(), headers, body));
    StatusCode::NO_CONTENT
}

/// Fails twice with 503, then accepts.
async fn flaky(State(inbox): State<Arc<Inbox>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let body = String::from_utf8(body.to_vec()).unwrap();
    inbox
        .got
        .lock()
        .unwrap()
        .push(("flaky".into(), headers, body));
    let mut f = inbox.flaky_failures.lock().unwrap();
    if *f < 2 {
        *f += 1;
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    }
}

async fn never(State(inbox): State<Arc<Inbox>>, headers: HeaderMap) -> StatusCode {
    inbox
        .got
        .lock()
        .unwrap()
        .push(("never".into(), headers, String::new()));
    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    StatusCode::OK
}

async fn gone(State(inbox): State<Arc<Inbox>>, headers: HeaderMap) -> StatusCode {
    inbox
        .got
        .lock()
        .unwrap()
        .push(("gone".into(), headers, String::new()));
    StatusCode::NOT_FOUND
}

async fn receiver() -> (String, Arc<Inbox>) {
    let inbox = Arc::new(Inbox::default());
    let app = Router::new()
        .route("/ok", post(ok))
        .route("/flaky", post(flaky))
        .route("/never", post(never))
        .route("/gone", post(gone))
        .with_state(Arc::clone(&inbox));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), inbox)
}

fn count(inbox: &Inbox, path: &str) -> usize {
    inbox
        .got
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _, _)| p == path)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_delivered_once_signed_and_failures_are_bounded_and_logged() {
    let (base, inbox) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    demo::create(
        DemoRequest {
            profile: Profile::B2b,
            out: out.clone(),
            accounts: 600,
            events: 60_000,
            months: 12,
            seed: 11,
            end: NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
        },
        Arc::new(|_| {}),
    )
    .await
    .unwrap();
    // The signing key is read from the environment: any variable set for
    // the test process does (cargo sets this one).
    let key = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let settings = out.join("okapi.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str(&format!(
        r#"
[[webhook]]
name = "ops"
url = "{base}/ok"
format = "json"
secret_env = "CARGO_MANIFEST_DIR"

[[webhook]]
name = "chat"
url = "{base}/flaky"
retries = 3

[[webhook]]
name = "dead"
url = "{base}/never"
timeout = 1
retries = 1

[[webhook]]
name = "moved"
url = "{base}/gone"

[[alert]]
name = "quiet-customers"
when = "inactive_account"
webhooks = ["ops"]

[[alert]]
name = "mrr-watch"
when = "threshold"
kpi = "mrr"
above = 0
webhooks = ["chat", "dead", "moved"]
"#
    ));
    std::fs::write(&settings, text).unwrap();
    let loc = Location {
        dir: out,
        config: None,
        database_url: None,
    };

    let r = refresh::refresh(&loc, false).await.unwrap();
    let ws = Workspace::open(&loc).await.unwrap();
    let inactive: Vec<String> = findings::list(&ws, false)
        .await
        .unwrap()
        .findings
        .into_iter()
        .filter(|f| f.kind == "inactive_account")
        .map(|f| f.id)
        .collect();
    assert!(!inactive.is_empty());

    // One signed JSON alert per inactive account to `ops`.
    assert_eq!(count(&inbox, "ok"), inactive.len());
    for (path, headers, body) in inbox.got.lock().unwrap().iter() {
        if path != "ok" {
            continue;
        }
        let ts = headers["x-okapi-timestamp"].to_str().unwrap();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(format!("{ts}.{body}").as_bytes());
        let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(headers["x-okapi-signature"].to_str().unwrap(), want);
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["rule"], "quiet-customers");
        assert_eq!(json["kind"], "inactive_account");
        assert!(inactive.contains(&json["finding"].as_str().unwrap().to_string()));
        assert!(json["text"].as_str().unwrap().contains("pays"), "{json}");
        assert_eq!(
            headers["x-okapi-delivery"].to_str().unwrap(),
            format!("quiet-customers/{}", json["finding"].as_str().unwrap())
        );
    }
    // The flaky hook got the MRR alert on its third try, as Slack text.
    assert_eq!(count(&inbox, "flaky"), 3);
    let slack = inbox
        .got
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|(p, _, _)| p == "flaky")
        .map(|(_, _, b)| serde_json::from_str::<serde_json::Value>(b).unwrap())
        .unwrap();
    assert!(
        slack["text"]
            .as_str()
            .unwrap()
            .contains("Monthly recurring revenue is")
            && slack["text"].as_str().unwrap().contains("above 0"),
        "{slack}"
    );
    // The dead one was tried twice (timeout 1 s, one retry), the moved one
    // once (a 404 is not retried).
    assert_eq!(count(&inbox, "never"), 2);
    assert_eq!(count(&inbox, "gone"), 1);
    assert_eq!(r.alerts.delivered as usize, inactive.len() + 1);
    assert_eq!(r.alerts.failed, 2);

    let log = alerts::log(&ws, 1000).await.unwrap();
    let by_hook = |name: &str| log.iter().find(|d| d.webhook == name).unwrap().clone();
    let chat = by_hook("chat");
    assert_eq!(
        (chat.status.as_str(), chat.attempts, chat.http_status),
        ("delivered", 3, Some(200))
    );
    let dead = by_hook("dead");
    assert_eq!((dead.status.as_str(), dead.attempts), ("failed", 2));
    assert_eq!(dead.error.as_deref(), Some("no answer within 1 s"));
    let moved = by_hook("moved");
    assert_eq!(
        (moved.status.as_str(), moved.attempts, moved.http_status),
        ("failed", 1, Some(404))
    );
    // No address is kept in the log.
    assert!(log.iter().all(|d| !format!("{d:?}").contains(&base)));

    // The next refresh finds the same things: nothing delivered is sent
    // again; the failed ones are tried again.
    let again = refresh::refresh(&loc, false).await.unwrap();
    assert_eq!(again.alerts.delivered, 0);
    assert_eq!(again.alerts.failed, 2);
    assert_eq!(count(&inbox, "ok"), inactive.len());
    assert_eq!(count(&inbox, "flaky"), 3);
    assert_eq!(count(&inbox, "gone"), 2);
    let log = alerts::log(&ws, 1000).await.unwrap();
    assert_eq!(
        log.iter().find(|d| d.webhook == "dead").unwrap().attempts,
        4
    );

    // An acknowledged finding raises no alert: acknowledge every inactive
    // account, forget their deliveries, refresh: nothing goes to `ops`.
    for id in &inactive {
        findings::acknowledge(&ws, id, "ana", None, chrono::Utc::now())
            .await
            .unwrap();
    }
    let third = refresh::refresh(&loc, false).await.unwrap();
    assert!(third.alerts.deliveries.iter().all(|d| d.webhook != "ops"));
    assert_eq!(count(&inbox, "ok"), inactive.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_report_is_posted_once_on_its_day() {
    let (base, inbox) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    okapi_app::workspace::init(okapi_app::workspace::InitRequest {
        dir: dir.path().to_path_buf(),
        database_url: None,
        profile: Profile::B2b,
        name: Some("Acme".into()),
        id: None,
    })
    .await
    .unwrap();
    let settings = dir.path().join("okapi.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str(&format!(
        "\n[[webhook]]\nname = \"chat\"\nurl = \"{base}/ok\"\n\n[report]\nweekly_webhooks = [\"chat\"]\nweekly_day = \"tuesday\"\n"
    ));
    std::fs::write(&settings, text).unwrap();
    let ws = Workspace::open(&Location {
        dir: dir.path().to_path_buf(),
        config: None,
        database_url: None,
    })
    .await
    .unwrap();
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();

    // Monday 2026-11-30: not its day.
    let r = alerts::post_weekly(&ws, d("2026-11-30")).await.unwrap();
    assert_eq!((r.delivered, r.failed), (0, 0));
    assert_eq!(count(&inbox, "ok"), 0);
    // Tuesday 2026-12-01: the week from Tuesday 24 to Monday 30 November,
    // as Slack text.
    let r = alerts::post_weekly(&ws, d("2026-12-01")).await.unwrap();
    assert_eq!(r.delivered, 1);
    assert_eq!(count(&inbox, "ok"), 1);
    let body = inbox.got.lock().unwrap()[0].2.clone();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let text = json["text"].as_str().unwrap();
    assert!(
        text.starts_with("# Weekly report — 2026-11-24 … 2026-11-30"),
        "{text}"
    );
    assert!(text.contains("**Acme**"), "{text}");
    // Later that day (the server looks every hour): not sent again.
    let r = alerts::post_weekly(&ws, d("2026-12-01")).await.unwrap();
    assert_eq!((r.delivered, r.failed), (0, 0));
    assert_eq!(count(&inbox, "ok"), 1);
    let log = alerts::log(&ws, 10).await.unwrap();
    assert_eq!(
        (
            log[0].rule.as_str(),
            log[0].finding_id.as_str(),
            log[0].status.as_str()
        ),
        ("weekly-report", "weekly_report:2026-11-30", "delivered")
    );
}
