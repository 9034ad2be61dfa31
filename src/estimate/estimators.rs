//! The estimator table: one row per [`Estimator`] with everything that differs between
//! estimators outside the numerical algorithms — its names, the Stata command it reproduces,
//! the design it needs, its inference, what `vce(robust)` means for it, which covariances and
//! tests it has, and what the text table and the report show. Code asks [`Estimator::info`]
//! instead of matching on the estimator, so adding an estimator is one enum variant and one row
//! (plus a [`Method`] if it needs a new algorithm).
//!
//! The `vce` names accepted on the command line, with what Stata and fixest mean by each, are
//! the second table here, [`VCE_NAMES`].

use super::design::DesignTransform;
use super::results::{Distribution, Estimator, Vce};

/// The algorithm that fits an estimator (fit.rs has one function per method).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// OLS of y on X and a constant (`regress`).
    Ols,
    /// The within regression with Stata's constant (`xtreg, fe`).
    Within,
    /// Random-effects GLS on quasi-demeaned data (`xtreg, re`).
    RandomEffectsGls,
    /// OLS on panel means (`xtreg, be`).
    Between,
    /// OLS on data demeaned by every absorbed factor (`reghdfe`; estimate/hdfe).
    Hdfe,
    /// Poisson PML by IRLS with weighted demeaning (`ppmlhdfe`; estimate/hdfe/ppml.rs).
    Ppml,
}

/// What Stata's `vce(robust)` computes for an estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RobustMeaning {
    /// `regress, vce(robust)`: HC1, factor N/(N − K).
    Hc1,
    /// `xtreg, fe|re vce(robust)`: cluster-robust CR1 on the panel variable.
    ClusterOnPanel,
    /// Not available (`xtreg, be` has only the conventional VCE).
    NotAvailable,
}

/// The R² an estimator's column shows by default in a regression table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultR2 {
    /// The OLS R² (`e(r2)`).
    Plain,
    /// R² within.
    Within,
    /// R² between.
    Between,
    /// R² overall.
    Overall,
}

/// What the table says about the correlation of the panel effects with the regressors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectsCorrelation {
    /// No panel effects in the model.
    NotApplicable,
    /// Estimated: `corr(u_i, Xb)` (fixed effects).
    Estimated,
    /// Assumed zero: `corr(u_i, X) = 0 (assumed)` (random effects).
    AssumedZero,
}

/// Everything gvc knows about one estimator besides its algorithm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EstimatorInfo {
    /// The estimator.
    pub estimator: Estimator,
    /// Name in specs, on the command line and in JSON.
    pub name: &'static str,
    /// Other accepted names (each means exactly this estimator).
    pub aliases: &'static [&'static str],
    /// Long name in reports ("Fixed effects").
    pub long_name: &'static str,
    /// Short name in column headers ("FE").
    pub short_name: &'static str,
    /// Title of the Stata-like text table.
    pub title: &'static str,
    /// Stata command (`regress` or `xtreg`).
    pub stata_command: &'static str,
    /// Stata options after the variables (`fe`, `re`, `be`; empty for `regress`).
    pub stata_options: &'static str,
    /// The Stata command as documentation (`xtreg y x i.year, fe`).
    pub stata: &'static str,
    /// plm equivalent, if any.
    pub plm: Option<&'static str>,
    /// fixest equivalent, if any.
    pub fixest: Option<&'static str>,
    /// The algorithm.
    pub method: Method,
    /// Levels or first differences.
    pub transform: DesignTransform,
    /// Adds year dummies `i.time` (first sample year the base).
    pub time_effects: bool,
    /// Absorbs panel fixed effects (FE indicator row, areg-style VCEs, F test that all u_i = 0).
    pub panel_effects: bool,
    /// t or z inference.
    pub inference: Distribution,
    /// What `vce(robust)` computes.
    pub robust: RobustMeaning,
    /// Clustered VCEs are available.
    pub clusters: bool,
    /// Clusters must contain whole panels (Stata r(498) for `xtreg`).
    pub clusters_nest_panels: bool,
    /// The Driscoll–Kraay VCE is implemented for it.
    pub driscoll_kraay: bool,
    /// The table header shows panel statistics (groups, obs per group, R² within / between /
    /// overall) rather than `regress`'s R², adjusted R² and Root MSE.
    pub panel_header: bool,
    /// The table footer shows sigma_u, sigma_e and rho.
    pub variance_footer: bool,
    /// What the header says about corr(u_i, X).
    pub effects_correlation: EffectsCorrelation,
    /// The default R² of a report column.
    pub default_r2: DefaultR2,
}

/// One row per estimator (their order is [`Estimator::ALL`]).
pub const ESTIMATORS: &[EstimatorInfo] = &[
    EstimatorInfo {
        estimator: Estimator::Pooled,
        name: "pooled",
        aliases: &["ols"],
        long_name: "Pooled OLS",
        short_name: "OLS",
        title: "Linear regression (pooled OLS)",
        stata_command: "regress",
        stata_options: "",
        stata: "regress y x",
        plm: Some("model = \"pooling\""),
        fixest: Some("feols(y ~ x)"),
        method: Method::Ols,
        transform: DesignTransform::Levels,
        time_effects: false,
        panel_effects: false,
        inference: Distribution::T,
        robust: RobustMeaning::Hc1,
        clusters: true,
        clusters_nest_panels: false,
        driscoll_kraay: true,
        panel_header: false,
        variance_footer: false,
        effects_correlation: EffectsCorrelation::NotApplicable,
        default_r2: DefaultR2::Plain,
    },
    EstimatorInfo {
        estimator: Estimator::Fe,
        name: "fe",
        aliases: &[],
        long_name: "Fixed effects",
        short_name: "FE",
        title: "Fixed-effects (within) regression",
        stata_command: "xtreg",
        stata_options: "fe",
        stata: "xtreg y x, fe",
        plm: Some("model = \"within\""),
        fixest: Some("feols(y ~ x | id)"),
        method: Method::Within,
        transform: DesignTransform::Levels,
        time_effects: false,
        panel_effects: true,
        inference: Distribution::T,
        robust: RobustMeaning::ClusterOnPanel,
        clusters: true,
        clusters_nest_panels: true,
        driscoll_kraay: true,
        panel_header: true,
        variance_footer: true,
        effects_correlation: EffectsCorrelation::Estimated,
        default_r2: DefaultR2::Within,
    },
    EstimatorInfo {
        estimator: Estimator::Fe2,
        name: "fe2",
        aliases: &["twoway"],
        long_name: "Two-way fixed effects",
        short_name: "TWFE",
        title: "Fixed-effects (within) regression with time effects",
        stata_command: "xtreg",
        stata_options: "fe",
        stata: "xtreg y x i.year, fe",
        plm: Some("effect = \"twoways\""),
        fixest: Some("feols(y ~ x | id + year)"),
        method: Method::Within,
        transform: DesignTransform::Levels,
        time_effects: true,
        panel_effects: true,
        inference: Distribution::T,
        robust: RobustMeaning::ClusterOnPanel,
        clusters: true,
        clusters_nest_panels: true,
        driscoll_kraay: true,
        panel_header: true,
        variance_footer: true,
        effects_correlation: EffectsCorrelation::Estimated,
        default_r2: DefaultR2::Within,
    },
    EstimatorInfo {
        estimator: Estimator::Re,
        name: "re",
        aliases: &[],
        long_name: "Random effects",
        short_name: "RE",
        title: "Random-effects GLS regression",
        stata_command: "xtreg",
        stata_options: "re",
        stata: "xtreg y x, re",
        plm: Some("model = \"random\" (swar)"),
        fixest: None,
        method: Method::RandomEffectsGls,
        transform: DesignTransform::Levels,
        time_effects: false,
        panel_effects: false,
        inference: Distribution::Normal,
        robust: RobustMeaning::ClusterOnPanel,
        clusters: true,
        clusters_nest_panels: true,
        driscoll_kraay: false,
        panel_header: true,
        variance_footer: true,
        effects_correlation: EffectsCorrelation::AssumedZero,
        default_r2: DefaultR2::Overall,
    },
    EstimatorInfo {
        estimator: Estimator::Be,
        name: "be",
        aliases: &[],
        long_name: "Between",
        short_name: "BE",
        title: "Between regression (regression on group means)",
        stata_command: "xtreg",
        stata_options: "be",
        stata: "xtreg y x, be",
        plm: Some("model = \"between\""),
        fixest: None,
        method: Method::Between,
        transform: DesignTransform::Levels,
        time_effects: false,
        panel_effects: false,
        inference: Distribution::T,
        robust: RobustMeaning::NotAvailable,
        clusters: false,
        clusters_nest_panels: false,
        driscoll_kraay: false,
        panel_header: true,
        variance_footer: false,
        effects_correlation: EffectsCorrelation::NotApplicable,
        default_r2: DefaultR2::Between,
    },
    EstimatorInfo {
        estimator: Estimator::Fd,
        name: "fd",
        aliases: &[],
        long_name: "First differences",
        short_name: "FD",
        title: "Linear regression in first differences",
        stata_command: "regress",
        stata_options: "",
        stata: "regress D.y D.x",
        plm: Some("model = \"fd\""),
        fixest: Some("feols(d(y) ~ d(x), panel.id = ~id + year)"),
        method: Method::Ols,
        transform: DesignTransform::FirstDifference,
        time_effects: false,
        panel_effects: false,
        inference: Distribution::T,
        robust: RobustMeaning::Hc1,
        clusters: true,
        clusters_nest_panels: false,
        driscoll_kraay: true,
        panel_header: false,
        variance_footer: false,
        effects_correlation: EffectsCorrelation::NotApplicable,
        default_r2: DefaultR2::Plain,
    },
    EstimatorInfo {
        estimator: Estimator::Hdfe,
        name: "hdfe",
        aliases: &["reghdfe"],
        long_name: "Absorbed fixed effects",
        short_name: "HDFE",
        title: "HDFE linear regression (absorbed fixed effects)",
        stata_command: "reghdfe",
        stata_options: "",
        stata: "reghdfe y x, absorb(f1 f2#f3)",
        plm: None,
        fixest: Some("feols(y ~ x | f1 + f2^f3)"),
        method: Method::Hdfe,
        transform: DesignTransform::Levels,
        time_effects: false,
        panel_effects: false,
        inference: Distribution::T,
        robust: RobustMeaning::Hc1,
        clusters: true,
        clusters_nest_panels: false,
        driscoll_kraay: false,
        panel_header: false,
        variance_footer: false,
        effects_correlation: EffectsCorrelation::NotApplicable,
        default_r2: DefaultR2::Plain,
    },
    EstimatorInfo {
        estimator: Estimator::Ppml,
        name: "ppml",
        aliases: &["ppmlhdfe", "fepois"],
        long_name: "Poisson PML with absorbed fixed effects",
        short_name: "PPML",
        title: "HDFE PPML regression (Poisson pseudo-likelihood)",
        stata_command: "ppmlhdfe",
        stata_options: "",
        stata: "ppmlhdfe y x, absorb(f1 f2#f3)",
        plm: None,
        fixest: Some("fepois(y ~ x | f1 + f2^f3)"),
        method: Method::Ppml,
        transform: DesignTransform::Levels,
        time_effects: false,
        panel_effects: false,
        inference: Distribution::Normal,
        robust: RobustMeaning::Hc1,
        clusters: true,
        clusters_nest_panels: false,
        driscoll_kraay: false,
        panel_header: false,
        variance_footer: false,
        effects_correlation: EffectsCorrelation::NotApplicable,
        default_r2: DefaultR2::Plain,
    },
];

/// Number of estimators (rows of [`ESTIMATORS`]).
pub const COUNT: usize = ESTIMATORS.len();

impl Estimator {
    /// Every estimator, in table order.
    pub const ALL: [Estimator; COUNT] = {
        let mut all = [Estimator::Pooled; COUNT];
        let mut i = 0;
        while i < COUNT {
            all[i] = ESTIMATORS[i].estimator;
            i += 1;
        }
        all
    };

    /// The names specs and the command line accept (aliases excluded), in table order: the
    /// spec validator's allowed list.
    pub const NAMES: [&'static str; COUNT] = {
        let mut names = [""; COUNT];
        let mut i = 0;
        while i < COUNT {
            names[i] = ESTIMATORS[i].name;
            i += 1;
        }
        names
    };

    /// The estimator's row of [`ESTIMATORS`]. The match is exhaustive, so a new variant does
    /// not compile until it has a row.
    pub const fn info(self) -> &'static EstimatorInfo {
        let row = match self {
            Estimator::Pooled => 0,
            Estimator::Fe => 1,
            Estimator::Fe2 => 2,
            Estimator::Re => 3,
            Estimator::Be => 4,
            Estimator::Fd => 5,
            Estimator::Hdfe => 6,
            Estimator::Ppml => 7,
        };
        &ESTIMATORS[row]
    }
}

impl Vce {
    /// The three names a spec's `vce` takes (the aliases of [`VCE_NAMES`] are for
    /// `gvc estimate`, where the estimator is known when the name is read).
    pub const NAMES: [&'static str; 3] = ["conventional", "robust", "cluster"];
}

/// Where a `vce` name is valid and what it then computes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VceName {
    /// The name as written (`--vce hc1`).
    pub name: &'static str,
    /// The option it selects.
    pub vce: Vce,
    /// Who gives the name this meaning (documentation).
    pub origin: &'static str,
    /// The estimators for which the name means exactly what gvc computes.
    pub estimators: &'static [Estimator],
    /// Why it is refused for the other estimators, and what to write instead.
    pub otherwise: &'static str,
}

/// Every `vce` name gvc accepts, with the estimators for which it means exactly what Stata
/// (`vce()`) or fixest (`vcov =`) mean by it. An alias is refused where gvc would compute
/// something else than its origin does.
pub const VCE_NAMES: [VceName; 7] = [
    VceName {
        name: "conventional",
        vce: Vce::Conventional,
        origin: "Stata vce(conventional)",
        estimators: &Estimator::ALL,
        otherwise: "",
    },
    VceName {
        name: "robust",
        vce: Vce::Robust,
        origin: "Stata vce(robust): HC1 after regress (after reghdfe/ppmlhdfe with the absorbed \
                 effects counted), clustered on the panel after xtreg",
        estimators: &[
            Estimator::Pooled,
            Estimator::Fe,
            Estimator::Fe2,
            Estimator::Re,
            Estimator::Fd,
            Estimator::Hdfe,
            Estimator::Ppml,
        ],
        otherwise: "xtreg, be has only the conventional VCE; write --vce conventional",
    },
    VceName {
        name: "cluster",
        vce: Vce::Cluster,
        origin: "Stata vce(cluster var), fixest vcov = \"cluster\"",
        estimators: &[
            Estimator::Pooled,
            Estimator::Fe,
            Estimator::Fe2,
            Estimator::Re,
            Estimator::Fd,
            Estimator::Hdfe,
            Estimator::Ppml,
        ],
        otherwise: "xtreg, be has only the conventional VCE; write --vce conventional",
    },
    VceName {
        name: "dk",
        vce: Vce::DriscollKraay,
        origin: "Stata xtscc (Hoechle 2007): Driscoll–Kraay, Bartlett weights on the period sums \
                 of the scores, T/(T−1)·(N−1)/(N−K), t(T−1); `dk:<lags>` sets the lag length \
                 (default ⌊4(T/100)^(2/9)⌋)",
        estimators: &[
            Estimator::Pooled,
            Estimator::Fe,
            Estimator::Fe2,
            Estimator::Fd,
        ],
        otherwise: "Driscoll–Kraay (xtscc) is computed for pooled, fe, fe2 and fd; xtscc has no \
                    random-effects or between version and gvc none for absorbed factors",
    },
    VceName {
        name: "ols",
        vce: Vce::Conventional,
        origin: "Stata regress, vce(ols)",
        estimators: &[Estimator::Pooled, Estimator::Fd],
        otherwise: "`ols` is regress's name for the conventional VCE and xtreg does not accept \
                    it; write --vce conventional",
    },
    VceName {
        name: "iid",
        vce: Vce::Conventional,
        origin: "fixest vcov = \"iid\"",
        estimators: &[
            Estimator::Pooled,
            Estimator::Fe,
            Estimator::Fe2,
            Estimator::Fd,
            Estimator::Hdfe,
            Estimator::Ppml,
        ],
        otherwise:
            "`iid` is fixest's name for the conventional VCE and fixest has no random-effects \
                    or between estimator; write --vce conventional",
    },
    VceName {
        name: "hc1",
        vce: Vce::Robust,
        origin: "fixest vcov = \"hc1\" / \"hetero\", sandwich HC1: N/(N − K)",
        estimators: &[
            Estimator::Pooled,
            Estimator::Fd,
            Estimator::Hdfe,
            Estimator::Ppml,
        ],
        otherwise: "`hc1` is heteroskedasticity-robust HC1 (fixest counts the fixed effects in K, \
                    as areg's vce(robust)), which gvc estimate does not offer for panel \
                    estimators; Stata's xtreg vce(robust) clusters on the panel: write --vce \
                    robust (or --vce cluster)",
    },
];

/// Why a `vce` name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VceNameError {
    /// Not a name gvc knows.
    #[error("unknown vce `{name}`; use {known}")]
    Unknown {
        /// As written.
        name: String,
        /// The names accepted for this estimator.
        known: String,
    },
    /// A known name that does not mean what gvc would compute for this estimator.
    #[error("vce `{name}` cannot be used with estimator {estimator}: {reason}")]
    NotForEstimator {
        /// As written.
        name: String,
        /// The estimator's name.
        estimator: &'static str,
        /// Why, and what to write instead.
        reason: &'static str,
    },
}

impl Vce {
    /// The `vce` option named `name` (case-insensitive) for `estimator`: an error for an
    /// unknown name and for a name that, for this estimator, does not mean what Stata or
    /// fixest mean by it ([`VCE_NAMES`]).
    pub fn parse_for(name: &str, estimator: Estimator) -> Result<Vce, VceNameError> {
        let key = name.trim().to_ascii_lowercase();
        let Some(entry) = VCE_NAMES.iter().find(|v| v.name == key) else {
            let known: Vec<&str> = VCE_NAMES
                .iter()
                .filter(|v| v.estimators.contains(&estimator))
                .map(|v| v.name)
                .collect();
            return Err(VceNameError::Unknown {
                name: name.to_string(),
                known: known.join(", "),
            });
        };
        if entry.estimators.contains(&estimator) {
            Ok(entry.vce)
        } else {
            Err(VceNameError::NotForEstimator {
                name: name.to_string(),
                estimator: estimator.info().name,
                reason: entry.otherwise,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_follow_all() {
        assert_eq!(Estimator::ALL.len(), ESTIMATORS.len());
        for (row, e) in ESTIMATORS.iter().zip(Estimator::ALL) {
            assert_eq!(row.estimator, e);
            assert_eq!(e.info().estimator, e);
            assert_eq!(Estimator::parse(row.name), Some(e));
            for alias in row.aliases {
                assert_eq!(Estimator::parse(alias), Some(e));
            }
        }
        assert_eq!(
            Estimator::NAMES,
            ["pooled", "fe", "fe2", "re", "be", "fd", "hdfe", "ppml"]
        );
        for name in Vce::NAMES {
            assert_eq!(Vce::parse(name).map(Vce::as_str), Some(name));
        }
    }

    /// Each fit shows the facts of its row: title, Stata command, t or z, the u_i test, year
    /// dummies, what robust computes, which covariances exist, what the table prints.
    #[test]
    fn fits_follow_their_rows() {
        use crate::estimate::{
            build_design, fit, render_table, CovarianceKind, DesignSpec, FitOptions, IdColumn,
            PanelData,
        };
        let (panels, years) = (5usize, 6usize);
        let n = panels * years;
        let ids: Vec<Option<i64>> = (0..n).map(|i| Some((i / years) as i64)).collect();
        let t: Vec<Option<i64>> = (0..n).map(|i| Some(2000 + (i % years) as i64)).collect();
        let x: Vec<f64> = (0..n)
            .map(|i| ((i * 7 % 11) as f64).sin() + i as f64 / 9.0)
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|i| 1.0 + 0.5 * x[i] + (i / years) as f64 + ((i * 5 % 7) as f64 - 3.0) / 10.0)
            .collect();
        let mut data = PanelData::new("id", IdColumn::Int(&ids), "year", &t).expect("ids");
        data.add_f64_column("x", &x).expect("x");
        data.add_f64_column("y", &y).expect("y");
        for e in Estimator::ALL {
            let info = e.info();
            let spec = DesignSpec {
                transform: info.transform,
                ..DesignSpec::new("y", &["x"])
            };
            let design = build_design(&data, &spec).expect("design");
            let res = fit(&design, e, &FitOptions::default()).expect("fit");
            assert_eq!(res.title, info.title, "{e:?}");
            assert!(res.stata_command.starts_with(info.stata_command), "{e:?}");
            let primary = res.primary().expect("primary");
            assert_eq!(primary.distribution, info.inference, "{e:?}");
            assert_eq!(res.tests.u_i_zero.is_some(), info.panel_effects, "{e:?}");
            let dummies = res.coef_names.iter().any(|c| c.ends_with(".year"));
            assert_eq!(dummies, info.time_effects, "{e:?}");
            let robust = fit(&design, e, &FitOptions::with_vce(Vce::Robust));
            match info.robust {
                RobustMeaning::Hc1 => assert_eq!(
                    robust.expect("robust").primary().map(|c| c.kind),
                    Some(CovarianceKind::RobustHc1)
                ),
                RobustMeaning::ClusterOnPanel => assert_eq!(
                    robust.expect("robust").primary().map(|c| c.kind),
                    Some(CovarianceKind::ClusterPanel)
                ),
                RobustMeaning::NotAvailable => assert!(robust.is_err(), "{e:?}"),
            }
            let cluster = fit(&design, e, &FitOptions::with_vce(Vce::Cluster));
            assert_eq!(cluster.is_ok(), info.clusters, "{e:?}");
            let dk = FitOptions {
                extra_covariances: vec![CovarianceKind::DriscollKraay { lags: None }],
                ..FitOptions::default()
            };
            assert_eq!(fit(&design, e, &dk).is_ok(), info.driscoll_kraay, "{e:?}");
            let areg = FitOptions {
                extra_covariances: vec![CovarianceKind::Hc1AregStyle],
                ..FitOptions::default()
            };
            assert_eq!(fit(&design, e, &areg).is_ok(), info.panel_effects, "{e:?}");
            let table = render_table(&res);
            assert_eq!(
                table.contains("Number of groups"),
                info.panel_header,
                "{e:?}"
            );
            assert_eq!(table.contains("sigma_u"), info.variance_footer, "{e:?}");
            assert_eq!(
                table.contains("corr(u_i, Xb)"),
                info.effects_correlation == EffectsCorrelation::Estimated,
                "{e:?}"
            );
        }
    }

    #[test]
    fn vce_aliases_mean_what_their_origin_means() {
        use Estimator::*;
        // hc1 is HC1 only where gvc's robust is HC1 (regress); for xtreg fe gvc's robust is
        // CR1 on the panel, which is not what fixest's hc1 computes (issue #13).
        assert_eq!(Vce::parse_for("hc1", Pooled), Ok(Vce::Robust));
        assert_eq!(Vce::parse_for("HC1", Fd), Ok(Vce::Robust));
        for e in [Fe, Fe2, Re, Be] {
            let err = Vce::parse_for("hc1", e).expect_err("hc1 with a panel estimator");
            assert!(err.to_string().contains("--vce robust"), "{err}");
        }
        // ols is regress's name only.
        assert_eq!(Vce::parse_for("ols", Pooled), Ok(Vce::Conventional));
        assert!(Vce::parse_for("ols", Fe).is_err());
        // iid is fixest's; fixest has no RE or BE.
        assert_eq!(Vce::parse_for("iid", Fe2), Ok(Vce::Conventional));
        assert!(Vce::parse_for("iid", Re).is_err());
        // be has only the conventional VCE.
        assert!(Vce::parse_for("robust", Be).is_err());
        assert!(Vce::parse_for("cluster", Be).is_err());
        assert_eq!(Vce::parse_for(" Robust ", Fe), Ok(Vce::Robust));
        let unknown = Vce::parse_for("hc3", Pooled).expect_err("unknown");
        assert!(
            unknown
                .to_string()
                .contains("conventional, robust, cluster"),
            "{unknown}"
        );
        // Every name is valid for at least one estimator, and each valid pair parses.
        for v in VCE_NAMES {
            assert!(!v.estimators.is_empty(), "{}", v.name);
            for &e in v.estimators {
                assert_eq!(Vce::parse_for(v.name, e), Ok(v.vce));
            }
        }
    }
}
