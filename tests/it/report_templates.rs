//! User templates folders that must be refused with the file, line and fix (issue #13):
//! include / extends / import cycles, recursive macros and nesting too deep for tera's stack
//! (each used to abort the process with a stack overflow), functions that read the machine,
//! and symlinks out of the folder; plus the legitimate uses that must keep working and the
//! list of files a folder contributes (`template_files`).

use std::path::{Path, PathBuf};

use crate::common::fresh_dir;

use gvc::report::{
    render, template_files, ReportError, ReportInput, DISABLED_FUNCTIONS, RANGE_LIMIT,
};

/// A report input with a title and notes only (no estimates needed to exercise templates).
fn input() -> ReportInput {
    serde_json::from_value(serde_json::json!({
        "title": "Template checks",
        "notes": ["first note", "second note"],
    }))
    .expect("minimal report input")
}

/// A templates folder holding `files` (relative path, text).
fn folder(tag: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = fresh_dir(tag);
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("dir");
        std::fs::write(p, text).expect("write template");
    }
    dir
}

fn file<'a>(files: &'a [(String, String)], path: &str) -> &'a str {
    files
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, c)| c.as_str())
        .unwrap_or_else(|| panic!("{path} not rendered"))
}

/// The structural error of rendering with `dir`, checked to name `file:line`.
fn refused(dir: &Path, file: &str, line: usize) -> (String, String) {
    match render(&input(), Some(dir)) {
        Err(ReportError::TemplateStructure {
            location,
            problem,
            fix,
        }) => {
            let expected = format!("{}:{line}", dir.join(file).display());
            assert_eq!(location, expected, "{problem}");
            (problem, fix)
        }
        other => panic!("expected a refused template set, got {other:?}"),
    }
}

#[test]
fn a_template_including_itself_is_refused() {
    let dir = folder(
        "tpl-self-include",
        &[(
            "report.md.tera",
            "# {{ title }}\n{% include \"report.md.tera\" %}\n",
        )],
    );
    let (problem, fix) = refused(&dir, "report.md.tera", 2);
    assert!(
        problem.contains("template `report.md.tera` includes itself"),
        "{problem}"
    );
    assert!(fix.contains("remove one"), "{fix}");
}

#[test]
fn an_include_cycle_through_other_templates_is_refused() {
    let dir = folder(
        "tpl-include-cycle",
        &[
            (
                "report.md.tera",
                "# {{ title }}\n{% include \"parts/a.tera\" %}",
            ),
            (
                "parts/a.tera",
                "A\n{% if notes %}{% include \"parts/b.tera\" %}{% endif %}",
            ),
            ("parts/b.tera", "B\n\n{% include \"parts/a.tera\" %}"),
        ],
    );
    let (problem, _) = refused(&dir, "parts/a.tera", 2);
    assert!(problem.starts_with("cycle:"), "{problem}");
    let b = format!("{}:3", dir.join("parts/b.tera").display());
    assert!(problem.contains(&b), "names the other end: {problem}");
}

#[test]
fn an_extends_cycle_is_refused() {
    // Tera catches a pure extends cycle; through an include it used to recurse forever.
    let dir = folder(
        "tpl-extends-cycle",
        &[
            ("report.md.tera", "{% include \"child.tera\" %}"),
            (
                "child.tera",
                "{% extends \"base.tera\" %}{% block b %}x{% endblock %}",
            ),
            (
                "base.tera",
                "{% block b %}{% endblock %}\n{% include \"child.tera\" %}",
            ),
        ],
    );
    let (problem, _) = refused(&dir, "base.tera", 2);
    assert!(problem.contains("extends `base.tera`"), "{problem}");
    let dir = folder(
        "tpl-extends-pure",
        &[
            ("report.md.tera", "{% extends \"b.tera\" %}"),
            ("b.tera", "{% extends \"report.md.tera\" %}"),
        ],
    );
    let (problem, _) = refused(&dir, "b.tera", 1);
    assert!(problem.starts_with("cycle:"), "{problem}");
}

#[test]
fn recursive_macros_are_refused() {
    let dir = folder(
        "tpl-macro-self",
        &[
            (
                "macros.tera",
                "{% macro countdown(n) %}{{ n }}\n{{ self::countdown(n=n - 1) }}{% endmacro %}",
            ),
            (
                "report.md.tera",
                "{% import \"macros.tera\" as m %}# {{ title }}\n{{ m::countdown(n=3) }}",
            ),
        ],
    );
    let (problem, fix) = refused(&dir, "macros.tera", 2);
    assert!(
        problem.contains("macro `countdown` of `macros.tera` calls itself"),
        "{problem}"
    );
    assert!(fix.contains("`{% for %}` loop"), "{fix}");
    let dir = folder(
        "tpl-macro-mutual",
        &[
            (
                "macros.tera",
                "{% macro ping() %}{{ self::pong() }}{% endmacro %}\n{% macro pong() %}{{ self::ping() }}{% endmacro %}",
            ),
            (
                "report.md.tera",
                "{% import \"macros.tera\" as m %}{{ m::ping() }}",
            ),
        ],
    );
    let (problem, _) = refused(&dir, "macros.tera", 1);
    assert!(problem.contains("macro `pong`"), "{problem}");
}

#[test]
fn an_import_cycle_is_refused() {
    let dir = folder(
        "tpl-import-cycle",
        &[
            (
                "a.tera",
                "{% import \"b.tera\" as b %}{% macro f() %}a{% endmacro %}",
            ),
            (
                "b.tera",
                "{% import \"a.tera\" as a %}{% macro g() %}b{% endmacro %}",
            ),
            ("report.md.tera", "{% import \"a.tera\" as a %}{{ a::f() }}"),
        ],
    );
    let (problem, fix) = refused(&dir, "a.tera", 1);
    assert!(problem.starts_with("import cycle"), "{problem}");
    assert!(fix.contains("imports nothing"), "{fix}");
}

#[test]
fn nesting_too_deep_for_the_stack_is_refused() {
    // 2,000 nested `if`s overflowed tera's stack; now the set is refused before parsing.
    let deep = format!(
        "# {{{{ title }}}}\n{}x{}",
        "{% if true %}".repeat(2000),
        "{% endif %}".repeat(2000)
    );
    let dir = folder("tpl-deep", &[("report.md.tera", &deep)]);
    let (problem, fix) = refused(&dir, "report.md.tera", 2);
    assert!(problem.contains("more than the limit of 128"), "{problem}");
    assert!(fix.contains("flatten"), "{fix}");
    let long = format!("{{{{ 1{} }}}}", " + 1".repeat(5000));
    let dir = folder("tpl-long-expr", &[("report.md.tera", &long)]);
    refused(&dir, "report.md.tera", 1);
}

#[test]
fn non_recursive_macros_includes_and_inheritance_keep_working() {
    let dir = folder(
        "tpl-legit",
        &[
            (
                "macros.tera",
                "{% macro item(text) %}- {{ text }}{% endmacro %}\n{% macro list(items) %}{% for i in items %}{{ self::item(text=i) }}\n{% endfor %}{% endmacro %}",
            ),
            (
                "base.tera",
                "# {{ title }}\n{% block body %}{% endblock %}\n{% include \"footer.tera\" %}",
            ),
            ("footer.tera", "-- end --"),
            (
                "report.md.tera",
                "{% extends \"base.tera\" %}{% import \"macros.tera\" as m %}{% block body %}{{ m::list(items=notes) }}{% endblock %}",
            ),
            (
                "report.tex.tera",
                "{% raw %}{% include \"report.tex.tera\" %}{% endraw %}{# {% include \"report.tex.tera\" %} #}",
            ),
        ],
    );
    let files = render(&input(), Some(&dir)).expect("legit templates render");
    assert_eq!(
        file(&files, "report.md"),
        "# Template checks\n- first note\n- second note\n\n-- end --"
    );
    assert_eq!(
        file(&files, "report.tex"),
        "{% include \"report.tex.tera\" %}"
    );
}

#[test]
fn functions_reading_the_machine_are_disabled() {
    std::env::set_var("GVC_TEMPLATE_SECRET", "leaked");
    for (function, call) in [
        ("get_env", "get_env(name=\"GVC_TEMPLATE_SECRET\")"),
        ("now", "now()"),
        ("get_random", "get_random(end=10)"),
    ] {
        assert!(DISABLED_FUNCTIONS.contains(&function));
        let text = format!("# {{{{ title }}}}\n{{{{ {call} }}}}\n");
        let dir = folder(&format!("tpl-{function}"), &[("report.md.tera", &text)]);
        let err = render(&input(), Some(&dir)).expect_err("disabled");
        let msg = err.to_string();
        // Found when the set is loaded, before anything renders, at the line of the call.
        assert!(
            matches!(&err, ReportError::TemplateStructure { location, .. } if location.ends_with("report.md.tera:2")),
            "{msg}"
        );
        assert!(
            msg.contains(&format!(
                "`{function}()` is disabled in gvc templates for reproducibility"
            )),
            "{msg}"
        );
        assert!(!msg.contains("leaked"), "{msg}");
    }
}

#[test]
fn range_is_bounded() {
    // Tera's range collects every number first: a huge `end` exhausted memory and
    // `step_by=0` never ended.
    let ok = folder(
        "tpl-range-ok",
        &[(
            "report.md.tera",
            "{% for i in range(start=1, end=8, step_by=3) %}{{ i }},{% endfor %}{{ range(end=100000) | length }}",
        )],
    );
    let files = render(&input(), Some(&ok)).expect("a bounded range renders");
    assert_eq!(file(&files, "report.md"), "1,4,7,100000");
    for (call, expected) in [
        (
            "range(end=100001)",
            format!("would produce 100001 numbers, more than gvc's limit of {RANGE_LIMIT}"),
        ),
        ("range(end=5, step_by=0)", "would never end".to_string()),
        ("range(start=5, end=2)", "greater than end=2".to_string()),
    ] {
        let text = format!("{{{{ {call} | length }}}}");
        let dir = folder("tpl-range-bad", &[("report.md.tera", &text)]);
        let err = render(&input(), Some(&dir)).expect_err(call);
        let msg = err.to_string();
        assert!(msg.contains(&expected), "{call}: {msg}");
        assert!(msg.contains("report.md.tera"), "{msg}");
    }
}

#[cfg(unix)]
#[test]
fn symlinks_must_stay_inside_the_templates_folder() {
    use std::os::unix::fs::symlink;
    let outside = folder("tpl-outside", &[("secret.tera", "SECRET {{ title }}")]);
    let dir = folder(
        "tpl-links",
        &[("shared/table.tera", "T{{ table.number }}\n")],
    );
    // Inside the folder: fine, read through the link.
    symlink(dir.join("shared/table.tera"), dir.join("table.md.tera")).expect("link");
    symlink("shared", dir.join("also")).expect("dir link");
    let files = render(&input(), Some(&dir)).expect("links inside render");
    assert!(file(&files, "report.md").starts_with("# Template checks"));
    let listed = template_files(&dir).expect("list");
    let names: Vec<&str> = listed.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["also/table.tera", "shared/table.tera", "table.md.tera"]
    );
    let real = std::fs::canonicalize(dir.join("shared/table.tera")).expect("real path");
    assert!(listed.iter().all(|f| f.path_resolved == real), "{listed:?}");

    // Outside: refused, naming the link and its target.
    symlink(outside.join("secret.tera"), dir.join("report.md.tera")).expect("link");
    let err = render(&input(), Some(&dir)).expect_err("link outside");
    let msg = err.to_string();
    match &err {
        ReportError::TemplateLink { link, target, .. } => {
            assert_eq!(link, &dir.join("report.md.tera"));
            assert_eq!(
                target,
                &std::fs::canonicalize(outside.join("secret.tera")).expect("real")
            );
        }
        other => panic!("expected a link error, got {other:?}"),
    }
    assert!(msg.contains("outside the templates folder"), "{msg}");
    assert!(msg.contains("fix: copy the file"), "{msg}");
    assert!(template_files(&dir).is_err());
    std::fs::remove_file(dir.join("report.md.tera")).expect("unlink");

    // A linked folder outside, and a link to nothing.
    symlink(&outside, dir.join("elsewhere")).expect("dir link");
    let err = render(&input(), Some(&dir)).expect_err("folder link outside");
    assert!(
        matches!(&err, ReportError::TemplateLink { link, .. } if link == &dir.join("elsewhere")),
        "{err}"
    );
    std::fs::remove_file(dir.join("elsewhere")).expect("unlink");
    symlink(dir.join("missing.tera"), dir.join("figure.md.tera")).expect("link");
    let err = render(&input(), Some(&dir)).expect_err("dangling link");
    assert!(err.to_string().contains("which does not exist"), "{err}");
}

#[test]
fn template_files_lists_exactly_what_is_read() {
    let dir = folder(
        "tpl-list",
        &[
            ("report.md.tera", "R {{ title }}"),
            ("notes.txt", "not a template"),
            ("sub/part.tera", "P"),
        ],
    );
    let listed = template_files(&dir).expect("list");
    let got: Vec<(&str, PathBuf)> = listed
        .iter()
        .map(|f| (f.name.as_str(), f.path_resolved.clone()))
        .collect();
    let canon = |p: &str| std::fs::canonicalize(dir.join(p)).expect("canonical");
    assert_eq!(
        got,
        vec![
            ("report.md.tera", canon("report.md.tera")),
            ("sub/part.tera", canon("sub/part.tera")),
        ]
    );
    let files = render(&input(), Some(&dir)).expect("render");
    assert_eq!(file(&files, "report.md"), "R Template checks");
    let err = template_files(&dir.join("absent")).expect_err("missing folder");
    assert!(matches!(err, ReportError::ReadTemplate { .. }), "{err}");
}
