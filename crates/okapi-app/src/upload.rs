//! Uploading a table: its file is written beside the data directory's
//! files, validated whole like `okapi check`, and only then put in place of
//! the table's file. A file with invalid rows replaces nothing and fails
//! with every row issue ([`crate::Code::InvalidRows`]); a table kept in
//! another format before (`events.csv` replaced by `events.parquet`) loses
//! its old file once the new one is in place, so the table never has two.
//!
//! The server streams a body to disk as it arrives ([`StagedUpload`]): an
//! upload never sits in memory whole, and one past [`MAX_UPLOAD_BYTES`] is
//! refused (`too_large`) as soon as it passes the bound, its staged file
//! removed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use okapi_core::data_model::Table;
use okapi_engine::EngineError;
use okapi_engine::load::quality::TableQuality;
use okapi_engine::source::{DataDir, Format, SourceFile};
use serde::Serialize;

use crate::error::AppError;
use crate::secrets::random_hex;
use crate::workspace::Workspace;

/// The most bytes one upload may hold.
pub const MAX_UPLOAD_BYTES: usize = 256 * 1024 * 1024;

/// A table uploaded and put in place.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Uploaded {
    pub table: &'static str,
    /// The file now holding the table, relative to the data directory.
    pub file: String,
    /// Files of the table in another format, removed.
    pub replaced: Vec<String>,
    pub quality: TableQuality,
}

/// Removes the staging directory however the upload ends.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An upload being written: a hidden directory beside the data files (the
/// same file system, so the file moves into place by a rename), removed
/// however the upload ends.
pub struct StagedUpload {
    staging: Staging,
    table: Table,
    format: Format,
    path: PathBuf,
    file: tokio::fs::File,
    written: usize,
}

impl std::fmt::Debug for StagedUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StagedUpload")
            .field("path", &self.path)
            .field("written", &self.written)
            .finish()
    }
}

impl StagedUpload {
    /// Starts the upload of `table` in `format` into the workspace.
    pub async fn begin(ws: &Workspace, table: Table, format: Format) -> Result<Self, AppError> {
        let data = ws.data_dir()?;
        tokio::fs::create_dir_all(&data)
            .await
            .map_err(AppError::write_to(&data))?;
        let staging = Staging(data.join(format!(".upload-{}", random_hex::<8>()?)));
        tokio::fs::create_dir(&staging.0)
            .await
            .map_err(AppError::write_to(&staging.0))?;
        let path = staging
            .0
            .join(format!("{}.{}", table.name(), format.extension()));
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(AppError::write_to(&path))?;
        Ok(StagedUpload {
            staging,
            table,
            format,
            path,
            file,
            written: 0,
        })
    }

    /// Appends `chunk`; refused (`too_large`) past [`MAX_UPLOAD_BYTES`].
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), AppError> {
        use tokio::io::AsyncWriteExt;
        self.written = self.written.saturating_add(chunk.len());
        if self.written > MAX_UPLOAD_BYTES {
            return Err(AppError::TooLarge(format!(
                "the upload is larger than the {MAX_UPLOAD_BYTES} bytes an upload may hold"
            )));
        }
        self.file
            .write_all(chunk)
            .await
            .map_err(AppError::write_to(&self.path))
    }

    /// Validates the file written and, when every row is valid, makes it
    /// the workspace's file of its table.
    pub async fn finish(mut self, ws: &Workspace) -> Result<Uploaded, AppError> {
        use tokio::io::AsyncWriteExt;
        self.file
            .flush()
            .await
            .map_err(AppError::write_to(&self.path))?;
        self.file
            .sync_all()
            .await
            .map_err(AppError::write_to(&self.path))?;
        let data = ws.data_dir()?;
        let zone = ws.settings.time_zone;
        tokio::task::spawn_blocking(move || put_in_place(&data, self, zone)).await?
    }
}

/// Validates `bytes` as the file of `table` in `format` and, when every
/// row is valid, makes it the workspace's file of that table.
pub async fn upload(
    ws: &Workspace,
    table: Table,
    format: Format,
    bytes: Vec<u8>,
) -> Result<Uploaded, AppError> {
    let mut staged = StagedUpload::begin(ws, table, format).await?;
    staged.write(&bytes).await?;
    staged.finish(ws).await
}

fn put_in_place(
    data: &Path,
    staged: StagedUpload,
    zone: okapi_core::timezone::Zone,
) -> Result<Uploaded, AppError> {
    let StagedUpload {
        staging,
        table,
        format,
        path: staged,
        file,
        ..
    } = staged;
    drop(file);
    let name = format!("{}.{}", table.name(), format.extension());
    if data.join(table.name()).is_dir() {
        return Err(AppError::Invalid(format!(
            "{table} is a partitioned directory ({table}/); add a Parquet file to it instead of uploading {name}",
            table = table.name()
        )));
    }
    let dir = DataDir {
        root: staging.0.clone(),
        files: BTreeMap::from([(table, SourceFile::file(table, staged.clone(), format))]),
        events_scanner: None,
    };
    let outcome = okapi_engine::load::check(&dir, zone, None)?;
    if !outcome.issues.is_empty() {
        return Err(AppError::Engine(EngineError::InvalidRows(outcome.issues)));
    }
    let quality =
        outcome.quality.into_iter().next().ok_or_else(|| {
            AppError::Internal(format!("no quality report for the uploaded {name}"))
        })?;

    let target = data.join(&name);
    std::fs::rename(&staged, &target).map_err(AppError::write_to(&target))?;
    let mut replaced = Vec::new();
    for other in [Format::Csv, Format::Parquet, Format::JsonLines]
        .iter()
        .map(|f| f.extension())
        .chain(["ndjson"])
    {
        let old = data.join(format!("{}.{other}", table.name()));
        if old != target && old.exists() {
            std::fs::remove_file(&old).map_err(AppError::write_to(&old))?;
            replaced.push(format!("{}.{other}", table.name()));
        }
    }
    Ok(Uploaded {
        table: table.name(),
        file: name,
        replaced,
        quality,
    })
}
