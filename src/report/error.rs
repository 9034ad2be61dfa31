//! The report's error type: every failure names the template, setting, model block or
//! indicator concerned, and the fix.

use std::path::PathBuf;

/// A failure to build or render the report, naming the template, setting, model block or
/// indicator concerned and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A template failed to parse or render.
    #[error("template {}{}: {} (fix: correct the template; `gvc report --context` prints every variable a template can use)", location.clone().unwrap_or_else(|| format!("`{template}`")), variable.as_ref().map(|v| format!(", variable `{v}`")).unwrap_or_default(), chain.join(": "))]
    Template {
        /// Template name (relative path), with the included template if the error is there.
        template: String,
        /// `file:line` of the tag concerned, when it can be found in the template's text.
        location: Option<String>,
        /// The variable concerned, when tera names one.
        variable: Option<String>,
        /// tera's error and all its sources, outermost first.
        chain: Vec<String>,
    },
    /// A user template is not UTF-8 text.
    #[error(
        "template {location}: byte 0x{byte:02X} is not UTF-8 (fix: save the template as UTF-8)"
    )]
    NotUtf8 {
        /// `file:line:column` of the first byte that is not UTF-8.
        location: String,
        /// That byte.
        byte: u8,
    },
    /// A user template could not be read.
    #[error("cannot read user template {}: {source} (fix: check the templates folder and its permissions)", path.display())]
    ReadTemplate {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The template set could never finish rendering (an include / extends / macro-call or
    /// import cycle, a recursive macro) or nests too deeply for tera's stack.
    #[error("template {location}: {problem} (fix: {fix})")]
    TemplateStructure {
        /// `file:line` of the tag concerned.
        location: String,
        /// What is wrong.
        problem: String,
        /// How to fix it.
        fix: String,
    },
    /// A symlink in the templates folder points outside it, or nowhere.
    #[error("template link {} points to {}, {problem} (fix: {fix})", link.display(), target.display())]
    TemplateLink {
        /// The link.
        link: PathBuf,
        /// Where it points.
        target: PathBuf,
        /// What is wrong with the target.
        problem: String,
        /// How to fix it.
        fix: &'static str,
    },
    /// The thread that renders templates could not be started.
    #[error("cannot start the report rendering thread: {0} (fix: free memory or raise the process's thread limits)")]
    RenderThread(#[source] std::io::Error),
    /// A report setting is invalid.
    #[error("report setting `{setting}`: {message}")]
    Setting {
        /// The setting (`stars`, `rename`, `indicators.summary`, ...).
        setting: String,
        /// What is wrong and the fix.
        message: String,
    },
    /// A model block cannot be tabulated.
    #[error("model `{model}`: {message}")]
    Model {
        /// Block name.
        model: String,
        /// What is wrong and the fix.
        message: String,
    },
    /// The indicator rows are inconsistent.
    #[error("indicators: {message}")]
    Indicators {
        /// What is wrong and the fix.
        message: String,
    },
    /// Two outputs would get the same path.
    #[error(
        "two outputs would be written to `{path}` (fix: rename the model block or the measure)"
    )]
    DuplicateOutput {
        /// The relative path.
        path: String,
    },
    /// The template context could not be serialised.
    #[error("cannot serialise the template context: {0}")]
    Context(#[from] serde_json::Error),
}
