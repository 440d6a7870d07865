//! A load generator for the server, run in one process with it on loopback.
//!
//! ```sh
//! cargo build --release --workspace --bins
//! target/release/okapi-serve-bench --workspace DIR [options]
//! ```
//!
//! `DIR` is a workspace whose KPI values are already stored (`okapi
//! refresh`), e.g. the demo company of BENCHMARKS.md. The generator gives
//! a user (`--user`, default `eva`, the demo's chief executive) admin
//! access and a fresh password, logs them in for a session cookie, and
//! creates a reading and a writing API token; the tokens are revoked and
//! the session ended when it is done. The server (`okapi_server::serve_until`)
//! runs on a runtime of its own (`--server-threads`, default 2) and the
//! clients on another (`--client-threads`, default 1), on the same
//! machine: the figures include the load generator's own work.
//!
//! Modes (`--mode`, default `all`):
//!
//! - `read`: `--connections` (default 64) keep-alive HTTP/1.1 connections,
//!   each sending its next request as soon as the last is answered, for
//!   `--duration` seconds (default 30) after `--warmup` seconds (default
//!   3), against `GET /` with the session cookie (the executive home page)
//!   and then `GET /api/v1/okrs/tree` with the reading token. Prints
//!   requests per second and the p50, p90, p99 and max latency (every
//!   request's latency kept and sorted, no sampling).
//! - `writers`: `--writers` (default 16) connections, each checking in on a
//!   key result of the current cycle (`POST /api/v1/key-results/{key}/checkins`
//!   with the writing token, one key result per writer in turn) as fast as
//!   it is answered, for `--duration` seconds. Every check-in carries a
//!   note naming the run, the writer and its sequence number. Afterwards
//!   the check-ins are read back from the store: those of this run must be
//!   exactly the ones answered `201`, each once.
//!
//! Any answer other than `200` (`201` for a check-in), any failed
//! connection, and any check-in lost or duplicated is an error: the run
//! prints it and exits with a failure. `--target-rps` and `--target-p99-ms`
//! (default 5000 and 25) only say whether each read target met them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // a benchmark's driver, not library code

use std::collections::BTreeMap;
use std::error::Error;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HOST};
use hyper_util::rt::TokioIo;
use okapi_app::workspace::Workspace;
use okapi_app::{Location, accounts, okr_views, tokens};
use okapi_store::{Access, TokenAccess};

type BoxError = Box<dyn Error + Send + Sync>;

const USAGE: &str = "\
usage: okapi-serve-bench --workspace DIR [options]

  --workspace DIR        a workspace whose KPI values are stored (okapi refresh)
  --mode M               read, writers or all (default all)
  --user KEY             the user logged in for the home page (default eva)
  --connections N        concurrent connections for reads (default 64)
  --writers N            concurrent writers (default 16)
  --duration S           seconds measured, per target and for the writers (default 30)
  --warmup S             seconds of load before each read target is measured (default 3)
  --server-threads N     the server's runtime worker threads (default 2)
  --client-threads N     the load generator's runtime worker threads (default 1)
  --target-rps N         requests per second a read target should reach (default 5000)
  --target-p99-ms MS     the p99 latency it should stay under (default 25)";

#[derive(Debug, Clone)]
struct Options {
    workspace: PathBuf,
    read: bool,
    writers_mode: bool,
    user: String,
    connections: usize,
    writers: usize,
    duration: Duration,
    warmup: Duration,
    server_threads: usize,
    client_threads: usize,
    target_rps: f64,
    target_p99_ms: f64,
}

/// The options, or `None` when asked for help.
fn options() -> Result<Option<Options>, BoxError> {
    let mut workspace = None;
    let mut o = Options {
        workspace: PathBuf::new(),
        read: true,
        writers_mode: true,
        user: "eva".into(),
        connections: 64,
        writers: 16,
        duration: Duration::from_secs(30),
        warmup: Duration::from_secs(3),
        server_threads: 2,
        client_threads: 1,
        target_rps: 5000.0,
        target_p99_ms: 25.0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--workspace" => workspace = Some(PathBuf::from(value()?)),
            "--mode" => match value()?.as_str() {
                "read" => (o.read, o.writers_mode) = (true, false),
                "writers" => (o.read, o.writers_mode) = (false, true),
                "all" => (o.read, o.writers_mode) = (true, true),
                m => return Err(format!("unknown mode {m}\n{USAGE}").into()),
            },
            "--user" => o.user = value()?,
            "--connections" => o.connections = value()?.parse()?,
            "--writers" => o.writers = value()?.parse()?,
            "--duration" => o.duration = Duration::try_from_secs_f64(value()?.parse()?)?,
            "--warmup" => o.warmup = Duration::try_from_secs_f64(value()?.parse()?)?,
            "--server-threads" => o.server_threads = value()?.parse()?,
            "--client-threads" => o.client_threads = value()?.parse()?,
            "--target-rps" => o.target_rps = value()?.parse()?,
            "--target-p99-ms" => o.target_p99_ms = value()?.parse()?,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            a => return Err(format!("unknown argument {a}\n{USAGE}").into()),
        }
    }
    let workspace = workspace.ok_or_else(|| format!("--workspace is needed\n{USAGE}"))?;
    if o.connections == 0 || o.writers == 0 || o.server_threads == 0 || o.client_threads == 0 {
        return Err("connections, writers and threads must be at least 1".into());
    }
    o.workspace = workspace;
    Ok(Some(o))
}

/// What the run logs in and authenticates with.
struct Credentials {
    session: String,
    reader: String,
    writer: String,
    token_ids: Vec<String>,
}

async fn credentials(ws: &Workspace, user: &str) -> Result<Credentials, BoxError> {
    let password = format!("load-{}", Utc::now().timestamp_nanos_opt().unwrap_or(0));
    accounts::set_login(ws, user, Access::Admin, Some(password.clone())).await?;
    let session = accounts::login(ws, user, password, Utc::now()).await?;
    let reader = tokens::create(ws, "load-reader", TokenAccess::Read, Utc::now()).await?;
    let writer = tokens::create(ws, "load-writer", TokenAccess::Write, Utc::now()).await?;
    Ok(Credentials {
        session: session.secret,
        reader: reader.secret,
        writer: writer.secret,
        token_ids: vec![reader.token.id, writer.token.id],
    })
}

/// One request to send, again and again.
#[derive(Clone)]
struct Target {
    name: String,
    method: &'static str,
    path: String,
    /// (header, value) pairs besides `Host`.
    headers: Vec<(hyper::header::HeaderName, String)>,
    ok: u16,
}

/// What one connection measured.
#[derive(Default)]
struct Measured {
    /// Latency of each answered request, in microseconds.
    latencies: Vec<u32>,
    errors: u64,
    /// The first errors, as `status: body` (at most 5 kept).
    samples: Vec<String>,
}

impl Measured {
    fn error(&mut self, what: String) {
        self.errors += 1;
        if self.samples.len() < 5 {
            self.samples.push(what);
        }
    }

    fn merge(&mut self, other: Measured) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        for s in other.samples {
            if self.samples.len() < 5 {
                self.samples.push(s);
            }
        }
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// A keep-alive HTTP/1.1 connection to `addr`.
async fn connect(addr: SocketAddr) -> Result<Sender, BoxError> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("connection ended: {e}");
        }
    });
    Ok(sender)
}

/// Sends one request and reads its answer to the end: its status and body.
async fn send(
    sender: &mut Sender,
    addr: SocketAddr,
    t: &Target,
    body: Bytes,
) -> Result<(u16, Bytes), BoxError> {
    let mut req = Request::builder()
        .method(t.method)
        .uri(t.path.as_str())
        .header(HOST, addr.to_string());
    for (name, value) in &t.headers {
        req = req.header(name, value);
    }
    sender.ready().await?;
    let res = sender.send_request(req.body(Full::new(body))?).await?;
    let status = res.status().as_u16();
    let body = res.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(body.get(..200).unwrap_or(body)).into_owned()
}

/// One connection sending `t` until `stop`; latencies are kept only for
/// requests sent from `measure_from` on.
async fn reader_loop(
    addr: SocketAddr,
    t: Arc<Target>,
    measure_from: Instant,
    stop: Instant,
) -> Measured {
    let mut m = Measured::default();
    let mut sender = match connect(addr).await {
        Ok(s) => s,
        Err(e) => {
            m.error(format!("connect: {e}"));
            return m;
        }
    };
    while Instant::now() < stop {
        let start = Instant::now();
        let answer = send(&mut sender, addr, &t, Bytes::new()).await;
        let took = start.elapsed();
        let measured = start >= measure_from;
        match answer {
            Ok((status, _)) if status == t.ok => {
                if measured {
                    m.latencies
                        .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
                }
            }
            Ok((status, body)) => m.error(format!("{status}: {}", snippet(&body))),
            Err(e) => {
                m.error(format!("request: {e}"));
                // The connection is gone: open another.
                match connect(addr).await {
                    Ok(s) => sender = s,
                    Err(e) => {
                        m.error(format!("reconnect: {e}"));
                        return m;
                    }
                }
            }
        }
    }
    m
}

/// Latency percentiles, in milliseconds, of sorted microsecond samples.
fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    f64::from(sorted[rank - 1]) / 1000.0
}

struct Summary {
    requests: usize,
    per_second: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    errors: u64,
}

fn summarize(mut m: Measured, elapsed: Duration) -> Summary {
    m.latencies.sort_unstable();
    let l = &m.latencies;
    Summary {
        requests: l.len(),
        per_second: l.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(l, 0.50),
        p90: percentile(l, 0.90),
        p99: percentile(l, 0.99),
        max: percentile(l, 1.0),
        errors: m.errors,
    }
}

fn print_header() {
    println!(
        "| target | connections | s | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
}

fn print_row(name: &str, connections: usize, secs: f64, s: &Summary) {
    println!(
        "| {name} | {connections} | {secs:.0} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
        s.requests, s.per_second, s.p50, s.p90, s.p99, s.max, s.errors
    );
}

/// Drives `t` over `o.connections` connections: warm-up, then measured.
async fn read_target(
    addr: SocketAddr,
    t: Target,
    o: &Options,
) -> Result<(Summary, Vec<String>), BoxError> {
    // One request first: a wrong credential or a missing refresh shows
    // here, before a whole run of errors.
    let mut probe = connect(addr).await?;
    let (status, body) = send(&mut probe, addr, &t, Bytes::new()).await?;
    if status != t.ok {
        return Err(format!("{} answered {status}: {}", t.name, snippet(&body)).into());
    }
    drop(probe);
    let t = Arc::new(t);
    let measure_from = Instant::now() + o.warmup;
    let stop = measure_from + o.duration;
    let tasks: Vec<_> = (0..o.connections)
        .map(|_| tokio::spawn(reader_loop(addr, t.clone(), measure_from, stop)))
        .collect();
    let mut all = Measured::default();
    for task in tasks {
        all.merge(task.await?);
    }
    let elapsed = measure_from.elapsed();
    let samples = std::mem::take(&mut all.samples);
    Ok((summarize(all, elapsed), samples))
}

/// One writer: check-ins on `kr` until `stop`. Answers the sequence
/// numbers acknowledged with `201`, and what it measured.
async fn writer_loop(
    addr: SocketAddr,
    t: Arc<Target>,
    run: Arc<String>,
    writer: usize,
    stop: Instant,
) -> (Vec<u64>, Measured) {
    let mut m = Measured::default();
    let mut acked = Vec::new();
    let mut sender = match connect(addr).await {
        Ok(s) => s,
        Err(e) => {
            m.error(format!("connect: {e}"));
            return (acked, m);
        }
    };
    let mut seq = 0u64;
    while Instant::now() < stop {
        seq += 1;
        // Distinct values per writer, exact in a double.
        let value = (writer as u64 * 1_000_000 + seq) as f64;
        let body = serde_json::json!({
            "value": value,
            "confidence": "on_track",
            "note": format!("{run} writer {writer} #{seq}"),
        })
        .to_string();
        let start = Instant::now();
        match send(&mut sender, addr, &t, Bytes::from(body)).await {
            Ok((status, _)) if status == t.ok => {
                acked.push(seq);
                m.latencies
                    .push(u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
            Ok((status, body)) => m.error(format!("{status}: {}", snippet(&body))),
            Err(e) => {
                // Not answered: the check-in may or may not have been
                // written; the count afterwards tells.
                m.error(format!("request: {e}"));
                match connect(addr).await {
                    Ok(s) => sender = s,
                    Err(e) => {
                        m.error(format!("reconnect: {e}"));
                        return (acked, m);
                    }
                }
            }
        }
    }
    (acked, m)
}

/// The key results of the workspace's current cycle, the writers' targets.
async fn key_results(ws: &Workspace) -> Result<Vec<String>, BoxError> {
    let st = okr_views::status(
        ws,
        okr_views::StatusQuery::default(),
        Utc::now().date_naive(),
    )
    .await?;
    let krs: Vec<String> = st
        .objectives
        .iter()
        .flat_map(|o| o.krs.iter().map(|k| k.key.clone()))
        .collect();
    if krs.is_empty() {
        return Err(format!("cycle {} has no key result to check in on", st.cycle.key).into());
    }
    Ok(krs)
}

/// The writers' run; `Ok(false)` when anything was lost, duplicated or
/// refused.
async fn writers(
    addr: SocketAddr,
    ws: &Workspace,
    writer_token: &str,
    o: &Options,
) -> Result<bool, BoxError> {
    let krs = key_results(ws).await?;
    let run = Arc::new(format!(
        "load run {}",
        Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ")
    ));
    let stop = Instant::now() + o.duration;
    let started = Instant::now();
    let mut assigned = Vec::new();
    let tasks: Vec<_> = (0..o.writers)
        .map(|w| {
            let kr = krs[w % krs.len()].clone();
            assigned.push(kr.clone());
            let t = Arc::new(Target {
                name: format!("POST check-in on {kr}"),
                method: "POST",
                path: format!("/api/v1/key-results/{kr}/checkins"),
                headers: vec![
                    (AUTHORIZATION, format!("Bearer {writer_token}")),
                    (CONTENT_TYPE, "application/json".into()),
                ],
                ok: 201,
            });
            tokio::spawn(writer_loop(addr, t, run.clone(), w, stop))
        })
        .collect();
    let mut acked: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
    let mut all = Measured::default();
    for (w, task) in tasks.into_iter().enumerate() {
        let (seqs, m) = task.await?;
        acked.insert(w, seqs);
        all.merge(m);
    }
    let elapsed = started.elapsed();
    let samples = std::mem::take(&mut all.samples);
    let summary = summarize(all, elapsed);

    // Read back every check-in of this run, from the store.
    let mut stored: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
    let mut unkeyed = 0usize;
    let mut kr_keys = assigned.clone();
    kr_keys.sort();
    kr_keys.dedup();
    for kr in &kr_keys {
        let h = okr_views::history(ws, kr).await?;
        for row in h.checkins {
            let Some(rest) = row
                .checkin
                .note
                .as_deref()
                .and_then(|n| n.strip_prefix(run.as_str()))
            else {
                continue;
            };
            let parsed = rest
                .strip_prefix(" writer ")
                .and_then(|r| r.split_once(" #"))
                .and_then(|(w, s)| Some((w.parse::<usize>().ok()?, s.parse::<u64>().ok()?)));
            match parsed {
                Some((w, s)) if assigned.get(w) == Some(kr) => stored.entry(w).or_default().push(s),
                _ => unkeyed += 1,
            }
        }
    }
    let mut lost = 0usize;
    let mut extra = 0usize;
    let mut duplicated = 0usize;
    for w in 0..o.writers {
        let mut want = acked.get(&w).cloned().unwrap_or_default();
        let mut have = stored.get(&w).cloned().unwrap_or_default();
        want.sort_unstable();
        have.sort_unstable();
        let n = have.len();
        have.dedup();
        duplicated += n - have.len();
        lost += want
            .iter()
            .filter(|s| have.binary_search(s).is_err())
            .count();
        extra += have
            .iter()
            .filter(|s| want.binary_search(s).is_err())
            .count();
    }
    let acked_total: usize = acked.values().map(Vec::len).sum();
    let stored_total: usize = stored.values().map(Vec::len).sum();

    print_header();
    print_row(
        &format!("POST check-ins ({} key results)", kr_keys.len()),
        o.writers,
        elapsed.as_secs_f64(),
        &summary,
    );
    println!();
    println!(
        "writers: {acked_total} check-ins acknowledged (201), {stored_total} stored by this run; \
         lost {lost}, duplicated {duplicated}, stored but not acknowledged {extra}, unreadable {unkeyed}"
    );
    for s in &samples {
        println!("  error: {s}");
    }
    // A check-in not answered may have been stored: it shows as "stored
    // but not acknowledged", and is counted as a failure too.
    Ok(summary.errors == 0
        && lost == 0
        && duplicated == 0
        && extra == 0
        && unkeyed == 0
        && acked_total == stored_total)
}

fn main() -> Result<(), BoxError> {
    let Some(o) = options()? else {
        return Ok(());
    };
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.server_threads)
        .thread_name("server")
        .enable_all()
        .build()?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.client_threads)
        .thread_name("client")
        .enable_all()
        .build()?;

    let loc = Location {
        dir: o.workspace.clone(),
        config: None,
        database_url: None,
    };
    let (ws, creds, addr, shutdown) = server_rt.block_on(async {
        let ws = Workspace::open(&loc).await?;
        let Some(last) = okapi_app::stored::last_refresh(&ws).await? else {
            return Err::<_, BoxError>(
                format!(
                    "{}: no KPI values stored; run `okapi --workspace {} refresh` first",
                    o.workspace.display(),
                    o.workspace.display()
                )
                .into(),
            );
        };
        println!(
            "workspace {} ({}): {} KPI values stored by the refresh of {}",
            o.workspace.display(),
            ws.id,
            last.values,
            last.computed_at
        );
        let creds = credentials(&ws, &o.user).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = ws.clone();
        tokio::spawn(async move {
            let done = async {
                let _ = rx.await;
            };
            if let Err(e) = okapi_server::serve_until(listener, served, false, done).await {
                eprintln!("server: {e}");
            }
        });
        Ok((ws, creds, addr, tx))
    })?;
    println!(
        "server on {addr}: {} server threads, {} client threads, {} cores\n",
        o.server_threads,
        o.client_threads,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let mut ok = true;
    if o.read {
        let targets = [
            Target {
                name: "GET / (home page, session cookie)".into(),
                method: "GET",
                path: "/".into(),
                headers: vec![(
                    COOKIE,
                    format!("{}={}", okapi_server::auth::SESSION_COOKIE, creds.session),
                )],
                ok: 200,
            },
            Target {
                name: "GET /api/v1/okrs/tree (reading token)".into(),
                method: "GET",
                path: "/api/v1/okrs/tree".into(),
                headers: vec![(AUTHORIZATION, format!("Bearer {}", creds.reader))],
                ok: 200,
            },
        ];
        let mut rows = Vec::new();
        for t in targets {
            let name = t.name.clone();
            let (s, samples) = client_rt.block_on(read_target(addr, t, &o))?;
            let met = s.per_second >= o.target_rps && s.p99 < o.target_p99_ms;
            ok &= s.errors == 0;
            rows.push((name, s, samples, met));
        }
        print_header();
        for (name, s, _, _) in &rows {
            print_row(name, o.connections, o.duration.as_secs_f64(), s);
        }
        println!();
        for (name, s, samples, met) in &rows {
            println!(
                "{name}: {} (at least {} req/s with p99 under {} ms)",
                if *met { "target met" } else { "target MISSED" },
                o.target_rps,
                o.target_p99_ms
            );
            if s.errors > 0 {
                println!("  {} errors, first ones:", s.errors);
            }
            for e in samples {
                println!("  error: {e}");
            }
        }
        println!();
    }
    if o.writers_mode {
        let writer = creds.writer.clone();
        ok &= client_rt.block_on(writers(addr, &ws, &writer, &o))?;
    }

    let _ = shutdown.send(());
    server_rt.block_on(async {
        for id in &creds.token_ids {
            tokens::revoke(&ws, id, Utc::now()).await?;
        }
        accounts::logout(&ws, &creds.session, Utc::now()).await?;
        Ok::<_, BoxError>(())
    })?;
    if !ok {
        return Err("errors above: the run failed".into());
    }
    Ok(())
}
