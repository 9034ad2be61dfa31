//! The `[multiverse]` block, typed: named axes of alternatives, exclusion rules, the joint
//! test's draws and the specification curve's style; and the universes they make — the
//! Cartesian product of the axes minus the excluded combinations, each named by its axis
//! values (Steegen et al. 2016; Simonsohn, Simmons & Nelson 2020).
//!
//! A universe is the base spec with overrides: each axis of spec keys sets those keys exactly
//! as `--set key=value` would ([`Multiverse::set_args`] prints them), and the model axes
//! (`controls`, `estimators`, `vce`) set the same keys of every `[[models]]` entry. So one
//! universe run alone (`gvc run SPEC --set …` on the spec without its `[multiverse]`) gives the
//! same estimates as the multiverse does for it; the integration test checks that.

use super::diag::Loc;
use super::node::Node;
use crate::estimate::{Estimator, Vce};
pub use crate::multiverse::Inference;
pub use crate::report::input::Intervals;

/// Most universes a multiverse may have (the spec-curve figure and the estimates file stay
/// usable; a bigger design is refused at spec load with the count).
pub const MAX_UNIVERSES: usize = 100_000;
/// Most controls `controls = "all_subsets"` takes (2^12 = 4,096 subsets).
pub const MAX_SUBSET_CONTROLS: usize = 12;

/// `[multiverse]`.
#[derive(Debug, Clone)]
pub struct Multiverse {
    /// The axes in the order written (alphabetical: TOML tables are read sorted).
    pub axes: Vec<Axis>,
    /// Combinations left out.
    pub exclude: Vec<ExcludeRule>,
    /// Simonsohn et al.'s joint test under the null (`inference = { draws = 500 }`); `None`:
    /// no test.
    pub inference: Option<Inference>,
    /// How the specification curve draws its intervals (report only: not part of any fit).
    pub intervals: Intervals,
    pub loc: Loc,
}

/// One axis: its name, what it varies and a label per alternative.
#[derive(Debug, Clone)]
pub struct Axis {
    /// The axis name (`exclude_years`, `decomposition.iv`, `controls`, or a name of the
    /// user's for a table of keys).
    pub name: String,
    pub kind: AxisKind,
    /// One label per alternative (unique within the axis).
    pub labels: Vec<String>,
    pub loc: Loc,
}

/// What an axis varies.
#[derive(Debug, Clone)]
pub enum AxisKind {
    /// Spec keys set together: for each key (its dotted path), one value per alternative.
    Keys(Vec<AxisKey>),
    /// Every subset of the models' controls (their union, in first-seen order); alternative
    /// `i` is the subset `subsets[i]` (indices into `controls`).
    ControlSubsets {
        controls: Vec<String>,
        subsets: Vec<Vec<usize>>,
    },
    /// One estimator per universe, for every model.
    Estimators(Vec<Estimator>),
    /// One covariance estimator per universe, for every model.
    Vce(Vec<Vce>),
}

/// One spec key of an axis and its value in each alternative.
#[derive(Debug, Clone)]
pub struct AxisKey {
    /// `sample.exclude_years`.
    pub dotted: String,
    pub path: Vec<String>,
    pub values: Vec<Node>,
}

/// An `exclude` rule: a universe whose value on every listed axis is one of the listed
/// alternatives is left out.
#[derive(Debug, Clone)]
pub struct ExcludeRule {
    /// (axis index, alternative indices).
    pub when: Vec<(usize, Vec<usize>)>,
    pub loc: Loc,
}

/// The typed changes a universe makes to every model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelChoice {
    /// The controls kept (names), from a `controls` axis.
    pub controls: Option<Vec<String>>,
    pub estimator: Option<Estimator>,
    pub vce: Option<Vce>,
}

impl Multiverse {
    /// Every universe: one alternative index per axis, the last axis varying fastest, with
    /// the excluded combinations left out.
    pub fn universes(&self) -> Vec<Vec<usize>> {
        let sizes: Vec<usize> = self.axes.iter().map(|a| a.labels.len()).collect();
        let total: usize = sizes.iter().product();
        let mut out = Vec::with_capacity(total);
        let mut choice = vec![0usize; sizes.len()];
        for _ in 0..total {
            if !self.exclude.iter().any(|r| r.matches(&choice)) {
                out.push(choice.clone());
            }
            for i in (0..sizes.len()).rev() {
                choice[i] += 1;
                if choice[i] < sizes[i] {
                    break;
                }
                choice[i] = 0;
            }
        }
        out
    }

    /// How many universes the axes make before exclusions.
    pub fn product(&self) -> usize {
        self.axes
            .iter()
            .map(|a| a.labels.len())
            .fold(1usize, usize::saturating_mul)
    }

    /// A universe's name: `axis=label` for every axis, joined by `; `.
    pub fn name(&self, choice: &[usize]) -> String {
        self.axes
            .iter()
            .zip(choice)
            .map(|(a, &i)| format!("{}={}", a.name, a.labels[i]))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The spec-key overrides of a universe (axes of keys), in axis order.
    pub fn overrides(&self, choice: &[usize]) -> Vec<(Vec<String>, Node)> {
        let mut out = Vec::new();
        for (a, &i) in self.axes.iter().zip(choice) {
            if let AxisKind::Keys(keys) = &a.kind {
                for k in keys {
                    out.push((k.path.clone(), k.values[i].clone()));
                }
            }
        }
        out
    }

    /// The model changes of a universe (model axes).
    pub fn model_choice(&self, choice: &[usize]) -> ModelChoice {
        let mut m = ModelChoice::default();
        for (a, &i) in self.axes.iter().zip(choice) {
            match &a.kind {
                AxisKind::Keys(_) => {}
                AxisKind::ControlSubsets { controls, subsets } => {
                    m.controls = Some(subsets[i].iter().map(|&c| controls[c].clone()).collect());
                }
                AxisKind::Estimators(e) => m.estimator = Some(e[i]),
                AxisKind::Vce(v) => m.vce = Some(v[i]),
            }
        }
        m
    }

    /// The part of a universe that decides its spec (its axes of keys): universes equal here
    /// share one spec, and so their tables, decompositions and panel.
    pub fn spec_part(&self, choice: &[usize]) -> Vec<usize> {
        self.axes
            .iter()
            .zip(choice)
            .map(|(a, &i)| match a.kind {
                AxisKind::Keys(_) => i,
                _ => 0,
            })
            .collect()
    }

    /// The `--set` arguments that make a universe of `spec` as a standalone spec (run on the
    /// spec without its `[multiverse]` block).
    pub fn set_args(&self, spec: &super::Spec, choice: &[usize]) -> Vec<String> {
        let mut out: Vec<String> = self
            .overrides(choice)
            .iter()
            .map(|(path, node)| format!("{}={}", path.join("."), toml_value(&node.to_json())))
            .collect();
        let m = self.model_choice(choice);
        for model in &spec.models {
            let name = &model.name.value;
            out.extend(model_set_args(name, model, &m));
        }
        out
    }
}

/// The `--set` arguments of one model under a universe's model changes: its controls as the
/// universe keeps them (`controls_mode = "all"`), one estimator, the VCE, no Hausman test
/// (a universe fits one column per model).
fn model_set_args(name: &str, model: &super::Model, m: &ModelChoice) -> Vec<String> {
    let mut out = vec![
        format!("models.{name}.controls_mode=\"all\""),
        format!("models.{name}.hausman=false"),
    ];
    if let Some(keep) = &m.controls {
        let kept: Vec<String> = model
            .controls
            .iter()
            .filter(|c| keep.contains(&c.value))
            .map(|c| format!("\"{}\"", c.value))
            .collect();
        out.push(format!("models.{name}.controls=[{}]", kept.join(", ")));
    }
    if let Some(e) = m.estimator {
        out.push(format!(
            "models.{name}.estimators=[\"{}\"]",
            crate::choice::Choice::name(e)
        ));
    }
    if let Some(v) = m.vce {
        out.push(format!(
            "models.{name}.vce=\"{}\"",
            crate::choice::Choice::name(v)
        ));
    }
    out
}

/// A JSON value written as a TOML value (strings quoted, arrays and inline tables).
fn toml_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Array(items) => format!(
            "[{}]",
            items.iter().map(toml_value).collect::<Vec<_>>().join(", ")
        ),
        serde_json::Value::Object(map) => format!(
            "{{ {} }}",
            map.iter()
                .map(|(k, v)| format!("\"{k}\" = {}", toml_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

impl ExcludeRule {
    /// Whether a universe falls under the rule.
    pub fn matches(&self, choice: &[usize]) -> bool {
        self.when
            .iter()
            .all(|(axis, alts)| choice.get(*axis).is_some_and(|c| alts.contains(c)))
    }
}

/// The label of an alternative value: a string as written, a number, a list joined by `+`
/// (`none` when empty), a table as `k:v` pairs.
pub fn value_label(node: &Node) -> String {
    fn of(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(items) if items.is_empty() => "none".into(),
            serde_json::Value::Array(items) => items.iter().map(of).collect::<Vec<_>>().join("+"),
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(k, v)| format!("{k}:{}", of(v)))
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        }
    }
    of(&node.to_json())
}

/// The label of a subset of controls: names joined by `+`, `none` when empty.
pub fn subset_label(controls: &[String], subset: &[usize]) -> String {
    if subset.is_empty() {
        return "none".into();
    }
    subset
        .iter()
        .map(|&i| controls[i].as_str())
        .collect::<Vec<_>>()
        .join("+")
}

/// Every subset of `n` items, smaller first, then in the items' order (`[]`, `[0]`, `[1]`, …,
/// `[0, 1]`, …, all).
pub fn all_subsets(n: usize) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = (0u32..(1u32 << n))
        .map(|mask| (0..n).filter(|i| mask & (1 << i) != 0).collect())
        .collect();
    out.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(name: &str, n: usize) -> Axis {
        Axis {
            name: name.into(),
            kind: AxisKind::Estimators(vec![Estimator::Fe; n]),
            labels: (0..n).map(|i| format!("{name}{i}")).collect(),
            loc: Loc::Override(String::new()),
        }
    }

    #[test]
    fn universes_are_the_product_minus_exclusions_last_axis_fastest() {
        let mv = Multiverse {
            axes: vec![axis("a", 2), axis("b", 3)],
            exclude: vec![ExcludeRule {
                when: vec![(0, vec![1]), (1, vec![0, 2])],
                loc: Loc::Override(String::new()),
            }],
            inference: None,
            intervals: Intervals::Band,
            loc: Loc::Override(String::new()),
        };
        assert_eq!(mv.product(), 6);
        let u = mv.universes();
        assert_eq!(u, vec![vec![0, 0], vec![0, 1], vec![0, 2], vec![1, 1]]);
        assert_eq!(mv.name(&u[3]), "a=a1; b=b1");
    }

    #[test]
    fn subsets_come_smaller_first() {
        let s = all_subsets(3);
        assert_eq!(s.len(), 8);
        assert_eq!(s[0], Vec::<usize>::new());
        assert_eq!(s[1], vec![0]);
        assert_eq!(s[4], vec![0, 1]);
        assert_eq!(s[7], vec![0, 1, 2]);
        let names: Vec<String> = vec!["x".into(), "y".into(), "z".into()];
        assert_eq!(subset_label(&names, &s[5]), "x+z");
        assert_eq!(subset_label(&names, &s[0]), "none");
    }
}
