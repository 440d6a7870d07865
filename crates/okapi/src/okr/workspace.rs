//! Finding a workspace: its directory, `okapi.toml`, its data directory and
//! its OKR database (the embedded `okapi.db`, or PostgreSQL by URL).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use okapi_core::settings::Settings;
use okapi_store::Store;

pub use okapi_app::Location;

/// An open workspace.
pub struct Workspace {
    pub root: PathBuf,
    pub settings: Settings,
    /// The text of `okapi.toml`.
    pub settings_text: String,
    pub id: String,
    pub store: Store,
    /// The runtime entered by [`crate::okr::run`] for the whole command, so
    /// that a session dropped on an error path can roll back.
    pub rt: tokio::runtime::Handle,
}

/// The runtime for the store. Multi-threaded (one worker) so that the
/// engine, which runs its own runtime, can be called from inside it through
/// `block_in_place`.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

impl Workspace {
    /// Opens the workspace at `loc`; its database must exist and be at
    /// this build's schema version.
    pub fn open(loc: &Location) -> Result<Workspace> {
        let ws = Self::open_unchecked(loc)?;
        ws.rt.block_on(ws.store.check_schema())?;
        match ws.rt.block_on(ws.store.read_session(&ws.id)) {
            Ok(s) => drop(s),
            Err(okapi_store::StoreError::NotFound { .. }) => bail!(
                "the database {} holds no workspace `{}` (the id in {}): point --database-url at the database that does, or restore the workspace with `okapi import`",
                match &loc.database_url {
                    Some(u) => okapi_store::redact_url(u),
                    None => loc.db_path().display().to_string(),
                },
                ws.id,
                loc.file().display()
            ),
            Err(e) => return Err(e.into()),
        }
        Ok(ws)
    }

    /// Opens the workspace without checking the schema (`okapi migrate`).
    pub fn open_unchecked(loc: &Location) -> Result<Workspace> {
        let file = loc.file();
        let text = std::fs::read_to_string(&file).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow!(
                    "{} is not an okapi workspace (no okapi.toml): create one with `okapi init {}`",
                    loc.dir.display(),
                    loc.dir.display()
                )
            } else {
                anyhow!("reading {}: {e}", file.display())
            }
        })?;
        let settings = Settings::from_toml(&text)?;
        okapi_engine::validate_settings(&settings)?;
        let Some(id) = settings.workspace.id.clone() else {
            bail!(
                "{}: no [workspace] id: this file holds settings only; run `okapi init` in its directory to add OKRs",
                file.display()
            );
        };
        if loc.database_url.is_none() && !loc.db_path().exists() {
            bail!(
                "no OKR database at {}: run `okapi init` to create it, or pass --database-url",
                loc.db_path().display()
            );
        }
        let rt = tokio::runtime::Handle::try_current()
            .map_err(|_| anyhow!("internal: OKR commands run inside the store's runtime"))?;
        let store = rt.block_on(Store::connect(&loc.url()))?;
        let root = file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Workspace {
            root,
            settings,
            settings_text: text,
            id,
            store,
            rt,
        })
    }

    /// The data directory (`[workspace] data`, relative to the workspace).
    pub fn data_dir(&self) -> PathBuf {
        let data = self.settings.workspace.data.as_deref().unwrap_or(".");
        let p = Path::new(data);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.root.join(p)
        }
    }

    /// Starts a session (one transaction) that writes to this workspace.
    /// On SQLite it holds the write lock until it ends: compute KPIs
    /// before starting it, never inside it.
    pub fn session(&self) -> Result<okapi_store::Session> {
        Ok(self.rt.block_on(self.store.session(&self.id))?)
    }

    /// Starts a session that only reads this workspace: one snapshot, and
    /// no write lock, so it runs while another okapi writes.
    pub fn read_session(&self) -> Result<okapi_store::ReadSession> {
        Ok(self.rt.block_on(self.store.read_session(&self.id))?)
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
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
