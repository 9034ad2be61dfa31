//! The report: regression tables (esttab-like), descriptive / missing-data / GVC-indicator
//! tables and figures, rendered as Markdown and LaTeX through Tera templates
//! (reference/pipeline-and-tables.md §2, DESIGN.md §3 "report").
//!
//! Pure with respect to the engine: [`render`] takes a typed [`ReportInput`] (built by the
//! engine from the spec and the cached result artifacts — it never runs an estimator) and
//! returns the file contents by relative path; the caller writes them atomically. The only
//! file access is reading the optional user templates folder.
//!
//! Outputs (deterministic bytes for the same input): `report.md`, `report.tex`,
//! `tables/<name>.md|tex` (the `.tex` is a `table` float a paper can `\input`),
//! `figures/<name>.svg` and `figures/<name>.tex` (a `figure` float with pdflatex picture code).
//!
//! LaTeX needs only `graphicx`, `booktabs` and `dcolumn` (texlive-latex-base and
//! texlive-latex-recommended on Debian) and pdflatex (`\pdfliteral`; LuaLaTeX is shimmed).

pub mod context;
pub mod escape;
mod figures;
mod labels;
mod render;
mod tables;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use context::{
    DescriptiveRow, FigureContext, HausmanPair, IndicatorRow, IndicatorSettings, MissingRow,
    ModelBlock, ModelColumn, R2Choice, ReportContext, ReportInput, ReportSettings, RowContext,
    SectionContext, TableContext,
};
pub use escape::Format;
pub use render::BUILTIN_TEMPLATES;

use figures::{CoefPanel, Color, Interval, Scene, Series, PALETTE};
use labels::{variable_label, Text};
use tables::{IndicatorData, Table};

use crate::estimate::Estimator;

/// A failure to build or render the report, naming the template, setting, model block or
/// indicator concerned and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A template failed to parse or render.
    #[error("template `{template}`{}: {} (fix: correct the template; `gvc report --context` prints every variable a template can use)", variable.as_ref().map(|v| format!(", variable `{v}`")).unwrap_or_default(), chain.join(": "))]
    Template {
        /// Template name (relative path), with the included template if the error is there.
        template: String,
        /// The variable concerned, when tera names one.
        variable: Option<String>,
        /// tera's error and all its sources, outermost first.
        chain: Vec<String>,
    },
    /// A user template could not be read.
    #[error("cannot read user template {}: {source} (fix: check the templates folder and its permissions)", path.display())]
    ReadTemplate {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A report setting is invalid.
    #[error("report setting `{setting}`: {message}")]
    Setting {
        /// The setting (`stars`, `rename`, `indicators.summary`, ...).
        setting: String,
        /// What is wrong and the fix.
        message: String,
    },
    /// A model block cannot be tabulated.
    #[error("model `{model}`: {message}")]
    Model {
        /// Block name.
        model: String,
        /// What is wrong and the fix.
        message: String,
    },
    /// The indicator rows are inconsistent.
    #[error("indicators: {message}")]
    Indicators {
        /// What is wrong and the fix.
        message: String,
    },
    /// Two outputs would get the same path.
    #[error(
        "two outputs would be written to `{path}` (fix: rename the model block or the measure)"
    )]
    DuplicateOutput {
        /// The relative path.
        path: String,
    },
    /// The template context could not be serialised.
    #[error("cannot serialise the template context: {0}")]
    Context(#[from] serde_json::Error),
}

/// A figure: file stem, caption, scene.
struct Figure {
    name: String,
    caption: Text,
    scene: Scene,
}

/// Tables and figures built once from the input, rendered per format.
struct Built {
    regressions: Vec<Table>,
    indicator_summary: Option<Table>,
    by_year: Vec<Table>,
    descriptives: Option<Table>,
    missing: Option<Table>,
    indicator_figures: Vec<Figure>,
    coefficient_figures: Vec<Figure>,
}

fn estimator_color(e: Estimator) -> Color {
    match e {
        Estimator::Fe => PALETTE[0],
        Estimator::Re => PALETTE[1],
        Estimator::Pooled => PALETTE[2],
        Estimator::Be => PALETTE[3],
        Estimator::Fd => PALETTE[4],
        Estimator::Fe2 => PALETTE[5],
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

fn coefficient_figure(
    block: &ModelBlock,
    input: &ReportInput,
) -> Result<Option<Figure>, ReportError> {
    let rows = tables::coefficient_rows(block, input)?;
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
        .map(|(c, col)| {
            format!(
                "({}) {}",
                c + 1,
                tables::estimator_short(col.result.estimator)
            )
        })
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

fn indicator_figures(
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
            label: tables::country_name(c, input),
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
            name: format!("{}_over_time", tables::file_stem(m)),
            caption: label.push(format!(
                " over time{span} ({highlighted}; dashed: sample mean)."
            )),
            scene,
        });
    }
    Ok(out)
}

fn build(input: &ReportInput) -> Result<Built, ReportError> {
    let regressions = input
        .models
        .iter()
        .map(|b| tables::regression_table(b, input))
        .collect::<Result<Vec<_>, _>>()?;
    let data = IndicatorData::new(input)?;
    let (indicator_summary, by_year, indicator_figures) = if data.measures.is_empty() {
        (None, Vec::new(), Vec::new())
    } else {
        (
            tables::indicator_summary_table(&data, input)?,
            tables::measure_by_year_tables(&data, input)?,
            indicator_figures(&data, input)?,
        )
    };
    let mut coefficient_figures = Vec::new();
    if input.settings.coefficient_plot {
        for b in &input.models {
            if let Some(f) = coefficient_figure(b, input)? {
                coefficient_figures.push(f);
            }
        }
    }
    Ok(Built {
        regressions,
        indicator_summary,
        by_year,
        descriptives: tables::descriptives_table(input),
        missing: tables::missing_table(input),
        indicator_figures,
        coefficient_figures,
    })
}

impl Built {
    /// Tables in report order (indicators, descriptives, missing, regressions, appendix).
    fn tables_in_order(&self) -> Vec<&Table> {
        let mut v: Vec<&Table> = Vec::new();
        v.extend(self.indicator_summary.iter());
        v.extend(self.descriptives.iter());
        v.extend(self.missing.iter());
        v.extend(self.regressions.iter());
        v.extend(self.by_year.iter());
        v
    }

    fn context(&self, input: &ReportInput, format: Format) -> ReportContext {
        let numbers: BTreeMap<String, usize> = self
            .tables_in_order()
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i + 1))
            .collect();
        let table = |t: &Table| t.context(format, numbers.get(&t.name).copied().unwrap_or(0));
        let figure = |f: &Figure, number: usize| FigureContext {
            name: f.name.clone(),
            number,
            caption: f.caption.render(format),
            label: format!("fig:{}", f.name),
            svg_path: format!("figures/{}.svg", f.name),
            picture: (format == Format::Latex).then(|| figures::to_latex(&f.scene)),
        };
        let n_ind = self.indicator_figures.len();
        ReportContext {
            format,
            title: format.escape(&input.title),
            description: input.description.as_deref().map(|d| format.escape(d)),
            sample_note: input.sample_note.as_deref().map(|d| format.escape(d)),
            notes: input.notes.iter().map(|n| format.escape(n)).collect(),
            generator: format!("gvc {}", env!("CARGO_PKG_VERSION")),
            regressions: self.regressions.iter().map(table).collect(),
            indicator_summary: self.indicator_summary.as_ref().map(table),
            indicators_by_year: self.by_year.iter().map(table).collect(),
            descriptives: self.descriptives.as_ref().map(table),
            missing: self.missing.as_ref().map(table),
            indicator_figures: self
                .indicator_figures
                .iter()
                .enumerate()
                .map(|(i, f)| figure(f, i + 1))
                .collect(),
            coefficient_figures: self
                .coefficient_figures
                .iter()
                .enumerate()
                .map(|(i, f)| figure(f, n_ind + i + 1))
                .collect(),
        }
    }
}

fn formats(input: &ReportInput) -> Vec<Format> {
    let mut f = input.settings.formats.clone();
    f.sort();
    f.dedup();
    f
}

fn insert(
    files: &mut BTreeMap<String, String>,
    path: String,
    contents: String,
) -> Result<(), ReportError> {
    if files.contains_key(&path) {
        return Err(ReportError::DuplicateOutput { path });
    }
    files.insert(path, contents);
    Ok(())
}

/// Render the report: `(relative path with '/', contents)` for every output file, sorted by
/// path. `user_templates` is a folder whose `*.tera` files shadow the built-in templates of
/// the same relative path ([`BUILTIN_TEMPLATES`]). Same input and templates → same bytes.
pub fn render(
    input: &ReportInput,
    user_templates: Option<&Path>,
) -> Result<Vec<(String, String)>, ReportError> {
    let tera = render::load_templates(user_templates)?;
    let built = build(input)?;
    let mut files = BTreeMap::new();
    for f in built
        .indicator_figures
        .iter()
        .chain(&built.coefficient_figures)
    {
        insert(
            &mut files,
            format!("figures/{}.svg", f.name),
            figures::to_svg(&f.scene),
        )?;
    }
    for format in formats(input) {
        let ext = format.extension();
        let ctx = built.context(input, format);
        let base = tera::Context::from_serialize(&ctx).map_err(|e| ReportError::Template {
            template: format!("report.{ext}.tera"),
            variable: None,
            chain: vec![e.to_string()],
        })?;
        let all_tables = ctx
            .indicator_summary
            .iter()
            .chain(&ctx.descriptives)
            .chain(&ctx.missing)
            .chain(&ctx.regressions)
            .chain(&ctx.indicators_by_year);
        for t in all_tables {
            let mut c = base.clone();
            c.insert("table", t);
            let text = render::render_template(&tera, &format!("table.{ext}.tera"), &c)?;
            insert(&mut files, format!("tables/{}.{ext}", t.name), text)?;
        }
        if format == Format::Latex {
            for f in ctx.indicator_figures.iter().chain(&ctx.coefficient_figures) {
                let mut c = base.clone();
                c.insert("figure", f);
                let text = render::render_template(&tera, "figure.tex.tera", &c)?;
                insert(&mut files, format!("figures/{}.tex", f.name), text)?;
            }
        }
        let report = render::render_template(&tera, &format!("report.{ext}.tera"), &base)?;
        insert(&mut files, format!("report.{ext}"), report)?;
    }
    Ok(files.into_iter().collect())
}

/// The template contexts as pretty JSON, `{ "<format>": ReportContext, ... }` for the
/// configured formats (what `gvc report --context` prints).
pub fn context_json(input: &ReportInput) -> Result<String, ReportError> {
    let built = build(input)?;
    let map: BTreeMap<&str, ReportContext> = formats(input)
        .into_iter()
        .map(|f| (f.as_str(), built.context(input, f)))
        .collect();
    Ok(serde_json::to_string_pretty(&map)?)
}
