//! The canonical multi-regional input-output table every reader produces and every
//! measure consumes (reference/decomposition.md §0).
//!
//! Rows and intermediate columns share one ordering of `n` country-sector entries; each
//! entry carries its own country index (`row_country`) instead of assuming contiguous,
//! equal-sized blocks, so OECD ICIO extended tables (CN1/CN2 and MX1/MX2 rows belong to
//! CHN and MEX) and merged country groups work without re-aggregating Z.

use ndarray::{Array1, Array2};

use crate::iot::dense;

/// Why a table failed [`IoTable::validate`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    #[error("{what} has {got} {dim} but the table has {expected} country-sector entries")]
    Shape {
        what: &'static str,
        dim: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("final demand has {got} columns but {countries} countries x {categories} categories = {expected}")]
    FinalDemandShape {
        got: usize,
        countries: usize,
        categories: usize,
        expected: usize,
    },
    #[error("row {row} ({label}) names country index {country}, but only {count} countries exist")]
    CountryIndex {
        row: usize,
        label: String,
        country: usize,
        count: usize,
    },
    #[error("{what} at row {row} ({label}), column {col} is not a finite number ({value})")]
    NotFinite {
        what: &'static str,
        row: usize,
        label: String,
        col: usize,
        value: f64,
    },
    #[error("the table has no rows")]
    Empty,
    #[error(
        "value added of {entry} is {value_added}: gross output read is {output} but its column of intermediate inputs sums to {inputs} (value added may be negative, but not below −output by more than {}, 1e-5 of the largest output) (fix: correct the gross output of {}, e.g. a zero or missing total, or use output = \"row-sums\")",
        short(.allowance),
        .entry.label
    )]
    NegativeValueAdded {
        entry: Box<EntryNames>,
        output: f64,
        inputs: f64,
        value_added: f64,
        allowance: f64,
    },
    #[error(
        "gross output of {entry} is {output} but its row (intermediate sales plus final demand) sums to {row_sum}: they differ by more than 10% of the larger, {} (fix: correct the gross output of {}, or use output = \"row-sums\" to take x from the rows)",
        short(.allowed),
        .entry.label
    )]
    OutputImbalance {
        entry: Box<EntryNames>,
        output: f64,
        row_sum: f64,
        allowed: f64,
    },
}

/// An entry named for messages: `DEU_c9 (country DEU, sector c9)`.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryNames {
    /// The entry label, `BLOCK_SECTOR`.
    pub label: String,
    /// The code of the country the entry belongs to.
    pub country: String,
    /// The sector code.
    pub sector: String,
}

impl std::fmt::Display for EntryNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (country {}, sector {})",
            self.label, self.country, self.sector
        )
    }
}

/// `v` to 6 significant digits, without trailing zeros (29.468230000000002 → 29.4682).
fn short(v: &f64) -> String {
    if *v == 0.0 || !v.is_finite() {
        return v.to_string();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (5 - magnitude).clamp(0, 17) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Value added va_j = x_j − colSums(Z)_j may be negative (subsidies, rounding; reference §9
/// pitfall 4), but not below −x_j − `NEGATIVE_VALUE_ADDED_FLOOR` × max x: inputs worth more
/// than twice the output (the usual cause: a zero or missing output with positive inputs)
/// mean the output is wrong, and A = Z x̂⁻¹ would silently drop those inputs.
pub const NEGATIVE_VALUE_ADDED_FLOOR: f64 = 1e-5;

/// When x is read from the table, |x_i − (rowSums(Z) + rowSums(Y))_i| may be at most this
/// share of max(|x_i|, |row sum_i|, `OUTPUT_IMBALANCE_FLOOR` × max x): published tables
/// are balanced up to rounding (WIOD 2013: at most 4.1 % by this measure, on small entries).
pub const OUTPUT_IMBALANCE_TOLERANCE: f64 = 0.1;

/// The scale below which an entry's imbalance is judged against the table's largest output
/// instead of its own (tiny entries of truncated tables: `x = 2`, row sum 10).
pub const OUTPUT_IMBALANCE_FLOOR: f64 = 1e-3;

/// One country-sector entry of the table: the code of the row block as it appears in the
/// source file (e.g. `CN1` for an ICIO split-China block, usually equal to the country code)
/// and the sector code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryLabel {
    pub block: String,
    pub sector: String,
}

impl EntryLabel {
    pub fn new(block: impl Into<String>, sector: impl Into<String>) -> Self {
        EntryLabel {
            block: block.into(),
            sector: sector.into(),
        }
    }
}

impl std::fmt::Display for EntryLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.block, self.sector)
    }
}

/// A multi-regional input-output table for one year.
///
/// Shapes (n = number of country-sector entries, G = countries, F = final-demand categories):
/// `z` n×n intermediate flows Z[(s,i),(r,j)]; `y` n×(G·F) final demand with column
/// `c·F + f` = country `c`, category `f`; `x` gross output (n).
///
/// The matrices are `ndarray` arrays; the readers build them in column-major (Fortran)
/// order, the layout the Leontief core and the decompositions walk (any layout is
/// accepted: kernels that need columns take a column-major view or copy once).
#[derive(Debug, Clone)]
pub struct IoTable {
    /// Year the table describes, when known.
    pub year: Option<i32>,
    /// Country codes, G of them, in the order of the final-demand column blocks.
    pub countries: Vec<String>,
    /// Final-demand category codes, F of them (e.g. F1..F5 for ADB, HFCE.. for ICIO).
    pub fd_categories: Vec<String>,
    /// The n entry labels, in row (= intermediate column) order.
    pub labels: Vec<EntryLabel>,
    /// For each of the n entries, the index into `countries` of the country it belongs to.
    pub row_country: Vec<usize>,
    /// Intermediate flows, n×n.
    pub z: Array2<f64>,
    /// Final demand by destination country and category, n×(G·F).
    pub y: Array2<f64>,
    /// Gross output, n. Either the table's reported total or rowSums(Z) + rowSums(Y).
    pub x: Array1<f64>,
    /// Primary-input rows as reported by the source (e.g. `VA`, `TLS`, `r64`), each of length n.
    /// Informational: value added used by the measures is x − colSums(Z) (reference §9).
    pub primary_inputs: Vec<(String, Array1<f64>)>,
}

impl IoTable {
    /// Number of country-sector entries n.
    pub fn n(&self) -> usize {
        self.labels.len()
    }

    /// Number of countries G.
    pub fn g(&self) -> usize {
        self.countries.len()
    }

    /// Number of final-demand categories F.
    pub fn f(&self) -> usize {
        self.fd_categories.len()
    }

    /// Checks shapes, country indices and finiteness. Readers call this before returning.
    pub fn validate(&self) -> Result<(), TableError> {
        let n = self.n();
        if n == 0 {
            return Err(TableError::Empty);
        }
        let shape = |what, dim, got| TableError::Shape {
            what,
            dim,
            got,
            expected: n,
        };
        if self.z.nrows() != n {
            return Err(shape("Z", "rows", self.z.nrows()));
        }
        if self.z.ncols() != n {
            return Err(shape("Z", "columns", self.z.ncols()));
        }
        if self.y.nrows() != n {
            return Err(shape("final demand", "rows", self.y.nrows()));
        }
        if self.x.len() != n {
            return Err(shape("output", "entries", self.x.len()));
        }
        if self.row_country.len() != n {
            return Err(shape(
                "country-of-row map",
                "entries",
                self.row_country.len(),
            ));
        }
        let expected = self.g() * self.f();
        if self.y.ncols() != expected {
            return Err(TableError::FinalDemandShape {
                got: self.y.ncols(),
                countries: self.g(),
                categories: self.f(),
                expected,
            });
        }
        for (row, &c) in self.row_country.iter().enumerate() {
            if c >= self.g() {
                return Err(TableError::CountryIndex {
                    row,
                    label: self.labels[row].to_string(),
                    country: c,
                    count: self.g(),
                });
            }
        }
        self.check_finite("Z", &self.z)?;
        self.check_finite("final demand", &self.y)?;
        for (row, &v) in self.x.iter().enumerate() {
            if !v.is_finite() {
                return Err(TableError::NotFinite {
                    what: "output",
                    row,
                    label: self.labels[row].to_string(),
                    col: 0,
                    value: v,
                });
            }
        }
        Ok(())
    }

    fn check_finite(&self, what: &'static str, m: &Array2<f64>) -> Result<(), TableError> {
        for col in 0..m.ncols() {
            for row in 0..m.nrows() {
                let value = m[[row, col]];
                if !value.is_finite() {
                    return Err(TableError::NotFinite {
                        what,
                        row,
                        label: self.labels[row].to_string(),
                        col,
                        value,
                    });
                }
            }
        }
        Ok(())
    }

    /// Final demand summed over categories per destination country: Y (n×G), reference §0.
    pub fn y_by_country(&self) -> Array2<f64> {
        let (n, g, f) = (self.n(), self.g(), self.f());
        dense::from_fn(n, g, |(i, c)| (0..f).map(|k| self.y[[i, c * f + k]]).sum())
    }

    /// Output recomputed as rowSums(Z) + rowSums(Y) (decompr default without `o`; exvatools always).
    ///
    /// Each row sum adds its entries left to right from −0.0, as `Iterator::sum` does, but
    /// walks Z and Y column by column: both are column-major, and a row-by-row walk touched a
    /// new cache line per entry (the same bits, several times faster at n = 2205).
    pub fn output_from_rows(&self) -> Array1<f64> {
        let row_sums = |m: &Array2<f64>| {
            let mut acc = Array1::from_elem(m.nrows(), -0.0_f64);
            for col in m.columns() {
                acc.zip_mut_with(&col, |a, v| *a += v);
            }
            acc
        };
        let mut zs = row_sums(&self.z);
        zs.zip_mut_with(&row_sums(&self.y), |z, y| *z += y);
        zs
    }

    /// Value added va = x − colSums(Z) (reference §0; equals the sum of all primary-input rows).
    pub fn value_added(&self) -> Array1<f64> {
        (0..self.n())
            .map(|j| self.x[j] - (0..self.n()).map(|i| self.z[[i, j]]).sum::<f64>())
            .collect()
    }

    /// Checks the accounts of a table as read (docs/formats.md, "Gross output, value added
    /// and negative entries"): no value added below −x_j beyond
    /// [`NEGATIVE_VALUE_ADDED_FLOOR`] × max x, and gross output within
    /// [`OUTPUT_IMBALANCE_TOLERANCE`] of its row sum. Both name the entry, its country and
    /// sector, and the two numbers compared.
    pub fn check_accounts(&self) -> Result<(), TableError> {
        let n = self.n();
        let xmax = self.x.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let allowance = NEGATIVE_VALUE_ADDED_FLOOR * xmax;
        let inputs = (0..n).map(|j| (0..n).map(|i| self.z[[i, j]]).sum::<f64>());
        for (j, (inputs, &output)) in inputs.zip(&self.x).enumerate() {
            let value_added = output - inputs;
            if value_added < -output.max(0.0) - allowance {
                return Err(TableError::NegativeValueAdded {
                    entry: self.entry_names(j),
                    output,
                    inputs,
                    value_added,
                    allowance,
                });
            }
        }
        for (i, (row_sum, &output)) in self.output_from_rows().into_iter().zip(&self.x).enumerate()
        {
            let scale = output
                .abs()
                .max(row_sum.abs())
                .max(OUTPUT_IMBALANCE_FLOOR * xmax);
            let allowed = OUTPUT_IMBALANCE_TOLERANCE * scale;
            if (output - row_sum).abs() > allowed {
                return Err(TableError::OutputImbalance {
                    entry: self.entry_names(i),
                    output,
                    row_sum,
                    allowed,
                });
            }
        }
        Ok(())
    }

    /// Entry `i` named for messages.
    fn entry_names(&self, i: usize) -> Box<EntryNames> {
        Box::new(EntryNames {
            label: self.labels[i].to_string(),
            country: self.countries[self.row_country[i]].clone(),
            sector: self.labels[i].sector.clone(),
        })
    }

    /// Row indices of each country, in row order (a country's block may be non-contiguous).
    pub fn country_rows(&self) -> Vec<Vec<usize>> {
        let mut rows = vec![Vec::new(); self.g()];
        for (i, &c) in self.row_country.iter().enumerate() {
            rows[c].push(i);
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn output_from_rows_has_the_bits_of_a_row_by_row_sum() {
        let n = 7;
        let mut z = crate::iot::dense::from_fn(n, n, |(i, j)| {
            ((i * 31 + j * 17) % 13) as f64 * 0.1 + 1e-3 * j as f64
        });
        z.row_mut(3).fill(-0.0);
        let y = crate::iot::dense::from_fn(
            n,
            2,
            |(i, c)| if i == 3 { -0.0 } else { 0.7 * (i + c) as f64 },
        );
        let naive: Vec<u64> = (0..n)
            .map(|i| {
                let zs: f64 = (0..n).map(|j| z[[i, j]]).sum();
                let ys: f64 = (0..2).map(|j| y[[i, j]]).sum();
                (zs + ys).to_bits()
            })
            .collect();
        let t = IoTable {
            year: None,
            countries: vec!["A".into()],
            fd_categories: vec!["F1".into(), "F2".into()],
            labels: (0..n)
                .map(|i| EntryLabel::new("A", format!("s{i}")))
                .collect(),
            row_country: vec![0; n],
            z,
            y,
            x: Array1::zeros(n),
            primary_inputs: vec![],
        };
        let fast: Vec<u64> = t.output_from_rows().iter().map(|v| v.to_bits()).collect();
        assert_eq!(fast, naive);
    }

    use super::*;

    /// Two countries, one sector each; x as given.
    fn table(z: [[f64; 2]; 2], y: [f64; 2], x: [f64; 2]) -> IoTable {
        IoTable {
            year: None,
            countries: vec!["AAA".into(), "BBB".into()],
            fd_categories: vec!["F".into()],
            labels: vec![EntryLabel::new("AAA", "s"), EntryLabel::new("BBB", "t")],
            row_country: vec![0, 1],
            z: dense::from_fn(2, 2, |(i, j)| z[i][j]),
            y: dense::from_fn(2, 2, |(i, c)| if c == i { y[i] } else { 0.0 }),
            x: Array1::from(x.to_vec()),
            primary_inputs: vec![],
        }
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short(&29.468230000000002), "29.4682");
        assert_eq!(short(&17806.3), "17806.3");
        assert_eq!(short(&1e-4), "0.0001");
        assert_eq!(short(&3.0), "3");
    }

    #[test]
    fn accounts_of_a_balanced_table_pass() {
        table([[2.0, 5.0], [1.0, 10.0]], [3.0, 9.0], [10.0, 20.0])
            .check_accounts()
            .unwrap();
    }

    #[test]
    fn zero_output_with_inputs_is_negative_value_added() {
        // BBB's output read as 0 while it buys 15 of inputs (and sells 20).
        let e = table([[2.0, 5.0], [1.0, 10.0]], [3.0, 9.0], [10.0, 0.0])
            .check_accounts()
            .unwrap_err();
        assert_eq!(
            e,
            TableError::NegativeValueAdded {
                entry: Box::new(EntryNames {
                    label: "BBB_t".into(),
                    country: "BBB".into(),
                    sector: "t".into(),
                }),
                output: 0.0,
                inputs: 15.0,
                value_added: -15.0,
                allowance: 1e-4,
            }
        );
        assert!(e.to_string().starts_with(
            "value added of BBB_t (country BBB, sector t) is -15: gross output read is 0 but its column of intermediate inputs sums to 15"
        ));
    }

    #[test]
    fn negative_value_added_above_minus_output_is_kept() {
        // BBB: output 20, inputs 12 + 10 = 22 → va = −2 > −20 (subsidies): kept. AAA's
        // row balances through negative final demand (inventories): 2 + 12 − 4 = 10.
        let t = table([[2.0, 12.0], [1.0, 10.0]], [-4.0, 9.0], [10.0, 20.0]);
        t.check_accounts().unwrap();
        assert_eq!(t.value_added(), Array1::from(vec![7.0, -2.0]));
    }

    #[test]
    fn output_far_from_its_row_sum_is_an_error() {
        // Within 10 %: 20 read vs 19 from the row (rounding). Beyond: 30 vs 20.
        table([[2.0, 5.0], [1.0, 9.0]], [3.0, 9.0], [10.0, 20.0])
            .check_accounts()
            .unwrap();
        let e = table([[2.0, 5.0], [1.0, 10.0]], [3.0, 9.0], [10.0, 30.0])
            .check_accounts()
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("gross output of BBB_t (country BBB, sector t) is 30 but its row (intermediate sales plus final demand) sums to 20: they differ by more than 10% of the larger, 3"),
            "{e}"
        );
    }
}
