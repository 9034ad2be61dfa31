//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The read-only `shared/` folder with golden values and real data: `$GVC_SHARED_DIR` if set,
/// else `../shared` beside the crate. `None` (with a message saying what is skipped) when absent.
pub fn shared_dir(what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("GVC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.join("golden").is_dir() || dir.join("data").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED {what}: shared folder not found at {} (set GVC_SHARED_DIR to the folder that holds golden/ and data/)",
            dir.display()
        );
        None
    }
}

/// Relative difference |a-b| / max(|a|,|b|,tiny); exact zero when both are zero.
pub fn rel_diff(a: f64, b: f64) -> f64 {
    if a == b {
        return 0.0;
    }
    (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
}

/// Path of the built `gvc` binary (cargo builds it for integration tests).
pub fn gvc_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gvc"))
}

/// A fresh, empty folder under the system temp dir, unique per call.
pub fn fresh_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let d = std::env::temp_dir().join(format!(
        "gvc-it-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

/// Runs `gvc` with arguments in a working folder; returns (exit code, stdout, stderr).
pub fn gvc(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    gvc_with_env(dir, args, &[])
}

/// [`gvc`] with extra environment variables (e.g. `GVC_DATA`); `GVC_CACHE` is always unset.
pub fn gvc_with_env(
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &std::path::Path)],
) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(gvc_bin());
    cmd.args(args).current_dir(dir).env_remove("GVC_CACHE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run gvc");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A JSON file (run.json, results.json, ...), failing the test with the path if unreadable.
pub fn read_json(path: &std::path::Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A Parquet file gvc wrote (panel.parquet, decomposition/*.parquet) as a frame.
pub fn read_parquet(path: &std::path::Path) -> polars::prelude::DataFrame {
    use polars::prelude::{ParquetReader, SerReader};
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file)
        .finish()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Writes a table in the labelled-csv layout (`<CTY>_<SECTOR>` rows and columns, `<CTY>_<FD>`
/// final-demand columns, a `VA` row and `OUT` row and column), as a test fixture.
pub fn write_labelled_csv(path: &std::path::Path, t: &gvc::iot::IoTable) {
    let n = t.n();
    let f = t.f();
    let mut s = String::from("label");
    for l in &t.labels {
        s.push_str(&format!(",{}_{}", l.block, l.sector));
    }
    for c in &t.countries {
        for k in &t.fd_categories {
            s.push_str(&format!(",{c}_{k}"));
        }
    }
    s.push_str(",OUT\n");
    for i in 0..n {
        s.push_str(&format!("{}_{}", t.labels[i].block, t.labels[i].sector));
        for j in 0..n {
            s.push_str(&format!(",{}", t.z[(i, j)]));
        }
        for j in 0..t.g() * f {
            s.push_str(&format!(",{}", t.y[(i, j)]));
        }
        s.push_str(&format!(",{}\n", t.x[i]));
    }
    let va = t.value_added();
    s.push_str("VA");
    for v in &va {
        s.push_str(&format!(",{v}"));
    }
    for _ in 0..t.g() * f {
        s.push(',');
    }
    s.push_str(",\nOUT");
    for x in &t.x {
        s.push_str(&format!(",{x}"));
    }
    for _ in 0..t.g() * f {
        s.push(',');
    }
    s.push_str(",\n");
    std::fs::write(path, s).expect("write labelled csv");
}

/// The log of the last run of spec `name` kept in the cache folder `cache`
/// (`runs/<name>-<hash>.json`): each stage's outcome (`ran`, `cached`, `recomputed`) and seconds.
pub fn last_run(cache: &std::path::Path, name: &str) -> serde_json::Value {
    let dir = cache.join("runs");
    let found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.rsplit_once('-'))
                .is_some_and(|(stem, _)| stem == name)
        })
        .collect();
    assert_eq!(found.len(), 1, "one run log of {name} in {}", dir.display());
    read_json(&found[0])
}

/// (stage, instance, outcome) of the last run of spec `name` with the cache `cache`.
pub fn outcomes_in(cache: &std::path::Path, name: &str) -> Vec<(String, String, String)> {
    last_run(cache, name)["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| {
            (
                s["stage"].as_str().unwrap_or_default().to_string(),
                s["instance"].as_str().unwrap_or_default().to_string(),
                s["outcome"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Every file under `dir` (relative path → bytes), for comparing two output folders byte for
/// byte.
pub fn tree_bytes(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Asserts two folders hold the same files with the same bytes, naming the first difference.
pub fn assert_same_tree(a: &std::path::Path, b: &std::path::Path) {
    let (ta, tb) = (tree_bytes(a), tree_bytes(b));
    let names_a: Vec<&String> = ta.keys().collect();
    let names_b: Vec<&String> = tb.keys().collect();
    assert_eq!(
        names_a,
        names_b,
        "{} and {} hold other files",
        a.display(),
        b.display()
    );
    for (name, bytes) in &ta {
        assert!(
            bytes == &tb[name],
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// Writes the inputs of a small file-based study into `dir`: synthetic labelled-CSV tables
/// `tables/io_<year>.csv` of `countries` × 3 sectors × 2 final-demand categories (seed `seed`),
/// each passed through `edit` before it is written, and a covariate `cov.csv` (iso3, year, x1)
/// with a deterministic, non-collinear x1.
pub fn write_study_inputs(
    dir: &std::path::Path,
    seed: u64,
    countries: &[&str],
    years: std::ops::RangeInclusive<i32>,
    mut edit: impl FnMut(i32, &mut gvc::iot::IoTable),
) {
    use gvc::sources::mrio::synthetic::{generate, Names, SyntheticSpec};
    std::fs::create_dir_all(dir.join("tables")).unwrap();
    let spec = SyntheticSpec {
        seed,
        countries: countries.iter().map(|c| c.to_string()).collect(),
        sectors: Names::Count(3),
        fd_categories: Names::Count(2),
        years: vec![],
    };
    for year in years.clone() {
        let mut t = generate(&spec, year).unwrap();
        edit(year, &mut t);
        write_labelled_csv(&dir.join(format!("tables/io_{year}.csv")), &t);
    }
    let mut cov = String::from("iso3,year,x1\n");
    for (i, c) in countries.iter().enumerate() {
        for y in years.clone() {
            cov.push_str(&format!(
                "{c},{y},{}\n",
                1.0 + i as f64 * 0.7
                    + (y - 2008) as f64 * 0.13
                    + ((i * 7 + y as usize) % 5) as f64 * 0.05
            ));
        }
    }
    std::fs::write(dir.join("cov.csv"), cov).unwrap();
}

/// The spec of the study [`write_study_inputs`] writes: `tables/io_{year}.csv` as `mrio` and
/// `cov.csv` as `cov` (four iso3 countries, 2008–2012), KPWW participation on `x1` with the
/// given estimators (and a Hausman test when both FE and RE are listed). `mrio_extra` and
/// `cov_extra` are lines added to the two source sections (licence, download, …).
pub fn file_study_spec(title: &str, mrio_extra: &str, cov_extra: &str, estimators: &str) -> String {
    let hausman = if estimators.contains("\"fe\"") && estimators.contains("\"re\"") {
        "hausman = true\n"
    } else {
        ""
    };
    format!(
        r#"
[study]
title = "{title}"
[sources.mrio]
format = "labelled-csv"
path = "tables"
files = "io_{{year}}.csv"
{mrio_extra}[sources.cov]
format = "csv"
path = "cov.csv"
country = "iso3"
{cov_extra}[countries]
codes = "iso3"
all = ["AUS", "BRA", "CAN", "DEU"]
[sample]
countries = "all"
years = [2008, 2012]
[decomposition]
measures = ["kpww"]
[variables]
gvcp = {{ from = "decomposition.kpww.participation", label = "GVC participation" }}
x1 = {{ from = "cov.x1", label = "Covariate one" }}
[[models]]
name = "m"
dependent = "gvcp"
regressors = ["x1"]
estimators = [{estimators}]
{hausman}"#
    )
}

/// Copies gvc's built-in templates into `dir/templates` (a study with its own templates).
pub fn copy_builtin_templates(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    for (name, text) in gvc::report::BUILTIN_TEMPLATES.iter() {
        std::fs::write(dir.join("templates").join(name), text).unwrap();
    }
}

/// The header and every row of a CSV file as strings (empty cells stay empty strings), failing
/// the test with the path if it cannot be read.
pub fn read_csv_cells(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = rdr
        .headers()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .iter()
        .map(str::to_string)
        .collect();
    let rows = rdr
        .records()
        .map(|r| {
            r.unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    (header, rows)
}
