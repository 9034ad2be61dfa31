//! A run of a spec: plan, execute what is stale, publish `output/<spec>/`.

use std::path::PathBuf;

use super::cache::{Cache, CacheError};
use super::exec::{execute, ExecOptions, InstanceReport, Outcome};
use super::hashing::FileHasher;
use super::plan::{self, Layout, Plan};
use super::publish::{self, PublishError};
use super::StageError;
use crate::spec::{Diagnostics, Spec};

/// Why a run failed: the spec (exit 2) or the work (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Spec(Diagnostics),
    #[error(transparent)]
    Stage(#[from] StageError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// Where the cache and outputs go, and how to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// `--cache DIR`; else `$GVC_CACHE`; else `.gvc-cache/` beside the spec.
    pub cache: Option<PathBuf>,
    /// Output folder override; else `[study] output`; else `output/<spec name>`.
    pub output: Option<PathBuf>,
    pub jobs: usize,
    pub quiet: bool,
}

/// The cache folder for a spec under these options.
pub fn cache_dir(spec: &Spec, opts: &RunOptions) -> PathBuf {
    if let Some(c) = &opts.cache {
        return c.clone();
    }
    if let Some(c) = std::env::var_os("GVC_CACHE").filter(|v| !v.is_empty()) {
        return PathBuf::from(c);
    }
    spec.dir.join(".gvc-cache")
}

/// The output folder for a spec under these options.
pub fn output_dir(spec: &Spec, opts: &RunOptions) -> PathBuf {
    if let Some(o) = &opts.output {
        return o.clone();
    }
    if let Some(o) = &spec.study.output {
        return spec.dir.join(o);
    }
    PathBuf::from("output").join(&spec.name)
}

/// A spec's plan with the cache it runs against.
pub struct Prepared {
    pub plan: Plan,
    pub layout: Layout,
    pub cache: Cache,
    pub hasher: FileHasher,
    /// Under which name the spec's last parameters and run log are kept in the cache.
    pub scope: String,
}

/// Builds the plan of a spec (no data is read beyond hashing input files).
pub fn prepare(spec: &Spec, opts: &RunOptions) -> Result<Prepared, RunError> {
    let cache = Cache::open(&cache_dir(spec, opts))?;
    let hasher = FileHasher::new(Some(cache.root.join("file-hashes.json")));
    let (plan, layout) = plan::build(spec, &hasher).map_err(RunError::Spec)?;
    hasher.save();
    Ok(Prepared {
        plan,
        layout,
        cache,
        hasher,
        scope: scope_of(spec),
    })
}

/// The name under which a spec's records are kept in a shared cache: its name and a hash of
/// its canonical path.
pub fn scope_of(spec: &Spec) -> String {
    let canonical = spec
        .file
        .canonicalize()
        .unwrap_or_else(|_| spec.file.clone());
    let h = blake3::hash(canonical.to_string_lossy().as_bytes()).to_hex();
    format!("{}-{}", spec.name, &h[..12])
}

/// What a run did.
#[derive(Debug)]
pub struct RunSummary {
    pub output: PathBuf,
    pub instances: Vec<InstanceReport>,
    pub seconds: f64,
}

impl RunSummary {
    /// How many instances ran (or were recomputed).
    pub fn ran(&self) -> usize {
        self.instances
            .iter()
            .filter(|t| t.outcome != Outcome::Cached)
            .count()
    }
}

/// Runs a spec end to end.
pub fn run(spec: &Spec, opts: &RunOptions) -> Result<RunSummary, RunError> {
    let start = std::time::Instant::now();
    let prepared = prepare(spec, opts)?;
    let exec = ExecOptions {
        jobs: if opts.jobs == 0 {
            default_jobs()
        } else {
            opts.jobs
        },
        quiet: opts.quiet,
        scope: prepared.scope.clone(),
    };
    let instances = execute(&prepared.plan, &prepared.cache, &prepared.hasher, &exec)?;
    let out = output_dir(spec, opts);
    let files = super::outputs::collect(
        spec,
        &prepared.plan,
        &prepared.layout,
        &prepared.cache,
        &instances,
    )?;
    publish::publish(&out, &files)?;
    let seconds = start.elapsed().as_secs_f64();
    prepared
        .cache
        .write_run_log(&prepared.scope, &run_log(spec, &instances, seconds));
    Ok(RunSummary {
        output: out,
        instances,
        seconds,
    })
}

/// The log of a run kept in the cache (`runs/<scope>.json`): each instance's outcome and
/// seconds, the total seconds.
fn run_log(spec: &Spec, instances: &[InstanceReport], seconds: f64) -> serde_json::Value {
    serde_json::json!({
        "spec": spec.file.display().to_string(),
        "seconds": seconds,
        "stages": instances.iter().map(|r| serde_json::json!({
            "stage": r.kind.name(),
            "instance": r.instance,
            "key": r.key,
            "outcome": r.outcome,
            "seconds": r.seconds,
        })).collect::<Vec<_>>(),
    })
}

/// Worker threads when `--jobs` is not given: the machine's cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
