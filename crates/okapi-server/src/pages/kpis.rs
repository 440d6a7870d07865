//! The KPI pages: the catalog with each KPI's latest value, and one KPI's
//! page (its series as a line chart at a grain and segment, its
//! definition, and the key results that link it).

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use maud::html;
use okapi_core::period::Grain;
use serde::Deserialize;

use super::format::value;
use super::{PageResult, Viewer, fail, layout, svg};
use crate::AppState;

/// `GET /kpis`: every KPI of the catalog, by stage, with its latest
/// monthly value.
pub async fn list(State(st): State<AppState>, Viewer(viewer): Viewer) -> PageResult {
    let catalog = okapi_app::data::catalog(&st.ws.settings);
    let latest = okapi_app::stored::latest(&st.ws, Grain::Month, "")
        .await
        .map_err(fail)?;
    let mut stages: Vec<&str> = Vec::new();
    for e in &catalog {
        if !stages.contains(&e.stage.as_str()) {
            stages.push(&e.stage);
        }
    }
    let body = html! {
        h1 { "KPIs" }
        p.lead { "Every KPI okapi computes, by stage of the customer journey, with its value in the last month stored." }
        @for stage in &stages {
            section.card {
                h2 { (stage) }
                table {
                    thead { tr { th { "KPI" } th.n { "Latest month" } th { "Better when" } } }
                    tbody {
                        @for e in catalog.iter().filter(|e| e.stage == *stage) {
                            @let v = latest.iter().find(|v| v.kpi == e.id);
                            tr {
                                td { a href=(format!("/kpis/{}", e.id)) { (e.name) } br; span.small.muted { (e.id) } }
                                td.n {
                                    (value(v.and_then(|v| v.value.as_deref()).and_then(|t| t.parse().ok()), &e.unit))
                                }
                                td.small.muted { (e.direction.as_str()) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&st, &viewer, "KPIs", "/kpis", body).into_response())
}

#[derive(Debug, Deserialize)]
pub struct KpiQuery {
    grain: Option<Grain>,
    segment: Option<String>,
}

/// `GET /kpis/{id}?grain=&segment=`.
pub async fn page(
    State(st): State<AppState>,
    Viewer(viewer): Viewer,
    Path(id): Path<String>,
    q: Result<Query<KpiQuery>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let q = q
        .map(|Query(q)| q)
        .map_err(|e| fail(okapi_app::AppError::Invalid(e.body_text())))?;
    let grain = q
        .grain
        .unwrap_or_else(|| okapi_app::dashboard::default_grain(&id));
    let segment = q.segment.unwrap_or_default();
    let p = okapi_app::dashboard::kpi_page(&st.ws, &id, grain, &segment)
        .await
        .map_err(fail)?;
    let unit = p.entry.unit.clone();
    let show = |v: f64| value(Some(v), &unit);
    let link = |g: Grain, s: &str| {
        let mut url = format!("/kpis/{}?grain={}", p.entry.id, g.as_str());
        if !s.is_empty() {
            let enc: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            url.push_str(&format!("&segment={enc}"));
        }
        url
    };
    let body = html! {
        p.small { a href="/kpis" { "KPIs" } " / " (p.entry.stage) }
        h1 { (p.entry.name) }
        p.lead { (p.entry.formula) }
        // What a grain or segment changes, swapped alone by htmx.
        div #kpi-main {
        div.tiles {
            div.tile {
                span.name { "Latest " (grain.as_str()) }
                span.value #latest data-value { (value(p.tile.value, &unit)) }
                span.also {
                    @if let Some(d) = p.tile.period { "period from " (d) }
                    @if let Some(c) = &p.tile.change {
                        " · "
                        span class=(match p.tile.good { Some(true) => "change good", Some(false) => "change bad", None => "change" }) { (c) }
                    }
                    @if p.tile.value.is_none() { @if let Some(n) = &p.tile.note { br; (n) } }
                }
            }
        }
        section.card #series aria-labelledby="series-h" {
            h2 #series-h { "Over time" }
            nav.tabs aria-label="Grain" {
                @for g in Grain::ALL {
                    a href=(link(g, &segment)) hx-get=(link(g, &segment)) hx-target="#kpi-main" hx-select="#kpi-main" hx-swap="outerHTML" hx-push-url="true" aria-current=[(g == grain).then_some("true")] data-grain=(g.as_str()) { (g.as_str()) }
                }
                @if p.segments.len() > 1 || !segment.is_empty() {
                    span.muted.small { "Segment:" }
                    a href=(link(grain, "")) aria-current=[segment.is_empty().then_some("true")] { "all accounts" }
                    @for s in p.segments.iter().filter(|s| !s.is_empty()) {
                        a href=(link(grain, s)) aria-current=[(*s == segment).then_some("true")] { (s) }
                    }
                }
            }
            (svg(okapi_app::charts::line(&p.series, &show, &format!("{} by {}", p.entry.name, grain.as_str()))))
            @if p.series.is_empty() {
                p.empty { "No values stored at this grain yet: they appear after the next refresh." }
            }
        }
        @if !p.findings.is_empty() {
            section.card #kpi-findings aria-labelledby="kpi-findings-h" {
                h2 #kpi-findings-h { "What the insights found" }
                ul.findings {
                    @for f in &p.findings {
                        li class=(if f.good { "good" } else { "bad" }) {
                            (f.sentence)
                            @if let Some(a) = &f.acknowledged {
                                br; span.small.muted { "Acknowledged by " (a.by) @if let Some(n) = &a.note { ": " (n) } }
                            }
                        }
                    }
                }
            }
        }
        div.row {
            section.card aria-labelledby="def-h" {
                h2 #def-h { "Definition" }
                dl.facts {
                    dt { "Id" } dd { code { (p.entry.id) } }
                    dt { "Stage" } dd { (p.entry.stage) }
                    dt { "Unit" } dd { (p.entry.unit) }
                    dt { "Better when" } dd { (p.entry.direction.as_str()) }
                    dt { "Watched" } dd { (match p.cadence { okapi_core::insights::Cadence::RealTime => "day by day and week by week (anomalies found)", okapi_core::insights::Cadence::LongTerm => "as a quarterly trend (never alerted on daily noise)" }) }
                    @if !p.entry.timing.is_empty() { dt { "Indicator" } dd { (p.entry.timing) } }
                    dt { "For" } dd { (p.entry.audience) }
                    @if let Some(o) = &p.owner { dt { "Owner" } dd { (o) } }
                    @if let Some(q) = &p.question { dt { "Question" } dd { (q) } }
                    @if let Some(r) = p.review_date { dt { "Review on" } dd { (r) } }
                }
            }
            section.card aria-labelledby="voice-h" {
                h2 #voice-h { "What customers said" }
                @if p.comments.is_empty() {
                    p.empty { "No survey comment in this period. Comments come from the surveys table's " code { "comment" } " column." }
                } @else {
                    p.small.muted { "Survey comments of the period" @if let Some(d) = p.tile.period { " from " (d) } ", newest first." }
                    ul #comments {
                        @for c in &p.comments {
                            li {
                                "“" (c.comment) "”"
                                span.small.muted { " · " (c.kind.to_uppercase()) " " (c.score) " · " (c.day) @if let Some(a) = &c.account_id { " · " (a) } }
                            }
                        }
                    }
                }
            }
            section.card aria-labelledby="krs-h" {
                h2 #krs-h { "Key results on this KPI" }
                @if p.key_results.is_empty() {
                    p.empty { "No key result follows this KPI yet. Link one with " code { "kpi = \"" (p.entry.id) "\"" } " in an OKR file." }
                } @else {
                    ul {
                        @for k in &p.key_results {
                            li {
                                a href=(format!("/krs/{}", k.key)) { (k.title) }
                                span.muted.small { " · " (k.cycle) @if let Some(s) = &k.segment { " · " (s) } }
                            }
                        }
                    }
                }
            }
        }
        }
    };
    Ok(layout(&st, &viewer, &p.entry.name, "/kpis", body).into_response())
}
