//! The per-shard cache of recent batches, shared by every log on the shard and bounded in bytes,
//! evicting the oldest insertions first. Appends put each batch here, so a consumer tailing the
//! log is served from memory and never touches the disk.
//!
//! It lives on one shard: `Rc<RefCell<..>>`, and no borrow is ever held across an `.await`.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;

use bytes::{Bytes, BytesMut};

/// Identifies one log's entries in a shared cache.
pub type CacheLogId = u64;

/// A shard-wide, byte-bounded cache of recently appended batches.
#[derive(Clone)]
pub struct BatchCache {
    inner: Rc<RefCell<CacheInner>>,
}

struct CachedBatch {
    last_offset: i64,
    bytes: Bytes,
}

struct CacheInner {
    bytes_max: u64,
    bytes: u64,
    next_log_id: CacheLogId,
    logs: HashMap<CacheLogId, BTreeMap<i64, CachedBatch>>,
    /// Insertion order for eviction; entries already removed are skipped when reached.
    order: VecDeque<(CacheLogId, i64)>,
    live: usize,
}

impl BatchCache {
    /// A cache holding at most `bytes_max` bytes of batches.
    pub fn new(bytes_max: u64) -> BatchCache {
        BatchCache {
            inner: Rc::new(RefCell::new(CacheInner {
                bytes_max,
                bytes: 0,
                next_log_id: 0,
                logs: HashMap::new(),
                order: VecDeque::new(),
                live: 0,
            })),
        }
    }

    /// A fresh id for a log that will use this cache.
    pub fn register_log(&self) -> CacheLogId {
        let mut inner = self.inner.borrow_mut();
        inner.next_log_id += 1;
        inner.next_log_id
    }

    /// Bytes currently held.
    pub fn bytes(&self) -> u64 {
        self.inner.borrow().bytes
    }

    /// Caches a batch, evicting the oldest entries to stay within the bound.
    pub fn insert(&self, log: CacheLogId, base_offset: i64, last_offset: i64, bytes: Bytes) {
        let mut inner = self.inner.borrow_mut();
        if bytes.len() as u64 > inner.bytes_max {
            return;
        }
        inner.bytes += bytes.len() as u64;
        let replaced = inner
            .logs
            .entry(log)
            .or_default()
            .insert(base_offset, CachedBatch { last_offset, bytes });
        match replaced {
            Some(old) => inner.bytes -= old.bytes.len() as u64,
            None => inner.live += 1,
        }
        inner.order.push_back((log, base_offset));
        // Bounded: each round removes one order entry.
        while inner.bytes > inner.bytes_max {
            let Some((victim_log, victim_base)) = inner.order.pop_front() else { break };
            inner.remove(victim_log, victim_base);
        }
        if inner.order.len() > 2 * inner.live + 1024 {
            inner.compact_order();
        }
        assert!(inner.bytes <= inner.bytes_max, "the cache stays within its bound");
    }

    /// Whole consecutive batches starting with the one holding `from`, up to `max_bytes`
    /// (at least one batch) and only batches ending below `end_offset`, concatenated; `None`
    /// when the batch holding `from` is not cached. Copies when more than one batch is
    /// returned: the broker's fetch path uses [`BatchCache::read_chunks`] instead.
    pub fn read(
        &self,
        log: CacheLogId,
        from: i64,
        max_bytes: usize,
        end_offset: i64,
    ) -> Option<Bytes> {
        let chunks = self.read_chunks(log, from, max_bytes, end_offset)?;
        if chunks.len() == 1 {
            return chunks.into_iter().next();
        }
        let mut out = BytesMut::with_capacity(chunks.iter().map(Bytes::len).sum());
        for chunk in &chunks {
            out.extend_from_slice(chunk);
        }
        Some(out.freeze())
    }

    /// Like [`BatchCache::read`], but hands back the cached batches themselves, one handle
    /// each, without copying a byte.
    pub fn read_chunks(
        &self,
        log: CacheLogId,
        from: i64,
        max_bytes: usize,
        end_offset: i64,
    ) -> Option<Vec<Bytes>> {
        let inner = self.inner.borrow();
        let batches = inner.logs.get(&log)?;
        let (_, first) = batches.range(..=from).next_back()?;
        if first.last_offset < from || first.last_offset >= end_offset {
            return None;
        }
        let mut picked = vec![first.bytes.clone()];
        let mut total = first.bytes.len();
        let mut next = first.last_offset + 1;
        while total < max_bytes {
            match batches.get(&next) {
                Some(batch)
                    if batch.last_offset < end_offset && total + batch.bytes.len() <= max_bytes =>
                {
                    picked.push(batch.bytes.clone());
                    total += batch.bytes.len();
                    next = batch.last_offset + 1;
                }
                _ => break,
            }
        }
        Some(picked)
    }

    /// Forgets a log's batches with base offset at or above `offset` (after a truncation).
    pub fn remove_from(&self, log: CacheLogId, offset: i64) {
        let mut inner = self.inner.borrow_mut();
        let Some(batches) = inner.logs.get_mut(&log) else { return };
        let removed = batches.split_off(&offset);
        inner.forget(removed.into_values());
    }

    /// Forgets a log's batches that end below `offset` (after retention).
    pub fn remove_below(&self, log: CacheLogId, offset: i64) {
        let mut inner = self.inner.borrow_mut();
        let Some(batches) = inner.logs.get_mut(&log) else { return };
        let kept = batches.split_off(&offset);
        let below = std::mem::replace(batches, kept);
        let (mut gone, mut straddling) = (Vec::new(), Vec::new());
        for (base, batch) in below {
            if batch.last_offset < offset {
                gone.push(batch);
            } else {
                straddling.push((base, batch));
            }
        }
        let batches = inner.logs.get_mut(&log).expect("still there");
        batches.extend(straddling);
        inner.forget(gone.into_iter());
    }

    /// Forgets every batch of a log (on close).
    pub fn remove_log(&self, log: CacheLogId) {
        let mut inner = self.inner.borrow_mut();
        if let Some(batches) = inner.logs.remove(&log) {
            inner.forget(batches.into_values());
        }
    }
}

impl CacheInner {
    fn remove(&mut self, log: CacheLogId, base_offset: i64) {
        let removed = self.logs.get_mut(&log).and_then(|batches| batches.remove(&base_offset));
        if let Some(batch) = removed {
            self.bytes -= batch.bytes.len() as u64;
            self.live -= 1;
        }
    }

    fn forget(&mut self, batches: impl Iterator<Item = CachedBatch>) {
        for batch in batches {
            self.bytes -= batch.bytes.len() as u64;
            self.live -= 1;
        }
    }

    fn compact_order(&mut self) {
        let logs = &self.logs;
        self.order.retain(|(log, base)| logs.get(log).is_some_and(|b| b.contains_key(base)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(len: usize) -> Bytes {
        Bytes::from(vec![1u8; len])
    }

    #[test]
    fn given_consecutive_batches_when_reading_chunks_should_hand_out_the_cached_bytes_uncopied() {
        let cache = BatchCache::new(10_000);
        let log = cache.register_log();
        let (a, b) = (Bytes::from(vec![1u8; 100]), Bytes::from(vec![2u8; 50]));
        cache.insert(log, 0, 4, a.clone());
        cache.insert(log, 5, 9, b.clone());
        let chunks = cache.read_chunks(log, 3, 1_000, 10).unwrap();
        assert_eq!(chunks, vec![a.clone(), b.clone()]);
        assert_eq!(chunks[0].as_ptr(), a.as_ptr(), "the cached batch itself, not a copy");
        assert_eq!(cache.read(log, 3, 1_000, 10).unwrap(), [&a[..], &b[..]].concat());
    }

    #[test]
    fn given_consecutive_batches_when_reading_should_return_them_up_to_max_bytes() {
        let cache = BatchCache::new(10_000);
        let log = cache.register_log();
        cache.insert(log, 0, 4, batch(100));
        cache.insert(log, 5, 9, batch(100));
        cache.insert(log, 10, 10, batch(100));
        assert_eq!(cache.read(log, 0, 1000, 11).map(|b| b.len()), Some(300));
        assert_eq!(cache.read(log, 3, 150, 11).map(|b| b.len()), Some(100));
        assert_eq!(cache.read(log, 7, 1000, 10).map(|b| b.len()), Some(100));
        assert_eq!(cache.read(log, 11, 1000, 20), None);
    }

    #[test]
    fn given_full_cache_when_inserting_should_evict_oldest_and_stay_bounded() {
        let cache = BatchCache::new(250);
        let log = cache.register_log();
        cache.insert(log, 0, 0, batch(100));
        cache.insert(log, 1, 1, batch(100));
        cache.insert(log, 2, 2, batch(100));
        assert!(cache.bytes() <= 250);
        assert_eq!(cache.read(log, 0, 1000, 10), None);
        assert!(cache.read(log, 2, 1000, 10).is_some());
    }

    #[test]
    fn given_truncation_and_retention_when_removing_should_forget_batches() {
        let cache = BatchCache::new(10_000);
        let log = cache.register_log();
        for base in 0..10 {
            cache.insert(log, base, base, batch(10));
        }
        cache.remove_from(log, 8);
        cache.remove_below(log, 2);
        assert_eq!(cache.bytes(), 60);
        assert_eq!(cache.read(log, 1, 1000, 100), None);
        assert_eq!(cache.read(log, 8, 1000, 100), None);
        cache.remove_log(log);
        assert_eq!(cache.bytes(), 0);
    }
}
