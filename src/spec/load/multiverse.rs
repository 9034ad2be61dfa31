//! `[multiverse]` from the merged tree: axes (arrays of alternatives for one spec key, tables
//! of several keys set together, and the model axes `controls = "all_subsets"`,
//! `estimators`, `vce`), `exclude` rules, `inference` and `intervals`. Every problem names
//! its `multiverse.…` key and the fix.

use std::collections::BTreeMap;

use super::models::extract_array;
use super::section::Section;
use crate::choice::Choice;
use crate::spec::diag::{did_you_mean, quote_list, Diagnostic, Diagnostics, Loc};
use crate::spec::multiverse::*;
use crate::spec::node::{Node, Value};
use crate::spec::types::{keys, Model};

/// Axis names with a meaning of their own (the others are dotted spec keys).
const MODEL_AXES: &[&str] = &["controls", "estimators", "vce"];

/// `[multiverse]`, or `None` when absent or unusable (reported).
pub(super) fn extract_multiverse(
    node: Option<&Node>,
    models: &[Model],
    diags: &mut Diagnostics,
) -> Option<Multiverse> {
    let s = Section::of("multiverse", node?, diags)?;
    s.check_keys(keys::MULTIVERSE, diags);
    let before = diags.len();
    let mut axes = Vec::new();
    match s.node("axes") {
        None => s.missing(
            "axes",
            "{ exclude_years = [[], [2009]], estimators = [\"fe\", \"re\"] }",
            diags,
        ),
        Some(n) => {
            if let Some(t) = Section::of("multiverse.axes", n, diags) {
                for (name, value) in t.table {
                    if let Some(a) = extract_axis(name, value, models, diags) {
                        axes.push(a);
                    }
                }
            }
        }
    }
    if axes.is_empty() && diags.len() == before {
        diags.push(
            Diagnostic::at(&s.loc, "`multiverse.axes` has no axis")
                .with_help("add an axis, e.g. `exclude_years = [[], [2009]]`"),
        );
    }
    let exclude = extract_array(s.node("exclude"), "multiverse.exclude", diags)
        .into_iter()
        .filter_map(|(i, n)| extract_rule(i, n, &axes, diags))
        .collect();
    let inference = s
        .node("inference")
        .and_then(|n| extract_inference(n, diags));
    let intervals = s.choice_or("intervals", Intervals::Band, diags).value;
    let mv = Multiverse {
        axes,
        exclude,
        inference,
        intervals,
        loc: s.loc.clone(),
    };
    if diags.len() > before {
        return None;
    }
    check_models(&mv, models, &s.loc, diags);
    let product = mv.product();
    if product > MAX_UNIVERSES {
        diags.push(
            Diagnostic::at(
                &s.loc,
                format!("the multiverse has {product} universes, more than {MAX_UNIVERSES}"),
            )
            .with_help("drop alternatives or add `exclude` rules"),
        );
        return None;
    }
    if mv.universes().is_empty() {
        diags.push(
            Diagnostic::at(&s.loc, "`multiverse.exclude` leaves no universe")
                .with_help("remove or narrow an `exclude` rule"),
        );
        return None;
    }
    Some(mv)
}

/// One axis.
fn extract_axis(
    name: &str,
    node: &Node,
    models: &[Model],
    diags: &mut Diagnostics,
) -> Option<Axis> {
    let key = format!("multiverse.axes.{name}");
    let axis = |kind, labels| {
        Some(Axis {
            name: name.to_string(),
            kind,
            labels,
            loc: node.loc.clone(),
        })
    };
    match name {
        "controls" => {
            if node.as_str() != Some("all_subsets") {
                diags.push(
                    Diagnostic::at(&node.loc, format!("`{key}` must be \"all_subsets\""))
                        .with_help("write `controls = \"all_subsets\"` (every subset of each model's controls)"),
                );
                return None;
            }
            let mut controls: Vec<String> = Vec::new();
            for c in models.iter().flat_map(|m| &m.controls) {
                if !controls.contains(&c.value) {
                    controls.push(c.value.clone());
                }
            }
            if controls.is_empty() || controls.len() > MAX_SUBSET_CONTROLS {
                diags.push(
                    Diagnostic::at(
                        &node.loc,
                        format!(
                            "`{key}` needs 1 to {MAX_SUBSET_CONTROLS} controls in `[[models]]`, found {}",
                            controls.len()
                        ),
                    )
                    .with_help("list the candidate controls in each model's `controls`"),
                );
                return None;
            }
            let subsets = all_subsets(controls.len());
            let labels = subsets.iter().map(|s| subset_label(&controls, s)).collect();
            axis(AxisKind::ControlSubsets { controls, subsets }, labels)
        }
        "estimators" => {
            let items = choice_list::<crate::estimate::Estimator>(&key, node, diags)?;
            let labels: Vec<String> = items.iter().map(|e| e.name().to_string()).collect();
            unique(&key, node, &labels, diags)?;
            axis(AxisKind::Estimators(items), labels)
        }
        "vce" => {
            let items = choice_list::<crate::estimate::Vce>(&key, node, diags)?;
            let labels: Vec<String> = items.iter().map(|e| e.name().to_string()).collect();
            unique(&key, node, &labels, diags)?;
            axis(AxisKind::Vce(items), labels)
        }
        _ => {
            let (keys_, labels) = match &node.value {
                Value::Array(_) => {
                    let dotted = if name == "exclude_years" {
                        "sample.exclude_years".to_string()
                    } else {
                        name.to_string()
                    };
                    let k = axis_key(&key, &dotted, node, diags)?;
                    let labels: Vec<String> = k.values.iter().map(value_label).collect();
                    (vec![k], labels)
                }
                Value::Table(t) => keys_axis(&key, t, node, diags)?,
                other => {
                    diags.push(
                        Diagnostic::at(
                            &node.loc,
                            format!(
                                "`{key}` must be a list of alternatives or a table of keys, found {}",
                                other.type_name()
                            ),
                        )
                        .with_help(format!(
                            "write `\"{name}\" = [first, second]`, or a named axis `{name} = {{ \"sample.years\" = [[2007, 2017], [2010, 2017]] }}`; model axes: {}",
                            quote_list(MODEL_AXES)
                        )),
                    );
                    return None;
                }
            };
            unique(&key, node, &labels, diags)?;
            axis(AxisKind::Keys(keys_), labels)
        }
    }
}

/// A named axis of several keys set together (equal-length lists), with optional `labels`.
fn keys_axis(
    key: &str,
    t: &BTreeMap<String, Node>,
    node: &Node,
    diags: &mut Diagnostics,
) -> Option<(Vec<AxisKey>, Vec<String>)> {
    let mut keys_ = Vec::new();
    for (dotted, v) in t.iter().filter(|(k, _)| k.as_str() != "labels") {
        keys_.push(axis_key(&format!("{key}.\"{dotted}\""), dotted, v, diags)?);
    }
    let Some(n) = keys_.first().map(|k| k.values.len()) else {
        diags.push(
            Diagnostic::at(&node.loc, format!("`{key}` sets no spec key"))
                .with_help("write e.g. `{ \"sample.years\" = [[2007, 2017], [2010, 2017]] }`"),
        );
        return None;
    };
    if let Some(k) = keys_.iter().find(|k| k.values.len() != n) {
        diags.push(
            Diagnostic::at(
                &node.loc,
                format!(
                    "`{key}`: `{}` has {} alternatives, `{}` has {n}",
                    k.dotted,
                    k.values.len(),
                    keys_[0].dotted
                ),
            )
            .with_help(
                "the keys of one axis are set together: give each the same number of values",
            ),
        );
        return None;
    }
    let labels = match t.get("labels") {
        Some(l) => {
            let items: Vec<String> = match &l.value {
                Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            };
            if items.len() != n {
                diags.push(
                    Diagnostic::at(
                        &l.loc,
                        format!("`{key}.labels` must be {n} strings, one per alternative"),
                    )
                    .with_help("e.g. `labels = [\"full\", \"post-crisis\"]`"),
                );
                return None;
            }
            items
        }
        None => (0..n)
            .map(|i| {
                keys_
                    .iter()
                    .map(|k| value_label(&k.values[i]))
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect(),
    };
    Some((keys_, labels))
}

/// One key of an axis: its dotted path (refused when it names the multiverse itself or the
/// parent spec) and its alternatives.
fn axis_key(key: &str, dotted: &str, node: &Node, diags: &mut Diagnostics) -> Option<AxisKey> {
    let path: Vec<String> = dotted.split('.').map(str::to_string).collect();
    let first = path.first().map(String::as_str).unwrap_or("");
    if !keys::TOP.contains(&first) || matches!(first, "multiverse" | "extends" | "robustness") {
        diags.push(
            Diagnostic::at(
                &node.loc,
                format!("`{key}`: `{dotted}` is not a spec key a universe can set"),
            )
            .with_help(format!(
                "name a dotted key such as `sample.countries` or `decomposition.iv`, or a model axis ({}); {}",
                quote_list(MODEL_AXES),
                did_you_mean(first, keys::TOP)
            )),
        );
        return None;
    }
    let Value::Array(items) = &node.value else {
        diags.push(
            Diagnostic::at(&node.loc, format!("`{key}` must be a list of alternatives"))
                .with_help(format!("write `\"{dotted}\" = [first, second]`")),
        );
        return None;
    };
    if items.is_empty() {
        diags.push(
            Diagnostic::at(&node.loc, format!("`{key}` has no alternative"))
                .with_help("list at least one value"),
        );
        return None;
    }
    Some(AxisKey {
        dotted: dotted.to_string(),
        path,
        values: items.clone(),
    })
}

/// A list of closed choices (estimators, VCEs).
fn choice_list<T: Choice>(key: &str, node: &Node, diags: &mut Diagnostics) -> Option<Vec<T>> {
    let names: Vec<&str> = T::ALL.iter().map(|c| c.name()).collect();
    let Value::Array(items) = &node.value else {
        diags.push(
            Diagnostic::at(&node.loc, format!("`{key}` must be a list of names")).with_help(
                format!("e.g. `[{}]`", quote_list(&names[..names.len().min(2)])),
            ),
        );
        return None;
    };
    let mut out = Vec::new();
    for item in items {
        match item.as_str().and_then(T::from_name) {
            Some(c) => out.push(c),
            None => {
                let found = item
                    .as_str()
                    .map_or_else(|| item.value.type_name().to_string(), |s| format!("`{s}`"));
                diags.push(
                    Diagnostic::at(&item.loc, format!("`{key}` cannot hold {found}"))
                        .with_help(did_you_mean(item.as_str().unwrap_or(""), &names)),
                );
                return None;
            }
        }
    }
    if out.is_empty() {
        diags.push(
            Diagnostic::at(&node.loc, format!("`{key}` has no alternative"))
                .with_help("list at least one name"),
        );
        return None;
    }
    Some(out)
}

/// Labels of one axis must differ (they name universes).
fn unique(key: &str, node: &Node, labels: &[String], diags: &mut Diagnostics) -> Option<()> {
    for (i, l) in labels.iter().enumerate() {
        if labels[..i].contains(l) {
            diags.push(
                Diagnostic::at(
                    &node.loc,
                    format!("`{key}` has the alternative `{l}` twice"),
                )
                .with_help("remove the repeated alternative, or give a table axis `labels = [...]` that differ"),
            );
            return None;
        }
    }
    Some(())
}

/// One `exclude` rule: `{ axis = "label" }` or `{ axis = ["label", …] }` for one or more axes.
fn extract_rule(
    i: usize,
    node: &Node,
    axes: &[Axis],
    diags: &mut Diagnostics,
) -> Option<ExcludeRule> {
    let s = Section::of(&format!("multiverse.exclude[{i}]"), node, diags)?;
    let mut when = Vec::new();
    let axis_names: Vec<&str> = axes.iter().map(|a| a.name.as_str()).collect();
    for (name, v) in s.table {
        let Some(ai) = axes.iter().position(|a| &a.name == name) else {
            diags.push(
                Diagnostic::at(&v.loc, format!("`{}`: no axis `{name}`", s.name))
                    .with_help(did_you_mean(name, &axis_names)),
            );
            return None;
        };
        let wanted: Vec<&Node> = match &v.value {
            Value::Array(items) => items.iter().collect(),
            _ => vec![v],
        };
        let labels: Vec<&str> = axes[ai].labels.iter().map(String::as_str).collect();
        let mut alts = Vec::new();
        for w in wanted {
            let label = w
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| value_label(w));
            match labels.iter().position(|l| *l == label) {
                Some(p) => alts.push(p),
                None => {
                    diags.push(
                        Diagnostic::at(
                            &w.loc,
                            format!(
                                "`{}.{name}`: axis `{name}` has no alternative `{label}`",
                                s.name
                            ),
                        )
                        .with_help(did_you_mean(&label, &labels)),
                    );
                    return None;
                }
            }
        }
        when.push((ai, alts));
    }
    if when.is_empty() {
        diags.push(
            Diagnostic::at(&node.loc, format!("`{}` names no axis", s.name))
                .with_help("e.g. `{ estimators = \"re\", vce = \"robust\" }`"),
        );
        return None;
    }
    Some(ExcludeRule {
        when,
        loc: node.loc.clone(),
    })
}

/// `inference = { draws = 500, seed = 1 }`.
fn extract_inference(node: &Node, diags: &mut Diagnostics) -> Option<Inference> {
    let s = Section::of("multiverse.inference", node, diags)?;
    s.check_keys(&["draws", "seed"], diags);
    let int = |key: &str, default: Option<i64>, diags: &mut Diagnostics| -> Option<i64> {
        match s.node(key) {
            None => default,
            Some(Node {
                value: Value::Int(i),
                ..
            }) if *i >= 0 => Some(*i),
            Some(n) => {
                diags.push(
                    Diagnostic::at(
                        &n.loc,
                        format!("`multiverse.inference.{key}` must be a whole number, 0 or more"),
                    )
                    .with_help(format!("e.g. `{key} = 500`")),
                );
                None
            }
        }
    };
    let draws = match int("draws", None, diags) {
        Some(d) if (1..=100_000).contains(&d) => d as usize,
        Some(_) => {
            diags.push(
                Diagnostic::at(
                    &node.loc,
                    "`multiverse.inference.draws` must be 1 to 100000",
                )
                .with_help("e.g. `draws = 500`; leave `inference` out for no joint test"),
            );
            return None;
        }
        None => {
            if s.node("draws").is_none() {
                s.missing("draws", "500", diags);
            }
            return None;
        }
    };
    let seed = int("seed", Some(1), diags)? as u64;
    Some(Inference { draws, seed })
}

/// A universe fits one column per model: a model with several estimators needs an
/// `estimators` axis.
fn check_models(mv: &Multiverse, models: &[Model], loc: &Loc, diags: &mut Diagnostics) {
    let has = |n: &str| mv.axes.iter().any(|a| a.name == n);
    if models.is_empty() {
        diags.push(
            Diagnostic::at(loc, "the multiverse needs at least one `[[models]]` entry")
                .with_help("add a model: its estimates are what the universes compare"),
        );
    }
    if has("estimators") {
        return;
    }
    for m in models.iter().filter(|m| m.estimators.len() > 1) {
        diags.push(
            Diagnostic::at(
                &m.loc,
                format!(
                    "model `{}` lists {} estimators, but a universe fits one column per model",
                    m.name.value,
                    m.estimators.len()
                ),
            )
            .with_help("add an axis `estimators = [\"fe\", \"re\"]` to `[multiverse.axes]`, or list one estimator"),
        );
    }
}
