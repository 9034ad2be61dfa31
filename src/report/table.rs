//! The format-neutral table: columns with an alignment, spanning headers, sections of rows
//! whose cells are numbers (with stars, in parentheses), text or spans. Every table of the
//! report (regression, descriptives, missing data, indicators) is built once as a [`Table`]
//! and laid out per format by the format's writer (`markdown.rs`, `latex.rs`); the helpers
//! here are the ones every builder or writer shares (cells from numbers, file names, row
//! padding, sections).

use super::context::{RowContext, SectionContext};
use super::error::ReportError;
use super::escape::{width, Digits};
use super::labels::Text;

/// Horizontal alignment of a data column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Align {
    /// Text or integers, centred.
    Center,
    /// Numbers aligned on the decimal point (LaTeX dcolumn `D{.}{.}{-1}`).
    Decimal,
    /// Wrapping text of the given width in cm (LaTeX `p{}`).
    Wrap(f64),
}

/// One cell of a data column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Nothing.
    Empty,
    /// A formatted number (ASCII, `-` for minus) with significance stars, optionally in
    /// parentheses.
    Number {
        text: String,
        stars: usize,
        parens: bool,
    },
    /// Text, centred in decimal columns.
    Text(Text),
    /// A cell spanning `span` columns; GFM cannot span, so Markdown shows it in the column
    /// `markdown_at` (offset within the span) and leaves the others empty.
    Span {
        inner: Box<Cell>,
        span: usize,
        markdown_at: usize,
    },
}

impl Cell {
    /// The number of data columns the cell takes (a span its width, any other cell one).
    pub fn columns(&self) -> usize {
        match self {
            Cell::Span { span, .. } => *span,
            _ => 1,
        }
    }
}

/// A body row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub label: Text,
    pub cells: Vec<Cell>,
    pub space_after: bool,
}

/// A spanning header over data columns `first..=last` (0-based).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeaderSpan {
    pub text: Text,
    pub first: usize,
    pub last: usize,
    /// Draw a `\cmidrule` under the span.
    pub rule: bool,
}

/// A format-neutral table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub name: String,
    pub kind: &'static str,
    pub caption: Text,
    /// Head of the row-label column.
    pub stub_head: Text,
    pub align: Vec<Align>,
    /// Spanning header rows, top to bottom (LaTeX).
    pub groups: Vec<Vec<HeaderSpan>>,
    /// Column heads (LaTeX, last header row).
    pub heads: Vec<Text>,
    /// Column heads of the single Markdown header row.
    pub markdown_heads: Vec<Text>,
    /// Head of the row-label column in Markdown (full-width spans folded in).
    pub markdown_stub_head: Text,
    pub sections: Vec<Vec<Row>>,
    /// A heading printed above a section, by section index (`Panel A: Fixed effects`); empty
    /// or `None` for none.
    pub headings: Vec<Option<Text>>,
    pub notes: Vec<Text>,
}

impl Table {
    /// Number of columns including the row-label column.
    pub fn n_columns(&self) -> usize {
        self.align.len() + 1
    }

    /// Per data column, the widest (integer part, fraction part) of its number cells as
    /// `measure(text, stars, parens)` sizes them, starting from `start`: what a writer needs
    /// to align a column on the decimal point (LaTeX dcolumn widths, HTML boxes).
    pub fn widest_number_parts(
        &self,
        start: (usize, usize),
        measure: impl Fn(&str, usize, bool) -> (usize, usize),
    ) -> Vec<(usize, usize)> {
        let mut widest = vec![start; self.align.len()];
        for row in self.sections.iter().flatten() {
            let mut col = 0;
            for cell in &row.cells {
                if let (
                    Cell::Number {
                        text,
                        stars,
                        parens,
                    },
                    Some(w),
                ) = (cell, widest.get_mut(col))
                {
                    let (i, f) = measure(text, *stars, *parens);
                    w.0 = w.0.max(i);
                    w.1 = w.1.max(f);
                }
                col += cell.columns();
            }
        }
        widest
    }

    /// Regroup rendered body rows into sections with their spacing flags and headings
    /// (rendered by `heading`).
    pub fn assemble_sections(
        &self,
        rendered: Vec<Vec<String>>,
        heading: impl Fn(&Text) -> String,
    ) -> Vec<SectionContext> {
        let mut it = rendered.into_iter();
        self.sections
            .iter()
            .enumerate()
            .map(|(i, sec)| SectionContext {
                heading: self.headings.get(i).cloned().flatten().map(|t| heading(&t)),
                rows: sec
                    .iter()
                    .filter_map(|r| {
                        it.next().map(|cells| RowContext {
                            cells,
                            rules: String::new(),
                            space_after: r.space_after,
                        })
                    })
                    .collect(),
            })
            .collect()
    }
}

/// A number cell formatted with `digits`; a non-finite value shows as `.` (Stata's missing).
pub(crate) fn number(x: f64, digits: Digits, stars: usize, parens: bool) -> Cell {
    formatted(digits.format(x), stars, parens)
}

/// A cell of an already formatted number; `None` (a non-finite value) shows as `.`.
pub(crate) fn formatted(text: Option<String>, stars: usize, parens: bool) -> Cell {
    match text {
        Some(text) => Cell::Number {
            text,
            stars,
            parens,
        },
        None => Cell::Text(Text::plain(if parens { "(.)" } else { "." })),
    }
}

/// A text cell.
pub(crate) fn text_cell(s: &str) -> Cell {
    Cell::Text(Text::plain(s))
}

/// A number cell, or a dash when there is no value.
pub(crate) fn opt_number(x: Option<f64>, digits: Digits) -> Cell {
    match x {
        Some(v) => number(v, digits, 0, false),
        None => text_cell("—"),
    }
}

/// A table with one header row and one section.
pub(crate) fn simple_table(
    name: &str,
    kind: &'static str,
    caption: Text,
    stub_head: &str,
    columns: Vec<(&str, Align)>,
    rows: Vec<Row>,
    notes: Vec<Text>,
) -> Table {
    let heads: Vec<Text> = columns.iter().map(|(h, _)| Text::plain(*h)).collect();
    Table {
        name: name.to_string(),
        kind,
        caption,
        stub_head: Text::plain(stub_head),
        align: columns.iter().map(|(_, a)| *a).collect(),
        groups: Vec::new(),
        markdown_heads: heads.clone(),
        heads,
        markdown_stub_head: Text::plain(stub_head),
        sections: vec![rows],
        headings: Vec::new(),
        notes,
    }
}

/// Check that a model block name can be a file stem.
pub(crate) fn validate_name(name: &str, what: &str) -> Result<(), ReportError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ReportError::Setting {
            setting: what.to_string(),
            message: format!(
                "`{name}` cannot be used as a file name (fix: use letters, digits, `_`, `-` or `.`)"
            ),
        })
    }
}

/// A file-name stem from a measure name (`decomposition.gvc_position` →
/// `decomposition_gvc_position`).
pub(crate) fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "_".into()
    } else {
        s
    }
}

/// Pad the cells of full rows (`n` cells) to the widest cell of their column, so that the
/// generated source is aligned.
pub(crate) fn pad_rows(rows: &mut [Vec<String>], n: usize) {
    let mut widths = vec![0usize; n];
    for r in rows.iter().filter(|r| r.len() == n) {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(width(c));
        }
    }
    for r in rows.iter_mut().filter(|r| r.len() == n) {
        for (c, w) in r.iter_mut().zip(&widths) {
            let pad = w.saturating_sub(width(c));
            c.extend(std::iter::repeat_n(' ', pad));
        }
    }
}

/// LaTeX font size of a table with `n_data` data columns (also in the Markdown context):
/// `small` up to six, `footnotesize` beyond — never smaller, as journals print tables; a table
/// wider than the text block is set in landscape or split into panels instead.
pub(crate) fn font_size(n_data: usize) -> &'static str {
    match n_data {
        0..=6 => "small",
        _ => "footnotesize",
    }
}
