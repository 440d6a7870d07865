//! The OKR page: a cycle's alignment tree, company → team → person. Each
//! objective shows its score bar (with the expected progress today as a
//! tick), grade and state; each key result its progress from baseline to
//! target, pace, confidence and last check-in.

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use chrono::Utc;
use maud::{Markup, html};
use okapi_app::okr_views::{self, StatusQuery};
use okapi_app::status::{CycleStatus, KrStatus, ObjectiveStatus, level_text};
use serde::Deserialize;

use super::format::{grade, value};
use super::{PageResult, Viewer, fail, layout, svg};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct CycleQuery {
    cycle: Option<String>,
}

fn kr_row(k: &KrStatus) -> Markup {
    let unit = k.unit.as_deref().unwrap_or("");
    html! {
        tr data-kr=(k.key) {
            td {
                a href=(format!("/krs/{}", k.key)) { (k.title) }
                @if k.at_risk { " " span.risk title="behind the expected pace" { "at risk" } }
                br;
                span.small.muted {
                    (value(k.baseline, unit)) " → " strong { (value(k.current, unit)) } " → " (value(k.target, unit))
                }
            }
            td { (svg(okapi_app::charts::bar(k.score, k.grade.as_str(), Some(k.expected), &format!("score {:.2} against {:.2} expected", k.score, k.expected)))) }
            td.n { (grade(Some(k.score), Some(k.grade))) }
            td.small { (k.confidence.map_or("—", |c| c.as_str()).replace('_', " ")) }
            td.small.muted { (k.last_checkin.map_or("never".to_string(), |t| t.format("%Y-%m-%d").to_string())) }
        }
    }
}

fn objective(o: &ObjectiveStatus, all: &[ObjectiveStatus], expected: f64, depth: usize) -> Markup {
    let children: Vec<&ObjectiveStatus> = all
        .iter()
        .filter(|c| c.parent.as_deref() == Some(o.key.as_str()))
        .collect();
    html! {
        li {
            article.objective data-objective=(o.key) {
                header {
                    div {
                        div.title { (o.title) }
                        div.meta {
                            (level_text(o)) " · " (o.state.as_str().replace('_', " "))
                            " · " (if o.committed { "committed" } else { "aspirational" })
                            @if o.at_risk { " · " span.risk { "at risk" } }
                        }
                    }
                    div {
                        (svg(okapi_app::charts::bar(o.score.unwrap_or(0.0), o.grade.map_or("", |g| g.as_str()), Some(expected), &format!("objective score {}", o.score.map_or("none".into(), |s| format!("{s:.2}")) ))))
                        " " (grade(o.score, o.grade))
                    }
                }
                @if !o.krs.is_empty() {
                    table.krs {
                        thead { tr { th { "Key result" } th { "Progress" } th.n { "Score" } th { "Confidence" } th { "Last check-in" } } }
                        tbody { @for k in &o.krs { (kr_row(k)) } }
                    }
                }
            }
            @if !children.is_empty() && depth < okapi_store::MAX_ALIGNMENT_DEPTH {
                ul { @for c in children { (objective(c, all, expected, depth + 1)) } }
            }
        }
    }
}

fn tree(st: &CycleStatus) -> Markup {
    let keys: Vec<&str> = st.objectives.iter().map(|o| o.key.as_str()).collect();
    let roots: Vec<&ObjectiveStatus> = st
        .objectives
        .iter()
        .filter(|o| o.parent.as_deref().is_none_or(|p| !keys.contains(&p)))
        .collect();
    html! {
        ul.tree { @for o in roots { (objective(o, &st.objectives, st.expected, 0)) } }
    }
}

/// `GET /okrs?cycle=`.
pub async fn page(
    State(st): State<AppState>,
    Viewer(viewer): Viewer,
    q: Result<Query<CycleQuery>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let q = q
        .map(|Query(q)| q)
        .map_err(|e| fail(okapi_app::AppError::Invalid(e.body_text())))?;
    let cycles = okapi_app::cycles::list(&st.ws).await.map_err(fail)?;
    if cycles.is_empty() {
        let body = html! {
            h1 { "OKRs" }
            p.empty { strong { "No cycle yet." } " Create one with " code { "okapi okr cycle add" } ", or apply an OKR file with " code { "okapi okr apply" } "." }
        };
        return Ok(layout(&st, &viewer, "OKRs", "/okrs", body).into_response());
    }
    let status = okr_views::status(
        &st.ws,
        StatusQuery {
            cycle: q.cycle,
            ..Default::default()
        },
        Utc::now().date_naive(),
    )
    .await
    .map_err(fail)?;
    let c = &status.cycle;
    let body = html! {
        h1 { "OKRs · " (c.name) }
        p.lead {
            (c.start) " to " (c.end) " · " (c.state.as_str())
            " · read on " (status.on) ", when " (format!("{:.0}%", status.expected * 100.0)) " of the cycle is behind us"
        }
        nav.tabs aria-label="Cycle" {
            @for other in &cycles {
                a href=(format!("/okrs?cycle={}", other.key)) aria-current=[(other.key == c.key).then_some("true")] { (other.name) }
            }
        }
        @if status.objectives.is_empty() {
            p.empty { strong { "No objective in this cycle yet." } " Add one with " code { "okapi okr objective add" } "." }
        } @else {
            (tree(&status))
        }
    };
    Ok(layout(&st, &viewer, "OKRs", "/okrs", body).into_response())
}
