//! OKRs as a spreadsheet (`okapi okr export --format xlsx|csv`, `okapi okr
//! import`): a round trip changes nothing, a bad cell is refused with its
//! place and nothing written.

use crate::arg;
use crate::okrs::{init, json, snapshot, ws};

const OKRS: &str = r#"
[[user]]
key = "ana"
name = "Ana Lima"

[[cycle]]
key = "2027-Q1"
state = "active"

[[objective]]
key = "O-1"
cycle = "2027-Q1"
title = "Win the mid-market"
owner = "ana"
state = "active"

[[objective.kr]]
key = "KR-1"
title = "Grow paying customers from 100 to 150"
baseline = 100
target = 150
"#;

#[test]
fn a_sheet_exported_then_imported_changes_nothing() {
    let dir = init();
    let w = dir.path();
    let file = w.join("okrs.toml");
    std::fs::write(&file, OKRS).unwrap();
    ws(w, &["okr", "apply", &arg(&file)]).expect_code(0);
    ws(
        w,
        &[
            "checkin",
            "KR-1",
            "--value",
            "120",
            "--at",
            "2027-02-01",
            "--note",
            "two deals",
            "--author",
            "ana",
        ],
    )
    .expect_code(0);
    let before = snapshot(w);
    for format in ["xlsx", "csv"] {
        let out = w.join(format!("plan.{format}"));
        let run = ws(
            w,
            &[
                "okr",
                "export",
                "--cycle",
                "2027-Q1",
                "--format",
                format,
                "--out",
                &arg(&out),
            ],
        );
        run.expect_code(0);
        assert!(
            run.stdout
                .contains("1 objectives, 1 key results, 1 check-ins"),
            "{}",
            run.stdout
        );
        let run = ws(w, &["okr", "import", &arg(&out), "--format", "json"]);
        run.expect_code(0);
        let changes = json(&run);
        let changes = changes.as_array().unwrap();
        // The cycle, O-1, KR-1 and its check-in, all unchanged.
        assert_eq!(changes.len(), 4, "{changes:?}");
        assert!(
            changes.iter().all(|c| c["action"] == "unchanged"),
            "{changes:?}"
        );
        assert_eq!(snapshot(w), before);
    }
    assert!(w.join("plan.checkins.csv").exists());

    // A bad number: refused with the file, row and column; nothing written.
    let csv = w.join("plan.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(
        &csv,
        text.replace("Win the mid-market", "Win big")
            .replace(",150,", ",lots,"),
    )
    .unwrap();
    let run = ws(w, &["okr", "import", &arg(&csv)]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("plan.csv, row 2, column J `target`: `lots` is not a number"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot(w), before);
}
