//! `gvc init DIR`: a new study folder that runs as is — a commented spec on the synthetic
//! source, the built-in templates copied for editing, and a README.

use std::path::{Path, PathBuf};

use clap::Args;

use super::Failure;

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Folder to create (must not exist or be empty).
    pub dir: PathBuf,
}

/// The demo spec, shipped in the binary: it runs anywhere on synthetic data.
const STUDY_SPEC: &str = include_str!("../../specs/demo.toml");

fn readme(name: &str) -> String {
    format!(
        "# {name}\n\n\
A gvc study. It runs as is on synthetic data:\n\n\
```sh\n\
gvc check study.toml     # validate and show the plan\n\
gvc run study.toml       # results in output/study/\n\
```\n\n\
Then point `[sources.mrio]` at real tables (`adb-xlsx`, `icio-csv`, `labelled-csv`), add\n\
covariate sources (`wdi-csv`, `csv`), and edit `[variables]` and `[[models]]`.\n\
`templates/` holds copies of the built-in report templates: edit them and re-run; only the\n\
report is re-rendered. Delete a file there to go back to the built-in one.\n"
    )
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    crate::engine::atomic::write_atomic(path, text.as_bytes())
        .map_err(|e| Failure::Run(format!("cannot write {}: {e}", path.display())))
}

pub fn init(a: &InitArgs) -> Result<(), Failure> {
    if a.dir.exists() && !a.dir.is_dir() {
        return Err(Failure::Spec(format!(
            "error: {} is a file; gvc init makes a study folder: name a new folder",
            a.dir.display()
        )));
    }
    if a.dir.exists() {
        let empty = std::fs::read_dir(&a.dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty {
            return Err(Failure::Spec(format!(
                "error: {} exists and is not empty; choose a new folder",
                a.dir.display()
            )));
        }
    }
    let name = a
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "study".into());
    write(&a.dir.join("study.toml"), STUDY_SPEC)?;
    write(&a.dir.join("README.md"), &readme(&name))?;
    for (file, text) in crate::report::BUILTIN_TEMPLATES.iter() {
        write(&a.dir.join("templates").join(file), text)?;
    }
    println!(
        "created {}: study.toml, README.md, templates/",
        a.dir.display()
    );
    println!("next: gvc run {}", a.dir.join("study.toml").display());
    Ok(())
}
