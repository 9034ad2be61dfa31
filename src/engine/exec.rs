//! The executor: stage instances form a DAG; keys are computed for all of them first (no data
//! is read), cached instances are skipped without loading anything, and stale instances run
//! level by level, independent ones in parallel on a rayon pool (`--jobs N`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use super::artifact::{Artifact, ArtifactKind, Produced};
use super::cache::{Cache, Lookup};
use super::key::KeyParts;
use super::StageError;

/// The work of one stage instance: given its upstream artifacts (in `deps` order), compute its
/// own artifact.
/// A stage's computation: its inputs (upstream artifacts in `deps` order) and the fresh
/// folder of its own artifact, where a stage whose output is too large to hold in memory
/// streams extra files (they are hashed and committed with the artifact).
pub type Job =
    Box<dyn Fn(&[Arc<Artifact>], &std::path::Path) -> Result<Produced, StageError> + Send + Sync>;

/// One stage instance of a plan.
pub struct Task {
    pub stage: &'static str,
    pub instance: String,
    pub version: u32,
    /// The spec part this instance reads (canonical JSON).
    pub spec_part: serde_json::Value,
    /// Input files and their hashes.
    pub inputs: BTreeMap<String, String>,
    /// Indices of upstream tasks in the plan (they come earlier).
    pub deps: Vec<usize>,
    pub kind: ArtifactKind,
    pub job: Job,
    /// Filled by [`Plan::finalize`].
    pub parts: Option<KeyParts>,
}

impl Task {
    pub fn id(&self) -> String {
        format!("{}/{}", self.stage, self.instance)
    }

    pub fn key(&self) -> String {
        self.parts.as_ref().map(KeyParts::key).unwrap_or_default()
    }
}

/// Every stage instance of a run, in an order where upstream comes first.
#[derive(Default)]
pub struct Plan {
    pub tasks: Vec<Task>,
}

/// How a task ended in a run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Cached,
    Ran,
    /// The artifact was damaged; it was recomputed.
    Recomputed,
}

/// What happened to one task.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TaskReport {
    pub stage: String,
    pub instance: String,
    pub key: String,
    pub outcome: Outcome,
    pub seconds: f64,
    /// Stage-specific facts recorded in the artifact's sidecar (identity residuals, …).
    pub extra: serde_json::Value,
    #[serde(skip)]
    pub warning: Option<String>,
}

impl Plan {
    /// Adds a task, or returns the index of an identical one already planned (same stage,
    /// version, spec part, inputs and upstream), so variants share what they have in common.
    pub fn add(&mut self, task: Task) -> usize {
        if let Some(i) = self.tasks.iter().position(|t| {
            t.stage == task.stage
                && t.version == task.version
                && t.spec_part == task.spec_part
                && t.inputs == task.inputs
                && t.deps == task.deps
                && (t.stage != "estimate" && t.stage != "hausman" || t.instance == task.instance)
        }) {
            return i;
        }
        self.tasks.push(task);
        self.tasks.len() - 1
    }

    /// Computes every task's key parts (upstream keys included), in order.
    pub fn finalize(&mut self) {
        for i in 0..self.tasks.len() {
            let upstream: BTreeMap<String, String> = self.tasks[i]
                .deps
                .iter()
                .map(|&d| (self.tasks[d].id(), self.tasks[d].key()))
                .collect();
            let t = &self.tasks[i];
            let parts = KeyParts {
                stage: t.stage.to_string(),
                instance: t.instance.clone(),
                version: t.version,
                spec: t.spec_part.clone(),
                upstream,
                inputs: t.inputs.clone(),
            };
            self.tasks[i].parts = Some(parts);
        }
    }

    /// Index of a task by stage and instance.
    pub fn find(&self, stage: &str, instance: &str) -> Option<usize> {
        self.tasks
            .iter()
            .position(|t| t.stage == stage && t.instance == instance)
    }

    fn levels(&self) -> Vec<usize> {
        let mut level = vec![0usize; self.tasks.len()];
        for (i, t) in self.tasks.iter().enumerate() {
            level[i] = t.deps.iter().map(|&d| level[d] + 1).max().unwrap_or(0);
        }
        level
    }
}

/// Options of one execution.
pub struct ExecOptions {
    pub jobs: usize,
    pub quiet: bool,
    /// Scope under which the latest key parts are recorded (for `status --explain`).
    pub scope: String,
}

/// Runs a finalized plan against a cache. Returns one report per task, in plan order.
pub fn execute(
    plan: &Plan,
    cache: &Cache,
    opts: &ExecOptions,
) -> Result<Vec<TaskReport>, StageError> {
    let n = plan.tasks.len();
    // Pass 1: which tasks are cached (verified), without loading anything.
    let lookups: Vec<Lookup> = plan
        .tasks
        .iter()
        .map(|t| cache.lookup(t.stage, &t.key()))
        .collect();
    let mut reports: Vec<Option<TaskReport>> = (0..n).map(|_| None).collect();
    let mut stale = vec![false; n];
    let mut warnings = vec![None; n];
    for (i, l) in lookups.iter().enumerate() {
        let t = &plan.tasks[i];
        match l {
            Lookup::Hit { meta, .. } => {
                reports[i] = Some(TaskReport {
                    stage: t.stage.to_string(),
                    instance: t.instance.clone(),
                    key: t.key(),
                    outcome: Outcome::Cached,
                    seconds: meta.seconds,
                    extra: meta.extra.clone(),
                    warning: None,
                });
            }
            Lookup::Miss => stale[i] = true,
            Lookup::Corrupt(why) => {
                stale[i] = true;
                warnings[i] = Some(format!(
                    "warning: damaged cache artifact for {} ({why}); recomputing",
                    t.id()
                ));
            }
        }
    }
    for w in warnings.iter().flatten() {
        eprintln!("{w}");
    }
    let stale_count = stale.iter().filter(|s| **s).count();
    let bar = progress_bar(stale_count as u64, opts.quiet);

    // Artifacts in memory, loaded on demand; dropped when no stale task still needs them.
    let memory: Mutex<HashMap<usize, Arc<Artifact>>> = Mutex::new(HashMap::new());
    let mut remaining_users = vec![0usize; n];
    for (i, t) in plan.tasks.iter().enumerate() {
        if stale[i] {
            for &d in &t.deps {
                remaining_users[d] += 1;
            }
        }
    }
    let remaining_users = Mutex::new(remaining_users);

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
        .map_err(|e| StageError::Internal(format!("cannot start worker threads: {e}")))?;
    let levels = plan.levels();
    let max_level = levels.iter().copied().max().unwrap_or(0);
    let results: Mutex<Vec<(usize, TaskReport)>> = Mutex::new(Vec::new());
    for level in 0..=max_level {
        let todo: Vec<usize> = (0..n).filter(|&i| stale[i] && levels[i] == level).collect();
        if todo.is_empty() {
            continue;
        }
        let outcome: Result<(), StageError> = pool.install(|| {
            todo.par_iter().try_for_each(|&i| {
                let t = &plan.tasks[i];
                bar.set_message(t.id());
                let inputs = t
                    .deps
                    .iter()
                    .map(|&d| load_artifact(plan, cache, &memory, d))
                    .collect::<Result<Vec<_>, _>>()?;
                let parts = t.parts.clone().unwrap_or_else(|| unreachable_parts(t));
                let mut done: Option<(Produced, f64)> = None;
                cache
                    .store(&parts, |dir| {
                        let start = Instant::now();
                        let produced = (t.job)(&inputs, dir)?;
                        produced.artifact.save(dir).map_err(StageError::Frame)?;
                        let seconds = start.elapsed().as_secs_f64();
                        let recorded = (seconds, produced.extra.clone());
                        done = Some((produced, seconds));
                        Ok::<_, StageError>(recorded)
                    })
                    .map_err(StageError::Cache)?
                    .map_err(|e| e.context(t.stage, &t.instance))?;
                let Some((produced, seconds)) = done else {
                    return Err(StageError::Internal(format!(
                        "{}: the stage stored nothing",
                        t.id()
                    )));
                };
                cache.record_latest(&opts.scope, &parts);
                if let Ok(mut m) = memory.lock() {
                    m.insert(i, Arc::new(produced.artifact));
                }
                let report = TaskReport {
                    stage: t.stage.to_string(),
                    instance: t.instance.clone(),
                    key: parts.key(),
                    outcome: if warnings[i].is_some() {
                        Outcome::Recomputed
                    } else {
                        Outcome::Ran
                    },
                    seconds,
                    extra: produced.extra,
                    warning: warnings[i].clone(),
                };
                if let Ok(mut r) = results.lock() {
                    r.push((i, report));
                }
                bar.inc(1);
                Ok(())
            })
        });
        outcome?;
        // Release artifacts no later task needs.
        if let (Ok(mut users), Ok(mut mem)) = (remaining_users.lock(), memory.lock()) {
            for &i in &todo {
                for &d in &plan.tasks[i].deps {
                    users[d] = users[d].saturating_sub(1);
                    if users[d] == 0 {
                        mem.remove(&d);
                    }
                }
            }
        }
    }
    bar.finish_and_clear();
    for (i, r) in results.into_inner().unwrap_or_default() {
        reports[i] = Some(r);
    }
    for t in &plan.tasks {
        if let Some(p) = &t.parts {
            cache.record_latest(&opts.scope, p);
        }
    }
    reports
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.ok_or_else(|| StageError::Internal(format!("{} did not run", plan.tasks[i].id())))
        })
        .collect()
}

fn unreachable_parts(t: &Task) -> KeyParts {
    KeyParts {
        stage: t.stage.to_string(),
        instance: t.instance.clone(),
        version: t.version,
        spec: t.spec_part.clone(),
        upstream: BTreeMap::new(),
        inputs: t.inputs.clone(),
    }
}

/// An artifact from memory, or else from the cache (verified).
pub fn load_artifact(
    plan: &Plan,
    cache: &Cache,
    memory: &Mutex<HashMap<usize, Arc<Artifact>>>,
    i: usize,
) -> Result<Arc<Artifact>, StageError> {
    if let Some(a) = memory.lock().ok().and_then(|m| m.get(&i).cloned()) {
        return Ok(a);
    }
    let t = &plan.tasks[i];
    let a = match cache.lookup(t.stage, &t.key()) {
        Lookup::Hit { dir, .. } => Arc::new(
            Artifact::load(t.kind, &dir)
                .map_err(|e| StageError::Frame(e).context(t.stage, &t.instance))?,
        ),
        Lookup::Miss | Lookup::Corrupt(_) => {
            return Err(StageError::Internal(format!(
                "{} was expected in the cache but is missing or damaged; run again",
                t.id()
            )))
        }
    };
    if let Ok(mut m) = memory.lock() {
        m.insert(i, a.clone());
    }
    Ok(a)
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
