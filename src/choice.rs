//! Closed choices of a spec (measure family, estimator, VCE, source format, report format, …)
//! as enums. Each enum lists its variants once ([`Choice::ALL`]) and names each once
//! ([`Choice::name`]); parsing, the spec validator's allowed lists, "did you mean" hints and the
//! documentation all derive from those two facts, so adding a variant is one row.
//!
//! This module sits below every other layer: it knows no concept of gvc, only the shape of a
//! named, enumerable choice.

/// A closed set of named alternatives.
pub trait Choice: Copy + Eq + std::fmt::Debug + 'static {
    /// What the spec calls the concept, for messages ("estimator", "measure family").
    const WHAT: &'static str;
    /// Every variant, in documentation order.
    const ALL: &'static [Self];
    /// The name a spec or command line writes.
    fn name(self) -> &'static str;

    /// The variant written `s` (exact match; names are lower case).
    fn from_name(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.name() == s)
    }

    /// Every name, in documentation order.
    fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|c| c.name()).collect()
    }
}

/// An unknown name for a [`Choice`], with the allowed names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{given}` (expected one of {allowed})")]
pub struct UnknownChoice {
    pub what: &'static str,
    pub given: String,
    pub allowed: String,
}

/// Parses a name into a [`Choice`], or an error listing the allowed names.
pub fn parse<T: Choice>(s: &str) -> Result<T, UnknownChoice> {
    T::from_name(s).ok_or_else(|| UnknownChoice {
        what: T::WHAT,
        given: s.to_string(),
        allowed: T::names()
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Implements `Serialize`/`Deserialize` for a [`Choice`] through its name, so the spec, the
/// plan and every artifact write one spelling.
#[macro_export]
macro_rules! choice_serde {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::choice::Choice::name(*self))
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                $crate::choice::parse::<$t>(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Colour {
        Red,
        Green,
    }
    impl Choice for Colour {
        const WHAT: &'static str = "colour";
        const ALL: &'static [Self] = &[Colour::Red, Colour::Green];
        fn name(self) -> &'static str {
            match self {
                Colour::Red => "red",
                Colour::Green => "green",
            }
        }
    }
    crate::choice_serde!(Colour);

    #[test]
    fn names_parse_and_round_trip() {
        assert_eq!(Colour::names(), vec!["red", "green"]);
        assert_eq!(parse::<Colour>("green"), Ok(Colour::Green));
        let e = parse::<Colour>("blue").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown colour `blue` (expected one of `red`, `green`)"
        );
        let json = serde_json::to_string(&Colour::Red).unwrap();
        assert_eq!(json, "\"red\"");
        assert_eq!(
            serde_json::from_str::<Colour>("\"green\"").unwrap(),
            Colour::Green
        );
        assert!(serde_json::from_str::<Colour>("\"blue\"").is_err());
    }
}
