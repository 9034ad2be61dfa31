//! Demeaning with respect to several absorbed factors: the method of alternating projections
//! (Guimarães & Portugal 2010; Gaure 2013, R `lfe`; Correia 2016, `reghdfe`) with Irons–Tuck
//! acceleration (Irons & Tuck 1969, as in fixest's `demean`).
//!
//! For weights W (IRLS weights of PPML, or 1) and the dummy matrix D of all factors, the
//! demeaned column is M x = x − D(D'WD)⁻D'Wx: the W-weighted residual of x on every absorbed
//! effect. One sweep S applies, factor after factor, x ← x − (W-weighted mean of x in the
//! observation's level); S is affine and its fixed point is M x. Irons–Tuck extrapolates from
//! x, S(x), S(S(x)):
//!
//! ```text
//! δ₁ = S(S x) − S x,  δ₂ = δ₁ − (S x − x),  x ← S(S x) − (δ₁·δ₂ / δ₂·δ₂) δ₁
//! ```
//!
//! an affine combination, so every iterate stays in x₀ + span(D). The iteration stops when one
//! sweep changes no element by more than `tol`·max|x₀| (default 1e-13: the slopes and
//! standard errors then agree with an exact dummy-variable solution to about 1e-12, see the
//! tests). With one factor one sweep is exact.

use super::factor::Factor;

/// Options of [`demean`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemeanOptions {
    /// Stop when a sweep changes no element by more than `tol`·max|x₀|.
    pub tol: f64,
    /// Give up (an error) after this many accelerated iterations.
    pub max_iter: usize,
}

impl Default for DemeanOptions {
    fn default() -> Self {
        DemeanOptions {
            tol: 1e-13,
            max_iter: 100_000,
        }
    }
}

/// Demeaned columns and the work it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Demeaned {
    /// M x for every input column, in input order.
    pub columns: Vec<Vec<f64>>,
    /// Largest number of accelerated iterations over the columns (0 with one factor).
    pub iterations: usize,
}

/// The demeaning did not reach the tolerance.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "demeaning column {column} by the absorbed factors did not converge in {iterations} \
     iterations (last change {change:e} × max|x|, tolerance {tol:e}); the factors are very \
     weakly connected — absorb fewer or coarser factors, or loosen the tolerance"
)]
pub struct NotConverged {
    /// Input column index.
    pub column: usize,
    /// Iterations done.
    pub iterations: usize,
    /// Relative change of the last sweep.
    pub change: f64,
    /// The tolerance.
    pub tol: f64,
}

/// Per-factor inverse level weights 1/Σ_{i∈level} w_i (0 for an empty level).
struct Sweeper<'a> {
    factors: &'a [Factor],
    weights: Option<&'a [f64]>,
    inv: Vec<Vec<f64>>,
    sums: Vec<f64>,
}

impl<'a> Sweeper<'a> {
    fn new(factors: &'a [Factor], weights: Option<&'a [f64]>) -> Self {
        let inv = factors
            .iter()
            .map(|f| {
                let mut s = vec![0.0; f.levels];
                match weights {
                    Some(w) => {
                        for (&c, &wi) in f.codes.iter().zip(w) {
                            s[c] += wi;
                        }
                    }
                    None => {
                        for &c in &f.codes {
                            s[c] += 1.0;
                        }
                    }
                }
                s.iter()
                    .map(|&v| if v > 0.0 { 1.0 / v } else { 0.0 })
                    .collect()
            })
            .collect();
        let max_levels = factors.iter().map(|f| f.levels).max().unwrap_or(0);
        Sweeper {
            factors,
            weights,
            inv,
            sums: vec![0.0; max_levels],
        }
    }

    /// Subtract the weighted level means of factor `f` from `x`.
    fn project(&mut self, f: usize, x: &mut [f64]) {
        let factor = &self.factors[f];
        let sums = &mut self.sums[..factor.levels];
        sums.fill(0.0);
        match self.weights {
            Some(w) => {
                for ((&c, &v), &wi) in factor.codes.iter().zip(x.iter()).zip(w) {
                    sums[c] += wi * v;
                }
            }
            None => {
                for (&c, &v) in factor.codes.iter().zip(x.iter()) {
                    sums[c] += v;
                }
            }
        }
        for (s, &inv) in sums.iter_mut().zip(&self.inv[f]) {
            *s *= inv;
        }
        for (v, &c) in x.iter_mut().zip(&factor.codes) {
            *v -= sums[c];
        }
    }

    /// One Gauss–Seidel sweep over the factors.
    fn sweep(&mut self, x: &mut [f64]) {
        for f in 0..self.factors.len() {
            self.project(f, x);
        }
    }
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
}

/// Demean every column of `columns` by all `factors` (weights `weights`, or 1): returns
/// M x = x − D(D'WD)⁻D'Wx per column (module docs: alternating projections with Irons–Tuck
/// acceleration). Every factor and the weights must have the columns' length.
pub fn demean(
    columns: &[&[f64]],
    factors: &[Factor],
    weights: Option<&[f64]>,
    opts: DemeanOptions,
) -> Result<Demeaned, NotConverged> {
    let mut sweeper = Sweeper::new(factors, weights);
    let mut out = Vec::with_capacity(columns.len());
    let mut iterations = 0;
    for (j, &x0) in columns.iter().enumerate() {
        let mut x = x0.to_vec();
        if factors.len() <= 1 {
            sweeper.sweep(&mut x);
            out.push(x);
            continue;
        }
        let scale = x0.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let limit = opts.tol * scale;
        let mut gx = x.clone();
        let mut ggx = x.clone();
        let mut it = 0;
        loop {
            gx.copy_from_slice(&x);
            sweeper.sweep(&mut gx);
            let change = max_abs_diff(&gx, &x);
            if change <= limit {
                x.copy_from_slice(&gx);
                break;
            }
            if it >= opts.max_iter {
                return Err(NotConverged {
                    column: j,
                    iterations: it,
                    change: change / scale.max(f64::MIN_POSITIVE),
                    tol: opts.tol,
                });
            }
            it += 1;
            ggx.copy_from_slice(&gx);
            sweeper.sweep(&mut ggx);
            let (mut num, mut den) = (0.0, 0.0);
            for i in 0..x.len() {
                let d1 = ggx[i] - gx[i];
                let d2 = d1 - (gx[i] - x[i]);
                num += d1 * d2;
                den += d2 * d2;
            }
            if den > 0.0 && num.is_finite() {
                let c = num / den;
                for i in 0..x.len() {
                    x[i] = ggx[i] - c * (ggx[i] - gx[i]);
                }
            } else {
                x.copy_from_slice(&ggx);
            }
        }
        iterations = iterations.max(it);
        out.push(x);
    }
    Ok(Demeaned {
        columns: out,
        iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact M x by least squares on the full dummy matrix (normal equations solved with a
    /// pseudo-inverse through faer's SVD-free path: a Householder QR of D with rank skipping).
    fn exact(x: &[f64], factors: &[Factor], w: Option<&[f64]>) -> Vec<f64> {
        use crate::estimate::linalg::OrderedQr;
        use faer::Mat;
        let n = x.len();
        let k: usize = factors.iter().map(|f| f.levels).sum();
        let sw: Vec<f64> = (0..n).map(|i| w.map_or(1.0, |w| w[i].sqrt())).collect();
        let mut d = Mat::<f64>::zeros(n, k);
        let mut off = 0;
        for f in factors {
            for i in 0..n {
                d[(i, off + f.codes[i])] = sw[i];
            }
            off += f.levels;
        }
        let refs: Vec<f64> = (0..k)
            .map(|j| d.col_as_slice(j).iter().map(|v| v * v).sum())
            .collect();
        let qr = OrderedQr::new(d.clone(), &refs);
        let xw: Vec<f64> = (0..n).map(|i| x[i] * sw[i]).collect();
        let b = qr.solve(&xw);
        (0..n)
            .map(|i| {
                let fit: f64 = qr.kept.iter().zip(&b).map(|(&j, bj)| d[(i, j)] * bj).sum();
                (xw[i] - fit) / sw[i]
            })
            .collect()
    }

    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 11) as f64) / ((1u64 << 53) as f64)
    }

    #[test]
    fn three_factors_and_weights_match_the_dummy_solution() {
        let mut seed = 7u64;
        let n = 400;
        let a: Vec<usize> = (0..n).map(|_| (lcg(&mut seed) * 30.0) as usize).collect();
        let b: Vec<usize> = (0..n).map(|_| (lcg(&mut seed) * 12.0) as usize).collect();
        let c: Vec<usize> = (0..n).map(|_| (lcg(&mut seed) * 5.0) as usize).collect();
        let fa = Factor::new("a", &a);
        let fb = Factor::new("b", &b);
        let fc = Factor::new("c", &c);
        let fac = Factor::interact(&fa, &fc);
        let factors = vec![fac, fb, fc];
        let x: Vec<f64> = (0..n).map(|i| 100.0 * lcg(&mut seed) + i as f64).collect();
        let w: Vec<f64> = (0..n).map(|_| 0.1 + lcg(&mut seed)).collect();
        for weights in [None, Some(w.as_slice())] {
            let d = demean(&[&x], &factors, weights, DemeanOptions::default()).expect("converges");
            let e = exact(&x, &factors, weights);
            let scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let err = max_abs_diff(&d.columns[0], &e) / scale;
            assert!(err < 1e-12, "max error {err:e}");
            assert!(d.iterations > 0);
        }
    }

    #[test]
    fn one_factor_is_one_sweep() {
        let f = Factor::new("g", &[0, 0, 1, 1, 1]);
        let x = [1.0, 3.0, 2.0, 4.0, 9.0];
        let d = demean(&[&x], &[f], None, DemeanOptions::default()).expect("one sweep");
        assert_eq!(d.iterations, 0);
        assert_eq!(d.columns[0], vec![-1.0, 1.0, -3.0, -1.0, 4.0]);
    }
}
