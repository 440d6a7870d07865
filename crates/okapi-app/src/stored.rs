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
