//! What the server's test files share: a new workspace, serving it on an
//! ephemeral loopback port, and one raw HTTP/1.1 request read to its end
//! (no client library between the test and the bytes the server sends).

#![allow(dead_code, clippy::unwrap_used)] // each test file uses a part

use std::net::SocketAddr;

use okapi_app::Location;
use okapi_app::workspace::{self, InitRequest, Workspace};
use okapi_core::settings::Profile;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A new B2B workspace named Acme in a temporary directory (with the id
/// given, else a generated one), `settings` added to its `okapi.toml`,
/// opened.
pub async fn new_workspace(id: Option<&str>, settings: &str) -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    workspace::init(InitRequest {
        dir: dir.path().to_path_buf(),
        database_url: None,
        profile: Profile::B2b,
        name: Some("Acme".into()),
        id: id.map(str::to_string),
    })
    .await
    .unwrap();
    if !settings.is_empty() {
        let toml = dir.path().join("okapi.toml");
        let mut text = std::fs::read_to_string(&toml).unwrap();
        text.push_str(settings);
        std::fs::write(&toml, text).unwrap();
    }
    let ws = Workspace::open(&location(&dir)).await.unwrap();
    (dir, ws)
}

/// The location of the workspace in `dir`.
pub fn location(dir: &tempfile::TempDir) -> Location {
    Location {
        dir: dir.path().to_path_buf(),
        config: None,
        database_url: None,
    }
}

/// Serves `ws` on an ephemeral loopback port until the test ends.
pub async fn serve(ws: &Workspace) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(okapi_server::serve(listener, ws.clone()));
    addr
}

/// An answer: its status, headers and body text.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Answer {
    /// The first value of header `name`, in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; a body that is not JSON (a download) as its
    /// text; an empty one as `null`.
    pub fn json(&self) -> Value {
        if self.text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&self.text).unwrap_or_else(|_| Value::String(self.text.clone()))
        }
    }
}

/// One HTTP/1.1 request on a fresh connection with `headers`, and `body`
/// as JSON when given, read to its end.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let length;
    let mut all = headers.to_vec();
    match body {
        Some(b) => {
            length = b.len().to_string();
            all.push(("Content-Type", "application/json"));
            all.push(("Content-Length", &length));
        }
        None => all.push(("Content-Length", "0")),
    }
    send(addr, method, path, &all, body.unwrap_or("")).await
}

/// One HTTP/1.1 request on a fresh connection, exactly `headers` (the
/// body's type and length among them) and `body`, read to its end.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    Answer {
        status,
        headers,
        text: body.to_string(),
    }
}
