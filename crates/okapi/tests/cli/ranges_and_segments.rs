//! A segment on an `accounts` column with a narrow `--kpi` list (the
//! accounts table is read for the segment even when the KPIs do not need
//! it), and `--from` beyond the last day of the data.

use crate::{arg, data_dir, okapi};

const SUBS: &str = "\
subscription_id,account_id,plan,mrr,start_date,end_date
s1,a1,pro,100.50,2024-01-01,2024-02-15
s2,a1,pro,150.00,2024-02-15,
s3,a2,basic,50,2024-01-10,2024-03-05
s4,a3,pro,80,2024-03-01,
";

const ACCOUNTS: &str = "\
account_id,name,created_at,segment
a1,Acme,2023-12-15T09:00:00Z,enterprise
a2,Beta,2024-01-05,enterprise
a3,\"Gamma, Inc.\",2024-02-20T00:00:00+01:00,smb
";

#[test]
fn segment_by_accounts_column_with_a_kpi_list() {
    // segment=enterprise keeps a1 and a2 (worked in outputs.rs):
    // mrr 150.5, 200, 150; new 150.5, 0, 0; churn rate absent, 0%, 50%.
    let dir = data_dir(&[("subscriptions.csv", SUBS), ("accounts.csv", ACCOUNTS)]);
    let run = okapi(&[
        "kpi",
        "--data",
        &arg(dir.path()),
        "--kpi",
        "mrr,new_mrr,customer_churn_rate",
        "--segment",
        "segment=enterprise",
        "--from",
        "2024-01-01",
        "--to",
        "2024-03-31",
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
mrr,2024-03-01,150,money,
new_mrr,2024-01-01,150.5,money,
new_mrr,2024-02-01,0,money,
new_mrr,2024-03-01,0,money,
customer_churn_rate,2024-01-01,,percent,no customers at period start
customer_churn_rate,2024-02-01,0,percent,
customer_churn_rate,2024-03-01,50,percent,
"
    );
}

#[test]
fn from_after_the_last_data_day_in_the_last_period() {
    let dir = data_dir(&[("subscriptions.csv", SUBS)]);
    let run = okapi(&[
        "kpi",
        "--data",
        &arg(dir.path()),
        "--kpi",
        "mrr",
        "--from",
        "2024-03-31",
        "--format",
        "csv",
    ]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "kpi,period_start,value,unit,note\nmrr,2024-03-01,230,money,\n"
    );
}
