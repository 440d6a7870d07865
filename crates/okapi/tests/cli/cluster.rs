//! The events scan on a Ballista cluster: a scheduler and two executors
//! started from the okapi binary as separate processes on loopback give
//! exactly the single-machine KPIs, and a refresh there scans only the
//! events files added since the last; a bad row is named by its key; an
//! executor killed mid-run never yields a wrong number.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use datafusion::prelude::{ParquetReadOptions, SessionContext};

use super::okrs::init;
use super::partitioned::{all_values, only_new_periods, partition, refresh_json};
use super::{arg, okapi};

/// A node process, killed when dropped.
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn node(args: &[&str], log: &Path) -> Node {
    let log = std::fs::File::create(log).unwrap();
    Node(
        Command::new(env!("CARGO_BIN_EXE_okapi"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start a node"),
    )
}

/// A scheduler and two executors of one core each.
struct Cluster {
    scheduler: String,
    _scheduler: Node,
    executors: Vec<Node>,
}

fn cluster(dir: &Path) -> Cluster {
    let port = free_port();
    let scheduler = format!("127.0.0.1:{port}");
    let s = node(
        &[
            "cluster",
            "scheduler",
            "--bind",
            &scheduler,
            "--executor-timeout",
            "6",
        ],
        &dir.join("scheduler.log"),
    );
    let started = Instant::now();
    while std::net::TcpStream::connect(&scheduler).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the scheduler did not start: {}",
            std::fs::read_to_string(dir.join("scheduler.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let executors = (0..2)
        .map(|i| {
            let work = dir.join(format!("work-{i}"));
            std::fs::create_dir_all(&work).unwrap();
            node(
                &[
                    "cluster",
                    "executor",
                    "--scheduler",
                    &scheduler,
                    "--port",
                    &free_port().to_string(),
                    "--grpc-port",
                    &free_port().to_string(),
                    "--cores",
                    "1",
                    "--heartbeat",
                    "1",
                    "--work-dir",
                    &arg(&work),
                ],
                &dir.join(format!("executor-{i}.log")),
            )
        })
        .collect();
    Cluster {
        scheduler,
        _scheduler: s,
        executors,
    }
}

fn demo(out: &Path, accounts: &str, events: &str) {
    okapi(&[
        "demo",
        "--out",
        &arg(out),
        "--accounts",
        accounts,
        "--events",
        events,
        "--months",
        "8",
        "--end",
        "2025-06-30",
        "--quiet",
    ])
    .expect_code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_executors_give_exactly_the_single_machine_kpis() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    demo(&one, "120", "20000");
    let parts = dir.path().join("parts");
    partition(&one, &parts).await;
    let c = cluster(dir.path());

    for grain in ["day", "month"] {
        let run = |cluster: Option<&str>| {
            let mut args = vec![
                "kpi".to_string(),
                "--data".into(),
                arg(&parts),
                "--grain".into(),
                grain.into(),
                "--format".into(),
                "json".into(),
            ];
            if let Some(c) = cluster {
                args.extend([
                    "--cluster".into(),
                    c.into(),
                    "--cluster-tasks".into(),
                    "4".into(),
                ]);
            }
            let r = okapi(&args);
            r.expect_code(0);
            r.stdout
        };
        let (here, there) = (run(None), run(Some(&c.scheduler)));
        assert!(here.len() > 1_000, "{grain}: a real report");
        for kpi in [
            "dau_mau",
            "health_score",
            "inactive_accounts",
            "onboarding_completion_rate",
        ] {
            assert!(
                here.contains(&format!("\"{kpi}\"")),
                "{grain}: {kpi} computed"
            );
        }
        assert_eq!(here, there, "{grain}: the cluster's KPIs differ");
    }

    // A workspace refreshed on the cluster keeps its events state here:
    // once the held-back last day arrives, the cluster scans that file
    // alone, and only the periods it can change are computed again — the
    // values a full refresh on this machine gives.
    let w = init();
    let data = w.path().join("data");
    std::fs::remove_dir_all(&data).unwrap();
    partition(&one, &data).await;
    let last = std::fs::read_dir(data.join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .max()
        .unwrap();
    let held = w.path().join("held");
    std::fs::rename(&last, &held).unwrap();
    let refresh = |args: &[&str]| refresh_json(w.path(), args);
    let first = refresh(&["--cluster", &c.scheduler]);
    assert_eq!(first["events"]["mode"], "full", "{first}");
    std::fs::rename(&held, &last).unwrap();
    let second = refresh(&["--cluster", &c.scheduler]);
    let e = &second["events"];
    assert_eq!(e["mode"], "appended", "{second}");
    assert_eq!(e["files_scanned"], 1, "{second}");
    assert!(
        e["reason"].as_str().unwrap().contains(&c.scheduler),
        "scanned on the cluster: {second}"
    );
    assert!(only_new_periods(&second), "{second}");
    let kept = all_values(w.path()).await;
    let forced = refresh(&["--force"]);
    assert_eq!(forced["events"]["mode"], "full", "{forced}");
    assert!(
        kept == all_values(w.path()).await,
        "the cluster's appended refresh differs from a full one here"
    );

    // A late file in one day's directory with a row without its event:
    // refused, the row named by its key, as from a database table.
    let day = std::fs::read_dir(parts.join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let first = std::fs::read_dir(&day)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let ctx = SessionContext::new();
    ctx.register_parquet("part", arg(&first), ParquetReadOptions::default())
        .await
        .unwrap();
    ctx.sql(&format!(
        "COPY (SELECT ts, 'u-late' AS user_id, account_id, CAST(NULL AS VARCHAR) AS event \
         FROM part LIMIT 1) TO '{}' STORED AS PARQUET",
        arg(&day.join("late.parquet"))
    ))
    .await
    .unwrap()
    .collect()
    .await
    .unwrap();
    let here = okapi(&["kpi", "--data", &arg(&parts)]);
    assert_eq!(here.code, Some(1), "refused here too: {}", here.stderr);
    let bad = okapi(&["kpi", "--data", &arg(&parts), "--cluster", &c.scheduler]);
    assert_eq!(bad.code, Some(1), "{}\n{}", bad.stdout, bad.stderr);
    assert!(bad.stdout.is_empty(), "no numbers: {}", bad.stdout);
    assert!(
        bad.stderr.contains("user_id = 'u-late' AND event IS NULL") && bad.stderr.contains("event"),
        "the bad row named by its key: {}",
        bad.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_executor_killed_mid_run_never_gives_a_wrong_number() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    demo(&one, "600", "600000");
    let parts = dir.path().join("parts");
    partition(&one, &parts).await;
    let args = |cluster: Option<&str>| {
        let mut a = vec![
            "kpi".to_string(),
            "--data".into(),
            arg(&parts),
            "--format".into(),
            "csv".into(),
        ];
        if let Some(c) = cluster {
            a.extend([
                "--cluster".into(),
                c.into(),
                "--cluster-tasks".into(),
                "8".into(),
                "--cluster-timeout".into(),
                "90".into(),
            ]);
        }
        a
    };
    let expected = okapi(&args(None));
    expected.expect_code(0);

    let mut c = cluster(dir.path());
    let run = std::thread::spawn({
        let a = args(Some(&c.scheduler));
        move || okapi(&a)
    });
    // Once the scan is under way, one executor dies.
    std::thread::sleep(Duration::from_millis(700));
    let mut victim = c.executors.remove(1);
    victim.0.kill().unwrap();
    let _ = victim.0.wait();
    let got = run.join().unwrap();
    match got.code {
        Some(0) => assert_eq!(
            got.stdout, expected.stdout,
            "completed on the survivor with other numbers"
        ),
        _ => assert!(
            got.stderr.contains("on the cluster at") && got.stdout.is_empty(),
            "a failure must be a clear error and print no numbers: {}\n{}",
            got.stdout,
            got.stderr
        ),
    }
}
