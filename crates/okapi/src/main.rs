//! `okapi`: the command line over the engine.
//!
//! Arguments are parsed by clap ([`cli`]), then each command loads what it
//! needs through `okapi_engine` and prints with [`render`].

mod alerts;
mod cli;
mod cluster;
mod commands;
mod data;
mod insights;
mod okr;
mod refresh;
mod render;
mod serve;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OKAPI_LOG")
                // A failed cluster job is reported once, as okapi's error.
                .unwrap_or_else(|_| "warn,ballista_core::execution_plans=off".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = cli::Cli::parse();
    match commands::run(args) {
        Ok(code) => code,
        Err(e) => {
            // A reader that stopped early (`okapi … | head`) is not an error.
            let broken_pipe = e.chain().any(|c| {
                let io = c.downcast_ref::<std::io::Error>().or_else(|| {
                    c.downcast_ref::<csv::Error>().and_then(|e| match e.kind() {
                        csv::ErrorKind::Io(io) => Some(io),
                        _ => None,
                    })
                });
                io.is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            // An application error bare (no context added) is shown and
            // exits as its code says.
            if let Some(app) = e.downcast_ref::<okapi_app::AppError>() {
                return commands::fail(app);
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
