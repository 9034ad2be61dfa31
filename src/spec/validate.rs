//! Semantic checks that need only the spec (and whether its files exist): sets, years,
//! variables, models, robustness blocks. Every problem is collected with its place.
//! Checks that need to open data files (country codes, indicator codes, reader options) run
//! in the engine's plan.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::diag::{did_you_mean, Diagnostic, Diagnostics, Loc};
use super::load::{absolute, path_base};
use super::names;
use super::types::*;
use crate::choice::Choice;
use crate::decompose::{Family, FAMILY_NAMES};
use crate::sources::SourceFormat;

mod cycles;
mod models;
use cycles::check_variable_cycles;
use models::check_models;

pub mod panel;

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
    panel::check_panel(spec, &mut d);
    check_names(spec, &mut d);
    check_models(spec, &mut d);
    check_robustness(spec, &mut d);
    check_report(spec, &mut d);
    d
}

fn check_sources(spec: &Spec, d: &mut Diagnostics) {
    for src in spec.sources.values() {
        let f = src.format.value;
        let synthetic = f.is_synthetic();
        if let Some(l) = src.licence.as_ref().filter(|l| l.value.trim().is_empty()) {
            d.push(Diagnostic::at(&l.loc, format!("`sources.{}.licence` is empty", src.name))
                .with_help("write the data's licence identifier (e.g. \"CC-BY-4.0\"; docs/replication.md lists those that allow redistribution), or leave the key out"));
        }
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
                    "{}; put it at {} (a relative path is resolved against {}: {}){}",
                    src.download
                        .clone()
                        .unwrap_or_else(|| default_download(f).to_string()),
                    absolute(&p.value).display(),
                    path_base(&p.loc).1,
                    absolute(&path_base(&p.loc).0).display(),
                    tilde_note(&p.value)
                )),
            ),
            _ => {}
        }
    }
}

/// A note for a path with a `~` folder: shells expand `~` to the home folder, a spec does not.
fn tilde_note(path: &Path) -> &'static str {
    if path.components().any(|c| c.as_os_str() == "~") {
        "; `~` is not expanded in a spec: write the full path, or `${HOME}/…`"
    } else {
        ""
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

/// Expands a set (or a sample list) to its country codes in order, following `@` includes.
/// Errors (unknown set, circular include) are pushed with the place of the offending member.
pub fn expand_members(
    members: &[At<String>],
    sets: &BTreeMap<String, At<Vec<At<String>>>>,
    builtin: &dyn Fn(&str) -> Option<Vec<String>>,
    d: &mut Diagnostics,
) -> Vec<String> {
    expand_set_members(members, sets, builtin, "country", d)
}

/// [`expand_members`] for sets of `what` (`country`, `sector`), named in messages.
pub fn expand_set_members(
    members: &[At<String>],
    sets: &BTreeMap<String, At<Vec<At<String>>>>,
    builtin: &dyn Fn(&str) -> Option<Vec<String>>,
    what: &str,
    d: &mut Diagnostics,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = Vec::new();
    expand_into(members, sets, builtin, what, &mut stack, &mut out, d);
    let mut seen = BTreeSet::new();
    out.retain(|c| seen.insert(c.clone()));
    out
}

fn expand_into(
    members: &[At<String>],
    sets: &BTreeMap<String, At<Vec<At<String>>>>,
    builtin: &dyn Fn(&str) -> Option<Vec<String>>,
    what: &str,
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
            expand_into(&set.value, sets, builtin, what, stack, out, d);
            stack.pop();
        } else if let Some(codes) = builtin(name) {
            out.extend(codes);
        } else {
            let mut names: Vec<&str> = sets.keys().map(String::as_str).collect();
            if what == "country" {
                names.extend(BUILTIN_SETS);
            }
            d.push(
                Diagnostic::at(&m.loc, format!("unknown {what} set `@{name}`"))
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

/// Whether the spec document writes `sample.countries` (a missing key is reported where the
/// sample is read; an empty list written out is an empty sample).
fn sample_countries_written(spec: &Spec) -> bool {
    spec.root
        .table()
        .and_then(|t| t.get("sample"))
        .and_then(|s| s.table())
        .is_some_and(|s| s.contains_key("countries"))
}

fn check_sample(spec: &Spec, d: &mut Diagnostics) {
    let members = sample_members(spec);
    let codes = expand_members(&members, &spec.countries.sets, &builtin_marker, d);
    if codes.is_empty()
        && (!spec.sample.countries.value.is_empty() || sample_countries_written(spec))
    {
        d.push(
            Diagnostic::at(&spec.sample.countries.loc, "the sample has no countries")
                .with_help("list country codes, or name a `[countries]` set that has members"),
        );
    }
    // Years are checked where they are read (load.rs): range, shape, order, exclusions.
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
            check_measure(spec, v, rest, d);
            continue;
        }
        let from = match from.strip_prefix(panel::IMPORTER_PREFIX) {
            Some(rest) if !spec.sources.contains_key("importer") => {
                panel::check_importer_prefix(spec, v, d);
                rest
            }
            _ => from,
        };
        if spec.variables.contains_key(from) {
            if from == v.name {
                d.push(
                    Diagnostic::at(
                        &v.from.loc,
                        format!("variable `{}` is defined from itself", v.name),
                    )
                    .with_help("`from` names a source column (`<source>.<column>`), a decomposition measure or another variable"),
                );
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
    check_transforms(spec, d);
    check_variable_cycles(spec, d);
}

/// Each transform's parameters ([`crate::panel::Transform::validate`]) and the variables or
/// series its operands name (`ratio`, `interaction`, `lp_spillover`), so `gvc check` finds what
/// the panel stage would fail on, at the `transform` key.
fn check_transforms(spec: &Spec, d: &mut Diagnostics) {
    let mut known: Vec<String> = spec.variables.keys().cloned().collect();
    known.extend(spec.sources.keys().map(|s| format!("{s}.")));
    let refs: Vec<&str> = known.iter().map(String::as_str).collect();
    for v in spec.variables.values() {
        for t in &v.transforms.value {
            if let Err(why) = t.validate() {
                d.push(
                    Diagnostic::at(
                        &v.transforms.loc,
                        format!("variable `{}`: invalid transform `{t}`: {why}", v.name),
                    )
                    .with_help(crate::panel::transforms::transform_help()),
                );
            }
            let mut operands = t.operands();
            if let crate::panel::Transform::LpSpillover(s) = t {
                operands.push(s.ofdi.as_str());
            }
            for op in operands {
                if operand_is_known(spec, op) {
                    continue;
                }
                d.push(
                    Diagnostic::at(
                        &v.transforms.loc,
                        format!(
                            "variable `{}`: `{t}` refers to `{op}`, which is no variable and no `<source>.<column>` of `[sources]`",
                            v.name
                        ),
                    )
                    .with_help(format!(
                        "name a variable of `[variables]` or a source column; {}",
                        did_you_mean(op, &refs)
                    )),
                );
            }
        }
    }
}

/// Whether a transform operand names a variable, a decomposition measure or a column of a
/// declared source (the column itself is checked against the data when the plan is made).
fn operand_is_known(spec: &Spec, op: &str) -> bool {
    let op = match op.strip_prefix(panel::IMPORTER_PREFIX) {
        Some(rest) if spec.all_panels().iter().any(|p| p.unit().has_importer()) => rest,
        _ => op,
    };
    if spec.variables.contains_key(op) || op.starts_with("decomposition.") {
        return true;
    }
    op.split_once('.').is_some_and(|(source, _)| {
        spec.sources.contains_key(source) || declared_source(spec, source)
    })
}

/// A variable reading `decomposition.<family>.<measure>`: the family must be computed
/// (`decomposition.measures`) and must compute that measure at some level. Both lists come
/// from the family table ([`crate::decompose::FAMILIES`]).
fn check_measure(spec: &Spec, v: &Variable, measure: &str, d: &mut Diagnostics) {
    let name = measure.split('.').next().unwrap_or("");
    let computed = spec
        .decomposition
        .measures
        .iter()
        .any(|m| m.value.name() == name);
    let family = Family::parse(name);
    if !computed {
        d.push(
            Diagnostic::at(
                &v.from.loc,
                format!(
                    "variable `{}` reads `{}` but `{name}` is not in `decomposition.measures`",
                    v.name, v.from.value
                ),
            )
            .with_help(match family {
                Some(_) => format!("add \"{name}\" to `decomposition.measures`"),
                None => did_you_mean(name, &FAMILY_NAMES),
            }),
        );
        return;
    }
    let Some(family) = family else {
        return; // an unknown family in `decomposition.measures` is reported there
    };
    let names = family.info().all_measures();
    if !names.contains(&measure) {
        d.push(
            Diagnostic::at(
                &v.from.loc,
                format!(
                    "variable `{}`: `{}` computes no measure `{measure}`",
                    v.name,
                    family.name()
                ),
            )
            .with_help(did_you_mean(measure, &names)),
        );
        return;
    }
    panel::check_measure_at_unit(spec, v, family, measure, d);
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

/// Model and robustness names become file names: each must be portable ([`names`]), and
/// no two may name the same file on a case-insensitive file system.
fn check_names(spec: &Spec, d: &mut Diagnostics) {
    for m in &spec.models {
        check_file_name(&m.name, "model", d);
    }
    for r in &spec.robustness {
        // A missing `name` was reported where it was read; it is not also an empty one.
        if !(r.name.value.is_empty() && r.name.loc == r.loc) {
            check_file_name(&r.name, "robustness", d);
        }
    }
    check_unique(spec.models.iter().map(|m| &m.name), "model", d);
    check_unique(spec.robustness.iter().map(|r| &r.name), "robustness", d);
    check_table_names(spec, d);
}

fn check_file_name(name: &At<String>, what: &str, d: &mut Diagnostics) {
    if let Some(problem) = names::file_name_problem(&name.value) {
        d.push(
            Diagnostic::at(
                &name.loc,
                format!(
                    "{what} name `{}` {problem}; it names files, so it must be a file name on every system",
                    name.value.escape_debug()
                ),
            )
            .with_help(names::file_name_help(&name.value)),
        );
    }
}

/// Two names equal up to letter case are one file on macOS and Windows.
fn check_unique<'a>(all: impl Iterator<Item = &'a At<String>>, what: &str, d: &mut Diagnostics) {
    let mut seen: BTreeMap<String, &At<String>> = BTreeMap::new();
    for name in all.filter(|n| !n.value.is_empty()) {
        match seen.get(&names::fold_case(&name.value)) {
            Some(first) if first.value == name.value => d.push(
                Diagnostic::at(&name.loc, format!("{what} name `{}` is used twice", name.value))
                    .with_help(format!("the first is at {}; names must be unique", first.loc)),
            ),
            Some(first) => d.push(
                Diagnostic::at(
                    &name.loc,
                    format!(
                        "{what} names `{}` and `{}` differ only in letter case, so they name the same files on macOS and Windows",
                        first.value, name.value
                    ),
                )
                .with_help(format!("the first is at {}; rename one of them", first.loc)),
            ),
            None => {
                seen.insert(names::fold_case(&name.value), name);
            }
        }
    }
}

/// Each model writes `tables/<model>` and, under each robustness block that re-runs it,
/// `tables/<model>_<variant>`: no such name may be another one's (up to case) or one of the
/// report's own tables (`descriptives`, `missing`, `gvc_indicators`, `<variable>_by_year`).
fn check_table_names(spec: &Spec, d: &mut Diagnostics) {
    // Names that are no file names were reported already.
    let portable = |n: &At<String>| names::file_name_problem(&n.value).is_none();
    // Folded table name -> who writes it.
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    let mut models: Vec<&Model> = Vec::new();
    for m in spec.models.iter().filter(|m| portable(&m.name)) {
        let owner = format!("model `{}`", m.name.value);
        check_not_reserved(&m.name.value, &owner, &m.name.loc, d);
        // Models clashing with each other were reported by `check_unique`; their variants
        // would only repeat that.
        if let std::collections::btree_map::Entry::Vacant(e) =
            owners.entry(names::fold_case(&m.name.value))
        {
            e.insert(owner);
            models.push(m);
        }
    }
    // Blocks whose names clash with each other were reported by `check_unique` too.
    let mut variants = BTreeSet::new();
    let blocks = spec
        .robustness
        .iter()
        .filter(|r| portable(&r.name) && variants.insert(names::fold_case(&r.name.value)));
    for r in blocks {
        let reruns =
            |m: &Model| r.models.is_empty() || r.models.iter().any(|x| x.value == m.name.value);
        for m in models.iter().filter(|m| reruns(m)) {
            let table = format!("{}_{}", m.name.value, r.name.value);
            let owner = format!(
                "robustness `{}` (for model `{}`)",
                r.name.value, m.name.value
            );
            check_not_reserved(&table, &owner, &r.name.loc, d);
            match owners.get(&names::fold_case(&table)) {
                Some(other) => d.push(
                    Diagnostic::at(
                        &r.name.loc,
                        format!("{owner} and {other} both write `tables/{table}.md`"),
                    )
                    .with_help("rename one of them"),
                ),
                None => {
                    owners.insert(names::fold_case(&table), owner);
                }
            }
        }
    }
}

/// Tables the report writes under `tables/` whatever the models are called.
const REPORT_TABLES: &[&str] = &["descriptives", "missing", "gvc_indicators"];

fn check_not_reserved(table: &str, owner: &str, loc: &Loc, d: &mut Diagnostics) {
    let key = names::fold_case(table);
    if REPORT_TABLES.contains(&key.as_str()) || key.ends_with("_by_year") {
        d.push(
            Diagnostic::at(
                loc,
                format!(
                    "{owner} writes `tables/{table}.md`, a name the report uses for its own tables"
                ),
            )
            .with_help(format!(
                "rename it: the report writes {} and `<variable>_by_year`",
                super::diag::quote_list(REPORT_TABLES)
            )),
        );
    }
}

fn check_robustness(spec: &Spec, d: &mut Diagnostics) {
    let model_names: Vec<&str> = spec.models.iter().map(|m| m.name.value.as_str()).collect();
    for r in &spec.robustness {
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
    match &spec.report.templates {
        Some(t) => check_named_templates(spec, t, d),
        None => check_default_templates(spec, d),
    }
}

/// The study folder: the folder of the spec given to gvc, resolved (links followed).
fn study_folder(spec: &Spec) -> PathBuf {
    let dir = if spec.dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        spec.dir.as_path()
    };
    dir.canonicalize().unwrap_or_else(|_| absolute(dir))
}

/// `[report] templates` must exist; outside the study folder it is used only when the spec
/// itself (or the command line) names it, not when it comes from an `extends` parent.
fn check_named_templates(spec: &Spec, t: &At<PathBuf>, d: &mut Diagnostics) {
    if t.value.exists() && !t.value.is_dir() {
        d.push(
            Diagnostic::at(
                &t.loc,
                format!(
                    "`report.templates` names {}, a file; it must be a folder of `.tera` templates",
                    absolute(&t.value).display()
                ),
            )
            .with_help("name the folder that holds the templates (`gvc init` writes one), or remove `report.templates`"),
        );
        return;
    }
    if !t.value.is_dir() {
        d.push(
            Diagnostic::at(
                &t.loc,
                format!("template folder {} does not exist", absolute(&t.value).display()),
            )
            .with_help(format!(
                "create it (`gvc init` writes one) or remove `report.templates`; a relative path is resolved against {}: {}",
                path_base(&t.loc).1,
                absolute(&path_base(&t.loc).0).display()
            )),
        );
        return;
    }
    let named_here = match &t.loc {
        Loc::File { file, .. } => file.as_path() == spec.file,
        Loc::Override(_) => true,
    };
    let resolved = t
        .value
        .canonicalize()
        .unwrap_or_else(|_| absolute(&t.value));
    let study = study_folder(spec);
    if !named_here && !resolved.starts_with(&study) {
        d.push(
            Diagnostic::at(
                &t.loc,
                format!(
                    "`report.templates` resolves to {}, outside the study folder {}",
                    resolved.display(),
                    study.display()
                ),
            )
            .with_help(format!(
                "templates outside the study folder are used only when the spec itself names them: to allow this folder add `templates = {:?}` under `[report]` in {}, or pass `--set report.templates={}`",
                resolved.display().to_string(),
                spec.file.display(),
                resolved.display()
            )),
        );
    }
}

/// The default `templates/` beside the spec is used only when it lies inside the study
/// folder (a link elsewhere must be named in `[report] templates`).
fn check_default_templates(spec: &Spec, d: &mut Diagnostics) {
    let default = spec.dir.join("templates");
    if !default.is_dir() {
        return;
    }
    let study = study_folder(spec);
    let Ok(resolved) = default.canonicalize() else {
        return;
    };
    if !resolved.starts_with(&study) {
        let top = Loc::File {
            file: std::sync::Arc::new(spec.file.clone()),
            line: 1,
            column: 1,
        };
        d.push(
            Diagnostic::at(
                &top,
                format!(
                    "the default template folder {} resolves to {}, outside the study folder {}",
                    default.display(),
                    resolved.display(),
                    study.display()
                ),
            )
            .with_help(
                "to use it, name it under `[report]`: `templates = \"templates\"`; otherwise remove the link",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::base_variable;

    /// A spec file in a fresh temp folder, loaded and validated (no data read).
    fn load(tag: &str, text: &str) -> Result<crate::spec::Spec, crate::spec::Diagnostics> {
        let dir = std::env::temp_dir().join(format!("gvc-validate-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("spec.toml");
        std::fs::write(&file, text).unwrap();
        let loaded = crate::spec::load_spec(&file, &[]);
        let _ = std::fs::remove_dir_all(&dir);
        loaded
    }

    const BASE: &str = "[study]\ntitle = \"t\"\n[sources.mrio]\nformat = \"synthetic\"\ncountries = [\"AAA\", \"BBB\"]\n[sample]\ncountries = [\"AAA\", \"BBB\"]\nyears = [2010, 2011]\n[decomposition]\nmeasures = [\"kpww\"]\n";

    #[test]
    fn decomposition_measures_come_from_the_family_table() {
        assert!(load(
            "measures-ok",
            &format!("{BASE}[variables]\na = \"decomposition.kpww.position\"\n")
        )
        .is_ok());
        let err = load(
            "measures-bad",
            &format!("{BASE}[variables]\na = \"decomposition.kpww.participaton\"\nb = \"decomposition.kpwx.position\"\n"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("spec.toml:12:1: error: variable `a`: `kpww` computes no measure `kpww.participaton`")
                && err.contains("did you mean `kpww.participation`?"),
            "{err}"
        );
        assert!(
            err.contains("spec.toml:13:1: error: variable `b` reads `decomposition.kpwx.position` but `kpwx` is not in `decomposition.measures`")
                && err.contains("did you mean one of `kpww`, `kww`?"),
            "{err}"
        );
    }

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
