//! The files of `output/<spec>/`, computed from the plan's artifacts (never by recomputing):
//! `tables/io_summary.csv`, the decomposition copies, the panel's missing-data and descriptive
//! tables and `panel.parquet`, `spec.json`, `samples.json`, `results.json` and
//! `results/estimates.parquet`, the rendered report, and `run.json`. They are handed to
//! [`super::publish`] as one list, so the folder is written by one protocol. Everything is
//! deterministic: the same inputs give the same bytes.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;
use serde_json::json;

use super::artifact::{HausmanSet, PanelOutput, ReportOutput};
use super::cache::{Cache, Lookup};
use super::csv_out::{Cell, CsvOut};
use super::exec::InstanceReport;
use super::key::Key;
use super::plan::{Layout, Plan};
use super::publish::{Content, OutputFile};
use super::stage::Stage;
use super::stages::decompose::WWZ_FILE;
use super::stages::StageKind;
use super::StageError;
use crate::choice::Choice;
use crate::estimate::EstimationResult;
use crate::spec::Spec;

/// Loads an instance's output from the cache (verified).
pub fn load<S: Stage>(cache: &Cache, key: &Key) -> Result<S::Output, StageError> {
    let dir = artifact_dir(cache, S::KIND, key)?;
    Ok(<S::Output as super::artifact::Artifact>::load(&dir)?)
}

fn artifact_dir(
    cache: &Cache,
    kind: StageKind,
    key: &Key,
) -> Result<std::path::PathBuf, StageError> {
    match cache.lookup(kind.name(), key) {
        Lookup::Hit { dir, .. } => Ok(dir),
        Lookup::Miss => Err(StageError::MissingUpstream {
            kind: kind.name(),
            key: key.clone(),
            damaged: None,
        }),
        Lookup::Corrupt(why) => Err(StageError::MissingUpstream {
            kind: kind.name(),
            key: key.clone(),
            damaged: Some(why),
        }),
    }
}

fn parquet_bytes(df: &mut DataFrame) -> Result<Vec<u8>, StageError> {
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(df)?;
    Ok(buf)
}

fn json_bytes(v: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap_or_default()
}

/// Every file of the output folder.
pub fn collect(
    spec: &Spec,
    plan: &Plan,
    layout: &Layout,
    cache: &Cache,
    reports: &[InstanceReport],
) -> Result<Vec<OutputFile>, StageError> {
    let mut files = vec![io_summary(layout, reports)?];
    files.extend(decompositions(layout, cache)?);
    files.extend(panel_tables(layout, cache)?);
    files.push(OutputFile::bytes(
        "spec.json",
        json_bytes(&spec.root.to_json()),
    ));
    files.push(samples(spec, layout, cache)?);
    if !layout.columns.is_empty() {
        files.extend(results(layout, cache)?);
    }
    if let Some(mv) = &layout.multiverse {
        files.extend(super::multiverse::outputs::files(
            mv,
            cache,
            &spec.report.stars.value,
        )?);
    }
    if let Some(key) = &layout.report {
        let report: ReportOutput = load::<super::stages::report::ReportStage>(cache, key)?;
        if let Some(mv) = &report.input.multiverse {
            let curves: Vec<serde_json::Value> = mv
                .curves
                .iter()
                .map(|c| json!({ "model": c.model, "variable": c.variable, "summary": c.summary }))
                .collect();
            files.push(OutputFile::bytes(
                "multiverse/summary.json",
                json_bytes(&serde_json::Value::Array(curves)),
            ));
        }
        for (path, text) in report.files {
            files.push(OutputFile::bytes(path, text.into_bytes()));
        }
    }
    files.push(run_json(spec, plan, reports));
    Ok(files)
}

/// `tables/io_summary.csv`: country, year, output, value added, gross exports, final demand
/// of every baseline year's table.
fn io_summary(layout: &Layout, reports: &[InstanceReport]) -> Result<OutputFile, StageError> {
    let by_key: BTreeMap<&Key, &InstanceReport> = reports.iter().map(|r| (&r.key, r)).collect();
    let mut rows = Vec::new();
    for (year, keys) in &layout.years {
        let Some(r) = by_key.get(&keys.io_tables) else {
            continue;
        };
        for (ci, t) in r.facts.summary.iter().enumerate() {
            rows.push((ci, *year, t));
        }
    }
    rows.sort_by_key(|(c, y, _)| (*c, *y));
    let mut out = CsvOut::new(
        Vec::new(),
        &[
            "country",
            "year",
            "output",
            "value_added",
            "gross_exports",
            "final_demand",
        ],
    )?;
    for (_, year, t) in rows {
        out.row([
            Cell::Text(&t.country),
            Cell::Int(i64::from(year)),
            Cell::Num(t.output),
            Cell::Num(t.value_added),
            Cell::Num(t.gross_exports),
            Cell::Num(t.final_demand),
        ])?;
    }
    Ok(OutputFile::bytes("tables/io_summary.csv", out.finish()?))
}

/// `decomposition/measures_<year>.parquet` (the long frame) and, with WWZ,
/// `decomposition/wwz_<year>.parquet` (wide, at `wwz_level`): copies of the artifacts.
fn decompositions(layout: &Layout, cache: &Cache) -> Result<Vec<OutputFile>, StageError> {
    let mut out = Vec::new();
    for (year, keys) in &layout.years {
        let Some(key) = &keys.decompose else { continue };
        let dir = artifact_dir(cache, StageKind::Decompose, key)?;
        for (from, to) in [
            (
                "frame.parquet",
                format!("decomposition/measures_{year}.parquet"),
            ),
            (WWZ_FILE, format!("decomposition/wwz_{year}.parquet")),
        ] {
            if dir.join(from).is_file() {
                out.push(OutputFile {
                    path: to,
                    content: Content::Copy(dir.join(from)),
                });
            }
        }
    }
    Ok(out)
}

/// `tables/missing.csv`, `tables/descriptives.csv` and `panel.parquet` of the baseline's
/// `[panel]`, and `tables/missing_<name>.csv`, `tables/descriptives_<name>.csv` and
/// `panel_<name>.parquet` of each `[panels.<name>]`.
fn panel_tables(layout: &Layout, cache: &Cache) -> Result<Vec<OutputFile>, StageError> {
    let mut out = Vec::new();
    for role in layout.panels.iter().filter(|p| p.variant.is_none()) {
        let suffix = role
            .panel
            .as_ref()
            .map(|n| format!("_{n}"))
            .unwrap_or_default();
        out.extend(one_panel_tables(&role.stage, &suffix, cache)?);
    }
    Ok(out)
}

/// The missing-data and descriptives tables and the frame of one panel, file names with
/// `suffix`.
fn one_panel_tables(
    panel: &super::stages::panel::PanelStage,
    suffix: &str,
    cache: &Cache,
) -> Result<Vec<OutputFile>, StageError> {
    let p: PanelOutput = load::<super::stages::panel::PanelStage>(cache, &panel.key())?;
    let mut missing = CsvOut::new(
        Vec::new(),
        &["variable", "n_missing", "n_rows", "missing_cells"],
    )?;
    for m in &p.summary.missing {
        let cells: Vec<String> = m.cells.iter().map(|(c, y)| format!("{c} {y}")).collect();
        let cells = cells.join("; ");
        missing.row([
            Cell::Text(&m.variable),
            Cell::Int(m.n_missing as i64),
            Cell::Int(m.n_rows as i64),
            Cell::Text(&cells),
        ])?;
    }
    let mut desc = CsvOut::new(
        Vec::new(),
        &["variable", "n", "mean", "sd", "min", "p50", "max"],
    )?;
    let num = |v: Option<f64>| v.map_or(Cell::Missing, Cell::Num);
    for d in &p.summary.descriptives {
        desc.row([
            Cell::Text(&d.variable),
            Cell::Int(d.n as i64),
            num(d.mean),
            num(d.sd),
            num(d.min),
            num(d.p50),
            num(d.max),
        ])?;
    }
    Ok(vec![
        OutputFile::bytes(format!("tables/missing{suffix}.csv"), missing.finish()?),
        OutputFile::bytes(format!("tables/descriptives{suffix}.csv"), desc.finish()?),
        OutputFile::bytes(
            format!("panel{suffix}.parquet"),
            parquet_bytes(&mut p.frame.clone())?,
        ),
    ])
}

/// `samples.json`: for each variant and model, the country-years whose dependent variable,
/// regressors and controls are all present — what `gvc diff` compares as "the sample".
fn samples(spec: &Spec, layout: &Layout, cache: &Cache) -> Result<OutputFile, StageError> {
    let mut samples = serde_json::Map::new();
    for role in &layout.panels {
        let variant = &role.variant;
        let p: PanelOutput = load::<super::stages::panel::PanelStage>(cache, &role.stage.key())?;
        let df = &p.frame;
        let country: Vec<Option<String>> = df
            .column(super::stages::panel::id_column(df))?
            .str()?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect();
        let year: Vec<Option<i64>> = df.column("year")?.i64()?.iter().collect();
        let variant_spec = match variant {
            None => spec.clone(),
            Some(v) => match spec.robustness.iter().find(|r| &r.name.value == v) {
                Some(r) => crate::spec::load::variant_spec(spec, r)?,
                None => continue,
            },
        };
        for m in &variant_spec.models {
            if variant_spec.model_panel(m).name != role.panel.as_deref() {
                continue;
            }
            let mut vars = vec![m.dependent.value.clone()];
            vars.extend(m.regressors.iter().map(|r| r.value.clone()));
            vars.extend(m.controls.iter().map(|r| r.value.clone()));
            let cols: Vec<Vec<Option<f64>>> = vars
                .iter()
                .map(|v| crate::spec::validate::base_variable(v).to_string())
                .filter_map(|v| {
                    df.column(&v)
                        .ok()
                        .and_then(|c| c.f64().ok().map(|ca| ca.iter().collect()))
                })
                .collect();
            let rows: Vec<serde_json::Value> = (0..df.height())
                .filter(|&i| {
                    cols.iter()
                        .all(|c| c.get(i).copied().flatten().is_some_and(f64::is_finite))
                })
                .filter_map(|i| Some(json!([country[i].clone()?, year[i]?])))
                .collect();
            let key = format!(
                "{}/{}",
                variant.as_deref().unwrap_or("baseline"),
                m.name.value
            );
            samples.insert(key, serde_json::Value::Array(rows));
        }
    }
    Ok(OutputFile::bytes(
        "samples.json",
        json_bytes(&serde_json::Value::Object(samples)),
    ))
}

/// `results.json` (every estimate with its variant, model, column and terms, and every
/// Hausman test) and `results/estimates.parquet` (one row per coefficient).
fn results(layout: &Layout, cache: &Cache) -> Result<Vec<OutputFile>, StageError> {
    // One entry per (variant, instance name), in the order of those names.
    enum Entry<'a> {
        Column(&'a super::plan::ColumnRole),
        Test(&'a super::plan::TestRole),
    }
    let mut entries: BTreeMap<(Option<String>, String), Entry> = BTreeMap::new();
    for c in &layout.columns {
        let name = format!("{}/{}", c.column.model, c.column.column_name());
        entries.insert((c.variant.clone(), name), Entry::Column(c));
    }
    for t in &layout.tests {
        let name = format!("hausman:{}/{}", t.model, t.step);
        entries.insert((t.variant.clone(), name), Entry::Test(t));
    }
    let mut estimates = Vec::new();
    let mut tests = Vec::new();
    let (mut r_variant, mut r_model, mut r_column, mut r_term) = (vec![], vec![], vec![], vec![]);
    let (mut r_est, mut r_se, mut r_p) = (vec![], vec![], vec![]);
    for ((variant, _), entry) in &entries {
        match entry {
            Entry::Test(t) => {
                let set: HausmanSet =
                    load::<super::stages::hausman::HausmanStage>(cache, &t.stage.key())?;
                tests.push(json!({
                    "variant": variant,
                    "model": t.model,
                    "step": t.step.to_string(),
                    "hausman": serde_json::to_value(&set)?,
                }));
            }
            Entry::Column(c) => {
                let result: EstimationResult =
                    load::<super::stages::estimate::EstimateStage>(cache, &c.stage.key())?;
                let column = c.column.column_name();
                let quick = serde_json::to_value(crate::estimate::quick_json(&result, None))?;
                for t in quick["coefficients"].as_array().into_iter().flatten() {
                    r_variant.push(variant.clone().unwrap_or_else(|| "baseline".into()));
                    r_model.push(c.column.model.clone());
                    r_column.push(column.clone());
                    r_term.push(t["name"].as_str().unwrap_or("").to_string());
                    r_est.push(t["estimate"].as_f64());
                    r_se.push(t["std_error"].as_f64());
                    r_p.push(t["p_value"].as_f64());
                }
                estimates.push(json!({
                    "variant": variant,
                    "model": c.column.model,
                    "step": c.column.step,
                    "estimator": c.column.estimator.name(),
                    "column": column,
                    "n_obs": quick["n_obs"],
                    "n_groups": quick["n_groups"],
                    "coefficients": quick["coefficients"],
                    "fit": quick["fit"],
                    "tests": quick["tests"],
                    "result": serde_json::to_value(&result)?,
                }));
            }
        }
    }
    let doc = json!({ "estimates": estimates, "tests": tests });
    let n = r_term.len();
    let mut df = DataFrame::new(
        n,
        vec![
            Column::new("variant".into(), r_variant),
            Column::new("model".into(), r_model),
            Column::new("column".into(), r_column),
            Column::new("term".into(), r_term),
            Column::new("estimate".into(), r_est),
            Column::new("std_error".into(), r_se),
            Column::new("p_value".into(), r_p),
        ],
    )?;
    Ok(vec![
        OutputFile::bytes("results.json", json_bytes(&doc)),
        OutputFile::bytes("results/estimates.parquet", parquet_bytes(&mut df)?),
    ])
}

/// `run.json`: provenance of a run — spec hash, input file hashes, every instance's key and
/// the identity residuals it recorded, the largest residual. Deterministic: timings and which
/// instances ran are in the cache's run log (`runs/<scope>.json`), not here.
fn run_json(spec: &Spec, plan: &Plan, reports: &[InstanceReport]) -> OutputFile {
    let mut inputs = BTreeMap::new();
    for inst in &plan.instances {
        collect_inputs(&inst.stage.params(), &mut inputs);
    }
    let mut max_residual: f64 = 0.0;
    let mut stages = Vec::new();
    for r in reports {
        // Identities without a tolerance are facts about the data (I1 when x is read from the
        // table), not checks of the computation.
        for id in r
            .facts
            .identities
            .iter()
            .filter(|i| i.tolerance.is_finite())
        {
            max_residual = max_residual.max(id.residual);
        }
        stages.push(json!({
            "stage": r.kind.name(),
            "instance": r.instance,
            "key": r.key,
            "identities": if r.facts.identities.is_empty() { serde_json::Value::Null } else { serde_json::to_value(&r.facts.identities).unwrap_or_default() },
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
    });
    OutputFile::bytes("run.json", json_bytes(&doc))
}

/// Every input file named in a stage's parameters (objects with `path` and `blake3`).
fn collect_inputs(v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match v {
        serde_json::Value::Object(m) => {
            if let (Some(p), Some(h)) = (
                m.get("path").and_then(|p| p.as_str()),
                m.get("blake3").and_then(|h| h.as_str()),
            ) {
                out.insert(p.to_string(), h.to_string());
            }
            m.values().for_each(|x| collect_inputs(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_inputs(x, out)),
        _ => {}
    }
}

/// The output folder's path for messages.
pub fn display(dir: &Path) -> String {
    dir.display().to_string()
}
