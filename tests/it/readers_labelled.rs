//! The `labelled-csv` reader on the real WIOD 2013 CSVs (statistics from
//! shared/data/SOURCES.md part A §2) and on hand-written malformed files; and
//! `find_year_file`.

use crate::{common, support};

use std::path::{Path, PathBuf};
use std::time::Instant;

use gvc::iot::IoTable;
use gvc::sources::mrio::labelled_csv::{read, LabelledCsvOptions};
use gvc::sources::mrio::{find_year_file, read_table, MrioFormat, MrioOptions, OutputSource};
use gvc::sources::SourceError;

fn wiod_csv(year: i32) -> Option<PathBuf> {
    common::shared_dir("labelled-csv on the WIOD 2013 CSVs")
        .map(|d| d.join(format!("data/wiod2013/wiot_{year}.csv")))
}

fn neg_y_cells(t: &IoTable) -> usize {
    let mut k = 0;
    for j in 0..t.y.ncols() {
        for i in 0..t.n() {
            if t.y[(i, j)] < 0.0 {
                k += 1;
            }
        }
    }
    k
}

/// (max |OUT − ΣZ − ΣY|, label of that row, its OUT).
fn max_discrepancy(t: &IoTable) -> (f64, String, f64) {
    let rs = t.output_from_rows();
    let mut best = (0.0, String::new(), 0.0);
    for (i, r) in rs.iter().enumerate() {
        let d = (t.x[i] - r).abs();
        if d > best.0 {
            best = (d, t.labels[i].to_string(), t.x[i]);
        }
    }
    best
}

#[test]
fn wiod_2009_layout_and_timing() {
    let Some(path) = wiod_csv(2009) else { return };
    let start = Instant::now();
    let t = read(&path, Some(2009), &LabelledCsvOptions::default()).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!("labelled-csv read of wiot_2009.csv (1435 x 1642): {secs:.3} s");
    assert_eq!(t.n(), 1435);
    assert_eq!(t.g(), 41);
    assert_eq!(t.countries[0], "AUS");
    assert_eq!(t.countries[32], "ROU");
    assert_eq!(t.countries[40], "ROW");
    assert_eq!(t.fd_categories, ["HFCE", "NPISH", "GGFC", "GFCF", "INVNT"]);
    assert_eq!(t.labels[0].to_string(), "AUS_c1");
    assert_eq!(t.labels[1434].to_string(), "ROW_c35");
    assert_eq!(t.year, Some(2009));
    for (i, &c) in t.row_country.iter().enumerate() {
        assert_eq!(c, i / 35);
    }
    // VA row = OUT − colSums(Z) exactly in every intermediate column (SOURCES.md A §2).
    assert_eq!(t.primary_inputs.len(), 1);
    assert_eq!(t.primary_inputs[0].0, "VA");
    let va = t.value_added();
    assert_eq!(va, t.primary_inputs[0].1);
    // Speed is measured by `gvc bench` and reported, not asserted in a test.
}

#[test]
fn wiod_all_years_match_published_statistics() {
    // year, zero-output rows, negative Y cells, max |OUT − ΣZ − ΣY|, its row, its OUT
    // (SOURCES.md part A §2 table and text).
    let expected = [
        (2000, 18, 205, 113.0, "POL_c9", 7077.0),
        (2007, 20, 211, 101.0, "AUT_c21", 23811.0),
        (2008, 20, 244, 103.0, "AUT_c21", 26653.0),
        (2009, 22, 824, 104.0, "BEL_c16", 6820.0),
        (2010, 22, 442, 99.0, "BEL_c21", 32017.0),
        (2011, 22, 352, 108.0, "NLD_c23", 29022.0),
    ];
    for (year, zeros, negs, disc, row, out) in expected {
        let Some(path) = wiod_csv(year) else { return };
        let t = read(&path, Some(year), &LabelledCsvOptions::default()).unwrap();
        let z = t.x.iter().filter(|&&v| v == 0.0).count();
        assert_eq!(z, zeros, "{year}: zero-output rows");
        assert_eq!(neg_y_cells(&t), negs, "{year}: negative final-demand cells");
        let (d, label, x) = max_discrepancy(&t);
        assert_eq!(
            (d, label.as_str(), x),
            (disc, row, out),
            "{year}: largest I1 discrepancy"
        );
        // Zero-output rows have zero Z rows and columns (SOURCES.md A §1).
        for i in (0..t.n()).filter(|&i| t.x[i] == 0.0) {
            assert!((0..t.n()).all(|j| t.z[(i, j)] == 0.0 && t.z[(j, i)] == 0.0));
        }
        println!("{year}: ok ({zeros} zero-output rows, {negs} negative Y cells, max discrepancy {d} at {label})");
    }
}

#[test]
fn wiod_2009_row_sums_accept_rounding_sized_negative_output() {
    let Some(path) = wiod_csv(2009) else { return };
    let o = LabelledCsvOptions {
        output: OutputSource::RowSums,
        ..Default::default()
    };
    // LUX_c5 (line 881) has no sales but one inventory cell of −1 (SOURCES.md A §1): its row
    // sum is −1, rounding noise against outputs in the millions, so it is kept as read.
    let t = read(&path, None, &o).unwrap();
    let i = t
        .labels
        .iter()
        .position(|l| l.to_string() == "LUX_c5")
        .unwrap();
    assert_eq!(t.x[i], -1.0);
    let largest = t.x.iter().fold(0.0_f64, |m, v| m.max(*v));
    assert!(1.0 < 1e-6 * largest, "largest output {largest}");
}

#[test]
fn row_sums_reject_a_clearly_negative_row() {
    // B_s2 sells 0+1+1+1+1+0+1+0 = 5; make its final demand −15: row sum −10 against outputs
    // of at most 20 is no rounding.
    let bad = GOOD.replace("B_s2,0,1,1,1,1,0,1,0,5", "B_s2,0,1,1,1,1,-15,1,0,5");
    let dir = std::env::temp_dir().join(format!("gvc-rowsums-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("neg_rowsum.csv");
    std::fs::write(&p, bad).unwrap();
    let o = LabelledCsvOptions {
        output: OutputSource::RowSums,
        ..Default::default()
    };
    let e = read(&p, None, &o).unwrap_err().to_string();
    assert!(
        e.contains("neg_rowsum.csv:") && e.contains("B_s2") && e.contains("negative"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn wiod_through_dispatch() {
    let Some(path) = wiod_csv(2010) else { return };
    let opts = MrioOptions::default_for(MrioFormat::LabelledCsv).unwrap();
    let t = read_table(&opts, Some(&path), Some(2010)).unwrap();
    assert_eq!(t.n(), 1435);
    assert_eq!(t.year, Some(2010));
}

// ---------------------------------------------------------------- hand-written files

const GOOD: &str = "\
row,A_s1,A_s2,B_s1,B_s2,A_HH,A_INV,B_HH,B_INV,OUT
A_s1,1,2,3,4,5,-1,6,0,20
A_s2,0,0,0,0,0,0,0,0,0
B_s1,1,0,2.5,1,0,1,2.5,0,8
B_s2,0,1,1,1,1,0,1,0,5
TLS,1,0,0.5,0,0,0,0,0,0
VA,17,-3,2,3,0,0,0,0,0
OUT,20,0,8,5,0,0,0,0,0
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn read_text(name: &str, text: &str, o: &LabelledCsvOptions) -> Result<IoTable, SourceError> {
    let dir = support::temp_dir(&format!("lcsv-{name}"));
    read(&write(&dir, name, text), Some(2000), o)
}

fn err(name: &str, text: &str) -> String {
    err_with(name, text, &LabelledCsvOptions::default())
}

fn err_with(name: &str, text: &str, o: &LabelledCsvOptions) -> String {
    match read_text(name, text, o) {
        Ok(_) => panic!("{name}: expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn hand_table_values() {
    let t = read_text("good.csv", GOOD, &LabelledCsvOptions::default()).unwrap();
    assert_eq!(t.countries, ["A", "B"]);
    assert_eq!(t.fd_categories, ["HH", "INV"]);
    assert_eq!(t.x.to_vec(), vec![20.0, 0.0, 8.0, 5.0]);
    assert_eq!(t.z[(2, 2)], 2.5);
    assert_eq!(t.z[(3, 1)], 1.0);
    // Negative inventory change kept.
    assert_eq!(t.y[(0, 1)], -1.0);
    assert_eq!(t.y[(2, 2)], 2.5);
    let names: Vec<&str> = t.primary_inputs.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(names, ["TLS", "VA"]);
    assert_eq!(t.primary_inputs[0].1.to_vec(), vec![1.0, 0.0, 0.5, 0.0]);
    // Zero-output row A_s2 is allowed.
    assert_eq!(t.x[1], 0.0);
}

#[test]
fn columns_in_other_order_and_row_sums() {
    let text = "\
row,B_s1,A_s1,B_HH,A_HH
A_s1,1,2,3,4
B_s1,5,6,7,8
";
    let o = LabelledCsvOptions {
        output: OutputSource::RowSums,
        ..Default::default()
    };
    let t = read_text("perm.csv", text, &o).unwrap();
    // Z is in row order: Z[A_s1, A_s1] = 2, Z[A_s1, B_s1] = 1.
    assert_eq!(t.z[(0, 0)], 2.0);
    assert_eq!(t.z[(0, 1)], 1.0);
    // Final demand in country order A, B.
    assert_eq!(t.y[(0, 0)], 4.0);
    assert_eq!(t.y[(0, 1)], 3.0);
    assert_eq!(t.x.to_vec(), vec![10.0, 26.0]);
    // Without OUT and with output = table: a layout error with the fix.
    let e = err("perm2.csv", text);
    assert!(
        e.contains("no `OUT` column or row") && e.contains("row-sums"),
        "{e}"
    );
}

#[test]
fn out_row_only_and_icio_style_options() {
    let text = "\
V1,A_X_1,B_X_1,A_HFCE,B_HFCE,DISC
A_X_1,1,2,3,4,9
B_X_1,5,6,7,8,9
A_TAXSUB,1,1,0,0,0
VALU,3,1,0,0,0
OUTPUT,10,26,0,0,0
";
    let o = LabelledCsvOptions {
        primary_input_rows: vec!["*_TAXSUB".into(), "VALU".into()],
        output_label: "OUTPUT".into(),
        ignore: vec!["DISC".into()],
        fd_categories: Some(vec!["HFCE".into()]),
        ..Default::default()
    };
    let t = read_text("icio.csv", text, &o).unwrap();
    // Sector codes with the separator inside are kept whole (split at the first `_`).
    assert_eq!(t.labels[0].block, "A");
    assert_eq!(t.labels[0].sector, "X_1");
    assert_eq!(t.x.to_vec(), vec![10.0, 26.0]);
    assert_eq!(t.primary_inputs.len(), 2);
}

#[test]
fn malformed_text_cell() {
    let bad = GOOD.replace("B_s1,1,0,2.5", "B_s1,1,abc,2.5");
    let e = err("text.csv", &bad);
    assert!(
        e.contains("text.csv:4:3:") && e.contains("`abc`") && e.contains("B_s1"),
        "{e}"
    );
    let bad = GOOD.replace("B_s1,1,0,2.5", "B_s1,1,NaN,2.5");
    let e = err("nan.csv", &bad);
    assert!(e.contains("nan.csv:4:3:"), "{e}");
}

#[test]
fn malformed_missing_row() {
    let bad = GOOD.replace("A_s2,0,0,0,0,0,0,0,0,0\n", "");
    let e = err("missrow.csv", &bad);
    assert!(
        e.contains("missrow.csv:1:3:") && e.contains("`A_s2` has no row"),
        "{e}"
    );
}

#[test]
fn malformed_missing_column() {
    let bad: String = GOOD
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let mut g = f.clone();
            g.remove(4); // B_s2 column
            g.join(",") + "\n"
        })
        .collect();
    let e = err("misscol.csv", &bad);
    assert!(
        e.contains("misscol.csv:5:1:") && e.contains("row `B_s2` has no intermediate column"),
        "{e}"
    );
}

#[test]
fn malformed_ragged_row() {
    let bad = GOOD.replace("B_s2,0,1,1,1,1,0,1,0,5", "B_s2,0,1,1,1,1,0,1,0");
    let e = err("ragged.csv", &bad);
    assert!(
        e.contains("ragged.csv:5:10:") && e.contains("9 fields but the header has 10"),
        "{e}"
    );
}

#[test]
fn malformed_unknown_fd_country() {
    let bad = GOOD.replace("B_INV,OUT", "C_INV,OUT");
    let e = err("fdcty.csv", &bad);
    assert!(
        e.contains("fdcty.csv:1:9:") && e.contains("country `C`"),
        "{e}"
    );
}

#[test]
fn malformed_duplicates() {
    let bad = GOOD.replace("B_s2,0,1,1,1,1,0,1,0,5", "A_s1,0,1,1,1,1,0,1,0,5");
    let e = err("duprow.csv", &bad);
    assert!(
        e.contains("duprow.csv:5:1:") && e.contains("duplicate row label `A_s1` (first on line 2)"),
        "{e}"
    );
    let bad = GOOD.replace(
        "row,A_s1,A_s2,B_s1,B_s2,A_HH,A_INV,B_HH,B_INV",
        "row,A_s1,A_s2,B_s1,B_s2,A_HH,A_INV,B_HH,A_HH",
    );
    let e = err("dupcol.csv", &bad);
    assert!(
        e.contains("dupcol.csv:1:9:") && e.contains("duplicate column label `A_HH`"),
        "{e}"
    );
}

#[test]
fn malformed_negative_output() {
    let bad = GOOD.replace("B_s2,0,1,1,1,1,0,1,0,5", "B_s2,0,1,1,1,1,0,1,0,-5");
    let e = err("negout.csv", &bad);
    // Also the OUT row disagrees, but that check comes first: make it agree.
    let bad = bad.replace("OUT,20,0,8,5", "OUT,20,0,8,-5");
    let e2 = err("negout2.csv", &bad);
    assert!(e.contains("negout.csv:8:5:"), "{e}");
    assert!(
        e2.contains("negout2.csv:5:10:") && e2.contains("negative"),
        "{e2}"
    );
}

#[test]
fn malformed_out_row_mismatch() {
    let bad = GOOD.replace("OUT,20,0,8,5", "OUT,20,0,8.5,5");
    let e = err("outrow.csv", &bad);
    assert!(e.contains("outrow.csv:8:4:") && e.contains("8.5"), "{e}");
    // Within tolerance: accepted.
    let close = GOOD.replace("OUT,20,0,8,5", "OUT,20,0,8.000001,5");
    assert!(read_text("outrow2.csv", &close, &LabelledCsvOptions::default()).is_ok());
}

#[test]
fn malformed_labels_and_categories() {
    let bad = GOOD.replace("TLS,1", "TAXES,1");
    let e = err("label.csv", &bad);
    assert!(e.contains("label.csv:6:1:") && e.contains("`TAXES`"), "{e}");
    let bad = GOOD.replace(",B_INV,", ",B_GFCF,");
    let e = err("cat.csv", &bad);
    assert!(
        e.contains("missing final-demand column `A_GFCF`") && e.contains("HH, INV, GFCF"),
        "{e}"
    );
    let o = LabelledCsvOptions {
        fd_categories: Some(vec!["HH".into()]),
        ..Default::default()
    };
    let e = err_with("cat2.csv", GOOD, &o);
    assert!(
        e.contains("cat2.csv:1:7:") && e.contains("`INV` is not a configured"),
        "{e}"
    );
    let e = err("empty.csv", "");
    assert!(e.contains("empty"), "{e}");
    let e = err("onecol.csv", "row\nA_s1\n");
    assert!(e.contains("onecol.csv:1:1:"), "{e}");
}

#[test]
fn missing_file_is_io_error() {
    let e = read(
        Path::new("/nonexistent/wiot.csv"),
        None,
        &LabelledCsvOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, SourceError::Io { .. }), "{e}");
}

#[test]
fn options_reject_unknown_keys() {
    let bad = serde_json::json!({"output_lable": "OUT"});
    let e = MrioOptions::deserialize_for(MrioFormat::LabelledCsv, bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `output_lable`"), "{e}");
    let ok = serde_json::json!({"output": "row-sums", "fd_categories": ["HFCE"]});
    let MrioOptions::LabelledCsv(o) =
        MrioOptions::deserialize_for(MrioFormat::LabelledCsv, ok).unwrap()
    else {
        panic!("wrong variant")
    };
    assert_eq!(o.output, OutputSource::RowSums);
    assert_eq!(o.output_label, "OUT");
}

// ---------------------------------------------------------------- find_year_file

#[test]
fn find_year_file_cases() {
    let dir = support::temp_dir("findyear");
    std::fs::create_dir_all(dir.join("old")).unwrap();
    for f in [
        "ADB-MRIO-2008_Mar2022.xlsx",
        "ADB-MRIO62-2017_Dec2022.xlsx",
        "ADB-MRIO-2017_Dec2022-2.xlsx",
        "old/ADB-MRIO-2007.xlsx",
        "notes.txt",
    ] {
        std::fs::write(dir.join(f), b"x").unwrap();
    }
    let p = find_year_file(&dir, "ADB-MRIO*{year}*.xlsx", 2008).unwrap();
    assert_eq!(p, dir.join("ADB-MRIO-2008_Mar2022.xlsx"));
    // Found in a subfolder.
    let p = find_year_file(&dir, "ADB-MRIO*{year}*.xlsx", 2007).unwrap();
    assert_eq!(p, dir.join("old/ADB-MRIO-2007.xlsx"));
    // Several files: both listed.
    let e = find_year_file(&dir, "ADB-MRIO*{year}*.xlsx", 2017)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("2 files match `ADB-MRIO*2017*.xlsx`")
            && e.contains("ADB-MRIO62-2017_Dec2022.xlsx")
            && e.contains("ADB-MRIO-2017_Dec2022-2.xlsx"),
        "{e}"
    );
    // Release dates inside names match too (`Mar2022`, `Dec2022`): all three listed.
    let e = find_year_file(&dir, "ADB-MRIO*{year}*.xlsx", 2022)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("3 files match") && e.contains("ADB-MRIO-2008_Mar2022.xlsx"),
        "{e}"
    );
    // None: near matches listed.
    let e = find_year_file(&dir, "ADB-MRIO-{year}*.xlsx", 2011)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no file for year 2011 matches `ADB-MRIO-2011*.xlsx`")
            && e.contains("ADB-MRIO-2008_Mar2022.xlsx")
            && e.contains(&dir.display().to_string()),
        "{e}"
    );
    // A pattern with a folder matches relative paths.
    let p = find_year_file(&dir, "old/*{year}.xlsx", 2007).unwrap();
    assert_eq!(p, dir.join("old/ADB-MRIO-2007.xlsx"));
    // Missing folder.
    let e = find_year_file(&dir.join("nope"), "*{year}*", 2000).unwrap_err();
    assert!(matches!(e, SourceError::Io { .. }), "{e}");
}

#[test]
fn find_year_file_on_wiod_folder() {
    let Some(shared) = common::shared_dir("find_year_file on wiod2013") else {
        return;
    };
    let dir = shared.join("data/wiod2013");
    let p = find_year_file(&dir, "wiot_{year}.csv", 2009).unwrap();
    assert_eq!(p, dir.join("wiot_2009.csv"));
    let e = find_year_file(&dir, "wiot_{year}.csv", 2005)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("wiot_2000.csv") && e.contains("wiot_2011.csv"),
        "{e}"
    );
}

// ---------------------------------------------------------------- dispatch to the other readers

#[test]
fn dispatch_matrices_and_icio_options() {
    let icio = serde_json::json!({"split_blocks": "aggregate", "output": "table", "block_country": {"CN9": "CHN"}});
    let MrioOptions::IcioCsv(o) = MrioOptions::deserialize_for(MrioFormat::IcioCsv, icio).unwrap()
    else {
        panic!("wrong variant")
    };
    let r = o.reader_options(Some(2015));
    assert_eq!(r.year, Some(2015));
    assert!(r
        .block_country
        .contains(&("CN9".to_string(), "CHN".to_string())));
    assert!(r
        .block_country
        .contains(&("MX1".to_string(), "MEX".to_string())));
    let bad = serde_json::json!({"split": "keep"});
    assert!(MrioOptions::deserialize_for(MrioFormat::IcioCsv, bad).is_err());
    let Some(shared) = common::shared_dir("matrices dispatch on decompr_leather") else {
        return;
    };
    let dir = shared.join("golden/decompr_leather");
    let opts = MrioOptions::default_for(MrioFormat::Matrices).unwrap();
    let t = read_table(&opts, Some(&dir), Some(2000)).unwrap();
    // input_countries.csv and input_industries.csv list 3 + 3 names under a header line.
    assert_eq!((t.g(), t.n()), (3, 9));
    assert_eq!(t.year, Some(2000));
    let rs = serde_json::json!({"output": "row-sums"});
    let opts = MrioOptions::deserialize_for(MrioFormat::Matrices, rs).unwrap();
    let t2 = read_table(&opts, Some(&dir), None).unwrap();
    assert_eq!(t2.x, t2.output_from_rows());
    let e = read_table(&opts, None, None).unwrap_err().to_string();
    assert!(e.contains("needs a file path"), "{e}");
}

/// Every reader refuses clearly negative gross output (here the `matrices` format, whose own
/// parser does not check it): the message names the file, the entry and the fix.
#[test]
fn matrices_with_negative_output_are_rejected_by_name() {
    let dir = std::env::temp_dir().join(format!("gvc-negout-matrices-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let w = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    w("input_countries.csv", "country\nA\nB\n");
    w("input_industries.csv", "industry\ns1\n");
    w("input_inter.csv", ",A.s1,B.s1\nA.s1,1,2\nB.s1,3,4\n");
    w("input_final.csv", ",A,B\nA.s1,5,6\nB.s1,7,8\n");
    w("input_out.csv", "row,out\nA.s1,14\nB.s1,-22\n");
    let opts = MrioOptions::default_for(MrioFormat::Matrices).unwrap();
    let e = read_table(&opts, Some(&dir), Some(2010))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("gross output of `B") && e.contains("-22") && e.contains("must be ≥ 0"),
        "{e}"
    );
    // The same table with the right output reads.
    w("input_out.csv", "row,out\nA.s1,14\nB.s1,22\n");
    let t = read_table(&opts, Some(&dir), Some(2010)).unwrap();
    assert_eq!(t.x.to_vec(), vec![14.0, 22.0]);
    let _ = std::fs::remove_dir_all(&dir);
}
