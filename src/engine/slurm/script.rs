//! The job arrays of a run and their sbatch scripts. Stale instances are grouped by DAG level
//! and stage kind — every task of an array has the same resources and the same upstream
//! arrays — and a group larger than the cluster's array limit is split into chunks. Each
//! script is complete on disk: its `#SBATCH` lines hold the resources, the log path and the
//! dependency on the previous level's arrays; its body picks the task's key and runs
//! `gvc stage run KEY --cache DIR`, then records the exit code for the monitor.

use std::collections::BTreeMap;
use std::path::Path;

use super::resources::{Resources, Settings};
use crate::engine::plan::Plan;
use crate::engine::stages::StageKind;

/// One task of an array: the instance it runs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Task {
    pub key: crate::engine::key::Key,
    /// `kind/instance`, for messages.
    pub id: String,
}

/// One job array: a chunk of the stale instances of one stage kind at one DAG level.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ArraySpec {
    /// `<level>-<kind>[-<chunk>]`, the stem of the script and log names.
    pub name: String,
    pub kind: String,
    pub level: usize,
    pub tasks: Vec<Task>,
    /// The arrays holding a stale upstream instance of one of its tasks (by name): it starts
    /// when they all succeeded (`afterok`). Cached upstream instances need no wait.
    pub after: Vec<String>,
}

impl ArraySpec {
    /// The script's file name under the run folder.
    pub fn script_name(&self) -> String {
        format!("{}.sh", self.name)
    }

    /// The log of task `index` of this array once it is job `job_id`.
    pub fn log_name(&self, job_id: &str, index: usize) -> String {
        format!("logs/{}-{job_id}_{index}.log", self.name)
    }
}

/// Groups the stale instances (by plan position) into arrays: ascending DAG level, stage kinds
/// in pipeline order within a level, chunks of at most `max_tasks`; each array waits for the
/// arrays that hold its tasks' stale upstream instances.
pub fn arrays(plan: &Plan, stale: &[usize], max_tasks: usize) -> Vec<ArraySpec> {
    let levels = plan.levels();
    let mut groups: BTreeMap<(usize, StageKind), Vec<usize>> = BTreeMap::new();
    for &i in stale {
        groups
            .entry((levels[i], plan.instances[i].kind))
            .or_default()
            .push(i);
    }
    let max_tasks = max_tasks.max(1);
    let mut out = Vec::new();
    for ((level, kind), members) in groups {
        let chunks: Vec<&[usize]> = members.chunks(max_tasks).collect();
        let many = chunks.len() > 1;
        for (c, chunk) in chunks.into_iter().enumerate() {
            let mut name = format!("{level:02}-{}", kind.name());
            if many {
                name.push_str(&format!("-{c}"));
            }
            out.push(ArraySpec {
                name,
                kind: kind.name().to_string(),
                level,
                tasks: chunk
                    .iter()
                    .map(|&i| Task {
                        key: plan.instances[i].key.clone(),
                        id: plan.instances[i].id(),
                    })
                    .collect(),
                after: Vec::new(),
            });
        }
    }
    let home: std::collections::HashMap<&crate::engine::key::Key, &str> = out
        .iter()
        .flat_map(|a| a.tasks.iter().map(move |t| (&t.key, a.name.as_str())))
        .collect();
    let after: Vec<Vec<String>> = out
        .iter()
        .map(|a| {
            let mut names: Vec<String> = a
                .tasks
                .iter()
                .filter_map(|t| plan.get(&t.key))
                .flat_map(|i| i.deps.values())
                .filter_map(|k| home.get(k).map(|n| n.to_string()))
                .collect();
            names.sort();
            names.dedup();
            names
        })
        .collect();
    for (a, names) in out.iter_mut().zip(after) {
        a.after = names;
    }
    out
}

/// `s` quoted for bash (single quotes, a quote inside as `'\''`).
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Where a script runs: the gvc binary, the cache and the run folder (absolute paths every
/// node sees).
pub struct Paths<'a> {
    pub gvc: &'a Path,
    pub cache: &'a Path,
    pub run_dir: &'a Path,
}

/// The sbatch script of one array. `depends_on` are the job ids (or, in a dry run,
/// placeholders) of the previous level's arrays.
pub fn script(
    a: &ArraySpec,
    r: &Resources,
    settings: &Settings,
    paths: &Paths<'_>,
    run_id: &str,
    depends_on: &[String],
) -> String {
    let mut s = String::from("#!/bin/bash\n");
    s.push_str(&format!(
        "# gvc run {run_id}: stage `{}`, DAG level {}, {} task(s)\n",
        a.kind,
        a.level,
        a.tasks.len()
    ));
    let log = paths
        .run_dir
        .join(format!("logs/{}-%A_%a.log", a.name))
        .display()
        .to_string();
    let mut sb = |line: String| s.push_str(&format!("#SBATCH {line}\n"));
    sb(format!("--job-name=gvc-{}", a.name));
    sb(format!("--array=0-{}", a.tasks.len().saturating_sub(1)));
    sb(format!("--output={log}"));
    sb(format!("--cpus-per-task={}", r.cpus_per_task));
    sb(format!("--mem={}", r.mem));
    sb(format!("--time={}", r.time));
    if let Some(p) = &r.partition {
        sb(format!("--partition={p}"));
    }
    if let Some(acc) = &settings.account {
        sb(format!("--account={acc}"));
    }
    if !depends_on.is_empty() {
        sb(format!("--dependency=afterok:{}", depends_on.join(":")));
        // A failed upstream task cancels this array instead of leaving it pending forever.
        sb("--kill-on-invalid-dep=yes".to_string());
    }
    for e in &settings.extra {
        sb(e.clone());
    }
    s.push_str("set -u\nKEYS=(\n");
    for t in &a.tasks {
        s.push_str(&format!("  {}  # {}\n", t.key, t.id.replace('\n', " ")));
    }
    s.push_str(")\n");
    s.push_str("KEY=${KEYS[$SLURM_ARRAY_TASK_ID]}\n");
    s.push_str(
        "export RAYON_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1} POLARS_MAX_THREADS=${SLURM_CPUS_PER_TASK:-1}\n",
    );
    let exit_dir = paths.run_dir.join("exit").display().to_string();
    s.push_str(&format!(
        "{} stage run \"$KEY\" --cache {}\ncode=$?\n",
        sh_quote(&paths.gvc.display().to_string()),
        sh_quote(&paths.cache.display().to_string())
    ));
    s.push_str(&format!(
        "# The exit code, for `gvc run` and `gvc status` (written atomically).\n\
         EXIT_DIR={}\n\
         mkdir -p \"$EXIT_DIR\" && printf '%s\\n' \"$code\" > \"$EXIT_DIR/.$KEY.$SLURM_JOB_ID\" \\\n  \
         && mv -f \"$EXIT_DIR/.$KEY.$SLURM_JOB_ID\" \"$EXIT_DIR/$KEY\"\n\
         exit $code\n",
        sh_quote(&exit_dir)
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes_and_spaces() {
        assert_eq!(sh_quote("/a b/c"), "'/a b/c'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
    }
}
