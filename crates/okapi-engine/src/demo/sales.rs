//! The sales pipeline (deals) and the sales and marketing spend.
//!
//! B2B: a `new` deal for every sales-assisted account (won on the day it
//! starts paying, lost when its trial fails), `expansion` deals for
//! upgrades (and some lost ones), `renewal` deals at the anniversaries of
//! annual plans (lost when the account does not renew). B2C: the annual
//! plans bought (`new`) and their renewals.

use rand_chacha::ChaCha8Rng;

use super::calendar::{Cal, DAY_US, HOUR_US};
use super::funnel::Funnel;
use super::rnd::{between, chance, pick, pick_in, unit};
use super::sim::{Origin, Segment, World};

#[derive(Debug, Clone)]
pub(crate) struct Deal {
    pub account: Option<u32>,
    pub kind: &'static str,
    pub created: i64,
    pub closed: Option<i64>,
    pub status: &'static str,
    /// Annual contract value, cents.
    pub amount: i64,
}

fn office(rng: &mut ChaCha8Rng) -> i64 {
    8 * HOUR_US + between(rng, 0, 10 * HOUR_US - 1)
}

/// A plausible annual contract value for a prospect of the segment;
/// `None` for a tier beyond the world's plans (the segments' tiers stay
/// within their profile's plans).
fn quote(world: &World, seg: Segment, rng: &mut ChaCha8Rng) -> Option<i64> {
    let plans = world.plans();
    let tier = match seg {
        Segment::Smb => pick(rng, &[50, 35, 15]),
        Segment::Mid => 2 + pick(rng, &[30, 45, 25]),
        Segment::Ent => 4 + pick(rng, &[30, 40, 30]),
        Segment::Consumer => pick(rng, &[65, 27, 8]),
    };
    plans.get(tier).map(|p| p.monthly * 12)
}

pub(crate) fn deals(cal: &Cal, world: &World, funnel: &Funnel, rng: &mut ChaCha8Rng) -> Vec<Deal> {
    let b2b = world.b2b();
    let days = cal.days;
    let start_ts = cal.ts(0, 0);
    let end_ts = cal.end_ts();
    let mut out = Vec::new();
    let close = |created: i64, closed: i64, won: bool| -> (Option<i64>, &'static str) {
        if closed >= end_ts {
            (None, "open")
        } else {
            (Some(closed.max(created)), if won { "won" } else { "lost" })
        }
    };

    // `customer_at` has one entry per account, in the same order.
    for (i, (a, customer_at)) in world.accounts.iter().zip(&funnel.customer_at).enumerate() {
        let account = Some(i as u32);
        // New business.
        if let Some(c) = *customer_at {
            let first = a.rows.iter().find(|r| r.mrr > 0);
            let amount = first.map_or(0, |r| r.acv);
            let annual = first.is_some_and(|r| r.annual);
            if b2b && a.sales_assisted {
                let cycle = match a.seg {
                    Segment::Smb => between(rng, 5, 25),
                    Segment::Mid => between(rng, 20, 60),
                    _ => between(rng, 45, 120),
                };
                let created = (c - cycle * DAY_US)
                    .max(a.created - between(rng, 0, 5) * DAY_US)
                    .max(start_ts)
                    .min(c);
                out.push(Deal {
                    account,
                    kind: "new",
                    created,
                    closed: Some(c),
                    status: "won",
                    amount,
                });
            } else if !b2b && annual {
                out.push(Deal {
                    account,
                    kind: "new",
                    created: a.created.min(c),
                    closed: Some(c),
                    status: "won",
                    amount,
                });
            }
        } else if b2b
            && a.sales_assisted
            && matches!(a.origin, Origin::Trial | Origin::TrialLost)
            && a.first_paid().is_none()
        {
            let created = a.created + between(rng, 0, 3) * DAY_US;
            if created < end_ts {
                let lost_day = cal.ts(a.eval_end, office(rng));
                let (closed, status) = close(created, lost_day, false);
                if let Some(amount) = quote(world, a.seg, rng) {
                    out.push(Deal {
                        account,
                        kind: "new",
                        created,
                        closed,
                        status,
                        amount,
                    });
                }
            }
        }

        // Upgrades: won expansion deals.
        for pair in a.rows.windows(2) {
            let [r0, r1] = pair else {
                continue;
            };
            if b2b
                && r0.mrr > 0
                && r1.mrr > r0.mrr
                && r0.end == Some(r1.start)
                && (0..days).contains(&r1.start)
                && (a.sales_assisted || chance(rng, 0.4))
            {
                let closed = cal.ts(r1.start, office(rng));
                let created = (closed - between(rng, 7, 45) * DAY_US).max(start_ts);
                out.push(Deal {
                    account,
                    kind: "expansion",
                    created,
                    closed: Some(closed),
                    status: "won",
                    amount: (r1.mrr - r0.mrr) * 12,
                });
            }
        }
        // Upsell attempts that did not land (or are still open).
        if b2b {
            let p = if a.sales_assisted { 0.02 } else { 0.005 };
            for (ms, me) in cal.month_bounds() {
                let d = between(rng, ms as i64, me as i64 - 1) as i32;
                let mrr = a.mrr_on(d);
                if mrr > 0 && chance(rng, p) {
                    let created = cal.ts(d, office(rng));
                    let (closed, status) =
                        close(created, created + between(rng, 10, 40) * DAY_US, false);
                    let amount =
                        (mrr as f64 * 12.0 * (0.3 + 0.7 * unit(rng)) / 100.0).round() as i64 * 100;
                    out.push(Deal {
                        account,
                        kind: "expansion",
                        created,
                        closed,
                        status,
                        amount,
                    });
                }
            }
        }

        // Renewals of annual plans.
        for (s, e) in a.paid_spans() {
            if !a.row_on(s).is_some_and(|r| r.annual) {
                continue;
            }
            let notice = if b2b { 60 } else { 30 };
            let mut k = 1;
            loop {
                let ann = cal.add_months(s, 12 * k);
                k += 1;
                if ann - notice >= days || e.is_some_and(|e| e < ann) {
                    break;
                }
                if ann < 0 {
                    continue;
                }
                let amount = a.row_on(ann - 1).map_or(0, |r| r.acv);
                let created = cal.ts(ann - notice, office(rng)).max(start_ts);
                let renewed = e.is_none_or(|e| e > ann);
                let (closed, status) = close(created, cal.ts(ann, office(rng)), renewed);
                out.push(Deal {
                    account,
                    kind: "renewal",
                    created,
                    closed,
                    status,
                    amount,
                });
                if !renewed {
                    break;
                }
            }
        }
    }

    // Prospects that got a sales conversation but never signed up.
    if b2b {
        for l in &funnel.leads {
            if l.signup.is_none()
                && let Some(mql) = l.mql
                && chance(rng, 0.2)
            {
                let created = mql + between(rng, 1, 7) * DAY_US;
                if created >= end_ts {
                    continue;
                }
                let seg = pick_in(
                    rng,
                    &[Segment::Smb, Segment::Mid, Segment::Ent],
                    &[55, 33, 12],
                )
                .unwrap_or(Segment::Smb);
                let (closed, status) =
                    close(created, created + between(rng, 15, 60) * DAY_US, false);
                if let Some(amount) = quote(world, seg, rng) {
                    out.push(Deal {
                        account: None,
                        kind: "new",
                        created,
                        closed,
                        status,
                        amount,
                    });
                }
            }
        }
    }
    out.sort_by_key(|d| d.created);
    out
}

#[derive(Debug, Clone)]
pub(crate) struct Spend {
    pub month: usize,
    pub category: &'static str,
    pub channel: Option<&'static str>,
    pub amount: i64,
}

/// Spend per month, in line with the new customers it brings.
pub(crate) fn spend(cal: &Cal, world: &World, funnel: &Funnel, rng: &mut ChaCha8Rng) -> Vec<Spend> {
    let months = cal.months();
    let mut new = vec![0f64; months];
    for t in funnel.customer_at.iter().flatten() {
        if let Some(n) = cal.month_of(cal.day_of_ts(*t)).and_then(|m| new.get_mut(m)) {
            *n += 1.0;
        }
    }
    let mean = new.iter().sum::<f64>() / months as f64;
    #[allow(clippy::type_complexity)]
    let (marketing, sales): ((f64, &[(Option<&str>, f64)]), (f64, &[(Option<&str>, f64)])) =
        if world.b2b() {
            (
                (
                    2000.0,
                    &[
                        (Some("paid"), 0.35),
                        (Some("social"), 0.15),
                        (Some("events"), 0.2),
                        (Some("organic"), 0.15),
                        (Some("email"), 0.05),
                        (Some("partner"), 0.1),
                    ],
                ),
                (
                    2600.0,
                    &[
                        (Some("inbound"), 0.4),
                        (Some("outbound"), 0.35),
                        (None, 0.25),
                    ],
                ),
            )
        } else {
            (
                (
                    40.0,
                    &[
                        (Some("paid"), 0.4),
                        (Some("social"), 0.35),
                        (Some("referral"), 0.1),
                        (Some("email"), 0.05),
                        (Some("organic"), 0.1),
                    ],
                ),
                (4.0, &[(Some("partner"), 1.0)]),
            )
        };
    let mut out = Vec::new();
    for (m, &cur) in new.iter().enumerate() {
        // The first and last months are their own neighbours.
        let prev = m
            .checked_sub(1)
            .and_then(|p| new.get(p))
            .copied()
            .unwrap_or(cur);
        let next = new.get(m + 1).copied().unwrap_or(cur);
        // Spend leads results: smooth, never nothing.
        let base = ((prev + 2.0 * cur + next) / 4.0).max(mean * 0.5).max(1.0);
        for (category, (cac, channels)) in [("marketing", marketing), ("sales", sales)] {
            for &(channel, share) in channels {
                let dollars = base * cac * share * (0.9 + 0.2 * unit(rng));
                out.push(Spend {
                    month: m,
                    category,
                    channel,
                    amount: (dollars * 100.0).round() as i64,
                });
            }
        }
    }
    out
}
