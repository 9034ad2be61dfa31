//! The subset fast path (`gvc::estimate::SubsetFitter`, issue #16) equals the standard path
//! (`gvc::estimate::fit`) on the golden panels of shared/golden/econometrics for EVERY subset of
//! their regressors — every number of the serialized `EstimationResult` (coefficients, every
//! covariance with its inference and model test, fit statistics, tests, panel effects) at
//! 1e-10 relative, with an absolute floor of 1e-12 × the largest magnitude of the same vector
//! or matrix for entries that are essentially zero; every string, flag and count exactly. The
//! worst relative error per file is printed. A few full-regressor fits are also compared with
//! the golden (Stata / plm / linearmodels) numbers directly.

use crate::common;

use std::path::{Path, PathBuf};

use gvc::bench::multiverse::{all_subsets, subset_design};
use gvc::estimate::{
    build_design, fit, CovarianceKind, Design, DesignSpec, DesignTransform, EstimationResult,
    Estimator, FitOptions, IdColumn, PanelData, SubsetFitter, Vce,
};
use serde_json::Value;

const REL_TOL: f64 = 1e-10;

fn golden_dir() -> Option<PathBuf> {
    common::shared_dir("golden subsets (fast path)").map(|d| d.join("golden/econometrics"))
}

fn column(header: &[String], rows: &[Vec<String>], name: &str) -> Vec<Option<f64>> {
    let j = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows.iter()
        .map(|r| {
            let s = r[j].trim();
            (!s.is_empty()).then(|| s.parse::<f64>().unwrap_or_else(|e| panic!("{name}: {e}")))
        })
        .collect()
}

/// PanelData of `file` (the first `take` rows when given).
fn panel_data(
    dir: &Path,
    file: &str,
    panel: &str,
    time: &str,
    vars: &[&str],
    take: Option<usize>,
) -> PanelData {
    let (header, mut rows) = common::read_csv_cells(&dir.join(file));
    if let Some(n) = take {
        rows.truncate(n);
    }
    let ints = |name: &str| -> Vec<Option<i64>> {
        column(&header, &rows, name)
            .into_iter()
            .map(|v| v.map(|x| x as i64))
            .collect()
    };
    let ids = ints(panel);
    let t = ints(time);
    let mut d = PanelData::new(panel, IdColumn::Int(&ids), time, &t).expect("panel data");
    for v in vars {
        d.add_column(v, &column(&header, &rows, v)).expect("column");
    }
    d
}

fn design(data: &PanelData, dep: &str, xs: &[&str], cluster: Option<&str>) -> Design {
    let spec = DesignSpec {
        dependent: dep.to_string(),
        regressors: xs.iter().map(|s| s.to_string()).collect(),
        cluster: cluster.map(str::to_string),
        transform: DesignTransform::Levels,
        drop_singletons: false,
    };
    build_design(data, &spec).expect("design")
}

/// Worst relative error over a comparison, and the mismatches.
#[derive(Default)]
struct Compare {
    worst: f64,
    worst_at: String,
    numbers: usize,
    failures: Vec<String>,
}

fn scale_of(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(0.0).abs(),
        Value::Array(a) => a.iter().map(scale_of).fold(0.0, f64::max),
        _ => 0.0,
    }
}

impl Compare {
    /// Walk two serialized results; `scale` is the magnitude of the enclosing array.
    fn walk(&mut self, path: &str, fast: &Value, standard: &Value, scale: f64) {
        match (fast, standard) {
            (Value::Number(a), Value::Number(b)) => {
                let (a, b) = (
                    a.as_f64().unwrap_or(f64::NAN),
                    b.as_f64().unwrap_or(f64::NAN),
                );
                self.numbers += 1;
                let rel = common::rel_diff(a, b);
                let floor = (a - b).abs() <= 1e-12 * scale;
                if rel > self.worst && !floor {
                    self.worst = rel;
                    self.worst_at = path.to_string();
                }
                if rel > REL_TOL && !floor {
                    self.failures.push(format!(
                        "{path}: fast {a:e}, standard {b:e} (rel {rel:.1e})"
                    ));
                }
            }
            (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
                let s = scale_of(standard).max(scale_of(fast));
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    self.walk(&format!("{path}[{i}]"), x, y, s);
                }
            }
            (Value::Object(a), Value::Object(b)) if a.len() == b.len() => {
                for (key, x) in a {
                    match b.get(key) {
                        Some(y) => self.walk(&format!("{path}.{key}"), x, y, 0.0),
                        None => self
                            .failures
                            .push(format!("{path}.{key}: missing in standard")),
                    }
                }
            }
            (a, b) if a == b => {}
            (a, b) => self
                .failures
                .push(format!("{path}: fast {a}, standard {b}")),
        }
    }
}

/// Fast vs standard for every subset of the design's regressors; prints the worst error.
fn every_subset(label: &str, design: &Design, estimator: Estimator, opts: &FitOptions) -> Compare {
    let fitter = SubsetFitter::new(design, estimator, opts).expect("fitter");
    let k = design.x.ncols();
    let mut cmp = Compare::default();
    let mut fits = 0;
    for subset in all_subsets(k) {
        let standard = fit(&subset_design(design, &subset), estimator, opts);
        let fast = fitter.fit(&subset);
        let name = format!("{label} {subset:?}");
        match (fast, standard) {
            (Ok(f), Ok(s)) => {
                fits += 1;
                // The lean estimates are the same numbers as the full fit's fields.
                let est = fitter.estimates(&subset).expect("estimates");
                assert_eq!(est.coefficients, f.coefficients.to_vec(), "{name}");
                assert_eq!(Some(&est.primary), f.primary(), "{name}");
                assert_eq!(est.coef_names, f.coef_names, "{name}");
                let (f, s) = (
                    serde_json::to_value(&f).expect("json"),
                    serde_json::to_value(&s).expect("json"),
                );
                cmp.walk(&name, &f, &s, 0.0);
            }
            (Err(f), Err(s)) => assert_eq!(f.to_string(), s.to_string(), "{name}"),
            (f, s) => cmp.failures.push(format!(
                "{name}: fast {:?}, standard {:?}",
                f.map(|_| "ok"),
                s.map(|_| "ok")
            )),
        }
    }
    eprintln!(
        "golden subsets {label}: {fits} fits of {} subsets, {} numbers, worst relative error {:.2e} at {}",
        1usize << k,
        cmp.numbers,
        cmp.worst,
        cmp.worst_at
    );
    cmp
}

fn finish(all: Vec<Compare>) {
    let failures: Vec<&String> = all.iter().flat_map(|c| &c.failures).collect();
    for f in failures.iter().take(40) {
        eprintln!("MISMATCH {f}");
    }
    assert!(
        failures.is_empty(),
        "{} mismatches between the fast and the standard path (first: {})",
        failures.len(),
        failures[0]
    );
}

fn fe_opts() -> FitOptions {
    FitOptions {
        vce: Vce::Robust,
        extra_covariances: vec![
            CovarianceKind::ClusterAregStyle,
            CovarianceKind::Hc1AregStyle,
        ],
        ..FitOptions::default()
    }
}

fn pooled_opts() -> FitOptions {
    FitOptions {
        vce: Vce::Cluster,
        extra_covariances: vec![CovarianceKind::RobustHc1, CovarianceKind::ClusterPanel],
        ..FitOptions::default()
    }
}

/// Golden number `block.key.name` (names with `.` written `_` there).
fn golden(g: &Value, block: &str, key: &str, name: &str) -> f64 {
    let blk = &g["stata_convention"][block];
    let v = if key.is_empty() {
        &blk[name.replace('.', "_")]
    } else {
        &blk[key][name.replace('.', "_")]
    };
    v.as_f64()
        .unwrap_or_else(|| panic!("golden {block}.{key}.{name} is not a number: {v}"))
}

/// The full subset from the fast path against golden coefficients and standard errors.
fn against_golden(dir: &Path, file: &str, r: &EstimationResult, kind: CovarianceKind, block: &str) {
    let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let g: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let cov = r
        .covariance(kind)
        .unwrap_or_else(|| panic!("{file}: no {kind:?}"));
    let mut worst = 0.0f64;
    for (i, name) in r.coef_names.iter().enumerate() {
        let b = common::rel_diff(r.coefficients[i], golden(&g, "coef", "", name));
        let se = common::rel_diff(cov.std_error[i], golden(&g, block, "se", name));
        assert!(
            b < 1e-9 && se < 1e-9,
            "{file} {name}: coef rel {b:e}, {block} se rel {se:e}"
        );
        worst = worst.max(b).max(se);
    }
    eprintln!(
        "golden subsets {file}: full subset vs golden {block}, worst relative error {worst:.2e}"
    );
}

#[test]
fn fast_path_equals_standard_path_on_every_subset_of_the_golden_panels() {
    let Some(dir) = golden_dir() else { return };
    let mut all = Vec::new();

    let gv = ["invest", "value", "capital"];
    let grunfeld = panel_data(&dir, "grunfeld10.csv", "firm", "year", &gv, None);
    let d = design(&grunfeld, "invest", &["value", "capital"], None);
    all.push(every_subset("grunfeld10 fe", &d, Estimator::Fe, &fe_opts()));
    let dc = design(&grunfeld, "invest", &["value", "capital"], Some("firm"));
    all.push(every_subset(
        "grunfeld10 pooled",
        &dc,
        Estimator::Pooled,
        &pooled_opts(),
    ));
    let noconst = FitOptions {
        constant: false,
        ..pooled_opts()
    };
    all.push(every_subset(
        "grunfeld10 pooled noconstant",
        &dc,
        Estimator::Pooled,
        &noconst,
    ));
    let fast = SubsetFitter::new(&d, Estimator::Fe, &fe_opts()).expect("fitter");
    let full = fast.fit(&[0, 1]).expect("fit");
    against_golden(
        &dir,
        "grunfeld10_fe_oneway.json",
        &full,
        CovarianceKind::ClusterPanel,
        "cluster_panel",
    );
    against_golden(
        &dir,
        "grunfeld10_fe_oneway.json",
        &full,
        CovarianceKind::Conventional,
        "conventional",
    );
    let pooled = SubsetFitter::new(&dc, Estimator::Pooled, &pooled_opts()).expect("fitter");
    let full = pooled.fit(&[0, 1]).expect("fit");
    for (kind, block) in [
        (CovarianceKind::Cluster, "cluster"),
        (CovarianceKind::RobustHc1, "robust_hc1"),
        (CovarianceKind::Conventional, "conventional"),
    ] {
        against_golden(&dir, "grunfeld10_pooled.json", &full, kind, block);
    }

    let g199 = panel_data(&dir, "grunfeld10.csv", "firm", "year", &gv, Some(199));
    let d = design(&g199, "invest", &["value", "capital"], Some("firm"));
    let cluster_fe = FitOptions {
        vce: Vce::Cluster,
        ..fe_opts()
    };
    all.push(every_subset(
        "grunfeld199 fe",
        &d,
        Estimator::Fe,
        &cluster_fe,
    ));
    let full = SubsetFitter::new(&d, Estimator::Fe, &cluster_fe)
        .and_then(|f| f.fit(&[0, 1]))
        .expect("fit");
    against_golden(
        &dir,
        "grunfeld199_fe_oneway.json",
        &full,
        CovarianceKind::Conventional,
        "conventional",
    );

    let jx = ["d88", "d89", "grant", "grant_1", "lemploy"];
    let mut jv = vec!["hrsemp"];
    jv.extend(jx);
    let jt = panel_data(&dir, "jobtraining_hrsemp.csv", "fcode", "year", &jv, None);
    let d = design(&jt, "hrsemp", &jx, Some("fcode"));
    all.push(every_subset(
        "jobtraining fe",
        &d,
        Estimator::Fe,
        &fe_opts(),
    ));
    all.push(every_subset(
        "jobtraining pooled",
        &d,
        Estimator::Pooled,
        &pooled_opts(),
    ));
    let full = SubsetFitter::new(&d, Estimator::Fe, &fe_opts())
        .and_then(|f| f.fit(&[0, 1, 2, 3, 4]))
        .expect("fit");
    against_golden(
        &dir,
        "jobtraining_fe_oneway.json",
        &full,
        CovarianceKind::ClusterPanel,
        "cluster_panel",
    );

    let sx = ["invest_share", "L.invest_share", "trade_open", "landlocked"];
    let sv = ["gdp_growth", "invest_share", "trade_open", "landlocked"];
    let syn = panel_data(
        &dir,
        "synthetic_country_panel.csv",
        "country",
        "year",
        &sv,
        None,
    );
    let d = design(&syn, "gdp_growth", &sx, Some("country"));
    all.push(every_subset("synthetic fe", &d, Estimator::Fe, &cluster_fe));
    all.push(every_subset(
        "synthetic pooled",
        &d,
        Estimator::Pooled,
        &pooled_opts(),
    ));
    let full = SubsetFitter::new(&d, Estimator::Pooled, &pooled_opts())
        .and_then(|f| f.fit(&[0, 1, 2, 3]))
        .expect("fit");
    against_golden(
        &dir,
        "synthetic_pooled.json",
        &full,
        CovarianceKind::Cluster,
        "cluster",
    );
    // FE omits the time-invariant `landlocked` as absorbed by the panel effects, as Stata does.
    let fe = SubsetFitter::new(&d, Estimator::Fe, &cluster_fe).expect("fitter");
    let full = fe.fit(&[0, 1, 2, 3]).expect("fit");
    assert_eq!(full.omitted.len(), 1, "{:?}", full.omitted);
    assert_eq!(full.omitted[0].name, "landlocked");
    against_golden(
        &dir,
        "synthetic_fe_oneway.json",
        &full,
        CovarianceKind::Cluster,
        "cluster_panel",
    );
    finish(all);
}
