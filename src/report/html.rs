//! The HTML writer: display text with user text escaped for HTML and generated text in its
//! plain Unicode form; the layout of a table as HTML cells (spanning headers with `colspan`,
//! the row-label column as row headers, numbers split at the decimal point so that a column
//! lines up on it whatever its decimals, stars and parentheses); and a figure as inline SVG.
//! The stylesheet that makes the header and the row labels sticky and wide tables scroll is
//! in `templates/report.html.tera`.

use std::fmt::Write as _;

use super::context::{RowContext, TableContext};
use super::figures::Scene;
use super::labels::{Form, Text};
use super::svg;
use super::table::{font_size, Align, Cell, Table};

/// Escape text for HTML element content and quoted attribute values: `& < > " '` become
/// character references; newlines become spaces (as in the other formats).
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Display text in HTML.
pub(crate) fn text(t: &Text) -> String {
    t.render(escape_html, Form::Plain)
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/// CSS class of a data column of alignment `a` (also the class of its header cells).
fn class(a: Align) -> &'static str {
    match a {
        Align::Center => "c",
        Align::Decimal => "num",
        Align::Wrap(_) => "wrap",
    }
}

/// A number's printed parts: the integer part (with an opening parenthesis and a typographic
/// minus) and the fraction part (from the decimal point, with the closing parenthesis).
fn number_parts(text: &str, parens: bool) -> (String, String) {
    let text = match text.strip_prefix('-') {
        Some(rest) => format!("\u{2212}{rest}"),
        None => text.to_string(),
    };
    let (int, frac) = match text.find('.') {
        Some(i) => (text[..i].to_string(), text[i..].to_string()),
        None => (text, String::new()),
    };
    if parens {
        (format!("({int}"), format!("{frac})"))
    } else {
        (int, frac)
    }
}

/// Estimated width of printed text in tenths of `ch` (the width of a digit, which tabular
/// figures give every digit): narrower for the point, comma and parentheses, wider for the
/// minus sign; `sup` is the width of one superscript star. Erring wide keeps every part
/// inside its box, so the columns still line up.
fn tenths(text: &str) -> usize {
    text.chars()
        .map(|c| match c {
            '.' | ',' => 5,
            '(' | ')' => 6,
            '\u{2212}' => 14,
            _ => 10,
        })
        .sum()
}

/// Width of one superscript star, in tenths of `ch`.
const STAR_TENTHS: usize = 6;

/// The widths (tenths of `ch`) of a number's integer part and of its fraction part with the
/// stars: what its column reserves on each side of the decimal point.
fn part_widths(text: &str, stars: usize, parens: bool) -> (usize, usize) {
    let (int, frac) = number_parts(text, parens);
    (tenths(&int), tenths(&frac) + stars * STAR_TENTHS)
}

/// A width in tenths of `ch` as CSS.
fn ch(tenths: usize) -> String {
    format!("{}.{}ch", tenths / 10, tenths % 10)
}

/// A number: in a decimal column (`widths` = the column's integer and fraction widths) the
/// integer part right-aligned in a box of the column's integer width and the fraction part
/// left-aligned in a box of its fraction width, so that every cell of the column has the same
/// width and its point at the same place; elsewhere inline.
fn number(text: &str, stars: usize, parens: bool, widths: Option<(usize, usize)>) -> String {
    let (int, frac) = number_parts(text, parens);
    let star = if stars > 0 {
        format!("<sup>{}</sup>", "*".repeat(stars))
    } else {
        String::new()
    };
    match widths {
        Some((i, f)) => format!(
            "<span class=\"i\" style=\"width:{}\">{int}</span><span class=\"f\" style=\"width:{}\">{frac}{star}</span>",
            ch(i),
            ch(f)
        ),
        None => format!("{int}{frac}{star}"),
    }
}

/// The integer and fraction widths of every decimal column (`None` for other columns).
fn column_widths(table: &Table) -> Vec<Option<(usize, usize)>> {
    table
        .widest_number_parts((0, 0), part_widths)
        .into_iter()
        .zip(&table.align)
        .map(|(w, a)| (*a == Align::Decimal).then_some(w))
        .collect()
}

/// One body cell of a column with alignment `align` and, for a decimal column, the widths of
/// its numbers' parts.
fn cell(c: &Cell, align: Align, widths: Option<(usize, usize)>) -> String {
    match c {
        Cell::Empty => format!("<td class=\"{}\"></td>", class(align)),
        Cell::Number {
            text,
            stars,
            parens,
        } => format!(
            "<td class=\"{}\">{}</td>",
            class(align),
            number(text, *stars, *parens, widths)
        ),
        // Text in a decimal column (a dash, "Yes") is centred over the numbers.
        Cell::Text(t) => {
            let cls = if align == Align::Decimal {
                "c"
            } else {
                class(align)
            };
            format!("<td class=\"{cls}\">{}</td>", self::text(t))
        }
        Cell::Span { inner, span, .. } => {
            let body = match inner.as_ref() {
                Cell::Number {
                    text,
                    stars,
                    parens,
                } => number(text, *stars, *parens, None),
                Cell::Text(t) => self::text(t),
                Cell::Empty | Cell::Span { .. } => String::new(),
            };
            format!("<td class=\"c\" colspan=\"{span}\">{body}</td>")
        }
    }
}

/// The context `table.html.tera` sees: header rows of `<th>` cells (the row-label head spans
/// all header rows), body rows of a `<th scope="row">` label and `<td>` cells, and `colspec`
/// the class of every column (`stub` for the row labels, then `num`, `c` or `wrap`).
pub(crate) fn table_context(table: &Table, number: usize) -> TableContext {
    let n = table.n_columns();
    let n_header = table.groups.len() + 1;
    let stub = if n_header > 1 {
        format!(
            "<th class=\"stub\" rowspan=\"{n_header}\" scope=\"col\">{}</th>",
            text(&table.stub_head)
        )
    } else {
        format!(
            "<th class=\"stub\" scope=\"col\">{}</th>",
            text(&table.stub_head)
        )
    };
    let mut header = Vec::new();
    for spans in &table.groups {
        let mut cells = Vec::new();
        if header.is_empty() {
            cells.push(stub.clone());
        }
        let mut col = 0;
        for s in spans {
            while col < s.first {
                cells.push("<th></th>".to_string());
                col += 1;
            }
            let w = s.last - s.first + 1;
            let rule = if !s.text.is_empty() && s.rule {
                " rule"
            } else {
                ""
            };
            cells.push(format!(
                "<th class=\"group{rule}\" colspan=\"{w}\" scope=\"colgroup\">{}</th>",
                text(&s.text)
            ));
            col = s.last + 1;
        }
        while col < table.align.len() {
            cells.push("<th></th>".to_string());
            col += 1;
        }
        header.push(RowContext {
            cells,
            rules: String::new(),
            space_after: false,
        });
    }
    let mut heads = Vec::new();
    if header.is_empty() {
        heads.push(stub);
    }
    for (h, a) in table.heads.iter().zip(&table.align) {
        heads.push(format!(
            "<th class=\"{}\" scope=\"col\">{}</th>",
            class(*a),
            text(h)
        ));
    }
    header.push(RowContext {
        cells: heads,
        rules: String::new(),
        space_after: false,
    });
    let widths = column_widths(table);
    let mut all: Vec<Vec<String>> = Vec::new();
    for r in table.sections.iter().flatten() {
        let mut cells = vec![format!("<th scope=\"row\">{}</th>", text(&r.label))];
        let mut col = 0;
        for c in &r.cells {
            let a = table.align.get(col).copied().unwrap_or(Align::Center);
            cells.push(cell(c, a, widths.get(col).copied().flatten()));
            col += c.columns();
        }
        all.push(cells);
    }
    let sections = table.assemble_sections(all, |t| {
        format!(
            "<th class=\"panel\" scope=\"rowgroup\" colspan=\"{n}\">{}</th>",
            text(t)
        )
    });
    let mut colspec = String::from("stub");
    for a in &table.align {
        let _ = write!(colspec, " {}", class(*a));
    }
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

// ---------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------

/// The scene as inline SVG: the standalone SVG of `figures/<name>.svg` (it has no `id`s, so
/// any number of figures can share one page), labelled for screen readers by its `<title>`.
pub(crate) fn picture(scene: &Scene) -> String {
    let doc = svg::to_svg(scene);
    let doc = doc.replacen("<svg ", "<svg role=\"img\" ", 1);
    doc.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figures::{line_chart, Series, PALETTE};
    use crate::report::table::{number as number_cell, simple_table, Row};

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_html("R&D <b>\"x\" 'y'\n"),
            "R&amp;D &lt;b&gt;&quot;x&quot; &#39;y&#39; "
        );
        // Generated text: Markdown's backslash escapes undone, then escaped for HTML.
        let legend = Text::styled("\\*\\* p < 0.05", "$^{**}$");
        assert_eq!(text(&legend), "** p &lt; 0.05");
    }

    #[test]
    fn numbers_align_on_the_point() {
        assert_eq!(
            number("-0.123", 3, false, Some((24, 53))),
            "<span class=\"i\" style=\"width:2.4ch\">\u{2212}0</span><span class=\"f\" style=\"width:5.3ch\">.123<sup>***</sup></span>"
        );
        assert_eq!(number("0.045", 0, true, None), "(0.045)");
        assert_eq!(part_widths("-0.123", 3, false), (24, 53));
        assert_eq!(part_widths("0.045", 0, true), (16, 41));
        assert_eq!(part_widths("1,200", 0, false), (45, 0));
        let t = simple_table(
            "t",
            "descriptives",
            Text::plain("Caption & more"),
            "Variable",
            vec![("Mean", Align::Decimal), ("Note", Align::Wrap(4.0))],
            vec![Row {
                label: Text::plain("x<y"),
                cells: vec![
                    number_cell(-1.25, crate::report::Digits::Fixed(2), 1, false),
                    number_cell(3.0, crate::report::Digits::Fixed(0), 0, false),
                ],
                space_after: false,
            }],
            vec![Text::plain("A & B.")],
        );
        let ctx = table_context(&t, 4);
        assert_eq!(ctx.caption, "Caption &amp; more");
        assert_eq!(ctx.colspec, "stub num wrap");
        assert_eq!(ctx.header.len(), 1);
        assert_eq!(
            ctx.header[0].cells[0],
            "<th class=\"stub\" scope=\"col\">Variable</th>"
        );
        let row = &ctx.sections[0].rows[0].cells;
        assert_eq!(row[0], "<th scope=\"row\">x&lt;y</th>");
        assert!(row[1].contains("style=\"width:2.4ch\""), "{}", row[1]);
        assert!(row[1].contains("style=\"width:3.1ch\""), "{}", row[1]);
        assert_eq!(row[2], "<td class=\"wrap\">3</td>");
    }

    #[test]
    fn inline_svg_has_no_ids() {
        let series = vec![Series {
            label: "A&B".into(),
            points: vec![(2007, 0.1), (2008, 0.2)],
            highlight: Some(PALETTE[0]),
        }];
        let svg = picture(&line_chart(&Text::plain("x"), &series, &[(2007, 0.0)]));
        assert!(svg.starts_with("<svg role=\"img\" ") && svg.ends_with("</svg>"));
        assert!(
            !svg.contains(" id="),
            "ids would collide between inline figures"
        );
    }
}
