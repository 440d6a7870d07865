//! The cycle's OKR report as Markdown: the summary table, each objective
//! with its key results (baseline, target, current value, score, grade,
//! trend) and reflections. Shared by `okapi report` and the server.

use std::fmt::Write as _;

use chrono::NaiveDate;
use okapi_core::okr::CycleState;
use okapi_core::units;

use crate::status::{CycleStatus, KrStatus, level_text};

/// A score with two decimals, or a dash.
pub fn score_text(s: Option<f64>) -> String {
    s.map_or("—".into(), |s| format!("{s:.2}"))
}

fn sparkline(trend: &[(NaiveDate, f64)]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    trend
        .iter()
        .filter_map(|(_, s)| BARS.get((s.clamp(0.0, 1.0) * 7.0).round() as usize))
        .collect()
}

/// The report of `st` for workspace `w`, with the teams' past cycles for
/// calibration.
pub fn markdown(
    w: &okapi_store::Workspace,
    st: &CycleStatus,
    past: &[crate::calibration::TeamCycle],
) -> String {
    let mut md = String::new();
    let c = &st.cycle;
    let _ = writeln!(md, "# OKR report — {} ({} … {})\n", c.name, c.start, c.end);
    let _ = writeln!(md, "**{}**", w.name);
    if let Some(v) = &w.vision {
        let _ = writeln!(md, "\n> {v}");
    }
    let _ = writeln!(
        md,
        "\nCycle {}: {}, {:.0}% elapsed on {}.\n",
        c.key,
        c.state,
        st.expected * 100.0,
        st.on
    );
    md.push_str(
        "## Summary\n\n| Objective | Level | Score | Grade | Status |\n|---|---|---|---|---|\n",
    );
    for o in &st.objectives {
        let status = if o.flagged {
            "committed, below 1.0"
        } else if o.at_risk {
            "at risk"
        } else if c.state == CycleState::Closed {
            "closed"
        } else {
            "on track"
        };
        let _ = writeln!(
            md,
            "| {} {} | {} | {} | {} | {} |",
            o.key,
            o.title,
            level_text(o),
            score_text(o.score),
            o.grade.map_or("—", |g| g.as_str()),
            status
        );
    }
    for o in &st.objectives {
        let _ = writeln!(
            md,
            "\n## {} {}\n\n{}, {}, {}. Score **{}** ({}).",
            o.key,
            o.title,
            level_text(o),
            if o.committed {
                "committed"
            } else {
                "aspirational"
            },
            o.state,
            score_text(o.score),
            o.grade.map_or("—", |g| g.as_str())
        );
        if let Some(why) = &o.why {
            let _ = writeln!(md, "\nWhy: {why}");
        }
        if o.krs.is_empty() {
            md.push_str("\nNo key results.\n");
            continue;
        }
        md.push_str("\n| KR | Baseline | Current | Target | Score | Grade | Expected | Forecast | Confidence | Progress |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for k in &o.krs {
            let _ = writeln!(
                md,
                "| {} {}{} | {} | {} | {} | {:.2} | {} | {:.2} | {} | {} | {} |",
                k.key,
                k.title,
                if k.at_risk { " ⚠" } else { "" },
                units::with_unit_or_dash(k.baseline, k.unit.as_deref()),
                units::with_unit_or_dash(k.current, k.unit.as_deref()),
                units::with_unit_or_dash(k.target, k.unit.as_deref()),
                k.score,
                k.grade.as_str(),
                k.expected,
                k.forecast.map_or("—".into(), |f| format!("{f:.2}")),
                k.confidence.map_or("—", |c| c.as_str()),
                sparkline(&k.trend)
            );
        }
        let notes: Vec<&KrStatus> = o
            .krs
            .iter()
            .filter(|k| k.last_note.is_some() || k.reflection.is_some())
            .collect();
        if !notes.is_empty() {
            md.push('\n');
            for k in notes {
                if let Some(n) = &k.last_note {
                    let _ = writeln!(
                        md,
                        "- {} last check-in ({}): {n}",
                        k.key,
                        k.last_checkin
                            .map(|t| t.date_naive().to_string())
                            .unwrap_or_default()
                    );
                }
                if let Some(r) = &k.reflection {
                    let _ = writeln!(md, "- {} reflection: {r}", k.key);
                }
            }
        }
    }
    let risky: Vec<&KrStatus> = st
        .objectives
        .iter()
        .flat_map(|o| o.krs.iter())
        .filter(|k| k.at_risk)
        .collect();
    if !risky.is_empty() {
        md.push_str("\n## At risk\n\n");
        for k in risky {
            let _ = writeln!(
                md,
                "- {} {}: score {:.2} against {:.2} expected by {}",
                k.key, k.title, k.score, k.expected, st.on
            );
        }
    }
    md.push_str(&calibration_markdown(&st.cycle.key, past));
    md
}

/// The calibration section: every team's closed cycles before `cycle`
/// (and `cycle` itself once closed), mean score and verdict.
fn calibration_markdown(cycle: &str, past: &[crate::calibration::TeamCycle]) -> String {
    let mut md = String::from("\n## Calibration against past cycles\n\n");
    if past.is_empty() {
        md.push_str("No closed cycle yet: the calibration starts after the first one closes.\n");
        return md;
    }
    md.push_str("| Cycle | Team | Key results | Mean score | Green / yellow / red | Verdict |\n|---|---|---|---|---|---|\n");
    for t in past {
        let _ = writeln!(
            md,
            "| {}{} | {} | {} | {:.2} | {} / {} / {} | {} |",
            t.cycle,
            if t.cycle == cycle { " (this one)" } else { "" },
            t.team,
            t.key_results,
            t.mean_score,
            t.green,
            t.yellow,
            t.red,
            t.verdict
        );
    }
    md
}

/// The report of a cycle's status on a day, in `format`.
pub async fn report(
    ws: &crate::workspace::Workspace,
    q: crate::okr_views::StatusQuery,
    today: NaiveDate,
    html: bool,
) -> Result<String, crate::AppError> {
    let st = crate::okr_views::status(ws, q, today).await?;
    let past = crate::calibration::past_cycles(ws).await?;
    let s = ws.read_session().await?;
    let workspace = s.workspace().clone();
    s.commit().await?;
    Ok(if html {
        crate::report_html::report(&workspace, &st, &past)
    } else {
        markdown(&workspace, &st, &past)
    })
}
