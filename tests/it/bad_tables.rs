//! Bad input-output tables (issue #13): overflowing and non-finite cells named at their
//! place in every reader.

use crate::{common, support};

use std::path::{Path, PathBuf};

use gvc::sources::mrio::adb::{self, AdbOptions};
use gvc::sources::mrio::icio::{self, IcioOptions};
use gvc::sources::mrio::labelled_csv::{self, LabelledCsvOptions};
use gvc::sources::mrio::matrices::{self, MatricesOptions};
use support::{adb_sheet, small_table, AdbEdition, XCell, FIRST_COL, FIRST_ROW};

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
        e.contains("t.csv:3:4: cell (A_s2, B_s1): 1e308 is too large") && e.contains("overflow"),
        "{e}"
    );
    // Cells that are each below the bound but add up past it: the one that crosses is named.
    let e = labelled_err(
        "lcsv-overflow-sum",
        &LABELLED
            .replace("A_s1,10,5", "A_s1,6e299,5")
            .replace("B_s2,3,2,5,9", "B_s2,3,2,5,6e299"),
    );
    assert!(
        e.contains("t.csv:5:5: cell (B_s2, B_s2): 6e299 is too large"),
        "{e}"
    );
    for bad in ["inf", "NaN", "1e309", "-inf"] {
        let e = labelled_err(
            "lcsv-nonfinite",
            &LABELLED.replace("B_s1,2,1,12", &format!("B_s1,2,{bad},12")),
        );
        assert!(
            e.contains(&format!(
                "t.csv:4:3: cell (B_s1, A_s2) is `{bad}`, not a finite number"
            )),
            "{bad}: {e}"
        );
    }
}

#[test]
fn overflowing_and_non_finite_cells_are_located_in_icio_and_matrices() {
    let icio_text = ",A_01,B_01,A_HFCE,B_HFCE,OUT\nA_01,1,2,3,4,10\nB_01,2,1,4,3,10\nVA,7,7,0,0,0\nOUT,10,10,0,0,0\n";
    let dir = common::fresh_dir("icio-overflow");
    let path = write(
        &dir,
        "icio.csv",
        &icio_text.replace("B_01,2,1,4", "B_01,2,1e308,4"),
    );
    let e = icio::read(&path, &IcioOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("icio.csv:3:3: row `B_01`, column `B_01`: 1e308 is too large"),
        "{e}"
    );
    let path = write(
        &dir,
        "icio.csv",
        &icio_text.replace("B_01,2,1,4", "B_01,2,inf,4"),
    );
    let e = icio::read(&path, &IcioOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("icio.csv:3:3: `inf` in row `B_01`, column `B_01` is not a finite number"),
        "{e}"
    );

    let dir = common::fresh_dir("matrices-overflow");
    write(&dir, "input_countries.csv", "country\nA\nB\n");
    write(&dir, "input_industries.csv", "industry\nx\n");
    write(&dir, "input_inter.csv", ",A.x,B.x\nA.x,1,2\nB.x,3,1e308\n");
    write(&dir, "input_final.csv", ",A,B\nA.x,5,6\nB.x,7,8\n");
    write(&dir, "input_out.csv", "row,out\nA.x,14\nB.x,22\n");
    let e = matrices::read(&dir, &MatricesOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("input_inter.csv:3:3: column `B.x`: 1e308 is too large"),
        "{e}"
    );
    write(&dir, "input_inter.csv", ",A.x,B.x\nA.x,1,2\nB.x,3,NaN\n");
    let e = matrices::read(&dir, &MatricesOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("input_inter.csv:3:3: `NaN` in column `B.x` is not a finite number"),
        "{e}"
    );
}

#[test]
fn overflowing_cell_is_located_in_adb_xlsx() {
    let mut sheet = adb_sheet(&small_table(), AdbEdition::Mrio62);
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

/// The real WIOD 2009 table with one entry's gross output edited (both the `OUT` column cell
/// of its row and the `OUT` row cell under its column, so the reader's row/column check
/// passes): (path, DEU_c9 row sum, DEU_c9 column sum of intermediate inputs), the sums
/// computed here from the CSV text.
fn wiod_2009_with_deu_c9_output(tag: &str, output: &str) -> Option<(PathBuf, f64, f64)> {
    let shared = common::shared_dir("WIOD 2009 with an edited output")?;
    let text = std::fs::read_to_string(shared.join("data/wiod2013/wiot_2009.csv")).unwrap();
    let mut lines: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let header = lines[0].clone();
    let out_col = header.iter().position(|h| h == "OUT").unwrap();
    let deu_col = header.iter().position(|h| h == "DEU_c9").unwrap();
    let is_entry = |label: &str| {
        label
            .split_once("_c")
            .is_some_and(|(_, s)| s.bytes().all(|b| b.is_ascii_digit()))
    };
    let num = |s: &str| s.parse::<f64>().unwrap_or(0.0);
    let mut row_sum = 0.0;
    let mut col_sum = 0.0;
    for row in lines.iter_mut().skip(1) {
        if is_entry(&row[0]) {
            col_sum += num(&row[deu_col]);
        }
        if row[0] == "DEU_c9" {
            row_sum = row[1..]
                .iter()
                .enumerate()
                .filter(|(k, _)| k + 1 != out_col)
                .map(|(_, v)| num(v))
                .sum();
            row[out_col] = output.to_string();
        }
        if row[0] == "OUT" {
            row[deu_col] = output.to_string();
        }
    }
    let body: Vec<String> = lines.iter().map(|r| r.join(",")).collect();
    let dir = common::fresh_dir(tag);
    let path = write(&dir, "wiot_2009.csv", &(body.join("\n") + "\n"));
    Some((path, row_sum, col_sum))
}

fn read_labelled(path: &Path) -> Result<gvc::iot::IoTable, gvc::sources::SourceError> {
    use gvc::sources::mrio::{read_table, MrioFormat, MrioOptions};
    let options = MrioOptions::default_for(MrioFormat::LabelledCsv).unwrap();
    read_table(&options, Some(path), Some(2009))
}

/// A zero gross output with positive inputs (DEU sector 9 of WIOD 2009 set to 0 while its
/// row sums to 178,063 and its inputs to 107,147) used to pass and give negative value added
/// and a wrong participation for Germany; it is an error naming the entry, both numbers and
/// the file.
#[test]
fn wiod_zero_output_with_inputs_is_an_error_naming_the_entry() {
    let Some((path, row_sum, inputs)) = wiod_2009_with_deu_c9_output("wiod-deu-zero", "0") else {
        return;
    };
    assert_eq!((row_sum, inputs), (178_063.0, 107_147.0));
    let e = read_labelled(&path).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}: value added of DEU_c9 (country DEU, sector c9) is -107147: gross output read is 0 but its column of intermediate inputs sums to 107147", path.display())),
        "{e}"
    );
    assert!(e.contains("fix: correct the gross output of DEU_c9"), "{e}");
    // An output cut in half keeps value added above −output but leaves the row unbalanced by
    // half: the imbalance check names it.
    let (path, _, _) = wiod_2009_with_deu_c9_output("wiod-deu-half", "89000").unwrap();
    let e = read_labelled(&path).unwrap_err().to_string();
    assert!(
        e.contains("gross output of DEU_c9 (country DEU, sector c9) is 89000 but its row (intermediate sales plus final demand) sums to 178063"),
        "{e}"
    );
    // The unedited table passes (its largest imbalance, 104 at BEL_c16, is rounding).
    let shared = common::shared_dir("WIOD 2009").unwrap();
    read_labelled(&shared.join("data/wiod2013/wiot_2009.csv")).unwrap();
}

/// A sector with some negative value added (subsidies, rounding) is kept, as every reference
/// package keeps it (reference §9 pitfall 4); only value added below −output is an error.
#[test]
fn moderate_negative_value_added_is_kept() {
    use gvc::sources::mrio::{read_table, MrioFormat, MrioOptions};
    let dir = common::fresh_dir("neg-va");
    // A_s2: output 50, inputs 5 + 8 + 40 + 2 = 55 → value added −5 (kept);
    let text = LABELLED
        .replace("B_s1,2,1,12", "B_s1,2,40,12")
        .replace("B_s1,2,40,12,6,8,40,69", "B_s1,2,40,12,6,8,40,108")
        .replace("OUT,80,50,69,60", "OUT,80,50,108,60");
    let path = write(&dir, "t.csv", &text);
    let options = MrioOptions::default_for(MrioFormat::LabelledCsv).unwrap();
    let t = read_table(&options, Some(&path), Some(2009)).unwrap();
    assert_eq!(t.value_added()[1], -5.0);
    // A_s2 with output 20: inputs 55 > 2 × 20, an error.
    let text = text
        .replace("A_s2,4,8,1,2,30,5,50", "A_s2,4,8,1,2,0,5,20")
        .replace("OUT,80,50,108,60", "OUT,80,20,108,60");
    let path = write(&dir, "t.csv", &text);
    let e = read_table(&options, Some(&path), Some(2009))
        .unwrap_err()
        .to_string();
    assert!(e.contains("value added of A_s2 (country A, sector s2) is -35: gross output read is 20 but its column of intermediate inputs sums to 55"), "{e}");
}

/// Three economies; MAL's rows and columns are all zero (an economy in the table with no
/// production or trade). Output from row sums, one file per year 2007–2009.
fn zero_economy_tables(dir: &Path) {
    std::fs::create_dir_all(dir.join("tables")).unwrap();
    for (k, year) in (2007..=2009).enumerate() {
        let g = k as f64;
        let text = format!(
            "row,PRC_s1,PRC_s2,INO_s1,INO_s2,MAL_s1,MAL_s2,PRC_H,INO_H,MAL_H\n\
             PRC_s1,10,5,{},2,0,0,50,10,0\n\
             PRC_s2,4,8,1,{},0,0,30,5,0\n\
             INO_s1,{},1,12,6,0,0,8,40,0\n\
             INO_s2,3,2,5,9,0,0,{},35,0\n\
             MAL_s1,0,0,0,0,0,0,0,0,0\n\
             MAL_s2,0,0,0,0,0,0,0,0,0\n",
            3.0 + g,
            2.0 + 2.0 * g,
            2.0 + g,
            6.0 + g
        );
        write(&dir.join("tables"), &format!("t_{year}.csv"), &text);
    }
}

/// An all-zero economy: its participation and position are missing (NaN in `gvc decompose`,
/// a dash in the report, listed in missing.csv), never a failure of the report stage.
#[test]
fn an_all_zero_economy_has_missing_ratios_through_decompose_and_run() {
    let dir = common::fresh_dir("zero-economy");
    zero_economy_tables(&dir);
    let (code, out, err) = common::gvc(
        &dir,
        &[
            "decompose",
            "tables/t_2009.csv",
            "--format",
            "labelled-csv",
            "--option",
            "output=row-sums",
            "--measures",
            "kpww",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let mal_participation = out
        .lines()
        .find(|l| l.starts_with("MAL") && l.contains("kpww.participation"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        mal_participation.trim_end().ends_with("NaN"),
        "{mal_participation}"
    );

    write(
        &dir,
        "zero.toml",
        r#"[study]
title = "An economy without trade"

[sources.mrio]
format = "labelled-csv"
path = "tables"
files = "t_{year}.csv"
output = "row-sums"

[sources.cov]
format = "synthetic-panel"
seed = 7

[countries]
codes = "adb"
sample = ["PRC", "INO", "MAL"]

[sample]
countries = "sample"
years = [2007, 2009]

[decomposition]
measures = ["kpww"]

[variables]
gvcp = { from = "decomposition.kpww.participation", label = "GVC participation" }
tariff = { from = "cov.tariff", label = "Tariff" }

[[models]]
name = "participation"
dependent = "gvcp"
regressors = ["tariff"]
estimators = ["pooled"]
"#,
    );
    let (code, _, err) = common::gvc(&dir, &["run", "zero.toml"]);
    assert_eq!(code, 0, "{err}");
    let tables = dir.join("output/zero/tables");
    let summary = std::fs::read_to_string(tables.join("gvc_indicators.md")).unwrap();
    let mal = summary
        .lines()
        .find(|l| l.starts_with("| MAL"))
        .unwrap_or_else(|| panic!("{summary}"));
    assert_eq!(mal.matches('—').count(), 3, "{mal}");
    let missing = std::fs::read_to_string(tables.join("missing.csv")).unwrap();
    assert!(
        missing.contains("gvcp,3,9,MAL 2007; MAL 2008; MAL 2009"),
        "{missing}"
    );
}
