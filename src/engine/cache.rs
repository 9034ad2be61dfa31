//! The content-addressed artifact cache (DESIGN.md §3).
//!
//! Layout: `<root>/objects/<stage>/<key>/` holds an artifact's files and `meta.json` (the key's
//! components, each file's blake3, timing, extra facts such as identity residuals). An artifact
//! is written into `<root>/tmp/` and renamed into place in one step, so a killed run leaves at
//! most a stray temp folder and two runs racing on one key never mix their files: the loser's
//! rename fails and its copy is discarded. Reading verifies every file's hash, so a truncated or
//! flipped artifact is reported and recomputed instead of being trusted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::key::KeyParts;

/// Why the cache could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
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
    pub key: String,
    pub parts: KeyParts,
    /// File name → blake3 hex.
    pub files: BTreeMap<String, String>,
    pub seconds: f64,
    pub gvc_version: String,
    /// Stage-specific facts (e.g. identity residuals) that `run.json` reports without loading
    /// the artifact.
    #[serde(default)]
    pub extra: serde_json::Value,
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

/// A cache rooted at a folder.
#[derive(Debug, Clone)]
pub struct Cache {
    pub root: PathBuf,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{}-{}", std::process::id(), t, n)
}

/// Produces `path` through a temp file in the same folder and a rename, so readers see either
/// the old file or the whole new one; the temp file is removed whatever fails. `write` fills
/// the temp file; `io` turns a failure to create the folder or to rename into the caller's
/// error (with the path it concerns).
pub fn via_temp_file<T, E>(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<T, E>,
    io: impl Fn(&Path, std::io::Error) -> E,
) -> Result<T, E> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", unique_suffix()));
    let done = write(&tmp).and_then(|value| {
        std::fs::rename(&tmp, path)
            .map(|()| value)
            .map_err(|e| io(path, e))
    });
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// Writes bytes to `path` atomically ([`via_temp_file`]), synced before the rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    via_temp_file(
        path,
        |tmp| {
            use std::io::Write;
            let mut f = std::fs::File::create(tmp)?;
            f.write_all(bytes)?;
            f.sync_all()
        },
        |_, e| e,
    )
}

/// Copies `from` to `to` atomically ([`via_temp_file`]) without holding the file in memory.
pub fn copy_atomic(from: &Path, to: &Path) -> std::io::Result<()> {
    via_temp_file(to, |tmp| std::fs::copy(from, tmp).map(|_| ()), |_, e| e)
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(path)?)?;
    Ok(hasher.finalize().to_hex().to_string())
}

impl Cache {
    /// Opens (creating) a cache folder.
    pub fn open(root: &Path) -> Result<Cache, CacheError> {
        for sub in ["objects", "tmp", "latest"] {
            let p = root.join(sub);
            std::fs::create_dir_all(&p).map_err(io_err(&p))?;
        }
        Ok(Cache {
            root: root.to_path_buf(),
        })
    }

    pub fn artifact_dir(&self, stage: &str, key: &str) -> PathBuf {
        self.root.join("objects").join(stage).join(key)
    }

    /// Looks an artifact up and verifies its files against the sidecar hashes.
    pub fn lookup(&self, stage: &str, key: &str) -> Lookup {
        let dir = self.artifact_dir(stage, key);
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
        if meta.key != key {
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
    pub fn has(&self, stage: &str, key: &str) -> bool {
        self.artifact_dir(stage, key).join("meta.json").is_file()
    }

    /// Writes an artifact: `write` fills a fresh temp folder, then hashes are recorded and the
    /// folder is renamed into place. If another process stored the same key first, its copy
    /// is kept (same key, same content) and ours is discarded.
    /// `write` returns the seconds the work took and the facts to record in `meta.json`.
    pub fn store<E>(
        &self,
        parts: &KeyParts,
        write: impl FnOnce(&Path) -> Result<(f64, serde_json::Value), E>,
    ) -> Result<Result<PathBuf, E>, CacheError> {
        let key = parts.key();
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{}-{}", key, unique_suffix()));
        std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
        let (seconds, extra) = match write(&tmp) {
            Ok(recorded) => recorded,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                return Ok(Err(e));
            }
        };
        let mut files = BTreeMap::new();
        let entries = std::fs::read_dir(&tmp).map_err(io_err(&tmp))?;
        for entry in entries {
            let entry = entry.map_err(io_err(&tmp))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let h = hash_file(&entry.path()).map_err(io_err(&entry.path()))?;
            files.insert(name, h);
        }
        let meta = Meta {
            key: key.clone(),
            parts: parts.clone(),
            files,
            seconds,
            gvc_version: env!("CARGO_PKG_VERSION").to_string(),
            extra,
        };
        let meta_path = tmp.join("meta.json");
        let bytes = serde_json::to_vec_pretty(&meta).unwrap_or_default();
        write_atomic(&meta_path, &bytes).map_err(io_err(&meta_path))?;
        let dest = self.artifact_dir(&parts.stage, &key);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        if dest.exists() {
            // A damaged copy is moved aside first; a good one from a racing run is kept.
            match self.lookup(&parts.stage, &key) {
                Lookup::Hit { .. } => {
                    let _ = std::fs::remove_dir_all(&tmp);
                    return Ok(Ok(dest));
                }
                _ => {
                    let trash = self
                        .root
                        .join("tmp")
                        .join(format!("trash-{}", unique_suffix()));
                    let _ = std::fs::rename(&dest, &trash);
                    let _ = std::fs::remove_dir_all(&trash);
                }
            }
        }
        match std::fs::rename(&tmp, &dest) {
            Ok(()) => Ok(Ok(dest)),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                if matches!(self.lookup(&parts.stage, &key), Lookup::Hit { .. }) {
                    Ok(Ok(dest))
                } else {
                    Err(CacheError::Io {
                        path: dest,
                        source: e,
                    })
                }
            }
        }
    }

    /// Records the key parts last used for a stage instance of a spec (what `status --explain`
    /// compares against).
    pub fn record_latest(&self, scope: &str, parts: &KeyParts) {
        let path = self.latest_path(scope, &parts.stage, &parts.instance);
        if let Ok(bytes) = serde_json::to_vec_pretty(parts) {
            let _ = write_atomic(&path, &bytes);
        }
    }

    pub fn latest(&self, scope: &str, stage: &str, instance: &str) -> Option<KeyParts> {
        let bytes = std::fs::read(self.latest_path(scope, stage, instance)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn latest_path(&self, scope: &str, stage: &str, instance: &str) -> PathBuf {
        let safe: String = instance
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.root
            .join("latest")
            .join(scope)
            .join(stage)
            .join(format!("{safe}.json"))
    }

    /// Removes leftover temp folders (from killed runs). Returns how many.
    pub fn clean_tmp(&self) -> usize {
        let mut n = 0;
        if let Ok(entries) = std::fs::read_dir(self.root.join("tmp")) {
            for e in entries.flatten() {
                if std::fs::remove_dir_all(e.path()).is_ok() {
                    n += 1;
                }
            }
        }
        n
    }

    /// Every artifact as (stage, key, folder).
    pub fn artifacts(&self) -> Vec<(String, String, PathBuf)> {
        let mut out = Vec::new();
        for stage in std::fs::read_dir(self.root.join("objects"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let sname = stage.file_name().to_string_lossy().into_owned();
            for art in std::fs::read_dir(stage.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                out.push((
                    sname.clone(),
                    art.file_name().to_string_lossy().into_owned(),
                    art.path(),
                ));
            }
        }
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("gvc-cache-test-{tag}-{}", unique_suffix()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn parts() -> KeyParts {
        KeyParts {
            stage: "demo".into(),
            instance: "x".into(),
            version: 1,
            spec: serde_json::json!({"a": 1}),
            upstream: BTreeMap::new(),
            inputs: BTreeMap::new(),
        }
    }

    #[test]
    fn store_lookup_and_detect_corruption() {
        let root = tempdir("corrupt");
        let cache = Cache::open(&root).unwrap();
        let p = parts();
        let dir = cache
            .store(&p, |d| {
                std::fs::write(d.join("data.bin"), b"hello world")
                    .map(|()| (0.1, serde_json::Value::Null))
            })
            .unwrap()
            .unwrap();
        assert!(matches!(cache.lookup("demo", &p.key()), Lookup::Hit { .. }));
        let mut bytes = std::fs::read(dir.join("data.bin")).unwrap();
        bytes[0] ^= 0xff;
        std::fs::write(dir.join("data.bin"), bytes).unwrap();
        assert!(matches!(cache.lookup("demo", &p.key()), Lookup::Corrupt(_)));
        // Storing again replaces the damaged copy.
        cache
            .store(&p, |d| {
                std::fs::write(d.join("data.bin"), b"hello world")
                    .map(|()| (0.1, serde_json::Value::Null))
            })
            .unwrap()
            .unwrap();
        assert!(matches!(cache.lookup("demo", &p.key()), Lookup::Hit { .. }));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn failed_writer_leaves_nothing() {
        let root = tempdir("fail");
        let cache = Cache::open(&root).unwrap();
        let r = cache
            .store(&parts(), |_| Err::<(f64, serde_json::Value), _>("boom"))
            .unwrap();
        assert_eq!(r.unwrap_err(), "boom");
        assert!(matches!(cache.lookup("demo", &parts().key()), Lookup::Miss));
        assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);
        std::fs::remove_dir_all(root).unwrap();
    }
}
