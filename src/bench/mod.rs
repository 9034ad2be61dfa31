//! `gvc bench`: timings measured in one run and reported as ratios — the Leontief inverse and
//! the decompositions against one dense matmul ([`decompose`]), and FE regressions per second
//! on one thread and on all cores ([`regressions`]), and the cost of keying inputs by content
//! ([`hashing`]), and the subset fast path of the multiverse against the standard path
//! ([`multiverse`]).

pub mod decompose;
pub mod hashing;
pub mod multiverse;
pub mod regressions;

pub use regressions::{bench_design, bench_fe_regressions, BenchReport};
