//! Located diagnostics: every spec problem names its place (file:line:column) and the fix.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A place in a spec: the file and the 1-based line and column of a key or value, or a
/// command-line override (`--set key=value`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Loc {
    File {
        file: Arc<PathBuf>,
        line: usize,
        column: usize,
    },
    Override(String),
}

impl Loc {
    /// The spec file this location belongs to, if any.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Loc::File { file, .. } => Some(file.as_path()),
            Loc::Override(_) => None,
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loc::File { file, line, column } => {
                write!(f, "{}:{}:{}", file.display(), line, column)
            }
            Loc::Override(text) => write!(f, "--set {text}"),
        }
    }
}

/// One problem found in a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub loc: Option<Loc>,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(loc: Option<Loc>, message: impl Into<String>) -> Self {
        Diagnostic {
            loc,
            message: message.into(),
            help: None,
        }
    }

    pub fn at(loc: &Loc, message: impl Into<String>) -> Self {
        Diagnostic::new(Some(loc.clone()), message)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.loc {
            Some(loc) => write!(f, "{loc}: error: {}", self.message)?,
            None => write!(f, "error: {}", self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Every problem found while loading and validating a spec, reported together.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        if !self.0.contains(&d) {
            self.0.push(d);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        for d in other.0 {
            self.push(d);
        }
    }

    /// Orders problems by place so the report reads top to bottom through each file.
    pub fn sorted(mut self) -> Self {
        self.0
            .sort_by(|a, b| a.loc.cmp(&b.loc).then(a.message.cmp(&b.message)));
        self
    }

    /// `Ok(())` when nothing was found, else the collected problems.
    pub fn into_result(self) -> Result<(), Diagnostics> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.sorted())
        }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        let n = self.0.len();
        write!(
            f,
            "{n} problem{} found in the spec",
            if n == 1 { "" } else { "s" }
        )
    }
}

/// The candidates closest to `word` (case-insensitive Levenshtein distance, `strsim`, within a
/// third of its length, at least 2), best first, at most three.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let lower = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// "did you mean `a`?" / "did you mean one of `a`, `b`?" or a list of what is valid.
pub fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    let near = nearest(word, candidates.iter().copied());
    match near.as_slice() {
        [] => format!("valid: {}", quote_list(candidates)),
        [one] => format!("did you mean `{one}`?"),
        many => format!("did you mean one of {}?", quote_list(many)),
    }
}

/// `a`, `b`, `c` — a list of names in backticks.
pub fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_ranks_by_edit_distance() {
        // kitten → sitting is 3 edits, mitten 1, bitten 1: ties in name order, limit 2.
        assert_eq!(
            nearest("kitten", ["sitting", "mitten", "bitten", "kit"]),
            vec!["bitten", "mitten"]
        );
        assert_eq!(
            nearest("Tariff", ["tarif", "tariffs"]),
            vec!["tarif", "tariffs"]
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("depndent", &["dependent", "regressors"]),
            "did you mean `dependent`?"
        );
        assert!(did_you_mean("zzzzzz", &["a", "b"]).starts_with("valid:"));
    }
}
