//! The kinds of table the report builds: one row of [`TABLE_KINDS`] per kind, in report order
//! (tables are numbered in this order). A kind's `key` is the variable templates see
//! (`{% if descriptives %}`, `{% for table in regressions %}`) and every table it builds is
//! also written as `tables/<name>.<ext>`. Adding a table is its builder file plus one row
//! here, and a line in each report template that places it.

use super::error::ReportError;
use super::indicators::IndicatorData;
use super::input::ReportInput;
use super::table::Table;
use super::{descriptive, hausman, indicators, multiverse, regression};

/// What a table builder reads.
pub(crate) struct Sources<'a> {
    pub input: &'a ReportInput,
    pub indicators: &'a IndicatorData,
}

/// Whether templates see one table (or `null`) or a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arity {
    One,
    Many,
}

/// One kind of report table.
pub(crate) struct TableKind {
    /// The template variable holding this kind's table(s).
    pub key: &'static str,
    pub arity: Arity,
    /// Builds the tables (none when the input has nothing for this kind).
    pub build: fn(&Sources<'_>) -> Result<Vec<Table>, ReportError>,
}

/// Every kind of table, in report (numbering) order.
pub(crate) const TABLE_KINDS: &[TableKind] = &[
    TableKind {
        key: "indicator_summary",
        arity: Arity::One,
        build: |s| {
            if s.indicators.measures.is_empty() {
                return Ok(Vec::new());
            }
            Ok(indicators::indicator_summary_table(s.indicators, s.input)?
                .into_iter()
                .collect())
        },
    },
    TableKind {
        key: "descriptives",
        arity: Arity::One,
        build: |s| {
            Ok(descriptive::descriptives_table(s.input)
                .into_iter()
                .collect())
        },
    },
    TableKind {
        key: "missing",
        arity: Arity::One,
        build: |s| Ok(descriptive::missing_table(s.input).into_iter().collect()),
    },
    TableKind {
        key: "regressions",
        arity: Arity::Many,
        build: |s| {
            s.input
                .models
                .iter()
                .map(|b| regression::regression_table(b, s.input))
                .collect()
        },
    },
    TableKind {
        key: "hausman_details",
        arity: Arity::Many,
        build: |s| Ok(hausman::hausman_tables(s.input)),
    },
    TableKind {
        key: "multiverse",
        arity: Arity::One,
        build: |s| Ok(multiverse::summary_table(s.input).into_iter().collect()),
    },
    TableKind {
        key: "indicators_by_year",
        arity: Arity::Many,
        build: |s| {
            if s.indicators.measures.is_empty() {
                return Ok(Vec::new());
            }
            indicators::measure_by_year_tables(s.indicators, s.input)
        },
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_one_kinds_build_at_most_one_table() {
        let mut keys: Vec<&str> = TABLE_KINDS.iter().map(|k| k.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), TABLE_KINDS.len());
    }
}
