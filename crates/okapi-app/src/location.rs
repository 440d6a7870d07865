//! Where a workspace is: its directory, its settings file `okapi.toml`,
//! its data directory and its OKR database (the embedded `okapi.db` beside
//! the settings, or PostgreSQL by URL).

use std::path::{Path, PathBuf};

use okapi_core::settings::Settings;
use okapi_engine::source::{DataLocation, PostgresUrl};
use okapi_store::sqlite_url;

use crate::error::AppError;

/// Where the workspace and its database are, as the user named them.
#[derive(Debug, Clone)]
pub struct Location {
    /// The workspace directory.
    pub dir: PathBuf,
    /// A settings file other than `DIR/okapi.toml`.
    pub config: Option<PathBuf>,
    /// A database other than the embedded `okapi.db`.
    pub database_url: Option<String>,
}

impl Location {
    /// The settings file: the one given, else `DIR/okapi.toml`.
    pub fn file(&self) -> PathBuf {
        self.config
            .clone()
            .unwrap_or_else(|| self.dir.join("okapi.toml"))
    }

    /// The database URL: the one given, else the workspace's `okapi.db`.
    pub fn url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => sqlite_url(&self.db_path()),
        }
    }

    /// The embedded database, beside the settings file.
    pub fn db_path(&self) -> PathBuf {
        self.file()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
            .join("okapi.db")
    }

    /// The settings of the file given, else of the workspace's
    /// `okapi.toml` when there is one, else the defaults; custom SQL KPIs
    /// are checked here, before any data is read.
    pub async fn settings(&self) -> Result<Settings, AppError> {
        let path = match &self.config {
            Some(p) => p.clone(),
            None => {
                let p = self.file();
                if !tokio::fs::try_exists(&p).await.unwrap_or(false) {
                    return Ok(Settings::default());
                }
                p
            }
        };
        let text = tokio::fs::read_to_string(&path)
            .await
            .map_err(|source| AppError::Read {
                path: path.clone(),
                source,
            })?;
        let settings = Settings::from_toml(&text)?;
        okapi_engine::validate_settings(&settings)?;
        Ok(settings)
    }

    /// Where the data is: `given` (a directory, or a PostgreSQL URL),
    /// else the workspace's (`[workspace] data` in its settings, a
    /// directory relative to the settings file or a URL). Outside a
    /// workspace it must be given.
    pub fn data(
        &self,
        settings: &Settings,
        given: Option<PathBuf>,
    ) -> Result<DataLocation, AppError> {
        if let Some(d) = given {
            return Ok(match d.to_str() {
                Some(text) if PostgresUrl::is_url(text) => {
                    DataLocation::parse(text, Path::new(""))?
                }
                _ => DataLocation::Dir(d),
            });
        }
        if settings.workspace.id.is_none() {
            return Err(AppError::input(
                "data",
                "DIR is required outside a workspace (a directory whose okapi.toml has a [workspace] section)",
            ));
        }
        let root = self
            .file()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Ok(DataLocation::from_setting(
            settings.workspace.data.as_deref().unwrap_or("."),
            &root,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(dir: &Path) -> Location {
        Location {
            dir: dir.to_path_buf(),
            config: None,
            database_url: None,
        }
    }

    #[tokio::test]
    async fn a_directory_without_settings_gets_the_defaults_and_needs_a_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let loc = at(dir.path());
        let settings = loc.settings().await.unwrap();
        assert_eq!(
            settings.inactivity_window,
            Settings::default().inactivity_window
        );
        let e = loc.data(&settings, None).unwrap_err();
        assert_eq!(e.code(), crate::Code::Invalid);
        assert!(
            e.to_string()
                .starts_with("data DIR is required outside a workspace")
        );
        assert_eq!(
            loc.data(&settings, Some("elsewhere".into())).unwrap(),
            DataLocation::Dir(PathBuf::from("elsewhere"))
        );
        // A PostgreSQL URL is a database schema, shown without its password.
        let pg = loc
            .data(
                &settings,
                Some("postgres://ana:pw@db:5433/acme?schema=analytics".into()),
            )
            .unwrap();
        assert_eq!(
            pg.to_string(),
            "postgres://ana@db:5433/acme?schema=analytics"
        );
        assert!(pg.dir().is_none());
    }

    #[tokio::test]
    async fn a_workspace_reads_its_data_beside_its_settings() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("okapi.toml"),
            "[workspace]\nid = \"acme\"\ndata = \"data\"\n",
        )
        .unwrap();
        let loc = at(dir.path());
        let settings = loc.settings().await.unwrap();
        assert_eq!(
            loc.data(&settings, None).unwrap(),
            DataLocation::Dir(dir.path().join("data"))
        );
        assert_eq!(loc.db_path(), dir.path().join("okapi.db"));
    }

    #[tokio::test]
    async fn a_settings_file_with_a_forbidden_query_is_refused_before_any_data() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("custom.toml");
        std::fs::write(
            &file,
            "[[kpi]]\nid = \"wipe\"\nname = \"w\"\nunit = \"count\"\nsql = \"DROP TABLE deals\"\n",
        )
        .unwrap();
        let loc = Location {
            config: Some(file),
            ..at(dir.path())
        };
        let e = loc.settings().await.unwrap_err();
        assert_eq!(e.code(), crate::Code::Invalid);
        assert!(e.to_string().contains("not `DROP TABLE`"), "{e}");
    }
}
