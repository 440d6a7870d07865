//! Numbers as the pages show them: with their unit and thousands
//! separators ([`okapi_core::units`]), dates and times in words.

use chrono::{DateTime, Utc};
use maud::{Markup, html};
use okapi_core::scoring::Grade;

/// A KPI value in its catalog unit (`money`, `percent`, `days`…):
/// `12,345.60`, `4.2%`, `45.5 days`; `—` when absent.
pub fn value(v: Option<f64>, unit: &str) -> String {
    okapi_core::units::with_unit_or_dash(v, Some(unit))
}

/// A score with its grade's colour: `0.70` on green.
pub fn grade(score: Option<f64>, grade: Option<Grade>) -> Markup {
    match (score, grade) {
        (Some(s), Some(g)) => html! {
            span class=(format!("grade {}", g.as_str())) title=(format!("grade {}", g.as_str())) { (format!("{s:.2}")) }
        },
        _ => html! { span.grade { "—" } },
    }
}

/// A time as `2024-05-01 14:03 UTC`.
pub fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `word` with its first letter in capitals: `awareness` → `Awareness`.
pub fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
