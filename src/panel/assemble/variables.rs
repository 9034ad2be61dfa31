//! Step 2, variables: names resolved to other variables or input series, an order in which
//! every variable comes after those it needs (cycles are errors), and each variable's
//! transforms applied in turn over all available years and countries.

use std::collections::{BTreeMap, HashMap};

use super::inputs::VariableDef;
use crate::panel::series::{Bilateral, Series};
use crate::panel::transforms::{self, Transform, TransformNote};
use crate::panel::PanelError;
use crate::sources::countries::nearest_codes;

/// What a variable refers to by name.
#[derive(Clone, Copy)]
enum Ref<'a> {
    Variable(usize),
    Input(&'a str),
}

/// Names a variable may use: the other variables and the input series.
struct Resolver<'a> {
    variables: HashMap<&'a str, usize>,
    series: &'a BTreeMap<String, Series>,
}

impl<'a> Resolver<'a> {
    /// `name` is another variable (not `me`) if one is called so, else an input series.
    fn resolve(&self, name: &'a str, me: usize) -> Option<Ref<'a>> {
        match self.variables.get(name) {
            Some(&i) if i != me => Some(Ref::Variable(i)),
            _ => self.series.contains_key(name).then_some(Ref::Input(name)),
        }
    }

    fn nearest(&self, name: &str) -> Vec<String> {
        let candidates = self
            .variables
            .keys()
            .copied()
            .chain(self.series.keys().map(String::as_str));
        let mut near = nearest_codes(name, candidates);
        if near.is_empty() {
            // Long keys (`wdi.NY.GDP...`): allow more edits.
            near = crate::sources::wdi::nearest_indicators(
                name,
                self.series.keys().map(String::as_str),
            );
        }
        near
    }
}

/// Every variable's series (all countries and years), in definition order; notes of the
/// transforms go to `on_note`.
pub(super) fn compute_variables(
    variables: &[VariableDef],
    series: &BTreeMap<String, Series>,
    bilateral: &BTreeMap<String, Bilateral>,
    in_sample: &dyn Fn(&str, i32) -> bool,
    on_note: &mut dyn FnMut(&str, TransformNote),
) -> Result<Vec<Series>, PanelError> {
    let mut names = HashMap::new();
    for (i, v) in variables.iter().enumerate() {
        if names.insert(v.name.as_str(), i).is_some() {
            return Err(PanelError::DuplicateVariable {
                variable: v.name.clone(),
            });
        }
    }
    let resolver = Resolver {
        variables: names,
        series,
    };
    let deps = dependencies(variables, &resolver, bilateral)?;
    let order = topological_order(variables, &deps)?;
    let mut computed: Vec<Option<Series>> = vec![None; variables.len()];
    for i in order {
        let Some(def) = variables.get(i) else {
            continue;
        };
        let mut current = resolver
            .resolve(&def.from, i)
            .and_then(|r| lookup(r, &computed, series))
            .cloned()
            .unwrap_or_default();
        for t in &def.transforms {
            let operand = t
                .operands()
                .first()
                .and_then(|name| resolver.resolve(name, i))
                .and_then(|r| lookup(r, &computed, series));
            let applied = apply(def, t, &current, operand, bilateral, in_sample)?;
            for n in applied.notes {
                on_note(&def.name, n);
            }
            current = applied.series;
        }
        if let Some(slot) = computed.get_mut(i) {
            *slot = Some(current);
        }
    }
    Ok(computed
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}

/// For each variable, the variables it needs first; unknown names are errors.
fn dependencies(
    variables: &[VariableDef],
    resolver: &Resolver,
    bilateral: &BTreeMap<String, Bilateral>,
) -> Result<Vec<Vec<usize>>, PanelError> {
    let mut deps = Vec::with_capacity(variables.len());
    for (i, def) in variables.iter().enumerate() {
        let mut mine = Vec::new();
        match resolver.resolve(&def.from, i) {
            Some(Ref::Variable(j)) => mine.push(j),
            Some(Ref::Input(_)) => {}
            None => {
                return Err(PanelError::UnknownSource {
                    variable: def.name.clone(),
                    from: def.from.clone(),
                    nearest: resolver.nearest(&def.from),
                })
            }
        }
        for t in &def.transforms {
            t.validate()
                .map_err(|message| PanelError::InvalidTransform {
                    variable: def.name.clone(),
                    transform: t.to_string(),
                    message,
                })?;
            for operand in t.operands() {
                match resolver.resolve(operand, i) {
                    Some(Ref::Variable(j)) => mine.push(j),
                    Some(Ref::Input(_)) => {}
                    None => {
                        return Err(PanelError::UnknownOperand {
                            variable: def.name.clone(),
                            transform: t.to_string(),
                            operand: operand.to_string(),
                            nearest: resolver.nearest(operand),
                        })
                    }
                }
            }
            if let Transform::LpSpillover(s) = t {
                if !bilateral.contains_key(&s.ofdi) {
                    return Err(PanelError::UnknownBilateral {
                        variable: def.name.clone(),
                        ofdi: s.ofdi.clone(),
                        nearest: nearest_codes(&s.ofdi, bilateral.keys().map(String::as_str)),
                    });
                }
            }
        }
        deps.push(mine);
    }
    Ok(deps)
}

/// Definition order, with every variable after the ones it depends on; a cycle is an error
/// naming its members.
fn topological_order(
    variables: &[VariableDef],
    deps: &[Vec<usize>],
) -> Result<Vec<usize>, PanelError> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Active,
        Done,
    }
    fn visit(
        i: usize,
        deps: &[Vec<usize>],
        state: &mut [State],
        stack: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<(), Vec<usize>> {
        match state.get(i).copied() {
            Some(State::Done) | None => return Ok(()),
            Some(State::Active) => {
                let start = stack.iter().position(|&s| s == i).unwrap_or(0);
                let mut cycle: Vec<usize> = stack.get(start..).unwrap_or_default().to_vec();
                cycle.push(i);
                return Err(cycle);
            }
            Some(State::New) => {}
        }
        if let Some(s) = state.get_mut(i) {
            *s = State::Active;
        }
        stack.push(i);
        for &j in deps.get(i).map(Vec::as_slice).unwrap_or_default() {
            visit(j, deps, state, stack, order)?;
        }
        stack.pop();
        if let Some(s) = state.get_mut(i) {
            *s = State::Done;
        }
        order.push(i);
        Ok(())
    }
    let mut state = vec![State::New; variables.len()];
    let mut order = Vec::with_capacity(variables.len());
    for i in 0..variables.len() {
        let mut stack = Vec::new();
        visit(i, deps, &mut state, &mut stack, &mut order).map_err(|cycle| PanelError::Cycle {
            variables: cycle
                .into_iter()
                .filter_map(|j| variables.get(j).map(|v| v.name.clone()))
                .collect(),
        })?;
    }
    Ok(order)
}

/// The series a resolved name stands for (a computed variable or an input).
fn lookup<'s>(
    r: Ref,
    computed: &'s [Option<Series>],
    series: &'s BTreeMap<String, Series>,
) -> Option<&'s Series> {
    match r {
        Ref::Variable(j) => computed.get(j)?.as_ref(),
        Ref::Input(k) => series.get(k),
    }
}

/// Applies one transform; `operand` is the series of its operand (ratio, interaction,
/// spillover capital), already resolved.
fn apply(
    def: &VariableDef,
    t: &Transform,
    current: &Series,
    operand: Option<&Series>,
    bilateral: &BTreeMap<String, Bilateral>,
    in_sample: &dyn Fn(&str, i32) -> bool,
) -> Result<transforms::Applied, PanelError> {
    let plain = |series: Series| transforms::Applied {
        series,
        notes: Vec::new(),
    };
    let failed = |message: String| PanelError::TransformFailed {
        variable: def.name.clone(),
        transform: t.to_string(),
        message,
    };
    let unknown = |name: &str| PanelError::UnknownOperand {
        variable: def.name.clone(),
        transform: t.to_string(),
        operand: name.to_string(),
        nearest: Vec::new(),
    };
    Ok(match t {
        Transform::Log => transforms::log(current),
        Transform::Log1p => transforms::log1p(current),
        Transform::Asinh => plain(transforms::asinh(current)),
        Transform::Diff => plain(transforms::diff(current)),
        Transform::Growth => transforms::growth(current),
        Transform::Lag(k) => plain(transforms::shift(current, shift_years(*k))),
        Transform::Lead(k) => plain(transforms::shift(current, -shift_years(*k))),
        Transform::Scale(c) => plain(transforms::scale(current, *c)),
        Transform::Ratio(name) => transforms::ratio(current, operand.ok_or_else(|| unknown(name))?),
        Transform::Interaction(name) => plain(transforms::interaction(
            current,
            operand.ok_or_else(|| unknown(name))?,
        )),
        Transform::Standardize => {
            plain(transforms::standardize(current, in_sample).map_err(failed)?)
        }
        Transform::Winsorize(w) => transforms::winsorize(current, *w, in_sample).map_err(failed)?,
        Transform::PimStock(p) => transforms::pim_stock(current, *p),
        Transform::LpSpillover(s) => {
            let ofdi = bilateral.get(&s.ofdi).ok_or_else(|| unknown(&s.ofdi))?;
            let capital = operand.ok_or_else(|| unknown(&s.capital))?;
            transforms::lp_spillover(current, ofdi, capital, s.missing_host)
        }
    })
}

/// A shift of k years as i32 (k beyond any calendar is clamped; years are 1000–9999).
fn shift_years(k: u32) -> i32 {
    i32::try_from(k).unwrap_or(i32::MAX).min(100_000)
}
