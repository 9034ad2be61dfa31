//! Koopman, Powers, Wang & Wei (2010): domestic, foreign and indirect value added in
//! exports, GVC participation and GVC position (reference/decomposition.md §2).
//!
//! By country-sector: IV is attributed to the value-added origin sector i of s (forward,
//! rows of V̂BÊ outside s's columns), FV and E to the exporting sector j (backward, columns
//! of V̂BÊ outside s's rows); country values are sums, ratios are ratios of sums.

use std::collections::{BTreeMap, HashMap};

use ndarray::{Array1, Array2, ArrayRef1};

use crate::decompose::context::{hadamard, partner_sums, partner_sums_own, ratio, sub, Context};
use crate::decompose::{DecomposeError, FamilyOutput, IvDefinition, Level};
use crate::iot::identities::Worst;

/// KPWW measures at country level, in output order (see [`crate::decompose::measure_names`]).
pub const COUNTRY_MEASURES: &[&str] = &[
    "kpww.E",
    "kpww.DV",
    "kpww.FV",
    "kpww.IV",
    "kpww.IV_dvafx",
    "kpww.IV_dvafx_excl_back",
    "kpww.IV_kww_t3",
    "kpww.participation",
    "kpww.position",
];

/// KPWW measures at sector level: the country ones and the new RCA `nrca`.
pub const SECTOR_MEASURES: &[&str] = &[
    "kpww.E",
    "kpww.DV",
    "kpww.FV",
    "kpww.IV",
    "kpww.IV_dvafx",
    "kpww.IV_dvafx_excl_back",
    "kpww.IV_kww_t3",
    "kpww.participation",
    "kpww.position",
    "kpww.nrca",
];

/// The KPWW quantities of every entry (reference §2).
pub struct KpwwEntries {
    /// Gross exports E_i.
    pub e: Array1<f64>,
    /// Domestic content by exporting sector: (V^s B^{ss})_i E_i.
    pub dv: Array1<f64>,
    /// Foreign value added by exporting sector: Σ_{t≠s} (V^t B^{ts})_i E_i.
    pub fv: Array1<f64>,
    /// IV_dvafx by origin sector: v_i Σ_{r≠s} (B^{sr} E^{r*})_i.
    pub iv_dvafx: Array1<f64>,
    /// IV excluding r's exports back to s: v_i Σ_{r≠s} (B^{sr}(E^{r*} − E^{rs}))_i.
    pub iv_excl_back: Array1<f64>,
    /// KWW T3 by origin sector: v_i Σ_{r≠s} Σ_{t≠s,r} (B^{sr} Y^{rt})_i.
    pub iv_t3: Array1<f64>,
    /// Domestic value added of origin i in s's own exports: v_i (B^{ss} E^{s*})_i (for NRCA).
    pub own: Array1<f64>,
}

/// Computes the entry-level KPWW quantities with four O(n²) passes over B.
pub fn entries(ctx: &Context<'_>) -> KpwwEntries {
    let l = ctx.leontief;
    let (n, g, of) = (ctx.n, ctx.g, ctx.of);
    let b = &l.b;
    let rb_e = partner_sums(b, &ctx.e, of, g);
    let rb_esr = partner_sums_own(b, &ctx.esr, of, g);
    let y_nondom = sub(&ctx.ytot, &ctx.ydom);
    let rb_nd = partner_sums(b, &y_nondom, of, g);
    let rb_ys = partner_sums_own(b, &ctx.y, of, g);
    let foreign = |m: &Array2<f64>, i: usize| -> f64 {
        (0..g).filter(|&r| r != of[i]).map(|r| m[[i, r]]).sum()
    };
    let mut out = KpwwEntries {
        e: ctx.e.clone(),
        dv: hadamard(&ctx.d, &ctx.e),
        fv: (0..n).map(|i| (ctx.w[i] - ctx.d[i]) * ctx.e[i]).collect(),
        iv_dvafx: Array1::zeros(n),
        iv_excl_back: Array1::zeros(n),
        iv_t3: Array1::zeros(n),
        own: Array1::zeros(n),
    };
    for i in 0..n {
        let v = l.v[i];
        out.iv_dvafx[i] = v * foreign(&rb_e, i);
        out.iv_excl_back[i] = v * (foreign(&rb_e, i) - foreign(&rb_esr, i));
        out.iv_t3[i] = v * (foreign(&rb_nd, i) - foreign(&rb_ys, i));
        out.own[i] = v * rb_e[[i, of[i]]];
    }
    out
}

/// GVC participation (IV + FV)/E (reference §2).
pub fn participation(iv: f64, fv: f64, e: f64) -> f64 {
    ratio(iv + fv, e)
}

/// GVC position ln(1 + IV/E) − ln(1 + FV/E) (reference §2); NaN when E = 0 or a log argument ≤ 0.
pub fn position(iv: f64, fv: f64, e: f64) -> f64 {
    let (a, b) = (1.0 + ratio(iv, e), 1.0 + ratio(fv, e));
    if a > 0.0 && b > 0.0 {
        a.ln() - b.ln()
    } else {
        f64::NAN
    }
}

/// Koopman et al. new RCA (bquast/gvc `nrca`, reference §1): (f_k / Σ_{k∈s} f) / (t_sector / T)
/// with f = domestic value added in own exports by origin sector, t = f summed over countries
/// for the same sector code, T = Σ f.
pub fn nrca(
    own_by_group: &ArrayRef1<f64>,
    group_country: &[usize],
    group_sector: &[String],
    g: usize,
) -> Array1<f64> {
    let mut by_country = vec![0.0; g];
    let mut by_sector: HashMap<&str, f64> = HashMap::new();
    for (k, &f) in own_by_group.iter().enumerate() {
        by_country[group_country[k]] += f;
        *by_sector.entry(group_sector[k].as_str()).or_insert(0.0) += f;
    }
    let total: f64 = own_by_group.iter().sum();
    own_by_group
        .iter()
        .enumerate()
        .map(|(k, &f)| {
            let t = by_sector
                .get(group_sector[k].as_str())
                .copied()
                .unwrap_or(0.0);
            ratio(ratio(f, by_country[group_country[k]]), ratio(t, total))
        })
        .collect()
}

/// KPWW at country or sector level, with I16 (Σ_s IV_dvafx = Σ_s FV) checked.
pub fn compute(
    ctx: &Context<'_>,
    level: Level,
    iv_def: IvDefinition,
) -> Result<FamilyOutput, DecomposeError> {
    let ent = entries(ctx);
    let country = |f: &Array1<f64>| ctx.by_country(f);
    let (e_c, fv_c, iv_c) = (country(&ent.e), country(&ent.fv), country(&ent.iv_dvafx));
    let world_iv: f64 = iv_c.iter().sum();
    let world_fv: f64 = fv_c.iter().sum();
    let mut i16 = Worst::new("I16", "Σ_s IV_dvafx = Σ_s FV", ctx.tol);
    i16.observe(world_iv, world_fv, ctx.floor, || "world".to_string());
    let identities = vec![i16.finish()?];

    let chosen = |e: &KpwwEntries| -> Array1<f64> {
        match iv_def {
            IvDefinition::Dvafx => e.iv_dvafx.clone(),
            IvDefinition::DvafxExclBack => e.iv_excl_back.clone(),
            IvDefinition::KwwT3 => e.iv_t3.clone(),
        }
    };
    let iv_entries = chosen(&ent);
    let aggregate = |f: &ArrayRef1<f64>| -> Array1<f64> {
        match level {
            Level::Sector => ctx.sectors.sums(f),
            _ => ctx.by_country(f),
        }
    };
    let e = aggregate(&ent.e);
    let dv = aggregate(&ent.dv);
    let fv = aggregate(&ent.fv);
    let iv = aggregate(&iv_entries);
    let iv_dvafx = aggregate(&ent.iv_dvafx);
    let iv_excl = aggregate(&ent.iv_excl_back);
    let iv_t3 = aggregate(&ent.iv_t3);
    let part: Array1<f64> = (0..e.len())
        .map(|k| participation(iv[k], fv[k], e[k]))
        .collect();
    let pos: Array1<f64> = (0..e.len()).map(|k| position(iv[k], fv[k], e[k])).collect();
    let mut rows = Vec::new();
    let series: [(&str, &Array1<f64>); 9] = [
        ("kpww.E", &e),
        ("kpww.DV", &dv),
        ("kpww.FV", &fv),
        ("kpww.IV", &iv),
        ("kpww.IV_dvafx", &iv_dvafx),
        ("kpww.IV_dvafx_excl_back", &iv_excl),
        ("kpww.IV_kww_t3", &iv_t3),
        ("kpww.participation", &part),
        ("kpww.position", &pos),
    ];
    for (name, values) in series {
        match level {
            Level::Sector => ctx.emit_sector(&mut rows, name, values),
            _ => ctx.emit_country(&mut rows, name, values),
        }
    }
    if level == Level::Sector {
        let own = ctx.sectors.sums(&ent.own);
        let values = nrca(&own, &ctx.sectors.country, &ctx.sectors.sector, ctx.g);
        ctx.emit_sector(&mut rows, "kpww.nrca", &values);
    }
    let mut country_totals = BTreeMap::new();
    country_totals.insert("E", e_c);
    country_totals.insert("FV", fv_c);
    country_totals.insert("IV_dvafx", iv_c);
    Ok(FamilyOutput {
        rows,
        identities,
        country_totals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn participation_and_position_by_hand() {
        // Leather Argentina (reference §2): E 64.3, FV 10.6100435087, IV 21.6347472928.
        let (iv, fv, e) = (21.6347472928, 10.6100435087, 64.3);
        assert!((participation(iv, fv, e) - 0.501474195981).abs() < 1e-11);
        assert!((position(iv, fv, e) - 0.137300282073).abs() < 1e-11);
        assert!(position(1.0, 0.0, 0.0).is_nan());
        assert!(position(-2.0, 0.0, 1.0).is_nan());
    }

    #[test]
    fn nrca_by_hand() {
        // Two countries, two sectors: f = [1, 3 | 2, 2]; T = 8; t = [3, 5].
        let v = nrca(
            &ndarray::array![1.0, 3.0, 2.0, 2.0],
            &[0, 0, 1, 1],
            &["a".into(), "b".into(), "a".into(), "b".into()],
            2,
        );
        assert!((v[0] - (0.25 / (3.0 / 8.0))).abs() < 1e-15);
        assert!((v[3] - (0.5 / (5.0 / 8.0))).abs() < 1e-15);
    }
}
