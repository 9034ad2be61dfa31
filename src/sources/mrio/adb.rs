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

use std::collections::HashMap;
use std::path::Path;

use calamine::{open_workbook, DataRef, Reader, Xlsx, XlsxError};
use ndarray::{Array1, Array2};
use serde::Deserialize;

use super::{glob_match, outputs_agree, MagnitudeGuard, OutputSource, MAGNITUDE_FIX};
use crate::iot::{dense, EntryLabel, IoTable};
use crate::sources::error::a1;
use crate::sources::SourceError;

/// Options of the `adb-xlsx` reader. Every key is optional:
///
/// | key | default | meaning |
/// |---|---|---|
/// | `sheet` | auto | data sheet name; by default `ADB MRIO <year>`, else the only `ADB MRIO*` sheet, else the first sheet that is not `Legend` |
/// | `fd_codes` | `["F1".."F5"]` | final-demand category codes in the column-code row (ADB: households, NPISH, government, GFCF, inventories) |
/// | `total_code` | `"ToT"` | code of the total-output column, and economy label of the bottom rows |
/// | `intermediate_total_row` | `"r60"` | code of the first bottom row (total intermediate consumption) |
/// | `output_row` | `"r69"` | code of the total-output bottom row |
/// | `output` | `"table"` | `table`: x = the `ToT` column; `row-sums`: x = rowSums(Z) + rowSums(Y) |
/// | `output_tolerance` | `1e-6` | relative tolerance of the check `r69` row = `ToT` column |
/// | `economies` | any | expected number of economies incl. RoW (63 for the 62-economy edition, 73 for the 72-economy one) |
/// | `header_search_rows` | `50` | how many top rows are searched for the column-code row |
///
/// Codes are compared case-insensitively after trimming.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdbOptions {
    /// Data sheet name (default: found as described above).
    pub sheet: Option<String>,
    /// Final-demand codes, in category order.
    pub fd_codes: Vec<String>,
    /// Code of the total column and economy label of the bottom rows.
    pub total_code: String,
    /// Code of the total-intermediate-consumption bottom row.
    pub intermediate_total_row: String,
    /// Code of the total-output bottom row.
    pub output_row: String,
    /// Where gross output comes from.
    pub output: OutputSource,
    /// Relative tolerance of the total row vs total column check.
    pub output_tolerance: f64,
    /// Expected number of economies including RoW.
    pub economies: Option<usize>,
    /// Number of top rows searched for the column-code row.
    pub header_search_rows: usize,
}

impl Default for AdbOptions {
    fn default() -> Self {
        AdbOptions {
            sheet: None,
            fd_codes: (1..=5).map(|f| format!("F{f}")).collect(),
            total_code: "ToT".into(),
            intermediate_total_row: "r60".into(),
            output_row: "r69".into(),
            output: OutputSource::Table,
            output_tolerance: 1e-6,
            economies: None,
            header_search_rows: 50,
        }
    }
}

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
    let mut workbook: Xlsx<_> = open_workbook(path).map_err(|e| workbook_error(path, e))?;
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

/// A non-numeric cell: text, or another kind (boolean, error) described for messages.
#[derive(Debug, Clone)]
enum NonNumber {
    Text(String),
    Other(String),
}

/// The sheet held in memory: per row, numbers densely (NaN where the cell is not a number,
/// 0 where blank) and the non-numeric cells sparsely, sorted by column.
struct Grid {
    numbers: Vec<Vec<f64>>,
    others: Vec<Vec<(u32, NonNumber)>>,
}

/// What a data cell holds when it is not a usable number.
enum CellIssue<'g> {
    Text(&'g str),
    Other(&'g str),
    NotFinite(f64),
}

impl Grid {
    fn nrows(&self) -> usize {
        self.numbers.len().max(self.others.len())
    }

    fn other(&self, r: u32, c: u32) -> Option<&NonNumber> {
        let row = self.others.get(r as usize)?;
        row.binary_search_by_key(&c, |(col, _)| *col)
            .ok()
            .map(|k| &row[k].1)
    }

    /// Trimmed, non-empty text of a cell.
    fn text(&self, r: u32, c: u32) -> Option<&str> {
        match self.other(r, c) {
            Some(NonNumber::Text(s)) if !s.trim().is_empty() => Some(s.trim()),
            _ => None,
        }
    }

    /// Numeric value of a data cell: blank and whitespace-only text are 0.
    fn value(&self, r: u32, c: u32) -> Result<f64, CellIssue<'_>> {
        let v = self
            .numbers
            .get(r as usize)
            .and_then(|row| row.get(c as usize))
            .copied()
            .unwrap_or(0.0);
        if v.is_finite() {
            return Ok(v);
        }
        match self.other(r, c) {
            Some(NonNumber::Text(s)) if s.trim().is_empty() => Ok(0.0),
            Some(NonNumber::Text(s)) => Err(CellIssue::Text(s)),
            Some(NonNumber::Other(s)) => Err(CellIssue::Other(s)),
            None => Err(CellIssue::NotFinite(v)),
        }
    }

    /// Columns (ascending) of the text cells of row `r`.
    fn text_columns(&self, r: u32) -> Vec<u32> {
        self.others
            .get(r as usize)
            .map(|row| {
                row.iter()
                    .filter(|(_, v)| matches!(v, NonNumber::Text(s) if !s.trim().is_empty()))
                    .map(|(c, _)| *c)
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn load_grid<R: std::io::Read + std::io::Seek>(
    path: &Path,
    workbook: &mut Xlsx<R>,
    sheet: &str,
) -> Result<Grid, SourceError> {
    let sheet_error = |e: XlsxError| SourceError::Layout {
        path: path.to_path_buf(),
        message: format!("sheet `{sheet}` cannot be read: {e}"),
        fix: None,
    };
    let mut reader = workbook
        .worksheet_cells_reader(sheet)
        .map_err(sheet_error)?;
    let mut grid = Grid {
        numbers: Vec::new(),
        others: Vec::new(),
    };
    while let Some(cell) = reader.next_cell().map_err(sheet_error)? {
        let (r, c) = cell.get_position();
        let (r, c) = (r as usize, c as usize);
        let number = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::Int(i) => Ok(*i as f64),
            DataRef::Float(f) => Ok(*f),
            DataRef::DateTime(d) => Ok(d.as_f64()),
            DataRef::String(s) => Err(NonNumber::Text(s.clone())),
            DataRef::SharedString(s) => Err(NonNumber::Text((*s).to_string())),
            other => Err(NonNumber::Other(format!("{other:?}"))),
        };
        if grid.numbers.len() <= r {
            grid.numbers.resize_with(r + 1, Vec::new);
        }
        let row = &mut grid.numbers[r];
        if row.len() <= c {
            row.resize(c + 1, 0.0);
        }
        match number {
            Ok(v) => row[c] = v,
            Err(non) => {
                row[c] = f64::NAN;
                if grid.others.len() <= r {
                    grid.others.resize_with(r + 1, Vec::new);
                }
                let others = &mut grid.others[r];
                // The XML lists cells in column order; keep the row sorted even if it does not.
                match others.binary_search_by_key(&(c as u32), |(col, _)| *col) {
                    Ok(k) => others[k].1 = non,
                    Err(k) => others.insert(k, (c as u32, non)),
                }
            }
        }
    }
    Ok(grid)
}

/// Where the parts of the table are (0-based sheet rows and columns).
struct Layout {
    sector_col: u32,
    /// Sheet row of each country-sector entry.
    entry_rows: Vec<u32>,
    labels: Vec<EntryLabel>,
    countries: Vec<String>,
    row_country: Vec<usize>,
    /// Bottom rows strictly between r60 and r69: (sheet row, code).
    primary_rows: Vec<(u32, String)>,
    output_row: u32,
    /// Sheet column of the intermediate column of each entry.
    intermediate_cols: Vec<u32>,
    /// Sheet column of final-demand (country c, category f) at c·F + f.
    fd_cols: Vec<u32>,
    total_col: Option<u32>,
}

struct Ctx<'a> {
    path: &'a Path,
    sheet: &'a str,
    options: &'a AdbOptions,
    grid: &'a Grid,
    /// Σ|cell| of the data cells read so far.
    magnitude: MagnitudeGuard,
}

fn same_code(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl<'a> Ctx<'a> {
    fn cell_error(&self, r: u32, c: u32, message: String, fix: Option<String>) -> SourceError {
        SourceError::Cell {
            path: self.path.to_path_buf(),
            sheet: self.sheet.to_string(),
            cell: a1(r as usize, c as usize),
            message,
            fix,
        }
    }

    fn is_fd(&self, code: &str) -> bool {
        self.options.fd_codes.iter().any(|f| same_code(f, code))
    }

    fn is_total(&self, code: &str) -> bool {
        same_code(&self.options.total_code, code)
    }

    fn locate(&self) -> Result<Layout, SourceError> {
        let (code_row, first_col) = self.find_code_row()?;
        let econ_row = code_row - 1;
        let first_code = self
            .grid
            .text(code_row, first_col)
            .unwrap_or_default()
            .to_string();
        let first_econ = self.grid.text(econ_row, first_col).ok_or_else(|| {
            self.cell_error(
                econ_row,
                first_col,
                format!("expected the economy code of the first data column (above sector code `{first_code}`)"),
                Some("the economy-code row must be directly above the column-code row".into()),
            )
        })?;
        let (econ_col, sector_col) =
            self.find_label_columns(code_row + 1, first_col, first_econ, &first_code)?;
        let (entry_rows, labels, countries, row_country) =
            self.entry_rows(code_row + 1, econ_col, sector_col)?;
        if let Some(expected) = self.options.economies {
            if countries.len() != expected {
                return Err(SourceError::Layout {
                    path: self.path.to_path_buf(),
                    message: format!(
                        "sheet `{}` has {} economies but option `economies` expects {expected}",
                        self.sheet,
                        countries.len()
                    ),
                    fix: Some("check the edition of the file (62-economy tables have 63 incl. RoW, 72-economy 73)".into()),
                });
            }
        }
        let after = code_row + 1 + entry_rows.len() as u32;
        let (primary_rows, output_row) = self.bottom_rows(after, sector_col)?;
        let (intermediate_cols, fd_cols, total_col) = self.classify_columns(
            econ_row,
            code_row,
            first_col,
            &entry_rows,
            &labels,
            &countries,
            sector_col,
        )?;
        Ok(Layout {
            sector_col,
            entry_rows,
            labels,
            countries,
            row_country,
            primary_rows,
            output_row,
            intermediate_cols,
            fd_cols,
            total_col,
        })
    }

    /// The column-code row: the first row holding the first final-demand code.
    fn find_code_row(&self) -> Result<(u32, u32), SourceError> {
        let f1 = &self.options.fd_codes[0];
        let limit = self.grid.nrows().min(self.options.header_search_rows) as u32;
        for r in 0..limit {
            let cols = self.grid.text_columns(r);
            if !cols
                .iter()
                .any(|&c| self.grid.text(r, c).is_some_and(|t| same_code(t, f1)))
            {
                continue;
            }
            if r == 0 {
                return Err(self.cell_error(
                    0,
                    cols[0],
                    format!("column codes (`{f1}`) in the first row leave no room for the economy-code row above them"),
                    None,
                ));
            }
            let first_col = cols[0];
            let code = self.grid.text(r, first_col).unwrap_or_default();
            if self.is_fd(code) || self.is_total(code) {
                return Err(self.cell_error(
                    r,
                    first_col,
                    format!(
                        "expected a sector code (e.g. c1) as the first column code, found `{code}`"
                    ),
                    Some(
                        "the intermediate columns must come before the final-demand columns".into(),
                    ),
                ));
            }
            return Ok((r, first_col));
        }
        Err(self.cell_error(
            6,
            4,
            format!(
                "expected the column-code row (sector codes c1.., final-demand codes {}, {}) in the first {limit} rows; no cell holds `{f1}`",
                self.options.fd_codes.join(", "),
                self.options.total_code
            ),
            Some("is this an ADB MRIO sheet? set `sheet` or `fd_codes` if the codes differ".into()),
        ))
    }

    /// The economy and sector label columns, left of the data, matched on the first data row.
    fn find_label_columns(
        &self,
        row: u32,
        first_col: u32,
        econ: &str,
        code: &str,
    ) -> Result<(u32, u32), SourceError> {
        let expect_left = |col: u32, what: String| {
            self.cell_error(
                row,
                col,
                what,
                Some("the first country-sector row must carry the same economy and sector codes as the first data column".into()),
            )
        };
        let sector_col = (0..first_col)
            .rev()
            .find(|&c| self.grid.text(row, c).is_some_and(|t| same_code(t, code)))
            .ok_or_else(|| {
                expect_left(
                    first_col.saturating_sub(1),
                    format!("expected sector code `{code}` (the code of the first data column) in a label column left of the data"),
                )
            })?;
        let econ_col = (0..sector_col)
            .rev()
            .find(|&c| self.grid.text(row, c).is_some_and(|t| same_code(t, econ)))
            .ok_or_else(|| {
                expect_left(
                    sector_col.saturating_sub(1),
                    format!(
                        "expected economy code `{econ}` in a label column left of the sector codes"
                    ),
                )
            })?;
        Ok((econ_col, sector_col))
    }

    #[allow(clippy::type_complexity)]
    fn entry_rows(
        &self,
        first: u32,
        econ_col: u32,
        sector_col: u32,
    ) -> Result<(Vec<u32>, Vec<EntryLabel>, Vec<String>, Vec<usize>), SourceError> {
        let mut rows = Vec::new();
        let mut labels: Vec<EntryLabel> = Vec::new();
        let mut countries: Vec<String> = Vec::new();
        let mut country_index: HashMap<String, usize> = HashMap::new();
        let mut row_country = Vec::new();
        let mut seen: HashMap<EntryLabel, u32> = HashMap::new();
        let mut r = first;
        while (r as usize) < self.grid.nrows() {
            let Some(econ) = self.grid.text(r, econ_col) else {
                break;
            };
            if self.is_total(econ) {
                break;
            }
            let sector = self.grid.text(r, sector_col).ok_or_else(|| {
                self.cell_error(
                    r,
                    sector_col,
                    format!("expected a sector code for economy `{econ}`"),
                    None,
                )
            })?;
            let label = EntryLabel::new(econ, sector);
            if let Some(prev) = seen.insert(label.clone(), r) {
                return Err(self.cell_error(
                    r,
                    sector_col,
                    format!(
                        "duplicate row `{econ} {sector}` (first in row {})",
                        prev + 1
                    ),
                    None,
                ));
            }
            let c = *country_index.entry(econ.to_string()).or_insert_with(|| {
                countries.push(econ.to_string());
                countries.len() - 1
            });
            row_country.push(c);
            labels.push(label);
            rows.push(r);
            r += 1;
        }
        Ok((rows, labels, countries, row_country))
    }

    /// Bottom rows from `start`: must contain r60 then r69; returns the rows between them and r69.
    fn bottom_rows(
        &self,
        start: u32,
        sector_col: u32,
    ) -> Result<(Vec<(u32, String)>, u32), SourceError> {
        let mut bottom: Vec<(u32, String)> = Vec::new();
        let mut r = start;
        while let Some(code) = self.grid.text(r, sector_col) {
            bottom.push((r, code.to_string()));
            r += 1;
        }
        let (r60, r69) = (
            &self.options.intermediate_total_row,
            &self.options.output_row,
        );
        let i60 = bottom.iter().position(|(_, c)| same_code(c, r60)).ok_or_else(|| {
            self.cell_error(
                start,
                sector_col,
                format!(
                    "expected bottom row `{r60}` (total intermediate consumption) after the last country-sector row, found {}",
                    bottom.first().map_or("nothing".to_string(), |(_, c)| format!("`{c}`"))
                ),
                Some("the ADB layout closes with rows r60 … r69 labelled ToT".into()),
            )
        })?;
        let i69 = bottom
            .iter()
            .skip(i60 + 1)
            .position(|(_, c)| same_code(c, r69))
            .map(|k| k + i60 + 1)
            .ok_or_else(|| {
                self.cell_error(
                    r,
                    sector_col,
                    format!("expected bottom row `{r69}` (total output) after `{r60}`"),
                    Some("the ADB layout closes with rows r60 … r69 labelled ToT".into()),
                )
            })?;
        Ok((bottom[i60 + 1..i69].to_vec(), bottom[i69].0))
    }

    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn classify_columns(
        &self,
        econ_row: u32,
        code_row: u32,
        first_col: u32,
        entry_rows: &[u32],
        labels: &[EntryLabel],
        countries: &[String],
        sector_col: u32,
    ) -> Result<(Vec<u32>, Vec<u32>, Option<u32>), SourceError> {
        let entry_index: HashMap<(String, String), usize> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                (
                    (l.block.to_ascii_lowercase(), l.sector.to_ascii_lowercase()),
                    i,
                )
            })
            .collect();
        let country_index: HashMap<String, usize> = countries
            .iter()
            .enumerate()
            .map(|(i, c)| (c.to_ascii_lowercase(), i))
            .collect();
        let nf = self.options.fd_codes.len();
        let mut intermediate: Vec<Option<u32>> = vec![None; labels.len()];
        let mut fd: Vec<Option<u32>> = vec![None; countries.len() * nf];
        let mut total_col = None;
        let last = self
            .grid
            .text_columns(code_row)
            .last()
            .copied()
            .unwrap_or(first_col);
        let mut col = first_col;
        while col <= last {
            let code = self.grid.text(code_row, col).ok_or_else(|| {
                self.cell_error(
                    code_row,
                    col,
                    format!(
                        "expected a column code (sector code, {} or {}) in the column-code row",
                        self.options.fd_codes.join("/"),
                        self.options.total_code
                    ),
                    None,
                )
            })?;
            if self.is_total(code) {
                total_col = Some(col);
                break;
            }
            let econ = self.grid.text(econ_row, col).ok_or_else(|| {
                self.cell_error(
                    econ_row,
                    col,
                    format!("expected the economy code of column `{code}`"),
                    None,
                )
            })?;
            if self.is_fd(code) {
                let c = *country_index.get(&econ.to_ascii_lowercase()).ok_or_else(|| {
                    self.cell_error(
                        econ_row,
                        col,
                        format!("final-demand column for economy `{econ}`, which has no rows in the table"),
                        None,
                    )
                })?;
                let f = self
                    .options
                    .fd_codes
                    .iter()
                    .position(|x| same_code(x, code))
                    .unwrap_or(0);
                let slot = &mut fd[c * nf + f];
                if let Some(prev) = slot {
                    return Err(self.cell_error(
                        code_row,
                        col,
                        format!(
                            "duplicate final-demand column `{econ} {code}` (first in column {})",
                            a1(code_row as usize, *prev as usize)
                        ),
                        None,
                    ));
                }
                *slot = Some(col);
            } else {
                let i = *entry_index
                    .get(&(econ.to_ascii_lowercase(), code.to_ascii_lowercase()))
                    .ok_or_else(|| {
                        self.cell_error(
                            code_row,
                            col,
                            format!("column `{econ} {code}` has no country-sector row with the same codes (the intermediate block must be square: one column per row)"),
                            Some("add the missing row or remove the column".into()),
                        )
                    })?;
                if let Some(prev) = intermediate[i] {
                    return Err(self.cell_error(
                        code_row,
                        col,
                        format!(
                            "duplicate column `{econ} {code}` (first at {})",
                            a1(code_row as usize, prev as usize)
                        ),
                        None,
                    ));
                }
                intermediate[i] = Some(col);
            }
            col += 1;
        }
        let intermediate = intermediate
            .iter()
            .enumerate()
            .map(|(i, c)| {
                c.ok_or_else(|| {
                    self.cell_error(
                        entry_rows[i],
                        sector_col,
                        format!("row `{} {}` has no intermediate column with the same codes (the intermediate block must be square: one column per row)", labels[i].block, labels[i].sector),
                        Some("add the missing column or remove the row".into()),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let fd = fd
            .iter()
            .enumerate()
            .map(|(k, c)| {
                c.ok_or_else(|| {
                    self.cell_error(
                        code_row,
                        col,
                        format!(
                            "missing final-demand column `{} {}` (every economy needs {})",
                            countries[k / nf],
                            self.options.fd_codes[k % nf],
                            self.options.fd_codes.join(", ")
                        ),
                        None,
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if total_col.is_none() && self.options.output == OutputSource::Table {
            return Err(self.cell_error(
                code_row,
                col,
                format!(
                    "expected the total-output column `{}` after the final-demand columns",
                    self.options.total_code
                ),
                Some("add the total column, or set output = \"row-sums\"".into()),
            ));
        }
        Ok((intermediate, fd, total_col))
    }

    /// A data cell's number (blank = 0), counted against
    /// [`MAX_TABLE_MAGNITUDE`](super::MAX_TABLE_MAGNITUDE); errors
    /// name the sheet!cell.
    fn number(&self, r: u32, c: u32, what: &str) -> Result<f64, SourceError> {
        let v = self.grid.value(r, c).map_err(|issue| {
            let found = match issue {
                CellIssue::Text(s) => format!("text `{s}`"),
                CellIssue::Other(s) => s.to_string(),
                CellIssue::NotFinite(v) => format!("{v}"),
            };
            self.cell_error(
                r,
                c,
                format!("expected a number in the {what}, found {found}"),
                Some("data cells must be numbers (blank = 0)".into()),
            )
        })?;
        self.magnitude.add(v).map_err(|m| {
            self.cell_error(r, c, format!("{what}: {m}"), Some(MAGNITUDE_FIX.into()))
        })?;
        Ok(v)
    }

    fn assemble(&self, l: &Layout, year: Option<i32>) -> Result<IoTable, SourceError> {
        let n = l.labels.len();
        let g = l.countries.len();
        let nf = self.options.fd_codes.len();
        let mut z = dense::zeros(n, n);
        for (j, &col) in l.intermediate_cols.iter().enumerate() {
            let dst = dense::column_mut(&mut z, j);
            for (i, &row) in l.entry_rows.iter().enumerate() {
                dst[i] = self.number(row, col, "intermediate block")?;
            }
        }
        let mut y = dense::zeros(n, g * nf);
        for (k, &col) in l.fd_cols.iter().enumerate() {
            let dst = dense::column_mut(&mut y, k);
            for (i, &row) in l.entry_rows.iter().enumerate() {
                dst[i] = self.number(row, col, "final-demand block")?;
            }
        }
        let under_intermediate = |row: u32, what: &str| -> Result<Vec<f64>, SourceError> {
            l.intermediate_cols
                .iter()
                .map(|&c| self.number(row, c, what))
                .collect()
        };
        let reported_total = under_intermediate(l.output_row, "total-output row")?;
        let primary_inputs = l
            .primary_rows
            .iter()
            .map(|(row, code)| {
                Ok((
                    code.clone(),
                    Array1::from(under_intermediate(*row, "primary-input rows")?),
                ))
            })
            .collect::<Result<Vec<_>, SourceError>>()?;
        let x = self.output(l, &z, &y, &reported_total)?;
        Ok(IoTable {
            year,
            countries: l.countries.clone(),
            fd_categories: self.options.fd_codes.clone(),
            labels: l.labels.clone(),
            row_country: l.row_country.clone(),
            z,
            y,
            x: Array1::from(x),
            primary_inputs,
        })
    }

    fn output(
        &self,
        l: &Layout,
        z: &Array2<f64>,
        y: &Array2<f64>,
        reported: &[f64],
    ) -> Result<Vec<f64>, SourceError> {
        let n = l.labels.len();
        let column = l
            .total_col
            .map(|c| {
                l.entry_rows
                    .iter()
                    .map(|&r| self.number(r, c, "total-output column"))
                    .collect::<Result<Vec<f64>, _>>()
            })
            .transpose()?;
        if let (Some(c), Some(col)) = (&column, l.total_col) {
            for i in 0..n {
                if !outputs_agree(reported[i], c[i], self.options.output_tolerance) {
                    return Err(self.cell_error(
                        l.output_row,
                        l.intermediate_cols[i],
                        format!(
                            "total output of `{} {}` is {} in row `{}` but {} in column `{}` ({})",
                            l.labels[i].block,
                            l.labels[i].sector,
                            reported[i],
                            self.options.output_row,
                            c[i],
                            self.options.total_code,
                            a1(l.entry_rows[i] as usize, col as usize)
                        ),
                        Some("correct the table, or raise output_tolerance".into()),
                    ));
                }
            }
        }
        let x = match (self.options.output, column) {
            (OutputSource::Table, Some(c)) => c,
            _ => (0..n)
                .map(|i| {
                    let zs: f64 = (0..n).map(|j| z[(i, j)]).sum();
                    let ys: f64 = (0..y.ncols()).map(|j| y[(i, j)]).sum();
                    zs + ys
                })
                .collect(),
        };
        if let Some(i) = x.iter().position(|&v| v < 0.0) {
            let col = match (self.options.output, l.total_col) {
                (OutputSource::Table, Some(c)) => c,
                _ => l.sector_col,
            };
            return Err(self.cell_error(
                l.entry_rows[i],
                col,
                format!(
                    "gross output of `{} {}` is negative ({}){}",
                    l.labels[i].block,
                    l.labels[i].sector,
                    x[i],
                    if self.options.output == OutputSource::RowSums {
                        " as rowSums(Z) + rowSums(Y)"
                    } else {
                        ""
                    }
                ),
                Some("gross output must be ≥ 0".into()),
            ));
        }
        Ok(x)
    }
}
