//! The multiverse part of the report stage: its parameters (which fit is which universe's
//! model, the dot matrix's rows, the curve's style) and the report input built from the
//! multiverse stages' outputs — the curves and their summaries with the joint test. The
//! style is a parameter of the report only, so changing it re-renders the report and runs no
//! fit.

use serde::{Deserialize, Serialize};

use super::MultiverseLayout;
use crate::engine::key::Key;
use crate::engine::stage::{Dep, RunContext};
use crate::engine::stages::multiverse::MultiverseStage;
use crate::engine::StageError;
use crate::multiverse::summary::NullPoint;
use crate::multiverse::{summarise, CurvePoint};
use crate::report::input::{CurveInput, MatrixAxis, MultiverseInput};
use crate::spec::multiverse::{AxisKind, Intervals, Multiverse};
use crate::spec::Spec;

/// What the report reads of the multiverse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiverseParams {
    pub stages: Vec<Dep<MultiverseStage>>,
    /// Per stage, per fit: its key regressors (the order of its null-draw columns).
    pub fit_keys: Vec<Vec<Vec<String>>>,
    /// Per universe: its alternative per axis.
    pub choices: Vec<Vec<usize>>,
    /// Per universe, per model: (stage, fit).
    pub fits: Vec<Vec<Option<(usize, usize)>>>,
    /// Per model: name, title, key regressors.
    pub models: Vec<(String, String, Vec<String>)>,
    pub axes: Vec<MatrixAxis>,
    pub baseline: usize,
    pub intervals: Intervals,
}

/// The report's multiverse parameters.
pub fn params(spec: &Spec, mv: &Multiverse, layout: &MultiverseLayout) -> MultiverseParams {
    let axes = mv
        .axes
        .iter()
        .map(|a| MatrixAxis {
            name: a.name.clone(),
            rows: match &a.kind {
                AxisKind::ControlSubsets { controls, subsets } => controls
                    .iter()
                    .enumerate()
                    .map(|(c, name)| {
                        let label = spec
                            .variables
                            .get(name)
                            .map_or_else(|| name.clone(), |v| v.label.clone());
                        let marked = (0..subsets.len())
                            .filter(|&s| subsets[s].contains(&c))
                            .collect();
                        (label, marked)
                    })
                    .collect(),
                _ => a
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (l.clone(), vec![i]))
                    .collect(),
            },
        })
        .collect();
    MultiverseParams {
        stages: layout.stages.iter().map(Dep::on).collect(),
        fit_keys: layout
            .stages
            .iter()
            .map(|s| s.fits.iter().map(|f| f.keys.clone()).collect())
            .collect(),
        choices: layout.universes.iter().map(|u| u.choice.clone()).collect(),
        fits: layout.universes.iter().map(|u| u.fits.clone()).collect(),
        models: layout
            .models
            .iter()
            .map(|(name, keys)| {
                let title = spec
                    .models
                    .iter()
                    .find(|m| &m.name.value == name)
                    .and_then(|m| m.title.clone())
                    .unwrap_or_else(|| name.clone());
                (name.clone(), title, keys.clone())
            })
            .collect(),
        axes,
        baseline: layout.baseline,
        intervals: mv.intervals,
    }
}

impl MultiverseParams {
    /// The multiverse stages the report reads.
    pub fn deps(&self) -> Vec<(String, Key)> {
        self.stages
            .iter()
            .enumerate()
            .map(|(i, d)| d.named(format!("multiverse {i}")))
            .collect()
    }

    /// The report's multiverse section from the stages' outputs.
    pub fn input(&self, ctx: &RunContext<'_>) -> Result<MultiverseInput, StageError> {
        let outputs = self
            .stages
            .iter()
            .map(|d| ctx.get(d))
            .collect::<Result<Vec<_>, _>>()?;
        let offsets: Vec<Vec<usize>> = self
            .fit_keys
            .iter()
            .map(|fits| {
                let mut at = 0;
                fits.iter()
                    .map(|k| {
                        let o = at;
                        at += k.len();
                        o
                    })
                    .collect()
            })
            .collect();
        let draws = outputs
            .iter()
            .find_map(|o| o.null.as_ref().map(|n| n.estimate.nrows()));
        let mut curves = Vec::new();
        for (mi, (model, title, keys)) in self.models.iter().enumerate() {
            for key in keys {
                let mut points = Vec::with_capacity(self.fits.len());
                let mut columns = Vec::with_capacity(self.fits.len());
                for u in &self.fits {
                    let fit = u.get(mi).copied().flatten();
                    let point = fit.and_then(|(s, f)| {
                        let c = outputs[s].outcomes[f]
                            .coefficients
                            .iter()
                            .find(|c| &c.name == key)?;
                        Some([c.estimate, c.ci_low, c.ci_high, c.p_value])
                    });
                    points.push(point);
                    columns.push(fit.and_then(|(s, f)| {
                        let k = self.fit_keys[s][f].iter().position(|k| k == key)?;
                        Some((s, offsets[s][f] + k))
                    }));
                }
                let null: Option<Vec<Vec<NullPoint>>> = draws.map(|n| {
                    (0..n)
                        .map(|d| {
                            columns
                                .iter()
                                .map(|c| {
                                    match c.and_then(|(s, col)| {
                                        outputs[s].null.as_ref().map(|x| (x, col))
                                    }) {
                                        Some((x, col)) => NullPoint {
                                            estimate: x.estimate[(d, col)],
                                            significant: x.significant[(d, col)],
                                            z: x.z[(d, col)],
                                        },
                                        None => NullPoint {
                                            estimate: f64::NAN,
                                            significant: 0.0,
                                            z: f64::NAN,
                                        },
                                    }
                                })
                                .collect()
                        })
                        .collect()
                });
                let curve: Vec<Option<CurvePoint>> = points
                    .iter()
                    .map(|p| {
                        p.map(|v| CurvePoint {
                            estimate: v[0],
                            p_value: v[3],
                        })
                    })
                    .collect();
                let summary = summarise(&curve, null.as_deref());
                curves.push(CurveInput {
                    model: model.clone(),
                    model_title: title.clone(),
                    variable: key.clone(),
                    points,
                    summary,
                });
            }
        }
        Ok(MultiverseInput {
            n_universes: self.choices.len(),
            axes: self.axes.clone(),
            choices: self.choices.clone(),
            baseline: self.baseline,
            intervals: self.intervals,
            curves,
        })
    }
}
