//! `gvc bench`: timings measured in one run and reported as ratios — the Leontief inverse and
//! the decompositions against one dense matmul ([`decompose`]), and FE regressions per second
//! on one thread and on all cores ([`regressions`]), and the cost of keying inputs by content
//! ([`hashing`]), the `adb-xlsx` reader against calamine's raw cell pass ([`reader`]), and the
//! subset fast path of the multiverse against the standard path ([`multiverse`]).

pub mod absorbed;
pub mod decompose;
pub mod hashing;
pub mod multiverse;
pub mod reader;
pub mod regressions;

pub use absorbed::{bench_absorbed, AbsorbedBenchRow};
pub use regressions::{bench_design, bench_fe_regressions, BenchReport};

/// The median of a non-empty sample (the mean of the two middle values for an even count);
/// NaN for an empty one. `gvc bench --repeat N` reports medians of N runs.
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        k if k % 2 == 1 => v[k / 2],
        k => (v[k / 2 - 1] + v[k / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn median_of_odd_even_and_empty_samples() {
        assert_eq!(super::median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(super::median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(super::median(&[]).is_nan());
    }
}
