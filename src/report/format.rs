//! The report formats and their facts, one row per format in [`FORMATS`]: name, file
//! extension, escaping, how display text, tables and figures are written (the format's
//! writer module), and its built-in templates. Everything that differs between formats is
//! read from the row, so adding a format is its writer file (like `markdown.rs`), its
//! templates, and one variant plus one row here.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::context::TableContext;
use super::escape::{escape_latex, escape_markdown};
use super::figures::Scene;
use super::html::{self, escape_html};
use super::labels::Text;
use super::table::Table;
use super::{latex, markdown};

/// An output format of the report. Its facts are its row of [`FORMATS`]; in the spec, the
/// report input and the template context it is written as its `name` (`markdown`, `latex`,
/// `html`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Format {
    /// GitHub-flavoured Markdown (pipe tables, SVG figures).
    Markdown,
    /// LaTeX for pdflatex (booktabs + dcolumn tables, `picture` + `\pdfliteral` figures).
    Latex,
    /// One self-contained HTML page (inline CSS and SVG figures; sticky table heads and row
    /// labels, wide tables scroll).
    Html,
}

/// A built-in template: (name, text).
pub(crate) type Template = (&'static str, &'static str);

/// What differs between formats: one row of [`FORMATS`].
pub(crate) struct FormatFacts {
    /// The format this row describes (rows are in the order of the enum).
    pub format: Format,
    /// Name in the spec (`[report] formats`), the report input and the template context.
    pub name: &'static str,
    /// Extension of the format's output files (`report.<ext>`, `tables/<name>.<ext>`).
    pub extension: &'static str,
    /// Escape free text (titles, notes, labels).
    pub escape: fn(&str) -> String,
    /// Write display text: user text escaped, generated text (Δ, t−1, χ²) in this format's form.
    pub text: fn(&Text) -> String,
    /// Lay out a table (given its number in the report) as the context `table.<ext>.tera` sees.
    pub table: fn(&Table, usize) -> TableContext,
    /// Draw a figure as code embedded in the document (`figure.picture`); `None`: the format
    /// shows the SVG file (`figure.svg_path`).
    pub picture: Option<fn(&Scene) -> String>,
    /// Whether each figure is also written as its own file `figures/<name>.<ext>`, rendered
    /// with the figure template (a float a paper can `\input`).
    pub figure_files: bool,
    /// Built-in templates: the report (`report.<ext>`), one table, one figure.
    pub report_template: Template,
    /// See `report_template`.
    pub table_template: Template,
    /// See `report_template`.
    pub figure_template: Template,
}

/// The formats, one row each, in the order of [`Format`].
pub(crate) const FORMATS: [FormatFacts; 3] = [
    FormatFacts {
        format: Format::Markdown,
        name: "markdown",
        extension: "md",
        escape: escape_markdown,
        text: markdown::text,
        table: markdown::table_context,
        picture: None,
        figure_files: false,
        report_template: (
            "report.md.tera",
            include_str!("../../templates/report.md.tera"),
        ),
        table_template: (
            "table.md.tera",
            include_str!("../../templates/table.md.tera"),
        ),
        figure_template: (
            "figure.md.tera",
            include_str!("../../templates/figure.md.tera"),
        ),
    },
    FormatFacts {
        format: Format::Latex,
        name: "latex",
        extension: "tex",
        escape: escape_latex,
        text: latex::text,
        table: latex::table_context,
        picture: Some(latex::picture),
        figure_files: true,
        report_template: (
            "report.tex.tera",
            include_str!("../../templates/report.tex.tera"),
        ),
        table_template: (
            "table.tex.tera",
            include_str!("../../templates/table.tex.tera"),
        ),
        figure_template: (
            "figure.tex.tera",
            include_str!("../../templates/figure.tex.tera"),
        ),
    },
    FormatFacts {
        format: Format::Html,
        name: "html",
        extension: "html",
        escape: escape_html,
        text: html::text,
        table: html::table_context,
        picture: Some(html::picture),
        figure_files: false,
        report_template: (
            "report.html.tera",
            include_str!("../../templates/report.html.tera"),
        ),
        table_template: (
            "table.html.tera",
            include_str!("../../templates/table.html.tera"),
        ),
        figure_template: (
            "figure.html.tera",
            include_str!("../../templates/figure.html.tera"),
        ),
    },
];

/// The built-in templates of every format, `(name, text)`: reports, then tables, then
/// figures. `gvc init` copies them; a user file of the same name overrides one.
pub static BUILTIN_TEMPLATES: LazyLock<Vec<(&'static str, &'static str)>> = LazyLock::new(|| {
    let kinds: [fn(&FormatFacts) -> Template; 3] = [
        |f| f.report_template,
        |f| f.table_template,
        |f| f.figure_template,
    ];
    kinds
        .iter()
        .flat_map(|kind| FORMATS.iter().map(kind))
        .collect()
});

impl Format {
    /// Every format, in the order of [`FORMATS`].
    pub fn all() -> impl Iterator<Item = Format> {
        FORMATS.iter().map(|f| f.format)
    }

    /// The format of a name (`markdown`, `latex`, `html`), if there is one.
    pub fn from_name(name: &str) -> Option<Format> {
        FORMATS.iter().find(|f| f.name == name).map(|f| f.format)
    }

    /// This format's row of [`FORMATS`].
    pub(crate) fn facts(self) -> &'static FormatFacts {
        &FORMATS[self as usize]
    }

    /// Machine name (`markdown`, `latex`, `html`).
    pub fn as_str(self) -> &'static str {
        self.facts().name
    }

    /// File extension of the format's outputs (`md`, `tex`, `html`).
    pub fn extension(self) -> &'static str {
        self.facts().extension
    }

    /// Escape free text for this format.
    pub fn escape(self, text: &str) -> String {
        (self.facts().escape)(text)
    }
}

impl From<Format> for &'static str {
    fn from(f: Format) -> Self {
        f.as_str()
    }
}

impl TryFrom<String> for Format {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        Format::from_name(&name).ok_or_else(|| {
            let known: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
            format!(
                "unknown report format `{name}` (fix: use one of {})",
                known.join(", ")
            )
        })
    }
}

/// Every format, in the order of [`FORMATS`].
const ALL_FORMATS: [Format; FORMATS.len()] = {
    let mut out = [Format::Markdown; FORMATS.len()];
    let mut i = 0;
    while i < FORMATS.len() {
        out[i] = FORMATS[i].format;
        i += 1;
    }
    out
};

impl crate::choice::Choice for Format {
    const WHAT: &'static str = "report format";
    const ALL: &'static [Self] = &ALL_FORMATS;
    fn name(self) -> &'static str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_the_enum() {
        for (i, row) in FORMATS.iter().enumerate() {
            assert_eq!(row.format as usize, i, "{}", row.name);
            assert_eq!(Format::from_name(row.name), Some(row.format));
            assert_eq!(
                serde_json::to_string(&row.format).ok(),
                Some(format!("\"{}\"", row.name))
            );
            for (name, _) in [row.report_template, row.table_template, row.figure_template] {
                assert!(
                    name.ends_with(&format!(".{}.tera", row.extension)),
                    "{name}"
                );
            }
            // Display text of user text is the escaped text.
            let s = "R&D_intensity 100% <x> | a_b";
            assert_eq!((row.text)(&Text::plain(s)), (row.escape)(s));
        }
        assert_eq!(BUILTIN_TEMPLATES.len(), 3 * FORMATS.len());
        let bad: Result<Format, _> = serde_json::from_str("\"docx\"");
        let msg = bad.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("use one of markdown, latex, html"), "{msg}");
    }
}
