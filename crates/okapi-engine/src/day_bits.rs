//! A growable bitset of day numbers: which days something happened on.
//!
//! Used per user, per account and per table by the kernels and the quality
//! report: setting a bit is a few instructions, and a user active on 500 of
//! 1,100 days costs 144 bytes.
//!
//! A set grows to span the days inserted. The days come from loaded data,
//! which the loaders hold to 1900-01-01 … 2200-12-31 (109,938 days), so no
//! set spans more than 1,719 words of 64 days (13.4 KiB), however far
//! apart a hostile file puts one user's events.

use okapi_core::period::DayNum;

/// A set of days, stored as bits from a 64-day-aligned base.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayBits {
    /// Day of bit 0 of `words[0]`; a multiple of 64.
    base: DayNum,
    words: Vec<u64>,
}

/// Words a set makes room for when its first day comes.
const WORDS_AT_FIRST: usize = 4;

#[inline]
fn block(day: DayNum) -> DayNum {
    day.div_euclid(64) * 64
}

impl DayBits {
    pub fn new() -> DayBits {
        DayBits::default()
    }

    /// The set as stored: the day of bit 0 of the first word (a multiple
    /// of 64) and the words.
    pub fn parts(&self) -> (DayNum, &[u64]) {
        (self.base, &self.words)
    }

    /// A set from [`DayBits::parts`]; `None` when `base` is not a multiple
    /// of 64 or the words reach past the days okapi handles.
    pub fn from_parts(base: DayNum, words: Vec<u64>) -> Option<DayBits> {
        let span = i64::try_from(words.len()).ok()?.checked_mul(64)?;
        if base.rem_euclid(64) != 0 || i64::from(base).checked_add(span)? > i64::from(DayNum::MAX) {
            return None;
        }
        Some(DayBits { base, words })
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    /// Adds `day`.
    #[inline]
    pub fn insert(&mut self, day: DayNum) {
        if self.words.is_empty() {
            self.base = block(day);
            // Room for 256 days at once: a set grown day by day would
            // otherwise be moved in memory at 1, 2, 4 and 8 words.
            self.words.reserve(WORDS_AT_FIRST);
            self.words.push(0);
        } else if day < self.base {
            let new_base = block(day);
            let extra = ((self.base - new_base) / 64) as usize;
            self.words.splice(0..0, std::iter::repeat_n(0, extra));
            self.base = new_base;
        }
        let off = (day - self.base) as usize;
        let w = off / 64;
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        if let Some(word) = self.words.get_mut(w) {
            *word |= 1u64 << (off % 64);
        }
    }

    /// Adds the days of a 64-day block: bit `i` of `mask` is day
    /// `block + i`, `block` a multiple of 64.
    pub fn insert_block(&mut self, block: DayNum, mask: u64) {
        if mask == 0 {
            return;
        }
        let first = block + mask.trailing_zeros() as DayNum;
        self.insert(first);
        let w = ((block - self.base) / 64) as usize;
        if let Some(word) = self.words.get_mut(w) {
            *word |= mask;
        }
    }

    /// Whether `day` is in the set.
    #[inline]
    pub fn contains(&self, day: DayNum) -> bool {
        if day < self.base {
            return false;
        }
        let off = (day - self.base) as usize;
        self.words
            .get(off / 64)
            .is_some_and(|w| w & (1u64 << (off % 64)) != 0)
    }

    /// Whether any day in `from..=to` is in the set.
    pub fn any_in(&self, from: DayNum, to: DayNum) -> bool {
        self.last_on_or_before(to).is_some_and(|d| d >= from)
    }

    /// Number of days of the set in `from..=to`.
    pub fn count_in(&self, from: DayNum, to: DayNum) -> u32 {
        if self.words.is_empty() || to < from {
            return 0;
        }
        let lo = from.max(self.base) as i64 - self.base as i64;
        let hi = (to as i64 - self.base as i64).min(self.words.len() as i64 * 64 - 1);
        if hi < lo {
            return 0;
        }
        let (wl, wh) = ((lo / 64) as usize, (hi / 64) as usize);
        let mut n = 0;
        let words = self.words.iter().enumerate().take(wh + 1).skip(wl);
        for (w, &word) in words {
            let mut word = word;
            if w == wl {
                word &= u64::MAX << (lo % 64);
            }
            if w == wh && hi % 64 != 63 {
                word &= (1u64 << (hi % 64 + 1)) - 1;
            }
            n += word.count_ones();
        }
        n
    }

    /// The latest day in the set that is `<= day`.
    pub fn last_on_or_before(&self, day: DayNum) -> Option<DayNum> {
        if self.words.is_empty() || day < self.base {
            return None;
        }
        let off = day as i64 - self.base as i64;
        let mut w = (off / 64) as usize;
        let mask = if w >= self.words.len() {
            w = self.words.len() - 1;
            u64::MAX
        } else {
            let bit = (off % 64) as u32;
            if bit == 63 {
                u64::MAX
            } else {
                (1u64 << (bit + 1)) - 1
            }
        };
        for (i, &word) in self.words.iter().enumerate().take(w + 1).rev() {
            let v = if i == w { word & mask } else { word };
            if v != 0 {
                return Some(self.base + (i as DayNum) * 64 + (63 - v.leading_zeros() as DayNum));
            }
        }
        None
    }

    /// The earliest day in the set.
    pub fn first(&self) -> Option<DayNum> {
        self.words
            .iter()
            .enumerate()
            .find(|(_, w)| **w != 0)
            .map(|(i, w)| self.base + (i as DayNum) * 64 + w.trailing_zeros() as DayNum)
    }

    /// The days in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = DayNum> + '_ {
        self.words.iter().enumerate().flat_map(move |(i, &w)| {
            let base = self.base + (i as DayNum) * 64;
            BitIter(w).map(move |b| base + b as DayNum)
        })
    }

    /// The days in the set in `from..to` (`to` excluded), ascending; the
    /// words before and after are not looked at.
    pub fn iter_in(&self, from: DayNum, to: DayNum) -> impl Iterator<Item = DayNum> + '_ {
        let span = self.words.len() as i64 * 64;
        let lo = (i64::from(from) - i64::from(self.base)).clamp(0, span);
        let hi = (i64::from(to) - i64::from(self.base)).clamp(lo, span);
        // Whole words from the one holding `lo` to the one holding `hi - 1`.
        let (wl, wh) = ((lo / 64) as usize, ((hi + 63) / 64) as usize);
        self.words
            .get(wl..wh)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .flat_map(move |(i, &w)| {
                let base = self.base + ((wl + i) as DayNum) * 64;
                BitIter(w).map(move |b| base + b as DayNum)
            })
            .filter(move |&d| d >= from && d < to)
    }

    /// Number of days in the set.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Adds every day of `other`.
    pub fn union_with(&mut self, other: &DayBits) {
        let (Some(first), Some(last)) = (other.first(), other.last_on_or_before(DayNum::MAX))
        else {
            return;
        };
        // Grow to cover other's range (setting only days `other` has);
        // bases are 64-aligned, so words line up.
        self.insert(first);
        self.insert(last);
        let shift = ((other.base - self.base) / 64) as usize;
        for (mine, &theirs) in self.words.iter_mut().skip(shift).zip(&other.words) {
            *mine |= theirs;
        }
    }
}

struct BitIter(u64);

impl Iterator for BitIter {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        if self.0 == 0 {
            return None;
        }
        let b = self.0.trailing_zeros();
        self.0 &= self.0 - 1;
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_both_ways_and_answers_lookbacks() {
        let mut b = DayBits::new();
        for d in [100, 5, 300, -70, 5] {
            b.insert(d);
        }
        assert_eq!(b.iter().collect::<Vec<_>>(), vec![-70, 5, 100, 300]);
        assert_eq!(b.len(), 4);
        assert!(b.contains(-70) && !b.contains(-69));
        assert_eq!(b.last_on_or_before(299), Some(100));
        assert_eq!(b.last_on_or_before(1000), Some(300));
        assert_eq!(b.last_on_or_before(-71), None);
        assert!(b.any_in(90, 110));
        assert!(!b.any_in(101, 299));
        assert_eq!(b.first(), Some(-70));
        assert_eq!(b.count_in(-100, 400), 4);
        assert_eq!(b.count_in(5, 100), 2);
        assert_eq!(b.count_in(6, 99), 0);
        assert_eq!(b.count_in(-70, -70), 1);
        assert_eq!(b.count_in(301, 10_000), 0);
        // The days of a range, the end excluded, across words and beyond
        // the set on both sides.
        assert_eq!(
            b.iter_in(-100, 400).collect::<Vec<_>>(),
            vec![-70, 5, 100, 300]
        );
        assert_eq!(b.iter_in(5, 300).collect::<Vec<_>>(), vec![5, 100]);
        assert_eq!(b.iter_in(6, 100).count(), 0);
        assert_eq!(b.iter_in(-70, -69).collect::<Vec<_>>(), vec![-70]);
        assert_eq!(b.iter_in(301, 10_000).count(), 0);
        assert_eq!(b.iter_in(-1_000, -500).count(), 0);
        assert_eq!(b.iter_in(200, 100).count(), 0);
        assert_eq!(DayBits::new().iter_in(0, 10).count(), 0);
        let mut c = DayBits::new();
        c.insert(1000);
        c.insert(-200);
        c.union_with(&b);
        assert_eq!(
            c.iter().collect::<Vec<_>>(),
            vec![-200, -70, 5, 100, 300, 1000]
        );
        let mut f = DayBits::new();
        f.insert_block(64, 0b101);
        f.insert_block(-64, 1 << 63);
        assert_eq!(f.iter().collect::<Vec<_>>(), vec![-1, 64, 66]);
        let mut e = DayBits::new();
        e.union_with(&b);
        assert_eq!(e, b);
    }
}
