//! The GVC indicator tables: the summary (first year, last year and change of each measure by
//! country, sorted by a measure) and one country × year table per measure with the sample
//! mean; and the indicator values they and the indicator figures read.

use std::collections::{BTreeMap, BTreeSet};

use super::error::ReportError;
use super::input::ReportInput;
use super::labels::{decapitalize, variable_label, Text};
use super::table::{file_stem, opt_number, Align, HeaderSpan, Row, Table};

// ---------------------------------------------------------------------------------------------

/// Indicator values: measure → country → year → value, with measures and countries in order
/// of first appearance.
pub(crate) struct IndicatorData {
    pub measures: Vec<String>,
    pub countries: Vec<String>,
    pub values: BTreeMap<String, BTreeMap<String, BTreeMap<i32, f64>>>,
}

impl IndicatorData {
    /// Collect the long rows; a repeated (country, year, measure) is an error naming it. A
    /// non-finite value is a missing one (docs/measures.md: a ratio with a zero denominator,
    /// such as the participation of an economy with no exports, is NaN): its country and
    /// measure are listed, and the cell shows as missing.
    pub fn new(input: &ReportInput) -> Result<Self, ReportError> {
        let mut d = IndicatorData {
            measures: Vec::new(),
            countries: Vec::new(),
            values: BTreeMap::new(),
        };
        let mut seen: BTreeSet<(&str, &str, i32)> = BTreeSet::new();
        for r in &input.indicators {
            if !d.measures.contains(&r.measure) {
                d.measures.push(r.measure.clone());
            }
            if !d.countries.contains(&r.country) {
                d.countries.push(r.country.clone());
            }
            let by_year = d
                .values
                .entry(r.measure.clone())
                .or_default()
                .entry(r.country.clone())
                .or_default();
            if r.value.is_finite() {
                by_year.insert(r.year, r.value);
            }
            if !seen.insert((&r.measure, &r.country, r.year)) {
                return Err(ReportError::Indicators {
                    message: format!(
                        "{} has two values for ({}, {}) (fix: one row per country, year and measure)",
                        r.measure, r.country, r.year
                    ),
                });
            }
        }
        Ok(d)
    }

    /// The measures selected by a setting (`None` = all), checked to exist.
    pub fn select(
        &self,
        chosen: &Option<Vec<String>>,
        setting: &str,
    ) -> Result<Vec<String>, ReportError> {
        match chosen {
            None => Ok(self.measures.clone()),
            Some(list) => {
                for m in list {
                    if !self.measures.contains(m) {
                        return Err(ReportError::Setting {
                            setting: setting.to_string(),
                            message: format!(
                                "measure `{m}` is not among the indicators ({})",
                                self.measures.join(", ")
                            ),
                        });
                    }
                }
                Ok(list.clone())
            }
        }
    }

    /// Years of a measure, ascending.
    pub fn years(&self, measure: &str) -> Vec<i32> {
        let set: BTreeSet<i32> = self
            .values
            .get(measure)
            .map(|m| m.values().flat_map(|ys| ys.keys().copied()).collect())
            .unwrap_or_default();
        set.into_iter().collect()
    }

    /// Value of a measure for a country and year.
    pub fn get(&self, measure: &str, country: &str, year: i32) -> Option<f64> {
        self.values.get(measure)?.get(country)?.get(&year).copied()
    }
}

/// Country display name.
pub(crate) fn country_name(code: &str, input: &ReportInput) -> String {
    input
        .country_names
        .get(code)
        .cloned()
        .unwrap_or_else(|| code.to_string())
}

/// The GVC indicator summary: per country and measure the first-year and last-year values and
/// the change, sorted by the last-year value of the sort measure (descending).
pub(crate) fn indicator_summary_table(
    data: &IndicatorData,
    input: &ReportInput,
) -> Result<Option<Table>, ReportError> {
    let s = &input.settings.indicators;
    let measures = data.select(&s.summary, "indicators.summary")?;
    if measures.is_empty() {
        return Ok(None);
    }
    let years: BTreeSet<i32> = measures.iter().flat_map(|m| data.years(m)).collect();
    let (Some(&y0), Some(&y1)) = (years.first(), years.last()) else {
        return Ok(None);
    };
    let sort_by = match &s.sort_by {
        Some(m) if measures.contains(m) => m.clone(),
        Some(m) => {
            return Err(ReportError::Setting {
                setting: "indicators.sort_by".into(),
                message: format!(
                    "`{m}` is not one of the summary measures ({})",
                    measures.join(", ")
                ),
            })
        }
        None => measures[0].clone(),
    };
    let mut countries = data.countries.clone();
    countries.sort_by(|a, b| {
        let va = data.get(&sort_by, a, y1);
        let vb = data.get(&sort_by, b, y1);
        match (va, vb) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| country_name(a, input).cmp(&country_name(b, input)))
    });
    let d = input.settings.digits;
    let rows = countries
        .iter()
        .map(|c| {
            let mut cells = Vec::new();
            for m in &measures {
                let a = data.get(m, c, y0);
                let b = data.get(m, c, y1);
                cells.push(opt_number(a, d));
                cells.push(opt_number(b, d));
                cells.push(opt_number(a.zip(b).map(|(a, b)| b - a), d));
            }
            Row {
                label: Text::plain(country_name(c, input)),
                cells,
                space_after: false,
            }
        })
        .collect();
    let mut spans = Vec::new();
    let mut heads = Vec::new();
    let mut md_heads = Vec::new();
    let mut align = Vec::new();
    for (i, m) in measures.iter().enumerate() {
        let label = variable_label(m, &input.labels);
        spans.push(HeaderSpan {
            text: label.clone(),
            first: 3 * i,
            last: 3 * i + 2,
            rule: true,
        });
        for h in [y0.to_string(), y1.to_string(), "Change".to_string()] {
            md_heads.push(label.clone().push(format!(" {h}")));
            heads.push(Text::plain(h));
            align.push(Align::Decimal);
        }
    }
    let sort_label = variable_label(&sort_by, &input.labels).raw();
    Ok(Some(Table {
        name: "gvc_indicators".into(),
        kind: "indicator_summary",
        caption: Text::plain(format!("GVC indicators by country, {y0} and {y1}")),
        stub_head: Text::plain("Country"),
        align,
        groups: vec![spans],
        heads,
        markdown_heads: md_heads,
        markdown_stub_head: Text::plain("Country"),
        sections: vec![rows],
        headings: Vec::new(),
        notes: vec![Text::plain(format!(
            "Change = {y1} value minus {y0} value. Countries sorted by {} in {y1}, highest first.",
            decapitalize(&sort_label)
        ))],
    }))
}

/// One measure by country (rows, first-appearance order) and year (columns), with the sample
/// mean (over the countries with a value) as the last row.
pub(crate) fn measure_by_year_tables(
    data: &IndicatorData,
    input: &ReportInput,
) -> Result<Vec<Table>, ReportError> {
    let measures = data.select(&input.settings.indicators.by_year, "indicators.by_year")?;
    let d = input.settings.digits;
    let mut out = Vec::new();
    for m in &measures {
        let years = data.years(m);
        let countries: Vec<&String> = data
            .countries
            .iter()
            .filter(|c| data.values.get(m).is_some_and(|v| v.contains_key(*c)))
            .collect();
        let rows: Vec<Row> = countries
            .iter()
            .map(|c| Row {
                label: Text::plain(country_name(c, input)),
                cells: years
                    .iter()
                    .map(|y| opt_number(data.get(m, c, *y), d))
                    .collect(),
                space_after: false,
            })
            .collect();
        let mean_row = Row {
            label: Text::plain("Sample mean"),
            cells: years
                .iter()
                .map(|y| {
                    let v: Vec<f64> = countries
                        .iter()
                        .filter_map(|c| data.get(m, c, *y))
                        .collect();
                    opt_number(
                        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64),
                        d,
                    )
                })
                .collect(),
            space_after: false,
        };
        let label = variable_label(m, &input.labels);
        let heads: Vec<Text> = years.iter().map(|y| Text::plain(y.to_string())).collect();
        out.push(Table {
            name: format!("{}_by_year", file_stem(m)),
            kind: "measure_by_year",
            caption: label.clone().push(" by country and year"),
            stub_head: Text::plain("Country"),
            align: vec![Align::Decimal; years.len()],
            groups: Vec::new(),
            markdown_heads: heads.clone(),
            heads,
            markdown_stub_head: Text::plain("Country"),
            sections: vec![rows, vec![mean_row]],
            headings: Vec::new(),
            notes: Vec::new(),
        });
    }
    Ok(out)
}
