//! The iroh relay beside this relay (`--iroh-relay`): friends' apps that
//! cannot punch a hole to each other pass their encrypted packets through
//! it. Only builds with the `iroh-relay` feature carry it (shipped as
//! `matinee-relay-iroh`); the plain relay and the app's embedded one leave
//! the server's code (HTTP upgrade, QUIC address discovery, ACME: 2.7 MB)
//! out.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::RelayConfig;
use crate::error::RelayError;

#[cfg(feature = "iroh-relay")]
pub(crate) use matinee_p2p::IrohRelayServer as IrohBeside;

/// Stands for the iroh relay in a build without it: there never is one.
#[cfg(not(feature = "iroh-relay"))]
pub(crate) enum IrohBeside {}

#[cfg(not(feature = "iroh-relay"))]
impl IrohBeside {
    pub fn http_addr(&self) -> Option<SocketAddr> {
        match *self {}
    }

    pub fn https_addr(&self) -> Option<SocketAddr> {
        match *self {}
    }

    pub async fn shutdown(self) {
        match self {}
    }
}

/// Starts the iroh relay the configuration asks for, on plain HTTP and,
/// with the relay's certificate, HTTPS.
pub(crate) async fn start(
    config: &RelayConfig,
    tls: Option<&Arc<rustls::ServerConfig>>,
) -> Result<Option<IrohBeside>, RelayError> {
    let Some(http) = config.iroh_relay else {
        return Ok(None);
    };
    let https = match (config.iroh_relay_https, tls) {
        (Some(addr), Some(tls)) => Some((addr, (**tls).clone())),
        (Some(_), None) => {
            return Err(RelayError::Tls(
                "--iroh-relay-https needs --tls-cert and --tls-key".into(),
            ))
        }
        (None, _) => None,
    };
    serve(http, https).await.map(Some)
}

#[cfg(feature = "iroh-relay")]
async fn serve(
    http: SocketAddr,
    https: Option<(SocketAddr, rustls::ServerConfig)>,
) -> Result<IrohBeside, RelayError> {
    let server = IrohBeside::start(http, https)
        .await
        .map_err(|e| RelayError::IrohRelay(e.to_string()))?;
    tracing::info!(http = ?server.http_addr(), https = ?server.https_addr(), "iroh relay listening");
    Ok(server)
}

#[cfg(not(feature = "iroh-relay"))]
async fn serve(
    _http: SocketAddr,
    _https: Option<(SocketAddr, rustls::ServerConfig)>,
) -> Result<IrohBeside, RelayError> {
    Err(RelayError::IrohRelay(
        "this build has no iroh relay: run matinee-relay-iroh (scripts/bundle relay builds it), or build with --features iroh-relay".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With the feature the iroh relay starts and answers; without it, asking
    /// for one is refused with where to get one (never silently ignored).
    #[tokio::test]
    async fn an_iroh_relay_starts_only_in_builds_that_have_one() {
        let none = start(&RelayConfig::loopback(), None).await.unwrap();
        assert!(none.is_none(), "none unless asked for");

        let config = RelayConfig {
            iroh_relay: Some("127.0.0.1:0".parse().unwrap()),
            ..RelayConfig::loopback()
        };
        let started = start(&config, None).await;
        if cfg!(feature = "iroh-relay") {
            let server = started.unwrap().expect("an iroh relay");
            assert!(server.http_addr().is_some_and(|a| a.port() != 0));
            server.shutdown().await;
        } else {
            let refused = started.err().expect("refused").to_string();
            assert!(refused.contains("matinee-relay-iroh"), "{refused}");
        }
    }
}
