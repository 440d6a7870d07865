//! `okapi export` and `okapi import`: a whole workspace as one JSON
//! document, and back.
//!
//! An import checks everything before it writes anything: the document
//! (keys, references, alignment, numbers, check-ins: see
//! `okapi_store::ExportDocument::from_json`) and the settings it carries
//! ([`check_imported_settings`]). Then it writes the new `okapi.toml` to
//! a temporary file, writes the database in one transaction, and renames
//! the file into place once the transaction has committed. A refused
//! document, a failed write or a killed process leaves both the settings
//! file and the database as they were (a database file the import created
//! is removed again when the import fails).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use okapi_core::settings::Settings;
use okapi_store::{ExportDocument, Store, StoreError};
use serde::Serialize;

use crate::error::{AppError, Context};
use crate::fault;
use crate::location::Location;
use crate::workspace::{Workspace, toml_str};

type Result<T> = std::result::Result<T, AppError>;

/// Returns an [`AppError::Invalid`] with the message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err(AppError::Invalid(format!($($arg)*)))
    };
}

/// The whole workspace as one document, read in one transaction (one
/// moment of the workspace), with its settings file's text.
pub async fn export(ws: &Workspace, now: DateTime<Utc>) -> Result<ExportDocument> {
    let mut s = ws.read_session().await?;
    let doc = s.export(Some(ws.settings_text.clone()), now).await?;
    s.commit().await?;
    Ok(doc)
}

/// Reads and checks a document: every problem, each as `FILE:LINE: row
/// field: reason`.
fn read_document(path: &Path, text: &str) -> Result<ExportDocument> {
    ExportDocument::from_json(text).map_err(|e| match e {
        StoreError::Document { problems } => {
            let lines: Vec<String> = problems
                .iter()
                .map(|p| {
                    let at = match p.line {
                        Some(l) => format!("{}:{l}", path.display()),
                        None => path.display().to_string(),
                    };
                    if p.field.is_empty() {
                        format!("{at}: {}", p.reason)
                    } else {
                        format!("{at}: {}: {}", p.field, p.reason)
                    }
                })
                .collect();
            AppError::Invalid(format!(
                "{}: the document cannot be imported, nothing was written:\n  {}",
                path.display(),
                lines.join("\n  ")
            ))
        }
        other => AppError::Invalid(format!("{}: {other}", path.display())),
    })
}

/// The 1-based line of a document's top-level `"field":` (the first
/// occurrence: rows have no field of that name).
fn top_level_line(text: &str, field: &str) -> usize {
    let needle = format!("\"{field}\"");
    text.find(&needle).map_or(1, |i| {
        text.get(..i).unwrap_or_default().matches('\n').count() + 1
    })
}

/// Checks the settings a document carries (`text`, its `okapi.toml`)
/// before anything is written: they must read as valid settings, of the
/// document's workspace if they name one. Called once, from
/// [`settings_file`]: the one place an import validates settings,
/// custom KPIs' SQL included.
fn check_imported_settings(text: &str, workspace_id: &str) -> Result<Settings> {
    let settings = Settings::from_toml(text)?;
    if let Some(id) = &settings.workspace.id
        && id != workspace_id
    {
        bail!("its [workspace] id is `{id}`, but the document holds workspace `{workspace_id}`");
    }
    // Custom SQL KPIs: one read-only query each, within the limits, as
    // when `okapi.toml` is read; refused before anything is written.
    okapi_engine::validate_settings(&settings)?;
    Ok(settings)
}

/// What the import does to the workspace file.
enum SettingsFile {
    /// Write this text (there is no file, or a settings-only one).
    Write(String),
    /// The file is already the workspace's: leave it.
    Keep,
}

/// The workspace file an import leaves: the document's settings (with a
/// `[workspace]` section) where there is none, the existing settings with
/// the section added to a settings-only file, or the existing file when it
/// is already this workspace's.
fn settings_file(
    file: &Path,
    path: &Path,
    text: &str,
    doc: &ExportDocument,
) -> Result<SettingsFile> {
    let section = format!(
        "[workspace]\nid = {}\nname = {}\ndata = \".\"\n",
        toml_str(&doc.workspace.id),
        toml_str(&doc.workspace.name)
    );
    let carried = match &doc.settings {
        Some(s) => Some(check_imported_settings(s, &doc.workspace.id).map_err(|e| {
            AppError::Invalid(format!(
                "{}:{}: settings (the okapi.toml the document carries): {e}\nnothing was written",
                path.display(),
                top_level_line(text, "settings")
            ))
        })?),
        None => None,
    };
    let existing = match std::fs::read_to_string(file) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(AppError::Read {
                path: file.to_path_buf(),
                source,
            });
        }
    };
    let new = match &existing {
        None => match (&doc.settings, carried) {
            (Some(s), Some(c)) if c.workspace.id.is_some() => s.clone(),
            (Some(s), _) => format!("{}\n\n{section}", s.trim_end()),
            (None, _) => section,
        },
        Some(t) => {
            let s = Settings::from_toml(t).with_context(|| file.display().to_string())?;
            match &s.workspace.id {
                Some(id) if *id == doc.workspace.id => return Ok(SettingsFile::Keep),
                Some(id) => bail!(
                    "{} is workspace `{id}`, the document holds workspace `{}`: import into a new directory",
                    file.display(),
                    doc.workspace.id
                ),
                // A settings-only file becomes the workspace's: its
                // settings stay.
                None => format!("{}\n\n{section}", t.trim_end()),
            }
        }
    };
    // The file as it will be written reads back as this workspace's.
    let written = Settings::from_toml(&new)
        .with_context(|| format!("the {} this import would write", file.display()))?;
    if written.workspace.id.as_deref() != Some(doc.workspace.id.as_str()) {
        bail!(
            "the {} this import would write does not name workspace `{}`; nothing was written",
            file.display(),
            doc.workspace.id
        );
    }
    Ok(SettingsFile::Write(new))
}

/// A file written beside its destination, renamed into place by
/// [`Pending::finish`]; removed if dropped unfinished.
struct Pending {
    tmp: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl Pending {
    fn write(dest: &Path, text: &str) -> Result<Pending> {
        let mut name = dest.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        let tmp = dest.with_file_name(name);
        let mut f = std::fs::File::create(&tmp).map_err(AppError::write_to(&tmp))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(AppError::write_to(&tmp))?;
        Ok(Pending {
            tmp,
            dest: dest.to_path_buf(),
            done: false,
        })
    }

    fn finish(mut self) -> Result<()> {
        std::fs::rename(&self.tmp, &self.dest).map_err(AppError::write_to(&self.dest))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The SQLite files an import created, removed unless it succeeds.
struct CreatedDatabase {
    path: Option<PathBuf>,
}

impl CreatedDatabase {
    fn keep(mut self) {
        self.path = None;
    }
}

impl Drop for CreatedDatabase {
    fn drop(&mut self) {
        if let Some(p) = &self.path {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut name = p.as_os_str().to_os_string();
                name.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(name));
            }
        }
    }
}

/// What an import wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub workspace: String,
    #[serde(skip)]
    pub cycles: usize,
    pub objectives: usize,
    pub key_results: usize,
    pub checkins: usize,
}

/// Imports the document `text` (read from `path`, named in messages) into
/// the workspace at `loc`: everything checked first, then the settings
/// file written beside its place, the database in one transaction, and
/// the settings file renamed into place once the transaction committed.
pub async fn import(loc: &Location, path: &Path, text: &str) -> Result<Imported> {
    // Everything is checked before anything is written.
    let doc = read_document(path, text)?;
    let file = loc.file();
    let settings = settings_file(&file, path, text, &doc)?;

    std::fs::create_dir_all(&loc.dir).map_err(AppError::write_to(&loc.dir))?;
    let pending = match &settings {
        SettingsFile::Write(t) => Some(Pending::write(&file, t)?),
        SettingsFile::Keep => None,
    };
    let created = CreatedDatabase {
        path: (loc.database_url.is_none() && !loc.db_path().exists()).then(|| loc.db_path()),
    };
    let store = Store::connect(&loc.url()).await?;
    let r = async {
        store.migrate().await?;
        store.import(&doc, &mut |_, _| fault::after_write()).await
    }
    .await;
    store.close().await;
    r?;
    // The database has committed: the settings file follows.
    created.keep();
    if let Some(p) = pending {
        p.finish()?;
    }
    Ok(Imported {
        workspace: doc.workspace.id.clone(),
        cycles: doc.cycles.len(),
        objectives: doc.objectives.len(),
        key_results: doc.key_results.len(),
        checkins: doc.checkins.len(),
    })
}
