//! Writing files so that readers see either the old file or the whole new one: a temporary
//! file beside the target, then one rename. Temporary names carry gvc's own pattern
//! ([`TEMP_MARK`], the host and the process id), so cleaning up can prove an entry is gvc's
//! leftover and whether its writer is still alive.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The part of every temporary name gvc creates.
pub const TEMP_MARK: &str = "gvc-tmp";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// This machine's name as the temporary names record it (letters, digits and `-` only).
pub fn host_name() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    let clean: String = raw
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if clean.is_empty() {
        "localhost".into()
    } else {
        clean
    }
}

/// A fresh temporary name: `gvc-tmp-<host>-<pid>-<nanos>-<n>` (with `tag` in front).
pub fn temp_name(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{tag}{TEMP_MARK}-{}-{}-{t}-{n}",
        host_name(),
        std::process::id()
    )
}

/// The writer of a temporary entry, read back from its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempOwner {
    pub host: String,
    pub pid: u32,
}

/// Who wrote a temporary entry named by [`temp_name`]; `None` for a name gvc did not make.
pub fn temp_owner(name: &str) -> Option<TempOwner> {
    let rest = &name[name.find(TEMP_MARK)? + TEMP_MARK.len()..];
    let rest = rest.strip_prefix('-')?;
    // host may contain '-': the last three fields are pid, nanos, counter.
    let mut parts: Vec<&str> = rest.rsplitn(4, '-').collect();
    if parts.len() != 4 {
        return None;
    }
    parts.reverse();
    let (host, pid, nanos, n) = (parts[0], parts[1], parts[2], parts[3]);
    if host.is_empty()
        || nanos.parse::<u128>().is_err()
        || n.parse::<u64>().is_err()
        || name.contains('/')
    {
        return None;
    }
    Some(TempOwner {
        host: host.to_string(),
        pid: pid.parse().ok()?,
    })
}

/// Whether the process that made a temporary entry may still be writing it: it runs on
/// another host (unknowable), or its process exists here.
pub fn owner_may_be_alive(owner: &TempOwner) -> bool {
    if owner.host != host_name() {
        return true;
    }
    if owner.pid == std::process::id() {
        return true;
    }
    Path::new("/proc").is_dir() && Path::new(&format!("/proc/{}", owner.pid)).exists()
}

/// Produces `path` through a temporary file in the same folder and a rename; the temporary
/// file is removed whatever fails. `write` fills the temporary file; `io` turns a failure to
/// create the folder or to rename into the caller's error.
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
    let tmp: PathBuf = dir.join(temp_name(&format!(".{name}.")));
    let done = write(&tmp).and_then(|value| {
        std::fs::rename(&tmp, path)
            .map(|()| value)
            .map_err(|e| io(path, e))
    });
    let done = done.map_err(|e| {
        // A writer that reports a full disk in its own words (parquet says "Invalid thrift:
        // transport error") is told apart by a probe while the partial file still holds its
        // space; the failure is then reported as what it is.
        if no_space_left(dir) {
            let full = std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "No space left on device (the writer failed and the disk has no room for a \
                 64 KiB probe)",
            );
            io(path, full)
        } else {
            e
        }
    });
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// Whether `dir`'s disk (or the user's quota on it) cannot take 64 KiB more: a probe file is
/// written, synced and removed. Used only after a write failed.
pub fn no_space_left(dir: &Path) -> bool {
    use std::io::Write;
    let probe = dir.join(temp_name(".space-probe."));
    let result = std::fs::File::create(&probe).and_then(|mut f| {
        f.write_all(&[0u8; 64 * 1024])?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    match result {
        Err(e) => is_storage_full(&e),
        Ok(()) => false,
    }
}

/// ENOSPC / EDQUOT (Linux 28 / 122, macOS 28 / 69) or the portable `StorageFull` kind.
fn is_storage_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull || matches!(e.raw_os_error(), Some(28) | Some(122))
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

/// Replaces `path` with `bytes` atomically but without waiting for the disk: for records
/// that can be rebuilt (plan entries, status records, logs, the hash index). A file that
/// already holds exactly these bytes is left alone.
pub fn replace_quietly(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    via_temp_file(path, |tmp| std::fs::write(tmp, bytes), |_, e| e)
}

/// Copies `from` to `to` atomically ([`via_temp_file`]) without holding the file in memory.
pub fn copy_atomic(from: &Path, to: &Path) -> std::io::Result<()> {
    via_temp_file(to, |tmp| std::fs::copy(from, tmp).map(|_| ()), |_, e| e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_carry_their_owner() {
        let name = temp_name(".report.md.");
        let owner = temp_owner(&name).expect("gvc's own pattern");
        assert_eq!(owner.pid, std::process::id());
        assert_eq!(owner.host, host_name());
        assert!(owner_may_be_alive(&owner));
        assert_eq!(temp_owner("my-notes"), None);
        assert_eq!(temp_owner("gvc-tmp-"), None);
        assert_eq!(temp_owner("gvc-tmp-host-12-x-1"), None);
    }

    #[test]
    fn a_dead_local_writer_is_recognised() {
        let owner = TempOwner {
            host: host_name(),
            // Beyond any Linux pid_max (4,194,304).
            pid: 4_000_000_000,
        };
        assert!(!owner_may_be_alive(&owner));
        let remote = TempOwner {
            host: "elsewhere-node-7".into(),
            pid: 1,
        };
        assert!(owner_may_be_alive(&remote));
    }
}
