//! Least squares with collinearity handling in the user's order: OLS with a constant on centered
//! (optionally weighted) data, OLS without constant, and the within (fixed-effects) regression
//! with Stata's reported constant (reference/econometrics.md §2, §3.1, §12).

use faer::{Mat, MatRef};

use super::linalg::{col, OrderedQr, COLLINEARITY_TOL};
use super::results::OmissionReason;
use super::stats::{interleaved_sums, means_of, Panels};

/// Result of a least-squares fit on the kept columns.
#[derive(Debug, Clone)]
pub(crate) struct LsFit {
    /// Kept column indices (original order).
    pub kept: Vec<usize>,
    /// Omitted columns with reasons.
    pub omitted: Vec<(usize, OmissionReason)>,
    /// Slopes of the kept columns.
    pub slopes: Vec<f64>,
    /// Constant (0 without constant).
    pub constant: f64,
    /// Residuals y − cons − X_kept b (unweighted).
    pub resid: Vec<f64>,
    /// (Z'WZ)⁻¹ for Z = [X_kept, 1] (or X_kept without constant).
    pub bread: Mat<f64>,
    /// Weighted means of the kept columns (zeros without constant).
    pub xbar: Vec<f64>,
}

impl LsFit {
    /// Coefficient vector [slopes, cons] (or slopes only).
    pub fn coefficients(&self, with_constant: bool) -> Vec<f64> {
        let mut b = self.slopes.clone();
        if with_constant {
            b.push(self.constant);
        }
        b
    }

    /// Σ e².
    pub fn ssr(&self) -> f64 {
        self.resid.iter().map(|e| e * e).sum()
    }
}

fn column_sq_norms(x: MatRef<'_, f64>) -> Vec<f64> {
    let cols: Vec<&[f64]> = (0..x.ncols()).map(|j| col(x, j)).collect();
    interleaved_sums(&cols, |_, v| v * v)
}

/// Bread of Z = [W + 1x̄', 1] when the columns of W sum to zero (with weights):
/// (Z'Z)⁻¹ = [[M, −M x̄], [−x̄'M, 1/Σw + x̄'M x̄]], M = (W'W)⁻¹.
pub(crate) fn bread_with_constant(m: &Mat<f64>, xbar: &[f64], total_weight: f64) -> Mat<f64> {
    let k = m.nrows();
    let mx: Vec<f64> = (0..k)
        .map(|i| (0..k).map(|j| m[(i, j)] * xbar[j]).sum())
        .collect();
    let xmx: f64 = (0..k).map(|i| xbar[i] * mx[i]).sum();
    Mat::from_fn(k + 1, k + 1, |i, j| match (i < k, j < k) {
        (true, true) => m[(i, j)],
        (true, false) => -mx[i],
        (false, true) => -mx[j],
        (false, false) => 1.0 / total_weight + xmx,
    })
}

/// Centered (weighted) least squares of y on the columns `cols` of X plus a constant: the part
/// shared by the full fit and the SSR-only fit. Indices in `qr.kept`/`qr.dropped` and `refs`
/// are positions in `cols`.
struct CenteredLs {
    qr: OrderedQr,
    refs: Vec<f64>,
    slopes: Vec<f64>,
    constant: f64,
    xbar: Vec<f64>,
    resid: Vec<f64>,
    total_w: f64,
}

fn centered_ls(
    y: &[f64],
    x: MatRef<'_, f64>,
    cols: &[usize],
    weights: Option<&[f64]>,
) -> CenteredLs {
    let n = y.len();
    let k = cols.len();
    let src: Vec<&[f64]> = cols.iter().map(|&j| col(x, j)).collect();
    let mut xc = Mat::<f64>::zeros(n, k);
    let (total_w, xbar_all, ybar, yc) = match weights {
        // Unweighted: Σ 1 = n and w = √1 = 1 exactly, so the weighted formulas below reduce to
        // plain sums and the multiplications by 1 can be skipped without changing a bit.
        None => {
            let total_w = n as f64;
            let mut all = src.clone();
            all.push(y);
            let sums = interleaved_sums(&all, |_, v| v);
            let xbar_all: Vec<f64> = sums[..k].iter().map(|s| s / total_w).collect();
            let ybar = sums[k] / total_w;
            for (c, (&mean_c, col)) in xbar_all.iter().zip(&src).enumerate() {
                for (d, &v) in xc.col_as_slice_mut(c).iter_mut().zip(col.iter()) {
                    *d = v - mean_c;
                }
            }
            let yc: Vec<f64> = y.iter().map(|v| v - ybar).collect();
            (total_w, xbar_all, ybar, yc)
        }
        Some(w) => {
            let w_at = |i: usize| w.get(i).copied().unwrap_or(f64::NAN);
            let total_w: f64 = (0..n).map(w_at).sum();
            let wmean =
                |v: &[f64]| -> f64 { (0..n).map(|i| w_at(i) * v[i]).sum::<f64>() / total_w };
            let xbar_all: Vec<f64> = src.iter().map(|c| wmean(c)).collect();
            let ybar = wmean(y);
            let sw: Vec<f64> = (0..n).map(|i| w_at(i).sqrt()).collect();
            for (c, (&mean_c, col)) in xbar_all.iter().zip(&src).enumerate() {
                for ((d, &v), &s) in xc.col_as_slice_mut(c).iter_mut().zip(col.iter()).zip(&sw) {
                    *d = (v - mean_c) * s;
                }
            }
            let yc: Vec<f64> = (0..n).map(|i| (y[i] - ybar) * sw[i]).collect();
            (total_w, xbar_all, ybar, yc)
        }
    };
    let refs = column_sq_norms(xc.as_ref());
    let qr = OrderedQr::new(xc, &refs);
    let slopes = qr.solve(&yc);
    let xbar: Vec<f64> = qr.kept.iter().map(|&c| xbar_all[c]).collect();
    let constant = ybar - xbar.iter().zip(&slopes).map(|(a, b)| a * b).sum::<f64>();
    let kept_cols: Vec<usize> = qr.kept.iter().map(|&c| cols[c]).collect();
    let resid = residuals(y, constant, x, &kept_cols, &slopes);
    CenteredLs {
        qr,
        refs,
        slopes,
        constant,
        xbar,
        resid,
        total_w,
    }
}

/// OLS of y on [X, 1] (weights w: minimises Σ w_i e_i²), columns dropped in order when constant
/// or collinear with earlier ones. Centering by the weighted means before the QR keeps the
/// problem well conditioned; `_cons = ȳ − x̄'b` (econometrics.md §12).
pub(crate) fn ols_with_constant(y: &[f64], x: MatRef<'_, f64>, weights: Option<&[f64]>) -> LsFit {
    let all: Vec<usize> = (0..x.ncols()).collect();
    let fit = centered_ls(y, x, &all, weights);
    let m = fit.qr.xtx_inverse();
    let omitted = fit
        .qr
        .dropped
        .iter()
        .map(|&j| {
            let reason = if fit.refs[j] > 0.0 {
                OmissionReason::CollinearWithEarlier
            } else {
                OmissionReason::CollinearWithConstant
            };
            (j, reason)
        })
        .collect();
    LsFit {
        bread: bread_with_constant(&m, &fit.xbar, fit.total_w),
        kept: fit.qr.kept,
        omitted,
        slopes: fit.slopes,
        constant: fit.constant,
        resid: fit.resid,
        xbar: fit.xbar,
    }
}

/// Σ e² of the unweighted OLS of y on [X_cols, 1] (the same fit as [`ols_with_constant`] on
/// those columns, without the bread): the restricted model of the FE `u_i = 0` F test.
pub(crate) fn ols_ssr_with_constant(y: &[f64], x: MatRef<'_, f64>, cols: &[usize]) -> f64 {
    centered_ls(y, x, cols, None)
        .resid
        .iter()
        .map(|e| e * e)
        .sum()
}

/// e = y − c − Σ_j b_j x_j over the kept columns, accumulated column by column.
pub(crate) fn residuals(
    y: &[f64],
    constant: f64,
    x: MatRef<'_, f64>,
    kept: &[usize],
    b: &[f64],
) -> Vec<f64> {
    let mut e: Vec<f64> = y.iter().map(|v| v - constant).collect();
    for (&j, &bj) in kept.iter().zip(b) {
        for (ei, &xv) in e.iter_mut().zip(col(x, j)) {
            *ei -= xv * bj;
        }
    }
    e
}

/// OLS of y on X without a constant (`regress ..., noconstant`).
pub(crate) fn ols_no_constant(y: &[f64], x: MatRef<'_, f64>) -> LsFit {
    let n = y.len();
    let refs = column_sq_norms(x);
    let qr = OrderedQr::new(x.to_owned(), &refs);
    let slopes = qr.solve(y);
    let kept = qr.kept.clone();
    let resid = residuals(y, 0.0, x, &kept, &slopes);
    debug_assert_eq!(resid.len(), n);
    let omitted = qr
        .dropped
        .iter()
        .map(|&j| (j, OmissionReason::CollinearWithEarlier))
        .collect();
    LsFit {
        xbar: vec![0.0; kept.len()],
        kept,
        omitted,
        slopes,
        constant: 0.0,
        resid,
        bread: qr.xtx_inverse(),
    }
}

/// The within regression of `xtreg, fe` (econometrics.md §3.1): slopes from the panel-demeaned
/// data, Stata's constant ȳ − x̄'b, residuals e = (y − ȳ_i) − (x − x̄_i)'b, and the bread of the
/// augmented regression on Z = [x − x̄_i + x̄, 1].
#[derive(Debug, Clone)]
pub(crate) struct WithinFit {
    pub ls: LsFit,
    /// Within-demeaned kept columns (N×k_kept).
    pub demeaned: Mat<f64>,
    /// ȳ_i.
    pub ybar_i: Vec<f64>,
    /// Within-demeaned y: y − ȳ_i.
    pub y_demeaned: Vec<f64>,
    /// Panel means of the kept columns (n×k_kept).
    pub xbar_i: Mat<f64>,
    /// Grand mean of y.
    pub ybar: f64,
}

/// Fit the within regression. `priority` lists the column order used to decide which member of
/// a collinear set is dropped (the later one); the returned coefficients follow the original
/// column order of the kept columns.
pub(crate) fn within(
    y: &[f64],
    x: MatRef<'_, f64>,
    panels: &Panels<'_>,
    priority: &[usize],
) -> WithinFit {
    let n = y.len();
    let k = x.ncols();
    let ybar_i = panels.means(y);
    let xbar_i_all = panels.column_means(x);
    let xcols: Vec<&[f64]> = (0..k).map(|j| col(x, j)).collect();
    let mut with_y = xcols.clone();
    with_y.push(y);
    let mut grand = means_of(&with_y);
    let ybar = grand.pop().unwrap_or(f64::NAN);
    let centered_refs = interleaved_sums(&xcols, |j, v| (v - grand[j]) * (v - grand[j]));
    let codes = panels.codes;
    let mut wd_all = Mat::<f64>::zeros(n, k);
    for j in 0..k {
        let means = xbar_i_all.col_as_slice(j);
        for ((d, &v), &c) in wd_all
            .col_as_slice_mut(j)
            .iter_mut()
            .zip(col(x, j))
            .zip(codes)
        {
            *d = v - means[c];
        }
    }
    let natural = priority.iter().copied().eq(0..k);
    // Collinearity in priority order.
    let ordered = if natural {
        wd_all.clone()
    } else {
        let mut m = Mat::<f64>::zeros(n, priority.len());
        for (c, &j) in priority.iter().enumerate() {
            m.col_as_slice_mut(c)
                .copy_from_slice(wd_all.col_as_slice(j));
        }
        m
    };
    let ordered_refs: Vec<f64> = priority.iter().map(|&j| centered_refs[j]).collect();
    let probe = OrderedQr::new(ordered, &ordered_refs);
    let mut kept: Vec<usize> = probe.kept.iter().map(|&c| priority[c]).collect();
    kept.sort_unstable();
    let omitted: Vec<(usize, OmissionReason)> = {
        let mut o: Vec<(usize, OmissionReason)> = probe
            .dropped
            .iter()
            .map(|&c| {
                let j = priority[c];
                let within_ss: f64 = wd_all.col_as_slice(j).iter().map(|v| v * v).sum();
                let reason = if centered_refs[j].is_nan() || centered_refs[j] <= 0.0 {
                    OmissionReason::CollinearWithConstant
                } else if within_ss <= COLLINEARITY_TOL * centered_refs[j] {
                    OmissionReason::AbsorbedByPanelEffects
                } else {
                    OmissionReason::CollinearWithEarlier
                };
                (j, reason)
            })
            .collect();
        o.sort_by_key(|(j, _)| *j);
        o
    };
    let kk = kept.len();
    let demeaned = if kk == k {
        wd_all
    } else {
        let mut m = Mat::<f64>::zeros(n, kk);
        for (c, &j) in kept.iter().enumerate() {
            m.col_as_slice_mut(c)
                .copy_from_slice(wd_all.col_as_slice(j));
        }
        m
    };
    let qr = if natural {
        probe
    } else {
        let refs: Vec<f64> = kept.iter().map(|&j| centered_refs[j]).collect();
        OrderedQr::new(demeaned.clone(), &refs)
    };
    let ydm: Vec<f64> = (0..n).map(|i| y[i] - ybar_i[codes[i]]).collect();
    let slopes = qr.solve(&ydm);
    let xbar: Vec<f64> = kept.iter().map(|&j| grand[j]).collect();
    let constant = ybar - xbar.iter().zip(&slopes).map(|(a, b)| a * b).sum::<f64>();
    let all_cols: Vec<usize> = (0..kk).collect();
    let resid = residuals(&ydm, 0.0, demeaned.as_ref(), &all_cols, &slopes);
    let m = qr.xtx_inverse();
    let xbar_i = if kk == k {
        xbar_i_all
    } else {
        Mat::from_fn(panels.n(), kk, |p, c| xbar_i_all[(p, kept[c])])
    };
    WithinFit {
        ls: LsFit {
            kept,
            omitted,
            slopes,
            constant,
            resid,
            bread: bread_with_constant(&m, &xbar, n as f64),
            xbar,
        },
        demeaned,
        ybar_i,
        y_demeaned: ydm,
        xbar_i,
        ybar,
    }
}
