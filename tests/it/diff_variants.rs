//! Variants and `gvc diff` on the demo study: the 2009-excluded variant against the baseline
//! (sample change, every coefficient's Δ with its flags, JSON equal to both `results.json`
//! files number by number), a spec against itself, a label-only variant, models that differ in
//! columns, `gvc status` across two specs, and robustness columns beside the baseline.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{fresh_dir, gvc, read_json};
use serde_json::Value;

fn specs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs")
}

fn demo() -> String {
    specs_dir().join("demo.toml").display().to_string()
}

/// A variant spec in `dir` that extends the demo and adds `extra` TOML.
fn variant(dir: &Path, name: &str, extra: &str) -> String {
    let p = dir.join(format!("{name}.toml"));
    let text = format!("extends = {:?}\n{extra}", demo());
    std::fs::write(&p, text).expect("write variant");
    p.display().to_string()
}

type Key = (String, String, String, String);

/// (variant, model, column, term) → coefficient object of a `results.json`.
fn coefficients(results: &Value) -> BTreeMap<Key, Value> {
    let mut out = BTreeMap::new();
    for e in results["estimates"].as_array().expect("estimates") {
        let variant = e["variant"].as_str().unwrap_or("baseline").to_string();
        let model = e["model"].as_str().expect("model").to_string();
        let column = e["column"].as_str().expect("column").to_string();
        for c in e["coefficients"].as_array().expect("coefficients") {
            let term = c["name"].as_str().expect("name").to_string();
            out.insert(
                (variant.clone(), model.clone(), column.clone(), term),
                c.clone(),
            );
        }
    }
    out
}

fn stars(p: Option<f64>) -> String {
    "*".repeat(
        [0.10, 0.05, 0.01]
            .iter()
            .filter(|t| p.is_some_and(|p| p < **t))
            .count(),
    )
}

#[test]
fn diff_of_demo_and_its_2009_variant_matches_both_results_files() {
    let dir = fresh_dir("diff-excl2009");
    let excl = specs_dir().join("demo_excl2009.toml").display().to_string();
    let (code, out, err) = gvc(
        &dir,
        &[
            "diff",
            &demo(),
            &excl,
            "--cache",
            "cache",
            "--format",
            "json",
            "--all",
        ],
    );
    assert_eq!(code, 1, "results differ, so exit 1; stderr: {err}");
    let d: Value = serde_json::from_str(&out).expect("diff JSON parses");

    // The spec difference names the dotted key.
    let spec: Vec<&Value> = d["spec"].as_array().expect("spec").iter().collect();
    let ex = spec
        .iter()
        .find(|c| c["key"] == "sample.exclude_years")
        .expect("sample.exclude_years listed");
    assert_eq!(ex["old"], serde_json::json!([]));
    assert_eq!(ex["new"], serde_json::json!([2009]));

    // Sample: every country-year of 2009 left each baseline model; nothing entered.
    let a_samples = read_json(&dir.join("output/demo/samples.json"));
    let b_samples = read_json(&dir.join("output/demo_excl2009/samples.json"));
    let as_set = |v: &Value| -> BTreeSet<(String, i64)> {
        v.as_array()
            .expect("rows")
            .iter()
            .map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_i64().unwrap()))
            .collect()
    };
    let changes: BTreeMap<String, &Value> = d["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .map(|c| (c["model"].as_str().unwrap().to_string(), c))
        .collect();
    let mut baseline_models = 0;
    for (model, rows) in a_samples.as_object().expect("samples object") {
        let a = as_set(rows);
        let b = as_set(&b_samples[model]);
        let in_2009: BTreeSet<(String, i64)> =
            a.iter().filter(|(_, y)| *y == 2009).cloned().collect();
        if model.starts_with("baseline/") {
            baseline_models += 1;
            assert!(!in_2009.is_empty(), "{model}: demo sample has 2009 rows");
            let c = changes
                .get(model)
                .unwrap_or_else(|| panic!("{model}: no sample change"));
            assert_eq!(as_set(&c["left"]), in_2009, "{model}: left");
            assert!(c["entered"].as_array().unwrap().is_empty(), "{model}");
            assert_eq!(b, &a - &in_2009, "{model}: new sample is old minus 2009");
        } else {
            // The robustness block excludes 2009 in both specs: identical samples.
            assert!(in_2009.is_empty(), "{model}");
            assert!(!changes.contains_key(model), "{model} did not change");
        }
    }
    assert_eq!(baseline_models, 2, "participation and position");

    // Coefficients: every one of both results files, number for number.
    let a = coefficients(&read_json(&dir.join("output/demo/results.json")));
    let b = coefficients(&read_json(&dir.join("output/demo_excl2009/results.json")));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "same columns"
    );
    let rows: BTreeMap<Key, &Value> = d["coefficients"]
        .as_array()
        .expect("coefficients")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_string();
            ((s("variant"), s("model"), s("column"), s("term")), c)
        })
        .collect();
    assert_eq!(rows.len(), a.len(), "--all lists every coefficient once");
    let (mut changed, mut flips) = (0, 0);
    for (key, ca) in &a {
        let cb = &b[key];
        let row = rows
            .get(key)
            .unwrap_or_else(|| panic!("{key:?} missing from the diff"));
        let num = |v: &Value, k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{key:?} {k}"));
        let (ea, eb) = (num(ca, "estimate"), num(cb, "estimate"));
        assert_eq!(num(row, "old_estimate"), ea, "{key:?} old estimate");
        assert_eq!(num(row, "new_estimate"), eb, "{key:?} new estimate");
        assert_eq!(num(row, "old_se"), num(ca, "std_error"), "{key:?} old se");
        assert_eq!(num(row, "new_se"), num(cb, "std_error"), "{key:?} new se");
        assert_eq!(num(row, "delta"), eb - ea, "{key:?} delta");
        if ea != 0.0 {
            assert_eq!(num(row, "rel_delta"), (eb - ea) / ea.abs(), "{key:?} rel");
        }
        assert_eq!(row["sign_flip"], ea * eb < 0.0, "{key:?} sign flip");
        let (sa, sb) = (stars(ca["p_value"].as_f64()), stars(cb["p_value"].as_f64()));
        assert_eq!(row["old_stars"], sa.as_str(), "{key:?}");
        assert_eq!(row["new_stars"], sb.as_str(), "{key:?}");
        let disjoint =
            num(ca, "ci_high") < num(cb, "ci_low") || num(cb, "ci_high") < num(ca, "ci_low");
        assert_eq!(row["ci_disjoint"], disjoint, "{key:?} CI overlap");
        if key.0 == "baseline" {
            assert_eq!(row["status"], "changed", "{key:?}: 2009 left the sample");
            changed += 1;
            flips += usize::from(ea * eb < 0.0);
        } else {
            assert_eq!(
                row["status"], "same",
                "{key:?}: variant identical on both sides"
            );
        }
    }
    assert!(
        changed > 0 && flips > 0,
        "{changed} changed, {flips} sign flips"
    );

    // N changed for every baseline column.
    let stats = d["statistics"].as_array().expect("statistics");
    assert!(stats.iter().any(|s| s["statistic"] == "n_obs"
        && s["variant"] == "baseline"
        && s["old"].as_f64() > s["new"].as_f64()));

    // The other forms and options of the same diff.
    let demo_path = demo();
    let diff_with = |extra: &[&str]| {
        let mut args = vec![
            "diff",
            demo_path.as_str(),
            excl.as_str(),
            "--cache",
            "cache",
        ];
        args.extend_from_slice(extra);
        gvc(&dir, &args)
    };
    // Default text form: only changed rows, sample lines and flags.
    let (code, text, _) = diff_with(&[]);
    assert_eq!(code, 1);
    assert!(
        text.contains("sample.exclude_years: [] -> [2009]"),
        "{text}"
    );
    assert!(text.contains("baseline/participation: left ("), "{text}");
    assert!(text.contains("sign flip"), "{text}");
    assert!(
        !text.contains("excl-2009    participation"),
        "unchanged rows hidden: {text}"
    );
    let (_, md, _) = diff_with(&["--format", "markdown"]);
    assert!(
        md.contains("## Coefficients") && md.contains("| baseline |"),
        "{md}"
    );
    assert!(
        md.contains("## Statistics") && md.contains("| n_obs |"),
        "{md}"
    );
    let (_, tex, _) = diff_with(&["--format", "latex"]);
    assert!(
        tex.contains("\\begin{tabular}") && tex.contains("\\bottomrule"),
        "{tex}"
    );
    // A tolerance above every change: no coefficient differs, but the sample still does.
    let (code, json, _) = diff_with(&["--tolerance", "1e9", "--format", "json"]);
    assert_eq!(code, 1, "the sample change still counts");
    let loose: Value = serde_json::from_str(&json).unwrap();
    assert!(
        loose["coefficients"].as_array().unwrap().is_empty(),
        "{json}"
    );
    assert!(!loose["samples"].as_array().unwrap().is_empty());
}

#[test]
fn a_spec_against_itself_and_a_label_only_variant_are_identical() {
    let dir = fresh_dir("diff-same");
    let (code, out, err) = gvc(&dir, &["diff", &demo(), &demo(), "--cache", "cache"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("results identical"), "{out}");

    let relabel = variant(
        &dir,
        "relabel",
        "[variables.tariff]\nlabel = \"Applied tariff (%)\"\n[report]\ndigits = 4\n",
    );
    let (code, out, err) = gvc(&dir, &["diff", &demo(), &relabel, "--cache", "cache"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("results identical (2 spec keys differ"),
        "{out}"
    );
    assert!(out.contains("variables.tariff.label"), "{out}");
    // The output folders diff the same way as the specs.
    let (code, out, _) = gvc(&dir, &["diff", "output/demo", "output/relabel"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("results identical"), "{out}");
}

#[test]
fn models_that_differ_in_columns_align_by_name() {
    let dir = fresh_dir("diff-columns");
    // One model only, FE only, without the last control and with an extra regressor.
    let smaller = variant(
        &dir,
        "smaller",
        r#"
[[models]]
name = "participation"
title = "GVC participation"
dependent = "gvcp"
regressors = ["tariff", "sofdi", "tariff_lag"]
controls = ["pgdp", "rd", "h"]
controls_mode = "sequential"
estimators = ["fe"]
vce = "cluster"
"#,
    );
    let (code, out, err) = gvc(
        &dir,
        &[
            "diff",
            &demo(),
            &smaller,
            "--cache",
            "cache",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let d: Value = serde_json::from_str(&out).expect("JSON");
    let rows = d["coefficients"].as_array().expect("rows");
    let status_of = |variant: &str, model: &str, column: &str, term: &str| {
        rows.iter()
            .find(|c| {
                c["variant"] == variant
                    && c["model"] == model
                    && c["column"] == column
                    && c["term"] == term
            })
            .map(|c| c["status"].as_str().unwrap().to_string())
    };
    // A whole model removed, an RE column removed, a step removed, a term added.
    assert_eq!(
        status_of("baseline", "position", "0/fe", "tariff").as_deref(),
        Some("removed")
    );
    assert_eq!(
        status_of("baseline", "participation", "0/re", "tariff").as_deref(),
        Some("removed")
    );
    assert_eq!(
        status_of("baseline", "participation", "4/fe", "k").as_deref(),
        Some("removed")
    );
    assert_eq!(
        status_of("baseline", "participation", "0/fe", "tariff_lag").as_deref(),
        Some("added")
    );
    let removed = rows.iter().filter(|c| c["status"] == "removed").count();
    let added = rows.iter().filter(|c| c["status"] == "added").count();
    assert!(
        removed > 10 && added >= 4,
        "{removed} removed, {added} added"
    );
    for c in rows.iter().filter(|c| c["status"] == "added") {
        assert!(c["old_estimate"].is_null() && c["new_estimate"].is_number());
    }
    // The text form shows them as rows with an added/removed flag.
    let (_, text, _) = gvc(&dir, &["diff", &demo(), &smaller, "--cache", "cache"]);
    assert!(text.contains("removed") && text.contains("added"), "{text}");
}

#[test]
fn status_across_two_specs_names_shared_and_differing_stages() {
    let dir = fresh_dir("status-variants");
    let excl = specs_dir().join("demo_excl2009.toml").display().to_string();
    let (code, _, err) = gvc(&dir, &["run", &demo(), "--cache", "cache"]);
    assert_eq!(code, 0, "{err}");
    // The variant's baseline is the demo's robustness block: only its report is new.
    let (code, _, err) = gvc(&dir, &["run", &excl, "--cache", "cache"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("ran 1 of") && err.contains("report ×1"),
        "{err}"
    );
    for (stage, instance, outcome) in
        crate::common::outcomes_in(&dir.join("cache"), "demo_excl2009")
            .into_iter()
            .filter(|(s, _, _)| s != "report")
    {
        assert_eq!(outcome, "cached", "{stage}/{instance}");
    }
    let (code, out, err) = gvc(
        &dir,
        &["status", &demo(), &excl, "--cache", "cache", "--explain"],
    );
    assert_eq!(code, 0, "{err}");
    // Decompositions and covariates are shared (and cached); the baseline panel differs
    // because of the sample key.
    for line in out.lines().filter(|l| {
        ["io_tables", "leontief", "decompose", "covariates"]
            .iter()
            .any(|s| l.starts_with(s))
    }) {
        assert!(line.ends_with("shared (cached)"), "{line}");
    }
    let panel = out
        .lines()
        .position(|l| l.starts_with("panel") && l.contains(" main "))
        .expect("panel line");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[panel].contains("differs (cached / cached)"), "{out}");
    assert!(
        lines[panel + 1].contains("spec `sample.exclude_years` changed"),
        "{out}"
    );
    // The robustness variant is the same study in both: shared.
    assert!(
        out.lines().any(|l| l.starts_with("panel")
            && l.contains("excl-2009")
            && l.ends_with("shared (cached)")),
        "{out}"
    );
    let summary = out.lines().last().expect("summary");
    assert!(
        summary.contains(" shared, ") && summary.contains(" differ, "),
        "{summary}"
    );
    // Everything in the io/decomposition chain: 11 years × 3 stages at least.
    let shared: usize = summary.split(' ').next().unwrap().parse().unwrap();
    assert!(shared >= 33, "{summary}");
}

#[test]
fn robustness_columns_can_sit_beside_the_baseline() {
    let dir = fresh_dir("beside-baseline");
    let (code, _, err) = gvc(
        &dir,
        &[
            "run",
            &demo(),
            "--cache",
            "cache",
            "-q",
            "--set",
            "robustness.excl-2009.beside_baseline=true",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let md = std::fs::read_to_string(dir.join("output/demo/tables/participation.md"))
        .expect("baseline table");
    let header = md
        .lines()
        .find(|l| l.starts_with("| Dependent"))
        .expect("header");
    assert!(header.contains("(11) FE Without 2009 "), "{header}");
    assert!(header.contains("(20) RE Without 2009 "), "{header}");
    // LaTeX (journal style): the two samples as spanning headers over their ten columns.
    let tex = std::fs::read_to_string(dir.join("output/demo/tables/participation.tex"))
        .expect("baseline LaTeX table");
    assert!(
        tex.contains("\\multicolumn{10}{c}{Baseline}")
            && tex.contains("\\multicolumn{10}{c}{Without 2009}"),
        "{tex}"
    );
    // The variant keeps its own table too.
    assert!(dir
        .join("output/demo/tables/participation_excl-2009.md")
        .is_file());
    // Observations of the appended columns are the variant's (fewer than the baseline's).
    let obs = md
        .lines()
        .find(|l| l.starts_with("| Observations"))
        .expect("observations row");
    let n: Vec<usize> = obs
        .split('|')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    assert_eq!(n.len(), 20, "{obs}");
    assert!(n[10] < n[0], "{obs}");
}

#[test]
fn clean_unused_keeps_what_any_named_spec_uses() {
    let dir = fresh_dir("clean-shared");
    let other = variant(&dir, "reseeded", "[sources.mrio]\nseed = 99\n");
    for spec in [demo(), other.clone()] {
        let (code, _, err) = gvc(&dir, &["run", &spec, "--cache", "cache", "-q"]);
        assert_eq!(code, 0, "{err}");
    }
    // Both specs named: nothing either uses goes.
    let (code, out, err) = gvc(
        &dir,
        &["clean", &demo(), &other, "--unused", "--cache", "cache"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("removed 0 artifacts"), "{out}");
    let (_, status, _) = gvc(&dir, &["status", &other, "--cache", "cache"]);
    assert!(!status.contains("stale"), "{status}");
    // Only the demo named: the reseeded tables go, the demo's stay.
    let (code, out, _) = gvc(&dir, &["clean", &demo(), "--unused", "--cache", "cache"]);
    assert_eq!(code, 0);
    assert!(!out.contains("removed 0 artifacts"), "{out}");
    let (_, status, _) = gvc(&dir, &["status", &other, "--cache", "cache"]);
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("io_tables") && l.ends_with("stale")),
        "{status}"
    );
    let (_, status, _) = gvc(&dir, &["status", &demo(), "--cache", "cache"]);
    assert!(!status.contains("stale"), "{status}");
}

/// `gvc status --explain` names the changed key inside a list of transforms, as `gvc diff`
/// does (one JSON diff since issue #14; the engine's own said only `…transform changed`).
#[test]
fn status_explain_names_the_key_inside_a_transform_list() {
    let dir = fresh_dir("status-transform-key");
    let other = variant(
        &dir,
        "rd_share_permille",
        "[variables]\nrd_share = { from = \"cov.rd_expenditure\", transform = [{ ratio = \"cov.gdp\" }, { scale = 1000 }], label = \"R&D / GDP (per mille)\" }\n",
    );
    let (code, out, err) = gvc(&dir, &["status", &demo(), &other, "--explain"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("spec `variables.rd_share.transform.1.scale` changed"),
        "{out}"
    );
}
