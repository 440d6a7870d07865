//! The executive report of the week: the seven executive KPIs with their
//! trend, what the insights found, the inactive paying customers with
//! their MRR, the OKRs at risk, and the key results checked in during the
//! week with their notes. One typed report ([`WeeklyReport`]), written as
//! Markdown or as one self-contained HTML page (inline SVG sparklines, a
//! print stylesheet) by [`markdown`] and [`html`]. Shared by
//! `okapi report weekly` and the server.
//!
//! **The week** is the seven days ending on `at` (default: the data's last
//! day, else today). **The KPIs** are read as the home reads them: the
//! value of the latest complete month up to `at` (a rate read over a week
//! is too noisy to steer by; a month is the trailing window every
//! executive KPI is defined over), its change against the month before,
//! and a sparkline of the 12 months up to it.

use std::fmt::Write as _;

use chrono::{Datelike, Days, NaiveDate};
use okapi_core::catalog::Direction;
use okapi_core::period::Grain;
use okapi_core::units::{with_unit, with_unit_or_dash};
use serde::Serialize;

use crate::dashboard::executive_subjects;
use crate::error::AppError;
use crate::insights::{CustomerRiskKind, Insights};
use crate::report_html::esc;
use crate::workspace::Workspace;

/// Months in a KPI's sparkline.
pub const SPARK_MONTHS: usize = crate::dashboard::SPARK_PERIODS;

/// One executive KPI in the week's report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeeklyKpi {
    /// The executive subject (`Customer churn`).
    pub subject: String,
    pub kpi: String,
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    /// The month of `value` (its first day).
    pub month: Option<NaiveDate>,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    pub change: Option<String>,
    pub good: Option<bool>,
    /// The months up to `month`, oldest first.
    pub series: Vec<(NaiveDate, Option<f64>)>,
}

/// A paying account nobody uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InactiveCustomer {
    pub account: String,
    pub mrr: Option<f64>,
    pub days_inactive: Option<f64>,
}

/// A check-in of the week.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeekCheckIn {
    pub key_result: String,
    pub title: String,
    pub day: NaiveDate,
    pub value: Option<f64>,
    pub unit: Option<String>,
    pub confidence: String,
    pub note: Option<String>,
    pub author: Option<String>,
}

/// The report of one week.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeeklyReport {
    pub company: String,
    pub vision: Option<String>,
    /// The week's first and last day.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The data's last day stored (`None` before the first refresh).
    pub data_through: Option<NaiveDate>,
    pub kpis: Vec<WeeklyKpi>,
    pub insights: Insights,
    pub inactive: Vec<InactiveCustomer>,
    pub checkins: Vec<WeekCheckIn>,
}

/// The last day of the month starting on `start`.
fn month_end(start: NaiveDate) -> NaiveDate {
    start
        .checked_add_months(chrono::Months::new(1))
        .and_then(|n| n.pred_opt())
        .unwrap_or(start)
}

/// The week's report, ending on `at` (default: the data's last day, else
/// `today`).
pub async fn report(
    ws: &Workspace,
    at: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<WeeklyReport, AppError> {
    let mut s = ws.read_session().await?;
    let through = s.last_kpi_period("", Grain::Day).await?;
    let workspace = s.workspace().clone();
    s.commit().await?;
    let to = match at {
        Some(a) => crate::inputs::day("at", a)?,
        None => through.unwrap_or(today),
    };
    let from = to.checked_sub_days(Days::new(6)).unwrap_or(to);

    let mut kpis = Vec::new();
    for (subject, main, also) in executive_subjects(ws.settings.profile) {
        for id in std::iter::once(main).chain(also) {
            let Some(info) = okapi_engine::compute::kpi_info(&ws.settings, id) else {
                continue;
            };
            let series: Vec<okapi_store::StoredKpiValue> =
                crate::stored::series(ws, id, Grain::Month, "")
                    .await?
                    .into_iter()
                    .filter(|v| month_end(v.period_start) <= to)
                    .collect();
            let t = crate::dashboard::tile_of(
                id,
                &info.name,
                info.unit.as_str(),
                info.direction,
                &series,
            );
            kpis.push(WeeklyKpi {
                subject: if id == main {
                    subject.to_string()
                } else {
                    String::new()
                },
                kpi: t.kpi,
                name: t.name,
                unit: t.unit,
                direction: t.direction,
                month: t.period,
                value: t.value,
                previous: t.previous,
                change: t.change,
                good: t.good,
                series: t.series,
            });
        }
    }

    let insights = crate::insights::insights(ws, to).await?;
    let inactive = insights
        .customer_risks
        .iter()
        .filter(|r| r.kind == CustomerRiskKind::InactiveAccount)
        .map(|r| InactiveCustomer {
            account: r.account.clone(),
            mrr: r.mrr,
            days_inactive: r.days,
        })
        .collect();

    // The check-ins of the week, in the cycle the OKR risks are read in.
    let mut checkins = Vec::new();
    if let Some(cycle) = &insights.cycle {
        let mut s = ws.read_session().await?;
        let krs = s.key_results(Some(cycle)).await?;
        let all = s.checkins(None, Some(cycle)).await?;
        s.commit().await?;
        for c in all {
            let day = c.at.date_naive();
            if day < from || day > to {
                continue;
            }
            let kr = krs.iter().find(|k| k.key == c.kr);
            checkins.push(WeekCheckIn {
                key_result: c.kr.clone(),
                title: kr.map(|k| k.title.clone()).unwrap_or_default(),
                day,
                value: c.value,
                unit: kr.and_then(|k| k.unit.clone()),
                confidence: c.confidence.as_str().to_string(),
                note: c.note.clone(),
                author: c.author.clone(),
            });
        }
    }

    Ok(WeeklyReport {
        company: workspace.name.clone(),
        vision: workspace.vision.clone(),
        from,
        to,
        data_through: through,
        kpis,
        insights,
        inactive,
        checkins,
    })
}

fn value_text(v: Option<f64>, unit: &str) -> String {
    with_unit_or_dash(v, Some(unit))
}

fn month_text(m: Option<NaiveDate>) -> String {
    m.map_or("—".into(), |m| format!("{} {}", month_name(m), m.year()))
}

fn month_name(m: NaiveDate) -> &'static str {
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    .get(m.month0() as usize)
    .copied()
    .unwrap_or("")
}

/// `▁▂▃…` of a series, for Markdown.
fn bars(series: &[(NaiveDate, Option<f64>)]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let values: Vec<f64> = series.iter().filter_map(|(_, v)| *v).collect();
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    series
        .iter()
        .map(|(_, v)| match v {
            None => ' ',
            Some(v) if hi > lo => BARS
                .get((((v - lo) / (hi - lo)) * 7.0).round() as usize)
                .copied()
                .unwrap_or('▄'),
            Some(_) => '▄',
        })
        .collect()
}

/// The report as Markdown.
pub fn markdown(r: &WeeklyReport) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Weekly report — {} … {}\n\n**{}**",
        r.from, r.to, r.company
    );
    if let Some(v) = &r.vision {
        let _ = writeln!(md, "\n> {v}");
    }
    match r.data_through {
        Some(d) => {
            let _ = writeln!(md, "\nData through {d}.");
        }
        None => md.push_str("\nNo KPI values stored yet: run `okapi refresh`.\n"),
    }
    md.push_str("\n## Executive KPIs\n\nMonth values (the latest complete month), the change against the month before, 12 months of trend.\n\n| Subject | KPI | Month | Value | Change | Trend |\n|---|---|---|---|---|---|\n");
    for k in &r.kpis {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {}{} | {} |",
            k.subject,
            k.name,
            month_text(k.month),
            value_text(k.value, &k.unit),
            k.change.as_deref().unwrap_or("—"),
            match k.good {
                Some(true) => " (good)",
                Some(false) => " (bad)",
                None => "",
            },
            bars(&k.series)
        );
    }
    let i = &r.insights;
    md.push_str("\n## What the metrics say\n\n");
    if i.dissonances.is_empty() && i.anomalies.is_empty() && i.slow_phase.is_none() {
        md.push_str("Nothing unusual in the real-time KPIs, and no journey stage pulling against the next.\n");
    }
    for d in &i.dissonances {
        let _ = writeln!(md, "- {}", d.sentence);
    }
    for a in &i.anomalies {
        let _ = writeln!(md, "- {}", a.sentence);
    }
    if let Some(p) = &i.slow_phase {
        let _ = writeln!(md, "- {}", p.sentence);
    }
    md.push_str("\n## Inactive paying customers\n\n");
    if r.inactive.is_empty() {
        md.push_str("None: every paying account was active in the inactivity window.\n");
    } else {
        md.push_str("| Account | MRR | Days without activity |\n|---|---|---|\n");
        for a in &r.inactive {
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                a.account,
                value_text(a.mrr, "money"),
                a.days_inactive
                    .map_or("never active".into(), |d| format!("{d:.0}"))
            );
        }
    }
    md.push_str("\n## OKRs at risk\n\n");
    match &i.cycle {
        None => md.push_str("No cycle yet.\n"),
        Some(_) if i.okr_risks.is_empty() => md.push_str("None.\n"),
        Some(c) => {
            let _ = writeln!(md, "In {c}:\n");
            for k in &i.okr_risks {
                let _ = writeln!(
                    md,
                    "- {}{}",
                    k.sentence,
                    k.owner
                        .as_deref()
                        .map(|o| format!(" ({o})"))
                        .unwrap_or_default()
                );
            }
        }
    }
    md.push_str("\n## Check-ins this week\n\n");
    if r.checkins.is_empty() {
        md.push_str("No key result was checked in this week.\n");
    } else {
        for c in &r.checkins {
            let _ = writeln!(
                md,
                "- {} {} {}: {} ({}){}{}",
                c.day,
                c.key_result,
                c.title,
                with_unit_or_dash(c.value, c.unit.as_deref()),
                c.confidence.replace('_', " "),
                c.author
                    .as_deref()
                    .map(|a| format!(", by {a}"))
                    .unwrap_or_default(),
                c.note
                    .as_deref()
                    .map(|n| format!(" — {n}"))
                    .unwrap_or_default()
            );
        }
    }
    md
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;max-width:60rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6em;margin:0 0 .2em}h2{font-size:1.15em;margin:2em 0 .3em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;break-after:avoid}
.meta{color:#57606a;margin:0}blockquote{margin:1em 0;padding:.2em 1em;border-left:4px solid #d0d7de;color:#3d444d}
table{border-collapse:collapse;width:100%;margin:.6em 0}th,td{text-align:left;padding:.3em .45em;border-bottom:1px solid #eaeef2;vertical-align:middle}
th{font-weight:600;color:#57606a;font-size:.85em}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.d{white-space:nowrap}td.good{color:#116329;font-weight:600}td.bad{color:#a40e26;font-weight:600}
ul.found{padding-left:1.1em}ul.found li{margin:.25em 0}ul.found li.bad::marker{color:#a40e26}ul.found li.good::marker{color:#116329}
.note{color:#57606a;font-size:.9em}
svg{display:block}td svg{max-width:100%;height:auto}tr,li{break-inside:avoid}
@media print{body{margin:0;max-width:none;font-size:11px}a{color:inherit;text-decoration:none}}
";

/// The report as one self-contained HTML page (no script, no external
/// file; user text escaped).
pub fn html(r: &WeeklyReport) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>Weekly report — {} — {} … {}</title><style>{STYLE}</style></head><body>\n<header><h1>Weekly report</h1><p class=\"meta\">{} · {} … {}{}</p>",
        esc(&r.company),
        r.from,
        r.to,
        esc(&r.company),
        r.from,
        r.to,
        r.data_through
            .map(|d| format!(" · data through {d}"))
            .unwrap_or_else(|| " · no KPI values stored yet".into())
    );
    if let Some(v) = &r.vision {
        let _ = write!(h, "<blockquote>{}</blockquote>", esc(v));
    }
    h.push_str("</header>\n<section id=\"kpis\"><h2>Executive KPIs</h2><p class=\"note\">Month values (the latest complete month), the change against the month before, 12 months of trend.</p><table><thead><tr><th>Subject</th><th>KPI</th><th>Month</th><th>Value</th><th>Change</th><th>Trend</th></tr></thead><tbody>\n");
    for k in &r.kpis {
        let show = |v: f64| with_unit(v, Some(&k.unit));
        let values: Vec<Option<f64>> = k.series.iter().map(|(_, v)| *v).collect();
        let _ = writeln!(
            h,
            "<tr data-kpi=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n {}\">{}</td><td>{}</td></tr>",
            esc(&k.kpi),
            esc(&k.subject),
            esc(&k.name),
            month_text(k.month),
            esc(&k.value.map_or("—".into(), show)),
            match k.good {
                Some(true) => "good",
                Some(false) => "bad",
                None => "",
            },
            esc(k.change.as_deref().unwrap_or("—")),
            crate::charts::sparkline(&values, k.good, &format!("{} over 12 months", k.name))
        );
    }
    h.push_str("</tbody></table></section>\n<section id=\"found\"><h2>What the metrics say</h2>");
    let i = &r.insights;
    if i.dissonances.is_empty() && i.anomalies.is_empty() && i.slow_phase.is_none() {
        h.push_str("<p>Nothing unusual in the real-time KPIs, and no journey stage pulling against the next.</p>");
    } else {
        h.push_str("<ul class=\"found\">");
        for d in &i.dissonances {
            let _ = write!(h, "<li class=\"bad\">{}</li>", esc(&d.sentence));
        }
        for a in &i.anomalies {
            let _ = write!(
                h,
                "<li class=\"{}\">{}</li>",
                if a.good { "good" } else { "bad" },
                esc(&a.sentence)
            );
        }
        if let Some(p) = &i.slow_phase {
            let _ = write!(h, "<li class=\"bad\">{}</li>", esc(&p.sentence));
        }
        h.push_str("</ul>");
    }
    h.push_str("</section>\n<section id=\"inactive\"><h2>Inactive paying customers</h2>");
    if r.inactive.is_empty() {
        h.push_str("<p>None: every paying account was active in the inactivity window.</p>");
    } else {
        h.push_str("<table><thead><tr><th>Account</th><th>MRR</th><th>Days without activity</th></tr></thead><tbody>");
        for a in &r.inactive {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&a.account),
                esc(&value_text(a.mrr, "money")),
                a.days_inactive
                    .map_or("never active".into(), |d| format!("{d:.0}"))
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>\n<section id=\"risks\"><h2>OKRs at risk</h2>");
    match &i.cycle {
        None => h.push_str("<p>No cycle yet.</p>"),
        Some(_) if i.okr_risks.is_empty() => h.push_str("<p>None.</p>"),
        Some(c) => {
            let _ = write!(
                h,
                "<p class=\"note\">In {}:</p><ul class=\"found\">",
                esc(c)
            );
            for k in &i.okr_risks {
                let _ = write!(
                    h,
                    "<li class=\"bad\">{}{}</li>",
                    esc(&k.sentence),
                    k.owner
                        .as_deref()
                        .map(|o| format!(" <span class=\"note\">({})</span>", esc(o)))
                        .unwrap_or_default()
                );
            }
            h.push_str("</ul>");
        }
    }
    h.push_str("</section>\n<section id=\"checkins\"><h2>Check-ins this week</h2>");
    if r.checkins.is_empty() {
        h.push_str("<p>No key result was checked in this week.</p>");
    } else {
        h.push_str("<table><thead><tr><th>Day</th><th>Key result</th><th>Value</th><th>Confidence</th><th>Note</th></tr></thead><tbody>");
        for c in &r.checkins {
            let _ = write!(
                h,
                "<tr><td class=\"d\">{}</td><td>{} {}</td><td class=\"n\">{}</td><td>{}</td><td>{}{}</td></tr>",
                c.day,
                esc(&c.key_result),
                esc(&c.title),
                esc(&with_unit_or_dash(c.value, c.unit.as_deref())),
                esc(&c.confidence.replace('_', " ")),
                esc(c.note.as_deref().unwrap_or("")),
                c.author
                    .as_deref()
                    .map(|a| format!(" <span class=\"note\">— {}</span>", esc(a)))
                    .unwrap_or_default()
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>\n</body></html>\n");
    h
}

/// A report written out: its media type, file extension and text.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub content_type: &'static str,
    pub extension: &'static str,
    pub text: String,
}

/// `r` as `markdown` (or `md`), `html` or `json`.
pub fn render(r: &WeeklyReport, format: &str) -> Result<Rendered, AppError> {
    Ok(match format {
        "markdown" | "md" => Rendered {
            content_type: "text/markdown; charset=utf-8",
            extension: "md",
            text: markdown(r),
        },
        "html" => Rendered {
            content_type: "text/html; charset=utf-8",
            extension: "html",
            text: html(r),
        },
        "json" => Rendered {
            content_type: "application/json",
            extension: "json",
            text: serde_json::to_string_pretty(r).map_err(|e| AppError::Internal(e.to_string()))?
                + "\n",
        },
        other => {
            return Err(AppError::input(
                "format",
                format!("`{other}` is not a report format (markdown, html or json)"),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_ends_on_its_last_day() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(month_end(d("2026-02-01")), d("2026-02-28"));
        assert_eq!(month_end(d("2024-02-01")), d("2024-02-29"));
        assert_eq!(month_end(d("2026-12-01")), d("2026-12-31"));
    }

    #[test]
    fn bars_scale_from_the_lowest_to_the_highest() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let s = vec![(d, Some(1.0)), (d, None), (d, Some(8.0)), (d, Some(4.5))];
        assert_eq!(bars(&s), "▁ █▅");
    }
}
