//! What goes into a package: each spec's fresh outputs (running the spec first when they are
//! stale), its input files placed under `data/<source>/`, its templates, and the spec itself
//! rewritten so that its paths resolve inside the package.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::checksums::{file_sums, render, FileSums};
use super::{
    io_err, licence, readme, PackageError, PackagedInput, PackagedSource, PackagedSpec, Record,
    CHECKSUMS, PROVENANCE, README, RECORD, RUN_SH,
};
use crate::choice::Choice;
use crate::engine::measure::utc_timestamp;
use crate::engine::publish::{self, Manifest, MANIFEST};
use crate::engine::run::{self, Prepared, RunLog, RunOptions};
use crate::spec::node::{Node, Value};
use crate::spec::Spec;

/// A spec whose outputs are up to date, with its plan and last run's log.
pub(super) struct Study<'a> {
    pub spec: &'a Spec,
    pub prepared: Prepared,
    /// Its output folder (`output/<name>/` or where `[study] output` points).
    pub output: PathBuf,
    pub manifest: Manifest,
    pub log: Option<RunLog>,
}

/// The spec with up-to-date outputs: run first when any instance is stale or the output
/// folder does not hold this plan's outputs. Returns whether it ran.
pub(super) fn fresh_study<'a>(
    spec: &'a Spec,
    opts: &RunOptions,
) -> Result<(Study<'a>, bool), PackageError> {
    let prepared = run::prepare(spec, opts)?;
    let output = run::output_dir(spec, opts);
    let fresh = outputs_are_fresh(spec, &prepared, &output);
    if !fresh {
        if !opts.quiet {
            eprintln!(
                "{}: outputs in {} are stale or missing; running the study first",
                spec.name,
                output.display()
            );
        }
        run::run(spec, opts)?;
    }
    let manifest = publish::verify(&output).map_err(|e| PackageError::Outputs {
        spec: spec.name.clone(),
        dir: output.clone(),
        why: e.to_string(),
    })?;
    let log = run::last_run_log(&prepared);
    Ok((
        Study {
            spec,
            prepared,
            output,
            manifest,
            log,
        },
        !fresh,
    ))
}

/// Whether the output folder holds what this plan produces: every instance cached, the folder
/// complete and intact, its `run.json` naming exactly the plan's keys and its `spec.json`
/// this spec.
fn outputs_are_fresh(spec: &Spec, p: &Prepared, out: &Path) -> bool {
    if !p
        .plan
        .instances
        .iter()
        .all(|i| p.cache.has(i.kind.name(), &i.key))
    {
        return false;
    }
    if publish::verify(out).is_err() {
        return false;
    }
    let Ok(bytes) = std::fs::read(out.join("run.json")) else {
        return false;
    };
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return false;
    };
    let recorded: BTreeSet<&str> = doc["stages"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["key"].as_str()).collect())
        .unwrap_or_default();
    let planned: BTreeSet<String> = p.plan.instances.iter().map(|i| i.key.to_string()).collect();
    let same_keys =
        recorded.len() == planned.len() && planned.iter().all(|k| recorded.contains(k.as_str()));
    let spec_json = serde_json::to_vec_pretty(&spec.root.to_json()).unwrap_or_default();
    same_keys && std::fs::read(out.join("spec.json")).ok() == Some(spec_json)
}

/// What one package file holds.
pub(super) enum Content {
    Bytes(Vec<u8>),
    /// A copy of a file outside the package.
    Copy(PathBuf),
}

/// Every file of a package and its record.
pub(super) struct Contents {
    pub files: BTreeMap<String, Content>,
    pub record: Record,
}

/// Where one source's files go.
struct Placement {
    /// The source's file or folder, resolved.
    real: PathBuf,
    /// Whether `path` names one file (else a folder).
    single_file: bool,
    /// `data/<dir>` in the package.
    dir: String,
}

/// Builds every file of the package from fresh studies.
pub(super) fn contents(studies: &[Study<'_>]) -> Result<Contents, PackageError> {
    let mut files: BTreeMap<String, Content> = BTreeMap::new();
    let mut sums: BTreeMap<String, String> = BTreeMap::new();
    let mut specs = Vec::new();
    let mut sources = Vec::new();
    let mut inputs: BTreeMap<String, PackagedInput> = BTreeMap::new();
    let mut data_dirs: BTreeMap<String, PathBuf> = BTreeMap::new();
    for study in studies {
        let spec = study.spec;
        let mut root = spec.root.clone();
        let mut placements = BTreeMap::new();
        for src in spec.sources.values() {
            let copied = licence::redistributable(src.licence.as_ref().map(|l| l.value.as_str()));
            let mut packaged_path = None;
            if let Some(p) = &src.path {
                let real = p.value.canonicalize().map_err(io_err("read", &p.value))?;
                let single_file = real.is_file();
                let dir = data_dir(&mut data_dirs, &spec.name, &src.name, &real);
                let in_spec = if single_file {
                    let name = real.file_name().unwrap_or_default().to_string_lossy();
                    format!("{dir}/{name}")
                } else {
                    dir.clone()
                };
                set_str(
                    &mut root,
                    &["sources", &src.name, "path"],
                    &format!("../{in_spec}"),
                );
                packaged_path = Some(in_spec);
                placements.insert(
                    src.name.clone(),
                    Placement {
                        real,
                        single_file,
                        dir,
                    },
                );
            }
            sources.push(PackagedSource {
                spec: spec.name.clone(),
                name: src.name.clone(),
                format: src.format.value.name().to_string(),
                citation: src.citation.clone(),
                licence: src.licence.as_ref().map(|l| l.value.clone()),
                download: src
                    .download
                    .clone()
                    .unwrap_or_else(|| src.format.value.facts().download.to_string()),
                synthetic: src.format.value.is_synthetic(),
                seed: src.options.get("seed").and_then(serde_json::Value::as_u64),
                copied: copied && src.path.is_some(),
                path: packaged_path,
            });
        }
        let templates_dir =
            crate::engine::stages::report::template_dir(spec).and_then(|d| d.canonicalize().ok());
        let templates_rel = format!("templates/{}", spec.name);
        let mut uses_templates = false;
        for (file, _) in plan_inputs(&study.prepared) {
            if let Some(t) = templates_dir.as_ref().filter(|t| file.starts_with(t)) {
                let rel = format!(
                    "{templates_rel}/{}",
                    slash(file.strip_prefix(t).unwrap_or(&file))
                );
                let s = file_sums(&file).map_err(io_err("read", &file))?;
                sums.insert(rel.clone(), s.sha256);
                files.insert(rel, Content::Copy(file.clone()));
                uses_templates = true;
                continue;
            }
            let (source, place) = placements
                .iter()
                .filter(|(_, pl)| file == pl.real || file.starts_with(&pl.real))
                .max_by_key(|(_, pl)| pl.real.as_os_str().len())
                .ok_or_else(|| PackageError::UnplacedInput {
                    spec: spec.name.clone(),
                    file: file.clone(),
                })?;
            let rel = if place.single_file {
                format!(
                    "{}/{}",
                    place.dir,
                    file.file_name().unwrap_or_default().to_string_lossy()
                )
            } else {
                let inner =
                    file.strip_prefix(&place.real)
                        .map_err(|_| PackageError::OutsideSource {
                            spec: spec.name.clone(),
                            source_name: source.clone(),
                            file: file.clone(),
                            folder: place.real.clone(),
                        })?;
                format!("{}/{}", place.dir, slash(inner))
            };
            let copied = sources
                .iter()
                .any(|s| s.spec == spec.name && &s.name == source && s.copied);
            let s: FileSums = file_sums(&file).map_err(io_err("read", &file))?;
            let modified_utc = std::fs::metadata(&file)
                .and_then(|m| m.modified())
                .ok()
                .map(utc_timestamp);
            sums.insert(rel.clone(), s.sha256.clone());
            if copied {
                files.insert(rel.clone(), Content::Copy(file.clone()));
            }
            inputs.entry(rel.clone()).or_insert(PackagedInput {
                path: rel,
                spec: spec.name.clone(),
                source: source.clone(),
                copied,
                modified_utc,
                sums: s,
            });
        }
        if uses_templates {
            set_str(
                &mut root,
                &["report", "templates"],
                &format!("../{templates_rel}"),
            );
        }
        if let Value::Table(t) = &mut root.value {
            if let Some(Value::Table(study_t)) = t.get_mut("study").map(|n| &mut n.value) {
                study_t.remove("output");
            }
        }
        let spec_file = format!("specs/{}.toml", spec.name);
        let text = spec_text(spec, &root);
        sums.insert(spec_file.clone(), sha256_of(text.as_bytes()));
        files.insert(spec_file.clone(), Content::Bytes(text.into_bytes()));
        let out_rel = format!("output/{}", spec.name);
        for rel in study
            .manifest
            .files
            .keys()
            .map(String::as_str)
            .chain([MANIFEST])
        {
            let from = study.output.join(rel);
            let to = format!("{out_rel}/{rel}");
            if !PROVENANCE.contains(&rel) {
                let s = file_sums(&from).map_err(io_err("read", &from))?;
                sums.insert(to.clone(), s.sha256);
            }
            files.insert(to, Content::Copy(from));
        }
        specs.push(PackagedSpec {
            name: spec.name.clone(),
            file: spec_file,
            output: out_rel,
            templates: uses_templates.then_some(templates_rel),
        });
    }
    let mut record = Record {
        gvc_version: env!("CARGO_PKG_VERSION").to_string(),
        specs,
        sources,
        inputs: inputs.into_values().collect(),
        files: Vec::new(),
    };
    files.insert(
        RUN_SH.into(),
        Content::Bytes(readme::run_sh(&record).into_bytes()),
    );
    files.insert(CHECKSUMS.into(), Content::Bytes(render(&sums).into_bytes()));
    let measured: Vec<super::Measured> = studies
        .iter()
        .map(|s| super::Measured {
            spec: s.spec.name.clone(),
            log: s.log.clone(),
        })
        .collect();
    let outputs: Vec<(String, Vec<String>)> = studies
        .iter()
        .map(|s| {
            (
                s.spec.name.clone(),
                s.manifest.files.keys().cloned().collect(),
            )
        })
        .collect();
    let captions: BTreeMap<(String, String), String> = studies
        .iter()
        .flat_map(|s| {
            markdown_captions(&s.output, s.manifest.files.keys())
                .into_iter()
                .map(|(stem, c)| ((s.spec.name.clone(), stem), c))
        })
        .collect();
    let study_info: Vec<readme::StudyInfo> = studies
        .iter()
        .map(|s| readme::StudyInfo {
            name: s.spec.name.clone(),
            title: s.spec.study.title.clone(),
            description: s.spec.study.description.clone(),
        })
        .collect();
    record.files = files
        .keys()
        .cloned()
        .chain([README.to_string(), RECORD.to_string()])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let text = readme::readme(
        &record,
        &study_info,
        &outputs,
        &captions,
        &measured,
        files_size(&files)?,
    );
    files.insert(README.into(), Content::Bytes(text.into_bytes()));
    Ok(Contents { files, record })
}

/// Captions of a study's tables and figures by output stem (`tables/participation` →
/// "Table 4. GVC participation"), read from its Markdown outputs: the first line of each
/// `tables/<name>.md` (`**Table N. caption**`) and each figure of `report.md`
/// (`![Figure N](figures/<name>.svg)`, then `*Figure N.* caption`). None without Markdown
/// outputs, or where user templates print them otherwise.
fn markdown_captions<'a>(
    output: &Path,
    files: impl Iterator<Item = &'a String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for f in files {
        let Some(stem) = f.strip_suffix(".md").filter(|s| s.starts_with("tables/")) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(output.join(f)) else {
            continue;
        };
        let first = text.lines().next().unwrap_or("").trim();
        if let Some(c) = first.strip_prefix("**").and_then(|c| c.strip_suffix("**")) {
            out.insert(stem.to_string(), c.to_string());
        }
    }
    if let Ok(report) = std::fs::read_to_string(output.join("report.md")) {
        let lines: Vec<&str> = report.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(path) = line
                .strip_prefix("![Figure ")
                .and_then(|r| r.split_once("]("))
                .and_then(|(_, p)| p.strip_suffix(".svg)"))
            else {
                continue;
            };
            let caption = lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty())
                .and_then(|l| l.strip_prefix('*'))
                .and_then(|l| l.split_once(".* ").map(|(n, c)| format!("{n}. {c}")));
            if let Some(c) = caption {
                out.insert(path.to_string(), c);
            }
        }
    }
    out
}

/// The total size of the package's files in bytes (README and record left out).
fn files_size(files: &BTreeMap<String, Content>) -> Result<u64, PackageError> {
    let mut total = 0;
    for c in files.values() {
        total += match c {
            Content::Bytes(b) => b.len() as u64,
            Content::Copy(p) => std::fs::metadata(p).map_err(io_err("read", p))?.len(),
        };
    }
    Ok(total)
}

/// `data/<source>`, or `data/<spec>-<source>` when another spec's source of that name reads
/// another folder.
fn data_dir(
    taken: &mut BTreeMap<String, PathBuf>,
    spec: &str,
    source: &str,
    real: &Path,
) -> String {
    for candidate in [format!("data/{source}"), format!("data/{spec}-{source}")] {
        match taken.get(&candidate) {
            Some(p) if p == real => return candidate,
            Some(_) => continue,
            None => {
                taken.insert(candidate.clone(), real.to_path_buf());
                return candidate;
            }
        }
    }
    format!("data/{spec}-{source}")
}

/// Every input file of a plan (from the instances' parameters: objects with `path` and
/// `blake3`), resolved, once each, sorted.
fn plan_inputs(p: &Prepared) -> BTreeMap<PathBuf, String> {
    fn walk(v: &serde_json::Value, out: &mut BTreeMap<PathBuf, String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let (Some(p), Some(h)) = (
                    m.get("path").and_then(|p| p.as_str()),
                    m.get("blake3").and_then(|h| h.as_str()),
                ) {
                    out.insert(PathBuf::from(p), h.to_string());
                }
                m.values().for_each(|x| walk(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    for inst in &p.plan.instances {
        walk(&inst.stage.params(), &mut out);
    }
    out
}

fn slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

pub(super) fn sha256_of(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Sets a string at a key path of the spec tree (tables created as needed).
fn set_str(root: &mut Node, path: &[&str], value: &str) {
    let mut node = root;
    for (i, key) in path.iter().enumerate() {
        let loc = node.loc.clone();
        if !matches!(node.value, Value::Table(_)) {
            node.value = Value::Table(BTreeMap::new());
        }
        let Value::Table(t) = &mut node.value else {
            return;
        };
        let last = i + 1 == path.len();
        let entry = t.entry(key.to_string()).or_insert_with(|| Node {
            value: Value::Table(BTreeMap::new()),
            loc: loc.clone(),
        });
        if last {
            entry.value = Value::Str(value.to_string());
            return;
        }
        node = entry;
    }
}

/// The packaged spec's text: a header saying what was changed, then the merged document.
fn spec_text(spec: &Spec, root: &Node) -> String {
    // One top-level key at a time, in the order the spec reference documents them.
    let mut body = String::new();
    if let toml::Value::Table(mut t) = to_toml(root) {
        let mut keys: Vec<String> = crate::spec::keys::TOP
            .iter()
            .map(|k| k.to_string())
            .filter(|k| t.contains_key(k))
            .collect();
        keys.extend(
            t.keys()
                .filter(|k| !keys.contains(k))
                .cloned()
                .collect::<Vec<_>>(),
        );
        for k in keys {
            if let Some(v) = t.remove(&k) {
                let mut one = toml::Table::new();
                one.insert(k, v);
                body.push_str(&toml::to_string(&one).unwrap_or_default());
                body.push('\n');
            }
        }
    }
    format!(
        "# Spec `{}` as packaged by gvc {}: the `extends` chain is merged into this one file,\n\
         # every source's `path` and the templates folder point into the package, and\n\
         # `[study] output` is left to run.sh (output/{}).\n\n{body}",
        spec.name,
        env!("CARGO_PKG_VERSION"),
        spec.name
    )
}

fn to_toml(n: &Node) -> toml::Value {
    match &n.value {
        Value::Str(s) => toml::Value::String(s.clone()),
        Value::Int(i) => toml::Value::Integer(*i),
        Value::Float(f) => toml::Value::Float(*f),
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Datetime(d) => d
            .parse()
            .map(toml::Value::Datetime)
            .unwrap_or_else(|_| toml::Value::String(d.clone())),
        Value::Array(items) => toml::Value::Array(items.iter().map(to_toml).collect()),
        Value::Table(t) => {
            toml::Value::Table(t.iter().map(|(k, v)| (k.clone(), to_toml(v))).collect())
        }
    }
}
