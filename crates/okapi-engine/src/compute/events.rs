//! The events kernel: one streaming pass over the product events, however
//! many, into compact per-user and per-account day sets; every events KPI
//! is then derived from those sets without touching the events again.
//!
//! Why a kernel and not SQL: `dau_mau` needs, for every day, the distinct
//! users of the 30 days ending that day. With a day bitset per user, the
//! trailing-30-day count is a difference array over the union of
//! `[active day, active day + 29]` intervals: linear in user-days, not in
//! events × 30.
//!
//! The scan also records the earliest and latest event instants of the
//! whole table, before any segment filter: where the events data begins
//! (`dau_mau` counts only days whose 30-day window starts on or after that
//! day) and ends (`onboarding_completion_rate` leaves out users whose 14
//! days end after it).
//!
//! Users and accounts are interned as dense indices into per-user and
//! per-account vectors that grow together. A lookup by such an index that
//! finds nothing is a bug, never bad data: the scan counts it instead of
//! panicking ([`EventsScan::check`] then refuses the whole scan), and the
//! derived reports return [`ScanBroken`], so an events KPI is absent or an
//! error rather than a wrong number.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, DictionaryArray, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::Int32Type;
use datafusion::arrow::record_batch::RecordBatch;
use okapi_core::health::HealthInputs;
use okapi_core::measures::{DauMau, EventMeasures};
use okapi_core::period::{DayNum, Period, PeriodIndex, date_of, day_num};
use okapi_core::retention::{CohortRow, cohort_table};
use okapi_core::settings::Settings;
use okapi_core::timezone::{MICROS_PER_DAY, Zone};
use rust_decimal::Decimal;
use serde::Serialize;

pub mod partial;
pub mod state;

use super::revenue::{Revenue, col};
use crate::day_bits::DayBits;
use crate::error::EngineError;

/// The events scan's own bookkeeping broke (a bug, not bad data): what it
/// would have computed cannot be trusted, so nothing is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("internal error in the events kernel: {0}; nothing was computed from the events")]
pub struct ScanBroken(&'static str);

impl From<ScanBroken> for EngineError {
    fn from(e: ScanBroken) -> Self {
        EngineError::File {
            file: "events".into(),
            reason: e.to_string(),
        }
    }
}

/// What the scan looks for.
#[derive(Debug, Clone)]
pub struct EventOptions {
    pub zone: Zone,
    /// Events counting as account activity; empty = every event.
    pub activity: HashSet<String>,
    pub onboarding_completed: String,
    pub referral_sent: String,
    pub app_installed: String,
    /// Only events of these accounts (a segment); `None` = all events.
    pub accounts: Option<Arc<HashSet<String>>>,
    /// What to keep; a scan for `dau_mau` alone keeps only user days.
    pub needs: EventNeeds,
}

/// Which state the scan keeps, from the KPIs asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EventNeeds {
    /// Day sets per user (dau_mau, active_users, arpu, cohorts, ...).
    pub users: bool,
    /// Activity days per account (inactive_accounts).
    pub account_activity: bool,
    /// Day sets per (account, user) pair (health_score's active users).
    pub pairs: bool,
    pub onboarding: bool,
    pub referrals: bool,
    pub installs: bool,
}

impl EventNeeds {
    pub const ALL: EventNeeds = EventNeeds {
        users: true,
        account_activity: true,
        pairs: true,
        onboarding: true,
        referrals: true,
        installs: true,
    };

    /// What the built-in KPIs `ids` need.
    pub fn for_kpis<'a>(ids: impl IntoIterator<Item = &'a str>) -> EventNeeds {
        let mut n = EventNeeds {
            users: false,
            account_activity: false,
            pairs: false,
            onboarding: false,
            referrals: false,
            installs: false,
        };
        for id in ids {
            match id {
                "dau_mau" | "active_users" | "user_retention" => n.users = true,
                "inactive_accounts" => n.account_activity = true,
                "health_score" => {
                    n.users = true;
                    n.account_activity = true;
                    n.pairs = true;
                }
                // Every user counts, paying or not: the user day sets.
                "arpu" => n.users = true,
                "onboarding_completion_rate" => {
                    n.users = true;
                    n.onboarding = true;
                }
                "referral_rate" => {
                    n.users = true;
                    n.referrals = true;
                }
                "app_installs" => n.installs = true,
                _ => {}
            }
        }
        n
    }
}

/// [`EventOptions`] as text, for a scan run in another process.
#[derive(serde::Serialize, serde::Deserialize)]
struct OptionsText {
    zone: String,
    activity: Vec<String>,
    onboarding_completed: String,
    referral_sent: String,
    app_installed: String,
    accounts: Option<Vec<String>>,
    needs: EventNeeds,
}

impl EventOptions {
    /// The options as JSON, for [`EventOptions::from_json`] in another
    /// process.
    pub fn to_json(&self) -> String {
        let mut activity: Vec<String> = self.activity.iter().cloned().collect();
        activity.sort();
        let accounts = self.accounts.as_ref().map(|a| {
            let mut v: Vec<String> = a.iter().cloned().collect();
            v.sort();
            v
        });
        let text = OptionsText {
            zone: self.zone.to_string(),
            activity,
            onboarding_completed: self.onboarding_completed.clone(),
            referral_sent: self.referral_sent.clone(),
            app_installed: self.app_installed.clone(),
            accounts,
            needs: self.needs,
        };
        serde_json::to_string(&text).unwrap_or_default()
    }

    pub fn from_json(json: &str) -> Result<EventOptions, String> {
        let t: OptionsText =
            serde_json::from_str(json).map_err(|e| format!("events scan options: {e}"))?;
        Ok(EventOptions {
            zone: t.zone.parse()?,
            activity: t.activity.into_iter().collect(),
            onboarding_completed: t.onboarding_completed,
            referral_sent: t.referral_sent,
            app_installed: t.app_installed,
            accounts: t.accounts.map(|a| Arc::new(a.into_iter().collect())),
            needs: t.needs,
        })
    }

    pub fn from_settings(s: &Settings, needs: EventNeeds) -> EventOptions {
        EventOptions {
            zone: s.time_zone,
            activity: s.events.activity.iter().cloned().collect(),
            onboarding_completed: s.events.onboarding_completed.clone(),
            referral_sent: s.events.referral_sent.clone(),
            app_installed: s.events.app_installed.clone(),
            accounts: None,
            needs,
        }
    }

    /// The `events` columns the scan reads.
    pub fn columns(&self) -> Vec<&'static str> {
        let n = self.needs;
        let mut cols = vec!["ts"];
        if n.users {
            cols.push("user_id");
        }
        if n.account_activity || n.pairs || self.accounts.is_some() {
            cols.push("account_id");
        }
        if n.onboarding
            || n.referrals
            || n.installs
            || (n.account_activity && !self.activity.is_empty())
        {
            cols.push("event");
        }
        cols
    }
}

/// Day sets per (account, user) pair.
type PairDays = hashbrown::HashMap<(u32, u32), DayBits>;

/// The per-user and per-account state of one scan.
///
/// Every per-user vector has one entry per interned user (`users`), every
/// per-account vector one per interned account (`accounts`): [`Self::user`]
/// and [`Self::account`] push to all of them at once.
pub struct EventsScan {
    opts: EventOptions,
    users: hashbrown::HashMap<Box<str>, u32>,
    user_days: Vec<DayBits>,
    /// Per user, the instants of their first event and of their first
    /// onboarding-completed event.
    onboarding: Vec<Onboarding>,
    /// Per user, the 64-day block being filled: events set bits in this
    /// small, hot record, and the user's day sets are touched once per
    /// block instead of once per day (see [`Hot`]).
    hot: Vec<Hot>,
    referrals: Vec<(u32, DayNum)>,
    accounts: hashbrown::HashMap<Box<str>, u32>,
    account_names: Vec<Box<str>>,
    account_days: Vec<DayBits>,
    /// Per account, the 64-day block of activity being filled (as [`Hot`]
    /// for users): its first day (`MIN` before any event) and its days.
    account_last: Vec<(DayNum, u64)>,
    /// Whether each account is in the segment (all true without one).
    account_allowed: Vec<bool>,
    pairs: PairDays,
    installs: HashMap<DayNum, u64>,
    rows: u64,
    /// The earliest and latest event instants of the whole table, before
    /// any segment filter: where the events data begins and ends.
    ts_range: Option<(i64, i64)>,
    /// The last dictionary seen per column and its value → index map.
    user_dict: Option<(ArrayRef, Vec<u32>)>,
    account_dict: Option<(ArrayRef, Vec<u32>)>,
    event_dict: Option<(ArrayRef, Vec<u32>)>,
    /// Lookups by an interned index that found no state: 0 unless the
    /// scan's bookkeeping is broken, and then [`Self::check`] fails.
    broken: u64,
}

/// Whether two dictionaries are the same values: the same array, or
/// arrays over the same buffers (the Parquet reader rebuilds the array of
/// a row group's dictionary for every batch, over the same bytes).
fn same_values(a: &ArrayRef, b: &ArrayRef) -> bool {
    if Arc::ptr_eq(a, b) {
        return true;
    }
    let (x, y) = (a.to_data(), b.to_data());
    x.data_type() == y.data_type()
        && x.len() == y.len()
        && x.offset() == y.offset()
        && x.buffers().len() == y.buffers().len()
        && x.buffers()
            .iter()
            .zip(y.buffers())
            .all(|(p, q)| p.as_ptr() == q.as_ptr() && p.len() == q.len())
}

/// A user's pending 64-day block.
#[derive(Debug, Clone, Copy)]
struct Hot {
    /// First day of the block (a multiple of 64); `MIN` before any event.
    block: DayNum,
    /// Days of the block with an event of the user.
    days: u64,
    /// The account of the user's latest event, and the block's days with
    /// an event for that account.
    account: u32,
    pair_days: u64,
}

impl Default for Hot {
    fn default() -> Self {
        Hot {
            block: DayNum::MIN,
            days: 0,
            account: NONE,
            pair_days: 0,
        }
    }
}

/// A user's first event and first onboarding-completed event (µs);
/// `i64::MAX` for none yet.
#[derive(Debug, Clone, Copy)]
struct Onboarding {
    first: i64,
    completed: i64,
}

/// Moves user `u`'s pending pair block into `pairs`.
fn flush_pair(pairs: &mut PairDays, u: u32, hot: &mut Hot) {
    if hot.pair_days != 0 && hot.account != NONE {
        pairs
            .entry((hot.account, u))
            .or_default()
            .insert_block(hot.block, hot.pair_days);
    }
    hot.pair_days = 0;
}

/// Moves user `u`'s pending blocks into their day sets; `false` when `u`
/// has no day set (a bug: the block is lost).
fn flush_hot(user_days: &mut [DayBits], pairs: &mut PairDays, u: u32, hot: &mut Hot) -> bool {
    let found = match user_days.get_mut(u as usize) {
        Some(days) => {
            days.insert_block(hot.block, hot.days);
            true
        }
        None => false,
    };
    hot.days = 0;
    flush_pair(pairs, u, hot);
    found
}

/// No index: a NULL cell.
const NONE: u32 = u32::MAX;
const ONBOARDING: u8 = 1;
const REFERRAL: u8 = 2;
const INSTALL: u8 = 4;
const ACTIVITY: u8 = 8;

#[derive(Clone, Copy)]
enum Cached {
    Users,
    Accounts,
    Events,
}

impl EventsScan {
    pub fn new(opts: EventOptions) -> EventsScan {
        EventsScan {
            opts,
            users: Default::default(),
            user_days: Vec::new(),
            onboarding: Vec::new(),
            hot: Vec::new(),
            referrals: Vec::new(),
            accounts: Default::default(),
            account_names: Vec::new(),
            account_days: Vec::new(),
            account_last: Vec::new(),
            account_allowed: Vec::new(),
            pairs: Default::default(),
            installs: HashMap::new(),
            rows: 0,
            ts_range: None,
            user_dict: None,
            account_dict: None,
            event_dict: None,
            broken: 0,
        }
    }

    fn account(&mut self, a: &str) -> u32 {
        if let Some(&i) = self.accounts.get(a) {
            return i;
        }
        let i = self.account_names.len() as u32;
        self.accounts.insert(a.into(), i);
        self.account_names.push(a.into());
        self.account_days.push(DayBits::new());
        let allowed = self
            .opts
            .accounts
            .as_ref()
            .is_none_or(|set| set.contains(a));
        self.account_allowed.push(allowed);
        self.account_last.push((DayNum::MIN, 0));
        i
    }

    fn user(&mut self, name: &str) -> u32 {
        if let Some(&u) = self.users.get(name) {
            return u;
        }
        let u = self.user_days.len() as u32;
        self.users.insert(name.into(), u);
        self.user_days.push(DayBits::new());
        self.onboarding.push(Onboarding {
            first: i64::MAX,
            completed: i64::MAX,
        });
        self.hot.push(Hot::default());
        u
    }

    /// Whether every per-user and per-account vector has one entry per
    /// interned user and account.
    fn consistent(&self) -> bool {
        let (u, a) = (self.users.len(), self.accounts.len());
        self.user_days.len() == u
            && self.onboarding.len() == u
            && self.hot.len() == u
            && self.account_names.len() == a
            && self.account_days.len() == a
            && self.account_last.len() == a
            && self.account_allowed.len() == a
    }

    /// `Err` when the scan's bookkeeping broke (see [`ScanBroken`]): its
    /// state cannot be trusted. Call once every batch has been added.
    pub fn check(&self) -> Result<(), ScanBroken> {
        if self.broken > 0 || !self.consistent() {
            return Err(ScanBroken(
                "an interned user or account had no state during the scan",
            ));
        }
        Ok(())
    }

    /// What an event name means to the scan, as flag bits.
    fn event_flags(&self, name: &str) -> u8 {
        let o = &self.opts;
        let mut f = 0;
        if name == o.onboarding_completed {
            f |= ONBOARDING;
        }
        if name == o.referral_sent {
            f |= REFERRAL;
        }
        if name == o.app_installed {
            f |= INSTALL;
        }
        if o.activity.is_empty() || o.activity.contains(name) {
            f |= ACTIVITY;
        }
        f
    }

    /// Per-row indices of a string column (`NONE` for NULL), interning its
    /// values with `intern`. A dictionary column maps each dictionary value
    /// once, and the mapping is kept while the reader reuses the dictionary
    /// (a whole row group): hundreds of thousands of lookups instead of
    /// millions.
    fn indices(
        &mut self,
        column: Option<&ArrayRef>,
        which: Cached,
        intern: fn(&mut Self, &str) -> u32,
    ) -> Vec<u32> {
        let Some(column) = column else {
            return Vec::new();
        };
        let intern_all = |scan: &mut Self, t: &StringArray| -> Vec<u32> {
            (0..t.len())
                .map(|i| {
                    if t.is_valid(i) {
                        intern(scan, t.value(i))
                    } else {
                        NONE
                    }
                })
                .collect()
        };
        if let Some(d) = column.as_any().downcast_ref::<DictionaryArray<Int32Type>>() {
            let values = d.values();
            let cached = self.dictionary_slot(which).take();
            let (values, map) = match cached {
                Some((v, map)) if same_values(&v, values) => (v, map),
                _ => {
                    let map = match values.as_any().downcast_ref::<StringArray>() {
                        Some(t) => intern_all(self, t),
                        None => vec![NONE; values.len()],
                    };
                    (values.clone(), map)
                }
            };
            let keys = d.keys();
            let out = (0..d.len())
                .map(|i| {
                    if keys.is_valid(i) {
                        map.get(keys.value(i) as usize).copied().unwrap_or(NONE)
                    } else {
                        NONE
                    }
                })
                .collect();
            *self.dictionary_slot(which) = Some((values, map));
            return out;
        }
        match column.as_any().downcast_ref::<StringArray>() {
            Some(t) => intern_all(self, t),
            None => Vec::new(),
        }
    }

    fn dictionary_slot(&mut self, which: Cached) -> &mut Option<(ArrayRef, Vec<u32>)> {
        match which {
            Cached::Users => &mut self.user_dict,
            Cached::Accounts => &mut self.account_dict,
            Cached::Events => &mut self.event_dict,
        }
    }

    /// Adds one `events` batch (canonical, or with dictionary-encoded
    /// string columns).
    pub fn add(&mut self, b: &RecordBatch) {
        let Some(ts) = col::<TimestampMicrosecondArray>(b, "ts") else {
            return;
        };
        if let (Some(lo), Some(hi)) = (
            datafusion::arrow::compute::min(ts),
            datafusion::arrow::compute::max(ts),
        ) {
            self.see_instants(lo, hi);
        }
        let needs = self.opts.needs;
        let use_accounts = needs.account_activity || needs.pairs || self.opts.accounts.is_some();
        let use_events =
            needs.onboarding || needs.referrals || needs.installs || needs.account_activity;
        let users = if needs.users {
            self.indices(b.column_by_name("user_id"), Cached::Users, Self::user)
        } else {
            Vec::new()
        };
        let accounts = if use_accounts {
            self.indices(
                b.column_by_name("account_id"),
                Cached::Accounts,
                Self::account,
            )
        } else {
            Vec::new()
        };
        // Event names become flag bits, interned as small codes.
        let events = if use_events {
            self.indices(b.column_by_name("event"), Cached::Events, |s, name| {
                s.event_flags(name) as u32
            })
        } else {
            Vec::new()
        };
        let mut mapper = self.opts.zone.day_mapper();
        let segment = self.opts.accounts.is_some();
        // The indices come from `Self::user` and `Self::account`, which give
        // every index its state: a lookup that misses is a bug, counted in
        // `broken` (and `check` then refuses the scan).
        for (i, &t) in ts.values().iter().enumerate() {
            let acc = accounts.get(i).copied().unwrap_or(NONE);
            if segment {
                match self.account_allowed.get(acc as usize) {
                    Some(true) => {}
                    Some(false) => continue,
                    None => {
                        if acc != NONE {
                            self.broken += 1;
                        }
                        continue;
                    }
                }
            }
            self.rows += 1;
            let day = mapper.day_of(t);
            let flags = events.get(i).copied().unwrap_or(NONE);
            let flags = if flags == NONE { 0 } else { flags as u8 };
            if needs.account_activity && acc != NONE && flags & ACTIVITY != 0 {
                // As for users: fill the account's 64-day block, flush on change.
                match self.account_last.get_mut(acc as usize) {
                    Some((block, mask)) => {
                        let this = day.div_euclid(64) * 64;
                        if this != *block {
                            match self.account_days.get_mut(acc as usize) {
                                Some(days) => days.insert_block(*block, *mask),
                                None => self.broken += 1,
                            }
                            *block = this;
                            *mask = 1u64 << (day - this);
                        } else {
                            *mask |= 1u64 << (day - this);
                        }
                    }
                    None => self.broken += 1,
                }
            }
            if needs.installs && flags & INSTALL != 0 {
                *self.installs.entry(day).or_default() += 1;
            }
            let u = users.get(i).copied().unwrap_or(NONE);
            if u == NONE {
                continue;
            }
            let ui = u as usize;
            let Some(hot) = self.hot.get_mut(ui) else {
                self.broken += 1;
                continue;
            };
            let block = day.div_euclid(64) * 64;
            if block != hot.block {
                if !flush_hot(&mut self.user_days, &mut self.pairs, u, hot) {
                    self.broken += 1;
                }
                hot.block = block;
            }
            let bit = 1u64 << (day - block);
            hot.days |= bit;
            if needs.onboarding {
                match self.onboarding.get_mut(ui) {
                    Some(o) => {
                        if t < o.first {
                            o.first = t;
                        }
                        if flags & ONBOARDING != 0 && t < o.completed {
                            o.completed = t;
                        }
                    }
                    None => self.broken += 1,
                }
            }
            if needs.referrals && flags & REFERRAL != 0 {
                self.referrals.push((u, day));
            }
            if needs.pairs && acc != NONE {
                if acc != hot.account {
                    flush_pair(&mut self.pairs, u, hot);
                    hot.account = acc;
                }
                hot.pair_days |= bit;
            }
        }
    }

    fn see_instants(&mut self, lo: i64, hi: i64) {
        self.ts_range = Some(match self.ts_range {
            None => (lo, hi),
            Some((a, b)) => (a.min(lo), b.max(hi)),
        });
    }

    /// Moves every pending block into the day sets; call once the scan has
    /// seen all its rows (merging does it for both sides).
    pub fn finish(&mut self) {
        // The loops below pair the vectors up: they must be as long.
        if !self.consistent() {
            self.broken += 1;
        }
        for (last, days) in self.account_last.iter_mut().zip(&mut self.account_days) {
            days.insert_block(last.0, last.1);
            *last = (DayNum::MIN, 0);
        }
        for (u, hot) in self.hot.iter_mut().enumerate() {
            if !flush_hot(&mut self.user_days, &mut self.pairs, u as u32, hot) {
                self.broken += 1;
            }
            *hot = Hot::default();
        }
    }

    /// Folds in the state of another scan over other rows of the table.
    pub fn merge(&mut self, mut other: EventsScan) {
        self.finish();
        other.finish();
        self.broken += other.broken;
        // `other`'s user and account indices → this scan's (`NONE` for an
        // index `other` never gave out, which no state refers to).
        let mut user_map = vec![NONE; other.user_days.len()];
        for (name, &ou) in &other.users {
            let u = self.user(name);
            match user_map.get_mut(ou as usize) {
                Some(slot) => *slot = u,
                None => self.broken += 1,
            }
        }
        for ((&u, days), o) in user_map.iter().zip(&other.user_days).zip(&other.onboarding) {
            let ui = u as usize;
            match (self.user_days.get_mut(ui), self.onboarding.get_mut(ui)) {
                (Some(mine), Some(mo)) => {
                    mine.union_with(days);
                    mo.first = mo.first.min(o.first);
                    mo.completed = mo.completed.min(o.completed);
                }
                _ => self.broken += 1,
            }
        }
        for &(ou, d) in &other.referrals {
            match user_map.get(ou as usize) {
                Some(&u) => self.referrals.push((u, d)),
                None => self.broken += 1,
            }
        }
        let mut account_map = Vec::with_capacity(other.account_names.len());
        for (name, days) in other.account_names.iter().zip(&other.account_days) {
            let a = self.account(name);
            account_map.push(a);
            match self.account_days.get_mut(a as usize) {
                Some(mine) => mine.union_with(days),
                None => self.broken += 1,
            }
        }
        for ((oa, ou), days) in other.pairs {
            match (account_map.get(oa as usize), user_map.get(ou as usize)) {
                (Some(&a), Some(&u)) => self.pairs.entry((a, u)).or_default().union_with(&days),
                _ => self.broken += 1,
            }
        }
        for (d, n) in other.installs {
            *self.installs.entry(d).or_default() += n;
        }
        if let Some((lo, hi)) = other.ts_range {
            self.see_instants(lo, hi);
        }
        self.rows += other.rows;
    }

    /// The earliest and latest event instants (µs), before any segment
    /// filter.
    pub fn ts_range(&self) -> Option<(i64, i64)> {
        self.ts_range
    }

    /// Sets the earliest and latest event instants of the whole table,
    /// when the scan saw only a segment's rows (a database filtered them).
    pub fn set_ts_range(&mut self, range: Option<(i64, i64)>) {
        self.ts_range = range;
    }

    /// Events counted (after the segment filter).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// First and last day with an event.
    pub fn day_range(&self) -> Option<(DayNum, DayNum)> {
        let first = self.user_days.iter().filter_map(|d| d.first()).min();
        let last = self
            .user_days
            .iter()
            .filter_map(|d| d.last_on_or_before(DayNum::MAX))
            .max();
        let af = self.account_days.iter().filter_map(|d| d.first()).min();
        let al = self
            .account_days
            .iter()
            .filter_map(|d| d.last_on_or_before(DayNum::MAX))
            .max();
        let first = [first, af, self.installs.keys().min().copied()]
            .into_iter()
            .flatten()
            .min()?;
        let last = [last, al, self.installs.keys().max().copied()]
            .into_iter()
            .flatten()
            .max()?;
        Some((first, last))
    }

    /// DAU and MAU30 of every day from the first user day to 30 days after
    /// the last; `None` without users. The same for every grain: worked
    /// out once for all of them ([`EventsScan::measures_with`]).
    pub fn daily(&self) -> Result<Option<Daily>, ScanBroken> {
        let Some(first) = self.user_days.iter().filter_map(|d| d.first()).min() else {
            return Ok(None);
        };
        let Some(last) = self
            .user_days
            .iter()
            .filter_map(|d| d.last_on_or_before(DayNum::MAX))
            .max()
        else {
            return Ok(None);
        };
        let len = (last - first + 31) as usize;
        let mut dau = vec![0u32; len];
        let mut diff = vec![0i64; len + 1];
        // Every day lies in `first..=last`, so every offset below is in
        // `0..len` (`0..=len` for `diff`).
        let slot = |k: DayNum| usize::try_from(k - first).ok();
        const OUT: ScanBroken = ScanBroken("a user day outside the days counted");
        for days in &self.user_days {
            let mut covered_to = first - 1;
            for d in days.iter() {
                *slot(d).and_then(|k| dau.get_mut(k)).ok_or(OUT)? += 1;
                let start = d.max(covered_to + 1);
                let end = d + 29;
                *slot(start).and_then(|k| diff.get_mut(k)).ok_or(OUT)? += 1;
                *slot(end + 1).and_then(|k| diff.get_mut(k)).ok_or(OUT)? -= 1;
                covered_to = end;
            }
        }
        let mau: Vec<u64> = diff
            .iter()
            .take(len)
            .scan(0i64, |running, &x| {
                *running += x;
                Some(*running as u64)
            })
            .collect();
        Ok(Some(Daily { first, dau, mau }))
    }

    /// The first day of the events data: the day of the earliest event of
    /// the whole table (not cut by a segment).
    fn history_start(&self) -> Option<DayNum> {
        self.ts_range.map(|(lo, _)| self.opts.zone.day_of(lo))
    }

    /// Daily DAU/MAU30 percentages averaged per period, over the days
    /// whose 30-day window starts on or after the first day of the data.
    fn dau_mau(&self, periods: &[Period], daily: Option<&Daily>) -> Vec<DauMau> {
        let Some(history) = self.history_start() else {
            return vec![DauMau::NoUsers; periods.len()];
        };
        periods
            .iter()
            .map(|p| {
                let from = p.start_num().max(history + 29);
                if from >= p.end_num() {
                    return DauMau::BeforeHistory;
                }
                let (mut sum, mut n) = (0.0f64, 0u32);
                for d in from..p.end_num() {
                    let (dau, mau) = daily.map_or((0, 0), |x| x.on(d));
                    if mau > 0 {
                        sum += dau as f64 * 100.0 / mau as f64;
                        n += 1;
                    }
                }
                if n == 0 {
                    DauMau::NoUsers
                } else {
                    DauMau::Mean(sum / n as f64)
                }
            })
            .collect()
    }

    /// Users active in each period, as sorted period indices per user.
    fn active_periods(&self, index: &PeriodIndex) -> Vec<Vec<u32>> {
        self.user_days
            .iter()
            .map(|days| {
                let mut v: Vec<u32> = Vec::new();
                for d in days.iter() {
                    if let Some(p) = index.of(d)
                        && v.last() != Some(&(p as u32))
                    {
                        v.push(p as u32);
                    }
                }
                v
            })
            .collect()
    }

    /// The events measures of every period. `revenue` gives the customers
    /// for `inactive_accounts`.
    pub fn measures(
        &self,
        periods: &[Period],
        revenue: &Revenue,
        window: u32,
    ) -> Result<Vec<EventMeasures>, ScanBroken> {
        self.measures_with(periods, revenue, window, &self.daily()?)
    }

    /// [`EventsScan::measures`] with the daily actives already worked out
    /// ([`EventsScan::daily`]).
    pub fn measures_with(
        &self,
        periods: &[Period],
        revenue: &Revenue,
        window: u32,
        daily: &Option<Daily>,
    ) -> Result<Vec<EventMeasures>, ScanBroken> {
        let index = PeriodIndex::new(periods);
        let mut out: Vec<EventMeasures> = vec![EventMeasures::default(); periods.len()];
        // `index` gives positions in `periods`, as many as `out` holds.
        const NO_PERIOD: ScanBroken = ScanBroken("a period index outside the periods");
        for ((m, v), p) in out
            .iter_mut()
            .zip(self.dau_mau(periods, daily.as_ref()))
            .zip(periods)
        {
            m.dau_mau = v;
            m.users_30d = daily.as_ref().map_or(0, |x| x.on(day_num(p.last_day())).1);
        }
        // Each user once per period: only the days of the periods are
        // looked at.
        if let (Some(first), Some(last)) = (periods.first(), periods.last()) {
            let (from, to) = (first.start_num(), last.end_num());
            for days in &self.user_days {
                let mut seen = None;
                for d in days.iter_in(from, to) {
                    if let Some(p) = index.of(d)
                        && seen != Some(p)
                    {
                        out.get_mut(p).ok_or(NO_PERIOD)?.active_users += 1;
                        seen = Some(p);
                    }
                }
            }
        }
        // Cohorts: users by the period of their first event ever, and
        // whether they came back in the next period.
        let mut extended = periods.to_vec();
        if let Some(last) = periods.last() {
            extended.push(last.next());
        }
        // The last event of the whole table, as its first day for
        // `dau_mau`: a segment does not cut the data's extent.
        let data_last = self.ts_range.map(|(_, hi)| self.opts.zone.day_of(hi));
        for days in &self.user_days {
            let Some(c) = days.first().and_then(|d| index.of(d)) else {
                continue;
            };
            let (Some(m), Some(next)) = (out.get_mut(c), extended.get(c + 1)) else {
                return Err(NO_PERIOD);
            };
            m.cohort_users += 1;
            if days.any_in(next.start_num(), next.end_num() - 1) {
                *m.cohort_retained_next.get_or_insert(0) += 1;
            }
        }
        // `extended` holds one period more than `out`: each one's next.
        for (m, next) in out.iter_mut().zip(extended.iter().skip(1)) {
            // The next period must have begun within the data.
            let next_start = next.start_num();
            if data_last.is_some_and(|l| l >= next_start) {
                m.cohort_retained_next.get_or_insert(0);
            } else {
                m.cohort_retained_next = None;
            }
        }
        // Onboarding: users by the period of their first event, once their
        // 14 days (both ends included) are over by the data's last event.
        let mut mapper = self.opts.zone.day_mapper();
        let data_end = self.ts_range.map_or(i64::MIN, |(_, hi)| hi);
        for o in &self.onboarding {
            let first = o.first;
            if first == i64::MAX {
                continue;
            }
            let deadline = first.saturating_add(ONBOARDING_WINDOW);
            if deadline > data_end {
                continue;
            }
            if let Some(p) = index.of(mapper.day_of(first)) {
                let m = out.get_mut(p).ok_or(NO_PERIOD)?;
                m.first_time_users += 1;
                if o.completed <= deadline {
                    m.onboarded_users += 1;
                }
            }
        }
        let mut referrers: HashSet<(u32, usize)> = HashSet::new();
        for &(u, d) in &self.referrals {
            if let Some(p) = index.of(d) {
                referrers.insert((u, p));
            }
        }
        for (_, p) in referrers {
            out.get_mut(p).ok_or(NO_PERIOD)?.referring_users += 1;
        }
        for (&d, &n) in &self.installs {
            if let Some(p) = index.of(d) {
                out.get_mut(p).ok_or(NO_PERIOD)?.app_installs += n;
            }
        }
        if self.opts.needs.account_activity {
            for (m, p) in out.iter_mut().zip(periods) {
                let e = day_num(p.last_day());
                m.inactive_accounts = self.inactive(revenue, e, window)?.len() as u64;
            }
        }
        Ok(out)
    }

    /// The activity days of the account named `name`; `None` when it has
    /// no event.
    fn days_of(&self, name: &str) -> Result<Option<&DayBits>, ScanBroken> {
        match self.accounts.get(name) {
            None => Ok(None),
            Some(&a) => self
                .account_days
                .get(a as usize)
                .map(Some)
                .ok_or(ScanBroken("an interned account without activity days")),
        }
    }

    /// Customers on day `e` with no activity in the `window` days ending
    /// on `e`, largest MRR first, then by account id.
    pub fn inactive(
        &self,
        revenue: &Revenue,
        e: DayNum,
        window: u32,
    ) -> Result<Vec<InactiveAccount>, ScanBroken> {
        let from = e - (window as DayNum - 1);
        let mut out: Vec<InactiveAccount> = Vec::new();
        for (tl, name) in customers(revenue)? {
            let mrr = tl.mrr_on(e);
            if mrr <= Decimal::ZERO {
                continue;
            }
            let last = self
                .days_of(name)?
                .and_then(|days| days.last_on_or_before(e));
            if last.is_some_and(|l| l >= from) {
                continue;
            }
            out.push(InactiveAccount {
                account_id: name.clone(),
                mrr,
                last_active: last.map(|d| date_of(d).to_string()),
                days_since_last_activity: last.map(|d| (e - d) as i64),
            });
        }
        out.sort_by(|a, b| {
            b.mrr
                .cmp(&a.mrr)
                .then_with(|| a.account_id.cmp(&b.account_id))
        });
        Ok(out)
    }

    /// Every customer of `revenue` with what its health reads, looked up
    /// once for all the days scored: its activity days, its users' day
    /// sets, its NPS answers and tickets, and its rank by account id (ties
    /// in score are ordered by it).
    pub fn health_accounts<'a>(
        &'a self,
        revenue: &'a Revenue,
        nps: &'a HashMap<String, Vec<(DayNum, i64)>>,
        tickets: &'a HashMap<String, Vec<(DayNum, Option<DayNum>)>>,
        users_of: &'a HashMap<u32, Vec<&'a DayBits>>,
    ) -> Result<Vec<HealthAccount<'a>>, ScanBroken> {
        let mut out = Vec::new();
        for (timeline, name) in customers(revenue)? {
            let acc = self.accounts.get(name.as_str()).copied();
            out.push(HealthAccount {
                timeline,
                name,
                rank: 0,
                days: self.days_of(name)?,
                users: acc.and_then(|a| users_of.get(&a)).map(Vec::as_slice),
                nps: nps.get(name).map(Vec::as_slice),
                tickets: tickets.get(name).map(Vec::as_slice),
            });
        }
        let mut order: Vec<usize> = (0..out.len()).collect();
        order.sort_by(|&a, &b| {
            let name = |i: usize| out.get(i).map(|h| h.name.as_str());
            name(a).cmp(&name(b))
        });
        for (rank, i) in order.into_iter().enumerate() {
            if let Some(h) = out.get_mut(i) {
                h.rank = rank as u32;
            }
        }
        Ok(out)
    }

    /// Each account's (account, user) day sets, for [`Self::health_inputs`].
    pub fn users_by_account(&self) -> HashMap<u32, Vec<&DayBits>> {
        let mut users_of: HashMap<u32, Vec<&DayBits>> = HashMap::new();
        for ((a, _), days) in &self.pairs {
            users_of.entry(*a).or_default().push(days);
        }
        users_of
    }

    /// The user retention cohort table over `periods`.
    pub fn cohorts(&self, periods: &[Period]) -> Vec<CohortRow> {
        let index = PeriodIndex::new(periods);
        let active = self.active_periods(&index);
        cohort_table(active.iter().map(|v| v.as_slice()), periods.len())
    }
}

/// Each MRR timeline of `revenue` with its account's id.
fn customers(
    revenue: &Revenue,
) -> Result<impl Iterator<Item = (&okapi_core::mrr::AccountTimeline, &String)>, ScanBroken> {
    if revenue.timelines.len() != revenue.accounts.len() {
        return Err(ScanBroken("MRR timelines and account ids out of step"));
    }
    Ok(revenue.timelines.iter().zip(&revenue.accounts))
}

/// A customer as its health reads it (see [`EventsScan::health_accounts`]).
pub struct HealthAccount<'a> {
    pub timeline: &'a okapi_core::mrr::AccountTimeline,
    pub name: &'a String,
    /// Position of `name` among all customers' names, sorted.
    pub rank: u32,
    days: Option<&'a DayBits>,
    users: Option<&'a [&'a DayBits]>,
    nps: Option<&'a [(DayNum, i64)]>,
    tickets: Option<&'a [(DayNum, Option<DayNum>)]>,
}

impl HealthAccount<'_> {
    /// The customer's MRR and health inputs on day `e`; `None` when it
    /// pays nothing that day.
    pub fn inputs_on(&self, e: DayNum) -> Option<(Decimal, HealthInputs)> {
        let mrr = self.timeline.mrr_on(e);
        if mrr <= Decimal::ZERO {
            return None;
        }
        let mut inputs = HealthInputs::default();
        if let Some(days) = self.days {
            inputs.active_days_recent = days.count_in(e - 29, e);
            inputs.active_days_previous = days.count_in(e - 59, e - 30);
            inputs.days_since_activity = days.last_on_or_before(e).map(|d| (e - d) as i64);
        }
        if let Some(users) = self.users {
            inputs.users_total = users
                .iter()
                .filter(|u| u.last_on_or_before(e).is_some())
                .count() as u64;
            inputs.users_active_30d = users.iter().filter(|u| u.any_in(e - 29, e)).count() as u64;
        }
        inputs.latest_nps = self
            .nps
            .and_then(|r| r.iter().filter(|(d, _)| *d <= e).max_by_key(|(d, _)| *d))
            .map(|(_, s)| *s);
        inputs.open_tickets = self.tickets.map_or(0, |t| {
            t.iter()
                .filter(|(o, c)| *o <= e && c.is_none_or(|c| c > e))
                .count() as u64
        });
        Some((mrr, inputs))
    }
}

/// A user's onboarding window: 14 × 24 h from their first event.
const ONBOARDING_WINDOW: i64 = 14 * MICROS_PER_DAY;

/// How many days past a period's end its events KPIs can look, besides
/// the next period (the cohort's return): the onboarding window of 14
/// days, counted in instants, plus a day on each side for the instants'
/// days in the time zone.
pub const LOOK_AHEAD_DAYS: u64 = 16;

/// DAU and MAU30 per day, from day `first` on.
pub struct Daily {
    first: DayNum,
    dau: Vec<u32>,
    mau: Vec<u64>,
}

impl Daily {
    /// `(dau(d), mau30(d))`; 0 outside the days held (no user then).
    fn on(&self, d: DayNum) -> (u32, u64) {
        let Ok(k) = usize::try_from(d - self.first) else {
            return (0, 0);
        };
        match (self.dau.get(k), self.mau.get(k)) {
            (Some(&dau), Some(&mau)) => (dau, mau),
            _ => (0, 0),
        }
    }
}

/// A paying account with no recent activity.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InactiveAccount {
    pub account_id: String,
    pub mrr: Decimal,
    pub last_active: Option<String>,
    pub days_since_last_activity: Option<i64>,
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Date32Array, Decimal128Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};

    use super::*;
    use crate::load::cells::MONEY_SCALE;

    /// An `events` batch of `(day, user, account)` rows, every event a
    /// `login` at noon UTC.
    fn events(rows: &[(DayNum, &str, &str)]) -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new(
                "ts",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            Field::new("user_id", DataType::Utf8, true),
            Field::new("account_id", DataType::Utf8, true),
            Field::new("event", DataType::Utf8, false),
        ]);
        let ts: TimestampMicrosecondArray = rows
            .iter()
            .map(|r| Some(r.0 as i64 * MICROS_PER_DAY + MICROS_PER_DAY / 2))
            .collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(ts.with_timezone("UTC")),
            Arc::new(rows.iter().map(|r| Some(r.1)).collect::<StringArray>()),
            Arc::new(rows.iter().map(|r| Some(r.2)).collect::<StringArray>()),
            Arc::new(rows.iter().map(|_| Some("login")).collect::<StringArray>()),
        ];
        RecordBatch::try_new(Arc::new(schema), columns).unwrap()
    }

    fn scan() -> EventsScan {
        EventsScan::new(EventOptions::from_settings(
            &Settings::default(),
            EventNeeds::ALL,
        ))
    }

    #[test]
    fn a_scan_that_loses_a_users_state_is_refused_not_wrong() {
        let mut s = scan();
        s.add(&events(&[(10, "u1", "a1"), (11, "u2", "a1")]));
        assert_eq!(s.check(), Ok(()));
        // u2's hot record goes missing: its later events cannot be
        // counted, so the whole scan must be refused (and nothing panics).
        s.hot.truncate(1);
        s.add(&events(&[(12, "u2", "a1")]));
        s.finish();
        assert!(s.check().is_err());
    }

    #[test]
    fn reports_of_a_broken_scan_are_errors_not_numbers() {
        let mut s = scan();
        s.add(&events(&[(10, "u1", "a1")]));
        s.finish();
        assert_eq!(s.check(), Ok(()));
        // a1 pays 100 from day 0 on.
        let subs = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("account_id", DataType::Utf8, false),
                Field::new("plan", DataType::Utf8, true),
                Field::new("mrr", DataType::Decimal128(38, MONEY_SCALE as i8), false),
                Field::new("start_date", DataType::Date32, false),
                Field::new("end_date", DataType::Date32, true),
            ])),
            vec![
                Arc::new(StringArray::from(vec!["a1"])),
                Arc::new(StringArray::from(vec![Some("pro")])),
                Arc::new(
                    Decimal128Array::from(vec![100 * 10i128.pow(MONEY_SCALE)])
                        .with_precision_and_scale(38, MONEY_SCALE as i8)
                        .unwrap(),
                ),
                Arc::new(Date32Array::from(vec![0])),
                Arc::new(Date32Array::from(vec![None])),
            ],
        )
        .unwrap();
        let revenue = Revenue::from_batches(&[subs], &|_, _| true).unwrap();
        // Intact, a1 was last active on day 10: 20 days before day 30.
        let inactive = s.inactive(&revenue, 30, 14).unwrap();
        assert_eq!(inactive.len(), 1);
        assert_eq!(inactive[0].days_since_last_activity, Some(20));
        // a1's activity days go missing: "inactive" would be a guess.
        s.account_days.clear();
        assert!(s.inactive(&revenue, 30, 14).is_err());
        let month = Period::containing(okapi_core::period::Grain::Month, date_of(30));
        assert!(s.measures(&[month], &revenue, 14).is_err());
    }
}
