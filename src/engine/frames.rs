//! Artifacts as Parquet: the canonical table and dense matrices written as polars frames.
//! Matrices are stored column-major in one `value` column (with their shape in the frame's
//! `rows`/`cols` companion file) — one column chunk instead of thousands keeps writing a
//! 2205×2205 matrix fast. A matrix reads back as a column-major `ndarray` array over the
//! column's buffer, without reordering.

use std::fs::File;
use std::path::Path;

use ndarray::{Array1, Array2, ArrayRef2, ShapeBuilder};
use polars::prelude::*;

use crate::iot::{EntryLabel, IoTable};

/// A Parquet read or write failure, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct FrameError {
    pub path: std::path::PathBuf,
    pub message: String,
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

/// A dense matrix as a frame: `value` column-major, plus its shape as a one-row frame file.
pub fn write_matrix(path: &Path, m: &ArrayRef2<f64>) -> Result<(), FrameError> {
    let (r, c) = (m.nrows(), m.ncols());
    // Mᵀ in row-major order is M in column-major order (one memcpy-like pass when M is
    // column-major already).
    let values: Vec<f64> = m.t().iter().copied().collect();
    let shape = vec![r as i64, c as i64];
    let n = values.len();
    let mut df =
        DataFrame::new(n, vec![Column::new("value".into(), values)]).map_err(|e| ferr(path, e))?;
    write_parquet(path, &mut df)?;
    let shape_path = path.with_extension("shape.parquet");
    let mut sdf = DataFrame::new(2, vec![Column::new("dim".into(), shape)])
        .map_err(|e| ferr(&shape_path, e))?;
    write_parquet(&shape_path, &mut sdf)
}

/// Reads a matrix written by [`write_matrix`].
pub fn read_matrix(path: &Path) -> Result<Array2<f64>, FrameError> {
    let shape_path = path.with_extension("shape.parquet");
    let sdf = read_parquet(&shape_path)?;
    let dims: Vec<i64> = sdf
        .column("dim")
        .and_then(|c| c.i64().map(|ca| ca.into_no_null_iter().collect()))
        .map_err(|e| ferr(&shape_path, e))?;
    let [r, c] = dims[..] else {
        return Err(ferr(&shape_path, "shape must have two entries"));
    };
    let (r, c) = (r as usize, c as usize);
    let df = read_parquet(path)?;
    let values = f64_col(&df, "value", path)?;
    if values.len() != r * c {
        return Err(ferr(
            path,
            format!("{} values for a {r}x{c} matrix", values.len()),
        ));
    }
    Array2::from_shape_vec((r, c).f(), values).map_err(|e| ferr(path, e))
}

/// Writes an [`IoTable`] into a folder: `entries.parquet` (block, sector, country, x and one
/// column per primary-input row), `dims.parquet` (countries, final-demand categories, year),
/// `z.parquet`, `y.parquet`.
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
    write_matrix(&dir.join("z.parquet"), &t.z)?;
    write_matrix(&dir.join("y.parquet"), &t.y)
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
        z: read_matrix(&dir.join("z.parquet"))?,
        y: read_matrix(&dir.join("y.parquet"))?,
        x: Array1::from(x),
        primary_inputs,
    };
    table.validate().map_err(|e| ferr(dir, e))?;
    Ok(table)
}
