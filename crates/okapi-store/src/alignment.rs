//! Alignment chains: an objective, its parent, its parent's parent, … up
//! to a top objective. A chain is at most [`MAX_ALIGNMENT_DEPTH`]
//! objectives long (the top one is level 1), so that whatever walks one —
//! the tree view, an import putting parents first — stays shallow. Chains
//! from user input (an import document, an OKR file) are walked without
//! recursion, each walk stopping at the limit, so that a loop or a chain
//! of a million objectives is a clear error, never a stack overflow or a
//! hang.

use std::collections::{HashMap, HashSet};

/// The most objectives one alignment chain may hold, top one included
/// (company → department → team → person is 4).
pub const MAX_ALIGNMENT_DEPTH: usize = 32;

/// Why objectives cannot be aligned as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlignmentError {
    #[error("objective `{key}` is aligned in a loop: {}", path.join(" → "))]
    Loop { key: String, path: Vec<String> },
    #[error(
        "objective `{key}` is aligned more than {MAX_ALIGNMENT_DEPTH} levels deep (under {}): at most {MAX_ALIGNMENT_DEPTH} objectives, the top one included, make one chain",
        above.join(" → ")
    )]
    TooDeep {
        key: String,
        /// Its parent, grandparent… (the first few).
        above: Vec<String>,
    },
}

impl AlignmentError {
    /// The objective the error is about.
    pub fn key(&self) -> &str {
        match self {
            AlignmentError::Loop { key, .. } | AlignmentError::TooDeep { key, .. } => key,
        }
    }
}

fn too_deep(key: &str, chain: &[&str]) -> AlignmentError {
    let mut above: Vec<String> = chain
        .iter()
        .skip(1)
        .take(3)
        .map(|k| k.to_string())
        .collect();
    if chain.len() > 4 {
        above.push("…".into());
    }
    AlignmentError::TooDeep {
        key: key.to_string(),
        above,
    }
}

/// Orders `items` so that every parent comes before its children, and
/// checks every chain: no loop, at most [`MAX_ALIGNMENT_DEPTH`] deep. A
/// parent that is not among `items` ends a chain (it is checked where it
/// is stored). Work is at most `items.len() × MAX_ALIGNMENT_DEPTH` steps.
pub fn parents_first<T>(
    items: &[T],
    key: impl Fn(&T) -> &str,
    parent: impl Fn(&T) -> Option<&str>,
) -> Result<Vec<&T>, AlignmentError> {
    let by_key: HashMap<&str, &T> = items.iter().map(|o| (key(o), o)).collect();
    // The level of each objective placed so far (1 for a top one).
    let mut level: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    for o in items {
        if level.contains_key(key(o)) {
            continue;
        }
        // Walk up until a placed objective, a top one, or one not given.
        let mut chain: Vec<&T> = vec![o];
        let mut keys: Vec<&str> = vec![key(o)];
        let mut seen: HashSet<&str> = HashSet::from([key(o)]);
        let mut base = 0;
        while let Some(p) = chain.last().and_then(|top| parent(top)) {
            if let Some(l) = level.get(p) {
                base = *l;
                break;
            }
            let Some(up) = by_key.get(p) else { break };
            if !seen.insert(p) {
                let start = keys.iter().position(|k| *k == p).unwrap_or(0);
                let mut path: Vec<String> =
                    keys.iter().skip(start).map(|k| k.to_string()).collect();
                path.push(p.to_string());
                return Err(AlignmentError::Loop {
                    key: p.to_string(),
                    path,
                });
            }
            if chain.len() >= MAX_ALIGNMENT_DEPTH {
                return Err(too_deep(key(o), &keys));
            }
            chain.push(up);
            keys.push(p);
        }
        if base + chain.len() > MAX_ALIGNMENT_DEPTH {
            return Err(too_deep(key(o), &keys));
        }
        for (i, c) in chain.into_iter().rev().enumerate() {
            level.insert(key(c), base + i + 1);
            out.push(c);
        }
    }
    Ok(out)
}

/// Checks that aligning `child` under `parent` keeps every chain within
/// [`MAX_ALIGNMENT_DEPTH`]: the parent's level plus the depth of the
/// child's own subtree. `parents` maps every stored objective to its
/// parent; loops are refused before this is called (`check_alignment`),
/// and the walks stop at the limit regardless.
pub(crate) fn check_depth(
    child: &str,
    parent: &str,
    parents: &HashMap<String, Option<String>>,
) -> Result<(), AlignmentError> {
    // The chain from the new parent up.
    let mut above: Vec<&str> = vec![child, parent];
    let mut current = parent;
    while let Some(Some(up)) = parents.get(current) {
        if up == child || above.len() > MAX_ALIGNMENT_DEPTH {
            break;
        }
        above.push(up);
        current = up;
    }
    // The child's deepest descendant, level by level.
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for (k, p) in parents {
        if let Some(p) = p {
            children.entry(p.as_str()).or_default().push(k.as_str());
        }
    }
    let mut height = 1;
    let mut frontier = vec![child];
    let mut seen: HashSet<&str> = HashSet::from([child]);
    loop {
        let next: Vec<&str> = frontier
            .iter()
            .flat_map(|k| children.get(k).into_iter().flatten().copied())
            .filter(|k| seen.insert(k))
            .collect();
        if next.is_empty() || height > MAX_ALIGNMENT_DEPTH {
            break;
        }
        height += 1;
        frontier = next;
    }
    // `above` holds the child and its chain: levels above it are len − 1.
    if above.len() - 1 + height > MAX_ALIGNMENT_DEPTH {
        return Err(too_deep(child, &above));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (key, parent) pairs.
    fn order(items: &[(String, Option<String>)]) -> Result<Vec<String>, AlignmentError> {
        parents_first(items, |o| o.0.as_str(), |o| o.1.as_deref())
            .map(|v| v.into_iter().map(|o| o.0.clone()).collect())
    }

    fn pair(k: &str, p: Option<&str>) -> (String, Option<String>) {
        (k.to_string(), p.map(str::to_string))
    }

    /// A chain O-1 ← O-2 ← … ← O-n, listed deepest first.
    fn chain(n: usize) -> Vec<(String, Option<String>)> {
        (1..=n)
            .rev()
            .map(|i| {
                let parent = (i > 1).then(|| format!("O-{}", i - 1));
                (format!("O-{i}"), parent)
            })
            .collect()
    }

    #[test]
    fn parents_come_first() {
        let items = [
            pair("T-1", Some("C-1")),
            pair("P-1", Some("T-1")),
            pair("C-1", None),
            pair("X-1", Some("stored")),
        ];
        assert_eq!(order(&items).unwrap(), ["C-1", "T-1", "P-1", "X-1"]);
    }

    #[test]
    fn loops_are_named() {
        let items = [
            pair("A", Some("C")),
            pair("B", Some("A")),
            pair("C", Some("B")),
        ];
        let e = order(&items).unwrap_err();
        assert_eq!(
            e.to_string(),
            "objective `A` is aligned in a loop: A → C → B → A"
        );
        assert_eq!(
            order(&[pair("S", Some("S"))]).unwrap_err().to_string(),
            "objective `S` is aligned in a loop: S → S"
        );
    }

    #[test]
    fn chains_stop_at_the_limit() {
        // 32 levels are fine, in any order; 33 are not.
        assert_eq!(order(&chain(32)).unwrap().len(), 32);
        let mut shuffled = chain(32);
        shuffled.swap(3, 20);
        shuffled.swap(0, 31);
        assert_eq!(order(&shuffled).unwrap()[0], "O-1");
        let e = order(&chain(33)).unwrap_err();
        assert!(
            matches!(&e, AlignmentError::TooDeep { key, .. } if key == "O-33"),
            "{e}"
        );
        assert!(
            e.to_string()
                .contains("more than 32 levels deep (under O-32 → O-31 → O-30 → …)"),
            "{e}"
        );
        // A long chain is refused after a bounded walk, not a deep one.
        let e = order(&chain(1_000_000)).unwrap_err();
        assert!(matches!(e, AlignmentError::TooDeep { .. }), "{e}");
        // A chain of 31 under a stored parent is placed; its depth in the
        // database is the store's to check.
        let mut under_stored = chain(31);
        under_stored.last_mut().unwrap().1 = Some("stored".into());
        assert_eq!(order(&under_stored).unwrap().len(), 31);
    }

    #[test]
    fn a_move_may_not_push_a_subtree_past_the_limit() {
        // A chain of 20 (O-1 … O-20) and one of 12 (P-1 … P-12).
        let mut parents: HashMap<String, Option<String>> = HashMap::new();
        for i in 1..=20 {
            parents.insert(format!("O-{i}"), (i > 1).then(|| format!("O-{}", i - 1)));
        }
        for i in 1..=12 {
            parents.insert(format!("P-{i}"), (i > 1).then(|| format!("P-{}", i - 1)));
        }
        // P-1 under O-20: 20 above it, 12 in its subtree = 32.
        check_depth("P-1", "O-20", &parents).unwrap();
        // P-1 under a new O-21 would be 33.
        parents.insert("O-21".into(), Some("O-20".into()));
        let e = check_depth("P-1", "O-21", &parents).unwrap_err();
        assert!(
            matches!(&e, AlignmentError::TooDeep { key, .. } if key == "P-1"),
            "{e}"
        );
        // A leaf under O-21 is level 22: fine.
        check_depth("N-1", "O-21", &parents).unwrap();
    }
}
