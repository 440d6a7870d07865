//! The review page: the coach's findings on a cycle's objectives and key
//! results (the rules of okrs.md), each with its reason and a suggestion,
//! grouped by objective, errors first.

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use maud::html;
use okapi_core::review::Severity;
use serde::Deserialize;

use super::{PageResult, Viewer, fail, layout};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct CycleQuery {
    cycle: Option<String>,
}

/// `GET /review?cycle=`.
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
            h1 { "Review" }
            p.empty { strong { "No cycle yet." } " The coach reviews a cycle's objectives once there is one: " code { "okapi okr cycle add" } "." }
        };
        return Ok(layout(&st, &viewer, "Review", "/review", body).into_response());
    }
    let review = okapi_app::coach::review(&st.ws, q.cycle.clone(), None)
        .await
        .map_err(fail)?;
    let current = review.scope.trim_start_matches("cycle ").to_string();
    let mut findings = review.findings.clone();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.objective.cmp(&b.objective))
    });
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let body = html! {
        h1 { "Review · " (current) }
        p.lead {
            "The coach checks each objective and key result against the method: "
            (count(Severity::Error)) " to fix, " (count(Severity::Warning)) " to consider, " (count(Severity::Info)) " to know."
            @if let (Some(d), Some(on)) = (review.sales_cycle_days, &review.sales_cycle_measured_on) {
                " Measured sales cycle: " (format!("{d:.0}")) " days (" (on) ")."
            }
        }
        nav.tabs aria-label="Cycle" {
            @for c in &cycles {
                a href=(format!("/review?cycle={}", c.key)) aria-current=[(c.key == current).then_some("true")] { (c.name) }
            }
        }
        @if findings.is_empty() {
            p.empty { "Nothing to say: every objective and key result of " strong { (current) } " follows the method." }
        } @else {
            section.card {
                table #findings {
                    thead { tr { th { "" } th { "Where" } th { "What" } th { "Suggestion" } } }
                    tbody {
                        @for f in &findings {
                            @let class = match f.severity { Severity::Error => "grade red", Severity::Warning => "grade yellow", Severity::Info => "grade" };
                            tr data-rule=(f.rule) {
                                td { span class=(class) { (match f.severity { Severity::Error => "fix", Severity::Warning => "consider", Severity::Info => "note" }) } }
                                td.small {
                                    (f.objective)
                                    @if let Some(k) = &f.kr { br; a href=(format!("/krs/{k}")) { (k) } }
                                    br; span.muted { (f.rule) }
                                }
                                td { (f.reason) }
                                td.small { (f.suggestion) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&st, &viewer, "Review", "/review", body).into_response())
}
