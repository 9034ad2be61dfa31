//! Escaping of free text (labels, country names, notes) for the two target formats, and the
//! fixed-precision number formatting every table and figure uses.
//!
//! Escaping is the chronic complaint against regression-table generators
//! (reference/pipeline-and-tables.md §2.3: texreg #12/#77, statsmodels #2862, fixest #15,
//! estout #20): here every piece of user text is escaped in Rust before a template sees it.

/// Escape text for a GFM table cell or paragraph: `|` (cell separator), `\`, `*`, backquote,
/// `[`, `]`, `_` at a word boundary (an underscore between two alphanumerics is literal in
/// GFM, so `R&D_intensity` stays readable in the source), `<` where it could open an HTML tag
/// or autolink (before a letter, `/`, `!` or `?`) and `>` at the start (a block quote); so
/// Stata's `chi2<0 ==>` stays as written. Newlines become spaces.
pub fn escape_markdown(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '|' | '\\' | '*' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' if chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) =>
            {
                out.push_str("\\<")
            }
            '>' if i == 0 => out.push_str("\\>"),
            '_' => {
                let before = i > 0 && chars[i - 1].is_alphanumeric();
                let after = chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
                if !(before && after) {
                    out.push('\\');
                }
                out.push('_');
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Escape text for LaTeX text mode under pdflatex with the default OT1 encoding and utf8 input:
/// the ten special characters (`& % $ # _ { } ~ ^ \`), `< > |` (which OT1 would typeset as
/// other glyphs), common Unicode symbols (minus, dashes, Greek, ×, ≤, ², quotes) mapped to
/// LaTeX commands, Latin letters with accents (U+00C0–U+017F) passed through for inputenc, and
/// any other non-ASCII character written as `[U+XXXX]` so that the document still compiles.
pub fn escape_latex(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '\\' => out.push_str("\\textbackslash{}"),
            '<' => out.push_str("\\textless{}"),
            '>' => out.push_str("\\textgreater{}"),
            '|' => out.push_str("\\textbar{}"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_ascii() => out.push(c),
            c => match latex_symbol(c) {
                Some(s) => out.push_str(s),
                None if is_inputenc_latin(c) => out.push(c),
                None => out.push_str(&format!("[U+{:04X}]", c as u32)),
            },
        }
    }
    out
}

/// Latin-1 and Latin Extended-A letters that utf8 inputenc typesets in OT1 (accents are built
/// from the base letter), excluding the few that need T1 glyphs.
fn is_inputenc_latin(c: char) -> bool {
    let u = c as u32;
    ((0xC0..=0x17F).contains(&u) || u == 0xA7 || u == 0xB6)
        && !matches!(c, 'Ð' | 'ð' | 'Þ' | 'þ' | 'Đ' | 'đ' | 'Ŋ' | 'ŋ' | '×' | '÷')
}

fn latex_symbol(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2212}' => "$-$",
        '\u{2013}' => "--",
        '\u{2014}' => "---",
        '\u{2018}' => "`",
        '\u{2019}' => "'",
        '\u{201C}' => "``",
        '\u{201D}' => "''",
        '\u{2026}' => "\\ldots{}",
        '\u{00A0}' => "~",
        '\u{00D7}' => "$\\times$",
        '\u{00F7}' => "$\\div$",
        '\u{00B1}' => "$\\pm$",
        '\u{00B0}' => "$^\\circ$",
        '\u{00B2}' => "$^2$",
        '\u{00B3}' => "$^3$",
        '\u{2264}' => "$\\leq$",
        '\u{2265}' => "$\\geq$",
        '\u{2248}' => "$\\approx$",
        '\u{2260}' => "$\\neq$",
        '\u{2192}' => "$\\rightarrow$",
        '\u{0394}' => "$\\Delta$",
        '\u{03B1}' => "$\\alpha$",
        '\u{03B2}' => "$\\beta$",
        '\u{03B3}' => "$\\gamma$",
        '\u{03B4}' => "$\\delta$",
        '\u{03B5}' => "$\\varepsilon$",
        '\u{03B8}' => "$\\theta$",
        '\u{03BB}' => "$\\lambda$",
        '\u{03BC}' => "$\\mu$",
        '\u{03C1}' => "$\\rho$",
        '\u{03C3}' => "$\\sigma$",
        '\u{03C7}' => "$\\chi$",
        '\u{2082}' => "$_2$",
        '\u{2083}' => "$_3$",
        '\u{2084}' => "$_4$",
        '\u{00A3}' => "\\pounds{}",
        '\u{00A7}' => "\\S{}",
        '\u{00B6}' => "\\P{}",
        '\u{00A9}' => "\\copyright{}",
        '\u{00AB}' => "<<",
        '\u{00BB}' => ">>",
        _ => return None,
    })
}

/// `x` with exactly `digits` decimals (round half away from zero as `format!` does for the
/// decimal expansion of the binary value); `-0.000` is written `0.000` only when `x` is exactly
/// zero, so a tiny negative estimate keeps its sign as in esttab. NaN and ±∞ give `None`.
pub fn fixed(x: f64, digits: usize) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    let x = if x == 0.0 { 0.0 } else { x };
    Some(format!("{x:.digits$}"))
}

/// How many decimals a table number shows: `[report] digits = 3` or `digits = "auto"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digits {
    /// Exactly this many decimals for every number (esttab `fmt(3)`).
    Fixed(usize),
    /// esttab's adaptive format `a2` ([`adaptive`]): every number keeps at least two
    /// significant digits, so a standard error of 0.00042 is not printed as 0.000.
    Auto,
}

impl Default for Digits {
    fn default() -> Self {
        Digits::Fixed(3)
    }
}

impl Digits {
    /// The significant digits of [`Digits::Auto`] (esttab `a2`).
    pub const AUTO_SIGNIFICANT: usize = 2;
    /// The most decimals [`Digits::Auto`] prints (numbers smaller than 1e-12 show as zero
    /// rather than switching to scientific notation, which is only used when asked).
    pub const AUTO_MAX_DECIMALS: usize = 12;

    /// `x` formatted with these digits; `None` for NaN and ±∞.
    pub fn format(self, x: f64) -> Option<String> {
        match self {
            Digits::Fixed(d) => fixed(x, d),
            Digits::Auto => adaptive(x, Self::AUTO_SIGNIFICANT),
        }
    }

    /// A coefficient and its standard error. With [`Digits::Auto`] the coefficient shows at
    /// least as many decimals as its standard error (`0.3650 (0.0040)`, not `0.37 (0.0040)`):
    /// an estimate is printed to the precision its standard error gives it, and each keeps
    /// at least two significant digits.
    pub fn estimate(self, coef: f64, se: f64) -> (Option<String>, Option<String>) {
        match self {
            Digits::Fixed(_) => (self.format(coef), self.format(se)),
            Digits::Auto => {
                let sig = Self::AUTO_SIGNIFICANT;
                let d = if se.is_finite() {
                    adaptive_decimals(coef, sig).max(adaptive_decimals(se, sig))
                } else {
                    adaptive_decimals(coef, sig)
                };
                (fixed(coef, d), adaptive(se, sig))
            }
        }
    }
}

impl serde::Serialize for Digits {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Digits::Fixed(d) => s.serialize_u64(*d as u64),
            Digits::Auto => s.serialize_str("auto"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Digits {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Fixed(usize),
            Named(String),
        }
        match Raw::deserialize(d)? {
            Raw::Fixed(n) => Ok(Digits::Fixed(n)),
            Raw::Named(s) if s == "auto" => Ok(Digits::Auto),
            Raw::Named(s) => Err(serde::de::Error::custom(format!(
                "`{s}` is not a number of decimals or \"auto\""
            ))),
        }
    }
}

/// The decimals esttab's adaptive format `a#` gives `x` with `sig` = # (estout.ado,
/// `SignificantDigits`; estout help, "Numerical formats"): an integer gets none; `|x| < 1`
/// gets `sig` significant decimals, counting the zeros after the point as
/// `-trunc(log10|x|)` (0.00042 → 5, 0.042 → 3, 0.42 → 2); `|x| ≥ 1` keeps at least one
/// decimal and `sig + 1` digits in all (12.3 → 1, 1.234 → 2, 1234.56 → 1). Capped at
/// [`Digits::AUTO_MAX_DECIMALS`], and a number that is zero there gets `sig` decimals
/// (`0.00`): esttab switches to scientific notation beyond 9 decimals or 9 integer digits,
/// which a journal table should not do unasked.
pub fn adaptive_decimals(x: f64, sig: usize) -> usize {
    let a = x.abs();
    if a.fract() == 0.0 {
        return 0;
    }
    // Zero at the most decimals shown (a standardised variable's mean, 1e-17): as a zero with
    // `sig` decimals, not twelve of them.
    if a < 0.5 * 10f64.powi(-(Digits::AUTO_MAX_DECIMALS as i32)) {
        return sig;
    }
    let sig = sig as i64;
    let d = if a < 1.0 {
        let zeros = -(a.log10().trunc() as i64);
        (sig + zeros).max(1)
    } else {
        let left = (a.log10() + 1.0).trunc() as i64;
        (sig - left + 1).max(1)
    };
    (d as usize).min(Digits::AUTO_MAX_DECIMALS)
}

/// `x` in esttab's adaptive format `a#` ([`adaptive_decimals`]); `None` for NaN and ±∞.
pub fn adaptive(x: f64, sig: usize) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    fixed(x, adaptive_decimals(x, sig))
}

/// An integer with thousands separators (`12,345`).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A p-value threshold as printed in a legend: at least two decimals (`0.10`, `0.05`,
/// `0.001`), more when the threshold needs them.
pub fn threshold(p: f64) -> String {
    let mut s = format!("{p}");
    if let Some(dot) = s.find('.') {
        while s.len() - dot - 1 < 2 {
            s.push('0');
        }
    }
    s
}

/// Number of characters, used to pad table cells so that the generated source is aligned.
pub fn width(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latex_specials() {
        assert_eq!(
            escape_latex("R&D_intensity 100%"),
            "R\\&D\\_intensity 100\\%"
        );
        assert_eq!(
            escape_latex("a#b$c{d}e~f^g\\h"),
            "a\\#b\\$c\\{d\\}e\\textasciitilde{}f\\textasciicircum{}g\\textbackslash{}h"
        );
        assert_eq!(escape_latex("t−1 ≤ χ²"), "t$-$1 $\\leq$ $\\chi$$^2$");
        assert_eq!(escape_latex("Türkiye"), "Türkiye");
        assert_eq!(escape_latex("漢"), "[U+6F22]");
    }

    #[test]
    fn markdown_specials() {
        assert_eq!(escape_markdown("R&D_intensity 100%"), "R&D_intensity 100%");
        assert_eq!(escape_markdown("a|b"), "a\\|b");
        assert_eq!(escape_markdown("_x_ *y*"), "\\_x\\_ \\*y\\*");
        assert_eq!(escape_markdown("<b>"), "\\<b>");
        assert_eq!(escape_markdown("</i>"), "\\</i>");
        assert_eq!(escape_markdown("chi2<0 ==> x"), "chi2<0 ==> x");
        assert_eq!(escape_markdown("> quote"), "\\> quote");
    }

    #[test]
    fn numbers() {
        assert_eq!(fixed(0.12345, 3).as_deref(), Some("0.123"));
        assert_eq!(fixed(-0.0004, 3).as_deref(), Some("-0.000"));
        assert_eq!(fixed(-0.0, 3).as_deref(), Some("0.000"));
        assert_eq!(fixed(f64::NAN, 3), None);
        assert_eq!(thousands(200), "200");
        assert_eq!(thousands(1234), "1,234");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(threshold(0.1), "0.10");
        assert_eq!(threshold(0.05), "0.05");
        assert_eq!(threshold(0.001), "0.001");
    }

    /// The examples of estout's help ("Numerical formats", a3) and the a2 cases of issue #17.
    #[test]
    fn adaptive_as_esttab() {
        assert_eq!(adaptive(0.00123456, 3).as_deref(), Some("0.00123"));
        assert_eq!(adaptive(1.23456, 3).as_deref(), Some("1.235"));
        assert_eq!(adaptive(12.3456, 3).as_deref(), Some("12.35"));
        assert_eq!(adaptive(1234.56, 3).as_deref(), Some("1234.6"));
        assert_eq!(adaptive(0.00042, 2).as_deref(), Some("0.00042"));
        assert_eq!(adaptive(12.3, 2).as_deref(), Some("12.3"));
        assert_eq!(adaptive(-0.0421, 2).as_deref(), Some("-0.042"));
        assert_eq!(adaptive(0.5, 2).as_deref(), Some("0.50"));
        assert_eq!(adaptive(7.0, 2).as_deref(), Some("7"));
        assert_eq!(adaptive(0.0, 2).as_deref(), Some("0"));
        assert_eq!(adaptive(71128.363, 2).as_deref(), Some("71128.4"));
        assert_eq!(adaptive(1e-15, 2).as_deref(), Some("0.00"));
        assert_eq!(adaptive(-2.4e-17, 2).as_deref(), Some("-0.00"));
        assert_eq!(adaptive(3e-12, 2).as_deref(), Some("0.000000000003"));
        assert_eq!(adaptive(f64::NAN, 2), None);
        assert_eq!(Digits::Auto.format(0.788).as_deref(), Some("0.79"));
        assert_eq!(Digits::Fixed(3).format(0.00042).as_deref(), Some("0.000"));
        let json = serde_json::to_string(&[Digits::Auto, Digits::Fixed(4)]).unwrap();
        assert_eq!(json, r#"["auto",4]"#);
        let back: Vec<Digits> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, vec![Digits::Auto, Digits::Fixed(4)]);
        assert!(serde_json::from_str::<Digits>(r#""sig""#).is_err());
        let pair = |c, s| {
            let (a, b) = Digits::Auto.estimate(c, s);
            (a.unwrap_or_default(), b.unwrap_or_default())
        };
        assert_eq!(pair(0.365, 0.00402), ("0.3650".into(), "0.0040".into()));
        assert_eq!(pair(0.0123, 0.00042), ("0.01230".into(), "0.00042".into()));
        assert_eq!(pair(1234.5678, 12.3), ("1234.6".into(), "12.3".into()));
        assert_eq!(
            pair(-0.000099, 0.00069),
            ("-0.000099".into(), "0.00069".into())
        );
        assert_eq!(
            Digits::Fixed(3).estimate(0.0123, 0.00042),
            (Some("0.012".into()), Some("0.000".into()))
        );
    }
}
