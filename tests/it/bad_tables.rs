//! Bad input-output tables (issue #13): overflowing and non-finite cells named at their
//! place in every reader.

use crate::{common, support};

use std::path::{Path, PathBuf};

use gvc::sources::mrio::adb::{self, AdbOptions};
use gvc::sources::mrio::icio::{self, IcioOptions};
use gvc::sources::mrio::labelled_csv::{self, LabelledCsvOptions};
use gvc::sources::mrio::matrices::{self, MatricesOptions};
use gvc::sources::mrio::synthetic::{generate, Names, SyntheticSpec};
use support::{adb_sheet, AdbEdition, XCell, FIRST_COL, FIRST_ROW};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Two countries, two sectors, balanced (x = row sums = OUT), value added > 0.
const LABELLED: &str = "\
row,A_s1,A_s2,B_s1,B_s2,A_HH,B_HH,OUT
A_s1,10,5,3,2,50,10,80
A_s2,4,8,1,2,30,5,50
B_s1,2,1,12,6,8,40,69
B_s2,3,2,5,9,6,35,60
VA,61,34,48,41,0,0,0
OUT,80,50,69,60,0,0,0
";

fn labelled_err(tag: &str, text: &str) -> String {
    let dir = common::fresh_dir(tag);
    let path = write(&dir, "t.csv", text);
    labelled_csv::read(&path, Some(2009), &LabelledCsvOptions::default())
        .map(|_| ())
        .unwrap_err()
        .to_string()
}

#[test]
fn overflowing_and_non_finite_cells_are_located_in_labelled_csv() {
    // One 1e308 cell: row sums would overflow to inf; named at its line and column.
    let e = labelled_err(
        "lcsv-overflow",
        &LABELLED.replace("A_s2,4,8,1,2,30", "A_s2,4,8,1e308,2,30"),
    );
    assert!(
        e.contains("t.csv:3:4: cell (A_s2, B_s1): 1e308 is too large")
            && e.contains("overflow"),
        "{e}"
    );
    // Cells that are each below the bound but add up past it: the one that crosses is named.
    let e = labelled_err(
        "lcsv-overflow-sum",
        &LABELLED
            .replace("A_s1,10,5", "A_s1,6e299,5")
            .replace("B_s2,3,2,5,9", "B_s2,3,2,5,6e299"),
    );
    assert!(e.contains("t.csv:5:5: cell (B_s2, B_s2): 6e299 is too large"), "{e}");
    for bad in ["inf", "NaN", "1e309", "-inf"] {
        let e = labelled_err(
            "lcsv-nonfinite",
            &LABELLED.replace("B_s1,2,1,12", &format!("B_s1,2,{bad},12")),
        );
        assert!(
            e.contains(&format!("t.csv:4:3: cell (B_s1, A_s2) is `{bad}`, not a finite number")),
            "{bad}: {e}"
        );
    }
}

#[test]
fn overflowing_and_non_finite_cells_are_located_in_icio_and_matrices() {
    let icio_text = ",A_01,B_01,A_HFCE,B_HFCE,OUT\nA_01,1,2,3,4,10\nB_01,2,1,4,3,10\nVA,7,7,0,0,0\nOUT,10,10,0,0,0\n";
    let dir = common::fresh_dir("icio-overflow");
    let path = write(&dir, "icio.csv", &icio_text.replace("B_01,2,1,4", "B_01,2,1e308,4"));
    let e = icio::read(&path, &IcioOptions::default()).unwrap_err().to_string();
    assert!(
        e.contains("icio.csv:3:3: row `B_01`, column `B_01`: 1e308 is too large"),
        "{e}"
    );
    let path = write(&dir, "icio.csv", &icio_text.replace("B_01,2,1,4", "B_01,2,inf,4"));
    let e = icio::read(&path, &IcioOptions::default()).unwrap_err().to_string();
    assert!(e.contains("icio.csv:3:3: `inf` in row `B_01`, column `B_01` is not a finite number"), "{e}");

    let dir = common::fresh_dir("matrices-overflow");
    write(&dir, "input_countries.csv", "country\nA\nB\n");
    write(&dir, "input_industries.csv", "industry\nx\n");
    write(&dir, "input_inter.csv", ",A.x,B.x\nA.x,1,2\nB.x,3,1e308\n");
    write(&dir, "input_final.csv", ",A,B\nA.x,5,6\nB.x,7,8\n");
    write(&dir, "input_out.csv", "row,out\nA.x,14\nB.x,22\n");
    let e = matrices::read(&dir, &MatricesOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("input_inter.csv:3:3: column `B.x`: 1e308 is too large"), "{e}");
    write(&dir, "input_inter.csv", ",A.x,B.x\nA.x,1,2\nB.x,3,NaN\n");
    let e = matrices::read(&dir, &MatricesOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("input_inter.csv:3:3: `NaN` in column `B.x` is not a finite number"), "{e}");
}

#[test]
fn overflowing_cell_is_located_in_adb_xlsx() {
    let spec = SyntheticSpec {
        seed: 17,
        countries: vec!["PRC".into(), "KAZ".into(), "RoW".into()],
        sectors: Names::Count(4),
        fd_categories: Names::Count(5),
        years: vec![],
    };
    let table = generate(&spec, 2005).unwrap();
    let mut sheet = adb_sheet(&table, AdbEdition::Mrio62);
    sheet.set(FIRST_ROW + 1, FIRST_COL + 2, XCell::Num(1e308));
    let dir = support::temp_dir("adb-overflow");
    let path = dir.join("ADB-MRIO-2005.xlsx");
    sheet.save(&path).unwrap();
    let e = adb::read(&path, Some(2005), &AdbOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("ADB MRIO 2005!G9: intermediate block: 1e308 is too large"),
        "{e}"
    );
}
