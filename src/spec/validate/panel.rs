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
    check_sector_sets(spec, d);
    for p in spec.all_panels() {
        check_one_panel(spec, p, d);
    }
    for m in &spec.models {
        if let Some(name) = &m.panel {
            if !spec.panels.contains_key(&name.value) {
                let names: Vec<&str> = spec.panels.keys().map(String::as_str).collect();
                d.push(
                    Diagnostic::at(
                        &name.loc,
                        format!(
                            "`models.{}.panel`: the spec defines no `[panels.{}]`",
                            m.name.value, name.value
                        ),
                    )
                    .with_help(if names.is_empty() {
                        format!("add a `[panels.{}]` section with its `unit`, or remove `panel` (the model then reads `[panel]`)", name.value)
                    } else {
                        super::super::diag::did_you_mean(&name.value, &names)
                    }),
                );
            }
        }
        check_model_dims(m.unit, m, d);
        if spec.multiverse.is_some() {
            check_multiverse_model(m, d);
        }
        if let (Some(name), Some(_)) = (&m.panel, &spec.multiverse) {
            d.push(
                Diagnostic::at(
                    &name.loc,
                    format!(
                        "`models.{}.panel`: `[multiverse]` fits its universes on `[panel]`, and this model reads `[panels.{}]`",
                        m.name.value, name.value
                    ),
                )
                .with_help("run the multiverse in a spec whose models read `[panel]` (`extends` this one and set `[panel]` to this panel's unit)"),
            );
        }
    }
    for name in spec.panels.keys() {
        let read = spec
            .models
            .iter()
            .any(|m| m.panel.as_ref().is_some_and(|p| &p.value == name));
        if !read {
            let Some(loc) = spec.panels.get(name).map(|p| p.unit.loc.clone()) else {
                continue;
            };
            d.push(
                Diagnostic::at(&loc, format!("`[panels.{name}]` is read by no model")).with_help(
                    format!(
                        "add `panel = \"{name}\"` to the models that use it, or remove the section"
                    ),
                ),
            );
        }
    }
}

/// One panel's sector and partner lists, decomposition levels and transforms.
fn check_one_panel(spec: &Spec, p: PanelRef<'_>, d: &mut Diagnostics) {
    let unit = p.unit();
    let key = p.key();
    if let Some(sectors) = &p.spec.sectors {
        if !unit.has_sector() {
            d.push(
                Diagnostic::at(
                    &sectors.loc,
                    format!("`{key}.sectors` is set but `{key}.unit = \"{unit}\"` has no sector"),
                )
                .with_help("use `unit = \"country_sector\"` or `\"bilateral_sector\"`, or remove `sectors`"),
            );
        } else {
            let codes = sector_list(spec, p, d);
            if codes.is_empty() {
                d.push(
                    Diagnostic::at(&sectors.loc, format!("`{key}.sectors` lists no sector")).with_help(
                        "list sector codes of the tables, e.g. `sectors = [\"c3\", \"c4\"]`, or name a `[sectors]` set",
                    ),
                );
            }
        }
    }
    if let Some(partners) = &p.spec.partners {
        if !unit.has_importer() {
            d.push(
                Diagnostic::at(
                    &partners.loc,
                    format!(
                        "`{key}.partners` is set but `{key}.unit = \"{unit}\"` has no importer"
                    ),
                )
                .with_help(
                    "use `unit = \"bilateral\"` or `\"bilateral_sector\"`, or remove `partners`",
                ),
            );
        }
    }
    check_groups(spec, p, d);
    check_levels(spec, p, d);
    if !unit.is_country() {
        for v in spec.panel_variables(p.name) {
            for t in &v.transforms.value {
                if let crate::panel::Transform::LpSpillover(_) = t {
                    d.push(
                        Diagnostic::at(
                            &v.transforms.loc,
                            format!(
                                "variable `{}`: `lp_spillover` is computed country by country and needs `unit = \"country\"` (`{key}.unit` is `{unit}`)",
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

/// What `[multiverse]` cannot vary: models fitted with absorbed factors (hdfe, ppml) and a
/// Driscoll–Kraay lag length (its universes use xtscc's default).
fn check_multiverse_model(m: &Model, d: &mut Diagnostics) {
    use crate::estimate::Estimator;
    let terms: Vec<crate::panel::FeTerm> = m
        .absorb
        .as_ref()
        .map(|a| a.value.iter().map(|t| t.value.clone()).collect())
        .unwrap_or_default();
    for e in &m.estimators {
        let fitted = if m.absorb.is_some() {
            crate::panel::absorbed_estimator(m.unit, &terms, e.value)
        } else {
            e.value
        };
        if matches!(fitted, Estimator::Hdfe | Estimator::Ppml) {
            d.push(
                Diagnostic::at(
                    m.absorb.as_ref().map_or(&e.loc, |a| &a.loc),
                    format!(
                        "model `{}` is fitted by `{}` (absorbed factors), which `[multiverse]` does not fit",
                        m.name.value,
                        fitted.name()
                    ),
                )
                .with_help("in a multiverse spec, absorb the panel unit and the year at most (`fe`, `fe2`), or run this model in a spec without `[multiverse]`"),
            );
        }
    }
    if let Some(l) = &m.dk_lags {
        d.push(
            Diagnostic::at(
                &l.loc,
                format!(
                    "`models.{}.dk_lags`: `[multiverse]` fits Driscoll–Kraay with xtscc's default lag length",
                    m.name.value
                ),
            )
            .with_help("remove `dk_lags` in a multiverse spec"),
        );
    }
}

/// `groups` names `[sectors]` sets, on a unit with sectors, instead of `sectors`; a variable of
/// the panel may not read a measure with no group version.
fn check_groups(spec: &Spec, p: PanelRef<'_>, d: &mut Diagnostics) {
    let key = p.key();
    let Some(groups) = &p.spec.groups else {
        if let Some(aggregate) = &p.spec.aggregate {
            d.push(
                Diagnostic::at(
                    &aggregate.loc,
                    format!("`{key}.aggregate` is set but `{key}.groups` is not"),
                )
                .with_help("`aggregate` says when the sector sets of `groups` are summed: add e.g. `groups = [\"manufacturing\"]`, or remove `aggregate`"),
            );
        }
        return;
    };
    let unit = p.unit();
    if !unit.has_sector() {
        d.push(
            Diagnostic::at(
                &groups.loc,
                format!("`{key}.groups` is set but `{key}.unit = \"{unit}\"` has no sector"),
            )
            .with_help(
                "use `unit = \"country_sector\"` or `\"bilateral_sector\"`, or remove `groups`",
            ),
        );
        return;
    }
    if let Some(sectors) = &p.spec.sectors {
        d.push(
            Diagnostic::at(
                &sectors.loc,
                format!("`{key}.sectors` and `{key}.groups` are both set"),
            )
            .with_help("`groups` makes one row per group of sectors and `sectors` one row per sector: keep one"),
        );
    }
    if groups.value.is_empty() {
        d.push(
            Diagnostic::at(&groups.loc, format!("`{key}.groups` lists no group"))
                .with_help("name `[sectors]` sets, e.g. `groups = [\"manufacturing\"]`"),
        );
    }
    let names: Vec<&str> = spec.sectors.keys().map(String::as_str).collect();
    let mut seen = std::collections::BTreeSet::new();
    for g in &groups.value {
        let name = g.value.trim_start_matches('@');
        if !seen.insert(name) {
            d.push(
                Diagnostic::at(&g.loc, format!("`{key}.groups` lists `{name}` twice"))
                    .with_help("each group is one row per exporter and year: list it once"),
            );
        }
        if !spec.sectors.contains_key(name) {
            d.push(
                Diagnostic::at(
                    &g.loc,
                    format!("`{key}.groups`: no `[sectors]` set `{name}`"),
                )
                .with_help(if names.is_empty() {
                    format!("define it: `[sectors] {name} = [\"c3\", \"c4\"]`")
                } else {
                    super::super::diag::did_you_mean(name, &names)
                }),
            );
        }
    }
    if p.merges_before() {
        check_disjoint_groups(spec, p, groups, d);
        // Every measure is computed on the merged table: none lacks a group version.
        return;
    }
    for v in spec.panel_variables(p.name) {
        let Some(measure) = v.from.value.strip_prefix("decomposition.") else {
            continue;
        };
        let family = measure.split('.').next().and_then(Family::parse);
        if family.is_some_and(|f| f.info().ungroupable.contains(&measure)) {
            d.push(
                Diagnostic::at(
                    &v.from.loc,
                    format!(
                        "`variables.{}.from`: `{measure}` has no value for a group of sectors (`{key}.groups`)",
                        v.name
                    ),
                )
                .with_help("read it on a panel with one row per sector (`sectors` instead of `groups`), merge the groups before the decomposition (`aggregate = \"before\"`), or read an additive measure or a ratio (docs/measures.md, Aggregating sectors)"),
            );
        }
    }
}

/// Merging sectors before the decomposition needs groups that share no sector: the second
/// group naming a sector is reported at its place in `groups`.
fn check_disjoint_groups(
    spec: &Spec,
    p: PanelRef<'_>,
    groups: &At<Vec<At<String>>>,
    d: &mut Diagnostics,
) {
    // Unknown or empty sets were reported above; expand quietly.
    let expanded = sector_groups(spec, p, &mut Diagnostics::default());
    let mut first: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for ((name, members), written) in expanded.iter().zip(&groups.value) {
        for m in members {
            match first.get(m.as_str()) {
                Some(prev) if prev != name => {
                    d.push(
                        Diagnostic::at(
                            &written.loc,
                            format!(
                                "`{}.groups`: sector `{m}` is in both `{prev}` and `{name}`, and `aggregate = \"before\"` merges each sector into one group",
                                p.key()
                            ),
                        )
                        .with_help("make the `[sectors]` sets disjoint, or use `aggregate = \"after\"` (overlapping groups are summed separately)"),
                    );
                    return;
                }
                _ => {
                    first.insert(m, name);
                }
            }
        }
    }
}

/// The groups of a panel's `groups`: each `[sectors]` set name with its expanded members.
pub fn sector_groups(
    spec: &Spec,
    p: PanelRef<'_>,
    d: &mut Diagnostics,
) -> Vec<(String, Vec<String>)> {
    let Some(groups) = &p.spec.groups else {
        return Vec::new();
    };
    groups
        .value
        .iter()
        .map(|g| {
            let name = g.value.trim_start_matches('@').to_string();
            let members = vec![At::new(format!("@{name}"), g.loc.clone())];
            let codes = expand_set_members(&members, &spec.sectors, &|_| None, "sector", d);
            (name, codes)
        })
        .collect()
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

/// The members of a panel's `sectors`: a bare `[sectors]` set name means `@name`.
pub fn sector_members(spec: &Spec, p: PanelRef<'_>) -> Option<Vec<At<String>>> {
    let sectors = p.spec.sectors.as_ref()?;
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

/// A panel's `sectors` expanded (empty when not written); unknown sets go to `d`.
pub fn sector_list(spec: &Spec, p: PanelRef<'_>, d: &mut Diagnostics) -> Vec<String> {
    sector_members(spec, p)
        .map(|m| expand_set_members(&m, &spec.sectors, &|_| None, "sector", d))
        .unwrap_or_default()
}

/// The members of a panel's `partners`: a bare `[countries]` set name means `@name`.
pub fn partner_members(spec: &Spec, p: PanelRef<'_>) -> Option<Vec<At<String>>> {
    let partners = p.spec.partners.as_ref()?;
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
fn check_levels(spec: &Spec, p: PanelRef<'_>, d: &mut Diagnostics) {
    let unit = p.unit();
    let key = p.key();
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
                    "`decomposition.level = \"{}\"` contradicts `{key}.unit = \"{unit}\"`, whose measures come from {} rows",
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
                    "`decomposition.wwz_level = \"{}\"` contradicts `{key}.unit = \"{unit}\"`, which reads WWZ at `{}`",
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

/// The panels that hold a variable (`[panel]` alone when no panel reads it).
fn panels_holding<'a>(spec: &'a Spec, v: &Variable) -> Vec<PanelRef<'a>> {
    let out: Vec<PanelRef<'a>> = spec
        .all_panels()
        .into_iter()
        .filter(|p| {
            spec.panel_variables(p.name)
                .iter()
                .any(|x| x.name == v.name)
        })
        .collect();
    if out.is_empty() {
        spec.all_panels().into_iter().take(1).collect()
    } else {
        out
    }
}

/// A variable's decomposition measure must have rows at the unit of every panel holding it.
pub(super) fn check_measure_at_unit(
    spec: &Spec,
    v: &Variable,
    family: Family,
    measure: &str,
    d: &mut Diagnostics,
) {
    for p in panels_holding(spec, v) {
        let unit = p.unit();
        let key = p.key();
        if unit.measures(family).contains(&measure) {
            continue;
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
                    "`variables.{}.from`: `{}` is not available at `{key}.unit = \"{unit}\"`; `{measure}` has rows at the units {units}",
                    v.name, v.from.value
                ),
            )
            .with_help(if alternatives.is_empty() {
                format!("change `{key}.unit`; no measure family has rows at `{unit}`")
            } else {
                format!(
                    "change `{key}.unit`, or read a measure of a family with rows at `{unit}`: {}",
                    alternatives.join(", ")
                )
            }),
        );
    }
}

/// `from = "importer.<source>.<column>"` needs a unit with an importer.
pub(super) fn check_importer_prefix(spec: &Spec, v: &Variable, d: &mut Diagnostics) {
    for p in panels_holding(spec, v) {
        let unit = p.unit();
        let key = p.key();
        if !unit.has_importer() {
            d.push(
                Diagnostic::at(
                    &v.from.loc,
                    format!(
                        "`variables.{}.from`: `{}` reads a covariate by importer, but `{key}.unit = \"{unit}\"` has no importer",
                        v.name, v.from.value
                    ),
                )
                .with_help(format!("use `{key}.unit = \"bilateral\"` or `\"bilateral_sector\"`, or drop the `importer.` prefix")),
            );
        }
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
            use crate::estimate::Estimator;
            for e in &m.estimators {
                if !matches!(e.value, Estimator::Fe | Estimator::Hdfe | Estimator::Ppml) {
                    d.push(
                        Diagnostic::at(
                            &e.loc,
                            format!(
                                "`models.{}.absorb` absorbs fixed effects, which `{}` does not estimate",
                                m.name.value,
                                e.value.name()
                            ),
                        )
                        .with_help("with `absorb`, use `estimators = [\"fe\"]` (linear; reghdfe when the effects are more than the unit and the year) or `[\"ppml\"]` (Poisson PML, ppmlhdfe)"),
                    );
                }
            }
        }
    }
}

/// Whether a model's `cluster` names a dimension of the unit (not a variable).
pub fn is_dimension(unit: PanelUnit, name: &str) -> bool {
    name == "panel" || unit.model_dims().iter().any(|d| d.name() == name)
}
