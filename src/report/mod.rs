//! The report: regression tables (esttab-like), descriptive / missing-data / GVC-indicator
//! tables and figures, rendered as Markdown and LaTeX through Tera templates
//! (reference/pipeline-and-tables.md §2, DESIGN.md §3 "report").
//!
//! Pure with respect to the engine: [`render`] takes a typed [`ReportInput`] (built by the
//! engine from the spec and the cached result artifacts — it never runs an estimator) and
//! returns the file contents by relative path; the caller writes them atomically. The only
//! file access is reading the optional user templates folder ([`template_files`]).
//!
//! Outputs (deterministic bytes for the same input): `report.md`, `report.tex`,
//! `tables/<name>.md|tex` (the `.tex` is a `table` float a paper can `\input`),
//! `figures/<name>.svg` and `figures/<name>.tex` (a `figure` float with pdflatex picture code).
//!
//! LaTeX needs only `graphicx`, `booktabs` and `dcolumn` (texlive-latex-base and
//! texlive-latex-recommended on Debian) and pdflatex (`\pdfliteral`; LuaLaTeX is shimmed).
//!
//! Modules, each importing only those listed before it: `error` (the error type), `escape`
//! (escaping, numbers), `labels` (display text), `context` (what templates see), `table`
//! (the format-neutral table), `figures` (charts as scenes), `svg`, `markdown` and `latex`
//! (the writers), `format` (the formats table), `input` (what the engine passes in),
//! `regression`, `descriptive`, `indicators` (table builders), `plots` (the report's
//! figures), `template_check` and `render` (Tera); this file builds everything once and
//! renders it per format.

pub mod context;
mod descriptive;
mod error;
pub mod escape;
mod figures;
mod format;
mod indicators;
pub mod input;
mod labels;
mod latex;
mod markdown;
mod plots;
mod regression;
mod render;
mod svg;
mod table;
mod template_check;

use std::collections::BTreeMap;
use std::path::Path;

pub use context::{FigureContext, ReportContext, RowContext, SectionContext, TableContext};
pub use error::ReportError;
pub use format::{Format, BUILTIN_TEMPLATES};
pub use input::{
    DescriptiveRow, HausmanPair, IndicatorRow, IndicatorSettings, MissingRow, ModelBlock,
    ModelColumn, R2Choice, ReportInput, ReportSettings,
};
pub use render::{check_templates, template_files, TemplateFile, DISABLED_FUNCTIONS, RANGE_LIMIT};

use indicators::IndicatorData;
use plots::Figure;
use table::Table;

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

fn build(input: &ReportInput) -> Result<Built, ReportError> {
    let regressions = input
        .models
        .iter()
        .map(|b| regression::regression_table(b, input))
        .collect::<Result<Vec<_>, _>>()?;
    let data = IndicatorData::new(input)?;
    let (indicator_summary, by_year, indicator_figures) = if data.measures.is_empty() {
        (None, Vec::new(), Vec::new())
    } else {
        (
            indicators::indicator_summary_table(&data, input)?,
            indicators::measure_by_year_tables(&data, input)?,
            plots::indicator_figures(&data, input)?,
        )
    };
    let mut coefficient_figures = Vec::new();
    if input.settings.coefficient_plot {
        for b in &input.models {
            if let Some(f) = plots::coefficient_figure(b, input)? {
                coefficient_figures.push(f);
            }
        }
    }
    Ok(Built {
        regressions,
        indicator_summary,
        by_year,
        descriptives: descriptive::descriptives_table(input),
        missing: descriptive::missing_table(input),
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
        let facts = format.facts();
        let numbers: BTreeMap<String, usize> = self
            .tables_in_order()
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i + 1))
            .collect();
        let table = |t: &Table| (facts.table)(t, numbers.get(&t.name).copied().unwrap_or(0));
        let figure = |f: &Figure, number: usize| FigureContext {
            name: f.name.clone(),
            number,
            caption: (facts.text)(&f.caption),
            label: format!("fig:{}", f.name),
            svg_path: format!("figures/{}.svg", f.name),
            picture: facts.picture.map(|draw| draw(&f.scene)),
        };
        let n_ind = self.indicator_figures.len();
        ReportContext {
            format: facts.name.to_string(),
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
    render::on_render_thread(|| render_files(input, user_templates))
}

fn render_files(
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
            svg::to_svg(&f.scene),
        )?;
    }
    for format in formats(input) {
        let facts = format.facts();
        let ext = facts.extension;
        let ctx = built.context(input, format);
        let base = tera::Context::from_serialize(&ctx).map_err(|e| ReportError::Template {
            template: facts.report_template.0.to_string(),
            location: None,
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
            let text = render::render_template(&tera, facts.table_template.0, &c)?;
            insert(&mut files, format!("tables/{}.{ext}", t.name), text)?;
        }
        if facts.figure_files {
            for f in ctx.indicator_figures.iter().chain(&ctx.coefficient_figures) {
                let mut c = base.clone();
                c.insert("figure", f);
                let text = render::render_template(&tera, facts.figure_template.0, &c)?;
                insert(&mut files, format!("figures/{}.{ext}", f.name), text)?;
            }
        }
        let report = render::render_template(&tera, facts.report_template.0, &base)?;
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
