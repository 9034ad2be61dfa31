//! Linear regression with absorbed high-dimensional fixed effects (`reghdfe y x, absorb(f1
//! f2^f3)`, fixest/pyfixest `feols(y ~ x | f1 + f2^f3)`) and the shared machinery of PPML
//! ([`super::ppml`]): the design with factor codes, singleton dropping, the estimation result,
//! and the covariances with reghdfe's degrees-of-freedom rules.
//!
//! Slopes: b = (X̃'X̃)⁻¹X̃'ỹ with ỹ, X̃ demeaned by every absorbed factor ([`super::demean`]);
//! residuals e = ỹ − X̃b; no constant is reported (fixest; reghdfe prints ȳ − x̄'b).
//! With k estimated slopes and df_a absorbed coefficients ([`super::dof`]):
//!
//! | vce | V | df |
//! |---|---|---|
//! | conventional | SSR/(N − k − df_a) · (X̃'X̃)⁻¹ | t(N − k − df_a) |
//! | robust | N/(N − k − df_a) · B (Σ e_i² x̃_i x̃_i') B | t(N − k − df_a) |
//! | cluster | G/(G − 1)·(N − 1)/(N − k − df_a,cl) · B (Σ_g s_g s_g') B | t(G − 1) |
//!
//! where df_a,cl does not count factors nested in the clusters (one coefficient each instead):
//! reghdfe's `vce(robust)` / `vce(cluster)` and pyfixest's default `ssc()` (`hetero`, `CRV1`).

use faer::Mat;
use serde::{Deserialize, Serialize};

use super::demean::{demean, DemeanOptions, NotConverged};
use super::dof::{absorbed_dof, AbsorbedDof};
use super::factor::{drop_singletons, Factor};
use super::ppml::{fit_ppml, PpmlOptions, PpmlStats};
use crate::estimate::covariance::{
    cluster_sandwich, conventional_sandwich, hc1_areg_sandwich, inference, Coefficients,
};
use crate::estimate::design::{
    build_design_with_ids, ClusterIds, Design, DesignSpec, DesignTransform, PanelData,
};
use crate::estimate::error::EstimateError;
use crate::estimate::estimators::Method;
use crate::estimate::fit::common::{check_level, sample_info};
use crate::estimate::fit::{column_major, covariance_for, validate_design, FitOptions};
use crate::estimate::linalg::{col, cross_product, OrderedQr, COLLINEARITY_TOL};
use crate::estimate::results::{
    CovarianceKind, CovarianceResult, EstimationResult, Estimator, FitStats, OmissionReason,
    OmittedTerm, Term, Tests, Vce,
};
use crate::estimate::stats::Panels;

/// Options of an absorbed-effects fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HdfeOptions {
    /// Demeaning tolerance and iteration cap.
    pub demean: DemeanOptions,
    /// Drop singletons iteratively (reghdfe and pyfixest default: true).
    pub drop_singletons: bool,
    /// IRLS options of PPML.
    pub ppml: PpmlOptions,
}

impl Default for HdfeOptions {
    fn default() -> Self {
        HdfeOptions {
            demean: DemeanOptions::default(),
            drop_singletons: true,
            ppml: PpmlOptions::default(),
        }
    }
}

/// What the absorbed effects did to the sample and the degrees of freedom (part of the result).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HdfeInfo {
    /// The absorbed factors as written (`exporter^sector`).
    pub absorb: Vec<String>,
    /// Levels, redundant levels and nesting per factor; df_a.
    pub dof: AbsorbedDof,
    /// Observations dropped as singletons (iteratively, reghdfe's rule).
    pub singletons_dropped: usize,
    /// Observations dropped by the PPML separation check (levels whose y is all zero).
    pub separation_dropped: usize,
    /// Demeaning tolerance (relative change of one sweep).
    pub demean_tol: f64,
    /// Largest number of accelerated demeaning iterations over the columns (last IRLS step
    /// for PPML).
    pub demean_iterations: usize,
    /// PPML: IRLS iterations, deviance, log likelihoods, pseudo-R².
    pub ppml: Option<PpmlStats>,
}

/// A design with the codes of its absorbed factors on the design's rows.
#[derive(Debug, Clone)]
pub struct AbsorbDesign {
    /// The estimation design (listwise complete in every factor too).
    pub design: Design,
    /// One factor per absorbed term, in the user's order.
    pub factors: Vec<Factor>,
}

fn bad_absorb(value: &str, reason: &str) -> EstimateError {
    EstimateError::InvalidOption {
        option: "absorb".to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

/// The rows an absorbed fit keeps, and how many singletons it dropped: every row, or with
/// `hopts.drop_singletons` (reghdfe's default) every row that is not alone in a level of some
/// factor, iterated until none is. Factors of the wrong length, or no row left, are errors.
pub(crate) fn kept_rows(
    design: &Design,
    factors: &[Factor],
    hopts: &HdfeOptions,
) -> Result<(Vec<bool>, usize), EstimateError> {
    if factors.is_empty() || factors.iter().any(|f| f.len() != design.n_obs()) {
        return Err(bad_absorb(
            "",
            "every absorbed factor must have one code per design row (build the design with \
             build_absorb_design)",
        ));
    }
    let (keep, singletons) = if hopts.drop_singletons {
        let s = drop_singletons(factors);
        (s.keep, s.dropped)
    } else {
        (vec![true; design.n_obs()], 0)
    };
    if !keep.iter().any(|k| *k) {
        return Err(EstimateError::NoObservations {
            variables: "(every observation is a singleton of an absorbed factor and singletons \
                        are dropped)"
                .to_string(),
        });
    }
    Ok((keep, singletons))
}

/// The terms of an absorb list: each `A` or `A^B^…` (an interaction), names trimmed.
fn parse_terms(absorb: &[String]) -> Result<Vec<Vec<String>>, EstimateError> {
    if absorb.is_empty() {
        return Err(bad_absorb(
            "",
            "name at least one factor to absorb, e.g. --absorb exporter,year or exporter^sector",
        ));
    }
    let mut terms: Vec<Vec<String>> = Vec::new();
    for term in absorb {
        let parts: Vec<String> = term.split('^').map(|p| p.trim().to_string()).collect();
        if parts.iter().any(String::is_empty) {
            return Err(bad_absorb(
                term,
                "a factor name is empty; write A or an interaction A^B (comma-separated)",
            ));
        }
        if terms.contains(&parts) {
            return Err(bad_absorb(
                term,
                "the factor is listed twice; absorb each factor once",
            ));
        }
        terms.push(parts);
    }
    Ok(terms)
}

/// Build the design of `spec` requiring every variable of the `absorb` terms (an id column,
/// the panel or time variable, or an integer-valued column; `A^B` interacts them) in every
/// sample row, and code the factors on its rows.
pub fn build_absorb_design(
    data: &PanelData,
    spec: &DesignSpec,
    absorb: &[String],
) -> Result<AbsorbDesign, EstimateError> {
    let terms = parse_terms(absorb)?;
    let mut names: Vec<String> = Vec::new();
    for p in terms.iter().flatten() {
        if !names.contains(p) {
            names.push(p.clone());
        }
    }
    let (design, ids) = build_design_with_ids(data, spec, &names)?;
    let factors = terms
        .iter()
        .map(|parts| {
            let of = |p: &String| {
                let j = names.iter().position(|n| n == p).unwrap_or(0);
                Factor::new(p, &ids[j].codes)
            };
            let mut f = of(&parts[0]);
            for p in &parts[1..] {
                f = Factor::interact(&f, &of(p));
            }
            f
        })
        .collect();
    Ok(AbsorbDesign { design, factors })
}

/// The design's panel variable as the only absorbed factor (what `fit` does for `hdfe` and
/// `ppml` on a plain design: `reghdfe y x, absorb(panel)`).
pub(crate) fn panel_factor(design: &Design) -> Factor {
    Factor::new(&design.panel_var, &design.panel)
}

/// The rows of `design` where `keep` is true (panel and cluster codes renumbered densely).
pub(crate) fn subset_rows(design: &Design, keep: &[bool]) -> Design {
    if keep.iter().all(|k| *k) {
        return design.clone();
    }
    let rows: Vec<usize> = (0..keep.len()).filter(|&i| keep[i]).collect();
    let pick = |v: &[f64]| -> Vec<f64> { rows.iter().map(|&i| v[i]).collect() };
    let y = ndarray::Array1::from(pick(design.y.as_slice().unwrap_or(&design.y.to_vec())));
    let k = design.x.ncols();
    let x = crate::iot::dense::from_fn(rows.len(), k, |(i, j)| design.x[(rows[i], j)]);
    let mut panel = Vec::with_capacity(rows.len());
    let mut panel_labels: Vec<String> = Vec::new();
    let mut last = None;
    for &r in &rows {
        let p = design.panel[r];
        if last != Some(p) {
            panel_labels.push(design.panel_labels[p].clone());
            last = Some(p);
        }
        panel.push(panel_labels.len() - 1);
    }
    let cluster = design.cluster.as_ref().map(|c| {
        let f = Factor::new(
            &c.name,
            &rows.iter().map(|&r| c.codes[r]).collect::<Vec<_>>(),
        );
        // Labels in first-appearance order of the dense codes.
        let mut labels = vec![String::new(); f.levels];
        for (&r, &code) in rows.iter().zip(&f.codes) {
            labels[code] = c.labels[c.codes[r]].clone();
        }
        ClusterIds {
            name: c.name.clone(),
            codes: f.codes,
            labels,
        }
    });
    Design {
        depvar: design.depvar.clone(),
        regressor_names: design.regressor_names.clone(),
        y,
        x,
        panel,
        panel_labels,
        time: rows.iter().map(|&r| design.time[r]).collect(),
        cluster,
        panel_var: design.panel_var.clone(),
        time_var: design.time_var.clone(),
        transform: design.transform,
        accounting: design.accounting.clone(),
    }
}

pub(crate) fn not_converged(e: NotConverged) -> EstimateError {
    EstimateError::InvalidOption {
        option: "absorb".to_string(),
        value: format!("tolerance {:e}", e.tol),
        reason: e.to_string(),
    }
}

/// Slopes of a (weighted) least-squares fit on demeaned columns, with the collinearity rule of
/// `xtreg`: columns in the user's order, the later member of a collinear set omitted.
pub(crate) struct AbsorbedLs {
    pub kept: Vec<usize>,
    pub omitted: Vec<(usize, OmissionReason)>,
    pub b: Vec<f64>,
    /// (X̃'WX̃)⁻¹ of the kept columns.
    pub bread: Mat<f64>,
    /// Kept demeaned columns (unweighted), N×k.
    pub xd: Mat<f64>,
}

/// `xd_all[j]` demeaned column j, `x` the raw columns (their centered (weighted) norms are the
/// collinearity references), `yd` demeaned y, `w` optional weights.
pub(crate) fn absorbed_ls(
    xd_all: &[Vec<f64>],
    x: &[&[f64]],
    yd: &[f64],
    w: Option<&[f64]>,
) -> AbsorbedLs {
    let n = yd.len();
    let k = xd_all.len();
    let sw: Vec<f64> = match w {
        Some(w) => w.iter().map(|v| v.sqrt()).collect(),
        None => vec![1.0; n],
    };
    let total_w: f64 = match w {
        Some(w) => w.iter().sum(),
        None => n as f64,
    };
    let refs: Vec<f64> = x
        .iter()
        .map(|c| {
            let mean = (0..n).map(|i| sw[i] * sw[i] * c[i]).sum::<f64>() / total_w;
            (0..n)
                .map(|i| sw[i] * sw[i] * (c[i] - mean) * (c[i] - mean))
                .sum()
        })
        .collect();
    let work = Mat::from_fn(n, k, |i, j| xd_all[j][i] * sw[i]);
    let qr = OrderedQr::new(work, &refs);
    let ydw: Vec<f64> = (0..n).map(|i| yd[i] * sw[i]).collect();
    let b = qr.solve(&ydw);
    let omitted = qr
        .dropped
        .iter()
        .map(|&j| {
            let ss: f64 = (0..n)
                .map(|i| sw[i] * sw[i] * xd_all[j][i] * xd_all[j][i])
                .sum();
            let reason = if refs[j].is_nan() || refs[j] <= 0.0 {
                OmissionReason::CollinearWithConstant
            } else if ss <= COLLINEARITY_TOL * refs[j] {
                OmissionReason::AbsorbedByFixedEffects
            } else {
                OmissionReason::CollinearWithEarlier
            };
            (j, reason)
        })
        .collect();
    let xd = Mat::from_fn(n, qr.kept.len(), |i, c| xd_all[qr.kept[c]][i]);
    AbsorbedLs {
        bread: qr.xtx_inverse(),
        kept: qr.kept,
        omitted,
        b,
        xd,
    }
}

/// Scores s_i = x̃_i u_i (u: residual, or y − μ for PPML) as an N×k matrix.
fn scores(xd: &Mat<f64>, u: &[f64]) -> Mat<f64> {
    Mat::from_fn(xd.nrows(), xd.ncols(), |i, j| xd[(i, j)] * u[i])
}

fn group_sums(s: &Mat<f64>, codes: &[usize], groups: usize) -> Mat<f64> {
    let mut g = Mat::<f64>::zeros(groups, s.ncols());
    for j in 0..s.ncols() {
        let c = col(s.as_ref(), j);
        for (&code, &v) in codes.iter().zip(c) {
            g[(code, j)] += v;
        }
    }
    g
}

/// Everything the covariances of an absorbed fit need.
pub(crate) struct AbsorbedCore<'a> {
    pub estimator: Estimator,
    pub b: &'a [f64],
    pub bread: &'a Mat<f64>,
    pub xd: &'a Mat<f64>,
    /// Score residuals: e (OLS) or y − μ (PPML).
    pub u: &'a [f64],
    /// Conventional scale: s² (OLS) or (N − 1)/(N − k − df_a) (PPML).
    pub conventional_scale: f64,
    /// The estimation rows: N, the panel (vce(cluster) without a cluster variable clusters on
    /// the panel) and the cluster variable.
    pub design: &'a Design,
    /// The absorbed degrees of freedom (df_a, and those nested in the clusters).
    pub dof: &'a AbsorbedDof,
    pub level: f64,
}

impl AbsorbedCore<'_> {
    /// Stores every covariance of `kinds` in `res`, the one of kind `primary` as the reported
    /// one, and the requested VCE.
    pub(crate) fn store_covariances(
        &self,
        res: &mut EstimationResult,
        kinds: &[CovarianceKind],
        primary: CovarianceKind,
        vce: Vce,
    ) -> Result<(), EstimateError> {
        for kind in kinds {
            res.covariances.push(absorbed_covariance(self, *kind)?);
        }
        res.primary_covariance = kinds.iter().position(|k| *k == primary).unwrap_or(0);
        res.vce = vce;
        Ok(())
    }
}

/// The covariance `kind` of an absorbed fit (module docs' table).
pub(crate) fn absorbed_covariance(
    c: &AbsorbedCore<'_>,
    kind: CovarianceKind,
) -> Result<CovarianceResult, EstimateError> {
    let k = c.b.len();
    let n = c.design.n_obs();
    let df_r = n as i64 - k as i64 - c.dof.df_a as i64;
    let s = match kind {
        CovarianceKind::Conventional => {
            conventional_sandwich(c.bread, c.conventional_scale, df_r, false)
        }
        CovarianceKind::RobustHc1 => {
            let meat = cross_product(&scores(c.xd, c.u));
            hc1_areg_sandwich(c.bread, &meat, n, k, c.dof.df_a)
        }
        CovarianceKind::Cluster | CovarianceKind::ClusterPanel => {
            let (name, codes, g) = match (kind, c.design.cluster.as_ref()) {
                (CovarianceKind::Cluster, Some(cl)) => {
                    (cl.name.as_str(), cl.codes.as_slice(), cl.labels.len())
                }
                (CovarianceKind::Cluster, None) => {
                    return Err(EstimateError::MissingClusterVariable)
                }
                _ => (
                    c.design.panel_var.as_str(),
                    c.design.panel.as_slice(),
                    c.design.n_groups(),
                ),
            };
            let sc = scores(c.xd, c.u);
            cluster_sandwich(
                c.estimator,
                n,
                c.bread,
                kind,
                (name, g),
                k + c.dof.df_a_cluster,
                |groups| cross_product(&group_sums(&sc, codes, groups)),
            )?
        }
        other => {
            return Err(EstimateError::UnsupportedCovariance {
                covariance: other.key().to_string(),
                estimator: c.estimator.as_str().to_string(),
                hint: "absorbed-effects estimators offer conventional, robust (HC1 with the \
                       absorbed effects counted, as reghdfe) and cluster"
                    .to_string(),
            })
        }
    };
    let slope_idx: Vec<usize> = (0..k).collect();
    let coefs = Coefficients {
        estimator: c.estimator,
        b: c.b,
        slope_idx: &slope_idx,
        normal: c.estimator.info().inference == crate::estimate::results::Distribution::Normal,
        classical_f: None,
        n_obs: n,
    };
    inference(&coefs, kind, s, c.level)
}

/// The covariance kinds to compute: conventional, the primary of `opts.vce`, the extras.
pub(crate) fn covariance_kinds(
    design: &Design,
    estimator: Estimator,
    opts: &FitOptions,
) -> Result<(Vec<CovarianceKind>, CovarianceKind), EstimateError> {
    let primary = covariance_for(estimator, opts.vce, design.cluster.is_some(), opts.dk_lags)?;
    let mut kinds = vec![CovarianceKind::Conventional];
    for k in std::iter::once(primary).chain(opts.extra_covariances.iter().copied()) {
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    Ok((kinds, primary))
}

/// Result skeleton of an absorbed fit: names, omitted terms, display order (no constant).
pub(crate) fn absorbed_skeleton(
    design: &Design,
    estimator: Estimator,
    ls_kept: &[usize],
    omitted: &[(usize, OmissionReason)],
    b: &[f64],
) -> EstimationResult {
    let names = &design.regressor_names;
    let panels = Panels::new(&design.panel, design.n_groups());
    EstimationResult {
        format_version: crate::estimate::fit::FORMAT_VERSION,
        estimator,
        title: estimator.info().title.to_string(),
        stata_command: String::new(),
        depvar: design.depvar.clone(),
        panel_var: design.panel_var.clone(),
        time_var: design.time_var.clone(),
        regressors: names.clone(),
        coef_names: ls_kept.iter().map(|&j| names[j].clone()).collect(),
        coefficients: ndarray::Array1::from(b.to_vec()),
        omitted: omitted
            .iter()
            .map(|&(j, reason)| OmittedTerm {
                name: names[j].clone(),
                reason,
            })
            .collect(),
        terms: names
            .iter()
            .enumerate()
            .map(|(j, name)| Term {
                name: name.clone(),
                index: ls_kept.iter().position(|&k| k == j),
            })
            .collect(),
        has_constant: false,
        sample: sample_info(design, &panels),
        vce: Vce::Conventional,
        primary_covariance: 0,
        covariances: Vec::new(),
        fit: FitStats::default(),
        tests: Tests::default(),
        variance_components: None,
        effects: None,
        absorbed: None,
    }
}

/// The factors of reghdfe's `absorb()` as Stata writes them: `exporter^year` → `exporter#year`,
/// space-separated.
pub(crate) fn stata_absorb<'a>(factors: impl IntoIterator<Item = &'a str>) -> String {
    factors
        .into_iter()
        .map(|a| a.replace('^', "#"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The Stata command of an absorbed fit.
pub(crate) fn absorbed_command(
    design: &Design,
    estimator: Estimator,
    absorb: &[String],
    opts: &FitOptions,
    primary: CovarianceKind,
) -> String {
    let info = estimator.info();
    let vars = std::iter::once(design.depvar.as_str())
        .chain(design.regressor_names.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let absorb = stata_absorb(absorb.iter().map(String::as_str));
    let vce = match primary {
        CovarianceKind::RobustHc1 => " vce(robust)".to_string(),
        CovarianceKind::Cluster => format!(" vce(cluster {})", design.cluster_var()),
        CovarianceKind::ClusterPanel => format!(" vce(cluster {})", design.panel_var),
        _ if opts.vce == Vce::Conventional && info.method == Method::Ppml => {
            " vce(iid)".to_string()
        }
        _ => String::new(),
    };
    format!("{} {vars}, absorb({absorb}){vce}", info.stata_command)
}

/// Fit `estimator` (`hdfe` or `ppml`) absorbing `factors` (on the rows of `design`). Singletons
/// are dropped first when `hopts.drop_singletons` (reghdfe), then (PPML) the separation check.
pub fn fit_hdfe(
    design: &Design,
    factors: &[Factor],
    estimator: Estimator,
    opts: &FitOptions,
    hopts: &HdfeOptions,
) -> Result<EstimationResult, EstimateError> {
    check_level(opts.level)?;
    let info = estimator.info();
    if !matches!(info.method, Method::Hdfe | Method::Ppml) {
        return Err(EstimateError::InvalidOption {
            option: "estimator".to_string(),
            value: info.name.to_string(),
            reason: "absorbed factors are estimated by hdfe (reghdfe) or ppml (ppmlhdfe); \
                     use --estimator hdfe or --estimator ppml with --absorb"
                .to_string(),
        });
    }
    if design.transform != DesignTransform::Levels {
        return Err(EstimateError::InvalidOption {
            option: "estimator".to_string(),
            value: info.name.to_string(),
            reason: "absorbed-effects estimators need a levels design".to_string(),
        });
    }
    let design: &Design = &column_major(design);
    validate_design(design)?;
    let (keep, singletons) = kept_rows(design, factors, hopts)?;
    let sub = subset_rows(design, &keep);
    let factors: Vec<Factor> = factors.iter().map(|f| f.subset(&keep)).collect();
    let absorb: Vec<String> = factors.iter().map(|f| f.name.clone()).collect();
    let mut result = match info.method {
        Method::Ppml => fit_ppml(&sub, factors, estimator, opts, hopts)?,
        _ => fit_ols_absorbed(&sub, &factors, estimator, opts, hopts)?,
    };
    if let Some(a) = result.absorbed.as_mut() {
        a.singletons_dropped += singletons;
        a.absorb = absorb;
    }
    Ok(result)
}

fn fit_ols_absorbed(
    design: &Design,
    factors: &[Factor],
    estimator: Estimator,
    opts: &FitOptions,
    hopts: &HdfeOptions,
) -> Result<EstimationResult, EstimateError> {
    let (kinds, primary) = covariance_kinds(design, estimator, opts)?;
    let n = design.n_obs();
    let y = design.y.as_slice().unwrap_or(&[]);
    let xv = design.x.view();
    let xcols: Vec<&[f64]> = (0..design.x.ncols())
        .map(|j| xv.column(j).to_slice().unwrap_or(&[]))
        .collect();
    let mut cols: Vec<&[f64]> = vec![y];
    cols.extend(xcols.iter().copied());
    let d = demean(&cols, factors, None, hopts.demean).map_err(not_converged)?;
    let (yd, xd_all) = d.columns.split_first().expect("y is the first column");
    let ls = absorbed_ls(xd_all, &xcols, yd, None);
    let k = ls.kept.len();
    let mut resid = yd.clone();
    for (c, &bj) in ls.b.iter().enumerate() {
        for (e, &v) in resid.iter_mut().zip(col(ls.xd.as_ref(), c)) {
            *e -= v * bj;
        }
    }
    let ssr: f64 = resid.iter().map(|e| e * e).sum();
    let ybar = y.iter().sum::<f64>() / n as f64;
    let tss: f64 = y.iter().map(|v| (v - ybar) * (v - ybar)).sum();
    let tss_within: f64 = yd.iter().map(|v| v * v).sum();
    let cluster_codes: Option<&[usize]> = match primary {
        CovarianceKind::Cluster => design.cluster.as_ref().map(|c| c.codes.as_slice()),
        CovarianceKind::ClusterPanel => Some(&design.panel),
        _ => None,
    };
    let dof = absorbed_dof(factors, cluster_codes);
    let df_r = n as i64 - k as i64 - dof.df_a as i64;
    if df_r <= 0 {
        return Err(crate::estimate::fit::common::insufficient(
            estimator,
            n,
            "observations (after dropping singletons)",
            k + dof.df_a,
        ));
    }
    let s2 = ssr / df_r as f64;
    let mut res = absorbed_skeleton(design, estimator, &ls.kept, &ls.omitted, &ls.b);
    let core = AbsorbedCore {
        estimator,
        b: &ls.b,
        bread: &ls.bread,
        xd: &ls.xd,
        u: &resid,
        conventional_scale: s2,
        design,
        dof: &dof,
        level: opts.level,
    };
    core.store_covariances(&mut res, &kinds, primary, opts.vce)?;
    let r2 = 1.0 - ssr / tss;
    res.fit = FitStats {
        ssr,
        residual_variance: s2,
        rmse: s2.sqrt(),
        df_m: k,
        df_r,
        tss: Some(tss),
        mss: Some(tss - ssr),
        r2: r2.is_finite().then_some(r2),
        r2_adj: {
            let v = 1.0 - s2 / (tss / (n as f64 - 1.0));
            v.is_finite().then_some(v)
        },
        r2_within: {
            let v = 1.0 - ssr / tss_within;
            v.is_finite().then_some(v)
        },
        ..FitStats::default()
    };
    res.stata_command = absorbed_command(
        design,
        estimator,
        &factors.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
        opts,
        primary,
    );
    res.absorbed = Some(HdfeInfo {
        absorb: Vec::new(),
        dof,
        singletons_dropped: 0,
        separation_dropped: 0,
        demean_tol: hopts.demean.tol,
        demean_iterations: d.iterations,
        ppml: None,
    });
    Ok(res)
}

#[cfg(test)]
mod tests;
