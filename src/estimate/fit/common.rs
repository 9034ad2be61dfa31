//! What every estimator shares: the sample summary, the result skeleton (names, omitted
//! terms, display order), X b and the [X, 1] score matrix, Stata's three panel R², and the
//! insufficient-observations error.

use faer::{Mat, MatRef};
use ndarray::Array1;

use super::FORMAT_VERSION;
use crate::estimate::design::Design;
use crate::estimate::error::EstimateError;
use crate::estimate::linalg::col;
use crate::estimate::ols::LsFit;
use crate::estimate::results::{
    EstimationResult, Estimator, FitStats, OmittedTerm, SampleInfo, Term, Tests, Vce,
};
use crate::estimate::stats::{r2_corr, Panels};

/// Sample description of a design (N, n, T_i summary, accounting).
pub(crate) fn sample_info(design: &Design, panels: &Panels<'_>) -> SampleInfo {
    let n_obs = design.n_obs();
    let t_min = panels.counts.iter().copied().min().unwrap_or(0);
    let t_max = panels.counts.iter().copied().max().unwrap_or(0);
    let n_periods = count_distinct(&design.time);
    SampleInfo {
        n_obs,
        n_groups: panels.n(),
        t_min,
        t_avg: n_obs as f64 / panels.n().max(1) as f64,
        t_max,
        n_periods,
        balanced: t_min == t_max,
        n_singleton_groups: panels.counts.iter().filter(|&&t| t == 1).count(),
        singleton_groups_dropped: design.accounting.singleton_groups_dropped,
        rows_in: design.accounting.rows_in,
        rows_missing_ids: design.accounting.rows_missing_ids,
        rows_missing_values: design.accounting.rows_missing_values,
    }
}

/// Number of distinct values (a bitmap over the range for year-like data, else a sort).
fn count_distinct(v: &[i64]) -> usize {
    let (Some(&min), Some(&max)) = (v.iter().min(), v.iter().max()) else {
        return 0;
    };
    let span = max.abs_diff(min) as usize;
    if span <= 4 * v.len() + 64 {
        let mut seen = vec![false; span + 1];
        for &t in v {
            seen[t.abs_diff(min) as usize] = true;
        }
        seen.iter().filter(|&&b| b).count()
    } else {
        let mut s = v.to_vec();
        s.sort_unstable();
        s.dedup();
        s.len()
    }
}

pub(crate) fn insufficient(
    estimator: Estimator,
    available: usize,
    unit: &str,
    parameters: usize,
) -> EstimateError {
    EstimateError::InsufficientObservations {
        estimator: estimator.as_str().to_string(),
        available,
        unit: unit.to_string(),
        parameters,
        df: available as i64 - parameters as i64,
    }
}

/// Skeleton result with names, omitted terms and display order filled in.
#[allow(clippy::too_many_arguments)]
pub(crate) fn skeleton(
    design: &Design,
    estimator: Estimator,
    title: &str,
    all_names: &[String],
    ls: &LsFit,
    has_constant: bool,
    panels: &Panels<'_>,
) -> EstimationResult {
    let mut coef_names: Vec<String> = ls.kept.iter().map(|&j| all_names[j].clone()).collect();
    if has_constant {
        coef_names.push("_cons".to_string());
    }
    let omitted: Vec<OmittedTerm> = ls
        .omitted
        .iter()
        .map(|&(j, reason)| OmittedTerm {
            name: all_names[j].clone(),
            reason,
        })
        .collect();
    // Display order: every requested term (omitted ones with no index), then `_cons`.
    let mut terms: Vec<Term> = all_names
        .iter()
        .enumerate()
        .map(|(j, name)| Term {
            name: name.clone(),
            index: ls.kept.iter().position(|&k| k == j),
        })
        .collect();
    if has_constant {
        terms.push(Term {
            name: "_cons".to_string(),
            index: Some(ls.kept.len()),
        });
    }
    EstimationResult {
        format_version: FORMAT_VERSION,
        estimator,
        title: title.to_string(),
        stata_command: String::new(),
        depvar: design.depvar.clone(),
        panel_var: design.panel_var.clone(),
        time_var: design.time_var.clone(),
        regressors: design.regressor_names.clone(),
        coef_names,
        coefficients: Array1::from(ls.coefficients(has_constant)),
        omitted,
        terms,
        has_constant,
        sample: sample_info(design, panels),
        vce: Vce::Conventional,
        primary_covariance: 0,
        covariances: Vec::new(),
        fit: FitStats::default(),
        tests: Tests::default(),
        variance_components: None,
        effects: None,
        absorbed: None,
    }
}

/// Σ_j X_ij b_j over the kept columns.
pub(super) fn linear_index(x: MatRef<'_, f64>, kept: &[usize], b: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; x.nrows()];
    for (&j, &bj) in kept.iter().zip(b) {
        for (o, &v) in out.iter_mut().zip(col(x, j)) {
            *o += v * bj;
        }
    }
    out
}

/// Columns `kept` of X followed by a column of ones (when `constant`), built column-wise.
pub(super) fn with_constant_column(x: MatRef<'_, f64>, kept: &[usize], constant: bool) -> Mat<f64> {
    let n = x.nrows();
    let mut z = Mat::<f64>::zeros(n, kept.len() + usize::from(constant));
    for (c, &j) in kept.iter().enumerate() {
        z.col_as_slice_mut(c).copy_from_slice(col(x, j));
    }
    if constant {
        z.col_as_slice_mut(kept.len()).fill(1.0);
    }
    z
}

/// Stata's R² within / between / overall for slopes b on the kept columns (econometrics.md §3.3).
/// `ybar_i` are the panel means of y; `y_within` is y − ȳ_i when the caller has it already.
pub(crate) fn panel_r2(
    y: &[f64],
    x: MatRef<'_, f64>,
    kept: &[usize],
    b: &[f64],
    panels: &Panels<'_>,
    ybar_i: &[f64],
    y_within: Option<&[f64]>,
) -> (Option<f64>, Option<f64>, Option<f64>, Vec<f64>) {
    let xb = linear_index(x, kept, b);
    let xbbar_i = panels.means(&xb);
    let codes = panels.codes;
    let yw_own: Vec<f64>;
    let yw = match y_within {
        Some(v) => v,
        None => {
            yw_own = (0..y.len()).map(|i| y[i] - ybar_i[codes[i]]).collect();
            &yw_own
        }
    };
    let xw: Vec<f64> = (0..y.len()).map(|i| xb[i] - xbbar_i[codes[i]]).collect();
    (
        r2_corr(&xw, yw),
        r2_corr(&xbbar_i, ybar_i),
        r2_corr(&xb, y),
        xb,
    )
}

pub(super) fn slope_indices(n_slopes: usize) -> Vec<usize> {
    (0..n_slopes).collect()
}

/// The confidence level of the intervals must lie strictly between 0 and 1 (0.95 = 95 %).
pub(crate) fn check_level(level: f64) -> Result<(), EstimateError> {
    if level > 0.0 && level < 1.0 {
        return Ok(());
    }
    Err(EstimateError::InvalidOption {
        option: "level".to_string(),
        value: level.to_string(),
        reason: "the confidence level must be strictly between 0 and 1 (0.95 = 95 %)".to_string(),
    })
}
