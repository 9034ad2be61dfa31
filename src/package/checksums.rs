//! Content checksums of a package's files: blake3 (what gvc's cache keys use) and sha256
//! (what `sha256sum -c` and most archives check), computed in one read; and `checksums.txt`,
//! written in the format `sha256sum` reads.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use sha2::Digest;

/// A file's size and checksums.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileSums {
    pub bytes: u64,
    pub blake3: String,
    pub sha256: String,
}

/// Size, blake3 and sha256 of the file at `path`, streamed (a table of hundreds of MB is
/// never held in memory).
pub fn file_sums(path: &Path) -> std::io::Result<FileSums> {
    let mut f = std::fs::File::open(path)?;
    let mut b3 = blake3::Hasher::new();
    let mut s2 = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        b3.update(&buf[..n]);
        s2.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok(FileSums {
        bytes,
        blake3: b3.finalize().to_hex().to_string(),
        sha256: hex(&s2.finalize()),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `checksums.txt`: one `<sha256>  <path>` line per file (two spaces: binary-safe text mode of
/// `sha256sum`), sorted by path, so `sha256sum -c checksums.txt` run in the package checks it.
pub fn render(sums: &BTreeMap<String, String>) -> String {
    sums.iter()
        .map(|(path, sha)| format!("{sha}  {path}\n"))
        .collect()
}

/// A `checksums.txt` line that is not `<64 hex digits>  <path>`.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: not a `<sha256>  <path>` line ({text:?}); the file was edited by hand or damaged — write the package again with `gvc package`")]
pub struct BadLine {
    pub file: String,
    pub line: usize,
    pub text: String,
}

/// Reads `checksums.txt` back: path → sha256.
pub fn parse(text: &str, file: &str) -> Result<BTreeMap<String, String>, BadLine> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || BadLine {
            file: file.to_string(),
            line: i + 1,
            text: line.to_string(),
        };
        let (sha, path) = line.split_once("  ").ok_or_else(bad)?;
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) || path.is_empty() {
            return Err(bad());
        }
        out.insert(path.to_string(), sha.to_ascii_lowercase());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_match_the_reference_digests() {
        let dir = std::env::temp_dir().join(format!("gvc-sums-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("abc.txt");
        std::fs::write(&p, b"abc").unwrap();
        let s = file_sums(&p).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(s.bytes, 3);
        // FIPS 180-2 test vector for "abc".
        assert_eq!(
            s.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(s.blake3, blake3::hash(b"abc").to_hex().to_string());
    }

    #[test]
    fn checksums_txt_reads_back_and_refuses_damaged_lines() {
        let mut m = BTreeMap::new();
        m.insert("output/b.csv".to_string(), "b".repeat(64));
        m.insert("data/a.csv".to_string(), "a".repeat(64));
        let text = render(&m);
        assert!(text.starts_with(&format!("{}  data/a.csv\n", "a".repeat(64))));
        assert_eq!(parse(&text, "checksums.txt").unwrap(), m);
        let err = parse("xyz  data/a.csv\n", "checksums.txt").unwrap_err();
        assert_eq!(err.line, 1);
    }
}
