//! `[decomposition] checks`: the `leontief` stage checks (I − A)B = I by random-sign probes by
//! default and on every entry with `checks = "exact"`; switching recomputes the inverses, not
//! the tables, and leaves every number of the outputs unchanged.

use crate::common;

const SPEC: &str = r#"
[study]
title = "inverse checks"

[sources.mrio]
format = "synthetic"
seed = 1
countries = ["AUS", "BRA", "CAN", "DEU"]
sectors = 3
fd_categories = 2

[sources.cov]
format = "synthetic-panel"
seed = 7

[countries]
codes = "iso3"
sample = ["AUS", "BRA", "CAN", "DEU"]

[sample]
countries = "sample"
years = [2010, 2012]

[decomposition]
measures = ["kpww"]

[variables]
gvcp = { from = "decomposition.kpww.participation" }
tariff = { from = "cov.tariff" }

[[models]]
name = "m"
dependent = "gvcp"
regressors = ["tariff"]
estimators = ["fe"]
"#;

/// The `at` of identity I3 of every `leontief` stage in the run's `run.json`, and the outcome
/// of each `leontief` stage in the cache's run log.
fn inverse_checks(dir: &std::path::Path) -> Vec<(String, String)> {
    let run = common::read_json(&dir.join("output/s/run.json"));
    let at = run["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter(|s| s["stage"] == "leontief")
        .map(|s| {
            let i3 = s["identities"]
                .as_array()
                .expect("identities")
                .iter()
                .find(|r| r["id"] == "I3")
                .expect("I3 recorded");
            assert!(i3["residual"].as_f64().expect("residual") < 1e-12, "{i3}");
            i3["at"].as_str().unwrap_or_default().to_string()
        });
    let outcomes = common::outcomes_in(&dir.join("c"), "s")
        .into_iter()
        .filter(|(stage, _, _)| stage == "leontief")
        .map(|(_, _, outcome)| outcome);
    outcomes.zip(at).collect()
}

#[test]
fn probe_checks_by_default_exact_on_request_with_the_same_outputs() {
    let dir = common::fresh_dir("inverse-checks");
    std::fs::write(dir.join("s.toml"), SPEC).expect("write spec");
    let (code, _, err) = common::gvc(&dir, &["run", "s.toml", "--cache", "c", "-q"]);
    assert_eq!(code, 0, "{err}");
    let probed = inverse_checks(&dir);
    assert_eq!(probed.len(), 3, "{probed:?}");
    for (outcome, at) in &probed {
        assert_eq!(outcome, "ran");
        assert!(at.contains("probe"), "default check is by probes: {at}");
    }
    let before = common::tree_bytes(&dir.join("output/s/tables"));

    let (code, _, err) = common::gvc(
        &dir,
        &[
            "run",
            "s.toml",
            "--cache",
            "c",
            "-q",
            "--set",
            "decomposition.checks=\"exact\"",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let exact = inverse_checks(&dir);
    for (outcome, at) in &exact {
        assert_eq!(
            outcome, "ran",
            "switching the check recomputes each inverse"
        );
        assert!(
            !at.contains("probe"),
            "exact check names a cell, not a probe: {at}"
        );
    }
    let tables: Vec<String> = common::outcomes_in(&dir.join("c"), "s")
        .into_iter()
        .filter(|(stage, _, _)| stage == "io_tables")
        .map(|(_, _, outcome)| outcome)
        .collect();
    assert_eq!(tables, ["cached"; 3], "the tables are not read again");
    assert_eq!(before, common::tree_bytes(&dir.join("output/s/tables")));

    // The probe-checked inverses and what depended on them are now unused: `clean --unused`
    // removes them and says how many bytes that freed.
    let artifacts = |root: &std::path::Path| -> std::collections::BTreeMap<String, u64> {
        let mut out = std::collections::BTreeMap::new();
        for kind in std::fs::read_dir(root.join("objects"))
            .expect("objects")
            .flatten()
        {
            for art in std::fs::read_dir(kind.path()).expect("kind").flatten() {
                let bytes = common::tree_bytes(&art.path())
                    .values()
                    .map(|b| b.len() as u64)
                    .sum();
                out.insert(art.path().display().to_string(), bytes);
            }
        }
        out
    };
    let cached = artifacts(&dir.join("c"));
    let (code, out, err) = common::gvc(&dir, &["clean", "--unused", "s.toml", "--cache", "c"]);
    assert_eq!(code, 0, "{err}");
    let left = artifacts(&dir.join("c"));
    let gone: Vec<u64> = cached
        .iter()
        .filter(|(p, _)| !left.contains_key(*p))
        .map(|(_, b)| *b)
        .collect();
    assert!(
        gone.len() >= 3,
        "the three probe-checked inverses at least: {out}"
    );
    let freed: u64 = gone.iter().sum();
    let kib = (freed as f64 / 1024.0).ceil();
    assert!(
        out.contains(&format!(
            "removed {} artifacts none of the 1 spec(s) uses ({kib:.0} KiB freed)",
            gone.len()
        )),
        "{out}"
    );
}
