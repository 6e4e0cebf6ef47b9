//! Which addresses are on the internet: for the host (is the router's own
//! address public?) and for a joiner (does an invite name only home
//! addresses?).

use std::net::IpAddr;

/// An address that is not on the internet: private, shared (RFC 6598,
/// 100.64.0.0/10), loopback, link-local or unspecified. A router whose
/// own external address is one of these sits behind another NAT.
pub fn is_non_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (a == 100 && (b & 0xC0) == 64)
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// A global unicast IPv6 address (2000::/3).
pub fn is_global_ipv6(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xe000) == 0x2000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_and_private_router_addresses_are_not_public() {
        for ip in [
            "100.64.0.1",
            "100.127.255.254",
            "10.0.0.1",
            "192.168.1.1",
            "0.0.0.0",
        ] {
            assert!(is_non_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["100.128.0.1", "5.5.5.1", "203.0.113.9"] {
            assert!(!is_non_public(ip.parse().unwrap()), "{ip}");
        }
        assert!(is_global_ipv6("2001:db8::1".parse().unwrap()));
        assert!(!is_global_ipv6("fd00::1".parse().unwrap()));
        assert!(!is_global_ipv6("fe80::1".parse().unwrap()));
    }
}
