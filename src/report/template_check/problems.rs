//! The problems a template set may have, each located at file:line with its fix: a missing
//! template, a disabled function, an import cycle, a rendering cycle, too deep a nesting.

use std::collections::BTreeMap;

use super::graph::{post_order, Graph, Node, Step};
use super::scan::Target;
use super::{Problem, MAX_DEPTH};

/// The import cycle of a set, if any (Tera loads imported macros recursively).
pub(super) fn import_cycle(g: &Graph) -> Option<Problem> {
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
pub(super) fn cycle_problem(g: &Graph, cycle: &[(Node, Step)]) -> Problem {
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
pub(super) fn depth_problem(g: &Graph, order: &[Node]) -> Option<Problem> {
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
pub(super) fn missing_template(g: &Graph) -> Option<Problem> {
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
pub(super) fn disabled_call(g: &Graph) -> Option<Problem> {
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
