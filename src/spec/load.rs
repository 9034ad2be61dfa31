//! Loading a spec: read the `extends` chain, merge it, apply `--set` overrides, and extract the
//! typed [`Spec`], collecting every problem with its place instead of stopping at the first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::diag::{did_you_mean, Diagnostic, Diagnostics, Loc};
use super::node::{apply_override, merge, parse_override, parse_toml, Node, Value};
use super::types::*;
use crate::choice::Choice;

/// Reads, merges and type-checks a spec with its overrides (`dotted.key=value`).
/// Semantic checks that need no data files run too ([`super::validate`]).
pub fn load_spec(file: &Path, overrides: &[String]) -> Result<Spec, Diagnostics> {
    let (mut root, chain) = load_chain(file)?;
    let mut diags = Diagnostics::default();
    for text in overrides {
        match parse_override(text).and_then(|(path, node)| apply_override(&mut root, &path, node)) {
            Ok(()) => {}
            Err(d) => diags.push(d),
        }
    }
    let spec = extract(root, file, chain, &mut diags);
    diags.extend(super::validate::validate(&spec));
    diags.into_result()?;
    Ok(spec)
}

/// Reads a spec and its `extends` ancestors; returns the merged tree (child over parent) and
/// the chain of files, the spec itself first. Cycles and missing parents are located errors.
pub fn load_chain(file: &Path) -> Result<(Node, Vec<PathBuf>), Diagnostics> {
    let mut chain: Vec<PathBuf> = Vec::new();
    let mut docs: Vec<Node> = Vec::new();
    let mut current = file.to_path_buf();
    let mut from: Option<Loc> = None;
    loop {
        let canonical = current.canonicalize().unwrap_or_else(|_| current.clone());
        if chain
            .iter()
            .any(|c| c.canonicalize().ok().as_ref() == Some(&canonical))
        {
            let cycle: Vec<String> = chain
                .iter()
                .chain(std::iter::once(&current))
                .map(|p| p.display().to_string())
                .collect();
            return Err(Diagnostics(vec![Diagnostic::new(
                from,
                format!("circular `extends`: {}", cycle.join(" -> ")),
            )
            .with_help("remove `extends` from one of these specs")]));
        }
        let text = std::fs::read_to_string(&current).map_err(|e| {
            Diagnostics(vec![Diagnostic::new(
                from.clone(),
                format!("cannot read spec {}: {e}", current.display()),
            )
            .with_help(
                "check the path; `extends` is relative to the spec that names it",
            )])
        })?;
        let mut doc = parse_toml(&text, &current).map_err(|d| Diagnostics(vec![d]))?;
        let parent = match &mut doc.value {
            Value::Table(t) => t.remove("extends"),
            _ => None,
        };
        chain.push(current.clone());
        docs.push(doc);
        match parent {
            None => break,
            Some(node) => match node.as_str() {
                Some(rel) => {
                    let base = current.parent().unwrap_or(Path::new("."));
                    current = base.join(rel);
                    from = Some(node.loc.clone());
                }
                None => {
                    return Err(Diagnostics(vec![Diagnostic::at(
                        &node.loc,
                        format!(
                            "`extends` must be a string (a spec path), found {}",
                            node.value.type_name()
                        ),
                    )]))
                }
            },
        }
    }
    let mut merged = docs.pop().expect("chain has at least the spec itself");
    while let Some(child) = docs.pop() {
        merge(&mut merged, child);
    }
    Ok((merged, chain))
}

/// Typed access to one table of the tree; every problem goes to `diags`.
struct Section<'a> {
    name: String,
    table: &'a BTreeMap<String, Node>,
    loc: Loc,
}

impl<'a> Section<'a> {
    fn of(name: &str, node: &'a Node, diags: &mut Diagnostics) -> Option<Self> {
        match &node.value {
            Value::Table(table) => Some(Section {
                name: name.to_string(),
                table,
                loc: node.loc.clone(),
            }),
            other => {
                diags.push(Diagnostic::at(
                    &node.loc,
                    format!("`{name}` must be a table, found {}", other.type_name()),
                ));
                None
            }
        }
    }

    fn check_keys(&self, known: &[&str], diags: &mut Diagnostics) {
        for (key, node) in self.table {
            if !known.contains(&key.as_str()) {
                diags.push(
                    Diagnostic::at(&node.loc, format!("unknown key `{key}` in `{}`", self.name))
                        .with_help(did_you_mean(key, known)),
                );
            }
        }
    }

    fn node(&self, key: &str) -> Option<&'a Node> {
        self.table.get(key)
    }

    fn type_error(&self, node: &Node, key: &str, expected: &str, diags: &mut Diagnostics) {
        diags.push(Diagnostic::at(
            &node.loc,
            format!(
                "`{}.{key}` must be {expected}, found {}",
                self.name,
                node.value.type_name()
            ),
        ));
    }

    fn missing(&self, key: &str, example: &str, diags: &mut Diagnostics) {
        diags.push(
            Diagnostic::at(&self.loc, format!("`{}` needs `{key}`", self.name))
                .with_help(format!("add `{key} = {example}`")),
        );
    }

    fn string(&self, key: &str, diags: &mut Diagnostics) -> Option<At<String>> {
        let node = self.node(key)?;
        match &node.value {
            Value::Str(s) => Some(At::new(s.clone(), node.loc.clone())),
            _ => {
                self.type_error(node, key, "a string", diags);
                None
            }
        }
    }

    fn string_or(&self, key: &str, default: &str, diags: &mut Diagnostics) -> At<String> {
        self.string(key, diags)
            .unwrap_or_else(|| At::new(default.to_string(), self.loc.clone()))
    }

    fn required_string(&self, key: &str, example: &str, diags: &mut Diagnostics) -> At<String> {
        if self.node(key).is_none() {
            self.missing(key, example, diags);
        }
        self.string_or(key, "", diags)
    }

    fn bool_or(&self, key: &str, default: bool, diags: &mut Diagnostics) -> bool {
        match self.node(key) {
            None => default,
            Some(node) => match node.value {
                Value::Bool(b) => b,
                _ => {
                    self.type_error(node, key, "true or false", diags);
                    default
                }
            },
        }
    }

    fn int(&self, key: &str, diags: &mut Diagnostics) -> Option<At<i64>> {
        let node = self.node(key)?;
        match node.value {
            Value::Int(i) => Some(At::new(i, node.loc.clone())),
            _ => {
                self.type_error(node, key, "an integer", diags);
                None
            }
        }
    }

    /// A list of strings; a single string is accepted as a one-element list.
    fn strings(&self, key: &str, diags: &mut Diagnostics) -> Option<At<Vec<At<String>>>> {
        let node = self.node(key)?;
        let items = match &node.value {
            Value::Str(s) => vec![At::new(s.clone(), node.loc.clone())],
            Value::Array(items) => items
                .iter()
                .filter_map(|item| match &item.value {
                    Value::Str(s) => Some(At::new(s.clone(), item.loc.clone())),
                    other => {
                        diags.push(Diagnostic::at(
                            &item.loc,
                            format!(
                                "`{}.{key}` must hold strings, found {}",
                                self.name,
                                other.type_name()
                            ),
                        ));
                        None
                    }
                })
                .collect(),
            _ => {
                self.type_error(node, key, "a list of strings", diags);
                return None;
            }
        };
        Some(At::new(items, node.loc.clone()))
    }

    fn ints(&self, key: &str, diags: &mut Diagnostics) -> Option<At<Vec<i32>>> {
        self.numbers(
            key,
            diags,
            |v| match v {
                Value::Int(i) => i32::try_from(*i).ok(),
                _ => None,
            },
            "integers",
        )
    }

    fn floats(&self, key: &str, diags: &mut Diagnostics) -> Option<At<Vec<f64>>> {
        self.numbers(
            key,
            diags,
            |v| match v {
                Value::Int(i) => Some(*i as f64),
                Value::Float(f) => Some(*f),
                _ => None,
            },
            "numbers",
        )
    }

    fn numbers<T>(
        &self,
        key: &str,
        diags: &mut Diagnostics,
        get: impl Fn(&Value) -> Option<T>,
        what: &str,
    ) -> Option<At<Vec<T>>> {
        let node = self.node(key)?;
        let Value::Array(items) = &node.value else {
            self.type_error(node, key, &format!("a list of {what}"), diags);
            return None;
        };
        let mut out = Vec::new();
        for item in items {
            match get(&item.value) {
                Some(v) => out.push(v),
                None => diags.push(Diagnostic::at(
                    &item.loc,
                    format!(
                        "`{}.{key}` must hold {what}, found {}",
                        self.name,
                        item.value.type_name()
                    ),
                )),
            }
        }
        Some(At::new(out, node.loc.clone()))
    }

    /// `value` as one of `allowed` (a closed choice), or a located error with the allowed
    /// names and the nearest one.
    fn choice_in<T: Choice>(
        &self,
        value: &At<String>,
        key: &str,
        allowed: &[T],
        diags: &mut Diagnostics,
    ) -> Option<At<T>> {
        if let Some(c) = allowed.iter().find(|c| c.name() == value.value) {
            return Some(At::new(*c, value.loc.clone()));
        }
        let names: Vec<&str> = allowed.iter().map(|c| c.name()).collect();
        diags.push(
            Diagnostic::at(
                &value.loc,
                format!("`{}.{key}` cannot be `{}`", self.name, value.value),
            )
            .with_help(did_you_mean(&value.value, &names)),
        );
        None
    }

    /// The choice at `key` (`default` when absent). An unknown name is reported and read as
    /// the default, so later checks run on a well-formed spec (loading fails anyway).
    fn choice_or<T: Choice>(&self, key: &str, default: T, diags: &mut Diagnostics) -> At<T> {
        self.choice_or_in(key, default, T::ALL, diags)
    }

    fn choice_or_in<T: Choice>(
        &self,
        key: &str,
        default: T,
        allowed: &[T],
        diags: &mut Diagnostics,
    ) -> At<T> {
        let raw = self.string_or(key, default.name(), diags);
        let loc = raw.loc.clone();
        self.choice_in(&raw, key, allowed, diags)
            .unwrap_or(At::new(default, loc))
    }

    /// A list of choices at `key` (a single name is a one-element list); unknown names are
    /// reported and left out.
    fn choices<T: Choice>(&self, key: &str, diags: &mut Diagnostics) -> Option<At<Vec<At<T>>>> {
        let raw = self.strings(key, diags)?;
        let items = raw
            .value
            .iter()
            .filter_map(|v| self.choice_in(v, key, T::ALL, diags))
            .collect();
        Some(At::new(items, raw.loc))
    }
}

fn empty_table(loc: &Loc) -> Node {
    Node {
        value: Value::Table(BTreeMap::new()),
        loc: loc.clone(),
    }
}

/// Extracts the typed spec from a merged tree. Problems are pushed to `diags`; the returned
/// spec has defaults where a value was wrong, so later checks can still run.
pub fn extract(root: Node, file: &Path, chain: Vec<PathBuf>, diags: &mut Diagnostics) -> Spec {
    let top_loc = root.loc.clone();
    let empty = empty_table(&top_loc);
    let top = Section::of("spec", &root, diags).unwrap_or(Section {
        name: "spec".into(),
        table: match &empty.value {
            Value::Table(t) => t,
            _ => unreachable!("empty_table builds a table"),
        },
        loc: top_loc.clone(),
    });
    top.check_keys(keys::TOP, diags);
    let section = |key: &str, diags: &mut Diagnostics| -> Option<Section<'_>> {
        top.node(key).and_then(|n| Section::of(key, n, diags))
    };
    let blank = |name: &str| Section {
        name: name.to_string(),
        table: match &empty.value {
            Value::Table(t) => t,
            _ => unreachable!("empty_table builds a table"),
        },
        loc: top_loc.clone(),
    };

    let study_s = section("study", diags).unwrap_or_else(|| {
        diags.push(
            Diagnostic::at(&top_loc, "the spec has no `[study]` section")
                .with_help("add `[study]` with `title = \"…\"`"),
        );
        blank("study")
    });
    study_s.check_keys(keys::STUDY, diags);
    let study = Study {
        title: study_s
            .required_string("title", "\"My study\"", diags)
            .value,
        description: study_s.string("description", diags).map(|a| a.value),
        output: study_s.string("output", diags).map(|a| a.value),
    };

    let sources = extract_sources(top.node("sources"), diags);
    let countries = extract_countries(
        section("countries", diags).unwrap_or_else(|| blank("countries")),
        diags,
    );

    let sample_s = section("sample", diags).unwrap_or_else(|| blank("sample"));
    sample_s.check_keys(keys::SAMPLE, diags);
    let sample = extract_sample(&sample_s, diags);

    let dec_s = section("decomposition", diags).unwrap_or_else(|| blank("decomposition"));
    dec_s.check_keys(keys::DECOMPOSITION, diags);
    let decomposition = Decomposition {
        source: dec_s.string_or("source", "mrio", diags),
        measures: dec_s
            .choices("measures", diags)
            .unwrap_or_else(|| At::new(Vec::new(), dec_s.loc.clone())),
        iv: dec_s.choice_or("iv", crate::decompose::IvDefinition::Dvafx, diags),
        level: dec_s.choice_or_in(
            "level",
            crate::decompose::Level::Country,
            DECOMPOSITION_LEVELS,
            diags,
        ),
        wwz_level: dec_s.choice_or("wwz_level", crate::decompose::wwz::WwzLevel::Country, diags),
    };

    let variables = extract_variables(top.node("variables"), diags);
    let models = extract_array(top.node("models"), "models", diags)
        .into_iter()
        .filter_map(|(i, node)| extract_model(i, node, diags))
        .collect();
    let robustness = extract_array(top.node("robustness"), "robustness", diags)
        .into_iter()
        .filter_map(|(i, node)| extract_robustness(i, node, diags))
        .collect();
    let report_s = section("report", diags).unwrap_or_else(|| blank("report"));
    report_s.check_keys(keys::REPORT, diags);
    let report = extract_report(&report_s, diags);

    let dir = file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "study".into());
    Spec {
        file: file.to_path_buf(),
        dir,
        name,
        chain,
        root,
        study,
        sources,
        countries,
        sample,
        decomposition,
        variables,
        models,
        robustness,
        report,
    }
}

/// Expands `${VAR}` and `${VAR:-default}` from the environment (an unset or empty variable
/// takes the default), so a spec can say `path = "${GVC_DATA:-../data}/wiod"`.
pub fn expand_env(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, d),
            None => (inner, ""),
        };
        match std::env::var(name) {
            Ok(v) if !v.is_empty() => out.push_str(&v),
            _ => out.push_str(default),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Resolves a path written in a spec against the folder of the spec file that wrote it
/// (after expanding `${VAR:-default}`).
pub fn resolve_path(raw: &str, loc: &Loc) -> PathBuf {
    let p = PathBuf::from(expand_env(raw));
    if p.is_absolute() {
        return p;
    }
    match loc.file().and_then(Path::parent) {
        Some(dir) => dir.join(p),
        None => p,
    }
}

fn extract_sources(node: Option<&Node>, diags: &mut Diagnostics) -> BTreeMap<String, Source> {
    let mut out = BTreeMap::new();
    let Some(node) = node else { return out };
    let Some(all) = Section::of("sources", node, diags) else {
        return out;
    };
    for (name, snode) in all.table {
        let label = format!("sources.{name}");
        let Some(s) = Section::of(&label, snode, diags) else {
            continue;
        };
        let raw_format = s.required_string("format", "\"labelled-csv\"", diags);
        // A source without a valid format is reported here and left out of the spec; later
        // checks that name it know it from the document (no second message).
        let format = if raw_format.value.is_empty() {
            None
        } else {
            s.choice_in(
                &raw_format,
                "format",
                crate::sources::SourceFormat::ALL,
                diags,
            )
        };
        let Some(format) = format else { continue };
        let path = s
            .string("path", diags)
            .map(|p| At::new(resolve_path(&p.value, &p.loc), p.loc));
        let files = s.string("files", diags);
        let download = s.string("download", diags).map(|a| a.value);
        let mut options = serde_json::Map::new();
        let mut option_locs = BTreeMap::new();
        for (k, v) in s.table {
            if !keys::SOURCE.contains(&k.as_str()) {
                options.insert(k.clone(), v.to_json());
                option_locs.insert(k.clone(), v.loc.clone());
            }
        }
        out.insert(
            name.clone(),
            Source {
                name: name.clone(),
                format,
                path,
                files,
                download,
                options: serde_json::Value::Object(options),
                option_locs,
                loc: snode.loc.clone(),
            },
        );
    }
    out
}

fn extract_countries(s: Section<'_>, diags: &mut Diagnostics) -> Countries {
    let codes = s.choice_or("codes", crate::sources::countries::CodeSystem::Adb, diags);
    let mut sets = BTreeMap::new();
    for key in s.table.keys() {
        if keys::COUNTRIES.contains(&key.as_str()) {
            continue;
        }
        if let Some(members) = s.strings(key, diags) {
            sets.insert(key.clone(), members);
        }
    }
    Countries { codes, sets }
}

fn extract_sample(s: &Section<'_>, diags: &mut Diagnostics) -> Sample {
    let countries = s.strings("countries", diags).unwrap_or_else(|| {
        s.missing("countries", "\"sample\"  # a set of [countries]", diags);
        At::new(Vec::new(), s.loc.clone())
    });
    let years = match s.ints("years", diags) {
        Some(y) if y.value.len() == 2 => At::new((y.value[0], y.value[1]), y.loc),
        Some(y) => {
            diags.push(
                Diagnostic::at(&y.loc, "`sample.years` must be [first, last]")
                    .with_help("e.g. `years = [2007, 2017]`"),
            );
            At::new((0, -1), y.loc)
        }
        None => {
            if s.node("years").is_none() {
                s.missing("years", "[2007, 2017]", diags);
            }
            At::new((0, -1), s.loc.clone())
        }
    };
    let exclude_years = s
        .ints("exclude_years", diags)
        .unwrap_or_else(|| At::new(Vec::new(), s.loc.clone()));
    Sample {
        countries,
        years,
        exclude_years,
    }
}

fn extract_variables(node: Option<&Node>, diags: &mut Diagnostics) -> BTreeMap<String, Variable> {
    let mut out = BTreeMap::new();
    let Some(node) = node else { return out };
    let Some(all) = Section::of("variables", node, diags) else {
        return out;
    };
    for (name, vnode) in all.table {
        let label = format!("variables.{name}");
        // `x = "wdi.NY.GDP"` is shorthand for `x = { from = "wdi.NY.GDP" }`.
        if let Value::Str(from) = &vnode.value {
            out.insert(
                name.clone(),
                Variable {
                    name: name.clone(),
                    from: At::new(from.clone(), vnode.loc.clone()),
                    transforms: At::new(Vec::new(), vnode.loc.clone()),
                    label: name.clone(),
                    loc: vnode.loc.clone(),
                },
            );
            continue;
        }
        let Some(s) = Section::of(&label, vnode, diags) else {
            continue;
        };
        s.check_keys(keys::VARIABLE, diags);
        let from = s.required_string("from", "\"wdi.NY.GDP.PCAP.KD.ZG\"", diags);
        let transforms = match s.node("transform") {
            Some(t) => At::new(parse_transforms(&label, t, diags), t.loc.clone()),
            None => At::new(Vec::new(), vnode.loc.clone()),
        };
        let label_text = s
            .string("label", diags)
            .map(|a| a.value)
            .unwrap_or_else(|| name.clone());
        out.insert(
            name.clone(),
            Variable {
                name: name.clone(),
                from,
                transforms,
                label: label_text,
                loc: vnode.loc.clone(),
            },
        );
    }
    out
}

fn extract_array<'a>(
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

fn extract_model(i: usize, node: &Node, diags: &mut Diagnostics) -> Option<Model> {
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
    if regressors.is_empty() {
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
    Some(Model {
        name,
        dependent,
        regressors,
        controls,
        controls_mode,
        estimators,
        vce,
        cluster: s.string("cluster", diags),
        hausman: s.bool_or("hausman", false, diags),
        title: s.string("title", diags).map(|a| a.value),
        loc: node.loc.clone(),
    })
}

fn extract_robustness(i: usize, node: &Node, diags: &mut Diagnostics) -> Option<Robustness> {
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
    let exclude_years = s.ints("exclude_years", diags);
    if let Some(ex) = &exclude_years {
        let node = s
            .node("exclude_years")
            .cloned()
            .expect("exclude_years was read");
        set_nodes.push((vec!["sample".into(), "exclude_years".into()], node));
        set.push((
            At::new("sample.exclude_years".into(), ex.loc.clone()),
            serde_json::json!(ex.value),
        ));
    }
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

fn extract_report(s: &Section<'_>, diags: &mut Diagnostics) -> Report {
    let formats = s
        .choices("formats", diags)
        .map(|a| a.value)
        .unwrap_or_else(|| {
            <crate::report::Format as Choice>::ALL
                .iter()
                .map(|f| At::new(*f, s.loc.clone()))
                .collect()
        });
    let stars = s
        .floats("stars", diags)
        .unwrap_or_else(|| At::new(vec![0.10, 0.05, 0.01], s.loc.clone()));
    if stars.value.iter().any(|p| !(*p > 0.0 && *p < 1.0)) {
        diags.push(
            Diagnostic::at(
                &stars.loc,
                "`report.stars` thresholds must lie strictly between 0 and 1",
            )
            .with_help("e.g. `stars = [0.10, 0.05, 0.01]`"),
        );
    }
    let digits = match s.int("digits", diags) {
        Some(d) if (0..=12).contains(&d.value) => d.value as usize,
        Some(d) => {
            diags.push(Diagnostic::at(
                &d.loc,
                "`report.digits` must be between 0 and 12",
            ));
            3
        }
        None => 3,
    };
    let r2 = s.choice_or("r2", crate::report::R2Choice::Auto, diags);
    let plain = |key: &str, diags: &mut Diagnostics| {
        s.strings(key, diags)
            .map(|a| a.value.into_iter().map(|x| x.value).collect())
            .unwrap_or_default()
    };
    Report {
        formats,
        stars: {
            let mut st = stars;
            st.value.sort_by(|a, b| b.total_cmp(a));
            st
        },
        digits,
        templates: s
            .string("templates", diags)
            .map(|t| At::new(resolve_path(&t.value, &t.loc), t.loc)),
        r2,
        order: plain("order", diags),
        drop: plain("drop", diags),
        figures: s.bool_or("figures", true, diags),
    }
}

/// The spec with a robustness block's overrides applied (its own `[[robustness]]` removed), as
/// a complete spec of its own.
pub fn variant_spec(spec: &Spec, r: &Robustness) -> Result<Spec, Diagnostics> {
    let mut root = spec.root.clone();
    if let Value::Table(t) = &mut root.value {
        t.remove("robustness");
    }
    let mut diags = Diagnostics::default();
    for (path, node) in &r.set_nodes {
        if let Err(d) = apply_override(&mut root, path, node.clone()) {
            diags.push(d);
        }
    }
    let out = extract(root, &spec.file, spec.chain.clone(), &mut diags);
    diags.extend(super::validate::validate(&out));
    diags.into_result()?;
    Ok(out)
}

/// The transforms of a variable (`"log"`, `{ lag = 1 }` or a list of them), or a located error
/// naming what was wrong and every transform there is.
fn parse_transforms(
    label: &str,
    node: &Node,
    diags: &mut Diagnostics,
) -> Vec<crate::panel::Transform> {
    #[derive(serde::Deserialize)]
    struct One {
        #[serde(deserialize_with = "crate::panel::transforms::one_or_many")]
        transform: Vec<crate::panel::Transform>,
    }
    let doc = serde_json::json!({ "transform": node.to_json() });
    match serde_json::from_value::<One>(doc) {
        Ok(one) => one.transform,
        Err(e) => {
            diags.push(
                Diagnostic::at(&node.loc, format!("`{label}.transform`: {e}"))
                    .with_help(crate::panel::transforms::transform_help()),
            );
            Vec::new()
        }
    }
}
