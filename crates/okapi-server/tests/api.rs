//! The API over real HTTP on loopback: a workspace with one cycle, one
//! objective and one key result, served on an ephemeral port, called with
//! no token, a wrong one, a revoked one, another workspace's, a reading
//! one and a writing one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests

use std::net::SocketAddr;

use chrono::{NaiveDate, Utc};
use okapi_app::cycles::{self, NewCycle};
use okapi_app::objectives::{self, ObjectiveFields};
use okapi_app::tokens;
use okapi_app::workspace::Workspace;
use okapi_core::okr::KrKind;
use okapi_store::{KeyResult, TokenAccess};
use serde_json::Value;

mod support;

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request on a fresh connection, read to its end.
async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Response {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    call_with(addr, method, path, &headers, body).await
}

/// [`call`] with the headers given.
async fn call_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let a = support::request(addr, method, path, headers, body).await;
    Response {
        status: a.status,
        body: a.json(),
        headers: a.headers,
    }
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn served() -> (tempfile::TempDir, Workspace, SocketAddr) {
    served_with("").await
}

/// [`served`], with `settings` added to its `okapi.toml`.
async fn served_with(settings: &str) -> (tempfile::TempDir, Workspace, SocketAddr) {
    let (dir, ws) = support::new_workspace(None, settings).await;
    cycles::create(&ws, NewCycle::default(), d("2027-02-10"))
        .await
        .unwrap();
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
    let mut kr = KeyResult::new("KR-1", "O-1", "Renewals signed", KrKind::Metric);
    kr.baseline = Some(0.0);
    kr.target = Some(10.0);
    let mut s = ws.session().await.unwrap();
    s.create_key_result(&kr).await.unwrap();
    s.commit().await.unwrap();
    let addr = support::serve(&ws).await;
    (dir, ws, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_needs_a_valid_token_of_this_workspace() {
    let (_dir, ws, addr) = served().await;

    let r = call(addr, "GET", "/api/v1/okrs", None, None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["code"], "unauthenticated");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(
        r.header("content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );

    let r = call(addr, "GET", "/api/v1/okrs", Some("okapi_0123"), None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (401, Some("unauthenticated"))
    );

    let reader = tokens::create(&ws, "dashboard", TokenAccess::Read, Utc::now())
        .await
        .unwrap();
    assert!(reader.secret.starts_with("okapi_") && reader.secret.len() == 6 + 64);
    let r = call(
        addr,
        "GET",
        "/api/v1/okrs?cycle=2027-Q1",
        Some(&reader.secret),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["objectives"][0]["key"], "O-1");
    assert_eq!(r.body["objectives"][0]["krs"][0]["key"], "KR-1");

    // Another workspace's token, in the same database, opens nothing here.
    ws.store
        .create_workspace("other", "Other", "b2b", Utc::now())
        .await
        .unwrap();
    let other = Workspace {
        id: "other".into(),
        ..ws.clone()
    };
    let foreign = tokens::create(&other, "theirs", TokenAccess::Write, Utc::now())
        .await
        .unwrap();
    let r = call(addr, "GET", "/api/v1/okrs", Some(&foreign.secret), None).await;
    assert_eq!(r.status, 401);

    // Revoked: refused from then on.
    tokens::revoke(&ws, &reader.token.id, Utc::now())
        .await
        .unwrap();
    let r = call(addr, "GET", "/api/v1/okrs", Some(&reader.secret), None).await;
    assert_eq!(r.status, 401);
    assert!(!r.body["message"].as_str().unwrap().contains(&reader.secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reading_token_reads_and_a_writing_one_checks_in() {
    let (_dir, ws, addr) = served().await;
    okapi_app::people::save_user(
        &ws,
        okapi_app::people::UserChange {
            key: "ana".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let reader = tokens::create(&ws, "dashboard", TokenAccess::Read, Utc::now())
        .await
        .unwrap();
    let writer = tokens::create(&ws, "ana", TokenAccess::Write, Utc::now())
        .await
        .unwrap();
    let path = "/api/v1/key-results/KR-1/checkins";
    let body = r#"{"value": 5, "at": "2027-02-15"}"#;

    let r = call(addr, "POST", path, Some(&reader.secret), Some(body)).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("forbidden"))
    );
    let r = call(addr, "GET", path, Some(&reader.secret), None).await;
    assert_eq!(r.body["checkins"].as_array().map(Vec::len), Some(0));

    // 15 Feb: 45 of the cycle's 90 days are over, so 0.5 is expected; 5 of
    // 10 scores 0.5, on pace.
    let r = call(addr, "POST", path, Some(&writer.secret), Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["score"], 0.5);
    assert_eq!(r.body["expected"], 0.5);
    assert_eq!(r.body["at_risk"], false);
    assert_eq!(r.body["checkin"]["confidence"], "on_track");

    let r = call(addr, "GET", path, Some(&reader.secret), None).await;
    let rows = r.body["checkins"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["value"], 5.0);
    assert_eq!(
        rows[0]["author"], "ana",
        "a token named after a user signs as them"
    );

    // Bad input and unknown things are errors with their code.
    let r = call(
        addr,
        "POST",
        path,
        Some(&writer.secret),
        Some(r#"{"value": "five"}"#),
    )
    .await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid")));
    let r = call(
        addr,
        "POST",
        path,
        Some(&writer.secret),
        Some(r#"{"valeu": 5}"#),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = call(
        addr,
        "GET",
        "/api/v1/key-results/KR-9/checkins",
        Some(&reader.secret),
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("not_found"))
    );
    let r = call(
        addr,
        "GET",
        "/api/v1/kpis?grain=hour",
        Some(&reader.secret),
        None,
    )
    .await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid")));
    let r = call(
        addr,
        "GET",
        "/api/v1/kpis/no_such_kpi",
        Some(&reader.secret),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let r = call(
        addr,
        "GET",
        "/api/v1/nothing-here",
        Some(&reader.secret),
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("not_found"))
    );

    // Nothing stored yet: the KPIs are an empty list, not an error.
    let r = call(addr, "GET", "/api/v1/kpis", Some(&reader.secret), None).await;
    assert_eq!((r.status, r.body.as_array().map(Vec::len)), (200, Some(0)));
    let r = call(addr, "GET", "/api/v1/okrs/tree", Some(&reader.secret), None).await;
    assert_eq!(r.body[0]["key"], "O-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refreshes_the_stored_kpis_it_serves() {
    let (dir, ws, addr) = served().await;
    // a1 pays 100 from Jan 1; a2 50 from Feb 1 to Mar 15: MRR on the last
    // day of January 100, February 150, March 100.
    std::fs::write(
        dir.path().join("data/subscriptions.csv"),
        "subscription_id,account_id,plan,mrr,start_date,end_date\n\
         s1,a1,pro,100,2024-01-01,\n\
         s2,a2,basic,50,2024-02-01,2024-03-15\n",
    )
    .unwrap();
    let reader = tokens::create(&ws, "dashboard", TokenAccess::Read, Utc::now())
        .await
        .unwrap();
    let loc = support::location(&dir);
    tokio::spawn(okapi_server::refresh_every(
        loc,
        std::time::Duration::from_secs(3600),
        None,
    ));
    // The first refresh runs at once; wait for it (at most 30 s).
    let mut series = Value::Null;
    for _ in 0..300 {
        let r = call(
            addr,
            "GET",
            "/api/v1/kpis/mrr?grain=month",
            Some(&reader.secret),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        if r.body.as_array().is_some_and(|a| !a.is_empty()) {
            series = r.body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let values: Vec<(&str, &str)> = series
        .as_array()
        .expect("the refresh stored the MRR series")
        .iter()
        .map(|v| {
            (
                v["period_start"].as_str().unwrap(),
                v["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        values,
        [
            ("2024-01-01", "100"),
            ("2024-02-01", "150"),
            ("2024-03-01", "100")
        ]
    );
}

/// Every route, with every kind of credential: who gets in, who is
/// refused, and how. A route added to the API must be added here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_security_matrix_holds_for_every_route() {
    let (_dir, ws, addr) = served().await;
    let read = tokens::create(&ws, "viewer", TokenAccess::Read, Utc::now())
        .await
        .unwrap();
    let write = tokens::create(&ws, "editor", TokenAccess::Write, Utc::now())
        .await
        .unwrap();
    let revoked = tokens::create(&ws, "gone", TokenAccess::Write, Utc::now())
        .await
        .unwrap();
    tokens::revoke(&ws, &revoked.token.id, Utc::now())
        .await
        .unwrap();
    ws.store
        .create_workspace("other", "Other", "b2b", Utc::now())
        .await
        .unwrap();
    let other = Workspace {
        id: "other".into(),
        ..ws.clone()
    };
    let foreign = tokens::create(&other, "theirs", TokenAccess::Write, Utc::now())
        .await
        .unwrap();

    // People logged in: a viewer, an editor of another team than KR-1's
    // objective (the company's), an admin; and another workspace's admin.
    use okapi_app::accounts;
    use okapi_app::people::{self, TeamChange, UserChange};
    use okapi_store::Access;
    people::save_team(
        &ws,
        TeamChange {
            key: "sales".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let password = "a password long enough";
    let mut cookies = Vec::new();
    for (key, team, access) in [
        ("bo", None, Access::Viewer),
        ("ed", Some("sales"), Access::Editor),
        ("carl", None, Access::Admin),
    ] {
        let user = UserChange {
            key: key.into(),
            team: team.map(String::from),
            ..Default::default()
        };
        people::save_user(&ws, user).await.unwrap();
        accounts::set_login(&ws, key, access, Some(password.into()))
            .await
            .unwrap();
        let session = accounts::login(&ws, key, password.into(), Utc::now())
            .await
            .unwrap();
        cookies.push(format!("okapi_session={}", session.secret));
    }
    people::save_user(
        &other,
        UserChange {
            key: "olga".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    accounts::set_login(&other, "olga", Access::Admin, Some(password.into()))
        .await
        .unwrap();
    let olga = accounts::login(&other, "olga", password.into(), Utc::now())
        .await
        .unwrap();
    let olga = format!("okapi_session={}", olga.secret);
    let as_cookie = |cookie: &str| {
        vec![
            ("Cookie", cookie.to_string()),
            ("Sec-Fetch-Site", "same-origin".to_string()),
        ]
    };

    let checkin = r#"{"value": 1, "at": "2027-02-01"}"#;
    let subscriptions =
        "subscription_id,account_id,plan,mrr,start_date,end_date\ns1,a1,pro,100,2024-01-01,\n";
    let team = r#"{"name": "Sales", "mission": "Sell more"}"#;
    let user = r#"{"name": "Ed", "team": "sales", "access": "editor"}"#;
    let vision = r#"{"vision": "Every team steers on live numbers"}"#;
    let token = r#"{"name": "ci", "access": "write"}"#;
    // (method, path, body, then the status for: a reading token, a writing
    // token, a viewer, an editor of another team, an admin)
    let routes: [(&str, &str, Option<&str>, [u16; 5]); 25] = [
        ("GET", "/api/v1/workspace", None, [200; 5]),
        ("GET", "/api/v1/home", None, [200; 5]),
        ("GET", "/api/v1/journey", None, [200; 5]),
        ("GET", "/api/v1/key-results/KR-1", None, [200; 5]),
        ("GET", "/api/v1/kpis", None, [200; 5]),
        ("GET", "/api/v1/catalog", None, [200; 5]),
        ("GET", "/api/v1/kpis/mrr", None, [200; 5]),
        ("GET", "/api/v1/okrs", None, [200; 5]),
        ("GET", "/api/v1/okrs/tree", None, [200; 5]),
        ("GET", "/api/v1/report?format=html", None, [200; 5]),
        ("GET", "/api/v1/key-results/KR-1/checkins", None, [200; 5]),
        (
            "POST",
            "/api/v1/key-results/KR-1/checkins",
            Some(checkin),
            [403, 201, 403, 403, 201],
        ),
        (
            "PUT",
            "/api/v1/data/subscriptions",
            Some(subscriptions),
            [403, 200, 403, 403, 200],
        ),
        // After the upload above: there is data to refresh.
        ("GET", "/api/v1/refresh", None, [200; 5]),
        ("POST", "/api/v1/refresh", None, [403, 200, 403, 403, 200]),
        ("GET", "/api/v1/teams", None, [200; 5]),
        (
            "PUT",
            "/api/v1/teams/sales",
            Some(team),
            [403, 403, 403, 403, 200],
        ),
        ("GET", "/api/v1/users", None, [403, 403, 403, 403, 200]),
        (
            "PUT",
            "/api/v1/users/ed",
            Some(user),
            [403, 403, 403, 403, 200],
        ),
        (
            "PUT",
            "/api/v1/vision",
            Some(vision),
            [403, 403, 403, 403, 200],
        ),
        ("GET", "/api/v1/tokens", None, [403, 403, 403, 403, 200]),
        // The admin's token is T-4 (after the reading, the writing and the
        // revoked one); it is then revoked.
        (
            "POST",
            "/api/v1/tokens",
            Some(token),
            [403, 403, 403, 403, 201],
        ),
        (
            "DELETE",
            "/api/v1/tokens/T-4",
            None,
            [403, 403, 403, 403, 200],
        ),
        // The API's description is anyone's, with or without credentials.
        ("GET", "/api/v1/openapi.json", None, [200; 5]),
        ("GET", "/api/v1/no-such-route", None, [404; 5]),
    ];
    for (method, path, body, expected) in routes {
        // A refused request changes none of the settings.
        let mut settings = settings_of(&ws).await;
        let refused: [(&str, Vec<(&str, String)>); 7] = [
            ("no credentials", vec![]),
            (
                "a malformed token",
                vec![("Authorization", "Bearer not-a-token".into())],
            ),
            (
                "an unknown token",
                vec![("Authorization", "Bearer okapi_00".into())],
            ),
            (
                "a revoked token",
                vec![("Authorization", format!("Bearer {}", revoked.secret))],
            ),
            (
                "another workspace's token",
                vec![("Authorization", format!("Bearer {}", foreign.secret))],
            ),
            ("an unknown session", as_cookie("okapi_session=okapis_00")),
            ("another workspace's session", as_cookie(&olga)),
        ];
        for (who, headers) in refused {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let r = call_with(addr, method, path, &headers, body).await;
            // An unknown route is not found for anyone, the API's
            // description is there for anyone; every other route asks for
            // credentials before it says anything.
            let want = match (expected[0], path) {
                (404, _) => 404,
                (_, "/api/v1/openapi.json") => 200,
                _ => 401,
            };
            assert_eq!(r.status, want, "{method} {path} with {who}: {}", r.body);
            assert_eq!(
                settings_of(&ws).await,
                settings,
                "{method} {path} with {who} changed the settings"
            );
        }
        let mut allowed: Vec<(&str, Vec<(&str, String)>)> = vec![
            (
                "a reading token",
                vec![("Authorization", format!("Bearer {}", read.secret))],
            ),
            (
                "a writing token",
                vec![("Authorization", format!("Bearer {}", write.secret))],
            ),
        ];
        for (who, cookie) in ["a viewer", "an editor of another team", "an admin"]
            .into_iter()
            .zip(&cookies)
        {
            allowed.push((who, as_cookie(cookie)));
        }
        for ((who, headers), want) in allowed.into_iter().zip(expected) {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let r = call_with(addr, method, path, &headers, body).await;
            assert_eq!(r.status, want, "{method} {path} with {who}: {}", r.body);
            let now = settings_of(&ws).await;
            if want >= 400 {
                assert_eq!(
                    now, settings,
                    "{method} {path} with {who} changed the settings"
                );
            }
            settings = now;
        }
    }
    // Of all those attempts, two check-ins were written: the writing
    // token's and the admin's.
    let h = okapi_app::okr_views::history(&ws, "KR-1").await.unwrap();
    assert_eq!(h.checkins.len(), 2);
    // And the admin's changes of the settings, each made once.
    let s = settings_of(&ws).await;
    assert_eq!(s["vision"], "Every team steers on live numbers");
    assert_eq!(
        s["teams"],
        serde_json::json!([{"key": "sales", "name": "Sales", "mission": "Sell more", "members": ["ed"]}])
    );
    let ed = s["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["key"] == "ed")
        .unwrap();
    assert_eq!(ed["name"], "Ed");
    assert_eq!(s["access"]["ed"], serde_json::json!(["editor", true]));
    let ids: Vec<(&str, bool)> = s["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_str().unwrap(), t["revoked_at"].is_null()))
        .collect();
    assert_eq!(
        ids,
        [("T-1", true), ("T-2", true), ("T-3", false), ("T-4", false)]
    );
}

/// What the settings routes change: the vision, the teams, the people and
/// their access, the tokens.
async fn settings_of(ws: &Workspace) -> Value {
    let teams = okapi_app::people::teams(ws).await.unwrap();
    let vision = okapi_app::people::vision(ws).await.unwrap();
    let mut r = ws.read_session().await.unwrap();
    let users = r.users().await.unwrap();
    let access = r.accesses().await.unwrap();
    r.commit().await.unwrap();
    let tokens = tokens::list(ws).await.unwrap();
    serde_json::json!({
        "vision": vision,
        "teams": teams,
        "users": users,
        "access": access,
        "tokens": tokens,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_replaces_a_table_only_when_every_row_is_valid() {
    let (dir, ws, addr) = served().await;
    let writer = tokens::create(&ws, "loader", TokenAccess::Write, Utc::now())
        .await
        .unwrap();
    let data = dir.path().join("data");
    // The table is kept as JSON lines so far.
    let old = "{\"subscription_id\":\"s0\",\"account_id\":\"a0\",\"plan\":\"pro\",\"mrr\":10,\"start_date\":\"2024-01-01\"}\n";
    std::fs::write(data.join("subscriptions.jsonl"), old).unwrap();

    // Two bad rows: nothing replaced, every row named.
    let bad = "subscription_id,account_id,plan,mrr,start_date,end_date\n\
               s1,a1,pro,lots,2024-01-01,\n\
               s2,a2,pro,50,2024-02-30,\n";
    let r = call(
        addr,
        "PUT",
        "/api/v1/data/subscriptions",
        Some(&writer.secret),
        Some(bad),
    )
    .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (422, Some("invalid_rows")),
        "{}",
        r.body
    );
    let issues: Vec<(u64, &str, &str)> = r.body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["location"]["number"].as_u64().unwrap(),
                i["column"].as_str().unwrap(),
                i["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        issues,
        [(2, "mrr", "lots"), (3, "start_date", "2024-02-30")]
    );
    assert_eq!(
        std::fs::read_to_string(data.join("subscriptions.jsonl")).unwrap(),
        old
    );
    assert!(!data.join("subscriptions.csv").exists());
    assert_eq!(
        std::fs::read_dir(&data).unwrap().count(),
        1,
        "no staging left behind"
    );

    // A valid file takes the table's place, the JSON lines file goes, and
    // the stored KPIs follow: a1 pays 100 from January, a2 50 from
    // February to March 15; MRR at the end of each month 100, 150, 100.
    let good = "subscription_id,account_id,plan,mrr,start_date,end_date\n\
                s1,a1,pro,100,2024-01-01,\n\
                s2,a2,basic,50,2024-02-01,2024-03-15\n";
    let r = call(
        addr,
        "PUT",
        "/api/v1/data/subscriptions?format=csv",
        Some(&writer.secret),
        Some(good),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["file"], "subscriptions.csv");
    assert_eq!(
        r.body["replaced"],
        serde_json::json!(["subscriptions.jsonl"])
    );
    assert_eq!(r.body["quality"]["rows"], 2);
    assert_eq!(
        std::fs::read_to_string(data.join("subscriptions.csv")).unwrap(),
        good
    );
    assert!(!data.join("subscriptions.jsonl").exists());
    let mut values = Vec::new();
    for _ in 0..300 {
        let r = call(addr, "GET", "/api/v1/kpis/mrr", Some(&writer.secret), None).await;
        values = r.body.as_array().cloned().unwrap_or_default();
        if !values.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mrr: Vec<&str> = values
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert_eq!(mrr, ["100", "150", "100"]);

    // Unknown tables and formats are refused.
    let r = call(
        addr,
        "PUT",
        "/api/v1/data/secrets",
        Some(&writer.secret),
        Some(good),
    )
    .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("not_found"))
    );
    let r = call(
        addr,
        "PUT",
        "/api/v1/data/subscriptions?format=xlsx",
        Some(&writer.secret),
        Some(good),
    )
    .await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_lists_every_kpi_with_its_definition() {
    let (_dir, ws, addr) = served_with(
        r#"
[[kpi]]
id = "ltv_to_cac"
name = "LTV to CAC"
formula = "ltv / cac"
unit = "ratio"
direction = "higher"
owner = "finance"
question = "Are we buying customers we can afford?"
status = "adopted"
review_date = "2027-06-30"

[[kpi]]
id = "won_deals"
sql = "SELECT okapi_period(start_date) AS period_start, COUNT(*) AS value FROM subscriptions GROUP BY 1"
unit = "count"
"#,
    )
    .await;
    let reader = tokens::create(&ws, "dashboard", TokenAccess::Read, Utc::now())
        .await
        .unwrap();
    let r = call(addr, "GET", "/api/v1/catalog", Some(&reader.secret), None).await;
    let list = r.body.as_array().unwrap();
    // The catalog's KPIs, then the two custom ones, in the order declared.
    let n = okapi_core::catalog::CATALOG.len();
    assert_eq!(list.len(), n + 2);
    assert_eq!(
        list[n],
        serde_json::json!({
            "id": "ltv_to_cac", "name": "LTV to CAC", "stage": "custom (adopted)",
            "unit": "ratio", "direction": "higher", "audience": "both", "timing": "",
            "formula": "ltv / cac", "owner": "finance",
            "question": "Are we buying customers we can afford?",
            "status": "adopted", "review_date": "2027-06-30"
        })
    );
    // Left out: no owner, question or review date; a custom KPI starts as
    // proposed.
    let won = &list[n + 1];
    assert_eq!(won["id"], "won_deals");
    assert_eq!(won["status"], "proposed");
    assert!(won["owner"].is_null() && won["question"].is_null() && won["review_date"].is_null());
    // The catalog's own KPIs have no such governance.
    assert!(list[0]["status"].is_null() && list[0]["owner"].is_null());
    let nrr = list
        .iter()
        .find(|k| k["id"] == "net_revenue_retention")
        .unwrap();
    assert_eq!(nrr["unit"], "percent");
    assert_eq!(nrr["direction"], "higher");
    let churn = list
        .iter()
        .find(|k| k["id"] == "customer_churn_rate")
        .unwrap();
    assert_eq!(churn["direction"], "lower");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_log_in_and_change_what_their_access_allows() {
    use okapi_app::accounts;
    use okapi_app::people::{self, TeamChange, UserChange};
    use okapi_store::Access;
    let (_dir, ws, addr) = served().await;
    people::save_team(
        &ws,
        TeamChange {
            key: "marketing".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for (key, team) in [("ana", Some("marketing")), ("bo", None), ("carl", None)] {
        people::save_user(
            &ws,
            UserChange {
                key: key.into(),
                team: team.map(String::from),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    accounts::set_login(
        &ws,
        "ana",
        Access::Editor,
        Some("ana's long password".into()),
    )
    .await
    .unwrap();
    accounts::set_login(&ws, "bo", Access::Viewer, Some("bo's long password".into()))
        .await
        .unwrap();
    let short = accounts::set_login(&ws, "carl", Access::Admin, Some("short".into()))
        .await
        .unwrap_err();
    assert_eq!(short.code(), okapi_app::Code::Invalid);
    assert!(!accounts::has_admin(&ws).await.unwrap());
    // Marketing's objective, with a key result from 0 to 4.
    objectives::add(
        &ws,
        "2027-Q1",
        Some("M-1".into()),
        ObjectiveFields {
            title: Some("Be known".into()),
            team: Some("marketing".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut kr = KeyResult::new("KR-M", "M-1", "Talks given", KrKind::Metric);
    kr.baseline = Some(0.0);
    kr.target = Some(4.0);
    let mut s = ws.session().await.unwrap();
    s.create_key_result(&kr).await.unwrap();
    s.commit().await.unwrap();

    let login =
        |user: &str, password: &str| format!(r#"{{"user": "{user}", "password": "{password}"}}"#);
    // A wrong password and an unknown user are refused alike.
    for body in [
        login("ana", "not her password"),
        login("zed", "any password at all"),
    ] {
        let r = call(addr, "POST", "/api/v1/login", None, Some(&body)).await;
        assert_eq!(
            (r.status, r.body["message"].as_str()),
            (401, Some("wrong user or password"))
        );
        assert!(r.header("set-cookie").is_none());
    }
    let r = call(
        addr,
        "POST",
        "/api/v1/login",
        None,
        Some(&login("ana", "ana's long password")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["access"], "editor");
    let set = r.header("set-cookie").unwrap().to_string();
    assert!(set.starts_with("okapi_session=okapis_"), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let ana = set.split(';').next().unwrap().to_string();

    let same = [("Cookie", ana.as_str()), ("Sec-Fetch-Site", "same-origin")];
    let r = call_with(
        addr,
        "GET",
        "/api/v1/okrs",
        &[("Cookie", ana.as_str())],
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    // Her team's key result: yes. The company's: no.
    let body = r#"{"value": 1, "at": "2027-02-01"}"#;
    let r = call_with(
        addr,
        "POST",
        "/api/v1/key-results/KR-M/checkins",
        &same,
        Some(body),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["checkin"]["author"], "ana");
    let r = call_with(
        addr,
        "POST",
        "/api/v1/key-results/KR-1/checkins",
        &same,
        Some(body),
    )
    .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("forbidden"))
    );
    // From another site, with her cookie: refused.
    for header in [
        ("Sec-Fetch-Site", "cross-site"),
        ("Origin", "http://evil.example"),
    ] {
        let r = call_with(
            addr,
            "POST",
            "/api/v1/key-results/KR-M/checkins",
            &[("Cookie", ana.as_str()), header],
            Some(body),
        )
        .await;
        assert_eq!(r.status, 403, "{header:?}: {}", r.body);
    }
    // An editor uploads no data.
    let r = call_with(addr, "PUT", "/api/v1/data/subscriptions", &same, Some("x")).await;
    assert_eq!(r.status, 403);

    // A viewer reads and changes nothing.
    let r = call(
        addr,
        "POST",
        "/api/v1/login",
        None,
        Some(&login("bo", "bo's long password")),
    )
    .await;
    let bo = r
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let bo_same = [("Cookie", bo.as_str()), ("Sec-Fetch-Site", "same-origin")];
    let r = call_with(addr, "GET", "/api/v1/okrs/tree", &bo_same, None).await;
    assert_eq!(r.status, 200);
    let r = call_with(
        addr,
        "POST",
        "/api/v1/key-results/KR-M/checkins",
        &bo_same,
        Some(body),
    )
    .await;
    assert_eq!(r.status, 403);

    // Logged out, the cookie opens nothing.
    let r = call_with(addr, "POST", "/api/v1/logout", &same, None).await;
    assert_eq!(r.status, 200);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    let r = call_with(
        addr,
        "GET",
        "/api/v1/okrs",
        &[("Cookie", ana.as_str())],
        None,
    )
    .await;
    assert_eq!(r.status, 401);
    // Only one check-in was written: ana's on her team's key result.
    let h = okapi_app::okr_views::history(&ws, "KR-M").await.unwrap();
    assert_eq!(h.checkins.len(), 1);
    assert!(
        okapi_app::okr_views::history(&ws, "KR-1")
            .await
            .unwrap()
            .checkins
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_attempts_are_limited_per_account() {
    let (_dir, _ws, addr) = served().await;
    let body = r#"{"user": "carl", "password": "a guess at carl's password"}"#;
    for _ in 0..okapi_server::limits::PER_ACCOUNT_PER_MINUTE {
        let r = call(addr, "POST", "/api/v1/login", None, Some(body)).await;
        assert_eq!(r.status, 401);
    }
    let r = call(addr, "POST", "/api/v1/login", None, Some(body)).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (429, Some("too_many_requests"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accounts_key_and_email_share_one_limit() {
    let (_dir, ws, addr) = served().await;
    okapi_app::people::save_user(
        &ws,
        okapi_app::people::UserChange {
            key: "dora".into(),
            email: Some("Dora@Acme.test".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // Guesses alternate between the key and the email (in another case):
    // they count against one account.
    for i in 0..okapi_server::limits::PER_ACCOUNT_PER_MINUTE {
        let user = if i % 2 == 0 { "dora" } else { "dora@acme.TEST" };
        let body = format!(r#"{{"user": "{user}", "password": "guess number {i}"}}"#);
        let r = call(addr, "POST", "/api/v1/login", None, Some(&body)).await;
        assert_eq!(r.status, 401);
    }
    let body = r#"{"user": "dora@acme.test", "password": "one more guess"}"#;
    let r = call(addr, "POST", "/api/v1/login", None, Some(body)).await;
    assert_eq!(r.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cycle_report_downloads_as_markdown_or_html() {
    let (_dir, ws, addr) = served().await;
    let reader = tokens::create(&ws, "dashboard", TokenAccess::Read, Utc::now())
        .await
        .unwrap();
    let r = call(
        addr,
        "GET",
        "/api/v1/report?cycle=2027-Q1&at=2027-02-15",
        Some(&reader.secret),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/markdown; charset=utf-8")
    );
    let md = r.body.as_str().unwrap();
    assert!(
        md.starts_with("# OKR report — Q1 2027 (2027-01-01 … 2027-03-31)"),
        "{md}"
    );
    assert!(md.contains("Customers stay"), "{md}");
    let r = call(
        addr,
        "GET",
        "/api/v1/report?format=html",
        Some(&reader.secret),
        None,
    )
    .await;
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(
        r.header("content-disposition")
            .unwrap()
            .contains("okr-report.html")
    );
    assert!(
        r.body.as_str().unwrap().contains("<svg") || r.body.as_str().unwrap().contains("<html")
    );
    let r = call(
        addr,
        "GET",
        "/api/v1/report?format=pdf",
        Some(&reader.secret),
        None,
    )
    .await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_need_a_session_and_refuse_changes_from_elsewhere() {
    use okapi_app::accounts;
    use okapi_app::people::{self, UserChange};
    use okapi_store::Access;
    let (_dir, ws, addr) = served().await;
    let password = "a password long enough";
    let mut cookies = Vec::new();
    for (key, access) in [("vi", Access::Viewer), ("ad", Access::Admin)] {
        people::save_user(
            &ws,
            UserChange {
                key: key.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        accounts::set_login(&ws, key, access, Some(password.into()))
            .await
            .unwrap();
        let s = accounts::login(&ws, key, password.into(), Utc::now())
            .await
            .unwrap();
        cookies.push(format!("okapi_session={}", s.secret));
    }
    let (viewer, admin) = (&cookies[0], &cookies[1]);

    // Without a session (or with a bearer token: pages are for people) every
    // page sends the browser to the login, which comes back after.
    let token = tokens::create(&ws, "t", TokenAccess::Write, Utc::now())
        .await
        .unwrap();
    for path in [
        "/",
        "/journey",
        "/mrr",
        "/kpis",
        "/kpis/mrr",
        "/okrs",
        "/krs/KR-1",
        "/review",
        "/settings",
    ] {
        for headers in [
            vec![],
            vec![("Authorization", format!("Bearer {}", token.secret))],
            vec![("Cookie", "okapi_session=okapis_00".to_string())],
        ] {
            let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let r = call_with(addr, "GET", path, &h, None).await;
            assert_eq!(r.status, 303, "{path}");
            let next: String = url_encoded(path);
            assert_eq!(
                r.header("location"),
                Some(format!("/login?next={next}").as_str())
            );
        }
        let r = call_with(addr, "GET", path, &[("Cookie", viewer)], None).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.header("content-security-policy")
                .unwrap()
                .contains("script-src 'self'")
        );
    }

    // A KPI read as a quarterly trend opens at the quarter; the others at
    // the month.
    let page = |path: &'static str| {
        let viewer = viewer.clone();
        async move { call_with(addr, "GET", path, &[("Cookie", &viewer)], None).await }
    };
    let nrr = page("/kpis/net_revenue_retention").await;
    let text = nrr.body.as_str().unwrap_or_default().to_string();
    assert!(
        text.contains("aria-current=\"true\" data-grain=\"quarter\""),
        "{text}"
    );
    let mrr = page("/kpis/mrr").await;
    let text = mrr.body.as_str().unwrap_or_default().to_string();
    assert!(
        text.contains("aria-current=\"true\" data-grain=\"month\""),
        "{text}"
    );

    // A check-in posted from a page: the viewer may not; the admin may, but
    // not from another site.
    let form = "value=3&confidence=on_track&note=from+the+page";
    let post = |cookie: &str, site: &str| {
        vec![
            ("Cookie", cookie.to_string()),
            ("Sec-Fetch-Site", site.to_string()),
            (
                "Content-Type",
                "application/x-www-form-urlencoded".to_string(),
            ),
            ("Content-Length", form.len().to_string()),
        ]
    };
    for (who, headers, want) in [
        ("the viewer", post(viewer, "same-origin"), 403),
        (
            "the admin from another site",
            post(admin, "cross-site"),
            403,
        ),
        ("the admin", post(admin, "same-origin"), 303),
    ] {
        let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let r = raw(addr, "POST", "/krs/KR-1/check-in", &h, form).await;
        assert_eq!(r.0, want, "{who}: {}", r.1);
    }
    let h = okapi_app::okr_views::history(&ws, "KR-1").await.unwrap();
    assert_eq!(h.checkins.len(), 1, "only the admin's check-in is written");

    // Settings change only for an admin, and only from this server's pages.
    let vision = |text: &str| format!("vision={text}");
    for (who, cookie, site, text, want) in [
        ("the viewer", viewer, "same-origin", "Viewers+rule", 403),
        (
            "the admin from another site",
            admin,
            "cross-site",
            "Elsewhere",
            403,
        ),
        ("the admin", admin, "same-origin", "Customers+first", 303),
    ] {
        let body = vision(text);
        let headers = [
            ("Cookie", cookie.to_string()),
            ("Sec-Fetch-Site", site.to_string()),
            (
                "Content-Type",
                "application/x-www-form-urlencoded".to_string(),
            ),
            ("Content-Length", body.len().to_string()),
        ];
        let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let r = raw(addr, "POST", "/settings/vision", &h, &body).await;
        assert_eq!(r.0, want, "{who}");
    }
    assert_eq!(
        okapi_app::people::vision(&ws).await.unwrap().as_deref(),
        Some("Customers first")
    );
    assert_eq!(h.checkins[0].checkin.value, Some(3.0));
    assert_eq!(h.checkins[0].checkin.note.as_deref(), Some("from the page"));

    // A login form goes back only to this server's pages, and not when
    // posted from another site.
    let login = |next: &str| {
        format!(
            "user=ad&password=a+password+long+enough&next={}",
            url_encoded(next)
        )
    };
    for (next, site, status, location) in [
        ("/okrs", "same-origin", 303, Some("/okrs")),
        ("//evil.example/", "same-origin", 303, Some("/")),
        ("https://evil.example/", "same-origin", 303, Some("/")),
        ("/okrs", "cross-site", 403, None),
    ] {
        let body = login(next);
        let headers = [
            ("Sec-Fetch-Site", site.to_string()),
            (
                "Content-Type",
                "application/x-www-form-urlencoded".to_string(),
            ),
            ("Content-Length", body.len().to_string()),
        ];
        let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let r = raw(addr, "POST", "/login", &h, &body).await;
        assert_eq!(r.0, status, "next {next} from {site}");
        assert_eq!(r.2.as_deref(), location, "next {next} from {site}");
    }
}

fn url_encoded(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A request with a body of its own type; answers the status, the body
/// and the `Location` header.
async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, Option<String>) {
    let a = support::send(addr, method, path, headers, body).await;
    let location = a.header("location").map(str::to_string);
    (a.status, a.text, location)
}

/// A person `key` with `access` and a password, logged in: their session
/// cookie, and the headers a page of this server sends with it.
async fn logged_in(ws: &Workspace, key: &str, access: okapi_store::Access) -> String {
    use okapi_app::{accounts, people};
    let password = "a password long enough";
    people::save_user(
        ws,
        people::UserChange {
            key: key.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    accounts::set_login(ws, key, access, Some(password.into()))
        .await
        .unwrap();
    let s = accounts::login(ws, key, password.into(), Utc::now())
        .await
        .unwrap();
    format!("okapi_session={}", s.secret)
}

fn same_site(cookie: &str) -> [(&str, &str); 2] {
    [("Cookie", cookie), ("Sec-Fetch-Site", "same-origin")]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_manages_teams_people_and_their_access() {
    use okapi_store::Access;
    let (_dir, ws, addr) = served().await;
    let carl = logged_in(&ws, "carl", Access::Admin).await;
    let admin = same_site(&carl);

    let r = call_with(
        addr,
        "PUT",
        "/api/v1/teams/growth",
        &admin,
        Some(r#"{"name": "Growth", "mission": "Double the trials"}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body,
        serde_json::json!({"key": "growth", "name": "Growth", "mission": "Double the trials"})
    );
    // Only the mission changes; the name stays.
    let r = call_with(
        addr,
        "PUT",
        "/api/v1/teams/growth",
        &admin,
        Some(r#"{"mission": "Triple the trials"}"#),
    )
    .await;
    assert_eq!(
        (r.body["name"].as_str(), r.body["mission"].as_str()),
        (Some("Growth"), Some("Triple the trials"))
    );

    // A new person: a viewer, in the team, who cannot log in yet.
    let r = call_with(
        addr,
        "PUT",
        "/api/v1/users/dana",
        &admin,
        Some(r#"{"name": "Dana", "email": "dana@acme.test", "team": "growth"}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body,
        serde_json::json!({
            "key": "dana", "name": "Dana", "email": "dana@acme.test", "role": null,
            "team": "growth", "access": "viewer", "can_log_in": false
        })
    );
    let reader = tokens::create(&ws, "dashboard", TokenAccess::Read, Utc::now())
        .await
        .unwrap();
    let r = call(addr, "GET", "/api/v1/teams", Some(&reader.secret), None).await;
    assert_eq!(
        r.body,
        serde_json::json!([{"key": "growth", "name": "Growth", "mission": "Triple the trials", "members": ["dana"]}])
    );

    // Dana sets a password (on the command line) and logs in as a viewer.
    okapi_app::accounts::set_login(&ws, "dana", Access::Viewer, Some("dana's password!".into()))
        .await
        .unwrap();
    let r = call(
        addr,
        "POST",
        "/api/v1/login",
        None,
        Some(r#"{"user": "dana", "password": "dana's password!"}"#),
    )
    .await;
    let dana = r
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let r = call_with(addr, "GET", "/api/v1/users", &same_site(&dana), None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("forbidden"))
    );

    // Made an admin: her next request, with the same session, may.
    let r = call_with(
        addr,
        "PUT",
        "/api/v1/users/dana",
        &admin,
        Some(r#"{"access": "admin"}"#),
    )
    .await;
    assert_eq!(
        (
            r.status,
            r.body["access"].as_str(),
            r.body["can_log_in"].as_bool()
        ),
        (200, Some("admin"), Some(true)),
        "{}",
        r.body
    );
    assert_eq!(r.body["name"], "Dana", "fields left out keep their values");
    let r = call_with(addr, "GET", "/api/v1/users", &same_site(&dana), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let listed: Vec<(&str, &str)> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["key"].as_str().unwrap(), u["access"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [("carl", "admin"), ("dana", "admin")]);
    let text = r.body.to_string();
    assert!(
        !text.contains("password") && !text.contains("argon2"),
        "{text}"
    );

    // Back to editor: refused again at once.
    let r = call_with(
        addr,
        "PUT",
        "/api/v1/users/dana",
        &admin,
        Some(r#"{"access": "editor"}"#),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = call_with(addr, "GET", "/api/v1/users", &same_site(&dana), None).await;
    assert_eq!(r.status, 403);

    // Carl is now the only admin who can log in: he may not step down.
    let r = call_with(
        addr,
        "PUT",
        "/api/v1/users/carl",
        &admin,
        Some(r#"{"access": "viewer"}"#),
    )
    .await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("conflict")));
    assert!(okapi_app::accounts::has_admin(&ws).await.unwrap());
    let r = call_with(addr, "GET", "/api/v1/users", &admin, None).await;
    assert_eq!(r.status, 200);

    // Refused inputs: an unknown team, a field that is not there (no
    // passwords over this route), a malformed key, an unknown access.
    for (path, body, status, code) in [
        (
            "/api/v1/users/dana",
            r#"{"team": "nope"}"#,
            404,
            "not_found",
        ),
        (
            "/api/v1/users/dana",
            r#"{"password": "a long new password"}"#,
            400,
            "invalid",
        ),
        ("/api/v1/users/no%20spaces", r#"{}"#, 400, "invalid"),
        (
            "/api/v1/users/dana",
            r#"{"access": "owner"}"#,
            400,
            "invalid",
        ),
        ("/api/v1/teams/growth", r#"{"name": 7}"#, 400, "invalid"),
    ] {
        let r = call_with(addr, "PUT", path, &admin, Some(body)).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (status, Some(code)),
            "{path} {body}: {}",
            r.body
        );
    }
    let r = call_with(addr, "GET", "/api/v1/users", &admin, None).await;
    let dana = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["key"] == "dana")
        .unwrap();
    assert_eq!(
        (dana["team"].as_str(), dana["access"].as_str()),
        (Some("growth"), Some("editor"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_created_over_the_api_works_until_it_is_revoked() {
    use okapi_store::Access;
    let (_dir, ws, addr) = served().await;
    let carl = logged_in(&ws, "carl", Access::Admin).await;
    let admin = same_site(&carl);

    let r = call_with(
        addr,
        "POST",
        "/api/v1/tokens",
        &admin,
        Some(r#"{"name": "ci", "access": "write"}"#),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["token"]["id"], "T-1");
    assert_eq!(r.body["token"]["access"], "write");
    let secret = r.body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("okapi_") && secret.len() == 6 + 64);

    // Listed without its secret.
    let r = call_with(addr, "GET", "/api/v1/tokens", &admin, None).await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(1));
    assert_eq!(r.body[0]["name"], "ci");
    assert!(r.body[0]["revoked_at"].is_null());
    assert!(!r.body.to_string().contains(&secret[6..]));

    // It reads and checks in; it is no admin: it makes no token.
    let r = call(addr, "GET", "/api/v1/okrs", Some(&secret), None).await;
    assert_eq!(r.status, 200);
    let r = call(
        addr,
        "POST",
        "/api/v1/key-results/KR-1/checkins",
        Some(&secret),
        Some(r#"{"value": 2, "at": "2027-02-01"}"#),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = call(
        addr,
        "POST",
        "/api/v1/tokens",
        Some(&secret),
        Some(r#"{"name": "more", "access": "write"}"#),
    )
    .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("forbidden"))
    );

    // A reading token by default; names and accesses are checked.
    let r = call_with(
        addr,
        "POST",
        "/api/v1/tokens",
        &admin,
        Some(r#"{"name": "wall"}"#),
    )
    .await;
    assert_eq!(
        (r.status, r.body["token"]["access"].as_str()),
        (201, Some("read"))
    );
    for body in [
        r#"{"name": "  "}"#,
        r#"{"name": "x", "access": "admin"}"#,
        r#"{"access": "read"}"#,
    ] {
        let r = call_with(addr, "POST", "/api/v1/tokens", &admin, Some(body)).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (400, Some("invalid")),
            "{body}"
        );
    }

    let r = call_with(addr, "DELETE", "/api/v1/tokens/T-1", &admin, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["revoked_at"].is_string());
    let r = call(addr, "GET", "/api/v1/okrs", Some(&secret), None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let r = call_with(addr, "DELETE", "/api/v1/tokens/T-9", &admin, None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("not_found"))
    );
    let listed: Vec<(String, bool)> = tokens::list(&ws)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.id, t.revoked_at.is_some()))
        .collect();
    assert_eq!(
        listed,
        [("T-1".to_string(), true), ("T-2".to_string(), false)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sets_the_vision() {
    use okapi_store::Access;
    let (_dir, ws, addr) = served().await;
    let carl = logged_in(&ws, "carl", Access::Admin).await;
    let bo = logged_in(&ws, "bo", Access::Viewer).await;
    let r = call_with(addr, "GET", "/api/v1/workspace", &same_site(&bo), None).await;
    assert!(r.body["vision"].is_null(), "{}", r.body);

    let r = call_with(
        addr,
        "PUT",
        "/api/v1/vision",
        &same_site(&carl),
        Some(r#"{"vision": "  Every decision on live numbers\n"}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["vision"], "Every decision on live numbers");
    let r = call_with(addr, "GET", "/api/v1/workspace", &same_site(&bo), None).await;
    assert_eq!(r.body["vision"], "Every decision on live numbers");

    // A viewer may not; an empty vision removes it.
    let r = call_with(
        addr,
        "PUT",
        "/api/v1/vision",
        &same_site(&bo),
        Some(r#"{"vision": "Mine"}"#),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = call_with(
        addr,
        "PUT",
        "/api/v1/vision",
        &same_site(&carl),
        Some(r#"{"vision": ""}"#),
    )
    .await;
    assert_eq!((r.status, r.body["vision"].is_null()), (200, true));
    assert_eq!(okapi_app::people::vision(&ws).await.unwrap(), None);
}

/// The objective `O-1`'s score in the OKR tree, as `token` reads it.
async fn tree_score(addr: SocketAddr, token: &str) -> Value {
    let r = call(
        addr,
        "GET",
        "/api/v1/okrs/tree?cycle=2027-Q1",
        Some(token),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body[0]["score"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_server_keeps_in_memory_follows_every_change() {
    let (dir, ws, addr) = served().await;
    let reader = tokens::create(&ws, "dashboard", TokenAccess::Read, Utc::now())
        .await
        .unwrap();
    let writer = tokens::create(&ws, "ci", TokenAccess::Write, Utc::now())
        .await
        .unwrap();
    // No check-in yet: 0. Read twice, so the second comes from memory.
    assert_eq!(tree_score(addr, &reader.secret).await, 0.0);
    assert_eq!(tree_score(addr, &reader.secret).await, 0.0);

    // A check-in through the server shows on the very next request: 5 of
    // 10 scores 0.5.
    let r = call(
        addr,
        "POST",
        "/api/v1/key-results/KR-1/checkins",
        Some(&writer.secret),
        Some(r#"{"value": 5, "at": "2027-02-15"}"#),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(tree_score(addr, &reader.secret).await, 0.5);

    // Another process on the same database (its own connections, as the
    // command line has): its check-in of 8 (0.8) and its revocation of the
    // reading token show within the half second the server looks every,
    // given a generous bound for a loaded machine.
    let loc = support::location(&dir);
    let elsewhere = Workspace::open(&loc).await.unwrap();
    okapi_app::checkins::check_in(
        &elsewhere,
        okapi_app::checkins::CheckInRequest {
            kr: "KR-1".into(),
            value: Some(8.0),
            at: Some(d("2027-02-20")),
            ..Default::default()
        },
        Utc::now(),
    )
    .await
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut score = tree_score(addr, &reader.secret).await;
    while score != 0.8 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        score = tree_score(addr, &reader.secret).await;
    }
    assert_eq!(score, 0.8, "another process's check-in never showed");

    tokens::revoke(&elsewhere, &reader.token.id, Utc::now())
        .await
        .unwrap();
    let mut status = 200;
    while status == 200 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let r = call(addr, "GET", "/api/v1/okrs/tree", Some(&reader.secret), None).await;
        status = r.status;
    }
    assert_eq!(status, 401, "a token revoked elsewhere still read");
    // The writing token, read again after the change, still works.
    assert_eq!(tree_score(addr, &writer.secret).await, 0.8);
}
