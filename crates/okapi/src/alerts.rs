//! `okapi alerts log`: the alerts sent, or tried, to the webhooks.

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;
use okapi_app::Location;
use okapi_store::AlertDelivery;

use crate::okr::args::Format;

#[derive(Debug, Subcommand)]
pub enum AlertsCmd {
    /// The delivery log, the latest tried first: each alert, its webhook,
    /// whether it was delivered, after how many attempts, and why not.
    Log {
        /// How many deliveries to show.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

pub fn run(loc: &Location, cmd: AlertsCmd) -> anyhow::Result<ExitCode> {
    let AlertsCmd::Log { limit, format } = cmd;
    let rt = crate::okr::workspace::runtime()?;
    let log = rt.block_on(async {
        let ws = okapi_app::workspace::Workspace::open(loc).await?;
        okapi_app::alerts::log(&ws, limit).await
    })?;
    crate::render::emit(format, &log, print)
}

fn print(out: &mut dyn Write, log: &Vec<AlertDelivery>) -> std::io::Result<()> {
    if log.is_empty() {
        writeln!(
            out,
            "No alert sent yet: alerts go out after a refresh, when an [[alert]] rule of okapi.toml matches."
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<20} {:<12} {:<16} {:<9} {:>8}  ALERT",
        "TRIED (UTC)", "WEBHOOK", "RULE", "STATUS", "ATTEMPTS"
    )?;
    for d in log {
        writeln!(
            out,
            "{:<20} {:<12} {:<16} {:<9} {:>8}  {}",
            d.last_try_at.format("%Y-%m-%d %H:%M:%S"),
            d.webhook,
            d.rule,
            d.status,
            d.attempts,
            d.sentence
        )?;
        if let Some(e) = &d.error {
            writeln!(out, "{:>70}  why: {e}", "")?;
        }
    }
    Ok(())
}
