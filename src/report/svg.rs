//! The SVG back-end of figures: a [`Scene`] as a standalone SVG document (written as
//! `figures/<name>.svg` for every format; the Markdown report shows it).

use std::fmt::Write as _;

use super::figures::{Anchor, Scene, Shape, Stroke};

/// SVG pixels per big point.
const SVG_SCALE: f64 = 1.5;

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

fn stroke_attrs(s: &Stroke) -> String {
    let mut a = format!(
        "fill=\"none\" stroke=\"{}\" stroke-width=\"{:.2}\" stroke-linecap=\"round\" stroke-linejoin=\"round\"",
        s.color.hex(),
        s.width
    );
    if let Some((d, g)) = s.dash {
        let _ = write!(a, " stroke-dasharray=\"{d:.2} {g:.2}\"");
    }
    a
}

/// The scene as a standalone SVG document.
pub(crate) fn to_svg(scene: &Scene) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0}\" height=\"{:.0}\" viewBox=\"0 0 {:.2} {:.2}\" font-family=\"Helvetica, Arial, sans-serif\">",
        scene.width * SVG_SCALE,
        scene.height * SVG_SCALE,
        scene.width,
        scene.height
    );
    let _ = writeln!(s, "<title>{}</title>", xml_escape(&scene.title));
    let _ = writeln!(s, "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
    for shape in &scene.shapes {
        match shape {
            Shape::Polyline { points, stroke } => {
                let pts: Vec<String> = points
                    .iter()
                    .map(|(x, y)| format!("{x:.2},{y:.2}"))
                    .collect();
                let _ = writeln!(
                    s,
                    "<polyline points=\"{}\" {}/>",
                    pts.join(" "),
                    stroke_attrs(stroke)
                );
            }
            Shape::Segments { segments, stroke } => {
                let mut d = String::new();
                for (x1, y1, x2, y2) in segments {
                    let _ = write!(d, "M{x1:.2} {y1:.2}L{x2:.2} {y2:.2}");
                }
                let _ = writeln!(
                    s,
                    "<path d=\"{d}\" {}/>",
                    stroke_attrs(stroke)
                        .replace("stroke-linecap=\"round\"", "stroke-linecap=\"butt\"")
                );
            }
            Shape::Circle { cx, cy, r, fill } => {
                let _ = writeln!(
                    s,
                    "<circle cx=\"{cx:.2}\" cy=\"{cy:.2}\" r=\"{r:.2}\" fill=\"{}\"/>",
                    fill.hex()
                );
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
                let anchor = match anchor {
                    Anchor::Start => "start",
                    Anchor::Middle => "middle",
                    Anchor::End => "end",
                };
                let rotate = if *vertical {
                    format!(" transform=\"rotate(-90 {x:.2} {y:.2})\"")
                } else {
                    String::new()
                };
                let weight = if *bold { " font-weight=\"bold\"" } else { "" };
                let _ = writeln!(
                    s,
                    "<text x=\"{x:.2}\" y=\"{y:.2}\" font-size=\"{size:.1}\" text-anchor=\"{anchor}\" fill=\"#222222\"{weight}{rotate}>{}</text>",
                    xml_escape(&text.raw())
                );
            }
        }
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figures::{line_chart, Series, PALETTE};
    use crate::report::labels::Text;

    #[test]
    fn svg_is_well_formed() {
        let series = vec![
            Series {
                label: "China".into(),
                points: vec![(2007, 0.1), (2008, 0.2), (2010, 0.15)],
                highlight: Some(PALETTE[0]),
            },
            Series {
                label: "A&B <x>".into(),
                points: vec![(2007, -0.1), (2008, 0.0)],
                highlight: None,
            },
        ];
        let scene = line_chart(
            &Text::plain("GVC position"),
            &series,
            &[(2007, 0.0), (2008, 0.1)],
        );
        let svg = to_svg(&scene);
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>\n"));
        assert!(!svg.contains("A&B <x>"), "text must be XML-escaped");
        // The 2008–2010 gap splits the highlighted line into two pieces.
        let coloured = format!("stroke=\"{}\"", PALETTE[0].hex());
        assert_eq!(svg.matches(&coloured).count(), 2, "line + legend sample");
    }
}
