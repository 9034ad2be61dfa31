//! The pure pieces of `gvc estimate DATA --panel ID --time T --dep Y --x X1,L.X2 --estimator E
//! [--vce V] [--cluster C] [--hausman] [--json]`: one call that builds the design, fits, runs the
//! optional Hausman test (FE and RE on the same levels sample) and renders table or JSON.

use super::design::{build_design, DesignSpec, DesignTransform, PanelData};
use super::error::EstimateError;
use super::estimators::Method;
use super::fit::{fit, FitOptions};
use super::hausman::{hausman, HausmanResult, HausmanVariant};
use super::hdfe::{build_absorb_design, fit_hdfe, HdfeOptions};
use super::quick_json::{quick_json, QuickJson};
use super::results::{EstimationResult, Estimator, ReMethod, Vce};
use super::table::{render_hausman, render_table};

/// A quick-regression request (the command-line flags).
#[derive(Debug, Clone, PartialEq)]
pub struct QuickRequest {
    /// `--dep`.
    pub dependent: String,
    /// `--x` (split on commas; operators such as `L.x` allowed).
    pub regressors: Vec<String>,
    /// `--estimator`.
    pub estimator: Estimator,
    /// `--vce`.
    pub vce: Vce,
    /// `--cluster`.
    pub cluster: Option<String>,
    /// `--hausman`.
    pub hausman: bool,
    /// Drop singleton panels (reghdfe-style); default false (Stata xtreg).
    pub drop_singletons: bool,
    /// RE variance components.
    pub re_method: ReMethod,
    /// `--absorb`: factors absorbed by `hdfe` / `ppml` (`A^B` interacts); empty = the panel.
    pub absorb: Vec<String>,
    /// `--keep-singletons`: hdfe / ppml keep observations alone in a level (reghdfe drops them).
    pub keep_singletons: bool,
}

impl QuickRequest {
    /// A request with Stata defaults; `x` is the comma-separated `--x` value.
    pub fn new(dependent: &str, x: &str, estimator: Estimator) -> Self {
        QuickRequest {
            dependent: dependent.trim().to_string(),
            regressors: x
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            estimator,
            vce: Vce::Conventional,
            cluster: None,
            hausman: false,
            drop_singletons: false,
            re_method: ReMethod::SwamyArora,
            absorb: Vec::new(),
            keep_singletons: false,
        }
    }
}

/// Result of a quick regression.
#[derive(Debug, Clone, PartialEq)]
pub struct QuickOutput {
    /// The requested fit.
    pub result: EstimationResult,
    /// Hausman FE vs RE (when requested).
    pub hausman: Option<HausmanResult>,
}

impl QuickOutput {
    /// Stata-like text (table, then the Hausman test if any).
    pub fn table(&self) -> String {
        let mut s = render_table(&self.result);
        if let Some(h) = &self.hausman {
            s.push('\n');
            s.push_str(&render_hausman(h));
        }
        s
    }

    /// The `--json` object.
    pub fn json(&self) -> QuickJson {
        quick_json(&self.result, self.hausman.as_ref())
    }
}

/// Build, fit and (optionally) test; the integrator prints `table()` or the JSON of `json()`.
pub fn run_quick(data: &PanelData, req: &QuickRequest) -> Result<QuickOutput, EstimateError> {
    let transform = req.estimator.info().transform;
    let spec = DesignSpec {
        dependent: req.dependent.clone(),
        regressors: req.regressors.clone(),
        cluster: req.cluster.clone(),
        transform,
        drop_singletons: req.drop_singletons,
    };
    let opts = FitOptions {
        vce: req.vce,
        re_method: req.re_method,
        ..FitOptions::default()
    };
    if matches!(req.estimator.info().method, Method::Hdfe | Method::Ppml) {
        let absorb = if req.absorb.is_empty() {
            vec![data.panel_var().to_string()]
        } else {
            req.absorb.clone()
        };
        let ad = build_absorb_design(data, &spec, &absorb)?;
        let hopts = HdfeOptions {
            drop_singletons: !req.keep_singletons,
            ..HdfeOptions::default()
        };
        let result = fit_hdfe(&ad.design, &ad.factors, req.estimator, &opts, &hopts)?;
        return Ok(QuickOutput {
            result,
            hausman: None,
        });
    }
    if let Some(first) = req.absorb.first() {
        return Err(EstimateError::InvalidOption {
            option: "absorb".to_string(),
            value: first.clone(),
            reason: format!(
                "absorbed factors are estimated by hdfe (reghdfe) or ppml (ppmlhdfe), not {}; \
                 write --estimator hdfe (or ppml), or drop --absorb",
                req.estimator.as_str()
            ),
        });
    }
    let design = build_design(data, &spec)?;
    let result = fit(&design, req.estimator, &opts)?;
    let hausman = if req.hausman {
        let levels = if transform == DesignTransform::Levels {
            design
        } else {
            build_design(
                data,
                &DesignSpec {
                    transform: DesignTransform::Levels,
                    ..spec
                },
            )?
        };
        let conv = FitOptions {
            re_method: req.re_method,
            ..FitOptions::default()
        };
        let fe = fit(&levels, Estimator::Fe, &conv)?;
        let re = fit(&levels, Estimator::Re, &conv)?;
        Some(hausman(&fe, &re, HausmanVariant::Default)?)
    } else {
        None
    };
    Ok(QuickOutput { result, hausman })
}
