//! Workspace settings, read from the workspace file `okapi.toml`.
//!
//! ```toml
//! profile = "b2b"              # or "b2c"
//! gross_margin = 0.8           # fraction, used by ltv and cac_payback
//! inactivity_window = 14       # days, for inactive_accounts
//! time_zone = "UTC"            # periods are calendar periods in this zone
//!
//! [ttv]
//! start_milestone = "contract_signed"
//! first_value_milestone = "first_value"
//!
//! [events]
//! activity = []                # events counting as activity; empty = all
//! onboarding_completed = "onboarding_completed"
//! referral_sent = "referral_sent"
//! app_installed = "app_installed"
//!
//! [health]                     # weights of the account health score
//! usage_trend = 0.25
//! active_users = 0.20
//! recency = 0.25
//! nps = 0.15
//! support = 0.15
//!
//! [workspace]                  # written by `okapi init`
//! id = "acme"                  # the workspace's id in the OKR database
//! name = "Acme"
//! data = "data"                # the data directory, relative to this file
//!
//! [okrs]
//! checkin_cadence = 7          # days; a KR with no check-in for longer is stale
//! pace_tolerance = 0.15        # behind pace by more than this = at risk
//!
//! [limits]                     # what one custom SQL KPI query may use
//! query_timeout = 30           # seconds
//! query_memory = 512           # MiB of working memory
//! query_rows = 100000          # rows returned
//!
//! [insights]                   # pairs compared, thresholds: see `alerting`
//! [[webhook]]                  # where alerts go: see `alerting`
//! [[alert]]                    # when they fire: see `alerting`
//! [report]                     # the weekly report posted: see `alerting`
//!
//! [[kpi]]                      # custom KPIs, see `custom`
//! id = "ltv_to_cac"
//! formula = "ltv / cac"
//! ```
//!
//! Every key is optional; unknown keys are refused so that a typo does not
//! silently fall back to a default.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::alerting::{AlertRule, InsightSettings, Webhook};
use crate::custom::{CustomKpi, CustomKpiSpec};
use crate::health::HealthWeights;
use crate::timezone::Zone;

/// B2B or B2C: picks the executive dashboard and default templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    #[default]
    B2b,
    B2c,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::B2b => "b2b",
            Profile::B2c => "b2c",
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "b2b" => Ok(Profile::B2b),
            "b2c" => Ok(Profile::B2c),
            other => Err(format!("unknown profile `{other}` (expected b2b or b2c)")),
        }
    }
}

/// An error in the workspace file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    #[error("okapi.toml: {0}")]
    Syntax(String),
    #[error("okapi.toml: {key}: {reason}")]
    Invalid { key: String, reason: String },
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    profile: Option<Profile>,
    gross_margin: Option<f64>,
    /// `inactive_window` is the specification's name for it.
    #[serde(alias = "inactive_window")]
    inactivity_window: Option<i64>,
    time_zone: Option<String>,
    currency: Option<String>,
    #[serde(default)]
    ttv: RawTtv,
    #[serde(default)]
    events: RawEvents,
    #[serde(default)]
    health: Option<HealthWeights>,
    #[serde(default)]
    kpi: Vec<CustomKpiSpec>,
    #[serde(default)]
    workspace: WorkspaceSettings,
    #[serde(default)]
    okrs: RawOkrs,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    insights: crate::alerting::RawInsights,
    #[serde(default)]
    webhook: Vec<crate::alerting::RawWebhook>,
    #[serde(default)]
    alert: Vec<crate::alerting::RawAlert>,
    #[serde(default)]
    report: crate::alerting::RawReport,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    query_timeout: Option<i64>,
    query_memory: Option<i64>,
    query_rows: Option<i64>,
}

/// What one custom SQL KPI query may use (`[limits]`): past any of them
/// the query is stopped and the KPI refused with the limit named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    /// Seconds a query may run (1–3600; default 30).
    pub timeout_secs: u32,
    /// MiB of working memory (sorts, joins, aggregations) a query may
    /// hold, beyond the loaded tables themselves (16–65536; default 512).
    pub memory_mib: u32,
    /// Rows a query may return (1–10,000,000; default 100,000: a century
    /// of daily periods is 36,525).
    pub max_rows: u32,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            timeout_secs: 30,
            memory_mib: 512,
            max_rows: 100_000,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOkrs {
    checkin_cadence: Option<i64>,
    pace_tolerance: Option<f64>,
}

/// Where the workspace's OKRs and data live (`[workspace]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSettings {
    /// The workspace's id in the OKR database.
    pub id: Option<String>,
    pub name: Option<String>,
    /// The data directory, relative to the workspace file (default: the
    /// workspace's own directory).
    pub data: Option<String>,
}

/// The OKR rhythm (`[okrs]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OkrSettings {
    /// Days without a check-in after which a KR is stale.
    pub checkin_cadence: u32,
    /// How far behind the expected progress a KR may fall before it is at
    /// risk.
    pub pace_tolerance: f64,
}

impl Default for OkrSettings {
    fn default() -> Self {
        OkrSettings {
            checkin_cadence: 7,
            pace_tolerance: crate::pace::DEFAULT_TOLERANCE,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTtv {
    start_milestone: Option<String>,
    first_value_milestone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvents {
    activity: Option<Vec<String>>,
    onboarding_completed: Option<String>,
    referral_sent: Option<String>,
    app_installed: Option<String>,
}

/// Event names the engine looks for.
#[derive(Debug, Clone, PartialEq)]
pub struct EventNames {
    /// Events that count as activity for `inactive_accounts`; empty = all.
    pub activity: Vec<String>,
    pub onboarding_completed: String,
    pub referral_sent: String,
    pub app_installed: String,
}

/// The workspace settings, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub profile: Profile,
    /// Fraction in (0, 1].
    pub gross_margin: Decimal,
    /// Days, at least 1.
    pub inactivity_window: u32,
    pub time_zone: Zone,
    pub currency: String,
    pub ttv_start_milestone: String,
    pub ttv_first_value_milestone: String,
    pub events: EventNames,
    /// Weights of the account health score.
    pub health: HealthWeights,
    pub custom_kpis: Vec<CustomKpi>,
    pub workspace: WorkspaceSettings,
    pub okrs: OkrSettings,
    /// Limits of custom SQL KPI queries.
    pub limits: QueryLimits,
    /// What the insights compare (`[insights]`).
    pub insights: InsightSettings,
    /// Where alerts go (`[[webhook]]`).
    pub webhooks: Vec<Webhook>,
    /// When alerts fire (`[[alert]]`).
    pub alerts: Vec<AlertRule>,
    /// Where and when the weekly report is posted (`[report]`).
    pub report: crate::alerting::ReportSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            profile: Profile::B2b,
            gross_margin: Decimal::new(8, 1),
            inactivity_window: 14,
            time_zone: Zone::Utc,
            currency: "USD".into(),
            ttv_start_milestone: "contract_signed".into(),
            ttv_first_value_milestone: "first_value".into(),
            events: EventNames {
                activity: Vec::new(),
                onboarding_completed: "onboarding_completed".into(),
                referral_sent: "referral_sent".into(),
                app_installed: "app_installed".into(),
            },
            health: HealthWeights::default(),
            custom_kpis: Vec::new(),
            workspace: WorkspaceSettings::default(),
            okrs: OkrSettings::default(),
            limits: QueryLimits::default(),
            insights: InsightSettings::default(),
            webhooks: Vec::new(),
            alerts: Vec::new(),
            report: crate::alerting::ReportSettings::default(),
        }
    }
}

fn invalid(key: &str, reason: impl fmt::Display) -> SettingsError {
    SettingsError::Invalid {
        key: key.into(),
        reason: reason.to_string(),
    }
}

impl Settings {
    /// Parses and validates the text of `okapi.toml`.
    pub fn from_toml(text: &str) -> Result<Settings, SettingsError> {
        let raw: RawSettings = toml::from_str(text)
            .map_err(|e| SettingsError::Syntax(e.to_string().trim().to_string()))?;
        let mut s = Settings::default();
        if let Some(p) = raw.profile {
            s.profile = p;
        }
        if let Some(gm) = raw.gross_margin {
            if !(gm > 0.0 && gm <= 1.0) {
                return Err(invalid(
                    "gross_margin",
                    "must be a fraction in (0, 1], e.g. 0.8",
                ));
            }
            s.gross_margin = Decimal::from_f64_retain(gm)
                .map(|d| d.round_dp(12).normalize())
                .ok_or_else(|| invalid("gross_margin", "not a number"))?;
        }
        if let Some(w) = raw.inactivity_window {
            if !(1..=3660).contains(&w) {
                return Err(invalid(
                    "inactivity_window",
                    "must be between 1 and 3660 days",
                ));
            }
            s.inactivity_window = w as u32;
        }
        if let Some(tz) = raw.time_zone {
            s.time_zone = tz.parse().map_err(|e: String| invalid("time_zone", e))?;
        }
        if let Some(c) = raw.currency {
            s.currency = c;
        }
        if let Some(m) = raw.ttv.start_milestone {
            s.ttv_start_milestone = m;
        }
        if let Some(m) = raw.ttv.first_value_milestone {
            s.ttv_first_value_milestone = m;
        }
        if let Some(a) = raw.events.activity {
            s.events.activity = a;
        }
        if let Some(e) = raw.events.onboarding_completed {
            s.events.onboarding_completed = e;
        }
        if let Some(e) = raw.events.referral_sent {
            s.events.referral_sent = e;
        }
        if let Some(e) = raw.events.app_installed {
            s.events.app_installed = e;
        }
        if let Some(h) = raw.health {
            h.validate().map_err(|e| invalid("health", e))?;
            s.health = h;
        }
        s.custom_kpis = crate::custom::validate(raw.kpi)?;
        s.workspace = raw.workspace;
        if let Some(c) = raw.okrs.checkin_cadence {
            if !(1..=366).contains(&c) {
                return Err(invalid(
                    "okrs.checkin_cadence",
                    "must be between 1 and 366 days",
                ));
            }
            s.okrs.checkin_cadence = c as u32;
        }
        if let Some(t) = raw.okrs.pace_tolerance {
            if !(0.0..1.0).contains(&t) {
                return Err(invalid(
                    "okrs.pace_tolerance",
                    "must be a fraction in [0, 1)",
                ));
            }
            s.okrs.pace_tolerance = t;
        }
        let bounded = |key: &str, v: Option<i64>, lo: i64, hi: i64, default: u32| match v {
            None => Ok(default),
            Some(v) if (lo..=hi).contains(&v) => Ok(v as u32),
            Some(_) => Err(invalid(key, format!("must be between {lo} and {hi}"))),
        };
        let l = QueryLimits::default();
        s.limits = QueryLimits {
            timeout_secs: bounded(
                "limits.query_timeout",
                raw.limits.query_timeout,
                1,
                3600,
                l.timeout_secs,
            )?,
            memory_mib: bounded(
                "limits.query_memory",
                raw.limits.query_memory,
                16,
                65536,
                l.memory_mib,
            )?,
            max_rows: bounded(
                "limits.query_rows",
                raw.limits.query_rows,
                1,
                10_000_000,
                l.max_rows,
            )?,
        };
        let custom: Vec<String> = s.custom_kpis.iter().map(|k| k.id.clone()).collect();
        let known_kpi =
            |id: &str| crate::catalog::find(id).is_some() || custom.iter().any(|c| c == id);
        s.insights = crate::alerting::insights(raw.insights, &known_kpi)?;
        s.webhooks = crate::alerting::webhooks(raw.webhook)?;
        s.alerts = crate::alerting::alerts(raw.alert, &s.webhooks, &known_kpi)?;
        s.report = crate::alerting::report(raw.report, &s.webhooks)?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_empty() {
        let s = Settings::from_toml("").unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.gross_margin.to_string(), "0.8");
    }

    #[test]
    fn reads_every_setting() {
        let s = Settings::from_toml(
            r#"
profile = "b2c"
gross_margin = 0.75
inactivity_window = 30
time_zone = "Europe/Paris"
[ttv]
start_milestone = "kickoff"
first_value_milestone = "aha"
[events]
activity = ["login"]
"#,
        )
        .unwrap();
        assert_eq!(s.profile, Profile::B2c);
        assert_eq!(s.gross_margin.to_string(), "0.75");
        assert_eq!(s.inactivity_window, 30);
        assert_eq!(s.time_zone.to_string(), "Europe/Paris");
        assert_eq!(s.ttv_start_milestone, "kickoff");
        assert_eq!(s.events.activity, vec!["login".to_string()]);
    }

    #[test]
    fn the_inactivity_window_reads_under_the_specification_s_name_too() {
        let s = Settings::from_toml("inactive_window = 45\n").unwrap();
        assert_eq!(s.inactivity_window, 45);
        // Both names at once: which one was meant is unclear, so refused.
        let both = Settings::from_toml("inactive_window = 45\ninactivity_window = 30\n");
        assert!(both.is_err(), "{both:?}");
    }

    #[test]
    fn query_limits_default_and_are_bounded() {
        let s = Settings::from_toml("").unwrap();
        assert_eq!(
            s.limits,
            QueryLimits {
                timeout_secs: 30,
                memory_mib: 512,
                max_rows: 100_000
            }
        );
        let s = Settings::from_toml(
            "[limits]\nquery_timeout = 5\nquery_memory = 64\nquery_rows = 10\n",
        )
        .unwrap();
        assert_eq!(
            s.limits,
            QueryLimits {
                timeout_secs: 5,
                memory_mib: 64,
                max_rows: 10
            }
        );
        let e = Settings::from_toml("[limits]\nquery_timeout = 0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "okapi.toml: limits.query_timeout: must be between 1 and 3600"
        );
        let e = Settings::from_toml("[limits]\nquery_memory = 100000").unwrap_err();
        assert!(e.to_string().contains("limits.query_memory"), "{e}");
        let e = Settings::from_toml("[limits]\nquery_rows = -1").unwrap_err();
        assert!(e.to_string().contains("limits.query_rows"), "{e}");
        let e = Settings::from_toml("[limits]\nquery_time = 5").unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
    }

    #[test]
    fn refuses_typos_and_bad_values() {
        let e = Settings::from_toml("gross_margn = 0.8").unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
        let e = Settings::from_toml("gross_margin = 80").unwrap_err();
        assert!(e.to_string().contains("gross_margin"), "{e}");
        let e = Settings::from_toml("time_zone = \"Nowhere/City\"").unwrap_err();
        assert!(e.to_string().contains("unknown time zone"), "{e}");
        let e = Settings::from_toml("profile = \"b2x\"").unwrap_err();
        assert!(e.to_string().contains("b2x"), "{e}");
    }
}
