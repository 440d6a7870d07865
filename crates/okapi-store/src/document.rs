//! The export document as JSON text, and its checks before an import.
//!
//! [`ExportDocument::from_json`] reads a document and checks all of it
//! before anything is written: the format, every key (well-formed, unique,
//! every reference resolving inside the document), alignment chains (no
//! loop, at most [`crate::MAX_ALIGNMENT_DEPTH`] deep), numbers (finite;
//! weights in (0, [`crate::MAX_WEIGHT`]]; scores in [0, 1]; milestone
//! check-ins 0 or 1), dates, check-in numbers and versions (from 1 to
//! [`crate::MAX_KEY_NUMBER`], so that counting on never overflows). The
//! problems found are reported at once (the first 50, and how many more),
//! each with the line of its row in the text (and of its field, when the
//! field is written as a plain key), the row, the field and the reason.
//!
//! Numbers are written in the shortest form that reads back to the same
//! `f64`, and read back exactly (serde_json's `float_roundtrip`): an
//! export imported and exported again is the same text.

use std::collections::{HashMap, HashSet};
use std::fmt;

use okapi_core::okr::{KrKind, check_cycle_dates};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::alignment::parents_first;
use crate::error::StoreError;
use crate::keys::{MAX_KEY_NUMBER, check_key};
use crate::model::{ExportDocument, KeyResult};
use crate::session::MAX_WEIGHT;

/// The most problems reported for one document; the rest are counted.
const MAX_PROBLEMS: usize = 50;

/// One thing wrong with a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The 1-based line in the document's text (none when the document
    /// did not come from text).
    pub line: Option<usize>,
    /// The row and field: ``key_results[3] (`KR-4`) weight`` (empty when
    /// the text is not a document at all).
    pub field: String,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        write!(f, "{}", self.reason)
    }
}

/// Where the rows of a document's text start, to give problems a line.
#[derive(Default)]
struct Places<'t> {
    text: &'t str,
    /// The offset of every newline, to turn offsets into lines.
    newlines: Vec<usize>,
    /// Section name → the text of each of its rows.
    rows: HashMap<&'static str, Vec<&'t str>>,
    workspace: Option<&'t str>,
}

#[derive(Deserialize)]
struct Skeleton<'t> {
    #[serde(borrow)]
    workspace: Option<&'t RawValue>,
    #[serde(borrow, default)]
    teams: Vec<&'t RawValue>,
    #[serde(borrow, default)]
    users: Vec<&'t RawValue>,
    #[serde(borrow, default)]
    cycles: Vec<&'t RawValue>,
    #[serde(borrow, default)]
    objectives: Vec<&'t RawValue>,
    #[serde(borrow, default)]
    key_results: Vec<&'t RawValue>,
    #[serde(borrow, default)]
    checkins: Vec<&'t RawValue>,
}

impl<'t> Places<'t> {
    fn of(text: &'t str) -> Places<'t> {
        let newlines = text.match_indices('\n').map(|(i, _)| i).collect();
        let Ok(sk) = serde_json::from_str::<Skeleton<'t>>(text) else {
            return Places {
                text,
                newlines,
                ..Places::default()
            };
        };
        let raw = |v: Vec<&'t RawValue>| v.into_iter().map(RawValue::get).collect();
        let rows = HashMap::from([
            ("teams", raw(sk.teams)),
            ("users", raw(sk.users)),
            ("cycles", raw(sk.cycles)),
            ("objectives", raw(sk.objectives)),
            ("key_results", raw(sk.key_results)),
            ("checkins", raw(sk.checkins)),
        ]);
        Places {
            text,
            newlines,
            rows,
            workspace: sk.workspace.map(RawValue::get),
        }
    }

    /// The line of `slice` (a part of the text) or of `field` in it.
    fn line_in(&self, slice: &str, field: Option<&str>) -> Option<usize> {
        let base = (slice.as_ptr() as usize).checked_sub(self.text.as_ptr() as usize)?;
        if base > self.text.len() {
            return None;
        }
        let at = field
            .and_then(|f| key_offset(slice, f))
            .map_or(base, |o| base + o);
        Some(self.line_of(at))
    }

    /// The 1-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&n| n < offset) + 1
    }

    fn line(&self, at: &At, field: Option<&str>) -> Option<usize> {
        match at {
            At::Top => Some(self.line_of(key_offset(self.text, field?)?)),
            At::Workspace => self.line_in(self.workspace?, field),
            At::Row(section, i) => self.line_in(self.rows.get(section)?.get(*i)?, field),
        }
    }
}

/// Where `"field":` starts in a flat JSON object's text. In valid JSON
/// the quoted name followed by a colon can only be a key: a quote inside
/// a string is escaped, and a string value is never followed by a colon.
fn key_offset(object: &str, field: &str) -> Option<usize> {
    let needle = format!("\"{field}\"");
    let mut from = 0;
    while let Some(i) = object[from..].find(&needle) {
        let start = from + i;
        let after = object[start + needle.len()..].trim_start();
        if after.starts_with(':') {
            return Some(start);
        }
        from = start + needle.len();
    }
    None
}

/// What a problem is about.
enum At {
    Top,
    Workspace,
    Row(&'static str, usize),
}

/// Collects problems, placing them when there is text.
struct Checks<'p, 't> {
    places: Option<&'p Places<'t>>,
    problems: Vec<Problem>,
}

impl Checks<'_, '_> {
    fn add(&mut self, at: At, what: &str, field: Option<&str>, reason: impl Into<String>) {
        let line = self.places.and_then(|p| p.line(&at, field));
        let field = match field {
            Some(f) => format!("{what} {f}"),
            None => what.to_string(),
        };
        self.problems.push(Problem {
            line,
            field: field.trim().to_string(),
            reason: reason.into(),
        });
    }
}

/// `key_results[3] (KR-4)`: the row, by position and key.
fn row(section: &str, i: usize, key: &str) -> String {
    format!("{section}[{i}] (`{key}`)")
}

fn check_number(c: &mut Checks, at: impl Fn() -> At, what: &str, field: &str, v: Option<f64>) {
    if let Some(v) = v
        && !v.is_finite()
    {
        c.add(
            at(),
            what,
            Some(field),
            format!("must be a finite number, not {v}"),
        );
    }
}

fn check_score(c: &mut Checks, at: impl Fn() -> At, what: &str, v: Option<f64>) {
    if let Some(v) = v
        && !(0.0..=1.0).contains(&v)
    {
        c.add(
            at(),
            what,
            Some("final_score"),
            format!("a score is between 0 and 1, not {v}"),
        );
    }
}

/// The largest check-in number or version a document may carry, so that
/// counting on from it never overflows.
const MAX_COUNT: i64 = MAX_KEY_NUMBER as i64;

fn check_version(c: &mut Checks, at: At, what: &str, v: i64) {
    if !(1..=MAX_COUNT).contains(&v) {
        c.add(
            at,
            what,
            Some("version"),
            format!("versions count from 1 to {MAX_COUNT}, not {v}"),
        );
    }
}

/// The measure of a KR, checked; the field at fault.
fn check_measure(k: &KeyResult) -> Result<(), (&'static str, String)> {
    let numeric = matches!(k.kind, KrKind::Metric | KrKind::Kpi);
    if numeric && k.baseline.is_none() {
        return Err((
            "baseline",
            format!("a {} key result needs a baseline", k.kind.as_str()),
        ));
    }
    if k.kind != KrKind::Milestone && k.target.is_none() {
        return Err((
            "target",
            format!("a {} key result needs a target", k.kind.as_str()),
        ));
    }
    k.measure()
        .map(|_| ())
        .map_err(|e| ("target", e.to_string()))
}

fn run_checks(doc: &ExportDocument, c: &mut Checks) {
    if doc.format != ExportDocument::FORMAT {
        c.add(
            At::Top,
            "",
            Some("format"),
            format!("is `{}`, expected `{}`", doc.format, ExportDocument::FORMAT),
        );
    }
    if doc.format_version != ExportDocument::FORMAT_VERSION {
        c.add(
            At::Top,
            "",
            Some("format_version"),
            format!(
                "is {}, this okapi reads {}",
                doc.format_version,
                ExportDocument::FORMAT_VERSION
            ),
        );
    }
    if let Err(e) = check_key("workspace", &doc.workspace.id) {
        c.add(At::Workspace, "workspace", Some("id"), e.to_string());
    }
    if !matches!(doc.workspace.profile.as_str(), "b2b" | "b2c") {
        c.add(
            At::Workspace,
            "workspace",
            Some("profile"),
            format!("is `{}`, expected b2b or b2c", doc.workspace.profile),
        );
    }

    // Keys: well-formed and unique within their kind.
    let keys = |c: &mut Checks, section: &'static str, kind: &str, list: Vec<&str>| {
        let mut seen = HashSet::new();
        for (i, k) in list.into_iter().enumerate() {
            if let Err(e) = check_key(kind, k) {
                c.add(
                    At::Row(section, i),
                    &row(section, i, k),
                    Some("key"),
                    e.to_string(),
                );
            }
            if !seen.insert(k.to_string()) {
                c.add(
                    At::Row(section, i),
                    &row(section, i, k),
                    Some("key"),
                    format!("{kind} `{k}` appears twice"),
                );
            }
        }
        seen
    };
    let teams = keys(
        c,
        "teams",
        "team",
        doc.teams.iter().map(|t| t.key.as_str()).collect(),
    );
    let users = keys(
        c,
        "users",
        "user",
        doc.users.iter().map(|u| u.key.as_str()).collect(),
    );
    let cycles = keys(
        c,
        "cycles",
        "cycle",
        doc.cycles.iter().map(|x| x.key.as_str()).collect(),
    );
    let objectives = keys(
        c,
        "objectives",
        "objective",
        doc.objectives.iter().map(|o| o.key.as_str()).collect(),
    );
    let krs = keys(
        c,
        "key_results",
        "key result",
        doc.key_results.iter().map(|k| k.key.as_str()).collect(),
    );

    // References resolve inside the document.
    let refers = |c: &mut Checks,
                  at: At,
                  what: &str,
                  field: &str,
                  set: &HashSet<String>,
                  kind: &str,
                  key: Option<&str>| {
        if let Some(k) = key
            && !set.contains(k)
        {
            c.add(
                at,
                what,
                Some(field),
                format!("refers to {kind} `{k}`, which the document lacks"),
            );
        }
    };
    for (i, u) in doc.users.iter().enumerate() {
        let what = row("users", i, &u.key);
        refers(
            c,
            At::Row("users", i),
            &what,
            "team",
            &teams,
            "team",
            u.team.as_deref(),
        );
    }
    for (i, x) in doc.cycles.iter().enumerate() {
        let what = row("cycles", i, &x.key);
        if let Err(e) = check_cycle_dates(x.start, x.end) {
            c.add(At::Row("cycles", i), &what, Some("end"), e.to_string());
        }
        check_version(c, At::Row("cycles", i), &what, x.version);
    }
    let cycle_of: HashMap<&str, &str> = doc
        .objectives
        .iter()
        .map(|o| (o.key.as_str(), o.cycle.as_str()))
        .collect();
    for (i, o) in doc.objectives.iter().enumerate() {
        let at = || At::Row("objectives", i);
        let what = row("objectives", i, &o.key);
        refers(c, at(), &what, "cycle", &cycles, "cycle", Some(&o.cycle));
        refers(c, at(), &what, "team", &teams, "team", o.team.as_deref());
        refers(c, at(), &what, "owner", &users, "user", o.owner.as_deref());
        refers(
            c,
            at(),
            &what,
            "parent",
            &objectives,
            "objective",
            o.parent.as_deref(),
        );
        if let Some(p) = o.parent.as_deref()
            && let Some(pc) = cycle_of.get(p)
            && *pc != o.cycle
        {
            c.add(
                at(),
                &what,
                Some("parent"),
                format!("objective `{p}` is in cycle `{pc}`, not `{}`: a parent is in its child's cycle", o.cycle),
            );
        }
        if o.title.trim().is_empty() {
            c.add(at(), &what, Some("title"), "an objective needs a title");
        }
        check_number(c, at, &what, "final_score", o.final_score);
        check_score(c, at, &what, o.final_score.filter(|v| v.is_finite()));
        check_version(c, at(), &what, o.version);
    }
    if let Err(e) = parents_first(&doc.objectives, |o| o.key.as_str(), |o| o.parent.as_deref()) {
        let i = doc
            .objectives
            .iter()
            .position(|o| o.key == e.key())
            .unwrap_or(0);
        c.add(
            At::Row("objectives", i),
            &row("objectives", i, e.key()),
            Some("parent"),
            e.to_string(),
        );
    }
    let kind_of: HashMap<&str, KrKind> = doc
        .key_results
        .iter()
        .map(|k| (k.key.as_str(), k.kind))
        .collect();
    for (i, k) in doc.key_results.iter().enumerate() {
        let at = || At::Row("key_results", i);
        let what = row("key_results", i, &k.key);
        refers(
            c,
            at(),
            &what,
            "objective",
            &objectives,
            "objective",
            Some(&k.objective),
        );
        refers(c, at(), &what, "owner", &users, "user", k.owner.as_deref());
        if k.title.trim().is_empty() {
            c.add(at(), &what, Some("title"), "a key result needs a title");
        }
        check_number(c, at, &what, "baseline", k.baseline);
        check_number(c, at, &what, "target", k.target);
        if k.baseline.is_none_or(f64::is_finite)
            && k.target.is_none_or(f64::is_finite)
            && let Err((field, reason)) = check_measure(k)
        {
            c.add(at(), &what, Some(field), reason);
        }
        if !(k.weight > 0.0 && k.weight <= MAX_WEIGHT) {
            c.add(
                at(),
                &what,
                Some("weight"),
                format!(
                    "must be a number above 0 and at most {MAX_WEIGHT}, not {}",
                    k.weight
                ),
            );
        }
        match (k.kind, &k.kpi) {
            (KrKind::Kpi, None) => {
                c.add(at(), &what, Some("kpi"), "a kpi key result names its KPI")
            }
            (KrKind::Kpi, Some(_)) | (_, None) => {}
            (kind, Some(_)) => c.add(
                at(),
                &what,
                Some("kind"),
                format!(
                    "is {} but the key result names a KPI: use kind kpi",
                    kind.as_str()
                ),
            ),
        }
        check_number(c, at, &what, "final_score", k.final_score);
        check_score(c, at, &what, k.final_score.filter(|v| v.is_finite()));
        check_version(c, at(), &what, k.version);
    }
    let mut seqs = HashSet::new();
    for (i, x) in doc.checkins.iter().enumerate() {
        let at = || At::Row("checkins", i);
        let what = format!("checkins[{i}] (number {})", x.seq);
        refers(c, at(), &what, "kr", &krs, "key result", Some(&x.kr));
        refers(
            c,
            at(),
            &what,
            "author",
            &users,
            "user",
            x.author.as_deref(),
        );
        if !(1..=MAX_COUNT).contains(&x.seq) {
            c.add(
                at(),
                &what,
                Some("seq"),
                format!(
                    "check-ins are numbered from 1 to {MAX_COUNT}, not {}",
                    x.seq
                ),
            );
        } else if !seqs.insert(x.seq) {
            c.add(
                at(),
                &what,
                Some("seq"),
                format!("check-in number {} appears twice", x.seq),
            );
        }
        check_number(c, at, &what, "value", x.value);
        if let Some(v) = x.value
            && kind_of.get(x.kr.as_str()) == Some(&KrKind::Milestone)
            && v != 0.0
            && v != 1.0
        {
            c.add(
                at(),
                &what,
                Some("value"),
                format!(
                    "`{}` is a milestone: 1 (done) or 0 (not done), not {v}",
                    x.kr
                ),
            );
        }
    }
}

fn checked(doc: &ExportDocument, places: Option<&Places>) -> Result<(), StoreError> {
    let mut c = Checks {
        places,
        problems: Vec::new(),
    };
    run_checks(doc, &mut c);
    let mut problems = c.problems;
    if problems.is_empty() {
        return Ok(());
    }
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(Problem {
            line: None,
            field: String::new(),
            reason: format!("… and {more} more problems"),
        });
    }
    Err(StoreError::Document { problems })
}

/// Checks a document before anything is written (see the module's
/// documentation); problems are reported without lines.
pub fn validate(doc: &ExportDocument) -> Result<(), StoreError> {
    checked(doc, None)
}

impl ExportDocument {
    /// The document as pretty-printed JSON, numbers in the shortest form
    /// that reads back to the same `f64`.
    pub fn to_json(&self) -> Result<String, StoreError> {
        // Strings, numbers, booleans and dates, keyed by strings: this
        // cannot fail today, but a future field must not turn into a panic.
        serde_json::to_string_pretty(self).map_err(|e| {
            StoreError::Invalid(format!("the workspace cannot be written as JSON: {e}"))
        })
    }

    /// Reads a document from JSON text and checks all of it (see the
    /// module's documentation); problems carry their line in `text`.
    pub fn from_json(text: &str) -> Result<ExportDocument, StoreError> {
        let doc: ExportDocument = serde_json::from_str(text).map_err(|e| {
            let message = e.to_string();
            let what = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m);
            StoreError::Document {
                problems: vec![Problem {
                    line: Some(e.line()),
                    field: String::new(),
                    reason: format!("not an okapi export: {what} (column {})", e.column()),
                }],
            }
        })?;
        let places = Places::of(text);
        checked(&doc, Some(&places))?;
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use okapi_core::okr::Confidence;

    use crate::model::{CheckIn, CheckInSource, Workspace};

    #[test]
    fn many_problems_are_counted_past_the_first_fifty() {
        let at = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        let checkin = |seq| CheckIn {
            seq,
            kr: "KR-404".into(),
            at,
            value: Some(1.0),
            confidence: Confidence::OnTrack,
            note: None,
            author: None,
            source: CheckInSource::Manual,
        };
        let doc = ExportDocument {
            format: ExportDocument::FORMAT.into(),
            format_version: ExportDocument::FORMAT_VERSION,
            exported_at: at,
            workspace: Workspace {
                id: "acme".into(),
                name: "Acme".into(),
                vision: None,
                profile: "b2b".into(),
                created_at: at,
            },
            settings: None,
            teams: vec![],
            users: vec![],
            cycles: vec![],
            objectives: vec![],
            key_results: vec![],
            checkins: (1..=60).map(checkin).collect(),
        };
        match validate(&doc) {
            Err(StoreError::Document { problems }) => {
                assert_eq!(problems.len(), 51);
                assert_eq!(problems[49].field, "checkins[49] (number 50) kr");
                assert_eq!(problems[50].reason, "… and 10 more problems");
            }
            other => panic!("expected 60 problems, got {other:?}"),
        }
    }

    #[test]
    fn a_quoted_name_followed_by_a_colon_is_a_key() {
        let row = r#"{"title": "about \"weight\": a lot", "note": "x \"weight", "weight": 0}"#;
        let at = key_offset(row, "weight").unwrap();
        assert!(row[at..].starts_with("\"weight\": 0"));
        assert_eq!(key_offset(row, "missing"), None);
    }
}
