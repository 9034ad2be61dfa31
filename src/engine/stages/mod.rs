//! The stage table: one row per stage kind (its name and its parameter type, one file each
//! in this folder). From the table come [`StageKind`] (the kinds as a closed choice) and
//! [`AnyStage`] (any stage instance, serialisable as `{"kind": …, "params": …}` — what the
//! plan stores and a worker runs), with the dispatch every executor needs. Adding a stage
//! kind is one file plus one row.

pub mod covariates;
pub mod decompose;
pub mod estimate;
pub mod hausman;
pub mod io_tables;
pub mod leontief;
pub mod multiverse;
pub mod panel;
pub mod report;

use std::any::Any;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::artifact::{Artifact, Facts};
use super::frames::FrameError;
use super::key::Key;
use super::stage::{RunContext, Stage};
use super::StageError;

/// A type-erased stage output, as the executor passes it between stages.
pub type AnyOutput = Arc<dyn Any + Send + Sync>;

macro_rules! stage_table {
    ($( $variant:ident : $name:literal => $params:ty ),* $(,)?) => {
        /// The stage kinds, in pipeline order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum StageKind {
            $( $variant ),*
        }

        impl crate::choice::Choice for StageKind {
            const WHAT: &'static str = "stage kind";
            const ALL: &'static [Self] = &[$( StageKind::$variant ),*];
            fn name(self) -> &'static str {
                match self {
                    $( StageKind::$variant => $name ),*
                }
            }
        }

        /// Any stage instance: its kind and its parameters. (The report's parameters are the
        /// largest; a plan holds one per instance, so boxing them would save little.)
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", content = "params")]
        pub enum AnyStage {
            $( #[serde(rename = $name)] $variant($params) ),*
        }

        $(
            impl From<$params> for AnyStage {
                fn from(p: $params) -> AnyStage {
                    AnyStage::$variant(p)
                }
            }
        )*

        impl AnyStage {
            pub fn kind(&self) -> StageKind {
                match self {
                    $( AnyStage::$variant(_) => StageKind::$variant ),*
                }
            }

            pub fn version(&self) -> u32 {
                match self {
                    $( AnyStage::$variant(_) => <$params as Stage>::VERSION ),*
                }
            }

            /// The parameters as JSON (what the key is made of).
            pub fn params(&self) -> serde_json::Value {
                let v = match self {
                    $( AnyStage::$variant(p) => serde_json::to_value(p) ),*
                };
                v.unwrap_or(serde_json::Value::Null)
            }

            pub fn deps(&self) -> Vec<(String, Key)> {
                match self {
                    $( AnyStage::$variant(p) => p.deps() ),*
                }
            }

            /// Runs the stage and writes its output into the artifact folder `ctx.dir()`;
            /// returns the output (for later stages of the same run) and its facts.
            pub fn run_and_save(&self, ctx: &RunContext<'_>) -> Result<(AnyOutput, Facts), StageError> {
                match self {
                    $( AnyStage::$variant(p) => {
                        let produced = p.run(ctx)?;
                        produced.output.save(ctx.dir())?;
                        Ok((Arc::new(produced.output) as AnyOutput, produced.facts))
                    } ),*
                }
            }
        }

        impl StageKind {
            /// Reads a stored output of this kind from its artifact folder.
            pub fn load_output(self, dir: &Path) -> Result<AnyOutput, FrameError> {
                match self {
                    $( StageKind::$variant => {
                        let out = <<$params as Stage>::Output as Artifact>::load(dir)?;
                        Ok(Arc::new(out) as AnyOutput)
                    } ),*
                }
            }
        }
    };
}

stage_table! {
    IoTables: "io_tables" => io_tables::IoTables,
    Leontief: "leontief" => leontief::LeontiefInverse,
    Decompose: "decompose" => decompose::Decompose,
    Covariates: "covariates" => covariates::Covariates,
    Panel: "panel" => panel::PanelStage,
    Estimate: "estimate" => estimate::EstimateStage,
    Hausman: "hausman" => hausman::HausmanStage,
    Multiverse: "multiverse" => multiverse::MultiverseStage,
    Report: "report" => report::ReportStage,
}

crate::choice_serde!(StageKind);

impl StageKind {
    /// The kind's name (its cache folder, its tag in the plan).
    pub fn name(self) -> &'static str {
        crate::choice::Choice::name(self)
    }
}

impl AnyStage {
    /// The key of this instance: blake3 of its kind, version and canonical parameters.
    pub fn key(&self) -> Key {
        Key::of(self.kind().name(), self.version(), &self.params())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::choice::Choice;

    /// The key of a typed stage and of the same stage through the table agree, and a plan
    /// entry round-trips through its JSON form.
    #[test]
    fn keys_agree_through_the_table() {
        let h = hausman::HausmanStage {
            fe: crate::engine::stage::Dep::from_key(Key::of("estimate", 1, &serde_json::json!(1))),
            re: crate::engine::stage::Dep::from_key(Key::of("estimate", 1, &serde_json::json!(2))),
        };
        let any = AnyStage::from(h.clone());
        assert_eq!(any.key(), h.key());
        let json = serde_json::to_value(&any).unwrap();
        assert_eq!(json["kind"], "hausman");
        let back: AnyStage = serde_json::from_value(json).unwrap();
        assert_eq!(back, any);
        assert_eq!(StageKind::ALL.len(), 9);
    }
}
