//! Absorbed factors: dense codes, interactions, subsets, nesting, and reghdfe's iterative
//! singleton rule.

use std::collections::HashMap;

/// One absorbed factor: a dense level code 0..`levels` per observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor {
    /// Name as the user wrote it (`exporter`, `exporter^sector`).
    pub name: String,
    /// Level code per observation, in 0..`levels`.
    pub codes: Vec<usize>,
    /// Number of levels present.
    pub levels: usize,
}

impl Factor {
    /// A factor from arbitrary codes, renumbered densely in order of first appearance.
    pub fn new(name: &str, codes: &[usize]) -> Factor {
        let mut map: HashMap<usize, usize> = HashMap::new();
        let dense = codes
            .iter()
            .map(|&c| {
                let next = map.len();
                *map.entry(c).or_insert(next)
            })
            .collect();
        Factor {
            name: name.to_string(),
            codes: dense,
            levels: map.len(),
        }
    }

    /// The interaction `a^b`: one level per (a, b) pair present (Stata `a#b`, fixest `a^b`).
    ///
    /// # Panics
    /// When `a` and `b` have different lengths (callers build both from the same rows).
    pub fn interact(a: &Factor, b: &Factor) -> Factor {
        assert_eq!(
            a.codes.len(),
            b.codes.len(),
            "interacted factors differ in length"
        );
        let mut map: HashMap<(usize, usize), usize> = HashMap::new();
        let codes = a
            .codes
            .iter()
            .zip(&b.codes)
            .map(|(&x, &y)| {
                let next = map.len();
                *map.entry((x, y)).or_insert(next)
            })
            .collect();
        Factor {
            name: format!("{}^{}", a.name, b.name),
            codes,
            levels: map.len(),
        }
    }

    /// Number of observations.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// No observations.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The factor on the observations where `keep` is true, renumbered densely.
    pub fn subset(&self, keep: &[bool]) -> Factor {
        let codes: Vec<usize> = self
            .codes
            .iter()
            .zip(keep)
            .filter(|(_, &k)| k)
            .map(|(&c, _)| c)
            .collect();
        Factor::new(&self.name, &codes)
    }

    /// Observations per level.
    pub fn counts(&self) -> Vec<usize> {
        let mut n = vec![0usize; self.levels];
        for &c in &self.codes {
            n[c] += 1;
        }
        n
    }

    /// True when every level lies inside one group of `outer` (each level's observations all
    /// have the same `outer` code): the factor is nested in `outer`.
    pub fn is_nested_in(&self, outer: &[usize]) -> bool {
        let mut seen: Vec<Option<usize>> = vec![None; self.levels];
        for (&c, &g) in self.codes.iter().zip(outer) {
            match seen[c] {
                None => seen[c] = Some(g),
                Some(prev) if prev != g => return false,
                Some(_) => {}
            }
        }
        true
    }
}

/// What [`drop_singletons`] removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingletonDrop {
    /// Observations kept.
    pub keep: Vec<bool>,
    /// Observations dropped.
    pub dropped: usize,
    /// Passes over the factors until no singleton was left.
    pub passes: usize,
}

/// reghdfe's singleton rule (Correia 2015, "Singletons, cluster-robust standard errors and
/// fixed effects"): an observation alone in a level of any absorbed factor is dropped; dropping
/// it can make other observations singletons, so the passes repeat until none is left. Such
/// observations are fitted perfectly by their own effect, contribute nothing to the slopes, and
/// would only inflate N (and G) in the small-sample factors.
pub fn drop_singletons(factors: &[Factor]) -> SingletonDrop {
    let n = factors.first().map_or(0, Factor::len);
    let mut keep = vec![true; n];
    let mut counts: Vec<Vec<usize>> = factors.iter().map(Factor::counts).collect();
    let mut passes = 0;
    loop {
        passes += 1;
        let mut changed = false;
        for (f, factor) in factors.iter().enumerate() {
            for i in 0..n {
                if keep[i] && counts[f][factor.codes[i]] == 1 {
                    keep[i] = false;
                    changed = true;
                    for (g, other) in factors.iter().enumerate() {
                        counts[g][other.codes[i]] -= 1;
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
    let dropped = keep.iter().filter(|k| !**k).count();
    SingletonDrop {
        keep,
        dropped,
        passes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interaction_and_nesting() {
        let a = Factor::new("a", &[5, 5, 7, 7, 5]);
        let b = Factor::new("b", &[1, 2, 1, 2, 1]);
        let ab = Factor::interact(&a, &b);
        assert_eq!(ab.name, "a^b");
        assert_eq!(ab.levels, 4);
        assert_eq!(ab.codes, vec![0, 1, 2, 3, 0]);
        assert!(ab.is_nested_in(&a.codes));
        assert!(!a.is_nested_in(&b.codes));
        assert_eq!(a.subset(&[false, false, true, true, false]).levels, 1);
    }

    #[test]
    fn singletons_are_dropped_iteratively() {
        // Observation 3 is alone in a = 2; once it is gone, observation 2 is alone in b = 9.
        let a = Factor::new("a", &[0, 0, 1, 2, 1]);
        let b = Factor::new("b", &[8, 8, 9, 9, 7]);
        let s = drop_singletons(&[a, b]);
        // obs 3 (a=2) and obs 4 (b=7) first; then obs 2 (b=9) and its a=1 partner is gone too.
        assert_eq!(s.keep, vec![true, true, false, false, false]);
        assert_eq!(s.dropped, 3);
        assert!(s.passes >= 2);
    }
}
