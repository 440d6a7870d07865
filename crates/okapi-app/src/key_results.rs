//! Key results: adding one (a KPI-linked one given no baseline takes its
//! KPI on the day before its cycle starts, read before the write
//! transaction) and changing one field by field.

use chrono::NaiveDate;
use okapi_core::okr::{KrKind, KrType};
use okapi_core::period::Grain;
use okapi_core::review::{Funnel, Maturity};
use okapi_store::KeyResult;

use crate::error::{AppError, Context};
use crate::kpi_reader::{KpiReader, check_kpi};
use crate::okr_file::{self, KrSpec};
use crate::workspace::Workspace;

/// Adds a key result to `objective`, keyed `key` or the next `KR-n`.
pub async fn add(
    ws: &Workspace,
    objective: &str,
    key: Option<String>,
    spec: KrSpec,
) -> Result<KeyResult, AppError> {
    let what = || match &key {
        Some(k) => format!("key result `{k}`"),
        None => "the new key result".to_string(),
    };
    // A baseline from the data is read before the write transaction.
    let from_data = if okr_file::needs_data_baseline(&spec, None).with_context(what)? {
        let mut s = ws.read_session().await?;
        let o = s.objective(objective).await?;
        let cycle = s.cycle(&o.cycle).await?;
        s.commit().await?;
        let mut reader = KpiReader::new(&ws.settings, ws.data_location()?);
        Some(
            okr_file::data_baseline(&spec, &ws.settings, cycle.start, &mut reader)
                .with_context(what)?,
        )
    } else {
        None
    };
    let mut s = ws.session().await?;
    let key = match key {
        Some(k) => k,
        None => s.next_key("KR").await?,
    };
    let kr = okr_file::build_kr(&key, objective, &spec, None, &ws.settings, from_data)
        .with_context(|| format!("key result `{key}`"))?;
    // The store checks again, in this transaction, that the objective
    // exists and its cycle is open.
    let kr = s.create_key_result(&kr).await?;
    s.commit().await?;
    Ok(kr)
}

/// A change of a key result: `None` leaves a field as it is; an empty
/// segment or owner clears it.
#[derive(Debug, Clone, Default)]
pub struct KrChange {
    pub key: String,
    pub title: Option<String>,
    pub kind: Option<KrKind>,
    pub kpi: Option<String>,
    pub segment: Option<String>,
    pub grain: Option<Grain>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    /// A threshold held at or below its line.
    pub below: bool,
    pub unit: Option<String>,
    pub due: Option<NaiveDate>,
    pub weight: Option<f64>,
    pub kr_type: Option<KrType>,
    pub funnel: Option<Funnel>,
    pub leading: Option<bool>,
    pub maturity: Option<Maturity>,
    pub why: Option<String>,
    pub owner: Option<String>,
    pub reflection: Option<String>,
    /// The version the change was made on: a change made since is a
    /// conflict.
    pub if_version: Option<i64>,
}

pub async fn change(ws: &Workspace, c: KrChange) -> Result<KeyResult, AppError> {
    let mut s = ws.session().await?;
    let mut kr = s.key_result(&c.key).await?;
    if let Some(v) = c.if_version {
        kr.version = v;
    }
    if let Some(t) = c.title {
        kr.title = t;
    }
    if let Some(k) = c.kind {
        kr.kind = k;
    }
    if let Some(v) = c.kpi {
        check_kpi(&ws.settings, &v)?;
        kr.kpi = Some(v);
    }
    if let Some(v) = c.segment {
        if !v.is_empty() {
            crate::inputs::segment(&v)?;
        }
        kr.segment = (!v.is_empty()).then_some(v);
    }
    if let Some(g) = c.grain {
        kr.grain = Some(g.as_str().to_string());
    }
    if c.baseline.is_some() {
        kr.baseline = c.baseline;
    }
    if c.target.is_some() {
        kr.target = c.target;
    }
    if c.below {
        kr.above = Some(false);
    }
    if let Some(v) = c.unit {
        kr.unit = Some(v);
    }
    if c.due.is_some() {
        kr.due = c.due;
    }
    if let Some(w) = c.weight {
        kr.weight = w;
    }
    if c.kr_type.is_some() {
        kr.kr_type = c.kr_type;
    }
    if c.funnel.is_some() {
        kr.funnel = c.funnel;
    }
    if c.leading.is_some() {
        kr.leading = c.leading;
    }
    if c.maturity.is_some() {
        kr.maturity = c.maturity;
    }
    if let Some(v) = c.why {
        kr.why = Some(v);
    }
    if let Some(v) = c.owner {
        kr.owner = (!v.is_empty()).then_some(v);
    }
    if let Some(r) = c.reflection {
        kr.reflection = Some(r);
    }
    let kr = s.save_key_result(&kr).await?;
    s.commit().await?;
    Ok(kr)
}
