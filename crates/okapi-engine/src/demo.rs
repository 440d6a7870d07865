//! The demo company: a deterministic generator of a realistic SaaS
//! company's data (every table of `data-model.md`, as Parquet), with
//! stories planted in it for the KPIs to find.
//!
//! The same options (seed included) always produce byte-identical files.
//! Accounts live a simulated life — trial or free plan, paying months,
//! upgrades and downgrades (a plan change ends one subscription row and
//! starts the next on the same day), cancellation, sometimes a comeback —
//! and every other table follows from it: the leads funnel and website
//! visits, the sales pipeline and spend, surveys, support tickets,
//! onboarding milestones and the product events of the accounts' users.
//!
//! The stories ([`DemoSummary::stories`] says where they are):
//! 1. a churn spike in one recent week (3–5× the usual number of accounts
//!    cancelling, mostly small businesses on monthly plans);
//! 2. a recent month where visitor-to-signup rises clearly while
//!    signup-to-PQL falls (a one-click sign-up form bringing low-intent
//!    sign-ups);
//! 3. B2B: one slow onboarding phase (`integration_live` takes about three
//!    times longer than any other phase);
//! 4. paying accounts gone quiet: still paying at the end, no event for 30
//!    to 120 days;
//! 5. months of net negative churn (upsell pushes at quarter ends:
//!    expansion MRR above contraction + churned MRR).
//!
//! Events, the big table, are generated day by day and streamed to the
//! Parquet writer in time order, in bounded memory; the other tables are
//! small and built in memory.
//!
//! Accounts, users and months are referred to by index into the world and
//! the calendar. Where an index could find nothing (a bug of the generator,
//! never of the options), writing returns [`DemoError::Internal`]; the
//! in-memory simulation skips what it cannot find.

mod calendar;
mod events;
mod funnel;
mod io;
mod rnd;
mod sales;
mod sim;
mod voice;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use okapi_core::settings::Profile;

use calendar::Cal;
use funnel::Funnel;
use io::{
    cents, date, dates, integer, ints, money, schema, strs, timestamp, timestamps, utf8,
    write_table,
};
use sim::World;

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub profile: Profile,
    /// Directory the Parquet files are written to (created if missing).
    pub out: PathBuf,
    /// Number of accounts (the CLI's default: 2000).
    pub accounts: u32,
    /// Total number of product events (the CLI's default: 1,000,000).
    pub events: u64,
    /// History length in calendar months (the CLI's default: 24).
    pub months: u32,
    pub seed: u64,
    /// Last day of the data (inclusive).
    pub end: NaiveDate,
}

/// What was generated.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// Table name and rows written, in the order of `data-model.md`.
    pub tables: Vec<(String, u64)>,
    /// First day of the data.
    pub start: NaiveDate,
    /// Last day of the data.
    pub end: NaiveDate,
    /// One line per story, saying where to look.
    pub stories: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {message}")]
    Parquet { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
    /// A bug of the generator: an index that refers to nothing.
    #[error("internal error in the demo generator: {0}")]
    Internal(String),
}

fn internal(what: &str) -> DemoError {
    DemoError::Internal(what.to_string())
}

/// The ids of the accounts referred to by index (`None` stays NULL).
fn account_ids(
    world: &World,
    refs: impl IntoIterator<Item = Option<u32>>,
) -> Result<Vec<Option<&str>>, DemoError> {
    refs.into_iter()
        .map(|r| {
            r.map(|i| {
                world
                    .account(i)
                    .map(|a| a.id.as_str())
                    .ok_or_else(|| internal("a row's account index refers to no account"))
            })
            .transpose()
        })
        .collect()
}

/// RNG streams, one per part of the company.
const STREAM_SIM: u64 = 1;
const STREAM_FUNNEL: u64 = 2;
const STREAM_DEALS: u64 = 3;
const STREAM_SPEND: u64 = 4;
const STREAM_VOICE: u64 = 5;
const STREAM_EVENTS: u64 = 6;

/// Generates the demo company into `opts.out`. `progress` is called every
/// few hundred thousand events with the number of events written so far.
pub fn generate(opts: &DemoOptions, progress: &dyn Fn(u64)) -> Result<DemoSummary, DemoError> {
    if opts.accounts < 10 {
        return Err(DemoError::Invalid(format!(
            "--accounts must be at least 10 (got {})",
            opts.accounts
        )));
    }
    if opts.accounts > 10_000_000 {
        return Err(DemoError::Invalid(format!(
            "--accounts must be at most 10000000 (got {})",
            opts.accounts
        )));
    }
    if opts.months < 3 {
        return Err(DemoError::Invalid(format!(
            "--months must be at least 3 (got {})",
            opts.months
        )));
    }
    if opts.months > 240 {
        return Err(DemoError::Invalid(format!(
            "--months must be at most 240 (got {})",
            opts.months
        )));
    }
    let cal = Cal::new(opts.end, opts.months)
        .ok_or_else(|| DemoError::Invalid(format!("end date {} is out of range", opts.end)))?;
    std::fs::create_dir_all(&opts.out).map_err(|source| DemoError::Io {
        path: opts.out.clone(),
        source,
    })?;

    let world =
        sim::Sim::new(&cal, opts.profile, rnd::stream(opts.seed, STREAM_SIM)).run(opts.accounts);
    let funnel = funnel::generate(&cal, &world, &mut rnd::stream(opts.seed, STREAM_FUNNEL));
    let deals = sales::deals(
        &cal,
        &world,
        &funnel,
        &mut rnd::stream(opts.seed, STREAM_DEALS),
    );
    let spend = sales::spend(
        &cal,
        &world,
        &funnel,
        &mut rnd::stream(opts.seed, STREAM_SPEND),
    );
    let voice = voice::generate(
        &cal,
        &world,
        &funnel,
        &mut rnd::stream(opts.seed, STREAM_VOICE),
    );

    let dir = opts.out.as_path();
    let subscriptions = write_subscriptions(dir, &cal, &world)?;
    let accounts = write_accounts(dir, &world)?;
    let visits = write_visits(dir, &funnel)?;
    let leads = write_leads(dir, &world, &funnel)?;
    let deals_rows = write_deals(dir, &world, &deals)?;
    let spend_rows = write_spend(dir, &cal, &spend)?;
    let surveys = write_surveys(dir, &world, &voice.surveys)?;
    let milestones = write_milestones(dir, &world, &voice.milestones)?;
    let tickets = write_tickets(dir, &world, &voice.tickets)?;
    let ev = events::write(
        dir,
        &cal,
        &world,
        opts.events,
        rnd::stream(opts.seed, STREAM_EVENTS),
        progress,
    )?;

    let stories = stories(&cal, &world, &funnel, &voice, &ev.last_active)?;
    Ok(DemoSummary {
        tables: vec![
            ("subscriptions".into(), subscriptions),
            ("accounts".into(), accounts),
            ("events".into(), ev.rows),
            ("visits".into(), visits),
            ("leads".into(), leads),
            ("deals".into(), deals_rows),
            ("spend".into(), spend_rows),
            ("surveys".into(), surveys),
            ("milestones".into(), milestones),
            ("support_tickets".into(), tickets),
        ],
        start: cal.start,
        end: cal.end,
        stories,
    })
}

fn write_subscriptions(dir: &Path, cal: &Cal, world: &World) -> Result<u64, DemoError> {
    let mut rows: Vec<(usize, &sim::Account, &sim::SubRow)> = world
        .accounts
        .iter()
        .enumerate()
        .flat_map(|(i, a)| a.rows.iter().map(move |r| (i, a, r)))
        .collect();
    // In the order a billing system creates them.
    rows.sort_by_key(|(i, _, r)| (r.start, *i));
    let width = rows.len().to_string().len().max(6);
    let ids: Vec<String> = (1..=rows.len()).map(|n| format!("s{n:0width$}")).collect();
    write_table(
        dir,
        "subscriptions",
        schema(vec![
            utf8("subscription_id", false),
            utf8("account_id", false),
            utf8("plan", true),
            money("mrr"),
            date("start_date", false),
            date("end_date", true),
        ]),
        vec![
            strs(ids.iter().map(|s| Some(s.as_str()))),
            strs(rows.iter().map(|(_, a, _)| Some(a.id.as_str()))),
            strs(rows.iter().map(|(_, _, r)| Some(r.plan))),
            cents(rows.iter().map(|(_, _, r)| r.mrr))?,
            dates(rows.iter().map(|(_, _, r)| Some(cal.epoch_day(r.start)))),
            dates(rows.iter().map(|(_, _, r)| r.end.map(|e| cal.epoch_day(e)))),
        ],
    )
}

fn write_accounts(dir: &Path, world: &World) -> Result<u64, DemoError> {
    let a = &world.accounts;
    write_table(
        dir,
        "accounts",
        schema(vec![
            utf8("account_id", false),
            utf8("name", true),
            timestamp("created_at", false),
            utf8("segment", true),
        ]),
        vec![
            strs(a.iter().map(|a| Some(a.id.as_str()))),
            strs(a.iter().map(|a| a.name.as_deref())),
            timestamps(a.iter().map(|a| Some(a.created))),
            strs(a.iter().map(|a| Some(a.seg.name()))),
        ],
    )
}

fn write_visits(dir: &Path, funnel: &Funnel) -> Result<u64, DemoError> {
    let v = &funnel.visits;
    let width = v
        .iter()
        .map(|v| v.visitor)
        .max()
        .unwrap_or(0)
        .to_string()
        .len()
        .max(7);
    let ids: Vec<String> = v
        .iter()
        .map(|v| format!("v{:0width$}", v.visitor))
        .collect();
    write_table(
        dir,
        "visits",
        schema(vec![
            timestamp("ts", false),
            utf8("visitor_id", false),
            utf8("channel", true),
        ]),
        vec![
            timestamps(v.iter().map(|v| Some(v.ts))),
            strs(ids.iter().map(|s| Some(s.as_str()))),
            strs(v.iter().map(|v| v.channel)),
        ],
    )
}

fn write_leads(dir: &Path, world: &World, funnel: &Funnel) -> Result<u64, DemoError> {
    let l = &funnel.leads;
    let width = l.len().to_string().len().max(6);
    let ids: Vec<String> = (1..=l.len()).map(|n| format!("l{n:0width$}")).collect();
    write_table(
        dir,
        "leads",
        schema(vec![
            utf8("lead_id", false),
            timestamp("created_at", false),
            utf8("source", true),
            timestamp("signup_at", true),
            timestamp("mql_at", true),
            timestamp("pql_at", true),
            timestamp("customer_at", true),
            timestamp("lost_at", true),
            utf8("account_id", true),
        ]),
        vec![
            strs(ids.iter().map(|s| Some(s.as_str()))),
            timestamps(l.iter().map(|l| Some(l.created))),
            strs(l.iter().map(|l| l.source)),
            timestamps(l.iter().map(|l| l.signup)),
            timestamps(l.iter().map(|l| l.mql)),
            timestamps(l.iter().map(|l| l.pql)),
            timestamps(l.iter().map(|l| l.customer)),
            timestamps(l.iter().map(|l| l.lost)),
            strs(account_ids(world, l.iter().map(|l| l.account))?),
        ],
    )
}

fn write_deals(dir: &Path, world: &World, deals: &[sales::Deal]) -> Result<u64, DemoError> {
    let width = deals.len().to_string().len().max(6);
    let ids: Vec<String> = (1..=deals.len()).map(|n| format!("d{n:0width$}")).collect();
    write_table(
        dir,
        "deals",
        schema(vec![
            utf8("deal_id", false),
            utf8("account_id", true),
            utf8("kind", false),
            timestamp("created_at", false),
            timestamp("closed_at", true),
            utf8("status", false),
            money("amount"),
        ]),
        vec![
            strs(ids.iter().map(|s| Some(s.as_str()))),
            strs(account_ids(world, deals.iter().map(|d| d.account))?),
            strs(deals.iter().map(|d| Some(d.kind))),
            timestamps(deals.iter().map(|d| Some(d.created))),
            timestamps(deals.iter().map(|d| d.closed)),
            strs(deals.iter().map(|d| Some(d.status))),
            cents(deals.iter().map(|d| d.amount))?,
        ],
    )
}

fn write_spend(dir: &Path, cal: &Cal, spend: &[sales::Spend]) -> Result<u64, DemoError> {
    let labels: Vec<String> = cal
        .month_bounds()
        .map(|(first, _)| cal.month_label_at(first))
        .collect();
    let months = spend
        .iter()
        .map(|s| {
            labels
                .get(s.month)
                .map(|l| Some(l.as_str()))
                .ok_or_else(|| internal("a spend row's month is not in the data"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    write_table(
        dir,
        "spend",
        schema(vec![
            utf8("month", false),
            utf8("category", false),
            utf8("channel", true),
            money("amount"),
        ]),
        vec![
            strs(months),
            strs(spend.iter().map(|s| Some(s.category))),
            strs(spend.iter().map(|s| s.channel)),
            cents(spend.iter().map(|s| s.amount))?,
        ],
    )
}

fn write_surveys(dir: &Path, world: &World, surveys: &[voice::Survey]) -> Result<u64, DemoError> {
    let users: Vec<Option<String>> = surveys
        .iter()
        .map(|s| s.user.map(|u| world.user_id(u)))
        .collect();
    write_table(
        dir,
        "surveys",
        schema(vec![
            timestamp("responded_at", false),
            utf8("kind", false),
            integer("score"),
            utf8("account_id", true),
            utf8("user_id", true),
            utf8("comment", true),
        ]),
        vec![
            timestamps(surveys.iter().map(|s| Some(s.ts))),
            strs(surveys.iter().map(|s| Some(s.kind))),
            ints(surveys.iter().map(|s| s.score)),
            strs(account_ids(world, surveys.iter().map(|s| s.account))?),
            strs(users.iter().map(|u| u.as_deref())),
            strs(surveys.iter().map(|s| s.comment)),
        ],
    )
}

fn write_milestones(
    dir: &Path,
    world: &World,
    milestones: &[voice::Milestone],
) -> Result<u64, DemoError> {
    write_table(
        dir,
        "milestones",
        schema(vec![
            utf8("account_id", false),
            utf8("milestone", false),
            timestamp("at", false),
        ]),
        vec![
            strs(account_ids(
                world,
                milestones.iter().map(|m| Some(m.account)),
            )?),
            strs(milestones.iter().map(|m| Some(m.name))),
            timestamps(milestones.iter().map(|m| Some(m.at))),
        ],
    )
}

fn write_tickets(dir: &Path, world: &World, tickets: &[voice::Ticket]) -> Result<u64, DemoError> {
    let width = tickets.len().to_string().len().max(6);
    let ids: Vec<String> = (1..=tickets.len())
        .map(|n| format!("t{n:0width$}"))
        .collect();
    write_table(
        dir,
        "support_tickets",
        schema(vec![
            utf8("ticket_id", false),
            utf8("account_id", true),
            timestamp("opened_at", false),
            timestamp("first_response_at", true),
            timestamp("closed_at", true),
        ]),
        vec![
            strs(ids.iter().map(|s| Some(s.as_str()))),
            strs(account_ids(world, tickets.iter().map(|t| t.account))?),
            timestamps(tickets.iter().map(|t| Some(t.opened))),
            timestamps(tickets.iter().map(|t| t.first_response)),
            timestamps(tickets.iter().map(|t| t.closed)),
        ],
    )
}

/// Money in cents as `1234.50`.
fn money_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn pct(num: f64, den: f64) -> f64 {
    if den > 0.0 { 100.0 * num / den } else { 0.0 }
}

/// The stories, measured on the generated data.
fn stories(
    cal: &Cal,
    world: &World,
    funnel: &Funnel,
    voice: &voice::Voice,
    last_active: &[i32],
) -> Result<Vec<String>, DemoError> {
    let mut out = Vec::new();
    out.push(spike_story(cal, world).text);
    out.push(funnel_story(cal, world, funnel)?.text);
    if world.b2b() {
        out.push(onboarding_story(voice).text);
    }
    out.push(quiet_story(cal, world, last_active).text);
    out.push(nrr_story(cal, world).text);
    Ok(out)
}

/// A story's line and the figure that tells it.
struct Story<T> {
    text: String,
    #[cfg_attr(not(test), allow(dead_code))]
    facts: T,
}

/// Accounts paying on day `s` and not on day `e`.
fn churned_between(world: &World, s: i32, e: i32) -> Vec<&sim::Account> {
    world
        .accounts
        .iter()
        .filter(|a| a.mrr_on(s) > 0 && a.mrr_on(e) == 0)
        .collect()
}

/// Facts: accounts churned in the spike week, mean of the weeks before.
fn spike_story(cal: &Cal, world: &World) -> Story<(usize, f64)> {
    let w = world.stories.spike_week;
    let spike = churned_between(world, w - 1, w + 6);
    // The usual: up to twelve complete weeks before the spike.
    let mut usual = Vec::new();
    let mut wk = w - 7;
    while wk >= 0 && usual.len() < 12 {
        usual.push(churned_between(world, wk - 1, wk + 6).len());
        wk -= 7;
    }
    let mean = if usual.is_empty() {
        0.0
    } else {
        usual.iter().sum::<usize>() as f64 / usual.len() as f64
    };
    let smb = spike.iter().filter(|a| a.seg == sim::Segment::Smb).count();
    let who = if world.b2b() {
        format!(", {smb} of them small businesses")
    } else {
        String::new()
    };
    Story {
        text: format!(
            "churn spike in the week of {}: {} accounts cancelled (about {:.1} a week over the {} weeks before){}",
            cal.label(w),
            spike.len(),
            mean,
            usual.len(),
            who
        ),
        facts: (spike.len(), mean),
    }
}

/// Distinct visitors, sign-ups and PQLs of the month of days
/// `[first, next)`.
fn funnel_month(cal: &Cal, funnel: &Funnel, (first, next): (i32, i32)) -> (f64, f64, f64) {
    let (a, b) = (cal.ts(first, 0), cal.ts(next, 0));
    let inside = |t: i64| a <= t && t < b;
    let mut visitors: Vec<u32> = funnel
        .visits
        .iter()
        .filter(|v| inside(v.ts))
        .map(|v| v.visitor)
        .collect();
    visitors.sort_unstable();
    visitors.dedup();
    let signups = funnel
        .leads
        .iter()
        .filter(|l| l.signup.is_some_and(inside))
        .count();
    let pqls = funnel
        .leads
        .iter()
        .filter(|l| l.pql.is_some_and(inside))
        .count();
    (visitors.len() as f64, signups as f64, pqls as f64)
}

/// Facts: visitor-to-signup and signup-to-PQL rates (%) of the month
/// before and of the story's month.
fn funnel_story(cal: &Cal, world: &World, funnel: &Funnel) -> Result<Story<[f64; 4]>, DemoError> {
    // The story's month and the one before: both in the data, which has
    // three months or more.
    let m = world.stories.funnel_month;
    let before = m.checked_sub(1);
    let (Some(span0), Some(span1)) = (before.and_then(|b| cal.month_span(b)), cal.month_span(m))
    else {
        return Err(internal("the sign-up surge's month is not in the data"));
    };
    let (v0, s0, p0) = funnel_month(cal, funnel, span0);
    let (v1, s1, p1) = funnel_month(cal, funnel, span1);
    let facts = [pct(s0, v0), pct(s1, v1), pct(p0, s0), pct(p1, s1)];
    let [v2s0, v2s1, s2p0, s2p1] = facts;
    Ok(Story {
        text: format!(
            "sign-up surge in {}: visitor-to-signup {:.1}% (vs {:.1}% in {}) while signup-to-PQL fell to {:.0}% (vs {:.0}%): a one-click sign-up form brought low-intent sign-ups",
            cal.month_label_at(span1.0),
            v2s1,
            v2s0,
            cal.month_label_at(span0.0),
            s2p1,
            s2p0,
        ),
        facts,
    })
}

/// Facts: mean days of the slow phase, of the slowest other phase.
fn onboarding_story(voice: &voice::Voice) -> Story<(f64, f64)> {
    // Per account, in time order, the days between consecutive milestones.
    let mut by_account: Vec<&voice::Milestone> = voice.milestones.iter().collect();
    by_account.sort_by_key(|m| (m.account, m.at));
    // Per phase: total days and count.
    let mut sums = [(0.0f64, 0u32); voice::PHASES.len()];
    for pair in by_account.windows(2) {
        let [m0, m1] = pair else {
            continue;
        };
        if m0.account != m1.account {
            continue;
        }
        if let Some((_, sum)) = voice::PHASES
            .iter()
            .zip(sums.iter_mut())
            .find(|(p, _)| p.0 == m1.name)
        {
            sum.0 += (m1.at - m0.at) as f64 / calendar::DAY_US as f64;
            sum.1 += 1;
        }
    }
    let means = sums.map(|(days, n)| days / f64::from(n.max(1)));
    let slow = means[1];
    let others = [means[0], means[2], means[3]];
    let max_other = others.iter().copied().fold(0.0, f64::max);
    Story {
        text: format!(
            "slow onboarding phase: access_granted -> integration_live takes {:.1} days on average ({} accounts), {:.1}x the slowest other phase (contract_signed -> access_granted {:.1}, -> trained {:.1}, -> first_value {:.1} days)",
            slow,
            sums[1].1,
            slow / max_other.max(1e-9),
            others[0],
            others[1],
            others[2],
        ),
        facts: (slow, max_other),
    }
}

/// Facts: (MRR in cents, account id, days since the last event; `None`
/// when there was none) of the accounts paying on the last day with no
/// event for 30 days or more.
#[allow(clippy::type_complexity)]
fn quiet_story(
    cal: &Cal,
    world: &World,
    last_active: &[i32],
) -> Story<Vec<(i64, String, Option<i32>)>> {
    let last = cal.days - 1;
    let mut quiet: Vec<(i64, String, Option<i32>)> = world
        .accounts
        .iter()
        .zip(last_active)
        .filter_map(|(a, &active)| {
            let mrr = a.mrr_on(last);
            let idle = (active != i32::MIN).then(|| last - active);
            (mrr > 0 && idle.is_none_or(|d| d >= 30)).then(|| (mrr, a.id.clone(), idle))
        })
        .collect();
    quiet.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    let list: Vec<String> = quiet
        .iter()
        .map(|(mrr, id, idle)| match idle {
            Some(d) => format!("{id} ({}/month, no event for {d} days)", money_text(*mrr)),
            None => format!("{id} ({}/month, no event at all)", money_text(*mrr)),
        })
        .collect();
    Story {
        text: format!(
            "paying accounts gone quiet: {} accounts still paying on {} have had no event for 30+ days: {}",
            quiet.len(),
            cal.label(last),
            list.join(", ")
        ),
        facts: quiet,
    }
}

/// Facts: the months (index, NRR %) with net negative churn.
fn nrr_story(cal: &Cal, world: &World) -> Story<Vec<(usize, f64)>> {
    let mut months = Vec::new();
    let mut list: Vec<String> = Vec::new();
    for (m, (first, next)) in cal.month_bounds().enumerate() {
        let s = first - 1;
        let e = next - 1;
        let (mut start, mut expansion, mut contraction, mut churn) = (0i64, 0i64, 0i64, 0i64);
        for a in &world.accounts {
            let (ms, me) = (a.mrr_on(s), a.mrr_on(e));
            if ms == 0 {
                continue;
            }
            start += ms;
            if me == 0 {
                churn += ms;
            } else if me > ms {
                expansion += me - ms;
            } else {
                contraction += ms - me;
            }
        }
        if start > 0 && expansion > contraction + churn {
            let nrr = pct(
                (start + expansion - contraction - churn) as f64,
                start as f64,
            );
            months.push((m, nrr));
            list.push(format!("{} ({nrr:.1}%)", cal.month_label_at(first)));
        }
    }
    // `push` has one entry per month of the data.
    let push: Vec<String> = world
        .stories
        .push
        .iter()
        .zip(cal.month_bounds())
        .filter(|(push, _)| **push)
        .map(|(_, (first, _))| cal.month_label_at(first))
        .collect();
    Story {
        text: format!(
            "net negative churn (net revenue retention > 100%) in {} of {} months: {} (upsell pushes in {})",
            months.len(),
            cal.months(),
            if list.is_empty() {
                "none".to_string()
            } else {
                list.join(", ")
            },
            push.join(", ")
        ),
        facts: months,
    }
}

#[cfg(test)]
mod tests;
