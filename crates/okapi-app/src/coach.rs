//! The review coach over stored objectives or a draft OKR file: the
//! rules of `okapi_core::review`, with the context the data gives (the
//! cycle's length, the measured sales cycle).

use std::path::Path;

use okapi_core::okr::KrKind;
use okapi_core::period::Grain;
use okapi_core::review::{DraftKr, DraftObjective, Finding, ReviewContext, review as run_rules};
use okapi_store::{KeyResult, Objective};
use serde::Serialize;

use crate::cycles::dates_from_key;
use crate::error::AppError;
use crate::kpi_reader::KpiReader;
use crate::objectives::default_level;
use crate::okr_file;
use crate::okr_views::pick_cycle;
use crate::workspace::Workspace;

fn draft_of(o: &Objective, krs: &[KeyResult]) -> DraftObjective {
    DraftObjective {
        id: o.key.clone(),
        title: o.title.clone(),
        level: o.level,
        krs: krs
            .iter()
            .filter(|k| k.objective == o.key)
            .map(|k| DraftKr {
                id: k.key.clone(),
                title: k.title.clone(),
                milestone: k.kind == KrKind::Milestone,
                unit: k.unit.clone(),
                target: k.target,
                has_due_date: true,
                why: k.why.clone(),
                kpi: k.kpi.clone(),
                funnel: k.funnel,
                leading: k.leading,
                maturity: k.maturity,
                team: o.team.clone(),
            })
            .collect(),
    }
}

/// The measured sales cycle: `sales_cycle_length` of the latest quarter
/// with deals won, or `None` without deal data. Read from the stored
/// values when a refresh stored them, else from the data.
async fn measured_sales_cycle(ws: &Workspace) -> Option<(f64, String)> {
    if let Ok(stored) = crate::stored::series(ws, "sales_cycle_length", Grain::Quarter, "").await
        && !stored.is_empty()
    {
        return stored.iter().rev().find_map(|v| {
            let value = v.value.as_deref()?.parse::<f64>().ok()?;
            Some((value, format!("quarter of {}", v.period_start)))
        });
    }
    let mut reader = KpiReader::new(&ws.settings, ws.data_location().ok()?);
    let h = reader
        .history("sales_cycle_length", None, Grain::Quarter)
        .ok()?;
    h.last()
        .map(|r| (r.value, format!("quarter of {}", r.period.start)))
}

/// The coach's findings on a cycle's objectives or a draft file.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    /// `cycle 2027-Q1`, or the draft file's path.
    pub scope: String,
    #[serde(skip)]
    pub objectives: usize,
    pub cycle_days: Option<i64>,
    /// The measured sales cycle the `sales-cycle` rule compares with.
    pub sales_cycle_days: Option<f64>,
    pub sales_cycle_measured_on: Option<String>,
    pub findings: Vec<Finding>,
}

/// Reviews the draft file `draft` as written (nothing stored), else the
/// objectives of `cycle` (default: the active cycle, else the latest).
pub async fn review(
    ws: &Workspace,
    cycle: Option<String>,
    draft: Option<&Path>,
) -> Result<Review, AppError> {
    let (scope, drafts, cycle_days) = match draft {
        Some(path) => {
            // A draft file: reviewed as written, nothing stored.
            let text = tokio::fs::read_to_string(path)
                .await
                .map_err(|source| AppError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
            let f = okr_file::parse(path, &text)?;
            let mut drafts = Vec::new();
            let mut days = None;
            for o in &f.objectives {
                let level = match o.level.as_deref() {
                    Some(l) => l.parse().map_err(|e: String| {
                        AppError::Invalid(format!("{}: {e}", path.display()))
                    })?,
                    None => {
                        default_level(o.team.as_deref(), o.owner.as_deref(), o.parent.as_deref())
                    }
                };
                if days.is_none() {
                    days = f
                        .cycles
                        .iter()
                        .find(|c| c.key.get_ref() == &o.cycle)
                        .and_then(|c| dates_from_key(c.key.get_ref()))
                        .or_else(|| dates_from_key(&o.cycle))
                        .map(|(s, e)| (e - s).num_days() + 1);
                }
                drafts.push(DraftObjective {
                    id: o.key.get_ref().clone(),
                    title: o.title.clone(),
                    level,
                    krs: o
                        .krs
                        .iter()
                        .map(|k| DraftKr {
                            id: k.key.get_ref().clone(),
                            title: k.title.clone(),
                            milestone: k.kind == Some(KrKind::Milestone),
                            unit: k.unit.clone(),
                            target: k.target,
                            has_due_date: true,
                            why: k.why.clone(),
                            kpi: k.kpi.clone(),
                            funnel: k.funnel,
                            leading: k.leading,
                            maturity: k.maturity,
                            team: o.team.clone(),
                        })
                        .collect(),
                });
            }
            (path.display().to_string(), drafts, days)
        }
        None => {
            let mut s = ws.read_session().await?;
            let c = pick_cycle(&mut s, cycle.as_deref()).await?;
            let objectives = s.objectives(Some(&c.key)).await?;
            let krs = s.key_results(Some(&c.key)).await?;
            s.commit().await?;
            let drafts = objectives.iter().map(|o| draft_of(o, &krs)).collect();
            (
                format!("cycle {}", c.key),
                drafts,
                Some((c.end - c.start).num_days() + 1),
            )
        }
    };
    let measured = measured_sales_cycle(ws).await;
    let ctx = ReviewContext {
        cycle_days,
        sales_cycle_days: measured.as_ref().map(|m| m.0),
    };
    let findings = run_rules(&drafts, &ctx);
    Ok(Review {
        objectives: drafts.len(),
        scope,
        cycle_days,
        sales_cycle_days: measured.as_ref().map(|m| m.0),
        sales_cycle_measured_on: measured.map(|m| m.1),
        findings,
    })
}
