//! The `report` stage: builds the report's typed input from result artifacts only (panel
//! summaries, estimates, Hausman tests, decomposition indicators) and renders it with the
//! built-in or user templates. Its key holds the report settings, labels and template files,
//! so editing a template re-renders without re-running any estimate.

use std::collections::BTreeMap;
use std::path::PathBuf;

use polars::prelude::*;
use serde_json::json;

use super::artifact::{Artifact, ArtifactKind, Produced};
use super::exec::{Plan, Task};
use super::key::FileHasher;
use super::run::StudyTasks;
use super::study::{model_columns, result_of};
use super::StageError;
use crate::report::{self, HausmanPair, ModelBlock, ModelColumn, ReportInput};
use crate::spec::{Diagnostic, Diagnostics, Spec};

pub const REPORT_VERSION: u32 = 3;

/// The folder of template overrides: `[report] templates`, else `templates/` beside the spec.
pub fn template_dir(spec: &Spec) -> Option<PathBuf> {
    if let Some(t) = &spec.report.templates {
        return Some(t.value.clone());
    }
    let d = spec.dir.join("templates");
    d.is_dir().then_some(d)
}

fn str_col(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    df.column(name)
        .ok()
        .and_then(|c| {
            c.str()
                .ok()
                .map(|ca| ca.iter().map(|v| v.map(str::to_string)).collect())
        })
        .unwrap_or_default()
}

/// Appends the columns (and FE/RE Hausman pairs) of model `m` under `variant` to a table
/// block, registering their estimate tasks as report dependencies. `prefix` labels columns
/// that come from a robustness variant shown beside the baseline.
#[allow(clippy::too_many_arguments)]
fn collect_columns(
    spec: &Spec,
    study: &StudyTasks,
    m: &crate::spec::Model,
    variant: Option<&String>,
    prefix: &str,
    deps: &mut Vec<usize>,
    columns: &mut Vec<(String, Vec<String>, usize)>,
    hausman: &mut Vec<(usize, usize, usize)>,
) {
    let mut by_step: BTreeMap<usize, BTreeMap<String, usize>> = BTreeMap::new();
    for c in model_columns(m, variant.map(String::as_str)) {
        let Some(&task) = study.estimates.get(&(variant.cloned(), c.instance.clone())) else {
            continue;
        };
        deps.push(task);
        let slot = deps.len() - 1;
        by_step
            .entry(c.step)
            .or_default()
            .insert(c.estimator.clone(), columns.len());
        let control = match c.controls.last() {
            Some(last) if m.controls_mode.value == crate::spec::ControlsMode::Sequential => {
                format!(
                    "+ {}",
                    spec.variables
                        .get(last)
                        .map_or(last.as_str(), |v| v.label.as_str())
                )
            }
            _ => String::new(),
        };
        let label = match (prefix.is_empty(), control.is_empty()) {
            (true, _) => control,
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}: {control}"),
        };
        columns.push((label, c.controls.clone(), slot));
    }
    let vprefix = variant.map(|v| format!("{v}:")).unwrap_or_default();
    for (step, ests) in &by_step {
        let key = (
            variant.cloned(),
            format!("hausman:{vprefix}{}/{}", m.name.value, step),
        );
        if let (Some(&fe), Some(&re), Some(&task)) =
            (ests.get("fe"), ests.get("re"), study.estimates.get(&key))
        {
            deps.push(task);
            hausman.push((fe, re, deps.len() - 1));
        }
    }
}

/// Adds the report stage. `None` when the spec has no models (nothing to report yet).
pub fn add_report_stage(
    spec: &Spec,
    plan: &mut Plan,
    study: &StudyTasks,
    hasher: &FileHasher,
) -> Result<Option<usize>, Diagnostics> {
    let Some((_, panel)) = study.panels.iter().find(|(v, _)| v.is_none()).cloned() else {
        return Ok(None);
    };
    if study.estimates.is_empty() {
        return Ok(None);
    }
    let mut inputs = BTreeMap::new();
    let templates = template_dir(spec);
    if let Some(dir) = &templates {
        for e in walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            if e.file_type().is_file() {
                let h = hasher.hash(e.path()).map_err(|err| {
                    Diagnostics(vec![Diagnostic::new(
                        None,
                        format!("cannot read template {}: {err}", e.path().display()),
                    )])
                })?;
                inputs.insert(e.path().display().to_string(), h);
            }
        }
    }
    // Dependencies: panel, then decompose years, then estimates/Hausman in block order.
    let mut deps = vec![panel];
    let dec: Vec<usize> = study.decompose.values().copied().collect();
    deps.extend(&dec);
    let n_dec = dec.len();
    let mut variants: Vec<(Option<String>, Option<String>)> = vec![(None, None)];
    for r in &spec.robustness {
        variants.push((
            Some(r.name.value.clone()),
            Some(r.label.clone().unwrap_or_else(|| r.name.value.clone())),
        ));
    }
    // Block layout: (block name, title, dependent, variant label, [(column label, controls, dep slot)], [(fe slot, re slot, hausman dep slot)])
    struct BlockPlan {
        name: String,
        title: String,
        dependent: String,
        variant: Option<String>,
        columns: Vec<(String, Vec<String>, usize)>,
        hausman: Vec<(usize, usize, usize)>,
    }
    let mut blocks = Vec::new();
    for (variant, vlabel) in &variants {
        for m in &spec.models {
            let mut columns = Vec::new();
            let mut hausman = Vec::new();
            let mut collect = |v: Option<&String>, prefix: &str| {
                collect_columns(
                    spec,
                    study,
                    m,
                    v,
                    prefix,
                    &mut deps,
                    &mut columns,
                    &mut hausman,
                )
            };
            collect(variant.as_ref(), "");
            if variant.is_none() {
                for r in spec.robustness.iter().filter(|r| r.beside_baseline) {
                    let label = r.label.clone().unwrap_or_else(|| r.name.value.clone());
                    collect(Some(&r.name.value), &label);
                }
            }
            if columns.is_empty() {
                continue;
            }
            let name = match variant {
                None => m.name.value.clone(),
                Some(v) => format!("{}_{}", m.name.value, v),
            };
            blocks.push(BlockPlan {
                name,
                title: m.title.clone().unwrap_or_else(|| m.name.value.clone()),
                dependent: m.dependent.value.clone(),
                variant: vlabel.clone(),
                columns,
                hausman,
            });
        }
    }
    let mut labels: BTreeMap<String, String> = spec
        .variables
        .values()
        .map(|v| (v.name.clone(), v.label.clone()))
        .collect();
    let mut summary_measures = Vec::new();
    for v in spec.variables.values() {
        if let Some(m) = v.from.value.strip_prefix("decomposition.") {
            labels
                .entry(m.to_string())
                .or_insert_with(|| v.label.clone());
            summary_measures.push(m.to_string());
        }
    }
    labels
        .entry("country".into())
        .or_insert_with(|| "Country".into());
    labels.entry("year".into()).or_insert_with(|| "Year".into());
    let settings = report::ReportSettings {
        formats: spec.report.formats.iter().map(|f| f.value).collect(),
        stars: spec.report.stars.value.clone(),
        digits: spec.report.digits,
        r2: spec.report.r2.value,
        order: spec.report.order.clone(),
        drop: spec.report.drop.clone(),
        coefficient_plot: spec.report.figures,
        indicators: report::IndicatorSettings {
            summary: Some(summary_measures.clone()),
            by_year: Some(Vec::new()),
            figures: Some(if spec.report.figures {
                summary_measures.clone()
            } else {
                Vec::new()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let synthetic: Vec<String> = spec
        .sources
        .values()
        .filter(|s| s.format.value.is_synthetic())
        .map(|s| s.name.clone())
        .collect();
    let mut notes = Vec::new();
    if !synthetic.is_empty() {
        notes.push(format!(
            "Data note: the sources {} are SYNTHETIC, generated by gvc from fixed seeds; the numbers illustrate the pipeline and describe no real economy.",
            synthetic.join(", ")
        ));
    }
    let (first, last) = spec.sample.years.value;
    let countries = super::study::sample_countries(spec).unwrap_or_default();
    let mut sample_note = format!("{} economies, {first}–{last}", countries.len());
    if !spec.sample.exclude_years.value.is_empty() {
        let ex: Vec<String> = spec
            .sample
            .exclude_years
            .value
            .iter()
            .map(i32::to_string)
            .collect();
        sample_note.push_str(&format!(", excluding {}", ex.join(", ")));
    }
    let base = ReportInput {
        title: spec.study.title.clone(),
        description: spec.study.description.clone(),
        notes,
        sample_note: Some(sample_note),
        settings,
        labels,
        country_names: BTreeMap::new(),
        models: Vec::new(),
        descriptives: Vec::new(),
        missing: Vec::new(),
        indicators: Vec::new(),
    };
    let template_dir = templates.clone();
    let keep_measures = summary_measures;
    let sample_set: std::collections::BTreeSet<String> = countries.into_iter().collect();
    let part = json!({
        "report": spec.report,
        "labels": base.labels,
        "title": base.title,
        "description": base.description,
        "notes": base.notes,
        "sample_note": base.sample_note,
        "blocks": blocks.iter().map(|b| json!([b.name, b.title, b.dependent, b.variant, b.columns.iter().map(|c| json!([c.0, c.1])).collect::<Vec<_>>()])).collect::<Vec<_>>(),
    });
    Ok(Some(plan.add(Task {
        stage: "report",
        instance: "report".into(),
        version: REPORT_VERSION,
        spec_part: part,
        inputs,
        deps,
        kind: ArtifactKind::Document,
        job: Box::new(move |arts, _dir: &std::path::Path| {
            let mut input = base.clone();
            let panel = arts[0]
                .as_json()
                .ok_or_else(|| StageError::Internal("panel document expected".into()))?;
            input.descriptives =
                serde_json::from_value(panel["descriptives"].clone()).unwrap_or_default();
            input.missing = serde_json::from_value(panel["missing"].clone()).unwrap_or_default();
            for a in &arts[1..=n_dec] {
                let Some(df) = a.as_frame() else { continue };
                let (c, s, p, m) = (
                    str_col(df, "country"),
                    str_col(df, "sector"),
                    str_col(df, "partner"),
                    str_col(df, "measure"),
                );
                let y: Vec<Option<i64>> = df
                    .column("year")
                    .ok()
                    .and_then(|c| c.i64().ok().map(|ca| ca.iter().collect()))
                    .unwrap_or_default();
                let v: Vec<Option<f64>> = df
                    .column("value")
                    .ok()
                    .and_then(|c| c.f64().ok().map(|ca| ca.iter().collect()))
                    .unwrap_or_default();
                for i in 0..df.height() {
                    if s[i].is_some() || p[i].is_some() {
                        continue;
                    }
                    if let (Some(c), Some(y), Some(m), Some(v)) = (&c[i], y[i], &m[i], v[i]) {
                        if keep_measures.contains(m) && sample_set.contains(c) {
                            input.indicators.push(report::IndicatorRow {
                                country: c.clone(),
                                year: y as i32,
                                measure: m.clone(),
                                value: v,
                            });
                        }
                    }
                }
            }
            for b in &blocks {
                let mut columns = Vec::new();
                for (label, controls, slot) in &b.columns {
                    columns.push(ModelColumn {
                        label: (!label.is_empty()).then(|| label.clone()),
                        controls_included: controls.clone(),
                        result: result_of(&arts[*slot])?,
                    });
                }
                let mut hausman = Vec::new();
                for (fe, re, slot) in &b.hausman {
                    let doc = arts[*slot]
                        .as_json()
                        .ok_or_else(|| StageError::Internal("hausman document expected".into()))?;
                    let result = serde_json::from_value(doc["default"].clone())
                        .map_err(|e| StageError::Internal(format!("hausman result: {e}")))?;
                    hausman.push(HausmanPair {
                        fe_column: *fe,
                        re_column: *re,
                        result,
                    });
                }
                input.models.push(ModelBlock {
                    name: b.name.clone(),
                    title: b.title.clone(),
                    dependent: b.dependent.clone(),
                    variant: b.variant.clone(),
                    columns,
                    hausman,
                    // The table itself states how standard errors were computed.
                    notes: Vec::new(),
                });
            }
            let files = report::render(&input, template_dir.as_deref())
                .map_err(|e| StageError::Data(crate::cli::error_chain(&e)))?;
            let names: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
            let sizes: Vec<i64> = files.iter().map(|(_, c)| c.len() as i64).collect();
            let n = names.len();
            let frame = DataFrame::new(
                n,
                vec![
                    Column::new("path".into(), names),
                    Column::new("bytes".into(), sizes),
                ],
            )
            .map_err(|e| StageError::Internal(e.to_string()))?;
            let map: serde_json::Map<String, serde_json::Value> = files
                .into_iter()
                .map(|(p, c)| (p, serde_json::Value::String(c)))
                .collect();
            let context =
                serde_json::to_value(&input).map_err(|e| StageError::Internal(e.to_string()))?;
            Ok(Produced {
                artifact: Artifact::Document {
                    json: json!({ "files": map, "input": context }),
                    frame,
                },
                extra: json!({}),
            })
        }),
        parts: None,
    })))
}

/// Writes the rendered files of the report artifact into the output folder (atomically).
pub fn write_report_files(
    doc: &serde_json::Value,
    out: &std::path::Path,
) -> Result<usize, StageError> {
    let mut n = 0;
    for (path, contents) in doc["files"].as_object().into_iter().flatten() {
        if path.contains("..") || path.starts_with('/') {
            return Err(StageError::Internal(format!(
                "refusing to write report file outside the output folder: {path}"
            )));
        }
        let p = out.join(path);
        let text = contents.as_str().unwrap_or_default();
        super::cache::write_atomic(&p, text.as_bytes())
            .map_err(|e| StageError::Internal(format!("cannot write {}: {e}", p.display())))?;
        n += 1;
    }
    Ok(n)
}
