//! `okapi insights`: the anomalies, dissonances, OKR and customer risks
//! found in the stored KPI values, the stored views and the current cycle;
//! `okapi insights history` and `okapi insights ack` for the findings kept
//! across refreshes.

use std::io::Write;
use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use clap::Subcommand;
use okapi_app::Location;
use okapi_app::findings::FindingList;
use okapi_app::insights::{Insights, Seen};
use okapi_store::StoredFinding;

use crate::okr::args::Format;

#[derive(Debug, Subcommand)]
pub enum InsightsCmd {
    /// The findings recorded at refreshes, with when each was first and
    /// last found and who acknowledged it.
    History {
        /// Also the findings no longer found.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Acknowledge a finding (its id, from `history` or `--format json`).
    Ack {
        id: String,
        /// Who acknowledges it (default: the login name of this shell).
        #[arg(long)]
        by: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// Reads the insights on `at` (default: today) and prints them.
pub fn run(loc: &Location, at: Option<NaiveDate>, format: Format) -> anyhow::Result<ExitCode> {
    let rt = crate::okr::workspace::runtime()?;
    let today = at.unwrap_or_else(|| Utc::now().date_naive());
    let found = rt.block_on(async {
        let ws = okapi_app::workspace::Workspace::open(loc).await?;
        okapi_app::insights::insights(&ws, today).await
    })?;
    crate::render::emit(format, &found, print)
}

/// Runs `okapi insights history` or `okapi insights ack`.
pub fn run_cmd(loc: &Location, cmd: InsightsCmd) -> anyhow::Result<ExitCode> {
    let rt = crate::okr::workspace::runtime()?;
    match cmd {
        InsightsCmd::History { all, format } => {
            let list = rt.block_on(async {
                let ws = okapi_app::workspace::Workspace::open(loc).await?;
                okapi_app::findings::list(&ws, all).await
            })?;
            crate::render::emit(format, &list, print_history)
        }
        InsightsCmd::Ack {
            id,
            by,
            note,
            format,
        } => {
            let by = by
                .or_else(|| std::env::var("USER").ok())
                .filter(|b| !b.trim().is_empty())
                .unwrap_or_else(|| "cli".to_string());
            let f = rt.block_on(async {
                let ws = okapi_app::workspace::Workspace::open(loc).await?;
                okapi_app::findings::acknowledge(&ws, &id, &by, note, Utc::now()).await
            })?;
            crate::render::emit(format, &f, |out, f| {
                let by = f.acknowledged.as_ref().map(|a| a.by.as_str()).unwrap_or("");
                writeln!(out, "Acknowledged {} as {by}.", f.id)
            })
        }
    }
}

/// ` (new)`, ` (since DATE)` or ` (acknowledged by X: note)`.
fn seen(s: &Option<Seen>) -> String {
    match s {
        None => String::new(),
        Some(s) => match &s.acknowledged {
            Some(a) => format!(
                " [acknowledged by {}{}]",
                a.by,
                a.note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            ),
            None if s.first_seen == s.last_seen => " [new]".to_string(),
            None => format!(" [since {}]", s.first_seen.date_naive()),
        },
    }
}

fn print(out: &mut dyn Write, f: &Insights) -> std::io::Result<()> {
    let Some(through) = f.data_through else {
        writeln!(
            out,
            "No KPI values stored yet: run `okapi refresh`, then look again."
        )?;
        return Ok(());
    };
    writeln!(out, "Data through {through}.")?;
    writeln!(out)?;
    writeln!(out, "Anomalies ({}):", f.anomalies.len())?;
    if f.anomalies.is_empty() {
        writeln!(out, "  none in the real-time KPIs' last days and weeks")?;
    }
    for a in &f.anomalies {
        let mark = if a.good { "+" } else { "!" };
        writeln!(out, "  {mark} {}{}", a.sentence, seen(&a.seen))?;
    }
    writeln!(out)?;
    writeln!(out, "Dissonances ({}):", f.dissonances.len())?;
    if f.dissonances.is_empty() {
        writeln!(
            out,
            "  none between adjacent journey stages in the last months"
        )?;
    }
    for d in &f.dissonances {
        writeln!(out, "  ! {}{}", d.sentence, seen(&d.seen))?;
    }
    writeln!(out)?;
    match &f.cycle {
        Some(c) => writeln!(out, "OKR risks in {c} ({}):", f.okr_risks.len())?,
        None => writeln!(out, "OKR risks: no cycle yet")?,
    }
    for r in &f.okr_risks {
        let owner = r
            .owner
            .as_deref()
            .map(|o| format!(" [{o}]"))
            .unwrap_or_default();
        writeln!(out, "  ! {}{owner}{}", r.sentence, seen(&r.seen))?;
    }
    writeln!(out)?;
    writeln!(out, "Customers at risk ({}):", f.customer_risks.len())?;
    if let Some(p) = &f.slow_phase {
        writeln!(out, "  ~ {}{}", p.sentence, seen(&p.seen))?;
    }
    for c in &f.customer_risks {
        writeln!(out, "  ! {}{}", c.sentence, seen(&c.seen))?;
    }
    Ok(())
}

fn print_history(out: &mut dyn Write, l: &FindingList) -> std::io::Result<()> {
    let Some(ran) = l.ran_at else {
        writeln!(out, "No findings recorded yet: run `okapi refresh`.")?;
        return Ok(());
    };
    writeln!(
        out,
        "{} findings; last recorded {}.",
        l.findings.len(),
        ran.format("%Y-%m-%d %H:%M UTC")
    )?;
    for f in &l.findings {
        print_finding(out, f, ran)?;
    }
    Ok(())
}

fn print_finding(
    out: &mut dyn Write,
    f: &StoredFinding,
    ran: chrono::DateTime<Utc>,
) -> std::io::Result<()> {
    let state = if f.last_seen < ran {
        format!("gone since {}", f.last_seen.date_naive())
    } else if f.first_seen == ran {
        "new".to_string()
    } else {
        format!("since {}", f.first_seen.date_naive())
    };
    writeln!(out, "{}  ({state})", f.id)?;
    writeln!(out, "  {}", f.sentence)?;
    if let Some(a) = &f.acknowledged {
        writeln!(
            out,
            "  acknowledged by {} on {}{}",
            a.by,
            a.at.date_naive(),
            a.note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}
