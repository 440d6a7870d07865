//! Finding a workspace: its directory, `okapi.toml`, its data directory and
//! its OKR database (the embedded `okapi.db`, or PostgreSQL by URL).

use anyhow::{Context, Result, anyhow};

pub use okapi_app::Location;

/// An open workspace, with the runtime the command runs on: the
/// application's [`okapi_app::workspace::Workspace`] (its fields and
/// methods through `Deref`), and blocking forms of its sessions for the
/// commands that have not moved into the application layer yet.
pub struct Workspace {
    pub app: okapi_app::workspace::Workspace,
    /// The runtime entered by [`crate::okr::run`] for the whole command, so
    /// that a session dropped on an error path can roll back.
    pub rt: tokio::runtime::Handle,
}

impl std::ops::Deref for Workspace {
    type Target = okapi_app::workspace::Workspace;

    fn deref(&self) -> &Self::Target {
        &self.app
    }
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

fn current() -> Result<tokio::runtime::Handle> {
    tokio::runtime::Handle::try_current()
        .map_err(|_| anyhow!("internal: OKR commands run inside the store's runtime"))
}

impl Workspace {
    /// Opens the workspace at `loc`; its database must exist and be at
    /// this build's schema version.
    pub fn open(loc: &Location) -> Result<Workspace> {
        let rt = current()?;
        let app = rt.block_on(okapi_app::workspace::Workspace::open(loc))?;
        Ok(Workspace { app, rt })
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
