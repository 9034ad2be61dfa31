//! Two specs' plans side by side (`gvc status A B`): which stage instances they share (same
//! key, so a shared cache computes them once), which differ and why, and which only one has.
//! Matching is by key first, so a variant whose stage equals another instance of the other
//! spec (a robustness block equal to the variant's baseline) counts as shared.

use std::collections::{BTreeMap, BTreeSet};

use super::run::Prepared;

/// How one stage instance of either plan relates to the other plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    /// The other plan has an instance with the same key.
    Shared,
    /// The other plan has an instance of the same name with another key; the reasons are the
    /// key components of the second plan that differ from the first's.
    Differs {
        other_cached: bool,
        why: Vec<String>,
    },
    /// Only the first plan has it.
    OnlyFirst,
    /// Only the second plan has it.
    OnlySecond,
}

/// One line of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Compared {
    pub stage: &'static str,
    pub instance: String,
    /// Cached in the plan it is listed from (the first, except for `OnlySecond`).
    pub cached: bool,
    pub relation: Relation,
}

fn is_cached(p: &Prepared, i: usize) -> bool {
    let t = &p.plan.tasks[i];
    p.cache.has(t.stage, &t.key())
}

/// Every instance of `a` in plan order, then the instances only `b` has.
pub fn compare_plans(a: &Prepared, b: &Prepared) -> Vec<Compared> {
    let by_name = |p: &Prepared| -> BTreeMap<(&'static str, String), usize> {
        p.plan
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| ((t.stage, t.instance.clone()), i))
            .collect()
    };
    let keys =
        |p: &Prepared| -> BTreeSet<String> { p.plan.tasks.iter().map(|t| t.key()).collect() };
    let (na, nb) = (by_name(a), by_name(b));
    let (ka, kb) = (keys(a), keys(b));
    let mut out = Vec::new();
    for (i, ta) in a.plan.tasks.iter().enumerate() {
        let relation = if kb.contains(&ta.key()) {
            Relation::Shared
        } else if let Some(&j) = nb.get(&(ta.stage, ta.instance.clone())) {
            let why = match (&ta.parts, &b.plan.tasks[j].parts) {
                (Some(pa), Some(pb)) => pb.explain_change(pa),
                _ => Vec::new(),
            };
            Relation::Differs {
                other_cached: is_cached(b, j),
                why,
            }
        } else {
            Relation::OnlyFirst
        };
        out.push(Compared {
            stage: ta.stage,
            instance: ta.instance.clone(),
            cached: is_cached(a, i),
            relation,
        });
    }
    for (j, tb) in b.plan.tasks.iter().enumerate() {
        if ka.contains(&tb.key()) || na.contains_key(&(tb.stage, tb.instance.clone())) {
            continue;
        }
        out.push(Compared {
            stage: tb.stage,
            instance: tb.instance.clone(),
            cached: is_cached(b, j),
            relation: Relation::OnlySecond,
        });
    }
    out
}
