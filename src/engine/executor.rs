//! Where a run's stale stage instances are computed. Every fact about an executor lives in
//! this one table: its name on the command line, what it does, whether the cache must be on a
//! file system other machines see, and the programs it calls with the fix when they are
//! missing.

/// The executor of `gvc run --executor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Executor {
    /// This process, independent instances in parallel on a thread pool (`--jobs`).
    #[default]
    Local,
    /// Slurm job arrays, one per stage kind and DAG level, each task `gvc stage run KEY`.
    Slurm,
}

impl crate::choice::Choice for Executor {
    const WHAT: &'static str = "executor";
    const ALL: &'static [Self] = &[Executor::Local, Executor::Slurm];
    fn name(self) -> &'static str {
        match self {
            Executor::Local => "local",
            Executor::Slurm => "slurm",
        }
    }
}

impl Executor {
    /// One line on what the executor does (for `--help` and messages).
    pub fn describe(self) -> &'static str {
        match self {
            Executor::Local => "run stale stages in this process, in parallel (--jobs)",
            Executor::Slurm => {
                "submit stale stages as Slurm job arrays (one per stage kind and DAG level), \
                 each task `gvc stage run KEY` on a cache every node sees"
            }
        }
    }

    /// Whether the cache must live on a file system that the machines running stages share.
    pub fn needs_shared_cache(self) -> bool {
        matches!(self, Executor::Slurm)
    }

    /// The programs the executor calls.
    pub fn programs(self) -> &'static [&'static str] {
        match self {
            Executor::Local => &[],
            Executor::Slurm => &["sbatch", "squeue", "scontrol"],
        }
    }

    /// What to do when one of [`Self::programs`] is missing.
    pub fn install_hint(self) -> &'static str {
        match self {
            Executor::Local => "",
            Executor::Slurm => {
                "run gvc on a Slurm login node, install slurm-wlm (Debian/Ubuntu), or use \
                 --executor local"
            }
        }
    }
}
