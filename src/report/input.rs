//! The typed input of the report ([`ReportInput`]): built by the engine from the spec and the
//! cached result artifacts, cached as JSON with the report, and read by the table and figure
//! builders. Pure data: no estimator is run from it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::format::Format;
use crate::estimate::{EstimationResult, HausmanResult};

/// Everything the report shows. Pure data: no estimator is run from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportInput {
    /// Study title (`[study] title`).
    pub title: String,
    /// Optional introductory paragraph.
    #[serde(default)]
    pub description: Option<String>,
    /// Free notes shown at the end of the report (one paragraph each).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Sample description, e.g. "35 economies, 2007–2017, excluding 2009".
    #[serde(default)]
    pub sample_note: Option<String>,
    /// Formatting settings (`[report]`).
    #[serde(default)]
    pub settings: ReportSettings,
    /// Variable / measure / identifier labels: name → label (`[variables] x = { label }`).
    /// Looked up for coefficient rows (full term such as `L.tariff` first, then its base
    /// variable), dependent variables, measures, and panel/time/cluster variables.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Country display names: code → name (missing codes are shown as the code).
    #[serde(default)]
    pub country_names: BTreeMap<String, String>,
    /// Regression tables, one per `[[models]]` block and robustness variant.
    #[serde(default)]
    pub models: Vec<ModelBlock>,
    /// Descriptive statistics of the panel variables (one row per variable).
    #[serde(default)]
    pub descriptives: Vec<DescriptiveRow>,
    /// Missing-data summary of the panel (one row per variable).
    #[serde(default)]
    pub missing: Vec<MissingRow>,
    /// Decomposition measures in long form (country, year, measure, value).
    #[serde(default)]
    pub indicators: Vec<IndicatorRow>,
}

/// Formatting settings of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportSettings {
    /// Output formats to render.
    pub formats: Vec<Format>,
    /// Significance thresholds, any order, each in (0, 1): a coefficient gets one star per
    /// threshold its p-value is strictly below (`[0.10, 0.05, 0.01]` → `*`, `**`, `***`).
    /// Empty = no stars and no legend.
    pub stars: Vec<f64>,
    /// Decimals of coefficients, standard errors and statistics.
    pub digits: usize,
    /// Which R² the regression tables show.
    pub r2: R2Choice,
    /// Coefficient rows listed first, in this order (row keys after `rename`).
    pub order: Vec<String>,
    /// If non-empty, only these rows are shown (row keys after `rename`; `*` wildcards).
    pub keep: Vec<String>,
    /// Rows not shown (row keys after `rename`; `*` wildcards), e.g. `["_cons"]`.
    pub drop: Vec<String>,
    /// Coefficient name → row key: several coefficients with the same key share one row
    /// (esttab `rename()`, e.g. `L.tariff` → `tariff` across columns).
    pub rename: BTreeMap<String, String>,
    /// Show the year-dummy coefficients of two-way FE (default: hidden, "Year FE: Yes" row).
    pub show_time_dummies: bool,
    /// Label of the groups row (default: "Number of <panel variable label, plural>").
    pub groups_label: Option<String>,
    /// Draw a coefficient plot per model block.
    pub coefficient_plot: bool,
    /// A table per FE/RE pair comparing the coefficients as Stata's `hausman` prints them.
    pub hausman_details: bool,
    /// GVC indicator tables and figures.
    pub indicators: IndicatorSettings,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            formats: vec![Format::Markdown, Format::Latex],
            stars: vec![0.10, 0.05, 0.01],
            digits: 3,
            r2: R2Choice::Auto,
            order: Vec::new(),
            keep: Vec::new(),
            drop: Vec::new(),
            rename: BTreeMap::new(),
            show_time_dummies: false,
            groups_label: None,
            coefficient_plot: true,
            hausman_details: false,
            indicators: IndicatorSettings::default(),
        }
    }
}

/// Which R² a regression table reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum R2Choice {
    /// Within for FE, overall for RE, between for BE, plain R² for pooled / FD (one row per
    /// kind present, each filled for its columns).
    #[default]
    Auto,
    /// Within R² for every column (where defined).
    Within,
    /// Overall R² for every column (plain R² for pooled / FD).
    Overall,
    /// Between R² for every column (where defined).
    Between,
}

/// Which indicator tables and figures to draw. `None` = every measure present in the input,
/// in order of first appearance; `Some(vec![])` = none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct IndicatorSettings {
    /// Measures of the summary table (first year, last year, change, by country).
    pub summary: Option<Vec<String>>,
    /// The summary table is sorted by this measure's last-year value, descending (default:
    /// the first summary measure).
    pub sort_by: Option<String>,
    /// Measures with a country × year table.
    pub by_year: Option<Vec<String>>,
    /// Measures with a line chart over time.
    pub figures: Option<Vec<String>>,
    /// Countries drawn in colour (with a legend) in the line charts; the others are grey.
    pub highlight: Vec<String>,
}

/// One regression table: the columns of one `[[models]]` block (one per sequential-control
/// step and estimator), for one sample variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelBlock {
    /// File stem of `tables/<name>.md|tex` (letters, digits, `_`, `-`, `.`).
    pub name: String,
    /// Table caption.
    pub title: String,
    /// Dependent variable name (its label heads the table).
    pub dependent: String,
    /// Robustness variant shown in the caption (e.g. "excluding 2009").
    #[serde(default)]
    pub variant: Option<String>,
    /// The columns, left to right.
    pub columns: Vec<ModelColumn>,
    /// Hausman tests shown under their FE/RE pair.
    #[serde(default)]
    pub hausman: Vec<HausmanPair>,
    /// Extra notes under the table.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// One column of a regression table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelColumn {
    /// Optional extra header (e.g. "+ R&D"); the column number is always shown.
    #[serde(default)]
    pub label: Option<String>,
    /// Controls included in this column (documentation; the rows come from the result).
    #[serde(default)]
    pub controls_included: Vec<String>,
    /// The estimation (read only).
    pub result: EstimationResult,
}

/// A Hausman test between two columns of the same block (0-based column indices).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HausmanPair {
    /// Column of the consistent (FE) model.
    pub fe_column: usize,
    /// Column of the efficient (RE) model.
    pub re_column: usize,
    /// The test.
    pub result: HausmanResult,
}

/// Descriptives of one variable (the fields of `panel::Descriptives`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DescriptiveRow {
    /// Variable name (label looked up in `labels`).
    pub variable: String,
    /// Non-missing cells.
    pub n: usize,
    /// Mean.
    pub mean: Option<f64>,
    /// Standard deviation (n − 1).
    pub sd: Option<f64>,
    /// Minimum.
    pub min: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// Maximum.
    pub max: Option<f64>,
}

/// Missing cells of one variable (the fields of `panel::MissingSummary`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingRow {
    /// Variable name.
    pub variable: String,
    /// Missing cells.
    pub n_missing: usize,
    /// Panel rows.
    pub n_rows: usize,
    /// The missing (country, year) cells.
    pub cells: Vec<(String, i32)>,
}

/// One value of a decomposition measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorRow {
    /// Country code.
    pub country: String,
    /// Year.
    pub year: i32,
    /// Measure name (label looked up in `labels`).
    pub measure: String,
    /// Value (NaN: missing, e.g. a ratio with a zero denominator; written as `null`).
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub value: f64,
}

impl crate::choice::Choice for R2Choice {
    const WHAT: &'static str = "R² choice";
    const ALL: &'static [Self] = &[
        R2Choice::Auto,
        R2Choice::Within,
        R2Choice::Overall,
        R2Choice::Between,
    ];
    fn name(self) -> &'static str {
        match self {
            R2Choice::Auto => "auto",
            R2Choice::Within => "within",
            R2Choice::Overall => "overall",
            R2Choice::Between => "between",
        }
    }
}
