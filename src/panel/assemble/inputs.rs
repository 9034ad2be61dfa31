//! What assembly starts from: the variable definitions, the sample, and the input series and
//! bilateral tables keyed by the names variables use in `from`, each with its code system.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::panel::series::{Bilateral, Series};
use crate::panel::transforms::{one_or_many, Transform};
use crate::panel::unit::PanelUnit;
use crate::panel::PanelError;
use crate::sources::countries::CodeSystem;

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
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
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
    /// What a row is besides its year (`country` unless `[panel] unit` says otherwise).
    #[serde(default, skip_serializing_if = "PanelUnit::is_country_ref")]
    pub unit: PanelUnit,
    /// Sector codes of a sector panel, in row order (None: every sector of the tables, in
    /// table order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sectors: Option<Vec<String>>,
    /// Importers of a bilateral panel, in the sample's codes and row order (None: the
    /// sample's countries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partners: Option<Vec<String>>,
}

impl Sample {
    /// The sample years: first..=last without the excluded ones.
    pub fn years(&self) -> Vec<i32> {
        (self.first_year..=self.last_year)
            .filter(|y| !self.exclude_years.contains(y))
            .collect()
    }
}

/// One input with the code system of its country cells (None = the sample's codes).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Input<T> {
    pub(super) codes: Option<CodeSystem>,
    pub(super) data: T,
}

/// The series the panel can draw on, keyed by the strings variables use in `from`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PanelInputs {
    pub(super) series: BTreeMap<String, Input<Series>>,
    pub(super) bilateral: BTreeMap<String, Input<Bilateral>>,
    /// Series at a panel unit other than `country`, keyed by composite unit keys
    /// ([`PanelUnit::key`]) whose country parts are in the input's codes.
    pub(super) unit_series: BTreeMap<String, Input<Series>>,
    /// Sector codes of the unit series in order of first appearance (table order).
    pub(super) unit_sectors: Vec<String>,
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
        let data = Series::from_triples(checked)
            .map_err(|(country, year)| duplicate(key, &country, year))?;
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

    /// Adds the long indicator rows of the decomposition at a panel unit, (exporter,
    /// importer, sector, year, measure, value), as one unit series per measure under
    /// `<prefix>.<measure>`. Rows whose detail does not match `unit` are left out; a repeated
    /// (unit, year) is an error.
    pub fn add_unit_indicators(
        &mut self,
        prefix: &str,
        codes: Option<CodeSystem>,
        unit: PanelUnit,
        rows: impl IntoIterator<Item = UnitObservation>,
    ) -> Result<(), PanelError> {
        let mut by_measure: BTreeMap<String, Vec<(String, i32, f64)>> = BTreeMap::new();
        let mut seen_sectors: std::collections::HashSet<String> =
            self.unit_sectors.iter().cloned().collect();
        for r in rows {
            if r.importer.is_some() != unit.has_importer()
                || r.sector.is_some() != unit.has_sector()
            {
                continue;
            }
            let mut parts: Vec<&str> = vec![r.exporter.as_str()];
            if let Some(i) = &r.importer {
                parts.push(i);
            }
            if let Some(s) = &r.sector {
                if seen_sectors.insert(s.clone()) {
                    self.unit_sectors.push(s.clone());
                }
                parts.push(s);
            }
            let key = PanelUnit::key(&parts);
            by_measure
                .entry(r.measure)
                .or_default()
                .push((key, r.year, r.value));
        }
        // Rows arrive one year (one decomposition) at a time: each call adds to the series.
        for (measure, triples) in by_measure {
            let key = format!("{prefix}.{measure}");
            let input = self.unit_series.entry(key.clone()).or_insert(Input {
                codes,
                data: Series::new(),
            });
            for (unit_key, year, value) in triples {
                check_year(&key, year)?;
                if input.data.get(&unit_key, year).is_some() {
                    return Err(duplicate(&key, &unit_key, year));
                }
                input.data.insert(unit_key, year, value);
            }
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
        let data = Bilateral::from_rows(checked)
            .map_err(|(country, _, year)| duplicate(key, &country, year))?;
        self.bilateral
            .insert(key.to_string(), Input { codes, data });
        Ok(())
    }

    /// Keys of the country-year series and of the unit series.
    pub fn series_keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.series
            .keys()
            .chain(self.unit_series.keys())
            .map(String::as_str)
    }

    /// Keys of the bilateral tables.
    pub fn bilateral_keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.bilateral.keys().map(String::as_str)
    }
}

/// One decomposition value at a panel unit: the exporter, the importer (bilateral units),
/// the sector (sector units), the year, the measure (`kpww.E`) and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitObservation {
    pub exporter: String,
    pub importer: Option<String>,
    pub sector: Option<String>,
    pub year: i32,
    pub measure: String,
    pub value: f64,
}

/// A year of an input must be a four-digit year.
pub(super) fn check_year(series: &str, year: i32) -> Result<(), PanelError> {
    if crate::sources::table::PLAUSIBLE_YEARS.contains(&year) {
        Ok(())
    } else {
        Err(PanelError::ImplausibleYear {
            series: series.to_string(),
            year,
        })
    }
}

/// A (country, year) that `series` has twice.
pub(super) fn duplicate(series: &str, country: &str, year: i32) -> PanelError {
    PanelError::DuplicateObservation {
        series: series.to_string(),
        country: country.to_string(),
        year,
    }
}
