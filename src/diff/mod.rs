//! `gvc diff`: what moved between two runs — the spec, the sample, and every coefficient,
//! aligned by (variant, model, column, term), with flags for sign flips, changes of
//! significance level and non-overlapping 95 % confidence intervals.
//!
//! Pure: works on the parsed `results.json`, `spec.json` and sample lists of two runs.

pub mod multiverse;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// One run's results as the diff needs them.
#[derive(Debug, Clone, Default)]
pub struct RunResults {
    /// Merged spec (JSON), for the spec difference.
    pub spec: serde_json::Value,
    /// `results.json`.
    pub results: serde_json::Value,
    /// Country-years used by each (variant, model): key "variant/model".
    pub samples: BTreeMap<String, BTreeSet<(String, i32)>>,
    /// The multiverse's summaries and estimates, when the run has one.
    pub multiverse: Option<multiverse::MultiverseRun>,
}

/// Options of a diff.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// Numbers closer than this (absolute, or relative to the larger magnitude) count as equal.
    pub tolerance: f64,
    /// Show unchanged rows too.
    pub all: bool,
    /// Star thresholds (descending p), as in the report.
    pub stars: Vec<f64>,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            tolerance: 1e-9,
            all: false,
            stars: vec![0.10, 0.05, 0.01],
        }
    }
}

/// One changed spec key.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpecChange {
    pub key: String,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
}

/// Country-years that entered or left a model's sample.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SampleChange {
    pub model: String,
    pub left: Vec<(String, i32)>,
    pub entered: Vec<(String, i32)>,
}

/// One aligned coefficient (or a row present on one side only).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CoefChange {
    pub variant: String,
    pub model: String,
    pub column: String,
    pub term: String,
    pub old_estimate: Option<f64>,
    pub new_estimate: Option<f64>,
    pub old_se: Option<f64>,
    pub new_se: Option<f64>,
    pub delta: Option<f64>,
    pub rel_delta: Option<f64>,
    pub old_stars: String,
    pub new_stars: String,
    pub sign_flip: bool,
    pub stars_changed: bool,
    pub ci_disjoint: bool,
    /// `added`, `removed` or `changed`/`same`.
    pub status: String,
}

/// A fit statistic of a column that changed (N, R², Hausman χ²).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatChange {
    pub variant: String,
    pub model: String,
    pub column: String,
    pub statistic: String,
    pub old: Option<f64>,
    pub new: Option<f64>,
}

/// The whole difference.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Diff {
    pub spec: Vec<SpecChange>,
    pub samples: Vec<SampleChange>,
    pub coefficients: Vec<CoefChange>,
    pub statistics: Vec<StatChange>,
    /// True when nothing differs beyond the tolerance (spec changes that do not move any
    /// result, such as a report label, still count as "results identical").
    pub results_identical: bool,
    /// The multiverses compared, when either run has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multiverse: Option<multiverse::MultiverseDiff>,
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

/// Stars of a p-value: one per threshold it is strictly below.
pub fn stars(p: Option<f64>, thresholds: &[f64]) -> String {
    match p {
        Some(p) => "*".repeat(thresholds.iter().filter(|t| p < **t).count()),
        None => String::new(),
    }
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, serde_json::Value>) {
    match v {
        serde_json::Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, x, out);
            }
        }
        serde_json::Value::Array(a) if a.iter().any(|x| x.is_object()) => {
            for (i, x) in a.iter().enumerate() {
                let name = x
                    .get("name")
                    .and_then(|n| n.as_str())
                    .map_or(i.to_string(), str::to_string);
                flatten(&format!("{prefix}.{name}"), x, out);
            }
        }
        _ => {
            out.insert(prefix.to_string(), v.clone());
        }
    }
}

/// Dotted spec keys whose values differ (old → new).
pub fn spec_changes(old: &serde_json::Value, new: &serde_json::Value) -> Vec<SpecChange> {
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    flatten("", old, &mut a);
    flatten("", new, &mut b);
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let differing: Vec<&String> = keys
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .collect();
    // An empty table on one side (`{}`, flattened as a value) against keys below it on the
    // other: the keys below say what changed.
    let parent_of_another = |k: &str| {
        differing.iter().any(|o| {
            o.len() > k.len() && o.starts_with(k) && (k.is_empty() || o[k.len()..].starts_with('.'))
        })
    };
    differing
        .iter()
        .copied()
        .filter(|k| !parent_of_another(k))
        .map(|k| SpecChange {
            key: k.clone(),
            old: a.get(k).cloned(),
            new: b.get(k).cloned(),
        })
        .collect()
}

/// The dotted keys at which two JSON values differ, in key order: the one JSON diff of gvc
/// (`gvc diff`'s spec section and `gvc status --explain`'s "spec `…` changed"). Objects are
/// descended key by key, arrays of tables element by element (by their `name`, else their
/// position), so a changed `[[models]]` option reads `models.position.vce`; other values are
/// compared whole. Two different non-object roots give the key `(root)`.
pub fn changed_keys(old: &serde_json::Value, new: &serde_json::Value) -> Vec<String> {
    spec_changes(old, new)
        .into_iter()
        .map(|c| {
            if c.key.is_empty() {
                "(root)".to_string()
            } else {
                c.key
            }
        })
        .collect()
}

type ColumnKey = (String, String, String);

fn columns(results: &serde_json::Value) -> BTreeMap<ColumnKey, &serde_json::Value> {
    let mut out = BTreeMap::new();
    for e in results["estimates"].as_array().into_iter().flatten() {
        let variant = e["variant"].as_str().unwrap_or("baseline").to_string();
        let model = e["model"].as_str().unwrap_or("").to_string();
        let column = e["column"].as_str().unwrap_or("").to_string();
        out.insert((variant, model, column), e);
    }
    out
}

fn coef_map(e: &serde_json::Value) -> BTreeMap<String, &serde_json::Value> {
    e["coefficients"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| (c["name"].as_str().unwrap_or("").to_string(), c))
        .collect()
}

fn hausman_map(results: &serde_json::Value) -> BTreeMap<ColumnKey, Option<f64>> {
    results["tests"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                (
                    t["variant"].as_str().unwrap_or("baseline").to_string(),
                    t["model"].as_str().unwrap_or("").to_string(),
                    t["step"].as_str().unwrap_or("").to_string(),
                ),
                t["hausman"]["default"]["chi2"].as_f64(),
            )
        })
        .collect()
}

/// Compares two runs.
pub fn diff(old: &RunResults, new: &RunResults, opts: &DiffOptions) -> Diff {
    let mut d = Diff {
        spec: spec_changes(&old.spec, &new.spec),
        ..Diff::default()
    };
    let models: BTreeSet<&String> = old.samples.keys().chain(new.samples.keys()).collect();
    let empty = BTreeSet::new();
    for m in models {
        let a = old.samples.get(m).unwrap_or(&empty);
        let b = new.samples.get(m).unwrap_or(&empty);
        let left: Vec<(String, i32)> = a.difference(b).cloned().collect();
        let entered: Vec<(String, i32)> = b.difference(a).cloned().collect();
        if !left.is_empty() || !entered.is_empty() {
            d.samples.push(SampleChange {
                model: m.clone(),
                left,
                entered,
            });
        }
    }
    let (ca, cb) = (columns(&old.results), columns(&new.results));
    let keys: BTreeSet<&ColumnKey> = ca.keys().chain(cb.keys()).collect();
    for key in keys {
        let (ea, eb) = (ca.get(key), cb.get(key));
        let (ma, mb) = (
            ea.map(|e| coef_map(e)).unwrap_or_default(),
            eb.map(|e| coef_map(e)).unwrap_or_default(),
        );
        let terms: BTreeSet<&String> = ma.keys().chain(mb.keys()).collect();
        for term in terms {
            let (a, b) = (ma.get(term), mb.get(term));
            let f = |c: Option<&&serde_json::Value>, k: &str| c.and_then(|c| c[k].as_f64());
            let (ea_, eb_) = (f(a, "estimate"), f(b, "estimate"));
            let (sa, sb) = (f(a, "std_error"), f(b, "std_error"));
            let (pa, pb) = (f(a, "p_value"), f(b, "p_value"));
            let (star_a, star_b) = (stars(pa, &opts.stars), stars(pb, &opts.stars));
            let status = match (a, b) {
                (None, Some(_)) => "added",
                (Some(_), None) => "removed",
                _ => {
                    let same = |x: Option<f64>, y: Option<f64>| match (x, y) {
                        (Some(x), Some(y)) => close(x, y, opts.tolerance),
                        (None, None) => true,
                        _ => false,
                    };
                    if same(ea_, eb_) && same(sa, sb) {
                        "same"
                    } else {
                        "changed"
                    }
                }
            };
            let delta = match (ea_, eb_) {
                (Some(x), Some(y)) => Some(y - x),
                _ => None,
            };
            let rel = match (ea_, delta) {
                (Some(x), Some(dl)) if x != 0.0 => Some(dl / x.abs()),
                _ => None,
            };
            let ci = |c: Option<&&serde_json::Value>| Some((f(c, "ci_low")?, f(c, "ci_high")?));
            let disjoint = match (ci(a), ci(b)) {
                (Some((la, ha)), Some((lb, hb))) => ha < lb || hb < la,
                _ => false,
            };
            let change = CoefChange {
                variant: key.0.clone(),
                model: key.1.clone(),
                column: key.2.clone(),
                term: term.clone(),
                old_estimate: ea_,
                new_estimate: eb_,
                old_se: sa,
                new_se: sb,
                delta,
                rel_delta: rel,
                sign_flip: matches!((ea_, eb_), (Some(x), Some(y)) if x * y < 0.0),
                stars_changed: status != "same" && star_a != star_b,
                old_stars: star_a,
                new_stars: star_b,
                ci_disjoint: disjoint,
                status: status.to_string(),
            };
            if opts.all || change.status != "same" {
                d.coefficients.push(change);
            }
        }
        for stat in ["n_obs", "n_groups"] {
            let (x, y) = (
                ea.and_then(|e| e[stat].as_f64()),
                eb.and_then(|e| e[stat].as_f64()),
            );
            if opts.all || x != y {
                d.statistics.push(StatChange {
                    variant: key.0.clone(),
                    model: key.1.clone(),
                    column: key.2.clone(),
                    statistic: stat.into(),
                    old: x,
                    new: y,
                });
            }
        }
        for stat in ["r2", "r2_within", "r2_overall"] {
            let (x, y) = (
                ea.and_then(|e| e["fit"][stat].as_f64()),
                eb.and_then(|e| e["fit"][stat].as_f64()),
            );
            let differs = match (x, y) {
                (Some(x), Some(y)) => !close(x, y, opts.tolerance),
                (None, None) => false,
                _ => true,
            };
            if opts.all && (x.is_some() || y.is_some()) || differs {
                d.statistics.push(StatChange {
                    variant: key.0.clone(),
                    model: key.1.clone(),
                    column: key.2.clone(),
                    statistic: stat.into(),
                    old: x,
                    new: y,
                });
            }
        }
    }
    let (ha, hb) = (hausman_map(&old.results), hausman_map(&new.results));
    let hkeys: BTreeSet<&ColumnKey> = ha.keys().chain(hb.keys()).collect();
    for k in hkeys {
        let (x, y) = (ha.get(k).copied().flatten(), hb.get(k).copied().flatten());
        let differs = match (x, y) {
            (Some(x), Some(y)) => !close(x, y, opts.tolerance),
            (None, None) => ha.contains_key(k) != hb.contains_key(k),
            _ => true,
        };
        if opts.all || differs {
            d.statistics.push(StatChange {
                variant: k.0.clone(),
                model: k.1.clone(),
                column: k.2.clone(),
                statistic: "hausman_chi2".into(),
                old: x,
                new: y,
            });
        }
    }
    d.coefficients.sort_by(|a, b| {
        let size = |c: &CoefChange| c.rel_delta.map(f64::abs).unwrap_or(f64::INFINITY);
        let rank = |c: &CoefChange| if c.status == "same" { 1 } else { 0 };
        rank(a)
            .cmp(&rank(b))
            .then(size(b).total_cmp(&size(a)))
            .then_with(|| {
                (&a.variant, &a.model, &a.column, &a.term)
                    .cmp(&(&b.variant, &b.model, &b.column, &b.term))
            })
    });
    d.results_identical = d.samples.is_empty()
        && d.coefficients.iter().all(|c| c.status == "same")
        && d.statistics.iter().all(|s| match (s.old, s.new) {
            (Some(x), Some(y)) => close(x, y, opts.tolerance),
            (None, None) => true,
            _ => false,
        });
    if old.multiverse.is_some() || new.multiverse.is_some() {
        let empty = multiverse::MultiverseRun::default();
        let m = multiverse::diff(
            old.multiverse.as_ref().unwrap_or(&empty),
            new.multiverse.as_ref().unwrap_or(&empty),
            opts.tolerance,
        );
        d.results_identical &= m.identical();
        d.multiverse = Some(m);
    }
    d
}

/// Six significant digits, in exponent form for very small or very large magnitudes, so a
/// coefficient of 3e-6 does not print as 0.000003 and hide its change.
fn num(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| {
        let a = v.abs();
        if a != 0.0 && !(1e-3..1e7).contains(&a) {
            format!("{v:.5e}")
        } else {
            let magnitude = if a == 0.0 {
                0
            } else {
                a.log10().floor() as i32
            };
            let decimals = (5 - magnitude).max(0) as usize;
            format!("{v:.decimals$}")
        }
    })
}

fn flags(c: &CoefChange) -> String {
    let mut f = Vec::new();
    if c.status == "added" || c.status == "removed" {
        f.push(c.status.clone());
    }
    if c.sign_flip {
        f.push("sign flip".into());
    }
    if c.stars_changed {
        f.push(format!(
            "stars {}→{}",
            if c.old_stars.is_empty() {
                "none"
            } else {
                &c.old_stars
            },
            if c.new_stars.is_empty() {
                "none"
            } else {
                &c.new_stars
            }
        ));
    }
    if c.ci_disjoint {
        f.push("CIs disjoint".into());
    }
    f.join(", ")
}

fn json_text(v: &Option<serde_json::Value>) -> String {
    v.as_ref().map_or("(absent)".into(), |v| v.to_string())
}

/// The diff as a plain-text terminal report.
pub fn to_text(d: &Diff) -> String {
    let mut s = String::new();
    if d.results_identical {
        s.push_str("results identical");
        if !d.spec.is_empty() {
            s.push_str(&format!(
                " ({} spec keys differ but move no result)",
                d.spec.len()
            ));
        }
        s.push('\n');
    }
    if !d.spec.is_empty() {
        s.push_str("Spec\n");
        for c in &d.spec {
            s.push_str(&format!(
                "  {}: {} -> {}\n",
                c.key,
                json_text(&c.old),
                json_text(&c.new)
            ));
        }
    }
    if !d.samples.is_empty() {
        s.push_str("Sample\n");
        for c in &d.samples {
            let fmt = |v: &[(String, i32)]| {
                v.iter()
                    .map(|(c, y)| format!("{c} {y}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if !c.left.is_empty() {
                s.push_str(&format!(
                    "  {}: left ({}): {}\n",
                    c.model,
                    c.left.len(),
                    fmt(&c.left)
                ));
            }
            if !c.entered.is_empty() {
                s.push_str(&format!(
                    "  {}: entered ({}): {}\n",
                    c.model,
                    c.entered.len(),
                    fmt(&c.entered)
                ));
            }
        }
    }
    if !d.coefficients.is_empty() {
        s.push_str("Coefficients\n");
        s.push_str(&format!(
            "  {:<12} {:<14} {:<8} {:<14} {:>12} {:>12} {:>12} {:>12} {:>12} {:>9}  {}\n",
            "variant",
            "model",
            "column",
            "term",
            "old",
            "new",
            "old se",
            "new se",
            "delta",
            "rel",
            "flags"
        ));
        for c in &d.coefficients {
            s.push_str(&format!(
                "  {:<12} {:<14} {:<8} {:<14} {:>12} {:>12} {:>12} {:>12} {:>12} {:>9}  {}\n",
                c.variant,
                c.model,
                c.column,
                c.term,
                format!("{}{}", num(c.old_estimate), c.old_stars),
                format!("{}{}", num(c.new_estimate), c.new_stars),
                num(c.old_se),
                num(c.new_se),
                num(c.delta),
                c.rel_delta
                    .map_or("–".into(), |r| format!("{:+.1}%", 100.0 * r)),
                flags(c)
            ));
        }
    }
    if !d.statistics.is_empty() {
        s.push_str("Statistics\n");
        for c in &d.statistics {
            s.push_str(&format!(
                "  {:<12} {:<14} {:<8} {:<14} {:>14} -> {:>14}\n",
                c.variant,
                c.model,
                c.column,
                c.statistic,
                num(c.old),
                num(c.new)
            ));
        }
    }
    if let Some(m) = &d.multiverse {
        s.push_str(&m.render(&|h| format!("{h}\n"), &|cells| {
            format!("  {}\n", cells.join("  "))
        }));
    }
    s
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The diff as GitHub-flavoured Markdown.
pub fn to_markdown(d: &Diff) -> String {
    let mut s = String::from("# Differences\n\n");
    if d.results_identical {
        s.push_str("Results identical.\n\n");
    }
    if !d.spec.is_empty() {
        s.push_str("## Spec\n\n| key | old | new |\n|---|---|---|\n");
        for c in &d.spec {
            s.push_str(&format!(
                "| `{}` | {} | {} |\n",
                md_escape(&c.key),
                md_escape(&json_text(&c.old)),
                md_escape(&json_text(&c.new))
            ));
        }
        s.push('\n');
    }
    if !d.samples.is_empty() {
        s.push_str("## Sample\n\n| model | left | entered |\n|---|---:|---:|\n");
        for c in &d.samples {
            s.push_str(&format!(
                "| {} | {} | {} |\n",
                md_escape(&c.model),
                c.left.len(),
                c.entered.len()
            ));
        }
        s.push('\n');
    }
    if !d.coefficients.is_empty() {
        s.push_str("## Coefficients\n\n| variant | model | column | term | old | new | Δ | rel. Δ | flags |\n|---|---|---|---|---:|---:|---:|---:|---|\n");
        for c in &d.coefficients {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {}{} ({}) | {}{} ({}) | {} | {} | {} |\n",
                md_escape(&c.variant),
                md_escape(&c.model),
                c.column,
                md_escape(&c.term),
                num(c.old_estimate),
                c.old_stars.replace('*', "\\*"),
                num(c.old_se),
                num(c.new_estimate),
                c.new_stars.replace('*', "\\*"),
                num(c.new_se),
                num(c.delta),
                c.rel_delta
                    .map_or("–".into(), |r| format!("{:+.1}%", 100.0 * r)),
                flags(c)
            ));
        }
        s.push('\n');
    }
    if !d.statistics.is_empty() {
        s.push_str("## Statistics\n\n| variant | model | column | statistic | old | new |\n|---|---|---|---|---:|---:|\n");
        for c in &d.statistics {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                md_escape(&c.variant),
                md_escape(&c.model),
                md_escape(&c.column),
                md_escape(&c.statistic),
                num(c.old),
                num(c.new)
            ));
        }
    }
    if let Some(m) = &d.multiverse {
        s.push_str(&m.render(&|h| format!("\n## {h}\n\n"), &|cells| {
            let cells: Vec<String> = cells.iter().map(|c| md_escape(c)).collect();
            format!("| {} |\n", cells.join(" | "))
        }));
    }
    s
}

/// LaTeX escaping shared with the report, so a label renders the same in both.
fn tex_escape(s: &str) -> String {
    crate::report::escape::escape_latex(s)
}

/// The coefficient changes as a LaTeX appendix table (booktabs) a paper can `\input`.
pub fn to_latex(d: &Diff) -> String {
    let mut s = String::from("\\begin{table}[htbp]\\centering\\small\n\\caption{Robustness: coefficients that moved}\n\\begin{tabular}{lllrrrl}\n\\toprule\nModel & Column & Term & Old & New & $\\Delta$ & Flags \\\\\n\\midrule\n");
    for c in &d.coefficients {
        s.push_str(&format!(
            "{} & {} & {} & {}{} & {}{} & {} & {} \\\\\n",
            tex_escape(&format!("{} {}", c.variant, c.model)),
            tex_escape(&c.column),
            tex_escape(&c.term),
            num(c.old_estimate),
            if c.old_stars.is_empty() {
                String::new()
            } else {
                format!("$^{{{}}}$", c.old_stars)
            },
            num(c.new_estimate),
            if c.new_stars.is_empty() {
                String::new()
            } else {
                format!("$^{{{}}}$", c.new_stars)
            },
            num(c.delta),
            tex_escape(&flags(c))
        ));
    }
    if d.coefficients.is_empty() {
        s.push_str("\\multicolumn{7}{c}{Results identical} \\\\\n");
    }
    s.push_str("\\bottomrule\n\\end{tabular}\n\\end{table}\n");
    if let Some(m) = &d.multiverse {
        s.push_str(&m.to_latex());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(est: f64, se: f64, p: f64) -> RunResults {
        RunResults {
            spec: json!({"sample": {"exclude_years": []}}),
            results: json!({"estimates": [{
                "variant": null, "model": "m", "column": "0/fe", "n_obs": 100, "n_groups": 10,
                "fit": {"r2_within": 0.5},
                "coefficients": [{"name": "x", "estimate": est, "std_error": se, "p_value": p,
                                   "ci_low": est - 2.0 * se, "ci_high": est + 2.0 * se}]
            }], "tests": []}),
            samples: BTreeMap::new(),
            multiverse: None,
        }
    }

    #[test]
    fn identical_runs_are_identical() {
        let d = diff(
            &run(1.0, 0.1, 0.001),
            &run(1.0, 0.1, 0.001),
            &DiffOptions::default(),
        );
        assert!(d.results_identical);
        assert!(d.coefficients.is_empty());
    }

    #[test]
    fn flags_sign_flip_stars_and_disjoint_cis() {
        let d = diff(
            &run(1.0, 0.1, 0.001),
            &run(-1.0, 0.1, 0.2),
            &DiffOptions::default(),
        );
        assert!(!d.results_identical);
        let c = &d.coefficients[0];
        assert!(c.sign_flip && c.stars_changed && c.ci_disjoint);
        assert_eq!(c.old_stars, "***");
        assert_eq!(c.new_stars, "");
        assert_eq!(c.delta, Some(-2.0));
    }

    #[test]
    fn spec_changes_are_dotted() {
        let a = json!({"sample": {"exclude_years": []}, "report": {"digits": 3}});
        let b = json!({"sample": {"exclude_years": [2009]}, "report": {"digits": 3}});
        let c = spec_changes(&a, &b);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].key, "sample.exclude_years");
    }

    #[test]
    fn changed_keys_descend_into_tables_and_lists_of_tables() {
        let a = json!({"variables": {"rd_share": {"transform": [{"ratio": "gdp"}, {"scale": 100}]}},
                       "models": [{"name": "position", "vce": "cluster"}], "seed": 1});
        let b = json!({"variables": {"rd_share": {"transform": [{"ratio": "gdp"}, {"scale": 1000}]}},
                       "models": [{"name": "position", "vce": "robust"}], "seed": 1});
        assert_eq!(
            changed_keys(&a, &b),
            vec![
                "models.position.vce",
                "variables.rd_share.transform.1.scale"
            ]
        );
        assert!(changed_keys(&a, &a).is_empty());
        assert_eq!(changed_keys(&json!(1), &json!(2)), vec!["(root)"]);
        assert_eq!(changed_keys(&json!({"x": 1}), &json!({})), vec!["x"]);
    }

    #[test]
    fn numbers_keep_six_significant_digits() {
        assert_eq!(num(Some(0.1101238)), "0.110124");
        assert_eq!(num(Some(-2.5e-6)), "-2.50000e-6");
        assert_eq!(num(Some(1234.56789)), "1234.57");
        assert_eq!(num(Some(0.0)), "0.00000");
        assert_eq!(num(None), "–");
    }

    #[test]
    fn stars_follow_thresholds() {
        assert_eq!(stars(Some(0.04), &[0.1, 0.05, 0.01]), "**");
        assert_eq!(stars(Some(0.5), &[0.1, 0.05, 0.01]), "");
        assert_eq!(stars(None, &[0.1]), "");
    }
}
