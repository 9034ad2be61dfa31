//! The summary of one specification curve (one model and key regressor over every
//! universe): how many universes, the shares with a positive, negative and significant
//! (5 %) estimate, the median and interquartile range (Stata's `_pctile` definition), and
//! Simonsohn, Simmons & Nelson's (2020) joint test.
//!
//! The joint test asks whether the curve as a whole is more extreme than curves from data in
//! which the effect is zero by construction (the null draws of [`super::fit`]). Simonsohn et
//! al.'s three statistics, each with its p-value = the share of draws at least as extreme as
//! observed: the median estimate (|median| of the draw ≥ |observed median|), the number of
//! universes significant at 5 % in the dominant sign (the sign of most observed estimates;
//! a draw's count ≥ the observed count), and the average Z (Stouffer's method): the mean over
//! the universes of Z_u = sign(b_u)·Φ⁻¹(1 − p_u/2) ([`super::fit::signed_z`]), a draw as
//! extreme when its average Z in the dominant sign, s·Z̄, is at least the observed s·Z̄.
//! (Stouffer's Z is √n·Z̄; with missing refits a draw's n can be smaller, so the average is
//! compared.)

use serde::{Deserialize, Serialize};

use super::fit::signed_z;
use crate::estimate::stata_percentile;

/// Significance level of the curve's shares and of the joint test's count.
pub const ALPHA: f64 = 0.05;

/// One universe's estimate of the regressor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub estimate: f64,
    pub p_value: f64,
}

/// One universe's refit in one null draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NullPoint {
    /// The draw's estimate (NaN when the refit failed).
    pub estimate: f64,
    /// +1 or −1 when significant at 5 % with that sign, else 0.
    pub significant: f64,
    /// Its signed normal score [`signed_z`] (NaN when the refit failed).
    pub z: f64,
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
    /// The observed average Z over the universes (Stouffer's Z divided by √n).
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub average_z: f64,
    /// Share of draws whose average Z in the dominant sign is at least the observed one.
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub p_average_z: f64,
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

/// Summarises a curve. `null` holds, per draw, every universe's refit, in the order of
/// `points`.
pub fn summarise(points: &[Option<CurvePoint>], null: Option<&[Vec<NullPoint>]>) -> Summary {
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
            let s = f64::from(dominant_sign);
            let average_z = mean(valid.iter().map(|p| signed_z(p.estimate, p.p_value)));
            let mut at_least_median = 0usize;
            let mut at_least_count = 0usize;
            let mut at_least_z = 0usize;
            for draw in draws {
                let mut est: Vec<f64> = draw
                    .iter()
                    .map(|d| d.estimate)
                    .filter(|e| e.is_finite())
                    .collect();
                est.sort_by(f64::total_cmp);
                let m = stata_percentile(&est, 50.0).unwrap_or(f64::NAN);
                if m.abs() >= median.abs() {
                    at_least_median += 1;
                }
                let count = draw.iter().filter(|d| d.significant == s).count();
                if count >= observed {
                    at_least_count += 1;
                }
                if s * mean(draw.iter().map(|d| d.z)) >= s * average_z {
                    at_least_z += 1;
                }
            }
            JointTest {
                draws: draws.len(),
                dominant_sign,
                n_significant_dominant: observed,
                p_median: at_least_median as f64 / draws.len() as f64,
                p_share_significant: at_least_count as f64 / draws.len() as f64,
                average_z,
                p_average_z: at_least_z as f64 / draws.len() as f64,
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

/// Mean of the finite values (NaN when there are none).
fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for v in values.filter(|v| v.is_finite()) {
        sum += v;
        n += 1;
    }
    if n == 0 {
        f64::NAN
    } else {
        sum / n as f64
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
        // Z scores: the first draw's average (1.0) is above the observed, the second's not.
        let np = |estimate: f64, significant: f64, z: f64| NullPoint {
            estimate,
            significant,
            z,
        };
        let draws = vec![
            vec![
                np(1.0, 1.0, 3.0),
                np(2.0, 1.0, 1.0),
                np(-1.0, 0.0, 0.0),
                np(3.0, 0.0, 0.0),
            ],
            vec![
                np(0.1, 0.0, 0.1),
                np(-0.1, 0.0, -0.1),
                np(0.0, 0.0, f64::NAN),
                np(0.2, 1.0, 0.2),
            ],
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
        // Observed Z: Φ⁻¹(0.995), Φ⁻¹(0.9), −Φ⁻¹(0.985), Φ⁻¹(0.98) (R qnorm).
        let want = (2.5758293035489004 + 1.2815515655446004 - 2.1700903775845606
            + 2.0537489106318225)
            / 4.0;
        assert!((j.average_z - want).abs() < 1e-12, "{}", j.average_z);
        assert_eq!(j.p_average_z, 0.5);
    }

    #[test]
    fn signed_z_is_the_normal_score_of_the_two_sided_p() {
        assert!((signed_z(-0.3, 0.05) + 1.959963984540054).abs() < 1e-13);
        assert_eq!(signed_z(1.0, 1.0), 0.0);
        assert!(signed_z(1.0, 0.0).is_finite() && signed_z(1.0, 0.0) > 37.0);
        assert!(signed_z(f64::NAN, 0.1).is_nan());
    }
}
