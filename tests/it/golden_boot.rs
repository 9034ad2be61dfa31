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

fn run(case: &Value, draws: usize, seed: u64) -> Value {
    let dir = fresh_dir("golden-boot");
    let data = fixtures().join(case["data"].as_str().expect("data"));
    let (panel, time) = if case["data"] == "wage_panel_occ.csv" {
        ("nr", "year")
    } else {
        ("fcode", "year")
    };
    let xs: Vec<&str> = case["x"]
        .as_array()
        .expect("x")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let x = xs.join(",");
    let draws = draws.to_string();
    let seed = seed.to_string();
    let args = vec![
        "estimate",
        data.to_str().expect("utf-8"),
        "--panel",
        panel,
        "--time",
        time,
        "--dep",
        case["dep"].as_str().expect("dep"),
        "--x",
        &x,
        "--estimator",
        case["estimator"].as_str().expect("estimator"),
        "--vce",
        "cluster",
        "--cluster",
        case["cluster"].as_str().expect("cluster"),
        "--boot",
        &draws,
        "--boot-weights",
        case["weights"].as_str().expect("weights"),
        "--boot-seed",
        &seed,
        "--boot-param",
        case["param"].as_str().expect("param"),
        "--json",
    ];
    let (code, out, err) = gvc(&dir, &args);
    assert_eq!(code, 0, "{err}");
    let json: Value = serde_json::from_str(&out).expect("json");
    json["wild_bootstrap"].clone()
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
