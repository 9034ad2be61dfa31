//! Small dense linear algebra for least squares: a Householder QR that processes the columns in
//! the user's order and skips a column that is (numerically) a linear combination of the columns
//! kept before it — Stata's `_rmcoll` rule "drop the later of a collinear set"
//! (reference/econometrics.md §1.3) — plus helpers for sandwich products and Wald statistics.

use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, MatRef, Side};

/// Squared relative residual norm below which a column counts as collinear with the columns
/// before it: ‖M x_j‖² ≤ tol·‖x_j − x̄_j‖², i.e. 1 − R²_j ≤ 1e-13 where R²_j is from regressing
/// x_j on the earlier kept columns (and the constant / absorbed effects). Stata's own threshold
/// is internal (econometrics.md §1.3, [U] for borderline cases); exact collinearity gives
/// ratios near 1e-30.
pub const COLLINEARITY_TOL: f64 = 1e-13;

/// Column `j` of a column-major matrix view as a slice: a faer `Mat`, or a design's
/// `ndarray` regressors seen through a zero-copy faer view (made column-major by `fit`).
///
/// # Panics
/// When the rows of `x` are not contiguous (never for the views this module is given).
pub fn col(x: MatRef<'_, f64>, j: usize) -> &[f64] {
    if x.nrows() == 0 {
        return &[];
    }
    x.col(j)
        .try_as_col_major()
        .expect("estimate: matrices are column-major")
        .as_slice()
}

/// Householder QR of the kept columns of an N×k matrix, computed in column order.
#[derive(Debug, Clone)]
pub struct OrderedQr {
    /// Original indices of the kept columns, in order.
    pub kept: Vec<usize>,
    /// Original indices of the skipped (collinear) columns.
    pub dropped: Vec<usize>,
    /// Factored matrix: R in the upper triangle of the kept columns, Householder vectors below.
    work: Mat<f64>,
    /// Householder scalars τ of the kept columns (in kept order).
    tau: Vec<f64>,
}

impl OrderedQr {
    /// Factor `a` (consumed as workspace). `reference_sq_norms[j]` is the squared norm a column
    /// must be compared with (its centered norm before any projection); a column whose residual
    /// after the kept earlier columns has squared norm ≤ `COLLINEARITY_TOL`·reference (or whose
    /// reference is zero) is skipped.
    pub fn new(mut work: Mat<f64>, reference_sq_norms: &[f64]) -> Self {
        let n = work.nrows();
        let k = work.ncols();
        let mut kept = Vec::with_capacity(k);
        let mut dropped = Vec::new();
        let mut tau = Vec::with_capacity(k);
        let mut v = vec![0.0; n];
        let mut row = 0usize;
        for j in 0..k {
            let reference = reference_sq_norms.get(j).copied().unwrap_or(0.0);
            let col = work.col_as_slice(j);
            let ss = dot(&col[row..], &col[row..]);
            let independent = reference > 0.0 && ss > COLLINEARITY_TOL * reference;
            if row >= n || !independent {
                dropped.push(j);
                continue;
            }
            // Householder vector for col[row..]: H = I − τ v vᵀ with v[0] = 1.
            let alpha = col[row];
            let sigma = ss.sqrt();
            let beta = if alpha >= 0.0 { -sigma } else { sigma };
            let t = (beta - alpha) / beta;
            let scale = 1.0 / (alpha - beta);
            v[row] = 1.0;
            for (vi, &ci) in v[row + 1..n].iter_mut().zip(&col[row + 1..n]) {
                *vi = ci * scale;
            }
            {
                let col = work.col_as_slice_mut(j);
                col[row] = beta;
                col[row + 1..n].copy_from_slice(&v[row + 1..n]);
            }
            for l in j + 1..k {
                let c = work.col_as_slice_mut(l);
                apply_reflector(&v[row..n], t, &mut c[row..n]);
            }
            kept.push(j);
            tau.push(t);
            row += 1;
        }
        OrderedQr {
            kept,
            dropped,
            work,
            tau,
        }
    }

    /// Rank (number of kept columns).
    pub fn rank(&self) -> usize {
        self.kept.len()
    }

    /// Apply Qᵀ to `y` in place.
    fn apply_qt(&self, y: &mut [f64]) {
        let n = self.work.nrows().min(y.len());
        for (r, (&j, &t)) in self.kept.iter().zip(&self.tau).enumerate() {
            // v = (1, col[r+1..]) is stored below the diagonal of column j.
            let tail = &self.work.col_as_slice(j)[r + 1..n];
            let (head, rest) = y[r..n].split_at_mut(1);
            let f = t * (head[0] + dot(tail, rest));
            head[0] -= f;
            for (yi, vi) in rest.iter_mut().zip(tail) {
                *yi -= f * vi;
            }
        }
    }

    /// R entry (row r, kept column c).
    fn r_at(&self, r: usize, c: usize) -> f64 {
        self.kept
            .get(c)
            .map(|&j| self.work.col_as_slice(j)[r])
            .unwrap_or(0.0)
    }

    /// Least-squares coefficients of `y` on the kept columns: solve R b = (Qᵀy)[..rank].
    pub fn solve(&self, y: &[f64]) -> Vec<f64> {
        let mut qty = y.to_vec();
        self.apply_qt(&mut qty);
        let p = self.rank();
        let mut b = vec![0.0; p];
        for r in (0..p).rev() {
            let mut s = qty[r];
            for (c, bc) in b.iter().enumerate().skip(r + 1) {
                s -= self.r_at(r, c) * bc;
            }
            b[r] = s / self.r_at(r, r);
        }
        b
    }

    /// (XᵀX)⁻¹ of the kept columns as R⁻¹R⁻ᵀ (the only explicit inverse: the covariance needs
    /// it). R⁻¹ is obtained by back substitution on the identity.
    pub fn xtx_inverse(&self) -> Mat<f64> {
        let p = self.rank();
        let mut rinv = Mat::<f64>::zeros(p, p);
        for c in 0..p {
            // Column c of R⁻¹: solve R x = e_c (x is zero below row c).
            for r in (0..=c).rev() {
                let mut s = if r == c { 1.0 } else { 0.0 };
                for m in r + 1..=c {
                    s -= self.r_at(r, m) * rinv[(m, c)];
                }
                rinv[(r, c)] = s / self.r_at(r, r);
            }
        }
        &rinv * rinv.transpose()
    }
}

/// Dot product with four independent accumulators (pairwise-like summation: as accurate as a
/// running sum and not bound by the latency of one addition chain).
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ta, tb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        acc[0] += x[0] * y[0];
        acc[1] += x[1] * y[1];
        acc[2] += x[2] * y[2];
        acc[3] += x[3] * y[3];
    }
    let mut tail = 0.0;
    for (x, y) in ta.iter().zip(tb) {
        tail += x * y;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// c ← (I − τ v vᵀ) c.
fn apply_reflector(v: &[f64], tau: f64, c: &mut [f64]) {
    let s = dot(v, c);
    let f = tau * s;
    for (ci, vi) in c.iter_mut().zip(v) {
        *ci -= f * vi;
    }
}

/// Sandwich B·M·B (B, M symmetric) scaled by `factor`, symmetrised to remove rounding asymmetry.
pub fn sandwich(bread: &Mat<f64>, meat: &Mat<f64>, factor: f64) -> Mat<f64> {
    let v = bread * meat * bread;
    let k = v.nrows();
    Mat::from_fn(k, k, |i, j| 0.5 * (v[(i, j)] + v[(j, i)]) * factor)
}

/// Cross product SᵀS of an r×k score matrix.
pub fn cross_product(scores: &Mat<f64>) -> Mat<f64> {
    scores.transpose() * scores
}

/// Wald statistic b_Sᵀ V_SS⁻¹ b_S for the coefficient subset `idx`, by Cholesky solve.
/// `None` when V_SS is not positive definite (e.g. a cluster VCE of rank < |S|: Stata shows the
/// model test as missing).
pub fn wald_statistic(b: &[f64], v: &Mat<f64>, idx: &[usize]) -> Option<f64> {
    let q = idx.len();
    if q == 0 {
        return None;
    }
    let sub = Mat::from_fn(q, q, |i, j| v[(idx[i], idx[j])]);
    // Guard against numerically singular sub-blocks: compare pivots with the diagonal scale.
    let llt = sub.llt(Side::Lower).ok()?;
    let l = llt.L();
    for i in 0..q {
        let d = l[(i, i)];
        let pivot_ok = d * d > 1e-13 * sub[(i, i)].abs();
        if !pivot_ok {
            return None;
        }
    }
    let rhs = Mat::from_fn(q, 1, |i, _| b[idx[i]]);
    let x = faer::linalg::solvers::Solve::solve(&llt, &rhs);
    let w: f64 = (0..q).map(|i| b[idx[i]] * x[(i, 0)]).sum();
    w.is_finite().then_some(w)
}

/// Eigenvalues (ascending) and eigenvectors of a symmetric matrix.
pub fn symmetric_eigen(a: &Mat<f64>) -> Option<(Vec<f64>, Mat<f64>)> {
    let evd = a.self_adjoint_eigen(Side::Lower).ok()?;
    let s = evd.S();
    let vals: Vec<f64> = (0..a.nrows()).map(|i| s[i]).collect();
    Some((vals, evd.U().to_owned()))
}

/// Inverse of a symmetric positive definite matrix by Cholesky (None if not PD).
pub fn spd_inverse(a: &Mat<f64>) -> Option<Mat<f64>> {
    let llt = a.llt(Side::Lower).ok()?;
    Some(llt.inverse())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_later_collinear_column_and_solves() {
        // x2 = 2·x0 + x1 must be dropped, x0 and x1 kept; y = 1·x0 − 2·x1 exactly.
        let x0 = [1.0, 2.0, 3.0, 4.0, 5.0];
        let x1 = [2.0, -1.0, 0.5, 3.0, 1.0];
        let n = 5;
        let a = Mat::from_fn(n, 3, |i, j| match j {
            0 => x0[i],
            1 => x1[i],
            _ => 2.0 * x0[i] + x1[i],
        });
        let refs: Vec<f64> = (0..3)
            .map(|j| (0..n).map(|i| a[(i, j)] * a[(i, j)]).sum())
            .collect();
        let qr = OrderedQr::new(a, &refs);
        assert_eq!(qr.kept, vec![0, 1]);
        assert_eq!(qr.dropped, vec![2]);
        let y: Vec<f64> = (0..n).map(|i| x0[i] - 2.0 * x1[i]).collect();
        let b = qr.solve(&y);
        assert!((b[0] - 1.0).abs() < 1e-14 && (b[1] + 2.0).abs() < 1e-14);
        // (XᵀX)⁻¹ times XᵀX is the identity.
        let inv = qr.xtx_inverse();
        let xtx = Mat::from_fn(2, 2, |i, j| {
            let (ci, cj) = (
                if i == 0 { &x0 } else { &x1 },
                if j == 0 { &x0 } else { &x1 },
            );
            (0..n).map(|r| ci[r] * cj[r]).sum::<f64>()
        });
        let id = &inv * &xtx;
        for i in 0..2 {
            for j in 0..2 {
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((id[(i, j)] - e).abs() < 1e-13);
            }
        }
    }

    #[test]
    fn wald_on_singular_block_is_none() {
        let v = Mat::from_fn(2, 2, |_, _| 1.0);
        assert!(wald_statistic(&[1.0, 1.0], &v, &[0, 1]).is_none());
        let v = Mat::from_fn(2, 2, |i, j| if i == j { 2.0 } else { 0.0 });
        let w = wald_statistic(&[1.0, 2.0], &v, &[0, 1]).unwrap_or(f64::NAN);
        assert!((w - 2.5).abs() < 1e-15);
    }
}
