//! Semantic checks that need only the spec (and whether its files exist): sets, years,
//! variables, models, robustness blocks. Every problem is collected with its place.
//! Checks that need to open data files (country codes, indicator codes, reader options) run
//! in the engine's plan.

use std::collections::{BTreeMap, BTreeSet};

use super::diag::{did_you_mean, Diagnostic, Diagnostics, Loc};
use super::types::*;

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
    let formats: Vec<&str> = allowed::MRIO_FORMATS
        .iter()
        .chain(allowed::COVARIATE_FORMATS)
        .copied()
        .collect();
    for src in spec.sources.values() {
        let f = src.format.value.as_str();
        if f.is_empty() {
            continue; // already reported as missing
        }
        if !formats.contains(&f) {
            d.push(
                Diagnostic::at(
                    &src.format.loc,
                    format!("unknown format `{f}` for `sources.{}`", src.name),
                )
                .with_help(did_you_mean(f, &formats)),
            );
            continue;
        }
        let synthetic = f.starts_with("synthetic");
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
fn expected_input(format: &str, files: Option<&str>) -> String {
    let what = match format {
        "adb-xlsx" => "a folder of ADB MRIO Excel workbooks, one per year",
        "icio-csv" => "a folder of OECD ICIO CSV files, one per year",
        "labelled-csv" => "a folder of labelled input-output CSV files, one per year",
        "matrices" => "a folder of Z, Y, VA (and x) CSV matrices per year",
        "wdi-csv" => "a World Bank WDI CSV file or a folder of them",
        "bilateral-csv" => "a bilateral CSV table (reporter, partner, year, value)",
        "wide-csv" => "a CSV table with one column per year",
        "parquet" => "a Parquet table with country and year columns",
        _ => "a CSV table with country and year columns",
    };
    match files {
        Some(pattern) => format!("{what}, named like `{pattern}`"),
        None => what.to_string(),
    }
}

/// Where data of a format usually comes from, when the spec gives no `download` hint.
fn default_download(format: &str) -> &'static str {
    match format {
        "adb-xlsx" => "download the ADB MRIO tables (ADB Data Library, \"Multiregional Input-Output Tables\", one .xlsx per year; data/README.md lists them)",
        "icio-csv" => "download the OECD Inter-Country Input-Output tables (oe.cd/icio, the CSV edition)",
        "labelled-csv" => "export the tables as labelled CSV (docs/formats.md describes the layout)",
        "wdi-csv" => "download the indicators from the World Bank WDI (per-indicator CSV from data.worldbank.org, or the bulk WDICSV.csv)",
        "bilateral-csv" => "assemble the bilateral table (UNCTAD bilateral FDI statistics, the IMF CDIS, or a national bulletin; docs/formats.md describes the columns)",
        _ => "see docs/formats.md for the layout this format reads",
    }
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
        Some(s)
            if !allowed::MRIO_FORMATS.contains(&s.format.value.as_str())
                && !s.format.value.is_empty() =>
        {
            d.push(
                Diagnostic::at(
                    &s.format.loc,
                    format!(
                        "`sources.{}` feeds the decomposition but `{}` is not an input-output table format",
                        s.name, s.format.value
                    ),
                )
                .with_help(format!("use one of {}", super::diag::quote_list(allowed::MRIO_FORMATS))),
            );
        }
        _ => {}
    }
}

/// Strips Stata time-series operators (`L.`, `L2.`, `F.`, `D.`, `LD.`, `S4.`, any case) from a
/// model term, with the estimator's own parser ([`crate::estimate::operators`]).
pub fn base_variable(term: &str) -> &str {
    crate::estimate::operators::split_term(term).map_or(term, |(_, base)| base)
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
                .any(|m| m.value == family)
            {
                d.push(
                    Diagnostic::at(
                        &v.from.loc,
                        format!(
                            "variable `{}` reads `{from}` but `{family}` is not in `decomposition.measures`",
                            v.name
                        ),
                    )
                    .with_help(if allowed::MEASURES.contains(&family) {
                        format!("add \"{family}\" to `decomposition.measures`")
                    } else {
                        format!("measure families: {}", super::diag::quote_list(allowed::MEASURES))
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
            let has = |e: &str| m.estimators.iter().any(|x| x.value == e);
            if !(has("fe") && has("re")) {
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
        // What the estimator accepts, the validator accepts (issue #14: it missed these).
        assert_eq!(base_variable("l.tariff"), "tariff");
        assert_eq!(base_variable("S4.x"), "x");
        assert_eq!(base_variable("F2D.x"), "x");
    }
}
