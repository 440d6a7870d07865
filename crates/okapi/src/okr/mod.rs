//! The OKR commands over `okapi-store`: a workspace directory holds
//! `okapi.toml` (with a `[workspace]` section) and, by default, the
//! embedded database `okapi.db`; `--database-url` points at PostgreSQL
//! instead. KPI-linked key results read the workspace's data directory
//! through the engine.

pub mod args;
pub mod commands;
pub mod views;
pub mod workspace;

pub use okapi_app::okr_file as file;
pub use okapi_app::status;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::Command;
use args::OkrCmd;
use workspace::Location;

/// Runs an OKR command; `None` when `cmd` is not one.
pub fn run(loc: &Location, cmd: Command) -> Result<std::result::Result<ExitCode, Command>> {
    use commands as c;
    if !is_okr(&cmd) {
        return Ok(Err(cmd));
    }
    // One runtime for the whole command, entered, so that sessions can
    // roll back when dropped on an error path.
    let rt = workspace::runtime()?;
    let _entered = rt.enter();
    Ok(Ok(match cmd {
        Command::Init(a) => c::init(loc, &a)?,
        Command::Migrate { format } => c::migrate(loc, format)?,
        Command::Vision { text, format } => c::vision(loc, text, format)?,
        Command::Team { cmd } => c::team(loc, cmd)?,
        Command::User { cmd } => c::user(loc, cmd)?,
        Command::Cycle { cmd } => c::cycle(loc, cmd)?,
        Command::Checkin(a) => c::checkin(loc, *a)?,
        Command::Review {
            cycle,
            file,
            format,
        } => views::review_cmd(loc, cycle, file.as_deref(), format)?,
        Command::Calibrate { percentile, format } => views::calibrate(loc, percentile, format)?,
        Command::Report {
            kind,
            cycle,
            at,
            format,
        } => match kind {
            None => views::report(loc, cycle, at, format)?,
            Some(crate::okr::args::ReportKind::Quarter { cycle, at, format }) => {
                views::report(loc, cycle, at, format)?
            }
            Some(crate::okr::args::ReportKind::Weekly { at, format }) => {
                views::weekly(loc, at, format)?
            }
        },
        Command::Export { out } => c::export(loc, out.as_deref())?,
        Command::Import { file, format } => c::import(loc, &file, format)?,
        Command::Okr { cmd } => match *cmd {
            OkrCmd::Add {
                cycle,
                key,
                fields,
                format,
            } => c::objective_add(loc, cycle, key, fields, format)?,
            OkrCmd::Set {
                key,
                fields,
                state,
                if_version,
                format,
            } => c::objective_set(loc, key, fields, state, if_version, format)?,
            OkrCmd::Kr {
                objective,
                key,
                fields,
                format,
            } => c::kr_add(loc, objective, key, fields, format)?,
            OkrCmd::KrSet {
                key,
                fields,
                reflection,
                if_version,
                format,
            } => c::kr_set(loc, key, fields, reflection, if_version, format)?,
            OkrCmd::List {
                cycle,
                at,
                live,
                team,
                owner,
                format,
            } => views::list(loc, cycle, at, live, views::Filter { team, owner }, format)?,
            OkrCmd::Tree { cycle, format } => views::tree(loc, cycle, format)?,
            OkrCmd::Stale {
                at,
                cadence,
                format,
            } => views::stale(loc, at, cadence, format)?,
            OkrCmd::Templates { format } => views::list_templates(format)?,
            OkrCmd::Delete { key, format } => c::delete(loc, &key, format)?,
            OkrCmd::History { kr, format } => views::history(loc, &kr, format)?,
            OkrCmd::Refresh { at, format } => c::refresh(loc, at, format)?,
            OkrCmd::New {
                template,
                cycle,
                parent,
                owner,
                team,
                format,
            } => c::okr_new(loc, &template, &cycle, parent, owner, team, format)?,
            OkrCmd::Apply {
                file,
                dry_run,
                format,
            } => c::apply(loc, &file, dry_run, format)?,
            OkrCmd::Export { cycle, sheet, out } => c::sheet_export(loc, &cycle, sheet, out)?,
            OkrCmd::Import {
                file,
                dry_run,
                format,
            } => c::sheet_import(loc, &file, dry_run, format)?,
        },
        other => return Ok(Err(other)),
    }))
}

fn is_okr(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::Init(_)
            | Command::Migrate { .. }
            | Command::Vision { .. }
            | Command::Team { .. }
            | Command::User { .. }
            | Command::Cycle { .. }
            | Command::Checkin(_)
            | Command::Review { .. }
            | Command::Calibrate { .. }
            | Command::Report { .. }
            | Command::Export { .. }
            | Command::Import { .. }
            | Command::Okr { .. }
    )
}
