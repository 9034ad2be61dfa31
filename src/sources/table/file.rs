//! File-level handling: opening a table file (CSV, or Parquet rendered as text records) at
//! its header, line numbers of records, and the file-level errors (a folder instead of a
//! file, an empty file, no data rows, a row with the wrong field count, malformed CSV).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::sources::SourceError;

use super::columns::Header;
use super::parquet::parquet_records;

/// `path` of a one-file table format names a folder: say so, with the files it holds.
fn folder_not_file(path: &Path) -> SourceError {
    let mut names: Vec<String> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let listed = match names.len() {
        0 => "it holds no files".to_string(),
        n if n <= 5 => format!("it holds {}", names.join(", ")),
        n => format!("it holds {}, … ({n} files)", names[..5].join(", ")),
    };
    SourceError::Layout {
        path: path.to_path_buf(),
        message: "is a folder, but this format reads one table file".into(),
        fix: Some(format!(
            "point the source's `path` at the file itself; {listed}"
        )),
    }
}

fn empty_file(path: &Path) -> SourceError {
    SourceError::Layout {
        path: path.to_path_buf(),
        message: "the file is empty (no header row)".into(),
        fix: Some("check the path of the source".into()),
    }
}

/// A file with a header and no data rows.
pub(crate) fn no_data_rows(path: &Path) -> SourceError {
    SourceError::Layout {
        path: path.to_path_buf(),
        message: "the file has a header but no data rows".into(),
        fix: Some(
            "add the data rows, or point the source's `path` at the file that has them".into(),
        ),
    }
}

/// A data row must have as many fields as the header.
pub(crate) fn check_field_count(
    path: &Path,
    header_len: usize,
    header_line: usize,
    line: usize,
    record: &csv::StringRecord,
) -> Result<(), SourceError> {
    if record.len() == header_len {
        return Ok(());
    }
    Err(SourceError::Text {
        path: path.to_path_buf(),
        line,
        column: record.len().min(header_len) + 1,
        message: format!(
            "row has {} fields but the header (line {header_line}) has {header_len}",
            record.len()
        ),
        fix: Some(
            "quote a cell that contains the delimiter (\"5,8477\") or write decimals with a point (5.8477); every row needs one cell per header column"
                .into(),
        ),
    })
}

// ---------------------------------------------------------------------------------------------
// Shared CSV plumbing (also used by the WDI reader)
// ---------------------------------------------------------------------------------------------

/// A reader that remembers the byte offset of every newline it passes, so that a record's
/// byte position can be turned into a line number (the csv crate's own line counter does
/// not count the blank lines it skips, e.g. in the WDI API preamble).
struct LineCounter<R> {
    inner: R,
    offset: u64,
    newlines: Vec<u64>,
}

impl<R: std::io::Read> std::io::Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = buf.get(..n).unwrap_or_default();
        for (i, &b) in chunk.iter().enumerate() {
            if b == b'\n' {
                self.newlines.push(self.offset + i as u64);
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl<R> LineCounter<R> {
    /// 1-based line of the byte at `offset`.
    fn line_of(&self, offset: u64) -> usize {
        1 + self.newlines.partition_point(|&nl| nl < offset)
    }
}

/// A CSV file read record by record, with a leading UTF-8 byte-order mark removed and blank
/// lines skipped. Line numbers are physical lines of the file (1-based). Records of any
/// width pass through (the WDI preamble lines are narrower than its header); every data row
/// of a table is then checked by [`check_field_count`] (covariate tables through
/// [`TableFile`], WDI files in the WDI reader), so a ragged row is an error at
/// file:line:column. Only the WDI country-metadata files are read without that check: two
/// columns found by name decide which rows are aggregates, and no value comes from them.
pub(crate) struct CsvFile {
    path: PathBuf,
    reader: csv::Reader<LineCounter<BufReader<File>>>,
}

impl CsvFile {
    pub(crate) fn open(path: &Path) -> Result<CsvFile, SourceError> {
        let io_err = |source| SourceError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_err)?;
        let mut buffered = BufReader::new(file);
        let starts_with_bom = buffered
            .fill_buf()
            .map_err(io_err)?
            .starts_with(b"\xEF\xBB\xBF");
        if starts_with_bom {
            buffered.consume(3);
        }
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(LineCounter {
                inner: buffered,
                offset: 0,
                newlines: Vec::new(),
            });
        Ok(CsvFile {
            path: path.to_path_buf(),
            reader,
        })
    }

    /// The line on which the record just read ends. The csv crate positions a record at the
    /// end of the previous one (before any blank lines it skips), so we use the byte just
    /// before the reader's position, which is the record's terminator (or its last byte at
    /// the end of the file). A quoted field spanning lines is reported at its last line.
    fn current_line(&self) -> usize {
        let end = self.reader.position().byte();
        self.reader.get_ref().line_of(end.saturating_sub(1))
    }

    /// The next non-empty record with its 1-based line number.
    pub(crate) fn next_record(
        &mut self,
    ) -> Result<Option<(usize, csv::StringRecord)>, SourceError> {
        let mut record = csv::StringRecord::new();
        loop {
            match self.reader.read_record(&mut record) {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    let line = self.current_line();
                    if record.len() == 1 && record.get(0).is_some_and(|c| c.trim().is_empty()) {
                        continue;
                    }
                    return Ok(Some((line, record.clone())));
                }
                Err(e) => return Err(csv_error(&self.path, self.current_line(), e)),
            }
        }
    }
}

/// The records of a table file: CSV lines, or the rows of a Parquet file rendered as text
/// cells (header = column names; numbers in shortest round-trip form; nulls empty), so one set
/// of parsing rules and error messages serves both. A Parquet row r (1-based) is reported as
/// line r + 1, the line it would have in the same table written as CSV with its header.
pub(crate) enum Records {
    Csv(CsvFile),
    Rows(std::vec::IntoIter<(usize, csv::StringRecord)>),
}

impl Records {
    pub(crate) fn open(path: &Path, parquet: bool) -> Result<Records, SourceError> {
        if parquet {
            parquet_records(path).map(|rows| Records::Rows(rows.into_iter()))
        } else {
            CsvFile::open(path).map(Records::Csv)
        }
    }

    pub(crate) fn next_record(
        &mut self,
    ) -> Result<Option<(usize, csv::StringRecord)>, SourceError> {
        match self {
            Records::Csv(f) => f.next_record(),
            Records::Rows(rows) => Ok(rows.next()),
        }
    }
}

/// A covariate table opened at its header. [`TableFile::next_row`] checks that every data row
/// has the header's field count and fails on a file with a header but no data rows.
pub(super) struct TableFile<'a> {
    path: &'a Path,
    records: Records,
    pub(super) header: Header<'a>,
    header_line: usize,
    rows: usize,
}

impl<'a> TableFile<'a> {
    pub(super) fn open(path: &'a Path, parquet: bool) -> Result<TableFile<'a>, SourceError> {
        if path.is_dir() {
            return Err(folder_not_file(path));
        }
        let mut records = Records::open(path, parquet)?;
        let Some((header_line, header)) = records.next_record()? else {
            return Err(empty_file(path));
        };
        Ok(TableFile {
            path,
            records,
            header: Header::new(path, header),
            header_line,
            rows: 0,
        })
    }

    /// The next data row with its line; `None` at the end of a file that had data rows.
    pub(super) fn next_row(&mut self) -> Result<Option<(usize, csv::StringRecord)>, SourceError> {
        match self.records.next_record()? {
            Some((line, record)) => {
                let width = self.header.names.len();
                check_field_count(self.path, width, self.header_line, line, &record)?;
                self.rows += 1;
                Ok(Some((line, record)))
            }
            None if self.rows == 0 => Err(no_data_rows(self.path)),
            None => Ok(None),
        }
    }
}

fn csv_error(path: &Path, line: usize, e: csv::Error) -> SourceError {
    match e.into_kind() {
        csv::ErrorKind::Io(source) => SourceError::Io {
            path: path.to_path_buf(),
            source,
        },
        csv::ErrorKind::Utf8 { err, .. } => SourceError::Text {
            path: path.to_path_buf(),
            line,
            column: err.field() + 1,
            message: "the cell is not valid UTF-8".into(),
            fix: Some("save the file as UTF-8".into()),
        },
        other => SourceError::Text {
            path: path.to_path_buf(),
            line,
            column: 1,
            message: format!("malformed CSV: {other:?}"),
            fix: Some("check quoting and separators of this line".into()),
        },
    }
}
