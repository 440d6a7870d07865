//! Reading the KPI values a refresh stored ([`crate::refresh`]): what pages
//! and the API show, never waiting for a scan of the data.

use okapi_core::period::Grain;
use okapi_engine::compute::kpi_info;
use okapi_store::StoredKpiValue;

use crate::error::AppError;
use crate::workspace::Workspace;

/// Per KPI, its value in the latest period stored at `grain` for
/// `segment` (`""`: all accounts), by KPI id.
pub async fn latest(
    ws: &Workspace,
    grain: Grain,
    segment: &str,
) -> Result<Vec<StoredKpiValue>, AppError> {
    let mut s = ws.read_session().await?;
    let values = s.latest_kpi_values(segment, grain).await?;
    s.commit().await?;
    Ok(values)
}

/// One KPI's stored series at `grain` for `segment`, in period order.
/// A KPI the workspace does not know is not found; a known one never
/// refreshed has an empty series.
pub async fn series(
    ws: &Workspace,
    kpi: &str,
    grain: Grain,
    segment: &str,
) -> Result<Vec<StoredKpiValue>, AppError> {
    if kpi_info(&ws.settings, kpi).is_none() {
        return Err(AppError::Missing(format!("there is no KPI `{kpi}`")));
    }
    let mut s = ws.read_session().await?;
    let values = s.kpi_series(kpi, segment, grain).await?;
    s.commit().await?;
    Ok(values)
}

/// The last refresh of the stored values (when, over which data, how many
/// values), if there was one: what a page says its numbers are as of.
pub async fn last_refresh(ws: &Workspace) -> Result<Option<okapi_store::KpiRefresh>, AppError> {
    let mut s = ws.read_session().await?;
    let last = s.last_kpi_refresh().await?;
    s.commit().await?;
    Ok(last)
}

/// A view a refresh stored ([`crate::refresh::views`]): `Ok(None)` before
/// the first refresh, `Err` with the reason when the data could not give
/// it.
pub async fn view<T: serde::de::DeserializeOwned>(
    ws: &Workspace,
    name: &str,
) -> Result<Option<Result<T, String>>, AppError> {
    let mut s = ws.read_session().await?;
    let stored = s.stored_view(name).await?;
    s.commit().await?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    #[derive(serde::Deserialize)]
    struct Unavailable {
        unavailable: String,
    }
    if let Ok(u) = serde_json::from_str::<Unavailable>(&stored.body) {
        return Ok(Some(Err(u.unavailable)));
    }
    serde_json::from_str::<T>(&stored.body)
        .map(|v| Some(Ok(v)))
        .map_err(|e| AppError::Internal(format!("the stored view `{name}` cannot be read: {e}")))
}
