//! Parsing one text cell into the data model's types, with the reason when
//! it does not fit.
//!
//! Bounds (data-model.md, "Input bounds"): money at most
//! [`okapi_core::data_model::MAX_MONEY`] (10^15); dates, months and
//! timestamps within 1900-01-01 … 2200-12-31 ([`in_window_day`],
//! [`in_window_micros`]). Parquet values arrive typed and are held to the
//! same bounds by the validator.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use okapi_core::data_model::MAX_MONEY;
use okapi_core::period::{FIRST_DATE, FIRST_DAY_NUM, LAST_DATE, LAST_DAY_NUM, day_num};
use okapi_core::timezone::MICROS_PER_DAY;
use rust_decimal::Decimal;

/// Scale of money in loaded tables: `Decimal128(38, MONEY_SCALE)`.
pub const MONEY_SCALE: u32 = 10;

/// The largest money cell at scale [`MONEY_SCALE`]: 10^15 × 10^10.
pub const MAX_MONEY_RAW: i128 = MAX_MONEY as i128 * 10_000_000_000;

/// Why a date or timestamp outside the window is refused.
pub fn outside_window() -> String {
    format!("outside the dates okapi accepts ({FIRST_DATE} … {LAST_DATE})")
}

/// Whether day number `day` lies in the date window.
#[inline]
pub fn in_window_day(day: i32) -> bool {
    (FIRST_DAY_NUM..=LAST_DAY_NUM).contains(&day)
}

/// Whether the instant `micros` (µs since the epoch, UTC) lies in the
/// date window: from 1900-01-01T00:00:00Z up to, not including,
/// 2201-01-01T00:00:00Z.
#[inline]
pub fn in_window_micros(micros: i64) -> bool {
    const FIRST: i64 = FIRST_DAY_NUM as i64 * MICROS_PER_DAY;
    const END: i64 = (LAST_DAY_NUM as i64 + 1) * MICROS_PER_DAY;
    (FIRST..END).contains(&micros)
}

/// Parses an ISO-8601 timestamp into µs since the epoch (UTC). A value
/// without an offset is UTC; a bare date is its midnight UTC. Instants
/// outside the date window are refused.
pub fn timestamp(s: &str) -> Result<i64, String> {
    let t = parse_timestamp(s)?;
    if in_window_micros(t) {
        Ok(t)
    } else {
        Err(outside_window())
    }
}

fn parse_timestamp(s: &str) -> Result<i64, String> {
    let s = s.trim();
    // An offset in hours only (`+02`, as PostgreSQL prints it) is
    // `+02:00`; `Z` without seconds is `:00Z`.
    let b = s.as_bytes();
    let hours_offset = match b.len().checked_sub(3).and_then(|i| b.get(i..)) {
        Some([sign, h1, h2]) => {
            matches!(sign, b'+' | b'-') && h1.is_ascii_digit() && h2.is_ascii_digit()
        }
        _ => false,
    };
    if s.len() >= 13 && hours_offset {
        return parse_timestamp(&format!("{s}:00"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_micros());
    }
    if let Some(rest) = s.strip_suffix(['Z', 'z'])
        && !rest.ends_with(['Z', 'z', '+', '-'])
    {
        return parse_timestamp(&format!("{rest}+00:00"));
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

/// Parses a `YYYY-MM-DD` date into a day number; dates outside the window
/// are refused.
pub fn date(s: &str) -> Result<i32, String> {
    let s = s.trim();
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) if s.len() == 10 && okapi_core::period::in_window(d) => Ok(day_num(d)),
        Ok(_) if s.len() == 10 => Err(outside_window()),
        _ => Err("not a date YYYY-MM-DD".into()),
    }
}

/// Parses a `YYYY-MM` month, returned as text in canonical form; months
/// outside the window are refused.
pub fn month(s: &str) -> Result<String, String> {
    let s = s.trim();
    let first = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d");
    match first {
        Ok(d) if s.len() == 7 && okapi_core::period::in_window(d) => Ok(s.to_string()),
        Ok(_) if s.len() == 7 => Err(outside_window()),
        _ => Err("not a month YYYY-MM".into()),
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

/// Money as a decimal: non-negative, at most [`MAX_MONEY`], at most
/// [`MONEY_SCALE`] decimal places; returned at that scale.
pub fn money_from_decimal(d: Decimal) -> Result<i128, String> {
    if d.is_sign_negative() && !d.is_zero() {
        return Err("negative money".into());
    }
    if d > Decimal::from(MAX_MONEY) {
        return Err("money above 10^15 (1,000,000,000,000,000), the most one cell may hold".into());
    }
    let d = d.normalize();
    if d.scale() > MONEY_SCALE {
        return Err(format!("more than {MONEY_SCALE} decimal places"));
    }
    // At most 10^15 × 10^10 = 10^25: no overflow.
    Ok(d.mantissa() * 10i128.pow(MONEY_SCALE - d.scale()))
}

/// Money at scale [`MONEY_SCALE`] (a cell or a sum of cells) back to a
/// decimal. Never panics: a sum with more digits than a [`Decimal`] holds
/// (28 or 29) loses its last decimal places, rounded half to even; every
/// `i128` fits once its 10 decimals are gone (|i128| / 10^10 < 1.8 × 10^28
/// < `Decimal::MAX`).
pub fn decimal_of(raw: i128) -> Decimal {
    let mut raw = raw;
    for scale in (0..=MONEY_SCALE).rev() {
        if let Ok(d) = Decimal::try_from_i128_with_scale(raw, scale) {
            return d.normalize();
        }
        raw = div10_half_even(raw);
    }
    // Unreachable (see above); the nearest bound rather than a panic.
    if raw < 0 { Decimal::MIN } else { Decimal::MAX }
}

/// `x / 10`, rounded half to even.
fn div10_half_even(x: i128) -> i128 {
    let (q, r) = (x / 10, x % 10);
    let away = match r.abs() {
        0..=4 => false,
        5 => q % 2 != 0,
        _ => true,
    };
    if !away {
        q
    } else if x < 0 {
        q - 1
    } else {
        q + 1
    }
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
    fn money_is_bounded_per_cell() {
        // 10^15 is the largest amount a cell may hold; one cent more is not.
        assert_eq!(money("1000000000000000").unwrap(), MAX_MONEY_RAW);
        assert_eq!(MAX_MONEY_RAW, 10i128.pow(25));
        assert!(
            money("1000000000000000.01")
                .unwrap_err()
                .contains("above 10^15")
        );
        assert!(money("1e16").unwrap_err().contains("above 10^15"));
        // Beyond what a Decimal holds at all: not a number we can read.
        assert!(money("99999999999999999999999999999999").is_err());
    }

    #[test]
    fn decimal_of_never_panics_on_large_sums() {
        // 12.5 and 13.5 at scale 10, then rounding half to even by hand.
        assert_eq!(div10_half_even(125), 12);
        assert_eq!(div10_half_even(135), 14);
        assert_eq!(div10_half_even(-125), -12);
        assert_eq!(div10_half_even(-126), -13);
        assert_eq!(div10_half_even(124), 12);
        // i128::MAX = 170141183460469231731687303715884105727; over 10^10 it
        // is 17014118346046923173168730371.5884105727, which a Decimal holds
        // only as the whole number 17014118346046923173168730372.
        assert_eq!(
            decimal_of(i128::MAX).to_string(),
            "17014118346046923173168730372"
        );
        assert_eq!(
            decimal_of(i128::MIN).to_string(),
            "-17014118346046923173168730372"
        );
        // 10^4 cells of 10^15 (a sum of 10^19 at scale 10 = 10^29 raw)
        // keep every digit of their whole part.
        assert_eq!(
            decimal_of(MAX_MONEY_RAW * 10_000).to_string(),
            "10000000000000000000"
        );
    }

    #[test]
    fn dates_and_timestamps_outside_the_window_are_refused() {
        assert_eq!(date("1900-01-01").unwrap(), -25_567);
        assert_eq!(date("2200-12-31").unwrap(), 84_370);
        assert!(
            date("1899-12-31")
                .unwrap_err()
                .contains("1900-01-01 … 2200-12-31")
        );
        assert!(date("2201-01-01").unwrap_err().contains("outside"));
        assert!(date("9999-12-31").unwrap_err().contains("outside"));
        assert!(month("1899-12").unwrap_err().contains("outside"));
        assert_eq!(month("2200-12").unwrap(), "2200-12");
        assert!(timestamp("2200-12-31T23:59:59.999999Z").is_ok());
        assert!(
            timestamp("2201-01-01T00:00:00Z")
                .unwrap_err()
                .contains("outside")
        );
        // Still 31 December 2200 in UTC: 23:30 at UTC−1 is 00:30 UTC the
        // next day, so refused.
        assert!(timestamp("2200-12-31T23:30:00-01:00").is_err());
        assert!(timestamp("1900-01-01T00:00:00Z").is_ok());
        assert!(timestamp("1899-12-31T23:59:59Z").is_err());
        assert!(timestamp("+275760-09-13T00:00:00Z").is_err());
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
