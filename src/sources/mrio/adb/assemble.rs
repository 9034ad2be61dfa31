//! Reading the located blocks into an [`IoTable`]: Z, Y, the primary-input rows and gross
//! output, every data cell checked (a number, blank = 0) and counted against the magnitude
//! guard, and the total-output row checked against the total column.

use ndarray::{Array1, Array2};

use super::grid::CellIssue;
use super::layout::{Ctx, Layout};
use crate::iot::{dense, IoTable};
use crate::sources::error::a1;
use crate::sources::mrio::{outputs_agree, OutputSource, MAGNITUDE_FIX};
use crate::sources::SourceError;

impl Ctx<'_> {
    /// A data cell's number (blank = 0), counted against
    /// [`MAX_TABLE_MAGNITUDE`](crate::sources::mrio::MAX_TABLE_MAGNITUDE); errors
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

    /// The table of the located layout `l`, its year `year`.
    pub(super) fn assemble(&self, l: &Layout, year: Option<i32>) -> Result<IoTable, SourceError> {
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
