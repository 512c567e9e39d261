//! A cache bounded in size and in time: entries older than the TTL are never returned, and
//! the map never holds more than its capacity. The verifier keeps DID documents,
//! accreditations and checked status lists in these, so that a busy verifier does not ask
//! the registry for every presentation while a change still reaches it within the TTL.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use realdid_core::clock::{Clock, UnixMs};

/// A bounded, time-limited cache. When full, the entry stored longest ago goes first
/// (expired or not), found in constant time from the order of insertion, so that a cache of
/// 100 000 entries costs the same per insert as one of ten.
#[derive(Debug)]
pub struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    clock: Arc<dyn Clock>,
    entries: Mutex<Entries<K, V>>,
}

#[derive(Debug)]
struct Entries<K, V> {
    /// Each key's value, when it was stored, and the number of that storing.
    map: HashMap<K, (UnixMs, u64, V)>,
    /// Keys in the order they were stored, with the number of that storing: a key stored
    /// again appears twice, and only the entry whose number matches the map's is live. A
    /// number, not the time: two storings in one millisecond (or under a clock a test holds
    /// still) must not look alike.
    order: VecDeque<(u64, K)>,
    /// The number the next storing gets.
    next: u64,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// A cache of at most `capacity` entries, each kept at most `ttl` by `clock`.
    pub fn new(ttl: Duration, capacity: usize, clock: Arc<dyn Clock>) -> Self {
        Self {
            ttl,
            capacity: capacity.max(1),
            clock,
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                order: VecDeque::new(),
                next: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value of `key` if it was stored less than the TTL ago.
    pub fn get(&self, key: &K) -> Option<V> {
        let now = self.clock.now();
        let entries = self.lock();
        entries
            .map
            .get(key)
            .filter(|(at, _, _)| now.since(*at) < self.ttl)
            .map(|(_, _, v)| v.clone())
    }

    /// Stores `value`; when full, drops the entry stored longest ago.
    pub fn insert(&self, key: K, value: V) {
        let mut guard = self.lock();
        let entries = &mut *guard;
        while entries.map.len() >= self.capacity && !entries.map.contains_key(&key) {
            let Some((number, oldest)) = entries.order.pop_front() else {
                break;
            };
            if entries
                .map
                .get(&oldest)
                .is_some_and(|(_, stored, _)| *stored == number)
            {
                entries.map.remove(&oldest);
            }
        }
        // Stale order entries (keys stored again or removed) are dropped once they
        // outnumber the live ones, so the queue stays within twice the capacity.
        if entries.order.len() >= 2 * self.capacity {
            let map = &entries.map;
            entries
                .order
                .retain(|(number, k)| map.get(k).is_some_and(|(_, stored, _)| stored == number));
        }
        let number = entries.next;
        entries.next += 1;
        entries.order.push_back((number, key.clone()));
        entries.map.insert(key, (self.clock.now(), number, value));
    }

    /// Every entry stored less than the TTL ago, with when it stops being returned.
    pub fn live(&self) -> Vec<(K, V, UnixMs)> {
        let now = self.clock.now();
        self.lock()
            .map
            .iter()
            .filter(|(_, (at, _, _))| now.since(*at) < self.ttl)
            .map(|(k, (at, _, v))| (k.clone(), v.clone(), at.saturating_add(self.ttl)))
            .collect()
    }

    /// Forgets `key`.
    pub fn remove(&self, key: &K) {
        self.lock().map.remove(key);
    }

    /// How many entries it holds (expired ones included until they are dropped).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use realdid_core::clock::ManualClock;

    #[test]
    fn entries_expire_and_the_size_is_bounded() {
        let clock = ManualClock::at(1_000_000);
        let cache = TtlCache::new(Duration::from_millis(50), 3, Arc::new(clock.clone()));
        for i in 0..10 {
            cache.insert(i, i * 10);
            assert!(cache.len() <= 3);
        }
        assert_eq!(cache.get(&9), Some(90));
        assert_eq!(cache.get(&0), None, "the oldest went first");
        clock.advance(Duration::from_millis(49));
        assert_eq!(cache.get(&9), Some(90), "still young");
        clock.advance(Duration::from_millis(1));
        assert_eq!(cache.get(&9), None, "expired at the TTL");
    }

    #[test]
    fn live_entries_are_listed_with_the_time_they_stop_being_returned() {
        let clock = ManualClock::at(1_000_000);
        let cache = TtlCache::new(Duration::from_millis(50), 10, Arc::new(clock.clone()));
        cache.insert("old", 1);
        clock.advance(Duration::from_millis(30));
        cache.insert("new", 2);
        let mut live = cache.live();
        live.sort_by_key(|(k, _, _)| *k);
        assert_eq!(
            live,
            vec![("new", 2, UnixMs(1_000_080)), ("old", 1, UnixMs(1_000_050))]
        );
        clock.advance(Duration::from_millis(20));
        assert_eq!(cache.live(), vec![("new", 2, UnixMs(1_000_080))]);
    }

    #[test]
    fn a_key_stored_again_is_young_again_and_the_queue_stays_bounded() {
        let cache = TtlCache::new(
            Duration::from_secs(60),
            3,
            Arc::new(ManualClock::at(1_000_000)),
        );
        cache.insert("a", 1);
        cache.insert("b", 2);
        cache.insert("c", 3);
        cache.insert("a", 10); // now the youngest
        cache.insert("d", 4); // drops b, the oldest live entry
        assert_eq!(cache.get(&"a"), Some(10));
        assert_eq!(cache.get(&"b"), None);
        assert_eq!(cache.get(&"c"), Some(3));
        for _ in 0..100 {
            cache.insert("a", 0);
        }
        assert_eq!(cache.len(), 3);
        assert!(
            cache.lock().order.len() <= 6,
            "stale order entries are pruned"
        );
        cache.remove(&"c");
        cache.insert("e", 5);
        cache.insert("f", 6);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&"a"), Some(0));
    }
}
