//! Years in a spec: the accepted span [`YEARS`], a `[first, last]` range, a list of years and
//! the excluded years of a sample, each problem one located diagnostic with its fix.

use crate::spec::diag::{Diagnostic, Diagnostics};
use crate::spec::node::{Node, Value};
use crate::spec::types::At;

/// The years every spec key accepts (`sample.years`, `sample.exclude_years`, a robustness
/// block's `exclude_years`, a synthetic source's `years`): 1900–2100. Input-output tables
/// exist from the 1919 US table on (WIOD 1995–, OECD ICIO 1995–, ADB MRIO 2000–) and
/// projections rarely pass 2100; the bound also caps every loop over a year span at 201.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// One year of a spec: an integer within [`YEARS`], or one located problem with its fix.
fn year_of(node: &Node, key: &str) -> Result<At<i32>, Diagnostic> {
    let (first, last) = (YEARS.start(), YEARS.end());
    let problem =
        |message: String, help: String| Err(Diagnostic::at(&node.loc, message).with_help(help));
    match &node.value {
        Value::Int(y) => match i32::try_from(*y) {
            Ok(y) if YEARS.contains(&y) => Ok(At::new(y, node.loc.clone())),
            _ => problem(
                format!("`{key}`: year {y} is outside {first}–{last}"),
                format!("years must lie in {first}–{last} (a typo?); see \"Years\" in docs/spec-reference.md"),
            ),
        },
        Value::Float(f) => problem(
            format!("`{key}` must hold whole years, found the number {f:?}"),
            if f.fract() == 0.0 && f.abs() < 1e6 {
                format!("write `{}` without the decimal point", *f as i64)
            } else {
                "write a whole year such as `2010`".into()
            },
        ),
        Value::Str(text) => problem(
            format!("`{key}` must hold years as integers, found the string \"{text}\""),
            if text.trim().parse::<i64>().is_ok() {
                format!("write `{}` without quotes", text.trim())
            } else {
                "write a year such as `2010`".into()
            },
        ),
        other => problem(
            format!(
                "`{key}` must hold years as integers, found {}",
                other.type_name()
            ),
            "write a year such as `2010`".into(),
        ),
    }
}

/// `[first, last]`: a first and a last year within [`YEARS`], first not after last. A value
/// of the wrong shape or type is ONE problem at its own place; each year out of range is one
/// problem at that year.
pub(super) fn year_range(node: &Node, key: &str) -> Result<(i32, i32), Vec<Diagnostic>> {
    let shape = |message: String, help: String| {
        Err(vec![Diagnostic::at(&node.loc, message).with_help(help)])
    };
    let items = match &node.value {
        Value::Array(items) => items,
        Value::Int(y) => {
            return shape(
                format!("`{key}` must be [first, last], found the single number {y}"),
                format!("for one year write `years = [{y}, {y}]`"),
            )
        }
        other => {
            return shape(
                format!("`{key}` must be [first, last], found {}", other.type_name()),
                "e.g. `years = [2007, 2017]`".into(),
            )
        }
    };
    if items.len() != 2 {
        let ints: Vec<i64> = items
            .iter()
            .filter_map(|i| match i.value {
                Value::Int(y) => Some(y),
                _ => None,
            })
            .collect();
        let help = match (ints.len() == items.len(), ints.iter().min(), ints.iter().max()) {
            (true, Some(lo), Some(hi)) if items.len() > 2 => format!(
                "write the first and last year, `years = [{lo}, {hi}]`, and leave years out with `exclude_years`"
            ),
            (true, Some(y), _) => format!("for one year write `years = [{y}, {y}]`"),
            _ => "e.g. `years = [2007, 2017]`".into(),
        };
        return shape(
            format!(
                "`{key}` must be [first, last], found {} element{}",
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            ),
            help,
        );
    }
    // A non-year element makes the whole value malformed: one message, at that element.
    for item in items.iter().filter(|i| !matches!(i.value, Value::Int(_))) {
        if let Err(problem) = year_of(item, key) {
            return Err(vec![problem]);
        }
    }
    let (first, last) = (year_of(&items[0], key), year_of(&items[1], key));
    match (first, last) {
        (Ok(first), Ok(last)) if first.value > last.value => shape(
            format!(
                "`{key}` is inverted: {} comes after {}",
                first.value, last.value
            ),
            format!("write `years = [{}, {}]`", last.value, first.value),
        ),
        (Ok(first), Ok(last)) => Ok((first.value, last.value)),
        (first, last) => Err([first.err(), last.err()].into_iter().flatten().collect()),
    }
}

/// A list of years within [`YEARS`]; each element that is not one is a problem at that
/// element. A value that is not a list is one problem.
pub(super) fn year_list(node: &Node, key: &str, diags: &mut Diagnostics) -> Vec<At<i32>> {
    let items = match &node.value {
        Value::Array(items) => items.as_slice(),
        Value::Int(_) => std::slice::from_ref(node),
        other => {
            diags.push(
                Diagnostic::at(
                    &node.loc,
                    format!(
                        "`{key}` must be a list of years, found {}",
                        other.type_name()
                    ),
                )
                .with_help(format!(
                    "e.g. `{} = [2009]`",
                    key.rsplit('.').next().unwrap_or(key)
                )),
            );
            return Vec::new();
        }
    };
    items
        .iter()
        .filter_map(|item| year_of(item, key).map_err(|d| diags.push(d)).ok())
        .collect()
}

/// Each excluded year must lie in the sample's years (one problem per stray year, at it), and
/// at least one sample year must remain.
pub(super) fn check_excluded(
    range: &(i32, i32),
    node: &Node,
    list: &[At<i32>],
    diags: &mut Diagnostics,
) {
    let (first, last) = *range;
    for y in list {
        if !(first..=last).contains(&y.value) {
            diags.push(
                Diagnostic::at(
                    &y.loc,
                    format!(
                        "excluded year {} is outside the sample years {first}–{last}",
                        y.value
                    ),
                )
                .with_help("remove it, or widen `sample.years`"),
            );
        }
    }
    // The span is at most 201 years (YEARS), so this loop is short.
    if (first..=last).all(|y| list.iter().any(|x| x.value == y)) {
        diags.push(
            Diagnostic::at(&node.loc, "every sample year is excluded")
                .with_help("remove a year from `exclude_years`, or widen `sample.years`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::node::parse_override;

    fn value(text: &str) -> Node {
        parse_override(&format!("sample.years={text}")).unwrap().1
    }

    #[test]
    fn year_ranges() {
        assert_eq!(year_range(&value("[2007, 2017]"), "y"), Ok((2007, 2017)));
        assert_eq!(year_range(&value("[1900, 2100]"), "y"), Ok((1900, 2100)));
        assert_eq!(year_range(&value("[2010, 2010]"), "y"), Ok((2010, 2010)));
        // One problem for a malformed value, one per year out of range.
        for bad in [
            "2010",
            "[2010]",
            "[2010, 2011, 2012]",
            "[\"a\", \"b\"]",
            "[2010.0, 2011.0]",
            "[[2010], [2011]]",
            "[2012, 2010]",
            "[1899, 2010]",
        ] {
            let problems = year_range(&value(bad), "y").unwrap_err();
            assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
            assert!(problems[0].help.is_some(), "{bad}");
        }
        let both = year_range(&value("[-5, 9999999]"), "y").unwrap_err();
        assert_eq!(both.len(), 2, "{both:?}");
        assert!(both[1].message.contains("9999999 is outside 1900–2100"));
    }
}
