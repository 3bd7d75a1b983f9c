//! The shard table: which shard owns each partition.
//!
//! Each entry carries the table revision at which it was written, so a shard that receives an
//! update older than what it already holds can tell and ignore it (the same idea as Redpanda's
//! shard table). New partitions go to the least-loaded shards, so topics created one after
//! another still spread evenly.

use std::collections::BTreeMap;

/// Where one partition lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct PartitionSlot {
    /// Owning shard.
    pub shard: u32,
    /// Table revision at which this placement was made.
    pub revision: u64,
}

/// Partition → shard, for every partition of every topic (keyed by topic id).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize,
)]
pub struct ShardTable {
    /// Bumped by every change.
    pub revision: u64,
    /// topic id → one slot per partition, indexed by partition.
    pub slots: BTreeMap<u64, Vec<PartitionSlot>>,
}

impl ShardTable {
    /// Places `partitions` new partitions of `topic_id` on the least-loaded of `shards` shards
    /// and returns the new revision.
    pub fn place_topic(&mut self, topic_id: u64, partitions: u32, shards: u32) -> u64 {
        assert!(shards > 0, "a broker has at least one shard");
        assert!(!self.slots.contains_key(&topic_id), "topic ids are never reused");
        self.revision += 1;
        let mut load = vec![0u64; shards as usize];
        for slot in self.slots.values().flatten() {
            if let Some(l) = load.get_mut(slot.shard as usize) {
                *l += 1;
            }
        }
        let placed = (0..partitions)
            .map(|_| {
                // Fewest partitions wins; ties go to the lowest shard id, which with the loads
                // updated as we go yields round-robin within one topic.
                let shard = (0..shards as usize).min_by_key(|&s| (load[s], s)).expect("shards > 0");
                load[shard] += 1;
                PartitionSlot { shard: shard as u32, revision: self.revision }
            })
            .collect();
        self.slots.insert(topic_id, placed);
        self.revision
    }

    /// Forgets a topic's partitions.
    pub fn remove_topic(&mut self, topic_id: u64) {
        if self.slots.remove(&topic_id).is_some() {
            self.revision += 1;
        }
    }

    /// The shard owning a partition, if it exists.
    pub fn shard_of(&self, topic_id: u64, partition: u32) -> Option<u32> {
        self.slots.get(&topic_id)?.get(partition as usize).map(|slot| slot.shard)
    }

    /// Every partition a shard owns, as (topic id, partition).
    pub fn owned_by(&self, shard: u32) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.slots.iter().flat_map(move |(&topic, slots)| {
            slots
                .iter()
                .enumerate()
                .filter(move |(_, slot)| slot.shard == shard)
                .map(move |(p, _)| (topic, p as u32))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_two_shards_should_alternate_partitions_within_a_topic() {
        let mut t = ShardTable::default();
        t.place_topic(1, 4, 2);
        let shards: Vec<_> = (0..4).map(|p| t.shard_of(1, p).unwrap()).collect();
        assert_eq!(shards, vec![0, 1, 0, 1]);
    }

    #[test]
    fn given_many_single_partition_topics_should_spread_them_evenly() {
        let mut t = ShardTable::default();
        for topic in 0..9 {
            t.place_topic(topic, 1, 3);
        }
        for shard in 0..3 {
            assert_eq!(t.owned_by(shard).count(), 3);
        }
    }

    #[test]
    fn revisions_grow_with_every_change() {
        let mut t = ShardTable::default();
        let r1 = t.place_topic(1, 1, 1);
        let r2 = t.place_topic(2, 1, 1);
        t.remove_topic(1);
        assert!(r1 < r2 && r2 < t.revision);
        assert_eq!(t.shard_of(1, 0), None);
    }
}
