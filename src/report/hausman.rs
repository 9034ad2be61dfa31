//! The Hausman detail table: what Stata's `hausman fe re` prints above the test — for each
//! common coefficient (b) of the consistent model, (B) of the efficient one, their difference
//! and √diag(V_b − V_B) — with the test line χ²(df) = (b−B)'[(V_b−V_B)⁻¹](b−B) and its p-value
//! as the note (Stata [R] hausman). One table per FE/RE pair of a model block, after the
//! regression tables, when `[report] hausman_details = true`.

use super::input::{HausmanPair, ModelBlock, ReportInput};
use super::labels::{term_label, Text};
use super::table::{number, opt_number, simple_table, text_cell, Align, Row, Table};

/// The detail tables of every Hausman pair of every model block, block by block.
pub(crate) fn hausman_tables(input: &ReportInput) -> Vec<Table> {
    let mut out = Vec::new();
    if !input.settings.hausman_details {
        return out;
    }
    for block in &input.models {
        let several = block.hausman.len() > 1;
        for (k, pair) in block.hausman.iter().enumerate() {
            if pair.fe_column.max(pair.re_column) < block.columns.len() {
                out.push(pair_table(block, pair, several.then_some(k + 1), input));
            }
        }
    }
    out
}

/// `<block>_hausman` (or `<block>_hausman<k>` when the block has several pairs).
fn pair_table(
    block: &ModelBlock,
    pair: &HausmanPair,
    ordinal: Option<usize>,
    input: &ReportInput,
) -> Table {
    let d = input.settings.digits;
    let r = &pair.result;
    let time_var = &block.columns[pair.fe_column].result.time_var;
    let rows = r
        .coefficients
        .iter()
        .enumerate()
        .map(|(i, name)| Row {
            label: term_label(name, time_var, &input.labels),
            cells: vec![
                number(r.b_consistent[i], d, 0, false),
                number(r.b_efficient[i], d, 0, false),
                number(r.difference[i], d, 0, false),
                opt_number(r.se_difference.get(i).copied().flatten(), d),
            ],
            space_after: false,
        })
        .collect();
    let (fe, re) = (pair.fe_column + 1, pair.re_column + 1);
    let name = match ordinal {
        Some(k) => format!("{}_hausman{k}", block.name),
        None => format!("{}_hausman", block.name),
    };
    let mut notes = vec![Text::plain(format!(
        "b: column ({fe}), consistent under H0 and Ha; B: column ({re}), efficient under H0. \
         H0: the difference in coefficients is not systematic."
    ))
    .push_styled(
        format!(" χ²({}) = (b−B)'[(V_b−V_B)⁻¹](b−B) = ", r.df),
        format!(" $\\chi^2({})$ = $(b-B)'[(V_b-V_B)^{{-1}}](b-B)$ = ", r.df),
    )
    .push(format!(
        "{}; p = {}.",
        fixed_or_dot(r.chi2, d),
        r.p_value.map_or(".".to_string(), |p| fixed_or_dot(p, d))
    ))];
    if let Some(n) = &r.note {
        notes.push(Text::plain(format!("{n}.")));
    }
    if r.se_difference.iter().any(Option::is_none) {
        notes.push(Text::plain(
            "A missing S.E. is a negative diagonal entry of V_b − V_B (Stata leaves it blank).",
        ));
    }
    let caption = Text::plain(format!(
        "Hausman test: {}, ({fe}) against ({re})",
        block.title
    ));
    let mut t = simple_table(
        &name,
        "hausman",
        caption,
        "",
        vec![
            ("(b) consistent", Align::Decimal),
            ("(B) efficient", Align::Decimal),
            ("(b−B) difference", Align::Decimal),
            ("√diag(V_b−V_B) S.E.", Align::Decimal),
        ],
        rows,
        notes,
    );
    let se_head = Text::styled(
        "√diag(V_b−V_B) S.E.",
        "$\\sqrt{\\mathrm{diag}(V_b-V_B)}$ S.E.",
    );
    t.heads[3] = se_head.clone();
    t.markdown_heads[3] = se_head;
    if t.sections.iter().all(Vec::is_empty) {
        t.sections = vec![vec![Row {
            label: Text::plain("(no common coefficients)"),
            cells: vec![text_cell(""); 4],
            space_after: false,
        }]];
    }
    t
}

fn fixed_or_dot(x: f64, digits: super::escape::Digits) -> String {
    digits.format(x).unwrap_or_else(|| ".".to_string())
}
