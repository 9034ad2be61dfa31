//! Extraction of the typed [`Spec`] from the merged tree, one function per section
//! (`[study]`, `[sources.*]`, `[countries]`, `[sample]`, `[decomposition]`, `[variables]`,
//! `[report]`; models and robustness blocks in [`super::models`]). A wrong value is reported
//! and replaced by a default, so later checks still run on a well-formed spec.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::models::{extract_array, extract_model, extract_robustness};
use super::paths::{env_problem, output_folder, resolve_path};
use super::section::Section;
use super::years::{check_excluded, year_list, year_range};
use crate::choice::Choice;
use crate::spec::diag::{Diagnostic, Diagnostics, Loc};
use crate::spec::node::{Node, Value};
use crate::spec::types::*;

/// Extracts the typed spec from a merged tree. Problems are pushed to `diags`; the returned
/// spec has defaults where a value was wrong, so later checks can still run.
pub fn extract(root: Node, file: &Path, chain: Vec<PathBuf>, diags: &mut Diagnostics) -> Spec {
    let top_loc = root.loc.clone();
    let top = Section::of("spec", &root, diags).unwrap_or_else(|| Section::blank("spec", &top_loc));
    top.check_keys(keys::TOP, diags);
    let section = |key: &str, diags: &mut Diagnostics| {
        top.sub(key, diags)
            .unwrap_or_else(|| Section::blank(key, &top_loc))
    };

    let study_s = top.sub("study", diags).unwrap_or_else(|| {
        diags.push(
            Diagnostic::at(&top_loc, "the spec has no `[study]` section")
                .with_help("add `[study]` with `title = \"…\"`"),
        );
        Section::blank("study", &top_loc)
    });
    study_s.check_keys(keys::STUDY, diags);
    let study = Study {
        title: study_s
            .required_string("title", "\"My study\"", diags)
            .value,
        description: study_s.string("description", diags).map(|a| a.value),
        output: study_s
            .string("output", diags)
            .map(|a| output_folder(a, file)),
    };

    let sources = extract_sources(top.entries("sources", diags), diags);
    let countries = extract_countries(section("countries", diags), diags);

    let sample_s = section("sample", diags);
    sample_s.check_keys(keys::SAMPLE, diags);
    let sample = extract_sample(&sample_s, diags);

    let dec_s = section("decomposition", diags);
    dec_s.check_keys(keys::DECOMPOSITION, diags);
    let decomposition = Decomposition {
        source: dec_s.string_or("source", "mrio", diags),
        measures: dec_s
            .choices("measures", diags)
            .unwrap_or_else(|| At::new(Vec::new(), dec_s.loc.clone())),
        iv: dec_s.choice_or("iv", crate::decompose::IvDefinition::Dvafx, diags),
        level: dec_s.choice_or_in(
            "level",
            crate::decompose::Level::Country,
            DECOMPOSITION_LEVELS,
            diags,
        ),
        wwz_level: dec_s.choice_or("wwz_level", crate::decompose::wwz::WwzLevel::Country, diags),
        checks: dec_s.choice_or("checks", crate::iot::InverseCheck::Probe, diags),
    };

    let panel = extract_panel(&section("panel", diags), diags);
    let mut panels = BTreeMap::new();
    for (name, node) in top.entries("panels", diags) {
        if let Some(s) = Section::of(&format!("panels.{name}"), node, diags) {
            panels.insert(name.clone(), extract_panel(&s, diags));
        }
    }
    let sectors = extract_sets(section("sectors", diags), &[], diags);

    let variables = extract_variables(top.entries("variables", diags), diags);
    let models: Vec<Model> = extract_array(top.node("models"), "models", diags)
        .into_iter()
        .filter_map(|(i, node)| extract_model(i, node, &panel, &panels, diags))
        .collect();
    let robustness = extract_array(top.node("robustness"), "robustness", diags)
        .into_iter()
        .filter_map(|(i, node)| extract_robustness(i, node, diags))
        .collect();
    let multiverse = super::multiverse::extract_multiverse(top.node("multiverse"), &models, diags);
    let report_s = section("report", diags);
    report_s.check_keys(keys::REPORT, diags);
    let report = extract_report(&report_s, diags);
    let executor = super::executor::extract_executor(&top, diags);

    let dir = file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "study".into());
    Spec {
        file: file.to_path_buf(),
        dir,
        name,
        chain,
        root,
        study,
        sources,
        countries,
        sample,
        decomposition,
        panel,
        panels,
        sectors,
        variables,
        models,
        robustness,
        report,
        multiverse,
        executor,
    }
}

/// `[panel]` or one `[panels.<name>]`.
fn extract_panel(s: &Section<'_>, diags: &mut Diagnostics) -> PanelSpec {
    s.check_keys(keys::PANEL, diags);
    PanelSpec {
        unit: s.choice_or("unit", crate::panel::PanelUnit::Country, diags),
        sectors: s.strings("sectors", diags),
        partners: s.strings("partners", diags),
        groups: s.strings("groups", diags),
        aggregate: s.string("aggregate", diags).and_then(|raw| {
            s.choice_in(
                &raw,
                "aggregate",
                crate::panel::sector_groups::GroupAggregation::ALL,
                diags,
            )
        }),
    }
}

/// `[sources.<name>]`: a source without a valid `format` is reported and left out.
fn extract_sources(
    entries: &BTreeMap<String, Node>,
    diags: &mut Diagnostics,
) -> BTreeMap<String, Source> {
    let mut out = BTreeMap::new();
    for (name, snode) in entries {
        let label = format!("sources.{name}");
        let Some(s) = Section::of(&label, snode, diags) else {
            continue;
        };
        let raw_format = s.required_string("format", "\"labelled-csv\"", diags);
        // A source without a valid format is reported here and left out of the spec; later
        // checks that name it know it from the document (no second message).
        let format = if raw_format.value.is_empty() {
            None
        } else {
            s.choice_in(
                &raw_format,
                "format",
                crate::sources::SourceFormat::ALL,
                diags,
            )
        };
        let Some(format) = format else { continue };
        let path = path_value(&s, "path", diags);
        let files = s.string("files", diags);
        let download = s.string("download", diags).map(|a| a.value);
        let citation = s.string("citation", diags).map(|a| a.value);
        let licence = s.string("licence", diags);
        if format.value == crate::sources::SourceFormat::Synthetic {
            // The years a synthetic table offers are years of the spec like any other.
            if let Some(years) = s.node("years") {
                year_list(years, &format!("{label}.years"), diags);
            }
        }
        let mut options = serde_json::Map::new();
        let mut option_locs = BTreeMap::new();
        for (k, v) in s.table {
            if !keys::SOURCE.contains(&k.as_str()) {
                options.insert(k.clone(), v.to_json());
                option_locs.insert(k.clone(), v.loc.clone());
            }
        }
        out.insert(
            name.clone(),
            Source {
                name: name.clone(),
                format,
                path,
                files,
                download,
                citation,
                licence,
                options: serde_json::Value::Object(options),
                option_locs,
                loc: snode.loc.clone(),
            },
        );
    }
    out
}

fn extract_countries(s: Section<'_>, diags: &mut Diagnostics) -> Countries {
    let codes = s.choice_or("codes", crate::sources::countries::CodeSystem::Adb, diags);
    let sets = extract_sets(s, keys::COUNTRIES, diags);
    Countries { codes, sets }
}

/// The named sets of `[countries]` or `[sectors]`: every key but `reserved` is a list of
/// members (`@name` includes another set).
fn extract_sets(
    s: Section<'_>,
    reserved: &[&str],
    diags: &mut Diagnostics,
) -> BTreeMap<String, At<Vec<At<String>>>> {
    let mut sets = BTreeMap::new();
    for key in s.table.keys() {
        if reserved.contains(&key.as_str()) {
            continue;
        }
        if let Some(members) = s.strings(key, diags) {
            sets.insert(key.clone(), members);
        }
    }
    sets
}

fn extract_sample(s: &Section<'_>, diags: &mut Diagnostics) -> Sample {
    let countries = s.strings("countries", diags).unwrap_or_else(|| {
        s.missing("countries", "\"sample\"  # a set of [countries]", diags);
        At::new(Vec::new(), s.loc.clone())
    });
    let years = match s.node("years") {
        None => {
            s.missing("years", "[2007, 2017]", diags);
            None
        }
        Some(node) => match year_range(node, "sample.years") {
            Ok(range) => Some(At::new(range, node.loc.clone())),
            Err(problems) => {
                problems.into_iter().for_each(|d| diags.push(d));
                None
            }
        },
    };
    let excluded = s
        .node("exclude_years")
        .map(|node| (node, year_list(node, "sample.exclude_years", diags)));
    if let (Some(range), Some((node, list))) = (&years, &excluded) {
        check_excluded(&range.value, node, list, diags);
    }
    Sample {
        countries,
        // A wrong `years` was reported above; the spec is refused, so this stand-in range
        // (empty: first after last) is never run.
        years: years.unwrap_or_else(|| At::new((0, -1), s.loc.clone())),
        exclude_years: match excluded {
            Some((node, list)) => At::new(
                list.into_iter().map(|y| y.value).collect(),
                node.loc.clone(),
            ),
            None => At::new(Vec::new(), s.loc.clone()),
        },
    }
}

/// `[variables.<name>]`: a table, or the shorthand `name = "source.series"`.
fn extract_variables(
    entries: &BTreeMap<String, Node>,
    diags: &mut Diagnostics,
) -> BTreeMap<String, Variable> {
    let mut out = BTreeMap::new();
    for (name, vnode) in entries {
        let label = format!("variables.{name}");
        // `x = "wdi.NY.GDP"` is shorthand for `x = { from = "wdi.NY.GDP" }`.
        if let Value::Str(from) = &vnode.value {
            out.insert(
                name.clone(),
                Variable {
                    name: name.clone(),
                    from: At::new(from.clone(), vnode.loc.clone()),
                    transforms: At::new(Vec::new(), vnode.loc.clone()),
                    label: name.clone(),
                    loc: vnode.loc.clone(),
                },
            );
            continue;
        }
        let Some(s) = Section::of(&label, vnode, diags) else {
            continue;
        };
        s.check_keys(keys::VARIABLE, diags);
        let from = s.required_string("from", "\"wdi.NY.GDP.PCAP.KD.ZG\"", diags);
        let transforms = match s.node("transform") {
            Some(t) => At::new(parse_transforms(&label, t, diags), t.loc.clone()),
            None => At::new(Vec::new(), vnode.loc.clone()),
        };
        let label_text = s
            .string("label", diags)
            .map(|a| a.value)
            .unwrap_or_else(|| name.clone());
        out.insert(
            name.clone(),
            Variable {
                name: name.clone(),
                from,
                transforms,
                label: label_text,
                loc: vnode.loc.clone(),
            },
        );
    }
    out
}

/// `[report] digits`: a number of decimals from 0 to 12, or `"auto"`.
fn report_digits(s: &Section<'_>, diags: &mut Diagnostics) -> crate::report::Digits {
    use crate::report::Digits;
    let help = "write `digits = 3` (decimals, 0 to 12) or `digits = \"auto\"` (at least two significant digits, esttab's a2)";
    let Some(node) = s.node("digits") else {
        return Digits::default();
    };
    match &node.value {
        Value::Int(d) if (0..=12).contains(d) => Digits::Fixed(*d as usize),
        Value::Str(a) if a == "auto" => Digits::Auto,
        Value::Int(_) => {
            diags.push(
                Diagnostic::at(
                    &node.loc,
                    "`report.digits` must be between 0 and 12, or \"auto\"",
                )
                .with_help(help),
            );
            Digits::default()
        }
        other => {
            let found = match other {
                Value::Str(x) => format!("\"{x}\""),
                v => v.type_name().to_string(),
            };
            let help = match other {
                Value::Str(x) if x.trim().parse::<u8>().is_ok() => {
                    format!("write the number without quotes: `digits = {}`", x.trim())
                }
                _ => help.to_string(),
            };
            diags.push(
                Diagnostic::at(
                    &node.loc,
                    format!(
                        "`report.digits` must be a number of decimals or \"auto\", found {found}"
                    ),
                )
                .with_help(help),
            );
            Digits::default()
        }
    }
}

fn extract_report(s: &Section<'_>, diags: &mut Diagnostics) -> Report {
    let formats = s
        .choices("formats", diags)
        .map(|a| a.value)
        .unwrap_or_else(|| {
            // The report's own default (Markdown and LaTeX; HTML when asked).
            crate::report::ReportSettings::default()
                .formats
                .into_iter()
                .map(|f| At::new(f, s.loc.clone()))
                .collect()
        });
    let stars = s
        .floats("stars", diags)
        .unwrap_or_else(|| At::new(vec![0.10, 0.05, 0.01], s.loc.clone()));
    if stars.value.iter().any(|p| !(*p > 0.0 && *p < 1.0)) {
        diags.push(
            Diagnostic::at(
                &stars.loc,
                "`report.stars` thresholds must lie strictly between 0 and 1",
            )
            .with_help("e.g. `stars = [0.10, 0.05, 0.01]`"),
        );
    }
    let digits = report_digits(s, diags);
    let r2 = s.choice_or("r2", crate::report::R2Choice::Auto, diags);
    let plain = |key: &str, diags: &mut Diagnostics| {
        s.strings(key, diags)
            .map(|a| a.value.into_iter().map(|x| x.value).collect())
            .unwrap_or_default()
    };
    Report {
        formats,
        stars: {
            let mut st = stars;
            st.value.sort_by(|a, b| b.total_cmp(a));
            st
        },
        digits,
        style: s.choice_or("style", crate::report::TableStyle::Journal, diags),
        controls: s.choice_or(
            "controls",
            crate::report::ControlsDisplay::Indicators,
            diags,
        ),
        layout: s.choice_or("layout", crate::report::TableLayout::Landscape, diags),
        templates: path_value(s, "templates", diags),
        r2,
        order: plain("order", diags),
        drop: plain("drop", diags),
        figures: s.bool_or("figures", true, diags),
        hausman_details: s.bool_or("hausman_details", false, diags),
    }
}

/// The transforms of a variable (`"log"`, `{ lag = 1 }` or a list of them), or a located error
/// naming what was wrong and every transform there is.
fn parse_transforms(
    label: &str,
    node: &Node,
    diags: &mut Diagnostics,
) -> Vec<crate::panel::Transform> {
    #[derive(serde::Deserialize)]
    struct One {
        #[serde(deserialize_with = "crate::panel::transforms::one_or_many")]
        transform: Vec<crate::panel::Transform>,
    }
    let doc = serde_json::json!({ "transform": node.to_json() });
    match serde_json::from_value::<One>(doc) {
        Ok(one) => one.transform,
        Err(e) => {
            let (loc, message) =
                transform_shape_problem(node).unwrap_or_else(|| (node.loc.clone(), e.to_string()));
            diags.push(
                Diagnostic::at(&loc, format!("`{label}.transform`: {message}"))
                    .with_help(crate::panel::transforms::transform_help()),
            );
            Vec::new()
        }
    }
}

/// A path value of a spec section (`sources.<name>.path`, `report.templates`), resolved by
/// [`resolve_path`]; an empty path or a `${…}` that cannot be expanded is a located error.
fn path_value(s: &Section<'_>, key: &str, diags: &mut Diagnostics) -> Option<At<PathBuf>> {
    let p = s.string(key, diags)?;
    let problem = if p.value.trim().is_empty() {
        Some((
            format!("`{}.{key}` is empty", s.name),
            "write the file or folder to read, e.g. `path = \"data/tables\"`".into(),
        ))
    } else {
        env_problem(&p.value)
    };
    if let Some((message, fix)) = problem {
        diags.push(Diagnostic::at(&p.loc, message).with_help(fix));
        return None;
    }
    Some(At::new(resolve_path(&p.value, &p.loc), p.loc))
}

/// The shape mistakes serde words in its own terms ("invalid length 2, expected fewer elements
/// in map", "expected u32"), said in the spec's: two transforms in one table, and a shift
/// that is not a whole number of years.
fn transform_shape_problem(node: &Node) -> Option<(Loc, String)> {
    match &node.value {
        Value::Array(items) => items.iter().find_map(transform_shape_problem),
        Value::Table(t) if t.len() > 1 => {
            let keys: Vec<String> = t.keys().map(|k| format!("{{ {k} = … }}")).collect();
            Some((
                node.loc.clone(),
                format!(
                    "one table holds {} transforms ({}); each table is one transform: write them as a list applied in order, `transform = [{}]`",
                    t.len(),
                    t.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
                    keys.join(", ")
                ),
            ))
        }
        Value::Table(t) => t.iter().find_map(|(k, v)| {
            let shift = matches!(k.as_str(), "lag" | "lead");
            let whole = matches!(v.value, Value::Int(i) if i >= 1 && i <= i64::from(u32::MAX));
            (shift && !whole).then(|| {
                let found = match &v.value {
                    Value::Int(i) => i.to_string(),
                    Value::Float(f) => f.to_string(),
                    other => other.type_name().to_string(),
                };
                (
                    v.loc.clone(),
                    format!("`{k}` shifts by a whole number of years, 1 or more; found {found}"),
                )
            })
        }),
        _ => None,
    }
}
