//! Edge cases of `gvc::estimate`: collinearity (Stata's "omitted because of collinearity"),
//! time-invariant regressors under FE, all-missing columns, a single panel, duplicate
//! (panel, time) rows, too few observations, non-nested clusters, serde round trips. None may
//! panic; each gives Stata's behaviour or a typed error that names the problem.

use gvc::estimate::{
    build_design, fit, hausman, quick_json, run_quick, CovarianceKind, DesignSpec, DesignTransform,
    EstimateError, EstimationResult, Estimator, FitOptions, HausmanVariant, IdColumn,
    OmissionReason, PanelData, QuickRequest, Vce,
};

/// Deterministic pseudo-random numbers in [−1, 1).
fn noise(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

/// 6 panels × 8 years; columns x1, x2, x12 = x1 + x2, region (constant within panel),
/// trend (= year − 2000), y.
fn toy() -> PanelData {
    let (panels, years) = (6usize, 8usize);
    let n = panels * years;
    let ids: Vec<Option<i64>> = (0..n).map(|i| Some((i / years) as i64 + 1)).collect();
    let t: Vec<Option<i64>> = (0..n).map(|i| Some(2000 + (i % years) as i64)).collect();
    let x1 = noise(1, n);
    let x2 = noise(2, n);
    let e = noise(3, n);
    let region: Vec<f64> = (0..n).map(|i| ((i / years) % 3) as f64).collect();
    let trend: Vec<f64> = (0..n).map(|i| (i % years) as f64).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| 1.0 + 2.0 * x1[i] - x2[i] + 0.5 * region[i] + 0.1 * trend[i] + 0.3 * e[i])
        .collect();
    let x12: Vec<f64> = (0..n).map(|i| x1[i] + x2[i]).collect();
    let mut d = PanelData::new("id", IdColumn::Int(&ids), "year", &t).expect("ids");
    for (name, v) in [
        ("x1", &x1),
        ("x2", &x2),
        ("x12", &x12),
        ("region", &region),
        ("trend", &trend),
        ("y", &y),
    ] {
        d.add_f64_column(name, v).expect("column");
    }
    d
}

fn levels(data: &PanelData, xs: &[&str]) -> gvc::estimate::Design {
    build_design(data, &DesignSpec::new("y", xs)).expect("design")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-10 * a.abs().max(b.abs()).max(1e-12)
}

#[test]
fn perfectly_collinear_regressor_is_omitted_by_name() {
    let data = toy();
    for est in [Estimator::Pooled, Estimator::Fe, Estimator::Re] {
        let with = fit(
            &levels(&data, &["x1", "x2", "x12"]),
            est,
            &FitOptions::default(),
        )
        .expect("fit");
        let without = fit(&levels(&data, &["x1", "x2"]), est, &FitOptions::default()).expect("fit");
        assert_eq!(with.omitted.len(), 1, "{est:?}: {:?}", with.omitted);
        assert_eq!(with.omitted[0].name, "x12");
        assert_eq!(with.omitted[0].reason, OmissionReason::CollinearWithEarlier);
        assert_eq!(with.coef_names, without.coef_names);
        for (a, b) in with.coefficients.iter().zip(&without.coefficients) {
            assert!(close(*a, *b), "{est:?}: {a} vs {b}");
        }
        // The omitted term stays in the display order with no coefficient.
        assert!(with
            .terms
            .iter()
            .any(|t| t.name == "x12" && t.index.is_none()));
        assert!(gvc::estimate::render_table(&with).contains("(omitted)"));
    }
    // The later member of the set is the one dropped: x12 first → x2 omitted.
    let r = fit(
        &levels(&data, &["x12", "x1", "x2"]),
        Estimator::Pooled,
        &FitOptions::default(),
    )
    .expect("fit");
    assert_eq!(r.omitted[0].name, "x2");
}

#[test]
fn regressor_constant_within_panels_is_absorbed_under_fe_but_kept_by_re() {
    let data = toy();
    let d = levels(&data, &["x1", "region", "x2"]);
    let fe = fit(&d, Estimator::Fe, &FitOptions::with_vce(Vce::Robust)).expect("fe");
    assert_eq!(fe.omitted.len(), 1);
    assert_eq!(fe.omitted[0].name, "region");
    assert_eq!(fe.omitted[0].reason, OmissionReason::AbsorbedByPanelEffects);
    assert_eq!(fe.coef_names, vec!["x1", "x2", "_cons"]);
    // The clustered factor counts K = k + 1 = 3 estimated coefficients, not the omitted one.
    assert_eq!(fe.primary().and_then(|c| c.k_in_factor), Some(3));
    let re = fit(&d, Estimator::Re, &FitOptions::default()).expect("re");
    assert!(re.omitted.is_empty());
    assert!(re.index_of("region").is_some());
    // Hausman compares the common slopes only.
    let h = hausman(&fe, &re, HausmanVariant::Default).expect("hausman");
    assert_eq!(h.coefficients, vec!["x1", "x2"]);
    let q = quick_json(&fe, Some(&h));
    let row = q
        .coefficients
        .iter()
        .find(|c| c.name == "region")
        .expect("region row");
    assert!(row.omitted && row.std_error.is_none());
}

/// Stata's order for `xtreg y x1 trend i.year, fe`: the listed regressors come before the
/// year dummies, so the trend is kept and the last dummy it completes (2007.year) is omitted.
#[test]
fn trend_is_kept_and_a_year_dummy_omitted_in_two_way_fe() {
    let data = toy();
    let fe2 = fit(
        &levels(&data, &["x1", "trend"]),
        Estimator::Fe2,
        &FitOptions::default(),
    )
    .expect("fe2");
    assert_eq!(fe2.omitted.len(), 1, "{:?}", fe2.omitted);
    assert_eq!(fe2.omitted[0].name, "2007.year");
    assert_eq!(fe2.omitted[0].reason, OmissionReason::CollinearWithEarlier);
    assert!(fe2.index_of("trend").is_some());
    assert!(!fe2.coef_names.contains(&"2000.year".to_string()));
    assert!(fe2.coef_names.contains(&"2006.year".to_string()));
    // The column space is that of x1 and the dummies: x1's estimate and SE are unchanged.
    let plain = fit(
        &levels(&data, &["x1"]),
        Estimator::Fe2,
        &FitOptions::default(),
    )
    .expect("fe2");
    let (a, b) = (
        fe2.index_of("x1").expect("x1"),
        plain.index_of("x1").expect("x1"),
    );
    assert!(close(fe2.coefficients[a], plain.coefficients[b]));
    let (sa, sb) = (
        fe2.primary().expect("cov").std_error[a],
        plain.primary().expect("cov").std_error[b],
    );
    assert!(close(sa, sb), "{sa} vs {sb}");
}

/// A wage panel: experience = year − entry year + initial experience differs across people
/// but moves one-for-one with the year within each person, so it is collinear with the person
/// and year effects together. `xtreg lwage exper i.year, fe` keeps exper and omits the last
/// year dummy (Stata: "note: 1987.year omitted because of collinearity").
#[test]
fn experience_is_kept_in_two_way_fe_as_stata() {
    let (people, years) = (9usize, 8usize);
    let n = people * years;
    let ids: Vec<Option<i64>> = (0..n).map(|i| Some((i / years) as i64 + 1)).collect();
    let t: Vec<Option<i64>> = (0..n).map(|i| Some(1980 + (i % years) as i64)).collect();
    let exper: Vec<f64> = (0..n)
        .map(|i| (i % years) as f64 + ((i / years) * 7 % 5) as f64 + 1.0)
        .collect();
    let union_ = noise(11, n);
    let e = noise(12, n);
    let y: Vec<f64> = (0..n)
        .map(|i| 1.0 + 0.05 * exper[i] + 0.2 * union_[i] + 0.1 * e[i])
        .collect();
    let mut d = PanelData::new("nr", IdColumn::Int(&ids), "year", &t).expect("ids");
    for (name, v) in [("exper", &exper), ("union", &union_), ("lwage", &y)] {
        d.add_f64_column(name, v).expect("column");
    }
    let design = build_design(&d, &DesignSpec::new("lwage", &["exper", "union"])).expect("design");
    let fe2 = fit(&design, Estimator::Fe2, &FitOptions::default()).expect("fe2");
    assert_eq!(
        fe2.omitted
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        vec!["1987.year"]
    );
    assert!(fe2.index_of("exper").is_some() && fe2.index_of("union").is_some());
    assert!(fe2.index_of("1986.year").is_some());
    assert_eq!(fe2.fit.df_r, (n - people - 2 - 6) as i64);
}

#[test]
fn all_missing_column_is_a_typed_error() {
    let mut data = toy();
    let n = data.n_rows();
    data.add_column("empty", &vec![None; n]).expect("column");
    let err =
        build_design(&data, &DesignSpec::new("y", &["x1", "empty"])).expect_err("all missing");
    assert!(
        matches!(&err, EstimateError::AllMissing { name, .. } if name == "empty"),
        "{err}"
    );
    // A lag that never exists (one year per panel) is reported with the operator.
    let ids = [Some(1), Some(2), Some(3)];
    let t = [Some(2000), Some(2001), Some(2002)];
    let mut d = PanelData::new("id", IdColumn::Int(&ids), "year", &t).expect("ids");
    d.add_f64_column("x", &[1.0, 2.0, 3.0]).expect("x");
    d.add_f64_column("y", &[1.0, 2.0, 3.0]).expect("y");
    let err = build_design(&d, &DesignSpec::new("y", &["L.x"])).expect_err("no lag");
    assert!(err.to_string().contains("L.x"), "{err}");
}

#[test]
fn unknown_variable_and_bad_operator_are_typed_errors() {
    let data = toy();
    let err = build_design(&data, &DesignSpec::new("y", &["nope"])).expect_err("unknown");
    assert!(
        matches!(err, EstimateError::UnknownVariable { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("x1"), "lists known columns: {err}");
    let err = build_design(&data, &DesignSpec::new("y", &["Q.x1"])).expect_err("bad op");
    assert!(matches!(err, EstimateError::BadExpression { .. }), "{err}");
}

#[test]
fn single_panel() {
    let ids: Vec<Option<&str>> = vec![Some("CHN"); 10];
    let t: Vec<Option<i64>> = (0..10).map(|i| Some(2007 + i)).collect();
    let mut d = PanelData::new("iso3", IdColumn::Str(&ids), "year", &t).expect("ids");
    let x = noise(7, 10);
    let y: Vec<f64> = x
        .iter()
        .zip(noise(8, 10))
        .map(|(a, e)| 1.0 + a + 0.1 * e)
        .collect();
    d.add_f64_column("x", &x).expect("x");
    d.add_f64_column("y", &y).expect("y");
    let design = build_design(&d, &DesignSpec::new("y", &["x"])).expect("design");
    // FE with one panel equals pooled OLS; σ_u and the u_i test are undefined.
    let fe = fit(&design, Estimator::Fe, &FitOptions::default()).expect("fe");
    let ols = fit(&design, Estimator::Pooled, &FitOptions::default()).expect("pooled");
    assert!(close(fe.coefficients[0], ols.coefficients[0]));
    assert!(fe.fit.sigma_u.is_none() && fe.tests.u_i_zero.is_none());
    let text = serde_json::to_string(&fe).expect("serialize");
    let back: EstimationResult = serde_json::from_str(&text).expect("deserialize");
    assert_eq!(back.coef_names, fe.coef_names);
    // Clustering on one panel and RE with one panel are clear errors.
    let err =
        fit(&design, Estimator::Fe, &FitOptions::with_vce(Vce::Robust)).expect_err("one cluster");
    assert!(
        matches!(err, EstimateError::TooFewClusters { clusters: 1, .. }),
        "{err}"
    );
    let err = fit(&design, Estimator::Re, &FitOptions::default()).expect_err("re");
    assert!(
        matches!(err, EstimateError::InsufficientObservations { .. }),
        "{err}"
    );
}

#[test]
fn duplicate_panel_time_rows_are_rejected() {
    let ids = [Some(1), Some(1), Some(2), Some(2)];
    let t = [Some(2000), Some(2001), Some(2001), Some(2001)];
    let err = PanelData::new("firm", IdColumn::Int(&ids), "year", &t).expect_err("duplicate");
    match &err {
        EstimateError::DuplicatePanelTime {
            panel,
            time,
            first_row,
            second_row,
            ..
        } => {
            assert_eq!(
                (panel.as_str(), *time, *first_row, *second_row),
                ("2", 2001, 3, 4)
            );
        }
        other => panic!("unexpected {other}"),
    }
    assert!(err
        .to_string()
        .contains("repeated time values within panel"));
}

#[test]
fn fewer_observations_than_parameters() {
    let ids = [Some(1), Some(1), Some(2)];
    let t = [Some(2000), Some(2001), Some(2000)];
    let mut d = PanelData::new("id", IdColumn::Int(&ids), "year", &t).expect("ids");
    d.add_f64_column("y", &[1.0, 2.0, 4.0]).expect("y");
    d.add_f64_column("a", &[0.5, 1.5, 0.2]).expect("a");
    d.add_f64_column("b", &[2.0, -1.0, 3.0]).expect("b");
    let design = build_design(&d, &DesignSpec::new("y", &["a", "b"])).expect("design");
    for est in [
        Estimator::Pooled,
        Estimator::Fe,
        Estimator::Re,
        Estimator::Be,
    ] {
        let err = fit(&design, est, &FitOptions::default()).expect_err("too few");
        assert!(
            matches!(err, EstimateError::InsufficientObservations { .. }),
            "{est:?}: {err}"
        );
    }
}

#[test]
fn clusters_must_nest_panels_in_xtreg() {
    let mut data = toy();
    let n = data.n_rows();
    // Cluster varying within panel (by year) is not allowed for FE, allowed for pooled.
    let by_year: Vec<Option<i64>> = (0..n).map(|i| Some((i % 8) as i64)).collect();
    data.add_id_column("yr_group", IdColumn::Int(&by_year))
        .expect("id col");
    let spec = DesignSpec {
        cluster: Some("yr_group".to_string()),
        ..DesignSpec::new("y", &["x1", "x2"])
    };
    let d = build_design(&data, &spec).expect("design");
    let err = fit(&d, Estimator::Fe, &FitOptions::with_vce(Vce::Cluster)).expect_err("not nested");
    assert!(
        matches!(err, EstimateError::PanelsNotNested { .. }),
        "{err}"
    );
    let pooled = fit(&d, Estimator::Pooled, &FitOptions::with_vce(Vce::Cluster)).expect("pooled");
    assert_eq!(pooled.primary().and_then(|c| c.n_clusters), Some(8));
    // A nested cluster (region ⊇ panels) is fine.
    let spec = DesignSpec {
        cluster: Some("region".to_string()),
        ..DesignSpec::new("y", &["x1", "x2"])
    };
    let d = build_design(&data, &spec).expect("design");
    let fe = fit(&d, Estimator::Fe, &FitOptions::with_vce(Vce::Cluster)).expect("fe");
    assert_eq!(fe.primary().map(|c| c.kind), Some(CovarianceKind::Cluster));
    assert_eq!(fe.primary().and_then(|c| c.df), Some(2));
}

#[test]
fn option_and_transform_errors() {
    let data = toy();
    let d = levels(&data, &["x1"]);
    let err = fit(&d, Estimator::Be, &FitOptions::with_vce(Vce::Robust)).expect_err("be robust");
    assert!(
        matches!(err, EstimateError::UnsupportedCovariance { .. }),
        "{err}"
    );
    let err = fit(&d, Estimator::Fd, &FitOptions::default()).expect_err("fd on levels");
    assert!(
        matches!(err, EstimateError::TransformMismatch { .. }),
        "{err}"
    );
    let err = fit(
        &d,
        Estimator::Fe,
        &FitOptions {
            level: 95.0,
            ..FitOptions::default()
        },
    )
    .expect_err("level");
    assert!(matches!(err, EstimateError::InvalidOption { .. }), "{err}");
    let opts = FitOptions {
        extra_covariances: vec![CovarianceKind::RobustHc1],
        ..FitOptions::default()
    };
    let err = fit(&d, Estimator::Fe, &opts).expect_err("HC1 under xtreg fe");
    assert!(
        matches!(err, EstimateError::UnsupportedCovariance { .. }),
        "{err}"
    );
    let fd_spec = DesignSpec {
        transform: DesignTransform::FirstDifference,
        ..DesignSpec::new("y", &["x1"])
    };
    let dfd = build_design(&data, &fd_spec).expect("fd design");
    assert_eq!(dfd.regressor_names, vec!["D.x1"]);
    assert_eq!(dfd.n_obs(), 6 * 7);
    let fd = fit(&dfd, Estimator::Fd, &FitOptions::default()).expect("fd");
    assert_eq!(fd.coef_names, vec!["D.x1", "_cons"]);
}

#[test]
fn quick_command_json_has_the_documented_keys() {
    let data = toy();
    let mut req = QuickRequest::new("y", "x1, x2, L.x1", Estimator::Re);
    req.vce = Vce::Robust;
    req.hausman = true;
    let out = run_quick(&data, &req).expect("quick");
    let v: serde_json::Value = serde_json::to_value(out.json()).expect("json");
    for key in [
        "estimator",
        "vce",
        "n_obs",
        "n_groups",
        "coefficients",
        "fit",
        "tests",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["estimator"], "re");
    assert_eq!(v["vce"], "robust");
    assert_eq!(v["n_obs"], 6 * 7);
    let c = &v["coefficients"][0];
    for key in [
        "name",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "ci_low",
        "ci_high",
        "omitted",
    ] {
        assert!(c.get(key).is_some(), "coefficient key {key} missing: {c}");
    }
    for key in [
        "r2",
        "r2_within",
        "r2_between",
        "r2_overall",
        "sigma_u",
        "sigma_e",
        "rho",
        "theta",
    ] {
        assert!(v["fit"].get(key).is_some(), "fit key {key} missing");
    }
    assert!(v["tests"]["wald"]["stat"].as_f64().is_some_and(|s| s > 0.0));
    assert!(v["tests"]["f_model"].is_null());
    let h = &v["tests"]["hausman"];
    for key in ["chi2", "df", "p_value", "note"] {
        assert!(h.get(key).is_some(), "hausman key {key} missing: {h}");
    }
    assert!(out.table().contains("Random-effects GLS regression"));
}

#[test]
fn bench_runs_and_reports_a_rate() {
    let r = gvc::bench::bench_fe_regressions(0.0).expect("bench");
    assert!(r.regressions >= 1 && r.per_second > 0.0);
    assert_eq!((r.n_obs, r.n_regressors), (385, 6));
}
