//! `gvc estimate`'s text table against its own `--json` on the Grunfeld data (issue #13: the
//! table printed −40.690009 as `-4.69001`). Every line of the table that shows a number is
//! read back, and each number must be the JSON value rounded to the digits printed; a line with
//! a digit that no rule below reads fails the test, so no printed number goes unchecked.

use serde_json::Value;

use crate::common::{gvc, shared_dir};

/// `(estimator, extra flags)` of the runs compared.
const RUNS: &[(&str, &[&str])] = &[
    ("pooled", &[]),
    ("pooled", &["--vce", "cluster"]),
    ("pooled", &["--vce", "robust"]),
    ("fe", &["--hausman"]),
    ("fe", &["--vce", "robust"]),
    ("fe2", &[]),
    ("fe2", &["--vce", "cluster"]),
    ("re", &[]),
    ("re", &["--vce", "cluster"]),
    ("be", &[]),
    ("fd", &[]),
    ("fd", &["--vce", "robust"]),
];

/// Decimals shown by a printed number (of the mantissa when scientific).
fn decimals(text: &str) -> usize {
    let mantissa = text.split('e').next().unwrap_or(text);
    mantissa.split_once('.').map_or(0, |(_, d)| d.len())
}

/// The printed text is the JSON value rounded to the printed digits.
fn check_number(text: &str, value: &Value, what: &str) {
    let Some(v) = value.as_f64() else {
        assert_eq!(
            text, ".",
            "{what}: printed `{text}` but the JSON has {value}"
        );
        return;
    };
    let printed: f64 = text
        .parse()
        .unwrap_or_else(|e| panic!("{what}: `{text}` is not a number: {e}"));
    let d = decimals(text);
    let rounded: f64 = if text.contains('e') {
        format!("{v:.d$e}").parse().expect("rounded")
    } else {
        format!("{v:.d$}").parse().expect("rounded")
    };
    assert_eq!(
        printed, rounded,
        "{what}: printed `{text}`, JSON {v} (rounded to {d} decimals: {rounded})"
    );
}

/// A `%9.0g` number also shows all the digits its width allows (7 significant, or 3 in
/// scientific notation), so a dropped digit cannot hide behind the rounding check.
fn check_g9(text: &str, value: &Value, what: &str) {
    check_number(text, value, what);
    let Some(v) = value.as_f64() else { return };
    let printed: f64 = text.parse().unwrap_or(f64::NAN);
    let last = if let Some((_, e)) = text.split_once('e') {
        e.parse::<i32>().unwrap_or(0) - 2
    } else {
        let int = text.trim_start_matches('-').split('.').next().unwrap_or("");
        let int_digits = if int.is_empty() || int == "0" {
            0
        } else {
            int.len() as i32
        };
        -(7 - int_digits)
    };
    assert!(
        (printed - v).abs() <= 0.5 * 10f64.powi(last) * (1.0 + 1e-9),
        "{what}: `{text}` drops digits of {v}"
    );
}

fn coefficient<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["coefficients"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no coefficient `{name}` in the JSON"))
}

/// Checks one header line (`left` in 48 columns, then `label = value`).
fn check_header(line: &str, json: &Value) -> bool {
    let Some(eq) = line.rfind("= ") else {
        return false;
    };
    if eq < 48 || !line.is_char_boundary(48) {
        return false;
    }
    let (left, right) = line.split_at(48);
    let label = right[..eq - 48].trim();
    let value = line[eq + 2..].trim();
    let fit = &json["fit"];
    let tests = &json["tests"];
    let model = if tests["f_model"].is_null() {
        &tests["wald"]
    } else {
        &tests["f_model"]
    };
    match label {
        "Number of obs" => assert_eq!(value, json["n_obs"].to_string(), "{line}"),
        "Number of groups" => assert_eq!(value, json["n_groups"].to_string(), "{line}"),
        "Obs per group:" => assert_eq!(value, "", "{line}"),
        "min" => assert_eq!(value, json["obs_per_group"]["min"].to_string(), "{line}"),
        "max" => assert_eq!(value, json["obs_per_group"]["max"].to_string(), "{line}"),
        "avg" => check_number(value, &json["obs_per_group"]["avg"], line),
        "R-squared" => check_number(value, &fit["r2"], line),
        "Adj R-squared" => check_number(value, &fit["r2_adj"], line),
        "Root MSE" => check_g9(value, &fit["rmse"], line),
        "F / chi2" => {
            assert_eq!(value, ".", "{line}");
            assert!(model.is_null(), "{line}: the JSON has a model test {model}");
        }
        "Prob > F" | "Prob > chi2" => check_number(value, &model["p_value"], line),
        l if l.starts_with("F(") || l.starts_with("Wald chi2(") => {
            let df = format!("({}", model["df1"]);
            let df = match model["df2"].as_u64() {
                Some(d2) => format!("{df},{d2})"),
                None => format!("{df})"),
            };
            assert!(l.ends_with(&df), "{line}: df of {model}");
            check_number(value, &model["stat"], line);
        }
        other => panic!("unknown header `{other}` in: {line}"),
    }
    check_left(left.trim(), fit, line);
    true
}

/// The left half of a header line: R² within/between/overall, corr(u_i, Xb).
fn check_left(left: &str, fit: &Value, line: &str) {
    if left == "corr(u_i, X) = 0 (assumed)" {
        return;
    }
    if let Some((name, value)) = left.split_once(" = ") {
        let key = match name.trim() {
            "Within" => "r2_within",
            "Between" => "r2_between",
            "Overall" => "r2_overall",
            "corr(u_i, Xb)" => "corr_u_xb",
            other => panic!("unknown left header `{other}` in: {line}"),
        };
        check_number(value.trim(), &fit[key], line);
    } else {
        assert!(
            !left.chars().any(|c| c.is_ascii_digit()),
            "unchecked number in: {line}"
        );
    }
}

/// Checks a coefficient row `name | b se t p lo hi`.
fn check_coefficient_row(name: &str, fields: &[&str], json: &Value, line: &str) {
    let c = coefficient(json, name);
    if fields == ["0", "(omitted)"] {
        assert_eq!(c["omitted"], true, "{line}");
        return;
    }
    assert_eq!(fields.len(), 6, "{line}");
    check_g9(fields[0], &c["estimate"], line);
    check_g9(fields[1], &c["std_error"], line);
    check_number(fields[2], &c["statistic"], line);
    check_number(fields[3], &c["p_value"], line);
    check_g9(fields[4], &c["ci_low"], line);
    check_g9(fields[5], &c["ci_high"], line);
}

/// Checks a Hausman row `name | b B b-B sqrt(diag)`.
fn check_hausman_row(name: &str, fields: &[&str], json: &Value, line: &str) {
    let rows = json["tests"]["hausman"]["coefficients"]
        .as_array()
        .expect("hausman rows");
    let row = rows
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no Hausman row `{name}`: {line}"));
    assert_eq!(fields.len(), 4, "{line}");
    for (text, key) in fields
        .iter()
        .zip(["b_fe", "b_re", "difference", "se_difference"])
    {
        check_g9(text, &row[key], line);
    }
}

/// Checks every line of the table; returns how many numbers were compared.
fn check_table(table: &str, json: &Value) -> usize {
    let mut checked = 0;
    let mut in_hausman = false;
    let fit = &json["fit"];
    for line in table.lines() {
        let has_digit = line.chars().any(|c| c.is_ascii_digit());
        let trimmed = line.trim();
        if trimmed.contains("(b) fe") {
            in_hausman = true;
            continue;
        }
        if let Some((name, rest)) = line.split_once(" | ") {
            let name = name.trim();
            let fields: Vec<&str> = rest.split_whitespace().collect();
            match name {
                "" | "invest" | "D.invest" => {}
                "sigma_u" | "sigma_e" | "rho" | "theta" => {
                    check_number(fields[0], &fit[name], line);
                    checked += 1;
                }
                _ if in_hausman => {
                    check_hausman_row(name, &fields, json, line);
                    checked += 4;
                }
                _ => {
                    check_coefficient_row(name, &fields, json, line);
                    checked += 6;
                }
            }
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("(Std. err. adjusted for ") {
            let g = rest.split_whitespace().next().unwrap_or("");
            assert_eq!(g, json["n_clusters"].to_string(), "{line}");
            checked += 1;
        } else if let Some(rest) = trimmed.strip_prefix("F test that all u_i=0: ") {
            let t = &json["tests"]["f_u_i"];
            let want = format!("F({}, {}) = ", t["df1"], t["df2"]);
            let rest = rest.strip_prefix(&want).unwrap_or_else(|| panic!("{line}"));
            let (stat, p) = rest.split_once("Prob > F = ").expect("p of u_i test");
            check_number(stat.trim(), &t["stat"], line);
            check_number(p.trim(), &t["p_value"], line);
            checked += 2;
        } else if let Some(rest) = trimmed.strip_prefix("chi2(") {
            let h = &json["tests"]["hausman"];
            let (df, chi2) = rest
                .split_once(") = (b-B)'[(V_b-V_B)^(-1)](b-B) = ")
                .expect("chi2");
            assert_eq!(df, h["df"].to_string(), "{line}");
            check_number(chi2.trim(), &h["chi2"], line);
            checked += 1;
        } else if let Some(p) = trimmed.strip_prefix("Prob > chi2 = ") {
            check_number(p, &json["tests"]["hausman"]["p_value"], line);
            checked += 1;
        } else if check_header(line, json) {
            checked += 1;
        } else {
            let stata_text = trimmed.contains("[95% conf. interval]") || trimmed.is_empty();
            assert!(!has_digit || stata_text, "unchecked number in: {line}");
        }
    }
    checked
}

#[test]
fn every_number_of_the_table_is_the_json_number() {
    let Some(shared) = shared_dir("estimate table vs json") else {
        return;
    };
    let data = shared.join("golden/econometrics/grunfeld10.csv");
    let data = data.to_str().expect("utf-8 path");
    let dir = std::env::temp_dir();
    for (estimator, extra) in RUNS {
        let mut args = vec![
            "estimate",
            data,
            "--panel",
            "firm",
            "--time",
            "year",
            "--dep",
            "invest",
            "--x",
            "value,capital",
            "--estimator",
            estimator,
        ];
        args.extend_from_slice(extra);
        let (code, table, err) = gvc(&dir, &args);
        assert_eq!(code, 0, "{args:?}: {err}");
        args.push("--json");
        let (code, json, err) = gvc(&dir, &args);
        assert_eq!(code, 0, "{args:?}: {err}");
        let json: Value = serde_json::from_str(&json).expect("json");
        let checked = check_table(&table, &json);
        let coefficients = json["coefficients"].as_array().map_or(0, Vec::len);
        assert!(
            checked >= 6 * coefficients + 3,
            "{args:?}: only {checked} numbers read from\n{table}"
        );
    }
}

#[test]
fn fe2_year_effects_keep_every_digit() {
    let Some(shared) = shared_dir("estimate fe2 digits") else {
        return;
    };
    let data = shared.join("golden/econometrics/grunfeld10.csv");
    let (code, table, err) = gvc(
        &std::env::temp_dir(),
        &[
            "estimate",
            data.to_str().expect("utf-8 path"),
            "--panel",
            "firm",
            "--time",
            "year",
            "--dep",
            "invest",
            "--x",
            "value,capital",
            "--estimator",
            "fe2",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let row = table
        .lines()
        .find(|l| l.trim_start().starts_with("1937.year"))
        .expect("1937.year row");
    // xtreg invest value capital i.year, fe: 1937.year = −40.69001 (the old table: -4.69001).
    assert_eq!(row.split_whitespace().nth(2), Some("-40.69001"), "{row}");
}
