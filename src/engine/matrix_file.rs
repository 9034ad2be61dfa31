//! Dense `f64` matrices as raw files: the n × n blocks of the cache (the table's Z and Y, the
//! Leontief inverse B) written and read at disk speed instead of as compressed Parquet.
//!
//! Layout (all integers little-endian; docs/cache.md describes it for readers in other
//! languages):
//!
//! ```text
//! offset  size  field
//!      0     8  magic  b"GVCF64M\n"
//!      8     4  format version (u32, currently 1)
//!     12     4  reserved, zero (u32)
//!     16     8  rows (u64)
//!     24     8  cols (u64)
//!     32  8·r·c values, f64 little-endian, column-major (entry (i, j) at 32 + 8·(j·rows + i))
//! ```
//!
//! The file is exactly `32 + 8 · rows · cols` bytes; a shorter or longer file, another magic
//! or another version is an error naming the file. The payload carries no checksum of its own:
//! every file of a cache artifact is hashed (blake3) when it is committed and verified on every
//! read ([`super::cache::Cache::lookup`]), so a flipped value byte is caught there and hashing
//! here would read the 39 MB of an ADB-size matrix a second time.
//!
//! Column-major is the layout the Leontief core keeps B in, so an inverse is written in one
//! `write` straight from its buffer and read back into the buffer of a column-major array,
//! without reordering (on little-endian machines; big-endian ones swap bytes).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayRef2, ShapeBuilder};

/// The first eight bytes of a matrix file.
pub const MAGIC: [u8; 8] = *b"GVCF64M\n";
/// The format version this gvc writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes before the values.
pub const HEADER_LEN: usize = 32;

/// Why a matrix file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum MatrixFileError {
    /// The file system refused.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is shorter than the header.
    #[error("{}: {len} bytes, shorter than the {HEADER_LEN}-byte header of a gvc matrix file (truncated)", path.display())]
    ShortHeader { path: PathBuf, len: u64 },
    /// The file does not start with [`MAGIC`].
    #[error("{}: not a gvc matrix file (starts with {found:02x?}, expected {MAGIC:02x?})", path.display())]
    BadMagic { path: PathBuf, found: [u8; 8] },
    /// The file was written in a format version this gvc does not read.
    #[error("{}: matrix file format version {found}, this gvc reads version {FORMAT_VERSION}", path.display())]
    Version { path: PathBuf, found: u32 },
    /// The header's shape does not fit the file's length.
    #[error("{}: the header says {rows} × {cols} ({expected} bytes with the header) but the file has {actual} bytes (truncated or extended)", path.display())]
    Length {
        path: PathBuf,
        rows: u64,
        cols: u64,
        expected: u128,
        actual: u64,
    },
}

impl MatrixFileError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            MatrixFileError::Io { path, .. }
            | MatrixFileError::ShortHeader { path, .. }
            | MatrixFileError::BadMagic { path, .. }
            | MatrixFileError::Version { path, .. }
            | MatrixFileError::Length { path, .. } => path,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> MatrixFileError + '_ {
    move |source| MatrixFileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn header(rows: usize, cols: usize) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(&MAGIC);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[16..24].copy_from_slice(&(rows as u64).to_le_bytes());
    h[24..32].copy_from_slice(&(cols as u64).to_le_bytes());
    h
}

/// The values of `m` in column-major order, as little-endian bytes.
fn payload(m: &ArrayRef2<f64>) -> std::borrow::Cow<'_, [u8]> {
    // Mᵀ in standard (row-major) layout is M in column-major layout.
    match m.t().to_slice() {
        Some(values) if cfg!(target_endian = "little") => {
            std::borrow::Cow::Borrowed(bytemuck::cast_slice(values))
        }
        _ => std::borrow::Cow::Owned(m.t().iter().flat_map(|v| v.to_le_bytes()).collect()),
    }
}

/// Writes `m` to `path` (created or replaced; the caller provides atomicity, as the cache's
/// temporary folder does).
pub fn write(path: &Path, m: &ArrayRef2<f64>) -> Result<(), MatrixFileError> {
    let mut file = std::fs::File::create(path).map_err(io(path))?;
    file.write_all(&header(m.nrows(), m.ncols()))
        .map_err(io(path))?;
    file.write_all(&payload(m)).map_err(io(path))
}

/// Reads a matrix written by [`write`] as a column-major array, checking the magic, the
/// format version and that the file is exactly as long as its shape says.
pub fn read(path: &Path) -> Result<Array2<f64>, MatrixFileError> {
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let actual = file.metadata().map_err(io(path))?.len();
    if actual < HEADER_LEN as u64 {
        return Err(MatrixFileError::ShortHeader {
            path: path.to_path_buf(),
            len: actual,
        });
    }
    let mut h = [0u8; HEADER_LEN];
    file.read_exact(&mut h).map_err(io(path))?;
    let word = |at: usize| u64::from_le_bytes(h[at..at + 8].try_into().expect("8 bytes"));
    let found: [u8; 8] = h[..8].try_into().expect("8 bytes");
    if found != MAGIC {
        return Err(MatrixFileError::BadMagic {
            path: path.to_path_buf(),
            found,
        });
    }
    let version = u32::from_le_bytes(h[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(MatrixFileError::Version {
            path: path.to_path_buf(),
            found: version,
        });
    }
    let (rows, cols) = (word(16), word(24));
    let expected = HEADER_LEN as u128 + 8 * rows as u128 * cols as u128;
    if expected != actual as u128 {
        return Err(MatrixFileError::Length {
            path: path.to_path_buf(),
            rows,
            cols,
            expected,
            actual,
        });
    }
    // The length check bounds rows · cols by the file size, so these fit in usize.
    let (r, c) = (rows as usize, cols as usize);
    let mut values = vec![0f64; r * c];
    file.read_exact(bytemuck::cast_slice_mut(&mut values))
        .map_err(io(path))?;
    if cfg!(target_endian = "big") {
        for v in &mut values {
            *v = f64::from_bits(u64::from_le(v.to_bits()));
        }
    }
    Ok(Array2::from_shape_vec((r, c).f(), values).expect("length checked against the shape"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("gvc-matfile-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn bits(m: &Array2<f64>) -> Vec<(usize, usize, u64)> {
        m.indexed_iter()
            .map(|((i, j), v)| (i, j, v.to_bits()))
            .collect()
    }

    fn round_trip(tag: &str, m: &Array2<f64>) {
        let d = tempdir(tag);
        let p = d.join("m.f64");
        write(&p, m).unwrap();
        let len = std::fs::metadata(&p).unwrap().len();
        assert_eq!(len as usize, HEADER_LEN + 8 * m.len());
        let back = read(&p).unwrap();
        assert_eq!(back.dim(), m.dim());
        assert_eq!(bits(&back), bits(m), "bit-exact round trip");
        assert!(back.t().is_standard_layout(), "read back column-major");
    }

    #[test]
    fn round_trips_special_values_bit_for_bit() {
        let sub = f64::from_bits(1); // the smallest subnormal
        let m = array![
            [f64::NAN, -0.0, 0.0],
            [f64::INFINITY, f64::NEG_INFINITY, sub],
            [-sub, f64::MAX, f64::MIN_POSITIVE],
            [f64::from_bits(0x7ff8_dead_beef_0001), 1.5, -2.25],
        ];
        // Row-major input (goes through the reordering path) and column-major input (one write).
        round_trip("special-c", &m);
        let mut f = Array2::zeros(m.dim().f());
        f.assign(&m);
        round_trip("special-f", &f);
    }

    #[test]
    fn round_trips_empty_and_non_square() {
        round_trip("empty", &Array2::zeros((0, 0)));
        round_trip("zero-rows", &Array2::zeros((0, 7)));
        round_trip("zero-cols", &Array2::zeros((5, 0)));
        let m = Array2::from_shape_fn((3, 7), |(i, j)| (i * 10 + j) as f64 - 0.5);
        round_trip("wide", &m);
        round_trip("tall", &m.t().to_owned());
    }

    #[test]
    fn layout_is_column_major_little_endian() {
        let d = tempdir("layout");
        let p = d.join("m.f64");
        write(&p, &array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]).unwrap();
        let b = std::fs::read(&p).unwrap();
        assert_eq!(&b[..8], b"GVCF64M\n");
        assert_eq!(&b[8..12], &1u32.to_le_bytes());
        assert_eq!(&b[16..24], &3u64.to_le_bytes());
        assert_eq!(&b[24..32], &2u64.to_le_bytes());
        let vals: Vec<f64> = b[32..]
            .chunks(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(vals, [1.0, 3.0, 5.0, 2.0, 4.0, 6.0]);
    }

    fn written(tag: &str) -> (PathBuf, Vec<u8>) {
        let d = tempdir(tag);
        let p = d.join("m.f64");
        write(&p, &Array2::from_shape_fn((4, 3), |(i, j)| (i + j) as f64)).unwrap();
        let b = std::fs::read(&p).unwrap();
        (p, b)
    }

    #[test]
    fn truncated_and_extended_files_are_refused() {
        let (p, b) = written("trunc");
        std::fs::write(&p, &b[..b.len() - 1]).unwrap();
        let e = read(&p).unwrap_err();
        assert!(
            matches!(e, MatrixFileError::Length { actual: 127, .. }),
            "{e}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains("m.f64") && msg.contains("4 × 3") && msg.contains("truncated"),
            "{msg}"
        );
        let mut longer = b.clone();
        longer.push(0);
        std::fs::write(&p, &longer).unwrap();
        assert!(matches!(
            read(&p),
            Err(MatrixFileError::Length { actual: 129, .. })
        ));
        std::fs::write(&p, &b[..20]).unwrap();
        let e = read(&p).unwrap_err();
        assert!(
            matches!(e, MatrixFileError::ShortHeader { len: 20, .. }),
            "{e}"
        );
    }

    #[test]
    fn flipped_header_bytes_are_refused() {
        let (p, b) = written("flip");
        // A flipped bit in the shape: the length no longer fits.
        for at in [16, 23, 24, 31] {
            let mut f = b.clone();
            f[at] ^= 0x01;
            std::fs::write(&p, &f).unwrap();
            assert!(
                matches!(read(&p), Err(MatrixFileError::Length { .. })),
                "byte {at}"
            );
        }
        let mut f = b.clone();
        f[8] ^= 0x02;
        std::fs::write(&p, &f).unwrap();
        let e = read(&p).unwrap_err();
        assert!(
            matches!(e, MatrixFileError::Version { found: 3, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("version 3"), "{e}");
    }

    #[test]
    fn wrong_magic_is_refused() {
        let (p, mut b) = written("magic");
        b[0] = b'P';
        std::fs::write(&p, &b).unwrap();
        let e = read(&p).unwrap_err();
        assert!(matches!(e, MatrixFileError::BadMagic { .. }), "{e}");
        assert!(e.to_string().contains("not a gvc matrix file"), "{e}");
        // A Parquet file (what older caches held) is not mistaken for a matrix.
        let mut pq = b"PAR1".to_vec();
        pq.resize(64, 0);
        std::fs::write(&p, &pq).unwrap();
        assert!(matches!(read(&p), Err(MatrixFileError::BadMagic { .. })));
    }

    #[test]
    fn missing_file_names_the_path() {
        let d = tempdir("missing");
        let e = read(&d.join("nope.f64")).unwrap_err();
        assert!(matches!(e, MatrixFileError::Io { .. }));
        assert!(e.to_string().contains("nope.f64"), "{e}");
    }
}
