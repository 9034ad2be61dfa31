//! Report rendering on real estimates: FE and RE with sequential controls on the Grunfeld data
//! (fitted here with the real estimator), Hausman under each pair, stars checked against the
//! p-values, escaping, template overrides, determinism, and a pdflatex compile when available.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use gvc::estimate::{
    build_design, fit, hausman, DesignSpec, EstimationResult, Estimator, FitOptions,
    HausmanVariant, IdColumn, PanelData, Vce,
};
use gvc::report::{
    context_json, render, ControlsDisplay, DescriptiveRow, HausmanPair, IndicatorRow,
    IndicatorSettings, MissingRow, ModelBlock, ModelColumn, ReportError, ReportInput,
    ReportSettings, TableStyle,
};

const STEPS: [&[&str]; 3] = [
    &["value"],
    &["value", "capital"],
    &["value", "capital", "L.capital"],
];

pub(crate) struct Grunfeld {
    data: PanelData,
    columns: BTreeMap<String, Vec<f64>>,
}

pub(crate) fn grunfeld() -> Option<Grunfeld> {
    let shared = common::shared_dir("report tests on the Grunfeld data")?;
    let path = shared.join("golden/econometrics/grunfeld10.csv");
    let mut rdr = csv::Reader::from_path(&path).expect("open grunfeld10.csv");
    let headers = rdr.headers().expect("header").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let (firm, year) = (col("firm"), col("year"));
    let mut ids = Vec::new();
    let mut years = Vec::new();
    let mut columns: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.expect("record");
        ids.push(Some(rec[firm].parse::<i64>().expect("firm")));
        years.push(Some(rec[year].parse::<i64>().expect("year")));
        for name in ["invest", "value", "capital"] {
            columns
                .entry(name.to_string())
                .or_default()
                .push(rec[col(name)].parse::<f64>().expect("number"));
        }
    }
    let mut data = PanelData::new("firm", IdColumn::Int(&ids), "year", &years).expect("panel");
    for (name, v) in &columns {
        data.add_f64_column(name, v).expect("column");
    }
    // Constant within each firm: absorbed by the firm effects (omitted under FE).
    let size: Vec<f64> = ids.iter().map(|i| (i.unwrap_or(0) % 3) as f64).collect();
    data.add_f64_column("size_class", &size).expect("column");
    columns.insert("size_class".into(), size);
    Some(Grunfeld { data, columns })
}

pub(crate) fn fit_one(
    g: &Grunfeld,
    regressors: &[&str],
    estimator: Estimator,
    vce: Vce,
) -> EstimationResult {
    let design = build_design(&g.data, &DesignSpec::new("invest", regressors)).expect("design");
    fit(&design, estimator, &FitOptions::with_vce(vce)).expect("fit")
}

pub(crate) fn labels() -> BTreeMap<String, String> {
    [
        ("invest", "Gross investment"),
        ("value", "Market value"),
        ("capital", "Capital stock"),
        ("firm", "Firm"),
        ("size_class", "Size class"),
        ("gvc_participation", "GVC participation"),
        ("gvc_position", "GVC position"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

/// Block with FE (1)–(3) then RE (4)–(6), one column per sequential-control step.
pub(crate) fn sequential_block(g: &Grunfeld) -> ModelBlock {
    let mut columns = Vec::new();
    let mut hausman_pairs = Vec::new();
    for est in [Estimator::Fe, Estimator::Re] {
        for step in STEPS {
            columns.push(ModelColumn {
                label: None,
                controls_included: step.iter().skip(1).map(|s| s.to_string()).collect(),
                sample: None,
                result: fit_one(g, step, est, Vce::Cluster),
            });
        }
    }
    for (i, step) in STEPS.iter().enumerate() {
        let fe = fit_one(g, step, Estimator::Fe, Vce::Conventional);
        let re = fit_one(g, step, Estimator::Re, Vce::Conventional);
        hausman_pairs.push(HausmanPair {
            fe_column: i,
            re_column: i + STEPS.len(),
            result: hausman(&fe, &re, HausmanVariant::Default).expect("hausman"),
        });
    }
    ModelBlock {
        name: "investment".into(),
        title: "Investment: fixed and random effects with sequential controls".into(),
        dependent: "invest".into(),
        variant: None,
        columns,
        hausman: hausman_pairs,
        notes: vec!["Grunfeld data, 10 firms, 1935–1954.".into()],
    }
}

/// Block with adjacent FE/RE pairs, a two-way FE column and a regressor omitted under FE.
fn paired_block(g: &Grunfeld) -> ModelBlock {
    let regs: &[&str] = &["value", "capital", "size_class"];
    let fe = fit_one(g, regs, Estimator::Fe, Vce::Conventional);
    let re = fit_one(g, regs, Estimator::Re, Vce::Conventional);
    let h = hausman(&fe, &re, HausmanVariant::Default).expect("hausman");
    let fe2 = fit_one(g, &["value", "capital"], Estimator::Fe2, Vce::Robust);
    ModelBlock {
        name: "investment_pairs".into(),
        title: "Investment: FE against RE side by side".into(),
        dependent: "invest".into(),
        variant: Some("robustness: size classes".into()),
        columns: vec![
            ModelColumn {
                label: None,
                controls_included: vec![],
                sample: None,
                result: fe,
            },
            ModelColumn {
                label: None,
                controls_included: vec![],
                sample: None,
                result: re,
            },
            ModelColumn {
                label: Some("two-way".into()),
                controls_included: vec![],
                sample: None,
                result: fe2,
            },
        ],
        hausman: vec![HausmanPair {
            fe_column: 0,
            re_column: 1,
            result: h,
        }],
        notes: vec![],
    }
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let ss: f64 = v.iter().map(|x| (x - m) * (x - m)).sum();
    (m, (ss / (n - 1.0)).sqrt())
}

fn synthetic_indicators() -> Vec<IndicatorRow> {
    let countries = ["PRC", "VIE", "THA", "KAZ", "POL", "IND"];
    let mut rows = Vec::new();
    for (ci, c) in countries.iter().enumerate() {
        for year in 2007..=2017 {
            if *c == "KAZ" && year == 2012 {
                continue; // a gap in the series
            }
            let t = f64::from(year - 2007);
            let k = ci as f64;
            rows.push(IndicatorRow {
                country: c.to_string(),
                year,
                measure: "gvc_participation".into(),
                value: 0.35 + 0.04 * k + 0.01 * t * (1.0 + 0.3 * (k - 2.0)).sin(),
            });
            rows.push(IndicatorRow {
                country: c.to_string(),
                year,
                measure: "gvc_position".into(),
                value: -0.12 + 0.05 * k - 0.008 * t * (0.5 * k).cos(),
            });
        }
    }
    rows
}

pub(crate) fn input(g: &Grunfeld) -> ReportInput {
    let descriptives = ["invest", "value", "capital"]
        .iter()
        .map(|name| {
            let v = &g.columns[*name];
            let (m, sd) = mean_sd(v);
            let mut s = v.clone();
            s.sort_by(f64::total_cmp);
            DescriptiveRow {
                variable: name.to_string(),
                n: v.len(),
                mean: Some(m),
                sd: Some(sd),
                min: s.first().copied(),
                p50: Some((s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0),
                max: s.last().copied(),
            }
        })
        .collect();
    ReportInput {
        title: "Investment & GVCs: a test report".into(),
        description: Some("Sequential controls, FE against RE, 95% intervals.".into()),
        notes: vec!["Values in millions of 1947 dollars.".into()],
        sample_note: Some("10 firms, 1935–1954".into()),
        settings: ReportSettings {
            indicators: IndicatorSettings {
                highlight: vec!["PRC".into(), "VIE".into()],
                ..Default::default()
            },
            // These tests check the first style (labelled columns, every coefficient); the
            // journal defaults have their own tests (report_journal.rs).
            style: TableStyle::Labelled,
            controls: ControlsDisplay::Coefficients,
            ..Default::default()
        },
        labels: labels(),
        country_names: [("PRC", "China"), ("VIE", "Viet Nam"), ("THA", "Thailand")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        models: vec![sequential_block(g), paired_block(g)],
        descriptives,
        missing: vec![
            MissingRow {
                variable: "invest".into(),
                n_missing: 0,
                n_rows: 200,
                cells: vec![],
            },
            MissingRow {
                variable: "L.capital".into(),
                n_missing: 10,
                n_rows: 200,
                cells: (1..=10).map(|f| (format!("F{f:02}"), 1935)).collect(),
            },
        ],
        indicators: synthetic_indicators(),
        multiverse: None,
    }
}

pub(crate) fn file<'a>(files: &'a [(String, String)], path: &str) -> &'a str {
    files
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, c)| c.as_str())
        .unwrap_or_else(|| {
            panic!(
                "no output {path}; outputs: {:?}",
                files.iter().map(|f| &f.0).collect::<Vec<_>>()
            )
        })
}

/// Cells of a GFM table row (`| a | b |` → ["a", "b"]), unescaping `\|`.
fn md_cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'|') {
            cur.push('|');
            chars.next();
        } else if c == '|' {
            cells.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    cells.push(cur.trim().to_string());
    cells
}

pub(crate) fn table_lines(md: &str) -> Vec<Vec<String>> {
    md.lines()
        .filter(|l| l.starts_with('|'))
        .map(md_cells)
        .collect()
}

fn expected_stars(p: f64, thresholds: &[f64]) -> usize {
    thresholds.iter().filter(|t| p < **t).count()
}

#[test]
fn sequential_fe_re_table_with_hausman_and_correct_stars() {
    let Some(g) = grunfeld() else { return };
    let input = input(&g);
    let files = render(&input, None).expect("render");
    let md = file(&files, "tables/investment.md");
    let rows = table_lines(md);
    // Header: stub + one column per sequential-control step for FE, then for RE.
    let header = &rows[0];
    assert_eq!(
        header[1..].to_vec(),
        vec!["(1) FE", "(2) FE", "(3) FE", "(4) RE", "(5) RE", "(6) RE"],
        "{md}"
    );
    assert!(
        header[0].contains("Gross investment"),
        "dependent variable in the stub head"
    );
    assert!(rows[1].iter().all(|c| c.starts_with(':')), "alignment row");

    let block = &input.models[0];
    let thresholds = [0.10, 0.05, 0.01];
    let term_of_label: BTreeMap<&str, &str> = [
        ("Market value", "value"),
        ("Capital stock", "capital"),
        ("Capital stock (t−1)", "L.capital"),
        ("Constant", "_cons"),
    ]
    .into_iter()
    .collect();
    let mut checked = 0;
    let mut starred = 0;
    for w in rows.windows(2) {
        let (top, below) = (&w[0], &w[1]);
        let Some(term) = term_of_label.get(top[0].as_str()) else {
            continue;
        };
        assert_eq!(below[0], "", "standard-error row below {term}");
        for (c, col) in block.columns.iter().enumerate() {
            let cell = &top[c + 1];
            let se_cell = &below[c + 1];
            let res = &col.result;
            match res.index_of(term) {
                None => assert!(
                    cell.is_empty() && se_cell.is_empty(),
                    "{term} ({}) should be empty",
                    c + 1
                ),
                Some(i) => {
                    let cov = res.primary().expect("primary covariance");
                    let stars = cell.chars().rev().take_while(|ch| *ch == '*').count();
                    let number = cell.trim_end_matches('*');
                    assert_eq!(
                        number,
                        format!("{:.3}", res.coefficients[i]),
                        "{term} ({})",
                        c + 1
                    );
                    assert_eq!(
                        stars,
                        expected_stars(cov.p_value[i], &thresholds),
                        "{term} column ({}): p = {} but {stars} stars",
                        c + 1,
                        cov.p_value[i]
                    );
                    assert_eq!(se_cell, &format!("({:.3})", cov.std_error[i]));
                    checked += 1;
                    starred += usize::from(stars > 0);
                }
            }
        }
    }
    // value, capital in 6 columns, L.capital in 2, constant in 6.
    assert_eq!(checked, 6 + 4 + 2 + 6, "{md}");
    assert!(
        starred > 0 && starred < checked,
        "stars should discriminate: {starred}/{checked}"
    );

    // N, groups, R² kinds, FE indicators, Hausman under the RE column of each pair.
    let find = |label: &str| {
        rows.iter()
            .find(|r| r[0] == label)
            .unwrap_or_else(|| panic!("row {label} missing in\n{md}"))
            .clone()
    };
    let n = find("Observations");
    for (c, col) in block.columns.iter().enumerate() {
        assert_eq!(n[c + 1], col.result.sample.n_obs.to_string());
    }
    assert_eq!(find("Number of firms")[1], "10");
    assert_eq!(
        find("Firm FE")[1..].to_vec(),
        vec!["Yes", "Yes", "Yes", "No", "No", "No"]
    );
    let within = find("R² within");
    let overall = find("R² overall");
    assert_eq!(
        within[1],
        format!(
            "{:.3}",
            block.columns[0].result.fit.r2_within.expect("r2 within")
        )
    );
    assert!(within[4].is_empty() && overall[1].is_empty());
    assert_eq!(
        overall[4],
        format!(
            "{:.3}",
            block.columns[3].result.fit.r2_overall.expect("r2 overall")
        )
    );
    let chi = find("Hausman χ²");
    let pv = find("Hausman p-value");
    for pair in &block.hausman {
        assert!(chi[pair.fe_column + 1].is_empty());
        assert_eq!(chi[pair.re_column + 1], format!("{:.3}", pair.result.chi2));
        let p = pair.result.p_value.expect("p");
        assert_eq!(pv[pair.re_column + 1], format!("{p:.3}"));
    }
    // Notes: clustered standard errors, legend from the thresholds in use.
    assert!(
        md.contains("Standard errors clustered by firm (10 clusters) in parentheses."),
        "{md}"
    );
    assert!(
        md.contains("\\* p < 0.10, \\*\\* p < 0.05, \\*\\*\\* p < 0.01."),
        "{md}"
    );

    // LaTeX: spanning headers with rules, stars as superscripts, booktabs.
    let tex = file(&files, "tables/investment.tex");
    assert!(
        tex.contains("\\multicolumn{6}{c}{Gross investment}"),
        "{tex}"
    );
    assert!(
        tex.contains("\\multicolumn{3}{c}{Fixed effects} & \\multicolumn{3}{c}{Random effects}"),
        "{tex}"
    );
    assert!(
        tex.contains("\\cmidrule(lr){2-4} \\cmidrule(lr){5-7}"),
        "{tex}"
    );
    assert!(tex.contains("Capital stock ($t-1$)"), "{tex}");
    assert!(tex.contains("\\toprule") && tex.contains("\\bottomrule"));
    assert!(tex.contains("^{***}"), "{tex}");
}

#[test]
fn adjacent_pair_spans_hausman_and_marks_omitted() {
    let Some(g) = grunfeld() else { return };
    let files = render(&input(&g), None).expect("render");
    let md = file(&files, "tables/investment_pairs.md");
    let rows = table_lines(md);
    assert_eq!(
        rows[0][1..].to_vec(),
        vec!["(1) FE", "(2) RE", "(3) TWFE two-way"]
    );
    let size = rows
        .iter()
        .find(|r| r[0] == "Size class")
        .expect("size row");
    assert_eq!(size[1], "(omitted)", "{md}");
    assert!(
        size[2].starts_with(|c: char| c == '-' || c.is_ascii_digit()),
        "{md}"
    );
    let year_fe = rows
        .iter()
        .find(|r| r[0] == "Year FE")
        .expect("Year FE row");
    assert_eq!(year_fe[1..].to_vec(), vec!["No", "No", "Yes"]);
    assert!(
        !md.contains("1936.year") && !md.contains("Year = 1936"),
        "year dummies hidden"
    );
    assert!(
        md.contains("(1) conventional standard errors") || md.contains("(1), (2) conventional"),
        "{md}"
    );
    let tex = file(&files, "tables/investment_pairs.tex");
    assert!(
        tex.contains("\\multicolumn{2}{c}{"),
        "Hausman spans the adjacent pair: {tex}"
    );
    assert!(tex.contains("\\multicolumn{1}{c}{(omitted)}"), "{tex}");
}

/// `[report] hausman_details`: one table per FE/RE pair with the columns of Stata's `hausman fe
/// re` (b, B, b−B, √diag(V_b−V_B)) and the χ² line; every cell equals the Stata reference
/// (golden/econometrics/grunfeld10_hausman.json) at the printed 6 decimals.
#[test]
fn hausman_details_print_what_stata_hausman_prints() {
    let Some(g) = grunfeld() else { return };
    let shared = common::shared_dir("the Stata hausman reference").expect("shared");
    let golden = common::read_json(&shared.join("golden/econometrics/grunfeld10_hausman.json"));
    let golden = &golden["default"];
    let regs: &[&str] = &["value", "capital"];
    let fe = fit_one(&g, regs, Estimator::Fe, Vce::Conventional);
    let re = fit_one(&g, regs, Estimator::Re, Vce::Conventional);
    let h = hausman(&fe, &re, HausmanVariant::Default).expect("hausman");
    let column = |result| ModelColumn {
        label: None,
        controls_included: vec![],
        sample: None,
        result,
    };
    let mut inp = input(&g);
    inp.models = vec![ModelBlock {
        name: "inv".into(),
        title: "Investment".into(),
        dependent: "invest".into(),
        variant: None,
        columns: vec![column(fe), column(re)],
        hausman: vec![HausmanPair {
            fe_column: 0,
            re_column: 1,
            result: h,
        }],
        notes: vec![],
    }];
    inp.settings.digits = gvc::report::Digits::Fixed(6);
    let off = render(&inp, None).expect("render");
    assert!(
        off.iter().all(|(p, _)| !p.contains("hausman")),
        "details are opt-in"
    );
    inp.settings.hausman_details = true;
    let files = render(&inp, None).expect("render");
    let md = file(&files, "tables/inv_hausman.md");
    let rows = table_lines(md);
    let fmt = |x: &serde_json::Value| format!("{:.6}", x.as_f64().expect("number"));
    for (label, name) in [("Market value", "value"), ("Capital stock", "capital")] {
        let row = rows
            .iter()
            .find(|r| r[0] == label)
            .unwrap_or_else(|| panic!("no {label} row in\n{md}"));
        let want: Vec<String> = ["b_consistent", "b_efficient", "difference", "se_difference"]
            .iter()
            .map(|k| fmt(&golden[k][name]))
            .collect();
        assert_eq!(row[1..].to_vec(), want, "{name}:\n{md}");
    }
    let chi2 = format!(
        "χ²(2) = (b−B)'[(V_b−V_B)⁻¹](b−B) = {}; p = {}.",
        fmt(&golden["chi2"]),
        fmt(&golden["p"])
    );
    assert!(md.contains(&chi2), "want `{chi2}` in\n{md}");
    let report = file(&files, "report.md");
    assert!(
        report.contains("Hausman tests: the coefficients compared"),
        "{report}"
    );
    let tex = file(&files, "tables/inv_hausman.tex");
    assert!(tex.contains("$\\chi^2(2)$"), "{tex}");
}

#[test]
fn labels_with_special_characters_are_escaped() {
    let Some(g) = grunfeld() else { return };
    let mut input = input(&g);
    input
        .labels
        .insert("value".into(), "R&D_intensity 100%".into());
    input
        .labels
        .insert("capital".into(), "Cost | share #1 {x}".into());
    input
        .country_names
        .insert("THA".into(), "Thai_land & Co $".into());
    let files = render(&input, None).expect("render");
    let md = file(&files, "tables/investment.md");
    assert!(md.contains("| R&D_intensity 100%"), "{md}");
    let rows = table_lines(md);
    assert!(
        rows.iter().any(|r| r[0] == "Cost | share #1 {x}"),
        "pipe escaped in Markdown: {md}"
    );
    let tex = file(&files, "tables/investment.tex");
    assert!(tex.contains("R\\&D\\_intensity 100\\%"), "{tex}");
    assert!(tex.contains("Cost \\textbar{} share \\#1 \\{x\\}"), "{tex}");
    let report = file(&files, "report.tex");
    assert!(
        report.contains("Thai\\_land \\& Co \\$"),
        "country names escaped"
    );
    assert!(report.contains("Investment \\& GVCs"), "title escaped");
    assert!(!report.contains("R&D_intensity"), "no raw label in LaTeX");
    if let Some(dir) = compile_dir("escaping") {
        compile(&files, &dir);
    }
}

#[test]
fn renders_are_byte_identical() {
    let Some(g) = grunfeld() else { return };
    let input = input(&g);
    let a = render(&input, None).expect("render");
    let b = render(&input, None).expect("render");
    assert_eq!(a, b);
    let names: Vec<&str> = a.iter().map(|(p, _)| p.as_str()).collect();
    for expected in [
        "report.md",
        "report.tex",
        "tables/investment.md",
        "tables/investment.tex",
        "tables/descriptives.tex",
        "tables/missing.md",
        "tables/gvc_indicators.md",
        "tables/gvc_position_by_year.tex",
        "figures/gvc_position_over_time.svg",
        "figures/gvc_participation_over_time.tex",
        "figures/coefplot_investment.svg",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    // Via JSON (as the engine caches it) the input renders to the same bytes.
    let json = serde_json::to_string(&input).expect("serialise input");
    let back: ReportInput = serde_json::from_str(&json).expect("read input");
    assert_eq!(render(&back, None).expect("render"), a);
    let ctx = context_json(&input).expect("context");
    let v: serde_json::Value = serde_json::from_str(&ctx).expect("context is JSON");
    assert_eq!(v["latex"]["regressions"][0]["name"], "investment");
    assert_eq!(
        v["markdown"]["regressions"][0]["header"][0]["cells"][1]
            .as_str()
            .map(str::trim),
        Some("(1) FE")
    );
}

#[test]
fn indicator_tables_and_figures() {
    let Some(g) = grunfeld() else { return };
    let input = input(&g);
    let files = render(&input, None).expect("render");
    let md = file(&files, "tables/gvc_indicators.md");
    let rows = table_lines(md);
    // Sorted by the last-year participation, highest first; change = last − first.
    let value = |c: &str, y: i32, m: &str| {
        input
            .indicators
            .iter()
            .find(|r| r.country == c && r.year == y && r.measure == m)
            .map(|r| r.value)
            .expect("value")
    };
    let body: Vec<&Vec<String>> = rows.iter().skip(2).collect();
    let last: Vec<f64> = body
        .iter()
        .map(|r| r[2].parse::<f64>().expect("number"))
        .collect();
    assert!(
        last.windows(2).all(|w| w[0] >= w[1]),
        "sorted descending: {md}"
    );
    let prc = body.iter().find(|r| r[0] == "China").expect("China row");
    let change = value("PRC", 2017, "gvc_participation") - value("PRC", 2007, "gvc_participation");
    assert_eq!(prc[3], format!("{change:.3}"));
    let svg = file(&files, "figures/gvc_position_over_time.svg");
    assert!(svg.starts_with("<svg") && svg.contains("China") && svg.contains("Viet Nam"));
    assert!(
        svg.contains(">2007<") && svg.contains(">2017<"),
        "year ticks"
    );
    let report = file(&files, "report.md");
    assert!(
        report.contains("![Figure 1](figures/gvc_participation_over_time.svg)"),
        "{report}"
    );
    assert!(report.contains("figures/coefplot_investment.svg"));
    let by_year = file(&files, "tables/gvc_position_by_year.md");
    let kaz = table_lines(by_year)
        .into_iter()
        .find(|r| r[0] == "KAZ")
        .expect("KAZ row");
    assert_eq!(kaz[6], "—", "the 2012 gap shows as a dash");
}

/// An economy with no trade (all rows and columns zero) has no participation or position:
/// the decomposition gives NaN (docs/measures.md), which the indicator tables show as missing
/// instead of failing the report.
#[test]
fn missing_indicators_of_an_economy_without_trade_show_as_missing() {
    let Some(g) = grunfeld() else { return };
    let mut input = input(&g);
    for year in 2007..=2017 {
        for measure in ["gvc_participation", "gvc_position"] {
            input.indicators.push(IndicatorRow {
                country: "MAL".into(),
                year,
                measure: measure.into(),
                value: f64::NAN,
            });
        }
    }
    let files = render(&input, None).expect("render with NaN indicators");
    let summary = table_lines(file(&files, "tables/gvc_indicators.md"));
    let mal = summary
        .iter()
        .find(|r| r[0] == "MAL" || r[0] == "Malaysia")
        .expect("MAL row");
    assert!(mal[1..].iter().all(|c| c == "—"), "{mal:?}");
    let by_year = table_lines(file(&files, "tables/gvc_position_by_year.md"));
    let mal = by_year
        .iter()
        .find(|r| r[0] == "MAL" || r[0] == "Malaysia")
        .expect("MAL row in the by-year table");
    assert!(mal[1..].iter().all(|c| c == "—"), "{mal:?}");
    // the sample mean is over the countries with a value
    let svg = file(&files, "figures/gvc_position_over_time.svg");
    assert!(
        !svg.contains("Malaysia") && !svg.contains(">MAL<"),
        "no line for MAL"
    );
}

#[test]
fn user_template_overrides_builtin() {
    let Some(g) = grunfeld() else { return };
    let input = input(&g);
    let dir = std::env::temp_dir().join(format!("gvc-report-override-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("table.md.tera"),
        "CUSTOM {{ table.name }} with {{ table.n_columns }} columns\n",
    )
    .expect("write");
    let files = render(&input, Some(&dir)).expect("render with override");
    assert_eq!(
        file(&files, "tables/investment.md"),
        "CUSTOM investment with 7 columns\n"
    );
    assert!(file(&files, "report.md").contains("CUSTOM investment_pairs with 4 columns"));
    assert!(
        file(&files, "tables/investment.tex").contains("\\begin{table}"),
        "LaTeX untouched"
    );

    // A broken override names the template and the variable.
    std::fs::write(
        dir.join("report.md.tera"),
        "# {{ title }}\n{{ no_such.thing }}\n",
    )
    .expect("write");
    match render(&input, Some(&dir)) {
        Err(ReportError::Template {
            template,
            location,
            variable,
            chain,
        }) => {
            assert_eq!(template, "report.md.tera");
            assert!(
                location
                    .as_deref()
                    .is_some_and(|l| l.ends_with("report.md.tera:2")),
                "{location:?}"
            );
            assert_eq!(variable.as_deref(), Some("no_such.thing"));
            assert!(chain.len() >= 2, "{chain:?}");
        }
        other => panic!("expected a template error, got {other:?}"),
    }
    let err = render(&input, Some(&dir.join("absent"))).expect_err("missing folder");
    assert!(matches!(err, ReportError::ReadTemplate { .. }), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_settings_are_named() {
    let Some(g) = grunfeld() else { return };
    let mut input = input(&g);
    input.settings.stars = vec![0.1, 0.0];
    let err = render(&input, None).expect_err("bad stars");
    assert!(err.to_string().contains("report setting `stars`"), "{err}");
    let mut input2 = self::input(&g);
    input2.models[0].name = "../escape".into();
    let err = render(&input2, None).expect_err("bad name");
    assert!(
        err.to_string().contains("cannot be used as a file name"),
        "{err}"
    );
    let mut input3 = self::input(&g);
    input3.models[1].name = "descriptives".into();
    let err = render(&input3, None).expect_err("duplicate");
    assert!(matches!(err, ReportError::DuplicateOutput { .. }), "{err}");
    let mut input4 = self::input(&g);
    input4.settings.indicators.highlight = vec!["XXX".into()];
    let err = render(&input4, None).expect_err("unknown highlight");
    assert!(err.to_string().contains("indicators.highlight"), "{err}");
}

pub(crate) fn compile_dir(tag: &str) -> Option<PathBuf> {
    let found = Command::new("pdflatex").arg("--version").output().is_ok();
    if !found {
        eprintln!("SKIPPED pdflatex compile ({tag}): pdflatex not on PATH (Debian: apt-get install texlive-latex-recommended texlive-latex-extra)");
        return None;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("report-pdf-{tag}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    Some(dir)
}

fn run_pdflatex(dir: &Path, file: &str) {
    for _ in 0..2 {
        let out = Command::new("pdflatex")
            .args(["-interaction=nonstopmode", "-halt-on-error", file])
            .current_dir(dir)
            .output()
            .expect("run pdflatex");
        let log = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "pdflatex {file} failed in {}:\n{log}",
            dir.display()
        );
        assert!(
            !log.contains("Overfull \\hbox"),
            "overfull box in {file}:\n{log}"
        );
    }
}

pub(crate) fn compile(files: &[(String, String)], dir: &Path) {
    for (path, contents) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("dir");
        std::fs::write(&p, contents).expect("write");
    }
    run_pdflatex(dir, "report.tex");
    assert!(dir.join("report.pdf").is_file());
    // The fragments compile when \input into a paper that loads the documented packages.
    let tables: Vec<&String> = files
        .iter()
        .map(|(p, _)| p)
        .filter(|p| p.ends_with(".tex") && p.as_str() != "report.tex")
        .collect();
    let mut paper = String::from(
        "\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage[a4paper,margin=2.5cm]{geometry}\n\\usepackage{graphicx,booktabs,dcolumn,threeparttable,rotating}\n\\begin{document}\n",
    );
    for t in tables {
        paper.push_str(&format!("\\input{{{t}}}\n\\clearpage\n"));
    }
    paper.push_str("\\end{document}\n");
    std::fs::write(dir.join("paper.tex"), paper).expect("write");
    run_pdflatex(dir, "paper.tex");
    eprintln!("compiled {}/report.pdf and paper.pdf", dir.display());
}

#[test]
fn report_tex_compiles_with_pdflatex() {
    let Some(g) = grunfeld() else { return };
    let Some(dir) = compile_dir("full") else {
        return;
    };
    let mut inp = input(&g);
    inp.settings.hausman_details = true;
    let files = render(&inp, None).expect("render");
    assert!(files
        .iter()
        .any(|(p, _)| p == "tables/investment_pairs_hausman.tex"));
    compile(&files, &dir);
}
