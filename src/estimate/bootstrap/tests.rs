//! The bootstrap against a direct evaluation: every draw refitted by least squares.

use super::*;

/// y = 1 + 0.3 x1 + 0 x2 + cluster shock + noise; G clusters of 5..9 rows.
fn data(g: usize) -> (Vec<f64>, Mat<f64>, Vec<usize>) {
    let mut y = Vec::new();
    let mut rows = Vec::new();
    let mut cl = Vec::new();
    for c in 0..g {
        let size = 5 + (c * 3) % 5;
        for i in 0..size {
            let x1 = ((c * 7 + i * 3) % 11) as f64 / 3.0 - 1.5;
            let x2 = ((c * 5 + i * 13) % 7) as f64 / 2.0 + c as f64 * 0.1;
            let e = ((c * 17 + i * 29) % 13) as f64 / 6.0 - 1.0 + (c % 3) as f64 * 0.4;
            y.push(1.0 + 0.3 * x1 + e);
            rows.push([x1, x2, 1.0]);
            cl.push(c);
        }
    }
    let x = Mat::from_fn(rows.len(), 3, |i, j| rows[i][j]);
    (y, x, cl)
}

/// Least squares and the CR1 t of coefficient j, refitted from scratch.
fn t_direct(y: &[f64], x: &Mat<f64>, cl: &[usize], g: usize, j: usize, r: f64) -> f64 {
    let k = x.ncols();
    let xtx = x.transpose() * x;
    let ainv = spd_inverse(&xtx).expect("pd");
    let yv = Mat::from_fn(y.len(), 1, |i, _| y[i]);
    let b = &ainv * (x.transpose() * &yv);
    let e: Vec<f64> = (0..y.len())
        .map(|i| y[i] - (0..k).map(|a| x[(i, a)] * b[(a, 0)]).sum::<f64>())
        .collect();
    let mut s = vec![vec![0.0; k]; g];
    for i in 0..y.len() {
        for a in 0..k {
            s[cl[i]][a] += x[(i, a)] * e[i];
        }
    }
    let var: f64 = s
        .iter()
        .map(|sg| {
            let u: f64 = (0..k).map(|a| ainv[(j, a)] * sg[a]).sum();
            u * u
        })
        .sum();
    (b[(j, 0)] - r) / var.sqrt()
}

#[test]
fn enumeration_matches_refitting_every_draw() {
    let g = 6;
    let (y, x, cl) = data(g);
    let j = 1;
    let opts = BootOptions {
        draws: 999,
        weights: BootWeights::Rademacher,
        seed: 1,
        level: 0.95,
        null: 0.0,
    };
    let res = wild_cluster_bootstrap(&y, x.as_ref(), &cl, g, j, "x2", 1.0, &opts).expect("boot");
    assert!(res.full_enumeration);
    assert_eq!(res.draws, 64);
    // Direct: restricted fit, then refit each of the 2^G bootstrap samples.
    let t0 = t_direct(&y, &x, &cl, g, j, 0.0);
    assert!(
        (res.t_stat - t0).abs() <= 1e-10 * t0.abs(),
        "{} {t0}",
        res.t_stat
    );
    let x_r = Mat::from_fn(x.nrows(), 2, |i, a| x[(i, if a == 0 { 0 } else { 2 })]);
    let xtx = x_r.transpose() * &x_r;
    let yv = Mat::from_fn(y.len(), 1, |i, _| y[i]);
    let br = spd_inverse(&xtx).expect("pd") * (x_r.transpose() * &yv);
    let fitted: Vec<f64> = (0..y.len())
        .map(|i| x_r[(i, 0)] * br[(0, 0)] + x_r[(i, 1)] * br[(1, 0)])
        .collect();
    let resid: Vec<f64> = (0..y.len()).map(|i| y[i] - fitted[i]).collect();
    let mut exceed = 0;
    for b in 0..(1usize << g) {
        let ystar: Vec<f64> = (0..y.len())
            .map(|i| {
                let v = if (b >> cl[i]) & 1 == 1 { 1.0 } else { -1.0 };
                fitted[i] + v * resid[i]
            })
            .collect();
        let tb = t_direct(&ystar, &x, &cl, g, j, 0.0);
        if tb.abs() > t0.abs() * (1.0 + 1e-10) {
            exceed += 1;
        }
    }
    assert_eq!(res.p_value, exceed as f64 / 64.0);
    assert!(res.ci_low < res.ci_high);
}

#[test]
fn seeded_draws_are_reproducible_and_webb_differs() {
    let g = 20;
    let (y, x, cl) = data(g);
    let mut opts = BootOptions {
        draws: 499,
        weights: BootWeights::Webb,
        seed: 7,
        level: 0.9,
        null: 0.0,
    };
    let a = wild_cluster_bootstrap(&y, x.as_ref(), &cl, g, 0, "x1", 1.0, &opts).expect("boot");
    let b = wild_cluster_bootstrap(&y, x.as_ref(), &cl, g, 0, "x1", 1.0, &opts).expect("boot");
    assert_eq!(a, b);
    assert!(!a.full_enumeration);
    opts.weights = BootWeights::Rademacher;
    let c = wild_cluster_bootstrap(&y, x.as_ref(), &cl, g, 0, "x1", 1.0, &opts).expect("boot");
    assert!(!c.full_enumeration);
    assert!(a.ci_low < a.ci_high && c.ci_low < c.ci_high);
    // The interval's bounds are where the p-value crosses 1 − level.
    let prep = Prepared::new(&y, x.as_ref(), &cl, g, 0, 1.0).expect("prep");
    let path = prep.null_path(&Draws::new(&opts, g));
    let inside = prep.p_value(c.ci_low + 1e-6, &path);
    let outside = prep.p_value(c.ci_low - 1e-6, &path);
    assert!(inside >= 0.1 && outside < 0.1, "{inside} {outside}");
}

/// The bootstrap t of one draw at null value r computed directly: the restricted fit, the
/// bootstrap sample y* = Xβ̃ + v_g ü, and its refit ([`t_direct`]).
fn draw_t(y: &[f64], x: &Mat<f64>, cl: &[usize], j: usize, r: f64, v: &[f64]) -> f64 {
    let k = x.ncols();
    let ainv = spd_inverse(&(x.transpose() * x)).expect("pd");
    let yv = Mat::from_fn(y.len(), 1, |i, _| y[i]);
    let beta = &ainv * (x.transpose() * &yv);
    let shift = (beta[(j, 0)] - r) / ainv[(j, j)];
    let bt: Vec<f64> = (0..k)
        .map(|a| beta[(a, 0)] - ainv[(a, j)] * shift)
        .collect();
    let fit = |i: usize| (0..k).map(|a| x[(i, a)] * bt[a]).sum::<f64>();
    let ystar: Vec<f64> = (0..y.len())
        .map(|i| fit(i) + v[cl[i]] * (y[i] - fit(i)))
        .collect();
    t_direct(&ystar, x, cl, v.len(), j, r)
}

/// Each draw's t* along the null path equals the direct refit at values of r near β̂ and far
/// from it (tens of standard errors), so the test inversion sees the same statistics.
#[test]
fn null_path_equals_direct_refits() {
    let g = 9;
    let (y, x, cl) = data(g);
    let opts = BootOptions {
        draws: 64,
        weights: BootWeights::Webb,
        seed: 3,
        level: 0.95,
        null: 0.0,
    };
    let prep = Prepared::new(&y, x.as_ref(), &cl, g, 0, 1.0).expect("prep");
    let draws = Draws::new(&opts, g);
    let path = prep.null_path(&draws);
    let bhat = prep.beta[0];
    let se = (1.0 / prep.t_stat(bhat + 1.0)).abs();
    let mut worst = 0.0f64;
    for r in [
        bhat - 40.0 * se,
        bhat - 1.5 * se,
        bhat + 0.3 * se,
        bhat + 25.0 * se,
    ] {
        let delta = r - bhat;
        let mut b = 0;
        draws.for_each(|v| {
            let want = draw_t(&y, &x, &cl, 0, r, v);
            let numer = path.n0[b] + delta * path.n1[b];
            let den = path.p[b] + delta * (2.0 * path.q[b] + delta * path.r[b]);
            let got = numer / den.sqrt();
            let rel = (got - want).abs() / want.abs().max(1e-12);
            worst = worst.max(rel);
            assert!(rel < 1e-9, "r = {r}, draw {b}: {got} vs {want}");
            b += 1;
        });
    }
    assert!(worst < 1e-9, "{worst:e}");
}

#[test]
fn bad_inputs_are_errors() {
    let (y, x, cl) = data(4);
    let opts = BootOptions {
        draws: 0,
        weights: BootWeights::Rademacher,
        seed: 1,
        level: 0.95,
        null: 0.0,
    };
    assert!(wild_cluster_bootstrap(&y, x.as_ref(), &cl, 4, 0, "x", 1.0, &opts).is_err());
    let one = vec![0usize; y.len()];
    let opts = BootOptions { draws: 9, ..opts };
    assert!(wild_cluster_bootstrap(&y, x.as_ref(), &one, 1, 0, "x", 1.0, &opts).is_err());
    let many = BootOptions {
        draws: MAX_DRAWS + 1,
        ..opts
    };
    let err = wild_cluster_bootstrap(&y, x.as_ref(), &cl, 4, 0, "x", 1.0, &many).unwrap_err();
    assert!(
        err.to_string().contains("at most 10,000,000 draws"),
        "{err}"
    );
    assert_eq!(BootWeights::parse(" Webb"), Some(BootWeights::Webb));
    assert_eq!(BootWeights::parse("mammen"), None);
}
