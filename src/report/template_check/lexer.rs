//! The lexer: the `{{ }}` / `{% %}` tags of a template with their lines (skipping text,
//! comments and raw blocks), and the tokens inside a tag.

/// A token inside a tag.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Ident(String),
    Str(String),
    /// `::`
    Path,
    /// `(`
    Open,
    /// `[` (counts as nesting like `(`)
    Bracket,
    /// An operator: arithmetic, comparison, `~`, or `and` / `or` / `not` / `in` / `is`.
    Op,
    /// Anything else (`)`, `]`, `,`, `=`, `|`, `.`, numbers).
    Other,
}

/// Tokens of a tag body. Tera strings have no escapes: a string runs to the next same quote.
pub(super) fn tokens(body: &str) -> Vec<Token> {
    let b = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'"' | b'\'' | b'`' => {
                let end = body[i + 1..].find(c as char).map_or(b.len(), |k| i + 1 + k);
                out.push(Token::Str(body[i + 1..end.min(b.len())].to_string()));
                i = end + 1;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let word = &body[start..i];
                out.push(if matches!(word, "and" | "or" | "not" | "in" | "is") {
                    Token::Op
                } else {
                    Token::Ident(word.to_string())
                });
            }
            b':' if b.get(i + 1) == Some(&b':') => {
                out.push(Token::Path);
                i += 2;
            }
            b'(' => {
                out.push(Token::Open);
                i += 1;
            }
            b'[' => {
                out.push(Token::Bracket);
                i += 1;
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'~' | b'<' | b'>' => {
                out.push(Token::Op);
                i += if b.get(i + 1) == Some(&b'=') { 2 } else { 1 };
            }
            b'=' | b'!' if b.get(i + 1) == Some(&b'=') => {
                out.push(Token::Op);
                i += 2;
            }
            _ => {
                out.push(Token::Other);
                // Skip one whole UTF-8 character.
                i += 1;
                while i < b.len() && !body.is_char_boundary(i) {
                    i += 1;
                }
            }
        }
    }
    out
}

/// Nesting a tag adds while it is evaluated: every bracket and operator may be one level of
/// Tera's expression tree (an upper bound: a flat `a + b + c` is a left-deep tree).
pub(super) fn expression_cost(tokens: &[Token]) -> usize {
    tokens
        .iter()
        .filter(|t| matches!(t, Token::Open | Token::Bracket | Token::Op))
        .count()
}

/// Where each tag of a template starts and what it holds.
pub(super) struct Tag<'a> {
    /// `{{` or `{%`.
    pub(super) statement: bool,
    pub(super) body: &'a str,
    pub(super) line: usize,
}

/// Byte offset of the first `close` in `text[from..]` outside string literals.
fn tag_end(text: &str, from: usize, close: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = from;
    while i < b.len() {
        match b[i] {
            q @ (b'"' | b'\'' | b'`') => {
                i = text[i + 1..].find(q as char).map(|k| i + 1 + k + 1)?;
            }
            _ if text[i..].starts_with(close) => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Byte offset just past the `{% endraw %}` (any whitespace control) at or after `from`.
fn raw_end(text: &str, from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(k) = text[i..].find("{%") {
        let start = i + k;
        let end = text[start + 2..].find("%}").map(|k| start + 2 + k)?;
        let body = text[start + 2..end].trim_start_matches('-');
        if body.strip_suffix('-').unwrap_or(body).trim() == "endraw" {
            return Some(end + 2);
        }
        i = start + 2;
    }
    None
}

/// The `{{ }}` and `{% %}` tags of a template in order, skipping text, comments and raw
/// blocks. Stops at an unterminated tag (Tera reports the syntax error).
pub(super) fn tags(text: &str) -> Vec<Tag<'_>> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut counted = 0; // bytes before `counted` are counted in `line`
    let mut i = 0;
    while let Some(k) = text[i..].find('{') {
        let start = i + k;
        let rest = &text[start..];
        let close = if rest.starts_with("{{") {
            "}}"
        } else if rest.starts_with("{%") {
            "%}"
        } else if rest.starts_with("{#") {
            "#}"
        } else {
            i = start + 1;
            continue;
        };
        let end = if close == "#}" {
            text[start + 2..].find("#}").map(|k| start + 2 + k)
        } else {
            tag_end(text, start + 2, close)
        };
        let Some(end) = end else { break };
        line += text[counted..start].matches('\n').count();
        counted = start;
        i = end + 2;
        if close == "#}" {
            continue;
        }
        let body = text[start + 2..end].trim_start_matches('-');
        let body = body.strip_suffix('-').unwrap_or(body);
        let statement = close == "%}";
        if statement && body.trim() == "raw" {
            match raw_end(text, i) {
                Some(after) => i = after,
                None => break,
            }
            continue;
        }
        out.push(Tag {
            statement,
            body,
            line,
        });
    }
    out
}

/// The line of the first tag of `text` that writes `word` as a whole word (a variable path
/// such as `table.rows`, a function name), or with `after_pipe` as a filter (`| word`): where
/// a render error that names it most likely comes from.
pub(crate) fn line_of_word(text: &str, word: &str, after_pipe: bool) -> Option<usize> {
    if word.is_empty() {
        return None;
    }
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let at_boundary = |body: &str, start: usize| {
        let before = body[..start].chars().next_back();
        let after = body[start + word.len()..].chars().next();
        !before.is_some_and(|c| ident(c) || c == '.') && !after.is_some_and(ident)
    };
    tags(text).into_iter().find_map(|tag| {
        let body = tag.body;
        let found = body.match_indices(word).any(|(start, _)| {
            at_boundary(body, start) && (!after_pipe || body[..start].trim_end().ends_with('|'))
        });
        found.then_some(tag.line)
    })
}
