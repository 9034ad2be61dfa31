//! The measure families and everything gvc knows about each: one row of [`FAMILIES`] per
//! family. The spec validator, the decomposition driver and the command line read their
//! facts (name, measure names per level, identities, how to run it) from here.
//!
//! Adding a family:
//! 1. its module (`pub mod <name>;` in `decompose/mod.rs`): a `compute` returning
//!    [`FamilyOutput`] and a `pub const` list of its measure names per level;
//! 2. one row in the `families!` list below (the `Family` variant is declared by the row);
//! 3. its line in docs/measures.md and in the `measures` row of docs/spec-reference.md (a test
//!    fails until both name it).
//!
//! `decompose::tests::each_family_emits_its_listed_measures_and_identities` then checks that
//! the row's measure lists and identities are what the module emits.

use super::context::{ratio, Context};
use super::{bm, kpww, kww, upstreamness, wwyz, wwz};
use super::{DecomposeError, DecomposeOptions, FamilyOutput, Level};

/// Ratio measures of a group of sectors from the group's summed components (`sum(measure)`).
pub type Regroup = fn(&dyn Fn(&str) -> f64) -> Vec<(&'static str, f64)>;

/// What gvc knows about one measure family.
#[derive(Debug, Clone, Copy)]
pub struct FamilyInfo {
    /// The family this row describes.
    pub family: Family,
    /// Its name in specs and on the command line, and the prefix of its measure names
    /// (`kpww` → `kpww.position`, read by a variable as `decomposition.kpww.position`).
    pub name: &'static str,
    /// Measure names at the country level, in output order; empty when not defined there.
    pub country: &'static [&'static str],
    /// Measure names at the (country, sector) level; empty when not defined there.
    pub sector: &'static [&'static str],
    /// Measure names at the (exporter, partner) level; empty when not defined there.
    pub bilateral: &'static [&'static str],
    /// Said after the defined levels when another level is asked for (may be empty).
    pub level_note: &'static str,
    /// The accounting identities (reference/decomposition.md §10) the family checks on its
    /// own, in the order it reports them. Cross-family identities (I14, I18) are checked by
    /// [`super::decompose`] when both families run.
    pub identities: &'static [&'static str],
    /// The measures that are ratios of levels (shares, indices, lengths): unchanged when every
    /// flow of the table is scaled (I19), and averaged rather than summed.
    pub ratios: &'static [&'static str],
    /// The country-level measure that is the country's gross exports (the denominator of its
    /// shares), if the family has one: zero there means the table gives the country no
    /// exports, and the report says why its ratios are missing.
    pub gross_exports: Option<&'static str>,
    /// Computes the family on a prepared [`Context`] with the run's options.
    pub run: fn(&Context<'_>, &DecomposeOptions) -> Result<FamilyOutput, DecomposeError>,
    /// The ratio measures of a group of sectors (`[panel] groups`), recomputed from the
    /// group's summed components (`sum(measure)`) by the formulas the family applies to a
    /// country's sums of its entries; every other measure of the family, except
    /// [`Self::ungroupable`], is additive and is the group's sum (docs/measures.md, "after").
    pub regroup: Regroup,
    /// Measures with no group version: missing on a grouped panel (a variable reading one
    /// there is an error at spec load).
    pub ungroupable: &'static [&'static str],
}

impl FamilyInfo {
    /// The measure names at `level` (empty when the family is not defined there).
    pub fn measures(&self, level: Level) -> &'static [&'static str] {
        match level {
            Level::Country => self.country,
            Level::Sector => self.sector,
            Level::Bilateral => self.bilateral,
        }
    }

    /// The levels the family is defined at, in words ("country, sector"), plus its note.
    pub fn defined_levels(&self) -> String {
        let levels: Vec<String> = [Level::Country, Level::Sector, Level::Bilateral]
            .into_iter()
            .filter(|l| !self.measures(*l).is_empty())
            .map(|l| l.to_string())
            .collect();
        match self.level_note {
            "" => levels.join(", "),
            note => format!("{} ({note})", levels.join(", ")),
        }
    }

    /// Every measure name the family computes at some level, each once, in output order:
    /// what a variable may read as `decomposition.<name>`.
    pub fn all_measures(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for m in self.country.iter().chain(self.sector).chain(self.bilateral) {
            if !out.contains(m) {
                out.push(m);
            }
        }
        out
    }
}

/// Declares [`Family`] and [`FAMILIES`] from one list, so a family cannot have a variant
/// without a row or a row without a variant.
macro_rules! families {
    ($( $(#[$doc:meta])* $variant:ident { $($field:ident: $value:expr),* $(,)? } )*) => {
        /// A decomposition family (reference §2–§6). Its facts are its row of [`FAMILIES`]
        /// ([`Family::info`]); variants are in output order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Family {
            $( $(#[$doc])* $variant, )*
        }

        /// One row per family, in output order (the order of [`Family`]'s variants).
        pub const FAMILIES: &[FamilyInfo] = &[
            $( FamilyInfo { family: Family::$variant, $($field: $value),* }, )*
        ];
    };
}

families! {
    /// Koopman, Powers, Wang & Wei (2010): E, DV, FV, IV, GVC participation and position (§2).
    Kpww {
        name: "kpww",
        country: kpww::COUNTRY_MEASURES,
        sector: kpww::SECTOR_MEASURES,
        bilateral: &[],
        level_note: "",
        identities: &["I16"],
        ratios: &["kpww.participation", "kpww.position", "kpww.nrca"],
        gross_exports: Some("kpww.E"),
        run: |ctx, o| kpww::compute(ctx, o.level, o.iv),
        regroup: |s| {
            let (iv, fv, e) = (s("kpww.IV"), s("kpww.FV"), s("kpww.E"));
            vec![
                ("kpww.participation", kpww::participation(iv, fv, e)),
                ("kpww.position", kpww::position(iv, fv, e)),
            ]
        },
        // The new RCA compares a sector with every country's same sector.
        ungroupable: &["kpww.nrca"],
    }
    /// Koopman, Wang & Wei (2014): the 9-term decomposition of gross exports (§3).
    Kww {
        name: "kww",
        country: kww::MEASURES,
        sector: &[],
        bilateral: &[],
        level_note: "sector-level KWW terms are not valid; use WWZ",
        identities: &["I6", "I7", "I8"],
        ratios: &[],
        gross_exports: Some("kww.E"),
        run: |ctx, _| kww::compute(ctx),
        regroup: |_| Vec::new(),
        ungroupable: &[],
    }
    /// Borin & Mancini (2019/2023), exporter perspective, source-based (§5.1).
    Bm {
        name: "bm",
        country: bm::MEASURES,
        sector: bm::MEASURES,
        bilateral: bm::MEASURES,
        level_note: "",
        identities: &["I13", "I15"],
        ratios: &["bm.GVC_ratio", "bm.GVCB_ratio", "bm.GVCF_ratio"],
        gross_exports: Some("bm.EXGR"),
        run: |ctx, o| bm::compute(ctx, o.level),
        regroup: |s| {
            let exgr = s("bm.EXGR");
            vec![
                ("bm.GVC_ratio", ratio(s("bm.GVC"), exgr)),
                ("bm.GVCB_ratio", ratio(s("bm.GVCB"), exgr)),
                ("bm.GVCF_ratio", ratio(s("bm.GVCF"), exgr)),
            ]
        },
        ungroupable: &[],
    }
    /// Wang, Wei, Yu & Zhu (2017): production-based participation, length and position (§6).
    Wwyz {
        name: "wwyz",
        country: wwyz::MEASURES,
        sector: wwyz::MEASURES,
        bilateral: &[],
        level_note: "",
        identities: &["I17"],
        ratios: &[
            "wwyz.GVCPt_f",
            "wwyz.GVCPt_b",
            "wwyz.PLv_GVC",
            "wwyz.PLy_GVC",
            "wwyz.GVC_position",
        ],
        gross_exports: None,
        run: |ctx, o| wwyz::compute(ctx, o.level),
        regroup: |s| {
            let v_gvc = s("wwyz.V_GVC_S") + s("wwyz.V_GVC_C");
            let y_gvc = s("wwyz.Y_GVC_S") + s("wwyz.Y_GVC_C");
            let plv = ratio(s("wwyz.Xv_GVC"), v_gvc);
            let ply = ratio(s("wwyz.Xy_GVC"), y_gvc);
            vec![
                ("wwyz.GVCPt_f", ratio(v_gvc, s("wwyz.va"))),
                ("wwyz.GVCPt_b", ratio(y_gvc, s("wwyz.y"))),
                ("wwyz.PLv_GVC", plv),
                ("wwyz.PLy_GVC", ply),
                ("wwyz.GVC_position", ratio(plv, ply)),
            ]
        },
        ungroupable: &[],
    }
    /// Wang, Wei & Zhu (2013): the 16-term bilateral-sector decomposition of gross exports (§4).
    Wwz {
        name: "wwz",
        country: wwz::MEASURE_NAMES,
        sector: wwz::MEASURE_NAMES,
        bilateral: wwz::MEASURE_NAMES,
        level_note: "",
        identities: &["I9", "I10", "I11"],
        ratios: &[],
        gross_exports: Some("wwz.E"),
        run: |ctx, o| wwz::compute(ctx, o.level),
        regroup: |_| Vec::new(),
        ungroupable: &[],
    }
    /// Antràs, Chor, Fally & Hillberry (2012) output upstreamness and Miller & Temurshoev
    /// (2017) input downstreamness, output-weighted by country or sector.
    Upstreamness {
        name: "upstreamness",
        country: upstreamness::MEASURES,
        sector: upstreamness::MEASURES,
        bilateral: &[],
        level_note: "",
        identities: &["I23", "I24", "I25"],
        ratios: upstreamness::MEASURES,
        gross_exports: None,
        run: |ctx, o| upstreamness::compute(ctx, o.level),
        regroup: |_| Vec::new(),
        // Output-weighted means: the group version needs each sector's gross output.
        ungroupable: upstreamness::MEASURES,
    }
}

// Rows are in variant order, so a family's row is `FAMILIES[family as usize]`.
const _: () = {
    let mut i = 0;
    while i < FAMILIES.len() {
        assert!(FAMILIES[i].family as usize == i);
        i += 1;
    }
};

/// The names of every family, in output order (`kpww`, `kww`, `bm`, `wwyz`, `wwz`): what
/// `decomposition.measures` and `gvc decompose --measures` accept.
pub const FAMILY_NAMES: [&str; FAMILIES.len()] = {
    let mut out = [""; FAMILIES.len()];
    let mut i = 0;
    while i < FAMILIES.len() {
        out[i] = FAMILIES[i].name;
        i += 1;
    }
    out
};

impl Family {
    /// Every family, in output order.
    pub const ALL: [Family; FAMILIES.len()] = {
        let mut out = [FAMILIES[0].family; FAMILIES.len()];
        let mut i = 0;
        while i < FAMILIES.len() {
            out[i] = FAMILIES[i].family;
            i += 1;
        }
        out
    };

    /// The family's row of [`FAMILIES`].
    pub fn info(self) -> &'static FamilyInfo {
        &FAMILIES[self as usize]
    }

    /// The family's name in specs ("kpww", ...).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The prefix of the family's measure names: its [`Family::name`].
    pub fn prefix(self) -> &'static str {
        self.name()
    }

    /// The family called `name` (exact, lower case), if any.
    pub fn parse(name: &str) -> Option<Family> {
        FAMILIES.iter().find(|f| f.name == name).map(|f| f.family)
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no measure family.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown measure family `{name}`; use {}", FAMILY_NAMES.join(", "))]
pub struct UnknownFamily {
    pub name: String,
}

impl std::str::FromStr for Family {
    type Err = UnknownFamily;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Family::parse(s).ok_or_else(|| UnknownFamily {
            name: s.to_string(),
        })
    }
}

impl serde::Serialize for Family {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Family {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Every measure name `family` produces at `level` (empty when the family is not defined
/// there), so a spec can be validated without running. Names are `<family>.<name>`.
///
/// - kpww (§2): E gross exports; DV = V^s B^{ss} E^{s*} (domestic content, E = DV + FV);
///   FV = Σ_{t≠s} V^t B^{ts} E^{s*}; IV = the chosen [`super::IvDefinition`]; the three IV
///   variants; participation = (IV + FV)/E; position = ln(1 + IV/E) − ln(1 + FV/E). Sector
///   level (IV by value-added origin sector, FV and E by exporting sector) adds `nrca`
///   (Koopman et al. new RCA, bquast/gvc `nrca`).
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
    family.info().measures(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_serialise_as_names() {
        for f in Family::ALL {
            assert_eq!(Family::parse(f.name()), Some(f));
            assert_eq!(f.name().parse::<Family>(), Ok(f));
            assert_eq!(serde_json::to_string(&f).unwrap(), format!("\"{f}\""));
            let back: Family = serde_json::from_str(&format!("\"{f}\"")).unwrap();
            assert_eq!(back, f);
        }
        let names: Vec<&str> = Family::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(FAMILY_NAMES.to_vec(), names);
        let err = "kwv".parse::<Family>().unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("unknown measure family `kwv`; use {}", names.join(", "))
        );
        assert!(serde_json::from_str::<Family>("\"KPWW\"").is_err());
    }

    #[test]
    fn every_measure_name_carries_its_family_prefix() {
        for f in FAMILIES {
            assert!(!f.all_measures().is_empty(), "{}", f.name);
            for m in f.all_measures() {
                assert!(
                    m.strip_prefix(f.name).is_some_and(|r| r.starts_with('.')),
                    "{m} in {}",
                    f.name
                );
            }
        }
    }

    #[test]
    fn defined_levels_in_words() {
        assert_eq!(Family::Kpww.info().defined_levels(), "country, sector");
        assert_eq!(
            Family::Kww.info().defined_levels(),
            "country (sector-level KWW terms are not valid; use WWZ)"
        );
        assert_eq!(
            Family::Bm.info().defined_levels(),
            "country, sector, bilateral"
        );
    }
}
