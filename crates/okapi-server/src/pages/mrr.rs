//! The MRR page: the bridge of each month (start, new, expansion,
//! reactivation, contraction, churn, end) as a table, the chosen month as
//! a waterfall, and the accounts behind each of its movements. Read from
//! the MRR view a refresh stored.

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use maud::html;
use okapi_app::data::MrrPeriod;
use okapi_core::mrr::Movement;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;

use super::{PageResult, Viewer, fail, layout, svg};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct MonthQuery {
    /// The month's first day (`2026-09-01`); default the last.
    month: Option<chrono::NaiveDate>,
}

fn money(d: Decimal) -> String {
    okapi_core::units::group(&format!("{:.2}", d.round_dp(2)))
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// `GET /mrr?month=`.
pub async fn page(
    State(st): State<AppState>,
    Viewer(viewer): Viewer,
    q: Result<Query<MonthQuery>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let q = q
        .map(|Query(q)| q)
        .map_err(|e| fail(okapi_app::AppError::Invalid(e.body_text())))?;
    let view = okapi_app::stored::view::<Vec<MrrPeriod>>(&st.ws, okapi_app::refresh::views::MRR)
        .await
        .map_err(fail)?;
    let periods = match view {
        Some(Ok(p)) => p,
        Some(Err(why)) => {
            let body =
                html! { h1 { "MRR" } p.empty { "The data cannot give the MRR bridge: " (why) } };
            return Ok(layout(&st, &viewer, "MRR", "/mrr", body).into_response());
        }
        None => {
            let body = html! { h1 { "MRR" } p.empty { "Nothing yet: the MRR bridge appears after the first refresh." } };
            return Ok(layout(&st, &viewer, "MRR", "/mrr", body).into_response());
        }
    };
    let chosen = q
        .month
        .and_then(|m| periods.iter().find(|p| p.period.start == m))
        .or(periods.last());
    let body = html! {
        h1 { "MRR" }
        p.lead { "Monthly recurring revenue, month by month, and the accounts behind every movement." }
        @if let Some(p) = chosen {
            @let b = &p.bridge;
            section.card aria-labelledby="bridge-h" {
                h2 #bridge-h { "The bridge of " (p.period.start.format("%B %Y")) }
                (svg(okapi_app::charts::waterfall(&[
                    ("start".to_string(), f(b.start_mrr)),
                    ("new".to_string(), f(b.new)),
                    ("expansion".to_string(), f(b.expansion)),
                    ("reactivation".to_string(), f(b.reactivation)),
                    ("contraction".to_string(), -f(b.contraction)),
                    ("churn".to_string(), -f(b.churn)),
                    ("end".to_string(), f(b.end_mrr)),
                ], &|v| okapi_core::units::fixed(v, 0), &format!("MRR bridge of {}", p.period.start.format("%B %Y")))))
            }
            section.card aria-labelledby="accounts-h" {
                h2 #accounts-h { "Accounts behind the movements" }
                @if p.accounts.is_empty() {
                    p.empty { "No account moved this month." }
                }
                @for m in [Movement::New, Movement::Expansion, Movement::Reactivation, Movement::Contraction, Movement::Churn] {
                    @let moved: Vec<_> = p.accounts.iter().filter(|a| a.movement == m).collect();
                    @if !moved.is_empty() {
                        @let total: Decimal = moved.iter().map(|a| a.amount).sum();
                        details {
                        summary { strong { (super::format::capitalised(m.as_str())) } " · " (moved.len()) " accounts · " (money(total)) }
                        table data-movement=(m.as_str()) {
                            thead { tr { th { "Account" } th.n { "MRR before" } th.n { "MRR after" } th.n { "Amount" } } }
                            tbody {
                                @for a in moved {
                                    tr { td { (a.account_id) } td.n { (money(a.start_mrr)) } td.n { (money(a.end_mrr)) } td.n { (money(a.amount)) } }
                                }
                            }
                        }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="months-h" {
            h2 #months-h { "Month by month" }
            table #months {
                thead { tr { th { "Month" } th.n { "Start" } th.n { "New" } th.n { "Expansion" } th.n { "Reactivation" } th.n { "Contraction" } th.n { "Churn" } th.n { "End" } th.n { "Customers" } } }
                tbody {
                    @for p in periods.iter().rev() {
                        @let b = &p.bridge;
                        tr {
                            td { a href=(format!("/mrr?month={}", p.period.start)) { (p.period.start.format("%b %Y")) } }
                            td.n { (money(b.start_mrr)) } td.n { (money(b.new)) } td.n { (money(b.expansion)) } td.n { (money(b.reactivation)) }
                            td.n { (money(b.contraction)) } td.n { (money(b.churn)) } td.n { (money(b.end_mrr)) } td.n { (b.customers_end) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&st, &viewer, "MRR", "/mrr", body).into_response())
}
