//! Random text as an OKR file: `okapi okr apply` answers every file, valid
//! or mangled, with a result or a clear error, in bounded time, never a
//! panic, and a dry run never writes.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::arg;
use crate::okrs::{init, snapshot};

/// A valid file to mangle.
const SEED: &str = r#"
vision = "Every SaaS team runs on numbers it trusts"

[[team]]
key = "marketing"
name = "Marketing"

[[cycle]]
key = "2027-Q1"
state = "active"

[[objective]]
key = "C-1"
cycle = "2027-Q1"
title = "Customers reach value in weeks"

[[objective.kr]]
key = "KR-1"
title = "Cut time to value from 65 to 55 days"
baseline = 65
target = 55
unit = "days"

[[objective]]
key = "M-1"
cycle = "2027-Q1"
parent = "C-1"
team = "marketing"
title = "Build a search channel"
"#;

/// Runs `okr apply FILE --dry-run` and returns its exit status and
/// stderr, failing if it takes more than 20 seconds.
fn apply(w: &Path, file: &Path) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_okapi"))
        .arg("--workspace")
        .arg(w)
        .args(["okr", "apply", &arg(file), "--dry-run"])
        .env_remove("OKAPI_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn okapi");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut err);
            }
            return (status.code(), err);
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("okr apply did not finish in 20 s on {}", file.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One edit of the seed: replace, insert or delete at a position.
fn edits() -> impl Strategy<Value = Vec<(usize, u8, String)>> {
    let piece = prop_oneof![
        Just("\"".to_string()),
        Just("[".to_string()),
        Just("]]".to_string()),
        Just("=".to_string()),
        Just("\n".to_string()),
        Just("-1e400".to_string()),
        Just("nan".to_string()),
        Just("O-18446744073709551616".to_string()),
        Just("parent = \"M-1\"\n".to_string()),
        Just("[[objective.kr]]\n".to_string()),
        "[a-z0-9 ._-]{0,12}",
        "\\PC{0,6}",
    ];
    prop::collection::vec((0usize..2000, 0u8..3, piece), 1..6)
}

fn mangle(seed: &str, edits: &[(usize, u8, String)]) -> String {
    let mut s: Vec<char> = seed.chars().collect();
    for (at, kind, piece) in edits {
        let at = (*at).min(s.len());
        match kind {
            0 if at < s.len() => {
                s.splice(at..at + 1, piece.chars());
            }
            1 => {
                s.splice(at..at, piece.chars());
            }
            _ => {
                let end = (at + piece.len()).min(s.len());
                s.drain(at..end);
            }
        }
    }
    s.into_iter().collect()
}

#[test]
fn mangled_okr_files_get_an_answer_never_a_panic() {
    let dir = init();
    let w = dir.path();
    let before = snapshot(w);
    let file = w.join("okrs.toml");
    let mut runner = TestRunner::new(Config {
        cases: 40,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = prop_oneof![
        edits().prop_map(|e| mangle(SEED, &e)),
        "\\PC{0,200}",
        prop::collection::vec(any::<u8>(), 0..300)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ];
    runner
        .run(&strategy, |text| {
            std::fs::write(&file, &text).expect("write file");
            let (code, stderr) = apply(w, &file);
            prop_assert!(
                code == Some(0) || code == Some(2),
                "exit {code:?} on:\n{text}\n--- stderr\n{stderr}"
            );
            prop_assert!(!stderr.contains("panicked"), "{stderr}");
            if code == Some(2) {
                prop_assert!(
                    stderr.contains("error"),
                    "an error without a message on:\n{text}\n{stderr}"
                );
            }
            Ok(())
        })
        .expect("every file gets an answer");
    // Dry runs wrote nothing.
    assert_eq!(snapshot(w), before);
}
