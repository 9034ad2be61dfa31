//! The `extends` chain: reads a spec and its ancestors, refuses cycles and unreadable or
//! malformed parents with a located error, and merges the documents child over parent.

use std::path::{Path, PathBuf};

use super::paths::{absolute, path_base};
use crate::spec::diag::{Diagnostic, Diagnostics, Loc};
use crate::spec::node::{merge, parse_toml, Node, Value};

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
        let text = std::fs::read_to_string(&current)
            .map_err(|e| Diagnostics(vec![unreadable_spec(&current, from.as_ref(), &e)]))?;
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
