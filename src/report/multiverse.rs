//! The multiverse section: a summary table (one row per model and key regressor: universes,
//! shares positive / negative / significant, median and interquartile range, the average Z,
//! the joint test's p-values) and one specification curve per model and key regressor (Simonsohn, Simmons &
//! Nelson 2020, fig. 2): on top every universe's estimate with its confidence interval,
//! sorted by size, significant ones in colour, the baseline universe marked; below, a dot
//! matrix of each universe's choice on every axis, aligned with the estimates above.
//!
//! Readable at thousands of universes: intervals and matrix marks are drawn as one path per
//! row ([`Shape::Segments`]) whose marks widen to the space a universe has, so they merge
//! into bands where neighbours agree; labels never depend on the number of universes.

use super::escape::{thousands, Digits};
use super::figures::{
    fitted_ticks, text_width, tick_label, Anchor, Color, Scene, Shape, Stroke, AXIS, FIGURE_WIDTH,
    GRID, LABEL_SIZE, MUTED, PALETTE, TICK_SIZE,
};
use super::input::{CurveInput, Intervals, MultiverseInput, ReportInput};
use super::labels::{variable_label, Text};
use super::plots::Figure;
use super::table::{file_stem, number, simple_table, text_cell, Align, Row, Table};

/// The summary table (none without a multiverse).
pub(crate) fn summary_table(input: &ReportInput) -> Option<Table> {
    let mv = input.multiverse.as_ref()?;
    let d = input.settings.digits;
    let pct = |x: f64| {
        if x.is_finite() {
            number(100.0 * x, Digits::Fixed(1), 0, false)
        } else {
            text_cell("—")
        }
    };
    let num = |x: f64| {
        if x.is_finite() {
            number(x, d, 0, false)
        } else {
            text_cell("—")
        }
    };
    let p = |x: Option<f64>| match x {
        Some(v) => number(v, Digits::Fixed(3), 0, false),
        None => text_cell("—"),
    };
    let rows = mv
        .curves
        .iter()
        .map(|c| {
            let s = &c.summary;
            Row {
                label: Text::plain(format!("{}: ", c.model_title))
                    .append(variable_label(&c.variable, &input.labels)),
                cells: vec![
                    text_cell(&thousands(s.n_universes as u64)),
                    pct(s.share_positive),
                    pct(s.share_negative),
                    pct(s.share_significant),
                    num(s.median),
                    num(s.q25),
                    num(s.q75),
                    p(s.joint.map(|j| j.p_median)),
                    p(s.joint.map(|j| j.p_share_significant)),
                    s.joint.map_or_else(|| text_cell("—"), |j| num(j.average_z)),
                    p(s.joint.map(|j| j.p_average_z)),
                ],
                space_after: false,
            }
        })
        .collect();
    let draws = mv
        .curves
        .iter()
        .find_map(|c| c.summary.joint.map(|j| j.draws));
    let mut notes = vec![Text::plain(format!(
        "{} universes: every combination of the multiverse's axes, less the excluded ones. Shares of universes with a positive, negative and significant (5 %) estimate; median and quartiles (P25, P75) of the estimates.",
        thousands(mv.n_universes as u64)
    ))];
    let missing = mv
        .curves
        .iter()
        .map(|c| c.summary.n_missing)
        .max()
        .unwrap_or(0);
    if missing > 0 {
        notes.push(Text::plain(format!(
            "{} universes have no estimate of a key regressor (their fit failed or omitted it); the shares and quantiles are over the others.",
            thousands(missing as u64)
        )));
    }
    notes.push(Text::plain(match draws {
        Some(n) => format!(
            "Joint test (Simonsohn, Simmons & Nelson 2020) from {n} seeded bootstrap draws under the null: the dependent variable less each universe's estimated effect, countries resampled with replacement; p (median) is the share of draws whose median estimate is at least as far from zero as observed, p (significant) the share with at least as many universes significant in the dominant sign, p (average Z) the share whose average Z in the dominant sign is at least the observed one (Stouffer's method: Z = sign of the estimate × the standard normal quantile of 1 − p/2, averaged over the universes)."
        ),
        None => "No joint test: set `multiverse.inference = { draws = 500 }`.".to_string(),
    }));
    Some(simple_table(
        "multiverse_summary",
        "multiverse",
        Text::plain("The multiverse: estimates of each key regressor across universes"),
        "Model: regressor",
        vec![
            ("Universes", Align::Center),
            ("Positive (%)", Align::Decimal),
            ("Negative (%)", Align::Decimal),
            ("Significant (%)", Align::Decimal),
            ("Median", Align::Decimal),
            ("P25", Align::Decimal),
            ("P75", Align::Decimal),
            ("p (median)", Align::Decimal),
            ("p (significant)", Align::Decimal),
            ("Average Z", Align::Decimal),
            ("p (average Z)", Align::Decimal),
        ],
        rows,
        notes,
    ))
}

/// One specification curve per model and key regressor.
pub(crate) fn curve_figures(input: &ReportInput) -> Vec<Figure> {
    let Some(mv) = input.multiverse.as_ref() else {
        return Vec::new();
    };
    mv.curves
        .iter()
        .map(|c| {
            let label = variable_label(&c.variable, &input.labels);
            let caption = Text::plain(format!("{}: ", c.model_title))
                .append(label.clone())
                .push(format!(
                    " — specification curve over {} universes. Top: each universe's estimate with its 95 % confidence interval, sorted by size (estimates and interval ends beyond their 1st and 99th percentiles are drawn at the panel's edge) (significant at 5 % in blue, others grey; the baseline universe in orange on the dashed line). Bottom: each universe's choice on every axis.",
                    thousands(mv.n_universes as u64)
                ));
            let name = format!("spec_curve_{}_{}", file_stem(&c.model), file_stem(&c.variable));
            let mut scene = curve_scene(mv, c, &label.raw());
            scene.strokes_file = Some(format!("figures/{name}-strokes.pdf"));
            Figure {
                name,
                caption,
                scene,
            }
        })
        .collect()
}

const SIGNIFICANT: Color = PALETTE[0];
const BASELINE: Color = PALETTE[1];
const BAND: Color = Color(198, 219, 239);
const ROW_H: f64 = 8.0;
const HEAD_H: f64 = 10.0;

/// The two-panel scene of one curve.
fn curve_scene(mv: &MultiverseInput, c: &CurveInput, label: &str) -> Scene {
    // Universes with an estimate, sorted by it (ties by universe order: deterministic).
    let mut order: Vec<(usize, [f64; 4])> = c
        .points
        .iter()
        .enumerate()
        .filter_map(|(u, p)| p.filter(|v| v[0].is_finite()).map(|v| (u, v)))
        .collect();
    order.sort_by(|a, b| a.1[0].total_cmp(&b.1[0]).then(a.0.cmp(&b.0)));
    let row_labels: Vec<&str> = mv
        .axes
        .iter()
        .flat_map(|a| a.rows.iter().map(|r| r.0.as_str()))
        .chain(mv.axes.iter().map(|a| a.name.as_str()))
        .collect();
    let left = row_labels
        .iter()
        .map(|l| text_width(l, TICK_SIZE))
        .fold(40.0, f64::max)
        .min(150.0)
        + 10.0;
    let right = FIGURE_WIDTH - 6.0;
    let (top0, top1) = (14.0, 190.0);
    let matrix_rows: usize = mv.axes.iter().map(|a| a.rows.len()).sum();
    let matrix_top = top1 + 26.0;
    let height = matrix_top + mv.axes.len() as f64 * HEAD_H + matrix_rows as f64 * ROW_H + 24.0;
    let mut scene = Scene::new(
        height,
        &format!("Specification curve: {} — {label}", c.model_title),
    );
    let n = order.len().max(1);
    let step = (right - left) / n as f64;
    let x_at = |i: usize| left + (i as f64 + 0.5) * step;

    // Top panel: y axis over zero, the baseline estimate, and the estimates and the
    // intervals' ends up to their 1st and 99th percentiles: a few extreme universes (thin
    // samples) would flatten the curve, so what lies beyond is drawn at the panel's edge.
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    let ends = |k: usize, p: f64| {
        let mut e: Vec<f64> = order
            .iter()
            .map(|(_, v)| v[k])
            .filter(|x| x.is_finite())
            .collect();
        e.sort_by(f64::total_cmp);
        crate::estimate::stata_percentile(&e, p)
    };
    for (k, p) in [(0, 1.0), (0, 99.0), (1, 1.0), (2, 99.0)] {
        if let Some(x) = ends(k, p) {
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    if let Some((_, v)) = order.iter().find(|(u, _)| *u == mv.baseline) {
        lo = lo.min(v[0]);
        hi = hi.max(v[0]);
    }
    let (ticks, dec) = fitted_ticks(lo, hi, top1 - top0, 6);
    let (t0, t1) = (ticks[0], ticks[ticks.len() - 1]);
    let y_at = |v: f64| top1 - (v.clamp(t0, t1) - t0) / (t1 - t0).max(1e-300) * (top1 - top0);
    for t in &ticks {
        let y = y_at(*t);
        scene.line(left, y, right, y, Stroke::solid(GRID, 0.4));
        scene.text(
            left - 3.0,
            y + 2.8,
            Text::plain(tick_label(*t, dec)),
            TICK_SIZE,
            Anchor::End,
        );
    }
    scene.line(
        left,
        y_at(0.0),
        right,
        y_at(0.0),
        Stroke {
            color: AXIS,
            width: 0.6,
            dash: Some((3.0, 2.0)),
        },
    );
    scene.shapes.push(Shape::Text {
        x: 10.0,
        y: (top0 + top1) / 2.0,
        text: Text::plain("Estimate"),
        size: LABEL_SIZE,
        anchor: Anchor::Middle,
        vertical: true,
        bold: false,
    });
    let bars: Vec<(f64, f64, f64, f64)> = order
        .iter()
        .enumerate()
        .filter(|(_, (_, v))| v[1].is_finite() && v[2].is_finite())
        .map(|(i, (_, v))| (x_at(i), y_at(v[1]), x_at(i), y_at(v[2])))
        .collect();
    scene.shapes.push(Shape::Segments {
        segments: bars,
        stroke: match mv.intervals {
            Intervals::Band => Stroke::solid(BAND, step.max(0.3)),
            Intervals::Bars => Stroke::solid(MUTED, (step * 0.5).clamp(0.2, 1.0)),
        },
    });
    let r = (step * 0.45).clamp(0.5, 1.8);
    let mut baseline_x = None;
    for (i, (u, v)) in order.iter().enumerate() {
        if *u == mv.baseline {
            baseline_x = Some((x_at(i), y_at(v[0])));
            continue;
        }
        scene.shapes.push(Shape::Circle {
            cx: x_at(i),
            cy: y_at(v[0]),
            r,
            fill: if v[3] < 0.05 { SIGNIFICANT } else { MUTED },
        });
    }

    // Bottom panel: a heading per axis, a row per alternative (or control).
    let mut y = matrix_top;
    for axis in &mv.axes {
        scene.shapes.push(Shape::Text {
            x: 4.0,
            y: y + 7.0,
            text: Text::plain(axis.name.clone()),
            size: TICK_SIZE,
            anchor: Anchor::Start,
            vertical: false,
            bold: true,
        });
        y += HEAD_H;
        let a = mv
            .axes
            .iter()
            .position(|x| x.name == axis.name)
            .unwrap_or(0);
        for (row_label, alts) in &axis.rows {
            let cy = y + ROW_H / 2.0;
            scene.line(left, cy, right, cy, Stroke::solid(GRID, 0.3));
            scene.text(
                left - 3.0,
                cy + 2.6,
                Text::plain(row_label.clone()),
                TICK_SIZE,
                Anchor::End,
            );
            let (mut sig, mut other) = (Vec::new(), Vec::new());
            for (i, (u, v)) in order.iter().enumerate() {
                if mv.choices[*u].get(a).is_some_and(|c| alts.contains(c)) {
                    let seg = (x_at(i), cy - 2.6, x_at(i), cy + 2.6);
                    if v[3] < 0.05 {
                        sig.push(seg);
                    } else {
                        other.push(seg);
                    }
                }
            }
            let width = step.max(0.3);
            for (segments, color) in [(other, MUTED), (sig, SIGNIFICANT)] {
                if !segments.is_empty() {
                    scene.shapes.push(Shape::Segments {
                        segments,
                        stroke: Stroke::solid(color, width),
                    });
                }
            }
            y += ROW_H;
        }
    }
    if let Some((bx, by)) = baseline_x {
        scene.line(
            bx,
            top0,
            bx,
            y,
            Stroke {
                color: BASELINE,
                width: 0.8,
                dash: Some((2.0, 1.5)),
            },
        );
        scene.shapes.push(Shape::Circle {
            cx: bx,
            cy: by,
            r: 3.0,
            fill: BASELINE,
        });
    }
    scene.text(
        (left + right) / 2.0,
        y + 14.0,
        Text::plain(format!(
            "Universes sorted by estimate (n = {})",
            thousands(order.len() as u64)
        )),
        LABEL_SIZE,
        Anchor::Middle,
    );
    scene
}
