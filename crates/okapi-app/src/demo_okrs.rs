//! The demo workspace: OKRs over the demo company's data, so that every OKR
//! command has something to show on day one.
//!
//! Written next to the data: `okapi.toml` (workspace `demo`, data in the
//! same directory), `okrs.toml` (the OKRs as code, applied) and `okapi.db`.
//! The demo's "now" is four weeks after the data's last day: the current
//! cycle is the quarter containing the day after the data ends, with weekly
//! check-ins up to now; the quarter before it is closed, with grades and
//! reflections. KPI-linked KRs take their baselines from the data and their
//! check-ins from the engine; targets are set from the baseline (+10% for
//! KPIs where higher is better, −15% where lower is), so whether they are
//! met depends on the generated data.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::error::AppError;
use okapi_engine::source::DataLocation;

type Result<T> = std::result::Result<T, AppError>;
use chrono::{Days, NaiveDate, NaiveTime};
use okapi_core::catalog::Direction;
use okapi_core::okr::Confidence;
use okapi_core::period::Grain;
use okapi_core::settings::{Profile, Settings};
use okapi_store::{CheckInSource, NewCheckIn, Store, sqlite_url};

use crate::kpi_reader::{KpiReader, direction};
use crate::okr_file as file;
use crate::workspace::toml_str;

/// What the demo workspace holds, for the summary.
#[derive(Debug, Clone)]
pub struct DemoWorkspace {
    pub current: String,
    pub past: String,
    pub objectives: usize,
    pub key_results: usize,
    pub checkins: usize,
}

struct KrPlan {
    key: &'static str,
    /// KPI-linked KRs: the relative change aimed for.
    change: f64,
    title: &'static str,
    kpi: Option<&'static str>,
    unit: &'static str,
    /// Metric KRs: baseline, target and the share reached by the end.
    manual: Option<(f64, f64, f64)>,
    why: &'static str,
    funnel: &'static str,
    leading: bool,
    kr_type: &'static str,
}

struct ObjPlan {
    key: &'static str,
    title: &'static str,
    why: &'static str,
    team: Option<&'static str>,
    owner: Option<&'static str>,
    parent: Option<&'static str>,
    committed: bool,
    krs: Vec<KrPlan>,
}

fn kpi_kr(
    key: &'static str,
    title: &'static str,
    kpi: &'static str,
    unit: &'static str,
    why: &'static str,
    funnel: &'static str,
    kr_type: &'static str,
) -> KrPlan {
    KrPlan {
        key,
        change: 0.10,
        title,
        kpi: Some(kpi),
        unit,
        manual: None,
        why,
        funnel,
        leading: false,
        kr_type,
    }
}

fn metric_kr(
    key: &'static str,
    title: &'static str,
    unit: &'static str,
    plan: (f64, f64, f64),
    why: &'static str,
) -> KrPlan {
    KrPlan {
        key,
        change: 0.0,
        title,
        kpi: None,
        unit,
        manual: Some(plan),
        why,
        funnel: "top",
        leading: true,
        kr_type: "input",
    }
}

/// The OKRs of one cycle; `p` prefixes keys (`Q3-` for the past cycle).
fn plan(profile: Profile, past: bool) -> Vec<ObjPlan> {
    let b2b = profile == Profile::B2b;
    let mut v = vec![
        ObjPlan {
            key: "C-1",
            title: "Customers stay and grow with us",
            why: "Retained, expanding customers compound; new logos alone do not.",
            team: None,
            owner: Some("eva"),
            parent: None,
            committed: !past,
            krs: vec![
                KrPlan {
                    change: 0.03,
                    ..kpi_kr(
                        "KR-1",
                        "Raise net revenue retention 3%",
                        "net_revenue_retention",
                        "percent",
                        "Expansion must outpace churn for growth to compound.",
                        "bottom",
                        "outcome",
                    )
                },
                kpi_kr(
                    "KR-2",
                    "Cut monthly customer churn 15%",
                    "customer_churn_rate",
                    "percent",
                    "Every customer kept is revenue that does not have to be won again.",
                    "bottom",
                    "outcome",
                ),
            ],
        },
        ObjPlan {
            key: "M-1",
            title: "Build a sustainable organic search channel",
            why: "Paid acquisition gets dearer every quarter; search compounds.",
            team: Some("marketing"),
            owner: None,
            parent: Some("C-1"),
            committed: false,
            krs: vec![
                metric_kr(
                    "KR-3",
                    "Publish 12 in-depth articles on our customers' top questions",
                    "articles",
                    (0.0, 12.0, if past { 0.75 } else { 0.6 }),
                    "Content is the input search rewards.",
                ),
                kpi_kr(
                    "KR-4",
                    "Grow monthly visitors 10%",
                    "visitors",
                    "count",
                    "Visitors show the channel starts to work.",
                    "top",
                    "output",
                ),
            ],
        },
        ObjPlan {
            key: "CS-1",
            title: "Customers reach value in weeks, not months",
            why: "Customers who see value early stay and expand.",
            team: Some("customer-success"),
            owner: Some("chloe"),
            parent: Some("C-1"),
            committed: false,
            krs: vec![
                kpi_kr(
                    "KR-5",
                    "Cut inactive paying accounts by a third",
                    "inactive_accounts",
                    "count",
                    "Silent accounts churn at renewal.",
                    "bottom",
                    "outcome",
                ),
                kpi_kr(
                    "KR-6",
                    if b2b {
                        "Cut time to value 15%"
                    } else {
                        "Raise DAU/MAU 10%"
                    },
                    if b2b { "time_to_value" } else { "dau_mau" },
                    if b2b { "days" } else { "ratio" },
                    "The sooner customers use the product, the longer they stay.",
                    "bottom",
                    "outcome",
                ),
            ],
        },
        ObjPlan {
            key: "P-1",
            title: "Make the first week with okapi effortless",
            why: "Set-up friction is where new customers stall.",
            team: None,
            owner: Some("dev"),
            parent: Some("CS-1"),
            committed: false,
            krs: vec![metric_kr(
                "KR-7",
                "Get 40 new accounts through guided setup",
                "accounts",
                (0.0, 40.0, if past { 0.9 } else { 0.55 }),
                "Guided setup is the product's first impression.",
            )],
        },
    ];
    if past {
        v.truncate(3);
    }
    v
}

/// A metric KR's key, (baseline, target, share reached) and cycle dates.
type ManualKr = (String, (f64, f64, f64), NaiveDate, NaiveDate);

/// Quarter containing `day`.
fn quarter_of(day: NaiveDate) -> Result<(String, NaiveDate, NaiveDate)> {
    let key = file::quarter_key(day);
    let (s, e) = file::dates_from_key(&key)
        .ok_or_else(|| AppError::Internal(format!("no dates for quarter `{key}`")))?;
    Ok((key, s, e))
}

/// `day` plus `n` days, or an error at the end of the calendar.
fn plus(day: NaiveDate, n: u64) -> Result<NaiveDate> {
    day.checked_add_days(Days::new(n))
        .ok_or_else(|| AppError::Invalid(format!("{day} + {n} days is beyond the calendar")))
}

/// A time of day (constants of the demo).
fn at(day: NaiveDate, h: u32, m: u32) -> chrono::DateTime<chrono::Utc> {
    day.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN))
        .and_utc()
}

/// The confidence the pace gives a KR whose values so far are `values`,
/// on `on` in the cycle `[start, end]`, as for any computed check-in.
fn paced(
    kr: Option<&okapi_store::KeyResult>,
    values: &[f64],
    (start, end): (NaiveDate, NaiveDate),
    on: NaiveDate,
    tolerance: f64,
) -> Confidence {
    let Some(score) = kr.and_then(|k| k.score(values).ok()) else {
        return Confidence::OnTrack;
    };
    let p = okapi_core::pace::pace(start, end, on, score, tolerance);
    okapi_core::pace::confidence_from_pace(p.at_risk, p.expected, score)
}

/// Writes the workspace files and database into `dir` (the demo data
/// directory, whose last day of data is `end`).
pub async fn create(dir: &Path, profile: Profile, end: NaiveDate) -> Result<DemoWorkspace> {
    let settings_text = format!(
        "# The demo company: settings, and where its OKRs and data are.\nprofile = \"{}\"\n\n[workspace]\nid = \"demo\"\nname = \"Demo company ({})\"\ndata = \".\"\n",
        profile.as_str(),
        profile.as_str()
    );
    let settings = Settings::from_toml(&settings_text)?;
    // `dir` is a fresh build directory (see `crate::staging`).
    std::fs::write(dir.join("okapi.toml"), &settings_text)?;

    let (cur_key, cur_start, cur_end) = quarter_of(plus(end, 1)?)?;
    let now = plus(end, 28)?.min(cur_end);
    let (past_key, past_start, past_end) = quarter_of(
        cur_start
            .pred_opt()
            .ok_or_else(|| AppError::Internal("a quarter before the calendar".into()))?,
    )?;
    let mut reader = KpiReader::new(&settings, DataLocation::Dir(dir.to_path_buf()));
    // Every KPI the plan reads, computed now in one pass over the data:
    // nothing is computed later, inside the write session.
    let planned: Vec<&'static str> = [true, false]
        .into_iter()
        .flat_map(|past| plan(profile, past))
        .flat_map(|o| o.krs.into_iter().filter_map(|k| k.kpi))
        .collect();
    reader.prefetch(planned.iter().map(|k| (*k, None, Grain::Month)))?;

    // The OKR file: targets of KPI-linked KRs from the data's baseline.
    let mut okrs = String::from(
        "# The demo company's OKRs as code: `okapi okr apply okrs.toml` applies\n# changes; applying it again changes nothing.\n\n",
    );
    let _ = writeln!(
        okrs,
        "vision = \"Every SaaS team runs on numbers it trusts\"\n"
    );
    for (key, name, mission) in [
        (
            "marketing",
            "Marketing",
            "Make us the first name buyers think of",
        ),
        ("sales", "Sales", "Turn interest into customers who fit"),
        (
            "customer-success",
            "Customer success",
            "Every customer reaches value, and stays",
        ),
        ("product", "Product", "A product people use every week"),
    ] {
        let _ = writeln!(
            okrs,
            "[[team]]\nkey = \"{key}\"\nname = \"{name}\"\nmission = {}\n",
            toml_str(mission)
        );
    }
    for (key, name, team, role) in [
        ("eva", "Eva Martin", None, "Chief executive"),
        ("ana", "Ana Lima", Some("marketing"), "Head of marketing"),
        ("ben", "Ben Okafor", Some("sales"), "Head of sales"),
        (
            "chloe",
            "Chloé Durand",
            Some("customer-success"),
            "Head of customer success",
        ),
        ("dev", "Dev Patel", Some("product"), "Product manager"),
    ] {
        let _ = writeln!(
            okrs,
            "[[user]]\nkey = \"{key}\"\nname = {}\nemail = \"{key}@example.com\"\nrole = \"{role}\"{}\n",
            toml_str(name),
            team.map(|t| format!("\nteam = \"{t}\""))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(
        okrs,
        "[[cycle]]\nkey = \"{past_key}\"\nstate = \"active\"\n\n[[cycle]]\nkey = \"{cur_key}\"\nstate = \"active\"\n"
    );
    let mut kr_count = 0;
    let mut obj_count = 0;
    let mut kpi_krs: Vec<(String, &'static str, NaiveDate, NaiveDate)> = Vec::new();
    let mut manual_krs: Vec<ManualKr> = Vec::new();
    for (past, ckey, cstart, cend) in [
        (true, &past_key, past_start, past_end),
        (false, &cur_key, cur_start, cur_end),
    ] {
        let prefix = if past { "Q-" } else { "" };
        for o in plan(profile, past) {
            let mut krs = String::new();
            for k in &o.krs {
                let key = format!("{prefix}{}", k.key);
                let numbers = match (k.kpi, k.manual) {
                    (Some(kpi), _) => {
                        let day_before = cstart.pred_opt().unwrap_or(cstart);
                        let Ok(base) = reader.value_on(kpi, None, Grain::Month, day_before) else {
                            continue;
                        };
                        let b = base.value;
                        let change = match (k.kpi, direction(&settings, kpi)) {
                            (Some("inactive_accounts"), _) => -0.34,
                            (_, Direction::Higher) => k.change,
                            (_, Direction::Lower) => -0.15,
                        };
                        let mut t = b * (1.0 + change);
                        if k.unit == "count" {
                            t = if change > 0.0 { t.ceil() } else { t.floor() };
                        }
                        if (t - b).abs() < 1e-9 {
                            continue;
                        }
                        kpi_krs.push((key.clone(), kpi, cstart, cend));
                        format!(
                            "kpi = \"{kpi}\"\nbaseline = {}\ntarget = {}\n",
                            round(b),
                            round(t)
                        )
                    }
                    (None, Some(m)) => {
                        manual_krs.push((key.clone(), m, cstart, cend));
                        format!("baseline = {}\ntarget = {}\n", m.0, m.1)
                    }
                    (None, None) => continue,
                };
                kr_count += 1;
                let _ = write!(
                    krs,
                    "\n[[objective.kr]]\nkey = \"{key}\"\ntitle = {}\n{numbers}unit = \"{}\"\ntype = \"{}\"\nfunnel = \"{}\"\nleading = {}\nwhy = {}\n",
                    toml_str(k.title),
                    k.unit,
                    k.kr_type,
                    k.funnel,
                    k.leading,
                    toml_str(k.why)
                );
            }
            obj_count += 1;
            let level = if o.parent.is_none() {
                "company"
            } else if o.team.is_some() {
                "team"
            } else {
                "person"
            };
            let _ = write!(
                okrs,
                "[[objective]]\nkey = \"{prefix}{}\"\ncycle = \"{ckey}\"\ntitle = {}\nwhy = {}\nlevel = \"{level}\"\n{}{}{}committed = {}\nstate = \"active\"\n{krs}\n",
                o.key,
                toml_str(o.title),
                toml_str(o.why),
                o.team
                    .map(|t| format!("team = \"{t}\"\n"))
                    .unwrap_or_default(),
                o.owner
                    .map(|t| format!("owner = \"{t}\"\n"))
                    .unwrap_or_default(),
                o.parent
                    .map(|p| format!("parent = \"{prefix}{p}\"\n"))
                    .unwrap_or_default(),
                o.committed,
            );
        }
    }
    let okrs_path = dir.join("okrs.toml");
    std::fs::write(&okrs_path, &okrs)?;

    let url = sqlite_url(&dir.join("okapi.db"));
    let parsed = file::parse(&okrs_path, &okrs)?;
    let checkins = async {
        let store = Store::connect(&url).await?;
        store.migrate().await?;
        store
            .create_workspace(
                "demo",
                &format!("Demo company ({})", profile.as_str()),
                profile.as_str(),
                now.and_time(NaiveTime::MIN).and_utc(),
            )
            .await?;
        let mut s = store.session("demo").await?;
        // Every KR of the demo's file gives its baseline: none is read from
        // the data inside this transaction.
        let baselines = file::DataBaselines::new();
        file::apply(&mut s, &parsed, &okrs_path, &okrs, &settings, &baselines).await?;
        // Weekly check-ins, Mondays from the second week, with the
        // confidence their pace gives.
        let stored: BTreeMap<String, okapi_store::KeyResult> = s
            .key_results(None)
            .await?
            .into_iter()
            .map(|k| (k.key.clone(), k))
            .collect();
        let tolerance = settings.okrs.pace_tolerance;
        let mut n = 0;
        let authors = ["ana", "ben", "chloe", "dev", "eva"];
        let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (key, kpi, cstart, cend) in &kpi_krs {
            let mut day = plus(*cstart, 7)?;
            let last = (*cend).min(now);
            let mut author = authors.iter().cycle();
            while day <= last {
                if let Ok(r) = reader.value_on(kpi, None, Grain::Month, day) {
                    let seen = values.entry(key.clone()).or_default();
                    seen.push(r.value);
                    s.check_in(&NewCheckIn {
                        kr: key.clone(),
                        at: at(day, 9, 0),
                        value: Some(r.value),
                        confidence: paced(stored.get(key), seen, (*cstart, *cend), day, tolerance),
                        note: Some(format!("computed from month {}", r.period.start)),
                        author: author.next().map(|a| a.to_string()),
                        source: CheckInSource::Kpi,
                    })
                    .await?;
                    n += 1;
                }
                day = plus(day, 7)?;
            }
        }
        let notes = [
            "Started; first pieces in review.",
            "Steady week.",
            "Slower: two people out.",
            "Back on pace after the push.",
            "Good week, the pipeline of work is full.",
            "Blocked on design review, unblocked Friday.",
        ];
        for (key, (base, target, reach), cstart, cend) in &manual_krs {
            let weeks = ((*cend - *cstart).num_days() / 7).max(1) as f64;
            let mut day = plus(*cstart, 7)?;
            let last = (*cend).min(now);
            let mut w = 1.0;
            while day <= last {
                // Progress along a straight line to `reach` of the way.
                let v = (base + (target - base) * reach * (w / weeks).min(1.0)).round();
                let behind = (w / weeks) * 0.85 > reach * (w / weeks) + 0.15;
                s.check_in(&NewCheckIn {
                    kr: key.clone(),
                    at: at(day, 9, 30),
                    value: Some(v),
                    confidence: if behind {
                        Confidence::AtRisk
                    } else {
                        Confidence::OnTrack
                    },
                    note: notes.get((w as usize) % notes.len()).map(|n| n.to_string()),
                    author: Some(if key.contains("KR-3") { "ana" } else { "dev" }.to_string()),
                    source: CheckInSource::Manual,
                })
                .await?;
                n += 1;
                day = plus(day, 7)?;
                w += 1.0;
            }
        }
        // The past quarter closes with its final KPI values and reflections.
        for (key, kpi, cstart, cend) in kpi_krs.iter().filter(|k| k.2 == past_start) {
            if let Ok(r) = reader.value_on(kpi, None, Grain::Month, *cend) {
                let seen = values.entry(key.clone()).or_default();
                seen.push(r.value);
                // At the close the cycle is over: the pace expects 1.0.
                let after = plus(*cend, 1)?;
                s.check_in(&NewCheckIn {
                    kr: key.clone(),
                    at: at(*cend, 18, 0),
                    value: Some(r.value),
                    confidence: paced(stored.get(key), seen, (*cstart, *cend), after, tolerance),
                    note: Some(format!("value at close (month {})", r.period.start)),
                    author: None,
                    source: CheckInSource::Kpi,
                })
                .await?;
                n += 1;
            }
        }
        let reflections = BTreeMap::from([
            (
                "Q-KR-3".to_string(),
                "Nine of twelve articles: the last three slipped behind launch work. Plan for 10 next quarter.".to_string(),
            ),
            (
                "Q-KR-1".to_string(),
                "Expansion came from a handful of accounts; retention work needs to reach the long tail.".to_string(),
            ),
        ]);
        let reflections: BTreeMap<String, String> = {
            let krs = s.key_results(Some(&past_key)).await?;
            reflections
                .into_iter()
                .filter(|(k, _)| krs.iter().any(|kr| &kr.key == k))
                .collect()
        };
        s.close_cycle(&past_key, &reflections).await?;
        s.commit().await?;
        store.close().await;
        Ok::<_, AppError>(n)
    }
    .await?;
    Ok(DemoWorkspace {
        current: cur_key,
        past: past_key,
        objectives: obj_count,
        key_results: kr_count,
        checkins,
    })
}

fn round(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}
