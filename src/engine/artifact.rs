//! What stages produce: one typed output per stage kind, each knowing how it is written to and
//! read from its cache folder ([`Artifact`]), and the [`Facts`] recorded beside it.

use std::collections::BTreeMap;
use std::path::Path;

use ndarray::Array2;
use polars::prelude::DataFrame;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::frames::{self, FrameError};
use super::matrix_file;
use crate::estimate::{EstimationResult, HausmanResult};
use crate::iot::{IdentityResidual, IoTable};
use crate::panel::{Descriptives, MissingSummary, Note};
use crate::report::ReportInput;

/// A stage output that can live in a cache folder.
pub trait Artifact: Send + Sync + Sized + 'static {
    /// Writes the output's files into `dir` (a fresh temporary folder of the cache).
    fn save(&self, dir: &Path) -> Result<(), FrameError>;
    /// Reads the output back from its cache folder.
    fn load(dir: &Path) -> Result<Self, FrameError>;
}

/// Facts about an artifact that `run.json` and `status` report without loading it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// The largest residual of each accounting identity the stage checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<IdentityResidual>,
    /// Per-country totals of an input-output table (`io_summary.csv`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub summary: Vec<CountryTotals>,
    /// A note the report shows (e.g. that covariates are synthetic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Warnings every run prints (cached or not), e.g. a sample country no table has.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One country's totals in one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountryTotals {
    pub country: String,
    /// Σ x over the country's entries.
    pub output: f64,
    /// Σ (x − column sums of Z).
    pub value_added: f64,
    /// Σ_{r≠s} (Z^{sr} 1 + Y^{sr} 1).
    pub gross_exports: f64,
    /// Final demand absorbed by the country (its column block of Y).
    pub final_demand: f64,
}

/// A stage's output and the facts to record beside it.
pub struct Produced<O> {
    pub output: O,
    pub facts: Facts,
}

impl<O> Produced<O> {
    /// An output with no facts.
    pub fn plain(output: O) -> Self {
        Produced {
            output,
            facts: Facts::default(),
        }
    }
}

fn ferr(path: &Path, e: impl std::fmt::Display) -> FrameError {
    FrameError {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes a value as `data.json`.
pub(crate) fn save_json<T: Serialize>(dir: &Path, value: &T) -> Result<(), FrameError> {
    let path = dir.join("data.json");
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| ferr(&path, e))?;
    std::fs::write(&path, bytes).map_err(|e| ferr(&path, e))
}

/// Reads `data.json`.
pub(crate) fn load_json<T: DeserializeOwned>(dir: &Path) -> Result<T, FrameError> {
    let path = dir.join("data.json");
    let bytes = std::fs::read(&path).map_err(|e| ferr(&path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| ferr(&path, e))
}

impl Artifact for IoTable {
    fn save(&self, dir: &Path) -> Result<(), FrameError> {
        frames::write_table(dir, self)
    }
    fn load(dir: &Path) -> Result<Self, FrameError> {
        frames::read_table(dir)
    }
}

/// The file of a [`Inverse`] in its artifact folder.
pub const INVERSE_FILE: &str = "b.f64";

/// A Leontief inverse B = (I − A)⁻¹ (`b.f64`, a raw matrix file: [`super::matrix_file`]),
/// column-major as the Leontief core keeps it.
pub struct Inverse(pub std::sync::Arc<Array2<f64>>);

impl Artifact for Inverse {
    fn save(&self, dir: &Path) -> Result<(), FrameError> {
        Ok(matrix_file::write(&dir.join(INVERSE_FILE), &self.0)?)
    }
    fn load(dir: &Path) -> Result<Self, FrameError> {
        Ok(Inverse(std::sync::Arc::new(matrix_file::read(
            &dir.join(INVERSE_FILE),
        )?)))
    }
}

/// A long frame (`frame.parquet`): decomposition measures (country, sector, partner, year,
/// measure, value) or covariate rows (kind, key, country, partner, year, value, codes).
pub struct LongFrame(pub DataFrame);

impl Artifact for LongFrame {
    fn save(&self, dir: &Path) -> Result<(), FrameError> {
        frames::write_parquet(&dir.join("frame.parquet"), &mut self.0.clone())
    }
    fn load(dir: &Path) -> Result<Self, FrameError> {
        frames::read_parquet(&dir.join("frame.parquet")).map(LongFrame)
    }
}

/// The estimation panel (`frame.parquet`: country, year, one column per variable) with its
/// missing-data summary, descriptives and notes (`data.json`).
pub struct PanelOutput {
    pub frame: DataFrame,
    pub summary: PanelSummary,
}

/// What the panel stage reports beside the panel itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelSummary {
    pub missing: Vec<MissingSummary>,
    pub descriptives: Vec<Descriptives>,
    pub notes: Vec<Note>,
    /// Sample countries that no input-output table of the study has (their decomposition
    /// measures are missing).
    #[serde(default)]
    pub absent_countries: Vec<String>,
}

impl Artifact for PanelOutput {
    fn save(&self, dir: &Path) -> Result<(), FrameError> {
        save_json(dir, &self.summary)?;
        frames::write_parquet(&dir.join("frame.parquet"), &mut self.frame.clone())
    }
    fn load(dir: &Path) -> Result<Self, FrameError> {
        Ok(PanelOutput {
            summary: load_json(dir)?,
            frame: frames::read_parquet(&dir.join("frame.parquet"))?,
        })
    }
}

impl Artifact for EstimationResult {
    fn save(&self, dir: &Path) -> Result<(), FrameError> {
        save_json(dir, self)
    }
    fn load(dir: &Path) -> Result<Self, FrameError> {
        load_json(dir)
    }
}

/// The three Stata variants of one Hausman test (`hausman`, `…, sigmamore`, `…, sigmaless`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HausmanSet {
    pub default: HausmanResult,
    pub sigmamore: HausmanResult,
    pub sigmaless: HausmanResult,
}

impl Artifact for HausmanSet {
    fn save(&self, dir: &Path) -> Result<(), FrameError> {
        save_json(dir, self)
    }
    fn load(dir: &Path) -> Result<Self, FrameError> {
        load_json(dir)
    }
}

/// The rendered report: relative path → file text, and the context it was rendered from
/// (what `gvc report --context` prints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportOutput {
    pub files: BTreeMap<String, String>,
    pub input: ReportInput,
}

impl Artifact for ReportOutput {
    fn save(&self, dir: &Path) -> Result<(), FrameError> {
        save_json(dir, self)
    }
    fn load(dir: &Path) -> Result<Self, FrameError> {
        load_json(dir)
    }
}
