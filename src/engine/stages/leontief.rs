//! `leontief`: the Leontief inverse B = (I − A)⁻¹ of one year's table (LU by faer), with the
//! core accounting identities I1–I4 of reference/decomposition.md §10 checked and recorded.

use serde::{Deserialize, Serialize};

use super::io_tables::IoTables;
use crate::engine::artifact::{Facts, Inverse, Produced};
use crate::engine::key::Key;
use crate::engine::stage::{Dep, RunContext, Stage};
use crate::engine::stages::StageKind;
use crate::engine::StageError;
use crate::iot::{check_core_identities, IdentityOptions, InverseCheck, Leontief};

/// Parameters of one year's inverse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeontiefInverse {
    pub table: Dep<IoTables>,
    /// Whether gross output x was read from the table (then I1 is a fact about the data and
    /// I4 accounts for the table's discrepancy) rather than generated.
    pub output_read: bool,
    /// How (I − A)B = I is checked (`[decomposition] checks`): the identity record differs.
    pub checks: InverseCheck,
}

impl Stage for LeontiefInverse {
    const KIND: StageKind = StageKind::Leontief;
    const VERSION: u32 = 5;
    type Output = Inverse;

    fn deps(&self) -> Vec<(String, Key)> {
        vec![self.table.named("table")]
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<Produced<Inverse>, StageError> {
        let table = ctx.get(&self.table)?;
        let leontief = Leontief::new(&table)?;
        let opts = IdentityOptions {
            output_read: self.output_read,
            inverse_check: self.checks,
            ..IdentityOptions::default()
        };
        let identities = check_core_identities(&table, &leontief, &opts)?;
        Ok(Produced {
            output: Inverse(leontief.b),
            facts: Facts {
                identities,
                ..Facts::default()
            },
        })
    }
}
