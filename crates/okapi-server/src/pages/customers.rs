//! The customers page: inactive paying accounts, health scores (lowest
//! first), time to value (the phases, slowest first, and the slowest
//! accounts' timelines) and the monthly user-retention cohorts as a
//! heatmap. Read from the views a refresh stored.

use axum::extract::State;
use axum::response::IntoResponse;
use maud::{Markup, html};
use okapi_app::data::{HealthReport, InactiveReport, RetentionReport, TtvReport};
use okapi_app::refresh::views;
use okapi_app::stored;

use super::{PageResult, Viewer, fail, layout, svg};
use crate::AppState;

/// How many accounts each list shows.
const SHOWN: usize = 15;

fn money(d: rust_decimal::Decimal) -> String {
    okapi_core::units::group(&format!("{:.2}", d.round_dp(2)))
}

/// A view's section when the view is missing or the data cannot give it.
fn missing(view: &Option<Result<impl Sized, String>>) -> Option<Markup> {
    match view {
        None => Some(html! { p.empty { "Nothing yet: this appears after the first refresh." } }),
        Some(Err(why)) => Some(html! { p.empty { "The data cannot tell: " (why) } }),
        Some(Ok(_)) => None,
    }
}

/// The accounts that reached value, slowest first.
fn slowest_first(r: &TtvReport) -> Vec<&okapi_core::ttv::AccountTtv> {
    let mut done: Vec<_> = r.accounts.iter().filter(|a| a.days.is_some()).collect();
    done.sort_by(|a, b| {
        b.days
            .partial_cmp(&a.days)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    done
}

/// One account's timeline: its name and its phases with their days.
type Timeline = (String, Vec<(String, f64)>);

/// The slowest accounts' timelines as phases with their days, and every
/// phase named, in the order they happen.
fn timeline_rows(slowest: &[&okapi_core::ttv::AccountTtv]) -> (Vec<Timeline>, Vec<String>) {
    const MICROS_PER_DAY: f64 = 86_400_000_000.0;
    // Phases in the order they happen, as the bars show them.
    let mut phases: Vec<String> = Vec::new();
    let rows = slowest
        .iter()
        .map(|a| {
            let steps = a
                .steps
                .windows(2)
                .filter_map(|w| match w {
                    [(from, t0), (to, t1)] => {
                        Some((format!("{from} → {to}"), (t1 - t0) as f64 / MICROS_PER_DAY))
                    }
                    _ => None,
                })
                .collect::<Vec<_>>();
            for (p, _) in &steps {
                if !phases.contains(p) {
                    phases.push(p.clone());
                }
            }
            (a.account.clone(), steps)
        })
        .collect();
    (rows, phases)
}

/// `GET /customers`.
pub async fn page(State(st): State<AppState>, Viewer(viewer): Viewer) -> PageResult {
    let inactive = stored::view::<InactiveReport>(&st.ws, views::INACTIVE)
        .await
        .map_err(fail)?;
    let health = stored::view::<HealthReport>(&st.ws, views::HEALTH)
        .await
        .map_err(fail)?;
    let ttv = stored::view::<TtvReport>(&st.ws, views::TTV)
        .await
        .map_err(fail)?;
    let retention = stored::view::<RetentionReport>(&st.ws, views::RETENTION)
        .await
        .map_err(fail)?;
    let body = html! {
        h1 { "Customers" }
        p.lead { "Who has gone quiet, who is healthy, how long onboarding takes, and who stays." }
        div.row {
            section.card aria-labelledby="inactive-h" {
                h2 #inactive-h { "Inactive paying accounts" }
                @if let Some(m) = missing(&inactive) { (m) }
                @if let Some(Ok(r)) = &inactive {
                    @if r.accounts.is_empty() {
                        p.empty { "Every paying account was active in the " (r.window_days) " days to " (r.at) "." }
                    } @else {
                        p.small.muted { (r.accounts.len()) " accounts paying on " (r.at) " without activity in " (r.window_days) " days, largest MRR first." }
                        table #inactive {
                            thead { tr { th { "Account" } th.n { "MRR" } th.n { "Days quiet" } } }
                            tbody {
                                @for a in r.accounts.iter().take(SHOWN) {
                                    tr { td { (a.account_id) } td.n { (money(a.mrr)) } td.n { (a.days_since_last_activity.map_or("never active".to_string(), |d| d.to_string())) } }
                                }
                            }
                        }
                    }
                }
            }
            section.card aria-labelledby="health-h" {
                h2 #health-h { "Lowest health scores" }
                @if let Some(m) = missing(&health) { (m) }
                @if let Some(Ok(r)) = &health {
                    p.small.muted { "Paying accounts on " (r.at) ", 0 to 100, lowest first." }
                    table #health {
                        thead { tr { th { "Account" } th.n { "MRR" } th.n { "Score" } } }
                        tbody {
                            @for a in r.accounts.iter().take(SHOWN) {
                                tr { td { (a.account_id) } td.n { (money(a.mrr)) } td.n { (format!("{:.0}", a.score)) } }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="ttv-h" {
            h2 #ttv-h { "Time to value" }
            @if let Some(m) = missing(&ttv) { (m) }
            @if let Some(Ok(r)) = &ttv {
                @if r.phases.is_empty() {
                    p.empty { "No onboarding milestones yet: add the milestones table." }
                } @else {
                    h3 { "Phases, slowest first" }
                    table #phases {
                        thead { tr { th { "From" } th { "To" } th.n { "Accounts" } th.n { "Mean days" } } }
                        tbody {
                            @for p in &r.phases {
                                tr { td { (p.from) } td { (p.to) } td.n { (p.accounts) } td.n { (format!("{:.1}", p.mean_days)) } }
                            }
                        }
                    }
                    @let slowest = slowest_first(r);
                    @let shown: Vec<_> = slowest.iter().take(SHOWN).copied().collect();
                    @let (rows, phases) = timeline_rows(&shown);
                    h3 { "The slowest onboardings, phase by phase" }
                    (svg(okapi_app::charts::timelines(&rows, &phases, "the slowest onboardings, phase by phase")))
                }
            }
        }
        section.card aria-labelledby="cohorts-h" {
            h2 #cohorts-h { "User retention by monthly cohort" }
            @if let Some(m) = missing(&retention) { (m) }
            @if let Some(Ok(r)) = &retention {
                @let rows: Vec<(String, Vec<Option<f64>>)> = r.cohorts.iter().filter(|c| c.users > 0).map(|c| (
                    r.periods.get(c.period).map_or(String::new(), |p| p.start.format("%b %Y").to_string()),
                    c.retained.iter().map(|v| Some(v / 100.0)).collect(),
                )).collect();
                @if rows.is_empty() {
                    p.empty { "No users yet: add the events table." }
                } @else {
                    p.small.muted { "Share of each month's new users active 0, 1, 2… months later." }
                    div.scroll { (svg(okapi_app::charts::heatmap(&rows, "user retention cohorts"))) }
                }
            }
        }
    };
    Ok(layout(&st, &viewer, "Customers", "/customers", body).into_response())
}
