use std::net::SocketAddr;

/// Why the relay could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("cannot listen on {addr}: {source} (is another relay already running there?)")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot use the resume secret: {0}")]
    Secret(std::io::Error),
    #[error("cannot use Redis at {0}")]
    Redis(String),
    #[error("cannot use TLS: {0}")]
    Tls(String),
    #[error("cannot run the iroh relay: {0}")]
    IrohRelay(String),
    #[error("the relay stopped: {0}")]
    Serve(std::io::Error),
    #[error("the relay task ended unexpectedly")]
    Stopped,
}
