//! The unit of a panel (`[panel] unit`): what one row of the estimation panel is besides its
//! year — a country, a (country, sector) pair, an (exporter, importer) pair or an
//! (exporter, importer, sector) flow. Everything gvc knows about each unit is one row of
//! [`UNITS`]: its dimensions, the decomposition level its measures come from, and the WWZ level
//! the streamed decomposition is kept at. Fixed-effect terms ([`FeTerm`], `absorb =
//! ["exporter^sector", "year"]`) and cluster variables name these dimensions.
//!
//! Units other than `country` key their rows by a composite key, the dimension values joined
//! by `/` in the order of [`UnitInfo::dims`] (`CHN/c3`, `CHN/DEU`, `CHN/DEU/c3`); country codes
//! and sector codes never contain `/` (checked where sectors are read).

use crate::decompose::wwz::WwzLevel;
use crate::decompose::{Family, Level};

/// A dimension of a panel's rows, as models name it in `absorb` and `cluster`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// The country of a country panel.
    Country,
    /// The exporting (source) country of a sector or bilateral panel.
    Exporter,
    /// The importing (partner) country of a bilateral panel.
    Importer,
    /// The sector (exporting sector; value-added origin sector for KPWW IV, docs/measures.md).
    Sector,
    /// The calendar year.
    Year,
}

impl crate::choice::Choice for Dim {
    const WHAT: &'static str = "panel dimension";
    const ALL: &'static [Self] = &[
        Dim::Country,
        Dim::Exporter,
        Dim::Importer,
        Dim::Sector,
        Dim::Year,
    ];
    fn name(self) -> &'static str {
        match self {
            Dim::Country => "country",
            Dim::Exporter => "exporter",
            Dim::Importer => "importer",
            Dim::Sector => "sector",
            Dim::Year => "year",
        }
    }
}
crate::choice_serde!(Dim);

impl Dim {
    /// Whether values of this dimension are country codes (mapped between code systems).
    pub fn is_country(self) -> bool {
        matches!(self, Dim::Country | Dim::Exporter | Dim::Importer)
    }
}

/// What a row of the panel is (`[panel] unit`); facts in [`UNITS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PanelUnit {
    /// Country × year (the seed study's panel).
    #[default]
    Country,
    /// Country × sector × year: sector-level measures by exporting country and sector.
    CountrySector,
    /// Exporter × importer × year: bilateral measures (value-added gravity).
    Bilateral,
    /// Exporter × importer × sector × year: WWZ bilateral-sector flows.
    BilateralSector,
}

/// What gvc knows about one panel unit.
#[derive(Debug, Clone, Copy)]
pub struct UnitInfo {
    pub unit: PanelUnit,
    /// Its name in a spec (`[panel] unit = "country_sector"`).
    pub name: &'static str,
    /// The dimensions identifying a row besides the year, in key order.
    pub dims: &'static [Dim],
    /// The decomposition level the non-WWZ families are computed at for this unit (`None`:
    /// no family besides WWZ has rows at this detail).
    pub level: Option<Level>,
    /// The level WWZ is streamed at, and whose rows reach the panel.
    pub wwz: WwzLevel,
    /// One line for documentation and messages.
    pub about: &'static str,
}

/// One row per panel unit, in documentation order.
pub const UNITS: &[UnitInfo] = &[
    UnitInfo {
        unit: PanelUnit::Country,
        name: "country",
        dims: &[Dim::Country],
        level: Some(Level::Country),
        wwz: WwzLevel::Country,
        about: "country × year; measures are country totals",
    },
    UnitInfo {
        unit: PanelUnit::CountrySector,
        name: "country_sector",
        dims: &[Dim::Exporter, Dim::Sector],
        level: Some(Level::Sector),
        wwz: WwzLevel::Sector,
        about: "exporter × sector × year; sector-level measures",
    },
    UnitInfo {
        unit: PanelUnit::Bilateral,
        name: "bilateral",
        dims: &[Dim::Exporter, Dim::Importer],
        level: Some(Level::Bilateral),
        wwz: WwzLevel::Bilateral,
        about: "exporter × importer × year; bilateral measures (gravity)",
    },
    UnitInfo {
        unit: PanelUnit::BilateralSector,
        name: "bilateral_sector",
        dims: &[Dim::Exporter, Dim::Importer, Dim::Sector],
        level: None,
        wwz: WwzLevel::BilateralSector,
        about: "exporter × importer × sector × year; WWZ flows",
    },
];

// Rows are in variant order, so a unit's row is `UNITS[unit as usize]`.
const _: () = {
    let mut i = 0;
    while i < UNITS.len() {
        assert!(UNITS[i].unit as usize == i);
        i += 1;
    }
};

impl crate::choice::Choice for PanelUnit {
    const WHAT: &'static str = "panel unit";
    const ALL: &'static [Self] = &[
        PanelUnit::Country,
        PanelUnit::CountrySector,
        PanelUnit::Bilateral,
        PanelUnit::BilateralSector,
    ];
    fn name(self) -> &'static str {
        self.info().name
    }
}
crate::choice_serde!(PanelUnit);

/// Separator of the dimension values in a composite unit key.
pub const KEY_SEPARATOR: char = '/';

impl PanelUnit {
    /// The unit's row of [`UNITS`].
    pub fn info(self) -> &'static UnitInfo {
        &UNITS[self as usize]
    }

    /// Whether this is the country panel (a plain country code is the key).
    pub fn is_country(self) -> bool {
        self == PanelUnit::Country
    }

    /// [`Self::is_country`] by reference (serde's `skip_serializing_if`: a country panel's
    /// sample serialises, and so keys, as before units existed).
    pub fn is_country_ref(&self) -> bool {
        self.is_country()
    }

    /// Whether rows have an importer (bilateral units): country covariates are then merged a
    /// second time by importer, as `importer.<source>.<column>`.
    pub fn has_importer(self) -> bool {
        self.info().dims.contains(&Dim::Importer)
    }

    /// Whether rows have a sector.
    pub fn has_sector(self) -> bool {
        self.info().dims.contains(&Dim::Sector)
    }

    /// The dimensions a model may name in `absorb` and `cluster`: the unit's and `year`.
    pub fn model_dims(self) -> Vec<Dim> {
        let mut d = self.info().dims.to_vec();
        d.push(Dim::Year);
        d
    }

    /// The composite key of a row's dimension values (in [`UnitInfo::dims`] order).
    pub fn key(parts: &[&str]) -> String {
        parts.join(&KEY_SEPARATOR.to_string())
    }

    /// The dimension values of a key (the key itself for a country panel).
    pub fn split(self, key: &str) -> Vec<&str> {
        if self.is_country() {
            vec![key]
        } else {
            key.split(KEY_SEPARATOR).collect()
        }
    }

    /// The measure names `family` feeds a panel of this unit with (empty: none). WWZ is
    /// streamed at every unit's level ([`UnitInfo::wwz`]); the other families have rows at
    /// [`UnitInfo::level`] when defined there ([`crate::decompose::FamilyInfo::measures`]).
    pub fn measures(self, family: Family) -> &'static [&'static str] {
        if family == Family::Wwz {
            return crate::decompose::wwz::MEASURE_NAMES;
        }
        match self.info().level {
            Some(level) => family.info().measures(level),
            None => &[],
        }
    }

    /// The units at which `family` feeds the panel, by name ("country, country_sector").
    pub fn units_of(family: Family) -> String {
        UNITS
            .iter()
            .filter(|u| !u.unit.measures(family).is_empty())
            .map(|u| u.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl std::fmt::Display for PanelUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.info().name)
    }
}

/// One fixed-effect term of a model's `absorb`: one dimension (`year`) or an interaction of
/// several (`exporter^sector`, fixest/reghdfe notation), each dimension once, in the order
/// written. Serialises as written (`"exporter^sector"`), so it is part of the estimate key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeTerm(pub Vec<Dim>);

impl FeTerm {
    /// Parses `a^b^…` into dimensions; an unknown or repeated dimension is an error naming it.
    pub fn parse(text: &str) -> Result<FeTerm, String> {
        let mut dims = Vec::new();
        for part in text.split('^') {
            let part = part.trim();
            let dim: Dim = crate::choice::parse(part).map_err(|e| e.to_string())?;
            if dims.contains(&dim) {
                return Err(format!("`{part}` appears twice in `{text}`"));
            }
            dims.push(dim);
        }
        Ok(FeTerm(dims))
    }

    /// The same term with its dimensions sorted, for comparing sets of effects.
    pub fn normalised(&self) -> FeTerm {
        let mut d = self.0.clone();
        d.sort();
        FeTerm(d)
    }
}

impl std::fmt::Display for FeTerm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self
            .0
            .iter()
            .map(|d| crate::choice::Choice::name(*d))
            .collect();
        f.write_str(&names.join("^"))
    }
}

impl serde::Serialize for FeTerm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for FeTerm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        FeTerm::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The estimator that fits a model's absorbed effects: `ppml` (ppmlhdfe) and `hdfe`
/// (reghdfe) when the model names them; for `fe`, the within transformation on the panel
/// unit (`xtreg, fe`) when the unit is all it absorbs, with year dummies too (`xtreg y x
/// i.year, fe`, reported as `fe2`) when it absorbs the unit and the year, and high-dimensional
/// fixed effects (`hdfe`, reghdfe's rules) for any other set of factors.
pub fn absorbed_estimator(
    unit: PanelUnit,
    absorb: &[FeTerm],
    requested: crate::estimate::Estimator,
) -> crate::estimate::Estimator {
    use crate::estimate::Estimator;
    if requested != Estimator::Fe {
        return requested;
    }
    let unit_term = FeTerm(unit.info().dims.to_vec()).normalised();
    let year = FeTerm(vec![Dim::Year]);
    let mut set: Vec<FeTerm> = absorb.iter().map(FeTerm::normalised).collect();
    set.sort();
    set.dedup();
    let mut two_way = vec![unit_term.clone(), year];
    two_way.sort();
    if set == [unit_term] {
        Estimator::Fe
    } else if set == two_way {
        Estimator::Fe2
    } else {
        Estimator::Hdfe
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::choice::Choice;
    use crate::estimate::Estimator;

    #[test]
    fn units_parse_and_know_their_dimensions() {
        assert_eq!(
            PanelUnit::names(),
            ["country", "country_sector", "bilateral", "bilateral_sector"]
        );
        assert_eq!(
            PanelUnit::CountrySector.info().dims,
            &[Dim::Exporter, Dim::Sector]
        );
        assert!(PanelUnit::Bilateral.has_importer());
        assert!(!PanelUnit::CountrySector.has_importer());
        assert_eq!(PanelUnit::key(&["CHN", "DEU", "c3"]), "CHN/DEU/c3");
        assert_eq!(
            PanelUnit::BilateralSector.split("CHN/DEU/c3"),
            ["CHN", "DEU", "c3"]
        );
        let json = serde_json::to_string(&PanelUnit::BilateralSector).unwrap();
        assert_eq!(json, "\"bilateral_sector\"");
    }

    #[test]
    fn measures_per_unit_come_from_the_family_table() {
        assert!(PanelUnit::CountrySector
            .measures(Family::Kpww)
            .contains(&"kpww.nrca"));
        assert!(PanelUnit::Bilateral.measures(Family::Kpww).is_empty());
        assert!(PanelUnit::Bilateral
            .measures(Family::Bm)
            .contains(&"bm.DVA"));
        assert!(PanelUnit::BilateralSector
            .measures(Family::Wwz)
            .contains(&"wwz.VAX"));
        assert!(PanelUnit::BilateralSector.measures(Family::Bm).is_empty());
        assert_eq!(PanelUnit::units_of(Family::Kww), "country");
        assert_eq!(PanelUnit::units_of(Family::Kpww), "country, country_sector");
        assert_eq!(
            PanelUnit::units_of(Family::Wwz),
            "country, country_sector, bilateral, bilateral_sector"
        );
    }

    #[test]
    fn fe_terms_parse_print_and_map_to_estimators() {
        let t = FeTerm::parse("exporter^sector").unwrap();
        assert_eq!(t.to_string(), "exporter^sector");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"exporter^sector\"");
        assert!(FeTerm::parse("exporter^exporter")
            .unwrap_err()
            .contains("twice"));
        assert!(FeTerm::parse("exporter^sectr")
            .unwrap_err()
            .contains("unknown panel dimension `sectr`"));
        let year = FeTerm::parse("year").unwrap();
        let cs = PanelUnit::CountrySector;
        let fe = Estimator::Fe;
        assert_eq!(
            absorbed_estimator(cs, &[t.clone(), year.clone()], fe),
            Estimator::Fe2
        );
        assert_eq!(
            absorbed_estimator(cs, &[FeTerm::parse("sector^exporter").unwrap()], fe),
            Estimator::Fe
        );
        let gravity = [
            FeTerm::parse("exporter^year").unwrap(),
            FeTerm::parse("importer^year").unwrap(),
        ];
        assert_eq!(
            absorbed_estimator(PanelUnit::Bilateral, &gravity, fe),
            Estimator::Hdfe
        );
        assert_eq!(
            absorbed_estimator(PanelUnit::Bilateral, &[t, year], Estimator::Ppml),
            Estimator::Ppml
        );
    }
}
