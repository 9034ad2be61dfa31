//! The `labelled-csv` reader: one wide CSV per year in the OECD-ICIO-2023-like layout
//! (reference/decomposition.md §8.2; shared/data/SOURCES.md part A §2 for the WIOD files).
//!
//! Layout: the first column holds row labels, the first row column labels (its first cell is
//! ignored). Country-sector rows and intermediate columns are labelled `<CTY>_<SECTOR>` (split
//! at the first separator, so sector codes may themselves contain `_`, e.g. ICIO `A01_02`);
//! final-demand columns are `<CTY>_<FD>`; primary-input rows (`VA`, `TLS`, … — glob patterns,
//! configurable) and an optional output row and column (`OUT`) close the table.
//!
//! Rules: rows and intermediate columns must list the same country-sector labels (any order;
//! Z is put in row order); every country with rows has every final-demand category exactly
//! once; every cell is a number (an empty cell is 0); each row has as many fields as the
//! header. Errors name `file:line:column` where column is the 1-based CSV field number.
//!
//! Negative entries: final demand may be negative (changes in inventories, ICIO `INVNT`,
//! WIOD `c42`, ADB `F5`) and is kept as is, as in every reference package (reference §9
//! pitfall 4). Negative gross output is rejected. Zero-output rows are allowed: their A
//! column is 0 and v = 0 downstream (reference §9 pitfall 3).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use ndarray::{Array1, Array2};
use serde::Deserialize;

use super::{glob_match, outputs_agree, MagnitudeGuard, OutputSource, MAGNITUDE_FIX};
use crate::iot::{dense, EntryLabel, IoTable};
use crate::sources::SourceError;

/// Options of the `labelled-csv` reader. Every key is optional:
///
/// | key | default | meaning |
/// |---|---|---|
/// | `fd_categories` | inferred | final-demand category codes in order; inferred from the columns (order of first appearance) when absent |
/// | `primary_input_rows` | `["VA", "TLS"]` | glob patterns of primary-input row labels (e.g. `"*_TAXSUB"`) |
/// | `output_label` | `"OUT"` | label of the total-output row and column |
/// | `ignore` | `[]` | glob patterns of row or column labels to skip (e.g. `"DISC"`) |
/// | `output` | `"table"` | `table`: x = the `OUT` column (else the `OUT` row); `row-sums`: x = rowSums(Z) + rowSums(Y) (a row sum negative by less than 1e-6 of the largest output is rounding and kept) |
/// | `output_tolerance` | `1e-6` | relative tolerance when the `OUT` row is checked against the `OUT` column |
/// | `separator` | `"_"` | separator between country and sector/category in labels |
/// | `delimiter` | `","` | CSV field delimiter (one ASCII character) |
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LabelledCsvOptions {
    /// Final-demand category codes in order (inferred when `None`).
    pub fd_categories: Option<Vec<String>>,
    /// Glob patterns of primary-input row labels.
    pub primary_input_rows: Vec<String>,
    /// Label of the total-output row and column.
    pub output_label: String,
    /// Glob patterns of row or column labels to skip.
    pub ignore: Vec<String>,
    /// Where gross output comes from.
    pub output: OutputSource,
    /// Relative tolerance of the output row vs output column check.
    pub output_tolerance: f64,
    /// Separator between country and sector/category in labels.
    pub separator: String,
    /// CSV field delimiter.
    pub delimiter: char,
}

impl Default for LabelledCsvOptions {
    fn default() -> Self {
        LabelledCsvOptions {
            fd_categories: None,
            primary_input_rows: vec!["VA".into(), "TLS".into()],
            output_label: "OUT".into(),
            ignore: Vec::new(),
            output: OutputSource::Table,
            output_tolerance: 1e-6,
            separator: "_".into(),
            delimiter: ',',
        }
    }
}

/// Where the gross output vector was read (for locating errors in it).
#[derive(Debug, Clone, Copy)]
enum OutputPlace {
    /// Recomputed from the row (no single cell).
    RowStart,
    /// The output column, at this 1-based field.
    Column(usize),
    /// The output row, on this line.
    Row(usize),
}

/// What a data row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowKind {
    Entry,
    PrimaryInput,
    Output,
}

/// One parsed data row: its label, kind, 1-based line, and offset of its values in the buffer.
struct ParsedRow {
    label: String,
    kind: RowKind,
    line: usize,
    offset: usize,
}

/// The whole file parsed: header labels and a row-major buffer of every numeric field.
struct Parsed {
    header: Vec<String>,
    rows: Vec<ParsedRow>,
    /// Values of fields 1.. of every kept row (width = header.len() − 1).
    values: Vec<f64>,
}

impl Parsed {
    /// Value of field `field` (1-based CSV field number ≥ 2 → column index field − 2).
    fn value(&self, row: &ParsedRow, col: usize) -> f64 {
        self.values[row.offset + col]
    }
}

/// Reads one labelled CSV table (see the module documentation for the layout and rules).
pub fn read(
    path: &Path,
    year: Option<i32>,
    options: &LabelledCsvOptions,
) -> Result<IoTable, SourceError> {
    let ctx = Ctx {
        path,
        options,
        magnitude: MagnitudeGuard::default(),
    };
    ctx.check_options()?;
    let parsed = ctx.parse()?;
    let table = ctx.assemble(&parsed, year)?;
    table.validate().map_err(|source| SourceError::Table {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(table)
}

struct Ctx<'a> {
    path: &'a Path,
    options: &'a LabelledCsvOptions,
    /// Σ|cell| of the numbers read so far.
    magnitude: MagnitudeGuard,
}

/// Column classification of the header.
struct Columns {
    /// Field index (0-based in header, ≥ 1) of the intermediate column of each entry.
    intermediate: Vec<usize>,
    /// Field index of final-demand column (country c, category f) at c·F + f.
    fd: Vec<usize>,
    categories: Vec<String>,
    output: Option<usize>,
}

impl<'a> Ctx<'a> {
    fn text(
        &self,
        line: usize,
        column: usize,
        message: String,
        fix: Option<String>,
    ) -> SourceError {
        SourceError::Text {
            path: self.path.to_path_buf(),
            line,
            column,
            message,
            fix,
        }
    }

    fn layout(&self, message: String, fix: Option<String>) -> SourceError {
        SourceError::Layout {
            path: self.path.to_path_buf(),
            message,
            fix,
        }
    }

    fn check_options(&self) -> Result<(), SourceError> {
        let o = self.options;
        if o.separator.is_empty() {
            return Err(self.layout(
                "option `separator` is empty".into(),
                Some("set separator = \"_\"".into()),
            ));
        }
        if !o.delimiter.is_ascii() {
            return Err(self.layout(
                format!(
                    "option `delimiter` = {:?} is not one ASCII character",
                    o.delimiter
                ),
                Some("use e.g. delimiter = \",\" or \";\"".into()),
            ));
        }
        if !(o.output_tolerance >= 0.0 && o.output_tolerance.is_finite()) {
            return Err(self.layout(
                format!(
                    "option `output_tolerance` = {} must be a finite number ≥ 0",
                    o.output_tolerance
                ),
                None,
            ));
        }
        Ok(())
    }

    fn is_primary(&self, label: &str) -> bool {
        self.options
            .primary_input_rows
            .iter()
            .any(|p| glob_match(p, label))
    }

    fn is_ignored(&self, label: &str) -> bool {
        self.options.ignore.iter().any(|p| glob_match(p, label))
    }

    fn split<'l>(&self, label: &'l str) -> Option<(&'l str, &'l str)> {
        label
            .split_once(self.options.separator.as_str())
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
    }

    fn classify_row(&self, label: &str, line: usize) -> Result<Option<RowKind>, SourceError> {
        if self.is_ignored(label) {
            return Ok(None);
        }
        if label == self.options.output_label {
            return Ok(Some(RowKind::Output));
        }
        if self.is_primary(label) {
            return Ok(Some(RowKind::PrimaryInput));
        }
        if self.split(label).is_some() {
            return Ok(Some(RowKind::Entry));
        }
        Err(self.text(
            line,
            1,
            format!(
                "row label `{label}` is neither a country-sector label `<country>{sep}<sector>`, a primary-input row ({}) nor the output row `{}`",
                self.options.primary_input_rows.join(", "),
                self.options.output_label,
                sep = self.options.separator
            ),
            Some(format!(
                "add `{label}` to primary_input_rows or ignore, or correct the label"
            )),
        ))
    }

    /// A label cell as text; a byte that is not UTF-8 is an error at `line:column` (read
    /// lossily, a Latin-1 label would become a different label and fail far from its cause).
    fn label_text<'b>(
        &self,
        field: &'b [u8],
        line: usize,
        column: usize,
    ) -> Result<&'b str, SourceError> {
        std::str::from_utf8(field).map_err(|e| {
            let byte = field[e.valid_up_to()];
            self.text(
                line,
                column,
                format!(
                    "the label `{}` has byte 0x{byte:02X}, which is not UTF-8",
                    String::from_utf8_lossy(field)
                ),
                Some("save the file as UTF-8".into()),
            )
        })
    }

    /// Reads every record; checks field counts and numbers as it goes.
    fn parse(&self) -> Result<Parsed, SourceError> {
        // `flexible`: the csv crate would stop a ragged row with a bare "found record with N
        // fields"; the loop below rejects it itself, at file:line:column with both counts.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.options.delimiter as u8)
            .buffer_capacity(1 << 20)
            .from_path(self.path)
            .map_err(|e| self.csv_error(e))?;
        let mut record = csv::ByteRecord::new();
        if !reader
            .read_byte_record(&mut record)
            .map_err(|e| self.csv_error(e))?
        {
            return Err(self.layout(
                "the file is empty".into(),
                Some("export the table again, or point the source at the right file".into()),
            ));
        }
        let header: Vec<String> = record
            .iter()
            .enumerate()
            .map(|(k, f)| {
                self.label_text(f, 1, k + 1)
                    .map(|t| t.trim().trim_start_matches('\u{feff}').to_string())
            })
            .collect::<Result<_, _>>()?;
        if header.len() < 2 {
            return Err(self.text(
                1,
                1,
                "the header has fewer than two fields (is the delimiter right?)".into(),
                Some(format!(
                    "the reader splits fields at {:?}",
                    self.options.delimiter
                )),
            ));
        }
        let width = header.len() - 1;
        let mut rows = Vec::new();
        let mut values = Vec::with_capacity(width * (header.len() + 16));
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| self.csv_error(e))?
        {
            let line = record.position().map_or(0, |p| p.line() as usize);
            if record.len() == 1 && record.get(0).is_some_and(|f| f.trim_ascii().is_empty()) {
                continue; // blank line
            }
            if record.len() != header.len() {
                return Err(self.text(
                    line,
                    record.len().min(header.len()) + 1,
                    format!(
                        "row has {} fields but the header has {} (ragged row)",
                        record.len(),
                        header.len()
                    ),
                    Some("every row needs one label and one value per header column".into()),
                ));
            }
            let label = self
                .label_text(record.get(0).unwrap_or_default(), line, 1)?
                .trim()
                .to_string();
            let Some(kind) = self.classify_row(&label, line)? else {
                continue;
            };
            let offset = values.len();
            for (k, field) in record.iter().enumerate().skip(1) {
                values.push(self.number(field, line, k + 1, &label, &header[k])?);
            }
            rows.push(ParsedRow {
                label,
                kind,
                line,
                offset,
            });
        }
        Ok(Parsed {
            header,
            rows,
            values,
        })
    }

    fn number(
        &self,
        field: &[u8],
        line: usize,
        column: usize,
        row: &str,
        col: &str,
    ) -> Result<f64, SourceError> {
        let t = field.trim_ascii();
        if t.is_empty() {
            return Ok(0.0);
        }
        let parsed = std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.parse::<f64>().ok());
        match parsed {
            Some(v) if v.is_finite() => {
                self.magnitude.add(v).map_err(|m| {
                    self.text(
                        line,
                        column,
                        format!("cell ({row}, {col}): {m}"),
                        Some(MAGNITUDE_FIX.into()),
                    )
                })?;
                Ok(v)
            }
            _ => {
                let cell = String::from_utf8_lossy(t);
                Err(self.text(
                    line,
                    column,
                    format!("cell ({row}, {col}) is `{cell}`, not a finite number"),
                    Some(crate::sources::error::not_a_number_fix(
                        &cell,
                        "every cell of the table must be a number (empty = 0)",
                    )),
                ))
            }
        }
    }

    fn csv_error(&self, e: csv::Error) -> SourceError {
        let line = e.position().map(|p| p.line() as usize);
        match (e.into_kind(), line) {
            (csv::ErrorKind::Io(source), _) => SourceError::Io {
                path: self.path.to_path_buf(),
                source,
            },
            (kind, Some(line)) => self.text(line, 1, format!("CSV error: {kind:?}"), None),
            (kind, None) => self.layout(format!("CSV error: {kind:?}"), None),
        }
    }

    fn assemble(&self, p: &Parsed, year: Option<i32>) -> Result<IoTable, SourceError> {
        let entries: Vec<&ParsedRow> = p.rows.iter().filter(|r| r.kind == RowKind::Entry).collect();
        if entries.is_empty() {
            return Err(self.layout(
                "no country-sector rows (`<country>_<sector>` labels) found".into(),
                Some(format!(
                    "the file needs one row per country-sector, labelled like its columns \
                     (`AUS{}s1`); check that the export is complete and `separator` is right",
                    self.options.separator
                )),
            ));
        }
        let (labels, countries, row_country) = self.entry_labels(&entries)?;
        let cols = self.classify_columns(p, &entries, &labels, &countries)?;
        let n = entries.len();
        let g = countries.len();
        let nf = cols.categories.len();
        let z = dense::from_fn(n, n, |(i, j)| p.value(entries[i], cols.intermediate[j] - 1));
        let y = dense::from_fn(n, g * nf, |(i, c)| p.value(entries[i], cols.fd[c] - 1));
        let x = self.output(p, &entries, &cols, &z, &y)?;
        let primary_inputs = p
            .rows
            .iter()
            .filter(|r| r.kind == RowKind::PrimaryInput)
            .map(|r| {
                let v: Array1<f64> = cols
                    .intermediate
                    .iter()
                    .map(|&k| p.value(r, k - 1))
                    .collect();
                (r.label.clone(), v)
            })
            .collect();
        Ok(IoTable {
            year,
            countries,
            fd_categories: cols.categories,
            labels,
            row_country,
            z,
            y,
            x: Array1::from(x),
            primary_inputs,
        })
    }

    /// Entry labels, country list (order of first appearance) and country of each row.
    #[allow(clippy::type_complexity)]
    fn entry_labels(
        &self,
        entries: &[&ParsedRow],
    ) -> Result<(Vec<EntryLabel>, Vec<String>, Vec<usize>), SourceError> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut labels = Vec::with_capacity(entries.len());
        let mut countries: Vec<String> = Vec::new();
        let mut country_index: HashMap<String, usize> = HashMap::new();
        let mut row_country = Vec::with_capacity(entries.len());
        for r in entries {
            if let Some(first) = seen.insert(r.label.as_str(), r.line) {
                return Err(self.text(
                    r.line,
                    1,
                    format!("duplicate row label `{}` (first on line {first})", r.label),
                    Some("each country-sector must appear once".into()),
                ));
            }
            let (block, sector) = self.split(&r.label).unwrap_or((r.label.as_str(), ""));
            let c = *country_index.entry(block.to_string()).or_insert_with(|| {
                countries.push(block.to_string());
                countries.len() - 1
            });
            row_country.push(c);
            labels.push(EntryLabel::new(block, sector));
        }
        Ok((labels, countries, row_country))
    }

    fn classify_columns(
        &self,
        p: &Parsed,
        entries: &[&ParsedRow],
        labels: &[EntryLabel],
        countries: &[String],
    ) -> Result<Columns, SourceError> {
        let entry_index: HashMap<&str, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, r)| (r.label.as_str(), i))
            .collect();
        let sectors: HashSet<&str> = labels.iter().map(|l| l.sector.as_str()).collect();
        let country_index: HashMap<&str, usize> = countries
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let mut intermediate: Vec<Option<usize>> = vec![None; entries.len()];
        let mut output = None;
        let mut fd_cols: Vec<(usize, usize, String)> = Vec::new(); // (field, country, category)
        for (k, label) in p.header.iter().enumerate().skip(1) {
            let col = k + 1;
            if self.is_ignored(label) {
                continue;
            }
            if *label == self.options.output_label {
                if let Some(first) = output {
                    return Err(self.dup_column(label, col, first));
                }
                output = Some(k);
                continue;
            }
            if let Some(&i) = entry_index.get(label.as_str()) {
                if let Some(first) = intermediate[i] {
                    return Err(self.dup_column(label, col, first));
                }
                intermediate[i] = Some(k);
                continue;
            }
            let Some((cty, code)) = self.split(label) else {
                return Err(self.text(
                    1,
                    col,
                    format!(
                        "column label `{label}` is neither `<country>{sep}<sector>`, `<country>{sep}<final-demand category>` nor `{}`",
                        self.options.output_label,
                        sep = self.options.separator
                    ),
                    Some(format!("add `{label}` to ignore, or correct the label")),
                ));
            };
            if sectors.contains(code) {
                return Err(self.text(
                    1,
                    col,
                    format!("intermediate column `{label}` has no row with the same label (rows and intermediate columns must list the same country-sectors)"),
                    Some(format!("add the row `{label}` or remove the column")),
                ));
            }
            let Some(&c) = country_index.get(cty) else {
                return Err(self.text(
                    1,
                    col,
                    format!("final-demand column `{label}` is for country `{cty}`, which has no rows in the table"),
                    Some(format!("known countries: {}", countries.join(", "))),
                ));
            };
            if let Some(allowed) = &self.options.fd_categories {
                if !allowed.iter().any(|a| a == code) {
                    return Err(self.text(
                        1,
                        col,
                        format!(
                            "column `{label}`: `{code}` is not a configured final-demand category ({})",
                            allowed.join(", ")
                        ),
                        Some("add it to fd_categories or to ignore".into()),
                    ));
                }
            }
            fd_cols.push((k, c, code.to_string()));
        }
        let intermediate = intermediate
            .iter()
            .zip(entries)
            .map(|(c, r)| {
                c.ok_or_else(|| {
                    self.text(
                        r.line,
                        1,
                        format!("row `{}` has no intermediate column with the same label (rows and intermediate columns must list the same country-sectors)", r.label),
                        Some(format!("add the column `{}` or remove the row", r.label)),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let categories = match &self.options.fd_categories {
            Some(c) => c.clone(),
            None => {
                let mut cats: Vec<String> = Vec::new();
                for (_, _, code) in &fd_cols {
                    if !cats.contains(code) {
                        cats.push(code.clone());
                    }
                }
                cats
            }
        };
        if categories.is_empty() {
            return Err(self.text(
                1,
                1,
                "no final-demand columns (`<country>_<category>`) found".into(),
                None,
            ));
        }
        let fd = self.fd_layout(p, &fd_cols, countries, &categories)?;
        Ok(Columns {
            intermediate,
            fd,
            categories,
            output,
        })
    }

    fn dup_column(&self, label: &str, col: usize, first: usize) -> SourceError {
        self.text(
            1,
            col,
            format!(
                "duplicate column label `{label}` (first in column {})",
                first + 1
            ),
            Some("each column label must appear once".into()),
        )
    }

    /// Field of each (country, category) final-demand column; every pair exactly once.
    fn fd_layout(
        &self,
        p: &Parsed,
        fd_cols: &[(usize, usize, String)],
        countries: &[String],
        categories: &[String],
    ) -> Result<Vec<usize>, SourceError> {
        let nf = categories.len();
        let mut fd: Vec<Option<usize>> = vec![None; countries.len() * nf];
        for (k, c, code) in fd_cols {
            let f = categories.iter().position(|x| x == code).unwrap_or(0);
            if let Some(first) = fd[c * nf + f] {
                return Err(self.dup_column(&p.header[*k], k + 1, first));
            }
            fd[c * nf + f] = Some(*k);
        }
        fd.iter()
            .enumerate()
            .map(|(idx, v)| {
                v.ok_or_else(|| {
                    let sep = &self.options.separator;
                    self.text(
                        1,
                        1,
                        format!(
                            "missing final-demand column `{}{sep}{}` (every country needs every category: {})",
                            countries[idx / nf],
                            categories[idx % nf],
                            categories.join(", ")
                        ),
                        Some("add the column (zeros if the category is empty)".into()),
                    )
                })
            })
            .collect()
    }

    /// Gross output per the `output` option; the OUT row is checked against the OUT column.
    fn output(
        &self,
        p: &Parsed,
        entries: &[&ParsedRow],
        cols: &Columns,
        z: &Array2<f64>,
        y: &Array2<f64>,
    ) -> Result<Vec<f64>, SourceError> {
        let out_rows: Vec<&ParsedRow> = p
            .rows
            .iter()
            .filter(|r| r.kind == RowKind::Output)
            .collect();
        if let [first, second, ..] = out_rows.as_slice() {
            return Err(self.text(
                second.line,
                1,
                format!(
                    "second `{}` row (first on line {})",
                    second.label, first.line
                ),
                None,
            ));
        }
        let out_row = out_rows.first().copied();
        let n = entries.len();
        let col_x: Option<Vec<f64>> = cols
            .output
            .map(|k| entries.iter().map(|r| p.value(r, k - 1)).collect());
        if let (Some(row), Some(cx)) = (out_row, &col_x) {
            for (i, &k) in cols.intermediate.iter().enumerate() {
                let rv = p.value(row, k - 1);
                if !outputs_agree(rv, cx[i], self.options.output_tolerance) {
                    return Err(self.text(
                        row.line,
                        k + 1,
                        format!(
                            "output of `{}` is {rv} in the `{}` row but {} in the `{}` column (line {})",
                            entries[i].label, row.label, cx[i], self.options.output_label, entries[i].line
                        ),
                        Some("correct the table, or raise output_tolerance".into()),
                    ));
                }
            }
        }
        // Where x[i] was read, for locating a negative value: the OUT column of row i's line,
        // the OUT row under row i's column, or (row sums) the start of row i's line.
        let (x, located) = match self.options.output {
            OutputSource::RowSums => {
                let x = (0..n)
                    .map(|i| {
                        let zs: f64 = (0..n).map(|j| z[(i, j)]).sum();
                        let ys: f64 = (0..y.ncols()).map(|j| y[(i, j)]).sum();
                        zs + ys
                    })
                    .collect();
                (x, OutputPlace::RowStart)
            }
            OutputSource::Table => match (col_x, cols.output, out_row) {
                (Some(cx), Some(k), _) => (cx, OutputPlace::Column(k + 1)),
                (None, _, Some(row)) => {
                    let x = cols.intermediate.iter().map(|&k| p.value(row, k - 1)).collect();
                    (x, OutputPlace::Row(row.line))
                }
                _ => {
                    return Err(self.layout(
                        format!("no `{}` column or row holds gross output", self.options.output_label),
                        Some("set output = \"row-sums\" to compute x = rowSums(Z) + rowSums(Y), or output_label to the total's label".into()),
                    ))
                }
            },
        };
        // Published tables are rounded: a row that truly sums to ~0 (e.g. WIOD's LUX_c5, whose
        // negative inventories exceed its other sales by 1) may come out slightly negative.
        // Row sums negative by less than 1e-6 of the largest output are that rounding, not
        // an error; reported output must still be ≥ 0.
        let scale = x.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let noise = match self.options.output {
            OutputSource::RowSums => 1e-6 * scale,
            OutputSource::Table => 0.0,
        };
        if let Some(i) = x.iter().position(|&v| v < -noise) {
            let (line, column) = match located {
                OutputPlace::RowStart => (entries[i].line, 1),
                OutputPlace::Column(field) => (entries[i].line, field),
                OutputPlace::Row(line) => (line, cols.intermediate[i] + 1),
            };
            let how = match self.options.output {
                OutputSource::RowSums => "rowSums(Z) + rowSums(Y)",
                OutputSource::Table => "reported gross output",
            };
            return Err(self.text(
                line,
                column,
                format!("{how} of `{}` is negative ({})", entries[i].label, x[i]),
                Some(match self.options.output {
                    OutputSource::RowSums => "negative final demand (inventories) exceeds the row's other sales; use output = \"table\"".into(),
                    OutputSource::Table => "gross output must be ≥ 0; correct the table".into(),
                }),
            ));
        }
        Ok(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::path::PathBuf;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("gvc-lcsv-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        p
    }

    const GOOD: &str = "row,A_s1,A_s2,B_s1,B_s2,A_H,A_I,B_H,B_I,OUT\n\
A_s1,1,2,3,4,5,-1,6,0,20\n\
A_s2,0,0,0,0,0,0,0,0,0\n\
B_s1,1,0,2,1,0,1,3,0,8\n\
B_s2,0,1,1,1,1,0,1,0,5\n\
VA,18,-3,2,3,0,0,0,0,0\n\
OUT,20,0,8,5,0,0,0,0,0\n";

    #[test]
    fn hand_table() {
        let p = write("good.csv", GOOD);
        let t = read(&p, Some(2001), &LabelledCsvOptions::default()).unwrap();
        assert_eq!(t.countries, vec!["A", "B"]);
        assert_eq!(t.fd_categories, vec!["H", "I"]);
        assert_eq!(t.z[(0, 3)], 4.0);
        assert_eq!(t.y[(0, 1)], -1.0);
        assert_eq!(t.y[(2, 2)], 3.0);
        assert_eq!(t.x.to_vec(), vec![20.0, 0.0, 8.0, 5.0]);
        assert_eq!(t.primary_inputs[0].0, "VA");
        assert_eq!(t.primary_inputs[0].1.to_vec(), vec![18.0, -3.0, 2.0, 3.0]);
        assert_eq!(t.year, Some(2001));
    }

    #[test]
    fn mismatching_out_row_is_located() {
        let bad = GOOD.replace("OUT,20,0,8,5", "OUT,20,0,9,5");
        let p = write("badout.csv", &bad);
        let e = read(&p, None, &LabelledCsvOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("badout.csv:7:4:"), "{e}");
    }
}
