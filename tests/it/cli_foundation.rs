//! The foundation end to end through the real binary: the demo run, caching and
//! invalidation, status --explain, located spec errors, crash safety, determinism.

use crate::common;

use std::path::{Path, PathBuf};

use common::{fresh_dir, gvc};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies the demo spec into a fresh folder so each test has its own cache and outputs.
pub(crate) fn demo_in(tag: &str) -> PathBuf {
    let dir = fresh_dir(tag);
    std::fs::copy(repo().join("specs/demo.toml"), dir.join("demo.toml")).unwrap();
    dir
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn run_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&dir.join("output/demo/run.json"))).unwrap()
}

/// (stage, instance) → outcome of the last run of the demo in `dir`.
fn outcomes(dir: &Path) -> Vec<(String, String, String)> {
    common::outcomes_in(&dir.join(".gvc-cache"), "demo")
}

#[test]
fn demo_runs_then_everything_is_cached() {
    let dir = demo_in("demo");
    let (code, _, err) = gvc(&dir, &["run", "demo.toml"]);
    assert_eq!(code, 0, "first run failed: {err}");
    let summary = read(&dir.join("output/demo/tables/io_summary.csv"));
    assert!(summary.starts_with("country,year,output,value_added,gross_exports,final_demand\n"));
    // 11 countries × 11 years.
    assert_eq!(summary.lines().count(), 1 + 11 * 11, "{summary}");
    let v = run_json(&dir);
    assert!(v["max_identity_residual"].as_f64().unwrap() < 1e-9, "{v}");
    assert!(outcomes(&dir).iter().all(|(_, _, o)| o == "ran"));

    let (code, _, err) = gvc(&dir, &["run", "demo.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("all ") && err.contains(" stages cached"),
        "second run should be fully cached: {err}"
    );
    assert!(outcomes(&dir).iter().all(|(_, _, o)| o == "cached"));

    // A report-only change re-runs no table or Leontief stage.
    let (code, _, err) = gvc(&dir, &["run", "demo.toml", "--set", "report.digits=4"]);
    assert_eq!(code, 0, "{err}");
    assert!(outcomes(&dir)
        .iter()
        .filter(|(s, _, _)| s == "io_tables" || s == "leontief")
        .all(|(_, _, o)| o == "cached"));

    // A new seed changes every table.
    let (code, _, err) = gvc(&dir, &["run", "demo.toml", "--set", "sources.mrio.seed=7"]);
    assert_eq!(code, 0, "{err}");
    assert!(outcomes(&dir)
        .iter()
        .filter(|(s, _, _)| s == "io_tables" || s == "leontief")
        .all(|(_, _, o)| o == "ran"));
    // Against the last run (seed 7), a new seed makes every table stale, and says why.
    let (code, out, _) = gvc(
        &dir,
        &[
            "status",
            "demo.toml",
            "--explain",
            "--set",
            "sources.mrio.seed=9",
        ],
    );
    assert_eq!(code, 0);
    assert!(out.contains("spec `options.seed` changed"), "{out}");
    assert!(out.contains("upstream io_tables/2007 changed"), "{out}");
}

#[test]
fn two_clean_runs_are_identical() {
    let a = demo_in("det-a");
    let b = demo_in("det-b");
    assert_eq!(gvc(&a, &["run", "demo.toml", "--jobs", "1"]).0, 0);
    assert_eq!(gvc(&b, &["run", "demo.toml", "--jobs", "2"]).0, 0);
    assert_eq!(
        read(&a.join("output/demo/tables/io_summary.csv")),
        read(&b.join("output/demo/tables/io_summary.csv"))
    );
    // Every output file, run.json and the manifest included, byte for byte.
    common::assert_same_tree(&a.join("output/demo"), &b.join("output/demo"));
}

/// A spec reading labelled CSV files from a folder, one per year, written from synthetic tables.
fn csv_study(tag: &str) -> PathBuf {
    use gvc::sources::mrio::synthetic::{generate, Names, SyntheticSpec};
    let dir = fresh_dir(tag);
    std::fs::create_dir_all(dir.join("tables")).unwrap();
    let spec = SyntheticSpec {
        seed: 11,
        countries: vec!["AUS".into(), "BRA".into(), "CAN".into()],
        sectors: Names::Count(3),
        fd_categories: Names::Count(2),
        years: vec![],
    };
    for year in 2010..=2012 {
        let t = generate(&spec, year).unwrap();
        common::write_labelled_csv(&dir.join(format!("tables/io_{year}.csv")), &t);
    }
    std::fs::write(
        dir.join("csv.toml"),
        r#"
[study]
title = "labelled csv"
[sources.mrio]
format = "labelled-csv"
path = "tables"
files = "io_{year}.csv"
[countries]
codes = "iso3"
all = ["AUS", "BRA", "CAN"]
[sample]
countries = "all"
years = [2010, 2012]
"#,
    )
    .unwrap();
    dir
}

#[test]
fn changing_one_input_file_reruns_only_that_year() {
    let dir = csv_study("csv");
    let (code, _, err) = gvc(&dir, &["run", "csv.toml"]);
    assert_eq!(code, 0, "{err}");
    // Rewrite 2011 with one cell changed.
    let p = dir.join("tables/io_2011.csv");
    let text = read(&p);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    // Move one unit from the row's last final-demand cell to an intermediate cell: output
    // (the row's total and the OUT row and column) stays the same, the table changes.
    let z: f64 = cells[2].parse().unwrap();
    cells[2] = format!("{}", z + 1.0);
    let fd = cells.len() - 2;
    let y: f64 = cells[fd].parse().unwrap();
    cells[fd] = format!("{}", y - 1.0);
    lines[1] = cells.join(",");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();

    let (code, out, _) = gvc(&dir, &["status", "csv.toml", "--explain"]);
    assert_eq!(code, 0);
    assert!(out.contains("io_2011.csv changed"), "{out}");
    let (code, _, err) = gvc(&dir, &["run", "csv.toml"]);
    assert_eq!(code, 0, "{err}");
    for (stage, instance, outcome) in common::outcomes_in(&dir.join(".gvc-cache"), "csv") {
        let expected = if instance == "2011" { "ran" } else { "cached" };
        assert_eq!(outcome, expected, "{stage}/{instance}");
    }
}

#[test]
fn ten_mistakes_ten_located_messages() {
    let fixture = repo().join("tests/fixtures/ten_mistakes/spec.toml");
    let (code, out, err) = gvc(&repo(), &["check", fixture.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    let located: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("spec.toml:") && l.contains(": error: "))
        .collect();
    assert_eq!(
        located.len(),
        10,
        "expected ten located errors, got:\n{err}"
    );
    for needle in [
        "unknown key `tittle`",
        "does not exist",
        "`sources.wdi.format` cannot be `wdi-cvs`",
        "unknown country set `@southasia`",
        "country set `empty` is empty",
        "`sample.years` is inverted",
        "cannot be `kwv`",
        "`wdii.TM.TAX.MRCH.WM.AR.ZS` names no source",
        "undefined variable `tarif`",
        "cannot be `ree`",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    }
    assert!(!err.contains("panicked"));
}

#[test]
fn extends_chain_and_cycles() {
    let dir = demo_in("extends");
    std::fs::write(
        dir.join("variant.toml"),
        "extends = \"demo.toml\"\n[sample]\nexclude_years = [2009]\n",
    )
    .unwrap();
    let (code, out, err) = gvc(&dir, &["check", "variant.toml"]);
    assert_eq!(code, 0, "{out}{err}");
    std::fs::write(dir.join("a.toml"), "extends = \"b.toml\"\n").unwrap();
    std::fs::write(dir.join("b.toml"), "extends = \"a.toml\"\n").unwrap();
    let (code, _, err) = gvc(&dir, &["check", "a.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("circular `extends`"), "{err}");
    assert!(err.contains("b.toml:1:"), "the cycle is located: {err}");
}

#[test]
fn flipped_cache_byte_is_detected_and_recomputed() {
    let dir = demo_in("flip");
    assert_eq!(gvc(&dir, &["run", "demo.toml"]).0, 0);
    let before = read(&dir.join("output/demo/tables/io_summary.csv"));
    let objects = dir.join(".gvc-cache/objects/leontief");
    let art = std::fs::read_dir(&objects)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let b = art.join("b.f64");
    let mut bytes = std::fs::read(&b).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    std::fs::write(&b, bytes).unwrap();
    let (code, _, err) = gvc(&dir, &["run", "demo.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("damaged cache artifact"), "{err}");
    assert_eq!(read(&dir.join("output/demo/tables/io_summary.csv")), before);
    let (code, _, err) = gvc(&dir, &["run", "demo.toml"]);
    assert_eq!(code, 0);
    assert!(
        err.contains("all ") && err.contains(" stages cached"),
        "{err}"
    );
}

#[test]
fn killed_run_then_rerun_matches_uninterrupted_run() {
    // A larger synthetic study so the kill lands mid-stage.
    let spec = r#"
[study]
title = "kill test"
[sources.mrio]
format = "synthetic"
seed = 3
countries = ["AUS","BRA","CAN","CHE","CHL","COL","CZE","DEU","DNK","ESP","EST","FIN","FRA","GBR","GRC","HUN","IRL","ISL","ISR","ITA"]
sectors = 20
[countries]
codes = "iso3"
all = ["AUS","BRA","CAN"]
[sample]
countries = "all"
years = [2001, 2012]
"#;
    let killed = fresh_dir("killed");
    let clean = fresh_dir("clean");
    std::fs::write(killed.join("k.toml"), spec).unwrap();
    std::fs::write(clean.join("k.toml"), spec).unwrap();
    for delay_ms in [150u64, 400, 900] {
        let mut child = std::process::Command::new(common::gvc_bin())
            .args(["run", "k.toml", "--quiet"])
            .current_dir(&killed)
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    let (code, _, err) = gvc(&killed, &["run", "k.toml"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = gvc(&clean, &["run", "k.toml"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        read(&killed.join("output/k/tables/io_summary.csv")),
        read(&clean.join("output/k/tables/io_summary.csv"))
    );
    // Synthetic tables read no file, so even the keys agree between the two folders.
    assert_eq!(
        read(&killed.join("output/k/run.json")),
        read(&clean.join("output/k/run.json"))
    );
    // `gvc clean` removes what the kills left in tmp/.
    let (code, out, _) = gvc(&killed, &["clean", "k.toml"]);
    assert_eq!(code, 0);
    assert!(out.contains("leftover temp entries"), "{out}");
}

#[test]
fn usage_errors_exit_2() {
    let dir = fresh_dir("usage");
    assert_eq!(gvc(&dir, &["run"]).0, 2);
    assert_eq!(gvc(&dir, &["check", "missing.toml"]).0, 2);
    std::fs::write(dir.join("bad.toml"), "[study\n").unwrap();
    let (code, _, err) = gvc(&dir, &["check", "bad.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.toml:1:"), "{err}");
}

/// `gvc check spec | head -0`: the reader closes the pipe before gvc writes; gvc stops quietly
/// (status 141, as on SIGPIPE) instead of panicking about a broken pipe.
#[test]
fn closed_stdout_is_not_a_panic() {
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/demo.toml");
    let dir = fresh_dir("epipe");
    let mut child = std::process::Command::new(common::gvc_bin())
        .args(["check", &spec.display().to_string(), "--cache", "cache"])
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close our end at once: gvc is still loading the spec, so its first print hits a closed
    // pipe.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}

/// A misspelled decomposition measure is a located spec error at `gvc check`, with the
/// nearest measure names, not a failure of the panel at run time.
#[test]
fn misspelled_measure_is_located_at_check() {
    let dir = fresh_dir("measure-typo");
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/demo.toml");
    std::fs::write(
        dir.join("typo.toml"),
        format!(
            "extends = {:?}\n[variables]\ngvcp = {{ from = \"decomposition.kpww.participaton\", label = \"x\" }}\n",
            demo.display().to_string()
        ),
    )
    .unwrap();
    let (code, _, err) = gvc(&dir, &["check", "typo.toml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("typo.toml:3:10: error: variable `gvcp`: `kpww` computes no measure `kpww.participaton`"),
        "{err}"
    );
    assert!(err.contains("`kpww.participation`"), "{err}");
}
