//! The whole study through the real binary on the demo spec: panel, estimates, Hausman,
//! report, robustness, and what re-runs when one thing changes.

use crate::common;

use std::path::{Path, PathBuf};

use common::{fresh_dir, gvc};

fn demo_in(tag: &str) -> PathBuf {
    let dir = fresh_dir(tag);
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(repo.join("specs/demo.toml"), dir.join("demo.toml")).unwrap();
    dir
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&read(p)).unwrap()
}

fn outcomes(dir: &Path) -> Vec<(String, String, String)> {
    crate::common::outcomes_in(&dir.join(".gvc-cache"), "demo")
}

fn ran(dir: &Path, stage: &str) -> usize {
    outcomes(dir)
        .iter()
        .filter(|(s, _, o)| s == stage && o != "cached")
        .count()
}

#[test]
fn demo_study_end_to_end() {
    let dir = demo_in("study");
    let (code, _, err) = gvc(&dir, &["run", "demo.toml"]);
    assert_eq!(code, 0, "{err}");
    let out = dir.join("output/demo");
    for f in [
        "tables/io_summary.csv",
        "tables/missing.csv",
        "tables/descriptives.csv",
        "results.json",
        "results/estimates.parquet",
        "panel.parquet",
        "report.md",
        "report.tex",
        "tables/participation.md",
        "tables/participation.tex",
        "tables/position_excl-2009.md",
    ] {
        assert!(out.join(f).is_file(), "missing output {f}");
    }
    // Every variable of the spec is described; transforms were applied.
    let desc = read(&out.join("tables/descriptives.csv"));
    for v in [
        "gvcp",
        "gvcl",
        "sofdi",
        "rd_stock",
        "tariff_lag",
        "tariff_x_h",
        "rd_share",
        "tariff_std",
    ] {
        assert!(
            desc.lines().any(|l| l.starts_with(&format!("{v},"))),
            "{v} not in descriptives:\n{desc}"
        );
    }
    // One decomposition per year, shared by the baseline and the robustness block.
    let outs = outcomes(&dir);
    assert_eq!(outs.iter().filter(|(s, _, _)| s == "decompose").count(), 11);
    assert_eq!(outs.iter().filter(|(s, _, _)| s == "panel").count(), 2);
    // Sequential controls (5 steps) × FE and RE, for 2 models and 2 variants.
    assert_eq!(
        outs.iter().filter(|(s, _, _)| s == "estimate").count(),
        5 * 2 * 2 * 2
    );
    assert_eq!(
        outs.iter().filter(|(s, _, _)| s == "hausman").count(),
        5 * 2 * 2
    );

    let results = json(&out.join("results.json"));
    let est = results["estimates"].as_array().unwrap();
    assert_eq!(est.len(), 40);
    let excl: Vec<&serde_json::Value> =
        est.iter().filter(|e| e["variant"] == "excl-2009").collect();
    assert_eq!(excl.len(), 20);
    let base_fe = est
        .iter()
        .find(|e| e["variant"].is_null() && e["model"] == "participation" && e["column"] == "0/fe")
        .unwrap();
    let excl_fe = est
        .iter()
        .find(|e| {
            e["variant"] == "excl-2009" && e["model"] == "participation" && e["column"] == "0/fe"
        })
        .unwrap();
    assert_eq!(
        base_fe["n_obs"].as_u64().unwrap() - excl_fe["n_obs"].as_u64().unwrap(),
        10,
        "2009 left for 10 countries"
    );

    // The same panel through `gvc estimate` gives the same numbers.
    let (code, stdout, err) = gvc(
        &dir,
        &[
            "estimate",
            "output/demo/panel.parquet",
            "--panel",
            "country",
            "--time",
            "year",
            "--dep",
            "gvcp",
            "--x",
            "tariff,sofdi",
            "--estimator",
            "fe",
            "--vce",
            "cluster",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let quick: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        quick["coefficients"], base_fe["coefficients"],
        "gvc estimate differs from the run"
    );

    // The report has the FE/RE pair with a Hausman row under it.
    let md = read(&out.join("report.md"));
    assert!(md.contains("Hausman"), "{md}");
    assert!(md.contains("GVC participation"));

    // A second run is fully cached and writes identical bytes.
    let before: Vec<(String, Vec<u8>)> = [
        "report.md",
        "report.tex",
        "results.json",
        "tables/participation.tex",
    ]
    .iter()
    .map(|f| (f.to_string(), std::fs::read(out.join(f)).unwrap()))
    .collect();
    let (code, _, err) = gvc(&dir, &["run", "demo.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("stages cached"), "{err}");
    for (f, bytes) in before {
        assert_eq!(
            std::fs::read(out.join(&f)).unwrap(),
            bytes,
            "{f} changed between runs"
        );
    }
}

#[test]
fn changes_rerun_only_what_depends_on_them() {
    let dir = demo_in("rerun");
    assert_eq!(gvc(&dir, &["run", "demo.toml"]).0, 0);

    // A transform of one variable: the panel and estimates re-run, no decomposition.
    let (code, _, err) = gvc(
        &dir,
        &[
            "run",
            "demo.toml",
            "--set",
            "variables.h.transform=\"log1p\"",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(ran(&dir, "decompose"), 0);
    assert_eq!(ran(&dir, "io_tables"), 0);
    assert!(ran(&dir, "panel") >= 1);

    // A report label: only the report re-renders.
    let (code, _, err) = gvc(&dir, &["run", "demo.toml", "--set", "report.digits=4"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(ran(&dir, "estimate"), 0);
    assert_eq!(ran(&dir, "panel"), 0);
    assert_eq!(ran(&dir, "report"), 1);

    // A template override beside the spec is used, and only the report re-renders.
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    let builtin = gvc::report::BUILTIN_TEMPLATES
        .iter()
        .find(|(name, _)| *name == "report.md.tera")
        .map(|(_, text)| *text)
        .unwrap();
    std::fs::write(
        dir.join("templates/report.md.tera"),
        format!("OVERRIDDEN TEMPLATE\n{builtin}"),
    )
    .unwrap();
    let (code, _, err) = gvc(&dir, &["run", "demo.toml", "--set", "report.digits=4"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("report ×1"), "run log names the report: {err}");
    assert_eq!(ran(&dir, "estimate"), 0);
    assert!(read(&dir.join("output/demo/report.md")).starts_with("OVERRIDDEN TEMPLATE"));
}

#[test]
fn latex_label_escaping_in_a_run() {
    let dir = demo_in("escape");
    let (code, _, err) = gvc(
        &dir,
        &[
            "run",
            "demo.toml",
            "--set",
            "variables.rd.label=\"R&D_intensity 100%\"",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let tex = read(&dir.join("output/demo/tables/participation.tex"));
    assert!(tex.contains(r"R\&D\_intensity 100\%"), "{tex}");
    let md = read(&dir.join("output/demo/tables/participation.md"));
    assert!(
        md.contains("R&D_intensity 100%") || md.contains(r"R&D\_intensity 100%"),
        "{md}"
    );
}

#[test]
fn demo_report_compiles_with_pdflatex() {
    if std::process::Command::new("pdflatex")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!(
            "SKIPPED demo report compile: pdflatex not on PATH (Debian: texlive-latex-recommended)"
        );
        return;
    }
    let dir = demo_in("pdflatex");
    let (code, _, err) = gvc(&dir, &["run", "demo.toml"]);
    assert_eq!(code, 0, "{err}");
    let out = dir.join("output/demo");
    for pass in 0..2 {
        let res = std::process::Command::new("pdflatex")
            .args(["-interaction=nonstopmode", "-halt-on-error", "report.tex"])
            .current_dir(&out)
            .output()
            .unwrap();
        assert!(
            res.status.success(),
            "pdflatex pass {pass} failed:\n{}",
            String::from_utf8_lossy(&res.stdout)
        );
    }
    assert!(out.join("report.pdf").is_file());
    // Journal tables (issue #17): nothing scaled, no font below \footnotesize, nothing
    // overfull; the 10-column regression tables are set sideways instead.
    let log = std::fs::read_to_string(out.join("report.log")).unwrap();
    assert!(!log.contains("Overfull \\hbox"), "{log}");
    let report = std::fs::read_to_string(out.join("report.tex")).unwrap();
    for bad in ["\\resizebox", "\\scriptsize", "\\tiny"] {
        assert!(!report.contains(bad), "{bad} in report.tex");
    }
    for entry in std::fs::read_dir(out.join("tables")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tex") {
            let tex = std::fs::read_to_string(&path).unwrap();
            assert!(
                tex.contains("\\small") || tex.contains("\\footnotesize"),
                "{}",
                path.display()
            );
            assert!(!tex.contains("\\scalebox") && !tex.contains("\\resizebox"));
        }
    }
    let participation = std::fs::read_to_string(out.join("tables/participation.tex")).unwrap();
    assert!(
        participation.contains("\\begin{sidewaystable}"),
        "{participation}"
    );
}
