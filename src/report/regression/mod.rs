//! The regression table of one model block, following reference/pipeline-and-tables.md §2.1:
//! models as columns under spanning headers (dependent variable, estimator), coefficients with
//! the standard error in parentheses below and stars from the configured thresholds (legend
//! generated from them), then fixed-effect indicator rows, N, groups, R², and the Hausman test
//! under its FE/RE pair; the standard-error type goes in the notes. Also the coefficient rows
//! the coefficient plots draw.

use std::collections::{BTreeMap, BTreeSet};

use ndarray::ArrayRef1;

use super::error::ReportError;
use super::escape::threshold;
use super::input::{ControlsDisplay, ModelBlock, R2Choice, ReportInput, ReportSettings};
use super::labels::{capitalize, decapitalize, id_label, is_time_dummy, term_label, Text};
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

/// The controls of a block in order of first appearance over its columns.
pub(crate) fn block_controls(block: &ModelBlock) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in &block.columns {
        for v in &c.controls_included {
            if !out.contains(v) {
                out.push(v.clone());
            }
        }
    }
    out
}

fn column_entries(
    block: &ModelBlock,
    c: usize,
    settings: &ReportSettings,
    hidden: &BTreeSet<String>,
) -> Result<Vec<(String, Entry)>, ReportError> {
    let res = &block.columns[c].result;
    let cov = primary_cov(block, c, res)?;
    let mut out: Vec<(String, Entry)> = Vec::new();
    for term in &res.terms {
        if !settings.show_time_dummies && is_time_dummy(&term.name, &res.time_var) {
            continue;
        }
        if hidden.contains(&term.name) {
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

/// The coefficient rows of a block in display order; with `controls = "indicators"` the
/// controls' own coefficients are left out (they show as Yes/No rows instead).
pub(crate) fn coefficient_rows(
    block: &ModelBlock,
    input: &ReportInput,
) -> Result<Vec<CoefRow>, ReportError> {
    let settings = &input.settings;
    let mut keys: Vec<String> = Vec::new();
    let mut per_column: Vec<BTreeMap<String, Entry>> = Vec::new();
    let hidden: BTreeSet<String> = match settings.controls {
        ControlsDisplay::Indicators => block_controls(block).into_iter().collect(),
        ControlsDisplay::Coefficients => BTreeSet::new(),
    };
    for c in 0..block.columns.len() {
        let entries = column_entries(block, c, settings, &hidden)?;
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
            Some(1) => "Driscoll–Kraay standard errors (1 lag)".to_string(),
            Some(l) => format!("Driscoll–Kraay standard errors ({l} lags)"),
            None => "Driscoll–Kraay standard errors".to_string(),
        },
    }
}

/// The note saying how standard errors were computed; `refs` names a set of columns as the
/// table numbers them ("(1)–(4)", "Panel A (1), (2)").
fn se_note(
    block: &ModelBlock,
    input: &ReportInput,
    refs: impl Fn(&[usize]) -> String,
) -> Result<Text, ReportError> {
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
                .map(|(d, cols)| format!("{} {d}", refs(cols)))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    Ok(Text::plain(text))
}

mod build;

pub(crate) use build::regression_table;

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
}
