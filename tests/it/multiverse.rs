//! The multiverse of `specs/demo_multiverse.toml` (issue #16): 20 universes drawn at random
//! (seeded) equal standalone runs of the spec without its `[multiverse]` and with the
//! universe's `--set` overrides, to 1e-10; the estimates files have a row per universe, model
//! and coefficient with every axis as a column; a second cold run in another cache writes the
//! same bytes; changing only the curve's style re-runs only the report. The joint test runs
//! with 4 draws here (the shipped spec's 500 would only make the test slower).

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{assert_same_tree, fresh_dir, gvc, outcomes_in, read_json, read_parquet, rel_diff};

fn specs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs")
}

/// The shipped multiverse with 4 null draws, as a spec in `dir` beside the specs it extends.
fn test_spec(dir: &Path) -> PathBuf {
    let p = dir.join("mv.toml");
    let text = format!(
        "extends = {:?}\n[multiverse]\ninference = {{ draws = 4, seed = 2020 }}\n",
        specs_dir()
            .join("demo_multiverse.toml")
            .display()
            .to_string()
    );
    std::fs::write(&p, text).unwrap();
    p
}

/// `specs/demo_multiverse.toml` without its `[multiverse]` block: the standalone base.
fn standalone_base(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(specs_dir().join("demo_multiverse.toml")).unwrap();
    let cut = text
        .find("\n[multiverse]")
        .expect("the spec has a [multiverse] block");
    let text = text[..cut].replace(
        "extends = \"demo.toml\"",
        &format!(
            "extends = {:?}",
            specs_dir().join("demo.toml").display().to_string()
        ),
    );
    let p = dir.join("universe.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// (universe, model, variable) → (estimate, std_error, p_value, ci_low, ci_high) of the
/// multiverse's estimates file.
type Rows = BTreeMap<(String, String, String), [f64; 5]>;

fn estimates(out: &Path) -> Rows {
    let df = read_parquet(&out.join("multiverse/estimates.parquet"));
    let text = |c: &str| -> Vec<String> {
        df.column(c)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect()
    };
    let num = |c: &str| -> Vec<f64> {
        df.column(c)
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect()
    };
    let (u, m, v) = (text("universe"), text("model"), text("variable"));
    let cols: Vec<Vec<f64>> = ["estimate", "std_error", "p_value", "ci_low", "ci_high"]
        .iter()
        .map(|c| num(c))
        .collect();
    let mut out = BTreeMap::new();
    for i in 0..u.len() {
        let vals = [cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i]];
        out.insert((u[i].clone(), m[i].clone(), v[i].clone()), vals);
    }
    out
}

#[test]
fn demo_multiverse_equals_standalone_universes_and_reruns_only_the_report() {
    let dir = fresh_dir("multiverse");
    let spec_path = test_spec(&dir);
    let (cache, out) = (dir.join("cache"), dir.join("out"));

    let (code, stdout, stderr) = gvc(&dir, &["check", &s(&spec_path), "--cache", &s(&cache)]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("multiverse: 1710 universes (1728 combinations of 6 axes, 18 excluded)"),
        "{stdout}"
    );

    let (code, stdout, stderr) = gvc(
        &dir,
        &[
            "run",
            &s(&spec_path),
            "--cache",
            &s(&cache),
            "--output",
            &s(&out),
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let rows = estimates(&out);
    let spec = gvc::spec::load_spec(&spec_path, &[]).expect("spec loads");
    let mv = spec.multiverse.as_ref().expect("a multiverse");
    let universes = mv.universes();
    assert_eq!(universes.len(), 1710);
    // Every universe has both models' key regressors; the CSV holds the same rows.
    for u in &universes {
        for m in ["participation", "position"] {
            for v in ["tariff", "sofdi"] {
                assert!(
                    rows.contains_key(&(mv.name(u), m.into(), v.into())),
                    "{}",
                    mv.name(u)
                );
            }
        }
    }
    let csv = std::fs::read_to_string(out.join("multiverse/estimates.csv")).unwrap();
    assert_eq!(csv.lines().count(), rows.len() + 1);
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "universe,controls,decomposition.iv,estimators,exclude_years,sample.countries,vce,model,variable,estimate,std_error,p_value,ci_low,ci_high,n_obs,stars"
    );
    for f in [
        "figures/spec_curve_participation_tariff.svg",
        "figures/spec_curve_position_sofdi.svg",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("## The multiverse"), "{report}");

    // 20 universes drawn with a seeded generator, each run alone.
    let base = standalone_base(&dir);
    let mut state: u64 = 16;
    let mut picked = Vec::new();
    while picked.len() < 20 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let i = (state >> 33) as usize % universes.len();
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    for &i in &picked {
        let u = &universes[i];
        let name = mv.name(u);
        let sets = mv.set_args(&spec, u);
        let alone = dir.join(format!("alone{i}"));
        let mut args = vec![
            "run".to_string(),
            s(&base),
            "--cache".into(),
            s(&cache),
            "--output".into(),
            s(&alone),
            "--set".into(),
            "report.formats=[\"markdown\"]".into(),
            "--set".into(),
            "report.figures=false".into(),
        ];
        for set in &sets {
            args.push("--set".into());
            args.push(set.clone());
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = gvc(&dir, &refs);
        assert_eq!(code, 0, "{name}: {sets:?}\n{stdout}{stderr}");
        let results = read_json(&alone.join("results.json"));
        let mut compared = 0;
        for e in results["estimates"].as_array().unwrap() {
            if !e["variant"].is_null() {
                continue;
            }
            let model = e["model"].as_str().unwrap().to_string();
            for c in e["coefficients"].as_array().unwrap() {
                let var = c["name"].as_str().unwrap().to_string();
                let got = rows
                    .get(&(name.clone(), model.clone(), var.clone()))
                    .unwrap_or_else(|| panic!("{name} {model} {var} not in the multiverse"));
                for (k, field) in ["estimate", "std_error", "p_value", "ci_low", "ci_high"]
                    .iter()
                    .enumerate()
                {
                    let want = c[*field].as_f64().unwrap_or(f64::NAN);
                    assert!(
                        rel_diff(got[k], want) <= 1e-10 || (got[k].is_nan() && want.is_nan()),
                        "{name} {model} {var} {field}: multiverse {} vs standalone {want}",
                        got[k]
                    );
                }
                compared += 1;
            }
        }
        assert!(
            compared >= 4,
            "{name}: only {compared} coefficients compared"
        );
    }

    // A second cold run in another cache writes the same bytes.
    let (cache2, out2) = (dir.join("cache2"), dir.join("out2"));
    let (code, stdout, stderr) = gvc(
        &dir,
        &[
            "run",
            &s(&spec_path),
            "--cache",
            &s(&cache2),
            "--output",
            &s(&out2),
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_same_tree(&out, &out2);
    // `gvc diff` of the two runs compares the multiverse summaries: nothing moved.
    let (code, stdout, stderr) = gvc(&dir, &["diff", &s(&out), &s(&out2)]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("Multiverse summary"), "{stdout}");
    assert!(
        stdout.contains("Universes whose sign or significance (5 %) changed: 0"),
        "{stdout}"
    );

    // Only the curve's style changes: only the report is computed again.
    let (code, stdout, stderr) = gvc(
        &dir,
        &[
            "run",
            &s(&spec_path),
            "--cache",
            &s(&cache),
            "--output",
            &s(&dir.join("out3")),
            "--set",
            "multiverse.intervals=\"bars\"",
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let computed: Vec<(String, String, String)> = outcomes_in(&cache, "mv")
        .into_iter()
        .filter(|(_, _, outcome)| outcome != "cached")
        .collect();
    assert_eq!(computed.len(), 1, "{computed:?}");
    assert_eq!(computed[0].0, "report", "{computed:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A wrong `[multiverse]` block is refused at `gvc check` with the key and the fix.
#[test]
fn bad_multiverse_blocks_name_the_key_and_the_fix() {
    let dir = fresh_dir("multiverse-bad");
    let demo = specs_dir().join("demo.toml").display().to_string();
    let cases: &[(&str, &str)] = &[
        (
            "[multiverse.axes]\ncontrols = \"all\"\nestimators = [\"fe\"]\n",
            "`multiverse.axes.controls` must be \"all_subsets\"",
        ),
        (
            "[multiverse.axes]\nestimators = [\"fe\", \"ree\"]\n",
            "`multiverse.axes.estimators` cannot hold `ree`",
        ),
        (
            "[multiverse.axes]\nexclude_years = [[], [2009]]\n",
            "add an axis `estimators = [\"fe\", \"re\"]`",
        ),
        (
            "[multiverse]\nexclude = [{ estimator = \"re\" }]\n[multiverse.axes]\nestimators = [\"fe\", \"re\"]\n",
            "`multiverse.exclude[0]`: no axis `estimator`",
        ),
        (
            "[multiverse]\nexclude = [{ estimators = [\"fe\", \"re\"] }]\n[multiverse.axes]\nestimators = [\"fe\", \"re\"]\n",
            "`multiverse.exclude` leaves no universe",
        ),
        (
            "[multiverse]\ninference = { draws = 0 }\n[multiverse.axes]\nestimators = [\"fe\", \"re\"]\n",
            "`multiverse.inference.draws` must be 1 to 100000",
        ),
        (
            "[multiverse.axes]\nestimators = [\"fe\", \"re\"]\n\"sampel.countries\" = [\"sample\"]\n",
            "`sampel.countries` is not a spec key a universe can set",
        ),
        (
            "[multiverse.axes]\nestimators = [\"fe\", \"re\"]\nwindow = { \"sample.years\" = [[2007, 2017], [2010, 2017]], \"sample.exclude_years\" = [[]] }\n",
            "give each the same number of values",
        ),
    ];
    for (i, (block, want)) in cases.iter().enumerate() {
        let p = dir.join(format!("bad{i}.toml"));
        std::fs::write(&p, format!("extends = {demo:?}\n{block}")).unwrap();
        let (code, stdout, stderr) = gvc(&dir, &["check", &s(&p), "--cache", &s(&dir.join("c"))]);
        assert_eq!(code, 2, "case {i}: {stdout}{stderr}");
        assert!(
            stderr.contains(want),
            "case {i}: wanted {want:?} in\n{stderr}"
        );
        // Each problem is located: in the spec written here, or (a model's estimators) at
        // the model in the spec it extends.
        let place = if i == 2 {
            "demo.toml:".to_string()
        } else {
            format!("bad{i}.toml:")
        };
        assert!(stderr.contains(&place), "case {i}: no place in\n{stderr}");
    }
    // A universe's override that makes an invalid spec is reported at the axis value.
    let p = dir.join("badvalue.toml");
    std::fs::write(
        &p,
        format!("extends = {demo:?}\n[multiverse.axes]\nestimators = [\"fe\", \"re\"]\n\"decomposition.iv\" = [\"dvafx\", \"dvafxx\"]\n"),
    )
    .unwrap();
    let (code, stdout, stderr) = gvc(&dir, &["check", &s(&p), "--cache", &s(&dir.join("c"))]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("badvalue.toml:4:"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
