//! How a number reads in its unit, in tables, pages and reports (machine
//! output keeps every digit).
//!
//! A key result's unit is free text (`percent`, `%`, `days`, `USD`,
//! `calls`…); [`UnitKind::of`] reads it, and each kind has its precision:
//!
//! | kind | reads as | example |
//! | --- | --- | --- |
//! | percent (`percent`, `%`, `pct`, `percentage`) | one decimal, `%` | `99.3%` |
//! | duration (`days`, `months`, `weeks`, `hours`…) | one decimal | `45.5 days` |
//! | money (`money`, a currency code or symbol) | cents, separators | `12,345.60 USD` |
//! | score (`score`, `nps`, `csat`, `points`) | one decimal | `42.5 score` |
//! | ratio (`ratio`, `x`) | two decimals | `0.83 ratio` |
//! | count (`count`, or any other word) | whole, separators | `1,200 calls` |
//!
//! A count that is not whole (an average) keeps two decimals rather than
//! pretend to be whole. Values are rounded half to even, as money is in
//! every table.

use rust_decimal::prelude::FromPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// How a unit's numbers are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    Percent,
    Duration,
    Money,
    Score,
    Ratio,
    Count,
}

/// Currency codes and symbols read as money.
const CURRENCIES: &[&str] = &[
    "money", "usd", "eur", "gbp", "chf", "jpy", "cad", "aud", "nzd", "sek", "nok", "dkk", "pln",
    "brl", "inr", "cny", "$", "€", "£", "¥", "dollars", "euros", "pounds",
];

impl UnitKind {
    /// The kind of a unit as people write it.
    pub fn of(unit: &str) -> UnitKind {
        let u = unit.trim().to_lowercase();
        match u.as_str() {
            "percent" | "%" | "pct" | "percentage" | "percent points" => UnitKind::Percent,
            "days" | "day" | "months" | "month" | "weeks" | "week" | "hours" | "hour"
            | "minutes" | "minute" | "years" | "year" => UnitKind::Duration,
            "score" | "nps" | "csat" | "points" | "pts" => UnitKind::Score,
            "ratio" | "x" | "times" => UnitKind::Ratio,
            _ if CURRENCIES.contains(&u.as_str()) => UnitKind::Money,
            _ => UnitKind::Count,
        }
    }
}

/// `v` at the precision of `unit`, without the unit (`99.3`, `12,345.60`,
/// `1,200`); `—` for a value that is not finite.
pub fn number(v: f64, unit: Option<&str>) -> String {
    let kind = unit.map_or(UnitKind::Count, UnitKind::of);
    let dp = match kind {
        UnitKind::Percent | UnitKind::Duration | UnitKind::Score => 1,
        UnitKind::Money | UnitKind::Ratio => 2,
        UnitKind::Count if v.fract() == 0.0 => 0,
        UnitKind::Count => 2,
    };
    fixed(v, dp)
}

/// The catalog's generic unit words, which say how to show a number but
/// add nothing after it.
fn is_generic(unit: &str) -> bool {
    ["money", "count"]
        .iter()
        .any(|g| unit.trim().eq_ignore_ascii_case(g))
}

/// `v` with its unit as people read it: `99.3%`, `45.5 days`,
/// `12,345.60 USD`, `1,200 calls`; a number alone without a unit (or
/// with a generic unit, `money` or `count`).
pub fn with_unit(v: f64, unit: Option<&str>) -> String {
    let n = number(v, unit);
    match unit.map(str::trim).filter(|u| !u.is_empty()) {
        None => n,
        Some(u) if UnitKind::of(u) == UnitKind::Percent => format!("{n}%"),
        Some(u) if is_generic(u) => n,
        Some(u) => format!("{n} {u}"),
    }
}

/// [`with_unit`] of an optional value, `—` when there is none.
pub fn with_unit_or_dash(v: Option<f64>, unit: Option<&str>) -> String {
    v.map_or("—".into(), |v| with_unit(v, unit))
}

/// An optional value for a table cell: [`number`] with `%` for percents
/// (`99.3%`, `65.0`, `1,200`), `—` when there is none. The unit itself,
/// when it should follow, is [`suffix`].
pub fn cell(v: Option<f64>, unit: Option<&str>) -> String {
    match v {
        None => "—".into(),
        Some(v) if unit.is_some_and(|u| UnitKind::of(u) == UnitKind::Percent) => {
            format!("{}%", number(v, unit))
        }
        Some(v) => number(v, unit),
    }
}

/// The unit to print after [`cell`]s: none for percents (the `%` is in
/// each cell), a generic unit (`money`, `count`), or an empty unit.
pub fn suffix(unit: Option<&str>) -> Option<&str> {
    unit.map(str::trim)
        .filter(|u| !u.is_empty() && UnitKind::of(u) != UnitKind::Percent && !is_generic(u))
}

/// `v` rounded half to even to `dp` decimals, with thousands separators.
pub fn fixed(v: f64, dp: u32) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let text = match Decimal::from_f64(v) {
        Some(d) => {
            let r = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven);
            // `-0.0` reads as 0.
            let r = if r.is_zero() { Decimal::ZERO } else { r };
            format!("{r:.prec$}", prec = dp as usize)
        }
        // Beyond Decimal's range (about 8e28): plain float text.
        None => format!("{v:.prec$}", prec = dp as usize),
    };
    group(&text)
}

/// Thousands separators on the integer part of a plain decimal text.
pub fn group(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    let n = int.chars().count();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (n - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_unit_at_its_precision() {
        // 99.329 to one decimal is 99.3.
        assert_eq!(with_unit(99.329, Some("percent")), "99.3%");
        assert_eq!(with_unit(4.25, Some("%")), "4.2%");
        assert_eq!(with_unit(45.46, Some("days")), "45.5 days");
        assert_eq!(with_unit(65.0, Some("days")), "65.0 days");
        assert_eq!(with_unit(12345.6, Some("USD")), "12,345.60 USD");
        assert_eq!(with_unit(1234567.0, Some("money")), "1,234,567.00");
        assert_eq!(with_unit(1200.0, Some("calls")), "1,200 calls");
        assert_eq!(with_unit(12.5, Some("calls")), "12.50 calls");
        assert_eq!(with_unit(0.834, Some("ratio")), "0.83 ratio");
        assert_eq!(with_unit(42.56, Some("NPS")), "42.6 NPS");
        assert_eq!(with_unit(7.0, None), "7");
        assert_eq!(with_unit(2.0 / 3.0, None), "0.67");
    }

    #[test]
    fn negatives_separators_and_non_finite() {
        assert_eq!(number(-1234.5, Some("USD")), "-1,234.50");
        assert_eq!(number(-10.0, Some("count")), "-10");
        assert_eq!(number(-0.04, Some("percent")), "0.0");
        assert_eq!(number(1e6, None), "1,000,000");
        assert_eq!(number(f64::NAN, Some("percent")), "—");
        assert_eq!(number(f64::INFINITY, None), "—");
        assert_eq!(group("123"), "123");
        assert_eq!(group("-1234567.891"), "-1,234,567.891");
    }

    #[test]
    fn cells_and_suffixes() {
        assert_eq!(cell(Some(99.329), Some("percent")), "99.3%");
        assert_eq!(cell(Some(65.0), Some("days")), "65.0");
        assert_eq!(cell(None, Some("days")), "—");
        assert_eq!(suffix(Some("percent")), None);
        assert_eq!(suffix(Some("money")), None);
        assert_eq!(suffix(Some("count")), None);
        assert_eq!(with_unit(3047.0, Some("count")), "3,047");
        assert_eq!(suffix(Some(" ")), None);
        assert_eq!(suffix(Some("days")), Some("days"));
        assert_eq!(suffix(None), None);
    }

    #[test]
    fn half_to_even() {
        // 0.125 is exact in binary: half to even gives 0.12.
        assert_eq!(number(0.125, Some("ratio")), "0.12");
        assert_eq!(number(0.375, Some("ratio")), "0.38");
    }
}
