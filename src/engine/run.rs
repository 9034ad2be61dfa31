//! A run of a spec: plan, execute, write `output/<spec>/` (io_summary.csv, run.json, and the
//! later stages' outputs). Every output file is written atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::cache::{write_atomic, Cache, CacheError};
use super::exec::{execute, ExecOptions, Outcome, Plan, TaskReport};
use super::key::FileHasher;
use super::stages;
use super::StageError;
use crate::spec::{Diagnostics, Spec};

/// Why a run failed: the spec (exit 2) or the work (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Spec(Diagnostics),
    #[error(transparent)]
    Stage(#[from] StageError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("cannot write {}: {source}", path.display())]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Where the cache and outputs go, and how to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// `--cache DIR`; else `$GVC_CACHE`; else `.gvc-cache/` beside the spec.
    pub cache: Option<PathBuf>,
    /// Output folder override; else `[study] output`; else `output/<spec name>`.
    pub output: Option<PathBuf>,
    pub jobs: usize,
    pub quiet: bool,
}

/// The cache folder for a spec under these options.
pub fn cache_dir(spec: &Spec, opts: &RunOptions) -> PathBuf {
    if let Some(c) = &opts.cache {
        return c.clone();
    }
    if let Some(c) = std::env::var_os("GVC_CACHE").filter(|v| !v.is_empty()) {
        return PathBuf::from(c);
    }
    spec.dir.join(".gvc-cache")
}

/// The output folder for a spec under these options.
pub fn output_dir(spec: &Spec, opts: &RunOptions) -> PathBuf {
    if let Some(o) = &opts.output {
        return o.clone();
    }
    if let Some(o) = &spec.study.output {
        return spec.dir.join(o);
    }
    PathBuf::from("output").join(&spec.name)
}

/// A plan built for a spec, with the cache it runs against.
pub struct Prepared {
    pub plan: Plan,
    pub cache: Cache,
    pub hasher: FileHasher,
    pub scope: String,
    pub study: StudyTasks,
}

/// Builds the full plan of a spec (no data is read beyond hashing input files).
pub fn prepare(spec: &Spec, opts: &RunOptions) -> Result<Prepared, RunError> {
    let cache = Cache::open(&cache_dir(spec, opts))?;
    let hasher = FileHasher::new(Some(cache.root.join("file-hashes.json")));
    let mut plan = Plan::default();
    let mut d = crate::spec::Diagnostics::default();
    let mut study = StudyTasks::default();
    add_spec_stages(spec, None, &[], &mut plan, &hasher, &mut study, &mut d);
    for r in &spec.robustness {
        match crate::spec::load::variant_spec(spec, r) {
            Ok(v) => {
                let models: Vec<String> = r.models.iter().map(|m| m.value.clone()).collect();
                add_spec_stages(
                    &v,
                    Some(&r.name.value),
                    &models,
                    &mut plan,
                    &hasher,
                    &mut study,
                    &mut d,
                );
            }
            Err(e) => d.extend(e),
        }
    }
    if d.is_empty() {
        match super::report_stage::add_report_stage(spec, &mut plan, &study, &hasher) {
            Ok(r) => study.report = r,
            Err(e) => d.extend(e),
        }
    }
    d.into_result().map_err(RunError::Spec)?;
    plan.finalize();
    hasher.save();
    Ok(Prepared {
        plan,
        cache,
        hasher,
        scope: scope_of(spec),
        study,
    })
}

/// Where the study stages of a spec and its variants sit in the plan.
#[derive(Debug, Default, Clone)]
pub struct StudyTasks {
    /// Panel task per variant (`None` = the baseline).
    pub panels: Vec<(Option<String>, usize)>,
    /// Estimate and Hausman tasks: (variant, instance) → task.
    pub estimates: BTreeMap<(Option<String>, String), usize>,
    /// Decompose tasks of the baseline, by year.
    pub decompose: BTreeMap<i32, usize>,
    /// The report task.
    pub report: Option<usize>,
}

fn add_spec_stages(
    spec: &Spec,
    variant: Option<&str>,
    models: &[String],
    plan: &mut Plan,
    hasher: &FileHasher,
    study: &mut StudyTasks,
    d: &mut crate::spec::Diagnostics,
) {
    use super::study as st;
    let tables = match stages::add_table_stages(spec, plan, hasher) {
        Ok(t) => t,
        Err(e) => {
            d.extend(e);
            return;
        }
    };
    let dec = stages::add_decompose_stages(spec, plan, &tables);
    if variant.is_none() {
        study.decompose = dec.clone();
        d.extend(st::check_country_codes(spec));
    }
    if spec.variables.is_empty() {
        return;
    }
    let cov = match st::add_covariate_stages(spec, plan, hasher) {
        Ok(c) => c,
        Err(e) => {
            d.extend(e);
            return;
        }
    };
    let panel = match st::add_panel_stage(spec, plan, &dec, &cov, variant.unwrap_or("main")) {
        Ok(p) => p,
        Err(e) => {
            d.extend(e);
            return;
        }
    };
    study.panels.push((variant.map(str::to_string), panel));
    for (instance, idx) in st::add_estimate_stages(spec, plan, panel, variant, models) {
        study
            .estimates
            .insert((variant.map(str::to_string), instance), idx);
    }
}

/// The name under which a spec's latest keys are recorded in a shared cache.
pub fn scope_of(spec: &Spec) -> String {
    let canonical = spec
        .file
        .canonicalize()
        .unwrap_or_else(|_| spec.file.clone());
    let h = blake3::hash(canonical.to_string_lossy().as_bytes()).to_hex();
    format!("{}-{}", spec.name, &h[..12])
}

/// What a run did.
#[derive(Debug)]
pub struct RunSummary {
    pub output: PathBuf,
    pub tasks: Vec<TaskReport>,
    pub seconds: f64,
}

impl RunSummary {
    pub fn ran(&self) -> usize {
        self.tasks
            .iter()
            .filter(|t| t.outcome != Outcome::Cached)
            .count()
    }
}

/// Runs a spec end to end.
pub fn run(spec: &Spec, opts: &RunOptions) -> Result<RunSummary, RunError> {
    let start = std::time::Instant::now();
    let prepared = prepare(spec, opts)?;
    let exec = ExecOptions {
        jobs: if opts.jobs == 0 {
            default_jobs()
        } else {
            opts.jobs
        },
        quiet: opts.quiet,
        scope: prepared.scope.clone(),
    };
    let tasks = execute(&prepared.plan, &prepared.cache, &exec)?;
    let out = output_dir(spec, opts);
    write_outputs(spec, &prepared.plan, &tasks, &out)?;
    super::outputs::write_decompositions(&prepared.plan, &prepared.cache, &prepared.study, &out)?;
    super::outputs::write_panel_tables(&prepared.plan, &prepared.cache, &prepared.study, &out)?;
    super::outputs::write_spec_and_samples(
        spec,
        &prepared.plan,
        &prepared.cache,
        &prepared.study,
        &out,
    )?;
    if !prepared.study.estimates.is_empty() {
        super::outputs::write_results(&prepared.plan, &prepared.cache, &prepared.study, &out)?;
    }
    if let Some(r) = prepared.study.report {
        let art = super::outputs::load(&prepared.plan, &prepared.cache, r)?;
        if let Some(doc) = art.as_json() {
            super::report_stage::write_report_files(doc, &out)?;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    write_run_json(spec, &prepared.plan, &tasks, &out, seconds)?;
    Ok(RunSummary {
        output: out,
        tasks,
        seconds,
    })
}

/// Worker threads when `--jobs` is not given: the machine's cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn output_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Output {
        path: path.to_path_buf(),
        source,
    }
}

/// Formats a float for CSV output: shortest round-trip representation (deterministic).
pub fn fmt_f64(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

fn write_outputs(
    spec: &Spec,
    plan: &Plan,
    tasks: &[TaskReport],
    out: &Path,
) -> Result<(), RunError> {
    let tables = out.join("tables");
    std::fs::create_dir_all(&tables).map_err(output_err(&tables))?;
    // io_summary.csv: country, year, output, value_added, gross_exports, final_demand.
    let mut rows: Vec<(i32, usize, Vec<String>)> = Vec::new();
    for (t, r) in plan.tasks.iter().zip(tasks) {
        if t.stage != "io_tables" {
            continue;
        }
        let year: i32 = t.instance.parse().unwrap_or_default();
        if let Some(list) = r.extra.get("summary").and_then(|s| s.as_array()) {
            for (ci, row) in list.iter().enumerate() {
                let num =
                    |k: &str| fmt_f64(row.get(k).and_then(|v| v.as_f64()).unwrap_or(f64::NAN));
                rows.push((
                    year,
                    ci,
                    vec![
                        row.get("country")
                            .and_then(|v| v.as_str())
                            .unwrap_or("")
                            .to_string(),
                        year.to_string(),
                        num("output"),
                        num("value_added"),
                        num("gross_exports"),
                        num("final_demand"),
                    ],
                ));
            }
        }
    }
    rows.sort_by_key(|(y, c, _)| (*c, *y));
    let mut csv = String::from("country,year,output,value_added,gross_exports,final_demand\n");
    for (_, _, r) in rows {
        csv.push_str(&r.join(","));
        csv.push('\n');
    }
    let path = tables.join("io_summary.csv");
    write_atomic(&path, csv.as_bytes()).map_err(output_err(&path))?;
    let _ = spec;
    Ok(())
}

/// `run.json`: provenance of a run. Identical between two runs of the same inputs apart from the
/// `seconds` fields and the `outcome` of each stage.
fn write_run_json(
    spec: &Spec,
    plan: &Plan,
    tasks: &[TaskReport],
    out: &Path,
    seconds: f64,
) -> Result<(), RunError> {
    let mut inputs = BTreeMap::new();
    let mut max_residual: f64 = 0.0;
    let mut stages = Vec::new();
    for (t, r) in plan.tasks.iter().zip(tasks) {
        if let Some(p) = &t.parts {
            for (k, v) in &p.inputs {
                inputs.insert(k.clone(), v.clone());
            }
        }
        if let Some(ids) = r.extra.get("identities").and_then(|v| v.as_array()) {
            // Identities without a tolerance are facts about the data (I1 when x is read
            // from the table), not checks of the computation.
            for id in ids.iter().filter(|id| id["tolerance"].is_number()) {
                if let Some(res) = id.get("residual").and_then(|v| v.as_f64()) {
                    max_residual = max_residual.max(res);
                }
            }
        }
        stages.push(json!({
            "stage": r.stage,
            "instance": r.instance,
            "key": r.key,
            "outcome": r.outcome,
            "seconds": r.seconds,
            "identities": r.extra.get("identities").cloned().unwrap_or(serde_json::Value::Null),
        }));
    }
    let spec_json = spec.root.to_json();
    let doc = json!({
        "gvc_version": env!("CARGO_PKG_VERSION"),
        "spec": spec.file.display().to_string(),
        "spec_hash": blake3::hash(serde_json::to_string(&spec_json).unwrap_or_default().as_bytes()).to_hex().to_string(),
        "inputs": inputs,
        "stages": stages,
        "max_identity_residual": max_residual,
        "seconds": seconds,
    });
    let path = out.join("run.json");
    let bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    write_atomic(&path, &bytes).map_err(output_err(&path))
}
