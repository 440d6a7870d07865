//! Website visits and the leads funnel (sign-up, MQL, PQL, customer,
//! lost), consistent with the accounts: a lead that became a customer
//! names its account, and its `customer_at` is the day the account's
//! first paid subscription starts.

use rand_chacha::ChaCha8Rng;

use super::calendar::{Cal, DAY_US, HOUR_US};
use super::rnd::{HourTable, between, chance, exp, one_of, pick_in, unit};
use super::sim::{Origin, World, growth, signup_day};

/// Acquisition channels (visits, lead sources, marketing spend).
pub(crate) const CHANNELS: [&str; 8] = [
    "organic", "paid", "social", "referral", "direct", "email", "events", "partner",
];

#[derive(Debug, Clone)]
pub(crate) struct Lead {
    pub created: i64,
    pub source: Option<&'static str>,
    pub signup: Option<i64>,
    pub mql: Option<i64>,
    pub pql: Option<i64>,
    pub customer: Option<i64>,
    pub lost: Option<i64>,
    pub account: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Visit {
    pub ts: i64,
    pub visitor: u32,
    pub channel: Option<&'static str>,
}

pub(crate) struct Funnel {
    /// Sorted by `created`.
    pub leads: Vec<Lead>,
    /// Sorted by `ts`.
    pub visits: Vec<Visit>,
    /// When each account became a paying customer (accounts that started
    /// paying inside the data; existing customers and reactivations have
    /// none), one entry per account of the world, in its order.
    pub customer_at: Vec<Option<i64>>,
}

pub(crate) fn generate(cal: &Cal, world: &World, rng: &mut ChaCha8Rng) -> Funnel {
    let b2b = world.b2b();
    let start_ts = cal.ts(0, 0);
    let end_ts = cal.end_ts();
    let hours = HourTable::new(if b2b {
        &super::rnd::B2B_HOURS
    } else {
        &super::rnd::B2C_HOURS
    });
    let source_weights: &[u32; 8] = if b2b {
        &[30, 22, 8, 10, 10, 6, 9, 5]
    } else {
        &[30, 28, 25, 12, 3, 2, 0, 0]
    };
    let source = |rng: &mut ChaCha8Rng| {
        if chance(rng, 0.03) {
            None
        } else {
            pick_in(rng, &CHANNELS, source_weights)
        }
    };
    // Business hours for a contract or a payment.
    let office = |rng: &mut ChaCha8Rng| 8 * HOUR_US + between(rng, 0, 10 * HOUR_US - 1);
    let days = |rng: &mut ChaCha8Rng, mean: f64| (exp(rng, mean) * DAY_US as f64) as i64;

    let mut customer_at = Vec::with_capacity(world.accounts.len());
    let mut leads = Vec::new();
    let mut in_window = 0usize;
    for (i, a) in world.accounts.iter().enumerate() {
        if a.existing() {
            customer_at.push(None);
            continue;
        }
        in_window += 1;
        let signup = a.created;
        let customer = a
            .first_paid()
            .filter(|&d| (0..cal.days).contains(&d))
            .map(|d| cal.ts(d, office(rng)));
        customer_at.push(customer);
        let created = if b2b && chance(rng, 0.5) {
            (signup - HOUR_US - days(rng, 3.0)).max(start_ts)
        } else {
            signup
        };
        let mql = (b2b && chance(rng, 0.75)).then(|| created + HOUR_US + days(rng, 1.5));
        let p_pql = match a.origin {
            Origin::Trial => 0.85,
            Origin::Free => 0.8,
            Origin::FreeOnly => 0.35,
            _ => 0.25,
        };
        let mut pql = chance(rng, p_pql).then(|| signup + 4 * HOUR_US + days(rng, 3.5));
        if let (Some(p), Some(c)) = (pql, customer)
            && p >= c
        {
            pql = Some(signup + ((c - signup) as f64 * (0.3 + 0.5 * unit(rng))) as i64);
        }
        let lost = match a.origin {
            Origin::TrialLost => Some(cal.ts(a.eval_end, office(rng)) + days(rng, 1.0)),
            Origin::FreeOnly if chance(rng, 0.4) => Some(cal.ts(a.eval_end + 7, office(rng))),
            _ => None,
        };
        leads.push(Lead {
            created,
            source: source(rng),
            signup: Some(signup),
            mql,
            pql,
            customer,
            lost,
            account: customer.map(|_| i as u32),
        });
    }
    let profile = world.profile;
    // Sign-ups that never activated: no account, no usage.
    let inactive = (in_window as f64 * if b2b { 0.35 } else { 0.5 }).round() as usize;
    for _ in 0..inactive {
        let d = signup_day(cal, profile, rng);
        let signup = cal.ts(d, hours.tod(rng));
        let created = if b2b && chance(rng, 0.5) {
            (signup - HOUR_US - days(rng, 3.0)).max(start_ts)
        } else {
            signup
        };
        leads.push(Lead {
            created,
            source: source(rng),
            signup: Some(signup),
            mql: (b2b && chance(rng, 0.4)).then(|| created + HOUR_US + days(rng, 2.0)),
            pql: None,
            customer: None,
            lost: Some(signup + between(rng, 14, 45) * DAY_US + office(rng)),
            account: None,
        });
    }
    // Known prospects who never signed up (webinars, e-books, newsletter).
    let prospects = (in_window as f64 * if b2b { 1.2 } else { 0.4 }).round() as usize;
    for _ in 0..prospects {
        let d = signup_day(cal, profile, rng);
        let created = cal.ts(d, hours.tod(rng));
        leads.push(Lead {
            created,
            source: source(rng),
            signup: None,
            mql: (b2b && chance(rng, 0.55)).then(|| created + HOUR_US + days(rng, 2.0)),
            pql: None,
            customer: None,
            lost: chance(rng, 0.5).then(|| created + between(rng, 20, 90) * DAY_US),
            account: None,
        });
    }
    // Story 2: a one-click sign-up form doubles sign-ups in one month (one
    // of the data's: the one before the last), but the new sign-ups rarely
    // reach PQL.
    if let Some((ms, me)) = cal.month_span(world.stories.funnel_month) {
        let in_month = |ts: i64| (cal.ts(ms, 0)..cal.ts(me, 0)).contains(&ts);
        let base = leads
            .iter()
            .filter(|l| l.signup.is_some_and(in_month))
            .count();
        let extra = ((base as f64 * 0.9).round() as usize).max(3);
        for _ in 0..extra {
            let d = between(rng, ms as i64, me as i64 - 1) as i32;
            let signup = cal.ts(d, hours.tod(rng));
            leads.push(Lead {
                created: signup,
                source: Some(if chance(rng, 0.6) { "paid" } else { "social" }),
                signup: Some(signup),
                mql: (b2b && chance(rng, 0.1)).then(|| signup + HOUR_US + days(rng, 2.0)),
                pql: None,
                customer: None,
                lost: chance(rng, 0.6).then(|| signup + between(rng, 14, 40) * DAY_US),
                account: None,
            });
        }
    }
    // Nothing after the end of the data.
    for l in &mut leads {
        for t in [
            &mut l.signup,
            &mut l.mql,
            &mut l.pql,
            &mut l.customer,
            &mut l.lost,
        ] {
            if t.is_some_and(|t| t >= end_ts) {
                *t = None;
            }
        }
        if l.customer.is_none() {
            l.account = None;
        }
    }
    leads.sort_by_key(|l| l.created);

    let visits = visits(cal, world, in_window + inactive, &hours, rng);
    Funnel {
        leads,
        visits,
        customer_at,
    }
}

/// Website visits in proportion to the expected (not the actual) sign-ups,
/// so that the sign-up surge of story 2 shows as a higher conversion.
fn visits(
    cal: &Cal,
    world: &World,
    signups: usize,
    hours: &HourTable,
    rng: &mut ChaCha8Rng,
) -> Vec<Visit> {
    let b2b = world.b2b();
    let g = growth(world.profile);
    let n = cal.days as f64;
    let rate = if b2b { 0.03 } else { 0.045 };
    let weights: &[u32; 8] = if b2b {
        &[35, 20, 10, 8, 20, 5, 0, 2]
    } else {
        &[30, 25, 25, 10, 8, 2, 0, 0]
    };
    let mut out = Vec::new();
    let mut recent: Vec<u32> = Vec::new();
    let mut next_id = 0u32;
    let mut day = Vec::new();
    for d in 0..cal.days {
        let density = g * (g * d as f64 / n).exp() / (n * (g.exp() - 1.0));
        let weekday = if b2b && cal.is_weekend(d) {
            0.45 / 0.843
        } else if b2b {
            1.0 / 0.843
        } else {
            1.0
        };
        let expected = signups as f64 * density * weekday / rate;
        let count = (expected * (0.9 + 0.2 * unit(rng))).round() as usize;
        day.clear();
        for _ in 0..count {
            // A returning visitor: one of the recent ones, if any.
            let back = if !recent.is_empty() && chance(rng, 0.3) {
                one_of(rng, &recent).copied()
            } else {
                None
            };
            let visitor = match back {
                Some(v) => v,
                None => {
                    next_id += 1;
                    if recent.len() < 5000 {
                        recent.push(next_id);
                    } else if let Some(slot) = recent.get_mut(next_id as usize % 5000) {
                        *slot = next_id;
                    }
                    next_id
                }
            };
            let channel = if chance(rng, 0.02) {
                None
            } else {
                pick_in(rng, &CHANNELS, weights)
            };
            day.push(Visit {
                ts: cal.ts(d, hours.tod(rng)),
                visitor,
                channel,
            });
        }
        day.sort_by_key(|v| (v.ts, v.visitor));
        out.extend_from_slice(&day);
    }
    out
}
