//! Estimators: pooled OLS, one-way and two-way fixed effects, random effects (Swamy–Arora and
//! Baltagi–Chang), between, first differences — each returning an [`EstimationResult`] with
//! Stata's statistics (reference/econometrics.md §2–7).
//!
//! This module holds the options, the entry point [`fit`] (checks, covariances, Stata's command
//! line) and the parts every estimator shares ([`common`]); each estimator family is one
//! module: [`pooled`] (`regress`, also first differences), [`within`] (`xtreg, fe`, one- and
//! two-way), [`between`] (`xtreg, be`), [`random`] (`xtreg, re`). The design's `ndarray`
//! arrays reach the numerics as slices and zero-copy faer views ([`arrays`]).

mod between;
pub(crate) mod common;
mod pooled;
mod random;
mod within;

use std::borrow::Cow;

use faer::MatRef;
use faer_ext::IntoFaer;

use super::covariance::covariance;
use super::design::{Design, DesignTransform};
use super::error::EstimateError;
use super::estimators::{Method, RobustMeaning};
use super::results::{CovarianceKind, EstimationResult, Estimator, OmissionReason, ReMethod, Vce};
use super::stats::Panels;
use crate::iot::dense;

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
    /// Lags of the Driscoll–Kraay covariance when `vce` is [`Vce::DriscollKraay`] (`None`:
    /// ⌊4(T/100)^(2/9)⌋, xtscc's default).
    pub dk_lags: Option<u32>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            vce: Vce::Conventional,
            extra_covariances: Vec::new(),
            re_method: ReMethod::SwamyArora,
            constant: true,
            level: 0.95,
            dk_lags: None,
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
/// conventional VCE; dk = Driscoll–Kraay with `dk_lags` (xtscc) where the row allows it.
pub fn covariance_for(
    estimator: Estimator,
    vce: Vce,
    has_cluster_var: bool,
    dk_lags: Option<u32>,
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
        Vce::DriscollKraay if info.driscoll_kraay => {
            Ok(CovarianceKind::DriscollKraay { lags: dk_lags })
        }
        Vce::DriscollKraay => Err(EstimateError::UnsupportedCovariance {
            covariance: vce.as_str().to_string(),
            estimator: info.name.to_string(),
            hint: "Driscoll–Kraay (xtscc) is computed for pooled, fe, fe2 and fd".to_string(),
        }),
    }
}

/// Fit `estimator` on `design`. The design must be built with `DesignTransform::FirstDifference`
/// for `Fd` and with `Levels` otherwise.
pub fn fit(
    design: &Design,
    estimator: Estimator,
    opts: &FitOptions,
) -> Result<EstimationResult, EstimateError> {
    common::check_level(opts.level)?;
    check_transform(design, estimator)?;
    let design: &Design = &column_major(design);
    validate_design(design)?;
    let mut kinds = vec![CovarianceKind::Conventional];
    let primary = covariance_for(estimator, opts.vce, design.cluster.is_some(), opts.dk_lags)?;
    for k in std::iter::once(primary).chain(opts.extra_covariances.iter().copied()) {
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    let panels = Panels::new(&design.panel, design.n_groups());
    let (mut result, core) = match estimator.info().method {
        Method::Ols => pooled::fit_ols(design, estimator, opts, &panels)?,
        Method::Within => within::fit_fe(design, estimator, &panels)?,
        Method::RandomEffectsGls => random::fit_re(design, estimator, opts.re_method, &panels)?,
        Method::Between => between::fit_be(design, estimator, &panels)?,
        // A plain design absorbs its panel variable (reghdfe y x, absorb(panel)).
        Method::Hdfe | Method::Ppml => {
            let factors = [crate::estimate::hdfe::fit::panel_factor(design)];
            return crate::estimate::hdfe::fit_hdfe(
                design,
                &factors,
                estimator,
                opts,
                &crate::estimate::hdfe::HdfeOptions::default(),
            );
        }
    };
    for kind in &kinds {
        result
            .covariances
            .push(covariance(&core, *kind, opts.level)?);
    }
    result.primary_covariance = kinds.iter().position(|k| *k == primary).unwrap_or(0);
    result.vce = opts.vce;
    result.stata_command = stata_command(design, &design.regressor_names, estimator, opts, primary);
    Ok(result)
}

/// The design with X column-major and y contiguous: borrowed when it already is (every design
/// [`super::build_design`] makes), else copied once (a hand-built design in another layout).
pub(crate) fn column_major(design: &Design) -> Cow<'_, Design> {
    if dense::is_column_major(&design.x) && design.y.is_standard_layout() {
        return Cow::Borrowed(design);
    }
    let mut copy = design.clone();
    copy.x = dense::into_column_major(copy.x);
    copy.y = copy.y.as_standard_layout().into_owned();
    Cow::Owned(copy)
}

/// y as a slice and X as a faer view over the design's own memory (no copy). The estimators
/// call this on the design [`fit`] made column-major.
///
/// # Panics
/// On a design whose y is not contiguous or whose X is not column-major; [`fit`] never
/// passes one.
fn arrays(design: &Design) -> (&[f64], MatRef<'_, f64>) {
    let y = design
        .y
        .as_slice()
        .expect("fit: y is contiguous (see column_major)");
    (y, design.x.view().into_faer())
}

/// A `Design` has public fields; reject inconsistent hand-built ones instead of panicking.
pub(crate) fn validate_design(design: &Design) -> Result<(), EstimateError> {
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
    let (y, x) = arrays(design);
    let finite = all_finite(y) && (0..x.ncols()).all(|j| all_finite(super::linalg::col(x, j)));
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

pub(crate) fn check_transform(design: &Design, estimator: Estimator) -> Result<(), EstimateError> {
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

/// The equivalent Stata command line of a fit of `estimator` on `regressors` (display names)
/// of `design`.
pub(crate) fn stata_command(
    design: &Design,
    regressors: &[String],
    estimator: Estimator,
    opts: &FitOptions,
    primary: CovarianceKind,
) -> String {
    let vars = std::iter::once(design.depvar.as_str())
        .chain(regressors.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let vce = match primary {
        CovarianceKind::Conventional => String::new(),
        CovarianceKind::RobustHc1 => " vce(robust)".to_string(),
        CovarianceKind::ClusterPanel if opts.vce == Vce::Robust => " vce(robust)".to_string(),
        CovarianceKind::ClusterPanel => format!(" vce(cluster {})", design.panel_var),
        CovarianceKind::Cluster => format!(" vce(cluster {})", design.cluster_var()),
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

/// Omission reason label as Stata words it.
pub fn omission_note(name: &str, reason: OmissionReason) -> String {
    match reason {
        OmissionReason::CollinearWithConstant => format!("note: {name} omitted because of collinearity (constant in the sample)"),
        OmissionReason::AbsorbedByPanelEffects => format!("note: {name} omitted because of collinearity (constant within panels, absorbed by the fixed effects)"),
        OmissionReason::CollinearWithEarlier => format!("note: {name} omitted because of collinearity"),
        OmissionReason::AbsorbedByFixedEffects => format!("note: {name} omitted because of collinearity (absorbed by the fixed effects)"),
    }
}
