//! Formula tests on hand-built measures; expected numbers worked by hand.

use super::*;
use crate::measures::*;
use crate::mrr::MrrBridge;

fn money(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn ctx(grain: Grain) -> FormulaContext {
    FormulaContext {
        grain,
        gross_margin: money("0.8"),
    }
}

/// March of the MRR fixture in `mrr::tests`: 410 → 365, churn 80 (1 of 4
/// customers), reactivation 60, contraction 25.
fn march() -> MrrBridge {
    MrrBridge {
        start_mrr: money("410"),
        end_mrr: money("365"),
        reactivation: money("60"),
        contraction: money("25"),
        churn: money("80"),
        customers_start: 4,
        customers_end: 4,
        reactivated_customers: 1,
        contracted_accounts: 1,
        churned_customers: 1,
        ..MrrBridge::default()
    }
}

fn measures(b: MrrBridge) -> PeriodMeasures {
    PeriodMeasures {
        revenue: Ok(b),
        ..PeriodMeasures::missing()
    }
}

fn num(id: &str, m: &PeriodMeasures, grain: Grain) -> f64 {
    evaluate(id, m, &ctx(grain))
        .unwrap()
        .value
        .unwrap()
        .as_f64()
}

fn absent(id: &str, m: &PeriodMeasures) -> String {
    let v = evaluate(id, m, &ctx(Grain::Month)).unwrap();
    assert!(
        v.value.is_none(),
        "{id} should be absent, got {:?}",
        v.value
    );
    v.note.unwrap()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

#[test]
fn revenue_rates_from_the_march_bridge() {
    let m = measures(march());
    close(num("customer_churn_rate", &m, Grain::Month), 25.0);
    // Churn and contraction are both lost revenue: (80 + 25) / 410.
    close(num("revenue_churn_rate", &m, Grain::Month), 10500.0 / 410.0);
    // (410 + 0 − 25 − 80) / 410 = 305 / 410
    close(
        num("net_revenue_retention", &m, Grain::Month),
        30500.0 / 410.0,
    );
    close(
        num("gross_revenue_retention", &m, Grain::Month),
        30500.0 / 410.0,
    );
    // Revenue churn is what gross retention loses.
    close(
        num("revenue_churn_rate", &m, Grain::Month),
        100.0 - num("gross_revenue_retention", &m, Grain::Month),
    );
    close(num("quick_ratio", &m, Grain::Month), 60.0 / 105.0);
    close(num("mrr_expansion_rate", &m, Grain::Month), 0.0);
    let arr = evaluate("arr", &m, &ctx(Grain::Month))
        .unwrap()
        .value
        .unwrap();
    assert_eq!(arr.to_string(), "4380");
    let net_new = evaluate("net_new_mrr", &m, &ctx(Grain::Month))
        .unwrap()
        .value
        .unwrap();
    assert_eq!(net_new.to_string(), "-45");
}

#[test]
fn arpa_and_ltv_are_exact_money() {
    let m = measures(march());
    // arpa = 365 / 4 = 91.25; ltv = 91.25 × 0.8 / 0.25 = 292.
    assert_eq!(
        evaluate("arpa", &m, &ctx(Grain::Month)).unwrap().value,
        Some(Value::Money(money("91.25")))
    );
    assert_eq!(
        evaluate("ltv", &m, &ctx(Grain::Month)).unwrap().value,
        Some(Value::Money(money("292")))
    );
    // Quarterly: the 25 % quarterly churn is 25/3 % a month, so ltv = 292 × 3 = 876.
    assert_eq!(
        evaluate("ltv", &m, &ctx(Grain::Quarter)).unwrap().value,
        Some(Value::Money(money("876")))
    );
}

#[test]
fn ltv_is_absent_without_churn_and_ratios_without_denominator() {
    let mut b = march();
    b.churned_customers = 0;
    b.churn = Decimal::ZERO;
    let m = measures(b);
    assert_eq!(absent("ltv", &m), "no churn in the period");
    let empty = measures(MrrBridge::default());
    assert_eq!(
        absent("customer_churn_rate", &empty),
        "no customers at period start"
    );
    assert_eq!(
        absent("net_revenue_retention", &empty),
        "no MRR at period start"
    );
    assert_eq!(absent("arpa", &empty), "no customers");
    assert_eq!(absent("quick_ratio", &empty), "no contraction or churn");
    // Counts over nothing are 0, not absent.
    assert_eq!(
        evaluate("mrr", &empty, &ctx(Grain::Month)).unwrap().value,
        Some(Value::Money(Decimal::ZERO))
    );
}

#[test]
fn missing_tables_are_named() {
    let m = measures(march());
    assert_eq!(absent("visitors", &m), "no visits table");
    assert_eq!(absent("nps", &m), "no surveys table");
    assert_eq!(absent("cac", &m), "no spend table");
    assert_eq!(absent("dau_mau", &m), "no events table");
    assert_eq!(absent("time_to_value", &m), "no milestones table");
}

#[test]
fn funnel_deals_surveys_and_spend() {
    let mut b = march();
    b.new = money("300");
    b.new_customers = 3;
    let m = PeriodMeasures {
        revenue: Ok(b),
        visitors: Ok(200),
        leads: Ok(LeadMeasures {
            leads: 40,
            signups: 10,
            mqls: 5,
            pqls: 4,
            converted: 2,
            // Of the 2 conversions, 1 came through a PQL.
            pql_converted: 1,
            // 1.5 days + 0.5 days over two PQLs with a signup.
            pql_time_us: 2 * 86_400_000_000,
            pql_time_n: 2,
            ..LeadMeasures::default()
        }),
        deals: Ok(DealMeasures {
            won: 3,
            won_amount: Some(money("1000")),
            won_cycle_us: 45 * 86_400_000_000,
            renewals_won: 3,
            renewals_lost: 1,
        }),
        spend: Ok(money("1500")),
        spend_previous: Ok(money("2400")),
        surveys: Ok(SurveyMeasures {
            nps_responses: 10,
            nps_promoters: 5,
            nps_detractors: 2,
            csat_responses: 8,
            csat_satisfied: 6,
        }),
        ..PeriodMeasures::missing()
    };
    let g = Grain::Month;
    close(num("visitor_to_signup_rate", &m, g), 5.0);
    close(num("signup_to_pql_rate", &m, g), 40.0);
    close(num("time_to_pql", &m, g), 1.0);
    // PQL conversions over PQLs: 1 / 4, whatever the 3 new customers.
    close(num("pql_to_customer_rate", &m, g), 25.0);
    close(num("lead_conversion_rate", &m, g), 5.0);
    // 1000 / 3 is exact to 28 significant digits.
    let ads = evaluate("average_deal_size", &m, &ctx(g))
        .unwrap()
        .value
        .unwrap();
    assert!(ads.to_string().starts_with("333.33333333333333"), "{ads}");
    close(num("sales_cycle_length", &m, g), 15.0);
    close(num("renewal_rate", &m, g), 75.0);
    // cac = 1500 / 3 = 500; payback = 500 / (100 × 0.8) = 6.25 months.
    assert_eq!(
        evaluate("cac", &m, &ctx(g)).unwrap().value,
        Some(Value::Money(money("500")))
    );
    close(num("cac_payback", &m, g), 6.25);
    // revenue per lead = 12 × 300 / 40 = 90.
    assert_eq!(
        evaluate("revenue_per_lead", &m, &ctx(g)).unwrap().value,
        Some(Value::Money(money("90")))
    );
    // NPS = 50 % − 20 % = 30; CSAT = 6/8 = 75 %.
    close(num("nps", &m, g), 30.0);
    close(num("csat", &m, g), 75.0);
    // Net new = −45 + 300 = 255; 255 × 12 / 2400 = 1.275, at every grain:
    // no annualising factor.
    for grain in [
        Grain::Day,
        Grain::Week,
        Grain::Month,
        Grain::Quarter,
        Grain::Year,
    ] {
        close(num("sales_efficiency", &m, grain), 1.275);
    }
    // ltv (month) = arpa 91.25 × 0.8 / 0.25 = 292; ltv/cac = 0.584.
    close(num("ltv_cac", &m, g), 0.584);
}

#[test]
fn money_values_print_exactly() {
    assert_eq!(Value::Money(money("49.000")).to_string(), "49");
    assert_eq!(Value::Money(money("0.10")).to_string(), "0.1");
    assert_eq!(Value::Number(0.0000001).to_string(), "0.0000001");
}

#[test]
fn deal_and_funnel_ratios_are_absent_without_denominators() {
    let m = PeriodMeasures {
        leads: Ok(LeadMeasures {
            converted: 3,
            pql_converted: 0,
            ..LeadMeasures::default()
        }),
        deals: Ok(DealMeasures {
            renewals_won: 1,
            ..DealMeasures::default()
        }),
        ..measures(march())
    };
    // Customers without PQLs are no PQL conversions: no PQLs, no rate.
    assert_eq!(absent("pql_to_customer_rate", &m), "no PQLs");
    assert_eq!(absent("average_deal_size", &m), "no new deals won");
    assert_eq!(absent("sales_cycle_length", &m), "no new deals won");
    assert_eq!(absent("sales_efficiency", &m), "no spend table");
}

#[test]
fn daily_ratio_reasons_are_told_apart() {
    let events = |dau_mau| PeriodMeasures {
        events: Ok(EventMeasures {
            dau_mau,
            ..EventMeasures::default()
        }),
        ..PeriodMeasures::missing()
    };
    close(
        num("dau_mau", &events(DauMau::Mean(12.5)), Grain::Month),
        12.5,
    );
    assert_eq!(
        absent("dau_mau", &events(DauMau::BeforeHistory)),
        "every day's 30-day window starts before the first day of the events data"
    );
    assert_eq!(
        absent("dau_mau", &events(DauMau::NoUsers)),
        "no users in the trailing 30 days"
    );
}

#[test]
fn arpu_counts_every_active_user() {
    // 365 MRR over 73 users active in the 30 days: 5.
    let m = PeriodMeasures {
        events: Ok(EventMeasures {
            users_30d: 73,
            ..EventMeasures::default()
        }),
        ..measures(march())
    };
    assert_eq!(
        evaluate("arpu", &m, &ctx(Grain::Month)).unwrap().value,
        Some(Value::Money(money("5")))
    );
    let nobody = PeriodMeasures {
        events: Ok(EventMeasures::default()),
        ..measures(march())
    };
    assert_eq!(
        absent("arpu", &nobody),
        "no users active in the 30 days ending on the period's last day"
    );
}

/// A bridge whose amounts are near the largest decimal.
fn huge() -> MrrBridge {
    MrrBridge {
        start_mrr: Decimal::MAX,
        end_mrr: Decimal::MAX,
        new: Decimal::MAX,
        reactivation: Decimal::MAX,
        churn: Decimal::MAX,
        contraction: Decimal::MAX,
        customers_start: 2,
        customers_end: 1,
        new_customers: 1,
        churned_customers: 1,
        ..MrrBridge::default()
    }
}

#[test]
fn money_out_of_range_is_absent_not_a_panic() {
    let m = PeriodMeasures {
        leads: Ok(LeadMeasures {
            leads: 1,
            ..LeadMeasures::default()
        }),
        deals: Ok(DealMeasures {
            won: 1,
            won_amount: None,
            ..DealMeasures::default()
        }),
        spend: Ok(Decimal::MAX),
        spend_previous: Ok(money("1")),
        ..measures(huge())
    };
    for id in [
        "arr",
        "net_new_mrr",
        "revenue_churn_rate",
        "net_revenue_retention",
        "gross_revenue_retention",
        "quick_ratio",
        "ltv",
        "ltv_cac",
        "revenue_per_lead",
        "sales_efficiency",
        "average_deal_size",
    ] {
        assert_eq!(absent(id, &m), "value out of range", "{id}");
    }
    // CAC payback = spend / (new MRR × gross margin): MAX / (1e-10 × 0.8).
    let tiny_new = PeriodMeasures {
        revenue: Ok(MrrBridge {
            new: money("0.0000000001"),
            new_customers: 1,
            ..MrrBridge::default()
        }),
        spend: Ok(Decimal::MAX),
        ..PeriodMeasures::missing()
    };
    assert_eq!(absent("cac_payback", &tiny_new), "value out of range");
    // What fits still computes: MRR itself, and arpa = MAX / 1.
    assert_eq!(
        evaluate("mrr", &m, &ctx(Grain::Month)).unwrap().value,
        Some(Value::Money(Decimal::MAX))
    );
    assert_eq!(
        evaluate("arpa", &m, &ctx(Grain::Month)).unwrap().value,
        Some(Value::Money(Decimal::MAX))
    );
}
