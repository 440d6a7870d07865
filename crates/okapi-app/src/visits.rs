//! Importing a web-analytics export (Plausible, Google Analytics 4) into
//! the `visits` table of a data directory.
//!
//! The export is read and checked whole first: any bad row (a bad date, a
//! count of visitors that is not a whole number ≥ 0) or a missing column
//! fails the use case with the file, line, column and reason, and nothing
//! is written. Then the rows of the days it covers replace those days'
//! rows, the other days' rows are kept, and the table's new file
//! (`visits.csv`) is renamed into place ([`okapi_engine::web_analytics`]).
//! Days are those of the workspace time zone; each imported visit starts
//! at its day's local midnight.

use std::path::PathBuf;

pub use okapi_engine::web_analytics::Tool;
use okapi_engine::web_analytics::{self, Export, VisitsWritten};
use serde::Serialize;

use crate::data::DataSource;
use crate::error::AppError;

/// What to import.
#[derive(Debug, Clone)]
pub struct ImportVisits {
    pub tool: Tool,
    /// The export's CSV file.
    pub file: PathBuf,
}

/// An export imported into the `visits` table.
#[derive(Debug, Clone, Serialize)]
pub struct VisitsImported {
    pub tool: Tool,
    /// The export, as named to the import.
    pub export: String,
    /// The data directory written.
    pub data: String,
    #[serde(flatten)]
    pub written: VisitsWritten,
}

/// Reads the export, then writes its visits into the data directory of
/// `src`, replacing the rows of the days it covers.
pub async fn import_visits(
    src: &DataSource,
    input: ImportVisits,
) -> Result<VisitsImported, AppError> {
    let src = src.clone();
    tokio::task::spawn_blocking(move || {
        let export = Export::parse(input.tool, &input.file)?;
        let dir = src.dir()?;
        let written = web_analytics::write_visits(dir, &export, src.settings.time_zone)?;
        Ok(VisitsImported {
            tool: input.tool,
            export: export.file,
            data: dir.display().to_string(),
            written,
        })
    })
    .await?
}
