//! Web-analytics exports turned into rows of the `visits` table.
//!
//! Plausible and Google Analytics 4 only export aggregates: visitors per
//! day, per day and source, or per day and channel group. [`Export::parse`]
//! reads such a CSV export and [`write_visits`] turns it into one `visits`
//! row per visitor counted: `ts` at the start of the day (in the workspace
//! time zone), a `visitor_id` made up deterministically from the tool, the
//! day, the source and a counter (`plausible:2026-11-01:google:17`), and the
//! channel mapped from the source, medium or channel group ([`channel_of`],
//! [`channel_of_group`]).
//!
//! An import replaces the rows of the days it covers and keeps every other
//! row, so importing the same export twice leaves the same file. The new
//! file is written beside the old one and renamed into place: a failed
//! import leaves the old file as it was. Bad input (a bad date, a count of
//! visitors that is not a whole number ≥ 0, a missing column) refuses the
//! whole export with the file, line, column and reason, and writes nothing.
//!
//! The export cannot tell a returning visitor from a new one: each day's
//! visitors are distinct visitor ids, so the unique visitors of a month
//! are the sum of its days' visitors.
//!
//! ```
//! use okapi_engine::web_analytics::{Export, Tool};
//!
//! let csv = "date,source,visitors\n2026-11-01,Google,2\n2026-11-01,,1\n";
//! let export = Export::from_text(Tool::Plausible, "sources.csv", csv).unwrap();
//! let rows: Vec<_> = export.rows().collect();
//! assert_eq!(rows.len(), 3);
//! assert_eq!(rows[0].visitor_id, "plausible:2026-11-01:direct:1");
//! assert_eq!(rows[0].channel, Some("direct"));
//! assert_eq!(rows[2].visitor_id, "plausible:2026-11-01:google:2");
//! assert_eq!(rows[2].channel, Some("organic"));
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, SecondsFormat};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use okapi_core::data_model::Table;
use okapi_core::period::{FIRST_DATE, LAST_DATE};
use okapi_core::timezone::Zone;
use serde::Serialize;

use crate::error::EngineError;
use crate::load::quality::QualityAccumulator;
use crate::load::{Issues, Location, RowIssue, scan_file};
use crate::source::{Format, SourceFile};

/// The most visitors one row of an export may count.
pub const MAX_VISITORS_PER_ROW: u64 = 1_000_000_000;

/// The most `visits` rows one import may make (the sum of its visitors).
pub const MAX_IMPORTED_ROWS: u64 = 50_000_000;

/// The largest export read, in bytes (64 MiB): aggregated exports are far
/// smaller.
pub const MAX_EXPORT_BYTES: u64 = 64 * 1024 * 1024;

/// The web-analytics tool an export comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    Plausible,
    Ga4,
}

impl Tool {
    /// The tool's name, as in visitor ids (`plausible`, `ga4`).
    pub fn name(self) -> &'static str {
        match self {
            Tool::Plausible => "plausible",
            Tool::Ga4 => "ga4",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Tool::Plausible => "a Plausible export",
            Tool::Ga4 => "a Google Analytics 4 export",
        }
    }
}

impl std::str::FromStr for Tool {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "plausible" => Ok(Tool::Plausible),
            "ga4" => Ok(Tool::Ga4),
            _ => Err(format!("unknown tool `{s}` (expected plausible or ga4)")),
        }
    }
}

/// The visitors of one day from one source (or channel group), summed over
/// the export's rows that share them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayTraffic {
    pub date: NaiveDate,
    /// The source as the export names it (`Google`, `google / cpc`,
    /// `Organic Search`); empty in a per-day export.
    pub source: String,
    /// The source as it appears in visitor ids (`google`, `google-cpc`);
    /// empty in a per-day export.
    pub key: String,
    pub channel: Option<&'static str>,
    pub visitors: u64,
}

/// One `visits` row made from an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRow {
    pub date: NaiveDate,
    pub visitor_id: String,
    pub channel: Option<&'static str>,
}

/// A web-analytics export, read and checked.
#[derive(Debug, Clone)]
pub struct Export {
    pub tool: Tool,
    /// The file as named to the import, for messages.
    pub file: String,
    /// Visitors per day and source, by day, then source key, then channel.
    pub traffic: Vec<DayTraffic>,
    /// Totals rows skipped (`Grand total`, a row without a date).
    pub totals_skipped: u64,
}

/// A column the export must have: the names it goes by, lowercase.
const DATE: &[&str] = &["date", "day"];
const VISITORS_PLAUSIBLE: &[&str] = &["visitors"];
const VISITORS_GA4: &[&str] = &["total users", "active users", "users"];
const SOURCE_PLAUSIBLE: &[&str] = &["source"];
const MEDIUM_PLAUSIBLE: &[&str] = &["utm_medium"];
const GROUP_GA4: &[&str] = &[
    "session default channel group",
    "session primary channel group",
    "first user default channel group",
    "first user primary channel group",
    "default channel group",
    "primary channel group",
];
const SOURCE_MEDIUM_GA4: &[&str] = &[
    "session source / medium",
    "first user source / medium",
    "source / medium",
];
const SOURCE_GA4: &[&str] = &["session source", "first user source", "source"];
const MEDIUM_GA4: &[&str] = &["session medium", "first user medium", "medium"];

/// Where each column the import reads is, by index.
struct Columns {
    date: usize,
    visitors: usize,
    group: Option<usize>,
    source_medium: Option<usize>,
    source: Option<usize>,
    medium: Option<usize>,
}

impl Columns {
    fn dimensions(&self) -> impl Iterator<Item = usize> {
        [self.group, self.source_medium, self.source, self.medium]
            .into_iter()
            .flatten()
    }
}

impl Export {
    /// Reads the export at `path`; messages name it as given.
    pub fn parse(tool: Tool, path: &Path) -> Result<Export, EngineError> {
        let file = path.display().to_string();
        let io = |source| EngineError::Io {
            path: path.to_path_buf(),
            source,
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_EXPORT_BYTES {
            return Err(EngineError::File {
                file,
                reason: format!(
                    "{size} bytes, more than the {MAX_EXPORT_BYTES} an export may hold (export fewer days at a time)"
                ),
            });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        let text = String::from_utf8(bytes).map_err(|e| EngineError::File {
            file: file.clone(),
            reason: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        })?;
        Export::from_text(tool, &file, &text)
    }

    /// Reads an export's text; `file` names it in messages.
    pub fn from_text(tool: Tool, file: &str, text: &str) -> Result<Export, EngineError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let file_error = |reason: String| EngineError::File {
            file: file.to_string(),
            reason,
        };
        // The table: its header is the first line that is neither blank nor
        // a `#` comment (GA4 writes comment lines first); it ends at the
        // next blank or comment line.
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let skip = |l: &str| l.trim().is_empty() || l.trim_start().starts_with('#');
        let Some(start) = lines.iter().position(|l| !skip(l)) else {
            return Err(file_error(format!(
                "no table (expected a header row such as {})",
                match tool {
                    Tool::Plausible => "`date,source,visitors`",
                    Tool::Ga4 => "`Date,Session default channel group,Total users`",
                }
            )));
        };
        let end = lines
            .iter()
            .skip(start)
            .position(|l| skip(l))
            .map_or(lines.len(), |n| start + n);
        if let Some(extra) = lines.iter().skip(end).position(|l| !skip(l)) {
            return Err(file_error(format!(
                "line {}: a second table follows the first (line {}); export one table with the date and at most one source or channel dimension",
                end + extra + 1,
                start + 1
            )));
        }
        let block: String = lines
            .iter()
            .skip(start)
            .take(end - start)
            .copied()
            .collect();
        let header_line = start as u64 + 1;

        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(block.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| file_error(format!("line {header_line}: {e}")))?
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        let columns = find_columns(tool, &header).map_err(|missing| {
            file_error(format!(
                "line {header_line}: missing column {missing} ({} needs {}; columns found: {})",
                tool.title(),
                match tool {
                    Tool::Plausible =>
                        "`date` and `visitors`, and `source` for channels, as in the `imported_sources_…csv` and `imported_visitors_…csv` files of its CSV export",
                    Tool::Ga4 =>
                        "`Date` and `Total users` (or `Active users`), and a channel group or source column for channels",
                },
                header.join(", ")
            ))
        })?;

        let name = |i: usize| header.get(i).map_or("", String::as_str);
        let (date_name, visitors_name) = (name(columns.date), name(columns.visitors));
        let mut issues = Issues::new();
        let mut totals_skipped = 0u64;
        let mut sums: BTreeMap<(NaiveDate, String, Option<&'static str>), (String, u64)> =
            BTreeMap::new();
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = e
                        .position()
                        .map_or(header_line, |p| header_line + p.line() - 1);
                    return Err(file_error(format!("line {line}: {e}")));
                }
            }
            let line = record
                .position()
                .map_or(header_line, |p| header_line + p.line() - 1);
            let issue = |column: &str, value: &str, reason: String| RowIssue {
                file: file.to_string(),
                location: Location::Line(line),
                column: column.to_string(),
                value: value.to_string(),
                reason,
            };
            if record.len() != header.len() {
                issues.push(issue(
                    "",
                    "",
                    format!("{} field(s), the header has {}", record.len(), header.len()),
                ));
                continue;
            }
            let cell = |i: usize| record.get(i).unwrap_or("").trim();
            let date_cell = cell(columns.date);
            let dims_blank_or_total = columns
                .dimensions()
                .all(|i| cell(i).is_empty() || is_total(cell(i)));
            if is_total(date_cell)
                || columns.dimensions().any(|i| is_total(cell(i)))
                || (date_cell.is_empty() && dims_blank_or_total)
            {
                totals_skipped += 1;
                continue;
            }
            let date = match parse_date(date_cell) {
                Ok(d) => Some(d),
                Err(reason) => {
                    issues.push(issue(date_name, date_cell, reason));
                    None
                }
            };
            let visitors_cell = cell(columns.visitors);
            let visitors = match parse_visitors(visitors_cell) {
                Ok(v) => Some(v),
                Err(reason) => {
                    issues.push(issue(visitors_name, visitors_cell, reason));
                    None
                }
            };
            let (Some(date), Some(visitors)) = (date, visitors) else {
                continue;
            };
            let (source, key, channel) = classify(
                tool,
                columns.group.map(cell),
                columns.source_medium.map(cell),
                columns.source.map(cell),
                columns.medium.map(cell),
            );
            let entry = sums
                .entry((date, key, channel))
                .or_insert_with(|| (source, 0));
            entry.1 = entry.1.saturating_add(visitors);
        }
        if !issues.is_empty() {
            return Err(EngineError::InvalidRows(issues));
        }
        let total: u64 = sums.values().map(|(_, v)| *v).fold(0, u64::saturating_add);
        if total > MAX_IMPORTED_ROWS {
            return Err(file_error(format!(
                "{total} visitors in all, more than the {MAX_IMPORTED_ROWS} rows one import may make (import fewer days at a time)"
            )));
        }
        let traffic = sums
            .into_iter()
            .map(|((date, key, channel), (source, visitors))| DayTraffic {
                date,
                source,
                key,
                channel,
                visitors,
            })
            .collect();
        Ok(Export {
            tool,
            file: file.to_string(),
            traffic,
            totals_skipped,
        })
    }

    /// The days the export covers.
    pub fn days(&self) -> BTreeSet<NaiveDate> {
        self.traffic.iter().map(|t| t.date).collect()
    }

    /// Every visitor counted, over all days.
    pub fn visitors(&self) -> u64 {
        self.traffic.iter().map(|t| t.visitors).sum()
    }

    /// One row per visitor counted, by day: ids `TOOL:DAY:SOURCE:N`
    /// (`TOOL:DAY:N` in a per-day export), `N` counting from 1 per day and
    /// source.
    pub fn rows(&self) -> impl Iterator<Item = VisitRow> + '_ {
        let mut next: BTreeMap<(NaiveDate, &str), u64> = BTreeMap::new();
        self.traffic.iter().flat_map(move |t| {
            let counter = next.entry((t.date, t.key.as_str())).or_insert(0);
            let first = *counter + 1;
            *counter += t.visitors;
            let tool = self.tool.name();
            (first..first + t.visitors).map(move |n| VisitRow {
                date: t.date,
                visitor_id: if t.key.is_empty() {
                    format!("{tool}:{}:{n}", t.date)
                } else {
                    format!("{tool}:{}:{}:{n}", t.date, t.key)
                },
                channel: t.channel,
            })
        })
    }
}

/// The index of the first of `names` in `header`.
fn column(header: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| header.iter().position(|h| h == n))
}

/// The columns of `tool`'s export, or the one missing (as a message).
fn find_columns(tool: Tool, header: &[String]) -> Result<Columns, String> {
    let date = column(header, DATE).ok_or("`date`")?;
    match tool {
        Tool::Plausible => Ok(Columns {
            date,
            visitors: column(header, VISITORS_PLAUSIBLE).ok_or("`visitors`")?,
            group: None,
            source_medium: None,
            source: column(header, SOURCE_PLAUSIBLE),
            medium: column(header, MEDIUM_PLAUSIBLE),
        }),
        Tool::Ga4 => Ok(Columns {
            date,
            visitors: column(header, VISITORS_GA4).ok_or("`Total users` (or `Active users`)")?,
            group: column(header, GROUP_GA4),
            source_medium: column(header, SOURCE_MEDIUM_GA4),
            source: column(header, SOURCE_GA4),
            medium: column(header, MEDIUM_GA4),
        }),
    }
}

/// A totals row's label.
fn is_total(cell: &str) -> bool {
    ["grand total", "total", "totals"]
        .iter()
        .any(|t| cell.eq_ignore_ascii_case(t))
}

/// `YYYY-MM-DD` or `YYYYMMDD` (GA4), within okapi's dates.
fn parse_date(s: &str) -> Result<NaiveDate, String> {
    if s.is_empty() {
        return Err("missing date".into());
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 10)
        .or_else(|| {
            (s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| NaiveDate::parse_from_str(s, "%Y%m%d").ok())
                .flatten()
        })
        .ok_or_else(|| "not a date (expected YYYY-MM-DD or YYYYMMDD)".to_string())?;
    if !(FIRST_DATE..=LAST_DATE).contains(&d) {
        return Err(format!(
            "outside the dates okapi accepts ({FIRST_DATE} … {LAST_DATE})"
        ));
    }
    Ok(d)
}

/// A whole number of visitors, 0 … [`MAX_VISITORS_PER_ROW`].
fn parse_visitors(s: &str) -> Result<u64, String> {
    if s.is_empty() {
        return Err("missing number of visitors".into());
    }
    let digits = s.strip_prefix('+').unwrap_or(s);
    if let Some(rest) = s.strip_prefix('-')
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        return Err("negative number of visitors".into());
    }
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not a whole number of visitors".into());
    }
    match digits.parse::<u64>() {
        Ok(v) if v <= MAX_VISITORS_PER_ROW => Ok(v),
        _ => Err(format!(
            "more than {MAX_VISITORS_PER_ROW} visitors in one row"
        )),
    }
}

/// The source as the export names it, its key in visitor ids, and its
/// channel.
fn classify(
    tool: Tool,
    group: Option<&str>,
    source_medium: Option<&str>,
    source: Option<&str>,
    medium: Option<&str>,
) -> (String, String, Option<&'static str>) {
    if let Some(g) = group {
        let key = match key_of(g) {
            k if k.is_empty() => "none".to_string(),
            k => k,
        };
        return (g.to_string(), key, channel_of_group(g));
    }
    let (source, medium) = match source_medium {
        Some(sm) => match sm.split_once(" / ") {
            Some((s, m)) => (Some(s.trim()), Some(m.trim())),
            None => (Some(sm), None),
        },
        None => (source, medium),
    };
    if source.is_none() && medium.is_none() {
        return (String::new(), String::new(), None);
    }
    let label = match (source, medium) {
        (Some(s), Some(m)) if !m.is_empty() => format!("{s} / {m}"),
        (Some(s), _) => s.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) => String::new(),
    };
    // The key names the source alone: a source's visitors under several
    // mediums (`google / organic`, `google / cpc`) share its counter.
    // Plausible leaves the source of direct traffic empty.
    let key = match key_of(source.or(medium).unwrap_or("")) {
        k if k.is_empty() && tool == Tool::Plausible => "direct".to_string(),
        k if k.is_empty() => "none".to_string(),
        k => k,
    };
    (label, key, channel_of(source, medium))
}

/// The lowercase words of `label` joined by `-`: `Direct / None` →
/// `direct-none`, `(direct)` → `direct`.
fn key_of(label: &str) -> String {
    let mut key = String::new();
    for c in label.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '.' {
            key.push(c);
        } else if !key.is_empty() && !key.ends_with('-') {
            key.push('-');
        }
    }
    while key.ends_with('-') {
        key.pop();
    }
    key
}

/// The channel of a GA4 channel group (`Organic Search` → `organic`);
/// `Unassigned` and `(other)` have none.
pub fn channel_of_group(group: &str) -> Option<&'static str> {
    let g = group.trim().to_lowercase();
    match g.as_str() {
        "" | "unassigned" | "(other)" | "(not set)" => None,
        "direct" => Some("direct"),
        "organic social" => Some("social"),
        "email" => Some("email"),
        "display" | "cross-network" | "audio" => Some("paid"),
        _ if g.starts_with("paid") => Some("paid"),
        _ if g.starts_with("organic") => Some("organic"),
        _ => Some("referral"),
    }
}

/// The channel of a traffic source and medium (either may be absent): the
/// medium decides when it says something (`cpc` → paid, `email`, `social`,
/// `organic`), else the source ([`channel_of_source`]). With neither, no
/// channel.
pub fn channel_of(source: Option<&str>, medium: Option<&str>) -> Option<&'static str> {
    let m = medium.map(|m| m.trim().to_lowercase()).unwrap_or_default();
    let by_medium = match m.as_str() {
        "cpc" | "ppc" | "cpm" | "cpv" | "cpa" | "paid" | "paidsearch" | "paid_search"
        | "paid-search" | "paidsocial" | "paid_social" | "paid-social" | "display" | "banner"
        | "ads" | "ad" => Some("paid"),
        "email" | "e-mail" | "e_mail" | "newsletter" => Some("email"),
        "social" | "social-network" | "social_network" | "social-media" | "social_media" | "sm"
        | "organic_social" | "organic-social" => Some("social"),
        "organic" => Some("organic"),
        // `referral` says no more than the source does (a social network
        // is social).
        _ => None,
    };
    match (by_medium, source) {
        (Some(c), _) => Some(c),
        (None, Some(s)) => Some(channel_of_source(s)),
        (None, None) => None,
    }
}

/// The channel of a traffic source as Plausible or GA4 names it: a search
/// engine is `organic`, a social network `social`, direct traffic (an
/// empty source, `Direct / None`, `(direct)`) `direct`, an email tool or
/// newsletter `email`, an ads label (`Paid Search`, `Google Ads`, `cpc`)
/// `paid`; any other site is `referral`.
pub fn channel_of_source(source: &str) -> &'static str {
    let s = source.trim().to_lowercase();
    match s.as_str() {
        "" | "direct / none" | "(direct)" | "direct" | "(none)" | "none" | "direct/none" => {
            return "direct";
        }
        "paid search" | "paid social" | "paid" | "cpc" | "ppc" | "google ads" | "adwords"
        | "bing ads" | "microsoft ads" | "facebook ads" | "meta ads" | "linkedin ads" => {
            return "paid";
        }
        "organic social" => return "social",
        "organic search" => return "organic",
        _ => {}
    }
    // A host (`l.facebook.com`, `https://www.google.com/search`) is named
    // by its first label after the usual prefixes.
    let host = s
        .split_once("://")
        .map_or(s.as_str(), |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    let mut host = host;
    for prefix in ["www.", "m.", "l.", "lm.", "mobile.", "out.", "news."] {
        if let Some(rest) = host.strip_prefix(prefix)
            && rest.contains('.')
        {
            host = rest;
        }
    }
    let name = host.split('.').next().unwrap_or("");
    const SEARCH: &[&str] = &[
        "google",
        "bing",
        "duckduckgo",
        "yahoo",
        "yandex",
        "baidu",
        "ecosia",
        "qwant",
        "brave",
        "startpage",
        "naver",
        "seznam",
        "kagi",
        "ask",
        "aol",
    ];
    const SOCIAL: &[&str] = &[
        "facebook",
        "fb",
        "instagram",
        "twitter",
        "x",
        "t",
        "linkedin",
        "lnkd",
        "reddit",
        "youtube",
        "pinterest",
        "tiktok",
        "mastodon",
        "threads",
        "bsky",
        "bluesky",
        "snapchat",
        "quora",
        "tumblr",
        "vk",
        "weibo",
    ];
    const EMAIL: &[&str] = &[
        "email",
        "e-mail",
        "newsletter",
        "newsletters",
        "mail",
        "gmail",
        "outlook",
        "mailchimp",
        "sendgrid",
        "mailerlite",
        "convertkit",
        "substack",
    ];
    if SEARCH.contains(&name) {
        "organic"
    } else if SOCIAL.contains(&name) {
        "social"
    } else if EMAIL.contains(&name) {
        "email"
    } else {
        "referral"
    }
}

/// What an import did to the `visits` table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisitsWritten {
    /// The file now holding the table, relative to the data directory.
    pub file: String,
    /// Files of the table in another format, removed.
    pub replaced_files: Vec<String>,
    /// Days the export covers.
    pub days: u64,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    /// Rows made from the export.
    pub imported: u64,
    /// Rows of the covered days that were there before, replaced.
    pub replaced: u64,
    /// Rows of other days, kept.
    pub kept: u64,
    /// Rows made per channel (`none` for rows without one).
    pub channels: BTreeMap<String, u64>,
    /// Totals rows of the export skipped.
    pub totals_skipped: u64,
}

/// Removes the temporary file unless it was put in place.
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Writes `export` into the `visits` table of the data directory `dir`:
/// the rows of the days it covers (days in `zone`) are replaced, every
/// other row is kept, and the result is `visits.csv`, written beside it
/// and renamed into place (a `visits.parquet` or `visits.jsonl` it
/// replaces is removed after). An existing file with invalid rows refuses
/// the import ([`EngineError::InvalidRows`]), nothing written.
pub fn write_visits(dir: &Path, export: &Export, zone: Zone) -> Result<VisitsWritten, EngineError> {
    if !dir.exists() {
        return Err(EngineError::NoDirectory(dir.to_path_buf()));
    }
    if !dir.is_dir() {
        return Err(EngineError::NotADirectory(dir.to_path_buf()));
    }
    let table = Table::Visits.name();
    let existing: Vec<SourceFile> = ["csv", "parquet", "jsonl", "ndjson"]
        .iter()
        .filter_map(|ext| {
            let path = dir.join(format!("{table}.{ext}"));
            let format = Format::from_extension(ext)?;
            path.is_file()
                .then_some(SourceFile::file(Table::Visits, path, format))
        })
        .collect();
    if existing.len() > 1 {
        return Err(EngineError::AmbiguousTable {
            table: table.to_string(),
            files: existing.into_iter().map(|f| f.path).collect(),
        });
    }
    let target = dir.join(format!("{table}.csv"));
    let temp_path = dir.join(format!(
        ".{table}.import-{}-{}.csv.tmp",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let write_err = |e: &dyn std::fmt::Display| EngineError::Write {
        path: temp_path.clone(),
        reason: e.to_string(),
    };
    let file = std::fs::File::create(&temp_path).map_err(|e| write_err(&e))?;
    let mut temp = TempFile(Some(temp_path.clone()));
    let mut out = csv::Writer::from_writer(std::io::BufWriter::new(file));
    out.write_record(["ts", "visitor_id", "channel"])
        .map_err(|e| write_err(&e))?;

    let days = export.days();
    let mut channels: BTreeMap<String, u64> = BTreeMap::new();
    let mut imported = 0u64;
    let mut replaced = 0u64;
    let mut kept = 0u64;
    // The export's rows go in before the first kept row of a later day, so
    // a file in time order stays in time order.
    let mut rows = export.rows().peekable();
    let mut put_rows_before = |out: &mut csv::Writer<std::io::BufWriter<std::fs::File>>,
                               until: Option<i64>,
                               channels: &mut BTreeMap<String, u64>,
                               imported: &mut u64|
     -> Result<(), EngineError> {
        while let Some(r) = rows.peek() {
            let start = zone.start_of(r.date);
            if until.is_some_and(|u| start > u) {
                break;
            }
            let ts = format_ts(start);
            out.write_record([ts.as_str(), &r.visitor_id, r.channel.unwrap_or("")])
                .map_err(|e| write_err(&e))?;
            *channels
                .entry(r.channel.unwrap_or("none").to_string())
                .or_insert(0) += 1;
            *imported += 1;
            rows.next();
        }
        Ok(())
    };

    if let Some(old) = existing.first() {
        let mut quality = QualityAccumulator::new(Table::Visits, old.display_name(), zone);
        let outcome = scan_file(
            old,
            &mut quality,
            &mut |batch: &RecordBatch| {
                let (ts, ids, chans) = visit_columns(batch)?;
                for i in 0..batch.num_rows() {
                    let t = ts.value(i);
                    if days.contains(&zone.date_of(t)) {
                        replaced += 1;
                        continue;
                    }
                    put_rows_before(&mut out, Some(t), &mut channels, &mut imported)?;
                    let channel = if chans.is_null(i) { "" } else { chans.value(i) };
                    out.write_record([format_ts(t).as_str(), ids.value(i), channel])
                        .map_err(|e| write_err(&e))?;
                    kept += 1;
                }
                Ok(())
            },
            &mut |_| Ok(()),
        )?;
        if !outcome.issues.is_empty() {
            return Err(EngineError::InvalidRows(outcome.issues));
        }
    }
    put_rows_before(&mut out, None, &mut channels, &mut imported)?;
    let file = out
        .into_inner()
        .map_err(|e| write_err(&e.error().to_string()))?
        .into_inner()
        .map_err(|e| write_err(&e.error().to_string()))?;
    file.sync_all().map_err(|e| write_err(&e))?;
    drop(file);
    std::fs::rename(&temp_path, &target).map_err(|e| EngineError::Write {
        path: target.clone(),
        reason: e.to_string(),
    })?;
    temp.0 = None;
    let mut replaced_files = Vec::new();
    for old in &existing {
        if old.path != target {
            std::fs::remove_file(&old.path).map_err(|e| EngineError::Write {
                path: old.path.clone(),
                reason: e.to_string(),
            })?;
            replaced_files.push(old.display_name());
        }
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(VisitsWritten {
        file: format!("{table}.csv"),
        replaced_files,
        days: days.len() as u64,
        first_day: days.first().copied(),
        last_day: days.last().copied(),
        imported,
        replaced,
        kept,
        channels,
        totals_skipped: export.totals_skipped,
    })
}

type VisitColumns = (
    datafusion::arrow::array::PrimitiveArray<TimestampMicrosecondType>,
    datafusion::arrow::array::StringArray,
    datafusion::arrow::array::StringArray,
);

/// A validated `visits` batch's columns as timestamps and text.
fn visit_columns(batch: &RecordBatch) -> Result<VisitColumns, EngineError> {
    let get = |name: &str| {
        batch.column_by_name(name).cloned().ok_or_else(|| {
            EngineError::Query(format!("visits: column {name} missing after validation"))
        })
    };
    let ts = cast(
        &get("ts")?,
        &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
    )?;
    let ids = cast(&get("visitor_id")?, &DataType::Utf8)?;
    let chans = cast(&get("channel")?, &DataType::Utf8)?;
    Ok((
        ts.as_primitive::<TimestampMicrosecondType>().clone(),
        ids.as_string::<i32>().clone(),
        chans.as_string::<i32>().clone(),
    ))
}

/// An instant as ISO-8601 UTC (`2026-11-01T00:00:00Z`), its fraction kept.
fn format_ts(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_map_to_channels() {
        for (source, channel) in [
            ("Google", "organic"),
            ("google.com", "organic"),
            ("https://www.bing.com/search", "organic"),
            ("DuckDuckGo", "organic"),
            ("Direct / None", "direct"),
            ("(direct)", "direct"),
            ("", "direct"),
            ("Facebook", "social"),
            ("l.facebook.com", "social"),
            ("t.co", "social"),
            ("Twitter", "social"),
            ("LinkedIn", "social"),
            ("Organic Social", "social"),
            ("Paid Search", "paid"),
            ("Newsletter", "email"),
            ("news.ycombinator.com", "referral"),
            ("github.com", "referral"),
        ] {
            assert_eq!(channel_of_source(source), channel, "{source}");
        }
        assert_eq!(channel_of(Some("google"), Some("cpc")), Some("paid"));
        assert_eq!(channel_of(Some("google"), Some("organic")), Some("organic"));
        assert_eq!(channel_of(Some("(direct)"), Some("(none)")), Some("direct"));
        assert_eq!(channel_of(Some("mailchimp"), Some("email")), Some("email"));
        assert_eq!(
            channel_of(Some("l.facebook.com"), Some("referral")),
            Some("social")
        );
        assert_eq!(
            channel_of(Some("github.com"), Some("referral")),
            Some("referral")
        );
        assert_eq!(channel_of(None, None), None);
        for (group, channel) in [
            ("Organic Search", Some("organic")),
            ("Direct", Some("direct")),
            ("Organic Social", Some("social")),
            ("Paid Search", Some("paid")),
            ("Paid Social", Some("paid")),
            ("Display", Some("paid")),
            ("Email", Some("email")),
            ("Referral", Some("referral")),
            ("Affiliates", Some("referral")),
            ("Unassigned", None),
        ] {
            assert_eq!(channel_of_group(group), channel, "{group}");
        }
    }

    #[test]
    fn dates_and_counts() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(parse_date("2026-11-01"), Ok(d(2026, 11, 1)));
        assert_eq!(parse_date("20261101"), Ok(d(2026, 11, 1)));
        assert!(parse_date("2026-13-01").is_err());
        assert!(parse_date("2026-11-1").is_err());
        assert!(parse_date("1899-12-31").unwrap_err().contains("outside"));
        assert_eq!(parse_visitors("17"), Ok(17));
        assert_eq!(parse_visitors("0"), Ok(0));
        assert_eq!(
            parse_visitors("-3"),
            Err("negative number of visitors".into())
        );
        assert_eq!(
            parse_visitors("2.5"),
            Err("not a whole number of visitors".into())
        );
        assert!(parse_visitors("1000000001").is_err());
        assert_eq!(key_of("Direct / None"), "direct-none");
        assert_eq!(key_of("(direct) / (none)"), "direct-none");
        assert_eq!(key_of("l.facebook.com"), "l.facebook.com");
        assert_eq!(key_of("Organic Search"), "organic-search");
    }
}
