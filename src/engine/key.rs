//! Stage keys (DESIGN.md §3): blake3 of the stage name, its implementation version, the
//! canonical serialisation of exactly the spec part it reads, the keys of its upstream
//! artifacts and the content hashes of the files it opens.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Everything a stage instance's key is made of. Maps are sorted, so the JSON form is
/// canonical and two equal parts hash equally on every machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyParts {
    pub stage: String,
    pub instance: String,
    pub version: u32,
    /// The spec part the stage reads, defaults filled in.
    pub spec: serde_json::Value,
    /// `stage/instance` → key of each upstream artifact.
    pub upstream: BTreeMap<String, String>,
    /// Input file path (as the spec resolves it) → blake3 of its bytes.
    pub inputs: BTreeMap<String, String>,
}

impl KeyParts {
    /// The key: blake3 over the canonical JSON of what determines the content, hex. Names
    /// are left out (the instance, and the instance part of upstream ids), so a robustness
    /// variant and a spec variant that compute the same thing under different names share
    /// one artifact. Upstream keys are sorted by (stage, key): within a stage, each upstream
    /// artifact's own key already says which role it plays (year, estimator, …).
    pub fn key(&self) -> String {
        #[derive(Serialize)]
        struct Content<'a> {
            stage: &'a str,
            version: u32,
            spec: &'a serde_json::Value,
            upstream: Vec<(&'a str, &'a str)>,
            inputs: &'a BTreeMap<String, String>,
        }
        let mut upstream: Vec<(&str, &str)> = self
            .upstream
            .iter()
            .map(|(id, key)| (id.split('/').next().unwrap_or(id), key.as_str()))
            .collect();
        upstream.sort_unstable();
        let content = Content {
            stage: &self.stage,
            version: self.version,
            spec: &self.spec,
            upstream,
            inputs: &self.inputs,
        };
        let bytes = serde_json::to_vec(&content).unwrap_or_default();
        blake3::hash(&bytes).to_hex().to_string()
    }

    /// Human-readable reasons why `self` differs from `old`: which spec path, which input
    /// file, which upstream changed (what `gvc status --explain` prints).
    pub fn explain_change(&self, old: &KeyParts) -> Vec<String> {
        let mut why = Vec::new();
        if self.version != old.version {
            why.push(format!(
                "stage implementation changed (version {} -> {})",
                old.version, self.version
            ));
        }
        for p in crate::diff::changed_keys(&old.spec, &self.spec) {
            why.push(format!("spec `{p}` changed"));
        }
        for (path, hash) in &self.inputs {
            match old.inputs.get(path) {
                None => why.push(format!("new input file {path}")),
                Some(h) if h != hash => why.push(format!("input file {path} changed")),
                _ => {}
            }
        }
        for path in old.inputs.keys() {
            if !self.inputs.contains_key(path) {
                why.push(format!("input file {path} no longer read"));
            }
        }
        for (up, key) in &self.upstream {
            match old.upstream.get(up) {
                Some(k) if k == key => {}
                _ => why.push(format!("upstream {up} changed")),
            }
        }
        why
    }
}

/// blake3 of files, memoised per (path, size, modification time) for the process and in a
/// small index inside the cache, so a warm run does not re-read large tables.
pub struct FileHasher {
    index_path: Option<PathBuf>,
    memo: Mutex<BTreeMap<String, (u64, u128, String)>>,
}

impl FileHasher {
    pub fn new(index_path: Option<PathBuf>) -> Self {
        let memo = index_path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        FileHasher {
            index_path,
            memo: Mutex::new(memo),
        }
    }

    /// Hex blake3 of the file's bytes.
    pub fn hash(&self, path: &Path) -> std::io::Result<String> {
        let meta = std::fs::metadata(path)?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let name = path.to_string_lossy().into_owned();
        if let Ok(memo) = self.memo.lock() {
            if let Some((size, t, h)) = memo.get(&name) {
                if *size == meta.len() && *t == mtime && mtime != 0 {
                    return Ok(h.clone());
                }
            }
        }
        let mut hasher = blake3::Hasher::new();
        hasher.update_reader(std::fs::File::open(path)?)?;
        let hex = hasher.finalize().to_hex().to_string();
        if let Ok(mut memo) = self.memo.lock() {
            memo.insert(name, (meta.len(), mtime, hex.clone()));
        }
        Ok(hex)
    }

    /// Writes the memo back (atomically); failures only cost a re-hash next time.
    pub fn save(&self) {
        let (Some(path), Ok(memo)) = (&self.index_path, self.memo.lock()) else {
            return;
        };
        if let Ok(bytes) = serde_json::to_vec(&*memo) {
            let _ = super::cache::write_atomic(path, &bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(spec: serde_json::Value) -> KeyParts {
        KeyParts {
            stage: "io_tables".into(),
            instance: "2009".into(),
            version: 1,
            spec,
            upstream: BTreeMap::new(),
            inputs: BTreeMap::new(),
        }
    }

    #[test]
    fn key_is_stable_and_sensitive() {
        let a = parts(serde_json::json!({"format": "synthetic", "seed": 1}));
        let b = parts(serde_json::json!({"seed": 1, "format": "synthetic"}));
        assert_eq!(a.key(), b.key());
        let c = parts(serde_json::json!({"format": "synthetic", "seed": 2}));
        assert_ne!(a.key(), c.key());
        assert_eq!(
            c.explain_change(&a),
            vec!["spec `seed` changed".to_string()]
        );
    }

    #[test]
    fn key_ignores_names_but_not_upstream_content() {
        let mut a = parts(serde_json::json!({"x": 1}));
        a.upstream.insert("panel/main".into(), "k1".into());
        let mut b = a.clone();
        b.instance = "excl-2009:2009".into();
        b.upstream = BTreeMap::from([("panel/excl-2009".to_string(), "k1".to_string())]);
        assert_eq!(a.key(), b.key(), "same content under other names");
        b.upstream = BTreeMap::from([("panel/excl-2009".to_string(), "k2".to_string())]);
        assert_ne!(a.key(), b.key(), "other upstream content");
        b.upstream = BTreeMap::from([("covariates/main".to_string(), "k1".to_string())]);
        assert_ne!(a.key(), b.key(), "same key from another stage");
    }
}
