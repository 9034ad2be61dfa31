//! Throughput benchmark of the fixed-effects path: FE regressions per second on a deterministic
//! synthetic 35 panels × 11 years, 6-regressor panel (the size of the motivating study), on one
//! thread and as a specification sweep spread over the rayon pool (all cores).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use ndarray::Array1;
use serde::{Deserialize, Serialize};

use crate::estimate::design::Design;
use crate::estimate::error::EstimateError;
use crate::estimate::fit::{fit, FitOptions};
use crate::estimate::results::{Estimator, Vce};
use crate::iot::dense;

/// Benchmark outcome. Field order is the serialized order (stable; new fields go last).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// Regressions completed on one thread.
    pub regressions: usize,
    /// Wall time of the single-thread run in seconds.
    pub seconds: f64,
    /// Regressions per second on one thread.
    pub per_second: f64,
    /// Observations per regression.
    pub n_obs: usize,
    /// Regressors per regression.
    pub n_regressors: usize,
    /// Worker threads of the parallel run (the rayon pool: all cores unless
    /// `RAYON_NUM_THREADS` says otherwise).
    pub threads: usize,
    /// Regressions completed by all threads together in the parallel run.
    pub regressions_parallel: usize,
    /// Wall time of the parallel run in seconds.
    pub seconds_parallel: f64,
    /// Regressions per second of the parallel run (all threads together).
    pub per_second_parallel: f64,
}

/// xorshift64* generator: deterministic, dependency-free.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform on [−1, 1).
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// The synthetic benchmark design: 35 panels × 11 years (2007–2017), 6 regressors with panel
/// effects, y = Σ_j β_j x_j + α_i + e.
pub fn bench_design() -> Result<Design, EstimateError> {
    const PANELS: usize = 35;
    const YEARS: usize = 11;
    const K: usize = 6;
    let n = PANELS * YEARS;
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let alpha: Vec<f64> = (0..PANELS).map(|_| 2.0 * rng.uniform()).collect();
    let mut x = dense::zeros(n, K);
    for j in 0..K {
        for i in 0..n {
            x[[i, j]] = rng.uniform() + 0.5 * alpha[i / YEARS] * (j as f64 + 1.0) / K as f64;
        }
    }
    let beta = [0.5, -0.25, 1.0, 0.0, 0.3, -0.7];
    let y: Array1<f64> = (0..n)
        .map(|i| {
            let xb: f64 = (0..K).map(|j| beta[j] * x[[i, j]]).sum();
            xb + alpha[i / YEARS] + 0.5 * rng.uniform()
        })
        .collect();
    let panel: Vec<i64> = (0..n).map(|i| (i / YEARS) as i64 + 1).collect();
    let time: Vec<i64> = (0..n).map(|i| 2007 + (i % YEARS) as i64).collect();
    let names: Vec<String> = (1..=K).map(|j| format!("x{j}")).collect();
    Design::from_arrays("y", &names, &y, &x, &panel, &time, "country", "year")
}

/// Run full `xtreg, fe vce(robust)` fits (coefficients, conventional and clustered covariance,
/// all fit statistics and tests) repeatedly for at least `min_seconds` on one thread, then for
/// at least `min_seconds` on every thread of the rayon pool at once (independent fits, as in a
/// specification sweep), and report both rates.
pub fn bench_fe_regressions(min_seconds: f64) -> Result<BenchReport, EstimateError> {
    let design = bench_design()?;
    let opts = FitOptions::with_vce(Vce::Robust);
    let min_seconds = if min_seconds.is_finite() {
        min_seconds.max(0.0)
    } else {
        0.0
    };
    // Warm-up (and validation that the design fits).
    let first = fit(&design, Estimator::Fe, &opts)?;
    let start = Instant::now();
    let stop = AtomicBool::new(false);
    let count = fit_until(&design, &opts, start, min_seconds, &stop)?;
    let seconds = start.elapsed().as_secs_f64();
    let (regressions_parallel, seconds_parallel, threads) =
        parallel_rate(&design, &opts, min_seconds)?;
    Ok(BenchReport {
        regressions: count,
        seconds,
        per_second: count as f64 / seconds.max(f64::MIN_POSITIVE),
        n_obs: first.sample.n_obs,
        n_regressors: design.x.ncols(),
        threads,
        regressions_parallel,
        seconds_parallel,
        per_second_parallel: regressions_parallel as f64 / seconds_parallel.max(f64::MIN_POSITIVE),
    })
}

/// Fit repeatedly (at least once) until `min_seconds` have passed since `start` or another
/// worker raised `stop`; returns the number of fits.
fn fit_until(
    design: &Design,
    opts: &FitOptions,
    start: Instant,
    min_seconds: f64,
    stop: &AtomicBool,
) -> Result<usize, EstimateError> {
    let mut count = 0usize;
    let mut checksum = 0.0;
    loop {
        let r = fit(design, Estimator::Fe, opts)?;
        checksum += r.coefficients.first().copied().unwrap_or(0.0);
        count += 1;
        if stop.load(Ordering::Relaxed) || start.elapsed().as_secs_f64() >= min_seconds {
            break;
        }
    }
    // Keep the optimiser from discarding the work.
    std::hint::black_box(checksum);
    Ok(count)
}

/// One worker per thread of the rayon pool, each fitting until `min_seconds` have passed; the
/// first to finish stops the others so that the wall time covers only fully parallel work.
/// Returns (fits, wall seconds, threads).
fn parallel_rate(
    design: &Design,
    opts: &FitOptions,
    min_seconds: f64,
) -> Result<(usize, f64, usize), EstimateError> {
    let threads = rayon::current_num_threads().max(1);
    let stop = AtomicBool::new(false);
    let total = AtomicUsize::new(0);
    let start = Instant::now();
    let results: Vec<Result<(), EstimateError>> = rayon::broadcast(|_| {
        let n = fit_until(design, opts, start, min_seconds, &stop);
        stop.store(true, Ordering::Relaxed);
        n.map(|n| {
            total.fetch_add(n, Ordering::Relaxed);
        })
    });
    let seconds = start.elapsed().as_secs_f64();
    results.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok((total.into_inner(), seconds, threads))
}
