//! Wang, Wei & Zhu (2013, NBER w19677): the 16-term decomposition of bilateral
//! country-sector gross exports E^{sr}_i (reference/decomposition.md §4), its groupings,
//! the mapping to the 9 KWW terms (WWZ Table E2, decompr `wwz2kww`) and decompr's `wwz()`
//! output layout.
//!
//! Every term is (multiplier over the exporting sector i of s) × (A^{sr} f^r)_i or × Y^{sr}_i.
//! The vectors f^r are built once per table as n×G matrices (column = exporter s) from
//! blockwise products of B with Y — one product of B with an n×2G matrix dominates, O(n²G)
//! — so the decomposition streams exporter by exporter ([`stream`]): one exporter's
//! N·(G−1) flows exist at a time, aggregated on the fly to the level the caller keeps
//! ([`WwzLevel`]). No n×n temporary is formed beyond the A, B and Z the core already holds.
//!
//! Identities checked as the flows are produced (reference §10): I9 (the 16 terms sum to
//! E^{sr}_i), I10 (terms 1 + 11 + 14 = Y^{sr}_i, the other 13 = Z^{sr}1), both for every
//! (s, i, r) before the exporter's block reaches the sink, and I11 (the country sums mapped
//! to KWW equal the KWW terms computed directly by [`kww::terms`]). I12 holds by
//! construction: domestic flows (r = s) are never produced (decompr's layout shows them
//! as zero rows) and the third-country terms are sums over empty sets when G = 2.
//!
//! Modules: [`kernels`] builds the right-hand sides once per table, [`flows`] computes,
//! checks and aggregates one exporter's flows, [`decompr`] lays them out as decompr's `wwz()`.

mod decompr;
mod flows;
mod kernels;

use crate::decompose::context::Context;
use crate::decompose::{kww, DecomposeError, FamilyOutput, Level, MeasureRow};
use crate::iot::identities::{IdentityResidual, Worst};
use crate::iot::{IoTable, Leontief};

pub use decompr::{
    decompr_layout, decompr_stream, decompr_values, DecomprRow, DECOMPR_COLUMNS, DECOMPR_TERM_ORDER,
};
use flows::{aggregate, exporter_flows, FlowChecks};
use kernels::Kernels;

/// Paper names of the 16 terms, in the order of WWZ equation (19) / reference §4.
pub const TERM_NAMES: [&str; 16] = [
    "DVA_FIN",
    "DVA_INT",
    "DVA_INTrex1",
    "DVA_INTrexF",
    "DVA_INTrex2",
    "RDV_FIN1",
    "RDV_FIN2",
    "RDV_INT",
    "DDC_FIN",
    "DDC_INT",
    "MVA_FIN",
    "MVA_INT",
    "MDC",
    "OVA_FIN",
    "OVA_INT",
    "ODC",
];

/// WWZ groupings (reference §4, exvatools `wwz`): name and the 0-based paper terms summed.
/// DVA = 1–8, VAX = 1–5, RDV = 6–8, DDC = 9+10, FVA = 11+12+14+15, MVA = 11+12,
/// OVA = 14+15, FDC = 13+16, PDC = DDC + FDC.
pub const GROUPS: [(&str, &[usize]); 9] = [
    ("DVA", &[0, 1, 2, 3, 4, 5, 6, 7]),
    ("VAX", &[0, 1, 2, 3, 4]),
    ("RDV", &[5, 6, 7]),
    ("DDC", &[8, 9]),
    ("FVA", &[10, 11, 13, 14]),
    ("MVA", &[10, 11]),
    ("OVA", &[13, 14]),
    ("FDC", &[12, 15]),
    ("PDC", &[8, 9, 12, 15]),
];

/// WWZ → KWW (WWZ Table E2, decompr `wwz2kww`; reference §4): KWW term name and the 0-based
/// WWZ terms summed. DVA_FIN = 1; DVA_INT = 2+3; DVA_INTrex = 4+5; RDV_FIN = 6+7;
/// RDV_INT = 8; DDC = 9+10; FVA_FIN = 11+14; FVA_INT = 12+15; FDC = 13+16. Exact for
/// country totals (identity I11); below country level it is decompr's sector-level KWW.
pub const KWW_MAPPING: [(&str, &[usize]); 9] = [
    ("DVA_FIN", &[0]),
    ("DVA_INT", &[1, 2]),
    ("DVA_INTrex", &[3, 4]),
    ("RDV_FIN", &[5, 6]),
    ("RDV_INT", &[7]),
    ("DDC", &[8, 9]),
    ("FVA_FIN", &[10, 13]),
    ("FVA_INT", &[11, 14]),
    ("FDC", &[12, 15]),
];

/// Every measure of the family, in the order of [`WwzValues::measures`]: the 16 terms
/// (paper names), gross exports E = E^{sr}, its final (E_FIN = Y^{sr}) and intermediate
/// (E_INT = Z^{sr}1) parts, DViX_Fsr (decompr: v̂^s L^{ss} E^{sr}, DVA by value-added
/// origin sector), the [`GROUPS`] and the [`KWW_MAPPING`] (`kww_<term>`).
pub const MEASURE_NAMES: &[&str] = &[
    "wwz.DVA_FIN",
    "wwz.DVA_INT",
    "wwz.DVA_INTrex1",
    "wwz.DVA_INTrexF",
    "wwz.DVA_INTrex2",
    "wwz.RDV_FIN1",
    "wwz.RDV_FIN2",
    "wwz.RDV_INT",
    "wwz.DDC_FIN",
    "wwz.DDC_INT",
    "wwz.MVA_FIN",
    "wwz.MVA_INT",
    "wwz.MDC",
    "wwz.OVA_FIN",
    "wwz.OVA_INT",
    "wwz.ODC",
    "wwz.E",
    "wwz.E_FIN",
    "wwz.E_INT",
    "wwz.DViX_Fsr",
    "wwz.DVA",
    "wwz.VAX",
    "wwz.RDV",
    "wwz.DDC",
    "wwz.FVA",
    "wwz.MVA",
    "wwz.OVA",
    "wwz.FDC",
    "wwz.PDC",
    "wwz.kww_DVA_FIN",
    "wwz.kww_DVA_INT",
    "wwz.kww_DVA_INTrex",
    "wwz.kww_RDV_FIN",
    "wwz.kww_RDV_INT",
    "wwz.kww_DDC",
    "wwz.kww_FVA_FIN",
    "wwz.kww_FVA_INT",
    "wwz.kww_FDC",
];

/// Number of measures per record ([`MEASURE_NAMES`]).
pub const MEASURE_COUNT: usize = 38;

/// What the streamed blocks (and [`compute_at`]'s rows) keep; aggregation is done per
/// exporter as the flows are produced, so every level streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WwzLevel {
    /// Exporter s: sums over sectors i and importers r.
    Country,
    /// (exporter s, importer r): sums over sectors.
    Bilateral,
    /// (exporter s, sector i): sums over importers.
    Sector,
    /// (exporter s, sector i, importer r): the flows themselves.
    BilateralSector,
}

impl std::fmt::Display for WwzLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WwzLevel::Country => "country",
            WwzLevel::Bilateral => "bilateral",
            WwzLevel::Sector => "sector",
            WwzLevel::BilateralSector => "bilateral_sector",
        })
    }
}

impl From<Level> for WwzLevel {
    fn from(level: Level) -> Self {
        match level {
            Level::Country => WwzLevel::Country,
            Level::Sector => WwzLevel::Sector,
            Level::Bilateral => WwzLevel::Bilateral,
        }
    }
}

/// The values of one flow or aggregate of flows (reference §4).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WwzValues {
    /// The 16 terms in paper order ([`TERM_NAMES`]).
    pub terms: [f64; 16],
    /// Gross exports E^{sr}_i = Z^{sr}_i 1 + Y^{sr}_i (decompr `texp`).
    pub exports: f64,
    /// Final-goods exports Y^{sr}_i (decompr `texpfd`).
    pub final_exports: f64,
    /// Intermediate exports Z^{sr}_i 1 (decompr `texpint`).
    pub intermediate_exports: f64,
    /// decompr `DViX_Fsr` = v_i (L^{ss} E^{sr})_i: DVA of origin sector i in s's exports to r
    /// (forward linkage, local inverse).
    pub dvix_fsr: f64,
}

impl WwzValues {
    /// Adds another flow's values (aggregation to a coarser level).
    pub fn add(&mut self, other: &WwzValues) {
        for (a, b) in self.terms.iter_mut().zip(&other.terms) {
            *a += b;
        }
        self.exports += other.exports;
        self.final_exports += other.final_exports;
        self.intermediate_exports += other.intermediate_exports;
        self.dvix_fsr += other.dvix_fsr;
    }

    /// Sum of the listed 0-based terms.
    fn sum_of(&self, idx: &[usize]) -> f64 {
        idx.iter().map(|&k| self.terms[k]).sum()
    }

    /// The [`GROUPS`] (DVA, VAX, RDV, DDC, FVA, MVA, OVA, FDC, PDC).
    pub fn groups(&self) -> [f64; 9] {
        GROUPS.map(|(_, idx)| self.sum_of(idx))
    }

    /// The 9 KWW terms by [`KWW_MAPPING`] (decompr `wwz2kww`).
    pub fn kww(&self) -> [f64; 9] {
        KWW_MAPPING.map(|(_, idx)| self.sum_of(idx))
    }

    /// All [`MEASURE_NAMES`] values, in that order.
    pub fn measures(&self) -> [f64; MEASURE_COUNT] {
        let mut out = [0.0; MEASURE_COUNT];
        out[..16].copy_from_slice(&self.terms);
        out[16] = self.exports;
        out[17] = self.final_exports;
        out[18] = self.intermediate_exports;
        out[19] = self.dvix_fsr;
        out[20..29].copy_from_slice(&self.groups());
        out[29..].copy_from_slice(&self.kww());
        out
    }
}

/// One record of an exporter's block: a flow or an aggregate, keyed by the level.
#[derive(Debug, Clone, PartialEq)]
pub struct WwzRecord {
    /// Sector group (index into [`Context::sectors`]) at the sector levels, else `None`.
    pub sector: Option<usize>,
    /// Importing country at the bilateral levels, else `None`.
    pub importer: Option<usize>,
    /// The flow's values, or the sum of the flows the record aggregates.
    pub values: WwzValues,
}

/// Everything WWZ produces for one exporter s at the requested level. Records are ordered
/// by sector group (order of first appearance in the table), then importer ascending;
/// importers skip s.
#[derive(Debug, Clone, PartialEq)]
pub struct ExporterBlock {
    /// Exporting country s (index into the table's countries).
    pub exporter: usize,
    /// The level the records are aggregated to.
    pub level: WwzLevel,
    /// The records of s at `level`.
    pub records: Vec<WwzRecord>,
}

/// What a finished [`stream`] reports: the identity residuals (I9, I10, I11) and each
/// exporter's totals over sectors and importers.
#[derive(Debug, Clone, PartialEq)]
pub struct WwzSummary {
    /// Largest residuals of I9, I10 and I11, in that order.
    pub identities: Vec<IdentityResidual>,
    /// Totals of every exporter s over its sectors and importers (G entries).
    pub country: Vec<WwzValues>,
}

/// Options of [`wwz_stream`].
#[derive(Debug, Clone, PartialEq)]
pub struct WwzOptions {
    /// What each exporter's block keeps.
    pub level: WwzLevel,
    /// Relative tolerance of the identities (reference §10: 1e-9); the table's own rounding
    /// is added when x was read rather than recomputed (see [`Context::tol`]).
    pub tolerance: f64,
}

impl Default for WwzOptions {
    fn default() -> Self {
        WwzOptions {
            level: WwzLevel::BilateralSector,
            tolerance: 1e-9,
        }
    }
}

/// Streams the WWZ decomposition exporter by exporter (reference §4): for every exporter s
/// the flows (s, i, r ≠ s) are computed, checked (I9, I10), aggregated to `level` and handed
/// to `sink` as one [`ExporterBlock`]; then I11 compares the country totals mapped to KWW
/// with [`kww::terms`]. Memory beyond the Leontief core: a few n×G matrices and one
/// exporter's flows. A sink error stops the stream and is returned as is.
pub fn stream<E, F>(ctx: &Context<'_>, level: WwzLevel, mut sink: F) -> Result<WwzSummary, E>
where
    E: From<DecomposeError>,
    F: FnMut(ExporterBlock) -> Result<(), E>,
{
    let kernels = Kernels::new(ctx);
    let mut checks = FlowChecks::new(ctx.tol_entry);
    let mut country = vec![WwzValues::default(); ctx.g];
    for (s, total) in country.iter_mut().enumerate() {
        let flows = exporter_flows(ctx, &kernels, s);
        checks.check(ctx, s, &flows)?;
        for f in &flows {
            total.add(&f.values);
        }
        let records = aggregate(ctx, &kernels, s, level, flows);
        sink(ExporterBlock {
            exporter: s,
            level,
            records,
        })?;
    }
    let i11 = check_against_kww(ctx, &country)?;
    let identities = vec![
        checks.i9.finish().map_err(DecomposeError::from)?,
        checks.i10.finish().map_err(DecomposeError::from)?,
        i11,
    ];
    Ok(WwzSummary {
        identities,
        country,
    })
}

/// I11: the WWZ country totals mapped to KWW equal the KWW terms computed directly.
fn check_against_kww(
    ctx: &Context<'_>,
    country: &[WwzValues],
) -> Result<IdentityResidual, DecomposeError> {
    let direct = kww::terms(ctx);
    let mut i11 = Worst::new(
        "I11",
        "WWZ country totals mapped to KWW (Table E2) = KWW terms",
        ctx.tol,
    );
    for (s, values) in country.iter().enumerate() {
        for (q, mapped) in values.kww().iter().enumerate() {
            i11.observe(*mapped, direct.t[q][s], ctx.floor, || {
                format!("exporter {} ({})", ctx.country(s), KWW_MAPPING[q].0)
            });
        }
    }
    Ok(i11.finish()?)
}

/// [`stream`] on a table and its Leontief core, checking they belong together.
pub fn wwz_stream<E, F>(
    table: &IoTable,
    leontief: &Leontief,
    options: &WwzOptions,
    sink: F,
) -> Result<WwzSummary, E>
where
    E: From<DecomposeError>,
    F: FnMut(ExporterBlock) -> Result<(), E>,
{
    check_core_matches(table, leontief)?;
    let ctx = Context::new(table, leontief, options.tolerance);
    stream(&ctx, options.level, sink)
}

/// The table must be valid and the core built on the same entries and countries.
fn check_core_matches(table: &IoTable, leontief: &Leontief) -> Result<(), DecomposeError> {
    table.validate()?;
    if leontief.n() != table.n()
        || leontief.blocks.of_row != table.row_country
        || leontief.blocks.g() != table.g()
    {
        return Err(DecomposeError::Mismatch {
            leontief: leontief.n(),
            leontief_countries: leontief.blocks.g(),
            table: table.n(),
            table_countries: table.g(),
        });
    }
    Ok(())
}

/// The family's long-form rows at `level` (engine levels; partner = importer), with
/// identities I9–I11 and country totals DVA, VAX, DDC, FC, FVA, FDC for cross-checks.
pub fn compute(ctx: &Context<'_>, level: Level) -> Result<FamilyOutput, DecomposeError> {
    compute_at(ctx, level.into())
}

/// Like [`compute`] at any [`WwzLevel`]. At `BilateralSector` this materialises
/// 38·G·N·(G−1) rows (≈ 5 M at ADB size): prefer [`stream`] there.
pub fn compute_at(ctx: &Context<'_>, level: WwzLevel) -> Result<FamilyOutput, DecomposeError> {
    let mut kept: Vec<(usize, WwzRecord)> = Vec::new();
    let summary = stream(ctx, level, |block: ExporterBlock| {
        let s = block.exporter;
        kept.extend(block.records.into_iter().map(|r| (s, r)));
        Ok::<(), DecomposeError>(())
    })?;
    let values: Vec<[f64; MEASURE_COUNT]> = kept.iter().map(|(_, r)| r.values.measures()).collect();
    let mut rows = Vec::with_capacity(MEASURE_COUNT * kept.len());
    for (m, name) in MEASURE_NAMES.iter().enumerate() {
        for ((s, record), v) in kept.iter().zip(&values) {
            rows.push(MeasureRow {
                country: ctx.country(*s).to_string(),
                sector: record.sector.map(|q| ctx.sectors.sector[q].clone()),
                partner: record.importer.map(|r| ctx.country(r).to_string()),
                measure: name.to_string(),
                value: v[m],
            });
        }
    }
    let groups: Vec<[f64; 9]> = summary.country.iter().map(WwzValues::groups).collect();
    let total = |k: &[usize]| -> ndarray::Array1<f64> {
        groups
            .iter()
            .map(|v| k.iter().map(|&q| v[q]).sum())
            .collect()
    };
    let mut country_totals = std::collections::BTreeMap::new();
    country_totals.insert("DVA", total(&[0]));
    country_totals.insert("VAX", total(&[1]));
    country_totals.insert("DDC", total(&[3]));
    country_totals.insert("FVA", total(&[4]));
    country_totals.insert("FDC", total(&[7]));
    country_totals.insert("FC", total(&[4, 7]));
    Ok(FamilyOutput {
        rows,
        identities: summary.identities,
        country_totals,
    })
}

impl crate::choice::Choice for WwzLevel {
    const WHAT: &'static str = "WWZ level";
    const ALL: &'static [Self] = &[
        WwzLevel::Country,
        WwzLevel::Bilateral,
        WwzLevel::Sector,
        WwzLevel::BilateralSector,
    ];
    fn name(self) -> &'static str {
        match self {
            WwzLevel::Country => "country",
            WwzLevel::Bilateral => "bilateral",
            WwzLevel::Sector => "sector",
            WwzLevel::BilateralSector => "bilateral_sector",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::decompr::{percent, round4};
    use super::*;
    use crate::iot::dense;
    use crate::iot::EntryLabel;
    use ndarray::Array1;

    /// `g` countries × `ns` sectors with varied flows; `foreign` scales foreign intermediates.
    fn table(g: usize, ns: usize, foreign: f64) -> IoTable {
        let n = g * ns;
        let z = dense::from_fn(n, n, |(i, j)| {
            let base = 1.0 + ((i * 7 + j * 3) % 5) as f64;
            if i / ns == j / ns {
                4.0 * base
            } else {
                foreign * base * (1.0 + ((i + 2 * j) % 3) as f64)
            }
        });
        let f = 2;
        let y = dense::from_fn(n, g * f, |(i, col)| {
            let c = col / f;
            if i / ns == c {
                30.0 + i as f64 + col as f64
            } else {
                2.0 + ((i * 5 + col) % 7) as f64
            }
        });
        let mut t = IoTable {
            year: None,
            countries: (0..g).map(|c| format!("C{c}")).collect(),
            fd_categories: vec!["F1".into(), "F2".into()],
            labels: (0..n)
                .map(|i| EntryLabel::new(format!("C{}", i / ns), format!("s{}", i % ns)))
                .collect(),
            row_country: (0..n).map(|i| i / ns).collect(),
            z,
            y,
            x: Array1::zeros(0),
            primary_inputs: vec![],
        };
        t.x = t.output_from_rows();
        t
    }

    fn flows_of(t: &IoTable) -> Vec<(usize, WwzRecord)> {
        let l = Leontief::new(t).unwrap();
        let mut out = Vec::new();
        wwz_stream(t, &l, &WwzOptions::default(), |b: ExporterBlock| {
            out.extend(b.records.into_iter().map(|r| (b.exporter, r)));
            Ok::<(), DecomposeError>(())
        })
        .unwrap();
        out
    }

    /// The 16 terms of reference §4 evaluated literally with dense blocks of B, L and A.
    fn brute_force(t: &IoTable, s: usize, i: usize, r: usize) -> [f64; 16] {
        let l = Leontief::new(t).unwrap();
        let g = t.g();
        let y = t.y_by_country();
        let rows = &l.blocks.rows;
        let e = crate::iot::identities::total_exports(t);
        let bvec = |p: usize, q: usize, f: &dyn Fn(usize) -> f64| -> Vec<f64> {
            rows[p]
                .iter()
                .map(|&j| rows[q].iter().map(|&k| l.b[[j, k]] * f(k)).sum())
                .collect()
        };
        let lvec = |p: usize, f: &dyn Fn(usize) -> f64| -> Vec<f64> {
            (0..rows[p].len())
                .map(|jj| {
                    (0..rows[p].len())
                        .map(|kk| l.local[p][[jj, kk]] * f(rows[p][kk]))
                        .sum()
                })
                .collect()
        };
        // (A^{sr} f^r)_i for f given on r's rows.
        let a_sr =
            |f: &[f64]| -> f64 { rows[r].iter().zip(f).map(|(&j, fj)| l.a[[i, j]] * fj).sum() };
        let add = |a: Vec<f64>, b: Vec<f64>| -> Vec<f64> {
            a.iter().zip(&b).map(|(x, y)| x + y).collect()
        };
        let zero = vec![0.0; rows[r].len()];
        // V^p B^{ps} at column i.
        let vb = |p: usize| -> f64 { rows[p].iter().map(|&k| l.v[k] * l.b[[k, i]]).sum() };
        let vbss = vb(s);
        let ii = rows[s].iter().position(|&k| k == i).unwrap();
        let vlss: f64 = rows[s]
            .iter()
            .enumerate()
            .map(|(kk, &k)| l.v[k] * l.local[s][[kk, ii]])
            .sum();
        let thirds: Vec<usize> = (0..g).filter(|&c| c != s && c != r).collect();
        let ysr = y[(i, r)];
        let t2 = a_sr(&bvec(r, r, &|k| y[(k, r)]));
        let t3 = a_sr(
            &thirds
                .iter()
                .fold(zero.clone(), |acc, &c| add(acc, bvec(r, c, &|k| y[(k, c)]))),
        );
        let t4 = a_sr(&bvec(r, r, &|k| thirds.iter().map(|&c| y[(k, c)]).sum()));
        let t5 = a_sr(&thirds.iter().fold(zero.clone(), |acc, &c| {
            add(
                acc,
                bvec(r, c, &|k| {
                    (0..g)
                        .filter(|&u| u != s && u != c)
                        .map(|u| y[(k, u)])
                        .sum()
                }),
            )
        }));
        let t6 = a_sr(&bvec(r, r, &|k| y[(k, s)]));
        let t7 = a_sr(
            &thirds
                .iter()
                .fold(zero.clone(), |acc, &c| add(acc, bvec(r, c, &|k| y[(k, s)]))),
        );
        let t8 = a_sr(&bvec(r, s, &|k| y[(k, s)]));
        let t9 = a_sr(&bvec(r, s, &|k| {
            (0..g).filter(|&u| u != s).map(|u| y[(k, u)]).sum()
        }));
        let ax: f64 = rows[r].iter().map(|&j| l.a[[i, j]] * l.x[j]).sum();
        let vrbrs = vb(r);
        let ova: f64 = thirds.iter().map(|&c| vb(c)).sum();
        let lyrr = a_sr(&lvec(r, &|k| y[(k, r)]));
        let ler = a_sr(&lvec(r, &|k| e[k]));
        [
            vbss * ysr,
            vlss * t2,
            vlss * t3,
            vlss * t4,
            vlss * t5,
            vlss * t6,
            vlss * t7,
            vlss * t8,
            vlss * t9,
            (vbss - vlss) * ax,
            vrbrs * ysr,
            vrbrs * lyrr,
            vrbrs * ler,
            ova * ysr,
            ova * lyrr,
            ova * ler,
        ]
    }

    #[test]
    fn terms_match_the_formulas_evaluated_literally() {
        let t = table(4, 3, 1.0);
        let flows = flows_of(&t);
        assert_eq!(flows.len(), 4 * 3 * 3);
        let mut checked = 0;
        for (s, rec) in &flows {
            let q = rec.sector.unwrap();
            let r = rec.importer.unwrap();
            let i = (0..t.n())
                .find(|&i| t.row_country[i] == *s && t.labels[i].sector == format!("s{}", q % 3))
                .unwrap();
            let expected = brute_force(&t, *s, i, r);
            for (k, (got, exp)) in rec.values.terms.iter().zip(&expected).enumerate() {
                assert!(
                    (got - exp).abs() <= 1e-12 * exp.abs().max(1.0),
                    "term {} of ({s}, {i}, {r}): {got} vs {exp}",
                    TERM_NAMES[k]
                );
            }
            checked += 1;
        }
        assert_eq!(checked, 36);
    }

    #[test]
    fn two_countries_have_no_third_country_terms() {
        // I12: with G = 2 the terms through third countries are sums over empty sets.
        let t = table(2, 3, 1.0);
        let flows = flows_of(&t);
        assert_eq!(flows.len(), 6);
        for (_, rec) in &flows {
            for k in [2, 3, 4, 6, 13, 14, 15] {
                assert_eq!(rec.values.terms[k], 0.0, "{}", TERM_NAMES[k]);
            }
            let sum: f64 = rec.values.terms.iter().sum();
            assert!((sum - rec.values.exports).abs() < 1e-12 * rec.values.exports);
        }
    }

    #[test]
    fn without_foreign_inputs_all_exports_are_final_domestic_value_added() {
        // I21: A^F = 0 ⇒ E^{sr} = Y^{sr} and all of it is DVA_FIN (V^s B^{ss} = 1).
        let t = table(3, 2, 0.0);
        for (_, rec) in flows_of(&t) {
            let v = rec.values;
            assert!(v.exports > 0.0 && v.intermediate_exports == 0.0);
            assert!((v.terms[0] - v.exports).abs() < 1e-12 * v.exports);
            for (term, name) in v.terms.iter().zip(TERM_NAMES).skip(1) {
                assert!(term.abs() < 1e-12 * v.exports, "{name}");
            }
        }
    }

    #[test]
    fn every_level_aggregates_the_same_flows() {
        let t = table(3, 2, 1.0);
        let l = Leontief::new(&t).unwrap();
        let ctx = Context::new(&t, &l, 1e-9);
        let mut by_level = Vec::new();
        for level in [
            WwzLevel::Country,
            WwzLevel::Bilateral,
            WwzLevel::Sector,
            WwzLevel::BilateralSector,
        ] {
            let mut totals = vec![WwzValues::default(); 3];
            let mut count = 0;
            let summary = stream(&ctx, level, |b: ExporterBlock| {
                assert_eq!(b.level, level);
                for r in &b.records {
                    totals[b.exporter].add(&r.values);
                    assert_eq!(
                        r.sector.is_some(),
                        matches!(level, WwzLevel::Sector | WwzLevel::BilateralSector)
                    );
                    assert_eq!(
                        r.importer.is_some(),
                        matches!(level, WwzLevel::Bilateral | WwzLevel::BilateralSector)
                    );
                    assert_ne!(r.importer, Some(b.exporter));
                }
                count += b.records.len();
                Ok::<(), DecomposeError>(())
            })
            .unwrap();
            let expected_count = match level {
                WwzLevel::Country => 3,
                WwzLevel::Bilateral => 6,
                WwzLevel::Sector => 6,
                WwzLevel::BilateralSector => 12,
            };
            assert_eq!(count, expected_count, "{level}");
            let ids: Vec<&str> = summary.identities.iter().map(|r| r.id.as_str()).collect();
            assert_eq!(ids, ["I9", "I10", "I11"]);
            for r in &summary.identities {
                assert!(r.residual < 1e-12, "{} {}", r.id, r.residual);
            }
            by_level.push(totals);
        }
        for totals in &by_level[1..] {
            for (a, b) in totals.iter().zip(&by_level[0]) {
                for (x, y) in a.measures().iter().zip(b.measures()) {
                    assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0));
                }
            }
        }
    }

    #[test]
    fn measure_names_follow_the_term_group_and_mapping_lists() {
        assert_eq!(MEASURE_NAMES.len(), MEASURE_COUNT);
        let mut expected: Vec<String> = TERM_NAMES.iter().map(|n| format!("wwz.{n}")).collect();
        for n in ["E", "E_FIN", "E_INT", "DViX_Fsr"] {
            expected.push(format!("wwz.{n}"));
        }
        expected.extend(GROUPS.iter().map(|(n, _)| format!("wwz.{n}")));
        expected.extend(KWW_MAPPING.iter().map(|(n, _)| format!("wwz.kww_{n}")));
        assert_eq!(
            MEASURE_NAMES,
            expected.iter().map(String::as_str).collect::<Vec<_>>()
        );
        // decompr's term columns are a permutation of the paper terms.
        let mut order = DECOMPR_TERM_ORDER.to_vec();
        order.sort_unstable();
        assert_eq!(order, (0..16).collect::<Vec<_>>());
    }

    #[test]
    fn decompr_layout_has_zero_domestic_rows_and_exact_differences() {
        let t = table(3, 2, 1.0);
        let l = Leontief::new(&t).unwrap();
        let ctx = Context::new(&t, &l, 1e-9);
        let (rows, _) = decompr_layout(&ctx).unwrap();
        assert_eq!(rows.len(), 3 * 2 * 3);
        assert_eq!(
            (
                rows[0].exporting_country.as_str(),
                rows[0].exporting_industry.as_str(),
                rows[0].importing_country.as_str()
            ),
            ("C0", "s0", "C0")
        );
        assert_eq!(rows[1].importing_country, "C1");
        assert_eq!(rows[3].exporting_industry, "s1");
        for row in &rows {
            if row.exporting_country == row.importing_country {
                assert!(row.values.iter().all(|v| *v == 0.0));
            } else {
                assert!(row.values[16] > 0.0);
                assert!(row.values[19..25]
                    .iter()
                    .all(|v| *v == 0.0 && v.is_sign_positive()));
            }
        }
        assert_eq!(percent(0.0, 0.0), 0.0);
        assert_eq!(round4(-1e-15), 0.0);
        assert_eq!(round4(0.123456), 0.1235);
    }

    #[test]
    fn violated_identity_names_the_flow() {
        let t = table(3, 2, 1.0);
        let wrong = Leontief::new(&table(3, 2, 2.0)).unwrap();
        let err = wwz_stream(&t, &wrong, &WwzOptions::default(), |_b: ExporterBlock| {
            Ok::<(), DecomposeError>(())
        })
        .unwrap_err();
        match err {
            DecomposeError::Identity(e) => {
                assert!(e.id == "I9" || e.id == "I10", "{}", e.id);
                assert!(
                    e.at.contains("exporter C0") && e.at.contains("importer"),
                    "{}",
                    e.at
                );
            }
            other => panic!("expected identity error, got {other:?}"),
        }
    }

    #[test]
    fn sink_errors_stop_the_stream() {
        #[derive(Debug)]
        enum SinkError {
            Full,
            Wwz,
        }
        impl From<DecomposeError> for SinkError {
            fn from(_: DecomposeError) -> Self {
                SinkError::Wwz
            }
        }
        let t = table(3, 2, 1.0);
        let l = Leontief::new(&t).unwrap();
        let mut seen = 0;
        let err = wwz_stream(&t, &l, &WwzOptions::default(), |_b: ExporterBlock| {
            seen += 1;
            if seen == 2 {
                Err(SinkError::Full)
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert!(matches!(err, SinkError::Full));
        assert_eq!(seen, 2);
        let other = table(2, 2, 1.0);
        let err = wwz_stream(&other, &l, &WwzOptions::default(), |_b: ExporterBlock| {
            Ok::<(), SinkError>(())
        })
        .unwrap_err();
        assert!(matches!(err, SinkError::Wwz));
    }
}
