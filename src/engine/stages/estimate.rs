//! `estimate`: one column of a model's table — one panel regression with Stata's conventions
//! ([`crate::estimate::fit`]) on the panel. Parameters are what the fit reads: the panel, the
//! dependent variable, the regressors (with the column's controls), the cluster variable, the
//! estimator and the VCE. Labels, titles and column names are the report's.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::panel::PanelStage;
use crate::engine::artifact::Produced;
use crate::engine::key::Key;
use crate::engine::stage::{Dep, RunContext, Stage};
use crate::engine::stages::StageKind;
use crate::engine::StageError;
use crate::estimate::estimators::Method;
use crate::estimate::{
    build_absorb_design, build_design, fit, fit_hdfe, DesignSpec, EstimationResult, Estimator,
    FitOptions, HdfeOptions, IdColumn, PanelData, Vce,
};
use crate::panel::FeTerm;

/// Parameters of one regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimateStage {
    pub panel: Dep<PanelStage>,
    pub dependent: String,
    /// Regressors then the column's controls, in the spec's order (with `L.`/`F.`/`D.`).
    pub regressors: Vec<String>,
    /// Cluster variable for `vce(cluster)`: a variable or a panel dimension (`exporter`);
    /// `None` = the panel unit.
    pub cluster: Option<String>,
    pub estimator: Estimator,
    pub vce: Vce,
    /// The fixed effects the model absorbs by panel dimension (`exporter^sector`, `year`),
    /// as written; empty = the estimator's own. `fe` and `fe2` stand for the unit (and the
    /// year) ([`crate::panel::absorbed_estimator`]); `hdfe` and `ppml` absorb exactly these
    /// factors (the panel unit when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absorb: Vec<FeTerm>,
    /// Lags of the Driscoll–Kraay covariance (`vce = "dk"`, `dk_lags`); `None`: xtscc's rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dk_lags: Option<u32>,
}

impl Stage for EstimateStage {
    const KIND: StageKind = StageKind::Estimate;
    const VERSION: u32 = 2;
    type Output = EstimationResult;

    fn deps(&self) -> Vec<(String, Key)> {
        vec![self.panel.named("panel")]
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<Produced<EstimationResult>, StageError> {
        let panel = ctx.get(&self.panel)?;
        let data = panel_data_from_frame(&panel.frame)?;
        let design = DesignSpec {
            dependent: self.dependent.clone(),
            regressors: self.regressors.clone(),
            cluster: self.cluster.clone(),
            transform: self.estimator.info().transform,
            drop_singletons: false,
        };
        let opts = FitOptions {
            vce: self.vce,
            dk_lags: self.dk_lags,
            ..FitOptions::default()
        };
        if matches!(self.estimator.info().method, Method::Hdfe | Method::Ppml) {
            // reghdfe / ppmlhdfe: singletons dropped, the factors named by panel dimension
            // (`country` on a country panel is its id column).
            let absorb: Vec<String> = if self.absorb.is_empty() {
                vec![data.panel_var().to_string()]
            } else {
                self.absorb.iter().map(FeTerm::to_string).collect()
            };
            let ad = build_absorb_design(&data, &design, &absorb)?;
            let hdfe = HdfeOptions::default();
            return Ok(Produced::plain(fit_hdfe(
                &ad.design,
                &ad.factors,
                self.estimator,
                &opts,
                &hdfe,
            )?));
        }
        let d = build_design(&data, &design)?;
        Ok(Produced::plain(fit(&d, self.estimator, &opts)?))
    }
}

/// Estimation data from the panel frame: panel = the unit (`country`, or `unit` with one
/// identifier column per dimension — `exporter`, `importer`, `sector` — usable as cluster
/// variables), time = year, every other column a numeric variable.
pub fn panel_data_from_frame(df: &DataFrame) -> Result<PanelData, StageError> {
    let id = super::panel::id_column(df);
    let country: Vec<Option<String>> = df
        .column(id)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect();
    let refs: Vec<Option<&str>> = country.iter().map(|c| c.as_deref()).collect();
    let year: Vec<Option<i64>> = df
        .column("year")?
        .cast(&DataType::Int64)?
        .i64()?
        .iter()
        .collect();
    let mut data = PanelData::new(id, IdColumn::Str(&refs), "year", &year)?;
    for c in df.columns() {
        let name = c.name().as_str();
        if name == id || name == "year" {
            continue;
        }
        if c.dtype() == &DataType::String {
            // A dimension of the unit (exporter, importer, sector).
            let ids: Vec<Option<&str>> = c.str()?.iter().collect();
            data.add_id_column(name, IdColumn::Str(&ids))?;
            continue;
        }
        let v: Vec<Option<f64>> = c.cast(&DataType::Float64)?.f64()?.iter().collect();
        data.add_column(name, &v)?;
    }
    Ok(data)
}

/// One column of a model's table: which controls it includes, and its estimator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelColumn {
    pub model: String,
    /// 0-based control step (sequential mode), 0 in `all` mode.
    pub step: usize,
    pub estimator: Estimator,
    pub controls: Vec<String>,
}

impl ModelColumn {
    /// `<step>/<estimator>`, the column's name in `results.json` and in instance names.
    pub fn column_name(&self) -> String {
        format!(
            "{}/{}",
            self.step,
            crate::choice::Choice::name(self.estimator)
        )
    }
}

/// The columns of a model: for each control step, each estimator.
pub fn model_columns(m: &crate::spec::Model) -> Vec<ModelColumn> {
    let controls: Vec<String> = m.controls.iter().map(|c| c.value.clone()).collect();
    let steps: Vec<Vec<String>> = match m.controls_mode.value {
        crate::spec::ControlsMode::Sequential => (0..=controls.len())
            .map(|k| controls[..k].to_vec())
            .collect(),
        crate::spec::ControlsMode::All => vec![controls],
    };
    // With `absorb`, the effects decide the linear estimator (validated at spec load).
    let terms = absorb_terms(m);
    let mut out = Vec::new();
    for (step, ctrl) in steps.into_iter().enumerate() {
        for e in &m.estimators {
            let estimator = match &m.absorb {
                Some(_) => crate::panel::absorbed_estimator(m.unit, &terms, e.value),
                None => e.value,
            };
            out.push(ModelColumn {
                model: m.name.value.clone(),
                step,
                estimator,
                controls: ctrl.clone(),
            });
        }
    }
    out
}

/// The parameters of one model column.
pub fn plan(m: &crate::spec::Model, column: &ModelColumn, panel: &PanelStage) -> EstimateStage {
    plan_on(m, column, Dep::on(panel))
}

/// The parameters of one model column on the panel with this key.
pub fn plan_on(
    m: &crate::spec::Model,
    column: &ModelColumn,
    panel: Dep<PanelStage>,
) -> EstimateStage {
    let mut regressors: Vec<String> = m.regressors.iter().map(|r| r.value.clone()).collect();
    regressors.extend(column.controls.iter().cloned());
    EstimateStage {
        panel,
        dependent: m.dependent.value.clone(),
        regressors,
        cluster: m
            .cluster
            .as_ref()
            .map(|c| c.value.clone())
            .filter(|c| c != "country" && c != "panel" && c != "unit"),
        estimator: column.estimator,
        vce: m.vce.value,
        absorb: absorb_terms(m),
        dk_lags: m.dk_lags.as_ref().map(|l| l.value),
    }
}

/// A model's absorbed effects as written (empty without `absorb`).
pub fn absorb_terms(m: &crate::spec::Model) -> Vec<FeTerm> {
    m.absorb
        .as_ref()
        .map(|a| a.value.iter().map(|t| t.value.clone()).collect())
        .unwrap_or_default()
}
