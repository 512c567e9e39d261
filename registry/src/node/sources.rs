//! How many DID operations each client address may submit.
//!
//! DID operations are free and anyone may send them: without a limit one client could keep
//! the pool's open lane full and every other client's creations refused. Each client address
//! gets its own token bucket of `did_ops_per_source` a second (bursts of as many), so a
//! flood from one address is refused early with RESOURCE_EXHAUSTED while others go on.
//! Anchors and governance transactions are not limited here: only accredited issuers and
//! the governance keys can sign them, and they have their own lane of the pool.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Checks between two sweeps of addresses whose buckets are full again.
const SWEEP_EVERY: u64 = 4096;

/// Per-address limits on DID operations.
#[derive(Debug)]
pub struct SourceLimits {
    per_second: u32,
    buckets: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
}

/// A client over its rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverRate {
    /// The limit it went over, per second.
    pub per_second: u32,
}

impl std::fmt::Display for OverRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "this client address sent more than {} DID operations a second; slow down and retry",
            self.per_second
        )
    }
}

impl SourceLimits {
    /// `per_second` DID operations a second for each address (0 is taken as 1).
    pub fn new(per_second: u32) -> Self {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        Self {
            per_second: rate.get(),
            buckets: RateLimiter::keyed(Quota::per_second(rate)),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one DID operation from `source`'s bucket (`None`: not a network client, which
    /// share one bucket).
    pub fn admit(&self, source: Option<IpAddr>) -> Result<(), OverRate> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            // Addresses whose buckets are full again hold nothing worth keeping: the map stays
            // as large as the set of recent senders.
            self.buckets.retain_recent();
        }
        let key = source.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        self.buckets.check_key(&key).map_err(|_| OverRate {
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
        let limits = SourceLimits::new(5);
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
