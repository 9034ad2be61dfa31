//! Readers for input-output tables and covariates, and the country-code registry.

pub mod countries;
pub mod error;
pub mod format;
pub mod mrio;
pub mod series;
pub mod synthetic_panel;
pub mod table;
pub mod wdi;

pub use error::SourceError;
pub use format::SourceFormat;
pub use series::{check_series, series_names, CovariateSource};
