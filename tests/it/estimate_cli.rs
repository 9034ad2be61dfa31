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
    for (estimator, vce) in [("fe", "ols"), ("re", "iid"), ("be", "robust"), ("fe", "hc3")] {
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
