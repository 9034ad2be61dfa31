//! Covariance estimators and the inference built on them (reference/econometrics.md §2, §3.2,
//! §3.4, §7.3, §8, §10, §11): conventional, HC1, CR1 with Stata's factors per estimator,
//! areg-style variants, Driscoll–Kraay; t or z statistics, p-values, intervals, model tests.

use faer::Mat;
use ndarray::{Array1, Array2};

use super::design::ClusterIds;
use super::dist;
use super::error::EstimateError;
use super::estimators::RobustMeaning;
use super::linalg::{cross_product, sandwich, wald_statistic};
use super::results::{CovarianceKind, CovarianceResult, Distribution, Estimator, TestResult};

/// What every estimator hands to the covariance code: the regression that was actually fitted
/// (transformed regressors Z incl. the constant column, residuals, bread (Z'Z)⁻¹).
pub(crate) struct Core<'a> {
    pub estimator: Estimator,
    pub b: Vec<f64>,
    /// (Z'Z)⁻¹, K×K.
    pub bread: Mat<f64>,
    /// Regressors of the fitted regression, N×K (scores are rows of Z times e).
    pub z: Mat<f64>,
    pub resid: Vec<f64>,
    /// Residual variance of the conventional VCE.
    pub s2: f64,
    /// Residual df of the conventional VCE (t df).
    pub df_r: i64,
    /// Indices tested by the model test (every coefficient but the constant).
    pub slope_idx: Vec<usize>,
    /// Absorbed panel effects n (FE) counted by the areg-style factors.
    pub n_absorbed: usize,
    /// z inference (RE).
    pub normal: bool,
    /// Classical model F for the conventional VCE (regress: (MSS/df_m)/s²); else Wald/q.
    pub classical_f: Option<f64>,
    pub panel: &'a [usize],
    pub panel_var: &'a str,
    pub panel_labels: &'a [String],
    pub time: &'a [i64],
    pub cluster: Option<&'a ClusterIds>,
}

impl Core<'_> {
    fn n(&self) -> usize {
        self.resid.len()
    }

    fn k_total(&self) -> usize {
        self.b.len()
    }

    fn requires_nesting(&self) -> bool {
        self.estimator.info().clusters_nest_panels
    }
}

/// Scores z_i e_i summed within groups: G×K. Each group's sum accumulates its rows in row
/// order; a run of rows of the same group (the usual case: designs are sorted by panel) is
/// summed in registers, up to four columns side by side, instead of through memory.
fn group_scores(core: &Core<'_>, codes: &[usize], groups: usize) -> Mat<f64> {
    let k = core.k_total();
    let mut s = Mat::<f64>::zeros(groups, k);
    let mut j0 = 0;
    while j0 < k {
        let width = (k - j0).min(4);
        match width {
            1 => group_score_block::<1>(core, codes, j0, &mut s),
            2 => group_score_block::<2>(core, codes, j0, &mut s),
            3 => group_score_block::<3>(core, codes, j0, &mut s),
            _ => group_score_block::<4>(core, codes, j0, &mut s),
        }
        j0 += width;
    }
    s
}

/// Columns j0..j0+B of [`group_scores`]. The running sum of a group is loaded from and stored
/// back to `s` at run boundaries, so the additions are exactly those of `s[g] += z e` row by row.
fn group_score_block<const B: usize>(
    core: &Core<'_>,
    codes: &[usize],
    j0: usize,
    s: &mut Mat<f64>,
) {
    let n = codes.len().min(core.resid.len());
    let groups = s.nrows();
    let zc: [&[f64]; B] = std::array::from_fn(|b| {
        let c = core.z.col_as_slice(j0 + b);
        &c[..n.min(c.len())]
    });
    if zc.iter().any(|c| c.len() < n) {
        return;
    }
    let resid = &core.resid[..n];
    let mut acc = [0.0f64; B];
    let mut current: Option<usize> = None;
    for i in 0..n {
        let g = codes[i];
        if current != Some(g) {
            if g >= groups {
                continue;
            }
            if let Some(prev) = current {
                for (b, a) in acc.iter().enumerate() {
                    s[(prev, j0 + b)] = *a;
                }
            }
            for (b, a) in acc.iter_mut().enumerate() {
                *a = s[(g, j0 + b)];
            }
            current = Some(g);
        }
        let e = resid[i];
        for b in 0..B {
            acc[b] += zc[b][i] * e;
        }
    }
    if let Some(prev) = current {
        for (b, a) in acc.iter().enumerate() {
            s[(prev, j0 + b)] = *a;
        }
    }
}

/// HC meat Σ e_i² z_i z_i'.
fn hc_meat(core: &Core<'_>) -> Mat<f64> {
    let n = core.n();
    let k = core.k_total();
    let mut s = Mat::<f64>::zeros(n, k);
    for j in 0..k {
        let zc = core.z.col_as_slice(j);
        let out = s.col_as_slice_mut(j);
        for i in 0..n {
            out[i] = zc[i] * core.resid[i];
        }
    }
    cross_product(&s)
}

/// Driscoll–Kraay meat: h_t = Σ_i z_it e_it per period (consecutive codes t − t_min), then
/// Γ_0 + Σ_{l≤L} (1 − l/(L+1))(Γ_l + Γ_l'), Γ_l = Σ_t h_t h_{t−l}' (econometrics.md §11).
fn dk_meat(core: &Core<'_>, lags: u32) -> (Mat<f64>, usize) {
    let t_min = core.time.iter().copied().min().unwrap_or(0);
    let t_max = core.time.iter().copied().max().unwrap_or(0);
    let periods = (t_max - t_min + 1).max(1) as usize;
    let codes: Vec<usize> = core.time.iter().map(|&t| (t - t_min) as usize).collect();
    let h = group_scores(core, &codes, periods);
    let mut m = cross_product(&h);
    let k = core.k_total();
    for l in 1..=(lags as usize).min(periods.saturating_sub(1)) {
        let w = 1.0 - l as f64 / (f64::from(lags) + 1.0);
        let rows = periods - l;
        let late = h.as_ref().subrows(l, rows);
        let early = h.as_ref().subrows(0, rows);
        let g = late.transpose() * early;
        for a in 0..k {
            for c in 0..k {
                m[(a, c)] += w * (g[(a, c)] + g[(c, a)]);
            }
        }
    }
    (m, periods)
}

/// Stata r(498) check: each panel lies entirely inside one cluster.
fn check_nested(core: &Core<'_>, cl: &ClusterIds) -> Result<(), EstimateError> {
    check_panels_nested(core.panel, core.panel_labels, cl)
}

/// Stata r(498) check on panel codes (`panel_labels` name them): each panel lies entirely
/// inside one cluster of `cl`.
pub(crate) fn check_panels_nested(
    panel: &[usize],
    panel_labels: &[String],
    cl: &ClusterIds,
) -> Result<(), EstimateError> {
    let mut seen: Vec<Option<usize>> = vec![None; panel_labels.len()];
    for (&p, &c) in panel.iter().zip(&cl.codes) {
        match seen.get(p).copied().flatten() {
            None => {
                if let Some(s) = seen.get_mut(p) {
                    *s = Some(c);
                }
            }
            Some(prev) if prev != c => {
                return Err(EstimateError::PanelsNotNested {
                    cluster: cl.name.clone(),
                    panel: panel_labels.get(p).cloned().unwrap_or_default(),
                    first: cl.labels.get(prev).cloned().unwrap_or_default(),
                    second: cl.labels.get(c).cloned().unwrap_or_default(),
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Default Driscoll–Kraay lag length of xtscc: ⌊4(T/100)^(2/9)⌋.
pub fn default_dk_lags(periods: usize) -> u32 {
    (4.0 * (periods as f64 / 100.0).powf(2.0 / 9.0)).floor() as u32
}

/// A covariance matrix with its small-sample factor, t df and description: what
/// [`inference`] turns into a [`CovarianceResult`].
pub(crate) struct Sandwiched {
    v: Mat<f64>,
    factor: Option<f64>,
    df: Option<i64>,
    cluster_var: Option<String>,
    n_clusters: Option<usize>,
    k_in_factor: Option<usize>,
    lags: Option<u32>,
    n_periods: Option<usize>,
    label: String,
}

fn unsupported(kind: CovarianceKind, estimator: Estimator, hint: &str) -> EstimateError {
    EstimateError::UnsupportedCovariance {
        covariance: kind.key().to_string(),
        estimator: estimator.as_str().to_string(),
        hint: hint.to_string(),
    }
}

/// Cluster identifiers borrowed from the design (panel codes or a cluster variable).
struct Clusters<'a> {
    name: &'a str,
    codes: &'a [usize],
    count: usize,
}

impl<'a> Clusters<'a> {
    fn of(cl: &'a ClusterIds) -> Self {
        Clusters {
            name: &cl.name,
            codes: &cl.codes,
            count: cl.labels.len(),
        }
    }

    fn panels(core: &'a Core<'a>) -> Self {
        Clusters {
            name: core.panel_var,
            codes: core.panel,
            count: core.panel_labels.len(),
        }
    }
}

fn clustered(
    core: &Core<'_>,
    kind: CovarianceKind,
    cl: &Clusters<'_>,
    k_in_factor: usize,
) -> Result<Sandwiched, EstimateError> {
    let meat = |k: usize| cross_product(&group_scores(core, cl.codes, k));
    cluster_sandwich(
        core.estimator,
        core.n(),
        &core.bread,
        kind,
        (cl.name, cl.count),
        k_in_factor,
        meat,
    )
}

/// CR1: `factor`·B·(Σ_g s_g s_g')·B with factor G/(G−1)·(N−1)/(N−k_in_factor), t(G−1).
/// `meat(G)` gives Σ_g s_g s_g' over the G clusters of `cluster` = (name, G); it is called
/// only after the checks (at least two clusters, positive N − k_in_factor).
pub(crate) fn cluster_sandwich(
    estimator: Estimator,
    n_obs: usize,
    bread: &Mat<f64>,
    kind: CovarianceKind,
    cluster: (&str, usize),
    k_in_factor: usize,
    meat: impl FnOnce(usize) -> Mat<f64>,
) -> Result<Sandwiched, EstimateError> {
    let (name, g) = cluster;
    if g < 2 {
        return Err(EstimateError::TooFewClusters {
            cluster: name.to_string(),
            clusters: g,
        });
    }
    let n = n_obs as f64;
    let dof = n - k_in_factor as f64;
    if dof <= 0.0 {
        return Err(EstimateError::InsufficientObservations {
            estimator: estimator.as_str().to_string(),
            available: n_obs,
            unit: "observations".to_string(),
            parameters: k_in_factor,
            df: dof as i64,
        });
    }
    let meat = meat(g);
    let gf = g as f64;
    let factor = gf / (gf - 1.0) * (n - 1.0) / dof;
    Ok(Sandwiched {
        v: sandwich(bread, &meat, factor),
        factor: Some(factor),
        df: Some(g as i64 - 1),
        cluster_var: Some(name.to_string()),
        n_clusters: Some(g),
        k_in_factor: Some(k_in_factor),
        lags: None,
        n_periods: None,
        label: match kind {
            CovarianceKind::ClusterAregStyle => {
                format!("Clustered on {name} (areg-style: absorbed effects counted)")
            }
            _ => format!("Robust, clustered on {name}"),
        },
    })
}

/// Conventional s²·B; t(df_r), or z when `normal`.
pub(crate) fn conventional_sandwich(
    bread: &Mat<f64>,
    s2: f64,
    df_r: i64,
    normal: bool,
) -> Sandwiched {
    let k = bread.nrows();
    Sandwiched {
        v: Mat::from_fn(k, k, |i, j| s2 * bread[(i, j)]),
        factor: None,
        df: (!normal).then_some(df_r),
        cluster_var: None,
        n_clusters: None,
        k_in_factor: None,
        lags: None,
        n_periods: None,
        label: "Conventional".to_string(),
    }
}

/// HC1 of `regress, vce(robust)`: N/(N−K)·B·meat·B with K = all coefficients, t(df_r).
pub(crate) fn hc1_sandwich(
    bread: &Mat<f64>,
    meat: &Mat<f64>,
    n_obs: usize,
    df_r: i64,
) -> Sandwiched {
    let k_total = bread.nrows();
    let factor = n_obs as f64 / (n_obs as f64 - k_total as f64);
    Sandwiched {
        v: sandwich(bread, meat, factor),
        factor: Some(factor),
        df: Some(df_r),
        cluster_var: None,
        n_clusters: None,
        k_in_factor: Some(k_total),
        lags: None,
        n_periods: None,
        label: "Robust (HC1)".to_string(),
    }
}

/// HC1 counting the absorbed effects (areg/reghdfe/fixest "hetero"): N/(N−k−n), t(N−k−n).
pub(crate) fn hc1_areg_sandwich(
    bread: &Mat<f64>,
    meat: &Mat<f64>,
    n_obs: usize,
    slopes: usize,
    n_absorbed: usize,
) -> Sandwiched {
    let n = n_obs as f64;
    let dof = n - (slopes + n_absorbed) as f64;
    let factor = n / dof;
    Sandwiched {
        v: sandwich(bread, meat, factor),
        factor: Some(factor),
        df: Some(dof as i64),
        cluster_var: None,
        n_clusters: None,
        k_in_factor: Some(slopes + n_absorbed),
        lags: None,
        n_periods: None,
        label: "Robust (HC1, absorbed effects counted: areg/reghdfe/fixest)".to_string(),
    }
}

fn sandwich_for(core: &Core<'_>, kind: CovarianceKind) -> Result<Sandwiched, EstimateError> {
    let est = core.estimator;
    let info = est.info();
    let n = core.n();
    let k_total = core.k_total();
    let fe_like = info.panel_effects;
    match kind {
        CovarianceKind::Conventional => Ok(conventional_sandwich(
            &core.bread,
            core.s2,
            core.df_r,
            core.normal,
        )),
        CovarianceKind::RobustHc1 => {
            if info.robust != RobustMeaning::Hc1 {
                return Err(unsupported(
                    kind,
                    est,
                    "xtreg's vce(robust) is the cluster-robust VCE on the panel (ClusterPanel); \
                     HC1 with absorbed effects counted is Hc1AregStyle",
                ));
            }
            Ok(hc1_sandwich(&core.bread, &hc_meat(core), n, core.df_r))
        }
        CovarianceKind::Hc1AregStyle => {
            if !fe_like {
                return Err(unsupported(
                    kind,
                    est,
                    "defined only for estimators that absorb panel fixed effects; use RobustHc1 \
                     after regress",
                ));
            }
            Ok(hc1_areg_sandwich(
                &core.bread,
                &hc_meat(core),
                n,
                core.slope_idx.len(),
                core.n_absorbed,
            ))
        }
        CovarianceKind::ClusterPanel => {
            if !info.clusters {
                return Err(unsupported(kind, est, "it has only the conventional VCE"));
            }
            clustered(core, kind, &Clusters::panels(core), k_total)
        }
        CovarianceKind::Cluster => {
            if !info.clusters {
                return Err(unsupported(kind, est, "it has only the conventional VCE"));
            }
            let cl = core.cluster.ok_or(EstimateError::MissingClusterVariable)?;
            if core.requires_nesting() {
                check_nested(core, cl)?;
            }
            clustered(core, kind, &Clusters::of(cl), k_total)
        }
        CovarianceKind::ClusterAregStyle => {
            if !fe_like {
                return Err(unsupported(
                    kind,
                    est,
                    "defined only for estimators that absorb panel fixed effects",
                ));
            }
            let cl = match core.cluster {
                Some(c) => {
                    check_nested(core, c)?;
                    Clusters::of(c)
                }
                None => Clusters::panels(core),
            };
            clustered(core, kind, &cl, core.slope_idx.len() + core.n_absorbed)
        }
        CovarianceKind::DriscollKraay { lags } => {
            if !info.driscoll_kraay {
                let with: Vec<&str> = super::estimators::ESTIMATORS
                    .iter()
                    .filter(|e| e.driscoll_kraay)
                    .map(|e| e.name)
                    .collect();
                return Err(unsupported(
                    kind,
                    est,
                    &format!("Driscoll–Kraay is implemented for {}", with.join(", ")),
                ));
            }
            let t_min = core.time.iter().copied().min().unwrap_or(0);
            let t_max = core.time.iter().copied().max().unwrap_or(0);
            let periods = (t_max - t_min + 1).max(1) as usize;
            if periods < 2 {
                return Err(unsupported(
                    kind,
                    est,
                    "Driscoll–Kraay needs at least two periods",
                ));
            }
            let lags = lags.unwrap_or_else(|| default_dk_lags(periods));
            let (meat, periods) = dk_meat(core, lags);
            let tf = periods as f64;
            let factor = tf / (tf - 1.0) * (n as f64 - 1.0) / (n as f64 - k_total as f64);
            Ok(Sandwiched {
                v: sandwich(&core.bread, &meat, factor),
                factor: Some(factor),
                df: Some(periods as i64 - 1),
                cluster_var: None,
                n_clusters: None,
                k_in_factor: Some(k_total),
                lags: Some(lags),
                n_periods: Some(periods),
                label: format!("Driscoll–Kraay (Bartlett, {lags} lags)"),
            })
        }
    }
}

/// Compute one covariance variant with its coefficient inference and model test.
pub(crate) fn covariance(
    core: &Core<'_>,
    kind: CovarianceKind,
    level: f64,
) -> Result<CovarianceResult, EstimateError> {
    let s = sandwich_for(core, kind)?;
    let coefs = Coefficients {
        estimator: core.estimator,
        b: &core.b,
        slope_idx: &core.slope_idx,
        normal: core.normal,
        classical_f: core.classical_f,
        n_obs: core.n(),
    };
    inference(&coefs, kind, s, level)
}

/// The coefficients a covariance is for and how they are tested.
pub(crate) struct Coefficients<'a> {
    pub estimator: Estimator,
    /// All coefficients, the constant last.
    pub b: &'a [f64],
    /// Indices tested by the model test (every coefficient but the constant).
    pub slope_idx: &'a [usize],
    /// z inference (RE).
    pub normal: bool,
    /// Classical model F for the conventional VCE (regress: (MSS/df_m)/s²); else Wald/q.
    pub classical_f: Option<f64>,
    /// N (named in the error when the t df are not positive).
    pub n_obs: usize,
}

/// Standard errors, t or z statistics, p-values, intervals and the model test of `coefs`
/// under the covariance `s`.
pub(crate) fn inference(
    coefs: &Coefficients<'_>,
    kind: CovarianceKind,
    s: Sandwiched,
    level: f64,
) -> Result<CovarianceResult, EstimateError> {
    let k = coefs.b.len();
    let normal = coefs.normal;
    let df = if normal { None } else { s.df };
    if let Some(d) = df {
        if d <= 0 {
            return Err(EstimateError::InsufficientObservations {
                estimator: coefs.estimator.as_str().to_string(),
                available: coefs.n_obs,
                unit: "observations".to_string(),
                parameters: k,
                df: d,
            });
        }
    }
    let df_f = df.map(|d| d as f64);
    let crit = dist::critical_value(level, df_f);
    let mut std_error = Vec::with_capacity(k);
    let mut statistic = Vec::with_capacity(k);
    let mut p_value = Vec::with_capacity(k);
    let mut ci_low = Vec::with_capacity(k);
    let mut ci_high = Vec::with_capacity(k);
    for i in 0..k {
        let var = s.v[(i, i)];
        let se = if var >= 0.0 { var.sqrt() } else { f64::NAN };
        let b = coefs.b[i];
        let t = b / se;
        let p = match df_f {
            Some(d) => dist::t_two_sided_p(t, d),
            None => dist::normal_two_sided_p(t),
        };
        std_error.push(se);
        statistic.push(t);
        p_value.push(p);
        ci_low.push(b - crit * se);
        ci_high.push(b + crit * se);
    }
    let q = coefs.slope_idx.len();
    let model_test = if q == 0 {
        None
    } else if let (CovarianceKind::Conventional, Some(f), Some(d)) = (kind, coefs.classical_f, df) {
        Some(f_test(f, q, d))
    } else {
        wald_statistic(coefs.b, &s.v, coefs.slope_idx).map(|w| match df {
            Some(d) => f_test(w / q as f64, q, d),
            None => TestResult {
                distribution: "chi2".to_string(),
                stat: w,
                df1: q as u64,
                df2: None,
                p_value: dist::chi2_upper_p(w, q as f64),
            },
        })
    };
    Ok(CovarianceResult {
        kind: match kind {
            CovarianceKind::DriscollKraay { .. } => CovarianceKind::DriscollKraay { lags: s.lags },
            other => other,
        },
        label: s.label,
        distribution: if normal {
            Distribution::Normal
        } else {
            Distribution::T
        },
        df: df.map(|d| d as u64),
        level,
        critical_value: crit,
        factor: s.factor,
        cluster_var: s.cluster_var,
        n_clusters: s.n_clusters,
        k_in_factor: s.k_in_factor,
        lags: s.lags,
        n_periods: s.n_periods,
        vcov: Array2::from_shape_fn((k, k), |(i, j)| s.v[(i, j)]),
        std_error: Array1::from(std_error),
        statistic: Array1::from(statistic),
        p_value: Array1::from(p_value),
        ci_low: Array1::from(ci_low),
        ci_high: Array1::from(ci_high),
        model_test,
    })
}

/// F(q, d) test result with upper-tail p-value.
pub(crate) fn f_test(f: f64, q: usize, d: i64) -> TestResult {
    TestResult {
        distribution: "F".to_string(),
        stat: f,
        df1: q as u64,
        df2: Some(d.max(0) as u64),
        p_value: dist::f_upper_p(f, q as f64, d as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_scores_equal_the_row_by_row_scatter_bit_for_bit() {
        let n = 50;
        // Unsorted codes with repeated runs, and a group with no rows.
        let codes: Vec<usize> = (0..n).map(|i| (i * 7 + i / 5) % 6).collect();
        let z = Mat::from_fn(n, 6, |i, j| ((i * 31 + j * 17) % 23) as f64 / 7.0 - 1.3);
        let resid: Vec<f64> = (0..n)
            .map(|i| ((i * 13) % 11) as f64 * 0.37 - 1.9)
            .collect();
        let labels: Vec<String> = (0..7).map(|g| g.to_string()).collect();
        let core = Core {
            estimator: Estimator::Pooled,
            b: vec![0.0; 6],
            bread: Mat::zeros(6, 6),
            z,
            resid,
            s2: 1.0,
            df_r: 10,
            slope_idx: (0..5).collect(),
            n_absorbed: 0,
            normal: false,
            classical_f: None,
            panel: &codes,
            panel_var: "id",
            panel_labels: &labels,
            time: &[],
            cluster: None,
        };
        let got = group_scores(&core, &codes, 7);
        let mut want = Mat::<f64>::zeros(7, 6);
        for j in 0..6 {
            for i in 0..n {
                want[(codes[i], j)] += core.z[(i, j)] * core.resid[i];
            }
        }
        for g in 0..7 {
            for j in 0..6 {
                assert_eq!(got[(g, j)].to_bits(), want[(g, j)].to_bits(), "({g}, {j})");
            }
        }
    }
}
