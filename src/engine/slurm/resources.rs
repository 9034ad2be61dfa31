//! What each array asks Slurm for. Four layers, later ones win: defaults sized by the table
//! (`n`, the rows of the input-output table a stage works on), `[executor.slurm]`,
//! `[executor.slurm.stages.<kind>]`, then `--slurm-option KEY=VALUE` (`KEY` or `<kind>.KEY`).

use std::collections::BTreeMap;

use super::SlurmError;
use crate::choice::Choice;
use crate::engine::plan::{Instance, Plan};
use crate::engine::stages::{AnyStage, StageKind};
use crate::sources::mrio::MrioFormat;
use crate::spec::executor::{is_slurm_mem, is_slurm_time, SlurmResources, SlurmSettings};

/// Resources of one array's tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    pub partition: Option<String>,
    /// Slurm time limit (`H:MM:SS`).
    pub time: String,
    /// Memory per task (`4G`).
    pub mem: String,
    pub cpus_per_task: u32,
}

/// Everything the scripts of a run need besides the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub account: Option<String>,
    /// Most tasks per array, if the spec or the command line set it.
    pub max_array_size: Option<u32>,
    /// `#SBATCH` lines written as is.
    pub extra: Vec<String>,
    /// Resources of each stage kind the run submits.
    pub per_kind: BTreeMap<StageKind, Resources>,
}

/// The keys `--slurm-option KEY=VALUE` accepts for the whole run: those of `[executor.slurm]`
/// but its `stages` table (`--slurm-option <kind>.KEY=VALUE` takes the keys of
/// `[executor.slurm.stages.<kind>]`), so the spec and the command line never drift apart.
fn run_keys() -> Vec<&'static str> {
    crate::spec::executor::SLURM_KEYS
        .iter()
        .copied()
        .filter(|k| *k != "stages")
        .collect()
}

/// Typical table sizes (n = economies × sectors) of the file formats, when the table has not
/// been read yet: ADB MRIO 63 × 35, OECD ICIO 2023 81 × 45.
fn typical_n(format: MrioFormat) -> usize {
    match format {
        MrioFormat::AdbXlsx => 63 * 35,
        MrioFormat::IcioCsv | MrioFormat::LabelledCsv => 81 * 45,
        MrioFormat::Matrices | MrioFormat::Synthetic => 2500,
    }
}

/// The size of the input-output table an instance works on: a generated table's countries ×
/// sectors, else the typical size of its format; `None` for stages that read no table.
pub fn table_n(plan: &Plan, inst: &Instance) -> Option<usize> {
    let mut stack = vec![inst];
    let mut seen = 0usize;
    while let Some(i) = stack.pop() {
        seen += 1;
        if seen > 64 {
            return None;
        }
        if let AnyStage::IoTables(t) = &i.stage {
            if t.format == MrioFormat::Synthetic {
                let countries = t.options.get("countries").and_then(|c| c.as_array());
                let sectors = match t.options.get("sectors") {
                    Some(serde_json::Value::Number(n)) => n.as_u64().map(|n| n as usize),
                    Some(serde_json::Value::Array(a)) => Some(a.len()),
                    _ => Some(5),
                };
                if let (Some(c), Some(s)) = (countries, sectors) {
                    return Some(c.len() * s);
                }
            }
            return Some(typical_n(t.format));
        }
        // Only the table stages carry the size down: a panel of many years is no bigger.
        if matches!(i.kind, StageKind::Leontief | StageKind::Decompose) {
            stack.extend(i.deps.values().filter_map(|k| plan.get(k)));
        }
    }
    None
}

/// Defaults for a stage kind working on a table of size `n`: memory for the dense n × n
/// matrices the kind holds at once (io_tables 4, leontief 6, decompose 10) plus 1 GiB, in
/// whole half-gigabytes, cores
/// by size, and 30 minutes plus ten times an n³ estimate at 10 Gflop/s.
pub fn defaults(kind: StageKind, n: Option<usize>) -> Resources {
    let matrices = match kind {
        StageKind::IoTables => 4.0,
        StageKind::Leontief => 6.0,
        StageKind::Decompose => 10.0,
        _ => 0.0,
    };
    let flops_per_n3 = match kind {
        StageKind::Leontief => 2.0,
        StageKind::Decompose => 6.0,
        _ => 0.0,
    };
    let n = n.unwrap_or(0) as f64;
    let mib = 1024.0 + matrices * 8.0 * n * n / (1u64 << 20) as f64;
    // Whole half-gigabytes.
    let mem_mb = ((mib / 512.0).ceil() as u64) * 512;
    let seconds = 10.0 * flops_per_n3 * n * n * n / 1e10;
    let minutes = 30 + (seconds / 60.0).ceil() as u64;
    let cpus = if flops_per_n3 == 0.0 || n < 1500.0 {
        1
    } else if n < 4000.0 {
        2
    } else {
        4
    };
    Resources {
        partition: None,
        time: format!("{}:{:02}:00", minutes / 60, minutes % 60),
        mem: format!("{mem_mb}M"),
        cpus_per_task: cpus,
    }
}

/// One `--slurm-option KEY=VALUE`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmOption {
    /// `None`: for every stage kind.
    pub kind: Option<StageKind>,
    pub key: &'static str,
    pub value: String,
}

/// Parses `KEY=VALUE` or `<kind>.KEY=VALUE`.
pub fn parse_option(given: &str) -> Result<SlurmOption, SlurmError> {
    let bad = |message: String, help: String| SlurmError::BadOption {
        given: given.to_string(),
        message,
        help,
    };
    let Some((lhs, value)) = given.split_once('=') else {
        return Err(bad(
            "no `=`".into(),
            "write KEY=VALUE, e.g. `--slurm-option mem=8G` or `--slurm-option leontief.time=2:00:00`".into(),
        ));
    };
    let (kind, key) = match lhs.split_once('.') {
        Some((k, key)) => {
            let kind = StageKind::from_name(k).ok_or_else(|| {
                bad(
                    format!("unknown stage kind `{k}`"),
                    crate::spec::diag::did_you_mean(k, &StageKind::names()),
                )
            })?;
            (Some(kind), key)
        }
        None => (None, lhs),
    };
    let run = run_keys();
    let allowed: &[&str] = if kind.is_some() {
        crate::spec::executor::SLURM_STAGE_KEYS
    } else {
        &run
    };
    let Some(key) = allowed.iter().copied().find(|k| *k == key) else {
        return Err(bad(
            format!("unknown key `{key}`"),
            crate::spec::diag::did_you_mean(key, allowed),
        ));
    };
    check_value(key, value).map_err(|(m, h)| bad(m, h))?;
    Ok(SlurmOption {
        kind,
        key,
        value: value.to_string(),
    })
}

/// Checks a value of `key` in Slurm's syntax; `Err((message, help))`.
fn check_value(key: &str, value: &str) -> Result<(), (String, String)> {
    let ok = match key {
        "time" => is_slurm_time(value),
        "mem" => is_slurm_mem(value),
        "cpus_per_task" | "max_array_size" => value.parse::<u32>().is_ok_and(|v| v >= 1),
        "extra" => value.starts_with("--"),
        _ => !value.is_empty(),
    };
    if ok {
        return Ok(());
    }
    let help = match key {
        "time" => "write minutes (`90`), `H:MM:SS` or `D-HH:MM:SS`",
        "mem" => "write a whole number with K, M, G or T, e.g. `8G`",
        "cpus_per_task" | "max_array_size" => "write a whole number ≥ 1",
        "extra" => "write an sbatch option as sbatch takes it, e.g. `extra=--qos=short`",
        _ => "write a value after `=`",
    };
    Err((
        format!("`{value}` is not a valid `{key}`"),
        help.to_string(),
    ))
}

/// Applies the spec's layer of resources onto `r`.
fn apply_spec(r: &mut Resources, s: &SlurmResources) {
    if let Some(p) = &s.partition {
        r.partition = Some(p.value.clone());
    }
    if let Some(t) = &s.time {
        r.time = t.value.clone();
    }
    if let Some(m) = &s.mem {
        r.mem = m.value.clone();
    }
    if let Some(c) = &s.cpus_per_task {
        r.cpus_per_task = c.value;
    }
}

/// Applies one command-line option onto `r`.
fn apply_option(r: &mut Resources, o: &SlurmOption) {
    match o.key {
        "partition" => r.partition = Some(o.value.clone()),
        "time" => r.time = o.value.clone(),
        "mem" => r.mem = o.value.clone(),
        "cpus_per_task" => r.cpus_per_task = o.value.parse().unwrap_or(r.cpus_per_task),
        _ => {}
    }
}

/// The settings of a run submitting instances of `kinds` (with the largest table each works
/// on): defaults, then the spec, then the command line.
pub fn resolve(
    spec: &SlurmSettings,
    options: &[SlurmOption],
    kinds: &BTreeMap<StageKind, Option<usize>>,
) -> Result<Settings, SlurmError> {
    for (name, (loc, _)) in &spec.stages {
        if StageKind::from_name(name).is_none() {
            return Err(SlurmError::UnknownStage {
                name: name.clone(),
                place: loc.to_string(),
                help: crate::spec::diag::did_you_mean(name, &StageKind::names()),
            });
        }
    }
    let mut out = Settings {
        account: spec.account.as_ref().map(|a| a.value.clone()),
        max_array_size: spec.max_array_size.as_ref().map(|m| m.value),
        extra: spec.extra.iter().map(|e| e.value.clone()).collect(),
        per_kind: BTreeMap::new(),
    };
    for o in options.iter().filter(|o| o.kind.is_none()) {
        match o.key {
            "account" => out.account = Some(o.value.clone()),
            "max_array_size" => out.max_array_size = o.value.parse().ok(),
            "extra" => out.extra.push(o.value.clone()),
            _ => {}
        }
    }
    for (&kind, &n) in kinds {
        let mut r = defaults(kind, n);
        apply_spec(&mut r, &spec.all);
        if let Some((_, s)) = spec.stages.get(kind.name()) {
            apply_spec(&mut r, s);
        }
        for o in options.iter().filter(|o| o.kind.is_none()) {
            apply_option(&mut r, o);
        }
        for o in options.iter().filter(|o| o.kind == Some(kind)) {
            apply_option(&mut r, o);
        }
        out.per_kind.insert(kind, r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_grow_with_the_table() {
        let small = defaults(StageKind::Leontief, Some(66));
        assert_eq!(small.mem, "1536M");
        assert_eq!(small.cpus_per_task, 1);
        assert_eq!(small.time, "0:31:00");
        let adb = defaults(StageKind::Decompose, Some(2205));
        assert_eq!((adb.mem.as_str(), adb.cpus_per_task), ("1536M", 2));
        let exio = defaults(StageKind::Decompose, Some(9800));
        assert_eq!((exio.mem.as_str(), exio.cpus_per_task), ("8704M", 4));
        assert_eq!(exio.time, "2:05:00");
        assert_eq!(defaults(StageKind::Estimate, None).mem, "1024M");
    }

    #[test]
    fn options_are_checked_and_layered() {
        assert!(parse_option("mem=8G").is_ok());
        assert!(parse_option("leontief.time=2:00:00").is_ok());
        let e = parse_option("leontif.mem=8G").unwrap_err().to_string();
        assert!(e.contains("leontief"), "{e}");
        let e = parse_option("memory=8G").unwrap_err().to_string();
        assert!(e.contains("`mem`"), "{e}");
        assert!(parse_option("time=1h").is_err());
        assert!(parse_option("cpus_per_task=0").is_err());
        let opts = vec![
            parse_option("mem=3G").unwrap(),
            parse_option("leontief.mem=5G").unwrap(),
            parse_option("account=econ").unwrap(),
        ];
        let mut spec = SlurmSettings::default();
        spec.all.cpus_per_task = Some(crate::spec::At::new(
            3,
            crate::spec::Loc::Override("test".into()),
        ));
        let kinds = [(StageKind::Leontief, Some(100)), (StageKind::Panel, None)]
            .into_iter()
            .collect();
        let s = resolve(&spec, &opts, &kinds).unwrap();
        assert_eq!(s.account.as_deref(), Some("econ"));
        assert_eq!(s.per_kind[&StageKind::Leontief].mem, "5G");
        assert_eq!(s.per_kind[&StageKind::Panel].mem, "3G");
        assert_eq!(s.per_kind[&StageKind::Panel].cpus_per_task, 3);
    }
}
