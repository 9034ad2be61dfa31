//! The data file of `gvc estimate`: a CSV or Parquet file read into the estimator's
//! [`PanelData`], with missing-value markers (R's `NA`, Stata's `.`, `n/a`, empty cells), every
//! bad cell located (`file:line:column` in a CSV, row and column in Parquet) and integer time.
//!
//! A column the model uses (the dependent variable, the base variable of each regressor, the
//! time variable) must hold numbers or missing markers in every row; any other column is
//! numeric when it does, and text (usable as panel or cluster identifier) otherwise. In text
//! columns only empty cells are missing, so a code such as `NA` (Namibia) stays a value.

use std::collections::BTreeSet;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::estimate::{IdColumn, PanelData, VarExpr};

/// The text cells that mean "missing" in numeric columns (besides empty cells).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingMarkers(Vec<String>);

impl MissingMarkers {
    /// The default markers: `NA` (R), `.` (Stata), `n/a` and `N/A`.
    pub const DEFAULT: &'static str = "NA,.,n/a,N/A";

    /// Markers from a comma-separated list (`--missing NA,.`); surrounding blanks are ignored.
    pub fn parse(list: &str) -> Self {
        MissingMarkers(
            list.split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }

    /// True for an empty cell or one of the markers.
    fn is_missing(&self, cell: &str) -> bool {
        let cell = cell.trim();
        cell.is_empty() || self.0.iter().any(|m| m == cell)
    }

    /// The markers as the user would write them (`NA, ., n/a`), or `(none)`.
    fn listed(&self) -> String {
        if self.0.is_empty() {
            "(none)".to_string()
        } else {
            self.0.join(", ")
        }
    }
}

/// Where a cell is: `file:line:column` in a CSV, row and column name in Parquet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellPlace {
    /// A CSV cell: 1-based line and character column of the cell's first character.
    Csv {
        /// The file.
        path: PathBuf,
        /// Line.
        line: u64,
        /// Character column.
        column: u64,
        /// Column (header) name.
        name: String,
    },
    /// A Parquet cell: 1-based row.
    Parquet {
        /// The file.
        path: PathBuf,
        /// Row.
        row: usize,
        /// Column name.
        name: String,
    },
}

impl fmt::Display for CellPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CellPlace::Csv {
                path,
                line,
                column,
                name,
            } => write!(f, "{}:{line}:{column} (column `{name}`)", path.display()),
            CellPlace::Parquet { path, row, name } => {
                write!(f, "{}: row {row}, column `{name}`", path.display())
            }
        }
    }
}

/// Why the data file cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// Neither `.csv` nor `.parquet`.
    #[error("{path}: unknown data file type; use a .csv or .parquet file")]
    UnknownType {
        /// The file.
        path: String,
    },
    /// The file could not be opened or parsed.
    #[error("{place}: {detail}")]
    Unreadable {
        /// The file (with line when known).
        place: String,
        /// What went wrong and the fix.
        detail: String,
    },
    /// `--panel` or `--time` names no column.
    #[error("no column `{name}` for {flag} in {path}; columns are: {columns}")]
    NoColumn {
        /// The flag.
        flag: &'static str,
        /// The name given.
        name: String,
        /// The file.
        path: String,
        /// The header.
        columns: String,
    },
    /// Text in a column the model uses as a number.
    #[error(
        "{place}: `{text}` is not a number, but `{name}` is used as a numeric variable; correct \
         the cell, or if it marks a missing value list it in --missing (now: {markers})"
    )]
    NotANumber {
        /// Where.
        place: Box<CellPlace>,
        /// The cell.
        text: String,
        /// The column.
        name: String,
        /// The markers in force.
        markers: String,
    },
    /// A time value with a fractional part (or text).
    #[error(
        "{place}: the time variable `{name}` is `{text}`, not a whole number; --time needs \
         integer periods such as years (recode the column, e.g. 1935.5 is not a year)"
    )]
    NonIntegerTime {
        /// Where.
        place: Box<CellPlace>,
        /// The cell.
        text: String,
        /// The time variable.
        name: String,
    },
    /// The panel data could not be assembled (duplicate (panel, time) pairs, ...).
    #[error("{path}: {detail}")]
    Panel {
        /// The file.
        path: String,
        /// The estimator's message.
        detail: String,
    },
}

/// The cells of one column as read.
#[derive(Debug, Clone)]
enum Cells {
    /// Text cells (CSV, or a Parquet string column); `None` = null.
    Text(Vec<Option<String>>),
    /// A Parquet integer column.
    Int(Vec<Option<i64>>),
    /// A Parquet floating-point column.
    Float(Vec<Option<f64>>),
}

/// One column of the file.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    /// 0-based position in the header.
    index: usize,
    cells: Cells,
}

/// Where each CSV record starts (for locating cells), or nothing for Parquet.
#[derive(Debug, Clone)]
enum Origin {
    Csv { records: Vec<csv::Position> },
    Parquet,
}

/// A data file read into columns, before any column is given a type.
#[derive(Debug, Clone)]
pub struct DataTable {
    path: PathBuf,
    columns: Vec<Column>,
    origin: Origin,
}

/// Reads a `.csv` (header row, comma-separated, cells trimmed) or `.parquet` file.
pub fn read_table(path: &Path) -> Result<DataTable, DataError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" => read_csv(path),
        "parquet" | "pq" => read_parquet(path),
        _ => Err(DataError::UnknownType {
            path: path.display().to_string(),
        }),
    }
}

fn read_csv(path: &Path) -> Result<DataTable, DataError> {
    let unreadable = |place: String, detail: String| DataError::Unreadable { place, detail };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| unreadable(path.display().to_string(), e.to_string()))?;
    let header = reader
        .headers()
        .map_err(|e| csv_error(path, &e))?
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                h
            };
            h.to_string()
        })
        .collect::<Vec<_>>();
    if header.iter().all(String::is_empty) {
        return Err(unreadable(
            path.display().to_string(),
            "the file is empty; gvc estimate needs a header row naming the columns and one row per panel and time".into(),
        ));
    }
    let mut cells: Vec<Vec<Option<String>>> = vec![Vec::new(); header.len()];
    let mut records = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(path, &e)),
        }
        records.push(
            record
                .position()
                .cloned()
                .unwrap_or_else(csv::Position::new),
        );
        for (j, column) in cells.iter_mut().enumerate() {
            let cell = record.get(j).unwrap_or("");
            column.push((!cell.is_empty()).then(|| cell.to_string()));
        }
    }
    if records.is_empty() {
        return Err(unreadable(
            path.display().to_string(),
            format!(
                "the file has a header ({}) but no data rows; add the rows, or check the file name",
                header.join(", ")
            ),
        ));
    }
    let columns = header
        .into_iter()
        .zip(cells)
        .enumerate()
        .map(|(index, (name, cells))| Column {
            name,
            index,
            cells: Cells::Text(cells),
        })
        .collect();
    Ok(DataTable {
        path: path.to_path_buf(),
        columns,
        origin: Origin::Csv { records },
    })
}

/// A csv error at its line, with the fix for the usual cause.
fn csv_error(path: &Path, e: &csv::Error) -> DataError {
    let place = match e.position() {
        Some(p) => format!("{}:{}", path.display(), p.line()),
        None => path.display().to_string(),
    };
    let detail = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "this row has {len} fields but the header has {expected_len}; every row needs one \
             cell per column (quote cells that contain commas)"
        ),
        csv::ErrorKind::Utf8 { .. } => {
            "the file is not UTF-8 text; save it as UTF-8 (CSV UTF-8 in Excel)".to_string()
        }
        _ => e.to_string(),
    };
    DataError::Unreadable { place, detail }
}

fn read_parquet(path: &Path) -> Result<DataTable, DataError> {
    let unreadable = |detail: String| DataError::Unreadable {
        place: path.display().to_string(),
        detail,
    };
    let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| unreadable(format!("{e} (is this a Parquet file?)")))?;
    let mut columns = Vec::new();
    for (index, col) in df.columns().iter().enumerate() {
        let dtype = col.dtype();
        let cells = if dtype.is_integer() {
            let c = col
                .cast(&DataType::Int64)
                .map_err(|e| unreadable(e.to_string()))?;
            Cells::Int(
                c.i64()
                    .map_err(|e| unreadable(e.to_string()))?
                    .iter()
                    .collect(),
            )
        } else if dtype.is_primitive_numeric() {
            let c = col
                .cast(&DataType::Float64)
                .map_err(|e| unreadable(e.to_string()))?;
            Cells::Float(
                c.f64()
                    .map_err(|e| unreadable(e.to_string()))?
                    .iter()
                    .collect(),
            )
        } else {
            // Strings, booleans, categoricals: as text (a column that cannot be cast is skipped).
            let Ok(c) = col.cast(&DataType::String) else {
                continue;
            };
            let Ok(ca) = c.str() else { continue };
            Cells::Text(ca.iter().map(|v| v.map(str::to_string)).collect())
        };
        columns.push(Column {
            name: col.name().to_string(),
            index,
            cells,
        });
    }
    Ok(DataTable {
        path: path.to_path_buf(),
        columns,
        origin: Origin::Parquet,
    })
}

/// What the model needs from the table.
#[derive(Debug, Clone)]
pub struct Roles<'a> {
    /// `--panel`.
    pub panel: &'a str,
    /// `--time`.
    pub time: &'a str,
    /// `--dep` and each `--x` expression (with operators).
    pub expressions: Vec<&'a str>,
}

impl DataTable {
    fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    fn names(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Where row `row` (0-based) of `column` is.
    fn place(&self, column: &Column, row: usize) -> CellPlace {
        match &self.origin {
            Origin::Csv { records } => {
                let start = records.get(row).cloned().unwrap_or_else(csv::Position::new);
                let (line, col) = csv_cell_start(&self.path, &start, column.index);
                CellPlace::Csv {
                    path: self.path.clone(),
                    line,
                    column: col,
                    name: column.name.clone(),
                }
            }
            Origin::Parquet => CellPlace::Parquet {
                path: self.path.clone(),
                row: row + 1,
                name: column.name.clone(),
            },
        }
    }

    /// Base variables of the model's expressions that are columns of the file (`L.x` → `x`).
    fn used_columns(&self, expressions: &[&str]) -> BTreeSet<String> {
        let is_column = |s: &str| self.column(s).is_some();
        expressions
            .iter()
            .filter_map(|e| VarExpr::parse(e, is_column).ok())
            .map(|v| v.base)
            .filter(|b| is_column(b))
            .collect()
    }

    /// The panel data of the model: the panel identifier, integer time, every numeric column,
    /// and the text columns as identifiers (cluster variables). Columns the model uses must be
    /// numeric in every row.
    pub fn panel_data(
        &self,
        roles: &Roles<'_>,
        markers: &MissingMarkers,
    ) -> Result<PanelData, DataError> {
        let missing = |flag: &'static str, name: &str| DataError::NoColumn {
            flag,
            name: name.to_string(),
            path: self.path.display().to_string(),
            columns: self.names(),
        };
        let panel = self
            .column(roles.panel)
            .ok_or_else(|| missing("--panel", roles.panel))?;
        let time = self
            .column(roles.time)
            .ok_or_else(|| missing("--time", roles.time))?;
        let times = self.integer_times(time, markers)?;
        let panel_err = |e: crate::estimate::EstimateError| DataError::Panel {
            path: self.path.display().to_string(),
            detail: e.to_string(),
        };
        let mut data = match identifiers(&panel.cells) {
            Identifiers::Int(ids) => {
                PanelData::new(&panel.name, IdColumn::Int(&ids), &time.name, &times)
            }
            Identifiers::Str(ids) => {
                let refs: Vec<Option<&str>> = ids.iter().map(|v| v.as_deref()).collect();
                PanelData::new(&panel.name, IdColumn::Str(&refs), &time.name, &times)
            }
        }
        .map_err(panel_err)?;
        let used = self.used_columns(&roles.expressions);
        for column in &self.columns {
            if column.name == panel.name || column.name == time.name {
                continue;
            }
            if used.contains(&column.name) {
                let values = self.numbers(column, markers)?;
                data.add_column(&column.name, &values).map_err(panel_err)?;
            } else if let Ok(values) = self.numbers(column, markers) {
                data.add_column(&column.name, &values).map_err(panel_err)?;
            } else if let Cells::Text(cells) = &column.cells {
                let refs: Vec<Option<&str>> = cells.iter().map(|v| v.as_deref()).collect();
                data.add_id_column(&column.name, IdColumn::Str(&refs))
                    .map_err(panel_err)?;
            }
        }
        Ok(data)
    }

    /// A column as numbers: markers and empty cells missing, any other text an error at its
    /// cell. Non-finite Parquet floats are missing (as NaN is in a double column).
    fn numbers(
        &self,
        column: &Column,
        markers: &MissingMarkers,
    ) -> Result<Vec<Option<f64>>, DataError> {
        match &column.cells {
            Cells::Int(v) => Ok(v.iter().map(|x| x.map(|i| i as f64)).collect()),
            Cells::Float(v) => Ok(v.iter().map(|x| x.filter(|f| f.is_finite())).collect()),
            Cells::Text(v) => v
                .iter()
                .enumerate()
                .map(|(row, cell)| match cell {
                    None => Ok(None),
                    Some(text) if markers.is_missing(text) => Ok(None),
                    Some(text) => {
                        parse_number(text)
                            .map(Some)
                            .ok_or_else(|| DataError::NotANumber {
                                place: Box::new(self.place(column, row)),
                                text: text.clone(),
                                name: column.name.clone(),
                                markers: markers.listed(),
                            })
                    }
                })
                .collect(),
        }
    }

    /// The time column as integers; a fractional or text value is an error at its cell.
    fn integer_times(
        &self,
        column: &Column,
        markers: &MissingMarkers,
    ) -> Result<Vec<Option<i64>>, DataError> {
        if let Cells::Int(v) = &column.cells {
            return Ok(v.clone());
        }
        let text_of = |row: usize| match &column.cells {
            Cells::Text(v) => v.get(row).cloned().flatten().unwrap_or_default(),
            Cells::Float(v) => v
                .get(row)
                .copied()
                .flatten()
                .map_or(String::new(), |f| f.to_string()),
            Cells::Int(_) => String::new(),
        };
        let bad = |row: usize| DataError::NonIntegerTime {
            place: Box::new(self.place(column, row)),
            text: text_of(row),
            name: column.name.clone(),
        };
        let values = match self.numbers(column, markers) {
            Ok(v) => v,
            Err(DataError::NotANumber { place, text, .. }) => {
                return Err(DataError::NonIntegerTime {
                    place,
                    text,
                    name: column.name.clone(),
                })
            }
            Err(e) => return Err(e),
        };
        values
            .iter()
            .enumerate()
            .map(|(row, v)| match v {
                None => Ok(None),
                Some(t) if t.fract() == 0.0 && t.abs() < 9.0e15 => Ok(Some(*t as i64)),
                Some(_) => Err(bad(row)),
            })
            .collect()
    }
}

/// A finite decimal number (`12`, `-3.5`, `1e-4`); `inf`, `NaN` and other text are not.
fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Panel identifiers: integers when every non-empty cell is one, else text.
enum Identifiers {
    Int(Vec<Option<i64>>),
    Str(Vec<Option<String>>),
}

fn identifiers(cells: &Cells) -> Identifiers {
    match cells {
        Cells::Int(v) => Identifiers::Int(v.clone()),
        Cells::Float(v) => {
            let ints: Option<Vec<Option<i64>>> = v
                .iter()
                .map(|x| match x {
                    None => Some(None),
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(Some(*f as i64)),
                    Some(_) => None,
                })
                .collect();
            match ints {
                Some(ints) => Identifiers::Int(ints),
                None => Identifiers::Str(v.iter().map(|x| x.map(|f| format!("{f:?}"))).collect()),
            }
        }
        Cells::Text(v) => {
            let ints: Option<Vec<Option<i64>>> = v
                .iter()
                .map(|x| match x {
                    None => Some(None),
                    Some(s) => s.trim().parse::<i64>().ok().map(Some),
                })
                .collect();
            match ints {
                Some(ints) => Identifiers::Int(ints),
                None => Identifiers::Str(v.clone()),
            }
        }
    }
}

/// Line and character column (1-based) where field `field` of the CSV record starting at
/// `start` begins, read from the file (quoted fields may hold commas and line breaks).
fn csv_cell_start(path: &Path, start: &csv::Position, field: usize) -> (u64, u64) {
    let (mut line, mut column) = (start.line().max(1), 1u64);
    let Ok(mut file) = std::fs::File::open(path) else {
        return (line, column);
    };
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_err() {
        return (line, column);
    }
    let from = usize::try_from(start.byte()).unwrap_or(0).min(bytes.len());
    let text = String::from_utf8_lossy(&bytes[from..]);
    let mut current = 0;
    let mut quoted = false;
    for c in text.chars() {
        if current == field {
            break;
        }
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => current += 1,
            '\n' if !quoted => break,
            '\n' => {
                line += 1;
                column = 0;
            }
            _ => {}
        }
        column += 1;
    }
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("gvc-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    fn roles<'a>(exprs: &[&'a str]) -> Roles<'a> {
        Roles {
            panel: "id",
            time: "year",
            expressions: exprs.to_vec(),
        }
    }

    #[test]
    fn markers_are_missing_in_numeric_columns_only() {
        let p = write(
            "markers.csv",
            "id,year,y,x,iso\n1,2000,1.5,NA,NA\n1,2001,.,2,AUT\n2,2000,n/a,3,\n2,2001,4,,BEL\n",
        );
        let t = read_table(&p).expect("read");
        let markers = MissingMarkers::parse(MissingMarkers::DEFAULT);
        let d = t.panel_data(&roles(&["y", "x"]), &markers).expect("panel");
        assert_eq!(d.n_rows(), 4);
        // y: 1.5, ., n/a, 4 → two values; `iso` holds text, so its `NA` (Namibia) is a value
        // and only the empty cell is missing.
        let spec = crate::estimate::DesignSpec {
            cluster: Some("iso".to_string()),
            ..crate::estimate::DesignSpec::new("y", &[])
        };
        let design = crate::estimate::build_design(&d, &spec).expect("design");
        assert_eq!(design.y.to_vec(), vec![1.5, 4.0]);
        let clusters = design.cluster.expect("clusters");
        assert_eq!(clusters.labels, vec!["BEL".to_string(), "NA".to_string()]);
        let x = crate::estimate::build_design(&d, &crate::estimate::DesignSpec::new("x", &[]))
            .expect("x");
        assert_eq!(x.y.to_vec(), vec![2.0, 3.0]);
        // Without markers, `NA` in a used column is text: an error at its cell.
        let err = t
            .panel_data(&roles(&["y", "x"]), &MissingMarkers::parse(""))
            .expect_err("NA is text without markers");
        assert!(
            err.to_string().contains("markers.csv:3:8 (column `y`)"),
            "{err}"
        );
    }

    #[test]
    fn text_in_a_used_column_is_located() {
        let p = write(
            "text.csv",
            "id,year,y,value\n1,2000,1.5,3\n1,2001,2.5,\"12,5\"\n",
        );
        let t = read_table(&p).expect("read");
        let err = t
            .panel_data(&roles(&["y", "L.value"]), &MissingMarkers::parse("NA"))
            .expect_err("text");
        let msg = err.to_string();
        assert!(msg.contains("text.csv:3:12 (column `value`)"), "{msg}");
        assert!(msg.contains("`12,5` is not a number"), "{msg}");
        assert!(msg.contains("--missing"), "{msg}");
    }

    #[test]
    fn fractional_time_is_located() {
        let p = write("time.csv", "id,year,y\n1,1935,1\n1,1935.5,2\n");
        let t = read_table(&p).expect("read");
        let err = t
            .panel_data(
                &roles(&["y"]),
                &MissingMarkers::parse(MissingMarkers::DEFAULT),
            )
            .expect_err("fraction");
        let msg = err.to_string();
        assert!(msg.contains("time.csv:3:3 (column `year`)"), "{msg}");
        assert!(msg.contains("`1935.5`, not a whole number"), "{msg}");
    }
}
