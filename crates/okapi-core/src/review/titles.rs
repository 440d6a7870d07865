//! What the coach reads in the words of a title: whether it names gross
//! revenue, whether it names a result that only closing deals can move,
//! and whether it reads like a task.
//!
//! Titles are read word by word (lower case; letters, digits and `$`; a
//! hyphen or a slash separates words), never by substring, so `ARR` is
//! not found in "arrive" and "sales" in "Sales-qualified leads" is a
//! modifier, not a sales total. Each classifier is backed by a table of
//! labelled titles, `titles.tsv` next to this file, that the tests read:
//! a title that fires, or stays quiet, wrongly belongs there.

/// The words of `title`, lower case.
fn words(title: &str) -> Vec<String> {
    title
        .to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '$' || c == '.' || c == '%'))
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Words that name revenue as an amount.
const REVENUE_WORDS: &[&str] = &["revenue", "revenues", "mrr", "arr", "topline", "bookings"];

/// Words right after a revenue word that make it something else than a
/// total: a retention or churn rate, a ratio, a team.
const NOT_A_TOTAL_AFTER: &[&str] = &[
    "retention",
    "churn",
    "churned",
    "per",
    "operations",
    "ops",
    "team",
    "teams",
    "leader",
    "leaders",
    "recognition",
    "leakage",
];

/// Words right before a revenue word that make it a movement or a count
/// of something else: churned or expansion MRR, demo bookings.
const NOT_A_TOTAL_BEFORE: &[&str] = &[
    "churned",
    "churn",
    "lost",
    "contraction",
    "downgrade",
    "expansion",
    "demo",
    "demos",
    "meeting",
    "meetings",
    "call",
    "calls",
    "room",
    "table",
    "class",
];

/// Words after `sales` that show it is an amount (`sales of $4M`,
/// `grow sales by 20%`), not a modifier (`sales cycle`, `sales team`).
const SALES_AMOUNT_AFTER: &[&str] = &[
    "to", "by", "of", "from", "in", "above", "over", "past", "beyond", "revenue", "volume",
    "total", "totals", "target", "targets", "growth", "figures", "numbers", "year", "yoy",
];

fn is_number(w: &str) -> bool {
    w.chars().any(|c| c.is_ascii_digit())
}

/// Whether the revenue word at `i` is an amount of revenue.
fn revenue_total_at(w: &[String], i: usize) -> bool {
    let before = i.checked_sub(1).and_then(|j| w.get(j)).map(String::as_str);
    let after = w.get(i + 1).map(String::as_str);
    let Some(word) = w.get(i).map(String::as_str) else {
        return false;
    };
    if word == "sales" {
        // Followed by a noun, `sales` qualifies it: "sales cycle", "sales
        // team", "sales-qualified leads".
        return after.is_none_or(|a| SALES_AMOUNT_AFTER.contains(&a) || is_number(a));
    }
    let top_line = word == "top" && after == Some("line");
    if !(REVENUE_WORDS.contains(&word) || top_line) {
        return false;
    }
    let after = if top_line {
        w.get(i + 2).map(String::as_str)
    } else {
        after
    };
    !after.is_some_and(|a| NOT_A_TOTAL_AFTER.contains(&a))
        && !before.is_some_and(|b| NOT_A_TOTAL_BEFORE.contains(&b))
}

/// Whether `title` names gross revenue: revenue, MRR, ARR, bookings or
/// sales as an amount ("Reach $10M ARR", "Double sales", "Hit $4M in
/// bookings"), and not a rate or ratio built on them (net revenue
/// retention, revenue churn, revenue per lead), churned or expansion
/// revenue, or a sales cycle, team or pipeline.
pub fn names_gross_revenue(title: &str) -> bool {
    let w = words(title);
    (0..w.len()).any(|i| revenue_total_at(&w, i))
}

/// Words that, with `deal` or `deals` in the same title, say deals are
/// closed: "Close 20 enterprise deals", "Win 12 deals".
const CLOSING_WORDS: &[&str] = &["close", "closed", "closes", "win", "won", "sign", "signed"];

/// Whether `title` names a result that moves only when deals close: gross
/// revenue, new or expansion revenue, deals closed or won, their size,
/// new logos. Pipeline, demos and PQLs move within a cycle; a sales cycle
/// or a retention rate is not closed revenue.
pub fn names_closed_revenue(title: &str) -> bool {
    if names_gross_revenue(title) {
        return true;
    }
    let w = words(title);
    let has = |s: &str| w.iter().any(|x| x == s);
    let pair = |a: &[&str], b: &[&str]| {
        w.iter()
            .zip(w.iter().skip(1))
            .any(|(x, y)| a.contains(&x.as_str()) && b.contains(&y.as_str()))
    };
    let new_revenue = pair(
        &["new", "expansion", "upsell"],
        &["mrr", "arr", "revenue", "bookings"],
    );
    let deals_closed =
        (has("deal") || has("deals")) && w.iter().any(|x| CLOSING_WORDS.contains(&x.as_str()));
    let deal_size = pair(&["deal", "contract"], &["size", "sizes", "value"]);
    let logos = pair(&["new"], &["logos", "logo"]);
    new_revenue || deals_closed || deal_size || logos || pair(&["closed"], &["won"])
}

/// Verbs that start a task rather than a result.
const TASK_VERBS: &[&str] = &[
    "launch",
    "build",
    "create",
    "implement",
    "ship",
    "write",
    "publish",
    "hold",
    "run",
    "deploy",
    "release",
    "complete",
    "finish",
    "organize",
    "organise",
    "hire",
    "migrate",
    "redesign",
    "set up",
    "roll out",
    "introduce",
    "start",
    "develop",
    "design",
    "update",
    "add",
    "integrate",
    "rewrite",
    "refactor",
    "document",
    "prepare",
    "kick off",
    "host",
    "attend",
    "send",
    "draft",
    "finalize",
    "finalise",
    "translate",
    "install",
    "configure",
    "upgrade",
];

/// Number words that make a title measurable without digits.
const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million",
    "half", "double", "twice", "triple", "percent",
];

/// Words after which a number names something rather than measures it:
/// "version 2", "SOC 2", "ISO 27001", "phase 3".
const NAMING_WORDS: &[&str] = &[
    "version", "soc", "iso", "phase", "step", "tier", "level", "pci", "gen", "web",
];

/// Whether the word at `i` is a number that measures: not a year, a
/// quarter or half (`2027`, `Q3`, `H1`), a version (`v2`), or a name's
/// number ("SOC 2").
fn measures_at(w: &[String], i: usize) -> bool {
    let Some(x) = w.get(i).map(String::as_str) else {
        return false;
    };
    if NUMBER_WORDS.contains(&x) {
        return true;
    }
    if !is_number(x) {
        return false;
    }
    let year = x.len() == 4 && x.parse::<u32>().is_ok_and(|y| (1900..=2199).contains(&y));
    let named = |p: char| {
        x.strip_prefix(p)
            .is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()))
    };
    let after_name = i
        .checked_sub(1)
        .and_then(|j| w.get(j))
        .is_some_and(|b| NAMING_WORDS.contains(&b.as_str()));
    !(year || named('q') || named('h') || named('v') || after_name)
}

/// Whether `title` reads like a task: it starts with a task verb and has
/// no number (in digits or words) to measure it by; a year, a quarter, a
/// version or a name's number ("SOC 2") does not measure.
pub fn reads_like_task(title: &str) -> bool {
    let w = words(title);
    let measured = (0..w.len()).any(|i| measures_at(&w, i));
    if measured {
        return false;
    }
    // A hyphen joins the first word to a noun ("Hire-to-productivity
    // time") only in the raw title, so match the title's own first words.
    let t = title.trim().to_lowercase();
    TASK_VERBS.iter().any(|v| {
        t == *v
            || t.strip_prefix(v)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with(':'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The labelled titles: `rule <TAB> fires|quiet <TAB> title`.
    const TABLE: &str = include_str!("titles.tsv");

    fn table() -> Vec<(&'static str, bool, &'static str)> {
        TABLE
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let mut f = l.split('\t');
                let (Some(rule), Some(label), Some(title), None) =
                    (f.next(), f.next(), f.next(), f.next())
                else {
                    panic!("titles.tsv: `{l}` is not RULE<TAB>fires|quiet<TAB>TITLE");
                };
                let fires = match label {
                    "fires" => true,
                    "quiet" => false,
                    other => panic!("titles.tsv: label `{other}` in `{l}`"),
                };
                (rule, fires, title)
            })
            .collect()
    }

    fn check(rule: &str, classify: fn(&str) -> bool) {
        let rows: Vec<_> = table().into_iter().filter(|r| r.0 == rule).collect();
        let fires = rows.iter().filter(|r| r.1).count();
        assert!(
            rows.len() >= 40 && fires >= 15 && rows.len() - fires >= 15,
            "{rule}: {} titles ({fires} firing); the table needs at least 40, both kinds",
            rows.len()
        );
        let wrong: Vec<String> = rows
            .iter()
            .filter(|(_, fires, title)| classify(title) != *fires)
            .map(|(_, fires, title)| {
                format!(
                    "  expected {}: {title}",
                    if *fires { "fires" } else { "quiet" }
                )
            })
            .collect();
        assert!(wrong.is_empty(), "{rule}:\n{}", wrong.join("\n"));
    }

    #[test]
    fn gross_revenue_titles() {
        check("gross-revenue", names_gross_revenue);
    }

    #[test]
    fn closed_revenue_titles() {
        check("sales-cycle", names_closed_revenue);
    }

    #[test]
    fn task_titles() {
        check("kr-task", reads_like_task);
    }

    #[test]
    fn words_split_on_hyphens_and_keep_amounts() {
        assert_eq!(
            words("Sales-qualified leads: $1.5M ARR, 20%."),
            vec!["sales", "qualified", "leads", "$1.5m", "arr", "20%"]
        );
    }
}
