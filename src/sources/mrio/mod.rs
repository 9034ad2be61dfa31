//! Multi-regional input-output table readers: one file per year in, one [`IoTable`] out.
//!
//! Formats (the `format` key of `[sources.mrio]`, DESIGN.md §2):
//! `adb-xlsx` ([`adb`]), `icio-csv` ([`icio`]), `labelled-csv` ([`labelled_csv`]),
//! `matrices` ([`matrices`]) and `synthetic` ([`synthetic`]). Each format has its own
//! options struct (serde, unknown keys rejected); [`MrioOptions`] holds one of them and
//! [`read_table`] dispatches on it. [`find_year_file`] resolves which file holds a year.

pub mod adb;
pub mod icio;
pub mod labelled_csv;
pub mod matrices;
pub mod synthetic;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

use crate::iot::IoTable;
use crate::sources::SourceError;

/// The MRIO file formats gvc reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MrioFormat {
    /// ADB MRIO Excel workbooks, 62- and 72-economy editions (reference §8.1).
    AdbXlsx,
    /// OECD ICIO CSV files (reference §8.2).
    IcioCsv,
    /// One labelled wide CSV per year, OECD-ICIO-2023-like (`<CTY>_<SECTOR>` labels).
    LabelledCsv,
    /// Separate Z / Y / x matrix files in a folder.
    Matrices,
    /// A generated table ([`synthetic::generate`]); reads no file.
    Synthetic,
}

impl MrioFormat {
    /// Every format, in the order of the spec documentation.
    pub const ALL: [MrioFormat; 5] = [
        MrioFormat::AdbXlsx,
        MrioFormat::IcioCsv,
        MrioFormat::LabelledCsv,
        MrioFormat::Matrices,
        MrioFormat::Synthetic,
    ];

    /// The spec name of the format (`adb-xlsx`, …).
    pub fn name(self) -> &'static str {
        match self {
            MrioFormat::AdbXlsx => "adb-xlsx",
            MrioFormat::IcioCsv => "icio-csv",
            MrioFormat::LabelledCsv => "labelled-csv",
            MrioFormat::Matrices => "matrices",
            MrioFormat::Synthetic => "synthetic",
        }
    }

    /// Whether the format reads a file (all but `synthetic`).
    pub fn reads_files(self) -> bool {
        self != MrioFormat::Synthetic
    }
}

impl fmt::Display for MrioFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown format name; the message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown MRIO format `{given}` (valid formats: {})",
    valid_format_list()
)]
pub struct UnknownFormat {
    pub given: String,
}

fn valid_format_list() -> String {
    MrioFormat::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for MrioFormat {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MrioFormat::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFormat {
                given: s.to_string(),
            })
    }
}

impl<'de> Deserialize<'de> for MrioFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Where gross output x comes from (reference §9 pitfall 1; record the choice with results).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputSource {
    /// The table's own total-output column (ADB `ToT`, labelled CSV `OUT`), or the total-output
    /// row when the file has no such column. Default.
    #[default]
    Table,
    /// x = rowSums(Z) + rowSums(Y) (decompr without `o`, exvatools). The file's total column and
    /// row are still checked against each other when both exist.
    RowSums,
}

/// A reader option that could not be read: the key that holds the wrong value (when serde got
/// as far as a key) and what was wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{message}", key.as_ref().map(|k| format!("`{k}`: ")).unwrap_or_default())]
pub struct OptionError {
    /// Path of the offending option (`fd_categories`, `ignore[1]`), if known.
    pub key: Option<String>,
    /// serde's message, in the spec's words (list, table).
    pub message: String,
}

/// Format-specific reader options, one variant per [`MrioFormat`].
#[derive(Debug)]
pub enum MrioOptions {
    /// `adb-xlsx`: see [`adb::AdbOptions`].
    AdbXlsx(adb::AdbOptions),
    /// `icio-csv`: see [`IcioCsvOptions`].
    IcioCsv(IcioCsvOptions),
    /// `labelled-csv`: see [`labelled_csv::LabelledCsvOptions`].
    LabelledCsv(labelled_csv::LabelledCsvOptions),
    /// `matrices`: see [`MatricesFolderOptions`].
    Matrices(MatricesFolderOptions),
    /// `synthetic`: the generator's spec, see [`synthetic::SyntheticSpec`].
    Synthetic(synthetic::SyntheticSpec),
}

impl MrioOptions {
    /// The format these options belong to.
    pub fn format(&self) -> MrioFormat {
        match self {
            MrioOptions::AdbXlsx(_) => MrioFormat::AdbXlsx,
            MrioOptions::IcioCsv(_) => MrioFormat::IcioCsv,
            MrioOptions::LabelledCsv(_) => MrioFormat::LabelledCsv,
            MrioOptions::Matrices(_) => MrioFormat::Matrices,
            MrioOptions::Synthetic(_) => MrioFormat::Synthetic,
        }
    }

    /// Deserialises the options table of `format` (any serde format: a TOML table, JSON
    /// object, …). Unknown keys are errors. `synthetic` needs at least `countries`.
    pub fn deserialize_for<'de, D: Deserializer<'de>>(
        format: MrioFormat,
        d: D,
    ) -> Result<Self, D::Error> {
        Ok(match format {
            MrioFormat::AdbXlsx => MrioOptions::AdbXlsx(Deserialize::deserialize(d)?),
            MrioFormat::IcioCsv => MrioOptions::IcioCsv(Deserialize::deserialize(d)?),
            MrioFormat::LabelledCsv => MrioOptions::LabelledCsv(Deserialize::deserialize(d)?),
            MrioFormat::Matrices => MrioOptions::Matrices(Deserialize::deserialize(d)?),
            MrioFormat::Synthetic => MrioOptions::Synthetic(Deserialize::deserialize(d)?),
        })
    }

    /// Reads the options object of `format` and, when a value is wrong, says which key holds it:
    /// serde's own message names the type but not the field, so the path is tracked with
    /// `serde_path_to_error` (a nested key reads `a.b`, a list item `a[2]`).
    pub fn from_json(format: MrioFormat, value: serde_json::Value) -> Result<Self, OptionError> {
        let mut track = serde_path_to_error::Track::new();
        let d = serde_path_to_error::Deserializer::new(value, &mut track);
        Self::deserialize_for(format, d).map_err(|e| {
            let message = e.to_string();
            let mut path = track.path().to_string();
            // An unknown key is named by the message itself; the place is its parent.
            if message.starts_with("unknown field") {
                path = path
                    .rsplit_once('.')
                    .map_or(String::new(), |(p, _)| p.to_string());
            }
            OptionError {
                key: (path != "." && !path.is_empty()).then_some(path),
                message: message
                    .replace("a sequence", "a list")
                    .replace("a map", "a table"),
            }
        })
    }

    /// The default options of `format` (every key at its default), or the deserialisation
    /// error naming the keys that have no default (`synthetic` needs `countries`).
    pub fn default_for(format: MrioFormat) -> Result<Self, serde::de::value::Error> {
        let empty = serde::de::value::MapDeserializer::<
            std::iter::Empty<(&str, &str)>,
            serde::de::value::Error,
        >::new(std::iter::empty());
        Self::deserialize_for(format, empty)
    }
}

/// How the `icio-csv` reader treats split country blocks (reference §8.2, §9 pitfall 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SplitBlocksChoice {
    /// Keep CN1/CN2, MX1/MX2 rows and map them to their country (exvatools). Default.
    #[default]
    Keep,
    /// Sum the split blocks into the country's rows and columns first (pymrio).
    Aggregate,
}

/// Options of `icio-csv` as written in a spec; every key is optional:
///
/// | key | default | meaning |
/// |---|---|---|
/// | `split_blocks` | `"keep"` | `keep` or `aggregate` split blocks (CN1/CN2, MX1/MX2) |
/// | `output` | `"row-sums"` | `row-sums`: x = rowSums(Z) + rowSums(Y) (exvatools); `table`: the `OUT`/`OUTPUT` column |
/// | `block_country` | `{}` | extra `block = "country"` pairs, added to (and overriding) CN1..CN4 → CHN, MX1..MX3 → MEX |
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IcioCsvOptions {
    /// Keep or aggregate split country blocks.
    pub split_blocks: SplitBlocksChoice,
    /// Where gross output comes from; `None` = the reader's default (row sums).
    pub output: Option<OutputSource>,
    /// Extra block → country pairs.
    pub block_country: std::collections::BTreeMap<String, String>,
}

impl IcioCsvOptions {
    /// The [`icio::IcioOptions`] these spec options stand for, recording `year`.
    pub fn reader_options(&self, year: Option<i32>) -> icio::IcioOptions {
        let mut o = icio::IcioOptions {
            year,
            ..Default::default()
        };
        o.split_blocks = match self.split_blocks {
            SplitBlocksChoice::Keep => icio::SplitBlocks::KeepMapped,
            SplitBlocksChoice::Aggregate => icio::SplitBlocks::Aggregate,
        };
        if let Some(out) = self.output {
            o.output = match out {
                OutputSource::Table => icio::IcioOutput::Table,
                OutputSource::RowSums => icio::IcioOutput::Recompute,
            };
        }
        for (block, country) in &self.block_country {
            o.block_country.retain(|(b, _)| b != block);
            o.block_country.push((block.clone(), country.clone()));
        }
        o
    }
}

fn default_inter() -> PathBuf {
    "input_inter.csv".into()
}
fn default_final() -> PathBuf {
    "input_final.csv".into()
}
fn default_out() -> PathBuf {
    "input_out.csv".into()
}
fn default_countries() -> PathBuf {
    "input_countries.csv".into()
}
fn default_industries() -> PathBuf {
    "input_industries.csv".into()
}
fn default_true() -> bool {
    true
}

/// Options of `matrices` as written in a spec (decompr layout: one folder per year); every
/// key is optional:
///
/// | key | default | meaning |
/// |---|---|---|
/// | `inter` | `"input_inter.csv"` | Z, n×n |
/// | `final_demand` | `"input_final.csv"` | final demand, n × G·F |
/// | `output_file` | `"input_out.csv"` | gross output, n values (read when `output = "table"`) |
/// | `output` | `"table"` | `table`: x from `output_file`; `row-sums`: x = rowSums(Z) + rowSums(Y) |
/// | `countries` | `"input_countries.csv"` | country list |
/// | `industries` | `"input_industries.csv"` | industry list |
/// | `lists_have_header` | `true` | whether the two lists start with a header line |
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatricesFolderOptions {
    /// Z file, relative to the folder.
    #[serde(default = "default_inter")]
    pub inter: PathBuf,
    /// Final-demand file.
    #[serde(default = "default_final")]
    pub final_demand: PathBuf,
    /// Gross-output file.
    #[serde(default = "default_out")]
    pub output_file: PathBuf,
    /// Where gross output comes from.
    #[serde(default)]
    pub output: OutputSource,
    /// Country list file.
    #[serde(default = "default_countries")]
    pub countries: PathBuf,
    /// Industry list file.
    #[serde(default = "default_industries")]
    pub industries: PathBuf,
    /// Whether the lists start with a header line.
    #[serde(default = "default_true")]
    pub lists_have_header: bool,
}

impl MatricesFolderOptions {
    /// The [`matrices::MatricesOptions`] these spec options stand for, recording `year`.
    pub fn reader_options(&self, year: Option<i32>) -> matrices::MatricesOptions {
        matrices::MatricesOptions {
            inter: self.inter.clone(),
            final_demand: self.final_demand.clone(),
            output: match self.output {
                OutputSource::Table => Some(self.output_file.clone()),
                OutputSource::RowSums => None,
            },
            countries: self.countries.clone(),
            industries: self.industries.clone(),
            lists_have_header: self.lists_have_header,
            year,
        }
    }
}

/// The placeholder path named in errors of the `synthetic` source, which reads no file.
pub const SYNTHETIC_PATH: &str = "<synthetic>";

/// Reads one year's table with the reader of `options`' format.
///
/// `path` is the year's file (or folder for `matrices`, see [`find_year_file`]); `synthetic`
/// ignores it and needs `year`. The returned table has passed [`IoTable::validate`] and
/// [`IoTable::check_accounts`] (no value added below −output, gross output within 10 % of
/// its row sum; errors name the file and the entry).
pub fn read_table(
    options: &MrioOptions,
    path: Option<&Path>,
    year: Option<i32>,
) -> Result<IoTable, SourceError> {
    let need_path = |format: MrioFormat| {
        path.ok_or_else(|| SourceError::Layout {
            path: PathBuf::from("<none>"),
            message: format!("the {format} reader needs a file path"),
            fix: Some("set `path` (and `files`) in [sources.mrio]".into()),
        })
    };
    let mut table = match options {
        MrioOptions::AdbXlsx(o) => adb::read(need_path(MrioFormat::AdbXlsx)?, year, o)?,
        MrioOptions::IcioCsv(o) => {
            icio::read(need_path(MrioFormat::IcioCsv)?, &o.reader_options(year))?
        }
        MrioOptions::LabelledCsv(o) => {
            labelled_csv::read(need_path(MrioFormat::LabelledCsv)?, year, o)?
        }
        MrioOptions::Matrices(o) => {
            matrices::read(need_path(MrioFormat::Matrices)?, &o.reader_options(year))?
        }
        MrioOptions::Synthetic(spec) => read_synthetic(spec, year)?,
    };
    if table.year.is_none() {
        table.year = year;
    }
    if let Some(p) = path {
        check_gross_output(&table, p)?;
    }
    table
        .check_accounts()
        .map_err(|source| SourceError::Table {
            path: path.map_or_else(|| PathBuf::from(SYNTHETIC_PATH), Path::to_path_buf),
            source,
        })?;
    Ok(table)
}

/// Gross output must not be negative, whatever the reader (`adb-xlsx` and `labelled-csv`
/// already say where, cell by cell): an entry below −1e-6 × the largest output is an error
/// naming it. Smaller negatives are a rounded table's noise on a row that sums to about
/// zero (WIOD 2009 `LUX_c5`: −1 against outputs in the millions) and are kept.
fn check_gross_output(table: &IoTable, path: &Path) -> Result<(), SourceError> {
    let scale = table.x.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    match table.x.iter().position(|&v| v < -1e-6 * scale || v.is_nan()) {
        None => Ok(()),
        Some(i) => Err(SourceError::Layout {
            path: path.to_path_buf(),
            message: format!(
                "gross output of `{}` is {} (negative or not a number)",
                table.labels[i], table.x[i]
            ),
            fix: Some(
                "gross output must be ≥ 0: correct the table, or with output = \"row-sums\" check the row's final demand (inventories)".into(),
            ),
        }),
    }
}

fn read_synthetic(
    spec: &synthetic::SyntheticSpec,
    year: Option<i32>,
) -> Result<IoTable, SourceError> {
    let layout = |message: String, fix: &str| SourceError::Layout {
        path: PathBuf::from(SYNTHETIC_PATH),
        message,
        fix: Some(fix.to_string()),
    };
    let year = year.ok_or_else(|| {
        layout(
            "the synthetic source needs a year".into(),
            "read it through a study whose sample names years",
        )
    })?;
    synthetic::generate(spec, year).map_err(|e| layout(e.to_string(), "correct [sources.mrio]"))
}

/// Resolves the one file of `dir` (searched recursively) that holds `year`.
///
/// `pattern` is matched against each file's path relative to `dir` (with `/` separators) when
/// it contains a `/`, else against the file name; `{year}` is replaced by the year, `*`
/// matches any run of characters and `?` one character (DESIGN.md §2, e.g.
/// `ADB-MRIO*{year}*.xlsx`). Exactly one file must match: zero or several matches are errors
/// that name the pattern and folder and list near matches (the files the pattern would match
/// for any year) or all matches.
///
/// `dir` must be a folder: a file is an error saying that `files` needs a folder. Entries of
/// the folder that cannot be read (a dangling symbolic link, a folder without permission) are
/// skipped unless they match the year's pattern; one that does is an error naming it (for a
/// dangling link, with its missing target).
pub fn find_year_file(dir: &Path, pattern: &str, year: i32) -> Result<PathBuf, SourceError> {
    if dir.is_file() {
        return Err(SourceError::Layout {
            path: dir.to_path_buf(),
            message: format!("`path` is a file but `files = \"{pattern}\"` needs a folder"),
            fix: Some(
                "remove `files` to read this one file for every year, or point `path` at the folder that holds the yearly files"
                    .into(),
            ),
        });
    }
    let concrete = pattern.replace("{year}", &year.to_string());
    let any_year = pattern.replace("{year}", "*");
    let listing = list_files(dir)?;
    let subject = |rel: &str| -> String {
        if pattern.contains('/') {
            rel.to_string()
        } else {
            rel.rsplit('/').next().unwrap_or(rel).to_string()
        }
    };
    if let Some(bad) = listing
        .unreadable
        .iter()
        .find(|u| glob_match(&concrete, &subject(&u.rel)))
    {
        return Err(SourceError::Layout {
            path: dir.to_path_buf(),
            message: format!(
                "`{}` matches `{concrete}` for year {year} but {}",
                bad.rel, bad.reason
            ),
            fix: Some(format!(
                "restore the {year} table at {} (or the link's target), or remove the entry",
                bad.path.display()
            )),
        });
    }
    let files = listing.files;
    let matches: Vec<&(String, PathBuf)> = files
        .iter()
        .filter(|(rel, _)| glob_match(&concrete, &subject(rel)))
        .collect();
    match matches.as_slice() {
        [(_, path)] => Ok(path.clone()),
        [] => {
            let near: Vec<&str> = files
                .iter()
                .filter(|(rel, _)| glob_match(&any_year, &subject(rel)))
                .map(|(rel, _)| rel.as_str())
                .take(12)
                .collect();
            let listing = if near.is_empty() {
                "no file matches the pattern for any year".to_string()
            } else {
                format!(
                    "files matching the pattern for other years: {}",
                    near.join(", ")
                )
            };
            Err(SourceError::Layout {
                path: dir.to_path_buf(),
                message: format!("no file for year {year} matches `{concrete}` ({listing})"),
                fix: Some(format!(
                    "put the {year} table in {} or correct `files = \"{pattern}\"`",
                    dir.display()
                )),
            })
        }
        several => Err(SourceError::Layout {
            path: dir.to_path_buf(),
            message: format!(
                "{} files match `{concrete}` for year {year}: {}",
                several.len(),
                several
                    .iter()
                    .map(|(rel, _)| rel.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            fix: Some(format!(
                "make `files = \"{pattern}\"` specific enough to pick one file per year"
            )),
        }),
    }
}

/// What [`list_files`] finds under a folder.
struct Listing {
    /// Regular files (symbolic links followed), as (relative path with `/`, full path), sorted.
    files: Vec<(String, PathBuf)>,
    /// Entries that could not be read, in walk order.
    unreadable: Vec<Unreadable>,
}

/// An entry of the folder that could not be read.
struct Unreadable {
    /// Path relative to the folder, with `/`.
    rel: String,
    /// Full path.
    path: PathBuf,
    /// Why, phrased to follow "but": `is a dangling symbolic link (its target x does not
    /// exist)`, `cannot be read: permission denied`.
    reason: String,
}

/// All regular files under `dir`, and the entries that could not be read (a dangling link
/// does not stop the walk: it matters only if it is the file a year asks for).
fn list_files(dir: &Path) -> Result<Listing, SourceError> {
    if !dir.is_dir() {
        return Err(SourceError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "folder not found"),
        });
    }
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(true) {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                files.push((relative(dir, entry.path()), entry.path().to_path_buf()));
            }
            Ok(_) => {}
            Err(e) => {
                let Some(path) = e.path().map(Path::to_path_buf) else {
                    continue;
                };
                unreadable.push(Unreadable {
                    rel: relative(dir, &path),
                    reason: unreadable_reason(&path, &e),
                    path,
                });
            }
        }
    }
    files.sort();
    Ok(Listing { files, unreadable })
}

/// `path` relative to `dir`, with `/` separators.
fn relative(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Why a walk entry could not be read: a dangling link names its target.
fn unreadable_reason(path: &Path, e: &walkdir::Error) -> String {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link && !path.exists() {
        let target = std::fs::read_link(path)
            .map(|t| t.display().to_string())
            .unwrap_or_else(|_| "?".into());
        return format!("is a dangling symbolic link (its target {target} does not exist)");
    }
    if e.loop_ancestor().is_some() {
        return "is a symbolic link that loops back to a parent folder".into();
    }
    match e.io_error() {
        Some(io) => format!("cannot be read: {io}"),
        None => format!("cannot be read: {e}"),
    }
}

/// Wildcard match: `*` any run of characters (also empty), `?` exactly one, all else literal.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// The largest sum of absolute cell values a table may have (10³⁰⁰). Below it, gvc's row,
/// column and world sums, and their products with Leontief multipliers, stay far from
/// f64::MAX (≈ 1.8·10³⁰⁸); a cell that takes a table past it (`1e308`, a unit or exponent
/// typo) is reported at its place instead of as a later "A is not productive".
pub const MAX_TABLE_MAGNITUDE: f64 = 1e300;

/// The running sum of |cell| over the numeric cells of one table file, as they are read
/// ([`MAX_TABLE_MAGNITUDE`]). Interior mutability, so readers that parse through `&self`
/// can keep it.
#[derive(Debug, Default)]
pub(crate) struct MagnitudeGuard(std::cell::Cell<f64>);

impl MagnitudeGuard {
    /// Adds |v|; an error message (for the caller to locate at v's cell) once the total
    /// passes [`MAX_TABLE_MAGNITUDE`].
    pub(crate) fn add(&self, v: f64) -> Result<(), String> {
        let total = self.0.get() + v.abs();
        self.0.set(total);
        if total <= MAX_TABLE_MAGNITUDE {
            Ok(())
        } else {
            Err(format!(
                "{v:e} is too large: with it the table's cells add up to more than 1e300 in absolute value, where sums such as rowSums(Z) + rowSums(Y) overflow"
            ))
        }
    }
}

/// The fix for a cell that [`MagnitudeGuard`] rejects.
pub(crate) const MAGNITUDE_FIX: &str =
    "check this cell for a unit or exponent typo: input-output values are far below 1e300";

/// Whether two reported outputs agree: |a − b| ≤ tol·max(|a|, |b|, 1) (the floor of 1 table
/// unit keeps zero-output entries from failing on rounding noise).
pub(crate) fn outputs_agree(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

impl crate::choice::Choice for MrioFormat {
    const WHAT: &'static str = "input-output table format";
    const ALL: &'static [Self] = &MrioFormat::ALL;
    fn name(self) -> &'static str {
        MrioFormat::name(self)
    }
}

impl serde::Serialize for MrioFormat {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in MrioFormat::ALL {
            assert_eq!(f.name().parse::<MrioFormat>().unwrap(), f);
        }
        let e = "adb".parse::<MrioFormat>().unwrap_err().to_string();
        assert!(
            e.contains("`adb`")
                && e.contains("adb-xlsx, icio-csv, labelled-csv, matrices, synthetic"),
            "{e}"
        );
    }

    #[test]
    fn glob() {
        assert!(glob_match(
            "ADB-MRIO*2017*.xlsx",
            "ADB-MRIO62-2017_Dec2022.xlsx"
        ));
        assert!(glob_match(
            "ADB-MRIO*2017*.xlsx",
            "ADB-MRIO-2017_Dec2022-2.xlsx"
        ));
        assert!(!glob_match("ADB-MRIO*2017*.xlsx", "ADB-MRIO-2018.xlsx"));
        assert!(glob_match("wiot_????.csv", "wiot_2009.csv"));
        assert!(!glob_match("wiot_????.csv", "wiot_209.csv"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYYbZc"));
        assert!(!glob_match("a*b*c", "aXXbYYbZ"));
        assert!(glob_match("*_TAXSUB", "AUS_TAXSUB"));
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("gvc-mrio-unit-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_file_path_with_a_files_pattern_says_so() {
        let dir = temp_dir("file-path");
        let file = dir.join("wiot_2009.csv");
        std::fs::write(&file, "x").unwrap();
        let e = find_year_file(&file, "wiot_{year}.csv", 2009)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "{}: `path` is a file but `files = \"wiot_{{year}}.csv\"` needs a folder (fix: remove `files` to read this one file for every year, or point `path` at the folder that holds the yearly files)",
                file.display()
            )
        );
    }

    #[cfg(unix)]
    #[test]
    fn dangling_links_are_skipped_unless_they_are_the_years_file() {
        let dir = temp_dir("dangling");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("wiot_2009.csv"), "x").unwrap();
        std::os::unix::fs::symlink(dir.join("gone.csv"), dir.join("sub/stale.csv")).unwrap();
        assert_eq!(
            find_year_file(&dir, "wiot_{year}.csv", 2009).unwrap(),
            dir.join("wiot_2009.csv")
        );
        std::os::unix::fs::symlink(dir.join("moved/wiot_2010.csv"), dir.join("wiot_2010.csv"))
            .unwrap();
        let e = find_year_file(&dir, "wiot_{year}.csv", 2010)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!(
                "`wiot_2010.csv` matches `wiot_2010.csv` for year 2010 but is a dangling symbolic link (its target {} does not exist)",
                dir.join("moved/wiot_2010.csv").display()
            )),
            "{e}"
        );
        // the other years are unaffected
        assert!(find_year_file(&dir, "wiot_{year}.csv", 2009).is_ok());
    }

    #[test]
    fn output_tolerance() {
        assert!(outputs_agree(0.0, 1e-7, 1e-6));
        assert!(!outputs_agree(0.0, 1e-5, 1e-6));
        assert!(outputs_agree(1e6, 1e6 + 0.5, 1e-6));
        assert!(!outputs_agree(1e6, 1e6 + 2.0, 1e-6));
    }
}
