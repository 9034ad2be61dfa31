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
    let sections: [(&str, &[&str]); 10] = [
        ("top level", keys::TOP),
        ("[study]", keys::STUDY),
        ("[sources]", keys::SOURCE),
        ("[sample]", keys::SAMPLE),
        ("[decomposition]", keys::DECOMPOSITION),
        ("[variables]", keys::VARIABLE),
        ("[[models]]", keys::MODEL),
        ("[[robustness]]", keys::ROBUSTNESS),
        ("[report]", keys::REPORT),
        ("[countries]", keys::COUNTRIES),
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
