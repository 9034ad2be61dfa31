//! Imports point one way (DESIGN.md §4): cli → engine → {report, diff, panel, spec,
//! multiverse} →
//! {sources, decompose, estimate} → iot, with `choice` (closed choices) and `rng` (the one generator) below everything and
//! `bench` beside `engine`. A module may use its own layer and the layers below it; within a
//! layer, imports may not form a cycle. This test reads every source file (comments left out)
//! and fails on each `crate::<module>` path that points up, naming the file and line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Rank of each top-level module: lower ranks may import higher ones, never the reverse.
const LAYERS: &[(&str, u32)] = &[
    ("cli", 0),
    ("main", 0),
    ("package", 1),
    ("engine", 1),
    ("bench", 1),
    ("report", 2),
    ("diff", 2),
    ("multiverse", 2),
    ("panel", 2),
    ("spec", 2),
    ("sources", 3),
    ("decompose", 3),
    ("estimate", 3),
    ("iot", 4),
    ("choice", 5),
    ("rng", 5),
];

fn rank(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file of `src/` belongs to.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Every `crate::<module>` a line of code names (string literals and comments left out).
fn crate_paths(line: &str) -> Vec<String> {
    let code = match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    };
    let mut out = Vec::new();
    let mut in_str = false;
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'"' && (i == 0 || bytes[i - 1] != b'\\') {
            in_str = !in_str;
        }
        if !in_str && bytes[i..].starts_with(b"crate::") {
            let rest = &code[i + 7..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
            i += 7;
            continue;
        }
        i += 1;
    }
    out
}

#[test]
fn imports_point_down_the_layers() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut upward = Vec::new();
    let mut same_layer: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let from = module_of(&src, file);
        if from == "lib" {
            continue;
        }
        let from_rank = rank(&from).unwrap_or_else(|| {
            panic!(
                "{}: module `{from}` has no layer in tests/layers.rs",
                file.display()
            )
        });
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") {
                continue;
            }
            for to in crate_paths(line) {
                if to == from {
                    continue;
                }
                let Some(to_rank) = rank(&to) else {
                    continue; // a macro or re-export at the crate root
                };
                if to_rank < from_rank {
                    upward.push(format!(
                        "{}:{}: `{from}` (layer {from_rank}) imports `{to}` (layer {to_rank})",
                        file.strip_prefix(&src).unwrap().display(),
                        n + 1
                    ));
                } else if to_rank == from_rank {
                    same_layer.entry(from.clone()).or_default().insert(to);
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that point up the layers:\n{}",
        upward.join("\n")
    );
    for (a, targets) in &same_layer {
        for b in targets {
            assert!(
                !same_layer.get(b).is_some_and(|t| t.contains(a)),
                "`{a}` and `{b}` import each other"
            );
        }
    }
}

#[test]
fn the_checker_sees_an_upward_import() {
    assert_eq!(crate_paths("use crate::cli::error_chain;"), vec!["cli"]);
    assert!(crate_paths("// see crate::cli").is_empty());
    assert!(crate_paths(r#"let s = "crate::cli";"#).is_empty());
    assert!(rank("engine").unwrap() < rank("iot").unwrap());
}
