//! `gvc run --executor slurm` (issue #15) against a real one-node Slurm (`.ci/slurm-up`):
//! the demo and an ADB-size study give the same bytes as the local executor; a task cancelled
//! mid-run is completed by a re-submission that runs only what is missing; two specs sharing
//! stages, submitted at once, compute each shared key once. Without Slurm (no `sbatch`, and
//! `.ci/slurm-up` cannot start it) these tests print `SKIPPED` and why; with
//! `GVC_REQUIRE_SLURM=1` (CI) that is a failure. The dry-run and option tests need no Slurm.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::common::{assert_same_tree, fresh_dir, gvc, read_json};

fn demo_spec() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/demo.toml")
}

fn sinfo_ready() -> bool {
    Command::new("sinfo")
        .args(["-h", "-o", "%t"])
        .output()
        .is_ok_and(|o| {
            let s = String::from_utf8_lossy(&o.stdout);
            o.status.success()
                && s.lines().any(|l| {
                    l.starts_with("idle") || l.starts_with("mix") || l.starts_with("alloc")
                })
        })
}

/// Slurm up (starting it with `.ci/slurm-up` once if needed), or why not.
fn slurm_status() -> &'static Result<(), String> {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    READY.get_or_init(|| {
        if sinfo_ready() {
            return Ok(());
        }
        let up = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/slurm-up");
        let started = Command::new(&up).output();
        if sinfo_ready() {
            return Ok(());
        }
        Err(match started {
            Err(e) => format!(
                "sbatch/sinfo not usable and {} could not run: {e}",
                up.display()
            ),
            Ok(o) => format!(
                "no idle Slurm node, and {} failed: {}",
                up.display(),
                String::from_utf8_lossy(&o.stderr).trim()
            ),
        })
    })
}

/// The Slurm tests run one at a time (they share the node's cores and their timings are
/// reported); `None` (after printing SKIPPED) when Slurm is not available.
fn slurm(test: &str) -> Option<MutexGuard<'static, ()>> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    match slurm_status() {
        Ok(()) => Some(ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())),
        Err(why) => {
            if std::env::var("GVC_REQUIRE_SLURM").is_ok_and(|v| v == "1") {
                panic!("{test}: GVC_REQUIRE_SLURM=1 but Slurm is not available: {why}");
            }
            eprintln!("SKIPPED {test}: {why}");
            None
        }
    }
}

/// Runs gvc and asserts exit 0; returns stderr.
fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = gvc(dir, args);
    assert_eq!(code, 0, "gvc {args:?}\nstdout: {out}\nstderr: {err}");
    err
}

/// The record of every Slurm run in a cache.
fn records(cache: &Path) -> Vec<(serde_json::Value, PathBuf)> {
    let mut out: Vec<(serde_json::Value, PathBuf)> = std::fs::read_dir(cache.join("slurm"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("run.json").is_file())
        .map(|e| (read_json(&e.path().join("run.json")), e.path()))
        .collect();
    out.sort_by(|a, b| a.0["run_id"].as_str().cmp(&b.0["run_id"].as_str()));
    out
}

/// Every task key of a run record.
fn task_keys(record: &serde_json::Value) -> Vec<String> {
    record["arrays"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["tasks"].as_array().unwrap().iter())
        .map(|t| t["key"].as_str().unwrap().to_string())
        .collect()
}

/// How many times each key was computed (`<key>: done` in the task logs of these runs).
fn computed(run_dirs: &[&Path]) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    for d in run_dirs {
        for e in std::fs::read_dir(d.join("logs")).unwrap().flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            for line in text.lines() {
                if let Some(key) = line.strip_suffix(": done") {
                    *n.entry(key.trim().to_string()).or_default() += 1;
                }
            }
        }
    }
    n
}

/// (array job id, index, state) of this user's tasks still in the queue.
fn queue() -> Vec<(String, String, String)> {
    let out = Command::new("squeue")
        .args(["--me", "-h", "-r", "-o", "%F|%K|%T"])
        .output()
        .expect("squeue");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.trim().split('|').collect();
            (f.len() == 3).then(|| (f[0].to_string(), f[1].to_string(), f[2].to_string()))
        })
        .collect()
}

fn wait_until_gone(jobs: &[String], limit: Duration) {
    let start = Instant::now();
    while queue().iter().any(|(j, _, _)| jobs.contains(j)) {
        assert!(
            start.elapsed() < limit,
            "jobs {jobs:?} still queued after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The demo run locally once (its output folder), for the comparisons.
fn local_demo() -> &'static PathBuf {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let dir = fresh_dir("slurm-local-demo");
        let spec = demo_spec();
        ok(
            &dir,
            &[
                "run",
                spec.to_str().unwrap(),
                "--cache",
                "cache",
                "--output",
                "out",
                "-q",
            ],
        );
        dir.join("out")
    })
}

#[test]
fn dry_run_prints_scripts_chain_and_splits_arrays() {
    let dir = fresh_dir("slurm-dry");
    let spec = demo_spec();
    let (code, out, err) = gvc(
        &dir,
        &[
            "run",
            spec.to_str().unwrap(),
            "--cache",
            "cache",
            "--executor",
            "slurm",
            "--dry-run",
            "--slurm-option",
            "max_array_size=4",
            "--slurm-option",
            "leontief.mem=3G",
            "--slurm-option",
            "partition=short",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // 11 years in arrays of at most 4: three io_tables arrays, and each leontief chunk waits
    // only for the io_tables chunk holding its years.
    for name in [
        "00-io_tables-0",
        "00-io_tables-1",
        "00-io_tables-2",
        "01-leontief-2",
    ] {
        assert!(
            out.contains(&format!("# ---- {name}.sh")),
            "{name} missing:\n{out}"
        );
    }
    assert!(!out.contains("00-io_tables-3"), "{out}");
    assert!(out.contains("#SBATCH --array=0-3\n"), "{out}");
    assert!(
        out.contains("#SBATCH --array=0-2\n"),
        "the last chunk has 3 years:\n{out}"
    );
    let leo = &out[out.find("# ---- 01-leontief-0.sh").unwrap()..];
    let leo = &leo[..leo[1..].find("# ----").unwrap()];
    assert!(
        leo.contains("#SBATCH --dependency=afterok:$JOB_00_io_tables_0\n"),
        "{leo}"
    );
    assert!(
        leo.contains("#SBATCH --mem=3G\n") && leo.contains("--partition=short"),
        "{leo}"
    );
    assert!(leo.contains("stage run \"$KEY\" --cache"), "{leo}");
    assert!(out.contains("# dependency chain"), "{out}");
    assert!(out.contains("97 stale of 97"), "{out}");
    // Nothing submitted, nothing written for Slurm.
    assert!(!dir.join("cache/slurm").exists());

    // A bad option is a usage error that names the fix.
    let (code, _, err) = gvc(
        &dir,
        &[
            "run",
            spec.to_str().unwrap(),
            "--executor",
            "slurm",
            "--dry-run",
            "--slurm-option",
            "leontif.mem=3G",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("did you mean") || err.contains("leontief"),
        "{err}"
    );
    let (code, _, err) = gvc(&dir, &["run", spec.to_str().unwrap(), "--dry-run"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--executor slurm"), "{err}");
}

#[test]
fn executor_section_is_checked_where_it_is_written() {
    let dir = fresh_dir("slurm-spec");
    let demo = std::fs::read_to_string(demo_spec()).unwrap();
    let spec = format!(
        "{demo}\n[executor.slurm]\npartition = \"short\"\ntime = \"2h\"\nmem = \"8G\"\ncpus_per_task = 0\n\n[executor.slurm.stages.leontief]\nmem = \"16GB\"\n\n[executor.slurm.stages.leontif]\nmem = \"16G\"\n"
    );
    std::fs::write(dir.join("s.toml"), &spec).unwrap();
    let (code, _, err) = gvc(&dir, &["check", "s.toml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`executor.slurm.time` = \"2h\" is not a Slurm time limit"),
        "{err}"
    );
    assert!(
        err.contains("`executor.slurm.cpus_per_task` must be a whole number"),
        "{err}"
    );
    assert!(err.contains("executor.slurm.stages.leontief.mem"), "{err}");
    assert!(err.contains("s.toml:"), "errors name the place: {err}");
    // Valid resources pass `check` and reach the scripts; a misspelt stage kind is named.
    let good = format!(
        "{demo}\n[executor.slurm]\naccount = \"econ\"\ntime = \"1:00:00\"\n\n[executor.slurm.stages.leontif]\nmem = \"16G\"\n"
    );
    std::fs::write(dir.join("g.toml"), &good).unwrap();
    let (code, _, err) = gvc(
        &dir,
        &[
            "run",
            "g.toml",
            "--executor",
            "slurm",
            "--dry-run",
            "--cache",
            "c",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("leontif") && err.contains("leontief"), "{err}");
    let good = good.replace("leontif]", "leontief]");
    std::fs::write(dir.join("g.toml"), &good).unwrap();
    let (code, out, err) = gvc(
        &dir,
        &[
            "run",
            "g.toml",
            "--executor",
            "slurm",
            "--dry-run",
            "--cache",
            "c",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("#SBATCH --account=econ"), "{out}");
    let leo = &out[out.find("# ---- 01-leontief.sh").unwrap()..];
    assert!(
        leo.contains("#SBATCH --mem=16G\n#SBATCH --time=1:00:00\n"),
        "{leo}"
    );
}

#[test]
fn demo_through_slurm_is_byte_identical_to_local() {
    let Some(_slurm) = slurm("demo_through_slurm_is_byte_identical_to_local") else {
        return;
    };
    let local = local_demo();
    let dir = fresh_dir("slurm-demo");
    let spec = demo_spec();
    let s = spec.to_str().unwrap();
    let err = ok(
        &dir,
        &[
            "run",
            s,
            "--cache",
            "cache",
            "--output",
            "out",
            "--executor",
            "slurm",
        ],
    );
    assert!(err.contains("slurm: 97 tasks"), "{err}");
    assert_same_tree(local, &dir.join("out"));
    // Every task computed its key once; the record and the logs are in the cache.
    let recs = records(&dir.join("cache"));
    assert_eq!(recs.len(), 1);
    let counts = computed(&[&recs[0].1]);
    assert_eq!(counts.len(), 97);
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
    // `gvc status` shows the run; a plain run afterwards finds everything cached.
    let (code, out, _) = gvc(&dir, &["status", s, "--cache", "cache"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("done 97 · running 0 · pending 0 · failed 0"),
        "{out}"
    );
    let err = ok(&dir, &["run", s, "--cache", "cache", "--output", "out2"]);
    assert!(err.contains("all 97 stages cached"), "{err}");
    assert_same_tree(local, &dir.join("out2"));
    let err = ok(
        &dir,
        &[
            "run",
            s,
            "--cache",
            "cache",
            "--output",
            "out3",
            "--executor",
            "slurm",
        ],
    );
    assert!(
        err.contains("all 97 stages cached"),
        "nothing is submitted: {err}"
    );
    assert_eq!(records(&dir.join("cache")).len(), 1);
}

#[test]
fn a_cancelled_task_is_completed_by_resubmission() {
    let Some(_slurm) = slurm("a_cancelled_task_is_completed_by_resubmission") else {
        return;
    };
    let local = local_demo();
    let dir = fresh_dir("slurm-cancel");
    let spec = demo_spec();
    let s = spec.to_str().unwrap();
    let out = {
        let (code, out, err) = gvc(
            &dir,
            &[
                "run",
                s,
                "--cache",
                "cache",
                "--executor",
                "slurm",
                "--detach",
            ],
        );
        assert_eq!(code, 0, "{err}");
        out
    };
    // stdout: one line per array, `<job id> <array name> …`.
    let arrays: Vec<(String, String)> = out
        .lines()
        .map(|l| {
            let mut f = l.split_whitespace();
            (f.next().unwrap().to_string(), f.next().unwrap().to_string())
        })
        .collect();
    let jobs: Vec<String> = arrays.iter().map(|(j, _)| j.clone()).collect();
    // Cancel the first task seen running that is not the report (so something downstream
    // is left undone).
    let report_job = arrays
        .iter()
        .find(|(_, n)| n.ends_with("-report"))
        .map(|(j, _)| j.clone());
    let start = Instant::now();
    let cancelled = loop {
        let running = queue().into_iter().find(|(j, _, st)| {
            st == "RUNNING" && jobs.contains(j) && Some(j) != report_job.as_ref()
        });
        if let Some((j, i, _)) = running {
            let task = format!("{j}_{i}");
            let st = Command::new("scancel")
                .arg(&task)
                .status()
                .expect("scancel");
            assert!(st.success());
            break task;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no task ever ran"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    wait_until_gone(&jobs, Duration::from_secs(300));
    let (code, status, _) = gvc(&dir, &["status", s, "--cache", "cache"]);
    assert_eq!(code, 0);
    assert!(
        status.contains("· not run ") || status.contains("failed: "),
        "cancelling {cancelled} left work undone: {status}"
    );
    let stale_before: BTreeSet<String> = {
        let (_, plan, _) = gvc(&dir, &["plan", s, "--cache", "cache", "--json"]);
        let plan: serde_json::Value = serde_json::from_str(&plan).unwrap();
        plan.as_array()
            .unwrap()
            .iter()
            .filter(|i| {
                !dir.join("cache/objects")
                    .join(i["kind"].as_str().unwrap())
                    .join(i["key"].as_str().unwrap())
                    .join("meta.json")
                    .is_file()
            })
            .map(|i| i["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!stale_before.is_empty());
    // Re-submission: only the missing stages are submitted and run; the outputs match, and
    // the local rendering finds every artifact whole (the cancelled task left none damaged).
    let err = ok(
        &dir,
        &[
            "run",
            s,
            "--cache",
            "cache",
            "--output",
            "out",
            "--executor",
            "slurm",
        ],
    );
    assert!(err.contains("all 97 stages cached"), "{err}");
    assert!(!err.contains("damaged"), "{err}");
    let recs = records(&dir.join("cache"));
    assert_eq!(recs.len(), 2);
    let second: BTreeSet<String> = task_keys(&recs[1].0).into_iter().collect();
    assert_eq!(
        second, stale_before,
        "the re-submission runs exactly the missing stages"
    );
    let ran: BTreeSet<String> = computed(&[&recs[1].1]).into_keys().collect();
    assert_eq!(ran, stale_before);
    assert_same_tree(local, &dir.join("out"));
}

#[test]
fn two_specs_sharing_stages_compute_each_shared_key_once() {
    let Some(_slurm) = slurm("two_specs_sharing_stages_compute_each_shared_key_once") else {
        return;
    };
    let dir = fresh_dir("slurm-shared");
    std::fs::copy(demo_spec(), dir.join("demo.toml")).unwrap();
    std::fs::write(
        dir.join("variant.toml"),
        "extends = \"demo.toml\"\n\n[study]\ntitle = \"Demo without 2010\"\n\n[sample]\nexclude_years = [2010]\n",
    )
    .unwrap();
    // Both submitted held, then released together: every shared stage is in both runs'
    // arrays, and their tasks race for it.
    let mut jobs = Vec::new();
    for s in ["demo.toml", "variant.toml"] {
        let (code, out, err) = gvc(
            &dir,
            &[
                "run",
                s,
                "--cache",
                "cache",
                "--executor",
                "slurm",
                "--detach",
                "--slurm-option",
                "extra=--hold",
            ],
        );
        assert_eq!(code, 0, "{err}");
        jobs.extend(
            out.lines()
                .map(|l| l.split_whitespace().next().unwrap().to_string()),
        );
    }
    let st = Command::new("scontrol")
        .arg("release")
        .arg(jobs.join(","))
        .status()
        .expect("scontrol release");
    assert!(st.success());
    wait_until_gone(&jobs, Duration::from_secs(600));
    let recs = records(&dir.join("cache"));
    assert_eq!(recs.len(), 2);
    let a: BTreeSet<String> = task_keys(&recs[0].0).into_iter().collect();
    let b: BTreeSet<String> = task_keys(&recs[1].0).into_iter().collect();
    let shared: Vec<&String> = a.intersection(&b).collect();
    // The tables, inverses, decompositions and covariates (11 × 3 + 1) are shared.
    assert!(shared.len() >= 34, "shared keys: {}", shared.len());
    let counts = computed(&[&recs[0].1, &recs[1].1]);
    for k in a.union(&b) {
        assert_eq!(
            counts.get(k),
            Some(&1),
            "key {k} computed {:?} times",
            counts.get(k)
        );
    }
    // Both render from the cache alone.
    for s in ["demo.toml", "variant.toml"] {
        let err = ok(
            &dir,
            &[
                "run",
                s,
                "--cache",
                "cache",
                "--output",
                &format!("out-{s}"),
            ],
        );
        assert!(err.contains("stages cached;"), "{err}");
    }
}

#[test]
fn adb_size_study_through_slurm_is_byte_identical_to_local() {
    let Some(_slurm) = slurm("adb_size_study_through_slurm_is_byte_identical_to_local") else {
        return;
    };
    let dir = fresh_dir("slurm-adb");
    let shape = gvc::cli::quick::study_bench::StudyShape {
        countries: 63,
        sectors: 35,
        years: 11,
        measures: vec![gvc::decompose::Family::Kpww],
        repeat: 1,
    };
    let text = gvc::cli::quick::study_bench::study_spec(&shape).expect("spec");
    std::fs::write(dir.join("adb.toml"), text).unwrap();
    // The identity residuals in run.json are sums whose order follows the thread count, so
    // byte-identical outputs need the table stages to get the local run's threads (the
    // results themselves do not depend on it): 2 cores, the default at n = 2,205, or fewer
    // on a smaller node.
    let cores = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(2);
    let threads = cores.to_string();
    let per_kind: Vec<String> = ["io_tables", "leontief", "decompose"]
        .iter()
        .map(|k| format!("{k}.cpus_per_task={cores}"))
        .collect();
    let t = Instant::now();
    ok(
        &dir,
        &[
            "run",
            "adb.toml",
            "--cache",
            "local",
            "--output",
            "out-local",
            "-q",
            "-j",
            &threads,
        ],
    );
    let local = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let err = ok(
        &dir,
        &[
            "run",
            "adb.toml",
            "--cache",
            "slurm",
            "--output",
            "out-slurm",
            "--executor",
            "slurm",
            "--slurm-option",
            &per_kind[0],
            "--slurm-option",
            &per_kind[1],
            "--slurm-option",
            &per_kind[2],
        ],
    );
    let through = t.elapsed().as_secs_f64();
    assert_same_tree(&dir.join("out-local"), &dir.join("out-slurm"));
    let recs = records(&dir.join("slurm"));
    let tasks = task_keys(&recs[0].0).len();
    eprintln!(
        "ADB-size study (63 × 35, 11 years): local {local:.1} s, through Slurm {through:.1} s, \
         {tasks} tasks, overhead {:.2} s per task on this node; {}",
        (through - local) / tasks as f64,
        err.lines().find(|l| l.starts_with("slurm:")).unwrap_or("")
    );
}

#[test]
fn a_multiverse_through_slurm_is_byte_identical_to_local() {
    let Some(_slurm) = slurm("a_multiverse_through_slurm_is_byte_identical_to_local") else {
        return;
    };
    let dir = fresh_dir("slurm-multiverse");
    let spec = crate::multiverse::small_spec(&dir);
    let s = spec.to_str().unwrap();
    ok(
        &dir,
        &["run", s, "--cache", "local", "--output", "out-local", "-q"],
    );
    let err = ok(
        &dir,
        &[
            "run",
            s,
            "--cache",
            "slurm",
            "--output",
            "out-slurm",
            "--executor",
            "slurm",
        ],
    );
    // Every output — estimates, summary with the joint test, curves, report — byte for byte.
    assert_same_tree(&dir.join("out-local"), &dir.join("out-slurm"));
    for f in [
        "multiverse/estimates.csv",
        "multiverse/estimates.parquet",
        "multiverse/summary.json",
        "report.md",
    ] {
        assert!(dir.join("out-slurm").join(f).is_file(), "{f}");
    }
    // The two multiverse stages (one per panel) ran as Slurm tasks, each once.
    let recs = records(&dir.join("slurm"));
    assert_eq!(recs.len(), 1);
    let counts = computed(&[&recs[0].1]);
    let (code, plan, perr) = crate::common::gvc(&dir, &["plan", s, "--cache", "slurm", "--json"]);
    assert_eq!(code, 0, "{perr}");
    let plan: serde_json::Value = serde_json::from_str(&plan).unwrap();
    let multiverse_keys: Vec<&str> = plan
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "multiverse")
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(multiverse_keys.len(), 2);
    for k in &multiverse_keys {
        assert_eq!(counts.get(*k), Some(&1), "{k} computed once through Slurm");
    }
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
    eprintln!(
        "multiverse (126 universes, 20 draws) through Slurm: {}",
        err.lines().find(|l| l.starts_with("slurm:")).unwrap_or("")
    );
}

#[test]
fn without_sbatch_the_error_names_the_fix() {
    let dir = fresh_dir("slurm-missing");
    let empty = dir.join("no-programs");
    std::fs::create_dir_all(&empty).unwrap();
    let spec = demo_spec();
    let (code, _, err) = crate::common::gvc_with_env(
        &dir,
        &[
            "run",
            spec.to_str().unwrap(),
            "--cache",
            "cache",
            "--executor",
            "slurm",
        ],
        &[("PATH", &empty)],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("sbatch not found") && err.contains("--executor local"),
        "{err}"
    );
    assert!(
        !dir.join("cache/slurm").exists(),
        "nothing written for Slurm"
    );
}
