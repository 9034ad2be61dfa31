//! Which series a covariate source offers, answered cheaply for `gvc check`: a variable's
//! `from = "S.C"` names series `C` of source `S`, and [`check_series`] says whether `S` has
//! it without reading the data (CSV and Parquet tables: header and first row, see
//! [`table::probe`]; WDI: the indicator codes of its files; `synthetic-panel`: its fixed
//! names). The errors carry no spec location; the caller attaches the variable's.

use std::path::{Path, PathBuf};

use crate::sources::countries::nearest_codes;
use crate::sources::error::NotFound;
use crate::sources::table::{self, did_you_mean, TableLayout, TableSpec};
use crate::sources::{synthetic_panel, wdi, SourceError};

/// The path named in errors about the `synthetic-panel` source, which reads no file.
pub const SYNTHETIC_PANEL_PATH: &str = "<synthetic-panel>";

/// A covariate source as a spec declares it.
#[derive(Debug, Clone, Copy)]
pub enum CovariateSource<'a> {
    /// `csv`, `wide-csv`, `bilateral-csv` or `parquet` (`spec.parquet` set): one table file.
    Table {
        /// The table file.
        path: &'a Path,
        /// Its options (layout, columns, …).
        spec: &'a TableSpec,
    },
    /// `wdi-csv`: a folder (or one file) of World Bank downloads.
    Wdi {
        /// The folder or file.
        path: &'a Path,
    },
    /// `synthetic-panel`: the generated series of [`synthetic_panel::SERIES`] and the
    /// bilateral table [`synthetic_panel::BILATERAL`].
    SyntheticPanel,
}

/// The series names `source` offers: a long table's value columns, the one series of a wide
/// or bilateral table, the indicator codes of a WDI folder, the synthetic series.
pub fn series_names(source: &CovariateSource<'_>) -> Result<Vec<String>, SourceError> {
    match source {
        CovariateSource::Table { path, spec } => Ok(table::probe(path, spec)?.series),
        CovariateSource::Wdi { path } => Ok(wdi::list_indicators(path)?
            .into_iter()
            .map(|i| i.code)
            .collect()),
        CovariateSource::SyntheticPanel => Ok(synthetic_series()),
    }
}

/// `Ok` when `source` has series `name`; otherwise [`NotFound`] worded like
/// `column x2 not in cov.csv (columns iso3, year, x1)` with the nearest names in its fix, or
/// the reader's own error when the source cannot be read at all (missing file, no data rows,
/// a column the options name that the header lacks).
pub fn check_series(source: &CovariateSource<'_>, name: &str) -> Result<(), SourceError> {
    match source {
        CovariateSource::Table { path, spec } => {
            let probe = table::probe(path, spec)?;
            if probe.series.iter().any(|s| s == name) {
                return Ok(());
            }
            Err(table_series_missing(path, spec, &probe, name))
        }
        CovariateSource::Wdi { path } => {
            let codes = series_names(source)?;
            if codes.iter().any(|c| c == name) {
                return Ok(());
            }
            Err(wdi::unknown_indicator(path, name, codes))
        }
        CovariateSource::SyntheticPanel => {
            let names = synthetic_series();
            if names.iter().any(|s| s == name) {
                return Ok(());
            }
            let nearest = nearest_codes(name, names.iter().map(String::as_str));
            Err(NotFound {
                path: PathBuf::from(SYNTHETIC_PANEL_PATH),
                what: "series".into(),
                name: name.to_string(),
                available: ("series".into(), names),
                fix: Some(did_you_mean(&nearest, "use one of the generated series")),
            }
            .into())
        }
    }
}

/// The names of the synthetic panel: its series, then its bilateral table.
fn synthetic_series() -> Vec<String> {
    synthetic_panel::SERIES
        .iter()
        .map(|(n, _)| n.to_string())
        .chain(std::iter::once(synthetic_panel::BILATERAL.to_string()))
        .collect()
}

/// The error for a table that lacks series `name`: a long table lists its header (a header
/// column left out by the `columns` option says so); a wide or bilateral table explains that
/// its one series is named by `value`.
fn table_series_missing(
    path: &Path,
    spec: &TableSpec,
    probe: &table::Probe,
    name: &str,
) -> SourceError {
    let nearest = nearest_codes(name, probe.series.iter().map(String::as_str));
    let (what, available, fix) = match spec.layout {
        TableLayout::Long => {
            let fix = if probe.columns.iter().any(|c| c == name) {
                format!("`{name}` is left out by the source's `columns` option; add it there")
            } else {
                did_you_mean(&nearest, "name one of the table's value columns")
            };
            ("column", ("columns".to_string(), probe.columns.clone()), fix)
        }
        TableLayout::Wide | TableLayout::Bilateral => (
            "series",
            ("series".to_string(), probe.series.clone()),
            format!(
                "a {} table is one series, named by the source's `value` option (now `{}`); use that name or set `value = \"{name}\"`",
                if spec.layout == TableLayout::Wide { "wide" } else { "bilateral" },
                probe.series.first().map(String::as_str).unwrap_or("value")
            ),
        ),
    };
    NotFound {
        path: path.to_path_buf(),
        what: what.into(),
        name: name.to_string(),
        available,
        fix: Some(fix),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("gvc-series-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn long_table_column_present_and_missing() {
        let path = write("cov.csv", "iso3,year,x1\nCHN,2010,1\n");
        let spec = TableSpec::default();
        let spec = TableSpec {
            country: Some("iso3".into()),
            ..spec
        };
        let source = CovariateSource::Table {
            path: &path,
            spec: &spec,
        };
        assert_eq!(series_names(&source).unwrap(), ["x1"]);
        check_series(&source, "x1").unwrap();
        let e = check_series(&source, "x2").unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "column `x2` not in {} (columns iso3, year, x1)",
                path.display()
            )),
            "{e}"
        );
        assert!(e.contains("did you mean `x1`?"), "{e}");
    }

    #[test]
    fn wide_table_series_is_its_value_name() {
        let path = write("wide.csv", "iso3,2007,2008\nCHN,1,2\n");
        let spec = TableSpec {
            layout: TableLayout::Wide,
            country: Some("iso3".into()),
            value: Some("tariff".into()),
            ..TableSpec::default()
        };
        let source = CovariateSource::Table {
            path: &path,
            spec: &spec,
        };
        check_series(&source, "tariff").unwrap();
        let e = check_series(&source, "value").unwrap_err().to_string();
        assert!(
            e.contains("series `value` not in") && e.contains("(series tariff)"),
            "{e}"
        );
        assert!(e.contains("set `value = \"value\"`"), "{e}");
    }

    #[test]
    fn synthetic_panel_names() {
        check_series(&CovariateSource::SyntheticPanel, "tariff").unwrap();
        check_series(&CovariateSource::SyntheticPanel, "ofdi").unwrap();
        let e = check_series(&CovariateSource::SyntheticPanel, "tarif")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("series `tarif` not in <synthetic-panel> (series tariff,"),
            "{e}"
        );
        assert!(e.contains("did you mean `tariff`?"), "{e}");
    }

    #[test]
    fn wdi_indicator_missing_names_nearest() {
        let dir = std::env::temp_dir().join(format!("gvc-series-wdi-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("x_WDI.csv"),
            "Country Name,Country Code,Indicator Name,Indicator Code,2007\nChina,CHN,GDP growth,NY.GDP.PCAP.KD.ZG,1.5\n",
        )
        .unwrap();
        let source = CovariateSource::Wdi { path: &dir };
        check_series(&source, "NY.GDP.PCAP.KD.ZG").unwrap();
        let e = check_series(&source, "NY.GDP.PCAP.KD.ZS")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("indicator `NY.GDP.PCAP.KD.ZS` not in")
                && e.contains("(indicators NY.GDP.PCAP.KD.ZG)")
                && e.contains("did you mean `NY.GDP.PCAP.KD.ZG`?"),
            "{e}"
        );
    }
}
