//! Key results: adding one (a KPI-linked one given no baseline takes its
//! KPI on the day before its cycle starts, read before the write
//! transaction) and changing one field by field.

use chrono::NaiveDate;
use okapi_core::okr::KrKind;
use okapi_store::KeyResult;

use crate::error::{AppError, Context};
use crate::kpi_reader::{KpiReader, check_kpi, grain_of};
use crate::okr_file::{self, KrSpec, word};
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
        let mut reader = KpiReader::new(&ws.settings, ws.data_dir());
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
/// segment or owner clears it. Words (`kind`, `type`, `funnel`,
/// `maturity`) are checked against the ones the method knows.
#[derive(Debug, Clone, Default)]
pub struct KrChange {
    pub key: String,
    pub title: Option<String>,
    pub kind: Option<String>,
    pub kpi: Option<String>,
    pub segment: Option<String>,
    pub grain: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    /// A threshold held at or below its line.
    pub below: bool,
    pub unit: Option<String>,
    pub due: Option<NaiveDate>,
    pub weight: Option<f64>,
    pub kr_type: Option<String>,
    pub funnel: Option<String>,
    pub leading: Option<bool>,
    pub maturity: Option<String>,
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
    if let Some(k) = word::<KrKind>(c.kind.as_deref())? {
        kr.kind = k;
    }
    if let Some(v) = c.kpi {
        check_kpi(&ws.settings, &v)?;
        kr.kpi = Some(v);
    }
    if let Some(v) = c.segment {
        kr.segment = (!v.is_empty()).then_some(v);
    }
    if let Some(v) = c.grain {
        grain_of(Some(&v))?;
        kr.grain = Some(v);
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
    if let Some(t) = word(c.kr_type.as_deref())? {
        kr.kr_type = Some(t);
    }
    if let Some(t) = word(c.funnel.as_deref())? {
        kr.funnel = Some(t);
    }
    if c.leading.is_some() {
        kr.leading = c.leading;
    }
    if let Some(t) = word(c.maturity.as_deref())? {
        kr.maturity = Some(t);
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
