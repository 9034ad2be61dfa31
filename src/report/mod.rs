//! The report: regression tables (esttab-like), descriptive / missing-data / GVC-indicator
//! tables and figures, rendered as Markdown, LaTeX and HTML through Tera templates
//! (reference/pipeline-and-tables.md §2, DESIGN.md §3 "report").
//!
//! Pure with respect to the engine: [`render`] takes a typed [`ReportInput`] (built by the
//! engine from the spec and the cached result artifacts — it never runs an estimator) and
//! returns the file contents by relative path; the caller writes them atomically. The only
//! file access is reading the optional user templates folder ([`template_files`]).
//!
//! Outputs (deterministic bytes for the same input): `report.md`, `report.tex`, `report.html`
//! (one self-contained page: inline CSS and SVG), `tables/<name>.md|tex|html` (the `.tex` is a
//! `table` float a paper can `\input`), `figures/<name>.svg` and `figures/<name>.tex` (a
//! `figure` float with pdflatex picture code).
//!
//! LaTeX needs only `graphicx`, `booktabs` and `dcolumn` (texlive-latex-base and
//! texlive-latex-recommended on Debian) and pdflatex (`\pdfliteral`; LuaLaTeX is shimmed).
//!
//! Modules, each importing only those listed before it: `error` (the error type), `escape`
//! (escaping, numbers), `labels` (display text), `context` (what templates see), `table`
//! (the format-neutral table), `figures` (charts as scenes), `svg`, `markdown`, `latex` and
//! `html` (the writers), `format` (the formats table), `input` (what the engine passes in),
//! `regression`, `descriptive`, `indicators`, `hausman`, `multiverse` (table and figure builders), `kinds` (the table
//! kinds, one row each), `plots` (the report's figures), `template_check` and `render` (Tera);
//! this file builds everything once and renders it per format.

pub mod context;
mod descriptive;
mod error;
pub mod escape;
mod figures;
mod format;
mod hausman;
mod html;
mod indicators;
pub mod input;
mod kinds;
mod labels;
mod latex;
mod markdown;
mod multiverse;
mod plots;
mod regression;
mod render;
mod svg;
mod table;
mod template_check;

use std::collections::BTreeMap;
use std::path::Path;

pub use context::{
    FigureContext, ReportContext, RowContext, SectionContext, TableContext, TableSlot,
};
pub use error::ReportError;
pub use escape::Digits;
pub use format::{Format, BUILTIN_TEMPLATES};
pub use input::{
    ControlsDisplay, DescriptiveRow, HausmanPair, IndicatorRow, IndicatorSettings, MissingRow,
    ModelBlock, ModelColumn, R2Choice, ReportInput, ReportSettings, TableLayout, TableStyle,
};
pub use render::{check_templates, template_files, TemplateFile, DISABLED_FUNCTIONS, RANGE_LIMIT};

use indicators::IndicatorData;
use kinds::{Arity, Sources, TABLE_KINDS};
use plots::Figure;
use table::Table;

/// Tables and figures built once from the input, rendered per format.
struct Built {
    /// The tables of each row of [`TABLE_KINDS`], in that order.
    tables: Vec<Vec<Table>>,
    indicator_figures: Vec<Figure>,
    coefficient_figures: Vec<Figure>,
    multiverse_figures: Vec<Figure>,
}

fn build(input: &ReportInput) -> Result<Built, ReportError> {
    let data = IndicatorData::new(input)?;
    let sources = Sources {
        input,
        indicators: &data,
    };
    let mut tables = Vec::with_capacity(TABLE_KINDS.len());
    for kind in TABLE_KINDS {
        let built = (kind.build)(&sources)?;
        debug_assert!(kind.arity == Arity::Many || built.len() <= 1);
        tables.push(built);
    }
    let indicator_figures = if data.measures.is_empty() {
        Vec::new()
    } else {
        plots::indicator_figures(&data, input)?
    };
    let mut coefficient_figures = Vec::new();
    if input.settings.coefficient_plot {
        for b in &input.models {
            if let Some(f) = plots::coefficient_figure(b, input)? {
                coefficient_figures.push(f);
            }
        }
    }
    let multiverse_figures = if input.settings.coefficient_plot {
        multiverse::curve_figures(input)
    } else {
        Vec::new()
    };
    Ok(Built {
        tables,
        indicator_figures,
        coefficient_figures,
        multiverse_figures,
    })
}

impl Built {
    /// Tables in report order ([`TABLE_KINDS`] order).
    fn tables_in_order(&self) -> impl Iterator<Item = &Table> {
        self.tables.iter().flatten()
    }

    fn context(&self, input: &ReportInput, format: Format) -> ReportContext {
        let facts = format.facts();
        let numbers: BTreeMap<String, usize> = self
            .tables_in_order()
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
        let tables = TABLE_KINDS
            .iter()
            .zip(&self.tables)
            .map(|(kind, built)| {
                let slot = match kind.arity {
                    Arity::One => TableSlot::One(built.first().map(|t| Box::new(table(t)))),
                    Arity::Many => TableSlot::Many(built.iter().map(table).collect()),
                };
                (kind.key.to_string(), slot)
            })
            .collect();
        let n_ind = self.indicator_figures.len();
        let n_coef = self.coefficient_figures.len();
        ReportContext {
            format: facts.name.to_string(),
            title: format.escape(&input.title),
            description: input.description.as_deref().map(|d| format.escape(d)),
            sample_note: input.sample_note.as_deref().map(|d| format.escape(d)),
            notes: input.notes.iter().map(|n| format.escape(n)).collect(),
            generator: format!("gvc {}", env!("CARGO_PKG_VERSION")),
            tables,
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
            multiverse_figures: self
                .multiverse_figures
                .iter()
                .enumerate()
                .map(|(i, f)| figure(f, n_ind + n_coef + i + 1))
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
        .chain(&built.multiverse_figures)
    {
        insert(
            &mut files,
            format!("figures/{}.svg", f.name),
            svg::to_svg(&f.scene),
        )?;
    }
    if formats(input).contains(&Format::Latex) {
        for f in &built.multiverse_figures {
            if let Some(path) = &f.scene.strokes_file {
                insert(&mut files, path.clone(), latex::strokes_pdf(&f.scene))?;
            }
        }
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
        for t in TABLE_KINDS.iter().flat_map(|k| ctx.tables[k.key].tables()) {
            let mut c = base.clone();
            c.insert("table", t);
            let text = render::render_template(&tera, facts.table_template.0, &c)?;
            insert(&mut files, format!("tables/{}.{ext}", t.name), text)?;
        }
        if facts.figure_files {
            for f in ctx
                .indicator_figures
                .iter()
                .chain(&ctx.coefficient_figures)
                .chain(&ctx.multiverse_figures)
            {
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
