//! Claims: one worker computes a key, however many want it. Before computing, a worker
//! creates `claims/<key>.claim` exclusively (an atomic create, also on NFS) and keeps its
//! modification time fresh while it works; another worker that wants the same key waits until
//! the artifact appears and then has nothing to do. A claim whose writer is gone — a dead
//! process on this host, or a heartbeat older than [`STALE_AFTER`] (a killed node) — is taken
//! over. So two specs or two users sharing a cache compute each shared stage once, and a
//! cancelled task never blocks the key for good.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::atomic::{host_name, owner_may_be_alive, temp_name, TempOwner};
use super::cache::{Cache, CacheError};
use super::key::Key;

/// How often a claim's holder refreshes its modification time.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// A claim not refreshed for this long is treated as abandoned (its node died).
pub const STALE_AFTER: Duration = Duration::from_secs(60);
/// How often a waiting worker looks again.
const POLL: Duration = Duration::from_millis(250);

/// The folder of claims in a cache.
pub fn claims_dir(cache: &Cache) -> PathBuf {
    cache.root.join("claims")
}

/// A held claim; dropping it releases the key (the file is removed if it is still ours).
#[derive(Debug)]
pub struct Claim {
    path: PathBuf,
    nonce: String,
    stop: Arc<AtomicBool>,
    beat: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.beat.take() {
            t.thread().unpark();
            let _ = t.join();
        }
        if read_claim(&self.path).is_some_and(|c| c.nonce == self.nonce) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What a claim file says.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct ClaimFile {
    host: String,
    pid: u32,
    /// `$SLURM_JOB_ID` (`<array>_<task>` when an array task), if any.
    #[serde(default)]
    job: Option<String>,
    nonce: String,
}

fn read_claim(path: &Path) -> Option<ClaimFile> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Whether the holder of an existing claim is gone.
fn abandoned(path: &Path) -> bool {
    let age = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok());
    if age.is_some_and(|a| a > STALE_AFTER) {
        return true;
    }
    match read_claim(path) {
        Some(c) => !owner_may_be_alive(&TempOwner {
            host: c.host,
            pid: c.pid,
        }),
        // Being written right now (an empty file for an instant), or unreadable: wait for the
        // heartbeat rule.
        None => false,
    }
}

/// Claims `key` for this process, waiting while another live worker holds it. Returns `None`
/// when `done()` says the artifact is there (before or after waiting): nothing is left to do.
pub fn acquire(
    cache: &Cache,
    key: &Key,
    done: impl Fn() -> bool,
) -> Result<Option<Claim>, CacheError> {
    let dir = claims_dir(cache);
    std::fs::create_dir_all(&dir).map_err(|source| CacheError::Io {
        path: dir.clone(),
        source,
    })?;
    let path = dir.join(format!("{key}.claim"));
    loop {
        if done() {
            return Ok(None);
        }
        let nonce = temp_name("");
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                let body = ClaimFile {
                    host: host_name(),
                    pid: std::process::id(),
                    job: slurm_job(),
                    nonce: nonce.clone(),
                };
                let bytes = serde_json::to_vec(&body).unwrap_or_default();
                f.write_all(&bytes)
                    .and_then(|()| f.sync_all())
                    .map_err(|source| CacheError::Io {
                        path: path.clone(),
                        source,
                    })?;
                // The artifact may have been committed between `done()` and the create.
                if done() {
                    let _ = std::fs::remove_file(&path);
                    return Ok(None);
                }
                return Ok(Some(hold(path, nonce)));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if abandoned(&path) {
                    // Move the abandoned claim aside (one rename: of several workers that saw
                    // it abandoned, one wins) and try again.
                    let aside = cache.root.join("tmp").join(temp_name("stale-claim-"));
                    if std::fs::rename(&path, &aside).is_ok() {
                        let _ = std::fs::remove_file(&aside);
                    }
                    continue;
                }
                std::thread::sleep(POLL);
            }
            Err(source) => return Err(CacheError::Io { path, source }),
        }
    }
}

/// The job this process runs in under Slurm.
fn slurm_job() -> Option<String> {
    let job = std::env::var("SLURM_ARRAY_JOB_ID")
        .or_else(|_| std::env::var("SLURM_JOB_ID"))
        .ok()?;
    Some(match std::env::var("SLURM_ARRAY_TASK_ID") {
        Ok(task) => format!("{job}_{task}"),
        Err(_) => job,
    })
}

/// Starts the heartbeat of a claim just created.
fn hold(path: PathBuf, nonce: String) -> Claim {
    let stop = Arc::new(AtomicBool::new(false));
    let (p, s) = (path.clone(), stop.clone());
    let beat = std::thread::Builder::new()
        .name("gvc-claim".into())
        .spawn(move || {
            while !s.load(Ordering::Relaxed) {
                std::thread::park_timeout(HEARTBEAT);
                if s.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(f) = std::fs::OpenOptions::new().append(true).open(&p) {
                    let _ = f.set_modified(SystemTime::now());
                }
            }
        })
        .ok();
    Claim {
        path,
        nonce,
        stop,
        beat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(tag: &str) -> Cache {
        let d = std::env::temp_dir().join(temp_name(&format!("gvc-claim-{tag}-")));
        Cache::open(&d).unwrap()
    }

    fn key() -> Key {
        Key::of("leontief", 1, &serde_json::json!({"x": 1}))
    }

    #[test]
    fn a_claim_is_exclusive_and_released_on_drop() {
        let c = cache("excl");
        let k = key();
        let held = acquire(&c, &k, || false).unwrap().expect("free key");
        let path = claims_dir(&c).join(format!("{k}.claim"));
        assert!(path.is_file());
        // A second worker waits; it ends when the artifact appears (here: a flag).
        let appeared = Arc::new(AtomicBool::new(false));
        let flag = appeared.clone();
        let c2 = c.clone();
        let k2 = k.clone();
        let waiter = std::thread::spawn(move || {
            acquire(&c2, &k2, || flag.load(Ordering::Relaxed))
                .unwrap()
                .is_none()
        });
        std::thread::sleep(Duration::from_millis(600));
        assert!(!waiter.is_finished(), "the second worker must wait");
        appeared.store(true, Ordering::Relaxed);
        assert!(
            waiter.join().unwrap(),
            "nothing left to do once it is there"
        );
        drop(held);
        assert!(!path.exists());
        let _ = std::fs::remove_dir_all(&c.root);
    }

    #[test]
    fn a_dead_holders_claim_is_taken_over() {
        let c = cache("dead");
        let k = key();
        let path = claims_dir(&c).join(format!("{k}.claim"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let dead = ClaimFile {
            host: host_name(),
            pid: 4_000_000_000,
            job: Some("12_3".into()),
            nonce: "old".into(),
        };
        std::fs::write(&path, serde_json::to_vec(&dead).unwrap()).unwrap();
        let held = acquire(&c, &k, || false).unwrap().expect("taken over");
        assert_ne!(read_claim(&path).unwrap().nonce, "old");
        drop(held);
        let _ = std::fs::remove_dir_all(&c.root);
    }
}
