//! Display text of table rows and headers: a small rich-text type whose generated parts (Δ,
//! t−1, χ²) have a form per target, and the labels of regression terms with Stata
//! time-series operators (`L.tariff` → "Tariff (t−1)", `D.x` → "Δ x", `2009.year` →
//! "Year = 2009").

use std::collections::BTreeMap;

use crate::estimate::operators::parse_operators;

/// Which form of generated text a format shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// Unicode (`Δ`, `t−1`, `χ²`): Markdown, SVG.
    Unicode,
    /// LaTeX commands (`$\Delta$`, `$t-1$`, `$\chi^2$`).
    Latex,
    /// The Unicode form as plain text (Markdown's backslash escapes undone), escaped by the
    /// format like user text: HTML.
    Plain,
}

/// A piece of display text.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    /// User text, escaped per target.
    Plain(String),
    /// Generated text with a ready form per target (`unicode` for Markdown and SVG).
    Styled { unicode: String, latex: String },
}

/// Display text made of user text and generated, per-target formatted pieces.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Text(Vec<Segment>);

impl Text {
    /// User text.
    pub fn plain(s: impl Into<String>) -> Self {
        Text(vec![Segment::Plain(s.into())])
    }

    /// Generated text with its Unicode (Markdown, SVG) and LaTeX forms.
    pub fn styled(unicode: impl Into<String>, latex: impl Into<String>) -> Self {
        Text(vec![Segment::Styled {
            unicode: unicode.into(),
            latex: latex.into(),
        }])
    }

    /// Append user text.
    pub fn push(mut self, s: impl Into<String>) -> Self {
        self.0.push(Segment::Plain(s.into()));
        self
    }

    /// Append generated text.
    pub fn push_styled(mut self, unicode: impl Into<String>, latex: impl Into<String>) -> Self {
        self.0.push(Segment::Styled {
            unicode: unicode.into(),
            latex: latex.into(),
        });
        self
    }

    /// Append another text.
    pub fn append(mut self, other: Text) -> Self {
        self.0.extend(other.0);
        self
    }

    /// True when there is no visible text.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|s| match s {
            Segment::Plain(p) => p.is_empty(),
            Segment::Styled { unicode, .. } => unicode.is_empty(),
        })
    }

    /// The text for a format: user text through the format's `escape`, generated text in the
    /// format's `form`.
    pub fn render(&self, escape: fn(&str) -> String, form: Form) -> String {
        self.0
            .iter()
            .map(|s| match (s, form) {
                (Segment::Plain(p), _) => escape(p),
                (Segment::Styled { unicode, .. }, Form::Unicode) => unicode.clone(),
                (Segment::Styled { latex, .. }, Form::Latex) => latex.clone(),
                (Segment::Styled { unicode, .. }, Form::Plain) => {
                    escape(&unescape_markdown(unicode))
                }
            })
            .collect()
    }

    /// The text as Unicode, unescaped (for SVG, which escapes XML itself).
    pub fn raw(&self) -> String {
        self.0
            .iter()
            .map(|s| match s {
                Segment::Plain(p) => p.as_str(),
                Segment::Styled { unicode, .. } => unicode.as_str(),
            })
            .collect()
    }
}

/// Markdown source as plain text: a backslash before ASCII punctuation (CommonMark's
/// escapes, e.g. `\*` in the star legend) is dropped.
fn unescape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(char::is_ascii_punctuation) {
            continue;
        }
        out.push(c);
    }
    out
}

/// Label of a variable or measure: its entry in `labels`, else the name itself.
pub(crate) fn variable_label(name: &str, labels: &BTreeMap<String, String>) -> Text {
    Text::plain(
        labels
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_string()),
    )
}

/// Label of an identifier variable used in prose and row names ("Country" for `country`):
/// its label, else the name with an upper-case first letter.
pub(crate) fn id_label(name: &str, labels: &BTreeMap<String, String>) -> String {
    labels
        .get(name)
        .cloned()
        .unwrap_or_else(|| capitalize(name))
}

/// First letter upper-case.
pub(crate) fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// First letter lower-case unless the first word is an acronym ("Country" → "country",
/// "ISO code" stays).
pub(crate) fn decapitalize(s: &str) -> String {
    let first_word = s.split_whitespace().next().unwrap_or("");
    let acronym = first_word.chars().filter(|c| c.is_alphabetic()).count() > 1
        && first_word
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase);
    if acronym {
        return s.to_string();
    }
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// English plural of a lower-case noun phrase's last word (country → countries, firm → firms,
/// industry → industries, box → boxes).
pub(crate) fn plural(s: &str) -> String {
    let vowel_before_y = s.chars().rev().nth(1).is_some_and(|c| "aeiou".contains(c));
    if s.ends_with('y') && !vowel_before_y {
        format!("{}ies", &s[..s.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"].iter().any(|e| s.ends_with(e)) {
        format!("{s}es")
    } else {
        format!("{s}s")
    }
}

fn superscript(n: u32) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    n.to_string()
        .chars()
        .filter_map(|c| c.to_digit(10).map(|d| SUP[d as usize]))
        .collect()
}

fn subscript(n: u32) -> String {
    n.to_string()
        .chars()
        .filter_map(|c| c.to_digit(10).and_then(|d| char::from_u32(0x2080 + d)))
        .collect()
}

/// Label of a regression term (row key): the label of the full term if given, `_cons` →
/// "Constant", a year dummy `2009.year` → "Year = 2009", an operator term → the base
/// variable's label with Δ prefixes and a "(t−k)" / "(t+k)" suffix.
pub(crate) fn term_label(term: &str, time_var: &str, labels: &BTreeMap<String, String>) -> Text {
    if let Some(l) = labels.get(term) {
        return Text::plain(l.clone());
    }
    if term == "_cons" {
        return Text::plain("Constant");
    }
    let Some((prefix, base)) = term.split_once('.') else {
        return Text::plain(term);
    };
    if base == time_var && !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_digit()) {
        return Text::plain(format!("{} = {prefix}", id_label(time_var, labels)));
    }
    let Ok(ops) = parse_operators(prefix) else {
        return Text::plain(term);
    };
    let mut text = Text::default();
    if ops.diffs > 0 {
        let (u, l) = if ops.diffs == 1 {
            ("Δ".to_string(), "$\\Delta$".to_string())
        } else {
            (
                format!("Δ{}", superscript(ops.diffs)),
                format!("$\\Delta^{{{}}}$", ops.diffs),
            )
        };
        text = text.push_styled(u + " ", l + " ");
    }
    for s in &ops.seasonal {
        text = text.push_styled(
            format!("Δ{} ", subscript(*s)),
            format!("$\\Delta_{{{s}}}$ "),
        );
    }
    text = text.append(variable_label(base, labels));
    if ops.shift != 0 {
        let (sign_u, sign_l) = if ops.shift > 0 {
            ("−", "-")
        } else {
            ("+", "+")
        };
        let k = ops.shift.unsigned_abs();
        text = text.push_styled(format!(" (t{sign_u}{k})"), format!(" ($t{sign_l}{k}$)"));
    }
    text
}

/// True when a term is a year dummy of two-way FE (`2009.year`).
pub(crate) fn is_time_dummy(term: &str, time_var: &str) -> bool {
    term.split_once('.').is_some_and(|(prefix, base)| {
        base == time_var && !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::escape::escape_latex;

    fn labels() -> BTreeMap<String, String> {
        [("tariff", "Tariff"), ("rd", "R&D_intensity 100%")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn operator_labels() {
        let l = labels();
        let t = term_label("L.tariff", "year", &l);
        assert_eq!(t.raw(), "Tariff (t−1)");
        assert_eq!(t.render(escape_latex, Form::Latex), "Tariff ($t-1$)");
        assert_eq!(term_label("F2.tariff", "year", &l).raw(), "Tariff (t+2)");
        assert_eq!(term_label("D.rd", "year", &l).raw(), "Δ R&D_intensity 100%");
        assert_eq!(
            term_label("LD.rd", "year", &l).render(escape_latex, Form::Latex),
            "$\\Delta$ R\\&D\\_intensity 100\\% ($t-1$)"
        );
        assert_eq!(term_label("D2.x", "year", &l).raw(), "Δ² x");
        assert_eq!(term_label("S4.x", "year", &l).raw(), "Δ₄ x");
        assert_eq!(term_label("_cons", "year", &l).raw(), "Constant");
        assert_eq!(term_label("2009.year", "year", &l).raw(), "Year = 2009");
        assert_eq!(term_label("odd.name.x", "year", &l).raw(), "odd.name.x");
        assert!(is_time_dummy("2009.year", "year"));
        assert!(!is_time_dummy("L.year", "year"));
        assert_eq!(
            t.render(|s| s.replace('<', "&lt;"), Form::Plain),
            "Tariff (t−1)"
        );
        assert_eq!(unescape_markdown("\\*\\* p < 0.05 \\x"), "** p < 0.05 \\x");
    }

    #[test]
    fn words() {
        assert_eq!(plural("country"), "countries");
        assert_eq!(plural("firm"), "firms");
        assert_eq!(plural("key"), "keys");
        assert_eq!(plural("box"), "boxes");
        assert_eq!(decapitalize("Country"), "country");
        assert_eq!(decapitalize("ISO code"), "ISO code");
        assert_eq!(capitalize("country"), "Country");
    }
}
