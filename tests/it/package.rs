//! `gvc package` and `gvc package --verify`: a replication package of a real study verifies,
//! a changed input or output byte is named, a synthetic study needs no data, and a source
//! without a redistributable licence stays out of the package (the README says where to get
//! it, and verify names it until it is there).

use std::path::{Path, PathBuf};

use crate::common::{self, fresh_dir, gvc, gvc_with_env};

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Changes the last digit of the first value on the second line of a CSV file that ends in
/// one (past the first column, so labels stay unique; the least significant digit, so the
/// table stays plausible): the file stays readable, its bytes change.
fn change_one_digit(p: &Path) {
    let mut bytes = std::fs::read(p).unwrap();
    let line = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let end = line + bytes[line..].iter().position(|&b| b == b'\n').unwrap();
    let i = (line..end)
        .filter(|&i| bytes[i - 1] != b'\n' && bytes[i] == b',' && bytes[i - 1].is_ascii_digit())
        .nth(1)
        .map(|i| i - 1)
        .expect("a value ending in a digit on line 2");
    bytes[i] = if bytes[i] == b'9' { b'8' } else { bytes[i] + 1 };
    std::fs::write(p, bytes).unwrap();
}

/// A small study reading files: labelled-CSV tables under a CC0 licence (copied), a covariate
/// file without a licence (not copied), and its own templates folder.
fn file_study() -> PathBuf {
    let dir = fresh_dir("package-files");
    common::write_study_inputs(
        &dir,
        5,
        &["AUS", "BRA", "CAN", "DEU"],
        2008..=2012,
        |_, _| {},
    );
    common::copy_builtin_templates(&dir);
    std::fs::write(
        dir.join("files.toml"),
        common::file_study_spec(
            "Packaged file study",
            "licence = \"CC0\"\ncitation = \"Synthetic tables written by the test.\"\n",
            "download = \"ask the authors for cov.csv (survey data, not redistributable)\"\n",
            "\"fe\", \"re\"",
        ),
    )
    .unwrap();
    dir
}

#[test]
fn licence_gating_keeps_unlicensed_data_out_and_verify_names_changed_bytes() {
    let dir = file_study();
    let (code, _, err) = gvc(&dir, &["package", "files.toml", "--out", "pkg", "-j", "2"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("running the study first"), "{err}");
    let pkg = dir.join("pkg");
    // The CC0 tables are in, the unlicensed covariate is not.
    assert!(pkg.join("data/mrio/io_2010.csv").is_file());
    assert!(!pkg.join("data/cov/cov.csv").exists());
    assert!(pkg.join("templates/files/report.md.tera").is_file());
    let readme = read(&pkg.join("README.md"));
    for section in [
        "## Overview",
        "## Data Availability and Provenance Statements",
        "## Computational requirements",
        "## Description of programs/code",
        "## Instructions to replicators",
        "## List of tables and figures",
    ] {
        assert!(readme.contains(section), "README lacks {section}");
    }
    assert!(readme.contains("ask the authors for cov.csv"), "{readme}");
    assert!(readme.contains("**Not included.**"), "{readme}");
    let cov_sha = gvc::package::checksums::file_sums(&dir.join("cov.csv"))
        .unwrap()
        .sha256;
    assert!(readme.contains("| `data/cov/cov.csv` | "), "{readme}");
    assert!(readme.contains(&cov_sha));
    let sums = read(&pkg.join("checksums.txt"));
    assert!(
        sums.contains(&format!("{cov_sha}  data/cov/cov.csv\n")),
        "{sums}"
    );
    // The packaged spec reads the package's folders.
    let spec = read(&pkg.join("specs/files.toml"));
    assert!(spec.contains("path = \"../data/mrio\""), "{spec}");
    assert!(spec.contains("path = \"../data/cov/cov.csv\""), "{spec}");
    assert!(
        spec.contains("templates = \"../templates/files\""),
        "{spec}"
    );

    // Without the covariate file, verify stops naming it and where to get it.
    let (code, _, err) = gvc(&dir, &["package", "--verify", "pkg"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("data/cov/cov.csv") && err.contains("ask the authors"),
        "{err}"
    );
    // A replicator adds it: everything matches.
    std::fs::create_dir_all(pkg.join("data/cov")).unwrap();
    std::fs::copy(dir.join("cov.csv"), pkg.join("data/cov/cov.csv")).unwrap();
    let (code, out, err) = gvc(&dir, &["package", "--verify", "pkg"]);
    assert_eq!(code, 0, "{out}{err}");

    // One input byte changed: named, and the outputs it changes too.
    let table = pkg.join("data/mrio/io_2010.csv");
    let original = std::fs::read(&table).unwrap();
    change_one_digit(&table);
    let (code, out, err) = gvc(&dir, &["package", "--verify", "pkg"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("differs: data/mrio/io_2010.csv"), "{out}");
    assert!(out.contains("differs: output/files/"), "{out}");
    std::fs::write(&table, original).unwrap();

    // One output byte changed: named, and nothing else.
    let summary = pkg.join("output/files/tables/io_summary.csv");
    change_one_digit(&summary);
    let (code, out, err) = gvc(&dir, &["package", "--verify", "pkg"]);
    assert_eq!(code, 1, "{out}{err}");
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("differs: ")).collect();
    assert_eq!(
        lines,
        ["differs: output/files/tables/io_summary.csv (the package's file differs from checksums.txt)"],
        "{out}"
    );
}

#[test]
fn a_synthetic_study_packages_and_verifies_without_data_and_packs_the_same_readme_twice() {
    let dir = fresh_dir("package-demo");
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/demo.toml");
    std::fs::copy(&demo, dir.join("demo.toml")).unwrap();
    let (code, _, err) = gvc(&dir, &["package", "demo.toml", "--out", "pkg", "-q"]);
    assert_eq!(code, 0, "{err}");
    let pkg = dir.join("pkg");
    assert!(!pkg.join("data").exists(), "a synthetic study has no data");
    let readme = read(&pkg.join("README.md"));
    assert!(readme.contains("every source is synthetic"), "{readme}");
    assert!(
        readme.contains("seed 2024") && readme.contains("seed 7"),
        "{readme}"
    );
    assert!(readme.contains("<!-- gvc:measured -->"));
    // Every regression table and figure is listed with its caption, files and command.
    assert!(
        readme.contains(
            "| tables/participation | table | Table 4. GVC participation | `output/demo/tables/participation.md`"
        ),
        "{readme}"
    );
    assert!(
        readme.contains("| figures/gvcl_over_time | figure | Figure 1. GVC position over time"),
        "{readme}"
    );
    let run_sh = read(&pkg.join("run.sh"));
    assert!(
        run_sh.contains("run specs/demo.toml --output output/demo"),
        "{run_sh}"
    );
    assert!(run_sh.contains(&format!("version={}", env!("CARGO_PKG_VERSION"))));

    // Packaging the same run again writes the same bytes (the study does not run again).
    let before = common::tree_bytes(&pkg);
    let (code, _, err) = gvc(&dir, &["package", "demo.toml", "--out", "pkg"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("running the study"), "{err}");
    assert!(
        before == common::tree_bytes(&pkg),
        "a second packaging changed bytes"
    );

    let (code, out, err) = gvc(&dir, &["package", "--verify", "pkg"]);
    assert_eq!(code, 0, "{out}{err}");

    // run.sh with an installed gvc regenerates the outputs and checks them.
    if std::process::Command::new("sha256sum")
        .arg("--version")
        .output()
        .is_ok()
    {
        let status = std::process::Command::new("sh")
            .arg(pkg.join("run.sh"))
            .env("GVC", common::gvc_bin())
            .env_remove("GVC_CACHE")
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}{}",
            String::from_utf8_lossy(&status.stdout),
            String::from_utf8_lossy(&status.stderr)
        );
    }
}

#[test]
fn a_folder_gvc_did_not_write_is_refused() {
    let dir = fresh_dir("package-refuse");
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/demo.toml");
    std::fs::copy(&demo, dir.join("demo.toml")).unwrap();
    std::fs::create_dir_all(dir.join("mine")).unwrap();
    std::fs::write(dir.join("mine/notes.txt"), "keep me").unwrap();
    let (code, _, err) = gvc(&dir, &["package", "demo.toml", "--out", "mine"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a package gvc wrote"), "{err}");
    assert_eq!(read(&dir.join("mine/notes.txt")), "keep me");
    let (code, _, err) = gvc(&dir, &["package", "--verify", "mine"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn the_wiod_study_packages_and_verifies() {
    let Some(shared) = common::shared_dir("the WIOD replication package (needs shared/data)")
    else {
        return;
    };
    let data = shared.join("data");
    if !data.join("wiod2013").is_dir() {
        eprintln!(
            "SKIPPED the WIOD replication package: {} has no wiod2013/",
            data.display()
        );
        return;
    }
    let dir = fresh_dir("package-wiod");
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/wiod_bri.toml");
    std::fs::copy(&spec, dir.join("wiod_bri.toml")).unwrap();
    let env = [("GVC_DATA", data.as_path())];
    let (code, _, err) = gvc_with_env(&dir, &["package", "wiod_bri.toml", "--out", "pkg"], &env);
    assert_eq!(code, 0, "{err}");
    let pkg = dir.join("pkg");
    // WIOD (GPL-3.0 as redistributed) and the WDI (CC BY 4.0) are both carried.
    for f in [
        "data/mrio/wiot_2007.csv",
        "data/mrio/wiot_2011.csv",
        "data/wdi/SE.TER.ENRR_WDI.csv",
    ] {
        assert!(pkg.join(f).is_file(), "{f} not in the package");
    }
    let readme = read(&pkg.join("README.md"));
    assert!(readme.contains("Timmer, M. P."), "{readme}");
    assert!(
        readme.contains("GPL-3.0") && readme.contains("CC-BY-4.0"),
        "{readme}"
    );
    let (code, out, err) = gvc(&dir, &["package", "--verify", "pkg"]);
    assert_eq!(code, 0, "{out}{err}");
    // One input byte changed: verify fails and names the file.
    change_one_digit(&pkg.join("data/wdi/NE.GDI.FTOT.ZS_WDI.csv"));
    let (code, out, err) = gvc(&dir, &["package", "--verify", "pkg"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("differs: data/wdi/NE.GDI.FTOT.ZS_WDI.csv"),
        "{out}"
    );
}
