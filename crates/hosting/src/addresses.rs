//! This computer's addresses friends could use.

use std::net::IpAddr;

use crate::reach::is_global_ipv6;

/// IPv4 addresses on the local networks (not loopback or link-local),
/// sorted.
pub fn lan_ipv4() -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !i.is_loopback())
        .map(|i| i.ip())
        .filter(|ip| matches!(ip, IpAddr::V4(v4) if !v4.is_link_local() && !v4.is_unspecified()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Global unicast IPv6 addresses, sorted.
pub fn global_ipv6() -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.ip())
        .filter(|ip| is_global_ipv6(*ip))
        .collect();
    out.sort();
    out.dedup();
    out
}
