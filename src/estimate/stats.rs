//! Descriptive helpers: panel sums and means, Pearson correlation, Stata's percentile rule.

use faer::{Mat, MatRef};

use super::linalg::col;

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

    /// Panel means of every column of X (n×k), written in place (the sums of
    /// [`Panels::means`] without a temporary per column).
    pub fn column_means(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        let k = x.ncols();
        let mut m = Mat::<f64>::zeros(self.n(), k);
        let Some(seg) = &self.segments else {
            for j in 0..k {
                let means = self.means(col(x, j));
                m.col_as_slice_mut(j).copy_from_slice(&means);
            }
            return m;
        };
        for j in 0..k {
            let src = col(x, j);
            let dst = m.col_as_slice_mut(j);
            for (d, &(a, b)) in dst.iter_mut().zip(seg) {
                let part = src.get(a..b).unwrap_or(&[]);
                *d = part.iter().sum::<f64>() / (b - a).max(1) as f64;
            }
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

/// Means of several slices of equal length n (NaN when n = 0), each summed left to right as
/// [`mean`] does, side by side.
pub fn means_of(cols: &[&[f64]]) -> Vec<f64> {
    let n = cols.first().map_or(0, |c| c.len());
    interleaved_sums(cols, |_, v| v)
        .into_iter()
        .map(|s| if n == 0 { f64::NAN } else { s / n as f64 })
        .collect()
}

/// Σ_i f(j, c_j[i]) for every slice c_j, each accumulated left to right from −0.0 exactly as
/// `iter().map(..).sum::<f64>()` does (so the rounding is unchanged), but with up to four
/// slices advanced together: one running sum is bound by the latency of the addition, four
/// independent ones overlap. Slices are cut to the shortest length.
pub fn interleaved_sums(cols: &[&[f64]], f: impl Fn(usize, f64) -> f64 + Copy) -> Vec<f64> {
    let n = cols.iter().map(|c| c.len()).min().unwrap_or(0);
    let mut out = vec![0.0; cols.len()];
    interleaved_range_sums(cols, 0, n, f, &mut out);
    out
}

/// [`interleaved_sums`] over rows `start..end` of every slice, written into `out` (one entry
/// per slice); nothing is written when a slice is shorter than `end`.
pub fn interleaved_range_sums(
    cols: &[&[f64]],
    start: usize,
    end: usize,
    f: impl Fn(usize, f64) -> f64 + Copy,
    out: &mut [f64],
) {
    let mut j0 = 0;
    while j0 < cols.len().min(out.len()) {
        let rest = &cols[j0..];
        let dst = &mut out[j0..];
        match rest.len() {
            1 => sum_block::<1>(rest, j0, start, end, f, dst),
            2 => sum_block::<2>(rest, j0, start, end, f, dst),
            3 => sum_block::<3>(rest, j0, start, end, f, dst),
            _ => sum_block::<4>(rest, j0, start, end, f, dst),
        }
        j0 += rest.len().min(4);
    }
}

/// B running sums over rows `start..end` of the first B slices of `cols` (column index offset
/// `j0` for `f`), stored in `out[..B]`.
#[inline(always)]
fn sum_block<const B: usize>(
    cols: &[&[f64]],
    j0: usize,
    start: usize,
    end: usize,
    f: impl Fn(usize, f64) -> f64,
    out: &mut [f64],
) {
    let mut block: [&[f64]; B] = [&[]; B];
    for (b, slot) in block.iter_mut().enumerate() {
        match cols.get(b).and_then(|c| c.get(start..end)) {
            Some(part) => *slot = part,
            None => return,
        }
    }
    let len = end.saturating_sub(start);
    let mut acc = [-0.0f64; B];
    // Row i of B slices at once: there is no iterator over a variable number of slices in lock
    // step, hence the index.
    #[allow(clippy::needless_range_loop)]
    for i in 0..len {
        for b in 0..B {
            acc[b] += f(j0 + b, block[b][i]);
        }
    }
    for (o, a) in out.iter_mut().zip(acc) {
        *o = a;
    }
}

/// Pearson correlation; `None` when either variable has zero variance or n < 2.
pub fn correlation(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    let m = means_of(&[a, b]);
    let (ma, mb) = (m[0], m[1]);
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

/// The p-th percentile (0 ≤ p ≤ 100) of ascending `sorted` values by Stata's rule for
/// `summarize, detail`, `_pctile` and `pctile` without weights: with P = n·p/100 and 1-based
/// order statistics x₍ₖ₎, the percentile is x₍ᵢ₎ for the first i with i > P, except that when
/// P is an integer it is (x₍ₚ₎ + x₍ₚ₊₁₎)/2. Equivalently: x₍⌊P⌋+1₎ if P is not an integer, the
/// mean of x₍P₎ and x₍P+1₎ if it is; p ≤ 0 gives the minimum and p ≥ 100 the maximum. None
/// for an empty slice. Sources: Stata \[R\] summarize and \[D\] pctile, Methods and formulas
/// (W = Σw = n, "find the first index i such that W₍ᵢ₎ > P"); Stata FAQ "Calculate percentiles
/// with survey data" (N. Zang, StataCorp, 2008), which states the same rule.
///
/// "P is an integer" is decided on the exact product, not its binary rounding: p is written in
/// decimal (64.4 means 644/10), so n = 250, p = 64.4 gives P = 161 exactly and the average of
/// x₍₁₆₁₎ and x₍₁₆₂₎, although 250 · 64.4 / 100 evaluates to 161.00000000000003 in doubles.
/// A computed P within 8 units in the last place of an integer is taken as that integer; a P
/// that is not an integer by more than that comes from a p with more than ~13 significant
/// digits, which no one writes. (Stata itself compares W₍ᵢ₎ with P exactly — a p passed as
/// 7.000000000000001 is not an integer percentile, Stata Statalist 2003-06 "pctile, xtile
/// methods" — so gvc matches Stata for the decimal p the user typed; whether Stata's own double
/// arithmetic rounds 250·64.4/100 to 161 is not documented and was not checked against Stata.)
pub fn stata_percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    let first = *sorted.first()?;
    let last = *sorted.last()?;
    if p.is_nan() {
        return None;
    }
    if p <= 0.0 {
        return Some(first);
    }
    if p >= 100.0 {
        return Some(last);
    }
    let position = n as f64 * p / 100.0;
    let nearest = position.round();
    let is_integer = (position - nearest).abs() <= 8.0 * f64::EPSILON * nearest.max(1.0);
    // 1-based order statistic k, clamped to the sample.
    let at = |k: f64| sorted[(k as usize).clamp(1, n) - 1];
    if is_integer {
        Some(0.5 * (at(nearest) + at(nearest + 1.0)))
    } else {
        Some(at(position.floor() + 1.0))
    }
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
        assert_eq!(stata_percentile(&x, 50.0), Some(2.5));
        // P = 4·25/100 = 1 → (x1 + x2)/2.
        assert_eq!(stata_percentile(&x, 25.0), Some(1.5));
        // P = 4·5/100 = 0.2 → x(1).
        assert_eq!(stata_percentile(&x, 5.0), Some(1.0));
        // P = 3.8 → x(4).
        assert_eq!(stata_percentile(&x, 95.0), Some(4.0));
        assert_eq!(stata_percentile(&x, 0.0), Some(1.0));
        assert_eq!(stata_percentile(&x, 100.0), Some(4.0));
        assert_eq!(stata_percentile(&[], 50.0), None);
        assert_eq!(stata_percentile(&[1.0, 3.0, 7.0], 50.0), Some(3.0));
    }

    /// n = 250, p = 64.4: P = 250 · 64.4 / 100 = 161 exactly, so Stata's documented rule
    /// averages x(161) and x(162). In doubles the product is 161.00000000000003, which a
    /// literal comparison reads as "not an integer" and answers x(162); the two functions gvc
    /// had disagreed exactly here (issue #14).
    #[test]
    fn stata_percentile_at_an_integer_position_up_to_rounding() {
        let x: Vec<f64> = (1..=250).map(f64::from).collect();
        let n = x.len() as f64;
        assert!(
            n * 64.4 / 100.0 > 161.0,
            "the floating-point premise of the test"
        );
        assert_eq!(stata_percentile(&x, 64.4), Some(161.5));
        // Positions that are not integers stay x(⌊P⌋ + 1): P = 161.025 → x(162).
        assert_eq!(stata_percentile(&x, 64.41), Some(162.0));
        // P = 160.975 → x(161).
        assert_eq!(stata_percentile(&x, 64.39), Some(161.0));
        // Other decimal p with an integer n·p/100: n = 1000, p = 0.7, 57.3, 99.9.
        let y: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(stata_percentile(&y, 0.7), Some(7.5));
        assert_eq!(stata_percentile(&y, 57.3), Some(573.5));
        assert_eq!(stata_percentile(&y, 99.9), Some(999.5));
        // A tolerance must be relative: at n = 10⁶ the rounding error of P = 644000 is
        // 1.2e-10, far above a fixed 1e-12.
        let z: Vec<f64> = (1..=1_000_000).map(f64::from).collect();
        assert_eq!(stata_percentile(&z, 64.4), Some(644_000.5));
        assert_eq!(stata_percentile(&z, 33.3), Some(333_000.5));
    }

    #[test]
    fn correlation_of_constant_is_none() {
        assert!(correlation(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_none());
        let r = correlation(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.5]).unwrap_or(0.0);
        assert!(r > 0.99);
    }

    /// Deterministic values of mixed sign and magnitude (so that the order of the additions
    /// matters for the rounding).
    fn wild(n: usize, seed: u64) -> Vec<f64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let u = (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                u * 10f64.powi((x % 17) as i32 - 8)
            })
            .collect()
    }

    #[test]
    fn interleaved_sums_round_exactly_like_sequential_sums() {
        for k in 0..10 {
            let cols: Vec<Vec<f64>> = (0..k).map(|j| wild(383, 7 + j as u64)).collect();
            let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
            let got = interleaved_sums(&refs, |j, v| v * (j as f64 + 0.5));
            for (j, c) in cols.iter().enumerate() {
                let want: f64 = c.iter().map(|v| v * (j as f64 + 0.5)).sum();
                assert_eq!(got[j].to_bits(), want.to_bits(), "k = {k}, column {j}");
            }
            let m = means_of(&refs);
            for (j, c) in cols.iter().enumerate() {
                assert_eq!(m[j].to_bits(), mean(c).to_bits());
            }
        }
        // Empty columns: the sum is −0.0 (as `iter().sum()`), the mean NaN.
        assert!(interleaved_sums(&[&[][..]], |_, v| v)[0].is_sign_negative());
        assert!(means_of(&[&[][..]])[0].is_nan());
    }

    #[test]
    fn column_means_match_per_column_means() {
        let codes: Vec<usize> = (0..40).map(|i| i / 7).collect();
        let panels = Panels::new(&codes, 6);
        let x = Mat::from_fn(40, 3, |i, j| wild(40, 3 + j as u64)[i]);
        let m = panels.column_means(x.as_ref());
        for j in 0..3 {
            let want = panels.means(x.col_as_slice(j));
            for (p, w) in want.iter().enumerate() {
                assert_eq!(m[(p, j)].to_bits(), w.to_bits());
            }
        }
    }
}
