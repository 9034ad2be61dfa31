//! Executing a plan. Every instance runs through one function, [`run_instance`]: load its
//! upstream outputs (from this run's memory or the verified cache), run the stage into a fresh
//! temporary folder, commit the artifact atomically. The local executor runs the stale
//! instances level by level, independent ones in parallel on a rayon pool (`--jobs N`); the
//! worker ([`run_stored`], `gvc stage run KEY`) runs one instance from the plan entry stored in
//! the cache — how other machines execute stages.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::artifact::Facts;
use super::cache::{Cache, Lookup};
use super::hashing::FileHasher;
use super::key::Key;
use super::plan::Plan;
use super::stage::{Loader, RunContext};
use super::stages::{AnyOutput, AnyStage, StageKind};
use super::StageError;

/// How an instance ended in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Cached,
    Ran,
    /// The artifact was damaged; it was recomputed.
    Recomputed,
}

/// What happened to one instance.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceReport {
    pub kind: StageKind,
    pub instance: String,
    pub key: Key,
    pub outcome: Outcome,
    pub seconds: f64,
    /// Facts recorded with the artifact (identity residuals, table totals, notes).
    pub facts: Facts,
    #[serde(skip)]
    pub warning: Option<String>,
}

/// Options of one execution.
pub struct ExecOptions {
    pub jobs: usize,
    pub quiet: bool,
    /// Scope under which the parameters each instance last ran with are recorded (for
    /// `status --explain`).
    pub scope: String,
}

/// Loads outputs from this run's memory, else from the verified cache.
struct OutputLoader<'a> {
    cache: &'a Cache,
    memory: Mutex<HashMap<Key, AnyOutput>>,
}

impl Loader for OutputLoader<'_> {
    fn load(&self, kind: StageKind, key: &Key) -> Result<AnyOutput, StageError> {
        if let Some(a) = self.memory.lock().ok().and_then(|m| m.get(key).cloned()) {
            return Ok(a);
        }
        let out = match self.cache.lookup(kind.name(), key) {
            Lookup::Hit { dir, .. } => kind.load_output(&dir)?,
            Lookup::Miss => {
                return Err(StageError::MissingUpstream {
                    kind: kind.name(),
                    key: key.clone(),
                    damaged: None,
                })
            }
            Lookup::Corrupt(why) => {
                return Err(StageError::MissingUpstream {
                    kind: kind.name(),
                    key: key.clone(),
                    damaged: Some(why),
                })
            }
        };
        if let Ok(mut m) = self.memory.lock() {
            m.insert(key.clone(), out.clone());
        }
        Ok(out)
    }
}

/// Runs one instance and commits its artifact; returns its output, facts and seconds. If the
/// artifact appeared meanwhile (another process), that copy is kept.
pub fn run_instance(
    stage: &AnyStage,
    key: &Key,
    cache: &Cache,
    hasher: &FileHasher,
    loader: &dyn Loader,
) -> Result<(AnyOutput, Facts, f64), StageError> {
    let kind = stage.kind();
    let mut done: Option<(AnyOutput, Facts, f64)> = None;
    cache.store(kind.name(), key, |dir| {
        let start = Instant::now();
        let ctx = RunContext {
            loader,
            dir,
            hasher,
        };
        let (output, facts) = stage.run_and_save(&ctx)?;
        let seconds = start.elapsed().as_secs_f64();
        done = Some((output, facts.clone(), seconds));
        Ok::<_, StageError>((stage.version(), stage.params(), seconds, facts))
    })??;
    done.ok_or(StageError::NothingStored {
        kind: kind.name(),
        key: key.clone(),
    })
}

/// Runs a plan against a cache. Returns one report per instance, in plan order.
pub fn execute(
    plan: &Plan,
    cache: &Cache,
    hasher: &FileHasher,
    opts: &ExecOptions,
) -> Result<Vec<InstanceReport>, StageError> {
    let n = plan.instances.len();
    for inst in &plan.instances {
        cache.write_plan_entry(&inst.key, &inst.entry())?;
    }
    // Which instances are cached (verified), without loading anything.
    let mut reports: Vec<Option<InstanceReport>> = (0..n).map(|_| None).collect();
    let mut stale = vec![false; n];
    let mut warnings: Vec<Option<String>> = vec![None; n];
    for (i, inst) in plan.instances.iter().enumerate() {
        match cache.lookup(inst.kind.name(), &inst.key) {
            Lookup::Hit { meta, .. } => {
                reports[i] = Some(InstanceReport {
                    kind: inst.kind,
                    instance: inst.instance.clone(),
                    key: inst.key.clone(),
                    outcome: Outcome::Cached,
                    seconds: meta.seconds,
                    facts: meta.facts.clone(),
                    warning: None,
                });
            }
            Lookup::Miss => stale[i] = true,
            Lookup::Corrupt(why) => {
                stale[i] = true;
                warnings[i] = Some(format!(
                    "warning: damaged cache artifact for {} ({why}); recomputing",
                    inst.id()
                ));
            }
        }
    }
    for w in warnings.iter().flatten() {
        eprintln!("{w}");
    }
    let bar = progress_bar(stale.iter().filter(|s| **s).count() as u64, opts.quiet);
    let loader = OutputLoader {
        cache,
        memory: Mutex::new(HashMap::new()),
    };
    // Outputs in memory are dropped once no stale instance still needs them.
    let mut users = vec![0usize; n];
    for (i, inst) in plan.instances.iter().enumerate() {
        if stale[i] {
            for k in inst.deps.values() {
                if let Some(d) = plan.position(k) {
                    users[d] += 1;
                }
            }
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()?;
    let levels = plan.levels();
    let max_level = levels.iter().copied().max().unwrap_or(0);
    let results: Mutex<Vec<(usize, InstanceReport)>> = Mutex::new(Vec::new());
    for level in 0..=max_level {
        let todo: Vec<usize> = (0..n).filter(|&i| stale[i] && levels[i] == level).collect();
        if todo.is_empty() {
            continue;
        }
        pool.install(|| {
            todo.par_iter().try_for_each(|&i| {
                let inst = &plan.instances[i];
                bar.set_message(inst.id());
                let (output, facts, seconds) =
                    run_instance(&inst.stage, &inst.key, cache, hasher, &loader)
                        .map_err(|e| e.context(inst.kind.name(), &inst.instance))?;
                if let Ok(mut m) = loader.memory.lock() {
                    m.insert(inst.key.clone(), output);
                }
                let report = InstanceReport {
                    kind: inst.kind,
                    instance: inst.instance.clone(),
                    key: inst.key.clone(),
                    outcome: if warnings[i].is_some() {
                        Outcome::Recomputed
                    } else {
                        Outcome::Ran
                    },
                    seconds,
                    facts,
                    warning: warnings[i].clone(),
                };
                if let Ok(mut r) = results.lock() {
                    r.push((i, report));
                }
                bar.inc(1);
                Ok::<(), StageError>(())
            })
        })?;
        if let Ok(mut mem) = loader.memory.lock() {
            for &i in &todo {
                for k in plan.instances[i].deps.values() {
                    if let Some(d) = plan.position(k) {
                        users[d] = users[d].saturating_sub(1);
                        if users[d] == 0 {
                            mem.remove(k);
                        }
                    }
                }
            }
        }
    }
    bar.finish_and_clear();
    for (i, r) in results.into_inner().unwrap_or_default() {
        reports[i] = Some(r);
    }
    for inst in &plan.instances {
        cache.record_latest(
            &opts.scope,
            inst.kind.name(),
            &inst.instance,
            &latest_entry(inst),
        );
    }
    reports
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.ok_or_else(|| StageError::NothingStored {
                kind: plan.instances[i].kind.name(),
                key: plan.instances[i].key.clone(),
            })
        })
        .collect()
}

/// What `status --explain` compares: the version and parameters an instance ran with.
pub fn latest_entry(inst: &super::plan::Instance) -> serde_json::Value {
    serde_json::json!({
        "key": inst.key,
        "version": inst.stage.version(),
        "params": inst.stage.params(),
        "deps": inst.deps,
    })
}

/// What the worker did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerOutcome {
    /// The artifact was already in the cache.
    AlreadyThere,
    /// Another worker held the key's claim and stored the artifact while this one waited.
    ComputedElsewhere,
    Ran,
}

/// Runs the instance `key` from the plan entry stored in the cache (`gvc plan --write` or
/// `gvc run` stored it), reading its dependencies from the cache. Exit 0 when it was already
/// there. The key is claimed first ([`super::claim`]): while another worker computes it, this
/// one waits and then has nothing to do.
pub fn run_stored(
    cache: &Cache,
    hasher: &FileHasher,
    key: &Key,
) -> Result<WorkerOutcome, StageError> {
    let Some(entry) = cache.read_plan_entry(key)? else {
        return Err(StageError::NotPlanned { key: key.clone() });
    };
    let stage: AnyStage = serde_json::from_value(entry).map_err(|e| StageError::BadPlanEntry {
        key: key.clone(),
        message: e.to_string(),
    })?;
    if &stage.key() != key {
        return Err(StageError::BadPlanEntry {
            key: key.clone(),
            message: format!(
                "its parameters hash to {} (was the entry edited, or written by another gvc version?)",
                stage.key()
            ),
        });
    }
    if let Lookup::Hit { .. } = cache.lookup(stage.kind().name(), key) {
        return Ok(WorkerOutcome::AlreadyThere);
    }
    let kind = stage.kind().name();
    let Some(_claim) = super::claim::acquire(cache, key, || cache.has(kind, key))? else {
        return Ok(WorkerOutcome::ComputedElsewhere);
    };
    // Stored between the lookup and the claim by a worker that has finished since.
    if let Lookup::Hit { .. } = cache.lookup(kind, key) {
        return Ok(WorkerOutcome::ComputedElsewhere);
    }
    let loader = OutputLoader {
        cache,
        memory: Mutex::new(HashMap::new()),
    };
    run_instance(&stage, key, cache, hasher, &loader)
        .map_err(|e| e.context(stage.kind().name(), key.short()))?;
    Ok(WorkerOutcome::Ran)
}

fn progress_bar(len: u64, quiet: bool) -> ProgressBar {
    if quiet || len == 0 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}
