//! Typed errors of the panel-regression numerics. Every message names the variable, panel, time
//! or estimator involved and says how to fix the input.

use thiserror::Error;

/// Why an estimation could not be carried out.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EstimateError {
    /// A data column does not have as many rows as the panel identifier.
    #[error(
        "column `{name}` has {got} rows but the panel identifier has {expected}; \
         all columns of one panel data set must have the same length"
    )]
    LengthMismatch {
        /// Column name.
        name: String,
        /// Rows of the panel identifier.
        expected: usize,
        /// Rows of the offending column.
        got: usize,
    },

    /// Two rows share the same (panel, time) pair (Stata: "repeated time values within panel").
    #[error(
        "repeated time values within panel: panel {panel} has two rows with {time_var} = {time} \
         (rows {first_row} and {second_row}, 1-based); keep one row per (panel, time) pair \
         before estimating"
    )]
    DuplicatePanelTime {
        /// Panel label.
        panel: String,
        /// Name of the time variable.
        time_var: String,
        /// Repeated time value.
        time: i64,
        /// First row holding the pair (1-based).
        first_row: usize,
        /// Second row holding the pair (1-based).
        second_row: usize,
    },

    /// Two columns were registered under the same name.
    #[error("column `{name}` was added twice; give every column a distinct name")]
    DuplicateColumn {
        /// Column name.
        name: String,
    },

    /// The dependent variable is also a regressor (the same base and operators).
    #[error(
        "the dependent variable `{name}` is also a regressor; y on itself is a perfect fit, \
         not a model (remove it from the regressors; a lag such as `L.{name}` is allowed)"
    )]
    DependentAsRegressor {
        /// Canonical name of the term.
        name: String,
    },

    /// A regressor, dependent or cluster variable is not a column of the data.
    #[error("unknown variable `{name}` (used in `{expression}`); known columns: {known}")]
    UnknownVariable {
        /// Missing variable.
        name: String,
        /// Expression that referenced it.
        expression: String,
        /// Comma-separated list of available columns.
        known: String,
    },

    /// A regressor expression could not be parsed (e.g. `L-x`, `Q.x`).
    #[error(
        "cannot read the variable expression `{expression}`: {reason}; write a column name, \
         optionally with Stata time-series operators such as L.x, L2.x, F.x, D.x, LD.x, S.x"
    )]
    BadExpression {
        /// The expression as given.
        expression: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A variable has no non-missing value at all, so listwise deletion would remove every row.
    #[error(
        "variable `{name}` has no non-missing value in the {rows} rows{context}; drop it from \
         the model or fix its source"
    )]
    AllMissing {
        /// Variable or expression.
        name: String,
        /// Number of rows examined.
        rows: usize,
        /// Extra context (e.g. " after applying L.").
        context: String,
    },

    /// Listwise deletion left no observation.
    #[error(
        "no observations: no row has non-missing values for all of {variables}; \
         check for non-overlapping missing values"
    )]
    NoObservations {
        /// Comma-separated list of the variables required.
        variables: String,
    },

    /// Fewer observations (or panels) than parameters.
    #[error(
        "insufficient observations for {estimator}: {available} {unit} for {parameters} \
         parameters (residual degrees of freedom would be {df}); use fewer regressors or more data"
    )]
    InsufficientObservations {
        /// Estimator name.
        estimator: String,
        /// Observations or panels available.
        available: usize,
        /// "observations" or "panels".
        unit: String,
        /// Parameters that must be estimated.
        parameters: usize,
        /// Residual degrees of freedom that would result (may be negative).
        df: i64,
    },

    /// Clustered covariance with fewer than two clusters.
    #[error(
        "clustered standard errors need at least 2 clusters, but `{cluster}` has {clusters} \
         in the estimation sample; use vce(conventional) or a coarser design"
    )]
    TooFewClusters {
        /// Cluster variable.
        cluster: String,
        /// Number of clusters.
        clusters: usize,
    },

    /// Stata r(498): FE/RE clustered VCE requires panels nested within clusters.
    #[error(
        "panels are not nested within clusters: panel {panel} has rows in cluster {first} and \
         in cluster {second} of `{cluster}`; cluster on a variable that is constant within \
         each panel (or on the panel variable itself)"
    )]
    PanelsNotNested {
        /// Cluster variable.
        cluster: String,
        /// Panel label.
        panel: String,
        /// One cluster label of that panel.
        first: String,
        /// Another cluster label of that panel.
        second: String,
    },

    /// A clustered covariance was requested but the design has no cluster variable.
    #[error(
        "vce(cluster) needs a cluster variable: build the design with a cluster column \
         (or ask for vce(robust), which clusters on the panel variable in xtreg)"
    )]
    MissingClusterVariable,

    /// A covariance type that the estimator does not define.
    #[error("covariance `{covariance}` is not available for {estimator}: {hint}")]
    UnsupportedCovariance {
        /// Covariance name.
        covariance: String,
        /// Estimator name.
        estimator: String,
        /// What to use instead.
        hint: String,
    },

    /// The design was built for levels but a first-difference fit was asked for, or vice versa.
    #[error(
        "the design was built {built} but estimator {estimator} needs {needed}; build the design \
         with DesignTransform::{needed_variant}"
    )]
    TransformMismatch {
        /// Estimator name.
        estimator: String,
        /// How the design was built.
        built: String,
        /// What is needed.
        needed: String,
        /// Name of the needed variant.
        needed_variant: String,
    },

    /// Hausman test between fits on different samples or without common coefficients.
    #[error("Hausman test not possible: {reason}")]
    Hausman {
        /// Explanation.
        reason: String,
    },

    /// An option value is out of range.
    #[error("invalid option {option} = {value}: {reason}")]
    InvalidOption {
        /// Option name.
        option: String,
        /// Offending value.
        value: String,
        /// Allowed values.
        reason: String,
    },

    /// A numerical step failed on a matrix that should have been well conditioned.
    #[error("numerical failure in {step}: {detail}")]
    Numerical {
        /// The computation that failed.
        step: String,
        /// What happened.
        detail: String,
    },
}
