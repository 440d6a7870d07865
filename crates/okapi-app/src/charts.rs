//! Charts drawn on the server as inline SVG, shared by the pages and the
//! reports: a sparkline, a line chart with axes, a key result's progress
//! over its cycle (with the pace line and the forecast) and a funnel.
//!
//! Every chart is a self-contained `<svg>` with `role="img"` and an
//! `aria-label`, colours given as presentation attributes (no `style`
//! attribute, so a strict content security policy allows them) through
//! CSS classes the page's stylesheet may refine. Text that comes from users
//! is escaped. A chart with nothing to draw says so in words.

use std::fmt::Write as _;

use chrono::NaiveDate;

use crate::report_html::esc;

/// Blue for a series, grey for guides, green and red for good and bad.
const SERIES: &str = "#2f6fdb";
const GUIDE: &str = "#b6bfca";
const GOOD: &str = "#1a7f37";
const BAD: &str = "#cf222e";
const INK: &str = "#57606a";

/// The smallest and largest of the present values, widened when equal so
/// a flat series draws across the middle.
fn bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    if lo == hi {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return Some((lo - pad, hi + pad));
    }
    Some((lo, hi))
}

/// A small line of `values` (absent ones leave a gap), `w`×`h` pixels; the
/// last point is marked, green or red when `good` says whether its move
/// from the one before is good news.
pub fn sparkline(values: &[Option<f64>], good: Option<bool>, label: &str) -> String {
    const W: f64 = 120.0;
    const H: f64 = 32.0;
    const PAD: f64 = 3.0;
    let mut svg = format!(
        "<svg class=\"spark\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">",
        esc(label)
    );
    let Some((lo, hi)) = bounds(values.iter().flatten().copied()) else {
        svg.push_str("</svg>");
        return svg;
    };
    let n = values.len().max(2) - 1;
    let x = |i: usize| PAD + i as f64 / n as f64 * (W - 2.0 * PAD);
    let y = |v: f64| H - PAD - (v - lo) / (hi - lo) * (H - 2.0 * PAD);
    for run in runs(values) {
        let points: Vec<String> = run
            .iter()
            .map(|(i, v)| format!("{:.1},{:.1}", x(*i), y(*v)))
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{SERIES}\" stroke-width=\"1.5\" points=\"{}\"/>",
            points.join(" ")
        );
    }
    if let Some((i, v)) = values
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, v)| v.map(|v| (i, v)))
    {
        let colour = match good {
            Some(true) => GOOD,
            Some(false) => BAD,
            None => SERIES,
        };
        let _ = write!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{colour}\"/>",
            x(i),
            y(v)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The runs of consecutive present values, with their positions.
fn runs(values: &[Option<f64>]) -> Vec<Vec<(usize, f64)>> {
    let mut out: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) if v.is_finite() => current.push((i, *v)),
            _ => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A line chart of a series by period: a horizontal guide and label at
/// the lowest, middle and highest value, the first, middle and last
/// period named below, a dot per value with its period and value as a
/// tooltip. `show` writes a value as people read it (with its unit).
pub fn line(
    points: &[(NaiveDate, Option<f64>)],
    show: &dyn Fn(f64) -> String,
    label: &str,
) -> String {
    const W: f64 = 720.0;
    const H: f64 = 240.0;
    const LEFT: f64 = 84.0;
    const RIGHT: f64 = 12.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 28.0;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" aria-label=\"{}\">",
        esc(label)
    );
    let values: Vec<Option<f64>> = points.iter().map(|(_, v)| *v).collect();
    let Some((lo, hi)) = bounds(values.iter().flatten().copied()) else {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{INK}\">No values yet</text></svg>",
            W / 2.0,
            H / 2.0
        );
        return svg;
    };
    let n = points.len().max(2) - 1;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = |i: usize| LEFT + i as f64 / n as f64 * plot_w;
    let y = |v: f64| TOP + plot_h - (v - lo) / (hi - lo) * plot_h;
    for v in [lo, (lo + hi) / 2.0, hi] {
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{GUIDE}\" stroke-width=\"0.5\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\" fill=\"{INK}\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y(v) + 4.0,
            esc(&show(v)),
            y = y(v),
        );
    }
    let last = points.len().saturating_sub(1);
    let mut named: Vec<usize> = vec![0, last / 2, last];
    named.dedup();
    for i in named {
        if let Some((d, _)) = points.get(i) {
            let anchor = if i == 0 {
                "start"
            } else if i == last {
                "end"
            } else {
                "middle"
            };
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"{anchor}\" font-size=\"11\" fill=\"{INK}\">{d}</text>",
                x(i),
                H - 8.0
            );
        }
    }
    for run in runs(&values) {
        let pts: Vec<String> = run
            .iter()
            .map(|(i, v)| format!("{:.1},{:.1}", x(*i), y(*v)))
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{SERIES}\" stroke-width=\"2\" points=\"{}\"/>",
            pts.join(" ")
        );
    }
    for (i, (d, v)) in points.iter().enumerate() {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{SERIES}\"><title>{d}: {}</title></circle>",
                x(i),
                y(v),
                esc(&show(v))
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A key result's score (0 to 1) after each check-in across its cycle,
/// `start` to `end` inclusive: the expected pace as a dashed diagonal,
/// the scores as a line, and, when given, the forecast score at the end as
/// a dotted line from the last check-in. `width`×`height` pixels.
pub fn progress(
    trend: &[(NaiveDate, f64)],
    start: NaiveDate,
    end: NaiveDate,
    forecast: Option<f64>,
    size: (f64, f64),
    label: &str,
) -> String {
    let (w, h) = size;
    let days = okapi_core::pace::cycle_days(start, end) as f64;
    let x = |d: NaiveDate| ((d - start).num_days() as f64 / days).clamp(0.0, 1.0) * w;
    let y = |s: f64| h - s.clamp(0.0, 1.0) * h;
    let mut svg = format!(
        "<svg class=\"progress\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\"><line x1=\"0\" y1=\"{h}\" x2=\"{w}\" y2=\"0\" stroke=\"{GUIDE}\" stroke-dasharray=\"3 3\"><title>expected pace</title></line>",
        esc(label)
    );
    let points: Vec<(f64, f64)> = trend.iter().map(|(d, s)| (x(*d), y(*s))).collect();
    if points.len() > 1 {
        let text: Vec<String> = points
            .iter()
            .map(|(px, py)| format!("{px:.1},{py:.1}"))
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{SERIES}\" stroke-width=\"2\" points=\"{}\"/>",
            text.join(" ")
        );
    }
    if let (Some(f), Some((px, py))) = (forecast, points.last()) {
        let _ = write!(
            svg,
            "<line x1=\"{px:.1}\" y1=\"{py:.1}\" x2=\"{w:.1}\" y2=\"{:.1}\" stroke=\"{SERIES}\" stroke-dasharray=\"1 3\" stroke-width=\"2\"><title>forecast {f:.2}</title></line>",
            y(f)
        );
    }
    for ((px, py), (d, s)) in points.iter().zip(trend) {
        let _ = write!(
            svg,
            "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"2.5\" fill=\"{SERIES}\"><title>{d}: {s:.2}</title></circle>"
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A funnel: one bar per stage, its width the stage's value against the
/// largest, the value and the conversion from the stage before written
/// beside it. `show` writes a value as people read it.
pub fn funnel(stages: &[(String, Option<f64>)], show: &dyn Fn(f64) -> String) -> String {
    const W: f64 = 720.0;
    const ROW: f64 = 44.0;
    const LABEL: f64 = 200.0;
    let h = ROW * stages.len().max(1) as f64;
    let mut svg = format!(
        "<svg class=\"funnel\" viewBox=\"0 0 {W} {h}\" width=\"100%\" role=\"img\" aria-label=\"funnel\">"
    );
    let top = stages
        .iter()
        .filter_map(|(_, v)| *v)
        .fold(0.0_f64, f64::max);
    let mut before: Option<f64> = None;
    for (i, (name, v)) in stages.iter().enumerate() {
        let y = i as f64 * ROW;
        let share = match v {
            Some(v) if top > 0.0 => (v / top).clamp(0.0, 1.0),
            _ => 0.0,
        };
        let bar = (W - LABEL - 230.0) * share;
        let offset = LABEL + (W - LABEL - 230.0 - bar) / 2.0;
        let conversion = match (before, v) {
            (Some(b), Some(v)) if b > 0.0 => {
                format!(" · {:.1}% converted", v / b * 100.0)
            }
            _ => String::new(),
        };
        let value = v.map_or("—".to_string(), show);
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"13\" fill=\"#1f2328\">{}</text><rect x=\"{offset:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" rx=\"3\" fill=\"{SERIES}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"{INK}\">{}{}</text>",
            y + ROW / 2.0 + 4.0,
            esc(name),
            y + 6.0,
            ROW - 12.0,
            W - 222.0,
            y + ROW / 2.0 + 4.0,
            esc(&value),
            esc(&conversion),
        );
        before = *v;
    }
    svg.push_str("</svg>");
    svg
}

/// A horizontal bar filled to `share` (0 to 1), in the class of its
/// grade (`red`, `yellow`, `green`), with a tick at `mark` when given (the
/// expected progress today).
pub fn bar(share: f64, grade: &str, mark: Option<f64>, label: &str) -> String {
    const W: f64 = 120.0;
    const H: f64 = 10.0;
    let fill = match grade {
        "green" => GOOD,
        "red" => BAD,
        "yellow" => "#bf8700",
        _ => SERIES,
    };
    let mut svg = format!(
        "<svg class=\"bar\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\"><rect width=\"{W}\" height=\"{H}\" rx=\"5\" fill=\"#eaeef2\"/><rect width=\"{:.1}\" height=\"{H}\" rx=\"5\" fill=\"{fill}\"/>",
        esc(label),
        share.clamp(0.0, 1.0) * W
    );
    if let Some(m) = mark {
        let mx = m.clamp(0.0, 1.0) * W;
        let _ = write!(
            svg,
            "<line x1=\"{mx:.1}\" x2=\"{mx:.1}\" y1=\"0\" y2=\"{H}\" stroke=\"#1f2328\" stroke-width=\"1.5\"/>"
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A waterfall: the first step a bar from the axis (where a bridge
/// starts), then each step up (green) or down (red) from where the one
/// before ended, then the last a bar from the axis again (where it ends).
/// Each step is (label, amount); `show` writes an amount as people read
/// it. The axis starts at zero unless the movements are small next to
/// the levels: then it starts below the lowest level by half the levels'
/// range (and says where), so that the movements can be seen.
pub fn waterfall(steps: &[(String, f64)], show: &dyn Fn(f64) -> String, label: &str) -> String {
    const W: f64 = 720.0;
    const H: f64 = 260.0;
    const TOP: f64 = 24.0;
    const BOTTOM: f64 = 40.0;
    let mut svg = format!(
        "<svg class=\"chart waterfall\" viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" aria-label=\"{}\">",
        esc(label)
    );
    let n = steps.len();
    if n < 2 {
        svg.push_str("</svg>");
        return svg;
    }
    // Where each bar runs from and to.
    let mut level = 0.0;
    let mut bars: Vec<(f64, f64)> = Vec::with_capacity(n);
    for (i, (_, amount)) in steps.iter().enumerate() {
        if i == 0 || i == n - 1 {
            bars.push((0.0, *amount));
            level = *amount;
        } else {
            bars.push((level, level + amount));
            level += amount;
        }
    }
    // The levels the bridge passes through, and where the axis starts.
    let levels: Vec<f64> = bars.iter().map(|(_, to)| *to).collect();
    let top_level = levels.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let low_level = levels.iter().copied().fold(f64::INFINITY, f64::min);
    let floor = if low_level > 0.0 {
        (low_level - (top_level - low_level).max(low_level * 0.02) * 0.5).max(0.0)
    } else {
        0.0
    };
    let bars: Vec<(f64, f64)> = bars
        .into_iter()
        .enumerate()
        .map(|(i, (from, to))| {
            if i == 0 || i == n - 1 {
                (floor, to)
            } else {
                (from, to)
            }
        })
        .collect();
    let hi = bars.iter().map(|(a, b)| a.max(*b)).fold(floor, f64::max);
    let lo = bars.iter().map(|(a, b)| a.min(*b)).fold(floor, f64::min);
    let span = if hi > lo { hi - lo } else { 1.0 };
    if floor > 0.0 {
        let _ = write!(
            svg,
            "<text x=\"{W}\" y=\"12\" text-anchor=\"end\" font-size=\"11\" fill=\"{INK}\">axis from {}</text>",
            esc(&show(floor))
        );
    }
    let plot_h = H - TOP - BOTTOM;
    let y = |v: f64| TOP + (hi - v) / span * plot_h;
    let slot = W / n as f64;
    let width = slot * 0.6;
    for (i, ((name, amount), (from, to))) in steps.iter().zip(&bars).enumerate() {
        let x = i as f64 * slot + (slot - width) / 2.0;
        let (top, bottom) = (y(from.max(*to)), y(from.min(*to)));
        let colour = if i == 0 || i == n - 1 {
            SERIES
        } else if *amount >= 0.0 {
            GOOD
        } else {
            BAD
        };
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{width:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}: {}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#1f2328\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{INK}\">{}</text>",
            (bottom - top).max(1.0),
            esc(name),
            esc(&show(*amount)),
            x + width / 2.0,
            top - 6.0,
            esc(&show(*amount)),
            x + width / 2.0,
            H - 14.0,
            esc(name),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A heatmap of shares (0 to 1) by row and column: one cell per value,
/// darker for more, the share written in it; `None` leaves the cell empty.
pub fn heatmap(rows: &[(String, Vec<Option<f64>>)], label: &str) -> String {
    const CELL_W: f64 = 44.0;
    const CELL_H: f64 = 22.0;
    const LEFT: f64 = 90.0;
    let cols = rows.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    let w = LEFT + CELL_W * cols as f64;
    let h = CELL_H * (rows.len() as f64 + 1.0);
    let mut svg = format!(
        "<svg class=\"chart heatmap\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" role=\"img\" aria-label=\"{}\">",
        esc(label)
    );
    for c in 0..cols {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"15\" text-anchor=\"middle\" font-size=\"11\" fill=\"{INK}\">+{c}</text>",
            LEFT + CELL_W * c as f64 + CELL_W / 2.0
        );
    }
    for (r, (name, values)) in rows.iter().enumerate() {
        let top = CELL_H * (r as f64 + 1.0);
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"11\" fill=\"#1f2328\">{}</text>",
            top + 15.0,
            esc(name)
        );
        for (c, v) in values.iter().enumerate() {
            let Some(v) = v.filter(|v| v.is_finite()) else {
                continue;
            };
            let share = v.clamp(0.0, 1.0);
            // From a pale blue to the series blue.
            let light = 95.0 - share * 45.0;
            let ink = if share > 0.55 { "#ffffff" } else { "#1f2328" };
            let x = LEFT + CELL_W * c as f64;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"hsl(217,70%,{light:.0}%)\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"{ink}\">{:.0}%</text>",
                CELL_W - 2.0,
                CELL_H - 2.0,
                x + CELL_W / 2.0 - 1.0,
                top + 14.0,
                share * 100.0
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Colours of the phases of a timeline, in order (they repeat past six).
const PHASES: [&str; 6] = [
    "#2f6fdb", "#8250df", "#bf8700", "#1a7f37", "#cf222e", "#57606a",
];

/// Onboarding timelines: one horizontal bar per row, made of its phases
/// end to end, each as long as its days (on one scale for every row), in
/// the colour of its phase as the legend names it. A row is (label,
/// [(phase, days)]); `phases` names every phase in the legend's order.
pub fn timelines(rows: &[(String, Vec<(String, f64)>)], phases: &[String], label: &str) -> String {
    const W: f64 = 720.0;
    const LEFT: f64 = 90.0;
    const RIGHT: f64 = 70.0;
    const ROW: f64 = 22.0;
    const LINE: f64 = 18.0;
    // The legend, wrapped onto as many lines as it needs.
    let mut legend = Vec::with_capacity(phases.len());
    let (mut x, mut line) = (0.0, 0.0);
    for p in phases {
        let width = 14.0 + 7.0 * p.chars().count() as f64 + 16.0;
        if x > 0.0 && x + width > W {
            x = 0.0;
            line += 1.0;
        }
        legend.push((p, x, line * LINE));
        x += width;
    }
    let legend_h = (line + 1.0) * LINE + 8.0;
    let h = legend_h + ROW * rows.len() as f64;
    let mut svg = format!(
        "<svg class=\"chart timelines\" viewBox=\"0 0 {W} {h}\" width=\"100%\" role=\"img\" aria-label=\"{}\">",
        esc(label)
    );
    let colour = |phase: &str| {
        let i = phases.iter().position(|p| p == phase).unwrap_or(0);
        PHASES.get(i % PHASES.len()).copied().unwrap_or(SERIES)
    };
    for (p, x, y) in legend {
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"{INK}\">{}</text>",
            y + 4.0,
            colour(p),
            x + 14.0,
            y + 13.0,
            esc(p)
        );
    }
    let longest = rows
        .iter()
        .map(|(_, steps)| steps.iter().map(|(_, d)| d.max(0.0)).sum::<f64>())
        .fold(0.0_f64, f64::max);
    let scale = if longest > 0.0 {
        (W - LEFT - RIGHT) / longest
    } else {
        0.0
    };
    for (r, (name, steps)) in rows.iter().enumerate() {
        let y = legend_h + ROW * r as f64;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"11\" fill=\"#1f2328\">{}</text>",
            y + 14.0,
            esc(name)
        );
        let mut at = LEFT;
        for (phase, days) in steps {
            let w = days.max(0.0) * scale;
            let _ = write!(
                svg,
                "<rect x=\"{at:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {days:.1} days</title></rect>",
                y + 3.0,
                ROW - 6.0,
                colour(phase),
                esc(phase)
            );
            at += w;
        }
        let total: f64 = steps.iter().map(|(_, d)| d.max(0.0)).sum();
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"{INK}\">{total:.1} d</text>",
            at + 6.0,
            y + 14.0
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_sparkline_spans_its_box_and_marks_the_last_value() {
        let svg = sparkline(&[Some(1.0), Some(3.0), None, Some(2.0)], Some(false), "mrr");
        // Two runs: (1, 3) then (2) alone, drawn as one polyline of two
        // points and one of a single point.
        assert_eq!(svg.matches("<polyline").count(), 2);
        // The lowest value sits on the bottom padding (32 - 3 = 29), the
        // highest on the top one (3); the last (2.0) halfway: 16.0.
        assert!(svg.contains("3.0,29.0 41.0,3.0"), "{svg}");
        assert!(svg.contains(&format!(
            "cx=\"117.0\" cy=\"16.0\" r=\"2.5\" fill=\"{BAD}\""
        )));
    }

    #[test]
    fn a_line_chart_without_values_says_so() {
        let svg = line(&[(d("2024-01-01"), None)], &|v| v.to_string(), "x");
        assert!(svg.contains("No values yet"));
    }

    #[test]
    fn progress_puts_the_pace_diagonal_and_the_forecast_at_the_end() {
        // A 10-day cycle drawn 100 wide: day 5 is x = 50; a score of 0.5
        // is y = 20 of 40; the forecast 0.8 ends at (100, 8).
        let svg = progress(
            &[(d("2024-01-01"), 0.0), (d("2024-01-06"), 0.5)],
            d("2024-01-01"),
            d("2024-01-10"),
            Some(0.8),
            (100.0, 40.0),
            "kr",
        );
        assert!(svg.contains("points=\"0.0,40.0 50.0,20.0\""), "{svg}");
        assert!(
            svg.contains("x1=\"50.0\" y1=\"20.0\" x2=\"100.0\" y2=\"8.0\""),
            "{svg}"
        );
    }

    #[test]
    fn a_funnel_gives_each_stage_its_conversion_from_the_one_before() {
        let svg = funnel(
            &[
                ("Visitors".into(), Some(1000.0)),
                ("Sign-ups".into(), Some(50.0)),
            ],
            &|v| format!("{v}"),
        );
        assert!(svg.contains("50 · 5.0% converted"), "{svg}");
        assert!(!svg.contains("1000 ·"));
    }

    #[test]
    fn a_waterfall_steps_from_where_the_last_bar_ended() {
        // 100 at the start, +50, -30, 120 at the end: the levels run from
        // 100 to 150, so the axis starts half that range below, at 75, and
        // 75 to 150 is plotted over 196 px (260 - 24 - 40): 150 at y 24,
        // 100 at 154.7, 120 at 102.4.
        let svg = waterfall(
            &[
                ("start".into(), 100.0),
                ("new".into(), 50.0),
                ("churn".into(), -30.0),
                ("end".into(), 120.0),
            ],
            &|v| format!("{v}"),
            "bridge",
        );
        assert!(svg.contains("axis from 75"), "{svg}");
        assert!(
            svg.contains(&format!(
                "y=\"24.0\" width=\"108.0\" height=\"130.7\" fill=\"{GOOD}\""
            )),
            "{svg}"
        );
        assert!(
            svg.contains(&format!(
                "y=\"24.0\" width=\"108.0\" height=\"78.4\" fill=\"{BAD}\""
            )),
            "{svg}"
        );
        // From nothing: the axis is zero. 0, +50, -30, 20: 50 at y 24, 0
        // at 220, 20 at 141.6.
        let svg = waterfall(
            &[
                ("start".into(), 0.0),
                ("new".into(), 50.0),
                ("churn".into(), -30.0),
                ("end".into(), 20.0),
            ],
            &|v| format!("{v}"),
            "bridge",
        );
        assert!(!svg.contains("axis from"));
        assert!(
            svg.contains(&format!(
                "y=\"24.0\" width=\"108.0\" height=\"196.0\" fill=\"{GOOD}\""
            )),
            "{svg}"
        );
        assert!(
            svg.contains(&format!(
                "y=\"24.0\" width=\"108.0\" height=\"117.6\" fill=\"{BAD}\""
            )),
            "{svg}"
        );
    }

    #[test]
    fn a_heatmap_writes_each_share_and_leaves_unknown_cells_empty() {
        let svg = heatmap(
            &[("2024-01".into(), vec![Some(1.0), Some(0.25), None])],
            "cohorts",
        );
        assert!(svg.contains(">100%<") && svg.contains(">25%<"));
        assert_eq!(svg.matches("<rect").count(), 2);
    }

    #[test]
    fn timelines_lay_phases_end_to_end_on_one_scale() {
        // The longest row, 10 days, spans the 560 px between the labels
        // and the totals (720 - 90 - 70): 56 px a day. The second row's
        // 2-day phase is 112 px wide and starts at 90.
        let phases = vec!["signed → live".to_string(), "live → value".to_string()];
        let svg = timelines(
            &[
                (
                    "a1".into(),
                    vec![(phases[0].clone(), 4.0), (phases[1].clone(), 6.0)],
                ),
                ("a2".into(), vec![(phases[0].clone(), 2.0)]),
            ],
            &phases,
            "onboarding",
        );
        assert!(
            svg.contains("x=\"90.0\" y=\"29.0\" width=\"224.0\""),
            "{svg}"
        );
        assert!(
            svg.contains("x=\"314.0\" y=\"29.0\" width=\"336.0\""),
            "{svg}"
        );
        assert!(
            svg.contains("x=\"90.0\" y=\"51.0\" width=\"112.0\""),
            "{svg}"
        );
        assert!(svg.contains(">10.0 d<") && svg.contains(">2.0 d<"));
    }

    #[test]
    fn user_text_is_escaped() {
        let svg = sparkline(&[], None, "<script>");
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
    }
}
