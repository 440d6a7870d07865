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

use crate::measures::{Input, PeriodMeasures};
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
    let gm = ctx.gross_margin;
    Some(match id {
        "mrr" => r().map(|b| Value::Money(b.end_mrr)),
        "arr" => r().map(|b| Value::Money((b.end_mrr * Decimal::from(12)).normalize())),
        "new_mrr" => r().map(|b| Value::Money(b.new)),
        "expansion_mrr" => r().map(|b| Value::Money(b.expansion)),
        "contraction_mrr" => r().map(|b| Value::Money(b.contraction)),
        "churned_mrr" => r().map(|b| Value::Money(b.churn)),
        "reactivation_mrr" => r().map(|b| Value::Money(b.reactivation)),
        "net_new_mrr" => r().map(|b| Value::Money(b.net_new().normalize())),
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
        "revenue_churn_rate" => {
            r().and_then(|b| pct(f(b.churn), f(b.start_mrr), "MRR at period start"))
        }
        "mrr_expansion_rate" => {
            r().and_then(|b| pct(f(b.expansion), f(b.start_mrr), "MRR at period start"))
        }
        "net_revenue_retention" => r().and_then(|b| {
            pct(
                f(b.start_mrr + b.expansion - b.contraction - b.churn),
                f(b.start_mrr),
                "MRR at period start",
            )
        }),
        "gross_revenue_retention" => r().and_then(|b| {
            pct(
                f(b.start_mrr - b.contraction - b.churn),
                f(b.start_mrr),
                "MRR at period start",
            )
        }),
        "quick_ratio" => r().and_then(|b| {
            ratio(
                f(b.new + b.reactivation + b.expansion),
                f(b.contraction + b.churn),
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
        "pql_to_customer_rate" => get(&m.leads).and_then(|l| {
            let b = r()?;
            pct(b.new_customers as f64, l.pqls as f64, "PQLs")
        }),
        "lead_conversion_rate" => {
            get(&m.leads).and_then(|l| pct(l.converted as f64, l.leads as f64, "leads"))
        }
        "average_deal_size" => {
            get(&m.deals).and_then(|d| money_div(d.won_amount, Decimal::from(d.won), "won deals"))
        }
        "sales_cycle_length" => {
            get(&m.deals).and_then(|d| mean_days(d.won_cycle_us, d.won, "won deals"))
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
            let cac = cac(&b, &m.spend)?;
            if b.new_customers == 0 {
                return Err("no new customers".into());
            }
            let monthly_margin = b.new / Decimal::from(b.new_customers) * gm;
            ratio(cac.as_f64(), f(monthly_margin), "new MRR")
        }),
        "revenue_per_lead" => r().and_then(|b| {
            let l = get(&m.leads)?;
            money_div(b.new * Decimal::from(12), Decimal::from(l.leads), "leads")
        }),
        "sales_efficiency" => r().and_then(|b| {
            let prev = get(&m.spend_previous)?;
            // Periods per year: 4 at quarterly grain, 12 monthly, 1 yearly,
            // 365.25/7 weekly, 365.25 daily.
            let (num, den) = months_fraction(ctx.grain);
            ratio(
                f(Decimal::from(12) * den * b.net_new() * Decimal::from(12)),
                f(prev * num),
                "spend in the previous period",
            )
        }),
        "dau_mau" => get(&m.events).and_then(|e| {
            e.dau_mau
                .map(Value::Number)
                .ok_or_else(|| "no users in the trailing 30 days".to_string())
        }),
        "active_users" => get(&m.events).map(|e| Value::Count(e.active_users)),
        "inactive_accounts" => r()
            .and_then(|_| get(&m.events))
            .map(|e| Value::Count(e.inactive_accounts)),
        "onboarding_completion_rate" => get(&m.events).and_then(|e| {
            pct(
                e.onboarded_users as f64,
                e.first_time_users as f64,
                "new users",
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
                Decimal::from(e.paying_users_30d),
                "active users of customers",
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

fn arpa(b: &crate::mrr::MrrBridge) -> Res {
    money_div(b.end_mrr, Decimal::from(b.customers_end), "customers")
}

fn ltv(b: &crate::mrr::MrrBridge, ctx: &FormulaContext) -> Res {
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
    let num = b.end_mrr * ctx.gross_margin * Decimal::from(b.customers_start) * months_num;
    let den = Decimal::from(b.customers_end) * Decimal::from(b.churned_customers) * months_den;
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

fn cac(b: &crate::mrr::MrrBridge, spend: &Input<Decimal>) -> Res {
    let spend = get(spend)?;
    if b.new_customers == 0 {
        return Err("no new customers".into());
    }
    money_div(spend, Decimal::from(b.new_customers), "new customers")
}

#[cfg(test)]
mod tests;
