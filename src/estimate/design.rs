//! From raw panel columns to an estimation design: Stata time-series operators evaluated by
//! calendar time within panel (a gap means missing), listwise deletion, the duplicate
//! (panel, time) check of `xtset`, and the singleton rule (reference/econometrics.md §1.1–1.2).

use std::collections::{BTreeMap, HashMap};

use ndarray::{Array1, Array2, ArrayRef1, ArrayRef2};
use serde::{Deserialize, Serialize};

use super::error::EstimateError;
use super::operators::parse_operators;
use crate::iot::dense;

/// An identifier column (panel or cluster): integer or string codes; `None` is missing.
#[derive(Debug, Clone, Copy)]
pub enum IdColumn<'a> {
    /// Integer identifiers (e.g. firm numbers).
    Int(&'a [Option<i64>]),
    /// String identifiers (e.g. ISO3 codes).
    Str(&'a [Option<&'a str>]),
}

impl IdColumn<'_> {
    fn len(&self) -> usize {
        match self {
            IdColumn::Int(v) => v.len(),
            IdColumn::Str(v) => v.len(),
        }
    }
}

/// Identifier value; integers sort numerically and before strings, strings lexicographically
/// (Stata sorts panels by the value of the panel variable).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum IdValue {
    Int(i64),
    Str(String),
}

impl IdValue {
    fn label(&self) -> String {
        match self {
            IdValue::Int(v) => v.to_string(),
            IdValue::Str(s) => s.clone(),
        }
    }
}

/// Dense codes (in sorted label order) and labels of an identifier column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodedIds {
    /// Variable name.
    pub name: String,
    /// Code per row (index into `labels`), `None` when missing.
    pub codes: Vec<Option<usize>>,
    /// Labels in sorted order.
    pub labels: Vec<String>,
}

fn code_ids(name: &str, ids: IdColumn<'_>) -> CodedIds {
    let values: Vec<Option<IdValue>> = match ids {
        IdColumn::Int(v) => v.iter().map(|x| x.map(IdValue::Int)).collect(),
        IdColumn::Str(v) => v
            .iter()
            .map(|x| x.map(|s| IdValue::Str(s.to_string())))
            .collect(),
    };
    let mut uniq: Vec<IdValue> = values.iter().flatten().cloned().collect();
    uniq.sort();
    uniq.dedup();
    let index: HashMap<&IdValue, usize> = uniq.iter().enumerate().map(|(i, v)| (v, i)).collect();
    let codes = values
        .iter()
        .map(|v| v.as_ref().and_then(|v| index.get(v).copied()))
        .collect();
    CodedIds {
        name: name.to_string(),
        codes,
        labels: uniq.iter().map(IdValue::label).collect(),
    }
}

/// Raw panel data: a panel identifier, an integer time variable (unit delta, as `xtset`), numeric
/// columns (missing = `None` or NaN) and optional identifier columns for clustering.
#[derive(Debug, Clone)]
pub struct PanelData {
    panel: CodedIds,
    time_var: String,
    time: Vec<Option<i64>>,
    columns: Vec<(String, Vec<Option<f64>>)>,
    id_columns: Vec<CodedIds>,
    row_of: HashMap<(usize, i64), usize>,
}

impl PanelData {
    /// Register the panel and time identifiers. Fails on a length mismatch or on a repeated
    /// (panel, time) pair (Stata `xtset`: "repeated time values within panel"), naming both.
    pub fn new(
        panel_var: &str,
        panel: IdColumn<'_>,
        time_var: &str,
        time: &[Option<i64>],
    ) -> Result<Self, EstimateError> {
        if time.len() != panel.len() {
            return Err(EstimateError::LengthMismatch {
                name: time_var.to_string(),
                expected: panel.len(),
                got: time.len(),
            });
        }
        let panel = code_ids(panel_var, panel);
        let mut row_of = HashMap::with_capacity(time.len());
        for (row, (p, t)) in panel.codes.iter().zip(time).enumerate() {
            if let (Some(p), Some(t)) = (p, t) {
                if let Some(first) = row_of.insert((*p, *t), row) {
                    return Err(EstimateError::DuplicatePanelTime {
                        panel: panel.labels.get(*p).cloned().unwrap_or_default(),
                        time_var: time_var.to_string(),
                        time: *t,
                        first_row: first + 1,
                        second_row: row + 1,
                    });
                }
            }
        }
        Ok(PanelData {
            panel,
            time_var: time_var.to_string(),
            time: time.to_vec(),
            columns: Vec::new(),
            id_columns: Vec::new(),
            row_of,
        })
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.time.len()
    }

    /// Name of the panel variable.
    pub fn panel_var(&self) -> &str {
        &self.panel.name
    }

    /// Name of the time variable.
    pub fn time_var(&self) -> &str {
        &self.time_var
    }

    fn check_new_name(&self, name: &str, len: usize) -> Result<(), EstimateError> {
        if len != self.n_rows() {
            return Err(EstimateError::LengthMismatch {
                name: name.to_string(),
                expected: self.n_rows(),
                got: len,
            });
        }
        let taken = self.columns.iter().any(|(n, _)| n == name)
            || self.id_columns.iter().any(|c| c.name == name)
            || name == self.panel.name
            || name == self.time_var;
        if taken {
            return Err(EstimateError::DuplicateColumn {
                name: name.to_string(),
            });
        }
        Ok(())
    }

    /// Add a numeric column; `None` and non-finite values are missing.
    pub fn add_column(&mut self, name: &str, values: &[Option<f64>]) -> Result<(), EstimateError> {
        self.check_new_name(name, values.len())?;
        let v = values.iter().map(|x| x.filter(|v| v.is_finite())).collect();
        self.columns.push((name.to_string(), v));
        Ok(())
    }

    /// Add a numeric column given as plain f64 (NaN = missing).
    pub fn add_f64_column(&mut self, name: &str, values: &[f64]) -> Result<(), EstimateError> {
        let v: Vec<Option<f64>> = values.iter().map(|&x| Some(x)).collect();
        self.add_column(name, &v)
    }

    /// Add an identifier column usable as a cluster variable.
    pub fn add_id_column(&mut self, name: &str, ids: IdColumn<'_>) -> Result<(), EstimateError> {
        self.check_new_name(name, ids.len())?;
        self.id_columns.push(code_ids(name, ids));
        Ok(())
    }

    fn known_names(&self) -> String {
        let mut names = vec![self.panel.name.clone(), self.time_var.clone()];
        names.extend(self.columns.iter().map(|(n, _)| n.clone()));
        names.extend(self.id_columns.iter().map(|c| c.name.clone()));
        names.join(", ")
    }

    fn column(&self, name: &str) -> Option<&[Option<f64>]> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Values of a base variable (numeric column, or the time variable itself).
    fn base_values(&self, name: &str, expression: &str) -> Result<Vec<Option<f64>>, EstimateError> {
        if let Some(c) = self.column(name) {
            return Ok(c.to_vec());
        }
        if name == self.time_var {
            return Ok(self.time.iter().map(|t| t.map(|v| v as f64)).collect());
        }
        Err(EstimateError::UnknownVariable {
            name: name.to_string(),
            expression: expression.to_string(),
            known: self.known_names(),
        })
    }

    /// Cluster identifiers by name: an id column, the panel or time variable, or a numeric column.
    fn cluster_ids(&self, name: &str) -> Result<CodedIds, EstimateError> {
        if name == self.panel.name {
            return Ok(self.panel.clone());
        }
        if let Some(c) = self.id_columns.iter().find(|c| c.name == name) {
            return Ok(c.clone());
        }
        if name == self.time_var {
            return Ok(code_ids(name, IdColumn::Int(&self.time)));
        }
        if let Some(c) = self.column(name) {
            // Numeric cluster variable: exact values define the groups.
            let ints: Option<Vec<Option<i64>>> = c
                .iter()
                .map(|v| match v {
                    None => Some(None),
                    Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Some(Some(*x as i64)),
                    Some(_) => None,
                })
                .collect();
            if let Some(ints) = ints {
                return Ok(code_ids(name, IdColumn::Int(&ints)));
            }
            let strs: Vec<Option<String>> = c.iter().map(|v| v.map(|x| format!("{x:?}"))).collect();
            let refs: Vec<Option<&str>> = strs.iter().map(|s| s.as_deref()).collect();
            return Ok(code_ids(name, IdColumn::Str(&refs)));
        }
        Err(EstimateError::UnknownVariable {
            name: name.to_string(),
            expression: format!("vce(cluster {name})"),
            known: self.known_names(),
        })
    }
}

/// A parsed variable expression: a base column with a lag polynomial Σ c_j L^j (negative j =
/// leads), from Stata operators L (lag), F (lead), D (difference 1 − L), S (seasonal 1 − L^k).
#[derive(Debug, Clone, PartialEq)]
pub struct VarExpr {
    /// Base column name.
    pub base: String,
    /// Lag → coefficient (the operator polynomial).
    pub poly: BTreeMap<i64, f64>,
    /// Canonical display name, e.g. `L2.x`, `D.x`, `LD.x`.
    pub name: String,
    shift: i64,
    diffs: u32,
    seasonal: Vec<u32>,
}

impl VarExpr {
    /// Parse `x`, `L.x`, `L2.x`, `F.x`, `D.x`, `LD.x`, `D2.x`, `S4.x` (case-insensitive
    /// operators). `known` decides whether a dotted name is a plain column.
    pub fn parse(
        expression: &str,
        is_column: impl Fn(&str) -> bool,
    ) -> Result<Self, EstimateError> {
        let expr = expression.trim();
        let bad = |reason: &str| EstimateError::BadExpression {
            expression: expression.to_string(),
            reason: reason.to_string(),
        };
        if expr.is_empty() {
            return Err(bad("it is empty"));
        }
        if is_column(expr) || !expr.contains('.') {
            return Ok(Self::from_parts(expr, 0, 0, Vec::new()));
        }
        let (ops, base) = expr
            .split_once('.')
            .ok_or_else(|| bad("no variable after the operators"))?;
        if base.is_empty() {
            return Err(bad("no variable name after the operators"));
        }
        if base.contains('.') && !is_column(base) {
            return Err(bad("only one operator prefix is allowed, e.g. L2D.x"));
        }
        let ops = parse_operators(ops).map_err(|reason| bad(&reason))?;
        Ok(Self::from_parts(base, ops.shift, ops.diffs, ops.seasonal))
    }

    fn from_parts(base: &str, shift: i64, diffs: u32, seasonal: Vec<u32>) -> Self {
        let mut poly: BTreeMap<i64, f64> = BTreeMap::new();
        poly.insert(shift, 1.0);
        for _ in 0..diffs {
            poly = multiply(&poly, &[(0, 1.0), (1, -1.0)]);
        }
        for &s in &seasonal {
            poly = multiply(&poly, &[(0, 1.0), (i64::from(s), -1.0)]);
        }
        poly.retain(|_, c| *c != 0.0);
        let mut prefix = String::new();
        let n = |k: u64| if k == 1 { String::new() } else { k.to_string() };
        if shift > 0 {
            prefix += &format!("L{}", n(shift.unsigned_abs()));
        } else if shift < 0 {
            prefix += &format!("F{}", n(shift.unsigned_abs()));
        }
        if diffs > 0 {
            prefix += &format!("D{}", n(u64::from(diffs)));
        }
        for &s in &seasonal {
            prefix += &format!("S{}", n(u64::from(s)));
        }
        let name = if prefix.is_empty() {
            base.to_string()
        } else {
            format!("{prefix}.{base}")
        };
        VarExpr {
            base: base.to_string(),
            poly,
            name,
            shift,
            diffs,
            seasonal,
        }
    }

    /// The same expression with one more difference operator (first-difference designs).
    pub fn differenced(&self) -> Self {
        Self::from_parts(
            &self.base,
            self.shift,
            self.diffs + 1,
            self.seasonal.clone(),
        )
    }

    /// True when the expression uses time-series operators.
    pub fn has_operators(&self) -> bool {
        self.shift != 0 || self.diffs > 0 || !self.seasonal.is_empty()
    }
}

fn multiply(a: &BTreeMap<i64, f64>, b: &[(i64, f64)]) -> BTreeMap<i64, f64> {
    let mut out = BTreeMap::new();
    for (&la, &ca) in a {
        for &(lb, cb) in b {
            *out.entry(la + lb).or_insert(0.0) += ca * cb;
        }
    }
    out
}

/// Levels or first differences (`regress D.y D.x`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DesignTransform {
    /// Variables as given (pooled, fe, fe2, re, be).
    Levels,
    /// Every variable first-differenced by calendar time (fd).
    FirstDifference,
}

/// What to build: dependent variable, regressor expressions (with operators), optional cluster
/// variable, transform and sample rules.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignSpec {
    /// Dependent variable expression.
    pub dependent: String,
    /// Regressor expressions in the user's order (e.g. `["value", "L.capital"]`).
    pub regressors: Vec<String>,
    /// Cluster variable for vce(cluster); `None` = none (vce(robust) in xtreg uses the panel).
    pub cluster: Option<String>,
    /// Levels or first differences.
    pub transform: DesignTransform,
    /// Drop panels with a single observation (reghdfe / pyfixest default); Stata `xtreg` keeps
    /// them (the default here).
    pub drop_singletons: bool,
}

impl DesignSpec {
    /// A levels design with the Stata defaults (no cluster variable, singletons kept).
    pub fn new(dependent: &str, regressors: &[&str]) -> Self {
        DesignSpec {
            dependent: dependent.to_string(),
            regressors: regressors.iter().map(|s| s.to_string()).collect(),
            cluster: None,
            transform: DesignTransform::Levels,
            drop_singletons: false,
        }
    }
}

/// How the estimation sample was obtained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleAccounting {
    /// Rows of the raw data.
    pub rows_in: usize,
    /// Rows without a panel or time identifier.
    pub rows_missing_ids: usize,
    /// Rows dropped because a model variable (after operators) or the cluster id was missing.
    pub rows_missing_values: usize,
    /// Per variable (display name), rows with that variable missing among rows with ids.
    pub missing_by_variable: Vec<(String, usize)>,
    /// Panels with a single observation in the sample (before any singleton dropping).
    pub singleton_groups: usize,
    /// Singleton panels dropped (only with `drop_singletons`).
    pub singleton_groups_dropped: usize,
}

/// Cluster identifiers of the estimation sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterIds {
    /// Cluster variable.
    pub name: String,
    /// Dense cluster code per observation.
    pub codes: Vec<usize>,
    /// Labels of the clusters present.
    pub labels: Vec<String>,
}

/// The estimation design: sample rows sorted by (panel, time), y, X (N×k) and identifiers.
///
/// `y` and `x` are `ndarray` arrays; [`build_design`] stores X column-major (Fortran order),
/// which the estimators read column by column through zero-copy faer views (`fit` takes a
/// column-major copy once of a hand-built X in another layout).
#[derive(Debug, Clone)]
pub struct Design {
    /// Display name of the dependent variable (e.g. `invest`, `D.invest`).
    pub depvar: String,
    /// Display names of the regressors, in the user's order.
    pub regressor_names: Vec<String>,
    /// Dependent variable.
    pub y: Array1<f64>,
    /// Regressors (N×k, column j = `regressor_names[j]`), column-major.
    pub x: Array2<f64>,
    /// Dense panel code per observation (0..n, sorted label order).
    pub panel: Vec<usize>,
    /// Panel labels of the sample (index = code).
    pub panel_labels: Vec<String>,
    /// Time value per observation.
    pub time: Vec<i64>,
    /// Cluster ids when a cluster variable was requested.
    pub cluster: Option<ClusterIds>,
    /// Panel variable name.
    pub panel_var: String,
    /// Time variable name.
    pub time_var: String,
    /// Levels or differences.
    pub transform: DesignTransform,
    /// Sample bookkeeping.
    pub accounting: SampleAccounting,
}

impl Design {
    /// Number of observations.
    pub fn n_obs(&self) -> usize {
        self.y.len()
    }

    /// Number of panels.
    pub fn n_groups(&self) -> usize {
        self.panel_labels.len()
    }

    /// The variable a clustered VCE clusters on, as Stata's command line names it: the
    /// cluster variable, else the panel (`xtreg, vce(robust)` clusters on the panel).
    pub fn cluster_var(&self) -> &str {
        self.cluster
            .as_ref()
            .map_or(self.panel_var.as_str(), |c| c.name.as_str())
    }

    /// Build a design directly from sample arrays (already listwise complete); rows are sorted
    /// by (panel, time) and panel codes made dense. Used by the benchmark and by callers that
    /// construct their own samples. Fails on duplicate (panel, time) pairs or length mismatch.
    #[allow(clippy::too_many_arguments)]
    pub fn from_arrays(
        depvar: &str,
        regressor_names: &[String],
        y: &ArrayRef1<f64>,
        x: &ArrayRef2<f64>,
        panel: &[i64],
        time: &[i64],
        panel_var: &str,
        time_var: &str,
    ) -> Result<Self, EstimateError> {
        let n = y.len();
        for (name, len) in [
            (panel_var, panel.len()),
            (time_var, time.len()),
            ("X", x.nrows()),
        ] {
            if len != n {
                return Err(EstimateError::LengthMismatch {
                    name: name.to_string(),
                    expected: n,
                    got: len,
                });
            }
        }
        if x.ncols() != regressor_names.len() {
            return Err(EstimateError::LengthMismatch {
                name: "regressor names".to_string(),
                expected: x.ncols(),
                got: regressor_names.len(),
            });
        }
        let ids: Vec<Option<i64>> = panel.iter().map(|&p| Some(p)).collect();
        let times: Vec<Option<i64>> = time.iter().map(|&t| Some(t)).collect();
        let mut data = PanelData::new(panel_var, IdColumn::Int(&ids), time_var, &times)?;
        let dep_name = unique_name("__y", &data);
        data.add_f64_column(&dep_name, &y.to_vec())?;
        let mut cols = Vec::with_capacity(x.ncols());
        for j in 0..x.ncols() {
            let name = format!("__x{j}");
            data.add_f64_column(&name, &x.column(j).to_vec())?;
            cols.push(name);
        }
        let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
        let mut d = build_design(&data, &DesignSpec::new(&dep_name, &refs))?;
        d.depvar = depvar.to_string();
        d.regressor_names = regressor_names.to_vec();
        Ok(d)
    }
}

fn unique_name(stem: &str, data: &PanelData) -> String {
    let mut name = stem.to_string();
    while data.column(&name).is_some() || name == data.time_var || name == data.panel.name {
        name.push('_');
    }
    name
}

/// Evaluate a lag polynomial at every row: Σ c_j x(panel, t − j); missing if any needed row is
/// absent (a calendar gap) or missing.
fn evaluate(data: &PanelData, expr: &VarExpr, base: &[Option<f64>]) -> Vec<Option<f64>> {
    let n = data.n_rows();
    let mut out = Vec::with_capacity(n);
    for row in 0..n {
        let (Some(p), Some(t)) = (data.panel.codes[row], data.time[row]) else {
            out.push(None);
            continue;
        };
        let mut acc = 0.0;
        let mut ok = true;
        for (&lag, &c) in &expr.poly {
            let src = if lag == 0 {
                Some(row)
            } else {
                t.checked_sub(lag)
                    .and_then(|s| data.row_of.get(&(p, s)).copied())
            };
            match src.and_then(|r| base.get(r).copied().flatten()) {
                Some(v) => acc += c * v,
                None => {
                    ok = false;
                    break;
                }
            }
        }
        out.push(if ok { Some(acc) } else { None });
    }
    out
}

/// Build the estimation design: evaluate every expression (applying D. once more to all of them
/// for first differences), delete listwise, optionally drop singletons, sort by (panel, time).
pub fn build_design(data: &PanelData, spec: &DesignSpec) -> Result<Design, EstimateError> {
    build_design_with_ids(data, spec, &[]).map(|(d, _)| d)
}

/// [`build_design`] that also requires the identifier columns `extra` (absorbed factors: an id
/// column, the panel or time variable, or an integer-valued numeric column) to be present in
/// every sample row, and returns their codes on the sample rows in the design's row order.
pub fn build_design_with_ids(
    data: &PanelData,
    spec: &DesignSpec,
    extra: &[String],
) -> Result<(Design, Vec<ClusterIds>), EstimateError> {
    let is_col = |s: &str| data.column(s).is_some() || s == data.time_var;
    let mut exprs = Vec::with_capacity(spec.regressors.len() + 1);
    for e in std::iter::once(&spec.dependent).chain(&spec.regressors) {
        let v = VarExpr::parse(e, is_col)?;
        exprs.push(match spec.transform {
            DesignTransform::Levels => v,
            DesignTransform::FirstDifference => v.differenced(),
        });
    }
    if let Some(same) = exprs[1..]
        .iter()
        .find(|e| e.poly == exprs[0].poly && e.base == exprs[0].base)
    {
        return Err(EstimateError::DependentAsRegressor {
            name: same.name.clone(),
        });
    }
    let n_rows = data.n_rows();
    let mut values = Vec::with_capacity(exprs.len());
    for (expr, raw) in exprs
        .iter()
        .zip(std::iter::once(&spec.dependent).chain(&spec.regressors))
    {
        let base = data.base_values(&expr.base, raw)?;
        let v = evaluate(data, expr, &base);
        if n_rows > 0 && v.iter().all(Option::is_none) {
            let context = if expr.has_operators() {
                format!(
                    " after applying the time-series operators of `{}`",
                    expr.name
                )
            } else {
                String::new()
            };
            return Err(EstimateError::AllMissing {
                name: expr.name.clone(),
                rows: n_rows,
                context,
            });
        }
        values.push(v);
    }
    let cluster = match &spec.cluster {
        Some(name) => Some(data.cluster_ids(name)?),
        None => None,
    };
    let extra_ids = extra
        .iter()
        .map(|name| {
            data.cluster_ids(name).map_err(|e| match e {
                EstimateError::UnknownVariable { name, known, .. } => {
                    EstimateError::UnknownVariable {
                        expression: format!("absorb({name})"),
                        name,
                        known,
                    }
                }
                other => other,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let has_ids = |r: usize| data.panel.codes[r].is_some() && data.time[r].is_some();
    let rows_missing_ids = (0..n_rows).filter(|&r| !has_ids(r)).count();
    let missing_by_variable = exprs
        .iter()
        .zip(&values)
        .map(|(e, v)| {
            let m = (0..n_rows)
                .filter(|&r| has_ids(r) && v[r].is_none())
                .count();
            (e.name.clone(), m)
        })
        .collect();
    let mut rows: Vec<usize> = (0..n_rows)
        .filter(|&r| {
            has_ids(r)
                && values.iter().all(|v| v[r].is_some())
                && cluster.as_ref().is_none_or(|c| c.codes[r].is_some())
                && extra_ids.iter().all(|c| c.codes[r].is_some())
        })
        .collect();
    let rows_missing_values = n_rows - rows_missing_ids - rows.len();
    if rows.is_empty() {
        let mut vars: Vec<String> = exprs.iter().map(|e| e.name.clone()).collect();
        if let Some(c) = &spec.cluster {
            vars.push(c.clone());
        }
        vars.extend(extra.iter().cloned());
        return Err(EstimateError::NoObservations {
            variables: vars.join(", "),
        });
    }
    // Sort by (panel code, time): panel codes follow the sorted label order.
    rows.sort_by_key(|&r| (data.panel.codes[r], data.time[r]));
    let mut count: HashMap<usize, usize> = HashMap::new();
    for &r in &rows {
        if let Some(p) = data.panel.codes[r] {
            *count.entry(p).or_insert(0) += 1;
        }
    }
    let singleton_groups = count.values().filter(|&&c| c == 1).count();
    let mut singleton_groups_dropped = 0;
    if spec.drop_singletons {
        rows.retain(|&r| data.panel.codes[r].is_some_and(|p| count.get(&p) != Some(&1)));
        singleton_groups_dropped = singleton_groups;
        if rows.is_empty() {
            return Err(EstimateError::NoObservations {
                variables: "(every panel is a singleton and singletons are dropped)".to_string(),
            });
        }
    }
    // Dense panel codes over the sample.
    let mut panel = Vec::with_capacity(rows.len());
    let mut panel_labels: Vec<String> = Vec::new();
    let mut last: Option<usize> = None;
    for &r in &rows {
        let p = data.panel.codes[r].unwrap_or(usize::MAX);
        if last != Some(p) {
            panel_labels.push(data.panel.labels.get(p).cloned().unwrap_or_default());
            last = Some(p);
        }
        panel.push(panel_labels.len() - 1);
    }
    let n = rows.len();
    let pick = |v: &Vec<Option<f64>>| -> Vec<f64> {
        rows.iter().map(|&r| v[r].unwrap_or(f64::NAN)).collect()
    };
    let y = Array1::from(pick(&values[0]));
    let xcols: Vec<Vec<f64>> = values[1..].iter().map(pick).collect();
    let x = dense::from_fn(n, xcols.len(), |(i, j)| xcols[j][i]);
    let time = rows.iter().map(|&r| data.time[r].unwrap_or(0)).collect();
    let cluster = cluster.map(|c| dense_cluster(&c, &rows));
    let extra_ids = extra_ids.iter().map(|c| dense_cluster(c, &rows)).collect();
    let design = Design {
        depvar: exprs[0].name.clone(),
        regressor_names: exprs[1..].iter().map(|e| e.name.clone()).collect(),
        y,
        x,
        panel,
        panel_labels,
        time,
        cluster,
        panel_var: data.panel.name.clone(),
        time_var: data.time_var.clone(),
        transform: spec.transform,
        accounting: SampleAccounting {
            rows_in: n_rows,
            rows_missing_ids,
            rows_missing_values,
            missing_by_variable,
            singleton_groups,
            singleton_groups_dropped,
        },
    };
    Ok((design, extra_ids))
}

fn dense_cluster(c: &CodedIds, rows: &[usize]) -> ClusterIds {
    let mut map: BTreeMap<usize, usize> = BTreeMap::new();
    for &r in rows {
        if let Some(code) = c.codes[r] {
            let next = map.len();
            map.entry(code).or_insert(next);
        }
    }
    // Re-number in sorted label order.
    let present: Vec<usize> = map.keys().copied().collect();
    let renum: HashMap<usize, usize> = present.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    ClusterIds {
        name: c.name.clone(),
        codes: rows
            .iter()
            .map(|&r| c.codes[r].and_then(|k| renum.get(&k).copied()).unwrap_or(0))
            .collect(),
        labels: present
            .iter()
            .map(|&k| c.labels.get(k).cloned().unwrap_or_default())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> PanelData {
        // Panel 1: 2000..2003; panel 2: 2000, 2002, 2003 (gap in 2001).
        let ids = [
            Some(1),
            Some(1),
            Some(1),
            Some(1),
            Some(2),
            Some(2),
            Some(2),
        ];
        let t = [
            Some(2000),
            Some(2001),
            Some(2002),
            Some(2003),
            Some(2000),
            Some(2002),
            Some(2003),
        ];
        let mut d = PanelData::new("id", IdColumn::Int(&ids), "year", &t).expect("valid ids");
        d.add_f64_column("x", &[1.0, 2.0, 4.0, 8.0, 10.0, 30.0, 60.0])
            .expect("x");
        d
    }

    #[test]
    fn parses_and_names_operators() {
        let col = |s: &str| s == "x";
        let e = VarExpr::parse("l2.x", col).expect("parse");
        assert_eq!(e.name, "L2.x");
        let e = VarExpr::parse("DL.x", col).expect("parse");
        assert_eq!(e.name, "LD.x");
        assert_eq!(e.poly, BTreeMap::from([(1, 1.0), (2, -1.0)]));
        let e = VarExpr::parse("D2.x", col).expect("parse");
        assert_eq!(e.poly, BTreeMap::from([(0, 1.0), (1, -2.0), (2, 1.0)]));
        assert!(matches!(
            VarExpr::parse("Q.x", col),
            Err(EstimateError::BadExpression { .. })
        ));
        assert!(matches!(
            VarExpr::parse("L.", col),
            Err(EstimateError::BadExpression { .. })
        ));
    }

    #[test]
    fn calendar_lags_respect_gaps() {
        let d = data();
        let base = d.base_values("x", "x").expect("x");
        let lag = evaluate(&d, &VarExpr::parse("L.x", |s| s == "x").expect("L"), &base);
        assert_eq!(
            lag,
            vec![
                None,
                Some(1.0),
                Some(2.0),
                Some(4.0),
                None,
                None,
                Some(30.0)
            ]
        );
        let lead = evaluate(&d, &VarExpr::parse("F.x", |s| s == "x").expect("F"), &base);
        assert_eq!(
            lead,
            vec![
                Some(2.0),
                Some(4.0),
                Some(8.0),
                None,
                None,
                Some(60.0),
                None
            ]
        );
        let d2 = evaluate(
            &d,
            &VarExpr::parse("L2.x", |s| s == "x").expect("L2"),
            &base,
        );
        assert_eq!(
            d2,
            vec![None, None, Some(1.0), Some(2.0), None, Some(10.0), None]
        );
        let dd = evaluate(&d, &VarExpr::parse("D.x", |s| s == "x").expect("D"), &base);
        assert_eq!(
            dd,
            vec![
                None,
                Some(1.0),
                Some(2.0),
                Some(4.0),
                None,
                None,
                Some(30.0)
            ]
        );
    }

    #[test]
    fn duplicates_are_reported_with_panel_and_time() {
        let ids = [Some("AUT"), Some("AUT")];
        let t = [Some(2010), Some(2010)];
        let err = PanelData::new("iso", IdColumn::Str(&ids), "year", &t).expect_err("duplicate");
        let msg = err.to_string();
        assert!(msg.contains("AUT") && msg.contains("year = 2010"), "{msg}");
    }
}
