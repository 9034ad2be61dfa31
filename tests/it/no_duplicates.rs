//! Guards against the duplicates issue #14 removed coming back: one Levenshtein (the `strsim`
//! crate), one JSON diff (in `diff`), one Stata percentile (in `estimate`), one parser of the
//! time-series operators `L.`/`F.`/`D.`/`S.` (in `estimate`). Each check names the files that
//! hold a second copy.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, with its text.
fn sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read source");
                out.push((path, text));
            }
        }
    }
    out.sort();
    out
}

/// Files whose text contains `needle`, relative to the crate.
fn files_with(needle: &str) -> Vec<String> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    sources()
        .into_iter()
        .filter(|(_, text)| text.contains(needle))
        .map(|(p, _)| p.strip_prefix(base).unwrap_or(&p).display().to_string())
        .collect()
}

#[test]
fn levenshtein_comes_from_strsim() {
    for needle in ["fn levenshtein(", "fn edit_distance("] {
        assert_eq!(files_with(needle), Vec::<String>::new(), "{needle}");
    }
    assert!(files_with("strsim::levenshtein").len() >= 2);
}

#[test]
fn one_json_diff_in_the_diff_module() {
    assert_eq!(files_with("fn json_diff("), Vec::<String>::new());
    assert_eq!(
        files_with("crate::diff::changed_keys"),
        vec!["src/engine/status.rs"]
    );
}

#[test]
fn one_stata_percentile_and_one_operator_parser() {
    assert_eq!(
        files_with("fn stata_percentile("),
        vec!["src/estimate/stats.rs"]
    );
    // The operator letters are matched in one place only.
    assert_eq!(files_with("'L' =>"), vec!["src/estimate/operators.rs"]);
    assert_eq!(files_with("\"LFD\""), Vec::<String>::new());
}
