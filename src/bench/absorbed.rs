//! Throughput of the absorbed-effects estimators (`hdfe`, `ppml`) on a deterministic synthetic
//! gravity panel: 35 exporters × 34 importers × 11 years (13,090 flows) with three absorbed
//! factors, exporter^year, importer^year and exporter^importer (the structural-gravity
//! specification), one time-varying pair regressor and one control. Each fit is complete:
//! singleton and separation checks, demeaning, slopes, conventional and clustered (by pair)
//! covariances.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::regressions::XorShift;
use crate::estimate::design::Design;
use crate::estimate::error::EstimateError;
use crate::estimate::fit::FitOptions;
use crate::estimate::hdfe::{fit_hdfe, Factor, HdfeOptions};
use crate::estimate::results::{Estimator, Vce};
use crate::iot::dense;

/// One row of the benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbsorbedBenchRow {
    /// `hdfe` or `ppml`.
    pub estimator: String,
    /// Fits completed.
    pub fits: usize,
    /// Wall seconds.
    pub seconds: f64,
    /// Fits per second (one thread).
    pub per_second: f64,
    /// Milliseconds per fit.
    pub ms_per_fit: f64,
    /// Observations.
    pub n_obs: usize,
    /// Absorbed factors and their levels.
    pub absorbed_levels: Vec<(String, usize)>,
    /// Demeaning iterations of one fit (last IRLS step for PPML).
    pub demean_iterations: usize,
    /// IRLS iterations (PPML).
    pub irls_iterations: Option<usize>,
}

/// The synthetic gravity design and its three factors. Flows are Poisson-like draws around
/// exp(0.3·rta + 0.5·x + exporter-year + importer-year + pair effects), about 8 % zeros.
pub fn gravity_design() -> Result<(Design, Vec<Factor>), EstimateError> {
    const C: usize = 35;
    const T: usize = 11;
    let mut rng = XorShift(0x0DDB_1A5E_5BAD_5EED);
    let ex_year: Vec<f64> = (0..C * T).map(|_| rng.uniform()).collect();
    let im_year: Vec<f64> = (0..C * T).map(|_| rng.uniform()).collect();
    let pair_fe: Vec<f64> = (0..C * C).map(|_| 1.5 * rng.uniform()).collect();
    let (mut y, mut x1, mut x2) = (Vec::new(), Vec::new(), Vec::new());
    let (mut fe_ey, mut fe_iy, mut fe_p, mut panel, mut time) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for e in 0..C {
        for i in (0..C).filter(|&i| i != e) {
            let start = (e * 7 + i * 3) % (T + 4);
            for t in 0..T {
                let rta = f64::from(u8::from(t >= start));
                let x = rng.uniform();
                let eta = 0.3 * rta
                    + 0.5 * x
                    + ex_year[e * T + t]
                    + im_year[i * T + t]
                    + pair_fe[e * C + i];
                let mu = eta.exp();
                // A gamma-ish multiplicative disturbance and exact zeros for small flows.
                let draw = mu * (1.0 + 0.5 * rng.uniform());
                y.push(if draw < 0.15 { 0.0 } else { draw });
                x1.push(rta);
                x2.push(x);
                fe_ey.push(e * T + t);
                fe_iy.push(i * T + t);
                fe_p.push(e * C + i);
                panel.push((e * C + i) as i64);
                time.push(2007 + t as i64);
            }
        }
    }
    let n = y.len();
    let x = dense::from_fn(n, 2, |(r, c)| if c == 0 { x1[r] } else { x2[r] });
    let y = ndarray::Array1::from(y);
    let names = vec!["rta".to_string(), "x".to_string()];
    let mut design = Design::from_arrays("flow", &names, &y, &x, &panel, &time, "pair", "year")?;
    // from_arrays sorts by (pair, year): the rows were generated in that order already.
    design.cluster = None;
    let factors = vec![
        Factor::new("exporter^year", &fe_ey),
        Factor::new("importer^year", &fe_iy),
        Factor::new("exporter^importer", &fe_p),
    ];
    Ok((design, factors))
}

fn row(
    estimator: Estimator,
    design: &Design,
    factors: &[Factor],
    min_seconds: f64,
) -> Result<AbsorbedBenchRow, EstimateError> {
    let opts = FitOptions::with_vce(Vce::Cluster);
    let hopts = HdfeOptions::default();
    let first = fit_hdfe(design, factors, estimator, &opts, &hopts)?;
    let start = Instant::now();
    let mut fits = 0usize;
    let mut checksum = 0.0;
    loop {
        let r = fit_hdfe(design, factors, estimator, &opts, &hopts)?;
        checksum += r.coefficients.first().copied().unwrap_or(0.0);
        fits += 1;
        if start.elapsed().as_secs_f64() >= min_seconds {
            break;
        }
    }
    std::hint::black_box(checksum);
    let seconds = start.elapsed().as_secs_f64();
    let info = first.absorbed.as_ref();
    Ok(AbsorbedBenchRow {
        estimator: estimator.as_str().to_string(),
        fits,
        seconds,
        per_second: fits as f64 / seconds.max(f64::MIN_POSITIVE),
        ms_per_fit: 1e3 * seconds / fits.max(1) as f64,
        n_obs: first.sample.n_obs,
        absorbed_levels: info
            .map(|a| {
                a.dof
                    .factors
                    .iter()
                    .map(|f| (f.name.clone(), f.levels))
                    .collect()
            })
            .unwrap_or_default(),
        demean_iterations: info.map_or(0, |a| a.demean_iterations),
        irls_iterations: info.and_then(|a| a.ppml.as_ref().map(|p| p.iterations)),
    })
}

/// `hdfe` and `ppml` fits (vce cluster by pair) repeated for at least `min_seconds` each.
pub fn bench_absorbed(min_seconds: f64) -> Result<Vec<AbsorbedBenchRow>, EstimateError> {
    let (design, factors) = gravity_design()?;
    let min_seconds = if min_seconds.is_finite() {
        min_seconds.max(0.0)
    } else {
        0.0
    };
    Ok(vec![
        row(Estimator::Hdfe, &design, &factors, min_seconds)?,
        row(Estimator::Ppml, &design, &factors, min_seconds)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gravity_design_fits_both_estimators() {
        let rows = bench_absorbed(0.0).expect("bench");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].absorbed_levels.len(), 3);
        assert!(rows[0].n_obs > 10_000, "{rows:?}");
        assert!(rows[1].irls_iterations.is_some_and(|i| i > 1));
    }
}
