//! The Leontief identities on the real WIOD 2009 table (labelled CSV in ../shared/data):
//! VB column sums = 1 where x > 0, (I−A)B = I, B Y 1 = x within the table's own rounding.

mod common;

use gvc::io::{check_core_identities, IdentityOptions, Leontief};
use gvc::sources::mrio::labelled_csv::{self, LabelledCsvOptions};

#[test]
fn wiod_2009_leontief_identities_hold() {
    let Some(shared) = common::shared_dir("WIOD 2009 Leontief identities") else {
        return;
    };
    let path = shared.join("data/wiod2013/wiot_2009.csv");
    let table = labelled_csv::read(&path, Some(2009), &LabelledCsvOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(table.n(), 41 * 35);
    let leontief = Leontief::new(&table).unwrap_or_else(|e| panic!("{e}"));
    let opts = IdentityOptions {
        output_read: true,
        ..IdentityOptions::default()
    };
    let residuals =
        check_core_identities(&table, &leontief, &opts).unwrap_or_else(|e| panic!("{e}"));
    for r in &residuals {
        println!(
            "{:<4} {:<55} residual {:.3e} (tolerance {:.1e}) at {}",
            r.id, r.name, r.residual, r.tolerance, r.at
        );
    }
    let ids: Vec<&str> = residuals.iter().map(|r| r.id.as_str()).collect();
    for id in ["I2", "I3"] {
        assert!(
            ids.iter().any(|x| x.starts_with(id)),
            "{id} not checked: {ids:?}"
        );
    }
    for r in &residuals {
        assert!(
            r.residual <= r.tolerance,
            "{} {} residual {:e}",
            r.id,
            r.name,
            r.residual
        );
        if r.id.starts_with("I2") || r.id.starts_with("I3") {
            assert!(
                r.residual < 1e-9,
                "{} residual {:e} not within 1e-9",
                r.id,
                r.residual
            );
        }
    }
}
