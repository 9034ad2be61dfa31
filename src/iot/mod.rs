//! The canonical input-output table and the Leontief core.

pub mod dense;
pub mod groups;
pub mod identities;
pub mod leontief;
pub mod sector_merge;
pub mod table;

pub use identities::{
    check_core_identities, IdentityError, IdentityOptions, IdentityResidual, InverseCheck,
};
pub use leontief::{CountryBlocks, Leontief, LeontiefError};
pub use sector_merge::SectorMergeError;
pub use table::{EntryLabel, IoTable, TableError};
