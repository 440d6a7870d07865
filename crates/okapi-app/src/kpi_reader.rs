//! KPI values for KPI-linked key results, computed by the engine from the
//! workspace's data directory.
//!
//! A KR reads its KPI at its grain (month unless set). The value on a day
//! is the KPI of the **latest complete period** on that day: the last
//! calendar period that ended on or before it, among the periods the data
//! reaches into. A check-in on 12 November reads October; a KR never reads
//! a month that is still running. (A data directory not refreshed since
//! mid-October still gives October from what it holds.)

use std::collections::HashMap;

use chrono::NaiveDate;
use okapi_core::catalog::Direction;
use okapi_core::period::{Grain, Period};
use okapi_core::settings::Settings;
use okapi_engine::EngineError;
use okapi_engine::compute::{Engine, Segment, kpi_info};
use okapi_engine::source::{DataDir, DataLocation};

use crate::error::AppError;

type Result<T> = std::result::Result<T, AppError>;

/// A KPI's value in one period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub period: Period,
    pub value: f64,
}

/// Parses a KR's grain word.
pub fn grain_of(word: Option<&str>) -> Result<Grain> {
    match word.unwrap_or("month") {
        "week" => Ok(Grain::Week),
        "month" => Ok(Grain::Month),
        "quarter" => Ok(Grain::Quarter),
        "year" => Ok(Grain::Year),
        "day" => Ok(Grain::Day),
        other => Err(AppError::Invalid(format!(
            "unknown grain `{other}` (expected day, week, month, quarter or year)"
        ))),
    }
}

/// Checks a KPI id against the catalog and the workspace's custom KPIs.
pub fn check_kpi(settings: &Settings, id: &str) -> Result<()> {
    if kpi_info(settings, id).is_none() {
        return Err(AppError::Invalid(format!(
            "unknown KPI `{id}` (see `okapi kpi --list`)"
        )));
    }
    Ok(())
}

/// Whether higher values of the KPI are better.
pub fn direction(settings: &Settings, id: &str) -> Direction {
    kpi_info(settings, id)
        .map(|k| k.direction)
        .unwrap_or(Direction::Higher)
}

type HistoryKey = (String, Option<String>, Grain);

/// Reads KPI histories, each computed once per command.
pub struct KpiReader<'a> {
    settings: &'a Settings,
    data: DataLocation,
    histories: HashMap<HistoryKey, Vec<Reading>>,
}

impl<'a> KpiReader<'a> {
    pub fn new(settings: &'a Settings, data: impl Into<DataLocation>) -> Self {
        KpiReader {
            settings,
            data: data.into(),
            histories: HashMap::new(),
        }
    }

    /// Every period of the data with a value, oldest first.
    pub fn history(
        &mut self,
        kpi: &str,
        segment: Option<&str>,
        grain: Grain,
    ) -> Result<&[Reading]> {
        let key = (kpi.to_string(), segment.map(str::to_string), grain);
        if !self.histories.contains_key(&key) {
            let h = self.compute(kpi, segment, grain)?;
            self.histories.insert(key.clone(), h);
        }
        self.histories
            .get(&key)
            .map(Vec::as_slice)
            .ok_or_else(|| AppError::Internal(format!("KPI `{kpi}` was not computed")))
    }

    fn compute(&self, kpi: &str, segment: Option<&str>, grain: Grain) -> Result<Vec<Reading>> {
        check_kpi(self.settings, kpi)?;
        let mut all = self.compute_many(&[kpi.to_string()], segment, &[grain])?;
        Ok(all.remove(&(kpi.to_string(), grain)).unwrap_or_default())
    }

    /// Computes the histories of every (KPI, segment, grain) in `wanted`
    /// that is not cached yet, loading the data directory once per segment
    /// for all the KPIs of that segment, so that reading N key results'
    /// KPIs costs one scan, not N. KPIs that are not in the catalog are
    /// left for [`KpiReader::history`] to refuse with their name.
    pub fn prefetch<'k>(
        &mut self,
        wanted: impl IntoIterator<Item = (&'k str, Option<&'k str>, Grain)>,
    ) -> Result<()> {
        let mut by_segment: HashMap<Option<String>, (Vec<String>, Vec<Grain>)> = HashMap::new();
        for (kpi, segment, grain) in wanted {
            let key = (kpi.to_string(), segment.map(str::to_string), grain);
            if self.histories.contains_key(&key) || kpi_info(self.settings, kpi).is_none() {
                continue;
            }
            let (ids, grains) = by_segment.entry(key.1).or_default();
            if !ids.iter().any(|i| i == kpi) {
                ids.push(kpi.to_string());
            }
            if !grains.contains(&grain) {
                grains.push(grain);
            }
        }
        for (segment, (ids, grains)) in by_segment {
            let computed = self.compute_many(&ids, segment.as_deref(), &grains)?;
            for ((kpi, grain), readings) in computed {
                self.histories
                    .entry((kpi, segment.clone(), grain))
                    .or_insert(readings);
            }
        }
        Ok(())
    }

    fn compute_many(
        &self,
        ids: &[String],
        segment: Option<&str>,
        grains: &[Grain],
    ) -> Result<HashMap<(String, Grain), Vec<Reading>>> {
        // The engine runs its own runtime: step out of the store's, if in it.
        tokio::task::block_in_place(|| self.compute_blocking(ids, segment, grains))
    }

    fn compute_blocking(
        &self,
        ids: &[String],
        segment: Option<&str>,
        grains: &[Grain],
    ) -> Result<HashMap<(String, Grain), Vec<Reading>>> {
        let segment = segment
            .map(|s| s.parse::<Segment>())
            .transpose()
            .map_err(AppError::Invalid)?;
        let dir = DataDir::open_location(&self.data).map_err(|e| {
            AppError::Engine(EngineError::File {
                file: format!("data {}", self.data),
                reason: e.to_string(),
            })
        })?;
        let engine = match Engine::for_kpis(&dir, self.settings, ids, segment) {
            Ok(e) => e,
            Err(EngineError::InvalidRows(issues)) => {
                return Err(AppError::Invalid(format!(
                    "the data in {} has {} invalid row(s); run `okapi check --data {}`",
                    self.data,
                    issues.len(),
                    self.data
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let mut out = HashMap::new();
        let Some((_, last_day)) = engine.data_range() else {
            return Ok(out);
        };
        for &grain in grains {
            // Every period the data reaches into; `value_on` decides which
            // are over on a given day.
            let periods: Vec<Period> = engine
                .periods(grain, None, None)?
                .into_iter()
                .filter(|p| p.start <= last_day)
                .collect();
            let report = engine.kpis(ids, &periods, grain)?;
            for id in ids {
                out.insert((id.clone(), grain), Vec::new());
            }
            for r in &report.rows {
                if let (Some(v), Some(readings)) = (
                    r.value.value.as_ref(),
                    out.get_mut(&(r.kpi.id.clone(), grain)),
                ) {
                    readings.push(Reading {
                        period: r.period,
                        value: v.as_f64(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// The values of the periods complete on day `on`, oldest first, for
    /// calibration: the months before the KPI first moved off zero (before
    /// the first customer, say) are left out, as they say nothing of what
    /// the team can achieve.
    pub fn history_before(
        &mut self,
        kpi: &str,
        segment: Option<&str>,
        grain: Grain,
        on: NaiveDate,
    ) -> Result<Vec<f64>> {
        let values: Vec<f64> = self
            .history(kpi, segment, grain)?
            .iter()
            .filter(|r| r.period.last_day() <= on)
            .map(|r| r.value)
            .collect();
        Ok(values.into_iter().skip_while(|v| *v == 0.0).collect())
    }

    /// The value on day `at`: the latest complete period ending on or
    /// before it.
    pub fn value_on(
        &mut self,
        kpi: &str,
        segment: Option<&str>,
        grain: Grain,
        at: NaiveDate,
    ) -> Result<Reading> {
        let h = self.history(kpi, segment, grain)?;
        h.iter()
            .rev()
            .find(|r| r.period.last_day() <= at)
            .copied()
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "KPI `{kpi}` has no value for a complete {} ending on or before {at} in {}",
                    grain.as_str(),
                    self.data
                ))
            })
    }

    /// A KPI-linked key result's value on day `on` (its KPI at its grain
    /// and segment), with the period it comes from (`month 2026-10-01`).
    pub fn kr_value(
        &mut self,
        kr: &okapi_store::KeyResult,
        on: NaiveDate,
    ) -> Result<(f64, String)> {
        let kpi = kr
            .kpi
            .as_deref()
            .ok_or_else(|| AppError::Invalid(format!("key result `{}` has no KPI", kr.key)))?;
        let grain = grain_of(kr.grain.as_deref())?;
        let r = self
            .value_on(kpi, kr.segment.as_deref(), grain, on)
            .map_err(|e| AppError::Invalid(format!("key result `{}`: {e}", kr.key)))?;
        Ok((r.value, format!("{} {}", grain.as_str(), r.period.start)))
    }

    /// [`KpiReader::prefetch`] for the KPIs of these key results, each at
    /// its segment and grain (a key result whose grain is not one is left
    /// for [`KpiReader::kr_value`] to refuse).
    pub fn prefetch_krs<'k>(
        &mut self,
        krs: impl IntoIterator<Item = &'k okapi_store::KeyResult>,
    ) -> Result<()> {
        let wanted: Vec<(&str, Option<&str>, Grain)> = krs
            .into_iter()
            .filter_map(|kr| {
                let kpi = kr.kpi.as_deref()?;
                let grain = grain_of(kr.grain.as_deref()).ok()?;
                Some((kpi, kr.segment.as_deref(), grain))
            })
            .collect();
        self.prefetch(wanted)
    }
}
