//! One exporter's WWZ flows (s, i, r ≠ s): the 16 terms of reference §4 from the
//! [`Kernels`], the flow identities I9 and I10, and aggregation to a [`WwzLevel`].

use super::kernels::{Kernels, KERNELS};
use super::{WwzLevel, WwzRecord, WwzValues};
use crate::decompose::context::Context;
use crate::decompose::DecomposeError;
use crate::iot::dense;
use crate::iot::identities::Worst;

/// One flow (s, entry i, r) before aggregation.
pub(super) struct Flow {
    entry: usize,
    importer: usize,
    pub(super) values: WwzValues,
}

/// The N_s·(G−1) flows of exporter s (reference §4 formulas 1–16), entries in row order,
/// importers ascending.
pub(super) fn exporter_flows(ctx: &Context<'_>, k: &Kernels, s: usize) -> Vec<Flow> {
    let (g, of) = (ctx.g, ctx.of);
    let lt = ctx.leontief;
    let rows_s = &lt.blocks.rows[s];
    let a = dense::column_major(&lt.a);
    let z = dense::column_major(&ctx.table.z);
    let ns = rows_s.len();
    // acc[(ii·G + r)·K + q] = (A^{sr} f_q^r)_i; eint[ii·G + r] = (Z^{sr} 1)_i.
    let mut acc = vec![0.0; ns * g * KERNELS];
    let mut eint = vec![0.0; ns * g];
    for (j, &r) in of.iter().enumerate() {
        if r == s {
            continue;
        }
        let f = k.at(ctx, j, r, s);
        let a_col = dense::column(&a, j);
        let z_col = dense::column(&z, j);
        for (ii, &i) in rows_s.iter().enumerate() {
            eint[ii * g + r] += z_col[i];
            let aij = a_col[i];
            if aij == 0.0 {
                continue;
            }
            let slot = &mut acc[(ii * g + r) * KERNELS..(ii * g + r + 1) * KERNELS];
            for (a, fq) in slot.iter_mut().zip(&f) {
                *a += aij * fq;
            }
        }
    }
    let local = &lt.local[s];
    let mut flows = Vec::with_capacity(ns * g.saturating_sub(1));
    for (ii, &i) in rows_s.iter().enumerate() {
        for r in (0..g).filter(|&r| r != s) {
            let yf = ctx.y[[i, r]];
            let a = &acc[(ii * g + r) * KERNELS..(ii * g + r + 1) * KERNELS];
            let (d, vl) = (ctx.d[i], ctx.vl[i]);
            let m = ctx.u[[r, i]];
            let o: f64 = (0..g)
                .filter(|&t| t != s && t != r)
                .map(|t| ctx.u[[t, i]])
                .sum();
            let terms = [
                d * yf,
                vl * a[0],
                vl * a[1],
                vl * a[2],
                vl * a[3],
                vl * a[4],
                vl * a[5],
                vl * a[6],
                vl * a[7],
                (d - vl) * a[8],
                m * yf,
                m * a[9],
                m * a[10],
                o * yf,
                o * a[9],
                o * a[10],
            ];
            let ei = eint[ii * g + r];
            let l_e: f64 = rows_s
                .iter()
                .enumerate()
                .map(|(jj, &j)| local[[ii, jj]] * (eint[jj * g + r] + ctx.y[[j, r]]))
                .sum();
            flows.push(Flow {
                entry: i,
                importer: r,
                values: WwzValues {
                    terms,
                    exports: ei + yf,
                    final_exports: yf,
                    intermediate_exports: ei,
                    dvix_fsr: lt.v[i] * l_e,
                },
            });
        }
    }
    flows
}

/// Identity trackers of the flow level.
pub(super) struct FlowChecks {
    pub(super) i9: Worst,
    pub(super) i10: Worst,
}

impl FlowChecks {
    pub(super) fn new(tol: f64) -> Self {
        FlowChecks {
            i9: Worst::new("I9", "Σ of the 16 WWZ terms = E^{sr}_i", tol),
            i10: Worst::new(
                "I10",
                "WWZ terms 1 + 11 + 14 = Y^{sr}_i; the other 13 = (Z^{sr} 1)_i",
                tol,
            ),
        }
    }

    /// Observes I9 and I10 on every flow of one exporter; fails on the first exporter whose
    /// flows break them, naming the worst flow (exporter, sector, importer).
    pub(super) fn check(
        &mut self,
        ctx: &Context<'_>,
        s: usize,
        flows: &[Flow],
    ) -> Result<(), DecomposeError> {
        for f in flows {
            let t = &f.values.terms;
            let total: f64 = t.iter().sum();
            let fin = t[0] + t[10] + t[13];
            let at = || {
                format!(
                    "flow exporter {}, sector {} ({}), importer {}",
                    ctx.country(s),
                    ctx.table.labels[f.entry].sector,
                    ctx.table.labels[f.entry],
                    ctx.country(f.importer)
                )
            };
            self.i9.observe(total, f.values.exports, ctx.floor, at);
            self.i10.observe(fin, f.values.final_exports, ctx.floor, at);
            self.i10
                .observe(total - fin, f.values.intermediate_exports, ctx.floor, at);
        }
        self.i9.clone().finish()?;
        self.i10.clone().finish()?;
        Ok(())
    }
}

/// Aggregates one exporter's flows to `level` (records ordered by sector group, importer).
pub(super) fn aggregate(
    ctx: &Context<'_>,
    k: &Kernels,
    s: usize,
    level: WwzLevel,
    flows: Vec<Flow>,
) -> Vec<WwzRecord> {
    let g = ctx.g;
    let groups = &k.groups_of[s];
    let partner_slot = |r: usize| if r < s { r } else { r - 1 };
    let partners = g.saturating_sub(1);
    let mut records: Vec<WwzRecord> = match level {
        WwzLevel::Country => vec![(None, None)],
        WwzLevel::Bilateral => (0..g)
            .filter(|&r| r != s)
            .map(|r| (None, Some(r)))
            .collect(),
        WwzLevel::Sector => groups.iter().map(|&q| (Some(q), None)).collect(),
        WwzLevel::BilateralSector => groups
            .iter()
            .flat_map(|&q| {
                (0..g)
                    .filter(move |&r| r != s)
                    .map(move |r| (Some(q), Some(r)))
            })
            .collect(),
    }
    .into_iter()
    .map(|(sector, importer)| WwzRecord {
        sector,
        importer,
        values: WwzValues::default(),
    })
    .collect();
    for f in &flows {
        let idx = match level {
            WwzLevel::Country => 0,
            WwzLevel::Bilateral => partner_slot(f.importer),
            WwzLevel::Sector => k.local_group[f.entry],
            WwzLevel::BilateralSector => {
                k.local_group[f.entry] * partners + partner_slot(f.importer)
            }
        };
        records[idx].values.add(&f.values);
    }
    records
}
