//! Checks of `[[models]]`: every term is a defined variable, the dependent variable is not
//! also on the right-hand side, no term is listed twice, at least one estimator, and a Hausman
//! test only beside both `fe` and `re`.

use super::super::diag::{Diagnostic, Diagnostics};
use super::super::types::{Model, Spec};
use super::check_term;
use crate::estimate::Estimator;

pub(super) fn check_models(spec: &Spec, d: &mut Diagnostics) {
    for m in &spec.models {
        check_term(spec, m, &m.dependent, "dependent variable", d);
        check_terms_distinct(m, d);
        if m.estimators.is_empty() {
            d.push(
                Diagnostic::at(
                    &m.loc,
                    format!("model `{}` has no `estimators`", m.name.value),
                )
                .with_help("list at least one, e.g. `estimators = [\"fe\"]`"),
            );
        }
        for r in &m.regressors {
            check_term(spec, m, r, "regressor", d);
        }
        for c in &m.controls {
            check_term(spec, m, c, "control", d);
        }
        if let Some(c) = &m.cluster {
            if !super::panel::is_dimension(m.unit, &c.value) {
                check_term(spec, m, c, "cluster variable", d);
            }
        }
        if m.hausman {
            let has = |e: Estimator| m.estimators.iter().any(|x| x.value == e);
            if !(has(Estimator::Fe) && has(Estimator::Re)) {
                d.push(
                    Diagnostic::at(
                        &m.loc,
                        format!(
                            "model `{}` asks for a Hausman test without both `fe` and `re`",
                            m.name.value
                        ),
                    )
                    .with_help("add \"fe\" and \"re\" to `estimators`, or set `hausman = false`"),
                );
            }
        }
    }
}

/// The right-hand side may not repeat the dependent variable (y on y is a perfect fit, not a
/// model; a lag such as `L.y` is a different term and allowed) nor list a term twice (the
/// second copy would be dropped as collinear, silently changing the control sequence).
fn check_terms_distinct(m: &Model, d: &mut Diagnostics) {
    let dependent = m.dependent.value.trim();
    let mut seen: Vec<&str> = Vec::new();
    for (term, role) in m
        .regressors
        .iter()
        .map(|t| (t, "regressors"))
        .chain(m.controls.iter().map(|t| (t, "controls")))
    {
        let name = term.value.trim();
        if name == dependent {
            d.push(
                Diagnostic::at(
                    &term.loc,
                    format!(
                        "model `{}` lists its dependent variable `{name}` among its {role}",
                        m.name.value
                    ),
                )
                .with_help(format!(
                    "remove `{name}` from `{role}` (a lag such as `L.{name}` is allowed)"
                )),
            );
        } else if seen.contains(&name) {
            d.push(
                Diagnostic::at(
                    &term.loc,
                    format!("model `{}` lists `{name}` twice", m.name.value),
                )
                .with_help("keep one: a term is either a regressor or a control, once"),
            );
        } else {
            seen.push(name);
        }
    }
}
