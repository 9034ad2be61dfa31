//! Panel transforms and assembly: the golden calendar lag, hand-computed perpetual-inventory
//! stocks and spillovers, the TOML form of transforms, and assembly rules.

use crate::common;

use gvc::panel::transforms::{self, GapFill, MissingHost, PimSpec, Transform};
use gvc::panel::{
    assemble, Bilateral, PanelError, PanelInputs, Sample, Series, VariableDef, VariableSpec,
};
use gvc::sources::countries::CodeSystem;
use gvc::sources::synthetic_panel;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

fn var(name: &str, toml_text: &str) -> VariableDef {
    let spec: VariableSpec = toml::from_str(toml_text).unwrap();
    VariableDef::new(name, spec)
}

fn series(rows: &[(&str, i32, f64)]) -> Series {
    Series::from_triples(rows.iter().map(|&(c, y, v)| (c, y, v))).unwrap()
}

/// `{ lag = 1 }` reproduces Stata's `L.invest_share` (calendar lag, missing after gaps, late
/// entry, early exit) on every row of the golden synthetic panel.
#[test]
fn calendar_lag_matches_golden_stata_lag() {
    let Some(shared) = common::shared_dir("golden calendar lag") else {
        return;
    };
    let path = shared.join("golden/econometrics/synthetic_country_panel.csv");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (cc, cy, cx, cl) = (
        col("country"),
        col("year"),
        col("invest_share"),
        col("L_invest_share_expected"),
    );
    let mut rows = Vec::new();
    for record in reader.records() {
        let r = record.unwrap();
        let expected = (!r[cl].is_empty()).then(|| r[cl].parse::<f64>().unwrap());
        rows.push((
            r[cc].to_string(),
            r[cy].parse::<i32>().unwrap(),
            r[cx].parse::<f64>().unwrap(),
            expected,
        ));
    }
    assert_eq!(rows.len(), 368);
    let mut inputs = PanelInputs::new();
    inputs
        .add_series(
            "invest_share",
            None,
            rows.iter().map(|(c, y, x, _)| (c.clone(), *y, *x)),
        )
        .unwrap();
    let mut countries: Vec<String> = Vec::new();
    for (c, ..) in &rows {
        if !countries.contains(c) {
            countries.push(c.clone());
        }
    }
    let sample = Sample {
        countries,
        codes: None,
        first_year: 2010,
        last_year: 2020,
        exclude_years: Vec::new(),
        ..Default::default()
    };
    let vars = vec![
        var("invest_share", "from = \"invest_share\""),
        var(
            "L_invest_share",
            "from = \"invest_share\"\ntransform = { lag = 1 }",
        ),
    ];
    let out = assemble(&inputs, &vars, &sample).unwrap();
    assert_eq!(out.panel.n_rows(), 35 * 11); // balanced skeleton
    let (mut present, mut absent, mut worst) = (0, 0, 0.0f64);
    for (c, y, _, expected) in &rows {
        let got = out.panel.value("L_invest_share", c, *y);
        match (got, expected) {
            (Some(g), Some(e)) => {
                worst = worst.max(common::rel_diff(g, *e));
                present += 1;
            }
            (None, None) => absent += 1,
            _ => panic!("country {c} year {y}: got {got:?}, expected {expected:?}"),
        }
    }
    println!("L.invest_share: {present} lags, {absent} missing, worst relative error {worst:e}");
    assert_eq!(present, 331); // the README's estimation sample
    assert!(worst <= 1e-9);
}

/// Perpetual-inventory stocks computed by hand.
#[test]
fn pim_stock_hand_examples() {
    // Country A: I = 100, 110, 121, 133.1 (2000–2003); δ = 0.05, growth_years = 2.
    //   g = mean(110/100 − 1, 121/110 − 1) = mean(0.1, 0.1) = 0.1
    //   S_2000 = 100 / (0.1 + 0.05) = 2000/3            = 666.666…
    //   S_2001 = 0.95 · 2000/3 + 110 = 1900/3 + 330/3    = 2230/3 = 743.333…
    //   S_2002 = 0.95 · 2230/3 + 121 = 2118.5/3 + 363/3  = 2481.5/3 = 827.1666…
    //   S_2003 = 0.95 · 2481.5/3 + 133.1 = 2357.425/3 + 399.3/3 = 2756.725/3 = 918.908333…
    // Country B: I = 50, 60, (missing), 70 (2000–2003); δ = 0.05, growth_years = 3.
    //   only one growth rate before the gap: g = 60/50 − 1 = 0.2 (noted: fewer than 3 years)
    //   S_2000 = 50 / 0.25 = 200; S_2001 = 0.95 · 200 + 60 = 250; no stock for 2002 and 2003.
    let flow = series(&[
        ("A", 2000, 100.0),
        ("A", 2001, 110.0),
        ("A", 2002, 121.0),
        ("A", 2003, 133.1),
        ("B", 2000, 50.0),
        ("B", 2001, 60.0),
        ("B", 2003, 70.0),
    ]);
    let a = transforms::pim_stock(
        &flow,
        PimSpec {
            delta: 0.05,
            growth_years: 2,
            fill: GapFill::None,
        },
    );
    for (y, e) in [
        (2000, 2000.0 / 3.0),
        (2001, 2230.0 / 3.0),
        (2002, 2481.5 / 3.0),
        (2003, 2756.725 / 3.0),
    ] {
        let got = a.series.get("A", y).unwrap();
        assert!(close(got, e), "A {y}: {got} vs {e}");
    }
    let b = transforms::pim_stock(
        &flow,
        PimSpec {
            delta: 0.05,
            growth_years: 3,
            fill: GapFill::None,
        },
    );
    assert!(close(b.series.get("B", 2000).unwrap(), 200.0));
    assert!(close(b.series.get("B", 2001).unwrap(), 250.0));
    assert_eq!(b.series.get("B", 2002), None);
    assert_eq!(b.series.get("B", 2003), None);
    let after_gap = b
        .notes
        .iter()
        .find(|n| n.message.contains("after a missing flow"))
        .unwrap();
    assert_eq!(after_gap.cases, vec![("B".to_string(), 2003)]);
    assert!(b
        .notes
        .iter()
        .any(|n| n.message.contains("fewer than 3 years")
            && n.cases == vec![("B".to_string(), 2000)]));

    // With fill = "interpolate": I_2002 = 60 + (70 − 60)·(2002 − 2001)/(2003 − 2001) = 65.
    //   g = (60/50 − 1 + 65/60 − 1 + 70/65 − 1)/3 = (0.2 + 5/60 + 5/65)/3
    //   S_2000 = 50/(g + 0.05); S_2001 = 0.95 S_2000 + 60; S_2002 = 0.95 S_2001 + 65;
    //   S_2003 = 0.95 S_2002 + 70.
    let c = transforms::pim_stock(
        &flow,
        PimSpec {
            delta: 0.05,
            growth_years: 3,
            fill: GapFill::Interpolate,
        },
    );
    let g = (0.2 + 5.0 / 60.0 + 5.0 / 65.0) / 3.0;
    let s0 = 50.0 / (g + 0.05);
    let s1 = 0.95 * s0 + 60.0;
    let s2 = 0.95 * s1 + 65.0;
    let s3 = 0.95 * s2 + 70.0;
    for (y, e) in [(2000, s0), (2001, s1), (2002, s2), (2003, s3)] {
        assert!(close(c.series.get("B", y).unwrap(), e), "B {y}");
    }
    assert!(c
        .notes
        .iter()
        .any(|n| n.message.contains("interpolation") && n.cases == vec![("B".to_string(), 2002)]));

    // A single year: no growth rate, no stock (noted). g + δ ≤ 0: no stock (noted).
    let lone = series(&[("C", 2000, 5.0), ("D", 2000, 100.0), ("D", 2001, 50.0)]);
    let d = transforms::pim_stock(
        &lone,
        PimSpec {
            delta: 0.05,
            growth_years: 1,
            fill: GapFill::None,
        },
    );
    assert!(d.series.is_empty()); // D: g = −0.5, g + δ = −0.45
    assert_eq!(d.notes.len(), 2);
}

/// Lichtenberg–van Pottelsberghe spillover computed by hand.
#[test]
fn lp_spillover_hand_example() {
    // OFDI (reporter → host): A→B 10, A→C 20 (2010); A→B 12, A→D 5 (2011); A→A 99 (2010, ignored);
    // E→A 7 (2010).
    // K: B 100, C 400, A 70 (2010); B 120 (2011); D 2011 missing.
    // S^d: B 50, C 80, A 10 (2010); B 60, D 30 (2011).
    //   S^f_A,2010 = 10/100·50 + 20/400·80 = 5 + 4 = 9
    //   S^f_A,2011 = missing (D has no K)   | with missing_host = "skip": 12/120·60 = 6
    //   S^f_E,2010 = 7/70·10 = 1
    let ofdi = Bilateral::from_rows([
        ("A", "B", 2010, 10.0),
        ("A", "C", 2010, 20.0),
        ("A", "A", 2010, 99.0),
        ("A", "B", 2011, 12.0),
        ("A", "D", 2011, 5.0),
        ("E", "A", 2010, 7.0),
    ])
    .unwrap();
    let k = series(&[
        ("B", 2010, 100.0),
        ("C", 2010, 400.0),
        ("A", 2010, 70.0),
        ("B", 2011, 120.0),
    ]);
    let sd = series(&[
        ("B", 2010, 50.0),
        ("C", 2010, 80.0),
        ("A", 2010, 10.0),
        ("B", 2011, 60.0),
        ("D", 2011, 30.0),
    ]);
    let out = transforms::lp_spillover(&sd, &ofdi, &k, MissingHost::Missing);
    assert!(close(out.series.get("A", 2010).unwrap(), 9.0));
    assert_eq!(out.series.get("A", 2011), None);
    assert!(close(out.series.get("E", 2010).unwrap(), 1.0));
    assert_eq!(out.series.get("E", 2011), None); // no OFDI row: missing, not zero
    assert!(out
        .notes
        .iter()
        .any(|n| n.message.contains("hosts: D") && n.cases == vec![("A".to_string(), 2011)]));
    assert!(out
        .notes
        .iter()
        .any(|n| n.message.contains("itself") && n.cases == vec![("A".to_string(), 2010)]));
    let skip = transforms::lp_spillover(&sd, &ofdi, &k, MissingHost::Skip);
    assert!(close(skip.series.get("A", 2011).unwrap(), 6.0));

    // The same through the panel: R&D stock variable → spillover variable, OFDI as a
    // bilateral input, capital as an input series.
    let mut inputs = PanelInputs::new();
    inputs
        .add_series(
            "src.rd_stock",
            None,
            sd.iter().map(|(c, y, v)| (c.to_string(), y, v)),
        )
        .unwrap();
    inputs
        .add_series(
            "src.k",
            None,
            k.iter().map(|(c, y, v)| (c.to_string(), y, v)),
        )
        .unwrap();
    inputs
        .add_bilateral(
            "ofdi",
            None,
            ofdi.iter()
                .map(|(r, p, y, v)| (r.to_string(), p.to_string(), y, v)),
        )
        .unwrap();
    let vars = vec![
        var("sofdi", "from = \"rdk\"\ntransform = { lp_spillover = { ofdi = \"ofdi\", capital = \"src.k\" } }\nlabel = \"OFDI spillover\""),
        var("rdk", "from = \"src.rd_stock\""),
    ];
    let sample = Sample {
        countries: vec!["A".into(), "E".into()],
        codes: None,
        first_year: 2010,
        last_year: 2011,
        exclude_years: Vec::new(),
        ..Default::default()
    };
    let out = assemble(&inputs, &vars, &sample).unwrap();
    assert!(close(out.panel.value("sofdi", "A", 2010).unwrap(), 9.0));
    assert!(close(out.panel.value("sofdi", "E", 2010).unwrap(), 1.0));
    assert_eq!(out.panel.value("sofdi", "A", 2011), None);
    assert_eq!(
        out.panel.column("sofdi").unwrap().label.as_deref(),
        Some("OFDI spillover")
    );
    assert_eq!(out.missing[0].n_missing, 2); // A 2011 and E 2011
}

#[test]
fn transforms_deserialize_from_toml() {
    let v: VariableSpec =
        toml::from_str("from = \"wdi.SE.TER.ENRR\"\ntransform = \"log\"").unwrap();
    assert_eq!(v.transform, vec![Transform::Log]);
    let v: VariableSpec = toml::from_str(
        "from = \"x\"\ntransform = [\"growth\", { lag = 2 }, { scale = 100 }, { winsorize = { lower = 1, upper = 99 } }, { pim_stock = { delta = 0.05 } }, { ratio = \"gdp\" }]",
    )
    .unwrap();
    assert_eq!(v.transform.len(), 6);
    assert_eq!(v.transform[1], Transform::Lag(2));
    assert_eq!(v.transform[2], Transform::Scale(100.0));
    assert_eq!(
        v.transform[4],
        Transform::PimStock(PimSpec {
            delta: 0.05,
            growth_years: 5,
            fill: GapFill::None
        })
    );
    assert_eq!(v.transform[5], Transform::Ratio("gdp".into()));
    let v: VariableSpec = toml::from_str("from = \"x\"").unwrap();
    assert!(v.transform.is_empty());
    for bad in [
        "from = \"x\"\ntransform = \"logg\"",
        "from = \"x\"\ntransform = { lag = -1 }",
        "from = \"x\"\ntransform = { pim_stock = { delta = 0.05, growthyears = 5 } }",
        "from = \"x\"\ntransfrom = \"log\"",
    ] {
        assert!(
            toml::from_str::<VariableSpec>(bad).is_err(),
            "accepted: {bad}"
        );
    }
    let err = toml::from_str::<VariableSpec>("from = \"x\"\ntransform = \"logg\"").unwrap_err();
    assert!(err.to_string().contains("log1p"), "{err}"); // lists the valid variants
}

/// Composition, harmonisation, notes and descriptives on a small panel.
#[test]
fn assembly_composes_and_reports() {
    let mut inputs = PanelInputs::new();
    // decomposition output in ADB codes, WDI in ISO3
    inputs
        .add_indicators(
            "decomposition",
            Some(CodeSystem::Adb),
            [
                ("PRC", 2008, "gvc_position".to_string(), 0.1),
                ("PRC", 2009, "gvc_position".to_string(), 0.2),
                ("INO", 2008, "gvc_position".to_string(), -0.1),
                ("INO", 2009, "gvc_position".to_string(), 0.3),
            ],
        )
        .unwrap();
    inputs
        .add_series(
            "wdi.SE.TER.ENRR",
            Some(CodeSystem::Iso3),
            [
                ("CHN", 2007, 20.0),
                ("CHN", 2008, 22.0),
                ("CHN", 2009, 0.0),
                ("IDN", 2008, 18.0),
            ],
        )
        .unwrap();
    let vars = vec![
        var("gvcl", "from = \"decomposition.gvc_position\""),
        var("h", "from = \"wdi.SE.TER.ENRR\"\ntransform = \"log\""),
        var("h_lag", "from = \"h\"\ntransform = { lag = 1 }"),
        var(
            "growth_h",
            "from = \"wdi.SE.TER.ENRR\"\ntransform = \"growth\"",
        ),
        var("x", "from = \"gvcl\"\ntransform = { interaction = \"h\" }"),
        var(
            "h_asinh",
            "from = \"wdi.SE.TER.ENRR\"\ntransform = \"asinh\"",
        ),
    ];
    let sample = Sample {
        countries: vec!["PRC".into(), "INO".into()],
        codes: Some(CodeSystem::Adb),
        first_year: 2008,
        last_year: 2009,
        exclude_years: Vec::new(),
        ..Default::default()
    };
    let out = assemble(&inputs, &vars, &sample).unwrap();
    let p = &out.panel;
    assert_eq!(p.country, ["PRC", "PRC", "INO", "INO"]);
    assert_eq!(p.year, [2008, 2009, 2008, 2009]);
    assert_eq!(p.value("h", "PRC", 2008), Some(22f64.ln()));
    assert_eq!(p.value("h", "PRC", 2009), None); // log(0) → missing, noted
    assert_eq!(p.value("h_lag", "PRC", 2008), Some(20f64.ln())); // 2007 is before the sample
    assert_eq!(p.value("h_lag", "PRC", 2009), Some(22f64.ln()));
    assert!(close(p.value("growth_h", "PRC", 2008).unwrap(), 10.0)); // 100·(22/20 − 1)
    assert_eq!(p.value("growth_h", "PRC", 2009), Some(-100.0));
    assert_eq!(p.value("x", "INO", 2008), Some(-0.1 * 18f64.ln()));
    // asinh keeps the zero that log drops: asinh 0 = 0, asinh 22 = ln(22 + √485).
    assert_eq!(p.value("h_asinh", "PRC", 2009), Some(0.0));
    assert!(close(
        p.value("h_asinh", "PRC", 2008).unwrap(),
        (22.0 + 485f64.sqrt()).ln()
    ));
    let log_note = out
        .notes
        .iter()
        .find(|n| n.variable.as_deref() == Some("h"))
        .unwrap();
    assert_eq!(log_note.cases, vec![("PRC".to_string(), 2009)]); // in sample codes
    assert!(log_note.message.contains("non-positive"));
    let h_missing = out.missing.iter().find(|m| m.variable == "h").unwrap();
    assert_eq!(h_missing.n_missing, 2);
    assert_eq!(
        h_missing.cells,
        vec![("PRC".to_string(), 2009), ("INO".to_string(), 2009)]
    );
    let d = out
        .descriptives
        .iter()
        .find(|d| d.variable == "gvcl")
        .unwrap();
    // 0.1, 0.2, −0.1, 0.3: mean 0.125; deviations −0.025, 0.075, −0.225, 0.175 →
    // SS = 0.000625 + 0.005625 + 0.050625 + 0.030625 = 0.0875, sd = sqrt(0.0875/3);
    // median = (0.1 + 0.2)/2 = 0.15
    assert_eq!(d.n, 4);
    assert!(close(d.mean.unwrap(), 0.125));
    assert!(close(d.sd.unwrap(), (0.0875f64 / 3.0).sqrt()));
    assert!(close(d.p50.unwrap(), 0.15));
    assert_eq!((d.min, d.max), (Some(-0.1), Some(0.3)));

    // An input code that is not valid in its declared system is an error naming the input
    // (WLD is a WDI aggregate, not an ISO3 code).
    let mut bad = inputs.clone();
    bad.add_series("wdi.BAD", Some(CodeSystem::Iso3), [("WLD", 2008, 30.0)])
        .unwrap();
    let err = assemble(&bad, &vars, &sample).unwrap_err();
    assert!(
        matches!(&err, PanelError::Country { series, .. } if series == "wdi.BAD"),
        "{err}"
    );

    // Excluding 2009 drops those rows and is noted.
    let excl = Sample {
        exclude_years: vec![2009],
        ..sample.clone()
    };
    let out = assemble(&inputs, &vars[..1], &excl).unwrap();
    assert_eq!(out.panel.year, [2008, 2008]);
    assert!(out
        .notes
        .iter()
        .any(|n| n.message.contains("excluded") && n.message.contains("2009")));
}

#[test]
fn assembly_errors_name_the_variable() {
    let mut inputs = PanelInputs::new();
    inputs
        .add_series(
            "wdi.NY.GDP.PCAP.KD.ZG",
            Some(CodeSystem::Iso3),
            [("CHN", 2010, 1.0)],
        )
        .unwrap();
    let sample = Sample {
        countries: vec!["PRC".into()],
        codes: Some(CodeSystem::Adb),
        first_year: 2010,
        last_year: 2010,
        exclude_years: Vec::new(),
        ..Default::default()
    };
    let err = assemble(
        &inputs,
        &[var("pgdp", "from = \"wdi.NY.GDP.PCAP.KD.ZS\"")],
        &sample,
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("variable `pgdp`") && text.contains("did you mean wdi.NY.GDP.PCAP.KD.ZG"),
        "{text}"
    );
    let err = assemble(
        &inputs,
        &[var(
            "r",
            "from = \"wdi.NY.GDP.PCAP.KD.ZG\"\ntransform = { ratio = \"gdpp\" }",
        )],
        &sample,
    )
    .unwrap_err();
    assert!(
        matches!(&err, PanelError::UnknownOperand { variable, .. } if variable == "r"),
        "{err}"
    );
    let err = assemble(
        &inputs,
        &[var("s", "from = \"wdi.NY.GDP.PCAP.KD.ZG\"\ntransform = { lp_spillover = { ofdi = \"ofdi\", capital = \"wdi.NY.GDP.PCAP.KD.ZG\" } }")],
        &sample,
    )
    .unwrap_err();
    assert!(
        matches!(&err, PanelError::UnknownBilateral { variable, .. } if variable == "s"),
        "{err}"
    );
    let err = assemble(
        &inputs,
        &[var(
            "z",
            "from = \"wdi.NY.GDP.PCAP.KD.ZG\"\ntransform = \"standardize\"",
        )],
        &sample,
    )
    .unwrap_err();
    assert!(
        matches!(&err, PanelError::TransformFailed { variable, .. } if variable == "z"),
        "{err}"
    );
    // no data in the sample years
    let late = Sample {
        first_year: 2015,
        last_year: 2016,
        ..sample.clone()
    };
    let err = assemble(
        &inputs,
        &[var("g", "from = \"wdi.NY.GDP.PCAP.KD.ZG\"")],
        &late,
    )
    .unwrap_err();
    assert!(
        matches!(&err, PanelError::NoData { variable, .. } if variable == "g"),
        "{err}"
    );
    assert!(err.to_string().contains("2010"), "{err}");
    // unmappable sample country
    let bad = Sample {
        countries: vec!["PRX".into()],
        ..sample.clone()
    };
    let err = assemble(
        &inputs,
        &[var("g", "from = \"wdi.NY.GDP.PCAP.KD.ZG\"")],
        &bad,
    )
    .unwrap_err();
    assert!(err.to_string().contains("PRC"), "{err}");
    // duplicate variable and duplicate sample country
    let two = [
        var("g", "from = \"wdi.NY.GDP.PCAP.KD.ZG\""),
        var("g", "from = \"wdi.NY.GDP.PCAP.KD.ZG\""),
    ];
    assert!(matches!(
        assemble(&inputs, &two, &sample),
        Err(PanelError::DuplicateVariable { .. })
    ));
    let dup = Sample {
        countries: vec!["PRC".into(), "PRC".into()],
        ..sample
    };
    assert!(matches!(
        assemble(
            &inputs,
            &[var("g", "from = \"wdi.NY.GDP.PCAP.KD.ZG\"")],
            &dup
        ),
        Err(PanelError::BadSample { .. })
    ));
}

/// The synthetic source drives a full demo panel, including the R&D stock and the spillover.
#[test]
fn synthetic_covariates_build_the_demo_panel() {
    let countries: Vec<String> = ["PRC"]
        .into_iter()
        .map(String::from)
        .chain(gvc::sources::countries::builtin_set("bri34", CodeSystem::Adb).unwrap())
        .collect();
    let synth = synthetic_panel::generate(7, &countries, 2000, 2017);
    let mut inputs = PanelInputs::new();
    for (name, obs) in &synth.series {
        inputs
            .add_series(
                &format!("synthetic.{name}"),
                Some(CodeSystem::Adb),
                obs.iter().map(|o| (o.country.clone(), o.year, o.value)),
            )
            .unwrap();
    }
    inputs
        .add_bilateral(
            "synthetic.ofdi",
            Some(CodeSystem::Adb),
            synth
                .ofdi
                .iter()
                .map(|o| (o.reporter.clone(), o.partner.clone(), o.year, o.value)),
        )
        .unwrap();
    let vars = vec![
        var("tariff", "from = \"synthetic.tariff\""),
        var("h", "from = \"synthetic.tertiary_enrolment\"\ntransform = \"log\""),
        var("rd", "from = \"synthetic.rd_gdp\""),
        var("k", "from = \"synthetic.gfcf_gdp\""),
        var("pgdp", "from = \"synthetic.gdp_pc_growth\""),
        var("rd_stock", "from = \"synthetic.rd_expenditure\"\ntransform = { pim_stock = { delta = 0.05, growth_years = 5, fill = \"interpolate\" } }"),
        var("sofdi", "from = \"rd_stock\"\ntransform = [{ lp_spillover = { ofdi = \"synthetic.ofdi\", capital = \"synthetic.gdp\", missing_host = \"skip\" } }, \"log1p\"]"),
    ];
    let sample = Sample {
        countries: countries.clone(),
        codes: Some(CodeSystem::Adb),
        first_year: 2007,
        last_year: 2017,
        exclude_years: Vec::new(),
        ..Default::default()
    };
    let out = assemble(&inputs, &vars, &sample).unwrap();
    assert_eq!(out.panel.n_rows(), 35 * 11);
    let sofdi = out.panel.column("sofdi").unwrap();
    let present = sofdi.values.iter().flatten().count();
    println!("sofdi: {present} of {} cells", sofdi.values.len());
    assert!(present > 300, "{present}");
    for d in &out.descriptives {
        println!(
            "{:8} N={:3} mean={:?} sd={:?} min={:?} p50={:?} max={:?}",
            d.variable, d.n, d.mean, d.sd, d.min, d.p50, d.max
        );
    }
    // every rd_stock value in the sample follows S_t = 0.95 S_{t−1} + I_t from the (interpolated) flows
    let flows: std::collections::HashMap<(String, i32), f64> = synth
        .series("rd_expenditure")
        .unwrap()
        .iter()
        .map(|o| ((o.country.clone(), o.year), o.value))
        .collect();
    let mut checked = 0;
    for c in &countries {
        for y in 2008..=2017 {
            let (Some(s), Some(prev), Some(i)) = (
                out.panel.value("rd_stock", c, y),
                out.panel.value("rd_stock", c, y - 1),
                flows.get(&(c.clone(), y)),
            ) else {
                continue;
            };
            assert!(close(s, 0.95 * prev + i), "{c} {y}");
            checked += 1;
        }
    }
    assert!(checked > 250, "{checked}");
}
