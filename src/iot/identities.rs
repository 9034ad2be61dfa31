//! Accounting identities of the table and the Leontief core (reference/decomposition.md §10,
//! I1–I5), each reported as its largest relative residual and where it occurs. The measures
//! in `crate::decompose` use the same [`Worst`] accumulator for I6–I8 and I13–I18.

use ndarray::{Array1, Array2};

use crate::iot::dense::{self, matmul, matvec};
use crate::iot::{IoTable, Leontief};

/// The largest residual of one identity: what the engine records in run.json.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IdentityResidual {
    /// Identity number of reference §10, e.g. "I3".
    pub id: String,
    /// What the identity states, e.g. "(I − A) B = I".
    pub name: String,
    /// Largest relative residual |lhs − rhs| / scale.
    #[serde(with = "nullable_f64")]
    pub residual: f64,
    /// Tolerance the residual was checked against (infinite: reported, not checked).
    #[serde(with = "nullable_f64")]
    pub tolerance: f64,
    /// Where the largest residual occurs (country, entry label or matrix cell).
    pub at: String,
}

/// JSON has no infinity or NaN: a non-finite number is written as `null` and read back as NaN
/// (so a stored residual record always reads back).
mod nullable_f64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// An identity that fails beyond its tolerance.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("identity {id} ({name}) fails: largest relative residual {residual:.3e} exceeds {tolerance:.1e} at {at}")]
pub struct IdentityError {
    pub id: String,
    pub name: String,
    pub residual: f64,
    pub tolerance: f64,
    pub at: String,
}

/// Tracks the worst relative residual of one identity over many places.
#[derive(Debug, Clone)]
pub struct Worst {
    id: &'static str,
    name: &'static str,
    tolerance: f64,
    residual: f64,
    at: String,
}

impl Worst {
    /// Starts tracking identity `id` ("I6") stating `name`, checked at `tolerance`.
    pub fn new(id: &'static str, name: &'static str, tolerance: f64) -> Self {
        Worst {
            id,
            name,
            tolerance,
            residual: 0.0,
            at: String::from("-"),
        }
    }

    /// Records |lhs − rhs| / max(|lhs|, |rhs|, floor); `at` is only built for a new worst.
    /// `floor` is the absolute scale below which differences count as rounding (reference §10:
    /// "an absolute floor like 1e-12·scale for values that are essentially zero").
    pub fn observe(&mut self, lhs: f64, rhs: f64, floor: f64, at: impl FnOnce() -> String) {
        let denom = lhs.abs().max(rhs.abs()).max(floor).max(f64::MIN_POSITIVE);
        let r = (lhs - rhs).abs() / denom;
        let r = if r.is_nan() { f64::INFINITY } else { r };
        if r > self.residual || (self.at == "-" && r >= self.residual) {
            self.residual = r;
            self.at = at();
        }
    }

    /// The residual, or an error naming the identity and the worst place.
    pub fn finish(self) -> Result<IdentityResidual, IdentityError> {
        if self.residual > self.tolerance {
            return Err(IdentityError {
                id: self.id.to_string(),
                name: self.name.to_string(),
                residual: self.residual,
                tolerance: self.tolerance,
                at: self.at,
            });
        }
        Ok(IdentityResidual {
            id: self.id.to_string(),
            name: self.name.to_string(),
            residual: self.residual,
            tolerance: self.tolerance,
            at: self.at,
        })
    }
}

/// How strictly [`check_core_identities`] checks.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityOptions {
    /// Relative tolerance of exact identities (reference §10: 1e-9).
    pub tolerance: f64,
    /// `true` when x was read from the table rather than recomputed as rowSums(Z) + rowSums(Y):
    /// I1 is then only reported (unless `read_output_tolerance` is set); I4 accounts for the
    /// discrepancy d exactly, so it is checked at `tolerance` either way.
    pub output_read: bool,
    /// Fail I1 beyond this relative discrepancy even when x was read.
    pub read_output_tolerance: Option<f64>,
    /// How I3 (I − A)B = I is checked: on every entry (one extra n×n matmul) or by
    /// [`PROBES`] random-sign probes in O(n²) ([`InverseCheck`]).
    pub inverse_check: InverseCheck,
}

/// How identity I3, (I − A)B = I, is checked (`[decomposition] checks`).
///
/// - `probe` (default): Freivalds-style. With R the n × [`PROBES`] matrix of fixed random
///   signs r_ik = ±1, the residual is E R with E = (I − A)B − I, computed as BR − A(BR) − R in
///   O(n²) flops. For one sign vector and any row i, (E r)_i = E_ij r_j + (the rest), and the
///   rest does not depend on r_j, so |(E r)_i| ≥ |E_ij| for at least one of r_j = ±1:
///   the probe sees the worst entry of a row with probability ≥ 1/2, and [`PROBES`]
///   independent vectors miss it with probability ≤ 2^−PROBES (1.5 × 10⁻⁵). A probe residual
///   is never more than Σ_j |E_ij| ≤ n max_j |E_ij|, so a correct inverse
///   (|E_ij| ≈ 10⁻¹⁶) passes the 10⁻⁹ tolerance at any table size of MRIO databases.
/// - `exact`: every entry of (I − A)B, one n × n matmul (≈ 0.6 × the inverse itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InverseCheck {
    #[default]
    Probe,
    Exact,
}

impl crate::choice::Choice for InverseCheck {
    const WHAT: &'static str = "identity check";
    const ALL: &'static [Self] = &[InverseCheck::Probe, InverseCheck::Exact];
    fn name(self) -> &'static str {
        match self {
            InverseCheck::Probe => "probe",
            InverseCheck::Exact => "exact",
        }
    }
}

crate::choice_serde!(InverseCheck);

/// Number of random-sign probe vectors of [`InverseCheck::Probe`].
pub const PROBES: usize = 16;

/// The fixed sign r_ik = ±1 of probe `k` at row `i`: one bit of the splitmix64 finaliser
/// (Steele, Lea & Flood 2014) of (k, i), so every run draws the same vectors.
fn probe_sign(k: usize, i: usize) -> f64 {
    let z = crate::rng::mix64(((k as u64) << 40 ^ i as u64).wrapping_add(crate::rng::GAMMA));
    if z & 1 == 1 {
        1.0
    } else {
        -1.0
    }
}

impl Default for IdentityOptions {
    fn default() -> Self {
        IdentityOptions {
            tolerance: 1e-9,
            output_read: false,
            read_output_tolerance: None,
            inverse_check: InverseCheck::Probe,
        }
    }
}

/// Checks I1–I5 of reference §10 on a table and its Leontief core.
///
/// - I1 rowSums(Z) + rowSums(Y) = x, relative to |x_i|.
/// - I2 colSums(V̂B) = 1 where x_j > 0 (0 for zero-output placeholder columns).
/// - I3 (I − A)B = I (max abs over entries), and B = L + L A^F B on B·1 and B·Y.
/// - I4 B·(Y·1 + d) = x relative to x, with d = x − rowSums(Z) − rowSums(Y) the table's own
///   discrepancy (0 when x is recomputed); V̂B(Y·1 + d) = va; colSums(V̂BY) = final demand
///   per country; Σ va = Σ Y + Σ d.
/// - I5 colSums(V̂BÊ) = E and colSums(V̂BX̂) = x.
pub fn check_core_identities(
    table: &IoTable,
    leontief: &Leontief,
    options: &IdentityOptions,
) -> Result<Vec<IdentityResidual>, IdentityError> {
    let n = table.n();
    let labels: Vec<String> = table.labels.iter().map(|l| l.to_string()).collect();
    let tol = options.tolerance;
    let xscale = leontief.x.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let floor = 1e-12 * xscale.max(f64::MIN_POSITIVE);
    let mut out = Vec::new();

    // I1
    let i1_tol = if options.output_read {
        options.read_output_tolerance.unwrap_or(f64::INFINITY)
    } else {
        tol
    };
    let rows_total = table.output_from_rows();
    let mut i1 = Worst::new("I1", "rowSums(Z) + rowSums(Y) = x", i1_tol);
    for i in 0..n {
        i1.observe(rows_total[i], leontief.x[i], floor, || labels[i].clone());
    }
    out.push(i1.finish()?);

    // I2
    let w = leontief.b_apply_left(&leontief.v);
    let mut i2 = Worst::new("I2", "colSums(V̂B) = 1 where x > 0", tol);
    for j in 0..n {
        let target = if leontief.x[j] != 0.0 { 1.0 } else { 0.0 };
        i2.observe(w[j], target, 1.0, || labels[j].clone());
    }
    out.push(i2.finish()?);

    // I3
    let mut i3 = Worst::new("I3", "(I − A)B = I and B = L + L·A^F·B", tol);
    let y = table.y_by_country();
    match options.inverse_check {
        InverseCheck::Exact => {
            check_inverse_exactly(leontief, &labels, &mut i3);
            check_split_on_final_demand(table, leontief, &y, &labels, &mut i3);
        }
        InverseCheck::Probe => check_inverse_by_probes(leontief, &labels, &mut i3),
    }
    out.push(i3.finish()?);

    // I4. With x read from the table, d = x − rowSums(Z) − rowSums(Y) ≠ 0 and the exact
    // identities are B·(Y·1 + d) = x and Σva = ΣY + Σd; d = 0 when x is recomputed, so one
    // check serves both and stays at the exact tolerance.
    let mut i4 = Worst::new(
        "I4",
        "B·(Y·1 + d) = x; V̂B(Y·1 + d) = va; V̂BY columns = final demand of rows with x > 0; Σva = ΣY + Σd (d = x − rowSums(Z) − rowSums(Y))",
        tol,
    );
    let ytot: Vec<f64> = (0..n)
        .map(|i| (0..y.ncols()).map(|c| y[[i, c]]).sum())
        .collect();
    let gap = &leontief.output_gap;
    let y_and_gap: Array1<f64> = ytot.iter().zip(gap).map(|(a, d)| a + d).collect();
    let byt = matvec(&leontief.b, &y_and_gap);
    for i in 0..n {
        i4.observe(byt[i], leontief.x[i], floor, || {
            format!("B·(Y·1 + d) at {}", labels[i])
        });
        let vaf = leontief.v[i] * byt[i];
        i4.observe(vaf, leontief.va[i], floor, || {
            format!("V̂B(Y·1 + d) at {}", labels[i])
        });
    }
    for c in 0..y.ncols() {
        // colSums(V̂BY_c) = (v'B)·Y_c = w·Y_c with w of I2: one pass over Y, not B·Y.
        let col: f64 = (0..n).map(|i| w[i] * y[[i, c]]).sum();
        // vB is 1 where x > 0 and 0 on zero-output rows (I2), whose final demand is not
        // value added anywhere.
        let fd: f64 = (0..n)
            .filter(|&i| leontief.x[i] != 0.0)
            .map(|i| y[[i, c]])
            .sum();
        i4.observe(col, fd, floor, || {
            format!("colSums(V̂BY) of {}", table.countries[c])
        });
    }
    let sum_va: f64 = leontief.va.iter().sum();
    let sum_y: f64 = y_and_gap.iter().sum();
    i4.observe(sum_va, sum_y, floor, || {
        "world: Σ va vs Σ Y + Σ d".to_string()
    });
    out.push(i4.finish()?);

    // I5
    let exports = total_exports(table);
    let mut i5 = Worst::new("I5", "colSums(V̂BÊ) = E, colSums(V̂BX̂) = x", tol);
    for j in 0..n {
        if leontief.x[j] == 0.0 {
            continue;
        }
        i5.observe(w[j] * exports[j], exports[j], floor, || {
            format!("exports of {}", labels[j])
        });
        i5.observe(w[j] * leontief.x[j], leontief.x[j], floor, || {
            format!("output of {}", labels[j])
        });
    }
    out.push(i5.finish()?);
    Ok(out)
}

/// I3 on every entry: (I − A)B against I, one n × n matmul.
fn check_inverse_exactly(leontief: &Leontief, labels: &[String], i3: &mut Worst) {
    let n = leontief.n();
    let ab = matmul(&leontief.a, &leontief.b);
    for j in 0..n {
        for i in 0..n {
            let lhs = leontief.b[[i, j]] - ab[[i, j]];
            let rhs = if i == j { 1.0 } else { 0.0 };
            if (lhs - rhs).abs() > i3.current() {
                i3.observe(lhs, rhs, 1.0, || format!("({}, {})", labels[i], labels[j]));
            }
        }
    }
}

/// I3 by [`PROBES`] random-sign probes R ([`InverseCheck::Probe`]), both halves from one
/// product BR and one A·BR: (BR − A·BR) against R, and BR against L(R + A^F·BR), where
/// A^F·BR = A·BR − Σ_c A^{cc}(BR)^c costs only the diagonal blocks.
fn check_inverse_by_probes(leontief: &Leontief, labels: &[String], i3: &mut Worst) {
    let n = leontief.n();
    let r = dense::from_fn(n, PROBES, |(i, k)| probe_sign(k, i));
    let br = matmul(&leontief.b, &r);
    let abr = matmul(&leontief.a, &br);
    for k in 0..PROBES {
        for i in 0..n {
            let lhs = br[[i, k]] - abr[[i, k]];
            i3.observe(lhs, r[[i, k]], 1.0, || {
                format!("row {} of (I − A)B·r, probe {k}", labels[i])
            });
        }
    }
    let mut r_plus_afbr = abr;
    leontief.subtract_domestic_apply_mat(&br, &mut r_plus_afbr);
    r_plus_afbr += &r;
    let rhs = leontief.local_apply_mat(&r_plus_afbr);
    observe_columns(&br, &rhs, i3, |i, k| {
        format!("row {} of B·r against L(r + A^F·B·r), probe {k}", labels[i])
    });
}

/// Observes lhs against rhs entry by entry, each column relative to its largest |lhs|.
fn observe_columns(
    lhs: &Array2<f64>,
    rhs: &Array2<f64>,
    worst: &mut Worst,
    at: impl Fn(usize, usize) -> String,
) {
    for k in 0..lhs.ncols() {
        let scale = (0..lhs.nrows())
            .fold(0.0_f64, |m, i| m.max(lhs[[i, k]].abs()))
            .max(f64::MIN_POSITIVE);
        for i in 0..lhs.nrows() {
            worst.observe(lhs[[i, k]], rhs[[i, k]], scale, || at(i, k));
        }
    }
}

/// The second half of I3 in exact mode: B = L + L·A^F·B on B·1 and B·Y (one column per
/// country), i.e. B·P against L(P + A^F·B·P) with P = [1, Y].
fn check_split_on_final_demand(
    table: &IoTable,
    leontief: &Leontief,
    y: &Array2<f64>,
    labels: &[String],
    i3: &mut Worst,
) {
    let n = leontief.n();
    let probes = dense::from_fn(
        n,
        y.ncols() + 1,
        |(i, k)| if k == 0 { 1.0 } else { y[[i, k - 1]] },
    );
    let bp = matmul(&leontief.b, &probes);
    let mut p_plus_afbp = leontief.foreign_apply_mat(&bp);
    p_plus_afbp += &probes;
    let rhs = leontief.local_apply_mat(&p_plus_afbp);
    observe_columns(&bp, &rhs, i3, |i, k| {
        if k == 0 {
            format!("B·1 at {}", labels[i])
        } else {
            format!("B·Y[:, {}] at {}", table.countries[k - 1], labels[i])
        }
    });
}

impl Worst {
    /// The absolute-residual threshold below which a new observation cannot be the worst
    /// when its scale is 1 (a cheap pre-filter for the n² loop of I3).
    fn current(&self) -> f64 {
        self.residual
    }
}

/// Total gross exports E (n): Σ_{r ≠ s} (Z^{sr}1 + Y^{sr}) for each row of country s (reference §0).
pub fn total_exports(table: &IoTable) -> Array1<f64> {
    let n = table.n();
    let f = table.f();
    let rc = &table.row_country;
    let mut e = Array1::zeros(n);
    for j in 0..n {
        for i in 0..n {
            if rc[i] != rc[j] {
                e[i] += table.z[[i, j]];
            }
        }
    }
    for (i, ei) in e.iter_mut().enumerate() {
        for c in 0..table.g() {
            if c != rc[i] {
                *ei += (0..f).map(|k| table.y[[i, c * f + k]]).sum::<f64>();
            }
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_keeps_largest_and_fails_beyond_tolerance() {
        let mut w = Worst::new("I0", "test", 1e-9);
        w.observe(1.0, 1.0, 1.0, || "a".into());
        w.observe(2.0, 2.0 + 1e-12, 1.0, || "b".into());
        w.observe(3.0, 3.0 + 3e-12, 1.0, || "c".into());
        let r = w.clone().finish().unwrap();
        assert_eq!(r.at, "c");
        assert!((r.residual - 1e-12).abs() < 1e-15);
        w.observe(1.0, 2.0, 1.0, || "d".into());
        let e = w.finish().unwrap_err();
        assert_eq!(e.at, "d");
        assert_eq!(e.id, "I0");
    }

    /// A 3-country, 2-sector table with positive flows everywhere (x from the rows).
    fn small_leontief() -> (Leontief, Vec<String>) {
        use crate::iot::{EntryLabel, IoTable};
        let n = 6;
        let countries: Vec<String> = ["AAA", "BBB", "CCC"].map(String::from).to_vec();
        let labels: Vec<EntryLabel> = (0..n)
            .map(|i| EntryLabel::new(&countries[i / 2], if i % 2 == 0 { "s1" } else { "s2" }))
            .collect();
        let mut t = IoTable {
            year: None,
            countries: countries.clone(),
            fd_categories: vec!["F".into()],
            labels,
            row_country: (0..n).map(|i| i / 2).collect(),
            z: dense::from_fn(n, n, |(i, j)| 1.0 + ((i * 5 + j * 3) % 7) as f64),
            y: dense::from_fn(n, 3, |(i, c)| 20.0 + ((i + 2 * c) % 5) as f64),
            x: Array1::zeros(n),
            primary_inputs: vec![],
        };
        t.x = t.output_from_rows();
        let names = t.labels.iter().map(|l| l.to_string()).collect();
        (Leontief::new(&t).unwrap(), names)
    }

    #[test]
    fn both_inverse_checks_pass_a_correct_inverse_and_catch_one_wrong_entry() {
        let (mut l, labels) = small_leontief();
        for check in [check_inverse_exactly, check_inverse_by_probes] {
            let mut i3 = Worst::new("I3", "test", 1e-9);
            check(&l, &labels, &mut i3);
            assert!(i3.finish().unwrap().residual < 1e-13);
        }
        std::sync::Arc::make_mut(&mut l.b)[[4, 1]] += 1e-6;
        let mut exact = Worst::new("I3", "test", 1e-9);
        check_inverse_exactly(&l, &labels, &mut exact);
        let exact = exact.finish().unwrap_err();
        let mut probe = Worst::new("I3", "test", 1e-9);
        check_inverse_by_probes(&l, &labels, &mut probe);
        let probe = probe.finish().unwrap_err();
        // The exact check names the cell; the probe its row (entry 4 = CCC s1), at least as
        // large a residual as the entry's and at most n times it.
        assert!(exact.at.contains("CCC"), "{}", exact.at);
        assert!(probe.at.starts_with("row CCC"), "{}", probe.at);
        assert!(
            probe.residual >= 0.99 * exact.residual,
            "{} vs {}",
            probe.residual,
            exact.residual
        );
        assert!(probe.residual <= 6.0 * exact.residual);
    }

    #[test]
    fn probe_signs_are_balanced_and_fixed() {
        let n = 4096;
        for k in 0..PROBES {
            let plus = (0..n).filter(|&i| probe_sign(k, i) > 0.0).count();
            assert!(
                (1800..2300).contains(&plus),
                "probe {k}: {plus} of {n} positive"
            );
        }
        assert_eq!(probe_sign(3, 17), probe_sign(3, 17));
        let differ = (0..n)
            .filter(|&i| probe_sign(0, i) != probe_sign(1, i))
            .count();
        assert!(
            (1800..2300).contains(&differ),
            "probes 0 and 1 differ in {differ} of {n} rows"
        );
    }

    #[test]
    fn floor_absorbs_differences_of_near_zero_values() {
        let mut w = Worst::new("I0", "test", 1e-9);
        w.observe(1e-20, 0.0, 1e-6, || "tiny".into());
        assert!(w.finish().unwrap().residual < 1e-13);
    }
}
