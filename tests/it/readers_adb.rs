//! The `adb-xlsx` reader: round trips through ADB-layout workbooks written by
//! `support::write_adb_workbook`, located errors on malformed variants, and the real WIOD 2009
//! table in ADB layout against the labelled-csv reader on wiot_2009.csv.

use crate::{common, support};

use std::path::{Path, PathBuf};
use std::time::Instant;

use gvc::iot::IoTable;
use gvc::sources::mrio::adb::{read, AdbOptions};
use gvc::sources::mrio::labelled_csv::{self, LabelledCsvOptions};
use gvc::sources::mrio::{read_table, MrioFormat, MrioOptions, OutputSource};
use gvc::sources::SourceError;
use support::{
    adb_sheet, small_table, write_adb_workbook, AdbEdition, AdbSheet, XCell, FIRST_COL, FIRST_ROW,
};

fn assert_same_table(a: &IoTable, b: &IoTable) {
    assert_eq!(a.countries, b.countries);
    assert_eq!(a.fd_categories, b.fd_categories);
    assert_eq!(a.labels, b.labels);
    assert_eq!(a.row_country, b.row_country);
    assert_eq!(a.x, b.x, "x");
    for j in 0..a.n() {
        for i in 0..a.n() {
            assert_eq!(a.z[(i, j)], b.z[(i, j)], "Z[{i},{j}]");
        }
    }
    assert_eq!(a.y.ncols(), b.y.ncols());
    for j in 0..a.y.ncols() {
        for i in 0..a.n() {
            assert_eq!(a.y[(i, j)], b.y[(i, j)], "Y[{i},{j}]");
        }
    }
}

fn save(sheet: &AdbSheet, name: &str) -> PathBuf {
    let dir = support::temp_dir(&format!("adb-{name}"));
    let p = dir.join(format!("{name}.xlsx"));
    sheet.save(&p).unwrap();
    p
}

fn read_err(sheet: &AdbSheet, name: &str) -> String {
    read_err_with(sheet, name, &AdbOptions::default())
}

fn read_err_with(sheet: &AdbSheet, name: &str, o: &AdbOptions) -> String {
    match read(&save(sheet, name), Some(2005), o) {
        Ok(_) => panic!("{name}: expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn round_trip_both_editions() {
    let t = small_table();
    for edition in [AdbEdition::Mrio62, AdbEdition::Mrio72] {
        let dir = support::temp_dir(&format!("adb-rt-{edition:?}"));
        let p = dir.join("ADB-MRIO-2005.xlsx");
        write_adb_workbook(&p, &t, edition).unwrap();
        let back = read(&p, Some(2005), &AdbOptions::default()).unwrap();
        assert_same_table(&t, &back);
        assert_eq!(back.year, Some(2005));
        let codes: Vec<&str> = back.primary_inputs.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(codes, ["r99", "r61", "r62", "r63", "r64", "trs"]);
        // r64 holds all value added in the fixture: x − colSums(Z).
        assert_eq!(back.primary_inputs[4].1, t.value_added());
        // Dispatch and year-less sheet choice (the only `ADB MRIO*` sheet).
        let opts = MrioOptions::default_for(MrioFormat::AdbXlsx).unwrap();
        let via = read_table(&opts, Some(&p), None).unwrap();
        assert_same_table(&t, &via);
    }
}

#[test]
fn whitespace_cells_are_zero_and_row_sums_option() {
    let t = small_table();
    let mut s = adb_sheet(&t, AdbEdition::Mrio62);
    s.set(FIRST_ROW + 1, FIRST_COL + 2, XCell::Text(" ".into()));
    let p = save(&s, "space");
    let back = read(&p, Some(2005), &AdbOptions::default()).unwrap();
    assert_eq!(back.z[(1, 2)], 0.0);
    assert_eq!(back.z[(1, 3)], t.z[(1, 3)]);
    let o = AdbOptions {
        output: OutputSource::RowSums,
        ..Default::default()
    };
    let back = read(&p, Some(2005), &o).unwrap();
    assert_eq!(back.x, back.output_from_rows());
}

#[test]
fn malformed_text_in_data_block() {
    let mut s = adb_sheet(&small_table(), AdbEdition::Mrio62);
    s.set(FIRST_ROW + 1, FIRST_COL + 2, XCell::Text("n/a".into()));
    let e = read_err(&s, "text");
    assert!(
        e.contains(
            "ADB MRIO 2005!G9: expected a number in the intermediate block, found text `n/a`"
        ),
        "{e}"
    );
    let mut s = adb_sheet(&small_table(), AdbEdition::Mrio62);
    // Final-demand block: 12 intermediate columns E..P, so Q is the first F1 column.
    s.set(FIRST_ROW, FIRST_COL + 12, XCell::Text("x".into()));
    let e = read_err(&s, "textfd");
    assert!(
        e.contains("ADB MRIO 2005!Q8: expected a number in the final-demand block"),
        "{e}"
    );
}

#[test]
fn malformed_missing_bottom_rows() {
    let t = small_table();
    let n = t.n();
    let mut s = adb_sheet(&t, AdbEdition::Mrio62);
    let r69 = s.find_row(3, "r69").unwrap();
    assert_eq!(r69, FIRST_ROW + n + 7);
    s.remove_row(r69);
    // After r60 … trs (sheet rows 20-26) the footnote row 27 has no code.
    let e = read_err(&s, "no-r69");
    assert!(
        e.contains("ADB MRIO 2005!D27: expected bottom row `r69` (total output) after `r60`"),
        "{e}"
    );
    let mut s = adb_sheet(&t, AdbEdition::Mrio62);
    s.remove_row(FIRST_ROW + n);
    let e = read_err(&s, "no-r60");
    assert!(
        e.contains("ADB MRIO 2005!D20: expected bottom row `r60`") && e.contains("found `r99`"),
        "{e}"
    );
}

#[test]
fn malformed_missing_total_column() {
    let t = small_table();
    let mut s = adb_sheet(&t, AdbEdition::Mrio62);
    let tot = s.find_col(6, "ToT").unwrap();
    assert_eq!(tot, FIRST_COL + 12 + 15);
    s.remove_col(tot);
    let e = read_err(&s, "no-tot");
    // Column AF (0-based 31) is where ToT should be.
    assert!(
        e.contains("ADB MRIO 2005!AF7: expected the total-output column `ToT`"),
        "{e}"
    );
    // With x recomputed from the rows, the total column is not needed.
    let o = AdbOptions {
        output: OutputSource::RowSums,
        ..Default::default()
    };
    let back = read(&save(&s, "no-tot-rowsums"), Some(2005), &o).unwrap();
    assert_eq!(back.n(), 12);
}

#[test]
fn malformed_non_square_block() {
    let t = small_table();
    // Drop the intermediate column of PRC c3 (sheet column G).
    let mut s = adb_sheet(&t, AdbEdition::Mrio62);
    s.remove_col(FIRST_COL + 2);
    let e = read_err(&s, "no-col");
    assert!(
        e.contains(
            "ADB MRIO 2005!D10: row `PRC c3` has no intermediate column with the same codes"
        ),
        "{e}"
    );
    // Drop the row of PRC c3 (sheet row 10).
    let mut s = adb_sheet(&t, AdbEdition::Mrio62);
    s.remove_row(FIRST_ROW + 2);
    let e = read_err(&s, "no-row");
    assert!(
        e.contains(
            "ADB MRIO 2005!G7: column `PRC c3` has no country-sector row with the same codes"
        ),
        "{e}"
    );
}

#[test]
fn malformed_header_and_labels() {
    let t = small_table();
    // No column-code row at all.
    let mut s = adb_sheet(&t, AdbEdition::Mrio62);
    s.remove_row(6);
    let e = read_err(&s, "no-codes");
    assert!(
        e.contains("ADB MRIO 2005!E7: expected the column-code row"),
        "{e}"
    );
    // First data row labelled with another sector code.
    let mut s = adb_sheet(&t, AdbEdition::Mrio62);
    s.set(FIRST_ROW, 3, XCell::Text("c9".into()));
    let e = read_err(&s, "bad-label");
    assert!(
        e.contains("ADB MRIO 2005!D8: expected sector code `c1`"),
        "{e}"
    );
    // Missing economy code above an intermediate column.
    let mut s = adb_sheet(&t, AdbEdition::Mrio62);
    s.set(5, FIRST_COL + 5, XCell::Blank);
    let e = read_err(&s, "no-econ");
    assert!(
        e.contains("ADB MRIO 2005!J6: expected the economy code of column `c2`"),
        "{e}"
    );
    // Final demand for an economy without rows.
    let mut s = adb_sheet(&t, AdbEdition::Mrio62);
    s.set(5, FIRST_COL + 12, XCell::Text("ZZZ".into()));
    let e = read_err(&s, "fd-econ");
    assert!(
        e.contains("ADB MRIO 2005!Q6: final-demand column for economy `ZZZ`"),
        "{e}"
    );
    // A missing column code in the middle of the header.
    let mut s = adb_sheet(&t, AdbEdition::Mrio62);
    s.set(6, FIRST_COL + 13, XCell::Blank);
    let e = read_err(&s, "no-code");
    assert!(
        e.contains("ADB MRIO 2005!R7: expected a column code"),
        "{e}"
    );
}

#[test]
fn malformed_output() {
    let t = small_table();
    let tot = FIRST_COL + 27;
    let r69 = FIRST_ROW + t.n() + 7;
    // ToT column disagrees with r69.
    let mut s = adb_sheet(&t, AdbEdition::Mrio62);
    s.set(FIRST_ROW + 3, tot, XCell::Num(t.x[3] * 1.01));
    let e = read_err(&s, "tot-r69");
    assert!(
        e.contains("ADB MRIO 2005!H27: total output of `PRC c4`"),
        "{e}"
    );
    // Negative output (consistent in both places).
    let mut s = adb_sheet(&t, AdbEdition::Mrio62);
    s.set(FIRST_ROW + 3, tot, XCell::Num(-5.0));
    s.set(r69, FIRST_COL + 3, XCell::Num(-5.0));
    let e = read_err(&s, "neg");
    assert!(
        e.contains("ADB MRIO 2005!AF11: gross output of `PRC c4` is negative (-5)"),
        "{e}"
    );
    // Wrong economy count for the edition.
    let s = adb_sheet(&t, AdbEdition::Mrio62);
    let o = AdbOptions {
        economies: Some(63),
        ..Default::default()
    };
    let e = read_err_with(&s, "econ-count", &o);
    assert!(
        e.contains("has 3 economies but option `economies` expects 63"),
        "{e}"
    );
}

#[test]
fn sheet_choice_and_bad_files() {
    let t = small_table();
    let dir = support::temp_dir("adb-sheet");
    let p = dir.join("t.xlsx");
    write_adb_workbook(&p, &t, AdbEdition::Mrio62).unwrap();
    let e = read(&p, Some(2010), &AdbOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("data sheet is `ADB MRIO 2005` but year 2010 was asked for"),
        "{e}"
    );
    let o = AdbOptions {
        sheet: Some("Sheet9".into()),
        ..Default::default()
    };
    let e = read(&p, None, &o).unwrap_err().to_string();
    assert!(
        e.contains("no sheet named `Sheet9` (sheets: ADB MRIO 2005, Legend)"),
        "{e}"
    );
    let txt = dir.join("fake.xlsx");
    std::fs::write(&txt, "not a zip").unwrap();
    let e = read(&txt, None, &AdbOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a readable .xlsx workbook"), "{e}");
    let e = read(
        Path::new("/nonexistent/x.xlsx"),
        None,
        &AdbOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, SourceError::Io { .. }), "{e}");
    let bad = serde_json::json!({"sheet_name": "x"});
    let e = MrioOptions::deserialize_for(MrioFormat::AdbXlsx, bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `sheet_name`"), "{e}");
}

/// ADB economy code → WIOD (CSV) code, from shared/data/adb_layout/README.md.
fn wiod_code(adb: &str) -> &str {
    match adb {
        "PRC" => "CHN",
        "GER" => "DEU",
        "DEN" => "DNK",
        "SPA" => "ESP",
        "UKG" => "GBR",
        "INO" => "IDN",
        "IRE" => "IRL",
        "NET" => "NLD",
        "POR" => "PRT",
        "TAP" => "TWN",
        "ROM" => "ROU",
        "RoW" => "ROW",
        other => other,
    }
}

#[test]
fn real_wiod_2009_in_adb_layout_equals_csv() {
    let Some(shared) = common::shared_dir("adb-xlsx on wiod2009_in_adb_layout.xlsx") else {
        return;
    };
    let xlsx = shared.join("data/adb_layout/wiod2009_in_adb_layout.xlsx");
    let csv = shared.join("data/wiod2013/wiot_2009.csv");
    let o = AdbOptions {
        economies: Some(41),
        ..Default::default()
    };
    let start = Instant::now();
    let a = read(&xlsx, Some(2009), &o).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!("adb-xlsx read of wiod2009_in_adb_layout.xlsx (1451 x 1645 cells): {secs:.3} s");
    let c = labelled_csv::read(&csv, Some(2009), &LabelledCsvOptions::default()).unwrap();
    assert_eq!(a.n(), 1435);
    assert_eq!(a.fd_categories, ["F1", "F2", "F3", "F4", "F5"]);
    let mapped: Vec<&str> = a.countries.iter().map(|s| wiod_code(s)).collect();
    assert_eq!(mapped, c.countries);
    for (la, lc) in a.labels.iter().zip(&c.labels) {
        assert_eq!(
            (wiod_code(&la.block), la.sector.as_str()),
            (lc.block.as_str(), lc.sector.as_str())
        );
    }
    assert_eq!(a.row_country, c.row_country);
    assert_eq!(a.x, c.x);
    let mut cells = 0usize;
    for j in 0..a.n() {
        for i in 0..a.n() {
            assert_eq!(
                a.z[(i, j)],
                c.z[(i, j)],
                "Z[{}, {}]",
                c.labels[i],
                c.labels[j]
            );
            cells += 1;
        }
    }
    for j in 0..a.y.ncols() {
        for i in 0..a.n() {
            assert_eq!(a.y[(i, j)], c.y[(i, j)], "Y[{}, {j}]", c.labels[i]);
            cells += 1;
        }
    }
    // Sum of the primary-input rows between r60 and r69 = the CSV's VA row.
    let va: Vec<f64> = (0..a.n())
        .map(|j| a.primary_inputs.iter().map(|(_, v)| v[j]).sum())
        .collect();
    assert_eq!(va, c.primary_inputs[0].1.to_vec());
    println!("adb-xlsx vs labelled-csv: {cells} cells + x identical");
}
