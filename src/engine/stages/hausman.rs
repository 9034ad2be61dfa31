//! `hausman`: the Hausman test of FE against RE for one control step of a model, in Stata's
//! three variants (`hausman fe re`, `…, sigmamore`, `…, sigmaless`), over the common slopes.

use serde::{Deserialize, Serialize};

use super::estimate::EstimateStage;
use crate::engine::artifact::{HausmanSet, Produced};
use crate::engine::key::Key;
use crate::engine::stage::{Dep, RunContext, Stage};
use crate::engine::stages::StageKind;
use crate::engine::StageError;
use crate::estimate::{hausman, HausmanVariant};

/// Parameters of one test: the consistent (FE) and the efficient (RE) fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HausmanStage {
    pub fe: Dep<EstimateStage>,
    pub re: Dep<EstimateStage>,
}

impl Stage for HausmanStage {
    const KIND: StageKind = StageKind::Hausman;
    const VERSION: u32 = 2;
    type Output = HausmanSet;

    fn deps(&self) -> Vec<(String, Key)> {
        vec![self.fe.named("fe"), self.re.named("re")]
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<Produced<HausmanSet>, StageError> {
        let fe = ctx.get(&self.fe)?;
        let re = ctx.get(&self.re)?;
        Ok(Produced::plain(HausmanSet {
            default: hausman(&fe, &re, HausmanVariant::Default)?,
            sigmamore: hausman(&fe, &re, HausmanVariant::SigmaMore)?,
            sigmaless: hausman(&fe, &re, HausmanVariant::SigmaLess)?,
        }))
    }
}
