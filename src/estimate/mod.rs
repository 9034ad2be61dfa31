//! Panel regressions that reproduce Stata 17 (reference/econometrics.md): pooled OLS (`regress`),
//! one-way FE (`xtreg, fe`, with Stata's constant), two-way FE (`xtreg ... i.year, fe`), random
//! effects (`xtreg, re`, Swamy–Arora; Baltagi–Chang `sa` variants), between (`xtreg, be`), first
//! differences (`regress D.y D.x`); conventional / HC1 / cluster (CR1) / areg-style /
//! Driscoll–Kraay covariances; Stata's fit statistics and tests; the Hausman test.
//!
//! Pure numerics: no files, terminal, cache or spec types.
//!
//! Flow: [`PanelData`] (raw columns) → [`build_design`] with a [`DesignSpec`] (operators L./F./D.
//! parsed by [`operators`], listwise deletion, duplicate check, singletons) → [`fit()`] with an
//! [`Estimator`] and [`FitOptions`] → [`EstimationResult`] (serde) → [`hausman()`],
//! [`render_table`], [`quick_json()`]. Many column subsets of one design: [`SubsetFitter`]
//! (shared cross-products, the same results).
//!
//! What differs between estimators besides the algorithm is one row of [`ESTIMATORS`]
//! ([`Estimator::info`]); the `vce` names and their meaning per estimator are [`VCE_NAMES`].

pub mod bootstrap;
mod covariance;
pub mod design;
pub mod dist;
pub mod error;
pub mod estimators;
pub mod fit;
pub mod hausman;
pub mod hdfe;
pub mod iv;
mod linalg;
mod ols;
pub mod operators;
pub mod quick;
pub mod quick_json;
pub mod results;
mod stats;
pub mod subset;
pub mod table;

pub use covariance::default_dk_lags;
pub use design::{
    build_design, build_design_with_ids, ClusterIds, Design, DesignSpec, DesignTransform, IdColumn,
    PanelData, SampleAccounting, VarExpr,
};
pub use error::EstimateError;
pub use estimators::{
    DefaultR2, EffectsCorrelation, EstimatorInfo, Method, RobustMeaning, VceName, VceNameError,
    ESTIMATORS, VCE_NAMES,
};
pub use fit::{covariance_for, fit, omission_note, FitOptions, FORMAT_VERSION};
pub use hausman::{hausman, HausmanResult, HausmanVariant, NEGATIVE_CHI2_NOTE};
pub use hdfe::{build_absorb_design, fit_hdfe, AbsorbDesign, Factor, HdfeInfo, HdfeOptions};
pub use quick::{run_quick, QuickOutput, QuickRequest};
pub use quick_json::{quick_json, quick_json_string, QuickJson};
pub use results::{
    CovarianceKind, CovarianceResult, Distribution, EstimationResult, Estimator, FitStats,
    OmissionReason, OmittedTerm, PanelEffects, ReMethod, SampleInfo, Term, TestResult, Tests,
    ThetaSummary, VarianceComponents, Vce,
};
pub use stats::stata_percentile;
pub use subset::{SubsetEstimates, SubsetFitter};
pub use table::{fmt_g, fmt_g9, render_hausman, render_table};
