//! Unit tests of the subset fast path against the standard path on a small panel.

use super::*;
use crate::estimate::fit::fit;
use crate::estimate::results::Vce;
use ndarray::{Array1, Array2, Axis};

/// 6 panels × 5 years, 3 candidates (the third absorbed by the panel effects in FE).
fn small_design() -> Design {
    let (panels, years) = (6usize, 5usize);
    let n = panels * years;
    let wave = |i: usize, f: f64| ((i as f64) * f).sin();
    let x = Array2::from_shape_fn((n, 3), |(i, j)| match j {
        0 => wave(i, 0.9) + (i / years) as f64 * 0.3,
        1 => wave(i, 2.3) * 2.0 - 1.0,
        _ => (i / years % 2) as f64,
    });
    let y: Array1<f64> = (0..n)
        .map(|i| 0.7 * x[[i, 0]] - 0.4 * x[[i, 1]] + wave(i, 5.1) + (i / years) as f64)
        .collect();
    let panel: Vec<i64> = (0..n).map(|i| (i / years) as i64).collect();
    let time: Vec<i64> = (0..n).map(|i| 2000 + (i % years) as i64).collect();
    let names = ["a", "b", "landlocked"].map(String::from);
    Design::from_arrays("y", &names, &y, &x, &panel, &time, "id", "year").expect("design")
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs())
    }
}

#[test]
fn every_subset_equals_the_standard_path_and_estimates_equal_fit() {
    let d = small_design();
    for (estimator, vce) in [
        (Estimator::Fe, Vce::Cluster),
        (Estimator::Fe, Vce::Conventional),
        (Estimator::Pooled, Vce::Robust),
        (Estimator::Pooled, Vce::Cluster),
    ] {
        let opts = FitOptions::with_vce(vce);
        let fitter = SubsetFitter::new(&d, estimator, &opts).expect("fitter");
        for subset in [vec![], vec![2], vec![1, 0], vec![0, 1, 2], vec![2, 0]] {
            let mut sub = d.clone();
            sub.x = d.x.select(Axis(1), &subset);
            sub.regressor_names = subset
                .iter()
                .map(|&j| d.regressor_names[j].clone())
                .collect();
            let want = fit(&sub, estimator, &opts).expect("standard");
            let got = fitter.fit(&subset).expect("fast");
            let at = format!("{estimator:?} {vce:?} {subset:?}");
            assert_eq!(got.coef_names, want.coef_names, "{at}");
            assert_eq!(got.omitted, want.omitted, "{at}");
            assert_eq!(got.stata_command, want.stata_command, "{at}");
            for (a, b) in got.coefficients.iter().zip(&want.coefficients) {
                assert!(rel(*a, *b) < 1e-10, "{at}: b {a} vs {b}");
            }
            for (cg, cw) in got.covariances.iter().zip(&want.covariances) {
                assert_eq!(cg.kind, cw.kind, "{at}");
                for (a, b) in cg.std_error.iter().zip(&cw.std_error) {
                    assert!(rel(*a, *b) < 1e-10, "{at}: {:?} se {a} vs {b}", cg.kind);
                }
            }
            let est = fitter.estimates(&subset).expect("estimates");
            assert_eq!(est.coef_names, got.coef_names, "{at}");
            assert_eq!(est.coefficients, got.coefficients.to_vec(), "{at}");
            assert_eq!(est.omitted, got.omitted, "{at}");
            assert_eq!(Some(&est.primary), got.primary(), "{at}");
            assert_eq!(est.n_obs, got.sample.n_obs, "{at}");
        }
    }
}

#[test]
fn refuses_repeated_indices_and_estimators_outside_the_fast_path() {
    let d = small_design();
    let fitter = SubsetFitter::new(&d, Estimator::Fe, &FitOptions::default()).expect("fitter");
    let err = fitter.fit(&[0, 0]).expect_err("repeated").to_string();
    assert!(err.contains("distinct candidate positions 0..3"), "{err}");
    assert!(fitter.fit(&[3]).is_err());
    let err = SubsetFitter::new(&d, Estimator::Re, &FitOptions::default())
        .expect_err("re")
        .to_string();
    assert!(
        err.contains("fit re, be and fe2 with estimate::fit"),
        "{err}"
    );
    let dk = FitOptions {
        extra_covariances: vec![CovarianceKind::DriscollKraay { lags: None }],
        ..FitOptions::default()
    };
    let err = SubsetFitter::new(&d, Estimator::Fe, &dk)
        .expect_err("dk")
        .to_string();
    assert!(err.contains("driscoll_kraay"), "{err}");
}
