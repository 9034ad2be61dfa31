//! The typed study spec (DESIGN.md §2). Every field a later check may complain about keeps
//! the place it was written ([`At`]); defaults are filled in, so two specs that mean the same
//! thing serialise — and therefore hash — the same.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::diag::Loc;
use super::node::Node;
use crate::decompose::wwz::WwzLevel;
use crate::decompose::{Family, IvDefinition, Level};
use crate::estimate::{Estimator, Vce};
use crate::panel::Transform;
use crate::report::{ControlsDisplay, Digits, Format, R2Choice, TableLayout, TableStyle};
use crate::sources::countries::CodeSystem;
use crate::sources::SourceFormat;

/// A value and where the spec wrote it. Serialises as the bare value.
#[derive(Debug, Clone, PartialEq)]
pub struct At<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> At<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        At { value, loc }
    }
}

impl<T: Serialize> Serialize for At<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<T> std::ops::Deref for At<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// A loaded, merged and type-checked spec.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The spec file as given.
    pub file: PathBuf,
    /// Folder relative paths are resolved against (the folder of the spec that wrote them is
    /// used for sources; this is the top spec's folder).
    pub dir: PathBuf,
    /// Spec name: the file stem; names the output folder `output/<name>/`.
    pub name: String,
    /// Files of the `extends` chain, the spec itself first.
    pub chain: Vec<PathBuf>,
    /// The merged document, kept for `--set` inside robustness blocks and for `gvc diff`.
    pub root: Node,
    pub study: Study,
    pub sources: BTreeMap<String, Source>,
    pub countries: Countries,
    pub sample: Sample,
    pub decomposition: Decomposition,
    /// `[panel]`: the unit of the panel's rows, and which sectors and partners it holds.
    pub panel: PanelSpec,
    /// `[panels.<name>]`: further panels of the same study (a gravity panel beside a sector
    /// panel, say); a model reads one with `panel = "<name>"`.
    pub panels: BTreeMap<String, PanelSpec>,
    /// `[sectors]`: named sector sets (`@name` includes another set), as `[countries]`.
    pub sectors: BTreeMap<String, At<Vec<At<String>>>>,
    pub variables: BTreeMap<String, Variable>,
    pub models: Vec<Model>,
    pub robustness: Vec<Robustness>,
    pub report: Report,
    /// `[multiverse]`: every combination of the axes' alternatives as one universe.
    pub multiverse: Option<super::multiverse::Multiverse>,
    /// `[executor]`: where stages may run besides this machine (never part of a key).
    pub executor: crate::spec::executor::ExecutorSettings,
}

/// `[study]`.
#[derive(Debug, Clone, Serialize)]
pub struct Study {
    /// Title printed at the top of the report.
    pub title: String,
    /// Free text printed under the title.
    pub description: Option<String>,
    /// Output folder; default `output/<spec name>` beside the spec.
    pub output: Option<String>,
}

/// `[sources.<name>]`: where data come from. Format-specific keys are kept in `options` and
/// checked by the reader of that format.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub name: String,
    pub format: At<SourceFormat>,
    /// File or folder, resolved against the folder of the spec file that wrote it.
    pub path: Option<At<PathBuf>>,
    /// How a year finds its file inside `path`, e.g. `ADB-MRIO*{year}*.xlsx`.
    pub files: Option<At<String>>,
    /// Where to get the data, in words (shown when `path` is missing). Not part of any key.
    #[serde(skip)]
    pub download: Option<String>,
    /// How to cite the data (for the replication package's data availability statement). Not
    /// part of any key.
    #[serde(skip)]
    pub citation: Option<String>,
    /// The data's licence, an identifier such as `CC-BY-4.0` (`gvc package` copies the data
    /// only when the licence allows redistribution). Not part of any key.
    #[serde(skip)]
    pub licence: Option<At<String>>,
    /// Every other key of the section, as JSON for the reader's own option type.
    pub options: serde_json::Value,
    #[serde(skip)]
    pub option_locs: BTreeMap<String, Loc>,
    #[serde(skip)]
    pub loc: Loc,
}

/// `[countries]`: the code system and named country sets (`@name` includes another set).
#[derive(Debug, Clone, Serialize)]
pub struct Countries {
    /// Code system the spec writes countries in: `adb` (default), `iso3`, `wiod`, `wiod2016`,
    /// `icio`.
    pub codes: At<CodeSystem>,
    /// Sets as written (members may be `@other`).
    pub sets: BTreeMap<String, At<Vec<At<String>>>>,
}

/// `[sample]`.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// A set name (with or without `@`) or an explicit list of codes and `@set`s.
    pub countries: At<Vec<At<String>>>,
    /// First and last year, inclusive.
    pub years: At<(i32, i32)>,
    pub exclude_years: At<Vec<i32>>,
}

/// `[decomposition]`.
#[derive(Debug, Clone, Serialize)]
pub struct Decomposition {
    /// Name of the `[sources.*]` entry holding the input-output tables (default `mrio`).
    pub source: At<String>,
    /// Measure families: `kpww`, `kww`, `wwz`, `bm`, `wwyz`.
    pub measures: At<Vec<At<Family>>>,
    /// IV definition for KPWW (reference/decomposition.md §2): `dvafx` (default),
    /// `dvafx_excl_back`, `kww_t3`.
    pub iv: At<IvDefinition>,
    /// `country` (default) or `sector`.
    pub level: At<Level>,
    /// What WWZ keeps for the panel: `country` (default), `bilateral`, `sector`, `bilateral_sector`.
    pub wwz_level: At<WwzLevel>,
    /// How the `leontief` stage checks (I − A)B = I: `probe` (default, O(n²) random-sign
    /// probes) or `exact` (every entry, one more n × n matmul); docs/measures.md.
    pub checks: At<crate::iot::InverseCheck>,
}

/// `[panel]`: what one row of the estimation panel is (docs/spec-reference.md#panel).
#[derive(Debug, Clone, Serialize)]
pub struct PanelSpec {
    /// `country` (default), `country_sector`, `bilateral`, `bilateral_sector`
    /// ([`crate::panel::UNITS`]).
    pub unit: At<crate::panel::PanelUnit>,
    /// Sectors of a sector panel: a `[sectors]` set name or a list of sector codes and
    /// `@set`s; `None` = every sector of the tables.
    pub sectors: Option<At<Vec<At<String>>>>,
    /// Importers of a bilateral panel: a `[countries]` set name or a list of codes and
    /// `@set`s; `None` = the sample's countries.
    pub partners: Option<At<Vec<At<String>>>>,
    /// `[sectors]` sets aggregated into one row each (`["manufacturing", "services"]`): the
    /// group's additive measures summed, its ratios recomputed from the sums
    /// ([`crate::panel::sector_groups`]); `None` = one row per sector.
    pub groups: Option<At<Vec<At<String>>>>,
    /// When `groups` are formed: `after` the decomposition (default) or `before` it, by
    /// merging the sectors of the table ([`crate::panel::sector_groups::GroupAggregation`]);
    /// `None` = not written.
    pub aggregate: Option<At<crate::panel::sector_groups::GroupAggregation>>,
}

/// A panel of the spec: `[panel]` (`name` `None`) or `[panels.<name>]`.
#[derive(Debug, Clone, Copy)]
pub struct PanelRef<'a> {
    pub name: Option<&'a str>,
    pub spec: &'a PanelSpec,
}

impl PanelRef<'_> {
    /// The spec key of the panel's section: `panel` or `panels.<name>`.
    pub fn key(&self) -> String {
        match self.name {
            None => "panel".to_string(),
            Some(n) => format!("panels.{n}"),
        }
    }

    /// The panel's unit.
    pub fn unit(&self) -> crate::panel::PanelUnit {
        self.spec.unit.value
    }

    /// Whether the panel's sector groups are merged in the table before the decomposition
    /// (`groups` with `aggregate = "before"`).
    pub fn merges_before(&self) -> bool {
        self.spec.groups.is_some()
            && self
                .spec
                .aggregate
                .as_ref()
                .is_some_and(|a| a.value == crate::panel::sector_groups::GroupAggregation::Before)
    }
}

impl Spec {
    /// Every panel: `[panel]` first, then `[panels.*]` in name order.
    pub fn all_panels(&self) -> Vec<PanelRef<'_>> {
        let mut out = vec![PanelRef {
            name: None,
            spec: &self.panel,
        }];
        out.extend(self.panels.iter().map(|(n, p)| PanelRef {
            name: Some(n.as_str()),
            spec: p,
        }));
        out
    }

    /// The panel a model reads (`[panel]` when its `panel` names none that exists; that is
    /// reported by the validator).
    pub fn model_panel(&self, m: &Model) -> PanelRef<'_> {
        m.panel
            .as_ref()
            .and_then(|p| self.panels.get_key_value(&p.value))
            .map_or(
                PanelRef {
                    name: None,
                    spec: &self.panel,
                },
                |(n, p)| PanelRef {
                    name: Some(n.as_str()),
                    spec: p,
                },
            )
    }

    /// The variables a panel holds, in name order. With `[panel]` alone, every variable.
    /// With `[panels.*]`, a named panel holds the variables its models read (dependent
    /// variable, regressors, controls, a cluster variable) and those they are built from
    /// (`from` and transform operands, transitively); `[panel]` holds every other variable
    /// too, except those only named panels read.
    pub fn panel_variables(&self, panel: Option<&str>) -> Vec<&Variable> {
        if self.panels.is_empty() {
            return self.variables.values().collect();
        }
        let used = |p: Option<&str>| self.variables_read_by_panel(p);
        let mine = used(panel);
        if panel.is_some() {
            return self
                .variables
                .values()
                .filter(|v| mine.contains(v.name.as_str()))
                .collect();
        }
        let others: std::collections::BTreeSet<&str> = self
            .panels
            .keys()
            .flat_map(|n| used(Some(n.as_str())))
            .collect();
        self.variables
            .values()
            .filter(|v| mine.contains(v.name.as_str()) || !others.contains(v.name.as_str()))
            .collect()
    }

    /// The names of the variables the models on a panel read, closed under `from` and
    /// transform operands.
    fn variables_read_by_panel(&self, panel: Option<&str>) -> std::collections::BTreeSet<&str> {
        let mut todo: Vec<&str> = Vec::new();
        for m in self
            .models
            .iter()
            .filter(|m| self.model_panel(m).name == panel)
        {
            let terms = std::iter::once(&m.dependent)
                .chain(&m.regressors)
                .chain(&m.controls)
                .chain(m.cluster.iter());
            for t in terms {
                todo.push(crate::spec::validate::base_variable(&t.value));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        while let Some(name) = todo.pop() {
            let Some((key, v)) = self.variables.get_key_value(name) else {
                continue;
            };
            if !seen.insert(key.as_str()) {
                continue;
            }
            let from = v.from.value.as_str();
            todo.push(from.strip_prefix(IMPORTER_OPERAND).unwrap_or(from));
            for t in &v.transforms.value {
                for op in t.operands() {
                    todo.push(op.strip_prefix(IMPORTER_OPERAND).unwrap_or(op));
                }
            }
        }
        seen
    }
}

/// The `importer.` prefix of a covariate read by importer (see
/// [`crate::spec::validate::panel::IMPORTER_PREFIX`]).
const IMPORTER_OPERAND: &str = "importer.";

/// One entry of `[variables]`.
#[derive(Debug, Clone, Serialize)]
pub struct Variable {
    pub name: String,
    /// `<source>.<column>`, `decomposition.<measure>.<name>` or another variable's name.
    pub from: At<String>,
    /// Transforms applied in order (empty: none), located at the `transform` key.
    pub transforms: At<Vec<Transform>>,
    /// Label used in tables and figures (default: the name).
    pub label: String,
    #[serde(skip)]
    pub loc: Loc,
}

/// One `[[models]]` block.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub name: At<String>,
    pub dependent: At<String>,
    pub regressors: Vec<At<String>>,
    pub controls: Vec<At<String>>,
    /// `all` (default: one column with every control) or `sequential` (one column per added
    /// control, starting with none, as fixest `csw0`).
    pub controls_mode: At<ControlsMode>,
    /// `pooled`, `fe`, `fe2`, `re`, `be`, `fd`.
    pub estimators: Vec<At<Estimator>>,
    /// `conventional`, `robust`, `cluster` (default) or `dk` (Driscoll–Kraay).
    pub vce: At<Vce>,
    /// Lags of the Driscoll–Kraay covariance (`vce = "dk"`); `None`: ⌊4(T/100)^(2/9)⌋.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dk_lags: Option<At<u32>>,
    /// Cluster variable or panel dimension (`exporter`); default the panel unit.
    pub cluster: Option<At<String>>,
    /// Absorbed fixed effects by panel dimension (`["exporter^sector", "year"]`); `None`: the
    /// estimators' own effects.
    pub absorb: Option<At<Vec<At<crate::panel::FeTerm>>>>,
    /// `panel = "<name>"`: the `[panels.<name>]` panel the model reads (`None`: `[panel]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panel: Option<At<String>>,
    /// The unit of the model's panel (what `absorb` and `cluster` dimensions refer to).
    #[serde(skip)]
    pub unit: crate::panel::PanelUnit,
    /// Hausman FE-vs-RE test under each FE/RE pair.
    pub hausman: bool,
    /// Caption of the model's table.
    pub title: Option<String>,
    #[serde(skip)]
    pub loc: Loc,
}

/// One `[[robustness]]` block: the spec re-run with some keys changed.
#[derive(Debug, Clone, Serialize)]
pub struct Robustness {
    pub name: At<String>,
    pub label: Option<String>,
    /// Shorthand for `set = { "sample.exclude_years" = [...] }`.
    pub exclude_years: Option<At<Vec<i32>>>,
    /// Dotted key → value overrides, as `--set`.
    pub set: Vec<(At<String>, serde_json::Value)>,
    /// Models re-run under the variant (default: all).
    pub models: Vec<At<String>>,
    /// Also show the variant's columns beside the baseline's in the baseline table (its own
    /// table is always written).
    pub beside_baseline: bool,
    #[serde(skip)]
    pub loc: Loc,
    #[serde(skip)]
    pub set_nodes: Vec<(Vec<String>, Node)>,
}

/// `[report]`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `markdown`, `latex`.
    pub formats: Vec<At<Format>>,
    /// Significance thresholds for one, two, three stars (sorted descending).
    pub stars: At<Vec<f64>>,
    /// Decimals of table numbers: 0–12, or `"auto"` (esttab `a2`).
    pub digits: Digits,
    /// Regression column headers: `journal` (numbered, estimator row) or `labelled`.
    pub style: At<TableStyle>,
    /// Controls as Yes/No `indicators` or as `coefficients`.
    pub controls: At<ControlsDisplay>,
    /// Wide regression tables: `landscape` or `panels` (one per estimator).
    pub layout: At<TableLayout>,
    /// Folder of template overrides (default `templates/` beside the spec, when present).
    pub templates: Option<At<PathBuf>>,
    /// Which R² the regression tables show: `auto` (within for FE, overall for RE), `within`,
    /// `overall`, `between`.
    pub r2: At<R2Choice>,
    /// Coefficients in this order first (others follow in model order).
    pub order: Vec<String>,
    /// Coefficients left out of the tables (e.g. `_cons`).
    pub drop: Vec<String>,
    /// Render figures (SVG).
    pub figures: bool,
    /// Add Stata's `hausman` coefficient comparison (b, B, b−B, S.E.) for each FE/RE pair.
    pub hausman_details: bool,
}

/// How a model's controls enter its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlsMode {
    /// One column with every control.
    All,
    /// One column per added control, starting with none (fixest `csw0`).
    Sequential,
}

impl crate::choice::Choice for ControlsMode {
    const WHAT: &'static str = "controls mode";
    const ALL: &'static [Self] = &[ControlsMode::All, ControlsMode::Sequential];
    fn name(self) -> &'static str {
        match self {
            ControlsMode::All => "all",
            ControlsMode::Sequential => "sequential",
        }
    }
}
crate::choice_serde!(ControlsMode);

/// The levels `[decomposition] level` accepts (bilateral rows come from `wwz_level`).
pub const DECOMPOSITION_LEVELS: &[Level] = &[Level::Country, Level::Sector];

/// Keys each section accepts: the single source of truth for "did you mean" suggestions and
/// for the spec reference test.
pub mod keys {
    pub const TOP: &[&str] = &[
        "extends",
        "study",
        "sources",
        "countries",
        "sample",
        "decomposition",
        "panel",
        "panels",
        "sectors",
        "variables",
        "models",
        "robustness",
        "report",
        "multiverse",
        "executor",
    ];
    pub const STUDY: &[&str] = &["title", "description", "output"];
    /// Common keys of every source; format-specific keys are checked by the reader.
    pub const SOURCE: &[&str] = &["format", "path", "files", "download", "citation", "licence"];
    pub const SAMPLE: &[&str] = &["countries", "years", "exclude_years"];
    pub const DECOMPOSITION: &[&str] =
        &["source", "measures", "iv", "level", "wwz_level", "checks"];
    pub const VARIABLE: &[&str] = &["from", "transform", "label"];
    pub const PANEL: &[&str] = &["unit", "sectors", "partners", "groups", "aggregate"];
    pub const MODEL: &[&str] = &[
        "name",
        "dependent",
        "regressors",
        "controls",
        "controls_mode",
        "estimators",
        "vce",
        "dk_lags",
        "cluster",
        "absorb",
        "panel",
        "hausman",
        "title",
    ];
    pub const ROBUSTNESS: &[&str] = &[
        "name",
        "label",
        "exclude_years",
        "set",
        "models",
        "beside_baseline",
    ];
    pub const REPORT: &[&str] = &[
        "formats",
        "stars",
        "digits",
        "style",
        "controls",
        "layout",
        "templates",
        "r2",
        "order",
        "drop",
        "figures",
        "hausman_details",
    ];
    pub const MULTIVERSE: &[&str] = &["axes", "exclude", "inference", "intervals"];
    /// `[countries]` holds `codes` and any number of named sets.
    pub const COUNTRIES: &[&str] = &["codes"];
}
