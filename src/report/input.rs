//! The typed input of the report ([`ReportInput`]): built by the engine from the spec and the
//! cached result artifacts, cached as JSON with the report, and read by the table and figure
//! builders. Pure data: no estimator is run from it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::escape::Digits;
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
    /// The multiverse section: summaries and specification curves (`[multiverse]`).
    #[serde(default)]
    pub multiverse: Option<MultiverseInput>,
}

/// The multiverse section of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiverseInput {
    /// Universes (Cartesian product minus exclusions).
    pub n_universes: usize,
    /// The rows of the dot matrix under each curve: per axis its name and rows, each row a
    /// label and the alternatives it marks (a `controls` axis has a row per control, marking
    /// the subsets that include it).
    pub axes: Vec<MatrixAxis>,
    /// Each universe's alternative per axis (universe order).
    pub choices: Vec<Vec<usize>>,
    /// The baseline universe.
    pub baseline: usize,
    /// How the curve draws intervals.
    pub intervals: Intervals,
    /// One curve per model and key regressor.
    pub curves: Vec<CurveInput>,
}

/// How the specification curve shows each universe's confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Intervals {
    /// A shaded band through the interval ends (readable with thousands of universes).
    Band,
    /// A vertical bar per universe.
    Bars,
}

impl crate::choice::Choice for Intervals {
    const WHAT: &'static str = "interval style";
    const ALL: &'static [Self] = &[Intervals::Band, Intervals::Bars];
    fn name(self) -> &'static str {
        match self {
            Intervals::Band => "band",
            Intervals::Bars => "bars",
        }
    }
}
crate::choice_serde!(Intervals);

/// One axis of the dot matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatrixAxis {
    pub name: String,
    /// (row label, alternatives marked in the row).
    pub rows: Vec<(String, Vec<usize>)>,
}

/// One specification curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveInput {
    pub model: String,
    pub model_title: String,
    pub variable: String,
    /// Per universe (universe order): estimate, CI low, CI high, p-value; `None` when the
    /// universe has no estimate.
    #[serde(with = "points_serde")]
    pub points: Vec<Option<[f64; 4]>>,
    pub summary: crate::multiverse::Summary,
}

/// serde: curve points with non-finite numbers as null (JSON has no NaN), read back as NaN.
mod points_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    type Point = Option<[Option<f64>; 4]>;

    pub fn serialize<S: Serializer>(v: &[Option<[f64; 4]>], s: S) -> Result<S::Ok, S::Error> {
        let out: Vec<Point> = v
            .iter()
            .map(|p| p.map(|a| a.map(|x| x.is_finite().then_some(x))))
            .collect();
        out.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Option<[f64; 4]>>, D::Error> {
        let v: Vec<Point> = Vec::deserialize(d)?;
        Ok(v.into_iter()
            .map(|p| p.map(|a| a.map(|x| x.unwrap_or(f64::NAN))))
            .collect())
    }
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
    /// Decimals of coefficients, standard errors and statistics: a number, or `"auto"`
    /// (esttab's `a2`: at least two significant digits of every number).
    pub digits: Digits,
    /// Which R² the regression tables show.
    pub r2: R2Choice,
    /// How regression columns are headed: numbered with an estimator row (journal) or with
    /// the old long labels.
    pub style: TableStyle,
    /// Sequential controls as Yes/No indicator rows or as coefficient rows.
    pub controls: ControlsDisplay,
    /// What a regression table with several estimators does when it is wide: one table,
    /// set in landscape when wider than the text block, or one panel per estimator.
    pub layout: TableLayout,
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
            digits: Digits::Fixed(3),
            r2: R2Choice::Auto,
            style: TableStyle::Journal,
            controls: ControlsDisplay::Indicators,
            layout: TableLayout::Landscape,
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

/// How the columns of a regression table are headed (`[report] style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TableStyle {
    /// As journals print them (AER, QJE house styles; fixest `etable`, esttab `nomtitles`):
    /// the dependent variable over the columns, then `(1) … (k)`, then a row naming each
    /// column's estimator (FE/RE); sample variants beside the baseline as spanning headers.
    #[default]
    Journal,
    /// gvc's first style: spanning estimator names over their columns and a row of column
    /// labels such as "+ Economic development" (each as wide as its label).
    Labelled,
}

/// How the controls of a model show in its regression table (`[report] controls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ControlsDisplay {
    /// One Yes/No row per control below the coefficients ("Economic development: Yes"), and
    /// no coefficient rows for controls (esttab `indicate()`).
    #[default]
    Indicators,
    /// Each control's coefficient and standard error as rows, like the regressors.
    Coefficients,
}

/// What a regression table with several estimators looks like (`[report] layout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TableLayout {
    /// One table; LaTeX sets it on a landscape page (pdflscape) when it is wider than the
    /// text block, never shrinking it below `\footnotesize`.
    #[default]
    Landscape,
    /// One panel per estimator, stacked ("Panel A: Fixed effects", "Panel B: Random
    /// effects"), each with its own statistics; the Hausman test under the second panel.
    Panels,
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
    /// Controls included in this column: the Yes/No indicator rows of the journal style, and
    /// the coefficient rows hidden with `controls = "indicators"`.
    #[serde(default)]
    pub controls_included: Vec<String>,
    /// The sample variant of a column set beside the baseline ("Without 2009"); `None` for
    /// the block's own sample. Spanning headers group the columns by it.
    #[serde(default)]
    pub sample: Option<String>,
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

impl crate::choice::Choice for TableStyle {
    const WHAT: &'static str = "table style";
    const ALL: &'static [Self] = &[TableStyle::Journal, TableStyle::Labelled];
    fn name(self) -> &'static str {
        match self {
            TableStyle::Journal => "journal",
            TableStyle::Labelled => "labelled",
        }
    }
}

impl crate::choice::Choice for ControlsDisplay {
    const WHAT: &'static str = "controls display";
    const ALL: &'static [Self] = &[ControlsDisplay::Indicators, ControlsDisplay::Coefficients];
    fn name(self) -> &'static str {
        match self {
            ControlsDisplay::Indicators => "indicators",
            ControlsDisplay::Coefficients => "coefficients",
        }
    }
}

impl crate::choice::Choice for TableLayout {
    const WHAT: &'static str = "table layout";
    const ALL: &'static [Self] = &[TableLayout::Landscape, TableLayout::Panels];
    fn name(self) -> &'static str {
        match self {
            TableLayout::Landscape => "landscape",
            TableLayout::Panels => "panels",
        }
    }
}
