//! The data sheet held in memory: numbers densely per row, text and other non-numeric cells
//! sparsely, read once from the worksheet's cells (blank = 0, whitespace-only text = 0).

use std::path::Path;

use calamine::{DataRef, Xlsx, XlsxError};

use crate::sources::SourceError;

/// A non-numeric cell: text, or another kind (boolean, error) described for messages.
#[derive(Debug, Clone)]
enum NonNumber {
    Text(String),
    Other(String),
}

/// The sheet held in memory: per row, numbers densely (NaN where the cell is not a number,
/// 0 where blank) and the non-numeric cells sparsely, sorted by column.
pub(super) struct Grid {
    numbers: Vec<Vec<f64>>,
    others: Vec<Vec<(u32, NonNumber)>>,
}

/// What a data cell holds when it is not a usable number.
pub(super) enum CellIssue<'g> {
    Text(&'g str),
    Other(&'g str),
    NotFinite(f64),
}

impl Grid {
    pub(super) fn nrows(&self) -> usize {
        self.numbers.len().max(self.others.len())
    }

    fn other(&self, r: u32, c: u32) -> Option<&NonNumber> {
        let row = self.others.get(r as usize)?;
        row.binary_search_by_key(&c, |(col, _)| *col)
            .ok()
            .map(|k| &row[k].1)
    }

    /// Trimmed, non-empty text of a cell.
    pub(super) fn text(&self, r: u32, c: u32) -> Option<&str> {
        match self.other(r, c) {
            Some(NonNumber::Text(s)) if !s.trim().is_empty() => Some(s.trim()),
            _ => None,
        }
    }

    /// Numeric value of a data cell: blank and whitespace-only text are 0.
    pub(super) fn value(&self, r: u32, c: u32) -> Result<f64, CellIssue<'_>> {
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
    pub(super) fn text_columns(&self, r: u32) -> Vec<u32> {
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

/// Reads sheet `sheet` of the workbook into a [`Grid`].
pub(super) fn load_grid<R: std::io::Read + std::io::Seek>(
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
