//! Hausman test of FE (consistent) against RE (efficient), Stata `hausman fe re [, sigmamore |
//! sigmaless]` (reference/econometrics.md §9): plain difference of the conventional VCEs over the
//! coefficients common to both models (constant excluded); a matrix that is not positive
//! definite still yields the statistic, with Stata's note when it is negative.

use faer::Mat;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::dist;
use super::error::EstimateError;
use super::linalg::symmetric_eigen;
use super::results::{CovarianceKind, EstimationResult};

/// Which disturbance variance the two VCEs are based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HausmanVariant {
    /// Each model's own conventional VCE.
    #[default]
    Default,
    /// Both scaled to the efficient model's variance: V_c × s²_e/s²_c.
    SigmaMore,
    /// Both scaled to the consistent model's variance: V_e × s²_c/s²_e.
    SigmaLess,
}

/// Stata's note when the statistic is negative.
pub const NEGATIVE_CHI2_NOTE: &str =
    "chi2<0 ==> model fitted on these data fails to meet the asymptotic assumptions of the Hausman test";

/// Outcome of a Hausman test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HausmanResult {
    /// Variant.
    pub variant: HausmanVariant,
    /// Coefficients compared (order of the consistent model).
    pub coefficients: Vec<String>,
    /// b of the consistent model (FE).
    #[serde(with = "super::results::plain_vec")]
    pub b_consistent: Array1<f64>,
    /// B of the efficient model (RE).
    #[serde(with = "super::results::plain_vec")]
    pub b_efficient: Array1<f64>,
    /// b − B.
    #[serde(with = "super::results::plain_vec")]
    pub difference: Array1<f64>,
    /// √diag(V_b − V_B); None where the diagonal is negative.
    pub se_difference: Vec<Option<f64>>,
    /// χ² = d'(V_b − V_B)⁻¹d (generalized inverse over non-zero eigenvalues, negative ones kept).
    #[serde(with = "super::results::finite_or_null")]
    pub chi2: f64,
    /// Rank of V_b − V_B.
    pub df: usize,
    /// Upper-tail p-value; None when χ² < 0.
    pub p_value: Option<f64>,
    /// Whether V_b − V_B is positive definite.
    pub positive_definite: bool,
    /// Eigenvalues of V_b − V_B (ascending).
    #[serde(with = "super::results::plain_vec")]
    pub eigenvalues: Array1<f64>,
    /// Stata's display note (chi2 < 0), if any.
    pub note: Option<String>,
    /// Scale applied to V_b.
    #[serde(with = "super::results::finite_or_null")]
    pub scale_consistent: f64,
    /// Scale applied to V_B.
    #[serde(with = "super::results::finite_or_null")]
    pub scale_efficient: f64,
}

fn hausman_error(reason: &str) -> EstimateError {
    EstimateError::Hausman {
        reason: reason.to_string(),
    }
}

/// Hausman test of `consistent` (FE) against `efficient` (RE) on the same sample.
pub fn hausman(
    consistent: &EstimationResult,
    efficient: &EstimationResult,
    variant: HausmanVariant,
) -> Result<HausmanResult, EstimateError> {
    if consistent.sample.n_obs != efficient.sample.n_obs
        || consistent.sample.n_groups != efficient.sample.n_groups
    {
        return Err(hausman_error(&format!(
            "the models were fitted on different samples ({} obs / {} groups vs {} obs / {} groups); \
             fit both on the same design",
            consistent.sample.n_obs,
            consistent.sample.n_groups,
            efficient.sample.n_obs,
            efficient.sample.n_groups
        )));
    }
    let vc = consistent
        .covariance(CovarianceKind::Conventional)
        .ok_or_else(|| hausman_error("the consistent model has no conventional VCE"))?;
    let ve = efficient
        .covariance(CovarianceKind::Conventional)
        .ok_or_else(|| hausman_error("the efficient model has no conventional VCE"))?;
    for (label, r, v) in [("consistent", consistent, vc), ("efficient", efficient, ve)] {
        let k = r.coefficients.len();
        if r.coef_names.len() != k || v.vcov.dim() != (k, k) {
            return Err(hausman_error(&format!(
                "the {label} model's coefficient names, coefficients and covariance have \
                 inconsistent sizes (a corrupted result file?)"
            )));
        }
    }
    let mut names = Vec::new();
    let mut ic = Vec::new();
    let mut ie = Vec::new();
    for (i, name) in consistent.coef_names.iter().enumerate() {
        if name == "_cons" {
            continue;
        }
        if let Some(j) = efficient.index_of(name) {
            names.push(name.clone());
            ic.push(i);
            ie.push(j);
        }
    }
    if names.is_empty() {
        return Err(hausman_error(
            "the two models have no coefficient in common besides the constant",
        ));
    }
    let s2c = consistent.fit.residual_variance;
    let s2e = efficient.fit.residual_variance;
    let (scale_c, scale_e) = match variant {
        HausmanVariant::Default => (1.0, 1.0),
        HausmanVariant::SigmaMore => (s2e / s2c, 1.0),
        HausmanVariant::SigmaLess => (1.0, s2c / s2e),
    };
    let q = names.len();
    let vd = Mat::from_fn(q, q, |r, c| {
        scale_c * vc.vcov[[ic[r], ic[c]]] - scale_e * ve.vcov[[ie[r], ie[c]]]
    });
    let vd = Mat::from_fn(q, q, |r, c| 0.5 * (vd[(r, c)] + vd[(c, r)]));
    let bc: Array1<f64> = ic.iter().map(|&i| consistent.coefficients[i]).collect();
    let be: Array1<f64> = ie.iter().map(|&i| efficient.coefficients[i]).collect();
    let d: Array1<f64> = bc.iter().zip(&be).map(|(a, b)| a - b).collect();
    let (eig, u) = symmetric_eigen(&vd)
        .ok_or_else(|| hausman_error("eigen-decomposition of V_b − V_B failed"))?;
    let max_abs = eig.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let tol = 1e-12 * max_abs;
    let mut chi2 = 0.0;
    let mut df = 0;
    for (m, &lam) in eig.iter().enumerate() {
        if lam.abs() > tol && lam != 0.0 {
            let proj: f64 = (0..q).map(|r| u[(r, m)] * d[r]).sum();
            chi2 += proj * proj / lam;
            df += 1;
        }
    }
    let positive_definite = eig.first().is_some_and(|&v| v > 0.0);
    let p_value = (chi2 >= 0.0 && df > 0).then(|| dist::chi2_upper_p(chi2, df as f64));
    Ok(HausmanResult {
        variant,
        se_difference: (0..q)
            .map(|r| {
                let v = vd[(r, r)];
                (v >= 0.0).then(|| v.sqrt())
            })
            .collect(),
        coefficients: names,
        b_consistent: bc,
        b_efficient: be,
        difference: d,
        chi2,
        df,
        p_value,
        positive_definite,
        eigenvalues: Array1::from(eig),
        note: (chi2 < 0.0).then(|| NEGATIVE_CHI2_NOTE.to_string()),
        scale_consistent: scale_c,
        scale_efficient: scale_e,
    })
}
