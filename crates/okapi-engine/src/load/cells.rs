//! Parsing one text cell into the data model's types, with the reason when
//! it does not fit.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use okapi_core::period::day_num;
use rust_decimal::Decimal;

/// Scale of money in loaded tables: `Decimal128(38, MONEY_SCALE)`.
pub const MONEY_SCALE: u32 = 10;

/// Parses an ISO-8601 timestamp into µs since the epoch (UTC). A value
/// without an offset is UTC; a bare date is its midnight UTC.
pub fn timestamp(s: &str) -> Result<i64, String> {
    let s = s.trim();
    // An offset in hours only (`+02`, as PostgreSQL prints it) is
    // `+02:00`; `Z` without seconds is `:00Z`.
    let b = s.as_bytes();
    if s.len() > 3
        && s.len() >= 13
        && matches!(b[s.len() - 3], b'+' | b'-')
        && b[s.len() - 2..].iter().all(u8::is_ascii_digit)
    {
        return timestamp(&format!("{s}:00"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_micros());
    }
    if let Some(rest) = s.strip_suffix(['Z', 'z'])
        && !rest.ends_with(['Z', 'z', '+', '-'])
    {
        return timestamp(&format!("{rest}+00:00"));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Ok(t.timestamp_micros());
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc().timestamp_micros());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && s.len() == 10
    {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_micros())
            .unwrap_or(0));
    }
    Err("not an ISO-8601 timestamp (e.g. 2025-03-04T10:15:00Z)".into())
}

/// Parses a `YYYY-MM-DD` date into a day number.
pub fn date(s: &str) -> Result<i32, String> {
    let s = s.trim();
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) if s.len() == 10 => Ok(day_num(d)),
        _ => Err("not a date YYYY-MM-DD".into()),
    }
}

/// Parses a `YYYY-MM` month, returned as text in canonical form.
pub fn month(s: &str) -> Result<String, String> {
    let s = s.trim();
    let ok = s.len() == 7 && NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").is_ok();
    if ok {
        Ok(s.to_string())
    } else {
        Err("not a month YYYY-MM".into())
    }
}

/// Parses money: a non-negative decimal with at most [`MONEY_SCALE`]
/// decimal places, as an `i128` at that scale.
pub fn money(s: &str) -> Result<i128, String> {
    let s = s.trim();
    let d: Decimal = s
        .parse()
        .or_else(|_| Decimal::from_scientific(s))
        .map_err(|_| "not a decimal number".to_string())?;
    money_from_decimal(d)
}

pub fn money_from_decimal(d: Decimal) -> Result<i128, String> {
    if d.is_sign_negative() && !d.is_zero() {
        return Err("negative money".into());
    }
    let d = d.normalize();
    if d.scale() > MONEY_SCALE {
        return Err(format!("more than {MONEY_SCALE} decimal places"));
    }
    Ok(d.mantissa() * 10i128.pow(MONEY_SCALE - d.scale()))
}

/// Money at scale [`MONEY_SCALE`] back to a decimal.
pub fn decimal_of(raw: i128) -> Decimal {
    Decimal::from_i128_with_scale(raw, MONEY_SCALE).normalize()
}

/// Parses a whole number.
pub fn integer(s: &str) -> Result<i64, String> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| "not an integer".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_offsets_are_utc_instants() {
        let a = timestamp("2024-03-01T01:30:00+02:00").unwrap();
        let b = timestamp("2024-02-29T23:30:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(timestamp("2024-02-29T23:30:00").unwrap(), b);
        assert_eq!(timestamp("2024-02-29 23:30:00").unwrap(), b);
        assert_eq!(timestamp("2024-02-29T23:30:00.000+0000").unwrap(), b);
        assert_eq!(timestamp("1970-01-02").unwrap(), 86_400_000_000);
        assert_eq!(timestamp("2024-03-01 01:30:00+02").unwrap(), b);
        assert_eq!(timestamp("2024-02-29T23:30Z").unwrap(), b);
        assert_eq!(timestamp("2024-02-29T18:30:00.000-05").unwrap(), b);
        assert!(timestamp("2024-02-30T00:00:00Z").is_err());
        assert!(timestamp("yesterday").is_err());
    }

    #[test]
    fn money_is_exact_and_never_negative() {
        assert_eq!(money("49.00").unwrap(), 490_000_000_000);
        assert_eq!(
            decimal_of(money("83.3333333333").unwrap()).to_string(),
            "83.3333333333"
        );
        assert_eq!(money("-1").unwrap_err(), "negative money");
        assert!(
            money("0.00000000001")
                .unwrap_err()
                .contains("decimal places")
        );
        assert!(money("12,50").is_err());
        assert_eq!(money("-0").unwrap(), 0);
    }

    #[test]
    fn dates_and_months_are_strict() {
        assert_eq!(date("1970-01-03").unwrap(), 2);
        assert!(date("2024-1-3").is_err());
        assert!(date("03/01/2024").is_err());
        assert_eq!(month("2024-02").unwrap(), "2024-02");
        assert!(month("2024-13").is_err());
        assert!(month("2024-02-01").is_err());
    }
}
