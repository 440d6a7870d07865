//! `okapi serve` and `okapi token`: the API of a workspace, and the tokens
//! that open it.

use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::Utc;
use clap::Subcommand;
use okapi_app::Location;
use okapi_app::tokens;
use okapi_app::workspace::Workspace;
use okapi_store::TokenAccess;

use crate::okr::args::Format;
use crate::okr::commands::say;

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create a token; its secret is printed once and never stored.
    Create {
        /// Who or what uses it.
        name: String,
        /// `read`, or `write` to also change OKRs and check in.
        #[arg(long, default_value = "read")]
        access: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The tokens (never their secrets).
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Revoke a token: it opens nothing from now on.
    Revoke {
        id: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

pub fn serve(
    loc: &Location,
    listen: &str,
    refresh_minutes: u64,
    behind_tls: bool,
    scanner: Option<std::sync::Arc<dyn okapi_engine::compute::EventsScanner>>,
) -> Result<ExitCode> {
    let rt = crate::okr::workspace::runtime()?;
    rt.block_on(async {
        let mut ws = Workspace::open(loc).await?;
        ws.events_scanner = scanner.clone();
        // No default password anywhere: someone must be able to administer
        // the workspace before it is served.
        if !okapi_app::accounts::has_admin(&ws).await? {
            anyhow::bail!(
                "workspace `{}` has no admin who can log in: add one with `okapi user add KEY` and `okapi user login KEY --access admin` (it reads the password from standard input), then serve",
                ws.id
            );
        }
        if refresh_minutes > 0 {
            let every = std::time::Duration::from_secs(refresh_minutes.saturating_mul(60));
            tokio::spawn(okapi_server::refresh_every(loc.clone(), every, scanner));
        }
        if !ws.settings.report.weekly_webhooks.is_empty() {
            tokio::spawn(okapi_server::post_reports(loc.clone()));
        }
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr()?;
        eprintln!(
            "Serving workspace `{}` at http://{addr}/api/v1 (every request needs a login, POST /api/v1/login, or a token: okapi token create NAME)",
            ws.id
        );
        okapi_server::serve_until(listener, ws, behind_tls, async {
            // Ctrl-C (or SIGINT) stops the server once answered requests end.
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        eprintln!("Stopped.");
        Ok(ExitCode::SUCCESS)
    })
}

/// `okapi demo --serve`: refreshes the demo's KPIs, gives its chief
/// executive a generated admin password, and serves it.
pub fn serve_demo(loc: &Location, listen: &str) -> Result<ExitCode> {
    let rt = crate::okr::workspace::runtime()?;
    rt.block_on(async {
        eprintln!("Refreshing the demo's KPIs…");
        let ws = Workspace::open(loc).await?;
        let report = okapi_app::refresh::refresh_workspace(&ws, true).await?;
        eprintln!(
            "  {} values of {} KPIs stored in {:.1} s",
            report.values,
            report.kpis,
            report.duration_ms as f64 / 1000.0
        );
        let login = okapi_app::demo::admin_login(&ws).await?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr()?;
        println!(
            "\nThe demo company is served at http://{addr}/\n  log in as {} with the password {}\n  (generated for this run; `okapi user login {}` sets another)\nCtrl-C stops it.",
            login.email, login.password, login.user
        );
        okapi_server::serve_until(listener, ws, false, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        eprintln!("Stopped.");
        Ok(ExitCode::SUCCESS)
    })
}

pub fn token(loc: &Location, cmd: TokenCmd) -> Result<ExitCode> {
    let rt = crate::okr::workspace::runtime()?;
    let _entered = rt.enter();
    let ws = rt.block_on(Workspace::open(loc))?;
    match cmd {
        TokenCmd::Create {
            name,
            access,
            format,
        } => {
            let access: TokenAccess = access.parse().map_err(anyhow::Error::msg)?;
            let made = rt.block_on(tokens::create(&ws, &name, access, Utc::now()))?;
            say(format, &made, || {
                format!(
                    "Token {} ({}, {}) created. Its secret, shown this once:\n\n  {}\n\nSend it as `Authorization: Bearer <secret>`.",
                    made.token.id,
                    made.token.name,
                    made.token.access.as_str(),
                    made.secret
                )
            })
        }
        TokenCmd::List { format } => {
            let list = rt.block_on(tokens::list(&ws))?;
            say(format, &list, || {
                if list.is_empty() {
                    return "No tokens yet: okapi token create NAME [--access write]".into();
                }
                list.iter()
                    .map(|t| {
                        format!(
                            "{:<6} {:<24} {:<6} created {}{}",
                            t.id,
                            t.name,
                            t.access.as_str(),
                            t.created_at.format("%Y-%m-%d %H:%M"),
                            t.revoked_at
                                .map(|r| format!(", revoked {}", r.format("%Y-%m-%d %H:%M")))
                                .unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        TokenCmd::Revoke { id, format } => {
            let t = rt.block_on(tokens::revoke(&ws, &id, Utc::now()))?;
            say(format, &t, || {
                format!("Token {} ({}) is revoked.", t.id, t.name)
            })
        }
    }
}
