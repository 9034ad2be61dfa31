//! The motivating study, `specs/bri_gvc.toml`, run end to end against a fixture folder this
//! test writes: ADB-layout workbooks for 2007–2017 (36 economies: China, the 34 Belt and Road
//! economies and Japan; small synthetic tables), per-indicator WDI CSV files in the World
//! Bank's download layout (with aggregate rows that must be ignored), and a bilateral OFDI CSV.
//! Also: `gvc check` on the spec without its data names every missing input.

use crate::{common, support};

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::{fresh_dir, gvc, read_json};
use gvc::sources::mrio::synthetic::{generate, Names, SyntheticSpec};
use support::{write_adb_workbook, AdbEdition};

/// China and the 34 Belt and Road economies: ADB code and ISO3 (written out here, not taken
/// from gvc's registry, so the test also checks the mapping).
const STUDY: [(&str, &str); 35] = [
    ("PRC", "CHN"),
    ("MON", "MNG"),
    ("INO", "IDN"),
    ("MAL", "MYS"),
    ("PHI", "PHL"),
    ("THA", "THA"),
    ("VIE", "VNM"),
    ("LAO", "LAO"),
    ("BRU", "BRN"),
    ("CAM", "KHM"),
    ("SIN", "SGP"),
    ("TUR", "TUR"),
    ("GRC", "GRC"),
    ("CYP", "CYP"),
    ("IND", "IND"),
    ("PAK", "PAK"),
    ("BAN", "BGD"),
    ("NEP", "NPL"),
    ("BHU", "BTN"),
    ("SRI", "LKA"),
    ("MLD", "MDV"),
    ("KAZ", "KAZ"),
    ("KGZ", "KGZ"),
    ("RUS", "RUS"),
    ("POL", "POL"),
    ("LTU", "LTU"),
    ("EST", "EST"),
    ("LVA", "LVA"),
    ("CZE", "CZE"),
    ("SVK", "SVK"),
    ("HUN", "HUN"),
    ("SVN", "SVN"),
    ("HRV", "HRV"),
    ("ROM", "ROU"),
    ("BGR", "BGR"),
];

const YEARS: std::ops::RangeInclusive<i32> = 2007..=2017;

/// A deterministic value in [lo, hi) for (country, year, indicator).
fn cell(c: usize, year: i32, salt: u64, lo: f64, hi: f64) -> f64 {
    let mut h = (c as u64 + 1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((year as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(salt.wrapping_mul(0x94D0_49BB_1331_11EB));
    h ^= h >> 31;
    h = h.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    h ^= h >> 32;
    lo + (hi - lo) * ((h >> 11) as f64 / (1u64 << 53) as f64)
}

/// A smooth series: a country level in [lo, hi), 3 % trend growth and ±5 % noise, so stocks
/// built by the perpetual-inventory method are well defined.
fn series(c: usize, year: i32, salt: u64, lo: f64, hi: f64) -> f64 {
    let level = cell(c, 0, salt, lo, hi);
    level * 1.03_f64.powi(year - 2000) * cell(c, year, salt + 100, 0.95, 1.05)
}

/// One WDI per-indicator CSV (`API_<code>_DS2_en_csv_v2_1.csv`), 4 preamble lines, years
/// 2000–2018, plus two aggregate rows and an empty cell.
fn write_wdi(dir: &Path, code: &str, name: &str, salt: u64, lo: f64, hi: f64) {
    let mut s = String::from(
        "\u{feff}\"Data Source\",\"World Development Indicators\",\n\n\"Last Updated Date\",\"2026-02-24\",\n\n",
    );
    s.push_str("\"Country Name\",\"Country Code\",\"Indicator Name\",\"Indicator Code\"");
    for y in 2000..=2018 {
        write!(s, ",\"{y}\"").unwrap();
    }
    s.push_str(",\n");
    let mut rows: Vec<(String, String, usize)> = STUDY
        .iter()
        .enumerate()
        .map(|(i, (_, iso))| (format!("Economy {iso}"), iso.to_string(), i))
        .collect();
    rows.push(("World".into(), "WLD".into(), 90));
    rows.push(("East Asia & Pacific".into(), "EAS".into(), 91));
    for (cname, iso, i) in rows {
        write!(s, "\"{cname}\",\"{iso}\",\"{name}\",\"{code}\"").unwrap();
        for y in 2000..=2018 {
            // One empty cell outside the study's years: missing, not zero.
            if i == 3 && y == 2003 && salt == 5 {
                s.push_str(",\"\"");
            } else {
                write!(s, ",\"{}\"", series(i, y, salt, lo, hi)).unwrap();
            }
        }
        s.push_str(",\n");
    }
    std::fs::write(dir.join(format!("API_{code}_DS2_en_csv_v2_1.csv")), s).unwrap();
}

/// The fixture study folder: `specs/bri_gvc.toml` (copied from the repository) and `data/`.
fn fixture(tag: &str) -> PathBuf {
    let root = fresh_dir(tag);
    let specs = root.join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/bri_gvc.toml");
    std::fs::copy(&spec, specs.join("bri_gvc.toml")).unwrap();

    let adb = root.join("data/adb-mrio");
    std::fs::create_dir_all(&adb).unwrap();
    let mut countries: Vec<String> = STUDY.iter().map(|(a, _)| a.to_string()).collect();
    countries.push("JPN".into());
    let synth = SyntheticSpec {
        seed: 2024,
        countries,
        sectors: Names::Count(3),
        fd_categories: Names::Count(5),
        years: vec![],
    };
    for year in YEARS {
        let t = generate(&synth, year).unwrap();
        write_adb_workbook(
            &adb.join(format!("ADB-MRIO-{year}.xlsx")),
            &t,
            AdbEdition::Mrio62,
        )
        .unwrap();
    }

    let wdi = root.join("data/wdi");
    std::fs::create_dir_all(&wdi).unwrap();
    write_wdi(&wdi, "TM.TAX.MRCH.WM.AR.ZS", "Tariff rate", 1, 0.5, 20.0);
    write_wdi(
        &wdi,
        "NY.GDP.MKTP.KD",
        "GDP (constant 2015 US$)",
        2,
        1e10,
        2e12,
    );
    write_wdi(
        &wdi,
        "GB.XPD.RSDV.GD.ZS",
        "R&D expenditure (% of GDP)",
        3,
        0.1,
        3.0,
    );
    write_wdi(
        &wdi,
        "NY.GDP.PCAP.KD.ZG",
        "GDP per capita growth",
        4,
        -5.0,
        10.0,
    );
    write_wdi(
        &wdi,
        "SE.TER.ENRR",
        "School enrollment, tertiary",
        5,
        5.0,
        90.0,
    );
    write_wdi(
        &wdi,
        "NE.GDI.FTOT.ZS",
        "Gross fixed capital formation",
        6,
        15.0,
        40.0,
    );

    // Each economy invests in the next three of the list, every year.
    let mut ofdi = String::from("reporter,partner,year,ofdi\n");
    for (i, (_, iso)) in STUDY.iter().enumerate() {
        for k in 1..=3 {
            let partner = STUDY[(i + k) % STUDY.len()].1;
            for y in YEARS {
                writeln!(
                    ofdi,
                    "{iso},{partner},{y},{}",
                    cell(i * 7 + k, y, 9, 1.0, 500.0)
                )
                .unwrap();
            }
        }
    }
    std::fs::write(root.join("data/ofdi_bilateral.csv"), ofdi).unwrap();
    root
}

/// (country, year) → value of one column of the panel artifact.
fn panel_values(path: &Path, column: &str) -> std::collections::BTreeMap<(String, i32), f64> {
    use polars::prelude::*;
    let df = common::read_parquet(path);
    let country = df.column("country").unwrap().str().unwrap().clone();
    let year = df.column("year").unwrap().cast(&DataType::Int32).unwrap();
    let year = year.i32().unwrap().clone();
    let value = df.column(column).unwrap().f64().unwrap().clone();
    let mut out = std::collections::BTreeMap::new();
    for i in 0..df.height() {
        if let (Some(c), Some(y), Some(v)) = (country.get(i), year.get(i), value.get(i)) {
            out.insert((c.to_string(), y), v);
        }
    }
    out
}

#[test]
fn bri_study_runs_end_to_end_on_adb_layout_fixtures() {
    let root = fixture("bri-fixture");
    let (code, out, err) = gvc(&root, &["check", "specs/bri_gvc.toml"]);
    assert_eq!(code, 0, "{out}{err}");

    let (code, _, err) = gvc(&root, &["run", "specs/bri_gvc.toml"]);
    assert_eq!(code, 0, "{err}");
    let out = root.join("output/bri_gvc");

    // Every table and decomposition once (the robustness block shares them), identities
    // checked at 1e-9.
    let run = read_json(&out.join("run.json"));
    let stages = run["stages"].as_array().unwrap();
    for stage in ["io_tables", "leontief", "decompose"] {
        let n = stages.iter().filter(|s| s["stage"] == stage).count();
        assert_eq!(n, 11, "{stage}: one per year");
    }
    let max = run["max_identity_residual"].as_f64().unwrap();
    assert!(max <= 1e-9, "max identity residual {max}");

    // The panel: 35 economies × 11 years, in ADB codes.
    let samples = read_json(&out.join("samples.json"));
    let base = samples["baseline/participation"].as_array().unwrap();
    let countries: std::collections::BTreeSet<&str> =
        base.iter().map(|r| r[0].as_str().unwrap()).collect();
    assert_eq!(countries.len(), 35, "{countries:?}");
    assert!(countries.contains("PRC") && countries.contains("ROM") && !countries.contains("JPN"));
    // The spillover needs the previous year's OFDI hosts' stocks: every country-year is in.
    assert_eq!(
        base.len(),
        35 * 11,
        "complete fixture data: no listwise deletion"
    );
    let excl = samples["excl-2009/participation"].as_array().unwrap();
    assert_eq!(excl.len(), 35 * 10);
    assert!(excl.iter().all(|r| r[1] != 2009));

    // Models: 5 steps × FE/RE per model, Hausman per step, clustered by country (35).
    let results = read_json(&out.join("results.json"));
    let estimates = results["estimates"].as_array().unwrap();
    assert_eq!(
        estimates.len(),
        2 * 10 * 2,
        "baseline and robustness columns"
    );
    for e in estimates {
        let names: Vec<&str> = e["coefficients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert!(names.starts_with(&["tariff", "sofdi"]), "{names:?}");
        for c in e["coefficients"].as_array().unwrap() {
            assert!(c["estimate"].as_f64().unwrap().is_finite(), "{c}");
            assert!(c["std_error"].as_f64().unwrap() > 0.0, "{c}");
        }
    }
    assert_eq!(results["tests"].as_array().unwrap().len(), 2 * 5 * 2);

    // The report: both tables per model, the robustness tables, and the descriptives.
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("Global value chain upgrading in Belt and Road countries"));
    for t in [
        "participation.md",
        "position.md",
        "participation_excl-2009.md",
        "position_excl-2009.tex",
        "descriptives.csv",
        "missing.csv",
    ] {
        assert!(out.join("tables").join(t).is_file(), "{t}");
    }
    let table = std::fs::read_to_string(out.join("tables/participation.md")).unwrap();
    assert!(
        table.contains("OFDI spillover") && table.contains("Hausman"),
        "{table}"
    );
    assert!(table.contains("(35 clusters)"), "{table}");
    // No synthetic-data note: these are "real" (fixture) files read through the real readers.
    assert!(!report.contains("SYNTHETIC"));

    // The decomposition equals `gvc decompose` on the same workbook.
    let (code, dec, err) = gvc(
        &root,
        &[
            "decompose",
            "data/adb-mrio/ADB-MRIO-2012.xlsx",
            "--format",
            "adb-xlsx",
            "--out",
            "kpww2012.json",
        ],
    );
    assert_eq!(code, 0, "{dec}{err}");
    let rows = read_json(&root.join("kpww2012.json"));
    let participation = |c: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["country"] == c && r["measure"] == "kpww.participation")
            .and_then(|r| r["value"].as_f64())
            .unwrap()
    };
    let panel = panel_values(&out.join("panel.parquet"), "gvcp");
    let mut compared = 0;
    for (adb, _) in STUDY {
        let ours = panel[&(adb.to_string(), 2012)];
        let direct = participation(adb);
        assert!(
            common::rel_diff(ours, direct) <= 1e-12,
            "{adb} 2012: panel {ours} vs gvc decompose {direct}"
        );
        compared += 1;
    }
    assert_eq!(compared, 35);
}

#[test]
fn check_without_data_names_every_missing_input() {
    let root = fresh_dir("bri-nodata");
    std::fs::create_dir_all(root.join("specs")).unwrap();
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/bri_gvc.toml");
    std::fs::copy(&spec, root.join("specs/bri_gvc.toml")).unwrap();
    let (code, out, err) = gvc(&root, &["check", "specs/bri_gvc.toml"]);
    assert_eq!(code, 2, "{out}{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.contains(": error: ")).collect();
    assert_eq!(errors.len(), 3, "one message per missing input:\n{err}");
    for (source, what, hint, place) in [
        (
            "mrio",
            "ADB MRIO Excel workbooks",
            "ADB MRIO 62-economy",
            "data/adb-mrio",
        ),
        ("wdi", "WDI CSV", "TM.TAX.MRCH.WM.AR.ZS", "data/wdi"),
        ("ofdi", "bilateral CSV", "UNCTAD", "data/ofdi_bilateral.csv"),
    ] {
        let i = err
            .lines()
            .position(|l| l.contains(&format!("`sources.{source}.path`")))
            .unwrap_or_else(|| panic!("no message for {source}:\n{err}"));
        let msg = err.lines().nth(i).unwrap();
        assert!(msg.starts_with("specs/bri_gvc.toml:"), "located: {msg}");
        assert!(msg.contains(what), "{msg}");
        let help = err.lines().nth(i + 1).unwrap();
        assert!(help.contains(hint), "{help}");
        let abs = root.join(place);
        assert!(
            help.contains(&format!("put it at {}", abs.display())),
            "{help}"
        );
    }
}
