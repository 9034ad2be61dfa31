//! `gvc package SPEC… --out DIR` and `gvc package --verify DIR`: a thin layer over
//! [`crate::package`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{error_chain, Failure};
use crate::package::verify::{verify, VerifyOptions};
use crate::package::{package, PackageError, PackageOptions};

#[derive(Args, Debug)]
pub struct PackageArgs {
    /// The study specs to package (several specs share one package).
    #[arg(required_unless_present = "verify", conflicts_with = "verify")]
    pub specs: Vec<PathBuf>,
    /// The package folder: new, empty, or a package gvc wrote before (replaced).
    #[arg(long, value_name = "DIR", required_unless_present = "verify")]
    pub out: Option<PathBuf>,
    /// Verify the package in DIR instead: re-run it in a temporary folder and name every file
    /// whose bytes differ from its checksums.txt (exit 1 when any does).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["out", "set", "cache"])]
    pub verify: Option<PathBuf>,
    /// Override a spec key: dotted.key=value (TOML value syntax), repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Cache folder the specs run against (default: $GVC_CACHE, else .gvc-cache/ beside the spec).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Worker threads, 1 to 1024 (default: number of cores).
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u16).range(1..=super::MAX_JOBS as i64))]
    pub jobs: Option<u16>,
    /// No progress bars or summary lines.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn failure(e: PackageError) -> Failure {
    match e {
        PackageError::Run(r) => Failure::from(r),
        e @ (PackageError::NotAPackage { .. }
        | PackageError::NotAFolder { .. }
        | PackageError::WouldOverwrite { .. }
        | PackageError::DuplicateSpec { .. }
        | PackageError::BadRecord { .. }
        | PackageError::MissingData { .. }) => Failure::Spec(format!("error: {e}")),
        other => Failure::Run(error_chain(&other)),
    }
}

/// Runs `gvc package`; returns the exit code (1 when a verified package differs).
pub fn package_cmd(a: &PackageArgs) -> Result<ExitCode, Failure> {
    let jobs = a.jobs.map_or(0, usize::from);
    if let Some(dir) = &a.verify {
        let report = verify(dir, &VerifyOptions { jobs }).map_err(failure)?;
        if report.differences.is_empty() {
            if !a.quiet {
                eprintln!(
                    "{}: all {} compared files match checksums.txt",
                    dir.display(),
                    report.compared
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        for d in &report.differences {
            println!("differs: {} ({})", d.path, d.what);
        }
        eprintln!(
            "{}: {} of {} compared files differ",
            dir.display(),
            report.differences.len(),
            report.compared
        );
        return Ok(ExitCode::from(1));
    }
    let Some(out) = &a.out else {
        return Err(Failure::Spec("error: gvc package needs --out DIR".into()));
    };
    let specs = a
        .specs
        .iter()
        .map(|p| super::load(p, &a.set))
        .collect::<Result<Vec<_>, _>>()?;
    let opts = PackageOptions {
        out: out.clone(),
        cache: a.cache.clone(),
        jobs,
        quiet: a.quiet,
    };
    let summary = package(&specs, &opts).map_err(failure)?;
    if !a.quiet {
        let r = &summary.record;
        let withheld = r.inputs.iter().filter(|i| !i.copied).count();
        eprintln!(
            "package of {} spec(s) in {}: {} files, {} input file(s) included, {} to be obtained by replicators",
            r.specs.len(),
            out.display(),
            r.files.len(),
            r.inputs.len() - withheld,
            withheld
        );
        for s in r.sources.iter().filter(|s| !s.synthetic && !s.copied) {
            eprintln!(
                "note: `sources.{}` of {} is not copied (licence: {}); the README says where to get it",
                s.name,
                s.spec,
                s.licence.as_deref().unwrap_or("none recorded")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
