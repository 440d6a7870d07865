//! The command-line arguments.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "okapi",
    version,
    about = "Run a SaaS company on OKRs wired to live KPIs"
)]
pub struct Cli {
    /// Workspace file with settings and custom KPIs (default: ./okapi.toml when present).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Workspace directory of the OKR commands.
    #[arg(long, global = true, env = "OKAPI_WORKSPACE", default_value = ".")]
    pub workspace: PathBuf,
    /// OKR database (default: the workspace's okapi.db), e.g. postgres://user@host/db.
    #[arg(
        long,
        global = true,
        env = "OKAPI_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GrainArg {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl From<GrainArg> for okapi_core::period::Grain {
    fn from(g: GrainArg) -> Self {
        use okapi_core::period::Grain;
        match g {
            GrainArg::Day => Grain::Day,
            GrainArg::Week => Grain::Week,
            GrainArg::Month => Grain::Month,
            GrainArg::Quarter => Grain::Quarter,
            GrainArg::Year => Grain::Year,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    B2b,
    B2c,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a workspace: okapi.toml, a data directory and the OKR database.
    Init(Box<crate::okr::args::InitArgs>),
    /// Upgrade the OKR database to this version's schema.
    Migrate {
        #[arg(long, value_enum, default_value_t)]
        format: crate::okr::args::Format,
    },
    /// Show or set the workspace's vision.
    Vision {
        text: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: crate::okr::args::Format,
    },
    /// Teams and their missions.
    Team {
        #[command(subcommand)]
        cmd: crate::okr::args::TeamCmd,
    },
    /// People, in teams.
    User {
        #[command(subcommand)]
        cmd: crate::okr::args::UserCmd,
    },
    /// OKR cycles: create, list, activate, close.
    Cycle {
        #[command(subcommand)]
        cmd: crate::okr::args::CycleCmd,
    },
    /// Objectives and key results.
    Okr {
        #[command(subcommand)]
        cmd: Box<crate::okr::args::OkrCmd>,
    },
    /// Check in on a key result.
    Checkin(Box<crate::okr::args::CheckinArgs>),
    /// The coach's review of a cycle's OKRs or of a draft file.
    Review {
        #[arg(long)]
        cycle: Option<String>,
        /// Review a draft OKR file instead of a stored cycle.
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: crate::okr::args::Format,
    },
    /// Targets against results per team, and realistic targets from KPI history.
    Calibrate {
        /// Percentile of past changes a proposal takes (default 75).
        #[arg(long)]
        percentile: Option<f64>,
        #[arg(long, value_enum, default_value_t)]
        format: crate::okr::args::Format,
    },
    /// Reports: `weekly` (the executive report of the week) or `quarter`
    /// (a cycle's OKR report, also what `okapi report` alone prints).
    #[command(args_conflicts_with_subcommands = true)]
    Report {
        #[command(subcommand)]
        kind: Option<crate::okr::args::ReportKind>,
        #[arg(long)]
        cycle: Option<String>,
        #[arg(long)]
        at: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t)]
        format: crate::okr::args::ReportFormat,
    },
    /// Write the whole workspace as one JSON document.
    Export {
        /// File to write (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Restore a workspace from an export into the workspace directory's database.
    Import {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t)]
        format: crate::okr::args::Format,
    },
    /// Validate a data directory and print its data-quality report.
    Check {
        /// Data directory (default: the workspace's, inside a workspace).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Load the valid rows and write the rejected ones, with reasons, to FILE.
        #[arg(long)]
        quarantine: Option<PathBuf>,
        #[arg(long, value_enum)]
        format: Option<OutputFormat>,
    },
    /// The alerts sent to webhooks after refreshes (`log`).
    Alerts {
        #[command(subcommand)]
        cmd: crate::alerts::AlertsCmd,
    },
    /// Bring data from other tools into the data directory (`import-visits`).
    Data {
        #[command(subcommand)]
        cmd: crate::data::DataCmd,
    },
    /// Compute KPIs per period.
    Kpi {
        /// Data directory (default: the workspace's, inside a workspace).
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "month")]
        grain: GrainArg,
        #[arg(long)]
        from: Option<NaiveDate>,
        #[arg(long)]
        to: Option<NaiveDate>,
        /// KPI ids, comma-separated (default: the whole catalog).
        #[arg(long, value_delimiter = ',')]
        kpi: Vec<String>,
        /// Restrict to accounts whose `accounts` column (or subscription plan) has this value.
        #[arg(long)]
        segment: Option<String>,
        /// table (default on a terminal), csv (default otherwise) or json.
        #[arg(long, value_enum)]
        format: Option<OutputFormat>,
        /// Print the catalog instead.
        #[arg(long)]
        list: bool,
        #[command(flatten)]
        cluster: crate::cluster::ClusterArg,
    },
    /// The MRR bridge per period.
    Mrr {
        /// Data directory (default: the workspace's, inside a workspace).
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "month")]
        grain: GrainArg,
        #[arg(long)]
        from: Option<NaiveDate>,
        #[arg(long)]
        to: Option<NaiveDate>,
        /// Every account's movement, to audit any number back to rows.
        #[arg(long)]
        accounts: bool,
        #[arg(long, value_enum)]
        format: Option<OutputFormat>,
    },
    /// Paying accounts with no activity in the window.
    Inactive {
        /// Data directory (default: the workspace's, inside a workspace).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Days (default: the workspace's inactivity_window, 14).
        #[arg(long)]
        window: Option<u32>,
        /// Day to look from (default: the data's last day).
        #[arg(long)]
        at: Option<NaiveDate>,
        #[arg(long, value_enum)]
        format: Option<OutputFormat>,
    },
    /// Every customer's health score (0–100) and its signals, lowest first.
    Health {
        /// Data directory (default: the workspace's, inside a workspace).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Day to score on (default: the data's last day).
        #[arg(long)]
        at: Option<NaiveDate>,
        #[arg(long, value_enum)]
        format: Option<OutputFormat>,
    },
    /// Time to value per account and mean days per onboarding phase.
    Ttv {
        /// Data directory (default: the workspace's, inside a workspace).
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, value_enum)]
        format: Option<OutputFormat>,
    },
    /// User retention cohorts.
    Retention {
        /// Data directory (default: the workspace's, inside a workspace).
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "month")]
        grain: GrainArg,
        #[arg(long, value_enum)]
        format: Option<OutputFormat>,
    },
    /// Write a realistic demo company and print its executive summary.
    Demo {
        #[arg(long, value_enum, default_value = "b2b")]
        profile: ProfileArg,
        #[arg(long, default_value = "okapi-demo")]
        out: PathBuf,
        #[arg(long, default_value_t = 2000)]
        accounts: u32,
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        #[arg(long, default_value_t = 24)]
        months: u32,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Last day of the data (default: the last day of the previous month).
        #[arg(long)]
        end: Option<NaiveDate>,
        /// Only write the data; skip the summary.
        #[arg(long)]
        quiet: bool,
        /// Then refresh its KPIs and serve it, with a generated admin login.
        #[arg(long)]
        serve: bool,
        /// Where to serve it (with `--serve`).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Serve the REST API of the workspace (every request needs a token: `okapi token create`).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Refresh the stored KPI values at start and every N minutes (0: never).
        #[arg(long, default_value_t = 60)]
        refresh_every: u64,
        /// The server is reached over TLS (a proxy ends it): mark the session cookie Secure.
        #[arg(long)]
        behind_tls: bool,
        #[command(flatten)]
        cluster: crate::cluster::ClusterArg,
    },
    /// Run the events scan on an Apache DataFusion Ballista cluster:
    /// start its scheduler and executors.
    Cluster {
        #[command(subcommand)]
        cmd: crate::cluster::ClusterCmd,
    },
    /// API tokens of the workspace: create (the secret is shown once), list, revoke.
    Token {
        #[command(subcommand)]
        cmd: crate::serve::TokenCmd,
    },
    /// What the stored KPIs and the current cycle say together: anomalies,
    /// dissonances between journey stages, OKRs at risk.
    #[command(args_conflicts_with_subcommands = true)]
    Insights {
        #[command(subcommand)]
        cmd: Option<crate::insights::InsightsCmd>,
        /// Read the OKR risks on this day (default: today).
        #[arg(long)]
        at: Option<chrono::NaiveDate>,
        #[arg(long, value_enum, default_value_t)]
        format: crate::okr::args::Format,
    },
    /// Compute every KPI at every grain and store the values for pages to read.
    Refresh {
        /// Recompute even when neither the data files nor the definitions changed.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        cluster: crate::cluster::ClusterArg,
        #[arg(long, value_enum, default_value_t)]
        format: crate::okr::args::Format,
    },
}
