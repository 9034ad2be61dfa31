//! Following a run: each task's state from its recorded exit code, the cache and `squeue`;
//! a progress bar while waiting; the failures with stage, key, exit code and log path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::submit::RunRecord;
use super::SlurmError;
use crate::engine::cache::Cache;

/// Where one task is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskState {
    Pending,
    Running,
    Done,
    /// It ran and failed: its exit code if it recorded one, Slurm's state if known.
    Failed {
        code: Option<i32>,
        state: Option<String>,
    },
    /// It never started (an upstream task failed or the array was cancelled first).
    NotRun,
    /// Not finished, and `squeue` cannot say more (Slurm is not reachable from here).
    Unknown,
}

/// One task of a run and its state.
#[derive(Debug, Clone)]
pub struct TaskView {
    pub kind: String,
    pub id: String,
    pub key: crate::engine::key::Key,
    /// `<job>_<index>`.
    pub job: String,
    pub log: PathBuf,
    pub state: TaskState,
}

/// Every task of a run.
#[derive(Debug, Clone, Default)]
pub struct Picture {
    pub tasks: Vec<TaskView>,
}

impl Picture {
    /// (done, running, pending, failed, not run, unknown).
    pub fn counts(&self) -> [usize; 6] {
        let mut c = [0; 6];
        for t in &self.tasks {
            let i = match t.state {
                TaskState::Done => 0,
                TaskState::Running => 1,
                TaskState::Pending => 2,
                TaskState::Failed { .. } => 3,
                TaskState::NotRun => 4,
                TaskState::Unknown => 5,
            };
            c[i] += 1;
        }
        c
    }

    /// Whether nothing is pending or running any more.
    pub fn finished(&self) -> bool {
        let [_, running, pending, _, _, unknown] = self.counts();
        running + pending + unknown == 0
    }

    /// One line: `done 12 · running 2 · pending 30 · failed 0`.
    pub fn summary(&self) -> String {
        let [done, running, pending, failed, not_run, unknown] = self.counts();
        let mut s =
            format!("done {done} · running {running} · pending {pending} · failed {failed}");
        if not_run > 0 {
            s.push_str(&format!(" · not run {not_run}"));
        }
        if unknown > 0 {
            s.push_str(&format!(" · unknown {unknown} (squeue not reachable)"));
        }
        s
    }

    /// The failed tasks, each with its log's last lines.
    pub fn failures(&self) -> Vec<Failure> {
        self.tasks
            .iter()
            .filter_map(|t| match &t.state {
                TaskState::Failed { code, state } => Some(Failure {
                    id: t.id.clone(),
                    key: t.key.to_string(),
                    job: t.job.clone(),
                    code: *code,
                    state: state.clone(),
                    log: t.log.clone(),
                    tail: tail(&t.log, 3),
                }),
                _ => None,
            })
            .collect()
    }
}

/// A failed task, as reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// `kind/instance`.
    pub id: String,
    pub key: String,
    pub job: String,
    pub code: Option<i32>,
    pub state: Option<String>,
    pub log: PathBuf,
    pub tail: Vec<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = match (self.code, &self.state) {
            (Some(c), _) => format!("exit code {c}"),
            (None, Some(s)) => format!("ended {s} without an exit code (killed)"),
            (None, None) => "ended without an exit code (cancelled or killed)".into(),
        };
        write!(
            f,
            "{} (key {}, job {}): {how}; log {}",
            self.id,
            self.key,
            self.job,
            self.log.display()
        )?;
        for l in &self.tail {
            write!(f, "\n      | {l}")?;
        }
        Ok(())
    }
}

fn tail(path: &Path, n: usize) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

/// Slurm's view of this user's jobs: (array job id, task index) → (state, reason).
pub type Queue = HashMap<(String, usize), (String, String)>;

/// `squeue --me -h -r -t all -o '%F|%K|%T|%r'`: every task, pending arrays expanded.
pub fn squeue() -> Result<Queue, SlurmError> {
    let out = Command::new("squeue")
        .args(["--me", "-h", "-r", "-t", "all", "-o", "%F|%K|%T|%r"])
        .output()
        .map_err(|e| SlurmError::missing("squeue", e))?;
    if !out.status.success() {
        return Err(SlurmError::Squeue {
            message: format!(
                "{} {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    let mut q = Queue::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.trim().split('|').collect();
        if f.len() < 4 {
            continue;
        }
        if let Ok(i) = f[1].parse::<usize>() {
            q.insert((f[0].to_string(), i), (f[2].to_string(), f[3].to_string()));
        }
    }
    Ok(q)
}

/// A Slurm state that is not over yet, as pending (`false`) or running (`true`).
fn active(state: &str) -> Option<bool> {
    match state {
        "PENDING" | "REQUEUED" | "REQUEUE_HOLD" | "REQUEUE_FED" | "SUSPENDED" | "RESV_DEL_HOLD" => {
            Some(false)
        }
        "RUNNING" | "CONFIGURING" | "COMPLETING" | "SIGNALING" | "STAGE_OUT" | "RESIZING" => {
            Some(true)
        }
        _ => None,
    }
}

/// The state of every task: a recorded exit code first, then `squeue`, then the cache.
pub fn picture(
    record: &RunRecord,
    run_dir: &Path,
    cache: &Cache,
    queue: Option<&Queue>,
) -> Picture {
    picture_since(record, run_dir, cache, queue, &mut HashMap::new())
}

/// [`picture`], reusing the tasks `settled` holds (ended with an exit code: that cannot change)
/// and adding those that settled now, so a long wait reads each exit file once.
fn picture_since(
    record: &RunRecord,
    run_dir: &Path,
    cache: &Cache,
    queue: Option<&Queue>,
    settled: &mut HashMap<(usize, usize), TaskState>,
) -> Picture {
    let mut tasks = Vec::new();
    for (n, a) in record.arrays.iter().enumerate() {
        for (i, t) in a.array.tasks.iter().enumerate() {
            let log = run_dir.join(a.array.log_name(&a.job_id, i));
            if let Some(state) = settled.get(&(n, i)) {
                tasks.push(TaskView {
                    kind: a.array.kind.clone(),
                    id: t.id.clone(),
                    key: t.key.clone(),
                    job: format!("{}_{i}", a.job_id),
                    log,
                    state: state.clone(),
                });
                continue;
            }
            let exit = std::fs::read_to_string(run_dir.join("exit").join(t.key.as_str()))
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok());
            let slurm = queue.and_then(|q| q.get(&(a.job_id.clone(), i)));
            let state = match (exit, slurm) {
                (Some(0), _) => TaskState::Done,
                (Some(code), s) => TaskState::Failed {
                    code: Some(code),
                    state: s.map(|s| s.0.clone()),
                },
                (None, Some((s, reason))) if active(s).is_some() => {
                    if reason == "DependencyNeverSatisfied" {
                        TaskState::NotRun
                    } else if active(s) == Some(true) {
                        TaskState::Running
                    } else {
                        TaskState::Pending
                    }
                }
                (None, s) if queue.is_some() => {
                    if cache.has(&a.array.kind, &t.key) {
                        TaskState::Done
                    } else if !log.exists() {
                        TaskState::NotRun
                    } else {
                        TaskState::Failed {
                            code: None,
                            state: s.map(|s| s.0.clone()),
                        }
                    }
                }
                (None, _) => {
                    if cache.has(&a.array.kind, &t.key) {
                        TaskState::Done
                    } else {
                        TaskState::Unknown
                    }
                }
            };
            if exit.is_some() {
                settled.insert((n, i), state.clone());
            }
            tasks.push(TaskView {
                kind: a.array.kind.clone(),
                id: t.id.clone(),
                key: t.key.clone(),
                job: format!("{}_{i}", a.job_id),
                log,
                state,
            });
        }
    }
    Picture { tasks }
}

/// Waits until every task of the run has ended, showing a progress bar (unless `quiet`).
/// `squeue` failing several times in a row ends the wait with its error.
pub fn wait(
    record: &RunRecord,
    run_dir: &Path,
    cache: &Cache,
    poll: Duration,
    quiet: bool,
) -> Result<Picture, SlurmError> {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::with_draw_target(
            Some(record.tasks() as u64),
            ProgressDrawTarget::stderr(),
        );
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
        {
            b.set_style(style);
        }
        b.enable_steady_tick(Duration::from_millis(200));
        b
    };
    let mut misses = 0;
    let mut settled = HashMap::new();
    loop {
        let queue = match squeue() {
            Ok(q) => {
                misses = 0;
                q
            }
            Err(e) => {
                misses += 1;
                if misses >= 10 {
                    bar.finish_and_clear();
                    return Err(e);
                }
                std::thread::sleep(poll);
                continue;
            }
        };
        let p = picture_since(record, run_dir, cache, Some(&queue), &mut settled);
        bar.set_position(p.counts()[0] as u64);
        bar.set_message(p.summary());
        if p.finished() {
            bar.finish_and_clear();
            return Ok(p);
        }
        std::thread::sleep(poll);
    }
}
