//! An all-zero economy (issue #13): a sample country whose rows and columns of one year's
//! input-output table are all zero (no output, no trade). `gvc run` completes, the country's
//! ratio measures for that year are missing in the panel (not 0, not NaN, not a failure of the
//! report stage), its other years are present, and the report's notes name the country-year.

use std::path::PathBuf;

use crate::common::{self, fresh_dir, gvc};

const COUNTRIES: [&str; 4] = ["AUS", "BRA", "CAN", "DEU"];

/// A study of 4 countries × 2008–2012 on labelled-csv tables in which DEU is all zero in
/// `zero_year` (its Z and Y rows and columns, and so its output).
fn study(zero_year: i32) -> PathBuf {
    let dir = fresh_dir("zero-economy");
    common::write_study_inputs(&dir, 5, &COUNTRIES, 2008..=2012, |year, t| {
        if year != zero_year {
            return;
        }
        let d = t.countries.iter().position(|c| c == "DEU").unwrap();
        let f = t.f();
        for i in 0..t.n() {
            if t.row_country[i] == d {
                t.z.row_mut(i).fill(0.0);
                t.z.column_mut(i).fill(0.0);
                t.y.row_mut(i).fill(0.0);
            }
        }
        for k in 0..f {
            t.y.column_mut(d * f + k).fill(0.0);
        }
        // Output of the others without their sales to DEU: the table stays balanced.
        t.x = t.z.sum_axis(ndarray::Axis(1)) + t.y.sum_axis(ndarray::Axis(1));
    });
    std::fs::write(
        dir.join("s.toml"),
        common::file_study_spec("zero economy", "", "", "\"fe\""),
    )
    .unwrap();
    dir
}

#[test]
fn an_all_zero_economy_has_missing_ratios_and_a_note() {
    let dir = study(2010);
    let (code, out, err) = gvc(&dir, &["run", "s.toml", "-q"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let out = dir.join("output/s");
    // The panel: DEU 2010 is missing (an empty cell, not 0 and not NaN); DEU's other years
    // and the other countries in 2010 have a value.
    let frame = common::read_parquet(&out.join("panel.parquet"));
    let country = frame.column("country").unwrap().str().unwrap().clone();
    let year = frame
        .column("year")
        .unwrap()
        .cast(&polars::prelude::DataType::Int64)
        .unwrap();
    let year = year.i64().unwrap().clone();
    let gvcp = frame.column("gvcp").unwrap().f64().unwrap().clone();
    let mut seen = 0;
    for i in 0..frame.height() {
        let (c, y, v) = (country.get(i).unwrap(), year.get(i).unwrap(), gvcp.get(i));
        if (c, y) == ("DEU", 2010) {
            assert_eq!(v, None, "DEU 2010 must be missing, found {v:?}");
        } else {
            let v = v.unwrap_or_else(|| panic!("{c} {y} missing"));
            assert!(v.is_finite() && v > 0.0, "{c} {y}: {v}");
        }
        seen += 1;
    }
    assert_eq!(seen, 20);
    let missing = std::fs::read_to_string(out.join("tables/missing.csv")).unwrap();
    assert!(missing.contains("gvcp,1,20,DEU 2010"), "{missing}");
    // The report says why: the notes name the country-year without exports.
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("No exports in the input-output table (an economy with no output or no trade): DEU 2010;"),
        "{report}"
    );
    // The FE regression dropped that one country-year: 19 observations.
    assert!(
        report.contains("| Observations") && report.contains("| 19 "),
        "{report}"
    );
    // A study without a zero economy has no such note.
    let dir = study(0);
    let (code, _, err) = gvc(&dir, &["run", "s.toml", "-q"]);
    assert_eq!(code, 0, "{err}");
    let report = std::fs::read_to_string(dir.join("output/s/report.md")).unwrap();
    assert!(!report.contains("No exports"), "{report}");
}
