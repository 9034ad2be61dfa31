//! Step 1, codes: the working code system of the panel (the sample's, or ISO3 when inputs
//! differ), every input's codes mapped into it (economies without a code dropped with a note),
//! and the sample countries in the working system.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::inputs::{duplicate, PanelInputs, Sample};
use super::output::Note;
use crate::panel::series::{Bilateral, Series};
use crate::panel::PanelError;
use crate::sources::countries::{self, CodeSystem, CountryError};

/// The code system variables are computed in (None = verbatim codes).
pub(super) fn working_system(
    inputs: &PanelInputs,
    sample: &Sample,
) -> Result<Option<CodeSystem>, PanelError> {
    let declared = inputs
        .series
        .iter()
        .map(|(k, i)| (k, i.codes))
        .chain(inputs.bilateral.iter().map(|(k, i)| (k, i.codes)))
        .chain(inputs.unit_series.iter().map(|(k, i)| (k, i.codes)));
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

/// The input series and bilateral tables with their codes in the working system.
type Harmonised = (BTreeMap<String, Series>, BTreeMap<String, Bilateral>);

/// Every input with its codes mapped into `working` (economies without a code dropped and
/// noted); a (country, year) that two codes map to is a duplicate.
pub(super) fn harmonise_inputs(
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

/// The unit series with the country parts of their keys (exporter, importer) mapped into
/// `working`; units with a country without a code (the rest of the world) are dropped and
/// noted.
pub(super) fn harmonise_unit_inputs(
    inputs: &PanelInputs,
    sample: &Sample,
    working: Option<CodeSystem>,
    notes: &mut Vec<Note>,
) -> Result<BTreeMap<String, Series>, PanelError> {
    let dims = sample.unit.info().dims;
    let mut out = BTreeMap::new();
    for (key, input) in &inputs.unit_series {
        let from = input.codes.or(sample.codes);
        let mut mapper = CodeMapper::new(key, from, working)?;
        let mut mapped = Series::new();
        let mut units: HashMap<&str, Option<String>> = HashMap::new();
        for (unit_key, y, v) in input.data.iter() {
            let target = match units.get(unit_key) {
                Some(t) => t.clone(),
                None => {
                    let mut parts = Vec::with_capacity(dims.len());
                    let mut ok = true;
                    for (part, dim) in sample.unit.split(unit_key).into_iter().zip(dims) {
                        if dim.is_country() {
                            match mapper.map(part)? {
                                Some(code) => parts.push(code),
                                None => ok = false,
                            }
                        } else {
                            parts.push(part.to_string());
                        }
                    }
                    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
                    let t = ok.then(|| crate::panel::PanelUnit::key(&refs));
                    units.insert(unit_key, t.clone());
                    t
                }
            };
            let Some(target) = target else { continue };
            if mapped.get(&target, y).is_some() {
                return Err(duplicate(key, &target, y));
            }
            mapped.insert(target, y, v);
        }
        mapper.note(notes);
        out.insert(key.clone(), mapped);
    }
    Ok(out)
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

/// The sample countries in the working system; two that are one economy are an error.
pub(super) fn sample_working_codes(
    sample: &Sample,
    working: Option<CodeSystem>,
) -> Result<Vec<String>, PanelError> {
    working_codes(&sample.countries, sample.codes, working)
}

/// `countries` (in `codes`) in the working system; two that are one economy are an error.
pub(super) fn working_codes(
    countries: &[String],
    codes: Option<CodeSystem>,
    working: Option<CodeSystem>,
) -> Result<Vec<String>, PanelError> {
    let (Some(from), Some(to)) = (codes, working) else {
        return Ok(countries.to_vec());
    };
    let mut codes = Vec::new();
    let mut seen = BTreeSet::new();
    for c in countries {
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
