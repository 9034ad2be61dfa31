//! Bad spec input through the real `gvc check` (issue #13): out-of-range and malformed years,
//! names that cannot be file names, template folders outside the study folder, and the
//! folder a relative path is taken from. Each problem is one message, at its place, with
//! the fix.

use crate::common::{fresh_dir, gvc_bin};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/demo.toml")
}

/// Runs `gvc` in `dir`, killed after `limit` (a hang fails the test instead of stalling it);
/// returns (exit code, stderr).
fn gvc_within(dir: &Path, args: &[&str], limit: Duration) -> (i32, String) {
    let mut child = std::process::Command::new(gvc_bin())
        .args(args)
        .current_dir(dir)
        .env_remove("GVC_CACHE")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start gvc");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait for gvc").is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gvc {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("gvc output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn check(dir: &Path, args: &[&str]) -> (i32, String) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    gvc_within(dir, &all, Duration::from_secs(60))
}

/// The error lines of a `gvc check` report.
fn errors(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains("error: ")).collect()
}

/// A spec that extends the demo and adds `body`: line 1 is `extends`, `body` starts on line 2.
fn child_spec(dir: &Path, file: &str, body: &str) {
    let text = format!("extends = {:?}\n{body}", demo().display().to_string());
    std::fs::write(dir.join(file), text).unwrap();
}

#[test]
fn a_huge_year_span_is_one_error_not_a_hang() {
    let dir = fresh_dir("years-huge");
    for (years, bad) in [
        ("[2010, 9999999]", "9999999"),
        ("[-5, 2012]", "-5"),
        ("[2010, 99999999999]", "99999999999"),
    ] {
        let (code, err) = check(
            &dir,
            &[
                demo().to_str().unwrap(),
                "--set",
                &format!("sample.years={years}"),
            ],
        );
        assert_eq!(code, 2, "{years}: {err}");
        let errs = errors(&err);
        assert_eq!(errs.len(), 1, "{years}: one error expected:\n{err}");
        assert!(
            errs[0].starts_with(&format!("--set sample.years={years}: error: "))
                && errs[0].contains(&format!("year {bad} is outside 1900–2100")),
            "{err}"
        );
        assert!(err.contains("help: "), "{err}");
    }
}

#[test]
fn each_out_of_range_year_is_one_error_at_that_year() {
    let dir = fresh_dir("years-range");
    // Line 2 `[sample]`, line 3 the years; robustness on lines 4–6; a synthetic source's
    // years on lines 7–9.
    child_spec(
        &dir,
        "s.toml",
        "[sample]\nexclude_years = [2009, 1850, 2300]\n\
         [[robustness]]\nname = \"r\"\nexclude_years = [12009]\n\
         [sources.mrio]\nformat = \"synthetic\"\nyears = [2007, 20017]\n",
    );
    let (code, err) = check(&dir, &["s.toml"]);
    assert_eq!(code, 2, "{err}");
    let errs = errors(&err);
    assert_eq!(errs.len(), 4, "{err}");
    for (place, year, key) in [
        ("s.toml:3:24:", "1850", "sample.exclude_years"),
        ("s.toml:3:30:", "2300", "sample.exclude_years"),
        ("s.toml:6:18:", "12009", "robustness.r.exclude_years"),
        ("s.toml:9:16:", "20017", "sources.mrio.years"),
    ] {
        assert!(
            errs.iter().any(|e| e.starts_with(place)
                && e.contains(&format!("`{key}`: year {year} is outside 1900–2100"))),
            "no error for {year} at {place}:\n{err}"
        );
    }
}

#[test]
fn a_malformed_years_value_is_one_message_at_its_place() {
    let dir = fresh_dir("years-malformed");
    let cases = [
        (
            "2010",
            "s.toml:3:1:",
            "found the single number 2010",
            "[2010, 2010]",
        ),
        ("[2010]", "s.toml:3:1:", "found 1 element", "[2010, 2010]"),
        (
            "[2010, 2011, 2012]",
            "s.toml:3:1:",
            "found 3 elements",
            "[2010, 2012]",
        ),
        (
            "\"2007-2017\"",
            "s.toml:3:1:",
            "found a string",
            "[2007, 2017]",
        ),
        (
            "[\"2007\", \"2017\"]",
            "s.toml:3:10:",
            "found the string \"2007\"",
            "without quotes",
        ),
        (
            "[2007.0, 2017.0]",
            "s.toml:3:10:",
            "whole years, found the number 2007.0",
            "`2007` without the decimal point",
        ),
        (
            "[2017, 2007]",
            "s.toml:3:1:",
            "is inverted: 2017 comes after 2007",
            "[2007, 2017]",
        ),
        ("[[2007], [2017]]", "s.toml:3:10:", "found an array", "2010"),
        (
            "{ first = 2007 }",
            "s.toml:3:1:",
            "found a table",
            "[2007, 2017]",
        ),
    ];
    for (value, place, message, fix) in cases {
        child_spec(&dir, "s.toml", &format!("[sample]\nyears = {value}\n"));
        let (code, err) = check(&dir, &["s.toml"]);
        assert_eq!(code, 2, "{value}: {err}");
        let errs = errors(&err);
        assert_eq!(errs.len(), 1, "{value}: one message expected:\n{err}");
        assert!(
            errs[0].starts_with(place)
                && errs[0].contains("`sample.years`")
                && errs[0].contains(message),
            "{value}: expected `{message}` at {place}:\n{err}"
        );
        assert!(
            err.contains("help: ") && err.contains(fix),
            "{value}: fix `{fix}`:\n{err}"
        );
        assert!(!err.contains("comes after -1"), "{value}: {err}");
    }
}

/// Replaces the name of the demo's second model (`name = "position"`) and checks the one
/// error is located there.
#[test]
fn model_names_that_cannot_be_file_names_are_located() {
    let dir = fresh_dir("model-names");
    let text = std::fs::read_to_string(demo()).unwrap();
    let line_of = |wanted: &str| {
        text.lines()
            .position(|l| l == wanted)
            .unwrap_or_else(|| panic!("demo has no line `{wanted}`"))
            + 1
    };
    let (line, robustness_line) = (
        line_of("name = \"position\""),
        line_of("name = \"excl-2009\""),
    );
    let cases = [
        ("", "is empty"),
        ("tables/position", "path separator `/`"),
        ("..\\\\x", "path separator `\\`"),
        ("..", "names a folder"),
        ("a\\tb", "control character U+0009"),
        ("CON", "Windows device name `CON`"),
        ("lpt1.tex", "Windows device name `LPT1`"),
        ("what?", "`?`, which Windows does not allow"),
        ("a<b", "`<`, which Windows does not allow"),
        ("trail.", "ends with `.`"),
        ("position ", "contains a space"),
        ("posición", "non-ASCII character `ó`"),
        (&"x".repeat(65), "65 bytes long; the limit is 64"),
        ("Participation", "differ only in letter case"),
        ("descriptives", "the report uses for its own tables"),
        (
            "participation_excl-2009",
            "both write `tables/participation_excl-2009.md`",
        ),
    ];
    for (name, message) in cases {
        let spec = text.replace("name = \"position\"", &format!("name = \"{name}\""));
        std::fs::write(dir.join("names.toml"), spec).unwrap();
        let (code, err) = check(&dir, &["names.toml"]);
        assert_eq!(code, 2, "{name:?}: {err}");
        let errs = errors(&err);
        assert_eq!(errs.len(), 1, "{name:?}: one error expected:\n{err}");
        // A clash of a robustness table is located at the robustness block's name.
        let place = if message.starts_with("both write") {
            format!("names.toml:{robustness_line}:1:")
        } else {
            format!("names.toml:{line}:1:")
        };
        assert!(
            errs[0].starts_with(&place) && errs[0].contains(message),
            "{name:?}: expected `{message}` at {place}:\n{err}"
        );
        assert!(err.contains("help: "), "{name:?}: {err}");
    }
}

#[test]
fn robustness_names_that_cannot_be_file_names_are_located() {
    let dir = fresh_dir("robustness-names");
    for (name, message) in [
        ("excl/2009", "path separator `/`"),
        ("NUL", "Windows device name `NUL`"),
        ("excl:2009", "`:`, which Windows"),
    ] {
        let (code, err) = check(
            &dir,
            &[
                demo().to_str().unwrap(),
                "--set",
                &format!("robustness.0.name=\"{name}\""),
            ],
        );
        assert_eq!(code, 2, "{err}");
        let errs = errors(&err);
        assert_eq!(errs.len(), 1, "{name}: {err}");
        assert!(
            errs[0].starts_with("--set robustness.0.name=")
                && errs[0].contains(&format!("robustness name `{name}`"))
                && errs[0].contains(message),
            "{err}"
        );
    }
    // Two blocks whose names differ only in case.
    child_spec(
        &dir,
        "twice.toml",
        "[[robustness]]\nname = \"Excl\"\nexclude_years = [2009]\n[[robustness]]\nname = \"excl\"\nexclude_years = [2010]\n",
    );
    let (code, err) = check(&dir, &["twice.toml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        errors(&err).iter().any(|e| e.starts_with("twice.toml:6:1:")
            && e.contains("`Excl` and `excl` differ only in letter case")),
        "{err}"
    );
}

#[test]
fn templates_outside_the_study_folder_need_the_spec_to_name_them() {
    let root = fresh_dir("templates-outside");
    let (study, shared) = (root.join("study"), root.join("shared"));
    std::fs::create_dir_all(shared.join("tpl")).unwrap();
    std::fs::create_dir_all(&study).unwrap();
    // A parent spec in another folder names its own templates: not the study's choice.
    let parent = std::fs::read_to_string(demo()).unwrap() + "templates = \"tpl\"\n";
    std::fs::write(shared.join("base.toml"), parent).unwrap();
    std::fs::write(study.join("s.toml"), "extends = \"../shared/base.toml\"\n").unwrap();
    let (code, err) = check(&root, &["study/s.toml"]);
    assert_eq!(code, 2, "{err}");
    let errs = errors(&err);
    assert_eq!(errs.len(), 1, "{err}");
    assert!(
        errs[0].contains("base.toml:")
            && errs[0].contains("`report.templates` resolves to")
            && errs[0].contains("outside the study folder"),
        "{err}"
    );
    assert!(
        err.contains("under `[report]` in study/s.toml") && err.contains("--set report.templates="),
        "the help says how to allow it: {err}"
    );
    // Named by the spec itself, or on the command line, the same folder is used.
    std::fs::write(
        study.join("named.toml"),
        "extends = \"../shared/base.toml\"\n[report]\ntemplates = \"../shared/tpl\"\n",
    )
    .unwrap();
    let (code, err) = check(&root, &["study/named.toml"]);
    assert_eq!(code, 0, "{err}");
    let (code, err) = check(
        &root,
        &["study/s.toml", "--set", "report.templates=shared/tpl"],
    );
    assert_eq!(code, 0, "{err}");
}

#[cfg(unix)]
#[test]
fn a_default_templates_link_leaving_the_study_folder_is_refused() {
    let root = fresh_dir("templates-link");
    let study = root.join("study");
    std::fs::create_dir_all(root.join("elsewhere")).unwrap();
    std::fs::create_dir_all(&study).unwrap();
    std::fs::copy(demo(), study.join("d.toml")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", study.join("templates")).unwrap();
    let (code, err) = check(&root, &["study/d.toml"]);
    assert_eq!(code, 2, "{err}");
    let errs = errors(&err);
    assert_eq!(errs.len(), 1, "{err}");
    assert!(
        errs[0].starts_with("study/d.toml:1:1:")
            && errs[0].contains("default template folder")
            && errs[0].contains("outside the study folder"),
        "{err}"
    );
    assert!(err.contains("templates = \"templates\""), "{err}");
    // Naming it in the spec allows it.
    let named = std::fs::read_to_string(demo()).unwrap() + "templates = \"templates\"\n";
    std::fs::write(study.join("d.toml"), named).unwrap();
    let (code, err) = check(&root, &["study/d.toml"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_relative_path_names_the_folder_it_was_taken_from() {
    let root = fresh_dir("set-path");
    let study = root.join("study");
    std::fs::create_dir_all(&study).unwrap();
    std::fs::copy(demo(), study.join("d.toml")).unwrap();
    let cwd = root.canonicalize().unwrap();
    // On the command line: relative to the current folder.
    let (code, err) = check(
        &root,
        &[
            "study/d.toml",
            "--set",
            "sources.mrio.format=\"labelled-csv\"",
            "--set",
            "sources.mrio.path=tables",
        ],
    );
    assert_eq!(code, 2, "{err}");
    let line = errors(&err)
        .into_iter()
        .find(|e| e.contains("`sources.mrio.path`"))
        .unwrap_or_else(|| panic!("{err}"))
        .to_string();
    assert!(
        line.starts_with("--set sources.mrio.path=tables: error: "),
        "{err}"
    );
    assert!(
        line.contains(&format!("{} does not exist", cwd.join("tables").display())),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "resolved against the current folder, as for every `--set` value: {}",
            cwd.display()
        )),
        "{err}"
    );
    // The same folder existing in the current folder is found there.
    std::fs::create_dir_all(root.join("tables")).unwrap();
    let (_, err) = check(
        &root,
        &[
            "study/d.toml",
            "--set",
            "sources.mrio.format=\"labelled-csv\"",
            "--set",
            "sources.mrio.path=tables",
        ],
    );
    assert!(!err.contains("`sources.mrio.path`"), "{err}");
    // In a file: relative to that file's folder, and the message says so.
    std::fs::write(
        study.join("p.toml"),
        "extends = \"d.toml\"\n[sources.mrio]\nformat = \"labelled-csv\"\npath = \"tables\"\n",
    )
    .unwrap();
    let (code, err) = check(&root, &["study/p.toml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("study/p.toml:4:1: error: `sources.mrio.path`")
            && err.contains(&format!(
                "resolved against the folder of p.toml, which writes it: {}",
                cwd.join("study").display()
            )),
        "{err}"
    );
    // `extends` cannot come from the command line: refused, not ignored.
    let (code, err) = check(&root, &["study/d.toml", "--set", "extends=\"p.toml\""]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "--set extends=\"p.toml\": error: `extends` cannot be set on the command line"
        ),
        "{err}"
    );
}
