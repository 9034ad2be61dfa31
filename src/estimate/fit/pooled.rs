//! Pooled OLS (`regress`, with or without constant) — also first differences, which is OLS
//! on a design built in differences (reference/econometrics.md §2, §6).

use super::common::{insufficient, skeleton, slope_indices, with_constant_column};
use super::{arrays, FitOptions};
use crate::estimate::covariance::Core;
use crate::estimate::design::Design;
use crate::estimate::error::EstimateError;
use crate::estimate::ols::{ols_no_constant, ols_with_constant};
use crate::estimate::results::{Distribution, EstimationResult, Estimator, FitStats};
use crate::estimate::stats::{finite, mean, Panels};

pub(super) fn fit_ols<'a>(
    design: &'a Design,
    estimator: Estimator,
    opts: &FitOptions,
    panels: &Panels<'_>,
) -> Result<(EstimationResult, Core<'a>), EstimateError> {
    let n = design.n_obs();
    let (y, x) = arrays(design);
    let constant = opts.constant;
    let ls = if constant {
        ols_with_constant(y, x, None)
    } else {
        ols_no_constant(y, x)
    };
    let k = ls.kept.len();
    let big_k = k + usize::from(constant);
    if big_k == 0 {
        return Err(EstimateError::InvalidOption {
            option: "regressors".to_string(),
            value: "(none)".to_string(),
            reason: "a model without constant needs at least one non-omitted regressor".to_string(),
        });
    }
    if n <= big_k {
        return Err(insufficient(estimator, n, "observations", big_k));
    }
    let mut res = skeleton(
        design,
        estimator,
        estimator.info().title,
        &design.regressor_names,
        &ls,
        constant,
        panels,
    );
    let ssr = ls.ssr();
    let df_r = n as i64 - big_k as i64;
    let s2 = ssr / df_r as f64;
    // Stata: centered TSS with a constant, uncentered Σy² with noconstant.
    let tss = if constant {
        let m = mean(y);
        y.iter().map(|v| (v - m) * (v - m)).sum::<f64>()
    } else {
        y.iter().map(|v| v * v).sum::<f64>()
    };
    let mss = tss - ssr;
    let r2 = 1.0 - ssr / tss;
    let denom_adj = if constant { n as f64 - 1.0 } else { n as f64 };
    let classical_f = (k > 0).then(|| (mss / k as f64) / s2);
    res.fit = FitStats {
        ssr,
        residual_variance: s2,
        rmse: s2.sqrt(),
        df_m: k,
        df_r,
        tss: Some(tss),
        mss: Some(mss),
        r2: finite(r2),
        r2_adj: finite(1.0 - (1.0 - r2) * denom_adj / df_r as f64),
        ..FitStats::default()
    };
    let z = with_constant_column(x, &ls.kept, constant);
    debug_assert_eq!(z.ncols(), big_k);
    let core = Core {
        estimator,
        b: ls.coefficients(constant),
        bread: ls.bread.clone(),
        z,
        resid: ls.resid.clone(),
        s2,
        df_r,
        slope_idx: slope_indices(k),
        n_absorbed: 0,
        normal: estimator.info().inference == Distribution::Normal,
        classical_f,
        panel: &design.panel,
        panel_var: &design.panel_var,
        panel_labels: &design.panel_labels,
        time: &design.time,
        cluster: design.cluster.as_ref(),
    };
    Ok((res, core))
}
