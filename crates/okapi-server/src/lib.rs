//! okapi's server: the pages people use ([`pages`]) and the REST API under
//! `/api/v1`, both adapters over the application layer ([`okapi_app`])
//! like the command line.
//!
//! Every route but the login, the login page, the pages' assets and the
//! OpenAPI document is authenticated: an API request carries a bearer
//! token (`Authorization: Bearer okapi_…`) of the workspace served or the
//! login session cookie ([`auth`]); a page needs the session cookie and
//! otherwise redirects to the login. Errors are `{ "code", "message" }`
//! with the status the application's code table gives ([`error`]); a
//! handler that panics answers 500, and the server goes on. Every response
//! carries security headers (no sniffing, no framing, no referrer, and a
//! content security policy: nothing loads for the API, only the server's
//! own script and stylesheet for the pages).

pub mod auth;
pub mod error;
pub mod limits;
mod pages;
mod routes;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use okapi_app::workspace::Workspace;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// What every request shares: the workspace served.
#[derive(Debug, Clone)]
pub struct AppState {
    pub ws: Arc<Workspace>,
    /// Mark the session cookie `Secure` (the server is reached over TLS).
    pub secure_cookies: bool,
    pub login_limits: Arc<limits::LoginLimits>,
}

/// The API's routes over `ws`, with its security headers and panic guard.
pub fn router(ws: Workspace) -> Router {
    router_with(ws, false)
}

/// [`router`], its session cookie marked `Secure` when `secure_cookies`
/// (the server is reached over TLS, through a proxy that ends it).
pub fn router_with(ws: Workspace, secure_cookies: bool) -> Router {
    let state = AppState {
        ws: Arc::new(ws),
        secure_cookies,
        login_limits: Arc::default(),
    };
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(notice_changes(Arc::downgrade(&state.ws)));
    }
    let headers: [(HeaderName, &'static str); 3] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    // The API's answers may load nothing; the pages load their script and
    // stylesheet from this server only.
    let api = routes::api().layer(SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    ));
    let pages = pages::pages().layer(SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(pages::PAGE_CSP),
    ));
    let mut app = api
        .merge(pages)
        .with_state(state)
        .layer(CatchPanicLayer::custom(error::panicked));
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    // Nothing is cached but the pages' assets, which say so themselves.
    app.layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ))
}

/// Looks for another process's changes to the workspace's database every
/// [`okapi_app::memo::NOTICE_EVERY`], so that what the server keeps in
/// memory is read again after them (`okapi refresh`, a check-in or a
/// revoked token from the command line); ends when the router is dropped.
async fn notice_changes(ws: std::sync::Weak<Workspace>) {
    let mut ticks = tokio::time::interval(okapi_app::memo::NOTICE_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(ws) = ws.upgrade() else {
            return;
        };
        if let Err(e) = ws.store.notice_changes(&ws.id).await {
            tracing::warn!(error = %e, "could not look for changes to the database");
        }
    }
}

/// Serves the API for `ws` on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, ws: Workspace) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(ws).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await
}

/// [`serve`] until `shutdown` completes; requests under way are answered
/// first.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    ws: Workspace,
    secure_cookies: bool,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router_with(ws, secure_cookies)
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Posts the weekly report of the workspace at `loc` when its day comes
/// (`[report]` in okapi.toml; `okapi_app::alerts::post_weekly`), looking
/// every hour. Runs until the process ends; a failure is logged and tried
/// again an hour later.
pub async fn post_reports(loc: okapi_app::Location) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(3600));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let ws = match okapi_app::workspace::Workspace::open(&loc).await {
            Ok(ws) => ws,
            Err(e) => {
                tracing::error!(error = %e, "weekly report: the workspace cannot be opened");
                continue;
            }
        };
        match okapi_app::alerts::post_weekly(&ws, chrono::Utc::now().date_naive()).await {
            Ok(r) if r.delivered + r.failed == 0 => {}
            Ok(r) => tracing::info!(
                delivered = r.delivered,
                failed = r.failed,
                "weekly report posted"
            ),
            Err(e) => tracing::error!(error = %e, "weekly report failed"),
        }
        ws.store.close().await;
    }
}

/// Keeps the stored KPI values of the workspace at `loc` current: a
/// refresh now, then one every `every` (each recomputes only when the data
/// or the definitions changed; see `okapi_app::refresh`). Runs until the
/// process ends; a failed refresh is logged and the next one tried on time.
/// The events are scanned by `scanner` when one is given (a cluster).
pub async fn refresh_every(
    loc: okapi_app::Location,
    every: std::time::Duration,
    scanner: Option<std::sync::Arc<dyn okapi_engine::compute::EventsScanner>>,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match okapi_app::refresh::refresh_with(&loc, false, scanner.clone()).await {
            Ok(r) if r.unchanged => tracing::debug!("refresh: nothing changed"),
            Ok(r) => tracing::info!(
                values = r.values,
                computed = r.sets.iter().map(|s| s.computed).sum::<u64>(),
                kpis = r.kpis,
                ms = r.duration_ms,
                periods = r.periods.as_deref().unwrap_or_default(),
                "refresh: KPI values stored"
            ),
            Err(e) => tracing::error!(error = %e, "refresh failed"),
        }
    }
}
