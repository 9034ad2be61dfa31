//! Laying out one model block as a table: which columns form a panel (one panel, or one per
//! estimator with `layout = "panels"`), the header (journal: dependent variable, `(1) … (k)`,
//! the estimator of each column; labelled: spanning estimator names and column labels), and
//! per panel the coefficient rows, the indicator rows (controls, fixed effects), the
//! statistics and the Hausman test.

use std::collections::BTreeSet;

use super::super::escape::{thousands, Digits};
use super::super::input::{
    HausmanPair, ModelBlock, R2Choice, ReportInput, TableLayout, TableStyle,
};
use super::super::labels::{decapitalize, id_label, plural, variable_label, Text};
use super::super::table::{
    formatted, number, text_cell, validate_name, Align, Cell, HeaderSpan, Row, Table,
};
use super::{
    block_controls, coefficient_rows, estimator_name, estimator_short, r2_label, r2_of, se_note,
    star_count, star_legend, star_thresholds, CoefRow, Entry,
};
use crate::estimate::{EstimationResult, Estimator};
use crate::report::input::ControlsDisplay;

/// A panel: the block's columns it shows, left to right, and the estimator all of them use
/// when the table is split by estimator.
struct Panel {
    estimator: Option<Estimator>,
    columns: Vec<usize>,
}

/// The panels of a block: one with every column, or with `layout = "panels"` and more than
/// one estimator, one per estimator in order of first appearance.
fn panels(block: &ModelBlock, layout: TableLayout) -> Vec<Panel> {
    let all = || Panel {
        estimator: None,
        columns: (0..block.columns.len()).collect(),
    };
    if layout != TableLayout::Panels {
        return vec![all()];
    }
    let mut out: Vec<Panel> = Vec::new();
    for (c, col) in block.columns.iter().enumerate() {
        let e = col.result.estimator;
        match out.iter_mut().find(|p| p.estimator == Some(e)) {
            Some(p) => p.columns.push(c),
            None => out.push(Panel {
                estimator: Some(e),
                columns: vec![c],
            }),
        }
    }
    if out.len() < 2 {
        return vec![all()];
    }
    out
}

/// "Panel A", "Panel B", … (after Z: "Panel 27").
fn panel_name(i: usize) -> String {
    match u8::try_from(i).ok().filter(|i| *i < 26) {
        Some(i) => format!("Panel {}", (b'A' + i) as char),
        None => format!("Panel {}", i + 1),
    }
}

/// Where a block column is displayed: (panel index, position in the panel).
fn position(panels: &[Panel], c: usize) -> Option<(usize, usize)> {
    panels
        .iter()
        .enumerate()
        .find_map(|(p, panel)| panel.columns.iter().position(|x| *x == c).map(|j| (p, j)))
}

/// "(1)–(4)", "(1), (3)" for 0-based display positions.
fn position_list(cols: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < cols.len() {
        let mut j = i;
        while j + 1 < cols.len() && cols[j + 1] == cols[j] + 1 {
            j += 1;
        }
        if j > i + 1 {
            parts.push(format!("({})–({})", cols[i] + 1, cols[j] + 1));
        } else {
            for c in &cols[i..=j] {
                parts.push(format!("({})", c + 1));
            }
        }
        i = j + 1;
    }
    parts.join(", ")
}

/// Block columns as the table numbers them: "(1)–(4)", or "Panel A (1), (2); Panel B (1)".
fn column_refs(panels: &[Panel], cols: &[usize]) -> String {
    if panels.len() == 1 {
        let mut pos: Vec<usize> = cols
            .iter()
            .filter_map(|c| position(panels, *c).map(|p| p.1))
            .collect();
        pos.sort_unstable();
        return position_list(&pos);
    }
    let mut parts = Vec::new();
    for (p, _) in panels.iter().enumerate() {
        let mut pos: Vec<usize> = cols
            .iter()
            .filter_map(|c| position(panels, *c).filter(|x| x.0 == p).map(|x| x.1))
            .collect();
        if pos.is_empty() {
            continue;
        }
        pos.sort_unstable();
        parts.push(format!("{} {}", panel_name(p), position_list(&pos)));
    }
    parts.join("; ")
}

/// Coefficient rows of a panel: estimate (stars) over (standard error); and whether a
/// coefficient was omitted.
fn coefficient_cells(
    rows: &[CoefRow],
    cols: &[usize],
    thresholds: &[f64],
    digits: Digits,
) -> (Vec<Row>, bool) {
    let mut out = Vec::new();
    let mut any_omitted = false;
    for r in rows {
        let mut top = Vec::with_capacity(cols.len());
        let mut bottom = Vec::with_capacity(cols.len());
        for c in cols {
            match r.entries.get(*c).copied().flatten() {
                Some(Entry::Estimated { coef, se, p, .. }) => {
                    let (c_text, se_text) = digits.estimate(coef, se);
                    top.push(formatted(c_text, star_count(p, thresholds), false));
                    bottom.push(formatted(se_text, 0, true));
                }
                Some(Entry::Omitted) => {
                    any_omitted = true;
                    top.push(text_cell("(omitted)"));
                    bottom.push(Cell::Empty);
                }
                None => {
                    top.push(Cell::Empty);
                    bottom.push(Cell::Empty);
                }
            }
        }
        // A row no column of this panel estimates is left out of the panel.
        if top.iter().all(|c| *c == Cell::Empty) {
            continue;
        }
        out.push(Row {
            label: r.label.clone(),
            cells: top,
            space_after: false,
        });
        out.push(Row {
            label: Text::default(),
            cells: bottom,
            space_after: true,
        });
    }
    if let Some(last) = out.last_mut() {
        last.space_after = false;
    }
    (out, any_omitted)
}

fn yes_no(b: bool) -> Cell {
    text_cell(if b { "Yes" } else { "No" })
}

/// Indicator rows of a panel: one Yes/No row per control (with `controls = "indicators"`),
/// then the panel and time fixed effects.
fn indicator_rows(block: &ModelBlock, cols: &[usize], input: &ReportInput) -> Vec<Row> {
    let mut out = Vec::new();
    if input.settings.controls == ControlsDisplay::Indicators {
        for v in block_controls(block) {
            out.push(Row {
                label: variable_label(&v, &input.labels),
                cells: cols
                    .iter()
                    .map(|c| yes_no(block.columns[*c].controls_included.contains(&v)))
                    .collect(),
                space_after: false,
            });
        }
    }
    let results: Vec<&EstimationResult> = cols.iter().map(|c| &block.columns[*c].result).collect();
    let Some(first) = results.first() else {
        return out;
    };
    let panel_fe = |r: &&EstimationResult| r.estimator.info().panel_effects;
    let time_fe = |r: &&EstimationResult| r.estimator.info().time_effects;
    if results.iter().any(panel_fe) {
        out.push(Row {
            label: Text::plain(format!("{} FE", id_label(&first.panel_var, &input.labels))),
            cells: results.iter().map(|r| yes_no(panel_fe(r))).collect(),
            space_after: false,
        });
    }
    if results.iter().any(time_fe) {
        out.push(Row {
            label: Text::plain(format!("{} FE", id_label(&first.time_var, &input.labels))),
            cells: results.iter().map(|r| yes_no(time_fe(r))).collect(),
            space_after: false,
        });
    }
    // Factors absorbed by hdfe / ppml, one row each (`exporter^year` → "Exporter × year FE").
    let mut terms: Vec<&str> = Vec::new();
    for a in results.iter().filter_map(|r| r.absorbed.as_ref()) {
        for t in &a.absorb {
            if !terms.contains(&t.as_str()) {
                terms.push(t);
            }
        }
    }
    for term in terms {
        let parts: Vec<String> = term
            .split('^')
            .enumerate()
            .map(|(i, p)| {
                let l = id_label(p, &input.labels);
                if i == 0 {
                    l
                } else {
                    decapitalize(&l)
                }
            })
            .collect();
        out.push(Row {
            label: Text::plain(format!("{} FE", parts.join(" × "))),
            cells: results
                .iter()
                .map(|r| {
                    yes_no(
                        r.absorbed
                            .as_ref()
                            .is_some_and(|a| a.absorb.iter().any(|t| t == term)),
                    )
                })
                .collect(),
            space_after: false,
        });
    }
    out
}

/// Statistics rows of a panel: observations, groups, R² (one row per kind present).
fn statistics_rows(block: &ModelBlock, cols: &[usize], input: &ReportInput) -> Vec<Row> {
    let settings = &input.settings;
    let results: Vec<&EstimationResult> = cols.iter().map(|c| &block.columns[*c].result).collect();
    let Some(first) = results.first() else {
        return Vec::new();
    };
    let mut stats = vec![Row {
        label: Text::plain("Observations"),
        cells: results
            .iter()
            .map(|r| text_cell(&thousands(r.sample.n_obs as u64)))
            .collect(),
        space_after: false,
    }];
    let groups_label = settings.groups_label.clone().unwrap_or_else(|| {
        format!(
            "Number of {}",
            plural(&decapitalize(&id_label(&first.panel_var, &input.labels)))
        )
    });
    stats.push(Row {
        label: Text::plain(groups_label),
        cells: results
            .iter()
            .map(|r| text_cell(&thousands(r.sample.n_groups as u64)))
            .collect(),
        space_after: false,
    });
    let r2: Vec<(R2Choice, Option<f64>)> = results.iter().map(|r| r2_of(r, settings.r2)).collect();
    let mut kinds: Vec<R2Choice> = Vec::new();
    for (kind, _) in &r2 {
        if !kinds.contains(kind) {
            kinds.push(*kind);
        }
    }
    for kind in kinds {
        if r2.iter().all(|(kd, v)| kd != &kind || v.is_none()) {
            continue; // no column has this R² (PPML reports a pseudo-R² below)
        }
        stats.push(Row {
            label: r2_label(kind),
            cells: r2
                .iter()
                .map(|(kd, v)| match (kd == &kind, v) {
                    (true, Some(v)) => number(*v, settings.digits, 0, false),
                    _ => Cell::Empty,
                })
                .collect(),
            space_after: false,
        });
    }
    let pseudo = |r: &&EstimationResult| {
        r.absorbed
            .as_ref()
            .and_then(|a| a.ppml.as_ref())
            .map(|p| p.pseudo_r2)
    };
    if results.iter().any(|r| pseudo(r).is_some()) {
        stats.push(Row {
            label: Text::styled("Pseudo R²", "Pseudo $R^2$"),
            cells: results
                .iter()
                .map(|r| match pseudo(r) {
                    Some(v) => number(v, settings.digits, 0, false),
                    None => Cell::Empty,
                })
                .collect(),
            space_after: false,
        });
    }
    stats
}

/// The observations absorbed-effects fits left out before estimating, as reghdfe and
/// ppmlhdfe report them: singletons of an absorbed factor, and (PPML) observations separated
/// by the fixed effects (a level whose outcome is all zero). No note when none was dropped.
fn absorbed_notes(block: &ModelBlock, panels: &[Panel]) -> Vec<Text> {
    let count = |f: &dyn Fn(&crate::estimate::HdfeInfo) -> usize| -> Vec<(usize, usize)> {
        block
            .columns
            .iter()
            .enumerate()
            .filter_map(|(c, col)| col.result.absorbed.as_ref().map(|a| (c, f(a))))
            .filter(|(_, n)| *n > 0)
            .collect()
    };
    let listed = |counts: &[(usize, usize)]| -> String {
        counts
            .iter()
            .map(|(c, n)| format!("{} {}", column_refs(panels, &[*c]), thousands(*n as u64)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = Vec::new();
    let singletons = count(&|a| a.singletons_dropped);
    if !singletons.is_empty() {
        out.push(Text::plain(format!(
            "Singleton observations of the absorbed fixed effects dropped before estimation (as reghdfe does): {}.",
            listed(&singletons)
        )));
    }
    let separated = count(&|a| a.separation_dropped);
    if !separated.is_empty() {
        out.push(Text::plain(format!(
            "Observations separated by the fixed effects (an effect whose outcomes are all zero) dropped before estimation (as ppmlhdfe does): {}.",
            listed(&separated)
        )));
    }
    out
}

/// Checks the Hausman pairs of a block name two different columns, each in one pair.
fn check_hausman_pairs(block: &ModelBlock) -> Result<(), crate::report::ReportError> {
    let k = block.columns.len();
    let mut used = BTreeSet::new();
    for h in &block.hausman {
        let (fe, re) = (h.fe_column, h.re_column);
        if fe >= k || re >= k || fe == re {
            return Err(crate::report::ReportError::Model {
                model: block.name.clone(),
                message: format!(
                    "Hausman pair ({}, {}) does not name two different columns of the {k} columns",
                    fe + 1,
                    re + 1
                ),
            });
        }
        if !used.insert(fe) || !used.insert(re) {
            return Err(crate::report::ReportError::Model {
                model: block.name.clone(),
                message: format!(
                    "column ({}) or ({}) is in two Hausman pairs (fix: one test per column)",
                    fe + 1,
                    re + 1
                ),
            });
        }
    }
    Ok(())
}

/// The Hausman rows of panel `p`: a test shows under its RE column's panel; spanning its FE
/// and RE columns when both are adjacent in this panel.
fn hausman_rows(block: &ModelBlock, panels: &[Panel], p: usize, digits: Digits) -> Vec<Row> {
    let width = panels[p].columns.len();
    let mut chi = vec![Cell::Empty; width];
    let mut pv = vec![Cell::Empty; width];
    let mut any = false;
    for HausmanPair {
        fe_column,
        re_column,
        result,
    } in &block.hausman
    {
        let Some((rp, rj)) = position(panels, *re_column) else {
            continue;
        };
        if rp != p {
            continue;
        }
        any = true;
        let chi_cell = number(result.chi2, digits, 0, false);
        let p_cell = match result.p_value {
            Some(pv) => number(pv, digits, 0, false),
            None => text_cell("—"),
        };
        match position(panels, *fe_column) {
            Some((fp, fj)) if fp == p && fj.abs_diff(rj) == 1 => {
                let first = fj.min(rj);
                let at = rj - first;
                let span = |inner: Cell| Cell::Span {
                    inner: Box::new(inner),
                    span: 2,
                    markdown_at: at,
                };
                chi[first] = span(chi_cell);
                pv[first] = span(p_cell);
                chi[first + 1] = Cell::Empty;
                pv[first + 1] = Cell::Empty;
            }
            _ => {
                chi[rj] = chi_cell;
                pv[rj] = p_cell;
            }
        }
    }
    if !any {
        return Vec::new();
    }
    // A spanned-over cell must not be emitted in LaTeX: drop the Empty after each Span.
    let collapse = |cells: Vec<Cell>| -> Vec<Cell> {
        let mut out = Vec::with_capacity(cells.len());
        let mut skip = 0;
        for cell in cells {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            if let Cell::Span { span, .. } = &cell {
                skip = span - 1;
            }
            out.push(cell);
        }
        out
    };
    vec![
        Row {
            label: Text::styled("Hausman χ²", "Hausman $\\chi^2$"),
            cells: collapse(chi),
            space_after: false,
        },
        Row {
            label: Text::plain("Hausman p-value"),
            cells: collapse(pv),
            space_after: false,
        },
    ]
}

/// The notes of the Hausman tests: what was compared, the degrees of freedom, and the
/// tests' own notes.
fn hausman_notes(block: &ModelBlock, panels: &[Panel]) -> Vec<Text> {
    if block.hausman.is_empty() {
        return Vec::new();
    }
    let name = |c: usize| column_refs(panels, &[c]);
    let mut described = Vec::new();
    let mut notes = Vec::new();
    for h in &block.hausman {
        let (fe, re) = (name(h.fe_column), name(h.re_column));
        described.push(format!("{} for {fe} against {re}", h.result.df));
        if let Some(n) = &h.result.note {
            notes.push(Text::plain(format!("Hausman {fe} against {re}: {n}.")));
        }
    }
    notes.insert(
        0,
        Text::styled("Hausman test (χ²)", "Hausman test ($\\chi^2$)").push(format!(
            " of fixed against random effects on the common slopes; degrees of freedom: {}.",
            described.join("; ")
        )),
    );
    notes
}

/// Spans of equal consecutive texts over display positions `0..texts.len()`.
fn runs(texts: &[Text], rule: bool) -> Vec<HeaderSpan> {
    let mut out: Vec<HeaderSpan> = Vec::new();
    for (c, t) in texts.iter().enumerate() {
        match out.last_mut() {
            Some(s) if s.text == *t && s.last + 1 == c => s.last = c,
            _ => out.push(HeaderSpan {
                text: t.clone(),
                first: c,
                last: c,
                rule,
            }),
        }
    }
    out
}

/// The header: spanning rows (`groups`), the last LaTeX header row, the Markdown heads.
struct Header {
    groups: Vec<Vec<HeaderSpan>>,
    heads: Vec<Text>,
    markdown_heads: Vec<Text>,
}

/// The header of a table whose first panel shows `cols`.
fn header(block: &ModelBlock, panels: &[Panel], input: &ReportInput) -> Header {
    let cols = &panels[0].columns;
    let width = panels.iter().map(|p| p.columns.len()).max().unwrap_or(0);
    let split = panels.len() > 1;
    let dep = variable_label(&block.dependent, &input.labels);
    let mut groups = vec![vec![HeaderSpan {
        text: dep,
        first: 0,
        last: width.saturating_sub(1),
        rule: true,
    }]];
    let numbers: Vec<Text> = (1..=width).map(|i| Text::plain(format!("({i})"))).collect();
    let samples: Vec<Text> = cols
        .iter()
        .map(|c| {
            Text::plain(
                block.columns[*c]
                    .sample
                    .clone()
                    .unwrap_or_else(|| "Baseline".to_string()),
            )
        })
        .collect();
    let has_samples = cols.iter().any(|c| block.columns[*c].sample.is_some());
    let estimators: Vec<Text> = cols
        .iter()
        .map(|c| Text::plain(estimator_short(block.columns[*c].result.estimator)))
        .collect();
    let mut markdown_heads: Vec<Text> = Vec::with_capacity(width);
    for (j, c) in cols.iter().enumerate() {
        let col = &block.columns[*c];
        let mut s = format!("({})", j + 1);
        if !split {
            s.push(' ');
            s.push_str(estimator_short(col.result.estimator));
        }
        let extra = match input.settings.style {
            TableStyle::Labelled => col.label.clone(),
            TableStyle::Journal => col.sample.clone(),
        };
        if let Some(l) = extra {
            s.push(' ');
            s.push_str(&l);
        }
        markdown_heads.push(Text::plain(s));
    }
    while markdown_heads.len() < width {
        markdown_heads.push(Text::plain(format!("({})", markdown_heads.len() + 1)));
    }
    let heads = match input.settings.style {
        TableStyle::Journal => {
            if has_samples {
                groups.push(runs(&samples, true));
            }
            if split {
                numbers
            } else {
                groups.push(runs(&numbers, false));
                estimators
            }
        }
        TableStyle::Labelled => {
            if !split {
                let names: Vec<Text> = cols
                    .iter()
                    .map(|c| Text::plain(estimator_name(block.columns[*c].result.estimator).0))
                    .collect();
                groups.push(runs(&names, true));
            }
            if cols.iter().any(|c| block.columns[*c].label.is_some()) {
                groups.push(
                    cols.iter()
                        .enumerate()
                        .map(|(j, c)| HeaderSpan {
                            text: Text::plain(block.columns[*c].label.clone().unwrap_or_default()),
                            first: j,
                            last: j,
                            rule: false,
                        })
                        .collect(),
                );
            }
            numbers
        }
    };
    Header {
        groups,
        heads,
        markdown_heads,
    }
}

/// The regression table of one model block.
pub(crate) fn regression_table(
    block: &ModelBlock,
    input: &ReportInput,
) -> Result<Table, crate::report::ReportError> {
    validate_name(&block.name, "models.name")?;
    let settings = &input.settings;
    if block.columns.is_empty() {
        return Err(crate::report::ReportError::Model {
            model: block.name.clone(),
            message: "the block has no columns".into(),
        });
    }
    check_hausman_pairs(block)?;
    let thresholds = star_thresholds(settings)?;
    let rows = coefficient_rows(block, input)?;
    let panels = panels(block, settings.layout);
    let split = panels.len() > 1;
    let width = panels.iter().map(|p| p.columns.len()).max().unwrap_or(0);
    let pad = |mut cells: Vec<Cell>| {
        let spanned: usize = cells.iter().map(Cell::columns).sum();
        cells.extend(std::iter::repeat_n(
            Cell::Empty,
            width.saturating_sub(spanned),
        ));
        cells
    };

    let mut sections: Vec<Vec<Row>> = Vec::new();
    let mut headings: Vec<Option<Text>> = Vec::new();
    let mut any_omitted = false;
    for (p, panel) in panels.iter().enumerate() {
        let (coef_rows, omitted) =
            coefficient_cells(&rows, &panel.columns, &thresholds, settings.digits);
        any_omitted |= omitted;
        let mut stats = statistics_rows(block, &panel.columns, input);
        stats.extend(hausman_rows(block, &panels, p, settings.digits));
        let heading = panel
            .estimator
            .filter(|_| split)
            .map(|e| Text::plain(format!("{}: {}", panel_name(p), estimator_name(e).0)));
        let mut first_of_panel = true;
        for sec in [
            coef_rows,
            indicator_rows(block, &panel.columns, input),
            stats,
        ] {
            if sec.is_empty() {
                continue;
            }
            let sec = sec
                .into_iter()
                .map(|r| Row {
                    cells: pad(r.cells),
                    ..r
                })
                .collect();
            sections.push(sec);
            headings.push(if first_of_panel {
                heading.clone()
            } else {
                None
            });
            first_of_panel = false;
        }
    }

    // Notes.
    let mut notes = vec![se_note(block, input, |cols| column_refs(&panels, cols))?];
    if let Some(l) = star_legend(&thresholds) {
        notes.push(l);
    }
    notes.extend(hausman_notes(block, &panels));
    notes.extend(absorbed_notes(block, &panels));
    if any_omitted {
        notes.push(Text::plain(
            "(omitted): regressor dropped because it is collinear with the constant, the fixed effects or earlier regressors.",
        ));
    }
    notes.extend(block.notes.iter().map(|n| Text::plain(n.clone())));

    let mut caption = Text::plain(block.title.clone());
    if let Some(v) = &block.variant {
        caption = caption.push(format!(" ({v})"));
    }
    let dep = variable_label(&block.dependent, &input.labels);
    let Header {
        groups,
        heads,
        markdown_heads,
    } = header(block, &panels, input);
    Ok(Table {
        name: block.name.clone(),
        kind: "regression",
        caption,
        stub_head: Text::default(),
        align: vec![Align::Decimal; width],
        groups,
        heads,
        markdown_heads,
        markdown_stub_head: Text::plain("Dependent variable: ").append(dep),
        sections,
        headings,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panel_names_and_positions() {
        assert_eq!(panel_name(0), "Panel A");
        assert_eq!(panel_name(25), "Panel Z");
        assert_eq!(panel_name(26), "Panel 27");
        assert_eq!(position_list(&[0, 1, 2, 3]), "(1)–(4)");
        assert_eq!(position_list(&[0, 2]), "(1), (3)");
        let panels = vec![
            Panel {
                estimator: Some(Estimator::Fe),
                columns: vec![0, 2, 4],
            },
            Panel {
                estimator: Some(Estimator::Re),
                columns: vec![1, 3, 5],
            },
        ];
        assert_eq!(position(&panels, 3), Some((1, 1)));
        assert_eq!(
            column_refs(&panels, &[0, 1, 2, 3, 4, 5]),
            "Panel A (1)–(3); Panel B (1)–(3)"
        );
        assert_eq!(column_refs(&panels[..1], &[0, 4]), "(1), (3)");
    }
}
