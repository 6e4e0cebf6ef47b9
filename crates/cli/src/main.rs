//! `matinee-cli`: host or join a watch party from a terminal, with mpv.

mod args;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;
use matinee_client_core::{MediaSource, PartySession, SessionCmd, SessionConfig, SessionEvent};
use tokio::io::AsyncBufReadExt;
use tracing_subscriber::EnvFilter;

use args::{Cli, Command};
use commands::Typed;
use output::Output;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let out = Output::new(cli.common().json);
    match run(cli, &out).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            out.error(&message);
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, out: &Output) -> Result<(), String> {
    let common = cli.common().clone();
    let binary = matinee_mpv::locate(common.mpv.as_deref()).map_err(|e| e.to_string())?;
    // Host without --relay: run a relay in this process, like the app does.
    let mut embedded = None;
    let relay_url = match (&cli.command, &common.relay) {
        (_, Some(url)) => url.clone(),
        (Command::Host { listen, .. }, None) => {
            let config = matinee_relay::RelayConfig {
                listen: *listen,
                ..matinee_relay::RelayConfig::default()
            };
            let relay = matinee_relay::start(config)
                .await
                .map_err(|e| e.to_string())?;
            let url = relay.ws_url();
            out.hosting_relay(&url);
            embedded = Some(relay);
            url
        }
        (Command::Join { .. }, None) => args::DEFAULT_RELAY.to_string(),
    };
    let config = SessionConfig {
        relay_url: relay_url.clone(),
        nickname: common.nickname.clone(),
        role: cli.role(),
        media: MediaSource::file(cli.file()),
        mpv: args::launch_options(&common, binary),
        engine: matinee_sync::EngineConfig {
            controller: common.controller,
            ..Default::default()
        },
        client_name: concat!("matinee-cli/", env!("CARGO_PKG_VERSION")).into(),
        osd_notices: true,
        backoff: Default::default(),
    };
    let session = PartySession::start(config)
        .await
        .map_err(|e| e.to_string())?;
    let mut events = session.events();
    let snap = session.snapshot();
    out.joined(&snap, &relay_url, cli.file());

    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Ok(SessionEvent::Ended { reason }) => {
                    out.event(&SessionEvent::Ended { reason });
                    break;
                }
                Ok(ev) => out.event(&ev),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            },
            line = stdin.next_line(), if stdin_open => match line {
                Ok(Some(line)) => match commands::parse(&line, &session.snapshot()) {
                    Typed::Command(cmd) => {
                        let leaving = cmd == SessionCmd::Leave;
                        session.send(cmd);
                        if leaving {
                            break;
                        }
                    }
                    Typed::Show(text) => out.note(&text),
                    Typed::Nothing => {}
                },
                _ => stdin_open = false,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    session.leave().await;
    if let Some(relay) = embedded {
        relay.shutdown().await;
    }
    Ok(())
}
