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

/// A small multiverse on the demo (2 country groups × 16 control subsets × FE, RE × 2 VCEs,
/// less the 2 RE fits the 7-country group cannot take: 126 universes) with 20 null draws,
/// written to `dir`. Shared with the Slurm test.
pub(crate) fn small_spec(dir: &Path) -> PathBuf {
    let p = dir.join("small_mv.toml");
    let text = format!(
        "extends = {:?}\n\
         [countries]\n\
         bri_core = [\"PRC\", \"@asean\", \"KAZ\", \"RUS\"]\n\
         [multiverse]\n\
         inference = {{ draws = 20, seed = 7 }}\n\
         exclude = [{{ \"sample.countries\" = \"bri_core\", estimators = \"re\", controls = \"pgdp+rd+h+k\" }}]\n\
         [multiverse.axes]\n\
         \"sample.countries\" = [\"sample\", \"bri_core\"]\n\
         controls = \"all_subsets\"\n\
         estimators = [\"fe\", \"re\"]\n\
         vce = [\"cluster\", \"conventional\"]\n",
        specs_dir().join("demo.toml").display().to_string()
    );
    std::fs::write(&p, text).unwrap();
    p
}

/// The fast path (what `gvc run` stored) against the standard estimator for every fit and
/// every null refit, on the panels of a demo multiverse: estimates, standard errors,
/// p-values, intervals, the null draws and the joint test's p-values agree to 1e-10.
#[test]
fn the_fast_path_equals_the_standard_path_on_the_demo_panels() {
    use gvc::engine::cache::Cache;
    use gvc::engine::key::Key;
    use gvc::engine::outputs::load;
    use gvc::engine::stages::estimate::panel_data_from_frame;
    use gvc::engine::stages::multiverse::MultiverseStage;
    use gvc::engine::stages::panel::PanelStage;
    use gvc::multiverse::summary::NullPoint;
    use gvc::multiverse::{fit_universes_with, summarise, CurvePoint, FitPath};

    let dir = fresh_dir("multiverse-fast");
    let spec = small_spec(&dir);
    let (code, out, err) = gvc(
        &dir,
        &[
            "run",
            &s(&spec),
            "--cache",
            "cache",
            "--output",
            "out",
            "-q",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, plan, err) = gvc(&dir, &["plan", &s(&spec), "--cache", "cache", "--json"]);
    assert_eq!(code, 0, "{err}");
    let plan: serde_json::Value = serde_json::from_str(&plan).unwrap();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let close = |a: f64, b: f64| {
        (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-10 * a.abs().max(b.abs())
    };
    let (mut stages, mut fits, mut refits, mut worst) = (0, 0, 0, 0.0f64);
    for inst in plan.as_array().unwrap() {
        if inst["kind"] != "multiverse" {
            continue;
        }
        stages += 1;
        let params: MultiverseStage = serde_json::from_value(inst["params"].clone()).unwrap();
        let key: Key = serde_json::from_value(inst["key"].clone()).unwrap();
        let panel_key: Key = serde_json::from_value(inst["deps"]["panel"].clone()).unwrap();
        let panel = load::<PanelStage>(&cache, &panel_key).unwrap();
        let data = panel_data_from_frame(&panel.frame).unwrap();
        let stored = load::<MultiverseStage>(&cache, &key).unwrap();
        let (fast, fast_null) =
            fit_universes_with(&data, &params.fits, params.inference, FitPath::Fast);
        let (slow, slow_null) =
            fit_universes_with(&data, &params.fits, params.inference, FitPath::Standard);
        // The run stored the fast path's numbers.
        assert_eq!(stored.outcomes, fast);
        assert_eq!(stored.null.as_ref(), fast_null.as_ref());
        for ((f, sl), r) in fast.iter().zip(&slow).zip(&params.fits) {
            assert_eq!(f.error, sl.error, "{r:?}");
            assert_eq!(f.n_obs, sl.n_obs, "{r:?}");
            assert_eq!(f.coefficients.len(), sl.coefficients.len(), "{r:?}");
            fits += 1;
            for (a, b) in f.coefficients.iter().zip(&sl.coefficients) {
                assert_eq!(a.name, b.name);
                for (x, y) in [
                    (a.estimate, b.estimate),
                    (a.std_error, b.std_error),
                    (a.p_value, b.p_value),
                    (a.ci_low, b.ci_low),
                    (a.ci_high, b.ci_high),
                ] {
                    assert!(close(x, y), "{r:?} {}: {x} vs {y}", a.name);
                    if x != y {
                        worst = worst.max((x - y).abs() / x.abs().max(y.abs()));
                    }
                }
            }
        }
        let (fnull, snull) = (fast_null.unwrap(), slow_null.unwrap());
        assert_eq!(fnull.significant, snull.significant);
        for (a, b) in fnull.estimate.iter().zip(&snull.estimate) {
            assert!(close(*a, *b), "null estimate {a} vs {b}");
            refits += usize::from(a.is_finite());
        }
        for (a, b) in fnull.z.iter().zip(&snull.z) {
            assert!(close(*a, *b), "null Z {a} vs {b}");
        }
        // The joint test of each curve within the stage (dependent variable × key regressor)
        // gives the same p-values either way.
        let mut col = 0;
        let mut curves: BTreeMap<(String, String), Vec<(usize, usize)>> = BTreeMap::new();
        for (f, r) in params.fits.iter().enumerate() {
            for k in &r.keys {
                curves
                    .entry((r.dependent.clone(), k.clone()))
                    .or_default()
                    .push((f, col));
                col += 1;
            }
        }
        for ((_, key), members) in &curves {
            let summary = |outcomes: &[gvc::multiverse::FitOutcome],
                           null: &gvc::multiverse::NullDraws| {
                let points: Vec<Option<CurvePoint>> = members
                    .iter()
                    .map(|&(f, _)| {
                        let c = outcomes[f].coefficients.iter().find(|c| &c.name == key)?;
                        Some(CurvePoint {
                            estimate: c.estimate,
                            p_value: c.p_value,
                        })
                    })
                    .collect();
                let draws: Vec<Vec<NullPoint>> = (0..null.estimate.nrows())
                    .map(|d| {
                        members
                            .iter()
                            .map(|&(_, c)| NullPoint {
                                estimate: null.estimate[(d, c)],
                                significant: null.significant[(d, c)],
                                z: null.z[(d, c)],
                            })
                            .collect()
                    })
                    .collect();
                summarise(&points, Some(&draws)).joint.unwrap()
            };
            let (jf, js) = (summary(&fast, &fnull), summary(&slow, &snull));
            assert_eq!(jf.p_median, js.p_median);
            assert_eq!(jf.p_share_significant, js.p_share_significant);
            assert_eq!(jf.p_average_z, js.p_average_z);
            assert!(close(jf.average_z, js.average_z));
        }
    }
    assert_eq!(stages, 2);
    assert_eq!(fits, 2 * 126, "one fit per universe and model");
    assert!(refits > 20 * 2 * 2 * 126 * 9 / 10, "{refits} null refits");
    // The third joint-test statistic is in summary.json and the report.
    let summary = read_json(&dir.join("out/multiverse/summary.json"));
    for c in summary.as_array().unwrap() {
        let j = &c["summary"]["joint"];
        assert!(j["average_z"].as_f64().unwrap().is_finite(), "{c}");
        let p = j["p_average_z"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p), "{c}");
    }
    let report = std::fs::read_to_string(dir.join("out/report.md")).unwrap();
    assert!(report.contains("p (average Z)"), "{report}");
    eprintln!(
        "fast vs standard: {fits} fits, {refits} null refits, worst relative difference {worst:e}"
    );
}
