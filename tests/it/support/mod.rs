//! Test-only fixture writers shared by integration tests (`mod support;`).
//!
//! [`write_adb_workbook`] writes an [`IoTable`] as an ADB MRIO-style Excel workbook
//! (reference/decomposition.md §8.1, shared/data/adb_layout/README.md): title rows 1-3,
//! serials (row 4), descriptions (row 5), economy codes (row 6), column codes (row 7:
//! sectors, F1..F5, `ToT`), labels in columns B-D, data from E8, bottom rows `r60 r99 r61 r62
//! r63 r64 trs r69` labelled `ToT`, a footnote, and a `Legend` sheet. [`adb_sheet`] returns
//! the same sheet as an editable grid so tests can build malformed variants.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use gvc::iot::IoTable;
use rust_xlsxwriter::{Workbook, XlsxError};

/// Which ADB MRIO edition the fixture imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdbEdition {
    /// 62-economy tables: every cell written, zeros as 0.
    Mrio62,
    /// 72-economy tables as exercised here: zero cells left blank (some ADB years have blank
    /// cells) and two extra columns right of the total column (real files carry such columns,
    /// which readers must ignore).
    Mrio72,
}

/// One cell of the editable grid.
#[derive(Debug, Clone, PartialEq)]
pub enum XCell {
    Blank,
    Num(f64),
    Text(String),
}

/// A worksheet as a row-major grid (0-based rows and columns), plus its name.
#[derive(Debug, Clone)]
pub struct AdbSheet {
    pub name: String,
    pub rows: Vec<Vec<XCell>>,
    /// Economy codes for the `Legend` sheet.
    pub legend: Vec<String>,
}

/// First data row and column of the fixture layout (E8).
pub const FIRST_ROW: usize = 7;
pub const FIRST_COL: usize = 4;

impl AdbSheet {
    pub fn set(&mut self, row: usize, col: usize, cell: XCell) {
        if self.rows.len() <= row {
            self.rows.resize(row + 1, Vec::new());
        }
        let r = &mut self.rows[row];
        if r.len() <= col {
            r.resize(col + 1, XCell::Blank);
        }
        r[col] = cell;
    }

    pub fn remove_row(&mut self, row: usize) {
        self.rows.remove(row);
    }

    pub fn remove_col(&mut self, col: usize) {
        for r in &mut self.rows {
            if col < r.len() {
                r.remove(col);
            }
        }
    }

    /// The first row whose cell in column `col` is the text `text`.
    pub fn find_row(&self, col: usize, text: &str) -> Option<usize> {
        self.rows
            .iter()
            .position(|r| matches!(r.get(col), Some(XCell::Text(t)) if t == text))
    }

    /// The first column whose cell in row `row` is the text `text`.
    pub fn find_col(&self, row: usize, text: &str) -> Option<usize> {
        self.rows
            .get(row)?
            .iter()
            .position(|c| matches!(c, XCell::Text(t) if t == text))
    }

    /// Writes the grid (and a `Legend` sheet) as an .xlsx workbook.
    pub fn save(&self, path: &Path) -> Result<(), XlsxError> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name(&self.name)?;
        for (r, row) in self.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    XCell::Blank => {}
                    XCell::Num(v) => {
                        ws.write_number(r as u32, c as u16, *v)?;
                    }
                    XCell::Text(t) => {
                        ws.write_string(r as u32, c as u16, t)?;
                    }
                }
            }
        }
        let legend = wb.add_worksheet();
        legend.set_name("Legend")?;
        legend.write_string(0, 0, "Code")?;
        legend.write_string(0, 1, "Economy")?;
        legend.write_string(0, 2, "No.")?;
        for (k, code) in self.legend.iter().enumerate() {
            legend.write_string(k as u32 + 1, 0, code)?;
            legend.write_string(k as u32 + 1, 1, code)?;
            legend.write_number(k as u32 + 1, 2, (k + 1) as f64)?;
        }
        wb.save(path)
    }
}

const BOTTOM: [(&str, &str); 8] = [
    ("r60", "Total intermediate consumption"),
    ("r99", "Taxes less subsidies on products"),
    ("r61", "Cif/ fob adjustments on exports"),
    ("r62", "Direct purchases abroad by residents"),
    (
        "r63",
        "Purchases on the domestic territory by non-residents",
    ),
    ("r64", "Value added at basic prices"),
    ("trs", "International Transport Margins"),
    ("r69", "TOTAL"),
];

/// The ADB-layout grid of `table` (economy codes = `table.countries`, column codes = the
/// sector codes of the labels and `table.fd_categories`). Bottom rows: r60 = colSums(Z)
/// (colSums(Yfd) under final demand), r64 = x − colSums(Z), r69 = x (colSums(Yfd) under final
/// demand), the others 0 — as in shared/data/adb_layout.
pub fn adb_sheet(table: &IoTable, edition: AdbEdition) -> AdbSheet {
    let n = table.n();
    let (g, nf) = (table.g(), table.f());
    let year = table.year.unwrap_or(2000);
    let num = |v: f64| {
        if v == 0.0 && edition == AdbEdition::Mrio72 {
            XCell::Blank
        } else {
            XCell::Num(v)
        }
    };
    let text = |s: &str| XCell::Text(s.to_string());
    let ncol = n + g * nf + 1;
    let mut s = AdbSheet {
        name: format!("ADB MRIO {year}"),
        rows: Vec::new(),
        legend: table.countries.clone(),
    };
    s.set(
        0,
        0,
        text(&format!("Multiregional Input-Output Table {year}")),
    );
    s.set(
        1,
        0,
        text(&format!(
            "{g} economies, at current prices (industry by industry)"
        )),
    );
    s.set(2, 0, text("In millions of US$"));
    for j in 0..ncol {
        let c = FIRST_COL + j;
        s.set(3, c, text(&format!("{:04}", j + 1)));
        let (desc, econ, code) = if j < n {
            let l = &table.labels[j];
            (
                format!("Sector {}", l.sector),
                Some(l.block.clone()),
                l.sector.clone(),
            )
        } else if j < n + g * nf {
            let k = j - n;
            let cat = &table.fd_categories[k % nf];
            (
                format!("Final demand {cat}"),
                Some(table.countries[k / nf].clone()),
                cat.clone(),
            )
        } else {
            ("Total output".to_string(), None, "ToT".to_string())
        };
        s.set(4, c, XCell::Text(desc));
        if let Some(e) = econ {
            s.set(5, c, XCell::Text(e));
        }
        s.set(6, c, XCell::Text(code));
    }
    if edition == AdbEdition::Mrio72 {
        s.set(6, FIRST_COL + ncol, text("Memo1"));
        s.set(6, FIRST_COL + ncol + 1, text("Memo2"));
    }
    for i in 0..n {
        let r = FIRST_ROW + i;
        let l = &table.labels[i];
        s.set(r, 1, XCell::Text(format!("Sector {}", l.sector)));
        s.set(r, 2, XCell::Text(l.block.clone()));
        s.set(r, 3, XCell::Text(l.sector.clone()));
        for j in 0..n {
            s.set(r, FIRST_COL + j, num(table.z[(i, j)]));
        }
        for k in 0..g * nf {
            s.set(r, FIRST_COL + n + k, num(table.y[(i, k)]));
        }
        s.set(r, FIRST_COL + ncol - 1, num(table.x[i]));
        if edition == AdbEdition::Mrio72 {
            s.set(r, FIRST_COL + ncol, XCell::Num(1.0));
            s.set(r, FIRST_COL + ncol + 1, text("memo"));
        }
    }
    let col_z: Vec<f64> = (0..n)
        .map(|j| (0..n).map(|i| table.z[(i, j)]).sum())
        .collect();
    let col_y: Vec<f64> = (0..g * nf)
        .map(|k| (0..n).map(|i| table.y[(i, k)]).sum())
        .collect();
    for (b, (code, desc)) in BOTTOM.iter().enumerate() {
        let r = FIRST_ROW + n + b;
        s.set(r, 1, text(desc));
        s.set(r, 2, text("ToT"));
        s.set(r, 3, text(code));
        for j in 0..n + g * nf {
            let v = match (*code, j < n) {
                ("r60", true) => col_z[j],
                ("r64", true) => table.x[j] - col_z[j],
                ("r69", true) => table.x[j],
                ("r60" | "r69", false) => col_y[j - n],
                _ => 0.0,
            };
            s.set(r, FIRST_COL + j, num(v));
        }
    }
    s.set(
        FIRST_ROW + n + BOTTOM.len(),
        1,
        text("$ = United States dollar; test fixture written by gvc's test suite"),
    );
    s
}

/// Writes `table` as an ADB MRIO-layout workbook (see [`adb_sheet`]).
pub fn write_adb_workbook(
    path: &Path,
    table: &IoTable,
    edition: AdbEdition,
) -> Result<(), XlsxError> {
    adb_sheet(table, edition).save(path)
}

/// The small ADB-layout fixture table: synthetic, seed 17, 3 economies (PRC, KAZ, RoW) × 4
/// sectors × F1..F5, year 2005 (n = 12, 15 final-demand columns, `ToT` in column 27).
pub fn small_table() -> IoTable {
    use gvc::sources::mrio::synthetic::{generate, Names, SyntheticSpec};
    let spec = SyntheticSpec {
        seed: 17,
        countries: vec!["PRC".into(), "KAZ".into(), "RoW".into()],
        sectors: Names::Count(4),
        fd_categories: Names::Count(5),
        years: vec![],
    };
    generate(&spec, 2005).expect("the fixture spec is valid")
}

/// A fresh, empty temporary folder for one test (removed first if it exists).
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gvc-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}
