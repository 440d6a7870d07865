//! The workspace time zone: which calendar day an instant falls on.
//!
//! Timestamps are stored as microseconds since the Unix epoch, in UTC.
//! Periods are calendar periods in the workspace zone (UTC by default), so
//! every timestamp is turned into a local [`DayNum`] before it is bucketed.
//! UTC is a plain division; a named zone looks up its UTC offset, cached
//! per hour because kernels do this for hundreds of millions of events.

use std::str::FromStr;

use chrono::{NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;

use crate::period::{DayNum, day_num};

pub const MICROS_PER_DAY: i64 = 86_400_000_000;
const MICROS_PER_HOUR: i64 = 3_600_000_000;

/// A time zone: UTC or an IANA zone such as `Europe/Paris`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Zone {
    #[default]
    Utc,
    Named(Tz),
}

impl FromStr for Zone {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("utc") || s == "Z" || s == "Etc/UTC" {
            return Ok(Zone::Utc);
        }
        s.parse::<Tz>().map(Zone::Named).map_err(|_| {
            format!("unknown time zone `{s}` (expected UTC or an IANA name such as Europe/Paris)")
        })
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Zone::Utc => f.write_str("UTC"),
            Zone::Named(tz) => f.write_str(tz.name()),
        }
    }
}

impl Zone {
    /// UTC offset in microseconds at the instant `micros`.
    pub fn offset_micros(&self, micros: i64) -> i64 {
        match self {
            Zone::Utc => 0,
            Zone::Named(tz) => {
                let secs = micros.div_euclid(1_000_000);
                match chrono::DateTime::from_timestamp(secs, 0) {
                    Some(utc) => {
                        tz.offset_from_utc_datetime(&utc.naive_utc())
                            .fix()
                            .local_minus_utc() as i64
                            * 1_000_000
                    }
                    None => 0,
                }
            }
        }
    }

    /// The local calendar day of the instant `micros`.
    pub fn day_of(&self, micros: i64) -> DayNum {
        (micros + self.offset_micros(micros)).div_euclid(MICROS_PER_DAY) as DayNum
    }

    /// The local calendar date of the instant `micros`.
    pub fn date_of(&self, micros: i64) -> NaiveDate {
        crate::period::date_of(self.day_of(micros))
    }

    /// The UTC instant (µs) at which local day `date` starts.
    pub fn start_of(&self, date: NaiveDate) -> i64 {
        let local = (day_num(date) as i64) * MICROS_PER_DAY;
        match self {
            Zone::Utc => local,
            Zone::Named(_) => {
                // Offset at the local midnight; two passes settle DST edges.
                let guess = local - self.offset_micros(local);
                local - self.offset_micros(guess)
            }
        }
    }

    /// A fast mapper from instants to local days for hot loops.
    pub fn day_mapper(&self) -> DayMapper {
        DayMapper {
            zone: *self,
            cached_hour: i64::MIN,
            cached_offset: 0,
        }
    }
}

/// Maps instants to local days, caching the zone offset per UTC hour.
#[derive(Debug, Clone)]
pub struct DayMapper {
    zone: Zone,
    cached_hour: i64,
    cached_offset: i64,
}

impl DayMapper {
    #[inline]
    pub fn day_of(&mut self, micros: i64) -> DayNum {
        match self.zone {
            Zone::Utc => micros.div_euclid(MICROS_PER_DAY) as DayNum,
            Zone::Named(_) => {
                let hour = micros.div_euclid(MICROS_PER_HOUR);
                if hour != self.cached_hour {
                    self.cached_hour = hour;
                    self.cached_offset = self.zone.offset_micros(hour * MICROS_PER_HOUR);
                }
                (micros + self.cached_offset).div_euclid(MICROS_PER_DAY) as DayNum
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_micros()
    }

    #[test]
    fn utc_days_follow_the_utc_instant() {
        // 2024-03-01T01:30+02:00 is 2024-02-29T23:30Z: still February.
        let z = Zone::Utc;
        let day = z.date_of(micros("2024-03-01T01:30:00+02:00"));
        assert_eq!(day, NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
    }

    #[test]
    fn named_zone_moves_late_evening_to_next_day() {
        let z: Zone = "Europe/Paris".parse().unwrap();
        // 23:30Z on 29 Feb is 00:30 on 1 March in Paris (UTC+1 in winter).
        assert_eq!(
            z.date_of(micros("2024-02-29T23:30:00Z")),
            NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()
        );
        let mut m = z.day_mapper();
        assert_eq!(
            m.day_of(micros("2024-02-29T23:30:00Z")),
            z.day_of(micros("2024-02-29T23:30:00Z"))
        );
        // Summer time: UTC+2. 22:30Z on 30 June is 00:30 on 1 July.
        assert_eq!(
            z.date_of(micros("2024-06-30T22:30:00Z")),
            NaiveDate::from_ymd_opt(2024, 7, 1).unwrap()
        );
        assert_eq!(
            z.start_of(NaiveDate::from_ymd_opt(2024, 7, 1).unwrap()),
            micros("2024-06-30T22:00:00Z")
        );
    }

    #[test]
    fn unknown_zone_is_refused() {
        assert!("Mars/Olympus".parse::<Zone>().is_err());
        assert_eq!("utc".parse::<Zone>().unwrap(), Zone::Utc);
    }
}
