//! One function per command.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use chrono::{Datelike, NaiveDate};
use okapi_core::formulas::Value;
use okapi_core::period::{Grain, Period};
use okapi_core::settings::{Profile, Settings};
use okapi_engine::compute::KpiReport;
use okapi_engine::load::Issues;

use okapi_app::data::{self as app, DataSource, KpiQuery};
use okapi_app::inputs::{self, DateRange, InactivityWindow, KpiSelection};
use okapi_app::{AppError, Location};

use crate::cli::{Cli, Command, OutputFormat, ProfileArg};

/// The value of a use case's result, or, on its error, a return from the
/// command with the error printed and its exit status.
macro_rules! app {
    ($result:expr) => {
        match $result {
            Ok(v) => v,
            Err(e) => return Ok(fail(&e)),
        }
    };
}
use crate::render::{self, change, display, json_str, money};

pub fn run(cli: Cli) -> Result<ExitCode> {
    let loc = Location {
        dir: cli.workspace.clone(),
        config: cli.config.clone(),
        database_url: cli.database_url.clone(),
    };
    let command = match cli.command {
        Command::Refresh {
            force,
            format,
            cluster,
        } => return crate::refresh::run(&loc, force, format, crate::cluster::scanner(&cluster)?),
        Command::Cluster { cmd } => return crate::cluster::run(cmd),
        Command::Insights { cmd, at, format } => {
            return match cmd {
                None => crate::insights::run(&loc, at, format),
                Some(cmd) => crate::insights::run_cmd(&loc, cmd),
            };
        }
        Command::Serve {
            listen,
            refresh_every,
            behind_tls,
            cluster,
        } => {
            return crate::serve::serve(
                &loc,
                &listen,
                refresh_every,
                behind_tls,
                crate::cluster::scanner(&cluster)?,
            );
        }
        Command::Token { cmd } => return crate::serve::token(&loc, cmd),
        Command::Data { cmd } => return crate::data::run(&loc, cmd),
        Command::Alerts { cmd } => return crate::alerts::run(&loc, cmd),
        other => other,
    };
    let command = match crate::okr::run(&loc, command)? {
        Ok(code) => return Ok(code),
        Err(other) => other,
    };
    // The data commands run the application's use cases on this runtime;
    // the heavy work goes to its blocking pool.
    let rt = crate::okr::workspace::runtime()?;
    let _entered = rt.enter();
    let settings = app!(block_on(loc.settings()));
    let data_of = |d: Option<PathBuf>| -> std::result::Result<DataSource, AppError> {
        let dir = loc.data(&settings, d)?;
        Ok(DataSource::new(settings.clone(), dir))
    };
    match command {
        Command::Check {
            data,
            quarantine,
            format,
        } => check(&app!(data_of(data)), quarantine, format),
        Command::Kpi {
            data,
            grain,
            from,
            to,
            kpi,
            segment,
            format,
            list,
            cluster,
        } => {
            if list {
                return list_catalog(&settings, format);
            }
            let mut src = app!(data_of(data));
            if let Some(scanner) = crate::cluster::scanner(&cluster)? {
                src = src.with_events_scanner(scanner);
            }
            let query = KpiQuery {
                kpis: app!(KpiSelection::new(&settings, kpi)),
                grain: grain.into(),
                range: app!(DateRange::new(from, to)),
                segment: app!(segment.as_deref().map(inputs::segment).transpose()),
            };
            kpi_cmd(&src, query, format)
        }
        Command::Mrr {
            data,
            grain,
            from,
            to,
            accounts,
            format,
        } => mrr(
            &app!(data_of(data)),
            grain.into(),
            app!(DateRange::new(from, to)),
            accounts,
            format,
        ),
        Command::Inactive {
            data,
            window,
            at,
            format,
        } => inactive(
            &app!(data_of(data)),
            app!(window.map(InactivityWindow::new).transpose()),
            at,
            format,
        ),
        Command::Ttv { data, format } => ttv(&app!(data_of(data)), format),
        Command::Health { data, at, format } => health(&app!(data_of(data)), at, format),
        Command::Retention {
            data,
            grain,
            format,
        } => retention(&app!(data_of(data)), grain.into(), format),
        Command::Demo {
            profile,
            out,
            accounts,
            events,
            months,
            seed,
            end,
            quiet,
            serve,
            listen,
        } => {
            let code = demo(
                &settings,
                profile,
                &out,
                accounts,
                events,
                months,
                seed,
                end,
                quiet || serve,
            )?;
            if !serve || code != ExitCode::SUCCESS {
                return Ok(code);
            }
            let demo_loc = Location {
                dir: out,
                config: None,
                database_url: None,
            };
            crate::serve::serve_demo(&demo_loc, &listen)
        }
        other => bail!("command not handled: {other:?}"),
    }
}

/// Runs a use case's future to its end on the entered runtime.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Handle::current().block_on(f)
}

/// An application error's message as the command line shows it: an input
/// by its flag (`--window must be …`).
pub fn describe(e: &AppError) -> String {
    match e {
        AppError::Input {
            field: "kpi",
            reason,
        } => format!("--kpi {reason} (see `okapi kpi --list`)"),
        AppError::Input { field, reason } => format!("--{field} {reason}"),
        other => other.to_string(),
    }
}

/// Prints an application error as the command line shows it (invalid rows
/// one by one) and returns its exit status.
pub fn fail(e: &AppError) -> ExitCode {
    let mut err = std::io::stderr().lock();
    match e.invalid_rows() {
        Some(issues) => {
            let _ = print_issues(&mut err, issues);
            let _ = writeln!(
                err,
                "error: {} invalid row(s); nothing was computed",
                issues.rows()
            );
        }
        None => {
            let _ = writeln!(err, "error: {}", describe(e));
        }
    }
    ExitCode::from(e.code().exit_status())
}

fn format_or_default(f: Option<OutputFormat>) -> OutputFormat {
    f.unwrap_or(if std::io::stdout().is_terminal() {
        OutputFormat::Table
    } else {
        OutputFormat::Csv
    })
}

/// Prints the issues kept, says how many more there were.
fn print_issues(err: &mut dyn Write, issues: &Issues) -> std::io::Result<()> {
    for i in issues.kept() {
        writeln!(err, "{i}")?;
    }
    if issues.truncated() {
        writeln!(
            err,
            "… and {} more issue(s) not shown ({} in all; the first {} are listed)",
            issues.total() - issues.kept().len() as u64,
            issues.total(),
            issues.kept().len()
        )?;
    }
    Ok(())
}

fn check(
    src: &DataSource,
    quarantine_path: Option<PathBuf>,
    format: Option<OutputFormat>,
) -> Result<ExitCode> {
    let outcome = app!(block_on(app::check(src, quarantine_path.clone())));
    let mut out = std::io::stdout().lock();
    match format_or_default(format) {
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "tables": outcome.tables,
                "issues": outcome.issues,
                "issue_count": outcome.issues.total(),
                "invalid_rows": outcome.issues.rows(),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        _ => {
            for q in &outcome.tables {
                writeln!(out, "{} ({})", q.table, q.file)?;
                writeln!(out, "  rows: {} valid, {} invalid", q.rows, q.invalid_rows)?;
                if let (Some(f), Some(l)) = (&q.first_day, &q.last_day) {
                    writeln!(out, "  date range: {f} … {l}")?;
                }
                writeln!(out, "  duplicate ids: {}", q.duplicate_ids)?;
                writeln!(out, "  rows out of order: {}", q.rows_out_of_order)?;
                if let Some(d) = q.days_without_rows {
                    let gaps: Vec<String> = q
                        .gaps
                        .iter()
                        .map(|(a, b)| {
                            if a == b {
                                a.clone()
                            } else {
                                format!("{a}…{b}")
                            }
                        })
                        .collect();
                    writeln!(
                        out,
                        "  days with no rows: {d}{}",
                        if gaps.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", gaps.join(", "))
                        }
                    )?;
                }
                let nulls: Vec<String> = q
                    .null_rates
                    .iter()
                    .filter(|(_, r)| *r > 0.0)
                    .map(|(c, r)| format!("{c} {:.1}%", r * 100.0))
                    .collect();
                writeln!(
                    out,
                    "  NULL rates: {}",
                    if nulls.is_empty() {
                        "none".into()
                    } else {
                        nulls.join(", ")
                    }
                )?;
            }
        }
    }
    drop(out);
    if outcome.issues.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let mut err = std::io::stderr().lock();
    print_issues(&mut err, &outcome.issues)?;
    match (outcome.quarantined, &quarantine_path) {
        (Some(rows), Some(path)) => {
            writeln!(
                err,
                "{rows} invalid row(s) written with their reasons to {}; the valid rows loaded",
                path.display()
            )?;
        }
        _ => writeln!(
            err,
            "error: {} invalid row(s); fix them or load the valid rows with --quarantine FILE",
            outcome.issues.rows()
        )?,
    }
    Ok(ExitCode::from(1))
}

fn list_catalog(settings: &Settings, format: Option<OutputFormat>) -> Result<ExitCode> {
    let rows: Vec<Vec<String>> = app::catalog(settings)
        .into_iter()
        .map(|k| {
            vec![
                k.id,
                k.name,
                k.stage,
                k.unit,
                format!("{} {}", k.direction.arrow(), k.direction.as_str()),
                k.audience,
                k.timing,
                k.formula,
            ]
        })
        .collect();
    let header = [
        "id",
        "name",
        "stage",
        "unit",
        "direction",
        "b2b/b2c",
        "timing",
        "formula",
    ];
    let mut out = std::io::stdout().lock();
    match format_or_default(format) {
        OutputFormat::Table => render::table(&mut out, &header, &rows, &[false; 8])?,
        OutputFormat::Csv => {
            render::csv(out, &header, &rows)?;
        }
        OutputFormat::Json => {
            let v: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::Value::Object(
                        header
                            .iter()
                            .zip(r)
                            .map(|(h, c)| (h.to_string(), serde_json::Value::String(c.clone())))
                            .collect(),
                    )
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn kpi_cmd(src: &DataSource, query: KpiQuery, format: Option<OutputFormat>) -> Result<ExitCode> {
    let report = app!(block_on(app::kpis(src, query)));
    print_kpis(&report, format_or_default(format))?;
    Ok(ExitCode::SUCCESS)
}

fn print_kpis(report: &KpiReport, format: OutputFormat) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(["kpi", "period_start", "value", "unit", "note"])?;
            for r in &report.rows {
                w.write_record([
                    r.kpi.id.as_str(),
                    &r.period.to_string(),
                    &r.value.value.map(|v| v.to_string()).unwrap_or_default(),
                    r.kpi.unit.as_str(),
                    r.value.note.as_deref().unwrap_or(""),
                ])?;
            }
            w.flush()?;
        }
        OutputFormat::Json => {
            writeln!(out, "[")?;
            for (i, r) in report.rows.iter().enumerate() {
                let value = r
                    .value
                    .value
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "null".into());
                let note = r
                    .value
                    .note
                    .as_deref()
                    .map(json_str)
                    .unwrap_or_else(|| "null".into());
                writeln!(
                    out,
                    "  {{\"kpi\": {}, \"period_start\": \"{}\", \"value\": {}, \"unit\": \"{}\", \"note\": {}}}{}",
                    json_str(&r.kpi.id),
                    r.period,
                    value,
                    r.kpi.unit.as_str(),
                    note,
                    if i + 1 < report.rows.len() { "," } else { "" }
                )?;
            }
            writeln!(out, "]")?;
        }
        OutputFormat::Table => {
            let mut rows = Vec::new();
            let mut prev: Option<(&str, Option<Value>)> = None;
            for r in &report.rows {
                let same = prev.as_ref().is_some_and(|(id, _)| *id == r.kpi.id);
                let before = if same {
                    prev.as_ref().and_then(|(_, v)| *v)
                } else {
                    None
                };
                rows.push(vec![
                    if same {
                        String::new()
                    } else {
                        format!("{} {}", r.kpi.name, r.kpi.direction.arrow())
                    },
                    if same {
                        String::new()
                    } else {
                        r.kpi.unit.as_str().to_string()
                    },
                    r.period.to_string(),
                    match &r.value.value {
                        Some(v) => display(v, r.kpi.unit),
                        None => "—".into(),
                    },
                    change(before.as_ref(), r.value.value.as_ref(), r.kpi.unit),
                    if r.value.value.is_none() {
                        r.value.note.clone().unwrap_or_default()
                    } else {
                        String::new()
                    },
                ]);
                prev = Some((r.kpi.id.as_str(), r.value.value));
            }
            render::table(
                &mut out,
                &["KPI", "unit", "period", "value", "change", "note"],
                &rows,
                &[false, false, false, true, true, false],
            )?;
        }
    }
    Ok(())
}

fn mrr(
    src: &DataSource,
    grain: Grain,
    range: DateRange,
    accounts: bool,
    format: Option<OutputFormat>,
) -> Result<ExitCode> {
    let bridge = app!(block_on(app::mrr(src, grain, range, accounts)));
    let format = format_or_default(format);
    let mut out = std::io::stdout().lock();
    let header = [
        "period_start",
        "start",
        "new",
        "reactivation",
        "expansion",
        "contraction",
        "churn",
        "end",
    ];
    let rows: Vec<Vec<String>> = bridge
        .iter()
        .map(|m| (&m.period, &m.bridge))
        .map(|(p, b)| {
            let f = |d: &rust_decimal::Decimal| {
                if format == OutputFormat::Table {
                    money(d)
                } else {
                    d.normalize().to_string()
                }
            };
            vec![
                p.to_string(),
                f(&b.start_mrr),
                f(&b.new),
                f(&b.reactivation),
                f(&b.expansion),
                f(&b.contraction),
                f(&b.churn),
                f(&b.end_mrr),
            ]
        })
        .collect();
    let acc_header = [
        "period_start",
        "account_id",
        "movement",
        "start_mrr",
        "end_mrr",
        "amount",
    ];
    let acc_rows: Vec<Vec<String>> = bridge
        .iter()
        .flat_map(|mp| {
            mp.accounts.iter().map(|m| {
                vec![
                    mp.period.to_string(),
                    m.account_id.clone(),
                    m.movement.as_str().to_string(),
                    m.start_mrr.normalize().to_string(),
                    m.end_mrr.normalize().to_string(),
                    m.amount.normalize().to_string(),
                ]
            })
        })
        .collect();
    match format {
        OutputFormat::Table => {
            render::table(
                &mut out,
                &header,
                &rows,
                &[false, true, true, true, true, true, true, true],
            )?;
            if accounts {
                writeln!(out)?;
                render::table(
                    &mut out,
                    &acc_header,
                    &acc_rows,
                    &[false, false, false, true, true, true],
                )?;
            }
        }
        OutputFormat::Csv => {
            if accounts {
                render::csv(out, &acc_header, &acc_rows)?;
            } else {
                render::csv(out, &header, &rows)?;
            }
        }
        OutputFormat::Json => {
            let to_json = |h: &[&str], rows: &[Vec<String>]| -> serde_json::Value {
                rows.iter()
                    .map(|r| {
                        serde_json::Value::Object(
                            h.iter()
                                .zip(r)
                                .map(|(k, v)| {
                                    let val = if *k == "period_start"
                                        || *k == "account_id"
                                        || *k == "movement"
                                    {
                                        serde_json::Value::String(v.clone())
                                    } else {
                                        serde_json::from_str(v)
                                            .unwrap_or(serde_json::Value::String(v.clone()))
                                    };
                                    (k.to_string(), val)
                                })
                                .collect(),
                        )
                    })
                    .collect()
            };
            let doc = serde_json::json!({
                "periods": to_json(&header, &rows),
                "accounts": if accounts { to_json(&acc_header, &acc_rows) } else { serde_json::Value::Null },
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn inactive(
    src: &DataSource,
    window: Option<InactivityWindow>,
    at: Option<NaiveDate>,
    format: Option<OutputFormat>,
) -> Result<ExitCode> {
    let report = app!(block_on(app::inactive(src, window, at)));
    let (at, window, list) = (report.at, report.window_days, report.accounts);
    let mut out = std::io::stdout().lock();
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            vec![
                a.account_id.clone(),
                a.mrr.normalize().to_string(),
                a.last_active.clone().unwrap_or_default(),
                a.days_since_last_activity
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let header = [
        "account_id",
        "mrr",
        "last_active",
        "days_since_last_activity",
    ];
    match format_or_default(format) {
        OutputFormat::Table => {
            writeln!(
                out,
                "Paying accounts with no activity in the {window} days ending {at}: {}",
                list.len()
            )?;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|a| {
                    vec![
                        a.account_id.clone(),
                        money(&a.mrr),
                        a.last_active.clone().unwrap_or_else(|| "never".into()),
                        a.days_since_last_activity
                            .map(|d| d.to_string())
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            render::table(&mut out, &header, &rows, &[false, true, false, true])?;
        }
        OutputFormat::Csv => {
            render::csv(out, &header, &rows)?;
        }
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn health(
    src: &DataSource,
    at: Option<NaiveDate>,
    format: Option<OutputFormat>,
) -> Result<ExitCode> {
    let report = app!(block_on(app::health(src, at)));
    let (at, list) = (report.at, report.accounts);
    let header = [
        "account_id",
        "mrr",
        "score",
        "usage_trend",
        "active_users",
        "recency",
        "nps",
        "support",
    ];
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            let s = &a.signals;
            vec![
                a.account_id.clone(),
                a.mrr.normalize().to_string(),
                a.score.to_string(),
                s.usage_trend.to_string(),
                s.active_users.to_string(),
                s.recency.to_string(),
                s.nps.to_string(),
                s.support.to_string(),
            ]
        })
        .collect();
    let mut out = std::io::stdout().lock();
    match format_or_default(format) {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?,
        OutputFormat::Csv => {
            render::csv(out, &header, &rows)?;
        }
        OutputFormat::Table => {
            writeln!(out, "Customer health on {at}, lowest first (0–100):")?;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|a| {
                    let s = &a.signals;
                    vec![
                        a.account_id.clone(),
                        money(&a.mrr),
                        format!("{:.0}", a.score),
                        format!("{:.2}", s.usage_trend),
                        format!("{:.2}", s.active_users),
                        format!("{:.2}", s.recency),
                        format!("{:.2}", s.nps),
                        format!("{:.2}", s.support),
                    ]
                })
                .collect();
            render::table(
                &mut out,
                &header,
                &rows,
                &[false, true, true, true, true, true, true, true],
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn ttv(src: &DataSource, format: Option<OutputFormat>) -> Result<ExitCode> {
    let report = app!(block_on(app::ttv(src)));
    let (accounts, phases) = (report.accounts, report.phases);
    let mut out = std::io::stdout().lock();
    match format_or_default(format) {
        OutputFormat::Json => {
            let doc = serde_json::json!({ "phases": phases, "accounts": accounts });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(["account_id", "start_milestone", "days_to_value"])?;
            for a in &accounts {
                w.write_record([
                    a.account.as_str(),
                    &a.start_milestone,
                    &a.days.map(|d| d.to_string()).unwrap_or_default(),
                ])?;
            }
            w.flush()?;
        }
        OutputFormat::Table => {
            let reached: Vec<f64> = accounts.iter().filter_map(|a| a.days).collect();
            if !reached.is_empty() {
                writeln!(
                    out,
                    "Time to value: {:.1} days on average over {} accounts ({} not there yet)\n",
                    reached.iter().sum::<f64>() / reached.len() as f64,
                    reached.len(),
                    accounts.len() - reached.len()
                )?;
            }
            writeln!(out, "Phases, slowest first:")?;
            let rows: Vec<Vec<String>> = phases
                .iter()
                .map(|p| {
                    vec![
                        format!("{} → {}", p.from, p.to),
                        format!("{:.1}", p.mean_days),
                        p.accounts.to_string(),
                    ]
                })
                .collect();
            render::table(
                &mut out,
                &["phase", "mean days", "accounts"],
                &rows,
                &[false, true, true],
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn retention(src: &DataSource, grain: Grain, format: Option<OutputFormat>) -> Result<ExitCode> {
    let report = app!(block_on(app::retention(src, grain)));
    let (periods, table) = (report.periods, report.cohorts);
    let cohort_name = |i: usize| periods.get(i).map(ToString::to_string).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    match format_or_default(format) {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&table)?)?,
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(["cohort", "users", "k", "retained_percent"])?;
            for row in &table {
                for (k, r) in row.retained.iter().enumerate() {
                    w.write_record([
                        cohort_name(row.period),
                        row.users.to_string(),
                        k.to_string(),
                        r.to_string(),
                    ])?;
                }
            }
            w.flush()?;
        }
        OutputFormat::Table => {
            let width = table
                .iter()
                .map(|r| r.retained.len())
                .max()
                .unwrap_or(0)
                .min(13);
            let mut header: Vec<String> = vec!["cohort".into(), "users".into()];
            header.extend((0..width).map(|k| format!("+{k}")));
            let rows: Vec<Vec<String>> = table
                .iter()
                .map(|r| {
                    let mut v = vec![cohort_name(r.period), r.users.to_string()];
                    v.extend(r.retained.iter().take(width).map(|x| format!("{x:.0}%")));
                    v
                })
                .collect();
            let h: Vec<&str> = header.iter().map(|s| s.as_str()).collect();
            let mut right = vec![false];
            right.extend(std::iter::repeat_n(true, width + 1));
            render::table(&mut out, &h, &rows, &right)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses `--from`/`--to` outside the date window or out of order,
/// before any data is read (the number of periods is checked once the
/// grain and the data's range are known).
fn last_day_of_previous_month(today: NaiveDate) -> NaiveDate {
    Period::containing(Grain::Month, today).day_before()
}

#[allow(clippy::too_many_arguments)]
fn demo(
    settings: &Settings,
    profile: ProfileArg,
    out: &Path,
    accounts: u32,
    events: u64,
    months: u32,
    seed: u64,
    end: Option<NaiveDate>,
    quiet: bool,
) -> Result<ExitCode> {
    let profile = match profile {
        ProfileArg::B2b => Profile::B2b,
        ProfileArg::B2c => Profile::B2c,
    };
    let end = end.unwrap_or_else(|| last_day_of_previous_month(chrono::Utc::now().date_naive()));
    let bar = indicatif::ProgressBar::new(events);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} writing events {bar:30} {human_pos}/{human_len} ({per_sec}, {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let req = okapi_app::demo::DemoRequest {
        profile,
        out: out.to_path_buf(),
        accounts,
        events,
        months,
        seed,
        end,
    };
    let progress = bar.clone();
    let demo = app!(block_on(okapi_app::demo::create(
        req,
        std::sync::Arc::new(move |n| progress.set_position(n)),
    )));
    bar.finish_and_clear();
    let (summary, okrs) = (demo.data, demo.okrs);
    let mut o = std::io::stdout().lock();
    writeln!(
        o,
        "Demo company ({}) written to {}: {} … {}",
        profile.as_str(),
        out.display(),
        summary.start,
        summary.end
    )?;
    for (t, n) in &summary.tables {
        writeln!(o, "  {t:<16} {n:>12} rows")?;
    }
    if !summary.stories.is_empty() {
        writeln!(o, "\nStories to find in it:")?;
        for s in &summary.stories {
            writeln!(o, "  - {s}")?;
        }
    }
    drop(o);
    let mut o = std::io::stdout().lock();
    writeln!(
        o,
        "\nDemo workspace `demo` in {}: {} objectives, {} key results, {} check-ins;\n  cycle {} closed with grades, cycle {} active. Try:\n  okapi --workspace {} okr tree\n  okapi --workspace {} okr list\n  okapi --workspace {} report --cycle {}",
        out.display(),
        okrs.objectives,
        okrs.key_results,
        okrs.checkins,
        okrs.past,
        okrs.current,
        out.display(),
        out.display(),
        out.display(),
        okrs.past
    )?;
    drop(o);
    if quiet {
        return Ok(ExitCode::SUCCESS);
    }
    let mut settings = settings.clone();
    settings.profile = profile;
    executive_summary(&DataSource::new(settings, out.to_path_buf()), end)
}

/// The executive summary: the seven executive KPIs over the last six
/// months with their trend, the MRR bridge and the inactive accounts.
fn executive_summary(src: &DataSource, end: NaiveDate) -> Result<ExitCode> {
    let summary = app!(block_on(okapi_app::demo::executive_summary(src, end)));
    let (periods, report) = (&summary.periods, &summary.kpis);
    let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
        return Ok(ExitCode::SUCCESS);
    };
    let mut o = std::io::stdout().lock();
    writeln!(
        o,
        "\nExecutive summary, {} to {}",
        first.start.format("%B %Y"),
        last.start.format("%B %Y")
    )?;
    let mut header: Vec<String> = vec!["KPI".into()];
    header.extend(
        periods
            .iter()
            .map(|p| format!("{} {}", month_abbr(p.start.month()), p.start.year() % 100)),
    );
    header.push("trend".into());
    let mut rows = Vec::new();
    for chunk in report.rows.chunks(periods.len()) {
        let Some(first) = chunk.first() else {
            continue;
        };
        let k = &first.kpi;
        let mut row = vec![format!("{} {}", k.name, k.direction.arrow())];
        row.extend(chunk.iter().map(|r| {
            r.value
                .value
                .map(|v| display(&v, k.unit))
                .unwrap_or_else(|| "—".into())
        }));
        let vals: Vec<Option<Value>> = chunk.iter().map(|r| r.value.value).collect();
        row.push(match vals.as_slice() {
            [.., before, last] => change(before.as_ref(), last.as_ref(), k.unit),
            _ => String::new(),
        });
        rows.push(row);
    }
    let h: Vec<&str> = header.iter().map(|s| s.as_str()).collect();
    let mut right = vec![false];
    right.extend(std::iter::repeat_n(true, periods.len() + 1));
    render::table(&mut o, &h, &rows, &right)?;

    writeln!(o, "\nMRR bridge")?;
    let rows: Vec<Vec<String>> = periods
        .iter()
        .zip(&summary.bridges)
        .map(|(p, b)| {
            vec![
                p.to_string(),
                money(&b.start_mrr),
                format!("+{}", money(&b.new)),
                format!("+{}", money(&b.reactivation)),
                format!("+{}", money(&b.expansion)),
                format!("-{}", money(&b.contraction)),
                format!("-{}", money(&b.churn)),
                money(&b.end_mrr),
            ]
        })
        .collect();
    render::table(
        &mut o,
        &[
            "month",
            "start",
            "new",
            "reactivation",
            "expansion",
            "contraction",
            "churn",
            "end",
        ],
        &rows,
        &[false, true, true, true, true, true, true, true],
    )?;

    let window = summary.window;
    if let Some(list) = &summary.inactive {
        let total: rust_decimal::Decimal = list.iter().map(|a| a.mrr).sum();
        writeln!(
            o,
            "\nInactive paying accounts on {end} (no activity in {window} days): {} with {} MRR at risk",
            list.len(),
            money(&total)
        )?;
        let rows: Vec<Vec<String>> = list
            .iter()
            .take(10)
            .map(|a| {
                vec![
                    a.account_id.clone(),
                    money(&a.mrr),
                    a.days_since_last_activity
                        .map(|d| format!("{d} days"))
                        .unwrap_or_else(|| "never active".into()),
                ]
            })
            .collect();
        render::table(
            &mut o,
            &["account", "MRR", "since last activity"],
            &rows,
            &[false, true, true],
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn month_abbr(m: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    NAMES
        .get((m as usize + 11) % 12)
        .copied()
        .unwrap_or_default()
}
