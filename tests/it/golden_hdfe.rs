//! Golden tests of absorbed fixed effects (issue #18): `gvc estimate --absorb … --estimator
//! hdfe|ppml --json` against pyfixest 0.60 on real data (tests/fixtures/hdfe_golden: the
//! NLSY wage panel and the jobtraining firms shipped by linearmodels; `make.py` there generated every number and
//! cross-checked pyfixest against an exact dummy-variable solution). Every coefficient and
//! standard error (and t, where the golden records it) of the conventional (`iid`), robust
//! (`hetero`) and clustered (`CRV1`) VCEs is compared at 1e-8 relative, as are the PPML deviance
//! and the R²s where recorded, and N after singleton and separation drops exactly. The worst
//! relative error per file is printed. The WIOD gravity goldens use [`check_golden`] from
//! golden_gravity.rs, which derives their data from the shared folder at test time.
//!
//! One documented convention differs: when the first two absorbed factors form c > 1
//! connected components (e.g. exporter^year and importer^year, which meet only within a
//! year), gvc counts c redundant levels as reghdfe does, pyfixest 1. Every small-sample
//! factor has N − K in its denominator, so pyfixest's standard errors are converted with
//! √((N − K_pyfixest)/(N − K_gvc)) before the comparison, and K_gvc must equal K_pyfixest − (c − 1)
//! exactly (docs/estimators.md, hdfe).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{fresh_dir, gvc};

const REL_TOL: f64 = 1e-8;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hdfe_golden")
}

pub(crate) fn load(name: &str) -> Value {
    let path = fixtures().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// (panel, time) of each golden dataset for `--panel` / `--time`.
fn panel_time(dataset: &str) -> (&'static str, &'static str) {
    match dataset {
        "wage_panel.csv" => ("nr", "year"),
        "jobtraining.csv" => ("fcode", "year"),
        other => panic!("no panel/time for {other}"),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
}

/// The data of a golden file: the CSV and its `--panel` / `--time` variables.
pub(crate) struct GoldenData {
    pub path: PathBuf,
    pub panel: String,
    pub time: String,
}

/// Run one golden file through the CLI for each VCE; returns the worst relative error.
fn check_file(name: &str) -> f64 {
    let g = load(name);
    let dataset = g["dataset"].as_str().expect("dataset");
    let (panel, time) = panel_time(dataset);
    let data = GoldenData {
        path: fixtures().join(dataset),
        panel: panel.to_string(),
        time: time.to_string(),
    };
    check_golden(name, &g, &data)
}

/// The relative errors of one golden file: the worst, what it was, and every value over
/// [`REL_TOL`].
#[derive(Default)]
struct Errors {
    worst: f64,
    worst_what: String,
    failures: Vec<String>,
}

impl Errors {
    fn add(&mut self, what: String, ours: f64, gold: f64) {
        let r = rel(ours, gold);
        if r > self.worst || r.is_nan() {
            self.worst = r;
            self.worst_what = what.clone();
        }
        if r.is_nan() || r > REL_TOL {
            self.failures
                .push(format!("{what}: ours {ours:e} vs {gold:e} (rel {r:.2e})"));
        }
    }
}

/// Run golden `g` (named `name`) on `data` through the CLI for each VCE: every coefficient
/// and standard error, N, G, the drops the golden records (singletons, separation), the PPML
/// deviance and the R²s. Prints the worst relative error, N and the iterations; returns the
/// worst error.
pub(crate) fn check_golden(name: &str, g: &Value, data: &GoldenData) -> f64 {
    let absorb = strings(&g["absorb"]).join(",");
    let x = strings(&g["regressors"]).join(",");
    let names = strings(&g["coef_names"]);
    let cluster = g["cluster"].as_str().expect("cluster");
    let dir = fresh_dir(&format!("golden_hdfe_{name}"));
    let mut errors = Errors::default();
    let mut iterations = String::new();
    for vce in ["conventional", "robust", "cluster"] {
        let gold = &g["vce"][vce];
        let mut args = vec![
            "estimate",
            data.path.to_str().expect("utf-8 path"),
            "--panel",
            &data.panel,
            "--time",
            &data.time,
            "--dep",
            g["dependent"].as_str().expect("dependent"),
            "--x",
            &x,
            "--absorb",
            &absorb,
            "--estimator",
            g["estimator"].as_str().expect("estimator"),
            "--vce",
            vce,
            "--json",
        ];
        if vce == "cluster" {
            args.extend(["--cluster", cluster]);
        }
        let (code, out, err) = gvc(&dir, &args);
        assert_eq!(code, 0, "{name} {vce}: {err}");
        let ours: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            ours["n_obs"].as_u64(),
            gold["N"].as_u64(),
            "{name} {vce}: N after singletons/separation"
        );
        let absorbed = &ours["absorbed"];
        for (key, gold_key) in [
            ("singletons_dropped", "n_singletons"),
            ("separation_dropped", "n_separation"),
        ] {
            if let Some(n) = g[gold_key].as_u64() {
                assert_eq!(absorbed[key].as_u64(), Some(n), "{name} {vce}: {key}");
            }
        }
        if vce == "cluster" {
            assert_eq!(
                ours["n_clusters"].as_u64(),
                gold["n_clusters"].as_u64(),
                "{name}: G"
            );
        }
        // K of the small-sample factor: slopes plus absorbed coefficients (nested factors
        // counted once for clusters).
        let dof = &absorbed["dof"];
        let k = names.len() as f64;
        let k_ours = k + dof[if vce == "cluster" {
            "df_a_cluster"
        } else {
            "df_a"
        }]
        .as_f64()
        .expect("df_a");
        let k_gold = gold["df_k"].as_f64().expect("df_k");
        let mobility = dof["factors"][1]["redundant"].as_f64().unwrap_or(0.0);
        assert_eq!(
            k_ours,
            k_gold - (mobility - 1.0).max(0.0),
            "{name} {vce}: K differs by more than the mobility-group convention"
        );
        let n_obs = gold["N"].as_f64().expect("N");
        let se_scale = ((n_obs - k_gold) / (n_obs - k_ours)).sqrt();
        let coefs = ours["coefficients"].as_array().expect("coefficients");
        for (j, cname) in names.iter().enumerate() {
            let row = coefs
                .iter()
                .find(|c| c["name"].as_str() == Some(cname))
                .unwrap_or_else(|| panic!("{name}: no coefficient {cname}"));
            for (what, ours_v, gold_v, scale) in [
                ("coef", &row["estimate"], &gold["coef"][j], 1.0),
                ("se", &row["std_error"], &gold["se"][j], se_scale),
                ("t", &row["statistic"], &gold["t"][j], 1.0 / se_scale),
            ] {
                // t is recorded by the newer goldens only.
                if let Some(gold_v) = gold_v.as_f64() {
                    errors.add(
                        format!("{vce} {what} {cname}"),
                        ours_v.as_f64().unwrap_or(f64::NAN),
                        gold_v * scale,
                    );
                }
            }
        }
        // Fit statistics the golden records (the same in every VCE's run).
        for (key, ours_v) in [
            ("deviance", &absorbed["ppml"]["deviance"]),
            ("r2", &ours["fit"]["r2"]),
            ("r2_within", &ours["fit"]["r2_within"]),
        ] {
            if let Some(gold_v) = g[key].as_f64() {
                errors.add(
                    format!("{vce} {key}"),
                    ours_v.as_f64().unwrap_or(f64::NAN),
                    gold_v,
                );
            }
        }
        iterations = match absorbed["ppml"]["iterations"].as_u64() {
            Some(irls) => format!("IRLS iterations {irls}, "),
            None => String::new(),
        } + &format!("demeaning iterations {}", absorbed["demean_iterations"]);
    }
    println!(
        "golden_hdfe {name}: worst relative error {:.2e} ({}); N {}, {iterations}",
        errors.worst, errors.worst_what, g["N"]
    );
    assert!(
        errors.failures.is_empty(),
        "{name}:\n{}",
        errors.failures.join("\n")
    );
    errors.worst
}

#[test]
fn hdfe_two_factors_wage_panel() {
    check_file("wage_2fe.json");
}

#[test]
fn hdfe_three_factors_with_interaction_wage_panel() {
    check_file("wage_3fe.json");
}

#[test]
fn ppml_with_separation_jobtraining() {
    check_file("jobtraining_ppml.json");
}

/// The JSON reports what the absorbed effects did: singletons, separation, df per factor.
#[test]
fn absorbed_block_reports_drops_and_dof() {
    let g = load("jobtraining_ppml.json");
    let dir = fresh_dir("golden_hdfe_block");
    let data = fixtures().join("jobtraining.csv");
    let (code, out, err) = gvc(
        &dir,
        &[
            "estimate",
            data.to_str().expect("utf-8"),
            "--panel",
            "fcode",
            "--time",
            "year",
            "--dep",
            "hrsemp",
            "--x",
            "grant,grant_1,lemploy",
            "--absorb",
            "fcode,year",
            "--estimator",
            "ppml",
            "--vce",
            "cluster",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let a = &v["absorbed"];
    let dropped = a["singletons_dropped"].as_u64().expect("singletons")
        + a["separation_dropped"].as_u64().expect("separation");
    let gold_dropped = g["n_dropped"].as_u64().expect("n_dropped");
    assert_eq!(dropped, gold_dropped, "{a}");
    assert!(a["separation_dropped"].as_u64() > Some(0), "{a}");
    assert_eq!(a["dof"]["factors"][0]["name"], "fcode");
    assert_eq!(a["dof"]["factors"][0]["nested_in_cluster"], true);
    assert!(a["ppml"]["deviance"].as_f64().is_some());
    let dev = g["deviance"].as_f64().expect("deviance");
    let ours = a["ppml"]["deviance"].as_f64().expect("deviance");
    assert!(rel(ours, dev) < REL_TOL, "deviance {ours} vs {dev}");
}

/// Bad flags name the flag and the fix (exit 2).
#[test]
fn bad_absorb_flags_are_usage_errors() {
    let dir = fresh_dir("golden_hdfe_bad");
    let data = fixtures().join("wage_panel.csv");
    let base = [
        "estimate",
        data.to_str().expect("utf-8"),
        "--panel",
        "nr",
        "--time",
        "year",
        "--dep",
        "lwage",
        "--x",
        "hours",
    ];
    for (extra, needle) in [
        (vec!["--absorb", "nr,"], "--absorb"),
        (vec!["--absorb", "nr^"], "--absorb"),
        (vec!["--absorb", "nosuch"], "nosuch"),
        (
            vec!["--absorb", "nr", "--estimator", "fe"],
            "--estimator hdfe",
        ),
        (vec!["--absorb", "nr", "--hausman"], "--hausman"),
        (vec!["--keep-singletons"], "--keep-singletons"),
        (vec!["--absorb", "nr,nr"], "twice"),
    ] {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(extra.iter().copied());
        let (code, _, err) = gvc(&dir, &args);
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
    }
}
