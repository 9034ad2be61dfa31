//! Timing harness for `gvc bench`: how long building A, the Leontief inverse, the local
//! inverses and each decomposition family take on one table, against one dense n×n faer
//! matmul as the machine's yardstick (DESIGN §1, reference §9 sizes).

use std::time::Instant;

use faer::{Accum, Mat};

use super::median;
use crate::decompose::{run_family, Context, DecomposeError, DecomposeOptions, Family, Level};
use crate::iot::dense::par;
use crate::iot::leontief::{entry_labels, leontief_inverse, technical_coefficients};
use crate::iot::{
    check_core_identities, IdentityError, IdentityOptions, IoTable, Leontief, LeontiefError,
};

/// Seconds spent in each step of one decomposition run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BenchTimings {
    /// Number of country-sector entries n.
    pub n: usize,
    /// A = Z diag(x)⁻¹.
    pub build_a: f64,
    /// B = (I − A)⁻¹ (LU + inverse).
    pub inverse: f64,
    /// A again, local inverses, v, and the other cheap parts of [`Leontief`].
    pub leontief_rest: f64,
    /// The identities I1–I5 the `leontief` stage checks (I3 by probes, its default).
    pub identity_checks: f64,
    /// Shared O(n²) objects of the families ([`Context`]).
    pub context: f64,
    /// Each family at country level, in the order asked.
    pub measures: Vec<(Family, f64)>,
}

impl BenchTimings {
    /// What the `leontief` stage computes besides reading and writing: the inverse, the rest
    /// of the Leontief core and the identity checks.
    pub fn leontief_stage(&self) -> f64 {
        self.inverse + self.leontief_rest + self.identity_checks
    }

    /// Total seconds of the families (context included).
    pub fn measures_total(&self) -> f64 {
        self.context + self.measures.iter().map(|(_, s)| s).sum::<f64>()
    }
}

/// Why a benchmark run failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Leontief(#[from] LeontiefError),
    #[error(transparent)]
    Decompose(#[from] DecomposeError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

/// Times A, the inverse, the rest of the Leontief core and each family (country level,
/// identities checked as in a real run) on `table`.
pub fn time_decomposition(
    table: &IoTable,
    measures: &[Family],
) -> Result<BenchTimings, BenchError> {
    table.validate().map_err(LeontiefError::from)?;
    let t = Instant::now();
    let a = technical_coefficients(&table.z, &table.x);
    let build_a = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let b = leontief_inverse(&a, &entry_labels(table))?;
    let inverse = t.elapsed().as_secs_f64();
    drop(a);
    let t = Instant::now();
    let leontief = Leontief::from_inverse(table, b)?;
    let leontief_rest = t.elapsed().as_secs_f64();
    let t = Instant::now();
    check_core_identities(table, &leontief, &IdentityOptions::default())?;
    let identity_checks = t.elapsed().as_secs_f64();
    let options = DecomposeOptions {
        measures: measures.to_vec(),
        level: Level::Country,
        ..DecomposeOptions::default()
    };
    let t = Instant::now();
    let ctx = Context::new(table, &leontief, options.tolerance);
    let context = t.elapsed().as_secs_f64();
    let mut timings = Vec::new();
    for &family in measures {
        let t = Instant::now();
        run_family(&ctx, family, &options)?;
        timings.push((family, t.elapsed().as_secs_f64()));
    }
    Ok(BenchTimings {
        n: table.n(),
        build_a,
        inverse,
        leontief_rest,
        identity_checks,
        context,
        measures: timings,
    })
}

/// [`time_decomposition`] `repeat` times; every field is the median of its runs (`gvc bench
/// --repeat`).
pub fn time_decomposition_median(
    table: &IoTable,
    measures: &[Family],
    repeat: usize,
) -> Result<BenchTimings, BenchError> {
    let runs = (0..repeat.max(1))
        .map(|_| time_decomposition(table, measures))
        .collect::<Result<Vec<_>, _>>()?;
    let med = |f: &dyn Fn(&BenchTimings) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    Ok(BenchTimings {
        n: table.n(),
        build_a: med(&|t| t.build_a),
        inverse: med(&|t| t.inverse),
        leontief_rest: med(&|t| t.leontief_rest),
        identity_checks: med(&|t| t.identity_checks),
        context: med(&|t| t.context),
        measures: measures
            .iter()
            .enumerate()
            .map(|(k, &f)| (f, med(&|t| t.measures[k].1)))
            .collect(),
    })
}

/// Seconds of one dense n×n × n×n faer matmul (all threads), median of three: on faer's own
/// `Mat` (padded columns), the machine's yardstick that the ratios divide by.
pub fn matmul_seconds(n: usize) -> f64 {
    let lhs = Mat::from_fn(n, n, |i, j| ((i * 7 + j * 13) % 17) as f64 / 17.0);
    let rhs = Mat::from_fn(n, n, |i, j| ((i * 11 + j * 5) % 19) as f64 / 19.0);
    let mut out = Mat::<f64>::zeros(n, n);
    let runs: Vec<f64> = (0..3)
        .map(|_| {
            let t = Instant::now();
            faer::linalg::matmul::matmul(
                out.as_mut(),
                Accum::Replace,
                lhs.as_ref(),
                rhs.as_ref(),
                1.0,
                par(),
            );
            t.elapsed().as_secs_f64()
        })
        .collect();
    median(&runs)
}
