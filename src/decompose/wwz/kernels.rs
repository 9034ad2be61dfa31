//! The right-hand sides f^r of the WWZ intermediate terms (reference §4), built once per
//! table as n×G column-major matrices (column = exporter s) from blockwise products of B
//! with Y: one product of B with an n×2G matrix dominates, O(n²G).

use ndarray::{Array1, Array2, ArrayRef2};

use crate::decompose::context::{partner_sums, Context};
use crate::iot::dense::{self, matmul};

/// Number of (A^{sr} f^r) kernels per flow: f for terms 2–9, x (term 10), L^{rr}Y^{rr}
/// (terms 12, 15), L^{rr}E^{r*} (terms 13, 16).
pub(super) const KERNELS: usize = 11;

/// The right-hand sides f^r of the intermediate terms for every exporter, n×G with
/// column = exporter s (reference §4; B^{rt} below are blocks of B, W[k, s] =
/// Σ_{u ∉ {country(k), s}} Y[k, u] is k's final exports to countries other than s).
pub(super) struct Kernels {
    /// (B^{rr} Y^{rc})_j for every destination c: term 2 (c = r) and term 6 (c = s).
    own_y: Array2<f64>,
    /// (B^{rr} W^r[:, s])_j = B^{rr} Σ_{t ∉ {s, r}} Y^{rt}: term 4.
    own_w: Array2<f64>,
    /// Σ_{t ∉ {s, r}} (B^{rt} Y^{ts})_j: term 7.
    third_y: Array2<f64>,
    /// Σ_{t ∉ {s, r}} (B^{rt} W^t[:, s])_j = Σ_{t ∉ {s,r}} B^{rt} Σ_{u ∉ {s,t}} Y^{tu}: term 5.
    third_w: Array2<f64>,
    /// (B^{rt} Y^{tt})_j at column t: term 8 (t = s), term 3 (summed over t ∉ {s, r}).
    cross_ydom: Array2<f64>,
    /// (B^{rs} Σ_{t ≠ s} Y^{st})_j at column s: term 9.
    cross_yfx: Array2<f64>,
    /// L E (local inverse times total exports E^{r*}): terms 13 and 16.
    le: Array1<f64>,
    /// Position of every entry within its sector group list of its country.
    pub(super) local_group: Vec<usize>,
    /// Sector groups of every country, in order of first appearance.
    pub(super) groups_of: Vec<Vec<usize>>,
}

impl Kernels {
    pub(super) fn new(ctx: &Context<'_>) -> Self {
        let (n, g, of) = (ctx.n, ctx.g, ctx.of);
        let lt = ctx.leontief;
        let b = &lt.b;
        let y = &ctx.y;
        let w = dense::from_fn(n, g, |(k, s)| {
            let c = of[k];
            if s == c {
                0.0
            } else {
                (0..g)
                    .filter(|&u| u != c && u != s)
                    .map(|u| y[[k, u]])
                    .sum()
            }
        });
        let yfx: Array1<f64> = (0..n)
            .map(|k| (0..g).filter(|&u| u != of[k]).map(|u| y[[k, u]]).sum())
            .collect();
        let (own_y, own_w) = own_block_products(ctx, y, &w);
        let (third_y, third_w) = third_country_products(ctx, y, &w);
        let mut groups_of = vec![Vec::new(); g];
        for (k, &c) in ctx.sectors.country.iter().enumerate() {
            groups_of[c].push(k);
        }
        let local_group = (0..n)
            .map(|i| {
                let k = ctx.sectors.of_row[i];
                groups_of[of[i]].iter().position(|&q| q == k).unwrap_or(0)
            })
            .collect();
        Kernels {
            own_y,
            own_w,
            third_y,
            third_w,
            cross_ydom: partner_sums(b, &ctx.ydom, of, g),
            cross_yfx: partner_sums(b, &yfx, of, g),
            le: lt.local_apply(&ctx.e),
            local_group,
            groups_of,
        }
    }

    /// The 11 right-hand sides at row j (country r ≠ s) for exporter s.
    pub(super) fn at(&self, ctx: &Context<'_>, j: usize, r: usize, s: usize) -> [f64; KERNELS] {
        let third_ydom: f64 = (0..ctx.g)
            .filter(|&t| t != r && t != s)
            .map(|t| self.cross_ydom[[j, t]])
            .sum();
        [
            self.own_y[[j, r]],
            third_ydom,
            self.own_w[[j, s]],
            self.third_w[[j, s]],
            self.own_y[[j, s]],
            self.third_y[[j, s]],
            self.cross_ydom[[j, s]],
            self.cross_yfx[[j, s]],
            ctx.leontief.x[j],
            ctx.ly_dom[j],
            self.le[j],
        ]
    }
}

/// Rows of `m` listed in `rows`, all columns.
fn gather_rows(m: &ArrayRef2<f64>, rows: &[usize]) -> Array2<f64> {
    dense::from_fn(rows.len(), m.ncols(), |(ii, c)| m[[rows[ii], c]])
}

/// (B^{rr} Y^{r·}, B^{rr} W^{r·}) for every country r: the diagonal-block products, one
/// N×N by N×2G product per country.
fn own_block_products(
    ctx: &Context<'_>,
    y: &Array2<f64>,
    w: &Array2<f64>,
) -> (Array2<f64>, Array2<f64>) {
    let (n, g) = (ctx.n, ctx.g);
    let b = &ctx.leontief.b;
    let mut own_y = dense::zeros(n, g);
    let mut own_w = dense::zeros(n, g);
    for rows in &ctx.leontief.blocks.rows {
        let brr = dense::from_fn(rows.len(), rows.len(), |(ii, jj)| b[[rows[ii], rows[jj]]]);
        let rhs = dense::from_fn(rows.len(), 2 * g, |(ii, c)| {
            if c < g {
                y[[rows[ii], c]]
            } else {
                w[[rows[ii], c - g]]
            }
        });
        let prod = matmul(&brr, &rhs);
        for (ii, &j) in rows.iter().enumerate() {
            for c in 0..g {
                own_y[[j, c]] = prod[[ii, c]];
                own_w[[j, c]] = prod[[ii, g + c]];
            }
        }
    }
    (own_y, own_w)
}

/// Σ_{t ∉ {s, r}} B^{rt} M^t[:, s] for M = Y and M = W, every row j (country r) and column s,
/// without cancellation: the right-hand side has column s's own rows zeroed once, and for
/// each r its r rows zeroed while B's r rows multiply it (B[r, ·] is N×n, so the G products
/// cost one n×n by n×2G product in total).
fn third_country_products(
    ctx: &Context<'_>,
    y: &Array2<f64>,
    w: &Array2<f64>,
) -> (Array2<f64>, Array2<f64>) {
    let (n, g, of) = (ctx.n, ctx.g, ctx.of);
    let b = &ctx.leontief.b;
    let mut rhs = dense::from_fn(n, 2 * g, |(k, c)| {
        let s = c % g;
        if of[k] == s {
            0.0
        } else if c < g {
            y[[k, s]]
        } else {
            w[[k, s]]
        }
    });
    let mut third_y = dense::zeros(n, g);
    let mut third_w = dense::zeros(n, g);
    for rows in &ctx.leontief.blocks.rows {
        if rows.is_empty() {
            continue;
        }
        let saved = gather_rows(&rhs, rows);
        for &k in rows {
            for c in 0..2 * g {
                rhs[[k, c]] = 0.0;
            }
        }
        let br = gather_rows(b, rows);
        let prod = matmul(&br, &rhs);
        for (ii, &j) in rows.iter().enumerate() {
            for c in 0..g {
                third_y[[j, c]] = prod[[ii, c]];
                third_w[[j, c]] = prod[[ii, g + c]];
            }
            for c in 0..2 * g {
                rhs[[j, c]] = saved[[ii, c]];
            }
        }
    }
    (third_y, third_w)
}
