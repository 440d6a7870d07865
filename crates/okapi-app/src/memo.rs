//! What the pages and the API read most, kept in memory between requests
//! while the database has not changed.
//!
//! Each entry is tagged with the store's generation
//! ([`okapi_store::Store::generation`]) it was read in. That number moves
//! when this process commits a write, at once (someone who checks in sees
//! their check-in on the next page), and when it notices another process's
//! write (`okapi refresh` or a check-in from the command line while the
//! server runs), which the server looks for every
//! [`NOTICE_EVERY`](crate::memo::NOTICE_EVERY). An entry of an older
//! generation is never returned: the whole memo is emptied when the
//! generation moves.
//!
//! A value is read under the generation taken *before* its reads began,
//! so one computed while a write committed is kept under the old number
//! and never served after the write.
//!
//! Kept here: the login sessions and API tokens by the hash of their
//! secret (as the database holds them; every request still checks expiry,
//! workspace and revocation on what was read), the executive home by day,
//! and a cycle's status by cycle and day.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use okapi_store::{Login, Store};

use crate::dashboard::Home;
use crate::status::CycleStatus;

/// How often a server looks for another process's changes to the
/// database: the longest a change made outside it (from the command line)
/// takes to show, a revoked token from there included.
pub const NOTICE_EVERY: Duration = Duration::from_millis(500);

/// The most entries one memo holds; past it, it starts again empty (a
/// bound against a flood of distinct keys, far above what a workspace
/// reads).
const MAX_ENTRIES: usize = 4096;

/// Values of one kind by key, all of one generation.
#[derive(Debug)]
pub struct Memo<K, V> {
    state: Mutex<State<K, V>>,
}

#[derive(Debug)]
struct State<K, V> {
    generation: u64,
    values: HashMap<K, Arc<V>>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            state: Mutex::new(State {
                generation: 0,
                values: HashMap::new(),
            }),
        }
    }
}

impl<K: Eq + Hash, V> Memo<K, V> {
    /// The value of `key` read in `generation`, if there is one.
    pub fn get(&self, generation: u64, key: &K) -> Option<Arc<V>> {
        let state = self.state.lock().ok()?;
        if state.generation != generation {
            return None;
        }
        state.values.get(key).cloned()
    }

    /// Keeps `value`, read in `generation`, for `key`; a value of an older
    /// generation than the memo's is returned but not kept.
    pub fn put(&self, generation: u64, key: K, value: V) -> Arc<V> {
        let value = Arc::new(value);
        if let Ok(mut state) = self.state.lock() {
            if generation > state.generation {
                state.generation = generation;
                state.values.clear();
            }
            if generation == state.generation {
                if state.values.len() >= MAX_ENTRIES {
                    state.values.clear();
                }
                state.values.insert(key, value.clone());
            }
        }
        value
    }

    /// The value of `key` in the store's current generation: the one kept,
    /// else `read()`'s, kept. Errors are not kept.
    pub async fn get_or_read<E, F, Fut>(&self, store: &Store, key: K, read: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let generation = store.generation();
        if let Some(v) = self.get(generation, &key) {
            return Ok(v);
        }
        let value = read().await?;
        Ok(self.put(generation, key, value))
    }
}

/// A workspace's memos. Keys hold the workspace's id: workspaces opened on
/// one database may share them.
#[derive(Debug, Default)]
pub struct Memos {
    /// Login sessions by the SHA-256 of their secret: the login and when
    /// the session expires (`None`: no such session).
    pub sessions: Memo<String, Option<(Login, DateTime<Utc>)>>,
    /// API tokens by the SHA-256 of their secret: the token's workspace and
    /// the token (`None`: no such token).
    pub tokens: Memo<String, Option<(String, okapi_store::ApiToken)>>,
    /// The executive home by workspace and day.
    pub home: Memo<(String, NaiveDate), Home>,
    /// A cycle's status by workspace, cycle (`None`: the default one) and
    /// the day it is read on.
    pub status: Memo<(String, Option<String>, NaiveDate), CycleStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_returned_only_in_the_generation_it_was_read_in() {
        let m: Memo<&str, i32> = Memo::default();
        m.put(3, "a", 1);
        assert_eq!(m.get(3, &"a").as_deref(), Some(&1));
        assert_eq!(m.get(4, &"a"), None, "a newer generation reads again");
        assert_eq!(m.get(2, &"a"), None);
        assert_eq!(m.get(3, &"b"), None);
    }

    #[test]
    fn a_newer_generation_empties_the_memo_and_an_older_one_is_not_kept() {
        let m: Memo<&str, i32> = Memo::default();
        m.put(3, "a", 1);
        m.put(4, "b", 2);
        assert_eq!(m.get(4, &"a"), None, "emptied when the generation moved");
        assert_eq!(m.get(4, &"b").as_deref(), Some(&2));
        // Read before the move, finished after: served once, never kept.
        assert_eq!(*m.put(3, "c", 3), 3);
        assert_eq!(m.get(3, &"c"), None);
        assert_eq!(m.get(4, &"c"), None);
        assert_eq!(m.get(4, &"b").as_deref(), Some(&2));
    }

    #[test]
    fn the_memo_is_bounded() {
        let m: Memo<usize, usize> = Memo::default();
        for i in 0..MAX_ENTRIES + 10 {
            m.put(1, i, i);
        }
        let kept = (0..MAX_ENTRIES + 10)
            .filter(|i| m.get(1, i).is_some())
            .count();
        assert!(kept <= MAX_ENTRIES, "{kept}");
        assert_eq!(
            m.get(1, &(MAX_ENTRIES + 9)).as_deref(),
            Some(&(MAX_ENTRIES + 9))
        );
    }
}
