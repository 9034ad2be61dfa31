//! The summary of one specification curve (one model and key regressor over every
//! universe): how many universes, the shares with a positive, negative and significant
//! (5 %) estimate, the median and interquartile range (Stata's `_pctile` definition), and
//! Simonsohn, Simmons & Nelson's (2020) joint test.
//!
//! The joint test asks whether the curve as a whole is more extreme than curves from data in
//! which the effect is zero by construction (the null draws of [`super::fit`]). Two
//! statistics, each with its p-value = the share of draws at least as extreme as observed:
//! the median estimate (|median| of the draw ≥ |observed median|) and the number of
//! universes significant at 5 % in the dominant sign (the sign of most observed estimates;
//! a draw's count ≥ the observed count).

use serde::{Deserialize, Serialize};

use crate::estimate::stata_percentile;

/// Significance level of the curve's shares and of the joint test's count.
pub const ALPHA: f64 = 0.05;

/// One universe's estimate of the regressor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub estimate: f64,
    pub p_value: f64,
}

/// The joint test's result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct JointTest {
    pub draws: usize,
    /// +1 or −1: the sign of most observed estimates.
    pub dominant_sign: i8,
    /// Universes significant at 5 % in the dominant sign.
    pub n_significant_dominant: usize,
    /// Share of draws whose |median| is at least the observed |median|.
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub p_median: f64,
    /// Share of draws with at least as many universes significant in the dominant sign.
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub p_share_significant: f64,
}

/// The summary of one specification curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Universes with an estimate of the regressor.
    pub n_universes: usize,
    /// Universes whose fit failed or omitted the regressor.
    pub n_missing: usize,
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub share_positive: f64,
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub share_negative: f64,
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub share_significant: f64,
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub median: f64,
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub q25: f64,
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub q75: f64,
    pub joint: Option<JointTest>,
}

/// Summarises a curve. `null` holds, per draw, every universe's null estimate and its signed
/// significance (+1/−1 significant with that sign, 0 not), in the order of `points`.
pub fn summarise(points: &[Option<CurvePoint>], null: Option<&[Vec<(f64, f64)>]>) -> Summary {
    let valid: Vec<CurvePoint> = points
        .iter()
        .flatten()
        .copied()
        .filter(|p| p.estimate.is_finite())
        .collect();
    let n = valid.len();
    let share = |f: &dyn Fn(&CurvePoint) -> bool| {
        if n == 0 {
            f64::NAN
        } else {
            valid.iter().filter(|p| f(p)).count() as f64 / n as f64
        }
    };
    let mut sorted: Vec<f64> = valid.iter().map(|p| p.estimate).collect();
    sorted.sort_by(f64::total_cmp);
    let pct = |p: f64| stata_percentile(&sorted, p).unwrap_or(f64::NAN);
    let median = pct(50.0);
    let positive = valid.iter().filter(|p| p.estimate > 0.0).count();
    let dominant_sign: i8 = if 2 * positive >= n { 1 } else { -1 };
    let joint = null
        .filter(|draws| !draws.is_empty() && n > 0)
        .map(|draws| {
            let observed = valid
                .iter()
                .filter(|p| p.p_value < ALPHA && sign(p.estimate) == dominant_sign)
                .count();
            let mut at_least_median = 0usize;
            let mut at_least_count = 0usize;
            for draw in draws {
                let mut est: Vec<f64> =
                    draw.iter().map(|d| d.0).filter(|e| e.is_finite()).collect();
                est.sort_by(f64::total_cmp);
                let m = stata_percentile(&est, 50.0).unwrap_or(f64::NAN);
                if m.abs() >= median.abs() {
                    at_least_median += 1;
                }
                let count = draw
                    .iter()
                    .filter(|d| d.1 == f64::from(dominant_sign))
                    .count();
                if count >= observed {
                    at_least_count += 1;
                }
            }
            JointTest {
                draws: draws.len(),
                dominant_sign,
                n_significant_dominant: observed,
                p_median: at_least_median as f64 / draws.len() as f64,
                p_share_significant: at_least_count as f64 / draws.len() as f64,
            }
        });
    Summary {
        n_universes: n,
        n_missing: points.len() - n,
        share_positive: share(&|p| p.estimate > 0.0),
        share_negative: share(&|p| p.estimate < 0.0),
        share_significant: share(&|p| p.p_value < ALPHA),
        median,
        q25: pct(25.0),
        q75: pct(75.0),
        joint,
    }
}

fn sign(x: f64) -> i8 {
    if x > 0.0 {
        1
    } else if x < 0.0 {
        -1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(e: f64, p: f64) -> Option<CurvePoint> {
        Some(CurvePoint {
            estimate: e,
            p_value: p,
        })
    }

    #[test]
    fn shares_quantiles_and_the_joint_test() {
        let points = vec![
            pt(1.0, 0.01),
            pt(2.0, 0.2),
            pt(-1.0, 0.03),
            pt(3.0, 0.04),
            None,
        ];
        // Two draws: the first as extreme as observed (median 1.5, two positive significant),
        // the second not.
        let draws = vec![
            vec![(1.0, 1.0), (2.0, 1.0), (-1.0, 0.0), (3.0, 0.0)],
            vec![(0.1, 0.0), (-0.1, 0.0), (0.0, 0.0), (0.2, 1.0)],
        ];
        let s = summarise(&points, Some(&draws));
        assert_eq!(s.n_universes, 4);
        assert_eq!(s.n_missing, 1);
        assert_eq!(s.share_positive, 0.75);
        assert_eq!(s.share_negative, 0.25);
        assert_eq!(s.share_significant, 0.75);
        assert_eq!(s.median, 1.5);
        let j = s.joint.unwrap();
        assert_eq!(j.dominant_sign, 1);
        assert_eq!(j.n_significant_dominant, 2);
        assert_eq!(j.p_median, 0.5);
        assert_eq!(j.p_share_significant, 0.5);
    }
}
