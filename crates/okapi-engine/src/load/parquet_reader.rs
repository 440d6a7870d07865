//! Parquet files. Column types are checked against the data model before
//! any row is read (money DECIMAL or text, dates DATE or text, timestamps
//! TIMESTAMP or text, ids text or integers); rows are numbered from 1.
//!
//! A corrupt file (truncated, garbage, a footer pointing outside the file,
//! pages that do not decode) is an error naming the file wherever it is
//! found: opening it, reading its schema, or reading any row group. The
//! Parquet decoder is run under a guard ([`guarded`]): it asserts
//! invariants that hostile bytes can break, and such a failure too is an
//! error naming the file, not a crash.

use std::fs::File;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::arrow::arrow_reader::{
    ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use okapi_core::data_model::ColumnType;

use super::BATCH_ROWS;
use super::validate::{RawBatch, Validated, Validator};
use crate::error::EngineError;
use crate::source::SourceFile;

/// Opens a Parquet file and checks its schema; returns the reader builder,
/// the validator and the projected column names.
pub fn open(
    file: &SourceFile,
    only: Option<&[&str]>,
) -> Result<
    (
        ParquetRecordBatchReaderBuilder<File>,
        Validator,
        Vec<String>,
    ),
    EngineError,
> {
    let name = file.display_name();
    let f = File::open(&file.path).map_err(|source| EngineError::Io {
        path: file.path.clone(),
        source,
    })?;
    let builder = guarded(file, || ParquetRecordBatchReaderBuilder::try_new(f))?.map_err(|e| {
        EngineError::File {
            file: name.clone(),
            reason: format!("not a readable Parquet file: {e}"),
        }
    })?;
    let table = file.table;
    let schema = builder.schema().clone();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let (mut validator, extras) = Validator::for_schema(table, name, &schema)?;
    let keep: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| table.column(n).is_some() || extras.contains(n))
        .filter(|(_, n)| only.is_none_or(|o| o.contains(&n.as_str())))
        .map(|(i, _)| i)
        .collect();
    let mut builder = builder;
    if let Some(o) = only {
        // A kernel scan keeps plain text ids and names dictionary-encoded
        // as Parquet stores them: the kernel maps each dictionary value once
        // instead of every row's string.
        let dictionary: Vec<&str> = o
            .iter()
            .copied()
            .filter(|c| {
                matches!(
                    table.column(c).map(|s| s.ty),
                    Some(ColumnType::Id | ColumnType::Text)
                ) && schema
                    .field_with_name(c)
                    .is_ok_and(|f| *f.data_type() == DataType::Utf8)
            })
            .collect();
        validator.only_columns(o, &dictionary);
        if !dictionary.is_empty() {
            let hinted = Schema::new(
                schema
                    .fields()
                    .iter()
                    .map(|f| {
                        if dictionary.contains(&f.name().as_str()) {
                            f.as_ref().clone().with_data_type(DataType::Dictionary(
                                Box::new(DataType::Int32),
                                Box::new(DataType::Utf8),
                            ))
                        } else {
                            f.as_ref().clone()
                        }
                    })
                    .collect::<Vec<_>>(),
            );
            let f = File::open(&file.path).map_err(|source| EngineError::Io {
                path: file.path.clone(),
                source,
            })?;
            let options = ArrowReaderOptions::new().with_schema(Arc::new(hinted));
            builder = guarded(file, || {
                ParquetRecordBatchReaderBuilder::try_new_with_options(f, options)
            })?
            .map_err(|e| EngineError::File {
                file: file.display_name(),
                reason: format!("not a readable Parquet file: {e}"),
            })?;
        }
    }
    let projected: Vec<String> = keep.iter().filter_map(|&i| names.get(i).cloned()).collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), keep);
    Ok((builder.with_projection(mask), validator, projected))
}

pub fn read(
    file: &SourceFile,
    handle: &mut dyn FnMut(Validated) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    read_groups(file, None, None, 0, handle)
}

/// Reads the row groups `groups` (all when `None`) of `file`, reading only
/// the columns `only` (all when `None`); the first row read is numbered
/// `offset + 1`. Hands each validated batch to `handle`.
pub fn read_groups(
    file: &SourceFile,
    only: Option<&[&str]>,
    groups: Option<Vec<usize>>,
    offset: u64,
    handle: &mut dyn FnMut(Validated) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let name = file.display_name();
    let (mut builder, mut validator, _) = open(file, only)?;
    if let Some(g) = groups {
        builder = builder.with_row_groups(g);
    }
    // Kernel scans (`only`) take bigger batches: fewer dictionary
    // mappings and less per-batch overhead.
    let batch_rows = if only.is_some() {
        4 * BATCH_ROWS
    } else {
        BATCH_ROWS
    };
    let mut reader =
        guarded(file, || builder.with_batch_size(batch_rows).build())?.map_err(|e| {
            EngineError::File {
                file: name.clone(),
                reason: format!("not a readable Parquet file: {e}"),
            }
        })?;
    let mut offset = offset;
    while let Some(batch) = guarded(file, || reader.next())? {
        let batch = batch.map_err(|e| EngineError::File {
            file: name.clone(),
            reason: format!("corrupt data at row {} or after: {e}", offset + 1),
        })?;
        let raw = RawBatch::numbered(&batch, offset);
        offset += batch.num_rows() as u64;
        handle(validator.validate(raw)?)?;
    }
    Ok(())
}

/// Runs one step of the Parquet decoder. The decoder asserts invariants
/// that hostile bytes can break (a negative column offset in the footer,
/// a bitmap shorter than its length); such a panic becomes an error naming
/// the file, with the decoder's words.
fn guarded<T>(file: &SourceFile, step: impl FnOnce() -> T) -> Result<T, EngineError> {
    crate::containment::contained(step).map_err(|detail| EngineError::File {
        file: file.display_name(),
        reason: format!("corrupt Parquet file: the decoder failed ({detail})"),
    })
}
