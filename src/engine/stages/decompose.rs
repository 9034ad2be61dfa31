//! `decompose`: the value-added decompositions of one year's table (reference/decomposition.md
//! §2–6) as a long frame (country, sector, partner, year, measure, value), with every identity
//! the families check recorded. WWZ is streamed exporter by exporter into `wwz.parquet` in the
//! artifact folder at `wwz_level`, and its country totals join the long frame.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::io_tables::IoTables;
use super::leontief::LeontiefInverse;
use crate::decompose::context::Context;
use crate::decompose::wwz::WwzLevel;
use crate::decompose::{DecomposeOptions, Family, IvDefinition, Level, MeasureRow};
use crate::engine::artifact::{Facts, LongFrame, Produced};
use crate::engine::key::Key;
use crate::engine::stage::{Dep, RunContext, Stage};
use crate::engine::stages::StageKind;
use crate::engine::{wwz_files, StageError};
use crate::iot::Leontief;
use crate::spec::Spec;

/// The file a `decompose` artifact streams WWZ into (wide layout, [`wwz_files`]).
pub const WWZ_FILE: &str = "wwz.parquet";

/// Parameters of one year's decomposition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decompose {
    pub table: Dep<IoTables>,
    pub inverse: Dep<LeontiefInverse>,
    pub year: i32,
    /// The families, in the spec's order.
    pub families: Vec<Family>,
    pub level: Level,
    pub iv: IvDefinition,
    /// The level WWZ is streamed at (only when `wwz` is among the families).
    pub wwz_level: Option<WwzLevel>,
    /// Whether the streamed WWZ records at `wwz_level` also join the long frame (a panel whose
    /// unit is not `country` reads them); the country totals always do.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wwz_rows: bool,
    /// Relative tolerance of the identity checks.
    pub tolerance: f64,
}

impl Stage for Decompose {
    const KIND: StageKind = StageKind::Decompose;
    const VERSION: u32 = 3;
    type Output = LongFrame;

    fn deps(&self) -> Vec<(String, Key)> {
        vec![self.table.named("table"), self.inverse.named("inverse")]
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<Produced<LongFrame>, StageError> {
        let table = ctx.get(&self.table)?;
        let inverse = ctx.get(&self.inverse)?;
        // The core shares the cached inverse (an Arc), no n × n copy.
        let leontief = Leontief::from_inverse(&table, inverse.0.clone())?;
        // Families with rows at `level` run there; the others (KPWW on a bilateral panel's
        // tables, say) at the country level, so the long frame always holds them.
        let (at_level, at_country): (Vec<Family>, Vec<Family>) = self
            .families
            .iter()
            .copied()
            .filter(|f| *f != Family::Wwz)
            .partition(|f| !f.info().measures(self.level).is_empty());
        let (mut rows, mut identities) = (Vec::new(), Vec::new());
        for (measures, level) in [(at_level, self.level), (at_country, Level::Country)] {
            if measures.is_empty() {
                continue;
            }
            let options = DecomposeOptions {
                measures,
                level,
                iv: self.iv,
                tolerance: self.tolerance,
            };
            let d = crate::decompose::decompose(&table, &leontief, &options)?;
            rows.extend(d.rows);
            identities.extend(d.identities);
        }
        if let Some(level) = self.wwz_level {
            let wwz_ctx = Context::new(&table, &leontief, self.tolerance);
            let mut unit_rows = Vec::new();
            let keep = self.wwz_rows && level != WwzLevel::Country;
            let summary = wwz_files::write_wide_parquet_with(
                &wwz_ctx,
                level,
                Some(self.year),
                &ctx.dir().join(WWZ_FILE),
                &mut |block| {
                    if keep {
                        wwz_files::block_rows(&wwz_ctx, block, &mut unit_rows);
                    }
                },
            )?;
            rows.extend(wwz_files::country_rows(&wwz_ctx, &summary));
            rows.extend(unit_rows);
            identities.extend(summary.identities);
        }
        Ok(Produced {
            output: LongFrame(measure_frame(&rows, Some(self.year))?),
            facts: Facts {
                identities,
                ..Facts::default()
            },
        })
    }
}

/// The parameters of one year's decomposition for the spec's `[panel]`, or `None` when the
/// spec asks for no measures.
pub fn plan(
    spec: &Spec,
    year: i32,
    table: &IoTables,
    inverse: &LeontiefInverse,
) -> Option<Decompose> {
    plan_for(spec, spec.all_panels()[0], year, table, inverse)
}

/// The parameters of one year's decomposition feeding panel `p`, or `None` when it needs no
/// measures. `[panel]` gets every family of `decomposition.measures`; a `[panels.*]` panel the
/// families its variables read.
pub fn plan_for(
    spec: &Spec,
    p: crate::spec::PanelRef<'_>,
    year: i32,
    table: &IoTables,
    inverse: &LeontiefInverse,
) -> Option<Decompose> {
    let read: Vec<&str> = spec
        .panel_variables(p.name)
        .iter()
        .filter_map(|v| v.from.value.strip_prefix("decomposition."))
        .filter_map(|m| m.split('.').next())
        .collect();
    let families: Vec<Family> = spec
        .decomposition
        .measures
        .iter()
        .map(|m| m.value)
        .filter(|f| p.name.is_none() || read.contains(&f.name()))
        .collect();
    if families.is_empty() {
        return None;
    }
    // A panel unit other than `country` sets the levels its rows come from
    // (crate::panel::UNITS); the spec validator refused a contradicting `level`/`wwz_level`.
    let unit = p.unit().info();
    let (level, wwz_level) = if unit.unit.is_country() {
        (
            spec.decomposition.level.value,
            spec.decomposition.wwz_level.value,
        )
    } else {
        (unit.level.unwrap_or(Level::Country), unit.wwz)
    };
    Some(Decompose {
        table: Dep::on(table),
        inverse: Dep::on(inverse),
        year,
        wwz_level: families.contains(&Family::Wwz).then_some(wwz_level),
        wwz_rows: families.contains(&Family::Wwz) && !unit.unit.is_country(),
        families,
        level,
        iv: spec.decomposition.iv.value,
        tolerance: DecomposeOptions::default().tolerance,
    })
}

/// Long-form measure rows as a frame: country, sector, partner, [year,] measure, value.
pub fn measure_frame(rows: &[MeasureRow], year: Option<i32>) -> Result<DataFrame, PolarsError> {
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
        cols.push(Column::new("year".into(), vec![i64::from(y); n]));
    }
    cols.push(Column::new(
        "measure".into(),
        rows.iter().map(|r| r.measure.clone()).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "value".into(),
        rows.iter().map(|r| r.value).collect::<Vec<_>>(),
    ));
    DataFrame::new(n, cols)
}

/// One row of a measure frame at a panel unit: (exporter, importer, sector, year, measure,
/// value).
pub type UnitRow = (String, Option<String>, Option<String>, i32, String, f64);

/// The rows of a measure frame at a panel unit's detail: a sector exactly when the unit has
/// one, a partner exactly when it has an importer ([`crate::panel::UnitInfo::dims`]).
pub fn unit_rows(
    df: &DataFrame,
    unit: crate::panel::PanelUnit,
) -> Result<Vec<UnitRow>, PolarsError> {
    let country = df.column("country")?.str()?.clone();
    let sector = df.column("sector")?.str()?.clone();
    let partner = df.column("partner")?.str()?.clone();
    let year = df.column("year")?.cast(&DataType::Int64)?;
    let year = year.i64()?;
    let measure = df.column("measure")?.str()?.clone();
    let value = df.column("value")?.cast(&DataType::Float64)?;
    let value = value.f64()?;
    let mut out = Vec::new();
    for i in 0..df.height() {
        let (s, p) = (sector.get(i), partner.get(i));
        if s.is_some() != unit.has_sector() || p.is_some() != unit.has_importer() {
            continue;
        }
        if let (Some(c), Some(y), Some(m), Some(v)) =
            (country.get(i), year.get(i), measure.get(i), value.get(i))
        {
            out.push((
                c.to_string(),
                p.map(str::to_string),
                s.map(str::to_string),
                y as i32,
                m.to_string(),
                v,
            ));
        }
    }
    Ok(out)
}

/// The country-level rows of a measure frame: (country, year, measure, value), rows with a
/// sector or partner left out.
pub fn country_rows(df: &DataFrame) -> Result<Vec<(String, i32, String, f64)>, PolarsError> {
    Ok(unit_rows(df, crate::panel::PanelUnit::Country)?
        .into_iter()
        .map(|(c, _, _, y, m, v)| (c, y, m, v))
        .collect())
}
