//! Descriptive helpers: panel sums and means, Pearson correlation, Stata's percentile rule.

use faer::Mat;

/// Panel structure of a sample sorted by panel: T_i and the observation → panel map.
#[derive(Debug, Clone)]
pub struct Panels<'a> {
    /// Dense panel code per observation.
    pub codes: &'a [usize],
    /// T_i per panel.
    pub counts: Vec<usize>,
    /// Row ranges per panel when the sample is sorted by panel (as designs are).
    segments: Option<Vec<(usize, usize)>>,
}

impl<'a> Panels<'a> {
    /// Count observations per panel (codes must be dense 0..n).
    pub fn new(codes: &'a [usize], n_groups: usize) -> Self {
        let mut counts = vec![0usize; n_groups];
        for &c in codes {
            if let Some(v) = counts.get_mut(c) {
                *v += 1;
            }
        }
        let sorted = codes.windows(2).all(|w| w[0] <= w[1]);
        let segments = sorted.then(|| {
            let mut start = 0;
            counts
                .iter()
                .map(|&t| {
                    let seg = (start, start + t);
                    start += t;
                    seg
                })
                .collect()
        });
        Panels {
            codes,
            counts,
            segments,
        }
    }

    /// Number of panels n.
    pub fn n(&self) -> usize {
        self.counts.len()
    }

    /// Panel means ȳ_i of a variable.
    pub fn means(&self, v: &[f64]) -> Vec<f64> {
        if let Some(seg) = &self.segments {
            return seg
                .iter()
                .map(|&(a, b)| {
                    let part = v.get(a..b).unwrap_or(&[]);
                    part.iter().sum::<f64>() / (b - a).max(1) as f64
                })
                .collect();
        }
        let mut s = vec![0.0; self.n()];
        for (&c, &x) in self.codes.iter().zip(v) {
            s[c] += x;
        }
        s.iter_mut()
            .zip(&self.counts)
            .for_each(|(a, &t)| *a /= t.max(1) as f64);
        s
    }

    /// Panel means of every column of X (n×k).
    pub fn column_means(&self, x: &Mat<f64>) -> Mat<f64> {
        let mut m = Mat::<f64>::zeros(self.n(), x.ncols());
        for j in 0..x.ncols() {
            let means = self.means(x.col_as_slice(j));
            m.col_as_slice_mut(j).copy_from_slice(&means);
        }
        m
    }

    /// Harmonic mean of T_i: n / Σ 1/T_i.
    pub fn harmonic_mean_t(&self) -> f64 {
        let s: f64 = self.counts.iter().map(|&t| 1.0 / t as f64).sum();
        self.n() as f64 / s
    }
}

/// Mean of a slice.
pub fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// Pearson correlation; `None` when either variable has zero variance or n < 2.
pub fn correlation(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    let (ma, mb) = (mean(a), mean(b));
    let mut sab = 0.0;
    let mut saa = 0.0;
    let mut sbb = 0.0;
    for (x, y) in a.iter().zip(b) {
        let (da, db) = (x - ma, y - mb);
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    let denom = (saa * sbb).sqrt();
    if denom.is_nan() || denom <= 0.0 || !denom.is_finite() {
        return None;
    }
    let r = sab / denom;
    r.is_finite().then_some(r)
}

/// Squared correlation (Stata's R² within/between/overall definitions, econometrics.md §3.3).
pub fn r2_corr(a: &[f64], b: &[f64]) -> Option<f64> {
    correlation(a, b).map(|r| r * r)
}

/// Sample standard deviation (divisor n − 1); `None` when n < 2.
pub fn std_dev(v: &[f64]) -> Option<f64> {
    if v.len() < 2 {
        return None;
    }
    let m = mean(v);
    let ss: f64 = v.iter().map(|x| (x - m) * (x - m)).sum();
    Some((ss / (v.len() - 1) as f64).sqrt())
}

/// Percentile as Stata's `summarize, detail` (unweighted): with P = n·p/100, x_(⌊P⌋+1) if P is
/// not an integer, else the mean of x_(P) and x_(P+1) (econometrics.md §7.3).
pub fn stata_percentile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let pos = n as f64 * p / 100.0;
    let rounded = pos.round();
    if (pos - rounded).abs() < 1e-12 {
        let k = rounded as usize;
        if k == 0 {
            return sorted[0];
        }
        if k >= n {
            return sorted[n - 1];
        }
        return 0.5 * (sorted[k - 1] + sorted[k]);
    }
    sorted[(pos.floor() as usize).min(n - 1)]
}

/// `Some(x)` when finite.
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stata_percentile_rule() {
        let x = [1.0, 2.0, 3.0, 4.0];
        // P = 4·50/100 = 2 (integer) → mean of x(2), x(3).
        assert_eq!(stata_percentile(&x, 50.0), 2.5);
        // P = 4·5/100 = 0.2 → x(1).
        assert_eq!(stata_percentile(&x, 5.0), 1.0);
        // P = 3.8 → x(4).
        assert_eq!(stata_percentile(&x, 95.0), 4.0);
    }

    #[test]
    fn correlation_of_constant_is_none() {
        assert!(correlation(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_none());
        let r = correlation(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.5]).unwrap_or(0.0);
        assert!(r > 0.99);
    }
}
