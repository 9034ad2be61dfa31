//! The LaTeX writer (pdflatex): display text with user text escaped for LaTeX and generated
//! text in its LaTeX form; the layout of a table for booktabs and dcolumn (spanning headers
//! with `\multicolumn` and `\cmidrule`, numbers aligned on the decimal point in columns no
//! wider than their numbers); and a figure as `picture` code whose strokes are raw PDF
//! operators (`\pdfliteral`) and whose text LaTeX typesets.

use std::fmt::Write as _;

use super::context::{RowContext, TableContext};
use super::escape::{escape_latex, width};
use super::figures::{Anchor, Scene, Shape};
use super::labels::{Form, Text};
use super::table::{font_size, pad_rows, Align, Cell, Table};

/// Display text in LaTeX.
pub(crate) fn text(t: &Text) -> String {
    t.render(escape_latex, Form::Latex)
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/// A number with its stars, in math mode inside a dcolumn cell (`math`), else in text mode.
fn number(text: &str, stars: usize, parens: bool, math: bool) -> String {
    let star = if stars > 0 {
        if math {
            format!("^{{{}}}", "*".repeat(stars))
        } else {
            format!("$^{{{}}}$", "*".repeat(stars))
        }
    } else {
        String::new()
    };
    let body = if math {
        text.replace(',', "{,}")
    } else {
        text.replacen('-', "$-$", 1)
    };
    if parens {
        format!("({body}){star}")
    } else {
        format!("{body}{star}")
    }
}

/// One cell of a column with alignment `align`.
fn cell(c: &Cell, align: Align) -> String {
    match c {
        Cell::Empty => String::new(),
        Cell::Number {
            text,
            stars,
            parens,
        } => number(text, *stars, *parens, align == Align::Decimal),
        Cell::Text(t) => {
            if align == Align::Decimal {
                format!("\\multicolumn{{1}}{{c}}{{{}}}", self::text(t))
            } else {
                self::text(t)
            }
        }
        Cell::Span { inner, span, .. } => {
            let body = match inner.as_ref() {
                Cell::Number {
                    text,
                    stars,
                    parens,
                } => number(text, *stars, *parens, false),
                other => cell(other, Align::Center),
            };
            format!("\\multicolumn{{{span}}}{{c}}{{{body}}}")
        }
    }
}

/// parenthesis counts as a digit, and so does a superscript star).
fn decimal_extent(text: &str, stars: usize, parens: bool) -> (usize, usize) {
    let (left, right) = match text.find('.') {
        Some(i) => (width(&text[..i]), width(&text[i + 1..])),
        None => (width(text), 0),
    };
    let p = usize::from(parens);
    (left + p, right + p + stars)
}

/// LaTeX column specifications: decimal columns as dcolumn `D{.}{.}{L.R}` with L and R the
/// widest integer and fraction parts of the column, so the column is no wider than its
/// numbers (a negative third argument would centre on the point and waste half the width).
fn column_specs(table: &Table) -> Vec<String> {
    let extent = table.widest_number_parts((1, 0), decimal_extent);
    table
        .align
        .iter()
        .zip(extent)
        .map(|(a, (l, r))| match a {
            Align::Center => "c".to_string(),
            Align::Decimal => format!("D{{.}}{{.}}{{{l}.{r}}}"),
            Align::Wrap(cm) => format!("p{{{cm:.1}cm}}"),
        })
        .collect()
}

/// `l` for the row labels, then the column specs with runs of three or more as `*{n}{..}`.
fn colspec(specs: &[String]) -> String {
    let mut out = String::from("l");
    let mut i = 0;
    while i < specs.len() {
        let mut j = i;
        while j + 1 < specs.len() && specs[j + 1] == specs[i] {
            j += 1;
        }
        let n = j - i + 1;
        if n > 2 {
            out.push_str(&format!("*{{{n}}}{{{}}}", specs[i]));
        } else {
            for sp in &specs[i..=j] {
                out.push_str(sp);
            }
        }
        i = j + 1;
    }
    out
}

/// The context `table.tex.tera` sees.
pub(crate) fn table_context(table: &Table, number: usize) -> TableContext {
    let n = table.n_columns();
    let mut header = Vec::new();
    for spans in &table.groups {
        let mut cells = vec![String::new()];
        let mut rules = Vec::new();
        let mut col = 0;
        for s in spans {
            while col < s.first {
                cells.push(String::new());
                col += 1;
            }
            let w = s.last - s.first + 1;
            cells.push(format!("\\multicolumn{{{w}}}{{c}}{{{}}}", text(&s.text)));
            if !s.text.is_empty() && s.rule {
                rules.push(format!("\\cmidrule(lr){{{}-{}}}", s.first + 2, s.last + 2));
            }
            col = s.last + 1;
        }
        while col < table.align.len() {
            cells.push(String::new());
            col += 1;
        }
        header.push(RowContext {
            cells,
            rules: rules.join(" "),
            space_after: false,
        });
    }
    let mut heads = vec![text(&table.stub_head)];
    for (h, a) in table.heads.iter().zip(&table.align) {
        heads.push(match a {
            Align::Decimal => format!("\\multicolumn{{1}}{{c}}{{{}}}", text(h)),
            _ => text(h),
        });
    }
    header.push(RowContext {
        cells: heads,
        rules: String::new(),
        space_after: false,
    });
    let mut all: Vec<Vec<String>> = Vec::new();
    for sec in &table.sections {
        for r in sec {
            let mut cells = vec![text(&r.label)];
            let mut col = 0;
            for c in &r.cells {
                let a = table.align.get(col).copied().unwrap_or(Align::Center);
                cells.push(cell(c, a));
                col += c.columns();
            }
            all.push(cells);
        }
    }
    pad_rows(&mut all, n);
    let sections = table.assemble_sections(all, |t| {
        format!("\\multicolumn{{{n}}}{{l}}{{\\textit{{{}}}}}", text(t))
    });
    TableContext {
        name: table.name.clone(),
        kind: table.kind.to_string(),
        number,
        caption: text(&table.caption),
        label: format!("tab:{}", table.name),
        colspec: colspec(&column_specs(table)),
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

/// PDF path operators of a circle (four Bézier arcs, κ = 0.5523).
fn pdf_circle(cx: f64, cy: f64, r: f64) -> String {
    let k = 0.5523 * r;
    format!(
        "{:.2} {:.2} m {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} c {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} c {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} c {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} c f",
        cx + r, cy,
        cx + r, cy + k, cx + k, cy + r, cx, cy + r,
        cx - k, cy + r, cx - r, cy + k, cx - r, cy,
        cx - r, cy - k, cx - k, cy - r, cx, cy - r,
        cx + k, cy - r, cx + r, cy - k, cx + r, cy
    )
}

fn font(size: f64, bold: bool) -> String {
    let b = if bold { "\\bfseries" } else { "" };
    format!(
        "\\fontsize{{{size:.0}}}{{{:.0}}}\\sffamily{b}\\selectfont ",
        size * 1.2
    )
}

/// The scene as LaTeX `picture` code for pdflatex: strokes as PDF operators in `\pdfliteral`,
/// text typeset by LaTeX at the same positions; shrunk to `\linewidth` when wider. Needs the
/// `graphicx` package.
pub(crate) fn picture(scene: &Scene) -> String {
    let (ops, texts) = ops_and_texts(scene);
    picture_of(scene, &ops, &texts)
}

/// A one-page PDF (uncompressed, ASCII) holding the scene's strokes: what the picture of a
/// scene with a [`Scene::strokes_file`] includes under its text.
pub(crate) fn strokes_pdf(scene: &Scene) -> String {
    let (ops, _) = ops_and_texts(scene);
    let content = format!("q 1 J 1 j\n{}\nQ\n", ops.join("\n"));
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {:.2} {:.2}] /Contents 4 0 R /Resources << >> >>",
            scene.width, scene.height
        ),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
    ];
    let mut pdf = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        let _ = write!(pdf, "{} 0 obj\n{o}\nendobj\n", i + 1);
    }
    let xref = pdf.len();
    let _ = write!(pdf, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for o in offsets {
        let _ = writeln!(pdf, "{o:010} 00000 n ");
    }
    let _ = write!(
        pdf,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    pdf
}

/// The scene's strokes as PDF operators and its texts as `\put` commands.
fn ops_and_texts(scene: &Scene) -> (Vec<String>, Vec<String>) {
    let h = scene.height;
    let mut ops: Vec<String> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    for shape in &scene.shapes {
        match shape {
            Shape::Polyline { points, stroke } => {
                let mut op = format!("{} RG {:.2} w", stroke.color.pdf(), stroke.width);
                if let Some((d, g)) = stroke.dash {
                    let _ = write!(op, " [{d:.2} {g:.2}] 0 d");
                }
                for (i, (x, y)) in points.iter().enumerate() {
                    let _ = write!(
                        op,
                        " {x:.2} {:.2} {}",
                        h - y,
                        if i == 0 { "m" } else { "l" }
                    );
                }
                op.push_str(" S");
                if stroke.dash.is_some() {
                    op.push_str(" [] 0 d");
                }
                ops.push(op);
            }
            Shape::Segments { segments, stroke } => {
                let mut op = format!("{} RG {:.2} w 0 J", stroke.color.pdf(), stroke.width);
                // A line per eight segments: TeX reads its input line by line.
                for (i, (x1, y1, x2, y2)) in segments.iter().enumerate() {
                    let sep = if i % 8 == 0 { '\n' } else { ' ' };
                    let _ = write!(op, "{sep}{x1:.2} {:.2} m {x2:.2} {:.2} l", h - y1, h - y2);
                }
                op.push_str(" S 1 J");
                ops.push(op);
            }
            Shape::Circle { cx, cy, r, fill } => {
                ops.push(format!("{} rg {}", fill.pdf(), pdf_circle(*cx, h - cy, *r)));
            }
            Shape::Text {
                x,
                y,
                text,
                size,
                anchor,
                vertical,
                bold,
            } => {
                let pos = match anchor {
                    Anchor::Start => "l",
                    Anchor::Middle => "c",
                    Anchor::End => "r",
                };
                let body = format!(
                    "\\makebox[0pt][{pos}]{{{}{}}}",
                    font(*size, *bold),
                    self::text(text)
                );
                let body = if *vertical {
                    format!("\\rotatebox{{90}}{{{body}}}")
                } else {
                    body
                };
                texts.push(format!("\\put({x:.2},{:.2}){{{body}}}%", h - y));
            }
        }
    }
    (ops, texts)
}

fn picture_of(scene: &Scene, ops: &[String], texts: &[String]) -> String {
    let h = scene.height;
    let mut s = String::new();
    s.push_str("\\begingroup%\n");
    s.push_str("\\ifdefined\\pdfliteral\\else\\ifdefined\\pdfextension\\protected\\def\\pdfliteral{\\pdfextension literal}\\fi\\fi%\n");
    s.push_str("\\ifdefined\\gvcfigurebox\\else\\newsavebox{\\gvcfigurebox}\\fi%\n");
    s.push_str("\\setlength{\\unitlength}{1bp}%\n");
    let _ = writeln!(
        s,
        "\\sbox{{\\gvcfigurebox}}{{\\begin{{picture}}({:.2},{:.2})%",
        scene.width, h
    );
    match &scene.strokes_file {
        Some(file) => {
            let _ = writeln!(
                s,
                "\\put(0,0){{\\includegraphics[width={:.2}bp,height={h:.2}bp]{{{file}}}}}%",
                scene.width
            );
        }
        None => {
            s.push_str("\\put(0,0){\\pdfliteral{q 1 J 1 j\n");
            for op in ops {
                s.push_str(op);
                s.push('\n');
            }
            s.push_str("Q}}%\n");
        }
    }
    for t in texts {
        s.push_str(t);
        s.push('\n');
    }
    s.push_str("\\end{picture}}%\n");
    // Wider than the line (a two-column paper): scaled by linewidth / width, computed with
    // e-TeX's 64-bit `\dimexpr` (graphicx `\scalebox`).
    s.push_str("\\ifdim\\wd\\gvcfigurebox>\\linewidth\\edef\\gvcfigurescale{\\csname strip@pt\\endcsname\\dimexpr\\linewidth*65536/\\wd\\gvcfigurebox\\relax}\\scalebox{\\gvcfigurescale}{\\usebox{\\gvcfigurebox}}\\else\\usebox{\\gvcfigurebox}\\fi%\n");
    s.push_str("\\endgroup");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figures::{line_chart, Series, PALETTE};

    #[test]
    fn colspec_runs() {
        let d = "D{.}{.}{3.6}".to_string();
        assert_eq!(
            colspec(&[d.clone(), d.clone(), d.clone()]),
            "l*{3}{D{.}{.}{3.6}}"
        );
        assert_eq!(
            colspec(&["c".to_string(), d, "p{6.0cm}".to_string()]),
            "lcD{.}{.}{3.6}p{6.0cm}"
        );
        assert_eq!(decimal_extent("-59.429", 3, false), (3, 6));
        assert_eq!(decimal_extent("40.745", 0, true), (3, 4));
        assert_eq!(decimal_extent("200", 0, false), (3, 0));
    }

    #[test]
    fn latex_numbers() {
        assert_eq!(number("-0.123", 3, false, true), "-0.123^{***}");
        assert_eq!(number("0.045", 0, true, true), "(0.045)");
        assert_eq!(number("-1.5", 1, false, false), "$-$1.5$^{*}$");
    }

    #[test]
    fn picture_is_well_formed() {
        let series = vec![Series {
            label: "A&B <x>".into(),
            points: vec![(2007, -0.1), (2008, 0.0)],
            highlight: Some(PALETTE[0]),
        }];
        let scene = line_chart(&Text::plain("GVC position"), &series, &[(2007, 0.0)]);
        let tex = picture(&scene);
        assert!(tex.contains("\\pdfliteral{q 1 J 1 j"));
        assert!(
            tex.contains("A\\&B \\textless{}x\\textgreater{}"),
            "text escaped"
        );
        assert_eq!(tex.matches('{').count(), tex.matches('}').count());
    }
}
