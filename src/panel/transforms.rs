//! Transforms of country-year series.
//!
//! A variable's `transform` is one transform or a list applied in order. In TOML:
//!
//! ```toml
//! h     = { from = "wdi.SE.TER.ENRR", transform = "log" }
//! k_lag = { from = "k", transform = { lag = 1 } }
//! rdk   = { from = "wdi.GB.XPD.RSDV.GD.ZS", transform = [{ ratio = "gdp" }, { pim_stock = { delta = 0.05, growth_years = 5 } }] }
//! sofdi = { from = "rdk", transform = { lp_spillover = { ofdi = "ofdi", capital = "gdp" } } }
//! ```
//!
//! | transform | value at (i, t) |
//! |---|---|
//! | `"log"` | ln x; x ≤ 0 → missing (counted in a note) |
//! | `"log1p"` | ln(1 + x); x ≤ −1 → missing (note) |
//! | `"asinh"` | asinh x = ln(x + √(x² + 1)): log-like, defined at 0 and for negatives (Bellemare–Wichman 2020) |
//! | `{ lag = k }` | x(i, t − k), calendar years: a gap gives a missing lag |
//! | `{ lead = k }` | x(i, t + k) |
//! | `"diff"` | x(i, t) − x(i, t − 1), missing unless both calendar years are present |
//! | `"growth"` | 100·(x(i, t)/x(i, t − 1) − 1) in percent; x(i, t − 1) = 0 → missing (note) |
//! | `{ scale = c }` | c·x |
//! | `{ ratio = "v" }` | x / v at the same (i, t); v = 0 → missing (note) |
//! | `{ interaction = "v" }` | x · v at the same (i, t) |
//! | `"standardize"` | (x − mean)/sd, mean and sd (n − 1) over the sample's country-years |
//! | `{ winsorize = { lower = 1, upper = 99 } }` | x clipped to the sample's lower/upper percentiles (Stata `_pctile` rule) |
//! | `{ pim_stock = { delta, growth_years, fill } }` | perpetual-inventory stock, see [`pim_stock`] |
//! | `{ lp_spillover = { ofdi, capital, missing_host } }` | Lichtenberg–van Pottelsberghe spillover, see [`lp_spillover`] |
//!
//! Every transform runs on all available years of the series (and on every country, since a
//! spillover needs host countries outside the sample); only the pooled statistics of
//! `standardize` and `winsorize` are taken over the sample's country-years. Operands
//! (`ratio`, `interaction`, `capital`) name another variable or an input series.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;

use crate::estimate::stata_percentile;
use crate::panel::series::{Bilateral, Series};
use crate::panel::summary::mean_sd;

/// One transform of a country-year series (see the module documentation for the formulas).
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// Natural logarithm.
    Log,
    /// ln(1 + x).
    Log1p,
    /// Inverse hyperbolic sine.
    Asinh,
    /// First difference in calendar time.
    Diff,
    /// Percent growth over the previous calendar year.
    Growth,
    /// z-score with the sample's mean and standard deviation.
    Standardize,
    /// Value k calendar years earlier.
    Lag(u32),
    /// Value k calendar years later.
    Lead(u32),
    /// Multiply by a constant.
    Scale(f64),
    /// Divide by another variable or series.
    Ratio(String),
    /// Multiply by another variable or series.
    Interaction(String),
    /// Clip to percentiles of the sample.
    Winsorize(WinsorizeSpec),
    /// Perpetual-inventory stock of a flow.
    PimStock(PimSpec),
    /// Foreign R&D spillover through outward FDI.
    LpSpillover(SpilloverSpec),
}

/// Every transform a spec can write: its name and an example of how it is written (the table
/// the spec's help text and the documentation derive from; one row per variant).
pub const TRANSFORMS: &[(&str, &str)] = &[
    ("log", "\"log\""),
    ("log1p", "\"log1p\""),
    ("asinh", "\"asinh\""),
    ("diff", "\"diff\""),
    ("growth", "\"growth\""),
    ("standardize", "\"standardize\""),
    ("lag", "{ lag = 1 }"),
    ("lead", "{ lead = 1 }"),
    ("scale", "{ scale = 100.0 }"),
    ("ratio", "{ ratio = \"gdp\" }"),
    ("interaction", "{ interaction = \"tariff\" }"),
    ("winsorize", "{ winsorize = { lower = 1, upper = 99 } }"),
    ("pim_stock", "{ pim_stock = { delta = 0.05 } }"),
    (
        "lp_spillover",
        "{ lp_spillover = { ofdi = \"ofdi.stock\", capital = \"k\" } }",
    ),
];

/// The help line listing every transform ([`TRANSFORMS`]).
pub fn transform_help() -> String {
    let examples: Vec<&str> = TRANSFORMS.iter().map(|(_, e)| *e).collect();
    format!("transforms: {}", examples.join(", "))
}

/// Percentiles (0–100) of `winsorize`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct WinsorizeSpec {
    /// Lower percentile, e.g. 1.
    pub lower: f64,
    /// Upper percentile, e.g. 99.
    pub upper: f64,
}

/// Parameters of `pim_stock`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PimSpec {
    /// Depreciation rate δ, 0 < δ ≤ 1 (e.g. 0.05 for R&D, Coe–Helpman 1995).
    pub delta: f64,
    /// Number of initial annual growth rates averaged into g (default 5).
    #[serde(default = "default_growth_years")]
    pub growth_years: u32,
    /// Treatment of interior gaps in the flow (default `none`).
    #[serde(default)]
    pub fill: GapFill,
}

fn default_growth_years() -> u32 {
    5
}

/// How `pim_stock` treats a missing flow between two observed years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapFill {
    /// The stock stops at the first missing flow (no stock from that year on).
    #[default]
    None,
    /// Interior gaps are filled by linear interpolation in calendar time first (noted).
    Interpolate,
}

/// Parameters of `lp_spillover`.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpilloverSpec {
    /// Bilateral source of outward FDI (reporter = investor i, partner = host j).
    pub ofdi: String,
    /// Variable or series with the host's capital stock (or GDP) K_jt.
    pub capital: String,
    /// What a host without K_jt or S^d_jt does to the sum (default `missing`).
    #[serde(default)]
    pub missing_host: MissingHost,
}

/// Treatment of a host j with OFDI but missing (or zero) capital or R&D stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingHost {
    /// The investor's spillover for that year is missing.
    #[default]
    Missing,
    /// The host's term is left out of the sum (noted).
    Skip,
}

impl Transform {
    /// Checks the parameters (k ≥ 1, finite scale, 0 ≤ lower < upper ≤ 100, 0 < δ ≤ 1,
    /// growth_years ≥ 1); the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Transform::Lag(0) | Transform::Lead(0) => {
                Err(format!("`{self}` must shift by at least 1 year"))
            }
            Transform::Scale(c) if !c.is_finite() => Err("scale must be a finite number".into()),
            Transform::Winsorize(w)
                if !(0.0 <= w.lower && w.lower < w.upper && w.upper <= 100.0) =>
            {
                Err(format!(
                    "winsorize needs 0 <= lower < upper <= 100 (got lower = {}, upper = {})",
                    w.lower, w.upper
                ))
            }
            Transform::PimStock(p) if !(p.delta > 0.0 && p.delta <= 1.0) => {
                Err(format!("pim_stock needs 0 < delta <= 1 (got {})", p.delta))
            }
            Transform::PimStock(p) if p.growth_years == 0 => {
                Err("pim_stock needs growth_years >= 1".into())
            }
            _ => Ok(()),
        }
    }

    /// Other variables or series this transform reads (operands of ratio, interaction and
    /// the spillover's capital), not counting the bilateral OFDI source.
    pub fn operands(&self) -> Vec<&str> {
        match self {
            Transform::Ratio(v) | Transform::Interaction(v) => vec![v.as_str()],
            Transform::LpSpillover(s) => vec![s.capital.as_str()],
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transform::Log => write!(f, "log"),
            Transform::Log1p => write!(f, "log1p"),
            Transform::Asinh => write!(f, "asinh"),
            Transform::Diff => write!(f, "diff"),
            Transform::Growth => write!(f, "growth"),
            Transform::Standardize => write!(f, "standardize"),
            Transform::Lag(k) => write!(f, "lag = {k}"),
            Transform::Lead(k) => write!(f, "lead = {k}"),
            Transform::Scale(c) => write!(f, "scale = {c}"),
            Transform::Ratio(v) => write!(f, "ratio = \"{v}\""),
            Transform::Interaction(v) => write!(f, "interaction = \"{v}\""),
            Transform::Winsorize(w) => write!(
                f,
                "winsorize = {{ lower = {}, upper = {} }}",
                w.lower, w.upper
            ),
            Transform::PimStock(p) => write!(
                f,
                "pim_stock = {{ delta = {}, growth_years = {} }}",
                p.delta, p.growth_years
            ),
            Transform::LpSpillover(s) => write!(
                f,
                "lp_spillover = {{ ofdi = \"{}\", capital = \"{}\" }}",
                s.ofdi, s.capital
            ),
        }
    }
}

/// Deserializes a transform list from either one transform (`"log"`, `{ lag = 1 }`) or an
/// array of them; for `#[serde(deserialize_with = "one_or_many")]`.
pub fn one_or_many<'de, D>(deserializer: D) -> Result<Vec<Transform>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Vec<Transform>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a transform (\"log\", { lag = 1 }, ...) or a list of transforms")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Transform::deserialize(serde::de::value::StrDeserializer::new(v)).map(|t| vec![t])
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            Transform::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                .map(|t| vec![t])
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(t) = seq.next_element::<Transform>()? {
                out.push(t);
            }
            Ok(out)
        }
    }
    deserializer.deserialize_any(Visitor)
}

/// Cases (country, year) a transform set to missing or changed, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct TransformNote {
    /// What happened, e.g. "log of a non-positive value set to missing".
    pub message: String,
    /// The country-years concerned.
    pub cases: Vec<(String, i32)>,
}

/// A transformed series and its notes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Applied {
    /// The result.
    pub series: Series,
    /// Cases set to missing, filled or clipped, by reason.
    pub notes: Vec<TransformNote>,
}

impl Applied {
    fn with_dropped(series: Series, dropped: Vec<(String, i32)>, message: &str) -> Applied {
        let mut applied = Applied {
            series,
            notes: Vec::new(),
        };
        applied.note(message, dropped);
        applied
    }

    fn note(&mut self, message: impl Into<String>, cases: Vec<(String, i32)>) {
        if !cases.is_empty() {
            self.notes.push(TransformNote {
                message: message.into(),
                cases,
            });
        }
    }
}

/// ln x; non-positive values become missing (noted, not an error).
pub fn log(s: &Series) -> Applied {
    let (out, dropped) = s.map_values(|x| (x > 0.0).then(|| x.ln()));
    Applied::with_dropped(out, dropped, "log of a non-positive value set to missing")
}

/// ln(1 + x) (accurate near 0); x ≤ −1 becomes missing (noted).
pub fn log1p(s: &Series) -> Applied {
    let (out, dropped) = s.map_values(|x| (x > -1.0).then(|| x.ln_1p()));
    Applied::with_dropped(out, dropped, "log1p of a value <= -1 set to missing")
}

/// asinh x = ln(x + √(x² + 1)), the inverse hyperbolic sine (Bellemare and Wichman 2020,
/// "Elasticities and the inverse hyperbolic sine transformation", OBES 82(1)): close to
/// ln(2x) for large x, defined at zero and for negative values, so nothing is dropped. Rust's
/// `f64::asinh` keeps full precision near zero, where the textbook formula cancels.
pub fn asinh(s: &Series) -> Series {
    s.map_values(|x| Some(x.asinh())).0
}

/// Shifts by `k` calendar years: the result at (i, t) is x(i, t − k) (`k` < 0 is a lead).
/// A missing year in the input gives a missing lag; nothing is carried over a gap.
pub fn shift(s: &Series, k: i32) -> Series {
    let mut out = Series::new();
    for (c, y, v) in s.iter() {
        if let Some(t) = y.checked_add(k) {
            out.insert(c, t, v);
        }
    }
    out
}

/// x(i, t) − x(i, t − 1), present only when both calendar years are present.
pub fn diff(s: &Series) -> Series {
    let mut out = Series::new();
    for (c, y, v) in s.iter() {
        if let Some(prev) = y.checked_sub(1).and_then(|p| s.get(c, p)) {
            out.insert(c, y, v - prev);
        }
    }
    out
}

/// 100·(x(i, t)/x(i, t − 1) − 1) in percent; a zero previous value gives a missing growth
/// (noted).
pub fn growth(s: &Series) -> Applied {
    let mut out = Series::new();
    let mut dropped = Vec::new();
    for (c, y, v) in s.iter() {
        if let Some(prev) = y.checked_sub(1).and_then(|p| s.get(c, p)) {
            if prev == 0.0 {
                dropped.push((c.to_string(), y));
            } else {
                out.insert(c, y, 100.0 * (v / prev - 1.0));
            }
        }
    }
    Applied::with_dropped(
        out,
        dropped,
        "growth over a zero previous value set to missing",
    )
}

/// c·x.
pub fn scale(s: &Series, c: f64) -> Series {
    s.map_values(|x| Some(c * x)).0
}

/// a / b where both are present; b = 0 gives missing (noted).
pub fn ratio(a: &Series, b: &Series) -> Applied {
    let mut out = Series::new();
    let mut dropped = Vec::new();
    for (c, y, x) in a.iter() {
        if let Some(d) = b.get(c, y) {
            if d == 0.0 {
                dropped.push((c.to_string(), y));
            } else {
                out.insert(c, y, x / d);
            }
        }
    }
    Applied::with_dropped(out, dropped, "ratio with a zero denominator set to missing")
}

/// a · b where both are present.
pub fn interaction(a: &Series, b: &Series) -> Series {
    let mut out = Series::new();
    for (c, y, x) in a.iter() {
        if let Some(z) = b.get(c, y) {
            out.insert(c, y, x * z);
        }
    }
    out
}

/// The values of `s` at the country-years for which `in_sample` holds, ascending.
fn sample_values(s: &Series, in_sample: &dyn Fn(&str, i32) -> bool) -> Vec<f64> {
    let mut xs: Vec<f64> = s
        .iter()
        .filter(|(c, y, _)| in_sample(c, *y))
        .map(|(_, _, v)| v)
        .collect();
    xs.sort_by(f64::total_cmp);
    xs
}

/// (x − x̄)/s with x̄ and s (divisor n − 1) over the sample's country-years, applied to every
/// value. Errors if fewer than 2 sample values or s = 0.
pub fn standardize(s: &Series, in_sample: &dyn Fn(&str, i32) -> bool) -> Result<Series, String> {
    let xs = sample_values(s, in_sample);
    match mean_sd(&xs) {
        Some((mean, Some(sd))) if sd > 0.0 => Ok(s.map_values(|x| Some((x - mean) / sd)).0),
        Some((_, Some(_))) => {
            Err("standardize: the variable is constant in the sample (sd = 0)".into())
        }
        _ => Err(format!(
            "standardize needs at least 2 values in the sample, found {}",
            xs.len()
        )),
    }
}

/// Clips every value to [q_lower, q_upper], the sample's percentiles by the Stata `_pctile`
/// rule ([`stata_percentile`]). Clipped sample cells are noted.
pub fn winsorize(
    s: &Series,
    spec: WinsorizeSpec,
    in_sample: &dyn Fn(&str, i32) -> bool,
) -> Result<Applied, String> {
    let xs = sample_values(s, in_sample);
    let (Some(lo), Some(hi)) = (
        stata_percentile(&xs, spec.lower),
        stata_percentile(&xs, spec.upper),
    ) else {
        return Err("winsorize: the variable has no value in the sample".into());
    };
    let mut out = Series::new();
    let mut clipped = Vec::new();
    for (c, y, v) in s.iter() {
        let w = v.clamp(lo, hi);
        if w != v && in_sample(c, y) {
            clipped.push((c.to_string(), y));
        }
        out.insert(c, y, w);
    }
    let message = format!(
        "winsorized to [{lo}, {hi}] (sample percentiles {} and {})",
        spec.lower, spec.upper
    );
    Ok(Applied::with_dropped(out, clipped, &message))
}

/// Perpetual-inventory stock of a flow I (e.g. R&D expenditure), per country:
///
/// 1. With `fill = "interpolate"`, interior gaps of I are first filled linearly in calendar
///    time, I_t = I_a + (I_b − I_a)(t − a)/(b − a) between observed years a < t < b (noted).
/// 2. y₀ = the first year with a flow. g = arithmetic mean of the annual growth rates
///    I_t/I_{t−1} − 1 for t = y₀+1, …, y₀+`growth_years`, using the consecutive calendar years
///    available from y₀ (fewer than `growth_years` → noted; none, or a zero flow before a
///    growth rate → no stock for the country, noted).
/// 3. S_{y₀} = I_{y₀}/(g + δ) (Griliches 1980; Coe and Helpman 1995, the initial stock
///    formula), requiring g + δ > 0 (else no stock, noted).
/// 4. S_t = (1 − δ) S_{t−1} + I_t for t = y₀+1, y₀+2, … while I_t is present. The first
///    missing flow ends the stock: later years have no stock (noted), because a stock cannot
///    be accumulated over an unknown flow.
pub fn pim_stock(flow: &Series, spec: PimSpec) -> Applied {
    let mut applied = Applied::default();
    let mut filled = Vec::new();
    let mut short_growth = Vec::new();
    let mut no_growth = Vec::new();
    let mut nonpositive = Vec::new();
    let mut after_gap = Vec::new();
    let delta = spec.delta;
    for (country, years) in flow.countries() {
        let flows = match spec.fill {
            GapFill::None => years.clone(),
            GapFill::Interpolate => interpolate_gaps(country, years, &mut filled),
        };
        let Some((&y0, &i0)) = flows.iter().next() else {
            continue;
        };
        let every_year = || {
            flows
                .keys()
                .map(|&y| (country.to_string(), y))
                .collect::<Vec<_>>()
        };
        let Some(g) = initial_growth(&flows, y0, spec.growth_years, country, &mut short_growth)
        else {
            no_growth.extend(every_year());
            continue;
        };
        if g + delta <= 0.0 {
            nonpositive.extend(every_year());
            continue;
        }
        let mut stock = i0 / (g + delta);
        applied.series.insert(country, y0, stock);
        let mut last = y0;
        while let Some((t, &i_t)) = last.checked_add(1).and_then(|t| Some((t, flows.get(&t)?))) {
            stock = (1.0 - delta) * stock + i_t;
            applied.series.insert(country, t, stock);
            last = t;
        }
        after_gap.extend(
            flows
                .range(last..)
                .skip(1)
                .map(|(&y, _)| (country.to_string(), y)),
        );
    }
    applied.note(
        "pim_stock: missing flow filled by linear interpolation",
        filled,
    );
    applied.note(
        format!(
            "pim_stock: initial growth averaged over fewer than {} years (short or interrupted series)",
            spec.growth_years
        ),
        short_growth,
    );
    applied.note(
        "pim_stock: no stock (no growth rate in the first years: a single year before a gap, or a zero flow)",
        no_growth,
    );
    applied.note("pim_stock: no stock (initial g + delta <= 0)", nonpositive);
    applied.note(
        "pim_stock: no stock after a missing flow (the accumulation stops at the first gap)",
        after_gap,
    );
    applied
}

/// Mean of the first `n` annual growth rates from y0 over consecutive calendar years, or None
/// if not even one is available. A shortfall is recorded once per country in `short` (as
/// the country's first year).
fn initial_growth(
    flows: &BTreeMap<i32, f64>,
    y0: i32,
    n: u32,
    country: &str,
    short: &mut Vec<(String, i32)>,
) -> Option<f64> {
    let mut rates = Vec::new();
    let mut previous = y0;
    while rates.len() < n as usize {
        let Some(t) = previous.checked_add(1) else {
            break;
        };
        let (Some(&prev), Some(&cur)) = (flows.get(&previous), flows.get(&t)) else {
            break;
        };
        if prev == 0.0 {
            break;
        }
        rates.push(cur / prev - 1.0);
        previous = t;
    }
    if rates.is_empty() {
        return None;
    }
    if rates.len() < n as usize {
        short.push((country.to_string(), y0));
    }
    Some(rates.iter().sum::<f64>() / rates.len() as f64)
}

/// Fills interior calendar gaps linearly; filled cells are appended to `filled`.
fn interpolate_gaps(
    country: &str,
    years: &BTreeMap<i32, f64>,
    filled: &mut Vec<(String, i32)>,
) -> BTreeMap<i32, f64> {
    let mut out = years.clone();
    let observed: Vec<(i32, f64)> = years.iter().map(|(&y, &v)| (y, v)).collect();
    for pair in observed.windows(2) {
        let [(a, ia), (b, ib)] = [pair[0], pair[1]];
        for t in (a + 1)..b {
            let w = (i64::from(t) - i64::from(a)) as f64 / (i64::from(b) - i64::from(a)) as f64;
            out.insert(t, ia + (ib - ia) * w);
            filled.push((country.to_string(), t));
        }
    }
    out
}

/// Foreign R&D spillover through outward FDI (Lichtenberg and van Pottelsberghe de la Potterie
/// 1998/2001): S^f_it = Σ_{j ≠ i} (OFDI_ijt / K_jt) · S^d_jt, where OFDI_ijt is investor i's
/// outward FDI in host j (the bilateral table: reporter i, partner j), K_jt the host's capital
/// stock (or GDP) and S^d_jt the host's domestic R&D stock (`rd_stock`, the series being
/// transformed). The sum runs over the hosts listed for (i, t); an investor with no row for
/// year t has a missing spillover (not zero). A host with missing or zero K_jt or missing
/// S^d_jt makes S^f_it missing (`missing_host = "missing"`) or drops the host's term
/// (`"skip"`); both are noted. Rows with j = i are ignored (noted).
pub fn lp_spillover(
    rd_stock: &Series,
    ofdi: &Bilateral,
    capital: &Series,
    missing_host: MissingHost,
) -> Applied {
    let mut applied = Applied::default();
    let mut incomplete = Vec::new();
    let mut hosts_missing: BTreeSet<String> = BTreeSet::new();
    let mut own = Vec::new();
    for (i, t, partners) in ofdi.by_reporter_year() {
        let mut sum = 0.0;
        let mut complete = true;
        for (j, &flow) in partners {
            if j == i {
                own.push((i.to_string(), t));
                continue;
            }
            match (capital.get(j, t), rd_stock.get(j, t)) {
                (Some(k), Some(s)) if k != 0.0 => sum += flow / k * s,
                _ => {
                    complete = false;
                    hosts_missing.insert(j.clone());
                }
            }
        }
        if !complete {
            incomplete.push((i.to_string(), t));
        }
        if complete || missing_host == MissingHost::Skip {
            applied.series.insert(i, t, sum);
        }
    }
    let hosts = hosts_missing.into_iter().collect::<Vec<_>>().join(", ");
    let message = match missing_host {
        MissingHost::Missing => format!(
            "lp_spillover set to missing: a host lacks capital (or it is zero) or R&D stock (hosts: {hosts})"
        ),
        MissingHost::Skip => format!(
            "lp_spillover: hosts without capital (or zero) or R&D stock left out of the sum (hosts: {hosts})"
        ),
    };
    applied.note(message, incomplete);
    applied.note("lp_spillover: OFDI of a country in itself ignored", own);
    applied
}

#[cfg(test)]
mod tests {
    /// Every row of TRANSFORMS parses as the transform it names, and every variant has a row.
    #[test]
    fn transform_table_is_complete_and_parses() {
        for (name, example) in TRANSFORMS {
            let doc: toml::Value = toml::from_str(&format!("t = {example}")).unwrap();
            let json = serde_json::to_value(&doc["t"]).unwrap();
            let t: Transform = serde_json::from_value(json).unwrap();
            let tag = match serde_json::to_value(&t).unwrap() {
                serde_json::Value::String(s) => s,
                serde_json::Value::Object(m) => m.keys().next().unwrap().clone(),
                other => panic!("{other}"),
            };
            assert_eq!(&tag, name);
        }
        // A variant without a row would not be listed in the spec's help: count the variants
        // through an exhaustive match.
        let variants = |t: &Transform| match t {
            Transform::Log
            | Transform::Log1p
            | Transform::Asinh
            | Transform::Diff
            | Transform::Growth
            | Transform::Standardize
            | Transform::Lag(_)
            | Transform::Lead(_)
            | Transform::Scale(_)
            | Transform::Ratio(_)
            | Transform::Interaction(_)
            | Transform::Winsorize(_)
            | Transform::PimStock(_)
            | Transform::LpSpillover(_) => 14,
        };
        assert_eq!(variants(&Transform::Log), TRANSFORMS.len());
    }

    use super::*;

    fn series(rows: &[(&str, i32, f64)]) -> Series {
        Series::from_triples(rows.iter().map(|&(c, y, v)| (c, y, v))).unwrap()
    }

    /// Against ln(x + √(x² + 1)) computed with 50-digit decimals (Python `decimal`) and rounded to
    /// f64, and the exact values at 0 and 1e-9 (asinh x = x − x³/6 + …).
    #[test]
    fn asinh_matches_the_closed_form() {
        let a = asinh(&series(&[
            ("A", 1, 0.0),
            ("A", 2, 1.0),
            ("A", 3, -2.5),
            ("A", 4, 1e-9),
            ("A", 5, 1234.5),
            ("A", 6, 1e8),
        ]));
        let expected = [
            (1, 0.0),
            (2, 0.881_373_587_019_543),
            (3, -1.647_231_146_371_095_7),
            (4, 1e-9),
            (5, 7.811_568_653_388_183),
            (6, 19.113_827_924_512_31),
        ];
        for (year, want) in expected {
            let got = a.get("A", year).unwrap();
            assert!(
                (got - want).abs() <= 1e-15 * want.abs().max(1e-300),
                "asinh at year {year}: {got} vs {want}"
            );
        }
        assert_eq!(a.len(), 6, "asinh drops nothing");
    }

    #[test]
    fn log_drops_nonpositive_with_note() {
        let a = log(&series(&[
            ("A", 1, 1.0),
            ("A", 2, 0.0),
            ("A", 3, -2.0),
            ("A", 4, std::f64::consts::E),
        ]));
        assert_eq!(a.series.get("A", 1), Some(0.0));
        assert_eq!(a.series.get("A", 4), Some(1.0));
        assert_eq!(a.series.len(), 2);
        assert_eq!(a.notes.len(), 1);
        assert_eq!(
            a.notes[0].cases,
            vec![("A".to_string(), 2), ("A".to_string(), 3)]
        );
    }

    #[test]
    fn lag_respects_calendar_gaps() {
        let s = series(&[("A", 2000, 1.0), ("A", 2001, 2.0), ("A", 2003, 4.0)]);
        let l = shift(&s, 1);
        assert_eq!(l.get("A", 2001), Some(1.0));
        assert_eq!(l.get("A", 2002), Some(2.0));
        assert_eq!(l.get("A", 2003), None); // 2002 is missing in the input
        assert_eq!(l.get("A", 2004), Some(4.0));
        let lead = shift(&s, -1);
        assert_eq!(lead.get("A", 2000), Some(2.0));
        assert_eq!(lead.get("A", 2002), Some(4.0));
        let d = diff(&s);
        assert_eq!(d.get("A", 2001), Some(1.0));
        assert_eq!(d.get("A", 2003), None);
        let g = growth(&s);
        assert_eq!(g.series.get("A", 2001), Some(100.0));
    }

    #[test]
    fn ratio_and_interaction_align_on_keys() {
        let a = series(&[("A", 1, 6.0), ("A", 2, 3.0), ("B", 1, 1.0)]);
        let b = series(&[("A", 1, 2.0), ("A", 2, 0.0)]);
        let r = ratio(&a, &b);
        assert_eq!(r.series.get("A", 1), Some(3.0));
        assert_eq!(r.series.len(), 1);
        assert_eq!(r.notes[0].cases, vec![("A".to_string(), 2)]);
        let i = interaction(&a, &b);
        assert_eq!(
            (i.get("A", 1), i.get("A", 2), i.get("B", 1)),
            (Some(12.0), Some(0.0), None)
        );
    }

    #[test]
    fn standardize_and_winsorize_use_sample_statistics() {
        let s = series(&[("A", 1, 1.0), ("A", 2, 2.0), ("A", 3, 3.0), ("A", 4, 100.0)]);
        let in_sample = |_: &str, y: i32| y <= 3;
        let z = standardize(&s, &in_sample).unwrap();
        // sample mean 2, sd 1
        assert_eq!(z.get("A", 1), Some(-1.0));
        assert_eq!(z.get("A", 4), Some(98.0));
        // n = 3, p = 50: P = 1.5 → x(2) = 2; p = 10: P = 0.3 → x(1) = 1
        let w = winsorize(
            &s,
            WinsorizeSpec {
                lower: 10.0,
                upper: 50.0,
            },
            &in_sample,
        )
        .unwrap();
        assert_eq!(w.series.get("A", 3), Some(2.0));
        assert_eq!(w.series.get("A", 4), Some(2.0));
        assert_eq!(w.notes[0].cases, vec![("A".to_string(), 3)]); // only sample cells noted
        let constant = series(&[("A", 1, 1.0), ("A", 2, 1.0)]);
        assert!(standardize(&constant, &|_: &str, _| true).is_err());
    }

    /// The winsorize bound is Stata's `_pctile` percentile, with n·p/100 an integer decided on
    /// the decimal p: n = 250, upper = 64.4 → P = 161, bound (x(161) + x(162))/2 = 161.5
    /// (issue #14: the panel's own percentile function answered x(162) = 162).
    #[test]
    fn winsorize_bound_at_an_integer_position() {
        let s = Series::from_triples((1..=250).map(|y| ("A", 1000 + y, f64::from(y)))).unwrap();
        let w = winsorize(
            &s,
            WinsorizeSpec {
                lower: 0.0,
                upper: 64.4,
            },
            &|_: &str, _| true,
        )
        .unwrap();
        assert_eq!(w.series.get("A", 1250), Some(161.5));
        assert_eq!(w.series.get("A", 1161), Some(161.0));
    }

    #[test]
    fn pim_stock_by_hand() {
        // I = 100, 110, 121 (g = mean(0.10, 0.10) = 0.10), δ = 0.10, growth_years = 2:
        // S_0 = 100/(0.10 + 0.10) = 500; S_1 = 0.9·500 + 110 = 560; S_2 = 0.9·560 + 121 = 625
        let s = series(&[("A", 2000, 100.0), ("A", 2001, 110.0), ("A", 2002, 121.0)]);
        let spec = PimSpec {
            delta: 0.1,
            growth_years: 2,
            fill: GapFill::None,
        };
        let a = pim_stock(&s, spec);
        assert!((a.series.get("A", 2000).unwrap() - 500.0).abs() < 1e-9);
        assert!((a.series.get("A", 2001).unwrap() - 560.0).abs() < 1e-9);
        assert!((a.series.get("A", 2002).unwrap() - 625.0).abs() < 1e-9);
        assert!(a.notes.is_empty());
    }

    #[test]
    fn validation_messages() {
        assert!(Transform::Lag(0).validate().is_err());
        assert!(Transform::Winsorize(WinsorizeSpec {
            lower: 99.0,
            upper: 1.0
        })
        .validate()
        .is_err());
        assert!(Transform::PimStock(PimSpec {
            delta: 0.0,
            growth_years: 5,
            fill: GapFill::None
        })
        .validate()
        .is_err());
        assert!(Transform::Scale(f64::NAN).validate().is_err());
        assert!(Transform::Lag(2).validate().is_ok());
    }
}
