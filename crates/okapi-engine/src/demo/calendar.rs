//! The demo's time frame: day indexes relative to the first day of the
//! data, month boundaries and microsecond timestamps.

use chrono::{Datelike, Days, Months, NaiveDate};

/// Microseconds in a day.
pub(crate) const DAY_US: i64 = 86_400_000_000;
/// Microseconds in an hour.
pub(crate) const HOUR_US: i64 = 3_600_000_000;

/// The calendar of a generated company. Days are indexes relative to
/// `start` (day 0); negative days are before the data (history of the
/// customers the company already had).
#[derive(Debug, Clone)]
pub(crate) struct Cal {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Number of days in the data, `end` included.
    pub days: i32,
    /// First day of every month in the data, plus `days` as a sentinel.
    pub month_starts: Vec<i32>,
    /// Days since 1970-01-01 of `start`.
    start_num: i32,
    /// Weekday of `start`, 0 = Monday.
    start_wd: i32,
}

impl Cal {
    /// The calendar of `months` calendar months ending on `end`.
    pub fn new(end: NaiveDate, months: u32) -> Option<Cal> {
        let first_of_end_month = end.with_day(1)?;
        let start = first_of_end_month.checked_sub_months(Months::new(months.checked_sub(1)?))?;
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
        let start_num = i32::try_from((start - epoch).num_days()).ok()?;
        let days = i32::try_from((end - start).num_days() + 1).ok()?;
        let mut month_starts = Vec::with_capacity(months as usize + 1);
        let mut m = start;
        for _ in 0..months {
            month_starts.push(i32::try_from((m - start).num_days()).ok()?);
            m = m.checked_add_months(Months::new(1))?;
        }
        month_starts.push(days);
        Some(Cal {
            start,
            end,
            days,
            month_starts,
            start_num,
            start_wd: start.weekday().num_days_from_monday() as i32,
        })
    }

    /// Number of months in the data.
    pub fn months(&self) -> usize {
        self.month_starts.len() - 1
    }

    /// The date of day `d`.
    pub fn date(&self, d: i32) -> NaiveDate {
        if d >= 0 {
            self.start + Days::new(d as u64)
        } else {
            self.start - Days::new(d.unsigned_abs() as u64)
        }
    }

    /// The day index of `date`.
    pub fn day(&self, date: NaiveDate) -> i32 {
        (date - self.start).num_days() as i32
    }

    /// Days since 1970-01-01 (Arrow `Date32`) of day `d`.
    pub fn epoch_day(&self, d: i32) -> i32 {
        self.start_num + d
    }

    /// Microseconds since the epoch of `tod` microseconds into day `d`.
    pub fn ts(&self, d: i32, tod: i64) -> i64 {
        self.epoch_day(d) as i64 * DAY_US + tod
    }

    /// The day index of a timestamp.
    pub fn day_of_ts(&self, ts: i64) -> i32 {
        (ts.div_euclid(DAY_US) - self.start_num as i64) as i32
    }

    /// The first instant after the data.
    pub fn end_ts(&self) -> i64 {
        self.ts(self.days, 0)
    }

    /// Weekday of day `d`, 0 = Monday … 6 = Sunday.
    pub fn weekday(&self, d: i32) -> i32 {
        (self.start_wd + d).rem_euclid(7)
    }

    pub fn is_weekend(&self, d: i32) -> bool {
        self.weekday(d) >= 5
    }

    /// Index of the month holding day `d`, if it is in the data.
    pub fn month_of(&self, d: i32) -> Option<usize> {
        if d < 0 || d >= self.days {
            return None;
        }
        Some(self.month_starts.partition_point(|&s| s <= d) - 1)
    }

    /// Every month of the data as its days `[first, first of the next)`,
    /// in order.
    pub fn month_bounds(&self) -> impl Iterator<Item = (i32, i32)> + '_ {
        self.month_starts
            .iter()
            .copied()
            .zip(self.month_starts.iter().skip(1).copied())
    }

    /// The days `[first, first of the next)` of month index `m`, if it is
    /// in the data.
    pub fn month_span(&self, m: usize) -> Option<(i32, i32)> {
        let next = m.checked_add(1)?;
        Some((*self.month_starts.get(m)?, *self.month_starts.get(next)?))
    }

    /// `YYYY-MM` of the month holding day `d`.
    pub fn month_label_at(&self, d: i32) -> String {
        self.date(d).format("%Y-%m").to_string()
    }

    /// Day `d` plus `k` calendar months (clamped to the end of the month,
    /// as billing systems do).
    pub fn add_months(&self, d: i32, k: u32) -> i32 {
        match self.date(d).checked_add_months(Months::new(k)) {
            Some(date) => self.day(date),
            None => i32::MAX / 2,
        }
    }

    /// `YYYY-MM-DD` of day `d`.
    pub fn label(&self, d: i32) -> String {
        self.date(d).format("%Y-%m-%d").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_of_six_months() {
        let end = NaiveDate::from_ymd_opt(2026, 10, 15).unwrap();
        let cal = Cal::new(end, 6).unwrap();
        assert_eq!(cal.start, NaiveDate::from_ymd_opt(2026, 5, 1).unwrap());
        assert_eq!(cal.months(), 6);
        assert_eq!(cal.date(cal.days - 1), end);
        assert_eq!(cal.month_of(0), Some(0));
        assert_eq!(cal.month_of(cal.days - 1), Some(5));
        assert_eq!(cal.month_span(5), Some((153, 168)));
        assert_eq!(cal.month_label_at(153), "2026-10");
        assert_eq!(cal.month_span(6), None);
        // May 31 days, June 30, July 31, August 31, September 30, then
        // October up to the 15th.
        let lengths: Vec<i32> = cal.month_bounds().map(|(s, e)| e - s).collect();
        assert_eq!(lengths, [31, 30, 31, 31, 30, 15]);
        assert_eq!(cal.day_of_ts(cal.ts(40, DAY_US - 1)), 40);
        assert_eq!(cal.day_of_ts(cal.ts(-3, 5)), -3);
        // 2026-05-01 is a Friday.
        assert_eq!(cal.weekday(0), 4);
        assert_eq!(
            cal.add_months(cal.day(NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()), 1),
            cal.day(NaiveDate::from_ymd_opt(2026, 2, 28).unwrap())
        );
    }
}
