//! The data tables: descriptive statistics of the panel variables and the missing-data
//! summary (which country-years each variable lacks).

use super::escape::{thousands, Digits};
use super::input::ReportInput;
use super::labels::{variable_label, Text};
use super::table::{number, opt_number, simple_table, text_cell, Align, Cell, Row, Table};

/// Descriptive statistics, one row per variable.
pub(crate) fn descriptives_table(input: &ReportInput) -> Option<Table> {
    if input.descriptives.is_empty() {
        return None;
    }
    let d = input.settings.digits;
    let rows = input
        .descriptives
        .iter()
        .map(|r| Row {
            label: variable_label(&r.variable, &input.labels),
            cells: vec![
                text_cell(&thousands(r.n as u64)),
                opt_number(r.mean, d),
                opt_number(r.sd, d),
                opt_number(r.min, d),
                opt_number(r.p50, d),
                opt_number(r.max, d),
            ],
            space_after: false,
        })
        .collect();
    Some(simple_table(
        "descriptives",
        "descriptives",
        Text::plain("Descriptive statistics"),
        "Variable",
        vec![
            ("N", Align::Center),
            ("Mean", Align::Decimal),
            ("SD", Align::Decimal),
            ("Min", Align::Decimal),
            ("Median", Align::Decimal),
            ("Max", Align::Decimal),
        ],
        rows,
        vec![Text::plain(
            "Each variable over its non-missing country-years in the sample; SD with divisor N\u{2212}1; median by Stata's summarize, detail rule.",
        )],
    ))
}

/// "AFG 2007–2009, 2012; BRU 2017" with at most `max_countries` countries listed.
fn missing_cells_text(
    cells: &[(String, i32)],
    input: &ReportInput,
    max_countries: usize,
) -> String {
    let mut by_country: Vec<(String, Vec<i32>)> = Vec::new();
    for (c, y) in cells {
        match by_country.iter_mut().find(|(k, _)| k == c) {
            Some((_, ys)) => ys.push(*y),
            None => by_country.push((c.clone(), vec![*y])),
        }
    }
    let n = by_country.len();
    let mut parts: Vec<String> = Vec::new();
    for (c, mut ys) in by_country.into_iter().take(max_countries) {
        ys.sort_unstable();
        ys.dedup();
        let mut runs = Vec::new();
        let mut i = 0;
        while i < ys.len() {
            let mut j = i;
            while j + 1 < ys.len() && ys[j + 1] == ys[j] + 1 {
                j += 1;
            }
            runs.push(if j > i {
                format!("{}–{}", ys[i], ys[j])
            } else {
                ys[i].to_string()
            });
            i = j + 1;
        }
        let name = input.country_names.get(&c).cloned().unwrap_or(c);
        parts.push(format!("{name} {}", runs.join(", ")));
    }
    let mut s = parts.join("; ");
    if n > max_countries {
        s.push_str(&format!("; and {} more countries", n - max_countries));
    }
    s
}

/// Missing-data summary, one row per variable.
pub(crate) fn missing_table(input: &ReportInput) -> Option<Table> {
    if input.missing.is_empty() {
        return None;
    }
    let rows = input
        .missing
        .iter()
        .map(|r| {
            let share = if r.n_rows > 0 {
                number(
                    100.0 * r.n_missing as f64 / r.n_rows as f64,
                    Digits::Fixed(1),
                    0,
                    false,
                )
            } else {
                text_cell("—")
            };
            Row {
                label: variable_label(&r.variable, &input.labels),
                cells: vec![
                    text_cell(&thousands(r.n_missing as u64)),
                    text_cell(&thousands(r.n_rows as u64)),
                    share,
                    Cell::Text(Text::plain(missing_cells_text(&r.cells, input, 8))),
                ],
                space_after: false,
            }
        })
        .collect();
    Some(simple_table(
        "missing",
        "missing",
        Text::plain("Missing data in the estimation panel"),
        "Variable",
        vec![
            ("Missing", Align::Center),
            ("Rows", Align::Center),
            ("Share (%)", Align::Decimal),
            ("Missing country-years", Align::Wrap(6.0)),
        ],
        rows,
        vec![Text::plain(
            "Rows are every sample country in every sample year; a missing cell is dropped listwise from the regressions that use the variable.",
        )],
    ))
}
