//! Paths written in a spec: `${VAR:-default}` expansion, the folder a relative path is taken
//! from (the writing spec file's, or the current folder for `--set`), and absolute paths for
//! messages and for `study.output`.

use std::path::{Path, PathBuf};

use crate::spec::diag::Loc;
use crate::spec::types::At;

/// Expands `${VAR}` and `${VAR:-default}` from the environment (an unset or empty variable
/// takes the default), so a spec can say `path = "${GVC_DATA:-../data}/wiod"`.
pub fn expand_env(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, d),
            None => (inner, ""),
        };
        match std::env::var(name) {
            Ok(v) if !v.is_empty() => out.push_str(&v),
            _ => out.push_str(default),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Resolves a path written in a spec (after expanding `${VAR:-default}`): a relative path
/// written in a spec file is relative to the folder of that file; one given on the command
/// line (`--set key=path`) is relative to the current folder, as a shell user expects.
pub fn resolve_path(raw: &str, loc: &Loc) -> PathBuf {
    let p = PathBuf::from(expand_env(raw));
    if p.is_absolute() {
        return p;
    }
    path_base(loc).0.join(p)
}

/// The folder a relative path written at `loc` is resolved against, and how to say so in a
/// message: the folder of the spec file that writes it, or the current folder for `--set`.
pub fn path_base(loc: &Loc) -> (PathBuf, String) {
    match loc {
        Loc::File { file, .. } => {
            let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
            let name = file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            (dir, format!("the folder of {name}, which writes it"))
        }
        Loc::Override(_) => (
            std::env::current_dir().unwrap_or_default(),
            "the current folder, as for every `--set` value".into(),
        ),
    }
}

/// `p` made absolute against the current folder, `.` and `dir/..` dropped lexically, so a
/// message says exactly where.
pub fn absolute(p: &Path) -> PathBuf {
    let abs = std::env::current_dir().map_or_else(|_| p.to_path_buf(), |cwd| cwd.join(p));
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `study.output`: written in the spec itself it stays as written (the run resolves it
/// against the spec's folder); written in an `extends` parent or on the command line it is
/// resolved by [`resolve_path`]'s rule and made absolute, so the run finds the same folder.
pub(super) fn output_folder(output: At<String>, top: &Path) -> String {
    if output.loc.file() == Some(top) {
        return output.value;
    }
    absolute(&resolve_path(&output.value, &output.loc))
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_paths_are_relative_to_the_current_folder() {
        let cwd = std::env::current_dir().unwrap();
        let set = Loc::Override("sources.x.path=data".into());
        assert_eq!(resolve_path("data", &set), cwd.join("data"));
        let file = Loc::File {
            file: std::sync::Arc::new(PathBuf::from("studies/a/spec.toml")),
            line: 1,
            column: 1,
        };
        assert_eq!(resolve_path("data", &file), PathBuf::from("studies/a/data"));
        assert_eq!(resolve_path("/abs", &set), PathBuf::from("/abs"));
        // `study.output` from the command line or a parent is made absolute; from the spec
        // itself it stays as written (the run joins it to the spec's folder).
        let top = Path::new("studies/b/spec.toml");
        assert_eq!(
            output_folder(At::new("out".into(), set), top),
            cwd.join("out").to_string_lossy()
        );
        assert_eq!(
            output_folder(At::new("out".into(), file), top),
            cwd.join("studies/a/out").to_string_lossy()
        );
        let own = Loc::File {
            file: std::sync::Arc::new(top.to_path_buf()),
            line: 2,
            column: 1,
        };
        assert_eq!(output_folder(At::new("out".into(), own), top), "out");
    }
}
