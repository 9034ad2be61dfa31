//! Upstreamness and downstreamness: how far a sector sits from final use and from primary
//! inputs.
//!
//! - **Output upstreamness** (Antràs, Chor, Fally & Hillberry 2012; Miller & Temurshoev 2017):
//!   U = (I − Δ)⁻¹1 with the allocation coefficients Δ = x̂⁻¹Z, i.e. the row sums of the Ghosh
//!   inverse. With x_i > 0, Δ = x̂⁻¹A x̂ and therefore U = x̂⁻¹ B x: one product with the
//!   Leontief inverse already at hand. U_i ≥ 1; U_i = 1 for a sector whose output all goes to
//!   final demand.
//! - **Input downstreamness** (Miller & Temurshoev 2017): D = ((I − A)⁻¹)ᵀ1, the column sums of
//!   B (total backward linkages). D_j ≥ 1.
//!
//! These are the formulas of the R package `gvc` (`upstream()`: `solve(I − x̂⁻¹Z) %*% 1`,
//! `downstream()`: `solve(I − t(A)) %*% 1`). A sector with zero output has no upstreamness
//! (NaN, a missing value). Sector and country values are output-weighted means of the entries'
//! values: U_s = Σ_{i∈s} x_i U_i / Σ_{i∈s} x_i = Σ_{i∈s} (Bx)_i / Σ_{i∈s} x_i, and likewise D.
//!
//! Identities checked (docs/measures.md): I23 (I − Δ)U = 1 on every entry with output, I24
//! (I − Aᵀ)D = 1 on every entry, and I25 Σ_i x_i U_i = Σ_j x_j D_j (= 1ᵀBx): world
//! output-weighted upstreamness equals world output-weighted downstreamness.

use std::collections::BTreeMap;

use ndarray::{Array1, ArrayRef1};

use crate::decompose::context::{hadamard, ratio, Context};
use crate::decompose::{DecomposeError, FamilyOutput, Level};
use crate::iot::dense::{matvec, vecmat};
use crate::iot::identities::Worst;

/// Measures at the country and sector level, in output order.
pub const MEASURES: &[&str] = &["upstreamness.U", "upstreamness.D"];

/// Entry-level upstreamness U_i = (Bx)_i / x_i (NaN where x_i = 0) and downstreamness
/// D_j = (1ᵀB)_j.
pub fn entries(ctx: &Context<'_>) -> (Array1<f64>, Array1<f64>) {
    let l = ctx.leontief;
    let bx = l.b_apply(&l.x);
    let u = bx.iter().zip(&l.x).map(|(b, x)| ratio(*b, *x)).collect();
    let d = l.b_apply_left(&Array1::from_elem(ctx.n, 1.0));
    (u, d)
}

/// Upstreamness and downstreamness at the country or sector level, with I23–I25 checked.
pub fn compute(ctx: &Context<'_>, level: Level) -> Result<FamilyOutput, DecomposeError> {
    let l = ctx.leontief;
    let (u, d) = entries(ctx);
    let z = &ctx.table.z;

    // I23: U_i − Σ_j (z_ij / x_i) U_j = 1 where x_i > 0.
    let mut i23 = Worst::new("I23", "(I − x̂⁻¹Z) U = 1", ctx.tol_entry);
    let known_u: Array1<f64> = u
        .iter()
        .map(|v| if v.is_finite() { *v } else { 0.0 })
        .collect();
    let zu = matvec(z, &known_u);
    for i in 0..ctx.n {
        if l.x[i] > 0.0 {
            i23.observe(u[i] - zu[i] / l.x[i], 1.0, 0.0, || {
                ctx.table.labels[i].to_string()
            });
        }
    }
    // I24: D_j − Σ_i a_ij D_i = 1, with a_ij = z_ij / x_j.
    let mut i24 = Worst::new("I24", "(I − Aᵀ) D = 1", ctx.tol_entry);
    let zt_d = vecmat(&d, z);
    for j in 0..ctx.n {
        let atd = if l.x[j] > 0.0 { zt_d[j] / l.x[j] } else { 0.0 };
        i24.observe(d[j] - atd, 1.0, 0.0, || ctx.table.labels[j].to_string());
    }
    // I25: Σ x_i U_i = Σ x_j D_j.
    let mut i25 = Worst::new("I25", "Σ x_i U_i = Σ x_j D_j", ctx.tol);
    let xu: f64 = hadamard(&l.x, &known_u).iter().sum();
    let xd: f64 = hadamard(&l.x, &d).iter().sum();
    i25.observe(xu, xd, ctx.floor, || "world".to_string());
    let identities = vec![i23.finish()?, i24.finish()?, i25.finish()?];

    // Output-weighted means at the requested level.
    let aggregate = |f: &ArrayRef1<f64>| -> Array1<f64> {
        match level {
            Level::Sector => ctx.sectors.sums(f),
            _ => ctx.by_country(f),
        }
    };
    let xw_u: Array1<f64> =
        l.x.iter()
            .zip(&u)
            .map(|(x, u)| if *x > 0.0 { x * u } else { 0.0 })
            .collect();
    let x_sum = aggregate(&l.x);
    let u_mean: Array1<f64> = aggregate(&xw_u)
        .iter()
        .zip(&x_sum)
        .map(|(a, b)| ratio(*a, *b))
        .collect();
    let d_mean: Array1<f64> = aggregate(&hadamard(&l.x, &d))
        .iter()
        .zip(&x_sum)
        .map(|(a, b)| ratio(*a, *b))
        .collect();
    let mut rows = Vec::new();
    for (name, values) in [(MEASURES[0], u_mean), (MEASURES[1], d_mean)] {
        match level {
            Level::Sector => ctx.emit_sector(&mut rows, name, &values),
            _ => ctx.emit_country(&mut rows, name, &values),
        }
    }
    Ok(FamilyOutput {
        rows,
        identities,
        country_totals: BTreeMap::new(),
    })
}
