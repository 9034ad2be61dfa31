//! Names that become file names. A model's name names its tables (`tables/<model>.md`,
//! `tables/<model>_<variant>.tex`) and its cache entries, and so does a robustness block's;
//! such a name must be a file name on Linux, macOS and Windows alike.
//!
//! The rule (docs/spec-reference.md, "Names"): 1 to [`MAX_NAME_BYTES`] bytes of the POSIX
//! portable file-name characters (ASCII letters, digits, `_`, `-`, `.`; POSIX.1-2017 §3.282),
//! starting with a letter or digit, not ending with `.`, and not a Windows device name (CON,
//! PRN, AUX, NUL, COM0–COM9, LPT0–LPT9, with or without an extension, in any case). Non-ASCII
//! letters are refused rather than normalised: macOS stores names decomposed (NFD), Windows
//! and Linux keep what they are given, and pdfLaTeX's `\input` does not read them, so the same
//! name would not name the same file everywhere.

/// Longest name, in bytes: `<model>_<variant>.tex` stays far below every file system's
/// 255-byte limit and remains readable in a table caption.
pub const MAX_NAME_BYTES: usize = 64;

/// Windows device names: a file called so (or so plus any extension) opens the device.
const WINDOWS_DEVICES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
    "COM8", "COM9", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Characters Windows refuses in file names (besides control characters and separators).
const WINDOWS_RESERVED: &str = "<>:\"|?*";

/// Why `name` cannot be a file name on every platform, in words ("contains a path
/// separator `/`"), or `None` when it can.
pub fn file_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".into());
    }
    if name.len() > MAX_NAME_BYTES {
        return Some(format!(
            "is {} bytes long; the limit is {MAX_NAME_BYTES}",
            name.len()
        ));
    }
    if name == "." || name == ".." {
        return Some(format!("`{name}` names a folder, not a file"));
    }
    if let Some(c) = name.chars().find(|c| *c == '/' || *c == '\\') {
        return Some(format!("contains the path separator `{c}`"));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Some(format!(
            "contains the control character U+{:04X}",
            u32::from(c)
        ));
    }
    if let Some(c) = name.chars().find(|c| WINDOWS_RESERVED.contains(*c)) {
        return Some(format!(
            "contains `{c}`, which Windows does not allow in file names"
        ));
    }
    if let Some(c) = name.chars().find(|c| !c.is_ascii()) {
        return Some(format!(
            "contains the non-ASCII character `{c}`, which file systems store differently (macOS decomposes it)"
        ));
    }
    if name.contains(' ') {
        return Some("contains a space".into());
    }
    if let Some(c) = name.chars().find(|c| !is_portable(*c)) {
        return Some(format!("contains the character `{c}`"));
    }
    if name.starts_with(['.', '-']) {
        return Some(format!(
            "starts with `{}` (a hidden file, or a command-line option)",
            &name[..1]
        ));
    }
    if name.ends_with('.') {
        return Some("ends with `.`, which Windows drops from file names".into());
    }
    let stem = name.split('.').next().unwrap_or(name);
    if WINDOWS_DEVICES.iter().any(|d| d.eq_ignore_ascii_case(stem)) {
        return Some(format!(
            "is the Windows device name `{}`",
            stem.to_ascii_uppercase()
        ));
    }
    None
}

/// A character of the POSIX portable file-name set: ASCII letters, digits, `.`, `_`, `-`.
fn is_portable(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// A portable name close to `name` (other characters become `_`, leading `.`/`-` and
/// trailing `.` are dropped, cut at [`MAX_NAME_BYTES`]), for the "e.g." of an error; `None`
/// when nothing usable is left.
pub fn portable_suggestion(name: &str) -> Option<String> {
    let mapped: String = name
        .chars()
        .map(|c| if is_portable(c) { c } else { '_' })
        .collect();
    let trimmed = mapped
        .trim_start_matches(['.', '-', '_'])
        .trim_end_matches(['.', '_']);
    let cut: String = trimmed.chars().take(MAX_NAME_BYTES).collect();
    let cut = cut.trim_end_matches(['.', '_']).to_string();
    match file_name_problem(&cut) {
        None => Some(cut),
        Some(_) if !cut.is_empty() => {
            Some(format!("{cut}_")).filter(|s| file_name_problem(s).is_none())
        }
        Some(_) => None,
    }
}

/// The help for a refused name: the rule and, when one exists, a portable name close to it.
pub fn file_name_help(name: &str) -> String {
    let rule = "use 1–64 ASCII letters, digits, `_`, `-` or `.`, starting with a letter or digit (see \"Names\" in docs/spec-reference.md)";
    match portable_suggestion(name) {
        Some(s) if s != name => format!("{rule}, e.g. `{s}`"),
        _ => rule.to_string(),
    }
}

/// The key two names collide under on a case-insensitive file system (macOS, Windows).
pub fn fold_case(name: &str) -> String {
    name.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_names_pass() {
        for ok in [
            "position",
            "m1",
            "excl-2009",
            "Model_2.v3",
            "a..b",
            "CONSOLE",
            "con_x",
        ] {
            assert_eq!(file_name_problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn each_kind_of_bad_name_is_named() {
        let cases = [
            ("", "is empty"),
            (".", "names a folder"),
            ("..", "names a folder"),
            ("a/b", "path separator `/`"),
            ("a\\b", "path separator `\\`"),
            ("../x", "path separator"),
            ("a\tb", "control character U+0009"),
            ("a\u{7f}", "control character U+007F"),
            ("a:b", "`:`, which Windows"),
            ("a*", "`*`, which Windows"),
            ("what?", "`?`, which Windows"),
            ("quo\"te", "`\"`, which Windows"),
            ("café", "non-ASCII character `é`"),
            ("a b", "a space"),
            ("a#b", "the character `#`"),
            (".hidden", "starts with `.`"),
            ("-rf", "starts with `-`"),
            ("trail.", "ends with `.`"),
            ("CON", "Windows device name `CON`"),
            ("nul", "Windows device name `NUL`"),
            ("com1.md", "Windows device name `COM1`"),
            ("Lpt9", "Windows device name `LPT9`"),
        ];
        for (name, expected) in cases {
            let problem = file_name_problem(name).unwrap_or_else(|| panic!("{name:?} passed"));
            assert!(problem.contains(expected), "{name:?}: {problem}");
        }
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        assert!(file_name_problem(&long).unwrap().contains("65 bytes"));
        assert_eq!(file_name_problem(&"x".repeat(MAX_NAME_BYTES)), None);
    }

    #[test]
    fn suggestions_are_portable() {
        assert_eq!(portable_suggestion("my model").as_deref(), Some("my_model"));
        assert_eq!(portable_suggestion("../etc").as_deref(), Some("etc"));
        assert_eq!(portable_suggestion("café").as_deref(), Some("caf"));
        assert_eq!(portable_suggestion("con").as_deref(), Some("con_"));
        assert_eq!(portable_suggestion("***"), None);
        assert!(file_name_help("a b").ends_with("e.g. `a_b`"));
    }
}
