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
    if file.format != Format::Parquet || threads <= 1 {
        return single(file, only, zone, new_sink, add);
    }
    let (builder, _, _) = super::parquet_reader::open(file, only)?;
    let groups: Vec<u64> = builder
        .metadata()
        .row_groups()
        .iter()
        .map(|g| {
            u64::try_from(g.num_rows()).map_err(|_| EngineError::File {
                file: file.display_name(),
                reason: format!(
                    "not a readable Parquet file: its footer gives a row group {} rows",
                    g.num_rows()
                ),
            })
        })
        .collect::<Result<_, _>>()?;
    if groups.len() < 2 {
        return single(file, only, zone, new_sink, add);
    }
    drop(builder);
    // Contiguous ranges of row groups with about equal rows. Row counts are
    // i64 in the footer: their sums are taken in u128, where no file can
    // overflow them.
    let total: u128 = groups.iter().map(|&n| u128::from(n)).sum();
    let mut ranges: Vec<(usize, usize, u64)> = Vec::new(); // (first group, end group, first row offset)
    let (mut start, mut acc, mut offset) = (0usize, 0u128, 0u64);
    for (i, n) in groups.iter().enumerate() {
        acc += u128::from(*n);
        let want = total * (ranges.len() as u128 + 1) / threads as u128;
        if acc >= want && ranges.len() + 1 < threads {
            ranges.push((start, i + 1, offset));
            offset = u64::try_from(acc).unwrap_or(u64::MAX);
            start = i + 1;
        }
    }
    if start < groups.len() {
        ranges.push((start, groups.len(), offset));
    }
    let results: Vec<Result<(Part<S>, ScanOutcome), EngineError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|&(first, end, offset)| {
                scope
                    .spawn(move || scan_part(file, only, zone, (first, end, offset), new_sink, add))
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

/// Scans row groups `first..end`, whose first row is numbered `offset + 1`.
fn scan_part<S>(
    file: &SourceFile,
    only: Option<&[&str]>,
    zone: Zone,
    (first, end, offset): (usize, usize, u64),
    new_sink: &(dyn Fn() -> S + Sync),
    add: &(dyn Fn(&mut S, &RecordBatch) + Sync),
) -> Result<(Part<S>, ScanOutcome), EngineError> {
    let mut sink = new_sink();
    let mut quality = QualityAccumulator::new(file.table, file.display_name(), zone);
    let mut outcome = ScanOutcome::default();
    super::parquet_reader::read_groups(
        file,
        only,
        Some((first..end).collect()),
        offset,
        &mut |v| {
            quality.add_issues(&v.issues);
            quality.add(&v.batch);
            if v.batch.num_rows() > 0 {
                add(&mut sink, &v.batch);
            }
            for i in v.issues {
                outcome.issues.push(i);
            }
            Ok(())
        },
    )?;
    Ok((Part { sink, quality }, outcome))
}
