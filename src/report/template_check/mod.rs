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

mod graph;
mod lexer;
mod problems;
mod scan;

pub(crate) use lexer::line_of_word;

use graph::{post_order, Graph, Node, Step};
use problems::{cycle_problem, depth_problem, disabled_call, import_cycle, missing_template};

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
    use super::scan::{scan, Edge, Target};
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
