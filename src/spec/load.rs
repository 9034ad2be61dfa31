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
        match parse_override(text).and_then(|(path, node)| {
            refuse_extends_override(&path, &node)?;
            apply_override(&mut root, &path, node)
        }) {
            Ok(()) => {}
            Err(d) => diags.push(d),
        }
    }
    let spec = extract(root, file, chain, &mut diags);
    diags.extend(super::validate::validate(&spec));
    diags.into_result()?;
    Ok(spec)
}

/// `extends` is read before overrides apply, so `--set extends=…` could only be ignored:
/// it is refused instead.
fn refuse_extends_override(path: &[String], node: &Node) -> Result<(), Diagnostic> {
    if path.first().map(String::as_str) == Some("extends") {
        return Err(Diagnostic::at(
            &node.loc,
            "`extends` cannot be set on the command line: the parent spec is read before `--set` applies",
        )
        .with_help("write `extends = \"parent.toml\"` at the top of a spec file and run that file"));
    }
    Ok(())
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
        let bytes = std::fs::read(&current)
            .map_err(|e| Diagnostics(vec![unreadable_spec(&current, from.as_ref(), &e)]))?;
        let text = spec_text(bytes, &current).map_err(|d| Diagnostics(vec![d]))?;
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
                    )
                    .with_help(
                        "e.g. `extends = \"base.toml\"`, relative to this file's folder",
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

/// The text of a spec file; bytes that are not UTF-8 are an error at the line and column of
/// the first bad byte (found by the fuzz test: the message used to blame the spec's path).
fn spec_text(bytes: Vec<u8>, path: &Path) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = 1 + good.iter().filter(|&&b| b == b'\n').count();
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        // The prefix before the bad byte is valid UTF-8, so its characters can be counted.
        let column = 1 + String::from_utf8_lossy(&good[line_start..]).chars().count();
        let loc = Loc::File {
            file: std::sync::Arc::new(path.to_path_buf()),
            line,
            column,
        };
        Diagnostic::at(&loc, "the spec is not valid UTF-8 text")
            .with_help("save the spec as UTF-8 (the encoding TOML requires)")
    })
}

/// A spec file that cannot be read: located at the `extends` that names it, or, for the spec
/// given on the command line, naming the folder its relative path was taken from.
fn unreadable_spec(path: &Path, from: Option<&Loc>, e: &std::io::Error) -> Diagnostic {
    let message = format!("cannot read spec {}: {e}", absolute(path).display());
    match from {
        Some(loc) => Diagnostic::at(loc, message).with_help(format!(
            "`extends` is relative to {} ({})",
            path_base(loc).1,
            absolute(&path_base(loc).0).display()
        )),
        None => Diagnostic::new(None, message).with_help(format!(
            "check the spec path given on the command line; a relative path is taken from the current folder {}",
            absolute(Path::new(".")).display()
        )),
    }
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
                diags.push(
                    Diagnostic::at(
                        &node.loc,
                        format!("`{name}` must be a table, found {}", other.type_name()),
                    )
                    .with_help(format!(
                        "write its keys under a `[{name}]` header, or as `{{ key = value }}`"
                    )),
                );
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
        diags.push(
            Diagnostic::at(
                &node.loc,
                format!(
                    "`{}.{key}` must be {expected}, found {}",
                    self.name,
                    node.value.type_name()
                ),
            )
            .with_help(format!("write e.g. `{key} = {}`", example_of(expected))),
        );
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
                        diags.push(
                            Diagnostic::at(
                                &item.loc,
                                format!(
                                    "`{}.{key}` must hold strings, found {}",
                                    self.name,
                                    other.type_name()
                                ),
                            )
                            .with_help("put each entry in double quotes, e.g. `\"CHN\"`"),
                        );
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
                None => diags.push(
                    Diagnostic::at(
                        &item.loc,
                        format!(
                            "`{}.{key}` must hold {what}, found {}",
                            self.name,
                            item.value.type_name()
                        ),
                    )
                    .with_help(format!("write {what} without quotes, e.g. `0.05`")),
                ),
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

/// A TOML value of the kind `expected` names, for "write e.g. `key = …`".
fn example_of(expected: &str) -> &'static str {
    match expected {
        "a string" => "\"…\"",
        "true or false" => "true",
        "an integer" => "3",
        "a list of strings" => "[\"a\", \"b\"]",
        _ => "[0.10, 0.05]",
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
        output: study_s
            .string("output", diags)
            .map(|a| output_folder(a, file)),
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

/// Resolves a path written in a spec (after expanding `${VAR:-default}`): a relative path
/// written in a spec file is relative to the folder of that file; one given on the command
/// line (`--set key=path`) is relative to the current folder, as a shell user expects.
pub fn resolve_path(raw: &str, loc: &Loc) -> PathBuf {
    let p = PathBuf::from(expand_env(raw));
    if p.is_absolute() {
        return p;
    }
    path_base(loc).0.join(p)
}

/// The folder a relative path written at `loc` is resolved against, and how to say so in a
/// message: the folder of the spec file that writes it, or the current folder for `--set`.
pub fn path_base(loc: &Loc) -> (PathBuf, String) {
    match loc {
        Loc::File { file, .. } => {
            let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
            let name = file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            (dir, format!("the folder of {name}, which writes it"))
        }
        Loc::Override(_) => (
            std::env::current_dir().unwrap_or_default(),
            "the current folder, as for every `--set` value".into(),
        ),
    }
}

/// `p` made absolute against the current folder, `.` and `dir/..` dropped lexically, so a
/// message says exactly where.
pub fn absolute(p: &Path) -> PathBuf {
    let abs = std::env::current_dir().map_or_else(|_| p.to_path_buf(), |cwd| cwd.join(p));
    let mut out = PathBuf::new();
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

/// `study.output`: written in the spec itself it stays as written (the run resolves it
/// against the spec's folder); written in an `extends` parent or on the command line it is
/// resolved by [`resolve_path`]'s rule and made absolute, so the run finds the same folder.
fn output_folder(output: At<String>, top: &Path) -> String {
    if output.loc.file() == Some(top) {
        return output.value;
    }
    absolute(&resolve_path(&output.value, &output.loc))
        .to_string_lossy()
        .into_owned()
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
        if format.value == crate::sources::SourceFormat::Synthetic {
            // The years a synthetic table offers are years of the spec like any other.
            if let Some(years) = s.node("years") {
                year_list(years, &format!("{label}.years"), diags);
            }
        }
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
    let years = match s.node("years") {
        None => {
            s.missing("years", "[2007, 2017]", diags);
            None
        }
        Some(node) => match year_range(node, "sample.years") {
            Ok(range) => Some(At::new(range, node.loc.clone())),
            Err(problems) => {
                problems.into_iter().for_each(|d| diags.push(d));
                None
            }
        },
    };
    let excluded = s
        .node("exclude_years")
        .map(|node| (node, year_list(node, "sample.exclude_years", diags)));
    if let (Some(range), Some((node, list))) = (&years, &excluded) {
        check_excluded(&range.value, node, list, diags);
    }
    Sample {
        countries,
        // A wrong `years` was reported above; the spec is refused, so this stand-in range
        // (empty: first after last) is never run.
        years: years.unwrap_or_else(|| At::new((0, -1), s.loc.clone())),
        exclude_years: match excluded {
            Some((node, list)) => At::new(
                list.into_iter().map(|y| y.value).collect(),
                node.loc.clone(),
            ),
            None => At::new(Vec::new(), s.loc.clone()),
        },
    }
}

/// The years every spec key accepts (`sample.years`, `sample.exclude_years`, a robustness
/// block's `exclude_years`, a synthetic source's `years`): 1900–2100. Input-output tables
/// exist from the 1919 US table on (WIOD 1995–, OECD ICIO 1995–, ADB MRIO 2000–) and
/// projections rarely pass 2100; the bound also caps every loop over a year span at 201.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// One year of a spec: an integer within [`YEARS`], or one located problem with its fix.
fn year_of(node: &Node, key: &str) -> Result<At<i32>, Diagnostic> {
    let (first, last) = (YEARS.start(), YEARS.end());
    let problem =
        |message: String, help: String| Err(Diagnostic::at(&node.loc, message).with_help(help));
    match &node.value {
        Value::Int(y) => match i32::try_from(*y) {
            Ok(y) if YEARS.contains(&y) => Ok(At::new(y, node.loc.clone())),
            _ => problem(
                format!("`{key}`: year {y} is outside {first}–{last}"),
                format!("years must lie in {first}–{last} (a typo?); see \"Years\" in docs/spec-reference.md"),
            ),
        },
        Value::Float(f) => problem(
            format!("`{key}` must hold whole years, found the number {f:?}"),
            if f.fract() == 0.0 && f.abs() < 1e6 {
                format!("write `{}` without the decimal point", *f as i64)
            } else {
                "write a whole year such as `2010`".into()
            },
        ),
        Value::Str(text) => problem(
            format!("`{key}` must hold years as integers, found the string \"{text}\""),
            if text.trim().parse::<i64>().is_ok() {
                format!("write `{}` without quotes", text.trim())
            } else {
                "write a year such as `2010`".into()
            },
        ),
        other => problem(
            format!(
                "`{key}` must hold years as integers, found {}",
                other.type_name()
            ),
            "write a year such as `2010`".into(),
        ),
    }
}

/// `[first, last]`: a first and a last year within [`YEARS`], first not after last. A value
/// of the wrong shape or type is ONE problem at its own place; each year out of range is one
/// problem at that year.
fn year_range(node: &Node, key: &str) -> Result<(i32, i32), Vec<Diagnostic>> {
    let shape = |message: String, help: String| {
        Err(vec![Diagnostic::at(&node.loc, message).with_help(help)])
    };
    let items = match &node.value {
        Value::Array(items) => items,
        Value::Int(y) => {
            return shape(
                format!("`{key}` must be [first, last], found the single number {y}"),
                format!("for one year write `years = [{y}, {y}]`"),
            )
        }
        other => {
            return shape(
                format!("`{key}` must be [first, last], found {}", other.type_name()),
                "e.g. `years = [2007, 2017]`".into(),
            )
        }
    };
    if items.len() != 2 {
        let ints: Vec<i64> = items
            .iter()
            .filter_map(|i| match i.value {
                Value::Int(y) => Some(y),
                _ => None,
            })
            .collect();
        let help = match (ints.len() == items.len(), ints.iter().min(), ints.iter().max()) {
            (true, Some(lo), Some(hi)) if items.len() > 2 => format!(
                "write the first and last year, `years = [{lo}, {hi}]`, and leave years out with `exclude_years`"
            ),
            (true, Some(y), _) => format!("for one year write `years = [{y}, {y}]`"),
            _ => "e.g. `years = [2007, 2017]`".into(),
        };
        return shape(
            format!(
                "`{key}` must be [first, last], found {} element{}",
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            ),
            help,
        );
    }
    // A non-year element makes the whole value malformed: one message, at that element.
    for item in items.iter().filter(|i| !matches!(i.value, Value::Int(_))) {
        if let Err(problem) = year_of(item, key) {
            return Err(vec![problem]);
        }
    }
    let (first, last) = (year_of(&items[0], key), year_of(&items[1], key));
    match (first, last) {
        (Ok(first), Ok(last)) if first.value > last.value => shape(
            format!(
                "`{key}` is inverted: {} comes after {}",
                first.value, last.value
            ),
            format!("write `years = [{}, {}]`", last.value, first.value),
        ),
        (Ok(first), Ok(last)) => Ok((first.value, last.value)),
        (first, last) => Err([first.err(), last.err()].into_iter().flatten().collect()),
    }
}

/// A list of years within [`YEARS`]; each element that is not one is a problem at that
/// element. A value that is not a list is one problem.
fn year_list(node: &Node, key: &str, diags: &mut Diagnostics) -> Vec<At<i32>> {
    let items = match &node.value {
        Value::Array(items) => items.as_slice(),
        Value::Int(_) => std::slice::from_ref(node),
        other => {
            diags.push(
                Diagnostic::at(
                    &node.loc,
                    format!(
                        "`{key}` must be a list of years, found {}",
                        other.type_name()
                    ),
                )
                .with_help(format!(
                    "e.g. `{} = [2009]`",
                    key.rsplit('.').next().unwrap_or(key)
                )),
            );
            return Vec::new();
        }
    };
    items
        .iter()
        .filter_map(|item| year_of(item, key).map_err(|d| diags.push(d)).ok())
        .collect()
}

/// Each excluded year must lie in the sample's years (one problem per stray year, at it), and
/// at least one sample year must remain.
fn check_excluded(range: &(i32, i32), node: &Node, list: &[At<i32>], diags: &mut Diagnostics) {
    let (first, last) = *range;
    for y in list {
        if !(first..=last).contains(&y.value) {
            diags.push(
                Diagnostic::at(
                    &y.loc,
                    format!(
                        "excluded year {} is outside the sample years {first}–{last}",
                        y.value
                    ),
                )
                .with_help("remove it, or widen `sample.years`"),
            );
        }
    }
    // The span is at most 201 years (YEARS), so this loop is short.
    if (first..=last).all(|y| list.iter().any(|x| x.value == y)) {
        diags.push(
            Diagnostic::at(&node.loc, "every sample year is excluded")
                .with_help("remove a year from `exclude_years`, or widen `sample.years`"),
        );
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
            diags.push(
                Diagnostic::at(&d.loc, "`report.digits` must be between 0 and 12")
                    .with_help("e.g. `digits = 3`"),
            );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::node::parse_override;

    fn value(text: &str) -> Node {
        parse_override(&format!("sample.years={text}")).unwrap().1
    }

    #[test]
    fn year_ranges() {
        assert_eq!(year_range(&value("[2007, 2017]"), "y"), Ok((2007, 2017)));
        assert_eq!(year_range(&value("[1900, 2100]"), "y"), Ok((1900, 2100)));
        assert_eq!(year_range(&value("[2010, 2010]"), "y"), Ok((2010, 2010)));
        // One problem for a malformed value, one per year out of range.
        for bad in [
            "2010",
            "[2010]",
            "[2010, 2011, 2012]",
            "[\"a\", \"b\"]",
            "[2010.0, 2011.0]",
            "[[2010], [2011]]",
            "[2012, 2010]",
            "[1899, 2010]",
        ] {
            let problems = year_range(&value(bad), "y").unwrap_err();
            assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
            assert!(problems[0].help.is_some(), "{bad}");
        }
        let both = year_range(&value("[-5, 9999999]"), "y").unwrap_err();
        assert_eq!(both.len(), 2, "{both:?}");
        assert!(both[1].message.contains("9999999 is outside 1900–2100"));
    }

    #[test]
    fn non_utf8_spec_is_located_at_its_first_bad_byte() {
        let path = Path::new("s.toml");
        assert_eq!(spec_text(b"a = 1\n".to_vec(), path).unwrap(), "a = 1\n");
        let d = spec_text(b"a = 1\nb = \"\xc3\xa9\xff\"\n".to_vec(), path).unwrap_err();
        assert_eq!(
            d.to_string().lines().next(),
            Some("s.toml:2:7: error: the spec is not valid UTF-8 text")
        );
        assert!(d.help.unwrap().contains("UTF-8"));
    }

    #[test]
    fn command_line_paths_are_relative_to_the_current_folder() {
        let cwd = std::env::current_dir().unwrap();
        let set = Loc::Override("sources.x.path=data".into());
        assert_eq!(resolve_path("data", &set), cwd.join("data"));
        let file = Loc::File {
            file: std::sync::Arc::new(PathBuf::from("studies/a/spec.toml")),
            line: 1,
            column: 1,
        };
        assert_eq!(resolve_path("data", &file), PathBuf::from("studies/a/data"));
        assert_eq!(resolve_path("/abs", &set), PathBuf::from("/abs"));
        // `study.output` from the command line or a parent is made absolute; from the spec
        // itself it stays as written (the run joins it to the spec's folder).
        let top = Path::new("studies/b/spec.toml");
        assert_eq!(
            output_folder(At::new("out".into(), set), top),
            cwd.join("out").to_string_lossy()
        );
        assert_eq!(
            output_folder(At::new("out".into(), file), top),
            cwd.join("studies/a/out").to_string_lossy()
        );
        let own = Loc::File {
            file: std::sync::Arc::new(top.to_path_buf()),
            line: 2,
            column: 1,
        };
        assert_eq!(output_folder(At::new("out".into(), own), top), "out");
    }
}
