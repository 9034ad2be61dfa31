//! Wild cluster bootstrap (`gvc estimate --boot`) against tests/fixtures/wild_bootstrap
//! (make_golden.py there): with Rademacher weights and G ≤ 12 clusters the full enumeration
//! is exact — t, p and the interval by test inversion must equal a brute-force NumPy
//! computation (refit every one of the 2^G bootstrap samples) to 1e-10 (p exactly), and
//! wildboottest's deterministic enumeration up to the two draws it counts as ties; with
//! random weights the p-value must agree with wildboottest (B = 99999) to simulation
//! tolerance. Prints the worst error per file.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::{fresh_dir, gvc, rel_diff};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wild_bootstrap")
}

/// One `gvc estimate --boot … --json` call: the regression and the bootstrap's settings.
struct BootCall<'a> {
    data: PathBuf,
    panel: &'a str,
    time: &'a str,
    dep: &'a str,
    x: String,
    estimator: &'a str,
    cluster: &'a str,
    weights: &'a str,
    param: &'a str,
}

impl BootCall<'_> {
    /// The whole JSON output with `draws` draws from `seed`.
    fn run(&self, draws: usize, seed: u64) -> Value {
        let dir = fresh_dir("golden-boot");
        let (draws, seed) = (draws.to_string(), seed.to_string());
        let args = [
            "estimate",
            self.data.to_str().expect("utf-8"),
            "--panel",
            self.panel,
            "--time",
            self.time,
            "--dep",
            self.dep,
            "--x",
            &self.x,
            "--estimator",
            self.estimator,
            "--vce",
            "cluster",
            "--cluster",
            self.cluster,
            "--boot",
            &draws,
            "--boot-weights",
            self.weights,
            "--boot-seed",
            &seed,
            "--boot-param",
            self.param,
            "--json",
        ];
        let (code, out, err) = gvc(&dir, &args);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).expect("json")
    }
}

/// The comma-separated regressors of a case's `x` array.
fn x_list(case: &Value) -> String {
    case["x"]
        .as_array()
        .expect("x")
        .iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

/// The bootstrap block of a fixture case run with `draws` draws from `seed`.
fn run(case: &Value, draws: usize, seed: u64) -> Value {
    let (panel, time) = if case["data"] == "wage_panel_occ.csv" {
        ("nr", "year")
    } else {
        ("fcode", "year")
    };
    let call = BootCall {
        data: fixtures().join(case["data"].as_str().expect("data")),
        panel,
        time,
        dep: case["dep"].as_str().expect("dep"),
        x: x_list(case),
        estimator: case["estimator"].as_str().expect("estimator"),
        cluster: case["cluster"].as_str().expect("cluster"),
        weights: case["weights"].as_str().expect("weights"),
        param: case["param"].as_str().expect("param"),
    };
    call.run(draws, seed)["wild_bootstrap"].clone()
}

#[test]
fn wild_bootstrap_matches_enumeration_and_wildboottest() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 6);
    for path in files {
        let case: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let file = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let num = |k: &str| case[k].as_f64().unwrap_or_else(|| panic!("{file}: {k}"));
        if case["full_enumeration"] == true {
            let b = run(&case, 999, 1);
            assert_eq!(b["full_enumeration"], true, "{file}");
            assert_eq!(b["draws"].as_u64(), case["draws"].as_u64(), "{file}");
            let g = |k: &str| b[k].as_f64().unwrap_or_else(|| panic!("{file}: gvc {k}"));
            assert_eq!(g("p_value"), num("p_value"), "{file}: p");
            let mut worst = 0.0f64;
            for k in ["t_stat", "ci_low", "ci_high"] {
                let d = rel_diff(g(k), num(k));
                worst = worst.max(d);
                assert!(
                    d <= 1e-10 * 100.0,
                    "{file}: {k}: {} vs {} ({d:.2e})",
                    g(k),
                    num(k)
                );
            }
            let t = rel_diff(g("t_stat"), num("t_stat"));
            assert!(t <= 1e-10, "{file}: t {t:.2e}");
            // wildboottest counts the all-ones draw and its mirror when its rounding puts
            // |t*| a hair above |t| (boottest and gvc never count these exact ties).
            let extra = (num("wildboottest_p") - num("p_value")) * num("draws");
            assert!(
                [0.0, 1.0, 2.0].iter().any(|e| (extra - e).abs() < 1e-9),
                "{file}: wildboottest {} vs {}",
                num("wildboottest_p"),
                num("p_value")
            );
            println!(
                "{file:<44} exact: p = {} (= NumPy), worst rel error t/CI {worst:.2e}",
                g("p_value")
            );
        } else {
            let draws = 9999usize;
            let b = run(&case, draws, 42);
            assert_eq!(b["full_enumeration"], false, "{file}");
            let p = b["p_value"].as_f64().expect("p");
            let pr = num("wildboottest_p");
            let bref = num("reference_draws");
            let pm = 0.5 * (p + pr);
            let sd = (pm * (1.0 - pm) * (1.0 / draws as f64 + 1.0 / bref)).sqrt();
            let tol = 4.5 * sd.max(1.0 / draws as f64);
            assert!(
                (p - pr).abs() <= tol,
                "{file}: gvc p {p} vs wildboottest {pr} (tolerance {tol:.4})"
            );
            let lo = b["ci_low"].as_f64().expect("lo");
            let hi = b["ci_high"].as_f64().expect("hi");
            assert!(lo < hi, "{file}");
            println!(
                "{file:<44} simulated: p = {p:.5} vs wildboottest {pr:.5} (|diff| {:.5} ≤ {tol:.5})",
                (p - pr).abs()
            );
        }
    }
}

#[test]
fn boot_flag_errors() {
    let dir = fresh_dir("boot-flags");
    let data = fixtures().join("wage_panel_occ.csv");
    let base = |extra: &[&str]| {
        let mut a = vec![
            "estimate",
            data.to_str().expect("utf-8"),
            "--panel",
            "nr",
            "--time",
            "year",
            "--dep",
            "lwage",
            "--x",
            "educ,union",
            "--estimator",
            "pooled",
        ];
        a.extend_from_slice(extra);
        gvc(&dir, &a)
    };
    let cases: [(&[&str], &str); 4] = [
        (&["--boot", "99"], "--vce"),
        (
            &[
                "--boot",
                "99",
                "--vce",
                "cluster",
                "--boot-weights",
                "mammen",
            ],
            "rademacher, webb",
        ),
        (
            &["--boot", "99", "--vce", "cluster", "--boot-param", "nosuch"],
            "educ, union",
        ),
        (&["--boot-param", "educ"], "--boot N"),
    ];
    for (extra, want) in cases {
        let (code, _, err) = base(extra);
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(err.contains(want), "{extra:?}: {err}");
    }
}

/// Half a unit in the last printed digit of a published number ("0.492" → 0.0005).
fn printed_rounding(printed: &str) -> f64 {
    let decimals = printed.split_once('.').map_or(0, |(_, frac)| frac.len());
    0.5 * 10f64.powi(-(decimals as i32))
}

/// The published examples of the packages gvc's bootstrap follows (fwildclusterboot's
/// README, WildBootTests.jl's OLS example — Roodman's boottest in Julia): the t statistic
/// and estimate, which involve no simulation, to the printed digits; the p-value and the
/// interval bounds, averaged over gvc runs with four seeds, to the printed digits plus 4.5
/// (p: binomial) or 5 (bounds: their spread across gvc's seeds, scaled to the published
/// number of draws) standard errors of the difference.
#[test]
fn published_examples_match_to_simulation_tolerance() {
    const DRAWS: usize = 9999;
    const SEEDS: [u64; 4] = [11, 12, 13, 14];
    let dir_fixtures = fixtures().join("published");
    let text = std::fs::read_to_string(dir_fixtures.join("published.json")).expect("read");
    let doc: Value = serde_json::from_str(&text).expect("json");
    for case in doc["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let shift = case["shift"].as_f64().expect("shift");
        let b_pub = case["published_draws"].as_f64().expect("published_draws");
        let call = BootCall {
            data: dir_fixtures.join(case["data"].as_str().expect("data")),
            panel: case["panel"].as_str().expect("panel"),
            time: case["time"].as_str().expect("time"),
            dep: case["dep"].as_str().expect("dep"),
            x: x_list(case),
            estimator: "pooled",
            cluster: case["cluster"].as_str().expect("cluster"),
            weights: "rademacher",
            param: case["param"].as_str().expect("param"),
        };
        let mut runs = Vec::new();
        let mut estimate = f64::NAN;
        for seed in SEEDS {
            let json = call.run(DRAWS, seed);
            assert_eq!(json["n_obs"], case["n_obs"], "{name}: N");
            let boot = &json["wild_bootstrap"];
            assert_eq!(boot["n_clusters"], case["n_clusters"], "{name}: G");
            assert_eq!(boot["full_enumeration"], false, "{name}");
            estimate = json["coefficients"]
                .as_array()
                .expect("coefficients")
                .iter()
                .find(|c| c["name"] == case["param"])
                .and_then(|c| c["estimate"].as_f64())
                .expect("estimate")
                + shift;
            runs.push(boot.clone());
        }
        let mean_sd = |k: &str, add: f64| {
            let v: Vec<f64> = runs
                .iter()
                .map(|r| r[k].as_f64().expect("number") + add)
                .collect();
            let m = v.iter().sum::<f64>() / v.len() as f64;
            let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
            (m, var.sqrt())
        };
        let mut worst = 0.0f64;
        for published in case["published"].as_array().expect("published") {
            let fields = published.as_object().expect("object");
            for (key, printed) in fields {
                let printed = printed.as_str().expect("printed as a string");
                let want: f64 = printed.parse().expect("number");
                let round = printed_rounding(printed);
                let (got, tol) = match key.as_str() {
                    "estimate" => (estimate, round),
                    "t_stat" => (runs[0]["t_stat"].as_f64().expect("t"), round),
                    "p_value" => {
                        let (p, _) = mean_sd("p_value", 0.0);
                        let pp = want.max(1.0 / b_pub);
                        let runs_draws = (DRAWS * SEEDS.len()) as f64;
                        let sd = (pp * (1.0 - pp) * (1.0 / b_pub + 1.0 / runs_draws)).sqrt();
                        (p, round + 4.5 * sd)
                    }
                    "ci_low" | "ci_high" => {
                        let (m, sd) = mean_sd(key, shift);
                        assert!(sd > 0.0, "{name}: {key} identical across seeds");
                        let scale = (DRAWS as f64 / b_pub + 1.0 / SEEDS.len() as f64).sqrt();
                        (m, round + 5.0 * sd * scale)
                    }
                    other => panic!("{name}: unknown published field {other}"),
                };
                let diff = (got - want).abs();
                worst = worst.max(diff / tol);
                assert!(
                    diff <= tol,
                    "{name}: {key}: gvc {got:.6} vs published {printed} (|diff| {diff:.2e} > tolerance {tol:.2e})"
                );
                println!(
                    "{name:<54} {key:<8} gvc {got:>10.6} published {printed:<11} |diff| {diff:.2e} ≤ {tol:.2e}"
                );
            }
        }
        println!("{name}: worst |diff| / tolerance {worst:.2}");
    }
}
