//! Objectives from templates: a template's objective and key results,
//! with the baseline and a target taken from the data for each KPI-linked
//! key result when the data has its KPI (the target proposed from the
//! KPI's history, as calibration does), and the template's example numbers
//! otherwise.

use chrono::NaiveDate;
use okapi_core::okr::KrKind;
use okapi_store::{KeyResult, Objective};
use serde::Serialize;

use crate::error::AppError;
use crate::kpi_reader::{KpiReader, check_kpi, direction};
use crate::objectives::default_level;
use crate::workspace::Workspace;

/// An objective and its key results made from a template.
#[derive(Debug, Clone, Serialize)]
pub struct FromTemplate {
    #[serde(skip)]
    pub template: &'static str,
    pub objective: Objective,
    pub key_results: Vec<KeyResult>,
    /// For each key result, the month its baseline was read from, when it
    /// came from the data.
    #[serde(skip)]
    pub baselines_from: Vec<Option<NaiveDate>>,
}

/// Adds the template `template`'s objective to `cycle`, with its key
/// results. The cycle is read, and the KPIs computed, before the write
/// transaction; a change of the cycle's dates meanwhile refuses it.
pub async fn from_template(
    ws: &Workspace,
    template: &str,
    cycle: &str,
    parent: Option<String>,
    owner: Option<String>,
    team: Option<String>,
) -> Result<FromTemplate, AppError> {
    let t = okapi_core::templates::find(template).ok_or_else(|| {
        AppError::Missing(format!(
            "unknown template `{template}` (see `okapi okr templates`)"
        ))
    })?;
    // The cycle is read, and the KPIs computed, before the write
    // transaction.
    let c = {
        let mut s = ws.read_session().await?;
        let c = s.cycle(cycle).await?;
        s.commit().await?;
        c
    };
    let level = default_level(team.as_deref(), owner.as_deref(), parent.as_deref());
    let mut reader = KpiReader::new(&ws.settings, ws.data_location()?);
    let mut planned = Vec::new();
    for tk in &t.krs {
        let kind = if tk.milestone {
            KrKind::Milestone
        } else if tk.kpi.is_some() {
            KrKind::Kpi
        } else {
            KrKind::Metric
        };
        let (mut baseline, mut target) = (tk.baseline, tk.target);
        let mut from_data = None;
        if let Some(kpi) = tk.kpi
            && check_kpi(&ws.settings, kpi).is_ok()
        {
            // The data's own baseline and a target from its history when
            // there is data; the template's example numbers otherwise.
            let grain = okapi_core::period::Grain::Month;
            let day_before = c.start.pred_opt().unwrap_or(c.start);
            if let Ok(r) = reader.value_on(kpi, None, grain, day_before) {
                let months = ((c.end - c.start).num_days() as f64 / 30.4)
                    .round()
                    .max(1.0) as usize;
                let history = reader.history_before(kpi, None, grain, day_before)?;
                let dir = direction(&ws.settings, kpi);
                let proposal = okapi_core::calibration::propose_target(
                    &history,
                    months,
                    dir,
                    okapi_core::calibration::DEFAULT_PERCENTILE,
                );
                let proposed = proposal
                    .map(|p| p.target)
                    .filter(|t| (t - r.value).abs() > f64::EPSILON);
                let scaled = match (tk.baseline, tk.target) {
                    (Some(b), Some(t)) if b != 0.0 => Some(r.value * t / b),
                    _ => None,
                };
                if let Some(t) = proposed
                    .or(scaled)
                    .filter(|t| (t - r.value).abs() > f64::EPSILON)
                {
                    baseline = Some(r.value);
                    target = Some(t);
                    from_data = Some(r.period.start);
                }
            }
        }
        let kr = KeyResult {
            baseline: if kind == KrKind::Milestone {
                None
            } else {
                baseline
            },
            target: if kind == KrKind::Milestone {
                None
            } else {
                target
            },
            unit: Some(tk.unit.to_string()),
            kr_type: tk.kr_type.parse().ok(),
            funnel: Some(tk.funnel),
            leading: Some(tk.leading),
            maturity: t.maturity,
            why: Some(tk.why.to_string()),
            owner: owner.clone(),
            kpi: tk.kpi.map(str::to_string),
            // Keys are given in the write transaction below.
            ..KeyResult::new("", "", tk.title, kind)
        };
        planned.push((kr, from_data));
    }
    let mut s = ws.session().await?;
    // The numbers were worked out for the cycle's dates as read above.
    let now = s.cycle(cycle).await?;
    if (now.start, now.end) != (c.start, c.end) {
        return Err(AppError::Conflict(format!(
            "cycle `{cycle}` was changed meanwhile (it is now {} … {}): run the command again",
            now.start, now.end
        )));
    }
    let key = s.next_key("O").await?;
    let o = Objective {
        why: Some(t.why.to_string()),
        team,
        owner: owner.clone(),
        parent,
        ..Objective::draft(&key, &c.key, t.objective, level)
    };
    let objective = s.create_objective(&o).await?;
    let mut key_results = Vec::new();
    let mut baselines_from = Vec::new();
    for (mut kr, from_data) in planned {
        kr.key = s.next_key("KR").await?;
        kr.objective = objective.key.clone();
        key_results.push(s.create_key_result(&kr).await?);
        baselines_from.push(from_data);
    }
    s.commit().await?;
    Ok(FromTemplate {
        template: t.id,
        objective,
        key_results,
        baselines_from,
    })
}
