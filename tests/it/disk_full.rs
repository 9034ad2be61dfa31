//! A full disk is reported as such, with the file and the fix, at every size at which the
//! demo runs out of room: while writing the plan, a table, a streamed WWZ file (whose parquet
//! writer words the failure as "Invalid thrift: transport error") or the output folder. Needs
//! a small tmpfs, so it runs where `mount -t tmpfs` is allowed (root, as in CI containers) and
//! says SKIPPED elsewhere.

use std::path::Path;
use std::process::Command;

use crate::common::{fresh_dir, gvc};

/// Mounts a tmpfs of `size` at `dir`; false when not permitted here.
fn mount_tmpfs(dir: &Path, size: &str) -> bool {
    std::fs::create_dir_all(dir).unwrap();
    Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn unmount(dir: &Path) {
    let _ = Command::new("umount").arg(dir).output();
}

#[test]
fn a_full_disk_is_named_with_its_fix_and_nothing_partial_is_published() {
    let root = fresh_dir("disk_full");
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/demo.toml");
    std::fs::copy(&spec, root.join("demo.toml")).unwrap();
    let small = root.join("small");
    if !mount_tmpfs(&small, "64k") {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root)");
        return;
    }
    unmount(&small);
    let mut seen = Vec::new();
    for size in ["200k", "1m", "3m", "5m"] {
        assert!(mount_tmpfs(&small, size));
        let cache = small.join("cache");
        let cache_arg = cache.to_string_lossy().into_owned();
        let (code, _, err) = gvc(&root, &["run", "demo.toml", "--cache", &cache_arg, "-q"]);
        let leftovers: Vec<_> = std::fs::read_dir(cache.join("tmp"))
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        unmount(&small);
        if code == 0 {
            continue;
        }
        assert_eq!(code, 1, "size {size}: {err}");
        assert!(
            err.contains("No space left on device") && err.contains("hint: the disk"),
            "size {size}: a full disk must be named, with the fix:\n{err}"
        );
        assert!(
            leftovers.is_empty(),
            "size {size}: temp files left: {leftovers:?}"
        );
        seen.push(size);
    }
    assert!(
        seen.len() >= 3,
        "the demo should fill these disks: {seen:?}"
    );

    // The output folder on a full disk: an error that names the file, and a folder that
    // does not look complete (no manifest; the publish journal is there).
    assert!(mount_tmpfs(&small, "100k"));
    let out = small.join("out");
    let out_arg = out.to_string_lossy().into_owned();
    let (code, _, err) = gvc(&root, &["run", "demo.toml", "--output", &out_arg, "-q"]);
    let manifest = out.join("manifest.json").exists();
    let journal = out.join(".gvc-publish.json").exists();
    unmount(&small);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("No space left on device") && err.contains(&out_arg),
        "{err}"
    );
    assert!(
        !manifest && journal,
        "an interrupted output must not look complete"
    );
}
