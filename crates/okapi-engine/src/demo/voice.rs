//! The customer's voice and journey: NPS and CSAT surveys, support
//! tickets, and onboarding milestones.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::calendar::{Cal, DAY_US, HOUR_US};
use super::funnel::Funnel;
use super::rnd::{between, chance, exp, one_of, pick_in, poisson};
use super::sim::{Account, Origin, Segment, World};

#[derive(Debug, Clone)]
pub(crate) struct Survey {
    pub ts: i64,
    pub kind: &'static str,
    pub score: i64,
    pub account: Option<u32>,
    pub user: Option<u32>,
    pub comment: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub(crate) struct Ticket {
    pub account: Option<u32>,
    pub opened: i64,
    pub first_response: Option<i64>,
    pub closed: Option<i64>,
}

#[derive(Debug, Clone)]
pub(crate) struct Milestone {
    pub account: u32,
    pub name: &'static str,
    pub at: i64,
}

/// Onboarding phases after `contract_signed` (B2B): (milestone, fixed
/// days, mean of the random part). Connecting the customer's systems is
/// the slow one (story 3).
pub(crate) const PHASES: [(&str, f64, f64); 4] = [
    ("access_granted", 0.3, 1.2),
    ("integration_live", 5.0, 10.0),
    ("trained", 1.0, 3.5),
    ("first_value", 1.0, 3.0),
];

const PROMOTER: [&str; 6] = [
    "Saves our team hours every week.",
    "The dashboards are exactly what our board asks for.",
    "Great support, fast answers.",
    "Easy to roll out to the whole team.",
    "Best tool we bought this year.",
    "Love the exports.",
];
const PASSIVE: [&str; 6] = [
    "Does the job, a bit pricey.",
    "Good, but the integration took a while.",
    "Would like more templates.",
    "Solid, some reports are slow.",
    "Fine for now.",
    "Missing a few integrations we need.",
];
const DETRACTOR: [&str; 7] = [
    "Too expensive for what we use.",
    "Setting up the integration was painful.",
    "We found a cheaper alternative.",
    "Support took days to answer.",
    "Reports are often wrong or late.",
    "Hard to get the team to use it.",
    "Not sure we still need it.",
];
const CSAT_GOOD: [&str; 4] = [
    "Quick and helpful.",
    "Solved on the first reply.",
    "Thanks, very clear.",
    "Great support.",
];
const CSAT_BAD: [&str; 4] = [
    "Took too long.",
    "Had to explain the problem three times.",
    "Still not fixed.",
    "The answer did not help.",
];

pub(crate) struct Voice {
    pub surveys: Vec<Survey>,
    pub tickets: Vec<Ticket>,
    pub milestones: Vec<Milestone>,
}

pub(crate) fn generate(cal: &Cal, world: &World, funnel: &Funnel, rng: &mut ChaCha8Rng) -> Voice {
    let tickets = tickets(cal, world, rng);
    let mut surveys = nps(cal, world, rng);
    csat(cal, world, &tickets, rng, &mut surveys);
    surveys.sort_by_key(|s| s.ts);
    let milestones = milestones(cal, world, funnel, rng);
    Voice {
        surveys,
        tickets,
        milestones,
    }
}

/// Whether the account stops paying within `days` after day `d`.
fn leaving(a: &Account, d: i32, days: i32) -> bool {
    a.paid_spans()
        .iter()
        .any(|&(_, e)| e.is_some_and(|e| e > d && e <= d + days))
}

fn nps(cal: &Cal, world: &World, rng: &mut ChaCha8Rng) -> Vec<Survey> {
    let p = if world.b2b() { 0.12 } else { 0.04 };
    let mut out = Vec::new();
    for (i, a) in world.accounts.iter().enumerate() {
        for (first, next) in cal.month_bounds() {
            let d = between(rng, first as i64, next as i64 - 1) as i32;
            if a.mrr_on(d) == 0 || a.quiet_from.is_some_and(|q| d >= q) || !chance(rng, p) {
                continue;
            }
            let mood = if leaving(a, d, 60) { 2 } else { a.mood };
            let (scores, weights, comments): (&[i64], &[u32], &[&str]) = match mood {
                0 => (&[10, 9, 8, 7, 6, 5], &[40, 30, 15, 10, 3, 2], &PROMOTER),
                1 => (
                    &[10, 9, 8, 7, 6, 5, 4],
                    &[8, 12, 30, 25, 12, 8, 5],
                    &PASSIVE,
                ),
                _ => (
                    &[9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
                    &[3, 5, 10, 17, 17, 15, 12, 9, 7, 5],
                    &DETRACTOR,
                ),
            };
            // Scores and weights go in pairs: always a score.
            let Some(score) = pick_in(rng, scores, weights) else {
                continue;
            };
            let users: Vec<u32> = a
                .users
                .clone()
                .filter(|&u| world.user(u).is_some_and(|u| u.join <= d))
                .collect();
            let user = one_of(rng, &users).copied().unwrap_or(a.users.start);
            let comment = chance(rng, 0.35)
                .then(|| one_of(rng, comments).copied())
                .flatten();
            out.push(Survey {
                ts: cal.ts(d, between(rng, 7 * HOUR_US, 21 * HOUR_US)),
                kind: "nps",
                score,
                account: Some(i as u32),
                user: Some(user),
                comment,
            });
        }
    }
    out
}

fn csat(cal: &Cal, world: &World, tickets: &[Ticket], rng: &mut ChaCha8Rng, out: &mut Vec<Survey>) {
    let end_ts = cal.end_ts();
    for t in tickets {
        let (Some(closed), Some(i)) = (t.closed, t.account) else {
            continue;
        };
        if !chance(rng, 0.45) {
            continue;
        }
        let ts = closed + between(rng, 5 * 60_000_000, 48 * HOUR_US);
        if ts >= end_ts {
            continue;
        }
        // A ticket's account is one of the world's.
        let Some(a) = world.account(i) else {
            continue;
        };
        let unhappy = a.mood == 2;
        let weights: &[u32; 5] = if unhappy {
            &[15, 20, 25, 25, 15]
        } else {
            &[4, 6, 12, 33, 45]
        };
        let Some(score) = pick_in(rng, &[1, 2, 3, 4, 5], weights) else {
            continue;
        };
        let comments: &[&str] = if score >= 4 { &CSAT_GOOD } else { &CSAT_BAD };
        let comment = chance(rng, 0.25)
            .then(|| one_of(rng, comments).copied())
            .flatten();
        out.push(Survey {
            ts,
            kind: "csat",
            score,
            account: Some(i),
            user: Some(a.users.start + rng.random_range(0..a.users.len() as u32)),
            comment,
        });
    }
}

fn tickets(cal: &Cal, world: &World, rng: &mut ChaCha8Rng) -> Vec<Ticket> {
    let end_ts = cal.end_ts();
    let mut out = Vec::new();
    for (i, a) in world.accounts.iter().enumerate() {
        let (rate, response_hours) = match a.seg {
            Segment::Smb => (0.25, 7.0),
            Segment::Mid => (0.6, 4.0),
            Segment::Ent => (1.2, 2.0),
            Segment::Consumer => (0.03, 10.0),
        };
        let mut opened_days: Vec<i32> = Vec::new();
        for span in a.activity(cal) {
            let mut d = span.start;
            while d < span.end {
                let len = (span.end - d).min(30);
                for _ in 0..poisson(rng, rate * len as f64 / 30.0) {
                    opened_days.push(d + between(rng, 0, len as i64 - 1) as i32);
                }
                d += len;
            }
        }
        // Accounts about to leave in the spike complained first.
        if a.spike
            && let Some(&(_, Some(e))) = a.paid_spans().last().as_ref()
        {
            for _ in 0..1 + poisson(rng, 1.5) {
                opened_days.push((e - between(rng, 1, 21) as i32).max(0));
            }
        }
        for d in opened_days {
            let opened = cal.ts(d, between(rng, 6 * HOUR_US, 20 * HOUR_US));
            let first_response = chance(rng, 0.97)
                .then(|| opened + 300_000_000 + (exp(rng, response_hours) * HOUR_US as f64) as i64)
                .filter(|&t| t < end_ts);
            let closed = first_response
                .map(|f| f + 600_000_000 + (exp(rng, 1.2) * DAY_US as f64) as i64)
                .filter(|&t| t < end_ts);
            out.push(Ticket {
                account: (!chance(rng, 0.02)).then_some(i as u32),
                opened,
                first_response,
                closed,
            });
        }
    }
    out.sort_by_key(|t| t.opened);
    out
}

fn milestones(cal: &Cal, world: &World, funnel: &Funnel, rng: &mut ChaCha8Rng) -> Vec<Milestone> {
    let end_ts = cal.end_ts();
    let mut out = Vec::new();
    // `customer_at` has one entry per account, in the same order.
    for (i, (a, customer_at)) in world.accounts.iter().zip(&funnel.customer_at).enumerate() {
        let account = i as u32;
        if world.b2b() {
            let Some(signed) = *customer_at else {
                continue;
            };
            out.push(Milestone {
                account,
                name: "contract_signed",
                at: signed,
            });
            let pace = match a.seg {
                Segment::Smb => 0.7,
                Segment::Ent => 1.4,
                _ => 1.0,
            };
            let mut t = signed;
            for (name, fixed, mean) in PHASES {
                t += ((fixed + exp(rng, mean)) * pace * DAY_US as f64) as i64;
                if t >= end_ts || a.mrr_on(cal.day_of_ts(t)) == 0 {
                    break;
                }
                out.push(Milestone {
                    account,
                    name,
                    at: t,
                });
            }
        } else {
            if a.existing() || (a.origin == Origin::TrialLost && chance(rng, 0.5)) {
                continue;
            }
            out.push(Milestone {
                account,
                name: "signup",
                at: a.created,
            });
            if chance(rng, 0.8) {
                let at = a.created + HOUR_US / 2 + (exp(rng, 10.0) * HOUR_US as f64) as i64;
                if at < end_ts {
                    out.push(Milestone {
                        account,
                        name: "first_value",
                        at,
                    });
                }
            }
        }
    }
    out.sort_by_key(|m| (m.at, m.account));
    out
}
