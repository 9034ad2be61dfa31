//! Panels whose unit is not the country ([`crate::panel::unit`]): the skeleton of units
//! (sample exporters × sectors, × partners) and the country covariates merged onto it — by
//! the exporter under their own key, and on bilateral units once more by the importer under
//! `importer.<key>` — with bilateral tables read by (exporter, importer).
//!
//! A country covariate is copied onto every unit of its country before transforms run, so a
//! lag or growth rate of a covariate on a unit panel is the country's own, and pooled
//! statistics (`standardize`, `winsorize`) are taken over the unit-years of the sample, as a
//! regression on that panel sees them.

use std::collections::{BTreeMap, HashMap};

use super::codes::working_codes;
use super::inputs::{PanelInputs, Sample};
use crate::panel::series::{Bilateral, Series};
use crate::panel::unit::{Dim, PanelUnit};
use crate::panel::PanelError;
use crate::sources::countries::CodeSystem;

/// The prefix of the importer's copy of a country covariate on a bilateral panel.
pub const IMPORTER_PREFIX: &str = "importer.";

/// The rows of a panel besides the year: each unit's key in the working codes, its label in
/// the sample's codes, and the value of each dimension (sample codes).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Skeleton {
    pub(super) keys: Vec<String>,
    pub(super) labels: Vec<String>,
    pub(super) dims: Vec<(Dim, Vec<String>)>,
}

/// The units of the panel in row order: exporters in sample order, then importers (partners
/// in their order, the exporter itself left out), then sectors (the sample's, else the
/// tables' order).
pub(super) fn skeleton(
    inputs: &PanelInputs,
    sample: &Sample,
    sample_codes: &[String],
    working: Option<CodeSystem>,
) -> Result<Skeleton, PanelError> {
    let unit = sample.unit;
    if unit.is_country() {
        return Ok(Skeleton {
            keys: sample_codes.to_vec(),
            labels: sample.countries.clone(),
            dims: Vec::new(),
        });
    }
    let exporters: Vec<(&str, &str)> = sample_codes
        .iter()
        .map(String::as_str)
        .zip(sample.countries.iter().map(String::as_str))
        .collect();
    let partner_labels = sample.partners.as_ref().unwrap_or(&sample.countries);
    if partner_labels.is_empty() && unit.has_importer() {
        return Err(PanelError::BadSample {
            message: "`panel.partners` lists no country (fix: list importers, or leave it out for the sample's countries)".into(),
        });
    }
    let partner_codes = working_codes(partner_labels, sample.codes, working)?;
    let partners: Vec<(&str, &str)> = partner_codes
        .iter()
        .map(String::as_str)
        .zip(partner_labels.iter().map(String::as_str))
        .collect();
    let sectors: Vec<String> = match &sample.sectors {
        Some(list) => {
            if !inputs.unit_sectors.is_empty() {
                for s in list {
                    if !inputs.unit_sectors.contains(s) {
                        return Err(PanelError::UnknownSector {
                            place: "the panel's `sectors`".to_string(),
                            sector: s.clone(),
                            nearest: crate::sources::countries::nearest_codes(
                                s,
                                inputs.unit_sectors.iter().map(String::as_str),
                            ),
                            known: inputs.unit_sectors.len(),
                        });
                    }
                }
            }
            list.clone()
        }
        None => inputs.unit_sectors.clone(),
    };
    if unit.has_sector() && sectors.is_empty() {
        return Err(PanelError::BadSample {
            message: format!(
                "a `{unit}` panel needs sectors, but no decomposition measure has sector rows and `panel.sectors` is not set (fix: read a sector-level measure, e.g. `decomposition.kpww.E`, or list `panel.sectors`)"
            ),
        });
    }
    let mut out = Skeleton {
        keys: Vec::new(),
        labels: Vec::new(),
        dims: unit.info().dims.iter().map(|d| (*d, Vec::new())).collect(),
    };
    let importer_slots: Vec<Option<(&str, &str)>> = if unit.has_importer() {
        partners.iter().copied().map(Some).collect()
    } else {
        vec![None]
    };
    let sector_slots: Vec<Option<&str>> = if unit.has_sector() {
        sectors.iter().map(|s| Some(s.as_str())).collect()
    } else {
        vec![None]
    };
    for &(ew, el) in &exporters {
        for imp in &importer_slots {
            if imp.is_some_and(|(iw, _)| iw == ew) {
                continue;
            }
            for sec in &sector_slots {
                let mut key = vec![ew];
                let mut label = vec![el];
                let mut values = vec![el];
                if let Some((iw, il)) = imp {
                    key.push(iw);
                    label.push(il);
                    values.push(il);
                }
                if let Some(s) = sec {
                    key.push(s);
                    label.push(s);
                    values.push(s);
                }
                out.keys.push(PanelUnit::key(&key));
                out.labels.push(PanelUnit::key(&label));
                for ((_, column), v) in out.dims.iter_mut().zip(values) {
                    column.push(v.to_string());
                }
            }
        }
    }
    Ok(out)
}

/// The series variables read on a unit panel: the unit series as they are, every country
/// series copied onto the skeleton's units by exporter (same key) and, with an importer, by
/// importer (`importer.<key>`), and every bilateral table read by (exporter, importer) on
/// bilateral units. Units outside the skeleton get no copies.
pub(super) fn unit_inputs(
    unit: PanelUnit,
    skeleton: &Skeleton,
    country_series: BTreeMap<String, Series>,
    bilateral: &BTreeMap<String, Bilateral>,
    unit_series: BTreeMap<String, Series>,
) -> BTreeMap<String, Series> {
    let mut out = unit_series;
    let parts: Vec<Vec<&str>> = skeleton.keys.iter().map(|k| unit.split(k)).collect();
    for (key, series) in &country_series {
        let mut by_exporter = Series::new();
        let mut by_importer = Series::new();
        for (unit_key, p) in skeleton.keys.iter().zip(&parts) {
            if let Some(years) = p.first().and_then(|e| series.country(e)) {
                for (y, v) in years {
                    by_exporter.insert(unit_key.clone(), *y, *v);
                }
            }
            if unit.has_importer() {
                if let Some(years) = p.get(1).and_then(|i| series.country(i)) {
                    for (y, v) in years {
                        by_importer.insert(unit_key.clone(), *y, *v);
                    }
                }
            }
        }
        out.entry(key.clone()).or_insert(by_exporter);
        if unit.has_importer() {
            out.entry(format!("{IMPORTER_PREFIX}{key}"))
                .or_insert(by_importer);
        }
    }
    if unit.has_importer() {
        for (key, table) in bilateral {
            let mut cells: HashMap<(&str, &str), Vec<(i32, f64)>> = HashMap::new();
            for (r, p, y, v) in table.iter() {
                cells.entry((r, p)).or_default().push((y, v));
            }
            let mut s = Series::new();
            for (unit_key, p) in skeleton.keys.iter().zip(&parts) {
                if let (Some(e), Some(i)) = (p.first(), p.get(1)) {
                    for (y, v) in cells.get(&(*e, *i)).into_iter().flatten() {
                        s.insert(unit_key.clone(), *y, *v);
                    }
                }
            }
            out.entry(key.clone()).or_insert(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::inputs::UnitObservation;
    use super::*;

    fn obs(e: &str, i: Option<&str>, s: Option<&str>, y: i32, m: &str, v: f64) -> UnitObservation {
        UnitObservation {
            exporter: e.into(),
            importer: i.map(str::to_string),
            sector: s.map(str::to_string),
            year: y,
            measure: m.into(),
            value: v,
        }
    }

    #[test]
    fn bilateral_skeleton_leaves_out_the_exporter_and_merges_importer_covariates() {
        let mut inputs = PanelInputs::new();
        inputs
            .add_unit_indicators(
                "decomposition",
                None,
                PanelUnit::Bilateral,
                [
                    obs("A", Some("B"), None, 2000, "bm.DVA", 1.0),
                    obs("B", Some("A"), None, 2000, "bm.DVA", 2.0),
                    obs("A", None, None, 2000, "bm.DVA", 3.0),
                ],
            )
            .unwrap();
        let sample = Sample {
            countries: vec!["A".into(), "B".into()],
            codes: None,
            first_year: 2000,
            last_year: 2000,
            exclude_years: Vec::new(),
            unit: PanelUnit::Bilateral,
            sectors: None,
            partners: None,
        };
        let sk = skeleton(&inputs, &sample, &sample.countries, None).unwrap();
        assert_eq!(sk.keys, ["A/B", "B/A"]);
        assert_eq!(sk.dims[1], (Dim::Importer, vec!["B".into(), "A".into()]));
        let mut gdp = BTreeMap::new();
        gdp.insert(
            "cov.gdp".to_string(),
            Series::from_triples([("A", 2000, 10.0), ("B", 2000, 20.0)]).unwrap(),
        );
        let units = unit_inputs(
            PanelUnit::Bilateral,
            &sk,
            gdp,
            &BTreeMap::new(),
            BTreeMap::new(),
        );
        assert_eq!(units["cov.gdp"].get("A/B", 2000), Some(10.0));
        assert_eq!(units["importer.cov.gdp"].get("A/B", 2000), Some(20.0));
        assert_eq!(units["importer.cov.gdp"].get("B/A", 2000), Some(10.0));
    }

    #[test]
    fn sectors_keep_table_order_and_unknown_sectors_are_named() {
        let mut inputs = PanelInputs::new();
        inputs
            .add_unit_indicators(
                "decomposition",
                None,
                PanelUnit::CountrySector,
                [
                    obs("A", None, Some("c2"), 2000, "kpww.E", 1.0),
                    obs("A", None, Some("c10"), 2000, "kpww.E", 1.0),
                    obs("A", None, Some("c1"), 2000, "kpww.E", 1.0),
                ],
            )
            .unwrap();
        let mut sample = Sample {
            countries: vec!["A".into()],
            codes: None,
            first_year: 2000,
            last_year: 2000,
            exclude_years: Vec::new(),
            unit: PanelUnit::CountrySector,
            sectors: None,
            partners: None,
        };
        let sk = skeleton(&inputs, &sample, &sample.countries, None).unwrap();
        assert_eq!(sk.keys, ["A/c2", "A/c10", "A/c1"]);
        sample.sectors = Some(vec!["c3".into()]);
        let err = skeleton(&inputs, &sample, &sample.countries, None).unwrap_err();
        assert!(
            err.to_string()
                .contains("the panel's `sectors`: sector `c3`"),
            "{err}"
        );
    }
}
