//! `gvc package`: a replication package in the AEA Data Editor's template, and
//! `gvc package --verify`, which re-runs one and compares every byte.
//!
//! A package is a folder:
//!
//! ```text
//! README.md            data availability, computational requirements, instructions, tables
//! run.sh               rebuilds gvc at this version and regenerates output/
//! checksums.txt        sha256 of every input, spec, template and output (sha256sum -c)
//! specs/<name>.toml    each spec, extends chain merged, paths pointing into the package
//! templates/<name>/    the report templates a spec uses (if any)
//! data/<source>/       input files whose licence allows redistribution
//! output/<name>/       the outputs of the spec's last run
//! .gvc-package.json    what gvc wrote (so a package can be replaced, never a user's folder)
//! ```
//!
//! Submodules: [`licence`] (which licences allow copies), [`checksums`] (blake3 + sha256,
//! `checksums.txt`), `gather` (a spec's inputs, outputs and rewritten spec), [`readme`] (the
//! README), `folder` (writing the folder, owning only gvc's files), [`verify`].

pub mod checksums;
mod folder;
mod gather;
pub mod licence;
pub mod readme;
pub mod verify;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::run::{RunError, RunLog, RunOptions};
use crate::spec::Spec;
use checksums::FileSums;

/// The record of what `gvc package` wrote (the folder's marker).
pub const RECORD: &str = ".gvc-package.json";
/// The package's README.
pub const README: &str = "README.md";
/// The package's checksums.
pub const CHECKSUMS: &str = "checksums.txt";
/// The script that rebuilds gvc and regenerates the outputs.
pub const RUN_SH: &str = "run.sh";
/// Output files that record where the spec and its inputs were on the machine that ran it
/// (absolute paths, the spec's own text with its paths): shipped, but not checksummed, since a
/// re-run anywhere else writes other paths into them.
pub const PROVENANCE: &[&str] = &["manifest.json", "run.json", "spec.json"];

/// `.gvc-package.json`: the specs, sources and inputs of a package and every file gvc wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub gvc_version: String,
    pub specs: Vec<PackagedSpec>,
    pub sources: Vec<PackagedSource>,
    pub inputs: Vec<PackagedInput>,
    /// Every file gvc wrote into the package (relative, `/`-separated, sorted).
    pub files: Vec<String>,
}

/// One spec of a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackagedSpec {
    /// The spec's name (its file stem; names `output/<name>/`).
    pub name: String,
    /// `specs/<name>.toml`.
    pub file: String,
    /// `output/<name>`.
    pub output: String,
    /// Its templates folder in the package, when it uses one.
    pub templates: Option<String>,
}

/// One `[sources.<name>]` of a packaged spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackagedSource {
    pub spec: String,
    pub name: String,
    pub format: String,
    pub citation: Option<String>,
    pub licence: Option<String>,
    /// Where to get the data, in words (the spec's `download`, else the format's hint).
    pub download: String,
    /// Whether gvc generates the data from the spec (no files).
    pub synthetic: bool,
    /// The seed of a synthetic source.
    pub seed: Option<u64>,
    /// Whether the licence allows copies, so the files are in the package.
    pub copied: bool,
    /// The folder (or file) the packaged spec reads, relative to the package.
    pub path: Option<String>,
}

/// One input file of a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackagedInput {
    /// Where the packaged spec reads it, relative to the package (`data/<source>/…`).
    pub path: String,
    pub spec: String,
    pub source: String,
    /// Whether the package carries the file.
    pub copied: bool,
    /// Its modification time (UTC) when packaged.
    pub modified_utc: Option<String>,
    pub sums: FileSums,
}

/// How to build a package.
#[derive(Debug, Clone, Default)]
pub struct PackageOptions {
    /// The package folder.
    pub out: PathBuf,
    /// The cache the specs run against (as `gvc run --cache`).
    pub cache: Option<PathBuf>,
    /// Worker threads (0: the number of cores).
    pub jobs: usize,
    pub quiet: bool,
}

/// What `gvc package` did.
#[derive(Debug)]
pub struct PackageSummary {
    pub record: Record,
    /// Specs whose outputs were stale and were run first.
    pub ran: Vec<String>,
}

/// Why a package could not be written or verified.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{} is not empty and is not a package gvc wrote (it has no {RECORD}); gvc writes a \
         package only into a new or empty folder or over a package it wrote, and never deletes \
         files it did not write: choose another --out folder",
        dir.display()
    )]
    NotAPackage { dir: PathBuf },
    #[error(
        "{} is a file, not a folder: a package is a folder (fix: choose another --out folder)",
        dir.display()
    )]
    NotAFolder { dir: PathBuf },
    #[error(
        "{} exists and was not written by gvc; the package would overwrite it: move it away \
         or choose another --out folder",
        path.display()
    )]
    WouldOverwrite { path: PathBuf },
    #[error("{}: {message}; write the package again with `gvc package`", path.display())]
    BadRecord { path: PathBuf, message: String },
    #[error(
        "input file {} of `sources.{source}` (spec {spec}) lies outside the source's folder {}; \
         a package places each source's files under data/<source>/, so point `path` at a \
         folder holding every file the source reads",
        file.display(), folder.display(), source = source_name
    )]
    OutsideSource {
        spec: String,
        source_name: String,
        file: PathBuf,
        folder: PathBuf,
    },
    #[error(
        "input file {} is read by spec {spec} but belongs to none of its sources or its \
         templates folder, so the package cannot place it; name it through a source's `path`",
        file.display()
    )]
    UnplacedInput { spec: String, file: PathBuf },
    #[error(
        "the package needs data it does not carry (their licence does not allow copies):\n{}",
        missing.iter().map(|m| format!("  {}: {}; its sha256 must be {}", m.path, m.download, m.sha256)).collect::<Vec<_>>().join("\n")
    )]
    MissingData { missing: Vec<MissingInput> },
    #[error(transparent)]
    Checksums(#[from] checksums::BadLine),
    #[error("spec {name} appears twice; give each packaged spec its own file name")]
    DuplicateSpec { name: String },
    #[error("the output folder {} of spec {spec} is not a complete gvc output: {why}", dir.display())]
    Outputs {
        spec: String,
        dir: PathBuf,
        why: String,
    },
}

/// A non-redistributable input file a replicator must add.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingInput {
    /// Where it goes in the package.
    pub path: String,
    /// Where to get it.
    pub download: String,
    pub sha256: String,
}

fn io_err<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> PackageError + 'a {
    move |source| PackageError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a replication package of `specs` into `opts.out`: runs each spec whose outputs are
/// stale, then writes specs, templates, redistributable data, outputs, `run.sh`,
/// `checksums.txt` and the README.
pub fn package(specs: &[Spec], opts: &PackageOptions) -> Result<PackageSummary, PackageError> {
    let previous = folder::claim(&opts.out)?;
    let mut names = std::collections::BTreeSet::new();
    for s in specs {
        if !names.insert(s.name.clone()) {
            return Err(PackageError::DuplicateSpec {
                name: s.name.clone(),
            });
        }
    }
    let run_opts = RunOptions {
        cache: opts.cache.clone(),
        output: None,
        jobs: opts.jobs,
        quiet: opts.quiet,
    };
    let mut ran = Vec::new();
    let mut studies = Vec::new();
    for spec in specs {
        let (study, did_run) = gather::fresh_study(spec, &run_opts)?;
        if did_run {
            ran.push(spec.name.clone());
        }
        studies.push(study);
    }
    let contents = gather::contents(&studies)?;
    let record = folder::write(&opts.out, previous.as_ref(), contents)?;
    Ok(PackageSummary { record, ran })
}

/// The last run's measurements of each packaged spec, for the README.
#[derive(Debug, Clone)]
pub struct Measured {
    pub spec: String,
    pub log: Option<RunLog>,
}

/// Reads a package's record.
pub fn read_record(dir: &Path) -> Result<Record, PackageError> {
    let path = dir.join(RECORD);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(PackageError::BadRecord {
                path,
                message: "not found: this folder is not a package gvc wrote".into(),
            })
        }
        Err(e) => return Err(io_err("read", &path)(e)),
    };
    serde_json::from_slice(&bytes).map_err(|e| PackageError::BadRecord {
        path,
        message: format!("unreadable ({e})"),
    })
}

/// The version of gvc a package names, and where `run.sh` fetches it from.
pub fn repository() -> Option<&'static str> {
    Some(env!("CARGO_PKG_REPOSITORY")).filter(|r| !r.is_empty())
}
