//! `okapi check`: every table of a data directory read once (the events
//! table streamed, never held), with its quality report, its issues and,
//! when asked, every rejected row written to a quarantine file.

use okapi_core::timezone::Zone;

use super::quality::{QualityAccumulator, TableQuality};
use super::{Issues, Quarantine, scan_file};
use crate::error::EngineError;
use crate::source::DataDir;

/// Everything wrong with a data directory, found in one pass.
#[derive(Debug)]
pub struct CheckOutcome {
    pub quality: Vec<TableQuality>,
    /// The first issues in full, and the count of all of them.
    pub issues: Issues,
}

/// Checks every table of `dir`, bucketing the quality report's days in
/// `zone`; rejected rows go to `quarantine` as they are found.
pub fn check(
    dir: &DataDir,
    zone: Zone,
    mut quarantine: Option<&mut Quarantine>,
) -> Result<CheckOutcome, EngineError> {
    let mut out = CheckOutcome {
        quality: Vec::new(),
        issues: Issues::new(),
    };
    for file in dir.files.values() {
        let mut q = QualityAccumulator::new(file.table, file.display_name(), zone);
        let o = scan_file(
            file,
            &mut q,
            &mut |_| Ok(()),
            &mut |r| match &mut quarantine {
                Some(w) => w.write(r),
                None => Ok(()),
            },
        )?;
        out.quality.push(q.finish());
        out.issues.append(o.issues);
    }
    Ok(out)
}
