//! The regression table of one model block, following reference/pipeline-and-tables.md §2.1:
//! models as columns under spanning headers (dependent variable, estimator), coefficients with
//! the standard error in parentheses below and stars from the configured thresholds (legend
//! generated from them), then fixed-effect indicator rows, N, groups, R², and the Hausman test
//! under its FE/RE pair; the standard-error type goes in the notes. Also the coefficient rows
//! the coefficient plots draw.

use std::collections::{BTreeMap, BTreeSet};

use ndarray::ArrayRef1;

use super::error::ReportError;
use super::escape::{thousands, threshold};
use super::input::{HausmanPair, ModelBlock, R2Choice, ReportInput, ReportSettings};
use super::labels::{
    capitalize, decapitalize, id_label, is_time_dummy, plural, term_label, variable_label, Text,
};
use super::table::{number, text_cell, validate_name, Align, Cell, HeaderSpan, Row, Table};
use crate::estimate::{CovarianceKind, CovarianceResult, EstimationResult, Estimator};

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
                let get = |v: &ArrayRef1<f64>| v.get(i).copied();
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

/// (long, short) name of an estimator, from its row of `estimate::ESTIMATORS`.
fn estimator_name(e: Estimator) -> (&'static str, &'static str) {
    let info = e.info();
    (info.long_name, info.short_name)
}

/// Short estimator name for column labels ("FE", "RE", ...).
pub(crate) fn estimator_short(e: Estimator) -> &'static str {
    estimator_name(e).1
}

fn r2_of(res: &EstimationResult, kind: R2Choice) -> (R2Choice, Option<f64>) {
    let f = &res.fit;
    use crate::estimate::estimators::DefaultR2;
    let auto = match res.estimator.info().default_r2 {
        DefaultR2::Within => R2Choice::Within,
        DefaultR2::Overall => R2Choice::Overall,
        DefaultR2::Between => R2Choice::Between,
        DefaultR2::Plain => R2Choice::Auto,
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
    let panel_fe = |r: &&EstimationResult| r.estimator.info().panel_effects;
    let time_fe = |r: &&EstimationResult| r.estimator.info().time_effects;
    if results.iter().any(panel_fe) {
        fe_rows.push(Row {
            label: Text::plain(format!("{} FE", id_label(&first.panel_var, &input.labels))),
            cells: results.iter().map(|r| yes_no(panel_fe(r))).collect(),
            space_after: false,
        });
    }
    if results.iter().any(time_fe) {
        fe_rows.push(Row {
            label: Text::plain(format!("{} FE", id_label(&first.time_var, &input.labels))),
            cells: results.iter().map(|r| yes_no(time_fe(r))).collect(),
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
}
