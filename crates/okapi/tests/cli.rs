//! Integration tests of the `okapi` binary: every test writes a small data
//! directory into a temporary directory and runs the built binary on it.
//!
//! One test binary (this file) holds every module, so that linking is paid
//! once; the modules live in `tests/cli/`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests: a failed unwrap or index is a failed test

#[path = "cli/bad_input.rs"]
mod bad_input;
#[cfg(feature = "cluster")]
#[path = "cli/cluster.rs"]
mod cluster;
#[path = "cli/hostile_input.rs"]
mod hostile_input;
#[path = "cli/okr_feedback.rs"]
mod okr_feedback;
#[path = "cli/okr_file_fuzz.rs"]
mod okr_file_fuzz;
#[path = "cli/okr_files.rs"]
mod okr_files;
#[path = "cli/okr_readings.rs"]
mod okr_readings;
#[path = "cli/okr_sheets.rs"]
mod okr_sheets;
#[path = "cli/okrs.rs"]
mod okrs;
#[path = "cli/outputs.rs"]
mod outputs;
#[path = "cli/partitioned.rs"]
mod partitioned;
#[path = "cli/postgres_source.rs"]
mod postgres_source;
#[path = "cli/ranges_and_segments.rs"]
mod ranges_and_segments;
#[path = "cli/refresh.rs"]
mod refresh;
#[path = "cli/store_safety.rs"]
mod store_safety;
#[path = "cli/visits.rs"]
mod visits;

use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Fails with both streams shown unless the run exited with `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit status {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "the binary panicked:\n{}",
            self.stderr
        );
        self
    }
}

/// Runs `okapi` with `args`, from an empty working directory (so that no
/// `okapi.toml` is picked up) and with stdout not a terminal.
pub fn okapi<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let cwd = TempDir::new().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_okapi"))
        .args(args)
        .current_dir(cwd.path())
        .env_remove("OKAPI_LOG")
        .env_remove("OKAPI_WORKSPACE")
        .env_remove("OKAPI_DATABASE_URL")
        .output()
        .expect("run okapi");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A data directory holding `files` (name, content).
pub fn data_dir(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    write_files(dir.path(), files);
    dir
}

pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write fixture");
    }
}

/// The path as an argument.
pub fn arg(p: &Path) -> String {
    p.to_str().expect("utf-8 path").to_string()
}
