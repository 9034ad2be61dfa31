//! `[executor]`: how a run's stages are executed beyond this machine. Only `[executor.slurm]`
//! exists: the Slurm resources (partition, account, time, memory, cores) for every stage and
//! per stage kind. Nothing here enters a stage key: where a stage runs never changes what it
//! computes.

use std::collections::BTreeMap;

use super::diag::Loc;
use super::types::At;

/// Keys of `[executor]`.
pub const EXECUTOR_KEYS: &[&str] = &["slurm"];
/// Keys of `[executor.slurm]`.
pub const SLURM_KEYS: &[&str] = &[
    "partition",
    "account",
    "time",
    "mem",
    "cpus_per_task",
    "max_array_size",
    "extra",
    "stages",
];
/// Keys of `[executor.slurm.stages.<kind>]`.
pub const SLURM_STAGE_KEYS: &[&str] = &["partition", "time", "mem", "cpus_per_task"];

/// `[executor]` as the spec writes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecutorSettings {
    /// `[executor.slurm]`; default when the spec has none.
    pub slurm: SlurmSettings,
}

/// `[executor.slurm]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlurmSettings {
    /// `account`: the account jobs are charged to (`sbatch --account`).
    pub account: Option<At<String>>,
    /// `max_array_size`: split arrays above this many tasks (else the cluster's
    /// `MaxArraySize` - 1, as `scontrol show config` reports it).
    pub max_array_size: Option<At<u32>>,
    /// `extra`: further `#SBATCH` options written as is (`"--qos=short"`).
    pub extra: Vec<At<String>>,
    /// Resources for every stage kind.
    pub all: SlurmResources,
    /// `[executor.slurm.stages.<kind>]`: resources of one stage kind (the kind's name is
    /// checked by the engine, which knows the stage kinds).
    pub stages: BTreeMap<String, (Loc, SlurmResources)>,
}

/// Resources of a job, each one optional (unset: the next layer decides).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlurmResources {
    /// `partition` (`sbatch --partition`).
    pub partition: Option<At<String>>,
    /// `time`: Slurm's time limit syntax (`30`, `1:30:00`, `2-00:00:00`).
    pub time: Option<At<String>>,
    /// `mem`: memory per node, Slurm's syntax (`4G`, `500M`, `2048`).
    pub mem: Option<At<String>>,
    /// `cpus_per_task`: cores per task (1 or more).
    pub cpus_per_task: Option<At<u32>>,
}

/// Whether `s` is a Slurm time limit: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M` or `D-H:M:S`
/// (digits only), or `UNLIMITED` / `INFINITE`.
pub fn is_slurm_time(s: &str) -> bool {
    if matches!(s, "UNLIMITED" | "INFINITE" | "unlimited" | "infinite") {
        return true;
    }
    let digits = |p: &str| !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit());
    let (days, rest) = match s.split_once('-') {
        Some((d, r)) => (Some(d), r),
        None => (None, s),
    };
    if days.is_some_and(|d| !digits(d)) {
        return false;
    }
    let parts: Vec<&str> = rest.split(':').collect();
    !parts.is_empty() && parts.len() <= 3 && parts.iter().all(|p| digits(p))
}

/// Whether `s` is a Slurm memory amount: digits with an optional unit `K`, `M`, `G` or `T`
/// (megabytes without one).
pub fn is_slurm_mem(s: &str) -> bool {
    let digits = s.trim_end_matches(['K', 'M', 'G', 'T', 'k', 'm', 'g', 't']);
    s.len() - digits.len() <= 1
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits.parse::<u64>().is_ok_and(|v| v > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slurm_syntax() {
        for ok in [
            "30",
            "30:00",
            "1:30:00",
            "2-0",
            "2-12:00",
            "2-12:00:00",
            "UNLIMITED",
        ] {
            assert!(is_slurm_time(ok), "{ok}");
        }
        for bad in ["", "1h", "1:2:3:4", "-1", "a-1", "1.5"] {
            assert!(!is_slurm_time(bad), "{bad}");
        }
        for ok in ["4G", "500M", "2048", "1T", "64k"] {
            assert!(is_slurm_mem(ok), "{ok}");
        }
        for bad in ["", "G", "4GB", "0", "-1G", "1.5G"] {
            assert!(!is_slurm_mem(bad), "{bad}");
        }
    }
}
