//! Unit tests of 2SLS against closed forms on small synthetic panels.

use super::*;
use crate::estimate::design::{build_design, DesignSpec, IdColumn, PanelData};

/// 8 panels × 6 years; x2 endogenous (shares the error u), z1, z2 instruments.
fn data() -> PanelData {
    let (panels, years) = (8usize, 6usize);
    let n = panels * years;
    let ids: Vec<Option<i64>> = (0..n).map(|i| Some((i / years) as i64)).collect();
    let t: Vec<Option<i64>> = (0..n).map(|i| Some(2000 + (i % years) as i64)).collect();
    let f = |i: usize, a: usize, b: usize| (((i * a + b) % 17) as f64 - 8.0) / 5.0;
    let z1: Vec<f64> = (0..n)
        .map(|i| f(i, 7, 3) + (i % years) as f64 * 0.1)
        .collect();
    let z2: Vec<f64> = (0..n).map(|i| f(i, 11, 5)).collect();
    let x1: Vec<f64> = (0..n)
        .map(|i| f(i, 5, 1) + (i / years) as f64 * 0.3)
        .collect();
    let u: Vec<f64> = (0..n).map(|i| f(i, 13, 7) * 0.5).collect();
    let x2: Vec<f64> = (0..n)
        .map(|i| 0.8 * z1[i] - 0.5 * z2[i] + 0.3 * x1[i] + u[i] + (i / years) as f64 * 0.2)
        .collect();
    let y: Vec<f64> = (0..n)
        .map(|i| 1.0 + 0.5 * x1[i] - 1.5 * x2[i] + u[i] + (i / years) as f64)
        .collect();
    let mut d = PanelData::new("id", IdColumn::Int(&ids), "year", &t).expect("ids");
    for (name, v) in [
        ("y", &y),
        ("x1", &x1),
        ("x2", &x2),
        ("z1", &z1),
        ("z2", &z2),
    ] {
        d.add_f64_column(name, v).expect("column");
    }
    d
}

fn design(regs: &[&str]) -> Design {
    build_design(&data(), &DesignSpec::new("y", regs)).expect("design")
}

/// Exactly identified: b = (Z'X)⁻¹Z'y on the centered data.
#[test]
fn just_identified_equals_indirect_least_squares() {
    let d = design(&["x1", "x2", "z1"]);
    let roles = IvRoles {
        exogenous: 1,
        endogenous: 1,
    };
    let fit = fit_iv(&d, roles, Estimator::Pooled, &FitOptions::default()).expect("iv");
    let n = d.n_obs();
    let c = |j: usize| {
        let v: Vec<f64> = d.x.column(j).to_vec();
        let m = mean(&v);
        v.iter().map(|x| x - m).collect::<Vec<f64>>()
    };
    let (x1, x2, z1) = (c(0), c(1), c(2));
    let ym = mean(d.y.as_slice().expect("y"));
    let y: Vec<f64> = d.y.iter().map(|v| v - ym).collect();
    let dot = |a: &[f64], b: &[f64]| (0..n).map(|i| a[i] * b[i]).sum::<f64>();
    // Z'X = [[x1'x1, x1'x2], [z1'x1, z1'x2]].
    let (a, b, cc, dd) = (dot(&x1, &x1), dot(&x1, &x2), dot(&z1, &x1), dot(&z1, &x2));
    let det = a * dd - b * cc;
    let (r1, r2) = (dot(&x1, &y), dot(&z1, &y));
    let want = [(dd * r1 - b * r2) / det, (-cc * r1 + a * r2) / det];
    for (g, w) in fit.result.coefficients.iter().zip(want) {
        assert!((g - w).abs() <= 1e-12 * w.abs().max(1.0), "{g} vs {w}");
    }
    assert!(fit.diagnostics.overid.is_none());
    assert!(fit.diagnostics.kleibergen_paap_f.is_none());
}

/// With one endogenous regressor the Cragg–Donald F equals the conventional first-stage F,
/// and the Kleibergen–Paap F the robust one; over-identified gives Sargan / Hansen J.
#[test]
fn weak_identification_statistics_with_one_endogenous_regressor() {
    let d = design(&["x1", "x2", "z1", "z2"]);
    let roles = IvRoles {
        exogenous: 1,
        endogenous: 1,
    };
    for est in [Estimator::Pooled, Estimator::Fe] {
        let conv = fit_iv(&d, roles, est, &FitOptions::default()).expect("iv");
        let f = conv.diagnostics.first_stage[0].f.stat;
        let cd = conv.diagnostics.cragg_donald_f.expect("cd");
        assert!((f - cd).abs() <= 1e-10 * f, "{est:?}: {f} vs {cd}");
        assert_eq!(
            conv.diagnostics.overid.as_ref().map(|t| t.name.as_str()),
            Some("sargan")
        );
        let rob = fit_iv(&d, roles, est, &FitOptions::with_vce(Vce::Robust)).expect("iv");
        // ranktest's rk statistic (iv/rank.rs) reduces to the robust first-stage Wald.
        let kp = rob.diagnostics.kleibergen_paap_f.expect("kp");
        let fs = rob.diagnostics.first_stage[0].f.stat;
        assert!((kp - fs).abs() <= 1e-10 * fs, "{est:?}: {kp} vs {fs}");
        assert_eq!(
            rob.diagnostics.overid.as_ref().map(|t| t.name.as_str()),
            Some("hansen_j")
        );
        assert_eq!(conv.result.coefficients, rob.result.coefficients);
    }
}

/// FE, one endogenous regressor, one instrument, no exogenous regressor: b = z̃'ỹ/z̃'x̃ and
/// the conventional variance s²·z̃'z̃/(z̃'x̃)² with s² = ẽ'ẽ/(N − n − 1).
#[test]
fn fe_just_identified_closed_form() {
    let d = design(&["x2", "z1"]);
    let roles = IvRoles {
        exogenous: 0,
        endogenous: 1,
    };
    let fit = fit_iv(&d, roles, Estimator::Fe, &FitOptions::default()).expect("iv");
    let panels = Panels::new(&d.panel, d.n_groups());
    let y = transformed(d.y.as_slice().expect("y"), Some(&panels));
    let x = transformed(&d.x.column(0).to_vec(), Some(&panels));
    let z = transformed(&d.x.column(1).to_vec(), Some(&panels));
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    let b = dot(&z, &y) / dot(&z, &x);
    let e: Vec<f64> = y.iter().zip(&x).map(|(yi, xi)| yi - b * xi).collect();
    let s2 = dot(&e, &e) / (d.n_obs() - d.n_groups() - 1) as f64;
    let se = (s2 * dot(&z, &z) / dot(&z, &x).powi(2)).sqrt();
    let got = fit.result.coefficients[0];
    let got_se = fit.result.primary().expect("cov").std_error[0];
    assert!((got - b).abs() <= 1e-12 * b.abs(), "{got} vs {b}");
    assert!((got_se - se).abs() <= 1e-10 * se, "{got_se} vs {se}");
    // One endogenous regressor: Cragg–Donald = conventional first-stage F.
    let f = fit.diagnostics.first_stage[0].f.stat;
    let cd = fit.diagnostics.cragg_donald_f.expect("cd");
    assert!((f - cd).abs() <= 1e-10 * f, "{f} vs {cd}");
}

#[test]
fn underidentified_and_wrong_estimator_are_errors() {
    let d = design(&["x1", "x2", "z1"]);
    let roles = IvRoles {
        exogenous: 0,
        endogenous: 2,
    };
    let err = fit_iv(&d, roles, Estimator::Pooled, &FitOptions::default()).expect_err("under");
    assert!(err.to_string().contains("underidentified"), "{err}");
    let roles = IvRoles {
        exogenous: 1,
        endogenous: 1,
    };
    let err = fit_iv(&d, roles, Estimator::Re, &FitOptions::default()).expect_err("re");
    assert!(err.to_string().contains("pooled"), "{err}");
}

/// The Stata command each 2SLS fit records: the variable list `y x1 (x2 = z1 z2)` and the
/// VCE as `xtivreg`, `ivregress` and `ivreghdfe` write them.
#[test]
fn stata_commands_name_the_roles_and_the_vce() {
    let d = design(&["x1", "x2", "z1", "z2"]);
    let roles = IvRoles {
        exogenous: 1,
        endogenous: 1,
    };
    let opts = |vce| FitOptions {
        vce,
        ..FitOptions::default()
    };
    let fe = fit_iv(&d, roles, Estimator::Fe, &opts(Vce::Cluster)).expect("fe");
    assert_eq!(
        fe.result.stata_command,
        "xtivreg y x1 (x2 = z1 z2), fe small vce(cluster id)"
    );
    let pooled = fit_iv(&d, roles, Estimator::Pooled, &opts(Vce::Robust)).expect("pooled");
    assert_eq!(
        pooled.result.stata_command,
        "ivregress 2sls y x1 (x2 = z1 z2), small vce(robust)"
    );
}
