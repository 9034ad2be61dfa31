//! Static checks of a template set, run before Tera parses or renders it: the set must not
//! contain an `include` / `extends` / macro-call cycle (rendering would never end), an `import`
//! cycle (loading the macros would never end), or nesting deeper than [`MAX_DEPTH`] (Tera
//! parses and renders by recursion). Tera answers each of these with a stack overflow, which
//! aborts the process and cannot be caught, so the set is refused here, naming the template
//! file, the line and the fix.
//!
//! Hand-written lexer, because Tera 1 keeps its syntax tree private (`#[doc(hidden)]`, "not
//! covered by semver") and without positions; this scans only what the checks need (tags,
//! string literals, identifiers, brackets, operators) following Tera's grammar
//! (`tera-1.20/src/parser/tera.pest`), so that every error can name a line.
//!
//! Macro calls are resolved by name, conservatively: `ns::m(...)` may reach macro `m` of any
//! template imported somewhere as `ns` (for `self::`, of any template defining `m`). Tera's
//! own resolution depends on the template being rendered; the superset can only refuse a set
//! that Tera would render, and only when two macro files call each other's same-named macros.

use std::collections::BTreeMap;

use super::render::DISABLED_FUNCTIONS;

/// Deepest nesting a template set may reach, counted along the deepest rendering path: one
/// unit per open block (`if`, `for`, `macro`, `block`, `filter`), per include, per macro call
/// and per bracket or operator inside a tag. Measured on tera 1.20.1 (release build, 2 MiB
/// thread): about 500 nested `if`s, 1,000 nested macro calls, 1,000 nested parentheses or
/// 3,000 chained `+` overflow the stack; rendering runs on a thread with a far bigger stack
/// (`render::RENDER_STACK`), so this limit leaves a margin of several hundred times.
pub(crate) const MAX_DEPTH: usize = 128;

/// One template to check: its name in the set, its text, and where it came from (for errors).
pub(crate) struct Source<'a> {
    /// Name in the set (relative path with `/`).
    pub name: &'a str,
    /// Template text.
    pub text: &'a str,
    /// How to name the file in an error: the user's file path, or "built-in template <name>".
    pub origin: String,
}

/// A structural problem of a template set.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    /// `file:line` of the tag concerned.
    pub location: String,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

// ---------------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------------

/// A token inside a tag.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    /// `::`
    Path,
    /// `(`
    Open,
    /// `[` (counts as nesting like `(`)
    Bracket,
    /// An operator: arithmetic, comparison, `~`, or `and` / `or` / `not` / `in` / `is`.
    Op,
    /// Anything else (`)`, `]`, `,`, `=`, `|`, `.`, numbers).
    Other,
}

/// Tokens of a tag body. Tera strings have no escapes: a string runs to the next same quote.
fn tokens(body: &str) -> Vec<Token> {
    let b = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'"' | b'\'' | b'`' => {
                let end = body[i + 1..].find(c as char).map_or(b.len(), |k| i + 1 + k);
                out.push(Token::Str(body[i + 1..end.min(b.len())].to_string()));
                i = end + 1;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let word = &body[start..i];
                out.push(if matches!(word, "and" | "or" | "not" | "in" | "is") {
                    Token::Op
                } else {
                    Token::Ident(word.to_string())
                });
            }
            b':' if b.get(i + 1) == Some(&b':') => {
                out.push(Token::Path);
                i += 2;
            }
            b'(' => {
                out.push(Token::Open);
                i += 1;
            }
            b'[' => {
                out.push(Token::Bracket);
                i += 1;
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'~' | b'<' | b'>' => {
                out.push(Token::Op);
                i += if b.get(i + 1) == Some(&b'=') { 2 } else { 1 };
            }
            b'=' | b'!' if b.get(i + 1) == Some(&b'=') => {
                out.push(Token::Op);
                i += 2;
            }
            _ => {
                out.push(Token::Other);
                // Skip one whole UTF-8 character.
                i += 1;
                while i < b.len() && !body.is_char_boundary(i) {
                    i += 1;
                }
            }
        }
    }
    out
}

/// Nesting a tag adds while it is evaluated: every bracket and operator may be one level of
/// Tera's expression tree (an upper bound: a flat `a + b + c` is a left-deep tree).
fn expression_cost(tokens: &[Token]) -> usize {
    tokens
        .iter()
        .filter(|t| matches!(t, Token::Open | Token::Bracket | Token::Op))
        .count()
}

/// What a template or a macro body reaches while it renders.
#[derive(Debug, Clone, PartialEq)]
enum Target {
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
struct Edge {
    target: Target,
    line: usize,
    nesting: usize,
}

/// The top-level body of a template or the body of one macro.
#[derive(Debug, Clone, Default, PartialEq)]
struct Scope {
    edges: Vec<Edge>,
    /// Deepest point inside the scope itself: (depth, line).
    deepest: (usize, usize),
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
struct Scanned {
    body: Scope,
    /// Macro name → (line of `{% macro %}`, body).
    macros: BTreeMap<String, (usize, Scope)>,
    /// (imported template, namespace, line).
    imports: Vec<(String, String, usize)>,
    /// Calls of functions gvc disables (`get_env`, …): (function, line).
    disabled_calls: Vec<(String, usize)>,
}

/// Where each tag of a template starts and what it holds.
struct Tag<'a> {
    /// `{{` or `{%`.
    statement: bool,
    body: &'a str,
    line: usize,
}

/// Byte offset of the first `close` in `text[from..]` outside string literals.
fn tag_end(text: &str, from: usize, close: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = from;
    while i < b.len() {
        match b[i] {
            q @ (b'"' | b'\'' | b'`') => {
                i = text[i + 1..].find(q as char).map(|k| i + 1 + k + 1)?;
            }
            _ if text[i..].starts_with(close) => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Byte offset just past the `{% endraw %}` (any whitespace control) at or after `from`.
fn raw_end(text: &str, from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(k) = text[i..].find("{%") {
        let start = i + k;
        let end = text[start + 2..].find("%}").map(|k| start + 2 + k)?;
        let body = text[start + 2..end].trim_start_matches('-');
        if body.strip_suffix('-').unwrap_or(body).trim() == "endraw" {
            return Some(end + 2);
        }
        i = start + 2;
    }
    None
}

/// The `{{ }}` and `{% %}` tags of a template in order, skipping text, comments and raw
/// blocks. Stops at an unterminated tag (Tera reports the syntax error).
fn tags(text: &str) -> Vec<Tag<'_>> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut counted = 0; // bytes before `counted` are counted in `line`
    let mut i = 0;
    while let Some(k) = text[i..].find('{') {
        let start = i + k;
        let rest = &text[start..];
        let close = if rest.starts_with("{{") {
            "}}"
        } else if rest.starts_with("{%") {
            "%}"
        } else if rest.starts_with("{#") {
            "#}"
        } else {
            i = start + 1;
            continue;
        };
        let end = if close == "#}" {
            text[start + 2..].find("#}").map(|k| start + 2 + k)
        } else {
            tag_end(text, start + 2, close)
        };
        let Some(end) = end else { break };
        line += text[counted..start].matches('\n').count();
        counted = start;
        i = end + 2;
        if close == "#}" {
            continue;
        }
        let body = text[start + 2..end].trim_start_matches('-');
        let body = body.strip_suffix('-').unwrap_or(body);
        let statement = close == "%}";
        if statement && body.trim() == "raw" {
            match raw_end(text, i) {
                Some(after) => i = after,
                None => break,
            }
            continue;
        }
        out.push(Tag {
            statement,
            body,
            line,
        });
    }
    out
}

/// The line of the first tag of `text` that writes `word` as a whole word (a variable path
/// such as `table.rows`, a function name), or with `after_pipe` as a filter (`| word`): where
/// a render error that names it most likely comes from.
pub(crate) fn line_of_word(text: &str, word: &str, after_pipe: bool) -> Option<usize> {
    if word.is_empty() {
        return None;
    }
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let at_boundary = |body: &str, start: usize| {
        let before = body[..start].chars().next_back();
        let after = body[start + word.len()..].chars().next();
        !before.is_some_and(|c| ident(c) || c == '.') && !after.is_some_and(ident)
    };
    tags(text).into_iter().find_map(|tag| {
        let body = tag.body;
        let found = body.match_indices(word).any(|(start, _)| {
            at_boundary(body, start) && (!after_pipe || body[..start].trim_end().ends_with('|'))
        });
        found.then_some(tag.line)
    })
}

/// Scan one template: its references and the nesting it reaches.
fn scan(text: &str) -> Scanned {
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

// ---------------------------------------------------------------------------------------------
// Graph
// ---------------------------------------------------------------------------------------------

/// A node of the rendering graph: a template body or a macro (template index, macro name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Template(usize),
    Macro(usize, String),
}

impl Node {
    fn file(&self) -> usize {
        match self {
            Node::Template(t) | Node::Macro(t, _) => *t,
        }
    }
}

/// A resolved reference: the node reached, the line of the reference, the depth added before
/// the target's own depth, and what the reference does ("includes `b`").
struct Step {
    to: Node,
    line: usize,
    added: usize,
    what: String,
    /// The verb alone, for a node that reaches itself ("includes", "calls").
    verb: &'static str,
}

struct Graph<'a> {
    sources: &'a [Source<'a>],
    scanned: Vec<Scanned>,
    index: BTreeMap<&'a str, usize>,
    /// Namespace → templates imported under it somewhere in the set.
    imported_as: BTreeMap<String, Vec<usize>>,
}

impl<'a> Graph<'a> {
    fn new(sources: &'a [Source<'a>]) -> Self {
        let scanned: Vec<Scanned> = sources.iter().map(|s| scan(s.text)).collect();
        let index: BTreeMap<&str, usize> = sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name, i))
            .collect();
        let mut imported_as: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for s in &scanned {
            for (file, ns, _) in &s.imports {
                if let Some(&t) = index.get(file.as_str()) {
                    imported_as.entry(ns.clone()).or_default().push(t);
                }
            }
        }
        Graph {
            sources,
            scanned,
            index,
            imported_as,
        }
    }

    fn name(&self, t: usize) -> &str {
        self.sources[t].name
    }

    fn location(&self, t: usize, line: usize) -> String {
        format!("{}:{line}", self.sources[t].origin)
    }

    fn describe(&self, n: &Node) -> String {
        match n {
            Node::Template(t) => format!("template `{}`", self.name(*t)),
            Node::Macro(t, m) => format!("macro `{m}` of `{}`", self.name(*t)),
        }
    }

    fn scope(&self, n: &Node) -> &Scope {
        match n {
            Node::Template(t) => &self.scanned[*t].body,
            Node::Macro(t, m) => &self.scanned[*t].macros[m].1,
        }
    }

    /// Templates a call `ns::name(...)` may reach (see the module doc).
    fn call_targets(&self, namespace: &str, name: &str) -> Vec<usize> {
        let defines = |t: &usize| self.scanned[*t].macros.contains_key(name);
        let mut v: Vec<usize> = if namespace == "self" {
            (0..self.sources.len()).filter(defines).collect()
        } else {
            self.imported_as
                .get(namespace)
                .map(|ts| ts.iter().copied().filter(defines).collect())
                .unwrap_or_default()
        };
        v.sort_unstable();
        v.dedup();
        v
    }

    fn steps(&self, n: &Node) -> Vec<Step> {
        let scope = self.scope(n);
        let mut out = Vec::new();
        for e in &scope.edges {
            match &e.target {
                Target::Include { names, .. } => {
                    if let Some(&t) = names.iter().find_map(|x| self.index.get(x.as_str())) {
                        out.push(Step {
                            to: Node::Template(t),
                            line: e.line,
                            added: e.nesting + 1,
                            what: format!("includes `{}`", self.name(t)),
                            verb: "includes",
                        });
                    }
                }
                Target::Extends(p) => {
                    if let Some(&t) = self.index.get(p.as_str()) {
                        // The child's blocks render inside the parent: count both in full.
                        out.push(Step {
                            to: Node::Template(t),
                            line: e.line,
                            added: scope.deepest.0 + 1,
                            what: format!("extends `{p}`"),
                            verb: "extends",
                        });
                    }
                }
                Target::Call { namespace, name } => {
                    for t in self.call_targets(namespace, name) {
                        out.push(Step {
                            to: Node::Macro(t, name.clone()),
                            line: e.line,
                            added: e.nesting + 1,
                            what: format!(
                                "calls `{namespace}::{name}` (macro `{name}` of `{}`)",
                                self.name(t)
                            ),
                            verb: "calls",
                        });
                    }
                }
            }
        }
        out
    }

    fn nodes(&self) -> Vec<Node> {
        let mut v = Vec::new();
        for t in 0..self.sources.len() {
            v.push(Node::Template(t));
            v.extend(
                self.scanned[t]
                    .macros
                    .keys()
                    .map(|m| Node::Macro(t, m.clone())),
            );
        }
        v
    }
}

/// A node on the search stack: the node, its successors (each with the step to it), and how
/// many of them were taken.
type Frame<N, S> = (N, Vec<(N, S)>, usize);

/// Iterative depth-first search over `succ` from every root: the nodes in post-order, or the
/// first cycle found as (node, the step it takes to the next node) around the cycle.
fn post_order<N: Clone + Ord, S>(
    roots: &[N],
    succ: impl Fn(&N) -> Vec<(N, S)>,
) -> Result<Vec<N>, Vec<(N, S)>> {
    #[derive(PartialEq)]
    enum Mark {
        Active,
        Done,
    }
    let mut mark: BTreeMap<N, Mark> = BTreeMap::new();
    let mut order = Vec::new();
    for root in roots {
        if mark.contains_key(root) {
            continue;
        }
        let mut stack: Vec<Frame<N, S>> = vec![(root.clone(), succ(root), 0)];
        mark.insert(root.clone(), Mark::Active);
        while let Some((_, next, taken)) = stack.last_mut() {
            if *taken == next.len() {
                if let Some((n, _, _)) = stack.pop() {
                    mark.insert(n.clone(), Mark::Done);
                    order.push(n);
                }
                continue;
            }
            let to = next[*taken].0.clone();
            *taken += 1;
            match mark.get(&to) {
                Some(Mark::Done) => {}
                Some(Mark::Active) => {
                    // Back edge: the cycle runs from `to` on the stack to the top.
                    let at = stack.iter().position(|(n, _, _)| *n == to).unwrap_or(0);
                    return Err(stack
                        .drain(at..)
                        .map(|(n, mut next, taken)| (n, next.swap_remove(taken - 1).1))
                        .collect());
                }
                None => {
                    mark.insert(to.clone(), Mark::Active);
                    let s = succ(&to);
                    stack.push((to, s, 0));
                }
            }
        }
    }
    Ok(order)
}

/// The import cycle of a set, if any (Tera loads imported macros recursively).
fn import_cycle(g: &Graph) -> Option<Problem> {
    let roots: Vec<usize> = (0..g.sources.len()).collect();
    let succ = |t: &usize| -> Vec<(usize, usize)> {
        g.scanned[*t]
            .imports
            .iter()
            .filter_map(|(f, _, line)| g.index.get(f.as_str()).map(|&to| (to, *line)))
            .collect()
    };
    let cycle = post_order(&roots, succ).err()?;
    let chain: Vec<String> = cycle
        .iter()
        .enumerate()
        .map(|(k, (t, line))| {
            let to = cycle[(k + 1) % cycle.len()].0;
            format!(
                "`{}` imports `{}` ({})",
                g.name(*t),
                g.name(to),
                g.location(*t, *line)
            )
        })
        .collect();
    let (first, line) = cycle[0];
    Some(Problem {
        location: g.location(first, line),
        problem: format!(
            "import cycle: {}; loading the macros would never end",
            chain.join(", ")
        ),
        fix: "move the shared macros into a template that imports nothing, and import in one direction only".into(),
    })
}

/// A rendering cycle (include / extends / macro call) as a problem.
fn cycle_problem(g: &Graph, cycle: &[(Node, Step)]) -> Problem {
    let (first, step) = &cycle[0];
    let location = g.location(first.file(), step.line);
    let problem = match cycle {
        [(n, step)] => format!(
            "{} {} itself: rendering would never end",
            g.describe(n),
            step.verb
        ),
        _ => {
            let chain: Vec<String> = cycle
                .iter()
                .map(|(n, s)| {
                    format!(
                        "{} {} ({})",
                        g.describe(n),
                        s.what,
                        g.location(n.file(), s.line)
                    )
                })
                .collect();
            format!("cycle: {}; rendering would never end", chain.join(", "))
        }
    };
    let fix = if cycle.iter().all(|(n, _)| matches!(n, Node::Macro(..))) {
        "gvc refuses recursive macros, since a recursion without a bound overflows the stack; write the repetition as a `{% for %}` loop over the data"
    } else {
        "remove one of these references: a template cannot render itself, directly or through other templates and macros"
    };
    Problem {
        location,
        problem,
        fix: fix.into(),
    }
}

/// The deepest rendering path, when deeper than [`MAX_DEPTH`]. `order` is a post-order of the
/// (acyclic) rendering graph.
fn depth_problem(g: &Graph, order: &[Node]) -> Option<Problem> {
    /// Depth reached from a node, the line in the node where its deepest path starts, and the
    /// (file, line) where that path ends.
    #[derive(Clone, Copy)]
    struct Reach {
        depth: usize,
        from_line: usize,
        end: (usize, usize),
    }
    let mut reach: BTreeMap<&Node, Reach> = BTreeMap::new();
    for n in order {
        let scope = g.scope(n);
        let mut best = Reach {
            depth: scope.deepest.0,
            from_line: scope.deepest.1,
            end: (n.file(), scope.deepest.1),
        };
        for s in g.steps(n) {
            // Post-order: every successor is already known.
            if let Some(r) = reach.get(&s.to) {
                if s.added + r.depth > best.depth {
                    best = Reach {
                        depth: s.added + r.depth,
                        from_line: s.line,
                        end: r.end,
                    };
                }
            }
        }
        reach.insert(n, best);
    }
    let (n, r) = reach.into_iter().max_by_key(|(_, r)| r.depth)?;
    (r.depth > MAX_DEPTH).then(|| Problem {
        location: g.location(n.file(), r.from_line.max(1)),
        problem: format!(
            "rendering {} nests {} levels deep, more than the limit of {MAX_DEPTH} that keeps Tera within its stack (blocks, includes, macro calls, brackets and operators counted along the deepest path, which ends at {})",
            g.describe(n),
            r.depth,
            g.location(r.end.0, r.end.1.max(1))
        ),
        fix: "split long expressions with `{% set %}`, flatten nested blocks, or shorten the chain of includes and macro calls".into(),
    })
}

/// A template that includes, extends or imports a template the set does not have (Tera says
/// only "Template 'x' not found", without the file or line, and only when it renders).
fn missing_template(g: &Graph) -> Option<Problem> {
    let fix = "create the template in the templates folder (names are paths relative to it, with `/`), correct the name, or for an include write `ignore missing`";
    for (t, scanned) in g.scanned.iter().enumerate() {
        let scopes = std::iter::once(&scanned.body).chain(scanned.macros.values().map(|(_, s)| s));
        for scope in scopes {
            for e in &scope.edges {
                let (verb, wanted) = match &e.target {
                    Target::Include {
                        names,
                        ignore_missing: false,
                    } if !names.is_empty()
                        && names.iter().all(|n| !g.index.contains_key(n.as_str())) =>
                    {
                        ("includes", names.join("` or `"))
                    }
                    Target::Extends(p) if !g.index.contains_key(p.as_str()) => {
                        ("extends", p.clone())
                    }
                    _ => continue,
                };
                return Some(Problem {
                    location: g.location(t, e.line),
                    problem: format!(
                        "`{}` {verb} `{wanted}`, which is neither in the templates folder nor a built-in template",
                        g.name(t)
                    ),
                    fix: fix.into(),
                });
            }
        }
        for (file, _, line) in &scanned.imports {
            if !g.index.contains_key(file.as_str()) {
                return Some(Problem {
                    location: g.location(t, *line),
                    problem: format!(
                        "`{}` imports `{file}`, which is neither in the templates folder nor a built-in template",
                        g.name(t)
                    ),
                    fix: fix.into(),
                });
            }
        }
    }
    None
}

/// A call of a function gvc disables (reads the environment, clock or random numbers).
fn disabled_call(g: &Graph) -> Option<Problem> {
    g.scanned.iter().enumerate().find_map(|(t, s)| {
        s.disabled_calls.first().map(|(f, line)| Problem {
            location: g.location(t, *line),
            problem: format!(
                "`{f}()` is disabled in gvc templates for reproducibility: a report depends only on the spec and its data, never on the environment, clock or random numbers of the machine that renders it"
            ),
            fix: "put the value in the spec, e.g. in [study] description".into(),
        })
    })
}

/// Check a template set (see the module doc); `sources` hold every template of the set.
pub(crate) fn check(sources: &[Source<'_>]) -> Result<(), Problem> {
    let g = Graph::new(sources);
    if let Some(p) = missing_template(&g) {
        return Err(p);
    }
    if let Some(p) = disabled_call(&g) {
        return Err(p);
    }
    if let Some(p) = import_cycle(&g) {
        return Err(p);
    }
    let succ = |n: &Node| -> Vec<(Node, Step)> {
        g.steps(n).into_iter().map(|s| (s.to.clone(), s)).collect()
    };
    let order = post_order(&g.nodes(), succ).map_err(|cycle| cycle_problem(&g, &cycle))?;
    match depth_problem(&g, &order) {
        Some(p) => Err(p),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_set(templates: &[(String, String)]) -> Result<(), Problem> {
        let sources: Vec<Source> = templates
            .iter()
            .map(|(name, text)| Source {
                name,
                text,
                origin: format!("t/{name}"),
            })
            .collect();
        check(&sources)
    }

    fn problem(templates: &[(&str, &str)]) -> Problem {
        let owned: Vec<(String, String)> = templates
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        check_set(&owned).expect_err("refused")
    }

    #[test]
    fn missing_templates_and_disabled_functions_are_located() {
        let p = problem(&[("a", "x\n{% include \"parts/h.tera\" %}")]);
        assert_eq!(p.location, "t/a:2", "{p:?}");
        assert!(
            p.problem
                .contains("includes `parts/h.tera`, which is neither"),
            "{p:?}"
        );
        assert!(check_set(&[("a".into(), "{% include \"b\" ignore missing %}".into())]).is_ok());
        let p = problem(&[("a", "{% extends \"base\" %}")]);
        assert!(p.problem.contains("extends `base`"), "{p:?}");
        let p = problem(&[("a", "{% import \"m\" as m %}")]);
        assert!(p.problem.contains("imports `m`"), "{p:?}");
        let p = problem(&[("a", "\n\n{{ get_env(name=\"HOME\") }}")]);
        assert_eq!(p.location, "t/a:3", "{p:?}");
        assert!(p.problem.contains("`get_env()` is disabled"), "{p:?}");
        // A macro of that name in a namespace is not the disabled function.
        assert!(check_set(&[
            ("a".into(), "{% import \"m\" as m %}{{ m::now() }}".into()),
            ("m".into(), "{% macro now() %}x{% endmacro now %}".into()),
        ])
        .is_ok());
    }

    #[test]
    fn scanner_skips_comments_raw_and_strings() {
        let s = scan(
            "{# {% include \"x\" %} #}{%- raw -%}{{ {% include \"y\" %}{% endraw %}\n{{ \"a::b()\" }}\n{% include \"z\" %}",
        );
        assert_eq!(
            s.body.edges,
            vec![Edge {
                target: Target::Include {
                    names: vec!["z".into()],
                    ignore_missing: false
                },
                line: 3,
                nesting: 0
            }]
        );
    }

    #[test]
    fn scanner_finds_macros_imports_and_calls() {
        let s = scan(
            "{% import \"m.tera\" as m %}\n{% macro row(x, y=\"%}\") -%}\n{% if x %}{{ m::cell(v=x) }}{% endif %}\n{%- endmacro row %}{{ self::row(x=1) }}",
        );
        assert_eq!(s.imports, vec![("m.tera".into(), "m".into(), 1)]);
        let (line, body) = &s.macros["row"];
        assert_eq!(*line, 2);
        assert_eq!(
            body.edges,
            vec![Edge {
                target: Target::Call {
                    namespace: "m".into(),
                    name: "cell".into()
                },
                line: 3,
                nesting: 2
            }]
        );
        assert_eq!(s.body.edges.len(), 1);
    }

    #[test]
    fn legit_sets_pass() {
        let builtins: Vec<(String, String)> = crate::report::BUILTIN_TEMPLATES
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        assert_eq!(check_set(&builtins), Ok(()));
        let ok: Vec<(String, String)> = [
            ("base", "{% block body %}{% endblock %}{% include \"part\" %}"),
            (
                "child",
                "{% extends \"base\" %}{% import \"m\" as m %}{% block body %}{{ m::a() }}{% endblock %}",
            ),
            (
                "m",
                "{% macro a() %}{{ self::b() }}{% endmacro %}{% macro b() %}{% include \"part\" %}{% endmacro %}",
            ),
            ("part", "{% for x in [1, 2] %}{{ x + 1 }}{% endfor %}"),
        ]
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
        assert_eq!(check_set(&ok), Ok(()));
    }

    #[test]
    fn include_cycles_are_refused() {
        let p = problem(&[("a", "x\n{% include \"a\" %}")]);
        assert_eq!(p.location, "t/a:2");
        assert!(p.problem.contains("template `a` includes itself"), "{p:?}");
        let p = problem(&[
            ("a", "{% include \"b\" %}"),
            (
                "b",
                "\n\n{% if x %}{% include [\"none\", \"a\"] %}{% endif %}",
            ),
        ]);
        assert!(p.problem.starts_with("cycle"), "{p:?}");
        assert!(p.problem.contains("(t/b:3)"), "{p:?}");
        assert!(p.problem.contains("(t/a:1)"), "{p:?}");
    }

    #[test]
    fn recursive_macros_are_refused() {
        let p = problem(&[(
            "a",
            "{% macro f(n) %}\n{{ self::f(n=n - 1) }}{% endmacro %}",
        )]);
        assert_eq!(p.location, "t/a:2");
        assert!(p.problem.contains("macro `f` of `a` calls itself"), "{p:?}");
        assert!(p.fix.contains("for"), "{p:?}");
        let p = problem(&[
            ("a", "{% macro f() %}{{ b::g() }}{% endmacro %}"),
            ("b", "{% macro g() %}{{ a::f() }}{% endmacro %}"),
            (
                "c",
                "{% import \"a\" as a %}{% import \"b\" as b %}{{ a::f() }}",
            ),
        ]);
        assert!(p.problem.starts_with("cycle"), "{p:?}");
        assert!(p.problem.contains("macro `g` of `b`"), "{p:?}");
        let p = problem(&[
            ("a", "{% macro f() %}{% include \"b\" %}{% endmacro %}"),
            ("b", "{{ self::f() }}"),
        ]);
        assert!(p.problem.starts_with("cycle"), "{p:?}");
        assert!(p.fix.contains("remove one"), "{p:?}");
    }

    #[test]
    fn import_cycles_are_refused() {
        let p = problem(&[("a", "{% import \"a\" as m %}{% macro f() %}{% endmacro %}")]);
        assert!(p.problem.contains("`a` imports `a` (t/a:1)"), "{p:?}");
        let p = problem(&[
            ("a", "{% import \"b\" as m %}"),
            ("b", "\n{% import \"a\" as n %}"),
        ]);
        assert!(p.problem.contains("`b` imports `a` (t/b:2)"), "{p:?}");
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!(
            "{}x{}",
            "{% if true %}".repeat(200),
            "{% endif %}".repeat(200)
        );
        let p = problem(&[("a", &deep)]);
        assert!(p.problem.contains("more than the limit"), "{p:?}");
        let plus = format!("{{{{ 1{} }}}}", " + 1".repeat(200));
        assert!(problem(&[("a", &plus)]).problem.contains("limit"));
        // A chain of templates adds up.
        let chain: Vec<(String, String)> = (0..150)
            .map(|i| (format!("t{i}"), format!("{{% include \"t{}\" %}}", i + 1)))
            .chain(std::iter::once(("t150".to_string(), "end".to_string())))
            .collect();
        let p = check_set(&chain).expect_err("too deep");
        assert_eq!(p.location, "t/t0:1", "{p:?}");
        let mut short = chain[..100].to_vec();
        short.push(("t100".into(), "end".into()));
        assert!(check_set(&short).is_ok());
    }
}
