//! Finding a company's tables: in a data directory, one file per table,
//! named after it, as CSV (`.csv`), Parquet (`.parquet`) or JSON lines
//! (`.jsonl`), or a directory named after it holding Parquet files, laid
//! out by partition as `events/date=2025-01-31/part-0.parquet` (any
//! depth of `key=value` directories; read in path order); or in a
//! PostgreSQL schema, one table each under the same
//! names ([`DataLocation::Postgres`], read when okapi is built with the
//! `postgres` feature).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use okapi_core::data_model::Table;

use crate::error::EngineError;

/// A file's format, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
    JsonLines,
    /// A table of a PostgreSQL schema.
    Postgres,
}

impl Format {
    /// The file extension of the format (`csv`, `parquet`, `jsonl`).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::JsonLines => "jsonl",
            Format::Postgres => "postgres",
        }
    }

    /// The format of a file extension (`ndjson` is JSON lines too).
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext {
            "csv" => Some(Format::Csv),
            "parquet" => Some(Format::Parquet),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// One table's file, or its table in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub table: Table,
    /// The file; for a database table, its qualified name (`schema.table`).
    pub path: PathBuf,
    pub format: Format,
    /// The database holding the table ([`Format::Postgres`] only).
    pub database: Option<Arc<PostgresUrl>>,
    /// For a partitioned table (`path` a directory), its Parquet files in
    /// path order; empty for a single file.
    pub parts: Vec<PathBuf>,
    /// For a database table with an `account_id` column: read only the
    /// rows of these accounts (a segment's), the filter run by the
    /// database. `None`: every row. Files are always read whole.
    pub accounts: Option<Arc<std::collections::HashSet<String>>>,
}

impl SourceFile {
    /// A table's file.
    pub fn file(table: Table, path: PathBuf, format: Format) -> SourceFile {
        SourceFile {
            table,
            path,
            format,
            database: None,
            parts: Vec::new(),
            accounts: None,
        }
    }

    /// The files of the table: its parts, or its one file.
    pub fn files(&self) -> Vec<SourceFile> {
        if self.parts.is_empty() {
            return vec![self.clone()];
        }
        self.parts
            .iter()
            .map(|p| SourceFile::file(self.table, p.clone(), Format::Parquet))
            .collect()
    }

    /// The name shown in messages: the file name, or the database table's
    /// qualified name.
    pub fn display_name(&self) -> String {
        if self.database.is_some() {
            return self.path.display().to_string();
        }
        if let Some(name) = partition_name(&self.path) {
            return name;
        }
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }
}

/// The tables found in a data directory or a database schema.
#[derive(Debug, Clone, Default)]
pub struct DataDir {
    /// The directory (empty for a database).
    pub root: PathBuf,
    pub files: BTreeMap<Table, SourceFile>,
    /// Where the events are scanned, when not on this machine (a
    /// cluster); the other tables are always read here.
    pub events_scanner: Option<std::sync::Arc<dyn crate::compute::EventsScanner>>,
}

impl DataDir {
    /// Lists the tables at `location`: a directory's files
    /// ([`DataDir::open`]), or a PostgreSQL schema's tables named after the
    /// data model's (others are ignored; `subscriptions` is required).
    pub fn open_location(location: &DataLocation) -> Result<DataDir, EngineError> {
        match location {
            DataLocation::Dir(dir) => DataDir::open(dir),
            DataLocation::Postgres(url) => crate::postgres::open(url),
        }
    }

    /// Lists the table files of `root`. Files of unknown names are ignored;
    /// two files for one table are an error naming both; `subscriptions`
    /// is required.
    pub fn open(root: &Path) -> Result<DataDir, EngineError> {
        if !root.exists() {
            return Err(EngineError::NoDirectory(root.to_path_buf()));
        }
        if !root.is_dir() {
            return Err(EngineError::NotADirectory(root.to_path_buf()));
        }
        let entries = std::fs::read_dir(root).map_err(|source| EngineError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        let mut found: BTreeMap<Table, Vec<SourceFile>> = BTreeMap::new();
        for entry in entries {
            let entry = entry.map_err(|source| EngineError::Io {
                path: root.to_path_buf(),
                source,
            })?;
            let path = entry.path();
            if path.is_dir() {
                if let Some(table) = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.parse::<Table>().ok())
                {
                    let parts = partition_files(&path)?;
                    found.entry(table).or_default().push(SourceFile {
                        table,
                        path,
                        format: Format::Parquet,
                        database: None,
                        parts,
                        accounts: None,
                    });
                }
                continue;
            }
            if !path.is_file() {
                continue;
            }
            let (Some(stem), Some(ext)) = (
                path.file_stem().and_then(|s| s.to_str()),
                path.extension().and_then(|s| s.to_str()),
            ) else {
                continue;
            };
            let (Ok(table), Some(format)) = (stem.parse::<Table>(), Format::from_extension(ext))
            else {
                continue;
            };
            found
                .entry(table)
                .or_default()
                .push(SourceFile::file(table, path, format));
        }
        let mut files = BTreeMap::new();
        for (table, mut v) in found {
            if v.len() > 1 {
                v.sort_by(|a, b| a.path.cmp(&b.path));
                return Err(EngineError::AmbiguousTable {
                    table: table.name().to_string(),
                    files: v.into_iter().map(|f| f.path).collect(),
                });
            }
            files.insert(table, v.remove(0));
        }
        if !files.contains_key(&Table::Subscriptions) {
            return Err(EngineError::NoSubscriptions(root.to_path_buf()));
        }
        Ok(DataDir {
            root: root.to_path_buf(),
            files,
            events_scanner: None,
        })
    }

    pub fn get(&self, table: Table) -> Option<&SourceFile> {
        self.files.get(&table)
    }
}

/// The Parquet files of a partitioned table's directory `dir`, in path
/// order: `*.parquet` in it and in its `key=value` subdirectories, at any
/// depth (hidden files and other names are ignored). An empty directory
/// is an error naming it.
fn partition_files(dir: &Path) -> Result<Vec<PathBuf>, EngineError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| EngineError::Io {
            path: d.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| EngineError::Io {
                path: d.clone(),
                source,
            })?;
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name.starts_with('.') || name.starts_with('_') {
                continue;
            }
            if path.is_dir() && name.contains('=') {
                stack.push(path);
            } else if path.is_file() && name.ends_with(".parquet") {
                out.push(path);
            }
        }
    }
    if out.is_empty() {
        return Err(EngineError::File {
            file: dir.display().to_string(),
            reason: "a table directory with no Parquet file (expected e.g. date=2025-01-31/part-0.parquet)".into(),
        });
    }
    out.sort();
    Ok(out)
}

/// A part file's name in messages: from its table directory on
/// (`events/date=2025-01-31/part-0.parquet`); `None` for a file that is not
/// in a `key=value` directory.
fn partition_name(path: &Path) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    let mut components = path.iter().rev();
    names.push(components.next()?.to_string_lossy().into_owned());
    for c in components {
        let c = c.to_string_lossy().into_owned();
        let hive = c.contains('=');
        names.push(c);
        if !hive {
            break;
        }
    }
    // The file, at least one `key=value`, and the table directory.
    if names.len() < 3 || names.get(1).is_none_or(|n| !n.contains('=')) {
        return None;
    }
    names.reverse();
    Some(names.join("/"))
}

/// Where a company's data is: a directory of table files, or a schema of a
/// PostgreSQL database. Shown (and logged) without its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataLocation {
    Dir(PathBuf),
    Postgres(Arc<PostgresUrl>),
}

impl DataLocation {
    /// The `data` setting of a workspace file: as [`DataLocation::parse`],
    /// refusing a URL that holds a password (a settings file is no place
    /// for one: set `PGPASSWORD` instead).
    pub fn from_setting(text: &str, base: &Path) -> Result<DataLocation, EngineError> {
        let location = DataLocation::parse(text, base)?;
        if let DataLocation::Postgres(url) = &location
            && url.has_password()
        {
            return Err(EngineError::DataUrl {
                reason: "`data` in okapi.toml holds a password; remove it from the URL and set PGPASSWORD in the environment".into(),
            });
        }
        Ok(location)
    }

    /// `postgres://…` or `postgresql://…` is a database; anything else a
    /// directory, relative to `base` unless absolute.
    pub fn parse(text: &str, base: &Path) -> Result<DataLocation, EngineError> {
        if PostgresUrl::is_url(text) {
            return Ok(DataLocation::Postgres(Arc::new(PostgresUrl::parse(text)?)));
        }
        let p = Path::new(text);
        Ok(DataLocation::Dir(if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }))
    }

    /// The directory, for a directory of files.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            DataLocation::Dir(d) => Some(d),
            DataLocation::Postgres(_) => None,
        }
    }
}

impl From<PathBuf> for DataLocation {
    fn from(p: PathBuf) -> DataLocation {
        DataLocation::Dir(p)
    }
}

impl fmt::Display for DataLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataLocation::Dir(d) => write!(f, "{}", d.display()),
            DataLocation::Postgres(u) => write!(f, "{u}"),
        }
    }
}

/// A PostgreSQL schema holding the data-model tables:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?schema=SCHEMA`
/// (schema `public` when not given; `sslmode` as libpq reads it, `prefer`
/// when not given). A password not in the URL is taken from `PGPASSWORD`
/// when the connection is made. The password is never shown: [`fmt::Display`]
/// writes the URL without it.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl {
    pub host: String,
    pub port: u16,
    pub user: String,
    password: Option<String>,
    pub database: String,
    pub schema: String,
    pub sslmode: String,
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({self})")
    }
}

impl PostgresUrl {
    /// Whether `text` is a PostgreSQL URL.
    pub fn is_url(text: &str) -> bool {
        text.starts_with("postgres://") || text.starts_with("postgresql://")
    }

    pub fn parse(text: &str) -> Result<PostgresUrl, EngineError> {
        let bad = |reason: String| EngineError::DataUrl { reason };
        let url = url::Url::parse(text).map_err(|e| bad(format!("not a URL: {e}")))?;
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| bad("the URL is not valid UTF-8 once decoded".into()))
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
            .unwrap_or_else(|| "localhost".into());
        let user = match url.username() {
            "" => std::env::var("USER").unwrap_or_else(|_| "postgres".into()),
            u => decode(u)?,
        };
        let password = url.password().map(decode).transpose()?;
        let database = decode(url.path().trim_start_matches('/'))?;
        if database.is_empty() {
            return Err(bad(
                "name the database after the host: postgres://HOST/DATABASE?schema=SCHEMA".into(),
            ));
        }
        let mut schema = "public".to_string();
        let mut sslmode = "prefer".to_string();
        for (k, v) in url.query_pairs() {
            match k.as_ref() {
                "schema" | "search_path" => schema = v.into_owned(),
                "sslmode" => match v.as_ref() {
                    "disable" | "prefer" | "require" | "verify-ca" | "verify-full" => {
                        sslmode = v.into_owned()
                    }
                    other => {
                        return Err(bad(format!(
                            "sslmode `{other}` is not one of disable, prefer, require, verify-ca, verify-full"
                        )));
                    }
                },
                other => {
                    return Err(bad(format!(
                        "unknown parameter `{other}` (okapi reads schema and sslmode)"
                    )));
                }
            }
        }
        if schema.is_empty() {
            return Err(bad("the schema is empty".into()));
        }
        Ok(PostgresUrl {
            host,
            port: url.port().unwrap_or(5432),
            user,
            password,
            database,
            schema,
            sslmode,
        })
    }

    /// Whether the URL itself holds a password.
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The password: the URL's, else `PGPASSWORD`'s, else none.
    pub fn password(&self) -> Option<String> {
        self.password
            .clone()
            .or_else(|| std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()))
    }
}

impl fmt::Display for PostgresUrl {
    /// The URL without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(
            f,
            "postgres://{}@{host}:{}/{}?schema={}",
            self.user, self.port, self.database, self.schema
        )
    }
}
