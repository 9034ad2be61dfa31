//! Extraction of `[executor]` ([`crate::spec::executor`]): unknown keys, ill-typed values and
//! time or memory amounts Slurm would refuse are reported at their place, with the syntax to
//! write instead.

use super::section::Section;
use crate::spec::diag::{Diagnostic, Diagnostics};
use crate::spec::executor::*;
use crate::spec::node::{Node, Value};
use crate::spec::types::At;

/// `[executor]` from the top of the spec (absent: defaults).
pub(super) fn extract_executor(top: &Section<'_>, diags: &mut Diagnostics) -> ExecutorSettings {
    let Some(exec) = top.sub("executor", diags) else {
        return ExecutorSettings::default();
    };
    exec.check_keys(EXECUTOR_KEYS, diags);
    let Some(s) = exec.sub("slurm", diags) else {
        return ExecutorSettings::default();
    };
    let s = Section {
        name: "executor.slurm".into(),
        ..s
    };
    s.check_keys(SLURM_KEYS, diags);
    let mut out = SlurmSettings {
        account: s.string("account", diags),
        max_array_size: positive(&s, "max_array_size", diags),
        extra: Vec::new(),
        all: resources(&s, diags),
        stages: Default::default(),
    };
    for e in s
        .strings("extra", diags)
        .map(|a| a.value)
        .unwrap_or_default()
    {
        if e.value.starts_with("--") {
            out.extra.push(e);
        } else {
            diags.push(
                Diagnostic::at(
                    &e.loc,
                    format!(
                        "`executor.slurm.extra` entry `{}` is not an sbatch option",
                        e.value
                    ),
                )
                .with_help("write each option as sbatch takes it, e.g. `\"--qos=short\"`"),
            );
        }
    }
    for (kind, node) in s.entries("stages", diags) {
        let name = format!("executor.slurm.stages.{kind}");
        let Some(st) = Section::of(&name, node, diags) else {
            continue;
        };
        st.check_keys(SLURM_STAGE_KEYS, diags);
        out.stages
            .insert(kind.clone(), (node.loc.clone(), resources(&st, diags)));
    }
    ExecutorSettings { slurm: out }
}

/// `partition`, `time`, `mem` and `cpus_per_task` of a section.
fn resources(s: &Section<'_>, diags: &mut Diagnostics) -> SlurmResources {
    let time = s.string("time", diags).filter(|t| {
        let ok = is_slurm_time(&t.value);
        if !ok {
            diags.push(
                Diagnostic::at(&t.loc, format!("`{}.time` = \"{}\" is not a Slurm time limit", s.name, t.value))
                    .with_help("write minutes (`\"90\"`), `\"H:MM:SS\"` or `\"D-HH:MM:SS\"`, e.g. `time = \"2:00:00\"`"),
            );
        }
        ok
    });
    let mem = s.string("mem", diags).filter(|m| {
        let ok = is_slurm_mem(&m.value);
        if !ok {
            diags.push(
                Diagnostic::at(
                    &m.loc,
                    format!(
                        "`{}.mem` = \"{}\" is not a Slurm memory amount",
                        s.name, m.value
                    ),
                )
                .with_help("write a whole number with K, M, G or T, e.g. `mem = \"8G\"`"),
            );
        }
        ok
    });
    SlurmResources {
        partition: s.string("partition", diags),
        time,
        mem,
        cpus_per_task: positive(s, "cpus_per_task", diags),
    }
}

/// A whole number ≥ 1 at `key`.
fn positive(s: &Section<'_>, key: &str, diags: &mut Diagnostics) -> Option<At<u32>> {
    let node: &Node = s.node(key)?;
    match node.value {
        Value::Int(i) if i >= 1 && i <= i64::from(u32::MAX) => {
            Some(At::new(i as u32, node.loc.clone()))
        }
        _ => {
            diags.push(
                Diagnostic::at(
                    &node.loc,
                    format!("`{}.{key}` must be a whole number ≥ 1", s.name),
                )
                .with_help(format!("write e.g. `{key} = 2`")),
            );
            None
        }
    }
}
