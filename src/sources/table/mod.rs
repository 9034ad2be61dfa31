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

mod cells;
mod columns;
mod file;
mod parquet;
mod readers;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::sources::countries::CodeSystem;
use crate::sources::SourceError;

pub use cells::PLAUSIBLE_YEARS;
pub(crate) use cells::{whole_year, CellParser, YearText};
pub(crate) use columns::{did_you_mean, Header};
pub(crate) use file::{check_field_count, no_data_rows, CsvFile};
pub use readers::{read_bilateral, read_long, read_wide};

use columns::resolve_columns;
use file::TableFile;
use parquet::parquet_schema;

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

#[cfg(test)]
mod tests {
    use super::*;

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
