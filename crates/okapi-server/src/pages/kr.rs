//! A key result's page: progress over its cycle with the pace line and the
//! forecast, its check-ins with their notes, and a check-in form (for those
//! who may check in on it; the value is prefilled from its KPI for a
//! KPI-linked key result).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use chrono::Utc;
use maud::html;
use okapi_app::AppError;
use okapi_app::checkins::CheckInRequest;
use okapi_core::okr::Confidence;
use serde::Deserialize;

use super::format::{grade, time, value};
use super::{PageResult, Viewer, fail, layout, svg};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct Done {
    checked_in: Option<u8>,
}

/// `GET /krs/{key}`.
pub async fn page(
    State(st): State<AppState>,
    Viewer(viewer): Viewer,
    Path(key): Path<String>,
    Query(done): Query<Done>,
) -> PageResult {
    let today = Utc::now().date_naive();
    let p = okapi_app::dashboard::kr_page(&st.ws, &key, today)
        .await
        .map_err(fail)?;
    let may_check_in = okapi_app::accounts::may_check_in(&st.ws, &viewer, &key)
        .await
        .is_ok();
    let k = &p.status;
    let unit = k.unit.as_deref().unwrap_or("");
    let prefill = k.kpi.as_ref().and(p.kpi_value).or(k.current);
    let body = html! {
        p.small { a href="/okrs" { "OKRs" } " / " a href=(format!("/okrs?cycle={}", p.cycle)) { (p.cycle) } " / " (p.objective_title) }
        h1 { (k.title) }
        p.lead {
            (value(k.baseline, unit)) " → " (value(k.target, unit))
            @if let Some(kpi) = &k.kpi { " · follows " a href=(format!("/kpis/{kpi}")) { (kpi) } }
            @if let Some(o) = &k.owner { " · owned by " (o) }
        }
        div #kr {
            @if done.checked_in.is_some() {
                p.notice role="status" { "Check-in saved." }
            }
            div.tiles {
                div.tile {
                    span.name { "Score" }
                    span.value #score data-value=(format!("{:.2}", k.score)) { (grade(Some(k.score), Some(k.grade))) }
                    span.also { "expected by now: " (format!("{:.2}", k.expected)) @if k.at_risk { " · " span.risk { "at risk" } } }
                }
                div.tile {
                    span.name { "Current" }
                    span.value #current { (value(k.current, unit)) }
                    span.also { (k.checkins) " check-ins" @if let Some(t) = k.last_checkin { " · last " (time(t)) } }
                }
                div.tile {
                    span.name { "Forecast" }
                    span.value { (k.forecast.map_or("—".to_string(), |f| format!("{f:.2}"))) }
                    span.also {
                        @match k.reaches_target_on {
                            Some(d) => { "reaches the target on " (d) },
                            None => { "score at the end of the cycle, from the trend" },
                        }
                    }
                }
            }
            section.card aria-labelledby="progress-h" {
                h2 #progress-h { "Progress over the cycle" }
                p.small.muted { "Score after each check-in (blue), the expected pace (dashed) and the forecast to the end (dotted), " (p.cycle_start) " to " (p.cycle_end) "." }
                (svg(okapi_app::charts::progress(&k.trend, p.cycle_start, p.cycle_end, k.forecast, (720.0, 200.0), &format!("progress of {}", k.title))))
            }
            div.row {
                section.card aria-labelledby="history-h" {
                    h2 #history-h { "Check-ins" }
                    @if p.history.checkins.is_empty() {
                        p.empty { "No check-in yet." }
                    } @else {
                        table #checkins {
                            thead { tr { th { "When" } th.n { "Value" } th.n { "Score" } th { "Confidence" } th { "Note" } } }
                            tbody {
                                @for row in p.history.checkins.iter().rev() {
                                    tr {
                                        td.small { (time(row.checkin.at)) br; span.muted { (row.checkin.author.as_deref().unwrap_or(row.checkin.source.as_str())) } }
                                        td.n { (value(row.checkin.value, unit)) }
                                        td.n { (row.score.map_or("—".to_string(), |s| format!("{s:.2}"))) }
                                        td.small { (row.checkin.confidence.as_str().replace('_', " ")) }
                                        td { (row.checkin.note.as_deref().unwrap_or("")) }
                                    }
                                }
                            }
                        }
                    }
                }
                section.card aria-labelledby="checkin-h" {
                    h2 #checkin-h { "Check in" }
                    @if may_check_in {
                        // htmx posts it and swaps only this key result's part of the page.
                        form.stack method="post" action=(format!("/krs/{}/check-in", k.key)) hx-post=(format!("/krs/{}/check-in", k.key)) hx-target="#kr" hx-select="#kr" hx-swap="outerHTML" {
                            label {
                                "Value" @if !unit.is_empty() { " (" (unit) ")" }
                                input type="number" step="any" name="value" value=[prefill.map(|v| v.to_string())] required;
                            }
                            @if k.kpi.is_some() { p.small.muted { "Prefilled with the KPI's latest stored value." } }
                            label {
                                "Confidence"
                                select name="confidence" {
                                    @for c in ["on_track", "at_risk", "off_track"] {
                                        option value=(c) selected[k.confidence.map(|x| x.as_str()) == Some(c)] { (c.replace('_', " ")) }
                                    }
                                }
                            }
                            label { "Note" textarea name="note" placeholder="What moved, what is in the way" {} }
                            button type="submit" { "Save check-in" }
                        }
                    } @else {
                        p.empty { "You may read this key result but not check in on it: check-ins are for its team, its owner and admins." }
                    }
                }
            }
        }
    };
    Ok(layout(&st, &viewer, &k.title, "/okrs", body).into_response())
}

/// The check-in form's fields.
#[derive(Debug, Deserialize)]
pub struct CheckInForm {
    value: String,
    confidence: Option<Confidence>,
    note: Option<String>,
}

/// `POST /krs/{key}/check-in`: saves the check-in and shows the page again.
pub async fn check_in(
    State(st): State<AppState>,
    Viewer(viewer): Viewer,
    Path(key): Path<String>,
    Form(f): Form<CheckInForm>,
) -> PageResult {
    okapi_app::accounts::may_check_in(&st.ws, &viewer, &key)
        .await
        .map_err(fail)?;
    let value = f.value.trim().parse::<f64>().map_err(|_| {
        fail(AppError::Input {
            field: "value",
            reason: format!("`{}` is not a number", f.value.trim()),
        })
    })?;
    let req = CheckInRequest {
        kr: key.clone(),
        value: Some(value),
        confidence: f.confidence,
        note: f.note.filter(|n| !n.trim().is_empty()),
        author: okapi_app::tokens::author_of(&st.ws, &viewer)
            .await
            .map_err(fail)?,
        at: None,
    };
    okapi_app::checkins::check_in(&st.ws, req, Utc::now())
        .await
        .map_err(fail)?;
    let enc: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
    Ok(Redirect::to(&format!("/krs/{enc}?checked_in=1")).into_response())
}
