//! Checks of `[panel]` and `[sectors]`: sector and partner lists only where the unit has
//! those dimensions, sector sets that expand, the decomposition levels the unit fixes, every
//! decomposition measure a variable reads available at the unit, `importer.` covariates only
//! on bilateral panels, and the dimensions models name in `absorb` and `cluster`.

use super::super::diag::{Diagnostic, Diagnostics};
use super::super::types::*;
use super::{expand_set_members, Family};
use crate::choice::Choice;
use crate::panel::PanelUnit;

/// The prefix that reads a country covariate by the importer of a bilateral panel's row.
pub const IMPORTER_PREFIX: &str = "importer.";

pub(super) fn check_panel(spec: &Spec, d: &mut Diagnostics) {
    let unit = spec.panel.unit.value;
    check_sector_sets(spec, d);
    if let Some(sectors) = &spec.panel.sectors {
        if !unit.has_sector() {
            d.push(
                Diagnostic::at(
                    &sectors.loc,
                    format!("`panel.sectors` is set but `panel.unit = \"{unit}\"` has no sector"),
                )
                .with_help("use `unit = \"country_sector\"` or `\"bilateral_sector\"`, or remove `sectors`"),
            );
        } else {
            let codes = sector_list(spec, d);
            if codes.is_empty() {
                d.push(
                    Diagnostic::at(&sectors.loc, "`panel.sectors` lists no sector").with_help(
                        "list sector codes of the tables, e.g. `sectors = [\"c3\", \"c4\"]`, or name a `[sectors]` set",
                    ),
                );
            }
        }
    }
    if let Some(partners) = &spec.panel.partners {
        if !unit.has_importer() {
            d.push(
                Diagnostic::at(
                    &partners.loc,
                    format!(
                        "`panel.partners` is set but `panel.unit = \"{unit}\"` has no importer"
                    ),
                )
                .with_help(
                    "use `unit = \"bilateral\"` or `\"bilateral_sector\"`, or remove `partners`",
                ),
            );
        }
    }
    check_levels(spec, d);
    for m in &spec.models {
        check_model_dims(unit, m, d);
    }
    if !unit.is_country() {
        for v in spec.variables.values() {
            for t in &v.transforms.value {
                if let crate::panel::Transform::LpSpillover(_) = t {
                    d.push(
                        Diagnostic::at(
                            &v.transforms.loc,
                            format!(
                                "variable `{}`: `lp_spillover` is computed country by country and needs `panel.unit = \"country\"` (this panel's unit is `{unit}`)",
                                v.name
                            ),
                        )
                        .with_help("compute the spillover in a country study, or leave it out of this panel"),
                    );
                }
            }
        }
    }
}

/// Sector codes may not contain the unit-key separator, and sets must expand.
fn check_sector_sets(spec: &Spec, d: &mut Diagnostics) {
    for (name, set) in &spec.sectors {
        let codes = expand_set_members(&set.value, &spec.sectors, &|_| None, "sector", d);
        if codes.is_empty() {
            d.push(
                Diagnostic::at(&set.loc, format!("sector set `{name}` is empty"))
                    .with_help("list at least one sector code or include another set with `@name`"),
            );
        }
        for m in &set.value {
            if m.value.contains(crate::panel::unit::KEY_SEPARATOR) {
                d.push(
                    Diagnostic::at(&m.loc, format!("sector code `{}` contains `/`", m.value))
                        .with_help(
                            "write the code as the table's row labels write it (`c3`, `C10T12`)",
                        ),
                );
            }
        }
    }
}

/// The members of `panel.sectors`: a bare `[sectors]` set name means `@name`.
pub fn sector_members(spec: &Spec) -> Option<Vec<At<String>>> {
    let sectors = spec.panel.sectors.as_ref()?;
    Some(
        sectors
            .value
            .iter()
            .map(|m| {
                if !m.value.starts_with('@') && spec.sectors.contains_key(&m.value) {
                    At::new(format!("@{}", m.value), m.loc.clone())
                } else {
                    m.clone()
                }
            })
            .collect(),
    )
}

/// `panel.sectors` expanded (empty when not written); unknown sets go to `d`.
pub fn sector_list(spec: &Spec, d: &mut Diagnostics) -> Vec<String> {
    sector_members(spec)
        .map(|m| expand_set_members(&m, &spec.sectors, &|_| None, "sector", d))
        .unwrap_or_default()
}

/// The members of `panel.partners`: a bare `[countries]` set name means `@name`.
pub fn partner_members(spec: &Spec) -> Option<Vec<At<String>>> {
    let partners = spec.panel.partners.as_ref()?;
    Some(
        partners
            .value
            .iter()
            .map(|m| {
                if !m.value.starts_with('@') && spec.countries.sets.contains_key(&m.value) {
                    At::new(format!("@{}", m.value), m.loc.clone())
                } else {
                    m.clone()
                }
            })
            .collect(),
    )
}

/// Whether the spec document writes `[<section>] <key>`.
fn written(spec: &Spec, section: &str, key: &str) -> bool {
    spec.root
        .table()
        .and_then(|t| t.get(section))
        .and_then(|s| s.table())
        .is_some_and(|s| s.contains_key(key))
}

/// A unit other than `country` fixes the level of the decomposition rows the panel reads: a
/// different `decomposition.level` or `wwz_level` written in the spec is a contradiction.
fn check_levels(spec: &Spec, d: &mut Diagnostics) {
    let unit = spec.panel.unit.value;
    if unit.is_country() {
        return;
    }
    let info = unit.info();
    let dec = &spec.decomposition;
    if written(spec, "decomposition", "level") && Some(dec.level.value) != info.level {
        d.push(
            Diagnostic::at(
                &dec.level.loc,
                format!(
                    "`decomposition.level = \"{}\"` contradicts `panel.unit = \"{unit}\"`, whose measures come from {} rows",
                    dec.level.value,
                    info.level.map_or("WWZ flow".to_string(), |l| format!("`{l}`"))
                ),
            )
            .with_help("remove `decomposition.level`: the panel unit sets it"),
        );
    }
    let wwz = dec.measures.value.iter().any(|m| m.value == Family::Wwz);
    if wwz && written(spec, "decomposition", "wwz_level") && dec.wwz_level.value != info.wwz {
        d.push(
            Diagnostic::at(
                &dec.wwz_level.loc,
                format!(
                    "`decomposition.wwz_level = \"{}\"` contradicts `panel.unit = \"{unit}\"`, which reads WWZ at `{}`",
                    dec.wwz_level.value, info.wwz
                ),
            )
            .with_help(format!(
                "remove `wwz_level` or set it to \"{}\"",
                info.wwz
            )),
        );
    }
}

/// A variable's decomposition measure must have rows at the panel's unit.
pub(super) fn check_measure_at_unit(
    spec: &Spec,
    v: &Variable,
    family: Family,
    measure: &str,
    d: &mut Diagnostics,
) {
    let unit = spec.panel.unit.value;
    if unit.measures(family).contains(&measure) {
        return;
    }
    let units = PanelUnit::ALL
        .iter()
        .filter(|u| u.measures(family).contains(&measure))
        .map(|u| format!("`{u}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let alternatives: Vec<&str> = crate::decompose::Family::ALL
        .iter()
        .filter(|f| !unit.measures(**f).is_empty())
        .map(|f| f.name())
        .collect();
    d.push(
        Diagnostic::at(
            &v.from.loc,
            format!(
                "`variables.{}.from`: `{}` is not available at `panel.unit = \"{unit}\"`; `{measure}` has rows at the units {units}",
                v.name, v.from.value
            ),
        )
        .with_help(if alternatives.is_empty() {
            format!("change `panel.unit`; no measure family has rows at `{unit}`")
        } else {
            format!(
                "change `panel.unit`, or read a measure of a family with rows at `{unit}`: {}",
                alternatives.join(", ")
            )
        }),
    );
}

/// `from = "importer.<source>.<column>"` needs a unit with an importer.
pub(super) fn check_importer_prefix(spec: &Spec, v: &Variable, d: &mut Diagnostics) {
    let unit = spec.panel.unit.value;
    if !unit.has_importer() {
        d.push(
            Diagnostic::at(
                &v.from.loc,
                format!(
                    "`variables.{}.from`: `{}` reads a covariate by importer, but `panel.unit = \"{unit}\"` has no importer",
                    v.name, v.from.value
                ),
            )
            .with_help("use `panel.unit = \"bilateral\"` or `\"bilateral_sector\"`, or drop the `importer.` prefix"),
        );
    }
}

/// `absorb` and `cluster` may name the unit's dimensions and `year`.
fn check_model_dims(unit: PanelUnit, m: &Model, d: &mut Diagnostics) {
    let allowed = unit.model_dims();
    let names: Vec<&str> = allowed.iter().map(|d| d.name()).collect();
    if let Some(absorb) = &m.absorb {
        for term in &absorb.value {
            for dim in &term.value.0 {
                if !allowed.contains(dim) {
                    d.push(
                        Diagnostic::at(
                            &term.loc,
                            format!(
                                "`models.{}.absorb`: `{}` is no dimension of a `{unit}` panel",
                                m.name.value,
                                dim.name()
                            ),
                        )
                        .with_help(format!("name {}", names.join(", "))),
                    );
                }
            }
        }
        if absorb
            .value
            .iter()
            .all(|t| t.value.0.iter().all(|x| allowed.contains(x)))
        {
            let terms: Vec<crate::panel::FeTerm> =
                absorb.value.iter().map(|t| t.value.clone()).collect();
            if let Err(why) = crate::panel::absorbed_estimator(unit, &terms) {
                d.push(
                    Diagnostic::at(&absorb.loc, format!("`models.{}.absorb`: {why}", m.name.value))
                        .with_help("absorb the panel unit and the year, and cluster by a coarser dimension (`cluster = \"exporter\"`)"),
                );
            }
            let fe_only = m
                .estimators
                .iter()
                .all(|e| e.value == crate::estimate::Estimator::Fe);
            if !fe_only {
                d.push(
                    Diagnostic::at(
                        &absorb.loc,
                        format!(
                            "`models.{}.absorb` absorbs fixed effects, which only the `fe` estimator does",
                            m.name.value
                        ),
                    )
                    .with_help("remove `estimators` (or write `estimators = [\"fe\"]`) in a model with `absorb`"),
                );
            }
        }
    }
}

/// Whether a model's `cluster` names a dimension of the unit (not a variable).
pub fn is_dimension(unit: PanelUnit, name: &str) -> bool {
    name == "panel" || unit.model_dims().iter().any(|d| d.name() == name)
}
