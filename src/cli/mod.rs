//! The command line: `gvc check | run | status | clean | …`. Each command is a thin layer over
//! the library; errors map to exit codes 0 (ok), 1 (run failure), 2 (spec or usage error).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub mod init;
pub mod package;
pub mod quick;

use crate::engine::cache::Cache;
use crate::engine::exec::Outcome;
use crate::engine::run::{self, prepare, RunError, RunOptions};
use crate::engine::status::{Relation, State};
use crate::spec::{load_spec, Spec};

#[derive(Parser, Debug)]
#[command(
    name = "gvc",
    version,
    about = "Global-value-chain study runner: one TOML spec from MRIO tables to the paper's tables"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate a spec and its data, print the plan; nothing runs.
    Check(SpecArgs),
    /// Run what is stale and write output/<spec>/.
    Run(RunArgs),
    /// Print every stage instance of a spec's plan: kind, instance, key, dependencies and
    /// parameters (--json), and store it in the cache for workers (--write).
    Plan(PlanArgs),
    /// Work on one stage instance (how other machines execute a plan).
    Stage(StageArgs),
    /// Show which stages are cached or stale (and why, with --explain).
    Status(StatusArgs),
    /// Remove leftovers from the cache (temp folders), unused artifacts, or everything.
    Clean(CleanArgs),
    /// One panel regression on a data file, Stata conventions (no spec needed).
    Estimate(quick::EstimateArgs),
    /// Value-added decompositions of one input-output table (no spec needed).
    Decompose(quick::DecomposeArgs),
    /// Time the Leontief inverse and the decompositions on a synthetic table.
    Bench(quick::BenchArgs),
    /// What moved between two runs (specs or output folders); exit 1 when results differ.
    Diff(quick::DiffArgs),
    /// Create a study folder that runs as is (synthetic data), with editable templates.
    Init(init::InitArgs),
    /// Print the report's template context (JSON) from a spec's last run.
    Report(ReportArgs),
    /// Write a replication package (AEA template) of specs, or verify one (--verify DIR).
    Package(package::PackageArgs),
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Dump the typed template context as JSON (what templates can use).
    #[arg(long)]
    pub context: bool,
}

#[derive(Args, Debug, Clone)]
pub struct SpecArgs {
    /// The study spec (TOML).
    pub spec: PathBuf,
    /// Override a spec key: dotted.key=value (TOML value syntax), repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Cache folder (default: $GVC_CACHE, else .gvc-cache/ beside the spec).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
}

/// The most worker threads `--jobs` accepts.
pub const MAX_JOBS: u16 = 1024;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The study specs; several specs share one cache.
    #[arg(required = true)]
    pub specs: Vec<PathBuf>,
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Output folder (default: output/<spec name>).
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Worker threads for independent stage instances, 1 to 1024 (default: number of cores).
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u16).range(1..=MAX_JOBS as i64))]
    pub jobs: Option<u16>,
    /// No progress bars or summary lines.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Where stale stages run: `local` (this process) or `slurm` (job arrays on a cluster;
    /// the cache must be on a file system every node sees; see docs/cluster.md).
    #[arg(long, value_name = "EXECUTOR", default_value = "local", value_parser = parse_executor)]
    pub executor: crate::engine::executor::Executor,
    /// A Slurm resource for every stage (`mem=8G`, `time=2:00:00`, `cpus_per_task=4`,
    /// `partition=…`, `account=…`, `max_array_size=…`, `extra=--qos=…`) or for one stage kind
    /// (`leontief.mem=16G`); overrides `[executor.slurm]`. Repeatable.
    #[arg(long = "slurm-option", value_name = "KEY=VALUE")]
    pub slurm_option: Vec<String>,
    /// With --executor slurm: print the sbatch scripts and the dependency chain; submit nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --executor slurm: return after submitting and print the job ids (`gvc status SPEC`
    /// follows the run, a plain `gvc run SPEC` renders the outputs once it is done).
    #[arg(long)]
    pub detach: bool,
}

fn parse_executor(s: &str) -> Result<crate::engine::executor::Executor, String> {
    crate::choice::parse(s).map_err(|e| e.to_string())
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Print the plan as JSON: one object per instance with kind, instance, key, version,
    /// deps and params.
    #[arg(long)]
    pub json: bool,
    /// Store every instance's plan entry in the cache (`plans/<key>.json`), so that
    /// `gvc stage run KEY --cache DIR` can run it.
    #[arg(long)]
    pub write: bool,
}

#[derive(Args, Debug)]
pub struct StageArgs {
    #[command(subcommand)]
    pub command: StageCommand,
}

#[derive(Subcommand, Debug)]
pub enum StageCommand {
    /// Run one stage instance from the plan stored in the cache, reading its dependencies
    /// from the cache and writing its artifact atomically (exit 0 when it was already there).
    Run {
        /// The instance's key, as `gvc plan` prints it.
        key: String,
        /// The cache folder holding the plan and the dependencies.
        #[arg(long, value_name = "DIR")]
        cache: PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// A second spec (e.g. a variant): list which stages the two share and which differ.
    #[arg(value_name = "OTHER_SPEC")]
    pub other: Option<PathBuf>,
    /// Say which key component changed for each stale (or differing) stage.
    #[arg(long)]
    pub explain: bool,
}

#[derive(Args, Debug)]
pub struct CleanArgs {
    /// Specs whose cache to clean; with --unused, the artifacts any of them uses are kept
    /// (name every spec that shares the cache).
    pub specs: Vec<PathBuf>,
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Remove everything gvc wrote in the cache.
    #[arg(long, conflicts_with = "unused")]
    pub all: bool,
    /// Remove artifacts the specs' current plans do not use.
    #[arg(long)]
    pub unused: bool,
}

/// Runs the parsed command line and returns the process exit code.
pub fn main_with(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Check(a) => check(&a),
        Command::Run(a) => run_cmd(&a),
        Command::Plan(a) => plan_cmd(&a),
        Command::Stage(a) => stage_cmd(&a),
        Command::Status(a) => status(&a),
        Command::Clean(a) => clean(&a),
        Command::Estimate(a) => quick::estimate(&a),
        Command::Decompose(a) => quick::decompose_cmd(&a),
        Command::Bench(a) => quick::bench(&a),
        Command::Init(a) => init::init(&a),
        Command::Report(a) => report_cmd(&a),
        Command::Package(a) => match package::package_cmd(&a) {
            Ok(code) => return code,
            Err(e) => Err(e),
        },
        Command::Diff(a) => match quick::diff_cmd(&a) {
            Ok(true) => return ExitCode::SUCCESS,
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Spec(msg)) => {
            eprintln!("{msg}");
            ExitCode::from(2)
        }
        Err(Failure::Run(msg)) => {
            eprintln!("error: {msg}");
            if let Some(hint) = storage_hint(&msg) {
                eprintln!("{hint}");
            }
            ExitCode::from(1)
        }
    }
}

/// The fix for a failure caused by a full disk or quota. Writers keep the operating system's
/// message (`No space left on device (os error 28)`, `Disk quota exceeded (os error 122)` on
/// Linux; 28 is ENOSPC on macOS too), so the run's message already names the file; this adds
/// what to do. Nothing half-written is published: cache entries are renamed into place only
/// when complete and an output folder without its manifest is marked incomplete.
fn storage_hint(msg: &str) -> Option<&'static str> {
    let full = [
        "No space left on device",
        "Disk quota exceeded",
        "There is not enough space",
    ];
    full.iter().any(|m| msg.contains(m)).then_some(
        "hint: the disk holding that file is full. Free space there (`gvc clean --cache DIR` \
         removes cache entries no spec uses) or point --cache / --output at another disk, then \
         run again: finished stages are kept and nothing partial was published.",
    )
}

/// A command failure and its exit code class.
#[derive(Debug)]
pub enum Failure {
    /// Spec or usage problem (exit 2).
    Spec(String),
    /// The work failed (exit 1).
    Run(String),
}

impl From<RunError> for Failure {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Spec(d) => Failure::Spec(d.to_string()),
            RunError::Cache(
                e @ (crate::engine::cache::CacheError::NotACache { .. }
                | crate::engine::cache::CacheError::ForeignMarker { .. }
                | crate::engine::cache::CacheError::NotAFolder { .. }),
            ) => Failure::Spec(format!("error: {e}")),
            RunError::Publish(
                e @ (crate::engine::publish::PublishError::NotOurs { .. }
                | crate::engine::publish::PublishError::NotAFolder { .. }
                | crate::engine::publish::PublishError::WouldOverwrite { .. }),
            ) => Failure::Spec(format!("error: {e}")),
            RunError::Slurm(
                e @ (crate::engine::slurm::SlurmError::BadOption { .. }
                | crate::engine::slurm::SlurmError::UnknownStage { .. }),
            ) => Failure::Spec(format!("error: {e}")),
            other => Failure::Run(error_chain(&other)),
        }
    }
}

pub use crate::engine::error_chain;

fn load(path: &std::path::Path, set: &[String]) -> Result<Spec, Failure> {
    load_spec(path, set).map_err(|d| Failure::Spec(d.to_string()))
}

fn options(cache: &Option<PathBuf>) -> RunOptions {
    RunOptions {
        cache: cache.clone(),
        ..RunOptions::default()
    }
}

fn check(a: &SpecArgs) -> Result<(), Failure> {
    let spec = load(&a.spec, &a.set)?;
    let prepared = prepare(&spec, &options(&a.cache))?;
    println!("spec {} is valid: {}", a.spec.display(), spec.study.title);
    for w in crate::engine::plan::absent_country_warnings(&spec, &prepared.plan, &prepared.cache) {
        eprintln!("{w}");
    }
    if let Some(mv) = &prepared.layout.multiverse {
        println!(
            "{}",
            crate::engine::multiverse::check_summary(mv, prepared.plan.instances.len())
        );
    }
    println!("plan ({} stage instances):", prepared.plan.instances.len());
    for i in &prepared.plan.instances {
        let state = if prepared.cache.has(i.kind.name(), &i.key) {
            "cached"
        } else {
            "stale"
        };
        println!("  {:<10} {:<24} {}", i.kind.name(), i.instance, state);
    }
    Ok(())
}

fn plan_cmd(a: &PlanArgs) -> Result<(), Failure> {
    let spec = load(&a.spec.spec, &a.spec.set)?;
    let prepared = prepare(&spec, &options(&a.spec.cache))?;
    if a.write {
        for i in &prepared.plan.instances {
            prepared
                .cache
                .write_plan_entry(&i.key, &i.entry())
                .map_err(|e| Failure::Run(error_chain(&e)))?;
        }
    }
    if a.json {
        let text = serde_json::to_string_pretty(&prepared.plan.to_json())
            .map_err(|e| Failure::Run(e.to_string()))?;
        println!("{text}");
        return Ok(());
    }
    for i in &prepared.plan.instances {
        println!("{:<10} {:<24} {}", i.kind.name(), i.instance, i.key);
        for (role, key) in &i.deps {
            let name = prepared
                .plan
                .get(key)
                .map_or_else(|| key.to_string(), |d| d.id());
            println!("    {role}: {name}");
        }
    }
    if a.write {
        eprintln!(
            "plan of {} instances stored in {}",
            prepared.plan.instances.len(),
            prepared.cache.root.display()
        );
    }
    Ok(())
}

fn stage_cmd(a: &StageArgs) -> Result<(), Failure> {
    let StageCommand::Run { key, cache } = &a.command;
    let key: crate::engine::key::Key = key
        .parse()
        .map_err(|e| Failure::Spec(format!("error: {e}")))?;
    let Some(cache) = Cache::existing(cache).map_err(|e| Failure::Spec(format!("error: {e}")))?
    else {
        return Err(Failure::Spec(format!(
            "error: no cache at {}; write a plan into it first (`gvc plan SPEC --write --cache {}`)",
            cache.display(),
            cache.display()
        )));
    };
    let hasher = crate::engine::hashing::FileHasher::new(Some(cache.root.join("file-hashes.json")));
    let outcome = crate::engine::exec::run_stored(&cache, &hasher, &key).map_err(|e| match e {
        crate::engine::StageError::NotPlanned { .. }
        | crate::engine::StageError::BadPlanEntry { .. } => Failure::Spec(format!("error: {e}")),
        other => Failure::Run(error_chain(&other)),
    })?;
    hasher.save();
    match outcome {
        crate::engine::exec::WorkerOutcome::AlreadyThere => {
            eprintln!("{key}: already in the cache")
        }
        crate::engine::exec::WorkerOutcome::ComputedElsewhere => {
            eprintln!("{key}: computed by another worker (this one waited for its claim)")
        }
        crate::engine::exec::WorkerOutcome::Ran => eprintln!("{key}: done"),
    }
    Ok(())
}

fn run_cmd(a: &RunArgs) -> Result<(), Failure> {
    use crate::engine::executor::Executor;
    if a.executor == Executor::Local && (a.dry_run || a.detach || !a.slurm_option.is_empty()) {
        return Err(Failure::Spec(
            "error: --dry-run, --detach and --slurm-option go with --executor slurm".into(),
        ));
    }
    for path in &a.specs {
        let spec = load(path, &a.set)?;
        let opts = RunOptions {
            cache: a.cache.clone(),
            output: if a.specs.len() == 1 {
                a.output.clone()
            } else {
                a.output.as_ref().map(|o| o.join(&spec.name))
            },
            // 0: the number of cores.
            jobs: a.jobs.map_or(0, usize::from),
            quiet: a.quiet,
        };
        let summary = match a.executor {
            Executor::Local => run::run(&spec, &opts)?,
            Executor::Slurm => match slurm_run(a, &spec, &opts)? {
                Some(summary) => summary,
                None => continue,
            },
        };
        if !a.quiet {
            let total = summary.instances.len();
            let ran = summary.ran();
            if ran == 0 {
                eprintln!(
                    "all {total} stages cached; outputs in {} ({:.2} s)",
                    summary.output.display(),
                    summary.seconds
                );
            } else {
                let mut by_stage: std::collections::BTreeMap<&str, usize> =
                    std::collections::BTreeMap::new();
                for t in summary
                    .instances
                    .iter()
                    .filter(|t| t.outcome != Outcome::Cached)
                {
                    *by_stage.entry(t.kind.name()).or_default() += 1;
                }
                let which: Vec<String> =
                    by_stage.iter().map(|(s, n)| format!("{s} ×{n}")).collect();
                eprintln!(
                    "ran {ran} of {total} stages ({}; {} cached); outputs in {} ({:.2} s)",
                    which.join(", "),
                    total - ran,
                    summary.output.display(),
                    summary.seconds
                );
            }
            // Damaged-artifact warnings were printed when the damage was found
            // (`engine::exec::execute`); they are not repeated here.
        }
        let warnings: std::collections::BTreeSet<&String> = summary
            .instances
            .iter()
            .flat_map(|t| &t.facts.warnings)
            .collect();
        for w in warnings {
            eprintln!("{w}");
        }
    }
    Ok(())
}

/// One spec through Slurm: the dry run's scripts or the job ids (`None`: nothing rendered),
/// else the local rendering's summary once every task has ended.
fn slurm_run(
    a: &RunArgs,
    spec: &Spec,
    opts: &RunOptions,
) -> Result<Option<run::RunSummary>, Failure> {
    use crate::engine::slurm::{self, SlurmOutcome, SlurmRunOptions};
    let s = SlurmRunOptions {
        options: a.slurm_option.clone(),
        dry_run: a.dry_run,
        detach: a.detach,
        ..SlurmRunOptions::default()
    };
    match slurm::run(spec, opts, &s)? {
        SlurmOutcome::DryRun(text) => {
            print!("{text}");
            Ok(None)
        }
        SlurmOutcome::Detached { record, run_dir } => {
            for sub in &record.arrays {
                println!(
                    "{} {} ({} tasks, stage {}, level {})",
                    sub.job_id,
                    sub.array.name,
                    sub.array.tasks.len(),
                    sub.array.kind,
                    sub.array.level
                );
            }
            if !a.quiet {
                eprintln!(
                    "submitted {} tasks in {} arrays (run {}, scripts and logs in {}); follow with                      `gvc status {}`, then `gvc run {}` writes the outputs",
                    record.tasks(),
                    record.arrays.len(),
                    record.run_id,
                    run_dir.display(),
                    spec.file.display(),
                    spec.file.display()
                );
            }
            Ok(None)
        }
        SlurmOutcome::Finished {
            record,
            slurm_seconds,
            summary,
            ..
        } => {
            if let (Some(r), false) = (&record, a.quiet) {
                eprintln!(
                    "slurm: {} tasks in {} arrays (jobs {}) finished in {slurm_seconds:.1} s",
                    r.tasks(),
                    r.arrays.len(),
                    r.job_ids().join(", ")
                );
            }
            Ok(Some(summary))
        }
    }
}

fn status(a: &StatusArgs) -> Result<(), Failure> {
    let spec = load(&a.spec.spec, &a.spec.set)?;
    let prepared = prepare(&spec, &options(&a.spec.cache))?;
    if let Some(other) = &a.other {
        let other_spec = load(other, &a.spec.set)?;
        let other_prepared = prepare(&other_spec, &options(&a.spec.cache))?;
        let names = (
            a.spec.spec.display().to_string(),
            other.display().to_string(),
        );
        print!(
            "{}",
            compare_plans(&prepared, &other_prepared, &names, a.explain)
        );
        return Ok(());
    }
    for (inst, state, why) in crate::engine::status::status(&prepared, a.explain) {
        let state = match state {
            State::Cached => "cached".to_string(),
            State::Stale => "stale".to_string(),
            State::Damaged(w) => format!("damaged ({w})"),
        };
        println!("{:<10} {:<24} {}", inst.kind.name(), inst.instance, state);
        for w in why {
            println!("    {w}");
        }
    }
    if let Some(report) = crate::engine::slurm::status_report(&prepared) {
        print!("{report}");
    }
    Ok(())
}

/// `gvc status A B`: one line per stage instance (shared, differs, only in one spec), the
/// reasons with `--explain`, and a count.
fn compare_plans(
    a: &run::Prepared,
    b: &run::Prepared,
    names: &(String, String),
    explain: bool,
) -> String {
    let state = |cached: bool| if cached { "cached" } else { "stale" };
    let mut out = String::new();
    let (mut shared, mut differ, mut only_a, mut only_b) = (0, 0, 0, 0);
    for c in crate::engine::status::compare_plans(a, b) {
        let head = format!("{:<10} {:<24}", c.kind.name(), c.instance);
        match &c.relation {
            Relation::Shared => {
                shared += 1;
                out.push_str(&format!("{head} shared ({})\n", state(c.cached)));
            }
            Relation::Differs { other_cached, why } => {
                differ += 1;
                out.push_str(&format!(
                    "{head} differs ({} / {})\n",
                    state(c.cached),
                    state(*other_cached)
                ));
                if explain {
                    for w in why {
                        out.push_str(&format!("    {w}\n"));
                    }
                }
            }
            Relation::OnlyFirst => {
                only_a += 1;
                out.push_str(&format!(
                    "{head} only in {} ({})\n",
                    names.0,
                    state(c.cached)
                ));
            }
            Relation::OnlySecond => {
                only_b += 1;
                out.push_str(&format!(
                    "{head} only in {} ({})\n",
                    names.1,
                    state(c.cached)
                ));
            }
        }
    }
    out.push_str(&format!(
        "{shared} shared, {differ} differ, {only_a} only in {}, {only_b} only in {}\n",
        names.0, names.1
    ));
    out
}

fn clean(a: &CleanArgs) -> Result<(), Failure> {
    let specs = a
        .specs
        .iter()
        .map(|p| load(p, &[]))
        .collect::<Result<Vec<_>, _>>()?;
    let cache_root = match (&a.cache, specs.first()) {
        (Some(c), _) => c.clone(),
        (None, Some(s)) => run::cache_dir(s, &RunOptions::default()),
        (None, None) => match std::env::var_os("GVC_CACHE").filter(|v| !v.is_empty()) {
            Some(c) => PathBuf::from(c),
            None => return Err(Failure::Spec(
                "error: gvc clean needs a SPEC or --cache DIR (or $GVC_CACHE) to know which cache"
                    .into(),
            )),
        },
    };
    let Some(cache) =
        Cache::existing(&cache_root).map_err(|e| Failure::Spec(format!("error: {e}")))?
    else {
        println!("no cache at {}", cache_root.display());
        return Ok(());
    };
    if a.unused && specs.is_empty() {
        return Err(Failure::Spec(
            "error: --unused needs the SPEC(s) whose artifacts to keep".into(),
        ));
    }
    let report_kept = |kept: &[PathBuf]| {
        if !kept.is_empty() {
            println!(
                "kept {} entries gvc did not write (or that a running gvc is writing):",
                kept.len()
            );
            for k in kept {
                println!("  {}", k.display());
            }
        }
    };
    if a.all {
        let c = cache.remove_all();
        println!(
            "removed {} entries gvc wrote in {}",
            c.removed,
            cache_root.display()
        );
        report_kept(&c.kept);
        return Ok(());
    }
    let c = cache.clean_tmp();
    println!("removed {} leftover temp entries", c.removed);
    // What gvc did not write stays, and is listed, so a user file in the cache is never
    // silently ignored (nor silently lost: no mode removes it).
    let mut kept = c.kept;
    kept.extend(cache.foreign_entries());
    kept.sort();
    kept.dedup();
    if a.unused {
        let mut keep = std::collections::BTreeSet::new();
        for spec in &specs {
            let prepared = prepare(
                spec,
                &RunOptions {
                    cache: Some(cache_root.clone()),
                    ..RunOptions::default()
                },
            )?;
            keep.extend(
                prepared
                    .plan
                    .instances
                    .iter()
                    .map(|i| (i.kind.name().to_string(), i.key.clone())),
            );
        }
        let (mut removed, mut freed) = (0, 0);
        for (kind, key, dir) in cache.artifacts() {
            if keep.contains(&(kind.clone(), key.clone())) {
                continue;
            }
            let bytes = crate::engine::measure::tree_bytes(&dir);
            if cache.remove_artifact(&kind, &key) {
                removed += 1;
                freed += bytes;
            }
        }
        println!(
            "removed {removed} artifacts none of the {} spec(s) uses ({} freed)",
            specs.len(),
            crate::engine::measure::mib_or_kib(freed)
        );
    }
    report_kept(&kept);
    Ok(())
}

fn report_cmd(a: &ReportArgs) -> Result<(), Failure> {
    let spec = load(&a.spec.spec, &a.spec.set)?;
    let prepared = prepare(&spec, &options(&a.spec.cache))?;
    let Some(key) = &prepared.layout.report else {
        return Err(Failure::Spec(
            "error: the spec has no models, so there is no report".into(),
        ));
    };
    if !prepared.cache.has("report", key) {
        return Err(Failure::Spec(format!(
            "error: the report of {} is not built yet; run `gvc run {}` first",
            a.spec.spec.display(),
            a.spec.spec.display()
        )));
    }
    let art = crate::engine::outputs::load::<crate::engine::stages::report::ReportStage>(
        &prepared.cache,
        key,
    )
    .map_err(|e| Failure::Run(error_chain(&e)))?;
    if a.context {
        let s =
            crate::report::context_json(&art.input).map_err(|e| Failure::Run(error_chain(&e)))?;
        println!("{s}");
    } else {
        println!(
            "report of {}: {} regression tables; use --context to print the template context",
            a.spec.spec.display(),
            art.input.models.len()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::storage_hint;

    #[test]
    fn a_full_disk_gets_a_fix_and_other_failures_do_not() {
        let full = "cannot write out/x.parquet: No space left on device (os error 28)";
        assert!(storage_hint(full)
            .unwrap()
            .contains("disk holding that file is full"));
        assert!(storage_hint("x.parquet: Disk quota exceeded (os error 122)").is_some());
        assert!(
            storage_hint("cannot read x.csv: No such file or directory (os error 2)").is_none()
        );
    }
}
