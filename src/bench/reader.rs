//! How fast the `adb-xlsx` reader reads a workbook against calamine's own cell reader on the
//! same sheet (issue #19: ≥ 80 % of calamine's raw cell-read speed). The raw pass opens the
//! workbook and visits every cell of the data sheet, keeping only a count and a sum; the
//! reader's pass is the whole [`adb::read`]: cells into a grid, layout located, the table
//! assembled and validated.

use std::path::Path;
use std::time::Instant;

use calamine::DataRef;
use serde::Serialize;

use super::median;
use crate::sources::mrio::adb::{self, AdbOptions};
use crate::sources::SourceError;

/// Median seconds of `repeat` passes of each kind over one workbook.
#[derive(Debug, Clone, Serialize)]
pub struct ReaderReport {
    pub sheet: String,
    pub bytes: u64,
    /// Cells calamine yields (blank cells with a style included).
    pub cells: u64,
    /// Entries n of the table the reader assembled.
    pub n: usize,
    /// calamine: open the workbook and visit every cell of the sheet.
    pub calamine_cells_seconds: f64,
    /// `adb-xlsx`: the whole read (cells, layout, table, validation).
    pub adb_xlsx_seconds: f64,
    /// calamine_cells_seconds / adb_xlsx_seconds: the reader's share of calamine's speed.
    pub adb_speed_over_calamine: f64,
}

/// Times calamine's raw cell pass and the `adb-xlsx` reader on `path`, `repeat` times each
/// (alternating, so both see the same page cache), and reports the medians.
pub fn bench_adb_reader(
    path: &Path,
    year: Option<i32>,
    options: &AdbOptions,
    repeat: usize,
) -> Result<ReaderReport, SourceError> {
    let sheet = adb::data_sheet(path, year, options)?;
    let bytes = std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|source| SourceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let (mut raw, mut full) = (Vec::new(), Vec::new());
    let (mut cells, mut n) = (0, 0);
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        cells = visit_cells(path, &sheet)?;
        raw.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        n = adb::read(path, year, options)?.n();
        full.push(t.elapsed().as_secs_f64());
    }
    let (raw, full) = (median(&raw), median(&full));
    Ok(ReaderReport {
        sheet,
        bytes,
        cells,
        n,
        calamine_cells_seconds: raw,
        adb_xlsx_seconds: full,
        adb_speed_over_calamine: raw / full,
    })
}

/// Opens the workbook and visits every cell of `sheet` with calamine's streaming reader,
/// summing the numbers so the pass cannot be optimised away; returns the number of cells.
fn visit_cells(path: &Path, sheet: &str) -> Result<u64, SourceError> {
    let error = |e: calamine::XlsxError| SourceError::Layout {
        path: path.to_path_buf(),
        message: format!("sheet `{sheet}` cannot be read: {e}"),
        fix: None,
    };
    let mut workbook = adb::open(path)?;
    let mut reader = workbook.worksheet_cells_reader(sheet).map_err(error)?;
    let (mut count, mut sum) = (0u64, 0.0f64);
    while let Some(cell) = reader.next_cell().map_err(error)? {
        count += 1;
        if let DataRef::Float(f) = cell.get_value() {
            sum += f;
        }
    }
    std::hint::black_box(sum);
    Ok(count)
}
