//! An iroh relay server (the `iroh-relay` crate's), for whoever runs a
//! relay for friends: `matinee-relay --iroh-relay ADDR`. Its endpoints
//! meet through it when no direct path exists yet, and it forwards their
//! packets (encrypted end to end: it sees only which ids talk, and how
//! much).

use std::net::SocketAddr;

use iroh_relay::server::{CertConfig, QuicConfig, RelayConfig, Server, ServerConfig, TlsConfig};

use crate::P2pError;

/// A running iroh relay.
pub struct IrohRelayServer {
    server: Server,
}

impl IrohRelayServer {
    /// Serves plain HTTP at `http`; with `tls`, HTTPS at `https` too, and
    /// QUIC address discovery on the same port number over UDP.
    pub async fn start(
        http: SocketAddr,
        tls: Option<(SocketAddr, rustls::ServerConfig)>,
    ) -> Result<Self, P2pError> {
        let mut relay = RelayConfig::new(http);
        let mut quic = None;
        if let Some((https, server_config)) = tls {
            // The QUIC side takes the relay's TLS.
            quic = Some(QuicConfig::new(https));
            relay.tls = Some(TlsConfig::new(https, CertConfig::Manual { server_config }));
        }
        let mut config = ServerConfig::default();
        config.relay = Some(relay);
        config.quic = quic;
        let server = Server::spawn(config)
            .await
            .map_err(|e| P2pError::RelayServer(e.to_string()))?;
        Ok(Self { server })
    }

    /// Where its plain HTTP side listens.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.server.http_addr()
    }

    /// Where its HTTPS side listens.
    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.server.https_addr()
    }

    /// Stops it.
    pub async fn shutdown(self) {
        if let Err(e) = self.server.shutdown().await {
            tracing::debug!("iroh relay stopped: {e}");
        }
    }
}
