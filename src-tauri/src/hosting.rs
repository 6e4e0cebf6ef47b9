//! The relay embedded in the app: "host on this computer".

use std::net::{IpAddr, SocketAddr};

use matinee_relay::{RelayConfig, RelayHandle};

/// The port friends' apps try first.
pub const DEFAULT_PORT: u16 = 7878;

/// Starts the embedded relay on all interfaces, on the default port if
/// free, else on any port.
pub async fn start_embedded() -> Result<RelayHandle, matinee_relay::RelayError> {
    let on = |port: u16| RelayConfig {
        listen: SocketAddr::from(([0, 0, 0, 0], port)),
        ..RelayConfig::default()
    };
    match matinee_relay::start(on(DEFAULT_PORT)).await {
        Ok(relay) => Ok(relay),
        Err(_) => matinee_relay::start(on(0)).await,
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
        .filter(|i| !i.is_loopback())
        .filter_map(|i| match i.ip() {
            IpAddr::V4(v4) if !v4.is_link_local() => Some(format!("ws://{v4}:{port}/ws")),
            _ => None,
        })
        .collect();
    urls.sort();
    urls.dedup();
    urls
}
