//! Loading a spec: read the `extends` chain, merge it, apply `--set` overrides, and extract the
//! typed [`Spec`], collecting every problem with its place instead of stopping at the first.
//!
//! Modules, each importing only those listed before it: `paths` (`${VAR}` expansion and the
//! folder a relative path is taken from), `years` (year ranges and lists), `section` (typed
//! access to one table), `chain` (the `extends` chain), `models` (`[[models]]` and
//! `[[robustness]]`), `extract` (every other section and the whole [`Spec`]); this file loads a
//! spec and builds the variant of a robustness block.

mod chain;
mod executor;
mod extract;
mod models;
mod multiverse;
mod paths;
mod section;
mod years;

use std::path::Path;

use super::diag::{Diagnostic, Diagnostics};
use super::node::{apply_override, parse_override, Node, Value};
use super::types::*;

pub use chain::load_chain;
pub use extract::extract;
pub use paths::{absolute, expand_env, path_base, resolve_path};
pub use years::YEARS;

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

/// The spec with a robustness block's overrides applied (its own `[[robustness]]` removed), as
/// a complete spec of its own.
pub fn variant_spec(spec: &Spec, r: &Robustness) -> Result<Spec, Diagnostics> {
    with_overrides(spec, &r.set_nodes)
}

/// The base spec with `overrides` applied, without its `[[robustness]]` and `[multiverse]`
/// blocks: a robustness variant, or the spec of a multiverse universe.
pub fn with_overrides(spec: &Spec, overrides: &[(Vec<String>, Node)]) -> Result<Spec, Diagnostics> {
    let mut root = spec.root.clone();
    if let Value::Table(t) = &mut root.value {
        t.remove("robustness");
        t.remove("multiverse");
    }
    let mut diags = Diagnostics::default();
    for (path, node) in overrides {
        if let Err(d) = apply_override(&mut root, path, node.clone()) {
            diags.push(d);
        }
    }
    let out = extract(root, &spec.file, spec.chain.clone(), &mut diags);
    diags.extend(super::validate::validate(&out));
    diags.into_result()?;
    Ok(out)
}
