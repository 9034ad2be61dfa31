//! [`Section`]: typed access to one table of the merged spec tree (strings, integers, lists,
//! closed choices), every missing or ill-typed value pushed to the diagnostics at its place with
//! a fix, so extraction goes on and reports every problem at once.

use std::collections::BTreeMap;

use crate::choice::Choice;
use crate::spec::diag::{did_you_mean, Diagnostic, Diagnostics, Loc};
use crate::spec::node::{Node, Value};
use crate::spec::types::At;

/// Typed access to one table of the tree; every problem goes to `diags`.
pub(super) struct Section<'a> {
    /// The table's name in messages (`sample`, `sources.wdi`, `models.baseline`).
    pub(super) name: String,
    pub(super) table: &'a BTreeMap<String, Node>,
    /// Where the table is (its header, or the top of the spec).
    pub(super) loc: Loc,
}

/// The keys of a section the spec does not write.
static NO_KEYS: BTreeMap<String, Node> = BTreeMap::new();

impl<'a> Section<'a> {
    /// A section the spec does not write, read as an empty table at `loc`.
    pub(super) fn blank(name: &str, loc: &Loc) -> Self {
        Section {
            name: name.to_string(),
            table: &NO_KEYS,
            loc: loc.clone(),
        }
    }

    /// The table `node` as section `name`, or a located error if it is not a table.
    pub(super) fn of(name: &str, node: &'a Node, diags: &mut Diagnostics) -> Option<Self> {
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

    /// The sub-table `key` of this one as a section; `None` when absent or not a table
    /// (reported).
    pub(super) fn sub(&self, key: &str, diags: &mut Diagnostics) -> Option<Section<'a>> {
        self.node(key).and_then(|n| Section::of(key, n, diags))
    }

    /// The entries of the sub-table `key` (`[sources.*]`, `[variables.*]`); none when it is
    /// absent or not a table (reported).
    pub(super) fn entries(&self, key: &str, diags: &mut Diagnostics) -> &'a BTreeMap<String, Node> {
        self.sub(key, diags).map_or(&NO_KEYS, |s| s.table)
    }

    pub(super) fn check_keys(&self, known: &[&str], diags: &mut Diagnostics) {
        for (key, node) in self.table {
            if !known.contains(&key.as_str()) {
                diags.push(
                    Diagnostic::at(&node.loc, format!("unknown key `{key}` in `{}`", self.name))
                        .with_help(did_you_mean(key, known)),
                );
            }
        }
    }

    pub(super) fn node(&self, key: &str) -> Option<&'a Node> {
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

    pub(super) fn missing(&self, key: &str, example: &str, diags: &mut Diagnostics) {
        diags.push(
            Diagnostic::at(&self.loc, format!("`{}` needs `{key}`", self.name))
                .with_help(format!("add `{key} = {example}`")),
        );
    }

    pub(super) fn string(&self, key: &str, diags: &mut Diagnostics) -> Option<At<String>> {
        let node = self.node(key)?;
        match &node.value {
            Value::Str(s) => Some(At::new(s.clone(), node.loc.clone())),
            _ => {
                self.type_error(node, key, "a string", diags);
                None
            }
        }
    }

    pub(super) fn string_or(
        &self,
        key: &str,
        default: &str,
        diags: &mut Diagnostics,
    ) -> At<String> {
        self.string(key, diags)
            .unwrap_or_else(|| At::new(default.to_string(), self.loc.clone()))
    }

    pub(super) fn required_string(
        &self,
        key: &str,
        example: &str,
        diags: &mut Diagnostics,
    ) -> At<String> {
        if self.node(key).is_none() {
            self.missing(key, example, diags);
        }
        self.string_or(key, "", diags)
    }

    pub(super) fn bool_or(&self, key: &str, default: bool, diags: &mut Diagnostics) -> bool {
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

    /// A list of strings; a single string is accepted as a one-element list.
    pub(super) fn strings(
        &self,
        key: &str,
        diags: &mut Diagnostics,
    ) -> Option<At<Vec<At<String>>>> {
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

    pub(super) fn floats(&self, key: &str, diags: &mut Diagnostics) -> Option<At<Vec<f64>>> {
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
    pub(super) fn choice_in<T: Choice>(
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
    pub(super) fn choice_or<T: Choice>(
        &self,
        key: &str,
        default: T,
        diags: &mut Diagnostics,
    ) -> At<T> {
        self.choice_or_in(key, default, T::ALL, diags)
    }

    pub(super) fn choice_or_in<T: Choice>(
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
    pub(super) fn choices<T: Choice>(
        &self,
        key: &str,
        diags: &mut Diagnostics,
    ) -> Option<At<Vec<At<T>>>> {
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
