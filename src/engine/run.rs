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
    #[error(transparent)]
    Slurm(#[from] super::slurm::SlurmError),
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
    let log = run_log(spec, &instances, seconds, exec.jobs);
    prepared.cache.write_run_log(
        &prepared.scope,
        &serde_json::to_value(&log).unwrap_or_default(),
    );
    Ok(RunSummary {
        output: out,
        instances,
        seconds,
    })
}

/// The log of a spec's last run, kept in the cache (`runs/<scope>.json`): what ran, how long
/// it took and how much memory it needed. Measurements live here, not in the output folder,
/// so outputs stay the same bytes from run to run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunLog {
    /// The spec file as given.
    pub spec: String,
    /// Wall-clock seconds of the whole run (planning, stages, publishing).
    pub seconds: f64,
    /// Peak resident memory of the process (bytes) at the end of the run; `None` where the
    /// platform does not report it.
    #[serde(default)]
    pub peak_memory_bytes: Option<u64>,
    /// When the run finished (ISO 8601, UTC).
    #[serde(default)]
    pub finished_utc: Option<String>,
    /// `<os>/<arch>` of the machine.
    #[serde(default)]
    pub platform: Option<String>,
    /// The gvc version that ran.
    #[serde(default)]
    pub gvc_version: Option<String>,
    /// Worker threads.
    #[serde(default)]
    pub jobs: Option<usize>,
    /// Every stage instance: its outcome and the seconds it took when it was computed (for a
    /// cached instance, the seconds recorded when it was computed).
    pub stages: Vec<RunLogStage>,
}

/// One stage instance of a [`RunLog`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunLogStage {
    pub stage: String,
    pub instance: String,
    pub key: super::key::Key,
    pub outcome: Outcome,
    pub seconds: f64,
}

impl RunLog {
    /// How many instances this run computed (the others were read from the cache).
    pub fn computed(&self) -> usize {
        self.stages
            .iter()
            .filter(|s| s.outcome != Outcome::Cached)
            .count()
    }

    /// The seconds of every stage added up as recorded when each was computed: the time a
    /// run from an empty cache spends in stages on one worker thread.
    pub fn stage_seconds(&self) -> f64 {
        self.stages.iter().map(|s| s.seconds).sum()
    }
}

fn run_log(spec: &Spec, instances: &[InstanceReport], seconds: f64, jobs: usize) -> RunLog {
    RunLog {
        spec: spec.file.display().to_string(),
        seconds,
        peak_memory_bytes: super::measure::peak_memory_bytes(),
        finished_utc: Some(super::measure::utc_timestamp(std::time::SystemTime::now())),
        platform: Some(super::measure::platform()),
        gvc_version: Some(env!("CARGO_PKG_VERSION").to_string()),
        jobs: Some(jobs),
        stages: instances
            .iter()
            .map(|r| RunLogStage {
                stage: r.kind.name().to_string(),
                instance: r.instance.clone(),
                key: r.key.clone(),
                outcome: r.outcome,
                seconds: r.seconds,
            })
            .collect(),
    }
}

/// The log of the last run of a spec in this cache, if there is a readable one.
pub fn last_run_log(prepared: &Prepared) -> Option<RunLog> {
    let bytes = std::fs::read(prepared.cache.run_log_path(&prepared.scope)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Worker threads when `--jobs` is not given: the machine's cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
