//! Artifacts as Parquet: the canonical table's labels and vectors as polars frames (what
//! people open), its dense blocks Z and Y as raw matrix files ([`super::matrix_file`]).

use std::fs::File;
use std::path::Path;

use ndarray::Array1;
use polars::prelude::*;

use super::matrix_file::{self, MatrixFileError};
use crate::iot::{EntryLabel, IoTable};

/// A Parquet read or write failure, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct FrameError {
    pub path: std::path::PathBuf,
    pub message: String,
}

impl From<MatrixFileError> for FrameError {
    fn from(e: MatrixFileError) -> Self {
        let path = e.path().to_path_buf();
        // The message is the error's own text without the path the frame error prints.
        let full = e.to_string();
        let prefix = format!("{}: ", path.display());
        let message = full.strip_prefix(&prefix).unwrap_or(&full).to_string();
        FrameError { path, message }
    }
}

fn ferr(path: &Path, e: impl std::fmt::Display) -> FrameError {
    FrameError {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes a frame to a Parquet file (the caller provides atomicity through the cache's temp
/// folder or [`write_frame_atomic`]).
pub fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<(), FrameError> {
    let file = File::create(path).map_err(|e| ferr(path, e))?;
    let mut buffered = std::io::BufWriter::new(file);
    ParquetWriter::new(&mut buffered)
        .finish(df)
        .map_err(|e| ferr(path, e))?;
    std::io::Write::flush(&mut buffered).map_err(|e| ferr(path, e))
}

/// Reads a Parquet file into a frame.
pub fn read_parquet(path: &Path) -> Result<DataFrame, FrameError> {
    let file = File::open(path).map_err(|e| ferr(path, e))?;
    ParquetReader::new(file).finish().map_err(|e| ferr(path, e))
}

/// Writes a frame as Parquet to `path` atomically.
pub fn write_parquet_atomic(path: &Path, df: &mut DataFrame) -> Result<(), FrameError> {
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf)
        .finish(df)
        .map_err(|e| ferr(path, e))?;
    super::atomic::write_atomic(path, &buf).map_err(|e| ferr(path, e))
}

fn f64_col(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<f64>, FrameError> {
    let col = df.column(name).map_err(|e| ferr(path, e))?;
    let ca = col.f64().map_err(|e| ferr(path, e))?;
    Ok(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

fn str_col(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<String>, FrameError> {
    let col = df.column(name).map_err(|e| ferr(path, e))?;
    let ca = col.str().map_err(|e| ferr(path, e))?;
    Ok(ca
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

/// Writes an [`IoTable`] into a folder: `entries.parquet` (block, sector, country, x and one
/// column per primary-input row), `dims.parquet` (countries, final-demand categories, year),
/// and the dense blocks as raw matrix files `z.f64`, `y.f64` ([`super::matrix_file`]).
pub fn write_table(dir: &Path, t: &IoTable) -> Result<(), FrameError> {
    let n = t.n();
    let p = dir.join("entries.parquet");
    let mut cols = vec![
        Column::new(
            "block".into(),
            t.labels.iter().map(|l| l.block.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "sector".into(),
            t.labels
                .iter()
                .map(|l| l.sector.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "country".into(),
            t.row_country
                .iter()
                .map(|&c| t.countries[c].clone())
                .collect::<Vec<_>>(),
        ),
        Column::new("x".into(), t.x.to_vec()),
    ];
    for (name, values) in &t.primary_inputs {
        cols.push(Column::new(
            format!("primary:{name}").into(),
            values.to_vec(),
        ));
    }
    let mut df = DataFrame::new(n, cols).map_err(|e| ferr(&p, e))?;
    write_parquet(&p, &mut df)?;

    let d = dir.join("dims.parquet");
    let mut kind = Vec::new();
    let mut name = Vec::new();
    for c in &t.countries {
        kind.push("country".to_string());
        name.push(c.clone());
    }
    for f in &t.fd_categories {
        kind.push("fd".to_string());
        name.push(f.clone());
    }
    if let Some(y) = t.year {
        kind.push("year".to_string());
        name.push(y.to_string());
    }
    let h = kind.len();
    let mut ddf = DataFrame::new(
        h,
        vec![
            Column::new("kind".into(), kind),
            Column::new("name".into(), name),
        ],
    )
    .map_err(|e| ferr(&d, e))?;
    write_parquet(&d, &mut ddf)?;
    matrix_file::write(&dir.join("z.f64"), &t.z)?;
    matrix_file::write(&dir.join("y.f64"), &t.y)?;
    Ok(())
}

/// Reads a table written by [`write_table`] and validates it.
pub fn read_table(dir: &Path) -> Result<IoTable, FrameError> {
    let p = dir.join("entries.parquet");
    let df = read_parquet(&p)?;
    let blocks = str_col(&df, "block", &p)?;
    let sectors = str_col(&df, "sector", &p)?;
    let row_names = str_col(&df, "country", &p)?;
    let x = f64_col(&df, "x", &p)?;
    let mut primary_inputs = Vec::new();
    for name in df.get_column_names() {
        if let Some(label) = name.as_str().strip_prefix("primary:") {
            let values = f64_col(&df, name.as_str(), &p)?;
            primary_inputs.push((label.to_string(), Array1::from(values)));
        }
    }
    let d = dir.join("dims.parquet");
    let ddf = read_parquet(&d)?;
    let kinds = str_col(&ddf, "kind", &d)?;
    let names = str_col(&ddf, "name", &d)?;
    let mut countries = Vec::new();
    let mut fd = Vec::new();
    let mut year = None;
    for (k, v) in kinds.iter().zip(names) {
        match k.as_str() {
            "country" => countries.push(v),
            "fd" => fd.push(v),
            "year" => year = v.parse().ok(),
            _ => {}
        }
    }
    let mut row_country = Vec::with_capacity(row_names.len());
    for (i, c) in row_names.iter().enumerate() {
        let idx = countries
            .iter()
            .position(|x| x == c)
            .ok_or_else(|| ferr(&p, format!("row {i} names country {c} missing from dims")))?;
        row_country.push(idx);
    }
    let table = IoTable {
        year,
        countries,
        fd_categories: fd,
        labels: blocks
            .into_iter()
            .zip(sectors)
            .map(|(b, s)| EntryLabel::new(b, s))
            .collect(),
        row_country,
        z: matrix_file::read(&dir.join("z.f64"))?,
        y: matrix_file::read(&dir.join("y.f64"))?,
        x: Array1::from(x),
        primary_inputs,
    };
    table.validate().map_err(|e| ferr(dir, e))?;
    Ok(table)
}
