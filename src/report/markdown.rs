//! The Markdown writer (GitHub-flavoured): display text with user text escaped for GFM and
//! generated text in its Unicode form, and the layout of a table as a pipe table (one header
//! row, spanning cells folded into the column heads or shown in one column of their span,
//! cells padded so that the source lines up). Figures are the SVG files, referenced by the
//! template.

use super::context::{RowContext, TableContext};
use super::escape::{escape_markdown, width};
use super::labels::{Form, Text};
use super::table::{font_size, pad_rows, Align, Cell, Table};

/// Display text in Markdown.
pub(crate) fn text(t: &Text) -> String {
    t.render(escape_markdown, Form::Unicode)
}

/// One cell (spans are expanded by [`markdown_cells`] first).
fn cell(c: &Cell) -> String {
    match c {
        Cell::Empty => String::new(),
        Cell::Number {
            text,
            stars,
            parens,
        } => {
            let s = format!("{text}{}", "*".repeat(*stars));
            if *parens {
                format!("({s})")
            } else {
                s
            }
        }
        Cell::Text(t) => self::text(t),
        Cell::Span { inner, .. } => cell(inner),
    }
}

/// Expand spans for Markdown: the inner cell goes to its `markdown_at` column.
fn markdown_cells(cells: &[Cell]) -> Vec<Cell> {
    let mut out = Vec::new();
    for c in cells {
        if let Cell::Span {
            inner,
            span,
            markdown_at,
        } = c
        {
            for i in 0..*span {
                out.push(if i == *markdown_at {
                    inner.as_ref().clone()
                } else {
                    Cell::Empty
                });
            }
        } else {
            out.push(c.clone());
        }
    }
    out
}

/// The context `table.md.tera` sees.
pub(crate) fn table_context(table: &Table, number: usize) -> TableContext {
    let n = table.n_columns();
    let mut all: Vec<Vec<String>> = Vec::new();
    let mut head = vec![text(&table.markdown_stub_head)];
    head.extend(table.markdown_heads.iter().map(text));
    all.push(head);
    for sec in &table.sections {
        for r in sec {
            let mut cells = vec![text(&r.label)];
            for c in markdown_cells(&r.cells).iter().take(table.align.len()) {
                cells.push(cell(c));
            }
            all.push(cells);
        }
    }
    for r in all.iter_mut() {
        r.resize(n, String::new());
    }
    // The alignment row takes part in the widths so that the source lines up.
    let mut widths = vec![3usize; n];
    for r in &all {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(width(c));
        }
    }
    pad_rows(&mut all, n);
    let mut colspec = String::from("|");
    for (i, w) in widths.iter().enumerate() {
        let centred = i > 0 && !matches!(table.align.get(i - 1), Some(Align::Wrap(_)));
        // The segment spans the cell and its two separator spaces.
        if centred {
            colspec.push(':');
            colspec.push_str(&"-".repeat(*w));
            colspec.push(':');
        } else {
            colspec.push(':');
            colspec.push_str(&"-".repeat(w + 1));
        }
        colspec.push('|');
    }
    let mut rows = all.into_iter();
    let header = rows
        .next()
        .map(|cells| RowContext {
            cells,
            rules: String::new(),
            space_after: false,
        })
        .into_iter()
        .collect();
    let sections = table.assemble_sections(rows.collect(), |t| format!("*{}*", text(t)));
    TableContext {
        name: table.name.clone(),
        kind: table.kind.to_string(),
        number,
        caption: text(&table.caption),
        label: format!("tab:{}", table.name),
        colspec,
        n_columns: n,
        font_size: font_size(table.align.len()).to_string(),
        header,
        sections,
        notes: table.notes.iter().map(text).collect(),
    }
}
