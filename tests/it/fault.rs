//! Fault test: SIGKILL at random moments of a re-run over an existing output folder, 20 seeds.
//! After every kill the folder either has no manifest (visibly incomplete) or is exactly a
//! complete state (the old run's or the new run's, every file as its manifest says); every
//! resumed run ends byte-identical to a clean run of the same spec. (Temporary files, named
//! `.<file>.gvc-tmp-<host>-<pid>-…`, are not part of an output.)

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{self, fresh_dir, gvc, tree_bytes};

/// A deterministic stream of numbers in [0, 1) from a seed (SplitMix64).
fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn copy_tree(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    for e in walkdir::WalkDir::new(from).into_iter().flatten() {
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

const NEW: &str = "sources.mrio.seed=2025";

#[test]
fn killed_reruns_never_look_complete_and_resume_byte_identical() {
    let root = fresh_dir("fault");
    let spec = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/demo.toml");
    // The clean reference of the new spec, in its own folder.
    let reference = root.join("reference");
    std::fs::create_dir_all(&reference).unwrap();
    std::fs::copy(&spec, reference.join("demo.toml")).unwrap();
    let start = Instant::now();
    let (code, _, err) = gvc(&reference, &["run", "demo.toml", "--set", NEW, "-q"]);
    assert_eq!(code, 0, "{err}");
    let full = start.elapsed();
    let new_tree = tree_bytes(&reference.join("output/demo"));
    // The old state: the demo as it is, complete, and its cache.
    let base = root.join("base");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::copy(&spec, base.join("demo.toml")).unwrap();
    let (code, _, err) = gvc(&base, &["run", "demo.toml", "-q"]);
    assert_eq!(code, 0, "{err}");
    let old_tree = tree_bytes(&base.join("output/demo"));
    assert_ne!(old_tree, new_tree);

    let work = root.join("work");
    let (mut incomplete, mut complete_old, mut complete_new) = (0, 0, 0);
    for seed in 0..20u64 {
        copy_tree(&base, &work);
        let mut next = uniform(seed);
        // Half the seeds re-run on a warm cache (kills land while outputs are published),
        // half on the old cache only (kills land while stages compute).
        if seed % 2 == 1 {
            copy_tree(&reference.join(".gvc-cache"), &work.join(".gvc-cache"));
        }
        let window = if seed % 2 == 1 {
            Duration::from_millis(400)
        } else {
            full
        };
        let delay = window.mul_f64(next());
        let mut child = std::process::Command::new(common::gvc_bin())
            .args(["run", "demo.toml", "--set", NEW, "-q"])
            .current_dir(&work)
            .env_remove("GVC_CACHE")
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let out = work.join("output/demo");
        if out.join("manifest.json").exists() {
            gvc::engine::publish::verify(&out).unwrap_or_else(|e| {
                panic!("seed {seed}: a folder with a manifest is damaged: {e}")
            });
            // Temporary files (gvc's `….gvc-tmp-<host>-<pid>-…` names) are not part of an
            // output; the next run removes those of a dead writer.
            let mut now = tree_bytes(&out);
            now.retain(|k, _| {
                let name = k.rsplit('/').next().unwrap_or(k);
                gvc::engine::atomic::temp_owner(name).is_none()
            });
            if now == old_tree {
                complete_old += 1;
            } else if now == new_tree {
                complete_new += 1;
            } else {
                let stray: Vec<&String> = now
                    .keys()
                    .filter(|k| old_tree.get(*k) != now.get(*k) && new_tree.get(*k) != now.get(*k))
                    .collect();
                panic!("seed {seed}: the folder looks complete but mixes two runs: {stray:?}");
            }
        } else {
            incomplete += 1;
        }
        let (code, _, err) = gvc(&work, &["run", "demo.toml", "--set", NEW, "-q"]);
        assert_eq!(code, 0, "seed {seed}: resumed run failed: {err}");
        let resumed = tree_bytes(&out);
        assert_eq!(
            resumed.keys().collect::<Vec<_>>(),
            new_tree.keys().collect::<Vec<_>>(),
            "seed {seed}"
        );
        for (k, v) in &resumed {
            assert!(
                v == &new_tree[k],
                "seed {seed}: {k} differs from a clean run"
            );
        }
    }
    eprintln!(
        "20 kills: {incomplete} left the folder incomplete, {complete_old} before publishing \
         began, {complete_new} after it finished; every resumed run equals a clean run"
    );
}
