//! Golden tests of `gvc::estimate` against shared/golden/econometrics (Stata conventions,
//! reference/econometrics.md). Every number of every `stata_convention*` block (and the RE `sa`,
//! between, Hausman and first-difference blocks) is compared at 1e-9 relative, with an absolute
//! floor of 1e-12 × the largest magnitude of the same vector/matrix for entries that are
//! essentially zero. The worst relative error per file is printed; a failure names the file,
//! block and quantity.

use crate::common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gvc::estimate::{
    build_design, fit, hausman, CovarianceKind, CovarianceResult, DesignSpec, DesignTransform,
    EstimationResult, Estimator, FitOptions, HausmanResult, HausmanVariant, IdColumn,
    OmissionReason, PanelData, ReMethod, TestResult, Vce,
};
use serde_json::Value;

const REL_TOL: f64 = 1e-9;

// ------------------------------------------------------------------ data

struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(path: &Path) -> Csv {
        let (header, rows) = crate::common::read_csv_cells(path);
        Csv { header, rows }
    }

    fn col(&self, name: &str) -> Vec<Option<f64>> {
        let j = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        self.rows
            .iter()
            .map(|r| {
                let s = r[j].trim();
                if s.is_empty() {
                    None
                } else {
                    Some(
                        s.parse::<f64>()
                            .unwrap_or_else(|e| panic!("{name}: {s}: {e}")),
                    )
                }
            })
            .collect()
    }

    fn int_col(&self, name: &str) -> Vec<Option<i64>> {
        self.col(name)
            .into_iter()
            .map(|v| v.map(|x| x as i64))
            .collect()
    }

    fn truncated(&self, n: usize) -> Csv {
        Csv {
            header: self.header.clone(),
            rows: self.rows[..n].to_vec(),
        }
    }
}

fn panel_data(csv: &Csv, panel: &str, time: &str, vars: &[&str], f32_round: bool) -> PanelData {
    let ids = csv.int_col(panel);
    let t = csv.int_col(time);
    let mut d = PanelData::new(panel, IdColumn::Int(&ids), time, &t).expect("panel data");
    for v in vars {
        let mut c = csv.col(v);
        if f32_round {
            c = c.into_iter().map(|x| x.map(|v| v as f32 as f64)).collect();
        }
        d.add_column(v, &c).expect("column");
    }
    d
}

fn golden_dir() -> Option<PathBuf> {
    common::shared_dir("golden econometrics").map(|d| d.join("golden/econometrics"))
}

fn load_json(dir: &Path, name: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// ------------------------------------------------------------------ checker

struct Checker {
    file: String,
    worst: f64,
    worst_what: String,
    compared: usize,
    failures: Vec<String>,
    skipped: Vec<String>,
}

fn scale_of(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(0.0).abs(),
        Value::Array(a) => a.iter().map(scale_of).fold(0.0, f64::max),
        Value::Object(o) => o.values().map(scale_of).fold(0.0, f64::max),
        _ => 0.0,
    }
}

impl Checker {
    fn new(file: &str) -> Self {
        Checker {
            file: file.to_string(),
            worst: 0.0,
            worst_what: String::new(),
            compared: 0,
            failures: Vec::new(),
            skipped: Vec::new(),
        }
    }

    fn fail(&mut self, what: &str, msg: String) {
        self.failures.push(format!("{} / {what}: {msg}", self.file));
    }

    /// Compare with relative tolerance and an absolute floor of 1e-12·scale.
    fn num(&mut self, what: &str, ours: f64, golden: &Value, scale: f64) {
        let Some(g) = golden.as_f64() else {
            self.fail(what, format!("golden value is not a number: {golden}"));
            return;
        };
        self.compared += 1;
        if ours == g {
            return;
        }
        let diff = (ours - g).abs();
        let rel = diff / ours.abs().max(g.abs()).max(1e-300);
        let within_floor = diff <= 1e-12 * scale;
        let effective = if within_floor { 0.0 } else { rel };
        if rel > self.worst && !within_floor {
            self.worst = rel;
            self.worst_what = what.to_string();
        }
        if effective.is_nan() || effective > REL_TOL {
            self.fail(
                what,
                format!("ours {ours:e} vs golden {g:e} (rel {rel:.2e})"),
            );
        }
    }

    /// Compare a value that is a sum of terms of total magnitude `terms`: |Δ| ≤ 1e-9·terms.
    fn num_terms(&mut self, what: &str, ours: f64, golden: &Value, terms: f64) {
        let Some(g) = golden.as_f64() else {
            self.fail(what, format!("golden value is not a number: {golden}"));
            return;
        };
        self.compared += 1;
        let rel = (ours - g).abs() / terms.max(ours.abs()).max(g.abs()).max(1e-300);
        if rel > self.worst {
            self.worst = rel;
            self.worst_what = what.to_string();
        }
        if rel.is_nan() || rel > REL_TOL {
            self.fail(
                what,
                format!("ours {ours:e} vs golden {g:e} (rel to |b|+c·se {rel:.2e})"),
            );
        }
    }

    fn opt(&mut self, what: &str, ours: Option<f64>, golden: &Value, scale: f64) {
        match (ours, golden.is_null()) {
            (None, true) => self.compared += 1,
            (Some(o), false) => self.num(what, o, golden, scale),
            (o, _) => self.fail(what, format!("ours {o:?} vs golden {golden}")),
        }
    }

    fn int(&mut self, what: &str, ours: i64, golden: &Value) {
        self.compared += 1;
        if golden.as_f64() != Some(ours as f64) {
            self.fail(what, format!("ours {ours} vs golden {golden}"));
        }
    }

    fn boolean(&mut self, what: &str, ours: bool, golden: &Value) {
        self.compared += 1;
        if golden.as_bool() != Some(ours) {
            self.fail(what, format!("ours {ours} vs golden {golden}"));
        }
    }

    fn skip(&mut self, what: &str, why: &str) {
        self.skipped.push(format!("{what}: {why}"));
    }

    fn report(&self) {
        println!(
            "{:<28} compared {:>5} numbers, worst rel error {:.3e} ({})",
            self.file,
            self.compared,
            self.worst,
            if self.worst_what.is_empty() {
                "all exact or within floor"
            } else {
                &self.worst_what
            }
        );
        for s in &self.skipped {
            println!("    not compared — {s}");
        }
    }
}

/// Golden coefficient name → ours.
fn our_name(g: &str) -> String {
    match g {
        "L_invest_share" => "L.invest_share".to_string(),
        other => other.to_string(),
    }
}

fn index_map(res: &EstimationResult, names: &[String]) -> Vec<usize> {
    names
        .iter()
        .map(|n| {
            res.index_of(&our_name(n)).unwrap_or_else(|| {
                panic!(
                    "{}: coefficient {n} missing in ours {:?}",
                    res.estimator.as_str(),
                    res.coef_names
                )
            })
        })
        .collect()
}

fn golden_names(obj: &Value) -> Vec<String> {
    obj.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn check_coef(ck: &mut Checker, block: &str, res: &EstimationResult, coef: &Value) {
    let names = golden_names(coef);
    let s = scale_of(coef);
    for n in &names {
        match res.coef(&our_name(n)) {
            Some(v) => ck.num(&format!("{block}.coef.{n}"), v, &coef[n], s),
            None => ck.fail(&format!("{block}.coef.{n}"), "missing in ours".to_string()),
        }
    }
}

fn check_test(ck: &mut Checker, what: &str, ours: Option<&TestResult>, g: &Value) {
    let Some(t) = ours else {
        ck.fail(what, format!("ours is missing, golden {g}"));
        return;
    };
    ck.num(&format!("{what}.stat"), t.stat, &g["stat"], 0.0);
    if let Some(d) = g.get("df1") {
        ck.int(&format!("{what}.df1"), t.df1 as i64, d);
        ck.int(
            &format!("{what}.df2"),
            t.df2.map_or(-1, |v| v as i64),
            &g["df2"],
        );
    } else {
        ck.int(&format!("{what}.df"), t.df1 as i64, &g["df"]);
        if t.df2.is_some() {
            ck.fail(what, "ours is an F test, golden a chi2".to_string());
        }
    }
    ck.num(&format!("{what}.p"), t.p_value, &g["p"], 0.0);
}

/// Compare one covariance block: dist, df, crit, se, stat, p, CI, vcov, factor, clusters, K,
/// lags, periods, model test.
fn check_cov(
    ck: &mut Checker,
    block: &str,
    res: &EstimationResult,
    cov: &CovarianceResult,
    g: &Value,
    names: &[String],
) {
    let idx = index_map(res, names);
    let want_dist = if cov.distribution == gvc::estimate::Distribution::Normal {
        "normal"
    } else {
        "t"
    };
    ck.compared += 1;
    if g["dist"].as_str() != Some(want_dist) {
        ck.fail(
            &format!("{block}.dist"),
            format!("ours {want_dist} vs golden {}", g["dist"]),
        );
    }
    match (cov.df, g["df"].as_i64()) {
        (None, None) => ck.compared += 1,
        (Some(a), Some(b)) => ck.int(&format!("{block}.df"), a as i64, &Value::from(b)),
        (a, _) => ck.fail(
            &format!("{block}.df"),
            format!("ours {a:?} vs golden {}", g["df"]),
        ),
    }
    ck.num(
        &format!("{block}.crit_95"),
        cov.critical_value,
        &g["crit_95"],
        0.0,
    );
    let b = &res.coefficients;
    for (key, ours) in [
        ("se", &cov.std_error),
        ("stat", &cov.statistic),
        ("p", &cov.p_value),
        ("ci95_low", &cov.ci_low),
        ("ci95_high", &cov.ci_high),
    ] {
        let s = if key == "p" { 0.0 } else { scale_of(&g[key]) };
        for (n, &i) in names.iter().zip(&idx) {
            if key.starts_with("ci95") {
                // b ± c·se can cancel (e.g. −2.09 + 1.96·1.06 = −0.02): judge the bound relative
                // to the size of its terms |b| + c·se, not to the small result.
                let terms = g["se"][n].as_f64().unwrap_or(0.0)
                    * g["crit_95"].as_f64().unwrap_or(0.0)
                    + res.coefficients[i].abs();
                ck.num_terms(&format!("{block}.{key}.{n}"), ours[i], &g[key][n], terms);
            } else {
                ck.num(&format!("{block}.{key}.{n}"), ours[i], &g[key][n], s);
            }
        }
    }
    let _ = b;
    let s = scale_of(&g["vcov"]);
    for (r, &ir) in idx.iter().enumerate() {
        for (c, &ic) in idx.iter().enumerate() {
            ck.num(
                &format!("{block}.vcov[{},{}]", names[r], names[c]),
                cov.vcov[[ir, ic]],
                &g["vcov"][r][c],
                s,
            );
        }
    }
    if let Some(f) = g.get("factor") {
        ck.opt(&format!("{block}.factor"), cov.factor, f, 0.0);
    }
    if let Some(v) = g.get("n_clusters") {
        ck.int(
            &format!("{block}.n_clusters"),
            cov.n_clusters.map_or(-1, |x| x as i64),
            v,
        );
    }
    if let Some(v) = g.get("K_in_factor") {
        ck.int(
            &format!("{block}.K_in_factor"),
            cov.k_in_factor.map_or(-1, |x| x as i64),
            v,
        );
    }
    if let Some(v) = g.get("lags") {
        ck.int(&format!("{block}.lags"), cov.lags.map_or(-1, i64::from), v);
    }
    if let Some(v) = g.get("n_periods") {
        ck.int(
            &format!("{block}.n_periods"),
            cov.n_periods.map_or(-1, |x| x as i64),
            v,
        );
    }
    for key in ["F_model", "wald_model"] {
        if let Some(t) = g.get(key) {
            check_test(ck, &format!("{block}.{key}"), cov.model_test.as_ref(), t);
        }
    }
}

fn cov(res: &EstimationResult, kind: CovarianceKind) -> &CovarianceResult {
    res.covariance(kind)
        .unwrap_or_else(|| panic!("covariance {} not computed", kind.key()))
}

fn names_of(g: &Value) -> Vec<String> {
    g["coef_names"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn finish(checkers: Vec<Checker>) {
    let mut failures = Vec::new();
    for c in &checkers {
        c.report();
        failures.extend(c.failures.iter().cloned());
    }
    if !failures.is_empty() {
        for f in failures.iter().take(60) {
            eprintln!("MISMATCH {f}");
        }
        panic!(
            "{} golden mismatches (first: {})",
            failures.len(),
            failures[0]
        );
    }
}

// ------------------------------------------------------------------ model runners

fn design(
    data: &PanelData,
    dep: &str,
    xs: &[&str],
    cluster: Option<&str>,
    transform: DesignTransform,
    drop_singletons: bool,
) -> gvc::estimate::Design {
    let spec = DesignSpec {
        dependent: dep.to_string(),
        regressors: xs.iter().map(|s| s.to_string()).collect(),
        cluster: cluster.map(str::to_string),
        transform,
        drop_singletons,
    };
    build_design(data, &spec).expect("design")
}

fn opts(vce: Vce, extra: &[CovarianceKind]) -> FitOptions {
    FitOptions {
        vce,
        extra_covariances: extra.to_vec(),
        ..FitOptions::default()
    }
}

fn check_sample_fe(ck: &mut Checker, res: &EstimationResult, st: &Value) {
    ck.int("N", res.sample.n_obs as i64, &st["N"]);
    ck.int("n_groups", res.sample.n_groups as i64, &st["n_groups"]);
    ck.int("T_min", res.sample.t_min as i64, &st["T_min"]);
    ck.num("T_avg", res.sample.t_avg, &st["T_avg"], 0.0);
    ck.int("T_max", res.sample.t_max as i64, &st["T_max"]);
}

fn check_sample_block(ck: &mut Checker, res: &EstimationResult, sample: &Value) {
    ck.int("sample.N", res.sample.n_obs as i64, &sample["N"]);
    ck.int(
        "sample.n_groups",
        res.sample.n_groups as i64,
        &sample["n_groups"],
    );
    ck.int("sample.T_min", res.sample.t_min as i64, &sample["T_min"]);
    ck.num("sample.T_avg", res.sample.t_avg, &sample["T_avg"], 0.0);
    ck.int("sample.T_max", res.sample.t_max as i64, &sample["T_max"]);
    ck.int(
        "sample.n_periods",
        res.sample.n_periods as i64,
        &sample["n_periods"],
    );
    ck.boolean("sample.balanced", res.sample.balanced, &sample["balanced"]);
    ck.int(
        "sample.n_singleton_groups",
        res.sample.n_singleton_groups as i64,
        &sample["n_singleton_groups"],
    );
}

fn check_pooled_like(
    ck: &mut Checker,
    block: &str,
    res: &EstimationResult,
    st: &Value,
    names: &[String],
    noconstant: bool,
) {
    check_coef(ck, block, res, &st["coef"]);
    ck.int(&format!("{block}.N"), res.sample.n_obs as i64, &st["N"]);
    ck.int(
        &format!("{block}.K"),
        res.coefficients.len() as i64,
        &st["K"],
    );
    check_cov(
        ck,
        &format!("{block}.conventional"),
        res,
        cov(res, CovarianceKind::Conventional),
        &st["conventional"],
        names,
    );
    check_cov(
        ck,
        &format!("{block}.robust_hc1"),
        res,
        cov(res, CovarianceKind::RobustHc1),
        &st["robust_hc1"],
        names,
    );
    let cl = res
        .covariance(CovarianceKind::Cluster)
        .unwrap_or_else(|| cov(res, CovarianceKind::ClusterPanel));
    check_cov(
        ck,
        &format!("{block}.cluster"),
        res,
        cl,
        &st["cluster"],
        names,
    );
    if let Some(dk) = st.get("driscoll_kraay") {
        check_cov(
            ck,
            &format!("{block}.driscoll_kraay"),
            res,
            cov(res, CovarianceKind::DriscollKraay { lags: Some(2) }),
            dk,
            names,
        );
    }
    let fit = &st["fit"];
    let f = &res.fit;
    ck.num(&format!("{block}.fit.ssr"), f.ssr, &fit["ssr"], 0.0);
    ck.num(&format!("{block}.fit.rmse"), f.rmse, &fit["rmse"], 0.0);
    ck.int(&format!("{block}.fit.df_r"), f.df_r, &fit["df_r"]);
    check_test(
        ck,
        &format!("{block}.fit.F_robust_hc1"),
        cov(res, CovarianceKind::RobustHc1).model_test.as_ref(),
        &fit["F_robust_hc1"],
    );
    if noconstant {
        ck.skip(
            &format!("{block}.fit.tss/mss/r2/r2_adj/df_m/F"),
            "the generator reports centered TSS and df_m = K−1 for `regress, noconstant`; Stata uses the \
             uncentered TSS = Σy² and df_m = K (ours), so these convention-dependent numbers differ by design",
        );
        // The covariance-based model F is convention-free: conventional Wald/K equals Stata's F(K, N−K).
        return;
    }
    ck.opt(&format!("{block}.fit.tss"), f.tss, &fit["tss"], 0.0);
    ck.opt(&format!("{block}.fit.mss"), f.mss, &fit["mss"], 0.0);
    ck.opt(&format!("{block}.fit.r2"), f.r2, &fit["r2"], 0.0);
    ck.opt(
        &format!("{block}.fit.r2_adj"),
        f.r2_adj,
        &fit["r2_adj"],
        0.0,
    );
    ck.int(&format!("{block}.fit.df_m"), f.df_m as i64, &fit["df_m"]);
    check_test(
        ck,
        &format!("{block}.fit.F"),
        cov(res, CovarianceKind::Conventional).model_test.as_ref(),
        &fit["F"],
    );
}

fn run_pooled(
    dir: &Path,
    file: &str,
    data: &PanelData,
    dep: &str,
    xs: &[&str],
    panel: &str,
) -> Checker {
    let g = load_json(dir, file);
    let mut ck = Checker::new(file);
    let d = design(data, dep, xs, Some(panel), DesignTransform::Levels, false);
    let res = fit(
        &d,
        Estimator::Pooled,
        &opts(
            Vce::Cluster,
            &[
                CovarianceKind::RobustHc1,
                CovarianceKind::DriscollKraay { lags: Some(2) },
            ],
        ),
    )
    .expect("pooled fit");
    let names = names_of(&g);
    check_sample_block(&mut ck, &res, &g["sample"]);
    check_pooled_like(
        &mut ck,
        "stata_convention",
        &res,
        &g["stata_convention"],
        &names,
        false,
    );
    ck
}

fn fe_options() -> FitOptions {
    opts(
        Vce::Robust,
        &[
            CovarianceKind::ClusterAregStyle,
            CovarianceKind::Hc1AregStyle,
            CovarianceKind::DriscollKraay { lags: None },
        ],
    )
}

fn check_fe(ck: &mut Checker, res: &EstimationResult, g: &Value) {
    let st = &g["stata_convention"];
    let names = names_of(g);
    check_sample_fe(ck, res, st);
    check_sample_block(ck, res, &g["sample"]);
    ck.int("df_r", res.fit.df_r, &st["df_r"]);
    ck.int("k", res.fit.df_m as i64, &st["k"]);
    check_coef(ck, "stata_convention", res, &st["coef"]);
    check_cov(
        ck,
        "conventional",
        res,
        cov(res, CovarianceKind::Conventional),
        &st["conventional"],
        &names,
    );
    let clp = &st["cluster_panel"];
    let twoway_singular = res.estimator == Estimator::Fe2
        && clp["F_model"]["df1"].as_i64().unwrap_or(0)
            > clp["n_clusters"].as_i64().unwrap_or(0) - 1;
    if twoway_singular {
        // rank(V_cluster) ≤ G − 1 < number of tested coefficients: the golden F (≈7.5e14) is the
        // solve of a singular matrix; Stata shows the model F as missing, as we do.
        let mut blk = clp.clone();
        if let Some(o) = blk.as_object_mut() {
            o.remove("F_model");
        }
        check_cov(
            ck,
            "cluster_panel",
            res,
            cov(res, CovarianceKind::ClusterPanel),
            &blk,
            &names,
        );
        ck.compared += 1;
        if cov(res, CovarianceKind::ClusterPanel).model_test.is_some() {
            ck.fail(
                "cluster_panel.F_model",
                "expected missing (singular cluster VCE block)".to_string(),
            );
        }
        ck.skip(
            "cluster_panel.F_model",
            "golden value comes from a singular solve (k > G−1); ours is missing as in Stata",
        );
    } else {
        check_cov(
            ck,
            "cluster_panel",
            res,
            cov(res, CovarianceKind::ClusterPanel),
            clp,
            &names,
        );
    }
    check_cov(
        ck,
        "cluster_areg_style",
        res,
        cov(res, CovarianceKind::ClusterAregStyle),
        &st["cluster_areg_style"],
        &names,
    );
    check_cov(
        ck,
        "hc1_areg_style",
        res,
        cov(res, CovarianceKind::Hc1AregStyle),
        &st["hc1_areg_style"],
        &names,
    );
    if let Some(dk) = st.get("driscoll_kraay_xtscc") {
        check_cov(
            ck,
            "driscoll_kraay_xtscc",
            res,
            cov(res, CovarianceKind::DriscollKraay { lags: None }),
            dk,
            &names,
        );
    }
    let fit = &st["fit"];
    let f = &res.fit;
    ck.num("fit.ssr", f.ssr, &fit["ssr"], 0.0);
    ck.opt("fit.sigma_u", f.sigma_u, &fit["sigma_u"], 0.0);
    ck.opt("fit.sigma_e", f.sigma_e, &fit["sigma_e"], 0.0);
    ck.opt("fit.rho", f.rho, &fit["rho"], 0.0);
    ck.opt("fit.r2_within", f.r2_within, &fit["r2_within"], 0.0);
    ck.opt(
        "fit.r2_within_ssr_based",
        f.r2_within,
        &fit["r2_within_ssr_based"],
        0.0,
    );
    ck.opt("fit.r2_between", f.r2_between, &fit["r2_between"], 0.0);
    ck.opt("fit.r2_overall", f.r2_overall, &fit["r2_overall"], 0.0);
    ck.opt("fit.corr_u_xb", f.corr_u_xb, &fit["corr_u_xb"], 0.0);
    ck.opt("fit.ssr_pooled", f.ssr_pooled, &fit["ssr_pooled"], 0.0);
    ck.opt("fit.r2_lsdv", f.r2_lsdv, &fit["r2_lsdv"], 0.0);
    ck.opt("fit.r2_adj_lsdv", f.r2_adj_lsdv, &fit["r2_adj_lsdv"], 0.0);
    check_test(
        ck,
        "fit.F_u_i_zero",
        res.tests.u_i_zero.as_ref(),
        &fit["F_u_i_zero"],
    );
    let u = &st["effects_u_i"];
    let s = scale_of(u);
    let ours = res
        .effects
        .as_ref()
        .map(|e| e.u_i.clone())
        .unwrap_or_default();
    let n = u.as_array().map_or(0, Vec::len);
    if ours.len() != n {
        ck.fail(
            "effects_u_i",
            format!("ours has {} panels, golden {n}", ours.len()),
        );
    } else {
        for (i, v) in ours.iter().enumerate() {
            ck.num(&format!("effects_u_i[{i}]"), *v, &u[i], s);
        }
    }
}

fn check_float32_block(ck: &mut Checker, res: &EstimationResult, blk: &Value) {
    check_coef(ck, "float32.coef", res, &blk["coef"]);
    let conv = cov(res, CovarianceKind::Conventional);
    for n in golden_names(&blk["se"]) {
        let i = res.index_of(&n).unwrap_or(usize::MAX);
        ck.num(
            &format!("float32.se.{n}"),
            conv.std_error.get(i).copied().unwrap_or(f64::NAN),
            &blk["se"][&n],
            0.0,
        );
    }
    let f = &res.fit;
    let fit = &blk["fit"];
    for (key, ours) in [
        ("sigma_u", f.sigma_u),
        ("sigma_e", f.sigma_e),
        ("rho", f.rho),
        ("theta", f.theta),
        ("r2_within", f.r2_within),
        ("r2_between", f.r2_between),
        ("r2_overall", f.r2_overall),
        ("corr_u_xb", f.corr_u_xb),
    ] {
        if let Some(g) = fit.get(key) {
            ck.opt(&format!("float32.fit.{key}"), ours, g, 0.0);
        }
    }
}

fn check_re_block(
    ck: &mut Checker,
    block: &str,
    res: &EstimationResult,
    st: &Value,
    names: &[String],
) {
    check_coef(ck, block, res, &st["coef"]);
    check_sample_fe(ck, res, st);
    check_cov(
        ck,
        &format!("{block}.conventional"),
        res,
        cov(res, CovarianceKind::Conventional),
        &st["conventional"],
        names,
    );
    check_cov(
        ck,
        &format!("{block}.cluster_panel"),
        res,
        cov(res, CovarianceKind::ClusterPanel),
        &st["cluster_panel"],
        names,
    );
    ck.skip(
        &format!("{block}.alt_sigma_e2_vcov_not_stata"),
        "the σ²_e·(X*'X*)⁻¹ variant is documented as NOT Stata's (econometrics.md §7.3) and is not offered",
    );
    let vc = res
        .variance_components
        .as_ref()
        .expect("variance components");
    let g = &st["variance_components"];
    ck.num(
        &format!("{block}.vc.sigma2_e"),
        vc.sigma2_e,
        &g["sigma2_e"],
        0.0,
    );
    ck.num(
        &format!("{block}.vc.sigma2_u"),
        vc.sigma2_u,
        &g["sigma2_u"],
        0.0,
    );
    ck.num(
        &format!("{block}.vc.sigma2_u_before_truncation"),
        vc.sigma2_u_before_truncation,
        &g["sigma2_u_before_truncation"],
        0.0,
    );
    ck.int(
        &format!("{block}.vc.df_within"),
        vc.df_within,
        &g["df_within"],
    );
    ck.int(
        &format!("{block}.vc.df_between"),
        vc.df_between,
        &g["df_between"],
    );
    for (key, ours) in [
        ("ssr_between", vc.ssr_between),
        ("Tbar_harmonic", vc.tbar_harmonic),
        ("ssr_between_star", vc.ssr_between_star),
        ("trace", vc.trace),
    ] {
        if let Some(gv) = g.get(key) {
            ck.opt(&format!("{block}.vc.{key}"), ours, gv, 0.0);
        }
    }
    let fit = &st["fit"];
    let f = &res.fit;
    ck.opt(
        &format!("{block}.fit.sigma_u"),
        f.sigma_u,
        &fit["sigma_u"],
        0.0,
    );
    ck.opt(
        &format!("{block}.fit.sigma_e"),
        f.sigma_e,
        &fit["sigma_e"],
        0.0,
    );
    ck.opt(&format!("{block}.fit.rho"), f.rho, &fit["rho"], 0.0);
    ck.num(
        &format!("{block}.fit.rmse_gls"),
        f.rmse,
        &fit["rmse_gls"],
        0.0,
    );
    ck.num(&format!("{block}.fit.ssr_gls"), f.ssr, &fit["ssr_gls"], 0.0);
    ck.opt(
        &format!("{block}.fit.r2_within"),
        f.r2_within,
        &fit["r2_within"],
        0.0,
    );
    ck.opt(
        &format!("{block}.fit.r2_between"),
        f.r2_between,
        &fit["r2_between"],
        0.0,
    );
    ck.opt(
        &format!("{block}.fit.r2_overall"),
        f.r2_overall,
        &fit["r2_overall"],
        0.0,
    );
    ck.opt(&format!("{block}.fit.theta"), f.theta, &fit["theta"], 0.0);
    for (key, ours) in [
        (
            "theta_summary_over_observations_stata_pctile",
            &f.theta_summary_observations,
        ),
        (
            "theta_summary_over_panels_stata_pctile",
            &f.theta_summary_panels,
        ),
    ] {
        let Some(t) = ours else {
            ck.fail(key, "missing".to_string());
            continue;
        };
        let g = &fit[key];
        for (k, v) in [
            ("min", t.min),
            ("p5", t.p5),
            ("p50", t.p50),
            ("p95", t.p95),
            ("max", t.max),
        ] {
            ck.num(&format!("{block}.fit.{key}.{k}"), v, &g[k], 0.0);
        }
    }
}

fn check_between(ck: &mut Checker, res: &EstimationResult, g: &Value, names: &[String]) {
    check_coef(ck, "between_xtreg_be", res, &g["coef"]);
    ck.num(
        "between_xtreg_be.ssr_unweighted",
        res.fit.ssr,
        &g["ssr_unweighted"],
        0.0,
    );
    ck.opt(
        "between_xtreg_be.ssr_Tweighted",
        res.fit.ssr_t_weighted,
        &g["ssr_Tweighted"],
        0.0,
    );
    ck.int("between_xtreg_be.n", res.sample.n_groups as i64, &g["n"]);
    ck.int("between_xtreg_be.K", res.coefficients.len() as i64, &g["K"]);
    check_cov(
        ck,
        "between_xtreg_be.conventional",
        res,
        cov(res, CovarianceKind::Conventional),
        &g["conventional"],
        names,
    );
}

fn re_fit(d: &gvc::estimate::Design, method: ReMethod) -> EstimationResult {
    let o = FitOptions {
        vce: Vce::Robust,
        re_method: method,
        ..FitOptions::default()
    };
    fit(d, Estimator::Re, &o).expect("re fit")
}

fn run_re(dir: &Path, file: &str, data: &PanelData, dep: &str, xs: &[&str]) -> Checker {
    let g = load_json(dir, file);
    let mut ck = Checker::new(file);
    let d = design(data, dep, xs, None, DesignTransform::Levels, false);
    let names = names_of(&g);
    let res = re_fit(&d, ReMethod::SwamyArora);
    check_sample_block(&mut ck, &res, &g["sample"]);
    check_re_block(
        &mut ck,
        "stata_convention",
        &res,
        &g["stata_convention"],
        &names,
    );
    for (key, method) in [
        (
            "stata_sa_option_Tweighted_between",
            ReMethod::BaltagiChangWeighted,
        ),
        (
            "stata_sa_option_unweighted_between",
            ReMethod::BaltagiChangUnweighted,
        ),
    ] {
        if let Some(blk) = g.get(key) {
            let r = re_fit(&d, method);
            check_re_block(&mut ck, key, &r, blk, &names);
        }
    }
    let be = fit(&d, Estimator::Be, &FitOptions::default()).expect("be fit");
    check_between(&mut ck, &be, &g["between_xtreg_be"], &names);
    ck
}

fn check_hausman_block(ck: &mut Checker, key: &str, h: &HausmanResult, g: &Value) {
    let names: Vec<String> = g["coefficients"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(our_name)).collect())
        .unwrap_or_default();
    ck.compared += 1;
    if names != h.coefficients {
        ck.fail(
            &format!("{key}.coefficients"),
            format!("ours {:?} vs golden {names:?}", h.coefficients),
        );
        return;
    }
    let gnames: Vec<String> = g["coefficients"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for (field, ours) in [
        ("b_consistent", &h.b_consistent),
        ("b_efficient", &h.b_efficient),
        ("difference", &h.difference),
    ] {
        let s = scale_of(&g[field]);
        for (i, n) in gnames.iter().enumerate() {
            ck.num(&format!("{key}.{field}.{n}"), ours[i], &g[field][n], s);
        }
    }
    for (i, n) in gnames.iter().enumerate() {
        ck.opt(
            &format!("{key}.se_difference.{n}"),
            h.se_difference[i],
            &g["se_difference"][n],
            0.0,
        );
    }
    ck.num(&format!("{key}.chi2"), h.chi2, &g["chi2"], 0.0);
    ck.int(&format!("{key}.df"), h.df as i64, &g["df"]);
    ck.opt(&format!("{key}.p"), h.p_value, &g["p"], 0.0);
    ck.boolean(
        &format!("{key}.V_diff_positive_definite"),
        h.positive_definite,
        &g["V_diff_positive_definite"],
    );
    let ev = &g["V_diff_eigenvalues"];
    let s = scale_of(ev);
    for (i, v) in h.eigenvalues.iter().enumerate() {
        ck.num(&format!("{key}.V_diff_eigenvalues[{i}]"), *v, &ev[i], s);
    }
    ck.compared += 1;
    if h.note.as_deref() != g["stata_display"].as_str() {
        ck.fail(
            &format!("{key}.stata_display"),
            format!("ours {:?} vs golden {}", h.note, g["stata_display"]),
        );
    }
}

fn run_hausman(dir: &Path, file: &str, fe: &EstimationResult, re: &EstimationResult) -> Checker {
    let g = load_json(dir, file);
    let mut ck = Checker::new(file);
    for (key, variant) in [
        ("default", HausmanVariant::Default),
        ("sigmamore", HausmanVariant::SigmaMore),
        ("sigmaless", HausmanVariant::SigmaLess),
    ] {
        let h = hausman(fe, re, variant).expect("hausman");
        check_hausman_block(&mut ck, key, &h, &g[key]);
    }
    if let Some(s) = g.get("sigma_scalars") {
        ck.num(
            "sigma_scalars.fe_sigma_e2",
            fe.fit.residual_variance,
            &s["fe_sigma_e2 (e(sigma_e)^2 after fe)"],
            0.0,
        );
        ck.num(
            "sigma_scalars.re_rmse2",
            re.fit.residual_variance,
            &s["re_rmse2 (e(rmse)^2 after re = SSR_gls/(N-K))"],
            0.0,
        );
        let s2e = re.variance_components.as_ref().map(|v| v.sigma2_e);
        ck.opt(
            "sigma_scalars.re_sigma_e2",
            s2e,
            &s["re_sigma_e2 (within variance component)"],
            0.0,
        );
    }
    ck
}

// ------------------------------------------------------------------ tests

const GRUNFELD_VARS: [&str; 3] = ["invest", "value", "capital"];
const JT_X: [&str; 5] = ["d88", "d89", "grant", "grant_1", "lemploy"];

#[test]
fn golden_grunfeld10() {
    let Some(dir) = golden_dir() else { return };
    let csv = Csv::read(&dir.join("grunfeld10.csv"));
    let data = panel_data(&csv, "firm", "year", &GRUNFELD_VARS, false);
    let xs = ["value", "capital"];
    let mut checkers = vec![run_pooled(
        &dir,
        "grunfeld10_pooled.json",
        &data,
        "invest",
        &xs,
        "firm",
    )];

    let d = design(&data, "invest", &xs, None, DesignTransform::Levels, false);
    let g = load_json(&dir, "grunfeld10_fe_oneway.json");
    let mut ck = Checker::new("grunfeld10_fe_oneway.json");
    let fe = fit(&d, Estimator::Fe, &fe_options()).expect("fe");
    check_fe(&mut ck, &fe, &g);
    let data32 = panel_data(&csv, "firm", "year", &GRUNFELD_VARS, true);
    let d32 = design(&data32, "invest", &xs, None, DesignTransform::Levels, false);
    let fe32 = fit(&d32, Estimator::Fe, &FitOptions::default()).expect("fe f32");
    check_float32_block(
        &mut ck,
        &fe32,
        &g["stata_convention_on_float32_rounded_data"],
    );
    checkers.push(ck);

    let g = load_json(&dir, "grunfeld10_fe_twoway.json");
    let mut ck = Checker::new("grunfeld10_fe_twoway.json");
    let fe2 = fit(&d, Estimator::Fe2, &fe_options()).expect("fe2");
    check_fe(&mut ck, &fe2, &g);
    checkers.push(ck);

    let mut ck = run_re(&dir, "grunfeld10_re.json", &data, "invest", &xs);
    let g = load_json(&dir, "grunfeld10_re.json");
    let re32 = fit(&d32, Estimator::Re, &FitOptions::default()).expect("re f32");
    check_float32_block(
        &mut ck,
        &re32,
        &g["stata_convention_on_float32_rounded_data"],
    );
    checkers.push(ck);

    let re = fit(&d, Estimator::Re, &FitOptions::default()).expect("re");
    checkers.push(run_hausman(&dir, "grunfeld10_hausman.json", &fe, &re));

    // First differences with and without constant.
    let g = load_json(&dir, "grunfeld10_fd.json");
    let mut ck = Checker::new("grunfeld10_fd.json");
    let dfd = design(
        &data,
        "invest",
        &xs,
        Some("firm"),
        DesignTransform::FirstDifference,
        false,
    );
    // JSON objects are unordered here; the vcov order is D.value, D.capital[, _cons].
    let names_c: Vec<String> = ["D.value", "D.capital", "_cons"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let names_nc: Vec<String> = names_c[..2].to_vec();
    let o = opts(Vce::Cluster, &[CovarianceKind::RobustHc1]);
    let fd = fit(&dfd, Estimator::Fd, &o).expect("fd");
    check_pooled_like(
        &mut ck,
        "with_constant",
        &fd,
        &g["with_constant"],
        &names_c,
        false,
    );
    let fd_nc = fit(
        &dfd,
        Estimator::Fd,
        &FitOptions {
            constant: false,
            ..o.clone()
        },
    )
    .expect("fd nc");
    check_pooled_like(
        &mut ck,
        "noconstant",
        &fd_nc,
        &g["noconstant"],
        &names_nc,
        true,
    );
    ck.int(
        "sample_after_differencing.N",
        fd.sample.n_obs as i64,
        &g["sample_after_differencing"]["N"],
    );
    ck.int(
        "sample_after_differencing.n_groups",
        fd.sample.n_groups as i64,
        &g["sample_after_differencing"]["n_groups"],
    );
    // plm vcovHC default = our cluster meat without the small-sample factor (order value, capital, cons).
    let cl = cov(&fd, CovarianceKind::Cluster);
    let gm = &g["cluster_vcov_without_small_sample_factor_order_value_capital_cons"];
    let s = scale_of(gm);
    let idx = index_map(&fd, &names_c);
    for r in 0..3 {
        for c in 0..3 {
            let ours = cl.vcov[[idx[r], idx[c]]] / cl.factor.unwrap_or(f64::NAN);
            ck.num(
                &format!("cluster_vcov_without_factor[{r},{c}]"),
                ours,
                &gm[r][c],
                s,
            );
        }
    }
    checkers.push(ck);
    finish(checkers);
}

#[test]
fn golden_grunfeld199_unbalanced() {
    let Some(dir) = golden_dir() else { return };
    let csv = Csv::read(&dir.join("grunfeld10.csv")).truncated(199);
    let data = panel_data(&csv, "firm", "year", &GRUNFELD_VARS, false);
    let xs = ["value", "capital"];
    let d = design(&data, "invest", &xs, None, DesignTransform::Levels, false);
    let g = load_json(&dir, "grunfeld199_fe_oneway.json");
    let mut ck = Checker::new("grunfeld199_fe_oneway.json");
    let fe = fit(&d, Estimator::Fe, &fe_options()).expect("fe");
    check_fe(&mut ck, &fe, &g);
    let mut checkers = vec![ck];
    checkers.push(run_re(&dir, "grunfeld199_re.json", &data, "invest", &xs));
    let re = fit(&d, Estimator::Re, &FitOptions::default()).expect("re");
    checkers.push(run_hausman(&dir, "grunfeld199_hausman.json", &fe, &re));
    finish(checkers);
}

#[test]
fn golden_jobtraining_with_singletons() {
    let Some(dir) = golden_dir() else { return };
    let csv = Csv::read(&dir.join("jobtraining_hrsemp.csv"));
    let mut vars = vec!["hrsemp"];
    vars.extend(JT_X);
    let data = panel_data(&csv, "fcode", "year", &vars, false);
    let mut checkers = vec![run_pooled(
        &dir,
        "jobtraining_pooled.json",
        &data,
        "hrsemp",
        &JT_X,
        "fcode",
    )];
    let d = design(&data, "hrsemp", &JT_X, None, DesignTransform::Levels, false);
    let g = load_json(&dir, "jobtraining_fe_oneway.json");
    let mut ck = Checker::new("jobtraining_fe_oneway.json");
    let fe = fit(&d, Estimator::Fe, &fe_options()).expect("fe");
    check_fe(&mut ck, &fe, &g);
    // reghdfe-style: singletons dropped.
    let dn = design(&data, "hrsemp", &JT_X, None, DesignTransform::Levels, true);
    let fen = fit(&dn, Estimator::Fe, &opts(Vce::Robust, &[])).expect("fe no singletons");
    let blk = &g["singletons_dropped_reghdfe_style"];
    ck.int("singletons_dropped.N", fen.sample.n_obs as i64, &blk["N"]);
    ck.int(
        "singletons_dropped.n_groups",
        fen.sample.n_groups as i64,
        &blk["n_groups"],
    );
    ck.int("singletons_dropped.df_r", fen.fit.df_r, &blk["df_r"]);
    ck.int(
        "singletons_dropped.groups_dropped",
        fen.sample.singleton_groups_dropped as i64,
        &Value::from(4),
    );
    check_coef(&mut ck, "singletons_dropped", &fen, &blk["coef"]);
    let conv = cov(&fen, CovarianceKind::Conventional);
    let clp = cov(&fen, CovarianceKind::ClusterPanel);
    for n in golden_names(&blk["se_conventional"]) {
        let i = fen.index_of(&n).unwrap_or(usize::MAX);
        ck.num(
            &format!("singletons_dropped.se_conventional.{n}"),
            conv.std_error[i],
            &blk["se_conventional"][&n],
            0.0,
        );
        ck.num(
            &format!("singletons_dropped.se_cluster_panel.{n}"),
            clp.std_error[i],
            &blk["se_cluster_panel"][&n],
            0.0,
        );
    }
    ck.opt(
        "singletons_dropped.cluster_factor",
        clp.factor,
        &blk["cluster_factor"],
        0.0,
    );
    checkers.push(ck);
    checkers.push(run_re(&dir, "jobtraining_re.json", &data, "hrsemp", &JT_X));
    let re = fit(&d, Estimator::Re, &FitOptions::default()).expect("re");
    checkers.push(run_hausman(&dir, "jobtraining_hausman.json", &fe, &re));
    finish(checkers);
}

fn synthetic_data(dir: &Path) -> (Csv, PanelData) {
    let csv = Csv::read(&dir.join("synthetic_country_panel.csv"));
    let data = panel_data(
        &csv,
        "country",
        "year",
        &["gdp_growth", "invest_share", "trade_open", "landlocked"],
        false,
    );
    (csv, data)
}

#[test]
fn calendar_lag_matches_reference_column() {
    let Some(dir) = golden_dir() else { return };
    let (csv, data) = synthetic_data(&dir);
    // Lag computed by our operator code from the raw column vs the reference Stata L. column:
    // fit a design whose regressor is L.invest_share with no deletion other than the lag itself.
    let expected = csv.col("L_invest_share_expected");
    let ids = csv.int_col("country");
    let years = csv.int_col("year");
    let d = design(
        &data,
        "invest_share",
        &["L.invest_share"],
        None,
        DesignTransform::Levels,
        false,
    );
    let mut ours: HashMap<(String, i64), f64> = HashMap::new();
    for i in 0..d.n_obs() {
        ours.insert((d.panel_labels[d.panel[i]].clone(), d.time[i]), d.x[(i, 0)]);
    }
    let mut n_present = 0;
    for r in 0..expected.len() {
        let key = (ids[r].unwrap_or(0).to_string(), years[r].unwrap_or(0));
        match (expected[r], ours.get(&key)) {
            (Some(e), Some(&o)) => {
                assert_eq!(e, o, "L.invest_share at {key:?}");
                n_present += 1;
            }
            (None, None) => {}
            (e, o) => panic!("L.invest_share at {key:?}: expected {e:?}, ours {o:?}"),
        }
    }
    assert_eq!(n_present, 331);
    assert_eq!(d.accounting.rows_missing_values, 37);
}

#[test]
fn golden_synthetic_country_panel() {
    let Some(dir) = golden_dir() else { return };
    let (_csv, data) = synthetic_data(&dir);
    let xs_all = ["invest_share", "L.invest_share", "trade_open", "landlocked"];
    let mut checkers = vec![run_pooled(
        &dir,
        "synthetic_pooled.json",
        &data,
        "gdp_growth",
        &xs_all,
        "country",
    )];
    let d = design(
        &data,
        "gdp_growth",
        &xs_all,
        None,
        DesignTransform::Levels,
        false,
    );
    for (file, est) in [
        ("synthetic_fe_oneway.json", Estimator::Fe),
        ("synthetic_fe_twoway.json", Estimator::Fe2),
    ] {
        let g = load_json(&dir, file);
        let mut ck = Checker::new(file);
        let fe = fit(&d, est, &fe_options()).expect("fe");
        ck.compared += 1;
        let omitted_ok = fe.omitted.len() == 1
            && fe.omitted[0].name == "landlocked"
            && fe.omitted[0].reason == OmissionReason::AbsorbedByPanelEffects;
        if !omitted_ok {
            ck.fail(
                "omitted",
                format!(
                    "expected landlocked absorbed by panel effects, got {:?}",
                    fe.omitted
                ),
            );
        }
        check_fe(&mut ck, &fe, &g);
        checkers.push(ck);
    }
    checkers.push(run_re(
        &dir,
        "synthetic_re.json",
        &data,
        "gdp_growth",
        &xs_all,
    ));
    let fe = fit(&d, Estimator::Fe, &FitOptions::default()).expect("fe");
    let re = fit(&d, Estimator::Re, &FitOptions::default()).expect("re");
    checkers.push(run_hausman(&dir, "synthetic_hausman.json", &fe, &re));
    finish(checkers);
}

/// Acceptance: `--panel firm --time year --dep invest --x value,capital --estimator fe` on
/// grunfeld10.csv prints value .1101238 with SE .0118567 (Stata's printed digits).
#[test]
fn quick_fe_on_grunfeld_prints_stata_digits() {
    let Some(dir) = golden_dir() else { return };
    let csv = Csv::read(&dir.join("grunfeld10.csv"));
    let data = panel_data(&csv, "firm", "year", &GRUNFELD_VARS, false);
    let req = gvc::estimate::QuickRequest::new("invest", "value,capital", Estimator::Fe);
    let out = gvc::estimate::run_quick(&data, &req).expect("quick fe");
    let json = out.json();
    let value = json
        .coefficients
        .iter()
        .find(|c| c.name == "value")
        .expect("value row");
    assert_eq!(format!("{:.7}", value.estimate), "0.1101238");
    assert_eq!(
        format!("{:.7}", value.std_error.unwrap_or(f64::NAN)),
        "0.0118567"
    );
    let table = out.table();
    assert!(
        table.contains(".1101238") && table.contains(".0118567"),
        "{table}"
    );
    assert!(
        table.contains("F test that all u_i=0: F(9, 188) = 49.18"),
        "{table}"
    );
    println!("{table}");
    let text = serde_json::to_string(&json).expect("json");
    for key in [
        "\"estimator\":\"fe\"",
        "\"vce\":\"conventional\"",
        "\"n_obs\":200",
        "\"n_groups\":10",
        "\"f_u_i\"",
        "\"r2_within\"",
    ] {
        assert!(text.contains(key), "{key} missing in {text}");
    }
}
