//! The multiverse in the plan: each universe's spec (the base spec with its overrides) is
//! planned like a robustness variant — tables, inverses, decompositions, covariates and its
//! panel, all deduplicated by key, so universes that differ only in controls, estimator or
//! VCE share one panel and universes that differ only in the sample share every table — and
//! its models' regressions are gathered into one [`MultiverseStage`] per panel (why per
//! panel: see that stage's documentation). [`MultiverseLayout`] says which fit of which stage
//! is which universe's model, for the outputs ([`outputs`]) and the report.

pub mod outputs;
pub mod report;

use std::collections::{BTreeSet, HashMap};

use super::hashing::FileHasher;
use super::key::Key;
use super::plan::{plan_panel, Layout, Plan};
use super::stage::Dep;
use super::stages::estimate;
use super::stages::multiverse::MultiverseStage;
use crate::multiverse::FitRequest;
use crate::spec::multiverse::{AxisKind, ModelChoice, Multiverse};
use crate::spec::{At, ControlsMode, Diagnostics, Model, Spec};

/// Which universe is which, and the stages that fit them.
#[derive(Debug, Clone)]
pub struct MultiverseLayout {
    /// Axis names and the labels of their alternatives.
    pub axes: Vec<(String, Vec<String>)>,
    /// The base spec's models: name and key regressors.
    pub models: Vec<(String, Vec<String>)>,
    /// Every universe: its alternative per axis and, per model, the fit that estimates it
    /// (`None` when its spec failed to plan).
    pub universes: Vec<Universe>,
    /// The universe whose every axis takes the base spec's value (the first alternative where
    /// the base spec has none of them).
    pub baseline: usize,
    /// One stage per distinct panel.
    pub stages: Vec<MultiverseStage>,
    /// The stage instances the universes would need as separate specs (each its own tables,
    /// inverses, decompositions, covariates, panel and one regression per model).
    pub separate_instances: usize,
    /// Combinations of the axes before exclusions.
    pub combinations: usize,
}

/// One universe of the layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Universe {
    pub name: String,
    pub choice: Vec<usize>,
    /// Per model of [`MultiverseLayout::models`]: (stage, fit) indices.
    pub fits: Vec<Option<(usize, usize)>>,
}

impl MultiverseLayout {
    /// Every fit the universes ask for, counting a fit shared by universes once per universe.
    pub fn fits_asked(&self) -> usize {
        self.universes
            .iter()
            .map(|u| u.fits.iter().flatten().count())
            .sum()
    }

    /// Distinct fits (what the stages run).
    pub fn fits_distinct(&self) -> usize {
        self.stages.iter().map(|s| s.fits.len()).sum()
    }
}

/// What `gvc check` says of a multiverse: universes, fits and the stage instances the plan
/// needs against the universes as separate specs.
pub fn check_summary(mv: &MultiverseLayout, plan_instances: usize) -> String {
    let excluded = mv.combinations - mv.universes.len();
    format!(
        "multiverse: {} universes ({} combinations of {} axes, {excluded} excluded); {} fits \
         ({} distinct) in {} multiverse stage instances; the whole plan needs {plan_instances} \
         distinct stage instances, against {} for the universes as separate specs",
        mv.universes.len(),
        mv.combinations,
        mv.axes.len(),
        mv.fits_asked(),
        mv.fits_distinct(),
        mv.stages.len(),
        mv.separate_instances,
    )
}

/// Plans every universe; problems go to `d` (a universe whose spec is invalid names the
/// overriding axis value's place).
pub fn plan(
    spec: &Spec,
    mv: &Multiverse,
    plan: &mut Plan,
    hasher: &FileHasher,
    d: &mut Diagnostics,
) -> Option<MultiverseLayout> {
    let universes = mv.universes();
    let models: Vec<(String, Vec<String>)> = spec
        .models
        .iter()
        .map(|m| {
            let keys = m.regressors.iter().map(|r| r.value.clone()).collect();
            (m.name.value.clone(), keys)
        })
        .collect();
    let mut specs: HashMap<Vec<usize>, Option<(Spec, Key, String)>> = HashMap::new();
    let mut stage_of: HashMap<Key, usize> = HashMap::new();
    let mut stages: Vec<(String, MultiverseStage, HashMap<FitRequest, usize>)> = Vec::new();
    let mut out = Vec::with_capacity(universes.len());
    let mut scratch = Layout::default();
    for choice in &universes {
        let part = mv.spec_part(choice);
        if !specs.contains_key(&part) {
            let label = spec_part_label(mv, choice);
            let entry = match crate::spec::load::with_overrides(spec, &mv.overrides(choice)) {
                Ok(u) => plan_panel(&u, Some(&label), plan, &mut scratch, hasher, d).map(|p| {
                    let key = plan.add(label.clone(), p);
                    (u, key, label)
                }),
                Err(e) => {
                    d.extend(e);
                    None
                }
            };
            specs.insert(part.clone(), entry);
        }
        let mut fits = vec![None; models.len()];
        if let Some(Some((uspec, panel_key, label))) = specs.get(&part) {
            let mc = mv.model_choice(choice);
            let s = *stage_of.entry(panel_key.clone()).or_insert_with(|| {
                stages.push((
                    label.clone(),
                    MultiverseStage {
                        panel: Dep::from_key(panel_key.clone()),
                        fits: Vec::new(),
                        inference: mv.inference,
                    },
                    HashMap::new(),
                ));
                stages.len() - 1
            });
            for (slot, (name, _)) in fits.iter_mut().zip(&models) {
                let Some(m) = uspec.models.iter().find(|m| &m.name.value == name) else {
                    continue;
                };
                let request = fit_request(&apply_choice(m, &mc), panel_key);
                let (_, stage, index) = &mut stages[s];
                let f = *index.entry(request.clone()).or_insert_with(|| {
                    stage.fits.push(request);
                    stage.fits.len() - 1
                });
                *slot = Some((s, f));
            }
        }
        out.push(Universe {
            name: mv.name(choice),
            choice: choice.clone(),
            fits,
        });
    }
    if !d.is_empty() {
        return None;
    }
    let mut planned = Vec::with_capacity(stages.len());
    for (label, stage, _) in stages {
        plan.add(label, stage.clone());
        planned.push(stage);
    }
    let separate_instances = separate_instances(plan, &out, &planned);
    Some(MultiverseLayout {
        axes: mv
            .axes
            .iter()
            .map(|a| (a.name.clone(), a.labels.clone()))
            .collect(),
        baseline: baseline(spec, mv, &out),
        models,
        universes: out,
        stages: planned,
        separate_instances,
        combinations: mv.product(),
    })
}

/// `axis=label` of the axes that decide a universe's spec (its panel's instance name).
fn spec_part_label(mv: &Multiverse, choice: &[usize]) -> String {
    let parts: Vec<String> = mv
        .axes
        .iter()
        .zip(choice)
        .filter(|(a, _)| matches!(a.kind, AxisKind::Keys(_)))
        .map(|(a, &i)| format!("{}={}", a.name, a.labels[i]))
        .collect();
    if parts.is_empty() {
        "multiverse".into()
    } else {
        parts.join("; ")
    }
}

/// A model as a universe fits it: the universe's controls, estimator and VCE; all its
/// controls in one column; no Hausman test (the same as the `--set` overrides of
/// [`Multiverse::set_args`]).
pub fn apply_choice(m: &Model, mc: &ModelChoice) -> Model {
    let mut m = m.clone();
    m.controls_mode = At::new(ControlsMode::All, m.controls_mode.loc.clone());
    m.hausman = false;
    if let Some(keep) = &mc.controls {
        m.controls.retain(|c| keep.contains(&c.value));
    }
    if let Some(e) = mc.estimator {
        let loc = m.loc.clone();
        m.estimators = vec![At::new(e, loc)];
    }
    if let Some(v) = mc.vce {
        m.vce = At::new(v, m.vce.loc.clone());
    }
    m
}

/// The regression of a model's (single) column on a panel, as the estimate stage would run
/// it.
fn fit_request(m: &Model, panel: &Key) -> FitRequest {
    let column = estimate::model_columns(m)
        .into_iter()
        .next()
        .expect("a model has at least one estimator");
    let panel_params: Dep<super::stages::panel::PanelStage> = Dep::from_key(panel.clone());
    let e = estimate::plan_on(m, &column, panel_params);
    FitRequest {
        dependent: e.dependent,
        regressors: e.regressors,
        cluster: e.cluster,
        estimator: e.estimator,
        vce: e.vce,
        keys: m.regressors.iter().map(|r| r.value.clone()).collect(),
    }
}

/// The universe matching the base spec on every axis it can (else the first alternative).
fn baseline(spec: &Spec, mv: &Multiverse, universes: &[Universe]) -> usize {
    let first_model = spec.models.first();
    let want: Vec<usize> = mv
        .axes
        .iter()
        .map(|a| match &a.kind {
            AxisKind::Keys(keys) => (0..a.labels.len())
                .find(|&i| {
                    keys.iter().all(|k| {
                        node_at(&spec.root, &k.path).map(|n| n.to_json())
                            == Some(k.values[i].to_json())
                    })
                })
                .unwrap_or(0),
            AxisKind::ControlSubsets { subsets, .. } => subsets.len() - 1,
            AxisKind::Estimators(e) => first_model
                .and_then(|m| m.estimators.first())
                .and_then(|x| e.iter().position(|y| *y == x.value))
                .unwrap_or(0),
            AxisKind::Vce(v) => first_model
                .and_then(|m| v.iter().position(|y| *y == m.vce.value))
                .unwrap_or(0),
        })
        .collect();
    universes.iter().position(|u| u.choice == want).unwrap_or(0)
}

fn node_at<'a>(
    root: &'a crate::spec::node::Node,
    path: &[String],
) -> Option<&'a crate::spec::node::Node> {
    let mut cur = root;
    for seg in path {
        cur = match &cur.value {
            crate::spec::node::Value::Table(t) => t.get(seg)?,
            crate::spec::node::Value::Array(items) => items.iter().find(|i| {
                i.table()
                    .and_then(|t| t.get("name"))
                    .and_then(|n| n.as_str())
                    == Some(seg.as_str())
            })?,
            _ => return None,
        };
    }
    Some(cur)
}

/// How many stage instances the universes need as separate specs: for each universe, its
/// panel and every instance upstream of it, plus one regression per model.
fn separate_instances(plan: &Plan, universes: &[Universe], stages: &[MultiverseStage]) -> usize {
    let mut upstream: HashMap<Key, usize> = HashMap::new();
    let mut total = 0;
    for u in universes {
        let Some((s, _)) = u.fits.iter().flatten().next() else {
            continue;
        };
        let panel = &stages[*s].panel.key;
        let n = *upstream.entry(panel.clone()).or_insert_with(|| {
            let mut seen: BTreeSet<Key> = BTreeSet::new();
            let mut todo = vec![panel.clone()];
            while let Some(k) = todo.pop() {
                if seen.insert(k.clone()) {
                    if let Some(i) = plan.get(&k) {
                        todo.extend(i.deps.values().cloned());
                    }
                }
            }
            seen.len()
        });
        total += n + u.fits.iter().flatten().count();
    }
    total
}
