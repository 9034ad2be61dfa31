//! `gvc bench --study`: a whole study shaped like the seed study (ADB size, 11 years, the
//! four country families, 40 regressions) written on synthetic data into a temporary folder
//! and run through the engine's own entry point from an empty cache (cold), then again
//! (warm), against one Leontief inverse and the measures of one table timed in the same
//! process — issue #19's yardstick `cold ≤ 1.5 × (years × inverse + years × measures)`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::cli::Failure;
use crate::decompose::Family;
use crate::engine::exec::Outcome;
use crate::engine::run::{run, RunOptions, RunSummary};
use crate::sources::countries::{registry, AdbEdition};

/// The shape of the benchmark study.
#[derive(Debug, Clone)]
pub struct StudyShape {
    /// Countries G, 8..=63 (ADB economies in table order; rest of the world only when G = 63).
    pub countries: usize,
    /// Sectors per country.
    pub sectors: usize,
    /// Years, from 2007 on.
    pub years: usize,
    /// Measure families of the `[decomposition]` (must include kpww: the dependent variables).
    pub measures: Vec<Family>,
    /// Cold runs (each on an empty cache), warm runs and timings of one table; medians reported.
    pub repeat: usize,
}

/// First year of the benchmark study (the seed study's first year).
const FIRST_YEAR: i32 = 2007;

/// Removes the benchmark's temporary folder however the benchmark ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The spec text of the benchmark study: the demo study's variables, models and robustness
/// block (2 dependent variables × 5 sequential control steps × FE/RE, again without one
/// year: 40 regressions) on a synthetic table of the given shape.
pub fn study_spec(shape: &StudyShape) -> Result<String, Failure> {
    let reg = registry().map_err(|e| Failure::Run(format!("country registry: {e}")))?;
    let economies = reg.adb_economies(AdbEdition::Mrio62);
    // RE with every control estimates 7 parameters (2 regressors, 4 controls, a constant)
    // and needs more panels than that.
    if shape.countries < 8 || shape.countries > economies.len() {
        return Err(Failure::Spec(format!(
            "error: --study takes 8..={} countries (the ADB economies, rest of the world last; RE with all 4 controls needs 8 panels), got {}",
            economies.len(),
            shape.countries
        )));
    }
    if shape.years < 3 {
        return Err(Failure::Spec(format!(
            "error: --study needs --years ≥ 3 (the robustness block drops one year and FE needs two), got {}",
            shape.years
        )));
    }
    if !shape.measures.contains(&Family::Kpww) {
        return Err(Failure::Spec(
            "error: --study needs kpww among --measures: its dependent variables are KPWW participation and position".into(),
        ));
    }
    let codes: Vec<&str> = economies
        .iter()
        .take(shape.countries)
        .filter_map(|e| e.adb.as_deref())
        .collect();
    let sample: Vec<&str> = codes.iter().copied().filter(|c| *c != "ROW").collect();
    let quote = |v: &[&str]| {
        v.iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let measures: Vec<String> = shape
        .measures
        .iter()
        .map(|f| format!("\"{}\"", f.prefix()))
        .collect();
    let last = FIRST_YEAR + shape.years as i32 - 1;
    // The seed study's two models: participation and position, controls added one at a time,
    // FE and RE with a Hausman test, clustered by country.
    let models: String = [("participation", "gvcp"), ("position", "gvcl")]
        .iter()
        .map(|(name, dependent)| {
            format!(
                "[[models]]\nname = \"{name}\"\ndependent = \"{dependent}\"\nregressors = [\"tariff\", \"sofdi\"]\ncontrols = [\"pgdp\", \"rd\", \"h\", \"k\"]\ncontrols_mode = \"sequential\"\nestimators = [\"fe\", \"re\"]\nvce = \"cluster\"\nhausman = true\n\n"
            )
        })
        .collect();
    // The seed study's robustness block drops 2009, the third year.
    let dropped = FIRST_YEAR + 2;
    Ok(format!(
        r#"[study]
title = "gvc bench --study: synthetic study of the seed study's shape"

[sources.mrio]
format = "synthetic"
seed = 2024
countries = [{countries}]
sectors = {sectors}
fd_categories = 5

[sources.cov]
format = "synthetic-panel"
seed = 7

[countries]
codes = "adb"

[sample]
countries = [{sample}]
years = [{FIRST_YEAR}, {last}]

[decomposition]
measures = [{measures}]

[variables]
gvcp = {{ from = "decomposition.kpww.participation" }}
gvcl = {{ from = "decomposition.kpww.position" }}
tariff = {{ from = "cov.tariff" }}
rd_stock = {{ from = "cov.rd_expenditure", transform = {{ pim_stock = {{ delta = 0.15, fill = "interpolate" }} }} }}
capital = {{ from = "cov.gdp" }}
sofdi = {{ from = "rd_stock", transform = [{{ lp_spillover = {{ ofdi = "cov.ofdi", capital = "capital", missing_host = "skip" }} }}, "log1p"] }}
pgdp = {{ from = "cov.gdp_pc_growth" }}
rd = {{ from = "cov.rd_gdp", transform = {{ winsorize = {{ lower = 1, upper = 99 }} }} }}
h = {{ from = "cov.tertiary_enrolment", transform = "log" }}
k = {{ from = "cov.gfcf_gdp" }}

{models}
[[robustness]]
name = "drop-{dropped}"
exclude_years = [{dropped}]

[report]
formats = ["markdown", "latex"]
"#,
        countries = quote(&codes),
        sample = quote(&sample),
        sectors = shape.sectors,
        measures = measures.join(", "),
    ))
}

/// Seconds and instance count per stage kind of the instances a run computed.
fn stage_totals(summary: &RunSummary) -> BTreeMap<String, serde_json::Value> {
    let mut totals: BTreeMap<String, (usize, f64)> = BTreeMap::new();
    for r in summary
        .instances
        .iter()
        .filter(|r| r.outcome != Outcome::Cached)
    {
        let t = totals.entry(r.kind.name().to_string()).or_default();
        t.0 += 1;
        t.1 += r.seconds;
    }
    totals
        .into_iter()
        .map(|(k, (n, s))| (k, serde_json::json!({"instances": n, "seconds": s})))
        .collect()
}

/// Writes the study into a temporary folder, runs it cold then warm, times one inverse and
/// the measures of one table of the same shape, and returns the JSON document of
/// `gvc bench --study`. Progress goes to stderr.
pub fn bench_study(shape: &StudyShape) -> Result<serde_json::Value, Failure> {
    let text = study_spec(shape)?;
    let dir = TempDir(std::env::temp_dir().join(format!(
        "gvc-bench-study-{}-{}",
        std::process::id(),
        crate::engine::measure::utc_timestamp(std::time::SystemTime::now()).replace([':', '-'], "")
    )));
    let io = |e: std::io::Error| Failure::Run(format!("{}: {e}", dir.0.display()));
    std::fs::create_dir_all(&dir.0).map_err(io)?;
    let file = dir.0.join("bench_study.toml");
    std::fs::write(&file, text).map_err(io)?;
    let spec = crate::spec::load_spec(&file, &[]).map_err(|d| Failure::Spec(d.to_string()))?;
    let repeat = shape.repeat.max(1);
    let opts = |k: usize| RunOptions {
        cache: Some(dir.0.join(format!("cache-{k}"))),
        output: Some(dir.0.join(format!("output-{k}"))),
        jobs: 0,
        quiet: true,
    };
    let n = shape.countries * shape.sectors;
    eprintln!(
        "bench --study: {} countries × {} sectors (n = {n}), {} years, measures {}; cold run…",
        shape.countries,
        shape.sectors,
        shape.years,
        shape
            .measures
            .iter()
            .map(|f| f.prefix())
            .collect::<Vec<_>>()
            .join(",")
    );
    // Cold runs on fresh caches; the run with the median time supplies the per-stage totals.
    let mut colds = Vec::new();
    for k in 0..repeat {
        let cold = run(&spec, &opts(k))?;
        eprintln!(
            "bench --study: cold run {} of {repeat}: {:.2} s ({} stage instances)",
            k + 1,
            cold.seconds,
            cold.ran()
        );
        colds.push(cold);
    }
    let peak = crate::engine::measure::peak_memory_bytes();
    let last = repeat - 1;
    let cache_bytes = crate::engine::measure::tree_bytes(&dir.0.join(format!("cache-{last}")));
    let cold_runs: Vec<f64> = colds.iter().map(|c| c.seconds).collect();
    let cold_median = crate::bench::median(&cold_runs);
    let cold = colds
        .iter()
        .min_by(|a, b| {
            (a.seconds - cold_median)
                .abs()
                .total_cmp(&(b.seconds - cold_median).abs())
        })
        .ok_or_else(|| Failure::Run("bench --study: no cold run".into()))?;
    let mut warm_runs = Vec::new();
    let mut warm_computed = 0;
    for _ in 0..repeat {
        let warm = run(&spec, &opts(last))?;
        warm_computed = warm_computed.max(warm.ran());
        warm_runs.push(warm.seconds);
    }
    let warm_median = crate::bench::median(&warm_runs);
    eprintln!(
        "bench --study: warm {warm_median:.2} s (median of {repeat}); one inverse and the measures at n = {n}…"
    );
    let table = crate::sources::mrio::synthetic::bench_table(shape.countries, shape.sectors, 1);
    let t = crate::bench::decompose::time_decomposition_median(&table, &shape.measures, repeat)
        .map_err(|e| Failure::Run(e.to_string()))?;
    let years = shape.years as f64;
    let model = years * t.inverse + years * t.measures_total();
    let stages = stage_totals(cold);
    let stage_seconds: f64 = cold
        .instances
        .iter()
        .filter(|r| r.outcome != Outcome::Cached)
        .map(|r| r.seconds)
        .sum();
    let threads = rayon::current_num_threads();
    Ok(serde_json::json!({
        "n": n,
        "countries": shape.countries,
        "sectors": shape.sectors,
        "years": shape.years,
        "measures": shape.measures.iter().map(|f| f.prefix()).collect::<Vec<_>>(),
        "threads": threads,
        "repeat": repeat,
        "study_cold_seconds": cold_median,
        "study_cold_runs": cold_runs,
        "study_warm_seconds": warm_median,
        "study_warm_runs": warm_runs,
        "warm_instances_computed": warm_computed,
        "inverse_seconds": t.inverse,
        "measures_seconds": t.measures_total(),
        "ratio_cold_to_model": cold_median / model,
        "stage_instances": cold.ran(),
        "stage_seconds_total": stage_seconds,
        // Above 1 when a stage's recorded seconds include other instances' work that its
        // thread ran while waiting for parallel work (docs/cache.md, "Timing a whole study").
        "stage_seconds_over_capacity": stage_seconds / (cold.seconds * threads as f64),
        "stages": stages,
        "cache_bytes": cache_bytes,
        "peak_memory_bytes": peak,
    }))
}
