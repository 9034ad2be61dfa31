//! Tera: the built-in templates (embedded in the binary), user overrides from a templates
//! folder (a file at the same relative path shadows the built-in one; extra `.tera` files can
//! be included by the overrides), the checks a template set passes before tera sees it
//! (`template_check`), the functions disabled for reproducibility, the thread templates
//! render on, and tera errors mapped to [`ReportError::Template`] with the template name, the
//! variable concerned and the full source chain.
//!
//! [`template_files`] decides which files of a templates folder are read: rendering reads
//! exactly those, and the engine keys the report stage on their bytes.

use std::collections::{BTreeMap, HashMap};
use std::error::Error as _;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use tera::Tera;
use walkdir::WalkDir;

use super::error::ReportError;
use super::format::BUILTIN_TEMPLATES;
use super::template_check::{self, Source};

/// A template file of a user templates folder: what [`template_files`] lists and rendering
/// reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFile {
    /// Template name: the path relative to the folder, with `/` (shadows the built-in
    /// template of the same name, see [`BUILTIN_TEMPLATES`]).
    pub name: String,
    /// Where the bytes are: the file's canonical path (symlinks resolved), inside the folder.
    pub path_resolved: PathBuf,
}

/// Every `*.tera` file under `dir` (recursively, sorted by name), resolved: exactly the files
/// rendering reads, so a cache key over their bytes covers everything a report depends on.
/// Symlinks are followed when they stay inside the folder; one that points outside it (or
/// nowhere) is an error naming the link and its target.
pub fn template_files(dir: &Path) -> Result<Vec<TemplateFile>, ReportError> {
    let read_err = |path: &Path, source: std::io::Error| ReportError::ReadTemplate {
        path: path.to_path_buf(),
        source,
    };
    if !dir.is_dir() {
        return Err(read_err(
            dir,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the templates folder does not exist",
            ),
        ));
    }
    let root = std::fs::canonicalize(dir).map_err(|e| read_err(dir, e))?;
    let dangling = |link: &Path| {
        std::fs::read_link(link)
            .ok()
            .map(|target| ReportError::TemplateLink {
                link: link.to_path_buf(),
                target,
                problem: "which does not exist".into(),
                fix: "remove the link or point it at a file inside the templates folder",
            })
    };
    let mut out = Vec::new();
    // Links are followed (walkdir reports a loop as an error) once their target is checked.
    for entry in WalkDir::new(dir).follow_links(true).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_path_buf();
            dangling(&path).unwrap_or_else(|| read_err(&path, e.into()))
        })?;
        let path = entry.path();
        let is_file = entry.file_type().is_file();
        if !entry.path_is_symlink() && !is_file {
            continue;
        }
        let resolved = std::fs::canonicalize(path)
            .map_err(|e| dangling(path).unwrap_or_else(|| read_err(path, e)))?;
        if !resolved.starts_with(&root) {
            return Err(ReportError::TemplateLink {
                link: path.to_path_buf(),
                target: resolved,
                problem: format!("outside the templates folder {}", root.display()),
                fix: "copy the file into the templates folder instead of linking to it",
            });
        }
        if !is_file || path.extension() != Some(OsStr::new("tera")) {
            continue;
        }
        let rel = path.strip_prefix(dir).unwrap_or(path);
        let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
        let name = parts.map(|p| p.join("/")).ok_or_else(|| {
            read_err(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the file name is not valid UTF-8; rename it",
                ),
            )
        })?;
        out.push(TemplateFile {
            name,
            path_resolved: resolved,
        });
    }
    Ok(out)
}

/// One template of the set to load: name, text, and how errors name its file.
struct Loaded {
    name: String,
    text: String,
    origin: String,
}

/// The template set: built-ins, shadowed by the user's files of the same relative path.
fn template_set(user_dir: Option<&Path>) -> Result<Vec<Loaded>, ReportError> {
    let mut all: BTreeMap<String, Loaded> = BUILTIN_TEMPLATES
        .iter()
        .map(|(n, t)| {
            let loaded = Loaded {
                name: n.to_string(),
                text: t.to_string(),
                origin: format!("built-in template {n}"),
            };
            (n.to_string(), loaded)
        })
        .collect();
    if let Some(dir) = user_dir {
        for f in template_files(dir)? {
            let bytes =
                std::fs::read(&f.path_resolved).map_err(|source| ReportError::ReadTemplate {
                    path: dir.join(&f.name),
                    source,
                })?;
            let origin = dir.join(&f.name).display().to_string();
            let text = String::from_utf8(bytes).map_err(|e| {
                let at = e.utf8_error().valid_up_to();
                let before = &e.as_bytes()[..at];
                let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
                let start = before
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
                ReportError::NotUtf8 {
                    location: format!("{origin}:{line}:{column}"),
                    byte: e.as_bytes()[at],
                }
            })?;
            all.insert(
                f.name.clone(),
                Loaded {
                    name: f.name,
                    text,
                    origin,
                },
            );
        }
    }
    Ok(all.into_values().collect())
}

/// Tera functions that read the machine (environment, clock, random numbers): `get_env` is
/// always registered by tera 1.20; `now` and `get_random` only with its `builtins` feature
/// (off here, but any crate in the build could switch it on). No tera filter or test reads
/// the machine (`date` formats the value it is given), and none reads files: `include`,
/// `import` and `extends` only reach templates of the loaded set.
pub const DISABLED_FUNCTIONS: [&str; 3] = ["get_env", "now", "get_random"];

/// Register over a function that would make the output depend on the machine.
fn disable(tera: &mut Tera, name: &'static str) {
    tera.register_function(name, move |_: &HashMap<String, tera::Value>| {
        Err(tera::Error::msg(format!(
            "`{name}()` is disabled in gvc templates for reproducibility: a report depends only on the spec and its data, never on the environment, clock or random numbers of the machine that renders it (fix: put the value in the spec, e.g. in [study] description or notes)"
        )))
    });
}

/// Most numbers `range()` may produce. Tera's own `range` collects every number first, so
/// `range(end=10000000000)` exhausts memory and `step_by=0` never ends; a table has tens of
/// columns.
pub const RANGE_LIMIT: usize = 100_000;

/// A `usize` argument of `range` (tera's rule: a non-negative integer), or its default.
fn range_arg(
    args: &HashMap<String, tera::Value>,
    name: &str,
    default: Option<usize>,
) -> tera::Result<usize> {
    match args.get(name) {
        Some(v) => tera::from_value::<usize>(v.clone()).map_err(|_| {
            tera::Error::msg(format!(
                "`range()` received {name}={v}, but `{name}` must be a non-negative integer"
            ))
        }),
        None => default.ok_or_else(|| tera::Error::msg(format!("`range()` needs `{name}`"))),
    }
}

/// Tera's `range(start=0, end, step_by=1)` (the numbers from `start` up to, not including,
/// `end`), refusing a zero step and more than [`RANGE_LIMIT`] numbers.
fn bounded_range(args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let start = range_arg(args, "start", Some(0))?;
    let end = range_arg(args, "end", None)?;
    let step = range_arg(args, "step_by", Some(1))?;
    if start > end {
        return Err(tera::Error::msg(format!(
            "`range()` received start={start} greater than end={end}"
        )));
    }
    if step == 0 {
        return Err(tera::Error::msg(
            "`range(step_by=0)` would never end (fix: step_by must be 1 or more)",
        ));
    }
    let count = (end - start).div_ceil(step);
    if count > RANGE_LIMIT {
        return Err(tera::Error::msg(format!(
            "`range()` would produce {count} numbers, more than gvc's limit of {RANGE_LIMIT} (fix: loop over the data in the context instead)"
        )));
    }
    Ok(tera::to_value(
        (start..end).step_by(step).collect::<Vec<usize>>(),
    )?)
}

/// A loaded template set: the parsed templates, and each template's file (for errors) and
/// text (to find the line a render error concerns).
pub(crate) struct Templates {
    tera: Tera,
    /// Name → (how errors name its file, text).
    sources: BTreeMap<String, (String, String)>,
}

/// Checks a template set without rendering it: what [`load_templates`] refuses (cycles,
/// recursion, depth, templates that are missing, disabled functions, syntax errors) is found
/// when the plan is made, so `gvc check` reports it before any stage runs.
pub fn check_templates(user_dir: Option<&Path>) -> Result<(), ReportError> {
    load_templates(user_dir).map(|_| ())
}

/// A tera syntax error (pest's ` --> line:col` and `= message`) as a located problem.
fn syntax_error(chain: &[String], origin: &str) -> Option<ReportError> {
    let text = chain.iter().find(|m| m.contains(" --> "))?;
    let pos = text.split(" --> ").nth(1)?.lines().next()?.trim();
    let (line, column) = pos.split_once(':')?;
    let message = text
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("= "))
        .unwrap_or("syntax error");
    Some(ReportError::TemplateStructure {
        location: format!("{origin}:{}:{}", line.trim(), column.trim()),
        problem: format!("syntax error: {message}"),
        fix: "correct the tag (Tera syntax: https://keats.github.io/tera/docs/)".into(),
    })
}

/// Load and check the template set: built-ins shadowed by the user's files, refused when it
/// could never finish rendering or nests too deeply (`template_check`), parsed by tera with
/// the machine-reading functions disabled and `range` bounded.
pub(crate) fn load_templates(user_dir: Option<&Path>) -> Result<Templates, ReportError> {
    let set = template_set(user_dir)?;
    let sources: Vec<Source> = set
        .iter()
        .map(|t| Source {
            name: &t.name,
            text: &t.text,
            origin: t.origin.clone(),
        })
        .collect();
    template_check::check(&sources).map_err(|p| ReportError::TemplateStructure {
        location: p.location,
        problem: p.problem,
        fix: p.fix,
    })?;
    let mut tera = Tera::default();
    // Escaping (Markdown, LaTeX, HTML) is done in Rust for each format, never by autoescape.
    tera.autoescape_on(Vec::new());
    for name in DISABLED_FUNCTIONS {
        disable(&mut tera, name);
    }
    tera.register_function("range", bounded_range);
    let sources: BTreeMap<String, (String, String)> = set
        .iter()
        .map(|t| (t.name.clone(), (t.origin.clone(), t.text.clone())))
        .collect();
    tera.add_raw_templates(set.into_iter().map(|t| (t.name, t.text)))
        .map_err(|e| {
            let chain = error_chain(&e);
            let template = sources
                .keys()
                .find(|n| {
                    chain
                        .iter()
                        .any(|m| m.contains(&format!("'{n}'")) || m.contains(&format!("\"{n}\"")))
                })
                .cloned()
                .unwrap_or_else(|| "templates".to_string());
            let origin = sources
                .get(&template)
                .map_or(template.as_str(), |s| s.0.as_str());
            syntax_error(&chain, origin).unwrap_or(ReportError::Template {
                template,
                location: None,
                variable: None,
                chain,
            })
        })?;
    Ok(Templates { tera, sources })
}

/// Stack of the thread that parses and renders templates. Tera recurses once per nesting
/// level; `template_check::MAX_DEPTH` bounds the levels, and this stack (address space,
/// committed only as used) holds that many hundreds of times over in release and debug
/// builds, whatever thread the caller runs on.
const RENDER_STACK: usize = 64 << 20;

/// Run `work` on a thread with [`RENDER_STACK`] (a panic in it is re-raised here).
pub(crate) fn on_render_thread<T: Send>(
    work: impl FnOnce() -> Result<T, ReportError> + Send,
) -> Result<T, ReportError> {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("gvc-report-render".into())
            .stack_size(RENDER_STACK)
            .spawn_scoped(s, work)
            .map_err(ReportError::RenderThread)?;
        handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
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

/// What a render error names that its template's text shows: the variable (its first
/// segment), the filter or the function.
fn culprit(chain: &[String]) -> Option<(String, bool)> {
    if let Some(v) = variable_in(chain) {
        return Some((v, false));
    }
    let quoted = |key: &str| {
        chain.iter().find_map(|m| {
            let start = m.find(key)? + key.len();
            let len = m[start..].find('\'')?;
            Some(m[start..start + len].to_string())
        })
    };
    quoted("Filter '")
        .map(|f| (f, true))
        .or_else(|| quoted("Function call '").map(|f| (f, false)))
}

/// Render one template with a context.
pub(crate) fn render_template(
    t: &Templates,
    name: &str,
    context: &tera::Context,
) -> Result<String, ReportError> {
    t.tera.render(name, context).map_err(|e| {
        let chain = error_chain(&e);
        let inner = innermost_template(&chain).unwrap_or_else(|| name.to_string());
        let template = if inner != name {
            format!("{name} (in {inner})")
        } else {
            name.to_string()
        };
        let location = culprit(&chain).and_then(|(word, after_pipe)| {
            let (origin, text) = t.sources.get(&inner)?;
            let line = template_check::line_of_word(text, &word, after_pipe)?;
            Some(format!("{origin}:{line}"))
        });
        ReportError::Template {
            template,
            location,
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

    fn one_template(text: &str) -> Templates {
        let mut tera = Tera::default();
        tera.add_raw_template("t.md.tera", text).ok();
        let sources = BTreeMap::from([(
            "t.md.tera".to_string(),
            ("t/t.md.tera".to_string(), text.to_string()),
        )]);
        Templates { tera, sources }
    }

    #[test]
    fn missing_variable_names_template_variable_and_line() {
        let t = one_template("# x\n\n{{ nothing.here }}");
        let err = render_template(&t, "t.md.tera", &tera::Context::new());
        match err {
            Err(ReportError::Template {
                template,
                location,
                variable,
                chain,
            }) => {
                assert_eq!(template, "t.md.tera");
                assert_eq!(location.as_deref(), Some("t/t.md.tera:3"));
                assert_eq!(variable.as_deref(), Some("nothing.here"));
                assert!(chain.len() >= 2, "{chain:?}");
            }
            other => panic!("expected a template error, got {other:?}"),
        }
    }

    #[test]
    fn unknown_filter_is_located() {
        let t = one_template("# x\n{{ 1 | shout }}");
        let err = render_template(&t, "t.md.tera", &tera::Context::new()).unwrap_err();
        assert!(
            err.to_string().starts_with("template t/t.md.tera:2:"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        let chain = vec![
            "Failed to parse 'a.tera'".to_string(),
            " --> 3:1\n  |\n3 | {% iff x %}\n  | ^---\n  |\n  = unexpected tag; expected end of input".to_string(),
        ];
        let e = syntax_error(&chain, "tpl/a.tera")
            .expect("located")
            .to_string();
        assert!(
            e.starts_with("template tpl/a.tera:3:1: syntax error: unexpected tag"),
            "{e}"
        );
    }
}
