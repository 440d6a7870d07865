//! A fault-injection point for the crash-safety tests: with
//! `OKAPI_PAUSE_AFTER_WRITES=N` set, a multi-row write (`okr apply`,
//! `import`) stops after its N-th row write, says so on stderr and waits,
//! so that a test can kill the process in the middle of the transaction.
//! Unset (always, in normal use), it does nothing.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

static WRITES: AtomicU64 = AtomicU64::new(0);

pub fn after_write() {
    let Some(n) = std::env::var("OKAPI_PAUSE_AFTER_WRITES")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return;
    };
    let done = WRITES.fetch_add(1, Ordering::SeqCst) + 1;
    if done == n {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "okapi: paused after {done} writes");
        let _ = err.flush();
        std::thread::sleep(std::time::Duration::from_secs(120));
    }
}
