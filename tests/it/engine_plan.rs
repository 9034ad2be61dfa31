//! Engine v2: the plan (`gvc plan --json`), the one-stage worker (`gvc stage run KEY`)
//! reproducing `gvc run` byte for byte, key completeness (every parameter, every byte of every
//! file a stage reads, and the version change the key; a label changes only the report), and
//! the estimates of the example studies against the values recorded before the refactor.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{self, fresh_dir, gvc, read_json, rel_diff};
use gvc::engine::hashing::FileHasher;
use gvc::engine::key::Key;
use gvc::engine::plan::{build, Plan};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A study that reads files: labelled-CSV tables (2010–2012), a covariate CSV, and a copy of
/// the built-in templates, with FE and RE and a Hausman test.
fn file_study(tag: &str) -> PathBuf {
    let dir = fresh_dir(tag);
    common::write_study_inputs(
        &dir,
        11,
        &["AUS", "BRA", "CAN", "DEU"],
        2008..=2012,
        |_, _| {},
    );
    common::copy_builtin_templates(&dir);
    std::fs::write(
        dir.join("files.toml"),
        common::file_study_spec("files", "", "", "\"fe\", \"re\""),
    )
    .unwrap();
    dir
}

fn plan_of(spec: &Path, set: &[&str]) -> Plan {
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    let spec = gvc::spec::load_spec(spec, &set).unwrap_or_else(|d| panic!("{d}"));
    build(&spec, &FileHasher::new(None))
        .unwrap_or_else(|d| panic!("{d}"))
        .0
}

/// kind/instance → key.
fn keys(plan: &Plan) -> BTreeMap<String, Key> {
    plan.instances
        .iter()
        .map(|i| (i.id(), i.key.clone()))
        .collect()
}

/// Every leaf of a JSON value, by path, with a changed copy of the whole value.
fn mutations(v: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    fn walk(
        root: &serde_json::Value,
        path: &mut Vec<serde_json::Value>,
        cur: &serde_json::Value,
        out: &mut Vec<(String, serde_json::Value)>,
    ) {
        use serde_json::Value as J;
        match cur {
            J::Object(m) => {
                for (k, x) in m {
                    path.push(J::String(k.clone()));
                    walk(root, path, x, out);
                    path.pop();
                }
            }
            J::Array(a) if !a.is_empty() => {
                for (i, x) in a.iter().enumerate() {
                    path.push(J::from(i));
                    walk(root, path, x, out);
                    path.pop();
                }
            }
            leaf => {
                let changed = match leaf {
                    J::Null => J::from(1),
                    J::Bool(b) => J::Bool(!b),
                    J::Number(n) => J::from(n.as_f64().unwrap_or(0.0) + 1.0),
                    J::String(s) => J::String(format!("{s}x")),
                    _ => J::Null,
                };
                let mut copy = root.clone();
                let mut slot = &mut copy;
                for seg in path.iter() {
                    slot = match seg {
                        J::String(k) => &mut slot[k.as_str()],
                        J::Number(i) => &mut slot[i.as_u64().unwrap() as usize],
                        _ => unreachable!(),
                    };
                }
                *slot = changed;
                let name = path
                    .iter()
                    .map(|s| s.to_string().trim_matches('"').to_string())
                    .collect::<Vec<_>>()
                    .join(".");
                out.push((name, copy));
            }
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), v, &mut out);
    out
}

/// For every stage kind (demo and a study reading files and templates), changing any single
/// parameter, or the version, changes the key.
#[test]
fn every_parameter_and_the_version_are_in_the_key() {
    let dir = file_study("keys-params");
    let mut plans = vec![plan_of(&dir.join("files.toml"), &[])];
    plans.push(plan_of(&repo().join("specs/demo.toml"), &[]));
    let mut kinds = std::collections::BTreeSet::new();
    let mut checked = 0usize;
    for plan in &plans {
        for inst in &plan.instances {
            kinds.insert(inst.kind.name());
            let params = inst.stage.params();
            let version = inst.stage.version();
            let kind = inst.kind.name();
            assert_eq!(Key::of(kind, version, &params), inst.key, "{}", inst.id());
            assert_ne!(
                Key::of(kind, version + 1, &params),
                inst.key,
                "{}",
                inst.id()
            );
            for (path, changed) in mutations(&params) {
                assert_ne!(
                    Key::of(kind, version, &changed),
                    inst.key,
                    "{}: changing `{path}` left the key alone",
                    inst.id()
                );
                checked += 1;
            }
        }
    }
    assert_eq!(kinds.len(), 8, "every stage kind was checked: {kinds:?}");
    eprintln!("{checked} single-parameter changes, each changed its key");
}

/// Changing a byte of an input table, of the covariate file or of a template changes the key
/// of exactly the stages that read it and their downstream; a label changes only the report.
#[test]
fn file_bytes_change_keys_and_labels_change_only_the_report() {
    let dir = file_study("keys-files");
    let spec = dir.join("files.toml");
    let base = keys(&plan_of(&spec, &[]));
    let changed = |a: &BTreeMap<String, Key>, b: &BTreeMap<String, Key>| -> Vec<String> {
        a.iter()
            .filter(|(id, k)| b.get(*id) != Some(*k))
            .map(|(id, _)| id.clone())
            .collect()
    };
    // A digit of a data cell (same size), below the header.
    let flip = |p: &Path| {
        let mut b = std::fs::read(p).unwrap();
        // A digit of a data cell, below the header line.
        let body = b.iter().position(|c| *c == b'\n').unwrap();
        let i = body
            + b[body..]
                .iter()
                .position(|c| c.is_ascii_digit() && *c != b'9')
                .unwrap();
        b[i] += 1;
        std::fs::write(p, b).unwrap();
    };
    flip(&dir.join("tables/io_2010.csv"));
    let after = keys(&plan_of(&spec, &[]));
    let moved = changed(&base, &after);
    for id in [
        "io_tables/2010",
        "leontief/2010",
        "decompose/2010",
        "panel/main",
        "report/report",
    ] {
        assert!(
            moved.contains(&id.to_string()),
            "{id} kept its key: {moved:?}"
        );
    }
    assert!(!moved.iter().any(|id| id.ends_with("/2011")), "{moved:?}");

    let base = after;
    flip(&dir.join("cov.csv"));
    let after = keys(&plan_of(&spec, &[]));
    let moved = changed(&base, &after);
    assert!(moved.contains(&"covariates/cov".to_string()), "{moved:?}");
    assert!(
        !moved.iter().any(|id| id.starts_with("io_tables")),
        "{moved:?}"
    );

    let base = after;
    let t = dir.join("templates/table.md.tera");
    let mut text = std::fs::read_to_string(&t).unwrap();
    text.push('\n');
    std::fs::write(&t, text).unwrap();
    let after = keys(&plan_of(&spec, &[]));
    assert_eq!(changed(&base, &after), vec!["report/report".to_string()]);

    // A symlinked template: the target's bytes are keyed.
    #[cfg(unix)]
    {
        let base = after.clone();
        std::fs::create_dir_all(dir.join("templates/parts")).unwrap();
        let real = dir.join("templates/parts/real.tera");
        std::fs::write(&real, "{# v1 #}").unwrap();
        std::os::unix::fs::symlink(&real, dir.join("templates/extra.tera")).unwrap();
        let with_link = keys(&plan_of(&spec, &[]));
        assert_eq!(
            changed(&base, &with_link),
            vec!["report/report".to_string()]
        );
        std::fs::write(&real, "{# v2 #}").unwrap();
        let edited = keys(&plan_of(&spec, &[]));
        assert_eq!(
            changed(&with_link, &edited),
            vec!["report/report".to_string()],
            "editing the link's target re-keys the report"
        );
    }

    // A label and the report's digits: only the report.
    let base = keys(&plan_of(&spec, &[]));
    let relabelled = keys(&plan_of(
        &spec,
        &["variables.x1.label=\"Another label\"", "report.digits=5"],
    ));
    assert_eq!(
        changed(&base, &relabelled),
        vec!["report/report".to_string()]
    );
}

fn run_ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = gvc(dir, args);
    assert_eq!(code, 0, "gvc {args:?}: {err}");
    out
}

/// `gvc plan --json` lists every instance; running each key with `gvc stage run` in plan order
/// on an empty cache, then `gvc run`, gives byte for byte the outputs of a plain `gvc run`.
#[test]
fn the_worker_reproduces_a_run_byte_for_byte() {
    for (tag, spec) in [("worker-demo", None), ("worker-files", Some("files.toml"))] {
        let dir = match spec {
            Some(_) => file_study(tag),
            None => {
                let d = fresh_dir(tag);
                std::fs::copy(repo().join("specs/demo.toml"), d.join("demo.toml")).unwrap();
                d
            }
        };
        let spec = spec.unwrap_or("demo.toml");
        let out = run_ok(&dir, &["plan", spec, "--json", "--write", "--cache", "c1"]);
        let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
        let instances = plan.as_array().unwrap();
        for i in instances {
            for field in ["kind", "instance", "key", "deps", "params"] {
                assert!(i.get(field).is_some(), "{field} missing in {i}");
            }
        }
        if spec == "demo.toml" {
            assert_eq!(instances.len(), 97, "the demo's instances");
        }
        for i in instances {
            let key = i["key"].as_str().unwrap();
            run_ok(&dir, &["stage", "run", key, "--cache", "c1"]);
        }
        // A second time: already there, exit 0.
        let (code, _, err) = gvc(
            &dir,
            &[
                "stage",
                "run",
                instances[0]["key"].as_str().unwrap(),
                "--cache",
                "c1",
            ],
        );
        assert_eq!(code, 0);
        assert!(err.contains("already in the cache"), "{err}");
        let (code, _, err) = gvc(&dir, &["run", spec, "--cache", "c1", "--output", "o1"]);
        assert_eq!(code, 0, "{err}");
        assert!(
            err.contains("all ") && err.contains("stages cached"),
            "{err}"
        );
        run_ok(&dir, &["run", spec, "--cache", "c2", "--output", "o2"]);
        common::assert_same_tree(&dir.join("o1"), &dir.join("o2"));
    }
}

/// The worker's errors: a malformed key and an unplanned key are usage errors (exit 2); a
/// dependency missing from the cache names it.
#[test]
fn the_worker_names_what_is_missing() {
    let dir = fresh_dir("worker-errors");
    std::fs::copy(repo().join("specs/demo.toml"), dir.join("demo.toml")).unwrap();
    let (code, _, err) = gvc(&dir, &["stage", "run", "nonsense", "--cache", "c"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a stage key"), "{err}");
    let out = run_ok(
        &dir,
        &["plan", "demo.toml", "--json", "--write", "--cache", "c"],
    );
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    let leontief = plan
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "leontief")
        .unwrap();
    let (code, _, err) = gvc(
        &dir,
        &[
            "stage",
            "run",
            leontief["key"].as_str().unwrap(),
            "--cache",
            "c",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("io_tables artifact") && err.contains("not in the cache"),
        "{err}"
    );
    let unknown = "0".repeat(64);
    let (code, _, err) = gvc(&dir, &["stage", "run", &unknown, "--cache", "c"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no plan entry"), "{err}");
}

/// Estimates of `specs/demo.toml` and `specs/wiod_bri.toml` equal the values recorded before
/// the engine refactor (tests/fixtures/pre_refactor, from gvc 9001ca4) at 1e-12.
#[test]
fn estimates_equal_the_pre_refactor_values() {
    let mut studies = vec![("demo", repo().join("specs/demo.toml"))];
    if common::shared_dir("wiod_bri estimates against pre-refactor values").is_some() {
        studies.push(("wiod_bri", repo().join("specs/wiod_bri.toml")));
    }
    for (name, spec) in studies {
        let dir = fresh_dir(&format!("pre-{name}"));
        let spec_arg = spec.display().to_string();
        let (code, _, err) = gvc(
            &dir,
            &["run", &spec_arg, "--cache", "c", "--output", "o", "-q"],
        );
        assert_eq!(code, 0, "{err}");
        let now = read_json(&dir.join("o/results.json"));
        let before = read_json(&repo().join(format!("tests/fixtures/pre_refactor/{name}.json")));
        let mut index = BTreeMap::new();
        for e in now["estimates"].as_array().unwrap() {
            index.insert(
                (
                    e["variant"].to_string(),
                    e["model"].to_string(),
                    e["column"].to_string(),
                ),
                e,
            );
        }
        let (mut compared, mut worst) = (0usize, 0.0f64);
        for b in before["estimates"].as_array().unwrap() {
            let id = (
                b["variant"].to_string(),
                b["model"].to_string(),
                b["column"].to_string(),
            );
            let e = index
                .get(&id)
                .unwrap_or_else(|| panic!("{name}: {id:?} missing"));
            assert_eq!(e["n_obs"], b["n_obs"], "{name} {id:?}");
            let coefs = e["coefficients"].as_array().unwrap();
            for row in b["coefficients"].as_array().unwrap() {
                let c = coefs
                    .iter()
                    .find(|c| c["name"] == row[0])
                    .unwrap_or_else(|| panic!("{name} {id:?}: {} missing", row[0]));
                for (k, field) in [(1, "estimate"), (2, "std_error"), (3, "p_value")] {
                    let (x, y) = (c[field].as_f64(), row[k].as_f64());
                    match (x, y) {
                        (Some(x), Some(y)) => {
                            let r = rel_diff(x, y);
                            worst = worst.max(r);
                            assert!(r <= 1e-12, "{name} {id:?} {} {field}: {x} vs {y}", row[0]);
                            compared += 1;
                        }
                        (None, None) => {}
                        other => panic!("{name} {id:?} {} {field}: {other:?}", row[0]),
                    }
                }
            }
        }
        eprintln!("{name}: {compared} numbers equal the pre-refactor values (worst {worst:e})");
        assert!(compared > 100);
    }
}
