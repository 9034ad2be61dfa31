//! gvc: a study runner for global-value-chain research.
//!
//! Layers (imports point one way): `cli → package → engine → {sources, io, decompose, panel, estimate,
//! report, diff} → spec` types. `decompose` and `estimate` are pure numerics.

pub mod bench;
pub mod choice;
pub mod cli;
pub mod decompose;
pub mod diff;
pub mod engine;
pub mod estimate;
pub mod iot;
pub mod multiverse;
pub mod package;
pub mod panel;
pub mod report;
pub mod rng;
pub mod sources;
pub mod spec;
