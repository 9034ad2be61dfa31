//! Golden comparison on decompr's "leather" example (shared/golden/decompr_leather):
//! Leontief objects and post-multiplied outputs, KWW, KPWW (country and sector), BM source,
//! WWYZ, bquast/gvc e2r/i2e/nrca and the upstream-asserted values. Values with full precision
//! (≥ 10 significant digits) are compared at 1e-9 relative; others at their printed precision.

use crate::common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gvc::decompose::{decompose, DecomposeOptions, Decomposition, Family, IvDefinition, Level};
use gvc::iot::{check_core_identities, IdentityOptions, IoTable, Leontief};
use gvc::sources::mrio::matrices::{self, MatricesOptions};

/// Worst relative error of one golden file, failing on any value outside tolerance.
struct Tally {
    file: String,
    worst: f64,
    worst_at: String,
    count: usize,
    failures: Vec<String>,
    /// Allowed error in units of the last printed decimal (0.5 = correctly rounded).
    units: f64,
}

impl Tally {
    fn new(file: &str) -> Self {
        Tally {
            file: file.to_string(),
            worst: 0.0,
            worst_at: "-".into(),
            count: 0,
            failures: Vec::new(),
            units: 0.5,
        }
    }

    /// Like [`Tally::new`] for values printed by truncation (upstream test literals such as
    /// 34.74381 for 34.7438192): one unit of the last printed decimal.
    fn truncated(file: &str) -> Self {
        Tally {
            units: 1.0,
            ..Tally::new(file)
        }
    }

    /// Compares `got` with the printed `expected`: 1e-9 relative when printed with ≥ 10
    /// significant digits, else half a unit of the last printed decimal.
    fn check(&mut self, at: &str, got: f64, expected: &str) {
        let exp: f64 = expected
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{}: bad number `{expected}` at {at}", self.file));
        let digits = expected
            .trim()
            .trim_start_matches('-')
            .chars()
            .filter(|c| c.is_ascii_digit())
            .collect::<String>();
        let significant = digits.trim_start_matches('0').len();
        let decimals = expected
            .trim()
            .split_once('.')
            .map(|(_, d)| d.len())
            .unwrap_or(0);
        let rel = common::rel_diff(got, exp);
        let ok = if significant >= 10 || exp == 0.0 {
            rel <= 1e-9 || (got - exp).abs() <= 1e-12 * exp.abs().max(1.0)
        } else {
            (got - exp).abs() <= self.units * 10f64.powi(-(decimals as i32)) * (1.0 + 1e-9)
        };
        self.count += 1;
        if rel > self.worst {
            self.worst = rel;
            self.worst_at = at.to_string();
        }
        if !ok {
            self.failures
                .push(format!("{at}: got {got:.12} expected {expected}"));
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
        .expect("golden file");
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

struct Fixture {
    dir: PathBuf,
    table: IoTable,
    leontief: Leontief,
}

fn fixture() -> Option<Fixture> {
    let shared = common::shared_dir("decompr leather golden")?;
    let dir = shared.join("golden/decompr_leather");
    let table = matrices::read(&dir, &MatricesOptions::default()).expect("leather reads");
    let leontief = Leontief::new(&table).expect("leather Leontief");
    Some(Fixture {
        dir,
        table,
        leontief,
    })
}

fn run(f: &Fixture, families: &[Family], level: Level, iv: IvDefinition) -> Decomposition {
    decompose(
        &f.table,
        &f.leontief,
        &DecomposeOptions {
            measures: families.to_vec(),
            level,
            iv,
            tolerance: 1e-9,
        },
    )
    .expect("decomposition")
}

fn value(d: &Decomposition, country: &str, sector: Option<&str>, measure: &str) -> f64 {
    d.get(country, sector, None, measure)
        .unwrap_or_else(|| panic!("missing {measure} for {country} {sector:?}"))
}

fn index_of(t: &IoTable, label: &str) -> usize {
    t.labels
        .iter()
        .position(|l| format!("{}.{}", l.block, l.sector) == label)
        .unwrap_or_else(|| panic!("unknown label {label}"))
}

#[test]
fn leontief_objects_match() {
    let Some(f) = fixture() else { return };
    for (file, m) in [
        ("derived_A.csv", &f.leontief.a),
        ("derived_B.csv", &f.leontief.b),
    ] {
        let (header, rows) = read_csv(&f.dir.join(file));
        let mut tally = Tally::new(file);
        for row in &rows {
            let i = index_of(&f.table, &row[0]);
            for (k, cell) in row.iter().enumerate().skip(1) {
                let j = index_of(&f.table, &header[k]);
                tally.check(&format!("[{}, {}]", row[0], header[k]), m[(i, j)], cell);
            }
        }
        tally.finish();
    }
    let (header, rows) = read_csv(&f.dir.join("derived_L_local.csv"));
    let mut tally = Tally::new("derived_L_local.csv");
    for row in &rows {
        let i = index_of(&f.table, &row[0]);
        for (k, cell) in row.iter().enumerate().skip(1) {
            let j = index_of(&f.table, &header[k]);
            let (ci, cj) = (f.table.row_country[i], f.table.row_country[j]);
            let got = if ci == cj {
                let rows_c = &f.leontief.blocks.rows[ci];
                let ii = rows_c.iter().position(|&r| r == i).unwrap();
                let jj = rows_c.iter().position(|&r| r == j).unwrap();
                f.leontief.local[ci][(ii, jj)]
            } else {
                0.0
            };
            tally.check(&format!("[{}, {}]", row[0], header[k]), got, cell);
        }
    }
    tally.finish();

    let (_, rows) = read_csv(&f.dir.join("derived_vectors.csv"));
    let exports = gvc::iot::identities::total_exports(&f.table);
    let mut tally = Tally::new("derived_vectors.csv");
    for row in &rows {
        let i = index_of(&f.table, &row[0]);
        tally.check(&format!("va {}", row[0]), f.leontief.va[i], &row[1]);
        tally.check(&format!("v {}", row[0]), f.leontief.v[i], &row[2]);
        tally.check(&format!("E {}", row[0]), exports[i], &row[3]);
        tally.check(&format!("X {}", row[0]), f.leontief.x[i], &row[4]);
    }
    tally.finish();
}

#[test]
fn core_identities_hold() {
    let Some(f) = fixture() else { return };
    let res = check_core_identities(
        &f.table,
        &f.leontief,
        &IdentityOptions {
            output_read: true,
            read_output_tolerance: Some(1e-12),
            ..IdentityOptions::default()
        },
    )
    .expect("I1-I5 hold");
    for r in &res {
        println!("{} {}: {:.3e} at {}", r.id, r.name, r.residual, r.at);
        assert!(r.residual <= 1e-9, "{} residual {}", r.id, r.residual);
    }
    assert_eq!(res.len(), 5);
}

#[test]
fn leontief_post_multiplied_outputs_match() {
    let Some(f) = fixture() else { return };
    let exports = gvc::iot::identities::total_exports(&f.table);
    let n = f.table.n();
    let vbe = f.leontief.va_in_exports(&exports);
    let vbx = f.leontief.va_in_output();
    let vby = f.leontief.va_in_final_demand(&f.table.y_by_country());
    for (file, m) in [
        ("expected_leontief_exports.csv", &vbe),
        ("expected_leontief_output.csv", &vbx),
    ] {
        let (_, rows) = read_csv(&f.dir.join(file));
        assert_eq!(rows.len(), n * n);
        let mut tally = Tally::new(file);
        for row in &rows {
            let i = index_of(&f.table, &format!("{}.{}", row[0], row[1]));
            let j = index_of(&f.table, &format!("{}.{}", row[2], row[3]));
            tally.check(
                &format!("{}.{} <- {}.{}", row[0], row[1], row[2], row[3]),
                m[(i, j)],
                &row[4],
            );
        }
        tally.finish();
    }
    let (_, rows) = read_csv(&f.dir.join("expected_leontief_final_demand.csv"));
    assert_eq!(rows.len(), n * f.table.g());
    let mut tally = Tally::new("expected_leontief_final_demand.csv");
    for row in &rows {
        let i = index_of(&f.table, &format!("{}.{}", row[0], row[1]));
        let c = f.table.countries.iter().position(|x| *x == row[2]).unwrap();
        tally.check(
            &format!("{}.{} -> {}", row[0], row[1], row[2]),
            vby[(i, c)],
            &row[3],
        );
    }
    tally.finish();
}

#[test]
fn kww_matches() {
    let Some(f) = fixture() else { return };
    let d = run(&f, &[Family::Kww], Level::Country, IvDefinition::Dvafx);
    let (header, rows) = read_csv(&f.dir.join("expected_kww.csv"));
    let mut tally = Tally::new("expected_kww.csv");
    for row in &rows {
        for (k, cell) in row.iter().enumerate().skip(1) {
            let name = if header[k] == "E_total" {
                "kww.E".to_string()
            } else {
                format!("kww.{}", header[k])
            };
            tally.check(
                &format!("{} {}", row[0], header[k]),
                value(&d, &row[0], None, &name),
                cell,
            );
        }
    }
    tally.finish();
    for r in &d.identities {
        println!("{} {}: {:.3e} at {}", r.id, r.name, r.residual, r.at);
    }
}

#[test]
fn kpww_country_matches() {
    let Some(f) = fixture() else { return };
    let dvafx = run(&f, &[Family::Kpww], Level::Country, IvDefinition::Dvafx);
    let t3 = run(&f, &[Family::Kpww], Level::Country, IvDefinition::KwwT3);
    let (header, rows) = read_csv(&f.dir.join("computed_kpww_country.csv"));
    let mut tally = Tally::new("computed_kpww_country.csv");
    for row in &rows {
        for (k, cell) in row.iter().enumerate().skip(1) {
            let (d, name) = match header[k].as_str() {
                "E" => (&dvafx, "kpww.E"),
                "FV" => (&dvafx, "kpww.FV"),
                "IV_dvafx" => (&dvafx, "kpww.IV_dvafx"),
                "IV_dvafx_excl_back" => (&dvafx, "kpww.IV_dvafx_excl_back"),
                "IV_kww_T3" => (&dvafx, "kpww.IV_kww_t3"),
                "GVC_part_dvafx" => (&dvafx, "kpww.participation"),
                "GVC_pos_dvafx" => (&dvafx, "kpww.position"),
                "GVC_part_kwwT3" => (&t3, "kpww.participation"),
                "GVC_pos_kwwT3" => (&t3, "kpww.position"),
                other => panic!("unexpected column {other}"),
            };
            tally.check(
                &format!("{} {}", row[0], header[k]),
                value(d, &row[0], None, name),
                cell,
            );
        }
    }
    tally.finish();
}

#[test]
fn kpww_sector_and_gvc_package_match() {
    let Some(f) = fixture() else { return };
    let d = run(&f, &[Family::Kpww], Level::Sector, IvDefinition::Dvafx);
    let (header, rows) = read_csv(&f.dir.join("computed_kpww_sector.csv"));
    let mut tally = Tally::new("computed_kpww_sector.csv");
    for row in &rows {
        for (k, cell) in row.iter().enumerate().skip(2) {
            let name = match header[k].as_str() {
                "E" => "kpww.E",
                "IV_forward" => "kpww.IV_dvafx",
                "FV_backward" => "kpww.FV",
                "part" => "kpww.participation",
                "pos" => "kpww.position",
                other => panic!("unexpected column {other}"),
            };
            tally.check(
                &format!("{}.{} {}", row[0], row[1], header[k]),
                value(&d, &row[0], Some(&row[1]), name),
                cell,
            );
        }
    }
    tally.finish();
    let (header, rows) = read_csv(&f.dir.join("expected_gvc_pkg.csv"));
    let mut tally = Tally::new("expected_gvc_pkg.csv");
    for row in &rows {
        for (k, cell) in row.iter().enumerate().skip(2) {
            let name = match header[k].as_str() {
                "e2r" => "kpww.IV_dvafx",
                "i2e" => "kpww.FV",
                "nrca" => "kpww.nrca",
                other => panic!("unexpected column {other}"),
            };
            tally.check(
                &format!("{}.{} {}", row[0], row[1], header[k]),
                value(&d, &row[0], Some(&row[1]), name),
                cell,
            );
        }
    }
    tally.finish();
}

#[test]
fn bm_source_country_matches() {
    let Some(f) = fixture() else { return };
    let d = run(
        &f,
        &[Family::Bm, Family::Kww, Family::Wwyz],
        Level::Country,
        IvDefinition::Dvafx,
    );
    let (header, rows) = read_csv(&f.dir.join("computed_bm_source_country.csv"));
    let mut tally = Tally::new("computed_bm_source_country.csv");
    for row in &rows {
        for (k, cell) in row.iter().enumerate().skip(1) {
            let name = format!("bm.{}", header[k]);
            tally.check(
                &format!("{} {}", row[0], header[k]),
                value(&d, &row[0], None, &name),
                cell,
            );
        }
    }
    tally.finish();
    let ids: Vec<&str> = d.identities.iter().map(|r| r.id.as_str()).collect();
    for id in ["I6", "I7", "I8", "I13", "I14", "I15", "I17", "I18"] {
        assert!(ids.contains(&id), "identity {id} not checked: {ids:?}");
    }
    for r in &d.identities {
        println!("{} {}: {:.3e} at {}", r.id, r.name, r.residual, r.at);
        assert!(r.residual <= 1e-9);
    }
}

#[test]
fn bm_bilateral_and_sector_add_up() {
    let Some(f) = fixture() else { return };
    let country = run(&f, &[Family::Bm], Level::Country, IvDefinition::Dvafx);
    let bil = run(&f, &[Family::Bm], Level::Bilateral, IvDefinition::Dvafx);
    let sec = run(&f, &[Family::Bm], Level::Sector, IvDefinition::Dvafx);
    let esr = read_csv(&f.dir.join("derived_ESR_bilateral_exports.csv"));
    let mut tally = Tally::new("derived_ESR_bilateral_exports.csv (bm.EXGR bilateral)");
    for c in &f.table.countries {
        for p in &f.table.countries {
            if c == p {
                continue;
            }
            let col = esr.0.iter().position(|h| h == p).unwrap();
            let expected: f64 = esr
                .1
                .iter()
                .filter(|r| r[0].starts_with(&format!("{c}.")))
                .map(|r| r[col].parse::<f64>().unwrap())
                .sum();
            let got = bil.get(c, None, Some(p), "bm.EXGR").unwrap();
            tally.check(&format!("{c} -> {p}"), got, &format!("{expected:.10}"));
        }
    }
    tally.finish();
    for name in ["bm.DVA", "bm.FVA", "bm.GVC", "bm.REX", "bm.REF", "bm.DDC"] {
        for c in &f.table.countries {
            let total = country.get(c, None, None, name).unwrap();
            let b: f64 = bil
                .rows
                .iter()
                .filter(|r| &r.country == c && r.measure == name)
                .map(|r| r.value)
                .sum();
            let s: f64 = sec
                .rows
                .iter()
                .filter(|r| &r.country == c && r.measure == name)
                .map(|r| r.value)
                .sum();
            assert!(
                common::rel_diff(b, total) < 1e-12,
                "{name} {c} bilateral {b} vs {total}"
            );
            assert!(
                common::rel_diff(s, total) < 1e-12,
                "{name} {c} sector {s} vs {total}"
            );
        }
    }
}

#[test]
fn wwyz_matches() {
    let Some(f) = fixture() else { return };
    for (file, level) in [
        ("computed_wwyz_country.csv", Level::Country),
        ("computed_wwyz_sector.csv", Level::Sector),
    ] {
        let d = run(&f, &[Family::Wwyz], level, IvDefinition::Dvafx);
        let (header, rows) = read_csv(&f.dir.join(file));
        let first = if level == Level::Sector { 2 } else { 1 };
        let mut tally = Tally::new(file);
        for row in &rows {
            let sector = (level == Level::Sector).then(|| row[1].as_str());
            for (k, cell) in row.iter().enumerate().skip(first) {
                let name = format!("wwyz.{}", header[k]);
                tally.check(
                    &format!("{} {:?} {}", row[0], sector, header[k]),
                    value(&d, &row[0], sector, &name),
                    cell,
                );
            }
        }
        tally.finish();
    }
}

#[test]
fn upstream_asserted_values_match() {
    let Some(f) = fixture() else { return };
    let exports = gvc::iot::identities::total_exports(&f.table);
    let n = f.table.n();
    let g = f.table.g();
    let vbe = f.leontief.va_in_exports(&exports);
    let vbx = f.leontief.va_in_output();
    let vby = f.leontief.va_in_final_demand(&f.table.y_by_country());
    let sec = run(&f, &[Family::Kpww], Level::Sector, IvDefinition::Dvafx);
    let sector_value = |k: usize, name: &str| {
        let label = &f.table.labels[k - 1];
        value(
            &sec,
            &f.table.countries[f.table.row_country[k - 1]],
            Some(&label.sector),
            name,
        )
    };
    let (header, rows) = read_csv(&f.dir.join("upstream_test_values.csv"));
    let item_col = header.iter().position(|h| h == "item").unwrap();
    let exp_col = header.iter().position(|h| h == "expected").unwrap();
    let mut tally = Tally::truncated("upstream_test_values.csv");
    let mut seen = HashMap::new();
    for row in &rows {
        let item = &row[item_col];
        let (head, rest) = item.split_once('[').unwrap();
        let k: usize = rest
            .split([',', ']'])
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let got = match head.trim() {
            // long format row k: source-major, then using entry (n per source)
            "l" => vbe[((k - 1) / n, (k - 1) % n)],
            "lo" => vbx[((k - 1) / n, (k - 1) % n)],
            "lfd" => vby[((k - 1) / g, (k - 1) % g)],
            "le2r" => sector_value(k, "kpww.IV_dvafx"),
            "li2e" => sector_value(k, "kpww.FV"),
            "lnrca" => sector_value(k, "kpww.nrca"),
            other => panic!("unknown item {other}"),
        };
        *seen.entry(head.trim().to_string()).or_insert(0) += 1;
        // testthat tolerance is 2e-3 relative; we hold to the printed digits (some are truncated).
        tally.check(item, got, &row[exp_col]);
    }
    assert_eq!(seen.values().sum::<usize>(), 12);
    tally.finish();
}

/// Upstreamness and downstreamness (family `upstreamness`) against a hand computation of the R
/// `gvc` package's `upstream()` and `downstream()` formulas on the leather table
/// (tests/fixtures/upstream_leather/make.py, numpy), at 1e-9 relative; country values are
/// the output-weighted means of their sectors, computed here from those entry values.
#[test]
fn upstreamness_matches_the_gvc_package_formulas() {
    let Some(f) = fixture() else { return };
    let expected = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upstream_leather/expected.csv"),
    )
    .unwrap();
    let rows: Vec<(String, String, f64, f64)> = expected
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                c[0].to_string(),
                c[1].to_string(),
                c[2].parse().unwrap(),
                c[3].parse().unwrap(),
            )
        })
        .collect();
    let sector = run(
        &f,
        &[Family::Upstreamness],
        Level::Sector,
        IvDefinition::Dvafx,
    );
    let country = run(
        &f,
        &[Family::Upstreamness],
        Level::Country,
        IvDefinition::Dvafx,
    );
    let mut worst = 0.0f64;
    let mut weighted: HashMap<&str, (f64, f64, f64)> = HashMap::new();
    for (c, s, u, d) in &rows {
        worst = worst.max(common::rel_diff(
            value(&sector, c, Some(s), "upstreamness.U"),
            *u,
        ));
        worst = worst.max(common::rel_diff(
            value(&sector, c, Some(s), "upstreamness.D"),
            *d,
        ));
        let x = f.table.x[index_of(&f.table, &format!("{c}.{s}"))];
        let w = weighted.entry(c.as_str()).or_default();
        w.0 += x * u;
        w.1 += x * d;
        w.2 += x;
    }
    for (c, (xu, xd, x)) in &weighted {
        worst = worst.max(common::rel_diff(
            value(&country, c, None, "upstreamness.U"),
            xu / x,
        ));
        worst = worst.max(common::rel_diff(
            value(&country, c, None, "upstreamness.D"),
            xd / x,
        ));
    }
    eprintln!("upstreamness: 18 entry and 6 country values, worst relative error {worst:e}");
    assert!(worst < 1e-9, "worst relative error {worst:e}");
    for d in [&sector, &country] {
        for id in ["I23", "I24", "I25"] {
            let r = d.identities.iter().find(|i| i.id == id).expect(id);
            assert!(r.residual < 1e-9, "{r:?}");
        }
    }
}
