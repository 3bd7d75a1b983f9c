//! What the client knows about topics: partition counts and which shard owns each partition.

use std::collections::HashMap;
use std::sync::Arc;

use sluice_proto::message::MetadataResponse;
use sluice_proto::ErrorCode;

use super::Endpoint;

/// Where one partition lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRoute {
    /// The owning shard.
    pub shard_id: u32,
    /// The shard's direct listener, if the broker advertised one.
    pub direct: Option<Endpoint>,
}

/// The outcome of applying a metadata response for one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicUpdate {
    /// The topic is known, with this many partitions.
    Known(u32),
    /// The broker reported an error for the topic.
    Failed(ErrorCode),
}

/// Topics and their partition routes, refreshed from Metadata responses.
#[derive(Debug, Default)]
pub struct MetadataCache {
    topics: HashMap<Arc<str>, Vec<PartitionRoute>>,
}

impl MetadataCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces what is known about every topic in `response`; returns each topic's outcome.
    pub fn update(&mut self, response: &MetadataResponse) -> Vec<(Arc<str>, TopicUpdate)> {
        let mut outcomes = Vec::with_capacity(response.topics.len());
        for topic in &response.topics {
            let name: Arc<str> = Arc::from(topic.name.as_str());
            if topic.error_code != ErrorCode::None {
                self.topics.remove(&name);
                outcomes.push((name, TopicUpdate::Failed(topic.error_code)));
                continue;
            }
            let count = topic.partitions.iter().map(|p| p.partition + 1).max().unwrap_or(0);
            let mut routes = vec![PartitionRoute { shard_id: 0, direct: None }; count as usize];
            for partition in &topic.partitions {
                let direct = (partition.error_code == ErrorCode::None
                    && !partition.shard_host.is_empty()
                    && partition.shard_port != 0)
                    .then(|| Endpoint::new(partition.shard_host.clone(), partition.shard_port));
                routes[partition.partition as usize] =
                    PartitionRoute { shard_id: partition.shard_id, direct };
            }
            self.topics.insert(name.clone(), routes);
            outcomes.push((name, TopicUpdate::Known(count)));
        }
        outcomes
    }

    /// Number of partitions of `topic`, if known.
    pub fn partition_count(&self, topic: &str) -> Option<u32> {
        self.topics.get(topic).map(|routes| routes.len() as u32)
    }

    /// Where `partition` of `topic` lives, if known.
    pub fn route(&self, topic: &str, partition: u32) -> Option<&PartitionRoute> {
        self.topics.get(topic)?.get(partition as usize)
    }

    /// Forgets a topic so the next use refreshes it.
    pub fn invalidate(&mut self, topic: &str) {
        self.topics.remove(topic);
    }

    /// Forgets the direct address of every partition: after a connection to a shard broke,
    /// its address may have changed (a restarted broker picks new shard ports).
    pub fn forget_direct(&mut self, endpoint: &Endpoint) {
        for routes in self.topics.values_mut() {
            for route in routes.iter_mut() {
                if route.direct.as_ref() == Some(endpoint) {
                    route.direct = None;
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use sluice_proto::message::{PartitionMetadata, TopicMetadata};

    use super::*;

    /// A metadata response for one topic whose partitions alternate between two shards.
    pub(crate) fn two_shard_metadata(topic: &str, partitions: u32) -> MetadataResponse {
        MetadataResponse {
            error_code: ErrorCode::None,
            brokers: Vec::new(),
            topics: vec![TopicMetadata {
                name: topic.to_owned(),
                error_code: ErrorCode::None,
                partitions: (0..partitions)
                    .map(|partition| PartitionMetadata {
                        partition,
                        error_code: ErrorCode::None,
                        leader_id: 0,
                        leader_epoch: 0,
                        shard_id: partition % 2,
                        shard_host: "127.0.0.1".to_owned(),
                        shard_port: 9300 + (partition % 2) as u16,
                    })
                    .collect(),
            }],
        }
    }

    #[test]
    fn given_metadata_when_updating_should_know_counts_and_direct_addresses() {
        let mut cache = MetadataCache::new();
        let outcomes = cache.update(&two_shard_metadata("t", 3));
        assert_eq!(outcomes, vec![(Arc::from("t"), TopicUpdate::Known(3))]);
        assert_eq!(cache.partition_count("t"), Some(3));
        assert_eq!(cache.route("t", 1).unwrap().direct, Some(Endpoint::new("127.0.0.1", 9301)));
        cache.forget_direct(&Endpoint::new("127.0.0.1", 9301));
        assert_eq!(cache.route("t", 1).unwrap().direct, None);
        assert!(cache.route("t", 0).unwrap().direct.is_some());
    }

    #[test]
    fn given_unknown_topic_when_updating_should_report_and_forget_it() {
        let mut cache = MetadataCache::new();
        cache.update(&two_shard_metadata("t", 1));
        let mut response = two_shard_metadata("t", 0);
        response.topics[0].error_code = ErrorCode::UnknownTopic;
        let outcomes = cache.update(&response);
        assert_eq!(outcomes[0].1, TopicUpdate::Failed(ErrorCode::UnknownTopic));
        assert_eq!(cache.partition_count("t"), None);
    }
}
