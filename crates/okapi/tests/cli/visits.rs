//! `okapi data import-visits`: a web-analytics export into the `visits`
//! table, then the visitors KPI read from it.

use super::{arg, data_dir, okapi, write_files};

const SUBS: &str = "\
subscription_id,account_id,plan,mrr,start_date,end_date
s1,a1,pro,100,2026-01-01,
";

/// 1 Nov: 3 + 2 (organic, social); 2 Nov: 4 (direct): 9 in November.
const GA4: &str = "\
# ----------------------------------------
# Traffic acquisition: Session source / medium
# ----------------------------------------
Date,Session source / medium,Total users
20261101,google / organic,3
20261101,t.co / referral,2
20261102,(direct) / (none),4
";

#[test]
fn an_export_imported_twice_gives_the_month_its_visitors_once() {
    let dir = data_dir(&[("subscriptions.csv", SUBS), ("ga4.csv", GA4)]);
    let data = arg(dir.path());
    let export = arg(&dir.path().join("ga4.csv"));
    for _ in 0..2 {
        let run = okapi(&[
            "data",
            "import-visits",
            "--from",
            "ga4",
            &export,
            "--data",
            &data,
        ]);
        run.expect_code(0);
        assert!(run.stdout.starts_with("9 visit(s) from "), "{}", run.stdout);
        assert!(
            run.stdout.contains("(2 day(s), 2026-11-01 … 2026-11-02)"),
            "{}",
            run.stdout
        );
    }
    let visits = std::fs::read_to_string(dir.path().join("visits.csv")).unwrap();
    assert_eq!(visits.lines().count(), 10, "{visits}");
    assert!(
        visits.contains("2026-11-01T00:00:00Z,ga4:2026-11-01:t.co:1,social\n"),
        "{visits}"
    );
    let run = okapi(&[
        "kpi",
        "--data",
        &data,
        "--kpi",
        "visitors",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
    ]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("visitors,2026-11-01,9,count"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_bad_export_is_refused_row_by_row_and_writes_nothing() {
    let dir = data_dir(&[("subscriptions.csv", SUBS)]);
    write_files(
        dir.path(),
        &[(
            "bad.csv",
            "date,source,visitors\n2026-11-01,Google,-1\n2026-02-30,Bing,2\n",
        )],
    );
    let run = okapi(&[
        "data",
        "import-visits",
        "--from",
        "plausible",
        &arg(&dir.path().join("bad.csv")),
        "--data",
        &arg(dir.path()),
    ]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("bad.csv: line 2, column visitors: negative number of visitors (value `-1`)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("bad.csv: line 3, column date: not a date"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("error: 2 invalid row(s); nothing was written"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("visits.csv").exists());
}
