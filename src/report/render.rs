//! Tera: the built-in templates (embedded in the binary), user overrides from a templates
//! folder (a file at the same relative path shadows the built-in one; extra `.tera` files can
//! be included by the overrides), and tera errors mapped to [`ReportError::Template`] with the
//! template name, the variable concerned and the full source chain.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::path::Path;

use tera::Tera;

use super::ReportError;

/// The built-in templates: (name, text). The name is the path under `templates/`.
pub const BUILTIN_TEMPLATES: [(&str, &str); 6] = [
    (
        "report.md.tera",
        include_str!("../../templates/report.md.tera"),
    ),
    (
        "report.tex.tera",
        include_str!("../../templates/report.tex.tera"),
    ),
    (
        "table.md.tera",
        include_str!("../../templates/table.md.tera"),
    ),
    (
        "table.tex.tera",
        include_str!("../../templates/table.tex.tera"),
    ),
    (
        "figure.md.tera",
        include_str!("../../templates/figure.md.tera"),
    ),
    (
        "figure.tex.tera",
        include_str!("../../templates/figure.tex.tera"),
    ),
];

/// Every `*.tera` file under `dir` (recursively, sorted), keyed by its relative path with `/`.
fn read_user_templates(
    dir: &Path,
    prefix: &str,
    out: &mut BTreeMap<String, String>,
) -> Result<(), ReportError> {
    let read_err = |path: &Path, source: std::io::Error| ReportError::ReadTemplate {
        path: path.to_path_buf(),
        source,
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| read_err(dir, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| read_err(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type().map_err(|e| read_err(&path, e))?;
        if kind.is_dir() {
            read_user_templates(&path, &rel, out)?;
        } else if name.ends_with(".tera") {
            let text = std::fs::read_to_string(&path).map_err(|e| read_err(&path, e))?;
            out.insert(rel, text);
        }
    }
    Ok(())
}

/// The template set: built-ins, shadowed by the user's files of the same relative path.
pub(crate) fn load_templates(user_dir: Option<&Path>) -> Result<Tera, ReportError> {
    let mut all: BTreeMap<String, String> = BUILTIN_TEMPLATES
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    if let Some(dir) = user_dir {
        if !dir.is_dir() {
            return Err(ReportError::ReadTemplate {
                path: dir.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the templates folder does not exist",
                ),
            });
        }
        read_user_templates(dir, "", &mut all)?;
    }
    let mut tera = Tera::default();
    // Output is Markdown and LaTeX: escaping is done in Rust, never HTML autoescape.
    tera.autoescape_on(Vec::new());
    let names: Vec<String> = all.keys().cloned().collect();
    tera.add_raw_templates(all.into_iter().collect::<Vec<_>>())
        .map_err(|e| {
            let chain = error_chain(&e);
            let template = names
                .iter()
                .find(|n| {
                    chain
                        .iter()
                        .any(|m| m.contains(&format!("'{n}'")) || m.contains(&format!("\"{n}\"")))
                })
                .cloned()
                .unwrap_or_else(|| "templates".to_string());
            ReportError::Template {
                template,
                variable: None,
                chain,
            }
        })?;
    Ok(tera)
}

fn error_chain(e: &tera::Error) -> Vec<String> {
    let mut chain = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        chain.push(s.to_string());
        cur = s.source();
    }
    chain
}

/// The variable named in a tera message ("Variable `x.y` not found in context ...").
fn variable_in(chain: &[String]) -> Option<String> {
    chain.iter().find_map(|m| {
        let start = m.find("Variable `")? + "Variable `".len();
        let len = m[start..].find('`')?;
        Some(m[start..start + len].to_string())
    })
}

/// The innermost template named in a tera message ("... while rendering 'table.md.tera'").
fn innermost_template(chain: &[String]) -> Option<String> {
    chain.iter().rev().find_map(|m| {
        let key = "while rendering '";
        let start = m.find(key)? + key.len();
        let len = m[start..].find('\'')?;
        Some(m[start..start + len].to_string())
    })
}

/// Render one template with a context.
pub(crate) fn render_template(
    tera: &Tera,
    name: &str,
    context: &tera::Context,
) -> Result<String, ReportError> {
    tera.render(name, context).map_err(|e| {
        let chain = error_chain(&e);
        let template = match innermost_template(&chain) {
            Some(inner) if inner != name => format!("{name} (in {inner})"),
            _ => name.to_string(),
        };
        ReportError::Template {
            template,
            variable: variable_in(&chain),
            chain,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse() {
        assert!(load_templates(None).is_ok());
    }

    #[test]
    fn missing_variable_names_template_and_variable() {
        let mut tera = Tera::default();
        tera.add_raw_template("t.md.tera", "{{ nothing.here }}")
            .ok();
        let err = render_template(&tera, "t.md.tera", &tera::Context::new());
        match err {
            Err(ReportError::Template {
                template,
                variable,
                chain,
            }) => {
                assert_eq!(template, "t.md.tera");
                assert_eq!(variable.as_deref(), Some("nothing.here"));
                assert!(chain.len() >= 2, "{chain:?}");
            }
            other => panic!("expected a template error, got {other:?}"),
        }
    }
}
