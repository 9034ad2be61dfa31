//! The three layout readers (`long`, `wide`, `bilateral`): row by row through a
//! [`TableFile`], cells parsed by [`CellParser`], duplicate keys rejected at their line.

use std::collections::HashMap;
use std::path::Path;

use crate::sources::SourceError;

use super::cells::CellParser;
use super::columns::{bilateral_columns, long_columns, wide_columns};
use super::columns::{BilateralColumns, LongColumns, WideColumns};
use super::file::TableFile;
use super::{BilateralObservation, BilateralTable, Observation, Table, TableColumn, TableSpec};

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

fn duplicate(path: &Path, line: usize, column: usize, what: &str, first: usize) -> SourceError {
    SourceError::Text {
        path: path.to_path_buf(),
        line,
        column: column + 1,
        message: format!("duplicate row for {what} (first at line {first})"),
        fix: Some("keep one row per key; remove or merge the duplicate".into()),
    }
}
