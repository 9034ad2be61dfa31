//! Quantities shared by the decomposition families, computed once per table with O(n²)
//! passes (reference §0): Y by destination, bilateral exports E^{sr}, the value-added
//! multipliers V^s B^{s·} per country, v L, and the partner-sum kernels that turn a
//! vector into the n×G matrix of (M^{s r} f^r)_i products. Matrices are column-major
//! `ndarray` arrays (see [`crate::iot::dense`]).

use ndarray::{Array1, Array2, ArrayRef1, ArrayRef2};

use crate::decompose::MeasureRow;
use crate::iot::dense;
use crate::iot::{IoTable, Leontief};

/// Shared precomputed objects of one table (all O(n²) or cheaper given B).
pub struct Context<'a> {
    pub table: &'a IoTable,
    pub leontief: &'a Leontief,
    /// Entries n and countries G.
    pub n: usize,
    pub g: usize,
    /// Country of every row.
    pub of: &'a [usize],
    /// Tolerance of identities between country (or world) aggregates: the options tolerance
    /// plus the table's rounding on country aggregates, capped
    /// ([`Leontief::aggregate_rounding_tolerance`]; 0 when x is recomputed).
    pub tol: f64,
    /// Tolerance of identities checked on single entries, flows or country pairs: the options
    /// tolerance plus the per-entry rounding, capped ([`Leontief::entry_rounding_tolerance`]).
    pub tol_entry: f64,
    /// Absolute floor of identity residuals ([`Leontief::identity_floor`]: 1e-12 × max x,
    /// or the table's largest imbalance when x is read).
    pub floor: f64,
    /// Final demand by destination country, n×G.
    pub y: Array2<f64>,
    /// Total final demand of each row, Y·1.
    pub ytot: Array1<f64>,
    /// Domestic final demand of each row, Y[i, country(i)].
    pub ydom: Array1<f64>,
    /// Bilateral gross exports E^{sr} (n×G; zero in the own-country column).
    pub esr: Array2<f64>,
    /// Total gross exports E^{s*} (n).
    pub e: Array1<f64>,
    /// w = vᵀB (column sums of V̂B; 1 where x > 0).
    pub w: Array1<f64>,
    /// U[s, j] = Σ_{i ∈ s} v_i B_ij = (V^s B^{s·})_j, G×n.
    pub u: Array2<f64>,
    /// Domestic part of w: d_j = U[country(j), j] = (V^s B^{ss})_j.
    pub d: Array1<f64>,
    /// vᵀL with the local inverses: (V^s L^{ss})_j.
    pub vl: Array1<f64>,
    /// L y_D: local inverse times domestic final demand, (L^{rr} Y^{rr}) stacked.
    pub ly_dom: Array1<f64>,
    /// (country, sector) groups for the sector level.
    pub sectors: SectorGroups,
}

impl<'a> Context<'a> {
    /// Builds the shared objects (reference §0).
    pub fn new(table: &'a IoTable, leontief: &'a Leontief, tolerance: f64) -> Self {
        let n = table.n();
        let g = table.g();
        let of = table.row_country.as_slice();
        let y = table.y_by_country();
        let ytot: Array1<f64> = (0..n).map(|i| (0..g).map(|c| y[[i, c]]).sum()).collect();
        let ydom: Array1<f64> = (0..n).map(|i| y[[i, of[i]]]).collect();
        let ones = Array1::from_elem(n, 1.0);
        let mut esr = partner_sums(&table.z, &ones, of, g);
        for i in 0..n {
            for c in 0..g {
                esr[[i, c]] = if c == of[i] {
                    0.0
                } else {
                    esr[[i, c]] + y[[i, c]]
                };
            }
        }
        let e: Array1<f64> = (0..n).map(|i| (0..g).map(|c| esr[[i, c]]).sum()).collect();
        let u = country_multipliers(leontief, of, g);
        let w: Array1<f64> = (0..n).map(|j| (0..g).map(|s| u[[s, j]]).sum()).collect();
        let d: Array1<f64> = (0..n).map(|j| u[[of[j], j]]).collect();
        let vl = leontief.local_apply_left(&leontief.v);
        let ly_dom = leontief.local_apply(&ydom);
        Context {
            table,
            leontief,
            n,
            g,
            of,
            tol: tolerance + leontief.aggregate_rounding_tolerance(),
            tol_entry: tolerance + leontief.entry_rounding_tolerance(),
            floor: leontief.identity_floor(),
            y,
            ytot,
            ydom,
            esr,
            e,
            w,
            u,
            d,
            vl,
            ly_dom,
            sectors: SectorGroups::new(table),
        }
    }

    /// Country code of index `s`.
    pub fn country(&self, s: usize) -> &str {
        &self.table.countries[s]
    }

    /// Sums an n-vector by country (length G).
    pub fn by_country(&self, f: &ArrayRef1<f64>) -> Array1<f64> {
        self.leontief.blocks.country_sums(f)
    }

    /// Row sums of an n×G partner matrix over the foreign partners r ≠ country(i).
    pub fn foreign_row_sums(&self, m: &ArrayRef2<f64>) -> Array1<f64> {
        (0..self.n)
            .map(|i| {
                (0..self.g)
                    .filter(|&r| r != self.of[i])
                    .map(|r| m[[i, r]])
                    .sum()
            })
            .collect()
    }

    /// Sums an n×G partner matrix over each exporter's rows: G×G (exporter, partner).
    pub fn bilateral(&self, m: &ArrayRef2<f64>) -> Array2<f64> {
        let mut out = dense::zeros(self.g, self.g);
        for i in 0..self.n {
            let s = self.of[i];
            for r in 0..self.g {
                if r != s {
                    out[[s, r]] += m[[i, r]];
                }
            }
        }
        out
    }

    /// Appends one row per country.
    pub fn emit_country(&self, rows: &mut Vec<MeasureRow>, measure: &str, values: &ArrayRef1<f64>) {
        for (s, &value) in values.iter().enumerate() {
            rows.push(MeasureRow {
                country: self.country(s).to_string(),
                sector: None,
                partner: None,
                measure: measure.to_string(),
                value,
            });
        }
    }

    /// Appends one row per (country, sector) group.
    pub fn emit_sector(&self, rows: &mut Vec<MeasureRow>, measure: &str, values: &ArrayRef1<f64>) {
        for (k, &value) in values.iter().enumerate() {
            rows.push(MeasureRow {
                country: self.country(self.sectors.country[k]).to_string(),
                sector: Some(self.sectors.sector[k].clone()),
                partner: None,
                measure: measure.to_string(),
                value,
            });
        }
    }

    /// Appends one row per (exporter, partner ≠ exporter).
    pub fn emit_bilateral(
        &self,
        rows: &mut Vec<MeasureRow>,
        measure: &str,
        values: &ArrayRef2<f64>,
    ) {
        for s in 0..self.g {
            for r in 0..self.g {
                if r != s {
                    rows.push(MeasureRow {
                        country: self.country(s).to_string(),
                        sector: None,
                        partner: Some(self.country(r).to_string()),
                        measure: measure.to_string(),
                        value: values[[s, r]],
                    });
                }
            }
        }
    }
}

/// U[s, j] = Σ_{i ∈ s} v_i B_ij: the value-added multiplier rows V^s B^{s·} of every country
/// (reference §3), one pass over B.
pub fn country_multipliers(leontief: &Leontief, of: &[usize], g: usize) -> Array2<f64> {
    let n = of.len();
    let b = dense::column_major(&leontief.b);
    let v = &leontief.v;
    let mut u = dense::zeros(g, n);
    for j in 0..n {
        let col = dense::column(&b, j);
        for i in 0..n {
            u[[of[i], j]] += v[i] * col[i];
        }
    }
    u
}

/// out[i, r] = Σ_{j ∈ r} M_ij f_j: M times f split by the country of the column, n×G.
/// With M = A this gives (A^{sr} f^r)_i for every row i of s and every partner r.
pub fn partner_sums(m: &ArrayRef2<f64>, f: &ArrayRef1<f64>, of: &[usize], g: usize) -> Array2<f64> {
    let n = m.nrows();
    let m = dense::column_major(m);
    let mut out = dense::zeros(n, g);
    for j in 0..m.ncols() {
        let fj = f[j];
        if fj == 0.0 {
            continue;
        }
        let r = of[j];
        let col = dense::column(&m, j);
        let dst = dense::column_mut(&mut out, r);
        for i in 0..n {
            dst[i] += col[i] * fj;
        }
    }
    out
}

/// out[i, r] = Σ_{j ∈ r} M_ij F[j, country(i)]: like [`partner_sums`] with a right-hand side
/// that depends on the exporter s = country(i) (e.g. L^{rr} Y^{rs}).
pub fn partner_sums_own(
    m: &ArrayRef2<f64>,
    f: &ArrayRef2<f64>,
    of: &[usize],
    g: usize,
) -> Array2<f64> {
    let n = m.nrows();
    let m = dense::column_major(m);
    let mut out = dense::zeros(n, g);
    let mut frow = vec![0.0; g];
    for j in 0..m.ncols() {
        for (c, fr) in frow.iter_mut().enumerate() {
            *fr = f[[j, c]];
        }
        let r = of[j];
        let col = dense::column(&m, j);
        let dst = dense::column_mut(&mut out, r);
        for i in 0..n {
            dst[i] += col[i] * frow[of[i]];
        }
    }
    out
}

/// Entries grouped by (country, sector code): the rows of the sector level. Split blocks
/// of one country (ICIO CN1_x, CN2_x) fall into one group.
#[derive(Debug, Clone, PartialEq)]
pub struct SectorGroups {
    /// Group of every entry.
    pub of_row: Vec<usize>,
    /// Country of every group.
    pub country: Vec<usize>,
    /// Sector code of every group.
    pub sector: Vec<String>,
}

impl SectorGroups {
    /// Groups in order of first appearance.
    pub fn new(table: &IoTable) -> Self {
        let mut index = std::collections::HashMap::new();
        let mut of_row = Vec::with_capacity(table.n());
        let mut country = Vec::new();
        let mut sector = Vec::new();
        for (i, label) in table.labels.iter().enumerate() {
            let key = (table.row_country[i], label.sector.clone());
            let k = *index.entry(key).or_insert_with(|| {
                country.push(table.row_country[i]);
                sector.push(label.sector.clone());
                country.len() - 1
            });
            of_row.push(k);
        }
        SectorGroups {
            of_row,
            country,
            sector,
        }
    }

    /// Sums an n-vector by group.
    pub fn sums(&self, f: &ArrayRef1<f64>) -> Array1<f64> {
        let mut out = Array1::zeros(self.country.len());
        for (i, &k) in self.of_row.iter().enumerate() {
            out[k] += f[i];
        }
        out
    }
}

/// a / b, NaN when b = 0 (reference §9 pitfall 3: ratios with a zero denominator are missing).
pub fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        f64::NAN
    } else {
        a / b
    }
}

/// Element-wise ratio of two vectors ([`ratio`]).
pub fn ratios(a: &ArrayRef1<f64>, b: &ArrayRef1<f64>) -> Array1<f64> {
    a.iter().zip(b).map(|(x, y)| ratio(*x, *y)).collect()
}

/// Element-wise a ∘ b.
pub fn hadamard(a: &ArrayRef1<f64>, b: &ArrayRef1<f64>) -> Array1<f64> {
    a * b
}

/// Element-wise a + b.
pub fn add(a: &ArrayRef1<f64>, b: &ArrayRef1<f64>) -> Array1<f64> {
    a + b
}

/// Element-wise a − b.
pub fn sub(a: &ArrayRef1<f64>, b: &ArrayRef1<f64>) -> Array1<f64> {
    a - b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_sums_split_by_column_country() {
        // Row-major input (`from_shape_fn` without `.f()`): taken column-major once.
        let m = Array2::from_shape_fn((3, 3), |(i, j)| (1 + i * 3 + j) as f64);
        let of = [0, 1, 0];
        let f = ndarray::array![1.0, 2.0, 3.0];
        let out = partner_sums(&m, &f, &of, 2);
        // row 0: cols 0,2 -> 1*1 + 3*3 = 10; col 1 -> 2*2 = 4
        assert_eq!(out[[0, 0]], 10.0);
        assert_eq!(out[[0, 1]], 4.0);
        let fm = dense::from_fn(3, 2, |(j, c)| (j + 10 * c) as f64);
        let own = partner_sums_own(&m, &fm, &of, 2);
        // row 1 (country 1): F[j, 1] = j + 10; cols 0,2 -> 4*10 + 6*12 = 112
        assert_eq!(own[[1, 0]], 112.0);
        // row 0 (country 0): F[j, 0] = j; col 1 -> 2*1 = 2
        assert_eq!(own[[0, 1]], 2.0);
    }

    #[test]
    fn ratio_of_zero_denominator_is_nan() {
        assert!(ratio(1.0, 0.0).is_nan());
        assert_eq!(ratio(1.0, 4.0), 0.25);
    }
}
