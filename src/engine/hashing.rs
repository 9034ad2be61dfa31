//! Content hashes of the files stages read.
//!
//! A stage's parameters name each input file with the blake3 of its bytes ([`InputFile`]), so
//! a changed byte changes the key. Hashing every table on every `gvc check` would cost a read
//! of every input, so hashes are remembered per file under a **fingerprint**: size,
//! modification time, inode change time (ctime), inode and device. Any write to a file changes
//! its ctime, and no user tool can set ctime back (`touch -d`, `cp -p` and `rsync -t` restore
//! the modification time only), so a file edited in place with its size and mtime restored is
//! re-hashed. Where the platform has no ctime, every file is re-hashed on every run.
//!
//! A stage re-checks each input's fingerprint just before it reads it ([`InputFile::verify`]);
//! a file that changed between planning and reading is re-hashed and, if its bytes differ, the
//! stage fails instead of storing a result under the old key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// A file a stage reads: where it is (absolute, symlinks resolved) and the blake3 of its
/// bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InputFile {
    pub path: PathBuf,
    pub blake3: String,
}

/// A file that could not be hashed, or that changed after it was hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{} changed while gvc was running (its content no longer matches the hash the plan was \
         made with); run the command again",
        path.display()
    )]
    Changed { path: PathBuf },
}

impl InputFile {
    /// The file at `path` (resolved to its real location) with its content hash.
    pub fn hash(hasher: &FileHasher, path: &Path) -> Result<InputFile, HashError> {
        let real = std::fs::canonicalize(path).map_err(|source| HashError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let blake3 = hasher.hash(&real)?;
        Ok(InputFile { path: real, blake3 })
    }

    /// Checks that the file still holds the bytes it was hashed with; returns its path.
    pub fn verify(&self, hasher: &FileHasher) -> Result<&Path, HashError> {
        if hasher.hash(&self.path)? == self.blake3 {
            Ok(&self.path)
        } else {
            Err(HashError::Changed {
                path: self.path.clone(),
            })
        }
    }
}

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Fingerprint {
    len: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    inode: u64,
    device: u64,
}

impl Fingerprint {
    #[cfg(unix)]
    fn of(meta: &std::fs::Metadata) -> Option<Fingerprint> {
        use std::os::unix::fs::MetadataExt;
        Some(Fingerprint {
            len: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
            inode: meta.ino(),
            device: meta.dev(),
        })
    }

    /// Without a change time, no fingerprint is trusted: every file is re-hashed.
    #[cfg(not(unix))]
    fn of(_meta: &std::fs::Metadata) -> Option<Fingerprint> {
        None
    }
}

/// blake3 of files, remembered per fingerprint for the process and in a small index inside
/// the cache (`file-hashes.json`), so a warm run does not re-read large tables.
pub struct FileHasher {
    index_path: Option<PathBuf>,
    memo: Mutex<BTreeMap<PathBuf, (Fingerprint, String)>>,
}

impl FileHasher {
    /// A hasher remembering hashes in `index_path` (none: in memory only).
    pub fn new(index_path: Option<PathBuf>) -> Self {
        let memo = index_path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice::<Vec<(PathBuf, Fingerprint, String)>>(&b).ok())
            .map(|rows| rows.into_iter().map(|(p, f, h)| (p, (f, h))).collect())
            .unwrap_or_default();
        FileHasher {
            index_path,
            memo: Mutex::new(memo),
        }
    }

    /// Hex blake3 of the file's bytes (symlinks followed).
    pub fn hash(&self, path: &Path) -> Result<String, HashError> {
        let read_err = |source| HashError::Read {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(read_err)?;
        let fingerprint = Fingerprint::of(&meta);
        if let (Some(fp), Ok(memo)) = (&fingerprint, self.memo.lock()) {
            if let Some((known, hash)) = memo.get(path) {
                if known == fp {
                    return Ok(hash.clone());
                }
            }
        }
        let mut hasher = blake3::Hasher::new();
        let file = std::fs::File::open(path).map_err(read_err)?;
        hasher.update_reader(file).map_err(read_err)?;
        let hex = hasher.finalize().to_hex().to_string();
        // Remember the fingerprint taken before reading: if the file changed meanwhile, the
        // next look sees another fingerprint and hashes again.
        if let (Some(fp), Ok(mut memo)) = (fingerprint, self.memo.lock()) {
            memo.insert(path.to_path_buf(), (fp, hex.clone()));
        }
        Ok(hex)
    }

    /// Writes the memo back (atomically); a failure only costs a re-hash next time.
    pub fn save(&self) {
        let (Some(path), Ok(memo)) = (&self.index_path, self.memo.lock()) else {
            return;
        };
        let rows: Vec<(&PathBuf, &Fingerprint, &String)> =
            memo.iter().map(|(p, (f, h))| (p, f, h)).collect();
        if let Ok(bytes) = serde_json::to_vec(&rows) {
            let _ = super::atomic::replace_quietly(path, &bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "gvc-hash-test-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// An in-place edit with the size and modification time restored (what `cp -p` or
    /// `rsync -t` leave behind) is still seen: the change time moved.
    #[cfg(unix)]
    #[test]
    fn edit_with_restored_mtime_is_rehashed() {
        let d = tempdir("mtime");
        let f = d.join("t.csv");
        std::fs::write(&f, b"a,1\n").unwrap();
        let mtime = std::fs::metadata(&f).unwrap().modified().unwrap();
        let hasher = FileHasher::new(Some(d.join("index.json")));
        let before = hasher.hash(&f).unwrap();
        hasher.save();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&f, b"a,2\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&f)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        assert_eq!(std::fs::metadata(&f).unwrap().modified().unwrap(), mtime);
        let again = FileHasher::new(Some(d.join("index.json")));
        assert_ne!(
            again.hash(&f).unwrap(),
            before,
            "same size and mtime, new bytes"
        );
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn verify_catches_a_change_after_planning() {
        let d = tempdir("verify");
        let f = d.join("t.csv");
        std::fs::write(&f, b"x").unwrap();
        let hasher = FileHasher::new(None);
        let input = InputFile::hash(&hasher, &f).unwrap();
        assert!(input.verify(&hasher).is_ok());
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&f, b"y").unwrap();
        assert!(matches!(
            input.verify(&hasher),
            Err(HashError::Changed { .. })
        ));
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn symlinks_resolve_to_their_target() {
        let d = tempdir("link");
        std::fs::write(d.join("real.tera"), b"x").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d.join("real.tera"), d.join("link.tera")).unwrap();
            let hasher = FileHasher::new(None);
            let input = InputFile::hash(&hasher, &d.join("link.tera")).unwrap();
            assert_eq!(
                input.path,
                std::fs::canonicalize(d.join("real.tera")).unwrap()
            );
        }
        std::fs::remove_dir_all(d).unwrap();
    }
}
