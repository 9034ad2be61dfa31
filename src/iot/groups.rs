//! Country groups (reference §9 pitfall 12; exvatools "NAFTA" = MEX + USA): members are
//! merged into one country id, so flows between members become domestic and are no longer
//! exports. Z and the rows are untouched (no re-aggregation before inversion); only the
//! country-of-row map changes and the final-demand columns of the members are summed.

use crate::iot::dense;

use crate::iot::IoTable;

/// Why a grouping could not be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GroupError {
    #[error("country group `{group}` names `{member}`, which is not a country of the table (countries: {known})")]
    UnknownMember {
        group: String,
        member: String,
        known: String,
    },
    #[error("country `{member}` is in both group `{first}` and group `{second}`")]
    Overlap {
        member: String,
        first: String,
        second: String,
    },
    #[error("country group `{group}` has no members")]
    Empty { group: String },
    #[error("country group name `{group}` is already a country of the table that is not a member")]
    NameClash { group: String },
}

impl IoTable {
    /// Merges each group `(name, members)` into one country named `name`, placed where its
    /// first member was. Countries not in a group keep their order. Final demand of the
    /// members is summed per category; `row_country` is remapped (reference §0, §9.12).
    pub fn merge_countries(&self, groups: &[(String, Vec<String>)]) -> Result<IoTable, GroupError> {
        let g = self.g();
        let mut group_of: Vec<Option<usize>> = vec![None; g];
        for (k, (name, members)) in groups.iter().enumerate() {
            if members.is_empty() {
                return Err(GroupError::Empty {
                    group: name.clone(),
                });
            }
            if let Some(pos) = self.countries.iter().position(|c| c == name) {
                if !members.contains(name) && group_of[pos].is_none() {
                    return Err(GroupError::NameClash {
                        group: name.clone(),
                    });
                }
            }
            for m in members {
                let c = self.countries.iter().position(|c| c == m).ok_or_else(|| {
                    GroupError::UnknownMember {
                        group: name.clone(),
                        member: m.clone(),
                        known: self.countries.join(", "),
                    }
                })?;
                if let Some(prev) = group_of[c] {
                    return Err(GroupError::Overlap {
                        member: m.clone(),
                        first: groups[prev].0.clone(),
                        second: name.clone(),
                    });
                }
                group_of[c] = Some(k);
            }
        }
        // New country list: first occurrence order.
        let mut new_index = vec![0usize; g];
        let mut countries: Vec<String> = Vec::new();
        let mut group_index: Vec<Option<usize>> = vec![None; groups.len()];
        for c in 0..g {
            match group_of[c] {
                Some(k) => {
                    let idx = *group_index[k].get_or_insert_with(|| {
                        countries.push(groups[k].0.clone());
                        countries.len() - 1
                    });
                    new_index[c] = idx;
                }
                None => {
                    countries.push(self.countries[c].clone());
                    new_index[c] = countries.len() - 1;
                }
            }
        }
        let f = self.f();
        let n = self.n();
        let mut y = dense::zeros(n, countries.len() * f);
        for (c, &target) in new_index.iter().enumerate() {
            for k in 0..f {
                let dst = target * f + k;
                for i in 0..n {
                    y[[i, dst]] += self.y[[i, c * f + k]];
                }
            }
        }
        Ok(IoTable {
            year: self.year,
            countries,
            fd_categories: self.fd_categories.clone(),
            labels: self.labels.clone(),
            row_country: self.row_country.iter().map(|&c| new_index[c]).collect(),
            z: self.z.clone(),
            y,
            x: self.x.clone(),
            primary_inputs: self.primary_inputs.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iot::EntryLabel;
    use ndarray::Array1;

    fn table() -> IoTable {
        IoTable {
            year: None,
            countries: vec!["A".into(), "B".into(), "C".into()],
            fd_categories: vec!["F".into()],
            labels: vec![
                EntryLabel::new("A", "s"),
                EntryLabel::new("B", "s"),
                EntryLabel::new("C", "s"),
            ],
            row_country: vec![0, 1, 2],
            z: dense::from_fn(3, 3, |(i, j)| (i * 3 + j) as f64),
            y: dense::from_fn(3, 3, |(i, c)| (10 * i + c) as f64),
            x: Array1::from_elem(3, 100.0),
            primary_inputs: vec![],
        }
    }

    #[test]
    fn merging_sums_final_demand_and_remaps_rows() {
        let m = table()
            .merge_countries(&[("AC".into(), vec!["A".into(), "C".into()])])
            .unwrap();
        assert_eq!(m.countries, vec!["AC".to_string(), "B".to_string()]);
        assert_eq!(m.row_country, vec![0, 1, 0]);
        assert_eq!(m.y[(1, 0)], 10.0 + 12.0);
        assert_eq!(m.y[(1, 1)], 11.0);
        m.validate().unwrap();
    }

    #[test]
    fn bad_groups_are_errors() {
        let t = table();
        assert!(matches!(
            t.merge_countries(&[("X".into(), vec!["Z".into()])]),
            Err(GroupError::UnknownMember { .. })
        ));
        assert!(matches!(
            t.merge_countries(&[
                ("X".into(), vec!["A".into()]),
                ("Y".into(), vec!["A".into()])
            ]),
            Err(GroupError::Overlap { .. })
        ));
        assert!(matches!(
            t.merge_countries(&[("B".into(), vec!["A".into()])]),
            Err(GroupError::NameClash { .. })
        ));
    }
}
