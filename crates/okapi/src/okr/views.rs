//! The OKR commands that read: the list with scores, pace and forecast, the
//! alignment tree, stale KRs, templates, the coach's review, calibration
//! and the cycle report.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDate;
use okapi_core::okr::KrKind;
use okapi_core::templates;
use okapi_core::units::{self, cell};

use super::args::{Format, ReportFormat};
use super::commands::{print_json, today};
use super::status::{CycleStatus, KrStatus, level_text};
use super::workspace::{Location, Workspace};
use okapi_app::report_markdown::score_text;
use okapi_app::{calibration, coach, okr_views};

/// A cycle's status through the application layer.
fn load_status(ws: &Workspace, q: okr_views::StatusQuery) -> Result<CycleStatus> {
    Ok(ws.block_on(okr_views::status(ws, q, today()))?)
}

/// `s` cut to `n` characters, with an ellipsis when cut (tables only; JSON
/// keeps every title whole).
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn kr_line(k: &KrStatus) -> String {
    let u = k.unit.as_deref();
    let measure = match k.kind {
        KrKind::Milestone => (if k.score >= 1.0 { "done" } else { "not done" }).to_string(),
        KrKind::Threshold => format!("{} (line {})", cell(k.current, u), cell(k.target, u)),
        _ => format!(
            "{} → {} of {}",
            cell(k.baseline, u),
            cell(k.current, u),
            cell(k.target, u)
        ),
    };
    let mut line = format!(
        "  {:<8} {:.2} {:<6} {:<44} {}",
        k.key,
        k.score,
        k.grade.as_str(),
        clip(&k.title, 44),
        measure
    );
    if let Some(u) = units::suffix(u) {
        let _ = write!(line, " {u}");
    }
    if k.at_risk {
        line.push_str("  ⚠ at risk");
    }
    if let Some(f) = k.forecast {
        let _ = write!(line, "  forecast {f:.2}");
        if let Some(d) = k.reaches_target_on {
            let _ = write!(line, " (target on {d})");
        }
    }
    line
}

pub use okapi_app::okr_views::Filter;

pub fn list(
    loc: &Location,
    cycle: Option<String>,
    at: Option<NaiveDate>,
    live: bool,
    filter: Filter,
    format: Format,
) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let st = load_status(
        &ws,
        okr_views::StatusQuery {
            cycle,
            at,
            live,
            filter,
        },
    )?;
    if format == Format::Json {
        print_json(&st)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "{} · {} · {} … {} · {} · {:.0}% of the cycle elapsed on {}\n",
        st.cycle.key,
        st.cycle.name,
        st.cycle.start,
        st.cycle.end,
        st.cycle.state,
        st.expected * 100.0,
        st.on
    );
    if st.objectives.is_empty() {
        out.push_str("No objectives yet: okapi okr add --cycle … --title …\n");
    }
    for o in &st.objectives {
        let _ = writeln!(
            out,
            "\n{} [{}] {}  {} {}{}{}",
            o.key,
            level_text(o),
            o.title,
            score_text(o.score),
            o.grade.map_or("", |g| g.as_str()),
            if o.at_risk { "  ⚠ at risk" } else { "" },
            if o.flagged {
                "  ⚑ committed, below 1.0"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "  {}, {}",
            if o.committed {
                "committed"
            } else {
                "aspirational"
            },
            o.state
        );
        for k in &o.krs {
            let _ = writeln!(out, "{}", kr_line(k));
        }
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn draw(nodes: &[okr_views::TreeNode], prefix: &str, out: &mut String) {
    for (i, n) in nodes.iter().enumerate() {
        let last = i + 1 == nodes.len();
        let _ = writeln!(
            out,
            "{prefix}{}{} [{}] {}  {} {}{}",
            if last { "└── " } else { "├── " },
            n.key,
            n.level,
            n.title,
            score_text(n.score),
            n.grade.unwrap_or(""),
            if n.at_risk { "  ⚠" } else { "" }
        );
        let next = format!("{prefix}{}", if last { "    " } else { "│   " });
        draw(&n.children, &next, out);
    }
}

pub fn tree(loc: &Location, cycle: Option<String>, format: Format) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let st = load_status(
        &ws,
        okr_views::StatusQuery {
            cycle,
            ..Default::default()
        },
    )?;
    let roots = okr_views::tree(&st);
    if format == Format::Json {
        print_json(&roots)?;
        return Ok(ExitCode::SUCCESS);
    }
    let s = ws.read_session()?;
    let vision = s.workspace().vision.clone();
    ws.block_on(s.commit())?;
    let mut out = String::new();
    if let Some(v) = vision {
        let _ = writeln!(out, "Vision: {v}");
    }
    let _ = writeln!(
        out,
        "{} · {} · {} … {} · {}",
        st.cycle.key, st.cycle.name, st.cycle.start, st.cycle.end, st.cycle.state
    );
    draw(&roots, "", &mut out);
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

pub fn stale(
    loc: &Location,
    at: Option<NaiveDate>,
    cadence: Option<u32>,
    format: Format,
) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let st = ws.block_on(okr_views::stale(&ws, at.unwrap_or_else(today), cadence))?;
    let (on, cadence, by_owner) = (st.on, st.cadence_days, &st.owners);
    if format == Format::Json {
        print_json(&st)?;
        return Ok(ExitCode::SUCCESS);
    }
    if by_owner.is_empty() {
        println!("Every key result has a check-in within the last {cadence} days.");
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!("Key results with no check-in for more than {cadence} days, on {on}:\n");
    for (owner, krs) in by_owner {
        let _ = writeln!(out, "\n{owner}");
        for k in krs {
            let _ = writeln!(
                out,
                "  {:<8} {:<44} {}",
                k.key,
                k.title,
                match k.last_checkin {
                    Some(d) => format!("last check-in {d} ({} days ago)", k.days_since),
                    None => format!("never checked in ({} days into the cycle)", k.days_since),
                }
            );
        }
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

pub fn history(loc: &Location, kr: &str, format: Format) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let h = ws.block_on(okr_views::history(&ws, kr))?;
    let (k, rows) = (&h.key_result, &h.checkins);
    if format == Format::Json {
        print_json(rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!("{} {}\n", k.key, k.title);
    if rows.is_empty() {
        out.push_str("  no check-in yet\n");
    }
    for r in rows {
        let c = &r.checkin;
        let _ = writeln!(
            out,
            "  {}  {:>10}  {}  {:<9} {:<6} {}{}",
            c.at.format("%Y-%m-%d %H:%M"),
            cell(c.value, k.unit.as_deref()),
            r.score.map_or("—".into(), |s| format!("{s:.2}")),
            c.confidence.as_str(),
            c.source.as_str(),
            c.author
                .as_deref()
                .map(|a| format!("{a}: "))
                .unwrap_or_default(),
            c.note.as_deref().unwrap_or("")
        );
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

pub fn list_templates(format: Format) -> Result<ExitCode> {
    let lib = templates::library();
    if format == Format::Json {
        print_json(&lib)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    for t in &lib {
        let _ = writeln!(
            out,
            "{:<28} {:<18} {:<5} {:<11} {}",
            t.id,
            t.team,
            t.audience,
            t.maturity.map_or("", |m| m.as_str()),
            t.objective
        );
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

// ---- review ---------------------------------------------------------------

pub fn review_cmd(
    loc: &Location,
    cycle: Option<String>,
    draft: Option<&Path>,
    format: Format,
) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let out = ws.block_on(coach::review(&ws, cycle, draft))?;
    if format == Format::Json {
        print_json(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!(
        "Review of {}: {} objective(s), {} finding(s).\n",
        out.scope,
        out.objectives,
        out.findings.len()
    );
    match (out.sales_cycle_days, &out.sales_cycle_measured_on) {
        (Some(d), Some(on)) => {
            let _ = writeln!(text, "Measured sales cycle: {d:.1} days ({on}).");
        }
        _ => text.push_str("Sales cycle not measured (no new-business deals won in the data).\n"),
    }
    for f in &out.findings {
        let _ = writeln!(
            text,
            "\n[{:?}] {} — {}{}\n  why: {}\n  try: {}",
            f.severity,
            f.rule,
            f.objective,
            f.kr.as_deref()
                .map(|k| format!(" / {k}"))
                .unwrap_or_default(),
            f.reason,
            f.suggestion
        );
    }
    if out.findings.is_empty() {
        text.push_str("\nNo findings: these OKRs pass every rule.\n");
    }
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

// ---- calibration ----------------------------------------------------------

pub fn calibrate(loc: &Location, percentile: Option<f64>, format: Format) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let cal = ws.block_on(calibration::calibrate(&ws, percentile))?;
    let (pct, rows, proposals) = (cal.percentile, &cal.teams, &cal.proposals);
    if format == Format::Json {
        print_json(&cal)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    out.push_str("Targets against results, per team and closed cycle:\n");
    if rows.is_empty() {
        out.push_str("  no closed cycle yet: calibration starts after the first close\n");
    }
    for r in rows {
        let _ = writeln!(
            out,
            "\n  {:<18} {:<10} {} KRs, mean {:.2} ({} green, {} yellow, {} red): {}",
            r.team, r.cycle, r.key_results, r.mean_score, r.green, r.yellow, r.red, r.verdict
        );
        for k in &r.results {
            let _ = writeln!(
                out,
                "    {:<8} {:<40} target {} from {}, achieved {}{} → {:.2}",
                k.key,
                k.title,
                cell(k.target, k.unit.as_deref()),
                cell(k.baseline, k.unit.as_deref()),
                cell(k.achieved, k.unit.as_deref()),
                units::suffix(k.unit.as_deref())
                    .map(|u| format!(" {u}"))
                    .unwrap_or_default(),
                k.score
            );
        }
    }
    let _ = writeln!(
        out,
        "\nRealistic targets for KPI-linked KRs (the change achieved at the {pct:.0}th percentile of comparable past windows):"
    );
    if proposals.is_empty() {
        out.push_str("  no KPI-linked KR in an open cycle\n");
    }
    for p in proposals {
        match p.proposed_target {
            Some(t) => {
                let _ = writeln!(
                    out,
                    "  {:<8} {:<28} baseline {}, target {} → proposed {} (change {}{}, from {} windows)",
                    p.key,
                    p.kpi,
                    cell(Some(p.baseline), p.unit.as_deref()),
                    cell(p.current_target, p.unit.as_deref()),
                    cell(Some(t), p.unit.as_deref()),
                    if p.change.is_some_and(|c| c >= 0.0) {
                        "+"
                    } else {
                        ""
                    },
                    cell(p.change, p.unit.as_deref()),
                    p.windows
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "  {:<8} {:<28} {}",
                    p.key,
                    p.kpi,
                    p.note.as_deref().unwrap_or("")
                );
            }
        }
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

// ---- report ---------------------------------------------------------------

/// `okapi report weekly`.
pub fn weekly(loc: &Location, at: Option<NaiveDate>, format: ReportFormat) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let r = ws.block_on(okapi_app::weekly::report(&ws, at, today()))?;
    let text = match format {
        ReportFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
        ReportFormat::Html => okapi_app::weekly::html(&r),
        ReportFormat::Markdown => okapi_app::weekly::markdown(&r),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

pub fn report(
    loc: &Location,
    cycle: Option<String>,
    at: Option<NaiveDate>,
    format: ReportFormat,
) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let query = okr_views::StatusQuery {
        cycle,
        at,
        ..Default::default()
    };
    if format == ReportFormat::Json {
        print_json(&load_status(&ws, query)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let html = format == ReportFormat::Html;
    let text = ws.block_on(okapi_app::report_markdown::report(
        &ws,
        query,
        today(),
        html,
    ))?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
