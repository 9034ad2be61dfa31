//! The single JSON object printed by `gvc estimate ... --json`: estimator, vce, sample counts,
//! coefficients (primary covariance), fit statistics, tests and, with `--hausman`, the Hausman
//! test of FE against RE on the same sample.

use serde::{Deserialize, Serialize};

use super::hausman::{HausmanResult, HausmanVariant};
use super::results::{EstimationResult, TestResult};

/// One coefficient row (omitted regressors: estimate 0, everything else null, `omitted` true).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickCoefficient {
    /// Display name.
    pub name: String,
    /// Estimate.
    pub estimate: f64,
    /// Standard error.
    pub std_error: Option<f64>,
    /// t or z statistic.
    pub statistic: Option<f64>,
    /// Two-sided p-value.
    pub p_value: Option<f64>,
    /// Lower confidence bound.
    pub ci_low: Option<f64>,
    /// Upper confidence bound.
    pub ci_high: Option<f64>,
    /// Omitted because of collinearity.
    pub omitted: bool,
}

/// T_i over the panels of the estimation sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickObsPerGroup {
    /// Smallest T_i.
    pub min: usize,
    /// N/n.
    pub avg: f64,
    /// Largest T_i.
    pub max: usize,
}

/// Fit statistics (null where not defined for the estimator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickFit {
    /// R² (pooled, fd, be).
    pub r2: Option<f64>,
    /// Adjusted R² (pooled, fd, be).
    pub r2_adj: Option<f64>,
    /// Root MSE, √(residual variance of the conventional VCE) (Stata `e(rmse)`).
    pub rmse: Option<f64>,
    /// R² within.
    pub r2_within: Option<f64>,
    /// R² between.
    pub r2_between: Option<f64>,
    /// R² overall.
    pub r2_overall: Option<f64>,
    /// σ_u.
    pub sigma_u: Option<f64>,
    /// σ_e.
    pub sigma_e: Option<f64>,
    /// ρ.
    pub rho: Option<f64>,
    /// corr(u_i, Xb) (FE).
    pub corr_u_xb: Option<f64>,
    /// θ (RE, balanced panels).
    pub theta: Option<f64>,
}

/// A test (F: df1, df2; χ²: df1 = df, df2 null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickTest {
    /// Statistic.
    pub stat: f64,
    /// Numerator df.
    pub df1: u64,
    /// Denominator df (null for χ²).
    pub df2: Option<u64>,
    /// p-value.
    pub p_value: Option<f64>,
}

/// One coefficient of the Hausman comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickHausmanRow {
    /// Coefficient name.
    pub name: String,
    /// b, the FE (consistent) estimate.
    pub b_fe: Option<f64>,
    /// B, the RE (efficient) estimate.
    pub b_re: Option<f64>,
    /// b − B.
    pub difference: Option<f64>,
    /// √diag(V_b − V_B); null where the diagonal is negative.
    pub se_difference: Option<f64>,
}

/// Hausman block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickHausman {
    /// `default`, `sigmamore` or `sigmaless` (Stata's option names).
    pub variant: String,
    /// The coefficients compared, in FE order.
    pub coefficients: Vec<QuickHausmanRow>,
    /// χ² (may be negative).
    pub chi2: f64,
    /// Degrees of freedom.
    pub df: usize,
    /// p-value (null when χ² < 0).
    pub p_value: Option<f64>,
    /// Stata's note, if any.
    pub note: Option<String>,
}

/// Tests block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickTests {
    /// Model F (t inference).
    pub f_model: Option<QuickTest>,
    /// F test that all u_i = 0 (FE).
    pub f_u_i: Option<QuickTest>,
    /// Model Wald χ² (z inference).
    pub wald: Option<QuickTest>,
    /// Hausman FE vs RE (with --hausman).
    pub hausman: Option<QuickHausman>,
}

/// The `--json` object of the quick-regression command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickJson {
    /// Estimator name (pooled, fe, fe2, re, be, fd).
    pub estimator: String,
    /// vce name (conventional, robust, cluster).
    pub vce: String,
    /// N.
    pub n_obs: usize,
    /// n.
    pub n_groups: usize,
    /// Observations per group: min, average, max of T_i.
    pub obs_per_group: QuickObsPerGroup,
    /// Number of clusters G of a clustered VCE (null otherwise).
    pub n_clusters: Option<usize>,
    /// Coefficients in display order.
    pub coefficients: Vec<QuickCoefficient>,
    /// Fit statistics.
    pub fit: QuickFit,
    /// Tests.
    pub tests: QuickTests,
    /// Instrumental-variables diagnostics (first stages, Cragg–Donald and Kleibergen–Paap F,
    /// Sargan / Hansen J); only with `--endog`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iv: Option<crate::estimate::iv::IvDiagnostics>,
    /// Wild cluster bootstrap of one coefficient; only with `--boot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wild_bootstrap: Option<crate::estimate::bootstrap::BootResult>,
    /// hdfe / ppml: absorbed factors (levels, redundant, nested in the clusters), singletons
    /// and separated observations dropped, demeaning and IRLS convergence, PPML deviance and
    /// pseudo-R².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absorbed: Option<super::hdfe::HdfeInfo>,
}

fn fin(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn quick_test(t: &TestResult) -> QuickTest {
    QuickTest {
        stat: t.stat,
        df1: t.df1,
        df2: t.df2,
        p_value: fin(t.p_value),
    }
}

/// Build the `--json` object from a result (primary covariance) and an optional Hausman test.
pub fn quick_json(res: &EstimationResult, hausman: Option<&HausmanResult>) -> QuickJson {
    let cov = res.primary();
    let coefficients = res
        .terms
        .iter()
        .map(|t| match (t.index, cov) {
            (Some(i), Some(c)) => QuickCoefficient {
                name: t.name.clone(),
                estimate: res.coefficients.get(i).copied().unwrap_or(f64::NAN),
                std_error: c.std_error.get(i).copied().and_then(fin),
                statistic: c.statistic.get(i).copied().and_then(fin),
                p_value: c.p_value.get(i).copied().and_then(fin),
                ci_low: c.ci_low.get(i).copied().and_then(fin),
                ci_high: c.ci_high.get(i).copied().and_then(fin),
                omitted: false,
            },
            _ => QuickCoefficient {
                name: t.name.clone(),
                estimate: 0.0,
                std_error: None,
                statistic: None,
                p_value: None,
                ci_low: None,
                ci_high: None,
                omitted: true,
            },
        })
        .collect();
    let model = cov.and_then(|c| c.model_test.as_ref());
    let f = &res.fit;
    QuickJson {
        estimator: res.estimator.as_str().to_string(),
        vce: res.vce.as_str().to_string(),
        n_obs: res.sample.n_obs,
        n_groups: res.sample.n_groups,
        obs_per_group: QuickObsPerGroup {
            min: res.sample.t_min,
            avg: res.sample.t_avg,
            max: res.sample.t_max,
        },
        n_clusters: cov.and_then(|c| c.n_clusters),
        coefficients,
        fit: QuickFit {
            r2: f.r2,
            r2_adj: f.r2_adj,
            rmse: fin(f.rmse),
            r2_within: f.r2_within,
            r2_between: f.r2_between,
            r2_overall: f.r2_overall,
            sigma_u: f.sigma_u,
            sigma_e: f.sigma_e,
            rho: f.rho,
            corr_u_xb: f.corr_u_xb,
            theta: f.theta,
        },
        tests: QuickTests {
            f_model: model.filter(|t| t.df2.is_some()).map(quick_test),
            f_u_i: res.tests.u_i_zero.as_ref().map(quick_test),
            wald: model.filter(|t| t.df2.is_none()).map(quick_test),
            hausman: hausman.map(|h| QuickHausman {
                variant: match h.variant {
                    HausmanVariant::Default => "default",
                    HausmanVariant::SigmaMore => "sigmamore",
                    HausmanVariant::SigmaLess => "sigmaless",
                }
                .to_string(),
                coefficients: hausman_rows(h),
                chi2: h.chi2,
                df: h.df,
                p_value: h.p_value,
                note: h.note.clone(),
            }),
        },
        iv: None,
        wild_bootstrap: None,
        absorbed: res.absorbed.clone(),
    }
}

/// The per-coefficient rows of a Hausman test (non-finite numbers as null).
fn hausman_rows(h: &HausmanResult) -> Vec<QuickHausmanRow> {
    let at = |v: &ndarray::ArrayRef1<f64>, i: usize| v.get(i).copied().and_then(fin);
    h.coefficients
        .iter()
        .enumerate()
        .map(|(i, name)| QuickHausmanRow {
            name: name.clone(),
            b_fe: at(&h.b_consistent, i),
            b_re: at(&h.b_efficient, i),
            difference: at(&h.difference, i),
            se_difference: h.se_difference.get(i).copied().flatten().and_then(fin),
        })
        .collect()
}

/// The `--json` object serialized as one line of JSON.
pub fn quick_json_string(res: &EstimationResult, hausman: Option<&HausmanResult>) -> String {
    // Serializing plain structs of numbers and strings cannot fail; fall back to an error object.
    serde_json::to_string(&quick_json(res, hausman))
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
