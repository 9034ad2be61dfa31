//! Poisson pseudo-maximum likelihood with absorbed fixed effects (Santos Silva & Tenreyro
//! 2006; Stata `ppmlhdfe`, Correia, Guimarães & Zylkin 2020; fixest/pyfixest `fepois`).
//!
//! Model E[y | x, D] = exp(x'b + Dα), y ≥ 0. Estimation by iteratively reweighted least
//! squares: with μ the current fit, η = log μ, the working variable z = η + (y − μ)/μ and
//! weights w = μ are demeaned by the absorbed factors with weights w ([`super::demean`]), b is
//! the weighted least-squares slope of z̃ on X̃, and the new linear predictor is η = z − (z̃ − X̃b)
//! (the fitted part of z, effects included). Start: μ = (y + ȳ)/2 (fixest, pyfixest).
//!
//! Convergence: the iteration stops when no linear predictor changes by more than
//! `tol` = 1e-10 between two iterations (IRLS is Newton's method for the Poisson likelihood, so
//! the slopes are then exact to about the demeaning tolerance). ppmlhdfe and fixest stop when the
//! relative deviance change |ΔD|/(0.1 + |D|) falls below 1e-8; that criterion is reported as
//! well (`deviance_change`).
//!
//! Separation (ppmlhdfe's `fe` check, Correia, Guimarães & Zylkin 2019): in a level of an
//! absorbed factor whose y is zero for every observation the effect goes to −∞ and those
//! observations are perfectly predicted; they are dropped, singletons dropped again, and both
//! repeated until nothing changes. The count is reported. (ppmlhdfe's `simplex` and `relu`
//! checks for separation by the regressors are not implemented.)
//!
//! Covariances (pyfixest `fepois` with its default `ssc()`, = fixest): bread B = (X̃'WX̃)⁻¹ at
//! the solution, scores x̃_i(y_i − μ_i); conventional (N − 1)/(N − k − df_a)·B, robust
//! N/(N − k − df_a)·B(Σ s_i s_i')B, cluster G/(G − 1)·(N − 1)/(N − k − df_a,cl)·B(Σ_g s_g s_g')B;
//! z inference. Fit statistics as ppmlhdfe prints them: deviance
//! D = 2Σ[y log(y/μ) − (y − μ)], log pseudo-likelihood ℓ = Σ[y log μ − μ − log y!], ℓ₀ of the
//! constant-only model (μ = ȳ) and pseudo-R² = 1 − ℓ/ℓ₀.

use serde::{Deserialize, Serialize};
use statrs::function::gamma::ln_gamma;

use super::demean::demean;
use super::dof::absorbed_dof;
use super::factor::{drop_singletons, Factor};
use super::fit::{
    absorbed_command, absorbed_ls, absorbed_skeleton, covariance_kinds, not_converged,
    AbsorbedCore, HdfeInfo, HdfeOptions,
};
use crate::estimate::design::Design;
use crate::estimate::error::EstimateError;
use crate::estimate::fit::FitOptions;
use crate::estimate::linalg::col;
use crate::estimate::results::{CovarianceKind, EstimationResult, Estimator, FitStats};

/// IRLS options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PpmlOptions {
    /// Stop when no linear predictor changes by more than this.
    pub tol: f64,
    /// Give up (an error) after this many iterations.
    pub max_iter: usize,
}

impl Default for PpmlOptions {
    fn default() -> Self {
        PpmlOptions {
            tol: 1e-10,
            max_iter: 1000,
        }
    }
}

/// PPML fit statistics (ppmlhdfe's header).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PpmlStats {
    /// IRLS iterations.
    pub iterations: usize,
    /// The convergence tolerance on the linear predictor.
    pub tol: f64,
    /// |ΔD|/(0.1 + |D|) of the last iteration (ppmlhdfe's and fixest's criterion).
    pub deviance_change: f64,
    /// Deviance 2Σ[y log(y/μ) − (y − μ)].
    pub deviance: f64,
    /// Log pseudo-likelihood Σ[y log μ − μ − log y!].
    pub log_likelihood: f64,
    /// Log pseudo-likelihood of the constant-only model on the same sample.
    pub log_likelihood_null: f64,
    /// 1 − ℓ/ℓ₀.
    pub pseudo_r2: f64,
}

fn deviance(y: &[f64], mu: &[f64]) -> f64 {
    2.0 * y
        .iter()
        .zip(mu)
        .map(|(&y, &m)| {
            let a = if y > 0.0 { y * (y / m).ln() } else { 0.0 };
            a - (y - m)
        })
        .sum::<f64>()
}

fn log_likelihood(y: &[f64], mu: &[f64]) -> f64 {
    y.iter()
        .zip(mu)
        .map(|(&y, &m)| {
            let a = if y > 0.0 { y * m.ln() } else { 0.0 };
            a - m - ln_gamma(y + 1.0)
        })
        .sum()
}

/// ppmlhdfe's `fe` separation check with singletons, repeated until stable: the rows kept and
/// the number dropped for separation.
fn separation(y: &[f64], factors: &[Factor], singletons: bool) -> (Vec<bool>, usize) {
    let n = y.len();
    let mut keep = vec![true; n];
    let mut separated = 0;
    loop {
        let mut changed = false;
        for f in factors {
            let mut sum = vec![0.0; f.levels];
            for i in 0..n {
                if keep[i] {
                    sum[f.codes[i]] += y[i];
                }
            }
            for i in 0..n {
                if keep[i] && sum[f.codes[i]] == 0.0 {
                    keep[i] = false;
                    separated += 1;
                    changed = true;
                }
            }
        }
        if singletons {
            let sub: Vec<Factor> = factors.iter().map(|f| f.subset(&keep)).collect();
            let s = drop_singletons(&sub);
            if s.dropped > 0 {
                let mut it = s.keep.into_iter();
                for k in keep.iter_mut().filter(|k| **k) {
                    *k = it.next().unwrap_or(true);
                }
                changed = true;
            }
        }
        if !changed {
            return (keep, separated);
        }
    }
}

pub(super) fn fit_ppml(
    design: &Design,
    factors: Vec<Factor>,
    estimator: Estimator,
    opts: &FitOptions,
    hopts: &HdfeOptions,
) -> Result<EstimationResult, EstimateError> {
    let y_all = design.y.as_slice().unwrap_or(&[]);
    if let Some(i) = y_all.iter().position(|&v| v < 0.0) {
        return Err(EstimateError::InvalidOption {
            option: "dependent variable".to_string(),
            value: format!("{} = {} (observation {})", design.depvar, y_all[i], i + 1),
            reason: "PPML needs a non-negative dependent variable (trade flows, counts); \
                     use --estimator hdfe for a linear model"
                .to_string(),
        });
    }
    let (keep, separated) = separation(y_all, &factors, hopts.drop_singletons);
    if !keep.iter().any(|k| *k) {
        return Err(EstimateError::NoObservations {
            variables: format!(
                "{} (every observation is in a fixed-effect level whose {} is all zero)",
                design.depvar, design.depvar
            ),
        });
    }
    let (design, factors) = if separated > 0 || keep.iter().any(|k| !*k) {
        let d = super::fit::subset_rows(design, &keep);
        let f: Vec<Factor> = factors.iter().map(|f| f.subset(&keep)).collect();
        (d, f)
    } else {
        (design.clone(), factors)
    };
    let extra_singletons = keep.iter().filter(|k| !**k).count() - separated;
    let (kinds, primary) = covariance_kinds(&design, estimator, opts)?;
    let n = design.n_obs();
    let y = design.y.as_slice().unwrap_or(&[]);
    let xv = design.x.view();
    let xcols: Vec<&[f64]> = (0..design.x.ncols())
        .map(|j| xv.column(j).to_slice().unwrap_or(&[]))
        .collect();
    let ybar = y.iter().sum::<f64>() / n as f64;
    let mut mu: Vec<f64> = y.iter().map(|&v| (v + ybar) / 2.0).collect();
    let mut eta: Vec<f64> = mu.iter().map(|m| m.ln()).collect();
    let mut dev = deviance(y, &mu);
    let mut iterations = 0;
    let mut dev_change;
    let mut demean_iterations;
    let ls = loop {
        iterations += 1;
        let z: Vec<f64> = (0..n).map(|i| eta[i] + (y[i] - mu[i]) / mu[i]).collect();
        let mut cols: Vec<&[f64]> = vec![&z];
        cols.extend(xcols.iter().copied());
        let d = demean(&cols, &factors, Some(&mu), hopts.demean).map_err(not_converged)?;
        demean_iterations = d.iterations;
        let (zd, xd_all) = d.columns.split_first().expect("z is the first column");
        let ls = absorbed_ls(xd_all, &xcols, zd, Some(&mu));
        let mut change = 0.0f64;
        for i in 0..n {
            let mut fitted_resid = zd[i];
            for (c, &bj) in ls.b.iter().enumerate() {
                fitted_resid -= col(ls.xd.as_ref(), c)[i] * bj;
            }
            let new = z[i] - fitted_resid;
            change = change.max((new - eta[i]).abs());
            eta[i] = new;
        }
        for (m, &e) in mu.iter_mut().zip(&eta) {
            *m = e.exp();
        }
        let new_dev = deviance(y, &mu);
        dev_change = (new_dev - dev).abs() / (0.1 + new_dev.abs());
        dev = new_dev;
        if !change.is_finite() || !dev.is_finite() {
            return Err(EstimateError::InvalidOption {
                option: "estimator".to_string(),
                value: "ppml".to_string(),
                reason: format!(
                    "the IRLS iterations diverged at iteration {iterations}; the regressors \
                     may separate zeros of {} (ppmlhdfe's simplex check is not implemented): \
                     drop regressors that are zero wherever y is positive",
                    design.depvar
                ),
            });
        }
        if change <= hopts.ppml.tol {
            break ls;
        }
        if iterations >= hopts.ppml.max_iter {
            return Err(EstimateError::InvalidOption {
                option: "estimator".to_string(),
                value: "ppml".to_string(),
                reason: format!(
                    "IRLS did not converge in {iterations} iterations (last change of the \
                     linear predictor {change:e}, tolerance {:e})",
                    hopts.ppml.tol
                ),
            });
        }
    };
    // Scores at the solution: x̃ (y − μ), with x̃ demeaned with the final weights μ.
    let xdw = demean(&xcols, &factors, Some(&mu), hopts.demean).map_err(not_converged)?;
    let final_ls = absorbed_ls(&xdw.columns, &xcols, &vec![0.0; n], Some(&mu));
    let u: Vec<f64> = (0..n).map(|i| y[i] - mu[i]).collect();
    let k = ls.kept.len();
    let cluster_codes: Option<&[usize]> = match primary {
        CovarianceKind::Cluster => design.cluster.as_ref().map(|c| c.codes.as_slice()),
        CovarianceKind::ClusterPanel => Some(&design.panel),
        _ => None,
    };
    let dof = absorbed_dof(&factors, cluster_codes);
    let df_r = n as i64 - k as i64 - dof.df_a as i64;
    if df_r <= 0 {
        return Err(crate::estimate::fit::common::insufficient(
            estimator,
            n,
            "observations (after the separation check)",
            k + dof.df_a,
        ));
    }
    let mut res = absorbed_skeleton(&design, estimator, &ls.kept, &ls.omitted, &ls.b);
    let core = AbsorbedCore {
        estimator,
        b: &ls.b,
        bread: &final_ls.bread,
        xd: &final_ls.xd,
        u: &u,
        conventional_scale: (n as f64 - 1.0) / df_r as f64,
        design: &design,
        dof: &dof,
        level: opts.level,
    };
    core.store_covariances(&mut res, &kinds, primary, opts.vce)?;
    let ll = log_likelihood(y, &mu);
    let ll0 = log_likelihood(y, &vec![ybar; n]);
    res.fit = FitStats {
        ssr: u.iter().map(|e| e * e).sum(),
        residual_variance: f64::NAN,
        rmse: f64::NAN,
        df_m: k,
        df_r,
        ..FitStats::default()
    };
    res.stata_command = absorbed_command(
        &design,
        estimator,
        &factors.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
        opts,
        primary,
    );
    res.absorbed = Some(HdfeInfo {
        absorb: Vec::new(),
        dof,
        singletons_dropped: extra_singletons,
        separation_dropped: separated,
        demean_tol: hopts.demean.tol,
        demean_iterations,
        ppml: Some(PpmlStats {
            iterations,
            tol: hopts.ppml.tol,
            deviance_change: dev_change,
            deviance: dev,
            log_likelihood: ll,
            log_likelihood_null: ll0,
            pseudo_r2: 1.0 - ll / ll0,
        }),
    });
    Ok(res)
}
