//! The study stages after the tables: covariates (per source), the panel, one estimate per
//! model column, Hausman tests. Each reads exactly the spec part it depends on, so a report
//! edit re-runs none of them and dropping a year re-runs no decomposition.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use polars::prelude::*;
use serde_json::json;

use super::artifact::{Artifact, ArtifactKind, Produced};
use super::exec::{Plan, Task};
use super::key::FileHasher;
use super::StageError;
use crate::estimate::{
    self, build_design, fit, hausman, DesignSpec, DesignTransform, EstimationResult, Estimator,
    FitOptions, HausmanVariant, IdColumn, PanelData, Vce,
};
use crate::panel::{self, PanelInputs, VariableDef};
use crate::sources::countries::{self, CodeSystem};
use crate::sources::{synthetic_panel, table, wdi};
use crate::spec::validate::{expand_members, sample_members};
use crate::spec::{Diagnostic, Diagnostics, Model, Source, Spec};

pub const COVARIATES_VERSION: u32 = 1;
pub const PANEL_VERSION: u32 = 1;
pub const ESTIMATE_VERSION: u32 = 1;
pub const HAUSMAN_VERSION: u32 = 1;

fn code_system(name: &str) -> Option<CodeSystem> {
    name.parse().ok()
}

/// The sample's countries, sets and built-in sets expanded, in the spec's code system.
pub fn sample_countries(spec: &Spec) -> Result<Vec<String>, Diagnostics> {
    let mut d = Diagnostics::default();
    let system = spec.countries.codes.value;
    let builtin = |name: &str| countries::builtin_set(name, system).ok();
    let codes = expand_members(
        &sample_members(spec),
        &spec.countries.sets,
        &builtin,
        &mut d,
    );
    d.into_result()?;
    Ok(codes)
}

/// Checks every sample country against the registry of the spec's code system.
pub fn check_country_codes(spec: &Spec) -> Diagnostics {
    let mut d = Diagnostics::default();
    let system = spec.countries.codes.value;
    let mut sets: Vec<(&String, &crate::spec::At<String>)> = Vec::new();
    for (name, set) in &spec.countries.sets {
        for m in &set.value {
            sets.push((name, m));
        }
    }
    let sample_direct: Vec<&crate::spec::At<String>> = spec.sample.countries.value.iter().collect();
    let all = sets.iter().map(|(_, m)| *m).chain(sample_direct);
    for m in all {
        if m.value.starts_with('@') || spec.countries.sets.contains_key(&m.value) {
            continue;
        }
        if let Err(e) = countries::map(&m.value, system, system) {
            d.push(
                Diagnostic::at(&m.loc, format!("country `{}`: {e}", m.value)).with_help(format!(
                    "codes are read as `{}` (set `[countries] codes`)",
                    spec.countries.codes.value
                )),
            );
        }
    }
    d
}

/// Every `<source>.<rest>` string a variable definition mentions (from, transform operands).
fn mentioned_keys(spec: &Spec, source: &str) -> BTreeSet<String> {
    fn walk(v: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::String(s) if s.starts_with(prefix) => {
                out.insert(s.clone());
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, prefix, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, prefix, out)),
            _ => {}
        }
    }
    let prefix = format!("{source}.");
    let mut out = BTreeSet::new();
    for v in spec.variables.values() {
        walk(
            &serde_json::Value::String(v.from.value.clone()),
            &prefix,
            &mut out,
        );
        for t in &v.transforms.value {
            for o in t.operands() {
                walk(&serde_json::Value::String(o.to_string()), &prefix, &mut out);
            }
            if let crate::panel::Transform::LpSpillover(s) = t {
                walk(
                    &serde_json::Value::String(s.ofdi.clone()),
                    &prefix,
                    &mut out,
                );
            }
        }
    }
    out
}

/// A covariate source read into long rows: (kind, key, country, partner, year, value, codes).
struct LongRows {
    kind: Vec<String>,
    key: Vec<String>,
    country: Vec<String>,
    partner: Vec<Option<String>>,
    year: Vec<i64>,
    value: Vec<f64>,
    codes: Vec<String>,
}

impl LongRows {
    fn new() -> Self {
        LongRows {
            kind: vec![],
            key: vec![],
            country: vec![],
            partner: vec![],
            year: vec![],
            value: vec![],
            codes: vec![],
        }
    }
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        kind: &str,
        key: &str,
        country: &str,
        partner: Option<&str>,
        year: i32,
        value: f64,
        codes: Option<CodeSystem>,
    ) {
        self.kind.push(kind.into());
        self.key.push(key.into());
        self.country.push(country.into());
        self.partner.push(partner.map(str::to_string));
        self.year.push(year as i64);
        self.value.push(value);
        self.codes
            .push(codes.map(|c| c.to_string()).unwrap_or_default());
    }
    fn frame(self) -> Result<DataFrame, StageError> {
        let n = self.kind.len();
        DataFrame::new(
            n,
            vec![
                Column::new("kind".into(), self.kind),
                Column::new("key".into(), self.key),
                Column::new("country".into(), self.country),
                Column::new("partner".into(), self.partner),
                Column::new("year".into(), self.year),
                Column::new("value".into(), self.value),
                Column::new("codes".into(), self.codes),
            ],
        )
        .map_err(|e| StageError::Internal(e.to_string()))
    }
}

fn source_files(path: &std::path::Path) -> Vec<std::path::PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files: Vec<_> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Adds one `covariates` instance per non-table source that a variable reads.
pub fn add_covariate_stages(
    spec: &Spec,
    plan: &mut Plan,
    hasher: &FileHasher,
) -> Result<Vec<usize>, Diagnostics> {
    let mut d = Diagnostics::default();
    let mut out = Vec::new();
    let countries = sample_countries(spec)?;
    let (first, last) = spec.sample.years.value;
    for src in spec.sources.values() {
        if src.name == spec.decomposition.source.value {
            continue;
        }
        let keys = mentioned_keys(spec, &src.name);
        if keys.is_empty() {
            continue;
        }
        let mut inputs = BTreeMap::new();
        if let Some(p) = &src.path {
            for f in source_files(&p.value) {
                match hasher.hash(&f) {
                    Ok(h) => {
                        inputs.insert(super::stages::input_name(&f), h);
                    }
                    Err(e) => d.push(Diagnostic::at(
                        &p.loc,
                        format!("cannot read {}: {e}", f.display()),
                    )),
                }
            }
        }
        let job = match covariate_job(spec, src, &keys, &countries, first, last) {
            Ok(j) => j,
            Err(diag) => {
                d.push(diag);
                continue;
            }
        };
        let part = json!({
            "format": src.format.value,
            "options": src.options,
            "keys": keys,
            "countries": if src.format.value == crate::sources::SourceFormat::SyntheticPanel { json!(countries) } else { json!(null) },
            "years": if src.format.value == crate::sources::SourceFormat::SyntheticPanel { json!([first, last]) } else { json!(null) },
        });
        out.push(plan.add(Task {
            stage: "covariates",
            instance: src.name.clone(),
            version: COVARIATES_VERSION,
            spec_part: part,
            inputs,
            deps: vec![],
            kind: ArtifactKind::Frame,
            job,
            parts: None,
        }));
    }
    d.into_result()?;
    Ok(out)
}

fn options_without(src: &Source, drop: &[&str]) -> serde_json::Value {
    let mut o = src.options.clone();
    if let Some(map) = o.as_object_mut() {
        for k in drop {
            map.remove(*k);
        }
    }
    o
}

fn covariate_job(
    spec: &Spec,
    src: &Source,
    keys: &BTreeSet<String>,
    countries: &[String],
    first: i32,
    last: i32,
) -> Result<super::exec::Job, Diagnostic> {
    let name = src.name.clone();
    let path = src.path.as_ref().map(|p| p.value.clone());
    match crate::choice::Choice::name(src.format.value) {
        "wdi-csv" => {
            let codes: Vec<String> = keys
                .iter()
                .map(|k| k[name.len() + 1..].to_string())
                .collect();
            let path = path.ok_or_else(|| Diagnostic::at(&src.loc, "`wdi-csv` needs `path`"))?;
            if let Ok(list) = wdi::list_indicators(&path) {
                let known: Vec<String> = list.iter().map(|i| i.code.clone()).collect();
                for code in &codes {
                    if !known.contains(code) {
                        let near = wdi::nearest_indicators(code, known.iter().map(String::as_str));
                        return Err(Diagnostic::at(
                            spec.variables
                                .values()
                                .find(|v| v.from.value.ends_with(code.as_str()))
                                .map_or(&src.loc, |v| &v.from.loc),
                            format!(
                                "indicator `{code}` is not in the WDI files of {}",
                                path.display()
                            ),
                        )
                        .with_help(format!("nearest codes: {}", near.join(", "))));
                    }
                }
            }
            Ok(Box::new(move |_, _dir: &std::path::Path| {
                let mut rows = LongRows::new();
                for code in &codes {
                    let s = wdi::read_indicator(&path, code)?;
                    let key = format!("{name}.{code}");
                    for o in s.observations {
                        rows.push(
                            "series",
                            &key,
                            &o.country,
                            None,
                            o.year,
                            o.value,
                            Some(CodeSystem::Iso3),
                        );
                    }
                }
                Ok(Produced {
                    artifact: Artifact::Frame(rows.frame()?),
                    extra: json!({}),
                })
            }))
        }
        "csv" | "wide-csv" | "bilateral-csv" | "parquet" => {
            let mut opts = options_without(src, &[]);
            if let Some(map) = opts.as_object_mut() {
                match crate::choice::Choice::name(src.format.value) {
                    "wide-csv" => {
                        map.insert("layout".into(), json!("wide"));
                    }
                    "bilateral-csv" => {
                        map.insert("layout".into(), json!("bilateral"));
                    }
                    _ => {}
                }
            }
            let mut tspec: table::TableSpec = serde_json::from_value(opts).map_err(|e| {
                Diagnostic::at(&src.loc, format!("`sources.{}`: {e}", src.name))
                    .with_help("keys: layout, country, codes, year, reporter, partner, value, columns, missing")
            })?;
            tspec.parquet = src.format.value == crate::sources::SourceFormat::Parquet;
            let path = path.ok_or_else(|| Diagnostic::at(&src.loc, "a csv source needs `path`"))?;
            Ok(Box::new(move |_, _dir: &std::path::Path| {
                let mut rows = LongRows::new();
                match table::read_table(&path, &tspec)? {
                    table::TableData::Series(t) => {
                        for col in t.columns {
                            let key = format!("{name}.{}", col.name);
                            for o in col.observations {
                                rows.push(
                                    "series", &key, &o.country, None, o.year, o.value, t.codes,
                                );
                            }
                        }
                    }
                    table::TableData::Bilateral(b) => {
                        let key = format!("{name}.{}", tspec.value.as_deref().unwrap_or("value"));
                        for o in b.observations {
                            rows.push(
                                "bilateral",
                                &key,
                                &o.reporter,
                                Some(&o.partner),
                                o.year,
                                o.value,
                                b.codes,
                            );
                        }
                    }
                }
                Ok(Produced {
                    artifact: Artifact::Frame(rows.frame()?),
                    extra: json!({}),
                })
            }))
        }
        "synthetic-panel" => {
            let seed = src
                .options
                .get("seed")
                .and_then(|v| v.as_u64())
                .unwrap_or(1);
            if let Some(bad) = src
                .options
                .as_object()
                .and_then(|m| m.keys().find(|k| k.as_str() != "seed"))
            {
                return Err(Diagnostic::at(
                    src.option_locs.get(bad).unwrap_or(&src.loc),
                    format!(
                        "unknown key `{bad}` in `sources.{}` (synthetic-panel takes only `seed`)",
                        src.name
                    ),
                ));
            }
            let countries = countries.to_vec();
            Ok(Box::new(move |_, _dir: &std::path::Path| {
                // Five years before the sample so growth rates and perpetual-inventory stocks
                // have a history, as real covariates would.
                let p = synthetic_panel::generate(seed, &countries, first - 5, last);
                let mut rows = LongRows::new();
                for (series, obs) in &p.series {
                    let key = format!("{name}.{series}");
                    for o in obs {
                        rows.push("series", &key, &o.country, None, o.year, o.value, None);
                    }
                }
                let key = format!("{name}.{}", synthetic_panel::BILATERAL);
                for o in &p.ofdi {
                    rows.push(
                        "bilateral",
                        &key,
                        &o.reporter,
                        Some(&o.partner),
                        o.year,
                        o.value,
                        None,
                    );
                }
                Ok(Produced {
                    artifact: Artifact::Frame(rows.frame()?),
                    extra: json!({ "note": p.note }),
                })
            }))
        }
        other => Err(Diagnostic::at(
            &src.format.loc,
            format!("`{other}` sources cannot feed variables yet"),
        )
        .with_help("use wdi-csv, csv, wide-csv, bilateral-csv, parquet or synthetic-panel")),
    }
}

fn col_str(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, StageError> {
    let c = df
        .column(name)
        .map_err(|e| StageError::Internal(e.to_string()))?;
    let ca = c.str().map_err(|e| StageError::Internal(e.to_string()))?;
    Ok(ca.iter().map(|v| v.map(str::to_string)).collect())
}

fn col_f64(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>, StageError> {
    let c = df
        .column(name)
        .map_err(|e| StageError::Internal(e.to_string()))?
        .cast(&DataType::Float64)
        .map_err(|e| StageError::Internal(e.to_string()))?;
    let ca = c.f64().map_err(|e| StageError::Internal(e.to_string()))?;
    Ok(ca.iter().collect())
}

fn col_i64(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>, StageError> {
    let c = df
        .column(name)
        .map_err(|e| StageError::Internal(e.to_string()))?
        .cast(&DataType::Int64)
        .map_err(|e| StageError::Internal(e.to_string()))?;
    let ca = c.i64().map_err(|e| StageError::Internal(e.to_string()))?;
    Ok(ca.iter().collect())
}

/// The code system of the table source's country codes: its `codes` option, else the spec's.
pub fn table_codes(spec: &Spec) -> Option<CodeSystem> {
    spec.sources
        .get(&spec.decomposition.source.value)
        .and_then(|s| s.options.get("codes"))
        .and_then(|v| v.as_str())
        .and_then(code_system)
        .or(Some(spec.countries.codes.value))
}

/// A variable reading `decomposition.<family>.<measure>` must name a measure the family
/// produces (at the country or sector level); the spec validator has already checked
/// that the family is computed. Located at the variable's `from`, with the nearest names.
fn check_measure_names(spec: &Spec, d: &mut Diagnostics) {
    use crate::decompose::{measure_names, Family, Level};
    for v in spec.variables.values() {
        let Some(rest) = v.from.value.strip_prefix("decomposition.") else {
            continue;
        };
        let family = Family::ALL
            .iter()
            .copied()
            .find(|f| rest.split('.').next() == Some(f.prefix()));
        let Some(family) = family else { continue };
        let mut names: Vec<&str> = measure_names(family, Level::Country).to_vec();
        names.extend(measure_names(family, Level::Sector));
        if !names.contains(&rest) {
            d.push(
                Diagnostic::at(
                    &v.from.loc,
                    format!(
                        "variable `{}`: `{}` computes no measure `{rest}`",
                        v.name,
                        family.prefix()
                    ),
                )
                .with_help(crate::spec::diag::did_you_mean(rest, &names)),
            );
        }
    }
}

/// Adds the `panel` stage over every decomposition year and covariate source.
pub fn add_panel_stage(
    spec: &Spec,
    plan: &mut Plan,
    decompose: &BTreeMap<i32, usize>,
    covariates: &[usize],
    instance: &str,
) -> Result<usize, Diagnostics> {
    let countries = sample_countries(spec)?;
    let mut d = Diagnostics::default();
    let mut defs = Vec::new();
    for v in spec.variables.values() {
        defs.push(VariableDef {
            name: v.name.clone(),
            from: v.from.value.clone(),
            transforms: v.transforms.value.clone(),
            label: Some(v.name.clone()),
        });
    }
    check_measure_names(spec, &mut d);
    d.into_result()?;
    let sample = panel::assemble::Sample {
        countries: countries.clone(),
        codes: Some(spec.countries.codes.value),
        first_year: spec.sample.years.value.0,
        last_year: spec.sample.years.value.1,
        exclude_years: spec.sample.exclude_years.value.clone(),
    };
    let table_codes = table_codes(spec);
    let mut deps: Vec<usize> = decompose.values().copied().collect();
    let n_decompose = deps.len();
    deps.extend(covariates.iter().copied());
    // Labels are left out: relabelling a variable re-renders the report only.
    let variables: BTreeMap<&String, serde_json::Value> = spec
        .variables
        .iter()
        .map(|(k, v)| {
            (
                k,
                json!({ "from": v.from.value, "transform": v.transforms.value }),
            )
        })
        .collect();
    let part = json!({
        "variables": variables,
        "countries": countries,
        "codes": spec.countries.codes.value,
        "years": spec.sample.years.value,
        "exclude_years": spec.sample.exclude_years.value,
    });
    Ok(plan.add(Task {
        stage: "panel",
        instance: instance.to_string(),
        version: PANEL_VERSION,
        spec_part: part,
        inputs: BTreeMap::new(),
        deps,
        kind: ArtifactKind::Document,
        job: Box::new(move |inputs, _dir: &std::path::Path| {
            let mut pin = PanelInputs::new();
            let mut indicator_rows = Vec::new();
            for a in &inputs[..n_decompose] {
                let df = a
                    .as_frame()
                    .ok_or_else(|| StageError::Internal("decompose frame expected".into()))?;
                let c = col_str(df, "country")?;
                let s = col_str(df, "sector")?;
                let p = col_str(df, "partner")?;
                let y = col_i64(df, "year")?;
                let m = col_str(df, "measure")?;
                let v = col_f64(df, "value")?;
                for i in 0..df.height() {
                    if s[i].is_some() || p[i].is_some() {
                        continue;
                    }
                    if let (Some(c), Some(y), Some(m), Some(v)) = (&c[i], y[i], &m[i], v[i]) {
                        indicator_rows.push((c.clone(), y as i32, m.clone(), v));
                    }
                }
            }
            pin.add_indicators("decomposition", table_codes, indicator_rows)
                .map_err(|e| StageError::Data(e.to_string()))?;
            for a in &inputs[n_decompose..] {
                let df = a
                    .as_frame()
                    .ok_or_else(|| StageError::Internal("covariate frame expected".into()))?;
                add_covariate_frame(&mut pin, df)?;
            }
            let assembled = panel::assemble(&pin, &defs, &sample)
                .map_err(|e| StageError::Data(e.to_string()))?;
            let frame = panel_frame(&assembled.panel)?;
            let json = serde_json::to_value(&assembled)
                .map_err(|e| StageError::Internal(e.to_string()))?;
            Ok(Produced {
                artifact: Artifact::Document { json, frame },
                extra: json!({}),
            })
        }),
        parts: None,
    }))
}

fn add_covariate_frame(pin: &mut PanelInputs, df: &DataFrame) -> Result<(), StageError> {
    let kind = col_str(df, "kind")?;
    let key = col_str(df, "key")?;
    let country = col_str(df, "country")?;
    let partner = col_str(df, "partner")?;
    let year = col_i64(df, "year")?;
    let value = col_f64(df, "value")?;
    let codes = col_str(df, "codes")?;
    type Rows = Vec<(String, Option<String>, i32, f64)>;
    let mut groups: BTreeMap<(String, String, String), Rows> = BTreeMap::new();
    for i in 0..df.height() {
        let (Some(k), Some(key), Some(c), Some(y), Some(v)) =
            (&kind[i], &key[i], &country[i], year[i], value[i])
        else {
            continue;
        };
        groups
            .entry((k.clone(), key.clone(), codes[i].clone().unwrap_or_default()))
            .or_default()
            .push((c.clone(), partner[i].clone(), y as i32, v));
    }
    for ((kind, key, codes), rows) in groups {
        let system = code_system(&codes);
        let r = if kind == "bilateral" {
            pin.add_bilateral(
                &key,
                system,
                rows.into_iter()
                    .map(|(c, p, y, v)| (c, p.unwrap_or_default(), y, v)),
            )
        } else {
            pin.add_series(&key, system, rows.into_iter().map(|(c, _, y, v)| (c, y, v)))
        };
        r.map_err(|e| StageError::Data(e.to_string()))?;
    }
    Ok(())
}

/// The panel as a wide frame: country, year, one column per variable.
pub fn panel_frame(p: &panel::Panel) -> Result<DataFrame, StageError> {
    let n = p.n_rows();
    let mut cols = vec![
        Column::new("country".into(), p.country.clone()),
        Column::new(
            "year".into(),
            p.year.iter().map(|&y| y as i64).collect::<Vec<_>>(),
        ),
    ];
    for c in &p.columns {
        cols.push(Column::new(c.name.as_str().into(), c.values.clone()));
    }
    DataFrame::new(n, cols).map_err(|e| StageError::Internal(e.to_string()))
}

/// Estimation data from the panel frame: panel = country, time = year, every variable numeric.
pub fn panel_data_from_frame(df: &DataFrame) -> Result<PanelData, StageError> {
    let country = col_str(df, "country")?;
    let refs: Vec<Option<&str>> = country.iter().map(|c| c.as_deref()).collect();
    let year = col_i64(df, "year")?;
    let mut data = PanelData::new("country", IdColumn::Str(&refs), "year", &year)
        .map_err(|e| StageError::Data(e.to_string()))?;
    for c in df.columns() {
        let name = c.name().as_str();
        if name == "country" || name == "year" {
            continue;
        }
        let v = col_f64(df, name)?;
        data.add_column(name, &v)
            .map_err(|e| StageError::Data(e.to_string()))?;
    }
    Ok(data)
}

/// One column of a model's table: which controls it includes, and its estimator.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelColumn {
    pub model: String,
    /// 0-based control step (sequential mode), 0 in `all` mode.
    pub step: usize,
    pub estimator: String,
    pub controls: Vec<String>,
    /// Instance name of the estimate stage.
    pub instance: String,
}

/// The columns of a model: for each control step, each estimator.
pub fn model_columns(m: &Model, variant: Option<&str>) -> Vec<ModelColumn> {
    let controls: Vec<String> = m.controls.iter().map(|c| c.value.clone()).collect();
    let steps: Vec<Vec<String>> = if m.controls_mode.value == crate::spec::ControlsMode::Sequential
    {
        (0..=controls.len())
            .map(|k| controls[..k].to_vec())
            .collect()
    } else {
        vec![controls]
    };
    let prefix = variant.map(|v| format!("{v}:")).unwrap_or_default();
    let mut out = Vec::new();
    for (step, ctrl) in steps.into_iter().enumerate() {
        for e in &m.estimators {
            out.push(ModelColumn {
                model: m.name.value.clone(),
                step,
                estimator: e.value.as_str().to_string(),
                controls: ctrl.clone(),
                instance: format!("{prefix}{}/{}/{}", m.name.value, step, e.value.as_str()),
            });
        }
    }
    out
}

fn vce_of(m: &Model) -> Vce {
    m.vce.value
}

/// Adds estimate (and Hausman) stages for every model column; returns the task indices by
/// instance name.
pub fn add_estimate_stages(
    spec: &Spec,
    plan: &mut Plan,
    panel: usize,
    variant: Option<&str>,
    only_models: &[String],
) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for m in &spec.models {
        if !only_models.is_empty() && !only_models.contains(&m.name.value) {
            continue;
        }
        let mut by_step: BTreeMap<usize, BTreeMap<String, usize>> = BTreeMap::new();
        for col in model_columns(m, variant) {
            let Some(estimator) = Estimator::parse(&col.estimator) else {
                continue;
            };
            let mut regressors: Vec<String> =
                m.regressors.iter().map(|r| r.value.clone()).collect();
            regressors.extend(col.controls.iter().cloned());
            let cluster = m
                .cluster
                .as_ref()
                .map(|c| c.value.clone())
                .filter(|c| c != "country" && c != "panel");
            let design = DesignSpec {
                dependent: m.dependent.value.clone(),
                regressors: regressors.clone(),
                cluster: cluster.clone(),
                transform: if estimator == Estimator::Fd {
                    DesignTransform::FirstDifference
                } else {
                    DesignTransform::Levels
                },
                drop_singletons: false,
            };
            let vce = vce_of(m);
            let part = json!({
                "dependent": m.dependent.value,
                "regressors": regressors,
                "estimator": col.estimator,
                "vce": m.vce.value,
                "cluster": cluster,
            });
            let idx = plan.add(Task {
                stage: "estimate",
                instance: col.instance.clone(),
                version: ESTIMATE_VERSION,
                spec_part: part,
                inputs: BTreeMap::new(),
                deps: vec![panel],
                kind: ArtifactKind::Document,
                job: Box::new(move |inputs, _dir: &std::path::Path| {
                    let df = inputs[0]
                        .as_frame()
                        .ok_or_else(|| StageError::Internal("panel expected".into()))?;
                    let data = panel_data_from_frame(df)?;
                    let d = build_design(&data, &design)
                        .map_err(|e| StageError::Data(e.to_string()))?;
                    let opts = FitOptions {
                        vce,
                        ..FitOptions::default()
                    };
                    let r =
                        fit(&d, estimator, &opts).map_err(|e| StageError::Data(e.to_string()))?;
                    result_document(&r)
                }),
                parts: None,
            });
            by_step
                .entry(col.step)
                .or_default()
                .insert(col.estimator.clone(), idx);
            out.insert(col.instance.clone(), idx);
        }
        if m.hausman {
            let prefix = variant.map(|v| format!("{v}:")).unwrap_or_default();
            for (step, ests) in by_step {
                let (Some(&fe), Some(&re)) = (ests.get("fe"), ests.get("re")) else {
                    continue;
                };
                let instance = format!("{prefix}{}/{}", m.name.value, step);
                let idx = plan.add(Task {
                    stage: "hausman",
                    instance: instance.clone(),
                    version: HAUSMAN_VERSION,
                    spec_part: json!({}),
                    inputs: BTreeMap::new(),
                    deps: vec![fe, re],
                    kind: ArtifactKind::Document,
                    job: Box::new(move |inputs, _dir: &std::path::Path| {
                        let fe = result_of(&inputs[0])?;
                        let re = result_of(&inputs[1])?;
                        let mut all = serde_json::Map::new();
                        for (name, variant) in [
                            ("default", HausmanVariant::Default),
                            ("sigmamore", HausmanVariant::SigmaMore),
                            ("sigmaless", HausmanVariant::SigmaLess),
                        ] {
                            let h = hausman(&fe, &re, variant)
                                .map_err(|e| StageError::Data(e.to_string()))?;
                            all.insert(
                                name.into(),
                                serde_json::to_value(&h)
                                    .map_err(|e| StageError::Internal(e.to_string()))?,
                            );
                        }
                        let frame = DataFrame::new(
                            1,
                            vec![Column::new(
                                "chi2".into(),
                                vec![all["default"]["chi2"].as_f64()],
                            )],
                        )
                        .map_err(|e| StageError::Internal(e.to_string()))?;
                        Ok(Produced {
                            artifact: Artifact::Document {
                                json: serde_json::Value::Object(all),
                                frame,
                            },
                            extra: json!({}),
                        })
                    }),
                    parts: None,
                });
                out.insert(format!("hausman:{instance}"), idx);
            }
        }
    }
    out
}

/// An estimation result as an artifact: the result JSON and a coefficient frame.
fn result_document(r: &EstimationResult) -> Result<Produced, StageError> {
    let json = serde_json::to_value(r).map_err(|e| StageError::Internal(e.to_string()))?;
    let names: Vec<String> = r.coef_names.clone();
    let est: Vec<f64> = r.coefficients.clone();
    let n = names.len();
    let frame = DataFrame::new(
        n,
        vec![
            Column::new("term".into(), names),
            Column::new("estimate".into(), est),
        ],
    )
    .map_err(|e| StageError::Internal(e.to_string()))?;
    Ok(Produced {
        artifact: Artifact::Document { json, frame },
        extra: json!({}),
    })
}

/// The estimation result held by an artifact.
pub fn result_of(a: &Arc<Artifact>) -> Result<EstimationResult, StageError> {
    let json = a
        .as_json()
        .ok_or_else(|| StageError::Internal("estimation result expected".into()))?;
    serde_json::from_value(json.clone())
        .map_err(|e| StageError::Internal(format!("estimation result: {e}")))
}

#[allow(dead_code)]
fn _assert_estimate_api() {
    let _ = estimate::FORMAT_VERSION;
}
