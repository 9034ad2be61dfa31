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
//!
//! Modules, each importing only those listed before it: `inputs` (variable definitions, the
//! sample, the input series), `output` (the panel and its report), `codes` (step 1),
//! `variables` (step 2); this file lays the skeleton and writes the report (steps 3 and 4).

mod codes;
mod inputs;
mod output;
mod units;
mod variables;

use std::collections::{BTreeSet, HashMap};

use crate::panel::series::Series;
use crate::panel::summary::describe;
use crate::panel::PanelError;
use codes::{harmonise_inputs, harmonise_unit_inputs, sample_working_codes, working_system};
use inputs::check_year;
use variables::compute_variables;

pub use inputs::{PanelInputs, Sample, UnitObservation, VariableDef, VariableSpec};
pub use output::{Assembled, MissingSummary, Note, Panel, PanelColumn};
pub use units::IMPORTER_PREFIX;

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
    let skeleton = units::skeleton(inputs, sample, &sample_codes, working)?;
    let (series, bilateral) = if sample.unit.is_country() {
        (series, bilateral)
    } else {
        let unit_series = harmonise_unit_inputs(inputs, sample, working, &mut notes)?;
        let merged = units::unit_inputs(sample.unit, &skeleton, series, &bilateral, unit_series);
        (merged, Default::default())
    };
    let in_sample_countries: HashMap<&str, &str> = skeleton
        .keys
        .iter()
        .zip(&skeleton.labels)
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
        dims: skeleton
            .dims
            .iter()
            .map(|(d, _)| (*d, Vec::new()))
            .collect(),
        year: Vec::new(),
        columns: Vec::new(),
    };
    for (row, label) in skeleton.labels.iter().enumerate() {
        for &year in &years {
            panel.country.push(label.clone());
            panel.year.push(year);
            for ((_, out), (_, values)) in panel.dims.iter_mut().zip(&skeleton.dims) {
                out.push(values.get(row).cloned().unwrap_or_default());
            }
        }
    }
    for (def, values) in variables.iter().zip(&computed) {
        let column: Vec<Option<f64>> = skeleton
            .keys
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
    use crate::panel::transforms::Transform;
    use crate::sources::countries::CodeSystem;

    fn sample(countries: &[&str], codes: Option<CodeSystem>, years: (i32, i32)) -> Sample {
        Sample {
            countries: countries.iter().map(|c| c.to_string()).collect(),
            codes,
            first_year: years.0,
            last_year: years.1,
            exclude_years: Vec::new(),
            unit: crate::panel::PanelUnit::Country,
            sectors: None,
            partners: None,
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
