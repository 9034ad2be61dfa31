//! Throughput benchmark of the fixed-effects path: FE regressions per second on a deterministic
//! synthetic 35 panels × 11 years, 6-regressor panel (the size of the motivating study).

use std::time::Instant;

use faer::Mat;
use serde::{Deserialize, Serialize};

use super::design::Design;
use super::error::EstimateError;
use super::fit::{fit, FitOptions};
use super::results::{Estimator, Vce};

/// Benchmark outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// Regressions completed.
    pub regressions: usize,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Regressions per second.
    pub per_second: f64,
    /// Observations per regression.
    pub n_obs: usize,
    /// Regressors per regression.
    pub n_regressors: usize,
}

/// xorshift64* generator: deterministic, dependency-free.
struct XorShift(u64);

impl XorShift {
    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform on [−1, 1).
    fn uniform(&mut self) -> f64 {
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
    let x = Mat::from_fn(n, K, |_, _| 0.0);
    let mut x = x;
    for j in 0..K {
        for i in 0..n {
            x[(i, j)] = rng.uniform() + 0.5 * alpha[i / YEARS] * (j as f64 + 1.0) / K as f64;
        }
    }
    let beta = [0.5, -0.25, 1.0, 0.0, 0.3, -0.7];
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let xb: f64 = (0..K).map(|j| beta[j] * x[(i, j)]).sum();
            xb + alpha[i / YEARS] + 0.5 * rng.uniform()
        })
        .collect();
    let panel: Vec<i64> = (0..n).map(|i| (i / YEARS) as i64 + 1).collect();
    let time: Vec<i64> = (0..n).map(|i| 2007 + (i % YEARS) as i64).collect();
    let names: Vec<String> = (1..=K).map(|j| format!("x{j}")).collect();
    Design::from_arrays("y", &names, &y, &x, &panel, &time, "country", "year")
}

/// Run full `xtreg, fe vce(robust)` fits (coefficients, conventional and clustered covariance,
/// all fit statistics and tests) repeatedly for at least `min_seconds` and report the rate.
pub fn bench_fe_regressions(min_seconds: f64) -> Result<BenchReport, EstimateError> {
    let design = bench_design()?;
    let opts = FitOptions::with_vce(Vce::Robust);
    // Warm-up (and validation that the design fits).
    let first = fit(&design, Estimator::Fe, &opts)?;
    let start = Instant::now();
    let mut count = 0usize;
    let mut checksum = 0.0;
    loop {
        let r = fit(&design, Estimator::Fe, &opts)?;
        checksum += r.coefficients.first().copied().unwrap_or(0.0);
        count += 1;
        if start.elapsed().as_secs_f64() >= min_seconds.max(0.0) {
            break;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    // Keep the optimiser from discarding the work.
    std::hint::black_box(checksum);
    Ok(BenchReport {
        regressions: count,
        seconds,
        per_second: count as f64 / seconds.max(f64::MIN_POSITIVE),
        n_obs: first.sample.n_obs,
        n_regressors: design.x.ncols(),
    })
}
