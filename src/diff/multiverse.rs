//! The multiverse part of `gvc diff`: each summary statistic of each model and key regressor
//! (from `multiverse/summary.json`), old against new, and the universes present in both runs
//! (by name) whose estimate changed sign or crossed the 5 % significance line (from
//! `multiverse/estimates.csv`).

use std::collections::BTreeMap;

use serde::Serialize;

/// One run's multiverse: its summaries and its key estimates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MultiverseRun {
    /// `summary.json`: a list of `{model, variable, summary}`.
    pub summary: serde_json::Value,
    /// (universe, model, variable) → (estimate, p-value).
    pub estimates: BTreeMap<(String, String, String), (f64, f64)>,
}

impl MultiverseRun {
    /// Reads `estimates.csv` text (its `universe`, `model`, `variable`, `estimate`, `p_value`
    /// columns) beside a parsed `summary.json`.
    pub fn from_files(summary: serde_json::Value, csv_text: &str) -> Result<Self, csv::Error> {
        let mut r = csv::Reader::from_reader(csv_text.as_bytes());
        let headers = r.headers()?.clone();
        let at = |name: &str| headers.iter().position(|h| h == name);
        let cols = [
            at("universe"),
            at("model"),
            at("variable"),
            at("estimate"),
            at("p_value"),
        ];
        let mut estimates = BTreeMap::new();
        for rec in r.records() {
            let rec = rec?;
            let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("");
            let num = |i: Option<usize>| get(i).parse::<f64>().unwrap_or(f64::NAN);
            estimates.insert(
                (
                    get(cols[0]).to_string(),
                    get(cols[1]).to_string(),
                    get(cols[2]).to_string(),
                ),
                (num(cols[3]), num(cols[4])),
            );
        }
        Ok(MultiverseRun { summary, estimates })
    }
}

/// One summary statistic that changed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SummaryChange {
    pub model: String,
    pub variable: String,
    pub statistic: String,
    pub old: Option<f64>,
    pub new: Option<f64>,
}

/// A universe whose estimate changed sign or significance (5 %).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UniverseFlip {
    pub universe: String,
    pub model: String,
    pub variable: String,
    pub old_estimate: f64,
    pub new_estimate: f64,
    pub old_p: f64,
    pub new_p: f64,
    pub sign_flip: bool,
    pub significance_changed: bool,
}

/// The multiverse difference.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct MultiverseDiff {
    /// Every statistic of every curve in either run (unchanged ones included, so the table
    /// can be read whole), with whether it changed.
    pub summaries: Vec<SummaryChange>,
    pub changed_statistics: usize,
    pub flips: Vec<UniverseFlip>,
    /// Universes of one run only.
    pub only_old: usize,
    pub only_new: usize,
}

/// The summary statistics compared, in table order.
const STATISTICS: &[(&str, &str)] = &[
    ("n_universes", "universes"),
    ("share_positive", "share positive"),
    ("share_negative", "share negative"),
    ("share_significant", "share significant"),
    ("median", "median"),
    ("q25", "P25"),
    ("q75", "P75"),
    ("joint.p_median", "p (median)"),
    ("joint.p_share_significant", "p (significant)"),
    ("joint.average_z", "average Z"),
    ("joint.p_average_z", "p (average Z)"),
];

fn stat(summary: &serde_json::Value, path: &str) -> Option<f64> {
    let mut v = summary;
    for part in path.split('.') {
        v = v.get(part)?;
    }
    v.as_f64()
}

fn curves(run: &MultiverseRun) -> BTreeMap<(String, String), &serde_json::Value> {
    run.summary
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some((
                (
                    c["model"].as_str()?.to_string(),
                    c["variable"].as_str()?.to_string(),
                ),
                &c["summary"],
            ))
        })
        .collect()
}

/// Compares two runs' multiverses; numbers closer than `tol` count as equal.
pub fn diff(old: &MultiverseRun, new: &MultiverseRun, tol: f64) -> MultiverseDiff {
    let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(x), Some(y)) => (x - y).abs() <= tol * x.abs().max(y.abs()).max(1.0),
        (None, None) => true,
        _ => false,
    };
    let (co, cn) = (curves(old), curves(new));
    let mut keys: Vec<&(String, String)> = co.keys().chain(cn.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut d = MultiverseDiff::default();
    for k in keys {
        for (path, name) in STATISTICS {
            let o = co.get(k).and_then(|s| stat(s, path));
            let n = cn.get(k).and_then(|s| stat(s, path));
            if !close(o, n) {
                d.changed_statistics += 1;
            }
            d.summaries.push(SummaryChange {
                model: k.0.clone(),
                variable: k.1.clone(),
                statistic: name.to_string(),
                old: o,
                new: n,
            });
        }
    }
    for (key, &(oe, op)) in &old.estimates {
        let Some(&(ne, np)) = new.estimates.get(key) else {
            d.only_old += 1;
            continue;
        };
        let sign_flip = oe.is_finite() && ne.is_finite() && oe.signum() != ne.signum();
        let significance_changed = (op < 0.05) != (np < 0.05);
        if sign_flip || significance_changed {
            d.flips.push(UniverseFlip {
                universe: key.0.clone(),
                model: key.1.clone(),
                variable: key.2.clone(),
                old_estimate: oe,
                new_estimate: ne,
                old_p: op,
                new_p: np,
                sign_flip,
                significance_changed,
            });
        }
    }
    d.only_new = new
        .estimates
        .keys()
        .filter(|k| !old.estimates.contains_key(*k))
        .count();
    d
}

impl MultiverseDiff {
    /// Whether the two multiverses agree (within the tolerance, same universes, no flips).
    pub fn identical(&self) -> bool {
        self.changed_statistics == 0 && self.flips.is_empty() && self.only_old + self.only_new == 0
    }

    /// The difference as text (`table_row` formats one row of cells).
    pub fn render(
        &self,
        heading: &dyn Fn(&str) -> String,
        row: &dyn Fn(&[String]) -> String,
    ) -> String {
        let num = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{v:.6}"));
        let mut s = heading("Multiverse summary");
        s.push_str(&row(&[
            "model".into(),
            "variable".into(),
            "statistic".into(),
            "old".into(),
            "new".into(),
        ]));
        for c in &self.summaries {
            s.push_str(&row(&[
                c.model.clone(),
                c.variable.clone(),
                c.statistic.clone(),
                num(c.old),
                num(c.new),
            ]));
        }
        s.push_str(&heading(&format!(
            "Universes whose sign or significance (5 %) changed: {}",
            self.flips.len()
        )));
        if self.only_old + self.only_new > 0 {
            s.push_str(&format!(
                "{} estimates only in the old run, {} only in the new\n",
                self.only_old, self.only_new
            ));
        }
        if !self.flips.is_empty() {
            s.push_str(&row(&[
                "universe".into(),
                "model".into(),
                "variable".into(),
                "old (p)".into(),
                "new (p)".into(),
                "change".into(),
            ]));
        }
        for f in &self.flips {
            let what = match (f.sign_flip, f.significance_changed) {
                (true, true) => "sign, significance",
                (true, false) => "sign",
                _ => "significance",
            };
            s.push_str(&row(&[
                f.universe.clone(),
                f.model.clone(),
                f.variable.clone(),
                format!("{:.6} ({:.3})", f.old_estimate, f.old_p),
                format!("{:.6} ({:.3})", f.new_estimate, f.new_p),
                what.into(),
            ]));
        }
        s
    }
}

impl MultiverseDiff {
    /// The difference as LaTeX (booktabs; the universes that flipped in a `longtable`, which
    /// may run over pages): the summary statistics old against new, then the flips.
    pub fn to_latex(&self) -> String {
        let esc = crate::report::escape::escape_latex;
        let num = |x: Option<f64>| x.map_or("--".to_string(), |v| format!("{v:.6}"));
        let mut s = String::from(
            "\\begin{table}[htbp]\\centering\\small\n\\caption{Multiverse: summary statistics}\n\\begin{tabular}{lllrr}\n\\toprule\nModel & Variable & Statistic & Old & New \\\\\n\\midrule\n",
        );
        for c in &self.summaries {
            s.push_str(&format!(
                "{} & {} & {} & {} & {} \\\\\n",
                esc(&c.model),
                esc(&c.variable),
                esc(&c.statistic),
                num(c.old),
                num(c.new)
            ));
        }
        if self.summaries.is_empty() {
            s.push_str("\\multicolumn{5}{c}{No summary statistics} \\\\\n");
        }
        s.push_str("\\bottomrule\n\\end{tabular}\n\\end{table}\n");
        let mut caption = format!(
            "Multiverse: universes whose sign or significance (5\\,\\%) changed: {}",
            self.flips.len()
        );
        if self.only_old + self.only_new > 0 {
            caption.push_str(&format!(
                " ({} estimates only in the old run, {} only in the new)",
                self.only_old, self.only_new
            ));
        }
        s.push_str(&format!(
            "% \\usepackage{{longtable}}\n\\begin{{longtable}}{{lllrrl}}\n\\caption{{{caption}}}\\\\\n\\toprule\nUniverse & Model & Variable & Old (p) & New (p) & Change \\\\\n\\midrule\n\\endhead\n"
        ));
        for f in &self.flips {
            let what = match (f.sign_flip, f.significance_changed) {
                (true, true) => "sign, significance",
                (true, false) => "sign",
                _ => "significance",
            };
            s.push_str(&format!(
                "{} & {} & {} & {:.6} ({:.3}) & {:.6} ({:.3}) & {} \\\\\n",
                esc(&f.universe),
                esc(&f.model),
                esc(&f.variable),
                f.old_estimate,
                f.old_p,
                f.new_estimate,
                f.new_p,
                what
            ));
        }
        if self.flips.is_empty() {
            s.push_str("\\multicolumn{6}{c}{None} \\\\\n");
        }
        s.push_str("\\bottomrule\n\\end{longtable}\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flips_and_summary_changes() {
        let summary = |median: f64| serde_json::json!([{ "model": "m", "variable": "x", "summary": { "n_universes": 2, "median": median } }]);
        let csv_old = "universe,model,variable,estimate,p_value\nu1,m,x,1.0,0.01\nu2,m,x,0.5,0.2\n";
        let csv_new =
            "universe,model,variable,estimate,p_value\nu1,m,x,-1.0,0.01\nu2,m,x,0.5,0.01\n";
        let old = MultiverseRun::from_files(summary(0.75), csv_old).unwrap();
        let new = MultiverseRun::from_files(summary(-0.25), csv_new).unwrap();
        let d = diff(&old, &new, 1e-9);
        assert_eq!(d.changed_statistics, 1);
        assert_eq!(d.flips.len(), 2);
        assert!(d.flips[0].sign_flip && !d.flips[0].significance_changed);
        assert!(!d.flips[1].sign_flip && d.flips[1].significance_changed);
        assert!(!d.identical());
        assert!(diff(&old, &old, 1e-9).identical());
        let tex = d.to_latex();
        assert!(
            tex.contains("m & x & median & 0.750000 & -0.250000 \\\\"),
            "{tex}"
        );
        assert!(
            tex.contains("u1 & m & x & 1.000000 (0.010) & -1.000000 (0.010) & sign \\\\"),
            "{tex}"
        );
        assert!(tex.contains("changed: 2}"), "{tex}");
    }
}
