//! The persisted metadata document: topics with their effective configuration, and the shard
//! table. Shard 0 edits a copy and, once it is durably written, publishes it to every shard.

use std::collections::BTreeMap;

use super::{validate_topic_name, ShardTable, TopicNameError};
use crate::config::FlushPolicySetting;

/// A topic's effective configuration: every value resolved (broker defaults filled in) at
/// creation, so a later change of broker defaults does not silently change existing topics.
#[derive(Debug, Clone, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct TopicConfigRecord {
    /// Number of partitions.
    pub partitions: u32,
    /// Replicas per partition (1 until replication lands).
    pub replication_factor: u16,
    /// Segment roll size.
    pub segment_bytes: u64,
    /// Segment roll age.
    pub segment_ms: u64,
    /// Retention by size per partition; `None` keeps everything.
    pub retention_bytes: Option<u64>,
    /// Retention by age; `None` keeps everything.
    pub retention_ms: Option<u64>,
    /// When appends are made durable.
    pub flush_policy: FlushPolicySetting,
}

/// One topic.
#[derive(Debug, Clone, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct TopicRecord {
    /// Never reused, so a topic deleted and created again never sees the old one's data.
    pub id: u64,
    /// Its name (also its directory name).
    pub name: String,
    /// Effective configuration.
    pub config: TopicConfigRecord,
}

/// Why a metadata change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicTableError {
    /// The name breaks the naming rules.
    #[error(transparent)]
    InvalidName(#[from] TopicNameError),
    /// A topic with that name exists.
    #[error("topic \"{0}\" already exists")]
    AlreadyExists(String),
    /// No topic with that name.
    #[error("topic \"{0}\" does not exist")]
    UnknownTopic(String),
}

/// The whole metadata document, as persisted and as published to shards.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize,
)]
pub struct MetadataImage {
    /// Identifies the cluster to clients; made once, at the first start.
    pub cluster_id: String,
    /// Bumped by every change; shards ignore an image older than the one they hold.
    pub revision: u64,
    /// The id the next created topic gets.
    pub next_topic_id: u64,
    /// Topics by name.
    pub topics: BTreeMap<String, TopicRecord>,
    /// Partition placement.
    pub shard_table: ShardTable,
}

impl MetadataImage {
    /// Adds a topic and places its partitions on `shards` shards.
    pub fn create_topic(
        &mut self,
        name: &str,
        config: TopicConfigRecord,
        shards: u32,
    ) -> Result<&TopicRecord, TopicTableError> {
        validate_topic_name(name)?;
        if self.topics.contains_key(name) {
            return Err(TopicTableError::AlreadyExists(name.to_owned()));
        }
        assert!(config.partitions > 0, "partition count is validated before it gets here");
        let id = self.next_topic_id;
        self.next_topic_id += 1;
        self.shard_table.place_topic(id, config.partitions, shards);
        self.revision += 1;
        let record = TopicRecord { id, name: name.to_owned(), config };
        Ok(self.topics.entry(name.to_owned()).or_insert(record))
    }

    /// Removes a topic, returning what it was.
    pub fn delete_topic(&mut self, name: &str) -> Result<TopicRecord, TopicTableError> {
        let record = self
            .topics
            .remove(name)
            .ok_or_else(|| TopicTableError::UnknownTopic(name.to_owned()))?;
        self.shard_table.remove_topic(record.id);
        self.revision += 1;
        Ok(record)
    }

    /// A topic by name.
    pub fn topic(&self, name: &str) -> Option<&TopicRecord> {
        self.topics.get(name)
    }

    /// The shard owning `partition` of `topic`, or `None` if either does not exist.
    pub fn shard_of(&self, topic: &str, partition: u32) -> Option<u32> {
        let record = self.topics.get(topic)?;
        self.shard_table.shard_of(record.id, partition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(partitions: u32) -> TopicConfigRecord {
        TopicConfigRecord {
            partitions,
            replication_factor: 1,
            segment_bytes: 1 << 20,
            segment_ms: 1000,
            retention_bytes: None,
            retention_ms: None,
            flush_policy: FlushPolicySetting::Always,
        }
    }

    #[test]
    fn given_deleted_topic_when_created_again_should_get_a_new_id() {
        let mut m = MetadataImage::default();
        let first = m.create_topic("t", config(2), 2).unwrap().id;
        m.delete_topic("t").unwrap();
        let second = m.create_topic("t", config(2), 2).unwrap().id;
        assert_ne!(first, second);
        assert_eq!(m.shard_of("t", 1), Some(1));
        assert_eq!(m.shard_of("t", 2), None);
    }

    #[test]
    fn refuses_duplicates_unknown_topics_and_bad_names() {
        let mut m = MetadataImage::default();
        m.create_topic("t", config(1), 1).unwrap();
        assert_eq!(
            m.create_topic("t", config(1), 1).unwrap_err(),
            TopicTableError::AlreadyExists("t".into())
        );
        assert_eq!(m.delete_topic("u").unwrap_err(), TopicTableError::UnknownTopic("u".into()));
        assert!(matches!(
            m.create_topic("a b", config(1), 1),
            Err(TopicTableError::InvalidName(_))
        ));
    }

    #[test]
    fn image_survives_an_rkyv_round_trip() {
        let mut m = MetadataImage::default();
        m.create_topic("t", config(3), 2).unwrap();
        let bytes = rkyv::to_bytes::<rkyv::rancor::Error>(&m).unwrap();
        let back = rkyv::from_bytes::<MetadataImage, rkyv::rancor::Error>(&bytes).unwrap();
        assert_eq!(back, m);
    }
}
