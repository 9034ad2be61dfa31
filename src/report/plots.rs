//! The report's figures: a line chart over time per indicator measure (highlighted countries
//! in colour) and a coefficient plot per model block (intervals from the regression table's
//! standard errors), each with its file stem and caption. Drawing is in `figures.rs`.

use super::error::ReportError;
use super::figures::{self, CoefPanel, Color, Interval, Scene, Series, PALETTE};
use super::indicators::{country_name, IndicatorData};
use super::input::{ModelBlock, ReportInput};
use super::labels::{variable_label, Text};
use super::regression::{coefficient_rows, estimator_short};
use super::table::file_stem;
use crate::estimate::Estimator;

/// A figure: file stem, caption, scene.
pub(crate) struct Figure {
    pub name: String,
    pub caption: Text,
    pub scene: Scene,
}

fn estimator_color(e: Estimator) -> Color {
    match e {
        Estimator::Fe => PALETTE[0],
        Estimator::Re => PALETTE[1],
        Estimator::Pooled => PALETTE[2],
        Estimator::Be => PALETTE[3],
        Estimator::Fd => PALETTE[4],
        Estimator::Fe2 => PALETTE[5],
        Estimator::Hdfe => PALETTE[6],
        Estimator::Ppml => PALETTE[6],
    }
}

fn level_text(level: f64) -> String {
    let pct = level * 100.0;
    if (pct - pct.round()).abs() < 1e-9 {
        format!("{pct:.0}")
    } else {
        format!("{pct:.1}")
    }
}

/// The coefficient plot of a block (`None` when no coefficient has an interval).
pub(crate) fn coefficient_figure(
    block: &ModelBlock,
    input: &ReportInput,
) -> Result<Option<Figure>, ReportError> {
    let rows = coefficient_rows(block, input)?;
    let k = block.columns.len();
    let panels: Vec<CoefPanel> = rows
        .iter()
        .filter(|r| r.key != "_cons")
        .filter(|r| (0..k).any(|c| matches!(r.interval(c), Some(Some(_)))))
        .map(|r| CoefPanel {
            title: r.label.clone(),
            intervals: (0..k)
                .map(|c| match r.interval(c) {
                    Some(Some((b, l, h))) => Interval::Estimated(b, l, h),
                    Some(None) => Interval::Omitted,
                    None => Interval::Absent,
                })
                .collect(),
        })
        .collect();
    if panels.is_empty() {
        return Ok(None);
    }
    let labels: Vec<String> = block
        .columns
        .iter()
        .enumerate()
        .map(|(c, col)| format!("({}) {}", c + 1, estimator_short(col.result.estimator)))
        .collect();
    let colors: Vec<Color> = block
        .columns
        .iter()
        .map(|c| estimator_color(c.result.estimator))
        .collect();
    let mut levels: Vec<String> = block
        .columns
        .iter()
        .filter_map(|c| c.result.primary().map(|v| level_text(v.level)))
        .collect();
    levels.dedup();
    let level = match levels.as_slice() {
        [one] => format!("{one}%"),
        _ => "column-specific".to_string(),
    };
    let caption = Text::plain(block.title.clone())
        .push(block.variant.as_ref().map(|v| format!(" ({v})")).unwrap_or_default())
        .push(format!(
            ": point estimates and {level} confidence intervals by model column, computed with the standard errors of the regression table; dashed line at zero."
        ));
    let scene = figures::coefficient_plot(&block.title, &labels, &colors, &panels);
    Ok(Some(Figure {
        name: format!("coefplot_{}", block.name),
        caption,
        scene,
    }))
}

/// The line charts of the measures selected by `[report] indicators.figures`.
pub(crate) fn indicator_figures(
    data: &IndicatorData,
    input: &ReportInput,
) -> Result<Vec<Figure>, ReportError> {
    let s = &input.settings.indicators;
    let measures = data.select(&s.figures, "indicators.figures")?;
    for h in &s.highlight {
        if !data.countries.contains(h) {
            return Err(ReportError::Setting {
                setting: "indicators.highlight".into(),
                message: format!(
                    "country `{h}` has no indicator values (fix: use a sample country code)"
                ),
            });
        }
    }
    let mut out = Vec::new();
    for m in &measures {
        let Some(by_country) = data.values.get(m) else {
            continue;
        };
        let series_of = |c: &str, highlight: Option<Color>| Series {
            label: country_name(c, input),
            points: by_country
                .get(c)
                .map(|ys| ys.iter().map(|(y, v)| (*y, *v)).collect())
                .unwrap_or_default(),
            highlight,
        };
        // A country whose values are all missing (an economy with no exports) draws no line.
        let has_points = |c: &str| by_country.get(c).is_some_and(|ys| !ys.is_empty());
        let mut series: Vec<Series> = data
            .countries
            .iter()
            .filter(|c| !s.highlight.contains(c) && has_points(c))
            .map(|c| series_of(c, None))
            .collect();
        for (i, h) in s.highlight.iter().enumerate() {
            if has_points(h) {
                series.push(series_of(h, Some(PALETTE[i % PALETTE.len()])));
            }
        }
        let years = data.years(m);
        let mean: Vec<(i32, f64)> = years
            .iter()
            .filter_map(|y| {
                let v: Vec<f64> = by_country
                    .values()
                    .filter_map(|ys| ys.get(y).copied())
                    .collect();
                (!v.is_empty()).then(|| (*y, v.iter().sum::<f64>() / v.len() as f64))
            })
            .collect();
        let label = variable_label(m, &input.labels);
        let scene = figures::line_chart(&label, &series, &mean);
        let span = match (years.first(), years.last()) {
            (Some(a), Some(b)) if a != b => format!(", {a}\u{2013}{b}"),
            (Some(a), _) => format!(", {a}"),
            _ => String::new(),
        };
        let highlighted = if s.highlight.is_empty() {
            "each line a sample country".to_string()
        } else {
            "highlighted countries in colour, other sample countries in grey".to_string()
        };
        out.push(Figure {
            name: format!("{}_over_time", file_stem(m)),
            caption: label.push(format!(
                " over time{span} ({highlighted}; dashed: sample mean)."
            )),
            scene,
        });
    }
    Ok(out)
}
