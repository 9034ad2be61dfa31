//! The study spec: types, loading (`extends`, `--set`), located diagnostics and validation.

pub mod diag;
pub mod executor;
pub mod load;
pub mod multiverse;
pub mod names;
pub mod node;
pub mod types;
pub mod validate;

pub use diag::{Diagnostic, Diagnostics, Loc};
pub use load::load_spec;
pub use types::*;
