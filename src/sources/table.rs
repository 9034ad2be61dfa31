//! The `csv` source format: user tables of country-year data.
//!
//! Three layouts:
//! - `long`: one row per (country, year) with named value columns
//!   (`country,year,sofdi,rd` → series `sofdi`, `rd`);
//! - `wide`: one row per country with years as columns (`country,2007,2008,...` → one series);
//! - `bilateral`: one row per (reporter, partner, year) with one value column, for flows such as
//!   bilateral outward FDI.
//!
//! Rules (docs/formats.md, "Your own tables"):
//! - every data row has exactly as many fields as the header (a decimal comma such as
//!   `5,8477` would otherwise shift the values into the next column);
//! - a file needs a header and at least one data row;
//! - numeric cells that are empty or one of [`DEFAULT_MISSING`] (`NA`, `.`, `..`, `n/a`,
//!   `N/A`, `#N/A`), or a token of the source's `missing` option, are missing, never zero;
//!   any other text is an error;
//! - a year is a whole number: `2010` or `2010.0` (as Parquet and Stata exports write it),
//!   never `1935.5`.
//!
//! Country cells are validated against the table's code system and written in its canonical
//! spelling. Every error names file:line:column (column = 1-based field number) and the fix;
//! [`probe`] checks a table's header and first row cheaply (for `gvc check`).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::sources::countries::{self, CodeSystem, CountryError};
use crate::sources::error::NotFound;
use crate::sources::SourceError;

/// Cell texts that are missing values in every covariate reader (besides a source's own
/// `missing` tokens): the empty cell, R's `NA`, Stata's `.`, WDI DataBank's `..`, `n/a`,
/// `N/A` and Excel's `#N/A`. They apply to numeric cells only (a country cell `NA` is
/// Namibia's ISO2 code, not a missing value).
pub const DEFAULT_MISSING: [&str; 7] = ["", "NA", ".", "..", "n/a", "N/A", "#N/A"];

/// One value of a country-year series.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Country code (in the code system of the source).
    pub country: String,
    /// Calendar year.
    pub year: i32,
    /// The value (always finite; missing values are simply absent).
    pub value: f64,
}

/// One value of a bilateral (reporter, partner, year) table.
#[derive(Debug, Clone, PartialEq)]
pub struct BilateralObservation {
    /// The reporting (investing, exporting) country.
    pub reporter: String,
    /// The partner (host, importing) country.
    pub partner: String,
    /// Calendar year.
    pub year: i32,
    /// The value (always finite; missing values are absent).
    pub value: f64,
}

/// Layout of a `csv` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableLayout {
    /// Country and year columns plus value columns.
    #[default]
    Long,
    /// Country column plus one column per year.
    Wide,
    /// Reporter, partner, year and value columns.
    Bilateral,
}

/// Options of a `csv` source (the keys of `[sources.<name>]` other than `format` and `path`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// `long` (default), `wide` or `bilateral`.
    #[serde(default)]
    pub layout: TableLayout,
    /// Country column of `long`/`wide` tables (default `country`).
    pub country: Option<String>,
    /// Code system of the country cells. Default: the country column's name when it names a
    /// system (`country = "iso3"`), else none (codes are kept verbatim, not validated).
    pub codes: Option<CodeSystem>,
    /// Year column of `long`/`bilateral` tables (default `year`).
    pub year: Option<String>,
    /// Reporter column of a `bilateral` table (default `reporter`).
    pub reporter: Option<String>,
    /// Partner column of a `bilateral` table (default `partner`).
    pub partner: Option<String>,
    /// `bilateral`: the value column (default `value`); `wide`: the name of the series
    /// (default `value`).
    pub value: Option<String>,
    /// `long`: the value columns to read (default: every column but country and year).
    pub columns: Option<Vec<String>>,
    /// Cell texts that mean missing in addition to [`DEFAULT_MISSING`] (e.g. `["-999"]`).
    #[serde(default)]
    pub missing: Vec<String>,
    /// The file is Parquet (format `parquet`), read through the same rules as CSV.
    #[serde(skip)]
    pub parquet: bool,
}

impl TableSpec {
    fn country_column(&self) -> &str {
        self.country.as_deref().unwrap_or("country")
    }

    fn year_column(&self) -> &str {
        self.year.as_deref().unwrap_or("year")
    }

    fn value_name(&self) -> &str {
        self.value.as_deref().unwrap_or("value")
    }

    fn reporter_column(&self) -> &str {
        self.reporter.as_deref().unwrap_or("reporter")
    }

    fn partner_column(&self) -> &str {
        self.partner.as_deref().unwrap_or("partner")
    }

    /// The code system of the country cells (explicit `codes`, else the country column's
    /// name if it is a system name).
    pub fn code_system(&self) -> Option<CodeSystem> {
        self.codes.or_else(|| match self.layout {
            TableLayout::Bilateral => None,
            _ => self.country_column().parse().ok(),
        })
    }
}

/// A named country-year series of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableColumn {
    /// Series name (the column header of a long table, `value` of a wide one).
    pub name: String,
    /// The non-missing values, in file order.
    pub observations: Vec<Observation>,
}

/// A `long` or `wide` table read into series.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The file read.
    pub path: PathBuf,
    /// Code system of the countries (None: verbatim codes).
    pub codes: Option<CodeSystem>,
    /// One series per value column.
    pub columns: Vec<TableColumn>,
    /// `wide` only: header cells that are neither the country column nor a year (ignored).
    pub ignored_columns: Vec<String>,
}

impl Table {
    /// The series called `name`.
    pub fn column(&self, name: &str) -> Option<&TableColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A `bilateral` table.
#[derive(Debug, Clone, PartialEq)]
pub struct BilateralTable {
    /// The file read.
    pub path: PathBuf,
    /// Code system of reporters and partners (None: verbatim codes).
    pub codes: Option<CodeSystem>,
    /// The non-missing values, in file order.
    pub observations: Vec<BilateralObservation>,
}

/// What [`read_table`] returns, by layout.
#[derive(Debug, Clone, PartialEq)]
pub enum TableData {
    /// `long` or `wide`.
    Series(Table),
    /// `bilateral`.
    Bilateral(BilateralTable),
}

/// Reads a `csv` source in the layout its spec names.
pub fn read_table(path: &Path, spec: &TableSpec) -> Result<TableData, SourceError> {
    match spec.layout {
        TableLayout::Long => read_long(path, spec).map(TableData::Series),
        TableLayout::Wide => read_wide(path, spec).map(TableData::Series),
        TableLayout::Bilateral => read_bilateral(path, spec).map(TableData::Bilateral),
    }
}

/// What [`probe`] learns about a covariate table without reading its data.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// The header's column names, in file order.
    pub columns: Vec<String>,
    /// The series the source offers, i.e. what `from = "<source>.<series>"` may name: the
    /// value columns of a `long` table, the one series (`value`) of a `wide` or `bilateral`
    /// one.
    pub series: Vec<String>,
}

/// Checks a covariate table cheaply, for `gvc check`: the header names every column the spec
/// needs (country, year, reporter, partner, value, `columns`), and at least one data row
/// exists (CSV: the first data row is read and its field count checked; Parquet: only the
/// schema and the row count are read). A column the spec names that the file lacks is
/// [`NotFound`]: `column x2 not in cov.csv (columns iso3, year, x1)`.
pub fn probe(path: &Path, spec: &TableSpec) -> Result<Probe, SourceError> {
    let (header, has_rows) = if spec.parquet {
        let (names, rows) = parquet_schema(path)?;
        (Header::from_names(path, names), rows > 0)
    } else {
        let mut file = TableFile::open(path, false)?;
        let has_rows = file.next_row()?.is_some();
        (file.header, has_rows)
    };
    let series = resolve_columns(&header, spec)?;
    if !has_rows {
        return Err(no_data_rows(path));
    }
    Ok(Probe {
        series,
        columns: header.names,
    })
}

/// The series names a `csv` source offers (for the validator's "unknown column" message):
/// long: the value columns; wide and bilateral: the one series name. See [`probe`].
pub fn list_columns(path: &Path, spec: &TableSpec) -> Result<Vec<String>, SourceError> {
    probe(path, spec).map(|p| p.series)
}

/// The columns a `long` table reads, located in its header.
struct LongColumns {
    country: usize,
    year: usize,
    /// (column, name) of each value column.
    values: Vec<(usize, String)>,
}

/// The columns a `wide` table reads.
struct WideColumns {
    country: usize,
    /// (column, year, header text) of the year columns.
    years: Vec<(usize, i32, String)>,
    /// Header cells that are neither the country column nor a year.
    ignored: Vec<String>,
}

/// The columns a `bilateral` table reads.
struct BilateralColumns {
    reporter: usize,
    partner: usize,
    year: usize,
    value: usize,
}

/// Finds the columns `spec` names in the header for its layout (errors name the missing one
/// and list the header) and returns the series the table offers.
fn resolve_columns(h: &Header, spec: &TableSpec) -> Result<Vec<String>, SourceError> {
    match spec.layout {
        TableLayout::Long => Ok(long_columns(h, spec)?
            .values
            .into_iter()
            .map(|(_, name)| name)
            .collect()),
        TableLayout::Wide => wide_columns(h, spec).map(|_| vec![spec.value_name().to_string()]),
        TableLayout::Bilateral => {
            bilateral_columns(h, spec).map(|_| vec![spec.value_name().to_string()])
        }
    }
}

fn long_columns(h: &Header, spec: &TableSpec) -> Result<LongColumns, SourceError> {
    let country = h.require(spec.country_column(), "country")?;
    let year = h.require(spec.year_column(), "year")?;
    let values = long_value_columns(h, spec, country, year)?;
    Ok(LongColumns {
        country,
        year,
        values,
    })
}

fn wide_columns(h: &Header, spec: &TableSpec) -> Result<WideColumns, SourceError> {
    let country = h.require(spec.country_column(), "country")?;
    let mut years = Vec::new();
    let mut ignored = Vec::new();
    for (i, name) in h.names.iter().enumerate() {
        if i == country {
            continue;
        }
        match year_of_header(name).map_err(|message| SourceError::Text {
            path: h.path.to_path_buf(),
            line: 1,
            column: i + 1,
            message,
            fix: Some("name the year columns by whole years (2007, 2008, ...)".into()),
        })? {
            Some(y) => years.push((i, y, name.clone())),
            None => ignored.push(name.clone()),
        }
    }
    if years.is_empty() {
        return Err(SourceError::Text {
            path: h.path.to_path_buf(),
            line: 1,
            column: 1,
            message: "a wide table needs year columns (2007, 2008, ...) and none was found".into(),
            fix: Some("name the year columns by their year, or use layout = \"long\"".into()),
        });
    }
    Ok(WideColumns {
        country,
        years,
        ignored,
    })
}

fn bilateral_columns(h: &Header, spec: &TableSpec) -> Result<BilateralColumns, SourceError> {
    Ok(BilateralColumns {
        reporter: h.require(spec.reporter_column(), "reporter")?,
        partner: h.require(spec.partner_column(), "partner")?,
        year: h.require(spec.year_column(), "year")?,
        value: h.require(spec.value_name(), "value")?,
    })
}

/// Reads a `long` table: one series per value column.
pub fn read_long(path: &Path, spec: &TableSpec) -> Result<Table, SourceError> {
    let codes = spec.code_system();
    let mut file = TableFile::open(path, spec.parquet)?;
    let LongColumns {
        country: country_col,
        year: year_col,
        values: value_cols,
    } = long_columns(&file.header, spec)?;
    let mut columns: Vec<TableColumn> = value_cols
        .iter()
        .map(|(_, name)| TableColumn {
            name: name.clone(),
            observations: Vec::new(),
        })
        .collect();
    let mut seen: HashMap<(String, i32), usize> = HashMap::new();
    let cells = CellParser::new(path, &spec.missing);
    while let Some((line, record)) = file.next_row()? {
        let country = cells.country(&record, line, country_col, codes, spec.country_column())?;
        let year = cells.year(&record, line, year_col)?;
        if let Some(first) = seen.insert((country.clone(), year), line) {
            return Err(duplicate(
                path,
                line,
                country_col,
                &format!("({country}, {year})"),
                first,
            ));
        }
        for ((col, name), column) in value_cols.iter().zip(columns.iter_mut()) {
            if let Some(value) = cells.value(&record, line, *col, name)? {
                column.observations.push(Observation {
                    country: country.clone(),
                    year,
                    value,
                });
            }
        }
    }
    Ok(Table {
        path: path.to_path_buf(),
        codes,
        columns,
        ignored_columns: Vec::new(),
    })
}

/// Reads a `wide` table (years as columns) into one series named `value` (or the spec's
/// `value`). Header cells that are years (`2007`, or `X2007`/`YR2007` as R and WDI DataBank
/// write them) are data; other columns are listed in `ignored_columns`.
pub fn read_wide(path: &Path, spec: &TableSpec) -> Result<Table, SourceError> {
    let codes = spec.code_system();
    let mut file = TableFile::open(path, spec.parquet)?;
    let WideColumns {
        country: country_col,
        years: year_cols,
        ignored,
    } = wide_columns(&file.header, spec)?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut observations = Vec::new();
    let cells = CellParser::new(path, &spec.missing);
    while let Some((line, record)) = file.next_row()? {
        let country = cells.country(&record, line, country_col, codes, spec.country_column())?;
        if let Some(first) = seen.insert(country.clone(), line) {
            return Err(duplicate(path, line, country_col, &country, first));
        }
        for (col, year, name) in &year_cols {
            if let Some(value) = cells.value(&record, line, *col, name)? {
                observations.push(Observation {
                    country: country.clone(),
                    year: *year,
                    value,
                });
            }
        }
    }
    Ok(Table {
        path: path.to_path_buf(),
        codes,
        columns: vec![TableColumn {
            name: spec.value_name().to_string(),
            observations,
        }],
        ignored_columns: ignored,
    })
}

/// Reads a `bilateral` table (reporter, partner, year, value).
pub fn read_bilateral(path: &Path, spec: &TableSpec) -> Result<BilateralTable, SourceError> {
    let codes = spec.code_system();
    let mut file = TableFile::open(path, spec.parquet)?;
    let BilateralColumns {
        reporter: reporter_col,
        partner: partner_col,
        year: year_col,
        value: value_col,
    } = bilateral_columns(&file.header, spec)?;
    let (reporter_name, partner_name) = (spec.reporter_column(), spec.partner_column());
    let mut seen: HashMap<(String, String, i32), usize> = HashMap::new();
    let mut observations = Vec::new();
    let cells = CellParser::new(path, &spec.missing);
    while let Some((line, record)) = file.next_row()? {
        let reporter = cells.country(&record, line, reporter_col, codes, reporter_name)?;
        let partner = cells.country(&record, line, partner_col, codes, partner_name)?;
        let year = cells.year(&record, line, year_col)?;
        let key = (reporter.clone(), partner.clone(), year);
        if let Some(first) = seen.insert(key, line) {
            let what = format!("({reporter}, {partner}, {year})");
            return Err(duplicate(path, line, reporter_col, &what, first));
        }
        if let Some(value) = cells.value(&record, line, value_col, spec.value_name())? {
            observations.push(BilateralObservation {
                reporter,
                partner,
                year,
                value,
            });
        }
    }
    Ok(BilateralTable {
        path: path.to_path_buf(),
        codes,
        observations,
    })
}

fn long_value_columns(
    h: &Header,
    spec: &TableSpec,
    country: usize,
    year: usize,
) -> Result<Vec<(usize, String)>, SourceError> {
    match &spec.columns {
        Some(names) => names
            .iter()
            .map(|n| h.require(n, "value").map(|i| (i, n.clone())))
            .collect(),
        None => Ok(h
            .names
            .iter()
            .enumerate()
            .filter(|(i, name)| *i != country && *i != year && !name.is_empty())
            .map(|(i, name)| (i, name.clone()))
            .collect()),
    }
}

/// The year a wide table's header cell names: `2007`, `2007.0`, `X2007` (R) or `YR2007` /
/// `2007 [YR2007]` (WDI DataBank) → 2007; `None` for a cell that is not a year (a name
/// column, ignored); an error for a number that is not a whole year (`1935.5`).
fn year_of_header(name: &str) -> Result<Option<i32>, String> {
    let s = name.trim();
    let s = s.split_whitespace().next().unwrap_or(s);
    let digits = s
        .strip_prefix("YR")
        .or_else(|| s.strip_prefix('X'))
        .unwrap_or(s);
    if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(digits.parse().ok());
    }
    match whole_year(digits) {
        YearText::Year(y) if (1000..=9999).contains(&y) => Ok(Some(y)),
        YearText::Fraction(v) => Err(format!("year {v} is not a whole number")),
        _ => Ok(None),
    }
}

/// Years a data row may carry: four-digit calendar years. Covariate tables may reach far
/// back (historical series), so the bound is wider than the spec's 1900–2100; a year outside
/// it is a typo (`20110`) and an error at its cell. The panel applies the same bound to every
/// series it joins.
pub const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1000..=9999;

/// How a cell reads as a year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum YearText {
    /// A whole number (`2010`, `2010.0`).
    Year(i32),
    /// A number with a fraction (`1935.5`).
    Fraction(f64),
    /// Not a number (or out of range).
    NotANumber,
}

/// Reads `cell` as a year: an integer, or a float with no fraction (`2010.0`, written by
/// Parquet and Stata exports of float columns). Never truncates: `1935.5` is a
/// [`YearText::Fraction`].
pub(crate) fn whole_year(cell: &str) -> YearText {
    if let Ok(y) = cell.parse::<i32>() {
        return YearText::Year(y);
    }
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() && v.fract() != 0.0 => YearText::Fraction(v),
        Ok(v) if v.is_finite() && v.abs() < 1e6 => YearText::Year(v as i32),
        _ => YearText::NotANumber,
    }
}

/// `path` of a one-file table format names a folder: say so, with the files it holds.
fn folder_not_file(path: &Path) -> SourceError {
    let mut names: Vec<String> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let listed = match names.len() {
        0 => "it holds no files".to_string(),
        n if n <= 5 => format!("it holds {}", names.join(", ")),
        n => format!("it holds {}, … ({n} files)", names[..5].join(", ")),
    };
    SourceError::Layout {
        path: path.to_path_buf(),
        message: "is a folder, but this format reads one table file".into(),
        fix: Some(format!(
            "point the source's `path` at the file itself; {listed}"
        )),
    }
}

fn empty_file(path: &Path) -> SourceError {
    SourceError::Layout {
        path: path.to_path_buf(),
        message: "the file is empty (no header row)".into(),
        fix: Some("check the path of the source".into()),
    }
}

/// A file with a header and no data rows.
pub(crate) fn no_data_rows(path: &Path) -> SourceError {
    SourceError::Layout {
        path: path.to_path_buf(),
        message: "the file has a header but no data rows".into(),
        fix: Some(
            "add the data rows, or point the source's `path` at the file that has them".into(),
        ),
    }
}

/// A data row must have as many fields as the header.
pub(crate) fn check_field_count(
    path: &Path,
    header_len: usize,
    header_line: usize,
    line: usize,
    record: &csv::StringRecord,
) -> Result<(), SourceError> {
    if record.len() == header_len {
        return Ok(());
    }
    Err(SourceError::Text {
        path: path.to_path_buf(),
        line,
        column: record.len().min(header_len) + 1,
        message: format!(
            "row has {} fields but the header (line {header_line}) has {header_len}",
            record.len()
        ),
        fix: Some(
            "quote a cell that contains the delimiter (\"5,8477\") or write decimals with a point (5.8477); every row needs one cell per header column"
                .into(),
        ),
    })
}

fn duplicate(path: &Path, line: usize, column: usize, what: &str, first: usize) -> SourceError {
    SourceError::Text {
        path: path.to_path_buf(),
        line,
        column: column + 1,
        message: format!("duplicate row for {what} (first at line {first})"),
        fix: Some("keep one row per key; remove or merge the duplicate".into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared CSV plumbing (also used by the WDI reader)
// ---------------------------------------------------------------------------------------------

/// A reader that remembers the byte offset of every newline it passes, so that a record's
/// byte position can be turned into a line number (the csv crate's own line counter does
/// not count the blank lines it skips, e.g. in the WDI API preamble).
struct LineCounter<R> {
    inner: R,
    offset: u64,
    newlines: Vec<u64>,
}

impl<R: std::io::Read> std::io::Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = buf.get(..n).unwrap_or_default();
        for (i, &b) in chunk.iter().enumerate() {
            if b == b'\n' {
                self.newlines.push(self.offset + i as u64);
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl<R> LineCounter<R> {
    /// 1-based line of the byte at `offset`.
    fn line_of(&self, offset: u64) -> usize {
        1 + self.newlines.partition_point(|&nl| nl < offset)
    }
}

/// A CSV file read record by record, with a leading UTF-8 byte-order mark removed and blank
/// lines skipped. Line numbers are physical lines of the file (1-based). Records of any
/// width pass through (the WDI preamble lines are narrower than its header); every data row
/// of a table is then checked by [`check_field_count`] (covariate tables through
/// [`TableFile`], WDI files in the WDI reader), so a ragged row is an error at
/// file:line:column. Only the WDI country-metadata files are read without that check: two
/// columns found by name decide which rows are aggregates, and no value comes from them.
pub(crate) struct CsvFile {
    path: PathBuf,
    reader: csv::Reader<LineCounter<BufReader<File>>>,
}

impl CsvFile {
    pub(crate) fn open(path: &Path) -> Result<CsvFile, SourceError> {
        let io_err = |source| SourceError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_err)?;
        let mut buffered = BufReader::new(file);
        let starts_with_bom = buffered
            .fill_buf()
            .map_err(io_err)?
            .starts_with(b"\xEF\xBB\xBF");
        if starts_with_bom {
            buffered.consume(3);
        }
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(LineCounter {
                inner: buffered,
                offset: 0,
                newlines: Vec::new(),
            });
        Ok(CsvFile {
            path: path.to_path_buf(),
            reader,
        })
    }

    /// The line on which the record just read ends. The csv crate positions a record at the
    /// end of the previous one (before any blank lines it skips), so we use the byte just
    /// before the reader's position, which is the record's terminator (or its last byte at
    /// the end of the file). A quoted field spanning lines is reported at its last line.
    fn current_line(&self) -> usize {
        let end = self.reader.position().byte();
        self.reader.get_ref().line_of(end.saturating_sub(1))
    }

    /// The next non-empty record with its 1-based line number.
    pub(crate) fn next_record(
        &mut self,
    ) -> Result<Option<(usize, csv::StringRecord)>, SourceError> {
        let mut record = csv::StringRecord::new();
        loop {
            match self.reader.read_record(&mut record) {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    let line = self.current_line();
                    if record.len() == 1 && record.get(0).is_some_and(|c| c.trim().is_empty()) {
                        continue;
                    }
                    return Ok(Some((line, record.clone())));
                }
                Err(e) => return Err(csv_error(&self.path, self.current_line(), e)),
            }
        }
    }
}

/// The records of a table file: CSV lines, or the rows of a Parquet file rendered as text
/// cells (header = column names; numbers in shortest round-trip form; nulls empty), so one set
/// of parsing rules and error messages serves both. A Parquet row r (1-based) is reported as
/// line r + 1, the line it would have in the same table written as CSV with its header.
pub(crate) enum Records {
    Csv(CsvFile),
    Rows(std::vec::IntoIter<(usize, csv::StringRecord)>),
}

impl Records {
    pub(crate) fn open(path: &Path, parquet: bool) -> Result<Records, SourceError> {
        if parquet {
            parquet_records(path).map(|rows| Records::Rows(rows.into_iter()))
        } else {
            CsvFile::open(path).map(Records::Csv)
        }
    }

    pub(crate) fn next_record(
        &mut self,
    ) -> Result<Option<(usize, csv::StringRecord)>, SourceError> {
        match self {
            Records::Csv(f) => f.next_record(),
            Records::Rows(rows) => Ok(rows.next()),
        }
    }
}

/// A covariate table opened at its header. [`TableFile::next_row`] checks that every data row
/// has the header's field count and fails on a file with a header but no data rows.
struct TableFile<'a> {
    path: &'a Path,
    records: Records,
    header: Header<'a>,
    header_line: usize,
    rows: usize,
}

impl<'a> TableFile<'a> {
    fn open(path: &'a Path, parquet: bool) -> Result<TableFile<'a>, SourceError> {
        if path.is_dir() {
            return Err(folder_not_file(path));
        }
        let mut records = Records::open(path, parquet)?;
        let Some((header_line, header)) = records.next_record()? else {
            return Err(empty_file(path));
        };
        Ok(TableFile {
            path,
            records,
            header: Header::new(path, header),
            header_line,
            rows: 0,
        })
    }

    /// The next data row with its line; `None` at the end of a file that had data rows.
    fn next_row(&mut self) -> Result<Option<(usize, csv::StringRecord)>, SourceError> {
        match self.records.next_record()? {
            Some((line, record)) => {
                let width = self.header.names.len();
                check_field_count(self.path, width, self.header_line, line, &record)?;
                self.rows += 1;
                Ok(Some((line, record)))
            }
            None if self.rows == 0 => Err(no_data_rows(self.path)),
            None => Ok(None),
        }
    }
}

/// The column names and row count of a Parquet file, from its metadata (no data is read).
fn parquet_schema(path: &Path) -> Result<(Vec<String>, usize), SourceError> {
    use polars::prelude::{ParquetReader, SerReader};
    let file = File::open(path).map_err(|source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = ParquetReader::new(file);
    let unreadable = |e: polars::prelude::PolarsError| not_parquet(path, e);
    let names = reader
        .schema()
        .map_err(unreadable)?
        .iter_names()
        .map(|n| n.to_string())
        .collect();
    let rows = reader.num_rows().map_err(unreadable)?;
    Ok((names, rows))
}

fn not_parquet(path: &Path, e: polars::prelude::PolarsError) -> SourceError {
    SourceError::Text {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message: format!("not a readable Parquet file: {e}"),
        fix: Some(
            "write the table with a Parquet writer (polars, arrow, pandas) or use format = \"csv\""
                .into(),
        ),
    }
}

/// Every row of a Parquet file as text records, the header first.
fn parquet_records(path: &Path) -> Result<Vec<(usize, csv::StringRecord)>, SourceError> {
    use polars::prelude::{AnyValue, ParquetReader, SerReader};
    let file = File::open(path).map_err(|source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| not_parquet(path, e))?;
    let columns = df.columns();
    let mut out = Vec::with_capacity(df.height() + 1);
    out.push((
        1,
        columns
            .iter()
            .map(|c| c.name().to_string())
            .collect::<csv::StringRecord>(),
    ));
    for row in 0..df.height() {
        let mut record = csv::StringRecord::new();
        for c in columns {
            let cell = match c.get(row) {
                Ok(AnyValue::Null) | Err(_) => String::new(),
                Ok(AnyValue::String(v)) => v.to_string(),
                Ok(AnyValue::StringOwned(v)) => v.to_string(),
                // NaN is a float column's missing value (as null is).
                Ok(AnyValue::Float64(v)) if v.is_nan() => String::new(),
                Ok(AnyValue::Float32(v)) if v.is_nan() => String::new(),
                Ok(AnyValue::Float64(v)) => v.to_string(),
                Ok(AnyValue::Float32(v)) => v.to_string(),
                Ok(AnyValue::Int64(v)) => v.to_string(),
                Ok(AnyValue::Int32(v)) => v.to_string(),
                Ok(AnyValue::Int16(v)) => v.to_string(),
                Ok(AnyValue::Int8(v)) => v.to_string(),
                Ok(AnyValue::UInt64(v)) => v.to_string(),
                Ok(AnyValue::UInt32(v)) => v.to_string(),
                Ok(AnyValue::UInt16(v)) => v.to_string(),
                Ok(AnyValue::UInt8(v)) => v.to_string(),
                Ok(other) => other.to_string(),
            };
            record.push_field(&cell);
        }
        out.push((row + 2, record));
    }
    Ok(out)
}

fn csv_error(path: &Path, line: usize, e: csv::Error) -> SourceError {
    match e.into_kind() {
        csv::ErrorKind::Io(source) => SourceError::Io {
            path: path.to_path_buf(),
            source,
        },
        csv::ErrorKind::Utf8 { err, .. } => SourceError::Text {
            path: path.to_path_buf(),
            line,
            column: err.field() + 1,
            message: "the cell is not valid UTF-8".into(),
            fix: Some("save the file as UTF-8".into()),
        },
        other => SourceError::Text {
            path: path.to_path_buf(),
            line,
            column: 1,
            message: format!("malformed CSV: {other:?}"),
            fix: Some("check quoting and separators of this line".into()),
        },
    }
}

/// A header row: trimmed names and lookup with a located "missing column" error.
pub(crate) struct Header<'a> {
    path: &'a Path,
    pub(crate) names: Vec<String>,
}

impl<'a> Header<'a> {
    pub(crate) fn new(path: &'a Path, record: csv::StringRecord) -> Header<'a> {
        Header::from_names(path, record.iter().map(str::to_string).collect())
    }

    pub(crate) fn from_names(path: &'a Path, names: Vec<String>) -> Header<'a> {
        Header {
            path,
            names: names.iter().map(|s| s.trim().to_string()).collect(),
        }
    }

    /// The 0-based index of the column called `name` (its `role`: country, year, value, …),
    /// or [`NotFound`] listing the header and the nearest names.
    pub(crate) fn require(&self, name: &str, role: &str) -> Result<usize, SourceError> {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return Ok(i);
        }
        let nearest = countries::nearest_codes(name, self.names.iter().map(String::as_str));
        let rename = format!(
            "rename the column or set the source's `{}` option to the right header",
            role_key(role)
        );
        Err(NotFound {
            path: self.path.to_path_buf(),
            what: match role {
                "value" => "column".to_string(),
                other => format!("{other} column"),
            },
            name: name.to_string(),
            available: ("columns".into(), self.names.clone()),
            fix: Some(did_you_mean(&nearest, &rename)),
        }
        .into())
    }
}

/// `did you mean `x1`? <then>`, or just `then` when nothing is near.
pub(crate) fn did_you_mean(nearest: &[String], then: &str) -> String {
    if nearest.is_empty() {
        then.to_string()
    } else {
        let quoted: Vec<String> = nearest.iter().map(|n| format!("`{n}`")).collect();
        format!("did you mean {}? {then}", quoted.join(" or "))
    }
}

fn role_key(role: &str) -> &str {
    match role {
        "value" => "value`/`columns",
        other => other,
    }
}

/// Parses cells of one file: numbers, years and country codes, with located errors. Numeric
/// cells that are [`DEFAULT_MISSING`] or one of the source's `missing` tokens are missing.
pub(crate) struct CellParser<'a> {
    path: &'a Path,
    missing: &'a [String],
}

impl<'a> CellParser<'a> {
    pub(crate) fn new(path: &'a Path, missing: &'a [String]) -> CellParser<'a> {
        CellParser { path, missing }
    }

    fn error(&self, line: usize, col: usize, message: String, fix: &str) -> SourceError {
        SourceError::Text {
            path: self.path.to_path_buf(),
            line,
            column: col + 1,
            message,
            fix: Some(fix.to_string()),
        }
    }

    /// Whether a (trimmed) numeric cell is a missing value.
    fn is_missing(&self, cell: &str) -> bool {
        DEFAULT_MISSING.contains(&cell) || self.missing.iter().any(|m| m == cell)
    }

    /// A numeric cell: `None` if missing ([`Self::is_missing`]); an error if not a finite
    /// number.
    pub(crate) fn value(
        &self,
        record: &csv::StringRecord,
        line: usize,
        col: usize,
        header: &str,
    ) -> Result<Option<f64>, SourceError> {
        let cell = record.get(col).unwrap_or("").trim();
        if self.is_missing(cell) {
            return Ok(None);
        }
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            // A number written out (`1e400`) that overflows, not the text `inf`.
            Ok(_) if !cell.to_ascii_lowercase().contains("inf") && !cell.to_ascii_lowercase().contains("nan") => {
                Err(self.error(
                    line,
                    col,
                    format!("`{cell}` in column `{header}` is too large for a 64-bit number (the largest is about 1.8e308)"),
                    "check the cell for a unit or exponent typo",
                ))
            }
            _ => Err(self.error(
                line,
                col,
                format!("`{cell}` in column `{header}` is not a number"),
                "write a number with a decimal point, leave the cell empty (or NA) for a missing value, or list the token in the source's `missing` option",
            )),
        }
    }

    /// A year cell: a whole number ([`whole_year`]: `2010`, or `2010.0` as float columns
    /// export it); `1935.5` is an error, never truncated.
    pub(crate) fn year(
        &self,
        record: &csv::StringRecord,
        line: usize,
        col: usize,
    ) -> Result<i32, SourceError> {
        let cell = record.get(col).unwrap_or("").trim();
        let fix = "write the calendar year as a whole number such as 2010";
        match whole_year(cell) {
            YearText::Year(y) if PLAUSIBLE_YEARS.contains(&y) => Ok(y),
            YearText::Year(y) => Err(self.error(
                line,
                col,
                format!(
                    "year {y} is not a calendar year in {}–{}",
                    PLAUSIBLE_YEARS.start(),
                    PLAUSIBLE_YEARS.end()
                ),
                "correct the year (a typo such as 20110 for 2011?)",
            )),
            YearText::Fraction(v) => {
                Err(self.error(line, col, format!("year {v} is not a whole number"), fix))
            }
            YearText::NotANumber if cell.is_empty() => {
                Err(self.error(line, col, "empty year cell".into(), fix))
            }
            YearText::NotANumber => {
                Err(self.error(line, col, format!("`{cell}` is not a year"), fix))
            }
        }
    }

    /// A country cell, validated and canonicalised in `codes` (verbatim if `codes` is None).
    pub(crate) fn country(
        &self,
        record: &csv::StringRecord,
        line: usize,
        col: usize,
        codes: Option<CodeSystem>,
        column_name: &str,
    ) -> Result<String, SourceError> {
        let cell = record.get(col).unwrap_or("").trim();
        if cell.is_empty() {
            return Err(self.error(
                line,
                col,
                format!("empty country cell in column `{column_name}`"),
                "fill in the country code or delete the row",
            ));
        }
        let Some(system) = codes else {
            return Ok(cell.to_string());
        };
        let registry = countries::registry()
            .map_err(|e| self.error(line, col, e.to_string(), "report this bug"))?;
        registry.canonical(cell, system).map_err(|e| {
            let fix = match &e {
                CountryError::Unknown { elsewhere, .. } if !elsewhere.is_empty() => format!(
                    "set the source's `codes` to the code system of column `{column_name}` ({})",
                    elsewhere.iter().map(|(s, _)| s.name()).collect::<Vec<_>>().join(" or ")
                ),
                _ => format!(
                    "use a valid {system} code, or set the source's `codes` (adb, iso3, wiod, wiod2016, icio)"
                ),
            };
            self.error(line, col, e.to_string(), &fix)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_headers() {
        assert_eq!(year_of_header("2007"), Ok(Some(2007)));
        assert_eq!(year_of_header("X2007"), Ok(Some(2007)));
        assert_eq!(year_of_header("2007 [YR2007]"), Ok(Some(2007)));
        assert_eq!(year_of_header("YR2007"), Ok(Some(2007)));
        assert_eq!(year_of_header("2007.0"), Ok(Some(2007)));
        assert_eq!(year_of_header("Country Name"), Ok(None));
        assert_eq!(year_of_header("207"), Ok(None));
        assert_eq!(
            year_of_header("1935.5"),
            Err("year 1935.5 is not a whole number".to_string())
        );
    }

    #[test]
    fn years_are_whole_numbers_never_truncated() {
        assert_eq!(whole_year("2010"), YearText::Year(2010));
        assert_eq!(whole_year("2010.0"), YearText::Year(2010));
        assert_eq!(whole_year("1935.5"), YearText::Fraction(1935.5));
        assert_eq!(whole_year("20x0"), YearText::NotANumber);
        assert_eq!(whole_year("inf"), YearText::NotANumber);
    }

    #[test]
    fn code_system_inferred_from_country_column() {
        let spec = TableSpec {
            country: Some("iso3".into()),
            ..TableSpec::default()
        };
        assert_eq!(spec.code_system(), Some(CodeSystem::Iso3));
        let spec = TableSpec::default();
        assert_eq!(spec.code_system(), None);
    }
}
