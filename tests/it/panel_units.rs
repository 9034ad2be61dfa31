//! Panels beyond country × year (`[panel] unit`, issue #18 item 1), through the real CLI on
//! synthetic tables: the shape and keys of a country × sector, a bilateral and a bilateral ×
//! sector panel; additive measures that sum over sectors (and over partners, in the
//! decomposition file) to the country panel's values; country covariates merged by exporter
//! and, as `importer.<…>`, by importer; models that absorb the unit and the year and cluster by
//! exporter, equal to `gvc estimate` on the published panel; the spec errors; and the
//! real-data study `specs/wiod_sectors.toml` (with `specs/wiod_gravity.toml`).

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::{fresh_dir, gvc, gvc_with_env, read_json, read_parquet, rel_diff};
use polars::prelude::*;

const BASE: &str = r#"
[study]
title = "Panel units"

[sources.mrio]
format = "synthetic"
seed = 11
countries = ["PRC", "INO", "MAL", "THA", "ROW"]
sectors = 3
fd_categories = 2

[sources.cov]
format = "synthetic-panel"
seed = 7

[countries]
codes = "adb"
sample = ["PRC", "INO", "MAL", "THA"]

[sample]
countries = "sample"
years = [2007, 2009]

[decomposition]
measures = ["kpww", "bm", "wwz"]
"#;

/// Writes `BASE` + `rest` as `<name>.toml` in `dir`, runs it, and returns its output folder.
fn run(dir: &std::path::Path, name: &str, rest: &str) -> PathBuf {
    std::fs::write(dir.join(format!("{name}.toml")), format!("{BASE}{rest}")).unwrap();
    let (code, _, err) = gvc(dir, &["run", &format!("{name}.toml"), "--quiet"]);
    assert_eq!(code, 0, "{name}: {err}");
    dir.join("output").join(name)
}

fn strs(df: &DataFrame, col: &str) -> Vec<String> {
    df.column(col)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect()
}

fn nums(df: &DataFrame, col: &str) -> Vec<Option<f64>> {
    df.column(col)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect()
}

fn years(df: &DataFrame) -> Vec<i32> {
    nums(df, "year")
        .into_iter()
        .map(|y| y.unwrap() as i32)
        .collect()
}

/// (country, year) → value of `col` on a country panel.
fn by_country(df: &DataFrame, col: &str) -> BTreeMap<(String, i32), f64> {
    strs(df, "country")
        .into_iter()
        .zip(years(df))
        .zip(nums(df, col))
        .filter_map(|(k, v)| Some((k, v?)))
        .collect()
}

const VARS: &str = r#"
[variables]
E = { from = "decomposition.kpww.E", label = "Gross exports" }
FV = { from = "decomposition.kpww.FV", label = "Foreign value added" }
IV = { from = "decomposition.kpww.IV", label = "Indirect value added" }
dva = { from = "decomposition.bm.DVA", label = "Domestic value added (BM)" }
vax = { from = "decomposition.wwz.VAX", label = "Value-added exports (WWZ)" }
gvcp = { from = "decomposition.kpww.participation", label = "GVC participation" }
tariff = { from = "cov.tariff", label = "Tariff" }
"#;

#[test]
fn country_sector_panel_sums_to_the_country_panel_and_merges_covariates_by_exporter() {
    let dir = fresh_dir("units-sector");
    let country = run(
        &dir,
        "country",
        &format!(
            "{VARS}\n[[models]]\nname = \"m\"\ndependent = \"gvcp\"\nregressors = [\"tariff\"]\n"
        ),
    );
    let sector = run(
        &dir,
        "sector",
        &format!(
            r#"
[panel]
unit = "country_sector"
{VARS}
[[models]]
name = "m"
dependent = "gvcp"
regressors = ["tariff"]
absorb = ["exporter^sector", "year"]
cluster = "exporter"
"#
        ),
    );
    let cp = read_parquet(&country.join("panel.parquet"));
    let sp = read_parquet(&sector.join("panel.parquet"));
    // 4 exporters × 3 sectors × 3 years, keyed by unit, exporter, sector, year.
    assert_eq!(sp.height(), 36, "{sp}");
    let names: Vec<&str> = sp.get_column_names().iter().map(|c| c.as_str()).collect();
    assert_eq!(
        names[..4],
        ["unit", "exporter", "sector", "year"],
        "{names:?}"
    );
    let exporters = strs(&sp, "exporter");
    let sectors = strs(&sp, "sector");
    let units = strs(&sp, "unit");
    for ((u, e), s) in units.iter().zip(&exporters).zip(&sectors) {
        assert_eq!(u, &format!("{e}/{s}"));
    }
    assert_eq!(exporters[0], "PRC");
    let distinct: std::collections::BTreeSet<&String> = sectors.iter().collect();
    assert_eq!(distinct.len(), 3, "{distinct:?}");

    // Additive measures summed over the sectors equal the country totals.
    let mut worst: f64 = 0.0;
    for m in ["E", "FV", "IV", "dva", "vax"] {
        let mut sums: BTreeMap<(String, i32), f64> = BTreeMap::new();
        for ((e, y), v) in exporters.iter().zip(years(&sp)).zip(nums(&sp, m)) {
            *sums.entry((e.clone(), y)).or_default() += v.unwrap();
        }
        let totals = by_country(&cp, m);
        assert_eq!(sums.len(), 12, "{m}");
        for (k, s) in &sums {
            let t = totals[k];
            let r = rel_diff(*s, t);
            worst = worst.max(r);
            assert!(r < 1e-9, "{m} {k:?}: Σ sectors {s} vs country {t}");
        }
    }
    println!("sector sums vs country totals: worst relative difference {worst:.2e}");
    // The country covariate is the exporter's, on every sector row.
    let tariff = by_country(&cp, "tariff");
    for ((e, y), v) in exporters.iter().zip(years(&sp)).zip(nums(&sp, "tariff")) {
        assert_eq!(v, tariff.get(&(e.clone(), y)).copied(), "{e} {y}");
    }

    // The model absorbed exporter×sector and year (xtreg, fe with year dummies) and clustered
    // by exporter: the published panel through `gvc estimate` gives the same numbers.
    let results = read_json(&sector.join("results.json"));
    let text = results.to_string();
    let (code, out, err) = gvc(
        &dir,
        &[
            "estimate",
            &sector.join("panel.parquet").display().to_string(),
            "--panel",
            "unit",
            "--time",
            "year",
            "--dep",
            "gvcp",
            "--x",
            "tariff",
            "--estimator",
            "fe2",
            "--vce",
            "cluster",
            "--cluster",
            "exporter",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let quick: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (b, se) = find_coefficient(&quick, "tariff").unwrap_or_else(|| panic!("{out}"));
    assert_eq!(quick["n_clusters"], 4, "{out}");
    let stage = find_coefficient(&results, "tariff").unwrap_or_else(|| panic!("{text}"));
    assert!(rel_diff(stage.0, b) < 1e-12, "{stage:?} vs {b}");
    assert!(rel_diff(stage.1, se) < 1e-12, "{stage:?} vs {se}");
    assert!(text.contains("\"fe2\""), "{text}");
    assert!(text.contains("\"cluster_var\":\"exporter\""), "{text}");
    let report = std::fs::read_to_string(sector.join("report.md")).unwrap();
    assert!(
        report.contains("clustered by exporter (4 clusters)"),
        "{report}"
    );
}

/// The first (b, se) of `name` in results.json.
fn find_coefficient(v: &serde_json::Value, name: &str) -> Option<(f64, f64)> {
    match v {
        serde_json::Value::Object(map) => {
            if map.get("name").and_then(|n| n.as_str()) == Some(name) {
                if let (Some(b), Some(se)) = (
                    map.get("estimate").and_then(|x| x.as_f64()),
                    map.get("std_error").and_then(|x| x.as_f64()),
                ) {
                    return Some((b, se));
                }
            }
            map.values().find_map(|x| find_coefficient(x, name))
        }
        serde_json::Value::Array(items) => items.iter().find_map(|x| find_coefficient(x, name)),
        _ => None,
    }
}

#[test]
fn bilateral_panels_hold_the_decomposition_rows_and_importer_covariates() {
    let dir = fresh_dir("units-bilateral");
    let country = run(
        &dir,
        "country",
        &format!(
            "{VARS}\n[[models]]\nname = \"m\"\ndependent = \"gvcp\"\nregressors = [\"tariff\"]\n"
        ),
    );
    let cp = read_parquet(&country.join("panel.parquet"));
    let tariff = by_country(&cp, "tariff");
    let bilateral = run(
        &dir,
        "bilateral",
        r#"
[panel]
unit = "bilateral"

[variables]
dva = { from = "decomposition.bm.DVA", label = "Domestic value added (BM)" }
vax = { from = "decomposition.wwz.VAX", label = "Value-added exports (WWZ)" }
lvax = { from = "vax", transform = "log", label = "log VAX" }
tariff = { from = "cov.tariff", label = "Tariff (exporter)" }
tariff_i = { from = "importer.cov.tariff", label = "Tariff (importer)" }

[[models]]
name = "gravity"
dependent = "lvax"
regressors = ["tariff", "tariff_i"]
absorb = ["exporter^importer", "year"]
cluster = "exporter"
"#,
    );
    let bp = read_parquet(&bilateral.join("panel.parquet"));
    // 4 exporters × 3 partners (the sample's other countries) × 3 years.
    assert_eq!(bp.height(), 36, "{bp}");
    let names: Vec<&str> = bp.get_column_names().iter().map(|c| c.as_str()).collect();
    assert_eq!(
        names[..4],
        ["unit", "exporter", "importer", "year"],
        "{names:?}"
    );
    let (e, i, y) = (strs(&bp, "exporter"), strs(&bp, "importer"), years(&bp));
    assert!(e.iter().zip(&i).all(|(a, b)| a != b));
    for (k, v) in nums(&bp, "tariff_i").into_iter().enumerate() {
        assert_eq!(
            v,
            tariff.get(&(i[k].clone(), y[k])).copied(),
            "{} {}",
            i[k],
            y[k]
        );
    }
    for (k, v) in nums(&bp, "tariff").into_iter().enumerate() {
        assert_eq!(v, tariff.get(&(e[k].clone(), y[k])).copied());
    }

    // Each row holds the decomposition's bilateral value; the file's rows over all partners
    // (the rest of the world included) sum to the country totals of the country panel.
    let mut worst: f64 = 0.0;
    for year in 2007..=2009 {
        let file = read_parquet(&bilateral.join(format!("decomposition/measures_{year}.parquet")));
        let (fc, fp, fm, fv) = (
            file.column("country").unwrap().str().unwrap().clone(),
            file.column("partner").unwrap().str().unwrap().clone(),
            file.column("measure").unwrap().str().unwrap().clone(),
            file.column("value").unwrap().f64().unwrap().clone(),
        );
        for (measure, col) in [("bm.DVA", "dva"), ("wwz.VAX", "vax")] {
            let mut cells: BTreeMap<(String, String), f64> = BTreeMap::new();
            let mut sums: BTreeMap<String, f64> = BTreeMap::new();
            for r in 0..file.height() {
                if fm.get(r) != Some(measure) {
                    continue;
                }
                let (Some(c), Some(p)) = (fc.get(r), fp.get(r)) else {
                    continue;
                };
                let v = fv.get(r).unwrap();
                cells.insert((c.to_string(), p.to_string()), v);
                *sums.entry(c.to_string()).or_default() += v;
            }
            for (k, v) in nums(&bp, col).into_iter().enumerate() {
                if y[k] == year {
                    assert_eq!(v, cells.get(&(e[k].clone(), i[k].clone())).copied());
                }
            }
            let totals = by_country(&cp, col);
            for c in ["PRC", "INO", "MAL", "THA"] {
                let r = rel_diff(sums[c], totals[&(c.to_string(), year)]);
                worst = worst.max(r);
                assert!(r < 1e-9, "{measure} {c} {year}");
            }
        }
    }
    println!("bilateral sums vs country totals: worst relative difference {worst:.2e}");
    let text = read_json(&bilateral.join("results.json")).to_string();
    assert!(text.contains("tariff_i"), "{text}");

    // Exporter × importer × sector: the WWZ flows.
    let flows = run(
        &dir,
        "flows",
        r#"
[panel]
unit = "bilateral_sector"

[variables]
vax = { from = "decomposition.wwz.VAX", label = "Value-added exports (WWZ)" }
gdp_i = { from = "importer.cov.gdp", label = "GDP (importer)" }
"#,
    );
    let fp = read_parquet(&flows.join("panel.parquet"));
    assert_eq!(fp.height(), 4 * 3 * 3 * 3, "{fp}");
    let names: Vec<&str> = fp.get_column_names().iter().map(|c| c.as_str()).collect();
    assert_eq!(
        names[..5],
        ["unit", "exporter", "importer", "sector", "year"],
        "{names:?}"
    );
    let wide = read_parquet(&flows.join("decomposition/wwz_2008.parquet"));
    let mut cells: BTreeMap<(String, String, String), f64> = BTreeMap::new();
    for r in 0..wide.height() {
        let key = (
            wide.column("country")
                .unwrap()
                .str()
                .unwrap()
                .get(r)
                .unwrap()
                .to_string(),
            wide.column("partner")
                .unwrap()
                .str()
                .unwrap()
                .get(r)
                .unwrap()
                .to_string(),
            wide.column("sector")
                .unwrap()
                .str()
                .unwrap()
                .get(r)
                .unwrap()
                .to_string(),
        );
        cells.insert(
            key,
            wide.column("VAX").unwrap().f64().unwrap().get(r).unwrap(),
        );
    }
    let (fe, fi, fs, fy) = (
        strs(&fp, "exporter"),
        strs(&fp, "importer"),
        strs(&fp, "sector"),
        years(&fp),
    );
    let mut checked = 0;
    for (k, v) in nums(&fp, "vax").into_iter().enumerate() {
        if fy[k] == 2008 {
            let want = cells[&(fe[k].clone(), fi[k].clone(), fs[k].clone())];
            assert_eq!(v, Some(want));
            checked += 1;
        }
    }
    assert_eq!(checked, 36);
}

/// A spec with `rest` appended to `BASE`, checked; returns stderr (the check must fail).
fn check_fails(rest: &str) -> String {
    let dir = fresh_dir("units-bad");
    std::fs::write(dir.join("bad.toml"), format!("{BASE}{rest}")).unwrap();
    let (code, _, err) = gvc(&dir, &["check", "bad.toml"]);
    assert_ne!(code, 0, "{rest}\n{err}");
    err
}

#[test]
fn bad_unit_specs_name_the_key_and_the_fix() {
    let cases: &[(&str, &[&str])] = &[
        (
            "[panel]\nunit = \"bilateral\"\n[variables]\np = { from = \"decomposition.kpww.position\" }\n",
            &[
                "`variables.p.from`: `decomposition.kpww.position` is not available at `panel.unit = \"bilateral\"`",
                "has rows at the units `country`, `country_sector`",
                "bm, wwz",
            ],
        ),
        (
            "[panel]\nunit = \"bilateral_sector\"\n[variables]\nd = \"decomposition.bm.DVA\"\n",
            &["`decomposition.bm.DVA` is not available at `panel.unit = \"bilateral_sector\"`", "`country`, `country_sector`, `bilateral`", "wwz"],
        ),
        (
            "[panel]\nunit = \"countries\"\n",
            &["`panel.unit` cannot be `countries`", "country"],
        ),
        (
            "[panel]\nsectors = [\"c3\"]\n",
            &["`panel.sectors` is set but `panel.unit = \"country\"` has no sector"],
        ),
        (
            "[panel]\nunit = \"country_sector\"\npartners = [\"PRC\"]\n",
            &["`panel.partners` is set but `panel.unit = \"country_sector\"` has no importer"],
        ),
        (
            "[panel]\nunit = \"country_sector\"\nsectors = \"@manufacturing\"\n[sectors]\nmanufacture = [\"s1\"]\n",
            &["unknown sector set `@manufacturing`", "manufacture"],
        ),
        (
            "[variables]\ng = { from = \"importer.cov.gdp\" }\n",
            &["`variables.g.from`: `importer.cov.gdp` reads a covariate by importer, but `panel.unit = \"country\"` has no importer"],
        ),
        (
            "[panel]\nunit = \"country_sector\"\n[variables]\ne = \"decomposition.kpww.E\"\n[[models]]\nname = \"m\"\ndependent = \"e\"\nregressors = [\"e2\"]\nabsorb = [\"exporter^importer\"]\n",
            &["`models.m.absorb`: `importer` is no dimension of a `country_sector` panel"],
        ),
        (
            "[panel]\nunit = \"country_sector\"\n[variables]\ne = \"decomposition.kpww.E\"\nt = \"cov.tariff\"\n[[models]]\nname = \"m\"\ndependent = \"e\"\nregressors = [\"t\"]\nabsorb = [\"exporter^sector\", \"year\"]\nestimators = [\"re\"]\n",
            &["`models.m.absorb` absorbs fixed effects, which `re` does not estimate", "[\"ppml\"]"],
        ),
        (
            "[panels.gravity]\nunit = \"bilateral\"\n[variables]\nd = \"decomposition.bm.DVA\"\nt = \"cov.tariff\"\n[[models]]\nname = \"g\"\npanel = \"gravty\"\ndependent = \"d\"\nregressors = [\"t\"]\n",
            &["`models.g.panel`: the spec defines no `[panels.gravty]`", "gravity"],
        ),
        (
            "[panels.gravity]\nunit = \"bilateral\"\n[variables]\ne = \"decomposition.kpww.E\"\nt = \"cov.tariff\"\n[[models]]\nname = \"m\"\ndependent = \"e\"\nregressors = [\"t\"]\n",
            &["`[panels.gravity]` is read by no model", "panel = \"gravity\""],
        ),
        (
            "[panels.gravity]\nunit = \"bilateral\"\n[variables]\np = \"decomposition.kpww.position\"\nt = \"cov.tariff\"\n[[models]]\nname = \"g\"\npanel = \"gravity\"\ndependent = \"p\"\nregressors = [\"t\"]\n",
            &["`variables.p.from`: `decomposition.kpww.position` is not available at `panels.gravity.unit = \"bilateral\"`"],
        ),
        (
            "[panel]\nunit = \"country_sector\"\n[variables]\ne = \"decomposition.kpww.E\"\n[[models]]\nname = \"m\"\ndependent = \"e\"\nregressors = [\"e\"]\ncluster = \"importer\"\n",
            &["model `m` uses undefined variable `importer` as cluster variable"],
        ),
    ];
    for (rest, wants) in cases {
        let err = check_fails(rest);
        for want in *wants {
            assert!(
                err.contains(want),
                "{rest}\n--- wanted: {want}\n--- got:\n{err}"
            );
        }
        assert!(err.contains("bad.toml:"), "{err}");
    }
    // A `decomposition.level` that contradicts the unit.
    let dir = fresh_dir("units-level");
    let spec = format!("{BASE}level = \"country\"\n[panel]\nunit = \"country_sector\"\n[variables]\ne = \"decomposition.kpww.E\"\n");
    std::fs::write(dir.join("bad.toml"), spec).unwrap();
    let (code, _, err) = gvc(&dir, &["check", "bad.toml"]);
    assert_ne!(code, 0);
    assert!(
        err.contains(
            "`decomposition.level = \"country\"` contradicts `panel.unit = \"country_sector\"`"
        ),
        "{err}"
    );
    // A sector no table has: named at run time with the nearest codes.
    let dir = fresh_dir("units-sector-code");
    let spec = format!("{BASE}[panel]\nunit = \"country_sector\"\nsectors = [\"s9\"]\n[variables]\ne = \"decomposition.kpww.E\"\n");
    std::fs::write(dir.join("bad.toml"), spec).unwrap();
    let (code, _, err) = gvc(&dir, &["run", "bad.toml", "--quiet"]);
    assert_ne!(code, 0);
    assert!(
        err.contains(
            "panel [main]: the panel's `sectors`: sector `s9` is in none of the tables' 3 sectors"
        ),
        "{err}"
    );
}

#[test]
fn wiod_sectors_study_runs_on_real_data() {
    let Some(shared) = common::shared_dir("the WIOD sector study (needs shared/data)") else {
        return;
    };
    let data = shared.join("data");
    if !data.join("wiod2013/wiot_2009.csv").is_file() {
        eprintln!(
            "SKIPPED the WIOD sector study: {} has no wiod2013/",
            data.display()
        );
        return;
    }
    let dir = fresh_dir("wiod-sectors");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let gvc = |args: &[&str]| gvc_with_env(&dir, args, &[("GVC_DATA", data.as_path())]);
    let spec = root.join("specs/wiod_sectors.toml").display().to_string();
    let start = std::time::Instant::now();
    let (code, _, err) = gvc(&["run", &spec, "--cache", "cache", "--quiet"]);
    assert_eq!(code, 0, "{err}");
    println!(
        "wiod_sectors cold run: {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let out = dir.join("output/wiod_sectors");
    // 17 economies × 14 manufacturing sectors × 2007–2011.
    let p = read_parquet(&out.join("panel.parquet"));
    assert_eq!(p.height(), 17 * 14 * 5, "{p}");
    let sectors: std::collections::BTreeSet<String> = strs(&p, "sector").into_iter().collect();
    let want: std::collections::BTreeSet<String> = (3..=16).map(|i| format!("c{i}")).collect();
    assert_eq!(sectors, want);
    let results = read_json(&out.join("results.json"));
    let text = results.to_string();
    assert!(text.contains("sector_participation"), "{text}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    for want in [
        "GVC participation of manufacturing sectors",
        "Value-added gravity: PPML with pair and year fixed effects (WIOD)",
        "Exporter × importer FE",
        "Pseudo R²",
    ] {
        assert!(report.contains(want), "{want}\n{report}");
    }
    // The gravity panel of the same study: 17 exporters × 39 partners × 5 years, and its PPML
    // equal to pyfixest's fepois on it (tests/fixtures/hdfe_golden/make_wiod_sectors.py).
    let g = read_parquet(&out.join("panel_gravity.parquet"));
    assert_eq!(g.height(), 17 * 39 * 5, "{g}");
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            root.join("tests/fixtures/hdfe_golden/wiod_sectors_gravity_ppml.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut worst = (0.0f64, String::new());
    for col in golden["columns"].as_array().unwrap() {
        let step = col["step"].as_u64().unwrap();
        let est = results["estimates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["model"] == "gravity_ppml" && e["step"] == step)
            .unwrap_or_else(|| panic!("gravity_ppml step {step} in {text}"));
        assert_eq!(est["estimator"], "ppml");
        assert_eq!(est["n_obs"], col["n_obs"], "step {step}");
        for (name, b) in col["coefficients"].as_object().unwrap() {
            let (gb, gse) = find_coefficient(est, name).unwrap_or_else(|| panic!("{name}"));
            let se = col["std_errors"][name].as_f64().unwrap();
            for (what, got, want) in [("b", gb, b.as_f64().unwrap()), ("se", gse, se)] {
                let e = rel_diff(got, want);
                if e > worst.0 {
                    worst = (e, format!("step {step} {name} {what}: {got} vs {want}"));
                }
            }
        }
    }
    println!(
        "wiod_sectors_gravity_ppml.json: worst relative error {:.1e} ({})",
        worst.0, worst.1
    );
    assert!(worst.0 < 1e-8, "{}", worst.1);

    let spec = root.join("specs/wiod_gravity.toml").display().to_string();
    let start = std::time::Instant::now();
    let (code, _, err) = gvc(&["run", &spec, "--cache", "cache", "--quiet"]);
    assert_eq!(code, 0, "{err}");
    println!(
        "wiod_gravity run (tables cached): {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let p = read_parquet(&dir.join("output/wiod_gravity/panel.parquet"));
    // 17 exporters × 39 partners (the 40 WIOD economies but itself) × 5 years.
    assert_eq!(p.height(), 17 * 39 * 5, "{p}");
    let vax = nums(&p, "vax");
    assert!(vax.iter().flatten().all(|v| *v >= 0.0));
    assert!(vax.iter().filter(|v| v.is_some()).count() > 3000);
}

/// A sector panel and a gravity panel in one study (`[panels.gravity]`, issue #18): each model
/// reads its own panel, the gravity models are fitted by PPML and HDFE with the factors they
/// absorb, equal to `gvc estimate` on the published `panel_gravity.parquet`; both panels'
/// tables and models are in the report; changing a gravity model re-runs only its estimates.
#[test]
fn a_sector_panel_and_a_gravity_panel_in_one_study() {
    let dir = fresh_dir("units-two-panels");
    let models = |vce: &str| {
        format!(
            r#"
[panel]
unit = "country_sector"

[panels.gravity]
unit = "bilateral"

[variables]
gvcp = {{ from = "decomposition.kpww.participation", label = "GVC participation" }}
tariff = {{ from = "cov.tariff", label = "Tariff" }}
vax = {{ from = "decomposition.bm.VAX", label = "Value-added exports" }}
tariff_i = {{ from = "importer.cov.tariff", label = "Tariff (importer)" }}

[[models]]
name = "sector"
dependent = "gvcp"
regressors = ["tariff"]
absorb = ["exporter^sector", "year"]
cluster = "exporter"

[[models]]
name = "gravity_ppml"
panel = "gravity"
dependent = "vax"
regressors = ["tariff", "tariff_i"]
estimators = ["ppml"]
absorb = ["exporter^importer", "year"]
cluster = "exporter"

[[models]]
name = "gravity_hdfe"
panel = "gravity"
dependent = "vax"
regressors = ["tariff_i"]
absorb = ["exporter^year", "importer"]
vce = "{vce}"
"#
        )
    };
    let out = run(&dir, "two", &models("robust"));
    let sector = read_parquet(&out.join("panel.parquet"));
    let gravity = read_parquet(&out.join("panel_gravity.parquet"));
    // Each panel holds the variables its models read: 4 exporters × 3 sectors and 4 × 3 pairs,
    // 3 years each.
    assert_eq!(sector.height(), 4 * 3 * 3, "{sector}");
    assert_eq!(gravity.height(), 4 * 3 * 3, "{gravity}");
    assert!(sector.column("vax").is_err() && sector.column("gvcp").is_ok());
    assert!(gravity.column("gvcp").is_err() && gravity.column("tariff_i").is_ok());
    assert!(out.join("tables/descriptives_gravity.csv").is_file());

    let results = read_json(&out.join("results.json"));
    let column = |model: &str| -> serde_json::Value {
        results["estimates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["model"] == model)
            .unwrap_or_else(|| panic!("{model} in {results}"))
            .clone()
    };
    let panel_file = out.join("panel_gravity.parquet").display().to_string();
    for (model, estimator, absorb, vce, x) in [
        (
            "gravity_ppml",
            "ppml",
            "exporter^importer,year",
            &["--vce", "cluster", "--cluster", "exporter"][..],
            "tariff,tariff_i",
        ),
        (
            "gravity_hdfe",
            "hdfe",
            "exporter^year,importer",
            &["--vce", "robust"][..],
            "tariff_i",
        ),
    ] {
        let stage = column(model);
        assert_eq!(stage["estimator"], estimator, "{stage}");
        let mut args = vec![
            "estimate",
            &panel_file,
            "--panel",
            "unit",
            "--time",
            "year",
            "--dep",
            "vax",
            "--x",
            x,
            "--estimator",
            estimator,
            "--absorb",
            absorb,
            "--json",
        ];
        args.extend(vce);
        let (code, quick, err) = gvc(&dir, &args);
        assert_eq!(code, 0, "{err}");
        let quick: serde_json::Value = serde_json::from_str(&quick).unwrap();
        for name in x.split(',') {
            let (b, se) = find_coefficient(&quick, name).unwrap_or_else(|| panic!("{quick}"));
            let (sb, sse) = find_coefficient(&stage, name).unwrap_or_else(|| panic!("{stage}"));
            assert!(rel_diff(sb, b) < 1e-12, "{model} {name}: {sb} vs {b}");
            assert!(rel_diff(sse, se) < 1e-12, "{model} {name}: {sse} vs {se}");
        }
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    for want in [
        "Pseudo R²",
        "Exporter × importer FE",
        "Exporter × year FE",
        "Value-added exports (gravity panel)",
        "the gravity panel: one row per exporter × importer and year",
    ] {
        assert!(report.contains(want), "{want}\n{report}");
    }

    // A new VCE for one gravity model: its estimate and the report run again, nothing else.
    std::fs::write(
        dir.join("two.toml"),
        format!("{BASE}{}", models("conventional")),
    )
    .unwrap();
    let (code, _, err) = gvc(&dir, &["run", "two.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("ran 2 of"), "{err}");
    assert!(
        err.contains("estimate ×1") && err.contains("report ×1"),
        "{err}"
    );
}

/// `[panel] groups` (issue #18): a group of all of a country's sectors reproduces the country's
/// own measures, ratios included (they are recomputed from the summed components, not summed
/// or averaged), and a group of two sectors sums their additive terms.
#[test]
fn sector_groups_sum_components_and_recompute_ratios() {
    let dir = fresh_dir("units-groups");
    let base = BASE.replace(
        r#"measures = ["kpww", "bm", "wwz"]"#,
        r#"measures = ["kpww", "bm", "wwyz"]"#,
    );
    let vars = r#"
[variables]
E = "decomposition.kpww.E"
IV = "decomposition.kpww.IV"
FV = "decomposition.kpww.FV"
part = "decomposition.kpww.participation"
pos = "decomposition.kpww.position"
gvcr = "decomposition.bm.GVC_ratio"
ptf = "decomposition.wwyz.GVCPt_f"
wpos = "decomposition.wwyz.GVC_position"
"#;
    let write_run = |name: &str, rest: &str| -> PathBuf {
        std::fs::write(dir.join(format!("{name}.toml")), format!("{base}{rest}")).unwrap();
        let (code, _, err) = gvc(&dir, &["run", &format!("{name}.toml"), "--quiet"]);
        assert_eq!(code, 0, "{name}: {err}");
        dir.join("output").join(name)
    };
    let country = read_parquet(&write_run("country", vars).join("panel.parquet"));
    let sectors = read_parquet(
        &write_run(
            "sectors",
            &format!("[panel]\nunit = \"country_sector\"\n{vars}"),
        )
        .join("panel.parquet"),
    );
    let grouped = read_parquet(
        &write_run(
            "grouped",
            &format!(
                "[panel]\nunit = \"country_sector\"\ngroups = [\"all\", \"first_two\"]\n[sectors]\nall = [\"c1\", \"c2\", \"c3\"]\nfirst_two = [\"c1\", \"c2\"]\n{vars}"
            ),
        )
        .join("panel.parquet"),
    );
    // 4 exporters × 2 groups × 3 years.
    assert_eq!(grouped.height(), 24, "{grouped}");
    let row_of = |df: &DataFrame, sector: &str, col: &str| -> BTreeMap<(String, i32), f64> {
        strs(df, "exporter")
            .into_iter()
            .zip(strs(df, "sector"))
            .zip(years(df))
            .zip(nums(df, col))
            .filter(|(((_, s), _), _)| s == sector)
            .filter_map(|(((e, _), y), v)| Some(((e, y), v?)))
            .collect()
    };
    let mut worst: f64 = 0.0;
    for col in ["E", "IV", "FV", "part", "pos", "gvcr", "ptf", "wpos"] {
        let want = by_country(&country, col);
        let got = row_of(&grouped, "all", col);
        assert_eq!(got.len(), 12, "{col}");
        for (k, g) in &got {
            let r = rel_diff(*g, want[k]);
            worst = worst.max(r);
            assert!(
                r < 1e-9,
                "{col} {k:?}: group of all sectors {g} vs country {}",
                want[k]
            );
        }
    }
    println!("group of all sectors vs country measures: worst relative difference {worst:.2e}");
    let (e1, e2) = (row_of(&sectors, "c1", "E"), row_of(&sectors, "c2", "E"));
    let (iv1, iv2) = (row_of(&sectors, "c1", "IV"), row_of(&sectors, "c2", "IV"));
    let (fv1, fv2) = (row_of(&sectors, "c1", "FV"), row_of(&sectors, "c2", "FV"));
    let (ge, gp) = (
        row_of(&grouped, "first_two", "E"),
        row_of(&grouped, "first_two", "part"),
    );
    for (k, e) in &ge {
        assert!(rel_diff(*e, e1[k] + e2[k]) < 1e-12, "{k:?}");
        let part = (iv1[k] + iv2[k] + fv1[k] + fv2[k]) / (e1[k] + e2[k]);
        assert!(rel_diff(gp[k], part) < 1e-12, "{k:?}: {} vs {part}", gp[k]);
    }
    // A measure with no group version is refused at spec load, at its `from`.
    std::fs::write(
        dir.join("bad.toml"),
        format!("{base}[panel]\nunit = \"country_sector\"\ngroups = [\"all\"]\n[sectors]\nall = [\"c1\"]\n[variables]\nr = \"decomposition.kpww.nrca\"\n"),
    )
    .unwrap();
    let (code, _, err) = gvc(&dir, &["check", "bad.toml"]);
    assert_ne!(code, 0);
    assert!(
        err.contains(
            "`variables.r.from`: `kpww.nrca` has no value for a group of sectors (`panel.groups`)"
        ),
        "{err}"
    );
}

/// `vce = "dk"` with `dk_lags` in a study model (issue #18): the estimate stage gives what
/// `gvc estimate --vce dk:<lags>` gives on the published panel; `dk_lags` without `dk` is an
/// error at its key.
#[test]
fn driscoll_kraay_in_a_study_model() {
    let dir = fresh_dir("units-dk");
    let out = run(
        &dir,
        "dk",
        r#"
[variables]
gvcp = "decomposition.kpww.participation"
tariff = "cov.tariff"

[[models]]
name = "m"
dependent = "gvcp"
regressors = ["tariff"]
vce = "dk"
dk_lags = 1
"#,
    );
    let results = read_json(&out.join("results.json"));
    let (b, se) = find_coefficient(&results, "tariff").unwrap();
    assert!(results.to_string().contains("driscoll_kraay"), "{results}");
    let panel = out.join("panel.parquet").display().to_string();
    let (code, quick, err) = gvc(
        &dir,
        &[
            "estimate",
            &panel,
            "--panel",
            "country",
            "--time",
            "year",
            "--dep",
            "gvcp",
            "--x",
            "tariff",
            "--estimator",
            "fe",
            "--vce",
            "dk:1",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let quick: serde_json::Value = serde_json::from_str(&quick).unwrap();
    let (qb, qse) = find_coefficient(&quick, "tariff").unwrap();
    assert!(
        rel_diff(b, qb) < 1e-12 && rel_diff(se, qse) < 1e-12,
        "{se} vs {qse}"
    );
    let err = check_fails(
        "[variables]\ng = \"decomposition.kpww.participation\"\nt = \"cov.tariff\"\n[[models]]\nname = \"m\"\ndependent = \"g\"\nregressors = [\"t\"]\ndk_lags = 2\n",
    );
    assert!(
        err.contains("`models.m.dk_lags` is set but `vce` is not `dk`"),
        "{err}"
    );
}

/// Merges the sectors `members` of every country of a labelled-CSV table into one sector
/// `group`, by hand (rows and intermediate columns summed; final demand, VA and OUT carried):
/// the independent side of the `aggregate = "before"` check.
fn merge_labelled_csv(text: &str, members: &[&str], group: &str) -> String {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let merged_label = |label: &str| -> String {
        match label.split_once('_') {
            Some((c, s)) if members.contains(&s) => format!("{c}_{group}"),
            _ => label.to_string(),
        }
    };
    // Target column of every header column (first column: the row labels).
    let mut cols: Vec<String> = Vec::new();
    let mut col_of = Vec::new();
    for label in &header[1..] {
        let m = merged_label(label);
        let idx = cols.iter().position(|c| *c == m).unwrap_or_else(|| {
            cols.push(m.clone());
            cols.len() - 1
        });
        col_of.push(idx);
    }
    let mut rows: Vec<(String, Vec<f64>)> = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let m = merged_label(cells[0]);
        let pos = rows.iter().position(|(l, _)| *l == m).unwrap_or_else(|| {
            rows.push((m.clone(), vec![0.0; cols.len()]));
            rows.len() - 1
        });
        for (k, cell) in cells[1..].iter().enumerate() {
            let v: f64 = if cell.is_empty() {
                0.0
            } else {
                cell.parse().unwrap()
            };
            rows[pos].1[col_of[k]] += v;
        }
    }
    let mut out = format!("row,{}\n", cols.join(","));
    for (label, values) in rows {
        let cells: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
        out.push_str(&format!("{label},{}\n", cells.join(",")));
    }
    out
}

/// `aggregate = "before"` (issue #18 item 1): the study's merged-table measures equal those of
/// the same WIOD table with manufacturing merged by hand and read as one sector; they differ
/// from the `after` aggregation in every ratio that goes through the Leontief inverse
/// (aggregation bias) but not in gross exports, which are additive; a measure with no
/// after-group version (`kpww.nrca`) is allowed.
#[test]
fn sector_groups_merged_before_equal_a_table_merged_by_hand() {
    let Some(shared) = common::shared_dir("sector groups merged before (needs shared/data)") else {
        return;
    };
    let wiod = shared.join("data/wiod2013");
    if !wiod.join("wiot_2011.csv").is_file() {
        eprintln!("SKIPPED sector groups merged before: no {}", wiod.display());
        return;
    }
    let dir = fresh_dir("units-merge-before");
    let members: Vec<String> = (3..=16).map(|k| format!("c{k}")).collect();
    let member_refs: Vec<&str> = members.iter().map(String::as_str).collect();
    let text = std::fs::read_to_string(wiod.join("wiot_2011.csv")).unwrap();
    std::fs::create_dir_all(dir.join("merged")).unwrap();
    std::fs::write(
        dir.join("merged/wiot_2011.csv"),
        merge_labelled_csv(&text, &member_refs, "mfg"),
    )
    .unwrap();
    let members_toml = members
        .iter()
        .map(|m| format!("\"{m}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let spec = |path: &std::path::Path, panel: &str| {
        format!(
            r#"
[study]
title = "Merged before"
[sources.mrio]
format = "labelled-csv"
path = "{}"
files = "wiot_{{year}}.csv"
codes = "iso3"
[countries]
codes = "iso3"
sample = ["CHN", "IND", "POL", "DEU"]
[sectors]
mfg = [{members_toml}]
[sample]
countries = "sample"
years = [2011, 2011]
[decomposition]
measures = ["kpww", "bm"]
{panel}
[variables]
E = "decomposition.kpww.E"
part = "decomposition.kpww.participation"
pos = "decomposition.kpww.position"
gvcr = "decomposition.bm.GVC_ratio"
[[models]]
name = "m"
dependent = "part"
regressors = ["gvcr"]
estimators = ["pooled"]
"#,
            path.display()
        )
    };
    let run_spec = |name: &str, body: String| -> DataFrame {
        std::fs::write(dir.join(format!("{name}.toml")), body).unwrap();
        let (code, _, err) = gvc(&dir, &["run", &format!("{name}.toml"), "--quiet"]);
        assert_eq!(code, 0, "{name}: {err}");
        read_parquet(&dir.join("output").join(name).join("panel.parquet"))
    };
    let before = run_spec(
        "before",
        spec(
            &wiod,
            "[panel]\nunit = \"country_sector\"\ngroups = [\"mfg\"]\naggregate = \"before\"",
        ),
    );
    let by_hand = run_spec(
        "by_hand",
        // The merged table's sector is `mfg`; the set of its members gets another name.
        spec(
            &dir.join("merged"),
            "[panel]\nunit = \"country_sector\"\nsectors = [\"mfg\"]",
        )
        .replace("\nmfg = [", "\nmanufacturing = ["),
    );
    let after = run_spec(
        "after",
        spec(
            &wiod,
            "[panel]\nunit = \"country_sector\"\ngroups = [\"mfg\"]",
        ),
    );
    assert_eq!(before.height(), 4, "{before}");
    for (name, how) in [
        ("before", "sectors grouped as mfg (merged in the input-output tables before the decomposition)"),
        ("after", "sectors grouped as mfg (summed after the decomposition, ratios recomputed from the sums)"),
    ] {
        let report = std::fs::read_to_string(dir.join("output").join(name).join("report.md")).unwrap();
        assert!(report.contains(how), "{name}: {how}\n{report}");
    }
    assert_eq!(strs(&before, "sector"), vec!["mfg"; 4]);
    let mut worst = 0.0f64;
    let mut bias = 0.0f64;
    for col in ["E", "part", "pos", "gvcr"] {
        let (b, h, a) = (nums(&before, col), nums(&by_hand, col), nums(&after, col));
        for i in 0..4 {
            let (b, h, a) = (b[i].unwrap(), h[i].unwrap(), a[i].unwrap());
            let r = rel_diff(b, h);
            worst = worst.max(r);
            assert!(r < 1e-10, "{col} row {i}: merged by gvc {b} vs by hand {h}");
            if col == "E" {
                assert!(rel_diff(b, a) < 1e-10, "exports {b} vs after {a}");
            } else {
                bias = bias.max(rel_diff(b, a));
            }
        }
    }
    assert!(
        bias > 1e-4,
        "before and after agree to {bias:.1e}: no aggregation bias?"
    );
    println!(
        "merged before vs merged by hand: worst relative difference {worst:.2e}; largest before/after gap in a ratio (aggregation bias) {bias:.2e}"
    );
    // nrca exists on the merged table.
    let mut with_nrca = spec(
        &wiod,
        "[panel]\nunit = \"country_sector\"\ngroups = [\"mfg\"]\naggregate = \"before\"",
    );
    with_nrca = with_nrca.replace(
        "[[models]]",
        "nrca = \"decomposition.kpww.nrca\"\n[[models]]",
    );
    std::fs::write(dir.join("nrca.toml"), with_nrca).unwrap();
    let (code, _, err) = gvc(&dir, &["check", "nrca.toml"]);
    assert_eq!(code, 0, "{err}");
}

/// `aggregate` errors at spec load: without `groups`, an unknown value, overlapping groups
/// when merging before the decomposition; and a group listed twice.
#[test]
fn aggregate_errors_name_the_key() {
    let cases = [
        (
            "[panel]\nunit = \"country_sector\"\naggregate = \"before\"\n",
            "`panel.aggregate` is set but `panel.groups` is not",
        ),
        (
            "[panel]\nunit = \"country_sector\"\ngroups = [\"a\"]\naggregate = \"prior\"\n[sectors]\na = [\"c1\"]\n",
            "`panel.aggregate` cannot be `prior`",
        ),
        (
            "[panel]\nunit = \"country_sector\"\ngroups = [\"a\", \"b\"]\naggregate = \"before\"\n[sectors]\na = [\"c1\", \"c2\"]\nb = [\"c2\", \"c3\"]\n",
            "`panel.groups`: sector `c2` is in both `a` and `b`",
        ),
        (
            "[panel]\nunit = \"country_sector\"\ngroups = [\"a\", \"a\"]\n[sectors]\na = [\"c1\"]\n",
            "`panel.groups` lists `a` twice",
        ),
    ];
    for (rest, want) in cases {
        let err = check_fails(&format!(
            "{rest}[variables]\np = \"decomposition.kpww.participation\"\n"
        ));
        assert!(err.contains(want), "{want}\n{err}");
    }
}
