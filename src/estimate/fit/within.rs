//! Fixed effects, `xtreg, fe` (reference/econometrics.md §3): the within regression with
//! Stata's constant, σ_u, σ_e, ρ, the three R², the u_i = 0 F test and the augmented-regression
//! scores; with `i.year` dummies for two-way fixed effects.

use faer::{Mat, MatRef};
use ndarray::Array1;

use super::arrays;
use super::common::{insufficient, panel_r2, skeleton, slope_indices};
use crate::estimate::covariance::{f_test, Core};
use crate::estimate::design::Design;
use crate::estimate::error::EstimateError;
use crate::estimate::ols::{ols_ssr_with_constant, within};
use crate::estimate::results::{Distribution, EstimationResult, Estimator, FitStats, PanelEffects};
use crate::estimate::stats::{correlation, finite, interleaved_sums, std_dev, Panels};

/// Year dummies for `i.time` (first year of the sample is the base): columns and names.
fn time_dummies(design: &Design) -> (Vec<i64>, Vec<String>) {
    let mut years = design.time.clone();
    years.sort_unstable();
    years.dedup();
    let years: Vec<i64> = years.into_iter().skip(1).collect();
    let names = years
        .iter()
        .map(|t| format!("{t}.{}", design.time_var))
        .collect();
    (years, names)
}

pub(super) fn fit_fe<'a>(
    design: &'a Design,
    estimator: Estimator,
    panels: &Panels<'_>,
) -> Result<(EstimationResult, Core<'a>), EstimateError> {
    let n_obs = design.n_obs();
    let n = panels.n();
    let (y, x) = arrays(design);
    let k_user = x.ncols();
    let (with_dummies, names, priority): (Option<Mat<f64>>, Vec<String>, Vec<usize>) =
        if estimator.info().time_effects {
            let (years, dnames) = time_dummies(design);
            let kd = years.len();
            let x = Mat::from_fn(n_obs, k_user + kd, |i, j| {
                if j < k_user {
                    x[(i, j)]
                } else if design.time[i] == years[j - k_user] {
                    1.0
                } else {
                    0.0
                }
            });
            let mut names = design.regressor_names.clone();
            names.extend(dnames);
            // Stata's `_rmcoll` order for `xtreg y x i.year, fe`: the regressors as listed, then
            // the year dummies, the later member of a collinear set omitted. A regressor that
            // is collinear with the two-way effects (experience = year − entry year in a wage
            // panel) is kept and the last year dummy it completes is omitted, as Stata prints
            // "note: 1987.year omitted because of collinearity" (econometrics.md §1.3).
            let priority: Vec<usize> = (0..k_user + kd).collect();
            (Some(x), names, priority)
        } else {
            (None, design.regressor_names.clone(), (0..k_user).collect())
        };
    let x_all: MatRef<'_, f64> = with_dummies.as_ref().map_or(x, |m| m.as_ref());
    let wf = within(y, x_all, panels, &priority);
    let ls = &wf.ls;
    let k = ls.kept.len();
    let df_r = n_obs as i64 - n as i64 - k as i64;
    if df_r <= 0 {
        return Err(insufficient(estimator, n_obs, "observations", n + k));
    }
    let title = estimator.info().title;
    let mut res = skeleton(design, estimator, title, &names, ls, true, panels);
    let ybar = wf.ybar;
    // SSR, TSS and within TSS in one pass (each summed in row order).
    let sums = interleaved_sums(&[&ls.resid, y, &wf.y_demeaned], |j, v| {
        if j == 1 {
            (v - ybar) * (v - ybar)
        } else {
            v * v
        }
    });
    let (ssr, tss, tss_within) = (sums[0], sums[1], sums[2]);
    let s2 = ssr / df_r as f64;
    let b = &ls.slopes;
    let codes = panels.codes;
    // u_i = ȳ_i − _cons − x̄_i'b.
    let u: Vec<f64> = (0..n)
        .map(|p| wf.ybar_i[p] - ls.constant - (0..k).map(|c| wf.xbar_i[(p, c)] * b[c]).sum::<f64>())
        .collect();
    let sigma_u = std_dev(&u);
    let sigma_e = s2.sqrt();
    let (r2_w, r2_b, r2_o, xb) = panel_r2(
        y,
        x_all,
        &ls.kept,
        b,
        panels,
        &wf.ybar_i,
        Some(&wf.y_demeaned),
    );
    let u_obs: Vec<f64> = codes.iter().map(|&p| u[p]).collect();
    // Restricted model of the u_i = 0 test: pooled OLS on the same (kept) regressors.
    let ssr_pooled = ols_ssr_with_constant(y, x_all, &ls.kept);
    res.fit = FitStats {
        ssr,
        residual_variance: s2,
        rmse: sigma_e,
        df_m: k,
        df_r,
        r2_within: r2_w.or_else(|| finite(1.0 - ssr / tss_within)),
        r2_between: r2_b,
        r2_overall: r2_o,
        sigma_u,
        sigma_e: Some(sigma_e),
        rho: sigma_u.and_then(|su| finite(su * su / (su * su + s2))),
        corr_u_xb: correlation(&u_obs, &xb),
        ssr_pooled: Some(ssr_pooled),
        r2_lsdv: finite(1.0 - ssr / tss),
        r2_adj_lsdv: finite(1.0 - s2 / (tss / (n_obs as f64 - 1.0))),
        ..FitStats::default()
    };
    res.tests.u_i_zero = (n > 1).then(|| {
        let f = ((ssr_pooled - ssr) / (n - 1) as f64) / s2;
        f_test(f, n - 1, df_r)
    });
    res.effects = Some(PanelEffects {
        labels: design.panel_labels.clone(),
        u_i: Array1::from(u),
    });
    // Z = [x − x̄_i + x̄, 1]: scores of the augmented regression.
    let mut z = Mat::<f64>::zeros(n_obs, k + 1);
    for c in 0..k {
        let shift = ls.xbar[c];
        for (d, &w) in z
            .col_as_slice_mut(c)
            .iter_mut()
            .zip(wf.demeaned.col_as_slice(c))
        {
            *d = w + shift;
        }
    }
    z.col_as_slice_mut(k).fill(1.0);
    let core = Core {
        estimator,
        b: ls.coefficients(true),
        bread: wf.ls.bread,
        z,
        resid: wf.ls.resid,
        s2,
        df_r,
        slope_idx: slope_indices(k),
        n_absorbed: n,
        normal: estimator.info().inference == Distribution::Normal,
        classical_f: None,
        panel: &design.panel,
        panel_var: &design.panel_var,
        panel_labels: &design.panel_labels,
        time: &design.time,
        cluster: design.cluster.as_ref(),
    };
    Ok((res, core))
}
