//! The command line: `gvc check | run | status | clean | …`. Each command is a thin layer over
//! the library; errors map to exit codes 0 (ok), 1 (run failure), 2 (spec or usage error).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub mod init;
pub mod quick;

use crate::engine::cache::Lookup;
use crate::engine::run::{self, prepare, RunError, RunOptions};
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
    /// Worker threads for independent stage instances (default: number of cores).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub jobs: usize,
    /// No progress bars or summary lines.
    #[arg(long, short = 'q')]
    pub quiet: bool,
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
    /// Remove the whole cache.
    #[arg(long, conflicts_with = "unused")]
    pub all: bool,
    /// Remove artifacts the spec's current plan does not use.
    #[arg(long)]
    pub unused: bool,
}

/// Runs the parsed command line and returns the process exit code.
pub fn main_with(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Check(a) => check(&a),
        Command::Run(a) => run_cmd(&a),
        Command::Status(a) => status(&a),
        Command::Clean(a) => clean(&a),
        Command::Estimate(a) => quick::estimate(&a),
        Command::Decompose(a) => quick::decompose_cmd(&a),
        Command::Bench(a) => quick::bench(&a),
        Command::Init(a) => init::init(&a),
        Command::Report(a) => report_cmd(&a),
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
            ExitCode::from(1)
        }
    }
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
            other => Failure::Run(error_chain(&other)),
        }
    }
}

/// An error and its sources, joined with ": " (without repeating identical text).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        cur = s.source();
    }
    msg
}

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
    println!("plan ({} stage instances):", prepared.plan.tasks.len());
    for t in &prepared.plan.tasks {
        let state = if prepared.cache.has(t.stage, &t.key()) {
            "cached"
        } else {
            "stale"
        };
        println!("  {:<10} {:<24} {}", t.stage, t.instance, state);
    }
    Ok(())
}

fn run_cmd(a: &RunArgs) -> Result<(), Failure> {
    for path in &a.specs {
        let spec = load(path, &a.set)?;
        let opts = RunOptions {
            cache: a.cache.clone(),
            output: if a.specs.len() == 1 {
                a.output.clone()
            } else {
                a.output.as_ref().map(|o| o.join(&spec.name))
            },
            jobs: a.jobs,
            quiet: a.quiet,
        };
        let summary = run::run(&spec, &opts)?;
        if !a.quiet {
            let total = summary.tasks.len();
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
                    .tasks
                    .iter()
                    .filter(|t| t.outcome != crate::engine::exec::Outcome::Cached)
                {
                    *by_stage.entry(t.stage.as_str()).or_default() += 1;
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
            for t in &summary.tasks {
                if let Some(w) = &t.warning {
                    eprintln!("{w}");
                }
            }
        }
    }
    Ok(())
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
    for t in &prepared.plan.tasks {
        let key = t.key();
        let state = match prepared.cache.lookup(t.stage, &key) {
            Lookup::Hit { .. } => "cached".to_string(),
            Lookup::Miss => "stale".to_string(),
            Lookup::Corrupt(why) => format!("damaged ({why})"),
        };
        println!("{:<10} {:<24} {}", t.stage, t.instance, state);
        if a.explain && state != "cached" {
            let Some(parts) = &t.parts else { continue };
            match prepared.cache.latest(&prepared.scope, t.stage, &t.instance) {
                None => println!("    never run with this spec"),
                Some(old) if old.key() == key => println!(
                    "    same inputs as the last run; the artifact is missing from the cache"
                ),
                Some(old) => {
                    for why in parts.explain_change(&old) {
                        println!("    {why}");
                    }
                }
            }
        }
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
    use crate::engine::compare::Relation;
    let state = |cached: bool| if cached { "cached" } else { "stale" };
    let mut out = String::new();
    let (mut shared, mut differ, mut only_a, mut only_b) = (0, 0, 0, 0);
    for c in crate::engine::compare::compare_plans(a, b) {
        let head = format!("{:<10} {:<24}", c.stage, c.instance);
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
        (None, None) => match std::env::var_os("GVC_CACHE") {
            Some(c) => PathBuf::from(c),
            None => {
                return Err(Failure::Spec(
                    "gvc clean needs a SPEC or --cache DIR (or $GVC_CACHE) to know which cache"
                        .into(),
                ))
            }
        },
    };
    if !cache_root.is_dir() {
        println!("no cache at {}", cache_root.display());
        return Ok(());
    }
    if a.all {
        std::fs::remove_dir_all(&cache_root)
            .map_err(|e| Failure::Run(format!("cannot remove {}: {e}", cache_root.display())))?;
        println!("removed {}", cache_root.display());
        return Ok(());
    }
    let cache =
        crate::engine::cache::Cache::open(&cache_root).map_err(|e| Failure::Run(e.to_string()))?;
    let n = cache.clean_tmp();
    println!("removed {n} leftover temp folders");
    if a.unused {
        if specs.is_empty() {
            return Err(Failure::Spec(
                "--unused needs the SPEC(s) whose artifacts to keep".into(),
            ));
        }
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
                    .tasks
                    .iter()
                    .map(|t| (t.stage.to_string(), t.key())),
            );
        }
        let mut removed = 0;
        for (stage, key, dir) in cache.artifacts() {
            if !keep.contains(&(stage, key)) && std::fs::remove_dir_all(&dir).is_ok() {
                removed += 1;
            }
        }
        println!(
            "removed {removed} artifacts none of the {} spec(s) uses",
            specs.len()
        );
    }
    Ok(())
}

fn report_cmd(a: &ReportArgs) -> Result<(), Failure> {
    let spec = load(&a.spec.spec, &a.spec.set)?;
    let prepared = prepare(&spec, &options(&a.spec.cache))?;
    let Some(r) = prepared.study.report else {
        return Err(Failure::Spec(
            "error: the spec has no models, so there is no report".into(),
        ));
    };
    let t = &prepared.plan.tasks[r];
    let Lookup::Hit { .. } = prepared.cache.lookup(t.stage, &t.key()) else {
        return Err(Failure::Spec(format!(
            "error: the report of {} is not built yet; run `gvc run {}` first",
            a.spec.spec.display(),
            a.spec.spec.display()
        )));
    };
    let art = crate::engine::outputs::load(&prepared.plan, &prepared.cache, r)
        .map_err(|e| Failure::Run(e.to_string()))?;
    let input: crate::report::ReportInput = art
        .as_json()
        .and_then(|j| serde_json::from_value(j["input"].clone()).ok())
        .ok_or_else(|| Failure::Run("the cached report has no input".into()))?;
    if a.context {
        let s = crate::report::context_json(&input).map_err(|e| Failure::Run(error_chain(&e)))?;
        println!("{s}");
    } else {
        println!(
            "report of {}: {} regression tables; use --context to print the template context",
            a.spec.spec.display(),
            input.models.len()
        );
    }
    Ok(())
}
