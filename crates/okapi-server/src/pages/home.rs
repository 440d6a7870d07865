//! The executive home: the seven executive subjects as tiles (value,
//! change against the month before coloured by the KPI's direction, a
//! sparkline), the key results at risk, the inactive paying customers with
//! their MRR, and the findings.

use axum::extract::State;
use axum::response::IntoResponse;
use chrono::Utc;
use maud::{Markup, html};
use okapi_app::dashboard::{self, ExecutiveTile, KpiTile};

use super::format::{time, value};
use super::{PageResult, Viewer, fail, layout, svg};
use crate::AppState;

/// How many inactive customers the home lists.
const INACTIVE_SHOWN: usize = 10;

fn change(t: &KpiTile) -> Markup {
    let class = match t.good {
        Some(true) => "change good",
        Some(false) => "change bad",
        None => "change",
    };
    match &t.change {
        Some(c) => html! {
            span class=(class) title="against the period before" { (c) }
        },
        None => html! {},
    }
}

fn tile(t: &ExecutiveTile) -> Markup {
    let m = &t.main;
    let spark_values: Vec<Option<f64>> = m.series.iter().map(|(_, v)| *v).collect();
    html! {
        a.tile href=(format!("/kpis/{}", m.kpi)) data-kpi=(m.kpi) {
            span.name { (t.title) }
            span.value data-value { (value(m.value, &m.unit)) }
            span.also {
                (m.name)
                @if let Some(p) = m.period { " · " (p.format("%b %Y")) }
                @if let Some(a) = &t.also {
                    br;
                    (a.name) ": " strong { (value(a.value, &a.unit)) } " " (change(a))
                }
                @if m.value.is_none() {
                    @if let Some(n) = &m.note { br; span.small { (n) } }
                }
            }
            div.foot {
                (change(m))
                (svg(okapi_app::charts::sparkline(&spark_values, m.good, &format!("{} over the last periods", m.name))))
            }
        }
    }
}

/// `GET /`.
pub async fn page(State(st): State<AppState>, Viewer(viewer): Viewer) -> PageResult {
    let home = dashboard::home(&st.ws, Utc::now().date_naive())
        .await
        .map_err(fail)?;
    let body = html! {
        h1 { "Executive home" }
        p.lead {
            @if let Some(v) = &home.vision { (v) " · " }
            @match &home.refreshed {
                Some(r) => { "Numbers as of " (time(r.computed_at)) },
                None => { "No numbers yet: an admin refreshes them with " code { "okapi refresh" } "." },
            }
        }
        section aria-labelledby="kpis-h" {
            h2 #kpis-h.sr { "The executive KPIs" }
            div.tiles { @for t in &home.tiles { (tile(t)) } }
        }
        div.row {
            section.card aria-labelledby="risk-h" {
                h2 #risk-h { "OKRs at risk" }
                @if home.at_risk.is_empty() {
                    p.empty {
                        @match &home.cycle {
                            Some(c) => { "Every key result of " strong { (c) } " is on pace." },
                            None => { strong { "No cycle yet." } " Create one with " code { "okapi okr cycle add" } " to see its risks here." },
                        }
                    }
                } @else {
                    table {
                        thead { tr { th { "Key result" } th { "Owner" } th.n { "Score" } th.n { "Expected" } } }
                        tbody {
                            @for k in &home.at_risk {
                                tr {
                                    td { a href=(format!("/krs/{}", k.key)) { (k.title) } br; span.small.muted { (k.objective) } }
                                    td { (k.owner.as_deref().unwrap_or("—")) }
                                    td.n { span class=(format!("grade {}", k.grade)) { (format!("{:.2}", k.score)) } }
                                    td.n { (format!("{:.2}", k.expected)) }
                                }
                            }
                        }
                    }
                }
            }
            section.card aria-labelledby="inactive-h" {
                h2 #inactive-h { "Inactive paying customers" }
                @match (&home.inactive, &home.inactive_unavailable) {
                    (Some(r), _) if r.accounts.is_empty() => {
                        p.empty { "Every paying customer was active in the " (r.window_days) " days to " (r.at) "." }
                    },
                    (Some(r), _) => {
                        p.muted.small { (r.accounts.len()) " paying accounts without activity in the " (r.window_days) " days to " (r.at) ", largest MRR first." }
                        table {
                            thead { tr { th { "Account" } th.n { "MRR" } th.n { "Days quiet" } } }
                            tbody {
                                @for a in r.accounts.iter().take(INACTIVE_SHOWN) {
                                    tr {
                                        td { (a.account_id) }
                                        td.n { (okapi_core::units::group(&format!("{:.2}", a.mrr.round_dp(2)))) }
                                        td.n { (a.days_since_last_activity.map_or("never active".to_string(), |d| d.to_string())) }
                                    }
                                }
                            }
                        }
                    },
                    (None, Some(why)) => { p.empty { "The data cannot tell: " (why) } },
                    (None, None) => { p.empty { "Nothing yet: the list appears after the first refresh." } },
                }
            }
        }
        section.card aria-labelledby="findings-h" {
            h2 #findings-h { "Findings" }
            @if home.refreshed.is_none() {
                p.empty { "Anomalies and dissonances are looked for in the stored KPI values: they appear after the first refresh." }
            } @else if home.findings.is_empty() {
                p.empty { "Nothing unusual: no anomaly in the real-time KPIs' last days and weeks, no dissonance between the journey's stages in the last months." }
            } @else {
                ul.findings {
                    @for f in &home.findings {
                        li class=(if f.good { "good" } else { "bad" }) data-kind=(f.kind) data-kpi=(f.kpi) {
                            a href=(format!("/kpis/{}", f.kpi)) { (f.sentence) }
                        }
                    }
                }
                @if home.more_findings > 0 {
                    p.small { (home.more_findings) " more: " code { "okapi insights" } " lists them all." }
                }
            }
        }
    };
    Ok(layout(&st, &viewer, "Home", "/", body).into_response())
}
