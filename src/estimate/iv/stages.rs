//! The two stages of 2SLS on transformed columns (centered, within-transformed or demeaned by
//! absorbed factors), shared by [`super::fit_iv`] and [`super::fit_iv_absorbed`]: collinearity
//! checks in Stata's order, the first stages, the structural slopes and residuals, and the
//! pieces the weak-identification and over-identification statistics need.

use faer::Mat;

use super::{iv_error, matrix, residual_on, sq};
use crate::estimate::error::EstimateError;
use crate::estimate::fit::common::insufficient;
use crate::estimate::linalg::{dot, symmetric_eigen, OrderedQr, COLLINEARITY_TOL};
use crate::estimate::results::{Estimator, OmissionReason};
use crate::estimate::stats::finite;

/// What the columns were transformed by: how an all-zero transformed column is explained and
/// how many parameters the transformation used.
#[derive(Debug, Clone, Copy)]
pub(super) struct Transform {
    /// Reason given for a regressor the transformation wiped out (None: pooled centering).
    pub absorbed: Option<OmissionReason>,
    /// Parameters absorbed (panel effects n, absorbed df_a; 0 pooled).
    pub n_abs: usize,
    /// A constant is estimated (pooled and `xtivreg, fe`'s `_cons`) and counted in the df.
    pub constant_in_df: bool,
}

/// Results of the two stages (indices are design columns unless said otherwise).
pub(super) struct Stages {
    /// Kept regressors of X1, X2 in design order.
    pub kept_x: Vec<usize>,
    /// Omitted regressors with reasons.
    pub omitted: Vec<(usize, OmissionReason)>,
    /// Kept exogenous and endogenous regressors and excluded instruments.
    pub exog: Vec<usize>,
    pub endog: Vec<usize>,
    pub instr: Vec<usize>,
    /// Names of instruments dropped as collinear.
    pub omitted_instruments: Vec<String>,
    /// Z = [X1, Z1] (kept), transformed, N × L, and its QR.
    pub zlist: Vec<usize>,
    pub zmat: Mat<f64>,
    pub qz: OrderedQr,
    /// First-stage fitted values of the kept regressors (X1 itself for exogenous ones), N × K.
    pub xhat: Mat<f64>,
    /// First-stage coefficients and residuals per endogenous regressor.
    pub pis: Vec<Vec<f64>>,
    pub vres: Vec<Vec<f64>>,
    /// Endogenous regressors and excluded instruments with X1 partialled out.
    pub endog_partialled: Vec<Vec<f64>>,
    pub instr_partialled: Vec<Vec<f64>>,
    /// 2SLS slopes (kept_x order), (X̂'X̂)⁻¹, structural residuals (with the actual X).
    pub b: Vec<f64>,
    pub m_inv: Mat<f64>,
    pub e: Vec<f64>,
    /// Residual df of the structural equation and of the first stages.
    pub df_r: i64,
    pub df_fs: i64,
}

/// Run both stages on transformed columns `tr` (design order X1 | X2 | Z1, `k1` + `k2` + l1)
/// and transformed y `yt`; `refs` are the raw columns' centered sums of squares (the
/// collinearity scale).
#[allow(clippy::too_many_arguments)]
pub(super) fn two_stages(
    names: &[String],
    tr: &[Vec<f64>],
    yt: &[f64],
    refs: &[f64],
    k1: usize,
    k2: usize,
    transform: Transform,
    estimator: Estimator,
) -> Result<Stages, EstimateError> {
    let n_obs = yt.len();
    // Regressors X1, X2: the later member of a collinear set is omitted (Stata's _rmcoll).
    let xcols: Vec<&[f64]> = tr[..k1 + k2].iter().map(Vec::as_slice).collect();
    let probe = OrderedQr::new(matrix(&xcols, n_obs), &refs[..k1 + k2]);
    let kept_x = probe.kept.clone();
    let omitted: Vec<(usize, OmissionReason)> = probe
        .dropped
        .iter()
        .map(|&j| {
            let reason = if refs[j].is_nan() || refs[j] <= 0.0 {
                OmissionReason::CollinearWithConstant
            } else {
                match transform.absorbed {
                    Some(r) if sq(&tr[j]) <= COLLINEARITY_TOL * refs[j] => r,
                    _ => OmissionReason::CollinearWithEarlier,
                }
            };
            (j, reason)
        })
        .collect();
    let exog: Vec<usize> = kept_x.iter().copied().filter(|&j| j < k1).collect();
    let endog: Vec<usize> = kept_x.iter().copied().filter(|&j| j >= k1).collect();
    if endog.is_empty() {
        return Err(iv_error(
            &names[k1..k1 + k2].join(","),
            "every endogenous regressor is omitted as collinear (constant, absorbed by the \
             fixed effects, or a combination of the exogenous regressors); there is nothing to \
             instrument"
                .to_string(),
        ));
    }
    // Excluded instruments: dropped when collinear with X1 or with earlier instruments.
    let zidx: Vec<usize> = (k1 + k2..names.len()).collect();
    let zprobe_cols: Vec<&[f64]> = exog
        .iter()
        .chain(&zidx)
        .map(|&j| tr[j].as_slice())
        .collect();
    let zprobe_refs: Vec<f64> = exog.iter().chain(&zidx).map(|&j| refs[j]).collect();
    let zprobe = OrderedQr::new(matrix(&zprobe_cols, n_obs), &zprobe_refs);
    let instr: Vec<usize> = zprobe
        .kept
        .iter()
        .filter(|&&c| c >= exog.len())
        .map(|&c| zidx[c - exog.len()])
        .collect();
    let omitted_instruments: Vec<String> = zprobe
        .dropped
        .iter()
        .filter(|&&c| c >= exog.len())
        .map(|&c| names[zidx[c - exog.len()]].clone())
        .collect();
    if instr.len() < endog.len() {
        return Err(iv_error(
            &names[k1 + k2..].join(","),
            format!(
                "the equation is underidentified: {} endogenous regressor(s) ({}) but {} usable \
                 excluded instrument(s){}; list at least as many instruments as endogenous \
                 regressors",
                endog.len(),
                endog
                    .iter()
                    .map(|&j| names[j].as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                instr.len(),
                if omitted_instruments.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({} dropped as collinear with the exogenous regressors)",
                        omitted_instruments.join(", ")
                    )
                }
            ),
        ));
    }
    let (kx1, kx2) = (exog.len(), endog.len());
    let big_k = kx1 + kx2;
    let big_l = kx1 + instr.len();
    let c = i64::from(transform.constant_in_df);
    let n_abs = transform.n_abs;
    let df_r = n_obs as i64 - n_abs as i64 - big_k as i64 - c;
    let df_fs = n_obs as i64 - n_abs as i64 - big_l as i64 - c;
    if df_r <= 0 || df_fs <= 0 {
        return Err(insufficient(
            estimator,
            n_obs,
            "observations",
            n_abs + big_l + usize::from(transform.constant_in_df),
        ));
    }

    // First stage on Z = [X1, Z1].
    let zlist: Vec<usize> = exog.iter().chain(&instr).copied().collect();
    let zmat = matrix(
        &zlist.iter().map(|&j| tr[j].as_slice()).collect::<Vec<_>>(),
        n_obs,
    );
    let zrefs: Vec<f64> = zlist.iter().map(|&j| refs[j]).collect();
    let qz = OrderedQr::new(zmat.clone(), &zrefs);
    if qz.rank() < big_l {
        return Err(EstimateError::Numerical {
            step: "IV first stage".to_string(),
            detail: "the instrument matrix is rank deficient after collinearity checks".to_string(),
        });
    }
    let x1mat = (kx1 > 0).then(|| {
        matrix(
            &exog.iter().map(|&j| tr[j].as_slice()).collect::<Vec<_>>(),
            n_obs,
        )
    });
    let qx1 = x1mat.as_ref().map(|m| {
        let r: Vec<f64> = exog.iter().map(|&j| refs[j]).collect();
        OrderedQr::new(m.clone(), &r)
    });
    let x1_pair = qx1.as_ref().zip(x1mat.as_ref());
    let mut xhat = Mat::<f64>::zeros(n_obs, big_k);
    let mut pis: Vec<Vec<f64>> = Vec::with_capacity(kx2);
    let mut vres: Vec<Vec<f64>> = Vec::with_capacity(kx2);
    for (c, &j) in kept_x.iter().enumerate() {
        if j < k1 {
            xhat.col_as_slice_mut(c).copy_from_slice(&tr[j]);
            continue;
        }
        let pi = qz.solve(&tr[j]);
        let mut fitted = vec![0.0; n_obs];
        for (m, &p) in pi.iter().enumerate() {
            for (f, &zv) in fitted.iter_mut().zip(zmat.col_as_slice(m)) {
                *f += p * zv;
            }
        }
        vres.push(tr[j].iter().zip(&fitted).map(|(a, b)| a - b).collect());
        xhat.col_as_slice_mut(c).copy_from_slice(&fitted);
        pis.push(pi);
    }
    let hrefs: Vec<f64> = (0..big_k).map(|c| sq(xhat.col_as_slice(c))).collect();
    let qh = OrderedQr::new(xhat.clone(), &hrefs);
    if qh.rank() < big_k {
        return Err(iv_error(
            &names[k1 + k2..].join(","),
            "the instruments do not identify the endogenous regressors (the first-stage \
             fitted values are collinear with the exogenous regressors)"
                .to_string(),
        ));
    }
    let b = qh.solve(yt);
    let m_inv = qh.xtx_inverse();
    let mut e = yt.to_vec();
    for (c, &j) in kept_x.iter().enumerate() {
        for (ei, &x) in e.iter_mut().zip(&tr[j]) {
            *ei -= b[c] * x;
        }
    }
    let endog_partialled = endog
        .iter()
        .map(|&j| residual_on(x1_pair, &tr[j]))
        .collect();
    let instr_partialled = instr
        .iter()
        .map(|&j| residual_on(x1_pair, &tr[j]))
        .collect();
    Ok(Stages {
        kept_x,
        omitted,
        exog,
        endog,
        instr,
        omitted_instruments,
        zlist,
        zmat,
        qz,
        xhat,
        pis,
        vres,
        endog_partialled,
        instr_partialled,
        b,
        m_inv,
        e,
        df_r,
        df_fs,
    })
}

impl Stages {
    /// Partial R² of the excluded instruments for endogenous regressor `m`:
    /// 1 − SSR(x2 on X1, Z1)/SSR(x2 on X1).
    pub fn partial_r2(&self, m: usize) -> f64 {
        1.0 - sq(&self.vres[m]) / sq(&self.endog_partialled[m])
    }

    /// Cragg–Donald Wald F: cd·df_fs/l1 with cd the smallest eigenvalue of
    /// (V'V)^(-1/2) (X̄2'X̄2 − V'V) (V'V)^(-1/2) (ivreg2; null when infinite).
    pub fn cragg_donald_f(&self) -> Option<f64> {
        let kx2 = self.endog.len();
        let vv = Mat::from_fn(kx2, kx2, |a, c| dot(&self.vres[a], &self.vres[c]));
        let xx = Mat::from_fn(kx2, kx2, |a, c| {
            dot(&self.endog_partialled[a], &self.endog_partialled[c])
        });
        let cd = super::inverse_sqrt(&vv).and_then(|h| {
            let a = &xx - &vv;
            let w = &h * &a * &h;
            let w = Mat::from_fn(kx2, kx2, |i, j| 0.5 * (w[(i, j)] + w[(j, i)]));
            symmetric_eigen(&w).and_then(|(vals, _)| vals.first().copied())
        });
        cd.and_then(|cd| finite(cd * self.df_fs as f64 / self.instr.len() as f64))
    }

    /// Kleibergen–Paap rk Wald F: ranktest's rk statistic ([`super::rank::kp_rk_wald`]) with
    /// scores summed by `codes` (0..groups), divided by l1 and by the first stage's
    /// small-sample factor `factor` (ivreg2's rkf; with one endogenous regressor the robust
    /// first-stage F).
    pub fn kleibergen_paap_f(&self, codes: &[usize], groups: usize, factor: f64) -> Option<f64> {
        let rk = super::rank::kp_rk_wald(
            &self.endog_partialled,
            &self.instr_partialled,
            codes,
            groups,
        )?;
        finite(rk / factor / self.instr.len() as f64)
    }
}
