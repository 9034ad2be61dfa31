//! The Leontief core (reference/decomposition.md §0, §1, §9): technical coefficients
//! A = Z diag(x)⁻¹, the global inverse B = (I − A)⁻¹ by partial-pivot LU, the local
//! inverses L^{ss} = (I − A^{ss})⁻¹ of every country block, and value-added coefficients
//! v = va / x. Country blocks come from `IoTable::row_country`, so they may be
//! non-contiguous (ICIO CN1/CN2 rows of CHN) or merged country groups.

use std::sync::Arc;

use ndarray::{Array1, Array2, ArrayRef1, ArrayRef2};

use crate::iot::dense::{self, matmul, matvec, vecmat};
use crate::iot::{IoTable, TableError};

/// Row indices of every country and the country of every row (reference §0: "keep an
/// explicit `country_of_row[n]` map instead of assuming contiguous equal blocks").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryBlocks {
    /// `rows[c]` = row indices of country `c`, ascending.
    pub rows: Vec<Vec<usize>>,
    /// `of_row[i]` = country index of row `i`.
    pub of_row: Vec<usize>,
}

impl CountryBlocks {
    /// The blocks of a table (from `row_country`; `g` countries).
    pub fn from_table(table: &IoTable) -> Self {
        CountryBlocks {
            rows: table.country_rows(),
            of_row: table.row_country.clone(),
        }
    }

    /// Number of countries G.
    pub fn g(&self) -> usize {
        self.rows.len()
    }

    /// Number of country-sector entries n.
    pub fn n(&self) -> usize {
        self.of_row.len()
    }

    /// The block M^{rc} = M[rows of r, rows of c] of an n×n matrix (a column-major copy: a
    /// country's rows need not be contiguous).
    pub fn block(&self, m: &ArrayRef2<f64>, r: usize, c: usize) -> Array2<f64> {
        let (ri, ci) = (&self.rows[r], &self.rows[c]);
        dense::from_fn(ri.len(), ci.len(), |(i, j)| m[[ri[i], ci[j]]])
    }

    /// `true` when rows `i` and `j` belong to the same country ("domestic" in reference §0).
    pub fn same(&self, i: usize, j: usize) -> bool {
        self.of_row[i] == self.of_row[j]
    }

    /// Sums an n-vector over each country's rows (length G).
    pub fn country_sums(&self, f: &ArrayRef1<f64>) -> Array1<f64> {
        let mut out = Array1::zeros(self.g());
        for (i, &c) in self.of_row.iter().enumerate() {
            out[c] += f[i];
        }
        out
    }
}

/// Why the Leontief core could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LeontiefError {
    #[error("the input-output table is inconsistent: {0}")]
    Table(#[from] TableError),
    #[error("I − A is singular: pivot {pivot:e} for column {label} (entry {entry}); the table has a sector whose inputs exhaust its output (check Z and x for that column, or zero-output rows with non-zero sales)")]
    Singular {
        entry: usize,
        label: String,
        pivot: f64,
    },
    #[error("A is not productive: (I − A)⁻¹ has entry {value:e} at ({row}, {col}) although A ≥ 0 (column sums of A reach 1; check value added and output of those sectors)")]
    NonProductive {
        row: String,
        col: String,
        value: f64,
    },
    #[error("the local block I − A^{{ss}} of {country} is singular (column {label}); its domestic inputs exhaust its output")]
    LocalSingular { country: String, label: String },
    #[error("the supplied Leontief inverse is {rows}×{cols} but the table has {expected} entries")]
    InverseShape {
        rows: usize,
        cols: usize,
        expected: usize,
    },
    #[error("the Leontief inverse has a non-finite entry at ({row}, {col})")]
    NotFinite { row: String, col: String },
}

/// The Leontief objects every measure needs (reference §0).
///
/// The matrices are column-major (Fortran order) `ndarray` arrays: faer factorises and
/// multiplies them through zero-copy views ([`crate::iot::dense`]), and the measures walk
/// their columns as slices ([`dense::column`]). A caller that replaces `a`, `b` or `local`
/// keeps them column-major ([`dense::column_major`]).
#[derive(Debug, Clone)]
pub struct Leontief {
    /// Technical coefficients A = Z diag(x)⁻¹, column j zero where x_j = 0.
    pub a: Array2<f64>,
    /// Global Leontief inverse B = (I − A)⁻¹, shared (the engine's cached inverse is used in
    /// place, not copied).
    pub b: Arc<Array2<f64>>,
    /// Local inverses L^{cc} = (I − A^{cc})⁻¹, one per country, rows `blocks.rows[c]`.
    pub local: Vec<Array2<f64>>,
    /// Country blocks of the rows.
    pub blocks: CountryBlocks,
    /// Gross output used for A (the table's x).
    pub x: Array1<f64>,
    /// Value added va = x − colSums(Z) (reference §9 pitfall 2).
    pub va: Array1<f64>,
    /// Value-added coefficients v = va / x, 0 where x = 0.
    pub v: Array1<f64>,
    /// Table imbalance d = x − rowSums(Z) − rowSums(Y) (zero when x is recomputed).
    pub output_gap: Array1<f64>,
    /// Largest relative effect of the imbalance on output-based identities,
    /// max_i (B|d|)_i / x_i over x_i > 0: the "table's own rounding" allowance (reference §10 I1, I4).
    pub rounding_allowance: f64,
    /// The same effect on country aggregates, max_s Σ_{i∈s} (B|d|)_i / Σ_{i∈s} x_i: the
    /// allowance of identities between country totals (KWW, KPWW, cross-family), far smaller
    /// than the per-entry one, which tiny-output entries dominate.
    pub rounding_allowance_country: f64,
}

/// The most the table's rounding may add to the tolerance of identities between country
/// aggregates (KWW I6–I8, KPWW I16, WWZ I11, BM I15, I14, I18): 10 × the propagated
/// imbalance, at most 0.1 (docs/measures.md, "Identity checks").
pub const AGGREGATE_ROUNDING_CAP: f64 = 0.1;

/// The most the table's rounding may add to the tolerance of identities on single entries,
/// flows and country pairs (WWZ I9/I10, BM I13, WWYZ I17): at most 0.5.
pub const ENTRY_ROUNDING_CAP: f64 = 0.5;

/// The absolute floor of family-identity residuals is the table's largest imbalance
/// max_i |d_i|, but at most this share of the largest output.
pub const IMBALANCE_FLOOR_CAP: f64 = 1e-4;

/// Technical coefficients A = Z diag(x)⁻¹ with A[:, j] = 0 where x_j = 0 (reference §0, §9
/// pitfall 3), column-major.
pub fn technical_coefficients(z: &ArrayRef2<f64>, x: &ArrayRef1<f64>) -> Array2<f64> {
    let mut a = dense::zeros(z.nrows(), z.ncols());
    // Column by column (contiguous for the column-major Z the readers build): A[:, j] = Z[:, j] / x_j,
    // a division per entry as before (not a multiplication by 1/x_j, which rounds differently).
    for ((mut out, zj), &xj) in a.columns_mut().into_iter().zip(z.columns()).zip(x) {
        if xj != 0.0 {
            out.zip_mut_with(&zj, |o, &v| *o = v / xj);
        }
    }
    a
}

/// B = (I − A)⁻¹ by LU with partial pivoting (faer, [`dense::inverse_of_i_minus`]), the one
/// explicit inverse of the design (DESIGN §5). `labels` name the columns in the error for a
/// zero pivot.
pub fn leontief_inverse(
    a: &ArrayRef2<f64>,
    labels: &[String],
) -> Result<Array2<f64>, LeontiefError> {
    dense::inverse_of_i_minus(a).map_err(|zero| LeontiefError::Singular {
        entry: zero.entry,
        label: labels
            .get(zero.entry)
            .cloned()
            .unwrap_or_else(|| zero.entry.to_string()),
        pivot: zero.pivot,
    })
}

/// Local inverses L^{cc} = (I − A^{cc})⁻¹ of every country block (reference §0, §9: G small
/// inversions, never the n×n block-diagonal matrix).
pub fn local_inverses(
    a: &ArrayRef2<f64>,
    blocks: &CountryBlocks,
    countries: &[String],
    labels: &[String],
) -> Result<Vec<Array2<f64>>, LeontiefError> {
    (0..blocks.g())
        .map(|c| {
            let rows = &blocks.rows[c];
            let local_a = blocks.block(a, c, c);
            let block_labels: Vec<String> = rows.iter().map(|&i| labels[i].clone()).collect();
            leontief_inverse(&local_a, &block_labels).map_err(|e| match e {
                LeontiefError::Singular { label, .. } => LeontiefError::LocalSingular {
                    country: countries.get(c).cloned().unwrap_or_else(|| c.to_string()),
                    label,
                },
                other => other,
            })
        })
        .collect()
}

impl Leontief {
    /// Builds A, B (one LU), the local inverses and v for a table (reference §0).
    pub fn new(table: &IoTable) -> Result<Self, LeontiefError> {
        table.validate()?;
        let a = technical_coefficients(&table.z, &table.x);
        let labels = entry_labels(table);
        let b = leontief_inverse(&a, &labels)?;
        Self::assemble(table, a, Arc::new(b), &labels)
    }

    /// Rebuilds the cheap parts (A, L, v) around a cached global inverse `b`, so the engine
    /// can skip the LU. The identities of reference §10 (I3) check that `b` still fits.
    /// A `b` in another layout is stored column-major (one copy).
    pub fn from_inverse(
        table: &IoTable,
        b: impl Into<Arc<Array2<f64>>>,
    ) -> Result<Self, LeontiefError> {
        table.validate()?;
        let b: Arc<Array2<f64>> = b.into();
        let n = table.n();
        if b.nrows() != n || b.ncols() != n {
            return Err(LeontiefError::InverseShape {
                rows: b.nrows(),
                cols: b.ncols(),
                expected: n,
            });
        }
        let b = if dense::is_column_major(&b) {
            b
        } else {
            Arc::new(dense::into_column_major(Arc::unwrap_or_clone(b)))
        };
        let a = technical_coefficients(&table.z, &table.x);
        let labels = entry_labels(table);
        Self::assemble(table, a, b, &labels)
    }

    fn assemble(
        table: &IoTable,
        a: Array2<f64>,
        b: Arc<Array2<f64>>,
        labels: &[String],
    ) -> Result<Self, LeontiefError> {
        check_inverse(&a, &b, labels)?;
        let blocks = CountryBlocks::from_table(table);
        let local = local_inverses(&a, &blocks, &table.countries, labels)?;
        let x = table.x.clone();
        let va = table.value_added();
        let v = value_added_coefficients(&va, &x);
        let rows_total = table.output_from_rows();
        let output_gap: Array1<f64> = x.iter().zip(&rows_total).map(|(xi, ri)| xi - ri).collect();
        let abs_gap: Array1<f64> = output_gap.iter().map(|d| d.abs()).collect();
        let propagated = matvec(&b, &abs_gap);
        let rounding_allowance = x
            .iter()
            .zip(&propagated)
            .filter(|(xi, _)| **xi > 0.0)
            .map(|(xi, p)| p / xi)
            .fold(0.0_f64, f64::max);
        let rounding_allowance_country = blocks
            .rows
            .iter()
            .map(|rows| {
                let p: f64 = rows.iter().map(|&i| propagated[i]).sum();
                let xs: f64 = rows.iter().map(|&i| x[i].max(0.0)).sum();
                if xs > 0.0 {
                    p / xs
                } else {
                    0.0
                }
            })
            .fold(0.0_f64, f64::max);
        Ok(Leontief {
            a,
            b,
            local,
            blocks,
            x,
            va,
            v,
            output_gap,
            rounding_allowance,
            rounding_allowance_country,
        })
    }

    /// Number of country-sector entries n.
    pub fn n(&self) -> usize {
        self.blocks.n()
    }

    /// What the table's rounding adds to the tolerance of identities between country
    /// aggregates: min(10 × [`Self::rounding_allowance_country`], [`AGGREGATE_ROUNDING_CAP`]).
    /// 0 for a balanced table.
    pub fn aggregate_rounding_tolerance(&self) -> f64 {
        (10.0 * self.rounding_allowance_country).min(AGGREGATE_ROUNDING_CAP)
    }

    /// What the table's rounding adds to the tolerance of identities on single entries,
    /// flows and country pairs: min(10 × [`Self::rounding_allowance`], [`ENTRY_ROUNDING_CAP`]).
    pub fn entry_rounding_tolerance(&self) -> f64 {
        (10.0 * self.rounding_allowance).min(ENTRY_ROUNDING_CAP)
    }

    /// Absolute floor of identity residuals |lhs − rhs| / max(|lhs|, |rhs|, floor):
    /// max(10⁻¹² × max x, min(max_i |d_i|, [`IMBALANCE_FLOOR_CAP`] × max x)). Differences
    /// smaller than the table's own largest imbalance d = x − rowSums(Z) − rowSums(Y) cannot
    /// be resolved; for a balanced table the floor is 10⁻¹² × max x.
    pub fn identity_floor(&self) -> f64 {
        let xmax = self.x.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let dmax = self.output_gap.iter().fold(0.0_f64, |m, d| m.max(d.abs()));
        (1e-12 * xmax.max(f64::MIN_POSITIVE)).max(dmax.min(IMBALANCE_FLOOR_CAP * xmax))
    }

    /// L f with the block-diagonal local inverse (never formed as an n×n matrix).
    pub fn local_apply(&self, f: &ArrayRef1<f64>) -> Array1<f64> {
        let mut out = Array1::zeros(self.n());
        for (c, rows) in self.blocks.rows.iter().enumerate() {
            let l = &self.local[c];
            for (jj, &j) in rows.iter().enumerate() {
                let fj = f[j];
                if fj == 0.0 {
                    continue;
                }
                for (ii, &i) in rows.iter().enumerate() {
                    out[i] += l[[ii, jj]] * fj;
                }
            }
        }
        out
    }

    /// fᵀ L (row vector times the block-diagonal local inverse), as a vector.
    pub fn local_apply_left(&self, f: &ArrayRef1<f64>) -> Array1<f64> {
        let mut out = Array1::zeros(self.n());
        for (c, rows) in self.blocks.rows.iter().enumerate() {
            let l = &self.local[c];
            for (jj, &j) in rows.iter().enumerate() {
                out[j] = rows
                    .iter()
                    .enumerate()
                    .map(|(ii, &i)| f[i] * l[[ii, jj]])
                    .sum();
            }
        }
        out
    }

    /// L M for an n×k matrix M, block by block.
    pub fn local_apply_mat(&self, m: &ArrayRef2<f64>) -> Array2<f64> {
        let mut out = dense::zeros(m.nrows(), m.ncols());
        for (c, rows) in self.blocks.rows.iter().enumerate() {
            let sub = dense::from_fn(rows.len(), m.ncols(), |(i, k)| m[[rows[i], k]]);
            let prod = matmul(&self.local[c], &sub);
            for (ii, &i) in rows.iter().enumerate() {
                for k in 0..m.ncols() {
                    out[[i, k]] = prod[[ii, k]];
                }
            }
        }
        out
    }

    /// A^F f: foreign (off-diagonal-block) coefficients times a vector (reference §0).
    pub fn foreign_apply(&self, f: &ArrayRef1<f64>) -> Array1<f64> {
        let n = self.n();
        let of = &self.blocks.of_row;
        let a = dense::column_major(&self.a);
        let mut out = Array1::zeros(n);
        for j in 0..n {
            let fj = f[j];
            if fj == 0.0 {
                continue;
            }
            let cj = of[j];
            let col = dense::column(&a, j);
            for i in 0..n {
                if of[i] != cj {
                    out[i] += col[i] * fj;
                }
            }
        }
        out
    }

    /// fᵀ A^F as a vector.
    pub fn foreign_apply_left(&self, f: &ArrayRef1<f64>) -> Array1<f64> {
        let n = self.n();
        let of = &self.blocks.of_row;
        let a = dense::column_major(&self.a);
        (0..n)
            .map(|j| {
                let cj = of[j];
                let col = dense::column(&a, j);
                (0..n).filter(|&i| of[i] != cj).map(|i| f[i] * col[i]).sum()
            })
            .collect()
    }

    /// A^F M for an n×k matrix: A M minus the domestic blocks A^{cc} M^{c·}.
    pub fn foreign_apply_mat(&self, m: &ArrayRef2<f64>) -> Array2<f64> {
        let mut out = matmul(&self.a, m);
        self.subtract_domestic_apply_mat(m, &mut out);
        out
    }

    /// out −= A^{cc} M^{c·} for every country c (turns a product A M at hand into A^F M).
    pub fn subtract_domestic_apply_mat(&self, m: &ArrayRef2<f64>, out: &mut Array2<f64>) {
        for (c, rows) in self.blocks.rows.iter().enumerate() {
            let acc = self.blocks.block(&self.a, c, c);
            let sub = dense::from_fn(rows.len(), m.ncols(), |(i, k)| m[[rows[i], k]]);
            let prod = matmul(&acc, &sub);
            for (ii, &i) in rows.iter().enumerate() {
                for k in 0..m.ncols() {
                    out[[i, k]] -= prod[[ii, k]];
                }
            }
        }
    }

    /// B f (a solve would do, but B is at hand).
    pub fn b_apply(&self, f: &ArrayRef1<f64>) -> Array1<f64> {
        matvec(&self.b, f)
    }

    /// fᵀ B as a vector.
    pub fn b_apply_left(&self, f: &ArrayRef1<f64>) -> Array1<f64> {
        vecmat(f, &self.b)
    }

    /// V̂ B M̂ for a diagonal post-multiplier m (n): element [i, j] = v_i B_ij m_j.
    /// With m = E this is decompr `leontief(post = "exports")` (reference §1); with m = x,
    /// `post = "output"`. Dense n×n: meant for small tables and inspection.
    pub fn va_times_diag(&self, m: &ArrayRef1<f64>) -> Array2<f64> {
        let n = self.n();
        dense::from_fn(n, n, |(i, j)| self.v[i] * self.b[[i, j]] * m[j])
    }

    /// V̂ B Ê: value added of origin i embodied in gross exports of j (decompr `post = "exports"`, reference §1).
    pub fn va_in_exports(&self, exports: &ArrayRef1<f64>) -> Array2<f64> {
        self.va_times_diag(exports)
    }

    /// V̂ B X̂ (decompr `post = "output"`, reference §1).
    pub fn va_in_output(&self) -> Array2<f64> {
        self.va_times_diag(&self.x)
    }

    /// V̂ B Y (n × G): value added by origin absorbed by each country's final demand
    /// (decompr `post = "final_demand"`, reference §1). `y` is the table's Y by destination.
    pub fn va_in_final_demand(&self, y: &ArrayRef2<f64>) -> Array2<f64> {
        let by = matmul(&self.b, y);
        dense::from_fn(by.nrows(), by.ncols(), |(i, c)| self.v[i] * by[[i, c]])
    }
}

/// v = va / x, 0 where x = 0 (reference §0).
pub fn value_added_coefficients(va: &ArrayRef1<f64>, x: &ArrayRef1<f64>) -> Array1<f64> {
    va.iter()
        .zip(x)
        .map(|(a, xi)| if *xi != 0.0 { a / xi } else { 0.0 })
        .collect()
}

/// Labels `BLOCK_SECTOR` of the entries of a table, for error messages.
pub fn entry_labels(table: &IoTable) -> Vec<String> {
    table.labels.iter().map(|l| l.to_string()).collect()
}

/// B must be finite; for A ≥ 0 it must also be non-negative (a productive A has B ≥ I):
/// an entry below −10⁻⁹ × max|B| is refused (the most negative one is named). One pass over
/// each matrix, column by column.
fn check_inverse(
    a: &ArrayRef2<f64>,
    b: &ArrayRef2<f64>,
    labels: &[String],
) -> Result<(), LeontiefError> {
    let label = |i: usize| labels.get(i).cloned().unwrap_or_else(|| i.to_string());
    let a = dense::column_major(a);
    let b = dense::column_major(b);
    let a_nonneg = !(0..a.ncols()).any(|j| dense::column(&a, j).iter().any(|&v| v < 0.0));
    let mut scale = 0.0_f64;
    let mut lowest = (f64::INFINITY, 0, 0);
    for j in 0..b.ncols() {
        for (i, &value) in dense::column(&b, j).iter().enumerate() {
            if !value.is_finite() {
                return Err(LeontiefError::NotFinite {
                    row: label(i),
                    col: label(j),
                });
            }
            scale = scale.max(value.abs());
            if value < lowest.0 {
                lowest = (value, i, j);
            }
        }
    }
    let (value, i, j) = lowest;
    if a_nonneg && value < -1e-9 * scale {
        return Err(LeontiefError::NonProductive {
            row: label(i),
            col: label(j),
            value,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iot::{EntryLabel, IoTable};

    fn two_by_one(z: [[f64; 2]; 2], y: [f64; 2]) -> IoTable {
        let z = dense::from_fn(2, 2, |(i, j)| z[i][j]);
        let ym = dense::from_fn(2, 2, |(i, c)| if c == 0 { y[i] } else { 0.0 });
        let mut t = IoTable {
            year: None,
            countries: vec!["AAA".into(), "BBB".into()],
            fd_categories: vec!["F".into()],
            labels: vec![EntryLabel::new("AAA", "s"), EntryLabel::new("BBB", "s")],
            row_country: vec![0, 1],
            z,
            y: ym,
            x: Array1::zeros(2),
            primary_inputs: vec![],
        };
        t.x = t.output_from_rows();
        t
    }

    #[test]
    fn inverse_of_two_sector_table_by_hand() {
        // A = [[0.2, 0.25], [0.1, 0.5]] from Z and x = (10, 20).
        let t = two_by_one([[2.0, 5.0], [1.0, 10.0]], [3.0, 9.0]);
        let l = Leontief::new(&t).unwrap();
        let det = 0.8 * 0.5 - 0.25 * 0.1;
        let expected = [[0.5 / det, 0.25 / det], [0.1 / det, 0.8 / det]];
        for (i, row) in expected.iter().enumerate() {
            for (j, e) in row.iter().enumerate() {
                assert!((l.b[[i, j]] - e).abs() < 1e-14);
            }
        }
        assert!((l.local[0][[0, 0]] - 1.25).abs() < 1e-14);
        assert!((l.local[1][[0, 0]] - 2.0).abs() < 1e-14);
        assert!((l.v[0] - 0.7).abs() < 1e-15 && (l.v[1] - 0.25).abs() < 1e-15);
    }

    #[test]
    fn rounding_tolerances_are_capped_and_zero_for_a_balanced_table() {
        // x = (10, 20) from the rows: balanced, nothing added, floor 1e-12 × max x.
        let t = two_by_one([[2.0, 5.0], [1.0, 10.0]], [3.0, 9.0]);
        let l = Leontief::new(&t).unwrap();
        assert_eq!(l.aggregate_rounding_tolerance(), 0.0);
        assert_eq!(l.entry_rounding_tolerance(), 0.0);
        assert_eq!(l.identity_floor(), 20e-12);
        // x read as (10, 30): d = (0, 10), a third of BBB's output. The raw allowances
        // (10 × (B|d|)_i / x_i ≈ 3.3 or more) would accept any residual; the caps hold.
        let mut unbalanced = t.clone();
        unbalanced.x = ndarray::array![10.0, 30.0];
        let l = Leontief::new(&unbalanced).unwrap();
        assert!(10.0 * l.rounding_allowance_country > AGGREGATE_ROUNDING_CAP);
        assert!(10.0 * l.rounding_allowance > ENTRY_ROUNDING_CAP);
        assert_eq!(l.aggregate_rounding_tolerance(), AGGREGATE_ROUNDING_CAP);
        assert_eq!(l.entry_rounding_tolerance(), ENTRY_ROUNDING_CAP);
        // floor: max |d| = 10, capped at 1e-4 × 30.
        assert!((l.identity_floor() - 3e-3).abs() < 1e-15);
    }

    #[test]
    fn zero_output_column_gives_identity_column() {
        let t = two_by_one([[2.0, 0.0], [0.0, 0.0]], [3.0, 0.0]);
        let l = Leontief::new(&t).unwrap();
        assert_eq!(l.a[[0, 1]], 0.0);
        assert_eq!(l.b[[1, 1]], 1.0);
        assert_eq!(l.v[1], 0.0);
    }

    #[test]
    fn singular_table_is_a_typed_error() {
        // Sector 1 uses all of its own output: I − A has a zero column.
        let mut t = two_by_one([[5.0, 0.0], [0.0, 1.0]], [0.0, 1.0]);
        t.x = ndarray::array![5.0, 2.0];
        match Leontief::new(&t) {
            Err(LeontiefError::Singular { label, .. }) => assert_eq!(label, "AAA_s"),
            other => panic!("expected Singular, got {other:?}"),
        }
    }

    #[test]
    fn non_productive_table_is_a_typed_error() {
        // Column sums of A above 1: B has negative entries.
        let mut t = two_by_one([[3.0, 3.0], [3.0, 3.0]], [0.0, 0.0]);
        t.x = ndarray::array![4.0, 4.0];
        assert!(matches!(
            Leontief::new(&t),
            Err(LeontiefError::NonProductive { .. })
        ));
    }

    #[test]
    fn from_inverse_matches_new_and_checks_shape() {
        let t = two_by_one([[2.0, 5.0], [1.0, 10.0]], [3.0, 9.0]);
        let l = Leontief::new(&t).unwrap();
        let again = Leontief::from_inverse(&t, l.b.clone()).unwrap();
        assert_eq!(again.a, l.a);
        assert_eq!(again.v, l.v);
        assert!(matches!(
            Leontief::from_inverse(&t, Array2::zeros((3, 3))),
            Err(LeontiefError::InverseShape { .. })
        ));
    }

    #[test]
    fn local_and_foreign_products_match_dense() {
        let t = two_by_one([[2.0, 5.0], [1.0, 10.0]], [3.0, 9.0]);
        let l = Leontief::new(&t).unwrap();
        let f = ndarray::array![1.0, 2.0];
        assert_eq!(l.local_apply(&f), ndarray::array![1.25, 4.0]);
        assert_eq!(l.local_apply_left(&f), ndarray::array![1.25, 4.0]);
        let af = l.foreign_apply(&f);
        assert!((af[0] - 0.5).abs() < 1e-15 && (af[1] - 0.1).abs() < 1e-15);
        let fa = l.foreign_apply_left(&f);
        assert!((fa[0] - 0.2).abs() < 1e-15 && (fa[1] - 0.25).abs() < 1e-15);
    }
}
