//! The sufficient statistics of one sample for many column-subset fits (Frisch–Waugh–Lovell):
//! the working regression (panel-demeaned for FE, centered for pooled OLS), its cross-products,
//! per-cluster cross-products for the cluster scores, grand-centered and panel-mean moments
//! for the fit statistics — and the small dense algebra every subset fit runs on them.

use faer::Mat;

use crate::estimate::linalg::{col, dot, COLLINEARITY_TOL};
use crate::estimate::stats::{interleaved_sums, means_of, Panels};

/// Row-major symmetric K×K matrix: entry (i, j).
#[inline]
pub(super) fn at(m: &[f64], k: usize, i: usize, j: usize) -> f64 {
    m[i * k + j]
}

/// X'X of the columns of `x` (K×K row-major) by [`dot`].
fn gram(x: &[&[f64]]) -> Vec<f64> {
    let k = x.len();
    let mut g = vec![0.0; k * k];
    for i in 0..k {
        for j in i..k {
            let v = dot(x[i], x[j]);
            g[i * k + j] = v;
            g[j * k + i] = v;
        }
    }
    g
}

/// The regression every subset fit is a column subset of: r on the working columns A plus
/// Stata's constant, which is put back through `shift` (Z = [A + 1·shift', 1]).
/// FE (`xtreg, fe`): A = x − x̄_i, r = y − ȳ_i, shift = grand means x̄;
/// pooled OLS with a constant: A = x − x̄, r = y − ȳ, shift = x̄;
/// pooled OLS without constant: A = x, r = y, no shift and no constant column.
pub(super) struct Working {
    /// Candidate columns K.
    pub k: usize,
    /// A, N×K column-major (kept for the heteroskedasticity-robust meat, which needs rows).
    pub a: Mat<f64>,
    /// r.
    pub r: Vec<f64>,
    /// Whether Z has a constant column.
    pub constant: bool,
    /// Grand means x̄ of the candidates (zeros without constant).
    pub shift: Vec<f64>,
    /// Grand mean ȳ (0 without constant).
    pub ybar: f64,
    /// A'A, K×K row-major.
    pub aa: Vec<f64>,
    /// A'r.
    pub ar: Vec<f64>,
    /// r'r.
    pub rr: f64,
    /// Squared norm each column's residual is compared with for collinearity (the standard
    /// path's reference: grand-centered Σ(x − x̄)², uncentered Σx² without constant).
    pub refs: Vec<f64>,
}

impl Working {
    /// FE: the within transformation of y and every candidate, as `ols::within` computes it.
    pub fn within(y: &[f64], x: &[&[f64]], panels: &Panels<'_>) -> Self {
        let k = x.len();
        let n = y.len();
        let mut with_y = x.to_vec();
        with_y.push(y);
        let mut grand = means_of(&with_y);
        let ybar = grand.pop().unwrap_or(f64::NAN);
        let refs = interleaved_sums(x, |j, v| (v - grand[j]) * (v - grand[j]));
        let codes = panels.codes;
        let ybar_i = panels.means(y);
        let mut a = Mat::<f64>::zeros(n, k);
        for (j, xj) in x.iter().enumerate() {
            let means = panels.means(xj);
            for ((d, &v), &c) in a.col_as_slice_mut(j).iter_mut().zip(xj.iter()).zip(codes) {
                *d = v - means[c];
            }
        }
        let r: Vec<f64> = (0..n).map(|i| y[i] - ybar_i[codes[i]]).collect();
        Self::finish(a, r, true, grand, ybar, refs)
    }

    /// Pooled OLS: centered by the grand means (with constant) or raw (without).
    pub fn pooled(y: &[f64], x: &[&[f64]], constant: bool) -> Self {
        let k = x.len();
        let n = y.len();
        let mut a = Mat::<f64>::zeros(n, k);
        if !constant {
            for (j, xj) in x.iter().enumerate() {
                a.col_as_slice_mut(j).copy_from_slice(xj);
            }
            let refs = interleaved_sums(x, |_, v| v * v);
            return Self::finish(a, y.to_vec(), false, vec![0.0; k], 0.0, refs);
        }
        let mut all = x.to_vec();
        all.push(y);
        let sums = interleaved_sums(&all, |_, v| v);
        let total = n as f64;
        let shift: Vec<f64> = sums[..k].iter().map(|s| s / total).collect();
        let ybar = sums[k] / total;
        for (j, xj) in x.iter().enumerate() {
            for (d, &v) in a.col_as_slice_mut(j).iter_mut().zip(xj.iter()) {
                *d = v - shift[j];
            }
        }
        let cols: Vec<&[f64]> = (0..k).map(|j| col(a.as_ref(), j)).collect();
        let refs = interleaved_sums(&cols, |_, v| v * v);
        let r: Vec<f64> = y.iter().map(|v| v - ybar).collect();
        Self::finish(a, r, true, shift, ybar, refs)
    }

    fn finish(
        a: Mat<f64>,
        r: Vec<f64>,
        constant: bool,
        shift: Vec<f64>,
        ybar: f64,
        refs: Vec<f64>,
    ) -> Self {
        let k = a.ncols();
        let cols: Vec<&[f64]> = (0..k).map(|j| col(a.as_ref(), j)).collect();
        let aa = gram(&cols);
        let ar = cols.iter().map(|c| dot(c, &r)).collect();
        let rr = dot(&r, &r);
        Working {
            k,
            a,
            r,
            constant,
            shift,
            ybar,
            aa,
            ar,
            rr,
            refs,
        }
    }
}

/// Per-cluster cross-products of the working regression: A_g'A_g, A_g'r_g, 1'A_g, 1'r_g, from
/// which the score sums of any subset S with slopes b follow without a pass over the rows:
/// s_g = [A_gS'e_g + shift_S·(1'e_g); 1'e_g] with A_gS'e_g = A_gS'r_g − A_gS'A_gS b and
/// 1'e_g = 1'r_g − 1'A_gS b. Each entry is stored as a vector over the G clusters, so a subset's
/// scores are a few axpys of length G (vectorised) rather than G small matrix products.
pub(super) struct ClusterMoments {
    /// Cluster variable name (the panel variable for clustering on panels).
    pub name: String,
    /// G.
    pub g: usize,
    /// (A_g'A_g)_pq at (p·K + q)·G + g.
    aa: Vec<f64>,
    /// (A_g'r_g)_p at p·G + g.
    ar: Vec<f64>,
    /// (1'A_g)_p at p·G + g.
    sa: Vec<f64>,
    /// 1'r_g.
    sr: Vec<f64>,
}

impl ClusterMoments {
    /// Accumulate over the rows; `codes` are dense cluster codes 0..g.
    pub fn new(w: &Working, codes: &[usize], g: usize, name: &str) -> Self {
        let k = w.k;
        let mut aa = vec![0.0; k * k * g];
        let mut ar = vec![0.0; k * g];
        let mut sa = vec![0.0; k * g];
        let mut sr = vec![0.0; g];
        let cols: Vec<&[f64]> = (0..k).map(|j| col(w.a.as_ref(), j)).collect();
        for (i, &c) in codes.iter().enumerate() {
            let ri = w.r[i];
            for p in 0..k {
                let ap = cols[p][i];
                for q in p..k {
                    aa[(p * k + q) * g + c] += ap * cols[q][i];
                }
                ar[p * g + c] += ap * ri;
                sa[p * g + c] += ap;
            }
            sr[c] += ri;
        }
        for p in 0..k {
            for q in 0..p {
                let (lo, hi) = ((q * k + p) * g, (p * k + q) * g);
                aa.copy_within(lo..lo + g, hi);
            }
        }
        ClusterMoments {
            name: name.to_string(),
            g,
            aa,
            ar,
            sa,
            sr,
        }
    }

    /// Σ_g s_g s_g' for the kept candidate columns `idx` with slopes `b` (K1×K1, the constant
    /// last when `w.constant`).
    pub fn meat(&self, w: &Working, idx: &[usize], b: &[f64]) -> Mat<f64> {
        let (k, g) = (w.k, self.g);
        let m = idx.len();
        let k1 = m + usize::from(w.constant);
        // Scores column by column: s_p = (A'r)_p − Σ_q (A'A)_pq b_q over the clusters.
        let mut s = vec![0.0; k1 * g];
        for (p, &jp) in idx.iter().enumerate() {
            let sp = &mut s[p * g..(p + 1) * g];
            sp.copy_from_slice(&self.ar[jp * g..(jp + 1) * g]);
            for (&jq, &bq) in idx.iter().zip(b) {
                let col = &self.aa[(jp * k + jq) * g..(jp * k + jq + 1) * g];
                for (x, &a) in sp.iter_mut().zip(col) {
                    *x -= a * bq;
                }
            }
        }
        if w.constant {
            let (slopes, ce) = s.split_at_mut(m * g);
            ce.copy_from_slice(&self.sr);
            for (&jp, &bp) in idx.iter().zip(b) {
                for (x, &a) in ce.iter_mut().zip(&self.sa[jp * g..(jp + 1) * g]) {
                    *x -= a * bp;
                }
            }
            for (p, &jp) in idx.iter().enumerate() {
                let shift = w.shift[jp];
                for (x, &c) in slopes[p * g..(p + 1) * g].iter_mut().zip(ce.iter()) {
                    *x += shift * c;
                }
            }
        }
        let mut acc = vec![0.0; k1 * k1];
        for i in 0..k1 {
            for j in i..k1 {
                let v = dot(&s[i * g..(i + 1) * g], &s[j * g..(j + 1) * g]);
                acc[i * k1 + j] = v;
                acc[j * k1 + i] = v;
            }
        }
        Mat::from_fn(k1, k1, |i, j| acc[i * k1 + j])
    }
}

/// Heteroskedasticity-robust meat Σ_i e_i² z_i z_i' (z_i = [a_i + shift; 1]): one pass over
/// the rows, since it has no per-cluster shortcut.
pub(super) fn hc_meat(w: &Working, idx: &[usize], b: &[f64]) -> Mat<f64> {
    let n = w.r.len();
    let m = idx.len();
    let k1 = m + usize::from(w.constant);
    let cols: Vec<&[f64]> = idx.iter().map(|&j| col(w.a.as_ref(), j)).collect();
    let mut e = w.r.clone();
    for (c, &bc) in cols.iter().zip(b) {
        for (ei, &v) in e.iter_mut().zip(c.iter()) {
            *ei -= v * bc;
        }
    }
    let mut scores = Mat::<f64>::zeros(n, k1);
    for (p, c) in cols.iter().enumerate() {
        let shift = w.shift[idx[p]];
        for ((d, &v), &ei) in scores.col_as_slice_mut(p).iter_mut().zip(c.iter()).zip(&e) {
            *d = (v + shift) * ei;
        }
    }
    if w.constant {
        scores.col_as_slice_mut(m).copy_from_slice(&e);
    }
    scores.transpose() * &scores
}

/// Cholesky factor L (row-major, `kept.len()`² entries, lower) of the Gram matrix of the
/// columns `idx` (candidate indices) processed in the given order; a column is skipped when
/// its pivot — its squared residual norm after the kept columns before it — is
/// ≤ [`COLLINEARITY_TOL`]·`refs[j]` or `refs[j]` is not positive: the QR rule of the standard
/// path (`linalg::OrderedQr`), so the same later member of a collinear set is omitted.
pub(super) struct OrderedCholesky {
    /// Positions in `idx` of the kept columns, in order.
    pub kept: Vec<usize>,
    /// Positions in `idx` of the skipped columns.
    pub dropped: Vec<usize>,
    l: Vec<f64>,
}

impl OrderedCholesky {
    /// Factor the Gram matrix `g` (K×K row-major over all candidates) on `idx`.
    pub fn new(g: &[f64], k: usize, idx: &[usize], refs: &[f64]) -> Self {
        let m = idx.len();
        // Row q of L (kept column q) at q·m, m entries of stride; compacted at the end.
        let mut buf = vec![0.0; m * m];
        let mut kept = Vec::with_capacity(m);
        let mut dropped = Vec::new();
        for (pos, &j) in idx.iter().enumerate() {
            let q = kept.len();
            let (done, rest) = buf.split_at_mut(q * m);
            let row = &mut rest[..m];
            for c in 0..q {
                let jc = idx[kept[c]];
                let lc = &done[c * m..c * m + c + 1];
                let s = at(g, k, j, jc)
                    - row[..c]
                        .iter()
                        .zip(&lc[..c])
                        .map(|(a, b)| a * b)
                        .sum::<f64>();
                row[c] = s / lc[c];
            }
            let d = at(g, k, j, j) - row[..q].iter().map(|v| v * v).sum::<f64>();
            let reference = refs[j];
            if reference > 0.0 && d > COLLINEARITY_TOL * reference {
                row[q] = d.sqrt();
                kept.push(pos);
            } else {
                row.fill(0.0);
                dropped.push(pos);
            }
        }
        let q = kept.len();
        let mut l = vec![0.0; q * q];
        for i in 0..q {
            l[i * q..i * q + i + 1].copy_from_slice(&buf[i * m..i * m + i + 1]);
        }
        OrderedCholesky { kept, dropped, l }
    }

    /// Rank.
    pub fn rank(&self) -> usize {
        self.kept.len()
    }

    /// z = L⁻¹ v (v over the kept columns).
    pub fn forward(&self, v: &[f64]) -> Vec<f64> {
        let q = self.rank();
        let mut z = vec![0.0; q];
        for i in 0..q {
            let row = &self.l[i * q..i * q + i];
            let s = v[i] - row.iter().zip(&z[..i]).map(|(l, z)| l * z).sum::<f64>();
            z[i] = s / self.l[i * q + i];
        }
        z
    }

    /// b = L⁻ᵀ z.
    pub fn backward(&self, z: &[f64]) -> Vec<f64> {
        let q = self.rank();
        let mut b = vec![0.0; q];
        for i in (0..q).rev() {
            let mut s = z[i];
            for (p, bp) in b.iter().enumerate().skip(i + 1) {
                s -= self.l[p * q + i] * bp;
            }
            b[i] = s / self.l[i * q + i];
        }
        b
    }

    /// (A'A)⁻¹ of the kept columns = L⁻ᵀL⁻¹.
    pub fn inverse(&self) -> Mat<f64> {
        let q = self.rank();
        // Columns of L⁻¹ by forward substitution on the identity.
        let mut linv = vec![0.0; q * q];
        for c in 0..q {
            for i in c..q {
                let mut s = if i == c { 1.0 } else { 0.0 };
                for p in c..i {
                    s -= self.l[i * q + p] * linv[p * q + c];
                }
                linv[i * q + c] = s / self.l[i * q + i];
            }
        }
        Mat::from_fn(q, q, |i, j| {
            (i.max(j)..q)
                .map(|p| linv[p * q + i] * linv[p * q + j])
                .sum()
        })
    }
}

/// Least squares of r on the columns `idx` from cross-products: (kept, dropped, slopes, ‖z‖²
/// = r'A(A'A)⁻¹A'r, factor). SSR = r'r − ‖z‖².
pub(super) struct SubsetLs {
    pub chol: OrderedCholesky,
    /// Candidate indices of the kept columns.
    pub cols: Vec<usize>,
    pub slopes: Vec<f64>,
    pub explained: f64,
}

impl SubsetLs {
    /// Solve on Gram `g` and right-hand side `gr` (both over all K candidates).
    pub fn solve(g: &[f64], gr: &[f64], k: usize, idx: &[usize], refs: &[f64]) -> Self {
        let chol = OrderedCholesky::new(g, k, idx, refs);
        let cols: Vec<usize> = chol.kept.iter().map(|&p| idx[p]).collect();
        let rhs: Vec<f64> = cols.iter().map(|&j| gr[j]).collect();
        let z = chol.forward(&rhs);
        let explained = z.iter().map(|v| v * v).sum();
        let slopes = chol.backward(&z);
        SubsetLs {
            chol,
            cols,
            slopes,
            explained,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_cholesky_drops_the_later_collinear_column_and_inverts() {
        // Columns x0, x1, x2 = 2 x0 − x1 (dropped), x3.
        let n = 9;
        let x0: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
        let x1: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).cos()).collect();
        let x2: Vec<f64> = (0..n).map(|i| 2.0 * x0[i] - x1[i]).collect();
        let x3: Vec<f64> = (0..n).map(|i| ((i * i) % 5) as f64).collect();
        let cols = [&x0[..], &x1[..], &x2[..], &x3[..]];
        let g = gram(&cols);
        let refs: Vec<f64> = (0..4).map(|j| at(&g, 4, j, j)).collect();
        let ch = OrderedCholesky::new(&g, 4, &[0, 1, 2, 3], &refs);
        assert_eq!(ch.kept, vec![0, 1, 3]);
        assert_eq!(ch.dropped, vec![2]);
        // In another order the later member is dropped: x1 goes when it comes after x0, x2.
        let ch = OrderedCholesky::new(&g, 4, &[2, 0, 1], &refs);
        assert_eq!(ch.kept, vec![0, 1]);
        assert_eq!(ch.dropped, vec![2]);
        // (A'A)⁻¹ times A'A is the identity on the kept columns.
        let ch = OrderedCholesky::new(&g, 4, &[0, 1, 3], &refs);
        let inv = ch.inverse();
        let idx = [0, 1, 3];
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3)
                    .map(|p| inv[(i, p)] * at(&g, 4, idx[p], idx[j]))
                    .sum();
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((v - e).abs() < 1e-12, "({i}, {j}): {v}");
            }
        }
    }

    #[test]
    fn cluster_meat_equals_the_row_by_row_scores() {
        let n = 30;
        let codes: Vec<usize> = (0..n).map(|i| (i * 7) % 4).collect();
        let x0: Vec<f64> = (0..n).map(|i| (i as f64 * 1.3).sin() + 2.0).collect();
        let x1: Vec<f64> = (0..n).map(|i| ((i * 3) % 7) as f64).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| x0[i] - 0.5 * x1[i] + (i as f64).cos())
            .collect();
        let w = Working::pooled(&y, &[&x0, &x1], true);
        let ls = SubsetLs::solve(&w.aa, &w.ar, 2, &[0, 1], &w.refs);
        let cm = ClusterMoments::new(&w, &codes, 4, "c");
        let got = cm.meat(&w, &ls.cols, &ls.slopes);
        // Direct: e = y − cons − X b, s_g = Σ_{i∈g} [x_i; 1] e_i.
        let cons = w.ybar - w.shift[0] * ls.slopes[0] - w.shift[1] * ls.slopes[1];
        let mut s = [[0.0; 3]; 4];
        for i in 0..n {
            let e = y[i] - cons - x0[i] * ls.slopes[0] - x1[i] * ls.slopes[1];
            for (j, z) in [x0[i], x1[i], 1.0].iter().enumerate() {
                s[codes[i]][j] += z * e;
            }
        }
        for a in 0..3 {
            for b in 0..3 {
                let want: f64 = s.iter().map(|sg| sg[a] * sg[b]).sum();
                let scale = want.abs().max(1.0);
                assert!((got[(a, b)] - want).abs() < 1e-12 * scale, "({a}, {b})");
            }
        }
        // The HC meat from the rows agrees with 30 one-row clusters.
        let singles: Vec<usize> = (0..n).collect();
        let one = ClusterMoments::new(&w, &singles, n, "row").meat(&w, &ls.cols, &ls.slopes);
        let hc = hc_meat(&w, &ls.cols, &ls.slopes);
        for a in 0..3 {
            for b in 0..3 {
                let scale = hc[(a, b)].abs().max(1.0);
                assert!((one[(a, b)] - hc[(a, b)]).abs() < 1e-12 * scale);
            }
        }
    }
}
