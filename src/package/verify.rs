//! `gvc package --verify DIR`: checks every file of a package against `checksums.txt`, re-runs
//! its specs in a temporary copy (fresh cache, fresh output folders) and compares every
//! output the re-run writes. A non-redistributable input the replicator has not added yet is
//! an error naming the file and where to get it.

use std::path::{Path, PathBuf};

use super::checksums::{file_sums, parse};
use super::{io_err, read_record, MissingInput, PackageError, CHECKSUMS, PROVENANCE};
use crate::engine::run::{self, RunError, RunOptions};

/// How to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Worker threads (0: the number of cores).
    pub jobs: usize,
}

/// A file whose bytes are not what `checksums.txt` records.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// The file, relative to the package.
    pub path: String,
    /// What is wrong with it.
    pub what: String,
}

/// What a verification found.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// How many files were compared (package files and re-run outputs).
    pub compared: usize,
    pub differences: Vec<Difference>,
}

/// Verifies the package in `dir`.
pub fn verify(dir: &Path, opts: &VerifyOptions) -> Result<VerifyReport, PackageError> {
    let record = read_record(dir)?;
    let sums_path = dir.join(CHECKSUMS);
    let text = std::fs::read_to_string(&sums_path).map_err(io_err("read", &sums_path))?;
    let sums = parse(&text, &sums_path.display().to_string())?;
    let missing: Vec<MissingInput> = record
        .inputs
        .iter()
        .filter(|i| !i.copied && !dir.join(&i.path).is_file())
        .map(|i| MissingInput {
            path: i.path.clone(),
            download: record
                .sources
                .iter()
                .find(|s| s.spec == i.spec && s.name == i.source)
                .map_or_else(String::new, |s| s.download.clone()),
            sha256: i.sums.sha256.clone(),
        })
        .collect();
    if !missing.is_empty() {
        return Err(PackageError::MissingData { missing });
    }
    let mut report = VerifyReport::default();
    for (rel, sha) in &sums {
        report.compared += 1;
        let p = dir.join(rel);
        match file_sums(&p) {
            Err(_) => report.differences.push(Difference {
                path: rel.clone(),
                what: "missing from the package".into(),
            }),
            Ok(s) if &s.sha256 != sha => report.differences.push(Difference {
                path: rel.clone(),
                what: "the package's file differs from checksums.txt".into(),
            }),
            Ok(_) => {}
        }
    }
    let temp = temp_copy(dir)?;
    let result = rerun(&temp, &record, &sums, opts, &mut report);
    let _ = std::fs::remove_dir_all(&temp);
    result?;
    Ok(report)
}

/// Re-runs every spec in the copy and compares its outputs with `checksums.txt`.
fn rerun(
    temp: &Path,
    record: &super::Record,
    sums: &std::collections::BTreeMap<String, String>,
    opts: &VerifyOptions,
    report: &mut VerifyReport,
) -> Result<(), PackageError> {
    for sp in &record.specs {
        let spec = crate::spec::load_spec(&temp.join(&sp.file), &[]).map_err(RunError::Spec)?;
        let run_opts = RunOptions {
            cache: Some(temp.join(".gvc-cache")),
            output: Some(temp.join(&sp.output)),
            jobs: opts.jobs,
            quiet: true,
        };
        if let Err(e) = run::run(&spec, &run_opts) {
            if report.differences.is_empty() {
                return Err(e.into());
            }
            // The run failed on inputs already named as different: report those.
            report.differences.push(Difference {
                path: sp.file.clone(),
                what: format!("the re-run failed: {}", crate::engine::error_chain(&e)),
            });
            continue;
        }
        let prefix = format!("{}/", sp.output);
        let mut produced = std::collections::BTreeSet::new();
        for e in walkdir::WalkDir::new(temp.join(&sp.output))
            .sort_by_file_name()
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
        {
            let inner = e
                .path()
                .strip_prefix(temp.join(&sp.output))
                .unwrap_or(e.path());
            let inner = inner
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            if PROVENANCE.contains(&inner.as_str()) {
                continue;
            }
            produced.insert(format!("{prefix}{inner}"));
        }
        for (rel, sha) in sums.iter().filter(|(r, _)| r.starts_with(&prefix)) {
            report.compared += 1;
            match file_sums(&temp.join(rel)) {
                Err(_) => report.differences.push(Difference {
                    path: rel.clone(),
                    what: "the re-run did not write it".into(),
                }),
                Ok(s) if &s.sha256 != sha => report.differences.push(Difference {
                    path: rel.clone(),
                    what: "the re-run wrote other bytes than checksums.txt records".into(),
                }),
                Ok(_) => {}
            }
        }
        for extra in produced.iter().filter(|p| !sums.contains_key(*p)) {
            report.differences.push(Difference {
                path: extra.clone(),
                what: "the re-run wrote it, but checksums.txt does not list it".into(),
            });
        }
    }
    Ok(())
}

/// A copy of the package in a new temporary folder, without its outputs, cache or built gvc
/// (the re-run writes those afresh).
fn temp_copy(dir: &Path) -> Result<PathBuf, PackageError> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let temp = std::env::temp_dir().join(format!("gvc-verify-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&temp).map_err(io_err("create", &temp))?;
    let skip = ["output", ".gvc-cache", ".gvc-bin"];
    for e in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| {
            e.depth() != 1 || !skip.contains(&e.file_name().to_string_lossy().as_ref())
        })
        .flatten()
    {
        let rel = e.path().strip_prefix(dir).unwrap_or(e.path());
        let to = temp.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).map_err(io_err("create", &to))?;
        } else if e.file_type().is_file() {
            std::fs::copy(e.path(), &to).map_err(io_err("copy", e.path()))?;
        }
    }
    Ok(temp)
}
