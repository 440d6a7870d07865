//! Concurrent writers lose nothing: 16 clients check in at once over HTTP
//! on the key results of a served workspace (SQLite, one writer
//! connection: the others wait their turn), each check-in answered `201`
//! is stored exactly once, and none is stored that was not answered.
//! (`bench/serve` runs the same for a fixed time on a large
//! workspace.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests

use std::collections::BTreeSet;
use std::net::SocketAddr;

use chrono::{NaiveDate, Utc};
use okapi_app::cycles::{self, NewCycle};
use okapi_app::objectives::{self, ObjectiveFields};
use okapi_app::workspace::Workspace;
use okapi_app::{okr_views, tokens};
use okapi_core::okr::KrKind;
use okapi_store::{KeyResult, TokenAccess};

mod support;

const WRITERS: usize = 16;
const EACH: usize = 20;
const KRS: usize = 4;

/// A workspace with an active cycle, one objective and [`KRS`] key
/// results, served on an ephemeral port.
async fn served() -> (tempfile::TempDir, Workspace, SocketAddr) {
    let (dir, ws) = support::new_workspace(None, "").await;
    let day = NaiveDate::from_ymd_opt(2027, 2, 10).unwrap();
    cycles::create(&ws, NewCycle::default(), day).await.unwrap();
    cycles::activate(&ws, "2027-Q1").await.unwrap();
    objectives::add(
        &ws,
        "2027-Q1",
        None,
        ObjectiveFields {
            title: Some("Customers stay".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut s = ws.session().await.unwrap();
    for k in 1..=KRS {
        let mut kr = KeyResult::new(&format!("KR-{k}"), "O-1", "Renewals signed", KrKind::Metric);
        kr.baseline = Some(0.0);
        kr.target = Some(10.0);
        s.create_key_result(&kr).await.unwrap();
    }
    s.commit().await.unwrap();
    let addr = support::serve(&ws).await;
    (dir, ws, addr)
}

/// POSTs `body` to `path` with `token` on a fresh connection; the status.
async fn post(addr: SocketAddr, path: &str, token: &str, body: &str) -> u16 {
    let auth = format!("Bearer {token}");
    support::request(addr, "POST", path, &[("Authorization", &auth)], Some(body))
        .await
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_writers_checking_in_at_once_lose_nothing() {
    let (_dir, ws, addr) = served().await;
    let writer = tokens::create(&ws, "ci", TokenAccess::Write, Utc::now())
        .await
        .unwrap();

    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            let token = writer.secret.clone();
            tokio::spawn(async move {
                let path = format!("/api/v1/key-results/KR-{}/checkins", w % KRS + 1);
                let mut acked = Vec::new();
                for i in 0..EACH {
                    // Distinct per writer and check-in: writer w's i-th
                    // value is w * 1000 + i.
                    let value = w * 1000 + i;
                    let body = format!(
                        r#"{{"value": {value}, "note": "writer {w} #{i}", "at": "2027-02-15"}}"#
                    );
                    let status = post(addr, &path, &token, &body).await;
                    assert_eq!(status, 201, "writer {w}, check-in {i}");
                    acked.push(value as f64);
                }
                acked
            })
        })
        .collect();
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    assert_eq!(acked.len(), WRITERS * EACH);

    // Read back from the store: every check-in once, on its writer's key
    // result, with its note.
    let mut stored = Vec::new();
    for k in 1..=KRS {
        let h = okr_views::history(&ws, &format!("KR-{k}")).await.unwrap();
        for row in h.checkins {
            let value = row.checkin.value.unwrap();
            let w = (value / 1000.0) as usize;
            let i = value as usize % 1000;
            assert_eq!(w % KRS + 1, k, "check-in {value} on the wrong key result");
            assert_eq!(
                row.checkin.note.as_deref(),
                Some(format!("writer {w} #{i}").as_str())
            );
            stored.push(value);
        }
    }
    assert_eq!(stored.len(), WRITERS * EACH, "stored = acknowledged");
    let distinct: BTreeSet<u64> = stored.iter().map(|v| *v as u64).collect();
    assert_eq!(distinct.len(), stored.len(), "no check-in stored twice");
    let want: BTreeSet<u64> = acked.iter().map(|v| *v as u64).collect();
    assert_eq!(distinct, want, "each writer's values, all of them");
    for w in 0..WRITERS {
        let mine = distinct.iter().filter(|v| **v / 1000 == w as u64).count();
        assert_eq!(mine, EACH, "writer {w}");
    }
}
