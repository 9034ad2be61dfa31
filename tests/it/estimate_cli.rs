//! `gvc estimate` on bad input (issue #13): `vce` aliases that do not mean what Stata or fixest
//! mean by them, missing-value markers (R's `NA`, Stata's `.`), text in numeric columns and
//! non-integer time values. Each is an error that names the place and the fix, or (for the
//! missing markers) the same estimate as with empty cells.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{fresh_dir, gvc};

/// A small balanced panel (4 firms × 6 years) as CSV rows `firm,year,y,x`, with y = 1 + 2x +
/// firm effect + a deterministic disturbance.
fn panel_rows() -> Vec<(i64, i64, f64, f64)> {
    let mut rows = Vec::new();
    for firm in 1..=4i64 {
        for year in 2000..2006i64 {
            let t = (year - 2000) as f64;
            let x = (firm as f64 * 1.7 + t * 0.9).sin() * 3.0 + t;
            let e = ((firm * 31 + year * 7) % 11) as f64 / 10.0 - 0.5;
            rows.push((firm, year, 1.0 + 2.0 * x + firm as f64 + e, x));
        }
    }
    rows
}

/// Writes `firm,year,y,x` with `cell(row, column, text)` deciding each cell's text.
fn write_csv(dir: &Path, name: &str, cell: impl Fn(usize, usize, String) -> String) -> PathBuf {
    let mut text = String::from("firm,year,y,x\n");
    for (i, (firm, year, y, x)) in panel_rows().into_iter().enumerate() {
        let cells = [
            firm.to_string(),
            year.to_string(),
            format!("{y:.17}"),
            format!("{x:.17}"),
        ];
        let cells: Vec<String> = cells
            .into_iter()
            .enumerate()
            .map(|(j, c)| cell(i, j, c))
            .collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write csv");
    path
}

fn estimate(dir: &Path, data: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "estimate",
        data.to_str().expect("utf-8 path"),
        "--panel",
        "firm",
        "--time",
        "year",
        "--dep",
        "y",
        "--x",
        "x",
    ];
    args.extend_from_slice(extra);
    gvc(dir, &args)
}

#[test]
fn hc1_with_panel_estimators_is_refused_with_the_fix() {
    let dir = fresh_dir("vce-hc1");
    let data = write_csv(&dir, "p.csv", |_, _, c| c);
    for estimator in ["fe", "fe2", "re"] {
        let (code, _, err) = estimate(&dir, &data, &["--estimator", estimator, "--vce", "hc1"]);
        assert_eq!(code, 2, "{estimator}: {err}");
        assert!(
            err.contains("--vce robust") && err.contains("hc1"),
            "{estimator}: {err}"
        );
    }
    for (estimator, vce) in [
        ("fe", "ols"),
        ("re", "iid"),
        ("be", "robust"),
        ("fe", "hc3"),
    ] {
        let (code, _, err) = estimate(&dir, &data, &["--estimator", estimator, "--vce", vce]);
        assert_eq!(code, 2, "{estimator} {vce}: {err}");
        assert!(err.contains("--vce"), "{estimator} {vce}: {err}");
    }
    // Where the alias means what gvc computes, it is the same estimate.
    let json = |extra: &[&str]| -> Value {
        let mut args = extra.to_vec();
        args.push("--json");
        let (code, out, err) = estimate(&dir, &data, &args);
        assert_eq!(code, 0, "{extra:?}: {err}");
        serde_json::from_str(&out).expect("json")
    };
    let robust = json(&["--estimator", "pooled", "--vce", "robust"]);
    let hc1 = json(&["--estimator", "pooled", "--vce", "hc1"]);
    assert_eq!(robust["coefficients"], hc1["coefficients"]);
    let conventional = json(&["--estimator", "fe", "--vce", "conventional"]);
    let iid = json(&["--estimator", "fe", "--vce", "iid"]);
    assert_eq!(conventional["coefficients"], iid["coefficients"]);
}

/// Line (1-based, header = 1) and character column of cell (row, column) in `write_csv`'s
/// output, counted from the file text.
fn cell_place(path: &Path, row: usize, column: usize) -> (usize, usize) {
    let text = std::fs::read_to_string(path).expect("read csv");
    let line = text.lines().nth(row + 1).expect("row");
    let col = line
        .split(',')
        .take(column)
        .map(|c| c.chars().count() + 1)
        .sum::<usize>()
        + 1;
    (row + 2, col)
}

#[test]
fn r_and_stata_missing_markers_are_missing_values() {
    let dir = fresh_dir("markers");
    // Rows 3, 8, 14 and 20 lose x or y through NA, ., n/a and an empty cell.
    let marked = |row: usize, col: usize, c: String| match (row, col) {
        (3, 3) => "NA".to_string(),
        (8, 2) => ".".to_string(),
        (14, 3) => "n/a".to_string(),
        (20, 2) => String::new(),
        _ => c,
    };
    let empty = |row: usize, col: usize, c: String| match (row, col) {
        (3, 3) | (8, 2) | (14, 3) | (20, 2) => String::new(),
        _ => c,
    };
    let with_markers = write_csv(&dir, "markers.csv", marked);
    let with_empty = write_csv(&dir, "empty.csv", empty);
    let run = |data: &Path| -> Value {
        let (code, out, err) = estimate(&dir, data, &["--estimator", "fe", "--json"]);
        assert_eq!(code, 0, "{}: {err}", data.display());
        serde_json::from_str(&out).expect("json")
    };
    let a = run(&with_markers);
    let b = run(&with_empty);
    assert_eq!(a["n_obs"], 20, "{a}");
    assert_eq!(a, b);
    // --missing replaces the default list: `.` is then text in a numeric column, located.
    let (code, _, err) = estimate(&dir, &with_markers, &["--missing", "NA,n/a"]);
    assert_eq!(code, 2, "{err}");
    let (line, col) = cell_place(&with_markers, 8, 2);
    let at = format!("markers.csv:{line}:{col} (column `y`)");
    assert!(err.contains(&at), "want {at} in: {err}");
    assert!(err.contains("--missing"), "{err}");
}

/// A negative sentinel (Stata and SAS exports often code missing as `-999`) is a flag value,
/// not an unknown flag `-9`: `--missing -999` and `--missing=-999,NA` parse, and the cells are
/// missing values, giving the estimate of empty cells.
#[test]
fn a_negative_missing_marker_is_accepted_as_a_value() {
    let dir = fresh_dir("negative-marker");
    let sentinel = |row: usize, col: usize, c: String| match (row, col) {
        (2, 3) | (9, 2) => "-999".to_string(),
        _ => c,
    };
    let empty = |row: usize, col: usize, c: String| match (row, col) {
        (2, 3) | (9, 2) => String::new(),
        _ => c,
    };
    let with_sentinel = write_csv(&dir, "sentinel.csv", sentinel);
    let with_empty = write_csv(&dir, "empty.csv", empty);
    let json = |data: &Path, extra: &[&str]| -> Value {
        let mut args = vec!["--estimator", "fe", "--json"];
        args.extend_from_slice(extra);
        let (code, out, err) = estimate(&dir, data, &args);
        assert_eq!(code, 0, "{extra:?}: {err}");
        serde_json::from_str(&out).expect("json")
    };
    let want = json(&with_empty, &[]);
    assert_eq!(want["n_obs"], 22, "{want}");
    assert_eq!(json(&with_sentinel, &["--missing", "-999"]), want);
    assert_eq!(json(&with_sentinel, &["--missing=-999,NA"]), want);
    // Without the flag, -999 is a number like any other: 24 observations, another estimate.
    let as_number = json(&with_sentinel, &[]);
    assert_eq!(as_number["n_obs"], 24, "{as_number}");
}

#[test]
fn text_in_a_numeric_column_names_file_line_and_column() {
    let dir = fresh_dir("text-cell");
    let data = write_csv(&dir, "text.csv", |row, col, c| {
        if (row, col) == (5, 3) {
            "about 3".to_string()
        } else {
            c
        }
    });
    let (code, _, err) = estimate(&dir, &data, &["--estimator", "pooled"]);
    assert_eq!(code, 2, "{err}");
    let (line, col) = cell_place(&data, 5, 3);
    let at = format!("text.csv:{line}:{col} (column `x`)");
    assert!(err.contains(&at), "want {at} in: {err}");
    assert!(err.contains("`about 3` is not a number"), "{err}");
    // Used through an operator, the column is checked just the same.
    let (code, _, err) = gvc(
        &dir,
        &[
            "estimate",
            data.to_str().expect("utf-8"),
            "--panel",
            "firm",
            "--time",
            "year",
            "--dep",
            "y",
            "--x",
            "L.x",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&at), "{err}");
}

#[test]
fn a_fractional_time_value_is_an_error_at_its_cell() {
    let dir = fresh_dir("time-frac");
    let data = write_csv(&dir, "time.csv", |row, col, c| {
        if (row, col) == (7, 1) {
            "2001.5".to_string()
        } else {
            c
        }
    });
    let (code, _, err) = estimate(&dir, &data, &[]);
    assert_eq!(code, 2, "{err}");
    let (line, col) = cell_place(&data, 7, 1);
    let at = format!("time.csv:{line}:{col} (column `year`)");
    assert!(err.contains(&at), "want {at} in: {err}");
    assert!(err.contains("not a whole number"), "{err}");
}

#[test]
fn parquet_cells_are_located_by_row() {
    use polars::prelude::*;
    let dir = fresh_dir("parquet-cells");
    let rows = panel_rows();
    let x_text: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| match i {
            2 => "NA".to_string(),
            9 => "n.a.".to_string(),
            _ => format!("{:.17}", r.3),
        })
        .collect();
    let mut df = df!(
        "firm" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "year" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "y" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "x" => x_text,
    )
    .expect("frame");
    let path = dir.join("p.parquet");
    let file = std::fs::File::create(&path).expect("create");
    ParquetWriter::new(file).finish(&mut df).expect("write");
    let (code, _, err) = estimate(&dir, &path, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("p.parquet: row 10, column `x`"), "{err}");
    // With `n.a.` declared missing, the string column is numeric with two missing cells.
    let (code, out, err) = estimate(&dir, &path, &["--missing", "NA,n.a.", "--json"]);
    assert_eq!(code, 0, "{err}");
    let json: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json["n_obs"], 22, "{json}");
}
