//! How many calls of one kind each client address may make: the first bound on what anyone
//! may ask of a public server without credentials.
//!
//! Some calls are free to anyone and cost the server something that others share: a DID
//! operation takes room in the registry's pool, a nonce a slot in the issuer's table, an
//! enrolment an authority check and an Argon2id evaluation. Without a limit one client could
//! take it all. Each client address gets its own token bucket of `per_second` calls a second
//! (bursts of as many), so a flood from one address is refused early, before it costs
//! anything, while other addresses go on.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Checks between two sweeps of addresses whose buckets are full again.
const SWEEP_EVERY: u64 = 4096;

/// Per-address limits on one kind of call.
#[derive(Debug)]
pub struct SourceLimits {
    what: &'static str,
    per_second: u32,
    buckets: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
}

/// A client over its rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverRate {
    /// What was limited, e.g. "DID operations".
    pub what: &'static str,
    /// The limit it went over, per second.
    pub per_second: u32,
}

impl std::fmt::Display for OverRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "this client address sent more than {} {} a second; slow down and retry",
            self.per_second, self.what
        )
    }
}

impl SourceLimits {
    /// `per_second` calls of `what` a second for each address (0 is taken as 1).
    pub fn new(what: &'static str, per_second: u32) -> Self {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        Self {
            what,
            per_second: rate.get(),
            buckets: RateLimiter::keyed(Quota::per_second(rate)),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one call from `source`'s bucket (`None`: not a network client; those share one
    /// bucket).
    pub fn admit(&self, source: Option<IpAddr>) -> Result<(), OverRate> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            // Addresses whose buckets are full again hold nothing worth keeping: the map stays
            // as large as the set of recent senders.
            self.buckets.retain_recent();
        }
        let key = source.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        self.buckets.check_key(&key).map_err(|_| OverRate {
            what: self.what,
            per_second: self.per_second,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_bucket() {
        let limits = SourceLimits::new("DID operations", 5);
        let a = Some("10.0.0.1".parse().unwrap());
        let b = Some("10.0.0.2".parse().unwrap());
        for _ in 0..5 {
            limits.admit(a).unwrap();
        }
        let over = limits.admit(a).unwrap_err();
        assert_eq!(over.per_second, 5);
        assert!(
            over.to_string()
                .contains("more than 5 DID operations a second")
        );
        // Another address is not affected by the first one's flood.
        limits.admit(b).unwrap();
        limits.admit(None).unwrap();
    }
}
