//! The company's accounts, subscriptions and users: a simulation of every
//! account's life (trial or free plan, paying months, plan changes, churn,
//! reactivation), with the stories planted in it afterwards.

use chrono::Datelike;
use okapi_core::settings::Profile;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::calendar::Cal;
use super::rnd::{HourTable, between, chance, exp, normal, one_of, pick, pick_in, unit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segment {
    Smb,
    Mid,
    Ent,
    Consumer,
}

impl Segment {
    pub fn name(self) -> &'static str {
        match self {
            Segment::Smb => "smb",
            Segment::Mid => "mid-market",
            Segment::Ent => "enterprise",
            Segment::Consumer => "consumer",
        }
    }

    /// Monthly probability of cancelling at a billing anniversary.
    fn churn(self) -> f64 {
        match self {
            Segment::Smb => 0.026,
            Segment::Mid => 0.013,
            Segment::Ent => 0.007,
            Segment::Consumer => 0.05,
        }
    }

    /// Monthly probability of an upgrade (outside upsell pushes).
    fn expansion(self) -> f64 {
        match self {
            Segment::Smb => 0.008,
            Segment::Mid => 0.012,
            Segment::Ent => 0.015,
            Segment::Consumer => 0.01,
        }
    }

    /// Monthly probability of a downgrade.
    fn contraction(self) -> f64 {
        match self {
            Segment::Smb => 0.008,
            Segment::Mid => 0.01,
            Segment::Ent => 0.008,
            Segment::Consumer => 0.006,
        }
    }

    fn annual_share(self) -> f64 {
        match self {
            Segment::Smb => 0.15,
            Segment::Mid => 0.35,
            Segment::Ent => 0.65,
            Segment::Consumer => 0.3,
        }
    }

    /// Trial (evaluation) length in days.
    fn trial(self, rng: &mut ChaCha8Rng) -> i32 {
        match self {
            Segment::Smb => 14,
            Segment::Mid => 21 + between(rng, 0, 14) as i32,
            Segment::Ent => 30 + between(rng, 0, 45) as i32,
            Segment::Consumer => 7,
        }
    }

    fn ladder(self) -> Ladder {
        match self {
            Segment::Smb => Ladder {
                first: 0,
                weights: &[50, 35, 15],
                min: 0,
                max: 3,
            },
            Segment::Mid => Ladder {
                first: 2,
                weights: &[30, 45, 25],
                min: 1,
                max: 5,
            },
            Segment::Ent => Ladder {
                first: 4,
                weights: &[30, 40, 30],
                min: 3,
                max: 7,
            },
            Segment::Consumer => Ladder {
                first: 0,
                weights: &[65, 27, 8],
                min: 0,
                max: 3,
            },
        }
    }

    /// Weight of the segment in the churn spike (a cheaper competitor).
    fn spike_weight(self) -> f64 {
        match self {
            Segment::Smb => 3.0,
            Segment::Mid => 1.2,
            Segment::Ent => 0.2,
            Segment::Consumer => 1.0,
        }
    }

    /// Number of people using the product.
    fn users(self, rng: &mut ChaCha8Rng) -> u32 {
        match self {
            Segment::Smb => 1 + pick(rng, &[35, 30, 20, 15]) as u32,
            Segment::Mid => between(rng, 3, 9) as u32,
            Segment::Ent => between(rng, 6, 15) as u32,
            Segment::Consumer => 1,
        }
    }
}

/// The plans an account of a segment starts on and moves between.
struct Ladder {
    first: usize,
    weights: &'static [u32],
    min: usize,
    max: usize,
}

/// A price point. Annual plans cost ten months; their MRR is the annual
/// amount / 12.
pub(crate) struct Plan {
    pub name: &'static str,
    pub annual_name: &'static str,
    /// Monthly price in cents.
    pub monthly: i64,
}

const B2B_PLANS: [Plan; 8] = [
    plan("starter", "starter-annual", 4900),
    plan("team", "team-annual", 9900),
    plan("growth", "growth-annual", 29900),
    plan("pro", "pro-annual", 49900),
    plan("business", "business-annual", 99900),
    plan("enterprise", "enterprise-annual", 150000),
    plan("enterprise", "enterprise-annual", 200000),
    plan("enterprise", "enterprise-annual", 250000),
];

const B2C_PLANS: [Plan; 4] = [
    plan("basic", "basic-annual", 999),
    plan("plus", "plus-annual", 1999),
    plan("family", "family-annual", 2999),
    plan("premium", "premium-annual", 3999),
];

const fn plan(name: &'static str, annual_name: &'static str, monthly: i64) -> Plan {
    Plan {
        name,
        annual_name,
        monthly,
    }
}

/// One billing period (a row of `subscriptions`).
#[derive(Debug, Clone)]
pub(crate) struct SubRow {
    pub plan: &'static str,
    /// Monthly recurring revenue, in cents.
    pub mrr: i64,
    /// Contract value of a year, in cents (annual plans: the price paid).
    pub acv: i64,
    pub annual: bool,
    pub start: i32,
    pub end: Option<i32>,
}

/// A row on plan `tier` of `plans`; `None` for a tier beyond them (the
/// segments' ladders stay within their profile's plans).
fn sub_row(plans: &[Plan], tier: usize, annual: bool, start: i32) -> Option<SubRow> {
    let p = plans.get(tier)?;
    Some(if annual {
        // Ten months for a year, minus a cent: 99.99, 490.00 …
        let acv = if p.monthly % 100 == 99 {
            p.monthly * 10 + 9
        } else {
            p.monthly * 10
        };
        SubRow {
            plan: p.annual_name,
            mrr: (acv + 6) / 12,
            acv,
            annual,
            start,
            end: None,
        }
    } else {
        SubRow {
            plan: p.name,
            mrr: p.monthly,
            acv: p.monthly * 12,
            annual,
            start,
            end: None,
        }
    })
}

fn free_row(start: i32, end: Option<i32>) -> SubRow {
    SubRow {
        plan: "free",
        mrr: 0,
        acv: 0,
        annual: false,
        start,
        end,
    }
}

/// How an account came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Already a customer when the data starts.
    Existing,
    /// Trial, then paid.
    Trial,
    /// Free plan, then paid.
    Free,
    /// Free plan only.
    FreeOnly,
    /// Trial, then gone.
    TrialLost,
}

#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub id: String,
    pub name: Option<String>,
    pub seg: Segment,
    pub origin: Origin,
    /// Sign-up instant (µs).
    pub created: i64,
    pub signup_day: i32,
    /// End of the trial or free period: the first paid day, the day the
    /// trial was lost or the day a free account stopped using the product.
    pub eval_end: i32,
    pub rows: Vec<SubRow>,
    pub sales_assisted: bool,
    /// 0 promoter, 1 passive, 2 detractor.
    pub mood: u8,
    /// Users make no event from this day on (story 4).
    pub quiet_from: Option<i32>,
    /// Churned in the spike week (story 1).
    pub spike: bool,
    /// Its users, indexes into [`World::users`].
    pub users: std::ops::Range<u32>,
}

/// A stretch of days `[start, end)` when an account's people use the
/// product, with a relative intensity.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub start: i32,
    pub end: i32,
    pub mult: f32,
}

impl Account {
    /// Paying stretches `[start, end)` (consecutive paid rows merged).
    pub fn paid_spans(&self) -> Vec<(i32, Option<i32>)> {
        let mut out: Vec<(i32, Option<i32>)> = Vec::new();
        for r in self.rows.iter().filter(|r| r.mrr > 0) {
            if let Some(last) = out.last_mut()
                && last.1 == Some(r.start)
            {
                last.1 = r.end;
                continue;
            }
            out.push((r.start, r.end));
        }
        out
    }

    /// MRR in cents on day `d`.
    pub fn mrr_on(&self, d: i32) -> i64 {
        self.rows
            .iter()
            .filter(|r| r.start <= d && r.end.is_none_or(|e| d < e))
            .map(|r| r.mrr)
            .sum()
    }

    /// The row in force on day `d`, if any.
    pub fn row_on(&self, d: i32) -> Option<&SubRow> {
        self.rows
            .iter()
            .find(|r| r.start <= d && r.end.is_none_or(|e| d < e))
    }

    /// First day with MRR > 0.
    pub fn first_paid(&self) -> Option<i32> {
        self.rows
            .iter()
            .filter(|r| r.mrr > 0)
            .map(|r| r.start)
            .min()
    }

    /// Whether the account was paying before the data starts.
    pub fn existing(&self) -> bool {
        self.origin == Origin::Existing
    }

    /// Ends every row on `day` and drops the later ones: the account
    /// cancels on `day` for good.
    fn cancel_on(&mut self, day: i32) {
        self.rows.retain(|r| r.start < day);
        for r in &mut self.rows {
            if r.end.is_none_or(|e| e > day) {
                r.end = Some(day);
            }
        }
    }

    /// When its people use the product, clipped to the data.
    pub fn activity(&self, cal: &Cal) -> Vec<Span> {
        let mut spans = Vec::new();
        if !self.existing() {
            let mult = match self.origin {
                Origin::Free | Origin::FreeOnly => 0.45,
                _ => 0.9,
            };
            spans.push(Span {
                start: self.signup_day,
                end: self.eval_end,
                mult,
            });
        }
        for (s, e) in self.paid_spans() {
            match e {
                // Usage fades in the weeks before a cancellation.
                Some(e) if e - s > 35 => {
                    spans.push(Span {
                        start: s,
                        end: e - 21,
                        mult: 1.0,
                    });
                    spans.push(Span {
                        start: e - 21,
                        end: e,
                        mult: 0.3,
                    });
                }
                _ => spans.push(Span {
                    start: s,
                    end: e.unwrap_or(cal.days),
                    mult: 1.0,
                }),
            }
        }
        let stop = self.quiet_from.unwrap_or(cal.days).min(cal.days);
        spans
            .into_iter()
            .filter_map(|sp| {
                let start = sp.start.max(0);
                let end = sp.end.min(stop);
                (start < end).then_some(Span { start, end, ..sp })
            })
            .collect()
    }
}

/// One person using the product.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub account: u32,
    /// First day the person may use the product.
    pub join: i32,
    /// Relative activity (heavy users ≫ 1).
    pub weight: f32,
    /// Used the product before the data starts (already onboarded).
    pub preexisting: bool,
    /// The account's first user (its admin).
    pub primary: bool,
}

/// Where the stories are.
#[derive(Debug, Clone)]
pub(crate) struct Stories {
    /// Monday of the churn-spike week.
    pub spike_week: i32,
    /// Accounts made to cancel that week.
    pub spike_accounts: Vec<u32>,
    /// The month of low-intent signups (index).
    pub funnel_month: usize,
    /// Months with an upsell push.
    pub push: Vec<bool>,
    /// Paying accounts gone quiet.
    pub quiet: Vec<u32>,
}

/// The simulated company.
pub(crate) struct World {
    pub profile: Profile,
    pub accounts: Vec<Account>,
    pub users: Vec<User>,
    pub stories: Stories,
}

impl World {
    pub fn b2b(&self) -> bool {
        self.profile == Profile::B2b
    }

    pub fn plans(&self) -> &'static [Plan] {
        plans(self.profile)
    }

    /// Account index `i`, if there is one.
    pub fn account(&self, i: u32) -> Option<&Account> {
        self.accounts.get(i as usize)
    }

    /// User index `u`, if there is one.
    pub fn user(&self, u: u32) -> Option<&User> {
        self.users.get(u as usize)
    }

    /// The users of `a` with their indices; `None` when its range of
    /// users is not in [`World::users`].
    pub fn users_of<'w>(&'w self, a: &Account) -> Option<impl Iterator<Item = (u32, &'w User)>> {
        let users = self
            .users
            .get(a.users.start as usize..a.users.end as usize)?;
        Some(a.users.clone().zip(users))
    }

    /// `u000123`: the id of user index `u`.
    pub fn user_id(&self, u: u32) -> String {
        let width = self.users.len().to_string().len().max(6);
        format!("u{:0width$}", u + 1)
    }
}

pub(crate) fn plans(profile: Profile) -> &'static [Plan] {
    match profile {
        Profile::B2b => &B2B_PLANS,
        Profile::B2c => &B2C_PLANS,
    }
}

/// Share of in-window sign-ups per day follows exponential growth: the
/// last month has `growth` times the sign-ups of the first.
pub(crate) fn growth(profile: Profile) -> f64 {
    match profile {
        Profile::B2b => 2.2f64.ln(),
        Profile::B2c => 2.6f64.ln(),
    }
}

/// Draws a sign-up day with the growth curve (B2B: fewer on weekends).
pub(crate) fn signup_day(cal: &Cal, profile: Profile, rng: &mut ChaCha8Rng) -> i32 {
    let g = growth(profile);
    let days = cal.days as f64;
    let mut d = 0;
    for _ in 0..8 {
        let u = unit(rng);
        d = ((days * (1.0 + u * (g.exp() - 1.0)).ln() / g) as i32).clamp(0, cal.days - 1);
        if profile == Profile::B2c || !cal.is_weekend(d) || chance(rng, 0.35) {
            break;
        }
    }
    d
}

pub(crate) struct Sim<'a> {
    cal: &'a Cal,
    profile: Profile,
    push: Vec<bool>,
    hours: HourTable,
    rng: ChaCha8Rng,
}

impl<'a> Sim<'a> {
    pub fn new(cal: &'a Cal, profile: Profile, rng: ChaCha8Rng) -> Sim<'a> {
        // Upsell pushes in the last month of every quarter.
        let push = cal
            .month_bounds()
            .map(|(first, _)| cal.date(first).month().is_multiple_of(3))
            .collect();
        let hours = HourTable::new(match profile {
            Profile::B2b => &super::rnd::B2B_HOURS,
            Profile::B2c => &super::rnd::B2C_HOURS,
        });
        Sim {
            cal,
            profile,
            push,
            hours,
            rng,
        }
    }

    /// Simulates `n` accounts and plants the stories.
    pub fn run(mut self, n: u32) -> World {
        let existing_share = match self.profile {
            Profile::B2b => 0.3,
            Profile::B2c => 0.25,
        };
        let n_existing = ((n as f64 * existing_share).round() as u32).max(3);
        let mut accounts: Vec<Account> = (0..n).map(|i| self.account(i < n_existing)).collect();
        // Ids in sign-up order.
        accounts.sort_by_key(|a| a.created);
        let width = (n.to_string().len()).max(5);
        for (i, a) in accounts.iter_mut().enumerate() {
            a.id = format!("a{:0width$}", i + 1);
        }
        let mut stories = self.plan_stories();
        self.quiet(&mut accounts, &mut stories);
        self.spike(&mut accounts, &mut stories);
        let users = self.users(&mut accounts);
        World {
            profile: self.profile,
            accounts,
            users,
            stories,
        }
    }

    fn account(&mut self, existing: bool) -> Account {
        let cal = self.cal;
        let seg = match self.profile {
            Profile::B2b => pick_in(
                &mut self.rng,
                &[Segment::Smb, Segment::Mid, Segment::Ent],
                &[62, 28, 10],
            )
            .unwrap_or(Segment::Smb),
            Profile::B2c => Segment::Consumer,
        };
        let trial = seg.trial(&mut self.rng);
        let lad = seg.ladder();
        let tier = lad.first + pick(&mut self.rng, lad.weights);
        let annual = chance(&mut self.rng, seg.annual_share());
        let sales_assisted = match seg {
            Segment::Smb => chance(&mut self.rng, 0.3),
            Segment::Mid => chance(&mut self.rng, 0.85),
            Segment::Ent => true,
            Segment::Consumer => false,
        };
        let mood = pick(&mut self.rng, &[45, 35, 20]) as u8;
        let name = self.name(seg);
        let mut acc = Account {
            id: String::new(),
            name,
            seg,
            origin: Origin::Existing,
            created: 0,
            signup_day: 0,
            eval_end: 0,
            rows: Vec::new(),
            sales_assisted,
            mood,
            quiet_from: None,
            spike: false,
            users: 0..0,
        };
        if existing {
            let first = -(30 + between(&mut self.rng, 0, 720) as i32);
            acc.signup_day = first - trial;
            acc.eval_end = first;
            self.paid_life(&mut acc, first, tier, annual);
        } else {
            acc.signup_day = signup_day(cal, self.profile, &mut self.rng);
            let weights: &[u32; 4] = match seg {
                Segment::Ent => &[75, 0, 0, 25],
                Segment::Consumer => &[45, 10, 25, 20],
                _ => &[55, 15, 12, 18],
            };
            acc.origin = pick_in(
                &mut self.rng,
                &[
                    Origin::Trial,
                    Origin::Free,
                    Origin::FreeOnly,
                    Origin::TrialLost,
                ],
                weights,
            )
            .unwrap_or(Origin::Trial);
            let s = acc.signup_day;
            match acc.origin {
                Origin::Trial => {
                    let first = s + trial;
                    acc.eval_end = first;
                    if first < cal.days {
                        self.paid_life(&mut acc, first, tier, annual);
                    }
                }
                Origin::Free => {
                    let conv = s + 20 + exp(&mut self.rng, 90.0) as i32;
                    acc.eval_end = conv;
                    if conv < cal.days {
                        acc.rows.push(free_row(s, Some(conv)));
                        self.paid_life(&mut acc, conv, tier, annual);
                    } else {
                        acc.rows.push(free_row(s, None));
                    }
                }
                Origin::FreeOnly => {
                    acc.rows.push(free_row(s, None));
                    acc.eval_end = s + 20 + exp(&mut self.rng, 120.0) as i32;
                }
                Origin::TrialLost | Origin::Existing => acc.eval_end = s + trial,
            }
        }
        let tod = self.hours.tod(&mut self.rng);
        acc.created = cal.ts(acc.signup_day, tod);
        acc
    }

    /// Paying months from `start`: plan changes, cancellation at a billing
    /// anniversary (annual plans: at renewal), and sometimes a comeback.
    fn paid_life(&mut self, acc: &mut Account, mut start: i32, mut tier: usize, mut annual: bool) {
        let cal = self.cal;
        let days = cal.days;
        let seg = acc.seg;
        let lad = seg.ladder();
        let plans = plans(self.profile);
        let push_factor = match self.profile {
            Profile::B2b => 6.0,
            Profile::B2c => 14.0,
        };
        let react = match self.profile {
            Profile::B2b => 0.08,
            Profile::B2c => 0.12,
        };
        loop {
            // Tiers stay within the ladder, itself within the plans.
            let Some(mut cur) = sub_row(plans, tier, annual, start) else {
                return;
            };
            let mut churned = None;
            let mut k = 1;
            loop {
                let prev = cal.add_months(start, k - 1);
                if prev >= days {
                    break;
                }
                let ann = cal.add_months(start, k);
                if ann - prev >= 3 {
                    let cd = between(&mut self.rng, prev as i64 + 1, ann as i64 - 1) as i32;
                    if cd < days && cd > cur.start {
                        let push = cal.month_of(cd).and_then(|m| self.push.get(m));
                        let boost = if push == Some(&true) {
                            push_factor
                        } else {
                            1.0
                        };
                        let u = unit(&mut self.rng);
                        let pe = seg.expansion() * boost;
                        let next = if u < pe {
                            (tier + 1 + usize::from(chance(&mut self.rng, 0.15))).min(lad.max)
                        } else if u < pe + seg.contraction() {
                            tier.saturating_sub(1).max(lad.min)
                        } else {
                            tier
                        };
                        if next != tier
                            && let Some(row) = sub_row(plans, next, annual, cd)
                        {
                            cur.end = Some(cd);
                            acc.rows.push(std::mem::replace(&mut cur, row));
                            tier = next;
                        }
                    }
                }
                if ann >= days {
                    break;
                }
                // Existing customers were all paying on the first day.
                if ann >= 0 && (!annual || k % 12 == 0) {
                    let h = if annual {
                        (1.0 - (1.0 - seg.churn()).powi(12)) * 0.5
                    } else if k <= 3 {
                        seg.churn() * 1.5
                    } else {
                        seg.churn()
                    };
                    if chance(&mut self.rng, h) {
                        churned = Some(ann);
                        break;
                    }
                }
                k += 1;
            }
            let Some(day) = churned else {
                acc.rows.push(cur);
                return;
            };
            cur.end = Some(day);
            acc.rows.push(cur);
            if chance(&mut self.rng, react) {
                let back = day + 30 + between(&mut self.rng, 0, 180) as i32;
                if back < days {
                    start = back;
                    tier = tier
                        .saturating_sub(usize::from(chance(&mut self.rng, 0.5)))
                        .max(lad.min);
                    annual = false;
                    continue;
                }
            }
            return;
        }
    }

    fn name(&mut self, seg: Segment) -> Option<String> {
        const PRE: [&str; 24] = [
            "North", "Blue", "Bright", "Iron", "Silver", "Red", "Green", "Swift", "Clear", "Peak",
            "Cedar", "Harbor", "Summit", "Pixel", "Quantum", "Atlas", "Nova", "Lumen", "Vertex",
            "Orbit", "Maple", "Granite", "Coral", "Aurora",
        ];
        const SUF: [&str; 12] = [
            "wind", "stone", "field", "bridge", "works", "line", "point", "path", "gate", "forge",
            "leaf", "wave",
        ];
        const KIND: [&str; 14] = [
            "Labs",
            "Inc",
            "Group",
            "Systems",
            "Analytics",
            "Logistics",
            "Health",
            "Studio",
            "Partners",
            "Software",
            "Foods",
            "Retail",
            "Energy",
            "Bank",
        ];
        const FIRST: [&str; 24] = [
            "Maria", "James", "Aiko", "Lucas", "Sofia", "Omar", "Emma", "Noah", "Chen", "Priya",
            "Liam", "Zoe", "Mateo", "Nora", "Ivan", "Fatima", "Hugo", "Lea", "Kofi", "Ana",
            "Yusuf", "Mia", "Tom", "Ines",
        ];
        let r = &mut self.rng;
        // The word lists are not empty: `?` never leaves an account nameless.
        match seg {
            Segment::Consumer => {
                if chance(r, 0.08) {
                    return None;
                }
                let first = one_of(r, &FIRST)?;
                let initial = (b'A' + r.random_range(0..26u8)) as char;
                Some(format!("{first} {initial}."))
            }
            _ => {
                let pre = one_of(r, &PRE)?;
                let suf = one_of(r, &SUF)?;
                let kind = one_of(r, &KIND)?;
                Some(format!("{pre}{suf} {kind}"))
            }
        }
    }

    fn plan_stories(&mut self) -> Stories {
        let cal = self.cal;
        let last = cal.days - 1;
        let end_monday = last - cal.weekday(last);
        let weeks_back = between(&mut self.rng, 2, 4) as i32;
        Stories {
            spike_week: (end_monday - 7 * weeks_back).max(0),
            spike_accounts: Vec::new(),
            funnel_month: cal.months() - 2,
            push: self.push.clone(),
            quiet: Vec::new(),
        }
    }

    /// Story 4: a few long-standing paying accounts whose people stopped
    /// using the product 30 to 120 days before the end.
    fn quiet(&mut self, accounts: &mut [Account], stories: &mut Stories) {
        let days = self.cal.days;
        let last = days - 1;
        let paying = accounts.iter().filter(|a| a.mrr_on(last) > 0).count();
        let want = ((paying as f64 * 0.01).round() as usize).clamp(3, 10);
        // Paying for at least five months (or since before the data).
        let tenure = (days - 150).max(0);
        let calm = (days - 130).max(0);
        let mut candidates: Vec<u32> = accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| {
                a.mrr_on(last) > 0
                    && a.paid_spans().last().is_some_and(|s| s.0 <= tenure)
                    && a.rows.iter().all(|r| r.start < calm)
            })
            .map(|(i, _)| i as u32)
            .collect();
        shuffle(&mut self.rng, &mut candidates);
        candidates.truncate(want);
        candidates.sort_unstable();
        let n = candidates.len().max(2) as i64;
        let hi = 105.min(days as i64 - 10);
        let lo = 32.min(hi);
        for (j, &i) in candidates.iter().enumerate() {
            let gap = lo + (hi - lo) * j as i64 / (n - 1) + between(&mut self.rng, -2, 2);
            let gap = gap.clamp(lo.min(31), hi) as i32;
            // Candidates are positions in `accounts`.
            if let Some(a) = accounts.get_mut(i as usize) {
                a.quiet_from = Some(days - gap);
                a.mood = a.mood.max(1);
            }
        }
        stories.quiet = candidates;
    }

    /// Story 1: one recent week where 3–5 times the usual number of
    /// accounts cancel (monthly plans, mostly small businesses).
    fn spike(&mut self, accounts: &mut [Account], stories: &mut Stories) {
        let w = stories.spike_week;
        let days = self.cal.days;
        let mut churn_days: Vec<i32> = Vec::new();
        for a in accounts.iter() {
            for (_, e) in a.paid_spans() {
                if let Some(e) = e
                    && (0..days).contains(&e)
                {
                    churn_days.push(e);
                }
            }
        }
        let mut weeks = 0;
        let mut churned = 0;
        let mut wk = w - 7 * 10;
        while wk + 6 < days {
            if wk >= 0 && wk != w {
                weeks += 1;
                churned += churn_days
                    .iter()
                    .filter(|&&d| d >= wk && d < wk + 7)
                    .count();
            }
            wk += 7;
        }
        let usual = if weeks > 0 {
            churned as f64 / weeks as f64
        } else {
            0.0
        };
        let extra = ((usual * 3.0).round() as usize).max(3);
        let mut candidates: Vec<(f64, u32)> = accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| {
                a.quiet_from.is_none()
                    && a.row_on(w - 1).is_some_and(|r| r.mrr > 0 && !r.annual)
                    && a.paid_spans()
                        .iter()
                        .any(|&(s, e)| s < w && e.is_none_or(|e| e > w + 6))
            })
            .map(|(i, a)| {
                let u = unit(&mut self.rng).max(1e-12);
                (u.powf(1.0 / a.seg.spike_weight()), i as u32)
            })
            .collect();
        candidates.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        candidates.truncate(extra);
        let mut chosen: Vec<u32> = candidates.into_iter().map(|(_, i)| i).collect();
        chosen.sort_unstable();
        for &i in &chosen {
            let day = w + between(&mut self.rng, 0, 6) as i32;
            // Chosen accounts are positions in `accounts`.
            if let Some(a) = accounts.get_mut(i as usize) {
                a.cancel_on(day);
                a.spike = true;
                a.mood = 2;
            }
        }
        stories.spike_accounts = chosen;
    }

    fn users(&mut self, accounts: &mut [Account]) -> Vec<User> {
        let cal = self.cal;
        let mut users = Vec::new();
        for (ai, a) in accounts.iter_mut().enumerate() {
            let n = a.seg.users(&mut self.rng);
            let spans = a.activity(cal);
            let life_start = if a.existing() { 0 } else { a.signup_day.max(0) };
            let life_end = spans.last().map_or(cal.days, |s| s.end);
            let first = users.len() as u32;
            for j in 0..n {
                let preexisting = a.existing() && (j == 0 || chance(&mut self.rng, 0.8));
                let join = if j == 0 || preexisting {
                    life_start
                } else {
                    let room = ((life_end - life_start) as f64 * 0.6) as i64;
                    life_start + between(&mut self.rng, 0, room.max(0)) as i32
                };
                let mut weight = (0.8 * normal(&mut self.rng)).exp().clamp(0.3, 6.0) as f32;
                if j == 0 {
                    weight = weight.max(1.0);
                }
                users.push(User {
                    account: ai as u32,
                    join,
                    weight,
                    preexisting,
                    primary: j == 0,
                });
            }
            a.users = first..users.len() as u32;
        }
        users
    }
}

/// Fisher–Yates.
pub(crate) fn shuffle<T>(rng: &mut ChaCha8Rng, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
}
