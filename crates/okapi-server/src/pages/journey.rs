//! The customer journey: the funnel from visitors to new customers in the
//! last month stored (each stage's conversion from the one before), then
//! each stage's KPIs: awareness, consideration, decision, retention, and
//! revenue and efficiency after them.

use axum::extract::State;
use axum::response::IntoResponse;
use maud::html;

use super::format::{capitalised, value};
use super::{PageResult, Viewer, fail, layout, svg};
use crate::AppState;

/// `GET /journey`.
pub async fn page(State(st): State<AppState>, Viewer(viewer): Viewer) -> PageResult {
    let j = okapi_app::dashboard::journey(&st.ws).await.map_err(fail)?;
    let steps: Vec<(String, Option<f64>)> =
        j.funnel.iter().map(|t| (t.name.clone(), t.value)).collect();
    let month = j.funnel.iter().find_map(|t| t.period);
    let body = html! {
        h1 { "Customer journey" }
        p.lead {
            "From the first visit to a paying customer, and what keeps them"
            @if let Some(m) = month { ", in " (m.format("%B %Y")) }
            "."
        }
        section.card aria-labelledby="funnel-h" {
            h2 #funnel-h { "Funnel" }
            @if steps.iter().all(|(_, v)| v.is_none()) {
                p.empty { "No funnel yet: it needs the visits, leads or events tables, and a refresh." }
            } @else {
                (svg(okapi_app::charts::funnel(&steps, &|v| okapi_core::units::with_unit(v, Some("count")))))
            }
        }
        @for stage in &j.stages {
            section.card aria-labelledby=(format!("stage-{}", stage.stage)) {
                h2 id=(format!("stage-{}", stage.stage)) { (capitalised(stage.stage)) }
                table {
                    thead { tr { th { "KPI" } th.n { "Latest month" } th.n { "Change" } th { "Trend" } } }
                    tbody {
                        @for t in &stage.kpis {
                            tr {
                                td { a href=(format!("/kpis/{}", t.kpi)) { (t.name) } }
                                td.n { (value(t.value, &t.unit)) }
                                td.n {
                                    @if let Some(c) = &t.change {
                                        span class=(match t.good { Some(true) => "change good", Some(false) => "change bad", None => "change" }) { (c) }
                                    }
                                }
                                td { (svg(okapi_app::charts::sparkline(&t.series.iter().map(|(_, v)| *v).collect::<Vec<_>>(), t.good, &t.name))) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&st, &viewer, "Customer journey", "/journey", body).into_response())
}
