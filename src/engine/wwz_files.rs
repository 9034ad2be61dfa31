//! WWZ output streamed to disk exporter by exporter (reference §4; issue: ADB scale is
//! 63 × 35 × 62 flows × 16 terms a year). Two layouts:
//!
//! - **wide** Parquet (`wwz.parquet` in the decompose artifact, `gvc decompose --measures
//!   wwz --out x.parquet`): one row per record at the chosen [`WwzLevel`] with columns
//!   `country`, `sector`, `partner`, `year` and one column per measure of
//!   [`wwz::MEASURE_NAMES`] (without the `wwz.` prefix), one row group per exporter;
//! - **decompr** CSV or Parquet (`--layout decompr`): decompr's `wwz()` columns in its order
//!   ([`wwz::DECOMPR_COLUMNS`]), G·N·G rows including the all-zero domestic rows, so an
//!   existing R pipeline can read it in place of decompr's output.
//!
//! Only one exporter's records are in memory at a time; the files are written to a temporary
//! name and renamed into place when complete ([`via_temp_file`]), so a failure never leaves a
//! partial file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use polars::prelude::*;

use super::atomic::via_temp_file;
use super::csv_out::{Cell, CsvOut};
use super::frames::FrameError;
use crate::decompose::context::Context;
use crate::decompose::wwz::{self, DecomprRow, ExporterBlock, WwzLevel, WwzSummary};
use crate::decompose::{DecomposeError, MeasureRow};

/// An error while streaming WWZ: the decomposition itself, or writing the file.
#[derive(Debug, thiserror::Error)]
pub enum WwzFileError {
    #[error(transparent)]
    Decompose(#[from] DecomposeError),
    #[error(transparent)]
    Frame(#[from] FrameError),
}

fn ferr(path: &Path, e: impl std::fmt::Display) -> FrameError {
    FrameError {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Column names of the wide layout's measures: [`wwz::MEASURE_NAMES`] without `wwz.`.
pub fn wide_measure_columns() -> Vec<&'static str> {
    wwz::MEASURE_NAMES
        .iter()
        .map(|m| m.strip_prefix("wwz.").unwrap_or(m))
        .collect()
}

/// The wide frame of one exporter's block.
fn block_frame(
    ctx: &Context<'_>,
    block: &ExporterBlock,
    year: Option<i32>,
) -> Result<DataFrame, PolarsError> {
    let n = block.records.len();
    let exporter = ctx.country(block.exporter).to_string();
    let mut cols = vec![
        Column::new("country".into(), vec![exporter; n]),
        Column::new(
            "sector".into(),
            block
                .records
                .iter()
                .map(|r| r.sector.map(|q| ctx.sectors.sector[q].clone()))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "partner".into(),
            block
                .records
                .iter()
                .map(|r| r.importer.map(|c| ctx.country(c).to_string()))
                .collect::<Vec<_>>(),
        ),
        Column::new("year".into(), vec![year.map(i64::from); n]),
    ];
    let values: Vec<[f64; wwz::MEASURE_COUNT]> =
        block.records.iter().map(|r| r.values.measures()).collect();
    for (m, name) in wide_measure_columns().into_iter().enumerate() {
        cols.push(Column::new(
            name.into(),
            values.iter().map(|v| v[m]).collect::<Vec<_>>(),
        ));
    }
    DataFrame::new(n, cols)
}

fn wide_schema() -> Schema {
    let mut fields = vec![
        Field::new("country".into(), DataType::String),
        Field::new("sector".into(), DataType::String),
        Field::new("partner".into(), DataType::String),
        Field::new("year".into(), DataType::Int64),
    ];
    for name in wide_measure_columns() {
        fields.push(Field::new(name.into(), DataType::Float64));
    }
    Schema::from_iter(fields)
}

/// Streams WWZ at `level` into a wide Parquet file at `path` (one row group per exporter)
/// and returns the identities and country totals. `year` fills the `year` column.
pub fn write_wide_parquet(
    ctx: &Context<'_>,
    level: WwzLevel,
    year: Option<i32>,
    path: &Path,
) -> Result<WwzSummary, WwzFileError> {
    write_wide_parquet_with(ctx, level, year, path, &mut |_| {})
}

/// [`write_wide_parquet`], handing every exporter's block to `on_block` after it is written
/// (the `decompose` stage keeps a panel's unit-level rows this way, [`block_rows`]).
pub fn write_wide_parquet_with(
    ctx: &Context<'_>,
    level: WwzLevel,
    year: Option<i32>,
    path: &Path,
    on_block: &mut dyn FnMut(&ExporterBlock),
) -> Result<WwzSummary, WwzFileError> {
    via_temp_file(
        path,
        |tmp| {
            let file = File::create(tmp).map_err(|e| ferr(path, e))?;
            let mut buffered = BufWriter::new(file);
            let mut writer = ParquetWriter::new(&mut buffered)
                .batched(&wide_schema())
                .map_err(|e| ferr(path, e))?;
            let summary = wwz::stream(ctx, level, |block: ExporterBlock| {
                let df = block_frame(ctx, &block, year).map_err(|e| ferr(path, e))?;
                writer.write_batch(&df).map_err(|e| ferr(path, e))?;
                on_block(&block);
                Ok::<(), WwzFileError>(())
            })?;
            writer.finish().map_err(|e| ferr(path, e))?;
            drop(writer);
            flush_fully(buffered, path)?;
            Ok(summary)
        },
        |p, e| ferr(p, e).into(),
    )
}

/// The records of one exporter's block as long-form rows (`wwz.<measure>` with the record's
/// sector and importer): what a panel at the block's level reads.
pub fn block_rows(ctx: &Context<'_>, block: &ExporterBlock, out: &mut Vec<MeasureRow>) {
    let exporter = ctx.country(block.exporter);
    for r in &block.records {
        let sector = r.sector.map(|q| ctx.sectors.sector[q].clone());
        let partner = r.importer.map(|c| ctx.country(c).to_string());
        for (value, name) in r.values.measures().into_iter().zip(wwz::MEASURE_NAMES) {
            out.push(MeasureRow {
                country: exporter.to_string(),
                sector: sector.clone(),
                partner: partner.clone(),
                measure: name.to_string(),
                value,
            });
        }
    }
}

/// Flushes the buffer and syncs the file. A `BufWriter` dropped unflushed swallows its last
/// write error (a full disk), which would leave a truncated file looking written.
fn flush_fully(buffered: BufWriter<File>, path: &Path) -> Result<(), WwzFileError> {
    let file = buffered
        .into_inner()
        .map_err(|e| ferr(path, e.into_error()))?;
    file.sync_all().map_err(|e| ferr(path, e))?;
    Ok(())
}

/// Streams decompr's `wwz()` layout into `path`: CSV (header = [`wwz::DECOMPR_COLUMNS`],
/// numbers in shortest round-trip form) or Parquet by the extension.
pub fn write_decompr(ctx: &Context<'_>, path: &Path) -> Result<WwzSummary, WwzFileError> {
    let parquet = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    via_temp_file(
        path,
        |tmp| {
            let file = File::create(tmp).map_err(|e| ferr(path, e))?;
            if parquet {
                write_decompr_parquet(ctx, file, path)
            } else {
                write_decompr_csv(ctx, file, path)
            }
        },
        |p, e| ferr(p, e).into(),
    )
}

fn write_decompr_parquet(
    ctx: &Context<'_>,
    file: File,
    path: &Path,
) -> Result<WwzSummary, WwzFileError> {
    let mut fields = vec![
        Field::new(wwz::DECOMPR_COLUMNS[0].into(), DataType::String),
        Field::new(wwz::DECOMPR_COLUMNS[1].into(), DataType::String),
        Field::new(wwz::DECOMPR_COLUMNS[2].into(), DataType::String),
    ];
    for name in &wwz::DECOMPR_COLUMNS[3..] {
        fields.push(Field::new((*name).into(), DataType::Float64));
    }
    let mut buffered = BufWriter::new(file);
    let mut writer = ParquetWriter::new(&mut buffered)
        .batched(&Schema::from_iter(fields))
        .map_err(|e| ferr(path, e))?;
    let summary = wwz::decompr_stream(ctx, |rows: Vec<DecomprRow>| {
        let df = decompr_frame(&rows).map_err(|e| ferr(path, e))?;
        writer.write_batch(&df).map_err(|e| ferr(path, e))?;
        Ok::<(), WwzFileError>(())
    })?;
    writer.finish().map_err(|e| ferr(path, e))?;
    drop(writer);
    flush_fully(buffered, path)?;
    Ok(summary)
}

/// CSV with the header [`wwz::DECOMPR_COLUMNS`] and numbers in shortest round-trip form
/// ([`super::csv_out`]).
fn write_decompr_csv(
    ctx: &Context<'_>,
    file: File,
    path: &Path,
) -> Result<WwzSummary, WwzFileError> {
    let mut out =
        CsvOut::new(BufWriter::new(file), &wwz::DECOMPR_COLUMNS).map_err(|e| ferr(path, e))?;
    let summary = wwz::decompr_stream(ctx, |rows: Vec<DecomprRow>| {
        for r in rows {
            let head = [
                Cell::Text(&r.exporting_country),
                Cell::Text(&r.exporting_industry),
                Cell::Text(&r.importing_country),
            ];
            out.row(
                head.into_iter()
                    .chain(r.values.iter().map(|v| Cell::Num(*v))),
            )
            .map_err(|e| ferr(path, e))?;
        }
        Ok::<(), WwzFileError>(())
    })?;
    out.finish()
        .and_then(|mut w| w.flush().map_err(csv::Error::from))
        .map_err(|e| ferr(path, e))?;
    Ok(summary)
}

fn decompr_frame(rows: &[DecomprRow]) -> Result<DataFrame, PolarsError> {
    let n = rows.len();
    let mut cols = vec![
        Column::new(
            wwz::DECOMPR_COLUMNS[0].into(),
            rows.iter()
                .map(|r| r.exporting_country.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            wwz::DECOMPR_COLUMNS[1].into(),
            rows.iter()
                .map(|r| r.exporting_industry.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            wwz::DECOMPR_COLUMNS[2].into(),
            rows.iter()
                .map(|r| r.importing_country.clone())
                .collect::<Vec<_>>(),
        ),
    ];
    for (c, name) in wwz::DECOMPR_COLUMNS[3..].iter().enumerate() {
        cols.push(Column::new(
            (*name).into(),
            rows.iter().map(|r| r.values[c]).collect::<Vec<_>>(),
        ));
    }
    DataFrame::new(n, cols)
}

/// The country totals of a WWZ stream as long-form rows (`wwz.<measure>`, no sector or
/// partner): what the panel reads whatever `wwz_level` keeps in the wide file.
pub fn country_rows(ctx: &Context<'_>, summary: &WwzSummary) -> Vec<MeasureRow> {
    let mut rows = Vec::with_capacity(wwz::MEASURE_COUNT * summary.country.len());
    for (m, name) in wwz::MEASURE_NAMES.iter().enumerate() {
        for (s, values) in summary.country.iter().enumerate() {
            rows.push(MeasureRow {
                country: ctx.country(s).to_string(),
                sector: None,
                partner: None,
                measure: name.to_string(),
                value: values.measures()[m],
            });
        }
    }
    rows
}
