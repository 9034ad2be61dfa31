//! Reader for OECD ICIO CSV tables, 2021 and 2023 editions (reference/decomposition.md §8.2),
//! including the extended tables whose China and Mexico data sit in split blocks CN1/CN2 and
//! MX1/MX2 while the CHN/MEX rows are zero placeholders.
//!
//! Layout (both editions): first column row labels, first row column labels. Intermediate
//! rows are the rows whose label is also a column label (`<BLOCK>_<industry>`); final-demand
//! columns are the other `<ISO3>_<CATEGORY>` columns (parsed by suffix, not a fixed list);
//! `OUT`/`OUTPUT`/`TOTAL` is the output row or column; every other row (`TLS`, `VA`, `VALU`,
//! `<ISO3>_TAXSUB`) is a primary input. Split blocks either keep their rows and map to their
//! country through `row_country` (exvatools, default), or are summed into the country's rows
//! before anything is computed (pymrio); the two give different numbers (§9 pitfall 5).

use std::collections::HashMap;
use std::path::Path;

use ndarray::Array1;

use super::matrices::{next_record, open_csv, parse_cell};
use super::MagnitudeGuard;
use crate::iot::{dense, EntryLabel, IoTable};
use crate::sources::SourceError;

/// What to do with split country blocks (CN1/CN2, MX1/MX2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SplitBlocks {
    /// Keep the blocks; their rows belong to the country through `row_country` (exvatools).
    #[default]
    KeepMapped,
    /// Sum the blocks into the country's rows and columns first (pymrio, the Stata do-file).
    Aggregate,
}

/// Where gross output x comes from (reference §9 pitfall 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IcioOutput {
    /// x = rowSums(Z) + rowSums(Y) (exvatools; identities then hold exactly).
    #[default]
    Recompute,
    /// The table's `OUT`/`OUTPUT`/`TOTAL` column (or row when there is no column).
    Table,
}

/// Options of [`read`].
#[derive(Debug, Clone, PartialEq)]
pub struct IcioOptions {
    pub split_blocks: SplitBlocks,
    pub output: IcioOutput,
    /// Row blocks that belong to another country: (block, country). Defaults cover the ICIO
    /// editions: CN1..CN4 → CHN, MX1..MX3 → MEX.
    pub block_country: Vec<(String, String)>,
    /// Year to record in the table.
    pub year: Option<i32>,
}

impl Default for IcioOptions {
    fn default() -> Self {
        let pairs = [
            ("CN1", "CHN"),
            ("CN2", "CHN"),
            ("CN3", "CHN"),
            ("CN4", "CHN"),
            ("MX1", "MEX"),
            ("MX2", "MEX"),
            ("MX3", "MEX"),
        ];
        IcioOptions {
            split_blocks: SplitBlocks::KeepMapped,
            output: IcioOutput::Recompute,
            block_country: pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            year: None,
        }
    }
}

fn is_output_label(label: &str) -> bool {
    matches!(
        label.to_ascii_uppercase().as_str(),
        "OUT" | "OUTPUT" | "TOTAL"
    )
}

fn is_primary_label(label: &str) -> bool {
    let up = label.to_ascii_uppercase();
    matches!(up.as_str(), "TLS" | "VA" | "VALU" | "TAXSUB" | "VA+TAXSUB")
        || up.ends_with("_TAXSUB")
        || up.contains("VALU")
}

struct RawRow {
    line: usize,
    label: String,
    values: Vec<f64>,
}

/// Reads an ICIO CSV file into an [`IoTable`].
pub fn read(path: &Path, options: &IcioOptions) -> Result<IoTable, SourceError> {
    let mut reader = open_csv(path)?;
    let mut record = csv::StringRecord::new();
    let layout_err = |message: String, fix: Option<String>| SourceError::Layout {
        path: path.to_path_buf(),
        message,
        fix,
    };
    let text_err =
        |line: usize, column: usize, message: String, fix: Option<&str>| SourceError::Text {
            path: path.to_path_buf(),
            line,
            column,
            message,
            fix: fix.map(str::to_string),
        };
    let Some(header_line) = next_record(path, &mut reader, &mut record)? else {
        return Err(layout_err("the file is empty".into(), None));
    };
    let header: Vec<String> = record
        .iter()
        .skip(1)
        .map(|s| s.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let width = header.len();
    let mut col_of: HashMap<&str, usize> = HashMap::new();
    for (k, label) in header.iter().enumerate() {
        if label.is_empty() {
            return Err(text_err(
                header_line,
                k + 2,
                "empty column label".into(),
                Some("every column needs a label"),
            ));
        }
        if col_of.insert(label.as_str(), k).is_some() {
            return Err(text_err(
                header_line,
                k + 2,
                format!("column label `{label}` appears twice"),
                None,
            ));
        }
    }

    let mut rows: Vec<RawRow> = Vec::new();
    let guard = MagnitudeGuard::default();
    while let Some(line) = next_record(path, &mut reader, &mut record)? {
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != width + 1 {
            return Err(text_err(
                line,
                record.len().min(width + 1) + 1,
                format!(
                    "row has {} cells but the header has {}",
                    record.len(),
                    width + 1
                ),
                Some("every row must have one cell per column label"),
            ));
        }
        let label = record.get(0).unwrap_or_default().trim().to_string();
        let mut values = Vec::with_capacity(width);
        for (k, cell) in record.iter().enumerate().skip(1) {
            let what = format!("row `{label}`, column `{}`", header[k - 1]);
            values.push(parse_cell(path, (line, k + 1), cell, &what, &guard)?);
        }
        rows.push(RawRow {
            line,
            label,
            values,
        });
    }

    // Classify rows.
    let mut inter_rows: Vec<usize> = Vec::new();
    let mut out_row: Option<usize> = None;
    let mut primary_rows: Vec<usize> = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (r, row) in rows.iter().enumerate() {
        if let Some(prev) = seen.insert(row.label.as_str(), row.line) {
            return Err(text_err(
                row.line,
                1,
                format!("duplicate row label `{}` (first on line {prev})", row.label),
                Some("each country-industry row must appear once"),
            ));
        }
        if is_output_label(&row.label) {
            out_row = Some(r);
        } else if col_of.contains_key(row.label.as_str()) {
            if !primary_rows.is_empty() {
                return Err(text_err(
                    row.line,
                    1,
                    format!(
                        "intermediate row `{}` comes after the primary-input rows",
                        row.label
                    ),
                    Some("intermediate rows must form one block at the top"),
                ));
            }
            inter_rows.push(r);
        } else if is_primary_label(&row.label) {
            primary_rows.push(r);
        } else {
            return Err(text_err(
                row.line,
                1,
                format!(
                    "row `{}` has no column with the same label and is not a primary-input row (TLS, VA, VALU, <ISO3>_TAXSUB, OUT)",
                    row.label
                ),
                Some("the intermediate block must be square: every country-industry row needs its column"),
            ));
        }
    }
    if inter_rows.is_empty() {
        return Err(layout_err(
            "no intermediate rows: no row label matches a column label".into(),
            Some(
                "ICIO CSV files have row labels <ISO3>_<industry> matching the column labels"
                    .into(),
            ),
        ));
    }
    let inter_cols: Vec<usize> = inter_rows
        .iter()
        .map(|&r| col_of[rows[r].label.as_str()])
        .collect();
    let last_inter_col = inter_cols.iter().copied().max().unwrap_or(0);
    let is_inter_col: Vec<bool> = {
        let mut v = vec![false; width];
        for &c in &inter_cols {
            v[c] = true;
        }
        v
    };

    // Classify the remaining columns: output or final demand.
    let mut out_col: Option<usize> = None;
    let mut fd_cols: Vec<(usize, String, String)> = Vec::new();
    for (k, label) in header.iter().enumerate() {
        if is_inter_col[k] {
            continue;
        }
        if is_output_label(label) {
            out_col = Some(k);
            continue;
        }
        if k < last_inter_col {
            return Err(text_err(
                header_line,
                k + 2,
                format!(
                    "column `{label}` sits inside the intermediate block but no row has that label"
                ),
                Some("the intermediate block must be square: add the row or remove the column"),
            ));
        }
        let Some((code, cat)) = label.split_once('_') else {
            return Err(text_err(
                header_line,
                k + 2,
                format!("final-demand column `{label}` is not of the form <ISO3>_<CATEGORY>"),
                None,
            ));
        };
        fd_cols.push((k, code.to_string(), cat.to_string()));
    }
    if fd_cols.is_empty() {
        return Err(layout_err(
            "no final-demand columns (<ISO3>_<CATEGORY>) after the intermediate block".into(),
            None,
        ));
    }
    let mut countries: Vec<String> = Vec::new();
    let mut categories: Vec<String> = Vec::new();
    for (_, code, cat) in &fd_cols {
        if !countries.contains(code) {
            countries.push(code.clone());
        }
        if !categories.contains(cat) {
            categories.push(cat.clone());
        }
    }
    let (g, f) = (countries.len(), categories.len());
    let mut fd_index: Vec<Option<usize>> = vec![None; g * f];
    for (k, code, cat) in &fd_cols {
        let c = countries.iter().position(|x| x == code).unwrap_or(0);
        let q = categories.iter().position(|x| x == cat).unwrap_or(0);
        fd_index[c * f + q] = Some(*k);
    }
    if let Some(missing) = fd_index.iter().position(Option::is_none) {
        return Err(layout_err(
            format!(
                "final demand of {} has no column for category {} (other countries have it)",
                countries[missing / f],
                categories[missing % f]
            ),
            Some("every country needs the same final-demand categories".into()),
        ));
    }

    // Row blocks -> countries.
    let mut labels = Vec::with_capacity(inter_rows.len());
    let mut row_country = Vec::with_capacity(inter_rows.len());
    for &r in &inter_rows {
        let row = &rows[r];
        let Some((block, sector)) = row.label.split_once('_') else {
            return Err(text_err(
                row.line,
                1,
                format!(
                    "intermediate row `{}` is not of the form <BLOCK>_<industry>",
                    row.label
                ),
                None,
            ));
        };
        let country = if countries.iter().any(|c| c == block) {
            block.to_string()
        } else if let Some((_, c)) = options.block_country.iter().find(|(b, _)| b == block) {
            c.clone()
        } else {
            return Err(text_err(
                row.line,
                1,
                format!(
                    "row block `{block}` is neither a final-demand country nor a known split block"
                ),
                Some("add it to IcioOptions::block_country, e.g. (\"CN1\", \"CHN\")"),
            ));
        };
        let Some(c) = countries.iter().position(|x| *x == country) else {
            return Err(text_err(
                row.line,
                1,
                format!(
                    "row block `{block}` belongs to `{country}`, which has no final-demand columns"
                ),
                None,
            ));
        };
        labels.push(EntryLabel::new(block, sector));
        row_country.push(c);
    }

    let n = inter_rows.len();
    let z = dense::from_fn(n, n, |(i, j)| rows[inter_rows[i]].values[inter_cols[j]]);
    let y = dense::from_fn(n, g * f, |(i, k)| {
        rows[inter_rows[i]].values[fd_index[k].unwrap_or(0)]
    });
    let primary_inputs: Vec<(String, Array1<f64>)> = primary_rows
        .iter()
        .map(|&r| {
            (
                rows[r].label.clone(),
                inter_cols.iter().map(|&c| rows[r].values[c]).collect(),
            )
        })
        .collect();
    let table_x: Option<Array1<f64>> = match (out_col, out_row) {
        (Some(c), _) => Some(inter_rows.iter().map(|&r| rows[r].values[c]).collect()),
        (None, Some(r)) => Some(inter_cols.iter().map(|&c| rows[r].values[c]).collect()),
        (None, None) => None,
    };
    let x = match (options.output, table_x) {
        (IcioOutput::Table, Some(x)) => x,
        (IcioOutput::Table, None) => {
            return Err(layout_err(
                "no OUT/OUTPUT/TOTAL row or column to take gross output from".into(),
                Some("use IcioOutput::Recompute".into()),
            ))
        }
        (IcioOutput::Recompute, _) => Array1::zeros(0),
    };
    let mut table = IoTable {
        year: options.year,
        countries,
        fd_categories: categories,
        labels,
        row_country,
        z,
        y,
        x,
        primary_inputs,
    };
    if options.output == IcioOutput::Recompute {
        table.x = table.output_from_rows();
    }
    if options.split_blocks == SplitBlocks::Aggregate {
        table = aggregate_split_blocks(&table);
    }
    table.validate().map_err(|source| SourceError::Table {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(table)
}

/// Sums entries with the same (country, sector) into one entry labelled with the country
/// code, at the position of the first of them (pymrio's treatment of CN1/CN2, MX1/MX2).
pub fn aggregate_split_blocks(table: &IoTable) -> IoTable {
    let mut index: HashMap<(usize, String), usize> = HashMap::new();
    let mut target = Vec::with_capacity(table.n());
    let mut labels = Vec::new();
    let mut row_country = Vec::new();
    for (i, label) in table.labels.iter().enumerate() {
        let c = table.row_country[i];
        let key = (c, label.sector.clone());
        let k = *index.entry(key).or_insert_with(|| {
            labels.push(EntryLabel::new(
                table.countries[c].clone(),
                label.sector.clone(),
            ));
            row_country.push(c);
            labels.len() - 1
        });
        target.push(k);
    }
    let m = labels.len();
    let mut z = dense::zeros(m, m);
    let mut y = dense::zeros(m, table.y.ncols());
    let mut x = Array1::zeros(m);
    for j in 0..table.n() {
        for i in 0..table.n() {
            z[(target[i], target[j])] += table.z[(i, j)];
        }
    }
    for k in 0..table.y.ncols() {
        for i in 0..table.n() {
            y[(target[i], k)] += table.y[(i, k)];
        }
    }
    for i in 0..table.n() {
        x[target[i]] += table.x[i];
    }
    let primary_inputs = table
        .primary_inputs
        .iter()
        .map(|(name, values)| {
            let mut agg = Array1::zeros(m);
            for (i, v) in values.iter().enumerate() {
                agg[target[i]] += v;
            }
            (name.clone(), agg)
        })
        .collect();
    IoTable {
        year: table.year,
        countries: table.countries.clone(),
        fd_categories: table.fd_categories.clone(),
        labels,
        row_country,
        z,
        y,
        x,
        primary_inputs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    struct TempFile(PathBuf);
    impl TempFile {
        fn new(tag: &str, text: &str) -> Self {
            let p = std::env::temp_dir().join(format!("gvc_icio_{tag}_{}.csv", std::process::id()));
            std::fs::write(&p, text).unwrap();
            TempFile(p)
        }
    }
    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    // Two countries (AAA, CHN with split blocks CN1/CN2 and a zero placeholder), one industry.
    const GOOD: &str = "\
,AAA_01,CHN_01,CN1_01,CN2_01,AAA_HFCE,AAA_GFCF,CHN_HFCE,CHN_GFCF,OUT
AAA_01,1,0,2,3,4,1,2,0,13
CHN_01,0,0,0,0,0,0,0,0,0
CN1_01,1,0,1,1,2,0,1,1,7
CN2_01,2,0,1,0,1,1,0,1,6
TLS,0.5,0,0.1,0.1,0,0,0,0,0
VA,8.5,0,2.9,1.9,0,0,0,0,0
OUT,13,0,7,6,0,0,0,0,0
";

    #[test]
    fn reads_extended_layout_and_maps_split_blocks() {
        let f = TempFile::new("good", GOOD);
        let t = read(&f.0, &IcioOptions::default()).unwrap();
        assert_eq!(t.countries, vec!["AAA", "CHN"]);
        assert_eq!(t.fd_categories, vec!["HFCE", "GFCF"]);
        assert_eq!(t.row_country, vec![0, 1, 1, 1]);
        assert_eq!(t.labels[2], EntryLabel::new("CN1", "01"));
        assert_eq!(t.z[(0, 3)], 3.0);
        assert_eq!(t.y[(2, 3)], 1.0);
        assert_eq!(t.x.to_vec(), vec![13.0, 0.0, 7.0, 6.0]);
        assert_eq!(t.primary_inputs[1].0, "VA");
        let tab = read(
            &f.0,
            &IcioOptions {
                output: IcioOutput::Table,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(tab.x.to_vec(), vec![13.0, 0.0, 7.0, 6.0]);
    }

    #[test]
    fn aggregation_sums_split_blocks_into_the_country() {
        let f = TempFile::new("agg", GOOD);
        let t = read(
            &f.0,
            &IcioOptions {
                split_blocks: SplitBlocks::Aggregate,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(t.n(), 2);
        assert_eq!(t.labels[1], EntryLabel::new("CHN", "01"));
        // Z[CHN, CHN] = CN1+CN2 rows × CN1+CN2 cols = 1+1+1+0 = 3
        assert_eq!(t.z[(1, 1)], 3.0);
        assert_eq!(t.z[(0, 1)], 5.0);
        assert_eq!(t.x.to_vec(), vec![13.0, 13.0]);
    }

    #[test]
    fn text_cell_is_located() {
        let f = TempFile::new(
            "text",
            &GOOD.replace("CN1_01,1,0,1,1,2", "CN1_01,1,0,x1,1,2"),
        );
        let msg = read(&f.0, &IcioOptions::default()).unwrap_err().to_string();
        assert!(msg.contains(":4:4:"), "{msg}");
        assert!(msg.contains("`x1`") && msg.contains("CN1_01"), "{msg}");
    }

    #[test]
    fn duplicate_row_label_is_located() {
        let f = TempFile::new("duprow", &GOOD.replace("CN2_01,2,0", "CN1_01,2,0"));
        let msg = read(&f.0, &IcioOptions::default()).unwrap_err().to_string();
        assert!(
            msg.contains(":5:1: duplicate row label `CN1_01` (first on line 4)"),
            "{msg}"
        );
    }

    #[test]
    fn ragged_row_is_located() {
        let f = TempFile::new(
            "ragged",
            &GOOD.replace("CN2_01,2,0,1,0,1,1,0,1,6", "CN2_01,2,0,1,0,1,1,0,1"),
        );
        let msg = read(&f.0, &IcioOptions::default()).unwrap_err().to_string();
        assert!(msg.contains(":5:"), "{msg}");
        assert!(msg.contains("cells"), "{msg}");
    }

    #[test]
    fn non_square_block_is_an_error() {
        // A row without its column.
        let f = TempFile::new("nsq1", &GOOD.replace("CN2_01,2,0", "CN9_01,2,0"));
        let msg = read(&f.0, &IcioOptions::default()).unwrap_err().to_string();
        assert!(msg.contains(":5:1:") && msg.contains("square"), "{msg}");
        // A column inside the block without its row.
        let f = TempFile::new(
            "nsq2",
            &GOOD
                .replace(",CHN_01,", ",ZZZ_01,")
                .replace("CHN_01,0,0,0,0,0,0,0,0,0\n", ""),
        );
        let msg = read(&f.0, &IcioOptions::default()).unwrap_err().to_string();
        assert!(msg.contains(":1:3:") && msg.contains("square"), "{msg}");
    }

    #[test]
    fn unknown_split_block_is_an_error_with_fix() {
        let g = GOOD.replace("CN1_01", "XX1_01");
        let f = TempFile::new("block", &g);
        let msg = read(&f.0, &IcioOptions::default()).unwrap_err().to_string();
        assert!(
            msg.contains("XX1") && msg.contains("block_country"),
            "{msg}"
        );
    }

    #[test]
    fn missing_output_for_table_choice() {
        let g: String = GOOD
            .lines()
            .filter(|l| !l.starts_with("OUT"))
            .map(|l| {
                let mut cells: Vec<&str> = l.split(',').collect();
                cells.pop();
                cells.join(",") + "\n"
            })
            .collect();
        let f = TempFile::new("noout", &g);
        assert!(read(&f.0, &IcioOptions::default()).is_ok());
        let msg = read(
            &f.0,
            &IcioOptions {
                output: IcioOutput::Table,
                ..Default::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(msg.contains("OUT"), "{msg}");
    }

    #[test]
    fn empty_file_and_missing_file() {
        let f = TempFile::new("empty", "");
        assert!(matches!(
            read(&f.0, &IcioOptions::default()),
            Err(SourceError::Layout { .. })
        ));
        assert!(matches!(
            read(Path::new("/nonexistent/icio.csv"), &IcioOptions::default()),
            Err(SourceError::Io { .. })
        ));
    }
}
