//! Sector groups merged *before* the decomposition (`[panel] groups` with
//! `aggregate = "before"`, docs/measures.md "Aggregating sectors"): in every country the
//! member sectors of a group become one sector named after the group. With S the n′ × n
//! 0/1 aggregation matrix (entry i goes to its country's group row), the merged table is
//! Z′ = S Z Sᵀ, Y′ = S Y, x′ = S x and each primary-input row p′ = S p (pymrio's
//! `aggregate`, Miller & Blair 2009 §4.3). The identities x = Z1 + Y1 and va = x − Z′1 carry
//! over because every map is linear; the Leontief inverse does not (aggregation bias).

use std::collections::BTreeMap;

use crate::iot::{dense, EntryLabel, IoTable};

/// Why a sector grouping could not be applied to a table.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SectorMergeError {
    #[error("sector group `{group}` names sector `{member}`, which is not a sector of the table (its sectors: {known}) (fix: write the member codes of `[sectors] {group}` as the table's row labels do)")]
    UnknownMember {
        group: String,
        member: String,
        known: String,
    },
    #[error("sector `{member}` is in both group `{first}` and group `{second}`; merging sectors before the decomposition needs disjoint groups (fix: drop `{member}` from one of the `[sectors]` sets, or aggregate after the decomposition, `aggregate = \"after\"`, where groups may overlap)")]
    Overlap {
        member: String,
        first: String,
        second: String,
    },
    #[error(
        "sector group `{group}` has no members (fix: list its sector codes in `[sectors] {group}`)"
    )]
    Empty { group: String },
    #[error("sector group name `{group}` is a sector of the table that is not one of its members (fix: rename the `[sectors]` set)")]
    NameClash { group: String },
}

impl IoTable {
    /// The table with each group `(name, members)` of sector codes merged into one sector
    /// `name` in every country, placed where the group's first member sector was; other
    /// sectors keep their order. Z′ = S Z Sᵀ, Y′ = S Y, x′ = S x (module doc).
    pub fn merge_sectors(
        &self,
        groups: &[(String, Vec<String>)],
    ) -> Result<IoTable, SectorMergeError> {
        let group_of = self.sector_group_map(groups)?;
        // Entry i → merged entry; merged entries in first-occurrence order per (country, sector).
        let mut index: BTreeMap<(usize, String), usize> = BTreeMap::new();
        let mut labels = Vec::new();
        let mut row_country = Vec::new();
        let mut target = Vec::with_capacity(self.n());
        for (i, label) in self.labels.iter().enumerate() {
            let sector = group_of
                .get(label.sector.as_str())
                .map_or(label.sector.as_str(), |&g| groups[g].0.as_str());
            let c = self.row_country[i];
            let t = *index.entry((c, sector.to_string())).or_insert_with(|| {
                labels.push(EntryLabel::new(label.block.clone(), sector));
                row_country.push(c);
                labels.len() - 1
            });
            target.push(t);
        }
        let m = labels.len();
        let mut z = dense::zeros(m, m);
        for (i, &ti) in target.iter().enumerate() {
            for (j, &tj) in target.iter().enumerate() {
                z[[ti, tj]] += self.z[[i, j]];
            }
        }
        let cols = self.y.ncols();
        let mut y = dense::zeros(m, cols);
        let mut x = ndarray::Array1::zeros(m);
        for (i, &ti) in target.iter().enumerate() {
            for k in 0..cols {
                y[[ti, k]] += self.y[[i, k]];
            }
            x[ti] += self.x[i];
        }
        let primary_inputs = self
            .primary_inputs
            .iter()
            .map(|(name, row)| {
                let mut merged = ndarray::Array1::zeros(m);
                for (i, &ti) in target.iter().enumerate() {
                    merged[ti] += row[i];
                }
                (name.clone(), merged)
            })
            .collect();
        Ok(IoTable {
            year: self.year,
            countries: self.countries.clone(),
            fd_categories: self.fd_categories.clone(),
            labels,
            row_country,
            z,
            y,
            x,
            primary_inputs,
        })
    }

    /// Sector code → index of its group in `groups`, after checking that every member is a
    /// sector of the table, groups are disjoint and non-empty, and no group takes the name of
    /// a sector outside it.
    fn sector_group_map<'g>(
        &self,
        groups: &'g [(String, Vec<String>)],
    ) -> Result<BTreeMap<&'g str, usize>, SectorMergeError> {
        let sectors: std::collections::BTreeSet<&str> =
            self.labels.iter().map(|l| l.sector.as_str()).collect();
        let mut group_of: BTreeMap<&str, usize> = BTreeMap::new();
        for (k, (name, members)) in groups.iter().enumerate() {
            if members.is_empty() {
                return Err(SectorMergeError::Empty {
                    group: name.clone(),
                });
            }
            for m in members {
                if !sectors.contains(m.as_str()) {
                    return Err(SectorMergeError::UnknownMember {
                        group: name.clone(),
                        member: m.clone(),
                        known: sectors.iter().copied().collect::<Vec<_>>().join(", "),
                    });
                }
                if let Some(&prev) = group_of.get(m.as_str()) {
                    if prev != k {
                        return Err(SectorMergeError::Overlap {
                            member: m.clone(),
                            first: groups[prev].0.clone(),
                            second: name.clone(),
                        });
                    }
                }
                group_of.insert(m.as_str(), k);
            }
        }
        for (name, members) in groups {
            if sectors.contains(name.as_str()) && !members.contains(name) {
                return Err(SectorMergeError::NameClash {
                    group: name.clone(),
                });
            }
        }
        Ok(group_of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1};

    /// Two countries A, B with sectors s1, s2, s3 (n = 6), one final-demand category.
    fn table() -> IoTable {
        let labels = ["s1", "s2", "s3"];
        IoTable {
            year: Some(2000),
            countries: vec!["A".into(), "B".into()],
            fd_categories: vec!["F".into()],
            labels: ["A", "B"]
                .iter()
                .flat_map(|c| labels.iter().map(move |s| EntryLabel::new(*c, *s)))
                .collect(),
            row_country: vec![0, 0, 0, 1, 1, 1],
            z: dense::from_fn(6, 6, |(i, j)| (1 + i * 6 + j) as f64),
            y: dense::from_fn(6, 2, |(i, c)| (100 + 10 * i + c) as f64),
            x: Array1::from_iter((0..6).map(|i| 1000.0 + i as f64)),
            primary_inputs: vec![("VA".into(), Array1::from_iter((0..6).map(f64::from)))],
        }
    }

    #[test]
    fn merging_sums_rows_and_columns_of_the_members_by_hand() {
        let m = table()
            .merge_sectors(&[("g".into(), vec!["s1".into(), "s3".into()])])
            .unwrap();
        let sectors: Vec<(&str, &str)> = m
            .labels
            .iter()
            .map(|l| (l.block.as_str(), l.sector.as_str()))
            .collect();
        assert_eq!(sectors, [("A", "g"), ("A", "s2"), ("B", "g"), ("B", "s2")]);
        assert_eq!(m.row_country, [0, 0, 1, 1]);
        // z[i][j] = 1 + 6i + j; A.g = rows {0, 2}, A.s2 = {1}, B.g = {3, 5}, B.s2 = {4}.
        let z = |i: usize, j: usize| (1 + 6 * i + j) as f64;
        let block = |rs: &[usize], cs: &[usize]| -> f64 {
            rs.iter()
                .flat_map(|&i| cs.iter().map(move |&j| z(i, j)))
                .sum()
        };
        let parts: [&[usize]; 4] = [&[0, 2], &[1], &[3, 5], &[4]];
        for (a, ra) in parts.iter().enumerate() {
            for (b, cb) in parts.iter().enumerate() {
                assert_eq!(m.z[[a, b]], block(ra, cb), "z[{a}][{b}]");
            }
        }
        assert_eq!(m.y.row(0).to_vec(), vec![100.0 + 120.0, 101.0 + 121.0]);
        assert_eq!(m.y.row(3).to_vec(), vec![140.0, 141.0]);
        assert_eq!(m.x, array![2002.0, 1001.0, 2008.0, 1004.0]);
        assert_eq!(m.primary_inputs[0].1, array![2.0, 1.0, 8.0, 4.0]);
        assert_eq!(m.z.sum(), table().z.sum());
    }

    #[test]
    fn bad_groups_are_errors_naming_the_sector() {
        let t = table();
        let err = |g: &[(&str, &[&str])]| {
            let groups: Vec<(String, Vec<String>)> = g
                .iter()
                .map(|(n, m)| (n.to_string(), m.iter().map(|s| s.to_string()).collect()))
                .collect();
            t.merge_sectors(&groups).unwrap_err().to_string()
        };
        assert!(err(&[("g", &["s9"])]).contains("`s9`"));
        let overlap = err(&[("g", &["s1", "s2"]), ("h", &["s2"])]);
        assert!(
            overlap.contains("`s2` is in both group `g` and group `h`"),
            "{overlap}"
        );
        assert!(err(&[("g", &[])]).contains("no members"));
        assert!(err(&[("s2", &["s1"])]).contains("`s2` is a sector"));
    }
}
