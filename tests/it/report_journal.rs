//! Journal-ready regression tables (issue #17): numbered columns with an estimator row,
//! Yes/No rows for controls, panels per estimator, esttab's adaptive digits, a wide table on a
//! landscape page at no less than `\footnotesize`; and the indicator table of the demo showing
//! each variable's own values, checked against `panel.parquet`.

use crate::cli_foundation::demo_in;
use crate::common::{self, gvc};
use crate::report::{
    compile, compile_dir, file, fit_one, grunfeld, input, labels, sequential_block, table_lines,
};

use gvc::estimate::{Estimator, Vce};
use gvc::report::{
    render, ControlsDisplay, Digits, ModelBlock, ModelColumn, ReportInput, TableLayout, TableStyle,
};

/// The rows of a Markdown table whose first cell is `label`.
fn rows_labelled<'a>(rows: &'a [Vec<String>], label: &str) -> Vec<&'a Vec<String>> {
    rows.iter().filter(|r| r[0] == label).collect()
}

/// One FE column on Grunfeld whose coefficients and standard errors are set to the values
/// the issue names: a standard error of 0.00042 and one of 12.3.
fn block_with_errors(g: &crate::report::Grunfeld) -> ModelBlock {
    let mut res = fit_one(g, &["value", "capital"], Estimator::Fe, Vce::Conventional);
    let at = |name: &str| {
        res.coef_names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no coefficient {name} in {:?}", res.coef_names))
    };
    let (v, c) = (at("value"), at("capital"));
    res.coefficients[v] = 0.0123;
    res.coefficients[c] = 1234.5678;
    let p = res.primary_covariance;
    res.covariances[p].std_error[v] = 0.00042;
    res.covariances[p].std_error[c] = 12.3;
    ModelBlock {
        name: "errors".into(),
        title: "Small and large standard errors".into(),
        dependent: "invest".into(),
        variant: None,
        columns: vec![ModelColumn {
            label: None,
            controls_included: vec![],
            sample: None,
            result: res,
        }],
        hausman: vec![],
        notes: vec![],
    }
}

fn report_of(block: ModelBlock, digits: Digits) -> ReportInput {
    let mut inp = ReportInput {
        title: "t".into(),
        description: None,
        notes: vec![],
        sample_note: None,
        settings: Default::default(),
        labels: labels(),
        country_names: Default::default(),
        models: vec![block],
        descriptives: vec![],
        missing: vec![],
        indicators: vec![],
        multiverse: None,
    };
    inp.settings.digits = digits;
    inp
}

#[test]
fn auto_digits_keep_two_significant_digits_of_every_standard_error() {
    let Some(g) = grunfeld() else { return };
    let files = render(&report_of(block_with_errors(&g), Digits::Auto), None).expect("render");
    let rows = table_lines(file(&files, "tables/errors.md"));
    let value = rows_labelled(&rows, "Market value");
    let at = rows
        .iter()
        .position(|r| r[0] == "Market value")
        .expect("value row");
    assert_eq!(value[0][1], "0.01230***", "{rows:?}");
    assert_eq!(rows[at + 1][1], "(0.00042)", "{rows:?}");
    let at = rows
        .iter()
        .position(|r| r[0] == "Capital stock")
        .expect("capital row");
    assert!(rows[at][1].starts_with("1234.6"), "{rows:?}");
    assert_eq!(rows[at + 1][1], "(12.3)", "{rows:?}");
    let tex = file(&files, "tables/errors.tex");
    assert!(tex.contains("(0.00042)") && tex.contains("(12.3)"), "{tex}");
    // Three fixed decimals print the small error as zero: what `auto` is for.
    let files = render(&report_of(block_with_errors(&g), Digits::Fixed(3)), None).expect("render");
    let rows = table_lines(file(&files, "tables/errors.md"));
    let at = rows
        .iter()
        .position(|r| r[0] == "Market value")
        .expect("value row");
    assert_eq!(rows[at + 1][1], "(0.000)", "{rows:?}");
    assert_eq!(
        rows[rows
            .iter()
            .position(|r| r[0] == "Capital stock")
            .expect("row")
            + 1][1],
        "(12.300)"
    );
}

#[test]
fn journal_style_numbers_columns_names_estimators_and_indicates_controls() {
    let Some(g) = grunfeld() else { return };
    let mut inp = input(&g);
    inp.settings.controls = ControlsDisplay::Indicators;
    inp.settings.style = TableStyle::Journal;
    let files = render(&inp, None).expect("render");
    let rows = table_lines(file(&files, "tables/investment.md"));
    assert_eq!(
        rows[0][1..].to_vec(),
        vec!["(1) FE", "(2) FE", "(3) FE", "(4) RE", "(5) RE", "(6) RE"]
    );
    // The controls (capital, L.capital) are Yes/No rows, not coefficient rows.
    let capital = rows_labelled(&rows, "Capital stock");
    assert_eq!(
        capital.len(),
        1,
        "one indicator row, no coefficient row: {rows:?}"
    );
    assert_eq!(capital[0][1..], ["No", "Yes", "Yes", "No", "Yes", "Yes"]);
    let at = rows
        .iter()
        .position(|r| r[0] == "Capital stock")
        .expect("row");
    assert_eq!(rows[at + 1][1..], ["No", "No", "Yes", "No", "No", "Yes"]);
    assert_eq!(rows_labelled(&rows, "Market value").len(), 1);
    // LaTeX: (1)…(6) over one FE/RE row, no long column labels.
    let tex = file(&files, "tables/investment.tex");
    let header: Vec<&str> = tex
        .lines()
        .skip_while(|l| !l.starts_with("\\toprule"))
        .take_while(|l| !l.starts_with("\\midrule"))
        .collect();
    assert!(
        header
            .iter()
            .any(|l| l.contains("{(1)}") && l.contains("{(6)}")),
        "{header:?}"
    );
    assert!(
        header
            .iter()
            .any(|l| l.matches("{FE}").count() == 3 && l.matches("{RE}").count() == 3),
        "{header:?}"
    );
    assert!(!tex.contains("Fixed effects"), "{tex}");
    // The old style stays available: spanning estimator names over their columns.
    inp.settings.style = TableStyle::Labelled;
    let files = render(&inp, None).expect("render");
    let tex = file(&files, "tables/investment.tex");
    assert!(tex.contains("\\multicolumn{3}{c}{Fixed effects}"), "{tex}");
}

#[test]
fn panels_layout_stacks_one_panel_per_estimator() {
    let Some(g) = grunfeld() else { return };
    let mut inp = input(&g);
    inp.settings.style = TableStyle::Journal;
    inp.settings.layout = TableLayout::Panels;
    let files = render(&inp, None).expect("render");
    let rows = table_lines(file(&files, "tables/investment.md"));
    assert_eq!(rows[0][1..], ["(1)", "(2)", "(3)"], "{rows:?}");
    let a = rows.iter().position(|r| r[0] == "*Panel A: Fixed effects*");
    let b = rows
        .iter()
        .position(|r| r[0] == "*Panel B: Random effects*");
    let (Some(a), Some(b)) = (a, b) else {
        panic!("no panel headings: {rows:?}")
    };
    assert!(a < b);
    let obs: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r[0] == "Observations")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(obs.len(), 2, "statistics per panel");
    assert!(obs[0] > a && obs[0] < b && obs[1] > b);
    let hausman = rows
        .iter()
        .position(|r| r[0] == "Hausman χ²")
        .expect("hausman");
    assert!(hausman > b, "the Hausman test sits under the RE panel");
    assert!(
        rows[hausman][1..4].iter().all(|c| !c.is_empty()),
        "{rows:?}"
    );
    let md = file(&files, "tables/investment.md");
    assert!(md.contains("degrees of freedom: 1 for Panel A (1) against Panel B (1); 2 for Panel A (2) against Panel B (2)"), "{md}");
    let tex = file(&files, "tables/investment.tex");
    assert!(
        tex.contains("\\multicolumn{4}{l}{\\textit{Panel B: Random effects}}"),
        "{tex}"
    );
}

/// A 12-column block: the FE and RE columns twice.
fn wide_block(g: &crate::report::Grunfeld) -> ModelBlock {
    let mut b = sequential_block(g);
    let again: Vec<ModelColumn> = b.columns.clone();
    b.columns.extend(again);
    b.hausman.clear();
    b.name = "wide".into();
    b
}

#[test]
fn a_wide_table_goes_sideways_at_footnotesize_never_shrunk() {
    let Some(g) = grunfeld() else { return };
    let mut inp = input(&g);
    inp.settings.style = TableStyle::Journal;
    inp.models.push(wide_block(&g));
    let files = render(&inp, None).expect("render");
    let report = file(&files, "report.tex");
    for bad in ["\\resizebox", "\\scalebox", "\\scriptsize", "\\tiny"] {
        for (path, text) in files.iter().filter(|(p, _)| p.starts_with("tables/")) {
            assert!(!text.contains(bad), "{bad} in {path}");
        }
    }
    assert!(!report.contains("\\resizebox") && !report.contains("\\scriptsize"));
    let wide = file(&files, "tables/wide.tex");
    assert!(wide.contains("\\footnotesize"), "{wide}");
    assert!(
        wide.contains("\\begin{sidewaystable}") && wide.contains("gvctablebody@wide"),
        "{wide}"
    );
    let Some(dir) = compile_dir("wide") else {
        return;
    };
    compile(&files, &dir);
    // The wide table is set sideways: its caption is on a page whose text runs up the page,
    // which pdftotext reads as one word per line; and the font is \footnotesize in the log.
    let log = std::fs::read_to_string(dir.join("report.log")).expect("log");
    assert!(!log.contains("Overfull"), "{log}");
}

/// The demo's Table 1 shows each indicator variable as the panel holds it (the VAX share is
/// a share of gross exports, not the VAX level), at the printed precision.
#[test]
fn demo_indicator_table_shows_the_panel_values_of_each_variable() {
    let dir = demo_in("journal-demo-indicators");
    let (code, out, err) = gvc(&dir, &["run", "demo.toml", "-q"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let out = dir.join("output/demo");
    let frame = common::read_parquet(&out.join("panel.parquet"));
    let spec: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.join("demo.toml")).unwrap())
            .expect("demo.toml");
    let md = std::fs::read_to_string(out.join("tables/gvc_indicators.md")).unwrap();
    let rows = table_lines(&md);
    let header = &rows[0];
    let (first, last) = (2007, 2017);
    let mut checked = 0;
    for (name, def) in spec["variables"].as_table().expect("variables") {
        if !def["from"]
            .as_str()
            .unwrap_or("")
            .starts_with("decomposition.")
        {
            continue;
        }
        let label = def["label"].as_str().expect("label");
        let values = frame.column(name).unwrap().f64().unwrap().clone();
        let country = frame.column("country").unwrap().str().unwrap().clone();
        let year = frame
            .column("year")
            .unwrap()
            .cast(&polars::prelude::DataType::Int64)
            .unwrap();
        let year = year.i64().unwrap().clone();
        for y in [first, last] {
            let col = header
                .iter()
                .position(|h| *h == format!("{label} {y}"))
                .unwrap_or_else(|| panic!("no column `{label} {y}` in {header:?}"));
            for r in rows.iter().skip(2) {
                let printed = &r[col];
                let i = (0..frame.height())
                    .find(|&i| country.get(i) == Some(r[0].as_str()) && year.get(i) == Some(y))
                    .unwrap_or_else(|| panic!("{} {y} not in the panel", r[0]));
                let v = values.get(i).expect("value");
                let decimals = printed.split('.').nth(1).map_or(0, str::len);
                let shown: f64 = printed.parse().unwrap_or_else(|_| panic!("`{printed}`"));
                let unit = 10f64.powi(-(decimals as i32));
                assert!(
                    (shown - v).abs() <= 0.5 * unit + 1e-12,
                    "{label} {} {y}: printed {printed}, panel {v}",
                    r[0]
                );
                checked += 1;
            }
        }
        if name == "vax_share" {
            let v = values.iter().flatten().next().expect("a value");
            assert!(v > 0.0 && v < 1.0, "the VAX share is a share: {v}");
        }
    }
    assert_eq!(
        checked,
        3 * 2 * 10,
        "three indicator variables, two years, ten countries"
    );
}
