//! The fast path for many fits on one sample (issue #16, the multiverse): every column subset
//! of a set of candidate regressors fitted from cross-products computed once per sample and
//! fixed-effect structure (Frisch–Waugh–Lovell), with the same coefficients, standard errors,
//! fit statistics and result type as [`fit()`](super::fit()) to ~1e-10 relative.
//!
//! # Use
//! ```no_run
//! # use gvc::estimate::{Design, Estimator, FitOptions, SubsetFitter, Vce};
//! # fn demo(design: &Design) -> Result<(), gvc::estimate::EstimateError> {
//! // `design` holds the dependent variable and every candidate regressor on one sample.
//! let fitter = SubsetFitter::new(design, Estimator::Fe, &FitOptions::with_vce(Vce::Cluster))?;
//! for mask in 0u32..(1 << fitter.n_candidates()) {
//!     let subset: Vec<usize> = (0..fitter.n_candidates()).filter(|j| mask >> j & 1 == 1).collect();
//!     let result = fitter.fit(&subset)?; // an EstimationResult, as estimate::fit returns
//!     # let _ = result;
//! }
//! # Ok(()) }
//! ```
//! [`SubsetFitter::fit`] with candidate indices `S` (in the order the regressors should be
//! listed; the later member of a collinear set is omitted, as Stata does) returns what
//! `estimate::fit` returns on a design with the columns `S` of the same rows.
//!
//! # The sample
//! All subsets share the design's estimation sample (the rows where y and *every* candidate
//! are non-missing: the common-sample convention of specification curves). A standalone spec
//! with fewer regressors can keep more rows when the other candidates have missing values; a
//! caller that wants each subset on its own listwise sample groups the subsets by sample and
//! makes one fitter per distinct sample.
//!
//! # What is covered
//! Estimators `pooled` and `fd` (`regress`, with or without constant) and `fe` (`xtreg, fe`);
//! covariances conventional, HC1 (`regress, vce(robust)`), cluster on the panel or on the
//! design's cluster variable with Stata's factors (for `xtreg, fe` the absorbed effects are
//! not counted: G/(G−1)·(N−1)/(N−k−1), reference/econometrics.md §8), and the areg-style
//! cluster and HC1 variants of FE. `re`, `be`, `fe2` and Driscoll–Kraay are refused at
//! [`SubsetFitter::new`] with an error that names them; fit those with `estimate::fit`.
//!
//! # Cost
//! [`SubsetFitter::new`] makes one pass over the rows: O(N·K²) for the cross-products, the
//! per-cluster cross-products A_g'A_g, A_g'r_g and the panel means. Each [`SubsetFitter::fit`]
//! is then O(G·k²) for the cluster scores s_g = A_gS'r_g − A_gS'A_gS b (no pass over the
//! rows), O(k³) for the ordered Cholesky, O(n·k) for the panel effects, plus the inference;
//! only HC1 meats (which have no per-group shortcut) pass over the N rows, O(N·k²).

mod moments;

use faer::Mat;
use ndarray::Array1;

use self::moments::{hc_meat, ClusterMoments, SubsetLs, Working};
use super::covariance::{
    check_panels_nested, cluster_sandwich, conventional_sandwich, f_test, hc1_areg_sandwich,
    hc1_sandwich, inference, Coefficients, Sandwiched,
};
use super::design::Design;
use super::error::EstimateError;
use super::estimators::Method;
use super::fit::common::{insufficient, sample_info};
use super::fit::{check_transform, column_major, covariance_for, stata_command, validate_design};
use super::fit::{FitOptions, FORMAT_VERSION};
use super::linalg::col;
use super::ols::bread_with_constant;
use super::results::{
    CovarianceKind, CovarianceResult, Distribution, EstimationResult, Estimator, FitStats,
    OmissionReason, OmittedTerm, PanelEffects, SampleInfo, Term, Tests,
};
use super::stats::{finite, r2_corr, std_dev, Panels};

/// Fits every column subset of one design's candidate regressors from shared cross-products.
/// Build it once per sample, estimator and options ([`SubsetFitter::new`]); then
/// [`SubsetFitter::fit`] per subset (`&self`, so subsets can be fitted from many threads).
#[derive(Debug)]
pub struct SubsetFitter {
    estimator: Estimator,
    opts: FitOptions,
    /// Covariance kinds in the order `fit` computes them (conventional first) and the index of
    /// the primary one.
    kinds: Vec<CovarianceKind>,
    primary: usize,
    /// The design (column-major), for names, labels and the Stata command line.
    design: Design,
    sample: SampleInfo,
    /// T_i.
    counts: Vec<usize>,
    parts: Parts,
}

/// The numbers of one subset fit that a specification curve needs ([`SubsetFitter::estimates`]):
/// each field equals the field of the same name of [`SubsetFitter::fit`]'s result.
#[derive(Debug, Clone, PartialEq)]
pub struct SubsetEstimates {
    /// Names of the estimated coefficients in order (`_cons` last when there is a constant).
    pub coef_names: Vec<String>,
    /// Estimated coefficients.
    pub coefficients: Vec<f64>,
    /// Omitted regressors with reasons.
    pub omitted: Vec<OmittedTerm>,
    /// The covariance the vce asked for, with standard errors, statistics, p-values and
    /// intervals (`EstimationResult::primary()`).
    pub primary: CovarianceResult,
    /// N.
    pub n_obs: usize,
}

/// Least squares of one subset and what every covariance needs.
struct Solution {
    ls: SubsetLs,
    /// Slopes, then the constant when there is one.
    b: Vec<f64>,
    constant: f64,
    /// (Z'Z)⁻¹ of the fitted regression.
    bread: Mat<f64>,
    ssr: f64,
    s2: f64,
    df_r: i64,
    /// Classical model F of the conventional VCE (pooled OLS).
    classical_f: Option<f64>,
}

/// The precomputed statistics.
struct Parts {
    work: Working,
    /// Grand-centered moments of the raw candidates (FE: R² overall and the pooled model of
    /// the u_i = 0 test); `None` for pooled OLS, where they are `work` itself.
    overall: Option<Working>,
    /// Panel means x̄_i (n×K row-major) and ȳ_i (FE).
    xbar_i: Vec<f64>,
    ybar_i: Vec<f64>,
    /// Cluster moments per covariance kind that needs them (index into `clusters`).
    clusters: Vec<ClusterMoments>,
    cluster_of_kind: Vec<Option<usize>>,
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts")
            .field("candidates", &self.work.k)
            .field("clusters", &self.clusters.len())
            .finish_non_exhaustive()
    }
}

impl SubsetFitter {
    /// Precompute the cross-products of `design` (y and every candidate regressor, one sample)
    /// for `estimator` (`pooled`, `fd` or `fe`) with `opts` (the vce, extra covariances,
    /// constant and level of [`FitOptions`]). Errors: the checks of `estimate::fit` on the
    /// design and options, a cluster variable whose clusters do not nest the panels (FE), and
    /// an estimator or covariance the fast path does not cover.
    pub fn new(
        design: &Design,
        estimator: Estimator,
        opts: &FitOptions,
    ) -> Result<Self, EstimateError> {
        super::fit::common::check_level(opts.level)?;
        let info = estimator.info();
        let fe = match info.method {
            Method::Ols => false,
            Method::Within if !info.time_effects => true,
            _ => {
                return Err(EstimateError::InvalidOption {
                    option: "estimator".to_string(),
                    value: estimator.as_str().to_string(),
                    reason: "the subset fast path covers pooled, fd and fe; fit re, be and fe2 \
                             with estimate::fit"
                        .to_string(),
                })
            }
        };
        check_transform(design, estimator)?;
        let design = column_major(design).into_owned();
        validate_design(&design)?;
        let primary_kind =
            covariance_for(estimator, opts.vce, design.cluster.is_some(), opts.dk_lags)?;
        let mut kinds = vec![CovarianceKind::Conventional];
        for k in std::iter::once(primary_kind).chain(opts.extra_covariances.iter().copied()) {
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        let primary = kinds.iter().position(|k| *k == primary_kind).unwrap_or(0);
        let panels = Panels::new(&design.panel, design.n_groups());
        let sample = sample_info(&design, &panels);
        let y = design
            .y
            .as_slice()
            .expect("column_major makes y contiguous");
        let xv = faer_ext::IntoFaer::into_faer(design.x.view());
        let x: Vec<&[f64]> = (0..design.x.ncols()).map(|j| col(xv, j)).collect();
        let constant = fe || opts.constant;
        let (work, overall) = if fe {
            (
                Working::within(y, &x, &panels),
                Some(Working::pooled(y, &x, true)),
            )
        } else {
            (Working::pooled(y, &x, constant), None)
        };
        let (xbar_i, ybar_i) = if fe {
            let k = x.len();
            let mut m = vec![0.0; panels.n() * k];
            for (j, xj) in x.iter().enumerate() {
                for (p, v) in panels.means(xj).into_iter().enumerate() {
                    m[p * k + j] = v;
                }
            }
            (m, panels.means(y))
        } else {
            (Vec::new(), Vec::new())
        };
        let mut clusters: Vec<ClusterMoments> = Vec::new();
        let mut cluster_of_kind = Vec::with_capacity(kinds.len());
        let mut panel_slot: Option<usize> = None;
        let mut var_slot: Option<usize> = None;
        for kind in &kinds {
            let unsupported = |hint: &str| EstimateError::UnsupportedCovariance {
                covariance: kind.key().to_string(),
                estimator: estimator.as_str().to_string(),
                hint: hint.to_string(),
            };
            let on_variable = match (kind, fe) {
                (CovarianceKind::Conventional, _) => None,
                (CovarianceKind::RobustHc1, false) | (CovarianceKind::Hc1AregStyle, true) => None,
                (CovarianceKind::ClusterPanel, _) => Some(false),
                (CovarianceKind::Cluster, _) => {
                    let cl = design
                        .cluster
                        .as_ref()
                        .ok_or(EstimateError::MissingClusterVariable)?;
                    if info.clusters_nest_panels {
                        check_panels_nested(&design.panel, &design.panel_labels, cl)?;
                    }
                    Some(true)
                }
                (CovarianceKind::ClusterAregStyle, true) => match design.cluster.as_ref() {
                    Some(cl) => {
                        check_panels_nested(&design.panel, &design.panel_labels, cl)?;
                        Some(true)
                    }
                    None => Some(false),
                },
                _ => {
                    return Err(unsupported(
                        "not in the subset fast path (conventional, HC1, cluster, and for fe the \
                         areg-style variants); fit it with estimate::fit",
                    ))
                }
            };
            let slot = match on_variable {
                None => None,
                Some(false) => Some(*panel_slot.get_or_insert_with(|| {
                    clusters.push(ClusterMoments::new(
                        &work,
                        &design.panel,
                        design.n_groups(),
                        &design.panel_var,
                    ));
                    clusters.len() - 1
                })),
                Some(true) => {
                    let cl = design
                        .cluster
                        .as_ref()
                        .ok_or(EstimateError::MissingClusterVariable)?;
                    Some(*var_slot.get_or_insert_with(|| {
                        clusters.push(ClusterMoments::new(
                            &work,
                            &cl.codes,
                            cl.labels.len(),
                            &cl.name,
                        ));
                        clusters.len() - 1
                    }))
                }
            };
            cluster_of_kind.push(slot);
        }
        Ok(SubsetFitter {
            estimator,
            opts: opts.clone(),
            kinds,
            primary,
            counts: panels.counts.clone(),
            sample,
            parts: Parts {
                work,
                overall,
                xbar_i,
                ybar_i,
                clusters,
                cluster_of_kind,
            },
            design,
        })
    }

    /// Number of candidate regressors K (subsets index them 0..K in design order).
    pub fn n_candidates(&self) -> usize {
        self.parts.work.k
    }

    /// Names of the candidate regressors in design order.
    pub fn candidate_names(&self) -> &[String] {
        &self.design.regressor_names
    }

    /// Fit the regressors `subset` (candidate indices, listed in this order; no repeats) and
    /// return what `estimate::fit` returns for a design with exactly these columns of the same
    /// rows: coefficients, omitted terms, every covariance (conventional first, the primary
    /// one at `primary_covariance`), fit statistics, tests, panel effects.
    pub fn fit(&self, subset: &[usize]) -> Result<EstimationResult, EstimateError> {
        let (sol, names) = self.solve(subset)?;
        let mut res = self.skeleton(&names, &sol);
        res.omitted = self.omitted(subset, &names, &sol);
        if self.parts.overall.is_some() {
            self.fe_statistics(&mut res, &sol);
        } else {
            let w = &self.parts.work;
            let tss = w.rr;
            let mss = tss - sol.ssr;
            let r2 = 1.0 - sol.ssr / tss;
            let n_obs = self.sample.n_obs as f64;
            let denom_adj = if w.constant { n_obs - 1.0 } else { n_obs };
            res.fit = FitStats {
                ssr: sol.ssr,
                residual_variance: sol.s2,
                rmse: sol.s2.sqrt(),
                df_m: sol.ls.slopes.len(),
                df_r: sol.df_r,
                tss: Some(tss),
                mss: Some(mss),
                r2: finite(r2),
                r2_adj: finite(1.0 - (1.0 - r2) * denom_adj / sol.df_r as f64),
                ..FitStats::default()
            };
        }
        let mut covariances: Vec<CovarianceResult> = Vec::with_capacity(self.kinds.len());
        for i in 0..self.kinds.len() {
            covariances.push(self.covariance(&sol, i)?);
        }
        res.covariances = covariances;
        res.primary_covariance = self.primary;
        res.stata_command = stata_command(
            &self.design,
            &names,
            self.estimator,
            &self.opts,
            self.kinds[self.primary],
        );
        res.regressors = names;
        Ok(res)
    }

    /// The part of [`SubsetFitter::fit`] a specification curve needs, computed alone: the
    /// coefficients, omitted terms and the primary covariance with its inference (standard
    /// errors, statistics, p-values, intervals, model test), each equal to the same field of
    /// `fit(subset)`; no other covariance, fit statistic or panel effect is computed.
    pub fn estimates(&self, subset: &[usize]) -> Result<SubsetEstimates, EstimateError> {
        let (sol, names) = self.solve(subset)?;
        let primary = self.covariance(&sol, self.primary)?;
        let mut coef_names: Vec<String> =
            sol.ls.chol.kept.iter().map(|&p| names[p].clone()).collect();
        if self.parts.work.constant {
            coef_names.push("_cons".to_string());
        }
        Ok(SubsetEstimates {
            coef_names,
            omitted: self.omitted(subset, &names, &sol),
            coefficients: sol.b,
            primary,
            n_obs: self.sample.n_obs,
        })
    }

    /// Checks, least squares and the residual variance of one subset; the subset's names.
    fn solve(&self, subset: &[usize]) -> Result<(Solution, Vec<String>), EstimateError> {
        let k_all = self.n_candidates();
        let repeated = |j: usize| subset.iter().filter(|&&i| i == j).count() > 1;
        for &j in subset {
            if j >= k_all || repeated(j) {
                return Err(EstimateError::InvalidOption {
                    option: "subset".to_string(),
                    value: format!("{subset:?}"),
                    reason: format!(
                        "indices must be distinct candidate positions 0..{k_all} (the design has \
                         {k_all} regressors)"
                    ),
                });
            }
        }
        let w = &self.parts.work;
        let ls = SubsetLs::solve(&w.aa, &w.ar, w.k, subset, &w.refs);
        let names: Vec<String> = subset
            .iter()
            .map(|&j| self.design.regressor_names[j].clone())
            .collect();
        let k = ls.slopes.len();
        let n_obs = self.sample.n_obs;
        let ssr = w.rr - ls.explained;
        let xbar: Vec<f64> = ls.cols.iter().map(|&j| w.shift[j]).collect();
        let constant = if w.constant {
            w.ybar - xbar.iter().zip(&ls.slopes).map(|(a, b)| a * b).sum::<f64>()
        } else {
            0.0
        };
        let (df_r, classical_f) = if self.parts.overall.is_some() {
            let n = self.counts.len();
            let df_r = n_obs as i64 - n as i64 - k as i64;
            if df_r <= 0 {
                return Err(insufficient(self.estimator, n_obs, "observations", n + k));
            }
            (df_r, None)
        } else {
            let big_k = k + usize::from(w.constant);
            if big_k == 0 {
                return Err(EstimateError::InvalidOption {
                    option: "regressors".to_string(),
                    value: "(none)".to_string(),
                    reason: "a model without constant needs at least one non-omitted regressor"
                        .to_string(),
                });
            }
            if n_obs <= big_k {
                return Err(insufficient(self.estimator, n_obs, "observations", big_k));
            }
            let df_r = n_obs as i64 - big_k as i64;
            let s2 = ssr / df_r as f64;
            (df_r, (k > 0).then(|| ((w.rr - ssr) / k as f64) / s2))
        };
        let m = ls.chol.inverse();
        let bread = if w.constant {
            bread_with_constant(&m, &xbar, n_obs as f64)
        } else {
            m
        };
        let mut b = ls.slopes.clone();
        if w.constant {
            b.push(constant);
        }
        let sol = Solution {
            ls,
            b,
            constant,
            bread,
            ssr,
            s2: ssr / df_r as f64,
            df_r,
            classical_f,
        };
        Ok((sol, names))
    }

    /// Covariance `i` of `self.kinds` with its inference.
    fn covariance(&self, sol: &Solution, i: usize) -> Result<CovarianceResult, EstimateError> {
        let slope_idx: Vec<usize> = (0..sol.ls.slopes.len()).collect();
        let coefs = Coefficients {
            estimator: self.estimator,
            b: &sol.b,
            slope_idx: &slope_idx,
            normal: self.estimator.info().inference == Distribution::Normal,
            classical_f: sol.classical_f,
            n_obs: self.sample.n_obs,
        };
        let kind = self.kinds[i];
        let s = self.sandwich(kind, i, sol, coefs.normal)?;
        inference(&coefs, kind, s, self.opts.level)
    }

    /// The omitted terms of `subset` with Stata's reasons.
    fn omitted(&self, subset: &[usize], names: &[String], sol: &Solution) -> Vec<OmittedTerm> {
        sol.ls
            .chol
            .dropped
            .iter()
            .map(|&pos| OmittedTerm {
                name: names[pos].clone(),
                reason: self.omission_reason(subset[pos]),
            })
            .collect()
    }

    /// Why candidate `j` is omitted, worded as the standard path words it.
    fn omission_reason(&self, j: usize) -> OmissionReason {
        let w = &self.parts.work;
        let reference = w.refs[j];
        if self.parts.overall.is_some() {
            let within_ss = w.aa[j * w.k + j];
            if reference.is_nan() || reference <= 0.0 {
                OmissionReason::CollinearWithConstant
            } else if within_ss <= super::linalg::COLLINEARITY_TOL * reference {
                OmissionReason::AbsorbedByPanelEffects
            } else {
                OmissionReason::CollinearWithEarlier
            }
        } else if reference > 0.0 || !w.constant {
            OmissionReason::CollinearWithEarlier
        } else {
            OmissionReason::CollinearWithConstant
        }
    }

    /// The result with names, terms, coefficients and sample filled in.
    fn skeleton(&self, names: &[String], sol: &Solution) -> EstimationResult {
        let ls = &sol.ls;
        let has_constant = self.parts.work.constant;
        let mut coef_names: Vec<String> = ls.chol.kept.iter().map(|&p| names[p].clone()).collect();
        let mut terms: Vec<Term> = names
            .iter()
            .enumerate()
            .map(|(pos, name)| Term {
                name: name.clone(),
                index: ls.chol.kept.iter().position(|&q| q == pos),
            })
            .collect();
        if has_constant {
            coef_names.push("_cons".to_string());
            terms.push(Term {
                name: "_cons".to_string(),
                index: Some(ls.chol.kept.len()),
            });
        }
        let d = &self.design;
        EstimationResult {
            format_version: FORMAT_VERSION,
            estimator: self.estimator,
            title: self.estimator.info().title.to_string(),
            stata_command: String::new(),
            depvar: d.depvar.clone(),
            panel_var: d.panel_var.clone(),
            time_var: d.time_var.clone(),
            regressors: Vec::new(),
            coef_names,
            coefficients: Array1::from(sol.b.clone()),
            omitted: Vec::new(),
            terms,
            has_constant,
            sample: self.sample.clone(),
            vce: self.opts.vce,
            primary_covariance: 0,
            covariances: Vec::new(),
            fit: FitStats::default(),
            tests: Tests::default(),
            variance_components: None,
            effects: None,
            absorbed: None,
        }
    }

    /// `xtreg, fe` statistics (fit/within.rs) from the moments: σ_u over the panel effects
    /// u_i = ȳ_i − _cons − x̄_i'b, the three R², corr(u_i, Xb), the pooled SSR of the u_i = 0
    /// test, the LSDV R².
    fn fe_statistics(&self, res: &mut EstimationResult, sol: &Solution) {
        let (ls, ssr, s2, df_r, constant) = (&sol.ls, sol.ssr, sol.s2, sol.df_r, sol.constant);
        let w = &self.parts.work;
        let Some(all) = &self.parts.overall else {
            return;
        };
        let k_all = w.k;
        let n = self.counts.len();
        let n_obs = self.sample.n_obs;
        let b = &ls.slopes;
        let tss = all.rr;
        // x̄_i'b per panel, and u_i.
        let xb_i: Vec<f64> = (0..n)
            .map(|p| {
                let row = &self.parts.xbar_i[p * k_all..(p + 1) * k_all];
                ls.cols
                    .iter()
                    .zip(b)
                    .map(|(&j, &bj)| row[j] * bj)
                    .sum::<f64>()
            })
            .collect();
        let u: Vec<f64> = (0..n)
            .map(|p| self.parts.ybar_i[p] - constant - xb_i[p])
            .collect();
        let sigma_u = std_dev(&u);
        let sigma_e = s2.sqrt();
        // Quadratic forms b'Gb and b'g of the kept columns.
        let quad = |g: &[f64]| -> f64 {
            let mut s = 0.0;
            for (p, &jp) in ls.cols.iter().enumerate() {
                for (q, &jq) in ls.cols.iter().enumerate() {
                    s += b[p] * g[jp * k_all + jq] * b[q];
                }
            }
            s
        };
        let lin = |g: &[f64]| -> f64 { ls.cols.iter().zip(b).map(|(&j, &bj)| g[j] * bj).sum() };
        let corr2 = |sxy: f64, sxx: f64, syy: f64| -> Option<f64> {
            let denom = (sxx * syy).sqrt();
            if denom.is_nan() || denom <= 0.0 || !denom.is_finite() {
                return None;
            }
            let r = sxy / denom;
            r.is_finite().then_some(r * r)
        };
        let r2_w = corr2(lin(&w.ar), quad(&w.aa), w.rr);
        let var_xb = quad(&all.aa);
        let r2_o = corr2(lin(&all.ar), var_xb, tss);
        let r2_b = r2_corr(&xb_i, &self.parts.ybar_i);
        // corr(u_i, Xb) over the N rows: Σ_i over panel p contributes T_p·(u_p − ū)(x̄_p − x̄)'b.
        let xb_mean: f64 = ls.cols.iter().zip(b).map(|(&j, &bj)| w.shift[j] * bj).sum();
        let u_mean = self
            .counts
            .iter()
            .zip(&u)
            .map(|(&t, &v)| t as f64 * v)
            .sum::<f64>()
            / n_obs as f64;
        let (mut cov, mut var_u) = (0.0, 0.0);
        for p in 0..n {
            let t = self.counts[p] as f64;
            let du = u[p] - u_mean;
            cov += t * du * (xb_i[p] - xb_mean);
            var_u += t * du * du;
        }
        let corr_u_xb = {
            let denom = (var_u * var_xb).sqrt();
            if n_obs < 2 || denom.is_nan() || denom <= 0.0 || !denom.is_finite() {
                None
            } else {
                finite(cov / denom)
            }
        };
        // Restricted model of the u_i = 0 test: pooled OLS on the kept regressors.
        let pooled = SubsetLs::solve(&all.aa, &all.ar, k_all, &ls.cols, &all.refs);
        let ssr_pooled = all.rr - pooled.explained;
        res.fit = FitStats {
            ssr,
            residual_variance: s2,
            rmse: sigma_e,
            df_m: b.len(),
            df_r,
            r2_within: r2_w.or_else(|| finite(1.0 - ssr / w.rr)),
            r2_between: r2_b,
            r2_overall: r2_o,
            sigma_u,
            sigma_e: Some(sigma_e),
            rho: sigma_u.and_then(|su| finite(su * su / (su * su + s2))),
            corr_u_xb,
            ssr_pooled: Some(ssr_pooled),
            r2_lsdv: finite(1.0 - ssr / tss),
            r2_adj_lsdv: finite(1.0 - s2 / (tss / (n_obs as f64 - 1.0))),
            ..FitStats::default()
        };
        res.tests.u_i_zero = (n > 1).then(|| {
            let f = ((ssr_pooled - ssr) / (n - 1) as f64) / s2;
            f_test(f, n - 1, df_r)
        });
        res.effects = Some(PanelEffects {
            labels: self.design.panel_labels.clone(),
            u_i: Array1::from(u),
        });
    }

    /// The sandwich of covariance `kind` (the `i`-th of `self.kinds`).
    fn sandwich(
        &self,
        kind: CovarianceKind,
        i: usize,
        sol: &Solution,
        normal: bool,
    ) -> Result<Sandwiched, EstimateError> {
        let (bread, ls, b, s2, df_r) = (&sol.bread, &sol.ls, &sol.b, sol.s2, sol.df_r);
        let w = &self.parts.work;
        let n_obs = self.sample.n_obs;
        let k_total = b.len();
        let slopes = ls.slopes.len();
        let n_absorbed = if self.parts.overall.is_some() {
            self.counts.len()
        } else {
            0
        };
        let cluster = self.parts.cluster_of_kind[i].map(|c| &self.parts.clusters[c]);
        match (kind, cluster) {
            (CovarianceKind::Conventional, _) => Ok(conventional_sandwich(bread, s2, df_r, normal)),
            (CovarianceKind::RobustHc1, _) => Ok(hc1_sandwich(
                bread,
                &hc_meat(w, &ls.cols, &ls.slopes),
                n_obs,
                df_r,
            )),
            (CovarianceKind::Hc1AregStyle, _) => Ok(hc1_areg_sandwich(
                bread,
                &hc_meat(w, &ls.cols, &ls.slopes),
                n_obs,
                slopes,
                n_absorbed,
            )),
            (_, Some(cm)) => {
                let k_in_factor = if kind == CovarianceKind::ClusterAregStyle {
                    slopes + n_absorbed
                } else {
                    k_total
                };
                cluster_sandwich(
                    self.estimator,
                    n_obs,
                    bread,
                    kind,
                    (&cm.name, cm.g),
                    k_in_factor,
                    |_| cm.meat(w, &ls.cols, &ls.slopes),
                )
            }
            (other, None) => Err(EstimateError::UnsupportedCovariance {
                covariance: other.key().to_string(),
                estimator: self.estimator.as_str().to_string(),
                hint: "not in the subset fast path; fit it with estimate::fit".to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests;
