//! Small random helpers over the deterministic ChaCha8 generator (the
//! `rand` crate is built without its distributions).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::calendar::HOUR_US;

/// A generator for one part of the company: each part draws from its own
/// stream, so that changing how one table is generated leaves the others
/// as they were.
pub(crate) fn stream(seed: u64, part: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(part);
    rng
}

/// Uniform in [0, 1).
#[inline]
pub(crate) fn unit(rng: &mut ChaCha8Rng) -> f64 {
    rng.random::<f64>()
}

#[inline]
pub(crate) fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    unit(rng) < p
}

/// Exponentially distributed with the given mean.
pub(crate) fn exp(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * (1.0 - unit(rng)).ln()
}

/// Standard normal (Box–Muller).
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - unit(rng);
    let u2 = unit(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Poisson with a small mean (Knuth's method).
pub(crate) fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    let l = (-mean).exp();
    let mut k = 0;
    let mut p = unit(rng);
    while p > l && k < 1000 {
        k += 1;
        p *= unit(rng);
    }
    k
}

/// An index drawn with the given weights.
pub(crate) fn pick(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.random_range(0..total.max(1));
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

/// One of `items` drawn with the matching `weights` (one per item);
/// `None` only when `items` has fewer entries than `weights`.
pub(crate) fn pick_in<T: Copy>(rng: &mut ChaCha8Rng, items: &[T], weights: &[u32]) -> Option<T> {
    items.get(pick(rng, weights)).copied()
}

/// One of `items`, uniformly; `None` (and nothing drawn) when it is empty.
pub(crate) fn one_of<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        return None;
    }
    items.get(rng.random_range(0..items.len()))
}

/// Uniform integer in `lo..=hi`.
pub(crate) fn between(rng: &mut ChaCha8Rng, lo: i64, hi: i64) -> i64 {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..=hi)
    }
}

/// A time of day drawn from hourly weights: a 1024-entry lookup table.
pub(crate) struct HourTable {
    hours: [u8; 1024],
}

impl HourTable {
    pub fn new(weights: &[u32; 24]) -> HourTable {
        let total: u32 = weights.iter().sum();
        let mut hours = [0u8; 1024];
        let mut acc = 0u32;
        let mut h = 0usize;
        for (i, slot) in hours.iter_mut().enumerate() {
            while h < 23
                && let Some(&w) = weights.get(h)
                && (i as u32) * total >= (acc + w) * 1024
            {
                acc += w;
                h += 1;
            }
            *slot = h as u8;
        }
        HourTable { hours }
    }

    /// Microseconds into the day.
    #[inline]
    pub fn tod(&self, rng: &mut ChaCha8Rng) -> i64 {
        let x: u64 = rng.random();
        // Masked to 0..1024, the table's length: always there.
        let hour = self.hours.get((x & 1023) as usize).map_or(0, |&h| h as i64);
        hour * HOUR_US + ((x >> 10) % HOUR_US as u64) as i64
    }
}

/// Working hours (UTC, customers in Europe and the Americas).
pub(crate) const B2B_HOURS: [u32; 24] = [
    1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 11, 12, 11, 9, 7, 5, 4, 3, 2, 1,
];
/// Consumers: evenings and weekends.
pub(crate) const B2C_HOURS: [u32; 24] = [
    3, 2, 1, 1, 1, 1, 2, 3, 4, 5, 5, 6, 6, 6, 6, 6, 7, 8, 9, 10, 11, 10, 8, 5,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_table_follows_weights() {
        let mut w = [0u32; 24];
        w[3] = 1;
        w[20] = 3;
        let t = HourTable::new(&w);
        let mut rng = stream(1, 1);
        let mut n20 = 0;
        for _ in 0..4000 {
            let h = t.tod(&mut rng) / HOUR_US;
            assert!(h == 3 || h == 20, "{h}");
            if h == 20 {
                n20 += 1;
            }
        }
        assert!((2700..3300).contains(&n20), "{n20}");
    }
}
