//! Stata's time-series operators in a term name: `L.x`, `L2.x`, `F.x`, `D.x`, `LD.x`, `D2.x`,
//! `S4.x` (letters case-insensitive, each with an optional order). The one parser of them:
//! the design evaluates them ([`super::design::VarExpr`]), the spec validator strips them to
//! find the variable, the report turns them into labels ("Tariff (t−1)", "Δ x").

/// The operators of a prefix such as `L2D`: the net shift (lags positive, leads negative),
/// the number of differences and the seasonal differences, in the order written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Operators {
    /// Σ lags − Σ leads: `L2` → 2, `F` → −1.
    pub shift: i64,
    /// Number of first differences (`D2` → 2).
    pub diffs: u32,
    /// Seasonal differences `S k` (1 − L^k), in order; `S0` is no operator.
    pub seasonal: Vec<u32>,
}

impl Operators {
    /// True when the prefix changes the variable (not `L0.x`).
    pub fn is_identity(&self) -> bool {
        self.shift == 0 && self.diffs == 0 && self.seasonal.is_empty()
    }
}

/// Highest order accepted for one operator (`L1000.x`).
pub const MAX_ORDER: u32 = 1000;

/// Parses an operator prefix (the part before the `.`): letters `L`, `F`, `D`, `S` in any case,
/// each followed by an optional order (default 1). The error says what is wrong.
pub fn parse_operators(prefix: &str) -> Result<Operators, String> {
    let chars: Vec<char> = prefix.chars().collect();
    if chars.is_empty() {
        return Err("empty operator before '.'".to_string());
    }
    let mut ops = Operators::default();
    let mut i = 0;
    while i < chars.len() {
        let op = chars[i].to_ascii_uppercase();
        i += 1;
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let digits: String = chars[start..i].iter().collect();
        let order: u32 = if digits.is_empty() {
            1
        } else {
            digits
                .parse()
                .map_err(|_| "operator order is not a small number".to_string())?
        };
        if order > MAX_ORDER {
            return Err(format!("operator order above {MAX_ORDER}"));
        }
        match op {
            'L' => ops.shift += i64::from(order),
            'F' => ops.shift -= i64::from(order),
            'D' => ops.diffs += order,
            'S' if order > 0 => ops.seasonal.push(order),
            'S' => {}
            '(' => {
                return Err(
                    "operator ranges such as L(1/2).x are not supported; list L.x L2.x".to_string(),
                )
            }
            other => return Err(format!("unknown operator `{other}` (use L, F, D or S)")),
        }
    }
    Ok(ops)
}

/// Splits a term into its operators and base variable when it has a valid operator prefix
/// (`L2.tariff` → (shift 2, `tariff`)); None for a plain name, a name whose part before the
/// first `.` is not an operator list (`wdi.NY.GDP`), or nothing after the `.`.
pub fn split_term(term: &str) -> Option<(Operators, &str)> {
    let (prefix, base) = term.split_once('.')?;
    if base.is_empty() {
        return None;
    }
    parse_operators(prefix).ok().map(|ops| (ops, base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let ops = parse_operators("L2D").expect("L2D");
        assert_eq!((ops.shift, ops.diffs, ops.seasonal.clone()), (2, 1, vec![]));
        let ops = parse_operators("fs4").expect("fs4");
        assert_eq!((ops.shift, ops.diffs, ops.seasonal), (-1, 0, vec![4]));
        assert!(parse_operators("L0").expect("L0").is_identity());
        assert!(parse_operators("Q").is_err());
        assert!(parse_operators("L(1/2)")
            .expect_err("range")
            .contains("L2.x"));
        assert!(parse_operators("L1001").is_err());
        assert!(parse_operators("").is_err());
    }

    #[test]
    fn terms() {
        assert_eq!(
            split_term("l.tariff").map(|(o, b)| (o.shift, b)),
            Some((1, "tariff"))
        );
        assert_eq!(
            split_term("S4.x").map(|(o, b)| (o.seasonal, b)),
            Some((vec![4], "x"))
        );
        assert_eq!(split_term("wdi.NY.GDP"), None);
        assert_eq!(split_term("tariff"), None);
        assert_eq!(split_term("L."), None);
    }
}
