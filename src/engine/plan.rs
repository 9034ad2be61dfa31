//! The plan: every stage instance of a spec (and of its robustness variants), flat and in an
//! order where upstream comes first, each with its kind, instance name, key, named
//! dependencies and parameters. It is what `gvc plan` prints, what `run`, `status` and `clean`
//! consume, and what the cache stores for workers (`plans/<key>.json`). Instances with the same
//! key are one instance: variants share what they compute alike.
//!
//! Beside the flat plan, a [`Layout`] says which instance plays which role in the study
//! (each year's table, the baseline panel, each model column), for the outputs and the report.

use std::collections::{BTreeMap, HashMap};

use super::hashing::FileHasher;
use super::key::Key;
use super::stages::covariates::{self, Covariates};
use super::stages::decompose::{self, Decompose};
use super::stages::estimate::{self, EstimateStage, ModelColumn};
use super::stages::hausman::HausmanStage;
use super::stages::io_tables::{self, IoTables};
use super::stages::leontief::LeontiefInverse;
use super::stages::panel::{self, PanelStage};
use super::stages::report;
use super::stages::{AnyStage, StageKind};
use crate::estimate::Estimator;
use crate::spec::validate::{expand_members, sample_members};
use crate::spec::{Diagnostic, Diagnostics, Spec};

/// One stage instance of a plan.
#[derive(Debug, Clone)]
pub struct Instance {
    pub kind: StageKind,
    /// The instance's name within its kind (`2009`, `participation/0/fe`,
    /// `excl-2009:participation/0/fe`, …): the first name it was planned under.
    pub instance: String,
    pub key: Key,
    /// Upstream instances by role.
    pub deps: BTreeMap<String, Key>,
    pub stage: AnyStage,
}

impl Instance {
    /// `kind/instance`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.kind.name(), self.instance)
    }

    /// The entry a worker runs (`plans/<key>.json`): kind and parameters.
    pub fn entry(&self) -> serde_json::Value {
        serde_json::to_value(&self.stage).unwrap_or(serde_json::Value::Null)
    }
}

/// Every stage instance of a run, upstream first.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub instances: Vec<Instance>,
    index: HashMap<Key, usize>,
}

impl Plan {
    /// Adds an instance (or finds the one with the same key) and returns its key.
    pub fn add(&mut self, instance: impl Into<String>, stage: impl Into<AnyStage>) -> Key {
        let stage = stage.into();
        let key = stage.key();
        if self.index.contains_key(&key) {
            return key;
        }
        let deps: BTreeMap<String, Key> = stage.deps().into_iter().collect();
        self.index.insert(key.clone(), self.instances.len());
        self.instances.push(Instance {
            kind: stage.kind(),
            instance: instance.into(),
            key: key.clone(),
            deps,
            stage,
        });
        key
    }

    /// The instance with this key.
    pub fn get(&self, key: &Key) -> Option<&Instance> {
        self.index.get(key).map(|&i| &self.instances[i])
    }

    /// The position of an instance in the plan.
    pub fn position(&self, key: &Key) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// Each instance's level: 0 without dependencies, else one more than its deepest
    /// dependency (dependencies come earlier in the plan).
    pub fn levels(&self) -> Vec<usize> {
        let mut level = vec![0usize; self.instances.len()];
        for (i, inst) in self.instances.iter().enumerate() {
            level[i] = inst
                .deps
                .values()
                .filter_map(|k| self.position(k))
                .map(|d| level[d] + 1)
                .max()
                .unwrap_or(0);
        }
        level
    }

    /// The plan as `gvc plan --json` prints it: one object per instance with kind, instance,
    /// key, deps and params.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.instances
                .iter()
                .map(|i| {
                    serde_json::json!({
                        "kind": i.kind.name(),
                        "instance": i.instance,
                        "key": i.key,
                        "version": i.stage.version(),
                        "deps": i.deps,
                        "params": i.stage.params(),
                    })
                })
                .collect(),
        )
    }

    /// Checks that every dependency is an earlier instance and that no parameter names the key
    /// of a planned instance without declaring it as a dependency (a stage would read an
    /// artifact the executor does not order before it).
    pub fn check(&self) -> Result<(), String> {
        for (i, inst) in self.instances.iter().enumerate() {
            for (role, key) in &inst.deps {
                match self.position(key) {
                    Some(d) if d < i => {}
                    _ => {
                        return Err(format!(
                            "{}: dependency `{role}` ({}) is not planned before it",
                            inst.id(),
                            key.short()
                        ))
                    }
                }
            }
            let text = super::key::canonical_json(&inst.stage.params());
            for named in hex_keys(&text) {
                if let Some(other) = self.get(&named) {
                    if !inst.deps.values().any(|k| k == &other.key) {
                        return Err(format!(
                            "{}: its parameters name {} without declaring it a dependency",
                            inst.id(),
                            other.id()
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Every run of exactly 64 lower-case hex digits in a text, as keys.
fn hex_keys(text: &str) -> Vec<Key> {
    let bytes = text.as_bytes();
    let is_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_hex(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_hex(bytes[i]) {
            i += 1;
        }
        if i - start == 64 {
            if let Ok(k) = text[start..i].parse() {
                out.push(k);
            }
        }
    }
    out
}

/// Which instance plays which role in a study.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The baseline's instances per year.
    pub years: BTreeMap<i32, YearKeys>,
    /// The baseline's decompositions (ascending years).
    pub decompositions: Vec<Decompose>,
    /// Every panel of the baseline (variant `None`) and of each robustness variant.
    pub panels: Vec<PanelRole>,
    /// Every model column of every variant.
    pub columns: Vec<ColumnRole>,
    /// Every Hausman test of every variant.
    pub tests: Vec<TestRole>,
    /// The universes of `[multiverse]` and the stages that fit them.
    pub multiverse: Option<super::multiverse::MultiverseLayout>,
    pub report: Option<Key>,
}

/// The instances of one year.
#[derive(Debug, Clone)]
pub struct YearKeys {
    pub io_tables: Key,
    pub leontief: Key,
    pub decompose: Option<Key>,
}

/// A panel of a variant: `[panel]` (`panel` `None`) or a `[panels.<name>]`.
#[derive(Debug, Clone)]
pub struct PanelRole {
    pub variant: Option<String>,
    pub panel: Option<String>,
    pub stage: PanelStage,
}

impl Layout {
    /// The baseline's `[panel]`.
    pub fn baseline_panel(&self) -> Option<&PanelStage> {
        self.panels
            .iter()
            .find(|p| p.variant.is_none() && p.panel.is_none())
            .map(|p| &p.stage)
    }
}

/// A model column of a variant.
#[derive(Debug, Clone)]
pub struct ColumnRole {
    pub variant: Option<String>,
    pub column: ModelColumn,
    pub stage: EstimateStage,
}

/// A Hausman test of a variant's model and control step.
#[derive(Debug, Clone)]
pub struct TestRole {
    pub variant: Option<String>,
    pub model: String,
    pub step: usize,
    pub stage: HausmanStage,
}

/// The sample's countries, sets and built-in sets expanded, in the spec's code system.
pub fn sample_countries(spec: &Spec) -> Result<Vec<String>, Diagnostics> {
    let mut d = Diagnostics::default();
    let system = spec.countries.codes.value;
    let builtin = |name: &str| crate::sources::countries::builtin_set(name, system).ok();
    let codes = expand_members(
        &sample_members(spec),
        &spec.countries.sets,
        &builtin,
        &mut d,
    );
    d.into_result()?;
    Ok(codes)
}

/// Checks every sample country against the registry of the spec's code system.
pub fn check_country_codes(spec: &Spec) -> Diagnostics {
    let mut d = Diagnostics::default();
    let system = spec.countries.codes.value;
    let members = spec
        .countries
        .sets
        .values()
        .flat_map(|set| set.value.iter())
        .chain(spec.sample.countries.value.iter());
    let sample_is_a_set_name = spec
        .root
        .table()
        .and_then(|t| t.get("sample"))
        .and_then(|s| s.table())
        .and_then(|s| s.get("countries"))
        .is_some_and(|c| c.as_str().is_some());
    for m in members {
        if m.value.starts_with('@') || spec.countries.sets.contains_key(&m.value) {
            continue;
        }
        let is_code = crate::sources::countries::map(&m.value, system, system).is_ok();
        if sample_is_a_set_name
            && !is_code
            && spec
                .sample
                .countries
                .value
                .first()
                .is_some_and(|f| std::ptr::eq(m, f))
        {
            // `countries = "name"` names a set: say so rather than "unknown country code".
            let mut sets: Vec<&str> = spec.countries.sets.keys().map(String::as_str).collect();
            sets.extend(crate::spec::validate::BUILTIN_SETS);
            d.push(
                Diagnostic::at(
                    &m.loc,
                    format!("`sample.countries` names the set `{}`, which `[countries]` does not define", m.value),
                )
                .with_help(format!(
                    "{}; or list country codes, `countries = [\"CHN\", \"@asean\"]`",
                    crate::spec::diag::did_you_mean(&m.value, &sets)
                )),
            );
            continue;
        }
        if let Err(e) = crate::sources::countries::map(&m.value, system, system) {
            d.push(
                Diagnostic::at(&m.loc, format!("country `{}`: {e}", m.value)).with_help(format!(
                    "codes are read as `{}` (set `[countries] codes`)",
                    system.name()
                )),
            );
        }
    }
    d
}

/// The years a run covers: the sample's years (excluded years keep their tables, so a
/// robustness block that drops a year re-uses them).
pub fn study_years(spec: &Spec) -> Vec<i32> {
    let (first, last) = spec.sample.years.value;
    (first..=last).collect()
}

/// Builds the plan and layout of a spec and its robustness variants. Input files are hashed;
/// no data is read.
pub fn build(spec: &Spec, hasher: &FileHasher) -> Result<(Plan, Layout), Diagnostics> {
    let mut plan = Plan::default();
    let mut layout = Layout::default();
    let mut d = Diagnostics::default();
    plan_spec(spec, None, &[], &mut plan, &mut layout, hasher, &mut d);
    for r in &spec.robustness {
        match crate::spec::load::variant_spec(spec, r) {
            Ok(v) => {
                let models: Vec<String> = r.models.iter().map(|m| m.value.clone()).collect();
                plan_spec(
                    &v,
                    Some(&r.name.value),
                    &models,
                    &mut plan,
                    &mut layout,
                    hasher,
                    &mut d,
                );
            }
            Err(e) => d.extend(e),
        }
    }
    if let (Some(mv), true) = (&spec.multiverse, d.is_empty()) {
        layout.multiverse = super::multiverse::plan(spec, mv, &mut plan, hasher, &mut d);
    }
    if d.is_empty() {
        let countries = sample_countries(spec)?;
        match report::plan(spec, &layout, countries, hasher) {
            Ok(Some(r)) => layout.report = Some(plan.add("report", r)),
            Ok(None) => {}
            Err(e) => d.extend(e),
        }
    }
    d.into_result()?;
    if let Err(why) = plan.check() {
        return Err(Diagnostics(vec![Diagnostic::new(
            None,
            format!("internal error: the plan is inconsistent: {why}"),
        )]));
    }
    Ok((plan, layout))
}

/// Adds the tables, inverses, decompositions and covariates of one spec and returns its
/// `[panel]`'s parameters (not yet planned), or `None` after reporting why there is none.
pub(super) fn plan_panel(
    spec: &Spec,
    variant: Option<&str>,
    plan: &mut Plan,
    layout: &mut Layout,
    hasher: &FileHasher,
    d: &mut Diagnostics,
) -> Option<PanelStage> {
    plan_panels(spec, variant, plan, layout, hasher, d)?
        .into_iter()
        .next()
        .map(|(_, p)| p)
}

/// Adds the tables, inverses, decompositions and covariates of one spec and returns the
/// parameters of each of its panels (not yet planned): `[panel]` first (`None`), then each
/// `[panels.<name>]`; or `None` after reporting why there are none.
pub(super) fn plan_panels(
    spec: &Spec,
    variant: Option<&str>,
    plan: &mut Plan,
    layout: &mut Layout,
    hasher: &FileHasher,
    d: &mut Diagnostics,
) -> Option<Vec<(Option<String>, PanelStage)>> {
    let decompositions = match plan_tables(spec, variant, plan, layout, hasher) {
        Ok(dec) => dec,
        Err(e) => {
            d.extend(e);
            return None;
        }
    };
    if variant.is_none() {
        d.extend(check_country_codes(spec));
    }
    if spec.variables.is_empty() {
        return None;
    }
    let countries = match sample_countries(spec) {
        Ok(c) => c,
        Err(e) => {
            d.extend(e);
            return None;
        }
    };
    let mut covs: Vec<Covariates> = Vec::new();
    for src in spec.sources.values() {
        if src.name == spec.decomposition.source.value {
            continue;
        }
        match covariates::plan(spec, src, &countries, hasher) {
            Ok(Some(c)) => {
                plan.add(src.name.clone(), c.clone());
                covs.push(c);
            }
            Ok(None) => {}
            Err(e) => d.push(e),
        }
    }
    if !d.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for (p, decs) in spec.all_panels().into_iter().zip(decompositions) {
        match panel::plan(spec, p, countries.clone(), &decs, &covs) {
            Ok(stage) => out.push((p.name.map(str::to_string), stage)),
            Err(e) => d.extend(e),
        }
    }
    d.is_empty().then_some(out)
}

/// Adds the instances of one spec (the baseline, or a robustness variant restricted to
/// `models`).
fn plan_spec(
    spec: &Spec,
    variant: Option<&str>,
    models: &[String],
    plan: &mut Plan,
    layout: &mut Layout,
    hasher: &FileHasher,
    d: &mut Diagnostics,
) {
    let Some(panels) = plan_panels(spec, variant, plan, layout, hasher, d) else {
        return;
    };
    for (name, panel) in &panels {
        let instance = match (variant, name) {
            (None, None) => "main".to_string(),
            (Some(v), None) => v.to_string(),
            (None, Some(n)) => n.clone(),
            (Some(v), Some(n)) => format!("{v}:{n}"),
        };
        plan.add(instance, panel.clone());
        layout.panels.push(PanelRole {
            variant: variant.map(str::to_string),
            panel: name.clone(),
            stage: panel.clone(),
        });
    }
    let prefix = variant.map(|v| format!("{v}:")).unwrap_or_default();
    for m in &spec.models {
        if !models.is_empty() && !models.contains(&m.name.value) {
            continue;
        }
        let on = spec.model_panel(m).name;
        let Some((_, panel)) = panels.iter().find(|(n, _)| n.as_deref() == on) else {
            continue;
        };
        let mut fe_re: BTreeMap<usize, (Option<EstimateStage>, Option<EstimateStage>)> =
            BTreeMap::new();
        for column in estimate::model_columns(m) {
            let stage = estimate::plan(m, &column, panel);
            plan.add(
                format!("{prefix}{}/{}", m.name.value, column.column_name()),
                stage.clone(),
            );
            let slot = fe_re.entry(column.step).or_default();
            match column.estimator {
                Estimator::Fe => slot.0 = Some(stage.clone()),
                Estimator::Re => slot.1 = Some(stage.clone()),
                _ => {}
            }
            layout.columns.push(ColumnRole {
                variant: variant.map(str::to_string),
                column,
                stage,
            });
        }
        if !m.hausman {
            continue;
        }
        for (step, pair) in fe_re {
            let (Some(fe), Some(re)) = pair else { continue };
            let stage = HausmanStage {
                fe: super::stage::Dep::on(&fe),
                re: super::stage::Dep::on(&re),
            };
            plan.add(format!("{prefix}{}/{step}", m.name.value), stage.clone());
            layout.tests.push(TestRole {
                variant: variant.map(str::to_string),
                model: m.name.value.clone(),
                step,
                stage,
            });
        }
    }
}

/// Adds each year's table, inverse and decompositions; returns the decompositions each panel
/// reads (in [`Spec::all_panels`] order; panels of one unit and families share them). A panel
/// whose sector groups are merged before the decomposition (`aggregate = "before"`) reads its
/// own merged table and inverse, instanced `{year}/{panel}`.
fn plan_tables(
    spec: &Spec,
    variant: Option<&str>,
    plan: &mut Plan,
    layout: &mut Layout,
    hasher: &FileHasher,
) -> Result<Vec<Vec<Decompose>>, Diagnostics> {
    let (src, format, options) = io_tables::table_source(spec)?;
    if let Some(problem) = io_tables::years_problem(src, format, &options, &study_years(spec)) {
        return Err(Diagnostics(vec![problem]));
    }
    let mut d = Diagnostics::default();
    let panels = spec.all_panels();
    // The sector groups each panel merges in the table (empty: the table as read).
    let merges: Vec<Vec<(String, Vec<String>)>> = panels
        .iter()
        .map(|p| {
            if p.merges_before() {
                crate::spec::validate::panel::sector_groups(spec, *p, &mut d)
            } else {
                Vec::new()
            }
        })
        .collect();
    let mut out: Vec<Vec<Decompose>> = vec![Vec::new(); panels.len()];
    for year in study_years(spec) {
        let read = match io_tables::plan(src, format, &options, year, hasher) {
            Ok(t) => t,
            Err(e) => {
                d.push(e);
                continue;
            }
        };
        let inverse_of = |table: &IoTables| LeontiefInverse {
            table: super::stage::Dep::on(table),
            output_read: format != crate::sources::mrio::MrioFormat::Synthetic,
            checks: spec.decomposition.checks.value,
        };
        // Each panel's table, its inverse and their instance name.
        let tables: Vec<(IoTables, LeontiefInverse, String)> = panels
            .iter()
            .zip(&merges)
            .map(|(p, groups)| {
                let table = IoTables {
                    merge_sectors: groups.clone(),
                    ..read.clone()
                };
                let inverse = inverse_of(&table);
                let instance = if groups.is_empty() {
                    year.to_string()
                } else {
                    format!("{year}/{}", p.name.unwrap_or("panel"))
                };
                (table, inverse, instance)
            })
            .collect();
        let (table, inverse, instance) = &tables[0];
        let io_key = plan.add(instance.clone(), table.clone());
        let leo_key = plan.add(instance.clone(), inverse.clone());
        let dec = decompose::plan(spec, year, table, inverse);
        let dec_key = dec
            .as_ref()
            .map(|dec| plan.add(instance.clone(), dec.clone()));
        if variant.is_none() {
            layout.years.insert(
                year,
                YearKeys {
                    io_tables: io_key,
                    leontief: leo_key,
                    decompose: dec_key,
                },
            );
            if let Some(dec) = &dec {
                layout.decompositions.push(dec.clone());
            }
        }
        out[0].extend(dec);
        for (i, p) in panels.iter().enumerate().skip(1) {
            let (table, inverse, instance) = &tables[i];
            if let Some(dec) = decompose::plan_for(spec, *p, year, table, inverse) {
                plan.add(instance.clone(), table.clone());
                plan.add(instance.clone(), inverse.clone());
                plan.add(
                    format!("{year}/{}", p.name.unwrap_or_default()),
                    dec.clone(),
                );
                out[i].push(dec);
            }
        }
    }
    d.into_result()?;
    Ok(out)
}

/// Warnings for sample countries that no table of the plan has, when the tables' countries
/// are known without reading data: every year's table is cached (its recorded totals name
/// its countries) or the tables are generated (their options name them).
pub fn absent_country_warnings(
    spec: &Spec,
    plan: &Plan,
    cache: &super::cache::Cache,
) -> Vec<String> {
    let Ok(countries) = sample_countries(spec) else {
        return Vec::new();
    };
    let mut known: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut complete = true;
    for inst in plan
        .instances
        .iter()
        .filter(|i| i.kind == StageKind::IoTables)
    {
        let super::stages::AnyStage::IoTables(p) = &inst.stage else {
            continue;
        };
        if let super::cache::Lookup::Hit { meta, .. } = cache.lookup(inst.kind.name(), &inst.key) {
            known.extend(meta.facts.summary.iter().map(|t| t.country.clone()));
        } else if let Some(list) = p.options.get("countries").and_then(|c| c.as_array()) {
            known.extend(list.iter().filter_map(|c| c.as_str().map(str::to_string)));
        } else {
            complete = false;
        }
    }
    if !complete || known.is_empty() {
        return Vec::new();
    }
    let sample = crate::panel::Sample {
        countries,
        codes: Some(spec.countries.codes.value),
        first_year: spec.sample.years.value.0,
        last_year: spec.sample.years.value.1,
        exclude_years: Vec::new(),
        unit: crate::panel::PanelUnit::Country,
        sectors: None,
        partners: None,
    };
    let in_tables: std::collections::BTreeSet<&str> = known.iter().map(String::as_str).collect();
    super::stages::panel::absent_countries(
        &sample,
        super::stages::panel::table_codes(spec),
        &in_tables,
    )
    .iter()
    .map(|c| super::stages::panel::absent_warning(c))
    .collect()
}

/// The keys of instances a spec's plan uses, by kind (for `clean --unused`).
pub fn used_keys(plan: &Plan) -> Vec<(StageKind, Key)> {
    plan.instances
        .iter()
        .map(|i| (i.kind, i.key.clone()))
        .collect()
}
