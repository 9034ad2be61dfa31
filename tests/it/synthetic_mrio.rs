//! The `synthetic` MRIO source: productive, balanced, positive value added, deterministic,
//! drifting over years, seed-sensitive; and fast enough for `gvc bench --size 2205`.

use std::time::Instant;

use gvc::iot::IoTable;
use gvc::sources::mrio::synthetic::{bench_table, generate, Names, SyntheticSpec};
use gvc::sources::mrio::{read_table, MrioFormat, MrioOptions};

fn spec(seed: u64) -> SyntheticSpec {
    SyntheticSpec {
        seed,
        countries: ["CHN", "DEU", "USA", "VNM", "KAZ", "ROW"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        sectors: Names::Count(8),
        fd_categories: Names::List(
            ["HFCE", "NPISH", "GGFC", "GFCF", "INVNT"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
        years: vec![],
    }
}

fn row_sums(t: &IoTable) -> Vec<f64> {
    (0..t.n())
        .map(|i| {
            let z: f64 = (0..t.n()).map(|j| t.z[(i, j)]).sum();
            let y: f64 = (0..t.y.ncols()).map(|j| t.y[(i, j)]).sum();
            z + y
        })
        .collect()
}

fn col_sums_z(t: &IoTable) -> Vec<f64> {
    (0..t.n())
        .map(|j| (0..t.n()).map(|i| t.z[(i, j)]).sum())
        .collect()
}

fn all_bits(t: &IoTable) -> Vec<u64> {
    let mut v = Vec::new();
    for j in 0..t.z.ncols() {
        for i in 0..t.z.nrows() {
            v.push(t.z[(i, j)].to_bits());
        }
    }
    for j in 0..t.y.ncols() {
        for i in 0..t.y.nrows() {
            v.push(t.y[(i, j)].to_bits());
        }
    }
    v.extend(t.x.iter().map(|x| x.to_bits()));
    v
}

/// Checks the properties every generated table must have; returns the worst balance error.
fn check_properties(t: &IoTable) -> f64 {
    t.validate().expect("valid table");
    let rs = row_sums(t);
    let cs = col_sums_z(t);
    let mut worst_balance = 0.0f64;
    let mut zero_rows = 0;
    for i in 0..t.n() {
        // Balanced: x = rowSums(Z) + rowSums(Y).
        let err = (t.x[i] - rs[i]).abs() / t.x[i].abs().max(1e-300);
        if t.x[i] == 0.0 {
            zero_rows += 1;
            assert_eq!(rs[i], 0.0, "zero-output row {i} must have zero sales");
            assert_eq!(cs[i], 0.0, "zero-output column {i} must have zero inputs");
            continue;
        }
        worst_balance = worst_balance.max(err);
        assert!(
            err <= 1e-12,
            "row {} ({}) unbalanced: {err}",
            i,
            t.labels[i]
        );
        // Productive: column sum of A < 1 (so the spectral radius, ≤ max column sum, is < 1).
        let col_a = cs[i] / t.x[i];
        assert!(col_a < 0.8, "column {i}: sum of A = {col_a}");
        // Positive value added.
        let va = t.x[i] - cs[i];
        assert!(va > 0.0, "value added of {} is {va}", t.labels[i]);
        // Z non-negative.
        for j in 0..t.n() {
            assert!(t.z[(j, i)] >= 0.0);
        }
    }
    assert_eq!(zero_rows, 1, "exactly one zero-output entry");
    worst_balance
}

#[test]
fn properties_hold_for_several_years_and_seeds() {
    for seed in [1, 2, 99] {
        for year in [1995, 2007, 2017] {
            let t = generate(&spec(seed), year).unwrap();
            assert_eq!(t.n(), 48);
            assert_eq!(t.y.ncols(), 30);
            assert_eq!(t.year, Some(year));
            let worst = check_properties(&t);
            println!("seed {seed} year {year}: worst relative balance error {worst:.2e}");
        }
    }
}

#[test]
fn realistic_structure() {
    let t = generate(&spec(5), 2010).unwrap();
    let rows = t.country_rows();
    // Domestic blocks dominate intermediate use of every country.
    for (c, r) in rows.iter().enumerate() {
        let mut dom = 0.0;
        let mut tot = 0.0;
        for &j in r {
            for i in 0..t.n() {
                tot += t.z[(i, j)];
                if t.row_country[i] == c {
                    dom += t.z[(i, j)];
                }
            }
        }
        assert!(
            dom / tot > 0.5,
            "{}: domestic share {}",
            t.countries[c],
            dom / tot
        );
    }
    // Trade shares vary by country.
    let import_share: Vec<f64> = rows
        .iter()
        .enumerate()
        .map(|(c, r)| {
            let (mut imp, mut tot) = (0.0, 0.0);
            for &j in r {
                for i in 0..t.n() {
                    tot += t.z[(i, j)];
                    if t.row_country[i] != c {
                        imp += t.z[(i, j)];
                    }
                }
            }
            imp / tot
        })
        .collect();
    let max = import_share.iter().cloned().fold(0.0, f64::max);
    let min = import_share.iter().cloned().fold(1.0, f64::min);
    assert!(max - min > 0.05, "import shares {import_share:?}");
    // Some negative inventory cells, all other final demand non-negative.
    let inv = t.fd_categories.len() - 1;
    let mut negative = 0;
    for c in 0..t.g() {
        for i in 0..t.n() {
            for f in 0..t.f() {
                let v = t.y[(i, c * t.f() + f)];
                if v < 0.0 {
                    assert_eq!(f, inv, "only inventories may be negative");
                    negative += 1;
                }
            }
        }
    }
    assert!(negative > 0);
}

#[test]
fn deterministic_bits() {
    let a = generate(&spec(11), 2009).unwrap();
    let b = generate(&spec(11), 2009).unwrap();
    assert_eq!(all_bits(&a), all_bits(&b));
    assert_eq!(a.labels, b.labels);
    // The `years` list only restricts which years exist; it does not change the numbers.
    let mut s = spec(11);
    s.years = vec![2008, 2009];
    let c = generate(&s, 2009).unwrap();
    assert_eq!(all_bits(&a), all_bits(&c));
    assert!(generate(&s, 2010).is_err());
}

#[test]
fn years_differ_smoothly() {
    let a = generate(&spec(3), 2008).unwrap();
    let b = generate(&spec(3), 2009).unwrap();
    let c = generate(&spec(3), 2020).unwrap();
    let changed = all_bits(&a)
        .iter()
        .zip(all_bits(&b))
        .filter(|(p, q)| **p != *q)
        .count();
    assert!(changed > a.n() * a.n() / 2, "only {changed} values changed");
    let total = |t: &IoTable| t.x.iter().sum::<f64>();
    let step = (total(&b) / total(&a) - 1.0).abs();
    let long = (total(&c) / total(&a) - 1.0).abs();
    assert!(
        step > 0.0 && step < 0.15,
        "one-year change in total output {step}"
    );
    assert!(long > step, "drift should accumulate: {long} vs {step}");
}

#[test]
fn seed_changes_everything() {
    let a = all_bits(&generate(&spec(1), 2009).unwrap());
    let b = all_bits(&generate(&spec(2), 2009).unwrap());
    let same_nonzero = a
        .iter()
        .zip(&b)
        .filter(|(p, q)| p == q && f64::from_bits(**p) != 0.0)
        .count();
    assert_eq!(same_nonzero, 0);
}

#[test]
fn dispatch_through_read_table() {
    let json = serde_json::json!({"seed": 4, "countries": ["AAA", "BBB", "CCC"], "sectors": ["agr", "man", "ser"], "fd_categories": 2});
    let opts = MrioOptions::deserialize_for(MrioFormat::Synthetic, json).unwrap();
    assert_eq!(opts.format(), MrioFormat::Synthetic);
    let t = read_table(&opts, None, Some(2012)).unwrap();
    assert_eq!(t.labels[4].to_string(), "BBB_man");
    assert_eq!(t.fd_categories, vec!["F1", "F2"]);
    let e = read_table(&opts, None, None).unwrap_err().to_string();
    assert!(e.contains("needs a year"), "{e}");
    let bad = serde_json::json!({"countries": ["A", "B"], "sector": 3});
    let e = MrioOptions::deserialize_for(MrioFormat::Synthetic, bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `sector`"), "{e}");
    let e = MrioOptions::default_for(MrioFormat::Synthetic)
        .unwrap_err()
        .to_string();
    assert!(e.contains("countries"), "{e}");
}

#[test]
fn bench_size_2205() {
    let start = Instant::now();
    let t = bench_table(63, 35, 42);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "bench_table(63, 35): n = {}, generated in {secs:.3} s",
        t.n()
    );
    assert_eq!(t.n(), 2205);
    assert_eq!(t.countries[0], "C01");
    check_properties(&t);
    // Speed is measured by `gvc bench` and reported, not asserted in a test.
}
