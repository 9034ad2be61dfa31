//! Descriptive statistics of panel columns and the percentile rule shared with `winsorize`.

use serde::{Deserialize, Serialize};

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

/// The p-th percentile (0 ≤ p ≤ 100) of ascending `sorted` values by Stata's `_pctile` /
/// `summarize, detail` rule (Stata [R] summarize, Methods and formulas): with P = n·p/100,
/// i = ⌊P⌋ and 1-based order statistics x₍ₖ₎, the percentile is x₍ᵢ₊₁₎ if P is not an integer
/// and (x₍ᵢ₎ + x₍ᵢ₊₁₎)/2 if it is; p = 0 gives the minimum and p = 100 the maximum.
/// None for an empty slice.
pub fn stata_percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    let first = *sorted.first()?;
    let last = *sorted.last()?;
    if p <= 0.0 {
        return Some(first);
    }
    if p >= 100.0 {
        return Some(last);
    }
    let position = n as f64 * p / 100.0;
    let i = position.floor() as usize;
    let at = |k: usize| sorted.get(k.clamp(1, n) - 1).copied();
    if position > position.floor() {
        at(i + 1)
    } else {
        Some((at(i)? + at(i + 1)?) / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_rule() {
        let xs = [1.0, 2.0, 3.0, 4.0];
        // P = 4·0.5 = 2 (integer) → (x2 + x3)/2 = 2.5
        assert_eq!(stata_percentile(&xs, 50.0), Some(2.5));
        // P = 4·0.25 = 1 → (x1 + x2)/2 = 1.5
        assert_eq!(stata_percentile(&xs, 25.0), Some(1.5));
        // P = 4·0.1 = 0.4 → x1
        assert_eq!(stata_percentile(&xs, 10.0), Some(1.0));
        // P = 4·0.9 = 3.6 → x4
        assert_eq!(stata_percentile(&xs, 90.0), Some(4.0));
        assert_eq!(stata_percentile(&[7.0, 1.0, 3.0][..0], 50.0), None);
        assert_eq!(stata_percentile(&[1.0, 3.0, 7.0], 50.0), Some(3.0));
    }

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
