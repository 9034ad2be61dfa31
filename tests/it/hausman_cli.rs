//! `gvc estimate --hausman[=sigmamore|sigmaless]` against the three Hausman variants of the
//! shared golden files (Stata `hausman fe re [, sigmamore | sigmaless]`), at 1e-9 relative.

use serde_json::Value;

use crate::common::{fresh_dir, gvc, read_json, rel_diff, shared_dir};

#[test]
fn hausman_variants_match_the_golden_files() {
    let Some(shared) = shared_dir("hausman variants") else {
        return;
    };
    let g = shared.join("golden/econometrics");
    let dir = fresh_dir("hausman-cli");
    let cases = [
        (
            "grunfeld10.csv",
            "firm",
            "invest",
            "value,capital",
            "grunfeld10_hausman.json",
        ),
        (
            "jobtraining_hrsemp.csv",
            "fcode",
            "hrsemp",
            "d88,d89,grant,grant_1,lemploy",
            "jobtraining_hausman.json",
        ),
    ];
    for (csv, panel, dep, x, golden) in cases {
        let want = read_json(&g.join(golden));
        let mut worst = 0.0f64;
        for variant in ["default", "sigmamore", "sigmaless"] {
            let flag = if variant == "default" {
                "--hausman".to_string()
            } else {
                format!("--hausman={variant}")
            };
            let data = g.join(csv);
            let args = [
                "estimate",
                data.to_str().expect("utf-8"),
                "--panel",
                panel,
                "--time",
                "year",
                "--dep",
                dep,
                "--x",
                x,
                flag.as_str(),
                "--json",
            ];
            let (code, out, err) = gvc(&dir, &args);
            assert_eq!(code, 0, "{golden} {variant}: {err}");
            let got: Value = serde_json::from_str(&out).expect("json");
            let h = &got["tests"]["hausman"];
            assert_eq!(h["variant"], variant, "{golden}");
            let chi2 = h["chi2"].as_f64().expect("chi2");
            let d = rel_diff(chi2, want[variant]["chi2"].as_f64().expect("golden chi2"));
            assert!(d <= 1e-9, "{golden} {variant}: chi2 {chi2} ({d:.2e})");
            worst = worst.max(d);
            if let (Some(p), Some(wp)) = (h["p_value"].as_f64(), want[variant]["p"].as_f64()) {
                let d = rel_diff(p, wp);
                assert!(d <= 1e-9, "{golden} {variant}: p {p} ({d:.2e})");
                worst = worst.max(d);
            }
        }
        println!("{golden:<28} hausman default/sigmamore/sigmaless: worst rel error {worst:.2e}");
    }
    let data = g.join("grunfeld10.csv");
    let (code, _, err) = gvc(
        &dir,
        &[
            "estimate",
            data.to_str().expect("utf-8"),
            "--panel",
            "firm",
            "--time",
            "year",
            "--dep",
            "invest",
            "--x",
            "value",
            "--hausman=sigmaboth",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--hausman=sigmamore"), "{err}");
}
