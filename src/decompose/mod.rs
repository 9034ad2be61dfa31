//! Value-added decompositions of gross exports and production (reference/decomposition.md
//! §2, §3, §5, §6): pure functions on an [`IoTable`] and its [`Leontief`] core.
//!
//! Every family is computed blockwise from B, the local inverses and a handful of n×G
//! products — never a per-country n×n inversion — and checks its accounting identities
//! (reference §10) as it goes. Output is long-form: one [`MeasureRow`] per
//! (country[, sector][, partner], measure).

pub mod bm;
pub mod context;
pub mod family;
pub mod kpww;
pub mod kww;
pub mod upstreamness;
pub mod wwyz;
pub mod wwz;

use std::collections::BTreeMap;

use ndarray::Array1;

use crate::iot::identities::{IdentityError, IdentityResidual, Worst};
use crate::iot::{IoTable, Leontief};

pub use context::Context;
pub use family::{measure_names, Family, FamilyInfo, UnknownFamily, FAMILIES, FAMILY_NAMES};

/// The level of detail of the output rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// One row per country and measure.
    Country,
    /// One row per (country, sector) and measure; entries of one country with the same
    /// sector code (ICIO CN1/CN2) are summed, ratios are ratios of sums.
    Sector,
    /// One row per (exporting country, partner) and measure (Borin–Mancini, WWZ).
    Bilateral,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::Country => "country",
            Level::Sector => "sector",
            Level::Bilateral => "bilateral",
        })
    }
}

/// Which indirect value-added exports (IV) KPWW participation and position use (reference §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IvDefinition {
    /// IV_s = Σ_{r≠s} V^s B^{sr} E^{r*} (TiVA DVA in foreign exports; default).
    #[default]
    Dvafx,
    /// IV_s = Σ_{r≠s} V^s B^{sr} (E^{r*} − E^{rs}) (excluding r's exports back to s).
    DvafxExclBack,
    /// IV_s = KWW term 3, Σ_{r≠s} Σ_{t≠s,r} V^s B^{sr} Y^{rt}.
    KwwT3,
}

/// What [`decompose`] computes.
#[derive(Debug, Clone, PartialEq)]
pub struct DecomposeOptions {
    /// The families to compute.
    pub measures: Vec<Family>,
    /// Country, country-sector or bilateral rows.
    pub level: Level,
    /// IV definition for KPWW participation and position.
    pub iv: IvDefinition,
    /// Relative tolerance of the identity checks (reference §10: 1e-9). The table's own
    /// rounding ([`Leontief::rounding_allowance`]) is added when x was read, not recomputed.
    pub tolerance: f64,
}

impl Default for DecomposeOptions {
    fn default() -> Self {
        DecomposeOptions {
            measures: vec![Family::Kpww],
            level: Level::Country,
            iv: IvDefinition::Dvafx,
            tolerance: 1e-9,
        }
    }
}

/// One value of the long-form output, e.g. (`"ARG"`, None, None, `"kpww.position"`, 0.137).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MeasureRow {
    pub country: String,
    pub sector: Option<String>,
    pub partner: Option<String>,
    pub measure: String,
    pub value: f64,
}

/// The result of [`decompose`]: rows and the identity residuals that were checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Decomposition {
    pub rows: Vec<MeasureRow>,
    pub identities: Vec<IdentityResidual>,
}

impl Decomposition {
    /// The value of `measure` for (country, sector, partner), if present.
    pub fn get(
        &self,
        country: &str,
        sector: Option<&str>,
        partner: Option<&str>,
        measure: &str,
    ) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| {
                r.country == country
                    && r.sector.as_deref() == sector
                    && r.partner.as_deref() == partner
                    && r.measure == measure
            })
            .map(|r| r.value)
    }
}

/// Why a decomposition failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecomposeError {
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error("the input-output table is inconsistent: {0}")]
    Table(#[from] crate::iot::TableError),
    #[error("measure family `{family}` is not defined at the {level} level (defined: {defined})")]
    LevelNotDefined {
        family: &'static str,
        level: Level,
        /// The levels it is defined at, in words ([`FamilyInfo::defined_levels`]).
        defined: String,
    },
    #[error("the Leontief core was built for {leontief} entries in {leontief_countries} countries but the table has {table} entries in {table_countries} countries (or another country-of-row map); rebuild it with Leontief::new or Leontief::from_inverse on this table")]
    Mismatch {
        leontief: usize,
        leontief_countries: usize,
        table: usize,
        table_countries: usize,
    },
    #[error("the diagonal block B^{{ss}} of {country} is singular, so the Borin–Mancini FVA of {country} is undefined")]
    SingularBlock { country: String },
}

/// Runs the requested families on a table and its Leontief core (reference §2–§6) and
/// returns the long-form rows plus every identity residual checked (§10: I6–I8 KWW,
/// I13–I15 BM, I16 KPWW, I17 WWYZ, I9–I11 WWZ; I14 and I18 when both families involved are
/// requested).
pub fn decompose(
    table: &IoTable,
    leontief: &Leontief,
    options: &DecomposeOptions,
) -> Result<Decomposition, DecomposeError> {
    table.validate()?;
    if leontief.n() != table.n()
        || leontief.blocks.of_row != table.row_country
        || leontief.blocks.g() != table.g()
    {
        return Err(DecomposeError::Mismatch {
            leontief: leontief.n(),
            leontief_countries: leontief.blocks.g(),
            table: table.n(),
            table_countries: table.g(),
        });
    }
    for &family in &options.measures {
        let info = family.info();
        if info.measures(options.level).is_empty() {
            return Err(DecomposeError::LevelNotDefined {
                family: info.name,
                level: options.level,
                defined: info.defined_levels(),
            });
        }
    }
    let ctx = Context::new(table, leontief, options.tolerance);
    let mut rows = Vec::new();
    let mut identities = Vec::new();
    let mut totals: BTreeMap<Family, BTreeMap<&'static str, Array1<f64>>> = BTreeMap::new();
    let mut families = options.measures.clone();
    families.sort();
    families.dedup();
    for family in families {
        let out = run_family(&ctx, family, options)?;
        rows.extend(out.rows);
        identities.extend(out.identities);
        totals.insert(family, out.country_totals);
    }
    identities.extend(cross_family_identities(&ctx, &totals)?);
    Ok(Decomposition { rows, identities })
}

/// What one family returns: rows, identity residuals, and the country totals other
/// families cross-check against.
pub struct FamilyOutput {
    pub rows: Vec<MeasureRow>,
    pub identities: Vec<IdentityResidual>,
    pub country_totals: BTreeMap<&'static str, Array1<f64>>,
}

/// Runs one family at the requested level (its row's [`FamilyInfo::run`]).
pub fn run_family(
    ctx: &Context<'_>,
    family: Family,
    options: &DecomposeOptions,
) -> Result<FamilyOutput, DecomposeError> {
    (family.info().run)(ctx, options)
}

/// One cross-family identity: id, statement, the family compared with BM, and pairs of
/// (BM measure, other family's measure) that must be equal country by country.
type CrossCheck<'a> = (&'static str, &'static str, Family, &'a [(&'a str, &'a str)]);

/// I14 (BM DVA = KWW DVA, BM DDC = KWW T6, BM FC = KWW FC) and I18 (WWYZ V_RT = DAVAX1,
/// V_GVC_S = DAVAX2, V_GVC_C = REX + REF), when both families ran.
fn cross_family_identities(
    ctx: &Context<'_>,
    totals: &BTreeMap<Family, BTreeMap<&'static str, Array1<f64>>>,
) -> Result<Vec<IdentityResidual>, IdentityError> {
    let mut out = Vec::new();
    let pairs_i14: [(&str, &str); 3] = [("DVA", "DVA"), ("DDC", "DDC"), ("FC", "FC")];
    let pairs_i18: [(&str, &str); 3] = [
        ("DAVAX1", "V_RT"),
        ("DAVAX2", "V_GVC_S"),
        ("GVCF", "V_GVC_C"),
    ];
    let checks: [CrossCheck; 2] = [
        (
            "I14",
            "BM DVA, DDC, FC = KWW DVA, T6, FC",
            Family::Kww,
            &pairs_i14,
        ),
        (
            "I18",
            "WWYZ V_RT, V_GVC_S, V_GVC_C = BM DAVAX1, DAVAX2, REX + REF",
            Family::Wwyz,
            &pairs_i18,
        ),
    ];
    let Some(bm) = totals.get(&Family::Bm) else {
        return Ok(out);
    };
    for (id, name, other_family, pairs) in checks {
        let Some(other) = totals.get(&other_family) else {
            continue;
        };
        let mut worst = Worst::new(id, name, ctx.tol);
        for (bm_name, other_name) in pairs.iter() {
            if let (Some(a), Some(b)) = (bm.get(bm_name), other.get(other_name)) {
                for s in 0..ctx.g {
                    worst.observe(a[s], b[s], ctx.floor, || {
                        format!("{} ({bm_name})", ctx.country(s))
                    });
                }
            }
        }
        out.push(worst.finish()?);
    }
    Ok(out)
}

impl crate::choice::Choice for Family {
    const WHAT: &'static str = "measure family";
    const ALL: &'static [Self] = &Family::ALL;
    fn name(self) -> &'static str {
        self.prefix()
    }
}

impl crate::choice::Choice for IvDefinition {
    const WHAT: &'static str = "IV definition";
    const ALL: &'static [Self] = &[
        IvDefinition::Dvafx,
        IvDefinition::DvafxExclBack,
        IvDefinition::KwwT3,
    ];
    fn name(self) -> &'static str {
        match self {
            IvDefinition::Dvafx => "dvafx",
            IvDefinition::DvafxExclBack => "dvafx_excl_back",
            IvDefinition::KwwT3 => "kww_t3",
        }
    }
}

impl crate::choice::Choice for Level {
    const WHAT: &'static str = "level";
    const ALL: &'static [Self] = &[Level::Country, Level::Sector, Level::Bilateral];
    fn name(self) -> &'static str {
        match self {
            Level::Country => "country",
            Level::Sector => "sector",
            Level::Bilateral => "bilateral",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iot::dense;
    use crate::iot::EntryLabel;

    /// 3 countries × 2 sectors; `foreign` scales the off-diagonal intermediate blocks.
    fn table(foreign: f64) -> IoTable {
        let (g, ns) = (3, 2);
        let n = g * ns;
        let z = dense::from_fn(n, n, |(i, j)| {
            let base = 1.0 + ((i * 7 + j * 3) % 5) as f64;
            if i / ns == j / ns {
                4.0 * base
            } else {
                foreign * base
            }
        });
        let y = dense::from_fn(n, g, |(i, c)| {
            if i / ns == c {
                30.0 + i as f64
            } else {
                5.0 + ((i + c) % 3) as f64
            }
        });
        let mut t = IoTable {
            year: None,
            countries: vec!["AAA".into(), "BBB".into(), "CCC".into()],
            fd_categories: vec!["FD".into()],
            labels: (0..n)
                .map(|i| EntryLabel::new(["AAA", "BBB", "CCC"][i / ns], format!("s{}", i % ns)))
                .collect(),
            row_country: (0..n).map(|i| i / ns).collect(),
            z,
            y,
            x: Array1::zeros(0),
            primary_inputs: vec![],
        };
        t.x = t.output_from_rows();
        t
    }

    fn all(t: &IoTable, level: Level) -> Decomposition {
        let l = Leontief::new(t).unwrap();
        let measures = if level == Level::Bilateral {
            vec![Family::Bm]
        } else {
            Family::ALL.to_vec()
        };
        let measures: Vec<Family> = measures
            .into_iter()
            .filter(|f| !measure_names(*f, level).is_empty())
            .collect();
        decompose(
            t,
            &l,
            &DecomposeOptions {
                measures,
                level,
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn every_row_is_a_documented_measure() {
        let t = table(1.0);
        for level in [Level::Country, Level::Sector, Level::Bilateral] {
            let d = all(&t, level);
            assert!(!d.rows.is_empty());
            for row in &d.rows {
                let family = Family::ALL
                    .iter()
                    .find(|f| row.measure.starts_with(&format!("{}.", f.prefix())))
                    .unwrap();
                assert!(
                    measure_names(*family, level).contains(&row.measure.as_str()),
                    "{} at {level}",
                    row.measure
                );
            }
        }
    }

    /// A family's `gross_exports` is one of its country measures, and every family that has one
    /// gives the same gross exports per country (four independent computations of E agree).
    #[test]
    fn gross_exports_measures_agree_across_families() {
        let t = table(1.0);
        let l = Leontief::new(&t).unwrap();
        let with: Vec<&FamilyInfo> = FAMILIES
            .iter()
            .filter(|f| f.gross_exports.is_some())
            .collect();
        assert!(with.len() >= 4);
        let options = DecomposeOptions {
            measures: with.iter().map(|f| f.family).collect(),
            level: Level::Country,
            ..Default::default()
        };
        let d = decompose(&t, &l, &options).unwrap();
        let mut by_country: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for f in &with {
            let m = f.gross_exports.unwrap();
            assert!(f.country.contains(&m), "{} lists {m}", f.name);
            for row in d.rows.iter().filter(|r| r.measure == m) {
                by_country
                    .entry(row.country.clone())
                    .or_default()
                    .push(row.value);
            }
        }
        assert!(!by_country.is_empty());
        for (country, values) in by_country {
            assert_eq!(values.len(), with.len(), "{country}");
            for v in &values {
                assert!(
                    (v - values[0]).abs() <= 1e-9 * values[0].abs(),
                    "{country}: {values:?}"
                );
            }
        }
    }

    /// Each row of [`FAMILIES`] is a fact: run alone at each level it lists, a family emits
    /// exactly its listed measures in the listed order and checks exactly its listed
    /// identities.
    #[test]
    fn each_family_emits_its_listed_measures_and_identities() {
        let t = table(1.0);
        let l = Leontief::new(&t).unwrap();
        for info in FAMILIES {
            for level in [Level::Country, Level::Sector, Level::Bilateral] {
                let options = DecomposeOptions {
                    measures: vec![info.family],
                    level,
                    ..Default::default()
                };
                let result = decompose(&t, &l, &options);
                if info.measures(level).is_empty() {
                    assert!(
                        matches!(result, Err(DecomposeError::LevelNotDefined { .. })),
                        "{} at {level}",
                        info.name
                    );
                    continue;
                }
                let d = result.unwrap();
                let mut emitted: Vec<&str> = Vec::new();
                for row in &d.rows {
                    if emitted.last() != Some(&row.measure.as_str()) {
                        emitted.push(&row.measure);
                    }
                }
                assert_eq!(emitted, info.measures(level), "{} at {level}", info.name);
                let ids: Vec<&str> = d.identities.iter().map(|i| i.id.as_str()).collect();
                assert_eq!(ids, info.identities, "{} at {level}", info.name);
            }
        }
    }

    #[test]
    fn no_foreign_inputs_means_no_gvc_trade() {
        // I21: A^F = 0 ⇒ FV = IV = RDV = DDC = FDC = GVC = 0 and DVA = E.
        let d = all(&table(0.0), Level::Country);
        for c in ["AAA", "BBB", "CCC"] {
            let e = d.get(c, None, None, "bm.EXGR").unwrap();
            assert!(e > 0.0);
            for m in [
                "kpww.FV", "kpww.IV", "kww.RDV", "kww.DDC", "kww.FDC", "bm.GVC", "bm.FVA", "bm.FDC",
            ] {
                assert!(
                    d.get(c, None, None, m).unwrap().abs() < 1e-12 * e,
                    "{m} {c}"
                );
            }
            assert!((d.get(c, None, None, "bm.DVA").unwrap() - e).abs() < 1e-12 * e);
            assert!((d.get(c, None, None, "kww.DVA").unwrap() - e).abs() < 1e-12 * e);
        }
    }

    #[test]
    fn scaling_scales_levels_and_keeps_ratios() {
        // I19.
        let t = table(1.0);
        let mut s = t.clone();
        s.z = &t.z * 3.0;
        s.y = &t.y * 3.0;
        s.x = &t.x * 3.0;
        let (a, b) = (all(&t, Level::Country), all(&s, Level::Country));
        for (ra, rb) in a.rows.iter().zip(&b.rows) {
            assert_eq!(ra.measure, rb.measure);
            let ratio_like = FAMILIES
                .iter()
                .any(|f| f.ratios.contains(&ra.measure.as_str()));
            let expected = if ratio_like { ra.value } else { 3.0 * ra.value };
            assert!(
                (rb.value - expected).abs() <= 1e-10 * expected.abs().max(1.0),
                "{}",
                ra.measure
            );
        }
    }

    #[test]
    fn kww_at_sector_level_is_an_error() {
        let t = table(1.0);
        let l = Leontief::new(&t).unwrap();
        let err = decompose(
            &t,
            &l,
            &DecomposeOptions {
                measures: vec![Family::Kww],
                level: Level::Sector,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(matches!(
            err,
            DecomposeError::LevelNotDefined { family: "kww", .. }
        ));
        let other = table(1.0)
            .merge_countries(&[("AB".into(), vec!["AAA".into(), "BBB".into()])])
            .unwrap();
        // A core built before merging countries has other local blocks: a typed error.
        let l = Leontief::new(&t).unwrap();
        let err = decompose(&other, &l, &DecomposeOptions::default()).unwrap_err();
        assert!(matches!(
            err,
            DecomposeError::Mismatch {
                leontief_countries: 3,
                table_countries: 2,
                ..
            }
        ));
        // Rebuilding around the cached inverse works.
        let rebuilt = Leontief::from_inverse(&other, l.b.clone()).unwrap();
        assert!(decompose(&other, &rebuilt, &DecomposeOptions::default()).is_ok());
    }

    #[test]
    fn identity_violation_names_the_identity() {
        // A Leontief core built for a different table breaks the identities.
        let t = table(1.0);
        let wrong = Leontief::new(&table(2.0)).unwrap();
        let err = decompose(
            &t,
            &wrong,
            &DecomposeOptions {
                measures: vec![Family::Kww],
                ..Default::default()
            },
        )
        .unwrap_err();
        match err {
            DecomposeError::Identity(e) => assert!(e.id.starts_with('I') && !e.at.is_empty()),
            other => panic!("expected identity error, got {other:?}"),
        }
    }
}
