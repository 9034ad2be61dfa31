//! The fits of one panel's universes, and their refits under the null for the joint test.
//!
//! [`fit_universes`] is the one function through which the multiverse estimates: today it
//! builds each design and calls the standard estimator ([`crate::estimate::fit()`]), so every
//! universe's numbers are those a standalone spec gives. A faster path for many fits on one
//! sample (Frisch–Waugh–Lovell on shared cross-products) can replace its body without
//! touching the engine, the outputs or the report.
//!
//! The null draws follow Simonsohn, Simmons & Nelson (2020, §4): for each fit and key
//! regressor x with estimate b, the dependent variable is replaced by y − b·x (the estimate
//! is then exactly zero in the sample), and the sample is resampled by panel (country) with
//! replacement — a cluster bootstrap, the panel analogue of their row bootstrap — `draws`
//! times; each draw refits the universe. Draw d picks the same panels (by position in the
//! sorted panel list) for every fit of every panel with as many panels, so universes on the
//! same sample are compared on the same bootstrap samples.

use ndarray::{Array1, Array2, ShapeBuilder};
use serde::{Deserialize, Serialize};

use crate::estimate::{
    build_design, fit, Design, DesignSpec, EstimationResult, Estimator, FitOptions, PanelData, Vce,
};

/// The joint test's draws: `multiverse.inference = { draws = 500, seed = 1 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inference {
    /// Bootstrap draws under the null.
    pub draws: usize,
    /// Seed of the draws (default 1).
    pub seed: u64,
}

/// One regression a universe needs (what the standard estimate stage reads).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FitRequest {
    pub dependent: String,
    /// Regressors then controls, in the spec's order.
    pub regressors: Vec<String>,
    /// Cluster variable; `None` = the panel.
    pub cluster: Option<String>,
    pub estimator: Estimator,
    pub vce: Vce,
    /// The model's key regressors (its `regressors`, not its controls): the joint test's.
    pub keys: Vec<String>,
}

/// One coefficient of a fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coefficient {
    pub name: String,
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub estimate: f64,
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub std_error: f64,
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub p_value: f64,
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub ci_low: f64,
    #[serde(with = "crate::estimate::results::finite_or_null")]
    pub ci_high: f64,
}

/// What one fit gave: its coefficients and sample size, or why it failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitOutcome {
    pub n_obs: usize,
    pub coefficients: Vec<Coefficient>,
    /// The estimator's error when the fit failed (no coefficients then).
    pub error: Option<String>,
}

/// The refits under the null: one column per (fit, key regressor) in fit order then key
/// order, one row per draw. `estimate` holds the draw's estimate (NaN when the refit failed);
/// `significant` is +1 or −1 for an estimate significant at 5 % with that sign, else 0.
#[derive(Debug, Clone, PartialEq)]
pub struct NullDraws {
    pub estimate: Array2<f64>,
    pub significant: Array2<f64>,
}

/// Fits every request on the panel and, with `inference`, refits each under the null.
pub fn fit_universes(
    data: &PanelData,
    requests: &[FitRequest],
    inference: Option<Inference>,
) -> (Vec<FitOutcome>, Option<NullDraws>) {
    let mut outcomes = Vec::with_capacity(requests.len());
    let mut designs = Vec::with_capacity(requests.len());
    for r in requests {
        match standard_fit(data, r) {
            Ok((design, result)) => {
                outcomes.push(outcome(&result));
                designs.push(Some((design, result)));
            }
            Err(e) => {
                outcomes.push(FitOutcome {
                    n_obs: 0,
                    coefficients: Vec::new(),
                    error: Some(e.to_string()),
                });
                designs.push(None);
            }
        }
    }
    let null = inference.map(|inf| null_draws(requests, &designs, inf));
    (outcomes, null)
}

/// The standard path: the design as the estimate stage builds it, then [`fit()`].
fn standard_fit(
    data: &PanelData,
    r: &FitRequest,
) -> Result<(Design, EstimationResult), crate::estimate::EstimateError> {
    let spec = DesignSpec {
        dependent: r.dependent.clone(),
        regressors: r.regressors.clone(),
        cluster: r.cluster.clone(),
        transform: r.estimator.info().transform,
        drop_singletons: false,
    };
    let d = build_design(data, &spec)?;
    let result = fit(&d, r.estimator, &options(r.vce))?;
    Ok((d, result))
}

fn options(vce: Vce) -> FitOptions {
    FitOptions {
        vce,
        ..FitOptions::default()
    }
}

fn outcome(result: &EstimationResult) -> FitOutcome {
    let cov = result.primary();
    let at =
        |a: Option<&Array1<f64>>, i: usize| a.and_then(|a| a.get(i).copied()).unwrap_or(f64::NAN);
    let coefficients = result
        .coef_names
        .iter()
        .enumerate()
        .map(|(i, name)| Coefficient {
            name: name.clone(),
            estimate: result.coefficients[i],
            std_error: at(cov.map(|c| &c.std_error), i),
            p_value: at(cov.map(|c| &c.p_value), i),
            ci_low: at(cov.map(|c| &c.ci_low), i),
            ci_high: at(cov.map(|c| &c.ci_high), i),
        })
        .collect();
    FitOutcome {
        n_obs: result.sample.n_obs,
        coefficients,
        error: None,
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a small, fully specified generator, so draws are
/// the same on every platform and version.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform on `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for small n).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// The panels drawn (with replacement) in draw `d`: positions in the sorted panel list.
pub fn drawn_panels(seed: u64, d: usize, n_panels: usize) -> Vec<usize> {
    let mut rng = SplitMix(seed ^ (d as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
    (0..n_panels).map(|_| rng.below(n_panels)).collect()
}

fn null_draws(
    requests: &[FitRequest],
    designs: &[Option<(Design, EstimationResult)>],
    inf: Inference,
) -> NullDraws {
    let columns: usize = requests.iter().map(|r| r.keys.len()).sum();
    let mut estimate = Array2::from_elem((inf.draws, columns), f64::NAN);
    let mut significant = Array2::zeros((inf.draws, columns));
    let mut col = 0;
    for (r, fitted) in requests.iter().zip(designs) {
        for key in &r.keys {
            if let Some((design, result)) = fitted {
                let j = design.regressor_names.iter().position(|n| n == key);
                let b = result.coef(key);
                if let (Some(j), Some(b)) = (j, b) {
                    let y_null = &design.y - &(design.x.column(j).to_owned() * b);
                    for d in 0..inf.draws {
                        let panels = drawn_panels(inf.seed, d, design.n_groups());
                        let Some(boot) = resample(design, &y_null, &panels) else {
                            continue;
                        };
                        if let Ok(res) = fit(&boot, r.estimator, &options(r.vce)) {
                            if let (Some(i), Some(cov)) = (res.index_of(key), res.primary()) {
                                let e = res.coefficients[i];
                                estimate[(d, col)] = e;
                                if cov.p_value[i] < 0.05 {
                                    significant[(d, col)] = e.signum();
                                }
                            }
                        }
                    }
                }
            }
            col += 1;
        }
    }
    NullDraws {
        estimate,
        significant,
    }
}

/// The design of a bootstrap sample: the drawn panels' rows (a panel drawn twice appears as
/// two panels), with the null dependent variable. Clusters other than the panel keep their
/// identity within each drawn copy.
fn resample(design: &Design, y: &Array1<f64>, panels: &[usize]) -> Option<Design> {
    let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); design.n_groups()];
    for (row, &p) in design.panel.iter().enumerate() {
        rows_of[p].push(row);
    }
    let rows: Vec<(usize, usize)> = panels
        .iter()
        .enumerate()
        .flat_map(|(copy, &p)| rows_of[p].iter().map(move |&r| (copy, r)))
        .collect();
    if rows.is_empty() {
        return None;
    }
    let k = design.x.ncols();
    let n = rows.len();
    let mut x = Array2::zeros((n, k).f());
    let mut yy = Array1::zeros(n);
    for (i, &(_, r)) in rows.iter().enumerate() {
        yy[i] = y[r];
        for j in 0..k {
            x[(i, j)] = design.x[(r, j)];
        }
    }
    let width = panels.len().to_string().len();
    let cluster = design.cluster.as_ref().map(|c| {
        let mut labels: Vec<String> = Vec::new();
        let codes = rows
            .iter()
            .map(|&(copy, r)| {
                let label = format!("{:0width$}#{}", copy, c.labels[c.codes[r]]);
                match labels.iter().position(|l| *l == label) {
                    Some(p) => p,
                    None => {
                        labels.push(label);
                        labels.len() - 1
                    }
                }
            })
            .collect();
        crate::estimate::ClusterIds {
            name: c.name.clone(),
            codes,
            labels,
        }
    });
    let mut accounting = design.accounting.clone();
    accounting.rows_in = n;
    accounting.rows_missing_ids = 0;
    accounting.rows_missing_values = 0;
    Some(Design {
        depvar: design.depvar.clone(),
        regressor_names: design.regressor_names.clone(),
        y: yy,
        x,
        panel: rows.iter().map(|&(copy, _)| copy).collect(),
        panel_labels: (0..panels.len()).map(|c| format!("{c:0width$}")).collect(),
        time: rows.iter().map(|&(_, r)| design.time[r]).collect(),
        cluster,
        panel_var: design.panel_var.clone(),
        time_var: design.time_var.clone(),
        transform: design.transform,
        accounting,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_seeded_and_in_range() {
        let a = drawn_panels(7, 3, 10);
        assert_eq!(a, drawn_panels(7, 3, 10));
        assert_ne!(a, drawn_panels(7, 4, 10));
        assert_ne!(a, drawn_panels(8, 3, 10));
        assert!(a.iter().all(|&p| p < 10));
    }
}
