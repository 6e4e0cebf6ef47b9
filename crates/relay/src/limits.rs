//! Rate limits and quotas: a token bucket per connection, attempts per
//! address per minute (joins, room creations), and counts per address of
//! what is held at once (sockets, WebSockets, rooms).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The key an address is counted under: an IPv4 address as it is, an IPv6
/// address by its /64 (one home or one machine gets a whole /64, so
/// counting single IPv6 addresses would count nothing).
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

/// Token bucket: `rate` tokens a second, holding at most `burst`.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(rate_per_sec: u32) -> Self {
        let rate = f64::from(rate_per_sec.max(1));
        Self {
            rate,
            burst: rate * 2.0,
            tokens: rate * 2.0,
            last: Instant::now(),
        }
    }

    /// Takes one token; false when the bucket is empty.
    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

const WINDOW: Duration = Duration::from_secs(60);
/// Above this many tracked addresses, expired entries are swept.
const SWEEP_ABOVE: usize = 4096;

/// Counts attempts (joins, or room creations) per address in one-minute
/// windows.
#[derive(Debug)]
pub struct JoinThrottle {
    per_minute: u32,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl JoinThrottle {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Records an attempt from `ip`; false when it is over the limit.
    pub fn attempt(&self, ip: IpAddr, now: Instant) -> bool {
        let mut seen = self.seen.lock().expect("join throttle lock");
        if seen.len() > SWEEP_ABOVE {
            seen.retain(|_, (start, _)| now.saturating_duration_since(*start) < WINDOW);
        }
        let entry = seen.entry(address_key(ip)).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= self.per_minute
    }
}

/// How many of something (sockets, WebSockets) each address holds at once,
/// with a cap per address.
#[derive(Debug)]
pub struct HeldPerAddress {
    cap: usize,
    held: Mutex<HashMap<IpAddr, usize>>,
}

/// One thing held by an address; dropping it gives the place back.
#[derive(Debug)]
pub struct Held {
    counter: Arc<HeldPerAddress>,
    key: IpAddr,
}

impl HeldPerAddress {
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap,
            held: Mutex::new(HashMap::new()),
        })
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Takes a place for `ip`; None when its address holds the cap already.
    pub fn take(self: &Arc<Self>, ip: IpAddr) -> Option<Held> {
        let key = address_key(ip);
        let mut held = self.held.lock().expect("quota lock");
        let n = held.entry(key).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(Held {
            counter: self.clone(),
            key,
        })
    }

    /// How many places `ip`'s address holds.
    #[cfg(test)]
    pub fn count(&self, ip: IpAddr) -> usize {
        let held = self.held.lock().expect("quota lock");
        held.get(&address_key(ip)).copied().unwrap_or(0)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut held = self.counter.held.lock().expect("quota lock");
        if let Some(n) = held.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_burst_then_refills_at_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10);
        assert_eq!((0..25).filter(|_| b.take(t0)).count(), 20);
        assert!(!b.take(t0));
        assert!(b.take(t0 + Duration::from_millis(110)));
        assert!(!b.take(t0 + Duration::from_millis(110)));
    }

    #[test]
    fn throttle_counts_per_address_per_minute() {
        let t0 = Instant::now();
        let th = JoinThrottle::new(3);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "::1".parse().unwrap();
        assert!((0..3).all(|_| th.attempt(a, t0)));
        assert!(!th.attempt(a, t0));
        assert!(th.attempt(b, t0));
        assert!(th.attempt(a, t0 + WINDOW));
    }

    #[test]
    fn ipv6_addresses_count_per_64_and_ipv4_alone() {
        let k = |s: &str| address_key(s.parse().unwrap());
        assert_eq!(k("2001:db8:1:2:aaaa::1"), k("2001:db8:1:2:bbbb::9"));
        assert_ne!(k("2001:db8:1:2::1"), k("2001:db8:1:3::1"));
        assert_ne!(k("192.0.2.1"), k("192.0.2.2"));
        assert_eq!(k("::ffff:192.0.2.1"), k("192.0.2.1"));
    }

    #[test]
    fn places_held_per_address_are_capped_and_given_back() {
        let q = HeldPerAddress::new(2);
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8::2".parse().unwrap();
        let other: IpAddr = "192.0.2.1".parse().unwrap();
        let one = q.take(a).unwrap();
        let _two = q.take(same_64).unwrap();
        assert!(q.take(a).is_none(), "the /64 holds two");
        assert!(q.take(other).is_some(), "another address is not affected");
        drop(one);
        assert_eq!(q.count(a), 1);
        assert!(q.take(a).is_some());
    }
}
