//! Koopman, Wang & Wei (2014, AER): the 9-term decomposition of a country's gross exports
//! (reference/decomposition.md §3), country level only (decompr: "Sector level is false,
//! only aggregated is correct").
//!
//! All terms are inner products of the value-added multiplier rows U[s,·] = V^s B^{s·} (or
//! the foreign part of vᵀB) with n-vectors and two partner-sum matrices of A, so the whole
//! decomposition costs O(n²) given B.

use std::collections::BTreeMap;

use ndarray::{Array1, Array2};

use crate::decompose::context::{hadamard, partner_sums, Context};
use crate::decompose::{DecomposeError, FamilyOutput};
use crate::iot::identities::Worst;

/// KWW measures (country level only), in output order: the nine terms, the groupings, E.
pub const MEASURES: &[&str] = &[
    "kww.DVA_FIN",
    "kww.DVA_INT",
    "kww.DVA_INTrex",
    "kww.RDV_FIN",
    "kww.RDV_INT",
    "kww.DDC",
    "kww.FVA_FIN",
    "kww.FVA_INT",
    "kww.FDC",
    "kww.VAX",
    "kww.DVA",
    "kww.RDV",
    "kww.DC",
    "kww.FVA",
    "kww.FC",
    "kww.PDC",
    "kww.E",
];

/// The nine KWW terms of every country, in decompr order (T1..T9).
pub struct KwwTerms {
    pub t: [Array1<f64>; 9],
}

/// decompr names of T1..T9.
pub const TERM_NAMES: [&str; 9] = [
    "DVA_FIN",
    "DVA_INT",
    "DVA_INTrex",
    "RDV_FIN",
    "RDV_INT",
    "DDC",
    "FVA_FIN",
    "FVA_INT",
    "FDC",
];

/// Computes T1..T9 for every country (reference §3 table):
/// T1 = Σ_r V^s B^{ss} Y^{sr}; T2 = Σ_r V^s B^{sr} Y^{rr}; T3 = Σ_r Σ_{t≠s,r} V^s B^{sr} Y^{rt};
/// T4 = Σ_r V^s B^{sr} Y^{rs}; T5 = Σ_r V^s B^{sr} A^{rs} L^{ss} Y^{ss};
/// T6 = Σ_r V^s B^{sr} A^{rs} L^{ss} E^{s*}; T7 = Σ_{t≠s} Σ_r V^t B^{ts} Y^{sr};
/// T8 = Σ_{t≠s} Σ_r V^t B^{ts} A^{sr} L^{rr} Y^{rr}; T9 = Σ_{t≠s} Σ_r V^t B^{ts} A^{sr} L^{rr} E^{r*}.
pub fn terms(ctx: &Context<'_>) -> KwwTerms {
    let (n, g, of) = (ctx.n, ctx.g, ctx.of);
    let a = &ctx.leontief.a;
    let le = ctx.leontief.local_apply(&ctx.e);
    let m_dom = partner_sums(a, &ctx.ly_dom, of, g);
    let m_le = partner_sums(a, &le, of, g);
    let foreign_sum = |m: &Array2<f64>, j: usize| -> f64 {
        (0..g).filter(|&r| r != of[j]).map(|r| m[[j, r]]).sum()
    };
    let mut t: [Array1<f64>; 9] = std::array::from_fn(|_| Array1::zeros(g));
    for j in 0..n {
        let sj = of[j];
        let yf = ctx.ytot[j] - ctx.ydom[j];
        let foreign_mult = ctx.w[j] - ctx.d[j];
        t[0][sj] += ctx.d[j] * yf;
        t[6][sj] += foreign_mult * yf;
        t[7][sj] += foreign_mult * foreign_sum(&m_dom, j);
        t[8][sj] += foreign_mult * foreign_sum(&m_le, j);
        for s in 0..g {
            if s == sj {
                continue;
            }
            let us = ctx.u[[s, j]];
            let ys = ctx.y[[j, s]];
            t[1][s] += us * ctx.ydom[j];
            t[2][s] += us * (ctx.ytot[j] - ctx.ydom[j] - ys);
            t[3][s] += us * ys;
            t[4][s] += us * m_dom[[j, s]];
            t[5][s] += us * m_le[[j, s]];
        }
    }
    KwwTerms { t }
}

/// KWW terms and groupings at country level, with I6, I7 and I8 checked.
pub fn compute(ctx: &Context<'_>) -> Result<FamilyOutput, DecomposeError> {
    let KwwTerms { t } = terms(ctx);
    let g = ctx.g;
    let sum = |idx: &[usize]| -> Array1<f64> {
        (0..g).map(|s| idx.iter().map(|&k| t[k][s]).sum()).collect()
    };
    let vax = sum(&[0, 1, 2]);
    let dva = sum(&[0, 1, 2, 3, 4]);
    let rdv = sum(&[3, 4]);
    let dc = sum(&[0, 1, 2, 3, 4, 5]);
    let fva = sum(&[6, 7]);
    let fc = sum(&[6, 7, 8]);
    let pdc = sum(&[5, 8]);
    let total = sum(&[0, 1, 2, 3, 4, 5, 6, 7, 8]);
    let e = ctx.by_country(&ctx.e);

    let vl_e = ctx.by_country(&hadamard(&ctx.vl, &ctx.e));
    let d_e = ctx.by_country(&hadamard(&ctx.d, &ctx.e));
    let fv_e = ctx.by_country(
        &(0..ctx.n)
            .map(|j| (ctx.w[j] - ctx.d[j]) * ctx.e[j])
            .collect::<Array1<f64>>(),
    );
    // VAX_s = Σ_{r≠s} (V̂BY)[s rows, r] = Σ_j U[s,j] (Y·1 − Y[·,s])_j.
    let vax_direct: Vec<f64> = (0..g)
        .map(|s| {
            (0..ctx.n)
                .map(|j| ctx.u[[s, j]] * (ctx.ytot[j] - ctx.y[[j, s]]))
                .sum()
        })
        .collect();
    let mut i6 = Worst::new("I6", "Σ_{k=1..9} T_k = E_s", ctx.tol);
    let mut i7 = Worst::new("I7", "T1..T5 = V^s L^{ss} E^{s*}; T1..T6 = V^s B^{ss} E^{s*}; T7..T9 = Σ_{t≠s} V^t B^{ts} E^{s*}", ctx.tol);
    let mut i8 = Worst::new("I8", "T1 + T2 + T3 = Σ_{r≠s} (V̂BY)[s, r]", ctx.tol);
    for s in 0..g {
        let c = ctx.country(s);
        i6.observe(total[s], e[s], ctx.floor, || c.to_string());
        i7.observe(dva[s], vl_e[s], ctx.floor, || format!("{c} (DVA)"));
        i7.observe(dc[s], d_e[s], ctx.floor, || format!("{c} (DC)"));
        i7.observe(fc[s], fv_e[s], ctx.floor, || format!("{c} (FC)"));
        i8.observe(vax[s], vax_direct[s], ctx.floor, || c.to_string());
    }
    let identities = vec![i6.finish()?, i7.finish()?, i8.finish()?];

    let mut rows = Vec::new();
    for (k, name) in TERM_NAMES.iter().enumerate() {
        ctx.emit_country(&mut rows, &format!("kww.{name}"), &t[k]);
    }
    for (name, values) in [
        ("kww.VAX", &vax),
        ("kww.DVA", &dva),
        ("kww.RDV", &rdv),
        ("kww.DC", &dc),
        ("kww.FVA", &fva),
        ("kww.FC", &fc),
        ("kww.PDC", &pdc),
        ("kww.E", &e),
    ] {
        ctx.emit_country(&mut rows, name, values);
    }
    let mut country_totals = BTreeMap::new();
    country_totals.insert("DVA", dva);
    country_totals.insert("DDC", t[5].clone());
    country_totals.insert("FC", fc);
    country_totals.insert("FVA", fva);
    Ok(FamilyOutput {
        rows,
        identities,
        country_totals,
    })
}
