//! The bad-input corpus (`tests/bad_inputs/<group>/<case>/`): each case is a folder with a
//! `case.toml` and the files it needs. The case runs the real `gvc` in a fresh copy of its
//! folder and must end with its exit code and messages: never a panic, never a hang, never a
//! file it did not write changed or removed, never a file written outside its folder.
//!
//! `case.toml`:
//!
//! ```toml
//! about = "what is wrong, in words"
//! args = ["check", "spec.toml"]      # the gvc command line; ${REPO} and ${SHARED} expand
//! exit = 2                           # the expected exit code
//! messages = ["spec.toml:4:1", "unknown key"]   # fragments of stdout+stderr, all required
//! absent = ["internal error"]        # fragments that must not appear (optional)
//! needs_shared = false               # skip (SKIPPED) when ../shared is absent (optional)
//! changes = ["output/"]              # pre-existing files the command may change (optional)
//! links = [["templates/x.tera", "/etc/passwd"]]   # symlinks to create: [link, target] (optional)
//! run_first = [["run", "spec.toml"]] # commands that must succeed before the case (optional)
//! setup = [["flip", ".gvc-cache/objects/leontief"]]  # edits after run_first (optional)
//! generate = "labelled_tables"       # a fixture generator of this file (optional)
//! ```
//!
//! `setup` steps damage or add files after `run_first`, before the files are recorded: `flip`
//! (XOR one byte in the middle), `truncate` (cut to half its length) and `delete` take a file,
//! or a folder meaning the first `.parquet` or `.f64` file under it in name order; `write` takes a file
//! and its new text; `replace_keep_mtime` takes a file, a text and its same-length replacement,
//! and restores the file's modification time (an edit as `cp -p` leaves it). Generators (`generate`) write fixtures a text file cannot hold:
//! `labelled_tables`, `adb:<variant>` (an ADB MRIO workbook, `tables/ADB-MRIO-2005.xlsx`) and
//! `parquet:<variant>` (`cov.parquet`); see [`generate`].
//!
//! One test runs them all and prints a table (case, exit code, verdict). A case without a
//! message fragment fails. `GVC_BAD_INPUTS_DUMP=DIR` writes every case's output to `DIR` (see
//! [`dump_output`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::{self, fresh_dir};
use crate::support;

/// How long a case may take before it counts as a hang.
const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    about: String,
    args: Vec<String>,
    exit: i32,
    #[serde(default)]
    messages: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    needs_shared: bool,
    #[serde(default)]
    changes: Vec<String>,
    #[serde(default)]
    links: Vec<(String, String)>,
    #[serde(default)]
    run_first: Vec<Vec<String>>,
    #[serde(default)]
    setup: Vec<Vec<String>>,
    #[serde(default)]
    generate: Option<String>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shared() -> PathBuf {
    std::env::var_os("GVC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"))
}

fn expand(s: &str, work: &Path) -> String {
    s.replace("${REPO}", &repo().display().to_string())
        .replace("${SHARED}", &shared().display().to_string())
        .replace("${WORK}", &work.display().to_string())
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from).into_iter().flatten() {
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else if e.file_type().is_symlink() {
            #[cfg(unix)]
            {
                let target = std::fs::read_link(e.path()).unwrap();
                let _ = std::os::unix::fs::symlink(target, &dest);
            }
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes (links as their target text).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .flatten()
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let bytes = if e.file_type().is_symlink() {
                std::fs::read_link(e.path())
                    .map(|t| t.to_string_lossy().into_owned().into_bytes())
                    .unwrap_or_default()
            } else {
                std::fs::read(e.path()).unwrap_or_default()
            };
            (rel, bytes)
        })
        .collect()
}

/// Runs gvc with a timeout; returns (exit code or None on timeout, stdout + stderr).
fn run_gvc(work: &Path, args: &[String]) -> (Option<i32>, String) {
    use std::io::Read;
    let mut child = std::process::Command::new(common::gvc_bin())
        .args(args)
        .current_dir(work)
        .env_remove("GVC_CACHE")
        .env("GVC_DATA", shared().join("data"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start gvc");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().or(Some(-1));
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = t_out.join().unwrap_or_default() + &t_err.join().unwrap_or_default();
    (code, text)
}

/// Fixture generators a case may ask for (`generate = "…"`), writing into its work folder.
fn generate(name: &str, work: &Path) -> Result<(), String> {
    use gvc::sources::mrio::synthetic::{generate, Names, SyntheticSpec};
    if let Some(variant) = name.strip_prefix("adb:") {
        return adb_workbook(variant, work);
    }
    if let Some(variant) = name.strip_prefix("parquet:") {
        return parquet_table(variant, work);
    }
    match name {
        // tables/io_2010.csv … io_2012.csv: a 3-country, 3-sector labelled-csv table per year.
        "labelled_tables" => {
            std::fs::create_dir_all(work.join("tables")).map_err(|e| e.to_string())?;
            let spec = SyntheticSpec {
                seed: 11,
                countries: vec!["AUS".into(), "BRA".into(), "CAN".into()],
                sectors: Names::Count(3),
                fd_categories: Names::Count(2),
                years: vec![],
            };
            for year in 2010..=2012 {
                let t = generate(&spec, year).map_err(|e| e.to_string())?;
                common::write_labelled_csv(&work.join(format!("tables/io_{year}.csv")), &t);
            }
            Ok(())
        }
        other => Err(format!("unknown generator `{other}`")),
    }
}

/// `tables/ADB-MRIO-2005.xlsx`: the small ADB-layout fixture ([`support::small_table`]: PRC,
/// KAZ, RoW × 4 sectors, year 2005, data from E8), intact (`ok`) or with one defect.
fn adb_workbook(variant: &str, work: &Path) -> Result<(), String> {
    use support::{adb_sheet, small_table, AdbEdition, XCell, FIRST_COL, FIRST_ROW};
    let table = small_table();
    let mut sheet = adb_sheet(&table, AdbEdition::Mrio62);
    let n = table.n();
    let tot = FIRST_COL + n + table.g() * table.f();
    let r69 = FIRST_ROW + n + 7;
    match variant {
        "ok" => {}
        // G9: row 2 (PRC c2), column 3 of the intermediate block.
        "text_cell" => sheet.set(FIRST_ROW + 1, FIRST_COL + 2, XCell::Text("n/a".into())),
        "huge_cell" => sheet.set(FIRST_ROW + 1, FIRST_COL + 2, XCell::Num(1e308)),
        "nan_text_cell" => sheet.set(FIRST_ROW + 1, FIRST_COL + 2, XCell::Text("NaN".into())),
        "no_output_row" => sheet.remove_row(r69),
        // The `ToT` cell of PRC c2 disagrees with its `r69` cell.
        "output_mismatch" => sheet.set(FIRST_ROW + 1, tot, XCell::Num(1.0e9)),
        // PRC c2 sells nothing and has zero output in both totals, while its column still
        // buys inputs: value added would be minus those inputs.
        "zero_output" => {
            for j in FIRST_COL..=tot {
                sheet.set(FIRST_ROW + 1, j, XCell::Num(0.0));
            }
            sheet.set(r69, FIRST_COL + 1, XCell::Num(0.0));
        }
        "negative_output" => {
            sheet.set(FIRST_ROW + 1, tot, XCell::Num(-5.0));
            sheet.set(r69, FIRST_COL + 1, XCell::Num(-5.0));
        }
        other => return Err(format!("unknown adb variant `{other}`")),
    }
    std::fs::create_dir_all(work.join("tables")).map_err(|e| e.to_string())?;
    sheet
        .save(&work.join("tables/ADB-MRIO-2005.xlsx"))
        .map_err(|e| e.to_string())
}

/// `cov.parquet`: a long covariate table (iso3, year, x1) of AUS, BRA and CHN in 2010–2012,
/// intact (`ok`) or with one defect.
fn parquet_table(variant: &str, work: &Path) -> Result<(), String> {
    use polars::prelude::*;
    let iso3: Vec<&str> = ["AUS", "BRA", "CHN"].iter().flat_map(|c| [*c; 3]).collect();
    let mut year: Vec<f64> = (0..9).map(|i| f64::from(2010 + i % 3)).collect();
    let x1: Vec<f64> = (0..9).map(|i| 1.0 + f64::from(i) * 0.25).collect();
    let x1_column = match variant {
        "ok" => Column::new("x1".into(), x1),
        "fractional_year" => {
            year[4] = 2011.5;
            Column::new("x1".into(), x1)
        }
        // x1 stored as text, one cell not a number.
        "text_value" => {
            let mut text: Vec<String> = x1.iter().map(f64::to_string).collect();
            text[5] = "abc".into();
            Column::new("x1".into(), text)
        }
        "duplicate_row" => {
            year[1] = 2010.0;
            Column::new("x1".into(), x1)
        }
        other => return Err(format!("unknown parquet variant `{other}`")),
    };
    let mut df = DataFrame::new(
        9,
        vec![
            Column::new("iso3".into(), iso3),
            Column::new("year".into(), year),
            x1_column,
        ],
    )
    .map_err(|e| e.to_string())?;
    let file = std::fs::File::create(work.join("cov.parquet")).map_err(|e| e.to_string())?;
    ParquetWriter::new(file)
        .finish(&mut df)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The file a `setup` step acts on: `path` itself, or the first `.parquet` or `.f64` (raw
/// matrix) file under the folder `path` in name order.
fn setup_target(path: &Path) -> Result<PathBuf, String> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .find(|p| p.extension().is_some_and(|x| x == "parquet" || x == "f64"))
        .ok_or_else(|| format!("no .parquet or .f64 file under {}", path.display()))
}

/// Runs one `setup` step ([module doc](self)).
fn setup_step(step: &[String], work: &Path) -> Result<(), String> {
    let (what, path) = match step {
        [what, path, ..] => (what.as_str(), work.join(path)),
        _ => return Err(format!("setup step {step:?} needs an action and a path")),
    };
    let io = |e: std::io::Error| format!("setup {what} {}: {e}", path.display());
    match (what, &step[2..]) {
        ("flip", []) => {
            let file = setup_target(&path)?;
            let mut bytes = std::fs::read(&file).map_err(io)?;
            let mid = bytes.len() / 2;
            let byte = bytes
                .get_mut(mid)
                .ok_or("cannot flip a byte of an empty file")?;
            *byte ^= 0x01;
            std::fs::write(&file, bytes).map_err(io)
        }
        ("truncate", []) => {
            let file = setup_target(&path)?;
            let bytes = std::fs::read(&file).map_err(io)?;
            std::fs::write(&file, &bytes[..bytes.len() / 2]).map_err(io)
        }
        ("delete", []) => std::fs::remove_file(setup_target(&path)?).map_err(io),
        // Replaces `from` by `to` (same length) and puts back the modification time: an edit
        // in place as `cp -p` or `rsync -t` leaves it.
        ("replace_keep_mtime", [from, to]) => {
            if from.len() != to.len() {
                return Err(format!(
                    "replace_keep_mtime: `{from}` and `{to}` differ in length"
                ));
            }
            let mtime = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .map_err(io)?;
            let text = std::fs::read_to_string(&path).map_err(io)?;
            if !text.contains(from.as_str()) {
                return Err(format!(
                    "replace_keep_mtime: `{from}` not in {}",
                    path.display()
                ));
            }
            std::fs::write(&path, text.replacen(from.as_str(), to, 1)).map_err(io)?;
            let file = std::fs::File::options()
                .write(true)
                .open(&path)
                .map_err(io)?;
            file.set_modified(mtime).map_err(io)
        }
        ("write", [text]) => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::write(&path, text).map_err(io)
        }
        _ => Err(format!("unknown setup step {step:?}")),
    }
}

/// The verdict of one case: `None` when it passed, else what went wrong.
fn run_case(dir: &Path) -> (String, Option<i32>, Option<String>) {
    let name = dir
        .strip_prefix(repo().join("tests/bad_inputs"))
        .unwrap()
        .display()
        .to_string();
    let text = match std::fs::read_to_string(dir.join("case.toml")) {
        Ok(t) => t,
        Err(e) => return (name, None, Some(format!("case.toml: {e}"))),
    };
    let case: Case = match toml::from_str(&text) {
        Ok(c) => c,
        Err(e) => return (name, None, Some(format!("case.toml: {e}"))),
    };
    let _ = &case.about;
    if case.needs_shared && !shared().join("data").is_dir() {
        eprintln!("SKIPPED bad input {name}: needs ../shared");
        return (name, Some(case.exit), None);
    }
    let work = fresh_dir("bad");
    copy_tree(dir, &work);
    let _ = std::fs::remove_file(work.join("case.toml"));
    if let Some(g) = &case.generate {
        if let Err(e) = generate(g, &work) {
            return (name, None, Some(e));
        }
    }
    #[cfg(unix)]
    for (link, target) in &case.links {
        let link = work.join(link);
        if let Some(p) = link.parent() {
            let _ = std::fs::create_dir_all(p);
        }
        let _ = std::os::unix::fs::symlink(expand(target, &work), &link);
    }
    for pre in &case.run_first {
        let args: Vec<String> = pre.iter().map(|a| expand(a, &work)).collect();
        let (code, out) = run_gvc(&work, &args);
        if code != Some(0) {
            return (
                name,
                code,
                Some(format!("setup `gvc {}` failed: {out}", args.join(" "))),
            );
        }
    }
    for step in &case.setup {
        if let Err(e) = setup_step(step, &work) {
            return (name, None, Some(e));
        }
    }
    let before = snapshot(&work);
    let args: Vec<String> = case.args.iter().map(|a| expand(a, &work)).collect();
    let (code, out) = run_gvc(&work, &args);
    dump_output(&name, code, &out);
    let mut problems = Vec::new();
    if case.messages.is_empty() {
        problems.push("case.toml lists no message fragment (every case names its file/key)".into());
    }
    match code {
        None => problems.push(format!("no answer within {} s (a hang)", TIMEOUT.as_secs())),
        Some(c) if c != case.exit => problems.push(format!("exit {c}, expected {}", case.exit)),
        _ => {}
    }
    if out.contains("panicked") || out.contains("RUST_BACKTRACE") || matches!(code, Some(101 | 134))
    {
        problems.push("panicked".into());
    }
    for m in &case.messages {
        let m = expand(m, &work);
        if !out.contains(&m) {
            problems.push(format!("message lacks `{m}`"));
        }
    }
    for m in &case.absent {
        if out.contains(m.as_str()) {
            problems.push(format!("message has `{m}`"));
        }
    }
    let after = snapshot(&work);
    for (file, bytes) in &before {
        if case.changes.iter().any(|c| file.starts_with(c.as_str())) {
            continue;
        }
        match after.get(file) {
            None => problems.push(format!("{file} was deleted")),
            Some(b) if b != bytes => problems.push(format!("{file} was changed")),
            _ => {}
        }
    }
    let verdict = if problems.is_empty() {
        None
    } else {
        Some(format!(
            "{}\n      output: {}",
            problems.join("; "),
            out.trim().replace('\n', "\n              ")
        ))
    };
    let _ = std::fs::remove_dir_all(&work);
    (name, code, verdict)
}

/// With `GVC_BAD_INPUTS_DUMP=DIR`, writes each case's exit code and output to
/// `DIR/<group>__<case>.txt`, for writing and reviewing the expected messages.
fn dump_output(name: &str, code: Option<i32>, out: &str) {
    let Some(dir) = std::env::var_os("GVC_BAD_INPUTS_DUMP") else {
        return;
    };
    let dir = PathBuf::from(dir);
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join(format!("{}.txt", name.replace('/', "__")));
    let _ = std::fs::write(file, format!("exit {code:?}\n{out}"));
}

fn case_dirs() -> Vec<PathBuf> {
    let root = repo().join("tests/bad_inputs");
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_name() == "case.toml")
        .map(|e| e.path().parent().unwrap().to_path_buf())
        .collect();
    out.sort();
    out
}

#[test]
fn every_bad_input_gives_its_located_error() {
    let cases = case_dirs();
    assert!(!cases.is_empty(), "no cases under tests/bad_inputs");
    // Two at a time: each case is a separate gvc process.
    let results: Vec<(String, Option<i32>, Option<String>)> = std::thread::scope(|s| {
        let chunks: Vec<&[PathBuf]> = cases.chunks(cases.len().div_ceil(2)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| s.spawn(move || chunk.iter().map(|d| run_case(d)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut table =
        String::from("\ncase                                                     exit  verdict\n");
    let mut failed = 0;
    for (name, code, verdict) in &results {
        let code = code.map_or("hang".to_string(), |c| c.to_string());
        match verdict {
            None => table.push_str(&format!("{name:<56} {code:>4}  ok\n")),
            Some(why) => {
                failed += 1;
                table.push_str(&format!("{name:<56} {code:>4}  FAILED: {why}\n"));
            }
        }
    }
    table.push_str(&format!("{} cases, {} failed\n", results.len(), failed));
    eprintln!("{table}");
    assert_eq!(failed, 0, "{table}");
}
