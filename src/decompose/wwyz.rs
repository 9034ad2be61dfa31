//! Wang, Wei, Yu & Zhu (2017a, 2017b): production-based GVC participation, GVC production
//! length and GVC position (reference/decomposition.md §6).
//!
//! V̂Bŷ = V̂Lŷ_D + V̂Lŷ_F + V̂LA^FLŷ_D + V̂LA^F(Bŷ − Lŷ_D) (V_D, V_RT, V_GVC_S, V_GVC_C);
//! row sums are forward (by value-added origin sector), column sums backward (by final-goods
//! producing sector). Only matrix–vector products with B, A^F and the local inverses are
//! needed, so the family is O(n²).

use std::collections::BTreeMap;

use ndarray::{Array1, ArrayRef1};

use crate::decompose::context::{add, hadamard, ratio, sub, Context};
use crate::decompose::{DecomposeError, FamilyOutput, Level};
use crate::iot::identities::Worst;

/// WWYZ measures at country and sector level, in output order.
pub const MEASURES: &[&str] = &[
    "wwyz.V_D",
    "wwyz.V_RT",
    "wwyz.V_GVC_S",
    "wwyz.V_GVC_C",
    "wwyz.Y_D",
    "wwyz.Y_RT",
    "wwyz.Y_GVC_S",
    "wwyz.Y_GVC_C",
    "wwyz.va",
    "wwyz.y",
    "wwyz.Xv_GVC",
    "wwyz.Xy_GVC",
    "wwyz.GVCPt_f",
    "wwyz.GVCPt_b",
    "wwyz.PLv_GVC",
    "wwyz.PLy_GVC",
    "wwyz.GVC_position",
];

/// Entry-level WWYZ components (reference §6).
pub struct WwyzEntries {
    pub v_d: Array1<f64>,
    pub v_rt: Array1<f64>,
    pub v_gvc_s: Array1<f64>,
    pub v_gvc_c: Array1<f64>,
    pub y_d: Array1<f64>,
    pub y_rt: Array1<f64>,
    pub y_gvc_s: Array1<f64>,
    pub y_gvc_c: Array1<f64>,
    /// Row sums of Xv_GVC = V̂LLA^FBŷ + V̂LA^FBBŷ (GVC-related output induced, forward).
    pub xv_gvc: Array1<f64>,
    /// Column sums of Xv_GVC (backward).
    pub xy_gvc: Array1<f64>,
}

/// Computes the entry-level components with matrix–vector products only.
pub fn entries(ctx: &Context<'_>) -> WwyzEntries {
    let l = ctx.leontief;
    let v = &l.v;
    let y = &ctx.ytot;
    let y_d = &ctx.ydom;
    let y_f = sub(y, y_d);
    let ly_d = &ctx.ly_dom;
    let ly_f = l.local_apply(&y_f);
    let by = l.b_apply(y);
    let l_af_ly_d = l.local_apply(&l.foreign_apply(ly_d));
    let l_af_by = l.local_apply(&l.foreign_apply(&by));
    let bby = l.b_apply(&by);
    let l_af_bby = l.local_apply(&l.foreign_apply(&bby));
    let ll_af_by = l.local_apply(&l_af_by);

    let vl = &ctx.vl;
    let vl_af = l.foreign_apply_left(vl);
    let vl_af_l = l.local_apply_left(&vl_af);
    let vl_af_b = l.b_apply_left(&vl_af);
    let vl_af_bb = l.b_apply_left(&vl_af_b);
    let vll_af_b = l.b_apply_left(&l.foreign_apply_left(&l.local_apply_left(vl)));

    WwyzEntries {
        v_d: hadamard(v, ly_d),
        v_rt: hadamard(v, &ly_f),
        v_gvc_s: hadamard(v, &l_af_ly_d),
        v_gvc_c: hadamard(v, &sub(&l_af_by, &l_af_ly_d)),
        y_d: hadamard(vl, y_d),
        y_rt: hadamard(vl, &y_f),
        y_gvc_s: hadamard(&vl_af_l, y_d),
        y_gvc_c: sub(&hadamard(&vl_af_b, y), &hadamard(&vl_af_l, y_d)),
        xv_gvc: hadamard(v, &add(&ll_af_by, &l_af_bby)),
        xy_gvc: hadamard(&add(&vll_af_b, &vl_af_bb), y),
    }
}

/// WWYZ at country or sector level (ratios of sums), with I17 checked on every entry.
pub fn compute(ctx: &Context<'_>, level: Level) -> Result<FamilyOutput, DecomposeError> {
    let ent = entries(ctx);
    let l = ctx.leontief;
    let mut i17 = Worst::new(
        "I17",
        "V_D + V_RT + V_GVC_S + V_GVC_C = va; Y_D + Y_RT + Y_GVC_S + Y_GVC_C = y",
        ctx.tol_entry,
    );
    for i in 0..ctx.n {
        let label = || ctx.table.labels[i].to_string();
        let forward = ent.v_d[i] + ent.v_rt[i] + ent.v_gvc_s[i] + ent.v_gvc_c[i];
        i17.observe(forward, l.va[i], ctx.floor, || {
            format!("{} (forward)", label())
        });
        let backward = ent.y_d[i] + ent.y_rt[i] + ent.y_gvc_s[i] + ent.y_gvc_c[i];
        i17.observe(backward, ctx.ytot[i], ctx.floor, || {
            format!("{} (backward)", label())
        });
    }
    let identities = vec![i17.finish()?];

    let aggregate = |f: &ArrayRef1<f64>, lvl: Level| -> Array1<f64> {
        match lvl {
            Level::Sector => ctx.sectors.sums(f),
            _ => ctx.by_country(f),
        }
    };
    let measures = |lvl: Level| -> Vec<(&'static str, Array1<f64>)> {
        let v_d = aggregate(&ent.v_d, lvl);
        let v_rt = aggregate(&ent.v_rt, lvl);
        let v_s = aggregate(&ent.v_gvc_s, lvl);
        let v_c = aggregate(&ent.v_gvc_c, lvl);
        let y_d = aggregate(&ent.y_d, lvl);
        let y_rt = aggregate(&ent.y_rt, lvl);
        let y_s = aggregate(&ent.y_gvc_s, lvl);
        let y_c = aggregate(&ent.y_gvc_c, lvl);
        let va = aggregate(&l.va, lvl);
        let y = aggregate(&ctx.ytot, lvl);
        let xv = aggregate(&ent.xv_gvc, lvl);
        let xy = aggregate(&ent.xy_gvc, lvl);
        let k = va.len();
        let v_gvc: Array1<f64> = (0..k).map(|i| v_s[i] + v_c[i]).collect();
        let y_gvc: Array1<f64> = (0..k).map(|i| y_s[i] + y_c[i]).collect();
        let pt_f: Array1<f64> = (0..k).map(|i| ratio(v_gvc[i], va[i])).collect();
        let pt_b: Array1<f64> = (0..k).map(|i| ratio(y_gvc[i], y[i])).collect();
        let plv: Array1<f64> = (0..k).map(|i| ratio(xv[i], v_gvc[i])).collect();
        let ply: Array1<f64> = (0..k).map(|i| ratio(xy[i], y_gvc[i])).collect();
        let pos: Array1<f64> = (0..k).map(|i| ratio(plv[i], ply[i])).collect();
        vec![
            ("wwyz.V_D", v_d),
            ("wwyz.V_RT", v_rt),
            ("wwyz.V_GVC_S", v_s),
            ("wwyz.V_GVC_C", v_c),
            ("wwyz.Y_D", y_d),
            ("wwyz.Y_RT", y_rt),
            ("wwyz.Y_GVC_S", y_s),
            ("wwyz.Y_GVC_C", y_c),
            ("wwyz.va", va),
            ("wwyz.y", y),
            ("wwyz.Xv_GVC", xv),
            ("wwyz.Xy_GVC", xy),
            ("wwyz.GVCPt_f", pt_f),
            ("wwyz.GVCPt_b", pt_b),
            ("wwyz.PLv_GVC", plv),
            ("wwyz.PLy_GVC", ply),
            ("wwyz.GVC_position", pos),
        ]
    };
    let mut rows = Vec::new();
    for (name, values) in measures(level) {
        match level {
            Level::Sector => ctx.emit_sector(&mut rows, name, &values),
            _ => ctx.emit_country(&mut rows, name, &values),
        }
    }
    let mut country_totals = BTreeMap::new();
    country_totals.insert("V_RT", aggregate(&ent.v_rt, Level::Country));
    country_totals.insert("V_GVC_S", aggregate(&ent.v_gvc_s, Level::Country));
    country_totals.insert("V_GVC_C", aggregate(&ent.v_gvc_c, Level::Country));
    Ok(FamilyOutput {
        rows,
        identities,
        country_totals,
    })
}
