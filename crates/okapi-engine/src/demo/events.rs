//! Product events, streamed day by day to the Parquet writer.
//!
//! Every user may act on the days their account uses the product (trial,
//! free plan or paying, see [`Account::activity`]). The requested total is
//! first split between days in proportion to the expected activity of the
//! day; each day, the users who show up (a coin flip weighted by how
//! active they are and the weekday) share the day's events in proportion
//! to a random intensity, in sessions that start with `login`. A day's
//! events are sorted by time before they are written, so the file is in
//! time order. Memory stays bounded by one day and one batch of rows.
//!
//! Users, accounts and event kinds are referred to by index; an index that
//! finds nothing is a bug of the generator, reported as
//! [`DemoError::Internal`] rather than a panic.
//!
//! [`Account::activity`]: super::sim::Account::activity

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringBuilder, TimestampMicrosecondArray};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::calendar::{Cal, DAY_US};
use super::io::{TableWriter, schema, timestamp, utf8};
use super::rnd::{B2B_HOURS, B2C_HOURS, HourTable, chance, exp, one_of, unit};
use super::sim::World;
use super::{DemoError, internal};

/// Rows per record batch handed to the writer.
const BATCH_ROWS: usize = 1 << 18;
/// Highest daily probability of showing up.
const P_MAX: f64 = 0.92;

const KINDS: [&str; 11] = [
    "app_installed",
    "login",
    "onboarding_completed",
    "dashboard_viewed",
    "report_created",
    "search",
    "comment_added",
    "export",
    "alert_created",
    "invite_sent",
    "referral_sent",
];
const APP_INSTALLED: u64 = 0;
const LOGIN: u64 = 1;
const ONBOARDING: u64 = 2;

/// Weights of the actions inside a session, by kind index.
const B2B_ACTIONS: [u32; 11] = [0, 0, 0, 40, 18, 16, 10, 8, 6, 2, 0];
const B2C_ACTIONS: [u32; 11] = [0, 0, 0, 45, 20, 17, 10, 6, 0, 0, 2];

/// A stretch of days when one user may act.
struct Interval {
    user: u32,
    start: i32,
    end: i32,
    /// Relative daily probability of showing up, before scaling.
    p: f64,
}

/// Where a user is in onboarding.
#[derive(Debug, Clone, Copy)]
enum Onboarding {
    /// Not seen yet.
    Unseen,
    /// Onboarding completes on the first active day on or after this one.
    Due(i32),
    /// Nothing more to do.
    Done,
}

/// A user who may act today.
struct Live {
    user: u32,
    end: i32,
    /// Probability of showing up on an average day.
    p: f32,
}

pub(crate) struct EventsOutcome {
    pub rows: u64,
    /// Last day each account had an event (`i32::MIN` if none).
    pub last_active: Vec<i32>,
}

pub(crate) fn write(
    dir: &Path,
    cal: &Cal,
    world: &World,
    total: u64,
    mut rng: ChaCha8Rng,
    progress: &dyn Fn(u64),
) -> Result<EventsOutcome, DemoError> {
    let b2b = world.b2b();
    let users = &world.users;
    let accounts = &world.accounts;

    // When each user may act.
    let mut intervals = Vec::new();
    for a in accounts {
        let spans = a.activity(cal);
        let of_account = world
            .users_of(a)
            .ok_or_else(|| internal("an account's users are not among the users"))?;
        for (u, user) in of_account {
            for sp in &spans {
                let start = sp.start.max(user.join);
                if start < sp.end {
                    intervals.push(Interval {
                        user: u,
                        start,
                        end: sp.end,
                        p: (user.weight as f64).sqrt() * sp.mult as f64,
                    });
                }
            }
        }
    }
    intervals.sort_by_key(|iv| (iv.start, iv.user));

    // Scale the probabilities so that users who show up make a few events
    // each (fewer when the requested total is small, more when it is large).
    let user_days: f64 = intervals.iter().map(|iv| (iv.end - iv.start) as f64).sum();
    let per_visit = (total as f64 / (0.35 * user_days.max(1.0))).clamp(1.5, 8.0);
    let target = total as f64 / per_visit;
    let expected = |s: f64| -> f64 {
        intervals
            .iter()
            .map(|iv| (iv.end - iv.start) as f64 * (s * iv.p).min(P_MAX))
            .sum()
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while expected(hi) < target && hi < 1e9 {
        hi *= 2.0;
    }
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if expected(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let scale = hi;

    // The day's share of the total: expected presence × weekday factor, in
    // fixed point so that a day without anybody gets exactly nothing.
    let days = cal.days as usize;
    let mut diff = vec![0i64; days + 1];
    // Activity spans are clipped to the data: `0 <= start < end <= days`.
    let slot = |d: i32| usize::try_from(d).ok();
    let outside = || internal("a user's activity lies outside the data");
    for iv in &intervals {
        let w = (((scale * iv.p).min(P_MAX)) * 1e6).round().max(1.0) as i64;
        *slot(iv.start)
            .and_then(|k| diff.get_mut(k))
            .ok_or_else(outside)? += w;
        *slot(iv.end)
            .and_then(|k| diff.get_mut(k))
            .ok_or_else(outside)? -= w;
    }
    let factors: Vec<f64> = (0..cal.days).map(|d| day_factor(cal, b2b, d)).collect();
    let mut cumulative = Vec::with_capacity(days);
    let mut level = 0i64;
    let mut sum = 0u128;
    for (&step, &factor) in diff.iter().zip(&factors) {
        level += step;
        sum += (level.max(0) as f64 * factor * 1000.0) as u128;
        cumulative.push(sum);
    }
    if sum == 0 && total > 0 {
        return Err(DemoError::Invalid(
            "nobody uses the product: cannot place any event".into(),
        ));
    }
    // Events placed by the end of a day with `cumulative` share `c`.
    let allotted = |c: u128| -> u64 { (total as u128 * c).checked_div(sum).unwrap_or(0) as u64 };

    // Names, formatted once.
    let user_ids: Vec<String> = (0..users.len() as u32).map(|u| world.user_id(u)).collect();
    let hours = HourTable::new(if b2b { &B2B_HOURS } else { &B2C_HOURS });
    let actions = action_table(if b2b { &B2B_ACTIONS } else { &B2C_ACTIONS });
    let onboard_share = if b2b { 0.85 } else { 0.7 };

    let mut onboarding = vec![Onboarding::Unseen; users.len()];
    let mut last_active = vec![i32::MIN; accounts.len()];
    let unknown_user = || internal("an event's user index refers to no user");
    let unknown_account = || internal("a user's account index refers to no account");
    let no_event = || internal("a user's events of the day are missing");

    let schema = schema(vec![
        timestamp("ts", false),
        utf8("user_id", true),
        utf8("account_id", true),
        utf8("event", false),
    ]);
    let mut writer = TableWriter::create(dir, "events", schema)?;
    let mut batch = Batch::new();
    let mut written = 0u64;

    let mut pending = intervals.iter().peekable();
    let mut live: Vec<Live> = Vec::new();
    let mut present: Vec<(u32, f64, bool)> = Vec::new();
    let mut day: Vec<(u64, u32)> = Vec::new();
    let mut placed = 0u64;
    // `cumulative` and `factors` have one entry per day.
    for ((d, &cum), &f) in (0..cal.days).zip(&cumulative).zip(&factors) {
        // Anything not placed on an earlier day (there is none by
        // construction) is carried over.
        let n = allotted(cum) - placed;
        live.retain(|l| l.end > d);
        while let Some(iv) = pending.next_if(|iv| iv.start == d) {
            live.push(Live {
                user: iv.user,
                end: iv.end,
                p: (scale * iv.p).min(P_MAX) as f32,
            });
        }
        if n == 0 || live.is_empty() {
            continue;
        }
        // Who shows up today.
        present.clear();
        let mut forced = 0u64;
        for l in &live {
            let u = world.user(l.user).ok_or_else(unknown_user)?;
            // An account's admin checks in at least every ten days.
            let force = u.primary
                && d.saturating_sub(
                    last_active
                        .get(u.account as usize)
                        .copied()
                        .ok_or_else(unknown_account)?,
                ) >= 10;
            if force || unit(&mut rng) < (l.p as f64 * f).min(0.97) {
                let intensity = (u.weight as f64).sqrt() * (0.3 + exp(&mut rng, 1.0));
                present.push((l.user, intensity, force));
                forced += u64::from(force);
            }
        }
        if present.is_empty() {
            let l = one_of(&mut rng, &live).ok_or_else(unknown_user)?;
            present.push((l.user, 1.0, false));
        }
        // Share the day's events: one each for the forced, the rest in
        // proportion to intensity (systematic sampling: exact total).
        let floor = u64::from(n >= forced);
        let rest = n - floor * forced;
        let total_intensity: f64 = present.iter().map(|p| p.1).sum();
        let offset = unit(&mut rng);
        let mut acc = 0.0;
        let mut given = 0u64;
        day.clear();
        let last = present.len() - 1;
        for (j, &(user, intensity, force)) in present.iter().enumerate() {
            acc += intensity;
            let upto = if j == last {
                rest
            } else {
                ((acc / total_intensity * rest as f64 + offset).floor() as u64).min(rest)
            };
            let mut c = upto.saturating_sub(given);
            given = given.max(upto);
            if force {
                c += floor;
            }
            if c == 0 {
                continue;
            }
            let u = world.user(user).ok_or_else(unknown_user)?;
            *last_active
                .get_mut(u.account as usize)
                .ok_or_else(unknown_account)? = d;
            let first = day.len();
            sessions(&mut day, user, c, &hours, &actions, &mut rng);
            // First appearance: install (B2C) and onboarding.
            let mut installed = false;
            let state = onboarding.get_mut(user as usize).ok_or_else(unknown_user)?;
            if let Onboarding::Unseen = *state {
                *state = if u.preexisting || !chance(&mut rng, onboard_share) {
                    Onboarding::Done
                } else if chance(&mut rng, 0.55) {
                    Onboarding::Due(d)
                } else {
                    Onboarding::Due(d + 1 + exp(&mut rng, 4.0) as i32)
                };
                if !u.preexisting && !b2b {
                    relabel(day.get_mut(first).ok_or_else(no_event)?, APP_INSTALLED);
                    installed = true;
                }
            }
            if let Onboarding::Due(due) = *state
                && d >= due
            {
                let lastj = day.len() - 1;
                let at = if installed {
                    (first + 2).min(lastj)
                } else {
                    (first + 1).min(lastj)
                };
                if !(installed && at == first) {
                    relabel(day.get_mut(at).ok_or_else(no_event)?, ONBOARDING);
                    *state = Onboarding::Done;
                }
            }
        }
        debug_assert_eq!(day.len() as u64, n);
        placed += day.len() as u64;
        day.sort_unstable();
        let base = cal.ts(d, 0);
        for &(key, user) in &day {
            let (Some(u), Some(user_id)) = (world.user(user), user_ids.get(user as usize)) else {
                return Err(unknown_user());
            };
            let account = world.account(u.account).ok_or_else(unknown_account)?;
            let kind = KINDS
                .get((key & 0xff) as usize)
                .ok_or_else(|| internal("an event's kind is none of the kinds"))?;
            batch.push(base + (key >> 8) as i64, user_id, &account.id, kind);
            if batch.len >= BATCH_ROWS {
                written += batch.flush(&mut writer)?;
                progress(written);
            }
        }
    }
    if batch.len > 0 {
        written += batch.flush(&mut writer)?;
    }
    progress(written);
    if written != total {
        return Err(DemoError::Invalid(format!(
            "placed {written} events instead of {total}"
        )));
    }
    let rows = writer.finish()?;
    Ok(EventsOutcome { rows, last_active })
}

/// Relative activity of a day: B2B works on weekdays and slows down over
/// the year-end holidays; consumers are a little more active on weekends.
fn day_factor(cal: &Cal, b2b: bool, d: i32) -> f64 {
    use chrono::Datelike;
    let weekend = cal.is_weekend(d);
    if b2b {
        let date = cal.date(d);
        let holidays =
            (date.month() == 12 && date.day() >= 24) || (date.month() == 1 && date.day() == 1);
        let f = if weekend { 0.4 } else { 1.24 };
        if holidays { f * 0.5 } else { f }
    } else if weekend {
        1.125
    } else {
        0.95
    }
}

/// A 256-entry lookup table of action kinds.
fn action_table(weights: &[u32; 11]) -> [u8; 256] {
    let total: u32 = weights.iter().sum();
    let mut table = [0u8; 256];
    let mut kind = 0usize;
    let mut acc = 0u32;
    for (i, slot) in table.iter_mut().enumerate() {
        while kind < 10
            && let Some(&w) = weights.get(kind)
            && (i as u32) * total >= (acc + w) * 256
        {
            acc += w;
            kind += 1;
        }
        *slot = kind as u8;
    }
    table
}

fn relabel(entry: &mut (u64, u32), kind: u64) {
    entry.0 = (entry.0 & !0xff) | kind;
}

/// `c` events of one user on one day, in up to four sessions that each
/// start with `login`; pushed in time order as `(time of day << 8 | kind,
/// user)`.
fn sessions(
    day: &mut Vec<(u64, u32)>,
    user: u32,
    c: u64,
    hours: &HourTable,
    actions: &[u8; 256],
    rng: &mut ChaCha8Rng,
) {
    let n = c.div_ceil(10).clamp(1, 4);
    // The first `n` sessions' starts, sorted (the unused slots sort last).
    let mut starts = [i64::MAX; 4];
    for s in starts.iter_mut().take(n as usize) {
        *s = hours.tod(rng);
    }
    starts.sort_unstable();
    // Mean gap between two events: a minute and a half, less for very
    // busy days.
    let gap = (90_000_000i64).min(12 * 3_600_000_000 / c as i64).max(2) as u64;
    let mut t = 0i64;
    for (s, &start) in starts.iter().take(n as usize).enumerate() {
        let k = c / n + u64::from((s as u64) < c % n);
        t = t.max(start);
        for e in 0..k {
            let x: u64 = rng.random();
            // Masked to 0..256, the table's length: always there.
            let kind = if e == 0 {
                LOGIN
            } else {
                actions
                    .get((x & 0xff) as usize)
                    .map_or(LOGIN, |&k| k as u64)
            };
            let at = t.min(DAY_US - 1);
            day.push((((at as u64) << 8) | kind, user));
            t += 1_000_000 + ((x >> 8) % (2 * gap)) as i64;
        }
        t += 60_000_000;
    }
}

/// Columns of the events being built.
struct Batch {
    ts: Vec<i64>,
    user: StringBuilder,
    account: StringBuilder,
    event: StringBuilder,
    len: usize,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            ts: Vec::with_capacity(BATCH_ROWS),
            user: StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 8),
            account: StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 7),
            event: StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 16),
            len: 0,
        }
    }

    #[inline]
    fn push(&mut self, ts: i64, user: &str, account: &str, event: &str) {
        self.ts.push(ts);
        self.user.append_value(user);
        self.account.append_value(account);
        self.event.append_value(event);
        self.len += 1;
    }

    fn flush(&mut self, writer: &mut TableWriter) -> Result<u64, DemoError> {
        let ts = TimestampMicrosecondArray::from(std::mem::take(&mut self.ts)).with_timezone("UTC");
        let columns: Vec<ArrayRef> = vec![
            Arc::new(ts),
            Arc::new(self.user.finish()),
            Arc::new(self.account.finish()),
            Arc::new(self.event.finish()),
        ];
        writer.write(columns)?;
        let n = self.len as u64;
        self.len = 0;
        self.ts = Vec::with_capacity(BATCH_ROWS);
        Ok(n)
    }
}
