//! Errors of the data readers. Every variant names the place (file, and line:column or
//! sheet!cell where there is one) and, where we know it, what the user should do.

use std::path::PathBuf;

use crate::iot::TableError;

/// A reader failure, located in the input file.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file could not be opened or read at all.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A problem at a line and column of a text file (1-based).
    #[error("{}:{line}:{column}: {message}{}", path.display(), fix_suffix(fix))]
    Text {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        fix: Option<String>,
    },
    /// A problem at a cell of a workbook (`cell` in A1 notation).
    #[error("{}: {sheet}!{cell}: {message}{}", path.display(), fix_suffix(fix))]
    Cell {
        path: PathBuf,
        sheet: String,
        cell: String,
        message: String,
        fix: Option<String>,
    },
    /// The file's layout is not one the reader recognises (no single location to name).
    #[error("{}: {message}{}", path.display(), fix_suffix(fix))]
    Layout {
        path: PathBuf,
        message: String,
        fix: Option<String>,
    },
    /// A column, series or indicator named by the spec or an option is not in the source
    /// (boxed: it is the largest variant).
    #[error(transparent)]
    NotFound(Box<NotFound>),
    /// The parsed table is inconsistent.
    #[error("{}: {source}", path.display())]
    Table {
        path: PathBuf,
        #[source]
        source: TableError,
    },
}

/// A name the source lacks. The message reads `column x2 not in cov.csv (columns iso3, year,
/// x1)`; it carries no line, so a caller that knows where the name was written (a spec key)
/// can attach that.
#[derive(Debug, thiserror::Error)]
#[error("{what} `{name}` not in {} ({}){}", path.display(), available_list(available), fix_suffix(fix))]
pub struct NotFound {
    /// The file or folder searched.
    pub path: PathBuf,
    /// What was looked for: `column`, `year column`, `indicator`, `series`, ….
    pub what: String,
    /// The name looked for.
    pub name: String,
    /// What the source has, e.g. (`columns`, [iso3, year, x1]) for `columns iso3, year, x1`.
    pub available: (String, Vec<String>),
    /// How to fix it (the nearest names first when there are any).
    pub fix: Option<String>,
}

impl From<NotFound> for SourceError {
    fn from(e: NotFound) -> Self {
        SourceError::NotFound(Box::new(e))
    }
}

/// `columns iso3, year, x1`; long lists are cut after 20 names with the count of the rest.
fn available_list((kind, names): &(String, Vec<String>)) -> String {
    const SHOWN: usize = 20;
    if names.is_empty() {
        return format!("no {kind}");
    }
    let mut list = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        list.push_str(&format!(", … {} more", names.len() - SHOWN));
    }
    format!("{kind} {list}")
}

fn fix_suffix(fix: &Option<String>) -> String {
    match fix {
        Some(f) => format!(" (fix: {f})"),
        None => String::new(),
    }
}

/// Converts a zero-based (row, column) pair to A1 notation, e.g. (0, 27) -> "AB1".
pub fn a1(row: usize, col: usize) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        let rem = (c - 1) % 26;
        letters.push(b'A' + rem as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        String::from_utf8(letters).unwrap_or_default(),
        row + 1
    )
}

/// The fix for a table or covariate cell that is not a number: `fallback`, unless the text is a number
/// written with a decimal comma (`1,5`) or with thousands separators (`1,234,567`), which
/// CSV exports of a European-locale spreadsheet produce; then the fix says that.
pub(crate) fn not_a_number_fix(cell: &str, fallback: &str) -> String {
    let finite = |t: &str| t.parse::<f64>().is_ok_and(f64::is_finite);
    let t = cell.trim();
    let commas = t.matches(',').count();
    let three_after = t
        .split_once(',')
        .is_some_and(|(_, b)| b.len() == 3 && b.bytes().all(|c| c.is_ascii_digit()));
    if commas == 1 && three_after && finite(&t.replace(',', "")) {
        format!(
            "`{t}` has a decimal comma or a thousands separator: write `{}` or `{}`, whichever it means (export the table with a point as the decimal separator and no digit grouping)",
            t.replace(',', "."),
            t.replace(',', "")
        )
    } else if commas == 1 && !t.contains('.') && finite(&t.replace(',', ".")) {
        format!(
            "`{t}` looks like a decimal comma: write `{}` (export the table with a point as the decimal separator)",
            t.replace(',', ".")
        )
    } else if commas >= 1 && finite(&t.replace(',', "")) {
        format!(
            "`{t}` looks like a number with thousands separators: write `{}` (export the table without digit grouping)",
            t.replace(',', "")
        )
    } else {
        fallback.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::{a1, not_a_number_fix};

    #[test]
    fn a_decimal_comma_or_digit_grouping_gets_its_own_fix() {
        let fix = |t| not_a_number_fix(t, "fallback");
        assert!(
            fix("1,5").contains("decimal comma: write `1.5`"),
            "{}",
            fix("1,5")
        );
        assert!(fix("-0,25").contains("write `-0.25`"), "{}", fix("-0,25"));
        assert!(fix("1,234,567").contains("thousands separators: write `1234567`"));
        assert!(fix("1,234,567.5").contains("write `1234567.5`"));
        let both = fix("1,500");
        assert!(both.contains("`1.500` or `1500`"), "{both}");
        for other in ["abc", "n/a", "1,5x", ",", "1;5"] {
            assert_eq!(fix(other), "fallback", "{other}");
        }
    }

    #[test]
    fn a1_notation() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(4, 25), "Z5");
        assert_eq!(a1(0, 26), "AA1");
        assert_eq!(a1(9, 27), "AB10");
        assert_eq!(a1(0, 701), "ZZ1");
        assert_eq!(a1(0, 702), "AAA1");
    }
}
