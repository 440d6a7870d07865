//! Periods: the time buckets every KPI is computed for.
//!
//! A [`Period`] is a grain (`day`, ISO `week` starting Monday, `month`,
//! `quarter`, `year`) and the first calendar day it covers. Its end is
//! exclusive: the first day of the next period. Days are calendar days in
//! the workspace time zone (UTC unless configured); timestamps are turned
//! into days by [`crate::timezone::Zone`] before they meet a period.
//!
//! Internally many kernels work on *day numbers* ([`DayNum`]): days since
//! 1970-01-01, as Arrow's `Date32` stores them.
//!
//! Bounds: every date okapi reads or is asked about lies in
//! [`FIRST_DATE`] … [`LAST_DATE`] (1900-01-01 … 2200-12-31), and a report
//! holds at most [`MAX_PERIODS`] periods. [`periods_between`] refuses
//! anything else with a [`RangeError`], so no kernel ever allocates or loops
//! per day or per period over a span no business has.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Days since 1970-01-01 (negative before).
pub type DayNum = i32;

/// The Unix epoch as a date.
pub const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => panic!("1970-01-01 is a valid date"),
};

/// The earliest date okapi accepts, in data and on the command line.
pub const FIRST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!("1900-01-01 is a valid date"),
};

/// The latest date okapi accepts, in data and on the command line.
pub const LAST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2200, 12, 31) {
    Some(d) => d,
    None => panic!("2200-12-31 is a valid date"),
};

/// [`FIRST_DATE`] as a day number: 70 years of 365 days and 17 leap days
/// (1904 … 1968) before the epoch. A constant, so that checking a value
/// against the window costs two comparisons in the loaders' hot loops.
pub const FIRST_DAY_NUM: DayNum = -(70 * 365 + 17);

/// [`LAST_DATE`] as a day number: 2201-01-01 is 231 years of 365 days and
/// 56 leap days (1972 … 2196, less 2100) after the epoch; the last date is
/// the day before.
pub const LAST_DAY_NUM: DayNum = 231 * 365 + 56 - 1;

/// The most periods one report may hold: a century of days (36,525) with
/// a margin. Every grain coarser than a day covers the whole date window
/// well within it (3,612 months from 1900 to 2200); a daily report longer
/// than a century is not one a business reads, and each period costs a
/// pass over the accounts in several kernels.
pub const MAX_PERIODS: usize = 36_600;

/// Whether `date` lies in [`FIRST_DATE`] … [`LAST_DATE`].
pub fn in_window(date: NaiveDate) -> bool {
    (FIRST_DATE..=LAST_DATE).contains(&date)
}

/// A range of periods okapi refuses to build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("{what} {date} is outside the dates okapi handles ({FIRST_DATE} … {LAST_DATE})")]
    OutsideWindow { what: &'static str, date: NaiveDate },
    #[error(
        "{from} … {to} by {grain} is {count} periods, more than the {MAX_PERIODS} a report may hold; \
         narrow it with --from/--to or pick a coarser grain"
    )]
    TooManyPeriods {
        grain: Grain,
        from: NaiveDate,
        to: NaiveDate,
        count: u64,
    },
}

/// Refuses a date outside the window, naming it as `what` (`--from`, …).
pub fn check_in_window(what: &'static str, date: NaiveDate) -> Result<(), RangeError> {
    if in_window(date) {
        Ok(())
    } else {
        Err(RangeError::OutsideWindow { what, date })
    }
}

/// Day number of a date.
pub fn day_num(date: NaiveDate) -> DayNum {
    // Dates handled by chrono fit in i32 day numbers (±262,000 years).
    (date - EPOCH).num_days() as DayNum
}

/// Date of a day number. Never panics: a day beyond the dates chrono
/// knows (±262,000 years, far outside the window) gives its last or first.
pub fn date_of(day: DayNum) -> NaiveDate {
    if day >= 0 {
        EPOCH
            .checked_add_days(Days::new(day as u64))
            .unwrap_or(NaiveDate::MAX)
    } else {
        EPOCH
            .checked_sub_days(Days::new(day.unsigned_abs() as u64))
            .unwrap_or(NaiveDate::MIN)
    }
}

/// How long a period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Grain {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Grain {
    pub const ALL: [Grain; 5] = [
        Grain::Day,
        Grain::Week,
        Grain::Month,
        Grain::Quarter,
        Grain::Year,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
            Grain::Quarter => "quarter",
            Grain::Year => "year",
        }
    }

    /// Length in months used to turn a period rate into a monthly rate
    /// (kpis.md, "LTV at grains other than month").
    pub fn months(self) -> f64 {
        match self {
            Grain::Day => 1.0 / 30.4375,
            Grain::Week => 7.0 / 30.4375,
            Grain::Month => 1.0,
            Grain::Quarter => 3.0,
            Grain::Year => 12.0,
        }
    }
}

impl fmt::Display for Grain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Grain {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "day" => Ok(Grain::Day),
            "week" => Ok(Grain::Week),
            "month" => Ok(Grain::Month),
            "quarter" => Ok(Grain::Quarter),
            "year" => Ok(Grain::Year),
            other => Err(format!(
                "unknown grain `{other}` (expected day, week, month, quarter or year)"
            )),
        }
    }
}

/// One period: a grain and its first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Period {
    pub grain: Grain,
    pub start: NaiveDate,
}

impl Period {
    /// The period of `grain` that contains `date`.
    pub fn containing(grain: Grain, date: NaiveDate) -> Period {
        let start = match grain {
            Grain::Day => date,
            Grain::Week => date - Days::new(date.weekday().num_days_from_monday() as u64),
            Grain::Month => first_of_month(date.year(), date.month()),
            Grain::Quarter => first_of_month(date.year(), (date.month0() / 3) * 3 + 1),
            Grain::Year => first_of_month(date.year(), 1),
        };
        Period { grain, start }
    }

    /// First day after the period (exclusive end).
    pub fn end(&self) -> NaiveDate {
        match self.grain {
            Grain::Day => self.start + Days::new(1),
            Grain::Week => self.start + Days::new(7),
            Grain::Month => self.start + Months::new(1),
            Grain::Quarter => self.start + Months::new(3),
            Grain::Year => self.start + Months::new(12),
        }
    }

    /// Last day of the period (`e` in kpis.md).
    pub fn last_day(&self) -> NaiveDate {
        self.end() - Days::new(1)
    }

    /// Last day before the period (`s` in kpis.md).
    pub fn day_before(&self) -> NaiveDate {
        self.start - Days::new(1)
    }

    pub fn next(&self) -> Period {
        Period {
            grain: self.grain,
            start: self.end(),
        }
    }

    pub fn previous(&self) -> Period {
        Period::containing(self.grain, self.day_before())
    }

    pub fn start_num(&self) -> DayNum {
        day_num(self.start)
    }

    pub fn end_num(&self) -> DayNum {
        day_num(self.end())
    }

    /// Number of calendar days in the period.
    pub fn days(&self) -> i64 {
        (self.end() - self.start).num_days()
    }

    /// Whether `date` falls in the period.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date < self.end()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.start.format("%Y-%m-%d"))
    }
}

fn first_of_month(year: i32, month: u32) -> NaiveDate {
    // Month is always 1..=12 here and the first day always exists.
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(EPOCH)
}

/// Every period of `grain` from the one containing `from` to the one
/// containing `to`, both included. Empty when `to < from`. Both ends must
/// lie in the date window and the periods number at most [`MAX_PERIODS`]
/// (counted before any is built).
pub fn periods_between(
    grain: Grain,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Period>, RangeError> {
    check_in_window("from", from)?;
    check_in_window("to", to)?;
    if to < from {
        return Ok(Vec::new());
    }
    let count = period_count(grain, from, to);
    if count > MAX_PERIODS as u64 {
        return Err(RangeError::TooManyPeriods {
            grain,
            from,
            to,
            count,
        });
    }
    let last = Period::containing(grain, to);
    let mut out = Vec::with_capacity(count as usize);
    let mut p = Period::containing(grain, from);
    while p <= last {
        out.push(p);
        p = p.next();
    }
    Ok(out)
}

/// How many periods of `grain` run from the one containing `from` to the
/// one containing `to` (`from <= to`), by arithmetic.
fn period_count(grain: Grain, from: NaiveDate, to: NaiveDate) -> u64 {
    let (a, b) = (
        Period::containing(grain, from).start,
        Period::containing(grain, to).start,
    );
    let months = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    let n = match grain {
        Grain::Day => (b - a).num_days(),
        Grain::Week => (b - a).num_days() / 7,
        Grain::Month => months(b) - months(a),
        Grain::Quarter => (months(b) - months(a)) / 3,
        Grain::Year => i64::from(b.year() - a.year()),
    };
    n.max(0) as u64 + 1
}

/// Number of days in the calendar month of `date`.
pub fn days_in_month(date: NaiveDate) -> i64 {
    let p = Period::containing(Grain::Month, date);
    p.days()
}

/// Maps day numbers in a range to the index of the period containing them:
/// a lookup table the kernels use to bucket millions of days cheaply.
#[derive(Debug, Clone)]
pub struct PeriodIndex {
    first_day: DayNum,
    slots: Vec<u32>,
}

impl PeriodIndex {
    pub const NONE: u32 = u32::MAX;

    /// Index over `periods` (consecutive, sorted).
    pub fn new(periods: &[Period]) -> PeriodIndex {
        let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
            return PeriodIndex {
                first_day: 0,
                slots: Vec::new(),
            };
        };
        let first_day = first.start_num();
        let len = (last.end_num() - first_day) as usize;
        let mut slots = vec![Self::NONE; len];
        for (i, p) in periods.iter().enumerate() {
            let from = (p.start_num() - first_day) as usize;
            let to = (p.end_num() - first_day) as usize;
            if let Some(days) = slots.get_mut(from..to) {
                days.fill(i as u32);
            }
        }
        PeriodIndex { first_day, slots }
    }

    /// The index of the period containing `day`, if any.
    #[inline]
    pub fn of(&self, day: DayNum) -> Option<usize> {
        let off = day.checked_sub(self.first_day)?;
        if off < 0 {
            return None;
        }
        match self.slots.get(off as usize) {
            Some(&i) if i != Self::NONE => Some(i as usize),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_window_constants_are_its_dates() {
        assert_eq!(FIRST_DAY_NUM, day_num(FIRST_DATE));
        assert_eq!(LAST_DAY_NUM, day_num(LAST_DATE));
        assert_eq!(date_of(FIRST_DAY_NUM), d("1900-01-01"));
        assert_eq!(date_of(LAST_DAY_NUM), d("2200-12-31"));
    }

    #[test]
    fn iso_weeks_start_on_monday() {
        // 2024-03-03 is a Sunday; its ISO week began Monday 2024-02-26.
        let p = Period::containing(Grain::Week, d("2024-03-03"));
        assert_eq!(p.start, d("2024-02-26"));
        assert_eq!(p.end(), d("2024-03-04"));
        // A Monday is the first day of its own week.
        assert_eq!(
            Period::containing(Grain::Week, d("2024-03-04")).start,
            d("2024-03-04")
        );
    }

    #[test]
    fn quarters_and_years() {
        assert_eq!(
            Period::containing(Grain::Quarter, d("2024-05-31")).start,
            d("2024-04-01")
        );
        assert_eq!(
            Period::containing(Grain::Quarter, d("2024-05-31")).end(),
            d("2024-07-01")
        );
        assert_eq!(
            Period::containing(Grain::Year, d("2024-12-31")).start,
            d("2024-01-01")
        );
        assert_eq!(
            Period::containing(Grain::Month, d("2024-02-29")).last_day(),
            d("2024-02-29")
        );
    }

    #[test]
    fn periods_between_includes_both_ends() {
        let ps = periods_between(Grain::Month, d("2024-01-31"), d("2024-03-01")).unwrap();
        let starts: Vec<_> = ps.iter().map(|p| p.start).collect();
        assert_eq!(
            starts,
            vec![d("2024-01-01"), d("2024-02-01"), d("2024-03-01")]
        );
        assert!(
            periods_between(Grain::Month, d("2024-03-01"), d("2024-01-01"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn period_counts_match_the_periods_built() {
        // Counted by arithmetic before building; checked against the
        // periods actually built, across year and leap-year boundaries.
        for grain in Grain::ALL {
            for (from, to) in [
                ("2023-12-31", "2024-01-01"),
                ("2024-02-28", "2025-03-01"),
                ("1999-06-15", "2001-01-07"),
                ("2024-05-05", "2024-05-05"),
            ] {
                let ps = periods_between(grain, d(from), d(to)).unwrap();
                assert_eq!(
                    period_count(grain, d(from), d(to)),
                    ps.len() as u64,
                    "{grain} {from}…{to}"
                );
            }
        }
        // 2023-12-31 is a Sunday: its week and 2024-01-01's are two weeks.
        assert_eq!(
            period_count(Grain::Week, d("2023-12-31"), d("2024-01-01")),
            2
        );
    }

    #[test]
    fn ranges_outside_the_window_or_too_long_are_refused() {
        let e = periods_between(Grain::Month, d("1899-12-31"), d("2024-01-01")).unwrap_err();
        assert_eq!(
            e,
            RangeError::OutsideWindow {
                what: "from",
                date: d("1899-12-31")
            }
        );
        assert!(e.to_string().contains("1900-01-01 … 2200-12-31"), "{e}");
        let e = periods_between(Grain::Day, d("2024-01-01"), d("2201-01-01")).unwrap_err();
        assert!(matches!(e, RangeError::OutsideWindow { what: "to", .. }));
        // The whole window by month: 301 years × 12 = 3,612 periods.
        let ps = periods_between(Grain::Month, FIRST_DATE, LAST_DATE).unwrap();
        assert_eq!(ps.len(), 3_612);
        // By day, 1900-01-01 … 2000-12-31 is 101 years with 25 leap days
        // (1900 is not a leap year, 2000 is): 101 × 365 + 25 = 36,890 days.
        let e = periods_between(Grain::Day, FIRST_DATE, d("2000-12-31")).unwrap_err();
        assert_eq!(
            e,
            RangeError::TooManyPeriods {
                grain: Grain::Day,
                from: FIRST_DATE,
                to: d("2000-12-31"),
                count: 36_890
            }
        );
        // Exactly MAX_PERIODS days is allowed.
        let to = FIRST_DATE + Days::new(MAX_PERIODS as u64 - 1);
        assert_eq!(
            periods_between(Grain::Day, FIRST_DATE, to).unwrap().len(),
            MAX_PERIODS
        );
    }

    #[test]
    fn day_numbers_round_trip() {
        assert_eq!(day_num(d("1970-01-02")), 1);
        assert_eq!(day_num(d("1969-12-31")), -1);
        assert_eq!(date_of(day_num(d("2024-02-29"))), d("2024-02-29"));
        assert_eq!(date_of(-1), d("1969-12-31"));
        // Far past what chrono knows: the nearest date it does.
        assert_eq!(date_of(DayNum::MAX), NaiveDate::MAX);
        assert_eq!(date_of(DayNum::MIN), NaiveDate::MIN);
    }

    #[test]
    fn period_index_buckets_days() {
        let ps = periods_between(Grain::Month, d("2024-01-01"), d("2024-02-01")).unwrap();
        let idx = PeriodIndex::new(&ps);
        assert_eq!(idx.of(day_num(d("2024-01-31"))), Some(0));
        assert_eq!(idx.of(day_num(d("2024-02-29"))), Some(1));
        assert_eq!(idx.of(day_num(d("2024-03-01"))), None);
        assert_eq!(idx.of(day_num(d("2023-12-31"))), None);
    }

    #[test]
    fn grain_parses_and_rejects() {
        assert_eq!("quarter".parse::<Grain>().unwrap(), Grain::Quarter);
        assert!("fortnight".parse::<Grain>().is_err());
    }
}
