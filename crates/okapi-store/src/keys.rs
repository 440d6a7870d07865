//! Keys: the short, human-typed ids of teams, users, cycles, objectives and
//! key results (`marketing`, `2027-Q1`, `O-3`, `KR-12`).
//!
//! A key is 1–64 letters, digits, `-`, `_` or `.`. A key ending in `-`
//! and digits is numbered (`O-3`, `Q-KR-12`): keys sort by that number
//! (`O-2` before `O-10`), and [`next_numbered`] counts on from the
//! highest. The number is at most [`MAX_KEY_NUMBER`], so that counting on
//! never overflows: `O-18446744073709551615` is refused where it is read,
//! not wrapped to `O-0` when the next key is made.

use crate::error::StoreError;

/// The largest number a numbered key may carry (15 digits).
pub const MAX_KEY_NUMBER: u64 = 999_999_999_999_999;

/// The number a key ends with after its last `-`, if it ends with digits
/// (`Some(None)` when they are too many for a number at all).
fn trailing_number(key: &str) -> Option<(&str, Option<u64>)> {
    let (head, digits) = key.rsplit_once('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((head, digits.parse::<u64>().ok()))
}

/// Checks a key's form: 1–64 letters, digits, `-`, `_` or `.`, and a
/// number after its last `-` of at most [`MAX_KEY_NUMBER`].
pub fn check_key(kind: &str, key: &str) -> Result<(), StoreError> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        return Err(StoreError::Invalid(format!(
            "{kind} key `{}` must be 1–64 letters, digits, `-`, `_` or `.`",
            key.escape_debug()
        )));
    }
    if let Some((_, n)) = trailing_number(key)
        && n.is_none_or(|n| n > MAX_KEY_NUMBER)
    {
        return Err(StoreError::Invalid(format!(
            "{kind} key `{key}`: the number after the last `-` is too large (at most {MAX_KEY_NUMBER})"
        )));
    }
    Ok(())
}

/// Orders `O-2` before `O-10`: the key's head, then its number.
pub(crate) fn natural_key(k: &str) -> (String, u64) {
    match trailing_number(k) {
        Some((head, n)) => (head.to_string(), n.unwrap_or(u64::MAX)),
        None => (k.to_string(), 0),
    }
}

/// The key after the highest of `existing` numbered `PREFIX-N` (`O-4`
/// after `O-3`; `O-1` when there is none). Keys whose number is out of
/// range (written before keys were bounded) are passed over; when the
/// highest is [`MAX_KEY_NUMBER`] there is no next key, and the error says
/// to give one.
pub(crate) fn next_numbered<'a>(
    prefix: &str,
    existing: impl IntoIterator<Item = &'a str>,
) -> Result<String, StoreError> {
    let lead = format!("{prefix}-");
    let max = existing
        .into_iter()
        .filter_map(|k| {
            let digits = k.strip_prefix(&lead)?;
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            digits.parse::<u64>().ok()
        })
        .filter(|n| *n <= MAX_KEY_NUMBER)
        .max()
        .unwrap_or(0);
    match max.checked_add(1).filter(|n| *n <= MAX_KEY_NUMBER) {
        Some(n) => Ok(format!("{prefix}-{n}")),
        None => Err(StoreError::Invalid(format!(
            "no key left after `{prefix}-{max}`: give the new key yourself"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_words() {
        for ok in ["O-1", "KR-12", "2027-Q1", "marketing", "a.b_c", "Q-KR-7"] {
            check_key("key", ok).unwrap();
        }
        for bad in ["", "q 1", "O/1", "é", &"x".repeat(65)] {
            assert!(check_key("key", bad).is_err(), "{bad:?}");
        }
        check_key("key", &"x".repeat(64)).unwrap();
    }

    #[test]
    fn numbers_in_keys_are_bounded() {
        // 999,999,999,999,999 is the bound: it is accepted, one more is not.
        check_key("objective", "O-999999999999999").unwrap();
        let e = check_key("objective", "O-1000000000000000").unwrap_err();
        assert!(e.to_string().contains("too large"), "{e}");
        // u64::MAX, and more digits than any u64 holds.
        assert!(check_key("objective", "O-18446744073709551615").is_err());
        let e = check_key("key result", "KR-99999999999999999999").unwrap_err();
        assert_eq!(
            e.to_string(),
            "key result key `KR-99999999999999999999`: the number after the last `-` is too large (at most 999999999999999)"
        );
        // Leading zeros do not make a number large.
        check_key("objective", "O-0000000000000000000001").unwrap();
    }

    #[test]
    fn the_next_key_counts_on_and_never_wraps() {
        assert_eq!(next_numbered("O", []).unwrap(), "O-1");
        assert_eq!(
            next_numbered("O", ["O-3", "O-10", "KR-50", "O-x", "OX-90"]).unwrap(),
            "O-11"
        );
        // Keys stored before the bound are passed over, not wrapped.
        assert_eq!(
            next_numbered(
                "O",
                ["O-2", "O-18446744073709551615", "O-99999999999999999999"]
            )
            .unwrap(),
            "O-3"
        );
        assert_eq!(
            next_numbered("KR", ["KR-999999999999998"]).unwrap(),
            "KR-999999999999999"
        );
        let e = next_numbered("KR", ["KR-999999999999999"]).unwrap_err();
        assert!(e.to_string().contains("no key left"), "{e}");
    }

    #[test]
    fn numbered_keys_sort_by_number() {
        let mut keys = vec!["O-10", "O-2", "KR-1", "O-99999999999999999999", "team"];
        keys.sort_by_key(|k| natural_key(k));
        assert_eq!(
            keys,
            ["KR-1", "O-2", "O-10", "O-99999999999999999999", "team"]
        );
    }
}
