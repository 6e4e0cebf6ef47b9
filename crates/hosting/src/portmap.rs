//! Port mapping on the home router (UPnP-IGD, NAT-PMP, PCP through the
//! `portmapper` crate), for the relay's TCP port.
//!
//! The mapping is renewed by `portmapper` before its lease (2 h) ends and
//! released when hosting ends. What was mapped is written to a file, so
//! that after a crash the next start removes a UPnP mapping left behind
//! (NAT-PMP and PCP mappings are taken back by the next mapping of the same
//! port, and expire with their lease anyway).

use std::net::{IpAddr, SocketAddr, SocketAddrV4};
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::time::Duration;

use portmapper::ProbeOutput;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::reach::{is_non_public, LocalReason, Reachability};

/// Longest wait for the router to say which protocols it speaks.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for a mapping once asked.
const MAPPING_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a refused mapping is asked for again.
const RETRY_EVERY: Duration = Duration::from_secs(60);
/// Longest wait for the router while releasing.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);
/// The UPnP search when diagnosing or cleaning up.
const UPNP_SEARCH: Duration = Duration::from_secs(2);

/// The file recording a live mapping, in the app's config folder.
pub const RECORD_FILE: &str = "port-mapping.json";

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    method: String,
    external_port: u16,
}

/// A mapping kept alive while hosting.
pub struct PortMapping {
    client: portmapper::Client,
    record: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

/// Which protocol `portmapper` uses, given what the router answered: it
/// prefers PCP, then NAT-PMP, then UPnP.
fn method(probe: Option<&ProbeOutput>) -> &'static str {
    match probe {
        Some(p) if p.pcp => "PCP",
        Some(p) if p.nat_pmp => "NAT-PMP",
        _ => "UPnP",
    }
}

impl PortMapping {
    /// Starts mapping `local_port`; `reach` follows the outcome. `ipv6` is
    /// a global IPv6 address the relay answers on, if any: friends with
    /// IPv6 reach it even when no IPv4 port is mapped.
    pub fn start(
        local_port: u16,
        ipv6: Option<SocketAddr>,
        config_dir: &Path,
        reach: watch::Sender<Reachability>,
    ) -> Self {
        let client = portmapper::Client::new(portmapper::Config {
            enable_upnp: true,
            enable_pcp: true,
            enable_nat_pmp: true,
            protocol: portmapper::Protocol::Tcp,
        });
        let record = config_dir.join(RECORD_FILE);
        let task = tokio::spawn(run(client.clone(), local_port, ipv6, record.clone(), reach));
        Self {
            client,
            record,
            task,
        }
    }

    /// Deletes the mapping on the router and waits (bounded) until it is
    /// done.
    pub async fn release(self) {
        self.task.abort();
        self.client.deactivate();
        // The service handles requests in order: once a probe is answered,
        // the release before it has run.
        let _ = tokio::time::timeout(RELEASE_TIMEOUT, self.client.probe()).await;
        let _ = std::fs::remove_file(&self.record);
        tracing::info!("port mapping released");
    }
}

async fn run(
    client: portmapper::Client,
    local_port: u16,
    ipv6: Option<SocketAddr>,
    record: PathBuf,
    reach: watch::Sender<Reachability>,
) {
    let Some(port) = NonZeroU16::new(local_port) else {
        return;
    };
    let probe = match tokio::time::timeout(PROBE_TIMEOUT, client.probe()).await {
        Ok(Ok(Ok(p))) => Some(p),
        Ok(Ok(Err(e))) => {
            tracing::info!("port mapping probe: {e}");
            None
        }
        _ => None,
    };
    tracing::info!(?probe, "port mapping protocols");
    if probe.is_none() && only_loopback_interfaces() {
        reach.send_replace(or_ipv6(
            Reachability::LocalNetwork {
                reason: LocalReason::NoRouter,
            },
            ipv6,
        ));
        return;
    }
    let method = method(probe.as_ref());
    client.update_local_port(port);
    let mut external = client.watch_external_address();
    loop {
        let mapped = tokio::time::timeout(MAPPING_TIMEOUT, external.wait_for(Option::is_some))
            .await
            .ok()
            .and_then(|r| r.ok().map(|a| *a));
        let now = match mapped {
            Some(Some(addr)) => mapped_reach(addr, method, &record),
            _ => diagnose(probe.as_ref()).await,
        };
        let now = or_ipv6(now, ipv6);
        tracing::info!(reach = ?now, "reachability");
        reach.send_replace(now.clone());
        if now.reaches_internet() {
            // Follow the mapping: renewals, loss, a new address.
            if external.changed().await.is_err() {
                return;
            }
            continue;
        }
        if matches!(now, Reachability::CarrierNat { .. }) && mapped.is_some() {
            return; // a mapping in front of another NAT helps nobody
        }
        tokio::time::sleep(RETRY_EVERY).await;
        client.procure_mapping();
    }
}

/// Without a mapped IPv4 port, a global IPv6 address still lets friends
/// with IPv6 in.
fn or_ipv6(reach: Reachability, ipv6: Option<SocketAddr>) -> Reachability {
    match (reach, ipv6) {
        (Reachability::LocalNetwork { .. } | Reachability::CarrierNat { .. }, Some(address)) => {
            Reachability::Ipv6 { address }
        }
        (reach, _) => reach,
    }
}

fn only_loopback_interfaces() -> bool {
    if_addrs::get_if_addrs()
        .map(|ifs| ifs.iter().all(|i| i.is_loopback()))
        .unwrap_or(true)
}

fn mapped_reach(addr: SocketAddrV4, method: &str, record: &Path) -> Reachability {
    if is_non_public(IpAddr::V4(*addr.ip())) {
        return Reachability::CarrierNat {
            router_address: Some(IpAddr::V4(*addr.ip())),
        };
    }
    let saved = Record {
        method: method.into(),
        external_port: addr.port(),
    };
    if let Err(e) = std::fs::write(record, serde_json::to_vec(&saved).expect("serialisable")) {
        tracing::warn!(
            "cannot record the port mapping in {}: {e}",
            record.display()
        );
    }
    Reachability::Anywhere {
        method: method.into(),
        public: SocketAddr::V4(addr),
    }
}

/// Why no mapping came: a router behind another NAT, one that refuses, or
/// none that speaks any of the protocols.
async fn diagnose(probe: Option<&ProbeOutput>) -> Reachability {
    match upnp_external_ip().await {
        Some(Ok(ip)) if is_non_public(ip) => {
            return Reachability::CarrierNat {
                router_address: Some(ip),
            }
        }
        // A router that speaks UPnP but has no external address to give
        // holds a reserved one (miniupnpd: "private/reserved address … is
        // not suitable for external IP"; others answer 0.0.0.0).
        Some(Err(())) => {
            return Reachability::CarrierNat {
                router_address: None,
            }
        }
        _ => {}
    }
    let speaks = probe.is_some_and(|p| p.upnp || p.nat_pmp || p.pcp);
    Reachability::LocalNetwork {
        reason: if speaks {
            LocalReason::Refused
        } else {
            LocalReason::NoPortMapping
        },
    }
}

async fn upnp_gateway() -> Option<igd_next::aio::Gateway<igd_next::aio::tokio::Tokio>> {
    let options = igd_next::SearchOptions {
        timeout: Some(UPNP_SEARCH),
        ..Default::default()
    };
    tokio::time::timeout(
        UPNP_SEARCH + Duration::from_millis(500),
        igd_next::aio::tokio::search_gateway(options),
    )
    .await
    .ok()?
    .ok()
}

/// The router's own external address, as UPnP reports it: None when no
/// UPnP router answers, an error when it refuses to say.
async fn upnp_external_ip() -> Option<Result<IpAddr, ()>> {
    let gateway = upnp_gateway().await?;
    Some(match gateway.get_external_ip().await {
        Ok(ip) => Ok(ip),
        Err(e) => {
            tracing::info!("the router did not give its external address: {e}");
            Err(())
        }
    })
}

/// Removes a UPnP mapping an earlier run left (it crashed, or was killed).
pub async fn clean_left_mapping(config_dir: &Path) {
    let path = config_dir.join(RECORD_FILE);
    let Ok(bytes) = std::fs::read(&path) else {
        return;
    };
    let _ = std::fs::remove_file(&path);
    let Ok(left) = serde_json::from_slice::<Record>(&bytes) else {
        return;
    };
    if left.method != "UPnP" {
        return; // taken back by the next mapping of the port, or expires
    }
    let Some(gateway) = upnp_gateway().await else {
        return;
    };
    match gateway
        .remove_port(igd_next::PortMappingProtocol::TCP, left.external_port)
        .await
    {
        Ok(()) => tracing::info!(
            port = left.external_port,
            "removed a port mapping a crash left"
        ),
        Err(e) => tracing::info!("no port mapping left to remove: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_global_ipv6_address_helps_only_when_no_port_was_mapped() {
        let v6: SocketAddr = "[2001:db8::7]:7878".parse().unwrap();
        let refused = Reachability::LocalNetwork {
            reason: LocalReason::Refused,
        };
        assert_eq!(
            or_ipv6(refused.clone(), Some(v6)),
            Reachability::Ipv6 { address: v6 }
        );
        assert_eq!(or_ipv6(refused.clone(), None), refused);
        let cgnat = Reachability::CarrierNat {
            router_address: None,
        };
        assert_eq!(or_ipv6(cgnat, Some(v6)), Reachability::Ipv6 { address: v6 });
        let mapped = Reachability::Anywhere {
            method: "UPnP".into(),
            public: "5.5.5.1:7878".parse().unwrap(),
        };
        assert_eq!(or_ipv6(mapped.clone(), Some(v6)), mapped);
    }
}
