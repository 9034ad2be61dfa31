//! `gvc bench --multiverse`: fits per second of the subset fast path
//! ([`SubsetFitter`](crate::estimate::SubsetFitter)) against the standard path
//! ([`fit`](crate::estimate::fit())) on the multiverse's typical job — `xtreg, fe
//! vce(cluster country)` for every subset of 10 candidate regressors (1,024 fits per sample)
//! on a deterministic synthetic 35 countries × 11 years panel (the seed study's shape) — on one
//! thread and on all threads of the rayon pool, with the largest difference between the two
//! paths' coefficients and standard errors as a check that they fit the same models.

use std::time::Instant;

use ndarray::{Array1, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::regressions::XorShift;
use crate::estimate::design::Design;
use crate::estimate::error::EstimateError;
use crate::estimate::fit::{fit, FitOptions};
use crate::estimate::results::{EstimationResult, Estimator, Vce};
use crate::estimate::SubsetFitter;
use crate::iot::dense;

/// Candidate regressors of the benchmark.
pub const CANDIDATES: usize = 10;

/// Benchmark outcome. Field order is the serialized order (stable; new fields go last).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiverseBenchReport {
    /// Observations per fit (35 × 11).
    pub n_obs: usize,
    /// Panels (countries), also the clusters.
    pub n_panels: usize,
    /// Candidate regressors.
    pub candidates: usize,
    /// Fits per sample: every subset of the candidates, the empty one included.
    pub fits_per_sample: usize,
    /// The model: Stata command of the full subset.
    pub model: String,
    /// Threads of the parallel runs (the rayon pool).
    pub threads: usize,
    /// Fast path, all threads: fits per second, each pass building the fitter for the sample
    /// (the cross-products) and then fitting every subset.
    pub multiverse_fits_per_second: f64,
    /// Fast path on one thread.
    pub multiverse_fits_per_second_one_thread: f64,
    /// Standard path (`estimate::fit` on a design of the subset's columns, built beforehand
    /// and not timed), all threads.
    pub standard_fits_per_second: f64,
    /// Standard path on one thread.
    pub standard_fits_per_second_one_thread: f64,
    /// multiverse_fits_per_second / standard_fits_per_second.
    pub speedup: f64,
    /// The same ratio on one thread.
    pub speedup_one_thread: f64,
    /// Seconds to build the fitter once (the per-sample cost inside the rates above).
    pub setup_seconds: f64,
    /// Largest relative difference between the paths over every coefficient of every subset.
    pub max_rel_diff_coefficients: f64,
    /// Largest relative difference over every clustered and conventional standard error.
    pub max_rel_diff_std_errors: f64,
    /// Fast path, all threads, computing only what a specification curve needs
    /// (`SubsetFitter::estimates`: coefficients and the clustered covariance with its
    /// inference; no conventional covariance, fit statistics or panel effects).
    pub multiverse_estimates_per_second: f64,
    /// The same on one thread.
    pub multiverse_estimates_per_second_one_thread: f64,
}

/// The synthetic multiverse panel: 35 panels × 11 years (2007–2017), 10 regressors sharing the
/// panel effects in different degrees, y = Σ_j β_j x_j + α_i + e.
pub fn multiverse_design() -> Result<Design, EstimateError> {
    const PANELS: usize = 35;
    const YEARS: usize = 11;
    let n = PANELS * YEARS;
    let mut rng = XorShift(0x5851_F42D_4C95_7F2D);
    let alpha: Vec<f64> = (0..PANELS).map(|_| 2.0 * rng.uniform()).collect();
    let mut x = dense::zeros(n, CANDIDATES);
    for j in 0..CANDIDATES {
        for i in 0..n {
            let trend = (i % YEARS) as f64 / YEARS as f64;
            x[[i, j]] = rng.uniform()
                + 0.6 * alpha[i / YEARS] * ((j % 4) as f64 + 1.0) / 4.0
                + 0.2 * trend * (j as f64 - 4.5);
        }
    }
    let beta = [0.5, -0.25, 1.0, 0.0, 0.3, -0.7, 0.1, 0.0, -0.4, 0.8];
    let y: Array1<f64> = (0..n)
        .map(|i| {
            let xb: f64 = (0..CANDIDATES).map(|j| beta[j] * x[[i, j]]).sum();
            xb + alpha[i / YEARS] + 0.5 * rng.uniform() * (1.0 + alpha[i / YEARS].abs())
        })
        .collect();
    let panel: Vec<i64> = (0..n).map(|i| (i / YEARS) as i64 + 1).collect();
    let time: Vec<i64> = (0..n).map(|i| 2007 + (i % YEARS) as i64).collect();
    let names: Vec<String> = (1..=CANDIDATES).map(|j| format!("x{j}")).collect();
    Design::from_arrays("y", &names, &y, &x, &panel, &time, "country", "year")
}

/// Every subset of `k` candidates as index lists (bit j of the mask = candidate j).
pub fn all_subsets(k: usize) -> Vec<Vec<usize>> {
    (0u64..1 << k)
        .map(|mask| (0..k).filter(|&j| mask >> j & 1 == 1).collect())
        .collect()
}

/// The design restricted to the columns `subset` (same rows, accounting and ids).
pub fn subset_design(design: &Design, subset: &[usize]) -> Design {
    let mut d = design.clone();
    d.x = dense::into_column_major(design.x.select(Axis(1), subset));
    d.regressor_names = subset
        .iter()
        .map(|&j| design.regressor_names[j].clone())
        .collect();
    d
}

/// Run both paths for at least `min_seconds` each, on one thread and on the pool.
pub fn bench_multiverse(min_seconds: f64) -> Result<MultiverseBenchReport, EstimateError> {
    let min_seconds = if min_seconds.is_finite() {
        min_seconds.max(0.0)
    } else {
        0.0
    };
    let design = multiverse_design()?;
    let opts = FitOptions::with_vce(Vce::Cluster);
    let subsets = all_subsets(CANDIDATES);
    let designs: Vec<Design> = subsets.iter().map(|s| subset_design(&design, s)).collect();

    let setup_start = Instant::now();
    let fitter = SubsetFitter::new(&design, Estimator::Fe, &opts)?;
    let setup_seconds = setup_start.elapsed().as_secs_f64();
    let fast: Vec<EstimationResult> = subsets
        .iter()
        .map(|s| fitter.fit(s))
        .collect::<Result<_, _>>()?;
    let standard: Vec<EstimationResult> = designs
        .iter()
        .map(|d| fit(d, Estimator::Fe, &opts))
        .collect::<Result<_, _>>()?;
    let (mut worst_b, mut worst_se) = (0.0f64, 0.0f64);
    for (f, s) in fast.iter().zip(&standard) {
        for (a, b) in f.coefficients.iter().zip(&s.coefficients) {
            worst_b = worst_b.max(rel_diff(*a, *b));
        }
        for (cf, cs) in f.covariances.iter().zip(&s.covariances) {
            for (a, b) in cf.std_error.iter().zip(&cs.std_error) {
                worst_se = worst_se.max(rel_diff(*a, *b));
            }
        }
    }

    let fast_pass = |parallel: bool| -> Result<usize, EstimateError> {
        let fitter = SubsetFitter::new(&design, Estimator::Fe, &opts)?;
        let one = |s: &Vec<usize>| fitter.fit(s).map(|r| r.coefficients.len());
        let sizes: Vec<usize> = if parallel {
            subsets.par_iter().map(one).collect::<Result<_, _>>()?
        } else {
            subsets.iter().map(one).collect::<Result<_, _>>()?
        };
        std::hint::black_box(sizes);
        Ok(subsets.len())
    };
    let standard_pass = |parallel: bool| -> Result<usize, EstimateError> {
        let one = |d: &Design| fit(d, Estimator::Fe, &opts).map(|r| r.coefficients.len());
        let sizes: Vec<usize> = if parallel {
            designs.par_iter().map(one).collect::<Result<_, _>>()?
        } else {
            designs.iter().map(one).collect::<Result<_, _>>()?
        };
        std::hint::black_box(sizes);
        Ok(designs.len())
    };
    let lean_pass = |parallel: bool| -> Result<usize, EstimateError> {
        let fitter = SubsetFitter::new(&design, Estimator::Fe, &opts)?;
        let one = |s: &Vec<usize>| fitter.estimates(s).map(|r| r.coefficients.len());
        let sizes: Vec<usize> = if parallel {
            subsets.par_iter().map(one).collect::<Result<_, _>>()?
        } else {
            subsets.iter().map(one).collect::<Result<_, _>>()?
        };
        std::hint::black_box(sizes);
        Ok(subsets.len())
    };
    let fast_one = rate(|| fast_pass(false), min_seconds)?;
    let fast_all = rate(|| fast_pass(true), min_seconds)?;
    let standard_one = rate(|| standard_pass(false), min_seconds)?;
    let standard_all = rate(|| standard_pass(true), min_seconds)?;
    let lean_one = rate(|| lean_pass(false), min_seconds)?;
    let lean_all = rate(|| lean_pass(true), min_seconds)?;
    let full = fast
        .last()
        .map(|r| r.stata_command.clone())
        .unwrap_or_default();
    Ok(MultiverseBenchReport {
        n_obs: design.n_obs(),
        n_panels: design.n_groups(),
        candidates: CANDIDATES,
        fits_per_sample: subsets.len(),
        model: full,
        threads: rayon::current_num_threads().max(1),
        multiverse_fits_per_second: fast_all,
        multiverse_fits_per_second_one_thread: fast_one,
        standard_fits_per_second: standard_all,
        standard_fits_per_second_one_thread: standard_one,
        speedup: fast_all / standard_all,
        speedup_one_thread: fast_one / standard_one,
        setup_seconds,
        max_rel_diff_coefficients: worst_b,
        max_rel_diff_std_errors: worst_se,
        multiverse_estimates_per_second: lean_all,
        multiverse_estimates_per_second_one_thread: lean_one,
    })
}

/// Fits per second of repeated passes (at least one) until `min_seconds` have passed.
fn rate(
    mut pass: impl FnMut() -> Result<usize, EstimateError>,
    min_seconds: f64,
) -> Result<f64, EstimateError> {
    let start = Instant::now();
    let mut fits = 0usize;
    loop {
        fits += pass()?;
        if start.elapsed().as_secs_f64() >= min_seconds {
            break;
        }
    }
    Ok(fits as f64 / start.elapsed().as_secs_f64().max(f64::MIN_POSITIVE))
}

/// |a − b| / max(|a|, |b|); 0 when equal (NaN = NaN counts as equal: both undefined).
fn rel_diff(a: f64, b: f64) -> f64 {
    if a == b || (a.is_nan() && b.is_nan()) {
        return 0.0;
    }
    (a - b).abs() / a.abs().max(b.abs()).max(f64::MIN_POSITIVE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_run_reports_both_paths_and_agreeing_answers() {
        let r = bench_multiverse(0.0).expect("bench");
        assert_eq!(r.fits_per_sample, 1024);
        assert_eq!(r.n_obs, 385);
        assert_eq!(r.n_panels, 35);
        assert!(r.model.contains("vce(cluster country)"), "{}", r.model);
        assert!(r.multiverse_fits_per_second > 0.0 && r.standard_fits_per_second > 0.0);
        assert!(r.multiverse_estimates_per_second > 0.0);
        assert!(r.max_rel_diff_coefficients < 1e-10, "{r:?}");
        assert!(r.max_rel_diff_std_errors < 1e-10, "{r:?}");
    }
}
