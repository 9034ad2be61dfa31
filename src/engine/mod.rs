//! The staged engine (DESIGN.md §3): typed stages whose key is what they read ([`stage`],
//! [`stages`]), the flat plan of a spec ([`plan`]), the content-addressed cache ([`cache`]),
//! the executor and the one-stage worker ([`exec`]), and the run that publishes
//! `output/<spec>/` ([`run`], [`outputs`], [`publish`]).

pub mod artifact;
pub mod atomic;
pub mod cache;
pub mod claim;
pub mod csv_out;
pub mod exec;
pub mod executor;
pub mod frames;
pub mod hashing;
pub mod key;
pub mod matrix_file;
pub mod measure;
pub mod multiverse;
pub mod outputs;
pub mod plan;
pub mod publish;
pub mod run;
pub mod slurm;
pub mod stage;
pub mod stages;
pub mod status;
pub mod wwz_files;

use std::path::PathBuf;

use key::Key;

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
    Source(#[from] crate::sources::SourceError),
    #[error(transparent)]
    Leontief(#[from] crate::iot::LeontiefError),
    #[error(transparent)]
    Identity(#[from] crate::iot::IdentityError),
    #[error("sector groups merged before the decomposition (`aggregate = \"before\"`): {0}")]
    SectorMerge(#[from] crate::iot::SectorMergeError),
    #[error(transparent)]
    Decompose(#[from] crate::decompose::DecomposeError),
    #[error(transparent)]
    Panel(#[from] crate::panel::PanelError),
    #[error(transparent)]
    Estimate(#[from] crate::estimate::EstimateError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    #[error(transparent)]
    Wwz(#[from] wwz_files::WwzFileError),
    #[error(transparent)]
    Frame(#[from] frames::FrameError),
    #[error("data frame: {0}")]
    Polars(#[from] polars::error::PolarsError),
    #[error(transparent)]
    Cache(#[from] cache::CacheError),
    #[error(transparent)]
    Input(#[from] hashing::HashError),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    CsvOut(#[from] csv_out::CsvOutError),
    #[error(transparent)]
    Spec(#[from] crate::spec::Diagnostics),
    #[error("reader options of `{format}`: {source}")]
    Options {
        format: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "the {kind} artifact {key} that this stage reads is {}; run the stage that makes it first \
         (`gvc run SPEC`, or `gvc stage run {key}`)",
        damaged.as_deref().map_or("not in the cache".to_string(), |w| format!("damaged ({w})"))
    )]
    MissingUpstream {
        kind: &'static str,
        key: Key,
        damaged: Option<String>,
    },
    #[error("the {kind} artifact {key} holds another type of output than its kind makes")]
    WrongArtifact { kind: &'static str, key: Key },
    #[error("the {kind} stage {key} stored nothing")]
    NothingStored { kind: &'static str, key: Key },
    #[error(
        "the cache holds no plan entry for {key}; write the plan first (`gvc plan SPEC --write \
         --cache DIR`, or `gvc run SPEC`)"
    )]
    NotPlanned { key: Key },
    #[error(
        "the plan entry plans/{key}.json is unusable: {message} (fix: write the plan again, \
         `gvc plan SPEC --write --cache DIR`)"
    )]
    BadPlanEntry { key: Key, message: String },
    #[error(
        "the template folder {} changed while gvc was running (templates added or removed); run \
         the command again",
        dir.display()
    )]
    TemplatesChanged { dir: PathBuf },
    #[error("cannot start worker threads: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
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

/// An error and its sources, joined with ": " (without repeating identical text).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        cur = s.source();
    }
    msg
}
