//! The OpenAPI document: the one committed at `docs/openapi.json` is the
//! one the server generates and serves, and it lists every route of
//! `/api/v1`, no more and no fewer.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;

mod support;

/// Every route of `/api/v1`, as the router answers it: a route added to the
/// router must be added here, and to the document.
const ROUTES: [(&str, &str); 31] = [
    ("post", "/api/v1/login"),
    ("post", "/api/v1/logout"),
    ("get", "/api/v1/workspace"),
    ("get", "/api/v1/home"),
    ("get", "/api/v1/journey"),
    ("get", "/api/v1/kpis"),
    ("get", "/api/v1/kpis/{id}"),
    ("get", "/api/v1/catalog"),
    ("get", "/api/v1/refresh"),
    ("post", "/api/v1/refresh"),
    ("get", "/api/v1/okrs"),
    ("get", "/api/v1/okrs/tree"),
    ("get", "/api/v1/report"),
    ("get", "/api/v1/key-results/{key}"),
    ("get", "/api/v1/key-results/{key}/checkins"),
    ("post", "/api/v1/key-results/{key}/checkins"),
    ("put", "/api/v1/data/{table}"),
    ("put", "/api/v1/vision"),
    ("get", "/api/v1/insights"),
    ("get", "/api/v1/report/weekly"),
    ("get", "/api/v1/findings"),
    ("post", "/api/v1/findings/{id}/ack"),
    ("get", "/api/v1/alerts/deliveries"),
    ("get", "/api/v1/teams"),
    ("put", "/api/v1/teams/{key}"),
    ("get", "/api/v1/users"),
    ("put", "/api/v1/users/{key}"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{id}"),
    ("get", "/api/v1/openapi.json"),
];

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

async fn served() -> (tempfile::TempDir, SocketAddr) {
    let (dir, ws) = support::new_workspace(None, "").await;
    let addr = support::serve(&ws).await;
    (dir, addr)
}

/// One request without credentials; answers the status, the
/// `Content-Type` and the body.
async fn call(addr: SocketAddr, method: &str, path: &str) -> (u16, Option<String>, String) {
    let a = support::request(addr, &method.to_uppercase(), path, &[], None).await;
    let kind = a.header("content-type").map(str::to_string);
    (a.status, kind, a.text)
}

/// The document the server serves.
async fn served_document(addr: SocketAddr) -> String {
    let (status, kind, body) = call(addr, "get", "/api/v1/openapi.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(kind.as_deref(), Some("application/json"));
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committed_document_is_the_one_the_server_serves() {
    let (_dir, addr) = served().await;
    let served = served_document(addr).await;
    let path = repo_file("docs/openapi.json");
    if std::env::var_os("OKAPI_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &served).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == served,
        "docs/openapi.json is not the document the server generates; regenerate it with \
         `OKAPI_UPDATE_OPENAPI=1 cargo test --workspace --test openapi` and commit it"
    );
    let doc: serde_json::Value = serde_json::from_str(&served).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_lists_every_route_and_only_those() {
    let (_dir, addr) = served().await;
    let doc: serde_json::Value = serde_json::from_str(&served_document(addr).await).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (m.to_string(), path.clone()))
        })
        .collect();
    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, listed);

    // The router's own paths, read from where it is built.
    let mut routed = BTreeSet::new();
    for file in [
        "crates/okapi-server/src/routes.rs",
        "crates/okapi-server/src/routes/settings.rs",
        "crates/okapi-server/src/routes/insights.rs",
    ] {
        let source = std::fs::read_to_string(repo_file(file)).unwrap();
        for (i, _) in source.match_indices(".route(") {
            let rest = source[i..].trim_start_matches(".route(").trim_start();
            let path = rest.trim_start_matches('"').split('"').next().unwrap();
            routed.insert(path.to_string());
        }
    }
    let documented_paths: BTreeSet<String> = paths.keys().cloned().collect();
    assert_eq!(routed, documented_paths);

    // Each method and path is answered (the path filled in), not as an
    // unknown route nor as a method the path does not take.
    for (method, path) in ROUTES {
        let path = path
            .replace("{id}", "mrr")
            .replace("{key}", "KR-1")
            .replace("{table}", "subscriptions");
        let (status, _, body) = call(addr, method, &path).await;
        assert!(
            status != 404 && status != 405,
            "{method} {path}: {status} {body}"
        );
    }

    // Every operation says what it answers, its errors as `Error`.
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}: no success"
            );
            assert!(
                responses.contains_key("500"),
                "{method} {path}: no internal error"
            );
            // Every operation but the login and this document needs
            // credentials, and says it may answer `unauthenticated`.
            let public = op["security"] == serde_json::json!([{}]);
            let open = ["/api/v1/login", "/api/v1/openapi.json"].contains(&path.as_str());
            assert_eq!(public, open, "{method} {path}: {}", op["security"]);
            assert!(
                public || responses.contains_key("401"),
                "{method} {path}: no 401"
            );
        }
    }
    assert_eq!(
        doc["security"],
        serde_json::json!([{"bearer": []}, {"session": []}])
    );
}
