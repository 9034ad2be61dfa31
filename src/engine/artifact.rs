//! What a stage produces, and how each kind is written to and read from its cache folder.

use std::path::Path;

use polars::prelude::DataFrame;

use super::frames::{self, FrameError};
use crate::iot::IoTable;

/// The kinds of artifact, which decide the files in the cache folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    /// An input-output table (`entries`, `dims`, `z`, `y` Parquet files).
    Table,
    /// A Leontief inverse B (`b.parquet`).
    Inverse,
    /// A frame (`frame.parquet`).
    Frame,
    /// A JSON document (`data.json`) plus a frame view of it (`frame.parquet`).
    Document,
}

/// An artifact in memory.
pub enum Artifact {
    Table(IoTable),
    Inverse(faer::Mat<f64>),
    Frame(DataFrame),
    Document {
        json: serde_json::Value,
        frame: DataFrame,
    },
}

/// A stage's output and the facts to record beside it.
pub struct Produced {
    pub artifact: Artifact,
    pub extra: serde_json::Value,
}

impl Artifact {
    pub fn kind(&self) -> ArtifactKind {
        match self {
            Artifact::Table(_) => ArtifactKind::Table,
            Artifact::Inverse(_) => ArtifactKind::Inverse,
            Artifact::Frame(_) => ArtifactKind::Frame,
            Artifact::Document { .. } => ArtifactKind::Document,
        }
    }

    /// Writes the artifact's files into `dir` (a fresh temp folder of the cache).
    pub fn save(&self, dir: &Path) -> Result<(), FrameError> {
        match self {
            Artifact::Table(t) => frames::write_table(dir, t),
            Artifact::Inverse(b) => frames::write_matrix(&dir.join("b.parquet"), b),
            Artifact::Frame(df) => {
                frames::write_parquet(&dir.join("frame.parquet"), &mut df.clone())
            }
            Artifact::Document { json, frame } => {
                let path = dir.join("data.json");
                let bytes = serde_json::to_vec_pretty(json).map_err(|e| FrameError {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                std::fs::write(&path, bytes).map_err(|e| FrameError {
                    path,
                    message: e.to_string(),
                })?;
                frames::write_parquet(&dir.join("frame.parquet"), &mut frame.clone())
            }
        }
    }

    /// Reads an artifact of `kind` from its cache folder.
    pub fn load(kind: ArtifactKind, dir: &Path) -> Result<Artifact, FrameError> {
        Ok(match kind {
            ArtifactKind::Table => Artifact::Table(frames::read_table(dir)?),
            ArtifactKind::Inverse => {
                Artifact::Inverse(frames::read_matrix(&dir.join("b.parquet"))?)
            }
            ArtifactKind::Frame => {
                Artifact::Frame(frames::read_parquet(&dir.join("frame.parquet"))?)
            }
            ArtifactKind::Document => {
                let path = dir.join("data.json");
                let json = std::fs::read(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
                    .map_err(|message| FrameError { path, message })?;
                Artifact::Document {
                    json,
                    frame: frames::read_parquet(&dir.join("frame.parquet"))?,
                }
            }
        })
    }

    pub fn as_table(&self) -> Option<&IoTable> {
        match self {
            Artifact::Table(t) => Some(t),
            _ => None,
        }
    }

    pub fn as_inverse(&self) -> Option<&faer::Mat<f64>> {
        match self {
            Artifact::Inverse(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_frame(&self) -> Option<&DataFrame> {
        match self {
            Artifact::Frame(df) | Artifact::Document { frame: df, .. } => Some(df),
            _ => None,
        }
    }

    pub fn as_json(&self) -> Option<&serde_json::Value> {
        match self {
            Artifact::Document { json, .. } => Some(json),
            _ => None,
        }
    }
}
