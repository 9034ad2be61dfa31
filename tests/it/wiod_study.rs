//! The real-data study, `specs/wiod_bri.toml`: WIOD 2013 tables 2007–2011 and WDI indicators
//! from `shared/data` (through `$GVC_DATA`). Runs when the data are present: the identities
//! hold at 1e-9 (with x read from the table), the panel has 17 economies × 5 years = 85
//! country-years before listwise deletion, the report renders, and its numbers are what
//! `gvc decompose` and `gvc estimate` give on the same inputs.

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::{fresh_dir, gvc_with_env, read_json, read_parquet, rel_diff};

#[test]
fn wiod_study_runs_on_real_data_and_agrees_with_the_quick_commands() {
    let Some(shared) = common::shared_dir("the WIOD study (needs shared/data)") else {
        return;
    };
    let data = shared.join("data");
    if !data.join("wiod2013/wiot_2009.csv").is_file() {
        eprintln!(
            "SKIPPED the WIOD study: {} has no wiod2013/",
            data.display()
        );
        return;
    }
    let dir = fresh_dir("wiod-study");
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/wiod_bri.toml");
    let spec = spec.display().to_string();
    let gvc = |args: &[&str]| gvc_with_env(&dir, args, &[("GVC_DATA", data.as_path())]);
    let (code, _, err) = gvc(&["run", &spec, "--cache", "cache"]);
    assert_eq!(code, 0, "{err}");
    let out = dir.join("output/wiod_bri");

    // Identities: every checked one at 1e-9; I1 (x read from the table) is recorded only.
    let run = read_json(&out.join("run.json"));
    let max = run["max_identity_residual"].as_f64().unwrap();
    println!("max identity residual over the run: {max:.3e}");
    assert!(max <= 1e-9, "{max}");
    // The core identities (I2–I5) hold at 1e-9 exactly; the KPWW identity is allowed the
    // table's own imbalance propagated through B (docs/measures.md), and must hold within it.
    let mut checked = 0;
    for s in run["stages"].as_array().unwrap() {
        for id in s["identities"].as_array().into_iter().flatten() {
            let Some(tol) = id["tolerance"].as_f64() else {
                continue;
            };
            let res = id["residual"].as_f64().unwrap();
            assert!(res <= tol, "{id}");
            if s["stage"] == "leontief" {
                assert_eq!(tol, 1e-9, "{id}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 5 * 4, "I2–I5 for every year: {checked}");

    // The panel: 17 economies × 2007–2011 = 85 country-years before deletion.
    let df = read_parquet(&out.join("panel.parquet"));
    assert_eq!(df.height(), 85, "{df}");
    let countries = df.column("country").unwrap().str().unwrap().clone();
    let years = df
        .column("year")
        .unwrap()
        .cast(&polars::prelude::DataType::Int32)
        .unwrap();
    let years = years.i32().unwrap().clone();
    let distinct: std::collections::BTreeSet<&str> = countries.iter().flatten().collect();
    assert_eq!(distinct.len(), 17, "{distinct:?}");
    assert!(distinct.contains("CHN") && distinct.contains("ROU"));
    let samples = read_json(&out.join("samples.json"));
    let used = samples["baseline/participation"].as_array().unwrap().len();
    assert!((40..85).contains(&used), "listwise deletion leaves {used}");

    // The report renders, and says where OFDI comes from.
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("FDI net outflows"), "{report}");
    assert!(report.contains("GVC participation (WIOD)"));
    assert!(out.join("report.tex").is_file());
    let table = std::fs::read_to_string(out.join("tables/participation.md")).unwrap();
    assert!(
        table.contains("(17 clusters)") && table.contains("Hausman"),
        "{table}"
    );

    // KPWW participation in the panel = `gvc decompose` on the 2009 file.
    let (code, _, err) = gvc(&[
        "decompose",
        &data.join("wiod2013/wiot_2009.csv").display().to_string(),
        "--format",
        "labelled-csv",
        "--year",
        "2009",
        "--out",
        "kpww2009.json",
    ]);
    assert_eq!(code, 0, "{err}");
    let rows = read_json(&dir.join("kpww2009.json"));
    let direct: BTreeMap<String, f64> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["measure"] == "kpww.participation")
        .map(|r| {
            (
                r["country"].as_str().unwrap().to_string(),
                r["value"].as_f64().unwrap(),
            )
        })
        .collect();
    let gvcp = df.column("gvcp").unwrap().f64().unwrap().clone();
    let mut compared = 0;
    for i in 0..df.height() {
        if years.get(i) != Some(2009) {
            continue;
        }
        let c = countries.get(i).unwrap();
        let ours = gvcp.get(i).unwrap();
        let theirs = direct[c];
        assert!(rel_diff(ours, theirs) <= 1e-12, "{c}: {ours} vs {theirs}");
        compared += 1;
    }
    assert_eq!(compared, 17);

    // The first FE column = `gvc estimate` on the panel file.
    let (code, est, err) = gvc(&[
        "estimate",
        "output/wiod_bri/panel.parquet",
        "--panel",
        "country",
        "--time",
        "year",
        "--dep",
        "gvcp",
        "--x",
        "tariff,ofdi",
        "--estimator",
        "fe",
        "--vce",
        "cluster",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let quick: serde_json::Value = serde_json::from_str(&est).unwrap();
    let results = read_json(&out.join("results.json"));
    let column = results["estimates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["variant"].is_null() && e["model"] == "participation" && e["column"] == "0/fe")
        .expect("participation 0/fe");
    assert_eq!(column["n_obs"], quick["n_obs"]);
    for (a, b) in column["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .zip(quick["coefficients"].as_array().unwrap())
    {
        assert_eq!(a["name"], b["name"]);
        for k in ["estimate", "std_error", "p_value"] {
            let (x, y) = (a[k].as_f64().unwrap(), b[k].as_f64().unwrap());
            assert!(rel_diff(x, y) <= 1e-12, "{} {k}: {x} vs {y}", a["name"]);
        }
    }
}
