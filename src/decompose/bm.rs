//! Borin & Mancini (2019, 2023), exporter perspective, source-based decomposition of gross
//! exports (reference/decomposition.md §5.1), by exporting country-sector i of s and partner
//! r; country, sector and bilateral values are sums of the entry × partner terms.
//!
//! The extraction inverse B_s (s's export coefficients removed) is never formed: FVA needs
//! only v^{−s} B_s^{−s,s} = v^{−s} K A^{−s,s} L^{ss} with K = (I − A^{−s,−s})⁻¹, and
//! v^{−s} K = v^{−s} B^{−s,−s} − (v^{−s} B^{−s,s}) (B^{ss})⁻¹ B^{s,−s} (inverse of a principal
//! submatrix from the full inverse, reference §9) — one N×N solve and O(n·N) work per country.

use std::collections::BTreeMap;

use ndarray::{Array1, Array2, ArrayRef2};

use crate::decompose::context::{hadamard, partner_sums, partner_sums_own, ratio, sub, Context};
use crate::decompose::{DecomposeError, FamilyOutput, Level, MeasureRow};
use crate::iot::dense::{self, matmul};
use crate::iot::identities::Worst;

/// BM measures at every level, in output order (see [`derived`]).
pub const MEASURES: &[&str] = &[
    "bm.EXGR",
    "bm.DC",
    "bm.DVA",
    "bm.VAX",
    "bm.DAVAX",
    "bm.DAVAX1",
    "bm.DAVAX2",
    "bm.REX",
    "bm.REX1",
    "bm.REX23",
    "bm.REF",
    "bm.REF1",
    "bm.REF2",
    "bm.DDC",
    "bm.FC",
    "bm.FVA",
    "bm.FDC",
    "bm.GVC",
    "bm.GVCB",
    "bm.GVCF",
    "bm.GVC_ratio",
    "bm.GVCB_ratio",
    "bm.GVCF_ratio",
];

/// Exporter-perspective FVA multipliers: for every entry l of s, (Σ_{t≠s} V^t B_s^{ts})_l,
/// so FVA^{sr}_l = fva_multiplier_l · E^{sr}_l (reference §5.1).
pub fn fva_multipliers(ctx: &Context<'_>) -> Result<Array1<f64>, DecomposeError> {
    let l = ctx.leontief;
    let (n, of) = (ctx.n, ctx.of);
    let b = dense::column_major(&l.b);
    let a = dense::column_major(&l.a);
    let mut out = Array1::zeros(n);
    for s in 0..ctx.g {
        let rows = &l.blocks.rows[s];
        if rows.is_empty() {
            continue;
        }
        // h = v^{−s} B^{−s,·} = w − U[s,·]
        let h: Vec<f64> = (0..n).map(|j| ctx.w[j] - ctx.u[[s, j]]).collect();
        let bss = l.blocks.block(&b, s, s);
        let h_s: Array1<f64> = rows.iter().map(|&k| h[k]).collect();
        let p = dense::solve_transpose(&bss, &h_s);
        if p.iter().any(|pk| !pk.is_finite()) {
            return Err(DecomposeError::SingularBlock {
                country: ctx.country(s).to_string(),
            });
        }
        // k_j = h_j − Σ_{i∈s} p_i B_ij for j ∉ s
        let kvec: Vec<f64> = (0..n)
            .map(|j| {
                if of[j] == s {
                    return 0.0;
                }
                let col = dense::column(&b, j);
                h[j] - rows
                    .iter()
                    .enumerate()
                    .map(|(k, &i)| p[k] * col[i])
                    .sum::<f64>()
            })
            .collect();
        // q = k A^{−s,s}, then q L^{ss}
        let q: Vec<f64> = rows
            .iter()
            .map(|&c| {
                let col = dense::column(&a, c);
                (0..n)
                    .filter(|&j| of[j] != s)
                    .map(|j| kvec[j] * col[j])
                    .sum()
            })
            .collect();
        let local = &l.local[s];
        for (jj, &j) in rows.iter().enumerate() {
            out[j] = (0..rows.len()).map(|ii| q[ii] * local[[ii, jj]]).sum();
        }
    }
    Ok(out)
}

/// The BM terms of every (exporting entry i, partner r) pair, n×G each (zero for r = country(i)).
pub struct BmEntries {
    pub exgr: Array2<f64>,
    pub dc: Array2<f64>,
    pub dva: Array2<f64>,
    pub fc: Array2<f64>,
    pub fva: Array2<f64>,
    pub davax1: Array2<f64>,
    pub davax2: Array2<f64>,
    pub rex1: Array2<f64>,
    pub rex23: Array2<f64>,
    pub ref1: Array2<f64>,
    pub ref2: Array2<f64>,
    /// FVA multipliers (see [`fva_multipliers`]).
    pub fva_multiplier: Array1<f64>,
}

/// Computes the entry × partner terms (reference §5.1):
/// DAVAX1 = V^s L^{ss} Y^{sr}; DAVAX2 = V^s L^{ss} A^{sr} L^{rr} Y^{rr};
/// REX1 = V^s L^{ss} A^{sr} L^{rr} Σ_{j≠s,r} Y^{rj}; REX23 = V^s L^{ss} A^{sr} L^{rr} Σ_{l≠s} (A^F B Y)^{r,l};
/// REF1 = V^s L^{ss} A^{sr} L^{rr} Y^{rs}; REF2 = V^s L^{ss} A^{sr} L^{rr} (A^F B Y)^{r,s};
/// DVA = V^s L^{ss} E^{sr}; DC = V^s B^{ss} E^{sr}; FC = Σ_{t≠s} V^t B^{ts} E^{sr}; FVA = Σ_{t≠s} V^t B_s^{ts} E^{sr},
/// each by exporting sector (the row multiplier applied element-wise).
pub fn entries(ctx: &Context<'_>) -> Result<BmEntries, DecomposeError> {
    let l = ctx.leontief;
    let (n, g, of) = (ctx.n, ctx.g, ctx.of);
    let a = dense::column_major(&l.a);
    let ly = l.local_apply_mat(&ctx.y);
    let ly_tot: Array1<f64> = (0..n).map(|i| (0..g).map(|c| ly[[i, c]]).sum()).collect();
    let by = matmul(&l.b, &ctx.y);
    let w = l.foreign_apply_mat(&by);
    drop(by);
    let lw = l.local_apply_mat(&w);
    let lw_tot: Array1<f64> = (0..n).map(|i| (0..g).map(|c| lw[[i, c]]).sum()).collect();
    let m_dom = partner_sums(&a, &ctx.ly_dom, of, g);
    let m_nd = partner_sums(&a, &sub(&ly_tot, &ctx.ly_dom), of, g);
    let m_ys = partner_sums_own(&a, &ly, of, g);
    let m_wt = partner_sums(&a, &lw_tot, of, g);
    let m_ws = partner_sums_own(&a, &lw, of, g);
    let fva_multiplier = fva_multipliers(ctx)?;
    let foreign = |i: usize, r: usize| r != of[i];
    let by_row = |mult: &Array1<f64>, m: &Array2<f64>| -> Array2<f64> {
        dense::from_fn(n, g, |(i, r)| {
            if foreign(i, r) {
                mult[i] * m[[i, r]]
            } else {
                0.0
            }
        })
    };
    let fmult: Array1<f64> = (0..n).map(|i| ctx.w[i] - ctx.d[i]).collect();
    let vl = &ctx.vl;
    Ok(BmEntries {
        exgr: ctx.esr.clone(),
        dc: by_row(&ctx.d, &ctx.esr),
        dva: by_row(vl, &ctx.esr),
        fc: by_row(&fmult, &ctx.esr),
        fva: by_row(&fva_multiplier, &ctx.esr),
        davax1: by_row(vl, &ctx.y),
        davax2: by_row(vl, &m_dom),
        rex1: dense::from_fn(n, g, |(i, r)| {
            if foreign(i, r) {
                vl[i] * (m_nd[[i, r]] - m_ys[[i, r]])
            } else {
                0.0
            }
        }),
        rex23: dense::from_fn(n, g, |(i, r)| {
            if foreign(i, r) {
                vl[i] * (m_wt[[i, r]] - m_ws[[i, r]])
            } else {
                0.0
            }
        }),
        ref1: by_row(vl, &m_ys),
        ref2: by_row(vl, &m_ws),
        fva_multiplier,
    })
}

/// Sums an entry × partner matrix to the level: country (G), sector groups, or bilateral
/// (G·G, index s·G + r).
fn reduce(ctx: &Context<'_>, level: Level, m: &ArrayRef2<f64>) -> Array1<f64> {
    match level {
        Level::Country => ctx.by_country(&ctx.foreign_row_sums(m)),
        Level::Sector => ctx.sectors.sums(&ctx.foreign_row_sums(m)),
        Level::Bilateral => {
            let b = ctx.bilateral(m);
            (0..ctx.g * ctx.g)
                .map(|k| b[[k / ctx.g, k % ctx.g]])
                .collect()
        }
    }
}

fn emit(
    ctx: &Context<'_>,
    rows: &mut Vec<MeasureRow>,
    level: Level,
    name: &str,
    values: &Array1<f64>,
) {
    match level {
        Level::Country => ctx.emit_country(rows, name, values),
        Level::Sector => ctx.emit_sector(rows, name, values),
        Level::Bilateral => {
            let m = dense::from_fn(ctx.g, ctx.g, |(s, r)| values[s * ctx.g + r]);
            ctx.emit_bilateral(rows, name, &m);
        }
    }
}

/// BM measures at the requested level with I13 and I15 checked.
pub fn compute(ctx: &Context<'_>, level: Level) -> Result<FamilyOutput, DecomposeError> {
    let ent = entries(ctx)?;
    let country = |m: &Array2<f64>| reduce(ctx, Level::Country, m);
    let bilateral = |m: &Array2<f64>| reduce(ctx, Level::Bilateral, m);

    // I13 on bilateral flows; I15: bilateral sums = direct country totals.
    let g = ctx.g;
    let (exgr_b, dc_b, dva_b, fc_b) = (
        bilateral(&ent.exgr),
        bilateral(&ent.dc),
        bilateral(&ent.dva),
        bilateral(&ent.fc),
    );
    let pieces_b: Vec<Array1<f64>> = [
        &ent.davax1,
        &ent.davax2,
        &ent.rex1,
        &ent.rex23,
        &ent.ref1,
        &ent.ref2,
    ]
    .iter()
    .map(|m| bilateral(m))
    .collect();
    let mut i13 = Worst::new(
        "I13",
        "DVA = DAVAX + REX + REF (= VAX + REF); EXGR = DC + FC = DVA + DDC + FVA + FDC",
        ctx.tol_entry,
    );
    for s in 0..g {
        for r in 0..g {
            if r == s {
                continue;
            }
            let k = s * g + r;
            let pieces: f64 = pieces_b.iter().map(|p| p[k]).sum();
            let at = || format!("{} → {}", ctx.country(s), ctx.country(r));
            i13.observe(pieces, dva_b[k], ctx.floor, at);
            i13.observe(dc_b[k] + fc_b[k], exgr_b[k], ctx.floor, at);
        }
    }
    let mut i15 = Worst::new(
        "I15",
        "bilateral BM measures add up to country totals",
        ctx.tol,
    );
    let direct: [(&str, Array1<f64>, &Array1<f64>); 4] = [
        ("EXGR", ctx.by_country(&ctx.e), &exgr_b),
        ("DVA", ctx.by_country(&hadamard(&ctx.vl, &ctx.e)), &dva_b),
        ("DC", ctx.by_country(&hadamard(&ctx.d, &ctx.e)), &dc_b),
        (
            "FVA",
            ctx.by_country(&hadamard(&ent.fva_multiplier, &ctx.e)),
            &bilateral(&ent.fva),
        ),
    ];
    for (name, totals, bil) in direct.iter() {
        for s in 0..g {
            let summed: f64 = (0..g).filter(|&r| r != s).map(|r| bil[s * g + r]).sum();
            i15.observe(summed, totals[s], ctx.floor, || {
                format!("{} ({name})", ctx.country(s))
            });
        }
    }
    let identities = vec![i13.finish()?, i15.finish()?];

    let measures = derived(|m| reduce(ctx, level, m), &ent);
    let mut rows = Vec::new();
    for (name, values) in &measures {
        emit(ctx, &mut rows, level, name, values);
    }
    let country_measures = derived(country, &ent);
    let mut country_totals = BTreeMap::new();
    for (name, values) in country_measures {
        let short = name.trim_start_matches("bm.");
        for keep in [
            "DVA", "DDC", "FC", "DAVAX1", "DAVAX2", "GVCF", "FVA", "EXGR",
        ] {
            if short == keep {
                country_totals.insert(keep, values.clone());
            }
        }
    }
    Ok(FamilyOutput {
        rows,
        identities,
        country_totals,
    })
}

/// The BM measures and groupings of §5.1 at one level, in [`crate::decompose::measure_names`] order.
fn derived(
    reduce: impl Fn(&Array2<f64>) -> Array1<f64>,
    ent: &BmEntries,
) -> Vec<(&'static str, Array1<f64>)> {
    let exgr = reduce(&ent.exgr);
    let dc = reduce(&ent.dc);
    let dva = reduce(&ent.dva);
    let fc = reduce(&ent.fc);
    let fva = reduce(&ent.fva);
    let davax1 = reduce(&ent.davax1);
    let davax2 = reduce(&ent.davax2);
    let rex1 = reduce(&ent.rex1);
    let rex23 = reduce(&ent.rex23);
    let ref1 = reduce(&ent.ref1);
    let ref2 = reduce(&ent.ref2);
    let k = exgr.len();
    let f = |op: &dyn Fn(usize) -> f64| -> Array1<f64> { (0..k).map(op).collect() };
    let davax = f(&|i| davax1[i] + davax2[i]);
    let rex = f(&|i| rex1[i] + rex23[i]);
    let refl = f(&|i| ref1[i] + ref2[i]);
    let vax = f(&|i| davax[i] + rex[i]);
    let ddc = f(&|i| dc[i] - dva[i]);
    let fdc = f(&|i| fc[i] - fva[i]);
    let gvc = f(&|i| exgr[i] - davax[i]);
    let gvcb = f(&|i| fva[i] + fdc[i] + ddc[i]);
    let gvcf = f(&|i| rex[i] + refl[i]);
    let gvc_ratio = f(&|i| ratio(gvc[i], exgr[i]));
    let gvcb_ratio = f(&|i| ratio(gvcb[i], exgr[i]));
    let gvcf_ratio = f(&|i| ratio(gvcf[i], exgr[i]));
    vec![
        ("bm.EXGR", exgr),
        ("bm.DC", dc),
        ("bm.DVA", dva),
        ("bm.VAX", vax),
        ("bm.DAVAX", davax),
        ("bm.DAVAX1", davax1),
        ("bm.DAVAX2", davax2),
        ("bm.REX", rex),
        ("bm.REX1", rex1),
        ("bm.REX23", rex23),
        ("bm.REF", refl),
        ("bm.REF1", ref1),
        ("bm.REF2", ref2),
        ("bm.DDC", ddc),
        ("bm.FC", fc),
        ("bm.FVA", fva),
        ("bm.FDC", fdc),
        ("bm.GVC", gvc),
        ("bm.GVCB", gvcb),
        ("bm.GVCF", gvcf),
        ("bm.GVC_ratio", gvc_ratio),
        ("bm.GVCB_ratio", gvcb_ratio),
        ("bm.GVCF_ratio", gvcf_ratio),
    ]
}
