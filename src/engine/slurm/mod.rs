//! The Slurm executor (`gvc run SPEC --executor slurm`): the plan is written into the cache,
//! the stale instances become job arrays — one per DAG level and stage kind, split at the
//! cluster's `MaxArraySize`, each level `afterok` on the previous one — and every task runs
//! `gvc stage run KEY --cache DIR` on a cache all nodes see. The submitting command waits
//! with a progress bar fed by `squeue` and the cache, then renders the outputs locally (every
//! stage is cached by then), or returns the job ids (`--detach`). Scripts, logs, exit codes
//! and the run's record live under `slurm/<run-id>/` in the cache.
//!
//! Files: [`resources`] (what each array asks for), [`script`] (grouping and sbatch
//! scripts), [`submit`] (sbatch and the run record), [`monitor`] (task states, waiting,
//! failures).

pub mod monitor;
pub mod resources;
pub mod script;
pub mod submit;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::cache::Lookup;
use super::executor::Executor;
use super::run::{self, RunError, RunOptions, RunSummary};
use crate::spec::Spec;
use monitor::{Failure, Picture};
use submit::RunRecord;

/// Why the Slurm executor could not go on; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SlurmError {
    #[error("{program} not found ({source}): {hint}")]
    Missing {
        program: &'static str,
        hint: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("--slurm-option {given}: {message} ({help})")]
    BadOption {
        given: String,
        message: String,
        help: String,
    },
    #[error("{place}: `[executor.slurm.stages.{name}]` names no stage kind ({help})")]
    UnknownStage {
        name: String,
        place: String,
        help: String,
    },
    #[error(
        "sbatch refused {}: {message}{} (fix the resources in `[executor.slurm]` or with \
         --slurm-option, then run again: only what is missing is submitted)",
        script.display(),
        if submitted.is_empty() { String::new() } else {
            format!("; jobs already submitted keep running: {}", submitted.join(", "))
        }
    )]
    Sbatch {
        script: PathBuf,
        message: String,
        submitted: Vec<String>,
    },
    #[error("squeue failed: {message} (is slurmctld reachable? `sinfo` tells)")]
    Squeue { message: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{} of {total} Slurm task(s) of run {run_id} failed{}:\n{}\nfix the cause and run the \
         same command again: finished stages are cached and only the missing ones are submitted",
        failures.len(),
        if *not_run > 0 { format!(" and {not_run} did not run (their upstream failed)") } else { String::new() },
        failures.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n")
    )]
    TasksFailed {
        run_id: String,
        total: usize,
        failures: Vec<Failure>,
        not_run: usize,
    },
}

impl SlurmError {
    /// A Slurm program that could not be started.
    pub fn missing(program: &'static str, source: std::io::Error) -> SlurmError {
        SlurmError::Missing {
            program,
            hint: Executor::Slurm.install_hint(),
            source,
        }
    }
}

/// How to run through Slurm.
#[derive(Debug, Clone)]
pub struct SlurmRunOptions {
    /// `--slurm-option KEY=VALUE`, as given.
    pub options: Vec<String>,
    /// Print the scripts and the chain; submit nothing.
    pub dry_run: bool,
    /// Return after submitting.
    pub detach: bool,
    /// How often to ask `squeue` while waiting.
    pub poll: Duration,
}

impl Default for SlurmRunOptions {
    fn default() -> Self {
        SlurmRunOptions {
            options: Vec::new(),
            dry_run: false,
            detach: false,
            poll: Duration::from_millis(500),
        }
    }
}

/// What a Slurm run did.
#[derive(Debug)]
pub enum SlurmOutcome {
    /// The scripts and chain a dry run printed.
    DryRun(String),
    /// Submitted; not waited for.
    Detached { record: RunRecord, run_dir: PathBuf },
    /// Waited for, then rendered locally. `record` is `None` when nothing was stale.
    Finished {
        record: Option<RunRecord>,
        run_dir: Option<PathBuf>,
        /// Seconds from the first submission until every task had ended.
        slurm_seconds: f64,
        summary: RunSummary,
    },
}

/// Runs a spec through Slurm (see the module documentation).
pub fn run(spec: &Spec, opts: &RunOptions, s: &SlurmRunOptions) -> Result<SlurmOutcome, RunError> {
    let options = s
        .options
        .iter()
        .map(|o| resources::parse_option(o))
        .collect::<Result<Vec<_>, _>>()?;
    let prepared = run::prepare(spec, opts)?;
    let cache_root = prepared
        .cache
        .root
        .canonicalize()
        .map_err(|source| SlurmError::Io {
            path: prepared.cache.root.clone(),
            source,
        })?;
    let plan = &prepared.plan;
    let stale: Vec<usize> = plan
        .instances
        .iter()
        .enumerate()
        .filter(|(_, i)| {
            !matches!(
                prepared.cache.lookup(i.kind.name(), &i.key),
                Lookup::Hit { .. }
            )
        })
        .map(|(n, _)| n)
        .collect();
    let mut kinds: BTreeMap<_, Option<usize>> = BTreeMap::new();
    for &i in &stale {
        let inst = &plan.instances[i];
        let n = resources::table_n(plan, inst);
        let e = kinds.entry(inst.kind).or_insert(n);
        *e = (*e).max(n);
    }
    let settings = resources::resolve(&spec.executor.slurm, &options, &kinds)?;
    let max_tasks = settings
        .max_array_size
        .map(|m| m as usize)
        .unwrap_or_else(submit::max_array_size);
    let arrays = script::arrays(plan, &stale, max_tasks);
    let run_id = submit::new_run_id();
    let run_dir = submit::run_dir(&cache_root, &run_id);
    let gvc = std::env::current_exe().map_err(|source| SlurmError::Io {
        path: PathBuf::from("gvc"),
        source,
    })?;
    let paths = script::Paths {
        gvc: &gvc,
        cache: &cache_root,
        run_dir: &run_dir,
    };
    if s.dry_run {
        let mut text = format!(
            "# gvc run {} --executor slurm --dry-run: {} stale of {} stage instances, {} array(s); nothing submitted\n",
            spec.file.display(),
            stale.len(),
            plan.instances.len(),
            arrays.len()
        );
        text.push_str(&submit::dry_run(&arrays, &settings, &paths, &run_id));
        return Ok(SlurmOutcome::DryRun(text));
    }
    if arrays.is_empty() {
        let summary = run::run(spec, opts)?;
        return Ok(SlurmOutcome::Finished {
            record: None,
            run_dir: None,
            slurm_seconds: 0.0,
            summary,
        });
    }
    // Before anything is written: the programs the executor calls.
    for program in Executor::Slurm.programs() {
        if !on_path(program) {
            return Err(SlurmError::missing(
                program,
                std::io::Error::new(std::io::ErrorKind::NotFound, "not on PATH"),
            )
            .into());
        }
    }
    for inst in &plan.instances {
        prepared.cache.write_plan_entry(&inst.key, &inst.entry())?;
    }
    prepared.hasher.save();
    let record = RunRecord {
        run_id: run_id.clone(),
        spec: spec.file.display().to_string(),
        scope: prepared.scope.clone(),
        submitted_utc: crate::engine::measure::utc_timestamp(std::time::SystemTime::now()),
        arrays: Vec::new(),
    };
    let start = Instant::now();
    let record = submit::submit(&arrays, &settings, &paths, record)?;
    if s.detach {
        return Ok(SlurmOutcome::Detached { record, run_dir });
    }
    let picture = monitor::wait(&record, &run_dir, &prepared.cache, s.poll, opts.quiet)?;
    let slurm_seconds = start.elapsed().as_secs_f64();
    check_finished(&record, &picture)?;
    let summary = run::run(spec, opts)?;
    Ok(SlurmOutcome::Finished {
        record: Some(record),
        run_dir: Some(run_dir),
        slurm_seconds,
        summary,
    })
}

/// Whether an executable file `program` is in a folder of `$PATH`.
fn on_path(program: &str) -> bool {
    let executable = |p: &Path| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        }
        #[cfg(not(unix))]
        {
            p.is_file()
        }
    };
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| executable(&d.join(program))))
}

/// An error listing the failed tasks, if any task failed or did not run.
fn check_finished(record: &RunRecord, p: &Picture) -> Result<(), SlurmError> {
    let [_, _, _, failed, not_run, _] = p.counts();
    if failed + not_run == 0 {
        return Ok(());
    }
    Err(SlurmError::TasksFailed {
        run_id: record.run_id.clone(),
        total: record.tasks(),
        failures: p.failures(),
        not_run,
    })
}

/// The last Slurm run of a spec's scope in a cache, with its folder.
pub fn last_run(cache_root: &Path, scope: &str) -> Option<(RunRecord, PathBuf)> {
    let mut runs: Vec<(RunRecord, PathBuf)> = std::fs::read_dir(cache_root.join("slurm"))
        .ok()?
        .flatten()
        .filter_map(|e| RunRecord::load(&e.path()).map(|r| (r, e.path())))
        .filter(|(r, _)| r.scope == scope)
        .collect();
    runs.sort_by(|a, b| a.0.run_id.cmp(&b.0.run_id));
    runs.pop()
}

/// What `gvc status` adds about the spec's last Slurm run: its jobs, the counts, and each
/// failed task. `None` when the spec never ran through Slurm in this cache.
pub fn status_report(prepared: &run::Prepared) -> Option<String> {
    let (record, dir) = last_run(&prepared.cache.root, &prepared.scope)?;
    let queue = monitor::squeue().ok();
    let p = monitor::picture(&record, &dir, &prepared.cache, queue.as_ref());
    let mut out = format!(
        "slurm run {} (submitted {}; jobs {}; {}):\n  {}\n",
        record.run_id,
        record.submitted_utc,
        record.job_ids().join(", "),
        dir.display(),
        p.summary()
    );
    for f in p.failures() {
        out.push_str(&format!("  failed: {f}\n"));
    }
    Some(out)
}

/// Removes the claims (`claims/*.claim`) and what Slurm runs wrote (per `slurm/<run-id>/`
/// folder with gvc's `run.json`: [`run_files`]) for `gvc clean --all`; anything else there
/// is kept (and listed), and a run folder goes only once it is empty. Returns how many files
/// went.
pub fn remove_records(cache_root: &Path, kept: &mut Vec<PathBuf>) -> usize {
    let list = |sub: &str| {
        std::fs::read_dir(cache_root.join(sub))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect::<Vec<_>>()
    };
    let mut n = 0;
    for p in list("claims") {
        let ours = p.extension().is_some_and(|x| x == "claim");
        if ours && std::fs::remove_file(&p).is_ok() {
            n += 1;
        } else if !ours {
            kept.push(p);
        }
    }
    for dir in list("slurm") {
        match RunRecord::load(&dir) {
            Some(record) => n += remove_run_files(&dir, &record, kept),
            None => kept.push(dir),
        }
    }
    n
}

/// The files (relative to its folder) a Slurm run writes: `run.json`, one script per array,
/// one log per task (`logs/<array>-<job>_<i>.log`), one exit code per task
/// (`exit/<key>`), and the exit codes' temporaries (`exit/.<key>.<job>`).
fn run_files(record: &RunRecord) -> (std::collections::HashSet<PathBuf>, Vec<String>) {
    let mut files = std::collections::HashSet::from([PathBuf::from("run.json")]);
    let mut temp_prefixes = Vec::new();
    for a in &record.arrays {
        files.insert(PathBuf::from(a.array.script_name()));
        for (i, t) in a.array.tasks.iter().enumerate() {
            files.insert(PathBuf::from(a.array.log_name(&a.job_id, i)));
            files.insert(Path::new("exit").join(t.key.to_string()));
            temp_prefixes.push(format!(".{}.", t.key));
        }
    }
    (files, temp_prefixes)
}

/// Removes the files of one run folder that the run wrote ([`run_files`]), then its empty
/// folders; other files are kept and listed. Returns how many files went.
fn remove_run_files(dir: &Path, record: &RunRecord, kept: &mut Vec<PathBuf>) -> usize {
    let (files, temp_prefixes) = run_files(record);
    let is_temp = |rel: &Path| {
        rel.parent() == Some(Path::new("exit"))
            && rel.file_name().is_some_and(|name| {
                let name = name.to_string_lossy();
                temp_prefixes.iter().any(|p| {
                    name.strip_prefix(p.as_str()).is_some_and(|job| {
                        !job.is_empty() && job.bytes().all(|b| b.is_ascii_digit())
                    })
                })
            })
    };
    let mut n = 0;
    let mut dirs = Vec::new();
    for e in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .flatten()
    {
        let rel = e.path().strip_prefix(dir).unwrap_or(e.path()).to_path_buf();
        if e.file_type().is_dir() {
            dirs.push(e.path().to_path_buf());
        } else if e.file_type().is_file() && (files.contains(&rel) || is_temp(&rel)) {
            if std::fs::remove_file(e.path()).is_ok() {
                n += 1;
            }
        } else {
            kept.push(e.path().to_path_buf());
        }
    }
    // Deepest first; a folder holding a kept file stays.
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in dirs {
        let _ = std::fs::remove_dir(d);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::script::{ArraySpec, Task};
    use super::submit::Submitted;
    use super::*;
    use crate::engine::key::Key;

    #[test]
    fn clean_removes_only_what_a_run_wrote() {
        let root = std::env::temp_dir().join(crate::engine::atomic::temp_name("gvc-slurm-clean-"));
        let dir = root.join("slurm").join("20261207T000000Z-1");
        let key = Key::of("leontief", 1, &serde_json::json!({"year": 2009}));
        let array = ArraySpec {
            name: "1-leontief".into(),
            kind: "leontief".into(),
            level: 1,
            tasks: vec![Task {
                key: key.clone(),
                id: "leontief/2009".into(),
            }],
            after: vec![],
        };
        let record = RunRecord {
            run_id: "20261207T000000Z-1".into(),
            spec: "s.toml".into(),
            scope: "s".into(),
            submitted_utc: "2026-12-07T00:00:00Z".into(),
            arrays: vec![Submitted {
                array: array.clone(),
                job_id: "42".into(),
                depends_on: vec![],
            }],
        };
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        std::fs::create_dir_all(dir.join("exit")).unwrap();
        record.save(&dir).unwrap();
        let written = [
            dir.join(array.script_name()),
            dir.join(array.log_name("42", 0)),
            dir.join("exit").join(key.to_string()),
            dir.join("exit").join(format!(".{key}.42")),
        ];
        for f in &written {
            std::fs::write(f, "x").unwrap();
        }
        let users = [dir.join("notes.txt"), dir.join("logs").join("mine.log")];
        for f in &users {
            std::fs::write(f, "keep me").unwrap();
        }
        let mut kept = Vec::new();
        let n = remove_records(&root, &mut kept);
        assert_eq!(
            n, 5,
            "run.json, the script, the log, the exit code and its temporary"
        );
        for f in &written {
            assert!(!f.exists(), "{} should be gone", f.display());
        }
        for f in &users {
            assert!(f.exists(), "{} is not gvc's and must stay", f.display());
            assert!(kept.contains(f), "{} should be listed as kept", f.display());
        }
        assert!(!dir.join("exit").exists(), "the emptied exit folder goes");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
