//! How much keying inputs by content costs: blake3 of 11 ADB-size workbooks (one per year of
//! the motivating study) read cold, and the fingerprint check a warm run does instead
//! ([`crate::engine::hashing`]).

use std::time::Instant;

use serde::Serialize;

use crate::engine::hashing::FileHasher;

/// Timings of hashing `files` files of `bytes_each` bytes.
#[derive(Debug, Clone, Serialize)]
pub struct HashingReport {
    pub files: usize,
    pub bytes_each: u64,
    /// Every file read and hashed (a first run, or every file changed).
    pub cold_seconds: f64,
    pub gigabytes_per_second: f64,
    /// Fingerprints only (a warm run: nothing changed).
    pub warm_seconds: f64,
}

/// Writes `files` files of `megabytes` MB of deterministic bytes into a temporary folder,
/// hashes them once cold and once warm, and removes them.
pub fn bench_hashing(files: usize, megabytes: u64) -> std::io::Result<HashingReport> {
    let dir = std::env::temp_dir().join(crate::engine::atomic::temp_name("gvc-bench-hash-"));
    std::fs::create_dir_all(&dir)?;
    let bytes_each = megabytes * 1024 * 1024;
    let result = (|| {
        let mut paths = Vec::new();
        for i in 0..files {
            // Deterministic, incompressible-looking content (an xorshift stream).
            let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ i as u64;
            let mut buf = Vec::with_capacity(bytes_each as usize);
            while (buf.len() as u64) < bytes_each {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                buf.extend_from_slice(&state.to_le_bytes());
            }
            buf.truncate(bytes_each as usize);
            let p = dir.join(format!("ADB-MRIO-{}.xlsx", 2007 + i));
            std::fs::write(&p, &buf)?;
            paths.push(p);
        }
        let hasher = FileHasher::new(None);
        let start = Instant::now();
        for p in &paths {
            hasher.hash(p).map_err(std::io::Error::other)?;
        }
        let cold_seconds = start.elapsed().as_secs_f64();
        let start = Instant::now();
        for p in &paths {
            hasher.hash(p).map_err(std::io::Error::other)?;
        }
        let warm_seconds = start.elapsed().as_secs_f64();
        let total = (files as u64 * bytes_each) as f64;
        Ok(HashingReport {
            files,
            bytes_each,
            cold_seconds,
            gigabytes_per_second: total / cold_seconds / 1e9,
            warm_seconds,
        })
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
