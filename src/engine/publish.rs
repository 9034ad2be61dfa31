//! Publishing a run's outputs into `output/<spec>/` so that a folder either is complete or
//! visibly is not, and so that gvc never removes or overwrites a file it did not write.
//!
//! The protocol, in order:
//! 1. The folder must be gvc's: absent, empty, holding a `manifest.json` or a publishing
//!    journal of an interrupted run, or (written by a gvc before manifests) a `run.json`.
//! 2. gvc's files are those listed by the manifest and the journal. A new file whose path
//!    holds a file gvc did not write is an error naming it; the user's files are never touched.
//! 3. The journal (`.gvc-publish.json`: every file gvc owns, old and new) is written and the
//!    manifest removed: from here until step 6 the folder has no manifest, i.e. it is
//!    incomplete, and a killed run leaves it so.
//! 4. Every file is written atomically (temporary name, then rename).
//! 5. Files of the previous run that this run does not produce are removed (gvc's only).
//! 6. `manifest.json` (every file with its blake3) is written last, then the journal removed.
//!
//! Readers of an output folder (`gvc diff`) accept it only with a manifest whose files all
//! exist with their recorded hashes ([`verify`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::atomic::{copy_atomic, owner_may_be_alive, temp_owner, write_atomic};

/// The manifest of a complete output folder.
pub const MANIFEST: &str = "manifest.json";
/// The journal of a publication in progress.
pub const JOURNAL: &str = ".gvc-publish.json";

/// What a file of the output holds.
#[derive(Debug, Clone)]
pub enum Content {
    Bytes(Vec<u8>),
    /// A copy of a cache file (streamed, not held in memory).
    Copy(PathBuf),
}

/// One output file: its path relative to the output folder (with `/`) and its content.
#[derive(Debug, Clone)]
pub struct OutputFile {
    pub path: String,
    pub content: Content,
}

impl OutputFile {
    pub fn bytes(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        OutputFile {
            path: path.into(),
            content: Content::Bytes(bytes.into()),
        }
    }
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub gvc_version: String,
    /// Relative path → blake3 of the file.
    pub files: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Journal {
    owned: BTreeSet<String>,
}

/// Why outputs could not be published or read.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{} holds files gvc did not write ({why}); gvc writes outputs only into a \
         new or empty folder or one it wrote before: choose another `--output` or `[study] output`, \
         or move the folder away",
        dir.display()
    )]
    NotOurs { dir: PathBuf, why: String },
    #[error(
        "{} is a file, not a folder: outputs are a folder (fix: choose another `--output` or \
         `[study] output`, or move the file away)",
        dir.display()
    )]
    NotAFolder { dir: PathBuf },
    #[error(
        "{} exists and was not written by gvc; gvc does not overwrite it: move it away or \
         choose another output folder",
        path.display()
    )]
    WouldOverwrite { path: PathBuf },
    #[error("output path `{path}` leaves the output folder")]
    BadPath { path: String },
    #[error(
        "{} is incomplete (no {MANIFEST}: a run writing it was interrupted or failed); run the \
         spec again to complete it",
        dir.display()
    )]
    Incomplete { dir: PathBuf },
    #[error("{}: {message}; run the spec again to rewrite it", path.display())]
    Damaged { path: PathBuf, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The file at a relative output path, refusing paths that leave the folder.
fn place(dir: &Path, rel: &str) -> Result<PathBuf, PublishError> {
    let p = Path::new(rel);
    let ok = !rel.is_empty()
        && p.components().all(|c| matches!(c, Component::Normal(_)))
        && rel != MANIFEST
        && rel != JOURNAL;
    if !ok {
        return Err(PublishError::BadPath {
            path: rel.to_string(),
        });
    }
    Ok(dir.join(p))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}

/// Why a folder's manifest does not make it gvc's: it has none, or the file is not a manifest
/// gvc wrote.
fn manifest_problem(path: &Path) -> String {
    match std::fs::read(path) {
        Err(_) => format!("it has no {MANIFEST}"),
        Ok(bytes) => match serde_json::from_slice::<Manifest>(&bytes) {
            Err(e) => format!("its {MANIFEST} is not one gvc wrote: {e}"),
            Ok(_) => format!("its {MANIFEST} cannot be used"),
        },
    }
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut h = blake3::Hasher::new();
    h.update_reader(std::fs::File::open(path)?)?;
    Ok(h.finalize().to_hex().to_string())
}

/// Every regular file under `dir`, relative with `/` (the manifest and journal left out).
fn files_under(dir: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .flatten()
        .filter(|e| !e.file_type().is_dir())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(dir).ok()?;
            let s = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            (s != MANIFEST && s != JOURNAL).then_some(s)
        })
        .collect()
}

/// The files gvc owns in an existing output folder, or an error when the folder is not gvc's.
fn owned_files(dir: &Path, new: &BTreeSet<String>) -> Result<BTreeSet<String>, PublishError> {
    if !dir.exists() {
        return Ok(BTreeSet::new());
    }
    if !dir.is_dir() {
        return Err(PublishError::NotAFolder {
            dir: dir.to_path_buf(),
        });
    }
    let mut owned = BTreeSet::new();
    let manifest: Option<Manifest> = read_json(&dir.join(MANIFEST));
    let journal: Option<Journal> = read_json(&dir.join(JOURNAL));
    let known = manifest.is_some() || journal.is_some();
    if let Some(m) = manifest {
        owned.extend(m.files.into_keys());
    }
    if let Some(j) = journal {
        owned.extend(j.owned);
    }
    let present = files_under(dir);
    if !known {
        let legacy = read_json::<serde_json::Value>(&dir.join("run.json"))
            .is_some_and(|v| v.get("gvc_version").is_some());
        if legacy {
            // A folder written before manifests: the files this run rewrites were gvc's; any
            // other file is left alone.
            owned.extend(present.intersection(new).cloned());
        } else if !present.is_empty() {
            return Err(PublishError::NotOurs {
                dir: dir.to_path_buf(),
                why: manifest_problem(&dir.join(MANIFEST)),
            });
        }
    }
    Ok(owned)
}

/// Removes the temporary files a killed gvc left in the folder: names of gvc's own pattern
/// whose writer is gone (anything else is left alone).
fn remove_dead_temps(dir: &Path) {
    for e in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
    {
        let name = e.file_name().to_string_lossy();
        if temp_owner(&name).is_some_and(|o| !owner_may_be_alive(&o)) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Publishes `files` into `dir` by the protocol of the module documentation.
pub fn publish(dir: &Path, files: &[OutputFile]) -> Result<Manifest, PublishError> {
    let new: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
    for f in files {
        place(dir, &f.path)?;
    }
    let owned = owned_files(dir, &new)?;
    remove_dead_temps(dir);
    for rel in &new {
        let p = place(dir, rel)?;
        if p.symlink_metadata().is_ok() && !owned.contains(rel) {
            return Err(PublishError::WouldOverwrite { path: p });
        }
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let journal = Journal {
        owned: owned.union(&new).cloned().collect(),
    };
    let jpath = dir.join(JOURNAL);
    let bytes = serde_json::to_vec_pretty(&journal).unwrap_or_default();
    write_atomic(&jpath, &bytes).map_err(io(&jpath))?;
    let mpath = dir.join(MANIFEST);
    match std::fs::remove_file(&mpath) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&mpath)(e)),
        _ => {}
    }
    let mut manifest = Manifest {
        gvc_version: env!("CARGO_PKG_VERSION").to_string(),
        files: BTreeMap::new(),
    };
    for f in files {
        let p = place(dir, &f.path)?;
        match &f.content {
            Content::Bytes(b) => write_atomic(&p, b).map_err(io(&p))?,
            Content::Copy(from) => copy_atomic(from, &p).map_err(io(&p))?,
        }
        manifest
            .files
            .insert(f.path.clone(), hash_file(&p).map_err(io(&p))?);
    }
    for stale in owned.difference(&new) {
        let p = place(dir, stale)?;
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&p)(e)),
            _ => {}
        }
        // Folders gvc emptied go too (never one that still holds anything).
        let mut parent = p.parent();
        while let Some(d) = parent {
            if d == dir || std::fs::remove_dir(d).is_err() {
                break;
            }
            parent = d.parent();
        }
    }
    let bytes = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    write_atomic(&mpath, &bytes).map_err(io(&mpath))?;
    let _ = std::fs::remove_file(&jpath);
    Ok(manifest)
}

/// Checks that an output folder is complete: its manifest exists and every file it lists is
/// present with its recorded hash.
pub fn verify(dir: &Path) -> Result<Manifest, PublishError> {
    let mpath = dir.join(MANIFEST);
    if mpath.is_file() && read_json::<Manifest>(&mpath).is_none() {
        return Err(PublishError::Damaged {
            message: manifest_problem(&mpath),
            path: mpath,
        });
    }
    let Some(m) = read_json::<Manifest>(&mpath) else {
        return Err(PublishError::Incomplete {
            dir: dir.to_path_buf(),
        });
    };
    for (rel, hash) in &m.files {
        let p = place(dir, rel)?;
        match hash_file(&p) {
            Ok(h) if &h == hash => {}
            Ok(_) => {
                return Err(PublishError::Damaged {
                    path: p,
                    message: "content differs from the manifest".into(),
                })
            }
            Err(e) => {
                return Err(PublishError::Damaged {
                    path: p,
                    message: e.to_string(),
                })
            }
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(super::super::atomic::temp_name(&format!(
            "gvc-publish-{tag}-"
        )));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn publishes_replaces_and_keeps_user_files() {
        let root = tempdir("basic");
        let out = root.join("out");
        publish(
            &out,
            &[
                OutputFile::bytes("a.txt", "1"),
                OutputFile::bytes("decomposition/m_2009.parquet", "x"),
            ],
        )
        .unwrap();
        assert!(verify(&out).is_ok());
        std::fs::write(out.join("decomposition/mine.parquet"), "user").unwrap();
        std::fs::write(out.join("notes.md"), "user").unwrap();
        publish(&out, &[OutputFile::bytes("a.txt", "2")]).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "2");
        assert!(
            !out.join("decomposition/m_2009.parquet").exists(),
            "gvc's stale file goes"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("decomposition/mine.parquet")).unwrap(),
            "user"
        );
        assert!(out.join("notes.md").exists());
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn refuses_foreign_folders_and_files() {
        let root = tempdir("foreign");
        let out = root.join("out");
        std::fs::create_dir_all(out.join("decomposition")).unwrap();
        std::fs::write(out.join("decomposition/measures_2009.parquet"), "mine").unwrap();
        let e = publish(&out, &[OutputFile::bytes("a.txt", "1")]).unwrap_err();
        assert!(matches!(e, PublishError::NotOurs { .. }), "{e}");
        assert_eq!(
            std::fs::read_to_string(out.join("decomposition/measures_2009.parquet")).unwrap(),
            "mine"
        );
        // A gvc folder with a user file where gvc now wants to write.
        let out2 = root.join("out2");
        publish(&out2, &[OutputFile::bytes("a.txt", "1")]).unwrap();
        std::fs::write(out2.join("b.txt"), "user").unwrap();
        let e = publish(&out2, &[OutputFile::bytes("b.txt", "gvc")]).unwrap_err();
        assert!(matches!(e, PublishError::WouldOverwrite { .. }), "{e}");
        assert_eq!(std::fs::read_to_string(out2.join("b.txt")).unwrap(), "user");
        assert!(
            publish(&out2, &[OutputFile::bytes("../x", "1")]).is_err(),
            "paths stay inside"
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn an_interrupted_folder_is_incomplete_and_resumes() {
        let root = tempdir("journal");
        let out = root.join("out");
        publish(&out, &[OutputFile::bytes("old.txt", "1")]).unwrap();
        // Simulate a run killed after step 3: journal written, manifest gone.
        let j = Journal {
            owned: ["old.txt".to_string(), "new.txt".to_string()].into(),
        };
        std::fs::write(out.join(JOURNAL), serde_json::to_vec(&j).unwrap()).unwrap();
        std::fs::remove_file(out.join(MANIFEST)).unwrap();
        std::fs::write(out.join("new.txt"), "half").unwrap();
        assert!(matches!(verify(&out), Err(PublishError::Incomplete { .. })));
        publish(&out, &[OutputFile::bytes("new.txt", "whole")]).unwrap();
        assert!(!out.join("old.txt").exists());
        assert_eq!(
            std::fs::read_to_string(out.join("new.txt")).unwrap(),
            "whole"
        );
        assert!(!out.join(JOURNAL).exists());
        assert!(verify(&out).is_ok());
        std::fs::remove_dir_all(root).unwrap();
    }
}
