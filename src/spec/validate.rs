//! Semantic checks that need only the spec (and whether its files exist): sets, years,
//! variables, models, robustness blocks. Every problem is collected with its place.
//! Checks that need to open data files (country codes, indicator codes, reader options) run
//! in the engine's plan.

use std::collections::{BTreeMap, BTreeSet};

use super::diag::{did_you_mean, Diagnostic, Diagnostics, Loc};
use super::types::*;
use crate::choice::Choice;
use crate::decompose::Family;
use crate::estimate::Estimator;
use crate::sources::SourceFormat;

/// Whether the spec document declares `[sources.<name>]` (even if its format was invalid and
/// the source was left out of the typed spec).
fn declared_source(spec: &Spec, name: &str) -> bool {
    spec.root
        .table()
        .and_then(|t| t.get("sources"))
        .and_then(|s| s.table())
        .is_some_and(|s| s.contains_key(name))
}

/// Country sets every spec may include with `@name` without defining them.
pub const BUILTIN_SETS: &[&str] = &["bri34"];

/// Runs every spec-only check.
pub fn validate(spec: &Spec) -> Diagnostics {
    let mut d = Diagnostics::default();
    check_sources(spec, &mut d);
    check_sets(spec, &mut d);
    check_sample(spec, &mut d);
    check_decomposition(spec, &mut d);
    check_variables(spec, &mut d);
    check_models(spec, &mut d);
    check_robustness(spec, &mut d);
    check_report(spec, &mut d);
    d
}

fn check_sources(spec: &Spec, d: &mut Diagnostics) {
    for src in spec.sources.values() {
        let f = src.format.value;
        let synthetic = f.is_synthetic();
        match &src.path {
            None if !synthetic => d.push(
                Diagnostic::at(&src.loc, format!("`sources.{}` needs `path`", src.name))
                    .with_help("add `path = \"data/…\"` (relative to the spec file)"),
            ),
            Some(p) if !p.value.exists() => d.push(
                Diagnostic::at(
                    &p.loc,
                    format!(
                        "`sources.{}.path`: {} does not exist ({})",
                        src.name,
                        p.value.display(),
                        expected_input(f, src.files.as_ref().map(|a| a.value.as_str()))
                    ),
                )
                .with_help(format!(
                    "{}; put it at {} (the path is relative to the spec file that names it)",
                    src.download
                        .clone()
                        .unwrap_or_else(|| default_download(f).to_string()),
                    absolute(&p.value).display()
                )),
            ),
            _ => {}
        }
    }
}

/// What a source of format `format` expects at its path, in words.
fn expected_input(format: SourceFormat, files: Option<&str>) -> String {
    let what = format.facts().expects;
    match files {
        Some(pattern) => format!("{what}, named like `{pattern}`"),
        None => what.to_string(),
    }
}

/// Where data of a format usually come from, when the spec gives no `download` hint.
fn default_download(format: SourceFormat) -> &'static str {
    format.facts().download
}

/// The path made absolute against the working folder, so the message says where exactly.
fn absolute(p: &std::path::Path) -> std::path::PathBuf {
    let abs = std::env::current_dir().map_or_else(|_| p.to_path_buf(), |cwd| cwd.join(p));
    // Lexically drop `.` and `dir/..` so the path reads as a place.
    let mut out = std::path::PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Expands a set (or a sample list) to its country codes in order, following `@` includes.
/// Errors (unknown set, circular include) are pushed with the place of the offending member.
pub fn expand_members(
    members: &[At<String>],
    sets: &BTreeMap<String, At<Vec<At<String>>>>,
    builtin: &dyn Fn(&str) -> Option<Vec<String>>,
    d: &mut Diagnostics,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = Vec::new();
    expand_into(members, sets, builtin, &mut stack, &mut out, d);
    let mut seen = BTreeSet::new();
    out.retain(|c| seen.insert(c.clone()));
    out
}

fn expand_into(
    members: &[At<String>],
    sets: &BTreeMap<String, At<Vec<At<String>>>>,
    builtin: &dyn Fn(&str) -> Option<Vec<String>>,
    stack: &mut Vec<String>,
    out: &mut Vec<String>,
    d: &mut Diagnostics,
) {
    for m in members {
        let Some(name) = m.value.strip_prefix('@') else {
            out.push(m.value.clone());
            continue;
        };
        if stack.iter().any(|s| s == name) {
            let mut cycle = stack.clone();
            cycle.push(name.to_string());
            d.push(
                Diagnostic::at(
                    &m.loc,
                    format!("circular set include: @{}", cycle.join(" -> @")),
                )
                .with_help("a set cannot include itself, directly or through other sets"),
            );
            continue;
        }
        if let Some(set) = sets.get(name) {
            stack.push(name.to_string());
            expand_into(&set.value, sets, builtin, stack, out, d);
            stack.pop();
        } else if let Some(codes) = builtin(name) {
            out.extend(codes);
        } else {
            let mut names: Vec<&str> = sets.keys().map(String::as_str).collect();
            names.extend(BUILTIN_SETS);
            d.push(
                Diagnostic::at(&m.loc, format!("unknown country set `@{name}`"))
                    .with_help(did_you_mean(name, &names)),
            );
        }
    }
}

/// Built-in sets are resolved by the country registry; here only their names are known, so
/// they expand to a marker that cannot be empty.
fn builtin_marker(name: &str) -> Option<Vec<String>> {
    BUILTIN_SETS
        .contains(&name)
        .then(|| vec![format!("@{name}")])
}

fn check_sets(spec: &Spec, d: &mut Diagnostics) {
    for (name, set) in &spec.countries.sets {
        let codes = expand_members(&set.value, &spec.countries.sets, &builtin_marker, d);
        if codes.is_empty() {
            d.push(
                Diagnostic::at(&set.loc, format!("country set `{name}` is empty")).with_help(
                    "list at least one country code or include another set with `@name`",
                ),
            );
        }
    }
}

/// The sample's country list: a bare set name means `@name`.
pub fn sample_members(spec: &Spec) -> Vec<At<String>> {
    spec.sample
        .countries
        .value
        .iter()
        .map(|m| {
            if !m.value.starts_with('@') && spec.countries.sets.contains_key(&m.value) {
                At::new(format!("@{}", m.value), m.loc.clone())
            } else {
                m.clone()
            }
        })
        .collect()
}

fn check_sample(spec: &Spec, d: &mut Diagnostics) {
    let members = sample_members(spec);
    let codes = expand_members(&members, &spec.countries.sets, &builtin_marker, d);
    if codes.is_empty() && !spec.sample.countries.value.is_empty() {
        d.push(Diagnostic::at(
            &spec.sample.countries.loc,
            "the sample has no countries",
        ));
    }
    let (first, last) = spec.sample.years.value;
    if first > last {
        d.push(
            Diagnostic::at(
                &spec.sample.years.loc,
                format!("`sample.years` is inverted: {first} comes after {last}"),
            )
            .with_help(format!("write `years = [{last}, {first}]`")),
        );
    } else {
        for y in &spec.sample.exclude_years.value {
            if *y < first || *y > last {
                d.push(
                    Diagnostic::at(
                        &spec.sample.exclude_years.loc,
                        format!("excluded year {y} is outside the sample years {first}–{last}"),
                    )
                    .with_help("remove it, or widen `sample.years`"),
                );
            }
        }
        if first <= last && (first..=last).all(|y| spec.sample.exclude_years.value.contains(&y)) {
            d.push(Diagnostic::at(
                &spec.sample.exclude_years.loc,
                "every sample year is excluded",
            ));
        }
    }
}

fn check_decomposition(spec: &Spec, d: &mut Diagnostics) {
    let uses_decomposition = spec
        .variables
        .values()
        .any(|v| v.from.value.starts_with("decomposition."));
    let src = &spec.decomposition.source;
    if !uses_decomposition && spec.decomposition.measures.value.is_empty() {
        return;
    }
    match spec.sources.get(&src.value) {
        // A source whose format was invalid is left out of the spec; it was reported.
        None if declared_source(spec, &src.value) => {}
        None => {
            let names: Vec<&str> = spec.sources.keys().map(String::as_str).collect();
            d.push(
                Diagnostic::at(
                    &src.loc,
                    format!(
                        "decomposition source `{}` is not defined in `[sources]`",
                        src.value
                    ),
                )
                .with_help(if names.is_empty() {
                    format!(
                        "add `[sources.{}]` with `format = \"synthetic\"` or a table format",
                        src.value
                    )
                } else {
                    did_you_mean(&src.value, &names)
                }),
            );
        }
        Some(s) if s.format.value.tables().is_none() => {
            let tables: Vec<&str> = SourceFormat::table_formats()
                .into_iter()
                .map(Choice::name)
                .collect();
            d.push(
                Diagnostic::at(
                    &s.format.loc,
                    format!(
                        "`sources.{}` feeds the decomposition but `{}` is not an input-output table format",
                        s.name,
                        s.format.value.name()
                    ),
                )
                .with_help(format!("use one of {}", super::diag::quote_list(&tables))),
            );
        }
        _ => {}
    }
}

/// Strips Stata time-series operators (`L.`, `L2.`, `F.`, `D.`, `LD.`) from a model term.
pub fn base_variable(term: &str) -> &str {
    match term.split_once('.') {
        Some((op, rest))
            if !op.is_empty()
                && op.chars().next().is_some_and(|c| "LFD".contains(c))
                && op.chars().all(|c| "LFD".contains(c) || c.is_ascii_digit()) =>
        {
            rest
        }
        _ => term,
    }
}

fn check_variables(spec: &Spec, d: &mut Diagnostics) {
    for v in spec.variables.values() {
        let from = &v.from.value;
        if from.is_empty() {
            continue;
        }
        if let Some(rest) = from.strip_prefix("decomposition.") {
            let family = rest.split('.').next().unwrap_or("");
            if !spec
                .decomposition
                .measures
                .iter()
                .any(|m| m.value.name() == family)
            {
                d.push(
                    Diagnostic::at(
                        &v.from.loc,
                        format!(
                            "variable `{}` reads `{from}` but `{family}` is not in `decomposition.measures`",
                            v.name
                        ),
                    )
                    .with_help(if Family::from_name(family).is_some() {
                        format!("add \"{family}\" to `decomposition.measures`")
                    } else {
                        format!("measure families: {}", super::diag::quote_list(&Family::names()))
                    }),
                );
            }
            continue;
        }
        if spec.variables.contains_key(from) {
            if from == &v.name {
                d.push(Diagnostic::at(
                    &v.from.loc,
                    format!("variable `{}` is defined from itself", v.name),
                ));
            }
            continue;
        }
        let source = from.split('.').next().unwrap_or("");
        if !spec.sources.contains_key(source) || !from.contains('.') {
            let mut names: Vec<String> = spec.sources.keys().map(|s| format!("{s}.")).collect();
            names.push("decomposition.".into());
            names.extend(spec.variables.keys().cloned());
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            d.push(
                Diagnostic::at(
                    &v.from.loc,
                    format!("variable `{}`: `{from}` names no source, decomposition measure or variable", v.name),
                )
                .with_help(format!(
                    "write `<source>.<column>` with a source of `[sources]`; {}",
                    did_you_mean(source, &refs)
                )),
            );
        }
    }
    check_variable_cycles(spec, d);
}

fn check_variable_cycles(spec: &Spec, d: &mut Diagnostics) {
    for start in spec.variables.values() {
        let mut seen = vec![start.name.as_str()];
        let mut cur = start;
        while let Some(next) = spec.variables.get(&cur.from.value) {
            if next.name == start.name {
                d.push(Diagnostic::at(
                    &start.from.loc,
                    format!(
                        "variables are defined in a circle: {} -> {}",
                        seen.join(" -> "),
                        start.name
                    ),
                ));
                break;
            }
            if seen.contains(&next.name.as_str()) {
                break;
            }
            seen.push(&next.name);
            cur = next;
        }
    }
}

fn check_term(spec: &Spec, model: &Model, term: &At<String>, role: &str, d: &mut Diagnostics) {
    let base = base_variable(&term.value);
    if base.is_empty() || spec.variables.contains_key(base) {
        return;
    }
    let names: Vec<&str> = spec.variables.keys().map(String::as_str).collect();
    d.push(
        Diagnostic::at(
            &term.loc,
            format!(
                "model `{}` uses undefined variable `{base}` as {role}",
                model.name.value
            ),
        )
        .with_help(format!(
            "define it under `[variables]`; {}",
            did_you_mean(base, &names)
        )),
    );
}

fn check_models(spec: &Spec, d: &mut Diagnostics) {
    let mut names: BTreeMap<&str, &Loc> = BTreeMap::new();
    for m in &spec.models {
        if let Some(first) = names.insert(&m.name.value, &m.name.loc) {
            d.push(
                Diagnostic::at(
                    &m.name.loc,
                    format!("model name `{}` is used twice", m.name.value),
                )
                .with_help(format!("the first is at {first}; names must be unique")),
            );
        }
        check_term(spec, m, &m.dependent, "dependent variable", d);
        for r in &m.regressors {
            check_term(spec, m, r, "regressor", d);
        }
        for c in &m.controls {
            check_term(spec, m, c, "control", d);
        }
        if let Some(c) = &m.cluster {
            let is_panel = c.value == "country" || c.value == "panel";
            if !is_panel {
                check_term(spec, m, c, "cluster variable", d);
            }
        }
        if m.hausman {
            let has = |e: Estimator| m.estimators.iter().any(|x| x.value == e);
            if !(has(Estimator::Fe) && has(Estimator::Re)) {
                d.push(
                    Diagnostic::at(
                        &m.loc,
                        format!(
                            "model `{}` asks for a Hausman test without both `fe` and `re`",
                            m.name.value
                        ),
                    )
                    .with_help("add \"fe\" and \"re\" to `estimators`, or set `hausman = false`"),
                );
            }
        }
    }
}

fn check_robustness(spec: &Spec, d: &mut Diagnostics) {
    let mut seen = BTreeSet::new();
    let model_names: Vec<&str> = spec.models.iter().map(|m| m.name.value.as_str()).collect();
    for r in &spec.robustness {
        if !seen.insert(r.name.value.clone()) {
            d.push(Diagnostic::at(
                &r.name.loc,
                format!("robustness name `{}` is used twice", r.name.value),
            ));
        }
        for m in &r.models {
            if !model_names.contains(&m.value.as_str()) {
                d.push(
                    Diagnostic::at(
                        &m.loc,
                        format!(
                            "robustness `{}` names unknown model `{}`",
                            r.name.value, m.value
                        ),
                    )
                    .with_help(did_you_mean(&m.value, &model_names)),
                );
            }
        }
        for (key, _) in &r.set {
            let top = key.value.split('.').next().unwrap_or("");
            if ![
                "sample",
                "decomposition",
                "models",
                "variables",
                "sources",
                "countries",
            ]
            .contains(&top)
            {
                d.push(
                    Diagnostic::at(&key.loc, format!("robustness `{}` cannot override `{}`", r.name.value, key.value))
                        .with_help("a robustness block may change `sample`, `decomposition`, `models`, `variables`, `sources` or `countries` keys"),
                );
            }
        }
    }
}

fn check_report(spec: &Spec, d: &mut Diagnostics) {
    if let Some(t) = &spec.report.templates {
        if !t.value.is_dir() {
            d.push(
                Diagnostic::at(
                    &t.loc,
                    format!("template folder {} does not exist", t.value.display()),
                )
                .with_help("create it (`gvc init` writes one) or remove `report.templates`"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::base_variable;

    #[test]
    fn operators_are_stripped() {
        assert_eq!(base_variable("L.tariff"), "tariff");
        assert_eq!(base_variable("L2.tariff"), "tariff");
        assert_eq!(base_variable("LD.x"), "x");
        assert_eq!(base_variable("tariff"), "tariff");
        assert_eq!(base_variable("wdi.NY"), "wdi.NY");
    }
}
