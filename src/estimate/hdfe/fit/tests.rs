//! Absorbed-effects OLS equals the exact dummy-variable (LSDV) regression: slopes and the
//! conventional, robust and clustered standard errors at 1e-10 relative, on unbalanced random
//! data with three factors (one an interaction) after singleton dropping.

use faer::Mat;

use super::*;
use crate::estimate::design::{DesignSpec, IdColumn, PanelData};
use crate::estimate::linalg::OrderedQr;

fn lcg(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*seed >> 11) as f64) / ((1u64 << 53) as f64)
}

struct Data {
    data: PanelData,
    n: usize,
}

fn data(n: usize) -> Data {
    let mut seed = 42u64;
    let mut u = || lcg(&mut seed);
    let id: Vec<Option<i64>> = (0..n).map(|i| Some(i as i64)).collect();
    let t: Vec<Option<i64>> = (0..n).map(|_| Some(2000)).collect();
    let mut data = PanelData::new("id", IdColumn::Int(&id), "year", &t).expect("ids");
    let a: Vec<Option<i64>> = (0..n).map(|_| Some((u() * 25.0) as i64)).collect();
    let b: Vec<Option<i64>> = (0..n).map(|_| Some((u() * 9.0) as i64)).collect();
    let c: Vec<Option<i64>> = (0..n).map(|_| Some((u() * 3.0) as i64)).collect();
    let d: Vec<Option<i64>> = (0..n).map(|_| Some((u() * 7.0) as i64)).collect();
    let x1: Vec<f64> = (0..n).map(|_| u() * 10.0).collect();
    let x2: Vec<f64> = (0..n).map(|i| u() + 0.3 * x1[i]).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| {
            1.0 + 0.7 * x1[i] - 1.3 * x2[i]
                + a[i].unwrap_or(0) as f64 * 0.1
                + (b[i].unwrap_or(0) as f64).sin()
                + u() * 3.0
        })
        .collect();
    for (name, v) in [("a", &a), ("b", &b), ("c", &c), ("d", &d)] {
        data.add_id_column(name, IdColumn::Int(v)).expect("id");
    }
    let c_num: Vec<Option<f64>> = c.iter().map(|v| v.map(|x| x as f64)).collect();
    data.add_column("c_num", &c_num).expect("c_num");
    data.add_f64_column("x1", &x1).expect("x1");
    data.add_f64_column("x2", &x2).expect("x2");
    data.add_f64_column("y", &y).expect("y");
    Data { data, n }
}

/// LSDV on the kept rows: [x, every dummy], collinear dummies skipped; returns the slopes of x,
/// (X'X)⁻¹ of the kept columns, the residuals and the rank.
fn lsdv(x: &[Vec<f64>], y: &[f64], factors: &[Factor]) -> (Vec<f64>, Mat<f64>, Vec<f64>, usize) {
    let n = y.len();
    let k = x.len();
    let total: usize = k + factors.iter().map(|f| f.levels).sum::<usize>();
    let mut m = Mat::<f64>::zeros(n, total);
    for (j, c) in x.iter().enumerate() {
        for i in 0..n {
            m[(i, j)] = c[i];
        }
    }
    let mut off = k;
    for f in factors {
        for i in 0..n {
            m[(i, off + f.codes[i])] = 1.0;
        }
        off += f.levels;
    }
    let refs: Vec<f64> = (0..total)
        .map(|j| m.col_as_slice(j).iter().map(|v| v * v).sum())
        .collect();
    let qr = OrderedQr::new(m.clone(), &refs);
    assert!(qr.kept[..k].iter().copied().eq(0..k), "x kept first");
    let b = qr.solve(y);
    let inv = qr.xtx_inverse();
    let resid: Vec<f64> = (0..n)
        .map(|i| {
            y[i] - qr
                .kept
                .iter()
                .zip(&b)
                .map(|(&j, bj)| m[(i, j)] * bj)
                .sum::<f64>()
        })
        .collect();
    (b[..k].to_vec(), inv, resid, qr.kept.len())
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
}

#[test]
#[allow(clippy::needless_range_loop)] // 2×2 matrices indexed as in the formulas
fn hdfe_equals_lsdv_with_three_factors() {
    let Data { data, n } = data(600);
    let spec = DesignSpec {
        cluster: Some("d".to_string()),
        ..DesignSpec::new("y", &["x1", "x2"])
    };
    let absorb = vec!["a^c".to_string(), "b".to_string(), "d".to_string()];
    let ad = build_absorb_design(&data, &spec, &absorb).expect("design");
    assert_eq!(ad.design.n_obs(), n);
    let mut worst = 0.0f64;
    for vce in [Vce::Conventional, Vce::Robust, Vce::Cluster] {
        let res = fit_hdfe(
            &ad.design,
            &ad.factors,
            Estimator::Hdfe,
            &FitOptions::with_vce(vce),
            &HdfeOptions::default(),
        )
        .expect("fit");
        let info = res.absorbed.as_ref().expect("absorbed info");
        // The LSDV on the same (singleton-free) rows.
        let keep = drop_singletons(&ad.factors).keep;
        assert_eq!(
            keep.iter().filter(|k| !**k).count(),
            info.singletons_dropped
        );
        let rows: Vec<usize> = (0..n).filter(|&i| keep[i]).collect();
        let x: Vec<Vec<f64>> = (0..2)
            .map(|j| rows.iter().map(|&i| ad.design.x[(i, j)]).collect())
            .collect();
        let y: Vec<f64> = rows.iter().map(|&i| ad.design.y[i]).collect();
        let factors: Vec<Factor> = ad.factors.iter().map(|f| f.subset(&keep)).collect();
        let (b, inv, resid, rank) = lsdv(&x, &y, &factors);
        let nn = y.len() as f64;
        assert_eq!(rank - 2, info.dof.df_a, "df_a equals the dummy rank");
        for j in 0..2 {
            worst = worst.max(rel(res.coefficients[j], b[j]));
        }
        // Sandwich pieces of the LSDV for the x block: A = rows 0..2 of (X'X)⁻¹X'.
        let m_rows = {
            // Rebuild the kept LSDV matrix to form A = (X'X)⁻¹X' (only the x rows).
            let mut full: Vec<Vec<f64>> = x.clone();
            for f in &factors {
                for l in 0..f.levels {
                    full.push(
                        f.codes
                            .iter()
                            .map(|&c| f64::from(u8::from(c == l)))
                            .collect(),
                    );
                }
            }
            let refs: Vec<f64> = full.iter().map(|c| c.iter().map(|v| v * v).sum()).collect();
            let mm = Mat::from_fn(y.len(), full.len(), |i, j| full[j][i]);
            let qr = OrderedQr::new(mm.clone(), &refs);
            let kk = qr.kept.len();
            (0..2)
                .map(|r| {
                    (0..y.len())
                        .map(|i| {
                            (0..kk)
                                .map(|c| inv[(r, c)] * mm[(i, qr.kept[c])])
                                .sum::<f64>()
                        })
                        .collect::<Vec<f64>>()
                })
                .collect::<Vec<_>>()
        };
        let ssr: f64 = resid.iter().map(|e| e * e).sum();
        let df = nn - rank as f64;
        let cov = res.primary().expect("primary");
        let v_ref: [[f64; 2]; 2] = match vce {
            Vce::Conventional => {
                let s2 = ssr / df;
                [
                    [s2 * inv[(0, 0)], s2 * inv[(0, 1)]],
                    [s2 * inv[(1, 0)], s2 * inv[(1, 1)]],
                ]
            }
            Vce::Robust => {
                let f = nn / df;
                let mut v = [[0.0; 2]; 2];
                for (r, row) in v.iter_mut().enumerate() {
                    for (c, cell) in row.iter_mut().enumerate() {
                        *cell = f
                            * (0..y.len())
                                .map(|i| m_rows[r][i] * m_rows[c][i] * resid[i] * resid[i])
                                .sum::<f64>();
                    }
                }
                v
            }
            Vce::Cluster => {
                let cl = ad.factors[2].subset(&keep);
                let g = cl.levels as f64;
                let k_cl = 2 + info.dof.df_a_cluster;
                let f = g / (g - 1.0) * (nn - 1.0) / (nn - k_cl as f64);
                let mut s = vec![[0.0; 2]; cl.levels];
                for i in 0..y.len() {
                    for r in 0..2 {
                        s[cl.codes[i]][r] += m_rows[r][i] * resid[i];
                    }
                }
                let mut v = [[0.0; 2]; 2];
                for (r, row) in v.iter_mut().enumerate() {
                    for (c, cell) in row.iter_mut().enumerate() {
                        *cell = f * s.iter().map(|sg| sg[r] * sg[c]).sum::<f64>();
                    }
                }
                v
            }
            Vce::DriscollKraay => unreachable!("not among the VCEs of this test"),
        };
        for r in 0..2 {
            for c in 0..2 {
                let e = rel(cov.vcov[(r, c)], v_ref[r][c]);
                assert!(e < 1e-10, "{vce:?} V[{r},{c}] rel {e:e}");
                worst = worst.max(e);
            }
        }
        if vce == Vce::Cluster {
            // d is absorbed and is the cluster variable: nested, counted once instead of levels − 1.
            assert!(info.dof.factors[2].nested_in_cluster);
            assert_eq!(
                info.dof.df_a_cluster,
                info.dof.df_a - info.dof.factors[2].levels + 1
            );
        }
    }
    assert!(worst < 1e-10, "worst {worst:e}");
}

#[test]
fn bad_absorb_terms_name_the_flag() {
    let Data { data, .. } = data(50);
    let spec = DesignSpec::new("y", &["x1"]);
    for bad in [vec![], vec!["a^".to_string()], vec!["a".into(), "a".into()]] {
        let err = build_absorb_design(&data, &spec, &bad).expect_err("bad absorb");
        assert!(err.to_string().contains("absorb"), "{err}");
    }
    let err = build_absorb_design(&data, &spec, &["nope".to_string()]).expect_err("unknown");
    assert!(err.to_string().contains("absorb(nope)"), "{err}");
}

#[test]
fn a_regressor_absorbed_by_the_effects_is_omitted() {
    let Data { data, .. } = data(300);
    // c_num is constant within every level of a^c.
    let spec = DesignSpec::new("y", &["x1", "c_num"]);
    let ad =
        build_absorb_design(&data, &spec, &["a^c".to_string(), "b".to_string()]).expect("design");
    let res = fit_hdfe(
        &ad.design,
        &ad.factors,
        Estimator::Hdfe,
        &FitOptions::default(),
        &HdfeOptions::default(),
    )
    .expect("fit");
    assert_eq!(res.coef_names, vec!["x1".to_string()]);
    assert_eq!(
        res.omitted[0].reason,
        OmissionReason::AbsorbedByFixedEffects
    );
}
