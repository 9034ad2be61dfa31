//! The staged engine (DESIGN.md §3): plan, keys, cache, executor, and the run that writes
//! `output/<spec>/`.

pub mod artifact;
pub mod cache;
pub mod compare;
pub mod exec;
pub mod frames;
pub mod key;
pub mod outputs;
pub mod report_stage;
pub mod run;
pub mod stages;
pub mod study;
pub mod wwz_files;

use crate::iot::{IdentityError, LeontiefError};
use crate::sources::SourceError;

/// A stage failure, with the stage instance it happened in.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("{stage} [{instance}]: {source}")]
    In {
        stage: String,
        instance: String,
        #[source]
        source: Box<StageError>,
    },
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Leontief(#[from] LeontiefError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Frame(#[from] frames::FrameError),
    #[error(transparent)]
    Cache(#[from] cache::CacheError),
    #[error("{0}")]
    Data(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl StageError {
    /// Adds the stage instance to an error (once).
    pub fn context(self, stage: &str, instance: &str) -> StageError {
        match self {
            e @ StageError::In { .. } => e,
            e => StageError::In {
                stage: stage.to_string(),
                instance: instance.to_string(),
                source: Box::new(e),
            },
        }
    }
}
