//! Printing: human tables (values rounded half-even for display only) and
//! machine output (CSV and JSON, money exact).

use std::io::Write;

use okapi_core::catalog::Unit;
use okapi_core::formulas::Value;
use rust_decimal::{Decimal, RoundingStrategy};

/// A value as people read it: money to cents, rates to one decimal.
pub fn display(v: &Value, unit: Unit) -> String {
    match (v, unit) {
        (Value::Count(c), _) => group(&c.to_string()),
        (Value::Money(d), _) => {
            let r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
            group(&format!("{r:.2}"))
        }
        (Value::Number(x), Unit::Percent) => format!("{x:.1}%"),
        (Value::Number(x), Unit::Days | Unit::Months) => format!("{x:.1}"),
        (Value::Number(x), Unit::Score) => format!("{x:.1}"),
        (Value::Number(x), _) => format!("{x:.2}"),
    }
}

/// Thousands separators on the integer part.
fn group(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// Change from `prev` to `cur` for display: points for percentages,
/// relative change otherwise.
pub fn change(prev: Option<&Value>, cur: Option<&Value>, unit: Unit) -> String {
    let (Some(p), Some(c)) = (prev, cur) else {
        return String::new();
    };
    let (p, c) = (p.as_f64(), c.as_f64());
    if unit == Unit::Percent || unit == Unit::Score {
        return format!("{:+.1} pt", c - p);
    }
    if p == 0.0 {
        return if c == 0.0 { "=".into() } else { "new".into() };
    }
    format!("{:+.1}%", (c - p) / p.abs() * 100.0)
}

/// Money for display.
pub fn money(d: &Decimal) -> String {
    display(&Value::Money(*d), Unit::Money)
}

/// Prints rows as an aligned text table.
pub fn table(
    out: &mut dyn Write,
    header: &[&str],
    rows: &[Vec<String>],
    right: &[bool],
) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |out: &mut dyn Write, cells: &[String]| -> std::io::Result<()> {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            let pad = w.saturating_sub(c.chars().count());
            if i > 0 {
                s.push_str("  ");
            }
            if right.get(i).copied().unwrap_or(false) {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(
        out,
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    )?;
    line(
        out,
        &widths.iter().map(|w| "─".repeat(*w)).collect::<Vec<_>>(),
    )?;
    for r in rows {
        line(out, r)?;
    }
    Ok(())
}

/// Writes `header` and `rows` as CSV.
pub fn csv(out: impl Write, header: &[&str], rows: &[Vec<String>]) -> Result<(), ::csv::Error> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(header)?;
    for r in rows {
        w.write_record(r)?;
    }
    w.flush()?;
    Ok(())
}

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// Writes a use case's result to standard output: as pretty JSON, or as
/// `table` prints it for people. A reader that stops early is handled by
/// `main` (the error's chain holds the broken pipe).
pub fn emit<T: serde::Serialize>(
    format: crate::okr::args::Format,
    value: &T,
    table: fn(&mut dyn Write, &T) -> std::io::Result<()>,
) -> anyhow::Result<std::process::ExitCode> {
    let mut out = std::io::stdout().lock();
    match format {
        crate::okr::args::Format::Json => {
            writeln!(out, "{}", serde_json::to_string_pretty(value)?)?
        }
        crate::okr::args::Format::Table => table(&mut out, value)?,
    }
    Ok(std::process::ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_rounds_half_even_for_display_only() {
        assert_eq!(
            display(&Value::Money("2.345".parse().unwrap()), Unit::Money),
            "2.34"
        );
        assert_eq!(
            display(&Value::Money("2.355".parse().unwrap()), Unit::Money),
            "2.36"
        );
        assert_eq!(
            display(&Value::Money("1234567.5".parse().unwrap()), Unit::Money),
            "1,234,567.50"
        );
        assert_eq!(
            display(&Value::Money("-1000".parse().unwrap()), Unit::Money),
            "-1,000.00"
        );
        assert_eq!(display(&Value::Number(12.345), Unit::Percent), "12.3%");
    }

    #[test]
    fn changes_are_points_for_rates() {
        assert_eq!(
            change(
                Some(&Value::Number(10.0)),
                Some(&Value::Number(12.5)),
                Unit::Percent
            ),
            "+2.5 pt"
        );
        assert_eq!(
            change(
                Some(&Value::Count(200)),
                Some(&Value::Count(150)),
                Unit::Count
            ),
            "-25.0%"
        );
        assert_eq!(change(None, Some(&Value::Count(1)), Unit::Count), "");
    }
}
