//! The typed, self-describing result of one estimation (persisted as JSON by the engine, read by
//! the report and by `gvc diff`). Non-finite numbers are written as `null` and read back as NaN.
//!
//! The numbers per coefficient are `ndarray` arrays (b and the standard errors as [`Array1`], V
//! as an [`Array2`]), the library's public numeric types; in JSON they stay plain lists (V a
//! list of rows), so the persisted layout does not depend on the array type.

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

/// Panel estimators (Stata commands in reference/econometrics.md §2–7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimator {
    /// Pooled OLS, `regress y x`.
    Pooled,
    /// One-way fixed effects, `xtreg y x, fe` (Stata's constant).
    Fe,
    /// Two-way fixed effects, `xtreg y x i.time, fe` (year dummies, first year base).
    Fe2,
    /// Random effects GLS, `xtreg y x, re` (Swamy–Arora; `sa` variants as options).
    Re,
    /// Between regression, `xtreg y x, be`.
    Be,
    /// First differences, `regress D.y D.x` (calendar differences; constant optional).
    Fd,
    /// Linear regression absorbing high-dimensional fixed effects, `reghdfe y x, absorb(f1 f2)`.
    Hdfe,
    /// Poisson pseudo-maximum likelihood with absorbed fixed effects, `ppmlhdfe y x, absorb(f)`.
    Ppml,
}

impl Estimator {
    /// Short name as used on the command line (`pooled`, `fe`, `fe2`, `re`, `be`, `fd`).
    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    /// Parse a name or alias of the estimator table (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        let key = s.trim().to_ascii_lowercase();
        super::estimators::ESTIMATORS
            .iter()
            .find(|e| e.name == key || e.aliases.contains(&key.as_str()))
            .map(|e| e.estimator)
    }
}

/// The `vce()` option as a Stata user writes it; its meaning depends on the estimator
/// (xtreg: robust = cluster on the panel; regress: robust = HC1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vce {
    /// Conventional (homoskedastic) VCE.
    Conventional,
    /// `vce(robust)`.
    Robust,
    /// `vce(cluster var)` (the design's cluster variable, else the panel variable).
    Cluster,
    /// Driscoll–Kraay (Stata `xtscc`, Hoechle 2007): the lag length is a separate option
    /// (`--vce dk:<lags>`, `dk_lags`), default ⌊4(T/100)^(2/9)⌋.
    #[serde(rename = "dk")]
    DriscollKraay,
}

impl Vce {
    /// Short name (`conventional`, `robust`, `cluster`).
    pub fn as_str(self) -> &'static str {
        match self {
            Vce::Conventional => "conventional",
            Vce::Robust => "robust",
            Vce::Cluster => "cluster",
            Vce::DriscollKraay => "dk",
        }
    }

    /// Parse one of the three names (`conventional`, `robust`, `cluster`, case-insensitive).
    /// Aliases such as `hc1` or `iid` mean something only for some estimators: parse them
    /// with [`Vce::parse_for`].
    pub fn parse(s: &str) -> Option<Self> {
        let key = s.trim().to_ascii_lowercase();
        [
            Vce::Conventional,
            Vce::Robust,
            Vce::Cluster,
            Vce::DriscollKraay,
        ]
        .into_iter()
        .find(|v| v.as_str() == key)
    }
}

/// A concrete covariance estimator with its small-sample convention
/// (reference/econometrics.md §8 table; golden block names in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CovarianceKind {
    /// s²(Z'Z)⁻¹ [`conventional`]; RE: rmse²(X*'X*)⁻¹.
    Conventional,
    /// HC1, factor N/(N−K), t(N−K) — `regress, vce(robust)` [`robust_hc1`].
    RobustHc1,
    /// CR1 on the panel variable, G/(G−1)·(N−1)/(N−K), K = all coefficients incl. the constant
    /// (absorbed panel effects not counted): `xtreg, fe|re vce(robust)` [`cluster_panel`];
    /// also reghdfe / fixest clustering with nested effects.
    ClusterPanel,
    /// CR1 on the design's cluster variable with the same factor [`cluster`]. For fe/fe2/re the
    /// panels must be nested within the clusters (Stata r(498)).
    Cluster,
    /// areg-style CR1 counting the absorbed effects: G/(G−1)·(N−1)/(N−k−n)
    /// [`cluster_areg_style`]; clusters = design cluster variable if any, else the panel.
    ClusterAregStyle,
    /// HC1 counting the absorbed effects: N/(N−k−n), t(N−k−n) — areg/reghdfe `vce(robust)`,
    /// fixest "hetero" [`hc1_areg_style`].
    Hc1AregStyle,
    /// Driscoll–Kraay (xtscc): Bartlett kernel on period sums of scores, factor
    /// T/(T−1)·(N−1)/(N−K), t(T−1); `lags` default ⌊4(T/100)^(2/9)⌋ [`driscoll_kraay`] —
    /// unverified against Stata (econometrics.md §11).
    DriscollKraay {
        /// Bartlett lag length; `None` = the xtscc default.
        lags: Option<u32>,
    },
}

impl CovarianceKind {
    /// Name of the matching block in the golden files / a stable machine name.
    pub fn key(&self) -> &'static str {
        match self {
            CovarianceKind::Conventional => "conventional",
            CovarianceKind::RobustHc1 => "robust_hc1",
            CovarianceKind::ClusterPanel => "cluster_panel",
            CovarianceKind::Cluster => "cluster",
            CovarianceKind::ClusterAregStyle => "cluster_areg_style",
            CovarianceKind::Hc1AregStyle => "hc1_areg_style",
            CovarianceKind::DriscollKraay { .. } => "driscoll_kraay",
        }
    }
}

/// Reference distribution of coefficient tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// Student t with `df` degrees of freedom.
    T,
    /// Standard normal (z), as xtreg re.
    Normal,
}

/// Random-effects variance-component estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ReMethod {
    /// Stata's default: unweighted between SSR and the harmonic mean T̄ (econometrics.md §7.1).
    #[default]
    SwamyArora,
    /// `xtreg, re sa` read as Baltagi–Chang with the T_i-weighted between regression (equals plm
    /// `swar` and linearmodels small_sample; §7.2) — Stata's exact choice is unverified.
    BaltagiChangWeighted,
    /// Baltagi–Chang with the unweighted between regression (§7.2, the other candidate).
    BaltagiChangUnweighted,
}

/// Why a regressor was omitted (Stata: "note: x omitted because of collinearity").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OmissionReason {
    /// Constant over the sample (collinear with the constant).
    CollinearWithConstant,
    /// Constant within every panel: absorbed by the panel fixed effects.
    AbsorbedByPanelEffects,
    /// A linear combination of regressors listed before it (and of the constant / effects).
    CollinearWithEarlier,
    /// A linear combination of the absorbed fixed effects (hdfe, ppml).
    AbsorbedByFixedEffects,
}

/// An omitted regressor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OmittedTerm {
    /// Display name.
    pub name: String,
    /// Why.
    pub reason: OmissionReason,
}

/// One row of the coefficient table in display order (omitted rows included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term {
    /// Display name.
    pub name: String,
    /// Index into `coefficients`; `None` when omitted.
    pub index: Option<usize>,
}

/// Sample description (econometrics.md §1.1–1.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleInfo {
    /// N: observations used.
    pub n_obs: usize,
    /// n: panels in the estimation sample.
    pub n_groups: usize,
    /// Minimum T_i.
    pub t_min: usize,
    /// N/n.
    #[serde(with = "finite_or_null")]
    pub t_avg: f64,
    /// Maximum T_i.
    pub t_max: usize,
    /// Distinct time values in the sample.
    pub n_periods: usize,
    /// All T_i equal.
    pub balanced: bool,
    /// Panels with T_i = 1 in the estimation sample.
    pub n_singleton_groups: usize,
    /// Singleton panels dropped before estimation (reghdfe-style option).
    pub singleton_groups_dropped: usize,
    /// Raw rows.
    pub rows_in: usize,
    /// Raw rows without panel or time id.
    pub rows_missing_ids: usize,
    /// Rows dropped by listwise deletion.
    pub rows_missing_values: usize,
}

/// A test statistic with its distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// "F" or "chi2".
    pub distribution: String,
    /// Statistic.
    #[serde(with = "finite_or_null")]
    pub stat: f64,
    /// Numerator df (χ² df).
    pub df1: u64,
    /// Denominator df (None for χ²).
    pub df2: Option<u64>,
    /// Upper-tail p-value.
    #[serde(with = "finite_or_null")]
    pub p_value: f64,
}

/// One covariance estimate with its inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovarianceResult {
    /// Which estimator and convention.
    pub kind: CovarianceKind,
    /// Human label, e.g. "Robust (clustered on firm)".
    pub label: String,
    /// t or normal.
    pub distribution: Distribution,
    /// t degrees of freedom (None for z).
    pub df: Option<u64>,
    /// Confidence level of the intervals.
    #[serde(with = "finite_or_null")]
    pub level: f64,
    /// Critical value t_{df,(1+level)/2} or z.
    #[serde(with = "finite_or_null")]
    pub critical_value: f64,
    /// Small-sample factor applied to the sandwich (None for conventional).
    pub factor: Option<f64>,
    /// Cluster variable (cluster kinds).
    pub cluster_var: Option<String>,
    /// Number of clusters G.
    pub n_clusters: Option<usize>,
    /// K used in the factor.
    pub k_in_factor: Option<usize>,
    /// Driscoll–Kraay lag length.
    pub lags: Option<u32>,
    /// Driscoll–Kraay number of periods T.
    pub n_periods: Option<usize>,
    /// Covariance matrix in `coef_names` order.
    #[serde(with = "finite_or_null_matrix")]
    pub vcov: Array2<f64>,
    /// Standard errors.
    #[serde(with = "finite_or_null_vec")]
    pub std_error: Array1<f64>,
    /// t or z statistics.
    #[serde(with = "finite_or_null_vec")]
    pub statistic: Array1<f64>,
    /// Two-sided p-values.
    #[serde(with = "finite_or_null_vec")]
    pub p_value: Array1<f64>,
    /// Lower confidence bounds.
    #[serde(with = "finite_or_null_vec")]
    pub ci_low: Array1<f64>,
    /// Upper confidence bounds.
    #[serde(with = "finite_or_null_vec")]
    pub ci_high: Array1<f64>,
    /// Joint test that all slopes (every coefficient but the constant) are zero: F = W/q on
    /// (q, df) for t inference, Wald χ²(q) for z; None when the VCE sub-block is singular.
    pub model_test: Option<TestResult>,
}

/// θ summary (min, 5 %, median, 95 %, max) with Stata's `summarize, detail` percentile rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThetaSummary {
    /// Minimum.
    #[serde(with = "finite_or_null")]
    pub min: f64,
    /// 5th percentile.
    #[serde(with = "finite_or_null")]
    pub p5: f64,
    /// Median.
    #[serde(with = "finite_or_null")]
    pub p50: f64,
    /// 95th percentile.
    #[serde(with = "finite_or_null")]
    pub p95: f64,
    /// Maximum.
    #[serde(with = "finite_or_null")]
    pub max: f64,
}

/// Goodness of fit and the header/footer statistics Stata prints (None = not defined for this
/// estimator or not computable, e.g. a correlation with a constant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FitStats {
    /// Residual sum of squares of the fitted regression (within / GLS-transformed / OLS).
    #[serde(with = "finite_or_null")]
    pub ssr: f64,
    /// Residual variance of the conventional VCE: s² = SSR/df_r (RE: rmse² = SSR*/(N−K)).
    #[serde(with = "finite_or_null")]
    pub residual_variance: f64,
    /// Root MSE = √residual_variance (Stata e(rmse)).
    #[serde(with = "finite_or_null")]
    pub rmse: f64,
    /// Model degrees of freedom (number of tested slopes).
    pub df_m: usize,
    /// Residual degrees of freedom (N−K, N−n−k, n−K).
    pub df_r: i64,
    /// Total sum of squares (pooled/fd/be; centered, uncentered without constant).
    pub tss: Option<f64>,
    /// Model sum of squares TSS − SSR.
    pub mss: Option<f64>,
    /// R² (pooled/fd/be).
    pub r2: Option<f64>,
    /// Adjusted R².
    pub r2_adj: Option<f64>,
    /// R² within: corr²((x_it − x̄_i)'b, y_it − ȳ_i).
    pub r2_within: Option<f64>,
    /// R² between: corr²(x̄_i'b, ȳ_i) over panels.
    pub r2_between: Option<f64>,
    /// R² overall: corr²(x_it'b, y_it).
    pub r2_overall: Option<f64>,
    /// σ_u (FE: sd of u_i over panels; RE: √σ²_u).
    pub sigma_u: Option<f64>,
    /// σ_e (FE: √(SSR/df_r); RE: √σ²_e from the within regression).
    pub sigma_e: Option<f64>,
    /// ρ = σ_u²/(σ_u² + σ_e²).
    pub rho: Option<f64>,
    /// corr(u_i, Xb) over observations (FE).
    pub corr_u_xb: Option<f64>,
    /// θ when the panel is balanced (RE).
    pub theta: Option<f64>,
    /// θ_i summary over observations (RE).
    pub theta_summary_observations: Option<ThetaSummary>,
    /// θ_i summary over panels (RE).
    pub theta_summary_panels: Option<ThetaSummary>,
    /// SSR of pooled OLS on the same sample (FE; feeds the u_i = 0 F test).
    pub ssr_pooled: Option<f64>,
    /// LSDV R² = 1 − SSR/TSS (what areg/reghdfe print).
    pub r2_lsdv: Option<f64>,
    /// LSDV adjusted R².
    pub r2_adj_lsdv: Option<f64>,
    /// Between regression: Σ T_i ê_i² (BE).
    pub ssr_t_weighted: Option<f64>,
}

/// Tests printed with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Tests {
    /// F test that all u_i = 0 (FE, on (n−1, N−n−k)); Stata prints it with the conventional VCE.
    pub u_i_zero: Option<TestResult>,
}

/// Random-effects variance components (econometrics.md §7.1–7.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VarianceComponents {
    /// Estimator used.
    pub method: ReMethod,
    /// σ²_e = SSR_w/(N − n − k_w).
    #[serde(with = "finite_or_null")]
    pub sigma2_e: f64,
    /// σ²_u after truncation at zero.
    #[serde(with = "finite_or_null")]
    pub sigma2_u: f64,
    /// σ²_u before truncation.
    #[serde(with = "finite_or_null")]
    pub sigma2_u_before_truncation: f64,
    /// N − n − k_w.
    pub df_within: i64,
    /// n − K_b.
    pub df_between: i64,
    /// Unweighted between SSR (default method).
    pub ssr_between: Option<f64>,
    /// Harmonic mean of T_i (default method).
    pub tbar_harmonic: Option<f64>,
    /// Σ T_i ê_i² (Baltagi–Chang).
    pub ssr_between_star: Option<f64>,
    /// tr[(Σ T_i z_i z_i')⁻¹ Σ T_i² z_i z_i'] (Baltagi–Chang).
    pub trace: Option<f64>,
}

/// Estimated panel effects u_i = ȳ_i − _cons − x̄_i'b (FE).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelEffects {
    /// Panel labels (sorted order).
    pub labels: Vec<String>,
    /// u_i per panel.
    #[serde(with = "plain_vec")]
    pub u_i: Array1<f64>,
}

/// Everything one estimation produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimationResult {
    /// Schema version of this struct.
    pub format_version: u32,
    /// Estimator.
    pub estimator: Estimator,
    /// Stata's title, e.g. "Fixed-effects (within) regression".
    pub title: String,
    /// Equivalent Stata command.
    pub stata_command: String,
    /// Dependent variable (display name).
    pub depvar: String,
    /// Panel variable.
    pub panel_var: String,
    /// Time variable.
    pub time_var: String,
    /// Requested regressors in order (display names, before omission).
    pub regressors: Vec<String>,
    /// Names of the estimated coefficients in order (year dummies `YYYY.time`, `_cons` last).
    pub coef_names: Vec<String>,
    /// Estimated coefficients.
    #[serde(with = "plain_vec")]
    pub coefficients: Array1<f64>,
    /// Omitted regressors with reasons.
    pub omitted: Vec<OmittedTerm>,
    /// Display order of the table (omitted terms included).
    pub terms: Vec<Term>,
    /// Whether `_cons` is estimated.
    pub has_constant: bool,
    /// Sample.
    pub sample: SampleInfo,
    /// The vce() option asked for.
    pub vce: Vce,
    /// Index of the covariance of `vce` in `covariances`.
    pub primary_covariance: usize,
    /// All covariance variants computed (conventional first).
    pub covariances: Vec<CovarianceResult>,
    /// Fit statistics.
    pub fit: FitStats,
    /// Tests.
    pub tests: Tests,
    /// RE variance components.
    pub variance_components: Option<VarianceComponents>,
    /// FE panel effects.
    pub effects: Option<PanelEffects>,
    /// Absorbed factors, singletons, separation and degrees of freedom (hdfe, ppml).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absorbed: Option<crate::estimate::hdfe::HdfeInfo>,
}

impl EstimationResult {
    /// The covariance selected by `vce`.
    pub fn primary(&self) -> Option<&CovarianceResult> {
        self.covariances.get(self.primary_covariance)
    }

    /// The covariance of a given kind (DK matched regardless of lags).
    pub fn covariance(&self, kind: CovarianceKind) -> Option<&CovarianceResult> {
        self.covariances.iter().find(|c| {
            c.kind == kind || (c.kind.key() == kind.key() && kind.key() == "driscoll_kraay")
        })
    }

    /// Index of a coefficient by name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.coef_names.iter().position(|n| n == name)
    }

    /// Coefficient by name.
    pub fn coef(&self, name: &str) -> Option<f64> {
        self.index_of(name)
            .and_then(|i| self.coefficients.get(i).copied())
    }
}

/// serde: non-finite f64 ↔ null.
pub(crate) mod finite_or_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// serde: a vector as a JSON list of numbers (what a `Vec<f64>` writes: serde_json writes a
/// non-finite entry as `null`, which reads back as NaN, so every vector round-trips).
pub(crate) mod plain_vec {
    use ndarray::Array1;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Array1<f64>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Array1<f64>, D::Error> {
        let v = Vec::<Option<f64>>::deserialize(d)?;
        Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    }
}

/// serde: a vector with non-finite entries ↔ null, as a JSON list.
pub(crate) mod finite_or_null_vec {
    use ndarray::Array1;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Array1<f64>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| x.is_finite().then_some(*x)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Array1<f64>, D::Error> {
        let v = Vec::<Option<f64>>::deserialize(d)?;
        Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    }
}

/// serde: a matrix with non-finite entries ↔ null, as a JSON list of rows.
pub(crate) mod finite_or_null_matrix {
    use ndarray::Array2;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Array2<f64>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.rows().into_iter().map(|row| {
            row.iter()
                .map(|x| x.is_finite().then_some(*x))
                .collect::<Vec<_>>()
        }))
    }

    /// Rows of unequal length are an error naming the row.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Array2<f64>, D::Error> {
        let rows = Vec::<Vec<Option<f64>>>::deserialize(d)?;
        let cols = rows.first().map_or(0, Vec::len);
        if let Some(r) = rows.iter().position(|row| row.len() != cols) {
            return Err(D::Error::custom(format!(
                "matrix row {r} has {} entries, row 0 has {cols}",
                rows[r].len()
            )));
        }
        let flat: Vec<f64> = rows
            .iter()
            .flatten()
            .map(|x| x.unwrap_or(f64::NAN))
            .collect();
        Array2::from_shape_vec((rows.len(), cols), flat).map_err(D::Error::custom)
    }
}

impl crate::choice::Choice for Estimator {
    const WHAT: &'static str = "estimator";
    const ALL: &'static [Self] = &Estimator::ALL;
    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl crate::choice::Choice for Vce {
    const WHAT: &'static str = "vce";
    const ALL: &'static [Self] = &[
        Vce::Conventional,
        Vce::Robust,
        Vce::Cluster,
        Vce::DriscollKraay,
    ];
    fn name(self) -> &'static str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{array, Array1, Array2};
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Numbers {
        #[serde(with = "super::plain_vec")]
        b: Array1<f64>,
        #[serde(with = "super::finite_or_null_vec")]
        se: Array1<f64>,
        #[serde(with = "super::finite_or_null_matrix")]
        v: Array2<f64>,
    }

    #[test]
    fn arrays_are_written_as_plain_json_lists() {
        // The persisted layout of results.json: lists and a list of rows (not ndarray's own
        // {v, dim, data} encoding), non-finite entries as null, and read back unchanged.
        let n = Numbers {
            b: array![0.5, -2.0],
            se: array![0.25, f64::NAN],
            v: array![[1.0, f64::INFINITY], [3.0, 4.0]],
        };
        let text = serde_json::to_string(&n).unwrap();
        assert_eq!(
            text,
            r#"{"b":[0.5,-2.0],"se":[0.25,null],"v":[[1.0,null],[3.0,4.0]]}"#
        );
        let back: Numbers = serde_json::from_str(&text).unwrap();
        assert_eq!(back.b, n.b);
        assert!(back.se[1].is_nan() && back.v[[0, 1]].is_nan());
        assert_eq!(back.v[[1, 0]], 3.0);
        // A column-major matrix is still written row by row.
        let t = Numbers {
            v: n.v.t().to_owned().reversed_axes(),
            ..n
        };
        assert!(serde_json::to_string(&t)
            .unwrap()
            .contains(r#""v":[[1.0,null],[3.0,4.0]]"#));
    }

    /// serde_json writes a non-finite `plain_vec` entry as null; it must read back (as NaN),
    /// or a cached result with a NaN coefficient would look like a damaged artifact.
    #[test]
    fn plain_vectors_with_nan_round_trip() {
        let text = r#"{"b":[0.5,null],"se":[],"v":[]}"#;
        let back: Numbers = serde_json::from_str(text).unwrap();
        assert_eq!(back.b[0], 0.5);
        assert!(back.b[1].is_nan());
        let n = Numbers {
            b: array![f64::NAN],
            se: array![],
            v: Array2::zeros((0, 0)),
        };
        let again: Numbers = serde_json::from_str(&serde_json::to_string(&n).unwrap()).unwrap();
        assert!(again.b[0].is_nan());
    }

    #[test]
    fn ragged_matrix_rows_are_refused_by_row() {
        let err = serde_json::from_str::<Numbers>(r#"{"b":[],"se":[],"v":[[1.0,2.0],[3.0]]}"#)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("matrix row 1 has 1 entries, row 0 has 2"),
            "{err}"
        );
    }
}
