//! The built-in country registry against the shared ADB economy list and the WDI files.

use crate::common;

use gvc::sources::countries::{
    self, builtin_set, classify_wdi, AdbEdition, CodeSystem, CountryError, WdiEntity,
};

/// Every row of shared/data/bri/adb_mrio_economies_bri_flags.csv: the registry gives the same
/// ISO3 for the ADB code (empty ISO3 = no ISO3 code, the rest of the world), the same 62- and
/// 72-economy indices, and ISO3 → ADB maps back.
#[test]
fn registry_matches_adb_economy_list() {
    let Some(shared) = common::shared_dir("ADB economy list test") else {
        return;
    };
    let path = shared.join("data/bri/adb_mrio_economies_bri_flags.csv");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (c62, c72, cadb, ciso, cin62, cbri) = (
        col("mrio62_index"),
        col("mrio72_index"),
        col("adb_code"),
        col("iso3"),
        col("in_mrio62"),
        col("bri_traditional_along_route"),
    );
    let registry = countries::registry().unwrap();
    let mut rows = 0;
    let mut bri_in_62 = Vec::new();
    for record in reader.records() {
        let r = record.unwrap();
        rows += 1;
        let adb = &r[cadb];
        let iso = &r[ciso];
        let mapped = countries::map(adb, CodeSystem::Adb, CodeSystem::Iso3);
        if iso.is_empty() {
            assert!(
                matches!(mapped, Err(CountryError::NoEquivalent { .. })),
                "{adb}: expected no ISO3, got {mapped:?}"
            );
        } else {
            assert_eq!(mapped.as_deref(), Ok(iso), "ADB {adb}");
            assert_eq!(
                countries::map(iso, CodeSystem::Iso3, CodeSystem::Adb).as_deref(),
                Ok(adb),
                "ISO3 {iso}"
            );
        }
        let economy = registry.lookup(adb, CodeSystem::Adb).unwrap();
        let idx = |s: &str| (!s.is_empty()).then(|| s.parse::<u16>().unwrap());
        assert_eq!(economy.mrio62, idx(&r[c62]), "{adb} mrio62");
        assert_eq!(economy.mrio72, idx(&r[c72]), "{adb} mrio72");
        assert_eq!(
            &r[cin62] == "1",
            economy.mrio62.is_some(),
            "{adb} in_mrio62"
        );
        if &r[cin62] == "1" && &r[cbri] == "1" {
            bri_in_62.push(adb.to_string());
        }
    }
    assert_eq!(rows, 73, "the file lists 72 economies + RoW");
    assert_eq!(registry.adb_economies(AdbEdition::Mrio62).len(), 63);
    assert_eq!(registry.adb_economies(AdbEdition::Mrio72).len(), 73);
    // bri34 = the file's "along the route" economies of the 62-economy table (PRC is not flagged).
    let mut ours = builtin_set("bri34", CodeSystem::Adb).unwrap();
    ours.sort();
    bri_in_62.sort();
    assert_eq!(ours, bri_in_62);
    println!("checked {rows} ADB economies against {}", path.display());
}

/// Every Country Code of both WDI vintages is either an economy or a known aggregate, and the
/// aggregates (WLD, EAS, HIC, EUU, ...) are never economies.
#[test]
fn wdi_codes_of_both_vintages_are_classified() {
    let Some(shared) = common::shared_dir("WDI code classification") else {
        return;
    };
    let files = [
        (
            "data/wdi/API_NY.GDP.PCAP.KD.ZG_DS2_en_csv_v2_94752.csv",
            4usize,
            49usize,
        ),
        ("data/wdi/wdi_2013_bundle/NY.GDP.PCAP.KD.ZG_WDI.csv", 0, 38),
    ];
    for (file, preamble, expected_aggregates) in files {
        let text = std::fs::read_to_string(shared.join(file)).unwrap();
        let body: String = text.lines().skip(preamble).collect::<Vec<_>>().join("\n");
        let mut reader = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes());
        let mut aggregates = 0;
        let mut economies = 0;
        for record in reader.records() {
            let r = record.unwrap();
            match classify_wdi(&r[1]) {
                WdiEntity::Country { .. } => economies += 1,
                WdiEntity::Aggregate { .. } => aggregates += 1,
                WdiEntity::Unknown => panic!("{file}: unclassified code {} ({})", &r[1], &r[0]),
            }
        }
        println!("{file}: {economies} economies, {aggregates} aggregates");
        assert_eq!(aggregates, expected_aggregates, "{file}");
        for code in ["WLD", "EAS", "HIC", "EUU", "LMY", "OED"] {
            assert!(
                matches!(classify_wdi(code), WdiEntity::Aggregate { .. }),
                "{code}"
            );
        }
    }
}

#[test]
fn unmappable_codes_suggest_nearest() {
    let err = countries::map("CHX", CodeSystem::Iso3, CodeSystem::Adb).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("unknown iso3 country code `CHX`"), "{text}");
    assert!(text.contains("CHN"), "{text}");
    // An ADB code given as ISO3 says which system it belongs to.
    let text = countries::map("INO", CodeSystem::Iso3, CodeSystem::Adb)
        .unwrap_err()
        .to_string();
    assert!(text.contains("adb code (Indonesia)"), "{text}");
    // A valid code without a counterpart is a different error.
    let text = countries::map("AFG", CodeSystem::Iso3, CodeSystem::Adb)
        .unwrap_err()
        .to_string();
    assert!(text.contains("has no adb code"), "{text}");
}

#[test]
fn bri34_in_other_code_systems() {
    let iso = builtin_set("bri34", CodeSystem::Iso3).unwrap();
    assert_eq!(iso.len(), 34);
    for (adb, iso3) in [
        ("MON", "MNG"),
        ("VIE", "VNM"),
        ("ROM", "ROU"),
        ("BHU", "BTN"),
    ] {
        let i = countries::BRI34_ADB.iter().position(|c| *c == adb).unwrap();
        assert_eq!(iso[i], iso3);
    }
    // 28 of the 34 are in the OECD ICIO 2023 edition (not MON, NEP, BHU, SRI, MLD, KGZ):
    // mapping fails with the first one missing there.
    let err = builtin_set("bri34", CodeSystem::Icio).unwrap_err();
    assert!(
        matches!(&err, CountryError::NoEquivalent { code, .. } if code == "MON"),
        "{err}"
    );
}
