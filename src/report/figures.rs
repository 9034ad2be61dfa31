//! Figures drawn by hand: a chart is laid out once as a [`Scene`] of lines, circles and text
//! in big points (1/72 in, y downwards), then written as SVG (`svg.rs`, for every format) and
//! as a LaTeX `picture` whose strokes are raw PDF operators (`\pdfliteral`, pdfTeX) and whose
//! text is typeset by LaTeX (`latex.rs`) — no plotting crate, no TikZ (not in
//! texlive-latex-recommended).
//!
//! Layout rules: tick values from the 1–2–5 ladder ("nice numbers", Heckbert, Graphics Gems
//! 1990), tick steps widened until their labels (measured with Helvetica metrics) do not
//! overlap, legends placed beside the plot area so they never cover data, coordinates printed
//! with two decimals so the bytes are deterministic.

use super::labels::Text;

/// Width of every figure in big points (fits an A4 text block with 2.5 cm margins).
pub(crate) const FIGURE_WIDTH: f64 = 440.0;
/// Tick-label font size (bp).
pub(crate) const TICK_SIZE: f64 = 8.0;
/// Axis-title font size (bp).
pub(crate) const LABEL_SIZE: f64 = 9.0;

/// An RGB colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Color(pub u8, pub u8, pub u8);

const BLACK: Color = Color(0, 0, 0);
pub(crate) const AXIS: Color = Color(51, 51, 51);
pub(crate) const GRID: Color = Color(225, 225, 225);
pub(crate) const CONTEXT_GREY: Color = Color(190, 190, 190);
pub(crate) const MUTED: Color = Color(110, 110, 110);

/// Okabe–Ito colours (colour-blind safe), yellow left out for contrast on white.
pub(crate) const PALETTE: [Color; 7] = [
    Color(0, 114, 178),
    Color(213, 94, 0),
    Color(0, 158, 115),
    Color(204, 121, 167),
    Color(230, 159, 0),
    Color(86, 180, 233),
    Color(0, 0, 0),
];

impl Color {
    /// `#rrggbb` (SVG).
    pub(crate) fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// `r g b` in 0–1 (PDF colour operands).
    pub(crate) fn pdf(self) -> String {
        let c = |v: u8| format!("{:.3}", f64::from(v) / 255.0);
        format!("{} {} {}", c(self.0), c(self.1), c(self.2))
    }
}

/// Horizontal anchor of a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

/// A stroke style.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stroke {
    pub color: Color,
    pub width: f64,
    /// Dash and gap lengths.
    pub dash: Option<(f64, f64)>,
}

impl Stroke {
    pub(crate) fn solid(color: Color, width: f64) -> Self {
        Stroke {
            color,
            width,
            dash: None,
        }
    }
}

/// A drawing primitive (coordinates in bp, origin top left, y downwards).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    Polyline {
        points: Vec<(f64, f64)>,
        stroke: Stroke,
    },
    Circle {
        cx: f64,
        cy: f64,
        r: f64,
        fill: Color,
    },
    /// Unconnected straight segments (x1, y1, x2, y2) in one stroke: thousands of marks
    /// (a specification curve's intervals and dot matrix) as one path.
    Segments {
        segments: Vec<(f64, f64, f64, f64)>,
        stroke: Stroke,
    },
    Text {
        x: f64,
        /// Baseline.
        y: f64,
        text: Text,
        size: f64,
        anchor: Anchor,
        /// Rotated 90° counter-clockwise (y-axis titles).
        vertical: bool,
        bold: bool,
    },
}

/// A laid-out figure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scene {
    pub width: f64,
    pub height: f64,
    /// Accessible title of the SVG.
    pub title: String,
    pub shapes: Vec<Shape>,
    /// LaTeX: draw the strokes from this PDF (path relative to the report, written beside
    /// the figure) instead of inline `\pdfliteral` — for scenes with thousands of marks,
    /// whose inline operators would exceed TeX's main memory.
    pub strokes_file: Option<String>,
}

impl Scene {
    pub(crate) fn new(height: f64, title: &str) -> Self {
        Scene {
            width: FIGURE_WIDTH,
            height,
            title: title.to_string(),
            shapes: Vec::new(),
            strokes_file: None,
        }
    }

    pub(crate) fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: Stroke) {
        self.shapes.push(Shape::Polyline {
            points: vec![(x1, y1), (x2, y2)],
            stroke,
        });
    }

    pub(crate) fn text(&mut self, x: f64, y: f64, text: Text, size: f64, anchor: Anchor) {
        self.shapes.push(Shape::Text {
            x,
            y,
            text,
            size,
            anchor,
            vertical: false,
            bold: false,
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Text metrics and ticks
// ---------------------------------------------------------------------------------------------

/// Helvetica advance widths (Adobe AFM, 1/1000 em) for ASCII 32–126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// Estimated width of a text at a font size (Helvetica metrics plus 8 % for the Computer
/// Modern sans serif LaTeX uses; non-ASCII characters count 0.6 em).
pub(crate) fn text_width(s: &str, size: f64) -> f64 {
    let em: f64 = s
        .chars()
        .map(|c| {
            let u = c as u32;
            if (32..127).contains(&u) {
                f64::from(HELVETICA[(u - 32) as usize]) / 1000.0
            } else {
                0.6
            }
        })
        .sum();
    em * size * 1.08
}

/// Tick values covering [lo, hi] with about `target` steps of 1, 2 or 5 × 10^k, and the
/// decimals their labels need.
pub(crate) fn nice_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, usize) {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - pad, hi + pad)
    };
    let raw = (hi - lo) / target.max(1) as f64;
    let exp = raw.log10().floor() as i32;
    let mag = 10f64.powi(exp);
    let norm = raw / mag;
    let unit = if norm < 1.5 {
        1.0
    } else if norm < 3.0 {
        2.0
    } else if norm < 7.0 {
        5.0
    } else {
        10.0
    };
    let step = unit * mag;
    let k0 = (lo / step - 1e-9).floor() as i64;
    let k1 = (hi / step + 1e-9).ceil() as i64;
    // k·unit/10^-exp is the double nearest to the decimal tick (k·step would drift).
    let ticks = (k0..=k1)
        .map(|k| {
            if exp < 0 {
                k as f64 * unit / 10f64.powi(-exp)
            } else {
                k as f64 * unit * mag
            }
        })
        .collect();
    let decimals = (-(step.log10() + 1e-9).floor()).max(0.0) as usize;
    (ticks, decimals)
}

/// A tick value with fixed decimals and a typographic minus (U+2212).
pub(crate) fn tick_label(v: f64, decimals: usize) -> String {
    let v = if v.abs() < 1e-12 { 0.0 } else { v };
    format!("{v:.decimals$}").replace('-', "\u{2212}")
}

/// Ticks whose labels fit in `span` bp without overlapping (fewer steps until they do).
pub(crate) fn fitted_ticks(lo: f64, hi: f64, span: f64, mut target: usize) -> (Vec<f64>, usize) {
    loop {
        let (ticks, dec) = nice_ticks(lo, hi, target);
        let (a, b) = (ticks[0], ticks[ticks.len() - 1]);
        let widest = ticks
            .iter()
            .map(|t| text_width(&tick_label(*t, dec), TICK_SIZE))
            .fold(0.0, f64::max);
        let spacing = span * (ticks.get(1).map_or(b - a, |t1| t1 - a)) / (b - a).max(1e-300);
        if spacing >= widest + 6.0 || target <= 2 {
            return (ticks, dec);
        }
        target -= 1;
    }
}

/// A linear map from data to figure coordinates.
#[derive(Debug, Clone, Copy)]
struct Scale {
    d0: f64,
    d1: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    fn at(&self, v: f64) -> f64 {
        self.p0 + (v - self.d0) / (self.d1 - self.d0) * (self.p1 - self.p0)
    }
}

// ---------------------------------------------------------------------------------------------
// Line chart of an indicator over time
// ---------------------------------------------------------------------------------------------

/// One country's series.
pub(crate) struct Series {
    pub label: String,
    pub points: Vec<(i32, f64)>,
    pub highlight: Option<Color>,
}

/// A line chart: every country in light grey, highlighted countries in colour with markers,
/// the sample mean dashed; legend to the right of the plot area.
pub(crate) fn line_chart(y_label: &Text, series: &[Series], mean: &[(i32, f64)]) -> Scene {
    let height = 250.0;
    let mut scene = Scene::new(height, &y_label.raw());
    let years: Vec<i32> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(mean.iter().map(|p| p.0))
        .collect();
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(mean.iter().map(|p| p.1))
        .collect();
    let (Some(&x_min), Some(&x_max)) = (years.iter().min(), years.iter().max()) else {
        return scene;
    };
    let v_min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let v_max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);

    // Legend entries (highlighted countries, the rest, the mean) and their width.
    let mut legend: Vec<(String, Stroke, bool)> = series
        .iter()
        .filter_map(|s| {
            s.highlight
                .map(|c| (s.label.clone(), Stroke::solid(c, 1.6), true))
        })
        .collect();
    if series.iter().any(|s| s.highlight.is_none()) {
        let others = if legend.is_empty() {
            "Countries"
        } else {
            "Other countries"
        };
        legend.push((others.into(), Stroke::solid(CONTEXT_GREY, 0.8), false));
    }
    if !mean.is_empty() {
        legend.push((
            "Sample mean".into(),
            Stroke {
                color: BLACK,
                width: 1.2,
                dash: Some((4.0, 2.0)),
            },
            false,
        ));
    }
    let legend_w = legend
        .iter()
        .map(|(l, _, _)| text_width(l, TICK_SIZE))
        .fold(0.0, f64::max)
        + 28.0;

    // Plot area.
    let top = 8.0;
    let bottom = height - 34.0;
    let (y_ticks, y_dec) = fitted_ticks(v_min, v_max, bottom - top, 6);
    let y_tick_w = y_ticks
        .iter()
        .map(|t| text_width(&tick_label(*t, y_dec), TICK_SIZE))
        .fold(0.0, f64::max);
    let left = 14.0 + LABEL_SIZE + y_tick_w + 6.0;
    let right = FIGURE_WIDTH - legend_w - 12.0;
    let ys = Scale {
        d0: y_ticks[0],
        d1: y_ticks[y_ticks.len() - 1],
        p0: bottom,
        p1: top,
    };
    let (x0, x1) = if x_max > x_min {
        (f64::from(x_min), f64::from(x_max))
    } else {
        (f64::from(x_min) - 1.0, f64::from(x_max) + 1.0)
    };
    let xs = Scale {
        d0: x0,
        d1: x1,
        p0: left + 6.0,
        p1: right - 6.0,
    };

    // Grid and y ticks.
    for t in &y_ticks {
        let y = ys.at(*t);
        scene.line(left, y, right, y, Stroke::solid(GRID, 0.5));
        scene.text(
            left - 4.0,
            y + 0.35 * TICK_SIZE,
            Text::plain(tick_label(*t, y_dec)),
            TICK_SIZE,
            Anchor::End,
        );
    }
    if ys.d0 < 0.0 && ys.d1 > 0.0 {
        let y = ys.at(0.0);
        scene.line(left, y, right, y, Stroke::solid(MUTED, 0.6));
    }
    // Year ticks: every year if the labels fit, else every 2, 5, 10 years.
    let year_w = text_width("0000", TICK_SIZE) + 6.0;
    let per_year = (xs.p1 - xs.p0) / (x1 - x0).max(1.0);
    let step = [1, 2, 5, 10, 20, 50, 100]
        .into_iter()
        .find(|s| f64::from(*s) * per_year >= year_w)
        .unwrap_or(100);
    let first_tick = (x_min + step - 1).div_euclid(step) * step;
    let mut y = first_tick;
    while y <= x_max {
        let x = xs.at(f64::from(y));
        scene.line(x, bottom, x, bottom + 3.0, Stroke::solid(AXIS, 0.6));
        scene.text(
            x,
            bottom + 4.0 + TICK_SIZE,
            Text::plain(y.to_string()),
            TICK_SIZE,
            Anchor::Middle,
        );
        y += step;
    }
    // Axes.
    scene.line(left, top, left, bottom, Stroke::solid(AXIS, 0.6));
    scene.line(left, bottom, right, bottom, Stroke::solid(AXIS, 0.6));
    scene.text(
        (left + right) / 2.0,
        height - 6.0,
        Text::plain("Year"),
        LABEL_SIZE,
        Anchor::Middle,
    );
    scene.shapes.push(Shape::Text {
        x: 4.0 + LABEL_SIZE * 0.8,
        y: (top + bottom) / 2.0,
        text: y_label.clone(),
        size: LABEL_SIZE,
        anchor: Anchor::Middle,
        vertical: true,
        bold: false,
    });

    // Data: context lines, mean, highlighted lines on top.
    let segments = |points: &[(i32, f64)]| -> Vec<Vec<(f64, f64)>> {
        let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut prev: Option<i32> = None;
        for (yr, v) in points {
            let p = (xs.at(f64::from(*yr)), ys.at(*v));
            match (prev, out.last_mut()) {
                (Some(py), Some(seg)) if *yr == py + 1 => seg.push(p),
                _ => out.push(vec![p]),
            }
            prev = Some(*yr);
        }
        out
    };
    for s in series.iter().filter(|s| s.highlight.is_none()) {
        for seg in segments(&s.points) {
            if seg.len() == 1 {
                scene.shapes.push(Shape::Circle {
                    cx: seg[0].0,
                    cy: seg[0].1,
                    r: 0.9,
                    fill: CONTEXT_GREY,
                });
            } else {
                scene.shapes.push(Shape::Polyline {
                    points: seg,
                    stroke: Stroke::solid(CONTEXT_GREY, 0.8),
                });
            }
        }
    }
    if let Some((_, stroke, _)) = legend.iter().find(|(l, _, _)| l == "Sample mean") {
        for seg in segments(mean) {
            scene.shapes.push(Shape::Polyline {
                points: seg,
                stroke: *stroke,
            });
        }
    }
    for s in series {
        let Some(color) = s.highlight else { continue };
        for seg in segments(&s.points) {
            if seg.len() > 1 {
                scene.shapes.push(Shape::Polyline {
                    points: seg.clone(),
                    stroke: Stroke::solid(color, 1.6),
                });
            }
            for (cx, cy) in seg {
                scene.shapes.push(Shape::Circle {
                    cx,
                    cy,
                    r: 1.9,
                    fill: color,
                });
            }
        }
    }

    // Legend.
    let lx = right + 14.0;
    for (i, (label, stroke, marker)) in legend.iter().enumerate() {
        let ly = top + 6.0 + 13.0 * i as f64;
        scene.line(lx, ly, lx + 16.0, ly, *stroke);
        if *marker {
            scene.shapes.push(Shape::Circle {
                cx: lx + 8.0,
                cy: ly,
                r: 1.9,
                fill: stroke.color,
            });
        }
        scene.text(
            lx + 20.0,
            ly + 0.35 * TICK_SIZE,
            Text::plain(label.clone()),
            TICK_SIZE,
            Anchor::Start,
        );
    }
    scene
}

// ---------------------------------------------------------------------------------------------
// Coefficient plot
// ---------------------------------------------------------------------------------------------

/// One model column's interval for a coefficient.
pub(crate) enum Interval {
    /// (estimate, low, high).
    Estimated(f64, f64, f64),
    Omitted,
    Absent,
}

/// One coefficient panel.
pub(crate) struct CoefPanel {
    pub title: Text,
    /// One per model column.
    pub intervals: Vec<Interval>,
}

/// Small multiples, one panel per coefficient with its own x-axis (coefficients live on
/// different scales): each model column a row with its point estimate and confidence
/// interval, a dashed line at zero; two panels per row when there are three or more.
pub(crate) fn coefficient_plot(
    title: &str,
    column_labels: &[String],
    column_colors: &[Color],
    panels: &[CoefPanel],
) -> Scene {
    let per_row = if panels.len() >= 3 { 2 } else { 1 };
    let gap_x = 22.0;
    let panel_w = (FIGURE_WIDTH - gap_x * (per_row as f64 - 1.0)) / per_row as f64;
    let row_h = 11.0;
    let title_h = 16.0;
    let axis_h = 16.0;
    let gap_y = 12.0;
    let k = column_labels.len();
    let panel_h = title_h + row_h * k as f64 + 4.0 + axis_h;
    let n_rows = panels.len().div_ceil(per_row);
    let height = (panel_h + gap_y) * n_rows as f64;
    let mut scene = Scene::new(height.max(40.0), title);
    let label_w = column_labels
        .iter()
        .map(|l| text_width(l, TICK_SIZE))
        .fold(0.0, f64::max)
        + 8.0;
    for (i, panel) in panels.iter().enumerate() {
        let ox = (i % per_row) as f64 * (panel_w + gap_x);
        let oy = (i / per_row) as f64 * (panel_h + gap_y);
        scene.shapes.push(Shape::Text {
            x: ox,
            y: oy + 10.0,
            text: panel.title.clone(),
            size: LABEL_SIZE,
            anchor: Anchor::Start,
            vertical: false,
            bold: true,
        });
        let left = ox + label_w;
        let right = ox + panel_w - 4.0;
        let top = oy + title_h;
        let bottom = top + row_h * k as f64 + 4.0;
        let mut lo: f64 = 0.0;
        let mut hi: f64 = 0.0;
        for iv in &panel.intervals {
            if let Interval::Estimated(b, l, h) = iv {
                for v in [b, l, h] {
                    if v.is_finite() {
                        lo = lo.min(*v);
                        hi = hi.max(*v);
                    }
                }
            }
        }
        let (ticks, dec) = fitted_ticks(lo, hi, right - left - 8.0, 5);
        let xs = Scale {
            d0: ticks[0],
            d1: ticks[ticks.len() - 1],
            p0: left + 4.0,
            p1: right - 4.0,
        };
        for t in &ticks {
            let x = xs.at(*t);
            scene.line(x, top, x, bottom, Stroke::solid(GRID, 0.5));
            scene.line(x, bottom, x, bottom + 3.0, Stroke::solid(AXIS, 0.6));
            scene.text(
                x,
                bottom + 4.0 + TICK_SIZE,
                Text::plain(tick_label(*t, dec)),
                TICK_SIZE,
                Anchor::Middle,
            );
        }
        scene.line(left, bottom, right, bottom, Stroke::solid(AXIS, 0.6));
        let zx = xs.at(0.0);
        scene.line(
            zx,
            top,
            zx,
            bottom,
            Stroke {
                color: MUTED,
                width: 0.8,
                dash: Some((3.0, 2.0)),
            },
        );
        for (c, iv) in panel.intervals.iter().enumerate() {
            let cy = top + row_h * (c as f64 + 0.5) + 2.0;
            let label = column_labels.get(c).cloned().unwrap_or_default();
            scene.text(
                ox,
                cy + 0.35 * TICK_SIZE,
                Text::plain(label),
                TICK_SIZE,
                Anchor::Start,
            );
            let color = column_colors.get(c).copied().unwrap_or(BLACK);
            match iv {
                Interval::Estimated(b, l, h) if b.is_finite() => {
                    if l.is_finite() && h.is_finite() {
                        scene.line(xs.at(*l), cy, xs.at(*h), cy, Stroke::solid(color, 1.3));
                    }
                    scene.shapes.push(Shape::Circle {
                        cx: xs.at(*b),
                        cy,
                        r: 2.3,
                        fill: color,
                    });
                }
                // Right-aligned so that it stays clear of the zero line in most panels.
                Interval::Omitted => scene.text(
                    right - 2.0,
                    cy + 0.35 * TICK_SIZE,
                    Text::plain("(omitted)"),
                    TICK_SIZE,
                    Anchor::End,
                ),
                _ => {}
            }
        }
    }
    scene
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice() {
        let (t, d) = nice_ticks(0.03, 0.97, 5);
        assert_eq!(t, vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(d, 1);
        let (t, d) = nice_ticks(-0.23, 0.41, 5);
        assert_eq!(
            (t.first().copied(), t.last().copied(), d),
            (Some(-0.3), Some(0.5), 1)
        );
        let (t, d) = nice_ticks(12.0, 12.0, 5);
        assert!(t.len() >= 2 && d <= 1, "{t:?}");
        let (_, d) = nice_ticks(0.0, 0.05, 5);
        assert_eq!(d, 2);
    }

    #[test]
    fn tick_labels_fixed() {
        assert_eq!(tick_label(-1e-17, 2), "0.00");
        assert_eq!(tick_label(0.6000000000000001, 1), "0.6");
        assert_eq!(tick_label(-0.25, 2), "\u{2212}0.25");
    }

    #[test]
    fn widths() {
        assert!((text_width("0000", 10.0) - 4.0 * 5.56 * 1.08).abs() < 1e-9);
        assert!(text_width("Tariff", 8.0) > text_width("Tar", 8.0));
    }
}
