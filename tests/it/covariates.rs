//! Covariate readers (`wdi-csv`, `csv`, `synthetic-panel`): values against the real WDI files,
//! located errors for bad inputs, and the synthetic source.

use crate::common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use gvc::sources::countries::CodeSystem;
use gvc::sources::synthetic_panel::{self, SERIES};
use gvc::sources::table::{self, TableLayout, TableSpec};
use gvc::sources::wdi::{self, WdiLayout};
use gvc::sources::SourceError;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// (line, column, message, fix) of a located error; panics on other variants.
fn located(err: &SourceError) -> (usize, usize, String, String) {
    match err {
        SourceError::Text {
            line,
            column,
            message,
            fix,
            ..
        } => (
            *line,
            *column,
            message.clone(),
            fix.clone().unwrap_or_default(),
        ),
        other => panic!("expected a located error, got {other}"),
    }
}

fn value(series: &[gvc::sources::table::Observation], country: &str, year: i32) -> Option<f64> {
    series
        .iter()
        .find(|o| o.country == country && o.year == year)
        .map(|o| o.value)
}

// ---------------------------------------------------------------------------------------------
// Real WDI files
// ---------------------------------------------------------------------------------------------

/// Cells read by eye from the API downloads (file line, column in comments).
#[test]
fn api_download_values_match_file_cells() {
    let Some(shared) = common::shared_dir("WDI API download values") else {
        return;
    };
    let folder = shared.join("data/wdi");
    let listed = wdi::list_indicators(&folder).unwrap();
    let codes: Vec<&str> = listed.iter().map(|i| i.code.as_str()).collect();
    // three API downloads + the DDF extract; the 2013 bundle is a subfolder, not included
    assert_eq!(
        codes,
        [
            "BM.KLT.DINV.WD.GD.ZS",
            "GB.XPD.RSDV.GD.ZS",
            "NY.GDP.PCAP.KD.ZG",
            "TM.TAX.MRCH.WM.AR.ZS"
        ]
    );

    let gdp = wdi::read_indicator(&folder, "NY.GDP.PCAP.KD.ZG").unwrap();
    assert_eq!(gdp.layout, WdiLayout::Api);
    assert_eq!(gdp.name, "GDP per capita growth (annual %)");
    assert_eq!(gdp.last_updated.as_deref(), Some("2026-02-24"));
    let cells = [
        ("CHN", 2010, 10.0634243207535), // line 46, column 55
        ("IDN", 2009, 3.31160021271401), // line 112, column 54
        ("KGZ", 2017, 2.55837834194257), // line 128, column 62
        ("MNG", 2007, 8.77843828826261), // line 169, column 52
        ("ROU", 2015, 3.64306941096366), // line 207, column 60
    ];
    for (c, y, v) in cells {
        assert_eq!(value(&gdp.observations, c, y), Some(v), "{c} {y}");
    }
    // WLD 2010 = 3.26005790067614 in the file (line 265), but World is an aggregate.
    assert_eq!(value(&gdp.observations, "WLD", 2010), None);
    assert!(gdp.aggregates.contains(&"WLD".to_string()));
    assert_eq!(gdp.aggregates.len(), 49);
    assert!(gdp.unrecognised.is_empty(), "{:?}", gdp.unrecognised);
    for o in &gdp.observations {
        assert!(
            !gdp.aggregates.contains(&o.country),
            "aggregate {} returned",
            o.country
        );
    }

    let rd = wdi::read_indicator(&folder, "GB.XPD.RSDV.GD.ZS").unwrap();
    assert_eq!(rd.last_updated.as_deref(), Some("2026-07-13")); // LF line ends, not CRLF
    assert_eq!(value(&rd.observations, "CHN", 2012), Some(1.88095)); // line 46, col 57
    assert_eq!(value(&rd.observations, "POL", 2017), Some(1.03055)); // line 195, col 62
    assert_eq!(value(&rd.observations, "THA", 2008), Some(0.20331)); // line 238, col 53
    assert_eq!(value(&rd.observations, "SVN", 2014), Some(2.38854)); // line 227, col 59
                                                                     // empty cells are missing, not zero: ABW 2010 (line 6), BTN 2010 (line 38)
    assert_eq!(value(&rd.observations, "ABW", 2010), None);
    assert_eq!(value(&rd.observations, "BTN", 2010), None);

    let ofdi = wdi::read_indicator(&folder, "BM.KLT.DINV.WD.GD.ZS").unwrap();
    assert_eq!(value(&ofdi.observations, "SGP", 2011), Some(11.41917173355)); // line 214
    assert_eq!(
        value(&ofdi.observations, "KAZ", 2009),
        Some(3.63596825287881)
    ); // line 126
}

/// Cells of the December 2013 bundle (header on line 1, legacy codes ROM, TMP, ZAR).
#[test]
fn bundle_2013_values_match_file_cells() {
    let Some(shared) = common::shared_dir("WDI 2013 bundle values") else {
        return;
    };
    let folder = shared.join("data/wdi/wdi_2013_bundle");
    let listed = wdi::list_indicators(&folder).unwrap();
    assert_eq!(listed.len(), 6);
    assert!(listed.iter().all(|i| i.layout == WdiLayout::Wide));

    let enrol = wdi::read_indicator(&folder, "SE.TER.ENRR").unwrap();
    assert_eq!(enrol.name, "School enrollment, tertiary (% gross)");
    assert_eq!(enrol.last_updated, None);
    assert_eq!(value(&enrol.observations, "CHN", 2011), Some(24.32841)); // line 44, col 56
    assert_eq!(value(&enrol.observations, "PHL", 2008), Some(28.84396)); // line 183, col 53
    assert_eq!(value(&enrol.observations, "ROU", 2010), Some(56.7765)); // ROM, line 188, col 55
    assert_eq!(value(&enrol.observations, "TLS", 2010), Some(17.73506)); // TMP, line 228, col 55
    assert_eq!(value(&enrol.observations, "ROM", 2010), None);
    assert_eq!(enrol.aggregates.len(), 38);
    assert!(enrol.unrecognised.is_empty(), "{:?}", enrol.unrecognised);

    let tariff = wdi::read_indicator(&folder, "TM.TAX.MRCH.WM.AR.ZS").unwrap();
    assert_eq!(value(&tariff.observations, "CHN", 2010), Some(4.04)); // line 44, col 55
    assert_eq!(value(&tariff.observations, "VNM", 2007), Some(10.57)); // line 247, col 52
    assert_eq!(value(&tariff.observations, "TUR", 2012), None); // empty cell, line 233

    let gfcf = wdi::read_indicator(&folder, "NE.GDI.FTOT.ZS").unwrap();
    assert_eq!(
        value(&gfcf.observations, "IND", 2008),
        Some(32.3459751629176)
    ); // line 102
    assert_eq!(
        value(&gfcf.observations, "COD", 2009),
        Some(17.886903716085698)
    ); // ZAR, line 47
}

/// The DDF extract (`economy,year,tm_tax_mrch_wm_ar_zs`, lower-case ISO3).
#[test]
fn ddf_extract_values_match_file_cells() {
    let Some(shared) = common::shared_dir("WDI DDF extract values") else {
        return;
    };
    let tariff = wdi::read_indicator(&shared.join("data/wdi"), "TM.TAX.MRCH.WM.AR.ZS").unwrap();
    assert_eq!(tariff.layout, WdiLayout::Ddf);
    assert_eq!(value(&tariff.observations, "CHN", 2010), Some(4.65)); // line 229
    assert_eq!(value(&tariff.observations, "CHN", 2011), Some(5.99)); // line 230
    assert_eq!(value(&tariff.observations, "ROU", 2015), Some(1.89)); // line 1070
    assert_eq!(value(&tariff.observations, "NPL", 2008), Some(421.5)); // line 953 (outlier in source)
    assert_eq!(tariff.observations.len(), 1246); // every one of the 1,246 data rows has a value
}

// ---------------------------------------------------------------------------------------------
// Bad WDI inputs: located errors
// ---------------------------------------------------------------------------------------------

const API_PREAMBLE: &str = "\u{feff}\"Data Source\",\"World Development Indicators\",\r\n\r\n\"Last Updated Date\",\"2026-02-24\",\r\n\r\n";

fn api_file(header: &str, rows: &[&str]) -> String {
    let mut text = API_PREAMBLE.to_string();
    text.push_str(header);
    text.push_str(",\r\n");
    for r in rows {
        text.push_str(r);
        text.push_str(",\r\n");
    }
    text
}

const HEADER: &str =
    "\"Country Name\",\"Country Code\",\"Indicator Name\",\"Indicator Code\",\"2007\",\"2008\"";

#[test]
fn wdi_changed_header_is_located() {
    let dir = common::fresh_dir("changed_header");
    let header = HEADER.replace("\"Country Code\"", "\"Code\"");
    write(
        &dir,
        "API_X.Y_DS2_en_csv_v2_1.csv",
        &api_file(&header, &["\"China\",\"CHN\",\"X\",\"X.Y\",\"1\",\"2\""]),
    );
    let err = wdi::list_indicators(&dir).unwrap_err();
    let (line, column, message, fix) = located(&err);
    assert_eq!((line, column), (5, 2), "{err}");
    assert!(
        message.contains("expected `Country Code`") && message.contains("found `Code`"),
        "{message}"
    );
    assert!(fix.contains("Country Name,Country Code"), "{fix}");
    assert!(
        err.to_string().contains("API_X.Y_DS2_en_csv_v2_1.csv:5:2"),
        "{err}"
    );

    // a year column renamed
    let header = HEADER.replace("\"2008\"", "\"2008 [YR2008]\"");
    write(&dir, "API_X.Y_DS2_en_csv_v2_1.csv", &api_file(&header, &[]));
    let (line, column, message, _) = located(&wdi::list_indicators(&dir).unwrap_err());
    assert_eq!((line, column), (5, 6));
    assert!(message.contains("expected a year"), "{message}");
}

#[test]
fn wdi_duplicate_country_is_located() {
    let dir = common::fresh_dir("duplicate");
    write(
        &dir,
        "API_X.Y_DS2_en_csv_v2_1.csv",
        &api_file(
            HEADER,
            &[
                "\"China\",\"CHN\",\"X\",\"X.Y\",\"1\",\"2\"",
                "\"World\",\"WLD\",\"X\",\"X.Y\",\"1\",\"2\"",
                "\"China\",\"CHN\",\"X\",\"X.Y\",\"3\",\"4\"",
            ],
        ),
    );
    let err = wdi::read_indicator(&dir, "X.Y").unwrap_err();
    let (line, column, message, fix) = located(&err);
    assert_eq!((line, column), (8, 2), "{err}");
    assert!(
        message.contains("duplicate row for country CHN") && message.contains("first at line 6"),
        "{message}"
    );
    assert!(fix.contains("one row"), "{fix}");
    // Legacy and current code of one economy (ROM and ROU) are duplicates too.
    write(
        &dir,
        "API_X.Y_DS2_en_csv_v2_1.csv",
        &api_file(
            HEADER,
            &[
                "\"Romania\",\"ROM\",\"X\",\"X.Y\",\"1\",\"\"",
                "\"Romania\",\"ROU\",\"X\",\"X.Y\",\"\",\"2\"",
            ],
        ),
    );
    let (line, _, message, _) = located(&wdi::read_indicator(&dir, "X.Y").unwrap_err());
    assert_eq!(line, 7);
    assert!(message.contains("ROU"), "{message}");
}

#[test]
fn wdi_non_numeric_cell_is_located() {
    let dir = common::fresh_dir("non_numeric");
    write(
        &dir,
        "API_X.Y_DS2_en_csv_v2_1.csv",
        &api_file(
            HEADER,
            &["\"China\",\"CHN\",\"X\",\"X.Y\",\"1.5\",\"n.a.\""],
        ),
    );
    let err = wdi::read_indicator(&dir, "X.Y").unwrap_err();
    let (line, column, message, fix) = located(&err);
    assert_eq!((line, column), (6, 6), "{err}");
    assert!(
        message.contains("`n.a.` in column `2008` is not a number"),
        "{message}"
    );
    assert!(fix.contains("leave the cell empty"), "{fix}");
    // NaN and inf are not accepted as numbers either
    write(
        &dir,
        "API_X.Y_DS2_en_csv_v2_1.csv",
        &api_file(HEADER, &["\"China\",\"CHN\",\"X\",\"X.Y\",\"NaN\",\"\""]),
    );
    let (line, column, _, _) = located(&wdi::read_indicator(&dir, "X.Y").unwrap_err());
    assert_eq!((line, column), (6, 5));
}

#[test]
fn wdi_unknown_indicator_names_nearest() {
    let Some(shared) = common::shared_dir("WDI unknown indicator") else {
        return;
    };
    let folder = shared.join("data/wdi");
    let err = wdi::read_indicator(&folder, "NY.GDP.PCAP.KD.ZS").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "indicator `NY.GDP.PCAP.KD.ZS` not in {} (indicators ",
            folder.display()
        )),
        "{text}"
    );
    assert!(text.contains("did you mean `NY.GDP.PCAP.KD.ZG`?"), "{text}");
    assert!(text.contains(&folder.display().to_string()), "{text}");
    assert!(text.contains("fix:"), "{text}");
}

#[test]
fn wdi_unrecognised_codes_are_skipped_not_taken_as_countries() {
    let dir = common::fresh_dir("unrecognised");
    write(
        &dir,
        "API_X.Y_DS2_en_csv_v2_1.csv",
        &api_file(
            HEADER,
            &[
                "\"Some new region\",\"ZZQ\",\"X\",\"X.Y\",\"1\",\"2\"",
                "\"India\",\"IND\",\"X\",\"X.Y\",\"\",\"2\"",
            ],
        ),
    );
    // a country-metadata file marks ZZQ as an aggregate (empty Region)
    let series = wdi::read_indicator(&dir, "X.Y").unwrap();
    assert_eq!(
        series.unrecognised,
        vec![("ZZQ".to_string(), "Some new region".to_string(), 6)]
    );
    assert_eq!(series.observations.len(), 1);
    write(
        &dir,
        "Metadata_Country_API_X.Y_DS2_en_csv_v2_1.csv",
        "\"Country Code\",\"Region\",\"IncomeGroup\",\"SpecialNotes\",\"TableName\",\n\"ZZQ\",\"\",\"\",\"\",\"Some new region\",\n\"IND\",\"South Asia\",\"Lower middle income\",\"\",\"India\",\n",
    );
    let series = wdi::read_indicator(&dir, "X.Y").unwrap();
    assert!(series.unrecognised.is_empty());
    assert_eq!(series.aggregates, vec!["ZZQ".to_string()]);
    assert_eq!(wdi::list_indicators(&dir).unwrap().len(), 1); // the metadata file is not data
}

#[test]
fn wdi_foreign_file_and_duplicate_indicator_are_errors() {
    let dir = common::fresh_dir("foreign");
    write(
        &dir,
        "API_X.Y_DS2_en_csv_v2_1.csv",
        &api_file(HEADER, &["\"India\",\"IND\",\"X\",\"X.Y\",\"1\",\"2\""]),
    );
    write(&dir, "notes.csv", "a,b\n1,2\n");
    let (line, column, message, _) = located(&wdi::list_indicators(&dir).unwrap_err());
    assert_eq!((line, column), (1, 1));
    assert!(message.contains("not a WDI file"), "{message}");
    std::fs::remove_file(dir.join("notes.csv")).unwrap();
    write(
        &dir,
        "X.Y_WDI.csv",
        "Country Name,Country Code,Indicator Name,Indicator Code,2007\nIndia,IND,X,X.Y,3\n",
    );
    let err = wdi::list_indicators(&dir).unwrap_err();
    assert!(
        err.to_string().contains("indicator X.Y is in two files"),
        "{err}"
    );
}

#[test]
fn wdi_bulk_file_with_many_indicators() {
    // WDIData.csv / WDICSV.csv layout: header on line 1, many indicators, no trailing comma.
    let dir = common::fresh_dir("bulk");
    let path = write(
        &dir,
        "WDICSV.csv",
        "Country Name,Country Code,Indicator Name,Indicator Code,2007,2008\n\
         China,CHN,GDP growth,NY.GDP.MKTP.KD.ZG,14.2,9.7\n\
         China,CHN,\"Tariff rate, applied\",TM.TAX.MRCH.WM.AR.ZS,,4.3\n\
         World,WLD,\"Tariff rate, applied\",TM.TAX.MRCH.WM.AR.ZS,3.1,3.0\n\
         Viet Nam,VNM,\"Tariff rate, applied\",TM.TAX.MRCH.WM.AR.ZS,10.6,\n",
    );
    let listed = wdi::list_indicators(&dir).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1].name.as_deref(), Some("Tariff rate, applied"));
    // a single file is a source too
    let tariff = wdi::read_indicator(&path, "TM.TAX.MRCH.WM.AR.ZS").unwrap();
    assert_eq!(tariff.layout, WdiLayout::Wide);
    assert_eq!(tariff.observations.len(), 2);
    assert_eq!(value(&tariff.observations, "CHN", 2008), Some(4.3));
    assert_eq!(value(&tariff.observations, "CHN", 2007), None);
    assert_eq!(value(&tariff.observations, "VNM", 2007), Some(10.6));
    assert_eq!(tariff.aggregates, ["WLD"]);
    // a truncated row of the requested indicator is located
    let path = write(
        &dir,
        "WDICSV.csv",
        "Country Name,Country Code,Indicator Name,Indicator Code,2007,2008\nChina,CHN,X,X.Y,1\n",
    );
    let (line, column, message, _) = located(&wdi::read_indicator(&path, "X.Y").unwrap_err());
    assert_eq!((line, column), (2, 6));
    assert!(message.contains("row has 5 fields"), "{message}");
}

// ---------------------------------------------------------------------------------------------
// csv tables
// ---------------------------------------------------------------------------------------------

#[test]
fn long_wide_and_bilateral_tables() {
    let dir = common::fresh_dir("tables");
    let long = write(
        &dir,
        "ofdi.csv",
        "iso3,year,sofdi,rd\nCHN,2010,1.5,\nchn,2011,NA,2.25\nIDN,2010,-0.5,0.1\n",
    );
    let spec = TableSpec {
        country: Some("iso3".into()),
        missing: vec!["NA".into()],
        ..TableSpec::default()
    };
    let t = table::read_long(&long, &spec).unwrap();
    assert_eq!(t.codes, Some(CodeSystem::Iso3));
    let sofdi = &t.column("sofdi").unwrap().observations;
    assert_eq!(value(sofdi, "CHN", 2010), Some(1.5));
    assert_eq!(value(sofdi, "CHN", 2011), None); // NA
    assert_eq!(value(sofdi, "IDN", 2010), Some(-0.5));
    let rd = &t.column("rd").unwrap().observations;
    assert_eq!(value(rd, "CHN", 2010), None); // empty, not zero
    assert_eq!(value(rd, "CHN", 2011), Some(2.25)); // "chn" canonicalised
    assert_eq!(table::list_columns(&long, &spec).unwrap(), ["sofdi", "rd"]);

    let wide = write(
        &dir,
        "wide.csv",
        "adb,name,2007,2008\nPRC,China,1,2\nINO,Indonesia,,4\n",
    );
    let spec = TableSpec {
        layout: TableLayout::Wide,
        country: Some("adb".into()),
        value: Some("tariff".into()),
        ..TableSpec::default()
    };
    let t = table::read_wide(&wide, &spec).unwrap();
    assert_eq!(t.ignored_columns, ["name"]);
    let obs = &t.column("tariff").unwrap().observations;
    assert_eq!(obs.len(), 3);
    assert_eq!(value(obs, "INO", 2008), Some(4.0));
    assert_eq!(value(obs, "INO", 2007), None);

    let bil = write(
        &dir,
        "bil.csv",
        "reporter,partner,year,value\nCHN,IDN,2010,3\nCHN,THA,2010,\n",
    );
    let spec = TableSpec {
        layout: TableLayout::Bilateral,
        codes: Some(CodeSystem::Iso3),
        ..TableSpec::default()
    };
    let t = table::read_bilateral(&bil, &spec).unwrap();
    assert_eq!(t.observations.len(), 1);
    assert_eq!(t.observations[0].partner, "IDN");
}

#[test]
fn table_errors_are_located() {
    let dir = common::fresh_dir("table_errors");
    let spec = TableSpec {
        country: Some("iso3".into()),
        ..TableSpec::default()
    };
    // unmappable country: PRC is an ADB code, not ISO3
    let path = write(&dir, "a.csv", "iso3,year,x\nCHN,2010,1\nPRC,2011,2\n");
    let err = table::read_long(&path, &spec).unwrap_err();
    let (line, column, message, fix) = located(&err);
    assert_eq!((line, column), (3, 1), "{err}");
    assert!(
        message.contains("unknown iso3 country code `PRC`"),
        "{message}"
    );
    assert!(fix.contains("code system") && fix.contains("adb"), "{fix}");
    // typo: nearest codes
    let path = write(&dir, "a.csv", "iso3,year,x\nCHX,2010,1\n");
    let (_, _, message, _) = located(&table::read_long(&path, &spec).unwrap_err());
    assert!(
        message.contains("nearest: ") && message.contains("CHN"),
        "{message}"
    );
    // duplicate (country, year), after canonicalisation
    let path = write(
        &dir,
        "a.csv",
        "iso3,year,x\nCHN,2010,1\nIDN,2010,1\nchn,2010,2\n",
    );
    let (line, column, message, _) = located(&table::read_long(&path, &spec).unwrap_err());
    assert_eq!((line, column), (4, 1));
    assert!(
        message.contains("(CHN, 2010)") && message.contains("first at line 2"),
        "{message}"
    );
    // non-numeric and bad year
    let path = write(&dir, "a.csv", "iso3,year,x\nCHN,2010,1\nIDN,2010,1.2.3\n");
    let (line, column, message, _) = located(&table::read_long(&path, &spec).unwrap_err());
    assert_eq!((line, column), (3, 3));
    assert!(
        message.contains("`1.2.3` in column `x` is not a number"),
        "{message}"
    );
    let path = write(&dir, "a.csv", "iso3,year,x\nCHN,20x0,1\n");
    let (line, column, _, _) = located(&table::read_long(&path, &spec).unwrap_err());
    assert_eq!((line, column), (2, 2));
    // missing column: the header listed, nearest name in the fix
    let path = write(&dir, "a.csv", "iso3,yaer,x\nCHN,2010,1\n");
    let message = table::read_long(&path, &spec).unwrap_err().to_string();
    assert!(
        message.contains(&format!(
            "year column `year` not in {} (columns iso3, yaer, x)",
            path.display()
        )) && message.contains("did you mean `yaer`?")
            && message.contains("`year` option"),
        "{message}"
    );
}

#[test]
fn table_spec_deserializes_with_unknown_keys_rejected() {
    let spec: TableSpec =
        toml::from_str("layout = \"bilateral\"\ncodes = \"adb\"\nvalue = \"ofdi\"\n").unwrap();
    assert_eq!(spec.layout, TableLayout::Bilateral);
    assert_eq!(spec.codes, Some(CodeSystem::Adb));
    let err = toml::from_str::<TableSpec>("country = \"iso3\"\ncountrys = \"x\"\n").unwrap_err();
    assert!(err.to_string().contains("countrys"), "{err}");
    let err = toml::from_str::<TableSpec>("codes = \"iso2\"\n").unwrap_err();
    assert!(err.to_string().contains("iso2"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// synthetic-panel
// ---------------------------------------------------------------------------------------------

#[test]
fn synthetic_panel_is_deterministic_plausible_and_labelled() {
    let countries: Vec<String> = gvc::sources::countries::builtin_set("bri34", CodeSystem::Adb)
        .unwrap()
        .into_iter()
        .chain(["PRC".to_string()])
        .collect();
    let a = synthetic_panel::generate(42, &countries, 2005, 2017);
    let b = synthetic_panel::generate(42, &countries, 2005, 2017);
    assert_eq!(a, b);
    let c = synthetic_panel::generate(43, &countries, 2005, 2017);
    assert_ne!(a, c);
    // a country's values do not depend on the other countries of the list
    let alone = synthetic_panel::generate(42, &countries[..1], 2005, 2017);
    let first: Vec<_> = a
        .series("tariff")
        .unwrap()
        .iter()
        .filter(|o| o.country == countries[0])
        .cloned()
        .collect();
    assert_eq!(alone.series("tariff").unwrap(), first.as_slice());

    assert!(a.note.contains("SYNTHETIC"));
    assert_eq!(a.note, synthetic_panel::source_note());
    let cells = countries.len() * 13;
    let ranges = [
        ("tariff", 0.0, 20.0),
        ("tertiary_enrolment", 5.0, 90.0),
        ("rd_gdp", 0.0, 3.0),
        ("gdp_pc_growth", -5.0, 10.0),
        ("gfcf_gdp", 15.0, 40.0),
        ("ofdi_gdp", 0.0, 5.0),
        ("gdp", 1.0, 1e6),
        ("rd_expenditure", 0.0, 1e5),
    ];
    assert_eq!(ranges.len(), SERIES.len());
    for (name, lo, hi) in ranges {
        let s = a.series(name).unwrap();
        assert!(
            s.iter()
                .all(|o| o.value.is_finite() && o.value >= lo && o.value <= hi),
            "{name} out of range"
        );
        println!("{name}: {} of {cells} cells", s.len());
    }
    assert_eq!(a.series("tariff").unwrap().len(), cells);
    assert!(
        a.series("rd_gdp").unwrap().len() < cells,
        "rd_gdp has missing cells"
    );
    // a gap: some country has an interior year of tertiary enrolment missing
    let enrol = a.series("tertiary_enrolment").unwrap();
    let gap = countries.iter().any(|c| {
        let years: HashSet<i32> = enrol
            .iter()
            .filter(|o| &o.country == c)
            .map(|o| o.year)
            .collect();
        years.contains(&2005) && years.contains(&2017) && years.len() < 13
    });
    assert!(gap, "no interior gap in tertiary_enrolment");
    // rd_expenditure = rd_gdp / 100 × gdp (rounded to 4 decimals)
    let (rd, gdp, rde) = (
        a.series("rd_gdp").unwrap(),
        a.series("gdp").unwrap(),
        a.series("rd_expenditure").unwrap(),
    );
    for o in rde {
        let expect = value(rd, &o.country, o.year).unwrap() / 100.0
            * value(gdp, &o.country, o.year).unwrap();
        assert!((o.value - expect).abs() <= 5e-5, "{} {}", o.country, o.year);
    }
    // 2009 crisis: mean growth lower than in 2008
    let mean = |y: i32| {
        let v: Vec<f64> = a
            .series("gdp_pc_growth")
            .unwrap()
            .iter()
            .filter(|o| o.year == y)
            .map(|o| o.value)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(mean(2009) < mean(2008) - 1.0);
    // bilateral OFDI: about half the ordered pairs linked, no self-links
    assert!(!a.ofdi.is_empty());
    assert!(a
        .ofdi
        .iter()
        .all(|o| o.reporter != o.partner && o.value > 0.0));
    let pairs: HashSet<(&str, &str)> = a
        .ofdi
        .iter()
        .map(|o| (o.reporter.as_str(), o.partner.as_str()))
        .collect();
    let all = countries.len() * (countries.len() - 1);
    assert!(
        pairs.len() > all / 4 && pairs.len() < 3 * all / 4,
        "{} of {all} pairs",
        pairs.len()
    );
}

// ---------------------------------------------------------------------------------------------
// parquet
// ---------------------------------------------------------------------------------------------

fn write_parquet(path: &Path, mut df: polars::prelude::DataFrame) {
    use polars::prelude::*;
    let file = std::fs::File::create(path).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
}

/// Writes `columns` (all of one length) as a Parquet file.
fn write_columns(path: &Path, columns: Vec<polars::prelude::Column>) {
    let height = columns.first().map_or(0, |c| c.len());
    write_parquet(
        path,
        polars::prelude::DataFrame::new(height, columns).unwrap(),
    );
}

#[test]
fn parquet_tables_read_like_their_csv() {
    use polars::prelude::*;
    let dir = common::fresh_dir("parquet_tables");
    // Long: string codes, integer years, a float column with a null, an integer column.
    let long = dir.join("controls.parquet");
    write_columns(
        &long,
        vec![
            Column::new("iso3".into(), ["CHN", "chn", "IDN"]),
            Column::new("year".into(), [2010i64, 2011, 2010]),
            Column::new("sofdi".into(), [Some(1.5f64), None, Some(-0.1)]),
            Column::new("rta".into(), [1i32, 0, 1]),
        ],
    );
    let spec = TableSpec {
        country: Some("iso3".into()),
        parquet: true,
        ..TableSpec::default()
    };
    let t = table::read_long(&long, &spec).unwrap();
    let sofdi = &t.column("sofdi").unwrap().observations;
    assert_eq!(value(sofdi, "CHN", 2010), Some(1.5));
    assert_eq!(value(sofdi, "CHN", 2011), None, "null is missing, not zero");
    // -0.1 survives exactly (shortest round-trip text).
    assert_eq!(value(sofdi, "IDN", 2010), Some(-0.1));
    let rta = &t.column("rta").unwrap().observations;
    assert_eq!(value(rta, "CHN", 2011), Some(0.0));
    assert_eq!(table::list_columns(&long, &spec).unwrap(), ["sofdi", "rta"]);

    // Bilateral through the layout key.
    let bil = dir.join("ofdi.parquet");
    write_columns(
        &bil,
        vec![
            Column::new("reporter".into(), ["CHN", "CHN"]),
            Column::new("partner".into(), ["IDN", "THA"]),
            Column::new("year".into(), [2010i64, 2010]),
            Column::new("value".into(), [3.0f64, 4.5]),
        ],
    );
    let spec = TableSpec {
        layout: TableLayout::Bilateral,
        codes: Some(CodeSystem::Iso3),
        parquet: true,
        ..TableSpec::default()
    };
    let t = table::read_bilateral(&bil, &spec).unwrap();
    assert_eq!(t.observations.len(), 2);
    assert_eq!(t.observations[1].value, 4.5);

    // Errors are placed as in the CSV of the same table: data row 3 is line 4.
    let bad = dir.join("bad.parquet");
    write_columns(
        &bad,
        vec![
            Column::new("iso3".into(), ["CHN", "IDN", "PRC"]),
            Column::new("year".into(), [2010i64, 2010, 2010]),
            Column::new("x".into(), [1.0f64, 2.0, 3.0]),
        ],
    );
    let spec = TableSpec {
        country: Some("iso3".into()),
        parquet: true,
        ..TableSpec::default()
    };
    let err = table::read_long(&bad, &spec).unwrap_err();
    let (line, column, message, _) = located(&err);
    assert_eq!((line, column), (4, 1), "{err}");
    assert!(message.contains("`PRC`"), "{message}");
    assert!(err.to_string().contains("bad.parquet:4:1"), "{err}");
    // Not Parquet at all.
    let not = write(&dir, "not.parquet", "iso3,year,x\nCHN,2010,1\n");
    let err = table::read_long(&not, &spec).unwrap_err();
    assert!(
        err.to_string().contains("not a readable Parquet file"),
        "{err}"
    );

    // In a spec: a parquet source feeds the panel.
    std::fs::write(
        dir.join("study.toml"),
        r#"
[study]
title = "parquet covariates"

[sources.mrio]
format = "synthetic"
countries = ["CHN", "IDN", "USA"]

[sources.controls]
format = "parquet"
path = "controls.parquet"
country = "iso3"

[countries]
codes = "iso3"
sample = ["CHN", "IDN"]

[sample]
countries = "sample"
years = [2010, 2011]

[variables]
sofdi = { from = "controls.sofdi", label = "OFDI spillover" }
"#,
    )
    .unwrap();
    let (code, _, err) = common::gvc(&dir, &["run", "study.toml"]);
    assert_eq!(code, 0, "{err}");
    let missing = std::fs::read_to_string(dir.join("output/study/tables/missing.csv")).unwrap();
    assert!(
        missing.contains("sofdi,2,4,CHN 2011; IDN 2011"),
        "{missing}"
    );
}

// ---------------------------------------------------------------------------------------------
// Bad covariate inputs (issue #13): field counts, years, missing tokens, empty tables, probe
// ---------------------------------------------------------------------------------------------

fn iso3_spec(layout: TableLayout) -> TableSpec {
    TableSpec {
        layout,
        country: Some("iso3".into()),
        codes: Some(CodeSystem::Iso3),
        ..TableSpec::default()
    }
}

/// A decimal comma (`5,8477`) splits a cell in two; the row must be rejected, not read with
/// its values shifted one column right.
#[test]
fn covariate_rows_with_a_wrong_field_count_are_located() {
    let dir = common::fresh_dir("field_count");
    let spec = iso3_spec(TableLayout::Long);
    let path = write(
        &dir,
        "cov.csv",
        "iso3,year,x,y\nCHN,2011,1,2\nCHN,2012,5,8477,4.6919\n",
    );
    let (line, column, message, fix) = located(&table::read_long(&path, &spec).unwrap_err());
    assert_eq!((line, column), (3, 5));
    assert_eq!(message, "row has 5 fields but the header (line 1) has 4");
    assert!(fix.contains("decimal") && fix.contains("quote"), "{fix}");
    // too few fields
    let path = write(&dir, "cov.csv", "iso3,year,x,y\nCHN,2011,1,2\nIDN,2011,3\n");
    let (line, column, message, _) = located(&table::read_long(&path, &spec).unwrap_err());
    assert_eq!((line, column), (3, 4));
    assert!(message.starts_with("row has 3 fields"), "{message}");
    // the same rule in the wide and bilateral layouts
    let path = write(&dir, "wide.csv", "iso3,2007,2008\nCHN,1,2\nIDN,1,5,5\n");
    let (line, _, message, _) =
        located(&table::read_wide(&path, &iso3_spec(TableLayout::Wide)).unwrap_err());
    assert_eq!(
        (line, message.as_str()),
        (3, "row has 4 fields but the header (line 1) has 3")
    );
    let path = write(
        &dir,
        "bil.csv",
        "reporter,partner,year,value\nCHN,IDN,2010,3,5\n",
    );
    let (line, column, _, _) =
        located(&table::read_bilateral(&path, &iso3_spec(TableLayout::Bilateral)).unwrap_err());
    assert_eq!((line, column), (2, 5));
    // WDI: a DDF row and a ragged row of another indicator of a wide file
    let ddf = common::fresh_dir("field_count_ddf");
    write(
        &ddf,
        "ddf--datapoints--ny_gdp_pcap_kd_zg--by--economy--year.csv",
        "economy,year,ny_gdp_pcap_kd_zg\nchn,2010,9,5\n",
    );
    let (line, column, _, _) =
        located(&wdi::read_indicator(&ddf, "NY.GDP.PCAP.KD.ZG").unwrap_err());
    assert_eq!((line, column), (2, 4));
    let bulk = common::fresh_dir("field_count_bulk");
    write(
        &bulk,
        "WDICSV.csv",
        "Country Name,Country Code,Indicator Name,Indicator Code,2007,2008\n\
         China,CHN,A,A.B,1,2\n\
         China,CHN,X,X.Y,1,5,3\n",
    );
    let (line, column, _, _) = located(&wdi::read_indicator(&bulk, "A.B").unwrap_err());
    assert_eq!((line, column), (3, 7));
}

#[test]
fn covariate_years_are_whole_numbers() {
    use polars::prelude::*;
    let dir = common::fresh_dir("years");
    let spec = iso3_spec(TableLayout::Long);
    let path = write(&dir, "cov.csv", "iso3,year,x\nCHN,2010,1\nCHN,1935.5,2\n");
    let (line, column, message, _) = located(&table::read_long(&path, &spec).unwrap_err());
    assert_eq!((line, column), (3, 2));
    assert_eq!(message, "year 1935.5 is not a whole number");
    // an integral float is the year (Stata and Parquet exports of float columns)
    let path = write(&dir, "cov.csv", "iso3,year,x\nCHN,2010.0,1\n");
    let t = table::read_long(&path, &spec).unwrap();
    assert_eq!(
        value(&t.column("x").unwrap().observations, "CHN", 2010),
        Some(1.0)
    );
    // bilateral
    let path = write(
        &dir,
        "bil.csv",
        "reporter,partner,year,value\nCHN,IDN,1935.5,3\n",
    );
    let (line, column, message, _) =
        located(&table::read_bilateral(&path, &iso3_spec(TableLayout::Bilateral)).unwrap_err());
    assert_eq!(
        (line, column, message.as_str()),
        (2, 3, "year 1935.5 is not a whole number")
    );
    // wide: a year header
    let path = write(&dir, "wide.csv", "iso3,2007,1935.5\nCHN,1,2\n");
    let (line, column, message, _) =
        located(&table::read_wide(&path, &iso3_spec(TableLayout::Wide)).unwrap_err());
    assert_eq!(
        (line, column, message.as_str()),
        (1, 3, "year 1935.5 is not a whole number")
    );
    // parquet: a float year column
    let pq = dir.join("cov.parquet");
    write_columns(
        &pq,
        vec![
            Column::new("iso3".into(), ["CHN", "IDN"]),
            Column::new("year".into(), [2010.0f64, 1935.5]),
            Column::new("x".into(), [1.0f64, 2.0]),
        ],
    );
    let pspec = TableSpec {
        parquet: true,
        ..spec.clone()
    };
    let (line, column, message, _) = located(&table::read_long(&pq, &pspec).unwrap_err());
    assert_eq!(
        (line, column, message.as_str()),
        (3, 2, "year 1935.5 is not a whole number")
    );
    // WDI: a DDF year cell and a wide header
    let ddf = common::fresh_dir("years_ddf");
    write(
        &ddf,
        "ddf--datapoints--ny_gdp_pcap_kd_zg--by--economy--year.csv",
        "economy,year,ny_gdp_pcap_kd_zg\nchn,1935.5,9\n",
    );
    let (line, column, message, _) =
        located(&wdi::read_indicator(&ddf, "NY.GDP.PCAP.KD.ZG").unwrap_err());
    assert_eq!(
        (line, column, message.as_str()),
        (2, 2, "year 1935.5 is not a whole number")
    );
    let bulk = common::fresh_dir("years_bulk");
    write(
        &bulk,
        "WDICSV.csv",
        "Country Name,Country Code,Indicator Name,Indicator Code,2007,1935.5\nChina,CHN,A,A.B,1,2\n",
    );
    let (line, column, message, _) = located(&wdi::read_indicator(&bulk, "A.B").unwrap_err());
    assert_eq!(
        (line, column, message.as_str()),
        (1, 6, "year 1935.5 is not a whole number")
    );
}

#[test]
fn missing_tokens_are_missing_by_default_in_every_reader() {
    use polars::prelude::*;
    let dir = common::fresh_dir("missing_tokens");
    let spec = iso3_spec(TableLayout::Long);
    let path = write(
        &dir,
        "cov.csv",
        "iso3,year,x\nCHN,2001,NA\nCHN,2002,.\nCHN,2003,n/a\nCHN,2004,N/A\nCHN,2005,..\nCHN,2006,#N/A\nCHN,2007,\nCHN,2008,-999\nCHN,2009,1.5\n",
    );
    // `missing` extends the defaults
    let with_option = TableSpec {
        missing: vec!["-999".into()],
        ..spec.clone()
    };
    let t = table::read_long(&path, &with_option).unwrap();
    let obs = &t.column("x").unwrap().observations;
    assert_eq!(obs.len(), 1, "{obs:?}");
    assert_eq!(value(obs, "CHN", 2009), Some(1.5));
    // without the option, -999 is a number (a real value)
    let t = table::read_long(&path, &spec).unwrap();
    assert_eq!(
        value(&t.column("x").unwrap().observations, "CHN", 2008),
        Some(-999.0)
    );
    // a country cell `NA` (Namibia, ISO2) is a code, not a missing value
    let path = write(&dir, "iso2.csv", "country,year,x\nNA,2010,1\n");
    let t = table::read_long(&path, &TableSpec::default()).unwrap();
    assert_eq!(
        value(&t.column("x").unwrap().observations, "NA", 2010),
        Some(1.0)
    );
    // wide and bilateral
    let path = write(&dir, "wide.csv", "iso3,2007,2008\nCHN,.,NA\nIDN,1,n/a\n");
    let t = table::read_wide(&path, &iso3_spec(TableLayout::Wide)).unwrap();
    assert_eq!(t.columns[0].observations.len(), 1);
    let path = write(
        &dir,
        "bil.csv",
        "reporter,partner,year,value\nCHN,IDN,2010,NA\nCHN,THA,2010,2\n",
    );
    let t = table::read_bilateral(&path, &iso3_spec(TableLayout::Bilateral)).unwrap();
    assert_eq!(t.observations.len(), 1);
    // WDI (DataBank writes `..`)
    let wdi_dir = common::fresh_dir("missing_wdi");
    write(
        &wdi_dir,
        "API_X.Y_DS2_en_csv_v2_1.csv",
        &api_file(
            HEADER,
            &[
                "\"China\",\"CHN\",\"X\",\"X.Y\",\"..\",\"NA\"",
                "\"India\",\"IND\",\"X\",\"X.Y\",\"n/a\",\"2\"",
            ],
        ),
    );
    let s = wdi::read_indicator(&wdi_dir, "X.Y").unwrap();
    assert_eq!(s.observations.len(), 1);
    assert_eq!(value(&s.observations, "IND", 2008), Some(2.0));
    // parquet: NaN in a float column is missing like null; text in a numeric column is located
    let pq = dir.join("cov.parquet");
    write_columns(
        &pq,
        vec![
            Column::new("iso3".into(), ["CHN", "IDN"]),
            Column::new("year".into(), [2010i64, 2010]),
            Column::new("x".into(), [f64::NAN, 2.0]),
            Column::new("y".into(), ["1", "abc"]),
        ],
    );
    let pspec = TableSpec {
        parquet: true,
        columns: Some(vec!["x".into()]),
        ..spec.clone()
    };
    let t = table::read_long(&pq, &pspec).unwrap();
    assert_eq!(t.column("x").unwrap().observations.len(), 1);
    let pspec = TableSpec {
        parquet: true,
        ..spec.clone()
    };
    let err = table::read_long(&pq, &pspec).unwrap_err();
    let (line, column, message, _) = located(&err);
    assert_eq!((line, column), (3, 4));
    assert!(
        message.contains("`abc` in column `y` is not a number"),
        "{message}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("{}:3:4:", pq.display())),
        "{err}"
    );
    // text in the numeric columns of the other layouts
    let path = write(&dir, "wide.csv", "iso3,2007\nCHN,1.2.3\n");
    let (line, column, _, _) =
        located(&table::read_wide(&path, &iso3_spec(TableLayout::Wide)).unwrap_err());
    assert_eq!((line, column), (2, 2));
    let path = write(
        &dir,
        "bil.csv",
        "reporter,partner,year,value\nCHN,IDN,2010,abc\n",
    );
    let (line, column, _, _) =
        located(&table::read_bilateral(&path, &iso3_spec(TableLayout::Bilateral)).unwrap_err());
    assert_eq!((line, column), (2, 4));
}

#[test]
fn header_only_covariate_files_are_errors() {
    use polars::prelude::*;
    let dir = common::fresh_dir("header_only");
    let check = |err: SourceError, path: &Path| {
        let text = err.to_string();
        assert!(
            text.starts_with(&path.display().to_string())
                && text.contains("header but no data rows"),
            "{text}"
        );
    };
    let path = write(&dir, "cov.csv", "iso3,year,x\n");
    check(
        table::read_long(&path, &iso3_spec(TableLayout::Long)).unwrap_err(),
        &path,
    );
    check(
        table::probe(&path, &iso3_spec(TableLayout::Long)).unwrap_err(),
        &path,
    );
    let path = write(&dir, "wide.csv", "iso3,2007\n\n");
    check(
        table::read_wide(&path, &iso3_spec(TableLayout::Wide)).unwrap_err(),
        &path,
    );
    let path = write(&dir, "bil.csv", "reporter,partner,year,value\n");
    check(
        table::read_bilateral(&path, &iso3_spec(TableLayout::Bilateral)).unwrap_err(),
        &path,
    );
    let pq = dir.join("empty.parquet");
    write_columns(
        &pq,
        vec![
            Column::new("iso3".into(), Vec::<String>::new()),
            Column::new("year".into(), Vec::<i64>::new()),
            Column::new("x".into(), Vec::<f64>::new()),
        ],
    );
    let pspec = TableSpec {
        parquet: true,
        ..iso3_spec(TableLayout::Long)
    };
    check(table::read_long(&pq, &pspec).unwrap_err(), &pq);
    check(table::probe(&pq, &pspec).unwrap_err(), &pq);
    // WDI: an API download and a DDF file with a header and nothing else
    let wdi_dir = common::fresh_dir("header_only_wdi");
    let api = write(
        &wdi_dir,
        "API_X.Y_DS2_en_csv_v2_1.csv",
        &api_file(HEADER, &[]),
    );
    check(wdi::read_indicator(&wdi_dir, "X.Y").unwrap_err(), &api);
    let ddf_dir = common::fresh_dir("header_only_ddf");
    let ddf = write(
        &ddf_dir,
        "ddf--datapoints--x_y--by--economy--year.csv",
        "economy,year,x_y\n",
    );
    check(wdi::list_indicators(&ddf_dir).unwrap_err(), &ddf);
}

#[test]
fn probe_lists_columns_and_names_a_missing_one() {
    use polars::prelude::*;
    let dir = common::fresh_dir("probe");
    let path = write(&dir, "cov.csv", "iso3,year,x1\nCHN,2010,1\nCHN,2011,oops\n");
    let spec = iso3_spec(TableLayout::Long);
    // the probe reads the header and the first row only (the bad cell on line 3 is not seen)
    let p = table::probe(&path, &spec).unwrap();
    assert_eq!(p.columns, ["iso3", "year", "x1"]);
    assert_eq!(p.series, ["x1"]);
    let asked = TableSpec {
        columns: Some(vec!["x2".into()]),
        ..spec.clone()
    };
    let err = table::probe(&path, &asked).unwrap_err();
    assert!(matches!(err, SourceError::NotFound(_)), "{err:?}");
    assert!(
        err.to_string().starts_with(&format!(
            "column `x2` not in {} (columns iso3, year, x1)",
            path.display()
        )),
        "{err}"
    );
    // the first data row's field count is checked
    let path = write(&dir, "ragged.csv", "iso3,year,x1\nCHN,2010,1,5\n");
    let (line, _, _, _) = located(&table::probe(&path, &spec).unwrap_err());
    assert_eq!(line, 2);
    // parquet: schema and row count only
    let pq = dir.join("cov.parquet");
    write_columns(
        &pq,
        vec![
            Column::new("iso3".into(), ["CHN"]),
            Column::new("year".into(), [2010i64]),
            Column::new("x1".into(), [1.0f64]),
        ],
    );
    let pspec = TableSpec {
        parquet: true,
        ..asked.clone()
    };
    let err = table::probe(&pq, &pspec).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "column `x2` not in {} (columns iso3, year, x1)",
            pq.display()
        )),
        "{err}"
    );
    let pspec = TableSpec {
        parquet: true,
        ..spec.clone()
    };
    assert_eq!(table::probe(&pq, &pspec).unwrap().series, ["x1"]);
    // the engine's question "does source S have C" (from = "S.C")
    use gvc::sources::{check_series, CovariateSource};
    let source = CovariateSource::Table {
        path: &pq,
        spec: &pspec,
    };
    check_series(&source, "x1").unwrap();
    let err = check_series(&source, "x2").unwrap_err().to_string();
    assert!(
        err.contains("column `x2` not in") && err.contains("did you mean `x1`?"),
        "{err}"
    );
}
