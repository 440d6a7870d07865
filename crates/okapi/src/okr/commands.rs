//! The OKR commands that write: workspace setup, teams and users, cycles,
//! objectives, key results, check-ins, templates, OKR files, export and
//! import. Each command is one transaction: it commits at its end or
//! leaves the database as it was.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{NaiveDate, Utc};
use okapi_core::okr::{Confidence, KrKind, ObjectiveState};
use okapi_core::review::Level;
use okapi_store::{KeyResult, Objective, Team};
use serde::Serialize;

use super::args::{
    CheckinArgs, CycleCmd, Format, InitArgs, KrFields, ObjectiveFields, SheetFormat, TeamCmd,
    UserCmd,
};
use super::file::{self, KrSpec, word};
use super::workspace::{Location, Workspace};
use crate::cli::ProfileArg;
use okapi_app::workspace as app_ws;
use okapi_app::{checkins, cycles, key_results, objectives, people, sheets, templates, transfer};

pub fn print_json<T: Serialize>(v: &T) -> Result<()> {
    // Rendered first, so that a closed pipe surfaces as an I/O error (which
    // `main` treats as a reader that stopped early), not a JSON one.
    let text = serde_json::to_string_pretty(v)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    Ok(())
}

pub fn say(
    format: Format,
    json: impl Serialize,
    text: impl FnOnce() -> String,
) -> Result<ExitCode> {
    match format {
        Format::Json => print_json(&json)?,
        Format::Table => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", text())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

// ---- init and migrate -----------------------------------------------------

pub fn init(loc: &Location, args: &InitArgs) -> Result<ExitCode> {
    let rt = tokio::runtime::Handle::current();
    let done = rt.block_on(app_ws::init(app_ws::InitRequest {
        dir: args.dir.clone(),
        database_url: loc.database_url.clone(),
        profile: match args.profile {
            ProfileArg::B2b => okapi_core::settings::Profile::B2b,
            ProfileArg::B2c => okapi_core::settings::Profile::B2c,
        },
        name: args.name.clone(),
        id: args.id.clone(),
    }))?;
    say(args.format, &done, || {
        let dir = &done.dir;
        format!(
            "Workspace `{}` ({}) created in {}\n  settings: {}\n  database: {}\n  data:     put your tables in {}\nNext: {}okapi cycle create   (this quarter), then okapi okr add …",
            done.id,
            done.name,
            dir.display(),
            done.settings.display(),
            done.database,
            done.data.display(),
            if dir.as_os_str() == "." {
                String::new()
            } else {
                format!("cd {} && ", dir.display())
            }
        )
    })
}

pub fn migrate(loc: &Location, format: Format) -> Result<ExitCode> {
    let m = tokio::runtime::Handle::current().block_on(app_ws::migrate(loc))?;
    say(format, &m, || {
        if m.applied.is_empty() {
            format!("The database is up to date (schema version {}).", m.to)
        } else {
            format!(
                "Upgraded the database from schema version {} to {} (applied {}).",
                m.from,
                m.to,
                m.applied
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    })
}

// ---- vision, teams, users -------------------------------------------------

pub fn vision(loc: &Location, text: Option<String>, format: Format) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let v = match text {
        Some(t) => Some(ws.block_on(people::set_vision(&ws, t))?),
        None => ws.block_on(people::vision(&ws))?,
    };
    say(format, serde_json::json!({ "vision": v }), || {
        v.clone()
            .unwrap_or_else(|| "No vision yet: okapi vision \"…\" sets it.".into())
    })
}

pub fn team(loc: &Location, cmd: TeamCmd) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    match cmd {
        TeamCmd::Add {
            key,
            name,
            mission,
            format,
        } => {
            let change = people::TeamChange { key, name, mission };
            let team = ws.block_on(people::save_team(&ws, change))?;
            say(format, &team, || format!("Team `{}` saved.", team.key))
        }
        TeamCmd::List { format } => {
            let teams = ws.block_on(people::teams(&ws))?;
            // The JSON form lists the teams as stored.
            let stored: Vec<&Team> = teams.iter().map(|t| &t.team).collect();
            say(format, &stored, || {
                let mut out = String::new();
                for t in &teams {
                    out.push_str(&format!(
                        "{:<16} {}\n  mission: {}\n  members: {}\n",
                        t.team.key,
                        t.team.name,
                        t.team.mission.as_deref().unwrap_or("—"),
                        if t.members.is_empty() {
                            "—".to_string()
                        } else {
                            t.members.join(", ")
                        }
                    ));
                }
                if out.is_empty() {
                    "No teams yet.".into()
                } else {
                    out.trim_end().to_string()
                }
            })
        }
    }
}

pub fn user(loc: &Location, cmd: UserCmd) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    match cmd {
        UserCmd::Add {
            key,
            name,
            email,
            role,
            team,
            format,
        } => {
            let change = people::UserChange {
                key,
                name,
                email,
                role,
                team,
            };
            let user = ws.block_on(people::save_user(&ws, change))?;
            say(format, &user, || format!("User `{}` saved.", user.key))
        }
        UserCmd::Login {
            key,
            access,
            keep_password,
            format,
        } => {
            let password = if keep_password {
                None
            } else {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                Some(line.trim_end_matches(['\r', '\n']).to_string())
            };
            ws.block_on(okapi_app::accounts::set_login(&ws, &key, access, password))?;
            say(
                format,
                serde_json::json!({ "user": key, "access": access }),
                || format!("User `{key}` logs in as {}.", access.as_str()),
            )
        }
        UserCmd::List { format } => {
            let users = ws.block_on(people::users(&ws))?;
            say(format, &users, || {
                users
                    .iter()
                    .map(|u| {
                        format!(
                            "{:<12} {:<24} {:<16} {}",
                            u.key,
                            u.name,
                            u.team.as_deref().unwrap_or("—"),
                            u.role.as_deref().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}

// ---- cycles ---------------------------------------------------------------

pub fn cycle(loc: &Location, cmd: CycleCmd) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    match cmd {
        CycleCmd::Create {
            key,
            name,
            start,
            end,
            format,
        } => {
            let new = cycles::NewCycle {
                key,
                name,
                start,
                end,
            };
            let c = ws.block_on(cycles::create(&ws, new, today()))?;
            say(format, &c, || {
                format!(
                    "Cycle `{}` ({}) created: {} … {}, planning.",
                    c.key, c.name, c.start, c.end
                )
            })
        }
        CycleCmd::List { format } => {
            let cycles = ws.block_on(cycles::list(&ws))?;
            say(format, &cycles, || {
                if cycles.is_empty() {
                    return "No cycles yet: okapi cycle create 2027-Q1".into();
                }
                cycles
                    .iter()
                    .map(|c| {
                        format!(
                            "{:<12} {:<14} {} … {}  {}",
                            c.key, c.name, c.start, c.end, c.state
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        CycleCmd::Set {
            key,
            name,
            start,
            end,
            format,
        } => {
            let change = cycles::CycleChange {
                key,
                name,
                start,
                end,
            };
            let c = ws.block_on(cycles::change(&ws, change))?;
            say(format, &c, || {
                format!(
                    "Cycle `{}` ({}) is {} … {}, {}.",
                    c.key, c.name, c.start, c.end, c.state
                )
            })
        }
        CycleCmd::Activate { key, format } => {
            let c = ws.block_on(cycles::activate(&ws, &key))?;
            say(format, &c, || format!("Cycle `{}` is active.", c.key))
        }
        CycleCmd::Close {
            key,
            reflections,
            at,
            format,
        } => {
            let mut refl = BTreeMap::new();
            for r in &reflections {
                let Some((k, t)) = r.split_once('=') else {
                    bail!("--reflection `{r}` is not KR=TEXT");
                };
                refl.insert(k.trim().to_string(), t.trim().to_string());
            }
            let req = cycles::Close {
                key: key.clone(),
                reflections: refl,
                at: at.unwrap_or_else(today),
            };
            let closed = ws.block_on(cycles::close(&ws, req))?;
            say(format, &closed, || {
                let mut out = format!("Cycle `{key}` closed.\n");
                for o in &closed {
                    out.push_str(&format!(
                        "\n{} {}  {}  {}{}\n",
                        o.key,
                        o.title,
                        o.score.map_or("—".into(), |s| format!("{s:.2}")),
                        o.grade.map_or("—", |g| g.as_str()),
                        if o.flagged {
                            "  ⚑ committed but below 1.0"
                        } else {
                            ""
                        }
                    ));
                    for k in &o.krs {
                        out.push_str(&format!(
                            "  {:<8} {:.2} {:<6} {}\n",
                            k.key,
                            k.score,
                            k.grade.as_str(),
                            k.title
                        ));
                        if let Some(r) = &k.reflection {
                            out.push_str(&format!("           reflection: {r}\n"));
                        }
                    }
                }
                out.trim_end().to_string()
            })
        }
    }
}

// ---- objectives and key results -------------------------------------------

/// The objective fields of the command line, their words parsed.
fn objective_fields(f: ObjectiveFields) -> Result<objectives::ObjectiveFields> {
    Ok(objectives::ObjectiveFields {
        level: word::<Level>(f.level.as_deref())?,
        title: f.title,
        why: f.why,
        team: f.team,
        owner: f.owner,
        parent: f.parent,
        committed: f.committed,
    })
}

fn describe_objective(o: &Objective) -> String {
    format!(
        "{} [{}{}] {} — {}, {}, version {}",
        o.key,
        o.level.as_str(),
        o.team
            .as_deref()
            .map(|t| format!(": {t}"))
            .unwrap_or_default(),
        o.title,
        if o.committed {
            "committed"
        } else {
            "aspirational"
        },
        o.state,
        o.version
    )
}

pub fn objective_add(
    loc: &Location,
    cycle: String,
    key: Option<String>,
    fields: ObjectiveFields,
    format: Format,
) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let fields = objective_fields(fields)?;
    let o = ws.block_on(objectives::add(&ws, &cycle, key, fields))?;
    say(format, &o, || format!("Created {}", describe_objective(&o)))
}

pub fn objective_set(
    loc: &Location,
    key: String,
    fields: ObjectiveFields,
    state: Option<String>,
    if_version: Option<i64>,
    format: Format,
) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let change = objectives::ObjectiveChange {
        key,
        fields: objective_fields(fields)?,
        state: word::<ObjectiveState>(state.as_deref())?,
        if_version,
    };
    let o = ws.block_on(objectives::change(&ws, change))?;
    say(format, &o, || format!("Saved {}", describe_objective(&o)))
}

fn kr_spec(fields: &KrFields, title: String) -> KrSpec {
    KrSpec {
        key: toml::Spanned::new(0..0, String::new()),
        title,
        kind: fields.kind,
        kpi: fields.kpi.clone(),
        segment: fields.segment.clone(),
        grain: fields.grain,
        baseline: fields.baseline,
        target: fields.target,
        below: fields.below,
        unit: fields.unit.clone(),
        due: fields.due.map(|d| toml::Value::String(d.to_string())),
        weight: fields.weight,
        kr_type: fields.kr_type,
        funnel: fields.funnel,
        leading: fields.leading,
        maturity: fields.maturity,
        why: fields.why.clone(),
        owner: fields.owner.clone(),
    }
}

fn describe_kr(k: &KeyResult) -> String {
    let u = k.unit.as_deref();
    let num = |v: Option<f64>| okapi_core::units::cell(v, u);
    let what = match k.kind {
        KrKind::Metric | KrKind::Kpi => format!(
            "{} → {}{}",
            num(k.baseline),
            num(k.target),
            okapi_core::units::suffix(u)
                .map(|u| format!(" {u}"))
                .unwrap_or_default()
        ),
        KrKind::Milestone => "done / not done".into(),
        KrKind::Threshold => format!(
            "hold {} {}",
            if k.above == Some(false) { "≤" } else { "≥" },
            num(k.target)
        ),
    };
    format!(
        "{} ({}{}) {} — {}, version {}",
        k.key,
        k.kind.as_str(),
        k.kpi
            .as_deref()
            .map(|i| format!(": {i}"))
            .unwrap_or_default(),
        k.title,
        what,
        k.version
    )
}

pub fn kr_add(
    loc: &Location,
    objective: String,
    key: Option<String>,
    fields: KrFields,
    format: Format,
) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let title = fields
        .title
        .clone()
        .ok_or_else(|| anyhow!("a key result needs --title"))?;
    let spec = kr_spec(&fields, title);
    let kr = ws.block_on(key_results::add(&ws, &objective, key, spec))?;
    say(format, &kr, || format!("Created {}", describe_kr(&kr)))
}

pub fn kr_set(
    loc: &Location,
    key: String,
    fields: KrFields,
    reflection: Option<String>,
    if_version: Option<i64>,
    format: Format,
) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let change = key_results::KrChange {
        key,
        title: fields.title,
        kind: fields.kind,
        kpi: fields.kpi,
        segment: fields.segment,
        grain: fields.grain,
        baseline: fields.baseline,
        target: fields.target,
        below: fields.below,
        unit: fields.unit,
        due: fields.due,
        weight: fields.weight,
        kr_type: fields.kr_type,
        funnel: fields.funnel,
        leading: fields.leading,
        maturity: fields.maturity,
        why: fields.why,
        owner: fields.owner,
        reflection,
        if_version,
    };
    let kr = ws.block_on(key_results::change(&ws, change))?;
    say(format, &kr, || format!("Saved {}", describe_kr(&kr)))
}

pub fn delete(loc: &Location, key: &str, format: Format) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let d = ws.block_on(objectives::delete(&ws, key))?;
    say(format, &d, || {
        format!("Deleted {} `{}`.", d.kind, d.deleted)
    })
}

// ---- check-ins --------------------------------------------------------------

pub fn checkin(loc: &Location, args: CheckinArgs) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let req = checkins::CheckInRequest {
        kr: args.kr,
        value: args.value,
        confidence: word::<Confidence>(args.confidence.as_deref())?,
        note: args.note,
        author: args.author,
        at: args.at,
    };
    let done = ws.block_on(checkins::check_in(&ws, req, Utc::now()))?;
    say(args.format, &done, || {
        let c = &done.checkin;
        let mut out = format!(
            "Checked in {} = {} ({}){}: score {:.2} {}, expected {:.2} by now{}",
            c.kr,
            okapi_core::units::with_unit_or_dash(c.value, done.unit.as_deref()),
            c.confidence.as_str(),
            done.period
                .as_ref()
                .map(|p| format!(", from {p}"))
                .unwrap_or_default(),
            done.score,
            done.grade.as_str(),
            done.expected,
            if done.at_risk { " — at risk" } else { "" }
        );
        if let Some(f) = done.forecast {
            out.push_str(&format!("\nForecast at the end of the cycle: {f:.2}"));
            if let Some(d) = done.reaches_target_on {
                out.push_str(&format!(", target reached on {d}"));
            }
        }
        out
    })
}

pub fn refresh(loc: &Location, at: Option<NaiveDate>, format: Format) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let r = ws.block_on(checkins::refresh_krs(&ws, at.unwrap_or_else(today)))?;
    let done = &r.refreshed;
    say(format, done, || {
        if done.is_empty() {
            return format!(
                "{} KPI-linked key result(s) checked: no value changed.",
                r.checked
            );
        }
        let mut out = format!(
            "Checked in {} of {} KPI-linked key result(s):\n",
            done.len(),
            r.checked
        );
        for r in done {
            out.push_str(&format!(
                "  {:<8} {} → {} ({}), score {:.2}, {}\n",
                r.kr,
                okapi_core::units::with_unit_or_dash(r.previous, r.unit.as_deref()),
                okapi_core::units::with_unit(r.value, r.unit.as_deref()),
                r.period,
                r.score,
                r.confidence.as_str()
            ));
        }
        out.trim_end().to_string()
    })
}

// ---- templates and files --------------------------------------------------

#[allow(clippy::too_many_arguments)]
pub fn okr_new(
    loc: &Location,
    template: &str,
    cycle: &str,
    parent: Option<String>,
    owner: Option<String>,
    team: Option<String>,
    format: Format,
) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let made = ws.block_on(templates::from_template(
        &ws, template, cycle, parent, owner, team,
    ))?;
    let o = &made.objective;
    say(format, &made, || {
        let mut out = format!(
            "Created {} from template `{}`",
            describe_objective(o),
            made.template
        );
        for (k, from) in made.key_results.iter().zip(&made.baselines_from) {
            out.push_str(&format!("\n  {}", describe_kr(k)));
            if let Some(p) = from {
                out.push_str(&format!(
                    "\n      baseline from the data (month of {p}), target from the KPI's history"
                ));
            }
        }
        out.push_str("\nEdit the numbers with `okapi okr kr-set`, then `okapi review`.");
        out
    })
}

pub fn apply(loc: &Location, path: &Path, dry_run: bool, format: Format) -> Result<ExitCode> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let changes =
        tokio::runtime::Handle::current().block_on(file::apply_file(loc, path, &text, dry_run))?;
    print_changes(&changes, dry_run, format)
}

/// What applying a file or importing a sheet did, row by row.
fn print_changes(changes: &[file::Change], dry_run: bool, format: Format) -> Result<ExitCode> {
    let count = |a: &str| changes.iter().filter(|c| c.action == a).count();
    say(format, changes, || {
        let mut out = String::new();
        for c in changes.iter().filter(|c| c.action != "unchanged") {
            out.push_str(&format!("{:<9} {} {}\n", c.action, c.kind, c.key));
        }
        out.push_str(&format!(
            "{}{} created, {} updated, {} unchanged.",
            if dry_run {
                "Dry run, nothing written: "
            } else {
                ""
            },
            count("created"),
            count("updated"),
            count("unchanged")
        ));
        out
    })
}

// ---- spreadsheets -----------------------------------------------------------

pub fn sheet_export(
    loc: &Location,
    cycle: &str,
    format: SheetFormat,
    out: Option<std::path::PathBuf>,
) -> Result<ExitCode> {
    let format = match format {
        SheetFormat::Xlsx => sheets::SheetFormat::Xlsx,
        SheetFormat::Csv => sheets::SheetFormat::Csv,
    };
    let out = out.unwrap_or_else(|| format!("{cycle}.{}", format.extension()).into());
    let ws = Workspace::open(loc)?;
    let done = ws.block_on(sheets::export(&ws, cycle, format, &out, today()))?;
    say(Format::Table, &done, || {
        format!(
            "Exported cycle `{}` to {}: {} objectives, {} key results, {} check-ins.",
            done.cycle,
            done.files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(" and "),
            done.objectives,
            done.key_results,
            done.checkins
        )
    })
}

pub fn sheet_import(
    loc: &Location,
    path: &Path,
    dry_run: bool,
    format: Format,
) -> Result<ExitCode> {
    let done = tokio::runtime::Handle::current().block_on(sheets::import(loc, path, dry_run))?;
    print_changes(&done.changes, dry_run, format)
}

// ---- export and import ----------------------------------------------------

pub fn export(loc: &Location, out: Option<&Path>) -> Result<ExitCode> {
    let ws = Workspace::open(loc)?;
    let doc = ws.block_on(transfer::export(&ws, Utc::now()))?;
    let json = doc.to_json()?;
    match out {
        Some(p) => {
            // Written beside, then renamed: a reader never sees half a file.
            let tmp = p.with_extension("json.partial");
            std::fs::write(&tmp, json + "\n")
                .with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, p).with_context(|| format!("writing {}", p.display()))?;
            eprintln!(
                "Exported workspace `{}` to {}: {} objectives, {} key results, {} check-ins.",
                doc.workspace.id,
                p.display(),
                doc.objectives.len(),
                doc.key_results.len(),
                doc.checkins.len()
            );
        }
        None => {
            let mut o = std::io::stdout().lock();
            writeln!(o, "{json}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn import(loc: &Location, path: &Path, format: Format) -> Result<ExitCode> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let done = tokio::runtime::Handle::current().block_on(transfer::import(loc, path, &text))?;
    say(format, &done, || {
        format!(
            "Imported workspace `{}`: {} cycles, {} objectives, {} key results, {} check-ins.",
            done.workspace, done.cycles, done.objectives, done.key_results, done.checkins
        )
    })
}
