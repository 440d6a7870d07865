//! Findings kept across refreshes: every refresh records what
//! [`crate::insights`] finds, by each finding's stable id, so that a
//! finding found again keeps the time it was first seen and its
//! acknowledgement; a finding not found again stays in the list, no longer
//! current. `okapi insights` and the pages show the state next to each
//! finding ([`annotate`]); `okapi insights ack` and the API acknowledge
//! one (who, when, a note).

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use okapi_store::{Acknowledgement, NewFinding, StoredFinding};
use serde::Serialize;

use crate::error::AppError;
use crate::insights::{Insights, Seen};
use crate::workspace::Workspace;

/// The longest note an acknowledgement may carry, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

/// What recording a run found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordedFindings {
    pub ran_at: DateTime<Utc>,
    /// Findings found by this run.
    pub current: u64,
    /// Those no run had found before.
    pub new: Vec<StoredFinding>,
}

/// The findings of a workspace.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FindingList {
    /// The last run; `None` before the first refresh.
    pub ran_at: Option<DateTime<Utc>>,
    /// The current ones (all with `all`), the most recently seen first.
    pub findings: Vec<StoredFinding>,
}

/// Every finding of `ins` as stored: kind, subject, period and text.
pub fn flatten(ins: &Insights) -> Vec<NewFinding> {
    let mut out = Vec::new();
    let mut push =
        |id: &str, kind: &str, subject: &str, period: Option<NaiveDate>, good, sentence: &str| {
            out.push(NewFinding {
                id: id.to_string(),
                kind: kind.to_string(),
                subject: subject.to_string(),
                period,
                good,
                sentence: sentence.to_string(),
            })
        };
    for a in &ins.anomalies {
        push(
            &a.id,
            "anomaly",
            &a.kpi,
            Some(a.period),
            a.good,
            &a.sentence,
        );
    }
    for d in &ins.dissonances {
        let subject = format!("{}>{}", d.first, d.next);
        push(
            &d.id,
            "dissonance",
            &subject,
            Some(d.period),
            false,
            &d.sentence,
        );
    }
    for r in &ins.okr_risks {
        push(&r.id, r.kind.as_str(), &r.key, None, false, &r.sentence);
    }
    for c in &ins.customer_risks {
        push(&c.id, c.kind.as_str(), &c.account, None, false, &c.sentence);
    }
    if let Some(p) = &ins.slow_phase {
        let subject = format!("{}>{}", p.from, p.to);
        push(&p.id, "slow_phase", &subject, None, false, &p.sentence);
    }
    out
}

/// Sets `seen` on every finding of `ins` the store knows.
pub async fn annotate(ws: &Workspace, ins: &mut Insights) -> Result<(), AppError> {
    let mut s = ws.read_session().await?;
    let stored = s.findings(false).await?;
    s.commit().await?;
    if stored.is_empty() {
        return Ok(());
    }
    let by_id: std::collections::HashMap<&str, &StoredFinding> =
        stored.iter().map(|f| (f.id.as_str(), f)).collect();
    let seen = |id: &str| {
        by_id.get(id).map(|f| Seen {
            first_seen: f.first_seen,
            last_seen: f.last_seen,
            acknowledged: f.acknowledged.clone(),
        })
    };
    for a in &mut ins.anomalies {
        a.seen = seen(&a.id);
    }
    for d in &mut ins.dissonances {
        d.seen = seen(&d.id);
    }
    for r in &mut ins.okr_risks {
        r.seen = seen(&r.id);
    }
    for c in &mut ins.customer_risks {
        c.seen = seen(&c.id);
    }
    if let Some(p) = &mut ins.slow_phase {
        p.seen = seen(&p.id);
    }
    Ok(())
}

/// Finds the insights on `today` and records them as the run of `at`.
/// A refresh calls it after storing its values.
pub async fn record(
    ws: &Workspace,
    today: NaiveDate,
    at: DateTime<Utc>,
) -> Result<(Insights, RecordedFindings), AppError> {
    let started = std::time::Instant::now();
    let ins = crate::insights::insights(ws, today).await?;
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "findings: insights found"
    );
    let found = flatten(&ins);
    let at = at.trunc_subsecs(0);
    let mut s = ws.session().await?;
    let new_ids = s.record_findings(&found, at).await?;
    let mut new = Vec::new();
    for id in &new_ids {
        if let Some(f) = s.finding(id).await? {
            new.push(f);
        }
    }
    s.commit().await?;
    let current = found
        .iter()
        .map(|f| f.id.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len() as u64;
    Ok((
        ins,
        RecordedFindings {
            ran_at: at,
            current,
            new,
        },
    ))
}

/// The current findings, or every finding ever recorded with `all`.
pub async fn list(ws: &Workspace, all: bool) -> Result<FindingList, AppError> {
    let mut s = ws.read_session().await?;
    let ran_at = s.findings_run().await?;
    let findings = s.findings(!all).await?;
    s.commit().await?;
    Ok(FindingList { ran_at, findings })
}

/// Acknowledges the finding `id` as `principal` (one who may change
/// things: an admin, an editor or a writing token), with an optional note.
pub async fn acknowledge_as(
    ws: &Workspace,
    principal: &crate::tokens::Principal,
    id: &str,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<StoredFinding, AppError> {
    principal.require_write()?;
    acknowledge(ws, id, &principal.name, note, now).await
}

/// Acknowledges the finding `id` as `by`, with an optional note.
pub async fn acknowledge(
    ws: &Workspace,
    id: &str,
    by: &str,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<StoredFinding, AppError> {
    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if let Some(n) = &note
        && n.chars().count() > MAX_NOTE_CHARS
    {
        return Err(AppError::input(
            "note",
            format!("at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    let mut s = ws.session().await?;
    let f = s
        .acknowledge_finding(
            id,
            &Acknowledgement {
                by: by.to_string(),
                at: now.trunc_subsecs(0),
                note,
            },
        )
        .await?;
    s.commit().await?;
    Ok(f)
}
