//! Writing a package folder so that gvc only ever replaces what it wrote: the folder must be
//! absent, empty, or a package gvc wrote (it holds [`RECORD`]). The record is written first,
//! listing every file of the old and the new package, so an interrupted write leaves a folder
//! gvc still recognises; files of the previous package the new one does not have are removed
//! (gvc's own only); the record is rewritten last with the new files.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use super::gather::{Content, Contents};
use super::{io_err, read_record, PackageError, Record, RECORD, RUN_SH};
use crate::engine::atomic::{copy_atomic, write_atomic};

/// Checks that `dir` may hold a package; returns the previous package's record, if any.
pub(super) fn claim(dir: &Path) -> Result<Option<Record>, PackageError> {
    if dir.is_file() {
        return Err(PackageError::NotAFolder {
            dir: dir.to_path_buf(),
        });
    }
    let mut entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("read", dir)(e)),
    };
    if entries.next().is_none() {
        return Ok(None);
    }
    if !dir.join(RECORD).is_file() {
        return Err(PackageError::NotAPackage {
            dir: dir.to_path_buf(),
        });
    }
    read_record(dir).map(Some)
}

/// A record path that stays inside the package (a damaged or edited record cannot make gvc
/// touch files elsewhere).
fn inside(dir: &Path, rel: &str) -> Option<PathBuf> {
    let p = Path::new(rel);
    (!rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_))))
        .then(|| dir.join(p))
}

/// Writes the package's files; returns its record.
pub(super) fn write(
    dir: &Path,
    previous: Option<&Record>,
    contents: Contents,
) -> Result<Record, PackageError> {
    let Contents { files, mut record } = contents;
    std::fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    let old: BTreeSet<String> = previous
        .map(|r| r.files.iter().cloned().collect())
        .unwrap_or_default();
    // A new file over a file gvc did not write is refused before anything changes.
    for rel in files.keys() {
        let path = inside(dir, rel).ok_or_else(|| PackageError::WouldOverwrite {
            path: dir.join(rel),
        })?;
        if path.symlink_metadata().is_ok() && !old.contains(rel) {
            return Err(PackageError::WouldOverwrite { path });
        }
    }
    let new: BTreeSet<String> = record.files.iter().cloned().collect();
    let mut journal = record.clone();
    journal.files = old.union(&new).cloned().collect();
    write_record(dir, &journal)?;
    for rel in old.difference(&new) {
        if let Some(p) = inside(dir, rel) {
            if p.is_file() {
                std::fs::remove_file(&p).map_err(io_err("remove", &p))?;
                remove_empty_parents(dir, &p);
            }
        }
    }
    for (rel, content) in &files {
        let Some(path) = inside(dir, rel) else {
            continue;
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_err("create", parent))?;
        }
        match content {
            Content::Bytes(b) => write_atomic(&path, b).map_err(io_err("write", &path))?,
            Content::Copy(from) => copy_atomic(from, &path).map_err(io_err("write", &path))?,
        }
        if rel == RUN_SH {
            make_executable(&path)?;
        }
    }
    record.files = new.into_iter().collect();
    write_record(dir, &record)?;
    Ok(record)
}

fn write_record(dir: &Path, record: &Record) -> Result<(), PackageError> {
    let path = dir.join(RECORD);
    let mut bytes = serde_json::to_vec_pretty(record).unwrap_or_default();
    bytes.push(b'\n');
    write_atomic(&path, &bytes).map_err(io_err("write", &path))
}

/// Removes the folders a removed file leaves empty, up to the package folder.
fn remove_empty_parents(dir: &Path, file: &Path) {
    let mut cur = file.parent();
    while let Some(p) = cur {
        if p == dir || std::fs::remove_dir(p).is_err() {
            break;
        }
        cur = p.parent();
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), PackageError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(io_err("write", path))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), PackageError> {
    Ok(())
}
