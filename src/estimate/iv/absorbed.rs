//! 2SLS with absorbed factors (`ivreghdfe y x1 (x2 = z1 z2), absorb(f1 f2)`, fixest / pyfixest
//! `feols("y ~ x1 | f1 + f2 | x2 ~ z1 + z2")`).
//!
//! Singletons are dropped first (reghdfe's iterative rule, unless kept), then y, X1, X2 and Z1
//! are demeaned by every absorbed factor ([`crate::estimate::hdfe::demean`]) and 2SLS runs on
//! the demeaned columns without a constant (Frisch–Waugh–Lovell). With k estimated slopes, L
//! instruments (X1 and Z1) and df_a absorbed coefficients ([`crate::estimate::hdfe::dof`]):
//!
//! | vce | structural V | first-stage F (each x2) |
//! |---|---|---|
//! | conventional | e'e/(N − k − df_a)·(X̂'X̂)⁻¹ | Wald/l1 with s² = v'v/(N − L − df_a), F(l1, N − L − df_a) |
//! | robust | N/(N − k − df_a)·B(Σ e_i² x̂_i x̂_i')B | HC1 N/(N − L − df_a) |
//! | cluster | G/(G − 1)(N − 1)/(N − k − df_a,cl)·B(Σ_g s_g s_g')B | CR1 with L, F(l1, G − 1) |
//!
//! B = (X̂'X̂)⁻¹, X̂ the first-stage fitted values, e = ỹ − X̃b the structural residuals, and
//! df_a,cl counts each factor nested in the clusters as one coefficient (pyfixest CRV1,
//! reghdfe): the conventions of [`crate::estimate::hdfe`] for OLS, which pyfixest applies to
//! its IV fits too. Diagnostics: Cragg–Donald F = cd·(N − L − df_a)/l1 (ivreghdfe: the
//! absorbed df are its `sdofminus`); Kleibergen–Paap rk Wald F = rk/l1 divided by the first
//! stage's small-sample factor (ivreghdfe's rkf; see [`super::rank`]); Sargan N·e'P_Z e/e'e
//! (ivreghdfe passes the absorbed df as the small-sample `sdofminus`, so the large-sample
//! statistic uses N) and Hansen's J g'S⁻¹g at the two-step efficient GMM estimate (S from the
//! 2SLS residuals, summed by observation or cluster), χ²(l1 − k2).
//!
//! Known difference: with a factor nested in the clusters ivreghdfe's small-sample count is
//! reghdfe's df_a without the nested factor (at least 1), which is one fewer than
//! pyfixest's (and gvc's) k + df_a,cl when a second, non-nested factor is absorbed too.

use faer::Mat;

use super::stages::{two_stages, Transform};
use super::{
    centered_sq, kp_for, overid_test, singular_first_stage, FirstStage, IvDiagnostics, IvFit,
    IvRoles,
};
use crate::estimate::covariance::f_test;
use crate::estimate::design::{Design, DesignTransform};
use crate::estimate::error::EstimateError;
use crate::estimate::estimators::Method;
use crate::estimate::fit::common::check_level;
use crate::estimate::fit::{column_major, validate_design, FitOptions};
use crate::estimate::hdfe::fit::{
    absorbed_covariance, absorbed_skeleton, covariance_kinds, not_converged, subset_rows,
    AbsorbedCore,
};
use crate::estimate::hdfe::{absorbed_dof, demean, Factor, HdfeInfo, HdfeOptions};
use crate::estimate::linalg::wald_statistic;
use crate::estimate::results::{CovarianceKind, Estimator, FitStats, OmissionReason};

fn iv_error(value: &str, reason: &str) -> EstimateError {
    EstimateError::InvalidOption {
        option: "instruments".to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

/// Fit 2SLS absorbing `factors` (codes on the rows of `design`, whose regressors are X1, X2,
/// Z1 in the order of `roles`); `estimator` must be `hdfe`.
pub fn fit_iv_absorbed(
    design: &Design,
    factors: &[Factor],
    roles: IvRoles,
    estimator: Estimator,
    opts: &FitOptions,
    hopts: &HdfeOptions,
) -> Result<IvFit, EstimateError> {
    check_level(opts.level)?;
    if !matches!(estimator.info().method, Method::Hdfe) {
        return Err(iv_error(
            estimator.as_str(),
            "2SLS with absorbed factors is the linear hdfe estimator (ivreghdfe); use \
             --estimator hdfe with --absorb (ppml has no IV variant)",
        ));
    }
    if design.transform != DesignTransform::Levels {
        return Err(iv_error(
            estimator.as_str(),
            "2SLS with absorbed factors needs a levels design",
        ));
    }
    let design: &Design = &column_major(design);
    validate_design(design)?;
    let names = &design.regressor_names;
    let (k1, k2) = (roles.exogenous, roles.endogenous);
    if k2 == 0 || k1 + k2 >= names.len() {
        return Err(iv_error(
            &names.join(","),
            "an IV fit needs at least one endogenous regressor and at least one excluded \
             instrument",
        ));
    }
    let (keep, singletons) = crate::estimate::hdfe::fit::kept_rows(design, factors, hopts)?;
    let design = &subset_rows(design, &keep);
    let factors: Vec<Factor> = factors.iter().map(|f| f.subset(&keep)).collect();
    let n = design.n_obs();
    let (kinds, primary) = covariance_kinds(design, estimator, opts)?;
    let cluster_codes: Option<&[usize]> = match primary {
        CovarianceKind::Cluster => design.cluster.as_ref().map(|c| c.codes.as_slice()),
        CovarianceKind::ClusterPanel => Some(&design.panel),
        _ => None,
    };
    let dof = absorbed_dof(&factors, cluster_codes);

    let y: Vec<f64> = design.y.iter().copied().collect();
    let raw: Vec<Vec<f64>> = (0..names.len())
        .map(|j| design.x.column(j).iter().copied().collect())
        .collect();
    let mut cols: Vec<&[f64]> = vec![&y];
    cols.extend(raw.iter().map(Vec::as_slice));
    let d = demean(&cols, &factors, None, hopts.demean).map_err(not_converged)?;
    let (yt, tr) = d.columns.split_first().expect("y is the first column");
    let refs: Vec<f64> = raw.iter().map(|c| centered_sq(c)).collect();
    let transform = Transform {
        absorbed: Some(OmissionReason::AbsorbedByFixedEffects),
        n_abs: dof.df_a,
        constant_in_df: false,
    };
    let st = two_stages(names, tr, yt, &refs, k1, k2, transform, estimator)?;
    let (kx1, kx2, li) = (st.exog.len(), st.endog.len(), st.instr.len());
    let big_l = kx1 + li;
    let ssr: f64 = st.e.iter().map(|v| v * v).sum();
    let s2 = ssr / st.df_r as f64;

    let mut res = absorbed_skeleton(design, estimator, &st.kept_x, &st.omitted, &st.b);
    res.regressors.truncate(k1 + k2);
    res.terms.truncate(k1 + k2);
    res.title = "IV (2SLS) regression with absorbed fixed effects".to_string();
    let core = AbsorbedCore {
        estimator,
        b: &st.b,
        bread: &st.m_inv,
        xd: &st.xhat,
        u: &st.e,
        conventional_scale: s2,
        design,
        dof: &dof,
        level: opts.level,
    };
    core.store_covariances(&mut res, &kinds, primary, opts.vce)?;
    let ybar = y.iter().sum::<f64>() / n as f64;
    let tss: f64 = y.iter().map(|v| (v - ybar) * (v - ybar)).sum();
    let tss_within: f64 = yt.iter().map(|v| v * v).sum();
    res.fit = FitStats {
        ssr,
        residual_variance: s2,
        rmse: s2.sqrt(),
        df_m: st.kept_x.len(),
        df_r: st.df_r,
        tss: Some(tss),
        r2: crate::estimate::stats::finite(1.0 - ssr / tss),
        r2_within: crate::estimate::stats::finite(1.0 - ssr / tss_within),
        ..FitStats::default()
    };

    // First stages: x2 on [X1, Z1] (demeaned), same covariance kind and dof rules.
    let z_inv = st.qz.xtx_inverse();
    let instr_idx: Vec<usize> = (kx1..big_l).collect();
    let mut first_stage = Vec::with_capacity(kx2);
    let mut fs_factor = None;
    for (m, &j) in st.endog.iter().enumerate() {
        let pi = &st.pis[m];
        let ssr_fs: f64 = st.vres[m].iter().map(|v| v * v).sum();
        let fs = AbsorbedCore {
            b: pi,
            bread: &z_inv,
            xd: &st.zmat,
            u: &st.vres[m],
            conventional_scale: ssr_fs / st.df_fs as f64,
            ..core
        };
        let cov = absorbed_covariance(&fs, primary)?;
        fs_factor = cov.factor;
        let v = Mat::from_fn(big_l, big_l, |a, c| cov.vcov[(a, c)]);
        let w =
            wald_statistic(pi, &v, &instr_idx).ok_or_else(|| singular_first_stage(&names[j]))?;
        let df2 = cov.df.map_or(st.df_fs, |d| d as i64);
        first_stage.push(FirstStage {
            endogenous: names[j].clone(),
            f: f_test(w / li as f64, li, df2),
            partial_r2: st.partial_r2(m),
        });
    }
    let cragg_donald_f = st.cragg_donald_f();
    let kleibergen_paap_f = kp_for(&st, primary, design, fs_factor);
    let overid = (li > kx2)
        .then(|| {
            overid_test(
                &st.zmat,
                &st.qz,
                tr,
                &st.kept_x,
                yt,
                &st.e,
                true,
                0,
                primary,
                design,
                li - kx2,
            )
        })
        .flatten();
    res.stata_command = stata_command(design, roles, &factors, primary);
    res.absorbed = Some(HdfeInfo {
        absorb: factors.iter().map(|f| f.name.clone()).collect(),
        dof,
        singletons_dropped: singletons,
        separation_dropped: 0,
        demean_tol: hopts.demean.tol,
        demean_iterations: d.iterations,
        ppml: None,
    });
    Ok(IvFit {
        result: res,
        diagnostics: IvDiagnostics {
            endogenous: st.endog.iter().map(|&j| names[j].clone()).collect(),
            instruments: st.instr.iter().map(|&j| names[j].clone()).collect(),
            omitted_instruments: st.omitted_instruments.clone(),
            first_stage,
            cragg_donald_f,
            kleibergen_paap_f,
            overid,
        },
    })
}

/// `ivreghdfe y x1 (x2 = z1 z2), absorb(f1 f2) [robust|cluster(c)]`.
fn stata_command(
    design: &Design,
    roles: IvRoles,
    factors: &[Factor],
    primary: CovarianceKind,
) -> String {
    let absorb = crate::estimate::hdfe::fit::stata_absorb(factors.iter().map(|f| f.name.as_str()));
    let vce = match primary {
        CovarianceKind::RobustHc1 => " robust".to_string(),
        CovarianceKind::Cluster => format!(" cluster({})", design.cluster_var()),
        CovarianceKind::ClusterPanel => format!(" cluster({})", design.panel_var),
        _ => String::new(),
    };
    format!(
        "ivreghdfe {}, absorb({absorb}){vce} small",
        super::iv_varlist(design, roles)
    )
}
