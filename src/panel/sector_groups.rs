//! Groups of sectors as one panel row (`[panel] groups = ["manufacturing"]`): the sector rows
//! of the decomposition aggregated *after* it was computed (docs/measures.md, "Aggregating
//! sectors"). Every additive measure of a group is the sum over its member sectors; every
//! ratio is recomputed from those sums by its family's formula ([`FamilyInfo::regroup`]:
//! participation = (ΣIV + ΣFV)/ΣE, `GVC_ratio` = ΣGVC/ΣEXGR, …), never summed or averaged;
//! measures with no group version ([`FamilyInfo::ungroupable`]: the new RCA, upstreamness)
//! are left out. A group row's sector is the group's name.
//!
//! [`FamilyInfo::regroup`]: crate::decompose::FamilyInfo::regroup
//! [`FamilyInfo::ungroupable`]: crate::decompose::FamilyInfo::ungroupable

use std::collections::{BTreeMap, BTreeSet};

use super::{PanelError, UnitObservation};
use crate::decompose::Family;

/// When a panel's sector groups are formed (`[panel] aggregate`; docs/measures.md,
/// "Aggregating sectors"): after the decomposition (its rows summed, ratios recomputed) or
/// before it (the table's sectors merged, [`crate::iot::IoTable::merge_sectors`], and every
/// measure computed on the merged table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupAggregation {
    /// Sum the group's sector rows of the decomposition of the full table (the default).
    After,
    /// Merge the group's sectors in the table, then decompose the smaller table.
    Before,
}

impl crate::choice::Choice for GroupAggregation {
    const WHAT: &'static str = "sector aggregation";
    const ALL: &'static [Self] = &[GroupAggregation::After, GroupAggregation::Before];
    fn name(self) -> &'static str {
        match self {
            GroupAggregation::After => "after",
            GroupAggregation::Before => "before",
        }
    }
}
crate::choice_serde!(GroupAggregation);

/// A named group of sectors: its name (the group row's sector) and its member sector codes.
pub type SectorGroup = (String, Vec<String>);

/// The rows of `rows` that have a sector, aggregated to one row per group and (exporter,
/// importer, year, measure); rows without a sector pass through. A member sector that no row
/// has is an error naming it (with the nearest codes).
pub fn group_sectors(
    rows: Vec<UnitObservation>,
    groups: &[SectorGroup],
) -> Result<Vec<UnitObservation>, PanelError> {
    let known: BTreeSet<&str> = rows.iter().filter_map(|r| r.sector.as_deref()).collect();
    for (name, members) in groups {
        if let Some(missing) = members.iter().find(|m| !known.contains(m.as_str())) {
            return Err(PanelError::UnknownSector {
                place: format!("`[sectors] {name}` (a group of the panel's `groups`)"),
                sector: missing.clone(),
                nearest: crate::sources::countries::nearest_codes(missing, known.iter().copied()),
                known: known.len(),
            });
        }
    }
    type Cell = (String, Option<String>, i32);
    // (group, exporter, importer, year) → measure → sum over the members.
    let mut sums: BTreeMap<(usize, Cell), BTreeMap<String, f64>> = BTreeMap::new();
    let mut out = Vec::new();
    for r in rows {
        let Some(sector) = r.sector.as_deref() else {
            out.push(r);
            continue;
        };
        let Some(family) = family_of(&r.measure) else {
            continue;
        };
        let info = family.info();
        if info.ratios.contains(&r.measure.as_str())
            || info.ungroupable.contains(&r.measure.as_str())
        {
            continue;
        }
        for (g, (_, members)) in groups.iter().enumerate() {
            if members.iter().any(|m| m == sector) {
                let cell = (r.exporter.clone(), r.importer.clone(), r.year);
                *sums
                    .entry((g, cell))
                    .or_default()
                    .entry(r.measure.clone())
                    .or_insert(0.0) += r.value;
            }
        }
    }
    for ((g, (exporter, importer, year)), measures) in sums {
        let row = |measure: &str, value: f64| UnitObservation {
            exporter: exporter.clone(),
            importer: importer.clone(),
            sector: Some(groups[g].0.clone()),
            year,
            measure: measure.to_string(),
            value,
        };
        let families: BTreeSet<Family> = measures.keys().filter_map(|m| family_of(m)).collect();
        for (m, v) in &measures {
            out.push(row(m, *v));
        }
        let sum = |name: &str| measures.get(name).copied().unwrap_or(f64::NAN);
        for f in families {
            for (m, v) in (f.info().regroup)(&sum) {
                out.push(row(m, v));
            }
        }
    }
    Ok(out)
}

/// The family of a measure name (`kpww.E` → KPWW).
fn family_of(measure: &str) -> Option<Family> {
    Family::parse(measure.split('.').next()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(sector: &str, measure: &str, value: f64) -> UnitObservation {
        UnitObservation {
            exporter: "CHN".into(),
            importer: None,
            sector: Some(sector.into()),
            year: 2009,
            measure: measure.into(),
            value,
        }
    }

    fn value(rows: &[UnitObservation], measure: &str) -> f64 {
        rows.iter()
            .find(|r| r.measure == measure && r.sector.as_deref() == Some("mfg"))
            .map(|r| r.value)
            .unwrap_or_else(|| panic!("{measure}"))
    }

    #[test]
    fn sums_components_and_recomputes_ratios_from_the_sums() {
        let mut rows = Vec::new();
        for (s, e, iv, fv) in [
            ("c3", 10.0, 2.0, 1.0),
            ("c4", 30.0, 3.0, 9.0),
            ("c5", 5.0, 1.0, 1.0),
        ] {
            rows.push(obs(s, "kpww.E", e));
            rows.push(obs(s, "kpww.IV", iv));
            rows.push(obs(s, "kpww.FV", fv));
            rows.push(obs(s, "kpww.participation", (iv + fv) / e));
            rows.push(obs(s, "kpww.nrca", 1.5));
            rows.push(obs(s, "upstreamness.U", 2.0));
        }
        let groups = vec![("mfg".to_string(), vec!["c3".to_string(), "c4".to_string()])];
        let out = group_sectors(rows, &groups).unwrap();
        assert_eq!(value(&out, "kpww.E"), 40.0);
        assert_eq!(value(&out, "kpww.IV"), 5.0);
        // (ΣIV + ΣFV)/ΣE = 15/40, not the mean of 0.3 and 0.4.
        assert_eq!(value(&out, "kpww.participation"), 15.0 / 40.0);
        let pos = (1.0f64 + 5.0 / 40.0).ln() - (1.0f64 + 10.0 / 40.0).ln();
        assert!((value(&out, "kpww.position") - pos).abs() < 1e-15);
        assert!(out.iter().all(|r| r.measure != "kpww.nrca"));
        assert!(out.iter().all(|r| r.measure != "upstreamness.U"));
        assert!(out.iter().all(|r| r.sector.as_deref() == Some("mfg")));
    }

    #[test]
    fn an_unknown_member_is_named() {
        let rows = vec![obs("c3", "bm.EXGR", 1.0)];
        let groups = vec![("mfg".to_string(), vec!["c33".to_string()])];
        let err = group_sectors(rows, &groups).unwrap_err().to_string();
        assert!(
            err.contains("`[sectors] mfg` (a group of the panel's `groups`): sector `c33`"),
            "{err}"
        );
        assert!(err.contains("c3"), "{err}");
    }
}
