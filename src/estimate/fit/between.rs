//! Between effects, `xtreg, be` (reference/econometrics.md §5): OLS on the panel means, with
//! the three panel R² and the T-weighted SSR.

use faer::Mat;

use super::arrays;
use super::common::{insufficient, panel_r2, skeleton, slope_indices};
use crate::estimate::covariance::Core;
use crate::estimate::design::Design;
use crate::estimate::error::EstimateError;
use crate::estimate::ols::ols_with_constant;
use crate::estimate::results::{Distribution, EstimationResult, Estimator, FitStats};
use crate::estimate::stats::{finite, mean, Panels};

/// Panel means of the design: (ȳ_i, X̄_i).
fn panel_means(design: &Design, panels: &Panels<'_>) -> (Vec<f64>, Mat<f64>) {
    let (y, x) = arrays(design);
    (panels.means(y), panels.column_means(x))
}

pub(super) fn fit_be<'a>(
    design: &'a Design,
    estimator: Estimator,
    panels: &Panels<'_>,
) -> Result<(EstimationResult, Core<'a>), EstimateError> {
    let n = panels.n();
    let (ybar_i, xbar_i) = panel_means(design, panels);
    let ls = ols_with_constant(&ybar_i, xbar_i.as_ref(), None);
    let k = ls.kept.len();
    let df_r = n as i64 - (k + 1) as i64;
    if df_r <= 0 {
        return Err(insufficient(estimator, n, "panels", k + 1));
    }
    let mut res = skeleton(
        design,
        estimator,
        estimator.info().title,
        &design.regressor_names,
        &ls,
        true,
        panels,
    );
    let ssr = ls.ssr();
    let s2 = ssr / df_r as f64;
    let m = mean(&ybar_i);
    let tss: f64 = ybar_i.iter().map(|v| (v - m) * (v - m)).sum();
    let (y, x) = arrays(design);
    let ybar_obs = panels.means(y);
    let (r2_w, r2_b, r2_o, _) = panel_r2(y, x, &ls.kept, &ls.slopes, panels, &ybar_obs, None);
    let ssr_t: f64 = ls
        .resid
        .iter()
        .zip(&panels.counts)
        .map(|(e, &t)| t as f64 * e * e)
        .sum();
    let r2 = 1.0 - ssr / tss;
    res.fit = FitStats {
        ssr,
        residual_variance: s2,
        rmse: s2.sqrt(),
        df_m: k,
        df_r,
        tss: Some(tss),
        mss: Some(tss - ssr),
        r2: finite(r2),
        r2_adj: finite(1.0 - (1.0 - r2) * (n as f64 - 1.0) / df_r as f64),
        r2_within: r2_w,
        r2_between: r2_b,
        r2_overall: r2_o,
        ssr_t_weighted: Some(ssr_t),
        ..FitStats::default()
    };
    let z = Mat::from_fn(
        n,
        k + 1,
        |i, c| if c < k { xbar_i[(i, ls.kept[c])] } else { 1.0 },
    );
    let classical_f = (k > 0).then(|| ((tss - ssr) / k as f64) / s2);
    let core = Core {
        estimator,
        b: ls.coefficients(true),
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
        cluster: None,
    };
    Ok((res, core))
}
