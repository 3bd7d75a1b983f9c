//! The partitions one shard owns: their open logs and the wake-ups long-poll fetches wait on.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

use event_listener::Event;
use sluice_storage::PartitionLog;

/// A partition, by topic id (never reused) and index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionKey {
    /// The topic's id.
    pub topic_id: u64,
    /// Partition index.
    pub partition: u32,
}

/// One owned partition.
#[derive(Clone)]
pub struct OwnedPartition {
    /// Topic name, for logs and metrics.
    pub topic: Rc<str>,
    /// The partition's log.
    pub log: PartitionLog,
    /// Notified whenever the visible end of the log moves (after an append resolves).
    pub data_arrived: Rc<Event>,
}

impl OwnedPartition {
    /// Waits until the log's visible end passes `offset`, or `deadline`. Returns whether data
    /// arrived. Never misses a wake-up: the listener is registered before the check.
    pub async fn wait_for_data(&self, offset: i64, deadline: Instant) -> bool {
        loop {
            if self.log.visible_end_offset() > offset {
                return true;
            }
            let listener = self.data_arrived.listen();
            if self.log.visible_end_offset() > offset {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let timeout = glommio::timer::sleep(deadline - now);
            futures_lite::future::or(
                async {
                    listener.await;
                    true
                },
                async {
                    timeout.await;
                    false
                },
            )
            .await;
        }
    }
}

/// Every partition this shard owns.
#[derive(Default)]
pub struct PartitionRegistry {
    partitions: RefCell<HashMap<PartitionKey, OwnedPartition>>,
}

impl PartitionRegistry {
    /// The partition, if this shard owns it.
    pub fn get(&self, key: PartitionKey) -> Option<OwnedPartition> {
        self.partitions.borrow().get(&key).cloned()
    }

    /// Whether this shard has the partition open.
    pub fn contains(&self, key: PartitionKey) -> bool {
        self.partitions.borrow().contains_key(&key)
    }

    /// Registers a freshly opened partition.
    pub fn insert(&self, key: PartitionKey, partition: OwnedPartition) {
        let previous = self.partitions.borrow_mut().insert(key, partition);
        assert!(previous.is_none(), "a partition is opened once per shard");
    }

    /// Removes a partition, handing it back so the caller can close it.
    pub fn remove(&self, key: PartitionKey) -> Option<OwnedPartition> {
        self.partitions.borrow_mut().remove(&key)
    }

    /// Keys of every owned partition.
    pub fn keys(&self) -> Vec<PartitionKey> {
        let mut keys: Vec<_> = self.partitions.borrow().keys().copied().collect();
        keys.sort_unstable();
        keys
    }

    /// Every owned partition.
    pub fn all(&self) -> Vec<(PartitionKey, OwnedPartition)> {
        let mut all: Vec<_> =
            self.partitions.borrow().iter().map(|(k, p)| (*k, p.clone())).collect();
        all.sort_unstable_by_key(|(k, _)| *k);
        all
    }
}
