//! A TOML document as a tree whose every key and value remembers where it was written, so
//! that `extends` chains and `--set` overrides can be merged and every later problem can
//! still be reported at its file:line:column.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use toml::de::{DeTable, DeValue};

use super::diag::{Diagnostic, Loc};

/// A value of the spec tree with the place it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub loc: Loc,
}

/// The value of a [`Node`]: TOML's data model.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime(String),
    Array(Vec<Node>),
    Table(BTreeMap<String, Node>),
}

impl Value {
    /// TOML's name for the type, for messages such as "expected a string, found an integer".
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Datetime(_) => "a datetime",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

impl Node {
    pub fn table(&self) -> Option<&BTreeMap<String, Node>> {
        match &self.value {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Converts to JSON (tables become sorted objects), the canonical form that stage keys hash
    /// and that typed option structs of readers and transforms deserialize from.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or_else(|| serde_json::Value::String(f.to_string())),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Datetime(d) => serde_json::Value::String(d.clone()),
            Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Table(t) => {
                serde_json::Value::Object(t.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }
}

/// Maps byte offsets of a text to 1-based line and column (columns count characters).
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let end = offset.min(self.text.len());
        let column = self
            .text
            .get(start..end)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }
}

/// A TOML syntax error at `loc`. toml's "duplicate key" does not say which key; the text
/// under the error's span does, so it is named (`duplicate key `formats``).
fn syntax_error(loc: &Loc, message: &str, under: Option<&str>) -> Diagnostic {
    let key = under
        .map(|t| t.split('=').next().unwrap_or(t).trim())
        .filter(|k| !k.is_empty() && k.len() <= 80 && !k.contains('\n'));
    let message = match key {
        Some(k) if message == "duplicate key" => {
            format!("duplicate key `{k}` (it is already set above in the same table)")
        }
        _ => message.to_string(),
    };
    Diagnostic::at(loc, format!("invalid TOML: {message}"))
        .with_help("see https://toml.io for the syntax")
}

/// Parses TOML text into a located tree. A syntax error is reported at its place.
pub fn parse_toml(text: &str, file: &Path) -> Result<Node, Diagnostic> {
    let file = Arc::new(file.to_path_buf());
    let index = LineIndex::new(text);
    let loc_at = |offset: usize| {
        let (line, column) = index.line_col(offset);
        Loc::File {
            file: file.clone(),
            line,
            column,
        }
    };
    // Values come from the typed parser (it handles number syntax, escapes and dates);
    // places come from the spanned parser. Both read the same text.
    let typed: toml::Table = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        syntax_error(
            &loc_at(offset),
            e.message(),
            e.span().and_then(|s| text.get(s)),
        )
    })?;
    let spanned = DeTable::parse(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        syntax_error(
            &loc_at(offset),
            e.message(),
            e.span().and_then(|s| text.get(s)),
        )
    })?;
    Ok(Node {
        value: Value::Table(convert_table(&typed, spanned.get_ref(), &loc_at)),
        loc: loc_at(0),
    })
}

fn convert_table(
    typed: &toml::Table,
    spanned: &DeTable<'_>,
    loc_at: &dyn Fn(usize) -> Loc,
) -> BTreeMap<String, Node> {
    let mut out = BTreeMap::new();
    for (key, value) in spanned.iter() {
        let name: &str = key.get_ref();
        let Some(tv) = typed.get(name) else { continue };
        let loc = loc_at(key.span().start);
        out.insert(
            name.to_string(),
            convert_value(tv, Some(value.get_ref()), loc, loc_at),
        );
    }
    out
}

fn convert_value(
    typed: &toml::Value,
    spanned: Option<&DeValue<'_>>,
    loc: Loc,
    loc_at: &dyn Fn(usize) -> Loc,
) -> Node {
    let value = match typed {
        toml::Value::String(s) => Value::Str(s.clone()),
        toml::Value::Integer(i) => Value::Int(*i),
        toml::Value::Float(f) => Value::Float(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::Datetime(d.to_string()),
        toml::Value::Array(items) => {
            let spans = spanned.and_then(|s| s.as_array());
            Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let span = spans.and_then(|a| a.get(i));
                        let item_loc = span.map_or_else(|| loc.clone(), |s| loc_at(s.span().start));
                        convert_value(item, span.map(|s| s.get_ref()), item_loc, loc_at)
                    })
                    .collect(),
            )
        }
        toml::Value::Table(t) => match spanned.and_then(|s| s.as_table()) {
            Some(st) => Value::Table(convert_table(t, st, loc_at)),
            None => Value::Table(
                t.iter()
                    .map(|(k, v)| (k.clone(), convert_value(v, None, loc.clone(), loc_at)))
                    .collect(),
            ),
        },
    };
    Node { value, loc }
}

/// Deep-merges `over` into `base`: tables merge key by key, anything else (arrays included)
/// is replaced whole. Used for `extends` (child over parent) and `--set`.
pub fn merge(base: &mut Node, over: Node) {
    match (&mut base.value, over.value) {
        (Value::Table(b), Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, value) => {
            *slot = value;
            base.loc = over.loc;
        }
    }
}

/// Parses one `--set dotted.key=value` override. The value is TOML (`[2009]`, `"x"`, `0.05`,
/// `true`); a bare word that is not valid TOML is taken as a string, as a user would expect
/// of `--set report.digits=4` and `--set study.title=Draft`.
pub fn parse_override(text: &str) -> Result<(Vec<String>, Node), Diagnostic> {
    let loc = Loc::Override(text.to_string());
    let Some((key, raw)) = text.split_once('=') else {
        return Err(
            Diagnostic::at(&loc, "an override needs the form dotted.key=value")
                .with_help("e.g. --set sample.exclude_years=[2009]"),
        );
    };
    let path: Vec<String> = key
        .trim()
        .split('.')
        .map(|s| s.trim().to_string())
        .collect();
    if path.iter().any(|s| s.is_empty()) {
        return Err(
            Diagnostic::at(&loc, format!("`{key}` is not a dotted key path"))
                .with_help("name the key with dots and no empty parts, e.g. --set report.digits=4"),
        );
    }
    let raw = raw.trim();
    let value = match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or(toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.to_string()),
    };
    let node = convert_value(&value, None, loc.clone(), &|_| loc.clone());
    Ok((path, node))
}

/// Applies an override at a key path. Path segments into an array of tables may be an index
/// (`models.0.vce`) or the entry's `name` (`models.position.vce`).
pub fn apply_override(root: &mut Node, path: &[String], value: Node) -> Result<(), Diagnostic> {
    let loc = value.loc.clone();
    let mut cur = root;
    for (depth, seg) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        let here = path[..=depth].join(".");
        cur = match &mut cur.value {
            Value::Table(t) => {
                if last {
                    match t.get_mut(seg) {
                        Some(existing) => merge(existing, value),
                        None => {
                            t.insert(seg.clone(), value);
                        }
                    }
                    return Ok(());
                }
                let loc = loc.clone();
                t.entry(seg.clone()).or_insert_with(|| Node {
                    value: Value::Table(BTreeMap::new()),
                    loc,
                })
            }
            Value::Array(items) => {
                let pos = match seg.parse::<usize>() {
                    Ok(i) if i < items.len() => Some(i),
                    Ok(_) => None,
                    Err(_) => items.iter().position(|item| {
                        item.table()
                            .and_then(|t| t.get("name"))
                            .and_then(Node::as_str)
                            == Some(seg.as_str())
                    }),
                };
                let Some(pos) = pos else {
                    let names: Vec<&str> = items
                        .iter()
                        .filter_map(|item| item.table()?.get("name")?.as_str())
                        .collect();
                    return Err(Diagnostic::at(
                        &loc,
                        format!("`{here}`: no entry with that index or name"),
                    )
                    .with_help(match items.len() {
                        0 => format!("`{}` is empty", path[..depth].join(".")),
                        n => format!(
                            "use an index from 0 to {} or a name: {}",
                            n - 1,
                            super::diag::quote_list(&names)
                        ),
                    }));
                };
                if last {
                    merge(&mut items[pos], value);
                    return Ok(());
                }
                &mut items[pos]
            }
            other => {
                return Err(Diagnostic::at(
                    &loc,
                    format!(
                        "`{}` is {}, so it has no key `{seg}`",
                        path[..depth].join("."),
                        other.type_name()
                    ),
                )
                .with_help(format!(
                    "set `{}` itself, e.g. --set {}=<value>",
                    path[..depth].join("."),
                    path[..depth].join(".")
                )))
            }
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        parse_toml(text, Path::new("t.toml")).expect("valid toml")
    }

    #[test]
    fn locations_point_at_keys() {
        let root = parse("[study]\ntitle = \"x\"\n\n[sample]\n  years = [2007, 2_017]\n");
        let sample = &root.table().unwrap()["sample"];
        let years = &sample.table().unwrap()["years"];
        assert_eq!(years.loc.to_string(), "t.toml:5:3");
        match &years.value {
            Value::Array(items) => {
                assert_eq!(items[1].value, Value::Int(2017));
                assert_eq!(items[1].loc.to_string(), "t.toml:5:18");
            }
            _ => panic!("array expected"),
        }
    }

    #[test]
    fn syntax_error_is_located() {
        let err = parse_toml("[study]\ntitle = \n", Path::new("bad.toml")).unwrap_err();
        assert!(err.to_string().starts_with("bad.toml:2:"), "{err}");
    }

    #[test]
    fn overrides_parse_toml_or_fall_back_to_string() {
        let (path, node) = parse_override("sample.exclude_years=[2009]").unwrap();
        assert_eq!(path, vec!["sample", "exclude_years"]);
        assert!(matches!(node.value, Value::Array(_)));
        let (_, node) = parse_override("study.title=Draft run").unwrap();
        assert_eq!(node.value, Value::Str("Draft run".into()));
        assert!(parse_override("novalue").is_err());
    }

    #[test]
    fn override_into_array_by_name() {
        let mut root = parse("[[models]]\nname = \"position\"\nvce = \"cluster\"\n");
        let (path, node) = parse_override("models.position.vce=\"robust\"").unwrap();
        apply_override(&mut root, &path, node).unwrap();
        let models = &root.table().unwrap()["models"];
        let Value::Array(items) = &models.value else {
            panic!()
        };
        assert_eq!(items[0].table().unwrap()["vce"].as_str(), Some("robust"));
        let (path, node) = parse_override("models.nothere.vce=1").unwrap();
        assert!(apply_override(&mut root, &path, node).is_err());
    }

    #[test]
    fn merge_replaces_arrays_and_merges_tables() {
        let mut base = parse("[a]\nx = 1\ny = [1,2]\n");
        let over = parse("[a]\ny = [3]\nz = true\n");
        merge(&mut base, over);
        let a = base.table().unwrap()["a"].table().unwrap().clone();
        assert_eq!(a["x"].value, Value::Int(1));
        assert!(matches!(&a["y"].value, Value::Array(v) if v.len() == 1));
        assert_eq!(a["z"].value, Value::Bool(true));
    }
}
