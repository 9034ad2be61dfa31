//! Wild cluster bootstrap of one coefficient, restricted (WCR, the null imposed), as in
//! Roodman, MacKinnon, Nielsen and Webb (2019), "Fast and wild: Bootstrap inference in Stata
//! using boottest", Stata Journal 19(1), and fwildclusterboot / wildboottest (type "11":
//! CR1 variance in the bootstrap t).
//!
//! For H0: β_j = r in y = Xβ + e with clusters g = 1..G:
//!
//! * restricted fit β̃ = β̂ − (X'X)⁻¹e_j (β̂_j − r)/[(X'X)⁻¹]_jj, residuals ü = y − Xβ̃;
//! * draw v_g (Rademacher ±1, or Webb's six points ±√(1/2), ±1, ±√(3/2)), one per cluster;
//!   y* = Xβ̃ + v_g ü; t* = (β*_j − r)/se*(β*_j), se* the CR1 standard error of the bootstrap
//!   sample (factor `ssc`, which cancels in the p-value);
//! * symmetric p-value p = (1/B)·#{|t*| > |t|}; a draw whose |t*| equals |t| to a relative
//!   1e-10 does not count (wildboottest's strict inequality; in a full enumeration the all-ones
//!   draw reproduces the sample and its mirror image gives −t exactly in theory, so these two
//!   ties do not depend on rounding);
//! * with Rademacher weights and G ≤ 12 (or 2^G ≤ B) every one of the 2^G sign vectors is used
//!   once (full enumeration, exact and deterministic, as boottest and wildboottest when
//!   2^G ≤ B);
//! * the confidence interval inverts the test: the set of r with p(r) ≥ 1 − level, found by
//!   bisection on each side of β̂ to a width of 1e-9·se, the same draws for every r (boottest);
//!   each draw's t* is kept as a function of r (five numbers, [`NullPath`]), so a p-value of
//!   the search costs O(B), not another pass over the clusters.
//!
//! Per draw the work is O(G·k): with s_g = X_g'ü_g and a_j = row j of (X'X)⁻¹, the numerator is
//! Σ_g v_g a_j's_g and the cluster scores of the bootstrap residuals are
//! a_j'X_g'e*_g = v_g a_j's_g − (X_g'X_g a_j)'(X'X)⁻¹Σ_h v_h s_h.
//!
//! With fixed effects the caller passes the within-transformed data (no constant); this is
//! exact when the effects are nested in the clusters (then v is constant within each panel and
//! the transform commutes with the bootstrap DGP).

use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use super::error::EstimateError;
use super::linalg::{col, dot, spd_inverse};

/// The distribution of the bootstrap weights v_g.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BootWeights {
    /// ±1 with probability 1/2.
    Rademacher,
    /// Webb (2014) six-point: ±√(1/2), ±1, ±√(3/2), each with probability 1/6.
    Webb,
}

/// Name and description of each weight distribution (`--boot-weights`).
pub const BOOT_WEIGHTS: [(&str, BootWeights, &str); 2] = [
    (
        "rademacher",
        BootWeights::Rademacher,
        "±1 with probability 1/2 (full enumeration when 2^G ≤ B or G ≤ 12)",
    ),
    (
        "webb",
        BootWeights::Webb,
        "Webb's six points ±√(1/2), ±1, ±√(3/2); better with fewer than about 12 clusters",
    ),
];

impl BootWeights {
    /// Parse a `--boot-weights` name (case-insensitive).
    pub fn parse(name: &str) -> Option<BootWeights> {
        let key = name.trim().to_ascii_lowercase();
        BOOT_WEIGHTS
            .iter()
            .find(|(n, _, _)| *n == key)
            .map(|(_, w, _)| *w)
    }

    /// The name.
    pub fn as_str(self) -> &'static str {
        BOOT_WEIGHTS
            .iter()
            .find(|(_, w, _)| *w == self)
            .map_or("", |(n, _, _)| n)
    }
}

const WEBB: [f64; 6] = [
    -1.224_744_871_391_589,
    -1.0,
    -std::f64::consts::FRAC_1_SQRT_2,
    std::f64::consts::FRAC_1_SQRT_2,
    1.0,
    1.224_744_871_391_589,
];

/// Options of a wild cluster bootstrap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootOptions {
    /// Number of draws B (ignored under full enumeration, which uses 2^G).
    pub draws: usize,
    /// Weight distribution.
    pub weights: BootWeights,
    /// Seed of the generator (splitmix64).
    pub seed: u64,
    /// Confidence level of the interval (0.95).
    pub level: f64,
    /// Null value r of H0: β_j = r for the p-value.
    pub null: f64,
}

/// The most draws a bootstrap takes (its [`NullPath`] holds 40 bytes a draw).
pub const MAX_DRAWS: usize = 10_000_000;

/// Outcome of a wild cluster bootstrap test of one coefficient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootResult {
    /// The coefficient tested.
    pub coefficient: String,
    /// Null value r.
    pub null: f64,
    /// t statistic of the sample, (β̂_j − r)/se_CR1.
    pub t_stat: f64,
    /// Bootstrap p-value (symmetric).
    pub p_value: f64,
    /// Lower bound of the confidence interval by test inversion.
    pub ci_low: f64,
    /// Upper bound.
    pub ci_high: f64,
    /// Confidence level.
    pub level: f64,
    /// Draws used (2^G under full enumeration).
    pub draws: usize,
    /// Every sign vector used once.
    pub full_enumeration: bool,
    /// Weight distribution.
    pub weights: BootWeights,
    /// Seed.
    pub seed: u64,
    /// Number of clusters G.
    pub n_clusters: usize,
    /// Bootstrap type: "WCR11" (restricted, CR1 in the bootstrap t).
    pub method: String,
}

/// The weight vectors, regenerated identically on every pass from the seed.
struct Draws {
    weights: BootWeights,
    seed: u64,
    count: usize,
    enumerate: bool,
    g: usize,
}

impl Draws {
    fn new(opts: &BootOptions, g: usize) -> Self {
        let enumerate = opts.weights == BootWeights::Rademacher
            && (g <= 12 || (g < 63 && (1usize << g) <= opts.draws));
        Draws {
            weights: opts.weights,
            seed: opts.seed,
            count: if enumerate { 1usize << g } else { opts.draws },
            enumerate,
            g,
        }
    }

    /// Call `f` with each weight vector in turn.
    fn for_each(&self, mut f: impl FnMut(&[f64])) {
        let mut v = vec![0.0; self.g];
        if self.enumerate {
            for b in 0..self.count {
                for (i, x) in v.iter_mut().enumerate() {
                    *x = if (b >> i) & 1 == 1 { 1.0 } else { -1.0 };
                }
                f(&v);
            }
            return;
        }
        let mut rng = crate::rng::SplitMix64::new(self.seed);
        for _ in 0..self.count {
            match self.weights {
                BootWeights::Rademacher => {
                    for x in v.iter_mut() {
                        *x = if rng.next_u64() >> 63 == 1 { 1.0 } else { -1.0 };
                    }
                }
                BootWeights::Webb => {
                    for x in v.iter_mut() {
                        // Multiply-shift: an unbiased-enough index in 0..6 from the top bits.
                        let idx = rng.below(6);
                        *x = WEBB[idx];
                    }
                }
            }
            f(&v);
        }
    }
}

/// Cluster sums of the data that do not depend on the null value.
struct Prepared {
    k: usize,
    g: usize,
    /// (X'X)⁻¹.
    ainv: Mat<f64>,
    /// β̂.
    beta: Vec<f64>,
    /// X_g'y per cluster (G×k).
    xty_g: Mat<f64>,
    /// X_g'X_g per cluster.
    xtx_g: Vec<Mat<f64>>,
    /// d_g = X_g'X_g a_j (G×k).
    d: Mat<f64>,
    j: usize,
    ssc: f64,
}

impl Prepared {
    fn new(
        y: &[f64],
        x: MatRef<'_, f64>,
        clusters: &[usize],
        g: usize,
        j: usize,
        ssc: f64,
    ) -> Result<Self, EstimateError> {
        let k = x.ncols();
        let n = y.len();
        let mut xtx_g = vec![Mat::<f64>::zeros(k, k); g];
        let mut xty_g = Mat::<f64>::zeros(g, k);
        for i in 0..n {
            let c = clusters[i];
            for a in 0..k {
                let xa = x[(i, a)];
                xty_g[(c, a)] += xa * y[i];
                for b in 0..k {
                    xtx_g[c][(a, b)] += xa * x[(i, b)];
                }
            }
        }
        let xtx = Mat::from_fn(k, k, |a, b| dot(col(x, a), col(x, b)));
        let ainv = spd_inverse(&xtx).ok_or_else(|| EstimateError::Numerical {
            step: "wild bootstrap".to_string(),
            detail: "X'X is singular".to_string(),
        })?;
        let xty: Vec<f64> = (0..k).map(|a| dot(col(x, a), y)).collect();
        let beta: Vec<f64> = (0..k)
            .map(|a| (0..k).map(|b| ainv[(a, b)] * xty[b]).sum())
            .collect();
        let d = Mat::from_fn(g, k, |c, a| {
            (0..k).map(|b| xtx_g[c][(a, b)] * ainv[(b, j)]).sum()
        });
        Ok(Prepared {
            k,
            g,
            ainv,
            beta,
            xty_g,
            xtx_g,
            d,
            j,
            ssc,
        })
    }

    /// Cluster scores X_g'(y − Xb) (G×k).
    fn scores(&self, b: &[f64]) -> Mat<f64> {
        Mat::from_fn(self.g, self.k, |c, a| {
            self.xty_g[(c, a)]
                - (0..self.k)
                    .map(|m| self.xtx_g[c][(a, m)] * b[m])
                    .sum::<f64>()
        })
    }

    fn aj_dot(&self, s: &Mat<f64>, c: usize) -> f64 {
        (0..self.k)
            .map(|a| self.ainv[(self.j, a)] * s[(c, a)])
            .sum()
    }

    /// t statistic of the sample for H0: β_j = r.
    fn t_stat(&self, r: f64) -> f64 {
        let s = self.scores(&self.beta);
        let var: f64 = (0..self.g)
            .map(|c| {
                let u = self.aj_dot(&s, c);
                u * u
            })
            .sum::<f64>()
            * self.ssc;
        (self.beta[self.j] - r) / var.sqrt()
    }

    /// The restricted cluster scores and their a_j-projections c_g = a_j's_g at null value r.
    fn restricted(&self, r: f64) -> (Mat<f64>, Vec<f64>) {
        let (k, j) = (self.k, self.j);
        let shift = (self.beta[j] - r) / self.ainv[(j, j)];
        let btilde: Vec<f64> = (0..k)
            .map(|a| self.beta[a] - self.ainv[(a, j)] * shift)
            .collect();
        let s = self.scores(&btilde);
        let cg = (0..self.g).map(|c| self.aj_dot(&s, c)).collect();
        (s, cg)
    }

    /// Every draw's bootstrap t as a function of the null value r = β̂_j + δ
    /// ([`NullPath`]): one pass over the draws, O(B·G·k).
    fn null_path(&self, draws: &Draws) -> NullPath {
        let (k, g) = (self.k, self.g);
        let bhat = self.beta[self.j];
        // The restricted fit is affine in r, so are its scores: s(δ) = s0 + δ·s1, the slope
        // taken over one standard error (the scale of the δ the search visits).
        let se = (1.0 / self.t_stat(bhat + 1.0)).abs();
        let h = if se.is_finite() && se > 0.0 { se } else { 1.0 };
        let (s0, c0) = self.restricted(bhat);
        let (s_h, c_h) = self.restricted(bhat + h);
        let s1 = Mat::from_fn(g, k, |c, a| (s_h[(c, a)] - s0[(c, a)]) / h);
        let c1: Vec<f64> = (0..g).map(|c| (c_h[c] - c0[c]) / h).collect();
        let mut path = NullPath::with_capacity(draws.count);
        let (mut w0, mut w1) = (vec![0.0; k], vec![0.0; k]);
        let (mut u0, mut u1) = (vec![0.0; k], vec![0.0; k]);
        draws.for_each(|v| {
            w0.iter_mut().for_each(|x| *x = 0.0);
            w1.iter_mut().for_each(|x| *x = 0.0);
            let (mut n0, mut n1) = (0.0, 0.0);
            for c in 0..g {
                n0 += v[c] * c0[c];
                n1 += v[c] * c1[c];
                for a in 0..k {
                    w0[a] += v[c] * s0[(c, a)];
                    w1[a] += v[c] * s1[(c, a)];
                }
            }
            for a in 0..k {
                u0[a] = (0..k).map(|b| self.ainv[(a, b)] * w0[b]).sum();
                u1[a] = (0..k).map(|b| self.ainv[(a, b)] * w1[b]).sum();
            }
            // Cluster c's score of the bootstrap residuals along a_j: z0_c + δ·z1_c.
            let (mut p, mut q, mut r) = (0.0, 0.0, 0.0);
            for c in 0..g {
                let z0 = v[c] * c0[c] - (0..k).map(|a| self.d[(c, a)] * u0[a]).sum::<f64>();
                let z1 = v[c] * c1[c] - (0..k).map(|a| self.d[(c, a)] * u1[a]).sum::<f64>();
                p += z0 * z0;
                q += z0 * z1;
                r += z1 * z1;
            }
            path.push(n0, n1, p, q, r);
        });
        path
    }

    /// Bootstrap p-value of H0: β_j = r (WCR), from the draws' [`NullPath`]: O(B).
    fn p_value(&self, r: f64, path: &NullPath) -> f64 {
        let t = self.t_stat(r).abs();
        let delta = r - self.beta[self.j];
        let exceed = path.count_exceeding(delta, t * (1.0 + 1e-10), self.ssc);
        exceed as f64 / path.len() as f64
    }
}

/// The bootstrap t of every draw as a function of the null value r = β̂_j + δ. The restricted
/// coefficients are affine in r, so are the bootstrap numerator n(δ) = n0 + δ·n1 and each
/// cluster's score z_c(δ) = z0_c + δ·z1_c, and the CR1 denominator is the quadratic
/// Σ_c z_c(δ)² = P + 2δQ + δ²R: t*(δ) = n(δ)/√(ssc·(P + 2δQ + δ²R)). Five numbers a draw make
/// each p-value of the test inversion O(B) instead of O(B·G·k) (Roodman et al. 2019 §3.3:
/// boottest's confidence-set search reuses the draws the same way).
struct NullPath {
    n0: Vec<f64>,
    n1: Vec<f64>,
    p: Vec<f64>,
    q: Vec<f64>,
    r: Vec<f64>,
}

impl NullPath {
    fn with_capacity(n: usize) -> Self {
        NullPath {
            n0: Vec::with_capacity(n),
            n1: Vec::with_capacity(n),
            p: Vec::with_capacity(n),
            q: Vec::with_capacity(n),
            r: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, n0: f64, n1: f64, p: f64, q: f64, r: f64) {
        self.n0.push(n0);
        self.n1.push(n1);
        self.p.push(p);
        self.q.push(q);
        self.r.push(r);
    }

    fn len(&self) -> usize {
        self.n0.len()
    }

    /// Draws whose |t*(δ)| exceeds `threshold`.
    fn count_exceeding(&self, delta: f64, threshold: f64, ssc: f64) -> usize {
        (0..self.len())
            .filter(|&b| {
                let numer = self.n0[b] + delta * self.n1[b];
                // A sum of squares: rounding may not take it below zero.
                let den = (self.p[b] + delta * (2.0 * self.q[b] + delta * self.r[b])).max(0.0);
                (numer / (ssc * den).sqrt()).abs() > threshold
            })
            .count()
    }
}

/// Wild cluster bootstrap (WCR11) of coefficient `j` of the regression of `y` on the columns of
/// `x` (include the constant column for a pooled model; within-transformed data without a
/// constant for fixed effects nested in the clusters). `clusters` are dense codes 0..g; `ssc`
/// is the CR1 small-sample factor of the reported t (it cancels in the p-value and the
/// interval); `name` names the coefficient in the result.
#[allow(clippy::too_many_arguments)]
pub fn wild_cluster_bootstrap(
    y: &[f64],
    x: MatRef<'_, f64>,
    clusters: &[usize],
    g: usize,
    j: usize,
    name: &str,
    ssc: f64,
    opts: &BootOptions,
) -> Result<BootResult, EstimateError> {
    let bad = |option: &str, value: String, reason: &str| EstimateError::InvalidOption {
        option: option.to_string(),
        value,
        reason: reason.to_string(),
    };
    if g < 2 {
        return Err(EstimateError::TooFewClusters {
            cluster: "bootstrap clusters".to_string(),
            clusters: g,
        });
    }
    if opts.draws == 0 {
        return Err(bad(
            "boot",
            "0".to_string(),
            "the number of draws must be positive",
        ));
    }
    if opts.draws > MAX_DRAWS {
        return Err(bad(
            "boot",
            opts.draws.to_string(),
            "at most 10,000,000 draws (each keeps five numbers for the interval search, 400 MB \
             at the limit; a p-value from 10^7 draws is already within ±0.0003): use fewer, \
             e.g. --boot 99999",
        ));
    }
    if !(opts.level > 0.0 && opts.level < 1.0) {
        return Err(bad(
            "level",
            opts.level.to_string(),
            "the confidence level must be strictly between 0 and 1",
        ));
    }
    if j >= x.ncols() || clusters.len() != y.len() || x.nrows() != y.len() {
        return Err(bad(
            "boot",
            name.to_string(),
            "the coefficient, clusters and data do not match",
        ));
    }
    if clusters.iter().any(|&c| c >= g) {
        return Err(bad("boot", name.to_string(), "cluster codes must be 0..G"));
    }
    let prep = Prepared::new(y, x, clusters, g, j, ssc)?;
    let draws = Draws::new(opts, g);
    let path = prep.null_path(&draws);
    let t_stat = prep.t_stat(opts.null);
    let p_value = prep.p_value(opts.null, &path);
    let alpha = 1.0 - opts.level;
    let se = (prep.beta[j] - opts.null) / t_stat;
    let se = if se.is_finite() && se != 0.0 {
        se.abs()
    } else {
        let t1 = prep.t_stat(prep.beta[j] + 1.0);
        (1.0 / t1).abs()
    };
    let bhat = prep.beta[j];
    let bound = |dir: f64| -> f64 {
        // Step out until the test rejects, then bisect the crossing.
        let mut inside = bhat;
        let mut step = 2.0 * se;
        let mut outside = bhat + dir * step;
        let mut tries = 0;
        while prep.p_value(outside, &path) >= alpha {
            inside = outside;
            step *= 2.0;
            outside = bhat + dir * step;
            tries += 1;
            if tries > 60 {
                return f64::INFINITY * dir;
            }
        }
        while (outside - inside).abs() > 1e-9 * se {
            let mid = 0.5 * (inside + outside);
            if prep.p_value(mid, &path) >= alpha {
                inside = mid;
            } else {
                outside = mid;
            }
        }
        0.5 * (inside + outside)
    };
    let ci_low = bound(-1.0);
    let ci_high = bound(1.0);
    Ok(BootResult {
        coefficient: name.to_string(),
        null: opts.null,
        t_stat,
        p_value,
        ci_low,
        ci_high,
        level: opts.level,
        draws: draws.count,
        full_enumeration: draws.enumerate,
        weights: opts.weights,
        seed: opts.seed,
        n_clusters: g,
        method: "WCR11".to_string(),
    })
}

#[cfg(test)]
mod tests;

/// The wild cluster bootstrap of coefficient `param` (default: the first estimated regressor)
/// of a fit of `design`: pooled and first differences on [X, 1]; `fe` on the within-transformed
/// data (panels nested in the clusters, which the clustered fit has checked). The fit's primary
/// covariance must be clustered (its CR1 factor gives the reported t).
pub fn bootstrap_fit(
    design: &super::design::Design,
    result: &super::results::EstimationResult,
    param: Option<&str>,
    opts: &BootOptions,
) -> Result<BootResult, EstimateError> {
    use super::estimators::Method;
    use super::results::CovarianceKind;
    let invalid = |value: &str, reason: String| EstimateError::InvalidOption {
        option: "boot".to_string(),
        value: value.to_string(),
        reason,
    };
    let info = result.estimator.info();
    let within = match (info.method, info.time_effects) {
        (Method::Ols, _) => false,
        (Method::Within, false) => true,
        _ => {
            return Err(invalid(
                info.name,
                "the wild cluster bootstrap is implemented for pooled, fd and fe".to_string(),
            ))
        }
    };
    let cov = result
        .primary()
        .ok_or_else(|| invalid("", "no covariance".to_string()))?;
    if !matches!(
        cov.kind,
        CovarianceKind::Cluster | CovarianceKind::ClusterPanel
    ) {
        return Err(invalid(
            cov.kind.key(),
            "the wild cluster bootstrap needs a clustered VCE: --vce cluster (fe: also robust)"
                .to_string(),
        ));
    }
    let ssc = cov.factor.unwrap_or(1.0);
    // Kept regressors (design column indices) in coefficient order.
    let kept: Vec<(usize, &str)> = result
        .terms
        .iter()
        .filter(|t| t.name != "_cons")
        .filter_map(|t| {
            let col = design.regressor_names.iter().position(|n| *n == t.name)?;
            t.index.map(|_| (col, t.name.as_str()))
        })
        .collect();
    let name = match param {
        Some(p) => p.trim().to_string(),
        None => kept
            .first()
            .map(|(_, n)| n.to_string())
            .ok_or_else(|| invalid("", "there is no regressor to test".to_string()))?,
    };
    let j = kept.iter().position(|(_, n)| *n == name).ok_or_else(|| {
        invalid(
            &name,
            format!(
                "not an estimated coefficient of the model; choose one of {}",
                kept.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let n = design.n_obs();
    let y: Vec<f64> = design.y.iter().copied().collect();
    let (clusters, g): (Vec<usize>, usize) = match (&design.cluster, cov.kind) {
        (Some(c), CovarianceKind::Cluster) => (c.codes.clone(), c.labels.len()),
        _ => (design.panel.clone(), design.panel_labels.len()),
    };
    let k = kept.len() + usize::from(!within);
    let (y, x) = if within {
        let panels = super::stats::Panels::new(&design.panel, design.n_groups());
        let demean = |v: &[f64]| {
            let m = panels.means(v);
            v.iter()
                .zip(&design.panel)
                .map(|(a, &p)| a - m[p])
                .collect::<Vec<f64>>()
        };
        let cols: Vec<Vec<f64>> = kept
            .iter()
            .map(|&(c, _)| demean(&design.x.column(c).to_vec()))
            .collect();
        (demean(&y), Mat::from_fn(n, k, |i, a| cols[a][i]))
    } else {
        let x = Mat::from_fn(n, k, |i, a| {
            if a < kept.len() {
                design.x[(i, kept[a].0)]
            } else {
                1.0
            }
        });
        (y, x)
    };
    wild_cluster_bootstrap(&y, x.as_ref(), &clusters, g, j, &name, ssc, opts)
}
