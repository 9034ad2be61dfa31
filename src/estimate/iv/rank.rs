//! The Kleibergen–Paap (2006) rk Wald statistic of the null "rank(Π) = k2 − 1" for the
//! first-stage coefficients Π (l1 × k2) of the endogenous regressors on the excluded
//! instruments, as `ranktest (X2) (Z1), partial(X1) full wald robust|cluster(c)` computes it
//! for `ivreg2` / `ivreghdfe`'s weak-identification statistic (Kleibergen & Paap 2006,
//! J. Econometrics 133(1), eq. 19–21 and p. 103–104; ranktest 1.4, Kleibergen & Schaffer).
//!
//! With Ȳ (N × k) and Z̄ (N × l) the endogenous regressors and excluded instruments after
//! partialling out the exogenous regressors (and the constant or the absorbed effects):
//!
//! 1. Π = (Z̄'Z̄)⁻¹Z̄'Ȳ, V = Ȳ − Z̄Π (the first-stage residuals);
//! 2. L_z L_z' = Z̄'Z̄ and L_y L_y' = Ȳ'Ȳ (Cholesky, lower); Θ = L_z' Π L_y'⁻¹;
//! 3. Θ = U S V' (singular values descending). For the full-rank test q = k − 1:
//!    U⊥ = the last l − k + 1 columns of U, u₂₂ = its last l − k + 1 rows,
//!    A = U⊥ u₂₂⁻¹ (u₂₂u₂₂')^{1/2} = U⊥ u₂₂' (u₂₂u₂₂')^{-1/2} (the same matrix: u₂₂⁻¹(u₂₂u₂₂')^{1/2}
//!    is the orthogonal factor of u₂₂'s polar decomposition, transposed), and
//!    B = sign(v_kk) v_k' (v_k the last right singular vector; ranktest's
//!    (v₂₂v₂₂')^{1/2} v₂₂'⁻¹ [v₁₂; v₂₂]' for a scalar v₂₂);
//! 4. λ = (B ⊗ A') vec Θ = A'ΘB';
//! 5. Ω = (L_y⁻¹ ⊗ L_z⁻¹) S (L_y⁻¹ ⊗ L_z⁻¹)' with S = Σ_c s_c s_c', s_c = Σ_{i∈c} v_i ⊗ z̄_i
//!    (c = observations for the robust statistic, clusters for the clustered one; no
//!    small-sample factor), and Ω_λ = (B ⊗ A') Ω (B ⊗ A')' = Σ_c w_c w_c' with
//!    w_c = Σ_{i∈c} (B L_y⁻¹ v_i)(A' L_z⁻¹ z̄_i);
//! 6. rk = λ'Ω_λ⁻¹λ, χ²(l − k + 1) under the null.
//!
//! With one endogenous regressor A = I, B = ±1 and rk is the heteroskedasticity- (cluster-)
//! robust Wald statistic of the first stage, π'V̂(π)⁻¹π, without small-sample factor.
//! `ivreg2` reports the F form rk/l1 times the reciprocal of the first stage's small-sample
//! factor (robust: (N − L − dofminus − sdofminus)/N; cluster:
//! (G − 1)/G·(N − L − sdofminus)/(N − 1)); [`super::fit_iv`] applies the factor of its own
//! first-stage covariance, so that with one endogenous regressor the rk F is the robust
//! first-stage F.

use faer::{Mat, Side};

use super::inverse_sqrt;
use crate::estimate::linalg::{dot, spd_inverse, symmetric_eigen};

/// Lower Cholesky factor L (A = LL') of a symmetric positive definite matrix.
fn cholesky_lower(a: &Mat<f64>) -> Option<Mat<f64>> {
    let llt = a.llt(Side::Lower).ok()?;
    Some(llt.L().to_owned())
}

/// Inverse of a lower-triangular matrix by forward substitution.
fn lower_inverse(l: &Mat<f64>) -> Option<Mat<f64>> {
    let n = l.nrows();
    let mut inv = Mat::<f64>::zeros(n, n);
    for c in 0..n {
        for i in c..n {
            let mut s = if i == c { 1.0 } else { 0.0 };
            for k in c..i {
                s -= l[(i, k)] * inv[(k, c)];
            }
            let d = l[(i, i)];
            if d == 0.0 || !d.is_finite() {
                return None;
            }
            inv[(i, c)] = s / d;
        }
    }
    Some(inv)
}

fn gram(cols: &[Vec<f64>]) -> Mat<f64> {
    let k = cols.len();
    Mat::from_fn(k, k, |i, j| dot(&cols[i], &cols[j]))
}

/// ranktest's rk Wald statistic for `rank(Π) = k − 1` (module docs), with `y` the k partialled
/// endogenous regressors, `z` the l ≥ k partialled excluded instruments (columns of N values)
/// and `codes` the cluster of each observation (0..groups; one per observation for the
/// heteroskedasticity-robust statistic). `None` when a cross-product matrix is singular.
pub fn kp_rk_wald(y: &[Vec<f64>], z: &[Vec<f64>], codes: &[usize], groups: usize) -> Option<f64> {
    let (k, l) = (y.len(), z.len());
    if k == 0 || l < k {
        return None;
    }
    let n = y[0].len();
    let zz = gram(z);
    let yy = gram(y);
    let zy = Mat::from_fn(l, k, |i, j| dot(&z[i], &y[j]));
    let pi = spd_inverse(&zz)? * &zy;
    let lz = cholesky_lower(&zz)?;
    let ly = cholesky_lower(&yy)?;
    let lz_inv = lower_inverse(&lz)?;
    let ly_inv = lower_inverse(&ly)?;
    // Θ = L_z' Π L_y'⁻¹ = L_z' Π (L_y⁻¹)'.
    let theta = lz.transpose() * &pi * ly_inv.transpose();
    // Left singular vectors of the smallest l − k + 1 singular values: eigenvectors of ΘΘ'
    // (ascending eigenvalues), right singular vector of the smallest: eigenvector of Θ'Θ.
    let (_, u) = symmetric_eigen(&(&theta * theta.transpose()))?;
    let (_, v) = symmetric_eigen(&(theta.transpose() * &theta))?;
    let m = l - k + 1;
    let u_perp = Mat::from_fn(l, m, |i, j| u[(i, j)]);
    let u22 = Mat::from_fn(m, m, |i, j| u_perp[(k - 1 + i, j)]);
    let a = &u_perp * u22.transpose() * inverse_sqrt(&(&u22 * u22.transpose()))?;
    let vk: Vec<f64> = (0..k).map(|i| v[(i, 0)]).collect();
    let sign = if vk[k - 1] < 0.0 { -1.0 } else { 1.0 };
    let b = Mat::from_fn(1, k, |_, j| sign * vk[j]);
    let lambda = a.transpose() * &theta * b.transpose();
    // Projections of the scores: a_z = A' L_z⁻¹ (m × l), b_y = B L_y⁻¹ (1 × k).
    let az = a.transpose() * &lz_inv;
    let by = &b * &ly_inv;
    // First-stage residuals V = Ȳ − Z̄Π.
    let mut w = Mat::<f64>::zeros(groups, m);
    for i in 0..n {
        let mut ev = 0.0;
        for j in 0..k {
            let mut vij = y[j][i];
            for (r, zr) in z.iter().enumerate() {
                vij -= zr[i] * pi[(r, j)];
            }
            ev += by[(0, j)] * vij;
        }
        let c = codes[i];
        for p in 0..m {
            let mut s = 0.0;
            for (r, zr) in z.iter().enumerate() {
                s += az[(p, r)] * zr[i];
            }
            w[(c, p)] += ev * s;
        }
    }
    let omega = w.transpose() * &w;
    let omega = Mat::from_fn(m, m, |i, j| 0.5 * (omega[(i, j)] + omega[(j, i)]));
    let x = spd_inverse(&omega)? * &lambda;
    let rk: f64 = (0..m).map(|i| lambda[(i, 0)] * x[(i, 0)]).sum();
    rk.is_finite().then_some(rk)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    }

    fn centered(v: Vec<f64>) -> Vec<f64> {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.into_iter().map(|x| x - m).collect()
    }

    /// With one endogenous regressor rk is the HC0 Wald statistic of the first stage.
    #[test]
    fn one_endogenous_is_the_robust_first_stage_wald() {
        let mut s = 7u64;
        let n = 60;
        let z: Vec<Vec<f64>> = (0..3)
            .map(|_| centered((0..n).map(|_| lcg(&mut s)).collect()))
            .collect();
        let y = centered(
            (0..n)
                .map(|i| {
                    0.8 * z[0][i] - 0.3 * z[1][i] + 0.1 * z[2][i] + lcg(&mut s) * (1.0 + z[0][i])
                })
                .collect(),
        );
        let codes: Vec<usize> = (0..n).collect();
        let rk = kp_rk_wald(std::slice::from_ref(&y), &z, &codes, n).expect("rk");
        // Direct HC0 Wald: π'[(Z'Z)⁻¹ Σ v_i² z_i z_i' (Z'Z)⁻¹]⁻¹π.
        let zz = gram(&z);
        let zzi = spd_inverse(&zz).expect("zz");
        let zy = Mat::from_fn(3, 1, |i, _| dot(&z[i], &y));
        let pi = &zzi * &zy;
        let mut meat = Mat::<f64>::zeros(3, 3);
        for i in 0..n {
            let v = y[i] - (0..3).map(|r| z[r][i] * pi[(r, 0)]).sum::<f64>();
            for a in 0..3 {
                for b in 0..3 {
                    meat[(a, b)] += v * v * z[a][i] * z[b][i];
                }
            }
        }
        let vpi = &zzi * &meat * &zzi;
        let x = spd_inverse(&vpi).expect("v") * &pi;
        let wald: f64 = (0..3).map(|i| pi[(i, 0)] * x[(i, 0)]).sum();
        assert!((rk - wald).abs() <= 1e-9 * wald, "{rk} vs {wald}");
    }

    /// The statistic does not depend on the order or scale of the endogenous regressors.
    #[test]
    fn invariant_to_scaling_the_endogenous_regressors() {
        let mut s = 11u64;
        let n = 80;
        let z: Vec<Vec<f64>> = (0..4)
            .map(|_| centered((0..n).map(|_| lcg(&mut s)).collect()))
            .collect();
        let y1 = centered(
            (0..n)
                .map(|i| z[0][i] + 0.5 * z[1][i] + lcg(&mut s))
                .collect(),
        );
        let y2 = centered((0..n).map(|i| z[2][i] - z[3][i] + lcg(&mut s)).collect());
        let codes: Vec<usize> = (0..n).map(|i| i / 4).collect();
        let a = kp_rk_wald(&[y1.clone(), y2.clone()], &z, &codes, n / 4).expect("a");
        let y1s: Vec<f64> = y1.iter().map(|v| 3.0 * v).collect();
        let b = kp_rk_wald(&[y2, y1s], &z, &codes, n / 4).expect("b");
        assert!((a - b).abs() <= 1e-9 * a, "{a} vs {b}");
    }
}
