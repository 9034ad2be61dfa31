//! `gvc status`: which instances are cached or stale and why (`--explain`: which parameter,
//! input file or upstream instance changed since the spec last ran), and two specs' plans side
//! by side (`gvc status A B`): which instances they share (same key, so a shared cache
//! computes them once), which differ and why, and which only one has.

use std::collections::{BTreeMap, BTreeSet};

use super::cache::Lookup;
use super::exec::latest_entry;
use super::plan::{Instance, Plan};
use super::run::Prepared;
use super::stages::StageKind;

/// The state of one instance in the cache.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Cached,
    Stale,
    Damaged(String),
}

/// Every instance's state, and with `explain` the reasons a stale one differs from the last
/// run of the same spec.
pub fn status(p: &Prepared, explain: bool) -> Vec<(&Instance, State, Vec<String>)> {
    let mut out = Vec::new();
    for inst in &p.plan.instances {
        let state = match p.cache.lookup(inst.kind.name(), &inst.key) {
            Lookup::Hit { .. } => State::Cached,
            Lookup::Miss => State::Stale,
            Lookup::Corrupt(why) => State::Damaged(why),
        };
        let mut why = Vec::new();
        if explain && state != State::Cached {
            match p.cache.latest(&p.scope, inst.kind.name(), &inst.instance) {
                None => why.push("never run with this spec".to_string()),
                Some(old) if old["key"] == serde_json::json!(inst.key) => why.push(
                    "same inputs as the last run; the artifact is missing from the cache".into(),
                ),
                Some(old) => why = explain_change(&old, &latest_entry(inst), &p.plan),
            }
        }
        out.push((inst, state, why));
    }
    out
}

/// Human-readable reasons why an instance's entry `new` differs from `old` (both as recorded
/// by [`latest_entry`]): the implementation version, each parameter that changed (named by its
/// path), each input file whose bytes changed, each upstream instance that changed.
pub fn explain_change(
    old: &serde_json::Value,
    new: &serde_json::Value,
    plan: &Plan,
) -> Vec<String> {
    let mut why = Vec::new();
    if old["version"] != new["version"] {
        why.push(format!(
            "stage implementation changed (version {} -> {})",
            old["version"], new["version"]
        ));
    }
    let dep_keys: BTreeSet<&str> = new["deps"]
        .as_object()
        .into_iter()
        .flatten()
        .chain(old["deps"].as_object().into_iter().flatten())
        .filter_map(|(_, k)| k.as_str())
        .collect();
    let mut files_old = BTreeMap::new();
    let mut files_new = BTreeMap::new();
    input_files(&old["params"], &mut files_old);
    input_files(&new["params"], &mut files_new);
    for p in crate::diff::changed_keys(&old["params"], &new["params"]) {
        let value = lookup(&new["params"], &p).or_else(|| lookup(&old["params"], &p));
        // An upstream key (or a list of them) is reported as the upstream instance below.
        let is_dep = value.is_some_and(|v| match v {
            serde_json::Value::String(s) => dep_keys.contains(s.as_str()),
            serde_json::Value::Array(a) => {
                !a.is_empty()
                    && a.iter()
                        .all(|x| x.as_str().is_some_and(|s| dep_keys.contains(s)))
            }
            _ => false,
        });
        let is_file = p.ends_with("blake3") || p.ends_with("path") || p.contains("files");
        if !is_dep && !is_file {
            why.push(format!("spec `{p}` changed"));
        }
    }
    for (path, hash) in &files_new {
        match files_old.get(path) {
            None => why.push(format!("new input file {path}")),
            Some(h) if h != hash => why.push(format!("input file {path} changed")),
            _ => {}
        }
    }
    for path in files_old.keys() {
        if !files_new.contains_key(path) {
            why.push(format!("input file {path} no longer read"));
        }
    }
    let old_deps = old["deps"].as_object().cloned().unwrap_or_default();
    for (role, key) in new["deps"].as_object().into_iter().flatten() {
        if old_deps.get(role) != Some(key) {
            let name = key
                .as_str()
                .and_then(|k| k.parse().ok())
                .and_then(|k| plan.get(&k))
                .map_or_else(|| role.clone(), Instance::id);
            why.push(format!("upstream {name} changed"));
        }
    }
    why
}

/// Input files named in parameters: path → hash.
fn input_files(v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match v {
        serde_json::Value::Object(m) => {
            if let (Some(p), Some(h)) = (
                m.get("path").and_then(|p| p.as_str()),
                m.get("blake3").and_then(|h| h.as_str()),
            ) {
                out.insert(p.to_string(), h.to_string());
            }
            m.values().for_each(|x| input_files(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| input_files(x, out)),
        _ => {}
    }
}

/// The value at a dotted path as [`crate::diff::changed_keys`] names it: array entries by
/// their `name` field, else by index.
fn lookup<'a>(v: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.').try_fold(v, |cur, seg| match cur {
        serde_json::Value::Object(m) => m.get(seg),
        serde_json::Value::Array(a) => a
            .iter()
            .find(|x| x.get("name").and_then(|n| n.as_str()) == Some(seg))
            .or_else(|| seg.parse::<usize>().ok().and_then(|i| a.get(i))),
        _ => None,
    })
}

/// How one instance of either plan relates to the other plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    /// The other plan has an instance with the same key.
    Shared,
    /// The other plan has an instance of the same name with another key; the reasons say what
    /// the second plan changed.
    Differs {
        other_cached: bool,
        why: Vec<String>,
    },
    OnlyFirst,
    OnlySecond,
}

/// One line of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Compared {
    pub kind: StageKind,
    pub instance: String,
    /// Cached in the plan it is listed from (the first, except for `OnlySecond`).
    pub cached: bool,
    pub relation: Relation,
}

/// Every instance of `a` in plan order, then the instances only `b` has. Matching is by key
/// first, so a variant instance equal to another instance of the other spec counts as shared.
pub fn compare_plans(a: &Prepared, b: &Prepared) -> Vec<Compared> {
    let by_name = |p: &Prepared| -> BTreeMap<(StageKind, String), usize> {
        p.plan
            .instances
            .iter()
            .enumerate()
            .map(|(i, t)| ((t.kind, t.instance.clone()), i))
            .collect()
    };
    let cached = |p: &Prepared, i: &Instance| p.cache.has(i.kind.name(), &i.key);
    let (na, nb) = (by_name(a), by_name(b));
    let mut out = Vec::new();
    for ia in &a.plan.instances {
        let relation = if b.plan.get(&ia.key).is_some() {
            Relation::Shared
        } else if let Some(&j) = nb.get(&(ia.kind, ia.instance.clone())) {
            let ib = &b.plan.instances[j];
            Relation::Differs {
                other_cached: cached(b, ib),
                why: explain_change(&latest_entry(ia), &latest_entry(ib), &b.plan),
            }
        } else {
            Relation::OnlyFirst
        };
        out.push(Compared {
            kind: ia.kind,
            instance: ia.instance.clone(),
            cached: cached(a, ia),
            relation,
        });
    }
    for ib in &b.plan.instances {
        if a.plan.get(&ib.key).is_some() || na.contains_key(&(ib.kind, ib.instance.clone())) {
            continue;
        }
        out.push(Compared {
            kind: ib.kind,
            instance: ib.instance.clone(),
            cached: cached(b, ib),
            relation: Relation::OnlySecond,
        });
    }
    out
}
