//! An events scan saved between refreshes, so that new files of a
//! partitioned events table are scanned alone and folded in.
//!
//! The state is what a finished [`EventsScan`] holds: per user its day set
//! and first (onboarding) instants, per account its activity days, per
//! (account, user) pair its days, referrals, installs per day, the row
//! count and the instants the events span. Folding a scan of new rows into
//! it ([`EventsScan::merge`]) is the operation that joins the parts of a
//! parallel scan: unions of day sets, minimums of instants, sums of counts.
//! It gives the state of one scan over all the rows, whatever their order,
//! so appended files (new days, or late events of an old day) need only
//! their own scan. A file that changed or disappeared cannot be taken out
//! of a union: the caller then scans everything again.
//!
//! On disk, a directory of Arrow IPC files (`users.arrow`, `accounts.arrow`,
//! `pairs.arrow`, `referrals.arrow`, `installs.arrow`) and `meta.json`
//! (format version, the scan's settings, the files folded in with their
//! sizes and modification times). It is written beside the old one and
//! renamed over it, so a crash leaves the old state or the new one.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Int32Array, Int64Array, ListArray, StringArray, UInt32Array, UInt64Array,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::ipc::reader::FileReader;
use datafusion::arrow::ipc::writer::FileWriter;
use datafusion::arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::{EventOptions, EventsScan, Hot, Onboarding};
use crate::day_bits::DayBits;
use crate::error::EngineError;

/// The version of the layout below; another version is not read.
pub const VERSION: u32 = 1;

/// One file folded into a saved state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    /// The file's path from the data directory.
    pub name: String,
    pub size: u64,
    /// Modification time, nanoseconds since 1970-01-01 UTC.
    pub mtime_ns: i128,
}

impl FileStamp {
    /// The stamp of `path`, named `name`.
    pub fn of(path: &Path, name: String) -> Result<FileStamp, EngineError> {
        let meta = std::fs::metadata(path).map_err(|source| EngineError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let modified = meta.modified().map_err(|source| EngineError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mtime_ns = match modified.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
            Err(before) => -i128::try_from(before.duration().as_nanos()).unwrap_or(i128::MAX),
        };
        Ok(FileStamp {
            name,
            size: meta.len(),
            mtime_ns,
        })
    }
}

/// What `meta.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    pub version: u32,
    /// The scan's settings (time zone, event names, what it keeps): a
    /// state saved under other settings is not used.
    pub settings: String,
    /// The files folded in, in path order.
    pub files: Vec<FileStamp>,
    pub rows: u64,
    pub ts_range: Option<(i64, i64)>,
}

/// The settings of a scan that its state depends on, as text.
pub fn settings_key(opts: &EventOptions) -> String {
    let mut activity: Vec<&String> = opts.activity.iter().collect();
    activity.sort();
    format!(
        "zone={:?} activity={activity:?} onboarding={:?} referral={:?} install={:?} needs={:?} segment={}",
        opts.zone,
        opts.onboarding_completed,
        opts.referral_sent,
        opts.app_installed,
        opts.needs,
        opts.accounts.is_some()
    )
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> EngineError + '_ {
    move |source| EngineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A state that cannot be read: saved in `path`, or (an empty path) sent
/// by a cluster's executor.
fn corrupt(path: &Path, why: impl std::fmt::Display) -> EngineError {
    if path.as_os_str().is_empty() {
        return EngineError::File {
            file: "events".into(),
            reason: format!("a part of the events scan sent by an executor is unreadable ({why})"),
        };
    }
    EngineError::File {
        file: path.display().to_string(),
        reason: format!("saved events state unreadable ({why}); it will be rebuilt"),
    }
}

/// Day sets as two columns: bases and lists of words.
fn day_columns(sets: &[&DayBits]) -> (ArrayRef, ArrayRef) {
    let bases: Int32Array = sets.iter().map(|d| Some(d.parts().0)).collect();
    let mut offsets = Vec::with_capacity(sets.len() + 1);
    let mut words: Vec<u64> = Vec::new();
    offsets.push(0i32);
    for d in sets {
        words.extend_from_slice(d.parts().1);
        offsets.push(i32::try_from(words.len()).unwrap_or(i32::MAX));
    }
    let list = ListArray::new(
        Arc::new(Field::new_list_field(DataType::UInt64, false)),
        OffsetBuffer::new(offsets.into()),
        Arc::new(UInt64Array::from(words)),
        None,
    );
    (Arc::new(bases), Arc::new(list))
}

fn day_fields() -> [Field; 2] {
    [
        Field::new("base", DataType::Int32, false),
        Field::new(
            "words",
            DataType::List(Arc::new(Field::new_list_field(DataType::UInt64, false))),
            false,
        ),
    ]
}

fn write_file(path: &Path, batch: &RecordBatch) -> Result<(), EngineError> {
    let file = File::create(path).map_err(io(path))?;
    let mut w = FileWriter::try_new(file, &batch.schema())?;
    w.write(batch)?;
    w.finish()?;
    let file = w.into_inner()?;
    file.sync_all().map_err(io(path))
}

fn read_file(path: &Path) -> Result<Vec<RecordBatch>, EngineError> {
    let file = File::open(path).map_err(io(path))?;
    let reader = FileReader::try_new(file, None).map_err(|e| corrupt(path, e))?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| corrupt(path, e))
}

fn column<'a, T: 'static>(
    path: &Path,
    b: &'a RecordBatch,
    name: &str,
) -> Result<&'a T, EngineError> {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| corrupt(path, format!("no column {name}")))
}

/// The day sets of columns `base` and `words` of `b`.
fn day_sets(path: &Path, b: &RecordBatch) -> Result<Vec<DayBits>, EngineError> {
    let bases = column::<Int32Array>(path, b, "base")?;
    let words = column::<ListArray>(path, b, "words")?;
    let mut out = Vec::with_capacity(b.num_rows());
    for i in 0..b.num_rows() {
        let w = words.value(i);
        let w = w
            .as_any()
            .downcast_ref::<UInt64Array>()
            .ok_or_else(|| corrupt(path, "words are not u64"))?;
        let set = DayBits::from_parts(bases.value(i), w.values().to_vec())
            .ok_or_else(|| corrupt(path, "a day set out of range"))?;
        out.push(set);
    }
    Ok(out)
}

/// The names of the state's parts, in the order of [`to_batches`].
pub(super) const PARTS: [&str; 5] = ["users", "accounts", "pairs", "referrals", "installs"];

/// The finished `scan` as record batches, one per part of [`PARTS`].
pub(super) fn to_batches(scan: &EventsScan) -> Result<[RecordBatch; 5], EngineError> {
    // Users in index order.
    let mut names: Vec<&str> = vec![""; scan.user_days.len()];
    for (name, &u) in &scan.users {
        if let Some(slot) = names.get_mut(u as usize) {
            *slot = name;
        }
    }
    let (bases, words) = day_columns(&scan.user_days.iter().collect::<Vec<_>>());
    let [f_base, f_words] = day_fields();
    let users = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, false),
            f_base,
            f_words,
            Field::new("first", DataType::Int64, false),
            Field::new("completed", DataType::Int64, false),
        ])),
        vec![
            Arc::new(StringArray::from(names)),
            bases,
            words,
            Arc::new(Int64Array::from_iter_values(
                scan.onboarding.iter().map(|o| o.first),
            )),
            Arc::new(Int64Array::from_iter_values(
                scan.onboarding.iter().map(|o| o.completed),
            )),
        ],
    )?;

    let (bases, words) = day_columns(&scan.account_days.iter().collect::<Vec<_>>());
    let [f_base, f_words] = day_fields();
    let accounts = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, false),
            f_base,
            f_words,
        ])),
        vec![
            Arc::new(StringArray::from_iter_values(
                scan.account_names.iter().map(|n| n.as_ref()),
            )),
            bases,
            words,
        ],
    )?;

    let mut pairs: Vec<(&(u32, u32), &DayBits)> = scan.pairs.iter().collect();
    pairs.sort_by_key(|(k, _)| **k);
    let (bases, words) = day_columns(&pairs.iter().map(|(_, d)| *d).collect::<Vec<_>>());
    let [f_base, f_words] = day_fields();
    let pairs = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("account", DataType::UInt32, false),
            Field::new("user", DataType::UInt32, false),
            f_base,
            f_words,
        ])),
        vec![
            Arc::new(UInt32Array::from_iter_values(
                pairs.iter().map(|(k, _)| k.0),
            )),
            Arc::new(UInt32Array::from_iter_values(
                pairs.iter().map(|(k, _)| k.1),
            )),
            bases,
            words,
        ],
    )?;

    let referrals = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("user", DataType::UInt32, false),
            Field::new("day", DataType::Int32, false),
        ])),
        vec![
            Arc::new(UInt32Array::from_iter_values(
                scan.referrals.iter().map(|r| r.0),
            )),
            Arc::new(Int32Array::from_iter_values(
                scan.referrals.iter().map(|r| r.1),
            )),
        ],
    )?;

    let mut installs: Vec<(i32, u64)> = scan.installs.iter().map(|(d, n)| (*d, *n)).collect();
    installs.sort_unstable();
    let installs = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("day", DataType::Int32, false),
            Field::new("n", DataType::UInt64, false),
        ])),
        vec![
            Arc::new(Int32Array::from_iter_values(installs.iter().map(|r| r.0))),
            Arc::new(UInt64Array::from_iter_values(installs.iter().map(|r| r.1))),
        ],
    )?;

    Ok([users, accounts, pairs, referrals, installs])
}

/// Saves the finished `scan` with `meta` into `dir` (replacing what was
/// there).
pub fn save(scan: &EventsScan, meta: &Meta, dir: &Path) -> Result<(), EngineError> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    // A name of its own, so that two saves at once never share it.
    let tmp = sibling(
        dir,
        &format!(
            "new-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ),
    );
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;

    for (name, batch) in PARTS.iter().zip(to_batches(scan)?) {
        write_file(&tmp.join(format!("{name}.arrow")), &batch)?;
    }

    let meta_path = tmp.join("meta.json");
    let text = serde_json::to_vec_pretty(meta).map_err(|e| EngineError::Write {
        path: meta_path.clone(),
        reason: e.to_string(),
    })?;
    std::fs::write(&meta_path, text).map_err(io(&meta_path))?;

    // The new state replaces the old one: old → .old, new → dir, drop .old.
    let old = sibling(dir, "old");
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    if dir.exists() {
        std::fs::rename(dir, &old).map_err(io(dir))?;
    }
    std::fs::rename(&tmp, dir).map_err(io(dir))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(())
}

/// Removes the state saved in `dir` (and a half-replaced one), so that the
/// next scan is a full one.
pub fn forget(dir: &Path) -> Result<(), EngineError> {
    for d in [dir.to_path_buf(), sibling(dir, "old")] {
        if d.exists() {
            std::fs::remove_dir_all(&d).map_err(io(&d))?;
        }
    }
    Ok(())
}

/// `dir` with `.suffix` added to its name.
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{suffix}"));
    dir.with_file_name(name)
}

/// The state saved in `dir` for a scan with `opts`: `None` when there is
/// none, or it was saved by another version or under other settings.
/// A crash between the renames of [`save`] leaves only `.old`: it is used.
pub fn load(dir: &Path, opts: &EventOptions) -> Result<Option<(Meta, EventsScan)>, EngineError> {
    let Some((dir, meta)) = find_meta(dir)? else {
        return Ok(None);
    };
    if meta.settings != settings_key(opts) {
        return Ok(None);
    }
    let mut parts: [Vec<RecordBatch>; 5] = Default::default();
    for (name, part) in PARTS.iter().zip(parts.iter_mut()) {
        *part = read_file(&dir.join(format!("{name}.arrow")))?;
    }
    let scan = restore(opts, &dir, parts, meta.rows, meta.ts_range)?;
    Ok(Some((meta, scan)))
}

/// The directory the state saved in `dir` is read from (`dir`, or the
/// old state a crash left beside it) and its `meta.json`; `None` when
/// there is none of this version.
fn find_meta(dir: &Path) -> Result<Option<(PathBuf, Meta)>, EngineError> {
    let dir = if dir.exists() {
        dir.to_path_buf()
    } else {
        let old = sibling(dir, "old");
        if !old.exists() {
            return Ok(None);
        }
        old
    };
    let meta_path = dir.join("meta.json");
    let text = match std::fs::read(&meta_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&meta_path)(e)),
    };
    match serde_json::from_slice::<Meta>(&text) {
        Ok(meta) if meta.version == VERSION => Ok(Some((dir, meta))),
        _ => Ok(None),
    }
}

/// The `meta.json` of the state saved in `dir`, without reading the state
/// (the files it holds, to know what data it describes); `None` when there
/// is none of this version.
pub fn load_meta(dir: &Path) -> Result<Option<Meta>, EngineError> {
    Ok(find_meta(dir)?.map(|(_, meta)| meta))
}

/// A finished scan with `opts` from its parts' batches (as
/// [`to_batches`] makes them), `rows` events over the instants `ts_range`;
/// `path` names the state in errors.
pub(super) fn restore(
    opts: &EventOptions,
    path: &Path,
    parts: [Vec<RecordBatch>; 5],
    rows: u64,
    ts_range: Option<(i64, i64)>,
) -> Result<EventsScan, EngineError> {
    let [users, accounts, pairs, referrals, installs] = parts;
    let mut scan = EventsScan::new(opts.clone());
    for b in users {
        let names = column::<StringArray>(path, &b, "name")?;
        let first = column::<Int64Array>(path, &b, "first")?;
        let completed = column::<Int64Array>(path, &b, "completed")?;
        for (i, days) in day_sets(path, &b)?.into_iter().enumerate() {
            let u = scan.user(names.value(i));
            let ui = u as usize;
            match (scan.user_days.get_mut(ui), scan.onboarding.get_mut(ui)) {
                (Some(d), Some(o)) => {
                    *d = days;
                    *o = Onboarding {
                        first: first.value(i),
                        completed: completed.value(i),
                    };
                }
                _ => return Err(corrupt(path, "a user without state")),
            }
        }
    }
    for b in accounts {
        let names = column::<StringArray>(path, &b, "name")?;
        for (i, days) in day_sets(path, &b)?.into_iter().enumerate() {
            let a = scan.account(names.value(i));
            match scan.account_days.get_mut(a as usize) {
                Some(d) => *d = days,
                None => return Err(corrupt(path, "an account without state")),
            }
        }
    }
    let (users, accounts) = (scan.user_days.len(), scan.account_days.len());
    for b in pairs {
        let acc = column::<UInt32Array>(path, &b, "account")?;
        let user = column::<UInt32Array>(path, &b, "user")?;
        for (i, days) in day_sets(path, &b)?.into_iter().enumerate() {
            let (a, u) = (acc.value(i), user.value(i));
            if a as usize >= accounts || u as usize >= users {
                return Err(corrupt(path, "a pair of unknown ids"));
            }
            scan.pairs.insert((a, u), days);
        }
    }
    for b in referrals {
        let user = column::<UInt32Array>(path, &b, "user")?;
        let day = column::<Int32Array>(path, &b, "day")?;
        for i in 0..b.num_rows() {
            if user.value(i) as usize >= users {
                return Err(corrupt(path, "a referral by an unknown user"));
            }
            scan.referrals.push((user.value(i), day.value(i)));
        }
    }
    for b in installs {
        let day = column::<Int32Array>(path, &b, "day")?;
        let n = column::<UInt64Array>(path, &b, "n")?;
        for i in 0..b.num_rows() {
            scan.installs.insert(day.value(i), n.value(i));
        }
    }
    scan.rows = rows;
    scan.ts_range = ts_range;
    for h in &mut scan.hot {
        *h = Hot::default();
    }
    Ok(scan)
}
