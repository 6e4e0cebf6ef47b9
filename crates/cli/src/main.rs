//! `matinee-cli`: host or join a watch party from a terminal, with mpv.

mod args;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;
use matinee_client_core::{
    invite_target, start_party, PartyRequest, RelayEndpoint, SessionCmd, SessionEvent,
    DEFAULT_RELAY,
};
use matinee_hosting::{HostOptions, Hosting};
use tokio::io::AsyncBufReadExt;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use args::{Cli, Command};
use commands::Typed;
use output::Output;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // `RUST_LOG` as `target=level` directives, else warnings only.
    let filter: Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::WARN));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .finish()
        .with(filter)
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

/// SIGTERM (a service manager, `kill`): leave and release the port
/// mapping as for Ctrl-C.
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            term.recv().await;
            return;
        }
    }
    std::future::pending::<()>().await
}

/// The Jellyfin sign-in the desktop app keeps (its profile in `dir`, or the
/// app's usual folder; its token in the OS keyring).
async fn jellyfin_sign_in(
    dir: &std::path::Path,
) -> Result<matinee_jellyfin::JellyfinClient, String> {
    use matinee_jellyfin::{Account, DeviceInfo, KeyringStore, KEYRING_SERVICE};
    let dir = if dir.as_os_str().is_empty() {
        args::app_dir()
    } else {
        dir.to_path_buf()
    };
    let device = DeviceInfo::for_install(&dir.join("device-id"))
        .map_err(|e| format!("cannot read the app's device id in {}: {e}", dir.display()))?;
    let store = std::sync::Arc::new(KeyringStore::new(KEYRING_SERVICE));
    let mut account = Account::new(device, store, dir.join("jellyfin.json"));
    account.restore().await.map_err(|e| e.to_string())?;
    account.client().map_err(|_| {
        format!(
            "not signed in to Jellyfin (in {}): sign in with the Matinee app first",
            dir.display()
        )
    })
}

async fn run(cli: Cli, out: &Output) -> Result<(), String> {
    let common = cli.common().clone();
    // Host without --relay: run a relay in this process, like the app does.
    let mut hosting = None;
    let relay = match &cli.command {
        Command::Join { invite, .. } => {
            // The invite's addresses, else the code at --relay (or the
            // default relay), as the app decides.
            invite_target(invite.clone(), common.relay.as_deref(), Some(DEFAULT_RELAY))
                .map_err(|e| e.to_string())?
                .endpoints()
        }
        Command::Host { .. } if common.relay.is_some() => {
            vec![RelayEndpoint::url(common.relay.clone().expect("checked"))]
        }
        Command::Host {
            listen,
            no_port_mapping,
            state_dir,
            ..
        } => {
            let options = HostOptions {
                config_dir: state_dir.clone().unwrap_or_else(args::default_state_dir),
                listen: *listen,
                port_mapping: !no_port_mapping,
                p2p: matinee_p2p::P2pRelays::from_env().map_err(|e| e.to_string())?,
            };
            let hosted = Hosting::start(options).await.map_err(|e| e.to_string())?;
            out.hosting_relay(&hosted.relay().ws_url());
            let local = hosted.local_endpoint();
            hosting = Some(hosted);
            vec![local]
        }
    };
    let session = start_party(PartyRequest {
        nickname: common.nickname.clone(),
        role: cli.role(),
        relay,
        media: cli.media(),
        mpv_path: common.mpv.clone(),
        headless: common.headless,
        controller: common.controller,
        client_name: concat!("matinee-cli/", env!("CARGO_PKG_VERSION")).into(),
        film_folders: common.films.clone(),
        jellyfin: match &common.jellyfin {
            Some(dir) => Some(Box::new(jellyfin_sign_in(dir).await?)),
            None => None,
        },
    })
    .await
    .map_err(|e| e.to_string())?;
    let mut events = session.events();
    let snap = session.snapshot();
    out.joined(&snap, &snap.relay_url, cli.file());
    let mut reach = hosting.as_ref().map(|h| h.reachability());
    if let Some(h) = &hosting {
        out.reachability(&h.reachability().borrow(), h, &snap.code);
    }

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
            changed = async { reach.as_mut().expect("guarded").changed().await }, if reach.is_some() => {
                match (changed, &hosting) {
                    (Ok(()), Some(h)) => out.reachability(&h.reachability().borrow(), h, &snap.code),
                    _ => reach = None,
                }
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = terminated() => break,
        }
    }
    session.leave().await;
    if let Some(hosting) = hosting {
        hosting.shutdown().await;
    }
    matinee_client_core::close_p2p().await;
    Ok(())
}
