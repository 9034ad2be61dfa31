//! Every closed choice of a spec serialises as its `Choice::name` and parses back, so the
//! spec, the plan and the artifacts write one spelling.

use gvc::choice::Choice;
use gvc::decompose::wwz::WwzLevel;
use gvc::decompose::{Family, IvDefinition, Level};
use gvc::engine::stages::StageKind;
use gvc::estimate::{Estimator, Vce};
use gvc::report::{Format, R2Choice};
use gvc::sources::countries::CodeSystem;
use gvc::sources::mrio::MrioFormat;
use gvc::sources::SourceFormat;
use gvc::spec::ControlsMode;

fn check<T: Choice + serde::Serialize + serde::de::DeserializeOwned>() {
    assert!(!T::ALL.is_empty());
    for &v in T::ALL {
        let json = serde_json::to_value(v).unwrap();
        assert_eq!(json, serde_json::json!(v.name()), "{}", T::WHAT);
        assert_eq!(serde_json::from_value::<T>(json).unwrap(), v);
        assert_eq!(T::from_name(v.name()), Some(v));
    }
}

#[test]
fn serde_names_are_choice_names() {
    check::<Family>();
    check::<IvDefinition>();
    check::<Level>();
    check::<WwzLevel>();
    check::<Estimator>();
    check::<Vce>();
    check::<Format>();
    check::<R2Choice>();
    check::<CodeSystem>();
    check::<MrioFormat>();
    check::<SourceFormat>();
    check::<ControlsMode>();
    check::<StageKind>();
}
