//! The demo generator through its public API: a small B2C company.

use chrono::NaiveDate;
use okapi_core::settings::Profile;
use okapi_engine::demo::{DemoError, DemoOptions, generate};

#[test]
fn small_b2c_company() {
    let dir = tempfile::TempDir::new().unwrap();
    let out = dir.path().join("nested").join("demo");
    let opts = DemoOptions {
        profile: Profile::B2c,
        out: out.clone(),
        accounts: 40,
        events: 5_000,
        months: 3,
        seed: 11,
        end: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
    };
    let seen = std::cell::RefCell::new(Vec::new());
    let summary = generate(&opts, &|n| seen.borrow_mut().push(n)).unwrap();
    assert_eq!(summary.start, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    assert_eq!(summary.end, opts.end);
    assert_eq!(summary.tables.len(), 10);
    for (table, _) in &summary.tables {
        assert!(out.join(format!("{table}.parquet")).is_file(), "{table}");
    }
    let events = summary
        .tables
        .iter()
        .find(|(t, _)| t == "events")
        .unwrap()
        .1;
    assert_eq!(events, 5_000);
    assert_eq!(seen.borrow().last(), Some(&5_000));
    // B2C: no onboarding-phase story, the four others.
    assert_eq!(summary.stories.len(), 4, "{:?}", summary.stories);

    let bad = DemoOptions { months: 2, ..opts };
    assert!(matches!(
        generate(&bad, &|_| {}),
        Err(DemoError::Invalid(_))
    ));
}
