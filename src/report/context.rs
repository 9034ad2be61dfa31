//! The typed context the Tera templates see ([`ReportContext`], one per output format, printed
//! by `gvc report --context`).
//!
//! All text in a [`ReportContext`] is already escaped for its format and all numbers are
//! already formatted, so templates only arrange strings (reference/pipeline-and-tables.md §2.4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What `report.<ext>.tera` sees (one per format; all strings escaped for that format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportContext {
    /// The format's name (`markdown`, `latex`, `html`: the `name` of its row in the formats
    /// table).
    pub format: String,
    /// Escaped title.
    pub title: String,
    /// Escaped description.
    pub description: Option<String>,
    /// Escaped sample note.
    pub sample_note: Option<String>,
    /// Escaped free notes.
    pub notes: Vec<String>,
    /// "gvc <version>".
    pub generator: String,
    /// The tables by kind, one entry per row of the report's table kinds, each a top-level
    /// variable of the templates: `indicator_summary`, `descriptives`, `missing` (one table
    /// or `null`), `regressions` (one per model block and variant), `hausman_details` (one
    /// per FE/RE pair: Stata's `hausman` coefficient comparison), `multiverse` (the multiverse
    /// summary, or `null`), `indicators_by_year` (one
    /// per measure).
    #[serde(flatten)]
    pub tables: BTreeMap<String, TableSlot>,
    /// Line charts of the indicators over time.
    pub indicator_figures: Vec<FigureContext>,
    /// Coefficient plots, one per model block.
    pub coefficient_figures: Vec<FigureContext>,
    /// Specification curves, one per model and key regressor of `[multiverse]`.
    #[serde(default)]
    pub multiverse_figures: Vec<FigureContext>,
}

/// The table(s) of one kind: one table or `null`, or a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TableSlot {
    /// A kind with at most one table.
    One(Option<Box<TableContext>>),
    /// A kind with any number of tables.
    Many(Vec<TableContext>),
}

impl TableSlot {
    /// The tables in the slot.
    pub fn tables(&self) -> &[TableContext] {
        match self {
            TableSlot::One(t) => t.as_deref().map_or(&[], std::slice::from_ref),
            TableSlot::Many(v) => v,
        }
    }
}

/// One table, ready to lay out: `table.<ext>.tera` is rendered with this as `table`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableContext {
    /// File stem (`tables/<name>.<ext>`).
    pub name: String,
    /// `regression`, `hausman`, `descriptives`, `missing`, `indicator_summary` or
    /// `measure_by_year`.
    pub kind: String,
    /// Table number in the report (1-based, report order).
    pub number: usize,
    /// Escaped caption.
    pub caption: String,
    /// Cross-reference label (`tab:<name>`).
    pub label: String,
    /// LaTeX: the tabular column specification (e.g. `l*{8}{D{.}{.}{-1}}`). Markdown: the GFM
    /// alignment row (e.g. `|:---|:---:|`). HTML: the CSS class of every column, separated by
    /// spaces (`stub` for the row labels, then `num`, `c` or `wrap`).
    pub colspec: String,
    /// Number of columns including the row-label column.
    pub n_columns: usize,
    /// LaTeX font-size command for the table (`small`, `footnotesize`, `scriptsize`).
    pub font_size: String,
    /// Header rows. LaTeX: spanning rows (cells may be `\multicolumn`) then the column heads.
    /// Markdown: exactly one row (GFM has no spanning cells; spanning headers are folded into
    /// the column heads). HTML: `<th>` elements, spanning rows (`colspan`) then the column
    /// heads; the row-label head spans all header rows.
    pub header: Vec<RowContext>,
    /// Row groups, separated by a rule (LaTeX `\midrule`; Markdown an empty row).
    pub sections: Vec<SectionContext>,
    /// Escaped notes (the first is prefixed with "Notes:" by the template).
    pub notes: Vec<String>,
}

/// One table row: cells already formatted, escaped and padded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowContext {
    /// Cells including the row label (joined with ` & ` or ` | ` by the template; in HTML
    /// each cell is a whole `<th>` or `<td>` element).
    pub cells: Vec<String>,
    /// LaTeX rules to draw under this row (e.g. `\cmidrule(lr){2-5}`), joined by spaces.
    pub rules: String,
    /// Whether a little vertical space follows (between coefficient blocks).
    pub space_after: bool,
}

/// A group of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionContext {
    /// A heading above the section (`Panel A: Fixed effects`), in the format's text form.
    pub heading: Option<String>,
    /// Rows.
    pub rows: Vec<RowContext>,
}

/// One figure: `figure.<ext>.tera` is rendered with this as `figure`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureContext {
    /// File stem (`figures/<name>.svg|tex`).
    pub name: String,
    /// Figure number in the report (1-based).
    pub number: usize,
    /// Escaped caption.
    pub caption: String,
    /// Cross-reference label (`fig:<name>`).
    pub label: String,
    /// Path of the SVG relative to the report (`figures/<name>.svg`).
    pub svg_path: String,
    /// LaTeX: the picture code (pdflatex `picture` + `\pdfliteral`), scaled down to
    /// `\linewidth` when wider. HTML: the figure as inline SVG. Markdown: none.
    pub picture: Option<String>,
}
