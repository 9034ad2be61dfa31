//! Variables computed from each other in a circle, through `from` or a transform operand.

use std::collections::BTreeSet;

use super::super::diag::{Diagnostic, Diagnostics};
use super::super::types::{Spec, Variable};

/// The variables a variable is computed from: its `from` (when that is a variable, and not
/// itself, which is reported on its own) and the variables its transforms' operands name.
fn variable_inputs<'a>(spec: &'a Spec, v: &'a Variable) -> Vec<&'a str> {
    let mut inputs = Vec::new();
    if v.from.value != v.name && spec.variables.contains_key(&v.from.value) {
        inputs.push(v.from.value.as_str());
    }
    for t in &v.transforms.value {
        let mut operands = t.operands();
        if let crate::panel::Transform::LpSpillover(s) = t {
            operands.push(s.ofdi.as_str());
        }
        inputs.extend(
            operands
                .into_iter()
                .filter(|op| spec.variables.contains_key(*op)),
        );
    }
    inputs
}

/// A path of inputs ([`variable_inputs`]) from `start` back to itself, if any (depth first,
/// each variable visited once, so it ends on any spec).
fn cycle_from<'a>(spec: &'a Spec, start: &'a Variable) -> Option<Vec<&'a str>> {
    let mut visited = BTreeSet::new();
    let mut stack: Vec<Vec<&str>> = vec![vec![start.name.as_str()]];
    while let Some(path) = stack.pop() {
        let last = spec.variables.get(*path.last()?)?;
        for next in variable_inputs(spec, last) {
            if next == start.name {
                let mut cycle = path.clone();
                cycle.push(next);
                return Some(cycle);
            }
            if visited.insert(next) {
                let mut longer = path.clone();
                longer.push(next);
                stack.push(longer);
            }
        }
    }
    None
}

/// Variables computed from each other in a circle, through `from` or a transform's operand
/// (`ratio`, `interaction`, `lp_spillover`): reported at the variable, since the panel could
/// compute none of them.
pub(super) fn check_variable_cycles(spec: &Spec, d: &mut Diagnostics) {
    for start in spec.variables.values() {
        let Some(cycle) = cycle_from(spec, start) else {
            continue;
        };
        let through_from = cycle.get(1) == Some(&start.from.value.as_str());
        let loc = if through_from {
            &start.from.loc
        } else {
            &start.transforms.loc
        };
        let what = if cycle.len() == 2 {
            format!(
                "variable `{}` is computed from itself (a transform's operand names it)",
                start.name
            )
        } else {
            format!("variables are defined in a circle: {}", cycle.join(" -> "))
        };
        d.push(Diagnostic::at(loc, what).with_help(
            "define one of them from a source column (`<source>.<column>`) or a decomposition measure, \
             or name another variable as the operand",
        ));
    }
}
