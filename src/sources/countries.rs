//! Country codes: a built-in registry of the economies of the ADB MRIO tables (62- and
//! 72-economy editions), WIOD (2013 and 2016 releases), OECD ICIO (2023 edition) and ISO 3166-1
//! alpha-3, with mapping between the code systems, the World Bank WDI aggregates (so regions and
//! income groups are never taken for countries) and named country sets.
//!
//! The registry is the embedded file `countries.csv` (written from the public code lists; one
//! row per economy). ADB codes differ from ISO3 for many economies (PRC/CHN, INO/IDN, ROM/ROU,
//! TAP/TWN, GER/DEU, ...); WIOD 2013 writes Romania `ROM` and the rest of the world `RoW`.
//! Lookups are case-insensitive (`are`, `RoW` and `ROW` are accepted); results use the
//! canonical spelling of the target system.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::Deserialize;

/// A country code system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeSystem {
    /// ADB MRIO economy codes (`PRC`, `INO`, `ROM`, `TAP`, ..., `ROW`).
    Adb,
    /// ISO 3166-1 alpha-3 (as used by the World Bank WDI; WDI also uses `XKX` for Kosovo and
    /// `CHI` for the Channel Islands, which the registry accepts as ISO3-like codes).
    Iso3,
    /// WIOD 2013 release (40 countries + `RoW`; Romania is `ROM`).
    #[serde(alias = "wiod2013")]
    Wiod,
    /// WIOD 2016 release (43 countries + `ROW`; Romania is `ROU`).
    Wiod2016,
    /// OECD ICIO 2023 edition (76 economies + `ROW`; ISO3 codes). The processing-trade splits
    /// `CN1`/`CN2` and `MX1`/`MX2` of earlier editions are accepted as China and Mexico.
    Icio,
}

impl CodeSystem {
    /// Every code system, in a fixed order.
    pub const ALL: [CodeSystem; 5] = [
        CodeSystem::Adb,
        CodeSystem::Iso3,
        CodeSystem::Wiod,
        CodeSystem::Wiod2016,
        CodeSystem::Icio,
    ];

    /// The spec name of the system (`adb`, `iso3`, `wiod`, `wiod2016`, `icio`).
    pub fn name(self) -> &'static str {
        match self {
            CodeSystem::Adb => "adb",
            CodeSystem::Iso3 => "iso3",
            CodeSystem::Wiod => "wiod",
            CodeSystem::Wiod2016 => "wiod2016",
            CodeSystem::Icio => "icio",
        }
    }
}

impl fmt::Display for CodeSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CodeSystem {
    type Err = CountryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "adb" => Ok(CodeSystem::Adb),
            "iso3" => Ok(CodeSystem::Iso3),
            "wiod" | "wiod2013" => Ok(CodeSystem::Wiod),
            "wiod2016" => Ok(CodeSystem::Wiod2016),
            "icio" => Ok(CodeSystem::Icio),
            _ => Err(CountryError::UnknownSystem {
                name: s.to_string(),
            }),
        }
    }
}

/// The ADB MRIO edition an economy index refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdbEdition {
    /// The 62-economy table (+ RoW = 63), 2000 and 2007 onwards.
    Mrio62,
    /// The 72-economy table (+ RoW = 73), 2017 onwards.
    Mrio72,
}

/// One economy of the registry with its code in every system where it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct Economy {
    /// ISO 3166-1 alpha-3 (or WDI's `XKX`/`CHI`); `None` for the tables' rest of the world.
    pub iso3: Option<String>,
    /// Short English name.
    pub name: String,
    /// ADB MRIO code, if the economy is in the ADB tables.
    pub adb: Option<String>,
    /// The name ADB uses (e.g. "Taipei,China").
    pub adb_name: Option<String>,
    /// 1-based position in the 62-economy ADB MRIO table (RoW = 63).
    pub mrio62: Option<u16>,
    /// 1-based position in the 72-economy ADB MRIO table (RoW = 73).
    pub mrio72: Option<u16>,
    /// WIOD 2013 release code.
    pub wiod: Option<String>,
    /// WIOD 2016 release code.
    pub wiod2016: Option<String>,
    /// OECD ICIO 2023 code.
    pub icio: Option<String>,
}

impl Economy {
    /// The economy's code in `system`, if it has one.
    pub fn code(&self, system: CodeSystem) -> Option<&str> {
        match system {
            CodeSystem::Adb => self.adb.as_deref(),
            CodeSystem::Iso3 => self.iso3.as_deref(),
            CodeSystem::Wiod => self.wiod.as_deref(),
            CodeSystem::Wiod2016 => self.wiod2016.as_deref(),
            CodeSystem::Icio => self.icio.as_deref(),
        }
    }

    /// The economy's 1-based index in an ADB MRIO edition.
    pub fn adb_index(&self, edition: AdbEdition) -> Option<u16> {
        match edition {
            AdbEdition::Mrio62 => self.mrio62,
            AdbEdition::Mrio72 => self.mrio72,
        }
    }
}

/// A failed code lookup or mapping.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CountryError {
    /// `code` is not a code of `system`.
    #[error(
        "unknown {system} country code `{code}`{}{}",
        nearest_suffix(nearest),
        elsewhere_suffix(elsewhere)
    )]
    Unknown {
        code: String,
        system: CodeSystem,
        /// Valid codes of `system` closest by edit distance (at most 5).
        nearest: Vec<String>,
        /// Other systems in which `code` is valid, with the economy's name.
        elsewhere: Vec<(CodeSystem, String)>,
    },
    /// `code` is valid in `from` but the economy has no code in `to`.
    #[error("{from} code `{code}` ({name}) has no {to} code{}", no_equivalent_hint(*to))]
    NoEquivalent {
        code: String,
        name: String,
        from: CodeSystem,
        to: CodeSystem,
    },
    /// Not a code system name.
    #[error(
        "unknown country code system `{name}` (fix: use one of adb, iso3, wiod, wiod2016, icio)"
    )]
    UnknownSystem { name: String },
    /// Not a built-in country set.
    #[error("unknown built-in country set `{name}` (fix: use one of {})", BUILTIN_SETS.join(", "))]
    UnknownSet { name: String },
    /// The embedded registry file is malformed (a bug of gvc, not of the input).
    #[error("built-in country registry is malformed: {message}")]
    Registry { message: String },
}

fn nearest_suffix(nearest: &[String]) -> String {
    if nearest.is_empty() {
        String::new()
    } else {
        format!("; nearest: {}", nearest.join(", "))
    }
}

fn elsewhere_suffix(elsewhere: &[(CodeSystem, String)]) -> String {
    if elsewhere.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = elsewhere
        .iter()
        .map(|(s, name)| format!("a {s} code ({name})"))
        .collect();
    format!(" (it is {}: check the code system)", parts.join(" and "))
}

fn no_equivalent_hint(to: CodeSystem) -> &'static str {
    match to {
        CodeSystem::Adb => " (fix: the economy is not in the ADB MRIO tables; drop it or use a different code system)",
        CodeSystem::Iso3 => " (fix: the rest of the world is not a country; leave it out of country lists)",
        _ => " (fix: the economy is not in that table; drop it from the sample)",
    }
}

/// The embedded registry data (see the header of the file for its columns).
const REGISTRY_CSV: &str = include_str!("countries.csv");

/// ICIO codes of earlier editions that split a country into processing/non-processing parts.
const ICIO_ALIASES: [(&str, &str); 4] = [
    ("CN1", "CHN"),
    ("CN2", "CHN"),
    ("MX1", "MEX"),
    ("MX2", "MEX"),
];

/// The built-in registry, parsed once from the embedded file.
#[derive(Debug)]
pub struct Registry {
    economies: Vec<Economy>,
    index: HashMap<(CodeSystem, String), usize>,
}

static REGISTRY: OnceLock<Result<Registry, CountryError>> = OnceLock::new();

/// The built-in registry. Fails only if the embedded data were malformed (a unit test checks
/// they are not).
pub fn registry() -> Result<&'static Registry, CountryError> {
    REGISTRY
        .get_or_init(|| Registry::parse(REGISTRY_CSV))
        .as_ref()
        .map_err(Clone::clone)
}

/// Maps `code` from one system to another, e.g. `map("PRC", Adb, Iso3) == Ok("CHN")`.
/// An invalid code is [`CountryError::Unknown`] with the nearest valid codes (edit distance)
/// and the systems the code does belong to; a valid code whose economy has no code in `to`
/// (e.g. AFG in `adb`, `ROW` in `iso3`) is [`CountryError::NoEquivalent`].
pub fn map(code: &str, from: CodeSystem, to: CodeSystem) -> Result<String, CountryError> {
    registry()?.map(code, from, to)
}

impl Registry {
    fn parse(text: &str) -> Result<Registry, CountryError> {
        let body: String = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        let mut reader = csv::ReaderBuilder::new().from_reader(body.as_bytes());
        let bad = |message: String| CountryError::Registry { message };
        let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
        let expected = [
            "iso3", "name", "adb", "adb_name", "mrio62", "mrio72", "wiod2013", "wiod2016", "icio",
        ];
        if headers.iter().ne(expected.iter().copied()) {
            return Err(bad(format!("header is {headers:?}")));
        }
        let mut economies = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| bad(e.to_string()))?;
            let field = |i: usize| -> Option<String> {
                record
                    .get(i)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            let index = |i: usize| -> Result<Option<u16>, CountryError> {
                field(i)
                    .map(|s| s.parse::<u16>().map_err(|e| bad(format!("{s}: {e}"))))
                    .transpose()
            };
            economies.push(Economy {
                iso3: field(0),
                name: field(1).ok_or_else(|| bad("a row without a name".into()))?,
                adb: field(2),
                adb_name: field(3),
                mrio62: index(4)?,
                mrio72: index(5)?,
                wiod: field(6),
                wiod2016: field(7),
                icio: field(8),
            });
        }
        let mut index = HashMap::new();
        for (i, e) in economies.iter().enumerate() {
            for system in CodeSystem::ALL {
                if let Some(code) = e.code(system) {
                    if index
                        .insert((system, code.to_ascii_uppercase()), i)
                        .is_some()
                    {
                        return Err(bad(format!("duplicate {system} code {code}")));
                    }
                }
            }
        }
        for (alias, target) in ICIO_ALIASES {
            let i = *index
                .get(&(CodeSystem::Icio, target.to_string()))
                .ok_or_else(|| bad(format!("ICIO alias target {target} missing")))?;
            index.insert((CodeSystem::Icio, alias.to_string()), i);
        }
        Ok(Registry { economies, index })
    }

    /// Every economy of the registry (ISO order, rest of the world last).
    pub fn economies(&self) -> &[Economy] {
        &self.economies
    }

    /// The economy whose `system` code is `code` (case-insensitive).
    pub fn lookup(&self, code: &str, system: CodeSystem) -> Result<&Economy, CountryError> {
        let key = (system, code.trim().to_ascii_uppercase());
        match self.index.get(&key).and_then(|&i| self.economies.get(i)) {
            Some(e) => Ok(e),
            None => Err(self.unknown(code, system)),
        }
    }

    /// Whether `code` is a valid code of `system`.
    pub fn contains(&self, code: &str, system: CodeSystem) -> bool {
        self.index
            .contains_key(&(system, code.trim().to_ascii_uppercase()))
    }

    /// Maps `code` from `from` to `to` (see the free function [`map`]).
    pub fn map(
        &self,
        code: &str,
        from: CodeSystem,
        to: CodeSystem,
    ) -> Result<String, CountryError> {
        let economy = self.lookup(code, from)?;
        economy
            .code(to)
            .map(str::to_string)
            .ok_or_else(|| CountryError::NoEquivalent {
                code: code.trim().to_string(),
                name: economy.name.clone(),
                from,
                to,
            })
    }

    /// The canonical spelling of a valid code (`map(code, system, system)`).
    pub fn canonical(&self, code: &str, system: CodeSystem) -> Result<String, CountryError> {
        self.map(code, system, system)
    }

    /// All codes of `system`, sorted.
    pub fn codes(&self, system: CodeSystem) -> Vec<&str> {
        let mut codes: Vec<&str> = self
            .economies
            .iter()
            .filter_map(|e| e.code(system))
            .collect();
        codes.sort_unstable();
        codes
    }

    /// The economies of an ADB MRIO edition in table order, rest of the world last.
    pub fn adb_economies(&self, edition: AdbEdition) -> Vec<&Economy> {
        let mut list: Vec<&Economy> = self
            .economies
            .iter()
            .filter(|e| e.adb_index(edition).is_some())
            .collect();
        list.sort_by_key(|e| e.adb_index(edition));
        list
    }

    /// The economy at 1-based position `index` of an ADB MRIO edition.
    pub fn adb_economy(&self, edition: AdbEdition, index: u16) -> Option<&Economy> {
        self.economies
            .iter()
            .find(|e| e.adb_index(edition) == Some(index))
    }

    fn unknown(&self, code: &str, system: CodeSystem) -> CountryError {
        let code = code.trim();
        let upper = code.to_ascii_uppercase();
        let elsewhere = CodeSystem::ALL
            .iter()
            .filter(|&&s| s != system)
            .filter_map(|&s| {
                let e = self.index.get(&(s, upper.clone()))?;
                Some((s, self.economies.get(*e)?.name.clone()))
            })
            .collect();
        let mut nearest = nearest_codes(&upper, self.codes(system));
        if code.len() > 3 {
            // A country name where a code was expected: suggest the code of that name.
            let lower = code.to_ascii_lowercase();
            for e in &self.economies {
                if e.name.to_ascii_lowercase() == lower
                    || e.adb_name.as_deref().map(str::to_ascii_lowercase) == Some(lower.clone())
                {
                    if let Some(c) = e.code(system) {
                        nearest.insert(0, c.to_string());
                    }
                }
            }
        }
        CountryError::Unknown {
            code: code.to_string(),
            system,
            nearest,
            elsewhere,
        }
    }
}

/// Up to 5 candidates with the smallest Levenshtein distance (at most 2) to `code`, ties in
/// alphabetical order.
pub fn nearest_codes<'a>(code: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| {
            (
                strsim::levenshtein(&code.to_ascii_uppercase(), &c.to_ascii_uppercase()),
                c,
            )
        })
        .filter(|(d, _)| *d <= 2)
        .collect();
    scored.sort();
    scored.dedup();
    scored
        .into_iter()
        .take(5)
        .map(|(_, c)| c.to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// World Bank WDI codes
// ---------------------------------------------------------------------------------------------

/// What a WDI `Country Code` denotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WdiEntity {
    /// An economy, with its ISO3 code (legacy WDI codes such as `ROM` are translated).
    Country { iso3: String },
    /// A region, income group or other aggregate (`WLD`, `EAS`, `HIC`, `EUU`, ...).
    Aggregate { name: &'static str },
    /// Neither a known economy nor a known aggregate.
    Unknown,
}

/// Aggregate rows of WDI files (current and older vintages): regions, income and lending
/// groups, demographic-dividend groups, small-state groups, IFC regions. None of these is an
/// ISO3 code (checked by a unit test).
pub const WDI_AGGREGATES: &[(&str, &str)] = &[
    ("AFE", "Africa Eastern and Southern"),
    ("AFW", "Africa Western and Central"),
    ("ARB", "Arab World"),
    ("CAA", "Sub-Saharan Africa (IFC classification)"),
    ("CEA", "East Asia and the Pacific (IFC classification)"),
    ("CEB", "Central Europe and the Baltics"),
    ("CEU", "Europe and Central Asia (IFC classification)"),
    (
        "CLA",
        "Latin America and the Caribbean (IFC classification)",
    ),
    ("CME", "Middle East and North Africa (IFC classification)"),
    ("CSA", "South Asia (IFC classification)"),
    ("CSS", "Caribbean small states"),
    ("EAP", "East Asia & Pacific (excluding high income)"),
    ("EAR", "Early-demographic dividend"),
    ("EAS", "East Asia & Pacific"),
    ("ECA", "Europe & Central Asia (excluding high income)"),
    ("ECS", "Europe & Central Asia"),
    ("EMU", "Euro area"),
    ("EUU", "European Union"),
    ("FCS", "Fragile and conflict affected situations"),
    ("HIC", "High income"),
    ("HPC", "Heavily indebted poor countries (HIPC)"),
    ("IBD", "IBRD only"),
    ("IBT", "IDA & IBRD total"),
    ("IDA", "IDA total"),
    ("IDB", "IDA blend"),
    ("IDX", "IDA only"),
    ("INX", "Not classified"),
    ("LAC", "Latin America & Caribbean (excluding high income)"),
    ("LCN", "Latin America & Caribbean"),
    ("LDC", "Least developed countries: UN classification"),
    ("LIC", "Low income"),
    ("LMC", "Lower middle income"),
    ("LMY", "Low & middle income"),
    ("LTE", "Late-demographic dividend"),
    ("MEA", "Middle East, North Africa, Afghanistan & Pakistan"),
    ("MIC", "Middle income"),
    (
        "MNA",
        "Middle East, North Africa, Afghanistan & Pakistan (excluding high income)",
    ),
    ("NAC", "North America"),
    ("NOC", "High income: nonOECD"),
    ("OEC", "High income: OECD"),
    ("OED", "OECD members"),
    ("OSS", "Other small states"),
    ("PRE", "Pre-demographic dividend"),
    ("PSS", "Pacific island small states"),
    ("PST", "Post-demographic dividend"),
    ("SAS", "South Asia"),
    ("SSA", "Sub-Saharan Africa (excluding high income)"),
    ("SSF", "Sub-Saharan Africa"),
    ("SST", "Small states"),
    ("TEA", "East Asia & Pacific (IDA & IBRD countries)"),
    ("TEC", "Europe & Central Asia (IDA & IBRD countries)"),
    (
        "TLA",
        "Latin America & the Caribbean (IDA & IBRD countries)",
    ),
    (
        "TMN",
        "Middle East, North Africa, Afghanistan & Pakistan (IDA & IBRD)",
    ),
    ("TSA", "South Asia (IDA & IBRD)"),
    ("TSS", "Sub-Saharan Africa (IDA & IBRD countries)"),
    ("UMC", "Upper middle income"),
    ("WLD", "World"),
];

/// Economy codes of older WDI vintages (e.g. the December 2013 bulk files) that differ from
/// ISO3, with the ISO3 code they stand for.
pub const WDI_LEGACY_CODES: &[(&str, &str)] = &[
    ("ADO", "AND"),
    ("IMY", "IMN"),
    ("KSV", "XKX"),
    ("ROM", "ROU"),
    ("TMP", "TLS"),
    ("WBG", "PSE"),
    ("ZAR", "COD"),
];

/// Classifies a WDI `Country Code`: an economy (ISO3 after translating legacy codes), an
/// aggregate, or unknown. Aggregates are recognised from [`WDI_AGGREGATES`]; a reader that has
/// the WDI country metadata (empty `Region` = aggregate) can add to that list.
pub fn classify_wdi(code: &str) -> WdiEntity {
    let upper = code.trim().to_ascii_uppercase();
    if let Some((_, name)) = WDI_AGGREGATES.iter().find(|(c, _)| *c == upper) {
        return WdiEntity::Aggregate { name };
    }
    let iso = WDI_LEGACY_CODES
        .iter()
        .find(|(old, _)| *old == upper)
        .map(|(_, iso)| iso.to_string())
        .unwrap_or(upper);
    match registry() {
        Ok(r) if r.contains(&iso, CodeSystem::Iso3) => WdiEntity::Country { iso3: iso },
        _ => WdiEntity::Unknown,
    }
}

// ---------------------------------------------------------------------------------------------
// Built-in country sets
// ---------------------------------------------------------------------------------------------

/// Names of the built-in country sets.
pub const BUILTIN_SETS: [&str; 3] = ["bri34", "adb62", "adb72"];

/// The 34 Belt and Road economies of the motivating study (China excluded), in ADB codes:
/// the "countries along the Belt and Road" that are in the 62-economy ADB MRIO table.
pub const BRI34_ADB: [&str; 34] = [
    "MON", "INO", "MAL", "PHI", "THA", "VIE", "LAO", "BRU", "CAM", "SIN", "TUR", "GRC", "CYP",
    "IND", "PAK", "BAN", "NEP", "BHU", "SRI", "MLD", "KAZ", "KGZ", "RUS", "POL", "LTU", "EST",
    "LVA", "CZE", "SVK", "HUN", "SVN", "HRV", "ROM", "BGR",
];

/// A built-in country set in the code system `to`: `bri34` (see [`BRI34_ADB`]), `adb62` and
/// `adb72` (every economy of that ADB MRIO edition in table order, without the rest of the
/// world). Fails with [`CountryError::NoEquivalent`] if a member has no code in `to` (e.g.
/// `adb72` in `wiod`) and with [`CountryError::UnknownSet`] for other names.
pub fn builtin_set(name: &str, to: CodeSystem) -> Result<Vec<String>, CountryError> {
    let registry = registry()?;
    let adb_codes: Vec<String> = match name {
        "bri34" => BRI34_ADB.iter().map(|c| c.to_string()).collect(),
        "adb62" | "adb72" => {
            let edition = if name == "adb62" {
                AdbEdition::Mrio62
            } else {
                AdbEdition::Mrio72
            };
            registry
                .adb_economies(edition)
                .into_iter()
                .filter(|e| e.iso3.is_some())
                .filter_map(|e| e.adb.clone())
                .collect()
        }
        _ => {
            return Err(CountryError::UnknownSet {
                name: name.to_string(),
            })
        }
    };
    adb_codes
        .iter()
        .map(|c| registry.map(c, CodeSystem::Adb, to))
        .collect()
}

impl crate::choice::Choice for CodeSystem {
    const WHAT: &'static str = "code system";
    const ALL: &'static [Self] = &CodeSystem::ALL;
    fn name(self) -> &'static str {
        CodeSystem::name(self)
    }
}

/// Code systems deserialise through serde's derive (it accepts the alias `wiod2013`) and
/// serialise as their name.
impl serde::Serialize for CodeSystem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(crate::choice::Choice::name(*self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_parses_and_has_the_adb_editions() {
        let r = registry().unwrap();
        assert_eq!(r.adb_economies(AdbEdition::Mrio62).len(), 63);
        assert_eq!(r.adb_economies(AdbEdition::Mrio72).len(), 73);
        assert_eq!(r.codes(CodeSystem::Wiod).len(), 41);
        assert_eq!(r.codes(CodeSystem::Wiod2016).len(), 44);
        assert_eq!(r.codes(CodeSystem::Icio).len(), 77);
        assert_eq!(r.codes(CodeSystem::Iso3).len(), 251);
        // 1..=63 and 1..=73 without holes
        for (edition, n) in [(AdbEdition::Mrio62, 63), (AdbEdition::Mrio72, 73)] {
            let idx: Vec<u16> = r
                .adb_economies(edition)
                .iter()
                .filter_map(|e| e.adb_index(edition))
                .collect();
            assert_eq!(idx, (1..=n).collect::<Vec<u16>>());
        }
    }

    #[test]
    fn common_exceptions_map_both_ways() {
        for (adb, iso) in [
            ("PRC", "CHN"),
            ("INO", "IDN"),
            ("ROM", "ROU"),
            ("TAP", "TWN"),
            ("GER", "DEU"),
            ("UKG", "GBR"),
            ("UAE", "ARE"),
            ("KUW", "KWT"),
        ] {
            assert_eq!(map(adb, CodeSystem::Adb, CodeSystem::Iso3).unwrap(), iso);
            assert_eq!(map(iso, CodeSystem::Iso3, CodeSystem::Adb).unwrap(), adb);
        }
        assert_eq!(
            map("rou", CodeSystem::Iso3, CodeSystem::Wiod).unwrap(),
            "ROM"
        );
        assert_eq!(
            map("ROM", CodeSystem::Wiod, CodeSystem::Wiod2016).unwrap(),
            "ROU"
        );
        assert_eq!(
            map("RoW", CodeSystem::Wiod, CodeSystem::Adb).unwrap(),
            "ROW"
        );
        assert_eq!(
            map("CN1", CodeSystem::Icio, CodeSystem::Adb).unwrap(),
            "PRC"
        );
    }

    #[test]
    fn unknown_code_names_nearest_and_other_systems() {
        let err = map("PRC", CodeSystem::Iso3, CodeSystem::Adb).unwrap_err();
        match &err {
            CountryError::Unknown {
                nearest, elsewhere, ..
            } => {
                assert!(nearest.contains(&"PRI".to_string()), "{nearest:?}");
                assert_eq!(elsewhere, &vec![(CodeSystem::Adb, "China".to_string())]);
            }
            other => panic!("unexpected {other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains("unknown iso3 country code `PRC`"), "{text}");
        assert!(text.contains("adb code (China)"), "{text}");
        let err = map("China", CodeSystem::Adb, CodeSystem::Iso3).unwrap_err();
        assert!(err.to_string().contains("nearest: PRC"), "{err}");
    }

    #[test]
    fn no_equivalent_is_distinct_from_unknown() {
        assert!(matches!(
            map("AFG", CodeSystem::Iso3, CodeSystem::Adb),
            Err(CountryError::NoEquivalent { .. })
        ));
        assert!(matches!(
            map("ROW", CodeSystem::Adb, CodeSystem::Iso3),
            Err(CountryError::NoEquivalent { .. })
        ));
    }

    #[test]
    fn wdi_aggregates_are_not_countries() {
        let r = registry().unwrap();
        for (code, _) in WDI_AGGREGATES {
            assert!(!r.contains(code, CodeSystem::Iso3), "{code} is ISO3");
            assert!(matches!(classify_wdi(code), WdiEntity::Aggregate { .. }));
        }
        assert_eq!(
            classify_wdi("ROM"),
            WdiEntity::Country { iso3: "ROU".into() }
        );
        assert_eq!(classify_wdi("XYZ"), WdiEntity::Unknown);
    }

    #[test]
    fn bri34_in_every_system_it_fits() {
        let iso = builtin_set("bri34", CodeSystem::Iso3).unwrap();
        assert_eq!(iso.len(), 34);
        assert_eq!(&iso[..3], &["MNG", "IDN", "MYS"]);
        assert!(iso.contains(&"ROU".to_string()));
        assert!(matches!(
            builtin_set("bri34", CodeSystem::Wiod),
            Err(CountryError::NoEquivalent { .. })
        ));
        assert_eq!(builtin_set("adb62", CodeSystem::Adb).unwrap().len(), 62);
        assert_eq!(builtin_set("adb72", CodeSystem::Iso3).unwrap().len(), 72);
        assert!(matches!(
            builtin_set("bri", CodeSystem::Adb),
            Err(CountryError::UnknownSet { .. })
        ));
    }

    #[test]
    fn nearest_codes_by_edit_distance() {
        // CHN itself (0), then CAN, CHE and CHL (1 each, alphabetical); case-insensitive.
        assert_eq!(
            nearest_codes("chn", ["CAN", "CHE", "CHN", "USA", "CHL"]),
            vec!["CHN", "CAN", "CHE", "CHL"]
        );
        assert_eq!(
            nearest_codes("ROM", ["ROU", "RUS", "DEU"]),
            vec!["ROU", "RUS"]
        );
    }

    #[test]
    fn code_system_names_round_trip() {
        for s in CodeSystem::ALL {
            assert_eq!(s.name().parse::<CodeSystem>().unwrap(), s);
        }
        assert_eq!("wiod2013".parse::<CodeSystem>().unwrap(), CodeSystem::Wiod);
        assert!("iso2".parse::<CodeSystem>().is_err());
    }
}
