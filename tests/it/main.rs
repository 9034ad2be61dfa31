//! gvc's integration tests in one binary (so polars is linked once): each module runs
//! the real CLI on real specs or a library layer on real data; `common` and `support` are
//! shared helpers.

mod common;
mod support;

mod bad_inputs;
mod bad_tables;
mod bench_study;
mod bri_study;
mod choices;
mod cli_foundation;
mod countries;
mod covariates;
mod diff_variants;
mod disk_full;
mod engine_plan;
mod estimate_cli;
mod estimate_edge_cases;
mod estimate_table;
mod fault;
mod fuzz;
mod golden_boot;
mod golden_decompr;
mod golden_dk;
mod golden_estimate;
mod golden_exvatools;
mod golden_gravity;
mod golden_hdfe;
mod golden_iv;
mod golden_subsets;
mod golden_wwz;
mod hausman_cli;
mod inverse_checks;
mod multiverse;
mod no_duplicates;
mod package;
mod panel_units;
mod readers_adb;
mod readers_labelled;
mod report;
mod report_html;
mod report_journal;
mod report_templates;
mod slurm;
mod spec_bad_input;
mod spec_reference;
mod study_pipeline;
mod study_wwz;
mod synthetic_mrio;
mod transforms;
mod tutorial;
mod wiod_identities;
mod wiod_study;
mod zero_economy;
