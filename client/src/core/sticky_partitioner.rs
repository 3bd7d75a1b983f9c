//! Sticky partitioning for unkeyed records (Kafka's KIP-480): all unkeyed records of a topic go
//! to one partition until its batch is sent, then the next batch picks another partition. Batches
//! fill up instead of spreading one record per partition.

use std::collections::HashMap;
use std::sync::Arc;

/// The current sticky partition per topic, with a seeded generator so tests are repeatable.
#[derive(Debug, Clone)]
pub struct StickyPartitioner {
    current: HashMap<Arc<str>, u32>,
    state: u64,
}

impl StickyPartitioner {
    /// A partitioner whose choices follow from `seed`.
    pub fn new(seed: u64) -> Self {
        StickyPartitioner { current: HashMap::new(), state: seed | 1 }
    }

    /// The partition for the next unkeyed record of `topic`.
    pub fn partition(&mut self, topic: &Arc<str>, partitions: u32) -> u32 {
        assert!(partitions > 0, "a known topic has at least one partition");
        if let Some(&current) = self.current.get(topic) {
            if current < partitions {
                return current;
            }
        }
        let chosen = (self.next_random() % u64::from(partitions)) as u32;
        self.current.insert(topic.clone(), chosen);
        chosen
    }

    /// The sticky partition's batch was sealed: move on to a different partition.
    pub fn on_batch_sealed(&mut self, topic: &Arc<str>, partition: u32, partitions: u32) {
        if self.current.get(topic) != Some(&partition) {
            return;
        }
        let next = if partitions <= 1 {
            0
        } else {
            // Any partition but the current one, uniformly.
            let step = 1 + (self.next_random() % u64::from(partitions - 1)) as u32;
            (partition + step) % partitions
        };
        self.current.insert(topic.clone(), next);
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: fast, good enough to spread partitions, repeatable from the seed.
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_unkeyed_records_when_no_batch_sealed_should_stick_to_one_partition() {
        let topic: Arc<str> = Arc::from("t");
        let mut sticky = StickyPartitioner::new(7);
        let first = sticky.partition(&topic, 8);
        assert!((0..100).all(|_| sticky.partition(&topic, 8) == first));
    }

    #[test]
    fn given_a_sealed_batch_when_choosing_again_should_move_to_another_partition() {
        let topic: Arc<str> = Arc::from("t");
        let mut sticky = StickyPartitioner::new(7);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let partition = sticky.partition(&topic, 4);
            seen.insert(partition);
            sticky.on_batch_sealed(&topic, partition, 4);
            assert_ne!(sticky.partition(&topic, 4), partition);
        }
        assert_eq!(seen.len(), 4, "every partition gets batches");
    }
}
