//! Estimators: pooled OLS, one-way and two-way fixed effects, random effects (Swamy–Arora and
//! Baltagi–Chang), between, first differences — each returning an [`EstimationResult`] with
//! Stata's statistics (reference/econometrics.md §2–7).

use faer::Mat;

use super::covariance::{covariance, f_test, Core};
use super::design::{Design, DesignTransform};
use super::error::EstimateError;
use super::estimators::{Method, RobustMeaning};
use super::linalg::{spd_inverse, OrderedQr};
use super::ols::{ols_no_constant, ols_ssr_with_constant, ols_with_constant, within, LsFit};
use super::results::{
    CovarianceKind, Distribution, EstimationResult, Estimator, FitStats, OmissionReason,
    OmittedTerm, PanelEffects, ReMethod, SampleInfo, Term, Tests, ThetaSummary, VarianceComponents,
    Vce,
};
use super::stats::{
    correlation, finite, interleaved_sums, mean, r2_corr, stata_percentile, std_dev, Panels,
};

/// Version of the [`EstimationResult`] layout.
pub const FORMAT_VERSION: u32 = 1;

/// Options of one fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// The vce() asked for (selects the primary covariance; its meaning depends on the estimator).
    pub vce: Vce,
    /// Further covariance variants to compute (conventional is always computed).
    pub extra_covariances: Vec<CovarianceKind>,
    /// RE variance components.
    pub re_method: ReMethod,
    /// Include a constant (pooled and fd only; `false` = `regress ..., noconstant`).
    pub constant: bool,
    /// Confidence level of the intervals (Stata `level(95)` = 0.95).
    pub level: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            vce: Vce::Conventional,
            extra_covariances: Vec::new(),
            re_method: ReMethod::SwamyArora,
            constant: true,
            level: 0.95,
        }
    }
}

impl FitOptions {
    /// Options with a given vce and the Stata defaults otherwise.
    pub fn with_vce(vce: Vce) -> Self {
        FitOptions {
            vce,
            ..Default::default()
        }
    }
}

/// The covariance kind that Stata's `vce()` option means for an estimator (its row of the
/// estimator table): robust = HC1 after `regress`, cluster on the panel after `xtreg, fe|re`;
/// cluster = the design's cluster variable, else the panel variable; `xtreg, be` has only the
/// conventional VCE.
pub fn covariance_for(
    estimator: Estimator,
    vce: Vce,
    has_cluster_var: bool,
) -> Result<CovarianceKind, EstimateError> {
    let info = estimator.info();
    let unsupported = || EstimateError::UnsupportedCovariance {
        covariance: vce.as_str().to_string(),
        estimator: info.name.to_string(),
        hint: format!(
            "{} {} reports only the conventional VCE",
            info.stata_command, info.stata_options
        ),
    };
    match vce {
        Vce::Conventional => Ok(CovarianceKind::Conventional),
        Vce::Robust => match info.robust {
            RobustMeaning::Hc1 => Ok(CovarianceKind::RobustHc1),
            RobustMeaning::ClusterOnPanel => Ok(CovarianceKind::ClusterPanel),
            RobustMeaning::NotAvailable => Err(unsupported()),
        },
        Vce::Cluster if !info.clusters => Err(unsupported()),
        Vce::Cluster if has_cluster_var => Ok(CovarianceKind::Cluster),
        Vce::Cluster => Ok(CovarianceKind::ClusterPanel),
    }
}

/// Fit `estimator` on `design`. The design must be built with `DesignTransform::FirstDifference`
/// for `Fd` and with `Levels` otherwise.
pub fn fit(
    design: &Design,
    estimator: Estimator,
    opts: &FitOptions,
) -> Result<EstimationResult, EstimateError> {
    if !(opts.level > 0.0 && opts.level < 1.0) {
        return Err(EstimateError::InvalidOption {
            option: "level".to_string(),
            value: opts.level.to_string(),
            reason: "the confidence level must be strictly between 0 and 1 (0.95 = 95 %)"
                .to_string(),
        });
    }
    check_transform(design, estimator)?;
    validate_design(design)?;
    let mut kinds = vec![CovarianceKind::Conventional];
    let primary = covariance_for(estimator, opts.vce, design.cluster.is_some())?;
    for k in std::iter::once(primary).chain(opts.extra_covariances.iter().copied()) {
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    let panels = Panels::new(&design.panel, design.n_groups());
    let (mut result, core) = match estimator.info().method {
        Method::Ols => fit_ols(design, estimator, opts, &panels)?,
        Method::Within => fit_fe(design, estimator, &panels)?,
        Method::RandomEffectsGls => fit_re(design, estimator, opts.re_method, &panels)?,
        Method::Between => fit_be(design, estimator, &panels)?,
    };
    for kind in &kinds {
        result
            .covariances
            .push(covariance(&core, *kind, opts.level)?);
    }
    result.primary_covariance = kinds.iter().position(|k| *k == primary).unwrap_or(0);
    result.vce = opts.vce;
    result.stata_command = stata_command(design, estimator, opts, primary);
    Ok(result)
}

/// A `Design` has public fields; reject inconsistent hand-built ones instead of panicking.
fn validate_design(design: &Design) -> Result<(), EstimateError> {
    let n = design.y.len();
    let mismatch = |name: &str, got: usize| EstimateError::LengthMismatch {
        name: name.to_string(),
        expected: n,
        got,
    };
    if design.x.nrows() != n {
        return Err(mismatch("design.x", design.x.nrows()));
    }
    if design.panel.len() != n {
        return Err(mismatch("design.panel", design.panel.len()));
    }
    if design.time.len() != n {
        return Err(mismatch("design.time", design.time.len()));
    }
    if design.regressor_names.len() != design.x.ncols() {
        return Err(EstimateError::LengthMismatch {
            name: "design.regressor_names".to_string(),
            expected: design.x.ncols(),
            got: design.regressor_names.len(),
        });
    }
    let bad_code = |what: &str| EstimateError::InvalidOption {
        option: what.to_string(),
        value: "out-of-range code".to_string(),
        reason: "codes must be dense 0..count and rows sorted by panel; build designs with \
                 build_design or Design::from_arrays"
            .to_string(),
    };
    let sorted = design.panel.windows(2).all(|w| w[0] <= w[1]);
    if !sorted || design.panel.iter().any(|&p| p >= design.panel_labels.len()) {
        return Err(bad_code("design.panel"));
    }
    if let Some(c) = &design.cluster {
        if c.codes.len() != n {
            return Err(mismatch("design.cluster", c.codes.len()));
        }
        if c.codes.iter().any(|&g| g >= c.labels.len()) {
            return Err(bad_code("design.cluster"));
        }
    }
    // A branch-free fold (no early exit) vectorises; the check runs on every fit.
    let all_finite = |v: &[f64]| v.iter().fold(true, |ok, x| ok & x.is_finite());
    let finite = all_finite(&design.y)
        && (0..design.x.ncols()).all(|j| all_finite(design.x.col_as_slice(j)));
    if !finite {
        return Err(EstimateError::InvalidOption {
            option: "design values".to_string(),
            value: "NaN or infinity".to_string(),
            reason: "missing values must be removed by listwise deletion (build_design does it)"
                .to_string(),
        });
    }
    if n == 0 {
        return Err(EstimateError::NoObservations {
            variables: design.depvar.clone(),
        });
    }
    Ok(())
}

fn check_transform(design: &Design, estimator: Estimator) -> Result<(), EstimateError> {
    if design.transform == estimator.info().transform {
        return Ok(());
    }
    let is_fd = design.transform == DesignTransform::FirstDifference;
    let (built, needed, variant) = if is_fd {
        ("in first differences", "levels", "Levels")
    } else {
        ("in levels", "first differences", "FirstDifference")
    };
    Err(EstimateError::TransformMismatch {
        estimator: estimator.as_str().to_string(),
        built: built.to_string(),
        needed: needed.to_string(),
        needed_variant: variant.to_string(),
    })
}

fn stata_command(
    design: &Design,
    estimator: Estimator,
    opts: &FitOptions,
    primary: CovarianceKind,
) -> String {
    let vars = std::iter::once(design.depvar.as_str())
        .chain(design.regressor_names.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let vce = match primary {
        CovarianceKind::Conventional => String::new(),
        CovarianceKind::RobustHc1 => " vce(robust)".to_string(),
        CovarianceKind::ClusterPanel if opts.vce == Vce::Robust => " vce(robust)".to_string(),
        CovarianceKind::ClusterPanel => format!(" vce(cluster {})", design.panel_var),
        CovarianceKind::Cluster => format!(
            " vce(cluster {})",
            design
                .cluster
                .as_ref()
                .map_or(design.panel_var.as_str(), |c| c.name.as_str())
        ),
        other => format!(" [{}]", other.key()),
    };
    let join = |opts_str: &str| {
        let s = format!("{opts_str}{vce}");
        if s.trim().is_empty() {
            String::new()
        } else {
            format!(",{}", s.trim_end())
        }
    };
    let info = estimator.info();
    let mut options = String::new();
    if !info.stata_options.is_empty() {
        options = format!(" {}", info.stata_options);
    }
    if info.method == Method::Ols && !opts.constant {
        options.push_str(" noconstant");
    }
    if info.method == Method::RandomEffectsGls && opts.re_method != ReMethod::SwamyArora {
        options.push_str(" sa");
    }
    let dummies = if info.time_effects {
        format!(" i.{}", design.time_var)
    } else {
        String::new()
    };
    format!("{} {vars}{dummies}{}", info.stata_command, join(&options))
}

fn sample_info(design: &Design, panels: &Panels<'_>) -> SampleInfo {
    let n_obs = design.n_obs();
    let t_min = panels.counts.iter().copied().min().unwrap_or(0);
    let t_max = panels.counts.iter().copied().max().unwrap_or(0);
    let n_periods = count_distinct(&design.time);
    SampleInfo {
        n_obs,
        n_groups: panels.n(),
        t_min,
        t_avg: n_obs as f64 / panels.n().max(1) as f64,
        t_max,
        n_periods,
        balanced: t_min == t_max,
        n_singleton_groups: panels.counts.iter().filter(|&&t| t == 1).count(),
        singleton_groups_dropped: design.accounting.singleton_groups_dropped,
        rows_in: design.accounting.rows_in,
        rows_missing_ids: design.accounting.rows_missing_ids,
        rows_missing_values: design.accounting.rows_missing_values,
    }
}

/// Number of distinct values (a bitmap over the range for year-like data, else a sort).
fn count_distinct(v: &[i64]) -> usize {
    let (Some(&min), Some(&max)) = (v.iter().min(), v.iter().max()) else {
        return 0;
    };
    let span = max.abs_diff(min) as usize;
    if span <= 4 * v.len() + 64 {
        let mut seen = vec![false; span + 1];
        for &t in v {
            seen[t.abs_diff(min) as usize] = true;
        }
        seen.iter().filter(|&&b| b).count()
    } else {
        let mut s = v.to_vec();
        s.sort_unstable();
        s.dedup();
        s.len()
    }
}

fn insufficient(
    estimator: Estimator,
    available: usize,
    unit: &str,
    parameters: usize,
) -> EstimateError {
    EstimateError::InsufficientObservations {
        estimator: estimator.as_str().to_string(),
        available,
        unit: unit.to_string(),
        parameters,
        df: available as i64 - parameters as i64,
    }
}

/// Skeleton result with names, omitted terms and display order filled in.
#[allow(clippy::too_many_arguments)]
fn skeleton(
    design: &Design,
    estimator: Estimator,
    title: &str,
    all_names: &[String],
    ls: &LsFit,
    has_constant: bool,
    panels: &Panels<'_>,
) -> EstimationResult {
    let mut coef_names: Vec<String> = ls.kept.iter().map(|&j| all_names[j].clone()).collect();
    if has_constant {
        coef_names.push("_cons".to_string());
    }
    let omitted: Vec<OmittedTerm> = ls
        .omitted
        .iter()
        .map(|&(j, reason)| OmittedTerm {
            name: all_names[j].clone(),
            reason,
        })
        .collect();
    // Display order: every requested term (omitted ones with no index), then `_cons`.
    let mut terms: Vec<Term> = all_names
        .iter()
        .enumerate()
        .map(|(j, name)| Term {
            name: name.clone(),
            index: ls.kept.iter().position(|&k| k == j),
        })
        .collect();
    if has_constant {
        terms.push(Term {
            name: "_cons".to_string(),
            index: Some(ls.kept.len()),
        });
    }
    EstimationResult {
        format_version: FORMAT_VERSION,
        estimator,
        title: title.to_string(),
        stata_command: String::new(),
        depvar: design.depvar.clone(),
        panel_var: design.panel_var.clone(),
        time_var: design.time_var.clone(),
        regressors: design.regressor_names.clone(),
        coef_names,
        coefficients: ls.coefficients(has_constant),
        omitted,
        terms,
        has_constant,
        sample: sample_info(design, panels),
        vce: Vce::Conventional,
        primary_covariance: 0,
        covariances: Vec::new(),
        fit: FitStats::default(),
        tests: Tests::default(),
        variance_components: None,
        effects: None,
    }
}

/// Σ_j X_ij b_j over the kept columns.
fn linear_index(x: &Mat<f64>, kept: &[usize], b: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; x.nrows()];
    for (&j, &bj) in kept.iter().zip(b) {
        for (o, &v) in out.iter_mut().zip(x.col_as_slice(j)) {
            *o += v * bj;
        }
    }
    out
}

/// Columns `kept` of X followed by a column of ones (when `constant`), built column-wise.
fn with_constant_column(x: &Mat<f64>, kept: &[usize], constant: bool) -> Mat<f64> {
    let n = x.nrows();
    let mut z = Mat::<f64>::zeros(n, kept.len() + usize::from(constant));
    for (c, &j) in kept.iter().enumerate() {
        z.col_as_slice_mut(c).copy_from_slice(x.col_as_slice(j));
    }
    if constant {
        z.col_as_slice_mut(kept.len()).fill(1.0);
    }
    z
}

/// Stata's R² within / between / overall for slopes b on the kept columns (econometrics.md §3.3).
/// `ybar_i` are the panel means of y; `y_within` is y − ȳ_i when the caller has it already.
fn panel_r2(
    y: &[f64],
    x: &Mat<f64>,
    kept: &[usize],
    b: &[f64],
    panels: &Panels<'_>,
    ybar_i: &[f64],
    y_within: Option<&[f64]>,
) -> (Option<f64>, Option<f64>, Option<f64>, Vec<f64>) {
    let xb = linear_index(x, kept, b);
    let xbbar_i = panels.means(&xb);
    let codes = panels.codes;
    let yw_own: Vec<f64>;
    let yw = match y_within {
        Some(v) => v,
        None => {
            yw_own = (0..y.len()).map(|i| y[i] - ybar_i[codes[i]]).collect();
            &yw_own
        }
    };
    let xw: Vec<f64> = (0..y.len()).map(|i| xb[i] - xbbar_i[codes[i]]).collect();
    (
        r2_corr(&xw, yw),
        r2_corr(&xbbar_i, ybar_i),
        r2_corr(&xb, y),
        xb,
    )
}

fn slope_indices(n_slopes: usize) -> Vec<usize> {
    (0..n_slopes).collect()
}

// ------------------------------------------------------------------ pooled / fd

fn fit_ols<'a>(
    design: &'a Design,
    estimator: Estimator,
    opts: &FitOptions,
    panels: &Panels<'_>,
) -> Result<(EstimationResult, Core<'a>), EstimateError> {
    let n = design.n_obs();
    let constant = opts.constant;
    let ls = if constant {
        ols_with_constant(&design.y, &design.x, None)
    } else {
        ols_no_constant(&design.y, &design.x)
    };
    let k = ls.kept.len();
    let big_k = k + usize::from(constant);
    if big_k == 0 {
        return Err(EstimateError::InvalidOption {
            option: "regressors".to_string(),
            value: "(none)".to_string(),
            reason: "a model without constant needs at least one non-omitted regressor".to_string(),
        });
    }
    if n <= big_k {
        return Err(insufficient(estimator, n, "observations", big_k));
    }
    let mut res = skeleton(
        design,
        estimator,
        estimator.info().title,
        &design.regressor_names,
        &ls,
        constant,
        panels,
    );
    let ssr = ls.ssr();
    let df_r = n as i64 - big_k as i64;
    let s2 = ssr / df_r as f64;
    // Stata: centered TSS with a constant, uncentered Σy² with noconstant.
    let tss = if constant {
        let m = mean(&design.y);
        design.y.iter().map(|v| (v - m) * (v - m)).sum::<f64>()
    } else {
        design.y.iter().map(|v| v * v).sum::<f64>()
    };
    let mss = tss - ssr;
    let r2 = 1.0 - ssr / tss;
    let denom_adj = if constant { n as f64 - 1.0 } else { n as f64 };
    let classical_f = (k > 0).then(|| (mss / k as f64) / s2);
    res.fit = FitStats {
        ssr,
        residual_variance: s2,
        rmse: s2.sqrt(),
        df_m: k,
        df_r,
        tss: Some(tss),
        mss: Some(mss),
        r2: finite(r2),
        r2_adj: finite(1.0 - (1.0 - r2) * denom_adj / df_r as f64),
        ..FitStats::default()
    };
    let z = with_constant_column(&design.x, &ls.kept, constant);
    debug_assert_eq!(z.ncols(), big_k);
    let core = Core {
        estimator,
        b: ls.coefficients(constant),
        bread: ls.bread.clone(),
        z,
        resid: ls.resid.clone(),
        s2,
        df_r,
        slope_idx: slope_indices(k),
        n_absorbed: 0,
        normal: estimator.info().inference == Distribution::Normal,
        classical_f,
        panel: &design.panel,
        panel_var: &design.panel_var,
        panel_labels: &design.panel_labels,
        time: &design.time,
        cluster: design.cluster.as_ref(),
    };
    Ok((res, core))
}

// ------------------------------------------------------------------ fixed effects

/// Year dummies for `i.time` (first year of the sample is the base): columns and names.
fn time_dummies(design: &Design) -> (Vec<i64>, Vec<String>) {
    let mut years = design.time.clone();
    years.sort_unstable();
    years.dedup();
    let years: Vec<i64> = years.into_iter().skip(1).collect();
    let names = years
        .iter()
        .map(|t| format!("{t}.{}", design.time_var))
        .collect();
    (years, names)
}

fn fit_fe<'a>(
    design: &'a Design,
    estimator: Estimator,
    panels: &Panels<'_>,
) -> Result<(EstimationResult, Core<'a>), EstimateError> {
    let n_obs = design.n_obs();
    let n = panels.n();
    let k_user = design.x.ncols();
    let (x_all, names, priority): (std::borrow::Cow<'_, Mat<f64>>, Vec<String>, Vec<usize>) =
        if estimator.info().time_effects {
            let (years, dnames) = time_dummies(design);
            let kd = years.len();
            let x = Mat::from_fn(n_obs, k_user + kd, |i, j| {
                if j < k_user {
                    design.x[(i, j)]
                } else if design.time[i] == years[j - k_user] {
                    1.0
                } else {
                    0.0
                }
            });
            let mut names = design.regressor_names.clone();
            names.extend(dnames);
            // The time effects are treated as absorbed: they take priority, so a regressor that is
            // a function of time alone is the one reported as omitted (econometrics.md §1.3).
            let priority: Vec<usize> = (k_user..k_user + kd).chain(0..k_user).collect();
            (std::borrow::Cow::Owned(x), names, priority)
        } else {
            (
                std::borrow::Cow::Borrowed(&design.x),
                design.regressor_names.clone(),
                (0..k_user).collect(),
            )
        };
    let x_all: &Mat<f64> = &x_all;
    let wf = within(&design.y, x_all, panels, &priority);
    let ls = &wf.ls;
    let k = ls.kept.len();
    let df_r = n_obs as i64 - n as i64 - k as i64;
    if df_r <= 0 {
        return Err(insufficient(estimator, n_obs, "observations", n + k));
    }
    let title = estimator.info().title;
    let mut res = skeleton(design, estimator, title, &names, ls, true, panels);
    let ybar = wf.ybar;
    // SSR, TSS and within TSS in one pass (each summed in row order).
    let sums = interleaved_sums(&[&ls.resid, &design.y, &wf.y_demeaned], |j, v| {
        if j == 1 {
            (v - ybar) * (v - ybar)
        } else {
            v * v
        }
    });
    let (ssr, tss, tss_within) = (sums[0], sums[1], sums[2]);
    let s2 = ssr / df_r as f64;
    let b = &ls.slopes;
    let codes = panels.codes;
    // u_i = ȳ_i − _cons − x̄_i'b.
    let u: Vec<f64> = (0..n)
        .map(|p| wf.ybar_i[p] - ls.constant - (0..k).map(|c| wf.xbar_i[(p, c)] * b[c]).sum::<f64>())
        .collect();
    let sigma_u = std_dev(&u);
    let sigma_e = s2.sqrt();
    let (r2_w, r2_b, r2_o, xb) = panel_r2(
        &design.y,
        x_all,
        &ls.kept,
        b,
        panels,
        &wf.ybar_i,
        Some(&wf.y_demeaned),
    );
    let u_obs: Vec<f64> = codes.iter().map(|&p| u[p]).collect();
    // Restricted model of the u_i = 0 test: pooled OLS on the same (kept) regressors.
    let ssr_pooled = ols_ssr_with_constant(&design.y, x_all, &ls.kept);
    res.fit = FitStats {
        ssr,
        residual_variance: s2,
        rmse: sigma_e,
        df_m: k,
        df_r,
        r2_within: r2_w.or_else(|| finite(1.0 - ssr / tss_within)),
        r2_between: r2_b,
        r2_overall: r2_o,
        sigma_u,
        sigma_e: Some(sigma_e),
        rho: sigma_u.and_then(|su| finite(su * su / (su * su + s2))),
        corr_u_xb: correlation(&u_obs, &xb),
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
        labels: design.panel_labels.clone(),
        u_i: u,
    });
    // Z = [x − x̄_i + x̄, 1]: scores of the augmented regression.
    let mut z = Mat::<f64>::zeros(n_obs, k + 1);
    for c in 0..k {
        let shift = ls.xbar[c];
        for (d, &w) in z
            .col_as_slice_mut(c)
            .iter_mut()
            .zip(wf.demeaned.col_as_slice(c))
        {
            *d = w + shift;
        }
    }
    z.col_as_slice_mut(k).fill(1.0);
    let core = Core {
        estimator,
        b: ls.coefficients(true),
        bread: wf.ls.bread,
        z,
        resid: wf.ls.resid,
        s2,
        df_r,
        slope_idx: slope_indices(k),
        n_absorbed: n,
        normal: estimator.info().inference == Distribution::Normal,
        classical_f: None,
        panel: &design.panel,
        panel_var: &design.panel_var,
        panel_labels: &design.panel_labels,
        time: &design.time,
        cluster: design.cluster.as_ref(),
    };
    Ok((res, core))
}

// ------------------------------------------------------------------ between

/// Panel means of the design: (ȳ_i, X̄_i).
fn panel_means(design: &Design, panels: &Panels<'_>) -> (Vec<f64>, Mat<f64>) {
    (panels.means(&design.y), panels.column_means(&design.x))
}

fn fit_be<'a>(
    design: &'a Design,
    estimator: Estimator,
    panels: &Panels<'_>,
) -> Result<(EstimationResult, Core<'a>), EstimateError> {
    let n = panels.n();
    let (ybar_i, xbar_i) = panel_means(design, panels);
    let ls = ols_with_constant(&ybar_i, &xbar_i, None);
    let k = ls.kept.len();
    let df_r = n as i64 - (k + 1) as i64;
    if df_r <= 0 {
        return Err(insufficient(estimator, n, "panels", k + 1));
    }
    let mut res = skeleton(
        design,
        estimator,
        estimator.info().title,
        &design.regressor_names,
        &ls,
        true,
        panels,
    );
    let ssr = ls.ssr();
    let s2 = ssr / df_r as f64;
    let m = mean(&ybar_i);
    let tss: f64 = ybar_i.iter().map(|v| (v - m) * (v - m)).sum();
    let ybar_obs = panels.means(&design.y);
    let (r2_w, r2_b, r2_o, _) = panel_r2(
        &design.y, &design.x, &ls.kept, &ls.slopes, panels, &ybar_obs, None,
    );
    let ssr_t: f64 = ls
        .resid
        .iter()
        .zip(&panels.counts)
        .map(|(e, &t)| t as f64 * e * e)
        .sum();
    let r2 = 1.0 - ssr / tss;
    res.fit = FitStats {
        ssr,
        residual_variance: s2,
        rmse: s2.sqrt(),
        df_m: k,
        df_r,
        tss: Some(tss),
        mss: Some(tss - ssr),
        r2: finite(r2),
        r2_adj: finite(1.0 - (1.0 - r2) * (n as f64 - 1.0) / df_r as f64),
        r2_within: r2_w,
        r2_between: r2_b,
        r2_overall: r2_o,
        ssr_t_weighted: Some(ssr_t),
        ..FitStats::default()
    };
    let z = Mat::from_fn(
        n,
        k + 1,
        |i, c| if c < k { xbar_i[(i, ls.kept[c])] } else { 1.0 },
    );
    let classical_f = (k > 0).then(|| ((tss - ssr) / k as f64) / s2);
    let core = Core {
        estimator,
        b: ls.coefficients(true),
        bread: ls.bread.clone(),
        z,
        resid: ls.resid.clone(),
        s2,
        df_r,
        slope_idx: slope_indices(k),
        n_absorbed: 0,
        normal: estimator.info().inference == Distribution::Normal,
        classical_f,
        panel: &design.panel,
        panel_var: &design.panel_var,
        panel_labels: &design.panel_labels,
        time: &design.time,
        cluster: None,
    };
    Ok((res, core))
}

// ------------------------------------------------------------------ random effects

struct Components {
    vc: VarianceComponents,
}

/// Swamy–Arora variance components (Stata default, §7.1) or Baltagi–Chang (§7.2) on the
/// regressors `kept` (indices into design.x).
fn variance_components(
    estimator: Estimator,
    design: &Design,
    kept: &[usize],
    method: ReMethod,
    panels: &Panels<'_>,
) -> Result<Components, EstimateError> {
    let n_obs = design.n_obs();
    let n = panels.n();
    let x = Mat::from_fn(n_obs, kept.len(), |i, c| design.x[(i, kept[c])]);
    // Within step: only regressors that vary within panels (time-invariant ones drop here).
    let wf = within(&design.y, &x, panels, &(0..kept.len()).collect::<Vec<_>>());
    let k_w = wf.ls.kept.len();
    let df_within = n_obs as i64 - n as i64 - k_w as i64;
    if df_within <= 0 {
        return Err(insufficient(estimator, n_obs, "observations", n + k_w));
    }
    let sigma2_e = wf.ls.ssr() / df_within as f64;
    // Between step (unweighted) on panel means.
    let ybar_i = panels.means(&design.y);
    let xbar_i = panels.column_means(&x);
    let between = ols_with_constant(&ybar_i, &xbar_i, None);
    let k_b = between.kept.len() + 1;
    let df_between = n as i64 - k_b as i64;
    if df_between <= 0 {
        return Err(insufficient(estimator, n, "panels", k_b));
    }
    let vc = match method {
        ReMethod::SwamyArora => {
            let ssr_b = between.ssr();
            let tbar = panels.harmonic_mean_t();
            let raw = ssr_b / df_between as f64 - sigma2_e / tbar;
            VarianceComponents {
                method,
                sigma2_e,
                sigma2_u: raw.max(0.0),
                sigma2_u_before_truncation: raw,
                df_within,
                df_between,
                ssr_between: Some(ssr_b),
                tbar_harmonic: Some(tbar),
                ssr_between_star: None,
                trace: None,
            }
        }
        ReMethod::BaltagiChangWeighted | ReMethod::BaltagiChangUnweighted => {
            let t: Vec<f64> = panels.counts.iter().map(|&c| c as f64).collect();
            let resid = if method == ReMethod::BaltagiChangWeighted {
                ols_with_constant(&ybar_i, &xbar_i, Some(&t)).resid
            } else {
                between.resid.clone()
            };
            let ssr_star: f64 = resid.iter().zip(&t).map(|(e, ti)| ti * e * e).sum();
            // z_i = (x̄_i kept in the between regression, 1).
            let kb = between.kept.len();
            let zi = |p: usize, c: usize| {
                if c < kb {
                    xbar_i[(p, between.kept[c])]
                } else {
                    1.0
                }
            };
            let a = Mat::from_fn(kb + 1, kb + 1, |r, c| {
                (0..n).map(|p| t[p] * zi(p, r) * zi(p, c)).sum::<f64>()
            });
            let b = Mat::from_fn(kb + 1, kb + 1, |r, c| {
                (0..n)
                    .map(|p| t[p] * t[p] * zi(p, r) * zi(p, c))
                    .sum::<f64>()
            });
            let a_inv = spd_inverse(&a).ok_or_else(|| EstimateError::Numerical {
                step: "Baltagi–Chang trace".to_string(),
                detail: "Σ T_i z_i z_i' is not positive definite".to_string(),
            })?;
            let trace: f64 = (0..=kb)
                .flat_map(|r| (0..=kb).map(move |c| (r, c)))
                .map(|(r, c)| a_inv[(r, c)] * b[(c, r)])
                .sum();
            let raw = (ssr_star - df_between as f64 * sigma2_e) / (n_obs as f64 - trace);
            VarianceComponents {
                method,
                sigma2_e,
                sigma2_u: raw.max(0.0),
                sigma2_u_before_truncation: raw,
                df_within,
                df_between,
                ssr_between: None,
                tbar_harmonic: None,
                ssr_between_star: Some(ssr_star),
                trace: Some(trace),
            }
        }
    };
    Ok(Components { vc })
}

fn theta_summary(mut v: Vec<f64>) -> Option<ThetaSummary> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let pct = |p: f64| stata_percentile(&v, p).unwrap_or(f64::NAN);
    Some(ThetaSummary {
        min: v[0],
        p5: pct(5.0),
        p50: pct(50.0),
        p95: pct(95.0),
        max: v[v.len() - 1],
    })
}

fn fit_re<'a>(
    design: &'a Design,
    estimator: Estimator,
    method: ReMethod,
    panels: &Panels<'_>,
) -> Result<(EstimationResult, Core<'a>), EstimateError> {
    let n_obs = design.n_obs();
    let n = panels.n();
    // Stata's _rmcoll on [X, 1] first: constant or collinear regressors are omitted; regressors
    // that are constant within panels stay in the RE model.
    let probe = ols_with_constant(&design.y, &design.x, None);
    let kept = probe.kept.clone();
    let k = kept.len();
    let big_k = k + 1;
    if n_obs <= big_k {
        return Err(insufficient(estimator, n_obs, "observations", big_k));
    }
    let comps = variance_components(estimator, design, &kept, method, panels)?;
    let (s2e, s2u) = (comps.vc.sigma2_e, comps.vc.sigma2_u);
    let theta_p: Vec<f64> = panels
        .counts
        .iter()
        .map(|&t| 1.0 - (s2e / (t as f64 * s2u + s2e)).sqrt())
        .collect();
    let codes = panels.codes;
    let ybar_i = panels.means(&design.y);
    let xk = Mat::from_fn(n_obs, k, |i, c| design.x[(i, kept[c])]);
    let xbar_i = panels.column_means(&xk);
    // Quasi-demeaned regression: y − θ_i ȳ_i on [x − θ_i x̄_i, 1 − θ_i].
    let ystar: Vec<f64> = (0..n_obs)
        .map(|i| design.y[i] - theta_p[codes[i]] * ybar_i[codes[i]])
        .collect();
    let zstar = Mat::from_fn(n_obs, big_k, |i, c| {
        let th = theta_p[codes[i]];
        if c < k {
            xk[(i, c)] - th * xbar_i[(codes[i], c)]
        } else {
            1.0 - th
        }
    });
    let refs: Vec<f64> = (0..big_k)
        .map(|c| zstar.col_as_slice(c).iter().map(|v| v * v).sum())
        .collect();
    let qr = OrderedQr::new(zstar.clone(), &refs);
    if qr.rank() < big_k {
        return Err(EstimateError::Numerical {
            step: "random-effects GLS".to_string(),
            detail: "the quasi-demeaned design is rank deficient although the pooled design is not"
                .to_string(),
        });
    }
    let b = qr.solve(&ystar);
    let resid: Vec<f64> = (0..n_obs)
        .map(|i| ystar[i] - (0..big_k).map(|c| zstar[(i, c)] * b[c]).sum::<f64>())
        .collect();
    let ssr: f64 = resid.iter().map(|e| e * e).sum();
    let df_r = n_obs as i64 - big_k as i64;
    let rmse2 = ssr / df_r as f64;
    let ls = LsFit {
        kept: kept.clone(),
        omitted: probe.omitted.clone(),
        slopes: b[..k].to_vec(),
        constant: b[k],
        resid: resid.clone(),
        bread: qr.xtx_inverse(),
        xbar: vec![0.0; k],
    };
    let mut res = skeleton(
        design,
        estimator,
        estimator.info().title,
        &design.regressor_names,
        &ls,
        true,
        panels,
    );
    let (r2_w, r2_b, r2_o, _) = panel_r2(
        &design.y, &design.x, &kept, &ls.slopes, panels, &ybar_i, None,
    );
    let balanced = panels.counts.iter().min() == panels.counts.iter().max();
    let theta_obs: Vec<f64> = codes.iter().map(|&p| theta_p[p]).collect();
    res.fit = FitStats {
        ssr,
        residual_variance: rmse2,
        rmse: rmse2.sqrt(),
        df_m: k,
        df_r,
        r2_within: r2_w,
        r2_between: r2_b,
        r2_overall: r2_o,
        sigma_u: Some(s2u.sqrt()),
        sigma_e: Some(s2e.sqrt()),
        rho: finite(s2u / (s2u + s2e)),
        theta: if balanced {
            theta_p.first().copied()
        } else {
            None
        },
        theta_summary_observations: theta_summary(theta_obs),
        theta_summary_panels: theta_summary(theta_p.clone()),
        ..FitStats::default()
    };
    res.variance_components = Some(comps.vc);
    if n < 2 {
        return Err(insufficient(estimator, n, "panels", 2));
    }
    let core = Core {
        estimator,
        b,
        bread: ls.bread,
        z: zstar,
        resid,
        s2: rmse2,
        df_r,
        slope_idx: slope_indices(k),
        n_absorbed: 0,
        normal: estimator.info().inference == Distribution::Normal,
        classical_f: None,
        panel: &design.panel,
        panel_var: &design.panel_var,
        panel_labels: &design.panel_labels,
        time: &design.time,
        cluster: design.cluster.as_ref(),
    };
    Ok((res, core))
}

/// Omission reason label as Stata words it.
pub fn omission_note(name: &str, reason: OmissionReason) -> String {
    match reason {
        OmissionReason::CollinearWithConstant => format!("note: {name} omitted because of collinearity (constant in the sample)"),
        OmissionReason::AbsorbedByPanelEffects => format!("note: {name} omitted because of collinearity (constant within panels, absorbed by the fixed effects)"),
        OmissionReason::CollinearWithEarlier => format!("note: {name} omitted because of collinearity"),
    }
}
