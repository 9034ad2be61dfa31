//! Parquet tables: the schema and row count (for `probe`), and every row rendered as text
//! records so the CSV rules and messages apply unchanged.

use std::fs::File;
use std::path::Path;

use crate::sources::SourceError;

/// The column names and row count of a Parquet file, from its metadata (no data is read).
pub(super) fn parquet_schema(path: &Path) -> Result<(Vec<String>, usize), SourceError> {
    use polars::prelude::{ParquetReader, SerReader};
    let file = File::open(path).map_err(|source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = ParquetReader::new(file);
    let unreadable = |e: polars::prelude::PolarsError| not_parquet(path, e);
    let names = reader
        .schema()
        .map_err(unreadable)?
        .iter_names()
        .map(|n| n.to_string())
        .collect();
    let rows = reader.num_rows().map_err(unreadable)?;
    Ok((names, rows))
}

fn not_parquet(path: &Path, e: polars::prelude::PolarsError) -> SourceError {
    SourceError::Text {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message: format!("not a readable Parquet file: {e}"),
        fix: Some(
            "write the table with a Parquet writer (polars, arrow, pandas) or use format = \"csv\""
                .into(),
        ),
    }
}

/// Every row of a Parquet file as text records, the header first.
pub(super) fn parquet_records(path: &Path) -> Result<Vec<(usize, csv::StringRecord)>, SourceError> {
    use polars::prelude::{AnyValue, ParquetReader, SerReader};
    let file = File::open(path).map_err(|source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| not_parquet(path, e))?;
    let columns = df.columns();
    let mut out = Vec::with_capacity(df.height() + 1);
    out.push((
        1,
        columns
            .iter()
            .map(|c| c.name().to_string())
            .collect::<csv::StringRecord>(),
    ));
    for row in 0..df.height() {
        let mut record = csv::StringRecord::new();
        for c in columns {
            let cell = match c.get(row) {
                Ok(AnyValue::Null) | Err(_) => String::new(),
                Ok(AnyValue::String(v)) => v.to_string(),
                Ok(AnyValue::StringOwned(v)) => v.to_string(),
                // NaN is a float column's missing value (as null is).
                Ok(AnyValue::Float64(v)) if v.is_nan() => String::new(),
                Ok(AnyValue::Float32(v)) if v.is_nan() => String::new(),
                Ok(AnyValue::Float64(v)) => v.to_string(),
                Ok(AnyValue::Float32(v)) => v.to_string(),
                Ok(AnyValue::Int64(v)) => v.to_string(),
                Ok(AnyValue::Int32(v)) => v.to_string(),
                Ok(AnyValue::Int16(v)) => v.to_string(),
                Ok(AnyValue::Int8(v)) => v.to_string(),
                Ok(AnyValue::UInt64(v)) => v.to_string(),
                Ok(AnyValue::UInt32(v)) => v.to_string(),
                Ok(AnyValue::UInt16(v)) => v.to_string(),
                Ok(AnyValue::UInt8(v)) => v.to_string(),
                Ok(other) => other.to_string(),
            };
            record.push_field(&cell);
        }
        out.push((row + 2, record));
    }
    Ok(out)
}
