//! The relay embedded in the app: "host on this computer".

use std::net::{IpAddr, SocketAddr};

use matinee_relay::{RelayConfig, RelayHandle};

/// The port friends' apps try first.
pub const DEFAULT_PORT: u16 = 7878;

/// Where the embedded relay listens instead, e.g. `127.0.0.1:47878`
/// (loopback only) or `0.0.0.0:9000`.
pub const LISTEN_ENV: &str = "MATINEE_HOST_LISTEN";

/// Starts the embedded relay: at `MATINEE_HOST_LISTEN` when set, else on
/// all interfaces, on the default port if free, else on any port. Its
/// resume key lives in `config_dir`, so when the app restarts mid-film the
/// friends still connected rebuild the room on it.
pub async fn start_embedded(config_dir: &std::path::Path) -> Result<RelayHandle, String> {
    let on = |listen: SocketAddr| RelayConfig {
        listen,
        resume_secret_file: Some(config_dir.join("relay-resume-secret")),
        ..RelayConfig::default()
    };
    if let Some(listen) = std::env::var(LISTEN_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        let addr: SocketAddr = listen.trim().parse().map_err(|_| {
            format!("{LISTEN_ENV}={listen} is not an address such as 127.0.0.1:7878")
        })?;
        return matinee_relay::start(on(addr))
            .await
            .map_err(|e| e.to_string());
    }
    let any = |port: u16| on(SocketAddr::from(([0, 0, 0, 0], port)));
    match matinee_relay::start(any(DEFAULT_PORT)).await {
        Ok(relay) => Ok(relay),
        Err(_) => matinee_relay::start(any(0))
            .await
            .map_err(|e| e.to_string()),
    }
}

/// The relay's URL for this machine's own session.
pub fn local_url(relay: &RelayHandle) -> String {
    format!("ws://127.0.0.1:{}/ws", relay.addr().port())
}

/// URLs friends on the same network or VPN can use.
pub fn lan_urls(relay: &RelayHandle) -> Vec<String> {
    let port = relay.addr().port();
    let mut urls: Vec<String> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !i.is_loopback() && !relay.addr().ip().is_loopback())
        .filter_map(|i| match i.ip() {
            IpAddr::V4(v4) if !v4.is_link_local() => Some(format!("ws://{v4}:{port}/ws")),
            _ => None,
        })
        .collect();
    urls.sort();
    urls.dedup();
    urls
}
