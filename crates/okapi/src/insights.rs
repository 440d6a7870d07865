//! `okapi insights`: the anomalies, dissonances and OKR risks found in the
//! stored KPI values and the current cycle.

use std::io::Write;
use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use okapi_app::Location;
use okapi_app::insights::Insights;

use crate::okr::args::Format;

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
        writeln!(out, "  {mark} {}", a.sentence)?;
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
        writeln!(out, "  ! {}", d.sentence)?;
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
        writeln!(out, "  ! {}{owner}", r.sentence)?;
    }
    Ok(())
}
