//! The friend's side: dial the host's endpoint id through the relay the
//! invite names (and straight, once iroh has punched a hole).

use std::collections::HashMap;
use std::time::Duration;

use iroh::{Endpoint, EndpointAddr, PublicKey, RelayUrl};

use crate::{P2pError, P2pPath, P2pRelays, P2pStream, ALPN};

/// Dials hosts. One endpoint per relay set, made when first needed and
/// kept (a fresh id each run of the app: friends need no stable id).
pub struct Dialer {
    relays: P2pRelays,
    endpoints: tokio::sync::Mutex<HashMap<Option<String>, Endpoint>>,
}

impl Dialer {
    /// A dialer whose own endpoint uses `relays` (the invite's relay
    /// comes first for each dial).
    pub fn new(relays: P2pRelays) -> Self {
        Self {
            relays,
            endpoints: Default::default(),
        }
    }

    /// Connects to `id` (through `relay`, the host's home relay), within
    /// `within`, and opens the stream the WebSocket runs on.
    pub async fn dial(
        &self,
        id: &crate::EndpointId,
        relay: Option<&str>,
        within: Duration,
    ) -> Result<P2pStream, P2pError> {
        let key = PublicKey::from_bytes(id).map_err(|_| P2pError::BadId)?;
        let relay = relay.map(crate::relays::parse_url).transpose()?;
        let endpoint = self.endpoint(relay.as_ref()).await?;
        let mut addr = EndpointAddr::new(key);
        if let Some(url) = relay {
            addr = addr.with_relay_url(url);
        }
        let connect = async {
            let conn = endpoint
                .connect(addr, ALPN)
                .await
                .map_err(|e| P2pError::Connect(e.to_string()))?;
            let (send, recv) = conn
                .open_bi()
                .await
                .map_err(|e| P2pError::Connect(e.to_string()))?;
            Ok(P2pStream::new(send, recv, P2pPath::new(conn)))
        };
        tokio::time::timeout(within, connect)
            .await
            .map_err(|_| P2pError::Connect(format!("no answer within {} s", within.as_secs())))?
    }

    /// Closes every connection this dialer made, telling the hosts.
    pub async fn close(&self) {
        let endpoints: Vec<Endpoint> = self
            .endpoints
            .lock()
            .await
            .drain()
            .map(|(_, e)| e)
            .collect();
        for endpoint in endpoints {
            endpoint.close().await;
        }
    }

    async fn endpoint(&self, relay: Option<&RelayUrl>) -> Result<Endpoint, P2pError> {
        let mut endpoints = self.endpoints.lock().await;
        let key = relay.map(|u| u.to_string());
        if let Some(ep) = endpoints.get(&key).filter(|ep| !ep.is_closed()) {
            return Ok(ep.clone());
        }
        // The host answers through the relay it was reached by: the
        // invite's relay is this endpoint's first too.
        let relays = match (relay, &self.relays) {
            (Some(first), P2pRelays::Custom(others)) => {
                let mut urls = vec![first.clone()];
                urls.extend(others.iter().filter(|u| *u != first).cloned());
                P2pRelays::Custom(urls)
            }
            (Some(url), _) => P2pRelays::Custom(vec![url.clone()]),
            (None, relays) => relays.clone(),
        };
        let ep = crate::host::bind(None, &relays, Vec::new(), 0).await?;
        endpoints.insert(key, ep.clone());
        Ok(ep)
    }
}
