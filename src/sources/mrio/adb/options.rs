//! The options of the `adb-xlsx` reader (the keys of `[sources.mrio]` besides `format`,
//! `path` and `files`) and their defaults, those of the ADB 62- and 72-economy editions.

use serde::Deserialize;

use crate::sources::mrio::OutputSource;

/// Options of the `adb-xlsx` reader. Every key is optional:
///
/// | key | default | meaning |
/// |---|---|---|
/// | `sheet` | auto | data sheet name; by default `ADB MRIO <year>`, else the only `ADB MRIO*` sheet, else the first sheet that is not `Legend` |
/// | `fd_codes` | `["F1".."F5"]` | final-demand category codes in the column-code row (ADB: households, NPISH, government, GFCF, inventories) |
/// | `total_code` | `"ToT"` | code of the total-output column, and economy label of the bottom rows |
/// | `intermediate_total_row` | `"r60"` | code of the first bottom row (total intermediate consumption) |
/// | `output_row` | `"r69"` | code of the total-output bottom row |
/// | `output` | `"table"` | `table`: x = the `ToT` column; `row-sums`: x = rowSums(Z) + rowSums(Y) |
/// | `output_tolerance` | `1e-6` | relative tolerance of the check `r69` row = `ToT` column |
/// | `economies` | any | expected number of economies incl. RoW (63 for the 62-economy edition, 73 for the 72-economy one) |
/// | `header_search_rows` | `50` | how many top rows are searched for the column-code row |
///
/// Codes are compared case-insensitively after trimming.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdbOptions {
    /// Data sheet name (default: found as described above).
    pub sheet: Option<String>,
    /// Final-demand codes, in category order.
    pub fd_codes: Vec<String>,
    /// Code of the total column and economy label of the bottom rows.
    pub total_code: String,
    /// Code of the total-intermediate-consumption bottom row.
    pub intermediate_total_row: String,
    /// Code of the total-output bottom row.
    pub output_row: String,
    /// Where gross output comes from.
    pub output: OutputSource,
    /// Relative tolerance of the total row vs total column check.
    pub output_tolerance: f64,
    /// Expected number of economies including RoW.
    pub economies: Option<usize>,
    /// Number of top rows searched for the column-code row.
    pub header_search_rows: usize,
}

impl Default for AdbOptions {
    fn default() -> Self {
        AdbOptions {
            sheet: None,
            fd_codes: (1..=5).map(|f| format!("F{f}")).collect(),
            total_code: "ToT".into(),
            intermediate_total_row: "r60".into(),
            output_row: "r69".into(),
            output: OutputSource::Table,
            output_tolerance: 1e-6,
            economies: None,
            header_search_rows: 50,
        }
    }
}
