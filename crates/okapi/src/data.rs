//! `okapi data …`: bringing data from other tools into the data directory.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use okapi_app::Location;
use okapi_app::data::DataSource;
use okapi_app::visits::{ImportVisits, Tool, VisitsImported};

use crate::okr::args::Format;

#[derive(Debug, Subcommand)]
pub enum DataCmd {
    /// Turn a web-analytics export (visitors per day, per source or channel
    /// group) into rows of the `visits` table, replacing the days it covers.
    ImportVisits {
        /// The tool the CSV export comes from.
        #[arg(long = "from", value_enum)]
        tool: ToolArg,
        /// The export's CSV file.
        file: PathBuf,
        /// Data directory (default: the workspace's, inside a workspace).
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ToolArg {
    Plausible,
    Ga4,
}

pub fn run(loc: &Location, cmd: DataCmd) -> anyhow::Result<ExitCode> {
    let DataCmd::ImportVisits {
        tool,
        file,
        data,
        format,
    } = cmd;
    let tool = match tool {
        ToolArg::Plausible => Tool::Plausible,
        ToolArg::Ga4 => Tool::Ga4,
    };
    let rt = crate::okr::workspace::runtime()?;
    let done = rt.block_on(async {
        let src = DataSource::at(loc, data).await?;
        okapi_app::visits::import_visits(&src, ImportVisits { tool, file }).await
    });
    match done {
        Ok(done) => crate::render::emit(format, &done, print),
        Err(e) => match e.invalid_rows() {
            Some(issues) => {
                let mut err = std::io::stderr().lock();
                for i in issues.kept() {
                    writeln!(err, "{i}")?;
                }
                if issues.truncated() {
                    writeln!(
                        err,
                        "… and {} more issue(s) not shown",
                        issues.total() - issues.kept().len() as u64
                    )?;
                }
                writeln!(
                    err,
                    "error: {} invalid row(s); nothing was written",
                    issues.rows()
                )?;
                Ok(ExitCode::from(e.code().exit_status()))
            }
            None => Ok(crate::commands::fail(&e)),
        },
    }
}

fn print(out: &mut dyn Write, v: &VisitsImported) -> std::io::Result<()> {
    let w = &v.written;
    match (w.first_day, w.last_day) {
        (Some(first), Some(last)) => writeln!(
            out,
            "{} visit(s) from {} ({} day(s), {first} … {last}) written to {}/{}.",
            w.imported, v.export, w.days, v.data, w.file
        )?,
        _ => writeln!(out, "{} holds no day: nothing imported.", v.export)?,
    }
    writeln!(
        out,
        "Rows of those days replaced: {}; rows of other days kept: {}.",
        w.replaced, w.kept
    )?;
    if w.totals_skipped > 0 {
        writeln!(out, "Totals rows skipped: {}.", w.totals_skipped)?;
    }
    for f in &w.replaced_files {
        writeln!(out, "{f} removed: the table is now {}.", w.file)?;
    }
    if !w.channels.is_empty() {
        writeln!(out, "By channel:")?;
        for (channel, n) in &w.channels {
            writeln!(out, "  {channel:<10} {n:>8}")?;
        }
    }
    Ok(())
}
