//! Scanning one template: its includes, extends, imports, macro definitions and calls, the
//! calls of disabled functions, and the block nesting it reaches.

use std::collections::BTreeMap;

use super::lexer::{expression_cost, tags, tokens, Token};
use crate::report::render::DISABLED_FUNCTIONS;

/// What a template or a macro body reaches while it renders.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Target {
    /// `{% include "a" %}` / `{% include ["a", "b"] %}` (Tera renders the first that exists);
    /// `ignore_missing` with `{% include "a" ignore missing %}`.
    Include {
        names: Vec<String>,
        ignore_missing: bool,
    },
    /// `{% extends "a" %}`.
    Extends(String),
    /// `ns::name(...)`.
    Call { namespace: String, name: String },
}

/// A reference with its line and the block nesting around it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Edge {
    pub(super) target: Target,
    pub(super) line: usize,
    pub(super) nesting: usize,
}

/// The top-level body of a template or the body of one macro.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Scope {
    pub(super) edges: Vec<Edge>,
    /// Deepest point inside the scope itself: (depth, line).
    pub(super) deepest: (usize, usize),
}

impl Scope {
    fn reach(&mut self, depth: usize, line: usize) {
        if depth > self.deepest.0 {
            self.deepest = (depth, line);
        }
    }
}

/// One template, scanned.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Scanned {
    pub(super) body: Scope,
    /// Macro name → (line of `{% macro %}`, body).
    pub(super) macros: BTreeMap<String, (usize, Scope)>,
    /// (imported template, namespace, line).
    pub(super) imports: Vec<(String, String, usize)>,
    /// Calls of functions gvc disables (`get_env`, …): (function, line).
    pub(super) disabled_calls: Vec<(String, usize)>,
}

/// Scan one template: its references and the nesting it reaches.
pub(super) fn scan(text: &str) -> Scanned {
    let mut s = Scanned::default();
    let mut nesting = 0usize;
    // The macro being defined: (name, line, body, nesting at its `{% macro %}`).
    let mut current: Option<(String, usize, Scope, usize)> = None;
    for tag in tags(text) {
        let toks = tokens(tag.body);
        let keyword = match toks.first() {
            Some(Token::Ident(k)) if tag.statement => k.as_str(),
            _ => "",
        };
        let scope = match current.as_mut() {
            Some((_, _, scope, _)) => scope,
            None => &mut s.body,
        };
        match keyword {
            "if" | "for" | "block" | "filter" => nesting += 1,
            "endif" | "endfor" | "endblock" | "endfilter" => {
                nesting = nesting.saturating_sub(1);
                continue;
            }
            "macro" => {
                nesting += 1;
                let name = match toks.get(1) {
                    Some(Token::Ident(n)) => n.clone(),
                    _ => String::new(),
                };
                let mut body = Scope::default();
                body.reach(nesting + expression_cost(&toks), tag.line);
                current = Some((name, tag.line, body, nesting));
                continue;
            }
            "endmacro" => {
                if let Some((name, line, body, at)) = current.take() {
                    s.macros.insert(name, (line, body));
                    nesting = at.saturating_sub(1);
                }
                continue;
            }
            "include" => {
                let names = toks
                    .iter()
                    .filter_map(|t| match t {
                        Token::Str(n) => Some(n.clone()),
                        _ => None,
                    })
                    .collect();
                let ignore_missing = toks.windows(2).any(|w| {
                    matches!(w, [Token::Ident(a), Token::Ident(b)] if a == "ignore" && b == "missing")
                });
                scope.edges.push(Edge {
                    target: Target::Include {
                        names,
                        ignore_missing,
                    },
                    line: tag.line,
                    nesting,
                });
            }
            "extends" => {
                if let Some(Token::Str(p)) = toks.get(1) {
                    scope.edges.push(Edge {
                        target: Target::Extends(p.clone()),
                        line: tag.line,
                        nesting,
                    });
                }
            }
            "import" => {
                if let (Some(Token::Str(f)), Some(Token::Ident(ns))) = (toks.get(1), toks.get(3)) {
                    s.imports.push((f.clone(), ns.clone(), tag.line));
                }
                continue;
            }
            _ => {}
        }
        scope.reach(nesting + expression_cost(&toks) + 1, tag.line);
        for (k, w) in toks.windows(2).enumerate() {
            if let [Token::Ident(f), Token::Open] = w {
                let in_namespace = k > 0 && toks[k - 1] == Token::Path;
                if !in_namespace && DISABLED_FUNCTIONS.contains(&f.as_str()) {
                    s.disabled_calls.push((f.clone(), tag.line));
                }
            }
        }
        for w in toks.windows(4) {
            if let [Token::Ident(ns), Token::Path, Token::Ident(name), Token::Open] = w {
                scope.edges.push(Edge {
                    target: Target::Call {
                        namespace: ns.clone(),
                        name: name.clone(),
                    },
                    line: tag.line,
                    nesting,
                });
            }
        }
    }
    s
}
