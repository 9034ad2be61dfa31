//! Degrees of freedom of the absorbed effects (reghdfe `dofadjustments(firstpair clusters)`;
//! fixest/pyfixest `ssc(fixef_k = "nested")`).
//!
//! A factor with L levels adds L coefficients, but not all are identified:
//!
//! - the first factor: all L₁ levels (the constant is one of them, so no `_cons` is counted);
//! - the second factor: L₂ − c₁₂, where c₁₂ is the number of connected components ("mobility
//!   groups", Abowd, Creecy & Kramarz 2002) of the bipartite graph whose edges are the
//!   (level of factor 1, level of factor 2) pairs observed — one level per component is
//!   redundant (reghdfe's exact count for the first pair; fixest/pyfixest subtract 1, which is
//!   the same when the graph is connected, the usual case);
//! - every further factor: L_j − 1 (one redundant level each; the lower bound reghdfe and
//!   fixest both use beyond the first pair).
//!
//! For cluster-robust VCEs a factor nested in the cluster variable (every level inside one
//! cluster) is not counted (reghdfe's `docs/nested_within_cluster.md`; fixest's default
//! `fixef.K = "nested"`), except for one coefficient per such factor (pyfixest's
//! `k + k_fe_adj − k_fe_nested + n_fe_fully_nested`; reghdfe adds the constant back) — so a
//! one-way FE nested in the clusters counts 1, as `xtreg, fe vce(cluster)`'s K = k + 1.

use super::factor::Factor;

/// The degrees-of-freedom facts of one absorbed factor.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FactorDof {
    /// Factor name (`exporter^sector`).
    pub name: String,
    /// Levels in the estimation sample.
    pub levels: usize,
    /// Redundant levels (0 for the first, mobility groups for the second, 1 after).
    pub redundant: usize,
    /// Nested in the cluster variable (only for cluster VCEs).
    pub nested_in_cluster: bool,
}

/// Absorbed degrees of freedom for the conventional / robust and the clustered VCEs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AbsorbedDof {
    /// Per factor, in the user's order.
    pub factors: Vec<FactorDof>,
    /// Σ (levels − redundant): the absorbed coefficients of the residual df N − k − df_a.
    pub df_a: usize,
    /// The count used in K = k + df_a_cluster of the cluster factor: nested factors count 1.
    pub df_a_cluster: usize,
}

/// Number of connected components of the bipartite graph linking the levels of `a` and `b`
/// that occur together (union–find over a's levels followed by b's).
pub fn mobility_groups(a: &Factor, b: &Factor) -> usize {
    let n = a.levels + b.levels;
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut components = n;
    for (&x, &y) in a.codes.iter().zip(&b.codes) {
        let (rx, ry) = (find(&mut parent, x), find(&mut parent, a.levels + y));
        if rx != ry {
            parent[rx] = ry;
            components -= 1;
        }
    }
    components
}

/// The module docs' rules for `factors` (estimation sample), with `cluster` codes when the VCE
/// is clustered.
pub fn absorbed_dof(factors: &[Factor], cluster: Option<&[usize]>) -> AbsorbedDof {
    let mut out = Vec::with_capacity(factors.len());
    for (j, f) in factors.iter().enumerate() {
        let redundant = match j {
            0 => 0,
            1 => mobility_groups(&factors[0], f),
            _ => 1,
        };
        out.push(FactorDof {
            name: f.name.clone(),
            levels: f.levels,
            redundant: redundant.min(f.levels),
            nested_in_cluster: cluster.is_some_and(|c| f.is_nested_in(c)),
        });
    }
    let df_a: usize = out.iter().map(|f| f.levels - f.redundant).sum();
    let nested_levels: usize = out
        .iter()
        .filter(|f| f.nested_in_cluster)
        .map(|f| f.levels)
        .sum();
    let nested = out.iter().filter(|f| f.nested_in_cluster).count();
    let df_a_cluster = (df_a + nested).saturating_sub(nested_levels);
    AbsorbedDof {
        factors: out,
        df_a,
        df_a_cluster,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_way_panel_counts_n_plus_t_minus_one() {
        // 3 firms × 4 years, balanced.
        let firm: Vec<usize> = (0..12).map(|i| i / 4).collect();
        let year: Vec<usize> = (0..12).map(|i| i % 4).collect();
        let f = [Factor::new("firm", &firm), Factor::new("year", &year)];
        let d = absorbed_dof(&f, None);
        assert_eq!(d.df_a, 3 + 4 - 1);
        // Clustered by firm: firm nested, counts 1; K adds 1 + (4 − 1) = T (xtreg i.year).
        let d = absorbed_dof(&f, Some(&firm));
        assert!(d.factors[0].nested_in_cluster && !d.factors[1].nested_in_cluster);
        assert_eq!(d.df_a_cluster, 4);
    }

    #[test]
    fn disconnected_graph_has_two_mobility_groups() {
        // Workers 0,1 only at firm 0; workers 2,3 only at firm 1.
        let w = Factor::new("w", &[0, 0, 1, 2, 3, 3]);
        let f = Factor::new("f", &[0, 0, 0, 1, 1, 1]);
        assert_eq!(mobility_groups(&w, &f), 2);
        let d = absorbed_dof(&[w, f], None);
        assert_eq!(d.df_a, 4 + 2 - 2);
    }
}
