//! Stata-like text rendering of an [`EstimationResult`] (header, coefficient table, footer), for
//! the quick-regression command. Numbers follow Stata's display formats: %9.0g-like for
//! coefficients, %8.2f for t/z, %5.3f for p-values.

use std::fmt::Write as _;

use super::hausman::HausmanResult;
use super::results::{CovarianceResult, Distribution, EstimationResult, Estimator, TestResult};

/// Format like Stata's %9.0g: at most 7 significant digits (7 decimals below 1), no leading zero,
/// trailing zeros trimmed, scientific notation when it does not fit in 9 characters.
pub fn fmt_g9(x: f64) -> String {
    if !x.is_finite() {
        return ".".to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let mag = x.abs().log10().floor() as i32 + 1;
    if (-4..=7).contains(&mag) {
        let mut decimals = (7 - mag.max(0)).clamp(0, 7) as usize;
        loop {
            let mut s = format!("{x:.decimals$}");
            if s.contains('.') {
                while s.ends_with('0') {
                    s.pop();
                }
                if s.ends_with('.') {
                    s.pop();
                }
            }
            let s = s.replacen("0.", ".", 1);
            let s = if s.starts_with("-0.") {
                s.replacen("-0.", "-.", 1)
            } else {
                s
            };
            if s.len() <= 9 || decimals == 0 {
                return s;
            }
            decimals -= 1;
        }
    }
    format!("{x:.2e}")
}

fn fmt_opt(x: Option<f64>, digits: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        _ => ".".to_string(),
    }
}

fn header_line(out: &mut String, left: &str, right_label: &str, right_value: &str) {
    let _ = writeln!(out, "{left:<48}{right_label:<18}= {right_value:>10}");
}

fn test_line(t: &TestResult) -> (String, String) {
    match t.df2 {
        Some(d2) => (format!("F({},{})", t.df1, d2), format!("{:.2}", t.stat)),
        None => (format!("Wald chi2({})", t.df1), format!("{:.2}", t.stat)),
    }
}

/// Render the estimation result as Stata prints it (using the primary covariance).
pub fn render_table(res: &EstimationResult) -> String {
    let mut out = String::new();
    let cov = res.primary();
    let s = &res.sample;
    let _ = writeln!(out);
    header_line(&mut out, &res.title, "Number of obs", &s.n_obs.to_string());
    if res.estimator != Estimator::Pooled && res.estimator != Estimator::Fd {
        header_line(
            &mut out,
            &format!("Group variable: {}", res.panel_var),
            "Number of groups",
            &s.n_groups.to_string(),
        );
    }
    let _ = writeln!(out);
    let f = &res.fit;
    match res.estimator {
        Estimator::Pooled | Estimator::Fd => {
            if let Some(t) = cov.and_then(|c| c.model_test.as_ref()) {
                let (l, v) = test_line(t);
                header_line(&mut out, "", &l, &v);
                header_line(&mut out, "", "Prob > F", &format!("{:.4}", t.p_value));
            }
            header_line(&mut out, "", "R-squared", &fmt_opt(f.r2, 4));
            header_line(&mut out, "", "Adj R-squared", &fmt_opt(f.r2_adj, 4));
            header_line(&mut out, "", "Root MSE", &fmt_g9(f.rmse));
        }
        _ => {
            header_line(&mut out, "R-squared:", "Obs per group:", "");
            header_line(
                &mut out,
                &format!("     Within  = {}", fmt_opt(f.r2_within, 4)),
                "             min",
                &s.t_min.to_string(),
            );
            header_line(
                &mut out,
                &format!("     Between = {}", fmt_opt(f.r2_between, 4)),
                "             avg",
                &format!("{:.1}", s.t_avg),
            );
            header_line(
                &mut out,
                &format!("     Overall = {}", fmt_opt(f.r2_overall, 4)),
                "             max",
                &s.t_max.to_string(),
            );
            let _ = writeln!(out);
            let corr = match res.estimator {
                Estimator::Fe | Estimator::Fe2 => {
                    format!("corr(u_i, Xb) = {}", fmt_opt(f.corr_u_xb, 4))
                }
                Estimator::Re => "corr(u_i, X) = 0 (assumed)".to_string(),
                _ => String::new(),
            };
            match cov.and_then(|c| c.model_test.as_ref()) {
                Some(t) => {
                    let (l, v) = test_line(t);
                    header_line(&mut out, "", &l, &v);
                    let pl = if t.df2.is_some() {
                        "Prob > F"
                    } else {
                        "Prob > chi2"
                    };
                    header_line(&mut out, &corr, pl, &format!("{:.4}", t.p_value));
                }
                None => header_line(&mut out, &corr, "F / chi2", "."),
            }
        }
    }
    let _ = writeln!(out);
    if let Some(c) = cov {
        if let Some(var) = &c.cluster_var {
            let _ = writeln!(
                out,
                "{:>78}",
                format!(
                    "(Std. err. adjusted for {} clusters in {var})",
                    c.n_clusters.unwrap_or(0)
                )
            );
        }
        coefficient_block(&mut out, res, c);
    }
    footer(&mut out, res);
    for o in &res.omitted {
        let _ = writeln!(out, "{}", super::fit::omission_note(&o.name, o.reason));
    }
    out
}

/// Element i or NaN (results may come from a hand-edited JSON file).
fn at(v: &[f64], i: usize) -> f64 {
    v.get(i).copied().unwrap_or(f64::NAN)
}

fn rule(out: &mut String, joint: char) {
    let _ = writeln!(out, "{}{}{}", "-".repeat(13), joint, "-".repeat(64));
}

fn coefficient_block(out: &mut String, res: &EstimationResult, c: &CovarianceResult) {
    let stat = if c.distribution == Distribution::Normal {
        "z"
    } else {
        "t"
    };
    let se_label = "Std. err.";
    rule(out, '-');
    let dep: String = res.depvar.chars().take(12).collect();
    let _ = writeln!(
        out,
        "{dep:>12} | Coefficient  {se_label}      {stat}    P>|{stat}|     [{:.0}% conf. interval]",
        c.level * 100.0
    );
    rule(out, '+');
    for term in &res.terms {
        let name: String = term.name.chars().take(12).collect();
        match term.index {
            Some(i) => {
                let _ = writeln!(
                    out,
                    "{name:>12} | {:>10}  {:>9} {:>8.2}   {:>5.3}    {:>9}   {:>9}",
                    fmt_g9(at(&res.coefficients, i)),
                    fmt_g9(at(&c.std_error, i)),
                    at(&c.statistic, i),
                    at(&c.p_value, i),
                    fmt_g9(at(&c.ci_low, i)),
                    fmt_g9(at(&c.ci_high, i)),
                );
            }
            None => {
                let _ = writeln!(out, "{name:>12} | {:>10}  (omitted)", "0");
            }
        }
    }
}

fn footer(out: &mut String, res: &EstimationResult) {
    let f = &res.fit;
    match res.estimator {
        Estimator::Fe | Estimator::Fe2 | Estimator::Re => {
            rule(out, '+');
            let _ = writeln!(out, "{:>12} | {:>10}", "sigma_u", fmt_opt(f.sigma_u, 7));
            let _ = writeln!(out, "{:>12} | {:>10}", "sigma_e", fmt_opt(f.sigma_e, 7));
            let _ = writeln!(
                out,
                "{:>12} | {:>10}   (fraction of variance due to u_i)",
                "rho",
                fmt_opt(f.rho, 7)
            );
            if let Some(th) = f.theta {
                let _ = writeln!(out, "{:>12} | {:>10}", "theta", format!("{th:.7}"));
            }
            let _ = writeln!(out, "{}", "-".repeat(78));
            if let (Some(t), true) = (
                &res.tests.u_i_zero,
                res.primary().is_some_and(|c| c.factor.is_none()),
            ) {
                let _ = writeln!(
                    out,
                    "F test that all u_i=0: F({}, {}) = {:.2}{:>25}",
                    t.df1,
                    t.df2.unwrap_or(0),
                    t.stat,
                    format!("Prob > F = {:.4}", t.p_value)
                );
            }
        }
        _ => {
            let _ = writeln!(out, "{}", "-".repeat(78));
        }
    }
}

/// Render a Hausman test as Stata does (χ², df, p, and the chi2<0 note).
pub fn render_hausman(h: &HausmanResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>12} | {:>12} {:>12} {:>12} {:>12}",
        "", "(b) fe", "(B) re", "(b-B)", "sqrt(diag)"
    );
    let _ = writeln!(out, "{}", "-".repeat(70));
    for (i, name) in h.coefficients.iter().enumerate() {
        let name: String = name.chars().take(12).collect();
        let se = h
            .se_difference
            .get(i)
            .copied()
            .flatten()
            .map_or(".".to_string(), fmt_g9);
        let _ = writeln!(
            out,
            "{name:>12} | {:>12} {:>12} {:>12} {:>12}",
            fmt_g9(at(&h.b_consistent, i)),
            fmt_g9(at(&h.b_efficient, i)),
            fmt_g9(at(&h.difference, i)),
            se
        );
    }
    let _ = writeln!(out, "{}", "-".repeat(70));
    let _ = writeln!(
        out,
        "    chi2({}) = (b-B)'[(V_b-V_B)^(-1)](b-B) = {:.2}",
        h.df, h.chi2
    );
    match (h.p_value, &h.note) {
        (_, Some(note)) => {
            let _ = writeln!(out, "    {note}");
        }
        (Some(p), None) => {
            let _ = writeln!(out, "    Prob > chi2 = {p:.4}");
        }
        (None, None) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g9_formats_like_stata() {
        assert_eq!(fmt_g9(0.11012380412071839), ".1101238");
        assert_eq!(fmt_g9(0.01185669421404382), ".0118567");
        assert_eq!(fmt_g9(-58.743939396925), "-58.74394");
        assert_eq!(fmt_g9(12.453691797428396), "12.45369");
        assert_eq!(fmt_g9(-34.17700620572299), "-34.17701");
        assert_eq!(fmt_g9(0.0), "0");
        assert_eq!(fmt_g9(f64::NAN), ".");
    }
}
