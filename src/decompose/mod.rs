//! Value-added decompositions of gross exports and production (reference/decomposition.md
//! §2, §3, §5, §6): pure functions on an [`IoTable`] and its [`Leontief`] core.
//!
//! Every family is computed blockwise from B, the local inverses and a handful of n×G
//! products — never a per-country n×n inversion — and checks its accounting identities
//! (reference §10) as it goes. Output is long-form: one [`MeasureRow`] per
//! (country[, sector][, partner], measure).

pub mod bm;
pub mod context;
pub mod kpww;
pub mod kww;
pub mod wwyz;
pub mod wwz;

use std::collections::BTreeMap;

use crate::iot::identities::{IdentityError, IdentityResidual, Worst};
use crate::iot::{IoTable, Leontief};

pub use context::Context;

/// A decomposition family (reference §2–§6).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Koopman, Powers, Wang & Wei (2010): E, DV, FV, IV, GVC participation and position (§2).
    Kpww,
    /// Koopman, Wang & Wei (2014): the 9-term decomposition of gross exports (§3).
    Kww,
    /// Borin & Mancini (2019/2023), exporter perspective, source-based (§5.1).
    Bm,
    /// Wang, Wei, Yu & Zhu (2017): production-based participation, length and position (§6).
    Wwyz,
    /// Wang, Wei & Zhu (2013): the 16-term bilateral-sector decomposition of gross exports (§4).
    Wwz,
}

impl Family {
    /// The prefix of the family's measure names ("kpww", ...).
    pub fn prefix(self) -> &'static str {
        match self {
            Family::Kpww => "kpww",
            Family::Kww => "kww",
            Family::Bm => "bm",
            Family::Wwyz => "wwyz",
            Family::Wwz => "wwz",
        }
    }

    /// Every family, in output order.
    pub const ALL: [Family; 5] = [
        Family::Kpww,
        Family::Kww,
        Family::Bm,
        Family::Wwyz,
        Family::Wwz,
    ];
}

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
        defined: &'static str,
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

const KPWW_COUNTRY: &[&str] = &[
    "kpww.E",
    "kpww.DV",
    "kpww.FV",
    "kpww.IV",
    "kpww.IV_dvafx",
    "kpww.IV_dvafx_excl_back",
    "kpww.IV_kww_t3",
    "kpww.participation",
    "kpww.position",
];
const KPWW_SECTOR: &[&str] = &[
    "kpww.E",
    "kpww.DV",
    "kpww.FV",
    "kpww.IV",
    "kpww.IV_dvafx",
    "kpww.IV_dvafx_excl_back",
    "kpww.IV_kww_t3",
    "kpww.participation",
    "kpww.position",
    "kpww.nrca",
];
const KWW_COUNTRY: &[&str] = &[
    "kww.DVA_FIN",
    "kww.DVA_INT",
    "kww.DVA_INTrex",
    "kww.RDV_FIN",
    "kww.RDV_INT",
    "kww.DDC",
    "kww.FVA_FIN",
    "kww.FVA_INT",
    "kww.FDC",
    "kww.VAX",
    "kww.DVA",
    "kww.RDV",
    "kww.DC",
    "kww.FVA",
    "kww.FC",
    "kww.PDC",
    "kww.E",
];
const BM_ALL: &[&str] = &[
    "bm.EXGR",
    "bm.DC",
    "bm.DVA",
    "bm.VAX",
    "bm.DAVAX",
    "bm.DAVAX1",
    "bm.DAVAX2",
    "bm.REX",
    "bm.REX1",
    "bm.REX23",
    "bm.REF",
    "bm.REF1",
    "bm.REF2",
    "bm.DDC",
    "bm.FC",
    "bm.FVA",
    "bm.FDC",
    "bm.GVC",
    "bm.GVCB",
    "bm.GVCF",
    "bm.GVC_ratio",
    "bm.GVCB_ratio",
    "bm.GVCF_ratio",
];
const WWYZ_ALL: &[&str] = &[
    "wwyz.V_D",
    "wwyz.V_RT",
    "wwyz.V_GVC_S",
    "wwyz.V_GVC_C",
    "wwyz.Y_D",
    "wwyz.Y_RT",
    "wwyz.Y_GVC_S",
    "wwyz.Y_GVC_C",
    "wwyz.va",
    "wwyz.y",
    "wwyz.Xv_GVC",
    "wwyz.Xy_GVC",
    "wwyz.GVCPt_f",
    "wwyz.GVCPt_b",
    "wwyz.PLv_GVC",
    "wwyz.PLy_GVC",
    "wwyz.GVC_position",
];

/// Every measure name `family` produces at `level` (empty when the family is not defined
/// there), so a spec can be validated without running. Names are `<family>.<name>`.
///
/// - kpww (§2): E gross exports; DV = V^s B^{ss} E^{s*} (domestic content, E = DV + FV);
///   FV = Σ_{t≠s} V^t B^{ts} E^{s*}; IV = the chosen [`IvDefinition`]; the three IV variants;
///   participation = (IV + FV)/E; position = ln(1 + IV/E) − ln(1 + FV/E). Sector level
///   (IV by value-added origin sector, FV and E by exporting sector) adds `nrca` (Koopman
///   et al. new RCA, bquast/gvc `nrca`).
/// - kww (§3, country only): the 9 terms named as decompr, groupings VAX = T1..T3,
///   DVA = T1..T5, RDV = T4+T5, DC = T1..T6, FVA = T7+T8, FC = T7..T9, PDC = T6+T9, and E.
/// - bm (§5.1; country, sector = exporting sector, bilateral = partner): names as exvatools,
///   REX = REX1 + REX23, REF = REF1 + REF2, and the trade-based participation ratios
///   GVC/EXGR, GVCB/EXGR, GVCF/EXGR.
/// - wwyz (§6; country, sector): forward/backward components, participation GVCPt_f/b,
///   production lengths PLv/PLy_GVC and GVC_position = PLv/PLy.
/// - wwz (§4; country, sector = exporting sector, bilateral = importer): the 16 terms,
///   gross exports E, E_FIN, E_INT, DViX_Fsr, groupings and the KWW mapping
///   (`kww_<term>`); see [`wwz::MEASURE_NAMES`].
pub fn measure_names(family: Family, level: Level) -> &'static [&'static str] {
    match (family, level) {
        (Family::Kpww, Level::Country) => KPWW_COUNTRY,
        (Family::Kpww, Level::Sector) => KPWW_SECTOR,
        (Family::Kww, Level::Country) => KWW_COUNTRY,
        (Family::Bm, _) => BM_ALL,
        (Family::Wwyz, Level::Country | Level::Sector) => WWYZ_ALL,
        (Family::Wwz, _) => wwz::MEASURE_NAMES,
        _ => &[],
    }
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
        if measure_names(family, options.level).is_empty() {
            return Err(DecomposeError::LevelNotDefined {
                family: family.prefix(),
                level: options.level,
                defined: match family {
                    Family::Kww => "country (sector-level KWW terms are not valid; use WWZ)",
                    Family::Kpww | Family::Wwyz => "country, sector",
                    Family::Bm | Family::Wwz => "country, sector, bilateral",
                },
            });
        }
    }
    let ctx = Context::new(table, leontief, options.tolerance);
    let mut rows = Vec::new();
    let mut identities = Vec::new();
    let mut totals: BTreeMap<Family, BTreeMap<&'static str, Vec<f64>>> = BTreeMap::new();
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
    pub country_totals: BTreeMap<&'static str, Vec<f64>>,
}

/// Runs one family at the requested level.
pub fn run_family(
    ctx: &Context<'_>,
    family: Family,
    options: &DecomposeOptions,
) -> Result<FamilyOutput, DecomposeError> {
    match family {
        Family::Kpww => kpww::compute(ctx, options.level, options.iv),
        Family::Kww => kww::compute(ctx),
        Family::Bm => bm::compute(ctx, options.level),
        Family::Wwyz => wwyz::compute(ctx, options.level),
        Family::Wwz => wwz::compute(ctx, options.level),
    }
}

/// One cross-family identity: id, statement, the family compared with BM, and pairs of
/// (BM measure, other family's measure) that must be equal country by country.
type CrossCheck<'a> = (&'static str, &'static str, Family, &'a [(&'a str, &'a str)]);

/// I14 (BM DVA = KWW DVA, BM DDC = KWW T6, BM FC = KWW FC) and I18 (WWYZ V_RT = DAVAX1,
/// V_GVC_S = DAVAX2, V_GVC_C = REX + REF), when both families ran.
fn cross_family_identities(
    ctx: &Context<'_>,
    totals: &BTreeMap<Family, BTreeMap<&'static str, Vec<f64>>>,
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
    use crate::iot::EntryLabel;
    use faer::Mat;

    /// 3 countries × 2 sectors; `foreign` scales the off-diagonal intermediate blocks.
    fn table(foreign: f64) -> IoTable {
        let (g, ns) = (3, 2);
        let n = g * ns;
        let z = Mat::from_fn(n, n, |i, j| {
            let base = 1.0 + ((i * 7 + j * 3) % 5) as f64;
            if i / ns == j / ns {
                4.0 * base
            } else {
                foreign * base
            }
        });
        let y = Mat::from_fn(n, g, |i, c| {
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
            x: vec![],
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
        s.z = Mat::from_fn(t.n(), t.n(), |i, j| 3.0 * t.z[(i, j)]);
        s.y = Mat::from_fn(t.n(), t.y.ncols(), |i, j| 3.0 * t.y[(i, j)]);
        s.x = t.x.iter().map(|v| 3.0 * v).collect();
        let (a, b) = (all(&t, Level::Country), all(&s, Level::Country));
        for (ra, rb) in a.rows.iter().zip(&b.rows) {
            assert_eq!(ra.measure, rb.measure);
            let ratio_like = [
                "participation",
                "position",
                "ratio",
                "GVCPt",
                "PL",
                "GVC_position",
            ]
            .iter()
            .any(|k| ra.measure.contains(k));
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
