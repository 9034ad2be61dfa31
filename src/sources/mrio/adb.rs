//! The `adb-xlsx` reader: ADB MRIO Excel workbooks, 62- and 72-economy editions
//! (reference/decomposition.md §8.1; shared/data/adb_layout/README.md).
//!
//! The layout is located from the codes in the sheet, not from fixed cell addresses, so small
//! differences between editions (more economies, extra columns right of the total, blank
//! cells) still parse:
//! 1. the column-code row is the first row (of the first `header_search_rows`) holding the
//!    first final-demand code (`F1`); the economy-code row is the row above it;
//! 2. the first data column is the first coded column of that row (a sector code, `c1`);
//! 3. the label columns are found left of the data: the sector-code column holds the first
//!    column's sector code in the first data row, the economy column (left of it) its economy;
//! 4. country-sector rows run down to the first row whose economy cell is blank or `ToT`;
//!    the bottom rows follow (`r60` total intermediate consumption … `r69` total output);
//!    the rows strictly between `r60` and `r69` are the primary inputs (their sum is
//!    va = x − colSums(Z), reference §9 pitfall 2);
//! 5. columns are classified by their (economy, code) header pair: a final-demand code, the
//!    total code `ToT` (columns right of it are ignored), or a country-sector label that must
//!    match a row (the intermediate block must be square).
//!
//! Blank cells and whitespace-only text cells (seen in some ADB years) are 0; any other text
//! in the data block is an error naming the sheet and cell. Negative final demand (F5,
//! inventories) is kept; negative gross output is an error; zero-output rows are allowed.
//!
//! Modules, each importing only those listed before it: `options` ([`AdbOptions`]), `grid`
//! (the sheet held in memory), `layout` (finding the header rows, label columns, entry rows,
//! bottom rows and the column of every block), `assemble` (reading the blocks into an
//! [`IoTable`] and checking gross output); this file opens the workbook and picks the sheet.

mod assemble;
mod grid;
mod layout;
mod options;

use std::path::Path;

use calamine::{open_workbook, Reader, Xlsx, XlsxError};

use super::{glob_match, MagnitudeGuard};
use crate::iot::IoTable;
use crate::sources::SourceError;
use grid::load_grid;
use layout::Ctx;

pub use options::AdbOptions;

/// Reads the ADB MRIO table of `path` (see the module documentation for how the layout is
/// found). `year` picks the sheet `ADB MRIO <year>` when the workbook has several.
pub fn read(path: &Path, year: Option<i32>, options: &AdbOptions) -> Result<IoTable, SourceError> {
    if options.fd_codes.is_empty() {
        return Err(SourceError::Layout {
            path: path.to_path_buf(),
            message: "option `fd_codes` is empty".into(),
            fix: Some(
                "list the final-demand codes, e.g. [\"F1\", \"F2\", \"F3\", \"F4\", \"F5\"]".into(),
            ),
        });
    }
    let mut workbook = open(path)?;
    let sheet = choose_sheet(path, &workbook.sheet_names(), year, options)?;
    let grid = load_grid(path, &mut workbook, &sheet)?;
    let ctx = Ctx {
        path,
        sheet: &sheet,
        options,
        grid: &grid,
        magnitude: MagnitudeGuard::default(),
    };
    let layout = ctx.locate()?;
    let table = ctx.assemble(&layout, year)?;
    table.validate().map_err(|source| SourceError::Table {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(table)
}

/// The name of the sheet [`read`] reads for `year` (opens the workbook, reads no cells).
pub fn data_sheet(
    path: &Path,
    year: Option<i32>,
    options: &AdbOptions,
) -> Result<String, SourceError> {
    let workbook: Xlsx<_> = open_workbook(path).map_err(|e| workbook_error(path, e))?;
    choose_sheet(path, &workbook.sheet_names(), year, options)
}

/// Opens an .xlsx workbook with calamine, with the reader's error for an unreadable file.
pub fn open(path: &Path) -> Result<Xlsx<std::io::BufReader<std::fs::File>>, SourceError> {
    open_workbook(path).map_err(|e| workbook_error(path, e))
}

fn workbook_error(path: &Path, e: XlsxError) -> SourceError {
    match e {
        XlsxError::Io(source) => SourceError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => SourceError::Layout {
            path: path.to_path_buf(),
            message: format!("not a readable .xlsx workbook: {other}"),
            fix: Some("the adb-xlsx reader needs an Excel 2007+ (.xlsx) file".into()),
        },
    }
}

fn choose_sheet(
    path: &Path,
    names: &[String],
    year: Option<i32>,
    options: &AdbOptions,
) -> Result<String, SourceError> {
    let layout = |message: String, fix: String| SourceError::Layout {
        path: path.to_path_buf(),
        message,
        fix: Some(fix),
    };
    if let Some(s) = &options.sheet {
        return names.iter().find(|n| *n == s).cloned().ok_or_else(|| {
            layout(
                format!("no sheet named `{s}` (sheets: {})", names.join(", ")),
                "correct the `sheet` option".into(),
            )
        });
    }
    if let Some(y) = year {
        if let Some(n) = names.iter().find(|n| n.trim() == format!("ADB MRIO {y}")) {
            return Ok(n.clone());
        }
    }
    let adb: Vec<&String> = names
        .iter()
        .filter(|n| glob_match("ADB MRIO*", n.trim()))
        .collect();
    match adb.as_slice() {
        [one] => {
            let sheet_year = one
                .trim()
                .rsplit(' ')
                .next()
                .and_then(|t| t.parse::<i32>().ok());
            if let (Some(y), Some(sy)) = (year, sheet_year) {
                if y != sy {
                    return Err(layout(
                        format!("the workbook's data sheet is `{one}` but year {y} was asked for"),
                        "check that the `files` pattern picks this year's file".into(),
                    ));
                }
            }
            Ok((*one).clone())
        }
        [] => names
            .iter()
            .find(|n| !n.trim().eq_ignore_ascii_case("legend"))
            .cloned()
            .ok_or_else(|| {
                layout(
                    "the workbook has no data sheet".into(),
                    "check the file".into(),
                )
            }),
        several => Err(layout(
            format!(
                "several ADB MRIO sheets: {}",
                several
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "name the one to read with the `sheet` option".into(),
        )),
    }
}
