//! What the insights compare and whom they tell: the `[insights]` table,
//! the `[[webhook]]`s and the `[[alert]]` rules of `okapi.toml`.
//!
//! ```toml
//! [insights]
//! # Replaces the default pairs (okapi_core::insights::PAIRS) when given.
//! pairs = [
//!   { first = "visitor_to_signup_rate", next = "signup_to_pql_rate", teams = ["marketing", "product"] },
//! ]
//! health_drop = 20          # points of health score lost in 28 days
//! stuck_after = 2.0         # times a phase's median wait
//!
//! [[webhook]]
//! name = "ops"
//! url = "https://hooks.slack.com/services/T000/B000/XXXX"  # or url_env
//! format = "slack"          # "slack" (a `text` body) or "json"
//! secret_env = "OKAPI_OPS_SECRET"   # HMAC-SHA256 key, read from the environment
//! timeout = 10              # seconds per attempt
//! retries = 3               # attempts after the first
//!
//! [[alert]]
//! name = "churn"
//! when = "anomaly"          # threshold, anomaly, dissonance, behind_pace,
//!                           # inactive_account, health_drop, stuck_onboarding
//! kpi = "churned_customers" # threshold: required; anomaly: optional (any KPI)
//! webhooks = ["ops"]
//!
//! [[alert]]
//! name = "mrr-floor"
//! when = "threshold"
//! kpi = "mrr"
//! below = 100000            # or above = …
//! grain = "month"           # the grain whose latest value is compared
//! webhooks = ["ops"]
//! ```
//!
//! ```toml
//! [report]
//! weekly_webhooks = ["ops"] # `okapi serve` posts the weekly report there
//! weekly_day = "monday"     # on this day (UTC), for the week that ended the day before
//! ```
//!
//! Secrets never live in the file: a webhook's signing key is read from
//! the environment variable `secret_env` names, and its address may be
//! too (`url_env`).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::insights::{Pair, default_pairs};
use crate::period::Grain;
use crate::settings::SettingsError;

fn invalid(key: &str, reason: impl std::fmt::Display) -> SettingsError {
    SettingsError::Invalid {
        key: key.into(),
        reason: reason.to_string(),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawInsights {
    pairs: Option<Vec<RawPair>>,
    health_drop: Option<f64>,
    stuck_after: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPair {
    first: String,
    next: String,
    #[serde(default)]
    teams: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWebhook {
    name: String,
    url: Option<String>,
    url_env: Option<String>,
    format: Option<WebhookFormat>,
    secret_env: Option<String>,
    timeout: Option<i64>,
    retries: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReport {
    #[serde(default)]
    weekly_webhooks: Vec<String>,
    weekly_day: Option<String>,
}

/// The `[report]` settings: where and when the server posts the weekly
/// report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSettings {
    /// Webhooks the weekly report is posted to (none: it is not posted).
    pub weekly_webhooks: Vec<String>,
    /// The day it is posted, for the week that ended the day before.
    pub weekly_day: chrono::Weekday,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            weekly_webhooks: Vec::new(),
            weekly_day: chrono::Weekday::Mon,
        }
    }
}

/// Validates `[report]` against the webhooks.
pub(crate) fn report(raw: RawReport, hooks: &[Webhook]) -> Result<ReportSettings, SettingsError> {
    let mut s = ReportSettings::default();
    for w in &raw.weekly_webhooks {
        if !hooks.iter().any(|h| &h.name == w) {
            return Err(invalid(
                "report.weekly_webhooks",
                format!("no [[webhook]] is named `{w}`"),
            ));
        }
    }
    s.weekly_webhooks = raw.weekly_webhooks;
    if let Some(d) = raw.weekly_day {
        s.weekly_day = d.parse().map_err(|_| {
            invalid(
                "report.weekly_day",
                format!("`{d}` is not a day of the week (monday … sunday)"),
            )
        })?;
    }
    Ok(s)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAlert {
    name: String,
    when: AlertWhen,
    kpi: Option<String>,
    above: Option<f64>,
    below: Option<f64>,
    grain: Option<String>,
    #[serde(default)]
    webhooks: Vec<String>,
}

/// The `[insights]` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct InsightSettings {
    /// The journey stages compared for dissonances.
    pub pairs: Vec<Pair>,
    /// Health points lost in 28 days that make a drop sharp.
    pub health_drop: f64,
    /// Times a phase's median wait after which an onboarding is stuck.
    pub stuck_after: f64,
}

impl Default for InsightSettings {
    fn default() -> Self {
        InsightSettings {
            pairs: default_pairs(),
            health_drop: 20.0,
            stuck_after: 2.0,
        }
    }
}

/// The body a webhook is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// `{"text": …}`, which Slack, Mattermost and Teams' Slack-compatible
    /// hooks read.
    #[default]
    Slack,
    /// The finding as JSON fields.
    Json,
}

/// Where the address of a webhook comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookUrl {
    Given(String),
    /// The environment variable holding it.
    Env(String),
}

/// A webhook alerts are sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub name: String,
    pub url: WebhookUrl,
    pub format: WebhookFormat,
    /// The environment variable holding the HMAC key, if the body is
    /// signed.
    pub secret_env: Option<String>,
    pub timeout_secs: u32,
    /// Attempts after the first.
    pub retries: u32,
}

/// What an alert rule fires on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AlertWhen {
    /// A KPI's latest value beyond a bound.
    Threshold,
    Anomaly,
    Dissonance,
    BehindPace,
    InactiveAccount,
    HealthDrop,
    StuckOnboarding,
}

impl AlertWhen {
    /// The kind of finding it fires on (`threshold` makes its own).
    pub fn finding_kind(self) -> &'static str {
        match self {
            AlertWhen::Threshold => "threshold",
            AlertWhen::Anomaly => "anomaly",
            AlertWhen::Dissonance => "dissonance",
            AlertWhen::BehindPace => "behind_pace",
            AlertWhen::InactiveAccount => "inactive_account",
            AlertWhen::HealthDrop => "health_drop",
            AlertWhen::StuckOnboarding => "stuck_onboarding",
        }
    }
}

/// An alert rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    pub name: String,
    pub when: AlertWhen,
    /// The KPI watched (threshold), or the only KPI an anomaly rule
    /// fires on.
    pub kpi: Option<String>,
    pub above: Option<f64>,
    pub below: Option<f64>,
    /// The grain of the value compared to a threshold (month unless set).
    pub grain: Grain,
    pub webhooks: Vec<String>,
}

fn name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Validates `[insights]`; `known_kpi` says whether an id is a KPI (of
/// the catalog or custom).
pub(crate) fn insights(
    raw: RawInsights,
    known_kpi: &dyn Fn(&str) -> bool,
) -> Result<InsightSettings, SettingsError> {
    let mut s = InsightSettings::default();
    if let Some(pairs) = raw.pairs {
        s.pairs = Vec::new();
        for (i, p) in pairs.into_iter().enumerate() {
            let key = format!("insights.pairs[{i}]");
            for id in [&p.first, &p.next] {
                if !known_kpi(id) {
                    return Err(invalid(&key, format!("`{id}` is not a KPI")));
                }
            }
            if p.first == p.next {
                return Err(invalid(&key, "a KPI cannot be compared with itself"));
            }
            s.pairs.push(Pair {
                first: p.first,
                next: p.next,
                teams: p.teams,
            });
        }
    }
    if let Some(d) = raw.health_drop {
        if !(1.0..=100.0).contains(&d) {
            return Err(invalid(
                "insights.health_drop",
                "must be between 1 and 100 points",
            ));
        }
        s.health_drop = d;
    }
    if let Some(t) = raw.stuck_after {
        if !(1.0..=100.0).contains(&t) {
            return Err(invalid("insights.stuck_after", "must be between 1 and 100"));
        }
        s.stuck_after = t;
    }
    Ok(s)
}

/// Validates the webhooks.
pub(crate) fn webhooks(raw: Vec<RawWebhook>) -> Result<Vec<Webhook>, SettingsError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, w) in raw.into_iter().enumerate() {
        let key = format!("webhook[{i}]");
        if !name_ok(&w.name) {
            return Err(invalid(&key, "name: 1 to 64 letters, digits, `-` or `_`"));
        }
        if !seen.insert(w.name.clone()) {
            return Err(invalid(
                &key,
                format!("the name `{}` is used twice", w.name),
            ));
        }
        let url = match (w.url, w.url_env) {
            (Some(u), None) => {
                if !(u.starts_with("http://") || u.starts_with("https://")) {
                    return Err(invalid(&key, "url must start with http:// or https://"));
                }
                WebhookUrl::Given(u)
            }
            (None, Some(e)) if !e.trim().is_empty() => WebhookUrl::Env(e),
            _ => return Err(invalid(&key, "give exactly one of url and url_env")),
        };
        let timeout_secs = match w.timeout {
            None => 10,
            Some(t) if (1..=120).contains(&t) => t as u32,
            Some(_) => return Err(invalid(&key, "timeout must be between 1 and 120 seconds")),
        };
        let retries = match w.retries {
            None => 3,
            Some(r) if (0..=10).contains(&r) => r as u32,
            Some(_) => return Err(invalid(&key, "retries must be between 0 and 10")),
        };
        out.push(Webhook {
            name: w.name,
            url,
            format: w.format.unwrap_or_default(),
            secret_env: w.secret_env.filter(|s| !s.trim().is_empty()),
            timeout_secs,
            retries,
        });
    }
    Ok(out)
}

/// Validates the alert rules against the webhooks and the KPIs.
pub(crate) fn alerts(
    raw: Vec<RawAlert>,
    hooks: &[Webhook],
    known_kpi: &dyn Fn(&str) -> bool,
) -> Result<Vec<AlertRule>, SettingsError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, a) in raw.into_iter().enumerate() {
        let key = format!("alert[{i}]");
        if !name_ok(&a.name) {
            return Err(invalid(&key, "name: 1 to 64 letters, digits, `-` or `_`"));
        }
        if !seen.insert(a.name.clone()) {
            return Err(invalid(
                &key,
                format!("the name `{}` is used twice", a.name),
            ));
        }
        if a.webhooks.is_empty() {
            return Err(invalid(&key, "name at least one webhook in `webhooks`"));
        }
        for w in &a.webhooks {
            if !hooks.iter().any(|h| &h.name == w) {
                return Err(invalid(&key, format!("no [[webhook]] is named `{w}`")));
            }
        }
        if let Some(k) = &a.kpi
            && !known_kpi(k)
        {
            return Err(invalid(&key, format!("`{k}` is not a KPI")));
        }
        match a.when {
            AlertWhen::Threshold => {
                if a.kpi.is_none() {
                    return Err(invalid(&key, "a threshold needs `kpi`"));
                }
                if a.above.is_none() && a.below.is_none() {
                    return Err(invalid(&key, "a threshold needs `above` or `below`"));
                }
                if a.above.into_iter().chain(a.below).any(|x| !x.is_finite()) {
                    return Err(invalid(&key, "bounds must be numbers"));
                }
            }
            AlertWhen::Anomaly => {}
            _ => {
                if a.kpi.is_some() || a.above.is_some() || a.below.is_some() {
                    return Err(invalid(
                        &key,
                        "`kpi`, `above` and `below` apply to threshold and anomaly rules only",
                    ));
                }
            }
        }
        let grain = match &a.grain {
            None => Grain::Month,
            Some(g) => g.parse().map_err(|e: String| invalid(&key, e))?,
        };
        out.push(AlertRule {
            name: a.name,
            when: a.when,
            kpi: a.kpi,
            above: a.above,
            below: a.below,
            grain,
            webhooks: a.webhooks,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::settings::Settings;

    use super::*;

    #[test]
    fn by_default_the_pairs_are_the_catalog_s_and_nothing_is_sent() {
        let s = Settings::from_toml("").unwrap();
        assert_eq!(s.insights.pairs, default_pairs());
        assert!(s.webhooks.is_empty() && s.alerts.is_empty());
    }

    #[test]
    fn pairs_webhooks_and_rules_are_read() {
        let s = Settings::from_toml(
            r#"
[insights]
pairs = [{ first = "mqls", next = "lead_conversion_rate", teams = ["marketing", "sales"] }]
health_drop = 30

[[webhook]]
name = "ops"
url = "http://127.0.0.1:9/hook"
format = "json"
secret_env = "OPS_KEY"
timeout = 2
retries = 1

[[alert]]
name = "mrr-floor"
when = "threshold"
kpi = "mrr"
below = 1000
webhooks = ["ops"]
"#,
        )
        .unwrap();
        assert_eq!(s.insights.pairs.len(), 1);
        assert_eq!(s.insights.pairs[0].teams, vec!["marketing", "sales"]);
        assert_eq!(s.insights.health_drop, 30.0);
        assert_eq!(s.insights.stuck_after, 2.0);
        let w = &s.webhooks[0];
        assert_eq!(w.url, WebhookUrl::Given("http://127.0.0.1:9/hook".into()));
        assert_eq!(
            (w.format, w.secret_env.as_deref(), w.timeout_secs, w.retries),
            (WebhookFormat::Json, Some("OPS_KEY"), 2, 1)
        );
        let a = &s.alerts[0];
        assert_eq!(
            (a.when, a.kpi.as_deref(), a.below, a.grain),
            (
                AlertWhen::Threshold,
                Some("mrr"),
                Some(1000.0),
                Grain::Month
            )
        );
    }

    #[test]
    fn the_weekly_report_goes_to_named_webhooks_on_a_named_day() {
        let s = Settings::from_toml(
            "[[webhook]]\nname = \"ops\"\nurl = \"http://x\"\n[report]\nweekly_webhooks = [\"ops\"]\nweekly_day = \"friday\"",
        )
        .unwrap();
        assert_eq!(s.report.weekly_webhooks, vec!["ops"]);
        assert_eq!(s.report.weekly_day, chrono::Weekday::Fri);
        assert_eq!(
            Settings::from_toml("").unwrap().report.weekly_day,
            chrono::Weekday::Mon
        );
        let err = |text: &str| Settings::from_toml(text).unwrap_err().to_string();
        assert!(
            err("[report]\nweekly_webhooks = [\"ops\"]").contains("no [[webhook]] is named `ops`")
        );
        assert!(
            err("[report]\nweekly_day = \"someday\"")
                .contains("`someday` is not a day of the week")
        );
    }

    #[test]
    fn mistakes_are_named() {
        let err = |text: &str| Settings::from_toml(text).unwrap_err().to_string();
        assert!(
            err("[insights]\npairs = [{ first = \"mqls\", next = \"nope\" }]")
                .contains("insights.pairs[0]: `nope` is not a KPI")
        );
        assert!(
            err("[[alert]]\nname = \"a\"\nwhen = \"anomaly\"\nwebhooks = [\"missing\"]")
                .contains("alert[0]: no [[webhook]] is named `missing`")
        );
        assert!(
            err("[[webhook]]\nname = \"w\"\nurl = \"ftp://x\"")
                .contains("webhook[0]: url must start with http:// or https://")
        );
        assert!(
            err("[[webhook]]\nname = \"w\"\nurl = \"http://x\"\n[[alert]]\nname = \"a\"\nwhen = \"threshold\"\nkpi = \"mrr\"\nwebhooks = [\"w\"]")
                .contains("alert[0]: a threshold needs `above` or `below`")
        );
        assert!(err("[[alert]]\nname = \"a\"\nwhen = \"sometimes\"").contains("unknown variant"));
    }
}
