//! decompr's `wwz()` output layout (bquast/decompr R/wwz.R, reference §4): 29 columns,
//! G·N·G rows per table including the all-zero domestic rows, streamed one exporter at a
//! time so a CLI can write a drop-in replacement of decompr output.

use super::{stream, ExporterBlock, WwzLevel, WwzSummary, WwzValues};
use crate::decompose::context::Context;
use crate::decompose::DecomposeError;

/// decompr's column order of the 16 terms as 0-based paper terms: paper terms
/// 1, 2, 3, 4, 5, 8, 6, 7, 14, 11, 15, 12, 9, 10, 16, 13 (bquast/decompr R/wwz.R).
pub const DECOMPR_TERM_ORDER: [usize; 16] = [0, 1, 2, 3, 4, 7, 5, 6, 13, 10, 14, 11, 8, 9, 15, 12];

/// The 29 columns of decompr `wwz()` (bquast/decompr R/wwz.R, decompr ≥ 3.0; reference §4).
pub const DECOMPR_COLUMNS: [&str; 29] = [
    "Exporting_Country",
    "Exporting_Industry",
    "Importing_Country",
    "DVA_FIN",
    "DVA_INT",
    "DVA_INTrexI1",
    "DVA_INTrexF",
    "DVA_INTrexI2",
    "RDV_INT",
    "RDV_FIN",
    "RDV_FIN2",
    "OVA_FIN",
    "MVA_FIN",
    "OVA_INT",
    "MVA_INT",
    "DDC_FIN",
    "DDC_INT",
    "ODC",
    "MDC",
    "texp",
    "texpint",
    "texpfd",
    "texpdiff",
    "texpdiffpercent",
    "texpfddiff",
    "texpfddiffpercent",
    "texpintdiff",
    "texpintdiffpercent",
    "DViX_Fsr",
];

/// One row of decompr's `wwz()` output ([`DECOMPR_COLUMNS`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DecomprRow {
    /// Exporter's country code.
    pub exporting_country: String,
    /// Exporting sector code.
    pub exporting_industry: String,
    /// Importer's country code (equal to the exporter's on the all-zero domestic rows).
    pub importing_country: String,
    /// Columns 4–29 of [`DECOMPR_COLUMNS`]: the 16 terms in decompr order, texp, texpint,
    /// texpfd, the six difference columns, DViX_Fsr.
    pub values: [f64; 26],
}

/// R's `round(x, 4)` for the difference columns (ties are immaterial there); −0 prints as 0.
pub(super) fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4 + 0.0
}

/// decompr's percentage: 100·diff/total, with NaN (0/0) set to 0 as decompr does.
pub(super) fn percent(diff: f64, total: f64) -> f64 {
    let p = diff / total * 100.0;
    if p.is_nan() {
        0.0
    } else {
        round4(p)
    }
}

/// The 26 numeric decompr columns of one flow (bquast/decompr R/wwz.R): texpdiff =
/// Σ16 − texp, texpfddiff = DVA_FIN + OVA_FIN + MVA_FIN − texpfd, texpintdiff = the other
/// 13 − texpint, each rounded to 4 decimals, and their percentages of the total.
pub fn decompr_values(v: &WwzValues) -> [f64; 26] {
    let mut out = [0.0; 26];
    for (c, &p) in DECOMPR_TERM_ORDER.iter().enumerate() {
        out[c] = v.terms[p];
    }
    let total: f64 = v.terms.iter().sum();
    let fin = v.terms[0] + v.terms[13] + v.terms[10];
    let int = total - fin;
    let (d_all, d_fin, d_int) = (
        total - v.exports,
        fin - v.final_exports,
        int - v.intermediate_exports,
    );
    out[16] = v.exports;
    out[17] = v.intermediate_exports;
    out[18] = v.final_exports;
    out[19] = round4(d_all);
    out[20] = percent(d_all, v.exports);
    out[21] = round4(d_fin);
    out[22] = percent(d_fin, v.final_exports);
    out[23] = round4(d_int);
    out[24] = percent(d_int, v.intermediate_exports);
    out[25] = v.dvix_fsr;
    out
}

/// decompr rows of one bilateral-sector block: for every sector of the exporter, one row
/// per importing country including the all-zero domestic row (decompr order: exporting
/// country, exporting industry, importing country fastest).
fn decompr_block(ctx: &Context<'_>, block: &ExporterBlock) -> Vec<DecomprRow> {
    let s = block.exporter;
    let mut out = Vec::new();
    let mut records = block.records.iter().peekable();
    while let Some(first) = records.peek() {
        let sector = first.sector;
        let industry = sector
            .map(|q| ctx.sectors.sector[q].clone())
            .unwrap_or_default();
        let mut by_importer = vec![WwzValues::default(); ctx.g];
        while let Some(rec) = records.next_if(|r| r.sector == sector) {
            if let Some(r) = rec.importer {
                by_importer[r] = rec.values;
            }
        }
        for (r, values) in by_importer.iter().enumerate() {
            out.push(DecomprRow {
                exporting_country: ctx.country(s).to_string(),
                exporting_industry: industry.clone(),
                importing_country: ctx.country(r).to_string(),
                values: if r == s {
                    [0.0; 26]
                } else {
                    decompr_values(values)
                },
            });
        }
    }
    out
}

/// Streams decompr's `wwz()` layout (G·N·G rows over all blocks, [`DECOMPR_COLUMNS`]) one
/// exporter at a time, so a CLI can write a drop-in replacement of decompr output for an
/// existing R pipeline. Split country blocks (ICIO CN1/CN2) appear as one industry.
pub fn decompr_stream<E, F>(ctx: &Context<'_>, mut sink: F) -> Result<WwzSummary, E>
where
    E: From<DecomposeError>,
    F: FnMut(Vec<DecomprRow>) -> Result<(), E>,
{
    stream(ctx, WwzLevel::BilateralSector, |block: ExporterBlock| {
        sink(decompr_block(ctx, &block))
    })
}

/// All decompr rows at once (small tables; use [`decompr_stream`] for large ones).
pub fn decompr_layout(ctx: &Context<'_>) -> Result<(Vec<DecomprRow>, WwzSummary), DecomposeError> {
    let mut rows = Vec::new();
    let summary = decompr_stream(ctx, |block: Vec<DecomprRow>| {
        rows.extend(block);
        Ok::<(), DecomposeError>(())
    })?;
    Ok((rows, summary))
}
