//! OKRs as a spreadsheet: a cycle written as a workbook (`okapi okr
//! export --format xlsx|csv`) and a workbook applied back (`okapi okr
//! import FILE`).
//!
//! The workbook has two sheets:
//!
//! - `Key results`: one row per key result (and one per objective that
//!   has none, its `KR` cell blank), with its objective's and its cycle's
//!   columns repeated on each row ([`KR_COLUMNS`]);
//! - `Check-ins`: one row per check-in, oldest first ([`CHECKIN_COLUMNS`]).
//!
//! As CSV, the key results are the file itself and the check-ins a second
//! file beside it, `NAME.checkins.csv` ([`checkins_csv_path`]).
//!
//! Importing turns the rows into the same [`OkrFile`] `okapi okr apply`
//! reads and applies it through the same path ([`okr_file::apply_at`]):
//! rows are matched by key, a missing one is created, a different one
//! updated, an equal one left alone; rows absent from the sheet are kept.
//! Check-ins are history: a row is added unless the key result already has
//! a check-in on the same day with the same value (counted, so that two
//! equal check-ins in the sheet are two in the workspace). Importing the
//! same sheet twice changes nothing the second time. The computed columns
//! (`current`, `score`, `grade`, `confidence`, `last note`) are written for
//! people and ignored on import. The whole import is one transaction: any
//! error, and nothing is written; an error names the file, the sheet, the
//! row as the spreadsheet numbers it and, for a cell, its column.
//!
//! Columns are found by their header (in any order, any case); a missing
//! optional column reads as blank, an unknown one is refused. The
//! objective's and the cycle's columns may be left blank after the first
//! row of an objective (or of a cycle); a value that differs from an
//! earlier row's is refused.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use okapi_core::okr::{Confidence, CycleState, KrKind, KrType, ObjectiveState};
use okapi_core::period::Grain;
use okapi_core::review::{Funnel, Level, Maturity};
use okapi_store::{CheckIn, CheckInSource, NewCheckIn, Session, StoreError, check_key};
use serde::Serialize;
use toml::Spanned;

use crate::error::{AppError, Context};
use crate::kpi_reader::KpiReader;
use crate::location::Location;
use crate::okr_file::{self, Change, CycleSpec, KrSpec, Locate, ObjectiveSpec, OkrFile};
use crate::status::{cycle_status, kr_status};
use crate::workspace::Workspace;

type Result<T> = std::result::Result<T, AppError>;

/// The name of the key results sheet.
pub const KR_SHEET: &str = "Key results";
/// The name of the check-ins sheet.
pub const CHECKIN_SHEET: &str = "Check-ins";

/// A workbook's format, from its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SheetFormat {
    Xlsx,
    Csv,
}

impl SheetFormat {
    /// The format a file name's extension says.
    pub fn of_path(path: &Path) -> Result<SheetFormat> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("xlsx") => Ok(SheetFormat::Xlsx),
            Some("csv") => Ok(SheetFormat::Csv),
            _ => Err(AppError::Invalid(format!(
                "{}: a spreadsheet is a .xlsx or a .csv file",
                path.display()
            ))),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            SheetFormat::Xlsx => "xlsx",
            SheetFormat::Csv => "csv",
        }
    }
}

/// The check-ins file beside a CSV of key results: `okrs.csv` →
/// `okrs.checkins.csv`.
pub fn checkins_csv_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{stem}.checkins.csv"))
}

// ---- columns ----------------------------------------------------------------

/// A column of the key results sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KrCol {
    Cycle,
    Objective,
    ObjectiveTitle,
    Owner,
    Team,
    Kr,
    KrTitle,
    Kind,
    Baseline,
    Target,
    Current,
    Score,
    Grade,
    Confidence,
    LastNote,
    Unit,
    KrOwner,
    Kpi,
    Segment,
    Grain,
    Below,
    Due,
    Weight,
    Type,
    Funnel,
    Leading,
    Maturity,
    KrWhy,
    ObjectiveWhy,
    Level,
    Parent,
    Committed,
    ObjectiveState,
    CycleName,
    CycleStart,
    CycleEnd,
    CycleState,
}

/// The key results sheet's columns, in the order written, with their
/// headers.
pub const KR_COLUMNS: &[(KrCol, &str)] = &[
    (KrCol::Cycle, "cycle"),
    (KrCol::Objective, "objective"),
    (KrCol::ObjectiveTitle, "objective title"),
    (KrCol::Owner, "owner"),
    (KrCol::Team, "team"),
    (KrCol::Kr, "KR"),
    (KrCol::KrTitle, "KR title"),
    (KrCol::Kind, "kind"),
    (KrCol::Baseline, "baseline"),
    (KrCol::Target, "target"),
    (KrCol::Current, "current"),
    (KrCol::Score, "score"),
    (KrCol::Grade, "grade"),
    (KrCol::Confidence, "confidence"),
    (KrCol::LastNote, "last note"),
    (KrCol::Unit, "unit"),
    (KrCol::KrOwner, "KR owner"),
    (KrCol::Kpi, "kpi"),
    (KrCol::Segment, "segment"),
    (KrCol::Grain, "grain"),
    (KrCol::Below, "below"),
    (KrCol::Due, "due"),
    (KrCol::Weight, "weight"),
    (KrCol::Type, "type"),
    (KrCol::Funnel, "funnel"),
    (KrCol::Leading, "leading"),
    (KrCol::Maturity, "maturity"),
    (KrCol::KrWhy, "KR why"),
    (KrCol::ObjectiveWhy, "objective why"),
    (KrCol::Level, "level"),
    (KrCol::Parent, "parent"),
    (KrCol::Committed, "committed"),
    (KrCol::ObjectiveState, "objective state"),
    (KrCol::CycleName, "cycle name"),
    (KrCol::CycleStart, "cycle start"),
    (KrCol::CycleEnd, "cycle end"),
    (KrCol::CycleState, "cycle state"),
];

/// The computed columns: written, ignored on import.
pub const COMPUTED: &[KrCol] = &[
    KrCol::Current,
    KrCol::Score,
    KrCol::Grade,
    KrCol::Confidence,
    KrCol::LastNote,
];

/// The columns of a key result (blank on a row of an objective alone).
const KR_FIELDS: &[KrCol] = &[
    KrCol::KrTitle,
    KrCol::Kind,
    KrCol::Baseline,
    KrCol::Target,
    KrCol::Unit,
    KrCol::KrOwner,
    KrCol::Kpi,
    KrCol::Segment,
    KrCol::Grain,
    KrCol::Below,
    KrCol::Due,
    KrCol::Weight,
    KrCol::Type,
    KrCol::Funnel,
    KrCol::Leading,
    KrCol::Maturity,
    KrCol::KrWhy,
];

/// A column of the check-ins sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckInCol {
    Kr,
    Date,
    Value,
    Confidence,
    Note,
    Author,
    Source,
}

/// The check-ins sheet's columns, in the order written.
pub const CHECKIN_COLUMNS: &[(CheckInCol, &str)] = &[
    (CheckInCol::Kr, "KR"),
    (CheckInCol::Date, "date"),
    (CheckInCol::Value, "value"),
    (CheckInCol::Confidence, "confidence"),
    (CheckInCol::Note, "note"),
    (CheckInCol::Author, "author"),
    (CheckInCol::Source, "source"),
];

// ---- cells and sheets -----------------------------------------------------

/// One cell, as written or as read.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Cell {
    #[default]
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
    /// A UTC instant, to the second.
    DateTime(NaiveDateTime),
    /// A spreadsheet error (`#N/A`, `#DIV/0!`).
    Error(String),
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    fn opt_text(s: Option<&str>) -> Cell {
        s.map_or(Cell::Empty, Cell::text)
    }

    fn opt_number(v: Option<f64>) -> Cell {
        v.map_or(Cell::Empty, Cell::Number)
    }

    fn opt_bool(v: Option<bool>) -> Cell {
        v.map_or(Cell::Empty, Cell::Bool)
    }

    fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text, as a CSV holds it.
    fn to_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(v) => v.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            Cell::Error(e) => e.clone(),
        }
    }
}

/// A sheet to write: its name, headers and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub name: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// A cycle as a workbook.
#[derive(Debug, Clone, PartialEq)]
pub struct Workbook {
    pub cycle: String,
    pub key_results: Sheet,
    pub checkins: Sheet,
    pub objectives: usize,
    pub key_result_count: usize,
    pub checkin_count: usize,
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    pub cycle: String,
    pub format: SheetFormat,
    pub files: Vec<PathBuf>,
    pub objectives: usize,
    pub key_results: usize,
    pub checkins: usize,
}

// ---- export ---------------------------------------------------------------

/// A cycle as a workbook, its computed columns on `today` (held to the
/// cycle's dates).
pub async fn workbook(ws: &Workspace, cycle: &str, today: NaiveDate) -> Result<Workbook> {
    let mut s = ws.read_session().await?;
    let c = s.cycle(cycle).await?;
    let objectives = s.objectives(Some(&c.key)).await?;
    let krs = s.key_results(Some(&c.key)).await?;
    let mut checkins = s.checkins(None, Some(&c.key)).await?;
    s.commit().await?;
    checkins.sort_by_key(|ci| (ci.at, ci.seq));
    let on = okapi_core::pace::status_day(c.start, c.end, today);
    let status = cycle_status(
        &c,
        &objectives,
        &krs,
        &checkins,
        on,
        ws.settings.okrs.pace_tolerance,
    );
    let kr_status: HashMap<&str, &crate::status::KrStatus> = status
        .objectives
        .iter()
        .flat_map(|o| o.krs.iter())
        .map(|k| (k.key.as_str(), k))
        .collect();

    let mut rows = Vec::new();
    for o in &objectives {
        let objective_cells = |col: KrCol| -> Option<Cell> {
            Some(match col {
                KrCol::Cycle => Cell::text(&c.key),
                KrCol::Objective => Cell::text(&o.key),
                KrCol::ObjectiveTitle => Cell::text(&o.title),
                KrCol::Owner => Cell::opt_text(o.owner.as_deref()),
                KrCol::Team => Cell::opt_text(o.team.as_deref()),
                KrCol::ObjectiveWhy => Cell::opt_text(o.why.as_deref()),
                KrCol::Level => Cell::text(o.level.as_str()),
                KrCol::Parent => Cell::opt_text(o.parent.as_deref()),
                KrCol::Committed => Cell::Bool(o.committed),
                KrCol::ObjectiveState => Cell::text(o.state.as_str()),
                KrCol::CycleName => Cell::text(&c.name),
                KrCol::CycleStart => Cell::Date(c.start),
                KrCol::CycleEnd => Cell::Date(c.end),
                KrCol::CycleState => Cell::text(c.state.as_str()),
                _ => return None,
            })
        };
        let mine: Vec<_> = krs.iter().filter(|k| k.objective == o.key).collect();
        if mine.is_empty() {
            rows.push(
                KR_COLUMNS
                    .iter()
                    .map(|(col, _)| objective_cells(*col).unwrap_or_default())
                    .collect(),
            );
        }
        for k in mine {
            let st = kr_status.get(k.key.as_str());
            let row = KR_COLUMNS
                .iter()
                .map(|(col, _)| {
                    if let Some(cell) = objective_cells(*col) {
                        return cell;
                    }
                    match col {
                        KrCol::Kr => Cell::text(&k.key),
                        KrCol::KrTitle => Cell::text(&k.title),
                        KrCol::Kind => Cell::text(k.kind.as_str()),
                        KrCol::Baseline => Cell::opt_number(k.baseline),
                        KrCol::Target => Cell::opt_number(k.target),
                        KrCol::Current => Cell::opt_number(st.and_then(|s| s.current)),
                        KrCol::Score => Cell::opt_number(st.map(|s| s.score)),
                        KrCol::Grade => Cell::opt_text(st.map(|s| s.grade.as_str())),
                        KrCol::Confidence => {
                            Cell::opt_text(st.and_then(|s| s.confidence).map(|c| c.as_str()))
                        }
                        KrCol::LastNote => Cell::opt_text(st.and_then(|s| s.last_note.as_deref())),
                        KrCol::Unit => Cell::opt_text(k.unit.as_deref()),
                        KrCol::KrOwner => Cell::opt_text(k.owner.as_deref()),
                        KrCol::Kpi => Cell::opt_text(k.kpi.as_deref()),
                        KrCol::Segment => Cell::opt_text(k.segment.as_deref()),
                        KrCol::Grain => Cell::opt_text(k.grain.as_deref()),
                        KrCol::Below => Cell::opt_bool(k.above.map(|a| !a)),
                        KrCol::Due => k.due.map_or(Cell::Empty, Cell::Date),
                        KrCol::Weight => Cell::Number(k.weight),
                        KrCol::Type => Cell::opt_text(k.kr_type.map(|t| t.as_str())),
                        KrCol::Funnel => Cell::opt_text(k.funnel.map(|f| f.as_str())),
                        KrCol::Leading => Cell::opt_bool(k.leading),
                        KrCol::Maturity => Cell::opt_text(k.maturity.map(|m| m.as_str())),
                        KrCol::KrWhy => Cell::opt_text(k.why.as_deref()),
                        _ => Cell::Empty,
                    }
                })
                .collect();
            rows.push(row);
        }
    }

    let checkin_rows = checkins
        .iter()
        .map(|ci| {
            CHECKIN_COLUMNS
                .iter()
                .map(|(col, _)| match col {
                    CheckInCol::Kr => Cell::text(&ci.kr),
                    CheckInCol::Date => date_cell(ci.at),
                    CheckInCol::Value => Cell::opt_number(ci.value),
                    CheckInCol::Confidence => Cell::text(ci.confidence.as_str()),
                    CheckInCol::Note => Cell::opt_text(ci.note.as_deref()),
                    CheckInCol::Author => Cell::opt_text(ci.author.as_deref()),
                    CheckInCol::Source => Cell::text(ci.source.as_str()),
                })
                .collect()
        })
        .collect();

    Ok(Workbook {
        cycle: c.key.clone(),
        key_results: Sheet {
            name: KR_SHEET,
            headers: KR_COLUMNS.iter().map(|(_, h)| *h).collect(),
            rows,
        },
        checkins: Sheet {
            name: CHECKIN_SHEET,
            headers: CHECKIN_COLUMNS.iter().map(|(_, h)| *h).collect(),
            rows: checkin_rows,
        },
        objectives: objectives.len(),
        key_result_count: krs.len(),
        checkin_count: checkins.len(),
    })
}

/// A check-in's instant as a cell: a date at midnight, else the instant to
/// the second.
fn date_cell(at: DateTime<Utc>) -> Cell {
    let t = at.naive_utc();
    if t.time() == NaiveTime::MIN {
        Cell::Date(t.date())
    } else {
        Cell::DateTime(t.with_nanosecond(0).unwrap_or(t))
    }
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("writing the workbook: {e}"))
}

/// The workbook as an `.xlsx` file's bytes.
pub fn xlsx_bytes(book: &Workbook) -> Result<Vec<u8>> {
    use rust_xlsxwriter::Format;
    let bold = Format::new().set_bold();
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let instant = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let mut wb = rust_xlsxwriter::Workbook::new();
    for sheet in [&book.key_results, &book.checkins] {
        let ws = wb.add_worksheet();
        ws.set_name(sheet.name).map_err(xlsx_error)?;
        for (i, h) in sheet.headers.iter().enumerate() {
            ws.write_string_with_format(0, col_num(i)?, *h, &bold)
                .map_err(xlsx_error)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = u32::try_from(r + 1)
                .map_err(|_| AppError::Invalid("too many rows for a spreadsheet".into()))?;
            for (i, cell) in row.iter().enumerate() {
                let c = col_num(i)?;
                match cell {
                    Cell::Empty => {}
                    Cell::Text(s) | Cell::Error(s) => {
                        ws.write_string(r, c, s).map_err(xlsx_error)?;
                    }
                    Cell::Number(v) => {
                        ws.write_number(r, c, *v).map_err(xlsx_error)?;
                    }
                    Cell::Bool(b) => {
                        ws.write_boolean(r, c, *b).map_err(xlsx_error)?;
                    }
                    Cell::Date(d) => {
                        let dt = excel_date(*d)?;
                        ws.write_datetime_with_format(r, c, &dt, &day)
                            .map_err(xlsx_error)?;
                    }
                    Cell::DateTime(t) => {
                        let dt = excel_date(t.date())?
                            .and_hms(
                                u16::try_from(t.hour()).unwrap_or(0),
                                u8::try_from(t.minute()).unwrap_or(0),
                                t.second(),
                            )
                            .map_err(xlsx_error)?;
                        ws.write_datetime_with_format(r, c, &dt, &instant)
                            .map_err(xlsx_error)?;
                    }
                }
            }
        }
        ws.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        ws.set_autofit_max_width(420);
        ws.autofit();
    }
    wb.save_to_buffer().map_err(xlsx_error)
}

fn col_num(i: usize) -> Result<u16> {
    u16::try_from(i).map_err(|_| AppError::Invalid("too many columns for a spreadsheet".into()))
}

fn excel_date(d: NaiveDate) -> Result<rust_xlsxwriter::ExcelDateTime> {
    use chrono::Datelike;
    let year = u16::try_from(d.year())
        .map_err(|_| AppError::Invalid(format!("{d}: a spreadsheet holds years 1900 to 9999")))?;
    rust_xlsxwriter::ExcelDateTime::from_ymd(
        year,
        u8::try_from(d.month()).unwrap_or(1),
        u8::try_from(d.day()).unwrap_or(1),
    )
    .map_err(xlsx_error)
}

/// Whether a spreadsheet would take text starting like `s` for a formula
/// (`=`, `+`, `-`, `@`, a tab or a carriage return first).
fn formula_like(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A text cell as written to CSV: one that a spreadsheet would run as a
/// formula (or one that already starts with the quote that disarms it)
/// gets a leading `'`, which spreadsheets show as text and
/// [`csv_cell`] takes off again. Numbers are not text: `-5` stays `-5`.
fn csv_safe(s: &str) -> std::borrow::Cow<'_, str> {
    if formula_like(s)
        || s.strip_prefix('\'')
            .is_some_and(|r| formula_like(r) || r.starts_with('\''))
    {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A CSV cell as read: the quote [`csv_safe`] added is taken off.
fn csv_cell(s: &str) -> String {
    match s.strip_prefix('\'') {
        Some(rest) if formula_like(rest) || rest.starts_with('\'') => rest.to_string(),
        _ => s.to_string(),
    }
}

/// A sheet as CSV text (text that a spreadsheet would run as a formula is
/// disarmed: see [`csv_safe`]).
pub fn csv_text(sheet: &Sheet) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
    w.write_record(&sheet.headers).map_err(err)?;
    for row in &sheet.rows {
        w.write_record(row.iter().map(|c| match c {
            Cell::Text(t) => csv_safe(t).into_owned(),
            other => other.to_text(),
        }))
        .map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(format!("writing CSV: {e}")))
}

/// Writes a file whole: beside, then renamed, so that a reader never sees
/// half of one.
async fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    tokio::fs::write(&tmp, bytes)
        .await
        .map_err(AppError::write_to(&tmp))?;
    tokio::fs::rename(&tmp, path)
        .await
        .map_err(AppError::write_to(path))
}

/// Exports cycle `cycle` to `out` in `format` (the check-ins of a CSV
/// beside it, [`checkins_csv_path`]), its computed columns on `today`.
pub async fn export(
    ws: &Workspace,
    cycle: &str,
    format: SheetFormat,
    out: &Path,
    today: NaiveDate,
) -> Result<Exported> {
    let book = workbook(ws, cycle, today).await?;
    let files = match format {
        SheetFormat::Xlsx => {
            write_whole(out, &xlsx_bytes(&book)?).await?;
            vec![out.to_path_buf()]
        }
        SheetFormat::Csv => {
            let second = checkins_csv_path(out);
            write_whole(out, csv_text(&book.key_results)?.as_bytes()).await?;
            write_whole(&second, csv_text(&book.checkins)?.as_bytes()).await?;
            vec![out.to_path_buf(), second]
        }
    };
    Ok(Exported {
        cycle: book.cycle,
        format,
        files,
        objectives: book.objectives,
        key_results: book.key_result_count,
        checkins: book.checkin_count,
    })
}

// ---- reading --------------------------------------------------------------

/// A sheet as read: where it is (for errors), its header and its rows,
/// each with its number as the spreadsheet shows it.
#[derive(Debug, Clone)]
struct RawSheet {
    /// `okrs.xlsx, sheet `Key results`` or `okrs.csv`.
    place: String,
    header_row: u32,
    rows: Vec<(u32, Vec<Cell>)>,
}

/// A column's letters: 0 → A, 26 → AA.
fn letters(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn calamine_cell(d: &calamine::Data) -> Cell {
    use calamine::Data;
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, da, h, mi, s, ms) = dt.to_ymd_hms_milli();
            let date = NaiveDate::from_ymd_opt(i32::from(y), u32::from(mo), u32::from(da));
            let time = NaiveTime::from_hms_opt(u32::from(h), u32::from(mi), u32::from(s));
            match (date, time) {
                (Some(d), Some(t)) if t == NaiveTime::MIN && ms == 0 => Cell::Date(d),
                (Some(d), Some(t)) => {
                    // Excel keeps milliseconds; the sheet was written to
                    // the second.
                    let t = d.and_time(t);
                    let up = chrono::TimeDelta::try_seconds(1)
                        .and_then(|one| t.checked_add_signed(one))
                        .unwrap_or(t);
                    Cell::DateTime(if ms >= 500 { up } else { t })
                }
                _ => Cell::Number(dt.as_f64()),
            }
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// Reads the sheets of an `.xlsx` file: the key results, and the check-ins
/// when the workbook has them. Other sheets are left alone.
fn read_xlsx(path: &Path, bytes: Vec<u8>) -> Result<(RawSheet, Option<RawSheet>)> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| {
            AppError::Invalid(format!(
                "{}: not a readable .xlsx file: {e}",
                path.display()
            ))
        })?;
    let names = wb.sheet_names();
    let find = |want: &str| {
        names
            .iter()
            .find(|n| n.trim().eq_ignore_ascii_case(want))
            .cloned()
    };
    let mut read = |name: &str| -> Result<RawSheet> {
        let range = wb
            .worksheet_range(name)
            .map_err(|e| AppError::Invalid(format!("{}, sheet `{name}`: {e}", path.display())))?;
        let (top, left) = range.start().unwrap_or((0, 0));
        let mut rows = Vec::new();
        for (i, r) in range.rows().enumerate() {
            let number = top + u32::try_from(i).unwrap_or(u32::MAX - top) + 1;
            // Columns before the range's first are blank.
            let mut cells = vec![Cell::Empty; left as usize];
            cells.extend(r.iter().map(calamine_cell));
            rows.push((number, cells));
        }
        Ok(RawSheet {
            place: format!("{}, sheet `{name}`", path.display()),
            header_row: 0,
            rows,
        })
    };
    let krs = match find(KR_SHEET) {
        Some(n) => read(&n)?,
        None => {
            return Err(AppError::Invalid(format!(
                "{}: no sheet `{KR_SHEET}` (the workbook has {})",
                path.display(),
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    };
    let checkins = find(CHECKIN_SHEET).map(|n| read(&n)).transpose()?;
    Ok((krs, checkins))
}

/// Reads a CSV file: every cell text, rows numbered from 1 (the header).
fn read_csv(path: &Path, bytes: &[u8]) -> Result<RawSheet> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let rec =
            rec.map_err(|e| AppError::Invalid(format!("{}, row {number}: {e}", path.display())))?;
        rows.push((
            number,
            rec.iter().map(|s| Cell::Text(csv_cell(s))).collect(),
        ));
    }
    Ok(RawSheet {
        place: path.display().to_string(),
        header_row: 0,
        rows,
    })
}

/// A sheet whose header was matched against the columns `T`.
struct Table<T: 'static> {
    place: String,
    columns: &'static [(T, &'static str)],
    /// Column index of each column present, and its header as written.
    index: HashMap<T, (usize, String)>,
    rows: Vec<(u32, Vec<Cell>)>,
}

fn norm(h: &str) -> String {
    h.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl<T: Copy + Eq + std::hash::Hash> Table<T> {
    /// Matches the first row against `columns`; `required` must be there.
    fn new(
        mut raw: RawSheet,
        columns: &'static [(T, &'static str)],
        required: &[T],
    ) -> Result<Table<T>> {
        // The header is the first row with anything in it.
        let first = raw
            .rows
            .iter()
            .position(|(_, cells)| cells.iter().any(|c| !c.is_blank()));
        let Some(first) = first else {
            return Err(AppError::Invalid(format!(
                "{}: the sheet is empty (its first row names the columns)",
                raw.place
            )));
        };
        let rest = raw.rows.split_off(first + 1);
        let (header_row, header) = raw.rows.pop().unwrap_or_default();
        raw.header_row = header_row;
        let mut index = HashMap::new();
        let mut blank_headers = Vec::new();
        for (i, cell) in header.iter().enumerate() {
            let name = cell.to_text();
            if name.trim().is_empty() {
                blank_headers.push(i);
                continue;
            }
            let Some((col, _)) = columns.iter().find(|(_, h)| norm(h) == norm(&name)) else {
                return Err(AppError::Invalid(format!(
                    "{}, row {header_row}, column {}: unknown column `{}` (the columns are {})",
                    raw.place,
                    letters(i),
                    name.trim(),
                    columns
                        .iter()
                        .map(|(_, h)| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            if let Some((j, _)) = index.insert(*col, (i, name.trim().to_string())) {
                return Err(AppError::Invalid(format!(
                    "{}, row {header_row}, column {}: column `{}` appears twice (also column {})",
                    raw.place,
                    letters(i),
                    name.trim(),
                    letters(j)
                )));
            }
        }
        for want in required {
            if !index.contains_key(want) {
                let name = columns
                    .iter()
                    .find(|(c, _)| c == want)
                    .map_or("", |(_, h)| *h);
                return Err(AppError::Invalid(format!(
                    "{}, row {header_row}: no column `{name}`",
                    raw.place
                )));
            }
        }
        let rows: Vec<(u32, Vec<Cell>)> = rest
            .into_iter()
            .filter(|(_, cells)| cells.iter().any(|c| !c.is_blank()))
            .collect();
        for (n, cells) in &rows {
            for &i in &blank_headers {
                if cells.get(i).is_some_and(|c| !c.is_blank()) {
                    return Err(AppError::Invalid(format!(
                        "{}, row {n}, column {}: a value in a column with no header",
                        raw.place,
                        letters(i)
                    )));
                }
            }
            if let Some(i) =
                (header.len()..cells.len()).find(|&i| cells.get(i).is_some_and(|c| !c.is_blank()))
            {
                return Err(AppError::Invalid(format!(
                    "{}, row {n}, column {}: a value in a column with no header",
                    raw.place,
                    letters(i)
                )));
            }
        }
        Ok(Table {
            place: raw.place,
            columns,
            index,
            rows,
        })
    }

    fn rows(&self) -> impl Iterator<Item = Row<'_, T>> {
        self.rows.iter().map(move |(number, cells)| Row {
            table: self,
            number: *number,
            cells,
        })
    }
}

/// One row of a [`Table`], its cells read by column.
struct Row<'a, T: 'static> {
    table: &'a Table<T>,
    number: u32,
    cells: &'a [Cell],
}

static EMPTY: Cell = Cell::Empty;

impl<T: Copy + Eq + std::hash::Hash> Row<'_, T> {
    fn cell(&self, col: T) -> &Cell {
        self.table
            .index
            .get(&col)
            .and_then(|(i, _)| self.cells.get(*i))
            .unwrap_or(&EMPTY)
    }

    /// Where the row is.
    fn place(&self) -> String {
        format!("{}, row {}", self.table.place, self.number)
    }

    /// An error about a cell of the row.
    fn err(&self, col: T, reason: impl std::fmt::Display) -> AppError {
        let column = match self.table.index.get(&col) {
            Some((i, h)) => format!("column {} `{h}`", letters(*i)),
            None => {
                let name = self
                    .table
                    .columns
                    .iter()
                    .find(|(c, _)| *c == col)
                    .map_or("", |(_, h)| *h);
                format!("column `{name}` (not in the sheet)")
            }
        };
        AppError::Invalid(format!("{}, {column}: {reason}", self.place()))
    }

    fn checked(&self, col: T) -> Result<&Cell> {
        match self.cell(col) {
            Cell::Error(e) => Err(self.err(col, format!("the cell holds the error {e}"))),
            c => Ok(c),
        }
    }

    /// The cell as text, trimmed; blank is `None`.
    fn text(&self, col: T) -> Result<Option<String>> {
        let c = self.checked(col)?;
        if c.is_blank() {
            return Ok(None);
        }
        Ok(Some(c.to_text().trim().to_string()))
    }

    fn required(&self, col: T) -> Result<String> {
        self.text(col)?
            .ok_or_else(|| self.err(col, "is empty; it is needed"))
    }

    fn number(&self, col: T) -> Result<Option<f64>> {
        let v = match self.checked(col)? {
            Cell::Number(v) => *v,
            c if c.is_blank() => return Ok(None),
            c => {
                let s = c.to_text();
                let s = s.trim();
                s.parse::<f64>()
                    .map_err(|_| self.err(col, format!("`{s}` is not a number")))?
            }
        };
        if !v.is_finite() {
            return Err(self.err(col, format!("`{v}` is not a finite number")));
        }
        Ok(Some(v))
    }

    fn boolean(&self, col: T) -> Result<Option<bool>> {
        Ok(match self.checked(col)? {
            Cell::Bool(b) => Some(*b),
            Cell::Number(v) if *v == 1.0 => Some(true),
            Cell::Number(v) if *v == 0.0 => Some(false),
            c if c.is_blank() => None,
            c => {
                let s = c.to_text();
                match s.trim().to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" => Some(true),
                    "false" | "no" | "0" => Some(false),
                    _ => {
                        return Err(self.err(col, format!("`{}` is not true or false", s.trim())));
                    }
                }
            }
        })
    }

    /// A date (`YYYY-MM-DD`) or an instant (`YYYY-MM-DD HH:MM[:SS]`, UTC).
    fn instant(&self, col: T) -> Result<Option<NaiveDateTime>> {
        Ok(match self.checked(col)? {
            Cell::Date(d) => Some(d.and_time(NaiveTime::MIN)),
            Cell::DateTime(t) => Some(*t),
            c if c.is_blank() => None,
            c => {
                let s = c.to_text();
                let s = s.trim();
                let parsed = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(|d| d.and_time(NaiveTime::MIN))
                    .ok()
                    .or_else(|| {
                        ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
                            .iter()
                            .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                    })
                    .or_else(|| {
                        DateTime::parse_from_rfc3339(s)
                            .ok()
                            .map(|t| t.with_timezone(&Utc).naive_utc())
                    });
                Some(parsed.ok_or_else(|| {
                    self.err(
                        col,
                        format!("`{s}` is not a date (YYYY-MM-DD, or YYYY-MM-DD HH:MM:SS in UTC)"),
                    )
                })?)
            }
        })
    }

    fn date(&self, col: T) -> Result<Option<NaiveDate>> {
        match self.instant(col)? {
            None => Ok(None),
            Some(t) if t.time() == NaiveTime::MIN => Ok(Some(t.date())),
            Some(t) => Err(self.err(
                col,
                format!("`{t}` is a date with a time; a date is wanted"),
            )),
        }
    }

    /// A word of the method (`kind`, `grain`), refused with the accepted
    /// ones.
    fn word<W: std::str::FromStr<Err = String>>(&self, col: T) -> Result<Option<W>> {
        self.text(col)?
            .map(|s| s.parse::<W>().map_err(|e| self.err(col, e)))
            .transpose()
    }

    /// A key (of a kind `what`), checked like every key.
    fn key(&self, col: T, what: &str) -> Result<Option<String>> {
        let k = self.text(col)?;
        if let Some(k) = &k {
            check_key(what, k).map_err(|e| self.err(col, e))?;
        }
        Ok(k)
    }
}

/// One check-in row, read.
#[derive(Debug, Clone)]
struct CheckInRow {
    place: String,
    kr: String,
    at: DateTime<Utc>,
    value: Option<f64>,
    confidence: Option<Confidence>,
    note: Option<String>,
    author: Option<String>,
    source: CheckInSource,
}

/// Where a row of the key results sheet is, for [`okr_file::apply_at`]:
/// each key's span is its row's number.
struct SheetRows {
    place: String,
}

impl Locate for SheetRows {
    fn file(&self) -> String {
        self.place.clone()
    }

    fn at(&self, key: &Spanned<String>) -> String {
        format!("{}, row {}", self.place, key.span().start)
    }
}

fn spanned(row: u32, key: String) -> Spanned<String> {
    let at = row as usize;
    Spanned::new(at..at + 1, key)
}

/// A workbook, read: the OKR file its rows make, its check-ins, and the
/// references each row makes to people and objectives (with their cell,
/// for errors).
struct Parsed {
    file: OkrFile,
    rows: SheetRows,
    checkins: Vec<CheckInRow>,
    /// (kind, key, error if missing).
    refs: Vec<(&'static str, String, AppError)>,
    /// Cycles named, with their first row's error for a missing one.
    cycles: Vec<(String, AppError)>,
    /// Cycle columns given per cycle key: name, start, end, state.
    cycle_cols: BTreeMap<String, BTreeMap<KrCol, (String, u32)>>,
}

/// Records `value` for `col` in `into`, refusing one that differs from an
/// earlier row's.
fn merge(
    into: &mut BTreeMap<KrCol, (String, u32)>,
    col: KrCol,
    value: Option<String>,
    row: &Row<'_, KrCol>,
    of: &str,
) -> Result<()> {
    let Some(v) = value else { return Ok(()) };
    match into.get(&col) {
        Some((have, at)) if *have != v => Err(row.err(
            col,
            format!(
                "`{v}` differs from row {at} (`{have}`): the rows of {of} agree (or are left blank after the first)"
            ),
        )),
        Some(_) => Ok(()),
        None => {
            into.insert(col, (v, row.number));
            Ok(())
        }
    }
}

fn parse_key_results(table: &Table<KrCol>, parsed: &mut Parsed) -> Result<()> {
    struct Acc {
        key: Spanned<String>,
        cols: BTreeMap<KrCol, (String, u32)>,
        krs: Vec<KrSpec>,
    }
    let mut order: Vec<Acc> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for row in table.rows() {
        let cycle = row
            .key(KrCol::Cycle, "cycle")?
            .ok_or_else(|| row.err(KrCol::Cycle, "is empty; it is needed"))?;
        let objective = row
            .key(KrCol::Objective, "objective")?
            .ok_or_else(|| row.err(KrCol::Objective, "is empty; it is needed"))?;
        // Words and flags checked here, for their cell.
        row.word::<Level>(KrCol::Level)?;
        row.word::<ObjectiveState>(KrCol::ObjectiveState)?;
        row.word::<CycleState>(KrCol::CycleState)?;
        for (col, what) in [
            (KrCol::Owner, "user"),
            (KrCol::KrOwner, "user"),
            (KrCol::Team, "team"),
            (KrCol::Parent, "parent objective"),
        ] {
            if let Some(k) = row.key(col, what)? {
                let kind = match col {
                    KrCol::Team => "team",
                    KrCol::Parent => "objective",
                    _ => "user",
                };
                let reason = match kind {
                    "team" => format!("there is no team `{k}` (add it with `okapi team add {k}`)"),
                    "user" => {
                        format!("there is no user `{k}` (add them with `okapi user add {k}`)")
                    }
                    _ => format!("there is no objective `{k}`"),
                };
                parsed.refs.push((kind, k, row.err(col, reason)));
            }
        }
        let i = match by_key.get(&objective) {
            Some(i) => *i,
            None => {
                by_key.insert(objective.clone(), order.len());
                order.push(Acc {
                    key: spanned(row.number, objective.clone()),
                    cols: BTreeMap::new(),
                    krs: Vec::new(),
                });
                order.len() - 1
            }
        };
        let Some(acc) = order.get_mut(i) else {
            continue;
        };
        let of = format!("objective `{objective}`");
        let committed = row.boolean(KrCol::Committed)?.map(|b| b.to_string());
        for (col, value) in [
            (KrCol::Cycle, Some(cycle.clone())),
            (KrCol::ObjectiveTitle, row.text(KrCol::ObjectiveTitle)?),
            (KrCol::Owner, row.text(KrCol::Owner)?),
            (KrCol::Team, row.text(KrCol::Team)?),
            (KrCol::ObjectiveWhy, row.text(KrCol::ObjectiveWhy)?),
            (KrCol::Level, row.text(KrCol::Level)?),
            (KrCol::Parent, row.text(KrCol::Parent)?),
            (KrCol::Committed, committed),
            (KrCol::ObjectiveState, row.text(KrCol::ObjectiveState)?),
        ] {
            merge(&mut acc.cols, col, value, &row, &of)?;
        }

        // The cycle's columns, per cycle.
        if !parsed.cycles.iter().any(|(k, _)| *k == cycle) {
            parsed.cycles.push((
                cycle.clone(),
                row.err(
                    KrCol::Cycle,
                    format!(
                        "there is no cycle `{cycle}` and the row gives no dates for it (columns `cycle start` and `cycle end`)"
                    ),
                ),
            ));
        }
        let cols = parsed.cycle_cols.entry(cycle.clone()).or_default();
        let of = format!("cycle `{cycle}`");
        let day = |c| -> Result<Option<String>> {
            Ok(row.date(c)?.map(|d| d.format("%Y-%m-%d").to_string()))
        };
        for (col, value) in [
            (KrCol::CycleName, row.text(KrCol::CycleName)?),
            (KrCol::CycleStart, day(KrCol::CycleStart)?),
            (KrCol::CycleEnd, day(KrCol::CycleEnd)?),
            (KrCol::CycleState, row.text(KrCol::CycleState)?),
        ] {
            merge(cols, col, value, &row, &of)?;
        }

        let Some(kr) = row.key(KrCol::Kr, "key result")? else {
            if let Some(col) = KR_FIELDS.iter().find(|c| !row.cell(**c).is_blank()) {
                return Err(row.err(
                    KrCol::Kr,
                    format!(
                        "is empty, but the row has a key result's `{}`: give its key",
                        table.index.get(col).map_or("", |(_, h)| h.as_str())
                    ),
                ));
            }
            continue;
        };
        let spec = KrSpec {
            key: spanned(row.number, kr),
            title: row.required(KrCol::KrTitle)?,
            kind: row.word::<KrKind>(KrCol::Kind)?,
            kpi: row.text(KrCol::Kpi)?,
            segment: row.text(KrCol::Segment)?,
            grain: row.word::<Grain>(KrCol::Grain)?,
            baseline: row.number(KrCol::Baseline)?,
            target: row.number(KrCol::Target)?,
            below: row.boolean(KrCol::Below)?.unwrap_or(false),
            unit: row.text(KrCol::Unit)?,
            due: row
                .date(KrCol::Due)?
                .map(|d| toml::Value::String(d.format("%Y-%m-%d").to_string())),
            weight: row.number(KrCol::Weight)?,
            kr_type: row.word::<KrType>(KrCol::Type)?,
            funnel: row.word::<Funnel>(KrCol::Funnel)?,
            leading: row.boolean(KrCol::Leading)?,
            maturity: row.word::<Maturity>(KrCol::Maturity)?,
            why: row.text(KrCol::KrWhy)?,
            owner: row.text(KrCol::KrOwner)?,
        };
        acc.krs.push(spec);
    }

    for acc in order {
        let get = |c: KrCol| acc.cols.get(&c).map(|(v, _)| v.clone());
        let Some(title) = get(KrCol::ObjectiveTitle) else {
            let row = acc.key.span().start;
            let col = table.index.get(&KrCol::ObjectiveTitle);
            return Err(AppError::Invalid(format!(
                "{}, row {row}{}: objective `{}` has no title on any of its rows",
                table.place,
                col.map_or(String::new(), |(i, h)| format!(
                    ", column {} `{h}`",
                    letters(*i)
                )),
                acc.key.get_ref()
            )));
        };
        parsed.file.objectives.push(ObjectiveSpec {
            cycle: get(KrCol::Cycle).unwrap_or_default(),
            title,
            why: get(KrCol::ObjectiveWhy),
            level: get(KrCol::Level),
            team: get(KrCol::Team),
            owner: get(KrCol::Owner),
            parent: get(KrCol::Parent),
            committed: get(KrCol::Committed).as_deref() == Some("true"),
            state: get(KrCol::ObjectiveState),
            krs: acc.krs,
            key: acc.key,
        });
    }
    Ok(())
}

fn parse_checkins(table: &Table<CheckInCol>, parsed: &mut Parsed) -> Result<()> {
    for row in table.rows() {
        let kr = row
            .key(CheckInCol::Kr, "key result")?
            .ok_or_else(|| row.err(CheckInCol::Kr, "is empty; it is needed"))?;
        let at = row
            .instant(CheckInCol::Date)?
            .ok_or_else(|| row.err(CheckInCol::Date, "is empty; it is needed"))?
            .and_utc();
        let author = row.key(CheckInCol::Author, "user")?;
        if let Some(a) = &author {
            parsed.refs.push((
                "user",
                a.clone(),
                row.err(
                    CheckInCol::Author,
                    format!("there is no user `{a}` (add them with `okapi user add {a}`)"),
                ),
            ));
        }
        parsed.checkins.push(CheckInRow {
            place: format!("{}, row {}", table.place, row.number),
            kr,
            at,
            value: row.number(CheckInCol::Value)?,
            confidence: row.word::<Confidence>(CheckInCol::Confidence)?,
            note: row.text(CheckInCol::Note)?,
            author,
            source: row
                .word::<CheckInSource>(CheckInCol::Source)?
                .unwrap_or(CheckInSource::Manual),
        });
    }
    Ok(())
}

/// Reads a workbook (`.xlsx`, or `.csv` with its check-ins file beside it
/// when there is one) into what importing applies.
async fn read(path: &Path) -> Result<Parsed> {
    let format = SheetFormat::of_path(path)?;
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| AppError::Invalid(format!("{}: {e}", path.display())))?;
    let (krs, checkins) = match format {
        SheetFormat::Xlsx => read_xlsx(path, bytes)?,
        SheetFormat::Csv => {
            if path.to_string_lossy().ends_with(".checkins.csv") {
                return Err(AppError::Invalid(format!(
                    "{}: this is a check-ins file; import the key results file beside it (its check-ins are read with it)",
                    path.display()
                )));
            }
            let second = checkins_csv_path(path);
            let checkins = match tokio::fs::read(&second).await {
                Ok(b) => Some(read_csv(&second, &b)?),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(AppError::Invalid(format!("{}: {e}", second.display()))),
            };
            (read_csv(path, &bytes)?, checkins)
        }
    };
    let krs = Table::new(krs, KR_COLUMNS, &[KrCol::Objective])?;
    let mut parsed = Parsed {
        file: OkrFile {
            vision: None,
            teams: Vec::new(),
            users: Vec::new(),
            cycles: Vec::new(),
            objectives: Vec::new(),
        },
        rows: SheetRows {
            place: krs.place.clone(),
        },
        checkins: Vec::new(),
        refs: Vec::new(),
        cycles: Vec::new(),
        cycle_cols: BTreeMap::new(),
    };
    parse_key_results(&krs, &mut parsed)?;
    if let Some(c) = checkins {
        let c = Table::new(c, CHECKIN_COLUMNS, &[CheckInCol::Kr, CheckInCol::Date])?;
        parse_checkins(&c, &mut parsed)?;
    }
    Ok(parsed)
}

// ---- import ---------------------------------------------------------------

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    /// Every row, and what applying it did (check-ins: `created` or
    /// `unchanged`, keyed `KR date`).
    pub changes: Vec<Change>,
    pub dry_run: bool,
}

/// Checks the people, teams, objectives and cycles the rows name exist
/// (or are in the sheet), and fills the cycle rows the sheet leaves blank
/// from the stored cycle.
async fn resolve(s: &mut okapi_store::ReadSession, parsed: &mut Parsed) -> Result<()> {
    let users: HashSet<String> = s.users().await?.into_iter().map(|u| u.key).collect();
    let teams: HashSet<String> = s.teams().await?.into_iter().map(|t| t.key).collect();
    let in_file: HashSet<&str> = parsed
        .file
        .objectives
        .iter()
        .map(|o| o.key.get_ref().as_str())
        .collect();
    for (kind, key, err) in std::mem::take(&mut parsed.refs) {
        let known = match kind {
            "user" => users.contains(&key),
            "team" => teams.contains(&key),
            _ => {
                in_file.contains(key.as_str())
                    || match s.objective(&key).await {
                        Ok(_) => true,
                        Err(StoreError::NotFound { .. }) => false,
                        Err(e) => return Err(e.into()),
                    }
            }
        };
        if !known {
            return Err(err);
        }
    }
    for (key, err) in std::mem::take(&mut parsed.cycles) {
        let cols = parsed.cycle_cols.remove(&key).unwrap_or_default();
        let get = |c: KrCol| cols.get(&c).map(|(v, _)| v.clone());
        let stored = match s.cycle(&key).await {
            Ok(c) => Some(c),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let given = [
            KrCol::CycleName,
            KrCol::CycleStart,
            KrCol::CycleEnd,
            KrCol::CycleState,
        ]
        .iter()
        .any(|c| cols.contains_key(c));
        let (name, start, end) = match &stored {
            Some(c) => (
                get(KrCol::CycleName).or(Some(c.name.clone())),
                get(KrCol::CycleStart).or(Some(c.start.to_string())),
                get(KrCol::CycleEnd).or(Some(c.end.to_string())),
            ),
            None => {
                let implied = okr_file::dates_from_key(&key).is_some();
                let dated =
                    cols.contains_key(&KrCol::CycleStart) && cols.contains_key(&KrCol::CycleEnd);
                if !implied && !dated {
                    return Err(err);
                }
                (
                    get(KrCol::CycleName),
                    get(KrCol::CycleStart),
                    get(KrCol::CycleEnd),
                )
            }
        };
        if stored.is_some() && !given {
            continue;
        }
        let row = cols
            .values()
            .map(|(_, r)| *r)
            .min()
            .or_else(|| {
                parsed
                    .file
                    .objectives
                    .iter()
                    .find(|o| o.cycle == key)
                    .map(|o| o.key.span().start as u32)
            })
            .unwrap_or(0);
        parsed.file.cycles.push(CycleSpec {
            key: spanned(row, key),
            name,
            start: start.map(toml::Value::String),
            end: end.map(toml::Value::String),
            state: get(KrCol::CycleState),
        });
    }
    Ok(())
}

/// The identity of a check-in for importing: its key result, its day and
/// its value.
type Identity = (String, NaiveDate, Option<u64>);

fn identity(kr: &str, at: DateTime<Utc>, value: Option<f64>) -> Identity {
    (kr.to_string(), at.date_naive(), value.map(f64::to_bits))
}

/// Adds the check-ins of the sheet the workspace does not have yet, in
/// the sheet's order; one without a confidence gets the pace's.
async fn import_checkins(
    s: &mut Session,
    rows: &[CheckInRow],
    tolerance: f64,
) -> Result<Vec<Change>> {
    let mut stored: HashMap<String, Vec<CheckIn>> = HashMap::new();
    let mut present: HashMap<Identity, usize> = HashMap::new();
    let mut changes = Vec::new();
    for r in rows {
        let ctx = || format!("{}: check-in on `{}`", r.place, r.kr);
        if !stored.contains_key(&r.kr) {
            let history = match s.checkins(Some(&r.kr), None).await {
                Ok(h) => h,
                Err(e) => return Err(AppError::from(e)).with_context(ctx),
            };
            if let Err(e) = s.key_result(&r.kr).await {
                return Err(AppError::from(e)).with_context(ctx);
            }
            for h in &history {
                *present.entry(identity(&h.kr, h.at, h.value)).or_default() += 1;
            }
            stored.insert(r.kr.clone(), history);
        }
        let id = identity(&r.kr, r.at, r.value);
        let key = format!("{} {}", r.kr, r.at.naive_utc().format("%Y-%m-%d"));
        if let Some(n) = present.get_mut(&id)
            && *n > 0
        {
            *n -= 1;
            changes.push(Change {
                kind: "check-in",
                key,
                action: "unchanged",
            });
            continue;
        }
        let confidence = match r.confidence {
            Some(c) => c,
            None => {
                let kr = s.key_result(&r.kr).await.with_context(ctx)?;
                let o = s.objective(&kr.objective).await.with_context(ctx)?;
                let cycle = s.cycle(&o.cycle).await.with_context(ctx)?;
                let pending = CheckIn {
                    seq: 0,
                    kr: r.kr.clone(),
                    at: r.at,
                    value: r.value,
                    confidence: Confidence::OnTrack,
                    note: None,
                    author: None,
                    source: r.source,
                };
                let history = stored.get(&r.kr).map(Vec::as_slice).unwrap_or_default();
                let mut refs: Vec<&CheckIn> = history.iter().filter(|h| h.at <= r.at).collect();
                refs.push(&pending);
                let st = kr_status(&cycle, &kr, &refs, r.at.date_naive(), tolerance);
                okapi_core::pace::confidence_from_pace(st.at_risk, st.expected, st.score)
            }
        };
        let written = s
            .check_in(&NewCheckIn {
                kr: r.kr.clone(),
                at: r.at,
                value: r.value,
                confidence,
                note: r.note.clone(),
                author: r.author.clone(),
                source: r.source,
            })
            .await
            .with_context(ctx)?;
        crate::fault::after_write();
        if let Some(h) = stored.get_mut(&r.kr) {
            h.push(written);
            h.sort_by_key(|c| (c.at, c.seq));
        }
        changes.push(Change {
            kind: "check-in",
            key,
            action: "created",
        });
    }
    Ok(changes)
}

/// Imports a workbook into the workspace at `loc`, like `okapi okr apply`
/// applies a file: read and checked before the workspace is written,
/// baselines read from the data outside any transaction, then every row in
/// one transaction, committed unless `dry_run`.
pub async fn import(loc: &Location, path: &Path, dry_run: bool) -> Result<Imported> {
    let mut parsed = read(path).await?;
    okr_file::check_keys_at(&parsed.file, &parsed.rows)?;
    let ws = Workspace::open(loc).await?;
    let mut s = ws.read_session().await?;
    resolve(&mut s, &mut parsed).await?;
    s.commit().await?;
    let mut reader = KpiReader::new(&ws.settings, ws.data_location()?);
    let baselines = okr_file::data_baselines_at(
        ws.read_session().await?,
        &parsed.file,
        &parsed.rows,
        &ws.settings,
        &mut reader,
    )
    .await?;
    let mut s = ws.session().await?;
    let mut changes =
        okr_file::apply_at(&mut s, &parsed.file, &parsed.rows, &ws.settings, &baselines).await?;
    changes
        .extend(import_checkins(&mut s, &parsed.checkins, ws.settings.okrs.pace_tolerance).await?);
    if !dry_run {
        s.commit().await?;
    }
    Ok(Imported { changes, dry_run })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_a_spreadsheet_would_run_is_disarmed_in_csv_and_read_back_as_written() {
        for (text, written) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1 more", "'+1 more"),
            ("-5 churned", "'-5 churned"),
            ("@sum", "'@sum"),
            ("\tcmd", "'\tcmd"),
            ("'=already quoted", "''=already quoted"),
            ("''", "'''"),
            ("plain note", "plain note"),
            ("it's fine", "it's fine"),
            ("'quoted'", "'quoted'"),
        ] {
            assert_eq!(csv_safe(text), written, "{text}");
            assert_eq!(csv_cell(written), text, "{written}");
        }
        // A number is not text: it is written as it is.
        let sheet = Sheet {
            name: "x",
            headers: vec!["a", "b"],
            rows: vec![vec![Cell::Number(-5.0), Cell::text("=1+1")]],
        };
        assert_eq!(csv_text(&sheet).unwrap(), "a,b\n-5,'=1+1\n");
    }

    #[test]
    fn columns_are_lettered_like_a_spreadsheet() {
        assert_eq!(letters(0), "A");
        assert_eq!(letters(25), "Z");
        assert_eq!(letters(26), "AA");
        assert_eq!(letters(27), "AB");
        assert_eq!(letters(701), "ZZ");
        assert_eq!(letters(702), "AAA");
    }

    #[test]
    fn the_checkins_of_a_csv_are_beside_it() {
        assert_eq!(
            checkins_csv_path(Path::new("out/okrs.csv")),
            PathBuf::from("out/okrs.checkins.csv")
        );
    }
}
