//! The panel stage: country-year series from the decomposition and the covariate sources are
//! harmonised to one country code system, transformed ([`transforms`]), and laid on the
//! balanced skeleton of the sample (every sample country × every sample year), with a
//! missing-data summary, descriptives and notes on every value dropped, filled or clipped.
//!
//! Pure: no files, no terminal, no spec types. The engine reads the sources, passes their
//! series in [`PanelInputs`] and the variable definitions and sample as plain values.

pub mod assemble;
pub mod sector_groups;
pub mod series;
pub mod summary;
pub mod transforms;
pub mod unit;

pub use assemble::IMPORTER_PREFIX;
pub use assemble::{
    assemble, Assembled, MissingSummary, Note, Panel, PanelColumn, PanelInputs, Sample,
    UnitObservation, VariableDef, VariableSpec,
};
pub use series::{Bilateral, Series};
pub use summary::Descriptives;
pub use transforms::Transform;
pub use unit::{absorbed_estimator, Dim, FeTerm, PanelUnit, UnitInfo, UNITS};

use crate::sources::countries::{CodeSystem, CountryError};

/// A failure of the panel stage, naming the variable (or input series) concerned and the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PanelError {
    /// `from` names neither another variable nor an input series.
    #[error("variable `{variable}`: unknown source `{from}`{} (fix: use `decomposition.<measure>`, `<source>.<column or indicator>` or the name of another variable)", nearest_suffix(nearest))]
    UnknownSource {
        variable: String,
        from: String,
        nearest: Vec<String>,
    },
    /// An operand of `ratio`, `interaction` or `lp_spillover.capital` is unknown.
    #[error("variable `{variable}`: `{transform}` refers to unknown `{operand}`{} (fix: name another variable or an input series)", nearest_suffix(nearest))]
    UnknownOperand {
        variable: String,
        transform: String,
        operand: String,
        nearest: Vec<String>,
    },
    /// `lp_spillover.ofdi` names no bilateral input with rows (a declared table without a row
    /// for the sample, e.g. a synthetic panel of one country, has no pairs to read).
    #[error("variable `{variable}`: lp_spillover needs the bilateral table `{ofdi}`, but no bilateral source has a row of it{} (fix: declare a `csv` source with layout = \"bilateral\" that holds `{ofdi}`; a synthetic panel has pairs only when the sample has two or more countries)", nearest_suffix(nearest))]
    UnknownBilateral {
        variable: String,
        ofdi: String,
        nearest: Vec<String>,
    },
    /// A transform's parameters are invalid.
    #[error("variable `{variable}`: invalid transform `{transform}`: {message}")]
    InvalidTransform {
        variable: String,
        transform: String,
        message: String,
    },
    /// A transform cannot be computed on this data (e.g. standardize of a constant).
    #[error("variable `{variable}`: transform `{transform}` failed: {message}")]
    TransformFailed {
        variable: String,
        transform: String,
        message: String,
    },
    /// Variables defined from each other in a circle.
    #[error("variables defined in a cycle: {} (fix: one of them must come from a source)", variables.join(" -> "))]
    Cycle { variables: Vec<String> },
    /// Two variables with the same name.
    #[error("variable `{variable}` is defined twice (fix: rename one)")]
    DuplicateVariable { variable: String },
    /// An input series has two values for one (country, year), possibly after code mapping.
    #[error("input `{series}` has two values for ({country}, {year}) (fix: two codes of the table map to the same economy, or the source repeats a row)")]
    DuplicateObservation {
        series: String,
        country: String,
        year: i32,
    },
    /// An input series holds a code that is not valid in its declared code system.
    #[error("input `{series}`: {source} (fix: declare the source's code system correctly)")]
    Country {
        series: String,
        #[source]
        source: CountryError,
    },
    /// A sample country has no code in the working code system.
    #[error("sample country `{country}`: {source}")]
    SampleCountry {
        country: String,
        #[source]
        source: CountryError,
    },
    /// An input declares a code system but the sample has none, so they cannot be joined.
    #[error("input `{series}` uses {system} country codes but the sample's code system is not given (fix: state the code system of the sample countries)")]
    CodesUnknown { series: String, system: CodeSystem },
    /// A year outside 1000–9999 in an input.
    #[error("input `{series}`: implausible year {year} (fix: years must be calendar years such as 2010)")]
    ImplausibleYear { series: String, year: i32 },
    /// A variable with no value at all in the sample.
    #[error("variable `{variable}` (from `{from}`) has no data for the sample: {detail} (fix: check the source, the code system, the years and the transforms)")]
    NoData {
        variable: String,
        from: String,
        detail: String,
    },
    /// A sector of `panel.sectors` (or of a group of `panel.groups`) that no decomposition row
    /// has.
    #[error("{place}: sector `{sector}` is in none of the tables' {known} sectors{} (fix: write the sector codes as the tables' row labels do)", nearest_suffix(nearest))]
    UnknownSector {
        /// Where the code was written: the panel's `sectors`, or a `[sectors]` set of `groups`.
        place: String,
        sector: String,
        nearest: Vec<String>,
        known: usize,
    },
    /// The sample is malformed (no countries, reversed years, duplicates, ...).
    #[error("sample: {message}")]
    BadSample { message: String },
}

fn nearest_suffix(nearest: &[String]) -> String {
    if nearest.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", nearest.join(", "))
    }
}
