//! What assembly returns: the balanced panel, the missing cells and descriptives of every
//! variable, and notes on every value dropped, filled or clipped.

use serde::{Deserialize, Serialize};

use crate::panel::summary::Descriptives;

/// One panel column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PanelColumn {
    /// Variable name.
    pub name: String,
    /// Label for tables.
    pub label: Option<String>,
    /// One value per panel row; `None` = missing.
    pub values: Vec<Option<f64>>,
}

/// The balanced estimation panel: row r is (`country[r]`, `year[r]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Panel {
    /// Unit of each row (sample codes): the country of a country panel, else the unit's
    /// dimension values joined by `/` (`CHN/c3`, `CHN/DEU`).
    pub country: Vec<String>,
    /// On a panel whose unit is not `country`, each dimension's value per row (exporter,
    /// importer, sector; sample codes); empty on a country panel.
    pub dims: Vec<(crate::panel::Dim, Vec<String>)>,
    /// Year of each row.
    pub year: Vec<i32>,
    /// Variables in definition order.
    pub columns: Vec<PanelColumn>,
}

impl Panel {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.country.len()
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&PanelColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The value of `name` at (country, year); None if missing or not in the panel.
    pub fn value(&self, name: &str, country: &str, year: i32) -> Option<f64> {
        let row = self
            .country
            .iter()
            .zip(&self.year)
            .position(|(c, y)| c == country && *y == year)?;
        self.column(name)?.values.get(row).copied().flatten()
    }
}

/// Missing cells of one variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingSummary {
    /// Variable name.
    pub variable: String,
    /// Number of missing cells.
    pub n_missing: usize,
    /// Number of panel rows.
    pub n_rows: usize,
    /// The missing (country, year) cells.
    pub cells: Vec<(String, i32)>,
}

/// Something dropped, filled or clipped, and why (cases inside the sample only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// The variable concerned (None for sample-wide notes).
    pub variable: Option<String>,
    /// What happened.
    pub message: String,
    /// The sample country-years concerned (may be empty for sample-wide notes).
    pub cases: Vec<(String, i32)>,
}

/// The panel with its missing-data summary, descriptives and notes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assembled {
    /// The estimation panel.
    pub panel: Panel,
    /// Missing cells per variable.
    pub missing: Vec<MissingSummary>,
    /// Descriptives per variable (non-missing cells).
    pub descriptives: Vec<Descriptives>,
    /// Dropped, filled and clipped values, code-system drops and excluded years.
    pub notes: Vec<Note>,
}
