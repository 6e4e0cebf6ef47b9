//! `matinee-relay`: run a relay standalone.

use clap::Parser;
use matinee_relay::RelayConfig;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// What to log: `RUST_LOG` as `target=level` directives (such as
/// `matinee_relay=debug,info`), else everything at `info` and above.
fn log_filter() -> Targets {
    let default = Targets::new().with_default(LevelFilter::INFO);
    match std::env::var("RUST_LOG") {
        Ok(v) => v.parse().unwrap_or_else(|e| {
            eprintln!("RUST_LOG={v} is not understood ({e}); logging at info");
            default
        }),
        Err(_) => default,
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = RelayConfig::parse();
    let filter = log_filter();
    if config.log_format == "json" {
        tracing_subscriber::fmt()
            .json()
            .finish()
            .with(filter)
            .init();
    } else {
        tracing_subscriber::fmt().finish().with(filter).init();
    }
    let relay = match matinee_relay::start(config).await {
        Ok(relay) => relay,
        Err(e) => {
            tracing::error!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(
        "clients connect to {}; invites at {}/join/CODE",
        relay.ws_url(),
        relay.http_url()
    );
    let stop = relay.shutdown_token();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
        stop.cancel();
    });
    match relay.wait().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
