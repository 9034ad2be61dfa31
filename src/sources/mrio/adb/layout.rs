//! Finding the layout of an ADB sheet from its codes (steps 1–5 of the reader's documentation):
//! the column-code and economy-code rows, the label columns, the country-sector rows, the
//! bottom rows `r60` … `r69`, and the sheet column of every intermediate, final-demand and
//! total column. Every mismatch is an error at its sheet!cell.

use std::collections::HashMap;
use std::path::Path;

use super::grid::Grid;
use super::options::AdbOptions;
use crate::iot::EntryLabel;
use crate::sources::error::a1;
use crate::sources::mrio::{MagnitudeGuard, OutputSource};
use crate::sources::SourceError;

/// Where the parts of the table are (0-based sheet rows and columns).
pub(super) struct Layout {
    pub(super) sector_col: u32,
    /// Sheet row of each country-sector entry.
    pub(super) entry_rows: Vec<u32>,
    pub(super) labels: Vec<EntryLabel>,
    pub(super) countries: Vec<String>,
    pub(super) row_country: Vec<usize>,
    /// Bottom rows strictly between r60 and r69: (sheet row, code).
    pub(super) primary_rows: Vec<(u32, String)>,
    pub(super) output_row: u32,
    /// Sheet column of the intermediate column of each entry.
    pub(super) intermediate_cols: Vec<u32>,
    /// Sheet column of final-demand (country c, category f) at c·F + f.
    pub(super) fd_cols: Vec<u32>,
    pub(super) total_col: Option<u32>,
}

/// The reader at work on one sheet: where errors point, the options, the cells, and the
/// running magnitude of the data read.
pub(super) struct Ctx<'a> {
    pub(super) path: &'a Path,
    pub(super) sheet: &'a str,
    pub(super) options: &'a AdbOptions,
    pub(super) grid: &'a Grid,
    /// Σ|cell| of the data cells read so far.
    pub(super) magnitude: MagnitudeGuard,
}

fn same_code(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl<'a> Ctx<'a> {
    pub(super) fn cell_error(
        &self,
        r: u32,
        c: u32,
        message: String,
        fix: Option<String>,
    ) -> SourceError {
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

    /// The layout of the sheet (see the module documentation).
    pub(super) fn locate(&self) -> Result<Layout, SourceError> {
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
            if !cols.iter().any(|&c| self.holds(r, c, f1)) {
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
        let sector_col = self.column_left_of(row, first_col, code).ok_or_else(|| {
            expect_left(
                first_col.saturating_sub(1),
                format!("expected sector code `{code}` (the code of the first data column) in a label column left of the data"),
            )
        })?;
        let econ_col = self.column_left_of(row, sector_col, econ).ok_or_else(|| {
            expect_left(
                sector_col.saturating_sub(1),
                format!(
                    "expected economy code `{econ}` in a label column left of the sector codes"
                ),
            )
        })?;
        Ok((econ_col, sector_col))
    }

    /// Whether cell (r, c) holds the text `code` (trimmed, any case).
    fn holds(&self, r: u32, c: u32, code: &str) -> bool {
        self.grid.text(r, c).is_some_and(|t| same_code(t, code))
    }

    /// The nearest column left of `before` whose cell in `row` holds `code`.
    fn column_left_of(&self, row: u32, before: u32, code: &str) -> Option<u32> {
        (0..before).rev().find(|&c| self.holds(row, c, code))
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
}
