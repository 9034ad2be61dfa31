//! WWZ (reference/decomposition.md §4) against decompr's `wwz()` and `wwz2kww()` on the
//! "leather" example (shared/golden/decompr_leather: expected_wwz.csv, 27 flows × 26 numeric
//! columns; expected_wwz2kww_sector.csv; expected_kww.csv), and the identities I9–I11 for
//! every flow of the real WIOD 2009 table (shared/data/wiod2013, 41 × 35).

use crate::common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gvc::decompose::wwz::{self, ExporterBlock, WwzLevel, WwzRecord, DECOMPR_COLUMNS, KWW_MAPPING};
use gvc::decompose::{decompose, Context, DecomposeError, DecomposeOptions, Family, Level};
use gvc::iot::{IoTable, Leontief};
use gvc::sources::mrio::labelled_csv::{self, LabelledCsvOptions};
use gvc::sources::mrio::matrices::{self, MatricesOptions};
use gvc::sources::mrio::OutputSource;

/// Worst relative error over one golden file; fails on any value beyond 1e-9 relative
/// (absolute floor 1e-12 × the file's largest value, for values that are zero).
struct Tally {
    file: String,
    floor: f64,
    worst: f64,
    worst_at: String,
    count: usize,
    failures: Vec<String>,
}

impl Tally {
    fn new(file: &str, scale: f64) -> Self {
        Tally {
            file: file.to_string(),
            floor: 1e-12 * scale,
            worst: 0.0,
            worst_at: "-".into(),
            count: 0,
            failures: Vec::new(),
        }
    }

    fn check(&mut self, at: &str, got: f64, expected: f64) {
        let diff = (got - expected).abs();
        let rel = common::rel_diff(got, expected);
        let ok = rel <= 1e-9 || diff <= self.floor;
        self.count += 1;
        // Values that are zero up to the floor have no meaningful relative error.
        let score = if expected.abs() <= self.floor && diff <= self.floor {
            0.0
        } else {
            rel
        };
        if score > self.worst {
            self.worst = score;
            self.worst_at = at.to_string();
        }
        if !ok {
            self.failures
                .push(format!("{at}: got {got:.12e} expected {expected:.12e}"));
        }
    }

    fn finish(self) {
        println!(
            "{}: {} values, worst relative error {:.3e} at {}",
            self.file, self.count, self.worst, self.worst_at
        );
        assert!(
            self.failures.is_empty(),
            "{}: {} mismatches:\n{}",
            self.file,
            self.failures.len(),
            self.failures.join("\n")
        );
        assert!(self.count > 0, "{}: nothing compared", self.file);
    }
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = rdr
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = rdr
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn num(cell: &str, at: &str) -> f64 {
    cell.trim()
        .parse()
        .unwrap_or_else(|_| panic!("bad number `{cell}` at {at}"))
}

struct Fixture {
    dir: PathBuf,
    table: IoTable,
    leontief: Leontief,
}

fn leather() -> Option<Fixture> {
    let shared = common::shared_dir("WWZ leather golden")?;
    let dir = shared.join("golden/decompr_leather");
    let table = matrices::read(&dir, &MatricesOptions::default()).expect("leather reads");
    let leontief = Leontief::new(&table).expect("leather Leontief");
    Some(Fixture {
        dir,
        table,
        leontief,
    })
}

/// Largest absolute numeric value of columns `from..` of a golden file (the Tally scale).
fn scale(rows: &[Vec<String>], from: usize) -> f64 {
    rows.iter()
        .flat_map(|r| r[from..].iter())
        .filter_map(|c| c.trim().parse::<f64>().ok())
        .fold(0.0, |m, v| m.max(v.abs()))
}

#[test]
fn decompr_wwz_layout_matches() {
    let Some(f) = leather() else { return };
    let ctx = Context::new(&f.table, &f.leontief, 1e-9);
    let (rows, summary) = wwz::decompr_layout(&ctx).expect("wwz");
    let (header, expected) = read_csv(&f.dir.join("expected_wwz.csv"));
    assert_eq!(header, DECOMPR_COLUMNS, "decompr column names and order");
    assert_eq!(rows.len(), expected.len(), "G·N·G rows");
    let mut tally = Tally::new("expected_wwz.csv", scale(&expected, 3));
    for (got, exp) in rows.iter().zip(&expected) {
        assert_eq!(
            [
                got.exporting_country.as_str(),
                got.exporting_industry.as_str(),
                got.importing_country.as_str()
            ],
            [exp[0].as_str(), exp[1].as_str(), exp[2].as_str()],
            "row order"
        );
        for (k, cell) in exp.iter().enumerate().skip(3) {
            let at = format!("{}.{} -> {} {}", exp[0], exp[1], exp[2], header[k]);
            tally.check(&at, got.values[k - 3], num(cell, &at));
        }
    }
    tally.finish();
    for r in &summary.identities {
        println!("{} {}: {:.3e} at {}", r.id, r.name, r.residual, r.at);
        assert!(r.residual <= 1e-9, "{} residual {:e}", r.id, r.residual);
    }
}

/// Every bilateral-sector record with its exporter, keyed by (exporter, sector, importer) codes.
fn flows(ctx: &Context<'_>) -> HashMap<(String, String, String), WwzRecord> {
    let mut out = HashMap::new();
    wwz::stream(ctx, WwzLevel::BilateralSector, |b: ExporterBlock| {
        for r in b.records {
            let key = (
                ctx.country(b.exporter).to_string(),
                ctx.sectors.sector[r.sector.expect("sector")].clone(),
                ctx.country(r.importer.expect("importer")).to_string(),
            );
            out.insert(key, r);
        }
        Ok::<(), DecomposeError>(())
    })
    .expect("wwz");
    out
}

#[test]
fn wwz2kww_sector_matches() {
    let Some(f) = leather() else { return };
    let ctx = Context::new(&f.table, &f.leontief, 1e-9);
    let got = flows(&ctx);
    let (header, expected) = read_csv(&f.dir.join("expected_wwz2kww_sector.csv"));
    let names: Vec<&str> = KWW_MAPPING.iter().map(|(n, _)| *n).collect();
    assert_eq!(&header[3..], names.as_slice());
    let mut tally = Tally::new("expected_wwz2kww_sector.csv", scale(&expected, 3));
    for row in &expected {
        let key = (row[0].clone(), row[1].clone(), row[2].clone());
        let mapped = match got.get(&key) {
            Some(rec) => rec.values.kww(),
            // decompr's domestic rows: no flow exists, all terms are zero (I12).
            None if row[0] == row[2] => [0.0; 9],
            None => panic!("no WWZ flow for {key:?}"),
        };
        for (k, cell) in row.iter().enumerate().skip(3) {
            let at = format!("{}.{} -> {} {}", row[0], row[1], row[2], header[k]);
            tally.check(&at, mapped[k - 3], num(cell, &at));
        }
    }
    tally.finish();
}

fn run(f: &Fixture, families: &[Family], level: Level) -> gvc::decompose::Decomposition {
    decompose(
        &f.table,
        &f.leontief,
        &DecomposeOptions {
            measures: families.to_vec(),
            level,
            tolerance: 1e-9,
            ..DecomposeOptions::default()
        },
    )
    .expect("decomposition")
}

#[test]
fn country_mapping_to_kww_matches_expected_kww() {
    let Some(f) = leather() else { return };
    let d = run(&f, &[Family::Wwz, Family::Kww], Level::Country);
    let (header, expected) = read_csv(&f.dir.join("expected_kww.csv"));
    let mut tally = Tally::new("expected_kww.csv (WWZ→KWW)", scale(&expected, 1));
    for row in &expected {
        for (k, cell) in row.iter().enumerate().skip(1) {
            let measure = if header[k] == "E_total" {
                "wwz.E".to_string()
            } else {
                format!("wwz.kww_{}", header[k])
            };
            let at = format!("{} {}", row[0], header[k]);
            let got = d
                .get(&row[0], None, None, &measure)
                .unwrap_or_else(|| panic!("missing {measure} for {}", row[0]));
            tally.check(&at, got, num(cell, &at));
        }
    }
    tally.finish();
    for r in &d.identities {
        println!("{} {}: {:.3e} at {}", r.id, r.name, r.residual, r.at);
    }
    for id in ["I9", "I10", "I11"] {
        let r = d
            .identities
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("identity {id} not checked"));
        assert!(r.residual <= 1e-9, "{id} residual {:e}", r.residual);
    }
}

/// Bilateral and sector rows of the engine equal the sums of decompr's flows.
#[test]
fn engine_levels_are_sums_of_the_golden_flows() {
    let Some(f) = leather() else { return };
    let (header, expected) = read_csv(&f.dir.join("expected_wwz.csv"));
    // decompr column → WWZ measure (paper name).
    let paper = [
        "DVA_FIN",
        "DVA_INT",
        "DVA_INTrex1",
        "DVA_INTrexF",
        "DVA_INTrex2",
        "RDV_INT",
        "RDV_FIN1",
        "RDV_FIN2",
        "OVA_FIN",
        "MVA_FIN",
        "OVA_INT",
        "MVA_INT",
        "DDC_FIN",
        "DDC_INT",
        "ODC",
        "MDC",
        "E",
        "E_INT",
        "E_FIN",
    ];
    let mut bilateral: HashMap<(String, String, usize), f64> = HashMap::new();
    let mut sector: HashMap<(String, String, usize), f64> = HashMap::new();
    for row in &expected {
        for k in 0..paper.len() {
            let v = num(&row[k + 3], &header[k + 3]);
            *bilateral
                .entry((row[0].clone(), row[2].clone(), k))
                .or_default() += v;
            *sector
                .entry((row[0].clone(), row[1].clone(), k))
                .or_default() += v;
        }
    }
    let d = run(&f, &[Family::Wwz], Level::Bilateral);
    let mut tally = Tally::new("expected_wwz.csv summed by (exporter, importer)", 300.0);
    for ((s, r, k), v) in &bilateral {
        if s == r {
            assert!(d.get(s, None, Some(r), "wwz.E").is_none());
            continue;
        }
        let m = format!("wwz.{}", paper[*k]);
        let got = d.get(s, None, Some(r), &m).expect("bilateral row");
        tally.check(&format!("{s} -> {r} {m}"), got, *v);
    }
    tally.finish();
    let d = run(&f, &[Family::Wwz], Level::Sector);
    let mut tally = Tally::new("expected_wwz.csv summed by (exporter, sector)", 300.0);
    for ((s, i, k), v) in &sector {
        let m = format!("wwz.{}", paper[*k]);
        let got = d.get(s, Some(i), None, &m).expect("sector row");
        tally.check(&format!("{s}.{i} {m}"), got, *v);
    }
    tally.finish();
}

#[test]
fn wiod_2009_identities_hold_for_every_flow() {
    let Some(shared) = common::shared_dir("WWZ identities on WIOD 2009") else {
        return;
    };
    let path = shared.join("data/wiod2013/wiot_2009.csv");
    // I9–I11 are exact when x = rowSums(Z) + rowSums(Y). The reader's `output = row-sums`
    // refuses this file (LUX_c5 has zero output and only a −1 inventory change, so its row
    // sum is negative); read the table's x and recompute it with the same formula instead.
    let row_sums = LabelledCsvOptions {
        output: OutputSource::RowSums,
        ..LabelledCsvOptions::default()
    };
    let mut table = match labelled_csv::read(&path, Some(2009), &row_sums) {
        Ok(t) => t,
        Err(refused) => {
            println!("row-sums output refused by the reader ({refused}); recomputing x");
            labelled_csv::read(&path, Some(2009), &LabelledCsvOptions::default())
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    table.x = table.output_from_rows();
    assert_eq!((table.g(), table.n()), (41, 41 * 35));
    let leontief = Leontief::new(&table).unwrap_or_else(|e| panic!("{e}"));
    let ctx = Context::new(&table, &leontief, 1e-9);
    // Independent re-check of I9/I10 on the streamed flows, besides the family's own.
    let mut count = 0usize;
    let (mut worst9, mut worst10) = (0.0_f64, 0.0_f64);
    let mut worst_at = String::new();
    let xmax = leontief.x.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let floor = 1e-12 * xmax;
    let rel = |a: f64, b: f64| (a - b).abs() / a.abs().max(b.abs()).max(floor);
    let summary = wwz::stream(&ctx, WwzLevel::BilateralSector, |b: ExporterBlock| {
        for r in &b.records {
            let v = &r.values;
            let total: f64 = v.terms.iter().sum();
            let fin = v.terms[0] + v.terms[10] + v.terms[13];
            let r9 = rel(total, v.exports);
            let r10 = rel(fin, v.final_exports).max(rel(total - fin, v.intermediate_exports));
            if r9 > worst9 {
                worst9 = r9;
                worst_at = format!(
                    "{} {} -> {}",
                    ctx.country(b.exporter),
                    ctx.sectors.sector[r.sector.unwrap_or(0)],
                    ctx.country(r.importer.unwrap_or(0))
                );
            }
            worst10 = worst10.max(r10);
            count += 1;
        }
        Ok::<(), DecomposeError>(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count, 41 * 35 * 40);
    println!(
        "WIOD 2009: {count} flows; worst I9 {worst9:.3e} at {worst_at}; worst I10 {worst10:.3e}"
    );
    for r in &summary.identities {
        println!(
            "{} {}: {:.3e} (tolerance {:.1e}) at {}",
            r.id, r.name, r.residual, r.tolerance, r.at
        );
        assert!(r.residual <= 1e-9, "{} residual {:e}", r.id, r.residual);
    }
    assert!(worst9 <= 1e-9 && worst10 <= 1e-9);
    let ids: Vec<&str> = summary.identities.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["I9", "I10", "I11"]);
}

/// `gvc decompose --measures wwz --layout decompr --out wwz.csv` writes a file an R pipeline
/// can read in place of decompr's `wwz()` output: same header, row order and values.
#[test]
fn decompr_layout_file_from_the_command_line_matches() {
    let Some(f) = leather() else { return };
    let dir = common::fresh_dir("wwz-decompr-cli");
    let (code, _, err) = common::gvc(
        &dir,
        &[
            "decompose",
            &f.dir.display().to_string(),
            "--format",
            "matrices",
            "--measures",
            "wwz",
            "--layout",
            "decompr",
            "--out",
            "wwz.csv",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("I9") && err.contains("I11"), "{err}");
    let (header, got) = read_csv(&dir.join("wwz.csv"));
    let (exp_header, expected) = read_csv(&f.dir.join("expected_wwz.csv"));
    assert_eq!(header, exp_header);
    assert_eq!(got.len(), expected.len());
    let mut tally = Tally::new(
        "wwz.csv (gvc decompose) vs expected_wwz.csv",
        scale(&expected, 3),
    );
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g[..3], e[..3], "row order");
        for k in 3..e.len() {
            let at = format!("{}.{} -> {} {}", e[0], e[1], e[2], header[k]);
            tally.check(&at, num(&g[k], &at), num(&e[k], &at));
        }
    }
    tally.finish();
    // Bad combinations are usage errors, not panics.
    let (code, _, err) = common::gvc(
        &dir,
        &[
            "decompose",
            &f.dir.display().to_string(),
            "--format",
            "matrices",
            "--measures",
            "wwz,kww",
            "--layout",
            "decompr",
            "--out",
            "x.csv",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("use --measures wwz"), "{err}");
}
