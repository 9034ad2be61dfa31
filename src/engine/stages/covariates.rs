//! `covariates`: one covariate source read into long rows (kind, key, country, partner, year,
//! value, codes) that the panel joins. Parameters: the source's name (the prefix of every
//! series key it provides), how it is read, and every file it reads with its content hash.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::engine::artifact::{Facts, LongFrame, Produced};
use crate::engine::hashing::{FileHasher, InputFile};
use crate::engine::key::Key;
use crate::engine::stage::{RunContext, Stage};
use crate::engine::stages::StageKind;
use crate::engine::StageError;
use crate::sources::countries::CodeSystem;
use crate::sources::format::Reader;
use crate::sources::{synthetic_panel, table, wdi, CovariateSource, SourceFormat};
use crate::spec::{Diagnostic, Source, Spec};

/// How a covariate source is read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CovariateRead {
    /// WDI indicator files; only the indicators the spec's variables name.
    Wdi {
        path: PathBuf,
        indicators: Vec<String>,
    },
    /// A country(-partner)-year table; `options` are the source's keys (with the format's
    /// layout filled in) as the table reader's option type reads them.
    Table {
        path: PathBuf,
        options: serde_json::Value,
        parquet: bool,
    },
    /// Generated covariates for the sample's countries over the sample years and the five
    /// years before (growth rates and stocks need a history).
    SyntheticPanel {
        seed: u64,
        countries: Vec<String>,
        first_year: i32,
        last_year: i32,
    },
}

/// Parameters of one covariate source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Covariates {
    /// The source's name: series keys are `<name>.<column>`.
    pub source: String,
    pub read: CovariateRead,
    pub files: Vec<InputFile>,
}

impl Stage for Covariates {
    const KIND: StageKind = StageKind::Covariates;
    const VERSION: u32 = 3;
    type Output = LongFrame;

    fn deps(&self) -> Vec<(String, Key)> {
        Vec::new()
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<Produced<LongFrame>, StageError> {
        ctx.open_all(&self.files)?;
        let name = &self.source;
        let mut rows = LongRows::default();
        let mut facts = Facts::default();
        match &self.read {
            CovariateRead::Wdi { path, indicators } => {
                for code in indicators {
                    let s = wdi::read_indicator(path, code)?;
                    let key = format!("{name}.{code}");
                    for o in s.observations {
                        rows.push_series(&key, &o.country, o.year, o.value, Some(CodeSystem::Iso3));
                    }
                }
            }
            CovariateRead::Table {
                path,
                options,
                parquet,
            } => {
                let mut spec: table::TableSpec =
                    serde_json::from_value(options.clone()).map_err(|source| {
                        StageError::Options {
                            format: "csv",
                            source,
                        }
                    })?;
                spec.parquet = *parquet;
                match table::read_table(path, &spec)? {
                    table::TableData::Series(t) => {
                        for col in t.columns {
                            let key = format!("{name}.{}", col.name);
                            for o in col.observations {
                                rows.push_series(&key, &o.country, o.year, o.value, t.codes);
                            }
                        }
                    }
                    table::TableData::Bilateral(b) => {
                        let key = format!("{name}.{}", spec.value.as_deref().unwrap_or("value"));
                        for o in b.observations {
                            rows.push_bilateral(
                                &key,
                                &o.reporter,
                                &o.partner,
                                o.year,
                                o.value,
                                b.codes,
                            );
                        }
                    }
                }
            }
            CovariateRead::SyntheticPanel {
                seed,
                countries,
                first_year,
                last_year,
            } => {
                let p = synthetic_panel::generate(*seed, countries, *first_year, *last_year);
                for (series, obs) in &p.series {
                    let key = format!("{name}.{series}");
                    for o in obs {
                        rows.push_series(&key, &o.country, o.year, o.value, None);
                    }
                }
                let key = format!("{name}.{}", synthetic_panel::BILATERAL);
                for o in &p.ofdi {
                    rows.push_bilateral(&key, &o.reporter, &o.partner, o.year, o.value, None);
                }
                facts.note = Some(p.note);
            }
        }
        Ok(Produced {
            output: LongFrame(rows.frame()?),
            facts,
        })
    }
}

/// Every `<source>.<rest>` a variable definition reads (its `from` and transform operands).
pub fn mentioned_keys(spec: &Spec, source: &str) -> BTreeSet<String> {
    let prefix = format!("{source}.");
    let mut out = BTreeSet::new();
    for v in spec.variables.values() {
        let mut names = vec![v.from.value.as_str()];
        for t in &v.transforms.value {
            names.extend(t.operands());
            if let crate::panel::Transform::LpSpillover(s) = t {
                names.push(s.ofdi.as_str());
            }
        }
        out.extend(
            names
                .into_iter()
                // `importer.<source>.<column>` reads the same column (bilateral panels).
                .map(|n| n.strip_prefix(crate::panel::IMPORTER_PREFIX).unwrap_or(n))
                .filter(|n| n.starts_with(&prefix))
                .map(str::to_string),
        );
    }
    out
}

/// The regular files a source reads at `path`: the file itself, or the files directly inside
/// the folder (links followed), in name order.
fn source_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files: Vec<_> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// The parameters of a covariate source, or `None` when no variable reads it.
pub fn plan(
    spec: &Spec,
    src: &Source,
    countries: &[String],
    hasher: &FileHasher,
) -> Result<Option<Covariates>, Diagnostic> {
    // Options are checked even when no variable reads the source: a misspelt key must not
    // pass silently until the day a variable uses it.
    check_options(src)?;
    let keys = mentioned_keys(spec, &src.name);
    if keys.is_empty() {
        return Ok(None);
    }
    let path = src.path.as_ref();
    let files = match path {
        Some(p) => source_files(&p.value)
            .iter()
            .map(|f| InputFile::hash(hasher, f))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Diagnostic::at(&p.loc, e.to_string()))?,
        None => Vec::new(),
    };
    let need_path = || {
        path.map(|p| p.value.clone())
            .ok_or_else(|| Diagnostic::at(&src.loc, format!("`sources.{}` needs `path`", src.name)))
    };
    let (first, last) = spec.sample.years.value;
    let read = match src.format.value.facts().reader {
        Reader::Wdi => {
            let path = need_path()?;
            let indicators: Vec<String> = keys
                .iter()
                .map(|k| k[src.name.len() + 1..].to_string())
                .collect();
            check_series(spec, src, &CovariateSource::Wdi { path: &path }, &indicators)?;
            CovariateRead::Wdi { path, indicators }
        }
        Reader::Table { layout, parquet } => {
            let (options, mut tspec) = table_options(src, layout)?;
            tspec.parquet = parquet;
            let path = need_path()?;
            let names = series_of(&src.name, &keys);
            check_series(
                spec,
                src,
                &CovariateSource::Table {
                    path: &path,
                    spec: &tspec,
                },
                &names,
            )?;
            CovariateRead::Table {
                path,
                options,
                parquet,
            }
        }
        Reader::SyntheticPanel => {
            let seed = src.options.get("seed").and_then(|v| v.as_u64()).unwrap_or(1);
            check_series(
                spec,
                src,
                &CovariateSource::SyntheticPanel,
                &series_of(&src.name, &keys),
            )?;
            CovariateRead::SyntheticPanel {
                seed,
                countries: countries.to_vec(),
                first_year: first - 5,
                last_year: last,
            }
        }
        Reader::Tables(_) => {
            return Err(Diagnostic::at(
                &src.format.loc,
                format!(
                    "`sources.{}` holds input-output tables; variables read them as `decomposition.<family>.<measure>`",
                    src.name
                ),
            ))
        }
    };
    Ok(Some(Covariates {
        source: src.name.clone(),
        read,
        files,
    }))
}

/// The options of a table source (with the layout its format implies) as the table reader
/// reads them; an unknown key or a value of the wrong type is located at that key.
fn table_options(
    src: &Source,
    layout: table::TableLayout,
) -> Result<(serde_json::Value, table::TableSpec), Diagnostic> {
    let mut options = src.options.clone();
    if let Some(map) = options.as_object_mut() {
        if src.format.value != SourceFormat::Csv && src.format.value != SourceFormat::Parquet {
            map.insert(
                "layout".into(),
                serde_json::to_value(layout_name(layout)).unwrap_or_default(),
            );
        }
    }
    // serde's message names the type but not the key; the path is tracked alongside.
    let tspec = serde_path_to_error::deserialize(options.clone()).map_err(|e| {
        let path = e.path().to_string();
        let top = path.split(['.', '[']).next().unwrap_or_default().to_string();
        let message = e
            .into_inner()
            .to_string()
            .replace("a sequence", "a list")
            .replace("a map", "a table");
        option_error(
            src,
            &message,
            Some(top.as_str()).filter(|k| !k.is_empty() && !message.starts_with("unknown field")),
            "keys: layout, country, codes, year, reporter, partner, value, columns, missing (see docs/formats.md)",
        )
    })?;
    Ok((options, tspec))
}

/// An option error of `src`, located at the key serde names (`unknown field `x``, or the key
/// whose value has the wrong type, `key` when the caller knows it), else at the source's
/// header.
fn option_error(src: &Source, message: &str, key: Option<&str>, help: &str) -> Diagnostic {
    let named = src
        .option_locs
        .iter()
        .find(|(k, _)| Some(k.as_str()) == key)
        .or_else(|| {
            src.option_locs
                .iter()
                .find(|(k, _)| message.contains(&format!("`{k}`")))
        })
        .or_else(|| {
            (src.option_locs.len() == 1)
                .then(|| src.option_locs.iter().next())
                .flatten()
        });
    let (loc, key) = match named {
        Some((k, l)) => (l, format!(".{k}")),
        None => (&src.loc, String::new()),
    };
    Diagnostic::at(loc, format!("`sources.{}{key}`: {message}", src.name)).with_help(help)
}

/// The format-specific keys of a covariate source, checked without reading data.
fn check_options(src: &Source) -> Result<(), Diagnostic> {
    let keys: Vec<&String> = src
        .options
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    match src.format.value.facts().reader {
        Reader::Table { layout, .. } => table_options(src, layout).map(|_| ()),
        Reader::Wdi => match keys.first() {
            Some(bad) => Err(Diagnostic::at(
                src.option_locs.get(*bad).unwrap_or(&src.loc),
                format!(
                    "unknown key `{bad}` in `sources.{}`: `wdi-csv` takes no options (economies are ISO3 codes, years the file's columns)",
                    src.name
                ),
            )
            .with_help("remove the key; a variable reads an indicator as `<source>.<INDICATOR.CODE>`")),
            None => Ok(()),
        },
        Reader::SyntheticPanel => match keys.iter().find(|k| k.as_str() != "seed") {
            Some(bad) => Err(Diagnostic::at(
                src.option_locs.get(*bad).unwrap_or(&src.loc),
                format!(
                    "unknown key `{bad}` in `sources.{}` (synthetic-panel takes only `seed`)",
                    src.name
                ),
            )
            .with_help(crate::spec::diag::did_you_mean(bad, &["seed"]))),
            None => check_panel_seed(src),
        },
        Reader::Tables(_) => Ok(()),
    }
}

/// A synthetic panel's `seed` is a whole number ≥ 0: any other value would silently fall back
/// to the default seed and give another panel than the spec says.
fn check_panel_seed(src: &Source) -> Result<(), Diagnostic> {
    match src.options.get("seed") {
        Some(seed) if seed.as_u64().is_none() => Err(Diagnostic::at(
            src.option_locs.get("seed").unwrap_or(&src.loc),
            format!(
                "`sources.{}.seed` must be a whole number ≥ 0, found `{seed}`",
                src.name
            ),
        )
        .with_help("write e.g. `seed = 7`")),
        _ => Ok(()),
    }
}

fn layout_name(layout: table::TableLayout) -> &'static str {
    match layout {
        table::TableLayout::Long => "long",
        table::TableLayout::Wide => "wide",
        table::TableLayout::Bilateral => "bilateral",
    }
}

/// The series names of `<source>.<name>` keys.
fn series_of(source: &str, keys: &BTreeSet<String>) -> Vec<String> {
    keys.iter()
        .map(|k| k[source.len() + 1..].to_string())
        .collect()
}

/// Every series a variable names must be in the source ([`crate::sources::check_series`]:
/// the header and first row of a table, the indicator codes of WDI files, the synthetic
/// names), located at the variable that names it. A source that cannot be read at all is
/// located at its `path`.
fn check_series(
    spec: &Spec,
    src: &Source,
    source: &CovariateSource<'_>,
    names: &[String],
) -> Result<(), Diagnostic> {
    for name in names {
        let full = format!("{}.{name}", src.name);
        if let Err(e) = crate::sources::check_series(source, name) {
            let at_variable = matches!(e, crate::sources::SourceError::NotFound(_));
            let loc = if at_variable {
                spec.variables
                    .values()
                    .find(|v| {
                        v.from.value == full
                            || v.transforms.value.iter().any(|t| {
                                t.operands().contains(&full.as_str())
                                    || matches!(t, crate::panel::Transform::LpSpillover(s) if s.ofdi == full)
                            })
                    })
                    .map(|v| v.from.loc.clone())
            } else {
                src.path.as_ref().map(|p| p.loc.clone())
            };
            return Err(Diagnostic::at(
                loc.as_ref().unwrap_or(&src.loc),
                e.to_string(),
            ));
        }
    }
    Ok(())
}

/// Covariate rows in long form, the columns of the `covariates` frame.
#[derive(Default)]
struct LongRows {
    kind: Vec<&'static str>,
    key: Vec<String>,
    country: Vec<String>,
    partner: Vec<Option<String>>,
    year: Vec<i64>,
    value: Vec<f64>,
    codes: Vec<String>,
}

impl LongRows {
    fn push_series(
        &mut self,
        key: &str,
        country: &str,
        year: i32,
        value: f64,
        codes: Option<CodeSystem>,
    ) {
        self.push("series", key, country, None, year, value, codes);
    }

    fn push_bilateral(
        &mut self,
        key: &str,
        reporter: &str,
        partner: &str,
        year: i32,
        value: f64,
        codes: Option<CodeSystem>,
    ) {
        self.push(
            "bilateral",
            key,
            reporter,
            Some(partner),
            year,
            value,
            codes,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        kind: &'static str,
        key: &str,
        country: &str,
        partner: Option<&str>,
        year: i32,
        value: f64,
        codes: Option<CodeSystem>,
    ) {
        self.kind.push(kind);
        self.key.push(key.into());
        self.country.push(country.into());
        self.partner.push(partner.map(str::to_string));
        self.year.push(i64::from(year));
        self.value.push(value);
        self.codes
            .push(codes.map(|c| c.name().to_string()).unwrap_or_default());
    }

    fn frame(self) -> Result<DataFrame, PolarsError> {
        let n = self.kind.len();
        DataFrame::new(
            n,
            vec![
                Column::new("kind".into(), self.kind),
                Column::new("key".into(), self.key),
                Column::new("country".into(), self.country),
                Column::new("partner".into(), self.partner),
                Column::new("year".into(), self.year),
                Column::new("value".into(), self.value),
                Column::new("codes".into(), self.codes),
            ],
        )
    }
}
