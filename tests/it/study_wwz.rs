//! WWZ inside a study: the `decompose` stage streams the 16 terms to `wwz.parquet` at
//! `[decomposition] wwz_level`, copies it to `output/<spec>/decomposition/`, puts the country
//! totals in the long frame the panel reads, and records I9–I11 in run.json.

use crate::common;

use std::collections::BTreeMap;

use common::{fresh_dir, gvc, read_json, read_parquet, rel_diff};
use polars::prelude::*;

const SPEC: &str = r#"
[study]
title = "WWZ in a study"

[sources.mrio]
format = "synthetic"
seed = 5
countries = ["AUS", "BRA", "CAN", "DEU"]
sectors = 3
fd_categories = 2

[countries]
codes = "iso3"
sample = ["AUS", "BRA", "CAN", "DEU"]

[sample]
countries = "sample"
years = [2010, 2011]

[decomposition]
measures = ["kpww", "wwz"]
wwz_level = "bilateral_sector"

[variables]
gvcp = { from = "decomposition.kpww.participation", label = "GVC participation" }
dva = { from = "decomposition.wwz.DVA", label = "Domestic value added in exports" }
"#;

#[test]
fn wwz_streams_into_the_study_at_the_chosen_level() {
    let dir = fresh_dir("study-wwz");
    std::fs::write(dir.join("wwz.toml"), SPEC).unwrap();
    let (code, _, err) = gvc(&dir, &["run", "wwz.toml"]);
    assert_eq!(code, 0, "{err}");
    let out = dir.join("output/wwz");

    // Bilateral × sector: G · N · (G − 1) = 4 · 3 · 3 rows a year, 38 measures wide.
    let wide = read_parquet(&out.join("decomposition/wwz_2010.parquet"));
    assert_eq!(wide.height(), 36, "{wide}");
    assert_eq!(wide.width(), 4 + 38);
    let country = wide.column("country").unwrap().str().unwrap().clone();
    let dva = wide.column("DVA").unwrap().f64().unwrap().clone();
    let texp = wide.column("E").unwrap().f64().unwrap().clone();
    let terms: Vec<Float64Chunked> = gvc::decompose::wwz::TERM_NAMES
        .iter()
        .map(|t| wide.column(t).unwrap().f64().unwrap().clone())
        .collect();
    let mut dva_by_country: BTreeMap<String, f64> = BTreeMap::new();
    for i in 0..wide.height() {
        // I9 on the file itself: the 16 terms add up to the flow.
        let sum: f64 = terms.iter().map(|t| t.get(i).unwrap()).sum();
        assert!(rel_diff(sum, texp.get(i).unwrap()) <= 1e-9, "row {i}");
        *dva_by_country
            .entry(country.get(i).unwrap().to_string())
            .or_default() += dva.get(i).unwrap();
    }

    // The long frame holds the country totals; they are the sums of the flows.
    let long = read_parquet(&out.join("decomposition/measures_2010.parquet"));
    let m = long.column("measure").unwrap().str().unwrap().clone();
    let c = long.column("country").unwrap().str().unwrap().clone();
    let v = long.column("value").unwrap().f64().unwrap().clone();
    let mut found = 0;
    for i in 0..long.height() {
        if m.get(i) == Some("wwz.DVA") {
            let k = c.get(i).unwrap();
            assert!(
                rel_diff(v.get(i).unwrap(), dva_by_country[k]) <= 1e-12,
                "{k}"
            );
            found += 1;
        }
    }
    assert_eq!(found, 4);

    // The panel reads them; identities I9–I11 are recorded.
    let panel = read_parquet(&out.join("panel.parquet"));
    let pd = panel.column("dva").unwrap().f64().unwrap().clone();
    let pc = panel.column("country").unwrap().str().unwrap().clone();
    let py = panel
        .column("year")
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap();
    let py = py.i64().unwrap().clone();
    for i in 0..panel.height() {
        if py.get(i) == Some(2010) {
            let k = pc.get(i).unwrap();
            assert!(
                rel_diff(pd.get(i).unwrap(), dva_by_country[k]) <= 1e-12,
                "{k}"
            );
        }
    }
    let run = read_json(&out.join("run.json"));
    let ids: Vec<String> = run["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["stage"] == "decompose")
        .flat_map(|s| s["identities"].as_array().unwrap().clone())
        .map(|i| {
            assert!(i["residual"].as_f64().unwrap() <= 1e-9, "{i}");
            i["id"].as_str().unwrap().to_string()
        })
        .collect();
    for id in ["I9", "I10", "I11"] {
        assert!(ids.iter().any(|i| i == id), "{ids:?}");
    }

    // Another level re-runs the decomposition only, and keeps one row per exporter.
    let (code, _, err) = gvc(
        &dir,
        &[
            "run",
            "wwz.toml",
            "--set",
            "decomposition.wwz_level=country",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("decompose ×2") && !err.contains("leontief"),
        "{err}"
    );
    let wide = read_parquet(&out.join("decomposition/wwz_2011.parquet"));
    assert_eq!(wide.height(), 4);
    assert!(wide.column("sector").unwrap().null_count() == 4);
    // Without WWZ the file goes away.
    let (code, _, err) = gvc(
        &dir,
        &[
            "run",
            "wwz.toml",
            "--set",
            "decomposition.measures=[\"kpww\"]",
            "--set",
            "variables.dva.from=\"decomposition.kpww.DV\"",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!out.join("decomposition/wwz_2011.parquet").exists());
    assert!(out.join("decomposition/measures_2011.parquet").is_file());
}
