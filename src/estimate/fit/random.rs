//! Random effects, `xtreg, re` (reference/econometrics.md §7): Swamy–Arora or Baltagi–Chang
//! variance components, then GLS by quasi-demeaning with θ_i, and θ's summary.

use faer::Mat;

use super::arrays;
use super::common::{insufficient, panel_r2, skeleton, slope_indices};
use crate::estimate::covariance::Core;
use crate::estimate::design::Design;
use crate::estimate::error::EstimateError;
use crate::estimate::linalg::{spd_inverse, OrderedQr};
use crate::estimate::ols::{ols_with_constant, within, LsFit};
use crate::estimate::results::{
    Distribution, EstimationResult, Estimator, FitStats, ReMethod, ThetaSummary, VarianceComponents,
};
use crate::estimate::stats::{finite, stata_percentile, Panels};

struct Components {
    vc: VarianceComponents,
}

/// Swamy–Arora variance components (Stata default, §7.1) or Baltagi–Chang (§7.2) on the
/// regressors `kept` (indices into design.x).
fn variance_components(
    estimator: Estimator,
    design: &Design,
    kept: &[usize],
    method: ReMethod,
    panels: &Panels<'_>,
) -> Result<Components, EstimateError> {
    let n_obs = design.n_obs();
    let n = panels.n();
    let (y, design_x) = arrays(design);
    let x = Mat::from_fn(n_obs, kept.len(), |i, c| design_x[(i, kept[c])]);
    // Within step: only regressors that vary within panels (time-invariant ones drop here).
    let wf = within(y, x.as_ref(), panels, &(0..kept.len()).collect::<Vec<_>>());
    let k_w = wf.ls.kept.len();
    let df_within = n_obs as i64 - n as i64 - k_w as i64;
    if df_within <= 0 {
        return Err(insufficient(estimator, n_obs, "observations", n + k_w));
    }
    let sigma2_e = wf.ls.ssr() / df_within as f64;
    // Between step (unweighted) on panel means.
    let ybar_i = panels.means(y);
    let xbar_i = panels.column_means(x.as_ref());
    let between = ols_with_constant(&ybar_i, xbar_i.as_ref(), None);
    let k_b = between.kept.len() + 1;
    let df_between = n as i64 - k_b as i64;
    if df_between <= 0 {
        return Err(insufficient(estimator, n, "panels", k_b));
    }
    let vc = match method {
        ReMethod::SwamyArora => {
            let ssr_b = between.ssr();
            let tbar = panels.harmonic_mean_t();
            let raw = ssr_b / df_between as f64 - sigma2_e / tbar;
            VarianceComponents {
                method,
                sigma2_e,
                sigma2_u: raw.max(0.0),
                sigma2_u_before_truncation: raw,
                df_within,
                df_between,
                ssr_between: Some(ssr_b),
                tbar_harmonic: Some(tbar),
                ssr_between_star: None,
                trace: None,
            }
        }
        ReMethod::BaltagiChangWeighted | ReMethod::BaltagiChangUnweighted => {
            let t: Vec<f64> = panels.counts.iter().map(|&c| c as f64).collect();
            let resid = if method == ReMethod::BaltagiChangWeighted {
                ols_with_constant(&ybar_i, xbar_i.as_ref(), Some(&t)).resid
            } else {
                between.resid.clone()
            };
            let ssr_star: f64 = resid.iter().zip(&t).map(|(e, ti)| ti * e * e).sum();
            // z_i = (x̄_i kept in the between regression, 1).
            let kb = between.kept.len();
            let zi = |p: usize, c: usize| {
                if c < kb {
                    xbar_i[(p, between.kept[c])]
                } else {
                    1.0
                }
            };
            let a = Mat::from_fn(kb + 1, kb + 1, |r, c| {
                (0..n).map(|p| t[p] * zi(p, r) * zi(p, c)).sum::<f64>()
            });
            let b = Mat::from_fn(kb + 1, kb + 1, |r, c| {
                (0..n)
                    .map(|p| t[p] * t[p] * zi(p, r) * zi(p, c))
                    .sum::<f64>()
            });
            let a_inv = spd_inverse(&a).ok_or_else(|| EstimateError::Numerical {
                step: "Baltagi–Chang trace".to_string(),
                detail: "Σ T_i z_i z_i' is not positive definite".to_string(),
            })?;
            let trace: f64 = (0..=kb)
                .flat_map(|r| (0..=kb).map(move |c| (r, c)))
                .map(|(r, c)| a_inv[(r, c)] * b[(c, r)])
                .sum();
            let raw = (ssr_star - df_between as f64 * sigma2_e) / (n_obs as f64 - trace);
            VarianceComponents {
                method,
                sigma2_e,
                sigma2_u: raw.max(0.0),
                sigma2_u_before_truncation: raw,
                df_within,
                df_between,
                ssr_between: None,
                tbar_harmonic: None,
                ssr_between_star: Some(ssr_star),
                trace: Some(trace),
            }
        }
    };
    Ok(Components { vc })
}

fn theta_summary(mut v: Vec<f64>) -> Option<ThetaSummary> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let pct = |p: f64| stata_percentile(&v, p).unwrap_or(f64::NAN);
    Some(ThetaSummary {
        min: v[0],
        p5: pct(5.0),
        p50: pct(50.0),
        p95: pct(95.0),
        max: v[v.len() - 1],
    })
}

pub(super) fn fit_re<'a>(
    design: &'a Design,
    estimator: Estimator,
    method: ReMethod,
    panels: &Panels<'_>,
) -> Result<(EstimationResult, Core<'a>), EstimateError> {
    let n_obs = design.n_obs();
    let n = panels.n();
    // Stata's _rmcoll on [X, 1] first: constant or collinear regressors are omitted; regressors
    // that are constant within panels stay in the RE model.
    let (y, x) = arrays(design);
    let probe = ols_with_constant(y, x, None);
    let kept = probe.kept.clone();
    let k = kept.len();
    let big_k = k + 1;
    if n_obs <= big_k {
        return Err(insufficient(estimator, n_obs, "observations", big_k));
    }
    let comps = variance_components(estimator, design, &kept, method, panels)?;
    let (s2e, s2u) = (comps.vc.sigma2_e, comps.vc.sigma2_u);
    let theta_p: Vec<f64> = panels
        .counts
        .iter()
        .map(|&t| 1.0 - (s2e / (t as f64 * s2u + s2e)).sqrt())
        .collect();
    let codes = panels.codes;
    let ybar_i = panels.means(y);
    let xk = Mat::from_fn(n_obs, k, |i, c| x[(i, kept[c])]);
    let xbar_i = panels.column_means(xk.as_ref());
    // Quasi-demeaned regression: y − θ_i ȳ_i on [x − θ_i x̄_i, 1 − θ_i].
    let ystar: Vec<f64> = (0..n_obs)
        .map(|i| y[i] - theta_p[codes[i]] * ybar_i[codes[i]])
        .collect();
    let zstar = Mat::from_fn(n_obs, big_k, |i, c| {
        let th = theta_p[codes[i]];
        if c < k {
            xk[(i, c)] - th * xbar_i[(codes[i], c)]
        } else {
            1.0 - th
        }
    });
    let refs: Vec<f64> = (0..big_k)
        .map(|c| zstar.col_as_slice(c).iter().map(|v| v * v).sum())
        .collect();
    let qr = OrderedQr::new(zstar.clone(), &refs);
    if qr.rank() < big_k {
        return Err(EstimateError::Numerical {
            step: "random-effects GLS".to_string(),
            detail: "the quasi-demeaned design is rank deficient although the pooled design is not"
                .to_string(),
        });
    }
    let b = qr.solve(&ystar);
    let resid: Vec<f64> = (0..n_obs)
        .map(|i| ystar[i] - (0..big_k).map(|c| zstar[(i, c)] * b[c]).sum::<f64>())
        .collect();
    let ssr: f64 = resid.iter().map(|e| e * e).sum();
    let df_r = n_obs as i64 - big_k as i64;
    let rmse2 = ssr / df_r as f64;
    let ls = LsFit {
        kept: kept.clone(),
        omitted: probe.omitted.clone(),
        slopes: b[..k].to_vec(),
        constant: b[k],
        resid: resid.clone(),
        bread: qr.xtx_inverse(),
        xbar: vec![0.0; k],
    };
    let mut res = skeleton(
        design,
        estimator,
        estimator.info().title,
        &design.regressor_names,
        &ls,
        true,
        panels,
    );
    let (r2_w, r2_b, r2_o, _) = panel_r2(y, x, &kept, &ls.slopes, panels, &ybar_i, None);
    let balanced = panels.counts.iter().min() == panels.counts.iter().max();
    let theta_obs: Vec<f64> = codes.iter().map(|&p| theta_p[p]).collect();
    res.fit = FitStats {
        ssr,
        residual_variance: rmse2,
        rmse: rmse2.sqrt(),
        df_m: k,
        df_r,
        r2_within: r2_w,
        r2_between: r2_b,
        r2_overall: r2_o,
        sigma_u: Some(s2u.sqrt()),
        sigma_e: Some(s2e.sqrt()),
        rho: finite(s2u / (s2u + s2e)),
        theta: if balanced {
            theta_p.first().copied()
        } else {
            None
        },
        theta_summary_observations: theta_summary(theta_obs),
        theta_summary_panels: theta_summary(theta_p.clone()),
        ..FitStats::default()
    };
    res.variance_components = Some(comps.vc);
    if n < 2 {
        return Err(insufficient(estimator, n, "panels", 2));
    }
    let core = Core {
        estimator,
        b,
        bread: ls.bread,
        z: zstar,
        resid,
        s2: rmse2,
        df_r,
        slope_idx: slope_indices(k),
        n_absorbed: 0,
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
