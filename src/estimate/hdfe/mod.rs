//! High-dimensional fixed effects (Stata `reghdfe`, fixest/pyfixest `feols(y ~ x | f1 + f2)`,
//! `ppmlhdfe` / `fepois`): absorbed factors and their interactions, iterative singleton
//! dropping, demeaning by the method of alternating projections, and the degrees of freedom
//! the absorbed effects use up.
//!
//! Pure numerics on dense integer codes: no files, terminal or spec types. The pieces are
//! usable on their own (the IV estimators demean with [`demean`] too):
//!
//! - [`Factor`]: one absorbed factor (dense codes 0..levels), built from codes or as the
//!   interaction `a^b` of two factors ([`Factor::interact`]);
//! - [`drop_singletons`]: reghdfe's iterative rule (drop every observation alone in a level of
//!   any factor, repeat until none is left);
//! - [`demean`]: M_D x = x − D(D'WD)⁻D'Wx for every column x, by alternating projections
//!   (Gauss–Seidel sweeps over the factors) with Irons–Tuck acceleration;
//! - [`absorbed_dof`]: the levels, redundant levels (mobility groups) and nesting in the
//!   cluster variable of each factor, and the count they add to K.

pub mod demean;
pub mod dof;
pub mod factor;
pub mod fit;
pub mod ppml;

pub use demean::{demean, DemeanOptions, Demeaned};
pub use dof::{absorbed_dof, mobility_groups, AbsorbedDof, FactorDof};
pub use factor::{drop_singletons, Factor, SingletonDrop};
pub use fit::{build_absorb_design, fit_hdfe, AbsorbDesign, HdfeInfo, HdfeOptions};
