//! Column resolution: the header row of a covariate table, and the columns each layout
//! (`long`, `wide`, `bilateral`) reads, located in it with "missing column" errors that list
//! the header and the nearest names.

use std::path::Path;

use crate::sources::countries;
use crate::sources::error::NotFound;
use crate::sources::SourceError;

use super::cells::{whole_year, YearText};
use super::{TableLayout, TableSpec};

/// The columns a `long` table reads, located in its header.
pub(super) struct LongColumns {
    pub(super) country: usize,
    pub(super) year: usize,
    /// (column, name) of each value column.
    pub(super) values: Vec<(usize, String)>,
}

/// The columns a `wide` table reads.
pub(super) struct WideColumns {
    pub(super) country: usize,
    /// (column, year, header text) of the year columns.
    pub(super) years: Vec<(usize, i32, String)>,
    /// Header cells that are neither the country column nor a year.
    pub(super) ignored: Vec<String>,
}

/// The columns a `bilateral` table reads.
pub(super) struct BilateralColumns {
    pub(super) reporter: usize,
    pub(super) partner: usize,
    pub(super) year: usize,
    pub(super) value: usize,
}

/// Finds the columns `spec` names in the header for its layout (errors name the missing one
/// and list the header) and returns the series the table offers.
pub(super) fn resolve_columns(h: &Header, spec: &TableSpec) -> Result<Vec<String>, SourceError> {
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

pub(super) fn long_columns(h: &Header, spec: &TableSpec) -> Result<LongColumns, SourceError> {
    let country = h.require(spec.country_column(), "country")?;
    let year = h.require(spec.year_column(), "year")?;
    let values = long_value_columns(h, spec, country, year)?;
    Ok(LongColumns {
        country,
        year,
        values,
    })
}

pub(super) fn wide_columns(h: &Header, spec: &TableSpec) -> Result<WideColumns, SourceError> {
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
    let year_texts: Vec<(usize, String)> =
        years.iter().map(|(i, y, _)| (*i, y.to_string())).collect();
    if let Some((year, first, second)) =
        first_repeat(year_texts.iter().map(|(i, y)| (*i, y.as_str())))
    {
        return Err(h.twice(year, first, second));
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

pub(super) fn bilateral_columns(
    h: &Header,
    spec: &TableSpec,
) -> Result<BilateralColumns, SourceError> {
    Ok(BilateralColumns {
        reporter: h.require(spec.reporter_column(), "reporter")?,
        partner: h.require(spec.partner_column(), "partner")?,
        year: h.require(spec.year_column(), "year")?,
        value: h.require(spec.value_name(), "value")?,
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
        None => {
            let values: Vec<(usize, String)> = h
                .names
                .iter()
                .enumerate()
                .filter(|(i, name)| *i != country && *i != year && !name.is_empty())
                .map(|(i, name)| (i, name.clone()))
                .collect();
            match first_repeat(values.iter().map(|(i, name)| (*i, name.as_str()))) {
                Some((name, first, second)) => Err(h.twice(name, first, second)),
                None => Ok(values),
            }
        }
    }
}

/// The first name that occurs twice among (column, name) pairs: (name, first, second column).
fn first_repeat<'n>(
    columns: impl IntoIterator<Item = (usize, &'n str)>,
) -> Option<(&'n str, usize, usize)> {
    let mut seen: Vec<(usize, &str)> = Vec::new();
    for (i, name) in columns {
        if let Some(&(first, _)) = seen.iter().find(|(_, n)| *n == name) {
            return Some((name, first, i));
        }
        seen.push((i, name));
    }
    None
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

/// A header row: trimmed names and lookup with a located "missing column" error.
pub(crate) struct Header<'a> {
    path: &'a Path,
    pub(crate) names: Vec<String>,
    /// Whether the header is line 1 of a text file (CSV), so a column can be named by
    /// `file:1:column`; a Parquet schema has no lines.
    on_line_one: bool,
}

impl<'a> Header<'a> {
    /// The header of a CSV file (its first record).
    pub(crate) fn new(path: &'a Path, record: csv::StringRecord) -> Header<'a> {
        Header {
            on_line_one: true,
            ..Header::from_names(path, record.iter().map(str::to_string).collect())
        }
    }

    /// Column names without a place in a text file (a Parquet schema).
    pub(crate) fn from_names(path: &'a Path, names: Vec<String>) -> Header<'a> {
        Header {
            path,
            names: names.iter().map(|s| s.trim().to_string()).collect(),
            on_line_one: false,
        }
    }

    /// The 0-based index of the column called `name` (its `role`: country, year, value, …),
    /// or [`NotFound`] listing the header and the nearest names. A name the header holds twice
    /// is an error naming both columns: which one is meant cannot be guessed, and reading
    /// either would silently drop the other's values.
    pub(crate) fn require(&self, name: &str, role: &str) -> Result<usize, SourceError> {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            if let Some(j) = self
                .names
                .iter()
                .rposition(|n| n == name)
                .filter(|&j| j != i)
            {
                return Err(self.twice(name, i, j));
            }
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

impl Header<'_> {
    /// The error for a header that names `name` in two columns (0-based `first`, `second`).
    pub(super) fn twice(&self, name: &str, first: usize, second: usize) -> SourceError {
        let message = format!(
            "column `{name}` appears twice in the header (columns {} and {})",
            first + 1,
            second + 1
        );
        let fix = Some("rename one of the two columns so every header name is unique".to_string());
        if self.on_line_one {
            SourceError::Text {
                path: self.path.to_path_buf(),
                line: 1,
                column: second + 1,
                message,
                fix,
            }
        } else {
            SourceError::Layout {
                path: self.path.to_path_buf(),
                message,
                fix,
            }
        }
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
}
