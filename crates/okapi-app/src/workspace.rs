//! An open workspace: its settings, its id, its data directory and its OKR
//! store; and the use cases that set one up (`init`, `migrate`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use okapi_core::settings::Settings;
use okapi_store::{ReadSession, Session, Store, check_key, redact_url};
use serde::Serialize;

use crate::data::DataSource;
use crate::error::AppError;
use crate::location::Location;
use crate::memo::Memos;
use okapi_engine::source::DataLocation;

/// An open workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The directory of its settings file.
    pub root: PathBuf,
    pub settings: Arc<Settings>,
    /// The text of its settings file, as written (exported with it).
    pub settings_text: String,
    pub id: String,
    pub store: Store,
    /// What is read most, kept between requests while nothing changed.
    pub memo: Arc<Memos>,
    /// Where a refresh scans the events when not here (a cluster, set by
    /// `--cluster`).
    pub events_scanner: Option<Arc<dyn okapi_engine::compute::EventsScanner>>,
}

impl Workspace {
    /// Opens the workspace at `loc`; its database must exist, be at this
    /// build's schema version and hold the workspace its settings name.
    pub async fn open(loc: &Location) -> Result<Workspace, AppError> {
        let ws = Self::open_unchecked(loc).await?;
        ws.store.check_schema().await?;
        match ws.store.read_session(&ws.id).await {
            Ok(s) => drop(s),
            Err(okapi_store::StoreError::NotFound { .. }) => {
                return Err(AppError::Missing(format!(
                    "the database {} holds no workspace `{}` (the id in {}): point the database URL at the database that does, or restore the workspace with `okapi import`",
                    database_name(loc),
                    ws.id,
                    loc.file().display()
                )));
            }
            Err(e) => return Err(e.into()),
        }
        Ok(ws)
    }

    /// Opens the workspace without checking the schema (for `migrate`).
    pub async fn open_unchecked(loc: &Location) -> Result<Workspace, AppError> {
        let file = loc.file();
        let text = tokio::fs::read_to_string(&file).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                AppError::Missing(format!(
                    "{} is not an okapi workspace (no okapi.toml): create one with `okapi init {}`",
                    loc.dir.display(),
                    loc.dir.display()
                ))
            } else {
                AppError::Read {
                    path: file.clone(),
                    source: e,
                }
            }
        })?;
        let settings = Settings::from_toml(&text)?;
        okapi_engine::validate_settings(&settings)?;
        let Some(id) = settings.workspace.id.clone() else {
            return Err(AppError::Invalid(format!(
                "{}: no [workspace] id: this file holds settings only; run `okapi init` in its directory to add OKRs",
                file.display()
            )));
        };
        if loc.database_url.is_none()
            && !tokio::fs::try_exists(loc.db_path()).await.unwrap_or(false)
        {
            return Err(AppError::Missing(format!(
                "no OKR database at {}: run `okapi init` to create it, or give a database URL",
                loc.db_path().display()
            )));
        }
        let store = Store::connect(&loc.url()).await?;
        let root = file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Workspace {
            root,
            settings: Arc::new(settings),
            settings_text: text,
            id,
            store,
            memo: Arc::default(),
            events_scanner: None,
        })
    }

    /// Where the data is (`[workspace] data`: a directory relative to the
    /// workspace, or a PostgreSQL URL; checked when the settings were
    /// read).
    pub fn data_location(&self) -> Result<DataLocation, AppError> {
        let data = self.settings.workspace.data.as_deref().unwrap_or(".");
        Ok(DataLocation::from_setting(data, &self.root)?)
    }

    /// Where the events scan's state is kept between refreshes
    /// (`.okapi/events-state` beside the settings), for data in a directory.
    pub fn events_state(&self) -> Option<PathBuf> {
        match self.data_location() {
            Ok(DataLocation::Dir(_)) => Some(self.root.join(".okapi").join("events-state")),
            _ => None,
        }
    }

    /// The data directory, for what writes files into it (uploads, the
    /// visits import); refused when the data is in a database.
    pub fn data_dir(&self) -> Result<PathBuf, AppError> {
        match self.data_location()? {
            DataLocation::Dir(d) => Ok(d),
            DataLocation::Postgres(url) => Err(AppError::Invalid(format!(
                "the workspace's data is in PostgreSQL ({url}); load tables there, not through okapi"
            ))),
        }
    }

    /// The workspace's settings over its data.
    pub fn data(&self) -> Result<DataSource, AppError> {
        Ok(DataSource {
            settings: self.settings.clone(),
            data: self.data_location()?,
            events_scanner: self.events_scanner.clone(),
        })
    }

    /// A session (one transaction) that writes to this workspace. On
    /// SQLite it holds the write lock until it ends: compute KPIs before
    /// starting it, never inside it.
    pub async fn session(&self) -> Result<Session, AppError> {
        Ok(self.store.session(&self.id).await?)
    }

    /// A session that only reads: one snapshot, and no write lock.
    pub async fn read_session(&self) -> Result<ReadSession, AppError> {
        Ok(self.store.read_session(&self.id).await?)
    }
}

/// The database as messages name it: the embedded file, or the URL with
/// its password masked.
fn database_name(loc: &Location) -> String {
    match &loc.database_url {
        Some(u) => redact_url(u),
        None => loc.db_path().display().to_string(),
    }
}

/// A workspace id from a name: lowercase letters, digits and `-`.
pub fn id_from_name(name: &str) -> String {
    let mut id = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    let id = id.trim_end_matches('-').to_string();
    if id.is_empty() {
        "workspace".into()
    } else {
        id
    }
}

/// What `init` is asked to create.
#[derive(Debug, Clone)]
pub struct InitRequest {
    /// The directory of the new workspace (created when missing).
    pub dir: PathBuf,
    /// Its database, when not the embedded `okapi.db`.
    pub database_url: Option<String>,
    /// `b2b` or `b2c`, for a new settings file.
    pub profile: okapi_core::settings::Profile,
    /// Its name (default: the directory's name).
    pub name: Option<String>,
    /// Its id (default: from the name).
    pub id: Option<String>,
}

/// What `init` created.
#[derive(Debug, Clone, Serialize)]
pub struct Initialized {
    pub id: String,
    pub name: String,
    pub dir: PathBuf,
    /// The settings file written.
    pub settings: PathBuf,
    /// The database, its password masked.
    pub database: String,
    /// Where the data tables go.
    pub data: PathBuf,
    pub schema_version: i64,
    pub migrations_applied: Vec<i64>,
}

/// Creates a workspace: its settings file (or a `[workspace]` section
/// added to a settings-only file, whose data then stays beside it), its
/// database schema and its row, and a `data` directory. Refuses a
/// directory that is a workspace already. The settings file is written
/// only once the database holds the workspace.
pub async fn init(req: InitRequest) -> Result<Initialized, AppError> {
    let dir = &req.dir;
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|source| AppError::Read {
            path: dir.clone(),
            source,
        })?;
    let loc = Location {
        dir: dir.clone(),
        config: None,
        database_url: req.database_url.clone(),
    };
    let file = loc.file();
    let dir_name = tokio::fs::canonicalize(dir)
        .await
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "workspace".into());
    let name = req.name.clone().unwrap_or(dir_name);
    let id = req.id.clone().unwrap_or_else(|| id_from_name(&name));
    check_key("workspace", &id)?;
    let existing = tokio::fs::read_to_string(&file).await.ok();
    let text = match &existing {
        Some(t) => {
            let s = Settings::from_toml(t)?;
            if let Some(id) = s.workspace.id {
                return Err(AppError::Conflict(format!(
                    "{} is already workspace `{id}`; nothing changed",
                    file.display()
                )));
            }
            format!(
                "{}\n[workspace]\nid = {}\nname = {}\ndata = \".\"\n",
                t.trim_end(),
                toml_str(&id),
                toml_str(&name)
            )
        }
        None => format!(
            "# okapi workspace: settings, custom KPIs and where things are.\nprofile = \"{}\"\n\n[workspace]\nid = {}\nname = {}\ndata = \"data\"\n",
            req.profile.as_str(),
            toml_str(&id),
            toml_str(&name)
        ),
    };
    let settings = Settings::from_toml(&text)?;
    let store = Store::connect(&loc.url()).await?;
    let applied = store.migrate().await?;
    store
        .create_workspace(&id, &name, settings.profile.as_str(), Utc::now())
        .await?;
    store.close().await;
    tokio::fs::write(&file, &text)
        .await
        .map_err(AppError::write_to(&file))?;
    let data = if existing.is_none() {
        let data = dir.join("data");
        tokio::fs::create_dir_all(&data)
            .await
            .map_err(AppError::write_to(&data))?;
        data
    } else {
        dir.clone()
    };
    Ok(Initialized {
        id,
        name,
        dir: dir.clone(),
        settings: file,
        database: database_name(&loc),
        data,
        schema_version: okapi_store::SCHEMA_VERSION,
        migrations_applied: applied,
    })
}

/// A TOML basic string holding `s` (a JSON string is one: the same
/// escapes, `\uXXXX` for the rest).
pub fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// What `migrate` did.
#[derive(Debug, Clone, Serialize)]
pub struct Migrated {
    pub from: i64,
    pub to: i64,
    pub applied: Vec<i64>,
}

/// Upgrades the workspace's database schema to this build's.
pub async fn migrate(loc: &Location) -> Result<Migrated, AppError> {
    let ws = Workspace::open_unchecked(loc).await?;
    let from = ws.store.schema_version().await?;
    let applied = ws.store.migrate().await?;
    let to = ws.store.schema_version().await?;
    Ok(Migrated { from, to, applied })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_names() {
        assert_eq!(id_from_name("Acme Analytics, Inc."), "acme-analytics-inc");
        assert_eq!(id_from_name("  --  "), "workspace");
        assert_eq!(id_from_name("Zürich 2027"), "z-rich-2027");
    }

    #[test]
    fn toml_strings_read_back_as_written() {
        for s in [
            "plain",
            "quote \" and \\ back",
            "line\nbreak\ttab",
            "bell \u{7}",
        ] {
            let doc = format!("v = {}", toml_str(s));
            let v: toml_value::Doc = toml_value::parse(&doc);
            assert_eq!(v.v, s);
        }
    }

    mod toml_value {
        #[derive(serde::Deserialize)]
        pub struct Doc {
            pub v: String,
        }
        pub fn parse(s: &str) -> Doc {
            toml::from_str(s).unwrap()
        }
    }
}
