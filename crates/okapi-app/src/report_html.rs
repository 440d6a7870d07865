//! The cycle's OKR report as one self-contained HTML page: no script, no
//! external file, styles for screen and print (a browser prints it to PDF),
//! and a progress chart per key result drawn in inline SVG. Every text that
//! comes from users is escaped.

use std::fmt::Write as _;

use chrono::NaiveDate;
use okapi_core::okr::CycleState;
use okapi_core::scoring::Grade;
use okapi_store::Workspace;

use crate::status::{CycleStatus, KrStatus, level_text};

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;max-width:60rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin:2rem 0 .3rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
.meta{color:#57606a;margin:0}blockquote{margin:1rem 0;padding:.2rem 1rem;border-left:4px solid #d0d7de;color:#3d444d}
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{text-align:left;padding:.3rem .45rem;border-bottom:1px solid #eaeef2;vertical-align:middle}
th{font-weight:600;color:#57606a;font-size:.85rem}td.n{text-align:right;font-variant-numeric:tabular-nums}
.grade{display:inline-block;min-width:3.2rem;text-align:center;border-radius:1rem;padding:0 .5rem;font-weight:600}
.red{background:#ffebe9;color:#a40e26}.yellow{background:#fff8c5;color:#7d4e00}.green{background:#dafbe1;color:#116329}
.risk{color:#a40e26;font-weight:600}.note{color:#57606a;font-size:.9rem;margin:.2rem 0}
svg{display:block}td svg{max-width:100%;height:auto}
@media print{body{margin:0;max-width:none}section{break-inside:avoid}}
";

fn grade(g: Option<Grade>, score: Option<f64>) -> String {
    match (g, score) {
        (Some(g), Some(s)) => format!("<span class=\"grade {}\">{s:.2}</span>", g.as_str()),
        _ => "<span class=\"grade\">—</span>".into(),
    }
}

fn measure(v: Option<f64>, unit: Option<&str>) -> String {
    esc(&okapi_core::units::with_unit_or_dash(v, unit))
}

/// The score after each check-in against the cycle's days, with the
/// expected progress as a dashed diagonal ([`crate::charts::progress`]).
fn chart(k: &KrStatus, start: NaiveDate, end: NaiveDate) -> String {
    crate::charts::progress(
        &k.trend,
        start,
        end,
        None,
        (160.0, 36.0),
        &format!("progress of {}", k.key),
    )
}

/// The page.
pub fn report(w: &Workspace, st: &CycleStatus, past: &[crate::calibration::TeamCycle]) -> String {
    let c = &st.cycle;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>OKR report — {} — {}</title><style>{STYLE}</style></head><body>\n",
        esc(&c.name),
        esc(&w.name)
    );
    let _ = write!(
        h,
        "<header><h1>OKR report — {}</h1><p class=\"meta\">{} · {} … {} · {} · {:.0}% of the cycle elapsed on {}</p>",
        esc(&c.name),
        esc(&w.name),
        c.start,
        c.end,
        c.state,
        st.expected * 100.0,
        st.on
    );
    if let Some(v) = &w.vision {
        let _ = write!(h, "<blockquote>{}</blockquote>", esc(v));
    }
    h.push_str("</header>\n<section><h2>Summary</h2><table><thead><tr><th>Objective</th><th>Level</th><th>Score</th><th>Status</th></tr></thead><tbody>\n");
    for o in &st.objectives {
        let status = if o.flagged {
            "<span class=\"risk\">committed, below 1.0</span>"
        } else if o.at_risk {
            "<span class=\"risk\">at risk</span>"
        } else if c.state == CycleState::Closed {
            "closed"
        } else {
            "on track"
        };
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#{}\">{}</a> {}</td><td>{}</td><td>{}</td><td>{status}</td></tr>",
            esc(&o.key),
            esc(&o.key),
            esc(&o.title),
            esc(&level_text(o)),
            grade(o.grade, o.score)
        );
    }
    h.push_str("</tbody></table></section>\n");
    for o in &st.objectives {
        let _ = write!(
            h,
            "<section id=\"{}\"><h2>{} {} {}</h2><p class=\"meta\">{}, {}, {}</p>",
            esc(&o.key),
            esc(&o.key),
            esc(&o.title),
            grade(o.grade, o.score),
            esc(&level_text(o)),
            if o.committed {
                "committed"
            } else {
                "aspirational"
            },
            o.state
        );
        if let Some(why) = &o.why {
            let _ = write!(h, "<p>{}</p>", esc(why));
        }
        if o.krs.is_empty() {
            h.push_str("<p class=\"note\">No key results.</p></section>\n");
            continue;
        }
        h.push_str("<table><thead><tr><th>Key result</th><th>Baseline</th><th>Current</th><th>Target</th><th>Score</th><th>Expected</th><th>Forecast</th><th>Confidence</th><th>Progress</th></tr></thead><tbody>\n");
        for k in &o.krs {
            let _ = writeln!(
                h,
                "<tr><td>{} {}{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{:.2}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&k.key),
                esc(&k.title),
                if k.at_risk {
                    " <span class=\"risk\">at risk</span>"
                } else {
                    ""
                },
                measure(k.baseline, k.unit.as_deref()),
                measure(k.current, k.unit.as_deref()),
                measure(k.target, k.unit.as_deref()),
                grade(Some(k.grade), Some(k.score)),
                k.expected,
                k.forecast.map_or("—".into(), |f| format!("{f:.2}")),
                k.confidence.map_or("—", |c| c.as_str()),
                chart(k, c.start, c.end)
            );
        }
        h.push_str("</tbody></table>");
        for k in &o.krs {
            if let Some(n) = &k.last_note {
                let _ = write!(
                    h,
                    "<p class=\"note\">{} last check-in ({}): {}</p>",
                    esc(&k.key),
                    k.last_checkin
                        .map(|t| t.date_naive().to_string())
                        .unwrap_or_default(),
                    esc(n)
                );
            }
            if let Some(r) = &k.reflection {
                let _ = write!(
                    h,
                    "<p class=\"note\">{} reflection: {}</p>",
                    esc(&k.key),
                    esc(r)
                );
            }
        }
        h.push_str("</section>\n");
    }
    h.push_str("<section id=\"calibration\"><h2>Calibration against past cycles</h2>");
    if past.is_empty() {
        h.push_str("<p class=\"note\">No closed cycle yet: the calibration starts after the first one closes.</p>");
    } else {
        h.push_str("<table><thead><tr><th>Cycle</th><th>Team</th><th>Key results</th><th>Mean score</th><th>Green / yellow / red</th><th>Verdict</th></tr></thead><tbody>");
        for t in past {
            let _ = write!(
                h,
                "<tr><td>{}{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.2}</td><td class=\"n\">{} / {} / {}</td><td>{}</td></tr>",
                esc(&t.cycle),
                if t.cycle == c.key { " (this one)" } else { "" },
                esc(&t.team),
                t.key_results,
                t.mean_score,
                t.green,
                t.yellow,
                t.red,
                esc(t.verdict)
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>\n</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn user_text_cannot_open_a_tag() {
        assert_eq!(
            esc("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }
}
