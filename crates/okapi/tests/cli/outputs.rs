//! Machine outputs of `okapi kpi` and `okapi mrr` on a tiny hand-made
//! company, every number worked out by hand below.

use std::collections::BTreeSet;

use crate::{arg, data_dir, okapi};

/// Three accounts over January–March 2024.
///
/// - a1: pro 100.50 from Jan 1, then (a price change on Feb 15) pro 150.00.
/// - a2: basic 50 from Jan 10 to Mar 5 (exclusive): churns in March.
/// - a3: pro 80 from Mar 1: new in March.
///
/// The data runs from 2024-01-01 to 2024-03-04 (last day paid by s3), so
/// the month grain gives January, February and March.
///
/// | month | s = day before | m(s) a1/a2/a3      | e = last day | m(e) a1/a2/a3  | mrr(e) |
/// |-------|----------------|--------------------|--------------|----------------|--------|
/// | Jan   | 2023-12-31     | 0 / 0 / 0          | 2024-01-31   | 100.5 / 50 / 0 | 150.5  |
/// | Feb   | 2024-01-31     | 100.5 / 50 / 0     | 2024-02-29   | 150 / 50 / 0   | 200    |
/// | Mar   | 2024-02-29     | 150 / 50 / 0       | 2024-03-31   | 150 / 0 / 80   | 230    |
///
/// - January: a1 and a2 are new (100.5 + 50 = 150.5); no customer at the
///   start, so customer_churn_rate is absent.
/// - February: a1 expands by 49.5; no new MRR; 0 of 2 customers churn: 0%.
/// - March: a3 is new (80); a2 churns (50); 1 of 2 customers at the start
///   churns: 50%.
const SUBS: &str = "\
subscription_id,account_id,plan,mrr,start_date,end_date
s1,a1,pro,100.50,2024-01-01,2024-02-15
s2,a1,pro,150.00,2024-02-15,
s3,a2,basic,50,2024-01-10,2024-03-05
s4,a3,pro,80,2024-03-01,
";

/// a1 and a2 are enterprise, a3 is smb. a1 signed in December 2023, which
/// moves the data's first day: the segment runs pin --from/--to.
const ACCOUNTS: &str = "\
account_id,name,created_at,segment
a1,Acme,2023-12-15T09:00:00Z,enterprise
a2,Beta,2024-01-05,enterprise
a3,\"Gamma, Inc.\",2024-02-20T00:00:00+01:00,smb
";

const KPIS: &str = "mrr,new_mrr,customer_churn_rate";

#[test]
fn kpi_csv_is_exact() {
    let dir = data_dir(&[("subscriptions.csv", SUBS)]);
    let run = okapi(&[
        "kpi",
        "--data",
        &arg(dir.path()),
        "--grain",
        "month",
        "--kpi",
        KPIS,
        "--format",
        "csv",
    ]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "\
kpi,period_start,value,unit,note
mrr,2024-01-01,150.5,money,
mrr,2024-02-01,200,money,
mrr,2024-03-01,230,money,
new_mrr,2024-01-01,150.5,money,
new_mrr,2024-02-01,0,money,
new_mrr,2024-03-01,80,money,
customer_churn_rate,2024-01-01,,percent,no customers at period start
customer_churn_rate,2024-02-01,0,percent,
customer_churn_rate,2024-03-01,50,percent,
"
    );
    // Without --format, output that is not a terminal is CSV.
    let run2 = okapi(&["kpi", "--data", &arg(dir.path()), "--kpi", KPIS]);
    run2.expect_code(0);
    assert_eq!(run2.stdout, run.stdout);
}

#[test]
fn kpi_json_is_an_array_of_objects() {
    let dir = data_dir(&[("subscriptions.csv", SUBS)]);
    let run = okapi(&[
        "kpi",
        "--data",
        &arg(dir.path()),
        "--kpi",
        KPIS,
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    let rows = doc.as_array().expect("an array");
    assert_eq!(rows.len(), 9);
    let keys: BTreeSet<&str> = ["kpi", "period_start", "value", "unit", "note"].into();
    for r in rows {
        let obj = r.as_object().expect("an object");
        assert_eq!(
            obj.keys().map(|k| k.as_str()).collect::<BTreeSet<_>>(),
            keys
        );
    }
    let flat: Vec<(String, String, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["kpi"].as_str().unwrap().to_string(),
                r["period_start"].as_str().unwrap().to_string(),
                r["value"].to_string(),
                r["unit"].as_str().unwrap().to_string(),
                r["note"].to_string(),
            )
        })
        .collect();
    let expected = [
        ("mrr", "2024-01-01", "150.5", "money", "null"),
        ("mrr", "2024-02-01", "200", "money", "null"),
        ("mrr", "2024-03-01", "230", "money", "null"),
        ("new_mrr", "2024-01-01", "150.5", "money", "null"),
        ("new_mrr", "2024-02-01", "0", "money", "null"),
        ("new_mrr", "2024-03-01", "80", "money", "null"),
        (
            "customer_churn_rate",
            "2024-01-01",
            "null",
            "percent",
            "\"no customers at period start\"",
        ),
        ("customer_churn_rate", "2024-02-01", "0", "percent", "null"),
        ("customer_churn_rate", "2024-03-01", "50", "percent", "null"),
    ];
    let expected: Vec<(String, String, String, String, String)> = expected
        .iter()
        .map(|(a, b, c, d, e)| {
            (
                a.to_string(),
                b.to_string(),
                c.to_string(),
                d.to_string(),
                e.to_string(),
            )
        })
        .collect();
    assert_eq!(flat, expected);
    // Money is written as an exact decimal number, never rounded or a string.
    assert!(run.stdout.contains("\"value\": 150.5,"), "{}", run.stdout);
}

/// The `period_start,value` pairs of one KPI in CSV output.
fn series<'a>(csv: &'a str, kpi: &str) -> Vec<(&'a str, &'a str)> {
    csv.lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.splitn(5, ',');
            (f.next()? == kpi).then(|| (f.next().unwrap(), f.next().unwrap()))
        })
        .collect()
}

fn kpi_csv(dir: &std::path::Path, extra: &[&str]) -> crate::Run {
    let d = arg(dir);
    let mut args = vec!["kpi", "--data", &d, "--format", "csv"];
    args.extend_from_slice(extra);
    okapi(&args)
}

#[test]
fn from_and_to_select_the_periods_containing_them() {
    let dir = data_dir(&[("subscriptions.csv", SUBS)]);
    let run = kpi_csv(
        dir.path(),
        &["--kpi", "mrr", "--from", "2024-02-10", "--to", "2024-02-20"],
    );
    run.expect_code(0);
    assert_eq!(series(&run.stdout, "mrr"), [("2024-02-01", "200")]);

    let run = kpi_csv(
        dir.path(),
        &["--kpi", "mrr", "--from", "2024-02-29", "--to", "2024-03-01"],
    );
    run.expect_code(0);
    assert_eq!(
        series(&run.stdout, "mrr"),
        [("2024-02-01", "200"), ("2024-03-01", "230")]
    );

    // Only --from: up to the data's last period (the data ends on
    // 2024-03-04; a --from after that day is in pending.rs).
    let run = kpi_csv(dir.path(), &["--kpi", "mrr", "--from", "2024-03-02"]);
    run.expect_code(0);
    assert_eq!(series(&run.stdout, "mrr"), [("2024-03-01", "230")]);

    // Before the data: mrr is a count over nothing (0), the churn rate is
    // absent (no customer at the start).
    let run = kpi_csv(
        dir.path(),
        &[
            "--kpi",
            "mrr,customer_churn_rate",
            "--from",
            "2023-11-15",
            "--to",
            "2024-01-01",
        ],
    );
    run.expect_code(0);
    assert_eq!(
        series(&run.stdout, "mrr"),
        [
            ("2023-11-01", "0"),
            ("2023-12-01", "0"),
            ("2024-01-01", "150.5")
        ]
    );
    assert_eq!(
        series(&run.stdout, "customer_churn_rate"),
        [("2023-11-01", ""), ("2023-12-01", ""), ("2024-01-01", "")]
    );

    // --to before --from is an error.
    let run = kpi_csv(
        dir.path(),
        &["--kpi", "mrr", "--from", "2024-03-01", "--to", "2024-01-01"],
    );
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("--to 2024-01-01 is before the start 2024-03-01"),
        "{}",
        run.stderr
    );
}

#[test]
fn quarter_grain() {
    // Q1 2024: s = 2023-12-31 (nobody), e = 2024-03-31 (a1 150, a3 80).
    // a1 and a3 are new (230); a2 joined and left inside the quarter and
    // counts in neither; no customer at the start: churn rate absent.
    let dir = data_dir(&[("subscriptions.csv", SUBS)]);
    let run = kpi_csv(dir.path(), &["--grain", "quarter", "--kpi", KPIS]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "\
kpi,period_start,value,unit,note
mrr,2024-01-01,230,money,
new_mrr,2024-01-01,230,money,
customer_churn_rate,2024-01-01,,percent,no customers at period start
"
    );
}

#[test]
fn kpi_list_names_every_kpi() {
    let run = okapi(&["kpi", "--list", "--format", "csv"]);
    run.expect_code(0);
    let mut rdr = csv::Reader::from_reader(run.stdout.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "name",
            "stage",
            "unit",
            "direction",
            "b2b/b2c",
            "timing",
            "formula"
        ]
    );
    let ids: Vec<String> = rdr.records().map(|r| r.unwrap()[0].to_string()).collect();
    let catalog: Vec<String> = okapi_core::catalog::CATALOG
        .iter()
        .map(|k| k.id.to_string())
        .collect();
    assert_eq!(ids, catalog);
    // Every KPI of the specification (docs/kpis.md).
    for id in [
        "mrr",
        "arr",
        "new_mrr",
        "expansion_mrr",
        "contraction_mrr",
        "churned_mrr",
        "reactivation_mrr",
        "net_new_mrr",
        "customers",
        "new_customers",
        "churned_customers",
        "customer_churn_rate",
        "revenue_churn_rate",
        "mrr_expansion_rate",
        "net_revenue_retention",
        "gross_revenue_retention",
        "quick_ratio",
        "arpa",
        "ltv",
        "ltv_cac",
        "visitors",
        "signups",
        "visitor_to_signup_rate",
        "leads",
        "mqls",
        "pqls",
        "signup_to_pql_rate",
        "time_to_pql",
        "pql_to_customer_rate",
        "average_deal_size",
        "sales_cycle_length",
        "lead_conversion_rate",
        "cac",
        "cac_payback",
        "revenue_per_lead",
        "sales_efficiency",
        "dau_mau",
        "active_users",
        "inactive_accounts",
        "nps",
        "csat",
        "time_to_value",
        "trial_to_paid_time",
        "onboarding_completion_rate",
        "referral_rate",
        "app_installs",
        "upgraded_accounts",
        "renewal_rate",
        "arpu",
    ] {
        assert!(ids.iter().any(|i| i == id), "`{id}` missing from the list");
    }
}

#[test]
fn mrr_bridge_and_account_movements() {
    let dir = data_dir(&[("subscriptions.csv", SUBS)]);
    let d = arg(dir.path());
    let run = okapi(&["mrr", "--data", &d, "--format", "csv"]);
    run.expect_code(0);
    // end - start = new + reactivation + expansion - contraction - churn:
    // Jan 150.5 - 0 = 150.5; Feb 200 - 150.5 = 49.5; Mar 230 - 200 = 80 - 50.
    assert_eq!(
        run.stdout,
        "\
period_start,start,new,reactivation,expansion,contraction,churn,end
2024-01-01,0,150.5,0,0,0,0,150.5
2024-02-01,150.5,0,0,49.5,0,0,200
2024-03-01,200,80,0,0,0,50,230
"
    );
    let run = okapi(&["mrr", "--data", &d, "--accounts", "--format", "csv"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "\
period_start,account_id,movement,start_mrr,end_mrr,amount
2024-01-01,a1,new,0,100.5,100.5
2024-01-01,a2,new,0,50,50
2024-02-01,a1,expansion,100.5,150,49.5
2024-03-01,a2,churn,50,0,50
2024-03-01,a3,new,0,80,80
"
    );
}

#[test]
fn unknown_kpi_is_a_clear_error() {
    let dir = data_dir(&[("subscriptions.csv", SUBS)]);
    let run = kpi_csv(dir.path(), &["--kpi", "mrr,nope"]);
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("--kpi `nope` is not a KPI") && run.stderr.contains("okapi kpi --list"),
        "{}",
        run.stderr
    );
}

#[test]
fn segment_by_plan() {
    // plan=pro keeps a1 (both rows pro) and a3:
    // Jan: a1 100.5, new 100.5, nobody at the start (absent).
    // Feb: a1 150 (expansion, not new), 0 of 1 churn: 0%.
    // Mar: a1 150 + a3 80 = 230, a3 new 80, 0 of 1 churn: 0%.
    let dir = data_dir(&[("subscriptions.csv", SUBS)]);
    let run = kpi_csv(dir.path(), &["--kpi", KPIS, "--segment", "plan=pro"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "\
kpi,period_start,value,unit,note
mrr,2024-01-01,100.5,money,
mrr,2024-02-01,150,money,
mrr,2024-03-01,230,money,
new_mrr,2024-01-01,100.5,money,
new_mrr,2024-02-01,0,money,
new_mrr,2024-03-01,80,money,
customer_churn_rate,2024-01-01,,percent,no customers at period start
customer_churn_rate,2024-02-01,0,percent,
customer_churn_rate,2024-03-01,0,percent,
"
    );
}

#[test]
fn segment_by_accounts_column() {
    // segment=enterprise keeps a1 and a2:
    // Jan: 100.5 + 50 = 150.5, both new; nobody at the start (absent).
    // Feb: 150 + 50 = 200, no new MRR; 0 of 2 churn: 0%.
    // Mar: a1 150 (a2 churned, a3 is smb); no new MRR; 1 of 2 churn: 50%.
    // customers 2, 2, 1; arpa 150.5 / 2 = 75.25, 200 / 2 = 100, 150 / 1 = 150.
    //
    // The whole catalog is asked for (see pending.rs for `--kpi`).
    let dir = data_dir(&[("subscriptions.csv", SUBS), ("accounts.csv", ACCOUNTS)]);
    let run = kpi_csv(
        dir.path(),
        &[
            "--segment",
            "segment=enterprise",
            "--from",
            "2024-01-01",
            "--to",
            "2024-03-31",
        ],
    );
    run.expect_code(0);
    let out = &run.stdout;
    let months = ["2024-01-01", "2024-02-01", "2024-03-01"];
    let zip = |v: [&'static str; 3]| -> Vec<(&str, &str)> { months.into_iter().zip(v).collect() };
    assert_eq!(series(out, "mrr"), zip(["150.5", "200", "150"]));
    assert_eq!(series(out, "new_mrr"), zip(["150.5", "0", "0"]));
    assert_eq!(series(out, "churned_mrr"), zip(["0", "0", "50"]));
    assert_eq!(series(out, "customer_churn_rate"), zip(["", "0", "50"]));
    assert_eq!(series(out, "customers"), zip(["2", "2", "1"]));
    assert_eq!(series(out, "arpa"), zip(["75.25", "100", "150"]));

    // smb is a3 alone: new in March.
    let run = kpi_csv(
        dir.path(),
        &[
            "--segment",
            "segment=smb",
            "--from",
            "2024-01-01",
            "--to",
            "2024-03-31",
        ],
    );
    run.expect_code(0);
    assert_eq!(series(&run.stdout, "mrr"), zip(["0", "0", "80"]));
    assert_eq!(series(&run.stdout, "new_mrr"), zip(["0", "0", "80"]));

    // A column accounts does not have is an error naming the columns.
    let run = kpi_csv(dir.path(), &["--segment", "tier=gold"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("no column `tier`") && run.stderr.contains("segment"),
        "{}",
        run.stderr
    );
}

#[test]
fn health_lists_customers_lowest_first() {
    // The engine's hand-made company; scores worked out in
    // okapi-engine/tests/engine/kpis.rs (health_scores): A 42.833…, B 98.5.
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../okapi-engine/tests/fixtures/company");
    let run = okapi(&[
        "health",
        "--data",
        &arg(&data),
        "--at",
        "2024-01-31",
        "--format",
        "csv",
    ]);
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "account_id,mrr,score,usage_trend,active_users,recency,nps,support"
    );
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    let a: Vec<&str> = lines[1].split(',').collect();
    let b: Vec<&str> = lines[2].split(',').collect();
    assert_eq!((a[0], a[1]), ("A", "100"));
    assert!(
        (a[2].parse::<f64>().unwrap() - 100.0 * (0.125 + 0.1 + 0.25 / 30.0 + 0.045 + 0.15)).abs()
            < 1e-9
    );
    assert_eq!((b[0], b[1], b[2]), ("B", "50", "98.5"));
}
