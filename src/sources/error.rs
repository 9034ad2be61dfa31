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

#[cfg(test)]
mod tests {
    use super::a1;

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
