//! The content-addressed artifact cache (DESIGN.md §3).
//!
//! Layout of a cache folder:
//!
//! ```text
//! CACHEDIR.TAG                 the marker: written when gvc creates the cache
//! objects/<kind>/<key>/        an artifact's files and meta.json
//! plans/<key>.json             a stage instance's kind and parameters (what a worker runs)
//! latest/<scope>/<kind>/<instance>.json   the parameters a spec last used (status --explain)
//! runs/<scope>.json            what the last run of a spec ran, cached and how long it took
//! tmp/gvc-tmp-<host>-<pid>-…/  artifacts being written
//! claims/<key>.claim           the worker computing a key (engine::claim)
//! slurm/<run-id>/              job scripts, logs and the record of a Slurm run (engine::slurm)
//! file-hashes.json             remembered input hashes (engine::hashing)
//! ```
//!
//! An artifact is written into `tmp/` and renamed into place in one step, so a killed run
//! leaves at most a stray temporary folder, and two runs racing on one key never mix their
//! files. Reading verifies every file's hash, so a truncated or flipped artifact is reported
//! and recomputed instead of trusted.
//!
//! gvc deletes only what it can prove it wrote: a folder without the marker is not a cache
//! (it is refused, naming the folder and the marker), a cache made by an earlier gvc is
//! recognised by its exact layout and given the marker, and cleaning removes only entries
//! that carry gvc's names (stage kinds and 64-digit keys, `gvc-tmp-…` temporary names whose
//! writer is gone), keeping and listing anything else.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::artifact::Facts;
use super::atomic::{owner_may_be_alive, replace_quietly, temp_name, temp_owner, write_atomic};
use super::key::Key;

/// The marker file of a cache (the Cache Directory Tagging convention, so backup tools skip
/// the folder).
pub const MARKER: &str = "CACHEDIR.TAG";

const MARKER_TEXT: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by gvc, the global-value-chain study runner.\n\
# gvc deletes only entries it wrote below this folder. For information about cache\n\
# directory tags, see https://bford.info/cachedir/\n";

/// The entries a cache folder may hold at its top.
const TOP_ENTRIES: &[&str] = &[
    MARKER,
    "objects",
    "plans",
    "latest",
    "runs",
    "tmp",
    "file-hashes.json",
    "claims",
    "slurm",
];

/// Why the cache could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{} is not a gvc cache: it is not empty and has no {marker} (gvc writes that marker \
         when it creates a cache, and never writes into or deletes from a folder without it); \
         name an empty or new folder with --cache, or the cache gvc made",
        root.display()
    )]
    NotACache { root: PathBuf, marker: &'static str },
    #[error(
        "{} is not a gvc cache: its {marker} was written by another program (gvc's marker \
         says `created by gvc`), so the folder is another tool's cache, and gvc neither writes \
         into it nor deletes from it; name an empty or new folder with --cache, or the cache \
         gvc made",
        root.display()
    )]
    ForeignMarker { root: PathBuf, marker: &'static str },
    #[error(
        "{} is a file, not a folder: a cache is a folder (fix: name a new or empty folder with \
         --cache, or the cache gvc made)",
        root.display()
    )]
    NotAFolder { root: PathBuf },
    #[error("{}: {message}", path.display())]
    Damaged { path: PathBuf, message: String },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The sidecar of an artifact.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    pub key: Key,
    pub kind: String,
    pub version: u32,
    /// The parameters the key was made of.
    pub params: serde_json::Value,
    /// File name → blake3 hex.
    pub files: BTreeMap<String, String>,
    pub seconds: f64,
    pub gvc_version: String,
    /// Facts `run.json` reports without loading the artifact (identity residuals, …).
    #[serde(default)]
    pub facts: Facts,
}

/// What a lookup found.
#[derive(Debug)]
pub enum Lookup {
    Hit {
        dir: PathBuf,
        meta: Box<Meta>,
    },
    Miss,
    /// Present but damaged; the reason says what failed. The caller recomputes.
    Corrupt(String),
}

/// What cleaning removed and what it left.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Cleaned {
    pub removed: usize,
    /// Entries gvc did not write (or may still be writing), left in place.
    pub kept: Vec<PathBuf>,
}

/// A cache rooted at a folder.
#[derive(Debug, Clone)]
pub struct Cache {
    pub root: PathBuf,
}

/// Whether a `CACHEDIR.TAG` is gvc's: the tag convention is shared by many tools (cargo's
/// `target/`, backup programs), and gvc's own says it was created by gvc.
fn marker_is_gvcs(marker: &Path) -> bool {
    std::fs::read_to_string(marker).is_ok_and(|t| t.contains("created by gvc"))
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(path)?)?;
    Ok(hasher.finalize().to_hex().to_string())
}

fn is_key_name(name: &str) -> bool {
    name.parse::<Key>().is_ok()
}

fn is_kind_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

impl Cache {
    /// Opens a cache folder, creating it (with its marker) when it does not exist or is empty.
    /// A folder without the marker is accepted only if it has the exact layout an earlier gvc
    /// wrote (then it gets the marker); anything else is refused.
    pub fn open(root: &Path) -> Result<Cache, CacheError> {
        let cache = Cache {
            root: root.to_path_buf(),
        };
        if root.exists() && !root.is_dir() {
            return Err(CacheError::NotAFolder {
                root: root.to_path_buf(),
            });
        }
        let marker = root.join(MARKER);
        if marker.is_file() && !marker_is_gvcs(&marker) {
            return Err(CacheError::ForeignMarker {
                root: root.to_path_buf(),
                marker: MARKER,
            });
        }
        if !root.join(MARKER).is_file() {
            match std::fs::read_dir(root) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(root)(e)),
                Ok(mut entries) => {
                    let empty = entries.next().is_none();
                    if !empty && !cache.has_legacy_layout() {
                        return Err(CacheError::NotACache {
                            root: root.to_path_buf(),
                            marker: MARKER,
                        });
                    }
                }
            }
            std::fs::create_dir_all(root).map_err(io_err(root))?;
            let marker = root.join(MARKER);
            write_atomic(&marker, MARKER_TEXT.as_bytes()).map_err(io_err(&marker))?;
        }
        for sub in ["objects", "tmp", "plans"] {
            let p = root.join(sub);
            std::fs::create_dir_all(&p).map_err(io_err(&p))?;
        }
        Ok(cache)
    }

    /// Opens an existing cache without creating anything; `None` when `root` is no cache.
    pub fn existing(root: &Path) -> Result<Option<Cache>, CacheError> {
        if !root.exists() {
            return Ok(None);
        }
        Cache::open(root).map(Some)
    }

    /// Whether `root` has exactly the layout of a cache written by gvc before the marker: only
    /// `objects/`, `tmp/`, `latest/` and `file-hashes.json` at the top, and under `objects/`
    /// only `<stage>/<64-hex key>/` folders each holding a `meta.json`.
    fn has_legacy_layout(&self) -> bool {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return false;
        };
        let mut saw_objects = false;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            match name.as_str() {
                "objects" => saw_objects = true,
                "tmp" | "latest" | "file-hashes.json" => {}
                _ => return false,
            }
        }
        if !saw_objects {
            return false;
        }
        let Ok(stages) = std::fs::read_dir(self.root.join("objects")) else {
            return false;
        };
        for stage in stages.flatten() {
            let sname = stage.file_name().to_string_lossy().into_owned();
            if !is_kind_name(&sname) || !stage.path().is_dir() {
                return false;
            }
            let Ok(arts) = std::fs::read_dir(stage.path()) else {
                return false;
            };
            for a in arts.flatten() {
                let aname = a.file_name().to_string_lossy().into_owned();
                if !is_key_name(&aname) || !a.path().join("meta.json").is_file() {
                    return false;
                }
            }
        }
        true
    }

    pub fn artifact_dir(&self, kind: &str, key: &Key) -> PathBuf {
        self.root.join("objects").join(kind).join(key.as_str())
    }

    /// Looks an artifact up and verifies its files against the sidecar hashes.
    pub fn lookup(&self, kind: &str, key: &Key) -> Lookup {
        let dir = self.artifact_dir(kind, key);
        if !dir.is_dir() {
            return Lookup::Miss;
        }
        let meta: Meta = match std::fs::read(dir.join("meta.json"))
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(m) => m,
            Err(e) => {
                return Lookup::Corrupt(format!("{}: unreadable meta.json: {e}", dir.display()))
            }
        };
        if &meta.key != key || meta.kind != kind {
            return Lookup::Corrupt(format!("{}: meta.json names another key", dir.display()));
        }
        for (file, expected) in &meta.files {
            match hash_file(&dir.join(file)) {
                Ok(h) if &h == expected => {}
                Ok(_) => {
                    return Lookup::Corrupt(format!(
                        "{}: content does not match its recorded hash",
                        dir.join(file).display()
                    ))
                }
                Err(e) => return Lookup::Corrupt(format!("{}: {e}", dir.join(file).display())),
            }
        }
        Lookup::Hit {
            dir,
            meta: Box::new(meta),
        }
    }

    /// Quick existence check without verification (for `check` and `status`).
    pub fn has(&self, kind: &str, key: &Key) -> bool {
        self.artifact_dir(kind, key).join("meta.json").is_file()
    }

    /// Writes an artifact: `write` fills a fresh temporary folder and returns the meta facts;
    /// the files are hashed, `meta.json` written, and the folder renamed into place. If
    /// another process stored the same key first, its copy is kept (same key, same content)
    /// and ours discarded. The outer error is the cache's, the inner one the writer's.
    pub fn store<E>(
        &self,
        kind: &str,
        key: &Key,
        write: impl FnOnce(&Path) -> Result<(u32, serde_json::Value, f64, Facts), E>,
    ) -> Result<Result<PathBuf, E>, CacheError> {
        let tmp = self.root.join("tmp").join(temp_name(""));
        std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
        let (version, params, seconds, facts) = match write(&tmp) {
            Ok(v) => v,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                return Ok(Err(e));
            }
        };
        let committed = self.commit(kind, key, &tmp, version, params, seconds, facts);
        if committed.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        committed.map(Ok)
    }

    #[allow(clippy::too_many_arguments)]
    fn commit(
        &self,
        kind: &str,
        key: &Key,
        tmp: &Path,
        version: u32,
        params: serde_json::Value,
        seconds: f64,
        facts: Facts,
    ) -> Result<PathBuf, CacheError> {
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(tmp).map_err(io_err(tmp))? {
            let entry = entry.map_err(io_err(tmp))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let h = hash_file(&entry.path()).map_err(io_err(&entry.path()))?;
            files.insert(name, h);
        }
        let meta = Meta {
            key: key.clone(),
            kind: kind.to_string(),
            version,
            params,
            files,
            seconds,
            gvc_version: env!("CARGO_PKG_VERSION").to_string(),
            facts,
        };
        let meta_path = tmp.join("meta.json");
        let bytes = serde_json::to_vec_pretty(&meta).map_err(|e| CacheError::Damaged {
            path: meta_path.clone(),
            message: e.to_string(),
        })?;
        write_atomic(&meta_path, &bytes).map_err(io_err(&meta_path))?;
        let dest = self.artifact_dir(kind, key);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        if dest.exists() {
            // A good copy from a racing run is kept; a damaged one is moved aside first.
            if let Lookup::Hit { .. } = self.lookup(kind, key) {
                let _ = std::fs::remove_dir_all(tmp);
                return Ok(dest);
            }
            let trash = self.root.join("tmp").join(temp_name("trash-"));
            let _ = std::fs::rename(&dest, &trash);
            let _ = std::fs::remove_dir_all(&trash);
        }
        match std::fs::rename(tmp, &dest) {
            Ok(()) => Ok(dest),
            Err(e) => {
                let _ = std::fs::remove_dir_all(tmp);
                if matches!(self.lookup(kind, key), Lookup::Hit { .. }) {
                    Ok(dest)
                } else {
                    Err(CacheError::Io {
                        path: dest,
                        source: e,
                    })
                }
            }
        }
    }

    /// Writes a stage instance's plan entry (`plans/<key>.json`), what `gvc stage run KEY`
    /// executes.
    pub fn write_plan_entry(&self, key: &Key, entry: &serde_json::Value) -> Result<(), CacheError> {
        let path = self.plan_entry_path(key);
        if path.is_file() {
            return Ok(()); // same key, same content
        }
        let bytes = serde_json::to_vec_pretty(entry).map_err(|e| CacheError::Damaged {
            path: path.clone(),
            message: e.to_string(),
        })?;
        replace_quietly(&path, &bytes).map_err(io_err(&path))
    }

    /// Reads a plan entry; `None` when the cache has none for the key.
    pub fn read_plan_entry(&self, key: &Key) -> Result<Option<serde_json::Value>, CacheError> {
        let path = self.plan_entry_path(key);
        match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path)(e)),
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| CacheError::Damaged {
                        path,
                        message: format!("unreadable plan entry: {e}"),
                    })
            }
        }
    }

    fn plan_entry_path(&self, key: &Key) -> PathBuf {
        self.root.join("plans").join(format!("{key}.json"))
    }

    /// Records the parameters a spec last used for a stage instance (what `status --explain`
    /// compares against).
    pub fn record_latest(
        &self,
        scope: &str,
        kind: &str,
        instance: &str,
        entry: &serde_json::Value,
    ) {
        let path = self.latest_path(scope, kind, instance);
        if let Ok(bytes) = serde_json::to_vec_pretty(entry) {
            let _ = replace_quietly(&path, &bytes);
        }
    }

    pub fn latest(&self, scope: &str, kind: &str, instance: &str) -> Option<serde_json::Value> {
        let bytes = std::fs::read(self.latest_path(scope, kind, instance)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn latest_path(&self, scope: &str, kind: &str, instance: &str) -> PathBuf {
        self.root
            .join("latest")
            .join(safe_name(scope))
            .join(kind)
            .join(format!("{}.json", safe_name(instance)))
    }

    /// Where the log of a spec's last run is kept.
    pub fn run_log_path(&self, scope: &str) -> PathBuf {
        self.root
            .join("runs")
            .join(format!("{}.json", safe_name(scope)))
    }

    /// Writes the log of a spec's last run (`runs/<scope>.json`).
    pub fn write_run_log(&self, scope: &str, log: &serde_json::Value) {
        let path = self.run_log_path(scope);
        if let Ok(bytes) = serde_json::to_vec_pretty(log) {
            let _ = replace_quietly(&path, &bytes);
        }
    }

    /// Removes temporary entries of writers that are gone (gvc's names only; entries of a
    /// writer on another host only when older than a day).
    pub fn clean_tmp(&self) -> Cleaned {
        let mut out = Cleaned::default();
        let day = std::time::Duration::from_secs(24 * 3600);
        for e in std::fs::read_dir(self.root.join("tmp"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(owner) = temp_owner(&name) else {
                out.kept.push(e.path());
                continue;
            };
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > day);
            if owner_may_be_alive(&owner) && !(old && owner.host != super::atomic::host_name()) {
                out.kept.push(e.path());
                continue;
            }
            let removed = if e.path().is_dir() {
                std::fs::remove_dir_all(e.path())
            } else {
                std::fs::remove_file(e.path())
            };
            if removed.is_ok() {
                out.removed += 1;
            }
        }
        out
    }

    /// Every artifact as (kind, key, folder); entries that are not gvc's names are left out.
    pub fn artifacts(&self) -> Vec<(String, Key, PathBuf)> {
        let mut out = Vec::new();
        for stage in std::fs::read_dir(self.root.join("objects"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let kind = stage.file_name().to_string_lossy().into_owned();
            if !is_kind_name(&kind) {
                continue;
            }
            for art in std::fs::read_dir(stage.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if let Ok(key) = art.file_name().to_string_lossy().parse::<Key>() {
                    out.push((kind.clone(), key, art.path()));
                }
            }
        }
        out.sort();
        out
    }

    /// The entries in the cache folder that gvc did not write, which no cleaning removes:
    /// anything at the top but gvc's own folders and files, folders under `objects/` that are
    /// not a stage kind or not an artifact key, files under `plans/` that are not a plan entry,
    /// and files under `latest/` and `runs/` that are not gvc's records. (`tmp/` is listed by
    /// [`Cache::clean_tmp`].) Sorted, so `gvc clean` can list what it kept.
    pub fn foreign_entries(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let entries = |dir: &Path| {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .collect::<Vec<_>>()
        };
        for (name, path) in entries(&self.root) {
            if !TOP_ENTRIES.contains(&name.as_str()) {
                out.push(path);
            }
        }
        for (kind, path) in entries(&self.root.join("objects")) {
            if !is_kind_name(&kind) || !path.is_dir() {
                out.push(path);
                continue;
            }
            for (key, art) in entries(&path) {
                if !is_key_name(&key) {
                    out.push(art);
                }
            }
        }
        for (name, path) in entries(&self.root.join("plans")) {
            if !name.strip_suffix(".json").is_some_and(is_key_name) {
                out.push(path);
            }
        }
        for sub in ["latest", "runs"] {
            for e in walkdir::WalkDir::new(self.root.join(sub))
                .follow_links(false)
                .into_iter()
                .flatten()
            {
                let name = e.file_name().to_string_lossy();
                let ours = e.file_type().is_dir()
                    || (e.file_type().is_file()
                        && (name.ends_with(".json") || temp_owner(&name).is_some()));
                if !ours {
                    out.push(e.path().to_path_buf());
                }
            }
        }
        out.sort();
        out
    }

    /// Removes one artifact (and its plan entry).
    pub fn remove_artifact(&self, kind: &str, key: &Key) -> bool {
        let _ = std::fs::remove_file(self.plan_entry_path(key));
        std::fs::remove_dir_all(self.artifact_dir(kind, key)).is_ok()
    }

    /// Removes everything gvc wrote in the cache: artifacts, plan entries, records, logs,
    /// temporary entries of finished writers, the hash index and, when nothing else is left,
    /// the marker and the folder. Entries gvc did not write are kept and listed.
    pub fn remove_all(&self) -> Cleaned {
        let mut out = self.clean_tmp();
        for (kind, key, _) in self.artifacts() {
            if self.remove_artifact(&kind, &key) {
                out.removed += 1;
            }
        }
        for e in std::fs::read_dir(self.root.join("plans"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            let ours = name.strip_suffix(".json").is_some_and(is_key_name);
            if ours && std::fs::remove_file(e.path()).is_ok() {
                out.removed += 1;
            } else if !ours {
                out.kept.push(e.path());
            }
        }
        for sub in ["latest", "runs"] {
            out.removed += remove_json_tree(&self.root.join(sub), &mut out.kept);
        }
        let _ = std::fs::remove_file(self.root.join("file-hashes.json"));
        out.removed += super::slurm::remove_records(&self.root, &mut out.kept);
        for sub in [
            "objects", "plans", "tmp", "latest", "runs", "claims", "slurm",
        ] {
            remove_empty_dirs(&self.root.join(sub));
        }
        for e in std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            if !TOP_ENTRIES.contains(&name.as_str()) {
                out.kept.push(e.path());
            }
        }
        let only_marker = std::fs::read_dir(&self.root)
            .map(|mut it| it.all(|e| e.is_ok_and(|e| e.file_name() == MARKER)))
            .unwrap_or(false);
        if only_marker {
            let _ = std::fs::remove_file(self.root.join(MARKER));
            let _ = std::fs::remove_dir(&self.root);
        }
        out.kept.sort();
        out.kept.dedup();
        out
    }
}

/// Removes the `*.json` files gvc writes under `dir` (records and logs), keeping anything
/// else; returns how many went.
fn remove_json_tree(dir: &Path, kept: &mut Vec<PathBuf>) -> usize {
    let mut n = 0;
    for e in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .flatten()
    {
        if !e.file_type().is_file() {
            if e.file_type().is_symlink() {
                kept.push(e.path().to_path_buf());
            }
            continue;
        }
        let name = e.file_name().to_string_lossy();
        if name.ends_with(".json") || temp_owner(&name).is_some() {
            if std::fs::remove_file(e.path()).is_ok() {
                n += 1;
            }
        } else {
            kept.push(e.path().to_path_buf());
        }
    }
    n
}

/// Removes the empty folders under and including `dir`, deepest first.
fn remove_empty_dirs(dir: &Path) {
    let mut dirs: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_dir())
        .map(|e| e.into_path())
        .collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in dirs {
        let _ = std::fs::remove_dir(d);
    }
}

/// A name usable as one path component: letters, digits, `-`, `_`, `.`; other characters
/// become `_`, and a name made only of dots becomes `_`.
pub fn safe_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.chars().all(|c| c == '.') {
        "_".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(temp_name(&format!("gvc-cache-test-{tag}-")));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn key() -> Key {
        Key::of("demo", 1, &serde_json::json!({"a": 1}))
    }

    fn write_data(d: &Path) -> Result<(u32, serde_json::Value, f64, Facts), String> {
        std::fs::write(d.join("data.bin"), b"hello world").map_err(|e| e.to_string())?;
        Ok((1, serde_json::json!({"a": 1}), 0.1, Facts::default()))
    }

    #[test]
    fn store_lookup_and_detect_corruption() {
        let root = tempdir("corrupt");
        let cache = Cache::open(&root.join("c")).unwrap();
        let k = key();
        let dir = cache.store("demo", &k, write_data).unwrap().unwrap();
        assert!(matches!(cache.lookup("demo", &k), Lookup::Hit { .. }));
        let mut bytes = std::fs::read(dir.join("data.bin")).unwrap();
        bytes[0] ^= 0xff;
        std::fs::write(dir.join("data.bin"), bytes).unwrap();
        assert!(matches!(cache.lookup("demo", &k), Lookup::Corrupt(_)));
        cache.store("demo", &k, write_data).unwrap().unwrap();
        assert!(matches!(cache.lookup("demo", &k), Lookup::Hit { .. }));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn failed_writer_leaves_nothing() {
        let root = tempdir("fail");
        let cache = Cache::open(&root).unwrap();
        let r = cache
            .store("demo", &key(), |_| {
                Err::<(u32, serde_json::Value, f64, Facts), _>("boom")
            })
            .unwrap();
        assert_eq!(r.unwrap_err(), "boom");
        assert!(matches!(cache.lookup("demo", &key()), Lookup::Miss));
        assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);
        std::fs::remove_dir_all(root).unwrap();
    }

    /// A folder with someone's files is never taken for a cache, so nothing in it can be
    /// cleaned.
    #[test]
    fn a_data_folder_is_not_a_cache() {
        let root = tempdir("data");
        std::fs::write(root.join("wiot_2009.csv"), b"x").unwrap();
        std::fs::create_dir_all(root.join("tmp/mine")).unwrap();
        let e = Cache::open(&root).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("is not a gvc cache") && msg.contains(MARKER),
            "{msg}"
        );
        assert!(root.join("wiot_2009.csv").exists());
        assert!(!root.join(MARKER).exists());
        std::fs::remove_dir_all(root).unwrap();
    }

    /// A cache written before the marker existed is recognised by its layout and adopted.
    #[test]
    fn a_legacy_cache_gets_the_marker() {
        let root = tempdir("legacy");
        let art = root.join("objects/panel").join(key().as_str());
        std::fs::create_dir_all(&art).unwrap();
        std::fs::write(art.join("meta.json"), b"{}").unwrap();
        std::fs::create_dir_all(root.join("latest/x")).unwrap();
        std::fs::write(root.join("file-hashes.json"), b"{}").unwrap();
        Cache::open(&root).unwrap();
        assert!(root.join(MARKER).is_file());
        // One foreign file and it is no longer that layout.
        let other = tempdir("legacy2");
        std::fs::create_dir_all(other.join("objects")).unwrap();
        std::fs::write(other.join("notes.txt"), b"mine").unwrap();
        assert!(Cache::open(&other).is_err());
        std::fs::remove_dir_all(root).unwrap();
        std::fs::remove_dir_all(other).unwrap();
    }

    /// Cleaning removes gvc's temporary entries of dead writers and nothing else.
    #[test]
    fn clean_tmp_removes_only_dead_gvc_entries() {
        let root = tempdir("tmp");
        let cache = Cache::open(&root).unwrap();
        let tmp = root.join("tmp");
        std::fs::create_dir_all(tmp.join("users-own-folder")).unwrap();
        let mine_alive = tmp.join(temp_name(""));
        std::fs::create_dir_all(&mine_alive).unwrap();
        let dead = tmp.join(format!(
            "gvc-tmp-{}-4000000000-1-0",
            super::super::atomic::host_name()
        ));
        std::fs::create_dir_all(&dead).unwrap();
        let c = cache.clean_tmp();
        assert_eq!(c.removed, 1);
        assert!(!dead.exists());
        assert!(mine_alive.exists(), "a live writer's entry is kept");
        assert!(tmp.join("users-own-folder").exists());
        std::fs::remove_dir_all(root).unwrap();
    }

    /// `remove_all` leaves a file the user put into the cache, and says so.
    #[test]
    fn remove_all_keeps_foreign_files() {
        let root = tempdir("all");
        let cache = Cache::open(&root.join("c")).unwrap();
        cache.store("demo", &key(), write_data).unwrap().unwrap();
        std::fs::write(root.join("c/README.txt"), b"mine").unwrap();
        let c = cache.remove_all();
        assert_eq!(c.removed, 1);
        assert_eq!(c.kept, vec![root.join("c/README.txt")]);
        assert!(root.join("c/README.txt").exists());
        assert!(!root.join("c/objects").exists());
        std::fs::remove_file(root.join("c/README.txt")).unwrap();
        let cache = Cache::open(&root.join("c")).unwrap();
        let c = cache.remove_all();
        assert!(c.kept.is_empty());
        assert!(!root.join("c").exists(), "an emptied cache folder goes too");
        std::fs::remove_dir_all(root).unwrap();
    }
}
