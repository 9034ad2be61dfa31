//! Which data licences allow a replication package to carry the data files.
//!
//! A source's `licence` is matched against [`LICENCES`] (case, spaces and underscores
//! ignored, SPDX identifiers and their common short forms accepted). Only a row that says so
//! lets `gvc package` copy the files; an unknown licence, or none, keeps them out and the
//! package's README says where to get them instead. The table is deliberately short: adding a
//! licence is a decision about the law, documented in `docs/replication.md`.

/// One known licence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Licence {
    /// The identifier printed in the README (SPDX where SPDX has one).
    pub id: &'static str,
    /// Other spellings a spec may use for it.
    pub aliases: &'static [&'static str],
    /// Whether a replication package may carry copies of the data.
    pub redistribute: bool,
    /// What the licence asks of whoever redistributes, for the README.
    pub terms: &'static str,
}

/// Every licence gvc knows, one row each.
pub const LICENCES: &[Licence] = &[
    Licence {
        id: "CC0-1.0",
        aliases: &["CC0", "CC-0"],
        redistribute: true,
        terms: "public-domain dedication; no conditions",
    },
    Licence {
        id: "public-domain",
        aliases: &["PD"],
        redistribute: true,
        terms: "no copyright; no conditions",
    },
    Licence {
        id: "PDDL-1.0",
        aliases: &["PDDL"],
        redistribute: true,
        terms: "Open Data Commons public-domain dedication; no conditions",
    },
    Licence {
        id: "CC-BY-4.0",
        aliases: &["CC-BY"],
        redistribute: true,
        terms: "redistribution allowed with attribution (cite the source)",
    },
    Licence {
        id: "CC-BY-SA-4.0",
        aliases: &["CC-BY-SA"],
        redistribute: true,
        terms: "redistribution allowed with attribution, under the same licence",
    },
    Licence {
        id: "ODbL-1.0",
        aliases: &["ODbL"],
        redistribute: true,
        terms: "redistribution allowed with attribution, under the same licence",
    },
    Licence {
        id: "GPL-3.0",
        aliases: &["GPL-3", "GPL-3.0-only", "GPL-3.0-or-later", "GPLv3"],
        redistribute: true,
        terms: "verbatim copies may be redistributed with the licence notice",
    },
    Licence {
        id: "proprietary",
        aliases: &["all rights reserved", "restricted"],
        redistribute: false,
        terms: "no redistribution; each replicator obtains the data",
    },
];

/// The row a spec's licence text names, if gvc knows it.
pub fn lookup(text: &str) -> Option<&'static Licence> {
    let want = normalise(text);
    LICENCES
        .iter()
        .find(|l| normalise(l.id) == want || l.aliases.iter().any(|a| normalise(a) == want))
}

/// Whether data under this licence (or none) may be copied into a package.
pub fn redistributable(licence: Option<&str>) -> bool {
    licence.and_then(lookup).is_some_and(|l| l.redistribute)
}

fn normalise(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            ' ' | '_' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_licences_allow_copies_and_anything_else_does_not() {
        for ok in [
            "CC-BY-4.0",
            "cc by 4.0",
            "CC0",
            "ODbL",
            "public-domain",
            "GPL-3",
        ] {
            assert!(redistributable(Some(ok)), "{ok}");
        }
        for no in [
            "proprietary",
            "free to use with citation",
            "CC-BY-NC-4.0",
            "",
        ] {
            assert!(!redistributable(Some(no)), "{no}");
        }
        assert!(!redistributable(None));
        assert_eq!(lookup("cc0-1.0").map(|l| l.id), Some("CC0-1.0"));
    }

    #[test]
    fn the_documented_table_is_this_table() {
        let doc = include_str!("../../docs/replication.md");
        for l in LICENCES {
            let copied = if l.redistribute { "yes" } else { "no" };
            let row = doc
                .lines()
                .find(|r| r.starts_with(&format!("| `{}` |", l.id)))
                .unwrap_or_else(|| panic!("docs/replication.md has no row for {}", l.id));
            assert!(row.contains(&format!("| {copied} |")), "{row}");
            for a in l.aliases {
                assert!(row.contains(&format!("`{a}`")), "{row} lacks {a}");
            }
        }
    }

    #[test]
    fn identifiers_and_aliases_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for l in LICENCES {
            for n in std::iter::once(l.id).chain(l.aliases.iter().copied()) {
                assert!(seen.insert(normalise(n)), "{n} appears twice");
            }
        }
    }
}
