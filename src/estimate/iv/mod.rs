//! Instrumental variables by two-stage least squares, pooled and with one-way (panel) fixed
//! effects, with the weak-identification and over-identification diagnostics of `ivreg2` /
//! `ivreghdfe` (docs/estimators.md#instrumental-variables).
//!
//! The design's regressor columns are, in this order, the included exogenous regressors X1
//! (k1), the endogenous regressors X2 (k2) and the excluded instruments Z1 (l1); building the
//! design from all of them makes listwise deletion cover the instruments too. With
//! Z = [X1, Z1] (L = k1 + l1 columns) and X = [X1, X2] (K = k1 + k2), after removing the
//! constant (pooled: centering by the grand means) or the panel effects (within transform, as
//! `xtreg, fe`; Frisch–Waugh–Lovell):
//!
//! * first stage X̂ = P_Z X; b = (X̂'X̂)⁻¹X̂'y (2SLS); e = y − Xb (structural residuals, with
//!   the actual X); `_cons` = ȳ − x̄'b as `xtreg, fe` / `regress` report it;
//! * covariances are those of the fitted regression with scores x̂_i e_i and bread (X̂'X̂)⁻¹ of
//!   the augmented regression [x̂ + x̄, 1], with the small-sample rules of the OLS counterpart:
//!   conventional s² = e'e/(N − K − 1) (pooled) or e'e/(N − n − K) (FE); robust = HC1
//!   N/(N − K − 1) (pooled) or CR1 on the panel (FE, as `xtreg, fe vce(robust)`); cluster = CR1
//!   G/(G − 1)·(N − 1)/(N − K − 1), nested panel effects not counted; t inference. These are
//!   Stata's `ivregress 2sls …, small`, `ivreg2 …, small`, linearmodels
//!   `IV2SLS(…).fit(debiased=True)` (pooled) and fixest / pyfixest `feols(y ~ x1 | id | x2 ~ z)`
//!   (FE: iid counts the n effects, CRV1 leaves out the effects nested in the clusters).
//!
//! Diagnostics ([`IvDiagnostics`]): the first-stage F of the excluded instruments for each
//! endogenous regressor (the Wald/l1 test after `regress x2 x1 z1` with the same covariance
//! type and small-sample factor as the model); the Cragg–Donald Wald F (ivreg2:
//! cd·(N − L − 1 − df_a)/l1, cd the smallest eigenvalue of (V'V)⁻¹X̄2'P_{Z̄}X̄2, V the
//! first-stage residuals, bars = partialled for X1); the Kleibergen–Paap rk Wald F with a robust
//! or clustered covariance, any number of endogenous regressors ([`rank`]: ranktest's rk
//! statistic over l1 and the first stage's small-sample factor, ivreg2's rkf; with one
//! endogenous regressor the robust first-stage F); and with l1 > k2 the Sargan statistic (conventional VCE:
//! (N − df_a)·e'P_Z e/e'e) or Hansen's J (robust/cluster: g'S⁻¹g at the two-step efficient GMM
//! estimate with S = Σ_c (Z_c'e_c)(Z_c'e_c)' from the 2SLS residuals, c = observations or
//! clusters), χ²(l1 − k2). df_a is the number of absorbed effects (n for FE, 0 pooled;
//! `ivreghdfe`'s `dofminus`).
//!
//! With absorbed factors (`ivreghdfe`, `--estimator hdfe --absorb`) see [`fit_iv_absorbed`].

use faer::Mat;
use serde::{Deserialize, Serialize};

use super::covariance::{covariance, Core};
use super::design::Design;
use super::error::EstimateError;
use super::fit::common::{check_level, panel_r2, skeleton};
use super::fit::{column_major, covariance_for, validate_design, FitOptions};
use super::linalg::{spd_inverse, symmetric_eigen, OrderedQr};
use super::ols::{bread_with_constant, LsFit};
use super::results::{
    CovarianceKind, EstimationResult, Estimator, FitStats, OmissionReason, TestResult, Vce,
};
use super::stats::{correlation, finite, std_dev, Panels};
use crate::estimate::dist;

/// How many of the design's regressor columns are included exogenous regressors and
/// endogenous regressors; the remaining columns are the excluded instruments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IvRoles {
    /// Included exogenous regressors (the first columns).
    pub exogenous: usize,
    /// Endogenous regressors (the next columns).
    pub endogenous: usize,
}

/// The first stage of one endogenous regressor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirstStage {
    /// The endogenous regressor.
    pub endogenous: String,
    /// F test that the excluded instruments' coefficients are zero (the model's covariance
    /// type; F(l1, N − L − 1 − df_a) conventional, F(l1, G − 1) clustered).
    pub f: TestResult,
    /// Partial R² of the excluded instruments: 1 − SSR(x2 on X1, Z1)/SSR(x2 on X1).
    pub partial_r2: f64,
}

/// An over-identification test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverIdTest {
    /// `sargan` (conventional VCE) or `hansen_j` (robust or clustered).
    pub name: String,
    /// χ² statistic.
    pub stat: f64,
    /// Degrees of freedom l1 − k2.
    pub df: u64,
    /// Upper-tail p-value.
    pub p_value: f64,
}

/// Identification and over-identification statistics of an IV fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IvDiagnostics {
    /// Endogenous regressors estimated (not omitted).
    pub endogenous: Vec<String>,
    /// Excluded instruments used.
    pub instruments: Vec<String>,
    /// Excluded instruments dropped as collinear with the exogenous regressors or earlier
    /// instruments.
    pub omitted_instruments: Vec<String>,
    /// One first stage per endogenous regressor.
    pub first_stage: Vec<FirstStage>,
    /// Cragg–Donald Wald F (homoskedastic weak-identification statistic); null when the
    /// first stages fit the endogenous regressors exactly (the statistic is infinite).
    pub cragg_donald_f: Option<f64>,
    /// Kleibergen–Paap rk Wald F (robust or clustered VCE, any number of endogenous
    /// regressors; null with the conventional VCE, where Cragg–Donald applies).
    pub kleibergen_paap_f: Option<f64>,
    /// Sargan or Hansen J when over-identified.
    pub overid: Option<OverIdTest>,
}

/// An IV fit: the usual result (coefficients of the structural equation, covariances, fit
/// statistics) and the IV diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct IvFit {
    /// Coefficients, covariances and fit statistics.
    pub result: EstimationResult,
    /// First stages, weak identification, over-identification.
    pub diagnostics: IvDiagnostics,
}

/// Title of the text table.
fn title(estimator: Estimator) -> &'static str {
    match estimator {
        Estimator::Fe => "Fixed-effects (within) IV regression (2SLS)",
        _ => "Instrumental variables 2SLS regression",
    }
}

fn iv_error(value: &str, reason: String) -> EstimateError {
    EstimateError::InvalidOption {
        option: "instruments".to_string(),
        value: value.to_string(),
        reason,
    }
}

/// Column of the transformed data: centered by its mean (pooled) or by its panel means (FE).
fn transformed(v: &[f64], panels: Option<&Panels<'_>>) -> Vec<f64> {
    match panels {
        Some(p) => {
            let m = p.means(v);
            v.iter().zip(p.codes).map(|(x, &c)| x - m[c]).collect()
        }
        None => {
            let m = v.iter().sum::<f64>() / v.len().max(1) as f64;
            v.iter().map(|x| x - m).collect()
        }
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn sq(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum()
}

fn centered_sq(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m) * (x - m)).sum()
}

fn matrix(cols: &[&[f64]], n: usize) -> Mat<f64> {
    let mut m = Mat::<f64>::zeros(n, cols.len());
    for (j, c) in cols.iter().enumerate() {
        m.col_as_slice_mut(j).copy_from_slice(c);
    }
    m
}

/// Residuals of v regressed on the columns of a factored matrix `a` (its QR `qr`).
fn residual_on(qr: Option<(&OrderedQr, &Mat<f64>)>, v: &[f64]) -> Vec<f64> {
    let Some((qr, a)) = qr else {
        return v.to_vec();
    };
    let coef = qr.solve(v);
    let mut r = v.to_vec();
    for (&j, &c) in qr.kept.iter().zip(&coef) {
        for (ri, &x) in r.iter_mut().zip(a.col_as_slice(j)) {
            *ri -= c * x;
        }
    }
    r
}

/// Fit 2SLS (`estimator` = pooled or fe) on a design whose regressors are X1, X2, Z1 in the
/// order given by `roles`.
pub fn fit_iv(
    design: &Design,
    roles: IvRoles,
    estimator: Estimator,
    opts: &FitOptions,
) -> Result<IvFit, EstimateError> {
    check_level(opts.level)?;
    if !matches!(estimator, Estimator::Pooled | Estimator::Fe) {
        return Err(iv_error(
            estimator.as_str(),
            "instrumental variables are implemented for the estimators pooled (ivregress \
             2sls) and fe (xtivreg, fe); choose one of them"
                .to_string(),
        ));
    }
    let design: &Design = &column_major(design);
    validate_design(design)?;
    let names = &design.regressor_names;
    let (k1, k2) = (roles.exogenous, roles.endogenous);
    if k2 == 0 || k1 + k2 > names.len() || k1 + k2 == names.len() {
        return Err(iv_error(
            &names.join(","),
            "an IV fit needs at least one endogenous regressor and at least one excluded \
             instrument"
                .to_string(),
        ));
    }
    let n_obs = design.n_obs();
    let fe = estimator == Estimator::Fe;
    let panels_all = Panels::new(&design.panel, design.n_groups());
    let panels = fe.then_some(&panels_all);
    let n_groups = panels_all.n();
    let n_abs = if fe { n_groups } else { 0 };
    let y: Vec<f64> = design.y.iter().copied().collect();
    let raw: Vec<Vec<f64>> = (0..names.len())
        .map(|j| design.x.column(j).iter().copied().collect())
        .collect();
    let tr: Vec<Vec<f64>> = raw.iter().map(|c| transformed(c, panels)).collect();
    let yt = transformed(&y, panels);
    let refs: Vec<f64> = raw.iter().map(|c| centered_sq(c)).collect();

    let transform = Transform {
        absorbed: fe.then_some(OmissionReason::AbsorbedByPanelEffects),
        n_abs,
        constant_in_df: !fe,
    };
    let st = two_stages(names, &tr, &yt, &refs, k1, k2, transform, estimator)?;
    let (kept_x, exog, endog, instr) = (&st.kept_x, &st.exog, &st.endog, &st.instr);
    let (kx1, kx2, li) = (exog.len(), endog.len(), instr.len());
    let big_k = kx1 + kx2;
    let big_l = kx1 + li;
    let (df_r, df_fs) = (st.df_r, st.df_fs);
    let (zlist, zmat, qz, xhat) = (&st.zlist, &st.zmat, &st.qz, &st.xhat);
    let (b, m_inv, e) = (st.b.clone(), &st.m_inv, st.e.clone());
    let ybar = mean(&y);
    let xbar: Vec<f64> = kept_x.iter().map(|&j| mean(&raw[j])).collect();
    let constant = ybar - xbar.iter().zip(&b).map(|(a, c)| a * c).sum::<f64>();
    let nf = n_obs as f64;
    let bread = bread_with_constant(m_inv, &xbar, nf);
    let mut z = Mat::<f64>::zeros(n_obs, big_k + 1);
    for (c, &shift) in xbar.iter().enumerate() {
        for (d, &v) in z.col_as_slice_mut(c).iter_mut().zip(xhat.col_as_slice(c)) {
            *d = v + shift;
        }
    }
    z.col_as_slice_mut(big_k).fill(1.0);
    let ssr = sq(&e);
    let s2 = ssr / df_r as f64;
    let reg_names: Vec<String> = names[..k1 + k2].to_vec();
    let ls = LsFit {
        kept: kept_x.clone(),
        omitted: st.omitted.clone(),
        slopes: b.clone(),
        constant,
        resid: e.clone(),
        bread: bread.clone(),
        xbar: xbar.clone(),
    };
    let mut res = skeleton(
        design,
        estimator,
        title(estimator),
        &reg_names,
        &ls,
        true,
        &panels_all,
    );
    res.regressors = reg_names.clone();
    let mut fit = FitStats {
        ssr,
        residual_variance: s2,
        rmse: s2.sqrt(),
        df_m: big_k,
        df_r,
        ..FitStats::default()
    };
    if fe {
        // xtivreg, fe's footer and R² (as xtreg, fe): u_i = ȳ_i − _cons − x̄_i'b, σ_u the sd of
        // the n values, ρ, corr(u_i, Xb) over observations, R² as squared correlations.
        let xk = matrix(
            &kept_x
                .iter()
                .map(|&j| raw[j].as_slice())
                .collect::<Vec<_>>(),
            n_obs,
        );
        let ybar_i = panels_all.means(&y);
        let all: Vec<usize> = (0..big_k).collect();
        let (r2_w, r2_b, r2_o, xb) =
            panel_r2(&y, xk.as_ref(), &all, &b, &panels_all, &ybar_i, None);
        let xb_i = panels_all.means(&xb);
        let u: Vec<f64> = (0..n_groups)
            .map(|p| ybar_i[p] - constant - xb_i[p])
            .collect();
        let sigma_u = std_dev(&u);
        let u_obs: Vec<f64> = design.panel.iter().map(|&p| u[p]).collect();
        fit.r2_within = r2_w;
        fit.r2_between = r2_b;
        fit.r2_overall = r2_o;
        fit.sigma_u = sigma_u;
        fit.sigma_e = Some(s2.sqrt());
        fit.rho = sigma_u.and_then(|su| finite(su * su / (su * su + s2)));
        fit.corr_u_xb = correlation(&u_obs, &xb);
    } else {
        let tss = sq(&yt);
        let r2 = 1.0 - ssr / tss;
        fit.tss = Some(tss);
        fit.mss = Some(tss - ssr);
        fit.r2 = finite(r2);
        fit.r2_adj = finite(1.0 - (1.0 - r2) * (nf - 1.0) / df_r as f64);
    }
    res.fit = fit;
    let mut coefs = b.clone();
    coefs.push(constant);
    let core = Core {
        estimator,
        b: coefs,
        bread,
        z,
        resid: e.clone(),
        s2,
        df_r,
        slope_idx: (0..big_k).collect(),
        n_absorbed: n_abs,
        normal: false,
        classical_f: None,
        panel: &design.panel,
        panel_var: &design.panel_var,
        panel_labels: &design.panel_labels,
        time: &design.time,
        cluster: design.cluster.as_ref(),
    };
    let primary = covariance_for(estimator, opts.vce, design.cluster.is_some(), opts.dk_lags)?;
    let mut kinds = vec![CovarianceKind::Conventional];
    for k in std::iter::once(primary).chain(opts.extra_covariances.iter().copied()) {
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    for kind in &kinds {
        res.covariances.push(covariance(&core, *kind, opts.level)?);
    }
    res.primary_covariance = kinds.iter().position(|k| *k == primary).unwrap_or(0);
    res.vce = opts.vce;

    // First-stage F per endogenous regressor, with the model's covariance type.
    let zbar: Vec<f64> = zlist.iter().map(|&j| mean(&raw[j])).collect();
    let z_inv = qz.xtx_inverse();
    let fs_bread = bread_with_constant(&z_inv, &zbar, nf);
    let mut fs_z = Mat::<f64>::zeros(n_obs, big_l + 1);
    for (c, &shift) in zbar.iter().enumerate() {
        for (d, &v) in fs_z
            .col_as_slice_mut(c)
            .iter_mut()
            .zip(zmat.col_as_slice(c))
        {
            *d = v + shift;
        }
    }
    fs_z.col_as_slice_mut(big_l).fill(1.0);
    let endog_names: Vec<String> = endog.iter().map(|&j| names[j].clone()).collect();
    let mut first_stage = Vec::with_capacity(kx2);
    let mut fs_factor = None;
    for (m, &j) in endog.iter().enumerate() {
        let pi = &st.pis[m];
        let cons = mean(&raw[j]) - zbar.iter().zip(pi).map(|(a, c)| a * c).sum::<f64>();
        let mut bfs = pi.clone();
        bfs.push(cons);
        let ssr_fs = sq(&st.vres[m]);
        let fs_core = Core {
            estimator,
            b: bfs,
            bread: fs_bread.clone(),
            z: fs_z.clone(),
            resid: st.vres[m].clone(),
            s2: ssr_fs / df_fs as f64,
            df_r: df_fs,
            slope_idx: (kx1..big_l).collect(),
            n_absorbed: n_abs,
            normal: false,
            classical_f: None,
            panel: &design.panel,
            panel_var: &design.panel_var,
            panel_labels: &design.panel_labels,
            time: &design.time,
            cluster: design.cluster.as_ref(),
        };
        let cov = covariance(&fs_core, primary, opts.level)?;
        fs_factor = cov.factor;
        let f = cov
            .model_test
            .ok_or_else(|| singular_first_stage(&names[j]))?;
        first_stage.push(FirstStage {
            endogenous: names[j].clone(),
            f,
            partial_r2: st.partial_r2(m),
        });
    }
    let cragg_donald_f = st.cragg_donald_f();
    let kleibergen_paap_f = kp_for(&st, primary, design, fs_factor);

    // Over-identification.
    let overid = (li > kx2)
        .then(|| {
            overid_test(
                zmat,
                qz,
                &tr,
                kept_x,
                &yt,
                &e,
                fe,
                n_abs,
                primary,
                design,
                li - kx2,
            )
        })
        .flatten();
    res.stata_command = stata_command(design, roles, estimator, opts.vce, primary);
    Ok(IvFit {
        result: res,
        diagnostics: IvDiagnostics {
            endogenous: endog_names,
            instruments: instr.iter().map(|&j| names[j].clone()).collect(),
            omitted_instruments: st.omitted_instruments.clone(),
            first_stage,
            cragg_donald_f,
            kleibergen_paap_f,
            overid,
        },
    })
}

/// A^(-1/2) of a symmetric positive definite matrix (None if not PD).
fn inverse_sqrt(a: &Mat<f64>) -> Option<Mat<f64>> {
    let (vals, vecs) = symmetric_eigen(a)?;
    if vals.iter().any(|&v| v.is_nan() || v <= 0.0) {
        return None;
    }
    let k = a.nrows();
    Some(Mat::from_fn(k, k, |i, j| {
        (0..k)
            .map(|m| vecs[(i, m)] * vecs[(j, m)] / vals[m].sqrt())
            .sum()
    }))
}

fn singular_first_stage(name: &str) -> EstimateError {
    EstimateError::Numerical {
        step: format!("first stage of {name}"),
        detail: "the covariance of the instruments' coefficients is singular (too few \
                 clusters for the number of instruments?)"
            .to_string(),
    }
}

/// The observations' score groups of a robust or clustered covariance kind: one per
/// observation (HC), the cluster variable's or the panel's codes; None for other kinds.
fn score_groups(primary: CovarianceKind, design: &Design) -> Option<(Vec<usize>, usize)> {
    match primary {
        CovarianceKind::RobustHc1 | CovarianceKind::Hc1AregStyle => {
            let n = design.n_obs();
            Some(((0..n).collect(), n))
        }
        CovarianceKind::Cluster | CovarianceKind::ClusterAregStyle if design.cluster.is_some() => {
            let c = design.cluster.as_ref()?;
            Some((c.codes.clone(), c.labels.len()))
        }
        CovarianceKind::Cluster
        | CovarianceKind::ClusterAregStyle
        | CovarianceKind::ClusterPanel => Some((design.panel.clone(), design.n_groups())),
        _ => None,
    }
}

/// Kleibergen–Paap rk Wald F for a robust or clustered primary covariance (None for the
/// conventional one, where Cragg–Donald is the weak-identification statistic).
fn kp_for(
    st: &Stages,
    primary: CovarianceKind,
    design: &Design,
    fs_factor: Option<f64>,
) -> Option<f64> {
    if primary == CovarianceKind::Conventional {
        return None;
    }
    let (codes, groups) = score_groups(primary, design)?;
    st.kleibergen_paap_f(&codes, groups, fs_factor.unwrap_or(1.0))
}

/// Sargan (conventional VCE) or Hansen J (robust / clustered) on the transformed data; for the
/// pooled model a column of ones joins instruments and regressors.
#[allow(clippy::too_many_arguments)]
fn overid_test(
    zmat: &Mat<f64>,
    qz: &OrderedQr,
    tr: &[Vec<f64>],
    kept_x: &[usize],
    yt: &[f64],
    e: &[f64],
    fe: bool,
    n_abs: usize,
    primary: CovarianceKind,
    design: &Design,
    df: usize,
) -> Option<OverIdTest> {
    let n = e.len();
    let chi2 = |name: &str, stat: f64| OverIdTest {
        name: name.to_string(),
        stat,
        df: df as u64,
        p_value: dist::chi2_upper_p(stat, df as f64),
    };
    if primary == CovarianceKind::Conventional {
        // e has mean zero, so P_[Z,1] e = P_Z e on the centered Z.
        let r = residual_on(Some((qz, zmat)), e);
        let ee = sq(e);
        let epe = ee - sq(&r);
        return Some(chi2("sargan", (n - n_abs) as f64 * epe / ee));
    }
    // Instruments and regressors (with a constant column when pooled).
    let extra = usize::from(!fe);
    let l = zmat.ncols() + extra;
    let k = kept_x.len() + extra;
    let za = Mat::from_fn(
        n,
        l,
        |i, j| if j < zmat.ncols() { zmat[(i, j)] } else { 1.0 },
    );
    let xa = Mat::from_fn(n, k, |i, j| {
        if j < kept_x.len() {
            tr[kept_x[j]][i]
        } else {
            1.0
        }
    });
    // Centered (or within-transformed) y: with the constant column the slopes and J are those
    // of the uncentered pooled model.
    let ya = yt;
    let groups: Vec<usize>;
    let (codes, g): (&[usize], usize) = match primary {
        CovarianceKind::RobustHc1 => {
            groups = (0..n).collect();
            (groups.as_slice(), n)
        }
        CovarianceKind::Cluster => {
            let c = design.cluster.as_ref()?;
            (c.codes.as_slice(), c.labels.len())
        }
        _ => (design.panel.as_slice(), design.panel_labels.len()),
    };
    let scores = |res: &[f64]| {
        let mut h = Mat::<f64>::zeros(g, l);
        for i in 0..n {
            for j in 0..l {
                h[(codes[i], j)] += za[(i, j)] * res[i];
            }
        }
        h
    };
    let h = scores(e);
    let s = h.transpose() * &h;
    let s_inv = spd_inverse(&s)?;
    let zx = za.transpose() * &xa;
    let yv = Mat::from_fn(n, 1, |i, _| ya[i]);
    let zy = za.transpose() * &yv;
    let a = zx.transpose() * &s_inv * &zx;
    let a_inv = spd_inverse(&Mat::from_fn(k, k, |i, j| 0.5 * (a[(i, j)] + a[(j, i)])))?;
    let bg = &a_inv * (zx.transpose() * &s_inv * &zy);
    let xb = &xa * &bg;
    let eg: Vec<f64> = (0..n).map(|i| ya[i] - xb[(i, 0)]).collect();
    let egm = Mat::from_fn(n, 1, |i, _| eg[i]);
    let gz = za.transpose() * &egm;
    let j = (gz.transpose() * &s_inv * &gz)[(0, 0)];
    j.is_finite().then(|| chi2("hansen_j", j))
}

/// `ivregress 2sls y x1 (x2 = z1 z2), small vce(…)` or `xtivreg y x1 (x2 = z1), fe small`.
fn stata_command(
    design: &Design,
    roles: IvRoles,
    estimator: Estimator,
    vce: Vce,
    primary: CovarianceKind,
) -> String {
    let head = match estimator {
        Estimator::Fe => "xtivreg",
        _ => "ivregress 2sls",
    };
    let mut opts = String::new();
    if estimator == Estimator::Fe {
        opts.push_str(" fe");
    }
    opts.push_str(" small");
    match primary {
        CovarianceKind::Conventional => {}
        CovarianceKind::RobustHc1 => opts.push_str(" vce(robust)"),
        CovarianceKind::ClusterPanel if vce == Vce::Robust => opts.push_str(" vce(robust)"),
        CovarianceKind::ClusterPanel => {
            opts.push_str(&format!(" vce(cluster {})", design.panel_var))
        }
        CovarianceKind::Cluster => {
            opts.push_str(&format!(" vce(cluster {})", design.cluster_var()))
        }
        other => opts.push_str(&format!(" [{}]", other.key())),
    }
    format!("{head} {},{opts}", iv_varlist(design, roles))
}

/// Stata's IV variable list `y x1 (x2 = z1 z2)`: the dependent variable, the exogenous
/// regressors, then the endogenous ones and their excluded instruments in parentheses.
pub(super) fn iv_varlist(design: &Design, roles: IvRoles) -> String {
    let names = &design.regressor_names;
    let (k1, k2) = (roles.exogenous, roles.endogenous);
    let mut parts = vec![design.depvar.clone()];
    parts.extend(names[..k1].iter().cloned());
    parts.push(format!(
        "({} = {})",
        names[k1..k1 + k2].join(" "),
        names[k1 + k2..].join(" ")
    ));
    parts.join(" ")
}

/// The diagnostics as text lines under the coefficient table.
pub fn render_iv_diagnostics(d: &IvDiagnostics) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "Instrumented: {}", d.endogenous.join(" "));
    let _ = writeln!(out, "Excluded instruments: {}", d.instruments.join(" "));
    if !d.omitted_instruments.is_empty() {
        let _ = writeln!(
            out,
            "note: instruments omitted because of collinearity: {}",
            d.omitted_instruments.join(" ")
        );
    }
    for fs in &d.first_stage {
        let _ = writeln!(
            out,
            "First stage {}: F({}, {}) = {:.2}, Prob > F = {:.4}, partial R2 = {:.4}",
            fs.endogenous,
            fs.f.df1,
            fs.f.df2.map_or(".".to_string(), |d| d.to_string()),
            fs.f.stat,
            fs.f.p_value,
            fs.partial_r2
        );
    }
    if let Some(cd) = d.cragg_donald_f {
        let _ = writeln!(out, "Cragg-Donald Wald F statistic: {cd:.3}");
    }
    if let Some(kp) = d.kleibergen_paap_f {
        let _ = writeln!(out, "Kleibergen-Paap rk Wald F statistic: {kp:.3}");
    }
    if let Some(t) = &d.overid {
        let label = if t.name == "sargan" {
            "Sargan statistic"
        } else {
            "Hansen J statistic"
        };
        let _ = writeln!(
            out,
            "{label}: chi2({}) = {:.3}, Prob > chi2 = {:.4}",
            t.df, t.stat, t.p_value
        );
    }
    out
}

#[cfg(test)]
mod tests;

mod absorbed;
mod rank;
mod stages;

pub use absorbed::fit_iv_absorbed;
pub use rank::kp_rk_wald;
use stages::{two_stages, Stages, Transform};
