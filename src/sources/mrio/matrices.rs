//! Reader for a table given as separate CSV matrices, the decompr layout
//! (reference/decomposition.md §7; golden `decompr_leather/input_*.csv`): intermediate flows
//! Z (n×n), final demand (n × G·F, country-major then category), optional gross output (n),
//! and one-column lists of countries and industries. Rows are country-major: entry
//! (s, i) = s·N + i. Header rows and a row-label column are detected and, when present,
//! checked against the country and industry lists.

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2};

use super::{MagnitudeGuard, MAGNITUDE_FIX};
use crate::iot::{dense, EntryLabel, IoTable};
use crate::sources::SourceError;

/// File names of the matrices, relative to the folder given to [`read`] (absolute paths are
/// used as they are).
#[derive(Debug, Clone, PartialEq)]
pub struct MatricesOptions {
    /// Z, n×n. Default `input_inter.csv`.
    pub inter: PathBuf,
    /// Final demand, n × (G·F). Default `input_final.csv`.
    pub final_demand: PathBuf,
    /// Gross output, n values; `None` recomputes x = rowSums(Z) + rowSums(Y). Default `input_out.csv`.
    pub output: Option<PathBuf>,
    /// Country list, one per line. Default `input_countries.csv`.
    pub countries: PathBuf,
    /// Industry list, one per line. Default `input_industries.csv`.
    pub industries: PathBuf,
    /// Whether the two lists start with a header line (decompr: `country`, `industry`).
    pub lists_have_header: bool,
    /// Year to record in the table.
    pub year: Option<i32>,
}

impl Default for MatricesOptions {
    fn default() -> Self {
        MatricesOptions {
            inter: "input_inter.csv".into(),
            final_demand: "input_final.csv".into(),
            output: Some("input_out.csv".into()),
            countries: "input_countries.csv".into(),
            industries: "input_industries.csv".into(),
            lists_have_header: true,
            year: None,
        }
    }
}

/// Reads the matrices in `dir` into an [`IoTable`] (x from the output file when named, else
/// recomputed; reference §9 pitfall 1).
pub fn read(dir: &Path, options: &MatricesOptions) -> Result<IoTable, SourceError> {
    let resolve = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            dir.join(p)
        }
    };
    let countries_path = resolve(&options.countries);
    let industries_path = resolve(&options.industries);
    let countries = read_list(&countries_path, options.lists_have_header)?;
    let industries = read_list(&industries_path, options.lists_have_header)?;
    let (g, nsec) = (countries.len(), industries.len());
    let n = g * nsec;
    let expected: Vec<String> = countries
        .iter()
        .flat_map(|c| industries.iter().map(move |i| format!("{c}.{i}")))
        .collect();
    let labels: Vec<EntryLabel> = countries
        .iter()
        .flat_map(|c| {
            industries
                .iter()
                .map(move |i| EntryLabel::new(c.clone(), i.clone()))
        })
        .collect();

    let inter_path = resolve(&options.inter);
    let inter = read_matrix(&inter_path)?;
    check_rows(&inter_path, &inter, n, &countries, &industries, &expected)?;
    if inter.values.ncols() != n {
        return Err(SourceError::Layout {
            path: inter_path,
            message: format!(
                "the intermediate block is not square: {} rows but {} numeric columns",
                inter.values.nrows(),
                inter.values.ncols()
            ),
            fix: Some(format!("Z must have one column per country-industry ({g} countries × {nsec} industries = {n})")),
        });
    }
    if let Some(header) = &inter.header {
        for (k, label) in header.iter().enumerate() {
            if !label_matches(label, &countries[k / nsec], &industries[k % nsec]) {
                return Err(SourceError::Text {
                    path: inter_path,
                    line: inter.header_line,
                    column: k + 1 + usize::from(inter.has_row_labels),
                    message: format!("column label `{label}` but column {} should be `{}`", k + 1, expected[k]),
                    fix: Some("order columns country-major in the order of the country and industry lists".into()),
                });
            }
        }
    }

    let final_path = resolve(&options.final_demand);
    let fin = read_matrix(&final_path)?;
    check_rows(&final_path, &fin, n, &countries, &industries, &expected)?;
    let fd_cols = fin.values.ncols();
    if g == 0 || fd_cols == 0 || fd_cols % g != 0 {
        return Err(SourceError::Layout {
            path: final_path,
            message: format!("final demand has {fd_cols} columns, not a multiple of the {g} countries"),
            fix: Some("give F columns per country, country-major (country 1 categories, country 2 categories, ...)".into()),
        });
    }
    let f = fd_cols / g;
    let fd_categories = category_names(fin.header.as_deref(), &countries, f);

    let x = match &options.output {
        Some(p) => {
            let out_path = resolve(p);
            let out = read_matrix(&out_path)?;
            check_rows(&out_path, &out, n, &countries, &industries, &expected)?;
            if out.values.ncols() != 1 {
                return Err(SourceError::Layout {
                    path: out_path,
                    message: format!(
                        "gross output must be one numeric column, found {}",
                        out.values.ncols()
                    ),
                    fix: None,
                });
            }
            (0..n).map(|i| out.values[(i, 0)]).collect()
        }
        None => Array1::zeros(0),
    };
    let mut table = IoTable {
        year: options.year,
        countries,
        fd_categories,
        labels,
        row_country: (0..n).map(|i| i / nsec.max(1)).collect(),
        z: inter.values,
        y: fin.values,
        x,
        primary_inputs: Vec::new(),
    };
    if options.output.is_none() {
        table.x = table.output_from_rows();
    }
    table.validate().map_err(|source| SourceError::Table {
        path: inter_path,
        source,
    })?;
    Ok(table)
}

/// A numeric matrix read from CSV with its optional header and row labels.
#[derive(Debug)]
pub(crate) struct CsvMatrix {
    pub header: Option<Vec<String>>,
    pub header_line: usize,
    pub has_row_labels: bool,
    pub row_labels: Vec<String>,
    pub lines: Vec<usize>,
    pub values: Array2<f64>,
}

/// Opens a CSV file for record-by-record reading (no header handling). Ragged rows are let
/// through the csv crate so that the callers reject them themselves at file:line:column with
/// both field counts ([`read_matrix`]: every row as wide as the first data row and the
/// header; the lists: one field per line; `icio-csv`: as wide as the header).
pub(crate) fn open_csv(path: &Path) -> Result<csv::Reader<std::fs::File>, SourceError> {
    let file = std::fs::File::open(path).map_err(|source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(file))
}

/// Reads the next record, mapping CSV errors to located errors. Returns the 1-based line.
pub(crate) fn next_record(
    path: &Path,
    reader: &mut csv::Reader<std::fs::File>,
    record: &mut csv::StringRecord,
) -> Result<Option<usize>, SourceError> {
    match reader.read_record(record) {
        Ok(true) => Ok(Some(
            record.position().map(|p| p.line() as usize).unwrap_or(0),
        )),
        Ok(false) => Ok(None),
        Err(err) => {
            let line = err.position().map(|p| p.line() as usize).unwrap_or(0);
            if let csv::ErrorKind::Io(_) = err.kind() {
                return Err(SourceError::Io {
                    path: path.to_path_buf(),
                    source: std::io::Error::other(err.to_string()),
                });
            }
            Err(SourceError::Text {
                path: path.to_path_buf(),
                line,
                column: 1,
                message: format!("not readable as CSV: {err}"),
                fix: Some("save the file as UTF-8 CSV".into()),
            })
        }
    }
}

/// Parses one data cell; empty cells are 0 (blank cells in published tables), anything else
/// must be a finite number (`inf`, `NaN` and `1e309` are not), and the file's cells must not
/// add up past [`MAX_TABLE_MAGNITUDE`](super::MAX_TABLE_MAGNITUDE) (`guard`).
pub(crate) fn parse_cell(
    path: &Path,
    (line, column): (usize, usize),
    text: &str,
    what: &str,
    guard: &MagnitudeGuard,
) -> Result<f64, SourceError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(0.0);
    }
    let located = |message: String, fix: &str| SourceError::Text {
        path: path.to_path_buf(),
        line,
        column,
        message,
        fix: Some(fix.into()),
    };
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => {
            guard
                .add(v)
                .map_err(|m| located(format!("{what}: {m}"), MAGNITUDE_FIX))?;
            Ok(v)
        }
        _ => Err(located(
            format!("`{t}` in {what} is not a finite number"),
            &crate::sources::error::not_a_number_fix(
                t,
                "the data block must hold only finite numbers (blank = 0)",
            ),
        )),
    }
}

fn is_number(text: &str) -> bool {
    let t = text.trim();
    t.is_empty() || t.parse::<f64>().map(|v| v.is_finite()).unwrap_or(false)
}

/// Reads a numeric matrix; a first record whose cells after the first are mostly text (at
/// least as many non-numbers as numbers) is a header, and a non-numeric first cell of the
/// first data row makes the first column labels.
pub(crate) fn read_matrix(path: &Path) -> Result<CsvMatrix, SourceError> {
    let mut reader = open_csv(path)?;
    let mut record = csv::StringRecord::new();
    let mut header = None;
    let mut header_line = 0;
    let mut has_row_labels: Option<bool> = None;
    let mut width: Option<usize> = None;
    let mut row_labels = Vec::new();
    let mut lines = Vec::new();
    let mut data: Vec<f64> = Vec::new();
    let guard = MagnitudeGuard::default();
    let mut first = true;
    while let Some(line) = next_record(path, &mut reader, &mut record)? {
        let fields: Vec<&str> = record.iter().collect();
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if first {
            first = false;
            // A header is mostly text. A first row that is mostly numbers with a few text
            // cells (`abc`, a decimal comma `1,5`) is data with bad cells, reported at the
            // cell, not a header that later shows up as a row-count mismatch.
            let text = fields.iter().skip(1).filter(|f| !is_number(f)).count();
            let numbers = fields
                .iter()
                .skip(1)
                .filter(|f| !f.trim().is_empty() && is_number(f))
                .count();
            if text > 0 && text >= numbers {
                header = Some(
                    fields
                        .iter()
                        .map(|f| f.trim().trim_start_matches('\u{feff}').to_string())
                        .collect::<Vec<_>>(),
                );
                header_line = line;
                continue;
            }
        }
        let labelled = *has_row_labels.get_or_insert_with(|| {
            !is_number(fields[0])
                || header
                    .as_ref()
                    .is_some_and(|h| h.first().is_some_and(|c| c.is_empty()))
        });
        let start = usize::from(labelled);
        let w = *width.get_or_insert(fields.len());
        if fields.len() != w {
            return Err(SourceError::Text {
                path: path.to_path_buf(),
                line,
                column: fields.len().min(w) + 1,
                message: format!(
                    "row has {} fields but the first data row has {w}",
                    fields.len()
                ),
                fix: Some("every row must have the same number of cells".into()),
            });
        }
        if labelled {
            row_labels.push(fields[0].trim().to_string());
        }
        for (k, f) in fields.iter().enumerate().skip(start) {
            let what = match &header {
                Some(h) => format!("column `{}`", h.get(k).map(String::as_str).unwrap_or("?")),
                None => format!("column {}", k + 1),
            };
            data.push(parse_cell(path, (line, k + 1), f, &what, &guard)?);
        }
        lines.push(line);
    }
    let labelled = has_row_labels.unwrap_or(false);
    let ncols = width.map(|w| w - usize::from(labelled)).unwrap_or(0);
    let nrows = lines.len();
    if let Some(h) = &header {
        let expect = ncols + usize::from(labelled);
        if nrows > 0 && h.len() != expect {
            return Err(SourceError::Text {
                path: path.to_path_buf(),
                line: header_line,
                column: h.len().min(expect) + 1,
                message: format!("header has {} cells but data rows have {expect}", h.len()),
                fix: Some("every row must have the same number of cells".into()),
            });
        }
    }
    let values = dense::from_fn(nrows, ncols, |(i, j)| data[i * ncols + j]);
    let header = header.map(|h| h.into_iter().skip(usize::from(labelled)).collect());
    Ok(CsvMatrix {
        header,
        header_line,
        has_row_labels: labelled,
        row_labels,
        lines,
        values,
    })
}

/// Reads a one-column list (countries, industries).
fn read_list(path: &Path, has_header: bool) -> Result<Vec<String>, SourceError> {
    let mut reader = open_csv(path)?;
    let mut record = csv::StringRecord::new();
    let mut out = Vec::new();
    let mut first = true;
    while let Some(line) = next_record(path, &mut reader, &mut record)? {
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if first && has_header {
            first = false;
            continue;
        }
        first = false;
        if record.len() != 1 {
            return Err(SourceError::Text {
                path: path.to_path_buf(),
                line,
                column: 2,
                message: format!(
                    "a list file has one name per line, found {} cells",
                    record.len()
                ),
                fix: None,
            });
        }
        let name = record
            .get(0)
            .unwrap_or_default()
            .trim()
            .trim_start_matches('\u{feff}')
            .to_string();
        if let Some(first) = out.iter().position(|n| *n == name) {
            return Err(SourceError::Text {
                path: path.to_path_buf(),
                line,
                column: 1,
                message: format!("`{name}` is listed twice (first as item {})", first + 1),
                fix: Some("list each code once: a duplicate would give two entries the same country-industry label".into()),
            });
        }
        out.push(name);
    }
    if out.is_empty() {
        return Err(SourceError::Layout {
            path: path.to_path_buf(),
            message: "the list is empty".into(),
            fix: None,
        });
    }
    Ok(out)
}

fn label_matches(label: &str, country: &str, industry: &str) -> bool {
    [".", "_", " ", "-", ""]
        .iter()
        .any(|sep| label == format!("{country}{sep}{industry}"))
}

fn check_rows(
    path: &Path,
    m: &CsvMatrix,
    n: usize,
    countries: &[String],
    industries: &[String],
    expected: &[String],
) -> Result<(), SourceError> {
    if m.values.nrows() != n {
        return Err(SourceError::Layout {
            path: path.to_path_buf(),
            message: format!(
                "{} data rows but {} countries × {} industries = {n}",
                m.values.nrows(),
                countries.len(),
                industries.len()
            ),
            fix: Some("one row per country-industry, country-major".into()),
        });
    }
    let nsec = industries.len();
    for (k, label) in m.row_labels.iter().enumerate() {
        if !label.is_empty() && !label_matches(label, &countries[k / nsec], &industries[k % nsec]) {
            return Err(SourceError::Text {
                path: path.to_path_buf(),
                line: m.lines[k],
                column: 1,
                message: format!(
                    "row label `{label}` but row {} should be `{}`",
                    k + 1,
                    expected[k]
                ),
                fix: Some(
                    "order rows country-major in the order of the country and industry lists"
                        .into(),
                ),
            });
        }
    }
    Ok(())
}

/// Category names from the final-demand header: the first country's columns with the country
/// prefix removed; `FD` for one category; `F1..F<f>` when there is no usable header.
fn category_names(header: Option<&[String]>, countries: &[String], f: usize) -> Vec<String> {
    if f == 1 {
        return vec!["FD".to_string()];
    }
    let Some(h) = header else {
        return (1..=f).map(|k| format!("F{k}")).collect();
    };
    let first = &countries[0];
    let names: Vec<String> = h
        .iter()
        .take(f)
        .map(|label| {
            label
                .strip_prefix(first.as_str())
                .map(|rest| rest.trim_start_matches(['.', '_', ' ', '-']).to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| label.clone())
        })
        .collect();
    let mut dedup = names.clone();
    dedup.sort();
    dedup.dedup();
    if dedup.len() == f {
        names
    } else {
        (1..=f).map(|k| format!("F{k}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempDir(PathBuf);
    impl TempDir {
        fn new(tag: &str) -> Self {
            let p = std::env::temp_dir().join(format!("gvc_matrices_{tag}_{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
        fn write(&self, name: &str, text: &str) {
            std::fs::write(self.0.join(name), text).unwrap();
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn good(tag: &str) -> TempDir {
        let d = TempDir::new(tag);
        d.write("input_countries.csv", "country\nA\nB\n");
        d.write("input_industries.csv", "industry\nx\n");
        d.write("input_inter.csv", ",A.x,B.x\nA.x,1,2\nB.x,3,4\n");
        d.write("input_final.csv", ",A,B\nA.x,5,6\nB.x,7,8\n");
        d.write("input_out.csv", "row,out\nA.x,14\nB.x,22\n");
        d
    }

    #[test]
    fn reads_decompr_layout() {
        let d = good("ok");
        let t = read(&d.0, &MatricesOptions::default()).unwrap();
        assert_eq!(t.countries, vec!["A", "B"]);
        assert_eq!(t.z[(1, 0)], 3.0);
        assert_eq!(t.y[(0, 1)], 6.0);
        assert_eq!(t.x.to_vec(), vec![14.0, 22.0]);
        assert_eq!(t.fd_categories, vec!["FD"]);
        let t2 = read(
            &d.0,
            &MatricesOptions {
                output: None,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(t2.x.to_vec(), vec![14.0, 22.0]);
    }

    fn err_text(d: &TempDir) -> String {
        read(&d.0, &MatricesOptions::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_bad_cell_in_the_first_row_of_a_headerless_matrix_is_located() {
        let d = TempDir::new("first-row");
        d.write("m.csv", "1,2,1;5,4\n5,6,7,8\n");
        let e = read_matrix(&d.0.join("m.csv")).unwrap_err().to_string();
        assert!(e.contains("m.csv:1:3") && e.contains("`1;5`"), "{e}");
        d.write("m.csv", "1,2,\"1,5\",4\n5,6,7,8\n");
        let e = read_matrix(&d.0.join("m.csv")).unwrap_err().to_string();
        assert!(e.contains("m.csv:1:3") && e.contains("write `1.5`"), "{e}");
        // A header is still a header, also with an empty corner.
        d.write("m.csv", ",A.x,B.x,C.x\nA.x,1,2,3\n");
        let m = read_matrix(&d.0.join("m.csv")).unwrap();
        assert!(m.header.is_some());
        assert_eq!(m.values.dim(), (1, 3));
    }

    #[test]
    fn duplicate_list_entry_is_located() {
        let d = good("dup");
        d.write("input_countries.csv", "country\nA\nB\nA\n");
        let msg = err_text(&d);
        assert!(
            msg.contains("input_countries.csv:4:1: `A` is listed twice (first as item 1)"),
            "{msg}"
        );
    }

    #[test]
    fn text_cell_is_located() {
        let d = good("text");
        d.write("input_inter.csv", ",A.x,B.x\nA.x,1,2\nB.x,3,abc\n");
        let msg = err_text(&d);
        assert!(msg.contains("input_inter.csv:3:3"), "{msg}");
        assert!(msg.contains("`abc`"), "{msg}");
    }

    #[test]
    fn ragged_row_is_located() {
        let d = good("ragged");
        d.write("input_final.csv", ",A,B\nA.x,5,6\nB.x,7\n");
        let msg = err_text(&d);
        assert!(msg.contains("input_final.csv:3:"), "{msg}");
        assert!(msg.contains("fields"), "{msg}");
    }

    #[test]
    fn non_square_block_is_an_error() {
        let d = good("square");
        d.write("input_inter.csv", "A.x,1,2,9\nB.x,3,4,9\n");
        let msg = err_text(&d);
        assert!(msg.contains("not square"), "{msg}");
    }

    #[test]
    fn wrong_row_order_is_located() {
        let d = good("order");
        d.write("input_inter.csv", ",A.x,B.x\nB.x,1,2\nA.x,3,4\n");
        let msg = err_text(&d);
        assert!(msg.contains("input_inter.csv:2:1"), "{msg}");
    }

    #[test]
    fn wrong_row_count_and_missing_file() {
        let d = good("count");
        d.write("input_out.csv", "row,out\nA.x,14\n");
        assert!(err_text(&d).contains("1 data rows"));
        std::fs::remove_file(d.0.join("input_out.csv")).unwrap();
        assert!(matches!(
            read(&d.0, &MatricesOptions::default()),
            Err(SourceError::Io { .. })
        ));
    }

    #[test]
    fn final_demand_columns_must_divide_by_countries() {
        let d = good("fd");
        d.write("input_final.csv", ",A,B,C\nA.x,5,6,1\nB.x,7,8,1\n");
        assert!(err_text(&d).contains("not a multiple"));
    }
}
