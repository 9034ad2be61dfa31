//! Tables as format-neutral grids (built once from the input) and their per-format contexts.
//!
//! The regression table follows the conventions of reference/pipeline-and-tables.md §2.1:
//! models as columns under spanning headers (dependent variable, estimator), coefficients with
//! the standard error in parentheses below and stars from the configured thresholds (legend
//! generated from them), then fixed-effect indicator rows, N, groups, R², and the Hausman test
//! under its FE/RE pair; the standard-error type goes in the notes.

use std::collections::{BTreeMap, BTreeSet};

use super::context::{
    HausmanPair, ModelBlock, R2Choice, ReportInput, ReportSettings, RowContext, SectionContext,
    TableContext,
};
use super::escape::{fixed, thousands, threshold, width, Format};
use super::labels::{
    capitalize, decapitalize, id_label, is_time_dummy, plural, term_label, variable_label, Text,
};
use super::ReportError;
use crate::estimate::{CovarianceKind, CovarianceResult, EstimationResult, Estimator};

/// Horizontal alignment of a data column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Align {
    /// Text or integers, centred.
    Center,
    /// Numbers aligned on the decimal point (LaTeX dcolumn `D{.}{.}{-1}`).
    Decimal,
    /// Wrapping text of the given width in cm (LaTeX `p{}`).
    Wrap(f64),
}

/// One cell of a data column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Nothing.
    Empty,
    /// A formatted number (ASCII, `-` for minus) with significance stars, optionally in
    /// parentheses.
    Number {
        text: String,
        stars: usize,
        parens: bool,
    },
    /// Text, centred in decimal columns.
    Text(Text),
    /// A cell spanning `span` columns; GFM cannot span, so Markdown shows it in the column
    /// `markdown_at` (offset within the span) and leaves the others empty.
    Span {
        inner: Box<Cell>,
        span: usize,
        markdown_at: usize,
    },
}

/// A body row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub label: Text,
    pub cells: Vec<Cell>,
    pub space_after: bool,
}

/// A spanning header over data columns `first..=last` (0-based).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeaderSpan {
    pub text: Text,
    pub first: usize,
    pub last: usize,
    /// Draw a `\cmidrule` under the span.
    pub rule: bool,
}

/// A format-neutral table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub name: String,
    pub kind: &'static str,
    pub caption: Text,
    /// Head of the row-label column.
    pub stub_head: Text,
    pub align: Vec<Align>,
    /// Spanning header rows, top to bottom (LaTeX).
    pub groups: Vec<Vec<HeaderSpan>>,
    /// Column heads (LaTeX, last header row).
    pub heads: Vec<Text>,
    /// Column heads of the single Markdown header row.
    pub markdown_heads: Vec<Text>,
    /// Head of the row-label column in Markdown (full-width spans folded in).
    pub markdown_stub_head: Text,
    pub sections: Vec<Vec<Row>>,
    pub notes: Vec<Text>,
}

// ---------------------------------------------------------------------------------------------
// Stars, patterns
// ---------------------------------------------------------------------------------------------

/// Validated significance thresholds, descending.
pub(crate) fn star_thresholds(settings: &ReportSettings) -> Result<Vec<f64>, ReportError> {
    let mut t = settings.stars.clone();
    if let Some(bad) = t.iter().find(|p| !(**p > 0.0 && **p < 1.0)) {
        return Err(ReportError::Setting {
            setting: "stars".into(),
            message: format!("threshold {bad} is not strictly between 0 and 1 (fix: e.g. stars = [0.10, 0.05, 0.01])"),
        });
    }
    t.sort_by(|a, b| b.total_cmp(a));
    if t.windows(2).any(|w| w[0] == w[1]) {
        return Err(ReportError::Setting {
            setting: "stars".into(),
            message: "a threshold is listed twice".into(),
        });
    }
    Ok(t)
}

/// Number of stars: one per threshold the p-value is strictly below (esttab's rule).
pub(crate) fn star_count(p: f64, thresholds: &[f64]) -> usize {
    if p.is_nan() {
        return 0;
    }
    thresholds.iter().filter(|t| p < **t).count()
}

/// "* p < 0.10, ** p < 0.05, *** p < 0.01", from the thresholds in use.
fn star_legend(thresholds: &[f64]) -> Option<Text> {
    if thresholds.is_empty() {
        return None;
    }
    let mut text = Text::default();
    for (i, t) in thresholds.iter().enumerate() {
        let stars = "*".repeat(i + 1);
        let sep = if i + 1 < thresholds.len() { ", " } else { "." };
        text = text.push_styled(
            format!("{} p < {}{sep}", stars.replace('*', "\\*"), threshold(*t)),
            format!("$^{{{stars}}}\\,p<{}${sep}", threshold(*t)),
        );
    }
    Some(text)
}

/// Shell-style match with `*` wildcards.
pub(crate) fn pattern_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.len() >= part.len() && rest.ends_with(part);
        } else if let Some(pos) = rest.find(part) {
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Regression table
// ---------------------------------------------------------------------------------------------

/// A coefficient of one column.
#[derive(Debug, Clone, Copy)]
enum Entry {
    Estimated {
        coef: f64,
        se: f64,
        p: f64,
        lo: f64,
        hi: f64,
    },
    Omitted,
}

/// Coefficient rows of a block after rename / order / keep / drop: (row key, label, entry per
/// column). Also used by the coefficient plot.
pub(crate) struct CoefRow {
    pub key: String,
    pub label: Text,
    entries: Vec<Option<Entry>>,
}

impl CoefRow {
    /// (estimate, CI low, CI high) of column `c`; `None` when absent; `Some(None)` when omitted.
    pub fn interval(&self, c: usize) -> Option<Option<(f64, f64, f64)>> {
        match self.entries.get(c).copied().flatten()? {
            Entry::Estimated { coef, lo, hi, .. } => Some(Some((coef, lo, hi))),
            Entry::Omitted => Some(None),
        }
    }
}

fn primary_cov<'a>(
    block: &ModelBlock,
    c: usize,
    res: &'a EstimationResult,
) -> Result<&'a CovarianceResult, ReportError> {
    res.primary().ok_or_else(|| ReportError::Model {
        model: block.name.clone(),
        message: format!(
            "column ({}) has no covariance at index {} (the result artifact is inconsistent; re-run the estimate stage)",
            c + 1,
            res.primary_covariance
        ),
    })
}

fn column_entries(
    block: &ModelBlock,
    c: usize,
    settings: &ReportSettings,
) -> Result<Vec<(String, Entry)>, ReportError> {
    let res = &block.columns[c].result;
    let cov = primary_cov(block, c, res)?;
    let mut out: Vec<(String, Entry)> = Vec::new();
    for term in &res.terms {
        if !settings.show_time_dummies && is_time_dummy(&term.name, &res.time_var) {
            continue;
        }
        let key = settings
            .rename
            .get(&term.name)
            .cloned()
            .unwrap_or_else(|| term.name.clone());
        let entry = match term.index {
            None => Entry::Omitted,
            Some(i) => {
                let get = |v: &[f64]| v.get(i).copied();
                match (
                    get(&res.coefficients),
                    get(&cov.std_error),
                    get(&cov.p_value),
                    get(&cov.ci_low),
                    get(&cov.ci_high),
                ) {
                    (Some(coef), Some(se), Some(p), Some(lo), Some(hi)) => {
                        Entry::Estimated { coef, se, p, lo, hi }
                    }
                    _ => {
                        return Err(ReportError::Model {
                            model: block.name.clone(),
                            message: format!(
                                "column ({}): term `{}` points at coefficient {i}, which the result does not have (re-run the estimate stage)",
                                c + 1,
                                term.name
                            ),
                        })
                    }
                }
            }
        };
        if out.iter().any(|(k, _)| *k == key) {
            return Err(ReportError::Setting {
                setting: "rename".into(),
                message: format!(
                    "model `{}` column ({}): two coefficients map to the row `{key}` (fix: rename only one of them to `{key}`)",
                    block.name,
                    c + 1
                ),
            });
        }
        out.push((key, entry));
    }
    Ok(out)
}

/// The coefficient rows of a block in display order.
pub(crate) fn coefficient_rows(
    block: &ModelBlock,
    input: &ReportInput,
) -> Result<Vec<CoefRow>, ReportError> {
    let settings = &input.settings;
    let mut keys: Vec<String> = Vec::new();
    let mut per_column: Vec<BTreeMap<String, Entry>> = Vec::new();
    for c in 0..block.columns.len() {
        let entries = column_entries(block, c, settings)?;
        for (k, _) in &entries {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        per_column.push(entries.into_iter().collect());
    }
    // The constant goes last, then the requested order goes first.
    if let Some(pos) = keys.iter().position(|k| k == "_cons") {
        let k = keys.remove(pos);
        keys.push(k);
    }
    let mut ordered: Vec<String> = settings
        .order
        .iter()
        .filter(|k| keys.contains(k))
        .cloned()
        .collect();
    ordered.extend(keys.into_iter().filter(|k| !settings.order.contains(k)));
    let shown = ordered.into_iter().filter(|k| {
        (settings.keep.is_empty() || settings.keep.iter().any(|p| pattern_matches(p, k)))
            && !settings.drop.iter().any(|p| pattern_matches(p, k))
    });
    let time_var = block
        .columns
        .first()
        .map(|c| c.result.time_var.clone())
        .unwrap_or_default();
    Ok(shown
        .map(|key| CoefRow {
            label: term_label(&key, &time_var, &input.labels),
            entries: per_column.iter().map(|m| m.get(&key).copied()).collect(),
            key,
        })
        .collect())
}

fn estimator_name(e: Estimator) -> (&'static str, &'static str) {
    match e {
        Estimator::Pooled => ("Pooled OLS", "OLS"),
        Estimator::Fe => ("Fixed effects", "FE"),
        Estimator::Fe2 => ("Two-way fixed effects", "TWFE"),
        Estimator::Re => ("Random effects", "RE"),
        Estimator::Be => ("Between", "BE"),
        Estimator::Fd => ("First differences", "FD"),
    }
}

/// Short estimator name for column labels ("FE", "RE", ...).
pub(crate) fn estimator_short(e: Estimator) -> &'static str {
    estimator_name(e).1
}

fn number(x: f64, digits: usize, stars: usize, parens: bool) -> Cell {
    match fixed(x, digits) {
        Some(text) => Cell::Number {
            text,
            stars,
            parens,
        },
        None => Cell::Text(Text::plain(if parens { "(.)" } else { "." })),
    }
}

fn text_cell(s: &str) -> Cell {
    Cell::Text(Text::plain(s))
}

fn r2_of(res: &EstimationResult, kind: R2Choice) -> (R2Choice, Option<f64>) {
    let f = &res.fit;
    let auto = match res.estimator {
        Estimator::Fe | Estimator::Fe2 => R2Choice::Within,
        Estimator::Re => R2Choice::Overall,
        Estimator::Be => R2Choice::Between,
        Estimator::Pooled | Estimator::Fd => R2Choice::Auto,
    };
    let kind = if kind == R2Choice::Auto { auto } else { kind };
    let value = match kind {
        R2Choice::Within => f.r2_within,
        R2Choice::Between => f.r2_between,
        R2Choice::Overall => f.r2_overall.or(f.r2),
        R2Choice::Auto => f.r2,
    };
    (kind, value)
}

fn r2_label(kind: R2Choice) -> Text {
    match kind {
        R2Choice::Auto => Text::styled("R²", "$R^2$"),
        R2Choice::Within => Text::styled("R² within", "$R^2$ within"),
        R2Choice::Overall => Text::styled("R² overall", "$R^2$ overall"),
        R2Choice::Between => Text::styled("R² between", "$R^2$ between"),
    }
}

/// "(1)–(4)", "(1), (3)" for a set of 0-based columns.
fn column_list(cols: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < cols.len() {
        let mut j = i;
        while j + 1 < cols.len() && cols[j + 1] == cols[j] + 1 {
            j += 1;
        }
        if j > i + 1 {
            parts.push(format!("({})–({})", cols[i] + 1, cols[j] + 1));
        } else {
            for c in &cols[i..=j] {
                parts.push(format!("({})", c + 1));
            }
        }
        i = j + 1;
    }
    parts.join(", ")
}

/// The standard errors of a column in words ("standard errors clustered by country (35
/// clusters)").
fn se_description(res: &EstimationResult, cov: &CovarianceResult, input: &ReportInput) -> String {
    let cluster_var = || {
        let var = cov
            .cluster_var
            .clone()
            .unwrap_or_else(|| res.panel_var.clone());
        let label = decapitalize(&id_label(&var, &input.labels));
        match cov.n_clusters {
            Some(g) => format!("{label} ({g} clusters)"),
            None => label,
        }
    };
    match cov.kind {
        CovarianceKind::Conventional => "conventional standard errors".to_string(),
        CovarianceKind::RobustHc1 => "heteroskedasticity-robust (HC1) standard errors".to_string(),
        CovarianceKind::ClusterPanel | CovarianceKind::Cluster => {
            format!("standard errors clustered by {}", cluster_var())
        }
        CovarianceKind::ClusterAregStyle => format!(
            "standard errors clustered by {} (small-sample factor counting the absorbed effects)",
            cluster_var()
        ),
        CovarianceKind::Hc1AregStyle => {
            "heteroskedasticity-robust (HC1) standard errors counting the absorbed effects"
                .to_string()
        }
        CovarianceKind::DriscollKraay { .. } => match cov.lags {
            Some(l) => format!("Driscoll–Kraay standard errors ({l} lags)"),
            None => "Driscoll–Kraay standard errors".to_string(),
        },
    }
}

fn se_note(block: &ModelBlock, input: &ReportInput) -> Result<Text, ReportError> {
    let mut by_desc: Vec<(String, Vec<usize>)> = Vec::new();
    for (c, col) in block.columns.iter().enumerate() {
        let cov = primary_cov(block, c, &col.result)?;
        let d = se_description(&col.result, cov, input);
        match by_desc.iter_mut().find(|(k, _)| *k == d) {
            Some((_, cols)) => cols.push(c),
            None => by_desc.push((d, vec![c])),
        }
    }
    let text = match by_desc.as_slice() {
        [(d, _)] => format!("{} in parentheses.", capitalize(d)),
        _ => format!(
            "Standard errors in parentheses: {}.",
            by_desc
                .iter()
                .map(|(d, cols)| format!("{} {d}", column_list(cols)))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    Ok(Text::plain(text))
}

fn validate_name(name: &str, what: &str) -> Result<(), ReportError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ReportError::Setting {
            setting: what.to_string(),
            message: format!(
                "`{name}` cannot be used as a file name (fix: use letters, digits, `_`, `-` or `.`)"
            ),
        })
    }
}

/// A file-name stem from a measure name (`decomposition.gvc_position` →
/// `decomposition_gvc_position`).
pub(crate) fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "_".into()
    } else {
        s
    }
}

fn hausman_rows(block: &ModelBlock, digits: usize) -> Result<(Vec<Row>, Vec<Text>), ReportError> {
    let k = block.columns.len();
    if block.hausman.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut chi = vec![Cell::Empty; k];
    let mut pv = vec![Cell::Empty; k];
    let mut used = BTreeSet::new();
    let mut described = Vec::new();
    let mut notes = Vec::new();
    for HausmanPair {
        fe_column,
        re_column,
        result,
    } in &block.hausman
    {
        let (fe, re) = (*fe_column, *re_column);
        if fe >= k || re >= k || fe == re {
            return Err(ReportError::Model {
                model: block.name.clone(),
                message: format!(
                    "Hausman pair ({}, {}) does not name two different columns of the {k} columns",
                    fe + 1,
                    re + 1
                ),
            });
        }
        if !used.insert(fe) || !used.insert(re) {
            return Err(ReportError::Model {
                model: block.name.clone(),
                message: format!(
                    "column ({}) or ({}) is in two Hausman pairs (fix: one test per column)",
                    fe + 1,
                    re + 1
                ),
            });
        }
        let chi_cell = number(result.chi2, digits, 0, false);
        let p_cell = match result.p_value {
            Some(p) => number(p, digits, 0, false),
            None => text_cell("—"),
        };
        let (first, last) = (fe.min(re), fe.max(re));
        if last == first + 1 {
            let at = re - first;
            chi[first] = Cell::Span {
                inner: Box::new(chi_cell),
                span: 2,
                markdown_at: at,
            };
            pv[first] = Cell::Span {
                inner: Box::new(p_cell),
                span: 2,
                markdown_at: at,
            };
            chi[last] = Cell::Empty;
            pv[last] = Cell::Empty;
        } else {
            chi[re] = chi_cell;
            pv[re] = p_cell;
        }
        described.push(format!(
            "{} for ({}) against ({})",
            result.df,
            fe + 1,
            re + 1
        ));
        if let Some(n) = &result.note {
            notes.push(Text::plain(format!(
                "Hausman ({}) against ({}): {n}.",
                fe + 1,
                re + 1
            )));
        }
    }
    notes.insert(
        0,
        Text::styled("Hausman test (χ²)", "Hausman test ($\\chi^2$)").push(format!(
            " of fixed against random effects on the common slopes; degrees of freedom: {}.",
            described.join("; ")
        )),
    );
    // A spanned-over cell must not be emitted in LaTeX: drop the Empty after each Span.
    let collapse = |cells: Vec<Cell>| -> Vec<Cell> {
        let mut out = Vec::with_capacity(cells.len());
        let mut skip = 0;
        for cell in cells {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            if let Cell::Span { span, .. } = &cell {
                skip = span - 1;
            }
            out.push(cell);
        }
        out
    };
    let rows = vec![
        Row {
            label: Text::styled("Hausman χ²", "Hausman $\\chi^2$"),
            cells: collapse(chi),
            space_after: false,
        },
        Row {
            label: Text::plain("Hausman p-value"),
            cells: collapse(pv),
            space_after: false,
        },
    ];
    Ok((rows, notes))
}

/// The regression table of one model block.
pub(crate) fn regression_table(
    block: &ModelBlock,
    input: &ReportInput,
) -> Result<Table, ReportError> {
    validate_name(&block.name, "models.name")?;
    let settings = &input.settings;
    let k = block.columns.len();
    if k == 0 {
        return Err(ReportError::Model {
            model: block.name.clone(),
            message: "the block has no columns".into(),
        });
    }
    let thresholds = star_thresholds(settings)?;
    let digits = settings.digits;
    let rows = coefficient_rows(block, input)?;
    let results: Vec<&EstimationResult> = block.columns.iter().map(|c| &c.result).collect();

    // Coefficients: estimate (stars) over (standard error).
    let mut coef_rows = Vec::new();
    let mut any_omitted = false;
    for r in &rows {
        let mut top = Vec::with_capacity(k);
        let mut bottom = Vec::with_capacity(k);
        for e in &r.entries {
            match e {
                Some(Entry::Estimated { coef, se, p, .. }) => {
                    top.push(number(*coef, digits, star_count(*p, &thresholds), false));
                    bottom.push(number(*se, digits, 0, true));
                }
                Some(Entry::Omitted) => {
                    any_omitted = true;
                    top.push(text_cell("(omitted)"));
                    bottom.push(Cell::Empty);
                }
                None => {
                    top.push(Cell::Empty);
                    bottom.push(Cell::Empty);
                }
            }
        }
        coef_rows.push(Row {
            label: r.label.clone(),
            cells: top,
            space_after: false,
        });
        coef_rows.push(Row {
            label: Text::default(),
            cells: bottom,
            space_after: true,
        });
    }
    if let Some(last) = coef_rows.last_mut() {
        last.space_after = false;
    }

    // Fixed-effect indicators.
    let first = results[0];
    let mut fe_rows = Vec::new();
    let yes_no = |b: bool| text_cell(if b { "Yes" } else { "No" });
    if results
        .iter()
        .any(|r| matches!(r.estimator, Estimator::Fe | Estimator::Fe2))
    {
        fe_rows.push(Row {
            label: Text::plain(format!("{} FE", id_label(&first.panel_var, &input.labels))),
            cells: results
                .iter()
                .map(|r| yes_no(matches!(r.estimator, Estimator::Fe | Estimator::Fe2)))
                .collect(),
            space_after: false,
        });
    }
    if results.iter().any(|r| r.estimator == Estimator::Fe2) {
        fe_rows.push(Row {
            label: Text::plain(format!("{} FE", id_label(&first.time_var, &input.labels))),
            cells: results
                .iter()
                .map(|r| yes_no(r.estimator == Estimator::Fe2))
                .collect(),
            space_after: false,
        });
    }

    // Statistics.
    let mut stats = vec![Row {
        label: Text::plain("Observations"),
        cells: results
            .iter()
            .map(|r| text_cell(&thousands(r.sample.n_obs as u64)))
            .collect(),
        space_after: false,
    }];
    let groups_label = settings.groups_label.clone().unwrap_or_else(|| {
        format!(
            "Number of {}",
            plural(&decapitalize(&id_label(&first.panel_var, &input.labels)))
        )
    });
    stats.push(Row {
        label: Text::plain(groups_label),
        cells: results
            .iter()
            .map(|r| text_cell(&thousands(r.sample.n_groups as u64)))
            .collect(),
        space_after: false,
    });
    let r2: Vec<(R2Choice, Option<f64>)> = results.iter().map(|r| r2_of(r, settings.r2)).collect();
    let mut kinds: Vec<R2Choice> = Vec::new();
    for (kind, _) in &r2 {
        if !kinds.contains(kind) {
            kinds.push(*kind);
        }
    }
    for kind in kinds {
        stats.push(Row {
            label: r2_label(kind),
            cells: r2
                .iter()
                .map(|(kd, v)| match (kd == &kind, v) {
                    (true, Some(v)) => number(*v, digits, 0, false),
                    _ => Cell::Empty,
                })
                .collect(),
            space_after: false,
        });
    }
    let (hrows, hnotes) = hausman_rows(block, digits)?;
    stats.extend(hrows);

    // Header: dependent variable over all columns, estimator groups, optional labels, numbers.
    let dep = variable_label(&block.dependent, &input.labels);
    let mut groups = vec![vec![HeaderSpan {
        text: dep.clone(),
        first: 0,
        last: k - 1,
        rule: true,
    }]];
    let mut est_spans: Vec<HeaderSpan> = Vec::new();
    for (c, r) in results.iter().enumerate() {
        let name = Text::plain(estimator_name(r.estimator).0);
        match est_spans.last_mut() {
            Some(s) if s.text == name && s.last + 1 == c => s.last = c,
            _ => est_spans.push(HeaderSpan {
                text: name,
                first: c,
                last: c,
                rule: true,
            }),
        }
    }
    groups.push(est_spans);
    let has_labels = block.columns.iter().any(|c| c.label.is_some());
    if has_labels {
        groups.push(
            block
                .columns
                .iter()
                .enumerate()
                .map(|(c, col)| HeaderSpan {
                    text: Text::plain(col.label.clone().unwrap_or_default()),
                    first: c,
                    last: c,
                    rule: false,
                })
                .collect(),
        );
    }
    let heads = (1..=k).map(|i| Text::plain(format!("({i})"))).collect();
    let markdown_heads = block
        .columns
        .iter()
        .enumerate()
        .map(|(c, col)| {
            let mut s = format!("({}) {}", c + 1, estimator_short(col.result.estimator));
            if let Some(l) = &col.label {
                s.push(' ');
                s.push_str(l);
            }
            Text::plain(s)
        })
        .collect();

    // Notes.
    let mut notes = vec![se_note(block, input)?];
    if let Some(l) = star_legend(&thresholds) {
        notes.push(l);
    }
    notes.extend(hnotes);
    if any_omitted {
        notes.push(Text::plain(
            "(omitted): regressor dropped because it is collinear with the constant, the fixed effects or earlier regressors.",
        ));
    }
    notes.extend(block.notes.iter().map(|n| Text::plain(n.clone())));

    let mut caption = Text::plain(block.title.clone());
    if let Some(v) = &block.variant {
        caption = caption.push(format!(" ({v})"));
    }
    let mut sections = vec![coef_rows];
    if !fe_rows.is_empty() {
        sections.push(fe_rows);
    }
    sections.push(stats);
    Ok(Table {
        name: block.name.clone(),
        kind: "regression",
        caption,
        stub_head: Text::default(),
        align: vec![Align::Decimal; k],
        groups,
        heads,
        markdown_heads,
        markdown_stub_head: Text::plain("Dependent variable: ").append(dep),
        sections: sections.into_iter().filter(|s| !s.is_empty()).collect(),
        notes,
    })
}

// ---------------------------------------------------------------------------------------------
// Descriptives, missing data
// ---------------------------------------------------------------------------------------------

fn opt_number(x: Option<f64>, digits: usize) -> Cell {
    match x {
        Some(v) => number(v, digits, 0, false),
        None => text_cell("—"),
    }
}

fn simple_table(
    name: &str,
    kind: &'static str,
    caption: Text,
    stub_head: &str,
    columns: Vec<(&str, Align)>,
    rows: Vec<Row>,
    notes: Vec<Text>,
) -> Table {
    let heads: Vec<Text> = columns.iter().map(|(h, _)| Text::plain(*h)).collect();
    Table {
        name: name.to_string(),
        kind,
        caption,
        stub_head: Text::plain(stub_head),
        align: columns.iter().map(|(_, a)| *a).collect(),
        groups: Vec::new(),
        markdown_heads: heads.clone(),
        heads,
        markdown_stub_head: Text::plain(stub_head),
        sections: vec![rows],
        notes,
    }
}

/// Descriptive statistics, one row per variable.
pub(crate) fn descriptives_table(input: &ReportInput) -> Option<Table> {
    if input.descriptives.is_empty() {
        return None;
    }
    let d = input.settings.digits;
    let rows = input
        .descriptives
        .iter()
        .map(|r| Row {
            label: variable_label(&r.variable, &input.labels),
            cells: vec![
                text_cell(&thousands(r.n as u64)),
                opt_number(r.mean, d),
                opt_number(r.sd, d),
                opt_number(r.min, d),
                opt_number(r.p50, d),
                opt_number(r.max, d),
            ],
            space_after: false,
        })
        .collect();
    Some(simple_table(
        "descriptives",
        "descriptives",
        Text::plain("Descriptive statistics"),
        "Variable",
        vec![
            ("N", Align::Center),
            ("Mean", Align::Decimal),
            ("SD", Align::Decimal),
            ("Min", Align::Decimal),
            ("Median", Align::Decimal),
            ("Max", Align::Decimal),
        ],
        rows,
        vec![Text::plain(
            "Each variable over its non-missing country-years in the sample; SD with divisor N\u{2212}1; median by Stata's summarize, detail rule.",
        )],
    ))
}

/// "AFG 2007–2009, 2012; BRU 2017" with at most `max_countries` countries listed.
fn missing_cells_text(
    cells: &[(String, i32)],
    input: &ReportInput,
    max_countries: usize,
) -> String {
    let mut by_country: Vec<(String, Vec<i32>)> = Vec::new();
    for (c, y) in cells {
        match by_country.iter_mut().find(|(k, _)| k == c) {
            Some((_, ys)) => ys.push(*y),
            None => by_country.push((c.clone(), vec![*y])),
        }
    }
    let n = by_country.len();
    let mut parts: Vec<String> = Vec::new();
    for (c, mut ys) in by_country.into_iter().take(max_countries) {
        ys.sort_unstable();
        ys.dedup();
        let mut runs = Vec::new();
        let mut i = 0;
        while i < ys.len() {
            let mut j = i;
            while j + 1 < ys.len() && ys[j + 1] == ys[j] + 1 {
                j += 1;
            }
            runs.push(if j > i {
                format!("{}–{}", ys[i], ys[j])
            } else {
                ys[i].to_string()
            });
            i = j + 1;
        }
        let name = input.country_names.get(&c).cloned().unwrap_or(c);
        parts.push(format!("{name} {}", runs.join(", ")));
    }
    let mut s = parts.join("; ");
    if n > max_countries {
        s.push_str(&format!("; and {} more countries", n - max_countries));
    }
    s
}

/// Missing-data summary, one row per variable.
pub(crate) fn missing_table(input: &ReportInput) -> Option<Table> {
    if input.missing.is_empty() {
        return None;
    }
    let rows = input
        .missing
        .iter()
        .map(|r| {
            let share = if r.n_rows > 0 {
                number(100.0 * r.n_missing as f64 / r.n_rows as f64, 1, 0, false)
            } else {
                text_cell("—")
            };
            Row {
                label: variable_label(&r.variable, &input.labels),
                cells: vec![
                    text_cell(&thousands(r.n_missing as u64)),
                    text_cell(&thousands(r.n_rows as u64)),
                    share,
                    Cell::Text(Text::plain(missing_cells_text(&r.cells, input, 8))),
                ],
                space_after: false,
            }
        })
        .collect();
    Some(simple_table(
        "missing",
        "missing",
        Text::plain("Missing data in the estimation panel"),
        "Variable",
        vec![
            ("Missing", Align::Center),
            ("Rows", Align::Center),
            ("Share (%)", Align::Decimal),
            ("Missing country-years", Align::Wrap(6.0)),
        ],
        rows,
        vec![Text::plain(
            "Rows are every sample country in every sample year; a missing cell is dropped listwise from the regressions that use the variable.",
        )],
    ))
}

// ---------------------------------------------------------------------------------------------
// Indicators
// ---------------------------------------------------------------------------------------------

/// Indicator values: measure → country → year → value, with measures and countries in order
/// of first appearance.
pub(crate) struct IndicatorData {
    pub measures: Vec<String>,
    pub countries: Vec<String>,
    pub values: BTreeMap<String, BTreeMap<String, BTreeMap<i32, f64>>>,
}

impl IndicatorData {
    /// Collect the long rows; a repeated (country, year, measure) is an error naming it. A
    /// non-finite value is a missing one (docs/measures.md: a ratio with a zero denominator,
    /// such as the participation of an economy with no exports, is NaN): its country and
    /// measure are listed, and the cell shows as missing.
    pub fn new(input: &ReportInput) -> Result<Self, ReportError> {
        let mut d = IndicatorData {
            measures: Vec::new(),
            countries: Vec::new(),
            values: BTreeMap::new(),
        };
        let mut seen: BTreeSet<(&str, &str, i32)> = BTreeSet::new();
        for r in &input.indicators {
            if !d.measures.contains(&r.measure) {
                d.measures.push(r.measure.clone());
            }
            if !d.countries.contains(&r.country) {
                d.countries.push(r.country.clone());
            }
            let by_year = d
                .values
                .entry(r.measure.clone())
                .or_default()
                .entry(r.country.clone())
                .or_default();
            if r.value.is_finite() {
                by_year.insert(r.year, r.value);
            }
            if !seen.insert((&r.measure, &r.country, r.year)) {
                return Err(ReportError::Indicators {
                    message: format!(
                        "{} has two values for ({}, {}) (fix: one row per country, year and measure)",
                        r.measure, r.country, r.year
                    ),
                });
            }
        }
        Ok(d)
    }

    /// The measures selected by a setting (`None` = all), checked to exist.
    pub fn select(
        &self,
        chosen: &Option<Vec<String>>,
        setting: &str,
    ) -> Result<Vec<String>, ReportError> {
        match chosen {
            None => Ok(self.measures.clone()),
            Some(list) => {
                for m in list {
                    if !self.measures.contains(m) {
                        return Err(ReportError::Setting {
                            setting: setting.to_string(),
                            message: format!(
                                "measure `{m}` is not among the indicators ({})",
                                self.measures.join(", ")
                            ),
                        });
                    }
                }
                Ok(list.clone())
            }
        }
    }

    /// Years of a measure, ascending.
    pub fn years(&self, measure: &str) -> Vec<i32> {
        let set: BTreeSet<i32> = self
            .values
            .get(measure)
            .map(|m| m.values().flat_map(|ys| ys.keys().copied()).collect())
            .unwrap_or_default();
        set.into_iter().collect()
    }

    /// Value of a measure for a country and year.
    pub fn get(&self, measure: &str, country: &str, year: i32) -> Option<f64> {
        self.values.get(measure)?.get(country)?.get(&year).copied()
    }
}

/// Country display name.
pub(crate) fn country_name(code: &str, input: &ReportInput) -> String {
    input
        .country_names
        .get(code)
        .cloned()
        .unwrap_or_else(|| code.to_string())
}

/// The GVC indicator summary: per country and measure the first-year and last-year values and
/// the change, sorted by the last-year value of the sort measure (descending).
pub(crate) fn indicator_summary_table(
    data: &IndicatorData,
    input: &ReportInput,
) -> Result<Option<Table>, ReportError> {
    let s = &input.settings.indicators;
    let measures = data.select(&s.summary, "indicators.summary")?;
    if measures.is_empty() {
        return Ok(None);
    }
    let years: BTreeSet<i32> = measures.iter().flat_map(|m| data.years(m)).collect();
    let (Some(&y0), Some(&y1)) = (years.first(), years.last()) else {
        return Ok(None);
    };
    let sort_by = match &s.sort_by {
        Some(m) if measures.contains(m) => m.clone(),
        Some(m) => {
            return Err(ReportError::Setting {
                setting: "indicators.sort_by".into(),
                message: format!(
                    "`{m}` is not one of the summary measures ({})",
                    measures.join(", ")
                ),
            })
        }
        None => measures[0].clone(),
    };
    let mut countries = data.countries.clone();
    countries.sort_by(|a, b| {
        let va = data.get(&sort_by, a, y1);
        let vb = data.get(&sort_by, b, y1);
        match (va, vb) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| country_name(a, input).cmp(&country_name(b, input)))
    });
    let d = input.settings.digits;
    let rows = countries
        .iter()
        .map(|c| {
            let mut cells = Vec::new();
            for m in &measures {
                let a = data.get(m, c, y0);
                let b = data.get(m, c, y1);
                cells.push(opt_number(a, d));
                cells.push(opt_number(b, d));
                cells.push(opt_number(a.zip(b).map(|(a, b)| b - a), d));
            }
            Row {
                label: Text::plain(country_name(c, input)),
                cells,
                space_after: false,
            }
        })
        .collect();
    let mut spans = Vec::new();
    let mut heads = Vec::new();
    let mut md_heads = Vec::new();
    let mut align = Vec::new();
    for (i, m) in measures.iter().enumerate() {
        let label = variable_label(m, &input.labels);
        spans.push(HeaderSpan {
            text: label.clone(),
            first: 3 * i,
            last: 3 * i + 2,
            rule: true,
        });
        for h in [y0.to_string(), y1.to_string(), "Change".to_string()] {
            md_heads.push(label.clone().push(format!(" {h}")));
            heads.push(Text::plain(h));
            align.push(Align::Decimal);
        }
    }
    let sort_label = variable_label(&sort_by, &input.labels).raw();
    Ok(Some(Table {
        name: "gvc_indicators".into(),
        kind: "indicator_summary",
        caption: Text::plain(format!("GVC indicators by country, {y0} and {y1}")),
        stub_head: Text::plain("Country"),
        align,
        groups: vec![spans],
        heads,
        markdown_heads: md_heads,
        markdown_stub_head: Text::plain("Country"),
        sections: vec![rows],
        notes: vec![Text::plain(format!(
            "Change = {y1} value minus {y0} value. Countries sorted by {} in {y1}, highest first.",
            decapitalize(&sort_label)
        ))],
    }))
}

/// One measure by country (rows, first-appearance order) and year (columns), with the sample
/// mean (over the countries with a value) as the last row.
pub(crate) fn measure_by_year_tables(
    data: &IndicatorData,
    input: &ReportInput,
) -> Result<Vec<Table>, ReportError> {
    let measures = data.select(&input.settings.indicators.by_year, "indicators.by_year")?;
    let d = input.settings.digits;
    let mut out = Vec::new();
    for m in &measures {
        let years = data.years(m);
        let countries: Vec<&String> = data
            .countries
            .iter()
            .filter(|c| data.values.get(m).is_some_and(|v| v.contains_key(*c)))
            .collect();
        let rows: Vec<Row> = countries
            .iter()
            .map(|c| Row {
                label: Text::plain(country_name(c, input)),
                cells: years
                    .iter()
                    .map(|y| opt_number(data.get(m, c, *y), d))
                    .collect(),
                space_after: false,
            })
            .collect();
        let mean_row = Row {
            label: Text::plain("Sample mean"),
            cells: years
                .iter()
                .map(|y| {
                    let v: Vec<f64> = countries
                        .iter()
                        .filter_map(|c| data.get(m, c, *y))
                        .collect();
                    opt_number(
                        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64),
                        d,
                    )
                })
                .collect(),
            space_after: false,
        };
        let label = variable_label(m, &input.labels);
        let heads: Vec<Text> = years.iter().map(|y| Text::plain(y.to_string())).collect();
        out.push(Table {
            name: format!("{}_by_year", file_stem(m)),
            kind: "measure_by_year",
            caption: label.clone().push(" by country and year"),
            stub_head: Text::plain("Country"),
            align: vec![Align::Decimal; years.len()],
            groups: Vec::new(),
            markdown_heads: heads.clone(),
            heads,
            markdown_stub_head: Text::plain("Country"),
            sections: vec![rows, vec![mean_row]],
            notes: Vec::new(),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Per-format context
// ---------------------------------------------------------------------------------------------

fn latex_number(text: &str, stars: usize, parens: bool, math: bool) -> String {
    let star = if stars > 0 {
        if math {
            format!("^{{{}}}", "*".repeat(stars))
        } else {
            format!("$^{{{}}}$", "*".repeat(stars))
        }
    } else {
        String::new()
    };
    let body = if math {
        text.replace(',', "{,}")
    } else {
        text.replacen('-', "$-$", 1)
    };
    if parens {
        format!("({body}){star}")
    } else {
        format!("{body}{star}")
    }
}

fn render_cell(cell: &Cell, align: Align, format: Format) -> String {
    match (cell, format) {
        (Cell::Empty, _) => String::new(),
        (
            Cell::Number {
                text,
                stars,
                parens,
            },
            Format::Markdown,
        ) => {
            let s = format!("{text}{}", "*".repeat(*stars));
            if *parens {
                format!("({s})")
            } else {
                s
            }
        }
        (
            Cell::Number {
                text,
                stars,
                parens,
            },
            Format::Latex,
        ) => latex_number(text, *stars, *parens, align == Align::Decimal),
        (Cell::Text(t), Format::Markdown) => t.render(format),
        (Cell::Text(t), Format::Latex) => {
            if align == Align::Decimal {
                format!("\\multicolumn{{1}}{{c}}{{{}}}", t.render(format))
            } else {
                t.render(format)
            }
        }
        (Cell::Span { inner, span, .. }, Format::Latex) => {
            let body = match inner.as_ref() {
                Cell::Number {
                    text,
                    stars,
                    parens,
                } => latex_number(text, *stars, *parens, false),
                other => render_cell(other, Align::Center, format),
            };
            format!("\\multicolumn{{{span}}}{{c}}{{{body}}}")
        }
        (Cell::Span { inner, .. }, Format::Markdown) => render_cell(inner, align, format),
    }
}

/// Expand spans for Markdown: the inner cell goes to its `markdown_at` column.
fn markdown_cells(cells: &[Cell]) -> Vec<Cell> {
    let mut out = Vec::new();
    for c in cells {
        if let Cell::Span {
            inner,
            span,
            markdown_at,
        } = c
        {
            for i in 0..*span {
                out.push(if i == *markdown_at {
                    inner.as_ref().clone()
                } else {
                    Cell::Empty
                });
            }
        } else {
            out.push(c.clone());
        }
    }
    out
}

fn pad_rows(rows: &mut [Vec<String>], n: usize) {
    let mut widths = vec![0usize; n];
    for r in rows.iter().filter(|r| r.len() == n) {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(width(c));
        }
    }
    for r in rows.iter_mut().filter(|r| r.len() == n) {
        for (c, w) in r.iter_mut().zip(&widths) {
            let pad = w.saturating_sub(width(c));
            c.extend(std::iter::repeat_n(' ', pad));
        }
    }
}

/// Digits reserved left and right of the decimal point of a number cell (a sign or a
/// parenthesis counts as a digit, and so does a superscript star).
fn decimal_extent(text: &str, stars: usize, parens: bool) -> (usize, usize) {
    let (left, right) = match text.find('.') {
        Some(i) => (width(&text[..i]), width(&text[i + 1..])),
        None => (width(text), 0),
    };
    let p = usize::from(parens);
    (left + p, right + p + stars)
}

/// LaTeX column specifications: decimal columns as dcolumn `D{.}{.}{L.R}` with L and R the
/// widest integer and fraction parts of the column, so the column is no wider than its
/// numbers (a negative third argument would centre on the point and waste half the width).
fn latex_column_specs(table: &Table) -> Vec<String> {
    let mut extent = vec![(1usize, 0usize); table.align.len()];
    for row in table.sections.iter().flatten() {
        let mut col = 0;
        for cell in &row.cells {
            if let (
                Cell::Number {
                    text,
                    stars,
                    parens,
                },
                Some(e),
            ) = (cell, extent.get_mut(col))
            {
                let (l, r) = decimal_extent(text, *stars, *parens);
                e.0 = e.0.max(l);
                e.1 = e.1.max(r);
            }
            col += match cell {
                Cell::Span { span, .. } => *span,
                _ => 1,
            };
        }
    }
    table
        .align
        .iter()
        .zip(extent)
        .map(|(a, (l, r))| match a {
            Align::Center => "c".to_string(),
            Align::Decimal => format!("D{{.}}{{.}}{{{l}.{r}}}"),
            Align::Wrap(cm) => format!("p{{{cm:.1}cm}}"),
        })
        .collect()
}

/// `l` for the row labels, then the column specs with runs of three or more as `*{n}{..}`.
fn latex_colspec(specs: &[String]) -> String {
    let mut out = String::from("l");
    let mut i = 0;
    while i < specs.len() {
        let mut j = i;
        while j + 1 < specs.len() && specs[j + 1] == specs[i] {
            j += 1;
        }
        let n = j - i + 1;
        if n > 2 {
            out.push_str(&format!("*{{{n}}}{{{}}}", specs[i]));
        } else {
            for sp in &specs[i..=j] {
                out.push_str(sp);
            }
        }
        i = j + 1;
    }
    out
}

fn font_size(n_data: usize) -> &'static str {
    match n_data {
        0..=6 => "small",
        7..=12 => "footnotesize",
        _ => "scriptsize",
    }
}

impl Table {
    /// The context `table.<ext>.tera` sees.
    pub fn context(&self, format: Format, number: usize) -> TableContext {
        let n = self.align.len() + 1;
        match format {
            Format::Latex => self.latex_context(number, n),
            Format::Markdown => self.markdown_context(number, n),
        }
    }

    fn latex_context(&self, number: usize, n: usize) -> TableContext {
        let f = Format::Latex;
        let mut header = Vec::new();
        for spans in &self.groups {
            let mut cells = vec![String::new()];
            let mut rules = Vec::new();
            let mut col = 0;
            for s in spans {
                while col < s.first {
                    cells.push(String::new());
                    col += 1;
                }
                let w = s.last - s.first + 1;
                cells.push(format!("\\multicolumn{{{w}}}{{c}}{{{}}}", s.text.render(f)));
                if !s.text.is_empty() && s.rule {
                    rules.push(format!("\\cmidrule(lr){{{}-{}}}", s.first + 2, s.last + 2));
                }
                col = s.last + 1;
            }
            while col < self.align.len() {
                cells.push(String::new());
                col += 1;
            }
            header.push(RowContext {
                cells,
                rules: rules.join(" "),
                space_after: false,
            });
        }
        let mut heads = vec![self.stub_head.render(f)];
        for (h, a) in self.heads.iter().zip(&self.align) {
            heads.push(match a {
                Align::Decimal => format!("\\multicolumn{{1}}{{c}}{{{}}}", h.render(f)),
                _ => h.render(f),
            });
        }
        header.push(RowContext {
            cells: heads,
            rules: String::new(),
            space_after: false,
        });
        let mut all: Vec<Vec<String>> = Vec::new();
        for sec in &self.sections {
            for r in sec {
                let mut cells = vec![r.label.render(f)];
                let mut col = 0;
                for c in &r.cells {
                    let a = self.align.get(col).copied().unwrap_or(Align::Center);
                    cells.push(render_cell(c, a, f));
                    col += match c {
                        Cell::Span { span, .. } => *span,
                        _ => 1,
                    };
                }
                all.push(cells);
            }
        }
        pad_rows(&mut all, n);
        let sections = self.assemble_sections(all);
        TableContext {
            name: self.name.clone(),
            kind: self.kind.to_string(),
            number,
            caption: self.caption.render(f),
            label: format!("tab:{}", self.name),
            colspec: latex_colspec(&latex_column_specs(self)),
            n_columns: n,
            font_size: font_size(self.align.len()).to_string(),
            header,
            sections,
            notes: self.notes.iter().map(|t| t.render(f)).collect(),
        }
    }

    fn markdown_context(&self, number: usize, n: usize) -> TableContext {
        let f = Format::Markdown;
        let mut all: Vec<Vec<String>> = Vec::new();
        let mut head = vec![self.markdown_stub_head.render(f)];
        head.extend(self.markdown_heads.iter().map(|h| h.render(f)));
        all.push(head);
        for sec in &self.sections {
            for r in sec {
                let mut cells = vec![r.label.render(f)];
                for (c, a) in markdown_cells(&r.cells).iter().zip(&self.align) {
                    cells.push(render_cell(c, *a, f));
                }
                all.push(cells);
            }
        }
        for r in all.iter_mut() {
            r.resize(n, String::new());
        }
        // The alignment row takes part in the widths so that the source lines up.
        let mut widths = vec![3usize; n];
        for r in &all {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(width(c));
            }
        }
        pad_rows(&mut all, n);
        let mut colspec = String::from("|");
        for (i, w) in widths.iter().enumerate() {
            let centred = i > 0 && !matches!(self.align.get(i - 1), Some(Align::Wrap(_)));
            // The segment spans the cell and its two separator spaces.
            if centred {
                colspec.push(':');
                colspec.push_str(&"-".repeat(*w));
                colspec.push(':');
            } else {
                colspec.push(':');
                colspec.push_str(&"-".repeat(w + 1));
            }
            colspec.push('|');
        }
        let mut rows = all.into_iter();
        let header = rows
            .next()
            .map(|cells| RowContext {
                cells,
                rules: String::new(),
                space_after: false,
            })
            .into_iter()
            .collect();
        let sections = self.assemble_sections(rows.collect());
        TableContext {
            name: self.name.clone(),
            kind: self.kind.to_string(),
            number,
            caption: self.caption.render(f),
            label: format!("tab:{}", self.name),
            colspec,
            n_columns: n,
            font_size: font_size(self.align.len()).to_string(),
            header,
            sections,
            notes: self.notes.iter().map(|t| t.render(f)).collect(),
        }
    }

    /// Regroup rendered body rows into sections with their spacing flags.
    fn assemble_sections(&self, rendered: Vec<Vec<String>>) -> Vec<SectionContext> {
        let mut it = rendered.into_iter();
        self.sections
            .iter()
            .map(|sec| SectionContext {
                rows: sec
                    .iter()
                    .filter_map(|r| {
                        it.next().map(|cells| RowContext {
                            cells,
                            rules: String::new(),
                            space_after: r.space_after,
                        })
                    })
                    .collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_follow_thresholds() {
        let t = vec![0.10, 0.05, 0.01];
        assert_eq!(star_count(0.2, &t), 0);
        assert_eq!(star_count(0.10, &t), 0);
        assert_eq!(star_count(0.0999, &t), 1);
        assert_eq!(star_count(0.05, &t), 1);
        assert_eq!(star_count(0.049, &t), 2);
        assert_eq!(star_count(0.0001, &t), 3);
        assert_eq!(star_count(f64::NAN, &t), 0);
        let legend = star_legend(&[0.05, 0.01, 0.001]).map(|l| l.raw());
        assert_eq!(
            legend.as_deref(),
            Some("\\* p < 0.05, \\*\\* p < 0.01, \\*\\*\\* p < 0.001.")
        );
    }

    #[test]
    fn bad_thresholds_are_errors() {
        let s = ReportSettings {
            stars: vec![0.1, 1.5],
            ..Default::default()
        };
        assert!(matches!(
            star_thresholds(&s),
            Err(ReportError::Setting { .. })
        ));
        let s = ReportSettings {
            stars: vec![0.01, 0.1, 0.05],
            ..Default::default()
        };
        assert_eq!(star_thresholds(&s).ok(), Some(vec![0.1, 0.05, 0.01]));
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches("_cons", "_cons"));
        assert!(pattern_matches("*.year", "2009.year"));
        assert!(pattern_matches("L*.x", "L2.x"));
        assert!(!pattern_matches("L*.x", "F.x"));
        assert!(pattern_matches("*", "anything"));
        assert!(!pattern_matches("a*b*c", "abx"));
    }

    #[test]
    fn column_lists() {
        assert_eq!(column_list(&[0, 1, 2, 3]), "(1)–(4)");
        assert_eq!(column_list(&[0, 2]), "(1), (3)");
        assert_eq!(column_list(&[0, 1, 4]), "(1), (2), (5)");
    }

    #[test]
    fn colspec_runs() {
        let d = "D{.}{.}{3.6}".to_string();
        assert_eq!(
            latex_colspec(&[d.clone(), d.clone(), d.clone()]),
            "l*{3}{D{.}{.}{3.6}}"
        );
        assert_eq!(
            latex_colspec(&["c".to_string(), d, "p{6.0cm}".to_string()]),
            "lcD{.}{.}{3.6}p{6.0cm}"
        );
        assert_eq!(decimal_extent("-59.429", 3, false), (3, 6));
        assert_eq!(decimal_extent("40.745", 0, true), (3, 4));
        assert_eq!(decimal_extent("200", 0, false), (3, 0));
    }

    #[test]
    fn latex_numbers() {
        assert_eq!(latex_number("-0.123", 3, false, true), "-0.123^{***}");
        assert_eq!(latex_number("0.045", 0, true, true), "(0.045)");
        assert_eq!(latex_number("-1.5", 1, false, false), "$-$1.5$^{*}$");
    }
}
