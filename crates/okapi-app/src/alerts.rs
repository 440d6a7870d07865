//! Alerts: after each refresh, the `[[alert]]` rules of `okapi.toml` are
//! matched against what the insights found, and each match is posted to
//! the rule's webhooks.
//!
//! - **What fires.** A rule fires on the current findings of its kind
//!   (`anomaly` — of its `kpi` only, when it names one — `dissonance`,
//!   `behind_pace`, `inactive_account`, `health_drop`,
//!   `stuck_onboarding`) that nobody acknowledged; a `threshold` rule on
//!   the latest stored value of its KPI at its grain beyond `above` or
//!   `below` (one alert per period).
//! - **Never twice.** Every try is stored per (rule, finding, webhook): a
//!   delivered alert is not sent again; a failed one is tried again at the
//!   next refresh. At most [`MAX_PER_RUN`] alerts go to one webhook per
//!   refresh; the rest wait for the next.
//! - **How.** A POST of JSON: `{"text": …}` for Slack-compatible hooks, or
//!   the finding's fields (`format = "json"`). Headers: `X-Okapi-Delivery`
//!   (the rule and finding: the same on every retry, for the receiver to
//!   drop duplicates), `X-Okapi-Timestamp` (Unix seconds) and, when the
//!   webhook has a key, `X-Okapi-Signature: sha256=HEX`, the HMAC-SHA256 of
//!   `TIMESTAMP.BODY` under the key.
//! - **Retries.** A failure that may pass (no answer within the webhook's
//!   timeout, a refused connection, HTTP 429 or 5xx) is retried up to
//!   `retries` times after 0.5 s, 1 s, 2 s… (at most 30 s); another 4xx is
//!   not retried. A webhook that never answers costs at most
//!   `timeout × (retries + 1)` plus the pauses; the other webhooks and
//!   alerts are still sent.
//! - **Secrets.** The key and, with `url_env`, the address are read from
//!   the environment when sending; neither is stored or logged (errors
//!   name the webhook, never its address).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use hmac::{KeyInit, Mac};
use okapi_core::alerting::{AlertRule, AlertWhen, Webhook, WebhookFormat, WebhookUrl};
use okapi_core::units::with_unit;
use okapi_store::{AlertDelivery, NewFinding};
use serde::Serialize;

use crate::error::AppError;
use crate::workspace::Workspace;

/// Alerts sent to one webhook per refresh, at most.
pub const MAX_PER_RUN: usize = 50;
/// The first pause before a retry; each next one doubles.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest pause before a retry.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What an evaluation sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertsReport {
    pub delivered: u64,
    pub failed: u64,
    /// Matches left for the next refresh ([`MAX_PER_RUN`]).
    pub deferred: u64,
    /// The deliveries tried, in the order tried.
    pub deliveries: Vec<AlertDelivery>,
}

/// One alert to send: a rule's finding (or the weekly report, with its
/// whole text and document).
#[derive(Debug, Clone)]
struct Alert {
    rule: String,
    finding: NewFinding,
    /// The Slack text instead of the finding's sentence.
    text: Option<String>,
    /// Added to the JSON body.
    document: Option<(&'static str, serde_json::Value)>,
}

/// The rule name weekly reports are logged under.
pub const WEEKLY_REPORT_RULE: &str = "weekly-report";

/// The alerts the rules raise from the current, unacknowledged findings
/// and the stored KPI values.
async fn matches(
    ws: &Workspace,
    rules: &[AlertRule],
    found: &[NewFinding],
) -> Result<Vec<Alert>, AppError> {
    let mut acked = std::collections::HashSet::new();
    {
        let mut s = ws.read_session().await?;
        for f in s.findings(false).await? {
            if f.acknowledged.is_some() {
                acked.insert(f.id);
            }
        }
        s.commit().await?;
    }
    let mut out = Vec::new();
    for rule in rules {
        if rule.when == AlertWhen::Threshold {
            if let Some(f) = threshold(ws, rule).await? {
                out.push(Alert {
                    rule: rule.name.clone(),
                    finding: f,
                    text: None,
                    document: None,
                });
            }
            continue;
        }
        for f in found {
            let kind_ok = f.kind == rule.when.finding_kind();
            let kpi_ok = rule.kpi.as_ref().is_none_or(|k| *k == f.subject);
            if kind_ok && kpi_ok && !acked.contains(&f.id) {
                out.push(Alert {
                    rule: rule.name.clone(),
                    finding: f.clone(),
                    text: None,
                    document: None,
                });
            }
        }
    }
    Ok(out)
}

/// The threshold rule's finding, if the KPI's latest stored value at the
/// rule's grain is beyond a bound.
async fn threshold(ws: &Workspace, rule: &AlertRule) -> Result<Option<NewFinding>, AppError> {
    let Some(kpi) = &rule.kpi else {
        return Ok(None);
    };
    let mut s = ws.read_session().await?;
    let series = s.kpi_series(kpi, "", rule.grain).await?;
    s.commit().await?;
    let Some((period, value)) = series
        .iter()
        .rev()
        .find_map(|v| Some((v.period_start, v.value.as_deref()?.parse::<f64>().ok()?)))
    else {
        return Ok(None);
    };
    let unit = series.last().map(|v| v.unit.clone()).unwrap_or_default();
    let name = okapi_core::catalog::find(kpi)
        .map(|d| d.name.to_string())
        .unwrap_or_else(|| kpi.clone());
    let (beyond, word, bound) = match (rule.above, rule.below) {
        (Some(a), _) if value > a => (true, "above", a),
        (_, Some(b)) if value < b => (true, "below", b),
        _ => (false, "", 0.0),
    };
    if !beyond {
        return Ok(None);
    }
    let period_text = match rule.grain {
        okapi_core::period::Grain::Day => period.format("%-d %b %Y").to_string(),
        okapi_core::period::Grain::Week => period.format("the week of %-d %b %Y").to_string(),
        okapi_core::period::Grain::Month => period.format("%B %Y").to_string(),
        g => format!("the {g} from {period}"),
    };
    Ok(Some(NewFinding {
        id: format!(
            "threshold:{}:{kpi}:{}:{period}",
            rule.name,
            rule.grain.as_str()
        ),
        kind: "threshold".into(),
        subject: kpi.clone(),
        period: Some(period),
        good: false,
        sentence: format!(
            "{name} is {} in {period_text}, {word} {} (rule `{}`).",
            with_unit(value, Some(&unit)),
            with_unit(bound, Some(&unit)),
            rule.name
        ),
    }))
}

/// The body of an alert for `format`.
fn body(ws: &Workspace, alert: &Alert, format: WebhookFormat, now: DateTime<Utc>) -> String {
    let company = ws
        .settings
        .workspace
        .name
        .clone()
        .unwrap_or_else(|| ws.id.clone());
    match format {
        WebhookFormat::Slack => serde_json::json!({
            "text": match &alert.text {
                Some(t) => t.clone(),
                None => format!("okapi · {company}: {}", alert.finding.sentence),
            },
        }),
        WebhookFormat::Json => {
            let mut v = serde_json::json!({
            "workspace": ws.id,
            "company": company,
            "rule": alert.rule,
            "finding": alert.finding.id,
            "kind": alert.finding.kind,
            "subject": alert.finding.subject,
            "period": alert.finding.period,
            "good": alert.finding.good,
            "text": alert.finding.sentence,
            "sent_at": now,
            });
            if let (Some((key, doc)), Some(map)) = (&alert.document, v.as_object_mut()) {
                map.insert((*key).to_string(), doc.clone());
            }
            v
        }
    }
    .to_string()
}

/// `sha256=HEX`: the HMAC-SHA256 of `TIMESTAMP.BODY` under `key`.
pub fn signature(key: &[u8], timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length: `new_from_slice` cannot fail.
    let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The HTTP client alerts are sent with (TLS by rustls with ring).
fn client() -> Result<reqwest::Client, AppError> {
    // Installing twice is harmless: the first provider stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("okapi/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| {
            AppError::Internal(format!("the HTTP client cannot start: {}", e.without_url()))
        })
}

/// The result of one attempt.
enum Attempt {
    Delivered(u16),
    /// Worth another try.
    Retry(Option<u16>, String),
    /// Not worth another.
    Fail(Option<u16>, String),
}

async fn attempt(
    client: &reqwest::Client,
    url: &str,
    hook: &Webhook,
    key: Option<&[u8]>,
    delivery_id: &str,
    body: &str,
) -> Attempt {
    let ts = Utc::now().timestamp();
    let mut req = client
        .post(url)
        .timeout(Duration::from_secs(u64::from(hook.timeout_secs)))
        .header("content-type", "application/json")
        .header("x-okapi-delivery", delivery_id)
        .header("x-okapi-timestamp", ts.to_string())
        .body(body.to_string());
    if let Some(key) = key {
        req = req.header("x-okapi-signature", signature(key, ts, body));
    }
    match req.send().await {
        Ok(r) if r.status().is_success() => Attempt::Delivered(r.status().as_u16()),
        Ok(r) => {
            let code = r.status().as_u16();
            let why = format!("answered HTTP {code}");
            if code == 429 || r.status().is_server_error() {
                Attempt::Retry(Some(code), why)
            } else {
                Attempt::Fail(Some(code), why)
            }
        }
        Err(e) => {
            let why = if e.is_timeout() {
                format!("no answer within {} s", hook.timeout_secs)
            } else if e.is_connect() {
                "could not connect".to_string()
            } else {
                e.without_url().to_string()
            };
            Attempt::Retry(None, why)
        }
    }
}

/// Sends `alert` to `hook`, with retries; the delivery as stored.
async fn send(
    ws: &Workspace,
    client: &reqwest::Client,
    hook: &Webhook,
    alert: &Alert,
    earlier: Option<&AlertDelivery>,
) -> AlertDelivery {
    let now = Utc::now().trunc_subsecs(0);
    let mut d = AlertDelivery {
        rule: alert.rule.clone(),
        finding_id: alert.finding.id.clone(),
        webhook: hook.name.clone(),
        sentence: alert.finding.sentence.clone(),
        status: "failed".into(),
        attempts: earlier.map_or(0, |e| e.attempts),
        http_status: None,
        error: None,
        first_try_at: earlier.map_or(now, |e| e.first_try_at),
        last_try_at: now,
    };
    let url = match &hook.url {
        WebhookUrl::Given(u) => u.clone(),
        WebhookUrl::Env(var) => match std::env::var(var) {
            Ok(u) if !u.trim().is_empty() => u,
            _ => {
                d.error = Some(format!(
                    "the environment variable {var} (the address) is not set"
                ));
                return d;
            }
        },
    };
    let key = match &hook.secret_env {
        None => None,
        Some(var) => match std::env::var(var) {
            Ok(k) if !k.is_empty() => Some(k.into_bytes()),
            _ => {
                d.error = Some(format!(
                    "the environment variable {var} (the signing key) is not set"
                ));
                return d;
            }
        },
    };
    let body = body(ws, alert, hook.format, now);
    let delivery_id = format!("{}/{}", alert.rule, alert.finding.id);
    let mut pause = FIRST_BACKOFF;
    for n in 0..=hook.retries {
        if n > 0 {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_BACKOFF);
        }
        d.attempts += 1;
        d.last_try_at = Utc::now().trunc_subsecs(0);
        match attempt(client, &url, hook, key.as_deref(), &delivery_id, &body).await {
            Attempt::Delivered(code) => {
                d.status = "delivered".into();
                d.http_status = Some(i64::from(code));
                d.error = None;
                return d;
            }
            Attempt::Retry(code, why) => {
                d.http_status = code.map(i64::from);
                d.error = Some(why);
            }
            Attempt::Fail(code, why) => {
                d.http_status = code.map(i64::from);
                d.error = Some(why);
                return d;
            }
        }
    }
    d
}

/// Sends the alerts the rules raise from `found` (the findings of the run
/// just recorded) that were not delivered before, and stores every try.
pub async fn evaluate(ws: &Workspace, found: &[NewFinding]) -> Result<AlertsReport, AppError> {
    let settings = &ws.settings;
    let mut report = AlertsReport::default();
    if settings.alerts.is_empty() {
        return Ok(report);
    }
    let alerts = matches(ws, &settings.alerts, found).await?;
    let hooks: HashMap<&str, &Webhook> = settings
        .webhooks
        .iter()
        .map(|w| (w.name.as_str(), w))
        .collect();
    // Per webhook, the alerts not yet delivered there.
    let mut todo: Vec<(&Webhook, &Alert, Option<AlertDelivery>)> = Vec::new();
    let mut per_hook: HashMap<&str, usize> = HashMap::new();
    {
        let mut s = ws.read_session().await?;
        for rule in &settings.alerts {
            for alert in alerts.iter().filter(|a| a.rule == rule.name) {
                for name in &rule.webhooks {
                    let Some(hook) = hooks.get(name.as_str()) else {
                        continue;
                    };
                    let earlier = s
                        .alert_delivery(&alert.rule, &alert.finding.id, name)
                        .await?;
                    if earlier.as_ref().is_some_and(|e| e.status == "delivered") {
                        continue;
                    }
                    let n = per_hook.entry(name.as_str()).or_default();
                    if *n >= MAX_PER_RUN {
                        report.deferred += 1;
                        continue;
                    }
                    *n += 1;
                    todo.push((hook, alert, earlier));
                }
            }
        }
        s.commit().await?;
    }
    if todo.is_empty() {
        return Ok(report);
    }
    let client = client()?;
    for (hook, alert, earlier) in todo {
        let d = send(ws, &client, hook, alert, earlier.as_ref()).await;
        let mut s = ws.session().await?;
        s.record_alert_delivery(&d).await?;
        s.commit().await?;
        if d.status == "delivered" {
            report.delivered += 1;
        } else {
            tracing::warn!(
                webhook = %d.webhook,
                rule = %d.rule,
                finding = %d.finding_id,
                attempts = d.attempts,
                error = d.error.as_deref().unwrap_or(""),
                "alert not delivered"
            );
            report.failed += 1;
        }
        report.deliveries.push(d);
    }
    Ok(report)
}

/// Posts the weekly report ([`crate::weekly`]) of the week that ended
/// yesterday to the `[report] weekly_webhooks`, when `today` is the
/// `weekly_day`; once per week and webhook (a failed post is tried again
/// at the next call that day). `okapi serve` calls it every hour.
pub async fn post_weekly(
    ws: &Workspace,
    today: chrono::NaiveDate,
) -> Result<AlertsReport, AppError> {
    use chrono::Datelike;
    let settings = &ws.settings.report;
    let mut report = AlertsReport::default();
    if settings.weekly_webhooks.is_empty() || today.weekday() != settings.weekly_day {
        return Ok(report);
    }
    let Some(yesterday) = today.pred_opt() else {
        return Ok(report);
    };
    let r = crate::weekly::report(ws, Some(yesterday), today).await?;
    let alert = Alert {
        rule: WEEKLY_REPORT_RULE.to_string(),
        finding: NewFinding {
            id: format!("weekly_report:{}", r.to),
            kind: "weekly_report".into(),
            subject: "weekly_report".into(),
            period: Some(r.from),
            good: true,
            sentence: format!("Weekly report, {} … {}", r.from, r.to),
        },
        text: Some(crate::weekly::markdown(&r)),
        document: serde_json::to_value(&r).ok().map(|v| ("report", v)),
    };
    let client = client()?;
    for name in &settings.weekly_webhooks {
        let Some(hook) = ws.settings.webhooks.iter().find(|w| &w.name == name) else {
            continue;
        };
        let earlier = {
            let mut s = ws.read_session().await?;
            let e = s
                .alert_delivery(&alert.rule, &alert.finding.id, name)
                .await?;
            s.commit().await?;
            e
        };
        if earlier.as_ref().is_some_and(|e| e.status == "delivered") {
            continue;
        }
        let d = send(ws, &client, hook, &alert, earlier.as_ref()).await;
        let mut s = ws.session().await?;
        s.record_alert_delivery(&d).await?;
        s.commit().await?;
        if d.status == "delivered" {
            report.delivered += 1;
        } else {
            report.failed += 1;
        }
        report.deliveries.push(d);
    }
    Ok(report)
}

/// The delivery log: the last `limit` deliveries, the latest first.
pub async fn log(ws: &Workspace, limit: u32) -> Result<Vec<AlertDelivery>, AppError> {
    let mut s = ws.read_session().await?;
    let out = s
        .alert_deliveries(i64::from(limit.clamp(1, 10_000)))
        .await?;
    s.commit().await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_sha256_of_timestamp_dot_body() {
        // Python: hmac.new(b"key", b"0.hello", hashlib.sha256).hexdigest()
        assert_eq!(
            signature(b"key", 0, "hello"),
            "sha256=552b25b10c33de2db9fe7fa273d44ab105d596c023fa954d01444d4642487149"
        );
        // hmac.new(b"Jefe", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            signature(b"Jefe", 1_700_000_000, "{}"),
            "sha256=d3793e2b4103edfbd98cc19591832f5fad701d413db9fcae0ae7dab8184ed207"
        );
    }
}
