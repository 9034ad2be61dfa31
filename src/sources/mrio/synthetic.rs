//! The `synthetic` MRIO source: a deterministic, productive, balanced multi-regional table
//! generated from a seed, for demos, tests and `gvc bench`.
//!
//! Construction (reference/decomposition.md §0 notation): choose technical coefficients A with
//! every column sum α_j < 0.72 (so ρ(A) ≤ max_j α_j < 1 and I − A is a non-singular
//! M-matrix), choose final demand Yfd ≥ 0 except small inventory cells, solve
//! x = A x + Yfd·1 by Jacobi iteration, set Z = A diag(x) and finally take
//! x := rowSums(Z) + rowSums(Yfd), so the table is balanced by construction and value added
//! va_j = x_j − colSums(Z)_j ≈ (1 − α_j) x_j > 0.
//!
//! Bit-for-bit reproducibility across machines: generation uses only IEEE-754 `+ − × ÷` in a
//! fixed evaluation order (no `powf`/`exp`/`sin` from the platform libm, no FMA, no
//! reductions whose order depends on the CPU or the thread count), with a hand-written
//! xoshiro256** generator seeded by splitmix64. That is also why x is found by fixed-order
//! Jacobi iteration instead of a faer LU solve: faer's kernels pick SIMD/FMA paths by CPU,
//! which changes the last bits. The Jacobi dot products keep four partial sums in a fixed
//! order (which the compiler may put in SIMD lanes without changing a bit) and rows run on
//! rayon's threads (each row is the same sequence of operations on any number of threads).

use ndarray::Array1;
use rayon::prelude::*;
use serde::Deserialize;

use crate::iot::{dense, EntryLabel, IoTable};

/// A list of names given either as a count (`5` → generated codes) or explicitly.
///
/// Deserialised by hand rather than as an untagged enum, whose only error is serde's "data did
/// not match any variant": a wrong value says what was expected (a whole number or a list of
/// names) and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Names {
    /// This many generated names (sectors `c1..cN`, final-demand categories `F1..FN`).
    Count(usize),
    /// Explicit names, in order.
    List(Vec<String>),
}

impl Names {
    /// How many names there are, without generating them.
    pub fn count(&self) -> usize {
        match self {
            Names::Count(k) => *k,
            Names::List(v) => v.len(),
        }
    }

    /// The names, generating `<prefix>1..<prefix>N` for a count.
    pub fn resolve(&self, prefix: &str) -> Vec<String> {
        match self {
            Names::Count(k) => (1..=*k).map(|i| format!("{prefix}{i}")).collect(),
            Names::List(v) => v.clone(),
        }
    }
}

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Names;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number or a list of names")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Names, E> {
                usize::try_from(v)
                    .map(Names::Count)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Names, E> {
                u64::try_from(v)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Names, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                Ok(Names::List(names))
            }
        }
        d.deserialize_any(V)
    }
}

/// The first option of a `synthetic` source (as its JSON form) whose value has the wrong type,
/// as (key, message): `sectors` or `fd_categories` must be a whole number or a list of names,
/// `countries` a list of codes, `seed` a whole number ≥ 0. The message names the key under
/// `sources.<source>` and says what was found, so the spec loader can point at the key's
/// place instead of passing on serde's type error, which names neither.
pub fn option_type_problem(source: &str, options: &serde_json::Value) -> Option<(String, String)> {
    use serde_json::Value;
    let strings_only = |v: &[Value]| {
        v.iter()
            .position(|x| !x.is_string())
            .map(|i| format!("a list whose item {} is {}", i + 1, json_kind(&v[i])))
    };
    for (key, expected) in [
        ("seed", "a whole number ≥ 0"),
        ("countries", "a list of country codes"),
        ("sectors", "a number or a list of names"),
        ("fd_categories", "a number or a list of names"),
    ] {
        let Some(v) = options.get(key) else { continue };
        let found = match (key, v) {
            ("seed", Value::Number(n)) if n.is_u64() => None,
            ("countries", Value::Array(a)) => strings_only(a),
            ("sectors" | "fd_categories", Value::Number(n)) if n.is_u64() => None,
            ("sectors" | "fd_categories", Value::Array(a)) => strings_only(a),
            _ => Some(json_kind(v)),
        };
        if let Some(found) = found {
            return Some((
                key.to_string(),
                format!("`sources.{source}.{key}` must be {expected}, found {found}"),
            ));
        }
    }
    None
}

/// What a JSON value of a spec is, in the spec's (TOML's) words.
fn json_kind(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("a boolean (`{b}`)"),
        Value::Number(n) if n.is_u64() => format!("a number (`{n}`)"),
        Value::Number(n) if n.is_i64() => format!("a negative number (`{n}`)"),
        Value::Number(n) => format!("a decimal number (`{n}`)"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a table".into(),
    }
}

fn default_seed() -> u64 {
    1
}

fn default_sectors() -> Names {
    Names::Count(5)
}

fn default_fd() -> Names {
    Names::Count(5)
}

/// What the synthetic source generates (`[sources.mrio] format = "synthetic"`).
///
/// Defaults: `seed = 1`, `sectors = 5` (codes `c1..c5`), `fd_categories = 5` (`F1..F5`, the
/// last one behaves like changes in inventories and may be negative), `years = []` (every
/// year is available). `countries` is required and needs at least two codes. Deserialising
/// checks the codes (at least two countries, no code twice in a list), so a spec with a
/// duplicate is rejected when it is loaded, naming the option and both positions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SyntheticSpecKeys")]
pub struct SyntheticSpec {
    /// Seed of every random draw.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Country codes, in table order (at least two).
    pub countries: Vec<String>,
    /// Sector codes, or their number (codes `c1..cN`).
    #[serde(default = "default_sectors")]
    pub sectors: Names,
    /// Final-demand category codes, or their number (codes `F1..FN`).
    #[serde(default = "default_fd")]
    pub fd_categories: Names,
    /// Years the source provides; empty means any year.
    #[serde(default)]
    pub years: Vec<i32>,
}

/// The keys of a `synthetic` source as written, before [`dims`] checks them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SyntheticSpecKeys {
    #[serde(default = "default_seed")]
    seed: u64,
    countries: Vec<String>,
    #[serde(default = "default_sectors")]
    sectors: Names,
    #[serde(default = "default_fd")]
    fd_categories: Names,
    #[serde(default)]
    years: Vec<i32>,
}

impl TryFrom<SyntheticSpecKeys> for SyntheticSpec {
    type Error = SyntheticError;

    fn try_from(k: SyntheticSpecKeys) -> Result<Self, Self::Error> {
        let spec = SyntheticSpec {
            seed: k.seed,
            countries: k.countries,
            sectors: k.sectors,
            fd_categories: k.fd_categories,
            years: k.years,
        };
        dims(&spec)?;
        Ok(spec)
    }
}

/// Why a synthetic table cannot be generated from a spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntheticError {
    #[error("synthetic MRIO needs at least 2 countries, got {0}")]
    TooFewCountries(usize),
    #[error("synthetic MRIO needs at least 1 sector and 1 final-demand category")]
    Empty,
    #[error(
        "synthetic MRIO: duplicate {what} code `{code}` in `{key}` (items {first} and {second})"
    )]
    Duplicate {
        /// `country`, `sector` or `final-demand category`.
        what: &'static str,
        /// The option that lists it: `countries`, `sectors`, `fd_categories`.
        key: &'static str,
        code: String,
        /// 1-based positions of the two occurrences in the list.
        first: usize,
        second: usize,
    },
    #[error("synthetic MRIO: year {year} is not among the spec's years {years:?}")]
    YearNotAvailable { year: i32, years: Vec<i32> },
    #[error(
        "synthetic MRIO: {countries} countries × {per_country} {what} make {size} rows or columns, more than {MAX_SIZE} (a dense {MAX_SIZE} × {MAX_SIZE} matrix already takes 800 MB, and the Leontief inverse needs several)"
    )]
    TooLarge {
        countries: usize,
        per_country: usize,
        /// `sectors` or `final-demand categories`.
        what: &'static str,
        size: usize,
    },
}

/// Most rows (countries × sectors) or final-demand columns (countries × categories) a
/// synthetic table may have: several times the largest published MRIO (ADB 72-economy
/// tables have 2,555 rows, OECD ICIO 2023 extended 3,825), and small enough that the dense
/// matrices of a decomposition fit in memory.
pub const MAX_SIZE: usize = 10_000;

/// splitmix64 step (Steele, Lea & Flood 2014): used to expand seeds into generator states.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(crate::rng::GAMMA);
    crate::rng::mix64(*state)
}

/// xoshiro256** (Blackman & Vigna 2018), seeded through splitmix64.
#[derive(Debug, Clone)]
struct Rng {
    s: [u64; 4],
}

impl Rng {
    fn new(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng { s }
    }

    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform on [0, 1) with 53 random bits (exact conversion, no rounding).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform on [lo, hi).
    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }
}

/// FNV-1a over the bytes of `parts` (separated), mixed with `seed`: a stable key for
/// per-country and per-pair streams, so adding a country leaves the others' draws unchanged.
fn stream_key(seed: u64, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xFF)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    let mut s = seed ^ h;
    splitmix64(&mut s)
}

/// (1 + g)^k for integer k by repeated multiplication (deterministic, unlike `powf`).
fn int_pow(base: f64, k: i64) -> f64 {
    let mut r = 1.0;
    for _ in 0..k.unsigned_abs().min(400) {
        r *= base;
    }
    if k < 0 {
        1.0 / r
    } else {
        r
    }
}

/// Smooth bounded drift d/(|d| + 15) in (−1, 1) for d = years since 2000: trade openness
/// moves steadily but saturates, like the 2000s trade boom.
fn drift(year: i32) -> f64 {
    let d = f64::from(year) - 2000.0;
    d / (d.abs() + 15.0)
}

/// Year-independent parameters of one country.
struct CountryParams {
    size0: f64,
    growth: f64,
    open0: f64,
    open_slope: f64,
    /// Multiplier of the sector input intensities (country technology).
    intensity: Vec<f64>,
    /// Relative weight of each sector in the country's sales to final demand.
    fd_sector: Vec<f64>,
}

impl CountryParams {
    fn draw(seed: u64, code: &str, sectors: usize) -> Self {
        let mut r = Rng::new(stream_key(seed, &["country", code]));
        let u = r.uniform();
        let size0 = 0.02 + u * u * u;
        // Small economies trade more: openness falls with size.
        let open0 = 0.10 + 0.30 * (1.0 - u) + r.between(0.0, 0.08);
        let open_slope = r.between(-0.08, 0.15);
        let growth = r.between(0.0, 0.08);
        let intensity = (0..sectors).map(|_| r.between(0.85, 1.15)).collect();
        let fd_sector = (0..sectors).map(|_| r.between(0.3, 1.0)).collect();
        CountryParams {
            size0,
            growth,
            open0,
            open_slope,
            intensity,
            fd_sector,
        }
    }

    fn size(&self, year: i32) -> f64 {
        self.size0 * int_pow(1.0 + self.growth, i64::from(year) - 2000)
    }

    fn openness(&self, year: i32) -> f64 {
        (self.open0 + self.open_slope * drift(year)).clamp(0.02, 0.8)
    }
}

/// Year-independent parameters shared by all countries.
struct SectorParams {
    /// Base column sum of A per sector.
    alpha: Vec<f64>,
    /// Column-normalised input mix W[i][j] / Σ_i W[i][j] (row-major, N×N).
    mix: Vec<f64>,
    /// Final-demand category weights per category and sector, normalised over sectors (F×N).
    fd_mix: Vec<f64>,
    /// Share of each final-demand category in a country's final demand.
    fd_share: Vec<f64>,
}

impl SectorParams {
    fn draw(seed: u64, sectors: &[String], categories: usize) -> Self {
        let n = sectors.len();
        let mut r = Rng::new(stream_key(seed, &["sectors", &sectors.join("\u{1}")]));
        let alpha = (0..n).map(|_| r.between(0.30, 0.62)).collect();
        let mut w = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                let u = r.uniform();
                w[i * n + j] = if i == j {
                    1.0 + u
                } else if u < 0.15 {
                    0.0
                } else {
                    u * u
                };
            }
        }
        for j in 0..n {
            let col: f64 = (0..n).map(|i| w[i * n + j]).sum();
            for i in 0..n {
                w[i * n + j] /= col;
            }
        }
        let mut fd_mix = vec![0.0; categories * n];
        for f in 0..categories {
            let row = &mut fd_mix[f * n..(f + 1) * n];
            for v in row.iter_mut() {
                let u = r.uniform();
                *v = 0.2 + u * u;
            }
            let total: f64 = row.iter().sum();
            row.iter_mut().for_each(|v| *v /= total);
        }
        let fd_share = category_shares(categories, &mut r);
        SectorParams {
            alpha,
            mix: w,
            fd_mix,
            fd_share,
        }
    }
}

/// Category shares: the first (households) dominates, the last (inventories) is small.
fn category_shares(categories: usize, r: &mut Rng) -> Vec<f64> {
    if categories == 1 {
        return vec![1.0];
    }
    let mut s: Vec<f64> = (0..categories)
        .map(|f| {
            if f == 0 {
                r.between(5.0, 7.0)
            } else if f + 1 == categories {
                r.between(0.1, 0.3)
            } else {
                r.between(0.2, 2.5)
            }
        })
        .collect();
    let total: f64 = s.iter().sum();
    s.iter_mut().for_each(|v| *v /= total);
    s
}

/// Affinity of destination `r` for origin `s` (gravity-like, seed-level): in [0.5, 1.5].
fn affinity(seed: u64, s: &str, r: &str) -> f64 {
    let mut g = Rng::new(stream_key(seed, &["pair", s, r]));
    g.between(0.5, 1.5)
}

/// Validated dimensions of a spec.
struct Dims {
    countries: Vec<String>,
    sectors: Vec<String>,
    categories: Vec<String>,
}

fn dims(spec: &SyntheticSpec) -> Result<Dims, SyntheticError> {
    let g = spec.countries.len();
    for (per_country, what) in [
        (spec.sectors.count(), "sectors"),
        (spec.fd_categories.count(), "final-demand categories"),
    ] {
        // Checked before any name is generated: `sectors = 10000000` must not allocate.
        match g.checked_mul(per_country) {
            Some(size) if size <= MAX_SIZE => {}
            size => {
                return Err(SyntheticError::TooLarge {
                    countries: g,
                    per_country,
                    what,
                    size: size.unwrap_or(usize::MAX),
                })
            }
        }
    }
    let sectors = spec.sectors.resolve("c");
    let categories = spec.fd_categories.resolve("F");
    if spec.countries.len() < 2 {
        return Err(SyntheticError::TooFewCountries(spec.countries.len()));
    }
    if sectors.is_empty() || categories.is_empty() {
        return Err(SyntheticError::Empty);
    }
    for (what, key, list) in [
        ("country", "countries", &spec.countries),
        ("sector", "sectors", &sectors),
        ("final-demand category", "fd_categories", &categories),
    ] {
        let mut seen = std::collections::HashMap::new();
        for (i, c) in list.iter().enumerate() {
            if let Some(first) = seen.insert(c, i) {
                return Err(SyntheticError::Duplicate {
                    what,
                    key,
                    code: c.clone(),
                    first: first + 1,
                    second: i + 1,
                });
            }
        }
    }
    Ok(Dims {
        countries: spec.countries.clone(),
        sectors,
        categories,
    })
}

/// Generates the table of `year` for `spec`.
///
/// Deterministic in (seed, countries, sectors, final-demand categories, year): the same bytes
/// on every machine. Properties (tested): column sums of A < 0.72 (productive), x =
/// rowSums(Z) + rowSums(Yfd) up to summation rounding, va = x − colSums(Z) > 0 wherever x > 0,
/// the last sector of the smallest country has zero output with a zero row and column, and
/// openness and country sizes drift smoothly with the year.
pub fn generate(spec: &SyntheticSpec, year: i32) -> Result<IoTable, SyntheticError> {
    if !spec.years.is_empty() && !spec.years.contains(&year) {
        return Err(SyntheticError::YearNotAvailable {
            year,
            years: spec.years.clone(),
        });
    }
    let d = dims(spec)?;
    Ok(build(spec.seed, &d, year))
}

/// A synthetic table with `countries` × `sectors` entries (codes `C01..`, `c1..`, `F1..F5`,
/// year 2000) for `gvc bench --size N`, built like [`generate`]. At least 2 countries and 1
/// sector are used even if fewer are asked for.
pub fn bench_table(countries: usize, sectors: usize, seed: u64) -> IoTable {
    let g = countries.max(2);
    let width = g.to_string().len().max(2);
    let d = Dims {
        countries: (1..=g).map(|c| format!("C{c:0width$}")).collect(),
        sectors: Names::Count(sectors.max(1)).resolve("c"),
        categories: Names::Count(5).resolve("F"),
    };
    build(seed, &d, 2000)
}

fn build(seed: u64, d: &Dims, year: i32) -> IoTable {
    let (g, nsec, nf) = (d.countries.len(), d.sectors.len(), d.categories.len());
    let n = g * nsec;
    let sp = SectorParams::draw(seed, &d.sectors, nf);
    let cp: Vec<CountryParams> = d
        .countries
        .iter()
        .map(|c| CountryParams::draw(seed, c, nsec))
        .collect();
    let size: Vec<f64> = cp.iter().map(|c| c.size(year)).collect();
    let open: Vec<f64> = cp.iter().map(|c| c.openness(year)).collect();
    // Origin weights per destination: size_s × affinity(s, r), excluding r itself.
    let origin = origin_weights(seed, &d.countries, &size);
    let zero_entry = zero_output_entry(&cp, nsec);

    let a = coefficients(&sp, &cp, &open, &origin, nsec, zero_entry);
    let yfd = final_demand(seed, d, &sp, &cp, &size, &open, &origin, zero_entry);
    let y_rows: Vec<f64> = (0..n)
        .map(|i| yfd[i * g * nf..(i + 1) * g * nf].iter().sum())
        .collect();
    let x0 = jacobi_output(&a, &y_rows, n);

    let z = dense::from_fn(n, n, |(i, j)| a[i * n + j] * x0[j]);
    // x := rowSums(Z) + rowSums(Yfd), with Z's entries recomputed in row-major order (the
    // same products as in `z`), so the table is balanced by construction.
    let x: Array1<f64> = (0..n)
        .map(|i| {
            let row = &a[i * n..(i + 1) * n];
            let zs: f64 = row.iter().zip(&x0).map(|(aij, xj)| aij * xj).sum();
            zs + y_rows[i]
        })
        .collect();
    let y = dense::from_fn(n, g * nf, |(i, c)| yfd[i * g * nf + c]);
    let labels = (0..n)
        .map(|k| EntryLabel::new(&d.countries[k / nsec], &d.sectors[k % nsec]))
        .collect();
    let va: Array1<f64> = (0..n)
        .map(|j| x[j] - dense::column(&z, j).iter().sum::<f64>())
        .collect();
    IoTable {
        year: Some(year),
        countries: d.countries.clone(),
        fd_categories: d.categories.clone(),
        labels,
        row_country: (0..n).map(|k| k / nsec).collect(),
        z,
        y,
        x,
        primary_inputs: vec![("VA".to_string(), va)],
    }
}

/// origin[r][s] = share of origin s in r's imports: size_s·affinity(s,r) / Σ_{s'≠r}(…).
fn origin_weights(seed: u64, countries: &[String], size: &[f64]) -> Vec<Vec<f64>> {
    let g = countries.len();
    (0..g)
        .map(|r| {
            let mut w: Vec<f64> = (0..g)
                .map(|s| {
                    if s == r {
                        0.0
                    } else {
                        size[s] * affinity(seed, &countries[s], &countries[r])
                    }
                })
                .collect();
            let total: f64 = w.iter().sum();
            w.iter_mut().for_each(|v| *v /= total);
            w
        })
        .collect()
}

/// The entry given zero output: last sector of the smallest country (by base size), as WIOD's
/// zero-output `c35` rows; none when there are fewer than 3 sectors.
fn zero_output_entry(cp: &[CountryParams], nsec: usize) -> Option<usize> {
    if nsec < 3 {
        return None;
    }
    let mut smallest = 0;
    for (c, p) in cp.iter().enumerate() {
        if p.size0 < cp[smallest].size0 {
            smallest = c;
        }
    }
    Some(smallest * nsec + nsec - 1)
}

/// Technical coefficients A (row-major n×n):
/// A[(s,i),(r,j)] = α_{r,j}·(1 − o_r)·mix[i][j] if s = r, else α_{r,j}·o_r·origin[r][s]·mix[i][j],
/// so the column sum is α_{r,j} = α_j·intensity_{r,j} ≤ 0.62·1.15 < 0.72.
fn coefficients(
    sp: &SectorParams,
    cp: &[CountryParams],
    open: &[f64],
    origin: &[Vec<f64>],
    nsec: usize,
    zero_entry: Option<usize>,
) -> Vec<f64> {
    let g = cp.len();
    let n = g * nsec;
    let mut a = vec![0.0; n * n];
    for s in 0..g {
        for i in 0..nsec {
            let row = &mut a[(s * nsec + i) * n..(s * nsec + i + 1) * n];
            for r in 0..g {
                let share = if s == r {
                    1.0 - open[r]
                } else {
                    open[r] * origin[r][s]
                };
                for j in 0..nsec {
                    let alpha = sp.alpha[j] * cp[r].intensity[j];
                    row[r * nsec + j] = alpha * share * sp.mix[i * nsec + j];
                }
            }
        }
    }
    if let Some(k) = zero_entry {
        a[k * n..(k + 1) * n].iter_mut().for_each(|v| *v = 0.0);
        for i in 0..n {
            a[i * n + k] = 0.0;
        }
    }
    a
}

/// Final demand Yfd (row-major n×(G·F)): destination r spends D_r = 5·10⁵·size_r on category f
/// with share θ_f, buying domestically 1 − o_r/2 and abroad o_r/2 split by origin weights, over
/// sectors by the category mix × the origin country's final-demand sector weights. The last
/// category (inventories) gets a seed-level factor in [−0.5, 1), so some cells are negative
/// while every row sum stays positive.
#[allow(clippy::too_many_arguments)]
fn final_demand(
    seed: u64,
    d: &Dims,
    sp: &SectorParams,
    cp: &[CountryParams],
    size: &[f64],
    open: &[f64],
    origin: &[Vec<f64>],
    zero_entry: Option<usize>,
) -> Vec<f64> {
    let (g, nsec, nf) = (d.countries.len(), d.sectors.len(), d.categories.len());
    let width = g * nf;
    let mut y = vec![0.0; g * nsec * width];
    for s in 0..g {
        let mut inv = Rng::new(stream_key(seed, &["inventory", &d.countries[s]]));
        for i in 0..nsec {
            let row = &mut y[(s * nsec + i) * width..(s * nsec + i + 1) * width];
            for r in 0..g {
                let from_s = if s == r {
                    1.0 - 0.5 * open[r]
                } else {
                    0.5 * open[r] * origin[r][s]
                };
                let spend = 5.0e5 * size[r] * from_s * cp[s].fd_sector[i];
                for f in 0..nf {
                    let mut v = spend * sp.fd_share[f] * sp.fd_mix[f * nsec + i];
                    if nf > 1 && f + 1 == nf {
                        v *= inv.between(-0.5, 1.0);
                    }
                    row[r * nf + f] = v;
                }
            }
        }
    }
    if let Some(k) = zero_entry {
        y[k * width..(k + 1) * width]
            .iter_mut()
            .for_each(|v| *v = 0.0);
    }
    y
}

/// Dot product in a fixed order with four interleaved partial sums over exact chunks (so the
/// compiler may put them in SIMD lanes without reassociating anything: deterministic on every
/// machine, and the same bits as the indexed loop this replaced).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (xa, xb) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += xa[k] * xb[k];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + tail
}

/// Solves x = A x + y by Jacobi iteration (rows in parallel) x_{k+1} = y + A x_k from x_0 = y. Converges because
/// ‖A‖₁ = max column sum < 0.72 (error shrinks by that factor per step); stops when no entry
/// moves by more than 1e-15 of the largest output (or after 2000 steps).
fn jacobi_output(a: &[f64], y: &[f64], n: usize) -> Vec<f64> {
    let mut x = y.to_vec();
    let mut next = vec![0.0; n];
    for _ in 0..2000 {
        // Rows in parallel: each row's dot product is the same sequence of operations on any
        // number of threads, so the table is identical everywhere.
        next.par_iter_mut()
            .zip(a.par_chunks_exact(n))
            .zip(y.par_iter())
            .for_each(|((v, row), yi)| *v = yi + dot(row, &x));
        let scale = next.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let change = next
            .iter()
            .zip(&x)
            .fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
        std::mem::swap(&mut x, &mut next);
        if change <= 1e-15 * scale {
            break;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_the_wrong_type_say_what_was_expected() {
        let names = |v: serde_json::Value| serde_json::from_value::<Names>(v);
        assert_eq!(names(serde_json::json!(3)).unwrap(), Names::Count(3));
        assert_eq!(
            names(serde_json::json!(["a", "b"])).unwrap(),
            Names::List(vec!["a".into(), "b".into()])
        );
        for bad in [
            serde_json::json!("five"),
            serde_json::json!(2.5),
            serde_json::json!(-1),
            serde_json::json!({"a": 1}),
        ] {
            let e = names(bad.clone()).unwrap_err().to_string();
            assert!(e.contains("a number or a list of names"), "{bad}: {e}");
            assert!(!e.contains("untagged"), "{bad}: {e}");
        }
        let opts = serde_json::json!({"countries": ["AUS", "BRA"], "sectors": ["a", 2]});
        let (key, msg) = option_type_problem("mrio", &opts).unwrap();
        assert_eq!(key, "sectors");
        assert_eq!(
            msg,
            "`sources.mrio.sectors` must be a number or a list of names, found a list whose item 2 is a number (`2`)"
        );
        let ok = serde_json::json!({"countries": ["AUS", "BRA"], "sectors": 3, "seed": 9});
        assert_eq!(option_type_problem("mrio", &ok), None);
    }

    fn spec() -> SyntheticSpec {
        SyntheticSpec {
            seed: 7,
            countries: vec!["AAA".into(), "BBB".into(), "CCC".into()],
            sectors: Names::Count(4),
            fd_categories: Names::Count(3),
            years: vec![],
        }
    }

    #[test]
    fn xoshiro_reference_stream() {
        // splitmix64 from state 0: first output 0xE220A8397B1DCDAF (Vigna's reference code).
        let mut s = 0u64;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
        let mut r = Rng::new(0);
        let u = r.uniform();
        assert!((0.0..1.0).contains(&u));
    }

    #[test]
    fn int_pow_matches_hand_values() {
        assert_eq!(int_pow(2.0, 10), 1024.0);
        assert_eq!(int_pow(2.0, -2), 0.25);
        assert_eq!(int_pow(1.5, 0), 1.0);
    }

    #[test]
    fn column_sums_below_one() {
        let t = generate(&spec(), 2005).unwrap();
        let n = t.n();
        for j in 0..n {
            if t.x[j] == 0.0 {
                continue;
            }
            let cs: f64 = (0..n).map(|i| t.z[(i, j)]).sum::<f64>() / t.x[j];
            assert!(cs < 0.75, "column {j}: {cs}");
        }
    }

    #[test]
    fn too_few_countries_is_error() {
        let mut s = spec();
        s.countries.truncate(1);
        assert_eq!(
            generate(&s, 2000).unwrap_err(),
            SyntheticError::TooFewCountries(1)
        );
    }

    #[test]
    fn duplicates_are_rejected_when_the_options_are_read() {
        let json = serde_json::json!({ "countries": ["PRC", "INO", "MAL", "INO"] });
        let e = serde_json::from_value::<SyntheticSpec>(json)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "synthetic MRIO: duplicate country code `INO` in `countries` (items 2 and 4)"
        );
        let json = serde_json::json!({ "countries": ["A", "B"], "sectors": ["x", "y", "x"] });
        let e = serde_json::from_value::<SyntheticSpec>(json)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("sector code `x` in `sectors` (items 1 and 3)"),
            "{e}"
        );
        let json = serde_json::json!({ "countries": ["A", "B"], "colour": 1 });
        let e = serde_json::from_value::<SyntheticSpec>(json)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `colour`"), "{e}");
    }

    #[test]
    fn duplicate_and_year_errors() {
        let mut s = spec();
        s.countries.push("AAA".into());
        assert!(matches!(
            generate(&s, 2000),
            Err(SyntheticError::Duplicate { .. })
        ));
        let mut s = spec();
        s.years = vec![2001];
        assert!(matches!(
            generate(&s, 2000),
            Err(SyntheticError::YearNotAvailable { .. })
        ));
    }
}
