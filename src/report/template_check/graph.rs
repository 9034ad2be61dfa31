//! The rendering graph of a template set (template bodies and macros, linked by includes,
//! extends and macro calls) and an iterative depth-first search that orders it or finds a
//! cycle.

use std::collections::BTreeMap;

use super::scan::{scan, Scanned, Scope, Target};
use super::Source;

/// A node of the rendering graph: a template body or a macro (template index, macro name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Node {
    Template(usize),
    Macro(usize, String),
}

impl Node {
    pub(super) fn file(&self) -> usize {
        match self {
            Node::Template(t) | Node::Macro(t, _) => *t,
        }
    }
}

/// A resolved reference: the node reached, the line of the reference, the depth added before
/// the target's own depth, and what the reference does ("includes `b`").
pub(super) struct Step {
    pub(super) to: Node,
    pub(super) line: usize,
    pub(super) added: usize,
    pub(super) what: String,
    /// The verb alone, for a node that reaches itself ("includes", "calls").
    pub(super) verb: &'static str,
}

pub(super) struct Graph<'a> {
    pub(super) sources: &'a [Source<'a>],
    pub(super) scanned: Vec<Scanned>,
    pub(super) index: BTreeMap<&'a str, usize>,
    /// Namespace → templates imported under it somewhere in the set.
    pub(super) imported_as: BTreeMap<String, Vec<usize>>,
}

impl<'a> Graph<'a> {
    pub(super) fn new(sources: &'a [Source<'a>]) -> Self {
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

    pub(super) fn name(&self, t: usize) -> &str {
        self.sources[t].name
    }

    pub(super) fn location(&self, t: usize, line: usize) -> String {
        format!("{}:{line}", self.sources[t].origin)
    }

    pub(super) fn describe(&self, n: &Node) -> String {
        match n {
            Node::Template(t) => format!("template `{}`", self.name(*t)),
            Node::Macro(t, m) => format!("macro `{m}` of `{}`", self.name(*t)),
        }
    }

    pub(super) fn scope(&self, n: &Node) -> &Scope {
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

    pub(super) fn steps(&self, n: &Node) -> Vec<Step> {
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

    pub(super) fn nodes(&self) -> Vec<Node> {
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
pub(super) fn post_order<N: Clone + Ord, S>(
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
