//! `multiverse`: every regression the universes of a `[multiverse]` need on one panel, fitted
//! in one stage instance (and, with `inference`, refitted under the null for the joint test).
//!
//! Why one instance per panel and not one per universe: a demo-sized multiverse has
//! thousands of universes but only tens of distinct panels (the axes that change a panel —
//! years, countries, decomposition — are few; controls, estimators and VCEs multiply the
//! fits on each). One stage per fit would put thousands of instances into the plan, the
//! cache and the executor's schedule, each costing a cache folder, a key, a plan entry and a
//! load of its panel — more than the fit itself on a 100-row panel. One stage per panel
//! keeps the plan at "tens of instances", loads each panel once, shares the designs between
//! the fit and its null refits, is the unit a faster fit path (shared cross-products per
//! sample) works on, and still re-runs only the panels whose inputs changed. Identical fits
//! asked for by several universes are fitted once (the parameters list each fit once).

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::estimate::panel_data_from_frame;
use super::panel::PanelStage;
use crate::engine::artifact::{load_json, save_json, Artifact, Produced};
use crate::engine::frames::FrameError;
use crate::engine::key::Key;
use crate::engine::matrix_file;
use crate::engine::stage::{Dep, RunContext, Stage};
use crate::engine::stages::StageKind;
use crate::engine::StageError;
use crate::multiverse::{fit_universes, FitOutcome, FitRequest, NullDraws};
use crate::spec::multiverse::Inference;

/// Parameters: the panel, each distinct regression its universes need, and the joint
/// test's draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiverseStage {
    pub panel: Dep<PanelStage>,
    pub fits: Vec<FitRequest>,
    pub inference: Option<Inference>,
}

/// The fits (`data.json`, in the order of the parameters) and the null draws
/// (`null_estimate.f64`, `null_significant.f64`, `null_z.f64`: draws × (fit, key regressor)).
#[derive(Debug, Clone, PartialEq)]
pub struct MultiverseFits {
    pub outcomes: Vec<FitOutcome>,
    pub null: Option<NullDraws>,
}

const NULL_ESTIMATE: &str = "null_estimate.f64";
const NULL_SIGNIFICANT: &str = "null_significant.f64";
const NULL_Z: &str = "null_z.f64";

impl Artifact for MultiverseFits {
    fn save(&self, dir: &std::path::Path) -> Result<(), FrameError> {
        save_json(dir, &self.outcomes)?;
        if let Some(n) = &self.null {
            matrix_file::write(&dir.join(NULL_ESTIMATE), &n.estimate)?;
            matrix_file::write(&dir.join(NULL_SIGNIFICANT), &n.significant)?;
            matrix_file::write(&dir.join(NULL_Z), &n.z)?;
        }
        Ok(())
    }

    fn load(dir: &std::path::Path) -> Result<Self, FrameError> {
        let null = if dir.join(NULL_ESTIMATE).exists() {
            let estimate: Array2<f64> = matrix_file::read(&dir.join(NULL_ESTIMATE))?;
            let significant: Array2<f64> = matrix_file::read(&dir.join(NULL_SIGNIFICANT))?;
            let z: Array2<f64> = matrix_file::read(&dir.join(NULL_Z))?;
            Some(NullDraws {
                estimate,
                significant,
                z,
            })
        } else {
            None
        };
        Ok(MultiverseFits {
            outcomes: load_json(dir)?,
            null,
        })
    }
}

impl Stage for MultiverseStage {
    const KIND: StageKind = StageKind::Multiverse;
    /// 2: the fast path (same numbers to rounding) and the null draws' Z scores.
    const VERSION: u32 = 2;
    type Output = MultiverseFits;

    fn deps(&self) -> Vec<(String, Key)> {
        vec![self.panel.named("panel")]
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<Produced<MultiverseFits>, StageError> {
        let panel = ctx.get(&self.panel)?;
        let data = panel_data_from_frame(&panel.frame)?;
        let (outcomes, null) = fit_universes(&data, &self.fits, self.inference);
        Ok(Produced::plain(MultiverseFits { outcomes, null }))
    }
}

impl MultiverseStage {
    /// The column of the null draws of fit `fit` and key regressor `key`, if it has one.
    pub fn null_column(&self, fit: usize, key: &str) -> Option<usize> {
        let before: usize = self.fits[..fit].iter().map(|f| f.keys.len()).sum();
        self.fits[fit]
            .keys
            .iter()
            .position(|k| k == key)
            .map(|p| before + p)
    }
}
