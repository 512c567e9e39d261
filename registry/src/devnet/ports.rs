//! Free loopback ports for a devnet's servers.
//!
//! A devnet writes its ports into its files, and its processes bind them a moment later. A
//! port found free by binding port 0 comes from the kernel's ephemeral range, the range it
//! also draws from for every outgoing connection and every other port-0 bind on the
//! machine: in that moment any process could take it, and a node would then fail to start.
//! Ports are chosen outside that range instead, where the kernel never hands a port out by
//! itself; only a program binding that very port could take it. The same holds while a
//! node is down and restarting on its port. The search starts at a random place, so that
//! devnets made at once on one machine seldom try the same ports.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::ops::RangeInclusive;

use rand::RngExt as _;

/// The lowest port a devnet takes: below it lie the usual ports of well-known services.
const LOWEST: u16 = 10_000;

/// The kernel's ephemeral range when it cannot be read: IANA's dynamic ports, the range of
/// BSD and macOS.
const DEFAULT_EPHEMERAL: (u16, u16) = (49_152, u16::MAX);

/// `count` distinct ports on 127.0.0.1, each free when chosen and outside the kernel's
/// ephemeral range. Every listener is held until all are bound, so that no port is chosen
/// twice.
pub fn free_loopback_ports(count: usize) -> io::Result<Vec<u16>> {
    choose(count, &candidates(ephemeral_range()))
}

/// [`free_loopback_ports`] as addresses on 127.0.0.1.
pub fn free_loopback_addresses<const N: usize>() -> io::Result<[SocketAddr; N]> {
    let ports = free_loopback_ports(N)?;
    Ok(std::array::from_fn(|i| {
        SocketAddr::from((Ipv4Addr::LOCALHOST, ports[i]))
    }))
}

/// The ports from [`LOWEST`] up that lie outside the ephemeral range `(low, high)`: below it
/// and above it. A kernel whose range leaves no room on either side may hand out any port,
/// and then every port from [`LOWEST`] up is as good as another.
fn candidates((low, high): (u16, u16)) -> Vec<RangeInclusive<u16>> {
    let mut ranges = Vec::new();
    if low > LOWEST {
        ranges.push(LOWEST..=low - 1);
    }
    if high < u16::MAX {
        ranges.push(high.max(LOWEST - 1) + 1..=u16::MAX);
    }
    if ranges.is_empty() {
        ranges.push(LOWEST..=u16::MAX);
    }
    ranges
}

/// The `index`th port of `ranges` taken one after another.
fn nth(ranges: &[RangeInclusive<u16>], mut index: usize) -> Option<u16> {
    for range in ranges {
        let len = range.len();
        if index < len {
            return range.clone().nth(index);
        }
        index -= len;
    }
    None
}

fn choose(count: usize, ranges: &[RangeInclusive<u16>]) -> io::Result<Vec<u16>> {
    let span: usize = ranges.iter().map(ExactSizeIterator::len).sum();
    let start = if span == 0 {
        0
    } else {
        rand::rng().random_range(0..span)
    };
    let mut held = Vec::with_capacity(count);
    for offset in 0..span {
        if held.len() == count {
            break;
        }
        let Some(port) = nth(ranges, (start + offset) % span) else {
            break;
        };
        // A port another socket holds is skipped.
        if let Ok(listener) = TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
            held.push(listener);
        }
    }
    if held.len() < count {
        return Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!(
                "{count} free ports wanted on 127.0.0.1 in {ranges:?}, {} found",
                held.len()
            ),
        ));
    }
    held.iter()
        .map(|listener| listener.local_addr().map(|a| a.port()))
        .collect()
}

/// The kernel's ephemeral range (Linux: `ip_local_port_range`).
fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| parse_range(&text))
        .unwrap_or(DEFAULT_EPHEMERAL)
}

/// `ip_local_port_range`'s text: two ports, the first not above the second.
fn parse_range(text: &str) -> Option<(u16, u16)> {
    let mut ports = text.split_whitespace().map(str::parse::<u16>);
    let low = ports.next()?.ok()?;
    let high = ports.next()?.ok()?;
    (ports.next().is_none() && low <= high).then_some((low, high))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn addresses_are_on_the_loopback() {
        let [a, b] = free_loopback_addresses().unwrap();
        assert!(a.ip().is_loopback() && b.ip().is_loopback());
        assert_ne!(a.port(), b.port());
    }

    #[test]
    fn ports_are_distinct_free_and_outside_the_ephemeral_range() {
        let (low, high) = ephemeral_range();
        // Eight draws: ports drawn from every port instead would each time fall in the
        // kernel's range about half the time.
        for _ in 0..8 {
            let ports = free_loopback_ports(16).unwrap();
            assert_eq!(ports.iter().collect::<HashSet<_>>().len(), 16, "{ports:?}");
            for port in &ports {
                assert!(
                    *port >= LOWEST && !(low..=high).contains(port),
                    "{port} in the ephemeral range {low}..={high}"
                );
                // Released when chosen: the server that is given it can bind it.
                TcpListener::bind((Ipv4Addr::LOCALHOST, *port)).unwrap();
            }
        }
    }

    /// The race itself: between the choice and the server's bind, other processes keep
    /// opening connections and binding port 0. None of them may be given a chosen port.
    /// (Ports chosen by binding port 0 are handed out again within a few thousand binds:
    /// after 17 to 1 663 binds in five tries on Linux.)
    #[test]
    fn the_kernel_never_hands_out_a_chosen_port() {
        let chosen: HashSet<u16> = free_loopback_ports(16).unwrap().into_iter().collect();
        for _ in 0..20_000 {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
            let port = listener.local_addr().unwrap().port();
            assert!(!chosen.contains(&port), "the kernel handed out port {port}");
        }
    }

    #[test]
    fn a_taken_port_is_skipped_and_a_full_range_is_an_error() {
        // Three candidates, one taken: the other two are chosen, whatever the start.
        let taken = free_loopback_ports(1).unwrap()[0];
        let _holder = TcpListener::bind((Ipv4Addr::LOCALHOST, taken)).unwrap();
        let candidates = [taken.saturating_sub(1)..=taken.saturating_add(1)];
        let free: Vec<u16> = candidates[0]
            .clone()
            .filter(|p| *p != taken && TcpListener::bind((Ipv4Addr::LOCALHOST, *p)).is_ok())
            .collect();
        for _ in 0..8 {
            let mut ports = choose(free.len(), &candidates).unwrap();
            ports.sort_unstable();
            assert_eq!(ports, free);
        }
        let error = choose(free.len() + 1, &candidates).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrNotAvailable);
        assert!(error.to_string().contains("free ports wanted"), "{error}");
        assert!(choose(1, &[]).is_err());
    }

    #[test]
    fn candidates_lie_outside_the_range_on_either_side() {
        assert_eq!(
            candidates((32768, 60999)),
            vec![LOWEST..=32767, 61000..=u16::MAX]
        );
        assert_eq!(candidates((49152, u16::MAX)), vec![LOWEST..=49151]);
        assert_eq!(candidates((LOWEST, 60999)), vec![61000..=u16::MAX]);
        assert_eq!(candidates((1024, 60999)), vec![61000..=u16::MAX]);
        // No room on either side: the kernel may hand out any port.
        assert_eq!(candidates((1024, u16::MAX)), vec![LOWEST..=u16::MAX]);
        // Ports are counted through the ranges one after another.
        let ranges = candidates((32768, 60999));
        assert_eq!(nth(&ranges, 0), Some(LOWEST));
        assert_eq!(nth(&ranges, usize::from(32767 - LOWEST)), Some(32767));
        assert_eq!(nth(&ranges, usize::from(32768 - LOWEST)), Some(61000));
        assert_eq!(
            nth(&ranges, usize::from(32768 - LOWEST) + 4535),
            Some(u16::MAX)
        );
        assert_eq!(nth(&ranges, usize::from(32768 - LOWEST) + 4536), None);
    }

    #[test]
    fn the_ephemeral_range_is_read_from_the_kernels_text() {
        assert_eq!(parse_range("32768\t60999\n"), Some((32768, 60999)));
        assert_eq!(parse_range("1024 65535"), Some((1024, 65535)));
        assert_eq!(parse_range("60999 32768"), None);
        assert_eq!(parse_range("32768"), None);
        assert_eq!(parse_range("32768 60999 1"), None);
        assert_eq!(parse_range("a b"), None);
        assert_eq!(parse_range("70000 80000"), None);
    }
}
