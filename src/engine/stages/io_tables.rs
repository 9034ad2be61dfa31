//! `io_tables`: one year's input-output table read into the canonical [`IoTable`] by the
//! source's reader. Parameters: the reader format and its options (the `[sources.<name>]`
//! keys other than `format`, `path`, `files`, `download`, `codes`), the year, and the file(s)
//! read with their content hashes; and the sector groups merged before the decomposition
//! (`[panel] groups` with `aggregate = "before"`, [`IoTable::merge_sectors`]), if any.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::engine::artifact::{CountryTotals, Facts, Produced};
use crate::engine::hashing::{FileHasher, InputFile};
use crate::engine::stage::{RunContext, Stage};
use crate::engine::stages::StageKind;
use crate::engine::StageError;
use crate::iot::IoTable;
use crate::sources::mrio::{self, MrioFormat, MrioOptions};
use crate::spec::{Diagnostic, Diagnostics, Source, Spec};

/// Parameters of one year's table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IoTables {
    pub format: MrioFormat,
    /// The reader's options as the spec wrote them (a JSON object the reader's own option
    /// type deserialises; unknown keys were rejected at planning).
    pub options: serde_json::Value,
    pub year: i32,
    /// The file or folder the reader opens (`None` for generated tables).
    pub path: Option<PathBuf>,
    /// Every file the reader reads, with its content hash (one for a file, each file of a
    /// `matrices` folder).
    pub files: Vec<InputFile>,
    /// Sector groups `(name, member sectors)` merged into one sector each in every country
    /// after reading ([`IoTable::merge_sectors`]); empty = the table as read. Skipped when
    /// empty, so the key of an unmerged table is what it always was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merge_sectors: Vec<(String, Vec<String>)>,
}

impl Stage for IoTables {
    const KIND: StageKind = StageKind::IoTables;
    const VERSION: u32 = 4;
    type Output = IoTable;

    fn deps(&self) -> Vec<(String, crate::engine::key::Key)> {
        Vec::new()
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<Produced<IoTable>, StageError> {
        ctx.open_all(&self.files)?;
        let options = reader_options(self.format, &self.options)?;
        let mut table = mrio::read_table(&options, self.path.as_deref(), Some(self.year))?;
        if !self.merge_sectors.is_empty() {
            table = table.merge_sectors(&self.merge_sectors)?;
        }
        Ok(Produced {
            facts: Facts {
                summary: table_summary(&table),
                ..Facts::default()
            },
            output: table,
        })
    }
}

/// The reader options of `format` from their JSON form.
pub fn reader_options(
    format: MrioFormat,
    options: &serde_json::Value,
) -> Result<MrioOptions, StageError> {
    MrioOptions::deserialize_for(format, options.clone()).map_err(|source| StageError::Options {
        format: format.name(),
        source,
    })
}

/// The table source of a spec: the source, its table format and its reader options (without
/// `codes`, which names the table's code system for the panel), or located diagnostics.
pub fn table_source(spec: &Spec) -> Result<(&Source, MrioFormat, serde_json::Value), Diagnostics> {
    let name = &spec.decomposition.source;
    let Some(src) = spec.sources.get(&name.value) else {
        return Err(Diagnostics(vec![Diagnostic::at(
            &name.loc,
            format!(
                "no `[sources.{}]` to read input-output tables from",
                name.value
            ),
        )]));
    };
    let Some(format) = src.format.value.tables() else {
        return Err(Diagnostics(vec![Diagnostic::at(
            &src.format.loc,
            format!("`sources.{}` does not hold input-output tables", src.name),
        )]));
    };
    let mut options = src.options.clone();
    if let Some(map) = options.as_object_mut() {
        map.remove("codes");
    }
    if format == MrioFormat::Synthetic {
        if let Some((key, msg)) = mrio::synthetic::option_type_problem(&src.name, &options) {
            let loc = src.option_locs.get(&key).unwrap_or(&src.loc);
            let example = match key.as_str() {
                "seed" => "`seed = 7`".to_string(),
                "countries" => "`countries = [\"AUS\", \"BRA\", \"CHN\"]`".to_string(),
                "fd_categories" => "`fd_categories = 3` (codes F1..F3) or `fd_categories = [\"hh\", \"gov\", \"inv\"]`".to_string(),
                k => format!("`{k} = 5` (codes c1..c5) or `{k} = [\"agr\", \"man\", \"srv\"]`"),
            };
            return Err(Diagnostics(vec![Diagnostic::at(loc, msg).with_help(
                format!(
                "write e.g. {example}; docs/spec-reference.md lists the keys of a synthetic source"
            ),
            )]));
        }
    }
    if let Err(e) = MrioOptions::from_json(format, options.clone()) {
        // Point at the offending key: the one the error's path starts with, or one serde
        // names in its message (an unknown key).
        let top = e
            .key
            .as_deref()
            .map(|k| k.split(['.', '[']).next().unwrap_or(k));
        let loc = src
            .option_locs
            .iter()
            .find(|(k, _)| Some(k.as_str()) == top || e.message.contains(&format!("`{k}`")))
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| src.loc.clone());
        let what = match &e.key {
            Some(k) => format!("`sources.{}.{k}` ({})", src.name, format.name()),
            None => format!("`sources.{}` ({})", src.name, format.name()),
        };
        return Err(Diagnostics(vec![Diagnostic::at(
            &loc,
            format!("{what}: {}", e.message),
        )
        .with_help("see docs/spec-reference.md for the keys of each format")]));
    }
    Ok((src, format, options))
}

/// Problems of a table source that concern all its years at once, found before any year is
/// planned: a synthetic source that does not offer every sample year, and a `files` pattern
/// without `{year}` when the sample spans several years (every year would read one file).
pub fn years_problem(
    src: &Source,
    format: MrioFormat,
    options: &serde_json::Value,
    years: &[i32],
) -> Option<Diagnostic> {
    if format == MrioFormat::Synthetic {
        let offered: Vec<i64> = options
            .get("years")
            .and_then(|y| y.as_array())
            .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect())
            .unwrap_or_default();
        let missing: Vec<String> = years
            .iter()
            .filter(|y| !offered.is_empty() && !offered.contains(&i64::from(**y)))
            .map(i32::to_string)
            .collect();
        if !missing.is_empty() {
            return Some(
                Diagnostic::at(
                    src.option_locs.get("years").unwrap_or(&src.loc),
                    format!(
                        "`sources.{}.years` does not offer the sample year(s) {}",
                        src.name,
                        missing.join(", ")
                    ),
                )
                .with_help("add them to `years`, leave `years` out (a synthetic source then offers every year), or narrow `sample.years`"),
            );
        }
    }
    match &src.files {
        Some(pattern) if years.len() > 1 && !pattern.value.contains("{year}") => Some(
            Diagnostic::at(
                &pattern.loc,
                format!(
                    "`files = {:?}` has no `{{year}}`, so every sample year ({}–{}) would read the same file",
                    pattern.value,
                    years[0],
                    years[years.len() - 1]
                ),
            )
            .with_help("write `{year}` where the file name has the year, e.g. `files = \"wiot_{year}.csv\"`; to read one table for every year, remove `files` and point `path` at that file"),
        ),
        _ => None,
    }
}

/// The file (or folder) a year's table is read from.
pub fn year_file(
    src: &Source,
    format: MrioFormat,
    year: i32,
) -> Result<Option<PathBuf>, Diagnostic> {
    if !format.reads_files() {
        return Ok(None);
    }
    let Some(path) = &src.path else {
        return Err(Diagnostic::at(
            &src.loc,
            format!("`sources.{}` needs `path`", src.name),
        ));
    };
    match &src.files {
        Some(pattern) => mrio::find_year_file(&path.value, &pattern.value, year)
            .map(Some)
            .map_err(|e| {
                // The reader's message says what to do; the year is what the spec adds.
                Diagnostic::at(&pattern.loc, format!("year {year}: {e}"))
            }),
        None if path.value.is_dir() && format != MrioFormat::Matrices => Err(Diagnostic::at(
            &path.loc,
            format!(
                "`sources.{}.path` is a folder; say how a year finds its file",
                src.name
            ),
        )
        .with_help("add e.g. `files = \"wiot_{year}.csv\"`")),
        None => Ok(Some(path.value.clone())),
    }
}

/// Every file under `path` (itself when it is a file), in name order, with its hash.
pub fn hash_inputs(
    hasher: &FileHasher,
    path: &std::path::Path,
) -> Result<Vec<InputFile>, crate::engine::hashing::HashError> {
    let mut files: Vec<PathBuf> = if path.is_dir() {
        // Links are followed: the reader follows them, so their targets' bytes are keyed.
        walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    files.sort();
    files.iter().map(|f| InputFile::hash(hasher, f)).collect()
}

/// The parameters of one year's table.
pub fn plan(
    src: &Source,
    format: MrioFormat,
    options: &serde_json::Value,
    year: i32,
    hasher: &FileHasher,
) -> Result<IoTables, Diagnostic> {
    let path = year_file(src, format, year)?;
    let files = match &path {
        Some(p) => hash_inputs(hasher, p).map_err(|e| Diagnostic::at(&src.loc, e.to_string()))?,
        None => Vec::new(),
    };
    // The reader opens the real file, so a symlinked data folder keys the target's bytes.
    let path = path.map(|p| std::fs::canonicalize(&p).unwrap_or(p));
    Ok(IoTables {
        format,
        options: options.clone(),
        year,
        path,
        files,
        merge_sectors: Vec::new(),
    })
}

/// Per-country totals of a table (`io_summary.csv`): output Σx, value added Σ(x − colSums Z),
/// gross exports Σ_{r≠s}(Z^{sr}1 + Y^{sr}) and final demand absorbed by the country (its
/// column block of Y).
pub fn table_summary(t: &IoTable) -> Vec<CountryTotals> {
    let g = t.g();
    let f = t.f();
    let va = t.value_added();
    let mut output = vec![0.0; g];
    let mut value_added = vec![0.0; g];
    let mut exports = vec![0.0; g];
    let mut final_demand = vec![0.0; g];
    for (i, &s) in t.row_country.iter().enumerate() {
        output[s] += t.x[i];
        value_added[s] += va[i];
        for j in 0..t.n() {
            if t.row_country[j] != s {
                exports[s] += t.z[(i, j)];
            }
        }
        for (c, fd) in final_demand.iter_mut().enumerate() {
            let y: f64 = (0..f).map(|k| t.y[(i, c * f + k)]).sum();
            *fd += y;
            if c != s {
                exports[s] += y;
            }
        }
    }
    (0..g)
        .map(|c| CountryTotals {
            country: t.countries[c].clone(),
            output: output[c],
            value_added: value_added[c],
            gross_exports: exports[c],
            final_demand: final_demand[c],
        })
        .collect()
}
