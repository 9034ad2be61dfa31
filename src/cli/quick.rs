//! Commands that need no spec: `gvc estimate` (one regression on a data file), `gvc decompose`
//! (measures of one table), `gvc bench` (timings on synthetic data).

use std::path::{Path, PathBuf};

use clap::Args;
use polars::prelude::*;

mod data;
pub mod study_bench;

use super::{error_chain, Failure};
use crate::decompose::{self, DecomposeOptions, Family, IvDefinition, Level};
use crate::estimate::quick::split_list;
use crate::estimate::{run_quick, Estimator, HausmanVariant, QuickRequest, Vce};
use crate::iot::Leontief;
use crate::sources::mrio::{self, MrioFormat, MrioOptions};

#[derive(Args, Debug)]
pub struct EstimateArgs {
    /// Data file (.csv or .parquet), one row per panel and time.
    pub data: PathBuf,
    /// Panel identifier column.
    #[arg(long)]
    pub panel: String,
    /// Time column (integer, e.g. year).
    #[arg(long)]
    pub time: String,
    /// Dependent variable.
    #[arg(long)]
    pub dep: String,
    /// Regressors, comma-separated; Stata operators allowed (L.x, L2.x, F.x, D.x).
    #[arg(long)]
    pub x: String,
    /// The estimator (docs/estimators.md); names and aliases from the estimator table.
    /// Default: fe, or hdfe with --absorb.
    #[arg(long, ignore_case = true, value_parser = estimator_names())]
    pub estimator: Option<String>,
    /// Absorbed fixed effects for hdfe / ppml (reghdfe's absorb()): comma-separated factors,
    /// `A^B` for an interaction, e.g. --absorb exporter^sector,year. Default: the panel.
    #[arg(long, value_name = "LIST")]
    pub absorb: Option<String>,
    /// hdfe / ppml: keep observations alone in a level of an absorbed factor (reghdfe and
    /// pyfixest drop them, the default).
    #[arg(long)]
    pub keep_singletons: bool,
    /// conventional | robust | cluster | dk[:lags] (Driscoll–Kraay, xtscc); also Stata's `ols`
    /// (pooled, fd), fixest's `iid` and `hc1` where they mean what gvc computes
    /// (docs/estimators.md#covariance-types)
    #[arg(long, default_value = "conventional")]
    pub vce: String,
    /// Cluster variable (default: the panel).
    #[arg(long)]
    pub cluster: Option<String>,
    /// Also fit FE and RE on the same sample and report the Hausman test; `--hausman=sigmamore`
    /// or `--hausman=sigmaless` for Stata's variants (both VCEs on RE's or FE's disturbance
    /// variance).
    #[arg(long, value_name = "VARIANT", num_args = 0..=1, require_equals = true,
          default_missing_value = "default")]
    pub hausman: Option<String>,
    /// Endogenous regressors, comma-separated: 2SLS with --instruments (estimators pooled and
    /// fe: `ivregress 2sls` / `xtivreg, fe`).
    #[arg(long, value_name = "LIST")]
    pub endog: Option<String>,
    /// Excluded instruments for --endog, comma-separated (at least as many as --endog).
    #[arg(long, value_name = "LIST")]
    pub instruments: Option<String>,
    /// Wild cluster bootstrap (restricted, WCR) with N draws of one coefficient: p-value and
    /// confidence interval by test inversion; needs a clustered VCE.
    #[arg(long, value_name = "N")]
    pub boot: Option<usize>,
    /// Bootstrap weights: rademacher | webb.
    #[arg(long, value_name = "W", default_value = "rademacher")]
    pub boot_weights: String,
    /// Seed of the bootstrap draws.
    #[arg(long, value_name = "SEED", default_value_t = 12345)]
    pub boot_seed: u64,
    /// The coefficient the bootstrap tests (H0: = 0); default the first regressor of --x.
    #[arg(long, value_name = "NAME")]
    pub boot_param: Option<String>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Cells that mean "missing" in numeric columns, comma-separated (empty cells always are).
    // `allow_hyphen_values`: `--missing -999` is a value, not an unknown flag `-9`.
    #[arg(long, value_name = "LIST", default_value = data::MissingMarkers::DEFAULT, allow_hyphen_values = true)]
    pub missing: String,
}

/// `--estimator` values for clap (its help lists them, with the aliases as hidden aliases).
fn estimator_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        crate::estimate::ESTIMATORS
            .iter()
            .map(|e| clap::builder::PossibleValue::new(e.name).aliases(e.aliases.iter().copied())),
    )
}

fn spec_error(msg: impl Into<String>) -> Failure {
    Failure::Spec(format!("error: {}", msg.into()))
}

pub fn estimate(a: &EstimateArgs) -> Result<(), Failure> {
    let absorb: Vec<String> = a
        .absorb
        .as_deref()
        .map(|s| s.split(',').map(|t| t.trim().to_string()).collect())
        .unwrap_or_default();
    let default_estimator = if a.absorb.is_some() { "hdfe" } else { "fe" };
    let name = a.estimator.as_deref().unwrap_or(default_estimator);
    let estimator = Estimator::parse(name).ok_or_else(|| {
        spec_error(format!(
            "--estimator: unknown estimator `{name}`; use {}",
            Estimator::NAMES.join(", ")
        ))
    })?;
    let absorbs = matches!(
        estimator.info().method,
        crate::estimate::Method::Hdfe | crate::estimate::Method::Ppml
    );
    if a.absorb.is_some() && !absorbs {
        return Err(spec_error(format!(
            "--absorb: absorbed fixed effects are estimated by hdfe (reghdfe) or ppml \
             (ppmlhdfe), not {name}; write --estimator hdfe or --estimator ppml, or drop --absorb"
        )));
    }
    if let Some(bad) = absorb
        .iter()
        .find(|t| t.is_empty() || t.split('^').any(|p| p.trim().is_empty()))
    {
        return Err(spec_error(format!(
            "--absorb: empty factor name in `{}` (`{bad}`); write comma-separated factors, \
             `A^B` for an interaction, e.g. --absorb exporter^sector,year",
            a.absorb.as_deref().unwrap_or("")
        )));
    }
    if a.keep_singletons && !absorbs {
        return Err(spec_error(
            "--keep-singletons applies to hdfe and ppml (reghdfe drops singletons); gvc's \
             xtreg-style estimators always keep them: drop --keep-singletons",
        ));
    }
    if a.hausman.is_some() && absorbs {
        return Err(spec_error(format!(
            "--hausman compares xtreg's fe and re; it does not apply to {name}: drop --hausman"
        )));
    }
    let (vce_name, dk_lags) = split_vce_lags(&a.vce)?;
    let vce = Vce::parse_for(vce_name, estimator)
        .map_err(|e| spec_error(format!("--vce: {e} (docs/estimators.md#covariance-types)")))?;
    if dk_lags.is_some() && vce != Vce::DriscollKraay {
        return Err(spec_error(format!(
            "--vce {}: a lag length (`:<lags>`) belongs to Driscoll–Kraay only; write --vce dk:<lags> or --vce {vce_name}",
            a.vce
        )));
    }
    if a.panel.trim() == a.time.trim() {
        return Err(spec_error(format!(
            "--panel and --time both name `{}`: a panel needs one column for the unit and \
             another for time",
            a.panel
        )));
    }
    let hausman_variant = match a.hausman.as_deref().map(|v| v.trim().to_ascii_lowercase()) {
        None => None,
        Some(v) if v == "default" || v.is_empty() => Some(HausmanVariant::Default),
        Some(v) if v == "sigmamore" => Some(HausmanVariant::SigmaMore),
        Some(v) if v == "sigmaless" => Some(HausmanVariant::SigmaLess),
        Some(v) => {
            return Err(spec_error(format!(
                "--hausman={v}: unknown variant; write --hausman (Stata's default), \
                 --hausman=sigmamore or --hausman=sigmaless"
            )))
        }
    };
    let endogenous = split_list(a.endog.as_deref().unwrap_or(""));
    let instruments = split_list(a.instruments.as_deref().unwrap_or(""));
    check_iv_flags(a, estimator, &endogenous, &instruments)?;
    let table = data::read_table(&a.data).map_err(|e| spec_error(e.to_string()))?;
    let mut expressions = vec![a.dep.as_str()];
    expressions.extend(a.x.split(',').map(str::trim).filter(|s| !s.is_empty()));
    expressions.extend(endogenous.iter().map(String::as_str));
    expressions.extend(instruments.iter().map(String::as_str));
    let roles = data::Roles {
        panel: &a.panel,
        time: &a.time,
        expressions,
    };
    let markers = data::MissingMarkers::parse(&a.missing);
    let data = table
        .panel_data(&roles, &markers)
        .map_err(|e| spec_error(e.to_string()))?;
    let mut req = QuickRequest::new(&a.dep, &a.x, estimator);
    req.vce = vce;
    req.dk_lags = dk_lags;
    req.cluster = a.cluster.clone();
    req.hausman = hausman_variant.is_some();
    req.hausman_variant = hausman_variant.unwrap_or_default();
    req.endogenous = endogenous;
    req.instruments = instruments;
    req.boot = boot_request(a, estimator, vce)?;
    let iv = !req.endogenous.is_empty();
    req.absorb = absorb;
    req.keep_singletons = a.keep_singletons;
    let out = run_quick(&data, &req).map_err(|e| match e {
        crate::estimate::EstimateError::UnknownVariable { ref expression, .. }
            if expression.starts_with("absorb(") =>
        {
            spec_error(format!("--absorb: {e}"))
        }
        // The command line names something the data do not have: a usage error.
        crate::estimate::EstimateError::UnknownVariable { .. }
        | crate::estimate::EstimateError::BadExpression { .. }
        | crate::estimate::EstimateError::DependentAsRegressor { .. } => spec_error(e.to_string()),
        crate::estimate::EstimateError::InvalidOption { ref option, .. } if option == "absorb" => {
            spec_error(format!("--absorb: {e}"))
        }
        // --hausman fits FE and RE besides the asked estimator: say which flag asked for
        // the fit that failed.
        crate::estimate::EstimateError::InvalidOption { ref option, .. }
            if iv && option == "instruments" =>
        {
            spec_error(format!("--endog/--instruments: {e}"))
        }
        crate::estimate::EstimateError::InvalidOption { ref option, .. } if option == "boot" => {
            spec_error(format!("--boot/--boot-param: {e}"))
        }
        other if req.hausman => Failure::Run(format!(
            "{other} (--hausman also fits fe and re on the same sample; drop --hausman to fit \
             only {})",
            estimator.as_str()
        )),
        other => Failure::Run(other.to_string()),
    })?;
    if a.json {
        let s =
            serde_json::to_string_pretty(&out.json()).map_err(|e| Failure::Run(e.to_string()))?;
        println!("{s}");
    } else {
        print!("{}", out.table());
    }
    Ok(())
}

/// The `--boot*` flags as a request; usage errors before the data are read.
/// `--vce name[:lags]`: the name, and the lag length after a colon (Driscoll–Kraay).
fn split_vce_lags(vce: &str) -> Result<(&str, Option<u32>), Failure> {
    let Some((name, lags)) = vce.split_once(':') else {
        return Ok((vce, None));
    };
    match lags.trim().parse::<u32>() {
        Ok(l) => Ok((name, Some(l))),
        Err(_) => Err(spec_error(format!(
            "--vce {vce}: `{lags}` is not a lag length; write a whole number of periods, e.g. --vce dk:2 (or --vce dk for xtscc's default ⌊4(T/100)^(2/9)⌋)"
        ))),
    }
}

fn boot_request(
    a: &EstimateArgs,
    estimator: Estimator,
    vce: Vce,
) -> Result<Option<crate::estimate::quick::BootRequest>, Failure> {
    use crate::estimate::bootstrap::{BootOptions, BootWeights, BOOT_WEIGHTS};
    let Some(draws) = a.boot else {
        if a.boot_param.is_some() {
            return Err(spec_error(
                "--boot-param needs --boot N (the number of draws)",
            ));
        }
        return Ok(None);
    };
    if draws == 0 {
        return Err(spec_error(
            "--boot 0: the number of draws must be positive (e.g. 9999)",
        ));
    }
    let weights = BootWeights::parse(&a.boot_weights).ok_or_else(|| {
        spec_error(format!(
            "--boot-weights {}: unknown; use {}",
            a.boot_weights,
            BOOT_WEIGHTS
                .iter()
                .map(|w| w.0)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    if !matches!(estimator, Estimator::Pooled | Estimator::Fd | Estimator::Fe) {
        return Err(spec_error(format!(
            "--boot: the wild cluster bootstrap is implemented for --estimator pooled, fd and \
             fe, not {}",
            estimator.as_str()
        )));
    }
    let clustered = vce == Vce::Cluster || (vce == Vce::Robust && estimator == Estimator::Fe);
    if !clustered {
        return Err(spec_error(
            "--boot: the wild cluster bootstrap needs clustered standard errors; add --vce \
             cluster (and --cluster VAR, default the panel)",
        ));
    }
    if a.endog.is_some() {
        return Err(spec_error(
            "--boot cannot be combined with --endog (IV) yet",
        ));
    }
    Ok(Some(crate::estimate::quick::BootRequest {
        options: BootOptions {
            draws,
            weights,
            seed: a.boot_seed,
            level: 0.95,
            null: 0.0,
        },
        param: a.boot_param.clone(),
    }))
}

/// Usage errors of `--endog` / `--instruments` found before reading the data: both or
/// neither, an estimator with an IV variant, no name in two roles, no `--hausman`.
fn check_iv_flags(
    a: &EstimateArgs,
    estimator: Estimator,
    endogenous: &[String],
    instruments: &[String],
) -> Result<(), Failure> {
    if endogenous.is_empty() && instruments.is_empty() {
        if a.endog.is_some() || a.instruments.is_some() {
            return Err(spec_error(
                "--endog and --instruments need at least one variable name each",
            ));
        }
        return Ok(());
    }
    if endogenous.is_empty() || instruments.is_empty() {
        return Err(spec_error(
            "--endog and --instruments go together: name the endogenous regressors in --endog \
             and the excluded instruments in --instruments",
        ));
    }
    if !matches!(
        estimator,
        Estimator::Pooled | Estimator::Fe | Estimator::Hdfe
    ) {
        return Err(spec_error(format!(
            "--estimator {}: 2SLS is implemented for pooled (ivregress 2sls), fe (xtivreg, \
             fe) and hdfe with --absorb (ivreghdfe); write --estimator pooled, fe or hdfe",
            estimator.as_str()
        )));
    }
    if a.hausman.is_some() {
        return Err(spec_error(
            "--hausman compares fe and re by OLS; it cannot be combined with --endog",
        ));
    }
    if instruments.len() < endogenous.len() {
        return Err(spec_error(format!(
            "--instruments: {} instrument(s) for {} endogenous regressor(s) in --endog; the \
             equation is underidentified, list at least as many instruments",
            instruments.len(),
            endogenous.len()
        )));
    }
    let x = split_list(&a.x);
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (flag, names) in [
        ("--x", &x[..]),
        ("--endog", endogenous),
        ("--instruments", instruments),
    ] {
        for n in names {
            if let Some((_, other)) = seen.iter().find(|(s, _)| *s == n.as_str()) {
                return Err(spec_error(format!(
                    "`{n}` is listed in both {other} and {flag}; a variable is an exogenous \
                     regressor (--x, it instruments itself), endogenous (--endog) or an excluded \
                     instrument (--instruments), not two of them"
                )));
            }
            seen.push((n.as_str(), flag));
        }
        if n_is_dep(&a.dep, names) {
            return Err(spec_error(format!(
                "{flag} lists the dependent variable `{}`",
                a.dep.trim()
            )));
        }
    }
    Ok(())
}

fn n_is_dep(dep: &str, names: &[String]) -> bool {
    names.iter().any(|n| n == dep.trim())
}

#[derive(Args, Debug)]
pub struct DecomposeArgs {
    /// The table: a file, or a folder for `--format matrices`.
    pub table: PathBuf,
    /// The table's format (listed from the formats table).
    #[arg(long, help = table_formats_help())]
    pub format: String,
    #[arg(long)]
    pub year: Option<i32>,
    /// Comma-separated measure families (listed from the FAMILIES table).
    #[arg(long, default_value = "kpww", help = families_help())]
    pub measures: String,
    /// country | sector | bilateral; for `--measures wwz` also bilateral_sector (streamed).
    #[arg(long, default_value = "country")]
    pub level: String,
    /// long (country, sector, partner, measure, value) | wide (WWZ: one row per flow or
    /// aggregate, one column per measure; Parquet, streamed) | decompr (WWZ in decompr's
    /// `wwz()` columns and order, CSV or Parquet, streamed).
    #[arg(long, default_value = "long")]
    pub layout: String,
    /// A reader option of the format, as in the spec's source table: KEY=VALUE (TOML value),
    /// e.g. --option output=row-sums. Repeatable.
    #[arg(long = "option", value_name = "KEY=VALUE")]
    pub options: Vec<String>,
    /// IV definition for KPWW: dvafx | dvafx_excl_back | kww_t3
    #[arg(long, default_value = "dvafx")]
    pub iv: String,
    /// Output file: .csv, .parquet or .json (long form). Without it, a table is printed.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn parse_families(list: &str) -> Result<Vec<Family>, Failure> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|m| m.parse::<Family>().map_err(|e| spec_error(e.to_string())))
        .collect()
}

/// `--format` help: the input-output formats a table can be read in, from [`MrioFormat::ALL`]
/// (the synthetic generator is a spec source, not a file format).
fn table_formats_help() -> String {
    let names: Vec<&str> = MrioFormat::ALL
        .iter()
        .filter(|f| **f != MrioFormat::Synthetic)
        .map(|f| f.name())
        .collect();
    names.join(" | ")
}

/// `--measures` help: the families of [`decompose::FAMILY_NAMES`].
fn families_help() -> String {
    format!(
        "Comma-separated families: {}",
        decompose::FAMILY_NAMES.join(", ")
    )
}

pub fn decompose_cmd(a: &DecomposeArgs) -> Result<(), Failure> {
    let format: MrioFormat = a
        .format
        .parse()
        .map_err(|e: mrio::UnknownFormat| spec_error(e.to_string()))?;
    if format == MrioFormat::Synthetic {
        return Err(spec_error(
            "`gvc decompose` reads a table file; use a spec for synthetic tables",
        ));
    }
    let options = reader_options(format, &a.options)?;
    let families = parse_families(&a.measures)?;
    if let Some(out) = &a.out {
        if writes_into_input(out, &a.table) {
            return Err(spec_error(format!(
                "--out {} would overwrite the input table {}: name another output file",
                out.display(),
                a.table.display()
            )));
        }
    }
    if a.layout != "long" || a.level == "bilateral_sector" {
        return decompose_wwz_streamed(a, &options, &families);
    }
    let level = match a.level.as_str() {
        "country" => Level::Country,
        "sector" => Level::Sector,
        "bilateral" => Level::Bilateral,
        other => {
            return Err(spec_error(format!(
                "unknown level `{other}`; use country, sector or bilateral"
            )))
        }
    };
    let iv = match a.iv.as_str() {
        "dvafx" => IvDefinition::Dvafx,
        "dvafx_excl_back" => IvDefinition::DvafxExclBack,
        "kww_t3" => IvDefinition::KwwT3,
        other => {
            return Err(spec_error(format!(
                "unknown IV definition `{other}`; use dvafx, dvafx_excl_back or kww_t3"
            )))
        }
    };
    let opts = DecomposeOptions {
        measures: families,
        level,
        iv,
        tolerance: 1e-9,
    };
    let table = mrio::read_table(&options, Some(&a.table), a.year)
        .map_err(|e| Failure::Run(e.to_string()))?;
    let leontief = Leontief::new(&table).map_err(|e| Failure::Run(e.to_string()))?;
    let d =
        decompose::decompose(&table, &leontief, &opts).map_err(|e| Failure::Run(e.to_string()))?;
    let mut frame = crate::engine::stages::decompose::measure_frame(&d.rows, None)
        .map_err(|e| Failure::Run(e.to_string()))?;
    match &a.out {
        None => print_rows(&d.rows),
        Some(path) => write_long(path, &mut frame, &d.rows)?,
    }
    Ok(())
}

/// Whether writing `out` would replace the input `table` (the file itself, or a file inside
/// the folder of a `matrices` table), links resolved.
fn writes_into_input(out: &Path, table: &Path) -> bool {
    let Ok(input) = std::fs::canonicalize(table) else {
        return false;
    };
    let out = std::fs::canonicalize(out).unwrap_or_else(|_| {
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty());
        let dir = parent.map_or_else(
            || std::env::current_dir().ok(),
            |p| std::fs::canonicalize(p).ok(),
        );
        match (dir, out.file_name()) {
            (Some(d), Some(name)) => d.join(name),
            _ => out.to_path_buf(),
        }
    });
    if input.is_dir() {
        out.starts_with(&input)
    } else {
        out == input
    }
}

/// Reader options from `--option KEY=VALUE`, parsed as `--set` parses spec overrides (TOML
/// values; a bare word is a string).
fn reader_options(format: MrioFormat, raw: &[String]) -> Result<MrioOptions, Failure> {
    let mut map = serde_json::Map::new();
    for text in raw {
        let (path, node) = crate::spec::node::parse_override(text).map_err(|d| {
            spec_error(format!(
                "--option `{text}`: {} (e.g. --option output=row-sums)",
                d.message
            ))
        })?;
        map.insert(path.join("."), node.to_json());
    }
    MrioOptions::from_json(format, serde_json::Value::Object(map)).map_err(|e| {
        let which = match &e.key {
            Some(k) => format!("--option {k}"),
            None => "option".to_string(),
        };
        spec_error(format!(
            "{} {which}: {} (docs/formats.md lists the options of each format)",
            format.name(),
            e.message
        ))
    })
}

/// `gvc decompose --measures wwz` with the wide or decompr layout, or at the bilateral ×
/// sector level: streamed exporter by exporter into `--out`.
fn decompose_wwz_streamed(
    a: &DecomposeArgs,
    options: &MrioOptions,
    families: &[Family],
) -> Result<(), Failure> {
    use crate::decompose::wwz::WwzLevel;
    if families != [Family::Wwz] {
        return Err(spec_error(format!(
            "--layout {} and --level {} stream WWZ alone; use --measures wwz",
            a.layout, a.level
        )));
    }
    let Some(out) = &a.out else {
        return Err(spec_error(
            "streamed WWZ output needs --out FILE (.parquet, or .csv for --layout decompr)",
        ));
    };
    let level = match a.level.as_str() {
        "country" => WwzLevel::Country,
        "sector" => WwzLevel::Sector,
        "bilateral" => WwzLevel::Bilateral,
        "bilateral_sector" => WwzLevel::BilateralSector,
        other => {
            return Err(spec_error(format!(
                "unknown level `{other}`; use country, sector, bilateral or bilateral_sector"
            )))
        }
    };
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let table = mrio::read_table(options, Some(&a.table), a.year)
        .map_err(|e| Failure::Run(e.to_string()))?;
    let leontief = Leontief::new(&table).map_err(|e| Failure::Run(e.to_string()))?;
    let ctx = crate::decompose::context::Context::new(&table, &leontief, 1e-9);
    let summary = match a.layout.as_str() {
        "decompr" if ext == "csv" || ext == "parquet" => {
            if level != WwzLevel::BilateralSector && a.level != "country" {
                return Err(spec_error(
                    "--layout decompr is bilateral × sector by definition; drop --level",
                ));
            }
            crate::engine::wwz_files::write_decompr(&ctx, out)
        }
        "decompr" => {
            return Err(spec_error(
                "--layout decompr writes .csv or .parquet; name --out accordingly",
            ))
        }
        "wide" | "long" if ext == "parquet" => {
            crate::engine::wwz_files::write_wide_parquet(&ctx, level, a.year, out)
        }
        "wide" | "long" => {
            return Err(spec_error(
                "streamed WWZ is written as Parquet; name --out with .parquet",
            ))
        }
        other => {
            return Err(spec_error(format!(
                "unknown layout `{other}`; use long, wide or decompr"
            )))
        }
    }
    .map_err(|e| Failure::Run(error_chain(&e)))?;
    for id in &summary.identities {
        eprintln!(
            "{} {}: worst relative residual {:.1e} at {}",
            id.id, id.name, id.residual, id.at
        );
    }
    eprintln!("wrote {}", out.display());
    Ok(())
}

fn print_rows(rows: &[decompose::MeasureRow]) {
    println!(
        "{:<8} {:<10} {:<10} {:<28} {:>18}",
        "country", "sector", "partner", "measure", "value"
    );
    for r in rows {
        println!(
            "{:<8} {:<10} {:<10} {:<28} {:>18.6}",
            r.country,
            r.sector.as_deref().unwrap_or("-"),
            r.partner.as_deref().unwrap_or("-"),
            r.measure,
            r.value
        );
    }
}

fn write_long(
    path: &Path,
    frame: &mut DataFrame,
    rows: &[decompose::MeasureRow],
) -> Result<(), Failure> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let res = match ext.as_str() {
        "csv" => crate::engine::csv_out::frame_csv(frame)
            .map_err(|e| e.to_string())
            .and_then(|b| crate::engine::atomic::write_atomic(path, &b).map_err(|e| e.to_string())),
        "parquet" => {
            crate::engine::frames::write_parquet_atomic(path, frame).map_err(|e| e.to_string())
        }
        "json" => serde_json::to_vec_pretty(rows)
            .map_err(|e| e.to_string())
            .and_then(|b| crate::engine::atomic::write_atomic(path, &b).map_err(|e| e.to_string())),
        _ => {
            return Err(spec_error(format!(
                "{}: use a .csv, .parquet or .json output file",
                path.display()
            )))
        }
    };
    res.map_err(|e| Failure::Run(format!("{}: {e}", path.display())))
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Table size n (countries × sectors); e.g. 2205 = 63 × 35, the ADB size.
    #[arg(long, default_value_t = 2205)]
    pub size: usize,
    /// Number of countries G (n must be a multiple of it); default 63 when it divides n.
    #[arg(long)]
    pub countries: Option<usize>,
    /// Measure families to time.
    #[arg(long, default_value = "kpww,kww,bm,wwyz")]
    pub measures: String,
    /// Also time FE regressions per second on a 385-observation, 6-regressor panel.
    #[arg(long)]
    pub regressions: bool,
    /// Also time hashing 11 input files of --hash-mb MB each (the key's content hashes), cold
    /// and warm.
    #[arg(long)]
    pub hashing: bool,
    /// Size of each file hashed by --hashing, in MB (an ADB MRIO workbook is 20–40 MB).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub hash_mb: u64,
    /// Instead of the timings above: build a study shaped like the seed study (--size,
    /// --countries, --years, --measures; 40 FE/RE regressions) on synthetic data in a temporary
    /// folder, run it cold then warm, and compare with one inverse and the measures of one table.
    #[arg(long, conflicts_with_all = ["regressions", "hashing"])]
    pub study: bool,
    /// Instead of the timings above: fits per second of the multiverse's subset fast path
    /// against the standard path — `xtreg, fe vce(cluster)` for all 1,024 subsets of 10
    /// candidate regressors on a 35 × 11 panel — as `multiverse_fits_per_second` and ratios.
    #[arg(long, conflicts_with_all = ["regressions", "hashing", "study"])]
    pub multiverse: bool,
    /// Years of the --study study (from 2007).
    #[arg(long, default_value_t = 11, requires = "study")]
    pub years: usize,
    /// Runs of every timing; the medians are reported (with --study: cold runs, each on an
    /// empty cache, and warm runs).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub repeat: u64,
    /// Also time the `adb-xlsx` reader on this workbook against calamine's raw cell pass over
    /// the same sheet (reader options by --option, e.g. --option economies=41).
    #[arg(long, value_name = "FILE", conflicts_with = "study")]
    pub adb_xlsx: Option<PathBuf>,
    /// An `adb-xlsx` reader option for --adb-xlsx: KEY=VALUE (TOML value). Repeatable.
    #[arg(long = "option", value_name = "KEY=VALUE", requires = "adb_xlsx")]
    pub options: Vec<String>,
    /// The year whose sheet --adb-xlsx reads (a workbook with one sheet per year).
    #[arg(long, requires = "adb_xlsx")]
    pub year: Option<i32>,
}

pub fn bench(a: &BenchArgs) -> Result<(), Failure> {
    let max = mrio::synthetic::MAX_SIZE;
    if a.size == 0 || a.size > max {
        return Err(spec_error(format!(
            "--size {} is outside 1..={max}: the benchmark table is dense, n × n (ADB MRIO has n = 2205 or 2555; a {max} × {max} matrix already takes 800 MB)",
            a.size
        )));
    }
    let g = match a.countries {
        Some(g) if g >= 2 && a.size.is_multiple_of(g) => g,
        Some(g) => {
            return Err(spec_error(format!(
                "--countries {g} does not fit --size {}: it needs at least 2 countries and must divide the size",
                a.size
            )))
        }
        None if a.size.is_multiple_of(63) => 63,
        None => {
            return Err(spec_error(format!(
                "--size {} is not a multiple of 63 (the ADB economies, the default country count); give --countries G with G ≥ 2 dividing it",
                a.size
            )))
        }
    };
    if a.multiverse {
        let r = crate::bench::multiverse::bench_multiverse(2.0)
            .map_err(|e| Failure::Run(format!("multiverse benchmark: {e}")))?;
        let doc = serde_json::json!({
            "multiverse": r,
            "peak_memory_bytes": crate::engine::measure::peak_memory_bytes(),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Ok(());
    }
    let families = parse_families(&a.measures)?;
    let n_sectors = a.size / g;
    if a.study {
        let shape = study_bench::StudyShape {
            countries: g,
            sectors: n_sectors,
            years: a.years,
            measures: families,
            repeat: a.repeat as usize,
        };
        let doc = study_bench::bench_study(&shape)?;
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Ok(());
    }
    let table = mrio::synthetic::bench_table(g, n_sectors, 1);
    let matmul = crate::bench::decompose::matmul_seconds(a.size);
    let repeat = a.repeat as usize;
    let t = crate::bench::decompose::time_decomposition_median(&table, &families, repeat)
        .map_err(|e| Failure::Run(e.to_string()))?;
    let flops = 2.0 * (a.size as f64).powi(3);
    let mut doc = serde_json::json!({
        "n": a.size,
        "countries": g,
        "sectors": n_sectors,
        "threads": rayon::current_num_threads(),
        "repeat": repeat,
        "matmul_seconds": matmul,
        "matmul_gflops": flops / matmul / 1e9,
        "build_a_seconds": t.build_a,
        "leontief_inverse_seconds": t.inverse,
        "inverse_over_matmul": t.inverse / matmul,
        "leontief_rest_seconds": t.leontief_rest,
        "identity_checks_seconds": t.identity_checks,
        "leontief_stage_seconds": t.leontief_stage(),
        "leontief_stage_over_inverse": t.leontief_stage() / t.inverse,
        "measures_context_seconds": t.context,
        "measures": t.measures.iter().map(|(f, s)| serde_json::json!({"family": f.prefix(), "seconds": s})).collect::<Vec<_>>(),
        "measures_total_seconds": t.measures_total(),
        "measures_over_inverse": t.measures_total() / t.inverse,
    });
    if families.contains(&Family::Wwz) {
        doc["wwz_bilateral_sector"] = bench_wwz_streamed(&table, t.inverse)?;
    }
    if a.regressions {
        let r = crate::bench::bench_fe_regressions(2.0).map_err(|e| Failure::Run(e.to_string()))?;
        doc["fe_regressions"] = serde_json::to_value(&r).unwrap_or_default();
        let rows = crate::bench::bench_absorbed(2.0).map_err(|e| Failure::Run(e.to_string()))?;
        doc["absorbed_regressions"] = serde_json::to_value(&rows).unwrap_or_default();
    }
    if a.hashing {
        let h = crate::bench::hashing::bench_hashing(11, a.hash_mb)
            .map_err(|e| Failure::Run(format!("hashing benchmark: {e}")))?;
        doc["input_hashing"] = serde_json::json!({
            "files": h.files,
            "bytes_each": h.bytes_each,
            "cold_seconds": h.cold_seconds,
            "gigabytes_per_second": h.gigabytes_per_second,
            "warm_seconds": h.warm_seconds,
            "cold_over_inverse": h.cold_seconds / t.inverse,
        });
    }
    if let Some(path) = &a.adb_xlsx {
        let MrioOptions::AdbXlsx(options) = reader_options(MrioFormat::AdbXlsx, &a.options)? else {
            return Err(Failure::Run(
                "--adb-xlsx: the options are not adb-xlsx options".into(),
            ));
        };
        let r = crate::bench::reader::bench_adb_reader(path, a.year, &options, repeat)
            .map_err(|e| Failure::Run(e.to_string()))?;
        doc["adb_xlsx_reader"] = serde_json::to_value(&r).unwrap_or_default();
    }
    doc["peak_memory_bytes"] = serde_json::json!(crate::engine::measure::peak_memory_bytes());
    println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    Ok(())
}

/// The full bilateral × sector WWZ of the bench table streamed exporter by exporter into a
/// wide Parquet file (as the `decompose` stage does at `wwz_level = "bilateral_sector"`):
/// seconds, rows, file size, and the ratio to one Leontief inverse.
fn bench_wwz_streamed(
    table: &crate::iot::IoTable,
    inverse_seconds: f64,
) -> Result<serde_json::Value, Failure> {
    use crate::decompose::wwz::WwzLevel;
    let leontief = Leontief::new(table).map_err(|e| Failure::Run(e.to_string()))?;
    let ctx = crate::decompose::context::Context::new(table, &leontief, 1e-9);
    let path = std::env::temp_dir().join(format!("gvc-bench-wwz-{}.parquet", std::process::id()));
    let start = std::time::Instant::now();
    let summary =
        crate::engine::wwz_files::write_wide_parquet(&ctx, WwzLevel::BilateralSector, None, &path)
            .map_err(|e| Failure::Run(error_chain(&e)))?;
    let seconds = start.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&path);
    let (n, g) = (table.n(), table.g());
    Ok(serde_json::json!({
        "seconds": seconds,
        "over_inverse": seconds / inverse_seconds,
        "rows": n * (g - 1),
        "parquet_bytes": bytes,
        "worst_identity_residual": summary.identities.iter().map(|r| r.residual).fold(0.0, f64::max),
    }))
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// First run: a spec (run if stale) or an output folder.
    pub a: PathBuf,
    /// Second run: a spec or an output folder.
    pub b: PathBuf,
    /// Show unchanged rows too.
    #[arg(long)]
    pub all: bool,
    /// Numbers closer than this (relative) count as equal.
    // `allow_negative_numbers`: `--tolerance -1` reaches the check in `diff`, not clap's
    // "unexpected argument".
    #[arg(long, default_value_t = 1e-9, allow_negative_numbers = true)]
    pub tolerance: f64,
    /// text | markdown | json | latex
    #[arg(long, default_value = "text")]
    pub format: String,
    /// Cache folder for specs that must be run.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
}

/// Loads one side of a diff: runs a spec (quietly, re-using the cache) or reads an output folder.
fn diff_side(path: &Path, cache: &Option<PathBuf>) -> Result<crate::diff::RunResults, Failure> {
    if !path.exists() {
        return Err(spec_error(format!(
            "{} does not exist; gvc diff compares two specs (.toml files) or two output folders of gvc runs",
            path.display()
        )));
    }
    let out = if path.is_dir() {
        // Only a complete folder: one a run finished (its manifest lists every file).
        crate::engine::publish::verify(path).map_err(|e| Failure::Spec(format!("error: {e}")))?;
        path.to_path_buf()
    } else {
        let spec = crate::spec::load_spec(path, &[]).map_err(|d| Failure::Spec(d.to_string()))?;
        let opts = crate::engine::run::RunOptions {
            cache: cache.clone(),
            quiet: true,
            ..Default::default()
        };
        crate::engine::run::run(&spec, &opts)?.output
    };
    let read = |name: &str| -> Result<serde_json::Value, Failure> {
        let p = out.join(name);
        let bytes = std::fs::read(&p).map_err(|e| {
            Failure::Spec(format!(
                "error: {}: {e} (is this a gvc output folder of a study with models?)",
                p.display()
            ))
        })?;
        serde_json::from_slice(&bytes).map_err(|e| Failure::Run(format!("{}: {e}", p.display())))
    };
    let samples_json = read("samples.json")?;
    let mut samples = std::collections::BTreeMap::new();
    for (k, rows) in samples_json.as_object().into_iter().flatten() {
        let set = rows
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| Some((r[0].as_str()?.to_string(), r[1].as_i64()? as i32)))
            .collect();
        samples.insert(k.clone(), set);
    }
    let multiverse = if out.join("multiverse/summary.json").is_file() {
        let csv_path = out.join("multiverse/estimates.csv");
        let text = std::fs::read_to_string(&csv_path)
            .map_err(|e| Failure::Run(format!("{}: {e}", csv_path.display())))?;
        Some(
            crate::diff::multiverse::MultiverseRun::from_files(
                read("multiverse/summary.json")?,
                &text,
            )
            .map_err(|e| Failure::Run(format!("{}: {e}", csv_path.display())))?,
        )
    } else {
        None
    };
    Ok(crate::diff::RunResults {
        spec: read("spec.json")?,
        results: read("results.json")?,
        samples,
        multiverse,
    })
}

/// `gvc diff`: exit 0 when the results are equal within the tolerance, 1 when they differ.
pub fn diff_cmd(a: &DiffArgs) -> Result<bool, Failure> {
    if !(a.tolerance.is_finite() && a.tolerance >= 0.0) {
        return Err(spec_error(format!(
            "--tolerance {}: a tolerance is a number ≥ 0 (e.g. --tolerance 1e-6)",
            a.tolerance
        )));
    }
    let old = diff_side(&a.a, &a.cache)?;
    let new = diff_side(&a.b, &a.cache)?;
    let stars = old
        .spec
        .pointer("/report/stars")
        .and_then(|s| s.as_array())
        .map(|v| v.iter().filter_map(|x| x.as_f64()).collect())
        .unwrap_or_else(|| vec![0.10, 0.05, 0.01]);
    let opts = crate::diff::DiffOptions {
        tolerance: a.tolerance,
        all: a.all,
        stars,
    };
    let d = crate::diff::diff(&old, &new, &opts);
    let text = match a.format.as_str() {
        "text" => crate::diff::to_text(&d),
        "markdown" | "md" => crate::diff::to_markdown(&d),
        "latex" | "tex" => crate::diff::to_latex(&d),
        "json" => serde_json::to_string_pretty(&d).map_err(|e| Failure::Run(e.to_string()))? + "\n",
        other => {
            return Err(spec_error(format!(
                "unknown format `{other}`; use text, markdown, json or latex"
            )))
        }
    };
    print!("{text}");
    Ok(d.results_identical)
}
