//! The pages in a real headless Chromium (Debian's `chromium` driven
//! through `chromedriver`, both installed by `.ci/run`), as people use
//! them: log in, read the executive tiles, open a KPI and switch its
//! grain, walk the OKR tree, check in and see the score and chart change,
//! and be refused another team's key result as an editor.
//!
//! The workspace is small and made by hand, so every number on the pages
//! is worked out below from its rows. A screenshot of each page is kept in
//! `$CARGO_TARGET_TMPDIR/screenshots/` for people to look at.
//!
//! Chromium and chromedriver are required: without them the test fails
//! and says how to install them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use fantoccini::{Client, ClientBuilder, Locator};
use okapi_app::Location;
use okapi_app::accounts;
use okapi_app::cycles::{self, NewCycle};
use okapi_app::objectives::{self, ObjectiveFields};
use okapi_app::people::{self, TeamChange, UserChange};
use okapi_app::workspace::{self, InitRequest, Workspace};
use okapi_core::okr::KrKind;
use okapi_core::review::Level;
use okapi_core::settings::Profile;
use okapi_store::{Access, KeyResult};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const PASSWORD: &str = "correct horse battery";

/// Subscriptions of six accounts over January to March 2026:
///
/// | account | MRR | from | to (exclusive) |
/// | --- | --- | --- | --- |
/// | a1 | 100 | 2026-01-01 | open |
/// | a2 | 200 | 2026-01-01 | 2026-02-10 (churns in February) |
/// | a3 | 300 | 2026-01-01 | open |
/// | a4 | 400 | 2026-02-05 | open (new in February) |
/// | a5 | 100 | 2026-01-01 | 2026-03-20 (churns in March) |
/// | a6 | 50 | 2026-01-01 | 2026-03-15 (churns in March) |
///
/// Customer churn rate: February 1 of the 5 paying on January 31 = 20.0%;
/// March 2 (a5, a6) of the 5 paying on February 28 (a1, a3, a4, a5, a6) =
/// 40.0%: +20.0 points, bad news (lower is better).
///
/// Net revenue retention: February (750 - 200) / 750 = 73.3%; March, of
/// the 950 on February 28, 150 churned: 800 / 950 = 84.2%; +10.9 points,
/// good news.
const SUBSCRIPTIONS: &str = "\
subscription_id,account_id,plan,mrr,start_date,end_date
s1,a1,basic,100,2026-01-01,
s2,a2,basic,200,2026-01-01,2026-02-10
s3,a3,pro,300,2026-01-01,
s4,a4,pro,400,2026-02-05,
s5,a5,basic,100,2026-01-01,2026-03-20
s6,a6,basic,50,2026-01-01,2026-03-15
";

/// The workspace: the subscriptions above, a cycle of this quarter with a
/// company objective (O-1, KR-1: 0 → 10 renewals) and a sales objective
/// aligned under it (O-2, KR-2), an admin, a sales editor and a marketing
/// editor.
async fn workspace() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    workspace::init(InitRequest {
        dir: dir.path().to_path_buf(),
        database_url: None,
        profile: Profile::B2b,
        name: Some("Acme".into()),
        id: None,
    })
    .await
    .unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("subscriptions.csv"), SUBSCRIPTIONS).unwrap();
    std::fs::write(data.join("surveys.csv"), SURVEYS).unwrap();
    let loc = Location {
        dir: dir.path().to_path_buf(),
        config: None,
        database_url: None,
    };
    let ws = Workspace::open(&loc).await.unwrap();
    let today = Utc::now().date_naive();
    let cycle = cycles::create(&ws, NewCycle::default(), today)
        .await
        .unwrap();
    cycles::activate(&ws, &cycle.key).await.unwrap();
    for team in ["sales", "marketing"] {
        people::save_team(
            &ws,
            TeamChange {
                key: team.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    objectives::add(
        &ws,
        &cycle.key,
        None,
        ObjectiveFields {
            title: Some("Customers stay with us".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    objectives::add(
        &ws,
        &cycle.key,
        None,
        ObjectiveFields {
            title: Some("Sales renews every account".into()),
            team: Some("sales".into()),
            level: Some(Level::Team),
            parent: Some("O-1".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut s = ws.session().await.unwrap();
    for (key, objective, title) in [
        ("KR-1", "O-1", "Renewals signed"),
        ("KR-2", "O-2", "Renewal calls held"),
    ] {
        let mut kr = KeyResult::new(key, objective, title, KrKind::Metric);
        kr.baseline = Some(0.0);
        kr.target = Some(10.0);
        s.create_key_result(&kr).await.unwrap();
    }
    s.commit().await.unwrap();
    for (key, team, access) in [
        ("carl", None, Access::Admin),
        ("sam", Some("sales"), Access::Editor),
        ("mia", Some("marketing"), Access::Editor),
    ] {
        people::save_user(
            &ws,
            UserChange {
                key: key.into(),
                email: Some(format!("{key}@acme.test")),
                team: team.map(String::from),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        accounts::set_login(&ws, key, access, Some(PASSWORD.into()))
            .await
            .unwrap();
    }
    okapi_app::refresh::refresh_workspace(&ws, true)
        .await
        .unwrap();
    (dir, ws)
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn driver() -> Driver {
    for path in [CHROMEDRIVER, CHROMIUM] {
        assert!(
            std::path::Path::new(path).exists(),
            "{path} is missing: the browser tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run installs them)"
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver { child, port };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on port {port}");
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a chromium session")
}

/// Survey responses: one comment in February, two in March, and a March
/// score without a comment. The churn page of March shows the two March
/// comments, the newest first.
const SURVEYS: &str = "\
responded_at,kind,score,account_id,user_id,comment
2026-02-10T10:00:00Z,nps,9,a1,,Everything we needed
2026-03-05T10:00:00Z,nps,3,a5,,Too expensive for what we use
2026-03-12T10:00:00Z,csat,2,a6,,Support took a week to answer
2026-03-15T10:00:00Z,nps,10,a3,,
";

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots().join(format!("{name}.png")), png).unwrap();
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Marks the page's header, to tell a partial update (the mark stays)
/// from a new page (it goes).
async fn mark_header(c: &Client) {
    c.execute(
        "document.querySelector('header.top').dataset.mark = 'kept'",
        vec![],
    )
    .await
    .unwrap();
}

async fn header_marked(c: &Client) -> bool {
    c.execute(
        "return document.querySelector('header.top').dataset.mark === 'kept'",
        vec![],
    )
    .await
    .unwrap()
        == serde_json::json!(true)
}

/// How many visible form fields of the page have no label (neither inside
/// one nor named by one's `for`).
async fn unlabelled(c: &Client) -> u64 {
    c.execute(
        "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')].filter(e => !e.closest('label') && !(e.id && document.querySelector('label[for=\"' + e.id + '\"]'))).length",
        vec![],
    )
    .await
    .unwrap()
    .as_u64()
    .unwrap()
}

/// Clicks the element `css` matches.
async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}`: {e}"))
        .click()
        .await
        .unwrap();
}

/// Types `text` into the element `css` matches.
async fn type_into(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}`: {e}"))
        .send_keys(text)
        .await
        .unwrap();
}

/// Waits until `css` matches, for pages that htmx swaps in.
async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}` never appeared: {e}"))
}

async fn log_in(c: &Client, addr: SocketAddr, user: &str, to: &str) {
    c.goto(&format!("http://{addr}{to}")).await.unwrap();
    // Not logged in: the login page, which comes back here after.
    wait_for(c, "input[name=user]").await;
    assert!(c.current_url().await.unwrap().path() == "/login");
    type_into(c, "input[name=user]", user).await;
    type_into(c, "input[name=password]", PASSWORD).await;
    click(c, "button[type=submit]").await;
    wait_for(c, "main#main h1").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url::Url::parse(&format!("http://{addr}{to}")).unwrap())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_use_the_pages_in_a_browser() {
    let (_dir, ws) = workspace().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(okapi_server::serve(listener, ws.clone()));
    let driver = driver().await;
    let c = browser(&driver).await;

    // A wrong password is refused on the page, in words.
    c.goto(&format!("http://{addr}/")).await.unwrap();
    wait_for(&c, "input[name=user]").await;
    shot(&c, "login").await;
    type_into(&c, "input[name=user]", "carl@acme.test").await;
    type_into(&c, "input[name=password]", "not the password").await;
    click(&c, "button[type=submit]").await;
    let refused = wait_for(&c, "p.error").await.text().await.unwrap();
    assert!(refused.contains("Wrong email"), "{refused}");

    // The admin logs in with their email and lands on the executive home.
    log_in(&c, addr, "carl@acme.test", "/").await;
    let churn = text(&c, "a.tile[data-kpi=customer_churn_rate]").await;
    assert!(churn.contains("40.0%"), "{churn}");
    assert!(churn.contains("+20.0 pts"), "{churn}");
    let churn_change = c
        .find(Locator::Css(
            "a.tile[data-kpi=customer_churn_rate] .foot .change",
        ))
        .await
        .unwrap()
        .attr("class")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(churn_change, "change bad");
    let nrr = text(&c, "a.tile[data-kpi=net_revenue_retention]").await;
    assert!(nrr.contains("84.2%") && nrr.contains("+10.9 pts"), "{nrr}");
    let nrr_change = c
        .find(Locator::Css(
            "a.tile[data-kpi=net_revenue_retention] .foot .change",
        ))
        .await
        .unwrap()
        .attr("class")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(nrr_change, "change good");
    // Seven executive subjects, with a sparkline each.
    assert_eq!(c.find_all(Locator::Css("a.tile")).await.unwrap().len(), 7);
    assert_eq!(
        c.find_all(Locator::Css("a.tile svg.spark"))
            .await
            .unwrap()
            .len(),
        7
    );
    shot(&c, "home").await;

    // The keyboard: the first Tab lands on the link that skips to the
    // content.
    type_into(&c, "body", "\u{E004}").await;
    let focused = c.active_element().await.unwrap();
    assert_eq!(focused.text().await.unwrap(), "Skip to content");
    // The page prints (to PDF, as a browser does).
    let pdf = c
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    std::fs::write(shots().join("home.pdf"), &pdf).unwrap();

    // The MRR bridge of March: 950 on February 28, a5 (100) and a6 (50)
    // churned, nothing else moved: 800 at the end.
    click(&c, "nav.main a[href='/mrr']").await;
    wait_for(&c, "#months").await;
    assert_eq!(text(&c, "#bridge-h").await, "The bridge of March 2026");
    let summaries = c.find_all(Locator::Css("details summary")).await.unwrap();
    assert_eq!(summaries.len(), 1, "only churn moved in March");
    assert_eq!(
        summaries[0].text().await.unwrap(),
        "Churn · 2 accounts · 150.00"
    );
    summaries[0].click().await.unwrap();
    let churned = text(&c, "table[data-movement=churn] tbody").await;
    assert!(
        churned.contains("a5") && churned.contains("a6"),
        "{churned}"
    );
    let march = text(&c, "#months tbody tr:first-child").await;
    assert!(march.starts_with("Mar 2026 950.00"), "{march}");
    assert!(march.contains("150.00 800.00"), "{march}");
    shot(&c, "mrr").await;

    // The journey: without visits or leads only the new customers of March
    // (none) are known.
    click(&c, "nav.main a[href='/journey']").await;
    wait_for(&c, "#funnel-h").await;
    let funnel = text(&c, "svg.funnel").await;
    assert!(
        funnel.contains("Visitors") && funnel.contains("—"),
        "{funnel}"
    );
    shot(&c, "journey").await;
    // Customers: without events nobody can be called inactive, and the
    // page says why rather than showing an empty list.
    click(&c, "nav.main a[href='/customers']").await;
    wait_for(&c, "#inactive-h").await;
    let inactive = text(&c, "#inactive-h + p.empty").await;
    assert!(inactive.contains("no events table"), "{inactive}");
    shot(&c, "customers").await;
    click(&c, "nav.main a[href='/']").await;
    wait_for(&c, "a.tile[data-kpi=customer_churn_rate]").await;

    // A KPI's page, then another grain.
    click(&c, "a.tile[data-kpi=customer_churn_rate]").await;
    wait_for(&c, "#latest").await;
    assert_eq!(text(&c, "h1").await, "Customer churn rate");
    assert_eq!(text(&c, "#latest").await, "40.0%");
    // Three monthly values: January has none (nobody paid before it).
    let dots = c
        .find_all(Locator::Css("#series svg.chart circle"))
        .await
        .unwrap();
    assert_eq!(dots.len(), 2);
    let said: Vec<String> = {
        let mut out = Vec::new();
        for li in c.find_all(Locator::Css("#comments li")).await.unwrap() {
            out.push(li.text().await.unwrap());
        }
        out
    };
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(
        said[0].starts_with("“Support took a week to answer”"),
        "{said:?}"
    );
    assert!(
        said[1].starts_with("“Too expensive for what we use”"),
        "{said:?}"
    );
    shot(&c, "kpi-month").await;
    mark_header(&c).await;
    click(&c, "a[data-grain=week]").await;
    wait_for(&c, "a[data-grain=week][aria-current=true]").await;
    assert!(
        c.current_url()
            .await
            .unwrap()
            .query()
            .unwrap()
            .contains("grain=week")
    );
    assert!(
        text(&c, ".tile .name")
            .await
            .to_lowercase()
            .contains("latest week")
    );
    // Weeks from the one of 2026-01-01 to the one of 2026-03-20: more
    // points than months.
    let weekly = c
        .find_all(Locator::Css("#series svg.chart circle"))
        .await
        .unwrap();
    assert!(weekly.len() > 3, "{} weekly values", weekly.len());
    shot(&c, "kpi-week").await;

    // The OKR tree: the sales objective under the company's.
    click(&c, "nav.main a[href='/okrs']").await;
    wait_for(&c, "ul.tree").await;
    let nested = c
        .find(Locator::Css(
            "ul.tree > li > article[data-objective=O-1] + ul > li > article[data-objective=O-2]",
        ))
        .await;
    assert!(nested.is_ok(), "O-2 is not shown under O-1");
    shot(&c, "okrs").await;

    // The coach: each objective has one key result where about three are
    // usual (okrs.md), so each gets that note.
    click(&c, "nav.main a[href='/review']").await;
    wait_for(&c, "#findings").await;
    let notes = c
        .find_all(Locator::Css("#findings tr[data-rule=kr-count]"))
        .await
        .unwrap();
    assert_eq!(notes.len(), 2);
    for n in &notes {
        assert!(n.text().await.unwrap().contains("1 key result(s)"));
    }
    shot(&c, "review").await;
    click(&c, "nav.main a[href='/okrs']").await;
    wait_for(&c, "ul.tree").await;

    // Check in on KR-1: 0 → 10, a value of 4 scores 0.40.
    click(&c, "tr[data-kr=KR-1] a").await;
    wait_for(&c, "#score").await;
    let before = c
        .find(Locator::Css("#score"))
        .await
        .unwrap()
        .attr("data-value")
        .await
        .unwrap();
    assert_eq!(before.as_deref(), Some("0.00"));
    let lines_before = c
        .find_all(Locator::Css("svg.progress polyline"))
        .await
        .unwrap()
        .len();
    assert_eq!(unlabelled(&c).await, 0, "a form field without a label");
    let value = c.find(Locator::Css("input[name=value]")).await.unwrap();
    value.clear().await.unwrap();
    value.send_keys("4").await.unwrap();
    type_into(
        &c,
        "textarea[name=note]",
        "Four renewals signed in the first weeks",
    )
    .await;
    mark_header(&c).await;
    click(&c, "form[action='/krs/KR-1/check-in'] button").await;
    wait_for(&c, "p.notice").await;
    let after = c
        .find(Locator::Css("#score"))
        .await
        .unwrap()
        .attr("data-value")
        .await
        .unwrap();
    assert_eq!(after.as_deref(), Some("0.40"));
    assert!(
        header_marked(&c).await,
        "the check-in reloaded the whole page"
    );
    assert_eq!(text(&c, "#current").await, "4");
    assert!(text(&c, "#checkins").await.contains("Four renewals signed"));
    // The chart gained its first check-in: a dot it did not have.
    let dots = c
        .find_all(Locator::Css("svg.progress circle"))
        .await
        .unwrap();
    assert_eq!(dots.len(), 1);
    assert_eq!(lines_before, 0);
    shot(&c, "kr").await;

    // Stored, not only shown.
    let h = okapi_app::okr_views::history(&ws, "KR-1").await.unwrap();
    assert_eq!(h.checkins.len(), 1);
    assert_eq!(h.checkins[0].checkin.value, Some(4.0));
    assert_eq!(h.checkins[0].checkin.author.as_deref(), Some("carl"));

    // Settings: the admin creates a reading token, sees its secret once,
    // the token opens the API, and revoked it opens nothing.
    click(&c, "nav.main a[href='/settings']").await;
    wait_for(&c, "#people").await;
    assert!(text(&c, "#people").await.contains("mia"));
    type_into(
        &c,
        "form[action='/settings/tokens'] input[name=name]",
        "wall-screen",
    )
    .await;
    click(&c, "form[action='/settings/tokens'] button").await;
    let secret = wait_for(&c, "#token-secret").await.text().await.unwrap();
    assert!(secret.starts_with("okapi_"), "{secret}");
    shot(&c, "settings").await;
    assert_eq!(unlabelled(&c).await, 0, "a form field without a label");
    let api = |secret: String| {
        format!(
            "return fetch('/api/v1/workspace', {{credentials: 'omit', headers: {{Authorization: 'Bearer {secret}'}}}}).then(r => r.status)"
        )
    };
    let status = c.execute(&api(secret.clone()), vec![]).await.unwrap();
    assert_eq!(status, serde_json::json!(200));
    let id = c
        .find(Locator::Css("#tokens tr[data-token]"))
        .await
        .unwrap()
        .attr("data-token")
        .await
        .unwrap()
        .unwrap();
    click(
        &c,
        &format!("form[action='/settings/tokens/{id}/revoke'] button"),
    )
    .await;
    wait_for(&c, "p.notice").await;
    assert!(
        text(&c, &format!("tr[data-token='{id}']"))
            .await
            .contains("revoked")
    );
    assert!(
        c.find(Locator::Css("#token-secret")).await.is_err(),
        "a secret shown twice"
    );
    let status = c.execute(&api(secret), vec![]).await.unwrap();
    assert_eq!(status, serde_json::json!(401));

    // Log out; the marketing editor may read KR-2 (sales') but not check in.
    click(&c, "form[action='/logout'] button").await;
    wait_for(&c, "input[name=user]").await;
    log_in(&c, addr, "mia", "/krs/KR-2").await;
    assert!(
        c.find(Locator::Css("form[action='/krs/KR-2/check-in']"))
            .await
            .is_err()
    );
    assert!(text(&c, "#checkin-h + p").await.contains("not check in"));
    // A post made anyway, from the page's own origin, is refused.
    let status = c
        .execute(
            "return fetch('/krs/KR-2/check-in', {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'value=3'}).then(r => r.status)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status, serde_json::json!(403));
    shot(&c, "kr-refused").await;
    let h = okapi_app::okr_views::history(&ws, "KR-2").await.unwrap();
    assert!(h.checkins.is_empty(), "the refused check-in was written");

    // An editor reads the settings but sees neither people nor tokens, and
    // a token made anyway is refused.
    c.goto(&format!("http://{addr}/settings")).await.unwrap();
    wait_for(&c, "#teams-h").await;
    assert!(c.find(Locator::Css("#people")).await.is_err());
    assert!(c.find(Locator::Css("#tokens-h")).await.is_err());
    let status = c
        .execute(
            "return fetch('/settings/tokens', {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'name=mine&access=write'}).then(r => r.status)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status, serde_json::json!(403));
    assert_eq!(okapi_app::tokens::list(&ws).await.unwrap().len(), 1);

    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    // The reports, as files a person saves and opens: each lays out
    // without scrolling sideways in a narrow window, and prints to PDF.
    let weekly = okapi_app::weekly::report(&ws, Some(d("2026-03-31")), d("2026-03-31"))
        .await
        .unwrap();
    let quarter = okapi_app::report_markdown::report(
        &ws,
        okapi_app::okr_views::StatusQuery::default(),
        d("2026-03-31"),
        true,
    )
    .await
    .unwrap();
    c.set_window_size(800, 1000).await.unwrap();
    for (name, page) in [
        ("weekly-report", okapi_app::weekly::html(&weekly)),
        ("quarter-report", quarter),
    ] {
        let file = shots().join(format!("{name}.html"));
        std::fs::write(&file, page).unwrap();
        c.goto(&format!("file://{}", file.display())).await.unwrap();
        wait_for(&c, "h1").await;
        let overflow = c
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(overflow, serde_json::json!(0), "{name} scrolls sideways");
        shot(&c, name).await;
        let pdf = c
            .print(fantoccini::wd::PrintConfiguration::default())
            .await
            .unwrap();
        assert!(pdf.starts_with(b"%PDF"), "{name} is not a PDF");
        std::fs::write(shots().join(format!("{name}.pdf")), &pdf).unwrap();
    }
    assert!(text(&c, "h1").await.starts_with("OKR report — "));

    c.close().await.unwrap();
}
