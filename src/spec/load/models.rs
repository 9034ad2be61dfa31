//! The array sections: `[[models]]` (regressions to run) and `[[robustness]]` (variants of the
//! spec: excluded years and `set` overrides, kept as nodes for [`super::variant_spec`]).

use super::section::Section;
use super::years::year_list;
use crate::spec::diag::{Diagnostic, Diagnostics};
use crate::spec::node::{Node, Value};
use crate::spec::types::*;

/// The entries of the array of tables `name` (`[[models]]`), with their index; a value that
/// is not an array is reported.
pub(super) fn extract_array<'a>(
    node: Option<&'a Node>,
    name: &str,
    diags: &mut Diagnostics,
) -> Vec<(usize, &'a Node)> {
    let Some(node) = node else { return Vec::new() };
    match &node.value {
        Value::Array(items) => items.iter().enumerate().collect(),
        other => {
            diags.push(
                Diagnostic::at(
                    &node.loc,
                    format!(
                        "`{name}` must be an array of tables, found {}",
                        other.type_name()
                    ),
                )
                .with_help(format!("write each entry under `[[{name}]]`")),
            );
            Vec::new()
        }
    }
}

/// One `[[models]]` entry (named `model<i+1>` unless it says `name`).
pub(super) fn extract_model(
    i: usize,
    node: &Node,
    panel: &PanelSpec,
    panels: &std::collections::BTreeMap<String, PanelSpec>,
    diags: &mut Diagnostics,
) -> Option<Model> {
    let s = Section::of(&format!("models[{i}]"), node, diags)?;
    s.check_keys(keys::MODEL, diags);
    let name = s.string_or("name", &format!("model{}", i + 1), diags);
    let s = Section {
        name: format!("models.{}", name.value),
        ..s
    };
    let dependent = s.required_string("dependent", "\"gvcp\"", diags);
    let list = |key: &str, diags: &mut Diagnostics| {
        s.strings(key, diags).map(|a| a.value).unwrap_or_default()
    };
    let regressors = list("regressors", diags);
    // A `regressors` of the wrong type has its own message; "has no regressors" would mislead.
    let wrong_type = s
        .node("regressors")
        .is_some_and(|n| !matches!(n.value, Value::Array(_) | Value::Str(_)));
    if regressors.is_empty() && !wrong_type {
        diags.push(
            Diagnostic::at(&s.loc, format!("`{}` has no `regressors`", s.name))
                .with_help("add `regressors = [\"tariff\"]`"),
        );
    }
    let controls = list("controls", diags);
    let controls_mode = s.choice_or("controls_mode", ControlsMode::All, diags);
    let estimators = s
        .choices("estimators", diags)
        .map(|a| a.value)
        .unwrap_or_else(|| vec![At::new(crate::estimate::Estimator::Fe, s.loc.clone())]);
    let vce = s.choice_or("vce", crate::estimate::Vce::Cluster, diags);
    let dk_lags = s.node("dk_lags").and_then(|n| match n.value {
        Value::Int(i) if (0..=i64::from(u32::MAX)).contains(&i) => {
            if vce.value != crate::estimate::Vce::DriscollKraay {
                diags.push(
                    Diagnostic::at(
                        &n.loc,
                        format!("`{}.dk_lags` is set but `vce` is not `dk`", s.name),
                    )
                    .with_help("write `vce = \"dk\"` (Driscoll–Kraay) or remove `dk_lags`"),
                );
            }
            Some(At::new(i as u32, n.loc.clone()))
        }
        ref other => {
            diags.push(
                Diagnostic::at(
                    &n.loc,
                    format!(
                        "`{}.dk_lags` must be a whole number of periods ≥ 0, found {}",
                        s.name,
                        match other {
                            Value::Int(i) => i.to_string(),
                            v => v.type_name().to_string(),
                        }
                    ),
                )
                .with_help("e.g. `dk_lags = 2`; leave it out for ⌊4(T/100)^(2/9)⌋"),
            );
            None
        }
    });
    // An unknown panel name is reported by the validator; the model then reads `[panel]`.
    let on_panel = s.string("panel", diags);
    let unit = on_panel
        .as_ref()
        .and_then(|p| panels.get(&p.value))
        .unwrap_or(panel)
        .unit
        .value;
    Some(Model {
        name,
        dependent,
        regressors,
        controls,
        controls_mode,
        estimators,
        vce,
        dk_lags,
        cluster: s.string("cluster", diags),
        absorb: s.strings("absorb", diags).map(|terms| {
            let parsed = terms
                .value
                .iter()
                .filter_map(|t| match crate::panel::FeTerm::parse(&t.value) {
                    Ok(term) => Some(At::new(term, t.loc.clone())),
                    Err(why) => {
                        diags.push(
                            Diagnostic::at(
                                &t.loc,
                                format!("`{}.absorb`: {why}", s.name),
                            )
                            .with_help("name panel dimensions (`exporter`, `importer`, `sector`, `country`, `year`), interactions with `^`: `absorb = [\"exporter^sector\", \"year\"]`"),
                        );
                        None
                    }
                })
                .collect();
            At::new(parsed, terms.loc)
        }),
        panel: on_panel,
        unit,
        hausman: s.bool_or("hausman", false, diags),
        title: s.string("title", diags).map(|a| a.value),
        loc: node.loc.clone(),
    })
}

/// One `[[robustness]]` entry: its `exclude_years` and `set` overrides, kept as nodes so the
/// variant spec can be built from the document.
pub(super) fn extract_robustness(
    i: usize,
    node: &Node,
    diags: &mut Diagnostics,
) -> Option<Robustness> {
    let s = Section::of(&format!("robustness[{i}]"), node, diags)?;
    s.check_keys(keys::ROBUSTNESS, diags);
    let name = s.required_string("name", "\"excl-2009\"", diags);
    let mut set = Vec::new();
    let mut set_nodes = Vec::new();
    if let Some(set_node) = s.node("set") {
        if let Some(t) = Section::of(&format!("robustness.{}.set", name.value), set_node, diags) {
            for (key, value) in t.table {
                let path: Vec<String> = key.split('.').map(str::to_string).collect();
                set.push((At::new(key.clone(), value.loc.clone()), value.to_json()));
                set_nodes.push((path, value.clone()));
            }
        }
    }
    let exclude_years = s.node("exclude_years").map(|node| {
        let key = format!("robustness.{}.exclude_years", name.value);
        let years: Vec<i32> = year_list(node, &key, diags)
            .into_iter()
            .map(|y| y.value)
            .collect();
        set_nodes.push((vec!["sample".into(), "exclude_years".into()], node.clone()));
        set.push((
            At::new("sample.exclude_years".into(), node.loc.clone()),
            serde_json::json!(years),
        ));
        At::new(years, node.loc.clone())
    });
    if set_nodes.is_empty() {
        diags.push(
            Diagnostic::at(
                &node.loc,
                format!("robustness `{}` changes nothing", name.value),
            )
            .with_help(
                "add `exclude_years = [2009]` or `set = { \"decomposition.iv\" = \"kww_t3\" }`",
            ),
        );
    }
    Some(Robustness {
        label: s.string("label", diags).map(|a| a.value),
        exclude_years,
        set,
        models: s
            .strings("models", diags)
            .map(|a| a.value)
            .unwrap_or_default(),
        beside_baseline: s.bool_or("beside_baseline", false, diags),
        name,
        loc: node.loc.clone(),
        set_nodes,
    })
}
