//! Every key the spec types accept appears in docs/spec-reference.md, so the reference
//! cannot drift from the code.

use gvc::spec::types::keys;

#[test]
fn every_spec_key_is_documented() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/spec-reference.md"
    ))
    .unwrap();
    let sections: [(&str, &[&str]); 12] = [
        ("top level", keys::TOP),
        ("[study]", keys::STUDY),
        ("[sources]", keys::SOURCE),
        ("[sample]", keys::SAMPLE),
        ("[decomposition]", keys::DECOMPOSITION),
        ("[panel]", keys::PANEL),
        ("[variables]", keys::VARIABLE),
        ("[[models]]", keys::MODEL),
        ("[[robustness]]", keys::ROBUSTNESS),
        ("[report]", keys::REPORT),
        ("[countries]", keys::COUNTRIES),
        ("[multiverse]", keys::MULTIVERSE),
    ];
    let mut missing = Vec::new();
    for (section, list) in sections {
        for key in list {
            if !doc.contains(&format!("| `{key}` |")) {
                missing.push(format!("{section}: {key}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "keys missing from docs/spec-reference.md: {missing:?}"
    );
}

/// Every measure family of the family table is listed where users look: the `measures` row
/// of docs/spec-reference.md and the family table of docs/measures.md.
#[test]
fn every_measure_family_is_documented() {
    let read = |name: &str| {
        std::fs::read_to_string(format!("{}/docs/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    };
    let (reference, measures) = (read("spec-reference.md"), read("measures.md"));
    let row = reference
        .lines()
        .find(|l| l.starts_with("| `measures` |"))
        .expect("spec-reference.md documents `decomposition.measures`");
    for name in gvc::decompose::FAMILY_NAMES {
        assert!(
            row.contains(&format!("`{name}`")),
            "spec-reference.md `measures` row misses `{name}`"
        );
        assert!(
            measures.contains(&format!("| [`{name}`](#")),
            "measures.md family table misses `{name}`"
        );
        assert!(
            measures
                .lines()
                .filter(
                    |l| l.starts_with("| `country_sector` |") || l.starts_with("| `bilateral` |")
                )
                .any(|l| l.contains(&format!("`{name}`")))
                || gvc::panel::PanelUnit::units_of(name.parse().unwrap()) == "country",
            "measures.md unit table misses `{name}` at a unit other than country"
        );
    }
}
