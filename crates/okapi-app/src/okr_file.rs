//! OKRs as code: a TOML file a team keeps in version control and applies
//! with `okapi okr apply FILE`.
//!
//! ```toml
//! vision = "Every SaaS team runs on numbers it trusts"
//!
//! [[team]]
//! key = "marketing"
//! name = "Marketing"
//! mission = "Make okapi the first name buyers think of"
//!
//! [[user]]
//! key = "ana"
//! name = "Ana Lima"
//! team = "marketing"
//!
//! [[cycle]]
//! key = "2027-Q1"            # dates from the key; or start/end
//! state = "active"
//!
//! [[objective]]
//! key = "C-1"
//! cycle = "2027-Q1"
//! title = "Customers reach value in weeks, not months"
//! level = "company"          # default: team with a team or a parent, person with only an owner, else company
//! committed = true
//!
//! [[objective.kr]]
//! key = "KR-1"
//! title = "Cut time to value from 65 to 55 days"
//! kpi = "time_to_value"      # kind kpi; baseline from the data when omitted
//! target = 55
//! unit = "days"
//! why = "Customers who see value early stay"
//! ```
//!
//! Applying matches rows by key: a missing row is created, a different one
//! updated (through the same versioned writes as the CLI), an equal one
//! left alone, so applying the same file twice changes nothing. A state in
//! the file is a minimum: it moves a row forward through the steps
//! (`active` walks a draft through review), and a row already past it (an
//! objective closed with its cycle) is left alone; moving back (review to
//! draft) and closing a cycle are commands, not file edits. Rows absent from the file are kept: the file adds and updates,
//! it never deletes. The whole file is one transaction: any error, and
//! nothing is written.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;
use okapi_core::okr::{CycleState, KrKind, KrType, ObjectiveState};
use okapi_core::period::Grain;
use okapi_core::review::{Funnel, Level, Maturity};
use okapi_store::{
    Cycle, KeyResult, Objective, Session, StoreError, Team, User, check_key, parents_first,
};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use okapi_core::settings::Settings;

use crate::cycles::name_from_key;
use crate::error::{AppError, Context};
use crate::fault;
use crate::kpi_reader::{KpiReader, check_kpi};

type Result<T> = std::result::Result<T, AppError>;

/// Returns an [`AppError::Invalid`] with the message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err(AppError::Invalid(format!($($arg)*)))
    };
}

/// An [`AppError::Invalid`] with the message.
macro_rules! invalid {
    ($($arg:tt)*) => {
        AppError::Invalid(format!($($arg)*))
    };
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OkrFile {
    pub vision: Option<String>,
    #[serde(default, rename = "team")]
    pub teams: Vec<TeamSpec>,
    #[serde(default, rename = "user")]
    pub users: Vec<UserSpec>,
    #[serde(default, rename = "cycle")]
    pub cycles: Vec<CycleSpec>,
    #[serde(default, rename = "objective")]
    pub objectives: Vec<ObjectiveSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSpec {
    pub key: Spanned<String>,
    pub name: Option<String>,
    pub mission: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    pub key: Spanned<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub team: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CycleSpec {
    pub key: Spanned<String>,
    pub name: Option<String>,
    pub start: Option<toml::Value>,
    pub end: Option<toml::Value>,
    pub state: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveSpec {
    pub key: Spanned<String>,
    pub cycle: String,
    pub title: String,
    pub why: Option<String>,
    pub level: Option<String>,
    pub team: Option<String>,
    pub owner: Option<String>,
    pub parent: Option<String>,
    #[serde(default)]
    pub committed: bool,
    pub state: Option<String>,
    #[serde(default, rename = "kr")]
    pub krs: Vec<KrSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KrSpec {
    pub key: Spanned<String>,
    pub title: String,
    #[serde(default, deserialize_with = "word_field")]
    pub kind: Option<KrKind>,
    pub kpi: Option<String>,
    pub segment: Option<String>,
    #[serde(default, deserialize_with = "word_field")]
    pub grain: Option<Grain>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    #[serde(default)]
    pub below: bool,
    pub unit: Option<String>,
    pub due: Option<toml::Value>,
    pub weight: Option<f64>,
    #[serde(default, rename = "type", deserialize_with = "word_field")]
    pub kr_type: Option<KrType>,
    #[serde(default, deserialize_with = "word_field")]
    pub funnel: Option<Funnel>,
    pub leading: Option<bool>,
    #[serde(default, deserialize_with = "word_field")]
    pub maturity: Option<Maturity>,
    pub why: Option<String>,
    pub owner: Option<String>,
}

/// A word of the method (`kind = "milestone"`, `grain = "week"`) read with
/// its own parser, so that a file accepts exactly the words the command
/// line does and refuses others with the accepted ones and the line.
fn word_field<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr<Err = String>,
{
    Option::<String>::deserialize(d)?
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .transpose()
}

/// What applying did to one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: &'static str,
    pub key: String,
    /// `created`, `updated` or `unchanged`.
    pub action: &'static str,
}

/// A file's text, parsed: the syntax and unknown keys are refused here,
/// with the line.
pub fn parse(path: &Path, text: &str) -> Result<OkrFile> {
    toml::from_str(text).map_err(|e| invalid!("{}: {}", path.display(), e.to_string().trim()))
}

/// The 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn date_value(v: &toml::Value) -> Result<NaiveDate> {
    let s = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        other => bail!("expected a date, found a {}", other.type_str()),
    };
    NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .map_err(|_| invalid!("`{s}` is not a date (YYYY-MM-DD)"))
}

/// Parses an optional word (`--level team`) with the accepted words in the
/// error.
pub fn word<T: std::str::FromStr<Err = String>>(s: Option<&str>) -> Result<Option<T>> {
    s.map(|s| s.parse::<T>().map_err(AppError::Invalid))
        .transpose()
}

pub use crate::cycles::{dates_from_key, quarter_key};
pub use crate::objectives::default_level;
pub use crate::workspace::toml_str;

/// A key result's kind: the one given, else `kpi` when it names a KPI,
/// else `metric`.
fn kr_kind(spec: &KrSpec) -> Result<KrKind> {
    Ok(match spec.kind {
        Some(k) => k,
        None if spec.kpi.is_some() => KrKind::Kpi,
        None => KrKind::Metric,
    })
}

/// Whether a key result takes its baseline from the data: a KPI-linked one
/// given no baseline, and with none stored (`existing`).
pub fn needs_data_baseline(spec: &KrSpec, existing: Option<&KeyResult>) -> Result<bool> {
    Ok(kr_kind(spec)? == KrKind::Kpi
        && spec.baseline.is_none()
        && existing.and_then(|e| e.baseline).is_none())
}

/// The baseline a KPI-linked key result takes from the data: its KPI on
/// the day before its cycle starts. Computed before any write transaction.
pub fn data_baseline(
    spec: &KrSpec,
    settings: &Settings,
    cycle_start: NaiveDate,
    kpis: &mut KpiReader<'_>,
) -> Result<f64> {
    let id = spec.kpi.as_deref().unwrap_or_default();
    check_kpi(settings, id)?;
    let grain = spec.grain.unwrap_or(Grain::Month);
    let day_before = cycle_start.pred_opt().unwrap_or(cycle_start);
    let r = kpis
        .value_on(id, spec.segment.as_deref(), grain, day_before)
        .with_context(|| "no baseline given and none in the data")?;
    Ok(r.value)
}

/// Builds a key result from its fields. `existing` keeps what the file
/// leaves to the store (scores, reflection, version, a baseline taken from
/// the data earlier); `from_data` is the baseline read from the data for a
/// KPI-linked key result given none ([`data_baseline`]).
pub fn build_kr(
    key: &str,
    objective: &str,
    spec: &KrSpec,
    existing: Option<&KeyResult>,
    settings: &Settings,
    from_data: Option<f64>,
) -> Result<KeyResult> {
    let kind = kr_kind(spec)?;
    if let Some(id) = &spec.kpi {
        check_kpi(settings, id)?;
    }
    if let Some(segment) = &spec.segment {
        crate::inputs::segment(segment)?;
    }
    let mut baseline = spec.baseline;
    if baseline.is_none() && kind == KrKind::Kpi {
        baseline = existing.and_then(|e| e.baseline).or(from_data);
        if baseline.is_none() {
            bail!(
                "no baseline given, and none was read from the data (the workspace changed meanwhile: run the command again)"
            );
        }
    }
    if matches!(kind, KrKind::Metric | KrKind::Kpi) && (baseline.is_none() || spec.target.is_none())
    {
        bail!(
            "a {} key result needs a baseline and a target",
            kind.as_str()
        );
    }
    if kind == KrKind::Threshold && spec.target.is_none() {
        bail!("a threshold key result needs its line as `target`");
    }
    Ok(KeyResult {
        key: key.to_string(),
        objective: objective.to_string(),
        title: spec.title.clone(),
        kind,
        kpi: spec.kpi.clone(),
        segment: spec.segment.clone(),
        grain: spec.grain.map(|g| g.as_str().to_string()),
        baseline: if kind == KrKind::Threshold || kind == KrKind::Milestone {
            None
        } else {
            baseline
        },
        target: if kind == KrKind::Milestone {
            None
        } else {
            spec.target
        },
        above: (kind == KrKind::Threshold).then_some(!spec.below),
        unit: spec.unit.clone(),
        due: spec.due.as_ref().map(date_value).transpose()?,
        weight: spec.weight.unwrap_or(1.0),
        kr_type: spec.kr_type,
        funnel: spec.funnel,
        leading: spec.leading,
        maturity: spec.maturity,
        why: spec.why.clone(),
        owner: spec.owner.clone(),
        final_score: existing.and_then(|e| e.final_score),
        grade: existing.and_then(|e| e.grade),
        reflection: existing.and_then(|e| e.reflection.clone()),
        version: existing.map_or(0, |e| e.version),
    })
}

fn cycle_rank(s: CycleState) -> u8 {
    match s {
        CycleState::Planning => 0,
        CycleState::Active => 1,
        CycleState::Closed => 2,
    }
}

fn objective_rank(s: ObjectiveState) -> u8 {
    match s {
        ObjectiveState::Draft => 0,
        ObjectiveState::InReview => 1,
        ObjectiveState::Active => 2,
        ObjectiveState::Closed => 3,
    }
}

/// The steps from one objective state to another, or an error.
fn objective_steps(from: ObjectiveState, to: ObjectiveState) -> Result<Vec<ObjectiveState>> {
    use ObjectiveState::*;
    Ok(match (from, to) {
        (a, b) if a == b => vec![],
        (Draft, InReview) => vec![InReview],
        (Draft, Active) => vec![InReview, Active],
        (InReview, Active) => vec![Active],
        (InReview, Draft) => vec![Draft],
        (Active, Closed) | (Draft, Closed) | (InReview, Closed) => vec![Closed],
        (from, to) => bail!("an objective cannot go from {from} to {to}"),
    })
}

/// A cycle's dates: those given, else those its key implies.
fn cycle_dates(c: &CycleSpec) -> Result<(NaiveDate, NaiveDate)> {
    let implied = dates_from_key(c.key.get_ref());
    let start = match &c.start {
        Some(v) => date_value(v)?,
        None => implied
            .map(|d| d.0)
            .ok_or_else(|| invalid!("needs start and end dates"))?,
    };
    let end = match &c.end {
        Some(v) => date_value(v)?,
        None => implied
            .map(|d| d.1)
            .ok_or_else(|| invalid!("needs start and end dates"))?,
    };
    Ok((start, end))
}

/// Where the rows of an OKR file are, for the errors about them: a TOML
/// file's lines ([`Lines`]), or a spreadsheet's rows
/// ([`crate::sheets`]).
pub trait Locate {
    /// The file as a whole.
    fn file(&self) -> String;
    /// The row whose key is `key` (its span says where it is).
    fn at(&self, key: &Spanned<String>) -> String;
}

/// A TOML file's rows: `path:line`.
pub struct Lines<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Locate for Lines<'_> {
    fn file(&self) -> String {
        self.path.display().to_string()
    }

    fn at(&self, key: &Spanned<String>) -> String {
        format!(
            "{}:{}",
            self.path.display(),
            line_of(self.text, key.span().start)
        )
    }
}

/// Checks every key a file names, before anything is read or written:
/// keys well-formed (see `okapi_store::check_key`: a number after the last
/// `-` of at most 15 digits, so no counter overflows) and unique within
/// the file, references well-formed, and the parent chains among the
/// file's objectives without loops and at most
/// [`okapi_store::MAX_ALIGNMENT_DEPTH`] deep. Errors name the line.
pub fn check_keys(file: &OkrFile, path: &Path, text: &str) -> Result<()> {
    check_keys_at(file, &Lines { path, text })
}

/// [`check_keys`], the errors placed by `loc`.
pub fn check_keys_at(file: &OkrFile, loc: &dyn Locate) -> Result<()> {
    let at = |key: &Spanned<String>| loc.at(key);
    let mut seen: HashSet<(&str, String)> = HashSet::new();
    let mut check = |kind: &'static str, key: &Spanned<String>, refs: Vec<(&str, Option<&str>)>| {
        check_key(kind, key.get_ref()).with_context(|| at(key))?;
        if !seen.insert((kind, key.get_ref().clone())) {
            bail!(
                "{}: {kind} `{}` appears twice in the file",
                at(key),
                key.get_ref()
            );
        }
        for (what, r) in refs {
            if let Some(r) = r {
                check_key(what, r)
                    .with_context(|| format!("{}: {kind} `{}`", at(key), key.get_ref()))?;
            }
        }
        Ok(())
    };
    for t in &file.teams {
        check("team", &t.key, vec![])?;
    }
    for u in &file.users {
        check("user", &u.key, vec![("team", u.team.as_deref())])?;
    }
    for c in &file.cycles {
        check("cycle", &c.key, vec![])?;
    }
    for o in &file.objectives {
        let refs = vec![
            ("cycle", Some(o.cycle.as_str())),
            ("team", o.team.as_deref()),
            ("user", o.owner.as_deref()),
            ("parent objective", o.parent.as_deref()),
        ];
        check("objective", &o.key, refs)?;
        for k in &o.krs {
            check("key result", &k.key, vec![("user", k.owner.as_deref())])?;
        }
    }
    if let Err(e) = parents_first(
        &file.objectives,
        |o| o.key.get_ref(),
        |o| o.parent.as_deref(),
    ) {
        let line = file
            .objectives
            .iter()
            .find(|o| o.key.get_ref() == e.key())
            .map(|o| at(&o.key))
            .unwrap_or_else(|| loc.file());
        bail!("{line}: {e}");
    }
    Ok(())
}

/// The baselines a file's KPI-linked key results take from the data, by
/// key result.
pub type DataBaselines = HashMap<String, f64>;

/// Reads the data for every KPI-linked key result of the file that gives
/// no baseline and has none stored: its KPI on the day before its cycle
/// starts (the file's dates for a cycle it names, else the stored ones).
/// What is needed is read in `s`, which ends before the KPIs are computed;
/// `apply` then writes with the values in a session of its own.
pub async fn data_baselines(
    s: okapi_store::ReadSession,
    file: &OkrFile,
    path: &Path,
    text: &str,
    settings: &Settings,
    kpis: &mut KpiReader<'_>,
) -> Result<DataBaselines> {
    data_baselines_at(s, file, &Lines { path, text }, settings, kpis).await
}

/// [`data_baselines`], the errors placed by `loc`.
pub async fn data_baselines_at(
    mut s: okapi_store::ReadSession,
    file: &OkrFile,
    loc: &dyn Locate,
    settings: &Settings,
    kpis: &mut KpiReader<'_>,
) -> Result<DataBaselines> {
    let at = |key: &Spanned<String>| loc.at(key);
    let mut wanted = Vec::new();
    for o in &file.objectives {
        for k in &o.krs {
            let existing = match s.key_result(k.key.get_ref()).await {
                Ok(kr) => Some(kr),
                Err(StoreError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            if !needs_data_baseline(k, existing.as_ref()).with_context(|| at(&k.key))? {
                continue;
            }
            let start = match file.cycles.iter().find(|c| c.key.get_ref() == &o.cycle) {
                Some(c) => cycle_dates(c).with_context(|| at(&c.key))?.0,
                None => match s.cycle(&o.cycle).await {
                    Ok(c) => c.start,
                    // Reported by `apply`, with its line.
                    Err(StoreError::NotFound { .. }) => continue,
                    Err(e) => return Err(e.into()),
                },
            };
            wanted.push((k, start));
        }
    }
    s.commit().await?;
    let mut out = DataBaselines::new();
    for (k, start) in wanted {
        let v = data_baseline(k, settings, start, kpis)
            .with_context(|| format!("{}: key result `{}`", at(&k.key), k.key.get_ref()))?;
        out.insert(k.key.get_ref().clone(), v);
    }
    Ok(out)
}

/// Applies an OKR file to the workspace at `loc`: the file parsed and its
/// keys checked before the workspace is opened, baselines read from the
/// data outside any transaction, then the whole file in one transaction,
/// committed unless `dry_run`. Returns what changed (or would).
pub async fn apply_file(
    loc: &crate::location::Location,
    path: &Path,
    text: &str,
    dry_run: bool,
) -> Result<Vec<Change>> {
    let parsed = parse(path, text)?;
    check_keys(&parsed, path, text)?;
    let ws = crate::workspace::Workspace::open(loc).await?;
    let mut reader = KpiReader::new(&ws.settings, ws.data_location()?);
    let baselines = data_baselines(
        ws.read_session().await?,
        &parsed,
        path,
        text,
        &ws.settings,
        &mut reader,
    )
    .await?;
    let mut s = ws.session().await?;
    let changes = apply(&mut s, &parsed, path, text, &ws.settings, &baselines).await?;
    if !dry_run {
        s.commit().await?;
    }
    Ok(changes)
}

/// Applies a parsed file in `s` (not committed here). Every error names
/// the file and the line of the row it is about.
pub async fn apply(
    s: &mut Session,
    file: &OkrFile,
    path: &Path,
    text: &str,
    settings: &Settings,
    baselines: &DataBaselines,
) -> Result<Vec<Change>> {
    apply_at(s, file, &Lines { path, text }, settings, baselines).await
}

/// [`apply`], the errors placed by `loc`.
pub async fn apply_at(
    s: &mut Session,
    file: &OkrFile,
    loc: &dyn Locate,
    settings: &Settings,
    baselines: &DataBaselines,
) -> Result<Vec<Change>> {
    check_keys_at(file, loc)?;
    let at = |key: &Spanned<String>| loc.at(key);
    let mut changes = Vec::new();
    let note = |changes: &mut Vec<Change>, kind, key: &str, action| {
        if action != "unchanged" {
            fault::after_write();
        }
        changes.push(Change {
            kind,
            key: key.to_string(),
            action,
        });
    };

    if let Some(v) = &file.vision
        && s.workspace().vision.as_deref() != Some(v.as_str())
    {
        s.set_vision(Some(v)).await?;
        note(&mut changes, "vision", "vision", "updated");
    }

    let teams: HashMap<String, Team> = s
        .teams()
        .await?
        .into_iter()
        .map(|t| (t.key.clone(), t))
        .collect();
    for t in &file.teams {
        let key = t.key.get_ref();
        let want = Team {
            key: key.clone(),
            name: t.name.clone().unwrap_or_else(|| key.clone()),
            mission: t.mission.clone(),
        };
        let action = match teams.get(key) {
            Some(have) if *have == want => "unchanged",
            Some(_) => "updated",
            None => "created",
        };
        if action != "unchanged" {
            s.put_team(&want).await.with_context(|| at(&t.key))?;
        }
        note(&mut changes, "team", key, action);
    }

    let users: HashMap<String, User> = s
        .users()
        .await?
        .into_iter()
        .map(|u| (u.key.clone(), u))
        .collect();
    for u in &file.users {
        let key = u.key.get_ref();
        let want = User {
            key: key.clone(),
            name: u.name.clone().unwrap_or_else(|| key.clone()),
            email: u.email.clone(),
            role: u.role.clone(),
            team: u.team.clone(),
        };
        let action = match users.get(key) {
            Some(have) if *have == want => "unchanged",
            Some(_) => "updated",
            None => "created",
        };
        if action != "unchanged" {
            s.put_user(&want).await.with_context(|| at(&u.key))?;
        }
        note(&mut changes, "user", key, action);
    }

    for c in &file.cycles {
        let key = c.key.get_ref();
        let ctx = || format!("{}: cycle `{key}`", at(&c.key));
        let (start, end) = cycle_dates(c).with_context(ctx)?;
        let name = c.name.clone().unwrap_or_else(|| name_from_key(key));
        let state = word::<CycleState>(c.state.as_deref()).with_context(ctx)?;
        let existing = match s.cycle(key).await {
            Ok(c) => Some(c),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let mut action = "unchanged";
        let cycle: Cycle = match existing {
            Some(have) => {
                if have.name != name || have.start != start || have.end != end {
                    let mut want = have.clone();
                    want.name = name;
                    want.start = start;
                    want.end = end;
                    action = "updated";
                    s.save_cycle(&want).await.with_context(ctx)?
                } else {
                    have
                }
            }
            None => {
                action = "created";
                s.create_cycle(key, &name, start, end)
                    .await
                    .with_context(ctx)?
            }
        };
        // A state in the file is a minimum: a cycle already past it (an
        // active or closed one for `planning`) is left alone.
        if let Some(want) = state
            && cycle_rank(want) > cycle_rank(cycle.state)
        {
            match (cycle.state, want) {
                (CycleState::Planning, CycleState::Active) => {
                    s.activate_cycle(key).await.with_context(ctx)?;
                    if action == "unchanged" {
                        action = "updated";
                    }
                }
                (_, CycleState::Closed) => bail!(
                    "{}: a file does not close cycles (final scores need the last check-ins): run `okapi cycle close {key}`",
                    ctx()
                ),
                (from, to) => bail!("{}: a cycle cannot go from {from} to {to}", ctx()),
            }
        }
        note(&mut changes, "cycle", key, action);
    }

    // Objectives: parents named in the file first (`check_keys` refused
    // loops and chains too deep).
    let order = parents_first(
        &file.objectives,
        |o| o.key.get_ref(),
        |o| o.parent.as_deref(),
    )?;

    for o in order {
        let key = o.key.get_ref();
        let ctx = || format!("{}: objective `{key}`", at(&o.key));
        let level = match word::<Level>(o.level.as_deref()).with_context(ctx)? {
            Some(l) => l,
            None => default_level(o.team.as_deref(), o.owner.as_deref(), o.parent.as_deref()),
        };
        let state = word::<ObjectiveState>(o.state.as_deref()).with_context(ctx)?;
        let existing = match s.objective(key).await {
            Ok(o) => Some(o),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let mut want = Objective {
            key: key.clone(),
            cycle: o.cycle.clone(),
            title: o.title.clone(),
            why: o.why.clone(),
            level,
            team: o.team.clone(),
            owner: o.owner.clone(),
            parent: o.parent.clone(),
            committed: o.committed,
            state: existing.as_ref().map_or(ObjectiveState::Draft, |e| e.state),
            final_score: existing.as_ref().and_then(|e| e.final_score),
            grade: existing.as_ref().and_then(|e| e.grade),
            flagged: existing.as_ref().is_some_and(|e| e.flagged),
            version: existing.as_ref().map_or(0, |e| e.version),
        };
        let mut action = match &existing {
            Some(have) if *have == want => "unchanged",
            Some(_) => {
                want = s.save_objective(&want).await.with_context(ctx)?;
                "updated"
            }
            None => {
                want = s.create_objective(&want).await.with_context(ctx)?;
                "created"
            }
        };
        if let Some(target) = state
            && objective_rank(target) > objective_rank(want.state)
        {
            for step in objective_steps(want.state, target).with_context(ctx)? {
                want.state = step;
                want = s.save_objective(&want).await.with_context(ctx)?;
                if action == "unchanged" {
                    action = "updated";
                }
            }
        }
        note(&mut changes, "objective", key, action);

        for k in &o.krs {
            let kkey = k.key.get_ref();
            let kctx = || format!("{}: key result `{kkey}`", at(&k.key));
            let existing = match s.key_result(kkey).await {
                Ok(k) => Some(k),
                Err(StoreError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            let from_data = baselines.get(kkey.as_str()).copied();
            let want = build_kr(kkey, key, k, existing.as_ref(), settings, from_data)
                .with_context(kctx)?;
            let action = match &existing {
                Some(have) if *have == want => "unchanged",
                Some(_) => {
                    s.save_key_result(&want).await.with_context(kctx)?;
                    "updated"
                }
                None => {
                    s.create_key_result(&want).await.with_context(kctx)?;
                    "created"
                }
            };
            note(&mut changes, "key result", kkey, action);
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycle_keys_imply_their_dates() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            dates_from_key("2027-Q1"),
            Some((d("2027-01-01"), d("2027-03-31")))
        );
        assert_eq!(
            dates_from_key("2024-Q1"),
            Some((d("2024-01-01"), d("2024-03-31")))
        );
        assert_eq!(
            dates_from_key("2026-Q4"),
            Some((d("2026-10-01"), d("2026-12-31")))
        );
        assert_eq!(
            dates_from_key("2026-Q2"),
            Some((d("2026-04-01"), d("2026-06-30")))
        );
        assert_eq!(
            dates_from_key("2027"),
            Some((d("2027-01-01"), d("2027-12-31")))
        );
        assert_eq!(dates_from_key("2027-Q5"), None);
        assert_eq!(dates_from_key("spring"), None);
        assert_eq!(name_from_key("2027-Q1"), "Q1 2027");
    }

    #[test]
    fn lines_count_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
    }
}
