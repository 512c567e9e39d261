//! A bounded map of recent entries, for memories that may forget.
//!
//! Two generations: inserts go to the newer; when it is full it becomes the older and the old
//! older is dropped. Lookups and inserts are O(1), memory stays within twice the capacity, and
//! what was used lately survives (a hit in the older generation moves the entry forward).
//! Less exact than an LRU, and enough where forgetting only costs a recomputation.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};

#[derive(Debug)]
struct Generations<K, V> {
    newer: HashMap<K, V>,
    older: HashMap<K, V>,
}

/// Recent entries, at least `capacity` and at most twice as many.
#[derive(Debug)]
pub struct Recent<K, V> {
    capacity: usize,
    generations: Mutex<Generations<K, V>>,
}

impl<K: Hash + Eq, V: Clone> Recent<K, V> {
    /// An empty memory keeping at least `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            generations: Mutex::new(Generations {
                newer: HashMap::new(),
                older: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Generations<K, V>> {
        // Entries are inserted whole: a poisoned lock still holds valid maps.
        self.generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The entry of `key`, if remembered.
    pub fn get(&self, key: &K) -> Option<V> {
        let mut generations = self.lock();
        if let Some(value) = generations.newer.get(key) {
            return Some(value.clone());
        }
        let (key, value) = generations.older.remove_entry(key)?;
        let found = value.clone();
        Self::insert_locked(&mut generations, self.capacity, key, value);
        Some(found)
    }

    /// Remembers `value` for `key`.
    pub fn insert(&self, key: K, value: V) {
        let mut generations = self.lock();
        Self::insert_locked(&mut generations, self.capacity, key, value);
    }

    fn insert_locked(generations: &mut Generations<K, V>, capacity: usize, key: K, value: V) {
        if generations.newer.len() >= capacity {
            // The dropped generation's table becomes the new one: it already has room for
            // `capacity` entries, so a full memory never grows a table by rehashing.
            std::mem::swap(&mut generations.newer, &mut generations.older);
            generations.newer.clear();
        }
        generations.newer.insert(key, value);
    }

    /// How many entries are remembered now.
    pub fn len(&self) -> usize {
        let generations = self.lock();
        generations.newer.len() + generations.older.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_keeps_what_is_used() {
        let recent = Recent::with_capacity(2);
        recent.insert(1, "a");
        recent.insert(2, "b");
        recent.insert(3, "c"); // 1 and 2 move to the older generation
        assert_eq!(recent.get(&1), Some("a")); // used: moves forward
        recent.insert(4, "d"); // newer {3, 1} full: becomes older; 2 is dropped
        assert_eq!(recent.get(&2), None);
        assert_eq!(recent.get(&1), Some("a"));
        assert_eq!(recent.get(&3), Some("c"));
        assert_eq!(recent.get(&4), Some("d"));
        assert!(recent.len() <= 4);
        assert!(!recent.is_empty());
    }
}
