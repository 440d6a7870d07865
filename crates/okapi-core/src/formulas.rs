//! Every built-in KPI's formula, from a period's [`PeriodMeasures`].
//!
//! Rules shared by all formulas (kpis.md, "Zero versus absent"):
//! - a count over nothing is 0 when the table exists;
//! - a ratio whose denominator is 0, or a mean over nothing, is absent
//!   with a reason;
//! - a KPI whose table is missing is absent with the table named.
//!
//! Money stays exact ([`Decimal`]); rates, ratios and durations are `f64`.

use std::fmt;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::measures::{DauMau, Input, PeriodMeasures};
use crate::mrr::MrrBridge;
use crate::period::Grain;

const MICROS_PER_DAY: f64 = 86_400_000_000.0;

/// A KPI value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Money(Decimal),
    Count(u64),
    Number(f64),
}

impl Value {
    pub fn as_f64(&self) -> f64 {
        match self {
            Value::Money(d) => d.to_f64().unwrap_or(f64::NAN),
            Value::Count(c) => *c as f64,
            Value::Number(x) => *x,
        }
    }

    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Money(d) => Some(*d),
            Value::Count(c) => Some(Decimal::from(*c)),
            Value::Number(x) => Decimal::from_f64_retain(*x),
        }
    }
}

impl fmt::Display for Value {
    /// Plain decimal text, exact for money (never rounded, never exponent).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Money(d) => write!(f, "{}", d.normalize()),
            Value::Count(c) => write!(f, "{c}"),
            Value::Number(x) => write!(f, "{x}"),
        }
    }
}

/// A KPI's value in one period, or why it is absent.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiValue {
    pub value: Option<Value>,
    /// Why the value is absent (or a remark on it).
    pub note: Option<String>,
}

impl KpiValue {
    pub fn of(v: Value) -> KpiValue {
        KpiValue {
            value: Some(v),
            note: None,
        }
    }

    pub fn absent(reason: impl Into<String>) -> KpiValue {
        KpiValue {
            value: None,
            note: Some(reason.into()),
        }
    }
}

/// Settings the formulas read.
#[derive(Debug, Clone, Copy)]
pub struct FormulaContext {
    pub grain: Grain,
    /// Gross margin as a fraction (0.8 = 80 %).
    pub gross_margin: Decimal,
}

type Res = Result<Value, String>;

fn get<T: Clone>(input: &Input<T>) -> Result<T, String> {
    input.clone()
}

fn ratio(num: f64, den: f64, what: &str) -> Res {
    if den == 0.0 {
        Err(format!("no {what}"))
    } else {
        Ok(Value::Number(num / den))
    }
}

fn pct(num: f64, den: f64, what: &str) -> Res {
    ratio(num * 100.0, den, what)
}

fn money_div(num: Decimal, den: Decimal, what: &str) -> Res {
    if den.is_zero() {
        return Err(format!("no {what}"));
    }
    num.checked_div(den)
        .map(|d| Value::Money(d.normalize()))
        .ok_or_else(|| "value out of range".to_string())
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(f64::NAN)
}

/// Why a money sum or product is absent: it does not fit a [`Decimal`].
const OUT_OF_RANGE: &str = "value out of range";

/// `Some(x)` of a checked operation, or the out-of-range reason.
fn fits(x: Option<Decimal>) -> Result<Decimal, String> {
    x.ok_or_else(|| OUT_OF_RANGE.to_string())
}

/// The sum of `terms`, checked.
fn sum(terms: &[Decimal]) -> Result<Decimal, String> {
    terms
        .iter()
        .try_fold(Decimal::ZERO, |acc, t| fits(acc.checked_add(*t)))
}

/// The product of `factors`, checked.
fn product(factors: &[Decimal]) -> Result<Decimal, String> {
    factors
        .iter()
        .try_fold(Decimal::ONE, |acc, t| fits(acc.checked_mul(*t)))
}

/// `a − b`, checked.
fn minus(a: Decimal, b: Decimal) -> Result<Decimal, String> {
    fits(a.checked_sub(b))
}

/// new + reactivation + expansion − contraction − churn, checked.
fn net_new(b: &MrrBridge) -> Result<Decimal, String> {
    let gained = sum(&[b.new, b.reactivation, b.expansion])?;
    let lost = sum(&[b.contraction, b.churn])?;
    minus(gained, lost)
}

/// `num / den × 100` of money amounts, as a percentage.
fn money_pct(num: Decimal, den: Decimal, what: &str) -> Res {
    let ratio = money_div(num, den, what)?.as_decimal();
    let pct = fits(ratio.and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED)))?;
    Ok(Value::Number(f(pct)))
}

/// `num / den` of money amounts, as a plain number.
fn money_ratio(num: Decimal, den: Decimal, what: &str) -> Res {
    let ratio = money_div(num, den, what)?;
    Ok(Value::Number(ratio.as_f64()))
}

fn mean_days(total_us: i128, n: u64, what: &str) -> Res {
    if n == 0 {
        Err(format!("no {what}"))
    } else {
        Ok(Value::Number(total_us as f64 / MICROS_PER_DAY / n as f64))
    }
}

/// Evaluates built-in KPI `id` for one period. `None` when `id` is not a
/// built-in KPI.
pub fn evaluate(id: &str, m: &PeriodMeasures, ctx: &FormulaContext) -> Option<KpiValue> {
    let res = compute(id, m, ctx)?;
    Some(match res {
        Ok(v) => KpiValue::of(v),
        Err(reason) => KpiValue::absent(reason),
    })
}

fn compute(id: &str, m: &PeriodMeasures, ctx: &FormulaContext) -> Option<Res> {
    let r = || get(&m.revenue);
    let twelve = Decimal::from(12);
    const START: &str = "MRR at period start";
    Some(match id {
        "mrr" => r().map(|b| Value::Money(b.end_mrr)),
        "arr" => r().and_then(|b| Ok(Value::Money(product(&[b.end_mrr, twelve])?.normalize()))),
        "new_mrr" => r().map(|b| Value::Money(b.new)),
        "expansion_mrr" => r().map(|b| Value::Money(b.expansion)),
        "contraction_mrr" => r().map(|b| Value::Money(b.contraction)),
        "churned_mrr" => r().map(|b| Value::Money(b.churn)),
        "reactivation_mrr" => r().map(|b| Value::Money(b.reactivation)),
        "net_new_mrr" => r().and_then(|b| Ok(Value::Money(net_new(&b)?.normalize()))),
        "customers" => r().map(|b| Value::Count(b.customers_end)),
        "new_customers" => r().map(|b| Value::Count(b.new_customers)),
        "churned_customers" => r().map(|b| Value::Count(b.churned_customers)),
        "upgraded_accounts" => r().map(|b| Value::Count(b.expanded_accounts)),
        "customer_churn_rate" => r().and_then(|b| {
            pct(
                b.churned_customers as f64,
                b.customers_start as f64,
                "customers at period start",
            )
        }),
        // Downgrades are lost revenue too: 100 − gross revenue retention.
        "revenue_churn_rate" => r().and_then(|b| {
            let lost = sum(&[b.churn, b.contraction])?;
            money_pct(lost, b.start_mrr, START)
        }),
        "mrr_expansion_rate" => r().and_then(|b| money_pct(b.expansion, b.start_mrr, START)),
        "net_revenue_retention" => r().and_then(|b| {
            let kept = minus(
                sum(&[b.start_mrr, b.expansion])?,
                sum(&[b.contraction, b.churn])?,
            )?;
            money_pct(kept, b.start_mrr, START)
        }),
        "gross_revenue_retention" => r().and_then(|b| {
            let kept = minus(b.start_mrr, sum(&[b.contraction, b.churn])?)?;
            money_pct(kept, b.start_mrr, START)
        }),
        "quick_ratio" => r().and_then(|b| {
            money_ratio(
                sum(&[b.new, b.reactivation, b.expansion])?,
                sum(&[b.contraction, b.churn])?,
                "contraction or churn",
            )
        }),
        "arpa" => r().and_then(|b| arpa(&b)),
        "ltv" => r().and_then(|b| ltv(&b, ctx)),
        "ltv_cac" => r().and_then(|b| {
            let ltv = ltv(&b, ctx)?;
            let cac = cac(&b, &m.spend)?;
            ratio(ltv.as_f64(), cac.as_f64(), "CAC")
        }),
        "visitors" => get(&m.visitors).map(Value::Count),
        "signups" => get(&m.leads).map(|l| Value::Count(l.signups)),
        "visitor_to_signup_rate" => get(&m.visitors).and_then(|v| {
            let l = get(&m.leads)?;
            pct(l.signups as f64, v as f64, "visitors")
        }),
        "leads" => get(&m.leads).map(|l| Value::Count(l.leads)),
        "mqls" => get(&m.leads).map(|l| Value::Count(l.mqls)),
        "pqls" => get(&m.leads).map(|l| Value::Count(l.pqls)),
        "signup_to_pql_rate" => {
            get(&m.leads).and_then(|l| pct(l.pqls as f64, l.signups as f64, "signups"))
        }
        "time_to_pql" => {
            get(&m.leads).and_then(|l| mean_days(l.pql_time_us, l.pql_time_n, "PQLs with a signup"))
        }
        "trial_to_paid_time" => get(&m.leads)
            .and_then(|l| mean_days(l.trial_time_us, l.trial_time_n, "conversions with a signup")),
        // Customers who came through the product, over PQLs: sales-led
        // customers are not PQL conversions.
        "pql_to_customer_rate" => {
            get(&m.leads).and_then(|l| pct(l.pql_converted as f64, l.pqls as f64, "PQLs"))
        }
        "lead_conversion_rate" => {
            get(&m.leads).and_then(|l| pct(l.converted as f64, l.leads as f64, "leads"))
        }
        "average_deal_size" => get(&m.deals).and_then(|d| {
            if d.won == 0 {
                return Err("no new deals won".into());
            }
            money_div(fits(d.won_amount)?, Decimal::from(d.won), "new deals won")
        }),
        "sales_cycle_length" => {
            get(&m.deals).and_then(|d| mean_days(d.won_cycle_us, d.won, "new deals won"))
        }
        "renewal_rate" => get(&m.deals).and_then(|d| {
            pct(
                d.renewals_won as f64,
                (d.renewals_won + d.renewals_lost) as f64,
                "renewals closed",
            )
        }),
        "cac" => r().and_then(|b| cac(&b, &m.spend)),
        "cac_payback" => r().and_then(|b| {
            cac(&b, &m.spend)?;
            // cac / (new MRR / new_customers × gm) = spend / (new MRR × gm).
            let spend = get(&m.spend)?;
            money_ratio(spend, product(&[b.new, ctx.gross_margin])?, "new MRR")
        }),
        "revenue_per_lead" => r().and_then(|b| {
            let l = get(&m.leads)?;
            money_div(product(&[b.new, twelve])?, Decimal::from(l.leads), "leads")
        }),
        // Net new ARR over the previous period's spend, the same at every
        // grain: no annualising factor.
        "sales_efficiency" => r().and_then(|b| {
            let prev = get(&m.spend_previous)?;
            let net_new_arr = product(&[net_new(&b)?, twelve])?;
            money_ratio(net_new_arr, prev, "spend in the previous period")
        }),
        "dau_mau" => get(&m.events).and_then(|e| match e.dau_mau {
            DauMau::Mean(x) => Ok(Value::Number(x)),
            DauMau::BeforeHistory => Err(
                "every day's 30-day window starts before the first day of the events data".into(),
            ),
            DauMau::NoUsers => Err("no users in the trailing 30 days".into()),
        }),
        "active_users" => get(&m.events).map(|e| Value::Count(e.active_users)),
        "inactive_accounts" => r()
            .and_then(|_| get(&m.events))
            .map(|e| Value::Count(e.inactive_accounts)),
        "onboarding_completion_rate" => get(&m.events).and_then(|e| {
            pct(
                e.onboarded_users as f64,
                e.first_time_users as f64,
                "new users whose 14 days end within the events data",
            )
        }),
        "referral_rate" => get(&m.events).and_then(|e| {
            pct(
                e.referring_users as f64,
                e.active_users as f64,
                "active users",
            )
        }),
        "app_installs" => get(&m.events).map(|e| Value::Count(e.app_installs)),
        "user_retention" => get(&m.events).and_then(|e| {
            let retained = e
                .cohort_retained_next
                .ok_or_else(|| "the next period is beyond the data".to_string())?;
            pct(retained as f64, e.cohort_users as f64, "new users")
        }),
        "arpu" => r().and_then(|b| {
            let e = get(&m.events)?;
            money_div(
                b.end_mrr,
                Decimal::from(e.users_30d),
                "users active in the 30 days ending on the period's last day",
            )
        }),
        "health_score" => get(&m.health).and_then(|h| {
            h.map(Value::Number)
                .ok_or_else(|| "no customers".to_string())
        }),
        "nps" => get(&m.surveys).and_then(|s| {
            let n = s.nps_responses as f64;
            if n == 0.0 {
                return Err("no NPS responses".into());
            }
            Ok(Value::Number(
                (s.nps_promoters as f64 * 100.0 - s.nps_detractors as f64 * 100.0) / n,
            ))
        }),
        "csat" => get(&m.surveys).and_then(|s| {
            pct(
                s.csat_satisfied as f64,
                s.csat_responses as f64,
                "CSAT responses",
            )
        }),
        "time_to_value" => get(&m.ttv)
            .and_then(|t| mean_days(t.total_us, t.accounts, "accounts reaching first value")),
        _ => return None,
    })
}

fn arpa(b: &MrrBridge) -> Res {
    money_div(b.end_mrr, Decimal::from(b.customers_end), "customers")
}

fn ltv(b: &MrrBridge, ctx: &FormulaContext) -> Res {
    arpa(b)?;
    if b.customers_start == 0 {
        return Err("no customers at period start".into());
    }
    if b.churned_customers == 0 {
        return Err("no churn in the period".into());
    }
    // ltv = arpa × gm / monthly churn fraction, where
    // arpa = mrr(e) / customers(e) and the monthly churn fraction is
    // churned / customers(s) / months(P). One division keeps it exact.
    let (months_num, months_den) = months_fraction(ctx.grain);
    let num = product(&[
        b.end_mrr,
        ctx.gross_margin,
        Decimal::from(b.customers_start),
        months_num,
    ])?;
    let den = product(&[
        Decimal::from(b.customers_end),
        Decimal::from(b.churned_customers),
        months_den,
    ])?;
    money_div(num, den, "churn")
}

/// Months in a period of `grain` as `numerator / denominator`.
fn months_fraction(grain: Grain) -> (Decimal, Decimal) {
    let avg_month = Decimal::new(304375, 4);
    match grain {
        Grain::Day => (Decimal::ONE, avg_month),
        Grain::Week => (Decimal::from(7), avg_month),
        Grain::Month => (Decimal::ONE, Decimal::ONE),
        Grain::Quarter => (Decimal::from(3), Decimal::ONE),
        Grain::Year => (Decimal::from(12), Decimal::ONE),
    }
}

fn cac(b: &MrrBridge, spend: &Input<Decimal>) -> Res {
    let spend = get(spend)?;
    if b.new_customers == 0 {
        return Err("no new customers".into());
    }
    money_div(spend, Decimal::from(b.new_customers), "new customers")
}

#[cfg(test)]
mod tests;
