//! Building the plan from a spec: which stage instances exist, what part of the spec and which
//! files each one reads, and the job that computes it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;

use super::artifact::{Artifact, ArtifactKind, Produced};
use super::exec::{Plan, Task};
use super::key::FileHasher;
use super::StageError;
use crate::iot::{check_core_identities, IdentityOptions, IoTable, Leontief};
use crate::sources::mrio::{self, MrioFormat, MrioOptions};
use crate::spec::{Diagnostic, Diagnostics, Source, Spec};

/// Implementation versions: bump one when its stage's output changes for the same inputs, so
/// caches built by older binaries are not trusted.
pub const IO_TABLES_VERSION: u32 = 1;
pub const LEONTIEF_VERSION: u32 = 1;

/// The years a run covers: the sample's years (excluded years are kept for the tables, so a
/// robustness block that drops a year re-uses them).
pub fn study_years(spec: &Spec) -> Vec<i32> {
    let (first, last) = spec.sample.years.value;
    (first..=last).collect()
}

/// The MRIO source and its parsed reader options, or located diagnostics.
pub fn mrio_source(spec: &Spec) -> Result<(&Source, MrioFormat, MrioOptions), Diagnostics> {
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
    // `codes` names the table's code system (read by the panel), not a reader option.
    let mut reader_options = src.options.clone();
    if let Some(map) = reader_options.as_object_mut() {
        map.remove("codes");
    }
    let options = MrioOptions::deserialize_for(format, reader_options).map_err(|e| {
        let msg = e.to_string();
        // Point at the offending key when serde names one.
        let loc = src
            .option_locs
            .iter()
            .find(|(k, _)| msg.contains(&format!("`{k}`")))
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| src.loc.clone());
        Diagnostics(vec![Diagnostic::at(
            &loc,
            format!("`sources.{}` ({}): {msg}", src.name, format.name()),
        )
        .with_help("see docs/spec-reference.md for the keys of each format")])
    })?;
    Ok((src, format, options))
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
                Diagnostic::at(&pattern.loc, format!("year {year}: {e}")).with_help(
                    "put one file per year in the folder, named so the `files` pattern matches it",
                )
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

/// Adds `io_tables` and `leontief` instances for every study year; returns the index of each
/// year's leontief and io_tables task.
pub fn add_table_stages(
    spec: &Spec,
    plan: &mut Plan,
    hasher: &FileHasher,
) -> Result<BTreeMap<i32, (usize, usize)>, Diagnostics> {
    let (src, format, options) = mrio_source(spec)?;
    let options = Arc::new(options);
    let mut diags = Diagnostics::default();
    let mut out = BTreeMap::new();
    let output_read = format != MrioFormat::Synthetic;
    for year in study_years(spec) {
        let file = match year_file(src, format, year) {
            Ok(f) => f,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let mut inputs = BTreeMap::new();
        if let Some(f) = &file {
            match hash_input(hasher, f) {
                Ok(h) => {
                    // Keyed by file name, not the path as typed: running from another folder
                    // or moving the data does not invalidate the cache; changed bytes do.
                    inputs.insert(input_name(f), h);
                }
                Err(d) => {
                    diags.push(Diagnostic::at(&src.loc, d));
                    continue;
                }
            }
        }
        let opts = options.clone();
        let path = file.clone();
        let io = plan.add(Task {
            stage: "io_tables",
            instance: year.to_string(),
            version: IO_TABLES_VERSION,
            spec_part: json!({
                "format": format.name(),
                "options": src.options,
                "year": year,
            }),
            inputs,
            deps: vec![],
            kind: ArtifactKind::Table,
            job: Box::new(move |_, _dir: &std::path::Path| {
                let table = mrio::read_table(&opts, path.as_deref(), Some(year))?;
                let extra = json!({ "summary": table_summary(&table) });
                Ok(Produced {
                    artifact: Artifact::Table(table),
                    extra,
                })
            }),
            parts: None,
        });
        let leo = plan.add(Task {
            stage: "leontief",
            instance: year.to_string(),
            version: LEONTIEF_VERSION,
            spec_part: json!({ "output_read": output_read }),
            inputs: BTreeMap::new(),
            deps: vec![io],
            kind: ArtifactKind::Inverse,
            job: Box::new(move |inputs, _dir: &std::path::Path| {
                let table = expect_table(inputs, 0)?;
                let leontief = Leontief::new(table)?;
                let opts = IdentityOptions {
                    output_read,
                    ..IdentityOptions::default()
                };
                let residuals = check_core_identities(table, &leontief, &opts)?;
                Ok(Produced {
                    artifact: Artifact::Inverse(leontief.b),
                    extra: json!({ "identities": residuals }),
                })
            }),
            parts: None,
        });
        out.insert(year, (io, leo));
    }
    diags.into_result()?;
    Ok(out)
}

/// The name an input file is recorded under in a key: its file name.
pub fn input_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn hash_input(hasher: &FileHasher, path: &std::path::Path) -> Result<String, String> {
    if path.is_dir() {
        // A folder input (the `matrices` format): hash every file in it, in name order.
        let mut entries: Vec<PathBuf> = walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        entries.sort();
        let mut h = blake3::Hasher::new();
        for e in entries {
            let fh = hasher
                .hash(&e)
                .map_err(|err| format!("cannot read {}: {err}", e.display()))?;
            h.update(
                e.strip_prefix(path)
                    .unwrap_or(&e)
                    .display()
                    .to_string()
                    .as_bytes(),
            );
            h.update(fh.as_bytes());
        }
        return Ok(h.finalize().to_hex().to_string());
    }
    hasher
        .hash(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The table artifact at position `i` of a job's inputs.
pub fn expect_table(inputs: &[Arc<Artifact>], i: usize) -> Result<&IoTable, StageError> {
    inputs
        .get(i)
        .and_then(|a| a.as_table())
        .ok_or_else(|| StageError::Internal("expected an input-output table upstream".into()))
}

/// The Leontief inverse artifact at position `i` of a job's inputs.
pub fn expect_inverse(inputs: &[Arc<Artifact>], i: usize) -> Result<&faer::Mat<f64>, StageError> {
    inputs
        .get(i)
        .and_then(|a| a.as_inverse())
        .ok_or_else(|| StageError::Internal("expected a Leontief inverse upstream".into()))
}

/// Per-country totals of a table (`io_summary.csv`): output Σx, value added Σ(x − colSums Z),
/// gross exports Σ_{r≠s}(Z^{sr}1 + Y^{sr}) and final demand absorbed by the country
/// (its column block of Y).
pub fn table_summary(t: &IoTable) -> Vec<serde_json::Value> {
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
        .map(|c| {
            json!({
                "country": t.countries[c],
                "output": output[c],
                "value_added": value_added[c],
                "gross_exports": exports[c],
                "final_demand": final_demand[c],
            })
        })
        .collect()
}

pub const DECOMPOSE_VERSION: u32 = 1;

/// The decomposition options a spec asks for (families, level, IV definition).
pub fn decompose_options(spec: &Spec) -> crate::decompose::DecomposeOptions {
    use crate::decompose::DecomposeOptions;
    let measures = spec
        .decomposition
        .measures
        .iter()
        .map(|m| m.value)
        .collect();
    DecomposeOptions {
        measures,
        level: spec.decomposition.level.value,
        iv: spec.decomposition.iv.value,
        tolerance: 1e-9,
    }
}

/// Adds a `decompose` instance per year (when the spec asks for measures); returns their
/// indices by year.
pub fn add_decompose_stages(
    spec: &Spec,
    plan: &mut Plan,
    tables: &BTreeMap<i32, (usize, usize)>,
) -> BTreeMap<i32, usize> {
    use crate::decompose::Family;
    let mut out = BTreeMap::new();
    let options = decompose_options(spec);
    if options.measures.is_empty() {
        return out;
    }
    let mut part = json!({
        "measures": spec.decomposition.measures,
        "iv": spec.decomposition.iv,
        "level": spec.decomposition.level,
    });
    let wwz_level = wwz_level_of(spec);
    let with_wwz = options.measures.contains(&Family::Wwz);
    if with_wwz {
        part["wwz_level"] = json!(wwz_level.to_string());
    }
    // WWZ is streamed to its own file; the other families go through `decompose`.
    let mut others = options.clone();
    others.measures.retain(|f| *f != Family::Wwz);
    for (&year, &(io, leo)) in tables {
        let others = others.clone();
        let idx = plan.add(Task {
            stage: "decompose",
            instance: year.to_string(),
            version: DECOMPOSE_VERSION,
            spec_part: part.clone(),
            inputs: BTreeMap::new(),
            deps: vec![io, leo],
            kind: ArtifactKind::Frame,
            job: Box::new(move |inputs, dir: &std::path::Path| {
                let table = expect_table(inputs, 0)?;
                let b = expect_inverse(inputs, 1)?;
                let leontief = Leontief::from_inverse(table, b.clone())?;
                let (mut rows, mut identities) = (Vec::new(), Vec::new());
                if !others.measures.is_empty() {
                    let d = crate::decompose::decompose(table, &leontief, &others)
                        .map_err(|e| StageError::Data(e.to_string()))?;
                    rows = d.rows;
                    identities = d.identities;
                }
                if with_wwz {
                    let ctx =
                        crate::decompose::context::Context::new(table, &leontief, others.tolerance);
                    let summary = super::wwz_files::write_wide_parquet(
                        &ctx,
                        wwz_level,
                        Some(year),
                        &dir.join(WWZ_FILE),
                    )
                    .map_err(|e| StageError::Data(e.to_string()))?;
                    rows.extend(super::wwz_files::country_rows(&ctx, &summary));
                    identities.extend(summary.identities);
                }
                let frame = measure_frame(&rows, Some(year))?;
                Ok(Produced {
                    artifact: Artifact::Frame(frame),
                    extra: json!({ "identities": identities }),
                })
            }),
            parts: None,
        });
        out.insert(year, idx);
    }
    out
}

/// The file a `decompose` artifact streams WWZ into (wide layout, [`super::wwz_files`]).
pub const WWZ_FILE: &str = "wwz.parquet";

/// `[decomposition] wwz_level` as the decomposition's level type (validated by the spec).
pub fn wwz_level_of(spec: &Spec) -> crate::decompose::wwz::WwzLevel {
    spec.decomposition.wwz_level.value
}

/// Long-form measure rows as a frame: country, sector, partner, year, measure, value.
pub fn measure_frame(
    rows: &[crate::decompose::MeasureRow],
    year: Option<i32>,
) -> Result<polars::prelude::DataFrame, StageError> {
    use polars::prelude::*;
    let n = rows.len();
    let mut cols = vec![
        Column::new(
            "country".into(),
            rows.iter().map(|r| r.country.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "sector".into(),
            rows.iter().map(|r| r.sector.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "partner".into(),
            rows.iter().map(|r| r.partner.clone()).collect::<Vec<_>>(),
        ),
    ];
    if let Some(y) = year {
        cols.push(Column::new("year".into(), vec![y as i64; n]));
    }
    cols.push(Column::new(
        "measure".into(),
        rows.iter().map(|r| r.measure.clone()).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "value".into(),
        rows.iter().map(|r| r.value).collect::<Vec<_>>(),
    ));
    DataFrame::new(n, cols).map_err(|e| StageError::Internal(e.to_string()))
}
