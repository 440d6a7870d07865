//! Writing the demo tables as Parquet, with the column types the loader
//! reads: text ids, `Decimal128(18, 2)` money, `Date32` dates and UTC
//! microsecond timestamps.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;

use super::DemoError;

/// Rows per Parquet row group.
pub(crate) const ROW_GROUP_ROWS: usize = 1 << 20;

pub(crate) fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

pub(crate) fn timestamp(name: &str, nullable: bool) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        nullable,
    )
}

pub(crate) fn money(name: &str) -> Field {
    Field::new(name, DataType::Decimal128(18, 2), false)
}

pub(crate) fn date(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Date32, nullable)
}

pub(crate) fn integer(name: &str) -> Field {
    Field::new(name, DataType::Int64, false)
}

pub(crate) fn schema(fields: Vec<Field>) -> SchemaRef {
    Arc::new(Schema::new(fields))
}

pub(crate) fn strs<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<StringArray>())
}

pub(crate) fn timestamps(values: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(
        values
            .into_iter()
            .collect::<TimestampMicrosecondArray>()
            .with_timezone("UTC"),
    )
}

/// Money from integer cents.
pub(crate) fn cents(values: impl IntoIterator<Item = i64>) -> Result<ArrayRef, DemoError> {
    let array = Decimal128Array::from_iter_values(values.into_iter().map(i128::from))
        .with_precision_and_scale(18, 2)
        .map_err(|e| DemoError::Internal(format!("money column: {e}")))?;
    Ok(Arc::new(array))
}

pub(crate) fn dates(values: impl IntoIterator<Item = Option<i32>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<Date32Array>())
}

pub(crate) fn ints(values: impl IntoIterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(values))
}

/// One table being written to `<dir>/<table>.parquet`.
pub(crate) struct TableWriter {
    path: PathBuf,
    schema: SchemaRef,
    writer: ArrowWriter<BufWriter<File>>,
    rows: u64,
}

impl TableWriter {
    pub fn create(dir: &Path, table: &str, schema: SchemaRef) -> Result<TableWriter, DemoError> {
        let path = dir.join(format!("{table}.parquet"));
        let file = File::create(&path).map_err(|source| DemoError::Io {
            path: path.clone(),
            source,
        })?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let writer = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 20, file),
            schema.clone(),
            Some(props),
        )
        .map_err(|e| parquet_error(&path, e))?;
        Ok(TableWriter {
            path,
            schema,
            writer,
            rows: 0,
        })
    }

    /// Appends one batch, its columns in the schema's order.
    pub fn write(&mut self, columns: Vec<ArrayRef>) -> Result<(), DemoError> {
        let batch = RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|e| parquet_error(&self.path, e))?;
        self.rows += batch.num_rows() as u64;
        self.writer
            .write(&batch)
            .map_err(|e| parquet_error(&self.path, e))
    }

    /// Closes the file; returns the number of rows written.
    pub fn finish(self) -> Result<u64, DemoError> {
        let TableWriter {
            path, writer, rows, ..
        } = self;
        let inner = writer.into_inner().map_err(|e| parquet_error(&path, e))?;
        inner.into_inner().map_err(|e| DemoError::Io {
            path,
            source: e.into_error(),
        })?;
        Ok(rows)
    }
}

/// Writes a whole small table at once.
pub(crate) fn write_table(
    dir: &Path,
    table: &str,
    schema: SchemaRef,
    columns: Vec<ArrayRef>,
) -> Result<u64, DemoError> {
    let mut w = TableWriter::create(dir, table, schema)?;
    w.write(columns)?;
    w.finish()
}

fn parquet_error(path: &Path, e: impl std::fmt::Display) -> DemoError {
    DemoError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}
