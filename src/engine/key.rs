//! Stage keys (DESIGN.md §3). A key is blake3 over the stage kind, its implementation version
//! and the canonical JSON of the stage's typed parameters — nothing else. The parameters hold
//! everything the stage may read (spec values, input files with their content hashes, upstream
//! keys), so nothing a stage reads can be missing from its key; names are not parameters, so a
//! robustness variant and a spec variant that compute the same thing share one artifact.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A stage instance's key: 64 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Key(String);

/// A string that is not a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a stage key (64 hexadecimal digits, as `gvc plan` prints them)")]
pub struct BadKey(pub String);

impl Key {
    /// The key of a stage instance: blake3 of `gvc-stage`, the kind, the version and the
    /// canonical JSON of the parameters, separated by NUL bytes.
    pub fn of(kind: &str, version: u32, params: &serde_json::Value) -> Key {
        let mut h = blake3::Hasher::new();
        h.update(b"gvc-stage\0");
        h.update(kind.as_bytes());
        h.update(b"\0");
        h.update(version.to_string().as_bytes());
        h.update(b"\0");
        h.update(canonical_json(params).as_bytes());
        Key(h.finalize().to_hex().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 digits, for messages.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }
}

impl TryFrom<String> for Key {
    type Error = BadKey;
    fn try_from(s: String) -> Result<Key, BadKey> {
        if s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Key(s))
        } else {
            Err(BadKey(s))
        }
    }
}

impl std::str::FromStr for Key {
    type Err = BadKey;
    fn from_str(s: &str) -> Result<Key, BadKey> {
        Key::try_from(s.to_string())
    }
}

impl From<Key> for String {
    fn from(k: Key) -> String {
        k.0
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// JSON with object keys sorted at every level and no whitespace: one text per value,
/// whatever map type produced it. Numbers keep serde_json's shortest round-trip form.
pub fn canonical_json(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value as J;
    match v {
        J::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&J::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        J::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_is_canonical_and_sensitive() {
        let a = Key::of("io_tables", 1, &json!({"format": "synthetic", "seed": 1}));
        let b = Key::of("io_tables", 1, &json!({"seed": 1, "format": "synthetic"}));
        assert_eq!(a, b, "field order does not matter");
        assert_ne!(
            a,
            Key::of("io_tables", 2, &json!({"format": "synthetic", "seed": 1}))
        );
        assert_ne!(
            a,
            Key::of("leontief", 1, &json!({"format": "synthetic", "seed": 1}))
        );
        assert_ne!(
            a,
            Key::of("io_tables", 1, &json!({"format": "synthetic", "seed": 2}))
        );
        assert_eq!(a.as_str().len(), 64);
    }

    #[test]
    fn keys_parse_only_from_hex() {
        let k = Key::of("x", 1, &json!(null));
        assert_eq!(k.as_str().parse::<Key>().unwrap(), k);
        assert!("abc".parse::<Key>().is_err());
        assert!(k.as_str().to_uppercase().parse::<Key>().is_err());
        let json = serde_json::to_string(&k).unwrap();
        assert_eq!(serde_json::from_str::<Key>(&json).unwrap(), k);
        assert!(serde_json::from_str::<Key>("\"../etc\"").is_err());
    }

    #[test]
    fn canonical_json_sorts_nested_objects() {
        let v = json!({"b": [{"y": 1, "x": 2.5}], "a": "t"});
        assert_eq!(canonical_json(&v), r#"{"a":"t","b":[{"x":2.5,"y":1}]}"#);
    }
}
