//! `panel`: the country-year estimation panel — decomposition measures and covariates joined
//! on harmonised country codes, transformed, laid on the sample's balanced skeleton
//! ([`crate::panel::assemble`]) — with its missing-data summary, descriptives and notes.
//! Variable labels are not parameters: relabelling re-renders the report only.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::covariates::Covariates;
use super::decompose::{self, Decompose};
use crate::engine::artifact::{PanelOutput, PanelSummary, Produced};
use crate::engine::key::Key;
use crate::engine::stage::{Dep, RunContext, Stage};
use crate::engine::stages::StageKind;
use crate::engine::StageError;
use crate::panel::{self, PanelInputs, Sample, UnitObservation, VariableDef};
use crate::sources::countries::CodeSystem;
use crate::spec::{Diagnostics, Spec};

/// Parameters of a panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelStage {
    /// The decomposition of every study year (ascending years).
    pub decompositions: Vec<Dep<Decompose>>,
    /// Every covariate source a variable reads.
    pub covariates: Vec<Dep<Covariates>>,
    /// The code system of the table's country codes (None: the sample's).
    pub table_codes: Option<CodeSystem>,
    /// The variables in definition order.
    pub variables: Vec<VariableDef>,
    pub sample: Sample,
    /// `groups`: sector sets aggregated into one row each after the decomposition, with their
    /// member sectors ([`crate::panel::sector_groups`]); empty = one row per sector, or the
    /// groups were merged in the table before it (`aggregate = "before"`: the decompositions
    /// read a merged table whose sectors are the groups).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<(String, Vec<String>)>,
}

impl Stage for PanelStage {
    const KIND: StageKind = StageKind::Panel;
    const VERSION: u32 = 2;
    type Output = PanelOutput;

    fn deps(&self) -> Vec<(String, Key)> {
        let dec = self
            .decompositions
            .iter()
            .enumerate()
            .map(|(i, d)| d.named(format!("decomposition {i}")));
        let cov = self
            .covariates
            .iter()
            .enumerate()
            .map(|(i, d)| d.named(format!("covariates {i}")));
        dec.chain(cov).collect()
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<Produced<PanelOutput>, StageError> {
        let mut inputs = PanelInputs::new();
        let mut indicators = Vec::new();
        let mut exporters = std::collections::BTreeSet::new();
        let unit = self.sample.unit;
        for d in &self.decompositions {
            let frame = &ctx.get(d)?.0;
            indicators.extend(decompose::country_rows(frame)?);
            if !unit.is_country() {
                let rows = decompose::unit_rows(frame, unit)?;
                exporters.extend(rows.iter().map(|r| r.0.clone()));
                let rows: Vec<UnitObservation> = rows
                    .into_iter()
                    .map(
                        |(exporter, importer, sector, year, measure, value)| UnitObservation {
                            exporter,
                            importer,
                            sector,
                            year,
                            measure,
                            value,
                        },
                    )
                    .collect();
                let rows = if self.groups.is_empty() {
                    rows
                } else {
                    crate::panel::sector_groups::group_sectors(rows, &self.groups)?
                };
                inputs.add_unit_indicators("decomposition", self.table_codes, unit, rows)?;
            }
        }
        let in_tables: std::collections::BTreeSet<&str> = indicators
            .iter()
            .map(|(c, ..)| c.as_str())
            .chain(exporters.iter().map(String::as_str))
            .collect();
        let absent = if self.decompositions.is_empty() {
            Vec::new()
        } else {
            absent_countries(&self.sample, self.table_codes, &in_tables)
        };
        if unit.is_country() {
            inputs.add_indicators("decomposition", self.table_codes, indicators.clone())?;
        }
        for c in &self.covariates {
            add_covariate_frame(&mut inputs, &ctx.get(c)?.0)?;
        }
        let assembled = panel::assemble(&inputs, &self.variables, &self.sample)?;
        let warnings = absent.iter().map(|c| absent_warning(c)).collect();
        Ok(Produced {
            output: PanelOutput {
                frame: panel_frame(&assembled.panel)?,
                summary: PanelSummary {
                    missing: assembled.missing,
                    descriptives: assembled.descriptives,
                    notes: assembled.notes,
                    absent_countries: absent,
                },
            },
            facts: crate::engine::artifact::Facts {
                warnings,
                ..Default::default()
            },
        })
    }
}

/// The warning for a sample country that no table has.
pub fn absent_warning(country: &str) -> String {
    format!(
        "warning: sample country {country} is in no input-output table of the study; its \
         decomposition measures are missing (check the code against `[countries] codes` and the \
         table's `codes`)"
    )
}

/// The sample countries (in the sample's codes) that none of `in_tables` (in the table's
/// codes) is.
pub fn absent_countries(
    sample: &Sample,
    table_codes: Option<CodeSystem>,
    in_tables: &std::collections::BTreeSet<&str>,
) -> Vec<String> {
    let as_sample = |t: &str| -> String {
        match (table_codes, sample.codes) {
            (Some(from), Some(to)) if from != to => {
                crate::sources::countries::map(t, from, to).unwrap_or_else(|_| t.to_string())
            }
            _ => t.to_string(),
        }
    };
    let present: std::collections::BTreeSet<String> =
        in_tables.iter().map(|t| as_sample(t)).collect();
    sample
        .countries
        .iter()
        .filter(|c| !present.contains(*c))
        .cloned()
        .collect()
}

/// The parameters of one of a spec's panels (`p`: `[panel]` or a `[panels.*]`).
pub fn plan(
    spec: &Spec,
    p: crate::spec::PanelRef<'_>,
    countries: Vec<String>,
    decompositions: &[Decompose],
    covariates: &[Covariates],
) -> Result<PanelStage, Diagnostics> {
    let unit = p.unit();
    let mut d = Diagnostics::default();
    let groups = crate::spec::validate::panel::sector_groups(spec, p, &mut d);
    let sectors = if !groups.is_empty() && unit.has_sector() {
        Some(groups.iter().map(|(name, _)| name.clone()).collect())
    } else {
        (unit.has_sector() && p.spec.sectors.is_some())
            .then(|| crate::spec::validate::panel::sector_list(spec, p, &mut d))
    };
    let partners = match crate::spec::validate::panel::partner_members(spec, p) {
        Some(members) if unit.has_importer() => {
            let system = spec.countries.codes.value;
            let builtin = |name: &str| crate::sources::countries::builtin_set(name, system).ok();
            Some(crate::spec::validate::expand_members(
                &members,
                &spec.countries.sets,
                &builtin,
                &mut d,
            ))
        }
        _ => None,
    };
    d.into_result()?;
    Ok(PanelStage {
        decompositions: decompositions.iter().map(Dep::on).collect(),
        covariates: covariates.iter().map(Dep::on).collect(),
        table_codes: table_codes(spec),
        variables: spec
            .panel_variables(p.name)
            .into_iter()
            .map(|v| VariableDef {
                name: v.name.clone(),
                from: v.from.value.clone(),
                transforms: v.transforms.value.clone(),
                label: Some(v.name.clone()),
            })
            .collect(),
        sample: Sample {
            countries,
            codes: Some(spec.countries.codes.value),
            first_year: spec.sample.years.value.0,
            last_year: spec.sample.years.value.1,
            exclude_years: spec.sample.exclude_years.value.clone(),
            unit,
            sectors,
            partners,
        },
        // Groups merged before the decomposition arrive as sectors of the merged table.
        groups: if p.merges_before() {
            Vec::new()
        } else {
            groups
        },
    })
}

/// The code system of the table source's country codes: its `codes` option, else the spec's.
pub fn table_codes(spec: &Spec) -> Option<CodeSystem> {
    spec.sources
        .get(&spec.decomposition.source.value)
        .and_then(|s| s.options.get("codes"))
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .or(Some(spec.countries.codes.value))
}

/// Adds the rows of a `covariates` frame to the panel inputs, grouped by (kind, key, codes).
fn add_covariate_frame(inputs: &mut PanelInputs, df: &DataFrame) -> Result<(), StageError> {
    let kind = df.column("kind")?.str()?.clone();
    let key = df.column("key")?.str()?.clone();
    let country = df.column("country")?.str()?.clone();
    let partner = df.column("partner")?.str()?.clone();
    let year = df.column("year")?.cast(&DataType::Int64)?;
    let year = year.i64()?;
    let value = df.column("value")?.cast(&DataType::Float64)?;
    let value = value.f64()?;
    let codes = df.column("codes")?.str()?.clone();
    type Rows = Vec<(String, Option<String>, i32, f64)>;
    let mut groups: BTreeMap<(String, String, String), Rows> = BTreeMap::new();
    for i in 0..df.height() {
        let (Some(k), Some(key), Some(c), Some(y), Some(v)) = (
            kind.get(i),
            key.get(i),
            country.get(i),
            year.get(i),
            value.get(i),
        ) else {
            continue;
        };
        groups
            .entry((
                k.to_string(),
                key.to_string(),
                codes.get(i).unwrap_or_default().to_string(),
            ))
            .or_default()
            .push((
                c.to_string(),
                partner.get(i).map(str::to_string),
                y as i32,
                v,
            ));
    }
    for ((kind, key, codes), rows) in groups {
        let system: Option<CodeSystem> = codes.parse().ok();
        if kind == "bilateral" {
            inputs.add_bilateral(
                &key,
                system,
                rows.into_iter()
                    .map(|(c, p, y, v)| (c, p.unwrap_or_default(), y, v)),
            )?;
        } else {
            inputs.add_series(&key, system, rows.into_iter().map(|(c, _, y, v)| (c, y, v)))?;
        }
    }
    Ok(())
}

/// The column of a panel frame that identifies its unit: `country` on a country panel,
/// `unit` (`CHN/c3`, dimension values joined by `/`) on the others.
pub fn id_column(df: &DataFrame) -> &'static str {
    if df.column(UNIT_COLUMN).is_ok() {
        UNIT_COLUMN
    } else {
        "country"
    }
}

/// The identifying column of a panel whose unit is not the country.
pub const UNIT_COLUMN: &str = "unit";

/// The panel as a wide frame: `country`, `year`, one column per variable; on a panel whose
/// unit is not the country, `unit` and one column per dimension (`exporter`, `importer`,
/// `sector`) come first instead of `country`.
pub fn panel_frame(p: &panel::Panel) -> Result<DataFrame, PolarsError> {
    let n = p.n_rows();
    let mut cols = if p.dims.is_empty() {
        vec![Column::new("country".into(), p.country.clone())]
    } else {
        let mut c = vec![Column::new(UNIT_COLUMN.into(), p.country.clone())];
        for (dim, values) in &p.dims {
            c.push(Column::new(
                crate::choice::Choice::name(*dim).into(),
                values.clone(),
            ));
        }
        c
    };
    cols.push(Column::new(
        "year".into(),
        p.year.iter().map(|&y| i64::from(y)).collect::<Vec<_>>(),
    ));
    for c in &p.columns {
        cols.push(Column::new(c.name.as_str().into(), c.values.clone()));
    }
    DataFrame::new(n, cols)
}
