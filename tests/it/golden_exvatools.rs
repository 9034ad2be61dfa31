//! Golden comparison on exvatools' synthetic ICIO test table (shared/golden/exvatools_iciotest):
//! read with the ICIO reader (CN1/CN2 → CHN, MX1/MX2 → MEX kept as separate rows), the 52
//! values asserted by exvatools' tests (2 decimals), and the reference implementation's
//! country measures (printed to ~10 significant digits), including the NAFTA group
//! (MEX + USA merged into one exporter).

use crate::common;

use std::path::Path;

use gvc::decompose::{decompose, DecomposeOptions, Decomposition, Family, IvDefinition, Level};
use gvc::iot::{check_core_identities, IdentityOptions, IoTable, Leontief};
use gvc::sources::mrio::icio::{self, IcioOptions};

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .expect("golden file");
    let header = rdr
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = rdr
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn run_all(table: &IoTable) -> Decomposition {
    let leontief = Leontief::new(table).expect("Leontief");
    let ids = check_core_identities(table, &leontief, &IdentityOptions::default()).expect("I1-I5");
    for r in &ids {
        println!("{} {}: {:.3e} at {}", r.id, r.name, r.residual, r.at);
    }
    let d = decompose(
        table,
        &leontief,
        &DecomposeOptions {
            measures: vec![Family::Kpww, Family::Kww, Family::Bm, Family::Wwyz],
            level: Level::Country,
            iv: IvDefinition::Dvafx,
            tolerance: 1e-9,
        },
    )
    .expect("decomposition");
    for r in &d.identities {
        println!("{} {}: {:.3e} at {}", r.id, r.name, r.residual, r.at);
        assert!(r.residual <= 1e-9);
    }
    d
}

fn get(d: &Decomposition, country: &str, measure: &str) -> f64 {
    d.get(country, None, None, measure)
        .unwrap_or_else(|| panic!("missing {measure} for {country}"))
}

struct Tables {
    dir: std::path::PathBuf,
    plain: IoTable,
    all: Decomposition,
    nafta: Decomposition,
}

fn tables() -> Option<Tables> {
    let shared = common::shared_dir("exvatools iciotest golden")?;
    let dir = shared.join("golden/exvatools_iciotest");
    let plain = icio::read(&dir.join("iciotest_data.csv"), &IcioOptions::default())
        .expect("iciotest reads");
    let all = run_all(&plain);
    let merged = plain
        .merge_countries(&[(
            "NAFTA".to_string(),
            vec!["MEX".to_string(), "USA".to_string()],
        )])
        .expect("NAFTA group");
    let nafta = run_all(&merged);
    Some(Tables {
        dir,
        plain,
        all,
        nafta,
    })
}

#[test]
fn reader_maps_split_blocks_to_countries() {
    let Some(t) = tables() else { return };
    assert_eq!(
        t.plain.countries,
        vec!["ESP", "FRA", "MEX", "USA", "CHN", "ROW"]
    );
    assert_eq!(t.plain.fd_categories, vec!["CONS", "INVST"]);
    assert_eq!(t.plain.n(), 30);
    let chn = t.plain.countries.iter().position(|c| c == "CHN").unwrap();
    let chn_rows: Vec<String> = (0..30)
        .filter(|&i| t.plain.row_country[i] == chn)
        .map(|i| t.plain.labels[i].block.clone())
        .collect();
    assert_eq!(
        chn_rows,
        vec!["CHN", "CHN", "CHN", "CN1", "CN1", "CN1", "CN2", "CN2", "CN2"]
    );
}

#[test]
fn upstream_52_values_match() {
    let Some(t) = tables() else { return };
    let (header, rows) = read_csv(&t.dir.join("upstream_test_values.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (mc, ec, me, xc) = (
        col("methods"),
        col("exporter"),
        col("measure"),
        col("expected_rounded_2dp"),
    );
    let mut worst = (0.0_f64, String::new());
    let mut failures = Vec::new();
    for row in &rows {
        let (methods, exporter, measure) = (row[mc].as_str(), row[ec].as_str(), row[me].as_str());
        let expected: f64 = row[xc].parse().unwrap();
        let got = match (exporter, methods) {
            ("NAFTA", _) => get(&t.nafta, "NAFTA", &format!("bm.{measure}")),
            ("MEX+USA", _) => {
                get(&t.all, "MEX", &format!("bm.{measure}"))
                    + get(&t.all, "USA", &format!("bm.{measure}"))
            }
            (_, "oecd") => match measure {
                "GVCB" => get(&t.all, exporter, "kpww.FV"),
                "GVCF" => get(&t.all, exporter, "kpww.IV_dvafx"),
                "GVC" => get(&t.all, exporter, "kpww.FV") + get(&t.all, exporter, "kpww.IV_dvafx"),
                other => panic!("oecd {other}"),
            },
            (_, "wwz") => match measure {
                "FVA" => get(&t.all, exporter, "kww.FVA"),
                "FDC" => get(&t.all, exporter, "kww.FDC"),
                other => panic!("wwz {other}"),
            },
            _ => get(&t.all, exporter, &format!("bm.{measure}")),
        };
        let rel = common::rel_diff(got, expected);
        if rel > worst.0 {
            worst = (rel, format!("{exporter} {measure} ({methods})"));
        }
        // Asserted values are rounded to 2 decimals.
        if (got - expected).abs() > 0.005 + 1e-9 {
            failures.push(format!(
                "{exporter} {measure} ({methods}): got {got:.6} expected {expected:.2}"
            ));
        }
    }
    println!(
        "exvatools upstream_test_values.csv: {} values, worst relative error {:.3e} at {} (2-decimal rounding)",
        rows.len(),
        worst.0,
        worst.1
    );
    assert_eq!(rows.len(), 52);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reference_country_measures_match() {
    let Some(t) = tables() else { return };
    let (header, rows) = read_csv(&t.dir.join("computed_country_measures.csv"));
    let mut worst = (0.0_f64, String::new());
    let mut failures = Vec::new();
    let mut count = 0;
    for row in &rows {
        let country = &row[0];
        for (k, cell) in row.iter().enumerate().skip(1) {
            let name = match header[k].as_str() {
                "WWZ_VAX" => "kww.VAX".to_string(),
                "WWZ_REF" => "kww.RDV".to_string(),
                "WWZ_DDC" => "kww.DDC".to_string(),
                "WWZ_FVA" => "kww.FVA".to_string(),
                "WWZ_FDC" => "kww.FDC".to_string(),
                "OECD_GVCF_DVAFX" => "kpww.IV_dvafx".to_string(),
                "DVAFX_excl_back" => "kpww.IV_dvafx_excl_back".to_string(),
                other => format!("bm.{other}"),
            };
            let got = get(&t.all, country, &name);
            let expected: f64 = cell.parse().unwrap();
            let decimals = cell.split_once('.').map(|(_, d)| d.len()).unwrap_or(0) as i32;
            let rel = common::rel_diff(got, expected);
            count += 1;
            if rel > worst.0 {
                worst = (rel, format!("{country} {}", header[k]));
            }
            // Printed with 10 significant digits: half a unit of the last digit, plus 1e-10
            // relative for the reference's own last-bit differences (e.g. ...092|53 printed ...092).
            if (got - expected).abs() > 0.5 * 10f64.powi(-decimals) + 1e-10 * expected.abs() {
                failures.push(format!(
                    "{country} {}: got {got:.10} expected {cell}",
                    header[k]
                ));
            }
        }
    }
    println!(
        "exvatools computed_country_measures.csv: {count} values, worst relative error {:.3e} at {} (printed precision)",
        worst.0, worst.1
    );
    assert!(count > 100);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
