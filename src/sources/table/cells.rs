//! Cell parsing: numbers (with the missing-value tokens and the overflow error), whole
//! years within [`PLAUSIBLE_YEARS`], and country codes validated in the table's code system.

use std::path::Path;

use crate::sources::countries::{self, CodeSystem, CountryError};
use crate::sources::SourceError;

use super::DEFAULT_MISSING;

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
                &crate::sources::error::not_a_number_fix(
                    cell,
                    "write a number with a decimal point, leave the cell empty (or NA) for a missing value, or list the token in the source's `missing` option",
                ),
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
    fn years_are_whole_numbers_never_truncated() {
        assert_eq!(whole_year("2010"), YearText::Year(2010));
        assert_eq!(whole_year("2010.0"), YearText::Year(2010));
        assert_eq!(whole_year("1935.5"), YearText::Fraction(1935.5));
        assert_eq!(whole_year("20x0"), YearText::NotANumber);
        assert_eq!(whole_year("inf"), YearText::NotANumber);
    }
}
