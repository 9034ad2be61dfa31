//! `multiverse/estimates.parquet` and `multiverse/estimates.csv`: one row per universe,
//! model and coefficient — the universe's name, its label on every axis (one column per
//! axis), the model, the term, estimate, standard error, p-value, confidence interval, the
//! number of observations and the stars of `[report] stars`. A fit that failed has no rows
//! (the report counts it as missing). Same inputs, same bytes.

use polars::prelude::*;

use super::MultiverseLayout;
use crate::engine::cache::Cache;
use crate::engine::outputs::load;
use crate::engine::publish::OutputFile;
use crate::engine::stages::multiverse::{MultiverseFits, MultiverseStage};
use crate::engine::StageError;

/// Columns every row has besides the axes.
pub const FIXED_COLUMNS: &[&str] = &[
    "universe",
    "model",
    "variable",
    "estimate",
    "std_error",
    "p_value",
    "ci_low",
    "ci_high",
    "n_obs",
    "stars",
];

/// Loads every multiverse stage's fits from the cache, in stage order.
pub fn load_fits(
    layout: &MultiverseLayout,
    cache: &Cache,
) -> Result<Vec<MultiverseFits>, StageError> {
    layout
        .stages
        .iter()
        .map(|s| load::<MultiverseStage>(cache, &crate::engine::stage::Stage::key(s)))
        .collect()
}

/// The number of `stars` thresholds `p` is below.
pub fn stars(p: f64, thresholds: &[f64]) -> u32 {
    thresholds.iter().filter(|&&t| p < t).count() as u32
}

/// The estimates frame.
pub fn estimates_frame(
    layout: &MultiverseLayout,
    fits: &[MultiverseFits],
    thresholds: &[f64],
) -> Result<DataFrame, StageError> {
    let mut universe = Vec::new();
    let mut axes: Vec<Vec<String>> = vec![Vec::new(); layout.axes.len()];
    let (mut model, mut variable) = (Vec::new(), Vec::new());
    let (mut est, mut se, mut p, mut lo, mut hi) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut n_obs, mut star) = (Vec::<u64>::new(), Vec::<u32>::new());
    for u in &layout.universes {
        for ((name, _), fit) in layout.models.iter().zip(&u.fits) {
            let Some((s, f)) = fit else { continue };
            let outcome = &fits[*s].outcomes[*f];
            for c in &outcome.coefficients {
                universe.push(u.name.clone());
                for ((col, (_, labels)), &i) in axes.iter_mut().zip(&layout.axes).zip(&u.choice) {
                    col.push(labels[i].clone());
                }
                model.push(name.clone());
                variable.push(c.name.clone());
                est.push(c.estimate);
                se.push(c.std_error);
                p.push(c.p_value);
                lo.push(c.ci_low);
                hi.push(c.ci_high);
                n_obs.push(outcome.n_obs as u64);
                star.push(stars(c.p_value, thresholds));
            }
        }
    }
    let n = universe.len();
    let mut columns = vec![Column::new("universe".into(), universe)];
    for ((name, _), values) in layout.axes.iter().zip(axes) {
        columns.push(Column::new(name.as_str().into(), values));
    }
    columns.extend([
        Column::new("model".into(), model),
        Column::new("variable".into(), variable),
        Column::new("estimate".into(), est),
        Column::new("std_error".into(), se),
        Column::new("p_value".into(), p),
        Column::new("ci_low".into(), lo),
        Column::new("ci_high".into(), hi),
        Column::new("n_obs".into(), n_obs),
        Column::new("stars".into(), star),
    ]);
    Ok(DataFrame::new(n, columns)?)
}

/// The two estimates files.
pub fn files(
    layout: &MultiverseLayout,
    cache: &Cache,
    thresholds: &[f64],
) -> Result<Vec<OutputFile>, StageError> {
    let fits = load_fits(layout, cache)?;
    let mut df = estimates_frame(layout, &fits, thresholds)?;
    let csv = crate::engine::csv_out::frame_csv(&df)?;
    let mut parquet = Vec::new();
    ParquetWriter::new(&mut parquet).finish(&mut df)?;
    Ok(vec![
        OutputFile::bytes("multiverse/estimates.parquet", parquet),
        OutputFile::bytes("multiverse/estimates.csv", csv),
    ])
}
