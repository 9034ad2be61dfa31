//! Submitting a run's arrays: level by level, each script written under
//! `slurm/<run-id>/` and handed to `sbatch --parsable`, its dependency on the job ids of the
//! arrays holding its upstream instances in its `#SBATCH` lines; the run's record (`run.json`) is rewritten after
//! every submission, so whatever happens the submitted jobs are known.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::resources::Settings;
use super::script::{script, ArraySpec, Paths};
use super::SlurmError;
use crate::engine::atomic::replace_quietly;

/// An array as submitted.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Submitted {
    #[serde(flatten)]
    pub array: ArraySpec,
    /// Slurm's job id of the array.
    pub job_id: String,
    /// The job ids it waits for (`afterok`).
    pub depends_on: Vec<String>,
}

/// The record of one Slurm run: `slurm/<run-id>/run.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    /// The spec file as given.
    pub spec: String,
    /// The spec's scope in the cache ([`crate::engine::run::scope_of`]).
    pub scope: String,
    pub submitted_utc: String,
    pub arrays: Vec<Submitted>,
}

impl RunRecord {
    /// Every job id, in submission order.
    pub fn job_ids(&self) -> Vec<String> {
        self.arrays.iter().map(|a| a.job_id.clone()).collect()
    }

    /// How many tasks the run submitted.
    pub fn tasks(&self) -> usize {
        self.arrays.iter().map(|a| a.array.tasks.len()).sum()
    }

    /// Writes the record into its run folder.
    pub fn save(&self, run_dir: &Path) -> Result<(), SlurmError> {
        let path = run_dir.join("run.json");
        let bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        replace_quietly(&path, &bytes).map_err(|source| SlurmError::Io { path, source })
    }

    /// Reads a run folder's record.
    pub fn load(run_dir: &Path) -> Option<RunRecord> {
        serde_json::from_slice(&std::fs::read(run_dir.join("run.json")).ok()?).ok()
    }
}

/// The folder of a run in the cache.
pub fn run_dir(cache_root: &Path, run_id: &str) -> PathBuf {
    cache_root.join("slurm").join(run_id)
}

/// A new run id: the UTC time to the second and the process id (sorts by time).
pub fn new_run_id() -> String {
    let ts = crate::engine::measure::utc_timestamp(std::time::SystemTime::now());
    let compact: String = ts.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("{compact}-{}", std::process::id())
}

/// The job ids (or placeholders) of the arrays `a` waits for.
fn waits_for(a: &ArraySpec, ids: &std::collections::HashMap<String, String>) -> Vec<String> {
    a.after.iter().filter_map(|n| ids.get(n).cloned()).collect()
}

/// The dry run: every script with placeholders (`$JOB_<array>`) for the job ids it would
/// wait for, and the chain.
pub fn dry_run(
    arrays: &[ArraySpec],
    settings: &Settings,
    paths: &Paths<'_>,
    run_id: &str,
) -> String {
    let mut out = String::new();
    let mut ids = std::collections::HashMap::new();
    let mut chain =
        String::from("# dependency chain (afterok: start when every task of these succeeded)\n");
    for a in arrays {
        let deps = waits_for(a, &ids);
        let r = resources_of(settings, a);
        out.push_str(&format!(
            "# ---- {} (sbatch --parsable {}) ----\n",
            a.script_name(),
            paths.run_dir.join(a.script_name()).display()
        ));
        out.push_str(&script(a, &r, settings, paths, run_id, &deps));
        out.push('\n');
        chain.push_str(&format!(
            "#   $JOB_{} = {} ({} task(s)){}\n",
            a.name.replace('-', "_"),
            a.script_name(),
            a.tasks.len(),
            if deps.is_empty() {
                String::new()
            } else {
                format!(" after {}", deps.join(", "))
            }
        ));
        ids.insert(a.name.clone(), format!("$JOB_{}", a.name.replace('-', "_")));
    }
    out.push_str(&chain);
    out
}

fn resources_of(settings: &Settings, a: &ArraySpec) -> super::resources::Resources {
    use crate::choice::Choice;
    crate::engine::stages::StageKind::from_name(&a.kind)
        .and_then(|k| settings.per_kind.get(&k).cloned())
        .unwrap_or_else(|| {
            super::resources::defaults(crate::engine::stages::StageKind::Panel, None)
        })
}

/// Writes and submits every array, level by level; the record is saved after each one.
pub fn submit(
    arrays: &[ArraySpec],
    settings: &Settings,
    paths: &Paths<'_>,
    mut record: RunRecord,
) -> Result<RunRecord, SlurmError> {
    let logs = paths.run_dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(|source| SlurmError::Io {
        path: logs.clone(),
        source,
    })?;
    let mut ids = std::collections::HashMap::new();
    for a in arrays {
        let deps = waits_for(a, &ids);
        let r = resources_of(settings, a);
        let text = script(a, &r, settings, paths, &record.run_id, &deps);
        let path = paths.run_dir.join(a.script_name());
        replace_quietly(&path, text.as_bytes()).map_err(|source| SlurmError::Io {
            path: path.clone(),
            source,
        })?;
        let job_id = sbatch(&path).map_err(|e| match e {
            SlurmError::Sbatch {
                script, message, ..
            } => SlurmError::Sbatch {
                script,
                message,
                submitted: record.job_ids(),
            },
            other => other,
        })?;
        ids.insert(a.name.clone(), job_id.clone());
        record.arrays.push(Submitted {
            array: a.clone(),
            job_id,
            depends_on: deps,
        });
        record.save(paths.run_dir)?;
    }
    Ok(record)
}

/// `sbatch --parsable SCRIPT` → the job id.
fn sbatch(script: &Path) -> Result<String, SlurmError> {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .arg(script)
        .output()
        .map_err(|e| SlurmError::missing("sbatch", e))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let id = stdout.trim().split(';').next().unwrap_or("").to_string();
    if !out.status.success() || id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SlurmError::Sbatch {
            script: script.to_path_buf(),
            message: format!(
                "{} {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            submitted: Vec::new(),
        });
    }
    Ok(id)
}

/// The cluster's largest array size (`MaxArraySize` - 1 is the last index), from
/// `scontrol show config`; Slurm's default 1001 when it cannot be asked.
pub fn max_array_size() -> usize {
    let Ok(out) = Command::new("scontrol").args(["show", "config"]).output() else {
        return 1001;
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == "MaxArraySize")
                .then(|| v.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(1001)
}
