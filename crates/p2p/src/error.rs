/// What went wrong on the peer-to-peer path, in words for people.
#[derive(Debug, thiserror::Error)]
pub enum P2pError {
    #[error("“{0}” is not an iroh relay address (it looks like https://relay.example.com or http://192.168.1.5:3340)")]
    RelayUrl(String),
    #[error("the relay certificate file {path}: {reason}")]
    RelayCa { path: String, reason: String },
    #[error("could not start peer-to-peer networking: {0}")]
    Bind(String),
    #[error("the invite's peer-to-peer id is not a valid key (copy the whole invite)")]
    BadId,
    #[error("the host could not be reached peer-to-peer: {0}")]
    Connect(String),
    #[error("the peer-to-peer key file {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("could not start the iroh relay: {0}")]
    RelayServer(String),
}
