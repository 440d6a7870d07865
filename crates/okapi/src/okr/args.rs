//! Arguments of the OKR commands.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};

use crate::cli::ProfileArg;
use okapi_core::okr::{KrKind, KrType};
use okapi_core::period::Grain;
use okapi_core::review::{Funnel, Maturity};

/// A word of the method (`--kind milestone`, `--grain week`), parsed once
/// by its own parser: the error lists the accepted words.
fn method_word<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.parse()
}

/// `table` for people, `json` for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

/// A spreadsheet's format: `xlsx` (one workbook) or `csv` (the key
/// results, and their check-ins in `NAME.checkins.csv` beside them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SheetFormat {
    Xlsx,
    Csv,
}

/// `markdown` (also plain text), `html` (one page, printable) or `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Markdown,
    Html,
    Json,
}

/// Which report.
#[derive(Debug, Subcommand)]
pub enum ReportKind {
    /// The executive report of the week: the executive KPIs with their
    /// trend, what the insights found, inactive customers, OKRs at risk and
    /// the week's check-ins.
    Weekly {
        /// The week's last day (default: the data's last day).
        #[arg(long)]
        at: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t)]
        format: ReportFormat,
    },
    /// A cycle's OKR report: every objective and key result with baseline,
    /// target, value, score and grade, progress charts, reflections and
    /// the calibration against past cycles.
    Quarter {
        /// The cycle (default: the active one).
        #[arg(long)]
        cycle: Option<String>,
        #[arg(long)]
        at: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t)]
        format: ReportFormat,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory of the new workspace (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value = "b2b")]
    pub profile: ProfileArg,
    /// The company's name (default: the directory's name).
    #[arg(long)]
    pub name: Option<String>,
    /// The workspace id in the database (default: from the name).
    #[arg(long)]
    pub id: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum TeamCmd {
    /// Create a team or update its name and mission.
    Add {
        key: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        mission: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Create a user or update one.
    Add {
        key: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        team: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Let a user log in to the server: their access and, read from
    /// standard input (first line), their password.
    Login {
        key: String,
        /// admin, editor (OKRs and check-ins of their team) or viewer.
        #[arg(long, value_parser = method_word::<okapi_store::Access>, default_value = "viewer")]
        access: okapi_store::Access,
        /// Keep the password as it is; change only the access.
        #[arg(long)]
        keep_password: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum CycleCmd {
    /// Create a cycle: `2027-Q1` and `2027` get their dates from the key;
    /// any other key needs --start and --end. Without a key: the current
    /// quarter.
    Create {
        key: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        start: Option<NaiveDate>,
        #[arg(long)]
        end: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Rename a cycle or move its dates (not once closed).
    Set {
        key: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        start: Option<NaiveDate>,
        #[arg(long)]
        end: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Move a cycle from planning to active.
    Activate {
        key: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Close an active cycle: KPI-linked KRs get a last computed check-in,
    /// then every KR and objective its final score and grade.
    Close {
        key: String,
        /// A reflection on a KR, `KR=TEXT` (repeatable).
        #[arg(long = "reflection", value_name = "KR=TEXT")]
        reflections: Vec<String>,
        /// Day of the last KPI check-in (default: today).
        #[arg(long)]
        at: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, Args)]
pub struct ObjectiveFields {
    #[arg(long)]
    pub title: Option<String>,
    /// Why the objective matters.
    #[arg(long)]
    pub why: Option<String>,
    /// company, team or person.
    #[arg(long)]
    pub level: Option<String>,
    #[arg(long)]
    pub team: Option<String>,
    #[arg(long)]
    pub owner: Option<String>,
    /// The objective this one supports.
    #[arg(long)]
    pub parent: Option<String>,
    /// Committed (expected to reach 1.0) rather than aspirational.
    #[arg(long)]
    pub committed: Option<bool>,
}

#[derive(Debug, Args)]
pub struct KrFields {
    #[arg(long)]
    pub title: Option<String>,
    /// metric, kpi, milestone or threshold.
    #[arg(long, value_parser = method_word::<KrKind>)]
    pub kind: Option<KrKind>,
    /// The linked KPI (kind kpi).
    #[arg(long)]
    pub kpi: Option<String>,
    /// `COLUMN=VALUE`: compute the KPI for one segment.
    #[arg(long)]
    pub segment: Option<String>,
    /// Period grain the KPI is read at (default month).
    #[arg(long, value_parser = method_word::<Grain>)]
    pub grain: Option<Grain>,
    /// Start value; for KPI-linked KRs, the KPI's last complete period
    /// before the cycle when omitted.
    #[arg(long, allow_negative_numbers = true)]
    pub baseline: Option<f64>,
    /// Target (for a threshold: the line to hold).
    #[arg(long, allow_negative_numbers = true)]
    pub target: Option<f64>,
    /// Thresholds: hold at or below the line instead of above.
    #[arg(long)]
    pub below: bool,
    #[arg(long)]
    pub unit: Option<String>,
    #[arg(long)]
    pub due: Option<NaiveDate>,
    #[arg(long, allow_negative_numbers = true)]
    pub weight: Option<f64>,
    /// input, output or outcome.
    #[arg(long = "type", value_parser = method_word::<KrType>)]
    pub kr_type: Option<KrType>,
    /// top, middle or bottom.
    #[arg(long, value_parser = method_word::<Funnel>)]
    pub funnel: Option<Funnel>,
    /// Leading (true) or lagging (false).
    #[arg(long)]
    pub leading: Option<bool>,
    /// starting, scaling or optimizing.
    #[arg(long, value_parser = method_word::<Maturity>)]
    pub maturity: Option<Maturity>,
    /// Why the KR matters to its objective.
    #[arg(long)]
    pub why: Option<String>,
    #[arg(long)]
    pub owner: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum OkrCmd {
    /// Add an objective to a cycle.
    Add {
        #[arg(long)]
        cycle: String,
        /// Key (default: the next O-n).
        #[arg(long)]
        key: Option<String>,
        #[command(flatten)]
        fields: ObjectiveFields,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Change an objective: fields, or its state (draft, in_review, active, closed).
    Set {
        key: String,
        #[command(flatten)]
        fields: ObjectiveFields,
        #[arg(long)]
        state: Option<String>,
        /// Refuse the change unless the objective is still at this version.
        #[arg(long)]
        if_version: Option<i64>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Add a key result to an objective.
    Kr {
        #[arg(long)]
        objective: String,
        /// Key (default: the next KR-n).
        #[arg(long)]
        key: Option<String>,
        #[command(flatten)]
        fields: KrFields,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Change a key result (or, once closed, only its reflection).
    KrSet {
        key: String,
        #[command(flatten)]
        fields: KrFields,
        #[arg(long)]
        reflection: Option<String>,
        #[arg(long)]
        if_version: Option<i64>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Delete a draft objective (with its KRs) or a KR created by mistake;
    /// anything with check-ins is history and stays.
    Delete {
        key: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// A key result's check-ins, oldest first, with the score after each.
    History {
        kr: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Objectives and key results with scores, pace and forecast.
    List {
        /// Default: the active cycle (or the latest).
        #[arg(long)]
        cycle: Option<String>,
        /// Day to measure pace on (default: today).
        #[arg(long)]
        at: Option<NaiveDate>,
        /// Compute KPI-linked KRs' values now from the data (not stored).
        #[arg(long)]
        live: bool,
        /// Only this team's objectives.
        #[arg(long)]
        team: Option<String>,
        /// Only what this person owns: objectives, and KRs in others'.
        #[arg(long)]
        owner: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The alignment tree of a cycle.
    Tree {
        #[arg(long)]
        cycle: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Key results with no check-in within the cadence, per owner.
    Stale {
        #[arg(long)]
        at: Option<NaiveDate>,
        /// Days (default: okrs.checkin_cadence, 7).
        #[arg(long)]
        cadence: Option<u32>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The template library.
    Templates {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Check in every KPI-linked KR of the active cycles whose computed
    /// value changed since its last check-in (run it when the data changes).
    Refresh {
        /// Day to compute on (default: today).
        #[arg(long)]
        at: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Instantiate a template in a cycle.
    New {
        #[arg(long)]
        template: String,
        #[arg(long)]
        cycle: String,
        #[arg(long)]
        parent: Option<String>,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        team: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Apply an OKRs-as-code file (TOML); applying it twice changes nothing.
    Apply {
        file: PathBuf,
        /// Show what would change without writing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Write a cycle as a spreadsheet: one row per key result, and its
    /// check-ins (see docs/sheets.md).
    Export {
        #[arg(long)]
        cycle: String,
        #[arg(long = "format", value_enum)]
        sheet: SheetFormat,
        /// Default: the cycle's key, `2027-Q1.xlsx`.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Apply a spreadsheet (.xlsx, or .csv) like `okr apply` a file:
    /// matched by key, importing it twice changes nothing.
    Import {
        file: PathBuf,
        /// Show what would change without writing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, Args)]
pub struct CheckinArgs {
    /// The key result.
    pub kr: String,
    /// The new value (computed from the KPI for KPI-linked KRs when omitted).
    #[arg(long, allow_negative_numbers = true)]
    pub value: Option<f64>,
    /// on_track, at_risk or off_track (default: from the pace).
    #[arg(long)]
    pub confidence: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
    #[arg(long)]
    pub author: Option<String>,
    /// Day of the check-in (default: today).
    #[arg(long)]
    pub at: Option<NaiveDate>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}
