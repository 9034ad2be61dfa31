//! Assembly of the estimation panel.
//!
//! Steps, in order:
//! 1. **Codes.** Every input series and bilateral table carries its code system (`None` = the
//!    sample's codes, taken verbatim). If all inputs are in the sample's system, that is the
//!    working system; otherwise everything is mapped to ISO3, the superset (economies with no
//!    ISO3, i.e. the tables' rest of the world, are dropped with a note). Codes invalid in
//!    their declared system are errors.
//! 2. **Variables** are computed in dependency order (a variable may come from another
//!    variable; operands of `ratio`, `interaction` and `lp_spillover` may be variables or
//!    series). Transforms run on **all available years and countries** before the sample
//!    restriction, so a lag in the first sample year uses the previous year's data when the
//!    source has it, growth rates and perpetual-inventory stocks use the years before the
//!    sample, and a spillover can use host countries outside the sample. The pooled statistics
//!    of `standardize` and `winsorize` are taken over the sample's country-years.
//! 3. **Skeleton.** Rows are every sample country (in the order given) × every sample year
//!    (ascending, excluded years removed): a balanced panel in which a missing value is `None`.
//! 4. **Report.** Per variable the missing cells, descriptives over the non-missing cells, and
//!    notes on every in-sample value dropped, filled or clipped by a transform. A variable with
//!    no value in the sample is an error.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::panel::series::{Bilateral, Series};
use crate::panel::summary::{describe, Descriptives};
use crate::panel::transforms::{self, one_or_many, Transform, TransformNote};
use crate::panel::PanelError;
use crate::sources::countries::{self, nearest_codes, CodeSystem, CountryError};

/// A variable definition as written in the spec (`name = { from, transform, label }`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableSpec {
    /// An input series key (`decomposition.gvc_position`, `wdi.NY.GDP.PCAP.KD.ZG`,
    /// `ofdi.sofdi`) or the name of another variable.
    pub from: String,
    /// One transform or a list, applied in order.
    #[serde(default, deserialize_with = "one_or_many")]
    pub transform: Vec<Transform>,
    /// Label for tables.
    #[serde(default)]
    pub label: Option<String>,
}

/// A named variable definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariableDef {
    /// Column name in the panel.
    pub name: String,
    /// Where the values come from (see [`VariableSpec::from`]).
    pub from: String,
    /// Transforms, applied in order.
    #[serde(rename = "transform")]
    pub transforms: Vec<Transform>,
    /// Label for tables.
    pub label: Option<String>,
}

impl VariableDef {
    /// A definition from its spec entry.
    pub fn new(name: impl Into<String>, spec: VariableSpec) -> VariableDef {
        VariableDef {
            name: name.into(),
            from: spec.from,
            transforms: spec.transform,
            label: spec.label,
        }
    }

    /// A definition without transforms or label.
    pub fn plain(name: impl Into<String>, from: impl Into<String>) -> VariableDef {
        VariableDef {
            name: name.into(),
            from: from.into(),
            transforms: Vec::new(),
            label: None,
        }
    }

    /// The same definition with `transforms`.
    pub fn with(mut self, transforms: Vec<Transform>) -> VariableDef {
        self.transforms = transforms;
        self
    }
}

/// The sample: countries, an inclusive year range and excluded years.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Country codes in the order of the panel's rows (named sets already expanded).
    pub countries: Vec<String>,
    /// Code system of `countries` (None: codes without a system, matched verbatim).
    pub codes: Option<CodeSystem>,
    /// First year (inclusive).
    pub first_year: i32,
    /// Last year (inclusive).
    pub last_year: i32,
    /// Years left out (e.g. 2009 as a robustness check).
    pub exclude_years: Vec<i32>,
}

impl Sample {
    /// The sample years: first..=last without the excluded ones.
    pub fn years(&self) -> Vec<i32> {
        (self.first_year..=self.last_year)
            .filter(|y| !self.exclude_years.contains(y))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Input<T> {
    codes: Option<CodeSystem>,
    data: T,
}

/// The series the panel can draw on, keyed by the strings variables use in `from`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PanelInputs {
    series: BTreeMap<String, Input<Series>>,
    bilateral: BTreeMap<String, Input<Bilateral>>,
}

impl PanelInputs {
    /// No inputs.
    pub fn new() -> PanelInputs {
        PanelInputs::default()
    }

    /// Adds a country-year series under `key` (e.g. `wdi.NY.GDP.PCAP.KD.ZG`, `ofdi.sofdi`)
    /// with its code system (None = the sample's codes). Duplicate (country, year) and
    /// implausible years are errors.
    pub fn add_series<S: Into<String>>(
        &mut self,
        key: &str,
        codes: Option<CodeSystem>,
        observations: impl IntoIterator<Item = (S, i32, f64)>,
    ) -> Result<(), PanelError> {
        let mut checked = Vec::new();
        for (country, year, value) in observations {
            check_year(key, year)?;
            checked.push((country.into(), year, value));
        }
        let data = Series::from_triples(checked).map_err(|(country, year)| {
            PanelError::DuplicateObservation {
                series: key.to_string(),
                country,
                year,
            }
        })?;
        self.series.insert(key.to_string(), Input { codes, data });
        Ok(())
    }

    /// Adds the long indicator table of the decomposition, (country, year, measure, value),
    /// as one series per measure under `<prefix>.<measure>` (e.g. `decomposition.gvc_position`).
    pub fn add_indicators<S: Into<String>>(
        &mut self,
        prefix: &str,
        codes: Option<CodeSystem>,
        rows: impl IntoIterator<Item = (S, i32, String, f64)>,
    ) -> Result<(), PanelError> {
        let mut by_measure: BTreeMap<String, Vec<(String, i32, f64)>> = BTreeMap::new();
        for (country, year, measure, value) in rows {
            by_measure
                .entry(measure)
                .or_default()
                .push((country.into(), year, value));
        }
        for (measure, triples) in by_measure {
            self.add_series(&format!("{prefix}.{measure}"), codes, triples)?;
        }
        Ok(())
    }

    /// Adds a bilateral table (reporter, partner, year, value) under `key`, the name
    /// `lp_spillover`'s `ofdi` refers to.
    pub fn add_bilateral<S: Into<String>>(
        &mut self,
        key: &str,
        codes: Option<CodeSystem>,
        rows: impl IntoIterator<Item = (S, S, i32, f64)>,
    ) -> Result<(), PanelError> {
        let mut checked = Vec::new();
        for (reporter, partner, year, value) in rows {
            check_year(key, year)?;
            checked.push((reporter.into(), partner.into(), year, value));
        }
        let data = Bilateral::from_rows(checked).map_err(|(country, _, year)| {
            PanelError::DuplicateObservation {
                series: key.to_string(),
                country,
                year,
            }
        })?;
        self.bilateral
            .insert(key.to_string(), Input { codes, data });
        Ok(())
    }

    /// Keys of the country-year series.
    pub fn series_keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.series.keys().map(String::as_str)
    }

    /// Keys of the bilateral tables.
    pub fn bilateral_keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.bilateral.keys().map(String::as_str)
    }
}

fn check_year(series: &str, year: i32) -> Result<(), PanelError> {
    if crate::sources::table::PLAUSIBLE_YEARS.contains(&year) {
        Ok(())
    } else {
        Err(PanelError::ImplausibleYear {
            series: series.to_string(),
            year,
        })
    }
}

/// One panel column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PanelColumn {
    /// Variable name.
    pub name: String,
    /// Label for tables.
    pub label: Option<String>,
    /// One value per panel row; `None` = missing.
    pub values: Vec<Option<f64>>,
}

/// The balanced estimation panel: row r is (`country[r]`, `year[r]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Panel {
    /// Country of each row (sample codes).
    pub country: Vec<String>,
    /// Year of each row.
    pub year: Vec<i32>,
    /// Variables in definition order.
    pub columns: Vec<PanelColumn>,
}

impl Panel {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.country.len()
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&PanelColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The value of `name` at (country, year); None if missing or not in the panel.
    pub fn value(&self, name: &str, country: &str, year: i32) -> Option<f64> {
        let row = self
            .country
            .iter()
            .zip(&self.year)
            .position(|(c, y)| c == country && *y == year)?;
        self.column(name)?.values.get(row).copied().flatten()
    }
}

/// Missing cells of one variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingSummary {
    /// Variable name.
    pub variable: String,
    /// Number of missing cells.
    pub n_missing: usize,
    /// Number of panel rows.
    pub n_rows: usize,
    /// The missing (country, year) cells.
    pub cells: Vec<(String, i32)>,
}

/// Something dropped, filled or clipped, and why (cases inside the sample only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// The variable concerned (None for sample-wide notes).
    pub variable: Option<String>,
    /// What happened.
    pub message: String,
    /// The sample country-years concerned (may be empty for sample-wide notes).
    pub cases: Vec<(String, i32)>,
}

/// The panel with its missing-data summary, descriptives and notes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assembled {
    /// The estimation panel.
    pub panel: Panel,
    /// Missing cells per variable.
    pub missing: Vec<MissingSummary>,
    /// Descriptives per variable (non-missing cells).
    pub descriptives: Vec<Descriptives>,
    /// Dropped, filled and clipped values, code-system drops and excluded years.
    pub notes: Vec<Note>,
}

/// Builds the estimation panel (see the module documentation for the rules).
pub fn assemble(
    inputs: &PanelInputs,
    variables: &[VariableDef],
    sample: &Sample,
) -> Result<Assembled, PanelError> {
    let years = sample_years(sample)?;
    let mut notes = Vec::new();
    if !sample.exclude_years.is_empty() {
        notes.push(Note {
            variable: None,
            message: format!(
                "years excluded from the sample: {}",
                sample
                    .exclude_years
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            cases: Vec::new(),
        });
    }
    let working = working_system(inputs, sample)?;
    let (series, bilateral) = harmonise_inputs(inputs, sample.codes, working, &mut notes)?;
    let sample_codes = sample_working_codes(sample, working)?;
    let in_sample_countries: HashMap<&str, &str> = sample_codes
        .iter()
        .zip(&sample.countries)
        .map(|(w, s)| (w.as_str(), s.as_str()))
        .collect();
    let year_set: BTreeSet<i32> = years.iter().copied().collect();
    let in_sample = |c: &str, y: i32| in_sample_countries.contains_key(c) && year_set.contains(&y);

    let computed = compute_variables(variables, &series, &bilateral, &in_sample, &mut |v, n| {
        let cases: Vec<(String, i32)> = n
            .cases
            .into_iter()
            .filter(|(c, y)| in_sample(c, *y))
            .map(|(c, y)| {
                (
                    in_sample_countries
                        .get(c.as_str())
                        .map_or(c.clone(), |s| s.to_string()),
                    y,
                )
            })
            .collect();
        if !cases.is_empty() {
            notes.push(Note {
                variable: Some(v.to_string()),
                message: n.message,
                cases,
            });
        }
    })?;

    let mut panel = Panel {
        country: Vec::new(),
        year: Vec::new(),
        columns: Vec::new(),
    };
    for country in &sample.countries {
        for &year in &years {
            panel.country.push(country.clone());
            panel.year.push(year);
        }
    }
    for (def, values) in variables.iter().zip(&computed) {
        let column: Vec<Option<f64>> = sample_codes
            .iter()
            .flat_map(|c| years.iter().map(move |&y| values.get(c, y)))
            .collect();
        if column.iter().all(Option::is_none) {
            return Err(PanelError::NoData {
                variable: def.name.clone(),
                from: def.from.clone(),
                detail: coverage(values),
            });
        }
        panel.columns.push(PanelColumn {
            name: def.name.clone(),
            label: def.label.clone(),
            values: column,
        });
    }
    let missing = panel
        .columns
        .iter()
        .map(|col| {
            let cells: Vec<(String, i32)> = col
                .values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_none())
                .filter_map(|(r, _)| Some((panel.country.get(r)?.clone(), *panel.year.get(r)?)))
                .collect();
            MissingSummary {
                variable: col.name.clone(),
                n_missing: cells.len(),
                n_rows: col.values.len(),
                cells,
            }
        })
        .collect();
    let descriptives = panel
        .columns
        .iter()
        .map(|c| describe(&c.name, &c.values))
        .collect();
    Ok(Assembled {
        panel,
        missing,
        descriptives,
        notes,
    })
}

fn sample_years(sample: &Sample) -> Result<Vec<i32>, PanelError> {
    let bad = |message: String| Err(PanelError::BadSample { message });
    if sample.countries.is_empty() {
        return bad("no countries (fix: list at least one country)".into());
    }
    let mut seen = BTreeSet::new();
    for c in &sample.countries {
        if !seen.insert(c) {
            return bad(format!(
                "country `{c}` is listed twice (fix: remove the duplicate)"
            ));
        }
    }
    if sample.first_year > sample.last_year {
        return bad(format!(
            "years [{}, {}] are reversed (fix: write [first, last])",
            sample.first_year, sample.last_year
        ));
    }
    check_year("sample.years", sample.first_year)?;
    check_year("sample.years", sample.last_year)?;
    for y in &sample.exclude_years {
        if !(sample.first_year..=sample.last_year).contains(y) {
            return bad(format!(
                "excluded year {y} is outside [{}, {}] (fix: remove it from exclude_years)",
                sample.first_year, sample.last_year
            ));
        }
    }
    let years = sample.years();
    if years.is_empty() {
        return bad("every year is excluded".into());
    }
    Ok(years)
}

/// The code system variables are computed in (None = verbatim codes).
fn working_system(inputs: &PanelInputs, sample: &Sample) -> Result<Option<CodeSystem>, PanelError> {
    let declared = inputs
        .series
        .iter()
        .map(|(k, i)| (k, i.codes))
        .chain(inputs.bilateral.iter().map(|(k, i)| (k, i.codes)));
    let mut all_same = true;
    for (key, codes) in declared {
        match (codes, sample.codes) {
            (Some(system), None) => {
                return Err(PanelError::CodesUnknown {
                    series: key.clone(),
                    system,
                })
            }
            (Some(system), Some(s)) if system != s => all_same = false,
            _ => {}
        }
    }
    Ok(match sample.codes {
        None => None,
        Some(s) if all_same => Some(s),
        Some(_) => Some(CodeSystem::Iso3),
    })
}

type Harmonised = (BTreeMap<String, Series>, BTreeMap<String, Bilateral>);

fn harmonise_inputs(
    inputs: &PanelInputs,
    sample_codes: Option<CodeSystem>,
    working: Option<CodeSystem>,
    notes: &mut Vec<Note>,
) -> Result<Harmonised, PanelError> {
    let mut series = BTreeMap::new();
    for (key, input) in &inputs.series {
        let from = input.codes.or(sample_codes);
        let mut mapper = CodeMapper::new(key, from, working)?;
        let mut out = Series::new();
        for (c, y, v) in input.data.iter() {
            let Some(code) = mapper.map(c)? else { continue };
            if out.get(&code, y).is_some() {
                return Err(duplicate(key, &code, y));
            }
            out.insert(code, y, v);
        }
        mapper.note(notes);
        series.insert(key.clone(), out);
    }
    let mut bilateral = BTreeMap::new();
    for (key, input) in &inputs.bilateral {
        let from = input.codes.or(sample_codes);
        let mut mapper = CodeMapper::new(key, from, working)?;
        let mut rows = Vec::new();
        for (r, p, y, v) in input.data.iter() {
            let (Some(r), Some(p)) = (mapper.map(r)?, mapper.map(p)?) else {
                continue;
            };
            rows.push((r, p, y, v));
        }
        mapper.note(notes);
        let table = Bilateral::from_rows(rows).map_err(|(c, _, y)| duplicate(key, &c, y))?;
        bilateral.insert(key.clone(), table);
    }
    Ok((series, bilateral))
}

fn duplicate(series: &str, country: &str, year: i32) -> PanelError {
    PanelError::DuplicateObservation {
        series: series.to_string(),
        country: country.to_string(),
        year,
    }
}

/// Maps the codes of one input into the working system, remembering codes without an
/// equivalent (dropped, noted).
struct CodeMapper<'a> {
    key: &'a str,
    from: Option<CodeSystem>,
    to: Option<CodeSystem>,
    registry: Option<&'static countries::Registry>,
    cache: HashMap<String, Option<String>>,
    dropped: BTreeSet<String>,
}

impl<'a> CodeMapper<'a> {
    fn new(
        key: &'a str,
        from: Option<CodeSystem>,
        to: Option<CodeSystem>,
    ) -> Result<Self, PanelError> {
        let registry = match (from, to) {
            (Some(_), Some(_)) => {
                Some(countries::registry().map_err(|source| PanelError::Country {
                    series: key.to_string(),
                    source,
                })?)
            }
            _ => None,
        };
        Ok(CodeMapper {
            key,
            from,
            to,
            registry,
            cache: HashMap::new(),
            dropped: BTreeSet::new(),
        })
    }

    fn map(&mut self, code: &str) -> Result<Option<String>, PanelError> {
        let (Some(registry), Some(from), Some(to)) = (self.registry, self.from, self.to) else {
            return Ok(Some(code.to_string()));
        };
        if let Some(hit) = self.cache.get(code) {
            return Ok(hit.clone());
        }
        let mapped = match registry.map(code, from, to) {
            Ok(c) => Some(c),
            Err(CountryError::NoEquivalent { .. }) => {
                self.dropped.insert(code.to_string());
                None
            }
            // Tables written in ISO3 carry the rest of the world as `ROW`, which ISO3 lacks:
            // it is never a sample economy, so it is dropped like any economy without a code.
            Err(CountryError::Unknown { ref elsewhere, .. })
                if elsewhere
                    .iter()
                    .any(|(_, name)| name.eq_ignore_ascii_case("rest of the world")) =>
            {
                self.dropped.insert(code.to_string());
                None
            }
            Err(source) => {
                return Err(PanelError::Country {
                    series: self.key.to_string(),
                    source,
                })
            }
        };
        self.cache.insert(code.to_string(), mapped.clone());
        Ok(mapped)
    }

    fn note(&self, notes: &mut Vec<Note>) {
        if let (false, Some(from), Some(to)) = (self.dropped.is_empty(), self.from, self.to) {
            notes.push(Note {
                variable: None,
                message: format!(
                    "input `{}`: {} economies without a {to} code dropped when mapping {from} codes: {}",
                    self.key,
                    self.dropped.len(),
                    self.dropped.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
                cases: Vec::new(),
            });
        }
    }
}

fn sample_working_codes(
    sample: &Sample,
    working: Option<CodeSystem>,
) -> Result<Vec<String>, PanelError> {
    let (Some(from), Some(to)) = (sample.codes, working) else {
        return Ok(sample.countries.clone());
    };
    let mut codes = Vec::new();
    let mut seen = BTreeSet::new();
    for c in &sample.countries {
        let code = countries::map(c, from, to).map_err(|source| PanelError::SampleCountry {
            country: c.clone(),
            source,
        })?;
        if !seen.insert(code.clone()) {
            return Err(PanelError::BadSample {
                message: format!(
                    "country `{c}` is the same economy as another sample country ({code})"
                ),
            });
        }
        codes.push(code);
    }
    Ok(codes)
}

/// What a variable refers to by name.
#[derive(Clone, Copy)]
enum Ref<'a> {
    Variable(usize),
    Input(&'a str),
}

struct Resolver<'a> {
    variables: HashMap<&'a str, usize>,
    series: &'a BTreeMap<String, Series>,
}

impl<'a> Resolver<'a> {
    /// `name` is another variable (not `me`) if one is called so, else an input series.
    fn resolve(&self, name: &'a str, me: usize) -> Option<Ref<'a>> {
        match self.variables.get(name) {
            Some(&i) if i != me => Some(Ref::Variable(i)),
            _ => self.series.contains_key(name).then_some(Ref::Input(name)),
        }
    }

    fn nearest(&self, name: &str) -> Vec<String> {
        let candidates = self
            .variables
            .keys()
            .copied()
            .chain(self.series.keys().map(String::as_str));
        let mut near = nearest_codes(name, candidates);
        if near.is_empty() {
            // Long keys (`wdi.NY.GDP...`): allow more edits.
            near = crate::sources::wdi::nearest_indicators(
                name,
                self.series.keys().map(String::as_str),
            );
        }
        near
    }
}

fn compute_variables(
    variables: &[VariableDef],
    series: &BTreeMap<String, Series>,
    bilateral: &BTreeMap<String, Bilateral>,
    in_sample: &dyn Fn(&str, i32) -> bool,
    on_note: &mut dyn FnMut(&str, TransformNote),
) -> Result<Vec<Series>, PanelError> {
    let mut names = HashMap::new();
    for (i, v) in variables.iter().enumerate() {
        if names.insert(v.name.as_str(), i).is_some() {
            return Err(PanelError::DuplicateVariable {
                variable: v.name.clone(),
            });
        }
    }
    let resolver = Resolver {
        variables: names,
        series,
    };
    let deps = dependencies(variables, &resolver, bilateral)?;
    let order = topological_order(variables, &deps)?;
    let mut computed: Vec<Option<Series>> = vec![None; variables.len()];
    for i in order {
        let Some(def) = variables.get(i) else {
            continue;
        };
        let mut current = resolver
            .resolve(&def.from, i)
            .and_then(|r| lookup(r, &computed, series))
            .cloned()
            .unwrap_or_default();
        for t in &def.transforms {
            let operand = t
                .operands()
                .first()
                .and_then(|name| resolver.resolve(name, i))
                .and_then(|r| lookup(r, &computed, series));
            let applied = apply(def, t, &current, operand, bilateral, in_sample)?;
            for n in applied.notes {
                on_note(&def.name, n);
            }
            current = applied.series;
        }
        if let Some(slot) = computed.get_mut(i) {
            *slot = Some(current);
        }
    }
    Ok(computed
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}

/// For each variable, the variables it needs first; unknown names are errors.
fn dependencies(
    variables: &[VariableDef],
    resolver: &Resolver,
    bilateral: &BTreeMap<String, Bilateral>,
) -> Result<Vec<Vec<usize>>, PanelError> {
    let mut deps = Vec::with_capacity(variables.len());
    for (i, def) in variables.iter().enumerate() {
        let mut mine = Vec::new();
        match resolver.resolve(&def.from, i) {
            Some(Ref::Variable(j)) => mine.push(j),
            Some(Ref::Input(_)) => {}
            None => {
                return Err(PanelError::UnknownSource {
                    variable: def.name.clone(),
                    from: def.from.clone(),
                    nearest: resolver.nearest(&def.from),
                })
            }
        }
        for t in &def.transforms {
            t.validate()
                .map_err(|message| PanelError::InvalidTransform {
                    variable: def.name.clone(),
                    transform: t.to_string(),
                    message,
                })?;
            for operand in t.operands() {
                match resolver.resolve(operand, i) {
                    Some(Ref::Variable(j)) => mine.push(j),
                    Some(Ref::Input(_)) => {}
                    None => {
                        return Err(PanelError::UnknownOperand {
                            variable: def.name.clone(),
                            transform: t.to_string(),
                            operand: operand.to_string(),
                            nearest: resolver.nearest(operand),
                        })
                    }
                }
            }
            if let Transform::LpSpillover(s) = t {
                if !bilateral.contains_key(&s.ofdi) {
                    return Err(PanelError::UnknownBilateral {
                        variable: def.name.clone(),
                        ofdi: s.ofdi.clone(),
                        nearest: nearest_codes(&s.ofdi, bilateral.keys().map(String::as_str)),
                    });
                }
            }
        }
        deps.push(mine);
    }
    Ok(deps)
}

/// Definition order, with every variable after the ones it depends on; a cycle is an error
/// naming its members.
fn topological_order(
    variables: &[VariableDef],
    deps: &[Vec<usize>],
) -> Result<Vec<usize>, PanelError> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Active,
        Done,
    }
    fn visit(
        i: usize,
        deps: &[Vec<usize>],
        state: &mut [State],
        stack: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<(), Vec<usize>> {
        match state.get(i).copied() {
            Some(State::Done) | None => return Ok(()),
            Some(State::Active) => {
                let start = stack.iter().position(|&s| s == i).unwrap_or(0);
                let mut cycle: Vec<usize> = stack.get(start..).unwrap_or_default().to_vec();
                cycle.push(i);
                return Err(cycle);
            }
            Some(State::New) => {}
        }
        if let Some(s) = state.get_mut(i) {
            *s = State::Active;
        }
        stack.push(i);
        for &j in deps.get(i).map(Vec::as_slice).unwrap_or_default() {
            visit(j, deps, state, stack, order)?;
        }
        stack.pop();
        if let Some(s) = state.get_mut(i) {
            *s = State::Done;
        }
        order.push(i);
        Ok(())
    }
    let mut state = vec![State::New; variables.len()];
    let mut order = Vec::with_capacity(variables.len());
    for i in 0..variables.len() {
        let mut stack = Vec::new();
        visit(i, deps, &mut state, &mut stack, &mut order).map_err(|cycle| PanelError::Cycle {
            variables: cycle
                .into_iter()
                .filter_map(|j| variables.get(j).map(|v| v.name.clone()))
                .collect(),
        })?;
    }
    Ok(order)
}

/// The series a resolved name stands for (a computed variable or an input).
fn lookup<'s>(
    r: Ref,
    computed: &'s [Option<Series>],
    series: &'s BTreeMap<String, Series>,
) -> Option<&'s Series> {
    match r {
        Ref::Variable(j) => computed.get(j)?.as_ref(),
        Ref::Input(k) => series.get(k),
    }
}

/// Applies one transform; `operand` is the series of its operand (ratio, interaction,
/// spillover capital), already resolved.
fn apply(
    def: &VariableDef,
    t: &Transform,
    current: &Series,
    operand: Option<&Series>,
    bilateral: &BTreeMap<String, Bilateral>,
    in_sample: &dyn Fn(&str, i32) -> bool,
) -> Result<transforms::Applied, PanelError> {
    let plain = |series: Series| transforms::Applied {
        series,
        notes: Vec::new(),
    };
    let failed = |message: String| PanelError::TransformFailed {
        variable: def.name.clone(),
        transform: t.to_string(),
        message,
    };
    let unknown = |name: &str| PanelError::UnknownOperand {
        variable: def.name.clone(),
        transform: t.to_string(),
        operand: name.to_string(),
        nearest: Vec::new(),
    };
    Ok(match t {
        Transform::Log => transforms::log(current),
        Transform::Log1p => transforms::log1p(current),
        Transform::Diff => plain(transforms::diff(current)),
        Transform::Growth => transforms::growth(current),
        Transform::Lag(k) => plain(transforms::shift(current, shift_years(*k))),
        Transform::Lead(k) => plain(transforms::shift(current, -shift_years(*k))),
        Transform::Scale(c) => plain(transforms::scale(current, *c)),
        Transform::Ratio(name) => transforms::ratio(current, operand.ok_or_else(|| unknown(name))?),
        Transform::Interaction(name) => plain(transforms::interaction(
            current,
            operand.ok_or_else(|| unknown(name))?,
        )),
        Transform::Standardize => {
            plain(transforms::standardize(current, in_sample).map_err(failed)?)
        }
        Transform::Winsorize(w) => transforms::winsorize(current, *w, in_sample).map_err(failed)?,
        Transform::PimStock(p) => transforms::pim_stock(current, *p),
        Transform::LpSpillover(s) => {
            let ofdi = bilateral.get(&s.ofdi).ok_or_else(|| unknown(&s.ofdi))?;
            let capital = operand.ok_or_else(|| unknown(&s.capital))?;
            transforms::lp_spillover(current, ofdi, capital, s.missing_host)
        }
    })
}

/// A shift of k years as i32 (k beyond any calendar is clamped; years are 1000–9999).
fn shift_years(k: u32) -> i32 {
    i32::try_from(k).unwrap_or(i32::MAX).min(100_000)
}

/// "N values for M countries, years a–b" (or "no values at all").
fn coverage(series: &Series) -> String {
    if series.is_empty() {
        return "the series has no values at all (after transforms)".into();
    }
    let years: BTreeSet<i32> = series.iter().map(|(_, y, _)| y).collect();
    let countries: Vec<&str> = series.countries().map(|(c, _)| c).collect();
    let shown: Vec<&str> = countries.iter().take(8).copied().collect();
    format!(
        "the series has {} values for {} countries ({}{}), years {}–{}, none at a sample country-year",
        series.len(),
        countries.len(),
        shown.join(", "),
        if countries.len() > shown.len() { ", ..." } else { "" },
        years.first().copied().unwrap_or_default(),
        years.last().copied().unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(countries: &[&str], codes: Option<CodeSystem>, years: (i32, i32)) -> Sample {
        Sample {
            countries: countries.iter().map(|c| c.to_string()).collect(),
            codes,
            first_year: years.0,
            last_year: years.1,
            exclude_years: Vec::new(),
        }
    }

    #[test]
    fn lag_uses_presample_year_and_skeleton_is_balanced() {
        let mut inputs = PanelInputs::new();
        inputs
            .add_series(
                "x",
                None,
                [("A", 2006, 1.0), ("A", 2007, 2.0), ("B", 2008, 5.0)],
            )
            .unwrap();
        let vars = vec![
            VariableDef::plain("x", "x"),
            VariableDef::plain("lx", "x").with(vec![Transform::Lag(1)]),
        ];
        let out = assemble(&inputs, &vars, &sample(&["A", "B"], None, (2007, 2008))).unwrap();
        assert_eq!(out.panel.n_rows(), 4);
        assert_eq!(out.panel.value("lx", "A", 2007), Some(1.0)); // 2006 is outside the sample
        assert_eq!(out.panel.value("lx", "A", 2008), Some(2.0));
        assert_eq!(out.panel.value("x", "B", 2007), None);
        assert_eq!(
            out.missing[0].cells,
            vec![("A".to_string(), 2008), ("B".to_string(), 2007)]
        );
    }

    #[test]
    fn codes_are_harmonised_through_iso3() {
        let mut inputs = PanelInputs::new();
        inputs
            .add_indicators(
                "decomposition",
                Some(CodeSystem::Adb),
                [
                    ("PRC", 2010, "gvcp".to_string(), 0.5),
                    ("ROW", 2010, "gvcp".to_string(), 0.1),
                ],
            )
            .unwrap();
        inputs
            .add_series(
                "wdi.T",
                Some(CodeSystem::Iso3),
                [("CHN", 2010, 3.0), ("AFG", 2010, 9.0)],
            )
            .unwrap();
        let vars = vec![
            VariableDef::plain("gvcp", "decomposition.gvcp"),
            VariableDef::plain("t", "wdi.T"),
        ];
        let out = assemble(
            &inputs,
            &vars,
            &sample(&["PRC"], Some(CodeSystem::Adb), (2010, 2010)),
        )
        .unwrap();
        assert_eq!(out.panel.value("gvcp", "PRC", 2010), Some(0.5));
        assert_eq!(out.panel.value("t", "PRC", 2010), Some(3.0));
        assert!(
            out.notes.iter().any(|n| n.message.contains("ROW")),
            "{:?}",
            out.notes
        );
    }

    #[test]
    fn errors_name_the_variable() {
        let mut inputs = PanelInputs::new();
        inputs
            .add_series("wdi.X", None, [("A", 1990, 1.0)])
            .unwrap();
        let s = sample(&["A"], None, (2000, 2001));
        let err = assemble(&inputs, &[VariableDef::plain("x", "wdi.X")], &s).unwrap_err();
        assert!(
            matches!(&err, PanelError::NoData { variable, .. } if variable == "x"),
            "{err}"
        );
        assert!(err.to_string().contains("1990"), "{err}");
        let err = assemble(&inputs, &[VariableDef::plain("x", "wdi.Y")], &s).unwrap_err();
        assert!(err.to_string().contains("did you mean wdi.X"), "{err}");
        let cyc = vec![VariableDef::plain("a", "b"), VariableDef::plain("b", "a")];
        let err = assemble(&inputs, &cyc, &s).unwrap_err();
        assert!(matches!(err, PanelError::Cycle { .. }), "{err}");
        let bad = vec![VariableDef::plain("x", "wdi.X").with(vec![Transform::Lag(0)])];
        let err = assemble(&inputs, &bad, &s).unwrap_err();
        assert!(matches!(err, PanelError::InvalidTransform { .. }), "{err}");
    }
}
