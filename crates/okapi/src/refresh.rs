//! `okapi refresh`: computes every KPI at every grain and stores the
//! values, so that pages read them without scanning the data.

use std::io::Write;
use std::process::ExitCode;

use okapi_app::Location;
use okapi_app::refresh::RefreshReport;

use crate::okr::args::Format;

/// Runs the refresh and prints what it computed, or that nothing changed.
pub fn run(
    loc: &Location,
    force: bool,
    format: Format,
    scanner: Option<std::sync::Arc<dyn okapi_engine::compute::EventsScanner>>,
) -> anyhow::Result<ExitCode> {
    let rt = crate::okr::workspace::runtime()?;
    let report = rt.block_on(okapi_app::refresh::refresh_with(loc, force, scanner))?;
    crate::render::emit(format, &report, print)
}

fn print(out: &mut dyn Write, r: &RefreshReport) -> std::io::Result<()> {
    let short = r.fingerprint.get(..12).unwrap_or(&r.fingerprint);
    if r.unchanged {
        writeln!(
            out,
            "Unchanged: neither the data files nor the definitions changed since the refresh of {}.",
            r.computed_at.format("%Y-%m-%d %H:%M:%S UTC")
        )?;
        writeln!(
            out,
            "{} values of {} KPIs kept (data {short}…); `okapi refresh --force` recomputes them.",
            r.values, r.kpis
        )?;
        return print_findings(out, r);
    }
    let computed: u64 = r.sets.iter().map(|s| s.computed).sum();
    let values = if computed == r.values {
        format!("{} values", r.values)
    } else {
        format!("{computed} values ({} held)", r.values)
    };
    writeln!(
        out,
        "Stored {values} of {} KPIs in {:.1} s at {} (data {short}…).",
        r.kpis,
        r.duration_ms as f64 / 1000.0,
        r.computed_at.format("%Y-%m-%d %H:%M:%S UTC")
    )?;
    if let Some(e) = &r.events {
        let what = match e.mode {
            okapi_engine::compute::EventsMode::Full => "every events file scanned",
            okapi_engine::compute::EventsMode::Appended => "only new events files scanned",
            okapi_engine::compute::EventsMode::Reused => "no events file scanned",
        };
        writeln!(
            out,
            "Events: {what} ({} of {} files, {} of {} rows): {}.",
            e.files_scanned, e.files, e.rows_scanned, e.rows, e.reason
        )?;
    }
    if let Some(p) = &r.periods {
        writeln!(out, "Periods computed: {p}.")?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<8} {:<24} {:>5} {:>8} {:>9}  PERIODS",
        "GRAIN", "SEGMENT", "KPIS", "VALUES", "COMPUTED"
    )?;
    for s in &r.sets {
        let segment = if s.segment.is_empty() {
            "all accounts"
        } else {
            s.segment.as_str()
        };
        let periods = match s.from {
            Some(from) => format!("periods from {from} (earlier ones kept)"),
            None => "every period".to_string(),
        };
        writeln!(
            out,
            "{:<8} {:<24} {:>5} {:>8} {:>9}  {periods}",
            s.grain.as_str(),
            segment,
            s.kpis,
            s.values,
            s.computed
        )?;
    }
    for s in &r.removed {
        let segment = if s.segment.is_empty() {
            "all accounts"
        } else {
            s.segment.as_str()
        };
        writeln!(
            out,
            "removed the values of {} at {}: no key result links them any more",
            segment, s.grain
        )?;
    }
    for s in &r.skipped {
        writeln!(out, "skipped {}: {}", s.key_result, s.reason)?;
    }
    print_findings(out, r)
}

/// The findings line, and the new ones (at most [`NEW_SHOWN`]).
fn print_findings(out: &mut dyn Write, r: &RefreshReport) -> std::io::Result<()> {
    const NEW_SHOWN: usize = 10;
    let f = &r.findings;
    writeln!(out)?;
    writeln!(
        out,
        "Insights: {} findings, {} new (`okapi insights` lists them).",
        f.current,
        f.new.len()
    )?;
    for n in f.new.iter().take(NEW_SHOWN) {
        writeln!(out, "  new: {}", n.sentence)?;
    }
    if f.new.len() > NEW_SHOWN {
        writeln!(out, "  … and {} more", f.new.len() - NEW_SHOWN)?;
    }
    let a = &r.alerts;
    if a.delivered + a.failed + a.deferred > 0 {
        writeln!(
            out,
            "Alerts: {} delivered, {} failed{} (`okapi alerts log` lists them).",
            a.delivered,
            a.failed,
            if a.deferred > 0 {
                format!(", {} left for the next refresh", a.deferred)
            } else {
                String::new()
            }
        )?;
    }
    Ok(())
}
