//! The pure pieces of `gvc estimate DATA --panel ID --time T --dep Y --x X1,L.X2 --estimator E
//! [--vce V] [--cluster C] [--hausman] [--json]`: one call that builds the design, fits, runs the
//! optional Hausman test (FE and RE on the same levels sample) and renders table or JSON.

use super::bootstrap::{bootstrap_fit, BootOptions, BootResult};
use super::design::{build_design, DesignSpec, DesignTransform, PanelData};
use super::error::EstimateError;
use super::estimators::Method;
use super::fit::{fit, FitOptions};
use super::hausman::{hausman, HausmanResult, HausmanVariant};
use super::hdfe::{build_absorb_design, fit_hdfe, HdfeOptions};
use super::iv::{fit_iv, fit_iv_absorbed, render_iv_diagnostics, IvDiagnostics, IvRoles};
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
    /// `--vce dk:<lags>`: the Driscoll–Kraay lag length (`None`: xtscc's default rule).
    pub dk_lags: Option<u32>,
    /// `--cluster`.
    pub cluster: Option<String>,
    /// `--hausman`.
    pub hausman: bool,
    /// Drop singleton panels (reghdfe-style); default false (Stata xtreg).
    pub drop_singletons: bool,
    /// RE variance components.
    pub re_method: ReMethod,
    /// Which Hausman statistic `--hausman` reports (Stata's `sigmamore` / `sigmaless`).
    pub hausman_variant: HausmanVariant,
    /// `--endog`: endogenous regressors (instrumental variables when non-empty).
    pub endogenous: Vec<String>,
    /// `--instruments`: excluded instruments.
    pub instruments: Vec<String>,
    /// `--boot N --boot-weights W --boot-seed S --boot-param NAME`: wild cluster bootstrap.
    pub boot: Option<BootRequest>,
    /// `--absorb`: factors absorbed by `hdfe` / `ppml` (`A^B` interacts); empty = the panel.
    pub absorb: Vec<String>,
    /// `--keep-singletons`: hdfe / ppml keep observations alone in a level (reghdfe drops them).
    pub keep_singletons: bool,
}

/// A wild cluster bootstrap request.
#[derive(Debug, Clone, PartialEq)]
pub struct BootRequest {
    /// Draws, weights, seed, level and null value.
    pub options: BootOptions,
    /// The coefficient tested (default: the first estimated regressor).
    pub param: Option<String>,
}

/// Split a comma-separated flag value into trimmed non-empty names.
pub fn split_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl QuickRequest {
    /// A request with Stata defaults; `x` is the comma-separated `--x` value.
    pub fn new(dependent: &str, x: &str, estimator: Estimator) -> Self {
        QuickRequest {
            dependent: dependent.trim().to_string(),
            regressors: split_list(x),
            estimator,
            vce: Vce::Conventional,
            dk_lags: None,
            cluster: None,
            hausman: false,
            drop_singletons: false,
            re_method: ReMethod::SwamyArora,
            hausman_variant: HausmanVariant::Default,
            endogenous: Vec::new(),
            instruments: Vec::new(),
            boot: None,
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
    /// IV diagnostics (with `--endog`).
    pub iv: Option<IvDiagnostics>,
    /// Wild cluster bootstrap (with `--boot`).
    pub boot: Option<BootResult>,
}

impl QuickOutput {
    /// Stata-like text (table, then the Hausman test if any).
    pub fn table(&self) -> String {
        let mut s = render_table(&self.result);
        if let Some(iv) = &self.iv {
            s.push_str(&render_iv_diagnostics(iv));
        }
        if let Some(b) = &self.boot {
            s.push_str(&render_boot(b));
        }
        if let Some(h) = &self.hausman {
            s.push('\n');
            s.push_str(&render_hausman(h));
        }
        s
    }

    /// The `--json` object.
    pub fn json(&self) -> QuickJson {
        let mut j = quick_json(&self.result, self.hausman.as_ref());
        j.iv = self.iv.clone();
        j.wild_bootstrap = self.boot.clone();
        j
    }
}

/// Build, fit and (optionally) test; the integrator prints `table()` or the JSON of `json()`.
pub fn run_quick(data: &PanelData, req: &QuickRequest) -> Result<QuickOutput, EstimateError> {
    let absorbs = !req.absorb.is_empty()
        || matches!(req.estimator.info().method, Method::Hdfe | Method::Ppml);
    if !req.endogenous.is_empty() || !req.instruments.is_empty() {
        if absorbs {
            return run_iv_absorbed(data, req);
        }
        return run_iv(data, req);
    }
    if absorbs && req.boot.is_some() {
        return Err(EstimateError::InvalidOption {
            option: "boot".to_string(),
            value: req.estimator.as_str().to_string(),
            reason: "the wild cluster bootstrap covers pooled, fd and fe fits, not absorbed \
                     factors (hdfe, ppml); drop --boot or use --estimator fe"
                .to_string(),
        });
    }
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
        dk_lags: req.dk_lags,
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
            iv: None,
            boot: None,
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
    let boot = match &req.boot {
        Some(b) => Some(bootstrap_fit(
            &design,
            &result,
            b.param.as_deref(),
            &b.options,
        )?),
        None => None,
    };
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
        Some(hausman(&fe, &re, req.hausman_variant)?)
    } else {
        None
    };
    Ok(QuickOutput {
        result,
        hausman,
        iv: None,
        boot,
    })
}

/// The design of a 2SLS request — exogenous regressors, endogenous ones, then the excluded
/// instruments, so listwise deletion covers all of them — and the roles that split it again.
fn iv_design(
    req: &QuickRequest,
    transform: DesignTransform,
    drop_singletons: bool,
) -> (DesignSpec, IvRoles) {
    let mut regressors = req.regressors.clone();
    regressors.extend(req.endogenous.iter().cloned());
    regressors.extend(req.instruments.iter().cloned());
    let spec = DesignSpec {
        dependent: req.dependent.clone(),
        regressors,
        cluster: req.cluster.clone(),
        transform,
        drop_singletons,
    };
    let roles = IvRoles {
        exogenous: req.regressors.len(),
        endogenous: req.endogenous.len(),
    };
    (spec, roles)
}

/// 2SLS: the design holds the exogenous regressors, the endogenous ones and the instruments
/// (so listwise deletion covers all of them), split again by [`IvRoles`].
fn run_iv(data: &PanelData, req: &QuickRequest) -> Result<QuickOutput, EstimateError> {
    let (spec, roles) = iv_design(req, req.estimator.info().transform, req.drop_singletons);
    let design = build_design(data, &spec)?;
    let opts = FitOptions {
        vce: req.vce,
        dk_lags: req.dk_lags,
        ..FitOptions::default()
    };
    let iv = fit_iv(&design, roles, req.estimator, &opts)?;
    Ok(QuickOutput {
        result: iv.result,
        hausman: None,
        iv: Some(iv.diagnostics),
        boot: None,
    })
}

/// 2SLS with absorbed factors (`ivreghdfe`): `--estimator hdfe` with `--absorb` (default: the
/// panel variable).
fn run_iv_absorbed(data: &PanelData, req: &QuickRequest) -> Result<QuickOutput, EstimateError> {
    if !matches!(req.estimator.info().method, Method::Hdfe) {
        return Err(EstimateError::InvalidOption {
            option: "instruments".to_string(),
            value: req.instruments.join(","),
            reason: format!(
                "2SLS with absorbed factors is the linear hdfe estimator (ivreghdfe), not {}; \
                 write --estimator hdfe, or drop --endog/--instruments",
                req.estimator.as_str()
            ),
        });
    }
    if req.boot.is_some() {
        return Err(EstimateError::InvalidOption {
            option: "boot".to_string(),
            value: req.estimator.as_str().to_string(),
            reason: "the wild cluster bootstrap is not available for 2SLS; drop --boot".to_string(),
        });
    }
    let (spec, roles) = iv_design(req, DesignTransform::Levels, false);
    let absorb = if req.absorb.is_empty() {
        vec![data.panel_var().to_string()]
    } else {
        req.absorb.clone()
    };
    let ad = build_absorb_design(data, &spec, &absorb)?;
    let opts = FitOptions {
        vce: req.vce,
        ..FitOptions::default()
    };
    let hopts = HdfeOptions {
        drop_singletons: !req.keep_singletons,
        ..HdfeOptions::default()
    };
    let iv = fit_iv_absorbed(&ad.design, &ad.factors, roles, req.estimator, &opts, &hopts)?;
    Ok(QuickOutput {
        result: iv.result,
        hausman: None,
        iv: Some(iv.diagnostics),
        boot: None,
    })
}

/// The bootstrap result as text under the table.
fn render_boot(b: &BootResult) -> String {
    format!(
        "Wild cluster bootstrap ({method}, {weights} weights, {draws} draws{enumeration}, \
         seed {seed}, {g} clusters)\n  H0: {name} = {null}: t = {t:.4}, p = {p:.4}; \
         {level}% CI by test inversion [{lo:.6}, {hi:.6}]\n",
        method = b.method,
        weights = b.weights.as_str(),
        draws = b.draws,
        enumeration = if b.full_enumeration {
            ", full enumeration"
        } else {
            ""
        },
        seed = b.seed,
        g = b.n_clusters,
        name = b.coefficient,
        null = b.null,
        t = b.t_stat,
        p = b.p_value,
        level = b.level * 100.0,
        lo = b.ci_low,
        hi = b.ci_high,
    )
}
