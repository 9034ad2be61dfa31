//! Descriptive statistics of panel columns. Percentiles (the median here, the bounds of
//! `winsorize`) use the estimator layer's [`stata_percentile`], Stata's `_pctile` rule.

use serde::{Deserialize, Serialize};

use crate::estimate::stata_percentile;

/// Descriptives of one variable over its non-missing panel cells (each variable on its own
/// cells, not listwise).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Descriptives {
    /// Variable name.
    pub variable: String,
    /// Number of non-missing cells.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: Option<f64>,
    /// Sample standard deviation, divisor n − 1 (None when n < 2).
    pub sd: Option<f64>,
    /// Minimum.
    pub min: Option<f64>,
    /// Median by the Stata `summarize, detail` rule (see [`stata_percentile`]): the middle value,
    /// or the mean of the two middle values when n is even.
    pub p50: Option<f64>,
    /// Maximum.
    pub max: Option<f64>,
}

/// Descriptives of `values` (missing cells skipped).
pub fn describe(variable: &str, values: &[Option<f64>]) -> Descriptives {
    let mut xs: Vec<f64> = values.iter().flatten().copied().collect();
    xs.sort_by(f64::total_cmp);
    let (mean, sd) = match mean_sd(&xs) {
        Some((m, s)) => (Some(m), s),
        None => (None, None),
    };
    Descriptives {
        variable: variable.to_string(),
        n: xs.len(),
        mean,
        sd,
        min: xs.first().copied(),
        p50: stata_percentile(&xs, 50.0),
        max: xs.last().copied(),
    }
}

/// Mean and sample standard deviation (divisor n − 1; None for n < 2) by the two-pass
/// formula: x̄ = Σx/n, s² = Σ(x − x̄)²/(n − 1). None for an empty slice.
pub fn mean_sd(xs: &[f64]) -> Option<(f64, Option<f64>)> {
    if xs.is_empty() {
        return None;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let sd = (xs.len() >= 2).then(|| {
        let ss: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
        (ss / (n - 1.0)).sqrt()
    });
    Some((mean, sd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptives_by_hand() {
        let d = describe("x", &[Some(2.0), None, Some(4.0), Some(9.0)]);
        assert_eq!(d.n, 3);
        assert_eq!(d.mean, Some(5.0));
        // deviations −3, −1, 4 → SS = 26, s² = 13
        assert_eq!(d.sd, Some(13f64.sqrt()));
        assert_eq!((d.min, d.p50, d.max), (Some(2.0), Some(4.0), Some(9.0)));
        let empty = describe("y", &[None]);
        assert_eq!((empty.n, empty.mean, empty.sd), (0, None, None));
    }
}
