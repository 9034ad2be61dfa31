//! Every source format a spec can name (`[sources.<name>] format = "…"`), with its facts in one
//! table: what it feeds (input-output tables or covariates), which reader runs, what it expects
//! at its path and where such data usually come from. Adding a format is one row here plus its
//! reader.

use super::mrio::MrioFormat;
use super::table::TableLayout;

/// A source format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceFormat {
    AdbXlsx,
    IcioCsv,
    LabelledCsv,
    Matrices,
    Synthetic,
    WdiCsv,
    Csv,
    WideCsv,
    BilateralCsv,
    Parquet,
    SyntheticPanel,
}

/// What a format's data become and which reader produces them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// Input-output tables, one per year, read by [`crate::sources::mrio`].
    Tables(MrioFormat),
    /// World Bank WDI indicator files ([`crate::sources::wdi`]).
    Wdi,
    /// A country(-partner)-year table ([`crate::sources::table`]) in a default layout (the
    /// `layout` option may change it for `csv` and `parquet`), CSV or Parquet.
    Table { layout: TableLayout, parquet: bool },
    /// Generated covariates ([`crate::sources::synthetic_panel`]); reads no file.
    SyntheticPanel,
}

/// The facts of one format.
#[derive(Debug, Clone, Copy)]
pub struct FormatFacts {
    pub format: SourceFormat,
    /// The spelling in a spec.
    pub name: &'static str,
    pub reader: Reader,
    /// What the format expects at its `path`, in words (for "not found" messages).
    pub expects: &'static str,
    /// Where such data usually come from (when the spec gives no `download` hint).
    pub download: &'static str,
}

const SEE_FORMATS: &str = "see docs/formats.md for the layout this format reads";

/// One row per format, in documentation order.
pub const FORMATS: &[FormatFacts] = &[
    FormatFacts {
        format: SourceFormat::AdbXlsx,
        name: "adb-xlsx",
        reader: Reader::Tables(MrioFormat::AdbXlsx),
        expects: "a folder of ADB MRIO Excel workbooks, one per year",
        download: "download the ADB MRIO tables (ADB Data Library, \"Multiregional Input-Output Tables\", one .xlsx per year; data/README.md lists them)",
    },
    FormatFacts {
        format: SourceFormat::IcioCsv,
        name: "icio-csv",
        reader: Reader::Tables(MrioFormat::IcioCsv),
        expects: "a folder of OECD ICIO CSV files, one per year",
        download: "download the OECD Inter-Country Input-Output tables (oe.cd/icio, the CSV edition)",
    },
    FormatFacts {
        format: SourceFormat::LabelledCsv,
        name: "labelled-csv",
        reader: Reader::Tables(MrioFormat::LabelledCsv),
        expects: "a folder of labelled input-output CSV files, one per year",
        download: "export the tables as labelled CSV (docs/formats.md describes the layout)",
    },
    FormatFacts {
        format: SourceFormat::Matrices,
        name: "matrices",
        reader: Reader::Tables(MrioFormat::Matrices),
        expects: "a folder of Z, Y, VA (and x) CSV matrices per year",
        download: SEE_FORMATS,
    },
    FormatFacts {
        format: SourceFormat::Synthetic,
        name: "synthetic",
        reader: Reader::Tables(MrioFormat::Synthetic),
        expects: "nothing (the tables are generated)",
        download: SEE_FORMATS,
    },
    FormatFacts {
        format: SourceFormat::WdiCsv,
        name: "wdi-csv",
        reader: Reader::Wdi,
        expects: "a World Bank WDI CSV file or a folder of them",
        download: "download the indicators from the World Bank WDI (per-indicator CSV from data.worldbank.org, or the bulk WDICSV.csv)",
    },
    FormatFacts {
        format: SourceFormat::Csv,
        name: "csv",
        reader: Reader::Table {
            layout: TableLayout::Long,
            parquet: false,
        },
        expects: "a CSV table with country and year columns",
        download: SEE_FORMATS,
    },
    FormatFacts {
        format: SourceFormat::WideCsv,
        name: "wide-csv",
        reader: Reader::Table {
            layout: TableLayout::Wide,
            parquet: false,
        },
        expects: "a CSV table with one column per year",
        download: SEE_FORMATS,
    },
    FormatFacts {
        format: SourceFormat::BilateralCsv,
        name: "bilateral-csv",
        reader: Reader::Table {
            layout: TableLayout::Bilateral,
            parquet: false,
        },
        expects: "a bilateral CSV table (reporter, partner, year, value)",
        download: "assemble the bilateral table (UNCTAD bilateral FDI statistics, the IMF CDIS, or a national bulletin; docs/formats.md describes the columns)",
    },
    FormatFacts {
        format: SourceFormat::Parquet,
        name: "parquet",
        reader: Reader::Table {
            layout: TableLayout::Long,
            parquet: true,
        },
        expects: "a Parquet table with country and year columns",
        download: SEE_FORMATS,
    },
    FormatFacts {
        format: SourceFormat::SyntheticPanel,
        name: "synthetic-panel",
        reader: Reader::SyntheticPanel,
        expects: "nothing (the covariates are generated)",
        download: SEE_FORMATS,
    },
];

impl SourceFormat {
    /// This format's row of [`FORMATS`].
    pub fn facts(self) -> &'static FormatFacts {
        FORMATS
            .iter()
            .find(|f| f.format == self)
            .expect("every source format has a row in FORMATS")
    }

    /// The input-output table format, when this format reads tables.
    pub fn tables(self) -> Option<MrioFormat> {
        match self.facts().reader {
            Reader::Tables(m) => Some(m),
            _ => None,
        }
    }

    /// Whether the format generates its data instead of reading a path.
    pub fn is_synthetic(self) -> bool {
        matches!(
            self.facts().reader,
            Reader::Tables(MrioFormat::Synthetic) | Reader::SyntheticPanel
        )
    }

    /// The formats that read input-output tables.
    pub fn table_formats() -> Vec<SourceFormat> {
        FORMATS
            .iter()
            .filter(|f| matches!(f.reader, Reader::Tables(_)))
            .map(|f| f.format)
            .collect()
    }
}

impl crate::choice::Choice for SourceFormat {
    const WHAT: &'static str = "source format";
    const ALL: &'static [Self] = &[
        SourceFormat::AdbXlsx,
        SourceFormat::IcioCsv,
        SourceFormat::LabelledCsv,
        SourceFormat::Matrices,
        SourceFormat::Synthetic,
        SourceFormat::WdiCsv,
        SourceFormat::Csv,
        SourceFormat::WideCsv,
        SourceFormat::BilateralCsv,
        SourceFormat::Parquet,
        SourceFormat::SyntheticPanel,
    ];
    fn name(self) -> &'static str {
        self.facts().name
    }
}
crate::choice_serde!(SourceFormat);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::choice::Choice;

    #[test]
    fn one_row_per_format_in_order() {
        let rows: Vec<SourceFormat> = FORMATS.iter().map(|f| f.format).collect();
        assert_eq!(rows, SourceFormat::ALL.to_vec());
        for m in MrioFormat::ALL {
            let f = SourceFormat::from_name(m.name()).expect("each table format has a row");
            assert_eq!(f.tables(), Some(m));
        }
    }
}
