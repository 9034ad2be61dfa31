//! Runs docs/tutorial.md word for word (after its build step) in a fresh folder.

use crate::common;

#[test]
fn tutorial_commands_work() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/tutorial.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in doc.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```sh") => current = Some(Vec::new()),
            (Some(_), l) if l.starts_with("```") => blocks.push(current.take().unwrap()),
            (Some(b), l) => b.push(l.to_string()),
            _ => {}
        }
    }
    assert!(blocks.len() >= 5, "tutorial has {} sh blocks", blocks.len());
    let bin_dir = common::gvc_bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let has_pdflatex = std::process::Command::new("pdflatex")
        .arg("--version")
        .output()
        .is_ok();
    let mut cwd = common::fresh_dir("tutorial");
    // The first block builds gvc; the test uses the binary cargo built.
    for block in &blocks[1..] {
        for line in block {
            let cmd = line.split(" #").next().unwrap().trim();
            if cmd.is_empty() {
                continue;
            }
            if let Some(dir) = cmd.strip_prefix("cd ") {
                cwd = cwd.join(dir.trim());
                cwd = cwd
                    .canonicalize()
                    .unwrap_or_else(|e| panic!("cd {dir}: {e}"));
                continue;
            }
            if cmd.starts_with("pdflatex") && !has_pdflatex {
                eprintln!("SKIPPED `{cmd}`: pdflatex not on PATH");
                continue;
            }
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .current_dir(&cwd)
                .env("PATH", &path)
                .env_remove("GVC_CACHE")
                .output()
                .unwrap();
            let code = out.status.code().unwrap_or(-1);
            let ok = if cmd.starts_with("gvc diff") {
                code == 0 || code == 1
            } else {
                code == 0
            };
            assert!(
                ok,
                "`{cmd}` in {} exited {code}\nstdout:\n{}\nstderr:\n{}",
                cwd.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let diff = std::fs::read_to_string(cwd.join("diff.md")).unwrap();
    assert!(diff.contains("sample.exclude_years"), "{diff}");
    assert!(diff.contains("## Coefficients"), "{diff}");
}
