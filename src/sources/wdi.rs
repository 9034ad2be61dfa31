//! The `wdi-csv` source format: World Bank World Development Indicators as downloaded.
//!
//! A source is a folder (its `*.csv` files, not subfolders) or a single file. Recognised
//! layouts, detected from the content, not the file name:
//! - **API download** (`API_<code>_DS2_en_csv_v2_<n>.csv`): a 4-line preamble
//!   (`"Data Source","World Development Indicators"`, blank, `"Last Updated Date","<date>"`,
//!   blank), then the header `Country Name,Country Code,Indicator Name,Indicator Code,1960,...`
//!   (the API files end every line with a comma, i.e. an empty last column);
//! - **wide without preamble**: the same header on line 1, one or many indicators per file —
//!   the bulk `WDIData.csv` / `WDICSV.csv` and the per-indicator `<code>_WDI.csv` files of
//!   older bundles (e.g. the December 2013 vintage, whose economy codes include the legacy
//!   `ROM`, `ZAR`, `TMP`, `WBG`, `ADO`, `IMY`, `KSV`);
//! - **DDF datapoints** (open-numbers `ddf--datapoints--<concept>--by--economy--year.csv`):
//!   header `economy,year,<concept>` where the concept is the indicator code in lower case with
//!   `_` for `.` (`tm_tax_mrch_wm_ar_zs` = `TM.TAX.MRCH.WM.AR.ZS`); economies in lower-case ISO3.
//!
//! The metadata files of the downloads (`Metadata_*.csv`, `WDICountry.csv`, `WDISeries.csv`,
//! `WDIFootNote.csv`, ...) are not data; a country-metadata file in the folder (columns
//! `Country Code` and `Region`) adds its rows with an empty `Region` to the aggregates.
//!
//! Rows of aggregates (regions, income groups: `WLD`, `EAS`, `HIC`, `EUU`, ...; see
//! [`crate::sources::countries::WDI_AGGREGATES`]) are never returned as countries; rows whose
//! code is neither a known economy nor a known aggregate are skipped too and listed in
//! [`WdiSeries::unrecognised`]. Economy codes are returned as ISO3. Empty cells and the
//! tokens of [`crate::sources::table::DEFAULT_MISSING`] (`NA`, `..`, `n/a`, …) are missing,
//! never zero; every data row must have the header's field count, and a file with a header
//! but no data rows is an error.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::sources::countries::{classify_wdi, WdiEntity};
use crate::sources::error::NotFound;
use crate::sources::table::{
    check_field_count, did_you_mean, no_data_rows, whole_year, CellParser, CsvFile, Header,
    Observation, YearText,
};
use crate::sources::SourceError;

/// The four leading columns of the WDI wide layouts.
pub const WDI_HEADER: [&str; 4] = [
    "Country Name",
    "Country Code",
    "Indicator Name",
    "Indicator Code",
];

/// Layout of a WDI file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WdiLayout {
    /// API download with the 4-line preamble.
    Api,
    /// Wide layout with the header on line 1 (bulk download, older bundles).
    Wide,
    /// DDF datapoints (`economy,year,<concept>`).
    Ddf,
}

/// One indicator available in a WDI source.
#[derive(Debug, Clone, PartialEq)]
pub struct WdiIndicator {
    /// Indicator code (`NY.GDP.PCAP.KD.ZG`).
    pub code: String,
    /// Indicator name as written in the file (DDF files have none).
    pub name: Option<String>,
    /// The file that holds it.
    pub file: PathBuf,
    /// The file's layout.
    pub layout: WdiLayout,
}

/// One indicator read from a WDI source.
#[derive(Debug, Clone, PartialEq)]
pub struct WdiSeries {
    /// Indicator code.
    pub code: String,
    /// Indicator name (empty for DDF files).
    pub name: String,
    /// The file read.
    pub file: PathBuf,
    /// The file's layout.
    pub layout: WdiLayout,
    /// The API preamble's "Last Updated Date", when present.
    pub last_updated: Option<String>,
    /// Non-missing values of economies, countries in ISO3, in file order.
    pub observations: Vec<Observation>,
    /// Codes of the aggregate rows that were skipped.
    pub aggregates: Vec<String>,
    /// Rows skipped because their code is neither a known economy nor a known aggregate:
    /// (code, name, line).
    pub unrecognised: Vec<(String, String, usize)>,
}

/// What a WDI source folder or file contains: every indicator with its file.
/// Fails if a CSV file is not in a WDI layout, or one indicator is in two files.
pub fn list_indicators(source: &Path) -> Result<Vec<WdiIndicator>, SourceError> {
    let mut found: BTreeMap<String, WdiIndicator> = BTreeMap::new();
    for file in data_files(source)? {
        for indicator in indicators_in_file(&file)? {
            if let Some(first) = found.get(&indicator.code) {
                return Err(SourceError::Layout {
                    path: source.to_path_buf(),
                    message: format!(
                        "indicator {} is in two files: {} and {}",
                        indicator.code,
                        first.file.display(),
                        indicator.file.display()
                    ),
                    fix: Some(
                        "keep one vintage per source folder (put the other in its own folder and source)"
                            .into(),
                    ),
                });
            }
            found.insert(indicator.code.clone(), indicator);
        }
    }
    Ok(found.into_values().collect())
}

/// Reads indicator `code` (e.g. `NY.GDP.PCAP.KD.ZG`) from a WDI source folder or file.
/// An unknown code is an error that lists the nearest available codes.
pub fn read_indicator(source: &Path, code: &str) -> Result<WdiSeries, SourceError> {
    let indicators = list_indicators(source)?;
    let Some(indicator) = indicators.iter().find(|i| i.code == code) else {
        let codes = indicators.iter().map(|i| i.code.clone()).collect();
        return Err(unknown_indicator(source, code, codes));
    };
    let extra_aggregates = country_metadata_aggregates(source)?;
    read_file(&indicator.file, code, &extra_aggregates)
}

/// Reads indicator `code` from one WDI file. `extra_aggregates` are codes to treat as
/// aggregates in addition to the built-in list.
pub fn read_file(
    path: &Path,
    code: &str,
    extra_aggregates: &HashSet<String>,
) -> Result<WdiSeries, SourceError> {
    let mut reader = CsvFile::open(path)?;
    let opened = open_layout(path, &mut reader)?;
    let mut series = WdiSeries {
        code: code.to_string(),
        name: String::new(),
        file: path.to_path_buf(),
        layout: opened.layout,
        last_updated: opened.last_updated.clone(),
        observations: Vec::new(),
        aggregates: Vec::new(),
        unrecognised: Vec::new(),
    };
    match opened.layout {
        WdiLayout::Ddf => read_ddf_rows(path, &mut reader, &opened, extra_aggregates, &mut series)?,
        WdiLayout::Api | WdiLayout::Wide => read_wide_rows(
            path,
            &mut reader,
            &opened,
            code,
            extra_aggregates,
            &mut series,
        )?,
    }
    Ok(series)
}

/// The error for an indicator `code` that no file of `source` holds:
/// `indicator NY.GDP.PCAP.KD.ZS not in data/wdi (indicators …)` with the nearest codes.
pub fn unknown_indicator(source: &Path, code: &str, available: Vec<String>) -> SourceError {
    let nearest = nearest_indicators(code, available.iter().map(String::as_str));
    NotFound {
        path: source.to_path_buf(),
        what: "indicator".into(),
        name: code.to_string(),
        available: ("indicators".into(), available),
        fix: Some(did_you_mean(
            &nearest,
            "use an indicator code of a file in this source, or add the indicator's CSV download to the folder",
        )),
    }.into()
}

/// Up to 3 indicator codes close to `code` (edit distance at most a third of its length, at
/// least 3), closest first.
pub fn nearest_indicators<'a>(
    code: &str,
    available: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let limit = (code.len() / 3).max(3);
    let upper = code.to_ascii_uppercase();
    let mut scored: Vec<(usize, &str)> = available
        .into_iter()
        .map(|c| (strsim::levenshtein(&upper, &c.to_ascii_uppercase()), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_string())
        .collect()
}

/// The CSV files of a source that may hold data (metadata files excluded), sorted by name.
fn data_files(source: &Path) -> Result<Vec<PathBuf>, SourceError> {
    if source.is_file() {
        return Ok(vec![source.to_path_buf()]);
    }
    let entries = std::fs::read_dir(source).map_err(|e| SourceError::Io {
        path: source.to_path_buf(),
        source: e,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| SourceError::Io {
            path: source.to_path_buf(),
            source: e,
        })?;
        let path = entry.path();
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if path.is_file() && is_csv && !is_metadata_file(&path) {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(SourceError::Layout {
            path: source.to_path_buf(),
            message: "no WDI CSV file in this folder".into(),
            fix: Some(
                "download the indicators as CSV from data.worldbank.org into the folder".into(),
            ),
        });
    }
    Ok(files)
}

fn is_metadata_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.starts_with("Metadata_")
        || ["WDICountry", "WDISeries", "WDIFootNote"]
            .iter()
            .any(|p| name.starts_with(p))
}

/// Codes with an empty `Region` in the folder's country-metadata files (`Metadata_Country_*.csv`
/// of API downloads, `WDICountry.csv` of the bulk download).
fn country_metadata_aggregates(source: &Path) -> Result<HashSet<String>, SourceError> {
    let mut aggregates = HashSet::new();
    if !source.is_dir() {
        return Ok(aggregates);
    }
    let entries = std::fs::read_dir(source).map_err(|e| SourceError::Io {
        path: source.to_path_buf(),
        source: e,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let is_country_metadata = (name.starts_with("Metadata_Country")
            || name.starts_with("WDICountry."))
            && name.to_ascii_lowercase().ends_with(".csv");
        if !is_country_metadata {
            continue;
        }
        // Read leniently (no field-count check): only two columns are used, found by name,
        // and they only decide which rows are aggregates; no value comes from this file.
        let mut reader = CsvFile::open(&path)?;
        let Some((_, header)) = reader.next_record()? else {
            continue;
        };
        let h = Header::new(&path, header);
        let (Some(code_col), Some(region_col)) = (
            h.names.iter().position(|n| n == "Country Code"),
            h.names.iter().position(|n| n == "Region"),
        ) else {
            continue;
        };
        while let Some((_, record)) = reader.next_record()? {
            let code = record.get(code_col).unwrap_or("").trim();
            let region = record.get(region_col).unwrap_or("").trim();
            if !code.is_empty() && region.is_empty() {
                aggregates.insert(code.to_ascii_uppercase());
            }
        }
    }
    Ok(aggregates)
}

/// A file positioned after its header, with what the header said.
struct OpenedFile {
    layout: WdiLayout,
    header_line: usize,
    header: Vec<String>,
    last_updated: Option<String>,
    /// Wide layouts: (0-based column, year) of the year columns.
    years: Vec<(usize, i32)>,
    /// DDF: the indicator code the concept column stands for.
    ddf_code: Option<String>,
}

fn open_layout(path: &Path, reader: &mut CsvFile) -> Result<OpenedFile, SourceError> {
    let Some((mut line, mut record)) = reader.next_record()? else {
        return Err(SourceError::Layout {
            path: path.to_path_buf(),
            message: "the file is empty".into(),
            fix: Some("download the indicator again".into()),
        });
    };
    let mut layout = WdiLayout::Wide;
    let mut last_updated = None;
    if record.get(0).map(str::trim) == Some("Data Source") {
        layout = WdiLayout::Api;
        // Preamble: "Data Source", then "Last Updated Date" (blank lines are skipped).
        loop {
            let Some((l, r)) = reader.next_record()? else {
                return Err(SourceError::Text {
                    path: path.to_path_buf(),
                    line,
                    column: 1,
                    message: "the WDI preamble is not followed by a header".into(),
                    fix: Some("download the indicator again".into()),
                });
            };
            line = l;
            record = r;
            if record.get(0).map(str::trim) == Some("Last Updated Date") {
                last_updated = record.get(1).map(|s| s.trim().to_string());
                continue;
            }
            break;
        }
    }
    let header: Vec<String> = record.iter().map(|s| s.trim().to_string()).collect();
    if layout == WdiLayout::Wide && is_ddf_header(&header) {
        let concept = header.get(2).cloned().unwrap_or_default();
        return Ok(OpenedFile {
            layout: WdiLayout::Ddf,
            header_line: line,
            header,
            last_updated,
            years: Vec::new(),
            ddf_code: Some(concept.replace('_', ".").to_ascii_uppercase()),
        });
    }
    check_wide_header(path, line, &header, layout)?;
    let years = year_columns(path, line, &header)?;
    Ok(OpenedFile {
        layout,
        header_line: line,
        header,
        last_updated,
        years,
        ddf_code: None,
    })
}

fn is_ddf_header(header: &[String]) -> bool {
    header.len() == 3
        && matches!(header[0].as_str(), "economy" | "geo" | "country")
        && matches!(header[1].as_str(), "year" | "time")
        && !header[2].is_empty()
        && header[2]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_wide_header(
    path: &Path,
    line: usize,
    header: &[String],
    layout: WdiLayout,
) -> Result<(), SourceError> {
    let where_ = if layout == WdiLayout::Api {
        "after the 4-line \"Data Source\" preamble"
    } else {
        "on line 1"
    };
    for (i, expected) in WDI_HEADER.iter().enumerate() {
        let found = header.get(i).map(String::as_str).unwrap_or("");
        if found != *expected {
            let looks_like_wdi =
                layout == WdiLayout::Api || header.iter().any(|h| WDI_HEADER.contains(&h.as_str()));
            let (message, fix) = if looks_like_wdi {
                (
                    format!(
                        "changed WDI header: expected `{expected}` in column {}, found `{found}`",
                        i + 1
                    ),
                    "restore the header `Country Name,Country Code,Indicator Name,Indicator Code,<years>` of the World Bank download",
                )
            } else {
                (
                    format!(
                        "not a WDI file: expected the header `Country Name,Country Code,Indicator Name,Indicator Code,<years>` {where_}, or a DDF header `economy,year,<indicator>`; found `{found}` in column {}",
                        i + 1
                    ),
                    "remove the file from the WDI source folder, or declare it as its own `csv` source",
                )
            };
            return Err(SourceError::Text {
                path: path.to_path_buf(),
                line,
                column: i + 1,
                message,
                fix: Some(fix.into()),
            });
        }
    }
    Ok(())
}

/// Year columns of a wide header: every cell after the fourth must be a 4-digit year, except
/// empty trailing cells (the API files end each line with a comma).
fn year_columns(
    path: &Path,
    line: usize,
    header: &[String],
) -> Result<Vec<(usize, i32)>, SourceError> {
    let mut years = Vec::new();
    let last_nonempty = header.iter().rposition(|h| !h.is_empty()).unwrap_or(0);
    for (i, cell) in header.iter().enumerate().skip(WDI_HEADER.len()) {
        if i > last_nonempty {
            break;
        }
        let year = (cell.len() == 4 && cell.bytes().all(|b| b.is_ascii_digit()))
            .then(|| cell.parse::<i32>().ok())
            .flatten();
        match (year, whole_year(cell)) {
            (Some(y), _) => years.push((i, y)),
            (None, found) => {
                let message = match found {
                    YearText::Fraction(v) => format!("year {v} is not a whole number"),
                    _ => format!(
                        "changed WDI header: expected a year in column {}, found `{cell}`",
                        i + 1
                    ),
                };
                return Err(SourceError::Text {
                    path: path.to_path_buf(),
                    line,
                    column: i + 1,
                    message,
                    fix: Some("the columns after `Indicator Code` must be the years 1960, 1961, ... as in the World Bank download".into()),
                });
            }
        }
    }
    if years.is_empty() {
        return Err(SourceError::Text {
            path: path.to_path_buf(),
            line,
            column: WDI_HEADER.len() + 1,
            message: "the WDI header has no year columns".into(),
            fix: Some("download the indicator again".into()),
        });
    }
    Ok(years)
}

fn indicators_in_file(path: &Path) -> Result<Vec<WdiIndicator>, SourceError> {
    let mut reader = CsvFile::open(path)?;
    let opened = open_layout(path, &mut reader)?;
    if let Some(code) = opened.ddf_code {
        if reader.next_record()?.is_none() {
            return Err(no_data_rows(path));
        }
        return Ok(vec![WdiIndicator {
            code,
            name: None,
            file: path.to_path_buf(),
            layout: WdiLayout::Ddf,
        }]);
    }
    let mut seen: Vec<WdiIndicator> = Vec::new();
    let mut known: HashSet<String> = HashSet::new();
    let mut rows = 0;
    while let Some((line, record)) = reader.next_record()? {
        rows += 1;
        check_field_count(path, opened.header.len(), opened.header_line, line, &record)?;
        let code = record.get(3).unwrap_or("").trim();
        if code.is_empty() {
            return Err(SourceError::Text {
                path: path.to_path_buf(),
                line,
                column: 4,
                message: "empty `Indicator Code` cell".into(),
                fix: Some("every row of a WDI file names its indicator; restore the cell or delete the row".into()),
            });
        }
        if known.insert(code.to_string()) {
            seen.push(WdiIndicator {
                code: code.to_string(),
                name: record.get(2).map(|s| s.trim().to_string()),
                file: path.to_path_buf(),
                layout: opened.layout,
            });
        }
    }
    if rows == 0 {
        return Err(no_data_rows(path));
    }
    Ok(seen)
}

fn read_wide_rows(
    path: &Path,
    reader: &mut CsvFile,
    opened: &OpenedFile,
    code: &str,
    extra_aggregates: &HashSet<String>,
    series: &mut WdiSeries,
) -> Result<(), SourceError> {
    let cells = CellParser::new(path, &[]);
    let mut first_line: HashMap<String, usize> = HashMap::new();
    while let Some((line, record)) = reader.next_record()? {
        check_field_count(path, opened.header.len(), opened.header_line, line, &record)?;
        if record.get(3).map(str::trim) != Some(code) {
            continue;
        }
        if series.name.is_empty() {
            series.name = record.get(2).unwrap_or("").trim().to_string();
        }
        let raw_code = record.get(1).unwrap_or("").trim();
        let country_name = record.get(0).unwrap_or("").trim();
        let Some(iso3) = economy_code(raw_code, country_name, line, extra_aggregates, series)
        else {
            continue;
        };
        if let Some(first) = first_line.insert(iso3.clone(), line) {
            return Err(SourceError::Text {
                path: path.to_path_buf(),
                line,
                column: 2,
                message: format!(
                    "duplicate row for country {iso3} and indicator {code} (first at line {first}): every (country, year) would appear twice"
                ),
                fix: Some("keep one row per country and indicator".into()),
            });
        }
        for &(col, year) in &opened.years {
            let header = opened.header.get(col).map(String::as_str).unwrap_or("");
            if let Some(value) = cells.value(&record, line, col, header)? {
                series.observations.push(Observation {
                    country: iso3.clone(),
                    year,
                    value,
                });
            }
        }
    }
    Ok(())
}

fn read_ddf_rows(
    path: &Path,
    reader: &mut CsvFile,
    opened: &OpenedFile,
    extra_aggregates: &HashSet<String>,
    series: &mut WdiSeries,
) -> Result<(), SourceError> {
    let cells = CellParser::new(path, &[]);
    let concept = opened.header.get(2).cloned().unwrap_or_default();
    let mut first_line: HashMap<(String, i32), usize> = HashMap::new();
    while let Some((line, record)) = reader.next_record()? {
        check_field_count(path, opened.header.len(), opened.header_line, line, &record)?;
        let raw_code = record.get(0).unwrap_or("").trim().to_ascii_uppercase();
        let year = cells.year(&record, line, 1)?;
        let Some(iso3) = economy_code(&raw_code, "", line, extra_aggregates, series) else {
            continue;
        };
        if let Some(first) = first_line.insert((iso3.clone(), year), line) {
            return Err(SourceError::Text {
                path: path.to_path_buf(),
                line,
                column: 1,
                message: format!("duplicate row for ({iso3}, {year}) (first at line {first})"),
                fix: Some("keep one row per economy and year".into()),
            });
        }
        if let Some(value) = cells.value(&record, line, 2, &concept)? {
            series.observations.push(Observation {
                country: iso3,
                year,
                value,
            });
        }
    }
    Ok(())
}

/// The ISO3 code of an economy row, or None (recorded in `series`) for aggregates and
/// unrecognised codes.
fn economy_code(
    raw_code: &str,
    name: &str,
    line: usize,
    extra_aggregates: &HashSet<String>,
    series: &mut WdiSeries,
) -> Option<String> {
    let upper = raw_code.to_ascii_uppercase();
    if extra_aggregates.contains(&upper) {
        series.aggregates.push(upper);
        return None;
    }
    match classify_wdi(&upper) {
        WdiEntity::Country { iso3 } => Some(iso3),
        WdiEntity::Aggregate { .. } => {
            series.aggregates.push(upper);
            None
        }
        WdiEntity::Unknown => {
            series
                .unrecognised
                .push((raw_code.to_string(), name.to_string(), line));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddf_header_detection() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(is_ddf_header(&h(&[
            "economy",
            "year",
            "tm_tax_mrch_wm_ar_zs"
        ])));
        assert!(!is_ddf_header(&h(&["economy", "year", "TM.TAX"])));
        assert!(!is_ddf_header(&h(&[
            "Country Name",
            "Country Code",
            "Indicator Name"
        ])));
    }

    #[test]
    fn nearest_indicator_codes() {
        let codes = ["NY.GDP.PCAP.KD.ZG", "NE.GDI.FTOT.ZS", "SE.TER.ENRR"];
        assert_eq!(
            nearest_indicators("NY.GDP.PCAP.KD.ZS", codes),
            vec!["NY.GDP.PCAP.KD.ZG"]
        );
        assert!(nearest_indicators("XX", codes).is_empty());
    }
}
