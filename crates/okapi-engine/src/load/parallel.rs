//! Scanning one big table on every core: a Parquet file's row groups are
//! split into contiguous parts, each read, validated and fed to its own
//! sink on its own thread; the parts come back in file order so that the
//! caller can merge them (and the quality report can check order across
//! part boundaries). Other formats are scanned as one part.
//!
//! A corrupt file is an error naming the file, whichever part finds it;
//! row counts read from a file's footer are checked before they are used.

use datafusion::arrow::record_batch::RecordBatch;
use okapi_core::timezone::Zone;

use super::quality::QualityAccumulator;
use super::{ScanOutcome, scan_columns};
use crate::error::EngineError;
use crate::source::{Format, SourceFile};

/// One part's sink and quality report, in file order.
pub struct Part<S> {
    pub sink: S,
    pub quality: QualityAccumulator,
}

/// Scans `file` in up to `threads` parts, the quality report's days in
/// `zone`. `new_sink` makes a part's sink; `add` feeds it a batch of valid
/// canonical rows.
pub fn scan_parallel<S: Send>(
    file: &SourceFile,
    threads: usize,
    only: Option<&[&str]>,
    zone: Zone,
    new_sink: &(dyn Fn() -> S + Sync),
    add: &(dyn Fn(&mut S, &RecordBatch) + Sync),
) -> Result<(Vec<Part<S>>, ScanOutcome), EngineError> {
    if file.format != Format::Parquet || (threads <= 1 && file.parts.is_empty()) {
        return single(file, only, zone, new_sink, add);
    }
    // Every row group of every file (one file, or a partitioned table's
    // files in path order): (file, group, rows, first row in its file).
    let files = file.files();
    let mut units: Vec<Unit> = Vec::new();
    for (f, part) in files.iter().enumerate() {
        let (builder, _, _) = super::parquet_reader::open(part, only)?;
        let mut offset = 0u64;
        for (g, rg) in builder.metadata().row_groups().iter().enumerate() {
            let rows = u64::try_from(rg.num_rows()).map_err(|_| EngineError::File {
                file: part.display_name(),
                reason: format!(
                    "not a readable Parquet file: its footer gives a row group {} rows",
                    rg.num_rows()
                ),
            })?;
            units.push(Unit {
                file: f,
                group: g,
                rows,
                offset,
            });
            offset = offset.saturating_add(rows);
        }
    }
    if files.len() == 1 && units.len() < 2 {
        return single(file, only, zone, new_sink, add);
    }
    // Contiguous ranges of row groups with about equal rows. Row counts are
    // i64 in the footer: their sums are taken in u128, where no file can
    // overflow them.
    let threads = threads.max(1);
    let total: u128 = units.iter().map(|u| u128::from(u.rows)).sum();
    let mut ranges: Vec<&[Unit]> = Vec::new();
    let (mut start, mut acc) = (0usize, 0u128);
    for (i, u) in units.iter().enumerate() {
        acc += u128::from(u.rows);
        let want = total * (ranges.len() as u128 + 1) / threads as u128;
        if acc >= want && ranges.len() + 1 < threads {
            ranges.push(units.get(start..i + 1).unwrap_or_default());
            start = i + 1;
        }
    }
    if start < units.len() {
        ranges.push(units.get(start..).unwrap_or_default());
    }
    let files = &files;
    let results: Vec<Result<(Part<S>, ScanOutcome), EngineError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|&range| {
                scope.spawn(move || scan_part(file, files, range, only, zone, new_sink, add))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(EngineError::File {
                        file: file.display_name(),
                        reason: "a scanning thread failed".into(),
                    })
                })
            })
            .collect()
    });
    let mut parts = Vec::new();
    let mut outcome = ScanOutcome::default();
    for r in results {
        let (part, o) = r?;
        parts.push(part);
        outcome.issues.append(o.issues);
    }
    Ok((parts, outcome))
}

/// One row group of one file of a table.
struct Unit {
    /// Index of its file.
    file: usize,
    group: usize,
    rows: u64,
    /// Rows of the file before this group.
    offset: u64,
}

fn single<S>(
    file: &SourceFile,
    only: Option<&[&str]>,
    zone: Zone,
    new_sink: &(dyn Fn() -> S + Sync),
    add: &(dyn Fn(&mut S, &RecordBatch) + Sync),
) -> Result<(Vec<Part<S>>, ScanOutcome), EngineError> {
    let mut sink = new_sink();
    let mut quality = QualityAccumulator::new(file.table, file.display_name(), zone);
    let outcome = scan_columns(
        file,
        only,
        &mut quality,
        &mut |b| {
            add(&mut sink, b);
            Ok(())
        },
        &mut |_| Ok(()),
    )?;
    Ok((vec![Part { sink, quality }], outcome))
}

/// Scans the row groups `units` (contiguous, in file order) of the files
/// `files` of `table` into one part.
fn scan_part<S>(
    table: &SourceFile,
    files: &[SourceFile],
    units: &[Unit],
    only: Option<&[&str]>,
    zone: Zone,
    new_sink: &(dyn Fn() -> S + Sync),
    add: &(dyn Fn(&mut S, &RecordBatch) + Sync),
) -> Result<(Part<S>, ScanOutcome), EngineError> {
    let mut sink = new_sink();
    let mut quality = QualityAccumulator::new(table.table, table.display_name(), zone);
    let mut outcome = ScanOutcome::default();
    // Runs of groups of one file.
    let mut i = 0;
    while let Some(first) = units.get(i) {
        let mut end = i + 1;
        while units.get(end).is_some_and(|u| u.file == first.file) {
            end += 1;
        }
        let groups: Vec<usize> = units
            .get(i..end)
            .unwrap_or_default()
            .iter()
            .map(|u| u.group)
            .collect();
        let Some(file) = files.get(first.file) else {
            break;
        };
        super::parquet_reader::read_groups(file, only, Some(groups), first.offset, &mut |v| {
            quality.add_issues(&v.issues);
            quality.add(&v.batch);
            if v.batch.num_rows() > 0 {
                add(&mut sink, &v.batch);
            }
            for i in v.issues {
                outcome.issues.push(i);
            }
            Ok(())
        })?;
        i = end;
    }
    Ok((Part { sink, quality }, outcome))
}
