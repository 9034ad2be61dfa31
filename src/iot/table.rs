//! The canonical multi-regional input-output table every reader produces and every
//! measure consumes (reference/decomposition.md §0).
//!
//! Rows and intermediate columns share one ordering of `n` country-sector entries; each
//! entry carries its own country index (`row_country`) instead of assuming contiguous,
//! equal-sized blocks, so OECD ICIO extended tables (CN1/CN2 and MX1/MX2 rows belong to
//! CHN and MEX) and merged country groups work without re-aggregating Z.

use faer::Mat;

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
}

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
    pub z: Mat<f64>,
    /// Final demand by destination country and category, n×(G·F).
    pub y: Mat<f64>,
    /// Gross output, n. Either the table's reported total or rowSums(Z) + rowSums(Y).
    pub x: Vec<f64>,
    /// Primary-input rows as reported by the source (e.g. `VA`, `TLS`, `r64`), each of length n.
    /// Informational: value added used by the measures is x − colSums(Z) (reference §9).
    pub primary_inputs: Vec<(String, Vec<f64>)>,
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

    fn check_finite(&self, what: &'static str, m: &Mat<f64>) -> Result<(), TableError> {
        for col in 0..m.ncols() {
            for row in 0..m.nrows() {
                let value = m[(row, col)];
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
    pub fn y_by_country(&self) -> Mat<f64> {
        let (n, g, f) = (self.n(), self.g(), self.f());
        Mat::from_fn(n, g, |i, c| (0..f).map(|k| self.y[(i, c * f + k)]).sum())
    }

    /// Output recomputed as rowSums(Z) + rowSums(Y) (decompr default without `o`; exvatools always).
    pub fn output_from_rows(&self) -> Vec<f64> {
        (0..self.n())
            .map(|i| {
                let zs: f64 = (0..self.n()).map(|j| self.z[(i, j)]).sum();
                let ys: f64 = (0..self.y.ncols()).map(|j| self.y[(i, j)]).sum();
                zs + ys
            })
            .collect()
    }

    /// Value added va = x − colSums(Z) (reference §0; equals the sum of all primary-input rows).
    pub fn value_added(&self) -> Vec<f64> {
        (0..self.n())
            .map(|j| self.x[j] - (0..self.n()).map(|i| self.z[(i, j)]).sum::<f64>())
            .collect()
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
