//! `report`: the report's typed input built from result artifacts only (panel summaries,
//! estimates, Hausman tests, decomposition indicators) and rendered with the built-in or the
//! user's templates. Parameters: the report settings, labels, notes and table layout the spec
//! gives, the upstream results by role, and every template file with its content hash — so
//! editing a label or a template re-renders without re-running any estimate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use polars::prelude::{DataFrame, DataType};
use serde::{Deserialize, Serialize};

use super::decompose::{self, Decompose};
use super::estimate::EstimateStage;
use super::hausman::HausmanStage;
use super::panel::PanelStage;
use crate::engine::artifact::{Produced, ReportOutput};
use crate::engine::hashing::{FileHasher, InputFile};
use crate::engine::key::Key;
use crate::engine::plan::Layout;
use crate::engine::stage::{Dep, RunContext, Stage};
use crate::engine::stages::StageKind;
use crate::engine::StageError;
use crate::estimate::Estimator;
use crate::report::{
    self, DescriptiveRow, HausmanPair, IndicatorRow, MissingRow, ModelBlock, ModelColumn,
    ReportInput,
};
use crate::spec::{ControlsMode, Diagnostic, Diagnostics, Spec};

/// How a panel's sector groups were formed, for the sample note: empty without `groups`.
fn groups_note(p: crate::spec::PanelRef<'_>) -> String {
    let Some(groups) = &p.spec.groups else {
        return String::new();
    };
    let names: Vec<&str> = groups
        .value
        .iter()
        .map(|g| g.value.trim_start_matches('@'))
        .collect();
    let how = if p.merges_before() {
        "merged in the input-output tables before the decomposition"
    } else {
        "summed after the decomposition, ratios recomputed from the sums"
    };
    format!(", sectors grouped as {} ({how})", names.join(", "))
}

/// The report note naming the sample country-years without exports (an all-zero economy: no
/// output and no trade; or a closed one), whose ratio measures are missing, or `None`.
fn no_exports_note(country_years: &BTreeSet<(String, i32)>) -> Option<String> {
    if country_years.is_empty() {
        return None;
    }
    let list: Vec<String> = country_years
        .iter()
        .map(|(c, y)| format!("{c} {y}"))
        .collect();
    Some(format!(
        "No exports in the input-output table (an economy with no output or no trade): {}; the ratio measures of these country-years (GVC participation, position and other shares of exports) are missing.",
        list.join(", ")
    ))
}

/// The indicator rows of `variables` as the panel holds them (after transforms): one row per
/// panel row and variable, a missing value as NaN.
fn indicator_rows(
    frame: &DataFrame,
    variables: &[String],
) -> Result<Vec<IndicatorRow>, StageError> {
    let country: Vec<Option<String>> = frame
        .column(super::panel::id_column(frame))?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect();
    let year: Vec<Option<i64>> = frame
        .column("year")?
        .cast(&DataType::Int64)?
        .i64()?
        .iter()
        .collect();
    let mut out = Vec::new();
    for v in variables {
        let values: Vec<Option<f64>> = frame
            .column(v)?
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .collect();
        for ((c, y), x) in country.iter().zip(&year).zip(values) {
            let (Some(c), Some(y)) = (c, y) else { continue };
            out.push(IndicatorRow {
                country: c.clone(),
                year: i32::try_from(*y).unwrap_or(i32::MAX),
                measure: v.clone(),
                value: x.unwrap_or(f64::NAN),
            });
        }
    }
    Ok(out)
}

/// The descriptives rows of a panel summary, variable names prefixed.
fn descriptive_rows(
    summary: &crate::engine::artifact::PanelSummary,
    prefix: &str,
) -> Vec<DescriptiveRow> {
    summary
        .descriptives
        .iter()
        .map(|d| DescriptiveRow {
            variable: format!("{prefix}{}", d.variable),
            n: d.n,
            mean: d.mean,
            sd: d.sd,
            min: d.min,
            p50: d.p50,
            max: d.max,
        })
        .collect()
}

/// The missing-data rows of a panel summary, variable names prefixed.
fn missing_rows(summary: &crate::engine::artifact::PanelSummary, prefix: &str) -> Vec<MissingRow> {
    summary
        .missing
        .iter()
        .map(|m| MissingRow {
            variable: format!("{prefix}{}", m.variable),
            n_missing: m.n_missing,
            n_rows: m.n_rows,
            cells: m.cells.clone(),
        })
        .collect()
}

/// Parameters of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportStage {
    /// Title, description, notes, sample note, settings and labels (no results yet).
    pub base: ReportInput,
    /// The baseline panel (descriptives and missing data).
    pub panel: Dep<PanelStage>,
    /// The baseline's `[panels.<name>]` panels by name: their descriptives and missing data
    /// join the tables, each variable as `<name>:<variable>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_panels: Vec<(String, Dep<PanelStage>)>,
    /// The baseline decompositions (the indicator tables and figures).
    pub decompositions: Vec<Dep<Decompose>>,
    /// Variables shown as GVC indicators (those defined from a decomposition measure, with
    /// their transforms: the values the panel holds), and the sample countries shown.
    pub indicator_variables: Vec<String>,
    pub countries: Vec<String>,
    /// The regression tables.
    pub blocks: Vec<BlockParams>,
    /// The blake3 digest of gvc's built-in templates ([`builtin_templates_digest`]): a report
    /// rendered by other built-in templates is not this one.
    pub builtin_templates: String,
    /// The user's template folder and every template file in it.
    pub template_dir: Option<PathBuf>,
    pub templates: Vec<TemplateFile>,
    /// The multiverse section's inputs (absent without `[multiverse]`, so other specs' keys
    /// do not change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiverse: Option<crate::engine::multiverse::report::MultiverseParams>,
}

/// One regression table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockParams {
    pub name: String,
    pub title: String,
    pub dependent: String,
    pub variant: Option<String>,
    pub columns: Vec<ColumnParams>,
    pub hausman: Vec<HausmanParams>,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnParams {
    pub label: Option<String>,
    /// The robustness variant's label of a column set beside the baseline.
    pub sample: Option<String>,
    pub controls: Vec<String>,
    pub estimate: Dep<EstimateStage>,
}

/// A Hausman test shown under its FE/RE pair of columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HausmanParams {
    pub fe_column: usize,
    pub re_column: usize,
    pub test: Dep<HausmanStage>,
}

/// A template file: its name under the templates folder and its content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateFile {
    pub name: String,
    pub file: InputFile,
}

impl Stage for ReportStage {
    const KIND: StageKind = StageKind::Report;
    /// 7: the multiverse summary's average Z.
    const VERSION: u32 = 7;
    type Output = ReportOutput;

    fn deps(&self) -> Vec<(String, Key)> {
        let mut out = vec![self.panel.named("panel")];
        for (name, p) in &self.other_panels {
            out.push(p.named(format!("panel {name}")));
        }
        for (i, d) in self.decompositions.iter().enumerate() {
            out.push(d.named(format!("decomposition {i}")));
        }
        for b in &self.blocks {
            for (i, c) in b.columns.iter().enumerate() {
                out.push(c.estimate.named(format!("{} column {}", b.name, i + 1)));
            }
            for h in &b.hausman {
                out.push(h.test.named(format!(
                    "{} hausman ({}) vs ({})",
                    b.name,
                    h.fe_column + 1,
                    h.re_column + 1
                )));
            }
        }
        if let Some(mv) = &self.multiverse {
            out.extend(mv.deps());
        }
        out
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<Produced<ReportOutput>, StageError> {
        let mut input = self.base.clone();
        let panel = ctx.get(&self.panel)?;
        for c in &panel.summary.absent_countries {
            input.notes.push(format!(
                "Sample country {c} is in no input-output table of the study; its decomposition measures are missing."
            ));
        }
        input.descriptives = descriptive_rows(&panel.summary, "");
        input.missing = missing_rows(&panel.summary, "");
        for (name, p) in &self.other_panels {
            let other = ctx.get(p)?;
            let prefix = format!("{name}:");
            input
                .descriptives
                .extend(descriptive_rows(&other.summary, &prefix));
            input.missing.extend(missing_rows(&other.summary, &prefix));
        }
        input.indicators = indicator_rows(&panel.frame, &self.indicator_variables)?;
        let sample: BTreeSet<&String> = self.countries.iter().collect();
        let mut no_exports = BTreeSet::new();
        for d in &self.decompositions {
            for (country, year, measure, value) in decompose::country_rows(&ctx.get(d)?.0)? {
                // A family's gross-exports measure (its FAMILIES row) exactly zero: the table
                // gives the country no exports, so every share of exports is missing there.
                if value == 0.0
                    && crate::decompose::FAMILIES
                        .iter()
                        .any(|f| f.gross_exports == Some(measure.as_str()))
                    && sample.contains(&country)
                {
                    no_exports.insert((country.clone(), year));
                }
            }
        }
        if let Some(note) = no_exports_note(&no_exports) {
            input.notes.push(note);
        }
        for b in &self.blocks {
            let mut columns = Vec::new();
            for c in &b.columns {
                columns.push(ModelColumn {
                    label: c.label.clone(),
                    controls_included: c.controls.clone(),
                    sample: c.sample.clone(),
                    result: (*ctx.get(&c.estimate)?).clone(),
                });
            }
            let mut hausman = Vec::new();
            for h in &b.hausman {
                hausman.push(HausmanPair {
                    fe_column: h.fe_column,
                    re_column: h.re_column,
                    result: ctx.get(&h.test)?.default.clone(),
                });
            }
            input.models.push(ModelBlock {
                name: b.name.clone(),
                title: b.title.clone(),
                dependent: b.dependent.clone(),
                variant: b.variant.clone(),
                columns,
                hausman,
                // The table itself states how standard errors were computed.
                notes: Vec::new(),
            });
        }
        if let Some(mv) = &self.multiverse {
            input.multiverse = Some(mv.input(ctx)?);
        }
        for t in &self.templates {
            ctx.open(&t.file)?;
        }
        check_template_set(self.template_dir.as_deref(), &self.templates)?;
        let files = report::render(&input, self.template_dir.as_deref())?;
        Ok(Produced::plain(ReportOutput {
            files: files.into_iter().collect(),
            input,
        }))
    }
}

/// The folder must still hold exactly the templates the key was made with.
fn check_template_set(
    dir: Option<&std::path::Path>,
    templates: &[TemplateFile],
) -> Result<(), StageError> {
    let Some(dir) = dir else { return Ok(()) };
    let now: Vec<(String, PathBuf)> = report::template_files(dir)?
        .into_iter()
        .map(|t| (t.name, t.path_resolved))
        .collect();
    let planned: Vec<(String, PathBuf)> = templates
        .iter()
        .map(|t| (t.name.clone(), t.file.path.clone()))
        .collect();
    if now != planned {
        return Err(StageError::TemplatesChanged {
            dir: dir.to_path_buf(),
        });
    }
    Ok(())
}

/// The blake3 of every built-in template's name and text, in [`report::BUILTIN_TEMPLATES`]
/// order (each length-prefixed, so no two sets hash alike).
pub fn builtin_templates_digest() -> String {
    let mut h = blake3::Hasher::new();
    for (name, text) in report::BUILTIN_TEMPLATES.iter() {
        for part in [name.as_bytes(), text.as_bytes()] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part);
        }
    }
    h.finalize().to_hex().to_string()
}

/// The folder of template overrides: `[report] templates`, else `templates/` beside the spec.
pub fn template_dir(spec: &Spec) -> Option<PathBuf> {
    if let Some(t) = &spec.report.templates {
        return Some(t.value.clone());
    }
    let d = spec.dir.join("templates");
    d.is_dir().then_some(d)
}

/// The parameters of the report, or `None` when the spec has no models (nothing to report).
pub fn plan(
    spec: &Spec,
    layout: &Layout,
    countries: Vec<String>,
    hasher: &FileHasher,
) -> Result<Option<ReportStage>, Diagnostics> {
    let Some(panel) = layout.baseline_panel() else {
        return Ok(None);
    };
    if layout.columns.is_empty() {
        return Ok(None);
    }
    let template_dir = template_dir(spec);
    let mut templates = Vec::new();
    if let Some(dir) = &template_dir {
        // One function decides which files the renderer reads; they are what is keyed.
        let at = |message: String| {
            let d = match &spec.report.templates {
                Some(t) => Diagnostic::at(&t.loc, message),
                None => Diagnostic::new(None, message),
            };
            Diagnostics(vec![d])
        };
        let files = report::template_files(dir).map_err(|e| at(e.to_string()))?;
        // A template that would fail to load fails the plan, so `gvc check` reports it.
        report::check_templates(Some(dir)).map_err(|e| at(e.to_string()))?;
        for t in files {
            let file = InputFile::hash(hasher, &t.path_resolved).map_err(|e| {
                at(format!(
                    "cannot read template {}: {e}",
                    t.path_resolved.display()
                ))
            })?;
            templates.push(TemplateFile { name: t.name, file });
        }
    }
    let mut variants: Vec<(Option<String>, Option<String>)> = vec![(None, None)];
    for r in &spec.robustness {
        variants.push((
            Some(r.name.value.clone()),
            Some(r.label.clone().unwrap_or_else(|| r.name.value.clone())),
        ));
    }
    let mut blocks = Vec::new();
    for (variant, vlabel) in &variants {
        for m in &spec.models {
            let mut block = BlockParams {
                name: match variant {
                    None => m.name.value.clone(),
                    Some(v) => format!("{}_{}", m.name.value, v),
                },
                title: m.title.clone().unwrap_or_else(|| m.name.value.clone()),
                dependent: m.dependent.value.clone(),
                variant: vlabel.clone(),
                columns: Vec::new(),
                hausman: Vec::new(),
            };
            collect_columns(spec, layout, m, variant.as_ref(), "", &mut block);
            if variant.is_none() {
                for r in spec.robustness.iter().filter(|r| r.beside_baseline) {
                    let label = r.label.clone().unwrap_or_else(|| r.name.value.clone());
                    collect_columns(spec, layout, m, Some(&r.name.value), &label, &mut block);
                }
            }
            if !block.columns.is_empty() {
                blocks.push(block);
            }
        }
    }
    let mut labels: BTreeMap<String, String> = spec
        .variables
        .values()
        .map(|v| (v.name.clone(), v.label.clone()))
        .collect();
    // The GVC indicators are the variables defined from a decomposition measure, shown with
    // their transforms (a `ratio` makes a share of a level), in name order.
    let mut measures = Vec::new();
    for v in spec.panel_variables(None) {
        if v.from.value.starts_with("decomposition.") {
            measures.push(v.name.clone());
        }
    }
    // Variables of a `[panels.<name>]` panel are shown as `<name>:<variable>`.
    for name in spec.panels.keys() {
        for v in spec.panel_variables(Some(name)) {
            labels.insert(
                format!("{name}:{}", v.name),
                format!("{} ({name} panel)", v.label),
            );
        }
    }
    labels
        .entry("country".into())
        .or_insert_with(|| "Country".into());
    labels.entry("year".into()).or_insert_with(|| "Year".into());
    let unit = spec.panel.unit.value;
    let settings = report::ReportSettings {
        formats: spec.report.formats.iter().map(|f| f.value).collect(),
        stars: spec.report.stars.value.clone(),
        digits: spec.report.digits,
        r2: spec.report.r2.value,
        style: spec.report.style.value,
        controls: spec.report.controls.value,
        layout: spec.report.layout.value,
        order: spec.report.order.clone(),
        drop: spec.report.drop.clone(),
        coefficient_plot: spec.report.figures,
        hausman_details: spec.report.hausman_details,
        // The indicator summary and figures are per country; a panel of sectors or country
        // pairs has hundreds of units, so they are left out there (panel.parquet has them).
        indicators: report::IndicatorSettings {
            summary: Some(if unit.is_country() {
                measures.clone()
            } else {
                Vec::new()
            }),
            by_year: Some(Vec::new()),
            figures: Some(if spec.report.figures && unit.is_country() {
                measures.clone()
            } else {
                Vec::new()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let synthetic: Vec<String> = spec
        .sources
        .values()
        .filter(|s| s.format.value.is_synthetic())
        .map(|s| s.name.clone())
        .collect();
    let mut notes = Vec::new();
    if !synthetic.is_empty() {
        notes.push(format!(
            "Data note: the sources {} are SYNTHETIC, generated by gvc from fixed seeds; the numbers illustrate the pipeline and describe no real economy.",
            synthetic.join(", ")
        ));
    }
    let (first, last) = spec.sample.years.value;
    let mut sample_note = format!("{} economies, {first}–{last}", countries.len());
    if !unit.is_country() {
        let dims: Vec<&str> = unit
            .info()
            .dims
            .iter()
            .map(|d| crate::choice::Choice::name(*d))
            .collect();
        sample_note.push_str(&format!("; one row per {} and year", dims.join(" × ")));
    }
    sample_note.push_str(&groups_note(spec.all_panels()[0]));
    for p in spec.all_panels().into_iter().skip(1) {
        let dims: Vec<&str> = p
            .unit()
            .info()
            .dims
            .iter()
            .map(|d| crate::choice::Choice::name(*d))
            .collect();
        sample_note.push_str(&format!(
            "; the {} panel: one row per {} and year{}",
            p.name.unwrap_or_default(),
            dims.join(" × "),
            groups_note(p)
        ));
    }
    if !spec.sample.exclude_years.value.is_empty() {
        let ex: Vec<String> = spec
            .sample
            .exclude_years
            .value
            .iter()
            .map(i32::to_string)
            .collect();
        sample_note.push_str(&format!(", excluding {}", ex.join(", ")));
    }
    Ok(Some(ReportStage {
        base: ReportInput {
            title: spec.study.title.clone(),
            description: spec.study.description.clone(),
            notes,
            sample_note: Some(sample_note),
            settings,
            labels,
            country_names: BTreeMap::new(),
            models: Vec::new(),
            descriptives: Vec::new(),
            missing: Vec::new(),
            indicators: Vec::new(),
            multiverse: None,
        },
        panel: Dep::on(panel),
        other_panels: layout
            .panels
            .iter()
            .filter(|p| p.variant.is_none())
            .filter_map(|p| Some((p.panel.clone()?, Dep::on(&p.stage))))
            .collect(),
        decompositions: layout.decompositions.iter().map(Dep::on).collect(),
        indicator_variables: measures,
        builtin_templates: builtin_templates_digest(),
        countries,
        blocks,
        template_dir,
        templates,
        multiverse: match (&spec.multiverse, &layout.multiverse) {
            (Some(mv), Some(l)) => Some(crate::engine::multiverse::report::params(spec, mv, l)),
            _ => None,
        },
    }))
}

/// Appends the columns (and FE/RE Hausman pairs) of model `m` under `variant` to a table
/// block. `prefix` labels columns of a robustness variant shown beside the baseline.
fn collect_columns(
    spec: &Spec,
    layout: &Layout,
    m: &crate::spec::Model,
    variant: Option<&String>,
    prefix: &str,
    block: &mut BlockParams,
) {
    let mut by_step: BTreeMap<usize, std::collections::HashMap<Estimator, usize>> = BTreeMap::new();
    for role in layout
        .columns
        .iter()
        .filter(|c| c.variant.as_ref() == variant && c.column.model == m.name.value)
    {
        let c = &role.column;
        by_step
            .entry(c.step)
            .or_default()
            .insert(c.estimator, block.columns.len());
        let control = match c.controls.last() {
            Some(last) if m.controls_mode.value == ControlsMode::Sequential => format!(
                "+ {}",
                spec.variables
                    .get(last)
                    .map_or(last.as_str(), |v| v.label.as_str())
            ),
            _ => String::new(),
        };
        let label = match (prefix.is_empty(), control.is_empty()) {
            (true, _) => control,
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}: {control}"),
        };
        block.columns.push(ColumnParams {
            label: (!label.is_empty()).then_some(label),
            sample: (!prefix.is_empty()).then(|| prefix.to_string()),
            controls: c.controls.clone(),
            estimate: Dep::on(&role.stage),
        });
    }
    for (step, ests) in &by_step {
        let test = layout
            .tests
            .iter()
            .find(|t| t.variant.as_ref() == variant && t.model == m.name.value && t.step == *step);
        if let (Some(&fe), Some(&re), Some(test)) =
            (ests.get(&Estimator::Fe), ests.get(&Estimator::Re), test)
        {
            block.hausman.push(HausmanParams {
                fe_column: fe,
                re_column: re,
                test: Dep::on(&test.stage),
            });
        }
    }
}
