//! Files a run writes from the artifacts of its study stages: the missing-data and
//! descriptive tables, `results.json` (every estimate, what `gvc diff` reads) and
//! `results/*.parquet`. Everything is written atomically and deterministically.

use std::path::Path;

use polars::prelude::*;
use serde_json::json;

use super::artifact::Artifact;
use super::cache::{write_atomic, Cache, Lookup};
use super::exec::Plan;
use super::run::{fmt_f64, StudyTasks};
use super::StageError;

/// Loads a task's artifact from the cache (verified).
pub fn load(plan: &Plan, cache: &Cache, i: usize) -> Result<Artifact, StageError> {
    let t = &plan.tasks[i];
    match cache.lookup(t.stage, &t.key()) {
        Lookup::Hit { dir, .. } => Artifact::load(t.kind, &dir).map_err(StageError::Frame),
        _ => Err(StageError::Internal(format!(
            "{} missing from the cache after the run",
            t.id()
        ))),
    }
}

fn csv_escape(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StageError + '_ {
    move |e| StageError::Internal(format!("cannot write {}: {e}", path.display()))
}

/// Copies each year's decomposition into `decomposition/`: `measures_<year>.parquet` (the
/// long frame: country, sector, partner, year, measure, value) and, when WWZ was asked for,
/// `wwz_<year>.parquet` (wide, at `wwz_level`). Copies go through a temporary name.
pub fn write_decompositions(
    plan: &Plan,
    cache: &Cache,
    study: &StudyTasks,
    out: &Path,
) -> Result<usize, StageError> {
    let dir = out.join("decomposition");
    let mut written = std::collections::BTreeSet::new();
    for (year, &i) in &study.decompose {
        let t = &plan.tasks[i];
        let Lookup::Hit { dir: art, .. } = cache.lookup(t.stage, &t.key()) else {
            return Err(StageError::Internal(format!(
                "{} missing from the cache after the run",
                t.id()
            )));
        };
        for (from, to) in [
            ("frame.parquet", format!("measures_{year}.parquet")),
            (super::stages::WWZ_FILE, format!("wwz_{year}.parquet")),
        ] {
            let src = art.join(from);
            if !src.is_file() {
                continue;
            }
            let dest = dir.join(&to);
            super::cache::copy_atomic(&src, &dest).map_err(io(&dest))?;
            written.insert(to);
        }
    }
    // Files of an earlier run that this spec no longer produces (a year or WWZ dropped).
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".parquet") && !written.contains(&name) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(written.len())
}

/// Writes `tables/missing.csv` and `tables/descriptives.csv` of the baseline panel, and
/// `panel.parquet`.
pub fn write_panel_tables(
    plan: &Plan,
    cache: &Cache,
    study: &StudyTasks,
    out: &Path,
) -> Result<Option<serde_json::Value>, StageError> {
    let Some((_, panel)) = study.panels.iter().find(|(v, _)| v.is_none()) else {
        return Ok(None);
    };
    let art = load(plan, cache, *panel)?;
    let Artifact::Document { json, frame } = art else {
        return Err(StageError::Internal("panel document expected".into()));
    };
    let tables = out.join("tables");
    let mut missing = String::from("variable,n_missing,n_rows,missing_cells\n");
    for m in json["missing"].as_array().into_iter().flatten() {
        let cells: Vec<String> = m["cells"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| format!("{} {}", c[0].as_str().unwrap_or(""), c[1]))
            .collect();
        missing.push_str(&format!(
            "{},{},{},{}\n",
            csv_escape(m["variable"].as_str().unwrap_or("")),
            m["n_missing"],
            m["n_rows"],
            csv_escape(&cells.join("; "))
        ));
    }
    let p = tables.join("missing.csv");
    write_atomic(&p, missing.as_bytes()).map_err(io(&p))?;
    let mut desc = String::from("variable,n,mean,sd,min,p50,max\n");
    for d in json["descriptives"].as_array().into_iter().flatten() {
        let num = |k: &str| d[k].as_f64().map(fmt_f64).unwrap_or_default();
        desc.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            csv_escape(d["variable"].as_str().unwrap_or("")),
            d["n"],
            num("mean"),
            num("sd"),
            num("min"),
            num("p50"),
            num("max")
        ));
    }
    let p = tables.join("descriptives.csv");
    write_atomic(&p, desc.as_bytes()).map_err(io(&p))?;
    let p = out.join("panel.parquet");
    super::frames::write_parquet_atomic(&p, &mut frame.clone())?;
    Ok(Some(json))
}

/// Writes `results.json` (every estimate with its variant, model, column and terms, and every
/// Hausman test) and `results/estimates.parquet` (one row per coefficient).
pub fn write_results(
    plan: &Plan,
    cache: &Cache,
    study: &StudyTasks,
    out: &Path,
) -> Result<serde_json::Value, StageError> {
    let mut estimates = Vec::new();
    let mut tests = Vec::new();
    let (mut r_variant, mut r_model, mut r_column, mut r_term) = (vec![], vec![], vec![], vec![]);
    let (mut r_est, mut r_se, mut r_p) = (vec![], vec![], vec![]);
    for ((variant, instance), &i) in &study.estimates {
        let art = load(plan, cache, i)?;
        let Some(json) = art.as_json() else { continue };
        if let Some(h) = instance.strip_prefix("hausman:") {
            let (model, step) = split_instance(h);
            tests
                .push(json!({ "variant": variant, "model": model, "step": step, "hausman": json }));
            continue;
        }
        let (model, rest) = split_instance(instance);
        let (step, estimator) = rest.split_once('/').unwrap_or((rest, ""));
        let result: crate::estimate::EstimationResult = serde_json::from_value(json.clone())
            .map_err(|e| StageError::Internal(format!("estimation result: {e}")))?;
        let quick = serde_json::to_value(crate::estimate::quick_json(&result, None))
            .map_err(|e| StageError::Internal(e.to_string()))?;
        for t in quick["coefficients"].as_array().into_iter().flatten() {
            r_variant.push(variant.clone().unwrap_or_else(|| "baseline".into()));
            r_model.push(model.to_string());
            r_column.push(rest.to_string());
            r_term.push(t["name"].as_str().unwrap_or("").to_string());
            r_est.push(t["estimate"].as_f64());
            r_se.push(t["std_error"].as_f64());
            r_p.push(t["p_value"].as_f64());
        }
        estimates.push(json!({
            "variant": variant,
            "model": model,
            "step": step.parse::<usize>().ok(),
            "estimator": estimator,
            "column": rest,
            "n_obs": quick["n_obs"],
            "n_groups": quick["n_groups"],
            "coefficients": quick["coefficients"],
            "fit": quick["fit"],
            "tests": quick["tests"],
            "result": json,
        }));
    }
    let doc = json!({ "estimates": estimates, "tests": tests });
    let p = out.join("results.json");
    let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| StageError::Internal(e.to_string()))?;
    write_atomic(&p, &bytes).map_err(io(&p))?;
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
    )
    .map_err(|e| StageError::Internal(e.to_string()))?;
    let p = out.join("results/estimates.parquet");
    std::fs::create_dir_all(out.join("results")).map_err(io(&p))?;
    super::frames::write_parquet_atomic(&p, &mut df)?;
    Ok(doc)
}

/// `model/step/estimator` → (`model`, `step/estimator`), a variant prefix `v:` removed.
fn split_instance(instance: &str) -> (&str, &str) {
    let bare = instance.split_once(':').map_or(instance, |(_, r)| r);
    bare.split_once('/').unwrap_or((bare, ""))
}

/// Writes `spec.json` (the merged spec) and `samples.json`: for each variant and model, the
/// country-years whose dependent variable, regressors and controls are all present — what
/// `gvc diff` compares as "the sample".
pub fn write_spec_and_samples(
    spec: &crate::spec::Spec,
    plan: &Plan,
    cache: &Cache,
    study: &StudyTasks,
    out: &Path,
) -> Result<(), StageError> {
    let p = out.join("spec.json");
    let bytes = serde_json::to_vec_pretty(&spec.root.to_json())
        .map_err(|e| StageError::Internal(e.to_string()))?;
    write_atomic(&p, &bytes).map_err(io(&p))?;
    let mut samples = serde_json::Map::new();
    for (variant, panel) in &study.panels {
        let art = load(plan, cache, *panel)?;
        let Some(df) = art.as_frame() else { continue };
        let country: Vec<Option<String>> = df
            .column("country")
            .ok()
            .and_then(|c| {
                c.str()
                    .ok()
                    .map(|ca| ca.iter().map(|v| v.map(str::to_string)).collect())
            })
            .unwrap_or_default();
        let year: Vec<Option<i64>> = df
            .column("year")
            .ok()
            .and_then(|c| c.i64().ok().map(|ca| ca.iter().collect()))
            .unwrap_or_default();
        let variant_spec = match variant {
            None => spec.clone(),
            Some(v) => match spec.robustness.iter().find(|r| &r.name.value == v) {
                Some(r) => crate::spec::load::variant_spec(spec, r)
                    .map_err(|e| StageError::Internal(e.to_string()))?,
                None => continue,
            },
        };
        for m in &variant_spec.models {
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
    let p = out.join("samples.json");
    let bytes = serde_json::to_vec_pretty(&serde_json::Value::Object(samples))
        .map_err(|e| StageError::Internal(e.to_string()))?;
    write_atomic(&p, &bytes).map_err(io(&p))
}
